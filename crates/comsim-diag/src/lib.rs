//! Located diagnostics shared by every comsim parser.
//!
//! A [`Diagnostic`] names the file, the 1-based line and column (counted in characters, not bytes),
//! a stable machine-readable `code`, and a message saying what was expected. It renders as
//! `file:line:col: error[code]: message` followed by the offending line and a caret, and serialises
//! to JSON for structured snapshots.

use std::fmt;

mod code;
pub mod progress;
mod text;
pub use code::{Code, CodeInfo};
pub use progress::{Progress, Silent, Work};
pub use text::{XmlEncoding, XmlLimit, decode_xml, xml_limit, xml_limit_error};

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input was rejected (strict mode) or could not be used at all.
    Error,
    /// The input was accepted, but something in it was skipped or changed.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A position in a named input file. Line and column are 1-based; the column counts characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: Box<str>,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Self {
        Location {
            file: file.into().into_boxed_str(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One finding about an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable, kebab-case code such as `reg-string-unclosed`, declared in its crate's `codes`
    /// table; serialised as its name.
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub location: Option<Location>,
    /// The text of the offending line, shown under the message with a caret at the column. A
    /// line longer than [`SNIPPET_MAX_CHARS`] is cut to a window around the column, with `…`
    /// marking what was left out (see [`Diagnostic::snippet_column`]).
    #[serde(skip)]
    pub source_line: Option<Box<str>>,
    /// The column of the line that the first character of `source_line` stands for (1 unless the
    /// line was cut; 0 while the line waits for [`Diagnostic::at`] to be cut).
    #[serde(skip)]
    pub snippet_column: u32,
    /// Further explanation, one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            source_line: None,
            snippet_column: 1,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Places the diagnostic; a source line already given is cut to a window around the column.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        match self.source_line.take() {
            Some(line) if self.snippet_column == 0 => self.with_source_line(line),
            line => {
                self.source_line = line;
                self
            }
        }
    }

    /// The offending line, shown with a caret under the column. A line longer than
    /// [`SNIPPET_MAX_CHARS`] is cut to a window around the column (by [`Diagnostic::at`] when the
    /// diagnostic is not placed yet), so that an error in a 200 MB line is a short message.
    pub fn with_source_line(mut self, line: impl AsRef<str>) -> Self {
        let Some(column) = self.location.as_ref().map(|l| l.column) else {
            self.source_line = Some(line.as_ref().into());
            self.snippet_column = 0;
            return self;
        };
        let (text, first) = snippet_window(line.as_ref(), column);
        self.source_line = Some(text.into_boxed_str());
        self.snippet_column = first;
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

// Diagnostics travel in `Result::Err` through every parser; keep them small (clippy's
// `result_large_err` limit is 128 bytes).
const _: () = assert!(std::mem::size_of::<Diagnostic>() <= 128);

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        if let (Some(loc), Some(text)) = (&self.location, &self.source_line) {
            let gutter = loc.line.to_string();
            let pad = " ".repeat(gutter.len());
            let shown = printable(text);
            // The caret sits under the column'th character; tabs in the prefix are kept so the
            // caret lines up in a terminal.
            let prefix: String = shown
                .chars()
                .take(loc.column.saturating_sub(self.snippet_column.max(1)) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} |\n{gutter} | {shown}\n{pad} | {prefix}^")?;
        }
        for note in &self.notes {
            write!(f, "\n  = note: {note}")?;
        }
        Ok(())
    }
}

/// The most characters of a line a snippet shows; a longer line is cut around the column.
pub const SNIPPET_MAX_CHARS: usize = 160;

/// `line` cut to at most [`SNIPPET_MAX_CHARS`] characters around `column`, with `…` for each cut
/// end, and the column that the window's first character stands for.
fn snippet_window(line: &str, column: u32) -> (String, u32) {
    // Only the characters up to the window's end are looked at: a 200 MB line costs its prefix.
    let half = SNIPPET_MAX_CHARS / 2;
    let col = (column.max(1) - 1) as usize;
    let from = col.saturating_sub(half);
    let mut chars = line.char_indices().skip(from);
    let Some((start, _)) = chars.next() else {
        return (line.to_owned(), 1);
    };
    let mut window = String::new();
    let mut first = from as u32 + 1;
    if from > 0 {
        window.push('…');
        first -= 1;
    }
    let taken = SNIPPET_MAX_CHARS - usize::from(from > 0);
    let end = line[start..]
        .char_indices()
        .nth(taken)
        .map_or(line.len(), |(i, _)| start + i);
    if from == 0 && end == line.len() {
        return (line.to_owned(), 1);
    }
    window.push_str(&line[start..end]);
    if end < line.len() {
        window.push('…');
    }
    (window, first)
}

