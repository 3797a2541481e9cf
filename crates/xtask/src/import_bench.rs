//! `cargo xtask import-bench`: `.reg` import and `reg export` timed as a user runs them, whole
//! processes, beside `cat`, `wc -l` and `iconv` on the same file (docs/performance.md).
//!
//! It writes two exports of the same machine's `HKEY_LOCAL_MACHINE\SOFTWARE\Classes` (the
//! generator of `crates/comsim-regfile/benches/support/hkcr_gen.rs`: UTF-16LE, regedit's layout,
//! CLSIDs with `InprocServer32` and managed values, ProgIDs, type libraries, `Wow6432Node`): one in
//! regedit's order (keys sorted, depth first) and one with the same key blocks shuffled. Then it
//! runs each command several times as a fresh process, alone for its wall time (the best and the
//! median are reported) and under `perf stat` and `/usr/bin/time` for its CPU time and peak RSS.
//! The file is read once first, so every command finds it in the page cache: the figures are of
//! the work, not of the disk.

#[path = "../../comsim-regfile/benches/support/hkcr_gen.rs"]
mod hkcr_gen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::rng::Rng;

/// Bump when the generated files change, so that stale ones are not reused.
const GENERATOR_VERSION: u32 = 1;
const ROOT: &str = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes";
/// A small key that every generated file has, for `reg query` (the output stays tiny).
const QUERY_KEY: &str =
    "HKLM\\SOFTWARE\\Classes\\Component Categories\\{62C8FE65-4EBB-45E7-B440-6E39B2CDBF29}";
const MB: f64 = 1e6;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the generated exports and the outputs go.
    #[arg(long, default_value = "target/import-bench")]
    pub dir: PathBuf,
    /// CLSIDs in the generated machine (11,000 make a 32 MB export).
    #[arg(long, default_value_t = 11_000)]
    pub clsids: usize,
    /// Runs of each command; the table shows the best and the median.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// The comsim binary to measure; by default `cargo build --release -p comsim-cli` is run and
    /// `target/release/comsim` measured.
    #[arg(long)]
    pub comsim: Option<PathBuf>,
    /// Another comsim binary (an older build) measured in the same run, its rows marked
    /// "baseline", for a before and after table.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Also run each comsim command once under valgrind's callgrind and report the instructions
    /// of each thread: a figure that does not move with the host's load (some 30 s a command).
    #[arg(long)]
    pub instructions: bool,
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

/// One command's runs.
pub(crate) struct Timing {
    pub(crate) best: f64,
    pub(crate) median: f64,
    /// The least CPU time (user and system) of the runs.
    pub(crate) cpu: f64,
    pub(crate) peak_kb: u64,
}

