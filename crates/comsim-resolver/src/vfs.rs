//! The machine's file system: Windows paths (`C:\…`, compared case-insensitively), each holding a
//! plain file (bytes: manifests, `.config` files), a managed assembly, or a native image.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::machine::{AssemblyInfo, NativeImage};

/// An absolute Windows path such as `C:\App\Client.exe`. Separators are normalised to `\`, `.`
/// and empty components are dropped; `..` is resolved. Comparison ignores case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WinPath {
    /// Drive letter (upper-case) and components as written.
    drive: char,
    components: Vec<String>,
}

/// Why a string is not an absolute Windows path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

/// Characters Windows forbids in file names (besides the separators and control characters).
const FORBIDDEN: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

impl WinPath {
    /// Parses `X:\a\b` (or with `/`).
    pub fn parse(s: &str) -> Result<WinPath, PathError> {
        let mut chars = s.chars();
        let drive = chars.next().filter(char::is_ascii_alphabetic);
        let colon = chars.next();
        let sep = chars.next();
        let (Some(drive), Some(':')) = (drive, colon) else {
            return Err(PathError(format!(
                "`{s}` is not an absolute Windows path (expected a drive letter, as in `C:\\App\\Client.exe`)"
            )));
        };
        if !matches!(sep, None | Some('\\') | Some('/')) {
            return Err(PathError(format!(
                "`{s}` is drive-relative; write `{drive}:\\…`"
            )));
        }
        let mut components: Vec<String> = Vec::new();
        for part in s[2..].split(['\\', '/']) {
            match part {
                "" | "." => {}
                ".." => {
                    components.pop();
                }
                p => {
                    if let Some(c) = p.chars().find(|c| FORBIDDEN.contains(c) || c.is_control()) {
                        return Err(PathError(format!(
                            "`{s}`: the character {c:?} is not allowed in a Windows file name"
                        )));
                    }
                    // Windows drops trailing dots and spaces from a name.
                    let trimmed = p.trim_end_matches(['.', ' ']);
                    if trimmed.is_empty() {
                        return Err(PathError(format!("`{s}`: `{p}` is not a file name")));
                    }
                    components.push(trimmed.to_owned());
                }
            }
        }
        Ok(WinPath {
            drive: drive.to_ascii_uppercase(),
            components,
        })
    }

    /// The key the file system compares: upper-cased.
    fn key(&self) -> String {
        let mut k = String::new();
        k.push(self.drive);
        k.push(':');
        for c in &self.components {
            k.push('\\');
            k.extend(c.chars().flat_map(char::to_uppercase));
        }
        k
    }

    pub fn join(&self, relative: &str) -> WinPath {
        let mut p = self.clone();
        for part in relative.split(['\\', '/']) {
            match part {
                "" | "." => {}
                ".." => {
                    p.components.pop();
                }
                x => p.components.push(x.to_owned()),
            }
        }
        p
    }

