//! The physical store: an arena of keys per hive.

use std::collections::BTreeMap;

use crate::name::RegName;
use crate::path::Hive;
use crate::value::Value;
use crate::view::RegError;
use crate::{MAX_DEPTH, MAX_KEY_NAME_LEN, MAX_VALUE_NAME_LEN};

/// A key in a [`Registry`]. Valid until the key is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(u32);

#[derive(Debug, Default, Clone)]
struct Node {
    parent: Option<KeyId>,
    depth: u16,
    values: Vec<(RegName, Value)>,
    children: BTreeMap<RegName, KeyId>,
}

/// The registry of one simulated machine.
#[derive(Debug, Clone)]
pub struct Registry {
    nodes: Vec<Node>,
    free: Vec<KeyId>,
    roots: [KeyId; 4],
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
            parent,
            depth,
            ..Node::default()
        };
        if let Some(id) = self.free.pop() {
            self.nodes[id.0 as usize] = node;
            id
        } else {
            let id = KeyId(u32::try_from(self.nodes.len()).expect("fewer than 2^32 keys"));
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

    /// The subkey `name` of `id`, if present.
    pub fn child(&self, id: KeyId, name: &str) -> Option<KeyId> {
        self.node(id).children.get(&RegName::new(name)).copied()
    }

    /// Follows `names` down from `id`.
    pub fn descend<S: AsRef<str>>(&self, mut id: KeyId, names: &[S]) -> Option<KeyId> {
        for n in names {
            id = self.child(id, n.as_ref())?;
        }
        Some(id)
    }

    /// The key at `names` below a hive's root.
    pub fn find<S: AsRef<str>>(&self, hive: Hive, names: &[S]) -> Option<KeyId> {
        self.descend(self.root(hive), names)
    }

    /// Opens or creates the subkey `name` of `id`.
    pub fn create_child(&mut self, id: KeyId, name: &str) -> Result<KeyId, RegError> {
        if let Some(c) = self.child(id, name) {
            return Ok(c);
        }
        check_key_name(name)?;
        let depth = self.node(id).depth + 1;
        if depth as usize > MAX_DEPTH {
            return Err(RegError::TooDeep);
        }
        let c = self.alloc(Some(id), depth);
        self.node_mut(id).children.insert(RegName::new(name), c);
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
        self.node(id).children.iter().map(|(n, c)| (n, *c))
    }

    pub fn subkey_count(&self, id: KeyId) -> usize {
        self.node(id).children.len()
    }

    /// Values of `id` in the order they were first written.
    pub fn values(&self, id: KeyId) -> &[(RegName, Value)] {
        &self.node(id).values
    }

    /// The value `name` of `id` (`""` is the default value).
    pub fn value(&self, id: KeyId, name: &str) -> Option<&Value> {
        self.node(id)
            .values
            .iter()
            .find(|(n, _)| crate::names_equal(n.as_str(), name))
            .map(|(_, v)| v)
    }

    /// Sets a value. An existing value of the same name keeps its place and its first spelling.
    pub fn set_value(&mut self, id: KeyId, name: &str, value: Value) -> Result<(), RegError> {
        if name.encode_utf16().count() > MAX_VALUE_NAME_LEN {
            return Err(RegError::NameTooLong {
                limit: MAX_VALUE_NAME_LEN,
            });
        }
        let values = &mut self.node_mut(id).values;
        match values
            .iter_mut()
            .find(|(n, _)| crate::names_equal(n.as_str(), name))
        {
            Some((_, v)) => *v = value,
            None => values.push((RegName::new(name), value)),
        }
        Ok(())
    }

    /// Removes a value; `false` if there was none.
    pub fn delete_value(&mut self, id: KeyId, name: &str) -> bool {
        let values = &mut self.node_mut(id).values;
        let before = values.len();
        values.retain(|(n, _)| !crate::names_equal(n.as_str(), name));
        values.len() != before
    }

    /// The parent of `id`, `None` for a hive root.
    pub fn parent(&self, id: KeyId) -> Option<KeyId> {
        self.node(id).parent
    }

    /// Removes the subkey `name` of `id` and everything below it; `false` if there was none.
    pub fn delete_child_tree(&mut self, id: KeyId, name: &str) -> bool {
        let Some(removed) = self.node_mut(id).children.remove(&RegName::new(name)) else {
            return false;
        };
        let mut stack = vec![removed];
        while let Some(k) = stack.pop() {
            let node = std::mem::take(self.node_mut(k));
            stack.extend(node.children.into_values());
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
    if name.encode_utf16().count() > MAX_KEY_NAME_LEN {
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
            r.create_child(root, &"k".repeat(256)),
            Err(RegError::NameTooLong { limit: 255 })
        );
        assert!(r.create_child(root, &"k".repeat(255)).is_ok());
        assert_eq!(r.create_child(root, ""), Err(RegError::EmptyName));
    }
}
