//! Diagnostic codes: each crate that reports diagnostics declares its codes once, in a table
//! (its `codes` module, with `ALL` listing them), and `docs/diagnostics.md` explains each.

use std::fmt;

use serde::{Serialize, Serializer};

/// A diagnostic code: a stable, lower-kebab-case name such as `reg-open-failed`, shown in
/// `error[name]` and serialised as that string, and a one-line summary of what it means.
///
/// A `Code` is one pointer to its [`CodeInfo`], so a [`Diagnostic`](crate::Diagnostic) stays
/// small. Codes are compared by name; the workspace's tests check that a name has one meaning.
/// A table declares one as
/// `pub const REG_IO: Code = Code::new(&CodeInfo::new("reg-io", "cannot read the file"));`.
#[derive(Debug, Clone, Copy)]
pub struct Code(&'static CodeInfo);

/// What a [`Code`] points to: its name and summary.
#[derive(Debug)]
pub struct CodeInfo {
    name: &'static str,
    summary: &'static str,
}

impl CodeInfo {
    pub const fn new(name: &'static str, summary: &'static str) -> Self {
        CodeInfo { name, summary }
    }
}

impl Code {
    pub const fn new(info: &'static CodeInfo) -> Self {
        Code(info)
    }

    /// The name shown to users and written to JSON, e.g. `reg-open-failed`.
    pub const fn name(self) -> &'static str {
        self.0.name
    }

    /// What the code means, in one line.
    pub const fn summary(self) -> &'static str {
        self.0.summary
    }

    /// Whether the name is lower kebab case: ASCII lowercase letters and digits in words joined
    /// by single hyphens, starting with a letter.
    pub fn is_well_formed(self) -> bool {
        well_formed(self.name())
    }
}

fn well_formed(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Code {}

impl PartialOrd for Code {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Code {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl std::hash::Hash for Code {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_names_are_lower_kebab_case() {
        let ok = well_formed;
        assert!(ok("reg-open-failed"));
        assert!(ok("reg-utf8-bom"));
        assert!(ok("x"));
        for bad in [
            "", "-x", "x-", "x--y", "Reg-io", "reg_io", "reg io", "1reg", "reg-Io", "rég",
        ] {
            assert!(!ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_code_serialises_and_displays_as_its_name() {
        const C: Code = Code::new(&CodeInfo::new("reg-io", "the file cannot be read"));
        assert_eq!(C.to_string(), "reg-io");
        assert_eq!(serde_json::to_string(&C).unwrap(), r#""reg-io""#);
    }
}
