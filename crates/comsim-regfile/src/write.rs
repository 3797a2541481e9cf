//! The .reg writer: version 5.00, UTF-16LE with a byte order mark, in regedit's layout.

use std::fmt::Write as _;
use std::io;
use std::sync::mpsc::sync_channel;

use comsim_registry::{
    Access, KeyId, KeyPath, OpenIds, RegName, Registry, Root, Value, ValueType, utf16_append,
};

/// Where regedit wraps hex data: a line is continued once it reaches this many characters.
const HEX_WRAP: usize = 77;

/// Exports `path` and everything below it, as `regedit /e` would, as text.
///
/// Returns `None` if the key does not exist in the given view. Keys come depth first, each followed
/// by its values in their stored order; subkeys in the registry's order.
pub fn export_text(reg: &Registry, path: &KeyPath, access: &Access) -> Option<String> {
    reg.open(path, access)?;
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n");
    // An explicit stack keeps deep trees from exhausting the call stack.
    let mut stack = vec![path.clone()];
    while let Some(p) = stack.pop() {
        let Some(key) = reg.open(&p, access) else {
            continue;
        };
        out.push_str("\r\n[");
        out.push_str(&p.to_string());
        out.push_str("]\r\n");
        write_values(&mut out, reg, key.primary.key);
        let subkeys = reg.open_subkeys(&key);
        for name in subkeys.iter().rev() {
            stack.push(p.join(name.as_str()));
        }
    }
    out.push_str("\r\n");
    Some(out)
}

/// [`export_text`] encoded as regedit writes it: UTF-16LE after the byte order mark `FF FE`.
pub fn export(reg: &Registry, path: &KeyPath, access: &Access) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    match export_to(reg, path, access, &mut bytes) {
        Ok(true) => Some(bytes),
        _ => None,
    }
}

/// Once this much text is waiting, it is encoded and written.
const FLUSH_AT: usize = 1 << 16;

/// How many keys the walk finds before it hands them to the writer.
const BLOCK_KEYS: usize = 512;

/// Blocks of keys found and not yet written, at most: bounds the memory between the two threads.
const IN_FLIGHT: usize = 2;

/// [`export`] written to `out` as it goes: the bytes of `export`, with neither the whole text nor
/// its UTF-16 copy held. `Ok(false)` if the key does not exist in the given view.
///
/// Each key is opened from its parent's ids ([`Registry::open_child`]) wherever the view allows,
/// instead of from the root by its path.
///
/// Two threads share the work: one walks the tree (opens each key and puts its subkeys in the
/// registry's order) and hands the keys over in blocks, the calling thread writes each key's
/// values and encodes and writes the text.
pub fn export_to(
    reg: &Registry,
    path: &KeyPath,
    access: &Access,
    out: &mut impl io::Write,
) -> io::Result<bool> {
    export_in_blocks(reg, path, access, out, BLOCK_KEYS)
}

/// [`export_to`], with the walk handing over `block_keys` keys at a time.
fn export_in_blocks(
    reg: &Registry,
    path: &KeyPath,
    access: &Access,
    out: &mut impl io::Write,
    block_keys: usize,
) -> io::Result<bool> {
    let Some(top) = reg.open(path, access) else {
        return Ok(false);
    };
    out.write_all(&[0xFF, 0xFE])?;
    let mut w = Utf16Out {
        text: String::with_capacity(FLUSH_AT + 4096),
        bytes: Vec::new(),
        out,
    };
    w.text.push_str("Windows Registry Editor Version 5.00\r\n");
    let top = top.ids();
    std::thread::scope(|scope| {
        let (blocks, found) = sync_channel(IN_FLIGHT);
        let (give_back, spare) = sync_channel::<Block>(IN_FLIGHT + 1);
        // Named, so that a profile tells the two threads apart.
        let walking = std::thread::Builder::new().name("comsim-walk".into());
        walking.spawn_scoped(scope, move || {
            // The first subkey lists are put in order here too: a large one (HKCR's, CLSID's)
            // takes milliseconds to sort.
            let mut walk = Walk::new(reg, path, access, top);
            loop {
                let mut block = spare.try_recv().unwrap_or_default();
                block.clear();
                let more = walk.fill(&mut block, block_keys);
                // A send fails once the writer has stopped (a write failed).
                if blocks.send(block).is_err() || !more {
                    return;
                }
            }
        })?;
        // The walk stops when `found` is dropped here, on a failed write too.
        for block in found.iter() {
            w.block(reg, &block)?;
            let _ = give_back.try_send(block);
        }
        Ok::<(), io::Error>(())
    })?;
    w.text.push_str("\r\n");
    w.flush()?;
    Ok(true)
}

