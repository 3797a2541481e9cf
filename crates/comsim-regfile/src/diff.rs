//! A registry difference as a .reg-like listing, for terminals and snapshots.

use comsim_registry::{Change, KeyPath, RegName, Value};

use crate::write::write_value;

/// Lists `changes` one line per item, with `\n` line ends.
///
/// An added key is `+ [path]`, a removed one `- [path]`. Values follow, indented four spaces after
/// their `+ ` or `- ` marker and written as [`write_value`] writes them; a changed value is its old
/// line then its new one. A value whose key is not that of the line before is preceded by the
/// context line `  [path]`. A `.reg` importer cannot read the result.
pub fn diff_text(changes: &[Change]) -> String {
    let mut out = String::new();
    // The key the previous line was about.
    let mut current: Option<&KeyPath> = None;
    for change in changes {
        match change {
            Change::KeyAdded { path } => {
                key_line(&mut out, '+', path);
                current = Some(path);
            }
            Change::KeyRemoved { path } => {
                key_line(&mut out, '-', path);
                current = Some(path);
            }
            Change::ValueAdded { key, name, value } => {
                context(&mut out, &mut current, key);
                value_lines(&mut out, '+', name, value);
            }
            Change::ValueChanged {
                key,
                name,
                old,
                new,
            } => {
                context(&mut out, &mut current, key);
                value_lines(&mut out, '-', name, old);
                value_lines(&mut out, '+', name, new);
            }
            Change::ValueRemoved { key, name, old } => {
                context(&mut out, &mut current, key);
                value_lines(&mut out, '-', name, old);
            }
        }
    }
    out
}

fn key_line(out: &mut String, marker: char, path: &KeyPath) {
    out.push(marker);
    out.push_str(" [");
    out.push_str(&path.to_string());
    out.push_str("]\n");
}

/// Writes `  [key]` unless the previous line was about `key`.
fn context<'a>(out: &mut String, current: &mut Option<&'a KeyPath>, key: &'a KeyPath) {
    let same =
        current.is_some_and(|c| c.components.len() == key.components.len() && c.starts_with(key));
    if !same {
        key_line(out, ' ', key);
        *current = Some(key);
    }
}

