//! Running the `comsim` binary from the workspace root, as the CLI tests do.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The workspace root: fixture paths in the tests and snapshots are relative to it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `comsim ARGS...` in the workspace root with an empty environment (no colour, no locale).
pub fn run_comsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comsim"))
        .args(args)
        .current_dir(root())
        .env_clear()
        .output()
        .expect("comsim runs")
}
