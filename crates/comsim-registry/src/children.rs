//! A key's subkeys: kept in the registry's order and looked up by `&str` without allocating.
//!
//! Most keys have a handful of subkeys, which live in one sorted vector sized to fit. A key with many
//! (`CLSID` has one per class) keeps them in sorted chunks of bounded size, so that inserting in any
//! order moves at most one chunk, while a .reg file's sorted order only ever appends.

use std::cmp::Ordering;

use crate::name::{RegName, compare_names};
use crate::tree::KeyId;

type Entry = (RegName, KeyId);

/// Where a missing name goes: a chunk (0 for a flat list) and a position in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    chunk: usize,
    at: usize,
}

/// Up to this many subkeys are one sorted vector.
const FLAT_MAX: usize = 64;
/// Above that, sorted chunks of at most this many.
const CHUNK_MAX: usize = 512;

#[derive(Debug, Clone)]
pub(crate) enum Children {
    Flat(Vec<Entry>),
    /// Non-empty chunks; each chunk's names sort before the next chunk's.
    Chunked(Box<Chunked>),
}

#[derive(Debug, Clone)]
pub(crate) struct Chunked {
    chunks: Vec<Vec<Entry>>,
    len: usize,
}

impl Default for Children {
    fn default() -> Self {
        Children::Flat(Vec::new())
    }
}

fn cmp_entry(e: &Entry, name: &str) -> Ordering {
    compare_names(e.0.as_str(), name)
}

/// Makes room for one more element, doubling from one slot: `Vec`'s own first step is four slots,
/// and most keys have one or two subkeys or values.
pub(crate) fn reserve_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact(v.len().max(1));
    }
}

impl Children {
    fn chunks(&self) -> &[Vec<Entry>] {
        match self {
            Children::Flat(v) => std::slice::from_ref(v),
            Children::Chunked(c) => &c.chunks,
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Children::Flat(v) => v.len(),
            Children::Chunked(c) => c.len,
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.chunks().iter().flatten()
    }

    /// The chunk that holds `name` if any chunk does: the first whose last name is not below it.
    fn chunk_for(chunks: &[Vec<Entry>], name: &str) -> usize {
        chunks.partition_point(|c| {
            c.last()
                .is_some_and(|e| cmp_entry(e, name) == Ordering::Less)
        })
    }

    pub(crate) fn get(&self, name: &str) -> Option<KeyId> {
        self.search(name).ok()
    }

    /// The subkey `name` as it is spelled here, with its id.
    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        let chunks = self.chunks();
        let chunk = &chunks[Self::chunk_for(chunks, name).min(chunks.len() - 1)];
        let i = chunk.binary_search_by(|e| cmp_entry(e, name)).ok()?;
        Some(&chunk[i])
    }

    /// Where `name` is: its id, or the place to insert it with [`Children::insert_at`].
    pub(crate) fn search(&self, name: &str) -> Result<KeyId, Slot> {
        let chunks = self.chunks();
        let last = chunks.len() - 1;
        // Keys are mostly added in order (a .reg file lists them sorted): try the end first.
        let tail = &chunks[last];
        match tail.last().map(|e| cmp_entry(e, name)) {
            None | Some(Ordering::Less) => {
                return Err(Slot {
                    chunk: last,
                    at: tail.len(),
                });
            }
            Some(Ordering::Equal) => return Ok(tail[tail.len() - 1].1),
            Some(Ordering::Greater) => {}
        }
        let chunk = Self::chunk_for(chunks, name).min(last);
        match chunks[chunk].binary_search_by(|e| cmp_entry(e, name)) {
            Ok(i) => Ok(chunks[chunk][i].1),
            Err(at) => Err(Slot { chunk, at }),
        }
    }

    /// Adds `name` where [`Children::search`] said it goes; nothing may have changed since.
    pub(crate) fn insert_at(&mut self, slot: Slot, name: RegName, id: KeyId) {
        if let Children::Flat(v) = self {
            if v.len() < FLAT_MAX {
                reserve_one(v);
                v.insert(slot.at, (name, id));
                return;
            }
            let flat = std::mem::take(v);
            let len = flat.len();
            *self = Children::Chunked(Box::new(Chunked {
                chunks: vec![flat],
                len,
            }));
        }
        let Children::Chunked(c) = self else {
            unreachable!("converted above")
        };
        c.insert_at(slot, (name, id));
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
                let i = v.binary_search_by(|e| cmp_entry(e, name)).ok()?;
                Some(v.remove(i).1)
            }
            Children::Chunked(c) => {
                let ci = Self::chunk_for(&c.chunks, name);
                let chunk = c.chunks.get_mut(ci)?;
                let i = chunk.binary_search_by(|e| cmp_entry(e, name)).ok()?;
                let (_, id) = chunk.remove(i);
                if chunk.is_empty() {
                    c.chunks.remove(ci);
                }
                c.len -= 1;
                Some(id)
            }
        }
    }

    pub(crate) fn into_ids(self) -> impl Iterator<Item = KeyId> {
        let chunks = match self {
            Children::Flat(v) => vec![v],
            Children::Chunked(c) => c.chunks,
        };
        chunks.into_iter().flatten().map(|(_, id)| id)
    }
}

impl Chunked {
    fn insert_at(&mut self, slot: Slot, entry: Entry) {
        self.len += 1;
        let Slot { chunk: ci, at } = slot;
        let last = self.chunks.len() - 1;
        let chunk = &mut self.chunks[ci];
        if chunk.len() < CHUNK_MAX {
            chunk.insert(at, entry);
            return;
        }
        if ci == last && at == chunk.len() {
            // Appending in order: start a new chunk and leave this one full.
            let mut fresh = Vec::with_capacity(CHUNK_MAX);
            fresh.push(entry);
            self.chunks.push(fresh);
            return;
        }
        let mut right = Vec::with_capacity(CHUNK_MAX);
        right.extend(chunk.drain(CHUNK_MAX / 2..));
        if at <= CHUNK_MAX / 2 {
            chunk.insert(at, entry);
        } else {
            right.insert(at - CHUNK_MAX / 2, entry);
        }
        self.chunks.insert(ci + 1, right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &Children) -> Vec<String> {
        c.iter().map(|(n, _)| n.as_str().to_owned()).collect()
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
    fn appending_in_order_fills_chunks() {
        let mut c = Children::default();
        for i in 0..(3 * CHUNK_MAX) {
            c.insert(RegName::new(format!("{i:06}")), KeyId::from_index(i));
        }
        let Children::Chunked(ch) = &c else {
            panic!("large maps are chunked")
        };
        assert_eq!(ch.chunks.len(), 3);
        assert!(ch.chunks.iter().all(|k| k.len() == CHUNK_MAX));
    }
}
