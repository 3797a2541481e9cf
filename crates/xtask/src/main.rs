//! `cargo xtask`: developer tasks for comsim.
//!
//! - `conformance-reg`: imports curated and generated `.reg` files with Wine's `reg import` and
//!   with comsim's lenient importer, and compares the registries key by key and value by value.
//! - `conformance-sxs`: builds activation contexts from curated and generated manifest sets with
//!   Wine (`tests/conformance/sxs/probe64.exe`) and with comsim, and compares every lookup.

// Functions stay under 100 lines (issue 10): a longer one is split into named steps or says
// why not with `#[expect(clippy::too_many_lines)]`.
#![warn(clippy::too_many_lines)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod conformance;
mod deviations;
mod generate;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ConformanceReg(args) => conformance::run(&args),
        Command::ConformanceSxs(args) => sxs::run(&args),
    }
}
