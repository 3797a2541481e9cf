//! HRESULTs: their symbolic names, system messages, the .NET exception each becomes, and the
//! exact texts users see (MSG-1..MSG-6).

use std::fmt;

use comsim_manifest::Guid;
use serde::Serialize;

use crate::bind::Failure;
use crate::outcome::Outcome;
use crate::trace::{Rule, Trace};

/// An HRESULT, shown as `0x80040154`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HResult(pub u32);

impl HResult {
    pub const S_OK: HResult = HResult(0);
    pub const REGDB_E_CLASSNOTREG: HResult = HResult(0x8004_0154);
    pub const CLASS_E_CLASSNOTAVAILABLE: HResult = HResult(0x8004_0111);
    pub const CO_E_CLASSSTRING: HResult = HResult(0x8004_01F3);
    pub const CO_E_SERVER_EXEC_FAILURE: HResult = HResult(0x8008_0005);
    pub const FILE_NOT_FOUND: HResult = HResult(0x8007_0002);
    pub const E_ACCESSDENIED: HResult = HResult(0x8007_0005);
    pub const BAD_FORMAT: HResult = HResult(0x8007_000B);
    pub const MOD_NOT_FOUND: HResult = HResult(0x8007_007E);
    pub const BAD_EXE_FORMAT: HResult = HResult(0x8007_00C1);
    pub const CLR_E_SHIM_RUNTIMELOAD: HResult = HResult(0x8013_1700);
    pub const COR_E_NEWER_RUNTIME: HResult = HResult(0x8013_101B);
    pub const FUSION_E_REF_DEF_MISMATCH: HResult = HResult(0x8013_1040);
    pub const FUSION_E_INVALID_NAME: HResult = HResult(0x8013_1047);
    pub const COR_E_TYPELOAD: HResult = HResult(0x8013_1522);
    pub const COR_E_NOTSUPPORTED: HResult = HResult(0x8013_1515);

    /// What this crate knows about the HRESULT.
    pub fn info(self) -> Option<&'static HResultInfo> {
        TABLE.iter().find(|i| i.code == self.0)
    }

    /// Every HRESULT this crate knows, with its names and system message.
    pub fn known() -> &'static [HResultInfo] {
        TABLE
    }

    /// The system message (FormatMessage), or a generic text for an unknown code.
    pub fn system_message(self) -> String {
        match self.info() {
            Some(i) => i.message.to_owned(),
            None => format!("Unknown error ({self})"),
        }
    }

    /// `Exception from HRESULT: 0x80040154 (REGDB_E_CLASSNOTREG)`, the name only where the CLR's
    /// message table has one.
    pub fn exception_from(self) -> String {
        match self.info().and_then(|i| i.symbol) {
            Some(sym) => format!("Exception from HRESULT: {self} ({sym})"),
            None => format!("Exception from HRESULT: {self}"),
        }
    }

    /// Whether the HRESULT wraps a Win32 error code (facility 7, `0x8007xxxx`).
    pub fn is_win32(self) -> bool {
        self.0 & 0xFFFF_0000 == 0x8007_0000
    }

    /// The .NET exception type the CLR throws for this HRESULT: the first row of the CLR's table
    /// that lists it, else COMException.
    pub fn exception_type(self) -> &'static str {
        CLR_EXCEPTIONS
            .iter()
            .find(|(_, codes)| codes.contains(&self.0))
            .map_or(COM_EXCEPTION, |(exception, _)| exception)
    }
}

impl HResult {
    /// The text `Display` writes: `0x` and eight upper-case hexadecimal digits.
    pub fn hex(self) -> HexText {
        let mut text = *b"0x00000000";
        for (i, digit) in text[2..].iter_mut().enumerate() {
            *digit = b"0123456789ABCDEF"[(self.0 >> (28 - 4 * i) & 0xF) as usize];
        }
        HexText(text)
    }
}

/// An HRESULT as text ([`HResult::hex`]), made without the formatting machinery: results and
/// summaries write one per run, a million in an audit of a large machine.
#[derive(Debug, Clone, Copy)]
pub struct HexText([u8; 10]);

