//! Replaying a scenario: its machine steps applied in order, each request step run in a client
//! process on the machine as the steps before it left it, once per CLR, and every expectation
//! checked. [`replay`] gives a [`Replay`], a data value that owns everything it holds; the CLI
//! renders it as text or JSON, and other tools can read it.
//!
//! Memory: the replay walks the steps once. It works on the scenario's machine until a step
//! changes it, then on one copy of it; client processes (sessions) borrow that machine while
//! the requests of one machine state run, and end before the next step that can change it.
//! So at most one machine is alive besides the scenario's, whatever the number of steps.

use crate::codes;
use std::borrow::Cow;

use comsim_diag::{Diagnostic, Location};
use comsim_resolver::{
    Apartment, ClientRuntime, Machine, Outcome, Process, Run, Session, Switches, Trace, TraceMode,
};
use serde::{Serialize, Serializer};

use crate::machine_step::{MachineRun, MachineStep, apply, observe};
use crate::{Action, Scenario, Step, StepAction};

/// A CLR family a client runs on (or a native host preloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Clr {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "4.0")]
    V4,
}

impl Clr {
    /// `2.0` or `4.0`, as options, expectations (`expect_clr2`) and output name it.
    pub fn label(self) -> &'static str {
        match self {
            Clr::V2 => "2.0",
            Clr::V4 => "4.0",
        }
    }

    /// The family's major and minor version, as [`Session::start`] takes it.
    pub fn family(self) -> (u32, u32) {
        match self {
            Clr::V2 => (2, 0),
            Clr::V4 => (4, 0),
        }
    }
}

/// Which CLRs the requests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClrChoice {
    /// CLR 2.0 only.
    Clr2,
    /// CLR 4.0 only.
    Clr4,
    /// One run on each, 2.0 first.
    #[default]
    Both,
}

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// The CLRs a managed client (or a host that preloads a CLR) runs on.
    pub clrs: ClrChoice,
    /// Behaviour switches as `name=value`, set after the scenario's own; the later wins.
    pub switches: Vec<String>,
}

/// One expectation checked against one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The field (`kind`, `server.apartment`, `exit_code`).
    pub field: String,
    /// The value the scenario expects, normalised.
    pub expected: String,
    /// The run's value; `None` when the run has no such field.
    pub actual: Option<String>,
    pub ok: bool,
    /// The CLR the expectation is for (`expect_clr2`: `2.0`; `expect_real`: `real`, the run that
    /// is not a what-if), `None` for every run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clr: Option<String>,
    /// Where the expectation is written in the scenario file.
    #[serde(serialize_with = "display")]
    pub location: Location,
}

impl Check {
    /// Whether the expectation is text the run's value must contain (`console_contains`), not
    /// equal.
    pub fn contains(&self) -> bool {
        crate::expect::is_contains(&self.field)
    }
}

/// What an [`Expectation`](crate::Expectation)'s `clr` is for the runs the real machine gives
/// the client (`expect_real`).
pub const REAL: &str = "real";

/// The step's expectations that apply to a run on `clr` (those for every run, those for that
/// CLR, and, when `real` (the run is not a what-if), those for the real run), each compared with
/// the run's value; `field` reads the run's value of a field.
pub fn check(
    step: &Step,
    clr: Option<Clr>,
    real: bool,
    field: impl Fn(&str) -> Option<String>,
) -> Vec<Check> {
    step.expect
        .iter()
        .filter(|e| match e.clr.as_deref() {
            None => true,
            Some(REAL) => real,
            Some(c) => clr.is_some_and(|f| f.label() == c),
        })
        .map(|e| {
            let actual = field(&e.field);
            Check {
                field: e.field.clone(),
                expected: e.value.clone(),
                ok: crate::expect::holds(&e.field, &e.value, actual.as_deref()),
                actual,
                clr: e.clr.clone(),
                location: e.location.clone(),
            }
        })
        .collect()
}

/// A replayed scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// The switches the replay ran with: the scenario's, then the options'. Serialised as the
    /// non-default ones, `name=value`.
    #[serde(serialize_with = "non_default")]
    pub switches: Switches,
    /// The CLRs each request ran on, in order; `[None]` for a native client that loads no CLR
    /// (the CLR choice changes nothing for it).
    pub clrs: Vec<Option<Clr>>,
    /// One entry per scenario step, in order.
    pub steps: Vec<StepRun>,
    /// How many copies of the machine the replay made (0 when no step changes it, else 1).
    #[serde(skip)]
    pub machine_copies: usize,
}

/// What one step did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepRun {
    /// A machine step, run once.
    Machine(Box<MachineStepRun>),
    /// A request, run once per CLR.
    Request(RequestStepRun),
}

