//! `cargo xtask audit-bench`: `comsim audit --reg FILE` timed as a user runs it, a whole process,
//! on a generated export of many CLSIDs (the import-bench's generator: `hkcr_gen.rs`, native
//! in-process servers and regasm-style managed registrations, `Wow6432Node` copies), in regedit's
//! order and with its key blocks shuffled, beside `comsim reg query` on the same file (the import
//! alone) and `cat`. docs/performance.md reports the table it prints.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::import_bench::{Timing, build_comsim, cmd, generate, measure};

/// Bump when the generated files change (the import-bench's generator, its version 1).
const GENERATOR_VERSION: u32 = 1;
const MB: f64 = 1e6;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the generated exports go.
    #[arg(long, default_value = "target/audit-bench")]
    pub dir: PathBuf,
    /// CLSIDs in the generated machine (the target of issue 16 is 200,000).
    #[arg(long, default_value_t = 200_000)]
    pub clsids: usize,
    /// Runs of each command; the table shows the best and the median.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// The comsim binary to measure; by default `cargo build --release -p comsim-cli` is run and
    /// `target/release/comsim` measured.
    #[arg(long)]
    pub comsim: Option<PathBuf>,
}

pub fn run(args: &Args) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let comsim = match &args.comsim {
        Some(p) => p.clone(),
        None => build_comsim()?,
    };
    let name = |order: &str| {
        args.dir.join(format!(
            "classes-{}-v{GENERATOR_VERSION}-{order}.reg",
            args.clsids
        ))
    };
    let (sorted, random) = (name("sorted"), name("random"));
    if !sorted.exists() || !random.exists() {
        generate(args.clsids, &sorted, &random)?;
    }
    let mut table = String::from(
        "| file | command | wall s (best) | wall s (median) | CPU s (least) | peak RSS MB |\n|---|---|---:|---:|---:|---:|\n",
    );
    for (label, file) in [("sorted", &sorted), ("random", &random)] {
        let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len() as f64;
        let f = file.as_os_str();
        measure(&cmd("cat", &[f]), 1)?;
        let query = "HKLM\\SOFTWARE\\Classes\\CLSID";
        let cmds = [
            ("cat".to_owned(), cmd("cat", &[f])),
            (
                "comsim reg query HKLM\\SOFTWARE\\Classes\\CLSID --reg (import only)".to_owned(),
                cmd(
                    &comsim,
                    &[
                        "reg".as_ref(),
                        "query".as_ref(),
                        query.as_ref(),
                        "--reg".as_ref(),
                        f,
                    ],
                ),
            ),
            (
                "comsim audit --reg FILE --format csv".to_owned(),
                cmd(
                    &comsim,
                    &[
                        "audit".as_ref(),
                        "--reg".as_ref(),
                        f,
                        "--format".as_ref(),
                        "csv".as_ref(),
                    ],
                ),
            ),
        ];
        for (what, c) in cmds {
            let t: Timing = measure(&c, args.runs)?;
            table.push_str(&format!(
                "| {label} ({:.0} MB, {} CLSIDs) | `{what}` | {:.2} | {:.2} | {:.2} | {:.0} |\n",
                size / MB,
                args.clsids,
                t.best,
                t.median,
                t.cpu,
                t.peak_kb as f64 / 1e3
            ));
            eprintln!("{label}: {what}: best {:.2} s", t.best);
        }
    }
    println!("\n{table}");
    Ok(())
}
