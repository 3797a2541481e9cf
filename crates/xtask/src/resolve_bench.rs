//! `cargo xtask resolve-bench`: the resolver's cost per request, in-process on a warm heap (a
//! component figure, not a whole process). It writes a scenario whose registry is the machine of
//! `replay-bench-scenario` (`--clsids` classes, one in ten managed, `regasm /codebase` style;
//! the others native in-process servers), with the managed classes' assemblies present for
//! half of the libraries (so binding succeeds for some and fails for the others), loads it with
//! `comsim_scenario::load`, and then, for each of the 8 process configurations of an audit
//! (32/64-bit × CLR 2.0/4.0 × elevated or not), starts one managed client process and makes
//! `Activator.CreateInstance` of every class. It reports the time per request, best of
//! `--runs`, for the full trace and for the quiet one (`Session::quiet`), and checks that the
//! two end in the same outcomes with the same rule and code at every step.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use comsim_manifest::Guid;
use comsim_resolver::{Bitness, Process, Request, Session, TraceMode};

use crate::replay_bench::machine_classes;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the generated scenario goes.
    #[arg(long, default_value = "target/resolve-bench")]
    pub dir: PathBuf,
    /// CLSIDs in the machine's registry.
    #[arg(long, default_value_t = 20_000)]
    pub clsids: usize,
    /// Timed runs of each configuration; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

