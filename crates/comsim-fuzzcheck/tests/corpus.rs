//! The fuzz targets' checks on the stable toolchain (docs/reliability.md): every seed of each
//! target's corpus (files under `fixtures/`), then a fixed number of seeded mutations of each,
//! spliced with the target's dictionary (`fuzz/dict/`). The same inputs on every run.

use std::path::{Path, PathBuf};

use comsim_fuzzcheck::{
    check_clrmeta, check_config, check_error_text, check_hive, check_manifest, check_pe,
    check_reg_lenient, check_reg_strict, check_scenario, dictionary, mutate,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dirs` (recursively) whose name ends in one of `extensions`, sorted.
fn seeds(dirs: &[&str], extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = dirs.iter().map(|d| root().join(d)).collect();
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("a fixture directory")
            .flatten()
        {
            let path = entry.path();
            let name = path.to_string_lossy().to_ascii_lowercase();
            if path.is_dir() {
                todo.push(path);
            } else if extensions.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no seeds under {dirs:?}");
    out
}

/// Runs `check` on each seed and on `rounds` mutations of it; a failure names the input.
fn replay(target: &str, seeds: &[PathBuf], rounds: u64, check: fn(&[u8])) {
    let dict_text = std::fs::read_to_string(root().join(format!("fuzz/dict/{target}.dict")))
        .expect("the target's dictionary");
    let dict = dictionary(&dict_text);
    assert!(!dict.is_empty());
    let dict: Vec<&str> = dict.iter().map(String::as_str).collect();
    for seed in seeds {
        let bytes = std::fs::read(seed).expect("a seed");
        for round in 0..=rounds {
            let input = if round == 0 {
                bytes.clone()
            } else {
                mutate(&bytes, round, &dict)
            };
            let outcome = std::panic::catch_unwind(|| check(&input));
            assert!(
                outcome.is_ok(),
                "{target}: {} mutation {round} fails its check",
                seed.display()
            );
        }
    }
}

#[test]
fn reg_strict_corpus() {
    let s = seeds(&["fixtures/reg", "fixtures/registry"], &[".reg"]);
    replay("reg", &s, 40, check_reg_strict);
}

#[test]
fn reg_lenient_corpus() {
    let s = seeds(&["fixtures/reg", "fixtures/registry"], &[".reg"]);
    replay("reg", &s, 40, check_reg_lenient);
}

#[test]
fn manifest_corpus() {
    let s = seeds(&["fixtures/manifests", "fixtures/sxs"], &[".manifest"]);
    replay("manifest", &s, 40, check_manifest);
}

#[test]
fn pe_corpus() {
    let s = seeds(&["fixtures/pe"], &[".exe", ".dll"]);
    replay("pe", &s, 200, check_pe);
}

#[test]
fn config_corpus() {
    let s = seeds(&["fixtures/config"], &[".config"]);
    replay("config", &s, 40, check_config);
}

#[test]
fn scenario_corpus() {
    let s = seeds(&["fixtures/scenarios"], &["scenario.toml"]);
    replay("scenario", &s, 2, check_scenario);
}

#[test]
fn clrmeta_corpus() {
    let s = seeds(&["fixtures/assemblies"], &[".dll", ".exe", ".netmodule"]);
    replay("clrmeta", &s, 1000, check_clrmeta);
}

#[test]
fn hive_corpus() {
    // The hive files of fixtures/hives: `*.hiv`, `NTUSER.DAT`, `UsrClass.dat` and `SOFTWARE`
    // (no extension), the damaged ones under `corrupt/` included.
    let s = seeds(&["fixtures/hives"], &[".hiv", ".dat", "/software"]);
    replay("hive", &s, 200, check_hive);
}

/// Every hive fixture that is not damaged loads and comes back from its `.reg` export as the
/// same registry (`assert_hive_round_trip`, which `check_hive` also runs on each mutation that
/// loads).
#[test]
fn every_hive_fixture_round_trips_through_its_reg_export() {
    let s = seeds(&["fixtures/hives"], &[".hiv", ".dat", "/software"]);
    let mut n = 0;
    for seed in s
        .iter()
        .filter(|p| !p.to_string_lossy().contains("corrupt"))
    {
        let mount = comsim_hive::guess_mount("SOFTWARE").expect("SOFTWARE's mount point");
        let mut reg = comsim_registry::Registry::default();
        let bytes = std::fs::read(seed).expect("a seed");
        let loaded = comsim_hive::load_bytes(&mut reg, "f", &bytes, &mount, &[]);
        assert!(loaded.is_ok(), "{} does not load", seed.display());
        comsim_fuzzcheck::assert_hive_round_trip(&reg, &mount);
        n += 1;
    }
    assert!(n >= 6, "only {n} hive fixtures");
}

#[test]
fn error_text_corpus() {
    let s = seeds(&["fixtures/diagnose"], &["error.txt"]);
    replay("error_text", &s, 2000, check_error_text);
}
