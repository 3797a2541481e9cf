//! The .reg importer: regedit's grammar, with every line regedit would skip turned into a located
//! error (strict) or a warning (lenient).

use std::borrow::Cow;
use std::io::Read;

use comsim_diag::progress::{piece, scale};
use comsim_diag::{Code, Diagnostic, Location, Progress, Silent, Work};
use comsim_registry::{KeyCursor, KeyId, KeyPath, Registry, Root, Value, ValueType, View, Writer};

use crate::codes;
use crate::decode::{self, Encoding};

/// How to treat lines that regedit would skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The first malformed line is an error naming file, line and column.
    #[default]
    Strict,
    /// Import as regedit does: skip what regedit skips, and report each skip as a warning.
    Lenient,
}

/// Which of regedit's formats a file is in, from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `REGEDIT4`.
    Regedit4,
    /// `Windows Registry Editor Version 5.00`.
    Version5,
    /// `REGEDIT`: the Windows 3.1 format of `HKEY_CLASSES_ROOT\key = value` lines.
    Win31,
}

/// How a file is imported: by which regedit (its bitness decides the registry view of the paths)
/// and with which rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImportOptions {
    pub mode: Mode,
    pub view: View,
    pub writer: Writer,
    /// Overrides the byte-order-mark sniffing.
    pub encoding: Option<Encoding>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mode: Mode::Strict,
            view: View::Bits64,
            writer: Writer { admin: true },
            encoding: None,
        }
    }
}

/// What an import did besides changing the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub format: Option<Format>,
    pub encoding: Encoding,
    /// Lenient mode: each line or part of a line that was skipped, and why.
    pub warnings: Vec<Diagnostic>,
    /// Key lines under `HKEY_CLASSES_ROOT` and where REG-4 put them: `[machine, user]` counts
    /// (HKLM\Software\Classes, HKCU\Software\Classes).
    pub classes_root_placement: [usize; 2],
    /// Key lines written under the other roots directly, as `[HKLM, HKCU, HKU, HKCC]` counts.
    pub rooted: [usize; 4],
}

/// The largest `.reg` file comsim imports: 256 MiB. Importing takes a few times the file's size
/// in memory (docs/reliability.md); a larger file is `reg-too-large`, before anything is read.
pub const MAX_REG_FILE_SIZE: u64 = 256 * 1024 * 1024;

fn too_large(display: &str, size: u64) -> Diagnostic {
    Diagnostic::error(
        codes::REG_TOO_LARGE,
        format!(
            "the file is {size} bytes; comsim imports .reg files of at most {MAX_REG_FILE_SIZE} bytes (256 MiB)"
        ),
    )
    .at(Location::new(display, 1, 1))
}

/// Reads a .reg file from disk and imports it. The `display` name is used in diagnostics.
///
/// A UTF-16LE file (regedit's export format) is decoded and imported a piece at a time, the
/// reading and decoding on a second thread (`stream.rs`), so that neither its bytes nor its whole
/// text are held while the registry grows; the result, warnings
/// and errors are those of [`import_bytes`] on the same bytes. After an error the registry holds
/// what was imported before the failing place (for an encoding error, the lines before it).
pub fn import_file(
    reg: &mut Registry,
    path: &std::path::Path,
    display: &str,
    opts: &ImportOptions,
) -> Result<ImportReport, Diagnostic> {
    import_file_with_progress(reg, path, display, opts, &mut Silent)
}

/// How often an import reports progress: every this many bytes of its text.
const REPORT_EVERY: usize = 256 * 1024;

