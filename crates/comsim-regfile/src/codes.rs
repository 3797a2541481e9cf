//! The diagnostic codes a `.reg` import reports, each declared once with what it means.
//! `docs/diagnostics.md` says when each is reported and what to do about it.
//!
//! In strict mode each is an error; in lenient mode the lines regedit skips are warnings.

use comsim_diag::{Code, CodeInfo};

pub const REG_IO: Code = Code::new(&CodeInfo::new(
    "reg-io",
    "the .reg file cannot be read from disk",
));
pub const REG_ENCODING: Code = Code::new(&CodeInfo::new(
    "reg-encoding",
    "the file's bytes are not text in the encoding regedit reads it in",
));
pub const REG_UTF8_BOM: Code = Code::new(&CodeInfo::new(
    "reg-utf8-bom",
    "the file starts with a UTF-8 byte order mark, which regedit does not recognise",
));
pub const REG_ODD_BYTE: Code = Code::new(&CodeInfo::new(
    "reg-odd-byte",
    "a UTF-16 file ends in half a character, whose byte regedit drops",
));
pub const REG_HEADER: Code = Code::new(&CodeInfo::new(
    "reg-header",
    "the first line is not a header regedit imports from",
));
pub const REG_NUL: Code = Code::new(&CodeInfo::new(
    "reg-nul",
    "a NUL character, which ends the line for regedit",
));
pub const REG_UNEXPECTED_LINE: Code = Code::new(&CodeInfo::new(
    "reg-unexpected-line",
    "a line that is not a key, a value or a comment",
));
pub const REG_KEY_SPACE: Code = Code::new(&CodeInfo::new(
    "reg-key-space",
    "a key name that starts with a blank after `[`",
));
pub const REG_KEY_UNCLOSED: Code = Code::new(&CodeInfo::new(
    "reg-key-unclosed",
    "a key line without the `]` that closes it",
));
pub const REG_KEY_TRAILING: Code = Code::new(&CodeInfo::new(
    "reg-key-trailing",
    "text other than a comment after a key line's `]`",
));
pub const REG_ROOT: Code = Code::new(&CodeInfo::new(
    "reg-root",
    "a key line that names no root key regedit accepts",
));
pub const REG_KEY_LEADING_BACKSLASH: Code = Code::new(&CodeInfo::new(
    "reg-key-leading-backslash",
    "a key path with a backslash right after the root name",
));
pub const REG_KEY_EMPTY_NAME: Code = Code::new(&CodeInfo::new(
    "reg-key-empty-name",
    "an empty key name between two backslashes",
));
pub const REG_TOO_LARGE: Code = Code::new(&CodeInfo::new(
    "reg-too-large",
    "a .reg file larger than comsim imports (MAX_REG_FILE_SIZE)",
));
pub const REG_OPEN_FAILED: Code = Code::new(&CodeInfo::new(
    "reg-open-failed",
    "the registry refuses to open or create the key a key line names",
));
pub const REG_DELETE_SYNTAX: Code = Code::new(&CodeInfo::new(
    "reg-delete-syntax",
    "a `[-` deletion not followed by a root key name",
));
pub const REG_DELETE_ROOT: Code = Code::new(&CodeInfo::new(
    "reg-delete-root",
    "a deletion of a root key or under an unknown root, at which regedit stops the import",
));
pub const REG_DELETE_FAILED: Code = Code::new(&CodeInfo::new(
    "reg-delete-failed",
    "the registry refuses to delete the key a deletion names",
));
pub const REG_NO_KEY: Code = Code::new(&CodeInfo::new(
    "reg-no-key",
    "a value line with no open key to belong to",
));
pub const REG_STRING_UNCLOSED: Code = Code::new(&CodeInfo::new(
    "reg-string-unclosed",
    "a quoted name or string without its closing quote",
));
pub const REG_STRING_NUL_ESCAPE: Code = Code::new(&CodeInfo::new(
    "reg-string-nul-escape",
    "a `\\0` escape in a quoted name or string",
));
pub const REG_STRING_ESCAPE: Code = Code::new(&CodeInfo::new(
    "reg-string-escape",
    "a backslash escape regedit does not know, whose backslash it drops",
));
pub const REG_STRING_TRAILING: Code = Code::new(&CodeInfo::new(
    "reg-string-trailing",
    "text other than a comment after a string value's closing quote",
));
pub const REG_EXPECTED_EQUALS: Code = Code::new(&CodeInfo::new(
    "reg-expected-equals",
    "a value name not followed by `=`",
));
pub const REG_DELETE_VALUE_SYNTAX: Code = Code::new(&CodeInfo::new(
    "reg-delete-value-syntax",
    "text other than a comment after a value deletion's `-`",
));
pub const REG_DATA_TYPE: Code = Code::new(&CodeInfo::new(
    "reg-data-type",
    "value data that is not a string, `dword:`, `hex:`, `hex(N):` or `-`",
));
pub const REG_DWORD: Code = Code::new(&CodeInfo::new(
    "reg-dword",
    "`dword:` data that is not 1 to 8 hex digits",
));
pub const REG_HEX_TYPE: Code = Code::new(&CodeInfo::new(
    "reg-hex-type",
    "a `hex(` type that is not a hex number followed by `):`",
));
pub const REG_HEX_BYTE: Code = Code::new(&CodeInfo::new(
    "reg-hex-byte",
    "hex data that is not a comma-separated list of bytes",
));
pub const REG_HEX_CONTINUATION: Code = Code::new(&CodeInfo::new(
    "reg-hex-continuation",
    "a hex value continued with `\\` whose next line holds no more bytes",
));
pub const REG_HEX_EOF: Code = Code::new(&CodeInfo::new(
    "reg-hex-eof",
    "the file ends inside a hex value continued with `\\`",
));
pub const REG_VALUE_NAME: Code = Code::new(&CodeInfo::new(
    "reg-value-name",
    "the registry refuses to set a value (its name is too long)",
));
pub const REG_WIN31_LINE: Code = Code::new(&CodeInfo::new(
    "reg-win31-line",
    "a line of a Windows 3.1 REGEDIT file that is not `HKEY_CLASSES_ROOT\\key = value`",
));

/// Every code a `.reg` import reports.
pub const ALL: &[Code] = &[
    REG_IO,
    REG_ENCODING,
    REG_UTF8_BOM,
    REG_ODD_BYTE,
    REG_HEADER,
    REG_NUL,
    REG_UNEXPECTED_LINE,
    REG_KEY_SPACE,
    REG_KEY_UNCLOSED,
    REG_KEY_TRAILING,
    REG_ROOT,
    REG_KEY_LEADING_BACKSLASH,
    REG_KEY_EMPTY_NAME,
    REG_OPEN_FAILED,
    REG_TOO_LARGE,
    REG_DELETE_SYNTAX,
    REG_DELETE_ROOT,
    REG_DELETE_FAILED,
    REG_NO_KEY,
    REG_STRING_UNCLOSED,
    REG_STRING_NUL_ESCAPE,
    REG_STRING_ESCAPE,
    REG_STRING_TRAILING,
    REG_EXPECTED_EQUALS,
    REG_DELETE_VALUE_SYNTAX,
    REG_DATA_TYPE,
    REG_DWORD,
    REG_HEX_TYPE,
    REG_HEX_BYTE,
    REG_HEX_CONTINUATION,
    REG_HEX_EOF,
    REG_VALUE_NAME,
    REG_WIN31_LINE,
];
