//! Walks folders and expands ZIP and CAB archives (nested) into a private scratch folder.

use crate::detect::{self, FileKind};
use crate::{Entry, OpenError, OpenOptions, Severity, Warning, read_head};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub(crate) struct Walker {
    options: OpenOptions,
    entries: Vec<Entry>,
    warnings: Vec<Warning>,
    scratch: Option<tempfile::TempDir>,
    expanded_bytes: u64,
    next_member: u64,
    stopped_expanding: bool,
    file_limit_warned: bool,
}

impl Walker {
    pub(crate) fn new(options: OpenOptions) -> Self {
        Walker {
            options,
            entries: Vec::new(),
            warnings: Vec::new(),
            scratch: None,
            expanded_bytes: 0,
            next_member: 0,
            stopped_expanding: false,
            file_limit_warned: false,
        }
    }

    pub(crate) fn finish(self) -> (Vec<Entry>, Vec<Warning>, Option<tempfile::TempDir>) {
        (self.entries, self.warnings, self.scratch)
    }

    fn warn(&mut self, path: &str, severity: Severity, message: impl Into<String>) {
        self.warnings.push(Warning { path: path.to_string(), severity, message: message.into() });
    }

    /// Lists a folder tree, recognises its files on every core (reading each file's head is most of the cost
    /// of opening a folder bundle), then lists or expands them in name order.
    pub(crate) fn walk_dir(&mut self, dir: &Path, prefix: &str) -> Result<(), OpenError> {
        let mut files = Vec::new();
        self.gather(dir, prefix, &mut files)?;
        let sniffed = sniff_all(&files, &self.options);
        for ((disk_path, display), sniffed) in files.into_iter().zip(sniffed) {
            if self.over_file_limit(&display) {
                break;
            }
            match sniffed {
                Ok(sniffed) => self.admit(disk_path, display, 0, sniffed),
                Err(error) => self.warn(&display, Severity::Unreadable, error.to_string()),
            }
        }
        Ok(())
    }

