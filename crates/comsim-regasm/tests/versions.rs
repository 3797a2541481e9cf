//! ASM-4 over two versions of one assembly, checked key by key in the registry.

mod common;

use comsim_registry::{Access, KeyPath, Registry};
use comsim_resolver::machine::TypeKind;
use comsim_resolver::{Machine, Switches};

use common::{assembly, place, public_type};

const CLSID: &str = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";

fn machine() -> Machine {
    let mut m = common::machine();
    for (dir, v, rt) in [("1.0", 1, "v2.0.50727"), ("2.0", 2, "v4.0.30319")] {
        let mut asm = assembly([v, 0, 0, 0], rt, None, Some("0123456789abcdef"));
        asm.types = vec![public_type("Contoso.Widget", TypeKind::Class, Some(CLSID))];
        place(
            &mut m,
            &format!(r"C:\Contoso\{dir}\Contoso.Widgets.dll"),
            asm,
        );
    }
    m
}

fn regasm(m: &mut Machine, dir: &str, extra: &[&str], sw: &Switches) -> u32 {
    let path = format!(r"C:\Contoso\{dir}\Contoso.Widgets.dll");
    let mut args = vec![path.as_str()];
    args.extend_from_slice(extra);
    common::regasm(m, &args, sw).unwrap().exit_code
}

fn value(reg: &Registry, key: &str, name: &str) -> Option<String> {
    let path = KeyPath::parse(&format!(r"HKEY_CLASSES_ROOT\CLSID\{CLSID}\{key}")).unwrap();
    reg.query_value(&path, name, &Access::default())
        .and_then(|(v, _)| v.as_string())
}

#[test]
fn asm4_version_subkeys_accumulate_and_the_top_level_describes_the_last_registered() {
    let mut m = machine();
    let sw = Switches::default();
    assert_eq!(regasm(&mut m, "1.0", &[], &sw), 0);
    assert_eq!(regasm(&mut m, "2.0", &[], &sw), 0);
    let reg = &m.registry;
    assert!(value(reg, r"InprocServer32\1.0.0.0", "Class").is_some());
    assert_eq!(
        value(reg, r"InprocServer32\2.0.0.0", "RuntimeVersion").as_deref(),
        Some("v4.0.30319")
    );
    assert_eq!(
        value(reg, "InprocServer32", "RuntimeVersion").as_deref(),
        Some("v4.0.30319")
    );
}

#[test]
fn asm4_unregistering_one_version_keeps_the_rest_and_the_last_removes_everything() {
    let mut m = machine();
    let empty = m.registry.clone();
    let sw = Switches::default();
    regasm(&mut m, "1.0", &[], &sw);
    regasm(&mut m, "2.0", &[], &sw);
    assert_eq!(regasm(&mut m, "1.0", &["/u"], &sw), 0);
    assert!(value(&m.registry, r"InprocServer32\1.0.0.0", "Class").is_none());
    assert_eq!(
        value(&m.registry, "InprocServer32", "Assembly").as_deref(),
        Some("Contoso.Widgets, Version=2.0.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef")
    );
    assert_eq!(regasm(&mut m, "2.0", &["/u"], &sw), 0);
    // Everything RegistrationServices wrote is gone except the shared .NET category.
    let left: Vec<_> = comsim_registry::diff(&empty, &m.registry)
        .into_iter()
        .map(|c| format!("{c:?}"))
        .filter(|c| !c.contains("Component Categories"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:#?}");
}

#[test]
fn asm4_switch_delete_removes_the_top_level_class_values_with_one_version() {
    let mut m = machine();
    let mut sw = Switches::default();
    sw.set("asm-unregister-values", "delete").unwrap();
    regasm(&mut m, "1.0", &[], &sw);
    regasm(&mut m, "2.0", &[], &sw);
    regasm(&mut m, "1.0", &["/u"], &sw);
    assert!(value(&m.registry, "InprocServer32", "Assembly").is_none());
    assert_eq!(
        value(&m.registry, "InprocServer32", "").as_deref(),
        Some("mscoree.dll")
    );
    assert!(value(&m.registry, r"InprocServer32\2.0.0.0", "Assembly").is_some());
}
