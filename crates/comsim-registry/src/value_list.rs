//! A key's values: kept in first-written order, found by name without scanning on large keys,
//! removed without shifting the rest.
//!
//! Most keys have one to a few values, and a scan of a short vector is the fastest lookup there is.
//! A key with many (a .reg file can give one key 100,000 values) also gets an index from the hash of
//! each name's upper-cased UTF-16 units to its position, so that setting a value stays cheap
//! however many the key has, instead of scanning them all for the name. Removing a value from such
//! a key leaves an empty slot in its place (the positions of the others, and so the index, stay
//! valid), and the slots are compacted once they outnumber the values: deleting every value of a
//! key with n values costs O(n), where shifting the rest down at each removal cost O(n²).

use crate::children::reserve_one;
use crate::name::{HashIndex, RegName, name_hash, names_equal};
use crate::value::Value;

/// From this many values on, a key keeps an index.
const INDEX_FROM: usize = 16;

pub(crate) type Entry = (RegName, Value);

/// A value, or the place of a removed one (only in a list with an index).
type Slot = Option<Entry>;

#[derive(Debug, Clone, Default)]
pub(crate) struct ValueList {
    slots: Vec<Slot>,
    /// Only once the list is long (so a short list costs a `Vec` and one pointer, as every key
    /// has one).
    index: Option<Box<Index>>,
}

#[derive(Debug, Clone, Default)]
struct Index {
    /// The hash of each name to the position of the first value with that hash. A name whose
    /// hash is absent is not in the list; one whose hash points at another name (a collision) is
    /// looked for by a scan.
    by_hash: HashIndex<u32>,
    /// Slots emptied by removals (only a list with an index has any).
    dead: usize,
    /// Whether two names ever shared a hash: then removing a value rebuilds the index (so that
    /// the other name stays findable) instead of dropping the hash.
    collided: bool,
}

/// The values of a key in first-written order (what [`crate::Registry::values`] returns).
#[derive(Clone, Copy)]
pub struct Values<'a> {
    slots: &'a [Slot],
    live: usize,
}

impl<'a> Values<'a> {
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn iter(&self) -> ValuesIter<'a> {
        ValuesIter {
            slots: self.slots.iter(),
            left: self.live,
        }
    }

    pub fn to_vec(&self) -> Vec<(RegName, Value)> {
        self.iter().cloned().collect()
    }
}

impl std::fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Values<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.live == other.live && self.iter().eq(other.iter())
    }
}

impl<'a> IntoIterator for Values<'a> {
    type Item = &'a (RegName, Value);
    type IntoIter = ValuesIter<'a>;
    fn into_iter(self) -> ValuesIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &Values<'a> {
    type Item = &'a (RegName, Value);
    type IntoIter = ValuesIter<'a>;
    fn into_iter(self) -> ValuesIter<'a> {
        self.iter()
    }
}

/// The iterator of [`Values`]: it steps over the slots of removed values.
#[derive(Clone)]
pub struct ValuesIter<'a> {
    slots: std::slice::Iter<'a, Slot>,
    left: usize,
}

impl<'a> Iterator for ValuesIter<'a> {
    type Item = &'a (RegName, Value);
    fn next(&mut self) -> Option<Self::Item> {
        let e = self.slots.find_map(Option::as_ref)?;
        self.left -= 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for ValuesIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let e = self.slots.rfind(|s| s.is_some())?.as_ref()?;
        self.left -= 1;
        Some(e)
    }
}

impl ExactSizeIterator for ValuesIter<'_> {}

