//! Quiet traces (`TraceMode::Quiet`, `Replayer::trace_mode`): every bundled scenario replayed
//! quietly ends as its full replay does — the same outcomes, what-ifs, checks and assumptions,
//! and step for step the same rule, reason code and inferred setting — while no step keeps any
//! prose (`text`, `looked_at`, `found`).

use std::path::{Path, PathBuf};

use comsim_resolver::{TraceMode, TraceStep};
use comsim_scenario::{Replay, ReplayOptions, Replayer};

fn bundled() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("scenario.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// What a quiet trace keeps of a step.
fn structure(s: &TraceStep) -> (comsim_resolver::Rule, Option<&'static str>, Option<String>) {
    (s.rule, s.code, s.inferred.clone())
}

fn replay(dir: &Path, mode: TraceMode) -> Replay {
    let s = comsim_scenario::load(dir).unwrap_or_else(|e| panic!("{e}"));
    Replayer::new(&s, &ReplayOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .trace_mode(mode)
        .into_replay()
}

#[test]
fn a_quiet_replay_of_every_bundled_scenario_ends_as_the_full_one_step_for_step() {
    let dirs = bundled();
    assert!(dirs.len() >= 50, "only {} scenarios found", dirs.len());
    let (mut runs, mut prose_steps) = (0, 0);
    for dir in dirs {
        let name = dir.display();
        let full = replay(&dir, TraceMode::Full);
        let quiet = replay(&dir, TraceMode::Quiet);
        assert_eq!(full.steps.len(), quiet.steps.len(), "{name}");
        let pairs: Vec<_> = full.request_runs().zip(quiet.request_runs()).collect();
        assert_eq!(pairs.len(), full.request_runs().count(), "{name}");
        for ((step, f), (_, q)) in pairs {
            let at = format!("{name}, step {}, CLR {:?}", step.step, f.clr);
            assert_eq!(f.run.outcome, q.run.outcome, "{at}: outcome");
            assert_eq!(f.what_if, q.what_if, "{at}: what-if");
            assert_eq!(f.checks, q.checks, "{at}: checks");
            assert_eq!(f.run.trace.assumptions, q.run.trace.assumptions, "{at}");
            let shape = |r: &comsim_resolver::Run| -> Vec<_> {
                r.trace.steps.iter().map(structure).collect()
            };
            assert_eq!(shape(&f.run), shape(&q.run), "{at}: steps");
            for s in &q.run.trace.steps {
                assert!(
                    s.text.is_empty() && s.looked_at.is_none() && s.found.is_none(),
                    "{at}: a quiet step kept prose: {s:?}"
                );
            }
            prose_steps += f
                .run
                .trace
                .steps
                .iter()
                .filter(|s| !s.text.is_empty() && s.looked_at.is_some())
                .count();
            runs += 1;
        }
    }
    // The comparison means something: there were runs, and the full ones had prose.
    assert!(runs > 100, "only {runs} request runs");
    assert!(
        prose_steps > 100,
        "only {prose_steps} full steps with prose"
    );
}
