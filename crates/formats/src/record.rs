//! Source-specific records: what a line of one source says beyond the facts every event carries, typed, so
//! that the diagnosis reads it instead of parsing text again.

use crate::text::prefix;
use crate::time::CivilTime;
use serde::Serialize;

/// What a DISM.log line's session says about it beyond the common fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DismRecord {
    /// The program that started the DismApi session the line belongs to, as its `Parent process command line:`
    /// names it (`C:\WINDOWS\system32\cleanmgr.exe /autoclean /d C:`).
    pub caller: Option<String>,
}

/// A CBS.log line as the diagnosis reads it: what it says, its level column and its component.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CbsRecord {
    pub kind: CbsEventKind,
    /// The level column as written (`Error`, `Info`, …; `Continuation` for lines without a prefix).
    pub level: prefix::Level,
    /// `CBS`, `CSI`, `DISM`, … (`other` for rare components, empty for continuation lines).
    pub component: &'static str,
}

/// A stretch of a file with one UTC offset (machines change time zone; files record it).
#[derive(Debug, Clone, Serialize)]
pub struct OffsetSegment {
    pub from_line: u64,
    pub offset_seconds: i64,
    pub samples: usize,
    pub source: &'static str,
}

/// A timestamp with the line it was read from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stamped {
    pub line: u64,
    pub local: CivilTime,
    pub utc: Option<CivilTime>,
}

/// What a CBS file says about itself beyond its events: its span, its UTC offsets line by line, where it
/// sits in the rotation, and whether it is a copy of another.
#[derive(Debug, Clone, Serialize)]
pub struct CbsLog {
    pub path: String,
    pub kind: patchdx_bundle::FileKind,
    pub encoding: Option<String>,
    pub lines: u64,
    pub first: Option<Stamped>,
    pub last: Option<Stamped>,
    /// The UTC time in a `CbsPersist_YYYYMMDDHHMMSS` name: when CBS rotated this piece out.
    pub name_stamp_utc: Option<CivilTime>,
    pub offsets: Vec<OffsetSegment>,
    pub routine_failure_lines: u64,
    /// Fingerprint of what was read (line count, range and every kept record).
    #[serde(skip)]
    pub content_key: u64,
    /// Index (in the list read together) of the file this one is a copy of; its events are not kept.
    #[serde(skip)]
    pub duplicate_of: Option<usize>,
}

/// UTC offset in force at a line: the segment it falls in, or the first one for lines before any sample.
pub fn offset_at(segments: &[OffsetSegment], line: u64) -> Option<i64> {
    let mut current = segments.first()?.offset_seconds;
    for segment in segments {
        if segment.from_line > line {
            break;
        }
        current = segment.offset_seconds;
    }
    Some(current)
}

pub(crate) fn to_utc(segments: &[OffsetSegment], line: u64, local: CivilTime) -> Option<CivilTime> {
    offset_at(segments, line).map(|o| local.shifted(-o))
}

impl CbsLog {
    pub fn offset_at(&self, line: u64) -> Option<i64> {
        offset_at(&self.offsets, line)
    }

    pub fn to_utc(&self, line: u64, local: CivilTime) -> Option<CivilTime> {
        to_utc(&self.offsets, line, local)
    }
}