/// A machine step's run and its checks.
#[derive(Debug, Clone, Serialize)]
pub struct MachineStepRun {
    /// The step's number, from 1.
    pub step: usize,
    pub name: String,
    pub action: StepAction,
    /// What ran, as a command line (`reg delete … /f (64-bit view, as administrator)`).
    pub command: String,
    pub run: MachineRun,
    pub checks: Vec<Check>,
}

/// A request step's runs, one per CLR.
#[derive(Debug, Clone, Serialize)]
pub struct RequestStepRun {
    /// The step's number, from 1.
    pub step: usize,
    pub name: String,
    pub action: StepAction,
    /// The request, described (`Type.GetTypeFromCLSID({…})`).
    pub request: String,
    /// The calling thread's apartment: the step's, or else the process's.
    pub apartment: Apartment,
    pub runs: Vec<RequestRun>,
}

/// One request run on one CLR (or on none, for a native client that loads no CLR).
#[derive(Debug, Clone)]
pub struct RequestRun {
    pub clr: Option<Clr>,
    /// Set when the real machine would not run the client on this CLR (SHIM-2, SHIM-4): why,
    /// and what it would do instead. The run is then a what-if, and `expect_real` does not
    /// apply to it.
    pub what_if: Option<String>,
    pub run: Run,
    pub checks: Vec<Check>,
}

impl Serialize for RequestRun {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape<'a> {
            clr: Option<Clr>,
            #[serde(skip_serializing_if = "Option::is_none")]
            what_if: Option<&'a str>,
            outcome: &'a Outcome,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            assumptions: &'a [comsim_resolver::Assumption],
            trace: &'a Trace,
            checks: &'a [Check],
        }
        Shape {
            clr: self.clr,
            what_if: self.what_if.as_deref(),
            outcome: &self.run.outcome,
            assumptions: &self.run.trace.assumptions,
            trace: &self.run.trace,
            checks: &self.checks,
        }
        .serialize(s)
    }
}

/// Counts over a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    pub steps: usize,
    /// Request runs (a machine step is not a run).
    pub runs: usize,
    pub expectations: usize,
    pub passed: usize,
    pub failed: usize,
}

impl Summary {
    /// Counts one more step.
    pub fn add(&mut self, step: &StepRun) {
        self.steps += 1;
        if let StepRun::Request(r) = step {
            self.runs += r.runs.len();
        }
        for c in step.checks() {
            self.expectations += 1;
            if c.ok {
                self.passed += 1;
            } else {
                self.failed += 1;
            }
        }
    }
}

impl StepRun {
    /// The step's name (what identifies it in snapshots).
    pub fn name(&self) -> &str {
        match self {
            StepRun::Machine(m) => &m.name,
            StepRun::Request(r) => &r.name,
        }
    }

    /// The step's number, from 1.
    pub fn step(&self) -> usize {
        match self {
            StepRun::Machine(m) => m.step,
            StepRun::Request(r) => r.step,
        }
    }

    /// The step's checks, of every run.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        let (machine, request): (&[Check], &[RequestRun]) = match self {
            StepRun::Machine(m) => (&m.checks, &[]),
            StepRun::Request(r) => (&[], &r.runs),
        };
        machine
            .iter()
            .chain(request.iter().flat_map(|r| r.checks.iter()))
    }
}

impl Replay {
    /// The request runs, step by step, each step's CLRs in order.
    pub fn request_runs(&self) -> impl Iterator<Item = (&RequestStepRun, &RequestRun)> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                StepRun::Request(r) => Some(r),
                StepRun::Machine(_) => None,
            })
            .flat_map(|r| r.runs.iter().map(move |run| (r, run)))
    }

    /// Every check of every step.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.steps.iter().flat_map(StepRun::checks)
    }

    /// Steps, runs and expectations, passed and failed.
    pub fn summary(&self) -> Summary {
        let mut sum = Summary::default();
        for step in &self.steps {
            sum.add(step);
        }
        sum
    }

    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.checks().all(|c| c.ok)
    }

    /// Whether some expectation did not hold.
    pub fn failed(&self) -> bool {
        !self.passed()
    }
}

/// Replays a scenario: machine steps once, in order; each request step on each CLR of
/// `options`, in a client process started after the last change to the machine (a `show`
/// changes nothing, so the process goes on across it).
///
/// Errors: a bad `options.switches` entry, and a managed request in a native client's scenario
/// (REQ-4; the loader refuses it too, so only a scenario built another way reaches this).
pub fn replay(scenario: &Scenario, options: &ReplayOptions) -> Result<Replay, Diagnostic> {
    Ok(Replayer::new(scenario, options)?.into_replay())
}

