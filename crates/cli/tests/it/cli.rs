//! The `patchdx` binary end to end: exit codes, text and JSON output, colour rules, explain.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn patchdx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(args)
        .current_dir(repo())
        .env_remove("NO_COLOR")
        .output()
        .expect("patchdx runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

/// The example bundle recreates case CAS-07293: KB5014805 failed twice with 0x80073712, evidenced only by
/// sources that survive CBS rotation, and the CBS history in the bundle starts after both failures.
#[test]
fn example_bundle_names_both_failures_and_says_cbs_does_not_cover_them() {
    let out = patchdx(&["analyze", "examples/cas-07293"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(
        text.contains("covers 2022-09-20 08:00:00 → 2022-10-24 17:00:00 local = 2022-09-20 00:00:00 → 2022-10-24 09:00:00 UTC, in 3 piece(s)"),
        "{text}"
    );
    assert!(text.contains("Windows/Logs/CBS/CbsPersist_20221012031005.log  2022-10-11 09:00:00 → 2022-10-12 11:10:02  UTC+08:00  478 lines  (gap of 1d 0h before it)"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when stdout is not a terminal");
    let json: serde_json::Value =
        serde_json::from_slice(&patchdx(&["analyze", "--json", "examples/cas-07293"]).stdout).expect("json");
    let failed: Vec<&serde_json::Value> =
        json["findings"].as_array().expect("findings").iter().filter(|f| f["verdict"] == "failed").collect();
    // One update failing twice the same way is one failure tried twice.
    assert_eq!(failed.len(), 1);
    let finding = failed[0];
    assert_eq!(finding["kb"], "KB5014805");
    assert_eq!(finding["code"]["hex"], "0x80073712");
    assert_eq!(finding["local_time"], "2022-09-09T15:58:23.417");
    assert_eq!(finding["utc_time"], "2022-09-09T07:58:23.417");
    assert_eq!(finding["outcome"]["file"], "Windows/SoftwareDistribution/ReportingEvents.log");
    assert_eq!(finding["diagnosis"][0]["rule"], "store-corrupt-0x80073712");
    let not_covering: Vec<&str> =
        finding["not_covered_by"].as_array().expect("spans").iter().filter_map(|s| s["source"].as_str()).collect();
    assert_eq!(not_covering, vec!["CBS", "CBS", "CBS"], "no CBS piece covers the failure");
    let covering: Vec<&str> =
        finding["covered_by"].as_array().expect("spans").iter().filter_map(|s| s["source"].as_str()).collect();
    assert!(covering.contains(&"ReportingEvents") && covering.contains(&"Sessions.xml"), "{covering:?}");
    let sources: Vec<&str> = std::iter::once(&finding["first_cause"])
        .chain(finding["cascade"].as_array().expect("cascade"))
        .filter_map(|e| e["source"].as_str())
        .collect();
    assert_eq!(sources, vec!["Sessions.xml", "WindowsUpdate.log", "ReportingEvents"]);
    // The first attempt is older than the oldest CBS piece; the second falls in the day between two pieces.
    let coverage = finding["coverage"].as_str().expect("coverage stated");
    assert!(coverage.starts_with("this failure is before the first line of the oldest CBS piece, CbsPersist_20221011010000.log (starts 2022-09-20 08:00:00, local)"), "{coverage}");
    let again = &finding["repeats"][0];
    assert_eq!(again["local_time"], "2022-10-10T16:38:25.731");
    assert_eq!(again["utc_time"], "2022-10-10T08:38:25.731");
    assert_eq!(again["outcome"]["line"], 51);
    let coverage = again["coverage"].as_str().expect("coverage of the second attempt");
    assert!(coverage.starts_with("this failure falls in the gap between CBS pieces CbsPersist_20221011010000.log (ends 2022-10-10 09:00:00) and CbsPersist_20221012031005.log (starts 2022-10-11 09:00:00), local time"), "{coverage}");
    assert_eq!(finding["repeats"].as_array().map(Vec::len), Some(1));
}

#[test]
fn diagnosed_failure_exits_1_and_json_carries_schema_code_and_evidence() {
    let out = patchdx(&["analyze", "--json", "tests/data/cbs/kb5014805-wu-install-store-corrupt-0x80073712.log"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["schema"], "patchdx.analysis/1");
    assert_eq!(json["verdict"]["exit_code"], 1);
    let finding = &json["findings"][0];
    assert_eq!(finding["kb"], "KB5014805");
    assert_eq!(finding["code"]["hex"], "0x80073712");
    assert_eq!(finding["code"]["name"], "ERROR_SXS_COMPONENT_STORE_CORRUPT");
    assert_eq!(finding["code"]["zh_cn"], "组件存储已损坏。");
    assert_eq!(finding["first_cause"]["line"], 21);
    assert_eq!(finding["outcome"]["line"], 37);
    assert_eq!(finding["local_time"], "2022-09-09T15:58:23.000");
    assert_eq!(finding["utc_time"], "2022-09-09T07:58:23.000");
    assert_eq!(finding["utc_offset"], "+08:00");
    assert_eq!(finding["phase"], "Resolve (Staged → Installed)");
}

#[test]
fn forced_colour_paints_and_no_color_environment_is_honoured() {
    let sample = "tests/data/cbs/kb5014805-wu-install-store-corrupt-0x80073712.log";
    let painted = stdout(&patchdx(&["analyze", "--color", "always", sample]));
    // --color always paints even into a pipe: the verdict in bold red (anstyle writes bold and colour as two
    // escapes), then a reset.
    assert!(painted.contains("\x1b[1m\x1b[31mFAILURE DIAGNOSED\x1b[0m"), "{painted}");
    let plain = stdout(&patchdx(&["analyze", "--color", "never", sample]));
    assert!(plain.contains("\nFAILURE DIAGNOSED\n"), "{plain}");
    assert!(!plain.contains('\x1b'), "--color never paints nothing");
    // Painting adds escapes and nothing else.
    assert_eq!(anstream::adapter::strip_str(&painted).to_string(), plain);
    // auto (the default) paints only a terminal: not this pipe, whatever NO_COLOR says.
    assert_eq!(stdout(&patchdx(&["analyze", sample])), plain);
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(["analyze", sample])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert_eq!(stdout(&out), plain);
}

/// Runs patchdx on a pseudo-terminal (util-linux `script`, part of every Debian base system) with `env` set;
/// `None` when `script` cannot run here.
fn on_terminal(args: &str, env: &[(&str, &str)]) -> Option<String> {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_patchdx"));
    let mut script = Command::new("script");
    script.args(["-qec", &command, "/dev/null"]).current_dir(repo());
    // What a colour terminal has, and none of the variables that would override auto.
    script.env("TERM", "xterm-256color");
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
        script.env_remove(name);
    }
    script.envs(env.iter().copied());
    let out = script.output().ok().filter(|out| out.status.code() == Some(1))?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn auto_colour_paints_a_terminal_unless_no_color_is_set() {
    let sample = "tests/data/cbs/kb5014805-wu-install-store-corrupt-0x80073712.log";
    let Some(painted) = on_terminal(&format!("analyze {sample}"), &[]) else {
        eprintln!("SKIPPED: util-linux `script` cannot give patchdx a terminal here");
        return;
    };
    assert!(painted.contains("\x1b[1m\x1b[31mFAILURE DIAGNOSED\x1b[0m"), "{painted}");
    for (args, env) in
        [(format!("analyze {sample}"), &[("NO_COLOR", "1")][..]), (format!("analyze --color never {sample}"), &[][..])]
    {
        let plain = on_terminal(&args, env).expect("ran on a terminal before");
        assert!(plain.contains("FAILURE DIAGNOSED") && !plain.contains('\x1b'), "{args} {env:?}: {plain}");
    }
}

#[test]
fn unreadable_input_exits_2_even_with_a_failure_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo().join("tests/data/cbs/kb5014805-wu-install-store-corrupt-0x80073712.log"),
        dir.path().join("CBS.log"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("CbsPersist_20220101000000.cab"), b"MSCF\0\0\0\0garbage").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx")).args(["analyze"]).arg(dir.path()).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("FAILURE DIAGNOSED"));
    assert!(text.contains("unreadable CbsPersist_20220101000000.cab: not a readable CAB archive"), "{text}");
}

#[test]
fn missing_input_is_an_error_with_exit_2() {
    let out = patchdx(&["analyze", "no/such/bundle.zip"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open the input"));
}

#[test]
fn version_names_the_scan_engine_and_the_variable_chooses_the_portable_one() {
    let text = stdout(&patchdx(&["--version"]));
    assert!(text.contains("CBS scan engine: avx512-vbmi;") || text.contains("CBS scan engine: portable;"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .arg("--version")
        .env("PATCHDX_SCAN_ENGINE", "portable")
        .output()
        .expect("runs");
    assert!(stdout(&out).contains("CBS scan engine: portable;"), "{}", stdout(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .arg("--version")
        .env("PATCHDX_SCAN_ENGINE", "sse9")
        .output()
        .expect("runs");
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(warning.contains("PATCHDX_SCAN_ENGINE=sse9 names no CBS scan engine"), "{warning}");
    // The portable engine diagnoses the case bundle exactly as the kernel does.
    let args = ["analyze", "--json", "examples/cas-07293"];
    let portable = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(args)
        .current_dir(repo())
        .env("PATCHDX_SCAN_ENGINE", "portable")
        .output()
        .expect("runs");
    assert_eq!(portable.status.code(), Some(1));
    assert_eq!(stdout(&portable), stdout(&patchdx(&args)));
}

#[test]
fn help_documents_the_exit_codes() {
    let text = stdout(&patchdx(&["analyze", "--help"]));
    assert!(text.contains("0  nothing failed"));
    assert!(text.contains("1  a failure was diagnosed"));
    assert!(text.contains("2  some input could not be read"));
}

#[test]
fn explain_reads_every_spelling_of_the_case_code() {
    for spelling in ["0x80073712", "80073712", "-2147010798", "2147956498", "14098"] {
        let out = patchdx(&["explain", "--json", spelling]);
        assert_eq!(out.status.code(), Some(0));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(json[0]["value"], "0x80073712", "{spelling}");
        assert_eq!(json[0]["name"], "ERROR_SXS_COMPONENT_STORE_CORRUPT");
    }
    let text = stdout(&patchdx(&["explain", "0x87654321"]));
    assert!(text.contains("unknown code"), "{text}");
    assert!(text.contains("does not guess"));
}

/// The case's own mistakes: the customer reports KB5015736, the logs show KB5014805 failing, the "offline
/// package" link downloads KB5016737, the bundle is the same as the last one and older than the new report.
#[test]
fn case_checks_name_the_kb_mismatch_the_wrong_link_and_the_stale_bundle() {
    let out = patchdx(&[
        "analyze",
        "--json",
        "examples/cas-07293",
        "--reported-kb",
        "KB5015736",
        "--instructions",
        "examples/cas-07293-src/case.md",
        "--previous",
        "examples/cas-07293",
        "--reported-time",
        "2022-11-08 10:00",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let case = &json["case"];
    assert_eq!(case["kb_check"]["reported"][0], "KB5015736");
    assert_eq!(case["kb_check"]["failing"]["KB5014805"], 2);
    let mentions: Vec<(String, bool)> = case["kb_check"]["instruction_mentions"]
        .as_array()
        .expect("mentions")
        .iter()
        .map(|m| (m["kb"].as_str().unwrap_or_default().to_string(), m["in_link"].as_bool().unwrap_or_default()))
        .collect();
    assert!(mentions.contains(&("KB5016737".to_string(), true)), "{mentions:?}");
    let statements: Vec<&str> = case["kb_check"]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .filter_map(|s| s["en"].as_str())
        .collect();
    assert!(statements[0].starts_with("The customer reports KB5015736, but no source in the bundle shows an attempt to install it; the failing update in the logs is KB5014805"), "{statements:?}");
    assert!(statements.iter().any(|s| s.starts_with("The link in case.md downloads KB5016737")), "{statements:?}");
    assert_eq!(case["previous"]["identical"], true);
    assert!(case["freshness"]["en"].as_str().unwrap_or_default().contains("older than the failure being reported"));
    assert!(case["freshness"]["zh_cn"].as_str().unwrap_or_default().contains("早于所报告的故障时间"));
}

/// The Markdown report carries the case summary in both languages, written from the findings.
#[test]
fn markdown_report_carries_the_bilingual_case_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("case.md");
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(["analyze", "examples/cas-07293", "--reported-kb", "KB5015736", "--format", "markdown", "--out"])
        .arg(&out_file)
        .current_dir(repo())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "--out writes the file, not stdout");
    let text = std::fs::read_to_string(&out_file).expect("report written");
    assert!(text.starts_with("# patchdx analysis of `examples/cas-07293`"));
    assert!(text.contains(
        "| F1 | Failed | KB5014805 | 0x80073712 ERROR_SXS_COMPONENT_STORE_CORRUPT | 2022-09-09 15:58:23.417 |"
    ));
    assert!(text.contains("### 中文"));
    assert!(text.contains("- 客户报告 KB5015736 安装失败。"));
    assert!(text.contains(
        "F1 第 1 次尝试（2022-09-09 15:58:23.417）：此失败早于最早的 CBS 日志片段 CbsPersist_20221011010000.log 的第一行"
    ));
    assert!(text.contains("F1 第 2 次尝试（2022-10-10 16:38:25.731）：此失败发生在 CBS 日志片段 CbsPersist_20221011010000.log（结束于 2022-10-10 09:00:00）与 CbsPersist_20221012031005.log（开始于 2022-10-11 09:00:00）之间的空档"));
    assert!(text.contains("1. 检查组件存储：DISM /Online /Cleanup-Image /ScanHealth"));
    assert!(text.contains("- Still unknown: which component is damaged."));
}

/// Guards a deadlock: two .evtx files read at once each blocked a thread the evtx parser needed.
#[test]
fn bundle_with_two_event_logs_finishes() {
    let Some(fixtures) = patchdx_testkit::fixtures::fixture("evtx") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for name in
        ["3gstudent_Setup_KB4093137_0x800f0816.evtx", "gbzrlk021_System_WUClient.evtx", "anotherc0ne_Setup_empty.evtx"]
    {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).expect("copy");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(["analyze", "--json"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("patchdx analyze did not finish within 60 s on three event logs");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(1), "KB4093137 failed with 0x800f0816 in the Setup log");
}

/// The rules load on another thread while the bundle is read: their problems must still stop `analyze`
/// (an error exit, the count named, no report printed).
#[test]
fn analyze_refuses_rules_with_problems_even_though_they_load_in_the_background() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("broken.yaml"),
        "rules:\n  - id: broken-rule\n    title: {en: \"x\", zh-CN: \"x\"}\n    category: access-denied\n    severity: high\n    confidence: medium\n    match:\n      any:\n        - message: \"([unclosed\"\n",
    )
    .expect("write rule");
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(["analyze", "--json", "--rules"])
        .arg(dir.path())
        .arg(repo().join("examples/cas-07293"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("problems (run `patchdx rules lint`)"), "{stderr}");
    assert!(out.stdout.is_empty(), "a report was printed: {}", String::from_utf8_lossy(&out.stdout));
}
