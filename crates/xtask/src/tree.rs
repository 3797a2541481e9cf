//! A registry subtree as comparable data, and the comparison of two of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comsim_registry::{Hive, KeyId, RegName, Registry, Value, ValueType};

/// The keys of a subtree by their path below its root (names compare as the registry compares
/// them), each with its spelling and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtree {
    keys: BTreeMap<Vec<RegName>, Key>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    /// The path as stored, the subtree's root included: `case\Sub\x`.
    spelled: String,
    values: Vec<(RegName, Value)>,
}

impl Subtree {
    /// The subtree at `components` below HKEY_CURRENT_USER, `None` if that key does not exist.
    pub fn read(reg: &Registry, components: &[&str]) -> Option<Subtree> {
        let (last, parents) = components.split_last()?;
        let parent = reg.find(Hive::CurrentUser, parents)?;
        let (name, id) = reg
            .subkeys(parent)
            .find(|(n, _)| **n == RegName::new(*last))?;
        let mut keys = BTreeMap::new();
        let mut stack: Vec<(Vec<RegName>, String, KeyId)> =
            vec![(Vec::new(), name.as_str().to_owned(), id)];
        while let Some((path, spelled, id)) = stack.pop() {
            for (n, child) in reg.subkeys(id) {
                let mut p = path.clone();
                p.push(n.clone());
                stack.push((p, format!("{spelled}\\{n}"), child));
            }
            let values = reg.values(id).to_vec();
            keys.insert(path, Key { spelled, values });
        }
        Some(Subtree { keys })
    }

    /// The name of the subtree's root key, as stored.
    pub fn root_name(&self) -> &str {
        self.keys
            .get(&Vec::new())
            .map_or("", |k| k.spelled.as_str())
    }
}

/// Names that Wine's export keeps apart but comsim's registry folds into one (their re-import
/// would merge them silently), as `(case, message)`; `case` is the fourth component of the key
/// path (`HKEY_CURRENT_USER\Software\comsim-conformance\<case>\...`).
pub fn folded_in_export(bytes: &[u8]) -> Vec<(String, String)> {
    let Ok((text, _, _)) = comsim_regfile::decode("export", bytes, None, false) else {
        return Vec::new();
    };
    // Each section's path and value names, as written.
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in comsim_regfile::lines(&text) {
        if let Some(rest) = line.strip_prefix('[') {
            let path = rest.rfind(']').map_or(rest, |i| &rest[..i]);
            sections.push((path.to_owned(), Vec::new()));
        } else if let Some((_, names)) = sections.last_mut() {
            if line.starts_with('@') {
                names.push(String::new());
            } else if let Some(rest) = line.strip_prefix('"') {
                names.push(exported_name(rest));
            }
        }
    }
    let mut keys: BTreeMap<Vec<RegName>, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for (path, names) in sections {
        let id: Vec<RegName> = path.split('\\').map(RegName::new).collect();
        let entry = keys.entry(id).or_default();
        entry.0.push(path);
        entry.1.extend(names);
    }
    let mut out = Vec::new();
    for (id, (paths, names)) in keys {
        let case = id.get(3).map_or(String::new(), |n| n.as_str().to_owned());
        let mut spellings = paths.clone();
        spellings.dedup();
        if spellings.len() > 1 {
            out.push((
                case.clone(),
                format!(
                    "Wine keeps the keys [{}] apart; comsim folds them into one",
                    spellings.join("], [")
                ),
            ));
        }
        let mut by_name: BTreeMap<RegName, Vec<&str>> = BTreeMap::new();
        for n in &names {
            let v = by_name.entry(RegName::new(n.as_str())).or_default();
            if !v.contains(&n.as_str()) {
                v.push(n);
            }
        }
        for spellings in by_name.values().filter(|v| v.len() > 1) {
            out.push((
                case.clone(),
                format!(
                    "[{}] Wine keeps the values {spellings:?} apart; comsim folds them into one",
                    paths[0]
                ),
            ));
        }
    }
    out
}

