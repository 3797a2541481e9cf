//! The last walk each thread made in each hive, so that the next lookup sharing its first keys
//! starts below them ([`crate::Registry::find`]). (Not the import's `KeyCursor`, which creates
//! keys; this one only finds them.)
//!
//! A process's reads cluster: `CLSID\{…}`, then `CLSID\{…}\InprocServer32`, then its version
//! subkeys. Each lookup walks from the hive's root, and the wide keys on the way (`Classes`,
//! `CLSID` with a hundred thousand subkeys) cost a hash probe or a binary search each. This module
//! keeps, per thread and hive, the names and key ids of the last walk as far as it went; a lookup
//! compares its names with the walk's (the same bytes, else the registry's comparison) and
//! searches only below the keys it shares.
//!
//! A walk belongs to one registry in one state: it is dropped when the registry's instance
//! number or its count of created and deleted keys differs (the stamp of `tree.rs`), since only
//! creating or deleting keys changes what a path finds. A clone is another instance.

use std::cell::RefCell;

use crate::name::names_equal;
use crate::path::Hive;
use crate::tree::{KeyId, Registry};

/// One hive's last walk.
#[derive(Default)]
struct LastWalk {
    /// The registry (instance, changes) the walk was made in.
    made_in: (u64, u64),
    /// Names of the keys walked, as the lookup spelled them; entries past `len` are spare
    /// buffers, kept to be written again.
    names: Vec<String>,
    ids: Vec<KeyId>,
}

impl LastWalk {
    fn push(&mut self, name: &str, id: KeyId) {
        let n = self.ids.len();
        match self.names.get_mut(n) {
            Some(spare) => {
                spare.clear();
                spare.push_str(name);
            }
            None => self.names.push(name.to_owned()),
        }
        self.ids.push(id);
    }
}

thread_local! {
    static WALKS: RefCell<[LastWalk; Hive::ALL.len()]> = RefCell::default();
}

/// The key at `names` below the root of `hive`, walked from the thread's last walk.
pub(crate) fn find<S: AsRef<str>>(reg: &Registry, hive: Hive, names: &[S]) -> Option<KeyId> {
    WALKS.with_borrow_mut(|walks| {
        let t = &mut walks[hive.index()];
        let made_in = reg.walk_stamp();
        if t.made_in != made_in {
            t.made_in = made_in;
            t.ids.clear();
        }
        let shared = names
            .iter()
            .zip(&t.names[..t.ids.len()])
            .take_while(|(a, b)| {
                let a = a.as_ref();
                a == b.as_str() || names_equal(a, b)
            })
            .count();
        let mut id = match shared {
            0 => reg.root(hive),
            n => t.ids[n - 1],
        };
        if shared == names.len() {
            // A key on the last walk: the walk stays as deep as it was.
            return Some(id);
        }
        t.ids.truncate(shared);
        for name in &names[shared..] {
            id = reg.child(id, name.as_ref())?;
            t.push(name.as_ref(), id);
        }
        Some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever keys were created, deleted or looked up before (on this registry or a clone of
    /// it), `find` gives what a walk from the hive's root gives.
    #[test]
    fn find_from_the_last_walk_equals_a_walk_from_the_root() {
        let names = ["a", "B", "c", "A", "b", "Ä", "ä"];
        let mut rng = comsim_rng::Xorshift64::new(0x9E37_79B9_7F4A_7C15_u64);
        let mut next = |n: usize| rng.below(n);
        let mut reg = Registry::new();
        let mut copy: Option<Registry> = None;
        for step in 0..20_000 {
            let depth = 1 + next(4);
            let path: Vec<&str> = (0..depth).map(|_| names[next(names.len())]).collect();
            let hive = Hive::ALL[next(2)];
            match next(10) {
                0 | 1 => {
                    let root = reg.root(hive);
                    reg.create_path(root, &path).unwrap();
                }
                2 => {
                    let (last, parent) = path.split_last().unwrap();
                    if let Some(p) = reg.descend(reg.root(hive), parent) {
                        reg.delete_child_tree(p, last);
                    }
                }
                3 => copy = Some(reg.clone()),
                _ => {}
            }
            let walk = reg.descend(reg.root(hive), &path);
            assert_eq!(
                reg.find(hive, &path),
                walk,
                "step {step}: {hive:?} {path:?}"
            );
            if let Some(c) = &copy {
                let walk = c.descend(c.root(hive), &path);
                assert_eq!(c.find(hive, &path), walk, "step {step}, the copy: {path:?}");
            }
        }
    }
}
