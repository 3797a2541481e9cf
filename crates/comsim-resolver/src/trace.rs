//! The trace: what each step of the walk looked at, what it found, and the rule that says so.

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
    /// snapshots show the step as before.
    #[serde(skip)]
    pub bind: Option<Box<BindFacts>>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assumption {
    /// The rule whose step looked for the file.
    pub rule: Rule,
    /// The path assumed absent.
    pub path: String,
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
}

impl Trace {
    /// Adds a step and returns it for [`TraceStep::at`] and friends.
    /// Records that the outcome takes `path` to be absent although nothing said so.
    pub fn assume(&mut self, rule: Rule, path: &impl ToString) {
        let path = path.to_string();
        if !self.assumptions.iter().any(|a| a.path == path) {
            self.assumptions.push(Assumption { rule, path });
        }
    }

    pub fn push(&mut self, rule: Rule, text: impl Into<String>) -> &mut TraceStep {
        self.steps.push(TraceStep {
            rule,
            code: None,
            text: text.into(),
            looked_at: None,
            found: None,
            inferred: None,
            bind: None,
        });
        self.steps.last_mut().expect("just pushed")
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
        self.bind = Some(Box::new(facts));
        self
    }

    /// Marks the step as decided by an inferred rule under `setting`.
    pub fn inferred(&mut self, setting: Setting) -> &mut Self {
        self.inferred = Some(setting.to_string());
        self
    }
}
