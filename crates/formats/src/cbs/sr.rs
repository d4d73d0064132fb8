//! The file each file-integrity line of SFC (`[SR] …`) and CSI names, in every spelling Windows has written
//! since Vista:
//!
//! - a member file quoted with its length: `[l:8]'img0.jpg'` (Windows 8 and later), `[l:24{12}]"M1033DSK.CSD"`
//!   (Vista, 7: the length in bytes, then in characters);
//! - a projected path written bare, directory and name joined by a doubled backslash:
//!   `\??\C:\WINDOWS\Web\Wallpaper\Windows\\img0.jpg`;
//! - a projected path quoted in two parts: `[l:23 ml:24]"\??\C:\WINDOWS\SysWOW64"[l:10]"opencl.dll"` (Windows
//!   10 1511), `[ml:520{260},l:46{23}]"\??\C:\Windows\System32"\[l:22{11}]"opencl.dll"` (Windows 7);
//! - a store path before Windows 8's quoted member: `\SystemRoot\WinSxS\<key>\Amd64\CNBJ2530.DPB do not match
//!   actual file [l:36{18}]"Amd64\CNBJ2530.DPB"`.
//!
//! Paths come back as Windows shows them (`C:\WINDOWS\Web\Wallpaper\Windows\img0.jpg`): without the `\??\`
//! prefix and with single backslashes.

use crate::text::after;

/// The first length-quoted name in `text`: `[l:8]'img0.jpg'` → `img0.jpg`.
pub fn quoted(text: &str) -> Option<&str> {
    let open = text.find('[')?;
    let close = open + text[open..].find(']')?;
    let rest = &text[close + 1..];
    let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let body = &rest[1..];
    let end = body.find(quote)?;
    let name = body[..end].trim();
    (!name.is_empty()).then_some(name)
}

/// The member a `Hashes for file member …` line names: the quoted name (Windows 8 and later), the name quoted
/// after `actual file` (Vista to 8.1), or the part of the `\SystemRoot\WinSxS\<key>\` path after the key.
pub fn hash_member(message: &str) -> Option<String> {
    let rest = after(message, "Hashes for file member ")?.trim_start();
    if let Some(actual) = after(rest, "actual file ").and_then(quoted) {
        return Some(actual.to_string());
    }
    if rest.starts_with('[') {
        return quoted(rest).map(str::to_string);
    }
    let path = rest.split("do not match").next().unwrap_or(rest).trim();
    let path = path.replace("\\\\", "\\");
    let lower = path.to_ascii_lowercase();
    let member = match lower.find("\\winsxs\\") {
        // The segment after `WinSxS\` is the component's key; the member is what follows it.
        Some(at) => path[at + "\\winsxs\\".len()..].split_once('\\').map(|(_, member)| member),
        None => path.rsplit('\\').next(),
    };
    member.map(str::trim).filter(|m| !m.is_empty()).map(str::to_string)
}

/// The member an `[SR] Cannot repair member file …` line names.
pub fn cannot_repair_member(message: &str) -> Option<String> {
    let rest = after(message, "member file ")?.trim_start();
    if rest.starts_with('[') {
        return quoted(rest).map(str::to_string);
    }
    let name = rest.split(" of ").next().unwrap_or(rest).trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The member an `Unable to repair payload file ([l:27]'x.cdxml') for component …` line names.
pub fn payload_member(message: &str) -> Option<String> {
    let rest = after(message, "payload file ")?.trim_start();
    let rest = rest.strip_prefix('(').unwrap_or(rest);
    if rest.starts_with('[') {
        return quoted(rest).map(str::to_string);
    }
    let name = rest.split(" for component").next().unwrap_or(rest).trim().trim_matches(['\'', '"', ')']);
    (!name.is_empty()).then(|| name.to_string())
}

/// The path after `marker` (`corrupted file `, `Repairing file `, …) in any of the spellings above.
pub fn path_after(message: &str, marker: &str) -> Option<String> {
    let rest = after(message, marker)?.trim_start();
    let path = if rest.starts_with('[') { quoted_parts(rest) } else { bare_path(rest) };
    let path = path.trim();
    let path = path.strip_prefix("\\??\\").unwrap_or(path);
    let path = path.replace("\\\\", "\\");
    (!path.is_empty()).then_some(path)
}

/// `[..]"dir"[..]"name"` or `[..]"dir"\[..]"name"`: the quoted parts joined by one backslash.
fn quoted_parts(mut rest: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    while let Some((_, after_length)) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        let Some(quote) = after_length.chars().next().filter(|c| matches!(c, '\'' | '"')) else { break };
        let Some((body, tail)) = after_length[1..].split_once(quote) else { break };
        parts.push(body.trim_end_matches('\\'));
        rest = tail.strip_prefix('\\').unwrap_or(tail);
    }
    parts.join("\\")
}

