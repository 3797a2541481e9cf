//! The diagnostic codes an application configuration file's parse reports, each declared once
//! with what it means. `docs/diagnostics.md` says when each is reported and what to do about it.

use comsim_diag::{Code, CodeInfo};

pub const CONFIG_ENCODING: Code = Code::new(&CodeInfo::new(
    "config-encoding",
    "the file's bytes are not UTF-8 or UTF-16 text",
));
pub const CONFIG_XML: Code = Code::new(&CodeInfo::new(
    "config-xml",
    "the text is not well-formed (namespace-aware) XML",
));
pub const CONFIG_ROOT: Code = Code::new(&CodeInfo::new(
    "config-root",
    "the root element is not <configuration> in no namespace",
));
pub const CONFIG_TOO_DEEP: Code = Code::new(&CodeInfo::new(
    "config-too-deep",
    "elements nest deeper than comsim reads (256)",
));
pub const CONFIG_MISSING_ATTRIBUTE: Code = Code::new(&CodeInfo::new(
    "config-missing-attribute",
    "an element lacks an attribute it requires, or it is empty",
));
pub const CONFIG_BAD_VALUE: Code = Code::new(&CodeInfo::new(
    "config-bad-value",
    "an attribute's value is not one the element takes",
));
pub const CONFIG_DUPLICATE: Code = Code::new(&CodeInfo::new(
    "config-duplicate",
    "an element that may appear once appears again",
));
pub const CONFIG_IGNORED: Code = Code::new(&CodeInfo::new(
    "config-ignored",
    "a warning: something the runtime does not read, so comsim skips it too",
));

/// Every code an application configuration file's parse reports.
pub const ALL: &[Code] = &[
    CONFIG_ENCODING,
    CONFIG_XML,
    CONFIG_ROOT,
    CONFIG_TOO_DEEP,
    CONFIG_MISSING_ATTRIBUTE,
    CONFIG_BAD_VALUE,
    CONFIG_DUPLICATE,
    CONFIG_IGNORED,
];
