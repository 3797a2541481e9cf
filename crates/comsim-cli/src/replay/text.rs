//! `comsim replay`'s text output: a heading, each step (a machine step's console and registry
//! difference, or a request's trace and outcome, two CLRs side by side), the checks and a summary.

use comsim_resolver::{
    ClientKind, LoadedType, Outcome, Process, Server, ServerKind, Source, TraceStep,
};
use std::borrow::Cow;
use std::io::Write;

use crate::term::wrap;

use comsim_resolver::Switches;
use comsim_scenario::{
    Action, Check, Clr, MachineStep, MachineStepRun, Replayer, RequestRun, Scenario, Step, StepRun,
    Summary,
};

/// Below this width the two runs of a step are shown one after the other instead of side by side
/// (two columns narrower than about 66 characters wrap most trace steps onto several lines).
const STACK_BELOW: usize = 140;
/// What a side-by-side row adds to its two columns: `"  * "` before, `" | "` between.
const ROW_FRAME: usize = 7;
/// The width the rule ID of a trace step is padded to, with the gap after it.
const RULE_WIDTH: usize = 12;

/// How a piece of text is coloured on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Rule,
    Ok,
    Fail,
    Diff,
    Bold,
}

/// How the text is drawn: in colour or not, and the width it is laid out for
/// (`crate::term::output_width`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Paint {
    /// Whether to colour (ANSI escapes).
    pub(super) on: bool,
    /// The width lines are wrapped to.
    pub(super) width: usize,
}

impl Paint {
    /// The width of each column when two runs are shown side by side.
    fn column(self) -> usize {
        self.width.saturating_sub(ROW_FRAME) / 2
    }

    /// Whether two runs are shown one after the other.
    fn stacked(self) -> bool {
        self.width < STACK_BELOW
    }

    fn paint(self, text: &str, style: Style) -> String {
        let code = match style {
            Style::Plain => return text.to_owned(),
            Style::Rule => "36",
            Style::Ok => "32",
            Style::Fail => "31",
            Style::Diff => "33",
            Style::Bold => "1",
        };
        if self.on && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// One line of a column: a lead (a step number, or indentation) that comparisons ignore, and
/// styled parts.
#[derive(Debug, Clone, Default)]
struct Line {
    lead: String,
    parts: Vec<(String, Style)>,
}

impl Line {
    fn new(lead: impl Into<String>) -> Line {
        Line {
            lead: lead.into(),
            parts: Vec::new(),
        }
    }

    fn push(mut self, text: impl Into<String>, style: Style) -> Line {
        self.parts.push((text.into(), style));
        self
    }

    /// The text without the lead: what the two columns compare.
    fn body(&self) -> String {
        self.parts.iter().map(|(t, _)| t.as_str()).collect()
    }

    fn width(&self) -> usize {
        self.lead.chars().count()
            + self
                .parts
                .iter()
                .map(|(t, _)| t.chars().count())
                .sum::<usize>()
    }

    fn render(&self, p: Paint) -> String {
        let mut s = self.lead.clone();
        for (t, style) in &self.parts {
            s.push_str(&p.paint(t, *style));
        }
        s
    }
}

/// The lines of one trace step, numbered `n`, in a column `width` wide (`usize::MAX`: no limit).
fn trace_step_lines(n: usize, num_width: usize, step: &TraceStep, width: usize) -> Vec<Line> {
    let lead = format!("{n:>num_width$}. ");
    let blank = " ".repeat(num_width + 2);
    let rule_pad = RULE_WIDTH.max(step.rule.as_str().chars().count() + 1);
    let text_width = width.saturating_sub(num_width + 2 + rule_pad);
    let mut lines = Vec::new();
    for (i, chunk) in wrap(&step.text, text_width, text_width)
        .into_iter()
        .enumerate()
    {
        let line = if i == 0 {
            Line::new(lead.clone())
                .push(step.rule.as_str(), Style::Rule)
                .push(
                    " ".repeat(rule_pad - step.rule.as_str().chars().count()),
                    Style::Plain,
                )
                .push(chunk, Style::Plain)
        } else {
            Line::new(blank.clone()).push(format!("{}{chunk}", " ".repeat(rule_pad)), Style::Plain)
        };
        lines.push(line);
    }
    let detail = |label: &str, value: &str, style: Style, lines: &mut Vec<Line>| {
        let indent = " ".repeat(rule_pad);
        for (i, chunk) in wrap(
            &format!("{label}{value}"),
            text_width,
            text_width.saturating_sub(2),
        )
        .into_iter()
        .enumerate()
        {
            let pad = if i == 0 { "" } else { "  " };
            lines.push(
                Line::new(blank.clone())
                    .push(indent.clone(), Style::Plain)
                    .push(format!("{pad}{chunk}"), style),
            );
        }
    };
    if let Some(at) = &step.looked_at {
        detail("looked at: ", at, Style::Plain, &mut lines);
    }
    if let Some(found) = &step.found {
        detail("found: ", found, Style::Plain, &mut lines);
    }
    if let Some(setting) = &step.inferred {
        detail(
            "[inferred: ",
            &format!("{setting}]"),
            Style::Diff,
            &mut lines,
        );
    }
    lines
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Sxs => "sxs",
        Source::Registry => "registry",
    }
}

fn server_kind_name(k: ServerKind) -> &'static str {
    match k {
        ServerKind::InprocManaged => "inproc_managed",
        ServerKind::InprocNative => "inproc_native",
        ServerKind::LocalServer => "local_server",
        ServerKind::Surrogate => "surrogate",
    }
}

