//! Robustness: no input makes the parser panic. Every prefix of every valid fixture (cut at each
//! byte, so UTF-8 and UTF-16 characters are split too) and many seeded random mutations of each
//! either parse or give an error located in the file.

use std::path::PathBuf;

use comsim_appconfig::{codes, parse_config};

const FILE: &str = "fuzz.config";

/// SplitMix64: a small deterministic generator, so a failure reproduces exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn valid_fixtures() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/config/valid");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "config"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 5,
        "expected the valid fixtures in {}",
        dir.display()
    );
    out
}

/// Parses and checks the one promise made for bad input: an error names the file and a position.
fn check(bytes: &[u8], what: &dyn Fn() -> String) {
    if let Err(e) = parse_config(FILE, bytes) {
        let loc = e
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{}: error without a location: {e}", what()));
        assert_eq!(&*loc.file, FILE, "{}", what());
        assert!(loc.line >= 1 && loc.column >= 1, "{}: {e}", what());
        // Rendering (snippet and caret) must not panic either.
        let _ = e.to_string();
    }
}

#[test]
fn every_prefix_of_every_valid_fixture_parses_or_fails_located() {
    for (path, bytes) in valid_fixtures() {
        for end in 0..=bytes.len() {
            check(&bytes[..end], &|| {
                format!("{} cut at {end}", path.display())
            });
        }
    }
}

#[test]
fn random_mutations_of_valid_fixtures_never_panic() {
    // Bytes that matter to XML, to the decoders and to the parser's own rules.
    const INTERESTING: &[u8] = b"<>/=\"'&;:!?[]- \t\r\nx\x00\xff\xfe\xef\xbb\xbf\xd8\xdc\x80";
    let mut rng = Rng(0x00C0_FF1C_5EED);
    for (path, original) in valid_fixtures() {
        for round in 0..4000 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                let byte = if rng.below(2) == 0 {
                    INTERESTING[rng.below(INTERESTING.len())]
                } else {
                    rng.next() as u8
                };
                match rng.below(4) {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    2 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {
                        // Duplicate a slice: repeats tags and attributes.
                        let len = rng.below(24).min(bytes.len() - at.min(bytes.len()));
                        let copy: Vec<u8> = bytes[at..at + len].to_vec();
                        let to = rng.below(bytes.len() + 1);
                        bytes.splice(to..to, copy);
                    }
                }
            }
            check(&bytes, &|| {
                format!("{} mutation round {round}: {:?}", path.display(), bytes)
            });
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let text = format!(
        "<configuration>{}{}</configuration>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let err = parse_config(FILE, text.as_bytes()).unwrap_err();
    assert_eq!(err.code, codes::CONFIG_TOO_DEEP);
}
