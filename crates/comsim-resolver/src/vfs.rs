//! The machine's file system: Windows paths (`C:\…`, compared case-insensitively), each holding a
//! plain file (bytes: manifests, `.config` files), a managed assembly, or a native image.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::machine::{AssemblyInfo, NativeImage};

/// An absolute Windows path such as `C:\App\Client.exe`, or a path on a network share
/// (`\\server\share\lib\x.dll`, a UNC path). Separators are normalised to `\`, `.` and empty
/// components are dropped; `..` is resolved (never above the drive or the share). Comparison
/// ignores case.
///
/// The components are kept in one string, joined by `\` (a path is cloned, joined and written
/// often: every file the binder probes, every server COM loads). Equality is the components',
/// and so is the order: component by component, as a list of names orders.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WinPath {
    root: Root,
    /// The components below the root, as written, joined by `\` (empty for the root itself).
    rest: String,
}

impl Ord for WinPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.root
            .cmp(&other.root)
            .then_with(|| self.parts().cmp(other.parts()))
    }
}

impl PartialOrd for WinPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a path starts: a drive, or a share of a server.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Root {
    /// A drive letter, upper-case.
    Drive(char),
    /// `\\server\share`, as written.
    Share { server: String, share: String },
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

/// Whether `s` starts with two separators (`\\` or `//`): a UNC path.
fn is_unc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && matches!(b[0], b'\\' | b'/') && matches!(b[1], b'\\' | b'/')
}

/// Which ASCII bytes a file name may not hold: [`FORBIDDEN`] and the control characters.
const FORBIDDEN_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = b < 0x20 || b == 0x7f;
        b += 1;
    }
    let mut i = 0;
    while i < FORBIDDEN.len() {
        table[FORBIDDEN[i] as usize] = true;
        i += 1;
    }
    table
};

/// The first character of `p` a file name may not hold: one of [`FORBIDDEN`] or a control
/// character. A name of ASCII only (most) is checked a byte at a time against a table.
fn forbidden_char(p: &str) -> Option<char> {
    if p.is_ascii() {
        return p
            .bytes()
            .find(|&b| FORBIDDEN_ASCII[usize::from(b)])
            .map(char::from);
    }
    p.chars().find(|c| FORBIDDEN.contains(c) || c.is_control())
}

/// One component of a path, checked and with trailing dots and spaces dropped as Windows drops
/// them.
fn component<'p>(s: &str, p: &'p str) -> Result<&'p str, PathError> {
    if let Some(c) = forbidden_char(p) {
        return Err(PathError(format!(
            "`{s}`: the character {c:?} is not allowed in a Windows file name"
        )));
    }
    let trimmed = p.trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        return Err(PathError(format!("`{s}`: `{p}` is not a file name")));
    }
    Ok(trimmed)
}

impl WinPath {
    /// Parses `X:\a\b` (or with `/`), or a UNC path `\\server\share\a\b`.
    pub fn parse(s: &str) -> Result<WinPath, PathError> {
        if is_unc(s) {
            return WinPath::parse_unc(s);
        }
        let mut chars = s.chars();
        let drive = chars.next().filter(char::is_ascii_alphabetic);
        let colon = chars.next();
        let sep = chars.next();
        let (Some(drive), Some(':')) = (drive, colon) else {
            return Err(PathError(format!(
                "`{s}` is not an absolute Windows path (expected a drive letter, as in `C:\\App\\Client.exe`, or a share, `\\\\server\\share\\…`)"
            )));
        };
        if !matches!(sep, None | Some('\\') | Some('/')) {
            return Err(PathError(format!(
                "`{s}` is drive-relative; write `{drive}:\\…`"
            )));
        }
        let root = Root::Drive(drive.to_ascii_uppercase());
        WinPath::below(s, root, &s[2..])
    }

    /// `\\server\share\…`: a server and a share name, then the path on the share.
    fn parse_unc(s: &str) -> Result<WinPath, PathError> {
        let mut parts = s[2..].splitn(3, ['\\', '/']);
        let server = parts.next().unwrap_or("");
        let share = parts.next().unwrap_or("");
        let rest = parts.next().unwrap_or("");
        if server.is_empty() || share.is_empty() || matches!(server, "." | "?") {
            return Err(PathError(format!(
                "`{s}` is not a path on a share (expected `\\\\server\\share\\…`)"
            )));
        }
        let root = Root::Share {
            server: component(s, server)?.to_owned(),
            share: component(s, share)?.to_owned(),
        };
        WinPath::below(s, root, rest)
    }

