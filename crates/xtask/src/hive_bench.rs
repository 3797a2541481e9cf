//! `cargo xtask hive-bench`: writes a large SOFTWARE-like hive (about 40 MB by default: regasm-style
//! CLSID registrations under `Classes\CLSID`, in `ri` index roots) with comsim-hive's test-only
//! writer, then times whole `comsim reg query` processes reading it, with `cat` of the same file in
//! the same run as a floor, and reports wall and CPU time and peak memory (the import bench's
//! `measure_interleaved`: `perf stat` and `/usr/bin/time`). A benchmark, not a test: the figures
//! go to docs/performance.md.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[path = "../../comsim-hive/tests/writer/mod.rs"]
mod writer;

use crate::import_bench::{builds, cmd, measure, measure_interleaved};
use crate::rng::Rng;
use writer::{Key, Layout};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the hive (created if missing).
    #[arg(long, default_value = "target/hive-bench")]
    pub dir: PathBuf,
    /// CLSIDs in the hive.
    #[arg(long, default_value_t = 25_000)]
    pub clsids: usize,
    /// Runs of each command; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// The comsim binary to measure; by default `cargo build --release -p comsim-cli` is run and
    /// `target/release/comsim` measured.
    #[arg(long)]
    pub comsim: Option<PathBuf>,
    /// Another comsim binary (an older build) measured in the same run, its lines marked
    /// "baseline", for a before and after comparison.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Also run each comsim command once under valgrind's callgrind and report the instructions
    /// of each thread.
    #[arg(long)]
    pub instructions: bool,
}

pub fn run(args: &Args) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hive-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn guid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn sz(s: &str) -> Vec<u8> {
    comsim_registry::utf16z(s)
}

/// One regasm-style registration: the class key, InprocServer32 and its version subkey.
fn clsid(rng: &mut Rng, i: usize) -> Key {
    let class = format!("Contoso.Generated.Component{i}");
    let asm = format!(
        "Contoso.Generated{}, Version=1.0.{}.0, Culture=neutral, PublicKeyToken=null",
        i % 97,
        i % 13
    );
    let values = |with_default: bool| {
        let mut v = vec![
            ("Class".to_owned(), 1, sz(&class)),
            ("Assembly".to_owned(), 1, sz(&asm)),
            ("RuntimeVersion".to_owned(), 1, sz("v4.0.30319")),
            (
                "CodeBase".to_owned(),
                1,
                sz(&format!(
                    "file:///C:/Program Files/Contoso/Generated{}.dll",
                    i % 97
                )),
            ),
        ];
        if with_default {
            v.insert(0, (String::new(), 1, sz("mscoree.dll")));
            v.insert(1, ("ThreadingModel".to_owned(), 1, sz("Both")));
        }
        v
    };
    Key {
        name: guid(rng),
        values: vec![(String::new(), 1, sz(&class))],
        children: vec![Key {
            name: "InprocServer32".into(),
            values: values(true),
            children: vec![Key {
                name: format!("1.0.{}.0", i % 13),
                values: values(false),
                children: vec![],
            }],
        }],
    }
}

fn hive(clsids: usize) -> (Vec<u8>, String) {
    let mut rng = Rng::new(12);
    let mut list: Vec<Key> = (0..clsids).map(|i| clsid(&mut rng, i)).collect();
    list.sort_by(|a, b| comsim_registry::compare_names(&a.name, &b.name));
    let probe = list[list.len() / 2].name.clone();
    let clsid = Key {
        name: "CLSID".into(),
        values: vec![],
        children: list,
    };
    let classes = Key {
        name: "Classes".into(),
        values: vec![],
        children: vec![clsid],
    };
    let root = Key {
        name: "ROOT".into(),
        values: vec![],
        children: vec![classes],
    };
    (writer::write(&root, Layout { leaf_max: 512 }), probe)
}

fn bench(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let (bytes, probe) = hive(args.clsids);
    let path = args.dir.join("SOFTWARE");
    std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let comsim = crate::import_bench::comsim_or_build(args.comsim.as_ref(), true)?;
    let file = path.as_os_str();
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "hive: {}, {mb:.1} MB, {} CLSIDs",
        path.display(),
        args.clsids
    );
    let one = format!("HKLM\\SOFTWARE\\Classes\\CLSID\\{probe}");
    let merged = format!("HKCR\\CLSID\\{probe}");
    let mut cases: Vec<(String, Command)> = vec![("cat (floor)".into(), cmd("cat", &[file]))];
    for (bin, mark) in builds(&comsim, args.baseline.as_deref()) {
        let query = |key: &str, subtree: bool| {
            let mut argv: Vec<&OsStr> = vec!["reg".as_ref(), "query".as_ref(), key.as_ref()];
            if subtree {
                argv.push("-s".as_ref());
            }
            argv.extend(["--hive".as_ref(), file]);
            cmd(bin, &argv)
        };
        cases.extend([
            (
                format!("reg query HKLM\\SOFTWARE\\Classes\\CLSID\\{{…}} -s (the keys on the way, the subtree){mark}"),
                query(&one, true),
            ),
            (
                format!("reg query HKCR\\CLSID\\{{…}} -s (the same keys, through REG-1){mark}"),
                query(&merged, true),
            ),
            (
                format!("reg query HKLM\\SOFTWARE (every key of the hive into the registry){mark}"),
                query("HKLM\\SOFTWARE", false),
            ),
        ]);
    }
    // Read once so that every command finds the file in the page cache.
    measure(&cases[0].1, 1, None)?;
    // One run of each command in turn, so that the baseline and the build see the same moments
    // of the host (`measure_interleaved`).
    let plan: Vec<_> = cases.iter().map(|(_, c)| (c, None)).collect();
    let timings = measure_interleaved(&plan, args.runs)?;
    for ((what, _), t) in cases.iter().zip(timings) {
        let ratio = t.peak_kb as f64 * 1024.0 / bytes.len() as f64;
        println!(
            "{what}: median {:.3} s wall, least {:.3} s CPU, peak RSS {:.1} MB ({ratio:.2}x the hive)",
            t.median,
            t.cpu,
            t.peak_kb as f64 / 1024.0
        );
    }
    if args.instructions {
        let mut counted = String::from(crate::instructions::TABLE_HEAD);
        crate::instructions::rows(&cases, "hive", &args.dir, &mut counted)?;
        println!("\n{counted}");
    }
    Ok(())
}
