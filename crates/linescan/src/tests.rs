use super::*;

const GROUPS: &[&[&str]] = &[
    &["@201", "Loaded Serv", "g.xml"],
    &["rting TrustedInstaller", "rtup:", "Exec:"],
    &["@203", "@200"],
    &["[SR]", "hr =", "(F) ", "hr: ", "by client"],
    &["TI: ", "finalize", "Error", "hr:0"],
    &["ESULT", "tup processing compl", "ailed"],
    &["Result =", "@202", "on result", "ailure"],
    &["(p)\t", "Archived backup", "Universal Time", "rrupt"],
];

/// xorshift64: the tests must not depend on a random crate's algorithm changing.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Text made of literals, pieces of literals, line breaks, bytes above 0x7f (which alias ASCII in the
/// kernel's tables) and filler, so that hits, near misses and line breaks come close together.
fn random_text(rng: &mut Rng, len: usize, groups: &[&[&str]]) -> Vec<u8> {
    let literals: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let mut text = Vec::with_capacity(len + 32);
    while text.len() < len {
        match rng.below(10) {
            0 => text.extend_from_slice(literals[rng.below(literals.len())].as_bytes()),
            1 => {
                let literal = literals[rng.below(literals.len())].as_bytes();
                text.extend_from_slice(&literal[..rng.below(literal.len())]);
            }
            2 => text.push(b'\n'),
            3 => {
                let literal = literals[rng.below(literals.len())].as_bytes();
                text.extend(literal.iter().map(|b| b | 0x80));
            }
            4 => text.push(0),
            _ => text.extend_from_slice(&b"2022-09-09 15:58:22, Info   CBS  xyz "[..rng.below(37)]),
        }
    }
    text.truncate(len);
    text
}

/// Every hit from every start, with the newlines counted on the way.
fn all_hits(scanner: &LineScanner, text: &[u8]) -> Vec<(Option<Hit>, u64)> {
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        let found = scanner.find(text, from);
        out.push((found.hit, found.newlines));
        match found.hit {
            Some(hit) => from = hit.start + 1,
            None => return out,
        }
    }
}

fn engines(groups: &[&[&str]]) -> (LineScanner, LineScanner) {
    let fast = LineScanner::new(groups).expect("literals");
    let portable = LineScanner::with_engine(groups, Engine::Portable).expect("literals");
    assert_eq!(portable.engine(), Engine::Portable);
    if fast.engine() == Engine::Portable {
        eprintln!("WARNING: this CPU has no AVX-512 VBMI: only the portable engine is tested here");
    }
    (fast, portable)
}

#[test]
fn both_engines_find_the_same_hits_and_count_the_same_lines() {
    let (fast, portable) = engines(GROUPS);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..400 {
        let len = [0, 1, 3, 4, 63, 64, 66, 67, 68, 130, 1000, 5000][round % 12] + rng.below(3);
        let text = random_text(&mut rng, len, GROUPS);
        assert_eq!(all_hits(&fast, &text), all_hits(&portable, &text), "round {round}");
        for _ in 0..8 {
            let from = rng.below(len + 2);
            assert_eq!(fast.find(&text, from), portable.find(&text, from), "round {round} from {from}");
        }
    }
}

#[test]
fn a_portable_order_of_its_own_changes_no_hit() {
    let mut order: Vec<&str> = GROUPS.iter().flat_map(|g| g.iter().copied()).collect();
    order.reverse();
    let reordered = LineScanner::with_portable_order(GROUPS, Engine::Portable, &order).expect("same literals");
    let (fast, portable) = engines(GROUPS);
    let mut rng = Rng(7);
    for round in 0..100 {
        let text = random_text(&mut rng, 300 + round * 13, GROUPS);
        let hits = all_hits(&reordered, &text);
        assert_eq!(hits, all_hits(&portable, &text), "round {round}");
        assert_eq!(hits, all_hits(&fast, &text), "round {round}");
    }
    assert_eq!(
        LineScanner::with_portable_order(GROUPS, Engine::Portable, &order[1..]).err(),
        Some(BuildError::OrderMismatch)
    );
    let prefixes: &[&[&str]] = &[&["hr:0x", "hr:0"]];
    assert_eq!(
        LineScanner::with_portable_order(prefixes, Engine::Portable, &["hr:0", "hr:0x"]).err(),
        Some(BuildError::OrderDecidesPriority)
    );
}

#[test]
fn the_first_listed_literal_wins_at_the_same_start() {
    // "hr: " and "hr:0" share three bytes; "ailed" and "ailure" two. Listed order decides, not length.
    let groups: &[&[&str]] = &[&["hr:0x", "hr:0"], &["ailure", "ailed", "ailu"]];
    let (fast, portable) = engines(groups);
    for (text, literal) in [(&b"x hr:0x5"[..], 0), (b"failure", 2), (b"failed\n", 3)] {
        for scanner in [&fast, &portable] {
            assert_eq!(scanner.find(text, 0).hit.map(|h| h.literal), Some(literal), "{text:?}");
        }
    }
}

#[test]
fn newlines_are_counted_up_to_the_hit_or_the_end() {
    let (fast, portable) = engines(GROUPS);
    let mut text = b"a\nb\n".repeat(40);
    text.extend_from_slice(b"x Error y\n\n");
    for scanner in [&fast, &portable] {
        let found = scanner.find(&text, 0);
        assert_eq!(found.hit, Some(Hit { start: 162, end: 167, literal: 15 }));
        assert_eq!(found.newlines, 80);
        assert_eq!(scanner.find(&text, 163), Found { hit: None, newlines: 2 });
        assert_eq!(scanner.find(&text, text.len()), Found { hit: None, newlines: 0 });
    }
}

#[test]
fn bytes_above_0x7f_never_match_an_ascii_literal() {
    let (fast, _) = engines(GROUPS);
    let text: Vec<u8> = b"Error [SR] @2022 ".iter().map(|b| b | 0x80).cycle().take(500).collect();
    assert_eq!(fast.find(&text, 0), Found { hit: None, newlines: 0 });
}

#[test]
fn short_literals_and_bad_sets_are_handled() {
    let short = LineScanner::new(&[&["ab", "Error"]]).expect("literals");
    assert_eq!(short.engine(), Engine::Portable, "a literal under the fingerprint length goes to the portable engine");
    assert_eq!(short.find(b"x\nab", 0).hit.map(|h| h.start), Some(2));
    assert_eq!(LineScanner::new(&[]).err(), Some(BuildError::NoLiterals));
    for engine in [Engine::Avx512, Engine::Portable] {
        assert_eq!(Engine::from_name(engine.name()), Some(engine));
    }
    assert_eq!(Engine::from_name("avx2"), None);
    assert_eq!(LineScanner::new(&[&["abcd", ""]]).err(), Some(BuildError::EmptyLiteral { literal: 1 }));
    let nine: Vec<&[&str]> = vec![&["abcd"]; 9];
    assert_eq!(LineScanner::new(&nine).err(), Some(BuildError::TooManyGroups(9)));
}
