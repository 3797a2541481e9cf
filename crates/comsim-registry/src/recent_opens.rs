//! The last few keys each thread opened through a view, so that opening one of them again costs a
//! comparison of paths ([`crate::Registry::open_ids`]).
//!
//! The resolver reads a class's keys in clusters, and the same keys again and again: COM opens
//! `CLSID\{…}\InprocServer32` for its default value, then for `ThreadingModel`; the CLR's
//! registry read opens it again, then each version subkey, then the chosen one for its values;
//! the detectors of `comsim diagnose` read the registration once more. Each open maps the path
//! for the view (REG-3), decides between the user's and the machine's halves of HKCR (REG-1,
//! REG-2) and walks both hives. Measured on a `comsim audit` of 2,000 classes, about half of all
//! opens repeated one of the same thread's last eight.
//!
//! An entry holds for one registry in one state, like the last walk (`last_walk.rs`): it is
//! used only when the registry's instance number and its count of created and deleted keys are
//! those it was made in, the access is the same, and the path has the same bytes (another
//! spelling is another entry: it is opened, not refused). An open that found keys of
//! `HKEY_CURRENT_USER` counts them again when it is answered from here, so the witness
//! (`witness.rs`) counts the same as without this module.

use std::cell::RefCell;

use crate::path::{KeyPath, Root};
use crate::tree::Registry;
use crate::view::{Access, OpenIds};

/// How many opens a thread remembers.
const SLOTS: usize = 8;

#[derive(Default)]
struct Entry {
    /// The [`fingerprint`] of the path and access: an entry whose fingerprint differs does not
    /// hold the open, and is passed over without comparing its names.
    fingerprint: u64,
    made_in: (u64, u64),
    access: Option<Access>,
    root: Option<Root>,
    /// The path's components; entries past `len` are spare buffers, written again.
    components: Vec<String>,
    len: usize,
    opened: Option<OpenIds>,
    /// Keys of `HKEY_CURRENT_USER` the open found.
    user_finds: u64,
}

impl Entry {
    fn holds(&self, made_in: (u64, u64), path: &KeyPath, access: &Access) -> bool {
        self.made_in == made_in
            && self.access.as_ref() == Some(access)
            && self.root == Some(path.root)
            && self.len == path.components.len()
            // The last component first: it tells most of a class's keys apart.
            && self.components[..self.len]
                .iter()
                .rev()
                .zip(path.components.iter().rev())
                .all(|(a, b)| a == b)
    }

    fn set(&mut self, fingerprint: u64, made_in: (u64, u64), path: &KeyPath, access: &Access) {
        self.fingerprint = fingerprint;
        self.made_in = made_in;
        self.access = Some(*access);
        self.root = Some(path.root);
        self.len = path.components.len();
        for (i, c) in path.components.iter().enumerate() {
            match self.components.get_mut(i) {
                Some(spare) => {
                    spare.clear();
                    spare.push_str(c);
                }
                None => self.components.push(c.clone()),
            }
        }
    }
}

/// A number that two opens [`Entry::holds`] alike always share: the access, the root, the count
/// of names and the bytes of the last name (which tells most of a class's keys apart, and one
/// class from another), mixed. Equal fingerprints say nothing: the entry is then compared.
fn fingerprint(path: &KeyPath, access: &Access) -> u64 {
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(31);
    let last = path.components.last().map_or(&[][..], |c| c.as_bytes());
    let shape = (path.components.len() as u64) << 16
        | (path.root as u64) << 8
        | (access.view as u64) << 2
        | (access.merge as u64) << 1
        | u64::from(access.user_classes);
    let mut h = mix(shape, last.len() as u64);
    let mut words = last.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = mix(h, u64::from_le_bytes(b));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut b = [0u8; 8];
        b[..tail.len()].copy_from_slice(tail);
        h = mix(h, u64::from_le_bytes(b));
    }
    h
}

#[derive(Default)]
struct Recent {
    entries: [Entry; SLOTS],
    /// The slot the next new entry takes (the oldest).
    next: usize,
}

thread_local! {
    static RECENT: RefCell<Recent> = RefCell::default();
}

