//! A key's values: kept in first-written order, found by name without scanning on large keys.
//!
//! Most keys have one to a few values, and a scan of a short vector is the fastest lookup there is.
//! A key with many (a .reg file can give one key 100,000 values) also gets an index from the hash of
//! each name's upper-cased UTF-16 units to its position, so that setting a value stays cheap
//! however many the key has, instead of scanning them all for the name.

use crate::children::reserve_one;
use crate::name::{HashIndex, RegName, name_hash, names_equal};
use crate::value::Value;

/// From this many values on, a key keeps an index.
const INDEX_FROM: usize = 16;

pub(crate) type Entry = (RegName, Value);

#[derive(Debug, Clone, Default)]
pub(crate) struct ValueList {
    list: Vec<Entry>,
    /// Once the list is long: the hash of each name to the position of the first value with that
    /// hash. A name whose hash is absent is not in the list; one whose hash points at another name
    /// (a collision) is looked for by a scan.
    index: Option<Box<HashIndex<u32>>>,
}

impl ValueList {
    pub(crate) fn as_slice(&self) -> &[Entry] {
        &self.list
    }

    /// The position of the value `name`.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        let scan = || {
            self.list.iter().position(|(n, _)| {
                #[cfg(test)]
                tests::COMPARED.with(|c| c.set(c.get() + 1));
                names_equal(n.as_str(), name)
            })
        };
        let Some(index) = &self.index else {
            return scan();
        };
        let i = *index.get(&name_hash(name))? as usize;
        #[cfg(test)]
        tests::COMPARED.with(|c| c.set(c.get() + 1));
        if names_equal(self.list[i].0.as_str(), name) {
            Some(i)
        } else {
            scan()
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.list[i].1)
    }

    pub(crate) fn value_at_mut(&mut self, i: usize) -> &mut Value {
        &mut self.list[i].1
    }

    /// Adds a value, which must not be present, at the end.
    pub(crate) fn push(&mut self, name: RegName, value: Value) {
        reserve_one(&mut self.list);
        let at = self.list.len();
        if let Some(index) = &mut self.index {
            index.entry(name_hash(name.as_str())).or_insert(at as u32);
        }
        self.list.push((name, value));
        if self.index.is_none() && self.list.len() >= INDEX_FROM {
            self.reindex();
        }
    }

    /// Removes the value `name`; whether there was one.
    pub(crate) fn remove(&mut self, name: &str) -> bool {
        let Some(i) = self.position(name) else {
            return false;
        };
        self.list.remove(i);
        if self.index.is_some() {
            self.reindex();
        }
        true
    }

    fn reindex(&mut self) {
        if self.list.len() < INDEX_FROM {
            self.index = None;
            return;
        }
        let mut index = HashIndex::with_capacity_and_hasher(self.list.len(), Default::default());
        for (i, (n, _)) in self.list.iter().enumerate() {
            index.entry(name_hash(n.as_str())).or_insert(i as u32);
        }
        self.index = Some(Box::new(index));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Names compared by `position` on this thread (tests only).
        pub(super) static COMPARED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// One key with 20,000 values (docs/reliability.md, "one-key-many-values"): setting each
    /// value looks its name up first, and each lookup compares one name, not the key's values so
    /// far. Counted, not timed, after every lookup: scanning would compare 200 million names here
    /// and fails the bound at the first lookups past the index's threshold.
    #[test]
    fn a_key_with_many_values_finds_each_comparing_one_name() {
        let mut v = ValueList::default();
        let n = 20_000u64;
        for i in 0..n {
            let name = format!("Value{i}");
            let before = COMPARED.with(std::cell::Cell::get);
            assert_eq!(v.position(&name), None);
            v.push(RegName::new(name), Value::dword(i as u32));
            let found = v.position(&format!("VALUE{i}"));
            assert_eq!(found, Some(i as usize));
            let compared = COMPARED.with(std::cell::Cell::get) - before;
            // Below the threshold a scan of at most INDEX_FROM names, each way.
            assert!(
                compared <= 2 * INDEX_FROM as u64,
                "{compared} names at value {i}"
            );
        }
    }

    #[test]
    fn a_key_with_many_values_finds_each_by_any_spelling_and_keeps_first_written_order() {
        let mut v = ValueList::default();
        let n = 3 * INDEX_FROM;
        for i in (0..n).rev() {
            v.push(
                RegName::new(format!("Name\u{e9}{i}")),
                Value::dword(i as u32),
            );
        }
        for i in 0..n {
            let j = v.position(&format!("NAME\u{c9}{i}")).unwrap();
            assert_eq!(v.as_slice()[j].0.as_str(), format!("Name\u{e9}{i}"));
            assert_eq!(j, n - 1 - i, "first-written order");
        }
        assert_eq!(v.position("name"), None);
        assert!(v.remove("name\u{e9}0"));
        assert!(!v.remove("name\u{e9}0"));
        assert_eq!(v.as_slice().len(), n - 1);
        assert_eq!(v.get("NAME\u{c9}1"), Some(&Value::dword(1)));
        for i in 1..n {
            assert!(v.remove(&format!("name\u{e9}{i}")));
        }
        assert!(v.as_slice().is_empty() && v.index.is_none());
    }

    #[test]
    fn a_hash_collision_is_resolved_by_the_names() {
        let mut v = ValueList::default();
        for i in 0..INDEX_FROM {
            v.push(RegName::new(format!("v{i}")), Value::dword(i as u32));
        }
        // Point another name's hash at a value of a different name, as a collision would.
        let index = v.index.as_mut().unwrap();
        index.insert(name_hash("other"), 0);
        v.list.push((RegName::new("other"), Value::dword(99)));
        assert_eq!(v.get("OTHER"), Some(&Value::dword(99)));
        assert_eq!(v.get("v0"), Some(&Value::dword(0)));
    }
}
