//! The HTML report of the example case bundle: sections and facts present, untrusted text escaped, nothing
//! loaded from the network, and (where chromium is installed) the page renders in a real browser without a
//! script error.

use patchdx_diagnose::Analysis;
use patchdx_diagnose::timeline::Timeline;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const XSS: &str = "<script>alert(1)</script>";

fn example() -> (Analysis, Timeline) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cas-07293");
    let bundle =
        patchdx_formats::registry::open(&path, &patchdx_bundle::OpenOptions::default()).expect("open example bundle");
    let analysis = patchdx_diagnose::analyze(&bundle, Default::default()).analysis;
    let timeline = patchdx_diagnose::timeline_of(&bundle).0;
    (analysis, timeline)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("html-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn position(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} missing from the page"))
}

#[test]
fn example_report_has_sections_and_facts_in_order() {
    let (analysis, timeline) = example();
    let html = patchdx_report::render_html(&analysis, &timeline);
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80.min(html.len())]);
    for fact in [
        "KB5014805",
        "0x80073712",
        "ERROR_SXS_COMPONENT_STORE_CORRUPT",
        "The component store has been corrupted.",
        "组件存储已损坏",
        "2022-09-09 15:58:23.417",
        "2022-09-09 07:58:23.417",
        "2022-10-10 16:38:25.731",
        "2022-10-10 08:38:25.731",
        "DISM /Online /Cleanup-Image /ScanHealth",
        "a failure was diagnosed",
        "<svg",
        "id=\"tl-q\"",
        "id=\"tl-src\"",
    ] {
        assert!(html.contains(fact), "{fact:?} missing from the page");
    }
    // Sections in the documented order.
    let order = ["id=\"verdict\"", "id=\"findings\"", "id=\"coverage\"", "id=\"timeline\"", "id=\"warnings\""];
    let order = order.iter().chain(&["id=\"next-steps\"", "id=\"case-summary\""]);
    let positions: Vec<usize> = order.map(|s| position(&html, s)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "sections out of order: {positions:?}");
    // The chart sits in the coverage section, with a marker per failure and the CBS pieces as bars.
    let svg = &html[position(&html, "<svg")..position(&html, "</svg>")];
    // One marker per attempt: the failure and its repeat a month later.
    assert_eq!(svg.matches("class=\"marker failure\"").count(), 2, "{svg}");
    assert!(svg.contains(">F1#2<"), "the second attempt is not labelled: {svg}");
    assert_eq!(svg.matches("class=\"piece").count(), analysis.cbs.history.pieces.len(), "{svg}");
    assert!(svg.contains("class=\"gap\""), "the one-day gap between CBS pieces is not drawn: {svg}");
    // Every timeline event is a row.
    assert_eq!(html.matches("<tr data-src=").count(), timeline.events.len());
    // Both languages of the case summary.
    assert!(html.contains("案例总结") && html.contains(analysis.summary.en.lines().next().unwrap()));
    assert!(!analysis.summary.zh_cn.is_empty());
}

#[test]
fn untrusted_text_is_escaped() {
    let (mut analysis, mut timeline) = example();
    analysis.input = XSS.to_string();
    let finding = &mut analysis.findings[0];
    finding.title = format!("title {XSS}");
    finding.first_cause.text = format!("first cause {XSS}");
    finding.first_cause.file = format!("file\"{XSS}");
    if let Some(d) = finding.diagnosis.first_mut() {
        d.commands.push(format!("cmd {XSS}"));
        d.references.push(format!("javascript:{XSS}"));
    }
    analysis.summary.zh_cn.push_str(XSS);
    timeline.events[0].message = format!("event {XSS}");
    timeline.events[0].file = format!("\" onmouseover=\"{XSS}");
    let html = patchdx_report::render_html(&analysis, &timeline);
    assert!(!html.contains(XSS), "raw script tag in the page");
    // askama writes numeric entities: `<` is `&#60;`, `>` is `&#62;`, `"` is `&#34;`.
    assert!(html.matches("&#60;script&#62;alert(1)&#60;/script&#62;").count() >= 8, "escaped text missing");
    assert!(!html.contains("\" onmouseover=\""), "attribute injection");
    // The page's own script is the only one.
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("</script").count(), 1);
}

/// Values of `attr=` (quoted or not) in the page, lower-cased.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let needle = format!("{attr}=");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle) {
        let start = from + i + needle.len();
        let rest = lower[start..].trim_start();
        let value: String = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].chars().take_while(|c| *c != q).collect(),
            _ => rest.chars().take_while(|c| !c.is_whitespace() && *c != '>').collect(),
        };
        out.push(value.trim().to_string());
        from = start;
    }
    out
}

#[test]
fn page_loads_nothing_from_the_network() {
    let (analysis, timeline) = example();
    let html = patchdx_report::render_html(&analysis, &timeline);
    let lower = html.to_ascii_lowercase();
    for attr in ["src", "href", "srcset", "action", "data", "poster"] {
        for value in attribute_values(&html, attr) {
            // Attributes named like these inside text are escaped, so anything found is a real attribute;
            // only in-page anchors are allowed.
            let remote = value.starts_with("http:") || value.starts_with("https:") || value.starts_with("//");
            assert!(!remote, "{attr}={value:?} loads from the network");
            if attr == "href" {
                assert!(value.starts_with('#'), "href={value:?} is not an in-page link");
            }
        }
    }
    for forbidden in ["<link", "@import", "url(http", "url(//", "<iframe", "<img", "<object", "<embed"] {
        assert!(!lower.contains(forbidden), "the page contains {forbidden:?}");
    }
    assert!(lower.contains("content-security-policy"), "no CSP meta tag");
    // The references are written as plain text (the rule data carries learn.microsoft.com links).
    assert!(html.contains("https://learn.microsoft.com"), "references missing");
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().map(PathBuf::from).find(|p| p.exists())
}