fn hresult_text(h: comsim_resolver::HResult) -> String {
    match h.info() {
        Some(i) => format!("{h} ({})", i.name),
        None => h.to_string(),
    }
}

fn loaded_fields(prefix: &str, t: &LoadedType, out: &mut Vec<(String, String)>) {
    out.push((format!("{prefix}type"), t.type_name.clone()));
    out.push((format!("{prefix}assembly"), t.assembly.clone()));
    out.push((format!("{prefix}path"), t.path.to_string()));
    out.push((format!("{prefix}runtime"), t.runtime.to_string()));
    out.push((format!("{prefix}source"), source_name(t.source).to_owned()));
    if t.com_import {
        out.push((format!("{prefix}com_import"), "true".to_owned()));
    }
    if t.pia {
        out.push((format!("{prefix}pia"), "true".to_owned()));
    }
}

fn server_fields(s: &Server, out: &mut Vec<(String, String)>) {
    out.push(("server.kind".into(), server_kind_name(s.kind).to_owned()));
    out.push(("server.clsid".into(), s.clsid.to_string()));
    out.push(("server.file".into(), s.file.clone()));
    out.push(("server.process".into(), s.process.clone()));
    if let Some(a) = &s.apartment {
        out.push(("server.apartment".into(), a.to_string()));
    }
    if let Some(r) = &s.runtime {
        out.push(("server.runtime".into(), r.to_string()));
    }
    if s.runtime_started {
        out.push(("server.runtime_started".into(), "true".into()));
    }
    if let Some(m) = &s.managed {
        loaded_fields("server.managed.", m, out);
    }
}

/// The outcome's kind and its non-empty fields, named as expectations name them.
pub(super) fn outcome_fields(o: &Outcome) -> Vec<(String, String)> {
    let mut f = Vec::new();
    match o {
        Outcome::Managed { loaded, created } => {
            loaded_fields("", loaded, &mut f);
            if *created {
                f.push(("created".into(), "true".into()));
            }
        }
        Outcome::ComObject {
            type_name,
            clsid,
            wrapper,
            server,
        } => {
            f.push(("type".into(), type_name.clone()));
            f.push(("clsid".into(), clsid.to_string()));
            if let Some(w) = wrapper {
                loaded_fields("wrapper.", w, &mut f);
            }
            if let Some(s) = server {
                server_fields(s, &mut f);
            }
        }
        Outcome::Exception {
            exception,
            hresult,
            message,
        } => {
            f.push(("exception".into(), exception.clone()));
            f.push(("hresult".into(), hresult_text(*hresult)));
            f.push(("message".into(), message.clone()));
        }
        Outcome::Hresult {
            hresult,
            name,
            message,
        } => {
            f.push(("hresult".into(), hresult.to_string()));
            f.push(("name".into(), name.clone()));
            f.push(("message".into(), message.clone()));
        }
        Outcome::Null { message } => f.push(("message".into(), message.clone())),
        Outcome::StartupFailure {
            error,
            hresult,
            message,
        } => {
            if let Some(e) = error {
                f.push(("error".into(), e.to_string()));
            }
            if let Some(h) = hresult {
                f.push(("hresult".into(), hresult_text(*h)));
            }
            f.push(("message".into(), message.clone()));
        }
    }
    f.retain(|(_, v)| !v.is_empty());
    f
}

