//! Importing a UTF-16LE file a piece at a time: read a piece, decode it, import the lines it
//! completes, keep the rest for the next piece. Nothing holds the whole file or its whole text, so
//! the import's peak memory is about the registry it builds.
//!
//! The result is [`crate::import_bytes`]'s on the same bytes, which decodes the whole file before
//! importing a line: the decoder's warnings come before the importer's, and in strict mode an
//! encoding error anywhere in the file is the error, even after a line that strict mode refuses
//! (the rest of the file is then only decoded, to look for one).

use std::io::Read;

use comsim_diag::{Diagnostic, Location, Progress};
use comsim_registry::Registry;

use crate::codes;
use crate::decode::{self, Encoding, Utf16Decoder};
use crate::read::{Format, ImportOptions, ImportReport, Importer, Mode};

/// How many bytes are read at a time.
pub(crate) const PIECE: usize = 1 << 20;

/// What the importer does with the next line.
enum State {
    /// The next line is the header.
    Header,
    Body(Format),
    /// Nothing more is imported: the header said so, the import stopped, or (strict mode) a line
    /// failed; `Some` is that failure.
    Done(Option<Format>, Option<Diagnostic>),
}

/// The decoded text not yet imported, and where it is in the file.
struct Text {
    /// UTF-8, whole characters only; starts at the beginning of a line.
    buf: Vec<u8>,
    /// Lines of the file before `buf`.
    lines_before: u32,
    /// Whether the file has any text at all.
    any: bool,
}

/// Imports the UTF-16LE file whose first bytes are `head` and whose rest `reader` gives.
pub(crate) fn import_utf16(
    reg: &mut Registry,
    file: &str,
    head: Vec<u8>,
    mut reader: impl Read,
    opts: &ImportOptions,
    piece: usize,
) -> Result<ImportReport, Diagnostic> {
    let strict = opts.mode == Mode::Strict;
    let io = |e: std::io::Error| {
        Diagnostic::error(codes::REG_IO, format!("cannot read the file: {e}"))
            .at(Location::new(file, 1, 1))
    };
    let mut imp = Importer::new(reg, file, opts, Encoding::Utf16Le, Vec::new());
    let mut decode_warnings = Vec::new();
    let mut decoder = Utf16Decoder::default();
    let mut state = State::Header;
    let mut text = Text {
        buf: Vec::with_capacity(piece),
        lines_before: 0,
        any: false,
    };
    let head = head.strip_prefix(&[0xFF, 0xFE][..]).unwrap_or(&head);
    // The bytes read and not yet decoded are `raw[..have]`: the start of the file, then at most one
    // byte (half a unit) left from the last piece, which the next piece is read after.
    let mut raw = vec![0; head.len() + piece.max(1)];
    raw[..head.len()].copy_from_slice(head);
    let mut have = head.len();
    loop {
        let n = read_some(&mut reader, &mut raw[have..]).map_err(io)?;
        have += n;
        let whole = have & !1;
        let lines_before = text.lines_before;
        let mut lone = |so_far: &[u8]| {
            let at = (file, decode::text_so_far(so_far), lines_before);
            decode::report(&decode::LONE_SURROGATE, at, strict, &mut decode_warnings)
        };
        decoder.feed(&raw[..whole], &mut text.buf, &mut lone)?;
        if n == 0 {
            decoder.finish(&mut text.buf, &mut lone)?;
        }
        raw.copy_within(whole..have, 0);
        have -= whole;
        text.any |= !text.buf.is_empty();
        if n == 0 {
            if have > 0 {
                let before = decode::text_so_far(&text.buf);
                let at = (file, before, lines_before);
                decode::report(&decode::ODD_BYTE, at, strict, &mut decode_warnings)?;
            }
            break;
        }
        import_lines(&mut imp, &mut state, &mut text, false, strict)?;
    }
    import_lines(&mut imp, &mut state, &mut text, true, strict)?;
    let format = match state {
        State::Header => None,
        State::Body(format) => {
            imp.finish()?;
            Some(format)
        }
        State::Done(_, Some(e)) => return Err(e),
        State::Done(format, None) => {
            if format.is_some() {
                imp.finish()?;
            }
            format
        }
    };
    Ok(imp.report(format, decode_warnings))
}

