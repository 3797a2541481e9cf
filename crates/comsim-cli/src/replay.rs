//! `comsim replay`: runs a scenario's steps on CLR 2.0 and/or CLR 4.0 and shows each step's
//! trace and outcome, side by side when both CLRs run, and checks the scenario's expectations.
//!
//! The replay itself is [`comsim_scenario::replay`]; this module parses the arguments and
//! renders the [`Replay`](comsim_scenario::Replay) as text ([`text`]) or JSON ([`json`],
//! described in `docs/json.md`).
//!
//! Text output is laid out for `--width`, `COLUMNS` or the terminal's width, and for a fixed 147
//! columns when none is given (a file or a pipe), so the same scenario gives the same bytes
//! everywhere; colour is added only for a terminal or `--color always`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use comsim_scenario::{ClrChoice, ReplayOptions, Replayer};

use crate::{EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK};

pub(crate) mod bindlog;
pub(crate) mod html;
mod json;
pub(crate) mod mermaid;
mod text;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The scenario: a `scenario.toml` file or the directory holding one.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// The CLR a managed client runs on (or a native host preloads): 2.0, 4.0, or both, one run
    /// each, shown side by side.
    #[arg(long, value_enum, default_value = "both", value_name = "CLR")]
    pub clr: ClrArg,
    /// `text` for people, `json` for tools (docs/json.md), `snapshot` for a compact,
    /// line-oriented form to commit and review in diffs (docs/snapshots.md), `mermaid` (Markdown
    /// with a Mermaid flowchart of each request's path, which renders on GitHub), or `html` (one
    /// self-contained page: the runs side by side, the path drawn, every rule's text).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReplayFormat,
    /// Set a behaviour switch of an inferred rule, after the scenario's own (`runtime-match=exact`);
    /// may be repeated, the later wins.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    pub switches: Vec<String>,
    /// Colour the text output: `auto` when standard output is a terminal (and NO_COLOR is not set).
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorArg,
    /// The width of the text output; else `COLUMNS`, else the terminal's width, else 147 (two
    /// 70-column runs side by side). Below 140 the two CLRs' runs are shown one after the other.
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// Instead of the trace, each binding attempt as a Fusion bind log entry, laid out as the
    /// Assembly Binding Log Viewer (fuslogvw) shows it (docs/bind-log.md).
    #[arg(long, conflicts_with = "format")]
    pub bind_log: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    Text,
    Json,
    Snapshot,
    Mermaid,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClrArg {
    #[value(name = "2.0")]
    Clr2,
    #[value(name = "4.0")]
    Clr4,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl ClrArg {
    /// The replay library's CLR choice.
    pub fn choice(self) -> ClrChoice {
        match self {
            ClrArg::Clr2 => ClrChoice::Clr2,
            ClrArg::Clr4 => ClrChoice::Clr4,
            ClrArg::Both => ClrChoice::Both,
        }
    }
}

pub fn run(a: ReplayArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match replay(&a, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

/// Loads the scenario, replays it with the library, and writes it as asked.
fn replay(a: &ReplayArgs, out: &mut dyn Write) -> Result<u8, String> {
    let scenario = comsim_scenario::load(&a.scenario).map_err(|d| d.to_string())?;
    // Each `--switch` is checked here, so that its error names the argument.
    crate::set_switch_args(&mut scenario.switches.clone(), &a.switches)?;
    let options = ReplayOptions {
        clrs: a.clr.choice(),
        switches: a.switches.clone(),
    };
    let replayer = Replayer::new(&scenario, &options).map_err(|d| d.to_string())?;
    if a.bind_log {
        let failed = bindlog::write(&scenario, &replayer, out)?.failed > 0;
        return Ok(if failed { EXIT_NOT_FOUND } else { EXIT_OK });
    }
    let failed = match a.format {
        ReplayFormat::Html => html::write(&scenario, &replayer, out)?.failed > 0,
        ReplayFormat::Mermaid => mermaid::write(&scenario, &replayer, out)?.failed > 0,
        ReplayFormat::Snapshot => {
            let replay = replayer.into_replay();
            let failed = replay.failed();
            // The replay goes before the text is written: a `regasm` of many types keeps a few
            // registry changes per type in both.
            let snapshot = comsim_scenario::Snapshot::of(&scenario, &replay);
            drop(replay);
            let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
            snapshot.write(&mut out).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            failed
        }
        ReplayFormat::Json => json::write(&scenario, &replayer, out)?,
        ReplayFormat::Text => {
            let paint = text::Paint {
                on: match a.color {
                    ColorArg::Always => true,
                    ColorArg::Never => false,
                    ColorArg::Auto => {
                        std::io::stdout().is_terminal()
                            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    }
                },
                width: crate::term::output_width(a.width),
            };
            text::write(&scenario, &replayer, paint, out)?.failed > 0
        }
    };
    Ok(if failed { EXIT_NOT_FOUND } else { EXIT_OK })
}

/// Runs the replay and writes what `render` makes of each step as soon as it has run, so that no
/// more than one step's runs are held: the loop the text, Mermaid and HTML renderings share. The
/// first write error stops the writing (the replay still ends) and is returned; else the counts.
fn write_steps(
    replayer: &Replayer<'_>,
    out: &mut dyn Write,
    mut render: impl FnMut(&comsim_scenario::StepRun) -> String,
) -> Result<comsim_scenario::Summary, String> {
    let mut sum = comsim_scenario::Summary::default();
    let mut failed_write = None;
    replayer.run(|run| {
        sum.add(&run);
        if failed_write.is_some() {
            return;
        }
        if let Err(e) = out.write_all(render(&run).as_bytes()) {
            failed_write = Some(e.to_string());
        }
    });
    match failed_write {
        Some(e) => Err(e),
        None => Ok(sum),
    }
}
