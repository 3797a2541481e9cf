//! What a process sees: WOW64 views (REG-3), the merged HKCR (REG-1, REG-2) and writes (REG-4).

use std::fmt;

use serde::Serialize;

use crate::name::{RegName, names_equal};
use crate::path::{Hive, KeyPath, Root};
use crate::tree::{KeyId, Registry};
use crate::value::Value;

/// The registry view of a process (REG-3). A 32-bit process on 64-bit Windows reads the 32-bit view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum View {
    /// The native view of a 64-bit process (or any process asking `KEY_WOW64_64KEY`).
    #[default]
    Bits64,
    /// The WOW64 view of a 32-bit process (or any process asking `KEY_WOW64_32KEY`).
    Bits32,
}

impl View {
    pub fn other(self) -> View {
        match self {
            View::Bits64 => View::Bits32,
            View::Bits32 => View::Bits64,
        }
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            View::Bits64 => "64-bit",
            View::Bits32 => "32-bit",
        })
    }
}

/// How HKEY_CLASSES_ROOT merges the machine and user halves (REG-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum MergeMode {
    /// Opening a key takes HKCU's copy when that exact key exists there, else HKLM's; enumeration
    /// is the union, HKCU's subkeys first. This is what the documentation's example shows.
    #[default]
    Union,
    /// The documented rule text (switch `hkcr-merge=strict`): once HKCU has a key at the merge
    /// level (a top-level key, or one level below the listed keys such as `CLSID`), HKLM's whole
    /// subtree under that key is hidden.
    Strict,
}

/// How a process reads the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Access {
    pub view: View,
    pub merge: MergeMode,
    /// Whether the per-user half of HKCR is seen. COM in an elevated process does not see it
    /// (REG-2); the CLR's own registry read does.
    pub user_classes: bool,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            view: View::Bits64,
            merge: MergeMode::Union,
            user_classes: true,
        }
    }
}

impl Access {
    pub fn new(view: View) -> Self {
        Access {
            view,
            ..Access::default()
        }
    }
}

/// Who is writing (REG-4): writes that land in HKLM, HKU or HKCC need administrator rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Writer {
    pub admin: bool,
}

/// Why a registry operation failed, with the Win32 error it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegError {
    /// ERROR_ACCESS_DENIED (5).
    AccessDenied { path: String },
    /// ERROR_FILE_NOT_FOUND (2).
    NotFound { path: String },
    /// ERROR_INVALID_PARAMETER (87): a key name cannot be empty.
    EmptyName,
    /// ERROR_INVALID_PARAMETER (87): a key name cannot contain a backslash.
    Backslash,
    /// ERROR_INVALID_PARAMETER (87).
    NameTooLong { limit: usize },
    /// ERROR_INVALID_PARAMETER (87): more than 512 levels.
    TooDeep,
    /// ERROR_ACCESS_DENIED (5): a root key cannot be deleted.
    CannotDeleteRoot,
}

impl RegError {
    pub fn win32_code(&self) -> u32 {
        match self {
            RegError::AccessDenied { .. } | RegError::CannotDeleteRoot => 5,
            RegError::NotFound { .. } => 2,
            _ => 87,
        }
    }
}

impl fmt::Display for RegError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegError::AccessDenied { path } => {
                write!(
                    f,
                    "access is denied to {path} (writing there needs administrator rights)"
                )
            }
            RegError::NotFound { path } => write!(f, "{path} does not exist"),
            RegError::EmptyName => f.write_str("a key name cannot be empty"),
            RegError::Backslash => f.write_str("a key name cannot contain a backslash"),
            RegError::NameTooLong { limit } => {
                write!(f, "the name is longer than {limit} characters")
            }
            RegError::TooDeep => f.write_str("keys cannot be nested more than 512 levels deep"),
            RegError::CannotDeleteRoot => f.write_str("a root key cannot be deleted"),
        }
    }
}

impl std::error::Error for RegError {}

