//! The trace: what each step of the walk looked at, what it found, and the rule that says so.

use std::sync::Arc;

use serde::Serialize;

pub use comsim_rules::Rule;

use crate::bind::AssemblyName;
use crate::machine::RuntimeVersion;
use crate::switches::Setting;
use crate::vfs::WinPath;

/// One step of the walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// The rule that says so; serialized as its ID (`SHIM-REG-3`).
    pub rule: Rule,
    /// What kind of step this is, as a stable kebab-case code (`no-config`, `gac-miss`,
    /// `runtime-mismatch`): machine-readable beside the prose of `text`. Every code is listed in
    /// `docs/trace-codes.md` with the rules it goes with; a code keeps its meaning within a JSON
    /// `format_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// One line saying what happened.
    pub text: String,
    /// What was looked at: a registry key, a file, a manifest element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub looked_at: Option<String>,
    /// What was found there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// Set when an **inferred** rule made the decision of this step: the switch and its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inferred: Option<String>,
    /// What a binding step (BIND-1..BIND-4) knew, as data: what the bind log of
    /// `comsim replay --bind-log` is made of. Not serialized: the JSON and the behaviour
    /// snapshots show the step as before. A quiet trace keeps the files probed and reached (the
    /// cause detectors read them), not a bind's setting ([`Step::bind_log`]). Shared, not copied,
    /// when a step is: a remembered bind's steps are replayed into later traces
    /// (`bind_memo.rs`), and a failed bind's facts list every file it looked for.
    #[serde(skip)]
    pub bind: Option<Arc<BindFacts>>,
}

/// The data of a binding step that its prose does not carry in a form a program can read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindFacts {
    /// `bind-request`: the bind's setting (the runtime, the process, the application base).
    pub context: Option<BindContext>,
    /// `bind-request`, `config-redirect`: the reference the binder looks for from here on
    /// (after the application's policy).
    pub reference: Option<String>,
    /// The files looked for and not there, in the order tried (`gac-miss`, `appbase-*`,
    /// `probe-*`).
    pub probed: Vec<WinPath>,
    /// The file the step reached: the one a probe or a CodeBase found, or the one a CodeBase
    /// names.
    pub file: Option<WinPath>,
    /// A CodeBase step for the registration's CodeBase, bound by location (a where-ref bind in
    /// the LoadFrom context) rather than the `.config`'s `<codeBase>`, which is part of the
    /// by-name bind.
    pub where_ref: bool,
}

/// Where a bind runs: the facts of a bind log's pre-bind state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindContext {
    /// The display name as the registration or manifest gave it, parsed (BIND-1).
    pub name: AssemblyName,
    /// The runtime doing the bind, and its directory (`…\Framework64\v4.0.30319`).
    pub runtime: RuntimeVersion,
    pub runtime_dir: WinPath,
    pub exe: WinPath,
    pub appbase: WinPath,
    /// The process's `.config`, when it has one.
    pub config: Option<WinPath>,
    pub private_paths: Vec<String>,
}

/// A path the outcome takes to be absent although nothing said so: on a machine whose files are
/// `partial` (an open world), a path nobody declared is unknown, and a conclusion that needs it
/// absent rests on that assumption.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Assumption {
    /// The rule whose step looked for the file.
    pub rule: Rule,
    /// The path assumed absent.
    pub path: String,
}

/// How much of each step a trace keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceMode {
    /// Every field of every step: the prose (`text`, `looked_at`, `found`) as it is shown.
    #[default]
    Full,
    /// The structured part only: each step's `rule`, `code` and `inferred`, the files a bind
    /// probed and reached (`bind`, without the bind's setting, which only the bind log shows),
    /// and the trace's assumptions, in the same order as a full trace. `text`, `looked_at` and
    /// `found` stay empty, and the prose is not built (for tools that check many requests, such
    /// as an audit).
    /// The outcome is the full run's. To show a request, run it again in [`TraceMode::Full`]:
    /// the resolver is deterministic, so it gives the same steps with their prose.
    Quiet,
}

/// The steps of one request, in order, and the assumptions its outcome rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Trace {
    pub steps: Vec<TraceStep>,
    /// Paths taken to be absent without anything saying so (open world), in the order met,
    /// each once. Empty on a machine whose files are `complete`.
    #[serde(skip)]
    pub assumptions: Vec<Assumption>,
    /// What the steps keep.
    #[serde(skip)]
    mode: TraceMode,
}

impl Trace {
    /// An empty trace that keeps what `mode` says.
    pub fn new(mode: TraceMode) -> Trace {
        Trace {
            mode,
            ..Trace::default()
        }
    }

    /// What the steps keep.
    pub fn mode(&self) -> TraceMode {
        self.mode
    }

    /// Records that the outcome takes `path` to be absent although nothing said so.
    pub fn assume(&mut self, rule: Rule, path: &impl ToString) {
        let path = path.to_string();
        if !self.assumptions.iter().any(|a| a.path == path) {
            self.assumptions.push(Assumption { rule, path });
        }
    }

