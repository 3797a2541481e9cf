//! Windows `.reg` files in and out of comsim's registry model.
//!
//! - [`import_bytes`] / [`import_file`]: `Windows Registry Editor Version 5.00` (UTF-16LE with a
//!   byte order mark, or UTF-8 with one), `REGEDIT4` (Windows-1252) and the Windows 3.1 `REGEDIT`
//!   format. Strict mode makes the first line regedit would skip an error with file, line and
//!   column; lenient mode imports as regedit does and lists each skip as a warning.
//! - [`export`] / [`export_to`] / [`export_text`]: version 5.00 as regedit writes it (`export_to`
//!   writes as it goes).
//! - [`diff_text`]: a registry difference as a .reg-like listing, for terminals and snapshots.
//!
//! Paths are applied through the registry's rules: `Wow6432Node` paths land in the other view
//! (REG-3) and `HKEY_CLASSES_ROOT` paths follow REG-4.

pub mod codes;
mod decode;
mod diff;
mod read;
mod stream;
mod write;

pub use decode::{Encoding, decode, lines};
pub use diff::diff_text;
pub use read::{
    Format, ImportOptions, ImportReport, MAX_REG_FILE_SIZE, Mode, import_bytes, import_file,
    import_file_with_progress,
};
pub use write::{
    ScriptKey, dump, encode_utf16le, export, export_text, export_to, regedit4_script, write_value,
};