/// Keys in the order they are exported: each key's path, as text, ends at its offset in `paths`.
#[derive(Default)]
struct Block {
    paths: String,
    keys: Vec<(usize, KeyId)>,
}

impl Block {
    fn clear(&mut self) {
        self.paths.clear();
        self.keys.clear();
    }
}

/// The depth-first walk of the exported keys.
struct Walk<'r> {
    reg: &'r Registry,
    root: Root,
    access: &'r Access,
    /// The key whose subkeys are being walked, and those above it.
    stack: Vec<Frame<'r>>,
    /// The path of the last key found, as text, and its names below the root.
    line: String,
    names: Vec<&'r str>,
    /// The exported key itself, until it is handed over.
    top: Option<KeyId>,
}

impl<'r> Walk<'r> {
    fn new(reg: &'r Registry, path: &'r KeyPath, access: &'r Access, top: OpenIds) -> Self {
        let line = path.to_string();
        let names: Vec<&str> = path.components.iter().map(String::as_str).collect();
        Walk {
            reg,
            root: path.root,
            access,
            stack: vec![Frame::new(reg, top, line.len(), names.len())],
            line,
            names,
            top: Some(top.primary),
        }
    }

    /// Adds the next keys to `block`, up to `max` of them in all; whether any are left.
    fn fill(&mut self, block: &mut Block, max: usize) -> bool {
        let push = |block: &mut Block, line: &str, key: KeyId| {
            block.paths.push_str(line);
            block.keys.push((block.paths.len(), key));
        };
        if let Some(top) = self.top.take() {
            push(block, &self.line, top);
        }
        let (reg, access) = (self.reg, self.access);
        while block.keys.len() < max {
            let Some(frame) = self.stack.last_mut() else {
                return false;
            };
            let Some((name, known)) = frame.subkey(reg) else {
                self.stack.pop();
                continue;
            };
            let name = name.as_str();
            frame.next += 1;
            self.line.truncate(frame.line_len);
            self.line.push('\\');
            self.line.push_str(name);
            self.names.truncate(frame.depth);
            let ids = match (frame.closed, known) {
                // What `open_child` gives for a key of one hive: the enumerated subkey.
                (Some(true), Some(primary)) => Some(OpenIds {
                    hive: frame.ids.hive,
                    primary,
                    secondary: None,
                }),
                _ => match reg.open_child(self.root, &self.names, frame.ids, name, access) {
                    Some(ids) => {
                        frame.closed = Some(true);
                        ids
                    }
                    None => {
                        frame.closed = Some(false);
                        let child =
                            KeyPath::new(self.root, self.names.iter().copied().chain([name]));
                        reg.open(&child, access).map(|k| k.ids())
                    }
                },
            };
            self.names.push(name);
            let Some(ids) = ids else {
                continue;
            };
            push(block, &self.line, ids.primary);
            let frame = Frame::new(reg, ids, self.line.len(), self.names.len());
            self.stack.push(frame);
        }
        !self.stack.is_empty()
    }
}

