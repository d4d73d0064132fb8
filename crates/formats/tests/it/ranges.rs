//! Splitting a large CBS log into byte ranges scanned in parallel must not change a single line number,
//! timestamp or record (guards the range reader and the merge of per-range results).

use patchdx_testkit::fixtures::fixture;

#[test]
fn scanning_in_small_ranges_gives_the_same_records_as_one_pass() {
    let Some(path) = fixture("cbs/asrana0002_ws2022_20348_CBS.log") else { return };
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    let entries: Vec<_> = bundle.entries.iter().collect();
    let whole = patchdx_formats::cbs::read_all_in_ranges(&entries, u64::MAX / 4);
    for range in [1 << 20, 777_777, 64 << 10] {
        let split = patchdx_formats::cbs::read_all_in_ranges(&entries, range);
        let (fa, fb) = (&whole[0], &split[0]);
        let (a, b) = (fa.cbs.as_deref().expect("CBS facts"), fb.cbs.as_deref().expect("CBS facts"));
        assert_eq!(a.lines, 84077);
        assert_eq!(b.lines, a.lines, "range {range}");
        assert_eq!(b.first.map(|f| (f.line, f.local)), a.first.map(|f| (f.line, f.local)));
        assert_eq!(b.last.map(|f| (f.line, f.local)), a.last.map(|f| (f.line, f.local)));
        assert_eq!(fb.events.len(), fa.events.len(), "range {range}");
        for (x, y) in fa.events.iter().zip(&fb.events) {
            assert_eq!((x.line, &x.message, x.local), (y.line, &y.message, y.local), "range {range}");
        }
        // Every offset segment, with where it starts and how many lines gave it: samples are thinned per chunk,
        // but the count of observations must not depend on where chunks and ranges are cut.
        let offsets = |l: &patchdx_formats::cbs::CbsLog| {
            l.offsets.iter().map(|o| (o.from_line, o.offset_seconds, o.samples, o.source)).collect::<Vec<_>>()
        };
        assert_eq!(offsets(b), offsets(a), "range {range}");
        assert!(offsets(a).iter().map(|o| o.2).sum::<usize>() > 100, "{:?}", offsets(a));
    }
}
