//! A key's subkeys: enumerated in the registry's order and looked up by `&str` without allocating.
//!
//! Most keys have a handful of subkeys, which live in one sorted vector sized to fit. A key with many
//! (`CLSID` has one per class) keeps them in a hash table (open addressing, linear probing) keyed
//! by the hash of each name (its upper-cased UTF-16 units), each bucket holding the entry itself,
//! and sorts them only when they are enumerated (the order is kept until the next change). Finding
//! or adding a subkey then costs one hash whatever order a .reg file lists its keys in: sorted
//! chunks cost a binary search of name comparisons per key line, which was most of an import of a
//! file in random key order. A lookup reads one bucket (the hash and the entry, side by side) and
//! the name it confirms: two cache misses where an index beside a vector of entries took four.

use std::cmp::Ordering;
use std::sync::OnceLock;

use crate::name::{
    RegName, compare_names, compare_tagged, name_hash, name_key, name_tag, names_equal,
};
use crate::tree::KeyId;

/// A subkey: its name, its id, and the name's [`name_tag`], which decides most comparisons of a
/// sorted list without reading the name (a cache miss per name on an import in random order). The
/// tag fits in what would be padding: an entry is 24 bytes either way.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: RegName,
    pub(crate) id: KeyId,
    tag: u32,
}

impl Entry {
    fn new(name: RegName, id: KeyId) -> Self {
        Entry {
            tag: name_tag(name.as_str()),
            name,
            id,
        }
    }
}

/// Where a missing name goes (its place in a flat list, the empty bucket its probe ended at in a
/// hashed one), and, in a hashed list, the name's hash, which the search computed and the
/// insertion needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    at: usize,
    hash: Option<u64>,
}

/// Up to this many subkeys are one sorted vector.
const FLAT_MAX: usize = 64;

#[derive(Debug, Clone)]
pub(crate) enum Children {
    Flat(Vec<Entry>),
    Hashed(Box<Hashed>),
}

#[derive(Debug, Clone)]
pub(crate) struct Hashed {
    /// A power of two of them, at most half full, so that a probe soon meets an empty bucket.
    buckets: Vec<Bucket>,
    len: usize,
    /// The places of the entries (buckets) in the registry's order, once asked for since the last
    /// change.
    sorted: OnceLock<Vec<u32>>,
}

/// A bucket of a [`Hashed`] list: empty, or an entry and the [`name_hash`] of its name. 32 bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bucket {
    hash: u64,
    entry: Option<Entry>,
}

impl Default for Children {
    fn default() -> Self {
        Children::Flat(Vec::new())
    }
}

/// How `e` orders against the name `name` whose tag is `tag`.
fn cmp_entry(e: &Entry, (tag, name): (u32, &str)) -> Ordering {
    compare_tagged((e.tag, e.name.as_str()), (tag, name))
}

/// Makes room for one more element, doubling from one slot: `Vec`'s own first step is four slots,
/// and most keys have one or two subkeys or values.
pub(crate) fn reserve_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact(v.len().max(1));
    }
}

/// The entries of a [`Children`] in the registry's order.
pub(crate) enum Iter<'a> {
    Flat(std::slice::Iter<'a, Entry>),
    Hashed(&'a [Bucket], std::slice::Iter<'a, u32>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        match self {
            Iter::Flat(it) => it.next(),
            Iter::Hashed(buckets, order) => order
                .by_ref()
                .find_map(|&i| buckets[i as usize].entry.as_ref()),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Flat(it) => it.next_back(),
            Iter::Hashed(buckets, order) => loop {
                // Every place in the order holds an entry: `find_map` in both directions.
                let &i = order.next_back()?;
                if let Some(e) = buckets[i as usize].entry.as_ref() {
                    return Some(e);
                }
            },
        }
    }
}

impl Children {
    pub(crate) fn len(&self) -> usize {
        match self {
            Children::Flat(v) => v.len(),
            Children::Hashed(h) => h.len,
        }
    }