impl ValueList {
    pub(crate) fn values(&self) -> Values<'_> {
        Values {
            slots: &self.slots,
            live: self.len(),
        }
    }

    fn len(&self) -> usize {
        self.slots.len() - self.index.as_ref().map_or(0, |i| i.dead)
    }

    fn name_at(&self, i: usize) -> Option<&str> {
        self.slots[i].as_ref().map(|(n, _)| n.as_str())
    }

    /// The position of the value `name`.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        // An ASCII name equals only names of its length (no other character upper-cases into
        // ASCII): the lengths, kept in the slots, rule out most names without reading them.
        let ascii = name.is_ascii();
        let scan = || {
            (0..self.slots.len()).find(|&i| {
                #[cfg(test)]
                tests::COMPARED.with(|c| c.set(c.get() + 1));
                self.name_at(i)
                    .is_some_and(|n| (!ascii || n.len() == name.len()) && names_equal(n, name))
            })
        };
        let Some(index) = &self.index else {
            return scan();
        };
        let i = *index.by_hash.get(&name_hash(name))? as usize;
        #[cfg(test)]
        tests::COMPARED.with(|c| c.set(c.get() + 1));
        if self.name_at(i).is_some_and(|n| names_equal(n, name)) {
            Some(i)
        } else {
            scan()
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.position(name)
            .and_then(|i| self.slots[i].as_ref().map(|(_, v)| v))
    }

    /// The value at `i`, a position [`ValueList::position`] gave.
    pub(crate) fn entry_at(&self, i: usize) -> Option<&Entry> {
        self.slots.get(i)?.as_ref()
    }

    pub(crate) fn value_at_mut(&mut self, i: usize) -> Option<&mut Value> {
        self.slots.get_mut(i)?.as_mut().map(|(_, v)| v)
    }

    /// How many values the list holds without growing (tests only).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Makes room for `n` more values.
    pub(crate) fn reserve_exact(&mut self, n: usize) {
        self.slots.reserve_exact(n);
    }

    /// Adds a value, which must not be present, at the end.
    pub(crate) fn push(&mut self, name: RegName, value: Value) {
        reserve_one(&mut self.slots);
        let at = self.slots.len();
        if let Some(index) = &mut self.index {
            let h = index.by_hash.entry(name_hash(name.as_str()));
            index.collided |= matches!(h, std::collections::hash_map::Entry::Occupied(_));
            h.or_insert(at as u32);
        }
        self.slots.push(Some((name, value)));
        if self.index.is_none() && self.slots.len() >= INDEX_FROM {
            self.reindex();
        }
    }

    /// Removes the value `name`; whether there was one.
    pub(crate) fn remove(&mut self, name: &str) -> bool {
        let Some(i) = self.position(name) else {
            return false;
        };
        let Some(index) = &mut self.index else {
            // A short list without an index: shifting a few entries is cheapest.
            #[cfg(test)]
            tests::MOVED.with(|c| c.set(c.get() + (self.slots.len() - i) as u64));
            self.slots.remove(i);
            return true;
        };
        self.slots[i] = None;
        index.dead += 1;
        let h = name_hash(name);
        let dropped = index.by_hash.get(&h) == Some(&(i as u32));
        if dropped {
            index.by_hash.remove(&h);
        }
        // After a collision, another name may share the dropped hash: rebuild to keep it found.
        if (dropped && index.collided) || index.dead * 2 > self.slots.len() {
            #[cfg(test)]
            tests::MOVED.with(|c| c.set(c.get() + self.slots.len() as u64));
            self.slots.retain(Option::is_some);
            self.reindex();
        }
        true
    }

    /// Rebuilds the index over the list, which holds no empty slot.
    fn reindex(&mut self) {
        debug_assert!(self.slots.iter().all(Option::is_some));
        if self.slots.len() < INDEX_FROM {
            self.index = None;
            return;
        }
        let mut index = Index {
            by_hash: HashIndex::with_capacity_and_hasher(self.slots.len(), Default::default()),
            dead: 0,
            collided: false,
        };
        for (i, (n, _)) in self.slots.iter().flatten().enumerate() {
            let h = index.by_hash.entry(name_hash(n.as_str()));
            index.collided |= matches!(h, std::collections::hash_map::Entry::Occupied(_));
            h.or_insert(i as u32);
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
        /// Slots moved or compacted by `remove` on this thread (tests only).
        pub(super) static MOVED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
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

    fn names(v: &ValueList) -> Vec<String> {
        v.values()
            .iter()
            .map(|(n, _)| n.as_str().to_owned())
            .collect()
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
            assert_eq!(v.entry_at(j).unwrap().0.as_str(), format!("Name\u{e9}{i}"));
            assert_eq!(j, n - 1 - i, "first-written order");
        }
        assert_eq!(v.position("name"), None);
        assert!(v.remove("name\u{e9}0"));
        assert!(!v.remove("name\u{e9}0"));
        assert_eq!(v.values().len(), n - 1);
        assert_eq!(v.get("NAME\u{c9}1"), Some(&Value::dword(1)));
        for i in 1..n {
            assert!(v.remove(&format!("name\u{e9}{i}")));
        }
        assert!(v.values().is_empty() && v.index.is_none() && v.slots.is_empty());
    }

    #[test]
    fn removing_values_keeps_the_others_in_order_and_findable_through_compaction() {
        let mut v = ValueList::default();
        let n = 10 * INDEX_FROM;
        for i in 0..n {
            v.push(RegName::new(format!("v{i}")), Value::dword(i as u32));
        }
        // Every third value goes, then more, so that the list is compacted on the way.
        let mut kept: Vec<usize> = (0..n).collect();
        for round in [3, 2] {
            let gone: Vec<usize> = kept.iter().copied().step_by(round).collect();
            for i in &gone {
                assert!(v.remove(&format!("V{i}")));
            }
            kept.retain(|i| !gone.contains(i));
            let expected: Vec<String> = kept.iter().map(|i| format!("v{i}")).collect();
            assert_eq!(names(&v), expected);
            assert_eq!(v.values().len(), kept.len());
            assert_eq!(v.values().iter().rev().count(), kept.len());
            for i in 0..n {
                assert_eq!(v.get(&format!("v{i}")).is_some(), kept.contains(&i), "v{i}");
            }
        }
        // A value added after removals goes at the end.
        v.push(RegName::new("v0"), Value::dword(7));
        assert_eq!(names(&v).last().map(String::as_str), Some("v0"));
        assert_eq!(v.get("V0"), Some(&Value::dword(7)));
    }

    #[test]
    fn deleting_every_value_of_a_key_with_200000_is_linear() {
        // Shifting the rest down at each removal (and rebuilding the index) made this quadratic:
        // some 10^10 moves, minutes even in a release build. Counted, not timed: compacting once
        // half the slots are empty moves each slot a bounded number of times.
        const N: usize = 200_000;
        let mut v = ValueList::default();
        for i in 0..N {
            v.push(RegName::new(format!("value{i}")), Value::dword(i as u32));
        }
        let before = MOVED.with(std::cell::Cell::get);
        for i in 0..N {
            assert!(v.remove(&format!("VALUE{i}")));
        }
        assert!(v.values().is_empty());
        // Deleting from the end, or from the middle outwards, is no different.
        for i in 0..N {
            v.push(RegName::new(format!("value{i}")), Value::dword(i as u32));
        }
        for i in (0..N).rev() {
            assert!(v.remove(&format!("value{i}")));
        }
        assert!(v.values().is_empty());
        let moved = MOVED.with(std::cell::Cell::get) - before;
        // Each of the two passes compacts N + N/2 + N/4 + ... slots, under 2N; shifting at each
        // removal would move some N^2/2.
        assert!(
            moved <= 4 * N as u64,
            "400,000 removals moved {moved} slots"
        );
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn every_key_pays_a_vec_and_one_pointer_for_its_values() {
        // Each key has a value list; the removal bookkeeping lives with the index of long lists,
        // so that it costs the many short ones nothing (issue 12: a hive's registry).
        assert_eq!(std::mem::size_of::<ValueList>(), 32);
    }

    #[test]
    fn a_hash_collision_is_resolved_by_the_names() {
        let mut v = ValueList::default();
        for i in 0..INDEX_FROM {
            v.push(RegName::new(format!("v{i}")), Value::dword(i as u32));
        }
        // Point another name's hash at a value of a different name, as a collision would.
        let index = v.index.as_mut().unwrap();
        index.by_hash.insert(name_hash("other"), 0);
        index.collided = true;
        v.slots
            .push(Some((RegName::new("other"), Value::dword(99))));
        assert_eq!(v.get("OTHER"), Some(&Value::dword(99)));
        assert_eq!(v.get("v0"), Some(&Value::dword(0)));
        // Removing the value the shared hash points at keeps the other name findable.
        assert!(v.remove("v0"));
        assert_eq!(v.get("OTHER"), Some(&Value::dword(99)));
        assert_eq!(v.get("v0"), None);
    }
}
