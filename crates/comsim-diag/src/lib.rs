//! Located diagnostics shared by every comsim parser.
//!
//! A [`Diagnostic`] names the file, the 1-based line and column (counted in characters, not bytes),
//! a stable machine-readable `code`, and a message saying what was expected. It renders as
//! `file:line:col: error[code]: message` followed by the offending line and a caret, and serialises
//! to JSON for structured snapshots.

use std::fmt;

mod code;
mod text;
pub use code::{Code, CodeInfo};
pub use text::{XmlEncoding, decode_xml};

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
    /// The text of the offending line, shown under the message with a caret at the column.
    #[serde(skip)]
    pub source_line: Option<Box<str>>,
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
            notes: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn with_source_line(mut self, line: impl Into<String>) -> Self {
        self.source_line = Some(line.into().into_boxed_str());
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
                .take(loc.column.saturating_sub(1) as usize)
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
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
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
        LineIndex { text, starts }
    }

    /// The 1-based (line, column) of a byte offset. Offsets past the end map to the end.
    pub fn position(&self, offset: usize) -> (u32, u32) {
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
        let column = self.text[start..end].chars().count() + 1;
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

    #[test]
    fn control_characters_in_snippets_are_replaced() {
        let d = Diagnostic::error(X, "m")
            .at(Location::new("f", 1, 1))
            .with_source_line("a\u{0}b");
        assert!(d.to_string().contains("a\u{FFFD}b"));
    }
}
