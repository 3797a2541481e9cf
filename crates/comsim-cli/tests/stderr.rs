//! Standard error belongs to the command line's main thread: `main` locks it for the whole
//! command (`comsim_cli::run_with_progress` is handed the lock) and the progress bar and the
//! diagnostics are written through that handle. A library that wrote to standard error itself,
//! from a thread of the audit's or the import's, would wait for that lock forever while the main
//! thread waits for the thread (an instrumented build of the audit hung this way). So no source
//! of the workspace's crates but `main.rs` and the developer tasks names standard error
//! (docs/architecture.md, "Invariants").

use std::path::PathBuf;

mod common;
use common::rust_files;

#[test]
fn only_main_writes_to_standard_error() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let krate = entry.unwrap().path();
        if krate.file_name().is_some_and(|n| n == "xtask") {
            continue;
        }
        let src = krate.join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(
        files.len() > 100,
        "the crates' sources were found: {}",
        files.len()
    );
    let main = crates.join("comsim-cli/src/main.rs");
    let mut writers = Vec::new();
    for f in files.iter().filter(|f| **f != main) {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            // Asking whether standard error is a terminal takes no lock.
            let line_without_query = line.replace("stderr().is_terminal()", "");
            if ["eprintln!", "eprint!", "stderr()", "dbg!"]
                .iter()
                .any(|w| line_without_query.contains(w))
            {
                writers.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(writers.is_empty(), "{}", writers.join("\n"));
    // The rule holds where it matters: main does lock standard error for the command.
    let main_text = std::fs::read_to_string(&main).unwrap();
    assert!(main_text.contains("stderr.lock()"), "main.rs locks stderr");
}
