//! The GUIDs the CLR gives types and assemblies that declare none (`Type.GUID`,
//! `Marshal.GenerateGuidForType`, `Marshal.GetTypeLibGuidForAssembly`): what regasm registers a
//! class or record under when it has no `[Guid]`, and the LIBID of a type library exported from an
//! assembly without an assembly-level `[Guid]`.
//!
//! From the CLR's source (`MethodTable::GetGuid`, `GetStringizedTypeLibGuidForAssembly` and
//! `GetTypeLibGuidForAssembly` in interoputil.cpp, `CorGuidFromNameW` in guidfromname.cpp; the same
//! in Rotor, .NET Framework and CoreCLR): a name-based GUID (RFC 4122 version 3, MD5) in the
//! namespace `{69F9CBC9-DA05-11D1-9408-0000F8083460}`, over
//!
//! - the type's full name (`Namespace.Name`, nested types joined by `+`) in UTF-16LE, for a type;
//! - the assembly's simple name, lower-cased, `.` and space turned into `_`, in UTF-16LE;
//! - the ASCII bytes `TypeLib`;
//! - the version (`[ComCompatibleVersion]` if the assembly has one, else its own) as 16-bit
//!   little-endian numbers major, major (sic: the source says "Don't fix this line!"), build,
//!   revision, then minor only when it is not zero;
//! - the assembly's whole public key (not its token), nothing for an unsigned assembly;
//! - one zero byte if the length is odd.
//!
//! Checked against GUIDs of real types: `System.Object` {81C5FE01-027C-3E1C-98D5-DA9C9862AA21},
//! `System.String`, `System.Int32`, two test classes of wine-mono's `ccw-class-iface` test and the
//! LIBIDs of System, System.Windows.Forms and System.Drawing (see this module's tests).
//! Interfaces hash their members' signatures instead, which comsim does not model.

use comsim_manifest::{Guid, Version};

use crate::machine::{AssemblyInfo, TypeInfo, TypeKind};

/// The namespace of every CLR name-based GUID (`CLR_RUNTIME_GUID` in guidfromname.cpp).
const CLR_NAMESPACE: uuid::Uuid = uuid::uuid!("69f9cbc9-da05-11d1-9408-0000f8083460");

/// Where a GUID comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClrGuid {
    /// `[Guid]` on the type (or the assembly, for a LIBID).
    Declared(Guid),
    /// Generated from the names, as described in this module.
    Generated(Guid),
}

impl ClrGuid {
    pub fn guid(self) -> Guid {
        match self {
            ClrGuid::Declared(g) | ClrGuid::Generated(g) => g,
        }
    }
}

/// Why comsim cannot give the GUID the CLR would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotComputable {
    /// The assembly is signed, and the scenario gives its token but not its public key, which the
    /// hash takes whole.
    NoPublicKey,
    /// An interface without `[Guid]`: its IID hashes its members' signatures.
    Interface,
}

impl NotComputable {
    /// A sentence for an error message, naming what the scenario should give.
    pub fn explain(&self, what: &str, asm: &AssemblyInfo) -> String {
        match self {
            NotComputable::NoPublicKey => format!(
                "{what} has no [Guid], so the CLR generates one from the names and the public key of `{}`; the scenario gives only its token: give the assembly its `public_key` (hex, as `sn -Tp` prints it) or {what} a `guid`",
                asm.name
            ),
            NotComputable::Interface => format!(
                "{what} has no [Guid]: the CLR generates an interface's IID from its members' signatures, which comsim does not model; give it a `guid`"
            ),
        }
    }
}

/// `Type.GUID` of `t`, a type of `asm`.
pub fn type_guid(asm: &AssemblyInfo, t: &TypeInfo) -> Result<ClrGuid, NotComputable> {
    if let Some(g) = t.guid {
        return Ok(ClrGuid::Declared(g));
    }
    if t.kind == TypeKind::Interface {
        return Err(NotComputable::Interface);
    }
    let mut bytes = utf16le(&t.full_name);
    bytes.extend(stringized_type_library(asm)?);
    Ok(ClrGuid::Generated(from_name(bytes)))
}

/// `Marshal.GetTypeLibGuidForAssembly`: the LIBID of the type library exported from `asm`.
pub fn type_library_guid(asm: &AssemblyInfo) -> Result<ClrGuid, NotComputable> {
    if let Some(g) = asm.guid {
        return Ok(ClrGuid::Declared(g));
    }
    Ok(ClrGuid::Generated(from_name(stringized_type_library(asm)?)))
}

