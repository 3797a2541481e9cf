//! The tables stream (`#~`, or `#-` with its pointer tables; ECMA-335 II.24.2.6): the header,
//! row counts, heap-size flags, and each table's column layout (II.22), with simple and coded
//! indexes 2 or 4 bytes wide as the row counts require. Reading a cell is a multiplication and a
//! bounds check, so nothing here grows faster than the tables.

use crate::bytes::{Res, Span, fail};
use crate::codes;

/// A table's number (its bit in the `Valid` mask).
pub type TableId = usize;

pub const MODULE: TableId = 0x00;
pub const TYPE_REF: TableId = 0x01;
pub const TYPE_DEF: TableId = 0x02;
pub const FIELD_PTR: TableId = 0x03;
pub const FIELD: TableId = 0x04;
pub const METHOD_PTR: TableId = 0x05;
pub const METHOD_DEF: TableId = 0x06;
pub const PARAM_PTR: TableId = 0x07;
pub const PARAM: TableId = 0x08;
pub const INTERFACE_IMPL: TableId = 0x09;
pub const MEMBER_REF: TableId = 0x0A;
pub const CONSTANT: TableId = 0x0B;
pub const CUSTOM_ATTRIBUTE: TableId = 0x0C;
pub const FIELD_MARSHAL: TableId = 0x0D;
pub const DECL_SECURITY: TableId = 0x0E;
pub const CLASS_LAYOUT: TableId = 0x0F;
pub const FIELD_LAYOUT: TableId = 0x10;
pub const STAND_ALONE_SIG: TableId = 0x11;
pub const EVENT_MAP: TableId = 0x12;
pub const EVENT_PTR: TableId = 0x13;
pub const EVENT: TableId = 0x14;
pub const PROPERTY_MAP: TableId = 0x15;
pub const PROPERTY_PTR: TableId = 0x16;
pub const PROPERTY: TableId = 0x17;
pub const METHOD_SEMANTICS: TableId = 0x18;
pub const METHOD_IMPL: TableId = 0x19;
pub const MODULE_REF: TableId = 0x1A;
pub const TYPE_SPEC: TableId = 0x1B;
pub const IMPL_MAP: TableId = 0x1C;
pub const FIELD_RVA: TableId = 0x1D;
pub const ENC_LOG: TableId = 0x1E;
pub const ENC_MAP: TableId = 0x1F;
pub const ASSEMBLY: TableId = 0x20;
pub const ASSEMBLY_PROCESSOR: TableId = 0x21;
pub const ASSEMBLY_OS: TableId = 0x22;
pub const ASSEMBLY_REF: TableId = 0x23;
pub const ASSEMBLY_REF_PROCESSOR: TableId = 0x24;
pub const ASSEMBLY_REF_OS: TableId = 0x25;
pub const FILE: TableId = 0x26;
pub const EXPORTED_TYPE: TableId = 0x27;
pub const MANIFEST_RESOURCE: TableId = 0x28;
pub const NESTED_CLASS: TableId = 0x29;
pub const GENERIC_PARAM: TableId = 0x2A;
pub const METHOD_SPEC: TableId = 0x2B;
pub const GENERIC_PARAM_CONSTRAINT: TableId = 0x2C;
/// Tables 0x00..=0x2C are the ones an assembly may hold.
const COUNT: usize = 0x2D;

/// A coded index (II.24.2.6): the tables it can point into, in tag order (`None` for an unused
/// tag), and the number of tag bits.
#[derive(Debug, Clone, Copy)]
pub struct Coded {
    pub tables: &'static [Option<TableId>],
    pub bits: u32,
}

