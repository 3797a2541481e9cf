//! `cargo xtask audit-bench`: `comsim audit --reg FILE` timed as a user runs it, a whole process,
//! on a generated export of many CLSIDs (the import-bench's generator: `hkcr_gen.rs`, native
//! in-process servers and regasm-style managed registrations, `Wow6432Node` copies), in regedit's
//! order and with its key blocks shuffled, beside `comsim reg query` on the same file (the import
//! alone) and `cat`. docs/performance.md reports the table it prints.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::import_bench::{builds, cmd, comsim_or_build, generate, measure, measure_interleaved};

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
    /// Another comsim binary (an older build), measured in the same run: its runs alternate with
    /// the build's, so that both see the same moments of the host.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Also run each comsim command once under valgrind's callgrind and report the instructions
    /// of each thread (fifty times slower: use it with `--clsids 20000` or fewer).
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

fn bench(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let comsim = comsim_or_build(args.comsim.as_ref(), true)?;
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
    let mut counted = String::from(crate::instructions::TABLE_HEAD);
    let mut table = String::from(
        "| file | command | wall s (best) | wall s (median) | CPU s (least) | peak RSS MB |\n|---|---|---:|---:|---:|---:|\n",
    );
    for (label, file) in [("sorted", &sorted), ("random", &random)] {
        let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len() as f64;
        let f = file.as_os_str();
        measure(&cmd("cat", &[f]), 1, None)?;
        let parts = import_parts(file, PART_BYTES)?;
        // `--reg PART` once per part: `reg query` takes one file per `--reg`.
        let regs: Vec<&std::ffi::OsStr> = parts
            .iter()
            .flat_map(|p| ["--reg".as_ref(), p.as_os_str()])
            .collect();
        let query = "HKLM\\SOFTWARE\\Classes\\CLSID";
        let mut query_args: Vec<&std::ffi::OsStr> =
            vec!["reg".as_ref(), "query".as_ref(), query.as_ref()];
        query_args.extend(&regs);
        let mut audit_args: Vec<&std::ffi::OsStr> = vec!["audit".as_ref()];
        audit_args.extend(&regs);
        audit_args.extend(["--format", "csv"].map(std::ffi::OsStr::new));
        let mut cmds = vec![("cat".to_owned(), cmd("cat", &[f]))];
        for (bin, mark) in builds(&comsim, args.baseline.as_deref()) {
            cmds.push((
                format!(
                    "comsim reg query {query} --reg FILE ({} part(s); import only){mark}",
                    parts.len()
                ),
                cmd(bin, &query_args),
            ));
            cmds.push((
                format!(
                    "comsim audit --reg FILE ({} part(s)) --format csv{mark}",
                    parts.len()
                ),
                cmd(bin, &audit_args),
            ));
        }
        let plan: Vec<_> = cmds.iter().map(|(_, c)| (c, None)).collect();
        let timings = measure_interleaved(&plan, args.runs)?;
        if args.instructions {
            crate::instructions::rows(&cmds, label, &args.dir, &mut counted)?;
        }
        for ((what, _), t) in cmds.iter().zip(timings) {
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
    if args.instructions {
        println!("\n{counted}");
    }
    Ok(())
}

/// The most bytes a part given to `--reg` holds: comsim imports `.reg` files of at most 256 MiB.
const PART_BYTES: usize = 200 << 20;

/// The export as `comsim audit` can import it: the file itself when it is under the importer's
/// cap, else parts of at most about `max` bytes, cut where a key line starts, each with the
/// header.
fn import_parts(file: &std::path::Path, max: usize) -> Result<Vec<PathBuf>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if bytes.len() <= max {
        return Ok(vec![file.to_path_buf()]);
    }
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .collect();
    drop(bytes);
    let text = String::from_utf16(&units).map_err(|e| e.to_string())?;
    drop(units);
    let body_start = text.find("\r\n[").unwrap_or(text.len());
    let (header, body) = text.split_at(body_start);
    let mut parts = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        // UTF-16: two bytes a unit, so about max / 2 characters (less the header).
        let mut want = (max / 2)
            .saturating_sub(header.len())
            .max(1)
            .min(rest.len());
        while !rest.is_char_boundary(want) {
            want -= 1;
        }
        let cut = if want == rest.len() {
            rest.len()
        } else {
            rest[..want]
                .rfind("\r\n[")
                .filter(|&c| c > 0)
                .unwrap_or(want)
        };
        // A part always advances: one that would be empty takes the rest.
        let cut = if cut == 0 { rest.len() } else { cut };
        let (part, tail) = rest.split_at(cut);
        let path = file.with_extension(format!("part{}.reg", parts.len() + 1));
        let mut out = vec![0xFF, 0xFE];
        out.extend(
            header
                .encode_utf16()
                .chain(part.encode_utf16())
                .chain("\r\n".encode_utf16())
                .flat_map(u16::to_le_bytes),
        );
        std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
        parts.push(path);
        rest = tail;
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    /// An export over the cap is cut into parts that each import (strict), and that together
    /// hold every key of the whole file.
    #[test]
    fn parts_import_and_hold_every_key() {
        let dir = std::env::temp_dir().join(format!("audit-bench-parts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (sorted, random) = (dir.join("s.reg"), dir.join("r.reg"));
        crate::import_bench::generate(40, &sorted, &random).unwrap();
        let parts = super::import_parts(&sorted, 8 << 10).unwrap();
        assert!(parts.len() > 2, "{} parts", parts.len());
        let keys = |files: &[std::path::PathBuf]| {
            let mut reg = comsim_registry::Registry::new();
            for f in files {
                let opts = comsim_regfile::ImportOptions::default();
                comsim_regfile::import_file(&mut reg, f, "part", &opts).unwrap();
            }
            comsim_regfile::dump(&reg)
        };
        assert_eq!(keys(&parts), keys(std::slice::from_ref(&sorted)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
