//! The writer and reader agree: any registry that a .reg import can produce, written out and read
//! back, is the same registry; and a file the writer produced is reproduced byte for byte.

use std::collections::BTreeMap;

use comsim_regfile::{ImportOptions, dump, export, import_bytes};
use comsim_registry::{Access, KeyPath, RegName, Registry, Value, ValueType, View, Writer};
use proptest::prelude::*;

/// A generated key: values and subkeys, names unique as the registry compares them.
#[derive(Debug, Clone)]
struct GenKey {
    values: Vec<(String, Value)>,
    subkeys: BTreeMap<RegName, GenKey>,
}

fn name_chars() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('A', 'Z'),
        2 => proptest::sample::select(vec![' ', '"', '[', ']', ';', '=', '@', '-', '{', '}', '#', ',', '(', ')', '.', '_', '\t']),
        1 => proptest::sample::select(vec!['é', 'ß', 'Ü', 'ı', 'Ω', '中', '€', '\u{1F600}']),
    ]
}

fn key_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(name_chars(), 1..12).prop_map(|v| v.into_iter().collect())
}

fn value_name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        6 => proptest::collection::vec(prop_oneof![9 => name_chars(), 1 => proptest::sample::select(vec!['\\', '\r', '\n'])], 1..12)
            .prop_map(|v| v.into_iter().collect()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![8 => name_chars(), 1 => proptest::sample::select(vec!['\\', '\r', '\n'])],
        0..20,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Values as an import can leave them: string types end in a NUL character.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(|s| Value::sz(&s)),
        text().prop_map(|s| Value::expand_sz(&s)),
        proptest::collection::vec(text().prop_filter("no empty item", |s| !s.is_empty()), 0..4)
            .prop_map(|v| Value::multi_sz(&v)),
        any::<u32>().prop_map(Value::dword),
        any::<u64>().prop_map(Value::qword),
        proptest::collection::vec(any::<u8>(), 0..100).prop_map(|b| Value::binary(&b)),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| Value::new(ValueType::NONE, b)),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(|b| Value::new(ValueType::DWORD, b)),
        (
            any::<u32>().prop_filter("not a string type", |t| !matches!(t, 1 | 2 | 7)),
            proptest::collection::vec(any::<u8>(), 0..10)
        )
            .prop_map(|(t, b)| Value::new(ValueType(t), b)),
        // A REG_SZ whose bytes are not plain text (embedded NULs, odd code units) but NUL-terminated.
        proptest::collection::vec(any::<u16>(), 0..6).prop_map(|mut u| {
            u.push(0);
            Value::new(
                ValueType::SZ,
                u.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>(),
            )
        }),
    ]
}

fn gen_key(depth: u32) -> BoxedStrategy<GenKey> {
    let values = proptest::collection::vec((value_name(), value()), 0..5);
    if depth == 0 {
        return values
            .prop_map(|values| GenKey {
                values,
                subkeys: BTreeMap::new(),
            })
            .boxed();
    }
    (
        values,
        proptest::collection::vec((key_name(), gen_key(depth - 1)), 0..4),
    )
        .prop_map(|(values, subs)| GenKey {
            values,
            subkeys: subs
                .into_iter()
                .map(|(n, k)| (RegName::new(n), k))
                .collect(),
        })
        .boxed()
}

fn build(reg: &mut Registry, path: &KeyPath, key: &GenKey) {
    let w = Writer { admin: true };
    let target = reg.create_key(path, View::Bits64, w).unwrap();
    for (n, v) in &key.values {
        reg.set_value_at(&target, n, v.clone()).unwrap();
    }
    for (n, k) in &key.subkeys {
        build(reg, &path.join(n.as_str()), k);
    }
}

fn scratch() -> KeyPath {
    KeyPath::parse("HKEY_CURRENT_USER\\Software\\comsim-roundtrip").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn written_then_read_is_the_same_registry_and_rewrites_byte_for_byte(root in gen_key(3)) {
        let mut original = Registry::new();
        build(&mut original, &scratch(), &root);
        let bytes = export(&original, &scratch(), &Access::default()).unwrap();

        let mut reread = Registry::new();
        import_bytes(&mut reread, "roundtrip.reg", &bytes, &ImportOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(dump(&original), dump(&reread));

        let again = export(&reread, &scratch(), &Access::default()).unwrap();
        prop_assert!(bytes == again, "the writer's file did not round-trip byte for byte");
    }
}