/// A key as stored: its hive, its id and its physical path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Physical {
    pub hive: Hive,
    pub key: KeyId,
    pub components: Vec<String>,
}

impl Physical {
    /// The physical path, e.g. `HKEY_LOCAL_MACHINE\Software\Classes\Wow6432Node\CLSID\{…}`.
    pub fn path(&self) -> KeyPath {
        KeyPath::new(self.hive.root(), self.components.iter().cloned())
    }
}

/// A key opened through a view. Its values come from `primary`; in the merged HKCR its subkeys are
/// those of `primary` followed by those of `secondary` that `primary` does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenKey {
    pub path: KeyPath,
    pub primary: Physical,
    pub secondary: Option<Physical>,
}

/// Where a write through a view lands (REG-4).
pub type KeyTarget = Physical;

/// Subkeys of `Software\Classes` that WOW64 redirects on Windows 7 and later (REG-3, [docs S21]).
const REDIRECTED_CLASSES: [&str; 5] = [
    "CLSID",
    "Interface",
    "DirectShow",
    "Media Type",
    "MediaFoundation",
];
/// Keys under `Classes\Wow6432Node` that are links back to the shared key ([docs S21]).
const SHARED_CLASSES_LINKS: [&str; 3] = ["AppID", "TypeLib", "Protocols"];
/// Keys of HKCR whose immediate subkeys are the merge level (REG-1, [docs S19]).
const MERGED_ONE_LEVEL_DOWN: [&str; 28] = [
    "*",
    "*\\shellex",
    "*\\shellex\\ContextMenuHandlers",
    "*\\shellex\\PropertySheetHandlers",
    "AppID",
    "CLSID",
    "Component Categories",
    "Drive",
    "Drive\\shellex",
    "Drive\\shellex\\ContextMenuHandlers",
    "Drive\\shellex\\PropertySheetHandlers",
    "FileType",
    "Folder",
    "Folder\\shellex",
    "Folder\\shellex\\ColumnHandler",
    "Folder\\shellex\\ContextMenuHandlers",
    "Folder\\shellex\\ExtShellFolderViews",
    "Folder\\shellex\\PropertySheetHandlers",
    "Installer\\Components",
    "Installer\\Features",
    "Installer\\Products",
    "Interface",
    "Mime",
    "Mime\\Database",
    "Mime\\Database\\Charset",
    "Mime\\Database\\Codepage",
    "Mime\\Database\\Content Type",
    "TypeLib",
];

fn eq(a: &str, b: &str) -> bool {
    names_equal(a, b)
}

fn is_classes_prefix(c: &[String]) -> bool {
    c.len() >= 2 && eq(&c[0], "Software") && eq(&c[1], "Classes")
}

/// Maps a path below a hive to where it is stored, for a process in `view` (REG-3).
pub fn physical_components(hive: Hive, comps: &[String], view: View) -> Vec<String> {
    let mut c = comps.to_vec();
    // Links that exist in every view: HKLM\SOFTWARE\Wow6432Node\Classes is
    // HKLM\SOFTWARE\Classes\Wow6432Node, and Classes\Wow6432Node\{AppID,TypeLib,Protocols} are the
    // shared keys.
    if hive == Hive::LocalMachine
        && c.len() >= 3
        && eq(&c[0], "Software")
        && eq(&c[1], "Wow6432Node")
        && eq(&c[2], "Classes")
    {
        c.swap(1, 2);
    }
    let classes_hive = matches!(hive, Hive::LocalMachine | Hive::CurrentUser);
    if classes_hive
        && is_classes_prefix(&c)
        && c.len() >= 4
        && eq(&c[2], "Wow6432Node")
        && SHARED_CLASSES_LINKS.iter().any(|l| eq(l, &c[3]))
    {
        c.remove(2);
    }
    if view == View::Bits32 && classes_hive && c.len() >= 2 && eq(&c[0], "Software") {
        if eq(&c[1], "Classes") {
            if c.len() >= 3 && REDIRECTED_CLASSES.iter().any(|r| eq(r, &c[2])) {
                c.insert(2, "Wow6432Node".to_owned());
            }
        } else if hive == Hive::LocalMachine && !eq(&c[1], "Wow6432Node") {
            c.insert(1, "Wow6432Node".to_owned());
        }
    }
    c
}