/// A value name as Wine's export writes it (`\\`, `\"`, `\n`, `\r` escaped), from after its
/// opening quote.
fn exported_name(rest: &str) -> String {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(c) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// How a value comes back from Wine's `reg export` and a strict re-import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exported {
    /// Exactly as stored.
    Same,
    /// Changed, to this value: Wine writes every REG_SZ as a quoted string, cut at the first NUL
    /// or one character before the end, and a REG_DWORD of any non-zero size as `dword:` from its
    /// first four bytes.
    Changed(Value),
    /// A REG_DWORD shorter than four bytes: Wine pads it with whatever follows in its buffer, so
    /// only these first bytes are known.
    Prefix(Vec<u8>),
}

/// What Wine's exporter makes of `v`.
pub fn through_wine_export(v: &Value) -> Exported {
    let data = &v.data[..];
    match v.ty {
        ValueType::SZ => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            // Wine writes size/2 - 1 characters (up to a NUL), and `""` for a size of 0. (A size of
            // 1 makes Wine read before its buffer; no case stores one.)
            let len = (data.len() / 2).saturating_sub(1);
            let end = units[..len].iter().position(|&u| u == 0).unwrap_or(len);
            let mut bytes: Vec<u8> = units[..end].iter().flat_map(|u| u.to_le_bytes()).collect();
            bytes.extend([0, 0]);
            if bytes == data {
                Exported::Same
            } else {
                Exported::Changed(Value::new(ValueType::SZ, bytes))
            }
        }
        ValueType::DWORD => match data.len() {
            0 | 4 => Exported::Same,
            n if n > 4 => Exported::Changed(Value::new(ValueType::DWORD, data[..4].to_vec())),
            _ => Exported::Prefix(data.to_vec()),
        },
        _ => Exported::Same,
    }
}

/// The result of comparing comsim's subtree with Wine's.
#[derive(Debug, Default)]
pub struct Comparison {
    pub differences: Vec<String>,
    /// Some comsim values could only be compared through the lossy form Wine's export gives them.
    pub lossy: Vec<String>,
}

/// Compares comsim's subtree with the one read back from Wine's export.
pub fn compare(comsim: Option<&Subtree>, wine: Option<&Subtree>) -> Comparison {
    let mut c = Comparison::default();
    let empty = BTreeMap::new();
    let ours = comsim.map_or(&empty, |t| &t.keys);
    let theirs = wine.map_or(&empty, |t| &t.keys);
    for (path, key) in ours {
        match theirs.get(path) {
            None => c
                .differences
                .push(format!("key [{}]: only in comsim", key.spelled)),
            Some(w) => compare_key(&mut c, key, w),
        }
    }
    for (path, key) in theirs {
        if !ours.contains_key(path) {
            c.differences
                .push(format!("key [{}]: only in Wine", key.spelled));
        }
    }
    c
}

fn compare_key(c: &mut Comparison, ours: &Key, theirs: &Key) {
    if ours.spelled != theirs.spelled {
        c.differences.push(format!(
            "key [{}]: Wine spells it [{}]",
            ours.spelled, theirs.spelled
        ));
    }
    for (name, v) in &ours.values {
        let label = value_label(&ours.spelled, name);
        let Some((wname, w)) = theirs.values.iter().find(|(n, _)| n == name) else {
            c.differences
                .push(format!("{label}: only in comsim: {v:?}"));
            continue;
        };
        if wname.as_str() != name.as_str() {
            c.differences.push(format!(
                "{label}: Wine spells the name {:?}",
                wname.as_str()
            ));
        }
        let same = match through_wine_export(v) {
            Exported::Same => w == v,
            Exported::Changed(e) => {
                c.lossy
                    .push(format!("{label}: {v:?} exported by Wine as {e:?}"));
                *w == e
            }
            Exported::Prefix(p) => {
                c.lossy.push(format!(
                    "{label}: {v:?} exported by Wine with {} unknown padding byte(s)",
                    4 - p.len()
                ));
                w.ty == v.ty && w.data.len() == 4 && w.data.starts_with(&p)
            }
        };
        if !same {
            c.differences
                .push(format!("{label}: comsim {v:?}, Wine {w:?}"));
        }
    }
    for (name, w) in &theirs.values {
        if !ours.values.iter().any(|(n, _)| n == name) {
            let label = value_label(&ours.spelled, name);
            c.differences.push(format!("{label}: only in Wine: {w:?}"));
        }
    }
}

