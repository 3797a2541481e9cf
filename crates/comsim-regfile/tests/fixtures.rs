//! One snapshot per .reg fixture (ruff's model): `fixtures/reg/invalid/*.reg` must each fail strict
//! import with a located error and import leniently without panicking; `fixtures/reg/valid/*.reg`
//! must import strictly. Each snapshot shows what comsim says and what ends up in the registry.

use std::path::Path;

use comsim_regfile::{ImportOptions, Mode, dump, import_bytes};
use comsim_registry::Registry;

fn display_name(path: &Path) -> String {
    let rel = path.components().rev().take(3).collect::<Vec<_>>();
    let parts: Vec<_> = rel
        .iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    format!("fixtures/{}", parts.join("/"))
}

fn lenient_report(name: &str, bytes: &[u8]) -> String {
    let mut reg = Registry::new();
    let opts = ImportOptions {
        mode: Mode::Lenient,
        ..ImportOptions::default()
    };
    let mut out = String::new();
    match import_bytes(&mut reg, name, bytes, &opts) {
        Ok(report) => {
            for w in &report.warnings {
                out.push_str(&format!("{w}\n"));
            }
            if report.warnings.is_empty() {
                out.push_str("(no warnings)\n");
            }
            out.push_str("\nimported:\n");
            out.push_str(&dump(&reg));
        }
        Err(e) => out.push_str(&format!("{e}\n\nimported nothing\n")),
    }
    out
}

#[test]
fn invalid_reg_files_fail_strict_import_with_a_located_error() {
    insta::glob!("../../../fixtures", "reg/invalid/*.reg", |path| {
        let name = display_name(path);
        let bytes = std::fs::read(path).unwrap();
        let mut reg = Registry::new();
        let err = import_bytes(&mut reg, &name, &bytes, &ImportOptions::default())
            .expect_err("a fixture under invalid/ must fail strict import");
        let loc = err.location.clone().expect("strict errors name a location");
        assert_eq!(&*loc.file, name.as_str());
        assert!(loc.line >= 1 && loc.column >= 1);
        let snapshot = format!(
            "strict:\n{err}\n\nlenient:\n{}",
            lenient_report(&name, &bytes)
        );
        insta::assert_snapshot!(snapshot);
    });
}

#[test]
fn valid_reg_files_import_strictly() {
    insta::glob!("../../../fixtures", "reg/valid/*.reg", |path| {
        let name = display_name(path);
        let bytes = std::fs::read(path).unwrap();
        let mut reg = Registry::new();
        let report = import_bytes(&mut reg, &name, &bytes, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<_> = report.warnings.iter().map(ToString::to_string).collect();
        let snapshot = format!(
            "format: {:?}, encoding: {}\nwarnings: {warnings:?}\n\n{}",
            report.format.unwrap(),
            report.encoding.name(),
            dump(&reg)
        );
        insta::assert_snapshot!(snapshot);
    });
}