/// How many components of an HKCR path (after an optional leading `Wow6432Node`) make up the key
/// at which the strict merge decides between HKCU and HKLM.
fn merge_level(comps: &[String]) -> usize {
    let skip = usize::from(comps.first().is_some_and(|c| eq(c, "Wow6432Node")));
    let rest = &comps[skip..];
    let listed = MERGED_ONE_LEVEL_DOWN
        .iter()
        .map(|l| l.split('\\').collect::<Vec<_>>())
        .filter(|l| l.len() <= rest.len() && l.iter().zip(rest).all(|(a, b)| eq(a, b)))
        .map(|l| l.len())
        .max()
        .unwrap_or(0);
    skip + listed + 1
}

fn classes_components(comps: &[String], hive: Hive, view: View) -> Vec<String> {
    let mut full = vec!["Software".to_owned(), "Classes".to_owned()];
    full.extend(comps.iter().cloned());
    physical_components(hive, &full, view)
}

impl Registry {
    fn physical(&self, hive: Hive, components: Vec<String>) -> Option<Physical> {
        let key = self.find(hive, &components)?;
        Some(Physical {
            hive,
            key,
            components,
        })
    }

    /// Opens a key as a process with `access` would (REG-1..REG-3).
    pub fn open(&self, path: &KeyPath, access: &Access) -> Option<OpenKey> {
        let (primary, secondary) = match path.root.hive() {
            Some(hive) => (
                self.physical(
                    hive,
                    physical_components(hive, &path.components, access.view),
                ),
                None,
            ),
            None => {
                let user = || {
                    self.physical(
                        Hive::CurrentUser,
                        classes_components(&path.components, Hive::CurrentUser, access.view),
                    )
                };
                let machine = || {
                    self.physical(
                        Hive::LocalMachine,
                        classes_components(&path.components, Hive::LocalMachine, access.view),
                    )
                };
                let level = merge_level(&path.components);
                let strict_owner =
                    access.merge == MergeMode::Strict && path.components.len() >= level;
                if strict_owner {
                    let item = &path.components[..level];
                    let user_has_item = access.user_classes
                        && self
                            .find(
                                Hive::CurrentUser,
                                &classes_components(item, Hive::CurrentUser, access.view),
                            )
                            .is_some();
                    (if user_has_item { user() } else { machine() }, None)
                } else {
                    let user = if access.user_classes { user() } else { None };
                    match (user, machine()) {
                        (Some(u), m) => (Some(u), m),
                        (None, m) => (m, None),
                    }
                }
            }
        };
        primary.map(|primary| OpenKey {
            path: path.clone(),
            primary,
            secondary,
        })
    }