fn value_label(key: &str, name: &RegName) -> String {
    let mut s = format!("[{key}] ");
    if name.is_default() {
        s.push('@');
    } else {
        let _ = write!(s, "{:?}", name.as_str());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_registry::{KeyPath, View, Writer};

    fn reg_with(values: &[(&str, &str, Value)]) -> Registry {
        let mut reg = Registry::new();
        for (key, name, v) in values {
            let p = KeyPath::parse(&format!("HKCU\\Software\\c\\{key}")).unwrap();
            reg.write_value(&p, name, v.clone(), View::Bits64, Writer { admin: true })
                .unwrap();
        }
        reg
    }

    #[test]
    fn wine_export_cuts_strings_at_the_first_nul_and_dwords_at_four_bytes() {
        assert_eq!(through_wine_export(&Value::sz("ab")), Exported::Same);
        let embedded = Value::new(ValueType::SZ, vec![0x41, 0, 0, 0, 0x42, 0, 0, 0]);
        assert_eq!(
            through_wine_export(&embedded),
            Exported::Changed(Value::sz("A"))
        );
        let unterminated = Value::new(ValueType::SZ, vec![0x41, 0, 0x42, 0]);
        assert_eq!(
            through_wine_export(&unterminated),
            Exported::Changed(Value::sz("A"))
        );
        assert_eq!(
            through_wine_export(&Value::new(ValueType::SZ, vec![])),
            Exported::Changed(Value::sz(""))
        );
        assert_eq!(
            through_wine_export(&Value::new(ValueType::DWORD, vec![1, 2, 3, 4, 5])),
            Exported::Changed(Value::dword(0x0403_0201))
        );
        assert_eq!(
            through_wine_export(&Value::new(ValueType::DWORD, vec![1])),
            Exported::Prefix(vec![1])
        );
        assert_eq!(
            through_wine_export(&Value::new(ValueType::EXPAND_SZ, vec![1])),
            Exported::Same
        );
    }

    #[test]
    fn names_wine_keeps_apart_and_comsim_folds_are_found_in_the_export() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\c\\k]\r\n\"a\\\"q\"=dword:00000001\r\n\"A\\\"Q\"=dword:00000002\r\n@=\"x\"\r\n\r\n[HKEY_CURRENT_USER\\Software\\c\\k\\s]\r\n\r\n[HKEY_CURRENT_USER\\Software\\c\\k\\S]\r\n";
        let found = folded_in_export(text.as_bytes());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|(case, _)| case == "k"));
        assert!(
            found[0].1.contains("values [\"a\\\"q\", \"A\\\"Q\"]"),
            "{found:?}"
        );
        assert!(
            found[1]
                .1
                .contains("keys [HKEY_CURRENT_USER\\Software\\c\\k\\s]"),
            "{found:?}"
        );
    }

    #[test]
    fn comparison_names_missing_keys_values_and_spelling() {
        let a = reg_with(&[("k", "v", Value::dword(1)), ("k\\Sub", "x", Value::sz("s"))]);
        let b = reg_with(&[
            ("K", "V", Value::dword(2)),
            ("K\\other", "", Value::sz("s")),
        ]);
        let ta = Subtree::read(&a, &["Software", "c", "k"]).unwrap();
        let tb = Subtree::read(&b, &["Software", "c", "K"]).unwrap();
        let c = compare(Some(&ta), Some(&tb));
        let text = c.differences.join("\n");
        assert!(text.contains("key [k]: Wine spells it [K]"), "{text}");
        assert!(
            text.contains("[k] \"v\": Wine spells the name \"V\""),
            "{text}"
        );
        assert!(text.contains("[k] \"v\": comsim REG_DWORD"), "{text}");
        assert!(text.contains("key [k\\Sub]: only in comsim"), "{text}");
        assert!(text.contains("key [K\\other]: only in Wine"), "{text}");
        assert!(compare(Some(&ta), Some(&ta)).differences.is_empty());
        assert!(compare(None, None).differences.is_empty());
    }
}
