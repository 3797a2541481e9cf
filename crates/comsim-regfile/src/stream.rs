//! Importing a UTF-16LE file a piece at a time, on two threads: one reads a piece, decodes it and
//! finds the lines it completes; the other imports those lines while the next piece is decoded.
//! Pieces travel through a channel that holds at most two, and their buffers come back to be
//! reused, so nothing holds the whole file or its whole text: the import's peak memory is about the
//! registry it builds.
//!
//! The result is [`crate::import_bytes`]'s on the same bytes, which decodes the whole file before
//! importing a line: the decoder's warnings come before the importer's, and in strict mode an
//! encoding error anywhere in the file is the error, even after a line that strict mode refuses
//! (the rest of the file is then only decoded, to look for one).

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use comsim_diag::{Diagnostic, Location, Progress};
use std::ops::Range;

use comsim_registry::{Registry, Root, Value};

use crate::codes;
use crate::decode::{self, Encoding, Utf16Decoder};
use crate::read::{
    Format, ImportOptions, ImportReport, Importer, Mode, Prepared, prepare_key_line,
    prepare_string_value,
};

/// How many bytes are read at a time: small enough that the pieces in flight add little to the
/// registry's memory, large enough that passing one costs nothing next to decoding it.
pub(crate) const PIECE: usize = 1 << 18;

/// Decoded pieces waiting to be imported, at most: bounds the memory between the two threads.
const IN_FLIGHT: usize = 2;

/// What the importer does with the next line.
enum State {
    /// The next line is the header.
    Header,
    Body(Format),
    /// Nothing more is imported: the header said so, the import stopped, or (strict mode) a line
    /// failed; `Some` is that failure.
    Done(Option<Format>, Option<Diagnostic>),
}

/// Whole lines of decoded text, sent from the decoding thread to the importing one.
#[derive(Default)]
struct Batch {
    /// Whole lines, each with its line break, except at the end of the file. Checked as UTF-8 on
    /// the decoding thread.
    text: String,
    /// The lines of `text`.
    lines: Vec<Line>,
    /// The names of the key lines made ahead ([`Made::Key`]): where each starts and ends in its
    /// line.
    names: Vec<(u32, u32)>,
    /// Whether `text` has no NUL character (then no line needs to be searched for one).
    nul_free: bool,
    /// How many of the file's bytes were read once this text was decoded.
    read: u64,
    /// The last batch: the rest of the file.
    end: bool,
}

/// A line of a [`Batch`].
struct Line {
    /// Where it starts and ends in the batch's text (its line break left out).
    start: usize,
    end: usize,
    made: Made,
}

/// What the decoding thread made of a line, for the importer to use instead of reading it.
enum Made {
    Nothing,
    /// [`prepare_string_value`]: where the value's name is in the line, and the value.
    Value(Range<usize>, Value),
    /// [`prepare_key_line`]: the root, which of the batch's `names` are the key's, and how many
    /// value lines follow it in the batch (see [`count_values`]).
    Key(Root, Range<usize>, u32),
}

impl Made {
    fn of(line: &str, names: &mut Vec<(u32, u32)>) -> Made {
        if let Some((name, value)) = prepare_string_value(line) {
            return Made::Value(name, value);
        }
        let from = names.len();
        match prepare_key_line(line, names) {
            Some(root) => Made::Key(root, from..names.len(), 0),
            None => Made::Nothing,
        }
    }
}

/// The file being read and decoded, on the decoding thread.
struct Source<'f, R> {
    file: &'f str,
    reader: R,
    strict: bool,
    piece: usize,
    /// Bytes of the file read so far, and its size (for progress).
    read: u64,
    total: u64,
    /// The decoded text not yet sent: UTF-8, whole characters only; starts at the beginning of a
    /// line. `lines_before` lines of the file come before it.
    buf: Vec<u8>,
    lines_before: u32,
    warnings: Vec<Diagnostic>,
}

