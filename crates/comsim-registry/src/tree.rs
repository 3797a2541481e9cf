//! The physical store: an arena of keys per hive.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::children::Children;
use crate::diff::Change;
use crate::journal::Journal;
use crate::name::RegName;
use crate::path::Hive;
use crate::value::Value;
use crate::value_list::{ValueList, Values};
use crate::view::RegError;
use crate::{MAX_DEPTH, MAX_KEY_NAME_LEN, MAX_VALUE_NAME_LEN};

/// A key in a [`Registry`]. Valid until the key is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(u32);

impl KeyId {
    /// Marks a hive root's missing parent.
    const NONE: KeyId = KeyId(u32::MAX);

    #[cfg(test)]
    pub(crate) fn from_index(i: usize) -> KeyId {
        KeyId(i as u32)
    }
}

#[derive(Debug, Clone)]
struct Node {
    /// [`KeyId::NONE`] for a hive root.
    parent: KeyId,
    depth: u16,
    values: ValueList,
    children: Children,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            parent: KeyId::NONE,
            depth: 0,
            values: ValueList::default(),
            children: Children::default(),
        }
    }
}

/// The registry of one simulated machine.
#[derive(Debug)]
pub struct Registry {
    nodes: Vec<Node>,
    free: Vec<KeyId>,
    roots: [KeyId; 4],
    /// Which registry this is and how often its keys changed, so that a [`KeyCursor`] notices
    /// when what it remembers may be out of date.
    ///
    /// [`KeyCursor`]: crate::KeyCursor
    stamp: Stamp,
    /// Open while a caller wants the changes of a run of writes ([`Registry::begin_journal`]).
    journal: Option<Box<Journal>>,
}

/// Identifies a registry and counts changes to its keys; see [`Registry::stamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Stamp {
    pub(crate) instance: u64,
    /// Deletions: only a deletion can make a [`KeyId`] stale.
    pub(crate) deletions: u64,
    /// Keys created or deleted: either can change whether a path exists.
    pub(crate) changes: u64,
}

