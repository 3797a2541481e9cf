//! Issue 12, "three bundled scenarios rewritten to read real DLLs give the same outcomes as
//! before": each `<name>-real-dll` scenario is `<name>` with its assemblies read from real files
//! (`[[machine.assembly]] source`, built by `fixtures/assemblies/build.sh`) instead of described by
//! hand. Both are replayed on both CLRs, and every step must end the same way: the same outcome,
//! the same what-if mark and assumptions, and the same trace (rule IDs, codes, what was looked
//! at and found), on every CLR.

use std::path::Path;

use comsim_scenario::{ReplayOptions, Scenario, StepRun, replay};
use serde_json::{Value, json};

const SCENARIOS: &str = "../../fixtures/scenarios";

/// The hand-described scenarios that have a real-file twin.
const PAIRS: [&str; 4] = [
    "managed-class-regasm-codebase",
    "native-client-managed-class",
    "no-codebase-outside-appbase",
    // regasm steps too: the CLSIDs generated from the metadata's names and versions.
    "regasm-generated-clsid",
];

fn load(name: &str) -> Scenario {
    comsim_scenario::load(&Path::new(SCENARIOS).join(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// A trace without its prose (which names the scenario's own files).
fn trace(v: &Value) -> Value {
    let mut steps = v.as_array().cloned().expect("a trace is a list");
    for s in &mut steps {
        if let Some(o) = s.as_object_mut() {
            o.remove("text");
        }
    }
    Value::Array(steps)
}

/// What each step of a replay on both CLRs ended in, as data; every expectation must hold.
fn outcomes(name: &str) -> Vec<Value> {
    let s = load(name);
    let r = replay(&s, &ReplayOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let failed: Vec<_> = r.checks().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{name}: {failed:?}");
    r.steps
        .iter()
        .map(|step| match step {
            StepRun::Request(q) => json!({
                "step": q.name,
                "runs": q.runs.iter().map(|run| json!({
                    "clr": run.clr,
                    "what_if": run.what_if,
                    "outcome": run.run.outcome,
                    "trace": trace(&serde_json::to_value(&run.run.trace).expect("JSON")),
                })).collect::<Vec<_>>(),
            }),
            StepRun::Machine(m) => json!({
                "step": m.name,
                "run": serde_json::to_value(&m.run).expect("JSON"),
            }),
        })
        .collect()
}

#[test]
fn the_real_dll_scenarios_read_their_assemblies_from_files() {
    for name in PAIRS {
        let hand = load(name);
        let real = load(&format!("{name}-real-dll"));
        let described = |s: &Scenario, with_bytes: bool| {
            s.machine
                .fs
                .files()
                .filter(|f| f.assembly().is_some() && f.bytes.is_empty() != with_bytes)
                .count()
        };
        // Every assembly of the twin is a real image; none of the original's is.
        assert!(described(&real, true) > 0, "{name}-real-dll");
        assert_eq!(described(&real, false), 0, "{name}-real-dll");
        assert_eq!(described(&hand, true), 0, "{name}");
        assert_eq!(described(&hand, false), described(&real, true), "{name}");
    }
}

#[test]
fn real_dll_scenarios_end_as_their_hand_described_originals_on_both_clrs() {
    for name in PAIRS {
        let hand = outcomes(name);
        let real = outcomes(&format!("{name}-real-dll"));
        assert!(!hand.is_empty());
        assert_eq!(hand.len(), real.len(), "{name}: the steps differ");
        for (h, r) in hand.iter().zip(&real) {
            assert_eq!(h, r, "{name}: a step ends differently with real files");
        }
    }
}
