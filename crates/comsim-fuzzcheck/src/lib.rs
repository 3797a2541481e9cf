//! The checks of comsim's fuzz targets, one per input a user can hand comsim (docs/reliability.md).
//!
//! Each `check_*` function takes arbitrary bytes, runs them through comsim as that kind of input,
//! and panics when a property fails — more than "no panic":
//!
//! - every error and warning is located (file, line, column) inside the input;
//! - a `.reg` file that strict import accepts imports leniently into the same registry;
//! - a scenario that loads replays on both CLRs;
//! - an error of a binary reader (assembly, hive) is at a byte offset inside the input;
//! - what the error-text parser finds is in the text.
//!
//! The cargo-fuzz targets under `fuzz/` (nightly) call these functions; so do the stable tests of
//! this crate (`tests/corpus.rs`), which replay the seed corpus (`fixtures/`) and a fixed number of
//! seeded mutations of each seed ([`mutate`]).

use std::path::{Path, PathBuf};

use comsim_diag::{Diagnostic, LineIndex};
use comsim_regfile::{ImportOptions, Mode};
use comsim_registry::{Registry, View, Writer};
use comsim_resolver::HResult;

/// The input decoded as the parsers decode it, for bounds: a UTF-16 byte order mark (or UTF-16
/// `<?` without one) says UTF-16, else UTF-8 without its mark; undecodable bytes become U+FFFD,
/// one character each at most.
fn text_of(bytes: &[u8]) -> String {
    let utf16 = |b: &[u8], big: bool| {
        let units = b.chunks_exact(2).map(|c| {
            if big {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{FFFD}'))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE][..]) {
        return utf16(rest, false);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF][..]) {
        return utf16(rest, true);
    }
    if bytes.starts_with(&[b'<', 0, b'?', 0]) {
        return utf16(bytes, false);
    }
    if bytes.starts_with(&[0, b'<', 0, b'?']) {
        return utf16(bytes, true);
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    // Windows-1252 (REGEDIT4) decodes one character per byte: never more characters than bytes.
    String::from_utf8_lossy(body).into_owned()
}

/// Asserts that `d` is located in `file`, at a line of `bytes` and a column no further than one
/// past that line's last character.
pub fn assert_located_in(d: &Diagnostic, file: &str, bytes: &[u8]) {
    assert_located_in_text(d, file, &text_of(bytes));
}

/// [`assert_located_in`] over the decoded text.
pub fn assert_located_in_text(d: &Diagnostic, file: &str, text: &str) {
    let loc = d
        .location
        .as_ref()
        .unwrap_or_else(|| panic!("not located: {d}"));
    assert_eq!(&*loc.file, file, "located in another file: {d}");
    let index = LineIndex::new(text);
    let (last_line, _) = index.position(text.len());
    assert!(
        loc.line >= 1 && loc.line <= last_line,
        "line {} outside 1..={last_line}: {d}",
        loc.line
    );
    let chars = index.line_text(loc.line).chars().count();
    assert!(
        loc.column >= 1 && loc.column as usize <= chars + 1,
        "column {} past the end of line {} ({chars} characters): {d}",
        loc.column,
        loc.line
    );
}

/// A `.reg` file's text as the importer decodes it (its encoding sniffed as regedit does).
fn reg_text(bytes: &[u8]) -> String {
    comsim_regfile::decode("fuzz.reg", bytes, None, false)
        .map(|(text, _, _)| text)
        .unwrap_or_else(|_| text_of(bytes))
}

fn import(bytes: &[u8], mode: Mode, view: View) -> Result<(Registry, Vec<Diagnostic>), Diagnostic> {
    let mut reg = Registry::default();
    let opts = ImportOptions {
        mode,
        view,
        writer: Writer { admin: true },
        encoding: None,
    };
    let report = comsim_regfile::import_bytes(&mut reg, "fuzz.reg", bytes, &opts)?;
    Ok((reg, report.warnings))
}

/// `.reg` import, strict: the error is located in the file; an accepted file imports leniently
/// into the same registry, in both regedit views.
pub fn check_reg_strict(bytes: &[u8]) {
    for view in [View::Bits64, View::Bits32] {
        match import(bytes, Mode::Strict, view) {
            Err(e) => assert_located_in_text(&e, "fuzz.reg", &reg_text(bytes)),
            Ok((strict, _)) => {
                let (lenient, _) = import(bytes, Mode::Lenient, view)
                    .unwrap_or_else(|e| panic!("strict import accepts, lenient refuses: {e}"));
                assert_eq!(
                    comsim_regfile::dump(&strict),
                    comsim_regfile::dump(&lenient),
                    "strict and lenient import differ"
                );
            }
        }
    }
}

/// `.reg` import, lenient: every warning (and an error, for bytes that are not a `.reg` file at
/// all) is located in the file.
pub fn check_reg_lenient(bytes: &[u8]) {
    let text = reg_text(bytes);
    match import(bytes, Mode::Lenient, View::Bits64) {
        Err(e) => assert_located_in_text(&e, "fuzz.reg", &text),
        Ok((_, warnings)) => {
            for w in &warnings {
                assert_located_in_text(w, "fuzz.reg", &text);
            }
        }
    }
}

/// A manifest: parsed, or refused with an error located in it.
pub fn check_manifest(bytes: &[u8]) {
    if let Err(e) = comsim_manifest::parse_manifest("fuzz.manifest", bytes) {
        assert_located_in(&e, "fuzz.manifest", bytes);
    }
}

/// A PE image: its `RT_MANIFEST` resources are read or refused with an error (the PE reader
/// names what is wrong, not a line); each manifest read is checked as a manifest.
pub fn check_pe(bytes: &[u8]) {
    let _ = comsim_manifest::pe::pe_machine(bytes);
    if let Ok(found) = comsim_manifest::pe::embedded_manifests(bytes) {
        for m in found {
            check_manifest(&m.bytes);
        }
    }
}

/// An application configuration file: read with every ignored part located, or refused with a
/// located error.
pub fn check_config(bytes: &[u8]) {
    match comsim_appconfig::parse_config("fuzz.config", bytes) {
        Err(e) => assert_located_in(&e, "fuzz.config", bytes),
        Ok(config) => {
            for d in &config.ignored {
                assert_located_in(d, "fuzz.config", bytes);
            }
        }
    }
}

/// Asserts that `d`, an error of a binary reader, names `file` and a byte offset inside the input
/// of `len` bytes, or at its end (where a truncated input was expected to go on): its message
/// starts `FILE: at byte N` (the hive reader) or `FILE: at byte offset N` (the assembly reader).
pub fn assert_offset_inside(d: &Diagnostic, file: &str, len: usize) {
    let rest = d
        .message
        .strip_prefix(file)
        .and_then(|r| r.strip_prefix(": at byte "))
        .unwrap_or_else(|| panic!("no byte offset in {file}: {d}"));
    let rest = rest.strip_prefix("offset ").unwrap_or(rest);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let offset: usize = digits
        .parse()
        .unwrap_or_else(|_| panic!("no byte offset in {file}: {d}"));
    assert!(
        offset <= len,
        "byte offset {offset} past the end ({len} bytes): {d}"
    );
}

/// A .NET assembly: its metadata read, or refused with an error at a byte offset inside it.
pub fn check_clrmeta(bytes: &[u8]) {
    if let Err(e) = comsim_clrmeta::read_assembly("fuzz.dll", bytes) {
        assert_offset_inside(&e, "fuzz.dll", bytes.len());
    }
}

/// A registry hive file, loaded at `HKEY_LOCAL_MACHINE\SOFTWARE` as a SOFTWARE hive is: refused
/// with an error at a byte offset inside it, or loaded into a registry that can be dumped (the
/// dump starts at the mount point).
pub fn check_hive(bytes: &[u8]) {
    let mount = comsim_hive::guess_mount("SOFTWARE").expect("SOFTWARE's mount point");
    let mut reg = Registry::default();
    match comsim_hive::load_bytes(&mut reg, "fuzz.hiv", bytes, &mount, &[]) {
        Err(e) => assert_offset_inside(&e, "fuzz.hiv", bytes.len()),
        Ok(report) => {
            // The registry was empty: what the dump lists first is the mount point or below it.
            let dump = comsim_regfile::dump(&reg);
            assert!(report.keys >= 1, "a loaded hive has its root key");
            // Key names compare without case, as Windows compares them.
            let first = dump.to_ascii_lowercase();
            assert!(
                first.starts_with(&format!("[{mount}").to_ascii_lowercase()),
                "the dump does not start at the mount point {mount}"
            );
            assert_hive_round_trip(&reg, &mount);
        }
    }
}

/// A loaded hive, exported as `comsim reg export` writes it (version 5.00, UTF-16LE) from its
/// mount point and imported again (strict, 64-bit regedit, as an administrator), gives the same
/// registry: no change between the two (`comsim_registry::diff`), and the same dump.
pub fn assert_hive_round_trip(reg: &Registry, mount: &comsim_registry::KeyPath) {
    let access = comsim_registry::Access::default();
    let exported =
        comsim_regfile::export(reg, mount, &access).expect("the mount point of a loaded hive");
    let mut again = Registry::default();
    let opts = ImportOptions::default();
    if let Err(e) = comsim_regfile::import_bytes(&mut again, "export.reg", &exported, &opts) {
        panic!("the export of a loaded hive does not import: {e}");
    }
    let changes: Vec<_> = comsim_registry::diff(reg, &again)
        .into_iter()
        .filter(|c| !terminator_added(c))
        .collect();
    assert!(
        changes.is_empty(),
        "the export of a loaded hive imports into another registry: {} changes, the first {:?}",
        changes.len(),
        changes.first()
    );
}

/// The one difference a `.reg` file cannot avoid (docs/reliability.md, "Hive round trip"): a
/// string value (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ) stored without its terminating NUL is
/// exported as `hex(N):` bytes, and importing `hex(N):` data of a string type adds the NUL that
/// regedit adds (an odd last byte is dropped for it).
fn terminator_added(change: &comsim_registry::Change) -> bool {
    let comsim_registry::Change::ValueChanged { old, new, .. } = change else {
        return false;
    };
    let even = old.data.len() & !1;
    let ends_in_nul = even >= 2 && old.data[even - 2..even] == [0, 0];
    old.ty == new.ty
        && old.ty.is_string()
        && !ends_in_nul
        && new.data.len() > even
        && new.data[..even] == old.data[..even]
        && new.data[even..].iter().all(|&b| b == 0)
}

/// The phrases of error texts that name an HRESULT without writing it (MSG-3..MSG-6, SHIM-2,
/// SXS-2, VB's 429): the parser may report that code for a text containing the phrase.
pub const IMPLIED_HRESULTS: &[(&str, &[HResult])] = &[
    ("invalid class string", &[HResult::CO_E_CLASSSTRING]),
    ("cannot load com type ", &[HResult::CO_E_CLASSSTRING]),
    (
        "must install one of the following versions of the .net framework",
        &[HResult::CLR_E_SHIM_RUNTIMELOAD],
    ),
    (
        "side-by-side configuration is incorrect",
        &[comsim_diagnose::error::SXS_CANT_GEN_ACTCTX],
    ),
    (
        "activex component can't create object",
        &[comsim_diagnose::error::VB_CANT_CREATE_OBJECT],
    ),
    (
        "error '429'",
        &[comsim_diagnose::error::VB_CANT_CREATE_OBJECT],
    ),
    (
        "error 429",
        &[comsim_diagnose::error::VB_CANT_CREATE_OBJECT],
    ),
    (
        "could not load file or assembly '",
        &[
            HResult::FUSION_E_REF_DEF_MISMATCH,
            HResult::COR_E_NEWER_RUNTIME,
            HResult::BAD_FORMAT,
            HResult::FILE_NOT_FOUND,
        ],
    ),
    ("could not load type '", &[HResult::COR_E_TYPELOAD]),
];

/// Whether `text` writes `-digits` (leading zeros allowed: `-0002` is -2).
fn negative_decimal_in(text: &str, digits: &str) -> bool {
    text.match_indices(digits)
        .any(|(at, _)| text[..at].trim_end_matches('0').ends_with('-'))
}

/// An error text as `comsim diagnose` is handed it: parsing never panics; a CLSID found is
/// written in the text; an HRESULT found is written in it (eight hex digits, or a negative
/// decimal) or named by one of its phrases ([`IMPLIED_HRESULTS`]); a ProgID, assembly or type
/// name found is a part of the text.
pub fn check_error_text(bytes: &[u8]) {
    let text = text_of(bytes);
    let Some(r) = comsim_diagnose::parse_error(&text) else {
        return;
    };
    let lower = text.to_ascii_lowercase();
    if let Some(clsid) = r.clsid {
        let written = clsid.to_string().to_ascii_lowercase();
        assert!(lower.contains(&written), "{written} is not in the text");
    }
    if let Some(hr) = r.hresult {
        let hex = format!("{:08x}", hr.0);
        let decimal = (0x1_0000_0000_u64 - u64::from(hr.0)).to_string();
        let implied = IMPLIED_HRESULTS
            .iter()
            .any(|(phrase, codes)| codes.contains(&hr) && lower.contains(phrase));
        assert!(
            lower.contains(&hex) || negative_decimal_in(&text, &decimal) || implied,
            "{hr} is neither written in the text nor named by a phrase of it"
        );
    }
    for found in [&r.progid, &r.assembly, &r.type_name].into_iter().flatten() {
        assert!(
            text.contains(found.as_str()),
            "`{found}` is not in the text"
        );
    }
}

/// The committed scenarios, `fixtures/scenarios/<name>/`.
pub fn scenario_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// A scenario bundle: `bytes` is the `scenario.toml`, beside the other files of the committed
/// scenario whose `scenario.toml` shares the longest prefix with it (so a mutated seed keeps its
/// `.reg` files, manifests and `.config`s). Loaded, then replayed on both CLRs; an error is
/// located in the file it names, inside that file.
pub fn check_scenario(bytes: &[u8]) {
    let dirs = scenario_dirs();
    let common = |dir: &PathBuf| {
        let seed = std::fs::read(dir.join("scenario.toml")).unwrap_or_default();
        seed.iter().zip(bytes).take_while(|(a, b)| a == b).count()
    };
    let Some(seed) = dirs
        .iter()
        .max_by_key(|d| (common(d), std::cmp::Reverse(*d)))
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "comsim-fuzz-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    for entry in std::fs::read_dir(seed)
        .expect("the seed")
        .filter_map(Result::ok)
    {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copied");
        }
    }
    let toml = dir.join("scenario.toml");
    std::fs::write(&toml, bytes).expect("written");
    let result = comsim_scenario::load(&toml);
    let shown = toml.display().to_string();
    match result {
        Err(e) => located_in_bundle(&e, &dir, &shown),
        Ok(s) => {
            let options = comsim_scenario::ReplayOptions {
                clrs: comsim_scenario::ClrChoice::Both,
                switches: Vec::new(),
            };
            if let Err(e) = comsim_scenario::replay(&s, &options) {
                assert!(e.is_error(), "{e}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A scenario error: in `scenario.toml` or in a file of the bundle it names, inside that file
/// (at 1:1 for a file or directory that cannot be read).
fn located_in_bundle(e: &Diagnostic, dir: &Path, toml: &str) {
    let loc = e
        .location
        .as_ref()
        .unwrap_or_else(|| panic!("not located: {e}"));
    if &*loc.file == toml {
        return assert_located_in(e, toml, &std::fs::read(toml).unwrap_or_default());
    }
    let named = Path::new(&*loc.file);
    let path = if named.is_absolute() {
        named.to_path_buf()
    } else {
        dir.join(named)
    };
    match std::fs::read(&path) {
        Ok(bytes) => assert_located_in(e, &loc.file, &bytes),
        Err(_) => assert_eq!((loc.line, loc.column), (1, 1), "{e}"),
    }
}

/// A deterministic mutation of `seed` for the stable replay: `round` picks which. Flips, inserts,
/// deletes and duplicates bytes, and splices in format tokens from `dictionary`.
pub fn mutate(seed: &[u8], round: u64, dictionary: &[&str]) -> Vec<u8> {
    let mut rng = comsim_rng::Xorshift64::new(
        round
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(seed.len() as u64),
    );
    let mut next = move || rng.bits();
    let mut out = seed.to_vec();
    for _ in 0..1 + next() % 4 {
        let at = if out.is_empty() {
            0
        } else {
            (next() as usize) % (out.len() + 1)
        };
        match next() % 6 {
            0 if at < out.len() => out[at] ^= 1 << (next() % 8),
            1 => out.insert(at, next() as u8),
            2 if at < out.len() => {
                let end = (at + 1 + (next() as usize) % 16).min(out.len());
                out.drain(at..end);
            }
            3 if at < out.len() => {
                let end = (at + 1 + (next() as usize) % 64).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            4 if !dictionary.is_empty() => {
                let token = dictionary[(next() as usize) % dictionary.len()];
                out.splice(at..at, token.bytes());
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// The tokens of a dictionary file (`fuzz/dict/*.dict`, libFuzzer's format: `"token"` per line,
/// `#` comments, `\xNN`, `\\` and `\"` escapes).
pub fn dictionary(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let body = l.strip_prefix('"')?.strip_suffix('"')?;
            let mut out = String::new();
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match (c, chars.clone().next()) {
                    ('\\', Some('x')) => {
                        chars.next();
                        let hex: String = chars.by_ref().take(2).collect();
                        out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                    }
                    ('\\', Some(e)) => {
                        chars.next();
                        out.push(e);
                    }
                    _ => out.push(c),
                }
            }
            Some(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_diag::Location;

    fn at(line: u32, column: u32) -> Diagnostic {
        // Any code will do: the check looks at the place only.
        Diagnostic::error(comsim_regfile::codes::REG_IO, "m").at(Location::new("f", line, column))
    }

    /// The location check fails for a place outside the input, so the targets can find one.
    #[test]
    fn a_location_outside_the_input_fails_the_check() {
        let text = "ab\ncdé\n";
        assert_located_in(&at(2, 4), "f", text.as_bytes());
        assert_located_in(&at(3, 1), "f", text.as_bytes());
        for bad in [at(2, 5), at(4, 1), at(0, 1), at(1, 0)] {
            let shown = bad.to_string();
            let r = std::panic::catch_unwind(|| assert_located_in(&bad, "f", text.as_bytes()));
            assert!(r.is_err(), "{shown} passed");
        }
        let r = std::panic::catch_unwind(|| assert_located_in(&at(1, 1), "g", b"x"));
        assert!(r.is_err(), "another file passed");
    }

    /// The hive round trip tolerates only the terminating NUL that importing `hex(1):` adds to a
    /// string stored without one; any other change of a value fails it.
    #[test]
    fn the_hive_round_trip_tolerates_only_an_added_terminator() {
        use comsim_registry::{Change, KeyPath, Value, ValueType};
        let change = |ty: u32, old: &[u8], new: &[u8]| Change::ValueChanged {
            key: KeyPath::parse(r"HKLM\SOFTWARE").expect("a key path"),
            name: "v".into(),
            old: Value::new(ValueType(ty), old.to_vec()),
            new: Value::new(ValueType(ty), new.to_vec()),
        };
        assert!(terminator_added(&change(1, b"a\0", b"a\0\0\0")));
        assert!(terminator_added(&change(7, b"a\0b", b"a\0\0\0\0")));
        assert!(!terminator_added(&change(1, b"a\0\0\0", b"a\0\0\0\0\0")));
        assert!(!terminator_added(&change(3, b"a\0", b"a\0\0\0")));
        assert!(!terminator_added(&change(1, b"a\0", b"b\0\0\0")));
        // A NUL-less REG_SZ under the mount point: the diff shows the change, the check allows it.
        let mut reg = Registry::default();
        let mount = KeyPath::parse(r"HKLM\SOFTWARE").expect("a key path");
        let key = reg.create_path(
            reg.root(comsim_registry::Hive::LocalMachine),
            &mount.components,
        );
        let key = key.expect("the mount point");
        reg.set_values(
            key,
            vec![("v".into(), Value::new(ValueType::SZ, b"a\0".to_vec()))],
        )
        .expect("a value");
        assert_hive_round_trip(&reg, &mount);
    }

    /// The byte-offset check of the assembly and hive targets fails for an offset past the end
    /// of the input, or an error that names none.
    #[test]
    fn an_offset_outside_the_input_fails_the_check() {
        let error = |m: &str| Diagnostic::error(comsim_hive::codes::HIVE_BASE_BLOCK, m);
        assert_offset_inside(&error("f: at byte 10 (0xa): x"), "f", 10);
        assert_offset_inside(&error("f: at byte offset 3 (0x3): x"), "f", 10);
        for bad in [
            "f: at byte 11 (0xb): x",
            "f: the file is bad",
            "g: at byte 1: x",
        ] {
            let d = error(bad);
            let r = std::panic::catch_unwind(|| assert_offset_inside(&d, "f", 10));
            assert!(r.is_err(), "{bad} passed");
        }
    }

    /// The error-text check passes codes written in the text or named by its phrase, and reads a
    /// negative decimal only where a `-` (and zeros) precede the digits: `-0002` is -2, `-12` is
    /// not -2.
    #[test]
    fn the_error_text_check_finds_codes_where_they_are_written() {
        check_error_text(b"failed: 0x80040154 for {D5000000-0000-4000-8000-000000000005}");
        check_error_text(b"Invalid class string");
        check_error_text(b"Error -2147221164 in CreateObject(\"A.B\")");
        assert!(negative_decimal_in("code -0002.", "2"));
        assert!(!negative_decimal_in("code 2-", "2"));
        assert!(!negative_decimal_in("code -12", "2"));
    }

    #[test]
    fn mutations_are_deterministic_and_vary() {
        let seed = b"Windows Registry Editor Version 5.00\r\n";
        assert_eq!(mutate(seed, 7, &["@="]), mutate(seed, 7, &["@="]));
        let distinct: std::collections::BTreeSet<Vec<u8>> =
            (1..50).map(|r| mutate(seed, r, &["@="])).collect();
        assert!(distinct.len() > 40);
    }

    #[test]
    fn dictionaries_read_libfuzzer_escapes() {
        assert_eq!(
            dictionary("# c\n\"a\\x41\\\\\\\"\"\nkw=\"z\"\n"),
            ["aA\\\""]
        );
    }
}
