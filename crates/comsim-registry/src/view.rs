//! What a process sees: WOW64 views (REG-3), the merged HKCR (REG-1, REG-2) and writes (REG-4).

use std::fmt;

use serde::Serialize;

use crate::name::{RegName, names_equal};
use crate::path::{Hive, KeyPath, Root};
use crate::tree::{KeyId, Registry, Stamp};
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
    /// This access in its own view, then the same access in the other view (REG-3): the order
    /// in which COM looks for an out-of-process server and the CLR for a LocalServer32
    /// registration.
    pub fn both_views(self) -> [Access; 2] {
        [
            self,
            Access {
                view: self.view.other(),
                ..self
            },
        ]
    }

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

/// A key opened through a view, by ids only: what reading it needs of an [`OpenKey`], without
/// its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenIds {
    /// The hive of `primary`.
    pub hive: Hive,
    pub primary: KeyId,
    pub secondary: Option<KeyId>,
}

impl OpenKey {
    pub fn ids(&self) -> OpenIds {
        OpenIds {
            hive: self.primary.hive,
            primary: self.primary.key,
            secondary: self.secondary.as_ref().map(|s| s.key),
        }
    }
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

/// Whether `name` is the ASCII name `literal` as the registry compares names. Mostly decided by
/// the lengths: an ASCII name of another length is another name (every lookup compares a few
/// components with the names REG-1 and REG-3 single out).
fn is(name: &str, literal: &str) -> bool {
    debug_assert!(literal.is_ascii());
    // No character outside ASCII upper-cases into ASCII (`upcase`; `ı` stays `ı`), so a name
    // equal to an ASCII one is ASCII too, of the same length.
    name.len() == literal.len()
        && crate::name::same_up_to_ascii_case(name.as_bytes(), literal.as_bytes())
}

fn is_classes_prefix<S: AsRef<str>>(c: &[S]) -> bool {
    c.len() >= 2 && eq(c[0].as_ref(), "Software") && eq(c[1].as_ref(), "Classes")
}

/// Maps a path below a hive to where it is stored, for a process in `view` (REG-3).
pub fn physical_components(hive: Hive, comps: &[String], view: View) -> Vec<String> {
    let names: Vec<&str> = comps.iter().map(String::as_str).collect();
    let mut layout = Vec::with_capacity(names.len() + 1);
    physical_layout(hive, &names, view, &mut layout);
    layout.into_iter().map(str::to_owned).collect()
}

/// [`physical_components`] on borrowed names, into `c` (which is cleared first).
fn physical_layout<'a>(hive: Hive, comps: &[&'a str], view: View, c: &mut Vec<&'a str>) {
    c.clear();
    c.extend_from_slice(comps);
    map_in_place(hive, view, c);
}

/// [`physical_layout`] of the names already in `c`.
fn map_in_place(hive: Hive, view: View, c: &mut Vec<&str>) {
    // Only `HKLM\Software\…` and `HKCU\Software\…` are mapped: each name below is compared once
    // (every lookup comes here).
    if !matches!(hive, Hive::LocalMachine | Hive::CurrentUser)
        || c.is_empty()
        || !is(c[0], "Software")
    {
        return;
    }
    let at = |c: &[&str], i: usize, name: &str| c.get(i).is_some_and(|x| is(x, name));
    let mut classes = at(c, 1, "Classes");
    let mut wow = !classes && at(c, 1, "Wow6432Node");
    // Links that exist in every view: HKLM\SOFTWARE\Wow6432Node\Classes is
    // HKLM\SOFTWARE\Classes\Wow6432Node, and Classes\Wow6432Node\{AppID,TypeLib,Protocols} are the
    // shared keys.
    if hive == Hive::LocalMachine && wow && at(c, 2, "Classes") {
        c.swap(1, 2);
        (classes, wow) = (true, false);
    }
    if classes
        && c.len() >= 4
        && is(c[2], "Wow6432Node")
        && SHARED_CLASSES_LINKS.iter().any(|l| is(c[3], l))
    {
        c.remove(2);
    }
    if view == View::Bits32 {
        if classes {
            if c.len() >= 3 && redirected_in(view, c[2]) {
                c.insert(2, "Wow6432Node");
            }
        } else if hive == Hive::LocalMachine && !wow && c.len() >= 2 {
            c.insert(1, "Wow6432Node");
        }
    }
}

/// Whether the view stores `Software\Classes\X` as `Software\Classes\Wow6432Node\X` (REG-3):
/// the 32-bit view, for the keys WOW64 redirects.
fn redirected_in(view: View, x: &str) -> bool {
    view == View::Bits32 && REDIRECTED_CLASSES.iter().any(|r| is(x, r))
}

