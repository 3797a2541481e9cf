//! Root keys, hives and key paths.

use std::fmt;

use serde::Serialize;

/// A predefined root key as it appears at the start of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Root {
    ClassesRoot,
    CurrentUser,
    LocalMachine,
    Users,
    CurrentConfig,
}

impl Root {
    pub const ALL: [Root; 5] = [
        Root::LocalMachine,
        Root::Users,
        Root::ClassesRoot,
        Root::CurrentConfig,
        Root::CurrentUser,
    ];

    pub fn full_name(self) -> &'static str {
        match self {
            Root::ClassesRoot => "HKEY_CLASSES_ROOT",
            Root::CurrentUser => "HKEY_CURRENT_USER",
            Root::LocalMachine => "HKEY_LOCAL_MACHINE",
            Root::Users => "HKEY_USERS",
            Root::CurrentConfig => "HKEY_CURRENT_CONFIG",
        }
    }

    pub fn short_name(self) -> &'static str {
        match self {
            Root::ClassesRoot => "HKCR",
            Root::CurrentUser => "HKCU",
            Root::LocalMachine => "HKLM",
            Root::Users => "HKU",
            Root::CurrentConfig => "HKCC",
        }
    }

    /// A full root name, case-insensitively, as regedit's importer accepts them.
    pub fn from_full_name(s: &str) -> Option<Root> {
        Root::ALL
            .into_iter()
            .find(|r| r.full_name().eq_ignore_ascii_case(s))
    }

    /// A full or short root name, case-insensitively, as `reg.exe` accepts them.
    pub fn from_any_name(s: &str) -> Option<Root> {
        Root::ALL.into_iter().find(|r| {
            r.full_name().eq_ignore_ascii_case(s) || r.short_name().eq_ignore_ascii_case(s)
        })
    }

    /// The hive a non-merged root lives in; `None` for HKEY_CLASSES_ROOT, which is a view.
    pub fn hive(self) -> Option<Hive> {
        match self {
            Root::ClassesRoot => None,
            Root::CurrentUser => Some(Hive::CurrentUser),
            Root::LocalMachine => Some(Hive::LocalMachine),
            Root::Users => Some(Hive::Users),
            Root::CurrentConfig => Some(Hive::CurrentConfig),
        }
    }
}

impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.full_name())
    }
}

/// A stored hive. HKEY_CLASSES_ROOT is not one: it is assembled from the `Software\Classes` keys of
/// HKEY_LOCAL_MACHINE and HKEY_CURRENT_USER (REG-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Hive {
    LocalMachine,
    CurrentUser,
    Users,
    CurrentConfig,
}

impl Hive {
    pub const ALL: [Hive; 4] = [
        Hive::LocalMachine,
        Hive::CurrentUser,
        Hive::Users,
        Hive::CurrentConfig,
    ];

    pub fn root(self) -> Root {
        match self {
            Hive::LocalMachine => Root::LocalMachine,
            Hive::CurrentUser => Root::CurrentUser,
            Hive::Users => Root::Users,
            Hive::CurrentConfig => Root::CurrentConfig,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Hive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root().full_name())
    }
}

/// A key path: a root and the names below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct KeyPath {
    pub root: Root,
    pub components: Vec<String>,
}

/// Why a path string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    Empty,
    UnknownRoot(String),
    EmptyComponent,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("the key path is empty"),
            PathError::UnknownRoot(r) => write!(
                f,
                "`{r}` is not a root key; expected one of HKLM, HKCU, HKCR, HKU, HKCC or their full names"
            ),
            PathError::EmptyComponent => {
                f.write_str("the key path has an empty name between two backslashes")
            }
        }
    }
}

impl std::error::Error for PathError {}

impl KeyPath {
    pub fn new<S: Into<String>>(root: Root, components: impl IntoIterator<Item = S>) -> Self {
        KeyPath {
            root,
            components: components.into_iter().map(Into::into).collect(),
        }
    }

    /// Parses `ROOT\a\b` with a full or short root name. One trailing backslash is allowed.
    pub fn parse(s: &str) -> Result<KeyPath, PathError> {
        let s = s.strip_suffix('\\').unwrap_or(s);
        if s.is_empty() {
            return Err(PathError::Empty);
        }
        let mut parts = s.split('\\');
        let root_name = parts.next().unwrap_or_default();
        let root = Root::from_any_name(root_name)
            .ok_or_else(|| PathError::UnknownRoot(root_name.to_owned()))?;
        let components: Vec<String> = parts.map(str::to_owned).collect();
        if components.iter().any(String::is_empty) {
            return Err(PathError::EmptyComponent);
        }
        Ok(KeyPath { root, components })
    }

    pub fn join(&self, name: &str) -> KeyPath {
        let mut p = self.clone();
        p.components.push(name.to_owned());
        p
    }

    /// Whether `self` is `other` or lies below it (names compared as the registry does).
    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.root == other.root
            && self.components.len() >= other.components.len()
            && self
                .components
                .iter()
                .zip(&other.components)
                .all(|(a, b)| crate::name::names_equal(a, b))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root.full_name())?;
        for c in &self.components {
            f.write_str("\\")?;
            f.write_str(c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_and_full_roots() {
        let p = KeyPath::parse("hklm\\Software\\Classes\\").unwrap();
        assert_eq!(p.root, Root::LocalMachine);
        assert_eq!(p.components, ["Software", "Classes"]);
        assert_eq!(p.to_string(), "HKEY_LOCAL_MACHINE\\Software\\Classes");
        assert_eq!(
            KeyPath::parse("HKEY_CLASSES_ROOT")
                .unwrap()
                .components
                .len(),
            0
        );
    }

    #[test]
    fn rejects_unknown_roots_and_empty_names() {
        assert_eq!(
            KeyPath::parse("HKXX\\a"),
            Err(PathError::UnknownRoot("HKXX".into()))
        );
        assert_eq!(
            KeyPath::parse("HKCU\\a\\\\b"),
            Err(PathError::EmptyComponent)
        );
    }
}