impl HexText {
    pub fn as_str(&self) -> &str {
        // Made of ASCII digits and letters only.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for HResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

impl Serialize for HResult {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A known HRESULT.
#[derive(Debug)]
pub struct HResultInfo {
    pub code: u32,
    /// The name in the CLR's `(Exception from HRESULT: … (NAME))`, where it prints one.
    pub symbol: Option<&'static str>,
    /// The name in winerror.h / corerror.h, for output.
    pub name: &'static str,
    /// The system message text.
    pub message: &'static str,
}

/// The exception the CLR throws for an HRESULT that no row of [`CLR_EXCEPTIONS`] holds.
pub const COM_EXCEPTION: &str = "System.Runtime.InteropServices.COMException";

/// The CLR's HRESULT → exception table, for the HRESULTs an activation can end in: the rows of
/// `src/vm/rexcep.h` (dotnet/coreclr), in that file's order, with the numbers of the symbols from
/// `corerror.h` and winerror.h. `EEException::GetKindFromHR` (`src/vm/clrex.cpp`) takes the first
/// row that lists the HRESULT, and COMException when none does; the order matters where two rows
/// list one HRESULT (0x80070003 is a DirectoryNotFoundException before it is a
/// FileNotFoundException; E_POINTER is a NullReferenceException). `rexcep.h` lists more HRESULTs
/// than these (the VB `CTL_E_*` codes, metadata and security errors); none of them can come out of
/// an activation comsim simulates.
const CLR_EXCEPTIONS: &[(&str, &[u32])] = &[
    // COR_E_ARGUMENT = E_INVALIDARG
    ("System.ArgumentException", &[0x8007_0057]),
    // COR_E_BADIMAGEFORMAT, COR_E_NEWER_RUNTIME, ERROR_BAD_EXE_FORMAT, ERROR_EXE_MARKED_INVALID,
    // ERROR_INVALID_DLL
    (
        "System.BadImageFormatException",
        &[
            0x8007_000B,
            0x8013_101B,
            0x8007_00C1,
            0x8007_00C0,
            0x8007_0482,
        ],
    ),
    // COR_E_DIRECTORYNOTFOUND = ERROR_PATH_NOT_FOUND
    ("System.IO.DirectoryNotFoundException", &[0x8007_0003]),
    // COR_E_FILELOAD, FUSION_E_INVALID_NAME, FUSION_E_REF_DEF_MISMATCH, ERROR_SHARING_VIOLATION,
    // ERROR_DLL_INIT_FAILED
    (
        "System.IO.FileLoadException",
        &[
            0x8013_1621,
            0x8013_1047,
            0x8013_1040,
            0x8007_0020,
            0x8007_045A,
        ],
    ),
    // ERROR_FILE_NOT_FOUND, ERROR_MOD_NOT_FOUND, ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND (taken
    // by the row above), ERROR_BAD_NET_NAME, ERROR_BAD_NETPATH, ERROR_DLL_NOT_FOUND
    (
        "System.IO.FileNotFoundException",
        &[
            0x8007_0002,
            0x8007_007E,
            0x8007_007B,
            0x8007_0003,
            0x8007_0043,
            0x8007_0035,
            0x8007_0485,
        ],
    ),
    // COR_E_NOTSUPPORTED
    ("System.NotSupportedException", &[0x8013_1515]),
    // COR_E_INVALIDCAST = E_NOINTERFACE
    ("System.InvalidCastException", &[0x8000_4002]),
    // COR_E_NULLREFERENCE = E_POINTER (AccessViolationException and ArgumentNullException list it
    // later)
    ("System.NullReferenceException", &[0x8000_4003]),
    // COR_E_TYPELOAD
    ("System.TypeLoadException", &[0x8013_1522]),
    // COR_E_UNAUTHORIZEDACCESS = E_ACCESSDENIED
    ("System.UnauthorizedAccessException", &[0x8007_0005]),
    // E_FAIL
    (COM_EXCEPTION, &[0x8000_4005]),
    ("System.NotImplementedException", &[0x8000_4001]),
    // E_OUTOFMEMORY
    ("System.OutOfMemoryException", &[0x8007_000E]),
];

const TABLE: &[HResultInfo] = &[
    HResultInfo {
        code: 0x8007_36B1,
        symbol: None,
        name: "ERROR_SXS_CANT_GEN_ACTCTX",
        message: comsim_manifest::actctx::SXS_FAILURE_MESSAGE,
    },
    HResultInfo {
        code: 0x8004_0154,
        symbol: Some("REGDB_E_CLASSNOTREG"),
        name: "REGDB_E_CLASSNOTREG",
        message: "Class not registered",
    },
    HResultInfo {
        code: 0x8004_0111,
        symbol: Some("CLASS_E_CLASSNOTAVAILABLE"),
        name: "CLASS_E_CLASSNOTAVAILABLE",
        message: "ClassFactory cannot supply requested class",
    },
    HResultInfo {
        code: 0x8004_01F3,
        symbol: Some("CO_E_CLASSSTRING"),
        name: "CO_E_CLASSSTRING",
        message: "Invalid class string",
    },
    HResultInfo {
        code: 0x8008_0005,
        symbol: Some("CO_E_SERVER_EXEC_FAILURE"),
        name: "CO_E_SERVER_EXEC_FAILURE",
        message: "Server execution failed",
    },
    HResultInfo {
        code: 0x8007_0002,
        symbol: None,
        name: "COR_E_FILENOTFOUND",
        message: "The system cannot find the file specified.",
    },
    HResultInfo {
        code: 0x8007_0005,
        symbol: Some("E_ACCESSDENIED"),
        name: "E_ACCESSDENIED",
        message: "Access is denied.",
    },
    HResultInfo {
        code: 0x8007_000B,
        symbol: None,
        name: "COR_E_BADIMAGEFORMAT",
        message: "An attempt was made to load a program with an incorrect format.",
    },
    HResultInfo {
        code: 0x8007_007E,
        symbol: None,
        name: "ERROR_MOD_NOT_FOUND",
        message: "The specified module could not be found.",
    },
    HResultInfo {
        code: 0x8007_00C1,
        symbol: None,
        name: "ERROR_BAD_EXE_FORMAT",
        message: "%1 is not a valid Win32 application.",
    },
    HResultInfo {
        code: 0x8013_1700,
        symbol: None,
        name: "CLR_E_SHIM_RUNTIMELOAD",
        message: "Failed to load the runtime.",
    },
    HResultInfo {
        code: 0x8013_101B,
        symbol: None,
        name: "COR_E_NEWER_RUNTIME",
        message: "This assembly is built by a runtime newer than the currently loaded runtime and cannot be loaded.",
    },
    HResultInfo {
        code: 0x8013_1040,
        symbol: None,
        name: "FUSION_E_REF_DEF_MISMATCH",
        message: "The located assembly's manifest definition does not match the assembly reference.",
    },
    HResultInfo {
        code: 0x8013_1047,
        symbol: None,
        name: "FUSION_E_INVALID_NAME",
        message: "The given assembly name or codebase was invalid.",
    },
    HResultInfo {
        code: 0x8013_1515,
        symbol: None,
        name: "COR_E_NOTSUPPORTED",
        message: "Operation is not supported.",
    },
    HResultInfo {
        code: 0x8013_1522,
        symbol: None,
        name: "COR_E_TYPELOAD",
        message: "Could not load type.",
    },
];

/// Which CLR's wording a message takes, where the CLRs word it differently (MSG-1, MSG-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClrWording {
    /// CLR 2.0 (and the 1.x runtimes before it).
    Clr2,
    /// CLR 4.
    Clr4,
}

impl ClrWording {
    /// The wording of the runtime whose major version is `major`.
    pub fn of_major(major: u32) -> ClrWording {
        if major >= 4 {
            ClrWording::Clr4
        } else {
            ClrWording::Clr2
        }
    }
}

/// MSG-1 / MSG-2: what `Activator.CreateInstance` of a `System.__ComObject` type throws when
/// `CoCreateInstance` fails, in the wording of the CLR that throws it: CLR 2.0 stops after the
/// HRESULT's eight hex digits; CLR 4 goes on with the system message and `(Exception from
/// HRESULT: …)`.
pub fn class_factory_message(clsid: Guid, hr: HResult, clr: ClrWording) -> String {
    match clr {
        ClrWording::Clr2 => format!(
            "Retrieving the COM class factory for component with CLSID {clsid} failed due to the following error: {:08x}.",
            hr.0
        ),
        ClrWording::Clr4 => format!(
            "Retrieving the COM class factory for component with CLSID {clsid} failed due to the following error: {:08x} {} ({}).",
            hr.0,
            hr.system_message(),
            hr.exception_from()
        ),
    }
}

/// MSG-3: the file was not found anywhere.
pub fn file_not_found_message(display_name: &str) -> String {
    format!(
        "Could not load file or assembly '{display_name}' or one of its dependencies. The system cannot find the file specified."
    )
}

/// MSG-4: the type is not in the assembly.
pub fn type_load_message(class: &str, display_name: &str) -> String {
    format!("Could not load type '{class}' from assembly '{display_name}'.")
}

/// MSG-5: the file found is another assembly.
pub fn ref_def_mismatch_message(display_name: &str) -> String {
    format!(
        "Could not load file or assembly '{display_name}' or one of its dependencies. The located assembly's manifest definition does not match the assembly reference. ({})",
        HResult::FUSION_E_REF_DEF_MISMATCH.exception_from()
    )
}

/// BIND-6: the assembly cannot be loaded by this runtime or this process (`BadImageFormatException`).
/// A Win32 HRESULT (0x8007000B) gives the system text alone, as MSG-3 does for 0x80070002; a CLR
/// one (0x8013101B) is followed by `(Exception from HRESULT: 0x…)`, as MSG-5 is.
pub fn bad_image_message(display_name: &str, hr: HResult) -> String {
    if hr.is_win32() {
        format!(
            "Could not load file or assembly '{display_name}' or one of its dependencies. {}",
            hr.system_message()
        )
    } else {
        format!(
            "Could not load file or assembly '{display_name}' or one of its dependencies. {} ({})",
            hr.system_message(),
            hr.exception_from()
        )
    }
}

/// BIND-4: CLR 4 refuses an assembly from a network location (`FileLoadException` with
/// 0x80131515; its inner `NotSupportedException` explains `<loadFromRemoteSources>`).
pub fn remote_source_message(display_name: &str) -> String {
    bad_image_message(display_name, HResult::COR_E_NOTSUPPORTED)
}

/// MSG-6: `GetTypeFromProgID(progid, throwOnError: true)` for an unknown ProgID.
pub fn class_string_message() -> String {
    format!(
        "Invalid class string ({})",
        HResult::CO_E_CLASSSTRING.exception_from()
    )
}

/// An exception from binding, with the MSG rule that gives its text.
pub(crate) fn exception_traced(f: Failure, trace: &mut Trace) -> Outcome {
    let rule = match f.hresult {
        HResult::FILE_NOT_FOUND => Some(Rule::Msg3),
        HResult::COR_E_TYPELOAD => Some(Rule::Msg4),
        HResult::FUSION_E_REF_DEF_MISMATCH => Some(Rule::Msg5),
        _ => None,
    };
    if let Some(rule) = rule {
        trace
            .push(rule, format_args!("{}: {}", f.exception, f.message))
            .code("exception");
    }
    exception(f)
}

/// The exception a failed bind or type load becomes.
pub(crate) fn exception(f: Failure) -> Outcome {
    Outcome::Exception {
        exception: f.exception,
        hresult: f.hresult,
        message: f.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guid() -> Guid {
        Guid::parse("{5fe970b2-29c3-11d3-811d-00104b304896}").unwrap()
    }

    #[test]
    fn an_hresult_is_written_as_0x_and_eight_upper_case_digits() {
        for code in [
            0,
            1,
            0x8004_0154,
            0x8007_007E,
            0x0000_ABCD,
            0xFFFF_FFFF,
            0x1234_5678,
        ] {
            let h = HResult(code);
            assert_eq!(h.hex().as_str(), format!("0x{code:08X}"));
            assert_eq!(h.to_string(), format!("0x{code:08X}"));
        }
    }

    #[test]
    fn msg1_class_not_registered_text() {
        assert_eq!(
            class_factory_message(guid(), HResult::REGDB_E_CLASSNOTREG, ClrWording::Clr4),
            "Retrieving the COM class factory for component with CLSID {5FE970B2-29C3-11D3-811D-00104B304896} failed due to the following error: 80040154 Class not registered (Exception from HRESULT: 0x80040154 (REGDB_E_CLASSNOTREG))."
        );
    }

    #[test]
    fn msg2_other_failures_use_the_same_prefix() {
        assert_eq!(
            class_factory_message(guid(), HResult::CO_E_SERVER_EXEC_FAILURE, ClrWording::Clr4),
            "Retrieving the COM class factory for component with CLSID {5FE970B2-29C3-11D3-811D-00104B304896} failed due to the following error: 80080005 Server execution failed (Exception from HRESULT: 0x80080005 (CO_E_SERVER_EXEC_FAILURE))."
        );
        assert_eq!(
            class_factory_message(guid(), HResult::MOD_NOT_FOUND, ClrWording::Clr4),
            "Retrieving the COM class factory for component with CLSID {5FE970B2-29C3-11D3-811D-00104B304896} failed due to the following error: 8007007e The specified module could not be found. (Exception from HRESULT: 0x8007007E)."
        );
    }

    /// MSG-1 / MSG-2 under CLR 2.0: the message ends after the code, for 0x80040154 and the rest.
    #[test]
    fn msg1_msg2_clr2_stop_after_the_code() {
        assert_eq!(
            class_factory_message(guid(), HResult::REGDB_E_CLASSNOTREG, ClrWording::Clr2),
            "Retrieving the COM class factory for component with CLSID {5FE970B2-29C3-11D3-811D-00104B304896} failed due to the following error: 80040154."
        );
        assert_eq!(
            class_factory_message(guid(), HResult::E_ACCESSDENIED, ClrWording::Clr2),
            "Retrieving the COM class factory for component with CLSID {5FE970B2-29C3-11D3-811D-00104B304896} failed due to the following error: 80070005."
        );
        assert_eq!(ClrWording::of_major(2), ClrWording::Clr2);
        assert_eq!(ClrWording::of_major(1), ClrWording::Clr2);
        assert_eq!(ClrWording::of_major(4), ClrWording::Clr4);
    }

    /// MSG-2 under CLR 4: E_ACCESSDENIED is named in the parentheses.
    #[test]
    fn msg2_clr4_names_e_accessdenied() {
        assert!(
            class_factory_message(guid(), HResult::E_ACCESSDENIED, ClrWording::Clr4).ends_with(
                "failed due to the following error: 80070005 Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))."
            )
        );
    }

    /// REQ-2: the exception type follows the CLR's HRESULT → exception table (rexcep.h), first
    /// row first, COMException for an HRESULT no row lists.
    #[test]
    fn req2_exception_type_follows_the_clr_table() {
        let cases = [
            (
                HResult::E_ACCESSDENIED,
                "System.UnauthorizedAccessException",
            ),
            (HResult::FILE_NOT_FOUND, "System.IO.FileNotFoundException"),
            (HResult::MOD_NOT_FOUND, "System.IO.FileNotFoundException"),
            (HResult::BAD_FORMAT, "System.BadImageFormatException"),
            (HResult::BAD_EXE_FORMAT, "System.BadImageFormatException"),
            (
                HResult::COR_E_NEWER_RUNTIME,
                "System.BadImageFormatException",
            ),
            (
                HResult::FUSION_E_REF_DEF_MISMATCH,
                "System.IO.FileLoadException",
            ),
            (HResult::COR_E_TYPELOAD, "System.TypeLoadException"),
            (HResult(0x8007_0003), "System.IO.DirectoryNotFoundException"),
            (HResult(0x8000_4003), "System.NullReferenceException"),
            (HResult(0x8000_4002), "System.InvalidCastException"),
            (HResult(0x8007_000E), "System.OutOfMemoryException"),
            (HResult(0x8007_0057), "System.ArgumentException"),
            (HResult(0x8000_4001), "System.NotImplementedException"),
            (HResult(0x8000_4005), COM_EXCEPTION),
            (HResult::REGDB_E_CLASSNOTREG, COM_EXCEPTION),
            (HResult::CO_E_SERVER_EXEC_FAILURE, COM_EXCEPTION),
            (HResult::CLASS_E_CLASSNOTAVAILABLE, COM_EXCEPTION),
            (HResult::CLR_E_SHIM_RUNTIMELOAD, COM_EXCEPTION),
        ];
        for (hr, exception) in cases {
            assert_eq!(hr.exception_type(), exception, "{hr}");
        }
    }

    #[test]
    fn bind6_win32_hresult_has_no_exception_from_suffix() {
        let name = "Foo, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null";
        assert_eq!(
            bad_image_message(name, HResult::BAD_FORMAT),
            "Could not load file or assembly 'Foo, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null' or one of its dependencies. An attempt was made to load a program with an incorrect format."
        );
        assert_eq!(
            bad_image_message(name, HResult::COR_E_NEWER_RUNTIME),
            "Could not load file or assembly 'Foo, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null' or one of its dependencies. This assembly is built by a runtime newer than the currently loaded runtime and cannot be loaded. (Exception from HRESULT: 0x8013101B)"
        );
    }

    #[test]
    fn msg3_to_msg6_texts() {
        let name = "Foo, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null";
        assert_eq!(
            file_not_found_message(name),
            "Could not load file or assembly 'Foo, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null' or one of its dependencies. The system cannot find the file specified."
        );
        assert_eq!(
            type_load_message("Foo.Bar", name),
            "Could not load type 'Foo.Bar' from assembly 'Foo, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null'."
        );
        assert!(ref_def_mismatch_message(name).ends_with(
            "The located assembly's manifest definition does not match the assembly reference. (Exception from HRESULT: 0x80131040)"
        ));
        assert_eq!(
            class_string_message(),
            "Invalid class string (Exception from HRESULT: 0x800401F3 (CO_E_CLASSSTRING))"
        );
    }
}