/// How many components of an HKCR path (after an optional leading `Wow6432Node`) make up the key
/// at which the strict merge decides between HKCU and HKLM.
fn merge_level(comps: &[String]) -> usize {
    let skip = usize::from(comps.first().is_some_and(|c| is(c, "Wow6432Node")));
    let rest = &comps[skip..];
    // The listed path that is a prefix of `rest` with the most components; compared part by
    // part without collecting (every HKCR open comes here: `comsim audit` opens millions). The
    // list keeps paths with the same first part together, so a first part that does not match is
    // compared once for its group.
    let mut failed_head: Option<&str> = None;
    let mut prefix_len = |listed: &'static str| {
        let mut parts = listed.split('\\');
        let head = parts.next().unwrap_or_default();
        if failed_head == Some(head) || !rest.first().is_some_and(|c| is(c, head)) {
            failed_head = Some(head);
            return None;
        }
        let mut n = 1;
        for part in parts {
            if !rest.get(n).is_some_and(|c| is(c, part)) {
                return None;
            }
            n += 1;
        }
        Some(n)
    };
    let listed = MERGED_ONE_LEVEL_DOWN
        .iter()
        .filter_map(|l| prefix_len(l))
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
    /// The key stored where `comps` (a path below `hive`, the classes prefix `Software\Classes`
    /// first when `classes`) lands in `view` (REG-3). Works on borrowed names; the stored path
    /// is made only for a key that exists.
    fn physical(
        &self,
        hive: Hive,
        classes: bool,
        comps: &[String],
        view: View,
    ) -> Option<Physical> {
        let (key, layout) = self.locate(hive, classes, comps, view)?;
        Some(Physical {
            hive,
            key,
            components: layout.into_iter().map(str::to_owned).collect(),
        })
    }

    /// [`Registry::physical`]'s key and stored path, borrowed.
    fn locate<'a>(
        &self,
        hive: Hive,
        classes: bool,
        comps: &'a [String],
        view: View,
    ) -> Option<(KeyId, Vec<&'a str>)> {
        // One buffer: the classes prefix and the names, mapped where they are.
        let mut layout: Vec<&str> = Vec::with_capacity(comps.len() + 3);
        if classes {
            layout.extend(["Software", "Classes"]);
        }
        layout.extend(comps.iter().map(String::as_str));
        map_in_place(hive, view, &mut layout);
        Some((self.find(hive, &layout)?, layout))
    }

    /// Opens a key as a process with `access` would (REG-1..REG-3).
    pub fn open(&self, path: &KeyPath, access: &Access) -> Option<OpenKey> {
        let (primary, secondary) = self.open_with(path, access, |hive, classes| {
            self.physical(hive, classes, &path.components, access.view)
        })?;
        Some(OpenKey {
            path: path.clone(),
            primary,
            secondary,
        })
    }

    /// [`Registry::open`]'s key ids, without the paths it copies: for readers that only read
    /// the key's values and subkeys.
    /// The thread's last few opens answer a repeated one (`recent_opens.rs`).
    pub fn open_ids(&self, path: &KeyPath, access: &Access) -> Option<OpenIds> {
        crate::recent_opens::open_ids(self, path, access, || {
            let (primary, secondary) = self.open_with(path, access, |hive, classes| {
                self.locate(hive, classes, &path.components, access.view)
                    .map(|(key, _)| (hive, key))
            })?;
            Some(OpenIds {
                hive: primary.0,
                primary: primary.1,
                secondary: secondary.map(|(_, key)| key),
            })
        })
    }

    /// The value `name` of the key at `path`, as [`Registry::query_value`] reads it, without
    /// the opened key.
    pub fn value_at(&self, path: &KeyPath, name: &str, access: &Access) -> Option<&Value> {
        self.value(self.open_ids(path, access)?.primary, name)
    }

    /// REG-1..REG-3's choice of the key(s) `path` opens, each found by `at(hive, below
    /// Software\Classes)`: the primary key, and for HKCR under the union merge the machine's
    /// key behind the user's.
    fn open_with<T>(
        &self,
        path: &KeyPath,
        access: &Access,
        at: impl Fn(Hive, bool) -> Option<T>,
    ) -> Option<(T, Option<T>)> {
        let comps = &path.components;
        let (primary, secondary) = match path.root.hive() {
            Some(hive) => (at(hive, false), None),
            None => {
                let user = || at(Hive::CurrentUser, true);
                let machine = || at(Hive::LocalMachine, true);
                let strict_level = (access.merge == MergeMode::Strict)
                    .then(|| merge_level(comps))
                    .filter(|level| comps.len() >= *level);
                if let Some(level) = strict_level {
                    let item = &comps[..level];
                    let user_has_item = access.user_classes
                        && self
                            .locate(Hive::CurrentUser, true, item, access.view)
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
        Some((primary?, secondary))
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

    /// Subkey names of a key opened as `ids`, in [`Registry::open_subkeys`]' order, borrowed.
    pub fn open_subkey_names(&self, ids: OpenIds) -> Vec<&RegName> {
        let mut names: Vec<&RegName> = self.subkeys(ids.primary).map(|(n, _)| n).collect();
        if let Some(sec) = ids.secondary {
            for (n, _) in self.subkeys(sec) {
                if self.child(ids.primary, n.as_str()).is_none() {
                    names.push(n);
                }
            }
        }
        names
    }

    /// What [`Registry::open`] gives for the subkey `name` of the key at `root\components`
    /// (opened through `access` as `parent`), found from the parent's ids: `Some(None)` when it
    /// does not exist. That is possible where the view maps every path below the parent alike
    /// (REG-3's mapping looks at the first four components only) and, for HKCR, under the union
    /// merge (REG-1); elsewhere it is `None`, and the caller opens the path.
    pub fn open_child(
        &self,
        root: Root,
        components: &[&str],
        parent: OpenIds,
        name: &str,
        access: &Access,
    ) -> Option<Option<OpenIds>> {
        child_decidable(root, components, access).then(|| self.child_ids(root, parent, name))
    }

    /// [`Registry::open_ids`] of `path\name`, where `parent` is what `open_ids(path, access)`
    /// gave: from the parent's ids where [`Registry::open_child`] can, else by opening the path.
    /// A key of `HKEY_CURRENT_USER` found from its parent is not counted again by the witness
    /// (`witness.rs`): opening the parent found and counted one already.
    pub fn open_ids_child(
        &self,
        path: &KeyPath,
        parent: OpenIds,
        name: &str,
        access: &Access,
    ) -> Option<OpenIds> {
        if child_decidable(path.root, &path.components, access) {
            self.child_ids(path.root, parent, name)
        } else {
            self.open_ids(&path.join(name), access)
        }
    }

    /// [`Registry::open_child`]'s answer where it is decidable.
    fn child_ids(&self, root: Root, parent: OpenIds, name: &str) -> Option<OpenIds> {
        let single = |hive: Hive, key: Option<KeyId>| {
            key.map(|primary| OpenIds {
                hive,
                primary,
                secondary: None,
            })
        };
        let child = |k: KeyId| self.child(k, name);
        match (root.hive(), parent.hive) {
            // The merged view with the user's half present: the user's subkey first.
            (None, Hive::CurrentUser) => {
                let machine = parent.secondary.and_then(child);
                match child(parent.primary) {
                    Some(user) => Some(OpenIds {
                        hive: Hive::CurrentUser,
                        primary: user,
                        secondary: machine,
                    }),
                    None => single(Hive::LocalMachine, machine),
                }
            }
            (_, hive) => single(hive, child(parent.primary)),
        }
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

/// Remembers the keys that [`Registry::create_key_near`] last walked through, so that the next key
/// near them (a sibling or a child, as consecutive key lines of a .reg file usually are) is reached
/// by comparing a few names instead of searching down from the hive's root.
///
/// A cursor works with any registry: it starts afresh when it is handed a registry other than the
/// one it last saw, or one whose keys were created or deleted by anything else since.
#[derive(Debug, Clone, Default)]
pub struct KeyCursor {
    /// The registry's stamp just after the last call; `None` before the first.
    stamp: Option<Stamp>,
    /// The last call's path, when it succeeded.
    last: Option<LastKey>,
    /// The physical path of the last key opened.
    target: Trail,
    /// For HKEY_CLASSES_ROOT paths: as much of the last path's HKCU half as exists.
    user: Trail,
    /// The general walk's two lists of names, kept empty between calls so that a walk does not
    /// allocate them (two allocations and frees per key line of a file in random order).
    spare: [Vec<&'static str>; 2],
}

/// An empty vector with `v`'s allocation, for names that live as long as something else: a
/// vector of references collected from an emptied one of the same size reuses its memory.
fn reuse<'b>(mut v: Vec<&str>) -> Vec<&'b str> {
    v.clear();
    v.into_iter().map(|_| "").collect()
}

#[derive(Debug, Clone)]
struct LastKey {
    root: Root,
    view: View,
    hive: Hive,
    /// The key opened.
    key: KeyId,
    /// The components as given, below the root.
    names: Names,
    /// For HKEY_CLASSES_ROOT paths, how many components the HKCU half has.
    user_len: usize,
    /// Whether the first two names are `Software\Classes` (a path of HKLM or HKCU that shares
    /// them is mapped by its third name, [`layout_closed`]), decided once per walk rather than at
    /// every key line of a file.
    classes: bool,
}

impl LastKey {
    /// [`layout_closed`] for the first three of `names`, a path of `hive` that shares its first
    /// two names byte for byte with this one.
    fn closed_at_third(&self, hive: Hive, names: &[&str]) -> bool {
        let closed = self.classes
            && matches!(hive, Hive::LocalMachine | Hive::CurrentUser)
            && !is(names[2], "Wow6432Node");
        debug_assert_eq!(closed, layout_closed(hive, &names[..3]));
        closed
    }
}

/// A list of names in one string: `ends[i]` is where the `i`th ends.
#[derive(Debug, Clone, Default)]
struct Names {
    text: String,
    ends: Vec<usize>,
}

impl Names {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    fn truncate(&mut self, n: usize) {
        self.ends.truncate(n);
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len());
    }

    fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let name = &self.text[start..end];
            start = end;
            name
        })
    }

    /// How many leading names are byte for byte those of `path`.
    fn same_prefix(&self, path: &[&str]) -> usize {
        self.iter().zip(path).take_while(|(a, b)| a == *b).count()
    }
}

/// Existing keys on a path from a hive's root: their names as last spelled, and their ids.
#[derive(Debug, Clone, Default)]
struct Trail {
    hive: Option<Hive>,
    names: Names,
    ids: Vec<KeyId>,
}

impl KeyCursor {
    /// Where the last [`Registry::create_key_near`] opened its key, as `create_key` reports it;
    /// `None` if it failed.
    pub fn target(&self) -> Option<KeyTarget> {
        let last = self.last.as_ref()?;
        Some(Physical {
            hive: last.hive,
            key: last.key,
            components: self.target.names.iter().map(str::to_owned).collect(),
        })
    }
}

impl Trail {
    fn reset(&mut self) {
        self.hive = None;
        self.truncate(0);
    }

    fn truncate(&mut self, n: usize) {
        self.ids.truncate(n);
        self.names.truncate(n);
    }

    fn push(&mut self, name: &str, id: KeyId) {
        self.names.push(name);
        self.ids.push(id);
    }

    fn last(&self, reg: &Registry, hive: Hive) -> KeyId {
        self.ids.last().copied().unwrap_or_else(|| reg.root(hive))
    }

    /// Keeps the keys that `path` shares with the trail, respelled as `path` spells them; returns
    /// how many that is.
    fn shared(&mut self, hive: Hive, path: &[&str]) -> usize {
        if self.hive != Some(hive) {
            self.hive = Some(hive);
            self.truncate(0);
        }
        let same = self.names.same_prefix(path);
        let shared = self.ids.len().min(path.len());
        let mut n = same;
        while n < shared && names_equal(self.names.get(n), path[n]) {
            n += 1;
        }
        self.ids.truncate(n);
        self.names.truncate(same);
        for name in &path[same..n] {
            self.names.push(name);
        }
        n
    }

    /// Follows `path` down from the root of `hive` as far as its keys exist, reusing the part it
    /// shares with the previous walk. Returns how many components exist.
    fn walk(&mut self, reg: &Registry, hive: Hive, path: &[&str]) -> usize {
        let n = self.shared(hive, path);
        self.descend(reg, hive, &path[n..]);
        self.ids.len()
    }

    /// Follows `names` down from the trail's last key as far as they exist.
    fn descend(&mut self, reg: &Registry, hive: Hive, names: &[&str]) {
        let mut id = self.last(reg, hive);
        for name in names {
            match reg.child(id, name) {
                Some(c) => {
                    self.push(name, c);
                    id = c;
                }
                None => break,
            }
        }
    }

    /// Opens or creates `names` below the trail's last key, as [`Registry::create_path`] does.
    fn create(
        &mut self,
        reg: &mut Registry,
        hive: Hive,
        names: &[&str],
    ) -> Result<KeyId, RegError> {
        let mut id = self.last(reg, hive);
        for name in names {
            id = reg.create_child(id, name)?;
            self.push(name, id);
        }
        Ok(id)
    }
}

/// [`physical_layout`] reads and rewrites only the first this many components: a longer path maps
/// to the mapping of its first four components followed by the rest unchanged.
const LAYOUT_PREFIX: usize = 4;

/// Whether `physical_layout(hive, p ++ rest)` is `physical_layout(hive, p) ++ rest` for every `rest`:
/// `p` has [`LAYOUT_PREFIX`] components, or it is `Software\Classes\X` in a classes hive, where
/// the rules look past `X` only when `X` is `Wow6432Node`.
fn layout_closed<S: AsRef<str>>(hive: Hive, p: &[S]) -> bool {
    p.len() >= LAYOUT_PREFIX
        || (matches!(hive, Hive::LocalMachine | Hive::CurrentUser)
            && p.len() == 3
            && is_classes_prefix(p)
            && !eq(p[2].as_ref(), "Wow6432Node"))
}

/// Whether the subkeys of the key at `root\components` are opened from its ids (the view maps
/// every path below it alike and, for HKCR, the union merge decides each level by itself).
fn child_decidable<S: AsRef<str>>(root: Root, components: &[S], access: &Access) -> bool {
    match root.hive() {
        Some(hive) => layout_closed(hive, components),
        None => {
            access.merge == MergeMode::Union
                && match components {
                    [] => false,
                    [x] => classes_child_closed(x.as_ref()),
                    _ => true,
                }
        }
    }
}

/// [`layout_closed`] for `Software\Classes\X`, which is the same in HKLM and HKCU.
fn classes_child_closed(x: &str) -> bool {
    let closed = !eq(x, "Wow6432Node");
    debug_assert!(
        [Hive::CurrentUser, Hive::LocalMachine]
            .into_iter()
            .all(|h| layout_closed(h, &["Software", "Classes", x]) == closed)
    );
    closed
}

impl Registry {
    /// [`Registry::create_key`] for the key `components` below `root`, with `cursor` remembering
    /// the walk so that a key next to the previous one costs a few name comparisons. The key, the
    /// errors and the changes to the registry are those of `create_key`; [`KeyCursor::target`]
    /// tells where the key is.
    pub fn create_key_near(
        &mut self,
        cursor: &mut KeyCursor,
        root: Root,
        components: &[&str],
        view: View,
        writer: Writer,
    ) -> Result<KeyId, RegError> {
        let stamp = self.stamp();
        if cursor.stamp != Some(stamp) {
            cursor.last = None;
            if cursor
                .stamp
                .is_none_or(|s| s.instance != stamp.instance || s.deletions != stamp.deletions)
            {
                // Remembered ids may be stale.
                cursor.target.reset();
                cursor.user.reset();
            }
        }
        let result = self
            .create_near_fast(cursor, root, components, view, writer)
            .unwrap_or_else(|| self.create_near_walk(cursor, root, components, view, writer));
        cursor.stamp = Some(self.stamp());
        let hive = match result {
            Ok(hive) => hive,
            Err(e) => {
                cursor.last = None;
                return Err(e);
            }
        };
        let key = cursor.target.last(self, hive);
        if let Some(last) = cursor.last.as_mut() {
            last.key = key;
        }
        Ok(key)
    }

    /// The fast way, when the path shares enough of the previous one that its physical path is the
    /// previous one's with a different end. `None` when it cannot be used.
    fn create_near_fast(
        &mut self,
        cursor: &mut KeyCursor,
        root: Root,
        names: &[&str],
        view: View,
        writer: Writer,
    ) -> Option<Result<Hive, RegError>> {
        let last = cursor.last.as_mut()?;
        if last.root != root || last.view != view {
            return None;
        }
        let common = last.names.same_prefix(names);
        // HKCR paths are below `Software\Classes`. The physical paths of the old and the new key
        // share the mapping of their common part when it is closed (in both halves, for HKCR).
        let prefix = if root.hive().is_none() { 2 } else { 0 };
        let closed = match (prefix + common, root.hive()) {
            (n, _) if n >= LAYOUT_PREFIX => true,
            (3, None) => classes_child_closed(names[0]),
            (3, Some(hive)) => last.closed_at_third(hive, names),
            // Only `Software\Classes` shared: `create_classes_child` below.
            (2, Some(hive)) => names.len() > 2 && last.closed_at_third(hive, names),
            _ => false,
        };
        if !closed {
            return None;
        }
        let dropped = last.names.len() - common;
        let hive = match root.hive() {
            Some(hive) => hive,
            // The HKCU half does not exist when a key it shares with the previous path is missing
            // (nothing was created since: the stamp is unchanged, and the previous key went to HKLM).
            None if last.hive == Hive::LocalMachine
                && cursor.user.ids.len() < last.user_len - dropped =>
            {
                Hive::LocalMachine
            }
            None => return None,
        };
        if hive != Hive::CurrentUser && !writer.admin {
            return None;
        }
        if prefix + common == 2 {
            return Some(self.create_classes_child(cursor, hive, names, view));
        }
        let keep = cursor.target.ids.len() - dropped;
        cursor.target.truncate(keep);
        let fresh = &names[common..];
        last.names.truncate(common);
        if prefix > 0 {
            last.user_len = last.user_len - dropped + fresh.len();
        }
        for name in fresh {
            last.names.push(name);
        }
        Some(cursor.target.create(self, hive, fresh).map(|_| hive))
    }

    /// The fast way for a key of `HKLM` or `HKCU` whose path shares only `Software\Classes` with
    /// the previous one (most key lines of a classes export in random order): every path below
    /// `Software\Classes` is stored below the same two keys, and `names[2]`, which is not
    /// `Wow6432Node` ([`layout_closed`]), decides the rest of the mapping by itself. The previous
    /// path may have been mapped any way below those two.
    fn create_classes_child(
        &mut self,
        cursor: &mut KeyCursor,
        hive: Hive,
        names: &[&str],
        view: View,
    ) -> Result<Hive, RegError> {
        const KEPT: usize = 2;
        let last = cursor
            .last
            .as_mut()
            .expect("the caller read the previous path");
        cursor.target.truncate(KEPT);
        last.names.truncate(KEPT);
        for name in &names[KEPT..] {
            last.names.push(name);
        }
        if redirected_in(view, names[KEPT]) {
            cursor.target.create(self, hive, &["Wow6432Node"])?;
        }
        cursor.target.create(self, hive, &names[KEPT..])?;
        Ok(hive)
    }

    /// The general way: the same steps as `write_location`, `check_writer` and `create_path`.
    fn create_near_walk(
        &mut self,
        cursor: &mut KeyCursor,
        root: Root,
        names: &[&str],
        view: View,
        writer: Writer,
    ) -> Result<Hive, RegError> {
        let [a, b] = std::mem::take(&mut cursor.spare);
        let (mut full, mut phys) = (reuse(a), reuse(b));
        if root.hive().is_none() {
            full.extend(["Software", "Classes"]);
        }
        full.extend_from_slice(names);
        let mut user_len = 0;
        let hive = match root.hive() {
            Some(hive) => {
                physical_layout(hive, &full, view, &mut phys);
                hive
            }
            None => {
                physical_layout(Hive::CurrentUser, &full, view, &mut phys);
                user_len = phys.len();
                if cursor.user.walk(self, Hive::CurrentUser, &phys) == phys.len() {
                    Hive::CurrentUser
                } else {
                    physical_layout(Hive::LocalMachine, &full, view, &mut phys);
                    Hive::LocalMachine
                }
            }
        };
        let created = if hive != Hive::CurrentUser && !writer.admin {
            Err(RegError::AccessDenied {
                path: KeyPath::new(hive.root(), phys.iter().copied()).to_string(),
            })
        } else {
            let n = cursor.target.shared(hive, &phys);
            cursor.target.create(self, hive, &phys[n..]).map(|_| ())
        };
        cursor.spare = [reuse(full), reuse(phys)];
        created?;
        let key = cursor.target.last(self, hive);
        let mut last = cursor.last.take().unwrap_or_else(|| LastKey {
            root,
            view,
            hive,
            key,
            names: Names::default(),
            user_len,
            classes: false,
        });
        last.classes = is_classes_prefix(names);
        last.root = root;
        last.view = view;
        last.hive = hive;
        last.user_len = user_len;
        last.names.truncate(0);
        for name in names {
            last.names.push(name);
        }
        cursor.last = Some(last);
        Ok(hive)
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

    /// Opening a subkey from its parent's ids gives what opening its path gives, in every view,
    /// merge and elevation; and a key of HKCU found that way had its parent counted by the
    /// witness when the parent was opened.
    #[test]
    fn reg1_reg3_a_subkey_opened_from_its_parent_is_the_subkey_opened_by_path() {
        let names = [
            "Software",
            "Classes",
            "CLSID",
            "{A}",
            "Wow6432Node",
            "AppID",
            "x",
            "Mime",
        ];
        let roots = [Root::ClassesRoot, Root::LocalMachine, Root::CurrentUser];
        let mut rng = comsim_rng::Xorshift64::new(0x2545_F491_4F6C_DD1D_u64);
        let mut next = |n: usize| rng.below(n);
        let mut reg = Registry::new();
        for step in 0..30_000 {
            let depth = next(6);
            let comps: Vec<String> = (0..depth)
                .map(|_| names[next(names.len())].to_owned())
                .collect();
            let path = KeyPath::new(roots[next(roots.len())], comps);
            let access = Access {
                view: [View::Bits64, View::Bits32][next(2)],
                merge: [MergeMode::Union, MergeMode::Strict][next(2)],
                user_classes: next(2) == 0,
            };
            if next(3) == 0 {
                let _ = reg.write_value(&path, "v", Value::dword(1), access.view, ADMIN);
                continue;
            }
            let before = crate::witness::user_hive_finds();
            let Some(parent) = reg.open_ids(&path, &access) else {
                continue;
            };
            let parent_finds = crate::witness::user_hive_finds().wrapping_sub(before);
            let name = names[next(names.len())];
            let by_path = reg.open_ids(&path.join(name), &access);
            let from_parent = reg.open_ids_child(&path, parent, name, &access);
            assert_eq!(
                from_parent, by_path,
                "step {step}: {path} + {name}, {access:?}"
            );
            if from_parent.is_some_and(|k| k.hive == Hive::CurrentUser) {
                assert!(parent_finds > 0, "step {step}: {path} + {name}, {access:?}");
            }
        }
    }

    /// REG-1's merge level, as the plain rule: one below the longest listed path that is a
    /// prefix (after an optional `Wow6432Node`), each part compared as the registry compares
    /// names.
    fn merge_level_by_rule(comps: &[String]) -> usize {
        let skip = usize::from(comps.first().is_some_and(|c| eq(c, "Wow6432Node")));
        let rest = &comps[skip..];
        let listed = MERGED_ONE_LEVEL_DOWN
            .iter()
            .map(|l| l.split('\\').collect::<Vec<_>>())
            .filter(|parts| {
                parts.len() <= rest.len() && parts.iter().zip(rest).all(|(a, b)| eq(a, b))
            })
            .map(|parts| parts.len())
            .max()
            .unwrap_or(0);
        skip + listed + 1
    }

    #[test]
    fn reg1_merge_level_compares_each_listed_first_part_once_and_agrees_with_the_rule() {
        // `merge_level` skips a group of listed paths whose first part did not match: the list
        // must keep each first part's paths together.
        let heads: Vec<&str> = MERGED_ONE_LEVEL_DOWN
            .iter()
            .map(|l| l.split('\\').next().unwrap())
            .collect();
        for (i, h) in heads.iter().enumerate() {
            let last = heads.iter().rposition(|x| x == h).unwrap();
            assert!(heads[i..=last].iter().all(|x| x == h), "{h} is split");
        }
        let parts = [
            "*",
            "shellex",
            "ContextMenuHandlers",
            "CLSID",
            "clsid",
            "{A}",
            "Mime",
            "DATABASE",
            "Charset",
            "Codepage",
            "Wow6432Node",
            "Folder",
            "Installer",
            "Features",
            "x",
            "cLSıD",
        ];
        let mut rng = comsim_rng::Xorshift64::new(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let state = rng.bits();
            let len = (state % 5) as usize;
            let comps: Vec<String> = (0..len)
                .map(|i| parts[((state >> (8 * i + 8)) % parts.len() as u64) as usize].to_owned())
                .collect();
            assert_eq!(
                merge_level(&comps),
                merge_level_by_rule(&comps),
                "{comps:?}"
            );
        }
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

    /// `open_ids` and `value_at` give what `open` and `query_value` give, for HKCR paths under
    /// both merges, both views and with or without the user's classes (REG-1..REG-3), and for
    /// paths below a hive.
    #[test]
    fn open_ids_and_value_at_answer_as_open_and_query_value() {
        let mut r = Registry::new();
        let keys = [
            ("HKCR\\CLSID\\{A}\\InprocServer32", View::Bits64, ADMIN),
            ("HKCR\\CLSID\\{A}\\InprocServer32", View::Bits32, ADMIN),
            ("HKCU\\Software\\Classes\\CLSID\\{A}", View::Bits64, USER),
            (
                "HKCU\\Software\\Classes\\CLSID\\{B}\\TreatAs",
                View::Bits64,
                USER,
            ),
            ("HKCR\\My.ProgId\\CLSID", View::Bits64, ADMIN),
            ("HKLM\\Software\\Wow6432Node\\Contoso", View::Bits64, ADMIN),
        ];
        for (i, (k, view, who)) in keys.into_iter().enumerate() {
            r.write_value(&p(k), "", Value::sz(&format!("v{i}")), view, who)
                .unwrap();
        }
        let paths = [
            "HKCR\\CLSID\\{A}",
            "HKCR\\CLSID\\{A}\\InprocServer32",
            "HKCR\\CLSID\\{B}\\TreatAs",
            "HKCR\\CLSID\\{C}",
            "HKCR\\My.ProgId\\CLSID",
            "HKCR\\Wow6432Node\\CLSID\\{A}\\InprocServer32",
            "HKLM\\Software\\Contoso",
            "HKCU\\Software\\Classes\\CLSID\\{A}",
        ];
        for path in paths {
            for view in [View::Bits64, View::Bits32] {
                for merge in [MergeMode::Union, MergeMode::Strict] {
                    for user_classes in [true, false] {
                        let a = Access {
                            view,
                            merge,
                            user_classes,
                        };
                        let what = format!("{path} {a:?}");
                        let open = r.open(&p(path), &a);
                        assert_eq!(r.open_ids(&p(path), &a), open.map(|k| k.ids()), "{what}");
                        assert_eq!(
                            r.value_at(&p(path), "", &a),
                            r.query_value(&p(path), "", &a).map(|(v, _)| v),
                            "{what}"
                        );
                    }
                }
            }
        }
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

    /// Names that the mapping rules look at, in several spellings, and some that they do not.
    const SPECIAL: [&str; 12] = [
        "Software",
        "SOFTWARE",
        "Classes",
        "Wow6432Node",
        "wow6432node",
        "CLSID",
        "TypeLib",
        "AppID",
        "Protocols",
        "Interface",
        "Media Type",
        "x",
    ];

    #[test]
    fn the_mapping_of_a_closed_path_is_the_mapping_of_its_start_then_the_rest() {
        // What `create_near_fast` relies on (LAYOUT_PREFIX, layout_closed).
        let rests: [&[&str]; 6] = [
            &[],
            &["a"],
            &["CLSID", "x"],
            &["Wow6432Node", "CLSID", "TypeLib"],
            &["TypeLib", "Classes"],
            &["Classes", "CLSID"],
        ];
        let mut head = Vec::new();
        let mut whole = Vec::new();
        for hive in Hive::ALL {
            for view in [View::Bits64, View::Bits32] {
                for len in 0..=LAYOUT_PREFIX {
                    for i in 0..SPECIAL.len().pow(len as u32) {
                        let prefix: Vec<&str> = (0..len)
                            .map(|k| SPECIAL[i / SPECIAL.len().pow(k as u32) % SPECIAL.len()])
                            .collect();
                        if !layout_closed(hive, &prefix) {
                            continue;
                        }
                        physical_layout(hive, &prefix, view, &mut head);
                        for rest in rests {
                            let path: Vec<&str> = prefix.iter().chain(rest).copied().collect();
                            physical_layout(hive, &path, view, &mut whole);
                            assert_eq!(whole[..head.len()], head[..], "{hive:?} {view:?} {path:?}");
                            assert_eq!(whole[head.len()..], rest[..], "{hive:?} {view:?} {path:?}");
                        }
                    }
                }
            }
        }
    }

    fn strs(path: &KeyPath) -> Vec<&str> {
        path.components.iter().map(String::as_str).collect()
    }

    /// Every key of every hive with its id, depth first.
    fn listing(r: &Registry) -> Vec<(Vec<String>, KeyId)> {
        let mut out = Vec::new();
        for hive in Hive::ALL {
            let mut stack = vec![(vec![hive.to_string()], r.root(hive))];
            while let Some((path, id)) = stack.pop() {
                for (name, child) in r.subkeys(id) {
                    let mut p = path.clone();
                    p.push(name.as_str().to_owned());
                    stack.push((p, child));
                }
                out.push((path, id));
            }
        }
        out
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Opens a key near the previous one: up `pop` levels, then down `push`; sometimes under
        /// another root or view, or as a standard user.
        Create {
            pop: usize,
            push: Vec<String>,
            root: Option<Root>,
            view: Option<View>,
            admin: bool,
        },
        Delete(KeyPath, View),
        /// A change the cursor does not see being made.
        Aside(KeyPath),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let mut names: Vec<String> = SPECIAL.iter().map(|s| (*s).to_owned()).collect();
        names.extend(["", "clsid", "{A}", "{a}", "InprocServer32", "1.0"].map(String::from));
        names.push("k".repeat(crate::MAX_KEY_NAME_LEN + 1));
        let name = prop::sample::select(names);
        let root = prop::sample::select(Root::ALL.to_vec());
        let view = prop::sample::select(vec![View::Bits64, View::Bits32]);
        let path = (root.clone(), prop::collection::vec(name.clone(), 0..6))
            .prop_map(|(root, components)| KeyPath { root, components });
        let create = (
            0..4usize,
            prop::collection::vec(name, 0..4),
            prop::option::weighted(0.1, root),
            prop::option::weighted(0.1, view.clone()),
            prop::bool::weighted(0.9),
        )
            .prop_map(|(pop, push, root, view, admin)| Op::Create {
                pop,
                push,
                root,
                view,
                admin,
            });
        prop_oneof![
            12 => create,
            1 => (path.clone(), view).prop_map(|(p, v)| Op::Delete(p, v)),
            1 => path.prop_map(Op::Aside),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        #[test]
        fn create_key_near_does_what_create_key_does(ops in proptest::collection::vec(op(), 1..100)) {
            let mut plain = Registry::new();
            let mut near = Registry::new();
            let mut cursor = KeyCursor::default();
            let mut path = p("HKCR\\CLSID");
            let mut view = View::Bits64;
            for op in ops {
                match op {
                    Op::Create { pop, push, root, view: v, admin } => {
                        if let Some(root) = root {
                            path.root = root;
                        }
                        view = v.unwrap_or(view);
                        let keep = path.components.len().saturating_sub(pop);
                        path.components.truncate(keep);
                        path.components.extend(push);
                        let writer = Writer { admin };
                        let want = plain.create_key(&path, view, writer);
                        let got = near
                            .create_key_near(&mut cursor, path.root, &strs(&path), view, writer)
                            .map(|_| cursor.target().expect("opened"));
                        proptest::prop_assert_eq!(&got, &want, "{}", path);
                    }
                    Op::Delete(path, view) => {
                        let want = plain.delete_tree(&path, view, ADMIN);
                        proptest::prop_assert_eq!(near.delete_tree(&path, view, ADMIN), want);
                    }
                    Op::Aside(path) => {
                        let want = plain.create_key(&path, View::Bits64, ADMIN);
                        proptest::prop_assert_eq!(near.create_key(&path, View::Bits64, ADMIN), want);
                    }
                }
            }
            proptest::prop_assert_eq!(listing(&near), listing(&plain));
        }
    }

    /// Creates each of `lines` in each of `views` (as an administrator) with `create_key` in
    /// `plain` and with `create_key_near` in `near`: the same key, reported at the same place.
    fn create_both_ways(
        plain: &mut Registry,
        near: &mut Registry,
        cursor: &mut KeyCursor,
        views: &[View],
        lines: &[&str],
    ) {
        for &view in views {
            for &line in lines {
                let path = p(line);
                let want = plain.create_key(&path, view, ADMIN).unwrap();
                let got = near
                    .create_key_near(cursor, path.root, &strs(&path), view, ADMIN)
                    .unwrap();
                assert_eq!(got, want.key, "{line} {view:?}");
                assert_eq!(cursor.target(), Some(want), "{line} {view:?}");
            }
        }
    }

    /// REG-3: key lines of a classes export in random order share only `Software\Classes` with
    /// the line before; the cursor keeps those two keys and maps the rest from the third name, in
    /// both views, whatever view mapped the line before.
    #[test]
    fn reg3_create_key_near_from_software_classes_maps_what_create_key_maps() {
        let lines = [
            "HKLM\\SOFTWARE\\Classes\\CLSID\\{A}\\InprocServer32",
            "HKLM\\SOFTWARE\\Classes\\My.Prog\\CLSID",
            "HKLM\\software\\classes\\clsid\\{A}\\ProgId",
            "HKLM\\SOFTWARE\\Classes\\Interface\\{I}",
            "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\CLSID\\{W}",
            "HKLM\\SOFTWARE\\Classes\\TypeLib\\{T}\\1.0",
            "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\TypeLib\\{T}\\2.0",
            "HKLM\\SOFTWARE\\Classes\\CLSID\\{B}",
            "HKLM\\SOFTWARE\\Classes",
            "HKLM\\SOFTWARE\\Classes\\Media Type\\x",
            "HKCU\\Software\\Classes\\CLSID\\{U}\\InprocServer32",
            "HKCU\\Software\\Classes\\Other\\Shell",
            "HKCU\\Software\\Classes\\Interface\\{J}",
            "HKLM\\SOFTWARE\\Classes\\CLSID\\{C}\\InprocServer32",
        ];
        let mut plain = Registry::new();
        let mut near = Registry::new();
        let mut cursor = KeyCursor::default();
        let views = [View::Bits32, View::Bits64, View::Bits32];
        create_both_ways(&mut plain, &mut near, &mut cursor, &views, &lines);
        assert_eq!(listing(&near), listing(&plain));
        // A standard user is refused HKLM, as by `create_key`, and may still write HKCU after it.
        for line in [
            "HKLM\\SOFTWARE\\Classes\\CLSID\\{D}",
            "HKLM\\SOFTWARE\\Classes\\Other",
            "HKCU\\Software\\Classes\\CLSID\\{E}",
            "HKCU\\Software\\Classes\\Other2",
        ] {
            let path = p(line);
            assert_eq!(
                near.create_key_near(&mut cursor, path.root, &strs(&path), View::Bits32, USER),
                plain.create_key(&path, View::Bits32, USER).map(|t| t.key),
                "{line}"
            );
        }
        assert_eq!(listing(&near), listing(&plain));
    }

    /// A key line of a classes file in random order: under `HKLM` or `HKCU`, `Software\Classes`
    /// (spelled one of two ways) and one to three names, in a view, as an administrator or not.
    fn classes_line() -> impl proptest::strategy::Strategy<Value = (KeyPath, View, bool)> {
        use proptest::prelude::*;
        let names = [
            "CLSID",
            "clsid",
            "Interface",
            "Media Type",
            "Wow6432Node",
            "wow6432node",
            "TypeLib",
            "AppID",
            "Protocols",
            "{A}",
            "x",
            "",
        ];
        (
            prop::sample::select(vec![Root::LocalMachine, Root::CurrentUser]),
            prop::sample::select(vec!["Software", "SOFTWARE"]),
            prop::collection::vec(prop::sample::select(names.to_vec()), 1..4),
            prop::sample::select(vec![View::Bits64, View::Bits32]),
            prop::bool::weighted(0.9),
        )
            .prop_map(|(root, software, tail, view, admin)| {
                let mut components = vec![software.to_owned(), "Classes".to_owned()];
                components.extend(tail.into_iter().map(str::to_owned));
                (KeyPath { root, components }, view, admin)
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// REG-3 below `Software\Classes`: whatever the line before, the cursor opens or creates
        /// the key `create_key` does, reports it at the same place, and fails as it fails.
        #[test]
        fn reg3_create_key_near_below_software_classes_does_what_create_key_does(
            lines in proptest::collection::vec(classes_line(), 1..60)
        ) {
            let mut plain = Registry::new();
            let mut near = Registry::new();
            let mut cursor = KeyCursor::default();
            for (path, view, admin) in lines {
                let writer = Writer { admin };
                let want = plain.create_key(&path, view, writer);
                let got = near
                    .create_key_near(&mut cursor, path.root, &strs(&path), view, writer)
                    .map(|_| cursor.target().expect("opened"));
                proptest::prop_assert_eq!(&got, &want, "{} {:?}", path, view);
            }
            proptest::prop_assert_eq!(listing(&near), listing(&plain));
        }
    }

    #[test]
    fn create_key_near_follows_a_reg_file_through_both_halves_of_hkcr() {
        let mut plain = Registry::new();
        let mut near = Registry::new();
        let user_copy = p("HKCU\\Software\\Classes\\CLSID\\{U}");
        plain.create_key(&user_copy, View::Bits64, ADMIN).unwrap();
        near.create_key(&user_copy, View::Bits64, ADMIN).unwrap();
        let lines = [
            "HKCR\\CLSID\\{M}",
            "HKCR\\CLSID\\{M}\\InprocServer32",
            "HKCR\\CLSID\\{M}\\InprocServer32\\1.0",
            "HKCR\\CLSID\\{M}\\ProgId",
            // Exists in HKCU: lands there although its sibling went to HKLM.
            "HKCR\\CLSID\\{U}",
            "HKCR\\CLSID\\{U}\\InprocServer32",
            "HKCR\\CLSID\\{V}\\InprocServer32",
            "HKCR\\clsid\\{V}\\ProgId",
            "HKCR\\Wow6432Node\\CLSID\\{W}\\InprocServer32",
            "HKCR\\Wow6432Node\\TypeLib\\{T}\\1.0",
            "HKLM\\Software\\Wow6432Node\\Classes\\CLSID\\{X}\\a",
            "HKLM\\Software\\Wow6432Node\\Classes\\CLSID\\{X}\\b",
        ];
        let mut cursor = KeyCursor::default();
        create_both_ways(
            &mut plain,
            &mut near,
            &mut cursor,
            &[View::Bits64, View::Bits32],
            &lines,
        );
        assert_eq!(listing(&near), listing(&plain));
        // A standard user is refused HKLM, as by `create_key`.
        let path = p("HKCR\\CLSID\\{M}\\Other");
        assert_eq!(
            near.create_key_near(&mut cursor, path.root, &strs(&path), View::Bits64, USER),
            plain.create_key(&path, View::Bits64, USER).map(|t| t.key)
        );
    }
}