fn new_instance() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Clone for Registry {
    fn clone(&self) -> Self {
        Registry {
            nodes: self.nodes.clone(),
            free: self.free.clone(),
            roots: self.roots,
            // A copy is another registry: cursors of the original start afresh on it.
            stamp: Stamp {
                instance: new_instance(),
                deletions: 0,
                changes: 0,
            },
            // A copy is taken of what is, not of what is being recorded.
            journal: None,
        }
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// An empty registry: four empty hives, plus `HKLM\Software\Classes` and
    /// `HKCU\Software\Classes`, which every Windows installation has.
    pub fn new() -> Self {
        let mut reg = Registry {
            nodes: Vec::new(),
            free: Vec::new(),
            roots: [KeyId(0); 4],
            stamp: Stamp {
                instance: new_instance(),
                deletions: 0,
                changes: 0,
            },
            journal: None,
        };
        for hive in Hive::ALL {
            reg.roots[hive.index()] = reg.alloc(None, 0);
        }
        for hive in [Hive::LocalMachine, Hive::CurrentUser] {
            let root = reg.root(hive);
            let sw = reg.create_child(root, "Software").expect("valid name");
            reg.create_child(sw, "Classes").expect("valid name");
        }
        reg
    }

    fn alloc(&mut self, parent: Option<KeyId>, depth: u16) -> KeyId {
        let node = Node {
            parent: parent.unwrap_or(KeyId::NONE),
            depth,
            ..Node::default()
        };
        if let Some(id) = self.free.pop() {
            self.nodes[id.0 as usize] = node;
            id
        } else {
            // `u32::MAX` is `KeyId::NONE`.
            let index = u32::try_from(self.nodes.len())
                .ok()
                .filter(|&i| i != u32::MAX);
            let id = KeyId(index.expect("fewer than 2^32 - 1 keys"));
            self.nodes.push(node);
            id
        }
    }

    fn node(&self, id: KeyId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    fn node_mut(&mut self, id: KeyId) -> &mut Node {
        &mut self.nodes[id.0 as usize]
    }

    /// The root key of a hive.
    pub fn root(&self, hive: Hive) -> KeyId {
        self.roots[hive.index()]
    }

    /// What a [`crate::KeyCursor`] checks before trusting what it remembers: which registry this
    /// is, and how many keys were created and deleted in it.
    pub(crate) fn stamp(&self) -> Stamp {
        self.stamp
    }

    /// The subkey `name` of `id`, if present.
    pub fn child(&self, id: KeyId, name: &str) -> Option<KeyId> {
        self.node(id).children.get(name)
    }

    /// The subkey `name` of `id` with its name as the registry spells it, if present.
    pub(crate) fn child_entry(&self, id: KeyId, name: &str) -> Option<(&RegName, KeyId)> {
        self.node(id).children.entry(name).map(|e| (&e.name, e.id))
    }

    /// Starts recording what the writes from now on change, so that [`Registry::take_changes`]
    /// can list it without a copy of the registry. A journal already open starts afresh.
    pub fn begin_journal(&mut self) {
        self.journal = Some(Box::new(Journal::new(self)));
    }

    /// Closes the journal and gives what changed since [`Registry::begin_journal`]: exactly what
    /// [`crate::diff`] gives between a copy taken then and the registry now, in the same order.
    /// `None` if no journal was open.
    pub fn take_changes(&mut self) -> Option<Vec<Change>> {
        let journal = self.journal.take()?;
        Some(journal.changes(self))
    }

    /// How many keys the open journal holds (touched keys and their ancestors, hive roots not
    /// counted); `None` if none is open. Writes that change nothing add none.
    pub fn journaled_keys(&self) -> Option<usize> {
        self.journal.as_ref().map(|j| j.keys())
    }

    /// Runs `record` on the open journal, if any, with the registry to read from.
    fn journal(&mut self, record: impl FnOnce(&mut Journal, &Registry)) {
        if let Some(mut journal) = self.journal.take() {
            record(&mut journal, self);
            self.journal = Some(journal);
        }
    }

    /// What a thread's last walk in this registry must match to be used (`last_walk.rs`).
    pub(crate) fn walk_stamp(&self) -> (u64, u64) {
        (self.stamp.instance, self.stamp.changes)
    }

    /// Follows `names` down from `id`.
    pub fn descend<S: AsRef<str>>(&self, mut id: KeyId, names: &[S]) -> Option<KeyId> {
        for n in names {
            id = self.child(id, n.as_ref())?;
        }
        Some(id)
    }

    /// The key at `names` below a hive's root.
    /// Keys found in `HKEY_CURRENT_USER` are counted per thread ([`crate::user_hive_finds`]).
    pub fn find<S: AsRef<str>>(&self, hive: Hive, names: &[S]) -> Option<KeyId> {
        let found = crate::last_walk::find(self, hive, names);
        if hive == Hive::CurrentUser && found.is_some() {
            crate::witness::count_user_find();
        }
        found
    }

    /// Opens or creates the subkey `name` of `id`.
    pub fn create_child(&mut self, id: KeyId, name: &str) -> Result<KeyId, RegError> {
        let slot = match self.node(id).children.search(name) {
            Ok(c) => return Ok(c),
            Err(slot) => slot,
        };
        check_key_name(name)?;
        let depth = self.node(id).depth + 1;
        if depth as usize > MAX_DEPTH {
            return Err(RegError::TooDeep);
        }
        let c = self.alloc(Some(id), depth);
        self.stamp.changes += 1;
        self.node_mut(id)
            .children
            .insert_at(slot, RegName::new(name), c);
        self.journal(|j, reg| j.created(reg, id, name, c));
        Ok(c)
    }

    /// Opens or creates the key at `names` below `id`.
    pub fn create_path<S: AsRef<str>>(
        &mut self,
        mut id: KeyId,
        names: &[S],
    ) -> Result<KeyId, RegError> {
        for n in names {
            id = self.create_child(id, n.as_ref())?;
        }
        Ok(id)
    }

    /// Subkey names of `id` with their ids, in the registry's order.
    pub fn subkeys(&self, id: KeyId) -> impl Iterator<Item = (&RegName, KeyId)> + '_ {
        self.node(id).children.iter().map(|e| (&e.name, e.id))
    }

    /// The subkey at `index` in the order [`Registry::subkeys`] gives them, without walking
    /// the ones before it.
    pub fn subkey_at(&self, id: KeyId, index: usize) -> Option<(&RegName, KeyId)> {
        self.node(id).children.at(index).map(|e| (&e.name, e.id))
    }

    pub fn subkey_count(&self, id: KeyId) -> usize {
        self.node(id).children.len()
    }

    /// Values of `id` in the order they were first written.
    pub fn values(&self, id: KeyId) -> Values<'_> {
        self.node(id).values.values()
    }

    /// The value `name` of `id` (`""` is the default value).
    pub fn value(&self, id: KeyId, name: &str) -> Option<&Value> {
        self.node(id).values.get(name)
    }

    /// Sets a value. An existing value of the same name keeps its place and its first spelling.
    pub fn set_value(&mut self, id: KeyId, name: &str, value: Value) -> Result<(), RegError> {
        // A name has no more UTF-16 units than UTF-8 bytes: count only when it could be too long.
        if name.len() > MAX_VALUE_NAME_LEN && name.encode_utf16().count() > MAX_VALUE_NAME_LEN {
            return Err(RegError::NameTooLong {
                limit: MAX_VALUE_NAME_LEN,
            });
        }
        let existing = self.node(id).values.position(name);
        if let Some(i) = existing
            && self
                .node(id)
                .values
                .entry_at(i)
                .is_some_and(|(_, v)| *v == value)
        {
            // Nothing changes, so nothing is recorded.
            return Ok(());
        }
        self.journal(|j, reg| j.values_changing(reg, id));
        let values = &mut self.node_mut(id).values;
        match existing {
            Some(i) => {
                if let Some(v) = values.value_at_mut(i) {
                    *v = value;
                }
            }
            None => values.push(RegName::new(name), value),
        }
        Ok(())
    }

    /// Makes room for `additional` more values of `id`, when it has none yet: a reader that knows
    /// how many values a new key is about to get (a .reg file's lines under a key line) sets them
    /// without growing the list one step at a time, and the list is that size, not the next power
    /// of two. Changes nothing that can be read.
    pub fn reserve_values(&mut self, id: KeyId, additional: usize) {
        let values = &mut self.node_mut(id).values;
        if values.values().is_empty() {
            values.reserve_exact(additional);
        }
    }

    /// Sets several values, with the result of calling [`Registry::set_value`] for each in turn,
    /// except that a name over the limit fails the call before anything is set. Linear in their
    /// number: a key's values are found by name through its index once it has many
    /// (`value_list.rs`), and a hive file can give one key many thousands.
    pub fn set_values(
        &mut self,
        id: KeyId,
        values: impl IntoIterator<Item = (RegName, Value)>,
    ) -> Result<(), RegError> {
        let incoming: Vec<(RegName, Value)> = values.into_iter().collect();
        let too_long =
            |n: &str| n.len() > MAX_VALUE_NAME_LEN && n.encode_utf16().count() > MAX_VALUE_NAME_LEN;
        if incoming.iter().any(|(n, _)| too_long(n.as_str())) {
            return Err(RegError::NameTooLong {
                limit: MAX_VALUE_NAME_LEN,
            });
        }
        // A key read whole (from a hive) gets its list at its size, not at the next power of two.
        self.node_mut(id).values.reserve_exact(incoming.len());
        for (name, value) in incoming {
            self.set_value(id, name.as_str(), value)?;
        }
        Ok(())
    }

    /// Removes a value; `false` if there was none.
    pub fn delete_value(&mut self, id: KeyId, name: &str) -> bool {
        if self.value(id, name).is_none() {
            return false;
        }
        self.journal(|j, reg| j.values_changing(reg, id));
        self.node_mut(id).values.remove(name)
    }

    /// The parent of `id`, `None` for a hive root.
    pub fn parent(&self, id: KeyId) -> Option<KeyId> {
        let parent = self.node(id).parent;
        (parent != KeyId::NONE).then_some(parent)
    }

    /// Removes the subkey `name` of `id` and everything below it; `false` if there was none.
    pub fn delete_child_tree(&mut self, id: KeyId, name: &str) -> bool {
        let Some(child) = self.child(id, name) else {
            return false;
        };
        self.journal(|j, reg| j.removing(reg, id, child));
        let Some(removed) = self.node_mut(id).children.remove(name) else {
            return false;
        };
        self.stamp.deletions += 1;
        self.stamp.changes += 1;
        let mut stack = vec![removed];
        while let Some(k) = stack.pop() {
            let node = std::mem::take(self.node_mut(k));
            stack.extend(node.children.into_ids());
            self.free.push(k);
        }
        true
    }

    /// Number of live keys in all hives (hive roots included).
    pub fn key_count(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

pub(crate) fn check_key_name(name: &str) -> Result<(), RegError> {
    if name.is_empty() {
        return Err(RegError::EmptyName);
    }
    if name.contains('\\') {
        return Err(RegError::Backslash);
    }
    // A name has no more UTF-16 units than UTF-8 bytes: count only when it could be too long.
    if name.len() > MAX_KEY_NAME_LEN && name.encode_utf16().count() > MAX_KEY_NAME_LEN {
        return Err(RegError::NameTooLong {
            limit: MAX_KEY_NAME_LEN,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_case_insensitively_and_enumerate_in_upper_case_order() {
        let mut r = Registry::new();
        let root = r.root(Hive::CurrentUser);
        let a = r.create_path(root, &["Software", "T", "a_b"]).unwrap();
        r.create_path(root, &["software", "t", "AB"]).unwrap();
        assert_eq!(
            r.find(Hive::CurrentUser, &["SOFTWARE", "t", "A_B"]),
            Some(a)
        );
        let t = r.find(Hive::CurrentUser, &["Software", "T"]).unwrap();
        let names: Vec<_> = r.subkeys(t).map(|(n, _)| n.as_str().to_owned()).collect();
        assert_eq!(names, ["AB", "a_b"]);
    }

    #[test]
    fn reserving_values_sizes_an_empty_list_and_changes_nothing_read() {
        let mut r = Registry::new();
        let root = r.root(Hive::CurrentUser);
        let k = r.create_path(root, &["Software", "R"]).unwrap();
        r.reserve_values(k, 6);
        assert_eq!(r.node(k).values.values().len(), 0);
        for i in 0..6 {
            r.set_value(k, &format!("v{i}"), Value::dword(i)).unwrap();
        }
        // Six values in six slots: no growth to the next power of two.
        assert_eq!(r.node(k).values.capacity(), 6);
        // A key that has values already keeps its list as it is.
        r.reserve_values(k, 100);
        assert_eq!(r.node(k).values.capacity(), 6);
        let names: Vec<_> = r.values(k).iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["v0", "v1", "v2", "v3", "v4", "v5"]);
    }

    #[test]
    fn set_values_gives_what_set_value_in_turn_gives() {
        for count in [3usize, 40] {
            let items: Vec<(String, u32)> = (0..count)
                .map(|i| {
                    (
                        if i % 7 == 3 {
                            format!("V{}", i / 2)
                        } else {
                            format!("v{i}")
                        },
                        i as u32,
                    )
                })
                .collect();
            let mut one = Registry::new();
            let k1 = one.root(Hive::CurrentUser);
            one.set_value(k1, "v1", Value::dword(99)).unwrap();
            for (n, d) in &items {
                one.set_value(k1, n, Value::dword(*d)).unwrap();
            }
            let mut bulk = Registry::new();
            let k2 = bulk.root(Hive::CurrentUser);
            bulk.set_value(k2, "v1", Value::dword(99)).unwrap();
            bulk.set_values(
                k2,
                items
                    .iter()
                    .map(|(n, d)| (RegName::new(n.as_str()), Value::dword(*d))),
            )
            .unwrap();
            assert_eq!(one.values(k1), bulk.values(k2), "{count} values");
        }
    }

    #[test]
    fn values_keep_first_spelling_and_order() {
        let mut r = Registry::new();
        let k = r.root(Hive::CurrentUser);
        r.set_value(k, "Zed", Value::dword(1)).unwrap();
        r.set_value(k, "alpha", Value::dword(2)).unwrap();
        r.set_value(k, "ZED", Value::dword(3)).unwrap();
        let v: Vec<_> = r
            .values(k)
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_dword().unwrap()))
            .collect();
        assert_eq!(v, [("Zed", 3), ("alpha", 2)]);
        assert!(r.delete_value(k, "zed"));
        assert!(!r.delete_value(k, "zed"));
    }

    #[test]
    fn deleting_a_tree_frees_its_keys() {
        let mut r = Registry::new();
        let before = r.key_count();
        let root = r.root(Hive::LocalMachine);
        r.create_path(root, &["A", "B", "C"]).unwrap();
        assert_eq!(r.key_count(), before + 3);
        assert!(r.delete_child_tree(root, "a"));
        assert_eq!(r.key_count(), before);
        assert_eq!(r.find(Hive::LocalMachine, &["A"]), None);
    }

    #[test]
    fn names_over_the_windows_limits_are_refused() {
        let mut r = Registry::new();
        let root = r.root(Hive::CurrentUser);
        assert_eq!(
            r.create_child(root, &"k".repeat(257)),
            Err(RegError::NameTooLong { limit: 256 })
        );
        assert!(r.create_child(root, &"k".repeat(256)).is_ok());
        assert_eq!(r.create_child(root, ""), Err(RegError::EmptyName));
    }
}