    /// Adds a step and returns it for [`Step::code`], [`Step::at`] and friends. The text is
    /// made only when the trace keeps prose ([`TraceMode::Full`]): pass `format_args!(…)` or a
    /// closure rather than a `String` made beforehand.
    pub fn push(&mut self, rule: Rule, text: impl Prose) -> Step<'_> {
        let quiet = self.mode == TraceMode::Quiet;
        self.steps.push(TraceStep {
            rule,
            code: None,
            text: if quiet { String::new() } else { text.prose() },
            looked_at: None,
            found: None,
            inferred: None,
            bind: None,
        });
        Step {
            step: self.steps.last_mut().expect("just pushed"),
            quiet,
        }
    }

    /// Sets what the last step looked at (kept with the prose, as [`Step::at`]).
    pub fn last_at(&mut self, looked_at: impl Prose) {
        if self.mode == TraceMode::Full
            && let Some(step) = self.steps.last_mut()
        {
            step.looked_at = Some(looked_at.prose());
        }
    }

    pub fn extend(&mut self, other: Trace) {
        self.steps.extend(other.steps);
        for a in other.assumptions {
            self.assume(a.rule, &a.path);
        }
    }

    /// The rule IDs cited, in order, with repeats.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.steps.iter().map(|s| s.rule)
    }
}

/// Text of a trace step, made only when it is kept: a `String` or `&str` as it is, or
/// `format_args!(…)` and closures, which cost nothing in a quiet trace.
pub trait Prose {
    /// The text.
    fn prose(self) -> String;
}

impl Prose for String {
    fn prose(self) -> String {
        self
    }
}

impl Prose for &str {
    fn prose(self) -> String {
        self.to_owned()
    }
}

impl Prose for &String {
    fn prose(self) -> String {
        self.clone()
    }
}

impl Prose for std::borrow::Cow<'_, str> {
    fn prose(self) -> String {
        self.into_owned()
    }
}

impl Prose for std::fmt::Arguments<'_> {
    fn prose(self) -> String {
        std::fmt::format(self)
    }
}

impl<F: FnOnce() -> String> Prose for F {
    fn prose(self) -> String {
        self()
    }
}

/// The step [`Trace::push`] added, for setting its other fields: in a quiet trace, `at` and
/// `found` make nothing.
#[derive(Debug)]
pub struct Step<'t> {
    step: &'t mut TraceStep,
    quiet: bool,
}

impl Step<'_> {
    /// Sets the step's reason code (`docs/trace-codes.md`).
    pub fn code(self, code: &'static str) -> Self {
        self.step.code = Some(code);
        self
    }

    /// What the step looked at (kept with the prose).
    pub fn at(self, looked_at: impl Prose) -> Self {
        if !self.quiet {
            self.step.looked_at = Some(looked_at.prose());
        }
        self
    }

    /// What the step found there (kept with the prose).
    pub fn found(self, found: impl Prose) -> Self {
        if !self.quiet {
            self.step.found = Some(found.prose());
        }
        self
    }

    /// Attaches what a binding step knew (the bind log's data; structured, kept in every mode).
    pub fn bind(self, facts: BindFacts) -> Self {
        self.step.bind = Some(Arc::new(facts));
        self
    }

    /// Attaches facts that only the bind log reads (a bind's setting: its display name, runtime,
    /// directories and `.config`), made only when the trace keeps prose: a quiet trace is never
    /// shown as a bind log, and making them was a clone of the request per bind.
    pub fn bind_log(self, facts: impl FnOnce() -> BindFacts) -> Self {
        if !self.quiet {
            self.step.bind = Some(Arc::new(facts()));
        }
        self
    }

    /// Marks the step as decided by an inferred rule under `setting` (kept in every mode).
    pub fn inferred(self, setting: Setting) -> Self {
        self.step.inferred = Some(setting.to_string());
        self
    }
}

impl std::ops::Deref for Step<'_> {
    type Target = TraceStep;
    fn deref(&self) -> &TraceStep {
        self.step
    }
}

impl std::ops::DerefMut for Step<'_> {
    fn deref_mut(&mut self) -> &mut TraceStep {
        self.step
    }
}

impl TraceStep {
    /// Sets the step's reason code (`docs/trace-codes.md`).
    pub fn code(&mut self, code: &'static str) -> &mut Self {
        self.code = Some(code);
        self
    }

    pub fn at(&mut self, looked_at: impl Into<String>) -> &mut Self {
        self.looked_at = Some(looked_at.into());
        self
    }

    pub fn found(&mut self, found: impl Into<String>) -> &mut Self {
        self.found = Some(found.into());
        self
    }

    /// Attaches what a binding step knew (the bind log's data).
    pub fn bind(&mut self, facts: BindFacts) -> &mut Self {
        self.bind = Some(Arc::new(facts));
        self
    }

    /// Marks the step as decided by an inferred rule under `setting`.
    pub fn inferred(&mut self, setting: Setting) -> &mut Self {
        self.inferred = Some(setting.to_string());
        self
    }
}