fn kind_line(o: &Outcome) -> Line {
    Line::new("=> ").push(o.kind(), Style::Bold)
}

fn field_lines(key: &str, value: &str, width: usize) -> Vec<Line> {
    let w = width.saturating_sub(3);
    wrap(&format!("{key}: {value}"), w, w.saturating_sub(2))
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let lead = if i == 0 { "   " } else { "     " };
            Line::new(lead).push(chunk, Style::Plain)
        })
        .collect()
}

pub(super) fn process_summary(p: &Process) -> String {
    let client = match (p.client, p.preloads_clr) {
        (ClientKind::Managed, _) => "managed client",
        (ClientKind::Native, false) => "native client",
        (ClientKind::Native, true) => "native client that preloads a CLR",
    };
    format!(
        "{client}, {}, {}, {}, {}",
        p.bitness,
        if p.elevated {
            "elevated"
        } else {
            "not elevated"
        },
        p.apartment,
        p.exe
    )
}

pub(super) fn clr_heading(s: &Scenario, f: Option<Clr>) -> String {
    match f {
        None => "no CLR".to_owned(),
        Some(f) => {
            let (major, minor) = f.family();
            match s.machine.installed(major, minor) {
                Some(v) => format!("CLR {} ({v})", f.label()),
                None => format!("CLR {} (not installed)", f.label()),
            }
        }
    }
}

/// Appends a line, without trailing blanks.
fn line(o: &mut String, l: impl AsRef<str>) {
    o.push_str(l.as_ref().trim_end());
    o.push('\n');
}

/// A line of prose: `painted` when `plain` (the same text without colour) fits the width, else
/// `plain` word-wrapped, its continuation lines indented `hang` past the line's own indentation,
/// and painted whole in `style`.
fn prose(o: &mut String, p: Paint, plain: &str, painted: String, hang: usize, style: Style) {
    let body = plain.trim_start();
    let indent = plain.len() - body.len();
    labelled(o, p, &plain[..indent], body, painted, indent + hang, style);
}

/// [`prose`] for text in one style.
fn prose_in(o: &mut String, p: Paint, text: &str, hang: usize, style: Style) {
    prose(o, p, text, p.paint(text, style), hang, style);
}

/// `head` (kept as it is, spaces and all) then `body`: `painted` (the whole line, coloured) when
/// it fits the width, else `body` word-wrapped after `head`, continuation lines indented `cont`.
fn labelled(
    o: &mut String,
    p: Paint,
    head: &str,
    body: &str,
    painted: String,
    cont: usize,
    style: Style,
) {
    let head_width = head.chars().count();
    if head_width + body.chars().count() <= p.width {
        line(o, painted);
        return;
    }
    let first = p.width.saturating_sub(head_width);
    for (i, chunk) in wrap(body, first, p.width.saturating_sub(cont))
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 {
            head.to_owned()
        } else {
            " ".repeat(cont)
        };
        line(o, format!("{lead}{}", p.paint(&chunk, style)));
    }
}

