//! Files a scenario refers to: relative to the scenario's directory, never outside it, and read
//! with a size cap.

use std::io::Read;
use std::path::{Path, PathBuf};

use comsim_diag::Code;

use crate::codes;

/// The largest file a scenario (or a file it refers to) may be: 64 MiB. Nothing a scenario names
/// is read beyond this, so no input can exhaust memory.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why a referenced file cannot be used. `code` is the diagnostic code.
#[derive(Debug)]
pub(crate) struct FileError {
    pub code: Code,
    pub message: String,
    pub note: Option<String>,
}

impl FileError {
    fn new(code: Code, message: impl Into<String>) -> FileError {
        FileError {
            code,
            message: message.into(),
            note: None,
        }
    }

    fn with_note(mut self, note: impl Into<String>) -> FileError {
        self.note = Some(note.into());
        self
    }
}

/// A file read for the scenario.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// How diagnostics name it: the scenario directory as the user gave it, then the normalised
    /// relative path with `/`.
    pub display: String,
    /// Its path from the root, by name.
    pub parts: Vec<String>,
    pub bytes: Vec<u8>,
}

/// The directory files are named relative to (the scenario's, or the directory of a machine
/// file it includes), and the root they must stay inside: the scenario's directory, or the
/// ancestor its `root` declares.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioDir {
    /// How this directory is shown (the scenario directory as given, or empty); files are
    /// `display/relative`.
    display: String,
    /// The root, canonical (symbolic links resolved), for the containment check.
    root: PathBuf,
    /// This directory below the root, by name.
    base: Vec<String>,
    /// The root as the scenario declares it (`..`), `None` when it is the scenario's directory.
    declared_root: Option<String>,
}

impl ScenarioDir {
    pub fn new(dir: &Path) -> Result<ScenarioDir, std::io::Error> {
        Self::named(dir, &dir.to_string_lossy())
    }

    /// The directory `dir`, with the files in it named `display/…` (`…` alone when `display`
    /// is empty): [`crate::load`] names them relative to the directory in what it keeps.
    pub fn named(dir: &Path, display: &str) -> Result<ScenarioDir, std::io::Error> {
        let shown = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        Ok(ScenarioDir {
            display: display.to_owned(),
            root: shown.canonicalize()?,
            base: Vec::new(),
            declared_root: None,
        })
    }

    /// The directory's own name (the last component of its canonical path), whatever path
    /// named it.
    pub fn name(&self) -> String {
        match self.base.last() {
            Some(n) => n.clone(),
            None => self
                .root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// The same directory with its root moved up to the ancestor `declared` names (`..`,
    /// `../..`; `.` is the directory itself), so that files may come from beside it.
    pub fn with_root(mut self, declared: &str) -> Result<ScenarioDir, FileError> {
        let mut up = 0;
        for part in declared.split(['/', '\\']) {
            match part {
                "" | "." => {}
                ".." => up += 1,
                _ => {
                    return Err(FileError::new(
                        codes::SCENARIO_PATH,
                        format!(
                            "`{declared}` is not the scenario's directory or one of its ancestors"
                        ),
                    )
                    .with_note("write `..` for the directory above the scenario's, `../..`, …"));
                }
            }
        }
        for _ in 0..up {
            let Some(name) = self
                .root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
            else {
                return Err(FileError::new(
                    codes::SCENARIO_PATH,
                    format!("`{declared}` climbs above the file system's root"),
                ));
            };
            self.base.insert(0, name);
            self.root.pop();
        }
        if up > 0 {
            self.declared_root = Some(declared.to_owned());
        }
        Ok(self)
    }

    /// The directory holding `file` (read through this one), for the files it names in turn;
    /// the same root.
    pub fn beside(&self, file: &Loaded) -> ScenarioDir {
        let display = match file.display.rsplit_once('/') {
            Some((dir, _)) => dir.to_owned(),
            None => String::new(),
        };
        ScenarioDir {
            display,
            root: self.root.clone(),
            base: file.parts[..file.parts.len().saturating_sub(1)].to_vec(),
            declared_root: self.declared_root.clone(),
        }
    }

    /// How a file at `parts` (from the root) is named: relative to this directory (with `..`
    /// when it is beside it), after `display`.
    fn display_of(&self, parts: &[String]) -> String {
        let common = self
            .base
            .iter()
            .zip(parts)
            .take_while(|(a, b)| a == b)
            .count();
        let mut rel: Vec<&str> = vec![".."; self.base.len() - common];
        rel.extend(parts[common..].iter().map(String::as_str));
        let rel = rel.join("/");
        if self.display.is_empty() {
            rel
        } else {
            format!("{}/{rel}", self.display.trim_end_matches(['/', '\\']))
        }
    }

    /// Resolves `relative` (as written in the scenario, `/` or `\` separated) and reads the file.
    pub fn read(&self, relative: &str) -> Result<Loaded, FileError> {
        let parts = normalise_in(&self.base, relative, self.declared_root.as_deref())?;
        let display = self.display_of(&parts);
        let mut path = self.root.clone();
        path.extend(&parts);
        let real = match path.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::new(
                    codes::SCENARIO_MISSING_FILE,
                    format!("`{relative}` does not exist"),
                )
                .with_note(format!(
                    "looked for `{display}`; files are relative to the scenario's directory"
                )));
            }
            Err(e) => {
                return Err(FileError::new(
                    codes::SCENARIO_IO,
                    format!("cannot open `{display}`: {e}"),
                ));
            }
        };
        if !real.starts_with(&self.root) {
            return Err(FileError::new(
                codes::SCENARIO_PATH,
                format!("`{relative}` leads outside the scenario's directory"),
            )
            .with_note(
                "a symbolic link on the way points elsewhere; a scenario may only use files inside its own directory",
            ));
        }
        let bytes =
            read_capped(&real).map_err(|e| FileError::new(e.0, format!("`{display}`: {}", e.1)))?;
        Ok(Loaded {
            display,
            parts,
            bytes,
        })
    }
}

