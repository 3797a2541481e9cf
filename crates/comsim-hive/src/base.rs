//! The base block (the file's first 4096 bytes) and the hive bins after it.
//!
//! Layout facts (public descriptions: libyal's "Windows NT Registry File (REGF) format", hivex's
//! `hivex.c` and Wine's/ReactOS' cmlib): the base block starts with `regf`, then the primary and
//! secondary sequence numbers (equal when no write is pending in the logs), a FILETIME, the major
//! and minor format version, the file type (0: a primary hive file), the format (1), the root
//! key's cell offset and the size of the hive bins data, both counted from the end of the base
//! block; a checksum at byte 508 is the XOR of the 127 double words before it. Each hive bin
//! starts with `hbin`, its own offset and its size (a multiple of 4096), and is filled with cells:
//! a signed 32-bit size (negative when the cell is allocated), a multiple of 8, then the data.

use comsim_diag::{Code, Diagnostic};

use crate::codes;
use crate::source::Bins;

/// The size of the base block; cell offsets count from its end.
pub(crate) const BASE_BLOCK_LEN: usize = 4096;
const HBIN_HEADER_LEN: usize = 32;
const CHECKSUM_AT: usize = 508;

/// What the base block says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BaseBlock {
    pub(crate) minor: u32,
    pub(crate) root: u32,
    pub(crate) bins_len: usize,
}

/// An error at a byte offset of the file.
pub(crate) fn at(
    file: &str,
    offset: usize,
    code: Code,
    what: impl std::fmt::Display,
) -> Diagnostic {
    Diagnostic::error(
        code,
        format!("{file}: at byte {offset} (0x{offset:x}): {what}"),
    )
}

pub(crate) fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

pub(crate) fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// The checksum Windows stores at byte 508: the XOR of the double words before it, with 0 and
/// `0xFFFFFFFF` replaced by 1 and `0xFFFFFFFE`.
pub(crate) fn checksum(block: &[u8; BASE_BLOCK_LEN]) -> u32 {
    let x = block[..CHECKSUM_AT].chunks_exact(4).fold(0u32, |acc, c| {
        acc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    });
    match x {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        x => x,
    }
}

/// Checks the base block (the start of a file of `file_len` bytes): signature, checksum, sequence
/// numbers, version, type, and that the hive bins it announces are in the file.
pub(crate) fn read_base_block(
    file: &str,
    head: &[u8],
    file_len: usize,
) -> Result<BaseBlock, Diagnostic> {
    let Some(block) = head.first_chunk::<BASE_BLOCK_LEN>() else {
        return Err(at(
            file,
            file_len,
            codes::HIVE_BASE_BLOCK,
            format!(
                "the file ends after {file_len} bytes; a hive starts with a 4096-byte base block"
            ),
        ));
    };
    if &block[..4] != b"regf" {
        return Err(at(
            file,
            0,
            codes::HIVE_BASE_BLOCK,
            "expected the signature `regf` of a registry hive file",
        ));
    }
    let field = |i| u32_at(block, i).unwrap_or_default();
    let stored = field(CHECKSUM_AT);
    let computed = checksum(block);
    if stored != computed {
        return Err(at(
            file,
            CHECKSUM_AT,
            codes::HIVE_CHECKSUM,
            format!(
                "the base block's checksum is 0x{stored:08x}, but its contents give 0x{computed:08x}; the header is damaged"
            ),
        ));
    }
    let (primary, secondary) = (field(4), field(8));
    if primary != secondary {
        return Err(at(
            file,
            4,
            codes::HIVE_DIRTY,
            format!("the sequence numbers differ (primary {primary}, secondary {secondary}): the hive has changes still in its transaction logs (.LOG1/.LOG2), which comsim does not replay"),
        )
        .with_note("get a clean copy: on the live machine run `reg save HKLM\\SOFTWARE SOFTWARE.hiv` (or the key the hive is mounted at), or load the hive with its logs beside it in regedit (File > Load Hive) and unload it again, which writes the logs into the file, or copy it from the disk of a Windows that was shut down cleanly (a copy taken while Windows ran, or after a crash, can be dirty like this one)"));
    }
    let (major, minor) = (field(20), field(24));
    if major != 1 || !(2..=6).contains(&minor) {
        return Err(at(
            file,
            20,
            codes::HIVE_VERSION,
            format!("format version {major}.{minor}; comsim reads versions 1.2 to 1.6"),
        ));
    }
    check_type_and_format(file, field(28), field(32))?;
    let bins_len = field(40) as usize;
    let available = file_len - BASE_BLOCK_LEN;
    if bins_len == 0 || !bins_len.is_multiple_of(BASE_BLOCK_LEN) || bins_len > available {
        return Err(at(
            file,
            40,
            codes::HIVE_BASE_BLOCK,
            format!(
                "the hive bins data size is {bins_len} bytes; expected a non-zero multiple of 4096 no larger than the {available} bytes after the base block (is the file truncated?)"
            ),
        ));
    }
    Ok(BaseBlock {
        minor,
        root: field(36),
        bins_len,
    })
}