/// The scenario's description, indented by two: as written when its lines fit the width, else
/// each paragraph (lines up to a blank one) re-wrapped to the width as one text.
fn description(d: &str, p: Paint, o: &mut String) {
    let room = p.width.saturating_sub(2);
    let lines: Vec<&str> = d.trim_end().lines().collect();
    if lines.iter().all(|l| l.chars().count() <= room) {
        for l in lines {
            line(o, format!("  {l}"));
        }
        return;
    }
    for (i, para) in d.trim_end().split("\n\n").enumerate() {
        if i > 0 {
            line(o, "");
        }
        for chunk in wrap(
            &para.split_whitespace().collect::<Vec<_>>().join(" "),
            room,
            room,
        ) {
            line(o, format!("  {chunk}"));
        }
    }
}

/// A heading field, `label` padded to 10 columns, with its text wrapped under the text.
fn field(o: &mut String, p: Paint, label: &str, text: &str, painted_text: String) {
    let head = format!("{label:<10}");
    let painted = format!("{head}{painted_text}");
    labelled(o, p, &head, text, painted, 10, Style::Plain);
}

/// Runs the replay and writes the text report as it goes: the heading, each step as soon as it
/// has run (so that no more than one step's runs are held), the summary. Returns the counts.
pub(super) fn write(
    s: &Scenario,
    replayer: &Replayer<'_>,
    p: Paint,
    out: &mut dyn Write,
) -> Result<Summary, String> {
    let mut o = String::new();
    heading(s, replayer.switches(), replayer.clrs(), p, &mut o);
    out.write_all(o.as_bytes()).map_err(|e| e.to_string())?;
    let sum = super::write_steps(replayer, out, |run| {
        let mut o = String::new();
        line(&mut o, "");
        if let Some(step) = s.steps.get(run.step().saturating_sub(1)) {
            step_text(s, step, run, p, &mut o);
        }
        o
    })?;
    let mut o = String::new();
    line(&mut o, "");
    summary_line(sum, p, &mut o);
    out.write_all(o.as_bytes()).map_err(|e| e.to_string())?;
    Ok(sum)
}

/// The title, description, scenario file, process, machine setup, switches and CLRs.
fn heading(s: &Scenario, switches: &Switches, clrs: &[Option<Clr>], p: Paint, o: &mut String) {
    prose_in(o, p, &s.title, 2, Style::Bold);
    if let Some(d) = &s.description {
        description(d, p, o);
    }
    line(o, "");
    line(o, format!("scenario: {}", s.name));
    let process = process_summary(&s.process);
    field(o, p, "process:", &process, process.clone());
    for step in &s.machine.setup.steps {
        let rule = step.rule.as_str();
        let painted = format!("{} {}", p.paint(rule, Style::Rule), step.text);
        field(o, p, "setup:", &format!("{rule} {}", step.text), painted);
    }
    let nd = switches.non_default();
    line(
        o,
        format!(
            "switches: {}",
            if nd.is_empty() {
                "defaults".to_owned()
            } else {
                nd.join(", ")
            }
        ),
    );
    let runs_text = match clrs {
        [None] => {
            "one per step: the client is native and loads no CLR, so the CLR choice changes nothing"
                .to_owned()
        }
        [Some(f)] => format!("on {}", clr_heading(s, Some(*f))),
        families => format!(
            "{}, {} (* marks lines that differ)",
            families
                .iter()
                .map(|f| clr_heading(s, *f))
                .collect::<Vec<_>>()
                .join(" and "),
            if p.stacked() {
                "one after the other"
            } else {
                "side by side"
            }
        ),
    };
    field(o, p, "runs:", &runs_text, runs_text.clone());
}

