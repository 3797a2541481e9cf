//! What changed between a stored snapshot and a new one, step by step (by name) and CLR: in a few
//! lines each, for `comsim check` and CI logs.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::snapshot::{Snapshot, SnapshotRun, SnapshotStep};

/// At most this many differing fields or change lines are listed for one run; the rest are
/// counted.
const LISTED: usize = 3;

/// One difference: where (a step, and a run of it), and what, in a line or a few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The step's name.
    pub step: String,
    /// The run: `clr 2.0`, `clr 4.0 what-if`, `machine`; `None` for the step as a whole.
    pub run: Option<String>,
    /// What changed, one entry per line: `kind: managed -> exception`, `first diverging rule,
    /// #7: LCC4-1 -> LCC4-2`, `+ [HKLM\…]`.
    pub what: Vec<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.run {
            Some(r) => write!(f, "step \"{}\" {r}:", self.step)?,
            None => write!(f, "step \"{}\":", self.step)?,
        }
        match self.what.as_slice() {
            [one] => write!(f, " {one}"),
            lines => lines.iter().try_for_each(|l| write!(f, "\n  {l}")),
        }
    }
}

/// The differences from `old` (stored) to `new` (this run), in the new step order, then the
/// steps that are gone. Empty when they are the same.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    if old.switches != new.switches {
        out.push(Difference {
            step: "(scenario)".to_owned(),
            run: None,
            what: vec![format!(
                "switches: `{}` -> `{}`",
                old.switches.join(" "),
                new.switches.join(" ")
            )],
        });
    }
    // Each side's steps by name, the first of a name as `Snapshot::step` finds it: finding each
    // step by a scan of the other side made a scenario of N steps cost N x N comparisons.
    let (old_steps, new_steps) = (steps_by_name(old), steps_by_name(new));
    for step in &new.steps {
        match old_steps.get(step.name.as_str()) {
            None => out.push(whole(step, "new step, not in the snapshot")),
            Some(before) => compare_step(before, step, &mut out),
        }
    }
    for step in &old.steps {
        if !new_steps.contains_key(step.name.as_str()) {
            out.push(whole(step, "gone: in the snapshot, not in the scenario"));
        }
    }
    out
}

fn steps_by_name(s: &Snapshot) -> HashMap<&str, &SnapshotStep> {
    let mut steps = HashMap::with_capacity(s.steps.len());
    for step in &s.steps {
        steps.entry(step.name.as_str()).or_insert(step);
    }
    steps
}

fn whole(step: &SnapshotStep, what: &str) -> Difference {
    Difference {
        step: step.name.clone(),
        run: None,
        what: vec![format!("{what} ({})", step.action)],
    }
}

fn compare_step(old: &SnapshotStep, new: &SnapshotStep, out: &mut Vec<Difference>) {
    if old.action != new.action {
        out.push(Difference {
            step: new.name.clone(),
            run: None,
            what: vec![format!("action: {} -> {}", old.action, new.action)],
        });
        return;
    }
    for run in &new.runs {
        let before = old.runs.iter().find(|r| r.clr == run.clr);
        let what = match before {
            None => vec!["new run, not in the snapshot".to_owned()],
            Some(b) => compare_run(b, run),
        };
        if !what.is_empty() {
            out.push(Difference {
                step: new.name.clone(),
                run: Some(run.label()),
                what,
            });
        }
    }
    for run in &old.runs {
        if !new.runs.iter().any(|r| r.clr == run.clr) {
            out.push(Difference {
                step: new.name.clone(),
                run: Some(run.label()),
                what: vec!["gone: this run is no longer made".to_owned()],
            });
        }
    }
}

/// The lines saying how one run changed: the outcome fields, the first diverging rule, the
/// registry difference, the key shown.
fn compare_run(old: &SnapshotRun, new: &SnapshotRun) -> Vec<String> {
    let mut what = Vec::new();
    if old.what_if != new.what_if {
        what.push(format!("what-if: {} -> {}", old.what_if, new.what_if));
    }
    what.extend(value_changes(old, new));
    if let Some(r) = first_diverging_rule(&old.rules, &new.rules) {
        what.push(r);
    }
    what.extend(line_changes(
        "registry difference",
        &old.changes,
        &new.changes,
    ));
    what.extend(line_changes("key shown", &old.shown, &new.shown));
    what
}

fn value_changes(old: &SnapshotRun, new: &SnapshotRun) -> Vec<String> {
    let mut fields: Vec<&str> = new.values.iter().map(|(k, _)| k.as_str()).collect();
    for (k, _) in &old.values {
        if !fields.contains(&k.as_str()) {
            fields.push(k);
        }
    }
    let changed: Vec<String> = fields
        .into_iter()
        .filter_map(|f| {
            let (a, b) = (old.value(f), new.value(f));
            (a != b).then(|| {
                format!(
                    "{f}: {} -> {}",
                    a.unwrap_or("(none)"),
                    b.unwrap_or("(none)")
                )
            })
        })
        .collect();
    listed(changed, "more fields differ")
}

/// `first diverging rule, #N: OLD -> NEW` (1-based, `(end)` past a trace's end).
fn first_diverging_rule(old: &[String], new: &[String]) -> Option<String> {
    let at = (0..old.len().max(new.len())).find(|&i| old.get(i) != new.get(i))?;
    let show = |r: Option<&String>| r.map_or("(end)", String::as_str).to_owned();
    Some(format!(
        "first diverging rule, #{}: {} -> {}",
        at + 1,
        show(old.get(at)),
        show(new.get(at))
    ))
}

/// The lines only one side has, marked `was` / `now`, a few listed.
fn line_changes(what: &str, old: &[String], new: &[String]) -> Vec<String> {
    if old == new {
        return Vec::new();
    }
    // Sets of each side's lines: a scan of the other side per line made a snapshot of N lines
    // with one changed cost N x N comparisons.
    let old_set: HashSet<&str> = old.iter().map(String::as_str).collect();
    let new_set: HashSet<&str> = new.iter().map(String::as_str).collect();
    let gone: Vec<&String> = old
        .iter()
        .filter(|l| !new_set.contains(l.as_str()))
        .collect();
    let added: Vec<&String> = new
        .iter()
        .filter(|l| !old_set.contains(l.as_str()))
        .collect();
    let mut lines = vec![format!(
        "{what}: {} line(s) no longer, {} new",
        gone.len(),
        added.len()
    )];
    // The first lines of each side in turn, so that a line that moved shows both places.
    let mut detail = Vec::with_capacity(gone.len() + added.len());
    for i in 0..gone.len().max(added.len()) {
        if let Some(l) = gone.get(i) {
            detail.push(format!("  was {l}"));
        }
        if let Some(l) = added.get(i) {
            detail.push(format!("  now {l}"));
        }
    }
    lines.extend(listed(detail, "more lines"));
    lines
}

/// The first [`LISTED`] lines, then how many more.
fn listed(mut lines: Vec<String>, more: &str) -> Vec<String> {
    if lines.len() > LISTED + 1 {
        let rest = lines.len() - LISTED;
        lines.truncate(LISTED);
        lines.push(format!("… and {rest} {more}"));
    }
    lines
}