/// A bare path: up to the `;` or the words that follow it (` from store`, ` by copying`).
fn bare_path(rest: &str) -> String {
    let end = [";", " from ", " by ", " with "].iter().filter_map(|stop| rest.find(stop)).min().unwrap_or(rest.len());
    rest[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_lines_of_every_generation() {
        assert_eq!(
            hash_member("00000139 Hashes for file member [l:8]'img0.jpg' do not match.").as_deref(),
            Some("img0.jpg")
        );
        assert_eq!(
            hash_member(
                r#"0000081d Hashes for file member \SystemRoot\WinSxS\amd64_prncacla.inf_31bf3856ad364e35_6.3.9600.16384_none_9590ba64d5b91f79\Amd64\CNBJ2530.DPB do not match actual file [l:36{18}]"Amd64\CNBJ2530.DPB" :"#
            )
            .as_deref(),
            Some(r"Amd64\CNBJ2530.DPB")
        );
        assert_eq!(
            hash_member(
                r"Hashes for file member \SystemRoot\WinSxS\x86_microsoft-windows-mulanttsvoiceenudsk_31bf3856ad364e35_6.0.6000.16386_none_0d44c2d7a6e22754\M1033DSK.CSD do not match"
            )
            .as_deref(),
            Some("M1033DSK.CSD")
        );
    }

    #[test]
    fn projected_paths_bare_and_quoted() {
        let marker = "corrupted file ";
        assert_eq!(
            path_after(
                r"[SR] Could not reproject corrupted file \??\C:\Windows\System32\\tls_branding_config.xml; source file in store is also corrupted",
                marker
            )
            .as_deref(),
            Some(r"C:\Windows\System32\tls_branding_config.xml")
        );
        assert_eq!(
            path_after(
                r#"[SR] Could not reproject corrupted file [l:23 ml:24]"\??\C:\WINDOWS\SysWOW64"[l:10]"opencl.dll"; source file in store is also corrupted"#,
                marker
            )
            .as_deref(),
            Some(r"C:\WINDOWS\SysWOW64\opencl.dll")
        );
        assert_eq!(
            path_after(
                r#"[SR] Could not reproject corrupted file [ml:520{260},l:46{23}]"\??\C:\Windows\System32"\[l:22{11}]"opencl.dll"; source file in store is also corrupted"#,
                marker
            )
            .as_deref(),
            Some(r"C:\Windows\System32\opencl.dll")
        );
        assert_eq!(
            path_after(r"[SR] Repairing file \??\C:\WINDOWS\Web\Wallpaper\Windows\\img0.jpg from store", "file ")
                .as_deref(),
            Some(r"C:\WINDOWS\Web\Wallpaper\Windows\img0.jpg")
        );
    }

    #[test]
    fn members_of_cannot_repair_and_payload_lines() {
        assert_eq!(
            cannot_repair_member(
                "[SR] Cannot repair member file [l:24{12}]\"Amd64\\CNBJ2530.DPB\" of prncacla.inf, Version = 6.1.7600.16385"
            )
            .as_deref(),
            Some("Amd64\\CNBJ2530.DPB")
        );
        assert_eq!(
            payload_member(
                "Warning: Unable to repair payload file ([l:13]'Defender.psd1') for component ([l:96 ml:140]'amd64_windows-defender-management-powershell_31bf3856ad364e35_10.0.18362.1_none_b620cb061e8a941c') from backups directory"
            )
            .as_deref(),
            Some("Defender.psd1")
        );
    }
}
