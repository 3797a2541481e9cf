//! The outcome fields an expectation may name, and how each value is checked and normalised so
//! that it compares as text with [`Outcome::field`](comsim_resolver::Outcome::field).

use comsim_manifest::Guid;
use comsim_resolver::{RuntimeVersion, WinPath};

use crate::raw::Scalar;

/// How a field's value is written and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Any text, compared as written.
    Text,
    /// The outcome kind: `managed`, `com_object`, `exception`, `hresult`, `null`, `startup_failure`.
    Kind,
    /// `0x80040154` (or `80040154`, or a TOML integer); normalised to `0x` and eight upper-case digits.
    HResult,
    /// A GUID; normalised to upper case in braces.
    Guid,
    /// `true` or `false`.
    Bool,
    /// A runtime version such as `v4.0.30319`, compared as written.
    Runtime,
    /// An absolute Windows path; separators and `.`/`..` normalised, case kept.
    Path,
    /// `sxs` or `registry`.
    Source,
    /// `inproc_managed`, `inproc_native`, `local_server`, `surrogate`.
    ServerKind,
    /// A Win32 error number (`error` of a startup failure), decimal.
    Number,
    /// Text of several lines (a console, a `.reg` script), compared whole: `\r\n` read as `\n`,
    /// and newlines at the end ignored, so that a TOML multi-line string can hold it.
    Lines,
    /// Text the field must contain (`console_contains`), not be: `\r\n` read as `\n`; not empty.
    Contains,
}

/// Every field an expectation may name, with its type: the JSON names of
/// [`Outcome`](comsim_resolver::Outcome), nested objects reached with dots.
pub const EXPECTATION_FIELDS: &[(&str, FieldType)] = &[
    ("kind", FieldType::Kind),
    ("type", FieldType::Text),
    ("assembly", FieldType::Text),
    ("path", FieldType::Path),
    ("runtime", FieldType::Runtime),
    ("source", FieldType::Source),
    ("pia", FieldType::Bool),
    ("com_import", FieldType::Bool),
    ("created", FieldType::Bool),
    ("clsid", FieldType::Guid),
    ("exception", FieldType::Text),
    ("hresult", FieldType::HResult),
    ("name", FieldType::Text),
    ("message", FieldType::Text),
    ("error", FieldType::Number),
    ("wrapper.type", FieldType::Text),
    ("wrapper.assembly", FieldType::Text),
    ("wrapper.path", FieldType::Path),
    ("wrapper.runtime", FieldType::Runtime),
    ("wrapper.source", FieldType::Source),
    ("wrapper.pia", FieldType::Bool),
    ("wrapper.com_import", FieldType::Bool),
    ("server.kind", FieldType::ServerKind),
    ("server.clsid", FieldType::Guid),
    ("server.file", FieldType::Text),
    ("server.process", FieldType::Text),
    ("server.apartment", FieldType::Text),
    ("server.runtime", FieldType::Runtime),
    ("server.runtime_started", FieldType::Bool),
    ("server.managed.type", FieldType::Text),
    ("server.managed.assembly", FieldType::Text),
    ("server.managed.path", FieldType::Path),
    ("server.managed.runtime", FieldType::Runtime),
    ("server.managed.source", FieldType::Source),
    ("server.managed.pia", FieldType::Bool),
    ("server.managed.com_import", FieldType::Bool),
];

/// The fields an expectation of a machine step (`regasm`, `import`, `delete`, `show`, `sxs_lookup`) may name:
/// [`MachineRun::field`](crate::MachineRun::field).
pub const MACHINE_EXPECTATION_FIELDS: &[(&str, FieldType)] = &[
    ("exit_code", FieldType::Number),
    ("types", FieldType::Number),
    ("errors", FieldType::Number),
    ("warnings", FieldType::Number),
    ("changes", FieldType::Number),
    ("exists", FieldType::Bool),
    ("console", FieldType::Lines),
    ("console_contains", FieldType::Contains),
    ("regfile", FieldType::Lines),
    ("regfile_contains", FieldType::Contains),
    ("sxs.found", FieldType::Bool),
    ("sxs.flags", FieldType::Number),
    ("sxs.type_name", FieldType::Text),
    ("sxs.assembly", FieldType::Text),
    ("sxs.runtime_version", FieldType::Text),
];

