//! Turning the bytes of a .reg file into text, the way regedit chooses an encoding.

use comsim_diag::{Code, Diagnostic, Location};

use crate::codes;

/// How the bytes of a .reg file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-16LE; regedit uses it when the file starts with the byte order mark `FF FE`.
    Utf16Le,
    /// UTF-8. regedit itself has no UTF-8 mode; comsim reads a file with the UTF-8 byte order mark
    /// `EF BB BF` (or any file when asked) as UTF-8.
    Utf8,
    /// The ANSI code page, taken as Windows-1252: how regedit reads any file without `FF FE`.
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }

    /// Whether string-typed hex data (`hex(1)`, `hex(2)`, `hex(7)`) holds UTF-16LE bytes as they
    /// are stored, rather than code-page bytes that are converted.
    pub fn is_unicode(self) -> bool {
        self == Encoding::Utf16Le
    }

    /// Converts code-page bytes (string-typed hex data of a non-Unicode file) to text.
    pub fn decode_bytes(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Utf16Le => {
                let units: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    }
}

/// Decodes a whole file. `forced` overrides the byte-order-mark sniffing.
///
/// In strict mode, a file without a byte order mark whose non-ASCII bytes form valid UTF-8 is an
/// error: regedit would read those bytes as Windows-1252 and import mangled names.
pub fn decode(
    file: &str,
    bytes: &[u8],
    forced: Option<Encoding>,
    strict: bool,
) -> Result<(String, Encoding, Vec<Diagnostic>), Diagnostic> {
    let mut warnings = Vec::new();
    let (encoding, body) = match forced {
        Some(Encoding::Utf16Le) => (
            Encoding::Utf16Le,
            bytes.strip_prefix(&[0xFF, 0xFE][..]).unwrap_or(bytes),
        ),
        Some(Encoding::Utf8) => (
            Encoding::Utf8,
            bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes),
        ),
        Some(Encoding::Windows1252) => (Encoding::Windows1252, bytes),
        None => {
            if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE][..]) {
                (Encoding::Utf16Le, rest)
            } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]) {
                if !strict {
                    warnings.push(
                        Diagnostic::warning(codes::REG_UTF8_BOM, "the file starts with a UTF-8 byte order mark, which regedit does not recognise; comsim reads it as UTF-8")
                            .at(Location::new(file, 1, 1)),
                    );
                }
                (Encoding::Utf8, rest)
            } else {
                (Encoding::Windows1252, bytes)
            }
        }
    };
    let text = match encoding {
        Encoding::Utf16Le => decode_utf16le(file, body, strict, &mut warnings)?,
        Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(s) => s.to_owned(),
            Err(e) if strict => {
                let good = std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default();
                let rest = String::from_utf8_lossy(&body[e.valid_up_to()..]);
                return Err(located_with_rest(
                    file,
                    good,
                    &rest,
                    codes::REG_ENCODING,
                    "the file is not valid UTF-8 here".into(),
                ));
            }
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        },
        Encoding::Windows1252 => {
            if strict
                && forced.is_none()
                && !body.is_ascii()
                && let Ok(as_utf8) = std::str::from_utf8(body)
            {
                let first = as_utf8.find(|c: char| !c.is_ascii()).unwrap_or(0);
                let ch = as_utf8[first..].chars().next().unwrap_or('?');
                let seen = encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(ch.to_string().as_bytes())
                    .0
                    .into_owned();
                return Err(located_with_rest(
                    file,
                    &as_utf8[..first],
                    &as_utf8[first..],
                    codes::REG_ENCODING,
                    format!("this file has no byte order mark, so regedit reads it as Windows-1252 and sees `{seen}` where `{ch}` was meant"),
                )
                .with_note("save it as UTF-16LE with a byte order mark (as regedit exports), or as UTF-8 with a byte order mark"));
            }
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(body)
                .0
                .into_owned()
        }
    };
    Ok((text, encoding, warnings))
}

fn located(file: &str, before: &str, code: Code, message: String) -> Diagnostic {
    located_with_rest(file, before, "", code, message)
}

/// An error at the end of `before`, the text decoded so far; `rest` is what follows (decoded
/// lossily), used only to show the whole offending line.
fn located_with_rest(
    file: &str,
    before: &str,
    rest: &str,
    code: Code,
    message: String,
) -> Diagnostic {
    let idx = comsim_diag::LineIndex::new(before);
    let loc = idx.location(file, before.len());
    let line_end = rest.find(['\r', '\n']).unwrap_or(rest.len());
    let line_text = format!("{}{}", idx.line_text(loc.line), &rest[..line_end]);
    Diagnostic::error(code, message)
        .at(loc)
        .with_source_line(line_text)
}