/// [`import_file`], saying how far it has got to `progress`: one piece of work named `display`,
/// counted in the file's bytes (for a file in an 8-bit encoding, the place in its decoded text
/// scaled to the file's size), reported every 256 KiB or so. The import's result is the same.
pub fn import_file_with_progress(
    reg: &mut Registry,
    path: &std::path::Path,
    display: &str,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, Diagnostic> {
    piece(progress, display, Work::Bytes, |progress| {
        import_file_reporting(reg, path, display, opts, progress)
    })
}

/// [`import_file_with_progress`] inside its piece of work.
fn import_file_reporting(
    reg: &mut Registry,
    path: &std::path::Path,
    display: &str,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, Diagnostic> {
    let io = |e: std::io::Error| {
        Diagnostic::error(codes::REG_IO, format!("cannot read the file: {e}"))
            .at(Location::new(display, 1, 1))
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_REG_FILE_SIZE {
        return Err(too_large(display, size));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::with_capacity(3);
    (&mut file).take(3).read_to_end(&mut head).map_err(io)?;
    let utf16 = match opts.encoding {
        Some(e) => e == Encoding::Utf16Le,
        None => head.starts_with(&[0xFF, 0xFE]),
    };
    if utf16 {
        let sizes = (crate::stream::PIECE, size);
        return crate::stream::import_utf16(reg, display, head, file, opts, sizes, progress);
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(io)?;
    let decoded = decode::decode(display, &bytes, opts.encoding, opts.mode == Mode::Strict)?;
    // The importer reads only the text: free the file's bytes before the registry grows.
    drop(bytes);
    let mut imp = Importer::new(reg, display, opts, decoded.1, decoded.2);
    let format = imp.run(&decoded.0, &mut |done, of| {
        progress.advance(scale(done, of, size), size);
    })?;
    progress.advance(size, size);
    Ok(imp.report(format, Vec::new()))
}

/// Imports the bytes of a .reg file into `reg`.
///
/// On an error the registry holds what was imported before the failing line, as after regedit;
/// callers that want all or nothing import into a clone.
pub fn import_bytes(
    reg: &mut Registry,
    file: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportReport, Diagnostic> {
    if bytes.len() as u64 > MAX_REG_FILE_SIZE {
        return Err(too_large(file, bytes.len() as u64));
    }
    let decoded = decode::decode(file, bytes, opts.encoding, opts.mode == Mode::Strict)?;
    import_text(reg, file, decoded, opts)
}

/// Imports decoded text: the part of [`import_bytes`] after [`decode::decode`].
fn import_text(
    reg: &mut Registry,
    file: &str,
    (text, encoding, warnings): (String, Encoding, Vec<Diagnostic>),
    opts: &ImportOptions,
) -> Result<ImportReport, Diagnostic> {
    let mut imp = Importer::new(reg, file, opts, encoding, warnings);
    let format = imp.run(&text, &mut |_, _| {})?;
    Ok(imp.report(format, Vec::new()))
}

/// A key opened by a key line.
#[derive(Debug, Clone)]
struct Opened {
    key: KeyId,
}

struct Pending {
    name: String,
    ty: u32,
    data: Vec<u8>,
}

pub(crate) struct Importer<'a> {
    reg: &'a mut Registry,
    file: &'a str,
    opts: &'a ImportOptions,
    encoding: Encoding,
    warnings: Vec<Diagnostic>,
    /// The key that values go to; `None` before the first key line, after a deletion, or when the
    /// last key line could not be opened.
    key: Option<Opened>,
    /// Where the last key line led, so that the next one (usually a sibling or a child) is opened
    /// without walking down from the root again.
    cursor: KeyCursor,
    pending: Option<Pending>,
    /// Where a key line's names are split into: empty between key lines, kept so that its
    /// allocation serves every key line ([`reuse`]).
    names: Vec<&'static str>,
    line_no: u32,
    stopped: bool,
    /// See [`ImportReport::classes_root_placement`].
    placement: [usize; 2],
    /// See [`ImportReport::rooted`].
    rooted: [usize; 4],
}

const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
const HEADER_V4: &str = "REGEDIT4";
const HEADER_31: &str = "REGEDIT";

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn skip_blanks(s: &str, mut i: usize) -> usize {
    while s[i..].starts_with(is_blank) {
        i += 1;
    }
    i
}

/// Whether only blanks or a `;` comment follow position `i`.
fn only_comment_after(s: &str, i: usize) -> bool {
    let j = skip_blanks(s, i);
    j == s.len() || s[j..].starts_with(';')
}

impl<'a> Importer<'a> {
    pub(crate) fn new(
        reg: &'a mut Registry,
        file: &'a str,
        opts: &'a ImportOptions,
        encoding: Encoding,
        warnings: Vec<Diagnostic>,
    ) -> Self {
        Importer {
            reg,
            file,
            opts,
            encoding,
            warnings,
            key: None,
            cursor: KeyCursor::default(),
            pending: None,
            names: Vec::new(),
            line_no: 0,
            stopped: false,
            placement: [0, 0],
            rooted: [0; 4],
        }
    }

    /// What the import did, once it has ended.
    pub(crate) fn report(self, format: Option<Format>, front: Vec<Diagnostic>) -> ImportReport {
        let mut warnings = front;
        warnings.extend(self.warnings);
        ImportReport {
            format,
            encoding: self.encoding,
            warnings,
            classes_root_placement: self.placement,
            rooted: self.rooted,
        }
    }

    fn strict(&self) -> bool {
        self.opts.mode == Mode::Strict
    }

    fn diag(&self, code: Code, line: &str, byte: usize, message: String) -> Diagnostic {
        let byte = byte.min(line.len());
        let mut b = byte;
        while !line.is_char_boundary(b) {
            b -= 1;
        }
        let column = line[..b].chars().count() as u32 + 1;
        Diagnostic::error(code, message)
            .at(Location::new(self.file, self.line_no, column))
            .with_source_line(line)
    }

    /// Something regedit skips: an error in strict mode, a warning in lenient mode.
    fn problem(
        &mut self,
        code: Code,
        line: &str,
        byte: usize,
        message: impl Into<String>,
    ) -> Result<(), Diagnostic> {
        let mut d = self.diag(code, line, byte, message.into());
        if self.strict() {
            return Err(d);
        }
        d.severity = comsim_diag::Severity::Warning;
        self.warnings.push(d);
        Ok(())
    }

    /// Imports `text`, telling `progress` every [`REPORT_EVERY`] bytes or so how many of its bytes
    /// are behind (and how many it has).
    fn run(
        &mut self,
        text: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Option<Format>, Diagnostic> {
        let mut lines = decode::lines(text);
        let Some(format) = self.header(lines.next().unwrap_or(""), text.is_empty())? else {
            return Ok(None);
        };
        let (start, total) = (text.as_ptr() as usize, text.len() as u64);
        let mut next_report = REPORT_EVERY;
        // One search of the whole text instead of one per line.
        let nul_free = crate::decode::has_no_nul(text.as_bytes());
        for line in lines {
            // Each line is a slice of `text`: where it starts is how much of the text is behind.
            let at = line.as_ptr() as usize - start;
            if at >= next_report {
                progress(at as u64, total);
                next_report = at + REPORT_EVERY;
            }
            if !self.body_line(line, format, nul_free)? {
                break;
            }
        }
        self.finish()?;
        Ok(Some(format))
    }

    /// The first line; `None` when nothing more is imported (lenient mode, a header regedit
    /// accepts but imports nothing after).
    pub(crate) fn header(
        &mut self,
        first: &str,
        empty: bool,
    ) -> Result<Option<Format>, Diagnostic> {
        self.line_no = 1;
        let header = first.trim_start_matches(is_blank);
        let format = match header {
            HEADER_V5 => Format::Version5,
            HEADER_V4 => Format::Regedit4,
            HEADER_31 => Format::Win31,
            h if h.starts_with(HEADER_31) => {
                let offset = first.len() - header.len() + HEADER_31.len();
                let msg = format!(
                    "`{h}` is not a header regedit imports from: it accepts headers that start with REGEDIT but imports nothing unless the line is exactly `{HEADER_V5}` or `{HEADER_V4}`"
                );
                self.problem(codes::REG_HEADER, first, offset, msg)?;
                return Ok(None);
            }
            _ => {
                let what = if empty {
                    "the file is empty; expected"
                } else {
                    "expected"
                };
                return Err(self.diag(
                    codes::REG_HEADER,
                    first,
                    first.len() - header.len(),
                    format!("{what} `{HEADER_V5}` or `{HEADER_V4}` as the first line"),
                ));
            }
        };
        Ok(Some(format))
    }

    /// A line after the header; `false` once the import has stopped (it reads no more lines).
    /// `nul_free`: the caller knows that the line has no NUL character.
    pub(crate) fn body_line(
        &mut self,
        line: &str,
        format: Format,
        nul_free: bool,
    ) -> Result<bool, Diagnostic> {
        self.body_line_prepared(line, format, nul_free, None)
    }

    /// [`Self::body_line`], given what the decoding thread made of the line, if anything
    /// ([`prepare_string_value`], [`prepare_key_line`]): the value is set, or the key opened, as
    /// reading the line would, unless the line is read otherwise (it continues a hex value, or the
    /// file is in the Windows 3.1 format).
    #[inline]
    pub(crate) fn body_line_prepared(
        &mut self,
        line: &str,
        format: Format,
        nul_free: bool,
        prepared: Option<Prepared<'_>>,
    ) -> Result<bool, Diagnostic> {
        self.line_no += 1;
        if self.stopped {
            return Ok(false);
        }
        if let Some(made) = prepared
            && format != Format::Win31
            && self.pending.is_none()
        {
            match made {
                Prepared::Value(name, value) => self.set(line, name, value)?,
                Prepared::Key(root, names, values) => {
                    self.key = None;
                    self.open_key(line, 1, root, names)?;
                    if let (Some(k), 2..) = (&self.key, values) {
                        self.reg.reserve_values(k.key, values as usize);
                    }
                }
            }
            return Ok(true);
        }
        // An empty line (one in three of an export) changes nothing in any format or state: a hex
        // value continued with `\` waits for the next line, as it does after a blank one.
        if line.is_empty() {
            return Ok(true);
        }
        let line = if nul_free {
            line
        } else {
            self.cut_at_nul(line)?
        };
        if format == Format::Win31 {
            self.win31_line(line)?;
        } else {
            self.line(line)?;
        }
        Ok(true)
    }

    /// The end of the file.
    pub(crate) fn finish(&mut self) -> Result<(), Diagnostic> {
        if let Some(p) = self.pending.take() {
            let msg = "the file ends inside a hex value continued with `\\`; regedit stores the bytes read so far";
            self.problem(codes::REG_HEX_EOF, "", 0, msg)?;
            self.finish_hex(p, "", 0)?;
        }
        Ok(())
    }

    fn cut_at_nul<'l>(&mut self, line: &'l str) -> Result<&'l str, Diagnostic> {
        match line.find('\0') {
            Some(i) => {
                self.problem(
                    codes::REG_NUL,
                    line,
                    i,
                    "a NUL character ends the line for regedit; the rest of the line is ignored",
                )?;
                Ok(&line[..i])
            }
            None => Ok(line),
        }
    }

    fn line(&mut self, line: &str) -> Result<(), Diagnostic> {
        if let Some(p) = self.pending.take() {
            return self.continuation(p, line);
        }
        let start = skip_blanks(line, 0);
        match line[start..].chars().next() {
            None | Some(';') => Ok(()),
            Some('[') => self.key_line(line, start + 1),
            Some('@') => self.data_start(line, Cow::Borrowed(""), start + 1),
            Some('"') => match unescape(line, start + 1) {
                Ok((name, end, unknown)) => {
                    self.unknown_escapes(line, &unknown)?;
                    self.data_start(line, name, end)
                }
                Err(e) => self.escape_error(line, e, "value name"),
            },
            Some(_) => self.problem(
                codes::REG_UNEXPECTED_LINE,
                line,
                start,
                "expected `[key]`, `\"name\"=`, `@=` or a `;` comment; regedit ignores this line",
            ),
        }
    }

    fn key_line(&mut self, line: &str, pos: usize) -> Result<(), Diagnostic> {
        if line[pos..].starts_with(is_blank) {
            // regedit ignores the line and keeps the current key open.
            return self.problem(
                codes::REG_KEY_SPACE,
                line,
                pos,
                "a key name cannot start with a space or tab after `[`; regedit ignores this line",
            );
        }
        let Some(close) = line[pos..].rfind(']').map(|c| pos + c) else {
            return self.problem(
                codes::REG_KEY_UNCLOSED,
                line,
                line.len(),
                "expected `]` to close the key name; regedit ignores this line",
            );
        };
        if !only_comment_after(line, close + 1) {
            let j = skip_blanks(line, close + 1);
            self.problem(codes::REG_KEY_TRAILING, line, j, "expected nothing but a `;` comment after the closing `]`; regedit ignores the rest of the line")?;
        }
        let name = &line[pos..close];
        if let Some(target) = name.strip_prefix('-') {
            self.key = None;
            return self.delete_key(line, pos + 1, target);
        }
        self.key = None;
        let Some((root, components)) = self.split_key_path(line, pos, name, false)? else {
            return Ok(());
        };
        let opened = self.open_key(line, pos, root, &components);
        self.names = reuse(components);
        opened
    }

    /// Opens or creates the key of a key line (its name at `pos`) and makes it the current key.
    fn open_key(
        &mut self,
        line: &str,
        pos: usize,
        root: Root,
        components: &[&str],
    ) -> Result<(), Diagnostic> {
        let opened = self.reg.create_key_near(
            &mut self.cursor,
            root,
            components,
            self.opts.view,
            self.opts.writer,
        );
        match opened {
            Ok(key) => {
                if root == Root::ClassesRoot {
                    let mut top = key;
                    while let Some(up) = self.reg.parent(top) {
                        top = up;
                    }
                    let user = top == self.reg.root(comsim_registry::Hive::CurrentUser);
                    self.placement[usize::from(user)] += 1;
                } else {
                    let i = match root {
                        Root::LocalMachine => 0,
                        Root::CurrentUser => 1,
                        Root::Users => 2,
                        _ => 3,
                    };
                    self.rooted[i] += 1;
                }
                self.key = Some(Opened { key })
            }
            Err(e) => {
                // Lenient import goes on without the key; strict import stops at it.
                let then = if self.strict() {
                    "regedit would skip the values up to the next key line"
                } else {
                    "values up to the next key line are skipped"
                };
                self.problem(
                    codes::REG_OPEN_FAILED,
                    line,
                    pos,
                    format!("regedit cannot open or create this key: {e}; {then}"),
                )?
            }
        }
        Ok(())
    }

    /// Splits `ROOT\a\b` as regedit does: the root by its full name (case-insensitive), then the
    /// names below it. `Ok(None)` when the key cannot be used (already reported).
    fn key_path(
        &mut self,
        line: &str,
        pos: usize,
        name: &str,
        deleting: bool,
    ) -> Result<Option<KeyPath>, Diagnostic> {
        let split = self.split_key_path(line, pos, name, deleting)?;
        Ok(split.map(|(root, components)| KeyPath::new(root, components)))
    }

    /// [`Self::key_path`] as the root and the names below it, borrowed from `name`.
    fn split_key_path<'n>(
        &mut self,
        line: &str,
        pos: usize,
        name: &'n str,
        deleting: bool,
    ) -> Result<Option<(Root, Vec<&'n str>)>, Diagnostic> {
        let (root_name, rest) = match find_backslash(name.as_bytes()) {
            Some(i) => (&name[..i], Some(&name[i + 1..])),
            None => (name, None),
        };
        let root = match Root::from_full_name(root_name) {
            Some(r) => r,
            None => {
                let msg = if let Some(r) = Root::from_any_name(root_name) {
                    format!(
                        "regedit accepts only full root names: write `{}` instead of `{root_name}`",
                        r.full_name()
                    )
                } else if root_name.eq_ignore_ascii_case("HKEY_DYN_DATA") {
                    "HKEY_DYN_DATA does not exist on Windows NT and later; regedit cannot open it"
                        .to_owned()
                } else {
                    format!(
                        "`{root_name}` is not a root key; expected HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_USERS or HKEY_CURRENT_CONFIG"
                    )
                };
                if deleting && !root_name.eq_ignore_ascii_case("HKEY_DYN_DATA") {
                    self.stop(
                        line,
                        pos,
                        format!("{msg}; regedit stops the import at this deletion"),
                    )?;
                } else {
                    self.problem(codes::REG_ROOT, line, pos, msg)?;
                }
                return Ok(None);
            }
        };
        if rest.is_some_and(|r| r.starts_with('\\')) {
            // RegCreateKeyEx and RegDeleteTree refuse a subkey path that starts with a backslash
            // (ERROR_BAD_PATHNAME), so `ROOT\\a` opens or deletes nothing.
            let what = if deleting {
                "regedit deletes nothing"
            } else {
                "regedit cannot open the key and skips the values up to the next key line"
            };
            let msg = format!(
                "a key path cannot start with a backslash after the root name: Windows refuses the path (ERROR_BAD_PATHNAME), so {what}"
            );
            self.problem(
                codes::REG_KEY_LEADING_BACKSLASH,
                line,
                pos + root_name.len() + 1,
                msg,
            )?;
            return Ok(None);
        }
        let mut components = reuse(std::mem::take(&mut self.names));
        let mut offset = pos + root_name.len() + 1;
        for part in split_backslashes(rest.unwrap_or("")) {
            if part.is_empty() {
                if rest.is_some_and(|r| !r.is_empty()) {
                    self.problem(
                        codes::REG_KEY_EMPTY_NAME,
                        line,
                        offset,
                        "empty key name between backslashes; Wine's regedit skips it",
                    )?;
                }
            } else {
                components.push(part);
            }
            offset += part.len() + 1;
        }
        if deleting && components.is_empty() {
            self.stop(
                line,
                pos,
                format!(
                    "regedit refuses to delete the root key `{root_name}` and stops the import here"
                ),
            )?;
            return Ok(None);
        }
        Ok(Some((root, components)))
    }

    /// regedit exits on some deletions; lenient mode stops the import there.
    fn stop(&mut self, line: &str, pos: usize, message: String) -> Result<(), Diagnostic> {
        self.problem(codes::REG_DELETE_ROOT, line, pos, message)?;
        self.stopped = true;
        Ok(())
    }

    fn delete_key(&mut self, line: &str, pos: usize, target: &str) -> Result<(), Diagnostic> {
        if !target.starts_with(['H', 'h']) {
            return self.problem(
                codes::REG_DELETE_SYNTAX,
                line,
                pos,
                "expected a root key name right after `[-`; regedit deletes nothing here",
            );
        }
        let Some(path) = self.key_path(line, pos, target, true)? else {
            return Ok(());
        };
        if let Err(e) = self
            .reg
            .delete_tree(&path, self.opts.view, self.opts.writer)
        {
            self.problem(
                codes::REG_DELETE_FAILED,
                line,
                pos,
                format!("regedit cannot delete this key: {e}"),
            )?;
        }
        Ok(())
    }

    fn escape_error(&mut self, line: &str, e: EscapeError, what: &str) -> Result<(), Diagnostic> {
        match e {
            EscapeError::Unterminated => {
                self.problem(codes::REG_STRING_UNCLOSED, line, line.len(), format!("expected `\"` to close the {what}; regedit ignores this line"))
            }
            EscapeError::Nul(at) => self.problem(
                codes::REG_STRING_NUL_ESCAPE,
                line,
                at,
                format!("`\\0` cannot appear in a {what}; regedit ignores this line (write the value as hex(1) or hex(7) to store NULs)"),
            ),
        }
    }

    fn unknown_escapes(&mut self, line: &str, at: &[usize]) -> Result<(), Diagnostic> {
        for &i in at {
            let c = line[i + 1..].chars().next().unwrap_or(' ');
            self.problem(
                codes::REG_STRING_ESCAPE,
                line,
                i,
                format!("`\\{c}` is not an escape regedit knows (it knows \\\\, \\\", \\n and \\r); it keeps `{c}` and drops the backslash"),
            )?;
        }
        Ok(())
    }

    fn data_start(&mut self, line: &str, name: Cow<'_, str>, pos: usize) -> Result<(), Diagnostic> {
        let eq = skip_blanks(line, pos);
        if !line[eq..].starts_with('=') {
            return self.problem(
                codes::REG_EXPECTED_EQUALS,
                line,
                eq,
                "expected `=` after the value name; regedit ignores this line",
            );
        }
        let start = skip_blanks(line, eq + 1);
        let data = line.trim_end_matches(is_blank);
        let data_end = data.len().max(start);
        let d = &line[start..data_end];
        if let Some(after) = d.strip_prefix('-') {
            if !only_comment_after(after, 0) {
                let j = start + 1 + skip_blanks(after, 0);
                return self.problem(
                    codes::REG_DELETE_VALUE_SYNTAX,
                    line,
                    j,
                    "expected nothing but a `;` comment after `-`; regedit ignores this line",
                );
            }
            return match self.key.clone() {
                Some(k) => {
                    self.reg.delete_value(k.key, &name);
                    Ok(())
                }
                None => self.no_key(line),
            };
        }
        if let Some(rest) = d.strip_prefix('"') {
            let base = start + 1;
            return match unescape(line, base) {
                Ok((s, end, unknown)) => {
                    debug_assert!(end <= line.len() && rest.len() + base == data_end);
                    if !only_comment_after(line, end) {
                        let j = skip_blanks(line, end);
                        return self.problem(codes::REG_STRING_TRAILING, line, j, "expected nothing but a `;` comment after the closing `\"`; regedit ignores this line");
                    }
                    self.unknown_escapes(line, &unknown)?;
                    self.set(line, &name, Value::sz(&s))
                }
                Err(e) => self.escape_error(line, e, "string"),
            };
        }
        if let Some(rest) = d.strip_prefix("dword:") {
            return self.dword(line, name, start + 6, rest);
        }
        if d.starts_with("hex:") {
            return self.hex(line, name, ValueType::BINARY.0, start + 4, data_end);
        }
        if let Some(rest) = d.strip_prefix("hex(") {
            return match self.hex_type(rest) {
                Some((ty, used)) => self.hex(line, name, ty, start + 4 + used, data_end),
                None => self.problem(
                    codes::REG_HEX_TYPE,
                    line,
                    start + 4,
                    "expected a type number in hex followed by `):`, as in `hex(2):`; regedit ignores this line",
                ),
            };
        }
        self.problem(
            codes::REG_DATA_TYPE,
            line,
            start,
            "expected a quoted string, `dword:`, `hex:`, `hex(N):` or `-` after `=`; regedit ignores this line",
        )
    }

    /// The `N):` of `hex(N):`; returns the type and the bytes used, `):` included.
    fn hex_type(&self, rest: &str) -> Option<(u32, usize)> {
        if self.strict() {
            let digits = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
            if !(1..=8).contains(&digits) || !rest[digits..].starts_with("):") {
                return None;
            }
            return Some((u32::from_str_radix(&rest[..digits], 16).ok()?, digits + 2));
        }
        // regedit: fails on an empty remainder or an `x` as second character, then wcstoul.
        if rest.is_empty() || rest.chars().nth(1).is_some_and(|c| c == 'x' || c == 'X') {
            return None;
        }
        let n = wcstoul16(rest);
        if !rest[n.used..].starts_with("):") || n.overflow {
            return None;
        }
        Some((n.value, n.used + 2))
    }

    fn dword(
        &mut self,
        line: &str,
        name: Cow<'_, str>,
        pos: usize,
        rest: &str,
    ) -> Result<(), Diagnostic> {
        let i = skip_blanks(rest, 0);
        // regedit counts the characters `iswxdigit` accepts, then converts them with `wcstoul`.
        let strict = self.strict();
        let xdigit = |c: &char| {
            if strict {
                c.is_ascii_hexdigit()
            } else {
                is_wide_xdigit(*c)
            }
        };
        let end = i + rest[i..]
            .chars()
            .take_while(xdigit)
            .map(char::len_utf8)
            .sum::<usize>();
        let digits = rest[i..end].chars().count();
        let ok = !rest[i..].is_empty()
            && digits <= 8
            && only_comment_after(rest, end)
            && (digits > 0 || !strict);
        if !ok {
            let msg = "expected 1 to 8 hex digits after `dword:` (no `0x`), then nothing but a `;` comment; regedit ignores this line";
            return self.problem(codes::REG_DWORD, line, pos + i, msg);
        }
        self.set(line, &name, Value::dword(wcstoul16(&rest[i..end]).value))
    }

    fn hex(
        &mut self,
        line: &str,
        name: Cow<'_, str>,
        ty: u32,
        pos: usize,
        end: usize,
    ) -> Result<(), Diagnostic> {
        if pos >= end {
            // An empty list is zero-length data, stored as is.
            return self.set(line, &name, Value::new(ValueType(ty), Vec::new()));
        }
        let mut pending = Pending {
            name: name.into_owned(),
            ty,
            data: Vec::new(),
        };
        match parse_hex(&line[..end], pos, &mut pending.data, self.strict()) {
            Ok(HexEnd::Done) => self.finish_hex(pending, line, 0),
            Ok(HexEnd::Continue) => {
                self.pending = Some(pending);
                Ok(())
            }
            Err((at, msg)) => self.problem(
                hex_code(&msg),
                line,
                at,
                format!("{msg}; regedit ignores this value"),
            ),
        }
    }

    fn continuation(&mut self, mut p: Pending, line: &str) -> Result<(), Diagnostic> {
        let j = skip_blanks(line, 0);
        if j == line.len() || line[j..].starts_with(';') {
            self.pending = Some(p);
            return Ok(());
        }
        let strict = self.strict();
        let hex_digit = |c: char| {
            if strict {
                c.is_ascii_hexdigit()
            } else {
                is_wide_xdigit(c)
            }
        };
        if !line[j..].starts_with(hex_digit) {
            return self.problem(
                codes::REG_HEX_CONTINUATION,
                line,
                j,
                format!("expected more hex bytes of `{}` after the `\\` on the line before; regedit drops the value and skips this line", display_name(&p.name)),
            );
        }
        match parse_hex(line, j, &mut p.data, self.strict()) {
            Ok(HexEnd::Done) => self.finish_hex(p, line, 0),
            Ok(HexEnd::Continue) => {
                self.pending = Some(p);
                Ok(())
            }
            Err((at, msg)) => self.problem(
                hex_code(&msg),
                line,
                at,
                format!("{msg}; regedit drops the value"),
            ),
        }
    }

    /// Stores completed hex data. String types get a terminating NUL if they lack one, and in a
    /// non-Unicode file their bytes are code-page text converted to UTF-16.
    fn finish_hex(&mut self, p: Pending, line: &str, _at: usize) -> Result<(), Diagnostic> {
        let mut data = p.data;
        if ValueType(p.ty).is_string() {
            if self.encoding.is_unicode() {
                let units = data.len() / 2;
                let last_is_nul = units > 0 && data[2 * units - 2] == 0 && data[2 * units - 1] == 0;
                if !last_is_nul {
                    let odd = data.len() % 2 == 1;
                    data.truncate(2 * units);
                    data.extend([0, 0]);
                    if odd {
                        data.push(0);
                    }
                }
            } else {
                if data.last() != Some(&0) {
                    data.push(0);
                }
                let text = self.encoding.decode_bytes(&data);
                data = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            }
        }
        self.set(line, &p.name, Value::new(ValueType(p.ty), data))
    }

    fn no_key(&mut self, line: &str) -> Result<(), Diagnostic> {
        self.problem(
            codes::REG_NO_KEY,
            line,
            0,
            "this value belongs to no key: no key line came before it, or the last key line was a deletion or could not be opened",
        )
    }

    fn set(&mut self, line: &str, name: &str, value: Value) -> Result<(), Diagnostic> {
        let Some(key) = &self.key else {
            return self.no_key(line);
        };
        if let Err(e) = self.reg.set_value(key.key, name, value) {
            return self.problem(
                codes::REG_VALUE_NAME,
                line,
                0,
                format!("regedit cannot set this value: {e}"),
            );
        }
        Ok(())
    }

    fn win31_line(&mut self, line: &str) -> Result<(), Diagnostic> {
        if !line.starts_with("HKEY_CLASSES_ROOT") {
            if line.trim().is_empty() {
                return Ok(());
            }
            return self.problem(codes::REG_WIN31_LINE, line, 0, "a REGEDIT (Windows 3.1) file holds only `HKEY_CLASSES_ROOT\\key = value` lines; regedit ignores this one");
        }
        let key_end = line.find(char::is_whitespace).unwrap_or(line.len());
        let mut v = skip_blanks(line, key_end);
        if line[v..].starts_with('=') {
            v += 1;
        }
        if line[v..].starts_with(' ') {
            v += 1;
        }
        let value = &line[v..];
        self.key = None;
        let Some(path) = self.key_path(line, 0, &line[..key_end], false)? else {
            return Ok(());
        };
        match self.reg.create_key(&path, self.opts.view, self.opts.writer) {
            Ok(t) => self.key = Some(Opened { key: t.key }),
            Err(e) => {
                return self.problem(
                    codes::REG_OPEN_FAILED,
                    line,
                    0,
                    format!("regedit cannot open or create this key: {e}"),
                );
            }
        }
        self.set(line, "", Value::sz(value))
    }
}

/// An empty vector with `v`'s allocation, for names that live as long as something else: a
/// vector of references collected from an emptied one of the same size reuses its memory.
fn reuse<'b>(mut v: Vec<&str>) -> Vec<&'b str> {
    v.clear();
    v.into_iter().map(|_| "").collect()
}

/// `s.split('\\')`, scanning bytes: in UTF-8 a backslash byte is always a backslash.
fn split_backslashes(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match find_backslash(r.as_bytes()) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The first backslash in `bytes`, eight bytes at a time.
fn find_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (k, word) in words.enumerate() {
        // Zero bytes of `x` are backslashes; the lowest flagged byte is always a true one.
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default()) ^ (ONES * u64::from(b'\\'));
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(8 * k + (found.trailing_zeros() / 8) as usize);
        }
    }
    let i = bytes.len() - tail.len();
    tail.iter().position(|&b| b == b'\\').map(|p| i + p)
}

fn display_name(name: &str) -> &str {
    if name.is_empty() { "@" } else { name }
}

fn hex_code(msg: &str) -> Code {
    if msg.contains("continuation") || msg.contains("after `\\`") {
        codes::REG_HEX_CONTINUATION
    } else {
        codes::REG_HEX_BYTE
    }
}

#[derive(Debug, PartialEq, Eq)]
enum EscapeError {
    Unterminated,
    Nul(usize),
}

/// Unescapes a quoted string starting at `start` (just after the opening quote). Returns the text,
/// the byte offset just after the closing quote, and the offsets of unknown escapes.
fn unescape(line: &str, start: usize) -> Result<(Cow<'_, str>, usize, Vec<usize>), EscapeError> {
    // Most strings hold no backslash: then the text is the line's own bytes up to the quote, with
    // no copy and no allocation (both bytes are ASCII, so the cut is on a character boundary).
    let rest = &line.as_bytes()[start..];
    match rest.iter().position(|&b| b == b'"' || b == b'\\') {
        None => return Err(EscapeError::Unterminated),
        Some(i) if rest[i] == b'"' => {
            return Ok((
                Cow::Borrowed(&line[start..start + i]),
                start + i + 1,
                Vec::new(),
            ));
        }
        Some(_) => {}
    }
    // The text is at most the rest of the line: one allocation instead of a growing string.
    let mut out = String::with_capacity(line.len() - start);
    let mut unknown = Vec::new();
    let mut chars = line[start..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(out), start + i + 1, unknown)),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '0')) => return Err(EscapeError::Nul(start + i)),
                Some((_, c @ ('\\' | '"'))) => out.push(c),
                Some((_, c)) => {
                    unknown.push(start + i);
                    out.push(c);
                }
                None => return Err(EscapeError::Unterminated),
            },
            c => out.push(c),
        }
    }
    Err(EscapeError::Unterminated)
}

