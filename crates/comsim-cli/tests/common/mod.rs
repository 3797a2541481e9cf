//! Running the `comsim` binary from the workspace root, as the CLI tests do, and the checks
//! every HTML page shares. Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
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

/// The checks every page `--format html` writes must pass, and what its snapshot keeps: the page
/// is self-contained (no script, stylesheet, image or URL from elsewhere, the SVG namespace
/// aside), and every rule ID it links to is defined in its rules section. The rules' text comes
/// from docs/rules.md, which grows with every rule's evidence, so the snapshot form is the page
/// up to that section and the IDs the section defines.
pub fn html_page_snapshot(what: &str, html: &str) -> String {
    let (page, rules) = html
        .split_once("<section id=\"rules\">")
        .expect("the page ends with the rules it cites");
    let outside_page = page.replace("http://www.w3.org/2000/svg", "");
    for outside in ["<script", "<link", "src=", "http://", "https://", "url("] {
        assert!(
            !outside_page.contains(outside),
            "{what}: the page holds {outside}"
        );
    }
    let defined: Vec<&str> = rules
        .split("<dt id=\"rule-")
        .skip(1)
        .filter_map(|d| d.split('"').next())
        .collect();
    for link in page.split("href=\"#rule-").skip(1) {
        let id = link.split('"').next().unwrap_or_default();
        assert!(
            defined.contains(&id),
            "{what}: {id} is linked but not defined"
        );
    }
    format!("{page}[rules section: {}]\n", defined.join(", "))
}

/// Every `.rs` file under `dir`, in a stable order.
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}