pub const TYPE_DEF_OR_REF: Coded = Coded {
    tables: &[Some(TYPE_DEF), Some(TYPE_REF), Some(TYPE_SPEC)],
    bits: 2,
};
const HAS_CONSTANT: Coded = Coded {
    tables: &[Some(FIELD), Some(PARAM), Some(PROPERTY)],
    bits: 2,
};
pub const HAS_CUSTOM_ATTRIBUTE: Coded = Coded {
    tables: &[
        Some(METHOD_DEF),
        Some(FIELD),
        Some(TYPE_REF),
        Some(TYPE_DEF),
        Some(PARAM),
        Some(INTERFACE_IMPL),
        Some(MEMBER_REF),
        Some(MODULE),
        Some(DECL_SECURITY),
        Some(PROPERTY),
        Some(EVENT),
        Some(STAND_ALONE_SIG),
        Some(MODULE_REF),
        Some(TYPE_SPEC),
        Some(ASSEMBLY),
        Some(ASSEMBLY_REF),
        Some(FILE),
        Some(EXPORTED_TYPE),
        Some(MANIFEST_RESOURCE),
        Some(GENERIC_PARAM),
        Some(GENERIC_PARAM_CONSTRAINT),
        Some(METHOD_SPEC),
    ],
    bits: 5,
};
const HAS_FIELD_MARSHAL: Coded = Coded {
    tables: &[Some(FIELD), Some(PARAM)],
    bits: 1,
};
const HAS_DECL_SECURITY: Coded = Coded {
    tables: &[Some(TYPE_DEF), Some(METHOD_DEF), Some(ASSEMBLY)],
    bits: 2,
};
pub const MEMBER_REF_PARENT: Coded = Coded {
    tables: &[
        Some(TYPE_DEF),
        Some(TYPE_REF),
        Some(MODULE_REF),
        Some(METHOD_DEF),
        Some(TYPE_SPEC),
    ],
    bits: 3,
};
const HAS_SEMANTICS: Coded = Coded {
    tables: &[Some(EVENT), Some(PROPERTY)],
    bits: 1,
};
const METHOD_DEF_OR_REF: Coded = Coded {
    tables: &[Some(METHOD_DEF), Some(MEMBER_REF)],
    bits: 1,
};
const MEMBER_FORWARDED: Coded = Coded {
    tables: &[Some(FIELD), Some(METHOD_DEF)],
    bits: 1,
};
const IMPLEMENTATION: Coded = Coded {
    tables: &[Some(FILE), Some(ASSEMBLY_REF), Some(EXPORTED_TYPE)],
    bits: 2,
};
pub const CUSTOM_ATTRIBUTE_TYPE: Coded = Coded {
    tables: &[None, None, Some(METHOD_DEF), Some(MEMBER_REF), None],
    bits: 3,
};
pub const RESOLUTION_SCOPE: Coded = Coded {
    tables: &[
        Some(MODULE),
        Some(MODULE_REF),
        Some(ASSEMBLY_REF),
        Some(TYPE_REF),
    ],
    bits: 2,
};
pub const TYPE_OR_METHOD_DEF: Coded = Coded {
    tables: &[Some(TYPE_DEF), Some(METHOD_DEF)],
    bits: 1,
};

/// One column's kind.
#[derive(Debug, Clone, Copy)]
enum Col {
    U16,
    U32,
    Str,
    Guid,
    Blob,
    Index(TableId),
    Coded(Coded),
}

use Col::{Blob, Guid, Index, Str, U16, U32};

