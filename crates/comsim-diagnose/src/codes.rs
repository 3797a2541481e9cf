//! The diagnostic codes `comsim diagnose` reports about its input, each declared once with
//! what it means. `docs/diagnostics.md` says when each is reported and what to do about it.
//! The `.reg` files and scenarios it reads report their own crates' codes.

use comsim_diag::{Code, CodeInfo};

pub const DIAGNOSE_IO: Code = Code::new(&CodeInfo::new(
    "diagnose-io",
    "a file or folder given to diagnose cannot be read",
));
pub const DIAGNOSE_NO_CLASS: Code = Code::new(&CodeInfo::new(
    "diagnose-no-class",
    "the error names no class, and neither --clsid nor --progid was given",
));
pub const DIAGNOSE_ERROR_TEXT: Code = Code::new(&CodeInfo::new(
    "diagnose-error-text",
    "the error text holds nothing diagnose recognises: no CLSID, ProgID or HRESULT",
));
pub const DIAGNOSE_CLIENT: Code = Code::new(&CodeInfo::new(
    "diagnose-client",
    "the process facts given contradict each other or the client's file",
));
pub const DIAGNOSE_APP_IMAGE: Code = Code::new(&CodeInfo::new(
    "diagnose-app-image",
    "an .exe or .dll of the application folder (or --client) is an image diagnose cannot place on the machine",
));
pub const DIAGNOSE_GAC: Code = Code::new(&CodeInfo::new(
    "diagnose-gac",
    "a --gac folder is not laid out as a global assembly cache, or a file in it disagrees with its folder",
));

/// Every code of this crate.
pub const ALL: &[Code] = &[
    DIAGNOSE_IO,
    DIAGNOSE_NO_CLASS,
    DIAGNOSE_ERROR_TEXT,
    DIAGNOSE_CLIENT,
    DIAGNOSE_APP_IMAGE,
    DIAGNOSE_GAC,
];