fn decode_utf16le(
    file: &str,
    body: &[u8],
    strict: bool,
    warnings: &mut Vec<Diagnostic>,
) -> Result<String, Diagnostic> {
    // UTF-8 bytes; only whole characters are appended, so it is valid UTF-8 at every step.
    let mut out: Vec<u8> = Vec::with_capacity(body.len() / 2);
    let whole = body.len() & !1;
    let mut lone = |so_far: &[u8]| {
        let at = (file, text_so_far(so_far), 0);
        report(&LONE_SURROGATE, at, strict, warnings)
    };
    let mut decoder = Utf16Decoder::default();
    decoder.feed(&body[..whole], &mut out, &mut lone)?;
    decoder.finish(&mut out, &mut lone)?;
    let out = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if whole != body.len() {
        report(&ODD_BYTE, (file, &out, 0), strict, warnings)?;
    }
    Ok(out)
}

/// A problem found while decoding: the error strict mode gives and the warning lenient mode gives.
pub(crate) struct Problem {
    error: (Code, &'static str),
    warning: (Code, &'static str),
}

/// A final odd byte of a UTF-16 file; regedit reads whole units and drops it.
pub(crate) const ODD_BYTE: Problem = Problem {
    error: (
        codes::REG_ENCODING,
        "the UTF-16 file ends in half a character",
    ),
    warning: (
        codes::REG_ODD_BYTE,
        "the UTF-16 file ends in half a character; the last byte is ignored",
    ),
};

/// An unpaired UTF-16 surrogate.
pub(crate) const LONE_SURROGATE: Problem = Problem {
    error: (codes::REG_ENCODING, LONE_MESSAGE),
    warning: (codes::REG_ENCODING, LONE_MESSAGE),
};

const LONE_MESSAGE: &str =
    "an unpaired UTF-16 surrogate cannot be represented; comsim reads it as U+FFFD";

/// Reports `problem` at the end of the text `before`, whose first line is line `1 + lines_before`
/// of the file: the error in strict mode, else the warning (added to `warnings`).
pub(crate) fn report(
    problem: &Problem,
    (file, before, lines_before): (&str, &str, u32),
    strict: bool,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    if strict {
        let (code, msg) = problem.error;
        return Err(shifted(
            located(file, before, code, msg.into()),
            lines_before,
        ));
    }
    let (code, msg) = problem.warning;
    let idx = comsim_diag::LineIndex::new(before);
    let d = Diagnostic::warning(code, msg).at(idx.location(file, before.len()));
    warnings.push(shifted(d, lines_before));
    Ok(())
}

/// `d` moved down by `lines` lines: located in a piece of text that starts after them.
fn shifted(mut d: Diagnostic, lines: u32) -> Diagnostic {
    if let Some(loc) = d.location.as_mut() {
        loc.line += lines;
    }
    d
}

/// Decodes UTF-16LE a piece at a time: a surrogate pair may straddle two pieces.
#[derive(Debug, Default)]
pub(crate) struct Utf16Decoder {
    pending_high: Option<u16>,
}

/// Called with the text decoded so far before an unpaired surrogate is replaced by U+FFFD.
pub(crate) type OnLone<'a> = dyn FnMut(&[u8]) -> Result<(), Diagnostic> + 'a;

impl Utf16Decoder {
    /// Appends the UTF-8 of `body` (whole units: an even number of bytes) to `out`.
    pub(crate) fn feed(
        &mut self,
        body: &[u8],
        out: &mut Vec<u8>,
        lone: &mut OnLone<'_>,
    ) -> Result<(), Diagnostic> {
        let whole = body.len() & !1;
        let mut i = 0;
        while i < whole {
            if self.pending_high.is_none() {
                // Fast path: 32 ASCII units (high byte 0, low byte below 0x80) at a time.
                while let Some(ascii) = body.get(i..i + 64).and_then(ascii_block) {
                    out.extend_from_slice(&ascii);
                    i += 64;
                }
                if i >= whole {
                    break;
                }
            }
            let u = u16::from_le_bytes([body[i], body[i + 1]]);
            i += 2;
            if let Some(h) = self.pending_high.take() {
                if (0xDC00..0xE000).contains(&u) {
                    let cp = 0x10000 + (((h as u32) - 0xD800) << 10) + (u as u32 - 0xDC00);
                    push_char(out, char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    continue;
                }
                lone(out)?;
                push_char(out, '\u{FFFD}');
            }
            if u < 0x80 {
                out.push(u as u8);
            } else if (0xD800..0xDC00).contains(&u) {
                self.pending_high = Some(u);
            } else if (0xDC00..0xE000).contains(&u) {
                lone(out)?;
                push_char(out, '\u{FFFD}');
            } else {
                push_char(out, char::from_u32(u as u32).unwrap_or('\u{FFFD}'));
            }
        }
        Ok(())
    }

    /// The end of the text: a high surrogate still waiting for its pair is unpaired.
    pub(crate) fn finish(
        &mut self,
        out: &mut Vec<u8>,
        lone: &mut OnLone<'_>,
    ) -> Result<(), Diagnostic> {
        if self.pending_high.take().is_some() {
            lone(out)?;
            push_char(out, '\u{FFFD}');
        }
        Ok(())
    }
}

/// The 32 bytes of a block of 32 UTF-16LE units that are all ASCII (high byte zero, low byte
/// below 0x80); `None` if one is not. Eight words of four units: one test of all eight, then each
/// word's low bytes gathered by shifts.
fn ascii_block(block: &[u8]) -> Option<[u8; 32]> {
    let block: &[u8; 64] = block.try_into().ok()?;
    let mut words = [0u64; 8];
    let mut bits = 0;
    for (w, unit4) in words.iter_mut().zip(block.chunks_exact(8)) {
        *w = u64::from_le_bytes(unit4.try_into().unwrap_or_default());
        bits |= *w;
    }
    if bits & 0xFF80_FF80_FF80_FF80 != 0 {
        return None;
    }
    let mut ascii = [0u8; 32];
    for (four, w) in ascii.chunks_exact_mut(4).zip(words) {
        // b0 0 b1 0 b2 0 b3 0 -> b0 b1 . . b2 b3 . . -> b0 b1 b2 b3
        let x = (w | (w >> 8)) & 0x0000_FFFF_0000_FFFF;
        let x = x | (x >> 16);
        four.copy_from_slice(&(x as u32).to_le_bytes());
    }
    Some(ascii)
}

/// Whether `bytes` has no zero byte: the least byte of each block of 64, a loop the compiler
/// turns into vector instructions (`contains(&0)` tests a word at a time).
pub(crate) fn has_no_nul(bytes: &[u8]) -> bool {
    let blocks = bytes.chunks_exact(64);
    let tail = blocks.remainder();
    for block in blocks {
        if block.iter().fold(u8::MAX, |m, &b| m.min(b)) == 0 {
            return false;
        }
    }
    !tail.contains(&0)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

/// The text decoded so far, for locating a diagnostic.
pub(crate) fn text_so_far(out: &[u8]) -> &str {
    // Always valid: the decoder appends whole characters only.
    std::str::from_utf8(out).unwrap_or_default()
}

/// Splits text into lines at `\r\n`, `\n` or a lone `\r`, as regedit does. A final line without a
/// terminator is still a line; an empty text has no lines.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        if s.is_empty() {
            rest = None;
            return None;
        }
        match find_line_break(s.as_bytes()) {
            Some(i) => {
                let after = if s[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = Some(&s[after..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// The first `\r` or `\n` in `bytes`, eight bytes at a time.
fn find_line_break(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero where the word held the byte searched for. `(x - ONES) & !x & HIGHS`
    // flags zero bytes; it can also flag a byte above a zero one, never below, so the lowest flag is
    // a true match.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (k, word) in words.enumerate() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // First whether any byte is below 0x0E (`\r` is 0x0D, `\n` 0x0A): one test, exact about
        // whether there is one (a byte of 0x80 or more is never flagged). Such bytes are rare
        // but at the end of a line, so the two exact tests run about once a line.
        if w.wrapping_sub(ONES * 0x0E) & !w & HIGHS == 0 {
            continue;
        }
        let found =
            zero_bytes(w ^ (ONES * u64::from(b'\n'))) | zero_bytes(w ^ (ONES * u64::from(b'\r')));
        if found != 0 {
            return Some(8 * k + (found.trailing_zeros() / 8) as usize);
        }
    }
    let i = bytes.len() - tail.len();
    tail.iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_are_crlf_lf_or_lone_cr() {
        let v: Vec<_> = lines("a\r\nb\rc\n\nd").collect();
        assert_eq!(v, ["a", "b", "c", "", "d"]);
    }

    #[test]
    fn a_line_break_among_printable_bytes_is_found_at_every_offset() {
        // No other byte below 0x0E in the word: the break alone must make the word looked at.
        for at in 0..24 {
            for brk in ["\r\n", "\r", "\n"] {
                let text = format!("{}{brk}{}", "x".repeat(at), "y".repeat(20));
                assert_eq!(find_line_break(text.as_bytes()), Some(at), "{text:?}");
            }
        }
    }

    #[test]
    fn line_breaks_are_found_at_every_offset_of_a_word() {
        for len in 0..40 {
            for brk in ["\r\n", "\r", "\n"] {
                // Bytes one below and above the searched ones, and bytes that carry into them.
                let filler: String = "\u{b}\u{c}\u{e}\u{9}é\u{1}\u{0}\u{8a}x"
                    .chars()
                    .cycle()
                    .take(len)
                    .collect();
                let text = format!("{filler}{brk}{filler}");
                let v: Vec<_> = lines(&text).collect();
                let want: Vec<&str> = if filler.is_empty() {
                    vec![""]
                } else {
                    vec![&filler, &filler]
                };
                assert_eq!(v, want, "{text:?}");
                assert_eq!(find_line_break(filler.as_bytes()), None);
            }
        }
    }

    #[test]
    fn utf16_decoding_is_exact_around_the_ascii_fast_path() {
        // Non-ASCII characters and surrogate pairs at every offset of the first three 32-unit
        // blocks, and a high byte or a top bit set in each unit of a block.
        for lead in 0..100 {
            for odd in [
                "é",
                "\u{1F600}",
                "中",
                "\u{7F}",
                "\u{80}",
                "\u{100}",
                "\u{FF}",
                "\r\n",
            ] {
                let text = format!("{}{odd}{}", "a".repeat(lead), "b".repeat(lead % 11));
                let mut bytes = vec![0xFF, 0xFE];
                for u in text.encode_utf16() {
                    bytes.extend(u.to_le_bytes());
                }
                let (got, _, warnings) = decode("f", &bytes, None, true).unwrap();
                assert_eq!(got, text);
                assert!(warnings.is_empty());
            }
        }
        // A lone surrogate after a fast block is located after the text before it.
        let mut bytes = vec![0xFF, 0xFE];
        for u in "0123456789\r\nabcdefgh".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        bytes.extend(0xDC00u16.to_le_bytes());
        let err = decode("f", &bytes, None, true).unwrap_err();
        let loc = err.location.unwrap();
        assert_eq!((loc.line, loc.column), (2, 9));
        let (text, _, warnings) = decode("f", &bytes, None, false).unwrap();
        assert!(text.ends_with("abcdefgh\u{FFFD}"));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn a_nul_is_found_at_every_offset_of_the_blocks_and_the_tail() {
        for len in [0, 1, 63, 64, 65, 130, 200] {
            let clean = vec![b'a'; len];
            assert!(has_no_nul(&clean), "{len}");
            for at in 0..len {
                let mut bytes = clean.clone();
                bytes[at] = 0;
                assert!(!has_no_nul(&bytes), "{len}: NUL at {at}");
            }
        }
    }

    #[test]
    fn utf16_with_bom_is_sniffed() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "REGEDIT4\r\né".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        let (text, enc, _) = decode("f", &bytes, None, true).unwrap();
        assert_eq!(enc, Encoding::Utf16Le);
        assert_eq!(text, "REGEDIT4\r\né");
    }

    #[test]
    fn bomless_files_are_windows_1252_and_utf8_lookalikes_are_caught_in_strict_mode() {
        let (text, enc, _) = decode("f", b"REGEDIT4\r\n\xe9", None, true).unwrap();
        assert_eq!(
            (text.as_str(), enc),
            ("REGEDIT4\r\né", Encoding::Windows1252)
        );
        let err = decode("f", "REGEDIT4\r\n\"é\"".as_bytes(), None, true).unwrap_err();
        assert_eq!(err.location.unwrap().line, 2);
        assert!(err.message.contains("Ã©"));
        // Lenient mode reads the bytes as regedit would.
        let (text, _, _) = decode("f", "é".as_bytes(), None, false).unwrap();
        assert_eq!(text, "Ã©");
    }
}