fn bench(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let comsim = comsim_or_build(args.comsim.as_ref(), true)?;
    let sorted = args.dir.join(format!(
        "classes-{}-v{GENERATOR_VERSION}-sorted.reg",
        args.clsids
    ));
    let random = args.dir.join(format!(
        "classes-{}-v{GENERATOR_VERSION}-random.reg",
        args.clsids
    ));
    if !sorted.exists() || !random.exists() {
        generate(args.clsids, &sorted, &random)?;
    }
    let mut table = String::from(
        "| file | command | wall s (best) | wall s (median) | MB/s (best wall) | CPU s (least) | MB/s (CPU) | peak RSS MB | RSS / file |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut notes = String::new();
    let mut counted = String::from(crate::instructions::TABLE_HEAD);
    for (label, file) in [("sorted", &sorted), ("random", &random)] {
        let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len() as f64;
        let out = args.dir.join(format!("export-{label}.reg"));
        // Read once so that every command finds the file in the page cache.
        measure(&cmd("cat", &[file.as_os_str()]), 1, None)?;
        let cmds = commands(file, &out, &comsim, args.baseline.as_ref());
        let plan: Vec<(&Command, Option<&Path>)> = cmds
            .iter()
            .map(|(name, c)| {
                let writes = name.starts_with("comsim reg export");
                (c, writes.then_some(out.as_path()))
            })
            .collect();
        let timings = measure_interleaved(&plan, args.runs)?;
        if args.instructions {
            crate::instructions::rows(&cmds, label, &args.dir, &mut counted)?;
        }
        let mut query = (0.0, 0.0);
        for ((name, c), t) in cmds.iter().zip(timings) {
            let _ = writeln!(
                table,
                "| {label} | `{name}` | {:.3} | {:.3} | {:.0} | {:.3} | {:.0} | {:.1} | {:.2} |",
                t.best,
                t.median,
                size / MB / t.best,
                t.cpu,
                size / MB / t.cpu,
                t.peak_kb as f64 * 1024.0 / MB,
                t.peak_kb as f64 * 1024.0 / size,
            );
            let mark = if name.ends_with("(baseline)") {
                " (baseline)"
            } else {
                ""
            };
            if name.starts_with("comsim reg query") {
                query = (t.best, t.cpu);
            } else if name.starts_with("comsim reg export") {
                let (written, same) = export_again(name, c, &out, &sorted)?;
                let _ = writeln!(
                    notes,
                    "- {label}{mark}: export wrote {:.1} MB{}; the export's share (export minus query): {:.3} s wall, {:.0} MB/s of output; {:.3} s CPU, {:.0} MB/s",
                    written / MB,
                    if same {
                        ", byte-identical to the sorted file"
                    } else {
                        ", DIFFERENT from the sorted file"
                    },
                    t.best - query.0,
                    written / MB / (t.best - query.0).max(1e-6),
                    t.cpu - query.1,
                    written / MB / (t.cpu - query.1).max(1e-6),
                );
            }
        }
    }
    println!("\n{table}\n{notes}");
    if args.instructions {
        println!("\n{counted}");
    }
    Ok(())
}

/// The commands measured on `file`: the floors, then for the baseline (if any) and the build the
/// import (a query of one small key) and the export of everything to `out`.
fn commands(
    file: &Path,
    out: &Path,
    comsim: &Path,
    baseline: Option<&PathBuf>,
) -> Vec<(String, Command)> {
    let f = file.as_os_str();
    let mut cmds: Vec<(String, Command)> = vec![
        ("cat".into(), cmd("cat", &[f])),
        ("wc -l".into(), cmd("wc", &["-l".as_ref(), f])),
        (
            "iconv -f UTF-16LE -t UTF-8".into(),
            cmd(
                "iconv",
                &[
                    "-f".as_ref(),
                    "UTF-16LE".as_ref(),
                    "-t".as_ref(),
                    "UTF-8".as_ref(),
                    f,
                ],
            ),
        ),
    ];
    for (bin, mark) in builds(comsim, baseline.map(PathBuf::as_path)) {
        let query = ["reg", "query", QUERY_KEY, "--reg"].map(std::ffi::OsStr::new);
        let mut q: Vec<&std::ffi::OsStr> = query.to_vec();
        q.push(f);
        cmds.push((format!("comsim reg query KEY --reg{mark}"), cmd(bin, &q)));
        let export = ["reg", "export", ROOT, "--reg"].map(std::ffi::OsStr::new);
        let mut e: Vec<&std::ffi::OsStr> = export.to_vec();
        e.extend([f, "-o".as_ref(), out.as_os_str()]);
        cmds.push((
            format!("comsim reg export ROOT --reg -o{mark}"),
            cmd(bin, &e),
        ));
    }
    cmds
}

/// The builds a bench measures, each with the mark its rows carry: the baseline first (if one was
/// given), then the build.
pub(crate) fn builds<'a>(
    comsim: &'a Path,
    baseline: Option<&'a Path>,
) -> Vec<(&'a Path, &'static str)> {
    baseline
        .map(|b| (b, " (baseline)"))
        .into_iter()
        .chain([(comsim, "")])
        .collect()
}

/// Runs the export command `c` once more and reads what it wrote to `out`: its size in bytes, and
/// whether it is byte for byte `expected`. The timed runs were interleaved, so `out` held the last
/// export's bytes, which may be another build's.
fn export_again(
    name: &str,
    c: &Command,
    out: &Path,
    expected: &Path,
) -> Result<(f64, bool), String> {
    let _ = std::fs::remove_file(out);
    let mut again = Command::new(c.get_program());
    again.args(c.get_args()).stdout(Stdio::null());
    let status = again.status().map_err(|e| format!("{name}: {e}"))?;
    if !status.success() {
        return Err(format!("{name} failed: {status}"));
    }
    let written = std::fs::metadata(out).map_or(0, |m| m.len()) as f64;
    let same = std::fs::read(out).ok() == std::fs::read(expected).ok();
    Ok((written, same))
}

