//! `comsim_scenario::replay` as a library.
//!
//! - Behaviour snapshots: every bundled scenario (`fixtures/scenarios/*`) replayed on both CLRs,
//!   snapshotted as JSON (one per scenario, named after its directory): per step and CLR the
//!   outcome and the trace as rule IDs with what was looked at, found and inferred (not the prose
//!   of each step), and what each machine step changed. A change of text layout leaves them
//!   alone; a change of behaviour shows in them. `crates/comsim-cli/tests/rule_coverage.rs` reads
//!   the rule IDs from them.
//! - Memory: many machine steps do not keep one machine per request segment.
//! - Options: switches after the scenario's, the CLR choice, and REQ-4 refused for a scenario
//!   built another way than by the loader.
//! - Quiet traces: a quiet replay of every bundled scenario ends as the full one, step for step.

use std::path::{Path, PathBuf};

use comsim_resolver::{ClassRef, Request};
use comsim_scenario::{
    Action, Clr, ClrChoice, Replay, ReplayOptions, Scenario, StepAction, StepRun, replay,
};
use serde_json::{Value, json};

/// The scenarios as a relative path from this crate, so that nothing in a snapshot names the
/// directory the repository is cloned in.
const SCENARIOS: &str = "../../fixtures/scenarios";

fn load(name: &str) -> Scenario {
    comsim_scenario::load(&Path::new(SCENARIOS).join(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn both() -> ReplayOptions {
    ReplayOptions::default()
}

/// A trace as data: each step's rule ID and details, without its prose.
fn trace(v: &Value) -> Value {
    // A trace serialises as the list of its steps.
    let steps = v.as_array().cloned().expect("a trace is a list");
    Value::Array(
        steps
            .into_iter()
            .map(|mut s| {
                if let Some(o) = s.as_object_mut() {
                    o.remove("text");
                }
                s
            })
            .collect(),
    )
}

/// What one step did, as data.
fn step_behaviour(step: &StepRun) -> Value {
    let v = serde_json::to_value(step).expect("a replay serialises");
    match step {
        StepRun::Request(_) => {
            let r = &v["request"];
            let runs: Vec<Value> = r["runs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|run| {
                    let mut out = json!({
                        "clr": run["clr"],
                        "outcome": run["outcome"],
                        "trace": trace(&run["trace"]),
                    });
                    // SHIM-2, SHIM-4: a run the real machine would not make is marked, and
                    // only such a run carries the mark.
                    if let (Some(o), Some(w)) = (out.as_object_mut(), run.get("what_if")) {
                        o.insert("what_if".to_owned(), w.clone());
                    }
                    // On a machine whose files are partial: the paths the outcome takes to be
                    // absent although nothing said so.
                    if let (Some(o), Some(a)) = (out.as_object_mut(), run.get("assumptions")) {
                        o.insert("assumptions".to_owned(), a.clone());
                    }
                    out
                })
                .collect();
            json!({
                "step": r["step"],
                "action": r["action"],
                "request": r["request"],
                "apartment": r["apartment"],
                "runs": runs,
            })
        }
        StepRun::Machine(m) => {
            let mv = &v["machine"];
            let run = &mv["run"];
            let mut out = json!({
                "step": mv["step"],
                "action": mv["action"],
                "trace": trace(&run["trace"]),
                "exit_code": run["regasm"]["exit_code"],
                "failed": m.run.error.is_some(),
                "changes": run["changes"],
                "exists": if m.action == StepAction::Show { json!(m.run.shown.is_some()) } else { Value::Null },
            });
            // What does not apply to this kind of step (`exit_code` but for regasm) is left out.
            if let Some(o) = out.as_object_mut() {
                o.retain(|_, v| !v.is_null());
            }
            out
        }
    }
}

/// A replay's behaviour: the switches, the CLRs, the machine's setup trace and each step.
fn behaviour(s: &Scenario, r: &Replay) -> Value {
    let setup = serde_json::to_value(&s.machine.setup).expect("a trace serialises");
    json!({
        "switches": r.switches.non_default(),
        "clrs": r.clrs,
        "setup": trace(&setup),
        "steps": r.steps.iter().map(step_behaviour).collect::<Vec<_>>(),
    })
}

fn scenario_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIOS);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("scenario.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The README tells a newcomer how many bundled scenarios there are; keep the number true.
#[test]
fn the_readme_counts_the_bundled_scenarios() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text =
        std::fs::read_to_string(&readme).unwrap_or_else(|e| panic!("{}: {e}", readme.display()));
    let claim = format!(
        "`fixtures/scenarios/` holds {} such scenarios",
        scenario_dirs().len()
    );
    assert!(text.contains(&claim), "README.md should say: {claim}");
}

#[test]
fn every_bundled_scenario_behaves_as_snapshotted() {
    let dirs = scenario_dirs();
    assert!(dirs.len() >= 50, "only {} scenarios found", dirs.len());
    for dir in dirs {
        let name = dir
            .file_name()
            .expect("a directory name")
            .to_string_lossy()
            .into_owned();
        let s = load(&name);
        let r = replay(&s, &both()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every bundled scenario's expectations hold (the CLI's exit code 0).
        let failed: Vec<_> = r.checks().filter(|c| !c.ok).collect();
        assert!(failed.is_empty(), "{name}: {failed:?}");
        let value = behaviour(&s, &r);
        let text = serde_json::to_string(&value).expect("JSON");
        assert!(
            !text.contains(env!("CARGO_MANIFEST_DIR")),
            "{name}: an absolute path in the snapshot"
        );
        insta::with_settings!({ snapshot_suffix => name.as_str(), prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!("behaviour", value);
        });
    }
}

/// The import/delete scenario's four steps (import, create, delete as administrator, create)
/// repeated: 600 machine steps and 600 request steps.
fn many_machine_steps() -> Scenario {
    let mut s = load("machine-steps-import-delete");
    let base = s.steps.clone();
    let mut cycle: Vec<_> = [0, 1, 3, 4].iter().map(|&i| base[i].clone()).collect();
    // A re-import finds the `CLSID` key the delete left, so it counts one change fewer than the
    // first; its own expectation is for the first import only.
    cycle[0].expect.clear();
    s.steps = (0..300).flat_map(|_| cycle.iter().cloned()).collect();
    s
}

#[test]
fn many_machine_steps_keep_one_machine_not_one_per_segment() {
    let s = many_machine_steps();
    let r = replay(&s, &both()).expect("replays");
    // The old CLI kept a copy of the machine for every request that followed a change: 600 here.
    assert_eq!(r.machine_copies, 1);
    assert_eq!(r.steps.len(), 1200);
    // Each request saw the machine as the step before it left it: created after the import,
    // REGDB_E_CLASSNOTREG after the delete (REQ-2, LCC-1).
    let kinds: Vec<(usize, &str, &str)> = r
        .request_runs()
        .map(|(step, run)| {
            (
                step.step,
                run.clr.map_or("none", Clr::label),
                run.run.outcome.kind(),
            )
        })
        .collect();
    assert_eq!(kinds.len(), 1200);
    for (step, clr, kind) in kinds {
        let after_import = step % 4 == 2;
        let want = match (after_import, clr) {
            (true, "4.0") => "managed",
            // CLR 2.0 cannot load the v4 assembly: a __ComObject stands for the class.
            (true, _) => "com_object",
            (false, _) => "exception",
        };
        assert_eq!(kind, want, "step {step} on {clr}");
    }
    assert!(r.passed(), "{:?}", r.checks().find(|c| !c.ok));
}

#[test]
fn a_scenario_without_machine_changes_copies_no_machine() {
    let s = load("classic-32bit-client-32bit-regasm");
    let mut s2 = s.clone();
    s2.steps
        .retain(|st| matches!(st.action, Action::Request { .. }));
    let r = replay(&s2, &both()).expect("replays");
    assert_eq!(r.machine_copies, 0);
}

#[test]
fn options_choose_the_clrs_and_switches_come_after_the_scenarios() {
    let s = load("runtime-match-exact");
    let one = replay(
        &s,
        &ReplayOptions {
            clrs: ClrChoice::Clr4,
            switches: vec!["runtime-match=major-minor".into()],
        },
    )
    .expect("replays");
    assert_eq!(one.clrs, [Some(Clr::V4)]);
    assert!(one.request_runs().all(|(_, r)| r.clr == Some(Clr::V4)));
    // The scenario sets runtime-match=exact; the option sets it back to the default.
    assert!(
        !one.switches
            .non_default()
            .iter()
            .any(|s| s.starts_with("runtime-match")),
        "{:?}",
        one.switches.non_default()
    );
    let err = replay(
        &s,
        &ReplayOptions {
            clrs: ClrChoice::Both,
            switches: vec!["runtime-match=fuzzy".into()],
        },
    )
    .expect_err("a bad switch value");
    assert_eq!(err.code, comsim_scenario::codes::REPLAY_SWITCH);
    assert!(err.to_string().contains("runtime-match=fuzzy"), "{err}");
}

#[test]
fn a_native_client_gets_one_run_per_step_whatever_the_clr_choice() {
    let s = load("native-client-managed-class");
    let r = replay(&s, &both()).expect("replays");
    assert_eq!(r.clrs, [None]);
    assert!(r.request_runs().all(|(_, run)| run.clr.is_none()));
}

#[test]
fn req4_a_managed_request_in_a_native_clients_scenario_is_refused() {
    let mut s = load("native-client-managed-class");
    // The native client's first CoCreateInstance of a CLSID, made a managed request instead.
    let (i, clsid) = s
        .steps
        .iter()
        .enumerate()
        .find_map(|(i, st)| match &st.action {
            Action::Request {
                request:
                    Request::CoCreateInstance {
                        target: ClassRef::Clsid(g),
                        ..
                    },
                ..
            } => Some((i, *g)),
            _ => None,
        })
        .expect("a CoCreateInstance of a CLSID");
    s.steps[i].action = Action::Request {
        request: Request::GetTypeFromClsid { clsid },
        apartment: None,
        actctx: None,
    };
    let err = replay(&s, &both()).expect_err("REQ-4");
    let text = err.to_string();
    assert!(
        text.contains("is managed code, and the client is native"),
        "{text}"
    );
    assert!(text.contains(&format!("in step {}", i + 1)), "{text}");
}

/// The trace of the last request run on CLR 4.0.
fn last_clr4_trace(r: &Replay) -> Vec<String> {
    let (_, run) = r
        .request_runs()
        .filter(|(_, run)| run.clr == Some(Clr::V4))
        .last()
        .expect("a run on CLR 4.0");
    let trace = serde_json::to_value(&run.run.trace).expect("a trace serialises");
    trace
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["rule"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_show_keeps_the_client_process_and_a_change_starts_a_new_one() {
    let s = load("machine-steps-import-delete");
    let (import, create, denied_delete) = (&s.steps[0], &s.steps[1], &s.steps[2]);
    let show = comsim_scenario::Step {
        name: "show the class".into(),
        action: Action::Machine(comsim_scenario::MachineStep::Show {
            key: comsim_registry::KeyPath::parse(
                r"HKEY_CLASSES_ROOT\CLSID\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}",
            )
            .expect("a key path"),
            view: comsim_registry::View::Bits64,
        }),
        expect: Vec::new(),
    };
    let with = |middle: Option<&comsim_scenario::Step>| {
        let mut s2 = s.clone();
        s2.steps = [Some(import), Some(create), middle, Some(create)]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut options = both();
        options.clrs = ClrChoice::Clr4;
        last_clr4_trace(&replay(&s2, &options).expect("replays"))
    };
    let same_process = with(None);
    // A second request in the same process starts with the request: no SXS-1 process start.
    assert_eq!(same_process.first().map(String::as_str), Some("REQ-2"));
    assert_eq!(with(Some(&show)), same_process);
    // A delete that is denied changes nothing, but the client runs after it is a new process
    // (SXS-1: its activation context is built again).
    let after_delete = with(Some(denied_delete));
    assert_eq!(after_delete.first().map(String::as_str), Some("SXS-1"));
}

/// Quiet traces (`TraceMode::Quiet`, `Replayer::trace_mode`): every bundled scenario replayed
/// quietly ends as its full replay does (the same outcomes, what-ifs, checks and assumptions,
/// and step for step the same rule, reason code and inferred setting), while no step keeps any
/// prose (`text`, `looked_at`, `found`).
/// What a quiet trace keeps of a step.
fn structure(
    s: &comsim_resolver::TraceStep,
) -> (comsim_resolver::Rule, Option<&'static str>, Option<String>) {
    (s.rule, s.code, s.inferred.clone())
}

fn replay_in(dir: &Path, mode: comsim_resolver::TraceMode) -> Replay {
    let s = comsim_scenario::load(dir).unwrap_or_else(|e| panic!("{e}"));
    comsim_scenario::Replayer::new(&s, &both())
        .unwrap_or_else(|e| panic!("{e}"))
        .trace_mode(mode)
        .into_replay()
}

#[test]
fn a_quiet_replay_of_every_bundled_scenario_ends_as_the_full_one_step_for_step() {
    let dirs = scenario_dirs();
    assert!(dirs.len() >= 50, "only {} scenarios found", dirs.len());
    let (mut runs, mut prose_steps) = (0, 0);
    for dir in dirs {
        let name = dir.display();
        let full = replay_in(&dir, comsim_resolver::TraceMode::Full);
        let quiet = replay_in(&dir, comsim_resolver::TraceMode::Quiet);
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
