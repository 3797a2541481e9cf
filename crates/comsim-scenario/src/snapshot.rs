//! The snapshot form of a replay: compact, line-oriented text meant to be committed beside a
//! scenario and reviewed in a diff (`docs/snapshots.md`). One block per step, named by the step's
//! name (never its position); in it one block per CLR with the outcome's values, the rule IDs of
//! the trace in order, and for a machine step the registry difference it made. No prose (trace
//! text, exception messages, regasm's console), no file line numbers, no paths of the computer
//! that ran it.
//!
//! [`Snapshot::of`] builds it from a [`Replay`], [`Snapshot::render`] writes it, and
//! [`Snapshot::parse`] reads it back (for `comsim check`, [`crate::compare`]).

use std::io;

use comsim_diag::{Diagnostic, Location};
use serde_json::Value;

use crate::codes;
use crate::machine_step::{MachineRun, RegistryChange};
use crate::replay::{Clr, Replay, RequestRun, StepRun};
use crate::{MACHINE_EXPECTATION_FIELDS, Scenario, StepAction};

/// The version of the snapshot form (and of the JSON document, `docs/json.md`): the first line
/// of a snapshot says `comsim snapshot 1`. It changes only when a line that exists changes
/// meaning or spelling; see `docs/json.md` "Stability".
pub const FORMAT_VERSION: u32 = 1;

/// The first words of a snapshot, before the version.
const MAGIC: &str = "comsim snapshot";

/// Outcome fields left out of a snapshot: prose that may be reworded (`docs/json.md`).
const PROSE_FIELDS: &[&str] = &["message"];

/// A replay, as its snapshot holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The scenario's directory name.
    pub scenario: String,
    /// The switches that differ from their defaults, `name=value`.
    pub switches: Vec<String>,
    pub steps: Vec<SnapshotStep>,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStep {
    /// The step's name: what identifies it (line breaks written `\n`).
    pub name: String,
    /// The step's action keyword (`create_instance`, `regasm`).
    pub action: String,
    /// One per CLR for a request; one, with no CLR, for a machine step.
    pub runs: Vec<SnapshotRun>,
}

/// One run of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRun {
    /// `2.0`, `4.0`, `none` (a native client that loads no CLR); `None` for a machine step.
    pub clr: Option<String>,
    /// The real machine would not run the client on this CLR (SHIM-2, SHIM-4).
    pub what_if: bool,
    /// `field = value` lines: the outcome's fields (dotted, as expectations name them), or a
    /// machine step's fields.
    pub values: Vec<(String, String)>,
    /// The trace's rule IDs in order, each with `(switch=value)` when an inferred rule decided.
    pub rules: Vec<String>,
    /// The registry difference a machine step made, `.reg`-style, one line per change.
    pub changes: Vec<String>,
    /// The key a `show` step showed, as a `.reg` export, line by line.
    pub shown: Vec<String>,
}

impl SnapshotRun {
    /// Writes the lines under the run's header, each after `indent`, as rendered. (Written, not
    /// collected: a `regasm` of many types has a few changes per type.)
    fn write_body(&self, indent: &str, o: &mut dyn io::Write) -> io::Result<()> {
        for (k, v) in &self.values {
            writeln!(o, "{indent}{k} = {v}")?;
        }
        writeln!(
            o,
            "{indent}{}",
            format!("rules: {}", self.rules.join(" ")).trim_end()
        )?;
        for c in &self.changes {
            writeln!(o, "{indent}{c}")?;
        }
        for l in &self.shown {
            writeln!(o, "{indent}{}", format!("| {l}").trim_end())?;
        }
        Ok(())
    }

    /// The value of a field, when the run has it.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    /// What the header names the run: `2.0`, `4.0 what-if`, `machine`.
    pub fn label(&self) -> String {
        match (&self.clr, self.what_if) {
            (Some(c), true) => format!("clr {c} what-if"),
            (Some(c), false) => format!("clr {c}"),
            (None, _) => "machine".to_owned(),
        }
    }
}

impl Snapshot {
    /// The snapshot of a replay of `scenario`.
    pub fn of(scenario: &Scenario, replay: &Replay) -> Snapshot {
        Snapshot {
            scenario: scenario.name.clone(),
            switches: replay.switches.non_default(),
            steps: replay.steps.iter().map(step).collect(),
        }
    }

    /// The text: a header, then one block per step (`docs/snapshots.md`). Ends in a newline.
    pub fn render(&self) -> String {
        let mut o = Vec::new();
        self.write(&mut o)
            .expect("writing to a vector does not fail");
        String::from_utf8(o).expect("a snapshot is made of strings")
    }