/// A key being exported and where its walk is.
struct Frame<'r> {
    ids: OpenIds,
    /// Its subkeys' names in the registry's order, when the key has a merged HKCR half; a key of
    /// one hive is read in place, a subkey at a time ([`Registry::subkey_at`]).
    merged: Option<Vec<&'r RegName>>,
    /// Whether [`Registry::open_child`] opens its subkeys from its ids (it does for all of them
    /// or none); `None` until the first is opened. Where it does and the key is of one hive, the
    /// subkey is the enumerated id and is not looked up again by name.
    closed: Option<bool>,
    next: usize,
    /// The length of the key's path as text, and its number of names below the root.
    line_len: usize,
    depth: usize,
}

impl<'r> Frame<'r> {
    fn new(reg: &'r Registry, ids: OpenIds, line_len: usize, depth: usize) -> Self {
        Frame {
            ids,
            merged: ids.secondary.map(|_| reg.open_subkey_names(ids)),
            closed: None,
            next: 0,
            line_len,
            depth,
        }
    }

    /// The subkey at `next`: its name, and its id when the key is of one hive.
    fn subkey(&self, reg: &'r Registry) -> Option<(&'r RegName, Option<KeyId>)> {
        match &self.merged {
            Some(names) => names.get(self.next).map(|&n| (n, None)),
            None => reg
                .subkey_at(self.ids.primary, self.next)
                .map(|(n, id)| (n, Some(id))),
        }
    }
}

/// Text on its way to `out` as UTF-16LE.
struct Utf16Out<'o, W: io::Write> {
    text: String,
    /// The text's UTF-16 bytes at a flush, kept for the next one.
    bytes: Vec<u8>,
    out: &'o mut W,
}

impl<W: io::Write> Utf16Out<'_, W> {
    /// Writes the keys of `block`, each with its values.
    fn block(&mut self, reg: &Registry, block: &Block) -> io::Result<()> {
        let mut start = 0;
        for &(end, key) in &block.keys {
            self.text.push_str("\r\n[");
            self.text.push_str(&block.paths[start..end]);
            self.text.push_str("]\r\n");
            start = end;
            write_values(&mut self.text, reg, key);
            if self.text.len() >= FLUSH_AT {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.bytes.clear();
        utf16_append(&self.text, &mut self.bytes);
        self.out.write_all(&self.bytes)?;
        self.text.clear();
        Ok(())
    }
}

pub fn encode_utf16le(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 + text.len() * 2);
    bytes.extend([0xFF, 0xFE]);
    for u in text.encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    bytes
}

fn write_values(out: &mut String, reg: &Registry, key: KeyId) {
    for (name, value) in reg.values(key) {
        write_value(out, name, value);
    }
}

/// Writes one `name=data` line (with its continuations) and its line break.
pub fn write_value(out: &mut String, name: &RegName, value: &Value) {
    let start = out.len();
    if name.is_default() {
        out.push('@');
    } else {
        out.push('"');
        escape_into(out, name.as_str());
        out.push('"');
    }
    out.push('=');
    let name_len = out[start..].chars().count();
    if value.ty == ValueType::DWORD && value.data.len() == 4 {
        let _ = write!(out, "dword:{:08x}", value.as_dword().unwrap_or_default());
    } else if !write_quoted(out, value) {
        write_hex(out, name_len, value);
    }
    out.push_str("\r\n");
}

/// Writes a REG_SZ as a quoted string if it reads back identically from one: UTF-16 text, one
/// terminating NUL, no other NULs and no line breaks. Anything else is written as `hex(1):`, and
/// this returns `false` having written nothing.
fn write_quoted(out: &mut String, value: &Value) -> bool {
    if value.ty != ValueType::SZ || !value.data.len().is_multiple_of(2) {
        return false;
    }
    let n = value.data.len() / 2;
    if n == 0 || value.data[2 * n - 2..] != [0, 0] {
        return false;
    }
    let mut rest = &value.data[..2 * n - 2];
    let start = out.len();
    out.push('"');
    // Most of a string is ASCII with nothing to escape, copied without decoding; each unit that
    // stops such a run (a `\` of a path, most often) is written on its own, and the next run
    // copied again.
    loop {
        let plain = push_plain_units(out, rest);
        rest = &rest[2 * plain..];
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        let Some(c) = char::decode_utf16(units).next() else {
            break;
        };
        let c = match c {
            Ok(c) if !matches!(c, '\0' | '\r' | '\n') => c,
            _ => {
                out.truncate(start);
                return false;
            }
        };
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
        rest = &rest[2 * c.len_utf16()..];
    }
    out.push('"');
    true
}

