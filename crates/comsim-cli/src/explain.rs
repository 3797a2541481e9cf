//! `comsim explain ID`: a rule's text, sources and switches, or an HRESULT's name, exception and
//! messages, and the bundled scenarios that show it ([`comsim_explain`]); rendered as text
//! wrapped to the output width, or as JSON.

use std::io::{Read, Write};

use clap::Args;
use comsim_explain::{Explanation, HResultEntry, RuleEntry, Topic};

use comsim_diag::Diagnostic;

use crate::codes;
use crate::reg::Format;
use crate::term::wrap;
use crate::{EXIT_BAD_INPUT, EXIT_OK};

/// How many scenarios the text names before it says how many more there are.
const SCENARIOS_SHOWN: usize = 6;

/// The most text read from standard input (`comsim explain -`): an error message with its
/// stack trace is a few kilobytes.
const STDIN_LIMIT: u64 = 1 << 20;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule ID (`SHIM-REG-4`), a cause ID (`other-view`), an HRESULT (`0x80040154`, `80040154`,
    /// `-2147221164`), or an error message holding one (quote it, or give `-` to read it from
    /// standard input).
    #[arg(value_name = "ID", required = true, num_args = 1..)]
    pub id: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// The width of the text output (else `COLUMNS`, else the terminal's, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
}

pub fn run(a: ExplainArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let text = if a.id == ["-"] {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().take(STDIN_LIMIT).read_to_string(&mut s) {
            let d = Diagnostic::error(codes::EXPLAIN_INPUT, format!("standard input: {e}"));
            let _ = writeln!(err, "{d}");
            return EXIT_BAD_INPUT;
        }
        s
    } else {
        a.id.join(" ")
    };
    let topic: Topic = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(
                err,
                "{}",
                Diagnostic::error(codes::EXPLAIN_ID, e.to_string())
            );
            return EXIT_BAD_INPUT;
        }
    };
    let e = comsim_explain::explain(topic);
    let written = match a.format {
        Format::Json => serde_json::to_writer_pretty(&mut *out, &e)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Text => {
            let width = a.width.map_or_else(
                || crate::term::output_width(None).min(100),
                |w| w.max(crate::term::MIN_WIDTH),
            );
            out.write_all(text_of(&e, width).as_bytes())
        }
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            EXIT_BAD_INPUT
        }
    }
}

/// A paragraph wrapped to `width`, its lines indented by `indent`, continuation lines by
/// `indent + hang`.
fn para(o: &mut String, text: &str, width: usize, indent: usize, hang: usize) {
    let room = width.saturating_sub(indent);
    for (i, l) in wrap(text, room, room.saturating_sub(hang))
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 { indent } else { indent + hang };
        o.push_str(&" ".repeat(lead));
        o.push_str(l.trim_end());
        o.push('\n');
    }
}

fn text_of(e: &Explanation, width: usize) -> String {
    let mut o = String::new();
    if let Some(r) = &e.rule {
        rule_text(r, width, &mut o);
    }
    if !e.switches.is_empty() {
        o.push_str("\nswitches (default first):\n");
        for s in &e.switches {
            for v in &s.values {
                para(
                    &mut o,
                    &format!("{}={}: {}", s.name, v.value, v.meaning),
                    width,
                    2,
                    4,
                );
            }
        }
    }
    if let Some(h) = &e.hresult {
        hresult_text(h, width, &mut o);
    }
    if !e.causes.is_empty() {
        o.push_str("\ncauses that end in it (docs/causes.md; `comsim explain CAUSE`):\n");
        for c in &e.causes {
            o.push_str(&format!("  {c}\n"));
        }
    }
    if let Some(c) = &e.cause {
        o.push_str(&format!(
            "{} (a cause `comsim diagnose` names, docs/causes.md)\n",
            c.id
        ));
        for p in &c.text {
            o.push('\n');
            let hang = if p.starts_with("- ") { 2 } else { 0 };
            para(&mut o, p, width, 2, hang);
        }
        if let Some(case) = &c.case {
            o.push_str("\nshown by:\n");
            para(
                &mut o,
                &format!(
                    "comsim diagnose, on the case {case} (its `args` file holds the arguments)"
                ),
                width,
                2,
                4,
            );
        }
        return o;
    }
    o.push_str("\nshown by:\n");
    if e.scenarios.is_empty() {
        o.push_str("  no bundled scenario\n");
    }
    for s in e.scenarios.iter().take(SCENARIOS_SHOWN) {
        para(&mut o, &s.command, width, 2, 4);
    }
    if e.scenarios.len() > SCENARIOS_SHOWN {
        o.push_str(&format!(
            "  and {} more (--format json lists them all)\n",
            e.scenarios.len() - SCENARIOS_SHOWN
        ));
    }
    o
}

fn rule_text(r: &RuleEntry, width: usize, o: &mut String) {
    o.push_str(&format!("{} ({})\n", r.rule, r.section));
    for p in &r.text {
        o.push('\n');
        let hang = if p.starts_with("- ") { 2 } else { 0 };
        para(o, p, width, 2, hang);
    }
    if let Some(c) = &r.confidence {
        o.push('\n');
        para(o, &format!("confidence: {c}"), width, 0, 2);
    }
    o.push_str("\nsources:\n");
    for s in &r.sources {
        let line = match &s.entry {
            Some(entry) => format!("{}: {entry}", s.key),
            None => s.key.clone(),
        };
        para(o, &line, width, 2, 4);
    }
}

fn hresult_text(h: &HResultEntry, width: usize, o: &mut String) {
    o.push_str(&format!("{} {}\n\n", h.code, h.name.unwrap_or("")));
    para(
        o,
        &format!("system message: {}", h.system_message),
        width,
        2,
        4,
    );
    para(
        o,
        &format!(
            "a managed client gets: {} (REQ-2, by the CLR's HRESULT table)",
            h.exception
        ),
        width,
        2,
        4,
    );
    o.push_str("\n  when CoCreateInstance returns it, the message is (MSG-1, MSG-2):\n");
    para(o, &format!("CLR 2.0: {}", h.clr2_message), width, 4, 4);
    para(o, &format!("CLR 4:   {}", h.clr4_message), width, 4, 4);
}