    /// [`Snapshot::render`], written to `o` as it is made.
    pub fn write(&self, o: &mut dyn io::Write) -> io::Result<()> {
        writeln!(o, "{MAGIC} {FORMAT_VERSION}\nscenario: {}", self.scenario)?;
        if !self.switches.is_empty() {
            writeln!(o, "switches: {}", self.switches.join(" "))?;
        }
        for s in &self.steps {
            write!(o, "\nstep: {}\n  action: {}\n", s.name, s.action)?;
            for r in &s.runs {
                let indent = if r.clr.is_some() {
                    writeln!(o, "  {}:", r.label())?;
                    "    "
                } else {
                    "  "
                };
                r.write_body(indent, o)?;
            }
        }
        Ok(())
    }

    /// Reads a snapshot written by [`Snapshot::render`]; `file` names it in errors, which give
    /// the line.
    pub fn parse(text: &str, file: &str) -> Result<Snapshot, Diagnostic> {
        Parser {
            file,
            snap: Snapshot {
                scenario: String::new(),
                switches: Vec::new(),
                steps: Vec::new(),
            },
        }
        .parse(text)
    }

    /// The step of that name.
    pub fn step(&self, name: &str) -> Option<&SnapshotStep> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// Text on one line: line breaks as `\n` (Windows paths keep their single `\`).
fn one_line(s: &str) -> String {
    s.replace("\r\n", "\\n").replace('\n', "\\n")
}

fn step(s: &StepRun) -> SnapshotStep {
    match s {
        StepRun::Request(r) => SnapshotStep {
            name: one_line(&r.name),
            action: r.action.keyword().to_owned(),
            runs: r.runs.iter().map(request_run).collect(),
        },
        StepRun::Machine(m) => SnapshotStep {
            name: one_line(&m.name),
            action: m.action.keyword().to_owned(),
            runs: vec![machine_run(m.action, &m.run)],
        },
    }
}

fn rules(trace: &comsim_resolver::Trace) -> Vec<String> {
    trace
        .steps
        .iter()
        .map(|t| match &t.inferred {
            Some(sw) => format!("{}({sw})", t.rule.as_str()),
            None => t.rule.as_str().to_owned(),
        })
        .collect()
}

fn request_run(r: &RequestRun) -> SnapshotRun {
    let mut values = Vec::new();
    if let Ok(v) = serde_json::to_value(&r.run.outcome) {
        flatten("", &v, &mut values);
    }
    // `kind` first, then the fields in name order (serde_json's map order).
    values.sort_by_key(|(k, _)| k != "kind");
    SnapshotRun {
        clr: Some(r.clr.map_or("none", Clr::label).to_owned()),
        what_if: r.what_if.is_some(),
        values,
        rules: rules(&r.run.trace),
        changes: Vec::new(),
        shown: Vec::new(),
    }
}

/// The outcome's fields as dotted names and text, in the JSON's order; prose and nulls left out.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if prefix.is_empty() && PROSE_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_owned(), one_line(s))),
        Value::Bool(_) | Value::Number(_) => out.push((prefix.to_owned(), v.to_string())),
    }
}

/// Machine fields that are prose or whole files (the console, a `/regfile` script), or that the
/// change lines already give.
const MACHINE_SKIPPED: &[&str] = &[
    "console",
    "console_contains",
    "regfile",
    "regfile_contains",
    "changes",
];

/// Whether a machine field belongs in the snapshot of a step of this action: `exists` for a
/// `show`, `sxs.*` for an `sxs_lookup`, the others when the run has them.
fn machine_field_shown(action: StepAction, field: &str) -> bool {
    if MACHINE_SKIPPED.contains(&field) {
        return false;
    }
    match field {
        "exists" => action == StepAction::Show,
        f if f.starts_with("sxs.") => action == StepAction::SxsLookup,
        _ => true,
    }
}

