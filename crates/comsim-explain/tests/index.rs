//! `src/scenarios.tsv`, the index `comsim explain` reads to name the bundled scenarios that show
//! a rule or an HRESULT, is what replaying every scenario under `fixtures/scenarios/` on both
//! CLRs gives: each rule a trace cites (the machine's setup, machine steps, requests) and each
//! HRESULT an outcome carries. Run with `COMSIM_BLESS=1` to write it anew after a fixture
//! changes, then read the difference.

use std::collections::BTreeSet;
use std::path::Path;

use comsim_resolver::Trace;
use comsim_scenario::{ReplayOptions, StepRun, replay};

const SCENARIOS: &str = "../../fixtures/scenarios";

fn index() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIOS);
    let mut rows = BTreeSet::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("scenario.toml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 name")
            .to_owned();
        let scenario = comsim_scenario::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let r = replay(&scenario, &ReplayOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let cite = |t: &Trace, rows: &mut BTreeSet<_>| {
            for s in &t.steps {
                rows.insert(("rule", s.rule.as_str().to_owned(), name.clone()));
            }
        };
        cite(&scenario.machine.setup, &mut rows);
        for step in &r.steps {
            match step {
                StepRun::Machine(m) => cite(&m.run.trace, &mut rows),
                StepRun::Request(q) => {
                    for run in &q.runs {
                        cite(&run.run.trace, &mut rows);
                        if let Some(hr) = run.run.outcome.hresult() {
                            rows.insert(("hresult", hr.to_string(), name.clone()));
                        }
                    }
                }
            }
        }
    }
    rows.into_iter()
        .map(|(kind, id, name)| format!("{kind}\t{id}\t{name}\n"))
        .collect()
}

#[test]
fn the_scenario_index_is_what_the_fixtures_show() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scenarios.tsv");
    let fresh = index();
    if std::env::var_os("COMSIM_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write src/scenarios.tsv");
        return;
    }
    assert!(
        comsim_explain::SCENARIO_INDEX == fresh,
        "crates/comsim-explain/src/scenarios.tsv is out of date with fixtures/scenarios: run \
         `COMSIM_BLESS=1 cargo test -p comsim-explain --test index`, read the difference and commit it"
    );
}

/// Every rule is shown by some bundled scenario (the rule-coverage test says the same of the
/// behaviour snapshots), so `comsim explain RULE` always names one.
#[test]
fn every_rule_is_shown_by_a_scenario() {
    for rule in comsim_rules::Rule::ALL {
        let e = comsim_explain::explain(comsim_explain::Topic::Rule(rule));
        assert!(!e.scenarios.is_empty(), "{rule}");
    }
}
