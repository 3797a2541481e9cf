//! The diagnostic codes a manifest parse reports, each declared once with what it means.
//! `docs/diagnostics.md` says when each is reported and what to do about it.
//!
//! Each is an error: Windows refuses the whole manifest (the activation context is not created).

use comsim_diag::{Code, CodeInfo};

pub const MANIFEST_ENCODING: Code = Code::new(&CodeInfo::new(
    "manifest-encoding",
    "the manifest's bytes are not UTF-8 or UTF-16 text",
));
pub const MANIFEST_XML: Code = Code::new(&CodeInfo::new(
    "manifest-xml",
    "the manifest is not well-formed XML",
));
pub const MANIFEST_ROOT: Code = Code::new(&CodeInfo::new(
    "manifest-root",
    "the root element is not <assembly> in the assembly.v1 (or v3) namespace",
));
pub const MANIFEST_VERSION: Code = Code::new(&CodeInfo::new(
    "manifest-version",
    "`manifestVersion` on <assembly> is not \"1.0\"",
));
pub const MANIFEST_MISSING_ATTRIBUTE: Code = Code::new(&CodeInfo::new(
    "manifest-missing-attribute",
    "an element lacks an attribute it needs, or its assembly name is empty",
));
pub const MANIFEST_BAD_GUID: Code = Code::new(&CodeInfo::new(
    "manifest-bad-guid",
    "an attribute that must be a GUID is not one",
));
pub const MANIFEST_BAD_VERSION: Code = Code::new(&CodeInfo::new(
    "manifest-bad-version",
    "an assembly identity's `version` is not four numbers 0..65535",
));
pub const MANIFEST_DUPLICATE: Code = Code::new(&CodeInfo::new(
    "manifest-duplicate",
    "a second <assemblyIdentity> in one manifest",
));
pub const MANIFEST_UNKNOWN_ELEMENT: Code = Code::new(&CodeInfo::new(
    "manifest-unknown-element",
    "an element directly under <assembly> that Windows does not know",
));
pub const MANIFEST_UNKNOWN_ATTRIBUTE: Code = Code::new(&CodeInfo::new(
    "manifest-unknown-attribute",
    "an attribute in no namespace that its asm.v1 element does not take",
));

/// Every code a manifest parse reports.
pub const ALL: &[Code] = &[
    MANIFEST_ENCODING,
    MANIFEST_XML,
    MANIFEST_ROOT,
    MANIFEST_VERSION,
    MANIFEST_MISSING_ATTRIBUTE,
    MANIFEST_BAD_GUID,
    MANIFEST_BAD_VERSION,
    MANIFEST_DUPLICATE,
    MANIFEST_UNKNOWN_ELEMENT,
    MANIFEST_UNKNOWN_ATTRIBUTE,
];
