//! A change journal: what a run of writes changed, without a copy of the registry.
//!
//! While a journal is open ([`Registry::begin_journal`]), each write that changes something records
//! the earlier state of what it touches, once per key: a key's values before its first value write,
//! a key created that did not exist, the whole of a tree before it is removed. The journal keeps
//! these in a sparse tree of the touched paths (a shadow of the registry: only touched keys and
//! their ancestors). [`Registry::take_changes`] then walks that tree beside the registry and gives
//! the same list [`crate::diff`] gives for a copy taken when the journal opened, in the same order.
//! A write that changes nothing (a value set to what it was, an existing key opened, a missing value
//! or key deleted) records nothing.

use std::collections::{HashMap, HashSet};

use crate::diff::{Change, diff_values};
use crate::name::{RegName, compare_names};
use crate::path::{Hive, KeyPath};
use crate::tree::{KeyId, Registry};
use crate::value::Value;

/// What a shadowed key was when the journal opened.
#[derive(Debug)]
enum Prior {
    /// Only an ancestor of touched keys: the key itself is as it was, values and existence.
    Unchanged,
    /// It did not exist.
    Absent,
    /// It existed with these values (in their order then).
    Present(Vec<(RegName, Value)>),
}

#[derive(Debug)]
struct Shadow {
    /// The name as the key was spelled when first shadowed: its earlier spelling if it existed.
    name: RegName,
    prior: Prior,
    /// Shadowed subkeys, in the registry's order.
    children: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct Journal {
    nodes: Vec<Shadow>,
    /// The shadow of each live key that has one. A deleted key's entry goes (its id may be reused).
    ids: HashMap<KeyId, usize>,
    roots: [usize; 4],
    /// The names of the subkeys of the keys in `named`, by id. A key knows its parent, not its
    /// name, and finding a key among thousands of siblings for each key shadowed made `regasm /u`
    /// of many classes quadratic (each removal also drops the siblings' sorted order). Made for a
    /// key with more than [`NAMED_OVER`] subkeys the first time one of them is shadowed. It is
    /// asked only for a key that is not shadowed yet, which was there when the journal opened
    /// and is unchanged: a key created or removed since is shadowed (or gone) from then on. So
    /// an entry for a key removed, or an id reused, is never asked for.
    names: HashMap<KeyId, RegName>,
    named: HashSet<KeyId>,
}

/// Up to this many subkeys, a key's subkeys are searched for a name (they are a list in storage
/// order, not sorted to be listed).
const NAMED_OVER: usize = 64;

impl Journal {
    pub(crate) fn new(reg: &Registry) -> Journal {
        let mut j = Journal {
            nodes: Vec::new(),
            ids: HashMap::new(),
            roots: [0; 4],
            names: HashMap::new(),
            named: HashSet::new(),
        };
        for hive in Hive::ALL {
            let s = j.nodes.len();
            j.nodes.push(Shadow {
                name: RegName::new(""),
                prior: Prior::Unchanged,
                children: Vec::new(),
            });
            j.roots[hive.index()] = s;
            j.ids.insert(reg.root(hive), s);
        }
        j
    }

    /// Keys shadowed besides the hive roots: touched keys and their ancestors.
    pub(crate) fn keys(&self) -> usize {
        self.nodes.len() - self.roots.len()
    }

    /// The shadowed subkey `name` of shadow `parent`, added with `prior` if missing.
    fn child(&mut self, parent: usize, name: &str, prior: Prior) -> usize {
        let found = self.nodes[parent]
            .children
            .binary_search_by(|&c| compare_names(self.nodes[c].name.as_str(), name));
        match found {
            Ok(i) => self.nodes[parent].children[i],
            Err(i) => {
                let s = self.nodes.len();
                self.nodes.push(Shadow {
                    name: RegName::new(name),
                    prior,
                    children: Vec::new(),
                });
                self.nodes[parent].children.insert(i, s);
                s
            }
        }
    }