/// Runs `cmd`, killing it after `limit`; returns (success, timed out).
fn run_with_timeout(mut cmd: Command, limit: Duration) -> (bool, bool) {
    let mut child = cmd.spawn().expect("start chromium");
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => return (status.success(), false),
            None if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return (false, true);
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn renders_in_a_real_browser_without_script_errors() {
    let Some(browser) = chromium() else {
        let message = "chromium is not installed: the HTML report was NOT checked in a real browser \
                       (scripts/test.sh installs the Debian package `chromium`)";
        eprintln!("\n{0}\n!! {message} !!\n{0}\n", "!".repeat(message.len() + 6));
        if std::env::var_os("CI").is_some() {
            panic!("{message}");
        }
        return;
    };
    let (analysis, timeline) = example();
    let dir = scratch("browser");
    let page = dir.join("report.html");
    std::fs::write(&page, patchdx_report::render_html(&analysis, &timeline)).expect("write page");
    let shot = dir.join("shot.png");
    let stderr_path = dir.join("stderr.txt");
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2000",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()))
    .arg(format!("--screenshot={}", shot.display()))
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(&stderr_path).expect("stderr file"));
    let (ok, timed_out) = run_with_timeout(cmd, Duration::from_secs(60));
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(!timed_out, "chromium did not finish in 60 s; stderr:\n{stderr}");
    assert!(ok, "chromium failed; stderr:\n{stderr}");
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "screenshot is {size} bytes; stderr:\n{stderr}");
    // Chromium logs the page's console output and uncaught exceptions as
    // `[…:INFO:CONSOLE:12] "Uncaught ReferenceError: …", source: file:///…/report.html (12)`
    // (CSP violations, e.g. a blocked network load, are reported the same way).
    let console: Vec<&str> =
        stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("console")).collect();
    assert!(console.is_empty(), "the page logged to the console:\n{}", console.join("\n"));

    assert_filters_work(&dir, &page, &timeline);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The page's timeline filters work: a probe script drives them, and chromium dumps the DOM it leaves.
fn assert_filters_work(dir: &Path, page: &Path, timeline: &Timeline) {
    let probe = r##"<script>(function () {
  var q = document.getElementById("tl-q"), s = document.getElementById("tl-src");
  q.value = "0x80073712"; q.dispatchEvent(new Event("input"));
  var text = document.querySelectorAll("#tl-body tr:not([hidden])").length;
  q.value = ""; q.dispatchEvent(new Event("input"));
  s.value = "sessions-xml"; s.dispatchEvent(new Event("change"));
  var source = document.querySelectorAll("#tl-body tr:not([hidden])").length;
  document.body.setAttribute("data-probe", text + "|" + source);
})();</script></body>"##;
    let html = std::fs::read_to_string(page).expect("read page").replace("</body>", probe);
    let probe_page = dir.join("probe.html");
    std::fs::write(&probe_page, html).expect("write probe page");
    let dom_path = dir.join("dom.html");
    let mut cmd = Command::new(chromium().expect("chromium"));
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--dump-dom"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("file://{}", probe_page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_path).expect("dom file"))
        .stderr(Stdio::null());
    let (ok, timed_out) = run_with_timeout(cmd, Duration::from_secs(60));
    assert!(ok && !timed_out, "chromium --dump-dom failed");
    let dom = std::fs::read_to_string(&dom_path).unwrap_or_default();
    let at = dom.find("data-probe=\"").expect("probe result missing: the page's script did not run") + 12;
    let result = &dom[at..at + dom[at..].find('"').expect("closing quote")];
    let (text, source) = result.split_once('|').expect("two counts");
    let text: usize = text.parse().expect("count");
    let source: usize = source.parse().expect("count");
    let total = timeline.events.len();
    assert!(text > 0 && text < total, "text filter kept {text} of {total}");
    let sessions = timeline.events.iter().filter(|e| e.source == patchdx_formats::event::Source::SessionsXml).count();
    assert_eq!(source, sessions, "source filter");
}

/// The console check above does catch a script error: a page with one makes chromium print the pattern.
#[test]
fn browser_check_sees_a_deliberate_script_error() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("jserror");
    let page = dir.join("broken.html");
    std::fs::write(&page, "<!DOCTYPE html><p>x</p><script>notDefined();</script>").expect("write page");
    let stderr_path = dir.join("stderr.txt");
    let mut cmd = Command::new(browser);
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-logging=stderr", "--v=0"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", dir.join("shot.png").display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"));
    let (_, timed_out) = run_with_timeout(cmd, Duration::from_secs(60));
    assert!(!timed_out);
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        stderr.lines().any(|l| l.contains(":CONSOLE") && l.contains("Uncaught ReferenceError")),
        "chromium did not report the deliberate error the way the check expects:\n{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