/// Imports the UTF-16LE file whose first bytes are `head` and whose rest `reader` gives; the file
/// has `total` bytes, and `progress` hears how many were imported after each piece.
pub(crate) fn import_utf16(
    reg: &mut Registry,
    file: &str,
    head: Vec<u8>,
    reader: impl Read + Send,
    opts: &ImportOptions,
    (piece, total): (usize, u64),
    progress: &mut dyn Progress,
) -> Result<ImportReport, Diagnostic> {
    let strict = opts.mode == Mode::Strict;
    let (batches, incoming) = sync_channel(IN_FLIGHT);
    let (recycle, returned) = sync_channel(IN_FLIGHT + 1);
    let mut source = Source {
        file,
        reader,
        strict,
        piece: piece.max(1),
        read: head.len() as u64,
        total,
        buf: Vec::with_capacity(piece),
        lines_before: 0,
        warnings: Vec::new(),
    };
    std::thread::scope(|scope| {
        // Named, so that a profile tells the two threads apart.
        let decoding = std::thread::Builder::new()
            .name("comsim-decode".into())
            .spawn_scoped(scope, move || {
                source.run(head, &batches, &returned);
                source.warnings
            });
        let decoding = match decoding {
            Ok(d) => d,
            Err(e) => {
                return Err(Diagnostic::error(
                    codes::REG_IO,
                    format!("cannot start a thread: {e}"),
                )
                .at(Location::new(file, 1, 1)));
            }
        };
        let mut imp = Importer::new(reg, file, opts, Encoding::Utf16Le, Vec::new());
        let format = import_batches(&mut imp, incoming, &recycle, strict, (progress, total));
        // The decoding thread stops once the batches' receiver is gone (it was moved and dropped).
        let decode_warnings = match decoding.join() {
            Ok(w) => w,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok(imp.report(format?, decode_warnings))
    })
}

impl<R: Read> Source<'_, R> {
    /// Reads, decodes and sends the file's lines until its end, an encoding error (sent as the
    /// error) or the importer's going away.
    fn run(
        &mut self,
        head: Vec<u8>,
        batches: &SyncSender<Result<Batch, Diagnostic>>,
        returned: &Receiver<Batch>,
    ) {
        let head = head.strip_prefix(&[0xFF, 0xFE][..]).unwrap_or(&head);
        // The bytes read and not yet decoded are `raw[..have]`: the start of the file, then at
        // most one byte (half a unit) left from the last piece, which the next piece is read after.
        let mut raw = vec![0; head.len() + self.piece];
        raw[..head.len()].copy_from_slice(head);
        let mut have = head.len();
        let mut decoder = Utf16Decoder::default();
        loop {
            let step = self.decode_piece(&mut decoder, &mut raw, &mut have);
            let batch = step.map(|end| self.batch(end, returned.try_recv().unwrap_or_default()));
            let stop = !matches!(batch, Ok(Batch { end: false, .. }));
            if batches.send(batch).is_err() || stop {
                return;
            }
        }
    }

    /// Reads and decodes the next piece into `buf`; whether the file has ended.
    fn decode_piece(
        &mut self,
        decoder: &mut Utf16Decoder,
        raw: &mut [u8],
        have: &mut usize,
    ) -> Result<bool, Diagnostic> {
        let io = |e: std::io::Error| {
            Diagnostic::error(codes::REG_IO, format!("cannot read the file: {e}"))
                .at(Location::new(self.file, 1, 1))
        };
        let n = read_some(&mut self.reader, &mut raw[*have..]).map_err(io)?;
        // A file that grew while it was read does not make the count pass its total.
        self.read = (self.read + n as u64).min(self.total);
        *have += n;
        let whole = *have & !1;
        let (file, strict, lines_before) = (self.file, self.strict, self.lines_before);
        let warnings = &mut self.warnings;
        let mut lone = |so_far: &[u8]| {
            let at = (file, decode::text_so_far(so_far), lines_before);
            decode::report(&decode::LONE_SURROGATE, at, strict, warnings)
        };
        decoder.feed(&raw[..whole], &mut self.buf, &mut lone)?;
        if n == 0 {
            decoder.finish(&mut self.buf, &mut lone)?;
        }
        raw.copy_within(whole..*have, 0);
        *have -= whole;
        if n == 0 && *have > 0 {
            let at = (file, decode::text_so_far(&self.buf), lines_before);
            decode::report(&decode::ODD_BYTE, at, strict, &mut self.warnings)?;
        }
        Ok(n == 0)
    }

    /// The complete lines of `buf` (at the end of the file, all of it) as a batch, in `spare`'s
    /// buffers; `buf` keeps the rest.
    fn batch(&mut self, end: bool, mut spare: Batch) -> Batch {
        let cut = if end {
            self.buf.len()
        } else {
            complete_lines(&self.buf)
        };
        let mut rest = std::mem::take(&mut spare.text).into_bytes();
        rest.clear();
        rest.extend_from_slice(&self.buf[cut..]);
        self.buf.truncate(cut);
        let done = std::mem::replace(&mut self.buf, rest);
        // Always UTF-8: the decoder appends whole characters only.
        spare.text = String::from_utf8(done)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        spare.lines.clear();
        spare.names.clear();
        let start = spare.text.as_ptr() as usize;
        for line in decode::lines(&spare.text) {
            let at = line.as_ptr() as usize - start;
            spare.lines.push(Line {
                start: at,
                end: at + line.len(),
                made: Made::of(line, &mut spare.names),
            });
        }
        count_values(&spare.text, &mut spare.lines);
        self.lines_before += spare.lines.len() as u32;
        spare.nul_free = decode::has_no_nul(spare.text.as_bytes());
        spare.read = self.read;
        spare.end = end;
        spare
    }
}

