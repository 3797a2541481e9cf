//! The expectations a replay satisfies, as TOML to paste into the scenario (`comsim expect`), so
//! that a scenario gains a real gate in one command.
//!
//! Per step: the fields every run ends with go to `expect`; a field whose value differs between
//! the CLRs (or that only one run has) goes to `expect_clr2` / `expect_clr4`. Prose (`message`,
//! regasm's console) and whole files (`regfile`) are left out.

use std::fmt::Write;

use crate::StepAction;
use crate::expect::{EXPECTATION_FIELDS, FieldType, MACHINE_EXPECTATION_FIELDS};
use crate::replay::{Clr, Replay, StepRun};

/// Fields never proposed: prose that may be reworded, and whole texts.
const LEFT_OUT: &[&str] = &[
    "message",
    "console",
    "console_contains",
    "regfile",
    "regfile_contains",
];

/// One step's expectations, each table a list of (field, value, type) in field-table order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatisfiedStep {
    pub name: String,
    /// `expect`: every run.
    pub every: Vec<(String, String, FieldType)>,
    /// `expect_clr2`.
    pub clr2: Vec<(String, String, FieldType)>,
    /// `expect_clr4`.
    pub clr4: Vec<(String, String, FieldType)>,
}

/// The expectations each step of `replay` satisfies.
pub fn satisfied(replay: &Replay) -> Vec<SatisfiedStep> {
    replay.steps.iter().map(step).collect()
}

fn step(s: &StepRun) -> SatisfiedStep {
    let mut out = SatisfiedStep {
        name: String::new(),
        every: Vec::new(),
        clr2: Vec::new(),
        clr4: Vec::new(),
    };
    match s {
        StepRun::Machine(m) => {
            out.name.clone_from(&m.name);
            for (f, t) in MACHINE_EXPECTATION_FIELDS {
                let shown = match *f {
                    "exists" => m.action == StepAction::Show,
                    f if f.starts_with("sxs.") => m.action == StepAction::SxsLookup,
                    f => !LEFT_OUT.contains(&f),
                };
                if !shown {
                    continue;
                }
                if let Some(v) = m.run.field(f) {
                    out.every.push(((*f).to_owned(), v, *t));
                }
            }
        }
        StepRun::Request(r) => {
            out.name.clone_from(&r.name);
            let one_clr = r.runs.len() == 1;
            for (f, t) in EXPECTATION_FIELDS {
                if LEFT_OUT.contains(f) {
                    continue;
                }
                let values: Vec<(Option<Clr>, Option<String>)> = r
                    .runs
                    .iter()
                    .map(|run| (run.clr, run.run.outcome.field(f)))
                    .collect();
                let all_same = values.windows(2).all(|w| w[0].1 == w[1].1);
                for (clr, v) in values {
                    let Some(v) = v else { continue };
                    let entry = ((*f).to_owned(), v, *t);
                    match clr {
                        // A run on one CLR only: its table, so that a later run on both holds.
                        Some(Clr::V2) if one_clr || !all_same => out.clr2.push(entry),
                        Some(Clr::V4) if one_clr || !all_same => out.clr4.push(entry),
                        _ => {
                            if !out.every.iter().any(|(k, ..)| k == f) {
                                out.every.push(entry);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// The TOML: for each step, a comment naming it, then `[step.expect]`, `[step.expect_clr2]`,
/// `[step.expect_clr4]` tables (those that have fields), to paste at the end of that step's
/// `[[step]]`, in place of its expectations.
pub fn render_toml(steps: &[SatisfiedStep]) -> String {
    let mut o = String::new();
    for s in steps {
        let _ = writeln!(
            o,
            "# step \"{}\": paste at the end of its [[step]], in place of its expectations",
            s.name
        );
        for (table, fields) in [
            ("expect", &s.every),
            ("expect_clr2", &s.clr2),
            ("expect_clr4", &s.clr4),
        ] {
            if fields.is_empty() {
                continue;
            }
            let _ = writeln!(o, "[step.{table}]");
            for (f, v, t) in fields {
                let _ = writeln!(o, "{} = {}", key(f), value(v, *t));
            }
        }
        o.push('\n');
    }
    o
}

/// A field as a TOML key: dotted fields quoted, so that they stay one key (`"server.kind"`).
fn key(field: &str) -> String {
    if field.contains('.') {
        format!("\"{field}\"")
    } else {
        field.to_owned()
    }
}

/// A value as TOML: booleans and numbers bare, text as a TOML string (a literal string when it
/// has a `\` and no `'`, so that Windows paths read as written).
fn value(v: &str, t: FieldType) -> String {
    match t {
        FieldType::Bool if v == "true" || v == "false" => v.to_owned(),
        FieldType::Number if v.parse::<i64>().is_ok() => v.to_owned(),
        _ if v.contains('\\') && !v.contains('\'') && !v.contains('\n') => format!("'{v}'"),
        _ => basic_string(v),
    }
}

/// A TOML basic string: `"`, with `\`, `"` and control characters escaped.
fn basic_string(v: &str) -> String {
    let mut o = String::with_capacity(v.len() + 2);
    o.push('"');
    for c in v.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{:04X}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