    /// Collects the regular files under `dir` in name order (at most one more than the file limit).
    fn gather(&mut self, dir: &Path, prefix: &str, files: &mut Vec<(PathBuf, String)>) -> Result<(), OpenError> {
        let mut children: Vec<_> = std::fs::read_dir(dir)
            .map_err(|source| OpenError::Io { path: dir.display().to_string(), source })?
            .filter_map(|e| match e {
                Ok(e) => Some(e),
                Err(err) => {
                    self.warn(&dir.display().to_string(), Severity::Unreadable, format!("cannot list folder: {err}"));
                    None
                }
            })
            .collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            if files.len() > self.options.limits.max_files {
                return Ok(());
            }
            let name = child.file_name().to_string_lossy().into_owned();
            let display = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            match child.file_type() {
                Ok(t) if t.is_dir() => {
                    if let Err(OpenError::Io { path, source }) = self.gather(&child.path(), &display, files) {
                        self.warn(&path, Severity::Unreadable, format!("cannot list folder: {source}"));
                    }
                }
                Ok(t) if t.is_file() => files.push((child.path(), display)),
                // A link to a file is read; a link to a folder is not followed (it could loop).
                Ok(t) if t.is_symlink() && std::fs::metadata(child.path()).is_ok_and(|m| m.is_file()) => {
                    files.push((child.path(), display))
                }
                Ok(_) => self.warn(&display, Severity::Notice, "not a regular file (folder link or device); skipped"),
                Err(err) => self.warn(&display, Severity::Unreadable, format!("cannot stat: {err}")),
            }
        }
        Ok(())
    }

    /// True (after warning once) when the bundle already holds as many files as it may.
    fn over_file_limit(&mut self, display: &str) -> bool {
        let max = self.options.limits.max_files;
        if self.entries.len() < max {
            return false;
        }
        if !self.file_limit_warned {
            self.file_limit_warned = true;
            let message = format!("more than {max} files in the bundle; the rest are not read");
            self.warn(display, Severity::Damaged, message);
        }
        true
    }

    /// Recognises one file and either lists it or expands it.
    pub(crate) fn consider(&mut self, disk_path: PathBuf, display: String, depth: u32) {
        if self.over_file_limit(&display) {
            return;
        }
        match sniff(&disk_path, &display, &self.options, &mut Vec::new()) {
            Ok(sniffed) => self.admit(disk_path, display, depth, sniffed),
            Err(error) => self.warn(&display, Severity::Unreadable, error.to_string()),
        }
    }

    /// Lists a recognised file, expanding it first when it is an archive.
    fn admit(&mut self, disk_path: PathBuf, display: String, depth: u32, sniffed: Sniffed) {
        let Sniffed { size, mut kind, encoding, mut encoding_evidence } = sniffed;
        if kind == FileKind::Empty {
            self.warn(&display, Severity::Notice, "empty file (0 bytes): nothing to read");
            kind =
                self.options.recogniser.and_then(|r| r.recognise_name(&base_name(&display))).unwrap_or(FileKind::Empty);
            encoding_evidence = None;
        }
        if kind.is_archive() && depth < self.options.limits.max_depth {
            let before = self.warnings.len();
            match kind {
                FileKind::Zip => self.expand_zip(&disk_path, &display, size, depth),
                _ => self.expand_cab(&disk_path, &display, size, depth),
            }
            let failed =
                self.warnings[before..].iter().any(|w| w.path == display && w.severity == Severity::Unreadable);
            if failed {
                return;
            }
        } else if kind.is_archive() {
            self.warn(
                &display,
                Severity::Unreadable,
                format!("archive nested deeper than {} levels; not opened", self.options.limits.max_depth),
            );
        }
        self.entries.push(Entry { path: display, disk_path, size, kind, encoding, encoding_evidence });
    }

    fn scratch_file(&mut self) -> io::Result<(PathBuf, File)> {
        if self.scratch.is_none() {
            self.scratch = Some(tempfile::Builder::new().prefix("patchdx-").tempdir()?);
        }
        let dir = self.scratch.as_ref().map(|d| d.path().to_path_buf()).unwrap_or_default();
        self.next_member += 1;
        let path = dir.join(format!("m{:06}", self.next_member));
        let file = File::create(&path)?;
        Ok((path, file))
    }

    /// Copies one member out under the expansion limits. Returns the scratch path, or None after warning
    /// (a member that is not extracted leaves no scratch file behind). `expected` is the size the archive
    /// declares for the member, when a short read would otherwise go unnoticed.
    fn extract(
        &mut self,
        reader: &mut dyn Read,
        display: &str,
        compressed: u64,
        expected: Option<u64>,
    ) -> Option<PathBuf> {
        if self.stopped_expanding {
            return None;
        }
        let (path, mut file) = match self.scratch_file() {
            Ok(x) => x,
            Err(err) => {
                self.warn(display, Severity::Unreadable, format!("cannot create scratch file: {err}"));
                return None;
            }
        };
        let Copied::Whole { written, read_error } = self.copy_member(reader, &mut file, display, compressed) else {
            return discard(path, file);
        };
        self.expanded_bytes += written;
        if let Some(expected) = expected.filter(|&e| written < e && !read_error)
            && !self.accept_short_member(display, written, expected)
        {
            return discard(path, file);
        }
        Some(path)
    }

    /// Copies a member into its scratch file while it stays within the caps: `compressed` times the ratio
    /// limit (at least 1 MiB), and what is left of the bundle's expansion budget.
    fn copy_member(&mut self, reader: &mut dyn Read, file: &mut File, display: &str, compressed: u64) -> Copied {
        let limits = self.options.limits;
        let ratio_cap = compressed.saturating_mul(limits.max_ratio).max(1 << 20);
        let budget = limits.max_expanded_bytes.saturating_sub(self.expanded_bytes);
        let cap = ratio_cap.min(budget);
        let mut buffer = vec![0u8; 256 * 1024];
        let mut written = 0u64;
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => return Copied::Whole { written, read_error: false },
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return self.damaged_member(display, written, &err),
            };
            if written + n as u64 > cap {
                // The bytes copied so far still count against the bundle's budget, though the member is dropped.
                self.expanded_bytes += written;
                self.warn_over_cap(display, cap == budget, compressed, written + n as u64);
                return Copied::Refused;
            }
            if let Err(err) = file.write_all(&buffer[..n]) {
                self.warn(display, Severity::Unreadable, format!("cannot write scratch file: {err}"));
                return Copied::Refused;
            }
            written += n as u64;
        }
    }

    /// A member whose data breaks off with a read error: what was read before it is kept, if anything.
    fn damaged_member(&mut self, display: &str, written: u64, err: &io::Error) -> Copied {
        if written == 0 {
            self.warn(display, Severity::Unreadable, format!("archive member is damaged ({err}); not extracted"));
            return Copied::Refused;
        }
        let message = format!("archive member is damaged ({err}); only the first {written} bytes could be read");
        self.warn(display, Severity::Damaged, message);
        Copied::Whole { written, read_error: true }
    }

    /// Warns that a member expands past its cap: the bundle's budget is spent (no more members are expanded), or
    /// the member alone expands too much for its compressed size (likely a zip bomb).
    fn warn_over_cap(&mut self, display: &str, budget_spent: bool, compressed: u64, so_far: u64) {
        let limits = self.options.limits;
        if budget_spent {
            self.stopped_expanding = true;
            self.warn(display, Severity::Unreadable, format!(
                "the bundle expands beyond {} MiB; stopped expanding archives here (possible zip bomb); the rest of the archive members are not read",
                limits.max_expanded_bytes >> 20
            ));
        } else {
            self.warn(display, Severity::Unreadable, format!(
                "archive member expands more than {}:1 ({} compressed bytes, over {} expanded so far); not read (possible zip bomb)",
                limits.max_ratio, compressed, so_far
            ));
        }
    }

    /// A member that ends before the size its archive declares (the reader reports this as a normal end): kept,
    /// with a warning, when part of it was read; false when none was.
    fn accept_short_member(&mut self, display: &str, written: u64, expected: u64) -> bool {
        if written == 0 {
            self.warn(
                display,
                Severity::Unreadable,
                format!(
                    "archive member is damaged (the archive ends before any of its {expected} bytes); not extracted"
                ),
            );
            return false;
        }
        let message = format!(
            "archive member is damaged (the archive ends after {written} of its {expected} bytes); only the first {written} bytes could be read"
        );
        self.warn(display, Severity::Damaged, message);
        true
    }

    fn expand_zip(&mut self, disk_path: &Path, display: &str, size: u64, depth: u32) {
        let file = match File::open(disk_path) {
            Ok(f) => f,
            Err(err) => {
                return self.warn(display, Severity::Unreadable, format!("cannot open: {err}"));
            }
        };
        let mut archive = match zip::ZipArchive::new(io::BufReader::new(file)) {
            Ok(a) => a,
            Err(err) => {
                return self.warn(
                    display,
                    Severity::Unreadable,
                    format!("not a readable ZIP archive ({size} bytes): {err}"),
                );
            }
        };
        for index in 0..archive.len() {
            let mut member = match archive.by_index(index) {
                Ok(m) => m,
                Err(err) => {
                    self.warn(&format!("{display}!/#{index}"), Severity::Unreadable, format!("bad ZIP entry: {err}"));
                    continue;
                }
            };
            let raw_name = String::from_utf8_lossy(member.name_raw()).into_owned();
            let member_display = format!("{display}!/{}", raw_name.trim_start_matches("./"));
            if member.is_dir() {
                continue;
            }
            if unsafe_member_name(&raw_name) {
                self.warn(
                    &member_display,
                    Severity::Unreadable,
                    "entry name points outside the archive (absolute path or '..'); never extracted",
                );
                continue;
            }
            if member.encrypted() {
                self.warn(&member_display, Severity::Unreadable, "entry is encrypted; not read");
                continue;
            }
            let compressed = member.compressed_size();
            if let Some(path) = self.extract(&mut member, &member_display, compressed, None) {
                drop(member);
                self.consider(path, member_display, depth + 1);
            }
        }
    }

    fn expand_cab(&mut self, disk_path: &Path, display: &str, size: u64, depth: u32) {
        let file = match File::open(disk_path) {
            Ok(f) => f,
            Err(err) => {
                return self.warn(display, Severity::Unreadable, format!("cannot open: {err}"));
            }
        };
        let mut cabinet = match cab::Cabinet::new(io::BufReader::new(file)) {
            Ok(c) => c,
            Err(err) => {
                return self.warn(
                    display,
                    Severity::Unreadable,
                    format!("not a readable CAB archive ({size} bytes): {err}"),
                );
            }
        };
        let names: Vec<(String, u64)> = cabinet
            .folder_entries()
            .flat_map(|folder| {
                folder
                    .file_entries()
                    .map(|f| (f.name().to_string(), u64::from(f.uncompressed_size())))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (name, expected) in names {
            let member_display = format!("{display}!/{}", name.replace('\\', "/"));
            if unsafe_member_name(&name) {
                self.warn(
                    &member_display,
                    Severity::Unreadable,
                    "entry name points outside the archive (absolute path or '..'); never extracted",
                );
                continue;
            }
            let mut reader = match cabinet.read_file(&name) {
                Ok(r) => r,
                Err(err) => {
                    self.warn(&member_display, Severity::Unreadable, format!("cannot read CAB member: {err}"));
                    continue;
                }
            };
            if let Some(path) = self.extract(&mut reader, &member_display, size, Some(expected)) {
                drop(reader);
                self.consider(path, member_display, depth + 1);
            }
        }
    }
}

/// Removes the scratch file of a member that was not extracted.
/// How copying a member out ended.
enum Copied {
    /// To the member's end, or (`read_error`) to where its data broke off after `written` bytes.
    Whole { written: u64, read_error: bool },
    /// Not extracted, with a warning saying why: the scratch file is to be discarded.
    Refused,
}

fn discard(path: PathBuf, file: File) -> Option<PathBuf> {
    drop(file);
    let _ = std::fs::remove_file(path);
    None
}

fn unsafe_member_name(name: &str) -> bool {
    let normalized = name.replace('\\', "/");
    normalized.starts_with('/')
        || normalized.as_bytes().get(1) == Some(&b':')
        || normalized.split('/').any(|part| part == "..")
}

/// What a file's size and first bytes say about it.
struct Sniffed {
    size: u64,
    kind: FileKind,
    encoding: Option<detect::TextEncoding>,
    encoding_evidence: Option<detect::EncodingEvidence>,
}

/// The lower-case file name of an inside-bundle path (`a/b.zip!c/CBS.log` → `cbs.log`).
fn base_name(display: &str) -> String {
    display.rsplit(['/', '!']).next().unwrap_or(display).to_ascii_lowercase()
}

/// Why a file could not be recognised; its message is the warning given for the file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SniffError {
    #[error("cannot read: {0}")]
    Read(std::io::Error),
    #[error("could not be recognised (internal error while reading its head: {0})")]
    Panicked(String),
}