pub(crate) fn cmd(program: impl AsRef<std::ffi::OsStr>, args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// Runs `c` `runs` times, its output thrown away, and each time twice: alone, for the wall time a
/// user sees, and under `perf stat` (the CPU time of the process, to the microsecond) and
/// `/usr/bin/time` (its peak RSS), which add some 20 ms of their own to a wall time. `fresh`, if
/// given, is removed before each run, outside the timing: a command that writes it then creates it
/// instead of truncating the previous run's output, which is the file system's work, not the
/// command's (replacing a 32 MB file costs 10 to 20 ms whatever writes it).
pub(crate) fn measure(c: &Command, runs: usize, fresh: Option<&Path>) -> Result<Timing, String> {
    let mut t = measure_interleaved(&[(c, fresh)], runs)?;
    Ok(t.remove(0))
}

/// [`measure`] of several commands, one run of each in turn, `runs` rounds: the host's speed
/// drifts by a fifth or more over a minute here, and commands measured one block after another
/// (a baseline's runs, then the build's) would compare two moments of the host as well as two
/// builds. Interleaved, every command sees the same moments.
pub(crate) fn measure_interleaved(
    cmds: &[(&Command, Option<&Path>)],
    runs: usize,
) -> Result<Vec<Timing>, String> {
    let tmp = std::env::temp_dir();
    let perf_out = tmp.join(format!("import-bench-perf-{}", std::process::id()));
    let time_out = tmp.join(format!("import-bench-time-{}", std::process::id()));
    let mut samples: Vec<Samples> = cmds.iter().map(|_| Samples::default()).collect();
    for _ in 0..runs.max(1) {
        for ((c, fresh), acc) in cmds.iter().zip(&mut samples) {
            run_once(c, *fresh, (&perf_out, &time_out), acc)?;
        }
    }
    let _ = std::fs::remove_file(&perf_out);
    let _ = std::fs::remove_file(&time_out);
    Ok(samples.into_iter().map(Samples::timing).collect())
}

/// What the runs of one command gave so far.
struct Samples {
    walls: Vec<f64>,
    cpu: f64,
    peak_kb: u64,
}

impl Default for Samples {
    fn default() -> Self {
        Samples {
            walls: Vec::new(),
            cpu: f64::MAX,
            peak_kb: 0,
        }
    }
}

impl Samples {
    fn timing(mut self) -> Timing {
        self.walls.sort_by(f64::total_cmp);
        Timing {
            best: self.walls[0],
            median: self.walls[self.walls.len() / 2],
            cpu: self.cpu,
            peak_kb: self.peak_kb,
        }
    }
}

/// One run of `c` alone (its wall time) and one under `perf stat` and `/usr/bin/time` (its CPU
/// time and peak RSS), added to `acc`.
fn run_once(
    c: &Command,
    fresh: Option<&Path>,
    (perf_out, time_out): (&Path, &Path),
    acc: &mut Samples,
) -> Result<(), String> {
    let remove = || {
        if let Some(f) = fresh {
            let _ = std::fs::remove_file(f);
        }
    };
    remove();
    let mut alone = Command::new(c.get_program());
    alone.args(c.get_args()).stdout(Stdio::null());
    let start = Instant::now();
    let status = alone
        .status()
        .map_err(|e| format!("{:?}: {e}", c.get_program()))?;
    acc.walls.push(start.elapsed().as_secs_f64());
    if !status.success() {
        return Err(format!("{c:?} failed: {status}"));
    }
    remove();
    let mut timed = Command::new("perf");
    timed
        .args(["stat", "-x,", "-e", "task-clock", "-o"])
        .arg(perf_out)
        .args(["--", "/usr/bin/time", "-f", "%M", "-o"])
        .arg(time_out);
    run_under(
        timed,
        c,
        "the benchmark needs `perf` and `/usr/bin/time`: apt-get install -y linux-perf time",
    )?;
    let perf = std::fs::read_to_string(perf_out).map_err(|e| e.to_string())?;
    let msec = perf
        .lines()
        .find(|l| l.contains("task-clock"))
        .and_then(|l| l.split(',').next()?.parse::<f64>().ok())
        .ok_or_else(|| format!("unexpected perf stat output: {perf}"))?;
    acc.cpu = acc.cpu.min(msec / 1e3);
    let time = std::fs::read_to_string(time_out).map_err(|e| e.to_string())?;
    let kb = time.split_whitespace().last().and_then(|m| m.parse().ok());
    acc.peak_kb = acc
        .peak_kb
        .max(kb.ok_or_else(|| format!("unexpected /usr/bin/time output: {time}"))?);
    Ok(())
}

/// Runs `c` under `tool` (a command given its own arguments, which `c`'s program and arguments
/// follow), `c`'s output thrown away; `missing` says what to install when `tool` cannot start.
pub(crate) fn run_under(mut tool: Command, c: &Command, missing: &str) -> Result<(), String> {
    tool.arg(c.get_program())
        .args(c.get_args())
        .stdout(Stdio::null());
    let status = tool
        .status()
        .map_err(|e| format!("{:?}: {e} ({missing})", tool.get_program()))?;
    if !status.success() {
        return Err(format!(
            "{c:?} failed under {:?}: {status}",
            tool.get_program()
        ));
    }
    Ok(())
}

/// The `comsim` binary a bench measures: the one given (`--comsim`), else the workspace's own,
/// built first (`--release` when `release`).
pub(crate) fn comsim_or_build(given: Option<&PathBuf>, release: bool) -> Result<PathBuf, String> {
    match given {
        Some(p) => Ok(p.clone()),
        None => build_comsim(release),
    }
}

/// Builds the `comsim` binary (`--release` when `release`) in the workspace and returns its path.
pub(crate) fn build_comsim(release: bool) -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["build", "-q", "-p", "comsim-cli"];
    if release {
        args.push("--release");
    }
    let status = Command::new(cargo)
        .args(&args)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo {} failed", args.join(" ")));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |t| root.join(PathBuf::from(t)));
    let profile = if release { "release" } else { "debug" };
    Ok(target.join(profile).join("comsim"))
}