/// Appends the leading plain UTF-16LE units of `data` to `out` as text, and says how many there
/// were. A unit is plain when it is ASCII and none of NUL, `\r`, `\n`, `"` and `\\` (written as
/// it is in a quoted string). Four units a step (each word tested, then its low bytes gathered
/// into a buffer), then one at a time; the buffer is appended as one string when full and at the
/// end, instead of one character at a time.
fn push_plain_units(out: &mut String, data: &[u8]) -> usize {
    const LANES: u64 = 0x0001_0001_0001_0001;
    const BIT7: u64 = 0x0080_0080_0080_0080;
    // Where every lane (unit) is below 0x80, a lane of `y` is zero only if its bit 7 is set here
    // (a borrow out of a zero lane may mark the next: the word then goes to the exact loop below,
    // which is only slower).
    let zero_lanes = |y: u64| y.wrapping_sub(LANES) & !y & BIT7;
    let mut buf = [0u8; 128];
    let mut held = 0;
    // Always ASCII, so always valid.
    let flush = |out: &mut String, bytes: &[u8]| {
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default())
    };
    let mut n = 0;
    for word in data.chunks_exact(8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // A unit of 0x80 or more; one below 0x20 (NUL, `\r` and `\n` among them; a word with a
        // tab goes to the loop below too); a `"`; a `\`.
        let stop = (x & 0xFF80_FF80_FF80_FF80)
            | (!x.wrapping_add(LANES * 0x60) & BIT7)
            | zero_lanes(x ^ (LANES * u64::from(b'"')))
            | zero_lanes(x ^ (LANES * u64::from(b'\\')));
        if stop != 0 {
            break;
        }
        // u0 0 u1 0 u2 0 u3 0 -> u0 u1 . . u2 u3 . . -> u0 u1 u2 u3
        let y = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
        let y = y | (y >> 16);
        buf[held..held + 4].copy_from_slice(&(y as u32).to_le_bytes());
        held += 4;
        n += 4;
        if held == buf.len() {
            flush(out, &buf);
            held = 0;
        }
    }
    let plain_unit =
        |u: &[u8]| u[1] == 0 && u[0] < 0x80 && !matches!(u[0], 0 | b'\r' | b'\n' | b'"' | b'\\');
    for unit in data[2 * n..].chunks_exact(2).take_while(|u| plain_unit(u)) {
        if held == buf.len() {
            flush(out, &buf);
            held = 0;
        }
        buf[held] = unit[0];
        held += 1;
        n += 1;
    }
    flush(out, &buf[..held]);
    n
}

/// What [`write_quoted`] writes, the way it was first written: the reference its tests compare with.
#[cfg(test)]
fn quotable_string(value: &Value) -> Option<String> {
    if value.ty != ValueType::SZ || !value.data.len().is_multiple_of(2) {
        return None;
    }
    let units = value.utf16_units();
    let (last, body) = units.split_last()?;
    if *last != 0 || body.contains(&0) {
        return None;
    }
    let s = String::from_utf16(body).ok()?;
    (!s.contains(['\r', '\n'])).then_some(s)
}

#[cfg(test)]
fn quoted_reference(value: &Value) -> Option<String> {
    let s = quotable_string(value)?;
    let mut out = String::from('"');
    escape_into(&mut out, &s);
    out.push('"');
    Some(out)
}

