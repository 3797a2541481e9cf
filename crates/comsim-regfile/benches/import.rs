//! Import throughput and peak memory for a realistic `regedit /e HKEY_CLASSES_ROOT` export.
//!
//! `cargo bench -p comsim-regfile --bench import` generates (once, under `target/bench-data/`) UTF-16
//! exports with 20,000 and 200,000 CLSIDs, then for each one:
//!
//! - throughput: `import_bytes` in strict mode of the whole file (decoding included) into a fresh
//!   `Registry`, best of several runs, in MB/s of file bytes (MB = 10^6 bytes);
//! - peak memory: a child process (this binary again, with `--peak-child`) that imports the file with
//!   `import_file` and reports its own `VmHWM` from `/proc/self/status`; and, for comparison, one that
//!   reads the bytes itself and keeps them while calling `import_bytes`. The first child's import
//!   time is also shown ("cold"): a fresh process pays the kernel for every page it touches.
//!
//! Pass CLSID counts as arguments to choose the sizes (`... --bench import -- 20000`), and set
//! `COMSIM_BENCH_RUNS` to change the number of timed runs. Nothing here asserts on time: the targets
//! (500 MB/s, peak at most twice the file size) are read off the table.

#[path = "support/hkcr_gen.rs"]
mod hkcr_gen;

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use comsim_regfile::{ImportOptions, import_bytes, import_file};
use comsim_registry::Registry;

/// Bump when the generator's output changes, so that stale files are not reused.
const GENERATOR_VERSION: u32 = 1;
const DEFAULT_SIZES: [usize; 2] = [20_000, 200_000];
const MB: f64 = 1e6;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--peak-child") {
        let how = args.get(i + 1).expect("--peak-child MODE FILE");
        let file = args.get(i + 2).expect("--peak-child MODE FILE");
        peak_child(how, Path::new(file));
        return;
    }
    // `cargo bench` passes `--bench`; other flags are ignored too.
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = DEFAULT_SIZES.to_vec();
    }
    let runs: usize = std::env::var("COMSIM_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);

    let mut rows = Vec::new();
    for &clsids in &sizes {
        let path = ensure_file(clsids);
        rows.push(measure(clsids, &path, runs));
    }

    println!();
    println!(
        "| CLSIDs | file MB | keys | values | best s | MB/s | cold MB/s | peak MB | peak/file | peak MB, bytes held | peak/file, bytes held |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let file_mb = r.file_bytes as f64 / MB;
        println!(
            "| {} | {:.1} | {} | {} | {:.3} | {:.0} | {:.0} | {:.1} | {:.2} | {:.1} | {:.2} |",
            r.clsids,
            file_mb,
            r.keys,
            r.values,
            r.best.as_secs_f64(),
            file_mb / r.best.as_secs_f64(),
            file_mb / r.peak_file.secs,
            r.peak_file.bytes as f64 / MB,
            r.peak_file.bytes as f64 / r.file_bytes as f64,
            r.peak_bytes.bytes as f64 / MB,
            r.peak_bytes.bytes as f64 / r.file_bytes as f64,
        );
    }
}

struct Row {
    clsids: usize,
    file_bytes: u64,
    keys: usize,
    values: usize,
    best: Duration,
    /// A process that runs `import_file`.
    peak_file: Child,
    /// A process that reads the file and keeps the bytes while it runs `import_bytes`.
    peak_bytes: Child,
}

/// What a `--peak-child` process reports.
struct Child {
    /// Peak resident set, in bytes.
    bytes: u64,
    /// How long the import took (reading the file included), in seconds.
    secs: f64,
}

