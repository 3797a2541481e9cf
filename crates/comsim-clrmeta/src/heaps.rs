//! The metadata root (ECMA-335 II.24.2.1), its stream headers (II.24.2.2), and the heaps:
//! `#Strings` (UTF-8, NUL-terminated), `#Blob` (length-prefixed), `#GUID` (16-byte entries,
//! 1-based) and `#US` (user strings; located and sized, not read: nothing comsim models is in
//! them).

use serde::Serialize;

use crate::bytes::{Reader, Res, Span, fail};
use crate::codes;

/// The metadata root's signature, "BSJB".
const SIGNATURE: u32 = 0x424A_5342;
/// The longest version string the root may hold (II.24.2.1: at most 255 bytes, padded).
const MAX_VERSION_LEN: u32 = 256;

/// One stream header: its name and where its bytes are in the file.
#[derive(Debug, Clone, Serialize)]
pub struct StreamInfo {
    pub name: String,
    pub offset: u64,
    pub size: u32,
}

/// The metadata root: the version string and the streams.
#[derive(Debug, Clone)]
pub struct Root<'a> {
    /// The version string, e.g. `v4.0.30319`: `Assembly.ImageRuntimeVersion`.
    pub version: String,
    pub streams: Vec<StreamInfo>,
    pub tables: Span<'a>,
    /// `#-` (uncompressed, edit-and-continue tables) rather than `#~`.
    pub uncompressed: bool,
    pub strings: Heap<'a>,
    pub blobs: Heap<'a>,
    pub guids: Heap<'a>,
}

/// A heap's bytes (empty when the stream is absent).
#[derive(Debug, Clone, Copy)]
pub struct Heap<'a> {
    pub span: Span<'a>,
}

pub fn read_root(md: Span<'_>) -> Res<Root<'_>> {
    let sig = md.u32(0, "the metadata root's signature")?;
    if sig != SIGNATURE {
        return fail(
            codes::CLR_BAD_METADATA,
            md.start,
            format!("expected the metadata signature BSJB (0x424a5342), found {sig:#010x}"),
        );
    }
    let len = md.u32(12, "the metadata version string's length")?;
    if len > MAX_VERSION_LEN || len % 4 != 0 {
        return fail(
            codes::CLR_BAD_METADATA,
            md.offset(12),
            format!("expected a version length that is a multiple of 4, at most 256; found {len}"),
        );
    }
    let raw = md.sub(16, len as usize, "the metadata version string")?;
    let text = raw.bytes.split(|&b| b == 0).next().unwrap_or_default();
    let Ok(version) = std::str::from_utf8(text) else {
        return fail(
            codes::CLR_BAD_METADATA,
            raw.start,
            "expected the metadata version string in UTF-8",
        );
    };
    let at = 16 + len as usize;
    let count = md.u16(at + 2, "the number of streams")?;
    let streams = stream_headers(md, at + 4, count)?;
    assemble(md, version.to_owned(), streams)
}

fn stream_headers(md: Span<'_>, mut at: usize, count: u16) -> Res<Vec<(StreamInfo, Span<'_>)>> {
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let offset = md.u32(at, "a stream header's offset")?;
        let size = md.u32(at + 4, "a stream header's size")?;
        let name_at = at + 8;
        // The name: ASCII, NUL-terminated, padded to 4 bytes, at most 32 bytes.
        let window = md.sub(
            name_at,
            32.min(md.len().saturating_sub(name_at)),
            "a stream name",
        )?;
        let Some(nul) = window.bytes.iter().position(|&b| b == 0) else {
            return fail(
                codes::CLR_BAD_METADATA,
                md.offset(name_at),
                "expected a stream name ending in NUL within 32 bytes",
            );
        };
        let name = String::from_utf8_lossy(&window.bytes[..nul]).into_owned();
        let what = format!("the {name} stream (offset and size from its header)");
        let span = md.sub(offset as usize, size as usize, &what)?;
        out.push((
            StreamInfo {
                name,
                offset: span.start,
                size,
            },
            span,
        ));
        at = name_at + (nul + 4) / 4 * 4;
    }
    Ok(out)
}

fn assemble<'a>(
    md: Span<'a>,
    version: String,
    streams: Vec<(StreamInfo, Span<'a>)>,
) -> Res<Root<'a>> {
    let empty = Span {
        bytes: &[],
        start: md.start,
    };
    let mut found: [Option<Span<'a>>; 6] = [None; 6];
    const NAMES: [&str; 6] = ["#~", "#-", "#Strings", "#Blob", "#GUID", "#US"];
    for (info, span) in &streams {
        let Some(i) = NAMES.iter().position(|n| *n == info.name) else {
            continue;
        };
        if found[i].is_some() {
            return fail(
                codes::CLR_UNSUPPORTED,
                info.offset,
                format!(
                    "expected one {} stream, found a second (an obfuscator's trick; the CLR \
                     reads only one)",
                    info.name
                ),
            );
        }
        found[i] = Some(*span);
    }
    let tables = match (found[0], found[1]) {
        (Some(t), None) => (t, false),
        (None, Some(t)) => (t, true),
        (Some(t), Some(_)) => {
            return fail(
                codes::CLR_UNSUPPORTED,
                t.start,
                "expected one tables stream, found both #~ and #-",
            );
        }
        (None, None) => {
            return fail(
                codes::CLR_BAD_METADATA,
                md.start,
                "expected a tables stream (#~ or #-) among the metadata streams",
            );
        }
    };
    let heap = |i: usize| Heap {
        span: found[i].unwrap_or(empty),
    };
    Ok(Root {
        version,
        streams: streams.into_iter().map(|(i, _)| i).collect(),
        tables: tables.0,
        uncompressed: tables.1,
        strings: heap(2),
        blobs: heap(3),
        guids: heap(4),
    })
}

impl<'a> Heap<'a> {
    /// A `#Strings` entry: UTF-8 up to its NUL.
    pub fn string(&self, index: u32) -> Res<&'a str> {
        let at = index as usize;
        let rest = self
            .span
            .tail(at, "a #Strings entry (index past the heap)")?;
        let Some(nul) = rest.bytes.iter().position(|&b| b == 0) else {
            return fail(
                codes::CLR_BAD_METADATA,
                rest.start,
                "expected a NUL-terminated string in #Strings, but the heap ends first",
            );
        };
        match std::str::from_utf8(&rest.bytes[..nul]) {
            Ok(s) => Ok(s),
            Err(_) => fail(
                codes::CLR_BAD_METADATA,
                rest.start,
                "expected UTF-8 in a #Strings entry",
            ),
        }
    }

    /// A `#Blob` entry: its compressed length, then that many bytes.
    pub fn blob(&self, index: u32) -> Res<Span<'a>> {
        let rest = self
            .span
            .tail(index as usize, "a #Blob entry (index past the heap)")?;
        let mut r = Reader::new(rest);
        let len = r.compressed("a blob's length")?;
        rest.sub(
            r.pos,
            len as usize,
            "a blob's bytes (its length prefix says this many)",
        )
    }

    /// A `#GUID` entry (1-based; 0 means none).
    pub fn guid(&self, index: u32) -> Res<Option<[u8; 16]>> {
        if index == 0 {
            return Ok(None);
        }
        let at = (index as usize - 1) * 16;
        let s = self.span.sub(at, 16, "a #GUID entry")?;
        let mut g = [0u8; 16];
        g.copy_from_slice(s.bytes);
        Ok(Some(g))
    }
}
