//! `comsim check`: the command line a CI job runs (docs/snapshots.md). The bundled scenarios
//! match their committed snapshots (exit 0); a changed snapshot is reported by step and CLR and
//! exits 1, as does a missing one; `--update` writes it; `--junit` writes one test case per
//! scenario; a directory with no scenario is bad input (exit 2).

use std::path::{Path, PathBuf};

mod common;

fn comsim(args: &[&str]) -> (i32, String, String) {
    let o = common::run_comsim(args);
    (
        o.status.code().expect("an exit code"),
        String::from_utf8(o.stdout).expect("UTF-8"),
        String::from_utf8(o.stderr).expect("UTF-8"),
    )
}

/// A copy of a bundled scenario (its `scenario.toml` and the files beside it) in a fresh
/// directory under the target's temporary directory.
fn copy_of(name: &str, case: &str) -> PathBuf {
    let from = common::root().join("fixtures/scenarios").join(name);
    let to = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-check")
        .join(case)
        .join(name);
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to).expect("a temporary directory");
    for entry in std::fs::read_dir(&from).expect("the scenario directory") {
        let entry = entry.expect("an entry");
        if entry.file_type().expect("a type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copied");
        }
    }
    to
}

#[test]
fn the_bundled_scenarios_match_their_snapshots() {
    let (code, out, err) = comsim(&["check", "fixtures/scenarios"]);
    assert_eq!(code, 0, "{out}{err}");
    let last = out.lines().last().expect("a summary");
    assert!(last.contains(" 0 changed, 0 missing, 0 failed"), "{last}");
}

#[test]
fn a_changed_snapshot_is_named_by_step_and_clr_and_exits_1() {
    let dir = copy_of("regasm-codebase-unsigned", "changed");
    let snap = dir.join("scenario.snap");
    // The stored snapshot says the class came from elsewhere on CLR 4.0.
    let stored = std::fs::read_to_string(&snap).expect("the committed snapshot");
    let edited = stored.replace(
        "    path = C:\\Contoso\\Contoso.Widgets.dll",
        "    path = C:\\Elsewhere\\Contoso.Widgets.dll",
    );
    assert_ne!(stored, edited, "the snapshot holds the path");
    std::fs::write(&snap, edited).expect("written");
    let d = dir.to_str().expect("UTF-8");
    let junit = dir.with_extension("xml");
    let (code, out, _) = comsim(&["check", d, "--junit", junit.to_str().expect("UTF-8")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("changed "), "{out}");
    assert!(
        out.contains(
            "step \"create the class\" clr 4.0 what-if: path: C:\\Elsewhere\\Contoso.Widgets.dll -> C:\\Contoso\\Contoso.Widgets.dll"
        ),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
    assert!(xml.contains("<failure message=\"changed\">"), "{xml}");

    // --update writes it back; the next check passes.
    let (code, out, _) = comsim(&["check", d, "--update"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read_to_string(&snap).expect("rewritten"), stored);
}

#[test]
fn a_missing_snapshot_exits_1_unless_updating() {
    let dir = copy_of("treatas", "missing");
    std::fs::remove_file(dir.join("scenario.snap")).expect("removed");
    let d = dir.to_str().expect("UTF-8");
    let (code, out, _) = comsim(&["check", d]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("missing "), "{out}");
    let (code, out, _) = comsim(&["check", d, "--update"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("written "), "{out}");
    assert!(dir.join("scenario.snap").is_file());
}

#[test]
fn snapshots_may_live_in_a_directory_of_their_own() {
    let dir = copy_of("treatas", "elsewhere");
    std::fs::remove_file(dir.join("scenario.snap")).expect("removed");
    let snaps = dir.with_extension("snaps");
    let _ = std::fs::remove_dir_all(&snaps);
    let args = [
        "check",
        dir.to_str().expect("UTF-8"),
        "--snapshots",
        snaps.to_str().expect("UTF-8"),
    ];
    let (code, _, _) = comsim(&[&args[..], &["--update"]].concat());
    assert_eq!(code, 0);
    assert!(snaps.join("treatas.snap").is_file());
    let (code, out, _) = comsim(&args);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_directory_without_scenarios_is_bad_input() {
    let (code, _, err) = comsim(&["check", "docs"]);
    assert_eq!(code, 2);
    assert!(err.contains("no scenario"), "{err}");
}