/// What the decoding thread made of a line ahead of the importer.
pub(crate) enum Prepared<'l> {
    /// [`prepare_string_value`]: the value's name and the value.
    Value(&'l str, Value),
    /// [`prepare_key_line`]: the root, the names below it, and how many values the lines after it
    /// are likely to set (a hint for [`Registry::reserve_values`]).
    Key(Root, &'l [&'l str], u32),
}

/// The root and the names of a key line of the commonest shape, `[ROOT\\a\\b]`: `[` first and
/// `]` last, the root's full name, at least one name below it, no empty name (no `\\\\`, no
/// backslash first or last), no blank or `-` after `[`, no NUL. Reading such a line
/// ([`Importer::body_line`]) reports nothing and opens or creates that key; the names' places in
/// the line are pushed on `names` (start and end). `None`, with `names` as it was, for any other
/// line, which is read in full.
pub(crate) fn prepare_key_line(line: &str, names: &mut Vec<(u32, u32)>) -> Option<Root> {
    let bytes = line.as_bytes();
    if bytes.first() != Some(&b'[') || bytes.last() != Some(&b']') || bytes.len() < 3 {
        return None;
    }
    u32::try_from(bytes.len()).ok()?;
    let path = &bytes[1..bytes.len() - 1];
    if matches!(path[0], b' ' | b'\t' | b'-') {
        return None;
    }
    let before = names.len();
    // The root's name ends at the first backslash; each later one ends a name (places in the
    // line, one after the path's).
    let (mut root_end, mut start, mut empty) = (None, 0, false);
    let clean = scan_bytes(path, b'\\', |at| {
        if root_end.is_none() {
            root_end = Some(at);
        } else {
            empty |= at == start;
            names.push((1 + start as u32, 1 + at as u32));
        }
        start = at + 1;
    });
    let root = root_end.and_then(|cut| Root::from_full_name(&line[1..1 + cut]));
    // The last name: from the last backslash to the end.
    let last = (1 + start as u32, 1 + path.len() as u32);
    match root {
        Some(root) if clean && !empty && start < path.len() => {
            names.push(last);
            Some(root)
        }
        _ => {
            names.truncate(before);
            None
        }
    }
}

