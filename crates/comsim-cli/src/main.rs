//! `comsim`: replays how Windows and the .NET Framework activate a COM class.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a `.reg` import makes hundreds of thousands of small
/// allocations, and mimalloc serves them faster (docs/performance.md, docs/decisions.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = comsim_cli::Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = comsim_cli::run(cli, &mut stdout.lock(), &mut stderr.lock());
    ExitCode::from(code)
}
