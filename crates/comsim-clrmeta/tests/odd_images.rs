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
