//! ASM-1, ASM-2 and `/tlb` for types and an assembly without `[Guid]`: regasm registers the GUIDs
//! the CLR generates (`comsim_resolver::clrguid`). The expected GUIDs were computed apart from
//! comsim, with a separate implementation of the CLR's algorithm.

mod common;

use comsim_registry::{Access, KeyPath};
use comsim_resolver::machine::TypeKind;
use comsim_resolver::{Machine, Switches};

use common::{assembly, place, public_type};

const PATH: &str = r"C:\Contoso\Contoso.Widgets.dll";

fn machine_with(key: Option<&str>, token: Option<&str>) -> Machine {
    let mut m = common::machine();
    let mut asm = assembly([1, 0, 0, 0], "v4.0.30319", key, token);
    asm.types = vec![
        public_type("Contoso.Widget", TypeKind::Class, None),
        public_type("Contoso.Point", TypeKind::Struct, None),
    ];
    place(&mut m, PATH, asm);
    m
}

fn exists(m: &Machine, key: &str) -> bool {
    m.registry
        .open(&KeyPath::parse(key).unwrap(), &Access::default())
        .is_some()
}

#[test]
fn asm1_asm2_an_unsigned_assembly_registers_its_generated_clsid_and_record_guid() {
    let mut m = machine_with(None, None);
    let r = common::regasm(&mut m, &[PATH], &Switches::default()).unwrap();
    assert_eq!(r.exit_code, 0);
    assert!(exists(
        &m,
        r"HKEY_CLASSES_ROOT\CLSID\{DEE5C617-AEA2-3F50-BE9F-653A04A7CC74}\InprocServer32\1.0.0.0"
    ));
    assert!(exists(
        &m,
        r"HKEY_CLASSES_ROOT\Record\{FD183F98-DDD9-3A8B-A7F8-5ED55D8464B0}\1.0.0.0"
    ));
    let said: Vec<_> = r.trace.steps.iter().map(|s| s.text.as_str()).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("Contoso.Widget has no [Guid]") && t.contains("{DEE5C617-")),
        "{said:#?}"
    );
}

#[test]
fn tlb_an_assembly_without_guid_exports_under_its_generated_libid() {
    let mut m = machine_with(None, None);
    let r = common::regasm(&mut m, &[PATH, "/tlb"], &Switches::default()).unwrap();
    assert_eq!(r.exit_code, 0, "{:#?}", r.console);
    assert!(exists(
        &m,
        r"HKEY_CLASSES_ROOT\TypeLib\{B4AAF340-D5D1-3A57-8557-D0BCC1A15EB5}\1.0"
    ));
}

#[test]
fn a_signed_assembly_needs_its_public_key_and_the_key_changes_the_guid() {
    let mut m = machine_with(None, Some("0123456789abcdef"));
    let e = common::regasm(&mut m, &[PATH], &Switches::default()).unwrap_err();
    assert!(e.0.contains("public_key"), "{e}");

    let mut m = machine_with(Some("00000000000000000400000000000000"), None);
    let r = common::regasm(&mut m, &[PATH], &Switches::default()).unwrap();
    assert_eq!(r.exit_code, 0);
    assert!(!exists(
        &m,
        r"HKEY_CLASSES_ROOT\CLSID\{DEE5C617-AEA2-3F50-BE9F-653A04A7CC74}"
    ));
}