/// What a line says, for the lines that matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CbsEventKind {
    TrustedInstallerInit,
    ServicingStackLoaded {
        version: String,
    },
    LastBootTime {
        boot: String,
    },
    SessionStart {
        session: String,
        client: String,
    },
    ExecStarted {
        session: String,
        client: String,
    },
    ExecComplete {
        session: String,
    },
    SessionFinalized {
        session: String,
        reboot_required: Option<bool>,
        asynchronous: bool,
        /// The Windows Update download result the line states beside the session's own (`Download error:
        /// 0x80240438 [Unknown Error], … [HRESULT = 0x800f0906 - CBS_E_DOWNLOAD_FAILURE]`): why the payload or
        /// repair content CBS needed could not be had.
        download_error: Option<u32>,
    },
    StartupState {
        state: String,
    },
    StartupComplete,
    StartupPackage {
        new_state: String,
    },
    PendingXml,
    WerReport {
        failure_source: String,
        start_state: String,
        target_state: String,
        client: String,
    },
    CsiFatal,
    StoreMarkedCorrupt,
    CorruptionRow {
        category: String,
        fixed: bool,
        item: String,
    },
    /// `[SR] Cannot repair member file [l:11]'dwmcore.dll' of <component>, … in the store, hash mismatch`: the
    /// member file as the component names it (`dwmcore.dll`, `Amd64\CNBJ2530.DPB`).
    SfcCannotRepair {
        file: String,
    },
    /// `[SR] Could not reproject corrupted file \??\C:\Windows\System32\\x.xml; source file in store is also
    /// corrupted`: SFC could not put back the projected copy because the store's copy is corrupt too. The path
    /// of the projected file (`C:\Windows\System32\x.xml`).
    SfcCouldNotReproject {
        path: String,
    },
    /// `[SR] Repairing file \??\C:\…\\img0.jpg from store` (and Windows 7's `Repaired file` / `Repairing
    /// corrupted file`): the path of the file SFC restored.
    SfcRepaired {
        file: String,
    },
    /// `Hashes for file member [l:8]'img0.jpg' do not match.` (Windows 8 and later) or `Hashes for file member
    /// \SystemRoot\WinSxS\<key>\x.dll do not match actual file [l:10]"x.dll"` (Vista to 8.1): CSI found a file
    /// whose content differs from its manifest, while SFC verifies or DISM checks the store. The member file.
    FileHashMismatch {
        file: String,
    },
    /// `Warning: Unable to repair payload file ([l:27]'x.cdxml') for component ([l:96 ml:140]'<key>') from
    /// backups directory …`: a corrupt store payload with no good backup copy; DISM falls back to Windows
    /// Update (or another source) for it. The member file.
    PayloadUnrepairable {
        file: String,
    },
    SfcTransactionComplete {
        all_repaired: bool,
    },
    SummaryDetected {
        count: u32,
    },
    SummaryRepaired {
        count: u32,
    },
    OperationResult,
    InstallerError,
    FailedOperation,
    /// Boot-time processing of the advanced operation queue begins (`Startup: Processing advanced operation
    /// queue`): the advanced installers of the pending operations run next.
    StartupQueue,
    /// CSI begins running an advanced installer (`Begin executing advanced installer phase 39 index 0
    /// (sequence 0)`); its name and component follow on continuation lines.
    InstallerBegin {
        sequence: u32,
    },
    /// `Installer name: 'Container Installer'` under an `InstallerBegin`.
    InstallerName {
        name: String,
    },
    /// `New component: Microsoft-Windows-…, version …, arch …` under an `InstallerBegin`: the installer runs to
    /// install (or update) that component; `Old component` alone means it runs to remove one.
    InstallerComponent {
        identity: String,
    },
    /// CSI finished an advanced installer (`End executing advanced installer (sequence 0)`); its completion
    /// status follows.
    InstallerEnd {
        sequence: u32,
    },
    /// `Completion status: S_OK` / `HRESULT_FROM_WIN32(1753)` under an `InstallerEnd`.
    InstallerStatus,
    /// `(F) Failed execution of queue item Installer: <name> ({guid}) with HRESULT …`: the queue gave up on an
    /// installer; a rollback follows.
    InstallerFailed {
        installer: String,
    },
    /// A row of CSI's error summary after the queue ran: `(F) Installer: <name>  Binary Name: <dll>  ErrorCode:
    /// <hex>  Phase: …`; the code is the installer's own.
    InstallerSummary {
        installer: String,
        binary: String,
    },
    BackupCabFailed,
    /// CBS rotated its log into this CbsPersist file.
    BackupArchived {
        name: String,
    },
    /// CBS fetching payload from Windows Update failed (`DWLD:Failed to do Windows update search [HRESULT =
    /// 0x8024402c …]`, `FC:   CFCAcquirerWUClient::Download(134): Result = 0x80240438`, `Failed to download FOD
    /// from WU`): the line's code is Windows Update's, not the servicing operation's.
    DownloadFailed,
    /// A failure-looking line that is routine noise (SQM uploads, probing for absent registry values…).
    Benign,
    /// A failure line that is not (yet) tied to an outcome.
    Failure,
}