fn machine_run(action: StepAction, run: &MachineRun) -> SnapshotRun {
    let values = MACHINE_EXPECTATION_FIELDS
        .iter()
        .filter(|(f, _)| machine_field_shown(action, f))
        .filter_map(|(f, _)| run.field(f).map(|v| ((*f).to_owned(), one_line(&v))))
        .collect();
    SnapshotRun {
        clr: None,
        what_if: false,
        values,
        rules: rules(&run.trace),
        changes: run
            .changes
            .iter()
            .map(|c| change_line(&RegistryChange::from(c)))
            .collect(),
        shown: run
            .shown
            .as_deref()
            .map(|s| {
                s.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// One registry change, `.reg`-style: `+ [KEY]`, `- [KEY]`, `+ [KEY] "name"=data`,
/// `~ [KEY] "name"=old -> new`, `- [KEY] "name"=old`.
fn change_line(c: &RegistryChange) -> String {
    let sign = match c.change {
        "key_added" | "value_added" => "+",
        "key_removed" | "value_removed" => "-",
        _ => "~",
    };
    let Some(name) = &c.value else {
        return format!("{sign} [{}]", c.key);
    };
    let name = if name == "@" {
        "@".to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let data = match (&c.old, &c.new) {
        (Some(old), Some(new)) => format!("{old} -> {new}"),
        (Some(d), None) | (None, Some(d)) => d.clone(),
        (None, None) => String::new(),
    };
    format!("{sign} [{}] {name}={data}", c.key)
}

/// Reads the rendered form back, line by line.
struct Parser<'a> {
    file: &'a str,
    snap: Snapshot,
}

impl Parser<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> Diagnostic {
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        Diagnostic::error(codes::SNAPSHOT_SYNTAX, message).at(Location::new(self.file, line, 1))
    }

    fn parse(mut self, text: &str) -> Result<Snapshot, Diagnostic> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let want = format!("{MAGIC} {FORMAT_VERSION}");
        match lines.next() {
            Some((_, l)) if l == want => {}
            Some((_, l)) if l.starts_with(MAGIC) => {
                return Err(self
                    .err(1, format!("`{l}`: this comsim writes and reads `{want}`"))
                    .with_note("write it again with `comsim check --update`"));
            }
            _ => return Err(self.err(1, format!("not a comsim snapshot: `{want}` expected"))),
        }
        for (n, line) in lines {
            self.line(n, line)?;
        }
        Ok(self.snap)
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), Diagnostic> {
        if line.is_empty() {
            return Ok(());
        }
        if let Some(v) = line.strip_prefix("scenario: ") {
            self.snap.scenario = v.to_owned();
        } else if let Some(v) = line.strip_prefix("switches: ") {
            self.snap.switches = v.split(' ').map(str::to_owned).collect();
        } else if let Some(v) = line.strip_prefix("step: ") {
            self.snap.steps.push(SnapshotStep {
                name: v.to_owned(),
                action: String::new(),
                runs: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("  ") {
            let Some(step) = self.snap.steps.last_mut() else {
                return Err(self.err(n, "an indented line before the first `step:`"));
            };
            step_line(step, rest);
        } else {
            return Err(self.err(n, format!("unexpected line `{line}`")));
        }
        Ok(())
    }
}

/// A line inside a step, its first two spaces removed.
fn step_line(step: &mut SnapshotStep, rest: &str) {
    if let Some(a) = rest.strip_prefix("action: ") {
        step.action = a.to_owned();
        return;
    }
    if let Some(header) = rest.strip_prefix("clr ").and_then(|h| h.strip_suffix(':')) {
        let (clr, what_if) = match header.strip_suffix(" what-if") {
            Some(c) => (c, true),
            None => (header, false),
        };
        step.runs.push(empty_run(Some(clr.to_owned()), what_if));
        return;
    }
    let body = rest.strip_prefix("  ").unwrap_or(rest);
    if step.runs.is_empty() {
        step.runs.push(empty_run(None, false));
    }
    if let Some(run) = step.runs.last_mut() {
        run_line(run, body);
    }
}

fn empty_run(clr: Option<String>, what_if: bool) -> SnapshotRun {
    SnapshotRun {
        clr,
        what_if,
        values: Vec::new(),
        rules: Vec::new(),
        changes: Vec::new(),
        shown: Vec::new(),
    }
}

/// A line of a run: `rules: …`, a change (`+`, `-`, `~`), a shown line (`|`), or `field = value`.
fn run_line(run: &mut SnapshotRun, body: &str) {
    if let Some(r) = body.strip_prefix("rules:") {
        run.rules = r.split_whitespace().map(str::to_owned).collect();
    } else if body.starts_with(['+', '-', '~']) {
        run.changes.push(body.to_owned());
    } else if let Some(l) = body.strip_prefix('|') {
        run.shown.push(l.strip_prefix(' ').unwrap_or(l).to_owned());
    } else if let Some((k, v)) = body.split_once(" = ") {
        run.values.push((k.to_owned(), v.to_owned()));
    } else {
        run.values.push((body.to_owned(), String::new()));
    }
}
