//! Where the hive bins come from: bytes the caller holds, or the file itself, read a piece at a
//! time, so that loading a whole hive never holds the whole file beside the registry it builds.
//!
//! The file is read in 8 KiB pieces through a direct-mapped cache of 128 of them (1 MiB). Reading
//! the bins in order (the scan of every bin and cell header) reads each piece once; the walk of the
//! keys then finds most of its cells in the pieces it read last, because a hive keeps a key's
//! records close together, and costs one 8 KiB read per miss whatever the layout: linear in the
//! number of cells either way.

use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::base::BASE_BLOCK_LEN;

const PIECE: usize = 8 * 1024;
const SLOTS: usize = 128;

/// The hive bins data (everything after the base block).
pub(crate) enum Bins<'a> {
    Bytes(&'a [u8]),
    File(Paged),
}

impl<'a> Bins<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Bins::Bytes(b) => b.len(),
            Bins::File(p) => p.len,
        }
    }

    /// Bytes `pos..pos + len` of the bins data; `None` past its end.
    pub(crate) fn get(&mut self, pos: usize, len: usize) -> std::io::Result<Option<Cow<'a, [u8]>>> {
        let Some(end) = pos.checked_add(len).filter(|&e| e <= self.len()) else {
            return Ok(None);
        };
        match self {
            Bins::Bytes(b) => Ok(b.get(pos..end).map(Cow::Borrowed)),
            Bins::File(p) => p.get(pos, end).map(|v| Some(Cow::Owned(v))),
        }
    }
}

impl Bins<'_> {
    /// The little-endian `u32` at `pos`; `None` past the end. Read in place, without a copy:
    /// the bins scan reads every cell's size this way, whatever the size of its bin.
    pub(crate) fn u32_at(&mut self, pos: usize) -> std::io::Result<Option<u32>> {
        match self {
            Bins::Bytes(b) => Ok(crate::base::u32_at(b, pos)),
            Bins::File(p) => p.u32_at(pos),
        }
    }
}

/// The hive bins of an open file, read through a cache of pieces.
pub(crate) struct Paged {
    file: File,
    len: usize,
    /// The piece each slot holds (`usize::MAX`: none yet) and its bytes.
    tags: Vec<usize>,
    pieces: Vec<Vec<u8>>,
}

impl Paged {
    /// The `len` bytes of hive bins after the base block of `file`.
    pub(crate) fn new(file: File, len: usize) -> Self {
        Paged {
            file,
            len,
            tags: vec![usize::MAX; SLOTS],
            pieces: vec![Vec::new(); SLOTS],
        }
    }

    fn read(&self, pos: usize, buf: &mut [u8]) -> std::io::Result<()> {
        self.file.read_exact_at(buf, (BASE_BLOCK_LEN + pos) as u64)
    }

    /// Bytes `pos..end` (within the bins data).
    fn get(&mut self, pos: usize, end: usize) -> std::io::Result<Vec<u8>> {
        if end == pos {
            return Ok(Vec::new());
        }
        let piece = pos / PIECE;
        if (end - 1) / PIECE != piece {
            // Across pieces (a cell in a large bin): read straight from the file.
            let mut out = vec![0; end - pos];
            self.read(pos, &mut out)?;
            return Ok(out);
        }
        let at = pos - piece * PIECE;
        Ok(self.piece(piece)?[at..at + (end - pos)].to_vec())
    }

    fn u32_at(&mut self, pos: usize) -> std::io::Result<Option<u32>> {
        if pos.checked_add(4).is_none_or(|e| e > self.len) {
            return Ok(None);
        }
        let piece = pos / PIECE;
        let at = pos - piece * PIECE;
        if at + 4 > PIECE {
            return Ok(crate::base::u32_at(&self.get(pos, pos + 4)?, 0));
        }
        Ok(crate::base::u32_at(self.piece(piece)?, at))
    }

    /// The bytes of piece `piece`, read into its slot unless it is there.
    fn piece(&mut self, piece: usize) -> std::io::Result<&[u8]> {
        let slot = piece % SLOTS;
        if self.tags[slot] != piece {
            let start = piece * PIECE;
            let mut buf = std::mem::take(&mut self.pieces[slot]);
            buf.resize(PIECE.min(self.len - start), 0);
            self.tags[slot] = usize::MAX;
            let read = self.read(start, &mut buf);
            self.pieces[slot] = buf;
            read?;
            self.tags[slot] = piece;
        }
        Ok(&self.pieces[slot])
    }
}
