//! `cargo xtask`: developer tasks for comsim.
//!
//! - `conformance-reg`: imports curated and generated `.reg` files with Wine's `reg import` and
//!   with comsim's lenient importer, and compares the registries key by key and value by value.
//! - `conformance-sxs`: builds activation contexts from curated and generated manifest sets with
//!   Wine (`tests/conformance/sxs/probe64.exe`) and with comsim, and compares every lookup.
//! - `conformance-hive`: reads every hive fixture with comsim-hive and with hivexregedit, and
//!   compares the registries.
//! - `hive-bench`: times `comsim reg query` on a generated ~40 MB hive, CPU and wall, against an optional baseline build (docs/performance.md).
//! - `browser-html`: opens the HTML pages `comsim replay --format html` writes in headless
//!   Chromium and checks that they load cleanly and draw one box per trace step.
//! - `conformance-clr`: reads the fixture assemblies and mono's framework assemblies with
//!   comsim's reader and with `monodis`, and compares identities, types, flags and `[Guid]`s.
//! - `replay-bench-scenario`: writes a scenario with a large registry and many machine steps, for
//!   measuring the memory of `comsim replay` (docs/performance.md).
//! - `pathological`: writes the pathological inputs of docs/reliability.md (long lines, long
//!   chains, many values, many steps) and the `comsim` command that runs each.
//! - `replay-bench`: times `comsim replay` of every bundled scenario as a whole process, beside
//!   `true` (docs/performance.md, "Resolution").
//! - `resolve-bench`: the resolver's cost per request in-process, full and quiet traces, on a
//!   generated machine under an audit's 8 process configurations (docs/performance.md).
//! - `import-bench`: times `.reg` import and `reg export` as whole processes on generated exports,
//!   beside `cat`, `wc -l` and `iconv` (docs/performance.md).
//! - `progress-tty`: runs `comsim reg query` over a big `.reg` file under `script` (a
//!   pseudo-terminal) and checks that the progress bar is drawn, cleared and kept off standard
//!   output (docs/reliability.md).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit_bench;
mod browser;
mod clr;
mod conformance;
mod deviations;
mod generate;
mod hive;
mod hive_bench;
mod import_bench;
mod instructions;
mod pathological;
mod progress_tty;
mod replay_bench;
mod replay_times;
mod resolve_bench;
mod rng;
mod sxs;
mod tree;
mod wine;

#[derive(Debug, Parser)]
#[command(name = "xtask", about = "Developer tasks for comsim")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare comsim's lenient .reg import with Wine's `reg import` (needs `wine` on PATH).
    ConformanceReg(conformance::Args),
    /// Compare comsim's activation contexts and SxsLookupClrGuid with Wine's (needs `wine` on PATH).
    ConformanceSxs(sxs::Args),
    /// Compare comsim's hive reader with hivexregedit --export (needs libhivex-bin, libwin-hivex-perl).
    ConformanceHive(hive::Args),
    /// Time `comsim reg query` on a generated ~40 MB hive, with `cat` as a floor (docs/performance.md).
    HiveBench(hive_bench::Args),
    /// Open `comsim replay --format html` pages in headless Chromium and check what it built.
    BrowserHtml(browser::Args),
    /// Compare comsim's assembly reader with monodis (needs `monodis` on PATH: mono-utils).
    ConformanceClr(clr::Args),
    /// Write a scenario with a large registry and many machine steps (a memory benchmark).
    ReplayBenchScenario(replay_bench::Args),
    /// Time `comsim replay` of every bundled scenario as a whole process, beside `true`.
    ReplayBench(replay_times::Args),
    /// Time the resolver per request in-process (full and quiet traces) on a generated machine.
    ResolveBench(resolve_bench::Args),
    /// Write the pathological inputs of docs/reliability.md and the commands that run them.
    Pathological(pathological::Args),
    /// Time `.reg` import and `reg export` as whole processes beside cat, wc and iconv.
    ImportBench(import_bench::Args),
    /// Check that the progress bar appears on a terminal (needs `script`, util-linux).
    ProgressTty(progress_tty::Args),
    /// Time `comsim audit --reg FILE` on a generated export of many CLSIDs, as a whole process.
    AuditBench(audit_bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ConformanceReg(args) => conformance::run(&args),
        Command::ConformanceSxs(args) => sxs::run(&args),
        Command::ConformanceHive(args) => hive::run(&args),
        Command::HiveBench(args) => hive_bench::run(&args),
        Command::ConformanceClr(args) => clr::run(&args),
        Command::ReplayBenchScenario(args) => replay_bench::run(&args),
        Command::BrowserHtml(args) => browser::run(&args),
        Command::ReplayBench(args) => replay_times::run(&args),
        Command::ResolveBench(args) => resolve_bench::run(&args),
        Command::Pathological(args) => pathological::run(&args),
        Command::ImportBench(args) => import_bench::run(&args),
        Command::ProgressTty(args) => progress_tty::run(&args),
        Command::AuditBench(args) => audit_bench::run(&args),
    }
}
