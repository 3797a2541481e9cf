//! `cargo xtask`: developer tasks for comsim.
//!
//! - `conformance-reg`: imports curated and generated `.reg` files with Wine's `reg import` and
//!   with comsim's lenient importer, and compares the registries key by key and value by value.
//! - `conformance-sxs`: builds activation contexts from curated and generated manifest sets with
//!   Wine (`tests/conformance/sxs/probe64.exe`) and with comsim, and compares every lookup.
//! - `conformance-clr`: reads the fixture assemblies and mono's framework assemblies with
//!   comsim's reader and with `monodis`, and compares identities, types, flags and `[Guid]`s.
//! - `replay-bench-scenario`: writes a scenario with a large registry and many machine steps, for
//!   measuring the memory of `comsim replay` (docs/performance.md).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod clr;
mod conformance;
mod deviations;
mod generate;
mod replay_bench;
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
    /// Compare comsim's assembly reader with monodis (needs `monodis` on PATH: mono-utils).
    ConformanceClr(clr::Args),
    /// Write a scenario with a large registry and many machine steps (a memory benchmark).
    ReplayBenchScenario(replay_bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ConformanceReg(args) => conformance::run(&args),
        Command::ConformanceSxs(args) => sxs::run(&args),
        Command::ConformanceClr(args) => clr::run(&args),
        Command::ReplayBenchScenario(args) => replay_bench::run(&args),
    }
}
