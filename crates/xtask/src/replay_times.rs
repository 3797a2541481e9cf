//! `cargo xtask replay-bench`: every bundled scenario (`fixtures/scenarios/<name>`) replayed by a
//! fresh `comsim replay` process, several times, under `perf stat` (`task-clock`: the process's
//! CPU time; `duration_time`: its wall time), with `/bin/true` under the same `perf stat` as the
//! floor of starting any process. Prints one Markdown table row per scenario (best and median
//! of each), then the largest and the total. A benchmark, not a test: the figures go to
//! docs/performance.md ("Resolution").

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::import_bench::{cmd, comsim_or_build};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory of scenarios, one per subdirectory with a `scenario.toml`.
    #[arg(long, default_value = "fixtures/scenarios")]
    pub dir: PathBuf,
    /// Runs of each scenario; the table shows the best and the median.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// The comsim binary to measure; by default `cargo build --release -p comsim-cli` is run and
    /// `target/release/comsim` measured.
    #[arg(long)]
    pub comsim: Option<PathBuf>,
    /// Another comsim binary (an older build), measured in the same run, scenario by scenario,
    /// for a before and after table.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Only the scenarios whose name contains this text.
    #[arg(long)]
    pub only: Option<String>,
}

pub fn run(args: &Args) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("replay-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One command's runs, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Times {
    wall_best: f64,
    wall_median: f64,
    cpu_best: f64,
    cpu_median: f64,
}

fn bench(args: &Args) -> Result<(), String> {
    let comsim = comsim_or_build(args.comsim.as_ref(), true)?;
    let names = scenarios(&args.dir, args.only.as_deref())?;
    let binaries: Vec<(&Path, &str)> = args
        .baseline
        .iter()
        .map(|b| (b.as_path(), "baseline"))
        .chain([(comsim.as_path(), "now")])
        .collect();
    let floor = times(&cmd("true", &[]), args.runs)?;
    let mut table = String::from("| scenario |");
    let mut rule = String::from("|---|");
    for (_, label) in &binaries {
        let _ = write!(
            table,
            " {label}: wall ms (best) | {label}: wall ms (median) | {label}: CPU ms (best) | {label}: CPU ms (median) |"
        );
        rule.push_str("---:|---:|---:|---:|");
    }
    let _ = write!(table, "\n{rule}\n| `true` (floor) |");
    for _ in &binaries {
        row(&mut table, floor);
    }
    table.push('\n');
    let mut totals = vec![Times::default(); binaries.len()];
    let mut worst = vec![(0.0, String::new()); binaries.len()];
    for name in &names {
        let dir = args.dir.join(name);
        let _ = write!(table, "| `{name}` |");
        for (i, (bin, _)) in binaries.iter().enumerate() {
            let t = times(&cmd(bin, &["replay".as_ref(), dir.as_os_str()]), args.runs)?;
            row(&mut table, t);
            totals[i].wall_best += t.wall_best;
            totals[i].wall_median += t.wall_median;
            totals[i].cpu_best += t.cpu_best;
            totals[i].cpu_median += t.cpu_median;
            if t.wall_median > worst[i].0 {
                worst[i] = (t.wall_median, name.clone());
            }
        }
        table.push('\n');
        eprint!(".");
    }
    let _ = write!(table, "| total of {} scenarios |", names.len());
    for t in &totals {
        row(&mut table, *t);
    }
    println!("\n{table}");
    for ((_, label), (ms, name)) in binaries.iter().zip(&worst) {
        println!("{label}: the slowest median wall time is {ms:.1} ms ({name})");
    }
    Ok(())
}

fn row(table: &mut String, t: Times) {
    let _ = write!(
        table,
        " {:.1} | {:.1} | {:.1} | {:.1} |",
        t.wall_best, t.wall_median, t.cpu_best, t.cpu_median
    );
}

/// The subdirectories of `dir` with a `scenario.toml`, by name.
fn scenarios(dir: &Path, only: Option<&str>) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("scenario.toml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| only.is_none_or(|o| n.contains(o)))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("no scenario under {}", dir.display()));
    }
    Ok(names)
}

/// Runs `c` `runs` times under `perf stat`, its output thrown away; a run that fails is an error.
fn times(c: &Command, runs: usize) -> Result<Times, String> {
    let out = std::env::temp_dir().join(format!("replay-bench-perf-{}", std::process::id()));
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let status = Command::new("perf")
            .args(["stat", "-x,", "-e", "task-clock,duration_time", "-o"])
            .arg(&out)
            .arg("--")
            .arg(c.get_program())
            .args(c.get_args())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("perf: {e} (apt-get install -y linux-perf)"))?;
        if !status.success() {
            return Err(format!("{c:?} failed: {status}"));
        }
        let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
        let field = |event: &str| {
            text.lines()
                .find(|l| l.split(',').nth(2) == Some(event))
                .and_then(|l| l.split(',').next()?.parse::<f64>().ok())
                .ok_or_else(|| format!("unexpected perf stat output: {text}"))
        };
        cpus.push(field("task-clock")?);
        // perf sometimes reports a duration of 0, or of some microseconds, for a process that
        // took milliseconds of CPU: not a measurement. No process starts in under 0.1 ms.
        let wall = field("duration_time")? / 1e6;
        if wall >= 0.1 {
            walls.push(wall);
        }
    }
    if walls.is_empty() {
        walls.push(f64::NAN);
    }
    let _ = std::fs::remove_file(&out);
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Ok(Times {
        wall_best: walls[0],
        wall_median: walls[walls.len() / 2],
        cpu_best: cpus[0],
        cpu_median: cpus[cpus.len() / 2],
    })
}