#[cfg(test)]
thread_local! {
    /// Opens answered from memory on this thread, for the tests.
    static ANSWERED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// `open(path, access)`, answered from this thread's recent opens when it holds the same open.
pub(crate) fn open_ids(
    reg: &Registry,
    path: &KeyPath,
    access: &Access,
    open: impl FnOnce() -> Option<OpenIds>,
) -> Option<OpenIds> {
    let made_in = reg.walk_stamp();
    let fingerprint = fingerprint(path, access);
    let remembered = RECENT.with_borrow(|r| {
        r.entries
            .iter()
            .find(|e| e.fingerprint == fingerprint && e.holds(made_in, path, access))
            .map(|e| (e.opened, e.user_finds))
    });
    if let Some((opened, user_finds)) = remembered {
        #[cfg(test)]
        ANSWERED.set(ANSWERED.get() + 1);
        crate::witness::count_user_finds(user_finds);
        return opened;
    }
    let before = crate::witness::user_hive_finds();
    let opened = open();
    let user_finds = crate::witness::user_hive_finds().wrapping_sub(before);
    RECENT.with_borrow_mut(|r| {
        let slot = r.next;
        r.next = (slot + 1) % SLOTS;
        let e = &mut r.entries[slot];
        e.set(fingerprint, made_in, path, access);
        e.opened = opened;
        e.user_finds = user_finds;
    });
    opened
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use crate::view::{MergeMode, View, Writer};

    /// An open is answered from memory while it is among the thread's last [`SLOTS`] opens, in
    /// the same access and the same registry state, and only then.
    #[test]
    fn an_open_is_answered_while_it_is_among_the_last_few() {
        let mut reg = Registry::new();
        let a = Access::new(View::Bits64);
        let class = |i: usize| KeyPath::parse(&format!(r"HKCR\CLSID\{{{i:08}}}")).unwrap();
        reg.write_value(
            &class(0),
            "",
            Value::sz("x"),
            a.view,
            Writer { admin: true },
        )
        .unwrap();
        let answered = |reg: &Registry, path: &KeyPath, access: &Access| {
            let before = ANSWERED.get();
            let ids = reg.open_ids(path, access);
            (ids.is_some(), ANSWERED.get() - before)
        };
        assert_eq!(answered(&reg, &class(0), &a), (true, 0));
        assert_eq!(answered(&reg, &class(0), &a), (true, 1));
        // Another access, another spelling: opened, not answered.
        let wow = Access::new(View::Bits32);
        assert_eq!(answered(&reg, &class(0), &wow).1, 0);
        let upper = KeyPath::parse(r"HKCR\clsid\{00000000}").unwrap();
        assert_eq!(answered(&reg, &upper, &a), (true, 0));
        // Missing keys are remembered as missing.
        assert_eq!(answered(&reg, &class(1), &a), (false, 0));
        assert_eq!(answered(&reg, &class(1), &a), (false, 1));
        // Pushed out by SLOTS other opens.
        for i in 2..2 + SLOTS {
            answered(&reg, &class(i), &a);
        }
        assert_eq!(answered(&reg, &class(0), &a), (true, 0));
        // A key created since: opened again.
        reg.write_value(
            &class(1),
            "",
            Value::sz("y"),
            a.view,
            Writer { admin: true },
        )
        .unwrap();
        assert_eq!(answered(&reg, &class(1), &a), (true, 0));
        assert_eq!(answered(&reg, &class(1), &a), (true, 1));
    }

    /// Whatever was written, deleted or opened before (on this registry or a clone), an open
    /// answers what a fresh open of the path does, and counts the same keys of HKCU.
    #[test]
    fn a_remembered_open_answers_and_counts_what_opening_again_would() {
        let names = [
            "CLSID",
            "clsid",
            "{A}",
            "InprocServer32",
            "Wow6432Node",
            "x",
        ];
        let roots = [
            Root::ClassesRoot,
            Root::LocalMachine,
            Root::CurrentUser,
            Root::Users,
        ];
        let mut rng = comsim_rng::Xorshift64::new(0x9E37_79B9_7F4A_7C15_u64);
        let mut next = |n: usize| rng.below(n);
        let mut reg = Registry::new();
        let mut copy: Option<Registry> = None;
        let mut used: Vec<(KeyPath, Access)> = Vec::new();
        for step in 0..20_000 {
            let depth = next(4);
            let mut components: Vec<String> = Vec::new();
            if next(2) == 0 {
                components.extend(["Software".to_owned(), "Classes".to_owned()]);
            }
            components.extend((0..depth).map(|_| names[next(names.len())].to_owned()));
            let fresh_path = KeyPath::new(roots[next(roots.len())], components);
            let fresh_access = Access {
                view: [View::Bits64, View::Bits32][next(2)],
                merge: [MergeMode::Union, MergeMode::Strict][next(2)],
                user_classes: next(2) == 0,
            };
            // Half the time, one of the last few opens again (remembered, or stale after a
            // write that created or deleted keys).
            let (path, access) = match next(2) {
                0 if !used.is_empty() => used[next(used.len())].clone(),
                _ => (fresh_path, fresh_access),
            };
            used.push((path.clone(), access));
            if used.len() > SLOTS {
                used.remove(0);
            }
            match next(12) {
                0 | 1 => {
                    let _ = reg.write_value(
                        &path,
                        "v",
                        Value::dword(1),
                        access.view,
                        Writer { admin: true },
                    );
                }
                2 => {
                    let _ = reg.delete_tree(&path, access.view, Writer { admin: true });
                }
                3 => copy = Some(reg.clone()),
                _ => {}
            }
            for r in std::iter::once(&reg).chain(copy.as_ref()) {
                let before = crate::witness::user_hive_finds();
                let fresh = r.open(&path, &access).map(|k| k.ids());
                let fresh_finds = crate::witness::user_hive_finds().wrapping_sub(before);
                // Twice: the second is answered from the first.
                for _ in 0..2 {
                    let before = crate::witness::user_hive_finds();
                    let remembered = r.open_ids(&path, &access);
                    let finds = crate::witness::user_hive_finds().wrapping_sub(before);
                    assert_eq!(remembered, fresh, "step {step}: {path} {access:?}");
                    let what = "HKCU keys found";
                    assert_eq!(finds, fresh_finds, "step {step}: {path} {access:?}: {what}");
                }
            }
        }
    }
}
