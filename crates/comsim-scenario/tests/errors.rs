//! One snapshot per directory under `fixtures/scenario-errors/`: each `scenario.toml` there is
//! wrong in one way, and must fail to load with a located diagnostic. The snapshot is the
//! diagnostic as a user sees it, with paths relative to the workspace root.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn invalid_scenarios_fail_with_a_located_error() {
    let root = workspace_root();
    let prefix = format!("{}/", root.display());
    insta::glob!(
        "../../../fixtures",
        "scenario-errors/*/scenario.toml",
        |path| {
            let case = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy();
            let dir = root.join("fixtures/scenario-errors").join(&*case);
            let err = comsim_scenario::load(&dir)
                .expect_err("a scenario under scenario-errors/ must fail to load");
            assert!(err.is_error());
            let loc = err
                .location
                .clone()
                .expect("every scenario error names a location");
            assert!(loc.line >= 1 && loc.column >= 1, "{err}");
            assert!(
                loc.file.starts_with(&*dir.to_string_lossy()),
                "the error is in the scenario or a file it names: {err}"
            );
            insta::assert_snapshot!(err.to_string().replace(&prefix, ""));
        }
    );
}
