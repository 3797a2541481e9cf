//! Instructions executed by a command, counted by valgrind's callgrind: a figure that does not
//! depend on how loaded the host is, where wall and CPU times on this shared machine drift by a
//! fifth within minutes (docs/performance.md). Callgrind runs the program some fifty times
//! slower; it is used at bench time only, never linked (it is GPL).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The head of the table [`rows`] adds to.
pub(crate) const TABLE_HEAD: &str = "| file | command | instructions, M (all threads) | M per thread (main first) |\n|---|---|---:|---|\n";

/// The programs the benches run as floors beside comsim: their instructions are not counted.
const FLOORS: [&str; 3] = ["cat", "wc", "iconv"];

/// One row of `table` per comsim command of `cmds` (the floors are left out): the instructions
/// of one run under callgrind, all threads and each. `label` names the input in the rows and the
/// profiles.
pub(crate) fn rows(
    cmds: &[(String, Command)],
    label: &str,
    dir: &Path,
    table: &mut String,
) -> Result<(), String> {
    for (i, (name, c)) in cmds.iter().enumerate() {
        if FLOORS.iter().any(|f| c.get_program() == *f) {
            continue;
        }
        let counts = per_thread(c, dir, &format!("{label}-{i}"))?;
        let _ = writeln!(
            table,
            "| {label} | `{name}` | {:.1} | {} |",
            counts.iter().sum::<u64>() as f64 / 1e6,
            millions(&counts)
        );
    }
    Ok(())
}

/// The instructions each thread of one run of `c` executed, in the order callgrind numbers the
/// threads (the main thread first). A thread id that ends is given to the next thread created,
/// so a later thread's count may include an earlier one's. `dir` holds the profiles, named after
/// `tag`; the ones of an earlier run of the same tag are removed first.
pub(crate) fn per_thread(c: &Command, dir: &Path, tag: &str) -> Result<Vec<u64>, String> {
    let prefix = format!("callgrind.{tag}.");
    for old in profiles(dir, &prefix)? {
        let _ = std::fs::remove_file(old);
    }
    let out = dir.join(format!("{prefix}%p"));
    let mut valgrind = Command::new("valgrind");
    valgrind
        .args(["--tool=callgrind", "--separate-threads=yes"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .stderr(Stdio::null());
    crate::import_bench::run_under(
        valgrind,
        c,
        "counting instructions needs valgrind: apt-get install -y valgrind",
    )?;
    // One profile per thread, `PREFIX<pid>-01`, `-02`, ...: sorted by name, they are in order.
    let counts: Vec<u64> = profiles(dir, &prefix)?
        .iter()
        .filter_map(|p| summary(&std::fs::read_to_string(p).ok()?))
        .collect();
    if counts.is_empty() {
        return Err(format!(
            "no callgrind profile of {c:?} in {}",
            dir.display()
        ));
    }
    Ok(counts)
}

/// The files of `dir` whose names start with `prefix`, sorted by name.
fn profiles(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(prefix))
        {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// The instruction count of a callgrind profile: its `summary:` line (the total of the events,
/// which are instructions only when no other event was asked for).
fn summary(profile: &str) -> Option<u64> {
    profile
        .lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Counts in millions, one decimal, joined by " + " (per thread).
pub(crate) fn millions(counts: &[u64]) -> String {
    counts
        .iter()
        .map(|&n| format!("{:.1}", n as f64 / 1e6))
        .collect::<Vec<_>>()
        .join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head of a profile as callgrind 3.19 writes it for one thread, and its last line.
    const PROFILE: &str = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 536\ncmd:  comsim reg query\npart: 1\nthread: 2\n\ndesc: I1 cache: \nevents: Ir\nsummary: 330247974\n\nfl=(1) x.rs\nfn=(1) f\n16 3\n\ntotals: 330247974\n";

    #[test]
    fn the_count_is_the_summary_line_of_a_profile() {
        assert_eq!(summary(PROFILE), Some(330_247_974));
        // No summary line, or one that is not a number: no count.
        for other in ["events: Ir\ntotals: 5\n", "summary: many\n"] {
            assert_eq!(summary(other), None, "{other:?}");
        }
    }

    #[test]
    fn counts_are_shown_in_millions_per_thread() {
        assert_eq!(millions(&[269_581_460, 294_246_915]), "269.6 + 294.2");
        assert_eq!(millions(&[999]), "0.0");
    }
}
