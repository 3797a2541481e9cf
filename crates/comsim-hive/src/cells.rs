//! Cell access: every reference is checked against the cells the bins scan found, and each cell
//! may be reached once, so no reference cycle or shared list can loop or multiply the work.
//!
//! Record layouts read here (offsets from the start of the cell's data, after its size):
//! - `nk` (a key): flags at 2 (0x20: the name is one byte per character), parent at 16, the
//!   number of subkeys at 20 and their list at 28, the number of values at 36 and their list at
//!   40, the name's length at 72 and the name at 76.
//! - `vk` (a value): the name's length at 2, the data size at 4 (high bit set: up to four bytes of
//!   data stored in the next field itself), the data's cell at 8, the type at 12, flags at 16
//!   (bit 0: the name is one byte per character), the name at 20.
//! - subkey lists, a count at 2 and then entries: `li` 4-byte key offsets, `lf` and `lh` 8-byte
//!   entries (key offset and a hash of the name), `ri` 4-byte offsets of `li`/`lf`/`lh` lists.
//! - `db` (big data, format 1.4 and later, for data over 16,344 bytes): the number of segments at
//!   2, the cell of their offsets at 4; each segment holds up to 16,344 bytes.
//! - a value list: one 4-byte `vk` offset per value, no header.

use std::borrow::Cow;

use comsim_diag::Diagnostic;

use crate::base::{BASE_BLOCK_LEN, BitSet, at, read_error, u16_at, u32_at};
use crate::codes;
use crate::source::Bins;

/// No cell: an offset field that points nowhere.
pub(crate) const NONE: u32 = u32::MAX;

pub(crate) struct Cells<'a> {
    pub(crate) file: &'a str,
    bins: Bins<'a>,
    starts: BitSet,
    used: BitSet,
    pub(crate) minor: u32,
    /// The bytes of the cells followed so far: how far a load has got (never more than the bins).
    pub(crate) followed: u64,
}

/// One allocated cell's data, with its absolute file offset for messages.
pub(crate) struct Cell<'a> {
    pub(crate) data: Cow<'a, [u8]>,
    /// The file offset of the cell's data (after the size field).
    pub(crate) abs: usize,
}

impl<'a> Cell<'a> {
    pub(crate) fn u16(&self, i: usize) -> u16 {
        u16_at(&self.data, i).unwrap_or_default()
    }

    pub(crate) fn u32(&self, i: usize) -> u32 {
        u32_at(&self.data, i).unwrap_or_default()
    }

    /// Errors unless the cell's data holds at least `len` bytes.
    pub(crate) fn need(&self, file: &str, len: usize, what: &str) -> Result<(), Diagnostic> {
        if self.data.len() < len {
            return Err(at(
                file,
                self.abs,
                codes::HIVE_RECORD,
                format!(
                    "{what} needs {len} bytes, but its cell holds {}",
                    self.data.len()
                ),
            ));
        }
        Ok(())
    }

    /// Errors unless the cell starts with `sig`.
    pub(crate) fn signature(
        &self,
        file: &str,
        sig: &[u8; 2],
        what: &str,
    ) -> Result<(), Diagnostic> {
        if self.data.get(..2) != Some(sig) {
            let found = self.data.get(..2).map_or_else(String::new, |s| {
                format!(", found {:?}", String::from_utf8_lossy(s))
            });
            return Err(at(
                file,
                self.abs,
                codes::HIVE_RECORD,
                format!(
                    "expected {what} (`{}`){found}",
                    String::from_utf8_lossy(sig)
                ),
            ));
        }
        Ok(())
    }
}

impl<'a> Cells<'a> {
    pub(crate) fn new(file: &'a str, bins: Bins<'a>, starts: BitSet, minor: u32) -> Self {
        Cells {
            file,
            used: BitSet::new(bins.len() / 8 + 1),
            bins,
            starts,
            minor,
            followed: 0,
        }
    }

    /// The allocated cell at `off` (counted from the first hive bin), which `from` (a file
    /// offset) refers to as `what`. A cell can be reached once.
    pub(crate) fn cell(
        &mut self,
        off: u32,
        what: &str,
        from: usize,
    ) -> Result<Cell<'a>, Diagnostic> {
        let o = off as usize;
        if !o.is_multiple_of(8) || o >= self.bins.len() || !self.starts.get(o / 8) {
            return Err(at(
                self.file,
                from,
                codes::HIVE_CELL,
                format!(
                    "the offset of {what} is {off} (0x{off:x}), which is not the start of a cell"
                ),
            ));
        }
        let abs = BASE_BLOCK_LEN + o;
        let raw = self
            .bins
            .u32_at(o)
            .map_err(|e| read_error(self.file, abs, &e))?
            .unwrap_or_default() as i32;
        if raw >= 0 {
            return Err(at(
                self.file,
                abs,
                codes::HIVE_CELL,
                format!("{what}, referred to at byte {from}, is in a free cell"),
            ));
        }
        if self.used.get(o / 8) {
            return Err(at(
                self.file,
                abs,
                codes::HIVE_CELL,
                format!(
                    "{what}, referred to at byte {from}, is reached a second time (a cycle or a shared cell)"
                ),
            ));
        }
        self.used.set(o / 8);
        let size = raw.unsigned_abs() as usize;
        self.followed += size as u64;
        // The bins scan checked that the cell lies within its bin.
        let data = self
            .bins
            .get(o + 4, size.saturating_sub(4))
            .map_err(|e| read_error(self.file, abs, &e))?
            .unwrap_or_default();
        Ok(Cell { data, abs: abs + 4 })
    }
}