fn check_type_and_format(file: &str, file_type: u32, format: u32) -> Result<(), Diagnostic> {
    if file_type != 0 {
        return Err(at(
            file,
            28,
            codes::HIVE_BASE_BLOCK,
            format!(
                "file type {file_type}: this is a transaction log or another kind of file, not a primary hive file (type 0)"
            ),
        ));
    }
    if format != 1 {
        return Err(at(
            file,
            32,
            codes::HIVE_BASE_BLOCK,
            format!("file format {format}; expected 1 (a hive loaded directly into memory)"),
        ));
    }
    Ok(())
}

/// Walks the hive bins and their cells, checking each header and size, and returns where the
/// cells start (one bit per 8 bytes of the bins data).
pub(crate) fn scan_bins(file: &str, bins: &mut Bins<'_>) -> Result<BitSet, Diagnostic> {
    let len = bins.len();
    let mut starts = BitSet::new(len / 8 + 1);
    let mut pos = 0usize;
    while pos < len {
        let abs = BASE_BLOCK_LEN + pos;
        let header = bins
            .get(pos, HBIN_HEADER_LEN)
            .map_err(|e| read_error(file, abs, &e))?;
        let Some(h) = header.filter(|h| &h[..4] == b"hbin") else {
            return Err(at(
                file,
                abs,
                codes::HIVE_BIN,
                "expected a hive bin header (`hbin`)",
            ));
        };
        let own = u32_at(&h, 4).unwrap_or_default() as usize;
        let size = u32_at(&h, 8).unwrap_or_default() as usize;
        if own != pos {
            return Err(at(
                file,
                abs + 4,
                codes::HIVE_BIN,
                format!("the hive bin says it is at offset {own}; it is at {pos}"),
            ));
        }
        if size == 0 || !size.is_multiple_of(BASE_BLOCK_LEN) || size > len - pos {
            return Err(at(
                file,
                abs + 8,
                codes::HIVE_BIN,
                format!(
                    "hive bin size {size}; expected a non-zero multiple of 4096 that ends within the {len} bytes of hive bins"
                ),
            ));
        }
        scan_cells(file, bins, pos, pos + size, &mut starts)?;
        pos += size;
    }
    Ok(starts)
}

/// The cells of the hive bin at `bin_pos..end` of the bins data: each cell's size is read where
/// it is, so a bin of any size costs no more memory than a small one.
fn scan_cells(
    file: &str,
    bins: &mut Bins<'_>,
    bin_pos: usize,
    end: usize,
    starts: &mut BitSet,
) -> Result<(), Diagnostic> {
    let mut pos = bin_pos + HBIN_HEADER_LEN;
    while pos < end {
        let abs = BASE_BLOCK_LEN + pos;
        let raw = bins
            .u32_at(pos)
            .map_err(|e| read_error(file, abs, &e))?
            .unwrap_or_default() as i32;
        let size = raw.unsigned_abs() as usize;
        if size < 8 || !size.is_multiple_of(8) || size > end - pos {
            return Err(at(
                file,
                abs,
                codes::HIVE_CELL,
                format!(
                    "cell size {raw}; expected a multiple of 8, at least 8, that ends within its hive bin ({} bytes left)",
                    end - pos
                ),
            ));
        }
        starts.set(pos / 8);
        pos += size;
    }
    Ok(())
}

/// The file could not be read at `offset` (it changed while being read, or a read failed).
pub(crate) fn read_error(file: &str, offset: usize, e: &std::io::Error) -> Diagnostic {
    at(
        file,
        offset,
        codes::HIVE_IO,
        format!("cannot read the hive file here: {e}"),
    )
}

/// A fixed-size set of small numbers.
#[derive(Debug)]
pub(crate) struct BitSet(Vec<u64>);

impl BitSet {
    pub(crate) fn new(len: usize) -> Self {
        BitSet(vec![0; len.div_ceil(64)])
    }

    pub(crate) fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub(crate) fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
}