/// A file being read, telling a [`Progress`] how many of its `total` bytes have been read, at
/// most once per [`PIECE`].
pub(crate) struct Reporting<'p, R> {
    inner: R,
    done: u64,
    total: u64,
    reported: u64,
    progress: &'p mut dyn Progress,
}

impl<'p, R> Reporting<'p, R> {
    /// `done` bytes of the file were read before `inner`'s first byte.
    pub(crate) fn new(inner: R, done: u64, total: u64, progress: &'p mut dyn Progress) -> Self {
        Reporting {
            inner,
            done,
            total,
            reported: 0,
            progress,
        }
    }
}

impl<R: Read> Read for Reporting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // A file that grew while it was read does not make the count pass its total.
        self.done = (self.done + n as u64).min(self.total);
        if n == 0 || self.done >= self.reported + PIECE as u64 {
            self.reported = self.done;
            self.progress.advance(self.done, self.total);
        }
        Ok(n)
    }
}

/// Reads until `buf` is full or the reader ends; the number of bytes read (0 at the end).
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Imports the complete lines of `text` (at the end of the file, all of it) and drops them.
/// A line that strict mode refuses ends the import, but (in strict mode) not the decoding.
fn import_lines(
    imp: &mut Importer<'_>,
    state: &mut State,
    text: &mut Text,
    end: bool,
    strict: bool,
) -> Result<(), Diagnostic> {
    let cut = if end {
        text.buf.len()
    } else {
        complete_lines(&text.buf)
    };
    let s = decode::text_so_far(&text.buf[..cut]);
    let mut count = 0u32;
    let mut lines = decode::lines(s).peekable();
    if end && matches!(state, State::Header) && lines.peek().is_none() {
        // An empty file: the header check sees an empty first line.
        *state = step(imp, State::Header, "", !text.any, strict)?;
    }
    for line in lines {
        count += 1;
        if let State::Done(..) = state {
            continue;
        }
        let now = std::mem::replace(state, State::Header);
        *state = step(imp, now, line, false, strict)?;
    }
    text.lines_before += count;
    text.buf.drain(..cut);
    Ok(())
}

/// Imports one line in `state`; the state after it.
fn step(
    imp: &mut Importer<'_>,
    state: State,
    line: &str,
    empty: bool,
    strict: bool,
) -> Result<State, Diagnostic> {
    let result = match state {
        State::Header => imp.header(line, empty).map(|format| match format {
            Some(f) => State::Body(f),
            None => State::Done(None, None),
        }),
        State::Body(format) => imp.body_line(line, format).map(|more| {
            if more {
                State::Body(format)
            } else {
                State::Done(Some(format), None)
            }
        }),
        done @ State::Done(..) => Ok(done),
    };
    match result {
        Ok(next) => Ok(next),
        // Keep decoding: an encoding error later in the file comes first.
        Err(e) if strict => Ok(State::Done(None, Some(e))),
        Err(e) => Err(e),
    }
}

