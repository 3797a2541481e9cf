//! `comsim replay --format json`: the [`Replay`] laid out as `docs/json.md` describes it (request
//! runs in one list, machine steps in another), written as the steps run.

use std::io::{BufWriter, Write};

use comsim_resolver::{Apartment, Assumption, Bitness, Outcome, Process, Trace};
use comsim_scenario::{
    Check, MachineStepRun, RegistryChange, Replayer, RequestRun, RequestStepRun, Scenario,
    StepAction, StepRun, Summary,
};
#[cfg(test)]
use comsim_scenario::{ClrChoice, Replay, ReplayOptions};
use serde::Serialize;

/// The whole document, as the tests build it to compare with what [`write`] streams.
#[cfg(test)]
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    head: JsonHead<'a>,
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

/// The fields before `runs`: what [`write`] writes first, and the head of the tests'
/// `JsonReport`.
#[derive(Serialize)]
struct JsonHead<'a> {
    format_version: u32,
    scenario: &'a str,
    file: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    process: &'a Process,
    setup: &'a Trace,
    switches: Vec<String>,
    clrs: Vec<Option<&'static str>>,
}

fn run_of<'a>(s: &Scenario, step: &'a RequestStepRun, r: &'a RequestRun) -> JsonRun<'a> {
    JsonRun {
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
    }
}

/// `value` pretty-printed as serde_json prints it at `depth` levels of two spaces (JSON strings
/// hold no raw line break, so indenting every line break is exact).
fn pretty_at(value: &impl Serialize, depth: usize) -> Result<String, String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    Ok(text.replace('\n', &format!("\n{}", "  ".repeat(depth))))
}

/// A JSON array written element by element, laid out as serde_json's pretty printer lays out a
/// member of the top-level object.
struct StreamedArray {
    count: usize,
}

impl StreamedArray {
    fn push(&mut self, w: &mut impl Write, value: &impl Serialize) -> Result<(), String> {
        let sep = if self.count == 0 {
            "[\n    "
        } else {
            ",\n    "
        };
        self.count += 1;
        w.write_all(sep.as_bytes()).map_err(|e| e.to_string())?;
        w.write_all(pretty_at(value, 2)?.as_bytes())
            .map_err(|e| e.to_string())
    }

    fn end(self, w: &mut impl Write) -> Result<(), String> {
        let end: &[u8] = if self.count == 0 { b"[]" } else { b"\n  ]" };
        w.write_all(end).map_err(|e| e.to_string())
    }
}

/// Writes the JSON document, pretty-printed, with a final newline, straight to `out` as the steps
/// run: the same bytes as serialising the whole [`Replay`] (the `report` of the tests), with one
/// step in memory at a time. `runs` come before `machine_steps` in the document, so when the
/// scenario has machine steps the replay runs a second time (it is deterministic) to write them.
/// Nothing in it depends on the path that named the scenario: it is named by its directory's
/// name, and its files relative to that directory. Returns whether an expectation failed.
pub(super) fn write(
    s: &Scenario,
    replayer: &Replayer<'_>,
    out: &mut dyn Write,
) -> Result<bool, String> {
    let any_request = s.steps.iter().any(|step| step.request().is_some());
    let head = JsonHead {
        format_version: comsim_scenario::FORMAT_VERSION,
        scenario: &s.name,
        file: &s.file_name,
        title: &s.title,
        description: s.description.as_deref(),
        process: &s.process,
        setup: &s.machine.setup,
        switches: replayer.switches().non_default(),
        // The CLRs of every request step (none when the scenario makes no request).
        clrs: if any_request {
            replayer
                .clrs()
                .iter()
                .map(|c| c.map(comsim_scenario::Clr::label))
                .collect()
        } else {
            Vec::new()
        },
    };
    let mut w = BufWriter::new(out);
    let io = |e: std::io::Error| e.to_string();
    // The head's closing brace is left off: the document goes on.
    let head = pretty_at(&head, 0)?;
    let head = head.strip_suffix("\n}").unwrap_or(&head);
    w.write_all(head.as_bytes()).map_err(io)?;
    w.write_all(b",\n  \"runs\": ").map_err(io)?;
    let mut runs = StreamedArray { count: 0 };
    let mut sum = Summary::default();
    let mut failed = None;
    let mut machine_steps = 0;
    replayer.run(|step| {
        sum.add(&step);
        match &step {
            StepRun::Request(r) => {
                for run in &r.runs {
                    if failed.is_none() {
                        failed = runs.push(&mut w, &run_of(s, r, run)).err();
                    }
                }
            }
            StepRun::Machine(_) => machine_steps += 1,
        }
    });
    if let Some(e) = failed.take() {
        return Err(e);
    }
    runs.end(&mut w)?;
    w.write_all(b",\n  \"machine_steps\": ").map_err(io)?;
    let mut machine = StreamedArray { count: 0 };
    if machine_steps > 0 {
        replayer.run(|step| {
            if let (StepRun::Machine(m), None) = (&step, &failed) {
                failed = machine.push(&mut w, &machine_step(m)).err();
            }
        });
    }
    if let Some(e) = failed {
        return Err(e);
    }
    machine.end(&mut w)?;
    w.write_all(b",\n  \"summary\": ").map_err(io)?;
    w.write_all(pretty_at(&sum, 1)?.as_bytes()).map_err(io)?;
    w.write_all(b"\n}\n").map_err(io)?;
    w.flush().map_err(io)?;
    Ok(sum.failed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The whole [`Replay`] as one document: what [`write`] streams.
    fn report(s: &Scenario, replay: &Replay) -> String {
        let runs = replay
            .request_runs()
            .map(|(step, r)| run_of(s, step, r))
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
            head: JsonHead {
                format_version: comsim_scenario::FORMAT_VERSION,
                scenario: &s.name,
                file: &s.file_name,
                title: &s.title,
                description: s.description.as_deref(),
                process: &s.process,
                setup: &s.machine.setup,
                switches: replay.switches.non_default(),
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
            },
            runs,
            machine_steps,
            summary: replay.summary(),
        };
        serde_json::to_string_pretty(&report).expect("serialisable") + "\n"
    }

    /// The streamed document is byte for byte the whole replay serialised at once, for every
    /// committed scenario (with requests and machine steps, with neither, failing or not).
    #[test]
    fn streamed_json_is_the_whole_document() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios");
        let mut dirs: Vec<_> = std::fs::read_dir(&root)
            .expect("fixtures/scenarios")
            .map(|e| e.expect("an entry").path())
            .collect();
        dirs.sort();
        assert!(dirs.len() > 50);
        for dir in dirs {
            let s = comsim_scenario::load(&dir).unwrap_or_else(|e| panic!("{e}"));
            for clrs in [ClrChoice::Both, ClrChoice::Clr4] {
                let options = ReplayOptions {
                    clrs,
                    switches: Vec::new(),
                };
                let replayer = Replayer::new(&s, &options).expect("a replayer");
                let mut streamed = Vec::new();
                let failed = write(&s, &replayer, &mut streamed).expect("written");
                let replay = replayer.into_replay();
                let whole = report(&s, &replay);
                assert_eq!(
                    String::from_utf8(streamed).expect("UTF-8"),
                    whole,
                    "{}",
                    dir.display()
                );
                assert_eq!(failed, replay.failed(), "{}", dir.display());
            }
        }
    }
}
