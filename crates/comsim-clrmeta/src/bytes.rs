//! Bounds-checked reads from the image. A [`Span`] is a slice of the file that remembers where it
//! starts, so every failure names the byte offset in the file and what was expected there.

use comsim_diag::Code;

use crate::codes;

/// Why reading failed: a code, the byte offset in the file, and what was expected there. The
/// file's name is added by [`crate::read_assembly`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub code: Code,
    pub offset: u64,
    pub message: String,
}

pub type Res<T> = Result<T, Box<Fail>>;

pub fn fail<T>(code: Code, offset: u64, message: impl Into<String>) -> Res<T> {
    Err(Box::new(Fail {
        code,
        offset,
        message: message.into(),
    }))
}

/// A part of the file: its bytes and the file offset of the first.
#[derive(Debug, Clone, Copy)]
pub struct Span<'a> {
    pub bytes: &'a [u8],
    pub start: u64,
}

impl<'a> Span<'a> {
    pub fn whole(bytes: &'a [u8]) -> Span<'a> {
        Span { bytes, start: 0 }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The file offset of byte `at` of this span.
    pub fn offset(&self, at: usize) -> u64 {
        self.start + at as u64
    }

    /// `len` bytes from `at`, or a truncation error saying what they were to hold.
    pub fn sub(&self, at: usize, len: usize, what: &str) -> Res<Span<'a>> {
        match at.checked_add(len).and_then(|end| self.bytes.get(at..end)) {
            Some(bytes) => Ok(Span {
                bytes,
                start: self.offset(at),
            }),
            None => fail(
                codes::CLR_TRUNCATED,
                self.offset(at.min(self.len())),
                format!(
                    "expected {what} ({len} bytes at {:#x}), but only {} bytes remain",
                    self.offset(at),
                    self.len().saturating_sub(at)
                ),
            ),
        }
    }

    /// Everything from `at` to the end.
    pub fn tail(&self, at: usize, what: &str) -> Res<Span<'a>> {
        let len = self.len().checked_sub(at);
        match len {
            Some(len) => self.sub(at, len, what),
            None => self.sub(at, 0, what),
        }
    }

    pub fn u8(&self, at: usize, what: &str) -> Res<u8> {
        Ok(self.sub(at, 1, what)?.bytes[0])
    }

    pub fn u16(&self, at: usize, what: &str) -> Res<u16> {
        let b = self.sub(at, 2, what)?.bytes;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&self, at: usize, what: &str) -> Res<u32> {
        let b = self.sub(at, 4, what)?.bytes;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&self, at: usize, what: &str) -> Res<u64> {
        let b = self.sub(at, 8, what)?.bytes;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A little-endian index of 2 or 4 bytes.
    pub fn index(&self, at: usize, wide: bool, what: &str) -> Res<u32> {
        if wide {
            self.u32(at, what)
        } else {
            self.u16(at, what).map(u32::from)
        }
    }
}

/// A forward reader over a span (signatures and custom-attribute blobs).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    pub span: Span<'a>,
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(span: Span<'a>) -> Reader<'a> {
        Reader { span, pos: 0 }
    }

    pub fn offset(&self) -> u64 {
        self.span.offset(self.pos)
    }

    pub fn take(&mut self, len: usize, what: &str) -> Res<&'a [u8]> {
        let s = self.span.sub(self.pos, len, what)?;
        self.pos += len;
        Ok(s.bytes)
    }

    pub fn u8(&mut self, what: &str) -> Res<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Res<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// An ECMA-335 compressed unsigned integer (II.23.2): 1, 2 or 4 bytes, big-endian.
    pub fn compressed(&mut self, what: &str) -> Res<u32> {
        let at = self.offset();
        let first = self.u8(what)?;
        if first & 0x80 == 0 {
            Ok(u32::from(first))
        } else if first & 0xC0 == 0x80 {
            let second = self.u8(what)?;
            Ok(u32::from(first & 0x3F) << 8 | u32::from(second))
        } else if first & 0xE0 == 0xC0 {
            let rest = self.take(3, what)?;
            Ok(u32::from(first & 0x1F) << 24
                | u32::from(rest[0]) << 16
                | u32::from(rest[1]) << 8
                | u32::from(rest[2]))
        } else {
            fail(
                codes::CLR_BAD_METADATA,
                at,
                format!("expected {what} as a compressed integer, found the byte {first:#04x}"),
            )
        }
    }
}