    /// `GetFullPathName` of `s` in a process whose current directory is `cwd`: an absolute path
    /// as it is, `\x` on the current drive's root, `D:x` in the current directory when that is on
    /// D: (else in D:'s root: per-drive directories are not modelled), anything else under `cwd`.
    /// `None` for a UNC path or a name Windows refuses.
    pub fn full_path(cwd: &WinPath, s: &str) -> Option<WinPath> {
        let b = s.as_bytes();
        if b.len() >= 2 && (b[0] == b'\\' || b[0] == b'/') && (b[1] == b'\\' || b[1] == b'/') {
            return None;
        }
        if let Ok(p) = WinPath::parse(s) {
            return Some(p);
        }
        let (base, rest) = if b.first().is_some_and(|c| *c == b'\\' || *c == b'/') {
            (cwd.drive_root(), s)
        } else if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            let drive = b[0].to_ascii_uppercase() as char;
            let base = if drive == cwd.drive {
                cwd.clone()
            } else {
                WinPath {
                    drive,
                    components: Vec::new(),
                }
            };
            (base, &s[2..])
        } else {
            (cwd.clone(), s)
        };
        WinPath::parse(&format!("{}\\{rest}", base)).ok()
    }

    /// The root of this path's drive (`D:\` for `D:\Windows`).
    pub fn drive_root(&self) -> WinPath {
        WinPath {
            drive: self.drive,
            components: Vec::new(),
        }
    }

    /// The directory holding this file.
    pub fn parent(&self) -> WinPath {
        let mut p = self.clone();
        p.components.pop();
        p
    }

    /// The last component (`Client.exe`), empty for a drive root.
    pub fn file_name(&self) -> &str {
        self.components.last().map(String::as_str).unwrap_or("")
    }

    /// The file name without its last extension (`Client` for `Client.exe`).
    pub fn file_stem(&self) -> &str {
        let name = self.file_name();
        match name.rfind('.') {
            Some(i) if i > 0 => &name[..i],
            _ => name,
        }
    }

    /// The extension, lower-cased, without the dot.
    pub fn extension(&self) -> String {
        let name = self.file_name();
        match name.rfind('.') {
            Some(i) if i > 0 => name[i + 1..].to_ascii_lowercase(),
            _ => String::new(),
        }
    }

    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// Whether `self` is `dir` or inside it.
    pub fn starts_with(&self, dir: &WinPath) -> bool {
        self.drive == dir.drive
            && self.components.len() >= dir.components.len()
            && self
                .components
                .iter()
                .zip(&dir.components)
                .all(|(a, b)| a.to_uppercase() == b.to_uppercase())
    }

    /// `file:///C:/App/Foo.dll`, as regasm writes a CodeBase.
    pub fn to_file_url(&self) -> String {
        let mut s = format!("file:///{}:", self.drive);
        for c in &self.components {
            s.push('/');
            s.push_str(c);
        }
        s
    }

    /// Parses a `file:` URL (`file:///C:/x/y.dll`, `file://C:/…`, `file:C:\…`) back to a path;
    /// `%20`-style escapes are decoded.
    pub fn from_file_url(url: &str) -> Option<WinPath> {
        let lower = url.get(..5)?.to_ascii_lowercase();
        if lower != "file:" {
            return None;
        }
        let rest = url[5..].trim_start_matches('/');
        let decoded = percent_decode(rest)?;
        WinPath::parse(&decoded).ok()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for WinPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.drive)?;
        if self.components.is_empty() {
            return f.write_str("\\");
        }
        for c in &self.components {
            write!(f, "\\{c}")?;
        }
        Ok(())
    }
}

impl Serialize for WinPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a file is.
#[derive(Debug, Clone)]
pub enum FileKind {
    /// A plain file; its bytes are [`VFile::bytes`].
    Data,
    /// A managed assembly (a `.dll` or `.exe` with CLR metadata).
    Assembly(Box<AssemblyInfo>),
    /// A native DLL or EXE.
    Native(NativeImage),
}

/// One file of the machine.
#[derive(Debug, Clone)]
pub struct VFile {
    pub path: WinPath,
    pub kind: FileKind,
    /// The content of a plain file; for an image, its real PE bytes when the scenario gave them
    /// (else empty).
    pub bytes: Vec<u8>,
    /// The image's `RT_MANIFEST` resource 1, when it has one.
    pub embedded_manifest: Option<Vec<u8>>,
    /// Where the file came from (the scenario file and entry), for traces.
    pub origin: String,
}

impl VFile {
    pub fn assembly(&self) -> Option<&AssemblyInfo> {
        match &self.kind {
            FileKind::Assembly(a) => Some(a),
            _ => None,
        }
    }

    pub fn native(&self) -> Option<&NativeImage> {
        match &self.kind {
            FileKind::Native(n) => Some(n),
            _ => None,
        }
    }
}

/// The file system: files by case-insensitive path. Directories exist implicitly.
#[derive(Debug, Clone, Default)]
pub struct Vfs {
    files: BTreeMap<String, VFile>,
}

