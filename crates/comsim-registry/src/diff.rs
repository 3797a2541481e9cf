//! The difference between two registries' physical stores.

use std::cmp::Ordering;

use crate::name::{RegName, compare_names};
use crate::path::{Hive, KeyPath};
use crate::tree::{KeyId, Registry};
use crate::value::Value;
use crate::value_list::Values;

/// One difference between two registries, located by physical path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    KeyAdded {
        path: KeyPath,
    },
    KeyRemoved {
        path: KeyPath,
    },
    ValueAdded {
        key: KeyPath,
        name: RegName,
        value: Value,
    },
    /// The type or the bytes differ.
    ValueChanged {
        key: KeyPath,
        name: RegName,
        old: Value,
        new: Value,
    },
    ValueRemoved {
        key: KeyPath,
        name: RegName,
        old: Value,
    },
}

/// A key still to visit.
enum Visit {
    Kept { before: KeyId, after: KeyId },
    Added(KeyId),
    Removed(KeyId),
}

/// What changed from `before` to `after`, comparing the hives, not a view.
///
/// Hives come in [`Hive::ALL`] order, each depth first with subkeys in the registry's order. Each
/// key gives its own addition or removal, then its values (added and changed in `after`'s order,
/// then removed in `before`'s), then its subkeys. Names compare as the registry compares them;
/// paths and names are spelled as in `after`, or as in `before` for what was removed.
pub fn diff(before: &Registry, after: &Registry) -> Vec<Change> {
    let mut out = Vec::new();
    for hive in Hive::ALL {
        let mut stack = vec![(
            Visit::Kept {
                before: before.root(hive),
                after: after.root(hive),
            },
            KeyPath::new(hive.root(), Vec::<String>::new()),
        )];
        while let Some((visit, path)) = stack.pop() {
            let first_child = stack.len();
            match visit {
                Visit::Kept {
                    before: b,
                    after: a,
                } => {
                    let old: Vec<_> = before.values(b).iter().collect();
                    diff_values(&mut out, &path, &old, after.values(a));
                    merge_children(&mut stack, &path, before, b, after, a);
                }
                Visit::Added(a) => {
                    out.push(Change::KeyAdded { path: path.clone() });
                    for (name, value) in after.values(a) {
                        out.push(Change::ValueAdded {
                            key: path.clone(),
                            name: name.clone(),
                            value: value.clone(),
                        });
                    }
                    stack.extend(
                        after
                            .subkeys(a)
                            .map(|(n, c)| (Visit::Added(c), path.join(n.as_str()))),
                    );
                }
                Visit::Removed(b) => {
                    out.push(Change::KeyRemoved { path: path.clone() });
                    for (name, value) in before.values(b) {
                        out.push(Change::ValueRemoved {
                            key: path.clone(),
                            name: name.clone(),
                            old: value.clone(),
                        });
                    }
                    stack.extend(
                        before
                            .subkeys(b)
                            .map(|(n, c)| (Visit::Removed(c), path.join(n.as_str()))),
                    );
                }
            }
            // Children were pushed in the registry's order; the first must be popped first.
            stack[first_child..].reverse();
        }
    }
    out
}

/// Pushes the subkeys of a kept key, merging the two sorted lists.
fn merge_children(
    stack: &mut Vec<(Visit, KeyPath)>,
    path: &KeyPath,
    before: &Registry,
    b: KeyId,
    after: &Registry,
    a: KeyId,
) {
    let mut bs = before.subkeys(b).peekable();
    let mut as_ = after.subkeys(a).peekable();
    loop {
        let order = match (bs.peek(), as_.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((bn, _)), Some((an, _))) => compare_names(bn.as_str(), an.as_str()),
        };
        let entry = match order {
            Ordering::Less => {
                let (n, c) = bs.next().expect("peeked");
                (Visit::Removed(c), path.join(n.as_str()))
            }
            Ordering::Greater => {
                let (n, c) = as_.next().expect("peeked");
                (Visit::Added(c), path.join(n.as_str()))
            }
            Ordering::Equal => {
                let (_, bc) = bs.next().expect("peeked");
                let (n, ac) = as_.next().expect("peeked");
                (
                    Visit::Kept {
                        before: bc,
                        after: ac,
                    },
                    path.join(n.as_str()),
                )
            }
        };
        stack.push(entry);
    }
}

