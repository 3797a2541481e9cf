//! `cargo xtask`: developer tasks for comsim.
//!
//! - `conformance-reg`: imports curated and generated `.reg` files with Wine's `reg import` and
//!   with comsim's lenient importer, and compares the registries key by key and value by value.
//! - `conformance-sxs`: builds activation contexts from curated and generated manifest sets with
//!   Wine (`tests/conformance/sxs/probe64.exe`) and with comsim, and compares every lookup.
//! - `conformance-hive`: reads every hive fixture with comsim-hive and with hivexregedit, and
//!   compares the registries.
//! - `hive-bench`: times `comsim reg query` on a generated ~40 MB hive (docs/performance.md).
//! - `replay-bench-scenario`: writes a scenario with a large registry and many machine steps, for
//!   measuring the memory of `comsim replay` (docs/performance.md).
//! - `import-bench`: times `.reg` import and `reg export` as whole processes on generated exports,
//!   beside `cat`, `wc -l` and `iconv` (docs/performance.md).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod conformance;
mod deviations;
mod generate;
mod hive;
mod hive_bench;
mod import_bench;
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
    /// Compare comsim's hive reader with hivexregedit --export (needs libhivex-bin, libwin-hivex-perl).
    ConformanceHive(hive::Args),
    /// Time `comsim reg query` on a generated ~40 MB hive, with `cat` as a floor (docs/performance.md).
    HiveBench(hive_bench::Args),
    /// Write a scenario with a large registry and many machine steps (a memory benchmark).
    ReplayBenchScenario(replay_bench::Args),
    /// Time `.reg` import and `reg export` as whole processes beside cat, wc and iconv.
    ImportBench(import_bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ConformanceReg(args) => conformance::run(&args),
        Command::ConformanceSxs(args) => sxs::run(&args),
        Command::ConformanceHive(args) => hive::run(&args),
        Command::HiveBench(args) => hive_bench::run(&args),
        Command::ReplayBenchScenario(args) => replay_bench::run(&args),
        Command::ImportBench(args) => import_bench::run(&args),
    }
}