/// Whether `actual` (a run's value of `field`) holds `expected`: contains it for a
/// [`FieldType::Contains`] field, equals it for every other.
pub(crate) fn holds(field: &str, expected: &str, actual: Option<&str>) -> bool {
    match actual {
        Some(a) if is_contains(field) => a.contains(expected),
        Some(a) => a == expected,
        None => false,
    }
}

/// Whether `field` is a [`FieldType::Contains`] field.
pub(crate) fn is_contains(field: &str) -> bool {
    [EXPECTATION_FIELDS, MACHINE_EXPECTATION_FIELDS]
        .iter()
        .any(|f| field_type(f, field) == Some(FieldType::Contains))
}

/// Text of several lines as a [`FieldType::Lines`] field compares it: `\r\n` as `\n`, no
/// newline at the end.
pub(crate) fn lines_text(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end_matches('\n').to_owned()
}

const KINDS: &[&str] = &[
    "managed",
    "com_object",
    "exception",
    "hresult",
    "null",
    "startup_failure",
];
const SOURCES: &[&str] = &["sxs", "registry"];
const SERVER_KINDS: &[&str] = &[
    "inproc_managed",
    "inproc_native",
    "local_server",
    "surrogate",
];

pub(crate) fn field_type(fields: &[(&str, FieldType)], name: &str) -> Option<FieldType> {
    fields.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Whether `prefix` starts some field name (`server`, `server.managed`), so that a table under it
/// is meaningful.
pub(crate) fn is_prefix(fields: &[(&str, FieldType)], prefix: &str) -> bool {
    fields.iter().any(|(n, _)| {
        n.len() > prefix.len() && n.starts_with(prefix) && n.as_bytes()[prefix.len()] == b'.'
    })
}

fn one_of(field: &str, v: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&v) {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "`{field}` is one of {}, not `{v}`",
            allowed.join(", ")
        ))
    }
}