    /// The name of subkey `k` of `parent`, as it is spelled there; `k` is not shadowed.
    fn name_of(&mut self, reg: &Registry, parent: KeyId, k: KeyId) -> Option<RegName> {
        if reg.subkey_count(parent) <= NAMED_OVER && !self.named.contains(&parent) {
            let (name, _) = reg.subkeys(parent).find(|&(_, c)| c == k)?;
            return Some(name.clone());
        }
        if self.named.insert(parent) {
            self.names
                .extend(reg.subkeys(parent).map(|(n, c)| (c, n.clone())));
        }
        self.names.get(&k).cloned()
    }

    /// The shadow of live key `id`, shadowing it and its ancestors as unchanged if they have none.
    /// `None` for an id that is no longer a live key.
    fn shadow_of(&mut self, reg: &Registry, id: KeyId) -> Option<usize> {
        let mut chain = Vec::new();
        let mut k = id;
        let mut s = loop {
            if let Some(&s) = self.ids.get(&k) {
                break s;
            }
            chain.push(k);
            k = reg.parent(k)?;
        };
        let mut parent = k;
        for &k in chain.iter().rev() {
            let name = self.name_of(reg, parent, k)?;
            s = self.child(s, name.as_str(), Prior::Unchanged);
            self.ids.insert(k, s);
            parent = k;
        }
        Some(s)
    }

    /// Key `id` was just created as subkey `name` of `parent`.
    pub(crate) fn created(&mut self, reg: &Registry, parent: KeyId, name: &str, id: KeyId) {
        let Some(p) = self.shadow_of(reg, parent) else {
            return;
        };
        // A key removed earlier and created again keeps what it was before.
        let s = self.child(p, name, Prior::Absent);
        self.ids.insert(id, s);
    }

    /// The values of `id` are about to change.
    pub(crate) fn values_changing(&mut self, reg: &Registry, id: KeyId) {
        let Some(s) = self.shadow_of(reg, id) else {
            return;
        };
        if matches!(self.nodes[s].prior, Prior::Unchanged) {
            self.nodes[s].prior = Prior::Present(reg.values(id).to_vec());
        }
    }

    /// Subkey `child` of `parent` and everything below it are about to be removed.
    pub(crate) fn removing(&mut self, reg: &Registry, parent: KeyId, child: KeyId) {
        let Some(p) = self.shadow_of(reg, parent) else {
            return;
        };
        // A key shadowed already is found by id (and its shadow has its name); only one that is
        // not, there since the journal opened and untouched, is looked up by `name_of`.
        let name = match self.ids.get(&child) {
            Some(&s) => self.nodes[s].name.clone(),
            None => match self.name_of(reg, parent, child) {
                Some(name) => name,
                None => return,
            },
        };
        let mut stack = vec![(p, name, child)];
        while let Some((ps, name, k)) = stack.pop() {
            let s = match self.ids.remove(&k) {
                Some(s) => s,
                None => self.child(ps, name.as_str(), Prior::Unchanged),
            };
            if matches!(self.nodes[s].prior, Prior::Unchanged) {
                self.nodes[s].prior = Prior::Present(reg.values(k).to_vec());
            }
            stack.extend(reg.subkeys(k).map(|(n, c)| (s, n.clone(), c)));
        }
    }