/// A replay about to run: its switches and CLRs are known, and [`Replayer::run`] hands each
/// step over as soon as it has run, so that a caller that does not keep them (the CLI's text
/// output) holds one step at a time. [`replay`] keeps them all.
#[derive(Debug)]
pub struct Replayer<'s> {
    scenario: &'s Scenario,
    switches: Switches,
    clrs: Vec<Option<Clr>>,
    trace_mode: TraceMode,
}

impl<'s> Replayer<'s> {
    /// Checks the options and the scenario (as [`replay`] does) without running anything.
    pub fn new(scenario: &'s Scenario, options: &ReplayOptions) -> Result<Self, Diagnostic> {
        let switches = effective_switches(scenario, options)?;
        check_clients(scenario)?;
        Ok(Replayer {
            scenario,
            switches,
            clrs: clrs(&scenario.process, options.clrs),
            trace_mode: TraceMode::Full,
        })
    }

    /// What the request runs' traces keep: [`TraceMode::Full`] unless set. With
    /// [`TraceMode::Quiet`] the outcomes, checks and steps (rule, code, inferred) are those of a
    /// full replay, without the prose; machine steps keep their full traces.
    #[must_use]
    pub fn trace_mode(mut self, mode: TraceMode) -> Self {
        self.trace_mode = mode;
        self
    }

    /// The switches the steps run with: the scenario's, then the options'.
    pub fn switches(&self) -> &Switches {
        &self.switches
    }

    /// The CLRs each request runs on, as [`Replay::clrs`].
    pub fn clrs(&self) -> &[Option<Clr>] {
        &self.clrs
    }

    /// Runs the steps and keeps them all: the [`Replay`].
    pub fn into_replay(self) -> Replay {
        let mut steps = Vec::with_capacity(self.scenario.steps.len());
        let machine_copies = self.run(|step| steps.push(step));
        Replay {
            switches: self.switches,
            clrs: self.clrs,
            steps,
            machine_copies,
        }
    }

    /// Runs the steps in order, giving each to `each` as soon as it has run; returns how many
    /// copies of the machine were made (0 when no step changes it, else 1).
    pub fn run(&self, mut each: impl FnMut(StepRun)) -> usize {
        let scenario = self.scenario;
        let mut machine: Cow<'_, Machine> = Cow::Borrowed(&scenario.machine);
        let mut machine_copies = 0;
        let mut next = 0;
        while next < scenario.steps.len() {
            let step = &scenario.steps[next];
            if let Action::Machine(ms) = &step.action
                && ms.changes_machine()
            {
                if let Cow::Borrowed(_) = machine {
                    machine_copies += 1;
                }
                let run = apply(machine.to_mut(), ms, &self.switches);
                each(StepRun::Machine(Box::new(machine_step_run(
                    scenario, next, step, ms, run,
                ))));
                next += 1;
            } else {
                // The steps up to the next change see one machine: one client process per CLR.
                let end = scenario.steps[next..]
                    .iter()
                    .position(changes_machine)
                    .map_or(scenario.steps.len(), |k| next + k);
                let state = State {
                    scenario,
                    machine: &machine,
                    switches: &self.switches,
                    clrs: &self.clrs,
                    trace_mode: self.trace_mode,
                };
                state.run(next..end, &mut each);
                next = end;
            }
        }
        machine_copies
    }
}

/// The scenario's switches, then the options'.
fn effective_switches(
    scenario: &Scenario,
    options: &ReplayOptions,
) -> Result<Switches, Diagnostic> {
    let mut switches = scenario.switches.clone();
    for pair in &options.switches {
        switches.set_pair(pair).map_err(|msg| {
            Diagnostic::error(codes::REPLAY_SWITCH, format!("switch `{pair}`: {msg}"))
        })?;
    }
    Ok(switches)
}

/// REQ-4 for every request step ([`crate::check_client`]), naming the step that fails it.
fn check_clients(scenario: &Scenario) -> Result<(), Diagnostic> {
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Some(request) = step.request() {
            crate::check_client(&scenario.process, step.action.kind(), request)
                .map_err(|d| d.with_note(format!("in step {} ({})", i + 1, step.name)))?;
        }
    }
    Ok(())
}

/// The CLRs the requests run on: those chosen, or none when the process loads no CLR.
fn clrs(process: &Process, choice: ClrChoice) -> Vec<Option<Clr>> {
    if !Session::clr_matters(process) {
        return vec![None];
    }
    match choice {
        ClrChoice::Clr2 => vec![Some(Clr::V2)],
        ClrChoice::Clr4 => vec![Some(Clr::V4)],
        ClrChoice::Both => vec![Some(Clr::V2), Some(Clr::V4)],
    }
}

