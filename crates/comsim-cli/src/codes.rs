//! The diagnostic codes the `comsim` commands themselves report (about their arguments and the
//! files they read or write), each declared once with what it means. `docs/diagnostics.md` says
//! when each is reported and what to do about it. The files a command reads report their own
//! crates' codes.

use comsim_diag::{Code, CodeInfo};

pub const ARG_SWITCH: Code = Code::new(&CodeInfo::new(
    "arg-switch",
    "a `--switch` that is not `name=value` with a known switch and value",
));
pub const ARG_KEY: Code = Code::new(&CodeInfo::new(
    "arg-key",
    "a registry key argument that is not a key path",
));
pub const ARG_GUID: Code = Code::new(&CodeInfo::new(
    "arg-guid",
    "a CLSID argument that is not a GUID",
));
pub const ARG_BITNESS: Code = Code::new(&CodeInfo::new(
    "arg-bitness",
    "`--bitness 64` on a machine with a 32-bit Windows",
));
pub const ARG_CLR: Code = Code::new(&CodeInfo::new(
    "arg-clr",
    "`--clr` names a CLR that is not installed on the machine",
));
pub const ARG_CAUSE: Code = Code::new(&CodeInfo::new(
    "arg-cause",
    "`comsim audit --fail-on` names no cause of the catalogue (`docs/causes.md`)",
));
pub const ARG_CWD: Code = Code::new(&CodeInfo::new(
    "arg-cwd",
    "`--cwd` is not a Windows path, or is needed and not given",
));
pub const MANIFEST_IO: Code = Code::new(&CodeInfo::new(
    "manifest-io",
    "the manifest, or the image that holds it, cannot be read from disk",
));
pub const MANIFEST_PE: Code = Code::new(&CodeInfo::new(
    "manifest-pe",
    "an .exe or .dll that is not a usable PE file, or has no manifest in it or beside it",
));
pub const REGASM_UNSUPPORTED: Code = Code::new(&CodeInfo::new(
    "regasm-unsupported",
    "a regasm run whose outcome comsim cannot reproduce faithfully",
));
pub const REGASM_SAVE: Code = Code::new(&CodeInfo::new(
    "regasm-save",
    "a file regasm wrote (a .reg or .tlb) cannot be saved to disk",
));
pub const EXPLAIN_ID: Code = Code::new(&CodeInfo::new(
    "explain-id",
    "`comsim explain` was given neither a rule ID nor an HRESULT, nor text holding one",
));
pub const EXPLAIN_INPUT: Code = Code::new(&CodeInfo::new(
    "explain-input",
    "`comsim explain -` cannot read standard input",
));
pub const ARG_FILE: Code = Code::new(&CodeInfo::new(
    "arg-file",
    "`comsim regasm --file` names a Windows path that is not one, or one already taken",
));
pub const ASSEMBLY_IO: Code = Code::new(&CodeInfo::new(
    "assembly-io",
    "the assembly file given to `comsim assembly show` cannot be read from disk",
));
pub const ASSEMBLY_NOT_MODELLED: Code = Code::new(&CodeInfo::new(
    "assembly-not-modelled",
    "an assembly that reads, but has a fact comsim's machine does not model",
));

/// Every code the `comsim` commands report.
pub const ALL: &[Code] = &[
    ARG_SWITCH,
    ARG_KEY,
    ARG_GUID,
    ARG_BITNESS,
    ARG_CLR,
    ARG_CWD,
    ARG_CAUSE,
    MANIFEST_IO,
    MANIFEST_PE,
    REGASM_UNSUPPORTED,
    REGASM_SAVE,
    EXPLAIN_ID,
    EXPLAIN_INPUT,
    ARG_FILE,
    ASSEMBLY_IO,
    ASSEMBLY_NOT_MODELLED,
];