pub fn run(args: &Args) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("resolve-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An audit's process configuration.
#[derive(Debug, Clone, Copy)]
struct Config {
    bitness: Bitness,
    clr: (u32, u32),
    elevated: bool,
}

impl Config {
    fn all() -> Vec<Config> {
        let mut all = Vec::new();
        for bitness in [Bitness::B32, Bitness::B64] {
            for clr in [(2, 0), (4, 0)] {
                for elevated in [false, true] {
                    all.push(Config {
                        bitness,
                        clr,
                        elevated,
                    });
                }
            }
        }
        all
    }

    fn label(self) -> String {
        format!(
            "{}, CLR {}.{}{}",
            self.bitness,
            self.clr.0,
            self.clr.1,
            if self.elevated { ", elevated" } else { "" }
        )
    }
}

fn bench(args: &Args) -> Result<(), String> {
    let clsids = write_scenario(args)?;
    let start = Instant::now();
    let scenario =
        comsim_scenario::load(&args.dir.join("scenario.toml")).map_err(|d| d.to_string())?;
    println!(
        "loaded {} classes in {:.0} ms",
        clsids.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let mut table = String::from(
        "| configuration | requests | full: µs per request | quiet: µs per request | full / quiet |\n|---|---:|---:|---:|---:|\n",
    );
    let (mut full_total, mut quiet_total) = (0.0, 0.0);
    for config in Config::all() {
        let mut p = scenario.process.clone();
        p.bitness = config.bitness;
        p.elevated = config.elevated;
        let run = |quiet: bool| {
            best_of(args.runs, || {
                requests(
                    &scenario.machine,
                    &p,
                    &scenario.switches,
                    config,
                    quiet,
                    &clsids,
                )
            })
        };
        let full = run(false);
        let quiet = run(true);
        same_outcomes(&scenario.machine, &p, &scenario.switches, config, &clsids)?;
        let per = |s: f64| s * 1e6 / clsids.len() as f64;
        full_total += full;
        quiet_total += quiet;
        let _ = writeln!(
            table,
            "| {} | {} | {:.2} | {:.2} | {:.2} |",
            config.label(),
            clsids.len(),
            per(full),
            per(quiet),
            full / quiet
        );
    }
    let _ = writeln!(
        table,
        "| all 8 | {} | {:.2} s in all | {:.2} s in all | {:.2} |",
        clsids.len() * 8,
        full_total,
        quiet_total,
        full_total / quiet_total
    );
    println!("\n{table}");
    Ok(())
}

/// The best wall time of `runs` calls, in seconds.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

/// One client process of `config` creating an instance of every class.
fn requests(
    m: &comsim_resolver::Machine,
    p: &Process,
    sw: &comsim_resolver::Switches,
    config: Config,
    quiet: bool,
    clsids: &[Guid],
) {
    let mut s = Session::start_with(m, p, sw, Some(config.clr), mode(quiet));
    for &clsid in clsids {
        std::hint::black_box(s.request(&Request::CreateInstance { clsid }, None));
    }
}

/// The quiet runs end as the full ones, step for step the same rules and codes.
fn same_outcomes(
    m: &comsim_resolver::Machine,
    p: &Process,
    sw: &comsim_resolver::Switches,
    config: Config,
    clsids: &[Guid],
) -> Result<(), String> {
    let mut full = Session::start_with(m, p, sw, Some(config.clr), TraceMode::Full);
    let mut quiet = Session::start_with(m, p, sw, Some(config.clr), TraceMode::Quiet);
    for &clsid in clsids {
        let req = Request::CreateInstance { clsid };
        let (a, b) = (full.request(&req, None), quiet.request(&req, None));
        let steps = |r: &comsim_resolver::Run| -> Vec<_> {
            r.trace.steps.iter().map(|s| (s.rule, s.code)).collect()
        };
        if a.outcome != b.outcome || steps(&a) != steps(&b) {
            return Err(format!(
                "{}: {clsid}: the quiet run differs from the full one",
                config.label()
            ));
        }
    }
    Ok(())
}

/// Writes `machine.reg` and `scenario.toml`; returns the classes.
fn write_scenario(args: &Args) -> Result<Vec<Guid>, String> {
    let io = |p: &std::path::Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(&args.dir).map_err(|e| io(&args.dir, e))?;
    let (reg, clsids) = machine_classes(args.clsids);
    let path = args.dir.join("machine.reg");
    std::fs::write(&path, reg).map_err(|e| io(&path, e))?;
    let path = args.dir.join("scenario.toml");
    std::fs::write(&path, scenario_toml(&clsids)).map_err(|e| io(&path, e))?;
    clsids
        .iter()
        .map(|c| Guid::parse(c).ok_or_else(|| format!("bad generated CLSID {c}")))
        .collect()
}

/// The machine, its client, and the assemblies of the even-numbered libraries (the
/// generator's `Vendor{lib}.Component`, eight managed classes each).
fn scenario_toml(clsids: &[String]) -> String {
    let mut out = String::from(
        r#"title = "Resolver benchmark"
description = "Generated by `cargo xtask resolve-bench`."

[machine]
os = "x64"
clrs = ["v2.0.50727", "v4.0.30319"]
registry = ["machine.reg"]

[[machine.assembly]]
path = 'C:\App\Client.exe'
name = "Client"
version = "1.0.0.0"
runtime = "v4.0.30319"
"#,
    );
    for lib in (0..clsids.len().div_ceil(80)).step_by(2) {
        let _ = write!(
            out,
            "\n[[machine.assembly]]\npath = 'C:\\Program Files\\Vendor{lib}\\Vendor{lib}.Component.dll'\nname = \"Vendor{lib}.Component\"\nversion = \"1.0.{lib}.0\"\nruntime = \"v4.0.30319\"\n"
        );
        for i in (lib * 80..(lib * 80 + 80).min(clsids.len())).step_by(10) {
            let _ = write!(
                out,
                "\n  [[machine.assembly.type]]\n  name = \"Vendor{lib}.Component.Thing{i}\"\n  guid = \"{}\"\n",
                clsids[i]
            );
        }
    }
    let _ = write!(
        out,
        r#"
[process]
exe = 'C:\App\Client.exe'
client = "managed"
bitness = 64
apartment = "sta"

[[step]]
name = "one class"
create_instance = "{}"
"#,
        clsids[0]
    );
    out
}

fn mode(quiet: bool) -> TraceMode {
    if quiet {
        TraceMode::Quiet
    } else {
        TraceMode::Full
    }
}