/// Calls `found` with the place of each `target` byte of `bytes`, in order, eight bytes a step;
/// stops at a NUL byte and returns `false` if there is one (`true` otherwise).
fn scan_bytes(bytes: &[u8], target: u8, mut found: impl FnMut(usize)) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (k, word) in words.enumerate() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if zero_bytes(w) != 0 {
            return false;
        }
        let mut hits = zero_bytes(w ^ (ONES * u64::from(target)));
        while hits != 0 {
            found(8 * k + (hits.trailing_zeros() / 8) as usize);
            hits &= hits - 1;
        }
    }
    let base = bytes.len() - tail.len();
    for (i, &b) in tail.iter().enumerate() {
        if b == 0 {
            return false;
        }
        if b == target {
            found(base + i);
        }
    }
    true
}

/// The top bit of each byte of `x` that is zero, and no other bit: exact, with no carry between
/// bytes (the low seven bits plus 0x7F reach the top bit unless they are all zero).
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The string value of a line of the commonest shapes, `"name"="text"` and `@="text"`: nothing
/// before the name, nothing after the closing quote, no blank around `=`, and no backslash or NUL
/// anywhere. Reading such a line ([`Importer::body_line`]: [`unescape`], no escapes, nothing after
/// the data) sets the value `name` (`""` for `@`) to REG_SZ `text`, and nothing else; this is
/// where the name is in the line and that value, made on the decoding thread ahead of the
/// importer (`stream.rs`). `None` for any other line, which is read in full.
pub(crate) fn prepare_string_value(line: &str) -> Option<(std::ops::Range<usize>, Value)> {
    let bytes = line.as_bytes();
    if bytes.last() != Some(&b'"') || !matches!(bytes.first(), Some(b'@' | b'"')) {
        return None;
    }
    if find_backslash(bytes).is_some() {
        return prepare_escaped_string_value(line);
    }
    // The line's quotes (a fifth makes it another shape); a NUL makes it another line.
    let (mut quotes, mut n) = ([0usize; 4], 0);
    let no_nul = scan_bytes(bytes, b'"', |at| {
        if let Some(q) = quotes.get_mut(n) {
            *q = at;
        }
        n += 1;
    });
    if !no_nul {
        return None;
    }
    // `@="text"`: quotes at 2 and last. `"name"="text"`: at 0, after the name, two after that
    // (with `=` between), and last.
    let (name, data) = match (bytes[0], n, quotes) {
        (b'@', 2, [2, close, ..]) if bytes[1] == b'=' && close > 2 => (0..0, 3),
        (b'"', 4, [0, end, open, close])
            if open == end + 2 && bytes[end + 1] == b'=' && close > open =>
        {
            (1..end, open + 1)
        }
        _ => return None,
    };
    Some((name, Value::sz(&line[data..bytes.len() - 1])))
}