/// One step: its name, then what the machine step did or each CLR's run, then its checks.
fn step_text(s: &Scenario, step: &Step, run: &StepRun, p: Paint, o: &mut String) {
    match run {
        StepRun::Machine(mr) => {
            let title = format!("Step {}: {}", mr.step, mr.name);
            prose_in(o, p, &title, 2, Style::Bold);
            if let Action::Machine(ms) = &step.action {
                machine_step(ms, mr, p, o);
            }
            for c in &mr.checks {
                check_line(c, "", p, o);
            }
        }
        StepRun::Request(rr) => {
            let title = format!("Step {}: {}", rr.step, rr.name);
            prose_in(o, p, &title, 2, Style::Bold);
            prose_in(o, p, &format!("  request: {}", rr.request), 9, Style::Plain);
            if let Action::Request {
                apartment: Some(a), ..
            } = &step.action
            {
                line(o, format!("  apartment: {a}"));
            }
            for r in &rr.runs {
                if let (Some(f), Some(why)) = (r.clr, &r.what_if) {
                    let label = format!("what-if on CLR {}:", f.label());
                    let painted = format!("  {} {why}", p.paint(&label, Style::Bold));
                    prose(o, p, &format!("  {label} {why}"), painted, 2, Style::Plain);
                }
            }
            match rr.runs.as_slice() {
                [left, right] if p.stacked() => stacked(s, left, right, p, o),
                [left, right] => side_by_side(s, left, right, p, o),
                runs => {
                    for r in runs {
                        single(s, r, None, p, o);
                    }
                }
            }
            for r in &rr.runs {
                let who = match (rr.runs.len(), r.clr) {
                    (2, Some(f)) => format!("CLR {}: ", f.label()),
                    _ => String::new(),
                };
                for a in &r.run.trace.assumptions {
                    line(
                        o,
                        format!(
                            "  {who}{} {} does not exist ({}; not provided: nothing says whether it exists)",
                            p.paint("assumes:", Style::Diff),
                            a.path,
                            a.rule
                        ),
                    );
                }
            }
            for r in &rr.runs {
                for c in &r.checks {
                    let who = match (rr.runs.len(), r.clr) {
                        (2, Some(f)) => format!("CLR {}: ", f.label()),
                        _ => String::new(),
                    };
                    let who = match c.clr.as_deref() {
                        Some(comsim_scenario::REAL) => format!("{who}(real run) "),
                        _ => who,
                    };
                    check_line(c, &who, p, o);
                }
            }
        }
    }
}

/// `3 steps, 6 runs, 4 expectations: 4 passed, 0 failed`.
fn summary_line(sum: Summary, p: Paint, o: &mut String) {
    let failed = format!("{} failed", sum.failed);
    line(
        o,
        format!(
            "{}, {}, {}: {}, {}",
            count(sum.steps, "step"),
            count(sum.runs, "run"),
            count(sum.expectations, "expectation"),
            p.paint(&format!("{} passed", sum.passed), Style::Ok),
            if sum.failed == 0 {
                failed
            } else {
                p.paint(&failed, Style::Fail)
            }
        ),
    );
}

/// `  expect field = value: ok` (or what failed).
fn check_line(c: &Check, who: &str, p: Paint, o: &mut String) {
    let expected = one_line(&c.expected);
    let (result, style) = if c.ok {
        ("ok".to_owned(), Style::Ok)
    } else {
        let actual = c.actual.as_deref().map_or("no value".into(), one_line);
        let what = if c.contains() {
            format!("not found in {actual}")
        } else {
            format!("expected {expected}, got {actual}")
        };
        (format!("FAILED: {what} (at {})", c.location), Style::Fail)
    };
    let text = |result: &str| format!("  {who}expect {} = {expected}: {result}", c.field);
    let painted = text(&p.paint(&result, style));
    // A long check is wrapped in the colour of its result, so a failure stays red.
    prose(o, p, &text(&result), painted, 4, style);
}

/// A value on one line: text of several lines (a console, a `.reg` script) or empty text quoted,
/// with `\n` for its line breaks.
fn one_line(v: &str) -> Cow<'_, str> {
    if v.is_empty() || v.contains('\n') {
        Cow::Owned(format!("{v:?}"))
    } else {
        Cow::Borrowed(v)
    }
}

