//! Path independence: the output of a replay does not depend on the path that named the scenario
//! (absolute, `./x/`, `x`, or `.` from inside it) nor on the working directory. Expectation
//! locations, the setup trace and machine-step commands name files relative to the scenario's
//! directory, and the scenario by its directory's name.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `comsim ARGS...` in `cwd`; returns (exit code, stdout).
fn comsim_in(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_comsim"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .output()
        .expect("comsim runs");
    assert!(
        o.stderr.is_empty(),
        "{args:?} in {}: {}",
        cwd.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), String::from_utf8(o.stdout).expect("UTF-8"))
}

/// Scenarios with a `.reg` in the setup, an import step and expectations at many lines, a
/// native client, and a regasm step writing a `/regfile`.
const SCENARIOS: [&str; 3] = [
    "machine-steps-import-delete",
    "classic-32bit-client-32bit-regasm",
    "regasm-regfile-import",
];

#[test]
fn replay_output_is_the_same_whatever_path_names_the_scenario() {
    let root = root().canonicalize().expect("the workspace root");
    let fixtures = root.join("fixtures");
    for name in SCENARIOS {
        let dir = fixtures.join("scenarios").join(name);
        let absolute = dir.to_str().expect("a UTF-8 path").to_owned();
        let from_root = format!("fixtures/scenarios/{name}");
        let dotted = format!("./scenarios/{name}/");
        let file = format!("scenarios/{name}/scenario.toml");
        // (working directory, the path typed)
        let ways: [(&Path, &str); 5] = [
            (&root, &from_root),
            (&fixtures, &dotted),
            (&fixtures, &file),
            (&dir, "."),
            (Path::new("/"), &absolute),
        ];
        for format in ["text", "json", "snapshot"] {
            let outputs: Vec<_> = ways
                .iter()
                .map(|(cwd, path)| comsim_in(cwd, &["replay", path, "--format", format]))
                .collect();
            let (first_code, first) = &outputs[0];
            assert!(
                !first.contains(&absolute),
                "{name} {format}: an absolute path"
            );
            assert!(
                !first.contains("fixtures/"),
                "{name} {format}: a path as typed"
            );
            for ((cwd, path), (code, out)) in ways.iter().zip(&outputs) {
                assert_eq!(
                    code,
                    first_code,
                    "{name} {format}: {path} in {}",
                    cwd.display()
                );
                assert!(
                    out == first,
                    "{name} --format {format}: `{path}` typed in {} gives other bytes than `{}`",
                    cwd.display(),
                    ways[0].1
                );
            }
        }
    }
}
