//! Diagnostic codes are a fixed set (issue 10): each crate that reports diagnostics declares its
//! codes once in its `codes` table, a code name has one meaning across the workspace, every code
//! is explained in `docs/diagnostics.md`, and no diagnostic is made from a code spelt at the call.
//!
//! This test lives in comsim-cli because comsim-cli depends on every crate with a table
//! (comsim-appconfig, which it reaches through the resolver, as a dev-dependency).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use comsim_diag::Code;

mod common;
use common::rust_files;

/// Every table, with the crate that declares it (as `docs/diagnostics.md` names it).
const TABLES: &[(&str, &[Code])] = &[
    ("comsim-regfile", comsim_regfile::codes::ALL),
    ("comsim-hive", comsim_hive::codes::ALL),
    ("comsim-manifest", comsim_manifest::codes::ALL),
    ("comsim-clrmeta", comsim_clrmeta::codes::ALL),
    ("comsim-appconfig", comsim_appconfig::codes::ALL),
    ("comsim-scenario", comsim_scenario::codes::ALL),
    ("comsim-diagnose", comsim_diagnose::codes::ALL),
    ("comsim-cli", comsim_cli::codes::ALL),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn codes_are_lower_kebab_case_one_line_and_unique_across_the_workspace() {
    let mut seen: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut problems = Vec::new();
    for &(krate, table) in TABLES {
        assert!(!table.is_empty(), "{krate} declares no codes");
        for code in table {
            if !code.is_well_formed() {
                problems.push(format!("{krate}: `{code}` is not lower-kebab-case"));
            }
            let summary = code.summary();
            if summary.trim().is_empty() || summary.contains('\n') {
                problems.push(format!("{krate}: `{code}` needs a one-line meaning"));
            }
            if let Some((other, meaning)) = seen.insert(code.name(), (krate, summary)) {
                problems.push(format!(
                    "`{code}` is declared by {other} (\"{meaning}\") and again by {krate} (\"{summary}\")"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The `(crate, code)` rows of `docs/diagnostics.md`: a section heading names its crate as
/// `` (`crate`) ``, and each table row starts with the code in backquotes.
fn documented() -> Vec<(String, String, usize)> {
    let path = root().join("docs/diagnostics.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut krate = String::new();
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(heading) = line.strip_prefix("## ") {
            krate = heading
                .rsplit_once("(`")
                .and_then(|(_, rest)| rest.strip_suffix("`)"))
                .unwrap_or_default()
                .to_owned();
        } else if let Some(rest) = line.strip_prefix("| `") {
            let code = rest.split('`').next().unwrap_or_default().to_owned();
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            assert!(
                cells.len() == 3 && cells.iter().all(|c| !c.trim().is_empty()),
                "docs/diagnostics.md:{}: a row is | code | when | what to do |",
                i + 1
            );
            rows.push((krate.clone(), code, i + 1));
        }
    }
    rows
}

#[test]
fn every_code_is_documented_in_its_crates_section_and_every_documented_code_exists() {
    let rows = documented();
    let declared: BTreeSet<(&str, &str)> = TABLES
        .iter()
        .flat_map(|&(krate, table)| table.iter().map(move |c| (krate, c.name())))
        .collect();
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (krate, code, line) in &rows {
        if !declared.contains(&(krate.as_str(), code.as_str())) {
            problems.push(format!(
                "docs/diagnostics.md:{line}: `{code}` is not a code of {krate:?}'s table"
            ));
        }
        if !listed.insert((krate.as_str(), code.as_str())) {
            problems.push(format!(
                "docs/diagnostics.md:{line}: `{code}` is listed twice"
            ));
        }
    }
    for (krate, code) in &declared {
        if !listed.contains(&(*krate, *code)) {
            problems.push(format!(
                "`{code}` ({krate}) is not explained in docs/diagnostics.md's section for {krate}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The sources of every crate, as (path relative to the root, text without blanks after `(`).
fn sources() -> Vec<(String, String)> {
    let crates = root().join("crates");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&crates).expect("crates/ is readable") {
        let src = entry.expect("a directory entry").path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a source file is UTF-8");
            // `Diagnostic::error(\n    "x"` is the same call as `Diagnostic::error("x"`.
            let mut squeezed = String::with_capacity(text.len());
            let mut after_paren = false;
            for c in text.chars() {
                if after_paren && c.is_whitespace() {
                    continue;
                }
                after_paren = c == '(';
                squeezed.push(c);
            }
            let shown = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            (shown, squeezed)
        })
        .collect()
}

/// `Diagnostic::error` and `warning` take a `Code`, so a code spelt as a string at the call does
/// not compile; the one way around the tables is to make a `Code` on the spot.
#[test]
fn codes_are_made_only_in_tables_and_each_table_lists_all_it_declares() {
    let mut problems = Vec::new();
    let mut tables = 0;
    for (path, text) in sources() {
        // A Code is made only in a table (comsim-diag, which defines the type, declares none and
        // makes test codes in its own unit tests).
        let is_table = path.ends_with("/src/codes.rs");
        tables += usize::from(is_table);
        let makes_code = text.contains("Code::new(") || text.contains("CodeInfo::new(");
        if makes_code && !is_table && !path.starts_with("crates/comsim-diag/") {
            problems.push(format!(
                "{path}: makes a Code outside a codes table; declare it in src/codes.rs"
            ));
        }
        if is_table {
            let declared: BTreeSet<&str> = text
                .split("CodeInfo::new(\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .collect();
            let krate = path.split('/').nth(1).unwrap_or_default();
            let all: BTreeSet<&str> = TABLES
                .iter()
                .filter(|(k, _)| *k == krate)
                .flat_map(|(_, table)| table.iter().map(|c| c.name()))
                .collect();
            let unlisted: Vec<_> = declared.difference(&all).collect();
            if !unlisted.is_empty() {
                problems.push(format!(
                    "{path}: {unlisted:?} declared but not in its ALL (or {krate} is not in TABLES)"
                ));
            }
        }
    }
    assert_eq!(tables, TABLES.len(), "one codes table per entry of TABLES");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
