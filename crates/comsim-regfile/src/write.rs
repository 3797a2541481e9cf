//! The .reg writer: version 5.00, UTF-16LE with a byte order mark, in regedit's layout.

use comsim_registry::{Access, KeyId, KeyPath, RegName, Registry, Value, ValueType};

/// Where regedit wraps hex data: a line is continued once it reaches this many characters.
const HEX_WRAP: usize = 77;

/// Exports `path` and everything below it, as `regedit /e` would, as text.
///
/// Returns `None` if the key does not exist in the given view. Keys come depth first, each followed
/// by its values in their stored order; subkeys in the registry's order.
pub fn export_text(reg: &Registry, path: &KeyPath, access: &Access) -> Option<String> {
    reg.open(path, access)?;
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n");
    // An explicit stack keeps deep trees from exhausting the call stack.
    let mut stack = vec![path.clone()];
    while let Some(p) = stack.pop() {
        let Some(key) = reg.open(&p, access) else {
            continue;
        };
        out.push_str("\r\n[");
        out.push_str(&p.to_string());
        out.push_str("]\r\n");
        write_values(&mut out, reg, key.primary.key);
        let subkeys = reg.open_subkeys(&key);
        for name in subkeys.iter().rev() {
            stack.push(p.join(name.as_str()));
        }
    }
    out.push_str("\r\n");
    Some(out)
}

/// [`export_text`] encoded as regedit writes it: UTF-16LE after the byte order mark `FF FE`.
pub fn export(reg: &Registry, path: &KeyPath, access: &Access) -> Option<Vec<u8>> {
    export_text(reg, path, access).map(|t| encode_utf16le(&t))
}

pub fn encode_utf16le(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 + text.len() * 2);
    bytes.extend([0xFF, 0xFE]);
    for u in text.encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    bytes
}

fn write_values(out: &mut String, reg: &Registry, key: KeyId) {
    for (name, value) in reg.values(key) {
        write_value(out, name, value);
    }
}

/// Writes one `name=data` line (with its continuations) and its line break.
pub fn write_value(out: &mut String, name: &RegName, value: &Value) {
    let start = out.len();
    if name.is_default() {
        out.push('@');
    } else {
        out.push('"');
        escape_into(out, name.as_str());
        out.push('"');
    }
    out.push('=');
    let name_len = out[start..].chars().count();
    if let Some(s) = quotable_string(value) {
        out.push('"');
        escape_into(out, &s);
        out.push('"');
    } else if value.ty == ValueType::DWORD && value.data.len() == 4 {
        out.push_str(&format!(
            "dword:{:08x}",
            value.as_dword().unwrap_or_default()
        ));
    } else {
        write_hex(out, name_len, value);
    }
    out.push_str("\r\n");
}