impl Vfs {
    pub fn new() -> Self {
        Vfs::default()
    }

    /// Adds a file; a second file at the same path is an error (the existing file's origin is
    /// returned).
    pub fn insert(&mut self, file: VFile) -> Result<(), String> {
        let key = file.path.key();
        if let Some(existing) = self.files.get(&key) {
            return Err(existing.origin.clone());
        }
        self.files.insert(key, file);
        Ok(())
    }

    /// Writes a file, replacing one at the same path (a tool's output, such as regasm's
    /// `/regfile`).
    pub fn write(&mut self, file: VFile) {
        self.files.insert(file.path.key(), file);
    }

    pub fn get(&self, path: &WinPath) -> Option<&VFile> {
        self.files.get(&path.key())
    }

    /// Removes the file at `path` (a file moved away, or a tool's stand-in taken back), giving
    /// it back.
    pub fn remove(&mut self, path: &WinPath) -> Option<VFile> {
        self.files.remove(&path.key())
    }

    pub fn exists(&self, path: &WinPath) -> bool {
        self.files.contains_key(&path.key())
    }

    /// Every file, in path order.
    pub fn files(&self) -> impl Iterator<Item = &VFile> {
        self.files.values()
    }
}

/// A directory of the [`Vfs`] seen as an application directory by the activation-context builder
/// (SXS-2).
pub struct VfsDirectory<'a> {
    pub vfs: &'a Vfs,
    pub dir: WinPath,
}

impl comsim_manifest::actctx::AppDirectory for VfsDirectory<'_> {
    fn read(&self, relative: &str) -> Option<Vec<u8>> {
        self.vfs
            .get(&self.dir.join(relative))
            .map(|f| f.bytes.clone())
    }

    fn show(&self, relative: &str) -> String {
        let path = self.dir.join(relative);
        match self.vfs.get(&path) {
            Some(f) => f.path.to_string(),
            None => path.to_string(),
        }
    }

    fn embedded_manifest(
        &self,
        relative: &str,
        id: u16,
    ) -> Option<Result<Option<Vec<u8>>, String>> {
        let file = self.vfs.get(&self.dir.join(relative))?;
        if id == 1 && file.embedded_manifest.is_some() {
            return Some(Ok(file.embedded_manifest.clone()));
        }
        if file.bytes.is_empty() {
            return Some(Ok(None));
        }
        Some(
            comsim_manifest::pe::embedded_manifest(&file.bytes, id)
                .map(|m| m.map(|m| m.bytes))
                .map_err(|e| e.to_string()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_case_insensitively_and_normalise_separators() {
        let a = WinPath::parse(r"c:\Program Files\Contoso\Widget.DLL").unwrap();
        let b = WinPath::parse("C:/program files/contoso/./widget.dll").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.to_string(), r"C:\Program Files\Contoso\Widget.DLL");
        assert_eq!(a.extension(), "dll");
        assert_eq!(a.file_stem(), "Widget");
    }

    #[test]
    fn relative_and_forbidden_paths_are_rejected() {
        assert!(WinPath::parse(r"App\x.dll").is_err());
        assert!(WinPath::parse(r"C:x.dll").is_err());
        assert!(WinPath::parse(r"C:\a|b").is_err());
    }

    #[test]
    fn file_urls_round_trip() {
        let p = WinPath::parse(r"C:\Program Files\Contoso\Widget.dll").unwrap();
        assert_eq!(
            p.to_file_url(),
            "file:///C:/Program Files/Contoso/Widget.dll"
        );
        assert_eq!(WinPath::from_file_url(&p.to_file_url()), Some(p.clone()));
        assert_eq!(
            WinPath::from_file_url("FILE:///C:/Program%20Files/Contoso/Widget.dll"),
            Some(p)
        );
        assert_eq!(WinPath::from_file_url("http://x/y.dll"), None);
    }
}
