//! `comsim diagnose --format html`: one self-contained page (the replay's style and renderers:
//! no script, nothing fetched) holding the error, each cause with its evidence, its fixes and the
//! outcome after each, the configurations tried, the path of each one that reproduces the error
//! drawn and listed as the replay draws a run, and the text of every rule the page cites.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use comsim_diagnose::{Diagnosis, FoundCause};
use comsim_rules::Rule;

use crate::replay::html::{esc, page_start, rule_link, rules, run_body};

/// The page.
pub fn render(d: &Diagnosis) -> String {
    let mut o = String::new();
    let mut cited = BTreeSet::new();
    page_start(
        &format!("Diagnosis: {}", super::text::reported(&d.reported)),
        &mut o,
    );
    let _ = writeln!(o, "<table>");
    if let Some(c) = d.clsid {
        let _ = writeln!(o, "<tr><th>class</th><td>{c}</td></tr>");
    }
    for a in &d.assumptions {
        let _ = writeln!(o, "<tr><th>assumed</th><td>{}</td></tr>", esc(a));
    }
    let _ = writeln!(o, "</table>");
    for c in &d.causes {
        cause(d, c, &mut o, &mut cited);
    }
    if d.causes.is_empty() {
        let what = if d.reproduced() {
            "No known cause found (docs/causes.md); the paths below show the walk."
        } else {
            "No configuration reproduces the error."
        };
        let _ = writeln!(o, "<p>{what}</p>");
    }
    configs(d, &mut o);
    for (i, t) in d.configs.iter().enumerate().filter(|(_, t)| t.reproduces) {
        let _ = writeln!(
            o,
            "<section class=\"step\" id=\"config-{i}\">\n<h2>{}</h2>\n<p><code>{}</code></p>\n<div class=\"runs\">\n<div class=\"run\" id=\"config-{i}-run\">\n<h3>{}</h3>",
            esc(&t.description),
            esc(&t.request),
            esc(&t
                .clr
                .as_deref()
                .map_or("no CLR".to_owned(), |c| format!("CLR {c}")))
        );
        run_body(&t.outcome, &t.trace.steps, &[], &mut o, &mut cited);
        let _ = writeln!(o, "</div><!-- end of run -->\n</div>\n</section>");
    }
    rules(&cited, &mut o);
    let _ = writeln!(
        o,
        "<footer><p>{} configurations tried, {} reproduce the error; {} cause(s) found.</p></footer>\n</body>\n</html>",
        d.configs.len(),
        d.configs.iter().filter(|t| t.reproduces).count(),
        d.causes.len()
    );
    o
}

/// A cause: its sentence, where it was found, its evidence (rules linked), and each fix with its
/// commands and the outcome after it.
fn cause(d: &Diagnosis, c: &FoundCause, o: &mut String, cited: &mut BTreeSet<Rule>) {
    let _ = writeln!(
        o,
        "<section class=\"cause\" id=\"cause-{}\">\n<h2>Cause [{}]: {}</h2>\n<p>{}</p>",
        esc(c.id),
        esc(c.id),
        esc(c.title),
        esc(&c.sentence)
    );
    let inn: Vec<String> = c
        .configs
        .iter()
        .filter_map(|i| d.configs.get(*i))
        .map(|t| esc(&t.description))
        .collect();
    let _ = writeln!(o, "<p>in: {}</p>\n<ul class=\"evidence\">", inn.join("; "));
    for e in &c.evidence {
        let _ = writeln!(
            o,
            "<li>{} {}: {}</li>",
            rule_link(e.rule, cited),
            esc(&e.subject),
            esc(&e.detail)
        );
    }
    let _ = writeln!(o, "</ul>\n<ol class=\"fixes\">");
    for f in &c.fixes {
        let _ = writeln!(o, "<li>{}", esc(&f.summary));
        if !f.commands.is_empty() {
            let _ = writeln!(o, "<pre>{}</pre>", esc(&f.commands.join("\n")));
        }
        for a in &f.after {
            let class = if a.succeeded() { "ok" } else { "fail" };
            let _ = writeln!(
                o,
                "<div class=\"outcome {class}\">after the fix ({}): {}</div>",
                esc(&a.config.describe()),
                esc(&a.summary)
            );
        }
        let _ = writeln!(o, "</li>");
    }
    let _ = writeln!(o, "</ol>");
    if c.fixes.is_empty() {
        let _ = writeln!(
            o,
            "<p>No fix found that makes the request succeed when replayed.</p>"
        );
    }
    let _ = writeln!(o, "</section>");
}

/// The configurations tried, one row each.
fn configs(d: &Diagnosis, o: &mut String) {
    let _ = writeln!(
        o,
        "<h2>Configurations tried</h2>\n<table class=\"configs\">\n<tr><th>configuration</th><th>reproduces</th><th>outcome</th></tr>"
    );
    for (i, t) in d.configs.iter().enumerate() {
        let name = if t.reproduces {
            format!("<a href=\"#config-{i}\">{}</a>", esc(&t.description))
        } else {
            esc(&t.description)
        };
        let _ = writeln!(
            o,
            "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
            if t.reproduces { "yes" } else { "no" },
            esc(&comsim_diagnose::outcome_summary(&t.outcome))
        );
    }
    let _ = writeln!(o, "</table>");
}
