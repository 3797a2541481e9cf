//! `comsim`: replays how Windows and the .NET Framework activate a COM class.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

/// mimalloc 3 serves the process's allocations: an import, a hive load and an audit make
/// millions of small ones, and it took 5 to 13% off their whole-process times with a lower peak
/// memory than the system allocator (measured in docs/performance.md, chosen in
/// docs/decisions.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Standard output that ends the process quietly, with exit code 0, when the reader has gone
/// (`comsim replay X | head -1`): the reader asked for no more, so nothing failed. Rust ignores
/// SIGPIPE, so the write returns `BrokenPipe` instead of killing the process.
struct Stdout<'a>(io::StdoutLock<'a>);

impl Stdout<'_> {
    fn check<T>(r: io::Result<T>) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
            r => r,
        }
    }
}

impl Write for Stdout<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::check(self.0.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::check(self.0.write_all(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        Self::check(self.0.flush())
    }
}

fn main() -> ExitCode {
    let cli = comsim_cli::Cli::parse();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = Stdout(stdout.lock());
    // Decided before standard error is locked: a bar only on a terminal that allows one.
    let progress = comsim_cli::progress::wanted_here();
    let code = comsim_cli::run_with_progress(cli, &mut out, &mut stderr.lock(), progress);
    // What is still buffered goes out now, under the same rule.
    let _ = out.flush();
    ExitCode::from(code)
}
