//! `export` (and `export_to`, which writes as it goes) gives byte for byte what the first export
//! gave: `export_text`, which opens every key by its path from the root, encoded as UTF-16LE. Checked
//! over every `.reg` fixture (what lenient import keeps of it) and a machine with both halves of HKCR, 32-bit registrations and
//! the Wow6432Node links, in each view and merge mode (REG-1..REG-3).

use comsim_regfile::{ImportOptions, Mode, encode_utf16le, export, export_text, import_bytes};
use comsim_registry::{Access, KeyPath, MergeMode, Registry, View};

fn accesses() -> Vec<Access> {
    let mut out = Vec::new();
    for view in [View::Bits64, View::Bits32] {
        for merge in [MergeMode::Union, MergeMode::Strict] {
            for user_classes in [true, false] {
                out.push(Access {
                    view,
                    merge,
                    user_classes,
                });
            }
        }
    }
    out
}

const PATHS: [&str; 14] = [
    "HKEY_CLASSES_ROOT",
    "HKEY_CLASSES_ROOT\\CLSID",
    "HKEY_CLASSES_ROOT\\clsid\\{00000000-0000-0000-0000-00000000000A}",
    "HKEY_CLASSES_ROOT\\Wow6432Node",
    "HKEY_CLASSES_ROOT\\Wow6432Node\\CLSID",
    "HKEY_CLASSES_ROOT\\TypeLib",
    "HKEY_LOCAL_MACHINE",
    "HKEY_LOCAL_MACHINE\\Software",
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes",
    "HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node",
    "HKEY_LOCAL_MACHINE\\Software\\Wow6432Node",
    "HKEY_CURRENT_USER",
    "HKEY_CURRENT_USER\\Software\\Classes\\CLSID",
    "HKEY_USERS",
];

fn same_as_first_export(reg: &Registry, what: &str) {
    for access in accesses() {
        for p in PATHS {
            let path = KeyPath::parse(p).unwrap();
            let want = export_text(reg, &path, &access).map(|t| encode_utf16le(&t));
            assert_eq!(export(reg, &path, &access), want, "{what}: {p} {access:?}");
        }
    }
}

fn lenient() -> ImportOptions {
    ImportOptions {
        mode: Mode::Lenient,
        ..ImportOptions::default()
    }
}

#[test]
fn export_is_byte_identical_to_the_first_export_on_every_reg_fixture() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/reg");
    let mut n = 0;
    let files = ["valid", "invalid"]
        .iter()
        .flat_map(|d| std::fs::read_dir(format!("{dir}/{d}")).unwrap());
    for entry in files {
        let path = entry.unwrap().path();
        let mut reg = Registry::new();
        let bytes = std::fs::read(&path).unwrap();
        let _ = import_bytes(&mut reg, "f.reg", &bytes, &lenient());
        same_as_first_export(&reg, &path.display().to_string());
        n += 1;
    }
    assert!(n > 50, "{n} fixtures");
}

#[test]
fn export_is_byte_identical_to_the_first_export_through_both_halves_of_hkcr() {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for (i, hive) in ["HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER"]
        .iter()
        .enumerate()
    {
        for (wow, bits) in [("", 64), ("\\Wow6432Node", 32)] {
            // Enough classes that the CLSID key's subkeys are hashed, not a short sorted list.
            for k in (i * 40)..(i * 40 + 90) {
                text.push_str(&format!(
                    "[{hive}\\Software\\Classes{wow}\\CLSID\\{{00000000-0000-0000-0000-{k:012X}}}\\InprocServer32]\r\n@=\"{hive} {bits}\"\r\n\"ThreadingModel\"=\"Both\"\r\n"
                ));
            }
            text.push_str(&format!(
                "[{hive}\\Software\\Classes{wow}\\TypeLib\\{{L}}\\1.0]\r\n@=\"lib\"\r\n[{hive}\\Software\\Classes{wow}\\Interface\\{{I}}]\r\n@=\"i\"\r\n[{hive}\\Software\\Classes{wow}\\Prog.Id\\CLSID]\r\n@=\"x\"\r\n"
            ));
        }
    }
    text.push_str(
        "[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Vendor]\r\n\"v\"=dword:00000001\r\n",
    );
    text.push_str("[HKEY_LOCAL_MACHINE\\Software\\Vendor\\A\\B\\C\\D]\r\n\"bin\"=hex:01,02\r\n");
    text.push_str("[HKEY_USERS\\S-1-5-21\\Software]\r\n");
    let mut reg = Registry::new();
    import_bytes(
        &mut reg,
        "m.reg",
        text.as_bytes(),
        &ImportOptions::default(),
    )
    .unwrap();
    same_as_first_export(&reg, "machine");
}
