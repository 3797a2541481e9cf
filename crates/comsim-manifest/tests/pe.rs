//! Manifests embedded in real PE files (SXS-1, SXS-2), over the committed fixtures that
//! `fixtures/pe/build.sh` builds with mingw-w64 and windres.

use std::path::PathBuf;

use comsim_manifest::parse_manifest;
use comsim_manifest::pe::{
    EmbeddedManifest, PeBitness, PeError, embedded_manifest, embedded_manifests, pe_machine,
};
use comsim_rng::Xorshift64;

const EN_US: u16 = 0x0409;
const DE_DE: u16 = 0x0407;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pe")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn source(name: &str) -> Vec<u8> {
    fixture(&format!("src/{name}"))
}

/// (ID, language) of every manifest, in the order returned.
fn ids(found: &[EmbeddedManifest]) -> Vec<(u16, u16)> {
    found.iter().map(|m| (m.id, m.language)).collect()
}

fn parse(file: &str, m: &EmbeddedManifest) -> comsim_manifest::Manifest {
    let name = format!("{file}#{}", m.id);
    parse_manifest(&name, &m.bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn sxs1_exe_manifest_is_resource_id_1() {
    for (exe, manifest, name) in [
        ("app32.exe", "app32.manifest", "Comsim.Fixture.App32"),
        ("app64.exe", "app64.manifest", "Comsim.Fixture.App64"),
    ] {
        let bytes = fixture(exe);
        let all = embedded_manifests(&bytes).unwrap();
        assert_eq!(ids(&all), [(1, EN_US)], "{exe}");
        assert_eq!(
            all[0].bytes,
            source(manifest),
            "{exe}: the resource is the file, byte for byte"
        );

        let m = parse(exe, &all[0]);
        assert_eq!(m.identity.as_ref().unwrap().name, name);
        assert_eq!(m.dependencies.len(), 1);
        assert_eq!(m.dependencies[0].identity.name, "Comsim.Fixture.Managed");

        assert_eq!(
            embedded_manifest(&bytes, 1).unwrap().as_ref(),
            Some(&all[0])
        );
        assert_eq!(embedded_manifest(&bytes, 2).unwrap(), None);
    }
}

#[test]
fn sxs2_managed_component_dll_embeds_its_manifest_as_resource_id_1() {
    for dll in ["managed-component32.dll", "managed-component64.dll"] {
        let bytes = fixture(dll);
        let all = embedded_manifests(&bytes).unwrap();
        assert_eq!(ids(&all), [(1, EN_US)], "{dll}");
        assert_eq!(all[0].bytes, source("managed-component.manifest"));

        let m = parse(dll, &embedded_manifest(&bytes, 1).unwrap().unwrap());
        let identity = m.identity.as_ref().unwrap();
        assert_eq!(identity.name, "Comsim.Fixture.Managed");
        assert_eq!(identity.processor_architecture.as_deref(), Some("msil"));
        assert_eq!(m.clr_classes.len(), 1);
        assert_eq!(m.clr_classes[0].name, "Comsim.Fixture.Widget");
        assert_eq!(
            m.clr_classes[0].runtime_version.as_deref(),
            Some("v4.0.30319")
        );
    }
}

#[test]
fn sxs2_component_identity_matches_the_app_manifest_reference() {
    let app = parse(
        "app64.exe",
        &embedded_manifest(&fixture("app64.exe"), 1)
            .unwrap()
            .unwrap(),
    );
    let dll = "managed-component64.dll";
    let component = parse(dll, &embedded_manifest(&fixture(dll), 1).unwrap().unwrap());
    let wanted = &app.dependencies[0].identity;
    let got = component.identity.as_ref().unwrap();
    assert_eq!(
        (
            &wanted.name,
            &wanted.version,
            &wanted.public_key_token,
            &wanted.processor_architecture
        ),
        (
            &got.name,
            &got.version,
            &got.public_key_token,
            &got.processor_architecture
        )
    );
}

#[test]
fn isolation_aware_dll_manifest_is_resource_id_2_not_1() {
    let dll = "isolation-aware64.dll";
    let bytes = fixture(dll);
    assert_eq!(ids(&embedded_manifests(&bytes).unwrap()), [(2, EN_US)]);
    assert_eq!(
        embedded_manifest(&bytes, 1).unwrap(),
        None,
        "no ID 1: SXS-2 probing finds nothing here"
    );

    let m = parse(dll, &embedded_manifest(&bytes, 2).unwrap().unwrap());
    assert_eq!(m.files.len(), 1);
    assert_eq!(m.files[0].com_classes.len(), 1);
    assert!(m.clr_classes.is_empty());
}

#[test]
fn manifests_come_in_directory_order_ids_then_languages_ascending() {
    let bytes = fixture("multi64.dll");
    let all = embedded_manifests(&bytes).unwrap();
    assert_eq!(ids(&all), [(1, DE_DE), (1, EN_US), (2, EN_US)]);
    assert_eq!(all[0].bytes, source("multi-id1-de.manifest"));
    assert_eq!(all[1].bytes, source("multi-id1-en.manifest"));
    assert_eq!(all[2].bytes, source("multi-id2-en.manifest"));
    for m in &all {
        parse("multi64.dll", m);
    }
}

#[test]
fn named_manifest_resources_are_skipped() {
    let bytes = fixture("multi64.dll");
    let named = source("multi-named.manifest");
    assert!(
        embedded_manifests(&bytes)
            .unwrap()
            .iter()
            .all(|m| m.bytes != named),
        "the resource named EXTRA is not reported"
    );
}

#[test]
fn embedded_manifest_takes_the_first_language_of_the_id() {
    let bytes = fixture("multi64.dll");
    let first = embedded_manifest(&bytes, 1).unwrap().unwrap();
    assert_eq!((first.id, first.language), (1, DE_DE));
    let m = parse("multi64.dll", &first);
    assert_eq!(m.clr_classes[0].name, "Comsim.Fixture.Multi.German");
    assert_eq!(
        m.identity.as_ref().unwrap().language.as_deref(),
        Some("de-DE")
    );

    let second = embedded_manifest(&bytes, 2).unwrap().unwrap();
    assert_eq!((second.id, second.language), (2, EN_US));
    assert_eq!(embedded_manifest(&bytes, 3).unwrap(), None);
}

#[test]
fn sxs3_utf16_manifest_resource_keeps_its_bom_and_parses() {
    let dll = "utf16-component64.dll";
    let m = embedded_manifest(&fixture(dll), 1).unwrap().unwrap();
    assert!(
        m.bytes.starts_with(&[0xFF, 0xFE]),
        "UTF-16LE byte order mark"
    );

    let text = String::from_utf8(source("utf16-component.manifest")).unwrap();
    let mut expected = vec![0xFF, 0xFE];
    expected.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        m.bytes, expected,
        "the resource is the source re-encoded, nothing else"
    );

    let parsed = parse(dll, &m);
    assert_eq!(
        parsed.identity.as_ref().unwrap().name,
        "Comsim.Fixture.Utf16"
    );
    assert_eq!(parsed.clr_classes[0].name, "Comsim.Fixture.Größe");
    assert_eq!(
        parsed.clr_classes[0].runtime_version.as_deref(),
        Some("v2.0.50727")
    );
}

#[test]
fn pe_without_resources_has_no_manifests() {
    let bytes = fixture("no-resources32.exe");
    assert_eq!(embedded_manifests(&bytes).unwrap(), []);
    assert_eq!(embedded_manifest(&bytes, 1).unwrap(), None);
}

#[test]
fn pe_bitness_comes_from_the_optional_header_magic() {
    for (file, bitness) in [
        ("app32.exe", PeBitness::Pe32),
        ("app64.exe", PeBitness::Pe64),
        ("managed-component32.dll", PeBitness::Pe32),
        ("managed-component64.dll", PeBitness::Pe64),
        ("isolation-aware64.dll", PeBitness::Pe64),
        ("multi64.dll", PeBitness::Pe64),
        ("utf16-component64.dll", PeBitness::Pe64),
        ("no-resources32.exe", PeBitness::Pe32),
    ] {
        assert_eq!(pe_machine(&fixture(file)).unwrap(), bitness, "{file}");
    }
}

#[test]
fn files_that_are_not_pe_give_a_clear_error() {
    let manifest = source("app64.manifest");
    let err = embedded_manifests(&manifest).unwrap_err();
    assert!(matches!(err, PeError::NotPe(_)), "{err:?}");
    assert_eq!(err.to_string(), "not a PE file: no MZ signature");
    assert!(matches!(
        embedded_manifests(&[]).unwrap_err(),
        PeError::NotPe(_)
    ));

    // An MS-DOS program: MZ, but e_lfanew points at something other than PE\0\0.
    let mut dos = vec![0u8; 128];
    dos[..2].copy_from_slice(b"MZ");
    dos[0x3c] = 0x40;
    let err = pe_machine(&dos).unwrap_err();
    assert!(matches!(err, PeError::NotPe(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("not a PE file: no PE signature"),
        "{err}"
    );

    // An unknown optional header magic (0x107 is a ROM image).
    let mut rom = fixture("app64.exe");
    let nt = u32::from_le_bytes(rom[0x3c..0x40].try_into().unwrap()) as usize;
    rom[nt + 24..nt + 26].copy_from_slice(&0x107u16.to_le_bytes());
    let err = pe_machine(&rom).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a PE file: unknown optional header magic 0x0107 (PE32 is 0x010b, PE32+ is 0x020b)"
    );
}

#[test]
fn truncated_files_say_where_they_end() {
    let bytes = fixture("app64.exe");
    let err = embedded_manifests(&bytes[..40]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "truncated PE file: the file ends inside the MS-DOS header"
    );

    // Cut inside the resource section: the headers are whole, the manifest is not.
    let m = embedded_manifest(&bytes, 1).unwrap().unwrap();
    let at = bytes
        .windows(m.bytes.len())
        .position(|w| w == m.bytes.as_slice())
        .unwrap();
    let err = embedded_manifests(&bytes[..at + 10]).unwrap_err();
    assert!(matches!(err, PeError::Truncated(_)), "{err:?}");
    assert_eq!(
        pe_machine(&bytes[..at + 10]).unwrap(),
        PeBitness::Pe64,
        "the headers are whole"
    );
}

/// Every reader on one input: any result is fine, a panic is not.
fn read_all_ways(bytes: &[u8]) {
    let _ = embedded_manifests(bytes);
    let _ = embedded_manifest(bytes, 1);
    let _ = embedded_manifest(bytes, 2);
    let _ = pe_machine(bytes);
}

#[test]
fn bad_input_never_panics() {
    for file in ["multi64.dll", "app32.exe"] {
        let bytes = fixture(file);
        // Every prefix: an error, or (once every byte the headers point at is there, only the
        // section padding being cut) the whole file's answer; never a partial one.
        let whole = embedded_manifests(&bytes).unwrap();
        for len in 0..bytes.len() {
            read_all_ways(&bytes[..len]);
            if let Ok(found) = embedded_manifests(&bytes[..len]) {
                assert_eq!(found, whole, "{file}: prefix of {len} bytes");
            }
        }

        // Corrupted copies: a few random bytes changed, anywhere or in the last 2 KiB, where the
        // resource directory and data live.
        let mut rng = Xorshift64::new(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let mut copy = bytes.clone();
            let from = if round % 2 == 0 {
                0
            } else {
                copy.len().saturating_sub(2048)
            };
            for _ in 0..1 + rng.below(8) {
                let at = from + rng.below(copy.len() - from);
                copy[at] = match rng.below(4) {
                    0 => 0,
                    1 => 0xFF,
                    2 => 0x80,
                    _ => rng.bits() as u8,
                };
            }
            read_all_ways(&copy);
        }
    }

    // Random bytes, with and without a plausible MZ/PE prefix.
    let mut rng = Xorshift64::new(0xD1B5_4A32_D192_ED03);
    for _ in 0..2000 {
        let len = rng.below(1024);
        let mut junk: Vec<u8> = (0..len).map(|_| rng.bits() as u8).collect();
        if len >= 0x48 && rng.below(2) == 0 {
            junk[..2].copy_from_slice(b"MZ");
            junk[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
            junk[0x40..0x44].copy_from_slice(b"PE\0\0");
        }
        read_all_ways(&junk);
    }
}