fn changes_machine(step: &Step) -> bool {
    matches!(&step.action, Action::Machine(ms) if ms.changes_machine())
}

/// A machine step's run with its number, name, command and checks.
fn machine_step_run(
    scenario: &Scenario,
    index: usize,
    step: &Step,
    ms: &MachineStep,
    run: MachineRun,
) -> MachineStepRun {
    let checks = check(step, None, true, |f| run.field(f));
    MachineStepRun {
        step: index + 1,
        name: step.name.clone(),
        action: ms.action(),
        command: ms.describe(&scenario.machine),
        run,
        checks,
    }
}

/// One machine state: what the requests and `show`s between two changes run against.
struct State<'a> {
    scenario: &'a Scenario,
    machine: &'a Machine,
    switches: &'a Switches,
    clrs: &'a [Option<Clr>],
    trace_mode: TraceMode,
}

impl State<'_> {
    /// The client process on `clr`.
    fn start(&self, clr: Option<Clr>) -> Session<'_> {
        Session::start_with(
            self.machine,
            &self.scenario.process,
            self.switches,
            clr.map(Clr::family),
            self.trace_mode,
        )
    }

    /// Runs steps that do not change the machine, giving each to `each`. Each CLR's client
    /// process starts at the first request and serves the rest; the processes end when this
    /// returns.
    fn run(&self, steps: std::ops::Range<usize>, each: &mut impl FnMut(StepRun)) {
        let s = self.scenario;
        let mut sessions: Vec<Option<Session<'_>>> = self.clrs.iter().map(|_| None).collect();
        for index in steps {
            let step = &s.steps[index];
            match &step.action {
                Action::Machine(ms @ MachineStep::SxsLookup { guid, find, actctx }) => {
                    // The activation context is the same on every CLR: the first one's process.
                    let clr = self.clrs.first().copied().flatten();
                    let session = sessions[0].get_or_insert_with(|| self.start(clr));
                    let run =
                        crate::machine_step::sxs_lookup(session, *guid, *find, actctx.as_ref());
                    each(StepRun::Machine(Box::new(machine_step_run(
                        s, index, step, ms, run,
                    ))));
                }
                Action::Machine(ms) => {
                    // Only steps that change nothing reach here.
                    if let Some(run) = observe(self.machine, ms) {
                        each(StepRun::Machine(Box::new(machine_step_run(
                            s, index, step, ms, run,
                        ))));
                    }
                }
                Action::Request {
                    request,
                    apartment,
                    actctx,
                } => {
                    let runs = self
                        .clrs
                        .iter()
                        .zip(sessions.iter_mut())
                        .map(|(clr, session)| {
                            let session = session.get_or_insert_with(|| self.start(*clr));
                            let what_if = what_if(self.machine, session.real_runtime(), *clr);
                            let run = session.request_in(request, *apartment, actctx.as_ref());
                            let checks =
                                check(step, *clr, what_if.is_none(), |f| run.outcome.field(f));
                            RequestRun {
                                clr: *clr,
                                what_if,
                                run,
                                checks,
                            }
                        })
                        .collect();
                    each(StepRun::Request(RequestStepRun {
                        step: index + 1,
                        name: step.name.clone(),
                        action: step.action.kind(),
                        request: request.describe(),
                        apartment: apartment.unwrap_or(s.process.apartment),
                        runs,
                    }));
                }
            }
        }
    }
}

/// Why a run on `clr` is a what-if: the real machine gives the client another runtime, or would
/// not start it while `clr` is installed (SHIM-2, SHIM-4). `None` when the real machine would
/// do the same: the run is on the real runtime, the process fails before the runtime matters,
/// or it does not start on the real machine either (`clr` is not installed).
fn what_if(machine: &Machine, real: Option<&ClientRuntime>, clr: Option<Clr>) -> Option<String> {
    let (real, clr) = (real?, clr?);
    let (major, minor) = clr.family();
    match real {
        ClientRuntime::Runs { runtime, why } => ((runtime.major, runtime.minor) != (major, minor))
            .then(|| {
                format!(
                    "{why}: the real machine runs it on CLR {} ({runtime}); CLR {} would not be chosen",
                    runtime.family(),
                    clr.label()
                )
            }),
        ClientRuntime::NotStarted { why } => machine.installed(major, minor).map(|_| {
            format!(
                "{why}: the real machine would not start it, so it would not run on CLR {}",
                clr.label()
            )
        }),
    }
}

fn display<S: Serializer>(v: &impl std::fmt::Display, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn non_default<S: Serializer>(sw: &Switches, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(sw.non_default())
}
