//! A reader of .NET assemblies: the ECMA-335 metadata of a PE image, read far enough to say what
//! the CLR and regasm see of it for COM — the assembly's identity (name, version, culture, public
//! key and token), `ImageRuntimeVersion`, `processorArchitecture`, the assembly-level COM
//! attributes, and each type with its kind, visibility and COM attributes.
//!
//! The PE headers are read with the `object` crate ([`pe`]); the metadata root and heaps
//! ([`heaps`]), the tables stream with its coded indexes ([`tables`]), the types ([`model`]) and
//! the custom attributes, decoded by their constructors' signatures ([`attrs`]), by this crate.
//! Every read is bounds-checked: a damaged image gives a [`Diagnostic`] naming the file, the byte
//! offset and what was expected there, never a panic. Work is linear in the size of the tables.

pub mod codes;

mod attrs;
mod bytes;
mod heaps;
mod model;
mod pe;
mod tables;

use comsim_diag::Diagnostic;
use sha1::{Digest, Sha1};

pub use attrs::{ClassInterfaceType, ComInterfaceType};
pub use heaps::StreamInfo;
pub use model::{Assembly, PeInfo, PrimaryInterop, TypeDef, TypeKind, Visibility};
pub use pe::Architecture;

/// Reads an assembly's metadata. `file` names the file in errors.
pub fn read_assembly(file: &str, bytes: &[u8]) -> Result<Assembly, Diagnostic> {
    model::read(bytes).map_err(|f| {
        Diagnostic::error(
            f.code,
            format!(
                "{file}: at byte offset {} ({:#x}): {}",
                f.offset, f.offset, f.message
            ),
        )
    })
}

/// A public key's token: the last eight bytes of its SHA-1 hash, in reverse order, as lower-case
/// hex (what `sn -T` prints and `PublicKeyToken=` holds).
pub fn public_key_token(key: &[u8]) -> String {
    let hash = Sha1::digest(key);
    hash.iter()
        .rev()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ecma_standard_key_has_the_framework_token() {
        // The 16-byte "ECMA key" of mscorlib and System has the token b77a5c561934e089.
        let ecma = [0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(public_key_token(&ecma), "b77a5c561934e089");
    }

    #[test]
    fn a_file_that_is_not_pe_is_refused_with_an_offset() {
        let e = read_assembly("x.dll", b"hello").unwrap_err();
        assert_eq!(e.code.name(), "clr-not-pe");
        assert!(e.message.starts_with("x.dll: at byte offset 0"), "{e}");
    }
}