    fn below(s: &str, root: Root, rest: &str) -> Result<WinPath, PathError> {
        let mut p = WinPath {
            root,
            rest: String::with_capacity(rest.len()),
        };
        for part in rest.split(['\\', '/']) {
            match part {
                "" | "." => {}
                ".." => p.pop(),
                x => p.push(component(s, x)?),
            }
        }
        Ok(p)
    }

    /// The components below the root.
    fn parts(&self) -> impl DoubleEndedIterator<Item = &str> + Clone {
        // An empty `rest` is no component (`split` would give one empty one).
        self.rest.split('\\').filter(|_| !self.rest.is_empty())
    }

    fn push(&mut self, component: &str) {
        if !self.rest.is_empty() {
            self.rest.push('\\');
        }
        self.rest.push_str(component);
    }

    /// Drops the last component (nothing at the root).
    fn pop(&mut self) {
        let cut = self.rest.rfind('\\').unwrap_or(0);
        self.rest.truncate(cut);
    }

    /// Whether the path is on a network share (a UNC path): the CLR puts what it loads from
    /// there in the Intranet zone (BIND-4).
    pub fn is_on_share(&self) -> bool {
        matches!(self.root, Root::Share { .. })
    }

    /// The key the file system compares: upper-cased.
    fn key(&self) -> String {
        // Upper-cases `s` onto `k`: ASCII in place (every file lookup makes a key), anything
        // else character by character (an upper case may be longer).
        fn push_upper(k: &mut String, s: &str) {
            if s.is_ascii() {
                let start = k.len();
                k.push_str(s);
                k[start..].make_ascii_uppercase();
            } else {
                k.extend(s.chars().flat_map(char::to_uppercase));
            }
        }
        let mut k = String::with_capacity(self.rest.len() + 4);
        match &self.root {
            Root::Drive(d) => {
                k.push(*d);
                k.push(':');
            }
            Root::Share { server, share } => {
                k.push_str("\\\\");
                push_upper(&mut k, server);
                k.push('\\');
                push_upper(&mut k, share);
            }
        }
        if !self.rest.is_empty() {
            k.push('\\');
            push_upper(&mut k, &self.rest);
        }
        k
    }

    pub fn join(&self, relative: &str) -> WinPath {
        let mut p = WinPath {
            root: self.root.clone(),
            rest: String::with_capacity(self.rest.len() + relative.len() + 1),
        };
        p.rest.push_str(&self.rest);
        // Most paths joined (a probe's `name.dll`, `name\name.dll`) have only names between
        // backslashes: appended whole, as the loop below would append them one by one.
        if !relative.contains('/') && relative.split('\\').all(|c| !matches!(c, "" | "." | "..")) {
            p.push(relative);
            return p;
        }
        for part in relative.split(['\\', '/']) {
            match part {
                "" | "." => {}
                ".." => p.pop(),
                x => p.push(x),
            }
        }
        p
    }

