//! `cargo xtask conformance-hive`: every hive of `fixtures/hives/` read by comsim-hive and by
//! hivex (`hivexregedit --export`, a second implementation), compared as `comsim_regfile::dump`
//! of the registry each gives. hivexregedit's export is imported with comsim's lenient `.reg`
//! reader; it writes every value as `hex(N):` bytes, so data is compared byte for byte.
//!
//! A disagreement is a bug, or a known deviation listed in `tests/conformance/hive/deviations.toml`
//! whose predicate (its kind) holds for every differing line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use comsim_regfile::{Encoding, ImportOptions, Mode, dump, import_bytes};
use comsim_registry::{KeyPath, Registry};
use serde::Deserialize;

use crate::deviations;

/// The kinds of known deviation, each a predicate over the differing dump lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    /// hivexregedit prints a name stored one byte per character as those raw bytes (Latin-1),
    /// not as UTF-8: every differing line holds a character outside ASCII.
    NonAsciiNames,
}

impl Kind {
    fn holds(self, line: &str) -> bool {
        match self {
            Kind::NonAsciiNames => !line.is_ascii(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run only the fixtures whose file name contains TEXT.
    #[arg(long)]
    only: Option<String>,
}

/// Each fixture and the key it is mounted at (hivexregedit's `--prefix`).
const FIXTURES: &[(&str, &str)] = &[
    ("SOFTWARE", "HKEY_LOCAL_MACHINE\\SOFTWARE"),
    ("NTUSER.DAT", "HKEY_CURRENT_USER"),
    ("UsrClass.dat", "HKEY_CURRENT_USER\\Software\\Classes"),
    ("names.hiv", "HKEY_LOCAL_MACHINE\\SOFTWARE"),
    ("big.hiv", "HKEY_LOCAL_MACHINE\\SOFTWARE"),
    ("many.hiv", "HKEY_LOCAL_MACHINE\\SOFTWARE"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn run(args: &Args) -> ExitCode {
    match suite(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-hive: {e}");
            ExitCode::FAILURE
        }
    }
}

fn suite(args: &Args) -> Result<(), String> {
    let dev_path = root().join("tests/conformance/hive/deviations.toml");
    let text =
        std::fs::read_to_string(&dev_path).map_err(|e| format!("{}: {e}", dev_path.display()))?;
    let devs = deviations::Deviations::<Kind>::parse(&text)
        .map_err(|e| format!("{}: {e}", dev_path.display()))?;
    let mut failures = Vec::new();
    let mut shown_deviations = BTreeSet::new();
    for &(name, prefix) in FIXTURES {
        if args.only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let diff = compare_one(&root().join("fixtures/hives").join(name), name, prefix)?;
        let listed = devs.listed(name, &Kind::NonAsciiNames);
        let excused = !diff.is_empty()
            && !listed.is_empty()
            && diff.iter().all(|l| Kind::NonAsciiNames.holds(l));
        println!(
            "{name}: {} differing lines{}",
            diff.len(),
            if excused { " (known deviation)" } else { "" }
        );
        if excused {
            shown_deviations.extend(listed.iter().map(|s| (*s).to_owned()));
        } else if !diff.is_empty() {
            let shown: Vec<String> = diff
                .iter()
                .take(10)
                .map(|l| l.chars().take(160).collect())
                .collect();
            failures.push(format!(
                "{name}: {} lines differ, first:\n  {}",
                diff.len(),
                shown.join("\n  ")
            ));
        } else if !listed.is_empty() {
            failures.push(format!(
                "{name}: listed deviations {listed:?} no longer occur"
            ));
        }
    }
    if failures.is_empty() {
        println!(
            "conformance-hive: 0 unlisted disagreements ({} known deviations shown)",
            shown_deviations.len()
        );
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The dump lines that only one side has.
fn compare_one(path: &Path, name: &str, prefix: &str) -> Result<Vec<String>, String> {
    let out = Command::new("hivexregedit")
        .args(["--export", "--prefix", prefix])
        .arg(path)
        .arg("\\")
        .output()
        .map_err(|e| {
            format!("cannot run hivexregedit (apt-get install libhivex-bin libwin-hivex-perl): {e}")
        })?;
    if !out.status.success() {
        return Err(format!(
            "hivexregedit --export {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // As regedit writes a version 5.00 file: UTF-16LE with a byte order mark, in which `hex(1):`
    // bytes are stored as they are.
    let text = String::from_utf8_lossy(&out.stdout);
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let mut theirs = Registry::new();
    let opts = ImportOptions {
        mode: Mode::Lenient,
        encoding: Some(Encoding::Utf16Le),
        ..ImportOptions::default()
    };
    import_bytes(&mut theirs, name, &utf16, &opts).map_err(|d| d.to_string())?;
    let mut ours = Registry::new();
    let mount = KeyPath::parse(prefix).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    comsim_hive::load_bytes(&mut ours, name, &bytes, &mount, &[]).map_err(|d| d.to_string())?;
    let (a, b) = (dump(&ours), dump(&theirs));
    let (a, b): (BTreeSet<&str>, BTreeSet<&str>) = (a.lines().collect(), b.lines().collect());
    Ok(a.symmetric_difference(&b)
        .map(|l| (*l).to_owned())
        .collect())
}