/// Writes the sorted export and the same key blocks in a seeded random order.
pub(crate) fn generate(clsids: usize, sorted: &Path, random: &Path) -> Result<(), String> {
    let mut bytes = Vec::new();
    let g = hkcr_gen::generate_under(ROOT, clsids, &mut bytes).map_err(|e| e.to_string())?;
    std::fs::write(sorted, &bytes).map_err(|e| format!("{}: {e}", sorted.display()))?;
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .collect();
    let text = String::from_utf16(&units).map_err(|e| e.to_string())?;
    let shuffled = shuffle_keys(&text, clsids as u64);
    let mut out = vec![0xFF, 0xFE];
    out.extend(shuffled.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(random, &out).map_err(|e| format!("{}: {e}", random.display()))?;
    println!(
        "generated {} ({:.1} MB, {} keys, {} values) and {}",
        sorted.display(),
        g.bytes as f64 / MB,
        g.keys,
        g.values,
        random.display()
    );
    Ok(())
}

/// The same file with its key blocks (a key line and the value lines after it) in random order.
fn shuffle_keys(text: &str, seed: u64) -> String {
    let body_start = text.find("\r\n[").unwrap_or(text.len());
    let (header, body) = text.split_at(body_start);
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    // Only key lines start with `[` (continuation lines start with blanks).
    let mut keys: Vec<&str> = body.split("\r\n[").filter(|b| !b.is_empty()).collect();
    let mut rng = Rng::new(seed ^ 0x5EED);
    for i in (1..keys.len()).rev() {
        keys.swap(i, rng.below(i + 1));
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(header);
    for k in &keys {
        out.push_str("\r\n[");
        out.push_str(k);
    }
    out.push_str("\r\n");
    out
}