/// [`prepare_string_value`] of a line with a backslash: `"name"="text"` or `@="text"` whose name
/// has no backslash and whose text has only the escapes regedit knows (`\\\\`, `\\"`, `\\n`,
/// `\\r`), up to the line's last quote, and no NUL anywhere. Reading it ([`unescape`] of the text,
/// nothing unknown to report, nothing after the closing quote) sets the name to REG_SZ of the
/// unescaped text; `None` for any other line.
fn prepare_escaped_string_value(line: &str) -> Option<(std::ops::Range<usize>, Value)> {
    let bytes = line.as_bytes();
    let name = match bytes.first()? {
        b'@' => 0..0,
        _ => 1..1 + bytes.get(1..)?.iter().position(|&b| b == b'"')?,
    };
    let eq = if bytes[0] == b'@' { 1 } else { name.end + 1 };
    if bytes.get(eq..eq + 2) != Some(&b"=\""[..])
        || find_backslash(&bytes[..eq]).is_some()
        || bytes.contains(&0)
    {
        return None;
    }
    match unescape(line, eq + 2) {
        Ok((text, end, unknown)) if end == line.len() && unknown.is_empty() => {
            Some((name, Value::sz(&text)))
        }
        _ => None,
    }
}

enum HexEnd {
    Done,
    Continue,
}