    pub(crate) fn iter(&self) -> Iter<'_> {
        match self {
            Children::Flat(v) => Iter::Flat(v.iter()),
            Children::Hashed(h) => Iter::Hashed(&h.buckets, h.sorted().iter()),
        }
    }

    /// The entry at `index` in the registry's order, as [`Children::iter`] gives them.
    pub(crate) fn at(&self, index: usize) -> Option<&Entry> {
        match self {
            Children::Flat(v) => v.get(index),
            Children::Hashed(h) => {
                let &i = h.sorted().get(index)?;
                h.buckets[i as usize].entry.as_ref()
            }
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<KeyId> {
        self.entry(name).map(|e| e.id)
    }

    /// The subkey `name` as it is spelled here, with its id.
    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        match self {
            Children::Flat(v) => {
                let key = (name_tag(name), name);
                let i = v.binary_search_by(|e| cmp_entry(e, key)).ok()?;
                Some(&v[i])
            }
            Children::Hashed(h) => h.find(name_hash(name), name).ok().map(|(_, e)| e),
        }
    }

    /// Where `name` is: its id, or the place to insert it with [`Children::insert_at`].
    pub(crate) fn search(&self, name: &str) -> Result<KeyId, Slot> {
        match self {
            Children::Flat(v) => {
                let key = (name_tag(name), name);
                // Keys are mostly added in order (a .reg file lists them sorted): try the end first.
                match v.last().map(|e| cmp_entry(e, key)) {
                    None | Some(Ordering::Less) => {
                        return Err(Slot {
                            at: v.len(),
                            hash: None,
                        });
                    }
                    Some(Ordering::Equal) => return Ok(v[v.len() - 1].id),
                    Some(Ordering::Greater) => {}
                }
                v.binary_search_by(|e| cmp_entry(e, key))
                    .map(|i| v[i].id)
                    .map_err(|at| Slot { at, hash: None })
            }
            Children::Hashed(h) => {
                let hash = name_hash(name);
                match h.find(hash, name) {
                    Ok((_, e)) => Ok(e.id),
                    Err(at) => Err(Slot {
                        at,
                        hash: Some(hash),
                    }),
                }
            }
        }
    }

    /// Adds `name` where [`Children::search`] said it goes; nothing may have changed since.
    pub(crate) fn insert_at(&mut self, slot: Slot, name: RegName, id: KeyId) {
        match self {
            Children::Flat(v) if v.len() < FLAT_MAX => {
                reserve_one(v);
                v.insert(slot.at, Entry::new(name, id));
            }
            Children::Flat(v) => {
                let flat = std::mem::take(v);
                let mut h = Hashed::with_room(flat.len() + 1);
                for e in flat {
                    h.add(name_hash(e.name.as_str()), e);
                }
                h.add(name_hash(name.as_str()), Entry::new(name, id));
                *self = Children::Hashed(Box::new(h));
            }
            Children::Hashed(h) => {
                let hash = slot.hash.unwrap_or_else(|| name_hash(name.as_str()));
                h.insert(slot.at, hash, Entry::new(name, id));
            }
        }
    }

    /// Adds `name`, which must not be present.
    #[cfg(test)]
    fn insert(&mut self, name: RegName, id: KeyId) {
        if let Err(slot) = self.search(name.as_str()) {
            self.insert_at(slot, name, id);
        }
    }

    /// Removes `name`; its id if it was present.
    pub(crate) fn remove(&mut self, name: &str) -> Option<KeyId> {
        match self {
            Children::Flat(v) => {
                let key = (name_tag(name), name);
                let i = v.binary_search_by(|e| cmp_entry(e, key)).ok()?;
                Some(v.remove(i).id)
            }
            Children::Hashed(h) => h.remove(name),
        }
    }

    pub(crate) fn into_ids(self) -> impl Iterator<Item = KeyId> {
        let entries = match self {
            Children::Flat(v) => v,
            Children::Hashed(h) => h.buckets.into_iter().filter_map(|b| b.entry).collect(),
        };
        entries.into_iter().map(|e| e.id)
    }
}