/// Replaces control characters (other than tab) so a snippet never corrupts a terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Maps byte offsets in a text to 1-based line and character columns.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as Windows tools treat them.
///
/// A lookup costs O(log n) plus at most [`CHECKPOINT_BYTES`] bytes of counting, however long the
/// line: the index records how many characters precede every [`CHECKPOINT_BYTES`]th byte, so a
/// document written on one long line (100,000 elements) is located in linear time overall.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
    /// `chars[k]`: the number of characters in `text[..k * CHECKPOINT_BYTES]`.
    chars: Vec<usize>,
}

thread_local! {
    /// See [`line_index_work`].
    static LOOKUP_WORK: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// The work the [`LineIndex`] lookups of this thread have done so far: how many positions were
/// looked up, and how many bytes were counted for them. Each lookup counts at most
/// 2 × [`CHECKPOINT_BYTES`] bytes, however long its line, so a test subtracts two readings around
/// a parse and checks that bound: a structural check that locating stays linear
/// (docs/reliability.md), with no clock.
pub fn line_index_work() -> (u64, u64) {
    LOOKUP_WORK.with(std::cell::Cell::get)
}

/// The spacing, in bytes, of the character-count checkpoints of a [`LineIndex`].
pub const CHECKPOINT_BYTES: usize = 256;

/// Whether a byte starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        let mut chars = Vec::with_capacity(bytes.len() / CHECKPOINT_BYTES + 1);
        let mut count = 0;
        chars.push(0);
        for block in bytes.chunks(CHECKPOINT_BYTES) {
            count += block.iter().filter(|&&b| starts_char(b)).count();
            chars.push(count);
        }
        LineIndex {
            text,
            starts,
            chars,
        }
    }

    /// The number of characters before `offset`, a character boundary of the text.
    fn chars_before(&self, offset: usize) -> usize {
        let block = offset / CHECKPOINT_BYTES;
        let from = block * CHECKPOINT_BYTES;
        let tail = &self.text.as_bytes()[from..offset];
        LOOKUP_WORK.with(|w| {
            let (lookups, bytes) = w.get();
            w.set((lookups, bytes + tail.len() as u64));
        });
        self.chars[block] + tail.iter().filter(|&&b| starts_char(b)).count()
    }

    /// The 1-based (line, column) of a byte offset. Offsets past the end map to the end; an
    /// offset inside a character is that character's column.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        LOOKUP_WORK.with(|w| {
            let (lookups, bytes) = w.get();
            w.set((lookups + 1, bytes));
        });
        let offset = offset.min(self.text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_before(end) - self.chars_before(start) + 1;
        (line as u32 + 1, column as u32)
    }

    /// The text of a 1-based line, without its terminator.
    pub fn line_text(&self, line: u32) -> &'a str {
        let i = (line as usize).saturating_sub(1).min(self.starts.len() - 1);
        let start = self.starts[i];
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\r', '\n'])
    }

    /// A [`Location`] for a byte offset in `file`.
    pub fn location(&self, file: &str, offset: usize) -> Location {
        let (line, column) = self.position(offset);
        Location::new(file, line, column)
    }

    /// `d` placed at a byte offset in `file`, with the text of that line for its snippet.
    pub fn locate(&self, file: &str, d: Diagnostic, offset: usize) -> Diagnostic {
        let loc = self.location(file, offset);
        let line = self.line_text(loc.line).to_owned();
        d.at(loc).with_source_line(line)
    }

    /// The byte offset in the indexed text of `slice`, which a parser borrowed from it (clamped to
    /// the text for a slice that lies elsewhere).
    pub fn offset_of(&self, slice: &(impl AsRef<[u8]> + ?Sized)) -> usize {
        let slice = slice.as_ref();
        (slice.as_ptr() as usize)
            .saturating_sub(self.text.as_ptr() as usize)
            .min(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED_EQUALS: Code = Code::new(&CodeInfo::new("reg-expected-equals", "a test code"));
    const X: Code = Code::new(&CodeInfo::new("x", "a test code"));

    #[test]
    fn renders_location_code_snippet_and_caret() {
        let d = Diagnostic::error(EXPECTED_EQUALS, "expected `=` after the value name")
            .at(Location::new("a.reg", 3, 7))
            .with_source_line("\"name\" \"x\"")
            .with_note("regedit skips such a line");
        assert_eq!(
            d.to_string(),
            "a.reg:3:7: error[reg-expected-equals]: expected `=` after the value name\n  |\n3 | \"name\" \"x\"\n  |       ^\n  = note: regedit skips such a line"
        );
    }

    #[test]
    fn json_carries_the_code_as_its_name() {
        let d = Diagnostic::warning(EXPECTED_EQUALS, "m").at(Location::new("a.reg", 3, 7));
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"severity":"warning","code":"reg-expected-equals","message":"m","file":"a.reg","line":3,"column":7}"#
        );
    }

    #[test]
    fn line_index_counts_characters_and_all_line_breaks() {
        let text = "ab\r\ncé\rd\nxyz";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(4), (2, 1));
        // 'é' is two bytes: the byte after it is column 3.
        assert_eq!(idx.position(7), (2, 3));
        assert_eq!(idx.position(8), (3, 1));
        assert_eq!(idx.position(10), (4, 1));
        assert_eq!(idx.line_text(2), "cé");
        assert_eq!(idx.line_text(4), "xyz");
    }

    /// The column as the character count from the line's start, the definition the index keeps.
    fn naive_position(text: &str, offset: usize) -> (u32, u32) {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + before.matches('\r').count()
            - before.matches("\r\n").count()
            + 1;
        // A `\r` just before `offset` whose `\n` follows still ends the line there.
        (line as u32, before[start..].chars().count() as u32 + 1)
    }

    #[test]
    fn checkpointed_columns_equal_counting_from_the_line_start() {
        // Lines longer than a checkpoint, multi-byte characters across checkpoint boundaries.
        let mut text = String::new();
        for i in 0..24 {
            text.push_str(&"aé€😀".repeat(i * 3));
            text.push(['\n', '\r'][i % 2]);
            if i % 5 == 0 {
                text.push_str("\r\n");
            }
        }
        let idx = LineIndex::new(&text);
        for offset in 0..=text.len() + 3 {
            if text.as_bytes().get(offset.wrapping_sub(1)) == Some(&b'\r')
                && text.as_bytes().get(offset) == Some(&b'\n')
            {
                continue; // between \r and \n: the index places it on the line the pair ends
            }
            assert_eq!(
                idx.position(offset),
                naive_position(&text, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn locating_many_elements_on_one_long_line_is_linear() {
        // 40,000 lookups spread over a 2 MB line: counting from the line's start would count
        // 40 GB of bytes, and fail the bound below at once; the checkpoints count at most 256
        // bytes each (about 10 MB in all).
        let text = "<a/>".repeat(500_000);
        let idx = LineIndex::new(&text);
        let (lookups0, bytes0) = line_index_work();
        for k in 0..40_000 {
            let offset = k * 50;
            let (line, column) = idx.position(offset);
            assert_eq!(line, 1);
            assert_eq!(column as usize, offset + 1);
            // Counted, not timed, after every lookup: at most two checkpoint blocks each.
            let (lookups, bytes) = line_index_work();
            assert_eq!(lookups - lookups0, k as u64 + 1);
            assert!(bytes - bytes0 <= (k as u64 + 1) * 2 * CHECKPOINT_BYTES as u64);
        }
    }

    #[test]
    fn a_long_line_is_cut_around_the_column_in_the_snippet() {
        let line = format!(
            "{}\"unterminated{}",
            "x".repeat(1_000_000),
            "y".repeat(1_000_000)
        );
        let d = Diagnostic::error(X, "m")
            .at(Location::new("f", 1, 1_000_001))
            .with_source_line(&line);
        let text = d.to_string();
        assert!(text.len() < 1_000, "{} bytes", text.len());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].starts_with("1 | …x"), "{}", lines[2]);
        assert!(lines[2].ends_with("y…"), "{}", lines[2]);
        // The caret still points at the quote.
        let caret = lines[3].find('^').unwrap();
        let quote = lines[2].find('"').unwrap();
        assert_eq!(
            lines[3][..caret].chars().count(),
            lines[2][..quote].chars().count()
        );
        // Given before the place, the line is cut when the place comes.
        let later = Diagnostic::error(X, "m")
            .with_source_line(&line)
            .at(Location::new("f", 1, 1_000_001));
        assert_eq!(later.to_string(), text);
        // A short line is shown whole.
        let short = Diagnostic::error(X, "m")
            .at(Location::new("f", 1, 3))
            .with_source_line("abcdef");
        assert!(short.to_string().contains("1 | abcdef\n  |   ^"));
    }

    #[test]
    fn control_characters_in_snippets_are_replaced() {
        let d = Diagnostic::error(X, "m")
            .at(Location::new("f", 1, 1))
            .with_source_line("a\u{0}b");
        assert!(d.to_string().contains("a\u{FFFD}b"));
    }
}
