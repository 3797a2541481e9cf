//! Checking scenarios against their stored snapshots (`comsim check`): find the scenarios under
//! some directories, replay each, compare its [`Snapshot`] with the stored one, and check its
//! expectations. The CLI renders the [`ScenarioCheck`]s; nothing here prints.

use std::path::{Path, PathBuf};

use comsim_diag::{Diagnostic, Location};

use crate::compare::{Difference, compare};
use crate::snapshot::Snapshot;
use crate::{Check, ReplayOptions, SCENARIO_FILE, codes};

/// The file name of a snapshot stored beside its scenario.
pub const SNAPSHOT_FILE: &str = "scenario.snap";

/// How deep [`find_scenarios`] looks under a directory it is given.
const MAX_DEPTH: usize = 16;

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Where snapshots are: `None` beside each scenario ([`SNAPSHOT_FILE`]); `Some(dir)`: in
    /// `dir`, as `<scenario name>.snap`.
    pub snapshots: Option<PathBuf>,
    /// Write the snapshots (new or changed) instead of failing on them.
    pub update: bool,
    pub replay: ReplayOptions,
}

/// What became of one scenario.
#[derive(Debug, Clone)]
pub enum Status {
    /// The replay gives the stored snapshot.
    Same,
    /// It does not; what changed.
    Changed(Vec<Difference>),
    /// There is no stored snapshot (an error unless updating).
    Missing,
    /// `--update` wrote the snapshot (new, or changed: the differences it had).
    Written(Vec<Difference>),
    /// The scenario, or its stored snapshot, could not be read, or the replay refused it.
    Error(Diagnostic),
}

/// One scenario's check.
#[derive(Debug, Clone)]
pub struct ScenarioCheck {
    /// The scenario's directory, as found under a directory given (`fixtures/scenarios/treatas`).
    pub dir: PathBuf,
    /// The scenario's name (its directory's name).
    pub name: String,
    /// Where its snapshot is.
    pub snapshot: PathBuf,
    pub status: Status,
    /// The expectations that did not hold, with their step's name.
    pub failed: Vec<(String, Check)>,
    /// How many expectations were checked.
    pub expectations: usize,
}

impl ScenarioCheck {
    /// Whether this scenario makes `comsim check` fail: a change, a missing snapshot, an error,
    /// or a failed expectation (`--update` writes snapshots but does not excuse expectations).
    pub fn failed(&self) -> bool {
        !self.failed.is_empty()
            || matches!(
                self.status,
                Status::Changed(_) | Status::Missing | Status::Error(_)
            )
    }
}

/// The scenario directories at or under `dirs`, in order: a directory holding `scenario.toml`
/// (or a `scenario.toml` file) is a scenario; any other directory is searched, its entries in
/// name order, at most [`MAX_DEPTH`] levels down. A path that does not exist is an error.
pub fn find_scenarios(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut found = Vec::new();
    for dir in dirs {
        if dir.is_file() && dir.file_name().is_some_and(|n| n == SCENARIO_FILE) {
            found.push(dir.parent().unwrap_or(Path::new("")).to_path_buf());
            continue;
        }
        if !dir.is_dir() {
            return Err(io_error(dir, "is not a directory"));
        }
        walk(dir, 0, &mut found)?;
    }
    Ok(found)
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    if dir.join(SCENARIO_FILE).is_file() {
        found.push(dir.to_path_buf());
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e.to_string()))?;
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        walk(&sub, depth + 1, found)?;
    }
    Ok(())
}

fn io_error(path: &Path, what: &str) -> Diagnostic {
    Diagnostic::error(codes::CHECK_IO, format!("`{}` {what}", path.display())).at(Location::new(
        path.to_string_lossy().as_ref(),
        1,
        1,
    ))
}

/// Where the snapshot of the scenario in `dir` is kept.
pub fn snapshot_path(dir: &Path, name: &str, options: &CheckOptions) -> PathBuf {
    match &options.snapshots {
        Some(d) => d.join(format!("{name}.snap")),
        None => dir.join(SNAPSHOT_FILE),
    }
}

/// Replays the scenario in `dir`, compares it with its stored snapshot (writing it when
/// `options.update`), and checks its expectations.
pub fn check_scenario(dir: &Path, options: &CheckOptions) -> ScenarioCheck {
    let fallback_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut result = ScenarioCheck {
        dir: dir.to_path_buf(),
        name: fallback_name.clone(),
        snapshot: snapshot_path(dir, &fallback_name, options),
        status: Status::Same,
        failed: Vec::new(),
        expectations: 0,
    };
    let scenario = match crate::load(dir) {
        Ok(s) => s,
        Err(d) => {
            result.status = Status::Error(d);
            return result;
        }
    };
    result.name.clone_from(&scenario.name);
    result.snapshot = snapshot_path(dir, &scenario.name, options);
    let replay = match crate::replay(&scenario, &options.replay) {
        Ok(r) => r,
        Err(d) => {
            result.status = Status::Error(d);
            return result;
        }
    };
    for step in &replay.steps {
        let name = step.name();
        for c in step.checks() {
            result.expectations += 1;
            if !c.ok {
                result.failed.push((name.to_owned(), c.clone()));
            }
        }
    }
    let now = Snapshot::of(&scenario, &replay);
    result.status = stored_status(&result.snapshot, &now, options.update);
    result
}

/// Compares `now` with the snapshot stored at `path`, writing it when `update` and it differs.
fn stored_status(path: &Path, now: &Snapshot, update: bool) -> Status {
    let file = path.to_string_lossy().into_owned();
    let stored = match std::fs::read_to_string(path) {
        Ok(text) => match Snapshot::parse(&text, &file) {
            Ok(s) => Some(s),
            Err(d) if !update => return Status::Error(d),
            Err(_) => None,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Status::Error(io_error(path, &format!("cannot be read: {e}"))),
    };
    let differences = stored.as_ref().map(|s| compare(s, now));
    match (differences, update) {
        (Some(d), _) if d.is_empty() => Status::Same,
        (d, true) => match write(path, &now.render()) {
            Ok(()) => Status::Written(d.unwrap_or_default()),
            Err(e) => Status::Error(e),
        },
        (Some(d), false) => Status::Changed(d),
        (None, false) => Status::Missing,
    }
}

fn write(path: &Path, text: &str) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| io_error(parent, &format!("cannot be created: {e}")))?;
    }
    std::fs::write(path, text).map_err(|e| io_error(path, &format!("cannot be written: {e}")))
}
