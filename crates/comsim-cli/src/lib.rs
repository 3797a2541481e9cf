//! The comsim command line: argument parsing and the commands, writing to any `Write` so tests can
//! capture what a user would see.

use std::io::Write;

use clap::{Parser, Subcommand};

pub mod assembly;
pub mod audit;
pub mod check;
pub mod codes;
pub mod diagnose;
pub mod expect;
pub mod explain;
pub mod machine;
pub mod progress;
pub mod reg;
pub mod regasm;
pub mod replay;
pub mod sxs;
pub mod term;

/// Exit code: the command did what was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: the answer is "no" (a key or value that does not exist, an expectation that failed).
pub const EXIT_NOT_FOUND: u8 = 1;
/// Exit code: the input was bad (a malformed file, a bad argument).
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "comsim",
    version,
    about = "Simulates how Windows and the .NET Framework activate a COM class"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with registry contents loaded from .reg files.
    #[command(subcommand)]
    Reg(reg::RegCommand),
    /// Work with side-by-side manifests and activation contexts.
    #[command(subcommand)]
    Sxs(sxs::SxsCommand),
    /// Replay a scenario: run its steps on CLR 2.0 and/or 4.0, show each trace and outcome, and
    /// check its expectations (exit 1 when one fails).
    Replay(replay::ReplayArgs),
    /// Run regasm on a scenario's machine: print what regasm prints (exit 0, or 100 after an
    /// error, as regasm), and with --diff the registry difference it made.
    Regasm(regasm::RegasmArgs),
    /// Explain a rule ID or an HRESULT (or an error message holding one): the rule's text,
    /// sources and switches, or the HRESULT's name, exception and messages, and the bundled
    /// scenarios that show it.
    Explain(explain::ExplainArgs),
    /// Replay every scenario under the directories and compare each with its stored snapshot
    /// (docs/snapshots.md): exit 0 when all match and every expectation holds, 1 on a change, a
    /// missing snapshot or a failed expectation, 2 when a scenario or snapshot cannot be read.
    Check(check::CheckArgs),
    /// Print, as TOML to paste into the scenario, the expectations its current replay satisfies.
    Expect(expect::ExpectArgs),
    /// Read real .NET assemblies.
    #[command(subcommand)]
    Assembly(assembly::AssemblyCommand),
    /// Diagnose a failed activation: from the error text (and the machine's registry exports,
    /// application folder or a scenario) to the cause, the fix as commands, and the fix replayed
    /// (exit 0 diagnosed with a working fix, 1 reproduced without one, 3 not reproduced).
    Diagnose(Box<diagnose::DiagnoseArgs>),
    /// Audit every COM class registration of a machine (.reg exports, hives, an application
    /// folder or a scenario) under the process configurations, with the causes of each failure
    /// and their fix commands (exit 0, or 1 when a cause named by --fail-on is found, 2 bad input).
    Audit(Box<audit::AuditArgs>),
}

/// A bad argument, as the error text a command prints: the diagnostic with its code.
pub(crate) fn bad(code: comsim_diag::Code, msg: impl Into<String>) -> String {
    comsim_diag::Diagnostic::error(code, msg).to_string()
}

/// Sets `--switch NAME=VALUE` arguments on `switches`, in order; the error names the argument.
pub(crate) fn set_switch_args(
    switches: &mut comsim_resolver::Switches,
    pairs: &[String],
) -> Result<(), String> {
    for pair in pairs {
        switches.set_pair(pair).map_err(|msg| {
            comsim_diag::Diagnostic::error(codes::ARG_SWITCH, format!("--switch {pair}: {msg}"))
                .to_string()
        })?;
    }
    Ok(())
}

/// Runs a parsed command line; returns the process exit code. Never draws a progress bar.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    run_with_progress(cli, out, err, false)
}

/// [`run`], drawing a progress bar on this process's standard error during long work when
/// `progress` (what `main` decides with [`progress::wanted_here`]).
pub fn run_with_progress(cli: Cli, out: &mut dyn Write, err: &mut dyn Write, progress: bool) -> u8 {
    match cli.command {
        Command::Reg(cmd) => reg::run(cmd, out, err, progress),
        Command::Sxs(cmd) => sxs::run(cmd, out, err),
        Command::Replay(args) => replay::run(args, out, err),
        Command::Regasm(args) => regasm::run(args, out, err),
        Command::Explain(args) => explain::run(args, out, err),
        Command::Check(args) => check::run(args, out, err),
        Command::Expect(args) => expect::run(args, out, err),
        Command::Assembly(cmd) => assembly::run(cmd, out, err),
        Command::Diagnose(args) => diagnose::run(*args, out, err, progress),
        Command::Audit(args) => audit::run(*args, out, err, progress),
    }
}
