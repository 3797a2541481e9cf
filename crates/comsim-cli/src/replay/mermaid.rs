//! `comsim replay --format mermaid`: the path each request took, drawn as a Mermaid flowchart,
//! as Markdown that renders on GitHub: a heading per request step, then one ```` ```mermaid ````
//! block holding one column per CLR. Each trace step is a node (its rule ID and what it decided);
//! what it found labels the edge to the next step; the outcome is the last node, marked as a
//! failure or a success. With two CLRs, the steps one run has and the other has not are marked.

use std::fmt::Write as _;
use std::io::Write;

use comsim_resolver::{Outcome, TraceStep};
use comsim_scenario::{Replayer, RequestRun, RequestStepRun, Scenario, StepRun, Summary};

use super::text::{align, clr_heading};

/// The longest node or edge text, in characters; the trace's own text is longer, and the text
/// and JSON formats give it whole.
const LABEL_MAX: usize = 90;

/// Writes the replay as Markdown with one Mermaid flowchart per request step.
pub(super) fn write(
    s: &Scenario,
    replayer: &Replayer<'_>,
    out: &mut dyn Write,
) -> Result<Summary, String> {
    let mut head = String::new();
    let _ = writeln!(head, "# {}\n", s.title);
    let _ = writeln!(
        head,
        "Replayed by `comsim replay --format mermaid`: one chart per request, one column per CLR. \
         A box is a trace step (its rule in `docs/rules.md`); an edge says what the step found; \
         the last box is the outcome."
    );
    out.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    super::write_steps(replayer, out, |run| match run {
        StepRun::Request(rr) => chart(s, rr),
        StepRun::Machine(_) => String::new(),
    })
}

/// One request step: its heading and its chart.
fn chart(s: &Scenario, rr: &RequestStepRun) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n## Step {}: {}\n", rr.step, rr.name);
    let _ = writeln!(o, "`{}`\n", rr.request);
    let _ = writeln!(o, "```mermaid\nflowchart LR");
    let differing = differing_steps(&rr.runs);
    for (k, r) in rr.runs.iter().enumerate() {
        column(s, rr.step, k, r, &differing[k], &mut o);
    }
    class_defs(&mut o);
    let _ = writeln!(o, "```");
    o
}

/// The classes the charts use: a failure, a success, a step one run has and the other not.
pub(crate) fn class_defs(o: &mut String) {
    let _ = writeln!(o, "  classDef fail fill:#fde2e1,stroke:#c62828,color:#000");
    let _ = writeln!(o, "  classDef ok fill:#e3f4e1,stroke:#2e7d32,color:#000");
    let _ = writeln!(o, "  classDef diff stroke:#f9a825,stroke-width:3px");
}

/// For each run, which of its trace steps the other run does not have (none with one run).
pub(super) fn differing_steps(runs: &[RequestRun]) -> Vec<Vec<bool>> {
    let mut marks: Vec<Vec<bool>> = runs
        .iter()
        .map(|r| vec![false; r.run.trace.steps.len()])
        .collect();
    if let [a, b] = runs {
        let (at, bt) = (&a.run.trace.steps, &b.run.trace.steps);
        for pair in align(at, bt) {
            match pair {
                (Some(i), Some(j)) if at[i] == bt[j] => {}
                (i, j) => {
                    if let Some(i) = i {
                        marks[0][i] = true;
                    }
                    if let Some(j) = j {
                        marks[1][j] = true;
                    }
                }
            }
        }
    }
    marks
}

/// One CLR's run: a subgraph of its steps and outcome, top to bottom.
fn column(s: &Scenario, step: usize, k: usize, r: &RequestRun, diff: &[bool], o: &mut String) {
    let mut title = clr_heading(s, r.clr);
    if r.what_if.is_some() {
        title.push_str(", a what-if");
    }
    subgraph(
        &format!("s{step}r{k}"),
        &title,
        &r.run.outcome,
        &r.run.trace.steps,
        diff,
        o,
    );
}

/// A run drawn as a subgraph `id` titled `title`: a node per trace step (`{id}n0`, `{id}n1`,
/// ...) and the outcome last (`{id}n{steps}`), the failing step and the differing steps marked.
/// Replay draws one per CLR; diagnose one per configuration that reproduces the error.
pub(crate) fn subgraph(
    sub: &str,
    title: &str,
    outcome: &Outcome,
    steps: &[TraceStep],
    diff: &[bool],
    o: &mut String,
) {
    let id = |n: usize| format!("{sub}n{n}");
    let _ = writeln!(o, "  subgraph {sub}[\"{}\"]", label(title));
    let _ = writeln!(o, "    direction TB");

    for (n, t) in steps.iter().enumerate() {
        let _ = writeln!(o, "    {}[\"{}\"]", id(n), node_text(t));
        if diff.get(n).copied().unwrap_or(false) {
            let _ = writeln!(o, "    class {} diff", id(n));
        }
    }
    let end = steps.len();
    let failed = is_failure(outcome);
    let _ = writeln!(
        o,
        "    {}([\"{}\"])",
        id(end),
        label(&outcome_text(outcome))
    );
    let _ = writeln!(
        o,
        "    class {} {}",
        id(end),
        if failed { "fail" } else { "ok" }
    );
    for (n, step) in steps.iter().enumerate() {
        match step.found.as_deref() {
            Some(found) => {
                let _ = writeln!(o, "    {} -->|\"{}\"| {}", id(n), label(found), id(n + 1));
            }
            None => {
                let _ = writeln!(o, "    {} --> {}", id(n), id(n + 1));
            }
        }
    }
    // The failing step: the last one before a failed outcome.
    if failed && end > 0 {
        let _ = writeln!(o, "    class {} fail", id(end - 1));
    }
    let _ = writeln!(o, "  end");
}

fn node_text(t: &TraceStep) -> String {
    let mut text = format!("{}: {}", t.rule, t.text);
    if let Some(setting) = &t.inferred {
        let _ = write!(text, " [inferred: {setting}]");
    }
    label(&text)
}

pub(super) fn is_failure(o: &Outcome) -> bool {
    matches!(
        o,
        Outcome::Exception { .. } | Outcome::Hresult { .. } | Outcome::StartupFailure { .. }
    )
}

pub(super) fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Managed { .. } | Outcome::ComObject { .. } | Outcome::Null { .. } => {
            let ty = o
                .field("type")
                .map(|t| format!(": {t}"))
                .unwrap_or_default();
            format!("=> {}{ty}", o.kind())
        }
        Outcome::Exception {
            exception, hresult, ..
        } => format!("=> {exception} {hresult}"),
        Outcome::Hresult { hresult, name, .. } => format!("=> {hresult} {name}"),
        Outcome::StartupFailure { message, .. } => {
            format!("=> the process does not start: {message}")
        }
    }
}

/// Text made safe inside a quoted Mermaid label: cut to [`LABEL_MAX`] characters, and the
/// characters Mermaid reads (`"`, `#`, `<`, `>`, `|`, line breaks) written as entities or spaces.
pub(crate) fn label(text: &str) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == LABEL_MAX {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mermaid_labels_escape_what_mermaid_reads_and_are_cut() {
        assert_eq!(
            label(r#"a "b" <c> #d|e"#),
            "a #quot;b#quot; #lt;c#gt; #35;d#124;e"
        );
        let long = "x".repeat(200);
        assert_eq!(label(&long).chars().count(), LABEL_MAX + 1);
    }
}