/// The columns of each table, in order (II.22.2 to II.22.39; the Ptr and EnC tables as the CLR
/// lays them out).
fn schema(t: TableId) -> &'static [Col] {
    match t {
        MODULE => &[U16, Str, Guid, Guid, Guid],
        TYPE_REF => &[Col::Coded(RESOLUTION_SCOPE), Str, Str],
        TYPE_DEF => &[
            U32,
            Str,
            Str,
            Col::Coded(TYPE_DEF_OR_REF),
            Index(FIELD),
            Index(METHOD_DEF),
        ],
        FIELD_PTR => &[Index(FIELD)],
        FIELD => &[U16, Str, Blob],
        METHOD_PTR => &[Index(METHOD_DEF)],
        METHOD_DEF => &[U32, U16, U16, Str, Blob, Index(PARAM)],
        PARAM_PTR => &[Index(PARAM)],
        PARAM => &[U16, U16, Str],
        INTERFACE_IMPL => &[Index(TYPE_DEF), Col::Coded(TYPE_DEF_OR_REF)],
        MEMBER_REF => &[Col::Coded(MEMBER_REF_PARENT), Str, Blob],
        CONSTANT => &[U16, Col::Coded(HAS_CONSTANT), Blob],
        CUSTOM_ATTRIBUTE => &[
            Col::Coded(HAS_CUSTOM_ATTRIBUTE),
            Col::Coded(CUSTOM_ATTRIBUTE_TYPE),
            Blob,
        ],
        FIELD_MARSHAL => &[Col::Coded(HAS_FIELD_MARSHAL), Blob],
        DECL_SECURITY => &[U16, Col::Coded(HAS_DECL_SECURITY), Blob],
        CLASS_LAYOUT => &[U16, U32, Index(TYPE_DEF)],
        FIELD_LAYOUT => &[U32, Index(FIELD)],
        STAND_ALONE_SIG => &[Blob],
        EVENT_MAP => &[Index(TYPE_DEF), Index(EVENT)],
        EVENT_PTR => &[Index(EVENT)],
        EVENT => &[U16, Str, Col::Coded(TYPE_DEF_OR_REF)],
        PROPERTY_MAP => &[Index(TYPE_DEF), Index(PROPERTY)],
        PROPERTY_PTR => &[Index(PROPERTY)],
        PROPERTY => &[U16, Str, Blob],
        METHOD_SEMANTICS => &[U16, Index(METHOD_DEF), Col::Coded(HAS_SEMANTICS)],
        METHOD_IMPL => &[
            Index(TYPE_DEF),
            Col::Coded(METHOD_DEF_OR_REF),
            Col::Coded(METHOD_DEF_OR_REF),
        ],
        MODULE_REF => &[Str],
        TYPE_SPEC => &[Blob],
        IMPL_MAP => &[U16, Col::Coded(MEMBER_FORWARDED), Str, Index(MODULE_REF)],
        FIELD_RVA => &[U32, Index(FIELD)],
        ENC_LOG => &[U32, U32],
        ENC_MAP => &[U32],
        ASSEMBLY => &[U32, U16, U16, U16, U16, U32, Blob, Str, Str],
        ASSEMBLY_PROCESSOR => &[U32],
        ASSEMBLY_OS => &[U32, U32, U32],
        ASSEMBLY_REF => &[U16, U16, U16, U16, U32, Blob, Str, Str, Blob],
        ASSEMBLY_REF_PROCESSOR => &[U32, Index(ASSEMBLY_REF)],
        ASSEMBLY_REF_OS => &[U32, U32, U32, Index(ASSEMBLY_REF)],
        FILE => &[U32, Str, Blob],
        EXPORTED_TYPE => &[U32, U32, Str, Str, Col::Coded(IMPLEMENTATION)],
        MANIFEST_RESOURCE => &[U32, U32, Str, Col::Coded(IMPLEMENTATION)],
        NESTED_CLASS => &[Index(TYPE_DEF), Index(TYPE_DEF)],
        GENERIC_PARAM => &[U16, U16, Col::Coded(TYPE_OR_METHOD_DEF), Str],
        METHOD_SPEC => &[Col::Coded(METHOD_DEF_OR_REF), Blob],
        GENERIC_PARAM_CONSTRAINT => &[Index(GENERIC_PARAM), Col::Coded(TYPE_DEF_OR_REF)],
        _ => &[],
    }
}

/// The heap-size flags comsim reads: 0x01 (#Strings indexes are 4 bytes), 0x02 (#GUID), 0x04
/// (#Blob). Compilers set nothing else in a `#~` stream.
const KNOWN_HEAP_FLAGS: u8 = 0x07;
/// Flags an edit-and-continue (`#-`) stream may also carry: 0x20 and 0x80 say deltas or deleted
/// rows may be present, and change no layout.
const ENC_HEAP_FLAGS: u8 = 0xA0;

/// One table: where its rows are and how wide each column is.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    pub rows: u32,
    pub data: Span<'a>,
    row_size: usize,
    /// Each column's offset in the row and its width (2 or 4).
    cols: Vec<(usize, bool)>,
}

/// The tables stream, read.
#[derive(Debug, Clone)]
pub struct Tables<'a> {
    tables: Vec<Table<'a>>,
    /// Each table's row count (0 for an absent table), for decoding coded indexes.
    pub counts: [u32; COUNT],
}

impl<'a> Tables<'a> {
    pub fn table(&self, t: TableId) -> &Table<'a> {
        &self.tables[t]
    }

    pub fn rows(&self, t: TableId) -> u32 {
        self.counts[t]
    }

    /// Column `col` of row `row` (1-based) of table `t`, as a number.
    pub fn cell(&self, t: TableId, row: u32, col: usize) -> Res<u32> {
        self.tables[t].cell(row, col)
    }

    /// Decodes a coded index into (table, row). Row 0 means null.
    pub fn decode(&self, coded: Coded, value: u32, at: u64) -> Res<(TableId, u32)> {
        let tag = (value & ((1 << coded.bits) - 1)) as usize;
        let row = value >> coded.bits;
        match coded.tables.get(tag).copied().flatten() {
            Some(t) if row <= self.counts[t] => Ok((t, row)),
            Some(t) => fail(
                codes::CLR_BAD_METADATA,
                at,
                format!(
                    "expected a row of table {t:#04x} (it has {}), the coded index says {row}",
                    self.counts[t]
                ),
            ),
            None => fail(
                codes::CLR_BAD_METADATA,
                at,
                format!("expected a coded index tag that names a table, found tag {tag}"),
            ),
        }
    }
}