/// Sets, on each key line made ahead, how many of the lines after it in the batch start a value
/// (`"` or `@` first) before the next key line or empty line: a hint for the size of the key's
/// value list ([`Registry::reserve_values`]), which only makes room. One pass, from the end.
fn count_values(text: &str, lines: &mut [Line]) {
    let mut values = 0u32;
    for line in lines.iter_mut().rev() {
        match text.as_bytes().get(line.start..line.end) {
            Some([b'"' | b'@', ..]) => values += 1,
            Some([] | [b'[', ..]) | None => {
                if let Made::Key(_, _, n) = &mut line.made {
                    *n = values;
                }
                values = 0;
            }
            Some(_) => {}
        }
    }
}

/// Imports the batches as they come, sending their buffers back; the file's format (`None`
/// when nothing was imported after the header).
fn import_batches(
    imp: &mut Importer<'_>,
    incoming: Receiver<Result<Batch, Diagnostic>>,
    recycle: &SyncSender<Batch>,
    strict: bool,
    (progress, total): (&mut dyn Progress, u64),
) -> Result<Option<Format>, Diagnostic> {
    let mut state = State::Header;
    let mut any = false;
    for batch in incoming.iter() {
        let mut batch = batch?;
        any |= !batch.text.is_empty();
        import_lines(imp, &mut state, &mut batch, any, strict)?;
        progress.advance(batch.read, total);
        let end = batch.end;
        // The decoding thread may have stopped: then the buffers are dropped here.
        let _ = recycle.try_send(batch);
        if end {
            break;
        }
    }
    match state {
        State::Header => Ok(None),
        State::Body(format) => {
            imp.finish()?;
            Ok(Some(format))
        }
        State::Done(_, Some(e)) => Err(e),
        State::Done(format, None) => {
            if format.is_some() {
                imp.finish()?;
            }
            Ok(format)
        }
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

/// Imports the lines of a batch. A line that strict mode refuses ends the import, but (in strict
/// mode) not the decoding.
fn import_lines(
    imp: &mut Importer<'_>,
    state: &mut State,
    batch: &mut Batch,
    any: bool,
    strict: bool,
) -> Result<(), Diagnostic> {
    let text = batch.text.as_str();
    if batch.end && matches!(state, State::Header) && batch.lines.is_empty() {
        // An empty file: the header check sees an empty first line.
        let read = Read1 {
            line: "",
            nul_free: true,
            value: None,
        };
        step(imp, state, read, !any, strict)?;
    }
    // A key line's names, from the batch's.
    let mut components: Vec<&str> = Vec::new();
    for line in &mut batch.lines {
        if let State::Done(..) = state {
            // Only the decoding goes on, to find an encoding error.
            return Ok(());
        }
        let whole = &text[line.start..line.end];
        let value = match std::mem::replace(&mut line.made, Made::Nothing) {
            Made::Nothing => None,
            Made::Value(name, v) => Some(Prepared::Value(&whole[name], v)),
            Made::Key(root, at, values) => {
                components.clear();
                let places = batch.names.get(at).unwrap_or_default();
                components.extend(places.iter().map(|&(s, e)| &whole[s as usize..e as usize]));
                Some(Prepared::Key(root, &components, values))
            }
        };
        let read = Read1 {
            line: whole,
            nul_free: batch.nul_free,
            value,
        };
        step(imp, state, read, false, strict)?;
    }
    Ok(())
}

/// A line to import, with what the decoding thread found out about it.
struct Read1<'l> {
    line: &'l str,
    /// Known to have no NUL.
    nul_free: bool,
    /// What the decoding thread made of it.
    value: Option<Prepared<'l>>,
}

/// Imports one line in `state`, and moves `state` on.
#[inline]
fn step(
    imp: &mut Importer<'_>,
    state: &mut State,
    Read1 {
        line,
        nul_free,
        value,
    }: Read1<'_>,
    empty: bool,
    strict: bool,
) -> Result<(), Diagnostic> {
    // Only a change of state writes it: most lines leave it as it is.
    let result = match *state {
        State::Header => imp.header(line, empty).map(|format| {
            *state = match format {
                Some(f) => State::Body(f),
                None => State::Done(None, None),
            }
        }),
        State::Body(format) => imp
            .body_line_prepared(line, format, nul_free, value)
            .map(|more| {
                if !more {
                    *state = State::Done(Some(format), None);
                }
            }),
        State::Done(..) => Ok(()),
    };
    match result {
        Ok(()) => Ok(()),
        // Keep decoding: an encoding error later in the file comes first.
        Err(e) if strict => {
            *state = State::Done(None, Some(e));
            Ok(())
        }
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
                        (piece, bytes.len() as u64),
                        &mut comsim_diag::Silent,
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
    fn lines_made_ahead_are_read_in_full_where_the_importer_reads_them_otherwise() {
        let long = "k".repeat(300);
        let deep = vec!["d"; 600].join("\\");
        let v5 = "Windows Registry Editor Version 5.00\r\n";
        for body in [
            // A hex value continued with `\`: the next lines are its continuation.
            "[HKEY_CURRENT_USER\\A]\r\n\"h\"=hex:01,\\\r\n\"a\"=\"x\"\r\n[HKEY_CURRENT_USER\\B]\r\n\"b\"=\"y\"\r\n",
            "[HKEY_CURRENT_USER\\A]\r\n\"h\"=hex:01,\\\r\n[HKEY_CURRENT_USER\\B]\r\n@=\"y\"\r\n",
            // Values before any key, after a deletion, after a key that cannot be opened.
            "\"a\"=\"x\"\r\n@=\"y\"\r\n",
            "[-HKEY_CURRENT_USER\\A]\r\n\"a\"=\"x\"\r\n",
            "[HKEY_LOCAL_MACHINE\\LONG\\LONG_NAME]\r\n\"a\"=\"x\"\r\n",
            "[HKEY_LOCAL_MACHINE\\DEEP\\DEEP_PATH]\r\n\"a\"=\"x\"\r\n",
            // A line strict mode refuses, then plain lines; a deletion that stops the import.
            "[HKEY_CURRENT_USER\\A]\r\nnonsense\r\n\"a\"=\"x\"\r\n[HKEY_CURRENT_USER\\B]\r\n",
            "[-HKEY_CURRENT_USER]\r\n[HKEY_CURRENT_USER\\A]\r\n\"a\"=\"x\"\r\n",
            // The same value twice, and through HKCR.
            "[HKEY_CLASSES_ROOT\\A]\r\n\"a\"=\"x\"\r\n\"A\"=\"y\"\r\n[HKEY_CURRENT_USER\\Software\\Classes\\A]\r\n[HKEY_CLASSES_ROOT\\A\\B]\r\n@=\"z\"\r\n",
        ] {
            let body = body.replace("LONG_NAME", &long).replace("DEEP_PATH", &deep);
            same_as_whole("ahead", &utf16(&format!("{v5}{body}")));
            same_as_whole("ahead4", &utf16(&format!("REGEDIT4\r\n{body}")));
            // The Windows 3.1 format reads none of these lines as a value or a key.
            same_as_whole("ahead31", &utf16(&format!("REGEDIT\r\n{body}")));
        }
    }

    #[test]
    fn a_key_line_made_ahead_counts_the_value_lines_after_it() {
        let text = "[HKEY_CURRENT_USER\\A]\r\n@=\"x\"\r\n\"h\"=hex:01,\\\r\n  02\r\n\"d\"=dword:1\r\n\r\n\
                    [HKEY_CURRENT_USER\\B]\r\n[HKEY_CURRENT_USER\\C]\r\n\"v\"=\"y\"";
        let mut names = Vec::new();
        let mut lines: Vec<Line> = decode::lines(text)
            .map(|line| {
                let start = line.as_ptr() as usize - text.as_ptr() as usize;
                Line {
                    start,
                    end: start + line.len(),
                    made: Made::of(line, &mut names),
                }
            })
            .collect();
        count_values(text, &mut lines);
        let counts: Vec<u32> = lines
            .iter()
            .filter_map(|l| match l.made {
                Made::Key(_, _, n) => Some(n),
                _ => None,
            })
            .collect();
        // A: `@`, the hex value (not its continuation) and the dword; B: none; C: one, at the end
        // of the batch.
        assert_eq!(counts, [3, 0, 1]);
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