/// A REG_SZ that reads back identically from a quoted string: UTF-16 text, one terminating NUL,
/// no other NULs and no line breaks. Anything else is written as `hex(1):`.
fn quotable_string(value: &Value) -> Option<String> {
    if value.ty != ValueType::SZ || !value.data.len().is_multiple_of(2) {
        return None;
    }
    let units = value.utf16_units();
    let (last, body) = units.split_last()?;
    if *last != 0 || body.contains(&0) {
        return None;
    }
    let s = String::from_utf16(body).ok()?;
    (!s.contains(['\r', '\n'])).then_some(s)
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn write_hex(out: &mut String, name_len: usize, value: &Value) {
    let tag = if value.ty == ValueType::BINARY {
        "hex:".to_owned()
    } else {
        format!("hex({:x}):", value.ty.0)
    };
    out.push_str(&tag);
    let mut line_len = name_len + tag.len();
    let n = value.data.len();
    for (i, b) in value.data.iter().enumerate() {
        out.push_str(&format!("{b:02x}"));
        if i + 1 == n {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= HEX_WRAP {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
}

/// A key of a script and its values, in the order they are written.
pub type ScriptKey = (KeyPath, Vec<(RegName, Value)>);

/// A `REGEDIT4` script in the layout `regasm /regfile` writes: the header, then each group's keys
/// in the order given, each key followed by its values and a blank line, and one more blank line
/// after each group. Encoded as REGEDIT4 files are, in the ANSI code page (Windows-1252).
pub fn regedit4_script(groups: &[Vec<ScriptKey>]) -> Vec<u8> {
    let mut out = String::from("REGEDIT4\r\n\r\n");
    for group in groups {
        for (path, values) in group {
            out.push('[');
            out.push_str(&path.to_string());
            out.push_str("]\r\n");
            for (name, value) in values {
                write_value(&mut out, name, value);
            }
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&out);
    bytes.into_owned()
}

/// A canonical listing of a whole registry for tests and snapshots: every key that has values or no
/// subkeys, depth first in each hive, followed by its values as a .reg file would write them.
pub fn dump(reg: &Registry) -> String {
    let mut out = String::new();
    for hive in comsim_registry::Hive::ALL {
        let mut stack = vec![(
            reg.root(hive),
            KeyPath::new(hive.root(), Vec::<String>::new()),
        )];
        while let Some((id, path)) = stack.pop() {
            let has_values = !reg.values(id).is_empty();
            if has_values || reg.subkey_count(id) == 0 && !path.components.is_empty() {
                out.push_str(&format!("[{path}]\n"));
                for (name, value) in reg.values(id) {
                    let mut line = String::new();
                    write_value(&mut line, name, value);
                    out.push_str(&line.replace("\r\n", "\n"));
                }
            }
            let children: Vec<_> = reg
                .subkeys(id)
                .map(|(n, c)| (c, path.join(n.as_str())))
                .collect();
            stack.extend(children.into_iter().rev());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_registry::{View, Writer};

    #[test]
    fn layout_matches_regedit() {
        let mut reg = Registry::new();
        let p = KeyPath::parse("HKEY_CURRENT_USER\\Software\\T").unwrap();
        let w = Writer { admin: true };
        reg.write_value(&p, "", Value::sz("a\"b\\c"), View::Bits64, w)
            .unwrap();
        reg.write_value(&p, "n", Value::dword(0x1f), View::Bits64, w)
            .unwrap();
        reg.write_value(&p, "e", Value::expand_sz("%x%"), View::Bits64, w)
            .unwrap();
        reg.write_value(&p.join("Sub"), "b", Value::binary(&[]), View::Bits64, w)
            .unwrap();
        let text = export_text(&reg, &p, &Access::default()).unwrap();
        assert_eq!(
            text,
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\T]\r\n@=\"a\\\"b\\\\c\"\r\n\"n\"=dword:0000001f\r\n\"e\"=hex(2):25,00,78,00,25,00,00,00\r\n\r\n[HKEY_CURRENT_USER\\Software\\T\\Sub]\r\n\"b\"=hex:\r\n\r\n"
        );
    }

    #[test]
    fn hex_wraps_where_regedit_wraps() {
        let mut out = String::new();
        write_value(&mut out, &RegName::new("bin"), &Value::binary(&[0xab; 40]));
        let lines: Vec<_> = out.split("\r\n").collect();
        // `"bin"=hex:` is 10 characters; 23 bytes bring it to 79 >= 77.
        assert_eq!(lines[0].len(), 10 + 23 * 3 + 1);
        assert!(lines[0].ends_with(",\\"));
        assert!(lines[1].starts_with("  ab,"));
        assert!(!lines[1].ends_with(','));
    }

    #[test]
    fn strings_that_would_not_read_back_are_written_as_hex1() {
        let mut out = String::new();
        write_value(&mut out, &RegName::new("s"), &Value::sz("two\r\nlines"));
        assert!(out.starts_with("\"s\"=hex(1):74,00"));
        let mut out = String::new();
        write_value(
            &mut out,
            &RegName::new("s"),
            &Value::new(ValueType::SZ, vec![0x41, 0]),
        );
        assert_eq!(out, "\"s\"=hex(1):41,00\r\n");
    }
}