    /// `GetFullPathName` of `s` in a process whose current directory is `cwd`: an absolute path
    /// (or a UNC path) as it is, `\x` on the current drive's root, `D:x` in the current directory
    /// when that is on D: (else in D:'s root: per-drive directories are not modelled), anything
    /// else under `cwd`. `None` for a name Windows refuses.
    pub fn full_path(cwd: &WinPath, s: &str) -> Option<WinPath> {
        let b = s.as_bytes();
        if let Ok(p) = WinPath::parse(s) {
            return Some(p);
        }
        if is_unc(s) {
            return None;
        }
        let (base, rest) = if b.first().is_some_and(|c| *c == b'\\' || *c == b'/') {
            (cwd.drive_root(), s)
        } else if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            let drive = b[0].to_ascii_uppercase() as char;
            let base = if cwd.root == Root::Drive(drive) {
                cwd.clone()
            } else {
                WinPath {
                    root: Root::Drive(drive),
                    rest: String::new(),
                }
            };
            (base, &s[2..])
        } else {
            (cwd.clone(), s)
        };
        WinPath::parse(&format!("{}\\{rest}", base)).ok()
    }

    /// The root of this path's drive (`D:\` for `D:\Windows`), or its share
    /// (`\\server\share`).
    pub fn drive_root(&self) -> WinPath {
        WinPath {
            root: self.root.clone(),
            rest: String::new(),
        }
    }

    /// The directory holding this file.
    pub fn parent(&self) -> WinPath {
        let mut p = self.clone();
        p.pop();
        p
    }

    /// The last component (`Client.exe`), empty for a drive root.
    pub fn file_name(&self) -> &str {
        self.parts().next_back().unwrap_or("")
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

    /// The components below the root (none for a drive's root).
    pub fn components(&self) -> Vec<&str> {
        self.parts().collect()
    }

    /// Whether `self` is `dir` or inside it.
    pub fn starts_with(&self, dir: &WinPath) -> bool {
        let same_root = match (&self.root, &dir.root) {
            (Root::Drive(a), Root::Drive(b)) => a == b,
            (
                Root::Share { server, share },
                Root::Share {
                    server: s2,
                    share: h2,
                },
            ) => server.eq_ignore_ascii_case(s2) && share.to_uppercase() == h2.to_uppercase(),
            _ => false,
        };
        let mut mine = self.parts();
        same_root
            && dir.parts().all(|b| {
                mine.next()
                    .is_some_and(|a| a.to_uppercase() == b.to_uppercase())
            })
    }

    /// `file:///C:/App/Foo.dll`, as regasm writes a CodeBase; `file://server/share/Foo.dll` for
    /// a file on a share (`Assembly.CodeBase`'s form).
    pub fn to_file_url(&self) -> String {
        let mut s = match &self.root {
            Root::Drive(d) => format!("file:///{d}:"),
            Root::Share { server, share } => format!("file://{server}/{share}"),
        };
        for c in self.parts() {
            s.push('/');
            s.push_str(c);
        }
        s
    }

    /// Parses a `file:` URL back to a path: `file:///C:/x/y.dll`, `file://C:/…`, `file:C:\…`;
    /// a host names a share, `file://server/share/x.dll`, as do the forms with four or five
    /// slashes (`file:////server/share/…`, `file://///server/share/…`) and `file:\\server\…`.
    /// `%20`-style escapes are decoded. `file://localhost/C:/…` is the local path.
    pub fn from_file_url(url: &str) -> Option<WinPath> {
        let lower = url.get(..5)?.to_ascii_lowercase();
        if lower != "file:" {
            return None;
        }
        let decoded = percent_decode(&url[5..])?;
        let slashes = decoded.len() - decoded.trim_start_matches(['/', '\\']).len();
        let rest = decoded.trim_start_matches(['/', '\\']);
        if let Ok(p) = WinPath::parse(rest)
            && !p.is_on_share()
        {
            return Some(p);
        }
        let local = rest
            .get(..10)
            .is_some_and(|h| h.eq_ignore_ascii_case("localhost/"));
        if slashes == 2 && local {
            return WinPath::parse(&rest[10..]).ok();
        }
        // `//host/share`, `////host/share`, `/////host/share`: a share of `host`.
        if matches!(slashes, 2 | 4 | 5) {
            return WinPath::parse(&format!("\\\\{rest}")).ok();
        }
        None
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
        // Pieces written as they are, without the formatting machinery (paths are written
        // often: every file the binder probes).
        match &self.root {
            Root::Drive(d) => {
                f.write_char(*d)?;
                f.write_char(':')?;
                if self.rest.is_empty() {
                    return f.write_char('\\');
                }
            }
            Root::Share { server, share } => {
                for part in ["\\\\", server, "\\", share] {
                    f.write_str(part)?;
                }
            }
        }
        if !self.rest.is_empty() {
            f.write_char('\\')?;
            f.write_str(&self.rest)?;
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
///
/// Three layers answer a lookup, in order: the files the scenario (or a tool) put there; the
/// paths the scenario declared absent; and the standard files every Windows has (mscoree.dll,
/// dllhost.exe in System32 and SysWOW64, [`crate::machine::Machine::install_system_files`]),
/// which an explicit file replaces and an absent declaration removes.
#[derive(Debug, Clone, Default)]
pub struct Vfs {
    files: BTreeMap<String, VFile>,
    /// Paths declared absent, with where they were declared.
    absent: BTreeMap<String, (WinPath, String)>,
    /// The standard system files.
    standard: BTreeMap<String, VFile>,
    /// `None`: the files are complete (a closed world: what is not declared does not exist).
    /// `Some(dirs)`: they are partial (an open world): a path nobody declared is unknown unless
    /// it is under one of these directories, which are declared complete.
    partial: Option<Vec<WinPath>>,
    /// The keys of `files` holding an assembly, by its simple name in lower case: a search for
    /// an assembly by name reads the few files of that name, not every file.
    assemblies: BTreeMap<String, std::collections::BTreeSet<String>>,
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
        self.put(key, file);
        Ok(())
    }

    /// Stores a file under its key, replacing (and unindexing) one there.
    fn put(&mut self, key: String, file: VFile) {
        if let Some(name) = file.assembly().map(|a| a.name.to_ascii_lowercase()) {
            self.assemblies.entry(name).or_default().insert(key.clone());
        }
        if let Some(old) = self.files.insert(key, file) {
            self.unindex(&old);
        }
    }

    /// Forgets a file that left `files` in the assembly index.
    fn unindex(&mut self, old: &VFile) {
        let Some(name) = old.assembly().map(|a| a.name.to_ascii_lowercase()) else {
            return;
        };
        let key = old.path.key();
        // A file replaced by an assembly of the same name at the same path stays indexed.
        if self
            .files
            .get(&key)
            .and_then(VFile::assembly)
            .is_some_and(|a| a.name.eq_ignore_ascii_case(&name))
        {
            return;
        }
        if let Some(keys) = self.assemblies.get_mut(&name) {
            keys.remove(&key);
            if keys.is_empty() {
                self.assemblies.remove(&name);
            }
        }
    }

    /// Writes a file, replacing one at the same path (a tool's output, such as regasm's
    /// `/regfile`).
    pub fn write(&mut self, file: VFile) {
        let key = file.path.key();
        self.absent.remove(&key);
        self.put(key, file);
    }

    /// Declares that no file is at `path` (a standard system file the machine lacks). A file
    /// already there is an error (its origin is returned).
    pub fn declare_absent(&mut self, path: WinPath, origin: String) -> Result<(), String> {
        let key = path.key();
        if let Some(existing) = self.files.get(&key) {
            return Err(existing.origin.clone());
        }
        self.absent.insert(key, (path, origin));
        Ok(())
    }

    /// Replaces the standard system files.
    pub fn set_standard(&mut self, files: Vec<VFile>) {
        self.standard = files.into_iter().map(|f| (f.path.key(), f)).collect();
    }

    pub fn get(&self, path: &WinPath) -> Option<&VFile> {
        let key = path.key();
        if let Some(f) = self.files.get(&key) {
            return Some(f);
        }
        if self.absent.contains_key(&key) {
            return None;
        }
        self.standard.get(&key)
    }

    /// Removes the file at `path` (a file moved away, or a tool's stand-in taken back), giving
    /// it back.
    pub fn remove(&mut self, path: &WinPath) -> Option<VFile> {
        let old = self.files.remove(&path.key())?;
        self.unindex(&old);
        Some(old)
    }

    pub fn exists(&self, path: &WinPath) -> bool {
        self.get(path).is_some()
    }

    /// Whether `path` is a standard system file the scenario left as it is (neither replaced
    /// nor declared absent).
    pub fn is_standard(&self, path: &WinPath) -> bool {
        let key = path.key();
        !self.files.contains_key(&key)
            && !self.absent.contains_key(&key)
            && self.standard.contains_key(&key)
    }

    /// Where `path` was declared absent, if it was.
    pub fn absent_origin(&self, path: &WinPath) -> Option<&str> {
        self.absent.get(&path.key()).map(|(_, o)| o.as_str())
    }

    /// Makes the files partial (an open world): a path nobody declared is unknown, except under
    /// `complete_dirs`, whose files are all declared.
    pub fn set_partial(&mut self, complete_dirs: Vec<WinPath>) {
        self.partial = Some(complete_dirs);
    }

    /// Whether the files are partial (an open world).
    pub fn is_partial(&self) -> bool {
        self.partial.is_some()
    }

    /// Whether nothing says if a file is at `path`: the files are partial, no file is declared
    /// there (nor a standard one), the path is not declared absent and is not under a directory
    /// declared complete.
    pub fn is_unknown(&self, path: &WinPath) -> bool {
        let Some(complete) = &self.partial else {
            return false;
        };
        self.get(path).is_none()
            && self.absent_origin(path).is_none()
            && !complete.iter().any(|d| path.starts_with(d))
    }

    /// What a search that found no file at any of `looked` reports as found: `nothing`, or,
    /// when some of the paths are unknown ([`Self::is_unknown`]), that they were not provided;
    /// each unknown path becomes an assumption of the outcome.
    pub(crate) fn nothing_found(
        &self,
        rule: crate::trace::Rule,
        looked: &[WinPath],
        trace: &mut crate::trace::Trace,
    ) -> String {
        let unknown: Vec<&WinPath> = looked.iter().filter(|p| self.is_unknown(p)).collect();
        for p in &unknown {
            trace.assume(rule, p);
        }
        match (unknown.len(), looked.len()) {
            (0, _) => "nothing".to_owned(),
            (1, 1) => NOT_PROVIDED.to_owned(),
            (n, m) if n == m => format!(
                "nothing: none of the {m} paths is provided (nothing says whether they exist)"
            ),
            (1, m) => format!(
                "nothing: 1 of the {m} paths is not provided (nothing says whether it exists)"
            ),
            (n, m) => format!(
                "nothing: {n} of the {m} paths are not provided (nothing says whether they exist)"
            ),
        }
    }

    /// Every file the scenario or a tool put on the machine, in path order (not the standard
    /// system files).
    pub fn files(&self) -> impl Iterator<Item = &VFile> {
        self.files.values()
    }

    /// The files of [`Self::files`] holding an assembly whose simple name is `name` (compared
    /// as ASCII without case), in path order: what a pass over every file filtering on the
    /// name would give, from an index.
    pub fn assemblies_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a VFile> + 'a {
        self.assemblies
            .get(&name.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .filter_map(|k| self.files.get(k))
    }
}

/// What a trace says of a path nobody declared on a machine whose files are partial.
pub const NOT_PROVIDED: &str = "not provided (nothing says whether it exists)";

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

    /// The byte table finds the character the scan of characters finds, in ASCII names and in
    /// names with other characters around it.
    #[test]
    fn file_names_refuse_the_characters_windows_refuses_in_ascii_and_beyond() {
        let scan = |p: &str| p.chars().find(|c| FORBIDDEN.contains(c) || c.is_control());
        for c in (0u32..0x800).filter_map(char::from_u32) {
            for name in [
                format!("{c}"),
                format!("Widget{c}.dll"),
                format!("é{c}x"),
                format!("{c}é"),
            ] {
                assert_eq!(forbidden_char(&name), scan(&name), "{name:?}");
            }
        }
        assert_eq!(forbidden_char("Contoso.Widgets.dll"), None);
        assert_eq!(forbidden_char("a|b"), Some('|'));
        assert_eq!(forbidden_char("a\u{7f}"), Some('\u{7f}'));
        assert_eq!(forbidden_char("é\u{85}"), Some('\u{85}'));
    }

    fn assembly_at(path: &str, name: &str) -> VFile {
        VFile {
            path: WinPath::parse(path).unwrap(),
            kind: FileKind::Assembly(Box::new(crate::machine::AssemblyInfo::plain(
                name,
                "v4.0.30319",
                &[],
            ))),
            bytes: Vec::new(),
            embedded_manifest: None,
            origin: path.into(),
        }
    }

    /// A relative path of names alone is appended whole; the result is what joining one
    /// component at a time gives, with `.`, `..`, empty components and `/` anywhere.
    #[test]
    fn joining_a_plain_relative_path_whole_is_joining_it_name_by_name() {
        let by_names = |base: &WinPath, relative: &str| {
            let mut p = base.clone();
            for part in relative.split(['\\', '/']) {
                match part {
                    "" | "." => {}
                    ".." => p.pop(),
                    x => p.push(x),
                }
            }
            p
        };
        let pieces = ["a", "b.dll", ".", "..", "", "x y", ".hidden", "..."];
        let bases = [r"C:\", r"C:\app", r"\\srv\share\d"].map(|b| WinPath::parse(b).unwrap());
        for base in &bases {
            for a in pieces {
                for sep in ["\\", "/"] {
                    for b in pieces {
                        for c in ["", "n.dll"] {
                            let relative = format!("{a}{sep}{b}\\{c}");
                            for r in [a, &relative[..], &relative[..a.len() + 1]] {
                                assert_eq!(base.join(r), by_names(base, r), "{base} + {r:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// `assemblies_named` is an index of `files`: after any insert, write, replacement and
    /// removal it gives what filtering every file by the simple name (ASCII, any case) gives,
    /// in the same order.
    #[test]
    fn the_assembly_index_follows_every_change_of_the_files() {
        let scan = |fs: &Vfs, name: &str| -> Vec<String> {
            fs.files()
                .filter(|f| {
                    f.assembly()
                        .is_some_and(|a| a.name.eq_ignore_ascii_case(name))
                })
                .map(|f| f.path.to_string())
                .collect()
        };
        let indexed = |fs: &Vfs, name: &str| -> Vec<String> {
            fs.assemblies_named(name)
                .map(|f| f.path.to_string())
                .collect()
        };
        let mut fs = Vfs::new();
        let names = ["Contoso", "contoso", "Other", "Missing"];
        let check = |fs: &Vfs| {
            for n in names {
                assert_eq!(indexed(fs, n), scan(fs, n), "{n}");
            }
        };
        fs.insert(assembly_at(r"C:\B\Contoso.dll", "Contoso"))
            .unwrap();
        fs.insert(assembly_at(r"C:\A\Contoso.dll", "CONTOSO"))
            .unwrap();
        fs.insert(assembly_at(r"C:\A\Other.dll", "Other")).unwrap();
        check(&fs);
        assert_eq!(
            indexed(&fs, "contoso"),
            [r"C:\A\Contoso.dll", r"C:\B\Contoso.dll"]
        );
        // Replaced by another assembly's file at the same path, then by the same name again.
        fs.write(assembly_at(r"c:\b\contoso.dll", "Other"));
        check(&fs);
        fs.write(assembly_at(r"C:\B\Contoso.dll", "Contoso"));
        check(&fs);
        // Replaced by a plain file, and removed.
        let mut plain = assembly_at(r"C:\A\Other.dll", "x");
        plain.kind = FileKind::Data;
        fs.write(plain);
        check(&fs);
        assert!(
            fs.remove(&WinPath::parse(r"C:\A\Contoso.dll").unwrap())
                .is_some()
        );
        check(&fs);
        assert_eq!(indexed(&fs, "Contoso"), [r"C:\B\Contoso.dll"]);
        assert!(indexed(&fs, "Other").is_empty());
    }

    #[test]
    fn paths_compare_case_insensitively_and_normalise_separators() {
        let a = WinPath::parse(r"c:\Program Files\Contoso\Widget.DLL").unwrap();
        let b = WinPath::parse("C:/program files/contoso/./widget.dll").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.to_string(), r"C:\Program Files\Contoso\Widget.DLL");
        assert_eq!(a.extension(), "dll");
        assert_eq!(a.file_stem(), "Widget");
    }

    /// The file system's key upper-cases every character, ASCII or not (an upper case may be
    /// longer), on drives and shares alike.
    #[test]
    fn keys_upper_case_ascii_and_other_characters() {
        let p = WinPath::parse(r"c:\Straße\Ünïcode\app.dll").unwrap();
        assert_eq!(p.key(), r"C:\STRASSE\ÜNÏCODE\APP.DLL");
        let s = WinPath::parse(r"\\server\Share\x.dll").unwrap();
        assert_eq!(s.key(), r"\\SERVER\SHARE\X.DLL");
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

    /// BIND-4: a path on a share (`\\\\server\\share\\…`) is a path of the machine; its
    /// `file:` URL has the server as host, and the other spellings of that URL read back to it.
    #[test]
    fn bind4_unc_paths_and_their_file_urls() {
        let p = WinPath::parse(r"\\FileSrv\Tools\lib\..\Contoso.Gauges.dll").unwrap();
        assert!(p.is_on_share());
        assert_eq!(p.to_string(), r"\\FileSrv\Tools\Contoso.Gauges.dll");
        assert_eq!(p.to_file_url(), "file://FileSrv/Tools/Contoso.Gauges.dll");
        for url in [
            "file://filesrv/tools/Contoso.Gauges.dll",
            "file:////FileSrv/Tools/Contoso.Gauges.dll",
            "file://///FileSrv/Tools/Contoso.Gauges.dll",
            r"file:\\FileSrv\Tools\Contoso.Gauges.dll",
        ] {
            let back = WinPath::from_file_url(url).expect(url);
            assert_eq!(back.key(), p.key(), "{url}");
        }
        // `..` does not climb above the share; a share needs a server and a name.
        let q = WinPath::parse(r"//FileSrv/Tools/../../x.dll").unwrap();
        assert_eq!(q.to_string(), r"\\FileSrv\Tools\x.dll");
        assert!(WinPath::parse(r"\\FileSrv").is_err());
        assert!(WinPath::parse(r"\\\\Tools").is_err());
        // Three slashes and no drive is no path; localhost is the local machine.
        assert_eq!(WinPath::from_file_url("file:///FileSrv/Tools/x.dll"), None);
        assert_eq!(
            WinPath::from_file_url("file://localhost/C:/Tools/x.dll").map(|p| p.to_string()),
            Some(r"C:\Tools\x.dll".to_owned())
        );
        let c = WinPath::parse(r"C:\Tools\x.dll").unwrap();
        assert!(!c.is_on_share());
        assert!(!p.starts_with(&c.drive_root()));
        assert!(p.starts_with(&WinPath::parse(r"\\filesrv\TOOLS").unwrap()));
    }

    /// BIND-3, COM-3 (open world): on a machine whose files are partial, a path nobody declared
    /// is unknown and becomes an assumption of the outcome; a path under a directory declared
    /// complete, a path declared absent and a standard system file are known. With complete
    /// files (the default) nothing is unknown.
    #[test]
    fn open_world_paths_nobody_declared_are_unknown_and_become_assumptions() {
        use crate::trace::{Rule, Trace};
        let path = |s: &str| WinPath::parse(s).unwrap();
        let mut m = crate::machine::Machine::new(crate::machine::Bitness::B64);
        let undeclared = path(r"C:\Lib\x.dll");
        let under_app = path(r"C:\App\sub\x.dll");
        let absent = path(r"C:\Other\y.dll");
        let mscoree = path(r"C:\Windows\System32\mscoree.dll");
        m.fs.declare_absent(absent.clone(), "test".into()).unwrap();
        let all = [
            undeclared.clone(),
            under_app.clone(),
            absent.clone(),
            mscoree.clone(),
        ];
        assert!(all.iter().all(|p| !m.fs.is_unknown(p)), "closed world");
        let mut t = Trace::default();
        assert_eq!(
            m.fs.nothing_found(Rule::Bind3, &all[..3], &mut t),
            "nothing"
        );
        assert!(t.assumptions.is_empty());

        m.fs.set_partial(vec![path(r"C:\App")]);
        assert!(m.fs.is_unknown(&undeclared));
        assert!(!m.fs.is_unknown(&under_app));
        assert!(!m.fs.is_unknown(&absent));
        assert!(!m.fs.is_unknown(&mscoree));
        let mut t = Trace::default();
        assert_eq!(
            m.fs.nothing_found(Rule::Bind3, std::slice::from_ref(&undeclared), &mut t),
            NOT_PROVIDED
        );
        assert_eq!(
            m.fs.nothing_found(Rule::Bind3, &all[..3], &mut t),
            "nothing: 1 of the 3 paths is not provided (nothing says whether it exists)"
        );
        // One assumption per path, with the rule that looked first.
        assert_eq!(t.assumptions.len(), 1);
        assert_eq!(t.assumptions[0].rule, Rule::Bind3);
        assert_eq!(t.assumptions[0].path, undeclared.to_string());
    }
}