/// What C's `wcstoul(s, &end, 16)` reads: the value, the bytes used (0 when nothing was converted)
/// and whether it overflowed 32 bits.
struct Ul {
    value: u32,
    used: usize,
    overflow: bool,
}

/// C's `iswxdigit`: the ASCII hex digits and their fullwidth forms (Unicode's Hex_Digit).
fn is_wide_xdigit(c: char) -> bool {
    c.is_ascii_hexdigit()
        || matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF26}' | '\u{FF41}'..='\u{FF46}')
}

/// A digit as the C runtime's `wcstoul` reads it in base 16: the ASCII hex digits, and the
/// fullwidth decimal digits (the runtime maps Unicode decimal digits to their values; fullwidth
/// ones are the only ones comsim models).
fn wide_hex_digit(c: char) -> Option<u32> {
    match c {
        '\u{FF10}'..='\u{FF19}' => Some(c as u32 - 0xFF10),
        c => c.to_digit(16),
    }
}

fn wcstoul16(s: &str) -> Ul {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut negative = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        negative = b[i] == b'-';
        i += 1;
    }
    if i + 2 < b.len() + 1
        && b[i..].starts_with(b"0")
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let digits_start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    // Everything before `i` is ASCII, so `i` is a character boundary.
    for c in s[i..].chars() {
        let Some(d) = wide_hex_digit(c) else {
            break;
        };
        value = value * 16 + u64::from(d);
        if value > u32::MAX as u64 {
            overflow = true;
            value = u32::MAX as u64;
        }
        i += c.len_utf8();
    }
    if i == digits_start {
        return Ul {
            value: 0,
            used: 0,
            overflow: false,
        };
    }
    let mut v = value as u32;
    if negative && !overflow {
        v = v.wrapping_neg();
    }
    Ul {
        value: v,
        used: i,
        overflow,
    }
}

/// Reads the plain bytes from `i` on, two ASCII hex digits each, each followed by a comma or the
/// end of the line: both modes read such a byte the same way (strict mode's one or two digits,
/// and lenient mode's `wcstoul`, which finds no blank, sign or `0x` there and stops at the comma).
/// Returns where the first other thing starts, or the line's end; [`parse_hex`] reads the rest.
fn plain_hex_bytes(b: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
    let digit = |c: u8| (c as char).to_digit(16);
    while let Some(&[hi, lo]) = b.get(i..i + 2) {
        let (Some(hi), Some(lo)) = (digit(hi), digit(lo)) else {
            break;
        };
        match b.get(i + 2) {
            None => {
                out.push((hi * 16 + lo) as u8);
                return i + 2;
            }
            Some(b',') => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            Some(_) => break,
        }
    }
    i
}