/// Reads a file's size and head and recognises it. A panic while recognising costs only this file.
fn sniff(disk_path: &Path, display: &str, options: &OpenOptions, head: &mut Vec<u8>) -> Result<Sniffed, SniffError> {
    let size = read_head(disk_path, detect::SNIFF_BYTES, head).map_err(SniffError::Read)?;
    let recognised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        detect::detect_kind_and_evidence(head, &base_name(display), options.encoding, options.recogniser)
    }));
    let (kind, encoding, encoding_evidence) = recognised.map_err(|panic| SniffError::Panicked(panic_text(&panic)))?;
    Ok(Sniffed { size, kind, encoding, encoding_evidence })
}

/// The message a panic carried, for the warning that replaces the file it cost.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// [`sniff`] for many files on every core, results in the order given.
fn sniff_all(files: &[(PathBuf, String)], options: &OpenOptions) -> Vec<Result<Sniffed, SniffError>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8).min(files.len().max(1));
    let mut results: Vec<(usize, Result<Sniffed, SniffError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    let mut head = Vec::with_capacity(detect::SNIFF_BYTES);
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((disk_path, display)) = files.get(i) else { break };
                        done.push((i, sniff(disk_path, display, options, &mut head)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    // A worker that panicked lost its files; say so for each rather than dropping them.
    let mut by_index = results.into_iter().peekable();
    (0..files.len())
        .map(|i| match by_index.next_if(|(j, _)| *j == i) {
            Some((_, result)) => result,
            None => Err(SniffError::Panicked("its worker stopped".to_string())),
        })
        .collect()
}
