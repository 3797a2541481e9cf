//! `comsim diagnose`: parses the arguments, reads the error text, and renders the
//! [`Diagnosis`] of [`comsim_diagnose::diagnose`] as a short text report or JSON
//! (`docs/json.md`). Exit codes: 0 a cause was found and its fix, replayed, makes the request
//! succeed; 1 the error was reproduced but no cause with a working fix was found; 3 no
//! configuration reproduced the error; 2 bad input.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use comsim_diagnose::{Diagnosis, Facts, Question, Reported, parse_error};
use comsim_manifest::Guid;
use comsim_resolver::{Bitness, ClientKind};
use comsim_scenario::Clr;

use crate::{EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK, bad};

mod html;
mod mermaid;
mod text;

/// Exit code: no configuration reproduced the error.
pub const EXIT_NOT_REPRODUCED: u8 = 3;

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The error text as the user has it (an exception with or without its stack trace, a VB or
    /// ASP error, PowerShell's New-Object error, an HRESULT).
    #[arg(long, value_name = "TEXT", conflicts_with = "error_file")]
    pub error: Option<String>,
    /// A file holding the error text. Without --error, --error-file, --clsid or --progid, the
    /// text is read from standard input.
    #[arg(long, value_name = "FILE")]
    pub error_file: Option<PathBuf>,
    /// The class, when the error does not name it (or instead of an error).
    #[arg(long, value_name = "GUID")]
    pub clsid: Option<String>,
    #[arg(long, value_name = "PROGID")]
    pub progid: Option<String>,
    #[command(flatten)]
    pub machine: crate::machine::MachineArgs,
    /// The process's bitness, when known.
    #[arg(long, value_name = "BITS")]
    pub bitness: Option<u32>,
    /// Whether the process ran elevated ("Run as administrator"), when known.
    #[arg(long, value_name = "BOOL")]
    pub elevated: Option<bool>,
    /// The CLR a managed client runs on, when known: 2.0 or 4.0.
    #[arg(long, value_name = "CLR")]
    pub clr: Option<String>,
    /// A managed (.NET) or native client, when known.
    #[arg(long, value_enum, value_name = "KIND")]
    pub client_kind: Option<KindArg>,
    /// Show the full trace of each configuration that reproduces the error.
    #[arg(long)]
    pub trace: bool,
    /// Show the bind log of each configuration that reproduces the error: each binding attempt
    /// as a Fusion log entry, as fuslogvw shows it (docs/bind-log.md). Text output only.
    #[arg(long, conflicts_with = "format")]
    pub bind_log: bool,
    /// `text` for people, `json` for tools (docs/json.md), `mermaid` (Markdown with a Mermaid
    /// chart of each reproducing configuration's path, the causes and the outcome after each
    /// fix), or `html` (one self-contained page: the causes, the fixes, each path drawn).
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiagnoseFormat,
    /// Write a self-contained scenario of the failure to DIR (expectations: what was observed).
    #[arg(long, value_name = "DIR")]
    pub save_scenario: Option<PathBuf>,
    /// Write the files the fix commands use (`.reg` fragments, `.config` files) to DIR.
    #[arg(long, value_name = "DIR")]
    pub fix_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnoseFormat {
    Text,
    Json,
    Mermaid,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Managed,
    Native,
}

/// Runs `comsim diagnose`; with `progress`, large files and many configurations are worked
/// through under a progress bar.
pub fn run(a: DiagnoseArgs, out: &mut dyn Write, err: &mut dyn Write, progress: bool) -> u8 {
    let mut bar = crate::progress::Bar::stderr(progress);
    match diagnose(&a, out, err, &mut bar) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

/// The error as given: text from an argument, a file or standard input, and `--clsid`/`--progid`.
fn reported(a: &DiagnoseArgs) -> Result<Reported, String> {
    let text = match (&a.error, &a.error_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => {
            // Only the first MiB of text is parsed: read no more than UTF-16 needs for it.
            let limit = 2 * comsim_diagnose::error::MAX_ERROR_TEXT as u64 + 2;
            let io = |e| comsim_diagnose::input::io_error(f, &e).to_string();
            let mut bytes = Vec::new();
            std::fs::File::open(f)
                .and_then(|file| file.take(limit).read_to_end(&mut bytes))
                .map_err(io)?;
            Some(decode(&bytes))
        }
        (None, None) if a.clsid.is_none() && a.progid.is_none() => {
            let mut s = Vec::new();
            if std::io::stdin().is_terminal() {
                return Err(bad(
                    comsim_diagnose::codes::DIAGNOSE_ERROR_TEXT,
                    "no error given: pass --error TEXT, --error-file FILE, --clsid or --progid, or pipe the text in",
                ));
            }
            std::io::stdin()
                .take(comsim_diagnose::error::MAX_ERROR_TEXT as u64)
                .read_to_end(&mut s)
                .map_err(|e| e.to_string())?;
            Some(decode(&s))
        }
        (None, None) => None,
    };
    let mut r = match &text {
        Some(t) => match parse_error(t) {
            Some(r) => r,
            // The class is given: the text only adds what it says.
            None if a.clsid.is_some() || a.progid.is_some() => Reported::empty(),
            None => {
                return Err(bad(
                    comsim_diagnose::codes::DIAGNOSE_ERROR_TEXT,
                    "the error text names no CLSID, ProgID or HRESULT",
                ));
            }
        },
        None => Reported::empty(),
    };
    if let Some(c) = &a.clsid {
        r.clsid = Some(
            Guid::parse(c)
                .ok_or_else(|| bad(crate::codes::ARG_GUID, format!("--clsid {c}: not a GUID")))?,
        );
    }
    if let Some(p) = &a.progid {
        r.progid = Some(p.clone());
    }
    Ok(r)
}

/// Error texts saved by Windows tools are often UTF-16 (a BOM says so).
fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

fn facts(a: &DiagnoseArgs) -> Result<Facts, String> {
    let bitness = match a.bitness {
        None => None,
        Some(32) => Some(Bitness::B32),
        Some(64) => Some(Bitness::B64),
        Some(n) => {
            return Err(bad(
                comsim_diagnose::codes::DIAGNOSE_CLIENT,
                format!("--bitness {n}: 32 or 64"),
            ));
        }
    };
    let clr = match a.clr.as_deref() {
        None => None,
        Some("2.0" | "2" | "v2.0.50727") => Some(Clr::V2),
        Some("4.0" | "4" | "v4.0.30319") => Some(Clr::V4),
        Some(c) => {
            return Err(bad(crate::codes::ARG_CLR, format!("--clr {c}: 2.0 or 4.0")));
        }
    };
    Ok(Facts {
        bitness,
        elevated: a.elevated,
        clr,
        client: a.client_kind.map(|k| match k {
            KindArg::Managed => ClientKind::Managed,
            KindArg::Native => ClientKind::Native,
        }),
    })
}

fn diagnose(
    a: &DiagnoseArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    progress: &mut dyn comsim_diag::Progress,
) -> Result<u8, String> {
    let question = Question {
        reported: reported(a)?,
        facts: facts(a)?,
    };
    let input = a.machine.input(err)?;
    let mut loaded =
        comsim_diagnose::input::load_with_progress(&input, progress).map_err(|d| d.to_string())?;
    let diagnosis = comsim_diagnose::diagnose_with_progress(&question, &mut loaded, progress)
        .map_err(|d| d.to_string())?;
    if let Some(dir) = &a.save_scenario {
        comsim_diagnose::scenario_out::save(dir, &loaded, &diagnosis).map_err(|d| d.to_string())?;
    }
    if let Some(dir) = &a.fix_dir {
        comsim_diagnose::fix::write_files(dir, &diagnosis).map_err(|d| d.to_string())?;
    }
    match a.format {
        DiagnoseFormat::Mermaid => out
            .write_all(mermaid::render(&diagnosis).as_bytes())
            .map_err(|e| e.to_string())?,
        DiagnoseFormat::Html => out
            .write_all(html::render(&diagnosis).as_bytes())
            .map_err(|e| e.to_string())?,
        DiagnoseFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &diagnosis).map_err(|e| e.to_string())?;
            writeln!(out).map_err(|e| e.to_string())?;
        }
        DiagnoseFormat::Text => {
            let show = text::Show {
                trace: a.trace,
                bind_log: a.bind_log,
            };
            text::write(&diagnosis, show, out).map_err(|e| e.to_string())?;
        }
    }
    Ok(exit_code(&diagnosis))
}

/// 0 diagnosed with a working fix, 1 reproduced without one, 3 not reproduced.
pub fn exit_code(d: &Diagnosis) -> u8 {
    if !d.reproduced() {
        EXIT_NOT_REPRODUCED
    } else if d.fixed() {
        EXIT_OK
    } else {
        EXIT_NOT_FOUND
    }
}