/// The length of the part of `buf` that ends with a complete line break. A final `\r` is not
/// complete: a `\n` may follow in the next piece.
fn complete_lines(buf: &[u8]) -> usize {
    let end = buf.len() - usize::from(buf.last() == Some(&b'\r'));
    buf[..end]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{dump, import_bytes};

    fn utf16(text: &str) -> Vec<u8> {
        let mut b = vec![0xFF, 0xFE];
        b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        b
    }

    /// The streaming import of `bytes` gives what `import_bytes` gives: the same result, warnings
    /// and errors, and the same registry, whatever the size of the pieces.
    fn same_as_whole(name: &str, bytes: &[u8]) {
        for mode in [Mode::Strict, Mode::Lenient] {
            for encoding in [None, Some(Encoding::Utf16Le)] {
                let opts = ImportOptions {
                    mode,
                    encoding,
                    ..ImportOptions::default()
                };
                let mut want_reg = Registry::new();
                let want = import_bytes(&mut want_reg, name, bytes, &opts);
                for piece in [1, 2, 3, 5, 8, 64, 4096] {
                    let mut reg = Registry::new();
                    let split = bytes.len().min(3);
                    let got = import_utf16(
                        &mut reg,
                        name,
                        bytes[..split].to_vec(),
                        &bytes[split..],
                        &opts,
                        piece,
                    );
                    assert_eq!(got, want, "{name} {mode:?} {encoding:?} piece {piece}");
                    // After an error the registry holds what came before the failing place,
                    // which for an encoding error is more here than after decoding it all.
                    if want.is_ok() {
                        assert_eq!(dump(&reg), dump(&want_reg), "{name} {mode:?} piece {piece}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_reg_fixture_imports_the_same_streamed_as_whole() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/reg");
        let mut seen = 0;
        for dir in ["valid", "invalid"] {
            let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            paths.sort();
            for path in paths {
                let bytes = std::fs::read(&path).unwrap();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if bytes.starts_with(&[0xFF, 0xFE]) {
                    same_as_whole(&name, &bytes);
                } else {
                    // Its text as regedit would read it, saved as UTF-16.
                    let (text, _, _) = decode::decode(&name, &bytes, None, false).unwrap();
                    same_as_whole(&name, &utf16(&text));
                }
                seen += 1;
            }
        }
        assert!(seen > 50, "{seen} fixtures");
    }

    #[test]
    fn encoding_errors_and_line_breaks_across_pieces_stream_as_whole() {
        let body = "Windows Registry Editor Version 5.00\r\n\r[HKEY_CURRENT_USER\\A]\r\n\"x\"=\"\u{1F600}\u{e9}\"\n\r\n";
        same_as_whole("ok", &utf16(body));
        same_as_whole("empty", b"");
        same_as_whole("bom", &[0xFF, 0xFE]);
        same_as_whole("odd", &[0xFF, 0xFE, b'R']);
        let mut odd = utf16(body);
        odd.push(b'x');
        same_as_whole("odd-end", &odd);
        // Unpaired surrogates at several places, with a bad line before and after them.
        for at in [0, 10, 40, body.len()] {
            let mut cut = at.min(body.len());
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            for bad in ["", "bad line\r\n"] {
                let mut b = utf16(&format!("{}{bad}", &body[..cut]));
                b.extend(0xDC00u16.to_le_bytes());
                b.extend(&utf16(&format!("{bad}{}", &body[cut..]))[2..]);
                same_as_whole("lone low", &b);
                let mut b = utf16(&body[..cut]);
                b.extend(0xD800u16.to_le_bytes());
                same_as_whole("lone high at the end", &b);
            }
        }
        // A hex value continued to the end of the file, and an import that stops.
        same_as_whole(
            "hex",
            &utf16(
                "Windows Registry Editor Version 5.00\r\n[HKEY_CURRENT_USER\\A]\r\n\"h\"=hex:01,\\\r\n",
            ),
        );
        let mut stop = utf16(
            "Windows Registry Editor Version 5.00\r\n[-HKEY_CURRENT_USER]\r\n[HKEY_CURRENT_USER\\A]\r\n",
        );
        stop.extend(0xDC00u16.to_le_bytes());
        same_as_whole("stop", &stop);
        same_as_whole(
            "regedit-x",
            &utf16("REGEDITX\r\n[HKEY_CURRENT_USER\\A]\r\n"),
        );
    }

    #[test]
    fn a_final_carriage_return_waits_for_the_next_piece() {
        assert_eq!(complete_lines(b"a\r\nb"), 3);
        assert_eq!(complete_lines(b"a\r\nb\r"), 3);
        assert_eq!(complete_lines(b""), 0);
        assert_eq!(complete_lines(b"a\rb"), 2);
        assert_eq!(complete_lines(b"\r"), 0);
        assert_eq!(complete_lines(b"x\r\r"), 2);
        assert_eq!(complete_lines(b"a\r\n"), 3);
        assert_eq!(complete_lines(b"abc"), 0);
    }
}