/// One SetupAPI device-install section (`setupapi.dev.log`): what it installed, with which driver, and how it
/// ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInstall {
    /// The section's operation (`Device Install (Hardware initiated)`, `Setup online Device Install …`).
    pub operation: String,
    /// The device instance id or driver package the section names (`PCI\VEN_8086&DEV_8C14&…`).
    pub device: Option<String>,
    /// The selected driver node's INF (`oem0.inf (C:\…\lynxpointsystem.inf)`).
    pub driver_inf: Option<String>,
    /// Its date and version (`10/03/2016,10.1.1.38`).
    pub driver_version: Option<String>,
    /// The driver's name as the INF gives it (`Intel(R) 8 Series/C220 Series PCI Express Root Port #3 - 8C14`).
    pub driver_name: Option<String>,
    /// Whether the section has an exit status (a section without one was cut off: the log ends, or the
    /// machine stopped, during it).
    pub finished: bool,
    /// An unfinished section whose last step was waiting for another device's install to complete.
    pub waiting: bool,
    /// The first `!!!` line, with its line number.
    pub first_error: Option<(u64, String)>,
    /// The last step the section logged, with its line number.
    pub last_step: Option<(u64, String)>,
}

impl DeviceInstall {
    /// `driver Intel(R) … (oem0.inf, lynxpointsystem.inf, 10/03/2016,10.1.1.38)`, from what the section names.
    pub fn driver_label(&self) -> Option<String> {
        let inf = self.driver_inf.as_deref().map(|inf| {
            let short = inf.split(" (").next().unwrap_or(inf);
            let original = inf.rsplit(['\\', '/']).next().map(|n| n.trim_end_matches(')')).filter(|n| *n != short);
            match original {
                Some(original) => format!("{short}, {original}"),
                None => short.to_string(),
            }
        });
        let details: Vec<String> = inf.into_iter().chain(self.driver_version.clone()).collect();
        match (&self.driver_name, details.is_empty()) {
            (Some(name), false) => Some(format!("driver {name} ({})", details.join(", "))),
            (Some(name), true) => Some(format!("driver {name}")),
            (None, false) => Some(format!("driver {}", details.join(", "))),
            (None, true) => None,
        }
    }
}

/// What Windows Setup states about its own run (Panther setupact.log), read so that a feature-update attempt
/// can say which build it installed, how it was started and how often it had rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupFact {
    /// `SetupHost::Initialize: CmdLine = [/Install /Media /ClientId Win10UA:…]`: who started setup, and how.
    StartedBy { host: String, command_line: String },
    /// `Setup build version is: 10.0.19041.963 (…)`: the build setup installs.
    TargetBuild(String),
    /// `Current OS Build Version: [10.0.19045.4046]` / `Host OS version`: the build it upgrades from.
    SourceBuild(String),
    /// `SetupManager: RollbackCount = [18]`.
    RollbackCount(u32),
}

impl SetupFact {
    /// The setup fact a Panther message states, if any.
    pub fn of(message: &str) -> Option<SetupFact> {
        if message.starts_with("SetupHost::Initialize: CmdLine") {
            let value = message.split_once('=')?.1.trim();
            let command_line = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(value).to_string();
            return Some(SetupFact::StartedBy { host: host_of(&command_line), command_line });
        }
        if let Some(rest) = message.split_once("Setup build version is: ").map(|(_, r)| r) {
            return Some(SetupFact::TargetBuild(rest.split(' ').next()?.to_string()));
        }
        if let Some(rest) = message.split_once("Current OS Build Version: ").map(|(_, r)| r) {
            return Some(SetupFact::SourceBuild(rest.trim().trim_matches(['[', ']']).to_string()));
        }
        if let Some(rest) = message.split_once("RollbackCount = [").map(|(_, r)| r) {
            return rest.split(']').next()?.trim().parse().ok().map(SetupFact::RollbackCount);
        }
        None
    }
}

impl SetupFact {
    /// The build a setup command line's `/ClientId` names as the one it upgrades from (`…:[10.0.18363]:…`).
    pub fn source_build_in(command_line: &str) -> Option<String> {
        let client = command_line.split_once("/ClientId ")?.1.split(' ').next()?;
        client
            .split(":[")
            .skip(1)
            .map(|p| p.split(']').next().unwrap_or(p))
            .find(|p| p.starts_with("10.") || p.starts_with("6."))
            .map(str::to_string)
    }
}

