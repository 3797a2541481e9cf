//! The trace: what each step of the walk looked at, what it found, and the rule that says so.

use serde::Serialize;

pub use comsim_rules::Rule;

use crate::switches::Setting;

/// One step of the walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// The rule that says so; serialized as its ID (`SHIM-REG-3`).
    pub rule: Rule,
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
            text: text.into(),
            looked_at: None,
            found: None,
            inferred: None,
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
    pub fn at(&mut self, looked_at: impl Into<String>) -> &mut Self {
        self.looked_at = Some(looked_at.into());
        self
    }

    pub fn found(&mut self, found: impl Into<String>) -> &mut Self {
        self.found = Some(found.into());
        self
    }

    /// Marks the step as decided by an inferred rule under `setting`.
    pub fn inferred(&mut self, setting: Setting) -> &mut Self {
        self.inferred = Some(setting.to_string());
        self
    }
}
