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
    pub bytes: Vec<u8>,
}

/// The scenario's directory.
#[derive(Debug)]
pub(crate) struct ScenarioDir {
    /// As given (for display); empty for the current directory.
    display: String,
    /// Canonical (symbolic links resolved), for the containment check.
    canonical: PathBuf,
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
            canonical: shown.canonicalize()?,
        })
    }

    /// The directory's own name (the last component of its canonical path), whatever path
    /// named it.
    pub fn name(&self) -> String {
        self.canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn display_of(&self, parts: &[&str]) -> String {
        let rel = parts.join("/");
        if self.display.is_empty() {
            rel
        } else {
            format!("{}/{rel}", self.display.trim_end_matches(['/', '\\']))
        }
    }

    /// Resolves `relative` (as written in the scenario, `/` or `\` separated) and reads the file.
    pub fn read(&self, relative: &str) -> Result<Loaded, FileError> {
        let parts = normalise(relative)?;
        let display = self.display_of(&parts);
        let mut path = self.canonical.clone();
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
        if !real.starts_with(&self.canonical) {
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
        Ok(Loaded { display, bytes })
    }
}

/// Splits a relative path on `/` and `\`, drops `.`, resolves `..`; absolute paths and paths that
/// climb out of the directory are errors.
fn normalise(relative: &str) -> Result<Vec<&str>, FileError> {
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
    let mut parts: Vec<&str> = Vec::new();
    for part in relative.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(FileError::new(
                        codes::SCENARIO_PATH,
                        format!("`{relative}` leads outside the scenario's directory"),
                    )
                    .with_note("a scenario may only use files inside its own directory"));
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
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
