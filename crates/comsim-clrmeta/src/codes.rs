//! The diagnostic codes the assembly reader reports, each declared once with what it means.
//! `docs/diagnostics.md` says when each is reported and what to do about it.

use comsim_diag::{Code, CodeInfo};

pub const CLR_NOT_PE: Code = Code::new(&CodeInfo::new(
    "clr-not-pe",
    "the file is not a PE image (no MZ or PE signature, or PE headers object cannot read)",
));
pub const CLR_NOT_MANAGED: Code = Code::new(&CodeInfo::new(
    "clr-not-managed",
    "the PE image has no CLI header: it is a native DLL or EXE, not a .NET assembly",
));
pub const CLR_TRUNCATED: Code = Code::new(&CodeInfo::new(
    "clr-truncated",
    "the file ends inside a structure that its headers say is there",
));
pub const CLR_BAD_METADATA: Code = Code::new(&CodeInfo::new(
    "clr-bad-metadata",
    "a header, stream, table row, heap index or signature holds a value the format does not allow",
));
pub const CLR_UNSUPPORTED: Code = Code::new(&CodeInfo::new(
    "clr-unsupported",
    "the metadata uses something comsim does not read (odd stream layouts as obfuscators write them)",
));
pub const CLR_NO_ASSEMBLY: Code = Code::new(&CodeInfo::new(
    "clr-no-assembly",
    "the image is a module without an Assembly row (a netmodule), so it has no assembly identity",
));
pub const CLR_BAD_ATTRIBUTE: Code = Code::new(&CodeInfo::new(
    "clr-bad-attribute",
    "a COM interop custom attribute has a constructor or value blob comsim cannot decode",
));

/// Every code the assembly reader reports.
pub const ALL: &[Code] = &[
    CLR_NOT_PE,
    CLR_NOT_MANAGED,
    CLR_TRUNCATED,
    CLR_BAD_METADATA,
    CLR_UNSUPPORTED,
    CLR_NO_ASSEMBLY,
    CLR_BAD_ATTRIBUTE,
];