/// Parses a comma-separated list of hex bytes from `pos`. Lenient mode reads each byte as regedit
/// does (with C's `wcstoul`); strict mode wants one or two hex digits per byte.
fn parse_hex(
    line: &str,
    pos: usize,
    out: &mut Vec<u8>,
    strict: bool,
) -> Result<HexEnd, (usize, String)> {
    let mut i = pos;
    loop {
        i = plain_hex_bytes(line.as_bytes(), i, out);
        if i >= line.len() {
            return Ok(HexEnd::Done);
        }
        let (value, used, overflow) = if strict {
            let j = skip_blanks(line, i);
            let digits = line[j..].bytes().take_while(u8::is_ascii_hexdigit).count();
            if digits > 2 {
                return Err((
                    j,
                    format!(
                        "`{}` is not a byte: a byte is one or two hex digits",
                        &line[j..j + digits]
                    ),
                ));
            }
            let v = if digits == 0 {
                0
            } else {
                u32::from_str_radix(&line[j..j + digits], 16).unwrap_or(0)
            };
            (v, if digits == 0 { 0 } else { j + digits - i }, false)
        } else {
            let n = wcstoul16(&line[i..]);
            (n.value, n.used, n.overflow)
        };
        if used == 0 {
            let j = skip_blanks(line, i);
            if line[j..].starts_with('\\') {
                if !only_comment_after(line, j + 1) {
                    return Err((
                        skip_blanks(line, j + 1),
                        "expected nothing but a `;` comment after `\\` (a continuation)".into(),
                    ));
                }
                return Ok(HexEnd::Continue);
            }
            if line[j..].starts_with(';') {
                return Ok(HexEnd::Done);
            }
            return Err((j, "expected a hex byte such as `0a`".into()));
        }
        if overflow || value > 0xff {
            return Err((
                i,
                format!(
                    "`{}` is not a byte (00 to ff)",
                    line[i..i + used].trim_start()
                ),
            ));
        }
        out.push(value as u8);
        i += used;
        if i < line.len() && !line[i..].starts_with(',') {
            if !only_comment_after(line, i) {
                let j = skip_blanks(line, i);
                let what = if line[j..].starts_with('\\') {
                    "expected `,` before the continuation `\\`"
                } else {
                    "expected `,` between hex bytes"
                };
                return Err((j, what.into()));
            }
            return Ok(HexEnd::Done);
        }
        if i < line.len() {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslash_splitting_matches_str_split() {
        for s in [
            "",
            "a",
            "\\",
            "a\\b",
            "\\a\\\\b\\",
            "é\\中\\\u{1F600}",
            "HKEY_CLASSES_ROOT\\CLSID\\{0002C24E-2711-4337-8942-C8589A5716F7}\\InprocServer32",
            "\u{5b}\u{5d}\u{5d}\u{5c}\u{dc}\u{15c}xxxxxxxxxxxxxx\u{5c}\u{5c}",
        ] {
            let want: Vec<&str> = s.split('\\').collect();
            assert_eq!(split_backslashes(s).collect::<Vec<_>>(), want);
        }
    }

    /// `parse_hex` on `line` from 0 in both modes: the bytes and how it ended (`true` for a
    /// continuation), or where the error is.
    fn hex_both(line: &str) -> [Result<(Vec<u8>, bool), usize>; 2] {
        [true, false].map(|strict| {
            let mut out = Vec::new();
            match parse_hex(line, 0, &mut out, strict) {
                Ok(end) => Ok((out, matches!(end, HexEnd::Continue))),
                Err((at, _)) => Err(at),
            }
        })
    }

    #[test]
    fn plain_hex_bytes_read_as_the_byte_by_byte_loop_reads_them() {
        let ok = |b: &[u8], more: bool| Ok((b.to_vec(), more));
        // Lines both modes read alike: plain bytes only, to the end, with a trailing comma, then a
        // continuation; then where the plain run stops and the general loop goes on (one digit,
        // blanks, a comment).
        let alike: [(&str, &[u8], bool); 6] = [
            ("0a,Bf,00", &[10, 0xbf, 0], false),
            ("0a,Bf,00,", &[10, 0xbf, 0], false),
            ("0a,ff,\\", &[10, 255], true),
            ("0a,1,2", &[10, 1, 2], false),
            ("0a, 0b", &[10, 11], false),
            ("0a,0b ;x", &[10, 11], false),
        ];
        for (line, bytes, more) in alike {
            assert_eq!(hex_both(line), [ok(bytes, more), ok(bytes, more)], "{line}");
        }
        // Three digits: strict mode refuses them where they start, `wcstoul` reads 0xfff.
        assert_eq!(hex_both("0a,fff,01"), [Err(3), Err(3)]);
        // Two digits followed by something else than a comma are not a plain byte.
        assert_eq!(hex_both("0a,0bx"), [Err(5), Err(5)]);
        // `0x` is a prefix to `wcstoul` only: `0x1` is byte 1 in lenient mode.
        assert_eq!(hex_both("0a,0x1"), [Err(4), ok(&[10, 1], false)]);
        // Fullwidth digits are not plain: lenient mode reads them as `wcstoul` does.
        assert_eq!(
            hex_both("0a,\u{FF11}\u{FF12}").map(|r| r.is_ok()),
            [false, true]
        );
    }

    #[test]
    fn wcstoul_reads_like_c() {
        let n = wcstoul16(" 0x1f,");
        assert_eq!((n.value, n.used), (0x1f, 5));
        assert_eq!(wcstoul16(",").used, 0);
        assert_eq!(wcstoul16("-1").value, u32::MAX);
        assert!(wcstoul16("123456789").overflow);
        assert_eq!(wcstoul16("0x").used, 1);
    }

    #[test]
    fn unescape_knows_four_escapes_and_rejects_nul() {
        let (s, end, unknown) = unescape(r#""a\\b\"c\n\q" ;x"#, 1).unwrap();
        assert_eq!(s, "a\\b\"c\nq");
        assert_eq!(end, 13);
        assert_eq!(unknown, [10]);
        assert_eq!(unescape(r#""a\0""#, 1), Err(EscapeError::Nul(2)));
        assert_eq!(unescape(r#""abc"#, 1), Err(EscapeError::Unterminated));
        // Without a backslash, the text is borrowed from the line.
        let (s, end, unknown) = unescape("\"d\u{e9}f\"=x", 1).unwrap();
        assert!(matches!(s, Cow::Borrowed("d\u{e9}f")) && end == 6 && unknown.is_empty());
        assert_eq!(unescape("\"d\u{e9}f", 1), Err(EscapeError::Unterminated));
    }

    fn lenient(text: &str) -> (Registry, ImportReport) {
        let mut reg = Registry::new();
        let opts = ImportOptions {
            mode: Mode::Lenient,
            encoding: Some(Encoding::Utf8),
            ..ImportOptions::default()
        };
        let report = import_bytes(&mut reg, "t.reg", text.as_bytes(), &opts).unwrap();
        (reg, report)
    }

    fn value(reg: &Registry, path: &str, name: &str) -> Option<Value> {
        let key = reg.open(
            &KeyPath::parse(path).unwrap(),
            &comsim_registry::Access::default(),
        )?;
        reg.value(key.primary.key, name).cloned()
    }

    #[test]
    fn only_plain_name_equals_string_lines_are_prepared_and_as_reading_them_sets() {
        let prepared = [
            ("\"a\"=\"x\"", "a", "x"),
            ("\"\"=\"\"", "", ""),
            ("\"Class\"=\"N.C; é=1\"", "Class", "N.C; é=1"),
            ("\"n=m\"=\"=\"", "n=m", "="),
            ("@=\"x\"", "", "x"),
            ("@=\"\"", "", ""),
            ("\"@\"=\"x\"", "@", "x"),
            // Escapes regedit knows in the text: read on the decoding thread too.
            ("\"a\"=\"x\\n\"", "a", "x\n"),
            ("@=\"x\\\"\"", "", "x\""),
            ("\"p\"=\"C:\\\\W\\\\a.dll\"", "p", "C:\\W\\a.dll"),
            ("@=\"\\r\\\\\"", "", "\r\\"),
        ];
        for (line, name, text) in prepared {
            let (at, made) = prepare_string_value(line).expect(line);
            assert_eq!((&line[at], made.clone()), (name, Value::sz(text)), "{line}");
            // Reading the line sets the same value, with nothing to report.
            let (reg, report) = lenient(&format!("REGEDIT4\n[HKEY_CURRENT_USER\\P]\n{line}\n"));
            assert!(report.warnings.is_empty(), "{line}: {:?}", report.warnings);
            assert_eq!(
                value(&reg, "HKEY_CURRENT_USER\\P", name),
                Some(made),
                "{line}"
            );
        }
        for line in [
            "",
            "\"",
            "\"a\"",
            "\"a\"=",
            "\"a\"=\"",
            " \"a\"=\"x\"",
            "\"a\" =\"x\"",
            "\"a\"= \"x\"",
            "\"a\"=\"x\" ",
            "\"a\"=\"x\";c",
            "\"a\"=\"x\"y\"",
            "\"a\\\"b\"=\"x\"",
            "\"a\"=\"x\0\"",
            "\"a\"=dword:00000001",
            "\"a\"=-",
            "\"a\"=\"x\"\"",
            "@ =\"x\"",
            "@=\"x\" ",
            "@@=\"x\"",
            "@\"=\"x\"",
            "@=\"",
            // Escapes that reading reports or refuses, a backslash in the name, text after the
            // closing quote, a NUL.
            "\"a\"=\"x\\q\"",
            "\"a\"=\"x\\0\"",
            "\"a\"=\"x\\",
            "\"a\"=\"x\\\"",
            "\"a\\b\"=\"x\\n\"",
            "\"a\"=\"x\\n\"y\"",
            "\"a\"=\"x\\n\0\"",
            "\"a\0\"=\"x\\n\"",
        ] {
            assert!(prepare_string_value(line).is_none(), "{line:?}");
        }
    }

    #[test]
    fn zero_bytes_flags_exactly_the_zero_bytes_of_a_word() {
        // Each byte value at each place, beside zeros and beside 0x01 and 0x80 (where a borrow or
        // a carry would flag the wrong byte).
        for around in [0u8, 1, 0x80, 0xFF] {
            for place in 0..8 {
                for b in 0..=255u8 {
                    let mut word = [around; 8];
                    word[place] = b;
                    let want = word
                        .iter()
                        .enumerate()
                        .fold(0u64, |m, (i, &x)| m | (u64::from(x == 0) << (8 * i + 7)));
                    assert_eq!(zero_bytes(u64::from_le_bytes(word)), want, "{word:?}");
                }
            }
        }
    }

    #[test]
    fn plain_lines_are_prepared_whatever_the_place_of_each_byte_in_a_word() {
        // Names and text of every length across two words; a quote, backslash or NUL at each
        // place makes the line another shape (the names have no `n` or `r`, so a backslash
        // inserted is never an escape regedit knows).
        for len in 0..18 {
            let a: String = "abcdefghijklmopqsu"[..len].into();
            let b: String = "ABCDEFGHIJKLMNOPQR"[..len].into();
            let line = format!("\"{a}\"=\"{b}\"");
            let (at, made) = prepare_string_value(&line).expect(&line);
            assert_eq!((&line[at], made), (a.as_str(), Value::sz(&b)), "{line}");
            let line = format!("@=\"{b}\"");
            assert_eq!(
                prepare_string_value(&line).map(|p| p.1),
                Some(Value::sz(&b))
            );
            if len > 0 {
                let key = format!("[HKEY_CURRENT_USER\\{a}\\{b}]");
                let mut names = Vec::new();
                assert_eq!(prepare_key_line(&key, &mut names), Some(Root::CurrentUser));
                let got: Vec<&str> = names
                    .iter()
                    .map(|&(s, e)| &key[s as usize..e as usize])
                    .collect();
                assert_eq!(got, [a.as_str(), b.as_str()], "{key}");
            }
            for i in 0..len {
                for c in ['"', '\\', '\0'] {
                    let mut odd = a.clone();
                    odd.insert(i, c);
                    let line = format!("\"{odd}\"=\"{b}\"");
                    assert!(prepare_string_value(&line).is_none(), "{line:?}");
                    let line = format!("@=\"{odd}\"");
                    assert!(prepare_string_value(&line).is_none(), "{line:?}");
                }
                let mut nul = a.clone();
                nul.insert(i, '\0');
                let mut names = vec![(1, 1)];
                let key = format!("[HKEY_CURRENT_USER\\{nul}\\{b}]");
                assert_eq!(prepare_key_line(&key, &mut names), None, "{key:?}");
                assert_eq!(names, [(1, 1)]);
            }
        }
    }

    #[test]
    fn the_names_of_a_key_line_reuse_one_allocation() {
        let mut names = Vec::with_capacity(8);
        names.push("x");
        let at = names.as_ptr() as usize;
        let again: Vec<&str> = reuse(names);
        assert!(again.is_empty());
        assert_eq!((again.capacity(), again.as_ptr() as usize), (8, at));
    }

    #[test]
    fn only_plain_key_lines_are_prepared_and_as_reading_them_opens() {
        let prepared = [
            ("[HKEY_CURRENT_USER\\A]", Root::CurrentUser, vec!["A"]),
            (
                "[hkey_local_machine\\Software\\B C\\{x}]",
                Root::LocalMachine,
                vec!["Software", "B C", "{x}"],
            ),
            ("[HKEY_CLASSES_ROOT\\a]b]", Root::ClassesRoot, vec!["a]b"]),
            (
                "[HKEY_CURRENT_USER\\\u{e9}t\u{e9}\\-]",
                Root::CurrentUser,
                vec!["\u{e9}t\u{e9}", "-"],
            ),
        ];
        for (line, root, want) in prepared {
            let mut names = vec![(7, 7)];
            assert_eq!(prepare_key_line(line, &mut names), Some(root), "{line}");
            let got: Vec<&str> = names[1..]
                .iter()
                .map(|&(s, e)| &line[s as usize..e as usize])
                .collect();
            assert_eq!(got, want, "{line}");
            // Reading the line opens that key, with nothing to report.
            let (reg, report) = lenient(&format!("REGEDIT4\n{line}\n\"v\"=\"1\"\n"));
            assert!(report.warnings.is_empty(), "{line}: {:?}", report.warnings);
            let path = format!("{}\\{}", root.full_name(), want.join("\\"));
            assert_eq!(value(&reg, &path, "v"), Some(Value::sz("1")), "{line}");
        }
        for line in [
            "",
            "[",
            "[]",
            "[HKEY_CURRENT_USER]",
            "[HKEY_CURRENT_USER\\]",
            "[HKEY_CURRENT_USER\\\\A]",
            "[HKEY_CURRENT_USER\\A\\]",
            "[HKEY_CURRENT_USER\\A\\\\B]",
            "[-HKEY_CURRENT_USER\\A]",
            "[ HKEY_CURRENT_USER\\A]",
            "[\tHKEY_CURRENT_USER\\A]",
            "[HKCU\\A]",
            "[HKEY_DYN_DATA\\A]",
            " [HKEY_CURRENT_USER\\A]",
            "[HKEY_CURRENT_USER\\A] ",
            "[HKEY_CURRENT_USER\\A];c",
            "[HKEY_CURRENT_USER\\A\0]",
            "[HKEY_CURRENT_USER\\A",
        ] {
            let mut names = vec![(7, 7)];
            assert_eq!(prepare_key_line(line, &mut names), None, "{line:?}");
            assert_eq!(names, [(7, 7)], "{line:?}");
        }
    }

    #[test]
    fn lenient_hex_type_with_a_non_ascii_character_is_skipped_without_panicking() {
        let (reg, report) = lenient(
            "REGEDIT4\n[HKEY_CURRENT_USER\\T]\n\"a\"=hex(\u{e9}x):01\n\"b\"=hex(\u{e9}):01\n",
        );
        assert_eq!(value(&reg, "HKCU\\T", "a"), None);
        assert_eq!(value(&reg, "HKCU\\T", "b"), None);
        assert!(
            report
                .warnings
                .iter()
                .all(|w| w.code == codes::REG_HEX_TYPE)
        );
        assert_eq!(report.warnings.len(), 2);
    }

    #[test]
    fn a_key_path_starting_with_a_backslash_after_the_root_opens_and_deletes_nothing() {
        let text = "REGEDIT4\n[HKEY_CURRENT_USER\\T]\n\"a\"=\"1\"\n[HKEY_CURRENT_USER\\\\T\\U]\n\"b\"=\"2\"\n[-HKEY_CURRENT_USER\\\\T]\n[HKEY_CURRENT_USER\\T\\\\V\\]\n\"c\"=\"3\"\n";
        let (reg, report) = lenient(text);
        assert!(value(&reg, "HKCU\\T", "a").is_some());
        assert!(
            reg.open(&KeyPath::parse("HKCU\\T\\U").unwrap(), &Default::default())
                .is_none()
        );
        assert_eq!(value(&reg, "HKCU\\T", "b"), None);
        // Empty names further in are skipped, as Windows skips repeated and trailing backslashes.
        assert!(value(&reg, "HKCU\\T\\V", "c").is_some());
        let codes: Vec<_> = report.warnings.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                codes::REG_KEY_LEADING_BACKSLASH,
                codes::REG_NO_KEY,
                codes::REG_KEY_LEADING_BACKSLASH,
                codes::REG_KEY_EMPTY_NAME,
                codes::REG_KEY_EMPTY_NAME
            ]
        );
        let mut reg = Registry::new();
        let err = import_bytes(
            &mut reg,
            "t.reg",
            text.as_bytes(),
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, codes::REG_KEY_LEADING_BACKSLASH);
    }

    /// Issue 15: setting a value used to scan the key's values for its name, so one key with
    /// 100,000 values took minutes to import. The values keep their first-written order, and a
    /// name written again (in another case) replaces the value in place.
    #[test]
    fn one_key_with_100000_values_imports_in_order_and_finds_each_name() {
        const N: usize = 100_000;
        let mut text = String::from("REGEDIT4\n[HKEY_CURRENT_USER\\Big]\n");
        for i in (0..N).rev() {
            text.push_str(&format!("\"v{i}\"=dword:{i:08x}\n"));
        }
        text.push_str("\"V7\"=dword:ffffffff\n");
        let (reg, report) = lenient(&text);
        assert!(report.warnings.is_empty());
        let key = reg
            .open(&KeyPath::parse("HKCU\\Big").unwrap(), &Default::default())
            .unwrap()
            .primary
            .key;
        let values = reg.values(key).to_vec();
        assert_eq!(values.len(), N);
        assert_eq!(values[0].0.as_str(), format!("v{}", N - 1));
        assert_eq!(values[N - 1 - 7].0.as_str(), "v7");
        assert_eq!(values[N - 1 - 7].1, Value::dword(u32::MAX));
        assert_eq!(reg.value(key, "V12345"), Some(&Value::dword(12345)));
    }

    #[test]
    fn lenient_mode_reads_fullwidth_digits_as_the_c_runtime_does() {
        let text = "REGEDIT4\n[HKEY_CURRENT_USER\\T]\n\"hex\"=hex:\u{ff11}\u{ff12},0a\n\"dword\"=dword:\u{ff11}\u{ff21}\n\"cont\"=hex:01,\\\n  \u{ff10}\u{ff12}\n\"type\"=hex(\u{ff12}):41,00\n";
        let (reg, report) = lenient(text);
        assert_eq!(
            value(&reg, "HKCU\\T", "hex"),
            Some(Value::binary(&[0x12, 0x0a]))
        );
        // `iswxdigit` counts the fullwidth A, `wcstoul` stops at it.
        assert_eq!(value(&reg, "HKCU\\T", "dword"), Some(Value::dword(1)));
        assert_eq!(value(&reg, "HKCU\\T", "cont"), Some(Value::binary(&[1, 2])));
        assert_eq!(
            value(&reg, "HKCU\\T", "type").map(|v| v.ty),
            Some(ValueType::EXPAND_SZ)
        );
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let mut reg = Registry::new();
        assert!(
            import_bytes(
                &mut reg,
                "t.reg",
                text.as_bytes(),
                &ImportOptions::default()
            )
            .is_err()
        );
    }
}