/// Who started Windows Setup, from its command line's `/ClientId` (and `/Media`).
fn host_of(command_line: &str) -> String {
    let client = command_line.split_once("/ClientId ").map(|(_, r)| r.split(' ').next().unwrap_or(r)).unwrap_or("");
    let lower = client.to_ascii_lowercase();
    let by = if lower.starts_with("win10ua") || lower.starts_with("win11ua") {
        "the Windows Update Assistant"
    } else if lower.contains("updateorchestrator") || lower.contains("wuauserv") || lower.contains("windowsupdate") {
        "Windows Update"
    } else if lower.contains("mediacreationtool") || lower.starts_with("mct") {
        "the Media Creation Tool"
    } else if lower.contains("configmgr") || lower.contains("sccm") || lower.contains("ccmexec") {
        "Configuration Manager"
    } else if command_line.contains("/Media") || client.is_empty() {
        "setup.exe from installation media"
    } else {
        return format!("client {}", client.split(':').next().unwrap_or(client));
    };
    by.to_string()
}

/// How strongly Windows Setup's compatibility scan holds an item against the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockLevel {
    /// `BlockingType="Hard"` (or a `<HardBlocks>` entry): setup will not upgrade while the item is there.
    Hard,
    /// `BlockingType="Soft"`, a driver package setup will not migrate (`BlockMigration="True"`), or a
    /// `<SoftBlocks>` entry: the upgrade may go on, the item needs attention.
    Soft,
}

/// What kind of thing a compatibility entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatSubject {
    /// `<Program Name=… Id=…>`: an installed application.
    Program,
    /// `<Device Class=… DeviceInstanceId=… Manufacturer=… Model=…>`: a device (and its driver).
    Device,
    /// `<DriverPackage Inf=… BlockMigration=…>`: a third-party driver package of the driver store.
    DriverPackage,
    /// `<HardwareItem HardwareType=…>`: a system requirement (processor, memory, disk space, firmware…).
    Hardware,
    /// A `<HardBlocks>`/`<SoftBlocks>` section of Panther's `appcompat.xml` whose entries the file does not
    /// (or no longer, when cut) name.
    Unnamed,
}

impl CompatSubject {
    pub fn label(self) -> &'static str {
        match self {
            CompatSubject::Program => "app",
            CompatSubject::Device => "device",
            CompatSubject::DriverPackage => "driver package",
            CompatSubject::Hardware => "system requirement",
            CompatSubject::Unnamed => "compatibility issue",
        }
    }
}

/// One entry of Windows Setup's compatibility results (`CompatData_*.xml`, `ScanResult.xml`, Panther's
/// `appcompat.xml`) that holds something against the upgrade, with what the file names it by.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompatBlock {
    pub level: BlockLevel,
    pub subject: CompatSubject,
    /// The program's `Name`, the device's `Manufacturer Model`, the hardware item's `Title` or
    /// `HardwareType`, the driver package's `Inf`.
    pub name: Option<String>,
    /// The program's `Id`, the device's `DeviceInstanceId` (its hardware path), the hardware item's
    /// `HardwareType`.
    pub id: Option<String>,
    /// The driver package's INF (`oem12.inf`), or one a device or program entry names.
    pub inf: Option<String>,
    /// The device's setup class (`Display`, `Net`, …).
    pub class: Option<String>,
    /// `StatusDetail` (`WarnUpgrade`, …).
    pub status: Option<String>,
    /// What setup tells the user about it (`Message`, or the text of an `appcompat.xml` `<Message>`).
    pub message: Option<String>,
    /// What setup offers to do about it (`<Action Name=…>`: `Uninstall`, `Dismiss`, …).
    pub action: Option<String>,
    /// The `<Link Target=…>` setup shows with it.
    pub link: Option<String>,
    /// A driver package's `HasSignedBinaries` attribute.
    pub signed: Option<bool>,
}

impl CompatBlock {
    /// `app "Contoso VPN Client 4.2" ({3eb4…})`, `driver package oem12.inf`, `device Intel … (PCI\VEN_…)`.
    pub fn label(&self) -> String {
        let kind = self.subject.label();
        let name = self.name.as_deref().or(self.inf.as_deref());
        let id = self.id.as_deref().filter(|id| Some(*id) != name);
        match (name, id) {
            (Some(name), Some(id)) => format!("{kind} \"{name}\" ({id})"),
            (Some(name), None) => format!("{kind} \"{name}\""),
            (None, Some(id)) => format!("{kind} {id}"),
            (None, None) => kind.to_string(),
        }
    }
}
