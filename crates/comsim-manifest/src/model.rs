//! What a manifest says, with the location of every element so traces can point at it.

use std::fmt;

use comsim_diag::Location;
use serde::Serialize;

/// A GUID as manifests and the registry write it: upper-case, in braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(pub uuid::Uuid);

impl Guid {
    /// Parses `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` or the same without braces, in either case.
    pub fn parse(s: &str) -> Option<Guid> {
        let inner = match s.strip_prefix('{') {
            Some(rest) => rest.strip_suffix('}')?,
            None => s,
        };
        if inner.len() != 36 {
            return None;
        }
        uuid::Uuid::try_parse(inner).ok().map(Guid)
    }

    /// The GUID as the registry writes it, `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, as ASCII
    /// bytes: the 16 bytes in their textual order, two upper-case hex digits each, hyphens
    /// after the 4th, 6th, 8th and 10th.
    pub fn braced_upper(&self) -> [u8; 38] {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        // Where each byte's two digits go.
        const AT: [usize; 16] = [1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35];
        let mut out = *b"{00000000-0000-0000-0000-000000000000}";
        let bytes = self.0.as_bytes();
        for i in 0..16 {
            let byte = bytes[i];
            out[AT[i]] = HEX[usize::from(byte >> 4)];
            out[AT[i] + 1] = HEX[usize::from(byte & 0xF)];
        }
        out
    }

    /// [`Guid::braced_upper`] as a `String`, without the formatting machinery that `to_string`
    /// goes through (GUIDs are written often: every registry path of a class names one).
    pub fn to_braced_string(&self) -> String {
        let text = self.braced_upper();
        // ASCII by construction: the check cannot fail.
        String::from_utf8(text.to_vec()).unwrap_or_default()
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.braced_upper();
        f.pad(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A four-part assembly version `a.b.c.d`, each part 0..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub [u16; 4]);

impl Version {
    /// Parses exactly four dot-separated decimal parts.
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = [0u16; 4];
        let mut n = 0;
        for p in s.split('.') {
            if n == 4 || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[n] = p.parse().ok()?;
            n += 1;
        }
        (n == 4).then_some(Version(parts))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `<assemblyIdentity>`: attribute values exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssemblyIdentity {
    pub name: String,
    pub version: Option<Version>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub processor_architecture: Option<String>,
    pub public_key_token: Option<String>,
    pub language: Option<String>,
    #[serde(skip)]
    pub location: Location,
}

/// A threading model as a manifest spells it. Windows' manifest parser (as Wine implements it)
/// matches the four names case-sensitively; anything else means no threading model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ThreadingModel {
    Apartment,
    Free,
    Both,
    Neutral,
    /// Missing, empty, or a spelling the parser does not know (kept for the trace).
    None(Option<String>),
}

impl ThreadingModel {
    pub fn from_attr(v: Option<&str>) -> ThreadingModel {
        match v {
            Some("Apartment") => ThreadingModel::Apartment,
            Some("Free") => ThreadingModel::Free,
            Some("Both") => ThreadingModel::Both,
            Some("Neutral") => ThreadingModel::Neutral,
            Some("") | None => ThreadingModel::None(None),
            Some(other) => ThreadingModel::None(Some(other.to_owned())),
        }
    }
}

/// `<clrClass>`: a managed class activated through mscoree (SXS-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClrClass {
    pub name: String,
    pub clsid: Guid,
    /// The `progid` attribute first, then nested `<progid>` elements.
    pub progids: Vec<String>,
    pub tlbid: Option<Guid>,
    pub threading_model: ThreadingModel,
    pub runtime_version: Option<String>,
    #[serde(skip)]
    pub location: Location,
}

/// `<clrSurrogate>`: a registration-free PIA type (SXS-3, SXS-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClrSurrogate {
    pub name: String,
    pub clsid: Guid,
    pub runtime_version: Option<String>,
    #[serde(skip)]
    pub location: Location,
}

/// `<comClass>` inside `<file>`: a native class (SXS-3, COM-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComClass {
    pub clsid: Guid,
    pub progids: Vec<String>,
    pub tlbid: Option<Guid>,
    pub threading_model: ThreadingModel,
    #[serde(skip)]
    pub location: Location,
}

/// `<file>` and the native classes it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct File {
    pub name: String,
    pub com_classes: Vec<ComClass>,
    #[serde(skip)]
    pub location: Location,
}

/// `<dependency><dependentAssembly><assemblyIdentity/>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub identity: AssemblyIdentity,
    pub optional: bool,
}

/// One manifest file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The name the manifest was read from, as shown in diagnostics and traces.
    pub source: String,
    pub identity: Option<AssemblyIdentity>,
    pub dependencies: Vec<Dependency>,
    pub files: Vec<File>,
    pub clr_classes: Vec<ClrClass>,
    pub clr_surrogates: Vec<ClrSurrogate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written encoding gives what uuid's upper-case braced encoding gives, for the
    /// nil and all-ones GUIDs and random ones; `Display` and `to_braced_string` give it too.
    #[test]
    fn a_guid_is_written_as_uuid_writes_it_braced_and_upper_case() {
        let mut rng = comsim_rng::SplitMix64::new(0x6u64 << 40 | 0x0d15);
        let mut guids = vec![uuid::Uuid::nil(), uuid::Uuid::max()];
        guids.extend((0..2000).map(|_| uuid::Uuid::from_u64_pair(rng.next_u64(), rng.next_u64())));
        for u in guids {
            let mut buf = uuid::Uuid::encode_buffer();
            let want = u.braced().encode_upper(&mut buf).to_owned();
            let g = Guid(u);
            assert_eq!(std::str::from_utf8(&g.braced_upper()), Ok(want.as_str()));
            assert_eq!(g.to_braced_string(), want);
            assert_eq!(g.to_string(), want);
            assert_eq!(format!("{g:>40}"), format!("{want:>40}"));
        }
    }

    #[test]
    fn guids_parse_with_or_without_braces_in_any_case() {
        let a = Guid::parse("{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}").unwrap();
        let b = Guid::parse("19F7F420-4CC5-4B0D-8A82-C24645C0BA1F").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "{19F7F420-4CC5-4B0D-8A82-C24645C0BA1F}");
        assert_eq!(Guid::parse("{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f"), None);
        assert_eq!(Guid::parse("19f7f4204cc54b0d8a82c24645c0ba1f"), None);
    }

    #[test]
    fn versions_have_exactly_four_parts_of_at_most_65535() {
        assert_eq!(Version::parse("1.2.3.4").unwrap().to_string(), "1.2.3.4");
        assert_eq!(Version::parse("1.2.3"), None);
        assert_eq!(Version::parse("1.2.3.65536"), None);
        assert_eq!(Version::parse("1.2..4"), None);
        assert_eq!(Version::parse("1.2.3.+4"), None);
    }
}
