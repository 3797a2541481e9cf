//! `comsim`: replays how Windows and the .NET Framework activate a COM class.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = comsim_cli::Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = comsim_cli::run(cli, &mut stdout.lock(), &mut stderr.lock());
    ExitCode::from(code)
}
