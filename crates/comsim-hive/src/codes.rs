//! The diagnostic codes a hive read reports, each declared once with what it means.
//! `docs/diagnostics.md` says when each is reported and what to do about it.

use comsim_diag::{Code, CodeInfo};

pub const HIVE_IO: Code = Code::new(&CodeInfo::new(
    "hive-io",
    "the hive file cannot be read from disk",
));
pub const HIVE_BASE_BLOCK: Code = Code::new(&CodeInfo::new(
    "hive-base-block",
    "the file's first 4096 bytes are not a regf base block comsim reads",
));
pub const HIVE_CHECKSUM: Code = Code::new(&CodeInfo::new(
    "hive-checksum",
    "the base block's checksum does not match its contents",
));
pub const HIVE_DIRTY: Code = Code::new(&CodeInfo::new(
    "hive-dirty",
    "the hive has changes still in its transaction logs (sequence numbers differ)",
));
pub const HIVE_VERSION: Code = Code::new(&CodeInfo::new(
    "hive-version",
    "the hive's format version is not 1.2 to 1.6",
));
pub const HIVE_BIN: Code = Code::new(&CodeInfo::new(
    "hive-bin",
    "a hive bin header is missing, misplaced or the wrong size",
));
pub const HIVE_CELL: Code = Code::new(&CodeInfo::new(
    "hive-cell",
    "a cell is not where a reference says, is free, is too small, or is referenced twice",
));
pub const HIVE_RECORD: Code = Code::new(&CodeInfo::new(
    "hive-record",
    "a key, value, list or big-data record inside a cell is not what its reference expects",
));
pub const HIVE_NAME: Code = Code::new(&CodeInfo::new(
    "hive-name",
    "a key or value name is empty, not UTF-16, or refused by the registry",
));
pub const HIVE_DEPTH: Code = Code::new(&CodeInfo::new(
    "hive-depth",
    "keys nest deeper than Windows' 512 levels",
));
pub const HIVE_MOUNT: Code = Code::new(&CodeInfo::new(
    "hive-mount",
    "no mount point was given and none can be guessed from the file name, or the mount point is not a key path",
));

/// Every code a hive read reports.
pub const ALL: &[Code] = &[
    HIVE_IO,
    HIVE_BASE_BLOCK,
    HIVE_CHECKSUM,
    HIVE_DIRTY,
    HIVE_VERSION,
    HIVE_BIN,
    HIVE_CELL,
    HIVE_RECORD,
    HIVE_NAME,
    HIVE_DEPTH,
    HIVE_MOUNT,
];
