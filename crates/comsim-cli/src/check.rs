//! `comsim check DIR...`: replays every scenario under the directories, compares each with its
//! stored snapshot and checks its expectations (`docs/snapshots.md`). The work is
//! [`comsim_scenario::check_scenario`]; this module parses the arguments and renders the result
//! for a CI log (and JUnit XML with `--junit`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use comsim_scenario::{CheckOptions, ReplayOptions, ScenarioCheck, Status};

use crate::replay::ClrArg;
use crate::{EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Directories holding scenarios (searched below), or scenario directories.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Keep snapshots in this directory as `<scenario name>.snap` instead of `scenario.snap`
    /// beside each scenario.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Write the snapshots that are missing or changed (expectations are still checked).
    #[arg(long)]
    pub update: bool,
    /// Also write the result as JUnit XML (one test case per scenario) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The CLRs the requests run on, as for `comsim replay`.
    #[arg(long, value_enum, default_value = "both", value_name = "CLR")]
    pub clr: ClrArg,
    /// Set a behaviour switch, after each scenario's own; may be repeated.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    pub switches: Vec<String>,
}

pub fn run(a: CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match check(&a, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

fn check(a: &CheckArgs, out: &mut dyn Write) -> Result<u8, String> {
    crate::set_switch_args(&mut comsim_resolver::Switches::default(), &a.switches)?;
    let dirs = comsim_scenario::find_scenarios(&a.dirs).map_err(|d| d.to_string())?;
    if dirs.is_empty() {
        return Err(format!(
            "no scenario (a directory holding {}) under {}",
            comsim_scenario::SCENARIO_FILE,
            a.dirs
                .iter()
                .map(|d| format!("`{}`", d.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let options = CheckOptions {
        snapshots: a.snapshots.clone(),
        update: a.update,
        replay: ReplayOptions {
            clrs: a.clr.choice(),
            switches: a.switches.clone(),
        },
    };
    let mut results = Vec::with_capacity(dirs.len());
    for dir in &dirs {
        let result = comsim_scenario::check_scenario(dir, &options);
        let text = render(&result);
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        results.push(result);
    }
    let summary = summary(&results);
    writeln!(out, "{summary}").map_err(|e| e.to_string())?;
    if let Some(path) = &a.junit {
        std::fs::write(path, junit(&results))
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(exit_code(&results))
}

/// 2 when a scenario or snapshot could not be read; else 1 when something changed, a snapshot
/// is missing or an expectation failed; else 0.
fn exit_code(results: &[ScenarioCheck]) -> u8 {
    if results.iter().any(|r| matches!(r.status, Status::Error(_))) {
        EXIT_BAD_INPUT
    } else if results.iter().any(ScenarioCheck::failed) {
        EXIT_NOT_FOUND
    } else {
        EXIT_OK
    }
}

/// The word that heads a scenario's line.
fn verdict(r: &ScenarioCheck) -> &'static str {
    match (&r.status, r.failed.is_empty()) {
        (Status::Error(_), _) => "error",
        (Status::Changed(_), _) => "changed",
        (Status::Missing, _) => "missing",
        (_, false) => "failed",
        (Status::Written(_), true) => "written",
        (Status::Same, true) => "ok",
    }
}

/// A scenario's lines: `ok      NAME`, or the verdict and, indented, what changed or failed.
pub fn render(r: &ScenarioCheck) -> String {
    let mut o = format!("{:<8}{}\n", verdict(r), r.dir.display());
    let indent = |text: &str| text.lines().map(|l| format!("  {l}\n")).collect::<String>();
    match &r.status {
        Status::Error(d) => o.push_str(&indent(&d.to_string())),
        Status::Changed(diffs) => {
            for d in diffs {
                o.push_str(&indent(&d.to_string()));
            }
            o.push_str(&format!(
                "  the snapshot is {}; review, then `comsim check --update`\n",
                r.snapshot.display()
            ));
        }
        Status::Missing => o.push_str(&format!(
            "  no snapshot at {}; write it with `comsim check --update`\n",
            r.snapshot.display()
        )),
        Status::Written(diffs) if diffs.is_empty() => {
            o.push_str(&format!("  wrote {}\n", r.snapshot.display()));
        }
        Status::Written(diffs) => {
            for d in diffs {
                o.push_str(&indent(&d.to_string()));
            }
            o.push_str(&format!("  wrote {}\n", r.snapshot.display()));
        }
        Status::Same => {}
    }
    for (step, c) in &r.failed {
        o.push_str(&format!(
            "  step \"{step}\"{}: expected {} {} {}, got {} ({})\n",
            c.clr
                .as_deref()
                .map(|c| format!(" clr {c}"))
                .unwrap_or_default(),
            c.field,
            if c.contains() { "containing" } else { "=" },
            c.expected,
            c.actual.as_deref().unwrap_or("nothing"),
            c.location
        ));
    }
    o
}

fn summary(results: &[ScenarioCheck]) -> String {
    let count = |v: &str| results.iter().filter(|r| verdict(r) == v).count();
    format!(
        "{} scenario(s): {} ok, {} changed, {} missing, {} failed, {} written, {} error(s)",
        results.len(),
        count("ok"),
        count("changed"),
        count("missing"),
        count("failed"),
        count("written"),
        count("error")
    )
}

/// JUnit XML: one `testsuite`, one `testcase` per scenario, a `failure` holding its lines.
fn junit(results: &[ScenarioCheck]) -> String {
    let failures = results.iter().filter(|r| r.failed()).count();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"comsim check\" tests=\"{}\" failures=\"{failures}\">\n",
        results.len()
    );
    for r in results {
        let name = xml_escape(&r.dir.display().to_string());
        if r.failed() {
            x.push_str(&format!(
                "  <testcase classname=\"comsim.check\" name=\"{name}\">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                verdict(r),
                xml_escape(&render(r))
            ));
        } else {
            x.push_str(&format!(
                "  <testcase classname=\"comsim.check\" name=\"{name}\"/>\n"
            ));
        }
    }
    x.push_str("</testsuite>\n");
    x
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
