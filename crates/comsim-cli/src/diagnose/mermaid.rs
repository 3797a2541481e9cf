//! `comsim diagnose --format mermaid`: the path of each configuration that reproduces the error,
//! drawn with the replay's Mermaid renderer (one column per configuration instead of per CLR),
//! and for each cause found a note linked from the outcomes it explains, with the outcome after
//! each of its fixes, replayed.

use std::fmt::Write as _;

use comsim_diagnose::{Diagnosis, FoundCause};

use crate::replay::mermaid::{class_defs, label, subgraph};

/// The Markdown: a heading, each cause in words, then one chart.
pub fn render(d: &Diagnosis) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Diagnosis: {}\n", super::text::reported(&d.reported));
    let _ = writeln!(
        o,
        "Drawn by `comsim diagnose --format mermaid`: the path each configuration that reproduces \
         the error took, one column each. A box is a trace step (its rule in `docs/rules.md`); an \
         edge says what the step found; the rounded box is the outcome. A note names each cause \
         found, and after it the outcome of the request once its fix is applied, replayed."
    );
    for c in &d.causes {
        cause_text(c, &mut o);
    }
    let reproducing: Vec<usize> = (0..d.configs.len())
        .filter(|&i| d.configs[i].reproduces)
        .collect();
    if reproducing.is_empty() {
        let _ = writeln!(
            o,
            "\nNo configuration reproduces the error: nothing to draw."
        );
        return o;
    }
    let _ = writeln!(o, "\n```mermaid\nflowchart LR");
    for &i in &reproducing {
        let t = &d.configs[i];
        subgraph(
            &format!("c{i}"),
            &t.description,
            &t.outcome,
            &t.trace.steps,
            &[],
            &mut o,
        );
    }
    for (k, c) in d.causes.iter().enumerate() {
        cause_notes(d, k, c, &mut o);
    }
    class_defs(&mut o);
    let _ = writeln!(o, "  classDef cause fill:#fff4d6,stroke:#8a5a00,color:#000");
    let _ = writeln!(o, "```");
    o
}

/// A cause in words, under its own heading: its sentence and its fixes.
fn cause_text(c: &FoundCause, o: &mut String) {
    let _ = writeln!(o, "\n## Cause [{}]: {}\n", c.id, c.title);
    let _ = writeln!(o, "{}\n", c.sentence);
    for (n, f) in c.fixes.iter().enumerate() {
        let after: Vec<&str> = f.after.iter().map(|a| a.summary.as_str()).collect();
        let _ = writeln!(
            o,
            "- fix {}: {} (after it: {})",
            n + 1,
            f.summary,
            after.join("; ")
        );
    }
    if c.fixes.is_empty() {
        let _ = writeln!(
            o,
            "- no fix found that makes the request succeed when replayed"
        );
    }
}

/// The cause's note node, an edge to it from the outcome of each configuration it was found in,
/// and a node per fix with the outcome after it (a success or a failure).
fn cause_notes(d: &Diagnosis, k: usize, c: &FoundCause, o: &mut String) {
    let note = format!("k{k}");
    let _ = writeln!(
        o,
        "  {note}[\"{}\"]",
        label(&format!("Cause [{}]: {}", c.id, c.title))
    );
    let _ = writeln!(o, "  class {note} cause");
    for &i in &c.configs {
        if let Some(t) = d.configs.get(i).filter(|t| t.reproduces) {
            let _ = writeln!(o, "  c{i}n{} -.-> {note}", t.trace.steps.len());
        }
    }
    for (n, f) in c.fixes.iter().enumerate() {
        let id = format!("{note}f{n}");
        let after: Vec<&str> = f.after.iter().map(|a| a.summary.as_str()).collect();
        let _ = writeln!(
            o,
            "  {id}([\"{}\"])",
            label(&format!("after fix {}: {}", n + 1, after.join("; ")))
        );
        let ok = !f.after.is_empty() && f.after.iter().all(|a| a.succeeded());
        let _ = writeln!(o, "  class {id} {}", if ok { "ok" } else { "fail" });
        let _ = writeln!(
            o,
            "  {note} -.->|\"{}\"| {id}",
            label(&format!("fix {}: {}", n + 1, f.summary))
        );
    }
}