/// A machine step: what ran, its trace, regasm's console, the registry difference, what a `show`
/// found.
fn machine_step(ms: &MachineStep, mr: &MachineStepRun, p: Paint, o: &mut String) {
    prose_in(
        o,
        p,
        &format!("  {}: {}", mr.action, mr.command),
        4,
        Style::Plain,
    );

    let r = &mr.run;
    let steps = &r.trace.steps;
    if !steps.is_empty() {
        line(o, "  trace:");
        let num_width = steps.len().to_string().len().max(2);
        for (n, step) in steps.iter().enumerate() {
            for l in trace_step_lines(n + 1, num_width, step, p.width.saturating_sub(2)) {
                line(o, format!("  {}", l.render(p)));
            }
        }
    }
    if let Some(g) = &r.regasm {
        line(o, "  console:");
        for l in &g.console {
            let tag = match l.stream {
                comsim_regasm::Stream::Stdout => "out",
                comsim_regasm::Stream::Stderr => "err",
            };
            line(o, format!("    {tag}| {}", l.text));
        }
        line(o, format!("  exit code: {}", g.exit_code));
    }
    if let Some(e) = &r.error {
        let e = format!("error: {e}");
        let painted = format!("  {}", p.paint(&e, Style::Fail));
        prose(o, p, &format!("  {e}"), painted, 4, Style::Fail);
    }
    if ms.changes_machine() {
        if r.changes.is_empty() {
            line(o, "  registry: no change");
        } else {
            line(o, format!("  registry: {}", change_counts(&r.changes)));
            for l in comsim_regfile::diff_text(&r.changes).lines() {
                line(o, format!("    {l}"));
            }
        }
        line(
            o,
            "  (a client that runs after this step is a new process and sees this registry)",
        );
    }
    if let MachineStep::SxsLookup { .. } = ms {
        match &r.sxs {
            None => line(o, "  found: nothing"),
            Some(a) => {
                line(o, format!("  flags: {}", a.flags));
                line(o, format!("  type name: {}", a.type_name));
                line(o, format!("  assembly: {}", a.assembly));
                line(
                    o,
                    format!(
                        "  runtime version: {}",
                        a.runtime_version.as_deref().unwrap_or("(none)")
                    ),
                );
            }
        }
    }
    if let MachineStep::Show { .. } = ms {
        match &r.shown {
            None => line(o, "  (the key does not exist)"),
            Some(t) => {
                for l in t.lines() {
                    line(o, format!("    {l}"));
                }
            }
        }
    }
}

