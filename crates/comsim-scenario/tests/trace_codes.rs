//! Trace step codes (`TraceStep::code`, `docs/trace-codes.md`): every code the sources set is
//! listed in the table once, in kebab-case, and every listed code is set somewhere; every trace
//! step of every bundled scenario (and of its setup) carries a code, with a rule that code's row
//! lists. The codes are the machine-readable reason beside each step's prose (issue 14).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use comsim_resolver::Trace;
use comsim_scenario::{ReplayOptions, StepRun, replay};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The table: code → the rules listed for it. Panics on a code listed twice or not kebab-case.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("docs/trace-codes.md")).expect("the doc");
    let mut table = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let code = cells[0].trim_start_matches("| `").trim_end_matches('`');
        assert!(
            !code.is_empty()
                && code.split('-').all(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                }),
            "`{code}` is not kebab-case"
        );
        let rules = cells[1].split(", ").map(str::to_owned).collect();
        assert!(
            table.insert(code.to_owned(), rules).is_none(),
            "`{code}` is listed twice"
        );
    }
    table
}

/// Every `.code("…")` in the sources that build traces (tests excluded).
fn in_sources() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![
        root().join("crates/comsim-resolver/src"),
        root().join("crates/comsim-regasm/src"),
        root().join("crates/comsim-scenario/src"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("UTF-8");
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for piece in text.split(".code(\"").skip(1) {
                let code = piece.split('"').next().unwrap_or_default();
                found.insert(code.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_code_is_documented_once_and_every_documented_code_is_used() {
    let table = documented();
    let used = in_sources();
    let undocumented: Vec<_> = used.iter().filter(|c| !table.contains_key(*c)).collect();
    let unused: Vec<_> = table.keys().filter(|c| !used.contains(*c)).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/trace-codes.md: {undocumented:?}"
    );
    assert!(
        unused.is_empty(),
        "in docs/trace-codes.md, set nowhere: {unused:?}"
    );
}

fn check_trace(
    scenario: &str,
    trace: &Trace,
    table: &BTreeMap<String, BTreeSet<String>>,
    seen: &mut BTreeSet<String>,
) {
    for step in &trace.steps {
        let code = step.code.unwrap_or_else(|| {
            panic!(
                "{scenario}: a {} step has no code: {}",
                step.rule, step.text
            )
        });
        let rules = table
            .get(code)
            .unwrap_or_else(|| panic!("{scenario}: `{code}` is not documented"));
        assert!(
            rules.contains(step.rule.as_str()),
            "{scenario}: `{code}` with {}, which its row does not list",
            step.rule
        );
        seen.insert(code.to_owned());
    }
}

#[test]
fn every_step_of_every_bundled_scenario_has_a_documented_code() {
    let table = documented();
    let mut seen = BTreeSet::new();
    let dir = root().join("fixtures/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the scenarios")
        .map(|e| e.expect("an entry").path())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let scenario = comsim_scenario::load(&d).unwrap_or_else(|e| panic!("{e}"));
        check_trace(&name, &scenario.machine.setup, &table, &mut seen);
        let r = replay(&scenario, &ReplayOptions::default()).expect("replays");
        for step in &r.steps {
            match step {
                StepRun::Machine(m) => check_trace(&name, &m.run.trace, &table, &mut seen),
                StepRun::Request(q) => {
                    for run in &q.runs {
                        check_trace(&name, &run.run.trace, &table, &mut seen);
                    }
                }
            }
        }
    }
    assert!(seen.len() > 100, "{} codes seen", seen.len());
}