impl Table<'_> {
    pub fn cell(&self, row: u32, col: usize) -> Res<u32> {
        if row == 0 || row > self.rows {
            return fail(
                codes::CLR_BAD_METADATA,
                self.data.start,
                format!(
                    "expected a row between 1 and {}, asked for {row}",
                    self.rows
                ),
            );
        }
        let (offset, wide) = self.cols[col];
        let at = (row as usize - 1) * self.row_size + offset;
        self.data.index(at, wide, "a table cell")
    }

    /// The file offset of a row, for messages.
    pub fn row_offset(&self, row: u32) -> u64 {
        self.data
            .offset((row.saturating_sub(1) as usize).saturating_mul(self.row_size))
    }
}

/// Reads the tables stream's header and lays out every table.
pub fn read_tables(stream: Span<'_>) -> Res<Tables<'_>> {
    let heap_sizes = stream.u8(6, "the tables stream's HeapSizes")?;
    let unknown = heap_sizes & !(KNOWN_HEAP_FLAGS | ENC_HEAP_FLAGS);
    if unknown != 0 {
        return fail(
            codes::CLR_UNSUPPORTED,
            stream.offset(6),
            format!(
                "expected HeapSizes flags among 0x01, 0x02, 0x04 (and 0x20, 0x80 of an \
                 edit-and-continue image), found {heap_sizes:#04x}: an obfuscated or unusual image"
            ),
        );
    }
    let valid = stream.u64(8, "the tables stream's Valid mask")?;
    if valid >> COUNT != 0 {
        return fail(
            codes::CLR_UNSUPPORTED,
            stream.offset(8),
            format!(
                "expected tables 0x00..0x2c only, the Valid mask {valid:#018x} names others \
                 (a portable PDB, or an obfuscated image)"
            ),
        );
    }
    let mut counts = [0u32; COUNT];
    let mut at = 24;
    for (t, count) in counts.iter_mut().enumerate() {
        if valid & (1 << t) != 0 {
            *count = stream.u32(at, "a table's row count")?;
            at += 4;
        }
    }
    let wide_heaps = [
        heap_sizes & 1 != 0,
        heap_sizes & 2 != 0,
        heap_sizes & 4 != 0,
    ];
    let mut tables = Vec::with_capacity(COUNT);
    for (t, &rows) in counts.iter().enumerate() {
        let (cols, row_size) = layout(t, &counts, wide_heaps);
        let len = (rows as usize).checked_mul(row_size);
        let Some(len) = len else {
            return fail(
                codes::CLR_BAD_METADATA,
                stream.offset(at),
                format!("table {t:#04x} claims {rows} rows, more than any file holds"),
            );
        };
        let what = format!("the {rows} rows of table {t:#04x} ({row_size} bytes each)");
        let data = stream.sub(at, len, &what)?;
        at += len;
        tables.push(Table {
            rows,
            data,
            row_size,
            cols,
        });
    }
    Ok(Tables { tables, counts })
}

fn layout(t: TableId, counts: &[u32; COUNT], wide_heaps: [bool; 3]) -> (Vec<(usize, bool)>, usize) {
    let mut cols = Vec::new();
    let mut size = 0;
    for col in schema(t) {
        let width = match *col {
            Col::U16 => 2,
            Col::U32 => 4,
            Col::Str => width(wide_heaps[0]),
            Col::Guid => width(wide_heaps[1]),
            Col::Blob => width(wide_heaps[2]),
            Col::Index(target) => width(counts[target] > 0xFFFF),
            Col::Coded(c) => {
                let most = c
                    .tables
                    .iter()
                    .flatten()
                    .map(|&t| counts[t])
                    .max()
                    .unwrap_or(0);
                width(u64::from(most) >= 1u64 << (16 - c.bits))
            }
        };
        cols.push((size, width == 4));
        size += width;
    }
    (cols, size)
}

fn width(wide: bool) -> usize {
    if wide { 4 } else { 2 }
}
