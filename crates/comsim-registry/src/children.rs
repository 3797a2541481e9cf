//! A key's subkeys: enumerated in the registry's order and looked up by `&str` without allocating.
//!
//! Most keys have a handful of subkeys, which live in one sorted vector sized to fit. A key with many
//! (`CLSID` has one per class) keeps them in the order they were added, with an index from the
//! hash of each name (its upper-cased UTF-16 units) to its place, and sorts them only when they are
//! enumerated (the order is kept until the next change). Finding or adding a subkey then costs one
//! hash whatever order a .reg file lists its keys in: sorted chunks cost a binary search of
//! name comparisons per key line, which was most of an import of a file in random key order.

use std::cmp::Ordering;
use std::sync::OnceLock;

use crate::name::{HashIndex, RegName, compare_tagged, name_hash, name_tag, names_equal};
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

/// Where a missing name goes in a flat list (a hashed list appends), and, in a hashed list, the
/// name's hash, which the search computed and the insertion needs.
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
    /// In the order they were added (a removal moves the last one into the gap).
    entries: Vec<Entry>,
    /// `name_hash` of each entry, beside it.
    hashes: Vec<u64>,
    /// A hash to the place of an entry with that hash. A name whose hash is absent is not here; a
    /// hash shared by two names (a collision) points at one of them, and the other is found by a
    /// scan of `hashes`.
    index: HashIndex<u32>,
    /// The places of the entries in the registry's order, once asked for since the last change.
    sorted: OnceLock<Vec<u32>>,
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
    Hashed(&'a [Entry], std::slice::Iter<'a, u32>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        match self {
            Iter::Flat(it) => it.next(),
            Iter::Hashed(entries, order) => order.next().map(|&i| &entries[i as usize]),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Flat(it) => it.next_back(),
            Iter::Hashed(entries, order) => order.next_back().map(|&i| &entries[i as usize]),
        }
    }
}

impl Children {
    pub(crate) fn len(&self) -> usize {
        match self {
            Children::Flat(v) => v.len(),
            Children::Hashed(h) => h.entries.len(),
        }
    }

    pub(crate) fn iter(&self) -> Iter<'_> {
        match self {
            Children::Flat(v) => Iter::Flat(v.iter()),
            Children::Hashed(h) => Iter::Hashed(&h.entries, h.sorted().iter()),
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
            Children::Hashed(h) => h.position(name_hash(name), name).map(|i| &h.entries[i]),
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
                match h.position(hash, name) {
                    Some(i) => Ok(h.entries[i].id),
                    None => Err(Slot {
                        at: h.entries.len(),
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
                let mut h = Hashed {
                    hashes: flat.iter().map(|e| name_hash(e.name.as_str())).collect(),
                    entries: flat,
                    index: HashIndex::default(),
                    sorted: OnceLock::new(),
                };
                h.reindex();
                let hash = name_hash(name.as_str());
                h.push(name, id, hash);
                *self = Children::Hashed(Box::new(h));
            }
            Children::Hashed(h) => {
                let hash = slot.hash.unwrap_or_else(|| name_hash(name.as_str()));
                h.push(name, id, hash);
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
            Children::Hashed(h) => h.entries,
        };
        entries.into_iter().map(|e| e.id)
    }
}

impl Hashed {
    fn sorted(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                let (a, b) = (&self.entries[a as usize], &self.entries[b as usize]);
                compare_tagged((a.tag, a.name.as_str()), (b.tag, b.name.as_str()))
            });
            order
        })
    }

    fn position(&self, hash: u64, name: &str) -> Option<usize> {
        let i = *self.index.get(&hash)? as usize;
        if names_equal(self.entries[i].name.as_str(), name) {
            return Some(i);
        }
        // A collision: another name with the same hash.
        self.hashes
            .iter()
            .enumerate()
            .find(|&(j, &h)| h == hash && names_equal(self.entries[j].name.as_str(), name))
            .map(|(j, _)| j)
    }

    /// Appends `name`, whose [`name_hash`] is `hash`.
    fn push(&mut self, name: RegName, id: KeyId, hash: u64) {
        self.index.entry(hash).or_insert(self.entries.len() as u32);
        self.entries.push(Entry::new(name, id));
        self.hashes.push(hash);
        self.sorted = OnceLock::new();
    }

    fn remove(&mut self, name: &str) -> Option<KeyId> {
        let hash = name_hash(name);
        let i = self.position(hash, name)?;
        let last = self.entries.len() - 1;
        let id = self.entries.swap_remove(i).id;
        self.hashes.swap_remove(i);
        self.sorted = OnceLock::new();
        // The index may point at the removed place (for its hash) and at the last one (for the hash
        // of the entry moved from there): point each hash at an entry that has it, if any.
        for h in [hash, self.hashes.get(i).copied().unwrap_or(hash)] {
            let points_at = self.index.get(&h).map(|&p| p as usize);
            if points_at == Some(i) || points_at == Some(last) {
                match self.hashes.iter().position(|&x| x == h) {
                    Some(p) => self.index.insert(h, p as u32),
                    None => self.index.remove(&h),
                };
            }
        }
        Some(id)
    }

    fn reindex(&mut self) {
        self.index =
            HashIndex::with_capacity_and_hasher(self.entries.len() * 2, Default::default());
        for (i, &h) in self.hashes.iter().enumerate() {
            self.index.entry(h).or_insert(i as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::compare_names;

    #[test]
    fn a_subkey_entry_with_its_tag_is_24_bytes() {
        // The tag sits where the id's padding was: adding it costs no memory.
        assert_eq!(std::mem::size_of::<Entry>(), 24);
    }

    fn names(c: &Children) -> Vec<String> {
        c.iter().map(|e| e.name.as_str().to_owned()).collect()
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
            for i in 0..n {
                assert_eq!(c.get(&format!("K{i:05}")), Some(KeyId::from_index(i)));
            }
            assert_eq!(c.get("k99999"), None);
            assert_eq!(c.get(""), None);
            for i in (0..n).step_by(2) {
                assert_eq!(c.remove(&format!("k{i:05}")), Some(KeyId::from_index(i)));
            }
            assert_eq!(c.len(), n / 2);
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
        let mut c = Children::default();
        for i in 0..=FLAT_MAX {
            c.insert(RegName::new(format!("k{i:03}")), KeyId::from_index(i));
        }
        let Children::Hashed(h) = &mut c else {
            panic!("large lists are hashed")
        };
        // Point k001's hash at k000, as if both names had that hash and k000 came first.
        h.index.insert(name_hash("k001"), 0);
        assert_eq!(c.get("K000"), Some(KeyId::from_index(0)));
        assert_eq!(c.get("K001"), Some(KeyId::from_index(1)));
        assert_eq!(c.remove("k001"), Some(KeyId::from_index(1)));
        assert_eq!(c.get("k000"), Some(KeyId::from_index(0)));
        assert_eq!(c.get("k001"), None);
    }
}
