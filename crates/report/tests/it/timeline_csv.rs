//! `patchdx timeline --csv`: the exact bytes for text a spreadsheet would run as a formula, for text that needs
//! CSV quoting, and for Chinese text.

use patchdx_formats::CivilTime;
use patchdx_formats::event::{Action, Event, Level, Source};

const HEADER: &str =
    "utc,local,source,file,line,record,level,action,kb,title,package,update_id,code,client,phase,message\n";

fn event(message: &str) -> Event {
    let mut e =
        Event::new(Source::WindowsUpdateLog, "Windows/Logs/WindowsUpdate.log", Action::Note, Level::Info, message);
    e.line = Some(42);
    e.local = CivilTime::from_parts(2022, 9, 9, 15, 58, 23, 417);
    e
}

fn csv(events: &[Event]) -> String {
    let events: Vec<&Event> = events.iter().collect();
    patchdx_report::render_timeline_csv(&events).expect("CSV in memory")
}

#[test]
fn header_alone_when_no_event() {
    assert_eq!(csv(&[]), HEADER);
}

#[test]
fn cells_a_spreadsheet_would_run_get_a_leading_apostrophe() {
    let mut e = event("=cmd|' /C calc'!A0");
    e.file = "-p.log".to_string();
    e.kb = Some("@SUM(A1)".to_string());
    e.title = Some("+1+1".to_string());
    e.package = Some("\t=1+1".to_string());
    e.client = Some("\r=1+1".to_string());
    // Not at the start: left alone.
    e.phase = Some("a=b-c".to_string());
    let row = "-,2022-09-09 15:58:23.417,WindowsUpdate.log,'-p.log,42,,info,note,'@SUM(A1),'+1+1,'\t=1+1,,,\
               \"'\r=1+1\",a=b-c,'=cmd|' /C calc'!A0\n";
    assert_eq!(csv(&[e]), format!("{HEADER}{row}"));
}

#[test]
fn quotes_commas_and_line_breaks_are_quoted_the_rfc_4180_way() {
    let mut e = event("He said \"stop\", then\nleft");
    e.title = Some("2022-09 Cumulative Update, x64".to_string());
    e.package = Some("line\r\nbreak".to_string());
    e.client = Some("\"quoted\"".to_string());
    e.code = Some(0x8007_3712);
    let row = "-,2022-09-09 15:58:23.417,WindowsUpdate.log,Windows/Logs/WindowsUpdate.log,42,,info,note,,\
               \"2022-09 Cumulative Update, x64\",\"line\r\nbreak\",,0x80073712,\"\"\"quoted\"\"\",,\
               \"He said \"\"stop\"\", then\nleft\"\n";
    assert_eq!(csv(&[e]), format!("{HEADER}{row}"));
}

#[test]
fn chinese_text_is_written_as_it_is() {
    let mut e = event("更新失败：错误 0x80073712，组件存储已损坏");
    e.title = Some("2022-09 适用于 Windows 10 的累积更新 (KB5017308)".to_string());
    e.phase = Some("安装".to_string());
    let row = "-,2022-09-09 15:58:23.417,WindowsUpdate.log,Windows/Logs/WindowsUpdate.log,42,,info,note,,\
               2022-09 适用于 Windows 10 的累积更新 (KB5017308),,,,,安装,更新失败：错误 0x80073712，组件存储已损坏\n";
    assert_eq!(csv(&[e]), format!("{HEADER}{row}"));
}
