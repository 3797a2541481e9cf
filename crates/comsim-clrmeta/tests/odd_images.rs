//! Images no compiler in the fixtures writes, made by patching a fixture: a mixed-mode image
//! (ILONLY clear) is read, and its architecture comes from the machine alone; images laid out as
//! obfuscators lay them out are refused with `clr-unsupported` at the offending byte.

use std::path::PathBuf;

use comsim_clrmeta::{Architecture, read_assembly};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/assemblies")
            .join(name),
    )
    .unwrap()
}

fn find(bytes: &[u8], what: &[u8]) -> usize {
    bytes.windows(what.len()).position(|w| w == what).unwrap()
}

/// The CLI header: cb = 72, then runtime version 2.5; its Flags are 16 bytes in.
fn cor_flags_at(bytes: &[u8]) -> usize {
    find(bytes, &[0x48, 0, 0, 0, 2, 0, 5, 0]) + 16
}

#[test]
fn a_mixed_mode_image_is_read_and_its_architecture_is_the_machines() {
    let mut bytes = fixture("platform-anycpu.dll");
    let at = cor_flags_at(&bytes);
    assert_eq!(bytes[at], 1, "ILONLY set in the fixture");
    bytes[at] = 0;
    let asm = read_assembly("mixed.dll", &bytes).unwrap();
    assert!(!asm.pe.il_only);
    assert_eq!(asm.architecture, Architecture::X86);
    assert_eq!(asm.types.len(), 2);
}

#[test]
fn anycpu_32bit_preferred_is_msil_but_32bit_required_alone_is_x86() {
    // TranslatePEToArchitectureType: 32BITREQUIRED with 32BITPREFERRED is "32-bit preferred".
    assert_eq!(
        read_assembly("c.exe", &fixture("Client32Preferred.exe"))
            .unwrap()
            .architecture,
        Architecture::Msil
    );
    assert_eq!(
        read_assembly("c.exe", &fixture("Client.exe"))
            .unwrap()
            .architecture,
        Architecture::X86
    );
}

#[test]
fn unknown_heap_size_flags_are_refused_as_unsupported() {
    let mut bytes = fixture("Hidden.dll");
    let asm = read_assembly("h.dll", &bytes).unwrap();
    let tables = asm.streams.iter().find(|s| s.name == "#~").unwrap().offset as usize;
    bytes[tables + 6] |= 0x40; // "extra data": obfuscators set it
    let e = read_assembly("h.dll", &bytes).unwrap_err();
    assert_eq!(e.code.name(), "clr-unsupported");
    assert!(
        e.message
            .contains(&format!("at byte offset {} ", tables + 6)),
        "{e}"
    );
}

#[test]
fn a_second_stream_of_the_same_name_is_refused_as_unsupported() {
    let mut bytes = fixture("Hidden.dll");
    let at = find(&bytes, b"#US\0");
    bytes[at..at + 4].copy_from_slice(b"#~\0\0");
    let e = read_assembly("h.dll", &bytes).unwrap_err();
    assert_eq!(e.code.name(), "clr-unsupported");
    assert!(e.message.contains("found a second"), "{e}");
}

#[test]
fn a_netmodule_has_no_assembly_row_and_is_refused() {
    // mcs -target:module (build.sh): a module of a multi-file assembly, no manifest.
    let e = read_assembly("m.netmodule", &fixture("Platform.netmodule")).unwrap_err();
    assert_eq!(e.code.name(), "clr-no-assembly");
}

#[test]
fn clearing_a_valid_bit_misaligns_the_tables_and_is_an_error_with_an_offset() {
    let mut bytes = fixture("Hidden.dll");
    let asm = read_assembly("h.dll", &bytes).unwrap();
    let tables = asm.streams.iter().find(|s| s.name == "#~").unwrap().offset as usize;
    // Valid mask bit 0x20 (Assembly) cleared: the rows after it move, so the reader may fail
    // earlier on a bad row; either way it is an error with an offset, never a panic.
    bytes[tables + 12] &= !0x01;
    let e = read_assembly("h.dll", &bytes).unwrap_err();
    assert!(e.message.starts_with("h.dll: at byte offset"), "{e}");
}

/// The reader's limits are errors at the byte that crosses them (docs/reliability.md, "Limits"):
/// a metadata version string longer than 256 bytes, at its length field.
#[test]
fn a_version_string_over_the_limit_is_refused_at_its_length() {
    let mut bytes = fixture("Hidden.dll");
    let root = find(&bytes, b"BSJB");
    bytes[root + 12..root + 16].copy_from_slice(&260u32.to_le_bytes());
    let e = read_assembly("h.dll", &bytes).unwrap_err();
    assert_eq!(e.code.name(), "clr-bad-metadata");
    assert!(
        e.message
            .starts_with(&format!("h.dll: at byte offset {} ", root + 12)),
        "{e}"
    );
    assert!(e.message.contains("at most 256; found 260"), "{e}");
}

/// TypeRefs nested more than 64 deep (here each TypeRef is its own enclosing type) are an error
/// at the TypeRef row that crosses the limit, not a loop.
#[test]
fn typerefs_nested_over_the_limit_are_refused_at_the_row() {
    let mut bytes = fixture("Hidden.dll");
    let asm = read_assembly("h.dll", &bytes).unwrap();
    let tables = asm.streams.iter().find(|s| s.name == "#~").unwrap().offset as usize;
    assert_eq!(bytes[tables + 6], 0, "2-byte heap indexes in the fixture");
    let valid = u64::from_le_bytes(bytes[tables + 8..tables + 16].try_into().unwrap());
    assert_eq!(valid & 3, 3, "Module and TypeRef tables present");
    let count = |i: usize| {
        let at = tables + 24 + 4 * i;
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
    };
    let (modules, type_refs) = (count(0), count(1));
    // Module rows: Generation, Name, Mvid, EncId, EncBaseId (2 bytes each); then the TypeRef
    // rows: ResolutionScope (a 2-byte coded index, tag 3 = TypeRef), Name, Namespace.
    let first = tables + 24 + 4 * valid.count_ones() as usize + 10 * modules;
    for row in 1..=type_refs {
        let at = first + 6 * (row - 1);
        let scope = u16::try_from((row << 2) | 3).unwrap();
        bytes[at..at + 2].copy_from_slice(&scope.to_le_bytes());
    }
    let e = read_assembly("h.dll", &bytes).unwrap_err();
    assert_eq!(e.code.name(), "clr-bad-metadata", "{e}");
    assert!(e.message.contains("nest deeper than 64"), "{e}");
    let offset: usize = e.message["h.dll: at byte offset ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no offset: {e}"));
    assert!(
        (first..first + 6 * type_refs).contains(&offset),
        "{offset} is not in the TypeRef rows: {e}"
    );
}
