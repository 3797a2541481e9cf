//! `comsim replay --format json`: the [`Replay`] laid out as `docs/json.md` describes it (request
//! runs in one list, machine steps in another).

use std::io::{BufWriter, Write};
use std::path::Path;

use comsim_resolver::{Apartment, Assumption, Bitness, Outcome, Process, Trace};
use comsim_scenario::{
    Check, MachineStepRun, RegistryChange, Replay, Scenario, StepAction, StepRun, Summary,
};
use serde::Serialize;

#[derive(Serialize)]
struct JsonReport<'a> {
    scenario: String,
    file: String,
    title: &'a str,
    description: Option<&'a str>,
    process: &'a Process,
    setup: &'a Trace,
    switches: Vec<String>,
    clrs: Vec<Option<&'static str>>,
    runs: Vec<JsonRun<'a>>,
    machine_steps: Vec<JsonMachineStep<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    step: usize,
    name: &'a str,
    request: &'a str,
    apartment: Apartment,
    clr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<&'a str>,
    bitness: Bitness,
    outcome: &'a Outcome,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    assumptions: &'a [Assumption],
    trace: &'a Trace,
    expectations: &'a [Check],
}

#[derive(Serialize)]
struct JsonMachineStep<'a> {
    step: usize,
    name: &'a str,
    action: StepAction,
    command: &'a str,
    trace: &'a Trace,
    #[serde(skip_serializing_if = "Option::is_none")]
    console: Option<&'a [comsim_regasm::ConsoleLine]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    changes: Vec<RegistryChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shown: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sxs: Option<&'a comsim_scenario::SxsAnswer>,
    expectations: &'a [Check],
}

fn machine_step(m: &MachineStepRun) -> JsonMachineStep<'_> {
    let r = &m.run;
    JsonMachineStep {
        step: m.step,
        name: &m.name,
        action: m.action,
        command: &m.command,
        trace: &r.trace,
        console: r.regasm.as_ref().map(|g| g.console.as_slice()),
        exit_code: r.regasm.as_ref().map(|g| g.exit_code),
        error: r.error.as_deref(),
        changes: r.changes.iter().map(RegistryChange::from).collect(),
        shown: r.shown.as_deref(),
        sxs: r.sxs.as_ref(),
        expectations: &m.checks,
    }
}

/// Writes the JSON document, pretty-printed, with a final newline, straight to `out` (not
/// through a string as large as the document); `arg` is the scenario as the command line named
/// it.
pub(super) fn write(
    arg: &Path,
    s: &Scenario,
    replay: &Replay,
    out: &mut dyn Write,
) -> Result<(), String> {
    let runs = replay
        .request_runs()
        .map(|(step, r)| JsonRun {
            step: step.step,
            name: &step.name,
            request: &step.request,
            apartment: step.apartment,
            clr: r.clr.map(comsim_scenario::Clr::label),
            what_if: r.what_if.as_deref(),
            bitness: s.process.bitness,
            outcome: &r.run.outcome,
            assumptions: &r.run.trace.assumptions,
            trace: &r.run.trace,
            expectations: &r.checks,
        })
        .collect();
    let machine_steps = replay
        .steps
        .iter()
        .filter_map(|step| match step {
            StepRun::Machine(m) => Some(machine_step(m)),
            StepRun::Request(_) => None,
        })
        .collect();
    let report = JsonReport {
        scenario: arg.display().to_string(),
        file: s.path.display().to_string(),
        title: &s.title,
        description: s.description.as_deref(),
        process: &s.process,
        setup: &s.machine.setup,
        switches: replay.switches.non_default(),
        // The CLRs of the first request step (none when the scenario makes no request).
        clrs: replay
            .steps
            .iter()
            .find_map(|step| match step {
                StepRun::Request(r) if !r.runs.is_empty() => Some(
                    r.runs
                        .iter()
                        .map(|r| r.clr.map(comsim_scenario::Clr::label))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default(),
        runs,
        machine_steps,
        summary: replay.summary(),
    };
    let mut w = BufWriter::new(out);
    serde_json::to_writer_pretty(&mut w, &report).map_err(|e| e.to_string())?;
    w.write_all(b"\n").map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())
}
