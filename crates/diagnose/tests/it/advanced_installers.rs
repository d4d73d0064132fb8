//! Class: an advanced installer's failure names the installer, its own code and the components it was
//! installing; the queue's 0x800F0922, its rollback and the summary of the rollback boot are one finding with
//! that as cascade; a later boot-time processing that runs the same installer through resolves it.

use crate::common::*;
use patchdx_diagnose::{Analysis, Verdict};

const FAILED: &str = "cbs/SecretLUL-WinMedic_26100_CbsPersist_cut_container_AI_0x800f0922.log";
const SUCCEEDED: &str = "cbs/SecretLUL-WinMedic_26100_CbsPersist_cut_container_AI_success.log";

fn analyze_together(paths: &[std::path::PathBuf]) -> Analysis {
    let dir = tempfile::tempdir().expect("scratch");
    for path in paths {
        let name = path.file_name().expect("file name");
        std::fs::copy(path, dir.path().join(name)).expect("copy");
    }
    analyze(dir.path())
}

/// The fixture's reading: the Container Installer fails after five minutes with HRESULT_FROM_WIN32(1753)
/// (0x800706D9 EPT_S_NOT_REGISTERED), the queue fails with 0x800F0922 and rolls back, 0x80070BC2 only asks for
/// a reboot, and the rollback boot ends with 0x800F0922: one failure, not three.
#[test]
fn container_installer_failure_is_one_finding_naming_installer_code_and_components() {
    let Some(path) = fixture(FAILED) else { return };
    let analysis = analyze(&path);
    assert_eq!(analysis.findings.len(), 1, "{:#?}", analysis.findings.iter().map(|f| &f.title).collect::<Vec<_>>());
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Failed);
    assert_eq!(
        f.title,
        "Advanced installer Container Installer (containerai.dll) failed with 0x800706D9 EPT_S_NOT_REGISTERED; \
         the operation queue failed with 0x800F0922 CBS_E_INSTALLERS_FAILED and was rolled back"
    );
    let ai = f.installer.as_ref().expect("installer named");
    assert_eq!(ai.name, "Container Installer");
    assert_eq!(ai.binary.as_deref(), Some("containerai.dll"));
    assert_eq!(ai.code.value, 0x8007_06D9, "the installer's own code, never the [gle=0x80004005]");
    assert_eq!(
        ai.components,
        [
            "Microsoft-Windows-Containers-DisposableClientVM, version 10.0.26100.9549, arch amd64",
            "Microsoft-Windows-Professional-Config, version 10.0.26100.9550, arch amd64",
        ]
    );
    assert_eq!(f.code.as_ref().map(|c| c.value), Some(0x8007_06D9));
    assert_eq!(local(f.local_time), "2026-10-08 20:55:05");
    // The installer's own error line, inside its block, is where it went wrong first.
    assert_eq!(f.first_cause.line, 34);
    assert!(f.first_cause.text.contains("Failed to create container base layer"), "{}", f.first_cause.text);
    assert_eq!(f.outcome.line, 45);
    let cascade: Vec<u64> = f.cascade.iter().map(|e| e.line).collect();
    assert_eq!(
        cascade,
        [38, 39, 43, 45, 86],
        "status, queue verdict, summary row, the queue failing, the rollback boot's summary"
    );
    assert!(f.cascade.iter().all(|e| !e.text.contains("0x80070bc2")), "the reboot request is no failure");
    assert_eq!((analysis.verdict.failures, analysis.verdict.exit_code), (1, 1));
}

/// The same machine at 23:01–23:06: the Container Installer completes S_OK and boot-time processing ends S_OK.
/// With the failing log beside it the failure is resolved then; the success alone is no failure at all.
#[test]
fn a_later_boot_that_runs_the_same_installer_through_resolves_it_and_the_rollback_boot_does_not() {
    let (Some(failed), Some(succeeded)) = (fixture(FAILED), fixture(SUCCEEDED)) else { return };
    let analysis = analyze_together(&[failed, succeeded.clone()]);
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Resolved);
    let r = f.resolution.as_ref().expect("resolved");
    assert_eq!(local(r.local_time), "2026-10-08 23:06:57");
    assert_eq!(r.operation, "advanced installer Container Installer");
    assert!(r.by.file.ends_with("SecretLUL-WinMedic_26100_CbsPersist_cut_container_AI_success.log"));
    assert_eq!(r.by.line, 40);
    assert_eq!((analysis.verdict.failures, analysis.verdict.resolved, analysis.verdict.exit_code), (0, 1, 0));
    assert!(analyze(&succeeded).findings.is_empty());
}

/// The same class in the Windows 10 1809 shape: the HTTP Installer fails with HRESULT_FROM_WIN32(1058)
/// (ERROR_SERVICE_DISABLED) during the boot-time processing of a cumulative update.
#[test]
fn http_installer_of_1809_names_service_disabled_not_the_queue_code() {
    let analysis = analyze(&sample("cbs/kb5005568-1809-http-installer-service-disabled-0x800f0922.log"));
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    let ai = f.installer.as_ref().expect("installer named");
    assert_eq!((ai.name.as_str(), ai.binary.as_deref()), ("HTTP Installer", Some("httpai.dll")));
    assert_eq!(ai.code.value, 0x8007_0422);
    assert_eq!(
        ai.components,
        [
            "Microsoft-Windows-DLNA-MDEServer, Culture=neutral, Version=10.0.17763.2114, PublicKeyToken=31bf3856ad364e35, ProcessorArchitecture=amd64, versionScope=NonSxS"
        ]
    );
    assert_eq!(f.package.as_deref(), Some("Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.2114.1.9"));
    assert_eq!(f.first_cause.line, 21);
    assert_eq!(f.cascade.last().map(|e| e.line), Some(36), "the rollback's summary ends the cascade");
}