/// Value changes of a kept key: added and changed in `after`'s order, then removed in `before`'s.
pub(crate) fn diff_values(
    out: &mut Vec<Change>,
    key: &KeyPath,
    before: &[&(RegName, Value)],
    after: Values<'_>,
) {
    // `before`'s positions sorted by name, so that each lookup is a binary search.
    let mut by_name: Vec<usize> = (0..before.len()).collect();
    by_name.sort_unstable_by(|&x, &y| before[x].0.cmp(&before[y].0));
    let mut kept = vec![false; before.len()];
    for (name, value) in after {
        let found = by_name
            .binary_search_by(|&i| before[i].0.cmp(name))
            .ok()
            .map(|j| by_name[j]);
        match found {
            None => out.push(Change::ValueAdded {
                key: key.clone(),
                name: name.clone(),
                value: value.clone(),
            }),
            Some(i) => {
                kept[i] = true;
                let old = &before[i].1;
                if old != value {
                    out.push(Change::ValueChanged {
                        key: key.clone(),
                        name: name.clone(),
                        old: old.clone(),
                        new: value.clone(),
                    });
                }
            }
        }
    }
    for ((name, old), kept) in before.iter().zip(kept) {
        if !kept {
            out.push(Change::ValueRemoved {
                key: key.clone(),
                name: name.clone(),
                old: old.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Root;

    fn hklm(path: &str) -> KeyPath {
        KeyPath::parse(&format!("HKEY_LOCAL_MACHINE\\{path}")).unwrap()
    }

    fn key(reg: &mut Registry, hive: Hive, path: &[&str]) -> KeyId {
        let root = reg.root(hive);
        reg.create_path(root, path).unwrap()
    }

    fn added(path: KeyPath) -> Change {
        Change::KeyAdded { path }
    }

    fn removed(path: KeyPath) -> Change {
        Change::KeyRemoved { path }
    }

    fn value_added(key: KeyPath, name: &str, value: Value) -> Change {
        Change::ValueAdded {
            key,
            name: name.into(),
            value,
        }
    }

    fn value_removed(key: KeyPath, name: &str, old: Value) -> Change {
        Change::ValueRemoved {
            key,
            name: name.into(),
            old,
        }
    }

    fn value_changed(key: KeyPath, name: &str, old: Value, new: Value) -> Change {
        Change::ValueChanged {
            key,
            name: name.into(),
            old,
            new,
        }
    }

    #[test]
    fn identical_registries_give_no_changes() {
        assert_eq!(diff(&Registry::new(), &Registry::new()), []);
        // The same content written in a different order is the same registry.
        let mut a = Registry::new();
        let k = key(&mut a, Hive::LocalMachine, &["Software", "Classes", "X"]);
        a.set_value(k, "", Value::sz("x")).unwrap();
        key(&mut a, Hive::CurrentUser, &["Software", "A", "B"]);
        let mut b = Registry::new();
        key(&mut b, Hive::CurrentUser, &["Software", "A", "B"]);
        let k = key(&mut b, Hive::LocalMachine, &["Software", "Classes", "X"]);
        b.set_value(k, "", Value::sz("x")).unwrap();
        assert_eq!(diff(&a, &b), []);
        assert_eq!(diff(&a, &a.clone()), []);
    }

    #[test]
    fn added_subtree_lists_each_key_then_its_values_then_its_subkeys() {
        let before = Registry::new();
        let mut after = Registry::new();
        let w = key(
            &mut after,
            Hive::LocalMachine,
            &["Software", "Classes", "W"],
        );
        after.set_value(w, "", Value::sz("W")).unwrap();
        after.set_value(w, "n", Value::dword(1)).unwrap();
        let c = key(
            &mut after,
            Hive::LocalMachine,
            &["Software", "Classes", "W", "C"],
        );
        after.set_value(c, "", Value::sz("c")).unwrap();
        key(
            &mut after,
            Hive::LocalMachine,
            &["Software", "Classes", "W", "C", "D"],
        );
        key(
            &mut after,
            Hive::LocalMachine,
            &["Software", "Classes", "W", "E"],
        );
        assert_eq!(
            diff(&before, &after),
            [
                added(hklm("Software\\Classes\\W")),
                value_added(hklm("Software\\Classes\\W"), "", Value::sz("W")),
                value_added(hklm("Software\\Classes\\W"), "n", Value::dword(1)),
                added(hklm("Software\\Classes\\W\\C")),
                value_added(hklm("Software\\Classes\\W\\C"), "", Value::sz("c")),
                added(hklm("Software\\Classes\\W\\C\\D")),
                added(hklm("Software\\Classes\\W\\E")),
            ]
        );
    }

    #[test]
    fn removed_subtree_lists_each_key_then_its_values_then_its_subkeys_as_before_spelled_them() {
        let mut before = Registry::new();
        let w = key(
            &mut before,
            Hive::LocalMachine,
            &["Software", "Classes", "w"],
        );
        before.set_value(w, "Old", Value::sz("o")).unwrap();
        let c = key(
            &mut before,
            Hive::LocalMachine,
            &["Software", "Classes", "w", "c"],
        );
        before.set_value(c, "x", Value::dword(2)).unwrap();
        before.set_value(c, "a", Value::dword(3)).unwrap();
        key(
            &mut before,
            Hive::LocalMachine,
            &["Software", "Classes", "w", "D"],
        );
        let mut after = before.clone();
        let classes = after
            .find(Hive::LocalMachine, &["Software", "Classes"])
            .unwrap();
        assert!(after.delete_child_tree(classes, "W"));
        assert_eq!(
            diff(&before, &after),
            [
                removed(hklm("Software\\Classes\\w")),
                value_removed(hklm("Software\\Classes\\w"), "Old", Value::sz("o")),
                removed(hklm("Software\\Classes\\w\\c")),
                value_removed(hklm("Software\\Classes\\w\\c"), "x", Value::dword(2)),
                value_removed(hklm("Software\\Classes\\w\\c"), "a", Value::dword(3)),
                removed(hklm("Software\\Classes\\w\\D")),
            ]
        );
    }

    #[test]
    fn value_with_other_type_or_other_data_is_changed() {
        let mut before = Registry::new();
        let k = key(&mut before, Hive::CurrentUser, &["Software", "T"]);
        before.set_value(k, "ty", Value::sz("%p%")).unwrap();
        before.set_value(k, "data", Value::dword(1)).unwrap();
        before.set_value(k, "same", Value::dword(7)).unwrap();
        let mut after = before.clone();
        let k = after.find(Hive::CurrentUser, &["Software", "T"]).unwrap();
        // The same bytes under another type.
        after.set_value(k, "ty", Value::expand_sz("%p%")).unwrap();
        after.set_value(k, "data", Value::dword(2)).unwrap();
        after.set_value(k, "same", Value::dword(7)).unwrap();
        let t = KeyPath::parse("HKEY_CURRENT_USER\\Software\\T").unwrap();
        assert_eq!(
            diff(&before, &after),
            [
                value_changed(t.clone(), "ty", Value::sz("%p%"), Value::expand_sz("%p%")),
                value_changed(t, "data", Value::dword(1), Value::dword(2)),
            ]
        );
    }

    #[test]
    fn names_differing_only_in_case_are_the_same_key_and_value() {
        let mut before = Registry::new();
        let k = key(&mut before, Hive::LocalMachine, &["Contoso", "Été"]);
        before.set_value(k, "Name", Value::sz("n")).unwrap();
        before.set_value(k, "Ver", Value::dword(1)).unwrap();
        let mut after = Registry::new();
        let k = key(&mut after, Hive::LocalMachine, &["CONTOSO", "ÉTÉ"]);
        after.set_value(k, "NAME", Value::sz("n")).unwrap();
        after.set_value(k, "VER", Value::dword(1)).unwrap();
        assert_eq!(diff(&before, &after), []);
        // A change below is located with `after`'s spelling.
        after.set_value(k, "ver", Value::dword(2)).unwrap();
        assert_eq!(
            diff(&before, &after),
            [value_changed(
                hklm("CONTOSO\\ÉTÉ"),
                "VER",
                Value::dword(1),
                Value::dword(2)
            )]
        );
    }

    #[test]
    fn order_is_hive_then_depth_first_with_values_before_subkeys() {
        let mut before = Registry::new();
        let cu = before.root(Hive::CurrentUser);
        before.set_value(cu, "root", Value::dword(0)).unwrap();
        let k = key(&mut before, Hive::LocalMachine, &["Software", "K"]);
        before.set_value(k, "gone1", Value::dword(1)).unwrap();
        before.set_value(k, "b", Value::dword(1)).unwrap();
        before.set_value(k, "gone2", Value::dword(1)).unwrap();
        before.set_value(k, "a", Value::dword(1)).unwrap();
        key(
            &mut before,
            Hive::LocalMachine,
            &["Software", "K", "A_B", "Old"],
        );
        key(&mut before, Hive::LocalMachine, &["Software", "K", "m"]);

        let mut after = Registry::new();
        let users = key(&mut after, Hive::Users, &["S-1-5-18"]);
        after.set_value(users, "u", Value::dword(1)).unwrap();
        let k = key(&mut after, Hive::LocalMachine, &["Software", "K"]);
        after.set_value(k, "new", Value::dword(1)).unwrap();
        after.set_value(k, "a", Value::dword(2)).unwrap();
        after.set_value(k, "b", Value::dword(2)).unwrap();
        key(
            &mut after,
            Hive::LocalMachine,
            &["Software", "K", "A_B", "New"],
        );
        key(&mut after, Hive::LocalMachine, &["Software", "K", "AB"]);
        key(&mut after, Hive::LocalMachine, &["Software", "K", "z"]);

        let k = hklm("Software\\K");
        let users = KeyPath::new(Root::Users, ["S-1-5-18"]);
        let cu = KeyPath::new(Root::CurrentUser, Vec::<String>::new());
        assert_eq!(
            diff(&before, &after),
            [
                // Added and changed values in `after`'s order, then removed in `before`'s.
                value_added(k.clone(), "new", Value::dword(1)),
                value_changed(k.clone(), "a", Value::dword(1), Value::dword(2)),
                value_changed(k.clone(), "b", Value::dword(1), Value::dword(2)),
                value_removed(k.clone(), "gone1", Value::dword(1)),
                value_removed(k.clone(), "gone2", Value::dword(1)),
                // Subkeys in the registry's order: `AB` < `A_B` < `M` < `Z` upper-cased.
                added(k.join("AB")),
                added(k.join("A_B").join("New")),
                removed(k.join("A_B").join("Old")),
                removed(k.join("m")),
                added(k.join("z")),
                // Then HKCU, then HKU.
                value_removed(cu, "root", Value::dword(0)),
                added(users.clone()),
                value_added(users, "u", Value::dword(1)),
            ]
        );
    }
}
