//! Keys, values, subkey lists and big data, read from their cells (layouts in `cells.rs`).

use comsim_diag::Diagnostic;
use comsim_registry::{RegName, Value, ValueType};

use crate::base::at;
use crate::cells::{Cell, Cells, NONE};
use crate::codes;

/// Bytes of data one big-data segment holds, and the largest value stored in one cell.
const SEGMENT_LEN: usize = 16_344;
const NK_FIXED: usize = 76;
const VK_FIXED: usize = 20;

/// A key record.
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) abs: usize,
    subkey_count: u32,
    subkey_list: u32,
    value_count: u32,
    value_list: u32,
}

/// A name stored one byte per character (Latin-1) or as UTF-16LE.
fn decode_name(bytes: &[u8], compressed: bool) -> Option<String> {
    if compressed {
        return Some(bytes.iter().map(|&b| char::from(b)).collect());
    }
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

fn name_of(
    cells: &Cells<'_>,
    cell: &Cell<'_>,
    at_byte: usize,
    len: usize,
    compressed: bool,
    what: &str,
) -> Result<String, Diagnostic> {
    cell.need(cells.file, at_byte + len, what)?;
    decode_name(&cell.data[at_byte..at_byte + len], compressed).ok_or_else(|| {
        at(
            cells.file,
            cell.abs + at_byte,
            codes::HIVE_NAME,
            format!(
                "the name of {what} is not UTF-16LE text (an odd length or an unpaired surrogate)"
            ),
        )
    })
}

/// Reads the key record at `off`, which `from` refers to.
pub(crate) fn read_key(cells: &mut Cells<'_>, off: u32, from: usize) -> Result<Key, Diagnostic> {
    let cell = cells.cell(off, "a key (nk)", from)?;
    cell.signature(cells.file, b"nk", "a key record")?;
    cell.need(cells.file, NK_FIXED, "a key record")?;
    let compressed = cell.u16(2) & 0x20 != 0;
    let len = usize::from(cell.u16(72));
    let name = name_of(cells, &cell, NK_FIXED, len, compressed, "a key")?;
    Ok(Key {
        name,
        abs: cell.abs,
        subkey_count: cell.u32(20),
        subkey_list: cell.u32(28),
        value_count: cell.u32(36),
        value_list: cell.u32(40),
    })
}

/// The key offsets of `key`'s subkey list, in the list's order, each with the file offset of
/// the list entry that holds it.
pub(crate) fn subkeys(cells: &mut Cells<'_>, key: &Key) -> Result<Vec<(u32, usize)>, Diagnostic> {
    let mut out = Vec::new();
    if key.subkey_count == 0 {
        return Ok(out);
    }
    let list = cells.cell(key.subkey_list, "the key's subkey list", key.abs + 28)?;
    if list.data.get(..2) == Some(b"ri") {
        for (leaf, from) in entries(cells, &list, 4, "an index root (ri)")? {
            let leaf = cells.cell(leaf, "a leaf of an index root", from)?;
            leaf_entries(cells, &leaf, &mut out)?;
        }
    } else {
        leaf_entries(cells, &list, &mut out)?;
    }
    if out.len() != key.subkey_count as usize {
        return Err(at(
            cells.file,
            key.abs + 20,
            codes::HIVE_RECORD,
            format!(
                "the key `{}` says it has {} subkeys, but its subkey list holds {}",
                key.name,
                key.subkey_count,
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// The first 4 bytes of each `stride`-byte entry of a list with a count at byte 2.
fn entries(
    cells: &Cells<'_>,
    list: &Cell<'_>,
    stride: usize,
    what: &str,
) -> Result<Vec<(u32, usize)>, Diagnostic> {
    let count = usize::from(list.u16(2));
    list.need(cells.file, 4 + count * stride, what)?;
    Ok((0..count)
        .map(|i| (list.u32(4 + i * stride), list.abs + 4 + i * stride))
        .collect())
}

/// A leaf list (`li`, `lf`, `lh`): its key offsets, appended to `out`.
fn leaf_entries(
    cells: &Cells<'_>,
    list: &Cell<'_>,
    out: &mut Vec<(u32, usize)>,
) -> Result<(), Diagnostic> {
    let stride = match list.data.get(..2) {
        Some(b"li") => 4,
        Some(b"lf" | b"lh") => 8,
        _ => {
            return Err(at(
                cells.file,
                list.abs,
                codes::HIVE_RECORD,
                "expected a subkey list (`li`, `lf` or `lh`; `ri` only at the top)",
            ));
        }
    };
    out.extend(entries(cells, list, stride, "a subkey list")?);
    Ok(())
}

/// The values of `key`, in the order of its value list.
pub(crate) fn values(
    cells: &mut Cells<'_>,
    key: &Key,
) -> Result<Vec<(RegName, Value)>, Diagnostic> {
    let count = key.value_count as usize;
    if count == 0 {
        return Ok(Vec::new());
    }
    let list = cells.cell(key.value_list, "the key's value list", key.abs + 40)?;
    list.need(cells.file, count * 4, "a value list")?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        out.push(value(cells, list.u32(i * 4), list.abs + i * 4)?);
    }
    Ok(out)
}

fn value(cells: &mut Cells<'_>, off: u32, from: usize) -> Result<(RegName, Value), Diagnostic> {
    let vk = cells.cell(off, "a value (vk)", from)?;
    vk.signature(cells.file, b"vk", "a value record")?;
    vk.need(cells.file, VK_FIXED, "a value record")?;
    let compressed = vk.u16(16) & 1 != 0;
    let name = name_of(
        cells,
        &vk,
        VK_FIXED,
        usize::from(vk.u16(2)),
        compressed,
        "a value",
    )?;
    let raw_size = vk.u32(4);
    let data = if raw_size & 0x8000_0000 != 0 {
        let len = (raw_size & 0x7FFF_FFFF) as usize;
        if len > 4 {
            return Err(at(
                cells.file,
                vk.abs + 4,
                codes::HIVE_RECORD,
                format!(
                    "value `{name}` has {len} bytes of data stored in the record, which holds at most 4"
                ),
            ));
        }
        vk.data[8..8 + len].to_vec()
    } else {
        value_data(cells, raw_size as usize, vk.u32(8), vk.abs + 8)?
    };
    Ok((RegName::new(name), Value::new(ValueType(vk.u32(12)), data)))
}

/// Value data in its own cell, or in big-data segments.
fn value_data(
    cells: &mut Cells<'_>,
    len: usize,
    off: u32,
    from: usize,
) -> Result<Vec<u8>, Diagnostic> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if off == NONE {
        return Err(at(
            cells.file,
            from,
            codes::HIVE_RECORD,
            format!("{len} bytes of value data, but no data cell"),
        ));
    }
    let cell = cells.cell(off, "value data", from)?;
    if len > SEGMENT_LEN && cells.minor >= 4 && cell.data.get(..2) == Some(b"db") {
        return big_data(cells, &cell, len);
    }
    cell.need(cells.file, len, "the value's data")?;
    Ok(cell.data[..len].to_vec())
}

/// Data over 16,344 bytes in a format 1.4+ hive: a `db` record and its segments.
fn big_data(cells: &mut Cells<'_>, db: &Cell<'_>, len: usize) -> Result<Vec<u8>, Diagnostic> {
    db.need(cells.file, 8, "a big-data record (db)")?;
    let count = usize::from(db.u16(2));
    if count * SEGMENT_LEN < len {
        return Err(at(
            cells.file,
            db.abs + 2,
            codes::HIVE_RECORD,
            format!(
                "{count} big-data segments hold at most {} bytes; the value has {len}",
                count * SEGMENT_LEN
            ),
        ));
    }
    let list = cells.cell(db.u32(4), "a big-data segment list", db.abs + 4)?;
    list.need(cells.file, count * 4, "a big-data segment list")?;
    let mut out = Vec::with_capacity(len);
    for i in 0..count {
        let want = (len - out.len()).min(SEGMENT_LEN);
        let seg = cells.cell(list.u32(i * 4), "a big-data segment", list.abs + i * 4)?;
        seg.need(cells.file, want, "a big-data segment")?;
        out.extend_from_slice(&seg.data[..want]);
    }
    Ok(out)
}