    /// Subkey names of an opened key: the primary key's, then the secondary's that it lacks.
    pub fn open_subkeys(&self, key: &OpenKey) -> Vec<RegName> {
        let mut names: Vec<RegName> = self
            .subkeys(key.primary.key)
            .map(|(n, _)| n.clone())
            .collect();
        if let Some(sec) = &key.secondary {
            for (n, _) in self.subkeys(sec.key) {
                if self.child(key.primary.key, n.as_str()).is_none() {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    /// Reads one value through a view.
    pub fn query_value(
        &self,
        path: &KeyPath,
        name: &str,
        access: &Access,
    ) -> Option<(&Value, OpenKey)> {
        let key = self.open(path, access)?;
        let v = self.value(key.primary.key, name)?;
        Some((v, key))
    }

    /// Where a write to `path` lands (REG-4): for HKCR, HKCU's copy when the key exists there,
    /// else HKLM's, existing or new. Never creates anything.
    fn write_location(&self, path: &KeyPath, view: View) -> (Hive, Vec<String>) {
        match path.root.hive() {
            Some(hive) => (hive, physical_components(hive, &path.components, view)),
            None => {
                let user = classes_components(&path.components, Hive::CurrentUser, view);
                if self.find(Hive::CurrentUser, &user).is_some() {
                    (Hive::CurrentUser, user)
                } else {
                    (
                        Hive::LocalMachine,
                        classes_components(&path.components, Hive::LocalMachine, view),
                    )
                }
            }
        }
    }

    fn check_writer(hive: Hive, comps: &[String], writer: Writer) -> Result<(), RegError> {
        if hive != Hive::CurrentUser && !writer.admin {
            return Err(RegError::AccessDenied {
                path: KeyPath::new(hive.root(), comps.iter().cloned()).to_string(),
            });
        }
        Ok(())
    }

    /// Opens or creates a key for writing, as `RegCreateKeyEx(KEY_ALL_ACCESS)` would (REG-4).
    pub fn create_key(
        &mut self,
        path: &KeyPath,
        view: View,
        writer: Writer,
    ) -> Result<KeyTarget, RegError> {
        let (hive, comps) = self.write_location(path, view);
        Self::check_writer(hive, &comps, writer)?;
        let root = self.root(hive);
        let key = self.create_path(root, &comps)?;
        Ok(Physical {
            hive,
            key,
            components: comps,
        })
    }

    /// Opens an existing key for writing; `Ok(None)` if it does not exist.
    pub fn open_for_write(
        &self,
        path: &KeyPath,
        view: View,
        writer: Writer,
    ) -> Result<Option<KeyTarget>, RegError> {
        let (hive, comps) = self.write_location(path, view);
        let Some(key) = self.find(hive, &comps) else {
            return Ok(None);
        };
        Self::check_writer(hive, &comps, writer)?;
        Ok(Some(Physical {
            hive,
            key,
            components: comps,
        }))
    }

    /// Deletes a key and everything below it (`RegDeleteTree`); `Ok(false)` if it did not exist.
    /// Through HKCR this deletes the copy that opening the key would show (HKCU's if present).
    pub fn delete_tree(
        &mut self,
        path: &KeyPath,
        view: View,
        writer: Writer,
    ) -> Result<bool, RegError> {
        if path.components.is_empty() {
            return Err(RegError::CannotDeleteRoot);
        }
        let Some(target) = self.open_for_write(path, view, writer)? else {
            return Ok(false);
        };
        let Some(parent) = self.parent(target.key) else {
            return Err(RegError::CannotDeleteRoot);
        };
        let last = target.components.last().cloned().unwrap_or_default();
        Ok(self.delete_child_tree(parent, &last))
    }

    /// Sets a value on a key opened for writing.
    pub fn set_value_at(
        &mut self,
        target: &KeyTarget,
        name: &str,
        value: Value,
    ) -> Result<(), RegError> {
        self.set_value(target.key, name, value)
    }

    /// Convenience for tests and tools: create `path` and set one value.
    pub fn write_value(
        &mut self,
        path: &KeyPath,
        name: &str,
        value: Value,
        view: View,
        writer: Writer,
    ) -> Result<KeyTarget, RegError> {
        let target = self.create_key(path, view, writer)?;
        self.set_value_at(&target, name, value)?;
        Ok(target)
    }
}

impl Root {
    /// Whether paths under this root go through the merged classes view.
    pub fn is_merged(self) -> bool {
        self == Root::ClassesRoot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: Writer = Writer { admin: true };
    const USER: Writer = Writer { admin: false };

    fn p(s: &str) -> KeyPath {
        KeyPath::parse(s).unwrap()
    }

    fn phys(r: &Registry, s: &str, access: Access) -> Option<String> {
        r.open(&p(s), &access).map(|k| k.primary.path().to_string())
    }

    #[test]
    fn reg3_clsid_is_redirected_for_32_bit_processes_but_progids_are_shared() {
        let mut r = Registry::new();
        r.write_value(
            &p("HKCR\\CLSID\\{A}"),
            "",
            Value::sz("x"),
            View::Bits32,
            ADMIN,
        )
        .unwrap();
        r.write_value(
            &p("HKCR\\My.ProgId"),
            "",
            Value::sz("y"),
            View::Bits32,
            ADMIN,
        )
        .unwrap();
        assert_eq!(
            phys(&r, "HKCR\\CLSID\\{A}", Access::new(View::Bits32)).as_deref(),
            Some("HKEY_LOCAL_MACHINE\\Software\\Classes\\Wow6432Node\\CLSID\\{A}")
        );
        assert_eq!(
            phys(&r, "HKCR\\CLSID\\{A}", Access::new(View::Bits64)),
            None
        );
        assert_eq!(
            phys(&r, "HKCR\\My.ProgId", Access::new(View::Bits64)).as_deref(),
            Some("HKEY_LOCAL_MACHINE\\Software\\Classes\\My.ProgId")
        );
        // A 64-bit process can still read the 32-bit registration explicitly.
        assert!(
            r.open(
                &p("HKCR\\Wow6432Node\\CLSID\\{A}"),
                &Access::new(View::Bits64)
            )
            .is_some()
        );
    }

    #[test]
    fn reg3_wow6432node_links_land_in_the_other_view() {
        let mut r = Registry::new();
        r.write_value(
            &p("HKLM\\SOFTWARE\\Wow6432Node\\Classes\\CLSID\\{B}"),
            "",
            Value::sz("x"),
            View::Bits64,
            ADMIN,
        )
        .unwrap();
        assert!(
            r.open(&p("HKCR\\CLSID\\{B}"), &Access::new(View::Bits32))
                .is_some()
        );
        r.write_value(
            &p("HKCR\\Wow6432Node\\TypeLib\\{C}"),
            "",
            Value::sz("t"),
            View::Bits64,
            ADMIN,
        )
        .unwrap();
        assert!(
            r.open(&p("HKCR\\TypeLib\\{C}"), &Access::new(View::Bits64))
                .is_some()
        );
        r.write_value(
            &p("HKLM\\Software\\Vendor"),
            "v",
            Value::dword(1),
            View::Bits32,
            ADMIN,
        )
        .unwrap();
        assert!(
            r.open(
                &p("HKLM\\Software\\Wow6432Node\\Vendor"),
                &Access::new(View::Bits64)
            )
            .is_some()
        );
    }

    #[test]
    fn reg1_user_key_wins_and_enumeration_is_the_union_user_first() {
        let mut r = Registry::new();
        r.write_value(
            &p("HKLM\\Software\\Classes\\CLSID\\{4}\\InprocServer32"),
            "",
            Value::sz("m.dll"),
            View::Bits64,
            ADMIN,
        )
        .unwrap();
        r.create_key(
            &p("HKLM\\Software\\Classes\\CLSID\\{4}\\LocalServer32"),
            View::Bits64,
            ADMIN,
        )
        .unwrap();
        r.write_value(
            &p("HKCU\\Software\\Classes\\CLSID\\{4}\\LocalServer"),
            "",
            Value::sz("u.exe"),
            View::Bits64,
            USER,
        )
        .unwrap();
        let a = Access::default();
        let k = r.open(&p("HKCR\\CLSID\\{4}"), &a).unwrap();
        assert_eq!(k.primary.hive, Hive::CurrentUser);
        let names: Vec<_> = r
            .open_subkeys(&k)
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect();
        assert_eq!(names, ["LocalServer", "InprocServer32", "LocalServer32"]);
        // InprocServer32 exists only in HKLM: the union view still opens it.
        assert_eq!(
            r.open(&p("HKCR\\CLSID\\{4}\\InprocServer32"), &a)
                .unwrap()
                .primary
                .hive,
            Hive::LocalMachine
        );
    }

    #[test]
    fn reg1_strict_merge_hides_the_machine_subtree_under_a_duplicated_key() {
        let mut r = Registry::new();
        r.create_key(
            &p("HKLM\\Software\\Classes\\CLSID\\{4}\\InprocServer32"),
            View::Bits64,
            ADMIN,
        )
        .unwrap();
        r.create_key(
            &p("HKCU\\Software\\Classes\\CLSID\\{4}\\LocalServer"),
            View::Bits64,
            USER,
        )
        .unwrap();
        r.create_key(
            &p("HKLM\\Software\\Classes\\CLSID\\{5}"),
            View::Bits64,
            ADMIN,
        )
        .unwrap();
        let strict = Access {
            merge: MergeMode::Strict,
            ..Access::default()
        };
        assert!(
            r.open(&p("HKCR\\CLSID\\{4}\\InprocServer32"), &strict)
                .is_none()
        );
        let k = r.open(&p("HKCR\\CLSID\\{4}"), &strict).unwrap();
        assert_eq!(r.open_subkeys(&k).len(), 1);
        // Other CLSIDs stay visible: CLSID is merged one level down.
        assert!(r.open(&p("HKCR\\CLSID\\{5}"), &strict).is_some());
        let clsid = r.open(&p("HKCR\\CLSID"), &strict).unwrap();
        assert_eq!(r.open_subkeys(&clsid).len(), 2);
    }

    #[test]
    fn reg2_elevated_com_reads_ignore_user_classes() {
        let mut r = Registry::new();
        r.create_key(
            &p("HKCU\\Software\\Classes\\CLSID\\{6}"),
            View::Bits64,
            USER,
        )
        .unwrap();
        let elevated = Access {
            user_classes: false,
            ..Access::default()
        };
        assert!(r.open(&p("HKCR\\CLSID\\{6}"), &elevated).is_none());
        assert!(r.open(&p("HKCR\\CLSID\\{6}"), &Access::default()).is_some());
    }

    #[test]
    fn reg4_new_keys_through_hkcr_go_to_hklm_and_need_admin() {
        let mut r = Registry::new();
        let err = r
            .create_key(&p("HKCR\\CLSID\\{7}"), View::Bits64, USER)
            .unwrap_err();
        assert_eq!(err.win32_code(), 5);
        assert!(
            err.to_string()
                .contains("HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{7}")
        );
        let t = r
            .create_key(&p("HKCR\\CLSID\\{7}"), View::Bits64, ADMIN)
            .unwrap();
        assert_eq!(t.hive, Hive::LocalMachine);
    }

    #[test]
    fn reg4_values_into_a_key_that_exists_under_hkcu_go_to_hkcu() {
        let mut r = Registry::new();
        r.create_key(
            &p("HKCU\\Software\\Classes\\CLSID\\{8}"),
            View::Bits64,
            USER,
        )
        .unwrap();
        let t = r
            .write_value(
                &p("HKCR\\CLSID\\{8}"),
                "x",
                Value::dword(1),
                View::Bits64,
                USER,
            )
            .unwrap();
        assert_eq!(t.hive, Hive::CurrentUser);
        assert!(
            r.query_value(
                &p("HKCU\\Software\\Classes\\CLSID\\{8}"),
                "x",
                &Access::default()
            )
            .is_some()
        );
    }

    #[test]
    fn deleting_through_hkcr_removes_the_visible_copy() {
        let mut r = Registry::new();
        r.create_key(&p("HKLM\\Software\\Classes\\X"), View::Bits64, ADMIN)
            .unwrap();
        r.create_key(&p("HKCU\\Software\\Classes\\X"), View::Bits64, USER)
            .unwrap();
        assert_eq!(r.delete_tree(&p("HKCR\\X"), View::Bits64, USER), Ok(true));
        assert_eq!(
            r.open(&p("HKCR\\X"), &Access::default())
                .unwrap()
                .primary
                .hive,
            Hive::LocalMachine
        );
        assert!(r.delete_tree(&p("HKCR\\X"), View::Bits64, USER).is_err());
        assert_eq!(
            r.delete_tree(&p("HKCR"), View::Bits64, ADMIN),
            Err(RegError::CannotDeleteRoot)
        );
    }
}