/// `GetStringizedTypeLibGuidForAssembly`: the assembly's part of the hashed bytes.
fn stringized_type_library(asm: &AssemblyInfo) -> Result<Vec<u8>, NotComputable> {
    let key: &[u8] = match (&asm.public_key, &asm.public_key_token) {
        (Some(k), _) => k.bytes(),
        (None, Some(_)) => return Err(NotComputable::NoPublicKey),
        (None, None) => &[],
    };
    let simple: String = asm
        .name
        .chars()
        .map(|c| match c {
            '.' | ' ' => '_',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect();
    let mut out = utf16le(&simple);
    out.extend_from_slice(b"TypeLib");
    let Version([major, minor, build, revision]) =
        asm.com_compatible_version.unwrap_or(asm.version);
    for n in [major, major, build, revision] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    if minor != 0 {
        out.extend_from_slice(&minor.to_le_bytes());
    }
    out.extend_from_slice(key);
    Ok(out)
}

/// `CorGuidFromNameW`: an RFC 4122 version 3 GUID, the bytes padded to whole UTF-16 units.
fn from_name(mut bytes: Vec<u8>) -> Guid {
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    Guid(uuid::Uuid::new_v3(&CLR_NAMESPACE, &bytes))
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// An assembly's public key (the blob `sn -Tp` prints), as its manifest holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(Vec<u8>);

impl PublicKey {
    /// The longest key comsim takes: a 16384-bit RSA key's blob is about 2 KiB.
    pub const MAX_BYTES: usize = 4096;

    /// Parses hex digits, with any whitespace between them (as `sn -Tp` wraps them).
    pub fn parse_hex(s: &str) -> Result<PublicKey, String> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if digits.is_empty() {
            return Err("a public key is hex digits, and this is empty".into());
        }
        if let Some(bad) = digits.iter().find(|b| !b.is_ascii_hexdigit()) {
            return Err(format!(
                "a public key is hex digits, and {:?} is not one",
                char::from(*bad)
            ));
        }
        if digits.len() % 2 == 1 {
            return Err("a public key has an even number of hex digits".into());
        }
        if digits.len() / 2 > Self::MAX_BYTES {
            return Err(format!(
                "a public key of {} bytes is longer than comsim takes ({} bytes)",
                digits.len() / 2,
                Self::MAX_BYTES
            ));
        }
        let nibble = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
        Ok(PublicKey(
            digits
                .chunks_exact(2)
                .map(|p| nibble(p[0]) << 4 | nibble(p[1]))
                .collect(),
        ))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Its token: the last eight bytes of its SHA-1 hash, in reverse order, as lower-case hex
    /// (computed by the assembly reader, which reads keys from images).
    pub fn token(&self) -> String {
        comsim_clrmeta::public_key_token(&self.0)
    }

    /// A key read from an assembly's metadata.
    pub fn from_bytes(bytes: Vec<u8>) -> PublicKey {
        PublicKey(bytes)
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
        s.serialize_str(&hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{ProcessorArchitecture, RuntimeVersion};

    /// The ECMA "public key" mscorlib and System carry (token b77a5c561934e089).
    const ECMA_KEY: &str = "00000000000000000400000000000000";
    /// Microsoft's key System.Drawing carries (token b03f5f7f11d50a3a).
    const MS_KEY: &str = "002400000480000094000000060200000024000052534131000400000100010007d1fa57c4aed9f0a32e84aa0faefd0de9e8fd6aec8f87fb03766c834c99921eb23be79ad9d5dcc1dd9ad236132102900b723cf980957fc4e177108fc607774f29e8320e92ea05ece4e821c0a5efe8f1645c4c0c93c1ab99285d622caa652c1dfad63d745d6f2de5f17e5eaf0fc4963d261c8a12436518206dc093344d5ad293";

    fn assembly(name: &str, version: &str, key: Option<&str>) -> AssemblyInfo {
        let public_key = key.map(|k| PublicKey::parse_hex(k).unwrap());
        AssemblyInfo {
            name: name.into(),
            version: Version::parse(version).unwrap(),
            culture: None,
            public_key_token: public_key.as_ref().map(PublicKey::token),
            public_key,
            com_compatible_version: None,
            runtime: RuntimeVersion::parse("v4.0.30319").unwrap(),
            architecture: ProcessorArchitecture::Msil,
            com_visible: true,
            primary_interop: None,
            guid: None,
            types: Vec::new(),
            type_index: Default::default(),
        }
    }

    fn class(full_name: &str) -> TypeInfo {
        TypeInfo::new(full_name, TypeKind::Class)
    }

    fn generated(asm: &AssemblyInfo, t: &TypeInfo) -> String {
        match type_guid(asm, t).unwrap() {
            ClrGuid::Generated(g) => g.to_string(),
            other => panic!("expected a generated GUID, got {other:?}"),
        }
    }

    /// mscorlib, as the CLR hashes it: [ComCompatibleVersion(1, 0, 3300, 0)] and the ECMA key.
    fn mscorlib() -> AssemblyInfo {
        let mut a = assembly("mscorlib", "4.0.0.0", Some(ECMA_KEY));
        a.com_compatible_version = Version::parse("1.0.3300.0");
        a
    }

    #[test]
    fn public_key_tokens_are_the_reversed_tail_of_the_sha1() {
        assert_eq!(
            PublicKey::parse_hex(ECMA_KEY).unwrap().token(),
            "b77a5c561934e089"
        );
        assert_eq!(
            PublicKey::parse_hex(MS_KEY).unwrap().token(),
            "b03f5f7f11d50a3a"
        );
        let wrapped = format!("{}\n  {}", &MS_KEY[..64], &MS_KEY[64..]);
        assert_eq!(
            PublicKey::parse_hex(&wrapped).unwrap(),
            PublicKey::parse_hex(MS_KEY).unwrap()
        );
        assert!(PublicKey::parse_hex("0g").is_err());
        assert!(PublicKey::parse_hex("abc").is_err());
        assert!(PublicKey::parse_hex(" ").is_err());
    }

    #[test]
    fn framework_type_guids_of_signed_mscorlib() {
        let m = mscorlib();
        let cases = [
            ("System.Object", "{81C5FE01-027C-3E1C-98D5-DA9C9862AA21}"),
            ("System.String", "{296AFBFF-1B0B-3FF5-9D6C-4E7E599F8B57}"),
            ("System.Int32", "{A310FADD-7C33-377C-9D6B-599B0317D7F2}"),
            ("System.Int16", "{206DAF34-5BA5-3504-8A19-D57699561886}"),
            ("System.Double", "{0F4F147F-4369-3388-8E4B-71E20C96F9AD}"),
        ];
        for (name, expected) in cases {
            assert_eq!(generated(&m, &class(name)), expected, "{name}");
        }
    }

    #[test]
    fn unsigned_test_classes_of_version_zero() {
        // wine-mono's ccw-class-iface test, values taken from .NET Framework.
        let a = assembly("ccw-class-iface", "0.0.0.0", None);
        assert_eq!(
            generated(&a, &class("TestParent")),
            "{7DCC27E3-E226-35CA-A942-2286B21F2525}"
        );
        let t = assembly("test", "0.0.0.0", None);
        assert_eq!(
            generated(&t, &class("Test")),
            "{2632D937-461E-38F3-9939-C110F0107E4F}"
        );
    }

    #[test]
    fn type_library_guids_of_framework_assemblies() {
        let compat = Version::parse("1.0.3300.0");
        let cases = [
            ("System", ECMA_KEY, "{BEE4BFEC-6683-3E67-9167-3C0CBC68F40A}"),
            (
                "System.Windows.Forms",
                ECMA_KEY,
                "{215D64D2-031C-33C7-96E3-61794CD1EE61}",
            ),
            (
                "System.Drawing",
                MS_KEY,
                "{D37E2A3E-8545-3A39-9F4F-31827C9124AB}",
            ),
        ];
        for (name, key, expected) in cases {
            let mut a = assembly(name, "4.0.0.0", Some(key));
            a.com_compatible_version = compat;
            assert_eq!(
                type_library_guid(&a).unwrap(),
                ClrGuid::Generated(Guid::parse(expected).unwrap()),
                "{name}"
            );
        }
    }

    #[test]
    fn the_version_and_the_key_change_a_generated_guid() {
        let t = class("Contoso.Widget");
        let v1 = generated(&assembly("Contoso", "1.0.0.0", None), &t);
        assert_ne!(v1, generated(&assembly("Contoso", "1.0.0.1", None), &t));
        assert_ne!(v1, generated(&assembly("Contoso", "1.1.0.0", None), &t));
        assert_ne!(
            v1,
            generated(&assembly("Contoso", "1.0.0.0", Some(MS_KEY)), &t)
        );
        // Case and '.'/' ' in the simple name do not matter; the culture is not hashed.
        assert_eq!(v1, generated(&assembly("contoso", "1.0.0.0", None), &t));
        assert_eq!(
            generated(&assembly("Contoso.Core", "1.0.0.0", None), &t),
            generated(&assembly("contoso_core", "1.0.0.0", None), &t)
        );
    }

    #[test]
    fn declared_guids_win_and_what_cannot_be_computed_says_why() {
        let mut a = assembly("Contoso", "1.0.0.0", None);
        let mut t = class("Contoso.Widget");
        let g = Guid::parse("{11111111-2222-3333-4444-555555555555}").unwrap();
        t.guid = Some(g);
        assert_eq!(type_guid(&a, &t), Ok(ClrGuid::Declared(g)));
        a.guid = Some(g);
        assert_eq!(type_library_guid(&a), Ok(ClrGuid::Declared(g)));

        let mut signed = assembly("Contoso", "1.0.0.0", None);
        signed.public_key_token = Some("0123456789abcdef".into());
        assert_eq!(
            type_guid(&signed, &class("Contoso.Widget")),
            Err(NotComputable::NoPublicKey)
        );
        let mut i = class("Contoso.IWidget");
        i.kind = TypeKind::Interface;
        assert_eq!(type_guid(&a, &i), Err(NotComputable::Interface));
    }
}
