//! The text report: the cause in one sentence, its evidence, the fix commands and the outcome
//! after the fix first; then the other causes, the configurations tried, and what would make
//! it work; with `--trace`, the trace of each configuration that reproduces the error.

use std::io::{self, Write};

use comsim_diagnose::{Diagnosis, FoundCause, Reported};
use comsim_resolver::Trace;

/// What the report adds for the configurations that reproduce the error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Show {
    /// Each one's trace (`--trace`).
    pub trace: bool,
    /// Each one's bind log (`--bind-log`).
    pub bind_log: bool,
}

pub fn write(d: &Diagnosis, show: Show, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "error:    {}", reported(&d.reported))?;
    if let Some(c) = d.clsid {
        writeln!(out, "class:    {c}")?;
    }
    for a in &d.assumptions {
        writeln!(out, "assumed:  {a}")?;
    }
    writeln!(out)?;
    match d.causes.split_first() {
        Some((first, rest)) => {
            cause(first, d, out)?;
            for c in rest {
                writeln!(out)?;
                writeln!(out, "Also:")?;
                cause(c, d, out)?;
            }
        }
        None if d.reproduced() => {
            writeln!(
                out,
                "No known cause found (docs/causes.md); the trace shows the walk (--trace)."
            )?;
        }
        None => writeln!(out, "No configuration reproduces the error.")?,
    }
    writeln!(out)?;
    writeln!(out, "Configurations tried:")?;
    for t in &d.configs {
        let mark = if t.reproduces {
            "reproduces"
        } else {
            "differs   "
        };
        writeln!(
            out,
            "  {mark}  {}: {}",
            t.description,
            comsim_diagnose::outcome_summary(&t.outcome)
        )?;
    }
    if !d.would_work.is_empty() {
        writeln!(out)?;
        writeln!(out, "What would make it work (each replayed):")?;
        for c in &d.would_work {
            writeln!(out, "  {}: {}", c.change, c.after.summary)?;
        }
    }
    if show.bind_log {
        for t in d.configs.iter().filter(|t| t.reproduces) {
            let entries = crate::replay::bindlog::entries(&t.trace.steps);
            writeln!(out)?;
            write!(
                out,
                "{}",
                crate::replay::bindlog::heading(
                    &format!("Bind log: {}", t.description),
                    entries.len()
                )
            )?;
            for (k, e) in entries.iter().enumerate() {
                if k > 0 {
                    writeln!(out)?;
                }
                write!(out, "{e}")?;
            }
        }
    }
    if show.trace {
        for t in d.configs.iter().filter(|t| t.reproduces) {
            writeln!(out)?;
            writeln!(out, "Trace: {}", t.description)?;
            writeln!(out, "  request: {}", t.request)?;
            steps(&t.trace, out)?;
        }
    }
    Ok(())
}

pub(super) fn reported(r: &Reported) -> String {
    let mut parts = Vec::new();
    if let Some(h) = r.hresult {
        let name = h.info().map_or("", |i| i.name);
        parts.push(format!("{h} {name}").trim_end().to_owned());
    }
    if let Some(p) = &r.progid {
        parts.push(format!("ProgID {p}"));
    }
    if let Some(a) = &r.assembly {
        parts.push(format!("assembly '{a}'"));
    }
    let form = serde_json_str(&r.form);
    if parts.is_empty() {
        return format!("none given ({form})");
    }
    format!("{} ({form})", parts.join(", "))
}

fn serde_json_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn cause(c: &FoundCause, d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Cause [{}]: {}", c.id, c.title)?;
    writeln!(out, "  {}", c.sentence)?;
    let configs: Vec<&str> = c
        .configs
        .iter()
        .map(|i| d.configs[*i].description.as_str())
        .collect();
    writeln!(out, "  in: {}", configs.join("; "))?;
    writeln!(out, "  evidence:")?;
    for e in &c.evidence {
        writeln!(
            out,
            "    {:<11} {}: {}",
            e.rule.as_str(),
            e.subject,
            e.detail
        )?;
    }
    for (n, f) in c.fixes.iter().enumerate() {
        writeln!(out, "  fix {}: {}", n + 1, f.summary)?;
        for cmd in &f.commands {
            writeln!(out, "    > {cmd}")?;
        }
        for file in &f.files {
            writeln!(out, "    {}:", file.name)?;
            for line in file.text.lines() {
                writeln!(out, "      | {line}")?;
            }
        }
        for a in &f.after {
            writeln!(
                out,
                "    after the fix ({}): {}",
                a.config.describe(),
                a.summary
            )?;
        }
    }
    if c.fixes.is_empty() {
        writeln!(
            out,
            "  no fix found that makes the request succeed when replayed"
        )?;
    }
    if c.fixes_rejected > 0 {
        writeln!(
            out,
            "  ({} other fix(es) tried: the request still fails after them)",
            c.fixes_rejected
        )?;
    }
    Ok(())
}

fn steps(t: &Trace, out: &mut dyn Write) -> io::Result<()> {
    for (i, s) in t.steps.iter().enumerate() {
        writeln!(out, "  {:>3}. {:<11} {}", i + 1, s.rule.as_str(), s.text)?;
        if let Some(l) = &s.looked_at {
            writeln!(out, "                   looked at: {l}")?;
        }
        if let Some(f) = &s.found {
            writeln!(out, "                   found: {f}")?;
        }
        if let Some(inf) = &s.inferred {
            writeln!(out, "                   inferred: {inf}")?;
        }
    }
    Ok(())
}
