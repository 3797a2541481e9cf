//! Side-by-side manifests for comsim.
//!
//! - [`parse_manifest`]: application and component manifests (UTF-8 or UTF-16 with a byte order
//!   mark) into a [`Manifest`], on quick-xml's namespace-aware reader, with located errors.
//! - [`identity`]: the textual identity `SxsLookupClrGuid` reports (SXS-4) and its translation to a
//!   Fusion display name (SXS-7).

pub mod identity;
mod model;
mod parse;

pub use model::{
    AssemblyIdentity, ClrClass, ClrSurrogate, ComClass, Dependency, File, Guid, Manifest,
    ThreadingModel, Version,
};
pub use parse::{ASM_V1, ASM_V2, ASM_V3, decode, parse_manifest, parse_manifest_str};
