//! `patchdx explain`: what an error code means, from the compiled-in knowledge base.

use serde::Serialize;

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// One or more codes in any common spelling.
    #[arg(required = true, allow_negative_numbers = true)]
    codes: Vec<String>,
    /// Language of the meaning: en or zh-CN (both are shown by default).
    #[arg(long)]
    lang: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Explained {
    input: String,
    value: Option<String>,
    name: Option<&'static str>,
    known: bool,
    severity: Option<&'static str>,
    facility: Option<&'static str>,
    facility_code: Option<u32>,
    code: Option<u32>,
    en: Option<&'static str>,
    zh_cn: Option<&'static str>,
    /// SetupDiag's extended code (`0x8007000D-0x2000C` → 0x2000C) and what phase/operation it names.
    extended: Option<String>,
    extended_meaning: Option<&'static str>,
    extended_meaning_zh_cn: Option<&'static str>,
    /// Typical causes, what to do and references, for servicing-relevant codes.
    details: Option<&'static patchdx_codes::CodeDetails>,
}

fn explain_one(input: &str) -> Explained {
    let Some(value) = patchdx_codes::parse_code(input) else {
        return Explained {
            input: input.to_string(),
            value: None,
            name: None,
            known: false,
            severity: None,
            facility: None,
            facility_code: None,
            code: None,
            en: None,
            zh_cn: None,
            extended: None,
            extended_meaning: None,
            extended_meaning_zh_cn: None,
            details: None,
        };
    };
    let extended = patchdx_codes::parse_setupdiag(input).map(|(_, ext)| ext);
    let info = patchdx_codes::lookup(value);
    Explained {
        input: input.to_string(),
        value: Some(format!("0x{value:08X}")),
        name: info.map(|i| i.name),
        known: info.is_some(),
        severity: Some(if patchdx_codes::is_failure(value) { "failure" } else { "success" }),
        facility: Some(patchdx_codes::facility_name(value)),
        // The facility as decoded: for an HRESULT_FROM_NT value (0xD0000034), the wrapped NTSTATUS's facility.
        facility_code: Some(u32::from(patchdx_codes::decode(value).facility)),
        code: Some(value & 0xFFFF),
        en: info.map(|i| i.en),
        zh_cn: info.map(|i| i.zh_cn),
        extended: extended.map(|e| format!("0x{e:X}")),
        extended_meaning: extended.and_then(patchdx_codes::describe_extended),
        extended_meaning_zh_cn: extended.and_then(patchdx_codes::describe_extended_zh),
        details: patchdx_codes::details(value),
    }
}

pub fn run(args: ExplainArgs) -> anyhow::Result<u8> {
    let results: Vec<Explained> = args.codes.iter().map(|c| explain_one(c)).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        let lang = args.lang.as_deref().map(str::to_ascii_lowercase);
        for r in &results {
            let Some(value) = &r.value else {
                println!("{}: not a code patchdx can read (try 0x80073712, 80073712, -2147010798 or 14098)", r.input);
                continue;
            };
            println!("{} = {}{}", r.input, value, r.name.map(|n| format!(" {n}")).unwrap_or_default());
            let english = lang.as_deref() != Some("zh-cn");
            let chinese = lang.as_deref() != Some("en");
            if let (Some(ext), Some(meaning)) = (&r.extended, r.extended_meaning)
                && english
            {
                println!("  extended code {ext}: {meaning}");
            }
            if let (Some(ext), Some(meaning)) = (&r.extended, r.extended_meaning_zh_cn)
                && chinese
            {
                println!("  扩展代码 {ext}：{meaning}");
            }
            if r.known {
                if english {
                    println!("  {}", r.en.unwrap_or_default());
                }
                if chinese {
                    println!("  {}", r.zh_cn.unwrap_or_default());
                }
                if let Some(d) = r.details {
                    let list = |title: &str, items: &[&str]| {
                        if !items.is_empty() {
                            println!("  {title}");
                            for item in items {
                                println!("    - {item}");
                            }
                        }
                    };
                    if english {
                        list("typical causes:", &d.causes_en);
                        list("what to do:", &d.actions_en);
                    }
                    if chinese {
                        list("常见原因：", &d.causes_zh_cn);
                        list("处理步骤：", &d.actions_zh_cn);
                    }
                    list("references:", &d.references);
                }
            } else {
                println!(
                    "  unknown code: severity {}, facility {} ({}), code {} (0x{:04X}); patchdx does not guess its meaning",
                    r.severity.unwrap_or("?"),
                    r.facility_code.unwrap_or(0),
                    r.facility.unwrap_or("?"),
                    r.code.unwrap_or(0),
                    r.code.unwrap_or(0)
                );
            }
        }
    }
    Ok(if results.iter().all(|r| r.value.is_some()) { 0 } else { 2 })
}