fn measure(clsids: usize, path: &Path, runs: usize) -> Row {
    let bytes = fs::read(path).expect("read the generated file");
    let opts = ImportOptions::default();
    let mut best = Duration::MAX;
    let mut keys = 0;
    let mut values = 0;
    for run in 0..runs.max(1) {
        let mut reg = Registry::new();
        let cpu = cpu_times();
        let start = Instant::now();
        let report = import_bytes(&mut reg, "hkcr.reg", &bytes, &opts)
            .unwrap_or_else(|e| panic!("the generated file imports strictly: {e}"));
        let took = start.elapsed();
        let (user, system) = cpu_times();
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        eprintln!(
            "{clsids} CLSIDs, run {}: {:.3} s ({:.2} s user, {:.2} s system), {:.0} MB/s",
            run + 1,
            took.as_secs_f64(),
            user - cpu.0,
            system - cpu.1,
            bytes.len() as f64 / MB / took.as_secs_f64()
        );
        best = best.min(took);
        keys = reg.key_count();
        values = count_values(&reg);
        // Dropping a large registry is not part of the import.
        drop(reg);
    }
    let file_bytes = bytes.len() as u64;
    drop(bytes);
    Row {
        clsids,
        file_bytes,
        keys,
        values,
        best,
        peak_file: peak_of("file", path),
        peak_bytes: peak_of("bytes", path),
    }
}

/// This process's user and system CPU time in seconds, from `/proc/self/stat` (zero elsewhere).
/// System time during an import is mostly the kernel handing out fresh pages.
fn cpu_times() -> (f64, f64) {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let field = |i: usize| -> f64 {
        after
            .split_whitespace()
            .nth(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks are 100 per second on Linux.
    (field(11) / 100.0, field(12) / 100.0)
}

fn count_values(reg: &Registry) -> usize {
    let mut n = 0;
    for hive in comsim_registry::Hive::ALL {
        let mut stack = vec![reg.root(hive)];
        while let Some(k) = stack.pop() {
            n += reg.values(k).len();
            stack.extend(reg.subkeys(k).map(|(_, c)| c));
        }
    }
    n
}

/// Runs this binary as a child that imports `path`; returns its peak RSS and import time.
fn peak_of(how: &str, path: &Path) -> Child {
    let exe = std::env::current_exe().expect("the bench binary's path");
    let out = Command::new(exe)
        .arg("--peak-child")
        .arg(how)
        .arg(path)
        .output()
        .expect("run the peak-memory child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "peak-memory child failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("the child reports {name}: {stdout}"))
    };
    Child {
        bytes: field("vmhwm_kib=") as u64 * 1024,
        secs: field("secs="),
    }
}

/// The child: import the file one way, then report the process's peak resident set.
fn peak_child(how: &str, path: &Path) {
    let mut reg = Registry::new();
    let opts = ImportOptions::default();
    let start = Instant::now();
    match how {
        "file" => {
            import_file(&mut reg, path, "hkcr.reg", &opts).expect("import");
        }
        "bytes" => {
            let bytes = fs::read(path).expect("read");
            import_bytes(&mut reg, "hkcr.reg", &bytes, &opts).expect("import");
            drop(bytes);
        }
        other => panic!("unknown child mode {other}"),
    }
    let secs = start.elapsed().as_secs_f64();
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status");
    println!("vmhwm_kib={kib}");
    println!("secs={secs}");
    println!("keys={}", reg.key_count());
    // The parent has what it needs: skip freeing millions of keys one by one.
    std::process::exit(0);
}

/// The generated export for `clsids` classes, written on first use.
fn ensure_file(clsids: usize) -> PathBuf {
    let dir = target_dir().join("bench-data");
    let path = dir.join(format!("hkcr-{clsids}-v{GENERATOR_VERSION}.reg"));
    if path.exists() {
        return path;
    }
    fs::create_dir_all(&dir).expect("create target/bench-data");
    let tmp = path.with_extension("tmp");
    let start = Instant::now();
    let file = fs::File::create(&tmp).expect("create the export");
    let g = hkcr_gen::generate(clsids, BufWriter::new(file)).expect("write the export");
    fs::rename(&tmp, &path).expect("rename the export");
    eprintln!(
        "generated {} ({:.1} MB, {} keys, {} values) in {:.1} s",
        path.display(),
        g.bytes as f64 / MB,
        g.keys,
        g.values,
        start.elapsed().as_secs_f64()
    );
    path
}

/// The cargo target directory: the bench runs as `<target>/<profile>/deps/import-<hash>`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the bench binary's path");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}
