//! The hive fixtures of `fixtures/hives` (built by `fixtures/hives/build.sh` with hivexregedit from
//! the `.reg` files beside them): each hive read by comsim-hive gives the registry that importing
//! its `.reg` source gives; each damaged copy under `corrupt/` fails with its located error; and no
//! prefix or mutation of a hive makes the reader panic.

use std::path::PathBuf;

use comsim_hive::{load_bytes, resolve_mount};
use comsim_regfile::{ImportOptions, dump, import_bytes};
use comsim_registry::Registry;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/hives")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every fixture hive, its source, and its mount point (`None`: guessed from the name).
const FIXTURES: &[(&str, &str, Option<&str>)] = &[
    ("SOFTWARE", "software.reg", None),
    ("NTUSER.DAT", "ntuser.reg", None),
    ("UsrClass.dat", "usrclass.reg", None),
    ("names.hiv", "names.reg", Some("HKLM\\SOFTWARE")),
    ("big.hiv", "big.reg", Some("HKLM\\SOFTWARE")),
    ("many.hiv", "many.reg", Some("HKLM\\SOFTWARE")),
];

fn load(name: &str, mount: Option<&str>) -> Result<Registry, comsim_diag::Diagnostic> {
    let (mount, _) = resolve_mount(name, mount)?;
    let mut reg = Registry::new();
    load_bytes(&mut reg, name, &read(name), &mount, &[])?;
    Ok(reg)
}

#[test]
fn each_hive_reads_as_its_reg_source_imports() {
    for &(hive, source, mount) in FIXTURES {
        let mut want = Registry::new();
        import_bytes(&mut want, source, &read(source), &ImportOptions::default())
            .unwrap_or_else(|d| panic!("{source}: {d}"));
        let got = load(hive, mount).unwrap_or_else(|d| panic!("{d}"));
        let (want, got) = (dump(&want), dump(&got));
        assert!(want.lines().count() > 3, "{source} imports something");
        assert_eq!(got, want, "{hive} against {source}");
    }
}

#[test]
fn wow6432node_stays_where_the_software_hive_stores_it() {
    // The store is physical (docs/architecture.md): 32-bit keys are read where the hive holds
    // them, HKLM\SOFTWARE\Wow6432Node and HKLM\SOFTWARE\Classes\Wow6432Node, and a 32-bit
    // process's view (REG-3) finds them there.
    let reg = load("SOFTWARE", None).unwrap();
    let lm = comsim_registry::Hive::LocalMachine;
    let key = reg.find(
        lm,
        &[
            "SOFTWARE",
            "Classes",
            "Wow6432Node",
            "CLSID",
            "{0D2A8F1E-5C3B-4B6A-9E21-7F3C2A1B0C02}",
            "InprocServer32",
        ],
    );
    let value = key
        .and_then(|k| reg.value(k, "ThreadingModel"))
        .and_then(|v| v.as_string());
    assert_eq!(value.as_deref(), Some("Apartment"));
    let contoso = reg.find(lm, &["SOFTWARE", "Wow6432Node", "Contoso"]);
    assert_eq!(
        contoso
            .and_then(|k| reg.value(k, "Installed"))
            .and_then(|v| v.as_dword()),
        Some(1)
    );
    let path = comsim_registry::KeyPath::parse(
        "HKEY_CLASSES_ROOT\\CLSID\\{0D2A8F1E-5C3B-4B6A-9E21-7F3C2A1B0C02}\\InprocServer32",
    )
    .unwrap();
    let access32 = comsim_registry::Access::new(comsim_registry::View::Bits32);
    assert!(
        reg.open(&path, &access32).is_some(),
        "REG-3: the 32-bit view finds it"
    );
    assert!(
        reg.open(&path, &comsim_registry::Access::default())
            .is_none(),
        "not the 64-bit one"
    );
}

#[test]
fn only_loads_the_keys_on_the_way_to_a_subtree() {
    let (mount, _) = resolve_mount("SOFTWARE", None).unwrap();
    let mut reg = Registry::new();
    let only = vec!["Classes".to_owned(), "CLSID".to_owned()];
    let report = load_bytes(&mut reg, "SOFTWARE", &read("SOFTWARE"), &mount, &only).unwrap();
    let lm = comsim_registry::Hive::LocalMachine;
    assert!(
        reg.find(
            lm,
            &[
                "SOFTWARE",
                "Classes",
                "CLSID",
                "{0D2A8F1E-5C3B-4B6A-9E21-7F3C2A1B0C01}",
                "InprocServer32"
            ]
        )
        .is_some()
    );
    assert!(reg.find(lm, &["SOFTWARE", "Types"]).is_none());
    assert!(
        reg.find(lm, &["SOFTWARE", "Classes", "Contoso.Widget"])
            .is_none()
    );
    assert_eq!(
        report.keys, 5,
        "root, Classes, CLSID, the class, InprocServer32"
    );
}

#[test]
fn damaged_hives_fail_with_the_file_the_offset_and_what_was_expected() {
    let mut names: Vec<_> = std::fs::read_dir(dir().join("corrupt"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.len() >= 6);
    let mut shown = String::new();
    for name in names {
        let path = format!("corrupt/{name}");
        let err = load(&path, Some("HKLM\\SOFTWARE")).expect_err(&path);
        assert!(
            err.message.starts_with(&format!("{path}: at byte ")),
            "{err}"
        );
        shown.push_str(&format!("{err}\n\n"));
    }
    insta::assert_snapshot!("corrupt", shown);
}

#[test]
fn every_prefix_of_a_hive_fails_cleanly() {
    let bytes = read("SOFTWARE");
    let (mount, _) = resolve_mount("SOFTWARE", None).unwrap();
    for len in 0..bytes.len() {
        let mut reg = Registry::new();
        let r = load_bytes(&mut reg, "SOFTWARE", &bytes[..len], &mount, &[]);
        assert!(r.is_err(), "a {len}-byte prefix was read");
    }
}

#[test]
fn seeded_mutations_never_panic() {
    let files = ["SOFTWARE", "names.hiv", "big.hiv"];
    let mut rng = comsim_rng::Xorshift64::new(0x9E37_79B9_7F4A_7C15);
    let mut next = move || rng.bits();
    let (mount, _) = resolve_mount("SOFTWARE", None).unwrap();
    let mut outcomes = [0usize; 2];
    for round in 0..3000 {
        let mut bytes = read(files[round % files.len()]);
        for _ in 0..1 + next() % 4 {
            // Mostly inside the cells, where the references are; sometimes the base block.
            let at = if next() % 8 == 0 {
                next() % 4096
            } else {
                4096 + next() % (bytes.len() as u64 - 4096)
            } as usize;
            bytes[at] = next() as u8;
        }
        fix_checksum(&mut bytes);
        let mut reg = Registry::new();
        outcomes[usize::from(load_bytes(&mut reg, "m", &bytes, &mount, &[]).is_ok())] += 1;
    }
    assert!(
        outcomes[0] > 100 && outcomes[1] > 100,
        "both outcomes happen: {outcomes:?}"
    );
}

/// Rewrites the base block's checksum, so that mutations reach past it.
fn fix_checksum(b: &mut [u8]) {
    let mut x = 0u32;
    for c in b[..508].chunks_exact(4) {
        x ^= u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let x = match x {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        x => x,
    };
    b[508..512].copy_from_slice(&x.to_le_bytes());
}