/// `3 keys added, 2 values changed`.
fn change_counts(changes: &[comsim_registry::Change]) -> String {
    use comsim_registry::Change;
    let mut n = [0usize; 5];
    for c in changes {
        n[match c {
            Change::KeyAdded { .. } => 0,
            Change::KeyRemoved { .. } => 1,
            Change::ValueAdded { .. } => 2,
            Change::ValueChanged { .. } => 3,
            Change::ValueRemoved { .. } => 4,
        }] += 1;
    }
    let labels = [
        ("key", "added"),
        ("key", "removed"),
        ("value", "added"),
        ("value", "changed"),
        ("value", "removed"),
    ];
    n.iter()
        .zip(labels)
        .filter(|(k, _)| **k > 0)
        .map(|(k, (what, how))| format!("{} {how}", count(*k, what)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1 step`, `2 steps`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// One run: the numbered trace, then the outcome. When the run is one of two shown one after
/// the other, `differs` holds the trace steps and outcome fields the other run does not have
/// (marked `*`, as the side-by-side layout marks its differing rows).
fn single(s: &Scenario, r: &RequestRun, differs: Option<&Differs>, p: Paint, o: &mut String) {
    let heading = match r.clr {
        None => "trace:".to_owned(),
        Some(f) => format!("trace on {}:", clr_heading(s, Some(f))),
    };
    let mut push = |mark: bool, l: String| {
        let mark = if mark {
            p.paint("*", Style::Diff)
        } else {
            " ".to_owned()
        };
        let l = format!("{mark}{l}");
        o.push_str(l.trim_end());
        o.push('\n');
    };
    push(false, format!(" {heading}"));
    let steps = &r.run.trace.steps;
    if steps.is_empty() {
        push(false, "   (no steps)".to_owned());
    }
    let num_width = steps.len().to_string().len().max(2);
    let width = p.width.saturating_sub(2);
    for (n, step) in steps.iter().enumerate() {
        let mark = differs.is_some_and(|d| d.steps.contains(&n));
        for l in trace_step_lines(n + 1, num_width, step, width) {
            push(mark, format!(" {}", l.render(p)));
        }
    }
    let mark = differs.is_some_and(|d| d.kind);
    push(mark, format!(" {}", kind_line(&r.run.outcome).render(p)));
    for (k, v) in outcome_fields(&r.run.outcome) {
        let mark = differs.is_some_and(|d| d.fields.contains(&k));
        for l in field_lines(&k, &v, width) {
            push(mark, format!(" {}", l.render(p)));
        }
    }
}

/// What one run of a pair has that the other does not: trace steps (by index), whether the
/// outcome's kind differs, and outcome fields (by name) whose values differ.
#[derive(Debug, Default)]
struct Differs {
    steps: Vec<usize>,
    kind: bool,
    fields: Vec<String>,
}

/// Two runs of a step one after the other, for a narrow terminal: each run's trace and outcome,
/// the steps and fields that differ from the other run marked `*`, then the verdict.
fn stacked(s: &Scenario, left: &RequestRun, right: &RequestRun, p: Paint, o: &mut String) {
    let (lt, rt) = (&left.run.trace.steps, &right.run.trace.steps);
    let (mut ld, mut rd) = (Differs::default(), Differs::default());
    for (a, b) in align(lt, rt) {
        match (a, b) {
            (Some(i), Some(j)) if lt[i] == rt[j] => {}
            (a, b) => {
                ld.steps.extend(a);
                rd.steps.extend(b);
            }
        }
    }
    let (lo, ro) = (&left.run.outcome, &right.run.outcome);
    ld.kind = lo.kind() != ro.kind();
    rd.kind = ld.kind;
    let (lf, rf) = (outcome_fields(lo), outcome_fields(ro));
    for (k, v) in &lf {
        if !rf.iter().any(|f| f.0 == *k && f.1 == *v) {
            ld.fields.push(k.clone());
        }
    }
    for (k, v) in &rf {
        if !lf.iter().any(|f| f.0 == *k && f.1 == *v) {
            rd.fields.push(k.clone());
        }
    }
    single(s, left, Some(&ld), p, o);
    single(s, right, Some(&rd), p, o);
    verdict(s, left, right, p, o);
}

/// Aligns two sequences on their longest common subsequence: equal items face each other, and
/// the differing items between two matches are paired in order. Long inputs are paired by index.
pub(super) fn align<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(Option<usize>, Option<usize>)> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > 4_000_000 {
        return (0..n.max(m))
            .map(|i| ((i < n).then_some(i), (i < m).then_some(i)))
            .collect();
    }
    // lcs[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut left, mut right): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let flush = |left: &mut Vec<usize>, right: &mut Vec<usize>, out: &mut Vec<_>| {
        for k in 0..left.len().max(right.len()) {
            out.push((left.get(k).copied(), right.get(k).copied()));
        }
        left.clear();
        right.clear();
    };
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut left, &mut right, &mut out);
            out.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            left.push(i);
            i += 1;
        } else {
            right.push(j);
            j += 1;
        }
    }
    flush(&mut left, &mut right, &mut out);
    out
}

/// Prints rows of two columns; a row's lines are marked `*` where the two sides differ.
fn print_rows(rows: &[(Vec<Line>, Vec<Line>)], p: Paint, o: &mut String) {
    for (l, r) in rows {
        for k in 0..l.len().max(r.len()) {
            let empty = Line::default();
            let (ll, rl) = (l.get(k).unwrap_or(&empty), r.get(k).unwrap_or(&empty));
            let differ = ll.body() != rl.body();
            let mark = if differ {
                p.paint("*", Style::Diff)
            } else {
                " ".to_owned()
            };
            let pad = " ".repeat(p.column().saturating_sub(ll.width()));
            let text = format!("  {mark} {}{pad} | {}", ll.render(p), rl.render(p));
            o.push_str(text.trim_end());
            o.push('\n');
        }
    }
}

/// Two runs of a step in two columns: the traces aligned step by step, then the outcomes field
/// by field.
fn side_by_side(s: &Scenario, left: &RequestRun, right: &RequestRun, p: Paint, o: &mut String) {
    let heading = |r: &RequestRun| Line::new("").push(clr_heading(s, r.clr), Style::Bold);
    let (lh, rh) = (heading(left), heading(right));
    let pad = " ".repeat(p.column().saturating_sub(lh.width()));
    o.push_str(&format!("    {}{pad} | {}\n", lh.render(p), rh.render(p)));
    let mut rows = Vec::new();
    let (lt, rt) = (&left.run.trace.steps, &right.run.trace.steps);
    let num_width = lt.len().max(rt.len()).to_string().len().max(2);
    if lt.is_empty() && rt.is_empty() {
        rows.push((vec![Line::new("(no steps)")], vec![Line::new("(no steps)")]));
    }
    for (a, b) in align(lt, rt) {
        let cell = |steps: &[TraceStep], i: Option<usize>| match i {
            Some(i) => trace_step_lines(i + 1, num_width, &steps[i], p.column()),
            None => Vec::new(),
        };
        rows.push((cell(lt, a), cell(rt, b)));
    }
    let (lo, ro) = (&left.run.outcome, &right.run.outcome);
    rows.push((vec![kind_line(lo)], vec![kind_line(ro)]));
    let (lf, rf) = (outcome_fields(lo), outcome_fields(ro));
    let mut keys: Vec<&str> = lf.iter().map(|(k, _)| k.as_str()).collect();
    for (k, _) in &rf {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    for key in keys {
        let cell = |f: &[(String, String)]| match f.iter().find(|(k, _)| k == key) {
            Some((k, v)) => field_lines(k, v, p.column()),
            None => Vec::new(),
        };
        rows.push((cell(&lf), cell(&rf)));
    }
    print_rows(&rows, p, o);
    verdict(s, left, right, p, o);
}

/// Whether two runs of a step ended the same way, and if not, how they differ.
fn verdict(s: &Scenario, left: &RequestRun, right: &RequestRun, p: Paint, o: &mut String) {
    let (lo, ro) = (&left.run.outcome, &right.run.outcome);
    let (ln, rn) = (clr_heading(s, left.clr), clr_heading(s, right.clr));
    let verdict = if lo == ro {
        format!("  the outcome is the same on {ln} and {rn}")
    } else if lo.kind() == ro.kind() {
        p.paint(
            &format!(
                "  the outcomes differ: {} on both, with different fields (marked *)",
                lo.kind()
            ),
            Style::Diff,
        )
    } else {
        p.paint(
            &format!(
                "  the outcomes differ: {} on {ln}, {} on {rn}",
                lo.kind(),
                ro.kind()
            ),
            Style::Diff,
        )
    };
    o.push_str(&verdict);
    o.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_pairs_equal_items_and_fills_gaps() {
        let a = ["x", "a", "b", "z"];
        let b = ["y", "a", "c", "d", "z"];
        assert_eq!(
            align(&a, &b),
            vec![
                (Some(0), Some(0)),
                (Some(1), Some(1)),
                (Some(2), Some(2)),
                (None, Some(3)),
                (Some(3), Some(4)),
            ]
        );
        assert_eq!(align::<u8>(&[], &[1]), vec![(None, Some(0))]);
    }

    #[test]
    fn trace_lines_fit_their_column() {
        let step = TraceStep {
            rule: comsim_resolver::Rule::ShimReg3,
            code: None,
            text: "a long text ".repeat(20),
            looked_at: Some(
                r"HKCR\CLSID\{3F1A2B4C-5D6E-4F70-8192-A3B4C5D6E7F8}\InprocServer32\1.0.0.0".into(),
            ),
            found: Some("x".repeat(200)),
            inferred: Some("runtime-match=major-minor".into()),
            bind: None,
        };
        let p = Paint {
            on: false,
            width: crate::term::DEFAULT_WIDTH,
        };
        for l in trace_step_lines(12, 2, &step, p.column()) {
            assert!(l.width() <= p.column(), "{}", l.render(p));
        }
    }
}
