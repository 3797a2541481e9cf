//! Side-by-side manifests for comsim.
//!
//! - [`parse_manifest`]: application and component manifests (UTF-8 or UTF-16 with a byte order
//!   mark) into a [`Manifest`], on quick-xml's namespace-aware reader, with located errors.
//! - [`actctx`]: the activation context of an application manifest and its probed dependencies
//!   (SXS-1, SXS-2).
//! - [`lookup`]: `SxsLookupClrGuid` (SXS-4), the CLR's use of it (SXS-5..SXS-8), and the COM-server
//!   and ProgID lookups (COM-1).
//! - [`identity`]: the textual identity (SXS-4) and its Fusion display name (SXS-7).

pub mod actctx;
pub mod codes;
pub mod identity;
pub mod lookup;
mod model;
mod parse;
pub mod pe;

pub use model::{
    AssemblyIdentity, ClrClass, ClrSurrogate, ComClass, Dependency, File, Guid, Manifest,
    ThreadingModel, Version,
};
pub use parse::{ASM_V1, ASM_V2, ASM_V3, decode, parse_manifest, parse_manifest_str};