    /// What changed since the journal opened, in [`crate::diff`]'s order and spelling.
    pub(crate) fn changes(&self, reg: &Registry) -> Vec<Change> {
        let mut out = Vec::new();
        for hive in Hive::ALL {
            let mut stack = vec![(
                self.roots[hive.index()],
                Some(reg.root(hive)),
                KeyPath::new(hive.root(), Vec::<String>::new()),
            )];
            while let Some((s, now, path)) = stack.pop() {
                let node = &self.nodes[s];
                match (&node.prior, now) {
                    (Prior::Unchanged, _) | (Prior::Absent, None) => {}
                    (Prior::Absent, Some(a)) => {
                        out.push(Change::KeyAdded { path: path.clone() });
                        for (name, value) in reg.values(a) {
                            out.push(Change::ValueAdded {
                                key: path.clone(),
                                name: name.clone(),
                                value: value.clone(),
                            });
                        }
                    }
                    (Prior::Present(before), Some(a)) => {
                        let before: Vec<_> = before.iter().collect();
                        diff_values(&mut out, &path, &before, reg.values(a));
                    }
                    (Prior::Present(before), None) => {
                        out.push(Change::KeyRemoved { path: path.clone() });
                        for (name, old) in before {
                            out.push(Change::ValueRemoved {
                                key: path.clone(),
                                name: name.clone(),
                                old: old.clone(),
                            });
                        }
                    }
                }
                // Pushed last first, so that the first in the registry's order is popped first.
                for &c in node.children.iter().rev() {
                    let earlier = &self.nodes[c].name;
                    // Spelled as now if the key exists, else as it was.
                    let (spelling, id) =
                        match now.and_then(|a| reg.child_entry(a, earlier.as_str())) {
                            Some((n, id)) => (n.as_str(), Some(id)),
                            None => (earlier.as_str(), None),
                        };
                    stack.push((c, id, path.join(spelling)));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::diff::diff;

    /// Names that differ only in case, and names whose order depends on upper-casing (`AB` before
    /// `A_B`, but `a_b` before `ab` byte-wise).
    const NAMES: [&str; 7] = ["a", "A", "b", "a_b", "AB", "é", "É"];
    const VALUE_NAMES: [&str; 5] = ["", "x", "X", "y", "Z"];

    #[derive(Debug, Clone)]
    enum Op {
        /// `create_path`.
        Create(usize, Vec<usize>),
        /// `create_path`, then `set_value` on the key.
        Set(usize, Vec<usize>, usize, Value),
        /// `delete_value` on the key, if it exists.
        DeleteValue(usize, Vec<usize>, usize),
        /// `delete_child_tree` of the last name below the rest, if the rest exists.
        DeleteTree(usize, Vec<usize>),
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0u32..3).prop_map(Value::dword),
            prop_oneof![Just("a"), Just("b")].prop_map(Value::sz),
            // The same bytes as `sz("a")` under another type.
            Just(Value::expand_sz("a")),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        let hive = 0..Hive::ALL.len();
        let path = proptest::collection::vec(0..NAMES.len(), 0..4);
        let vname = 0..VALUE_NAMES.len();
        prop_oneof![
            3 => (hive.clone(), path.clone()).prop_map(|(h, p)| Op::Create(h, p)),
            4 => (hive.clone(), path.clone(), vname.clone(), value())
                .prop_map(|(h, p, n, v)| Op::Set(h, p, n, v)),
            2 => (hive.clone(), path.clone(), vname).prop_map(|(h, p, n)| Op::DeleteValue(h, p, n)),
            2 => (hive, proptest::collection::vec(0..NAMES.len(), 1..4))
                .prop_map(|(h, p)| Op::DeleteTree(h, p)),
        ]
    }

    fn apply(reg: &mut Registry, op: &Op) {
        let names = |p: &[usize]| p.iter().map(|&i| NAMES[i]).collect::<Vec<_>>();
        match op {
            Op::Create(h, p) => {
                let root = reg.root(Hive::ALL[*h]);
                reg.create_path(root, &names(p)).unwrap();
            }
            Op::Set(h, p, n, v) => {
                let root = reg.root(Hive::ALL[*h]);
                let k = reg.create_path(root, &names(p)).unwrap();
                reg.set_value(k, VALUE_NAMES[*n], v.clone()).unwrap();
            }
            Op::DeleteValue(h, p, n) => {
                if let Some(k) = reg.find(Hive::ALL[*h], &names(p)) {
                    reg.delete_value(k, VALUE_NAMES[*n]);
                }
            }
            Op::DeleteTree(h, p) => {
                let (last, parent) = p.split_last().expect("at least one name");
                if let Some(k) = reg.find(Hive::ALL[*h], &names(parent)) {
                    reg.delete_child_tree(k, NAMES[*last]);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// The journal's changes are exactly `diff`'s between a copy and the registry after the
        /// same writes: the same changes, in the same order, with the same spellings.
        #[test]
        fn journal_gives_what_diff_gives(
            setup in proptest::collection::vec(op(), 0..40),
            writes in proptest::collection::vec(op(), 0..40),
        ) {
            let mut reg = Registry::new();
            for op in &setup {
                apply(&mut reg, op);
            }
            let before = reg.clone();
            reg.begin_journal();
            for op in &writes {
                apply(&mut reg, op);
            }
            let journaled = reg.take_changes().expect("open");
            prop_assert_eq!(journaled, diff(&before, &reg));
            prop_assert_eq!(reg.take_changes(), None);
        }
    }

    /// Keys with more subkeys than `NAMED_OVER` have their subkeys' names kept by id in the
    /// journal, made once: the changes are still exactly `diff`'s, through removals (whose ids
    /// are reused by later creations), creations again under the same names, and value writes
    /// spread over siblings that were never touched before.
    #[test]
    fn journal_gives_what_diff_gives_under_keys_with_many_subkeys() {
        const KEYS: u64 = 150;
        let name = |i: u64| format!("{{C1A55000-0000-4000-8000-{i:012X}}}");
        let mut reg = Registry::new();
        let root = reg.root(Hive::LocalMachine);
        let clsid = reg
            .create_path(root, &["Software", "Classes", "CLSID"])
            .unwrap();
        for i in 0..KEYS {
            // Every tenth class has subkeys of its own, more than `NAMED_OVER` of them.
            let k = reg.create_child(clsid, &name(i)).unwrap();
            let inner = if i % 10 == 0 {
                NAMED_OVER as u64 + 5
            } else {
                1
            };
            for j in 0..inner {
                let c = reg.create_child(k, &format!("Sub{j}")).unwrap();
                reg.set_value(c, "", Value::dword(j as u32)).unwrap();
            }
        }
        let before = reg.clone();
        reg.begin_journal();
        let mut rng = comsim_rng::Xorshift64::new(0x2545_F491_4F6C_DD1D);
        for _ in 0..600 {
            let x = rng.bits();
            let i = x % KEYS;
            let k = reg
                .find(Hive::LocalMachine, &["Software", "Classes", "CLSID"])
                .unwrap();
            match (x >> 32) % 4 {
                0 => {
                    reg.delete_child_tree(k, &name(i));
                }
                1 => {
                    let c = reg
                        .create_path(k, &[name(i), format!("Sub{}", i % 7)])
                        .unwrap();
                    reg.set_value(c, "v", Value::dword(i as u32)).unwrap();
                }
                2 => {
                    if let Some(c) = reg.find(
                        Hive::LocalMachine,
                        &["Software", "Classes", "CLSID", &name(i), "Sub0"],
                    ) {
                        reg.delete_value(c, "");
                    }
                }
                _ => {
                    if let Some(c) = reg.find(
                        Hive::LocalMachine,
                        &["Software", "Classes", "CLSID", &name(i)],
                    ) {
                        reg.delete_child_tree(c, &format!("Sub{}", i % (NAMED_OVER as u64 + 5)));
                    }
                }
            }
        }
        let journaled = reg.take_changes().expect("open");
        assert!(!journaled.is_empty());
        assert_eq!(journaled, diff(&before, &reg));
    }

    /// After a large key's subkeys are named by id, keys created under it (some taking the ids of
    /// keys removed) are removed again, and an untouched sibling too: the changes are `diff`'s.
    #[test]
    fn keys_created_and_removed_after_their_parent_is_named_are_journaled() {
        let mut reg = Registry::new();
        let root = reg.root(Hive::LocalMachine);
        let p = reg.create_path(root, &["Software", "Many"]).unwrap();
        for i in 0..100 {
            let k = reg.create_child(p, &format!("k{i:03}")).unwrap();
            reg.set_value(k, "", Value::dword(i)).unwrap();
        }
        let before = reg.clone();
        reg.begin_journal();
        // Names `p`'s subkeys: `k000` is shadowed for the first time.
        let k0 = reg
            .find(Hive::LocalMachine, &["Software", "Many", "k000"])
            .unwrap();
        reg.set_value(k0, "", Value::dword(1000)).unwrap();
        let made = reg.create_child(p, "made").unwrap();
        reg.set_value(made, "v", Value::dword(1)).unwrap();
        assert!(reg.delete_child_tree(p, "made"));
        assert!(reg.delete_child_tree(p, "k050"));
        // Likely on the ids just freed.
        let again = reg.create_child(p, "again").unwrap();
        reg.create_child(again, "inner").unwrap();
        assert!(reg.delete_child_tree(p, "again"));
        reg.create_child(p, "kept").unwrap();
        assert!(reg.delete_child_tree(p, "k099"));
        let journaled = reg.take_changes().expect("open");
        assert_eq!(journaled, diff(&before, &reg));
    }

    fn hklm(path: &str) -> KeyPath {
        KeyPath::parse(&format!("HKEY_LOCAL_MACHINE\\{path}")).unwrap()
    }

    #[test]
    fn writes_that_change_nothing_record_nothing() {
        let mut reg = Registry::new();
        let root = reg.root(Hive::LocalMachine);
        let k = reg
            .create_path(root, &["Software", "Classes", "X"])
            .unwrap();
        reg.set_value(k, "", Value::sz("x")).unwrap();
        reg.begin_journal();
        assert_eq!(reg.journaled_keys(), Some(0));
        // An existing key opened, a value set to what it is (the name in another case), a missing
        // value and a missing key deleted.
        assert_eq!(reg.create_path(root, &["SOFTWARE", "classes", "x"]), Ok(k));
        reg.set_value(k, "", Value::sz("x")).unwrap();
        assert!(!reg.delete_value(k, "missing"));
        assert!(!reg.delete_child_tree(k, "missing"));
        assert_eq!(reg.journaled_keys(), Some(0));
        assert_eq!(reg.take_changes(), Some(Vec::new()));
        assert_eq!(reg.journaled_keys(), None);
    }

    #[test]
    fn a_key_removed_and_created_again_is_kept_with_its_new_spelling_and_values() {
        let mut reg = Registry::new();
        let root = reg.root(Hive::LocalMachine);
        let k = reg.create_path(root, &["Software", "w", "c"]).unwrap();
        reg.set_value(k, "v", Value::dword(1)).unwrap();
        let sw = reg.find(Hive::LocalMachine, &["Software"]).unwrap();
        reg.begin_journal();
        assert!(reg.delete_child_tree(sw, "W"));
        let w = reg.create_path(root, &["Software", "W"]).unwrap();
        reg.set_value(w, "n", Value::dword(2)).unwrap();
        // Only the touched keys and their ancestors: `Software`, `W`, `W\c`.
        assert_eq!(reg.journaled_keys(), Some(3));
        assert_eq!(
            reg.take_changes(),
            Some(vec![
                Change::ValueAdded {
                    key: hklm("Software\\W"),
                    name: "n".into(),
                    value: Value::dword(2),
                },
                Change::KeyRemoved {
                    path: hklm("Software\\W\\c"),
                },
                Change::ValueRemoved {
                    key: hklm("Software\\W\\c"),
                    name: "v".into(),
                    old: Value::dword(1),
                },
            ])
        );
    }

    #[test]
    fn a_copy_of_a_registry_does_not_carry_its_journal() {
        let mut reg = Registry::new();
        reg.begin_journal();
        let mut copy = reg.clone();
        assert_eq!(copy.journaled_keys(), None);
        assert_eq!(copy.take_changes(), None);
        assert_eq!(reg.take_changes(), Some(Vec::new()));
    }
}