fn value_lines(out: &mut String, marker: char, name: &RegName, value: &Value) {
    let mut text = String::new();
    write_value(&mut text, name, value);
    let text = text.strip_suffix("\r\n").unwrap_or(&text);
    for line in text.split("\r\n") {
        out.push(marker);
        out.push_str("     ");
        out.push_str(line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_registry::{Hive, KeyId, Registry, diff};

    const CLSID: &str = "{0D6A4C1E-2F3B-4A5C-8D7E-9F0A1B2C3D4E}";

    fn key(reg: &mut Registry, path: &[&str]) -> KeyId {
        let root = reg.root(Hive::LocalMachine);
        reg.create_path(root, path).unwrap()
    }

    fn assembly(version: &str) -> Value {
        Value::sz(&format!(
            "Contoso, Version={version}, Culture=neutral, PublicKeyToken=null"
        ))
    }

    #[test]
    fn no_changes_give_the_empty_string() {
        let reg = Registry::new();
        assert_eq!(diff_text(&diff(&reg, &reg.clone())), "");
    }

    #[test]
    fn added_key_is_plus_then_its_values_then_its_subkeys() {
        let before = Registry::new();
        let mut after = Registry::new();
        let k = key(&mut after, &["Software", "Classes", "Contoso.Widget"]);
        after.set_value(k, "", Value::sz("Contoso.Widget")).unwrap();
        let c = key(
            &mut after,
            &["Software", "Classes", "Contoso.Widget", "CLSID"],
        );
        after.set_value(c, "", Value::sz(CLSID)).unwrap();
        assert_eq!(
            diff_text(&diff(&before, &after)),
            format!(
                "+ [HKEY_LOCAL_MACHINE\\Software\\Classes\\Contoso.Widget]\n\
                 +     @=\"Contoso.Widget\"\n\
                 + [HKEY_LOCAL_MACHINE\\Software\\Classes\\Contoso.Widget\\CLSID]\n\
                 +     @=\"{CLSID}\"\n"
            )
        );
    }

    #[test]
    fn removed_key_is_minus_then_its_values() {
        let mut before = Registry::new();
        let k = key(&mut before, &["Software", "Classes", "Contoso.Widget"]);
        before
            .set_value(k, "", Value::sz("Contoso.Widget"))
            .unwrap();
        before.set_value(k, "EditFlags", Value::dword(2)).unwrap();
        let after = Registry::new();
        assert_eq!(
            diff_text(&diff(&before, &after)),
            "- [HKEY_LOCAL_MACHINE\\Software\\Classes\\Contoso.Widget]\n\
             -     @=\"Contoso.Widget\"\n\
             -     \"EditFlags\"=dword:00000002\n"
        );
    }

    #[test]
    fn changed_value_is_old_line_then_new_line_under_a_context_line() {
        let inproc = ["Software", "Classes", "CLSID", CLSID, "InprocServer32"];
        let mut before = Registry::new();
        let k = key(&mut before, &inproc);
        before
            .set_value(k, "Assembly", assembly("1.0.0.0"))
            .unwrap();
        let v = key(&mut before, &[&inproc[..], &["1.0.0.0"]].concat());
        before
            .set_value(v, "Class", Value::sz("Contoso.Widget"))
            .unwrap();
        let mut after = before.clone();
        let k = key(&mut after, &inproc);
        after.set_value(k, "Assembly", assembly("2.0.0.0")).unwrap();
        after.delete_child_tree(k, "1.0.0.0");
        assert_eq!(
            diff_text(&diff(&before, &after)),
            format!(
                "  [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{CLSID}\\InprocServer32]\n\
                 -     \"Assembly\"=\"Contoso, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null\"\n\
                 +     \"Assembly\"=\"Contoso, Version=2.0.0.0, Culture=neutral, PublicKeyToken=null\"\n\
                 - [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{CLSID}\\InprocServer32\\1.0.0.0]\n\
                 -     \"Class\"=\"Contoso.Widget\"\n"
            )
        );
    }

    #[test]
    fn value_changes_of_one_kept_key_share_one_context_line_and_each_key_has_its_own() {
        let mut before = Registry::new();
        let a = key(&mut before, &["Software", "A"]);
        before.set_value(a, "gone", Value::dword(1)).unwrap();
        before.set_value(a, "kept", Value::dword(1)).unwrap();
        key(&mut before, &["Software", "B"]);
        let mut after = before.clone();
        let a = key(&mut after, &["Software", "A"]);
        after.delete_value(a, "gone");
        after.set_value(a, "new", Value::sz("n")).unwrap();
        let b = key(&mut after, &["Software", "B"]);
        after.set_value(b, "", Value::sz("b")).unwrap();
        assert_eq!(
            diff_text(&diff(&before, &after)),
            concat!(
                "  [HKEY_LOCAL_MACHINE\\Software\\A]\n",
                "+     \"new\"=\"n\"\n",
                "-     \"gone\"=dword:00000001\n",
                "  [HKEY_LOCAL_MACHINE\\Software\\B]\n",
                "+     @=\"b\"\n",
            )
        );
    }

    #[test]
    fn wrapped_hex_keeps_the_marker_and_indent_on_every_line() {
        let before = Registry::new();
        let mut after = Registry::new();
        let k = key(&mut after, &["Software", "Bin"]);
        after
            .set_value(k, "bin", Value::binary(&[0xab; 40]))
            .unwrap();
        let text = diff_text(&diff(&before, &after));
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        let mut bin = String::new();
        write_value(&mut bin, &RegName::new("bin"), &Value::binary(&[0xab; 40]));
        let want: Vec<String> = bin
            .split_terminator("\r\n")
            .map(|l| format!("+     {l}"))
            .collect();
        assert_eq!(want.len(), 2, "the value wraps once");
        assert_eq!(lines[0], "+ [HKEY_LOCAL_MACHINE\\Software\\Bin]");
        assert_eq!(lines[1..], want);
        assert!(lines[2].starts_with("+       ab,"));
    }
}