/// Splits a relative path on `/` and `\`, drops `.`, resolves `..`; absolute paths and paths that
/// climb out of the directory are errors.
#[cfg(test)]
fn normalise(relative: &str) -> Result<Vec<String>, FileError> {
    normalise_in(&[], relative, None)
}

/// The error for a path that climbs above the root.
fn outside(relative: &str, declared_root: Option<&str>) -> FileError {
    match declared_root {
        None => FileError::new(
            codes::SCENARIO_PATH,
            format!("`{relative}` leads outside the scenario's directory"),
        )
        .with_note("a scenario may only use files inside its own directory"),
        Some(root) => FileError::new(
            codes::SCENARIO_PATH,
            format!("`{relative}` leads outside the scenario's root `{root}`"),
        )
        .with_note("a scenario may only use files below the `root` it declares"),
    }
}

/// `relative`, read from the directory `base` (below the root), as a path from the root, by
/// name: absolute paths, paths that climb above the root, and paths that name a directory of
/// the way down are errors. `declared_root` is the scenario's `root`, for the message.
fn normalise_in(
    base: &[String],
    relative: &str,
    declared_root: Option<&str>,
) -> Result<Vec<String>, FileError> {
    let absolute = || {
        FileError::new(
            codes::SCENARIO_PATH,
            format!("`{relative}` is an absolute path"),
        )
        .with_note("files are named relative to the scenario's directory, e.g. `hklm.reg` or `app/Client.exe.manifest`")
    };
    if relative.is_empty() {
        return Err(FileError::new(
            codes::SCENARIO_PATH,
            "the file name is empty",
        ));
    }
    if relative.starts_with(['/', '\\']) || Path::new(relative).is_absolute() {
        return Err(absolute());
    }
    let bytes = relative.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(absolute());
    }
    let mut parts: Vec<String> = base.to_vec();
    for part in relative.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(outside(relative, declared_root));
                }
            }
            p => parts.push(p.to_owned()),
        }
    }
    if base.starts_with(&parts) {
        return Err(FileError::new(
            codes::SCENARIO_PATH,
            format!("`{relative}` names the scenario's directory, not a file"),
        ));
    }
    Ok(parts)
}

/// Reads a regular file of at most [`MAX_FILE_SIZE`] bytes. The error is (code, message).
pub(crate) fn read_capped(path: &Path) -> Result<Vec<u8>, (Code, String)> {
    let file = std::fs::File::open(path)
        .map_err(|e| (codes::SCENARIO_IO, format!("cannot read the file: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| (codes::SCENARIO_IO, format!("cannot read the file: {e}")))?;
    if !meta.is_file() {
        return Err((codes::SCENARIO_IO, "is not a file".to_owned()));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The length can change between the check and the read: never read past the cap.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| (codes::SCENARIO_IO, format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(bytes)
}

fn too_large() -> (Code, String) {
    (
        codes::SCENARIO_TOO_LARGE,
        format!(
            "the file is larger than {} MiB, the most a scenario may use",
            MAX_FILE_SIZE / (1024 * 1024)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_normalise_and_may_not_climb_out() {
        assert_eq!(normalise("a/./b\\c.reg").unwrap(), vec!["a", "b", "c.reg"]);
        assert_eq!(normalise("a/../c.reg").unwrap(), vec!["c.reg"]);
        assert_eq!(
            normalise("../c.reg").unwrap_err().code,
            codes::SCENARIO_PATH
        );
        assert_eq!(
            normalise("a/../../c.reg").unwrap_err().code,
            codes::SCENARIO_PATH
        );
        assert_eq!(normalise("a/..").unwrap_err().code, codes::SCENARIO_PATH);
        assert_eq!(normalise("").unwrap_err().code, codes::SCENARIO_PATH);
    }

    #[test]
    fn absolute_paths_are_rejected_in_every_spelling() {
        for p in [
            "/etc/passwd",
            "\\\\server\\share\\x.reg",
            "C:\\x.reg",
            "c:x.reg",
            "\\x.reg",
        ] {
            let e = normalise(p).unwrap_err();
            assert_eq!(e.code, codes::SCENARIO_PATH, "{p}");
            assert!(e.message.contains("absolute"), "{p}: {}", e.message);
        }
    }
}