impl Hashed {
    /// An empty table with room for `n` entries.
    fn with_room(n: usize) -> Self {
        let buckets = (2 * n).next_power_of_two().max(8);
        Hashed {
            buckets: vec![Bucket::default(); buckets],
            len: 0,
            sorted: OnceLock::new(),
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    /// Sorted by each name's [`name_key`] first, beside the bucket's place: a comparison reads the
    /// names only where two keys are equal, and each name is read once to make its key, not at
    /// every comparison (the names are scattered over the heap, the keys side by side).
    fn sorted(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            let mut keyed: Vec<(u64, u32, &str)> = self
                .buckets
                .iter()
                .enumerate()
                .filter_map(|(i, b)| {
                    let name = b.entry.as_ref()?.name.as_str();
                    Some((name_key(name), i as u32, name))
                })
                .collect();
            keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| compare_names(a.2, b.2)));
            keyed.into_iter().map(|(_, i, _)| i).collect()
        })
    }

    /// The bucket of `name`, whose [`name_hash`] is `hash`, and its entry; else the empty bucket
    /// where it would go. Two names with one hash (a collision) are told apart by the names.
    fn find(&self, hash: u64, name: &str) -> Result<(usize, &Entry), usize> {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        // At most half the buckets are full: an empty one ends the probe.
        loop {
            let b = &self.buckets[i];
            match &b.entry {
                None => return Err(i),
                Some(e) if b.hash == hash && names_equal(e.name.as_str(), name) => {
                    return Ok((i, e));
                }
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// Puts `entry` (hash `hash`, not present) into the empty bucket `at` that [`Hashed::find`]
    /// gave, or, when the table must grow first, where it goes in the grown one.
    fn insert(&mut self, at: usize, hash: u64, entry: Entry) {
        if 2 * (self.len + 1) > self.buckets.len() {
            self.add(hash, entry);
            return;
        }
        debug_assert!(self.buckets[at].entry.is_none());
        self.buckets[at] = Bucket {
            hash,
            entry: Some(entry),
        };
        self.len += 1;
        self.sorted = OnceLock::new();
    }

    /// Adds `entry` (hash `hash`, not present), growing the table if it would be over half full.
    fn add(&mut self, hash: u64, entry: Entry) {
        if 2 * (self.len + 1) > self.buckets.len() {
            let old = std::mem::take(&mut self.buckets);
            *self = Hashed::with_room(self.len + 1);
            for b in old {
                if let Some(e) = b.entry {
                    self.add(b.hash, e);
                }
            }
        }
        if let Err(at) = self.find(hash, entry.name.as_str()) {
            self.insert(at, hash, entry);
        }
    }

    fn remove(&mut self, name: &str) -> Option<KeyId> {
        self.remove_hashed(name_hash(name), name)
    }

    /// Removes `name`, whose [`name_hash`] is `hash`; its id if it was present.
    fn remove_hashed(&mut self, hash: u64, name: &str) -> Option<KeyId> {
        let (mut hole, _) = self.find(hash, name).ok()?;
        let id = self.buckets[hole].entry.take()?.id;
        self.len -= 1;
        self.sorted = OnceLock::new();
        // Close the gap: an entry after it in the same run moves back into it when the hole lies
        // between the entry's home bucket and its place (cyclically), so every probe still finds
        // each entry before an empty bucket.
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            if self.buckets[j].entry.is_none() {
                return Some(id);
            }
            let home = self.buckets[j].hash as usize & mask;
            // How far each is past the home bucket, cyclically.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.buckets.swap(hole, j);
                hole = j;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subkey_entry_with_its_tag_is_24_bytes() {
        // The tag sits where the id's padding was: adding it costs no memory.
        assert_eq!(std::mem::size_of::<Entry>(), 24);
    }

    fn names(c: &Children) -> Vec<String> {
        c.iter().map(|e| e.name.as_str().to_owned()).collect()
    }

    /// `at` gives the entries `iter` gives, at their places in its order, and nothing past them.
    fn at_is_iter(c: &Children) {
        let by_index: Vec<KeyId> = (0..).map_while(|i| c.at(i)).map(|e| e.id).collect();
        let walked: Vec<KeyId> = c.iter().map(|e| e.id).collect();
        assert_eq!(by_index, walked);
        assert_eq!(by_index.len(), c.len());
    }

    #[test]
    fn any_insertion_order_keeps_the_registry_order_and_finds_every_name() {
        for n in [3usize, 64, 65, 600, 3000] {
            // A scrambled order: multiplying by a number prime to n permutes 0..n.
            let order: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
            let mut c = Children::default();
            for &i in &order {
                c.insert(RegName::new(format!("k{i:05}")), KeyId::from_index(i));
            }
            assert_eq!(c.len(), n);
            let mut want: Vec<String> = (0..n).map(|i| format!("k{i:05}")).collect();
            want.sort_by(|a, b| compare_names(a, b));
            assert_eq!(names(&c), want);
            at_is_iter(&c);
            for i in 0..n {
                assert_eq!(c.get(&format!("K{i:05}")), Some(KeyId::from_index(i)));
            }
            assert_eq!(c.get("k99999"), None);
            assert_eq!(c.get(""), None);
            for i in (0..n).step_by(2) {
                assert_eq!(c.remove(&format!("k{i:05}")), Some(KeyId::from_index(i)));
            }
            assert_eq!(c.len(), n / 2);
            at_is_iter(&c);
            assert_eq!(c.get("k00000"), None);
            if n > 1 {
                assert_eq!(c.get("k00001"), Some(KeyId::from_index(1)));
            }
            let ids: Vec<KeyId> = c.into_ids().collect();
            assert_eq!(ids.len(), n / 2);
        }
    }

    #[test]
    fn a_hash_collision_is_told_apart_by_the_names() {
        let mut h = Hashed::with_room(4);
        // Two names given one hash, as if their hashes were equal.
        let hash = name_hash("k000");
        h.add(hash, Entry::new(RegName::new("k000"), KeyId::from_index(0)));
        h.add(hash, Entry::new(RegName::new("k001"), KeyId::from_index(1)));
        let id = |h: &Hashed, name| h.find(hash, name).ok().map(|(_, e)| e.id);
        assert_eq!(id(&h, "K000"), Some(KeyId::from_index(0)));
        assert_eq!(id(&h, "K001"), Some(KeyId::from_index(1)));
        assert_eq!(id(&h, "k002"), None);
        assert_eq!(h.remove_hashed(hash, "k000"), Some(KeyId::from_index(0)));
        assert_eq!(id(&h, "k000"), None);
        assert_eq!(id(&h, "k001"), Some(KeyId::from_index(1)));
    }

    #[test]
    fn adds_and_removes_in_crowded_runs_find_what_a_map_finds() {
        // Hashes from a few values only, so that entries crowd into long runs that wrap around
        // the end of the table: removal must move the right entries back into each hole.
        let mut rng = comsim_rng::Xorshift64::new(0x5eed_c0de);
        for round in 0..40 {
            let spread = 1 + round % 9;
            let hash_of = |k: usize| ((k % spread) as u64).wrapping_mul(0x9E37_79B9) | 7;
            let mut h = Hashed::with_room(4);
            let mut model = std::collections::BTreeMap::new();
            for _ in 0..400 {
                let k = rng.below(60);
                let name = format!("n{k}");
                if rng.below(3) == 0 {
                    let got = h.remove_hashed(hash_of(k), &name);
                    assert_eq!(got, model.remove(&k), "round {round}: remove {name}");
                } else if let Err(at) = h.find(hash_of(k), &name) {
                    h.insert(
                        at,
                        hash_of(k),
                        Entry::new(RegName::new(name.clone()), KeyId::from_index(k)),
                    );
                    model.insert(k, KeyId::from_index(k));
                }
                assert_eq!(h.len, model.len());
                for k in 0..60 {
                    let found = h.find(hash_of(k), &format!("N{k}")).ok().map(|(_, e)| e.id);
                    assert_eq!(found, model.get(&k).copied(), "round {round}: find n{k}");
                }
            }
        }
    }
}