fn escape_into(out: &mut String, s: &str) {
    // Most names have nothing to escape: copied whole. The four are ASCII, so a byte scan of the
    // UTF-8 finds exactly them.
    if !s.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\r' | b'\n')) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn write_hex(out: &mut String, name_len: usize, value: &Value) {
    let tag = if value.ty == ValueType::BINARY {
        "hex:".to_owned()
    } else {
        format!("hex({:x}):", value.ty.0)
    };
    out.push_str(&tag);
    let mut line_len = name_len + tag.len();
    let n = value.data.len();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &b) in value.data.iter().enumerate() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
        if i + 1 == n {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= HEX_WRAP {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
}

/// A key of a script and its values, in the order they are written.
pub type ScriptKey = (KeyPath, Vec<(RegName, Value)>);

/// A `REGEDIT4` script in the layout `regasm /regfile` writes: the header, then each group's keys
/// in the order given, each key followed by its values and a blank line, and one more blank line
/// after each group. Encoded as REGEDIT4 files are, in the ANSI code page (Windows-1252).
pub fn regedit4_script(groups: &[Vec<ScriptKey>]) -> Vec<u8> {
    let mut out = String::from("REGEDIT4\r\n\r\n");
    for group in groups {
        for (path, values) in group {
            out.push('[');
            out.push_str(&path.to_string());
            out.push_str("]\r\n");
            for (name, value) in values {
                write_value(&mut out, name, value);
            }
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&out);
    bytes.into_owned()
}

/// A canonical listing of a whole registry for tests and snapshots: every key that has values or no
/// subkeys, depth first in each hive, followed by its values as a .reg file would write them.
pub fn dump(reg: &Registry) -> String {
    let mut out = String::new();
    for hive in comsim_registry::Hive::ALL {
        let mut stack = vec![(
            reg.root(hive),
            KeyPath::new(hive.root(), Vec::<String>::new()),
        )];
        while let Some((id, path)) = stack.pop() {
            let has_values = !reg.values(id).is_empty();
            if has_values || reg.subkey_count(id) == 0 && !path.components.is_empty() {
                out.push_str(&format!("[{path}]\n"));
                for (name, value) in reg.values(id) {
                    let mut line = String::new();
                    write_value(&mut line, name, value);
                    out.push_str(&line.replace("\r\n", "\n"));
                }
            }
            let children: Vec<_> = reg
                .subkeys(id)
                .map(|(n, c)| (c, path.join(n.as_str())))
                .collect();
            stack.extend(children.into_iter().rev());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_registry::{View, Writer};

    #[test]
    fn layout_matches_regedit() {
        let mut reg = Registry::new();
        let p = KeyPath::parse("HKEY_CURRENT_USER\\Software\\T").unwrap();
        let w = Writer { admin: true };
        reg.write_value(&p, "", Value::sz("a\"b\\c"), View::Bits64, w)
            .unwrap();
        reg.write_value(&p, "n", Value::dword(0x1f), View::Bits64, w)
            .unwrap();
        reg.write_value(&p, "e", Value::expand_sz("%x%"), View::Bits64, w)
            .unwrap();
        reg.write_value(&p.join("Sub"), "b", Value::binary(&[]), View::Bits64, w)
            .unwrap();
        let text = export_text(&reg, &p, &Access::default()).unwrap();
        assert_eq!(
            text,
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\T]\r\n@=\"a\\\"b\\\\c\"\r\n\"n\"=dword:0000001f\r\n\"e\"=hex(2):25,00,78,00,25,00,00,00\r\n\r\n[HKEY_CURRENT_USER\\Software\\T\\Sub]\r\n\"b\"=hex:\r\n\r\n"
        );
    }

    /// A machine with both halves of HKCR: 300 classes below HKLM, every seventh also below HKCU
    /// (so merged keys have two ids), with subkeys and values of several types.
    fn two_halves() -> Registry {
        let mut reg = Registry::new();
        let w = Writer { admin: true };
        for i in 0..300u32 {
            let guid = format!("{{{i:08X}-0000-0000-0000-000000000000}}");
            let mut roots = vec!["HKEY_LOCAL_MACHINE\\Software\\Classes"];
            if i % 7 == 0 {
                roots.push("HKEY_CURRENT_USER\\Software\\Classes");
            }
            for root in roots {
                let class = KeyPath::parse(&format!("{root}\\CLSID\\{guid}")).unwrap();
                let server = class.join("InprocServer32");
                reg.write_value(
                    &class,
                    "",
                    Value::sz(&format!("Class {i}")),
                    View::Bits64,
                    w,
                )
                .unwrap();
                reg.write_value(
                    &server,
                    "",
                    Value::expand_sz("%SystemRoot%\\x.dll"),
                    View::Bits64,
                    w,
                )
                .unwrap();
                reg.write_value(
                    &server,
                    "ThreadingModel",
                    Value::sz("Both"),
                    View::Bits64,
                    w,
                )
                .unwrap();
                reg.write_value(
                    &class.join("ProgId"),
                    "",
                    Value::sz(&format!("P.{i}")),
                    View::Bits64,
                    w,
                )
                .unwrap();
                reg.write_value(&server.join("1.0"), "n", Value::dword(i), View::Bits64, w)
                    .unwrap();
            }
        }
        reg
    }

    #[test]
    fn an_export_handed_over_in_blocks_of_any_size_is_the_first_export() {
        // The walk hands its keys to the writing thread a block at a time: a block boundary
        // anywhere (after the exported key itself, inside a class, between the halves of HKCR)
        // must not change a byte.
        let reg = two_halves();
        for p in [
            "HKEY_CLASSES_ROOT",
            "HKEY_CLASSES_ROOT\\CLSID",
            "HKEY_LOCAL_MACHINE\\Software\\Classes",
            "HKEY_CURRENT_USER",
        ] {
            let path = KeyPath::parse(p).unwrap();
            let access = Access::default();
            let want = encode_utf16le(&export_text(&reg, &path, &access).unwrap());
            for block_keys in [1, 2, 3, 5, 64, BLOCK_KEYS, 100_000] {
                let mut got = Vec::new();
                let found = export_in_blocks(&reg, &path, &access, &mut got, block_keys);
                assert!(found.unwrap(), "{p}");
                assert!(got == want, "{p}, blocks of {block_keys} keys");
            }
        }
    }

    /// A file that fails once `room` bytes have been written.
    struct Full {
        room: usize,
    }

    impl io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_stops_the_walk_and_is_the_error() {
        // The walk runs ahead on its own thread; the writer's error must end it (no hang) and
        // come back to the caller, wherever it happens.
        let reg = two_halves();
        let path = KeyPath::parse("HKEY_CLASSES_ROOT").unwrap();
        for room in [0, 1, 100, 70_000, 200_000] {
            for block_keys in [1, 7, BLOCK_KEYS] {
                let mut full = Full { room };
                let got = export_in_blocks(&reg, &path, &Access::default(), &mut full, block_keys);
                let err = got.expect_err("the write fails");
                assert_eq!(err.to_string(), "disk full", "{room} {block_keys}");
            }
        }
    }

    #[test]
    fn value_names_are_escaped_whether_or_not_they_need_it() {
        for (name, want) in [
            ("plain", r#""plain"=dword:00000001"#),
            ("\u{e9}t\u{e9}", "\"\u{e9}t\u{e9}\"=dword:00000001"),
            ("a\"b", r#""a\"b"=dword:00000001"#),
            ("back\\slash\\", r#""back\\slash\\"=dword:00000001"#),
            ("cr\r\u{e9}", "\"cr\\r\u{e9}\"=dword:00000001"),
            ("lf\n", "\"lf\\n\"=dword:00000001"),
        ] {
            let mut out = String::new();
            write_value(&mut out, &RegName::new(name), &Value::dword(1));
            assert_eq!(out, format!("{want}\r\n"), "{name:?}");
        }
    }

    #[test]
    fn quoted_strings_are_written_as_before_and_others_fall_back_to_hex() {
        let mut cases: Vec<Value> = [
            "",
            "plain",
            "a\"b\\c",
            "two\r\nlines",
            "\u{e9}\u{1F600}",
            "tab\there",
            // Plain ASCII first, then what the plain copy stops at.
            "plain text then \"a quote\"",
            "C:\\path\\x.dll",
            "abc\u{e9}def\u{1F600}",
            "ends in a backslash\\",
            "line\rbreak",
            "nul\0inside",
            "\u{7f}\u{80}",
        ]
        .iter()
        .map(|s| Value::sz(s))
        .collect();
        for data in [
            vec![],
            vec![0],
            vec![0, 0],
            vec![0x41, 0],
            vec![0x41, 0, 0, 0, 0x42, 0, 0, 0],
            vec![0x00, 0xD8, 0, 0],
            vec![0x3D, 0xD8, 0x00, 0xDE, 0, 0],
            vec![0x00, 0xDC, 0x41, 0, 0, 0],
            vec![0x41, 0, 0x42],
        ] {
            cases.push(Value::new(ValueType::SZ, data));
        }
        cases.push(Value::expand_sz("x"));
        // What ends the plain copy, at each place of the four-unit words it reads.
        for len in 0..10 {
            for odd in [
                "\\", "\"", "\r", "\n", "\0", "\u{e9}", "\u{80}", "\u{100}", "\u{7f}",
            ] {
                for at in 0..=len {
                    let mut t: String = "abcdefghij"[..len].into();
                    t.insert_str(at, odd);
                    cases.push(Value::sz(&t));
                }
            }
        }
        // Two of them at every pair of places: the plain copy starts again after each.
        let odd = ["\\", "\"", "\r", "\0", "\u{e9}", "\u{1F600}"];
        for first in odd {
            for second in odd {
                for at in 0..=12 {
                    for gap in 0..=12 - at {
                        let mut t: String = "abcdefghijkl".into();
                        t.insert_str(at + gap, second);
                        t.insert_str(at, first);
                        cases.push(Value::sz(&t));
                    }
                }
            }
        }
        // An unpaired surrogate after a plain run that follows an escape.
        let mut data: Vec<u8> = "a\\bcdefghij"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        data.extend([0x00, 0xDC, 0x41, 0, 0, 0]);
        cases.push(Value::new(ValueType::SZ, data));
        // Plain runs longer than the buffer the plain copy narrows them in, and ending at its edge.
        for len in [127, 128, 129, 256, 300] {
            cases.push(Value::sz(&"p".repeat(len)));
            cases.push(Value::sz(&format!("{}\"q\u{e9}", "p".repeat(len))));
        }
        for v in cases {
            let mut out = String::from("x");
            let quoted = write_quoted(&mut out, &v);
            match quoted_reference(&v) {
                Some(want) => assert_eq!(out, format!("x{want}"), "{v:?}"),
                None => assert!(!quoted && out == "x", "{v:?}"),
            }
        }
    }

    #[test]
    fn hex_wraps_where_regedit_wraps() {
        let mut out = String::new();
        write_value(&mut out, &RegName::new("bin"), &Value::binary(&[0xab; 40]));
        let lines: Vec<_> = out.split("\r\n").collect();
        // `"bin"=hex:` is 10 characters; 23 bytes bring it to 79 >= 77.
        assert_eq!(lines[0].len(), 10 + 23 * 3 + 1);
        assert!(lines[0].ends_with(",\\"));
        assert!(lines[1].starts_with("  ab,"));
        assert!(!lines[1].ends_with(','));
    }

    #[test]
    fn strings_that_would_not_read_back_are_written_as_hex1() {
        let mut out = String::new();
        write_value(&mut out, &RegName::new("s"), &Value::sz("two\r\nlines"));
        assert!(out.starts_with("\"s\"=hex(1):74,00"));
        let mut out = String::new();
        write_value(
            &mut out,
            &RegName::new("s"),
            &Value::new(ValueType::SZ, vec![0x41, 0]),
        );
        assert_eq!(out, "\"s\"=hex(1):41,00\r\n");
    }
}
