//! `comsim replay --format html`: one self-contained HTML page (no script, no network, no
//! external style) holding the scenario, each request's runs side by side with the steps that
//! differ highlighted, the path each run took drawn as inline SVG, the outcome and the
//! expectations, a table of the registry keys each step read, one column per view, and the text
//! of every rule the page cites, which each rule ID links to.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write;

use comsim_resolver::{Bitness, Outcome, TraceStep};
use comsim_rules::Rule;
use comsim_scenario::{
    Check, MachineStepRun, Replayer, RequestRun, RequestStepRun, Scenario, StepRun, Summary,
};

use super::mermaid::{differing_steps, is_failure, outcome_text};
use super::text::{clr_heading, outcome_fields, process_summary};

/// The page's style: two columns of runs, the differing steps and the failures marked.
const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111;max-width:1500px}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-top:1px solid #ccc;padding-top:.6em}\
.runs{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:1.5em}\
.run h3{font-size:1em;margin:.4em 0}ol.trace{padding-left:2.2em}ol.trace li{margin:.15em 0}\
li.diff{background:#fff4d6}li.fail{background:#fde2e1}.detail{color:#555;font-size:.92em;margin-left:1em}\
a.rule{font-family:ui-monospace,monospace;color:#00607a;text-decoration:none;font-weight:600}\
.inferred{color:#8a5a00}.outcome{padding:.4em .6em;border-radius:4px;margin:.5em 0}\
.outcome.fail{background:#fde2e1;border:1px solid #c62828}.outcome.ok{background:#e3f4e1;border:1px solid #2e7d32}\
.whatif{color:#8a5a00}pre{background:#f5f5f5;padding:.6em;overflow-x:auto}\
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top;font-size:.92em}\
.check.failed{color:#c62828;font-weight:600}svg{display:block;margin:.5em 0}\
svg .node rect{fill:#eef4fb;stroke:#5a7fa8}svg .node.diff rect{fill:#fff4d6;stroke:#f9a825}\
svg .node.fail rect,svg .outcome.fail rect{fill:#fde2e1;stroke:#c62828}svg .outcome.ok rect{fill:#e3f4e1;stroke:#2e7d32}\
svg text{font:12px ui-monospace,monospace}svg .edge{stroke:#777}svg .found{fill:#555;font-size:11px}\
dl.rules dt{font-family:ui-monospace,monospace;font-weight:600;margin-top:.8em}dl.rules dd{margin-left:1.5em}";

/// Writes the page. Steps are written as they run; the rules the page cited come last.
pub(super) fn write(
    s: &Scenario,
    replayer: &Replayer<'_>,
    out: &mut dyn Write,
) -> Result<Summary, String> {
    let mut cited = BTreeSet::new();
    let mut head = String::new();
    heading(s, &mut head, &mut cited);
    out.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    let sum = super::write_steps(replayer, out, |run| {
        let mut o = String::new();
        match run {
            StepRun::Machine(m) => machine_step(m, &mut o, &mut cited),
            StepRun::Request(r) => request_step(s, r, &mut o, &mut cited),
        }
        o
    })?;
    let mut tail = String::new();
    rules(&cited, &mut tail);
    let _ = writeln!(
        tail,
        "<footer><p>{} steps, {} runs, {} expectations: {} passed, {} failed.</p></footer>\n</body>\n</html>",
        sum.steps, sum.runs, sum.expectations, sum.passed, sum.failed
    );
    out.write_all(tail.as_bytes()).map_err(|e| e.to_string())?;
    Ok(sum)
}

/// HTML-escapes text for an element or a quoted attribute.
pub(crate) fn esc(text: &str) -> String {
    let mut o = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A rule ID linked to its text at the end of the page.
pub(crate) fn rule_link(rule: Rule, cited: &mut BTreeSet<Rule>) -> String {
    cited.insert(rule);
    format!(
        "<a class=\"rule\" href=\"#rule-{0}\">{0}</a>",
        rule.as_str()
    )
}

/// The page's start: its head, with the style, and the title as its first heading.
pub(crate) fn page_start(title: &str, o: &mut String) {
    let _ = write!(
        o,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    );
}

fn heading(s: &Scenario, o: &mut String, cited: &mut BTreeSet<Rule>) {
    page_start(&s.title, o);
    if let Some(d) = &s.description {
        for para in d.trim_end().split("\n\n") {
            let _ = writeln!(o, "<p>{}</p>", esc(para));
        }
    }
    let _ = writeln!(
        o,
        "<table>\n<tr><th>scenario</th><td>{}</td></tr>\n<tr><th>process</th><td>{}</td></tr>",
        esc(&s.path.display().to_string()),
        esc(&process_summary(&s.process))
    );
    for step in &s.machine.setup.steps {
        let _ = writeln!(
            o,
            "<tr><th>setup</th><td>{} {}</td></tr>",
            rule_link(step.rule, cited),
            esc(&step.text)
        );
    }
    let _ = writeln!(o, "</table>");
}

fn machine_step(m: &MachineStepRun, o: &mut String, cited: &mut BTreeSet<Rule>) {
    let _ = writeln!(
        o,
        "<section class=\"step\" id=\"step-{0}\">\n<h2>Step {0}: {1}</h2>\n<p><code>{2}</code></p>",
        m.step,
        esc(&m.name),
        esc(&m.command)
    );
    trace_list(&m.run.trace.steps, &[], false, o, cited);
    if let Some(g) = &m.run.regasm {
        let console: Vec<&str> = g.console.iter().map(|l| l.text.as_str()).collect();
        let _ = writeln!(
            o,
            "<pre class=\"console\">{}</pre>\n<p>exit code {}</p>",
            esc(&console.join("\n")),
            g.exit_code
        );
    }
    if let Some(e) = &m.run.error {
        let _ = writeln!(o, "<div class=\"outcome fail\">{}</div>", esc(e));
    }
    if !m.run.changes.is_empty() {
        let _ = writeln!(
            o,
            "<pre class=\"changes\">{}</pre>",
            esc(&comsim_regfile::diff_text(&m.run.changes))
        );
    }
    if let Some(shown) = &m.run.shown {
        let _ = writeln!(o, "<pre class=\"shown\">{}</pre>", esc(shown));
    }
    checks(&m.checks, "", o);
    let _ = writeln!(o, "</section>");
}

fn request_step(s: &Scenario, r: &RequestStepRun, o: &mut String, cited: &mut BTreeSet<Rule>) {
    let _ = writeln!(
        o,
        "<section class=\"step\" id=\"step-{0}\">\n<h2>Step {0}: {1}</h2>\n<p><code>{2}</code> (apartment {3})</p>\n<div class=\"runs\">",
        r.step,
        esc(&r.name),
        esc(&r.request),
        esc(&r.apartment.to_string())
    );
    let differing = differing_steps(&r.runs);
    for (k, run) in r.runs.iter().enumerate() {
        run_column(s, r.step, k, run, &differing[k], o, cited);
    }
    let _ = writeln!(o, "</div>");
    registry_table(s, r, o);
    let _ = writeln!(o, "</section>");
}

fn run_column(
    s: &Scenario,
    step: usize,
    k: usize,
    r: &RequestRun,
    diff: &[bool],
    o: &mut String,
    cited: &mut BTreeSet<Rule>,
) {
    let _ = writeln!(
        o,
        "<div class=\"run\" id=\"step-{step}-run-{k}\">\n<h3>{}</h3>",
        esc(&clr_heading(s, r.clr))
    );
    if let Some(why) = &r.what_if {
        let _ = writeln!(o, "<p class=\"whatif\">What-if: {}</p>", esc(why));
    }
    run_body(&r.run.outcome, &r.run.trace.steps, diff, o, cited);
    let who = r
        .clr
        .map(|c| format!("CLR {}: ", c.label()))
        .unwrap_or_default();
    checks(&r.checks, &who, o);
    let _ = writeln!(o, "</div><!-- end of run -->");
}

/// A run: its path drawn, its trace listed, its outcome. Replay shows one per CLR; diagnose one
/// per configuration that reproduces the error.
pub(crate) fn run_body(
    outcome: &Outcome,
    steps: &[TraceStep],
    diff: &[bool],
    o: &mut String,
    cited: &mut BTreeSet<Rule>,
) {
    let failed = is_failure(outcome);
    svg(steps, diff, failed, &outcome_text(outcome), o);
    trace_list(steps, diff, failed, o, cited);
    let class = if failed { "fail" } else { "ok" };
    let _ = write!(
        o,
        "<div class=\"outcome {class}\"><strong>{}</strong>",
        esc(outcome.kind())
    );
    for (key, value) in outcome_fields(outcome) {
        let _ = write!(o, "<br>{}: {}", esc(&key), esc(&value));
    }
    let _ = writeln!(o, "</div>");
}

/// The numbered trace, each step's rule linked, the differing and failing steps marked.
fn trace_list(
    steps: &[TraceStep],
    diff: &[bool],
    failed: bool,
    o: &mut String,
    cited: &mut BTreeSet<Rule>,
) {
    if steps.is_empty() {
        return;
    }
    let _ = writeln!(o, "<ol class=\"trace\">");
    for (n, t) in steps.iter().enumerate() {
        let class = if failed && n + 1 == steps.len() {
            " class=\"step fail\""
        } else if diff.get(n).copied().unwrap_or(false) {
            " class=\"step diff\""
        } else {
            " class=\"step\""
        };
        let _ = write!(
            o,
            "<li{class}>{} {}",
            rule_link(t.rule, cited),
            esc(&t.text)
        );
        if let Some(at) = &t.looked_at {
            let _ = write!(o, "<div class=\"detail\">looked at: {}</div>", esc(at));
        }
        if let Some(found) = &t.found {
            let _ = write!(o, "<div class=\"detail\">found: {}</div>", esc(found));
        }
        if let Some(setting) = &t.inferred {
            let _ = write!(
                o,
                "<div class=\"detail inferred\">inferred: {}</div>",
                esc(setting)
            );
        }
        let _ = writeln!(o, "</li>");
    }
    let _ = writeln!(o, "</ol>");
}

/// Characters of a step's text drawn in its SVG box; the list below the drawing has it whole.
const SVG_TEXT: usize = 72;
const BOX_W: usize = 540;
const BOX_H: usize = 24;
const GAP: usize = 22;

/// The path drawn: one box per trace step (`g.node`), an arrow to the next labelled with what
/// the step found, and the outcome last (`g.outcome`).
fn svg(steps: &[TraceStep], diff: &[bool], failed: bool, outcome: &str, o: &mut String) {
    let height = (steps.len() + 1) * (BOX_H + GAP);
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"the path taken\">",
        BOX_W + 2
    );
    let cut = |t: &str, n: usize| -> String {
        let mut s: String = t.chars().take(n).collect();
        if t.chars().nth(n).is_some() {
            s.push('…');
        }
        esc(&s)
    };
    for (n, t) in steps.iter().enumerate() {
        let y = n * (BOX_H + GAP) + 1;
        let mut class = "node".to_owned();
        if failed && n + 1 == steps.len() {
            class.push_str(" fail");
        } else if diff.get(n).copied().unwrap_or(false) {
            class.push_str(" diff");
        }
        let _ = writeln!(
            o,
            "<g class=\"{class}\"><rect x=\"1\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"4\"/><text x=\"8\" y=\"{}\">{}</text></g>",
            y + 16,
            cut(&format!("{}: {}", t.rule, t.text), SVG_TEXT)
        );
        let (y1, y2) = (y + BOX_H, y + BOX_H + GAP);
        let _ = write!(
            o,
            "<line class=\"edge\" x1=\"40\" y1=\"{y1}\" x2=\"40\" y2=\"{}\"/><path class=\"edge\" d=\"M35 {} L40 {y2} L45 {}\" fill=\"none\"/>",
            y2 - 1,
            y2 - 6,
            y2 - 6
        );
        if let Some(found) = &t.found {
            let _ = write!(
                o,
                "<text class=\"found\" x=\"52\" y=\"{}\">{}</text>",
                y1 + 15,
                cut(found, 70)
            );
        }
        let _ = writeln!(o);
    }
    let y = steps.len() * (BOX_H + GAP) + 1;
    let class = if failed { "outcome fail" } else { "outcome ok" };
    let _ = writeln!(
        o,
        "<g class=\"{class}\"><rect x=\"1\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"12\"/><text x=\"12\" y=\"{}\">{}</text></g>\n</svg>",
        y + 16,
        cut(outcome, SVG_TEXT)
    );
}

fn checks(list: &[Check], who: &str, o: &mut String) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(o, "<ul class=\"checks\">");
    for c in list {
        let (class, result) = if c.ok {
            ("check ok", "ok".to_owned())
        } else {
            let actual = c.actual.as_deref().unwrap_or("no value");
            (
                "check failed",
                format!("FAILED: got {actual} (at {})", c.location),
            )
        };
        let _ = writeln!(
            o,
            "<li class=\"{class}\">{}expect {} = {}: {}</li>",
            esc(who),
            esc(&c.field),
            esc(&c.expected),
            esc(&result)
        );
    }
    let _ = writeln!(o, "</ul>");
}

/// The view a trace step read a registry key in: the one its text names (`32-bit view`,
/// `64-bit view`), else the one its found key is stored in (`Wow6432Node`: 32-bit), else the
/// process's own.
fn view_of(t: &TraceStep, native: usize) -> usize {
    if t.text.contains("32-bit view") {
        32
    } else if t.text.contains("64-bit view") {
        64
    } else if t
        .found
        .as_deref()
        .is_some_and(|f| f.contains("Wow6432Node"))
    {
        32
    } else {
        native
    }
}

/// The registry keys the step's runs read, one row each, one column per view: what each read
/// found there, and which CLR's run read it.
fn registry_table(s: &Scenario, r: &RequestStepRun, o: &mut String) {
    let native = match s.process.bitness {
        Bitness::B32 => 32,
        Bitness::B64 => 64,
    };
    // key → (view → findings), in the order the keys were first read; `row_of` finds a key's row
    // (a scan of the rows per step made a long chain of reads quadratic).
    let mut rows: Vec<(String, [Vec<String>; 2])> = Vec::new();
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    for run in &r.runs {
        let who = run
            .clr
            .map_or("native".to_owned(), |c| format!("CLR {}", c.label()));
        for t in &run.run.trace.steps {
            let Some(key) = t.looked_at.as_deref().filter(|k| k.starts_with("HKEY_")) else {
                continue;
            };
            let col = usize::from(view_of(t, native) == 64);
            let found = format!("{who}: {}", t.found.as_deref().unwrap_or("read"));
            let i = *row_of.entry(key).or_insert_with(|| {
                rows.push((key.to_owned(), [Vec::new(), Vec::new()]));
                rows.len() - 1
            });
            let row = &mut rows[i];
            if !row.1[col].contains(&found) {
                row.1[col].push(found);
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<table class=\"registry\">\n<tr><th>registry key read</th><th>32-bit view</th><th>64-bit view</th></tr>"
    );
    for (key, cols) in rows {
        let cell = |v: &[String]| v.iter().map(|f| esc(f)).collect::<Vec<_>>().join("<br>");
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&key),
            cell(&cols[0]),
            cell(&cols[1])
        );
    }
    let _ = writeln!(o, "</table>");
}

/// The text of every rule the page cites, from `docs/rules.md`.
pub(crate) fn rules(cited: &BTreeSet<Rule>, o: &mut String) {
    let _ = writeln!(
        o,
        "<section id=\"rules\">\n<h2>The rules cited (docs/rules.md)</h2>\n<dl class=\"rules\">"
    );
    for rule in cited {
        let _ = write!(o, "<dt id=\"rule-{0}\">{0}</dt><dd>", rule.as_str());
        if let Some(e) = comsim_explain::rule_entry(*rule) {
            for p in &e.text {
                let _ = write!(o, "<p>{}</p>", esc(p));
            }
            let sources: Vec<&str> = e.sources.iter().map(|s| s.key.as_str()).collect();
            let _ = write!(
                o,
                "<p>Sources: {}. Confidence: {}.</p>",
                esc(&sources.join("; ")),
                esc(e.confidence.as_deref().unwrap_or("not stated"))
            );
        }
        let _ = writeln!(o, "</dd>");
    }
    let _ = writeln!(o, "</dl>\n</section>");
}