/// Checks a value for a field and gives the text it compares as.
pub(crate) fn normalise(field: &str, ty: FieldType, value: &Scalar) -> Result<String, String> {
    let text = match value {
        Scalar::Str(s) => s.clone(),
        Scalar::Bool(b) if ty == FieldType::Bool => return Ok(b.to_string()),
        Scalar::Int(i) if ty == FieldType::HResult => {
            return u32::try_from(*i)
                .map(|h| format!("0x{h:08X}"))
                .map_err(|_| {
                    format!("`{i}` is not an HRESULT (a 32-bit value such as 0x80040154)")
                });
        }
        Scalar::Int(i) if ty == FieldType::Number => {
            return u32::try_from(*i)
                .map(|n| n.to_string())
                .map_err(|_| format!("`{i}` is not a number from 0 to 4294967295"));
        }
        Scalar::Bool(_) => return Err(format!("`{field}` takes a string, not a boolean")),
        Scalar::Int(_) => return Err(format!("`{field}` takes a string, not an integer")),
    };
    match ty {
        FieldType::Text => Ok(text),
        FieldType::Kind => one_of(field, &text, KINDS),
        FieldType::Source => one_of(field, &text, SOURCES),
        FieldType::ServerKind => one_of(field, &text, SERVER_KINDS),
        FieldType::Bool => one_of(field, &text, &["true", "false"]),
        FieldType::HResult => {
            let digits = text
                .strip_prefix("0x")
                .or_else(|| text.strip_prefix("0X"))
                .unwrap_or(&text);
            if digits.is_empty()
                || digits.len() > 8
                || !digits.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(format!(
                    "`{text}` is not an HRESULT (write it as 0x80040154)"
                ));
            }
            let h = u32::from_str_radix(digits, 16).map_err(|e| e.to_string())?;
            Ok(format!("0x{h:08X}"))
        }
        FieldType::Guid => Guid::parse(&text).map(|g| g.to_string()).ok_or_else(|| {
            format!("`{text}` is not a GUID (expected {{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}})")
        }),
        FieldType::Runtime => match RuntimeVersion::parse(&text) {
            Some(_) => Ok(text),
            None => Err(format!(
                "`{text}` is not a runtime version (expected v2.0.50727, v4.0.30319, v4.0, …)"
            )),
        },
        FieldType::Path => WinPath::parse(&text)
            .map(|p| p.to_string())
            .map_err(|e| e.to_string()),
        FieldType::Lines => Ok(lines_text(&text)),
        FieldType::Contains => {
            let text = text.replace("\r\n", "\n");
            if text.is_empty() {
                Err(format!(
                    "`{field}` takes the text to look for, not an empty string"
                ))
            } else {
                Ok(text)
            }
        }
        FieldType::Number => {
            if !text.is_empty()
                && text.len() <= 10
                && text.bytes().all(|b| b.is_ascii_digit())
                && let Ok(n) = text.parse::<u32>()
            {
                return Ok(n.to_string());
            }
            Err(format!("`{text}` is not a Win32 error number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hresults_normalise_to_the_outcome_spelling() {
        let h = |s: Scalar| normalise("hresult", FieldType::HResult, &s);
        assert_eq!(h(Scalar::Str("0x80040154".into())).unwrap(), "0x80040154");
        assert_eq!(h(Scalar::Str("8004015a".into())).unwrap(), "0x8004015A");
        assert_eq!(h(Scalar::Int(0x8004_0154)).unwrap(), "0x80040154");
        assert!(h(Scalar::Str("REGDB_E_CLASSNOTREG".into())).is_err());
        assert!(h(Scalar::Int(-1)).is_err());
    }

    #[test]
    fn kinds_guids_and_bools_are_checked() {
        assert!(normalise("kind", FieldType::Kind, &Scalar::Str("com_object".into())).is_ok());
        assert!(normalise("kind", FieldType::Kind, &Scalar::Str("ComObject".into())).is_err());
        assert_eq!(
            normalise(
                "clsid",
                FieldType::Guid,
                &Scalar::Str("0d2b6e5a-0000-4a5b-9c3d-1234567890ab".into())
            )
            .unwrap(),
            "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}"
        );
        assert_eq!(
            normalise("pia", FieldType::Bool, &Scalar::Bool(true)).unwrap(),
            "true"
        );
        assert!(normalise("type", FieldType::Text, &Scalar::Bool(true)).is_err());
    }

    /// Issue 11: a console or `.reg` script compares whole with its line endings and final
    /// newlines normalised; a `_contains` field holds when the text occurs in the run's value.
    #[test]
    fn lines_and_contains_fields() {
        let lines = |s: &str| normalise("console", FieldType::Lines, &Scalar::Str(s.into()));
        assert_eq!(lines("a\r\nb\r\n\n").unwrap(), "a\nb");
        assert_eq!(lines("").unwrap(), "");
        let contains = |s: &str| {
            normalise(
                "console_contains",
                FieldType::Contains,
                &Scalar::Str(s.into()),
            )
        };
        assert_eq!(contains("RA0000\r\n").unwrap(), "RA0000\n");
        assert!(contains("").is_err());
        assert!(normalise("console", FieldType::Lines, &Scalar::Int(1)).is_err());
        assert!(holds(
            "console_contains",
            "RA0000",
            Some("RegAsm : error RA0000 : x")
        ));
        assert!(!holds(
            "console_contains",
            "RA0001",
            Some("RegAsm : error RA0000 : x")
        ));
        assert!(!holds("console_contains", "RA0000", None));
        assert!(!holds(
            "console",
            "RA0000",
            Some("RegAsm : error RA0000 : x")
        ));
        assert!(holds("console", "a\nb", Some("a\nb")));
    }

    #[test]
    fn prefixes_of_nested_fields() {
        let f = EXPECTATION_FIELDS;
        assert!(is_prefix(f, "server"));
        assert!(is_prefix(f, "server.managed"));
        assert!(!is_prefix(f, "serv"));
        assert!(!is_prefix(f, "kind"));
        assert!(!is_prefix(MACHINE_EXPECTATION_FIELDS, "server"));
    }
}
