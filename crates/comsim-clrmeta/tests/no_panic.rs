//! Robustness: no image makes the reader panic. Every prefix of every fixture assembly (cut at
//! each byte) and many seeded mutations of each (aimed mostly at the metadata: the root, stream
//! headers, table rows, heaps and attribute blobs) either read or give an error naming the file
//! and a byte offset.

use std::path::PathBuf;

use comsim_clrmeta::read_assembly;

const FILE: &str = "fuzz.dll";

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

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/assemblies");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dll" || x == "exe"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 8,
        "expected the assemblies in {}",
        dir.display()
    );
    out
}

/// Reads, and checks the promise made for bad input: the error names the file and an offset
/// inside (or at the end of) the bytes.
fn check(bytes: &[u8], what: &dyn Fn() -> String) -> bool {
    match read_assembly(FILE, bytes) {
        Ok(_) => true,
        Err(e) => {
            let prefix = format!("{FILE}: at byte offset ");
            let rest = e
                .message
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{}: error without file and offset: {e}", what()));
            let offset: usize = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{}: no decimal offset in {e}", what()));
            assert!(
                offset <= bytes.len(),
                "{}: offset past the end: {e}",
                what()
            );
            assert!(e.is_error(), "{}", what());
            let _ = e.to_string();
            false
        }
    }
}

#[test]
fn every_prefix_of_every_fixture_reads_or_fails_with_an_offset() {
    for (name, bytes) in fixtures() {
        let asm = read_assembly(&name, &bytes).unwrap();
        let md_end = asm
            .streams
            .iter()
            .map(|s| s.offset as usize + s.size as usize)
            .max()
            .unwrap();
        for end in 0..=bytes.len() {
            let read = check(&bytes[..end], &|| format!("{name} cut at {end}"));
            // A cut inside the metadata is always refused; after it (IL bodies, relocations,
            // padding) the metadata still reads.
            assert_eq!(
                read,
                end >= md_end,
                "{name} cut at {end} (metadata ends at {md_end})"
            );
        }
    }
}

#[test]
fn seeded_mutations_of_every_fixture_never_panic() {
    const INTERESTING: &[u8] = &[0x00, 0x01, 0x02, 0x7F, 0x80, 0xBF, 0xC0, 0xDF, 0xE0, 0xFF];
    let mut rng = Rng(0x00C1_1D11_5EED);
    for (name, original) in fixtures() {
        let asm = read_assembly(&name, &original).unwrap();
        let start = asm.streams.iter().map(|s| s.offset).min().unwrap() as usize;
        // The metadata root sits a little before the first stream.
        let md = start.saturating_sub(128);
        let mut failed = 0;
        for round in 0..3000 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(3) {
                let at = if rng.below(10) == 0 {
                    rng.below(bytes.len())
                } else {
                    md + rng.below(bytes.len() - md)
                };
                bytes[at] = if rng.below(2) == 0 {
                    INTERESTING[rng.below(INTERESTING.len())]
                } else {
                    rng.next() as u8
                };
            }
            if !check(&bytes, &|| format!("{name} mutation round {round}")) {
                failed += 1;
            }
        }
        // The mutations must reach the checks: a good share of them are refused.
        assert!(
            failed > 100,
            "{name}: only {failed} of 3000 mutations refused"
        );
    }
}
