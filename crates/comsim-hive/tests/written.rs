//! Hives from the test-only writer (`tests/writer`): what hivexregedit does not write, index roots
//! (`ri`) over `li`/`lf`/`lh` leaves and big data (`db`) segments, read back exactly.

mod writer;

use comsim_hive::load_bytes;
use comsim_registry::{Hive, KeyPath, Registry, Value, ValueType};
use writer::{Key, Layout, write};

fn many_children(n: usize) -> Key {
    Key {
        name: "ROOT".into(),
        values: vec![],
        children: (0..n)
            .map(|i| Key {
                name: format!("Key{i:04}"),
                values: vec![(String::new(), 4, (i as u32).to_le_bytes().to_vec())],
                children: vec![],
            })
            .collect(),
    }
}

fn load(bytes: &[u8]) -> Registry {
    let mut reg = Registry::new();
    let mount = KeyPath::parse("HKLM\\SOFTWARE").unwrap();
    load_bytes(&mut reg, "written", bytes, &mount, &[]).unwrap_or_else(|d| panic!("{d}"));
    reg
}

#[test]
fn an_index_root_over_leaves_of_each_kind_gives_every_subkey_in_order() {
    let bytes = write(&many_children(1000), Layout { leaf_max: 128 });
    let reg = load(&bytes);
    let sw = reg.find(Hive::LocalMachine, &["SOFTWARE"]).unwrap();
    let names: Vec<String> = reg
        .subkeys(sw)
        .map(|(n, _)| n.as_str().to_owned())
        .filter(|n| n.starts_with("Key"))
        .collect();
    assert_eq!(names.len(), 1000);
    assert_eq!(names[999], "Key0999");
    let k = reg
        .find(Hive::LocalMachine, &["SOFTWARE", "Key0500"])
        .unwrap();
    assert_eq!(reg.value(k, "").and_then(Value::as_dword), Some(500));
}

#[test]
fn big_data_segments_are_joined_to_the_value_length() {
    for len in [16_345usize, 16_344 * 2, 100_000] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let root = Key {
            name: "ROOT".into(),
            values: vec![
                ("Blob".into(), 3, data.clone()),
                ("Δ".into(), 0x1234, vec![1, 2]),
            ],
            children: vec![],
        };
        let reg = load(&write(&root, Layout { leaf_max: 512 }));
        let sw = reg.find(Hive::LocalMachine, &["SOFTWARE"]).unwrap();
        assert_eq!(
            reg.value(sw, "Blob"),
            Some(&Value::new(ValueType::BINARY, data)),
            "{len} bytes"
        );
        assert_eq!(
            reg.value(sw, "Δ"),
            Some(&Value::new(ValueType(0x1234), vec![1, 2]))
        );
    }
}

#[test]
fn a_shared_subkey_list_is_refused_not_read_twice() {
    // Two keys whose subkey lists are one cell: the second reference is an error, so a hive
    // cannot make the reader repeat work (or loop, if the list leads back up).
    let mut root = many_children(2);
    root.children[0].children.push(Key {
        name: "X".into(),
        ..Key::default()
    });
    let mut bytes = write(&root, Layout { leaf_max: 512 });
    let cell = |off: usize| 4096 + off + 4;
    let u32_at =
        |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let root_nk = cell(u32_at(&bytes, 36));
    let list = cell(u32_at(&bytes, root_nk + 28));
    let (a, b) = (
        cell(u32_at(&bytes, list + 4)),
        cell(u32_at(&bytes, list + 12)),
    );
    let a_list = bytes[a + 28..a + 32].to_vec();
    bytes[b + 20..b + 24].copy_from_slice(&1u32.to_le_bytes());
    bytes[b + 28..b + 32].copy_from_slice(&a_list);
    let mut reg = Registry::new();
    let mount = KeyPath::parse("HKLM\\SOFTWARE").unwrap();
    let err = load_bytes(&mut reg, "shared", &bytes, &mount, &[]).unwrap_err();
    assert_eq!(err.code, comsim_hive::codes::HIVE_CELL, "{err}");
    assert!(err.message.contains("a second time"), "{err}");
}

/// Records every progress call.
#[derive(Default)]
struct Record {
    begun: Vec<String>,
    steps: Vec<(u64, u64)>,
    ended: usize,
}

impl comsim_diag::Progress for Record {
    fn begin(&mut self, what: &str, unit: comsim_diag::Work) {
        assert_eq!(unit, comsim_diag::Work::Bytes);
        self.begun.push(what.to_owned());
    }
    fn advance(&mut self, done: u64, total: u64) {
        self.steps.push((done, total));
    }
    fn end(&mut self) {
        self.ended += 1;
    }
}

/// `load_file_with_progress` counts the file's bytes, never goes back, ends at the file's end,
/// and loads what `load_file` loads.
#[test]
fn a_hive_load_reports_its_progress_in_the_files_bytes() {
    // 2,000 keys of a 1,000-byte value each: about 2.5 MB of cells.
    let mut root = many_children(2000);
    for k in &mut root.children {
        k.values.push(("Data".into(), 3, vec![7; 1000]));
    }
    let bytes = write(&root, Layout { leaf_max: 512 });
    let path = std::env::temp_dir().join(format!("comsim-progress-{}.hiv", std::process::id()));
    std::fs::write(&path, &bytes).expect("a temporary file");
    let mount = KeyPath::parse("HKLM\\SOFTWARE").expect("a mount point");
    let mut plain = Registry::new();
    let want = comsim_hive::load_file(&mut plain, &path, "many.hiv", &mount, &[]);
    let mut reg = Registry::new();
    let mut rec = Record::default();
    let got =
        comsim_hive::load_file_with_progress(&mut reg, &path, "many.hiv", &mount, &[], &mut rec);
    assert_eq!(got, want);
    assert_eq!(comsim_regfile::dump(&reg), comsim_regfile::dump(&plain));
    std::fs::remove_file(&path).ok();
    let total = bytes.len() as u64;
    assert_eq!(rec.begun, ["many.hiv"]);
    assert_eq!(rec.ended, 1);
    assert!(rec.steps.len() >= 10, "{:?}", rec.steps);
    assert!(
        rec.steps.iter().all(|&(d, t)| t == total && d <= t),
        "{:?}",
        rec.steps
    );
    assert!(
        rec.steps.windows(2).all(|w| w[0].0 <= w[1].0),
        "{:?}",
        rec.steps
    );
    assert_eq!(rec.steps.last(), Some(&(total, total)));
    // A file that cannot be read ends its piece of work too.
    let mut rec = Record::default();
    let missing = path.with_extension("missing");
    let got = comsim_hive::load_file_with_progress(&mut reg, &missing, "x", &mount, &[], &mut rec);
    assert!(got.is_err());
    assert_eq!((rec.begun.len(), rec.ended), (1, 1));
}

/// Keys nested deeper than Windows' 512 levels (counting the mount point's) are `hive-depth` at
/// the byte offset of the key that crosses the limit, named in the user's terms.
#[test]
fn keys_nested_over_the_limit_are_refused_at_the_key() {
    let mut key = Key {
        name: "K520".into(),
        values: vec![],
        children: vec![],
    };
    for i in (0..520).rev() {
        key = Key {
            name: format!("K{i}"),
            values: vec![],
            children: vec![key],
        };
    }
    let bytes = write(&key, Layout { leaf_max: 512 });
    let mut reg = Registry::new();
    let mount = KeyPath::parse("HKLM\\SOFTWARE").unwrap();
    let e = load_bytes(&mut reg, "deep.hiv", &bytes, &mount, &[]).unwrap_err();
    assert_eq!(e.code.name(), "hive-depth", "{e}");
    // SOFTWARE is one level; the hive's root is SOFTWARE itself, so K512 is the 513th level.
    assert!(
        e.message
            .contains("the key `K512` is more than 512 levels deep"),
        "{e}"
    );
    let offset: usize = e.message["deep.hiv: at byte ".len()..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no offset: {e}"));
    // The offset is that key's record: its name follows 76 bytes in.
    assert_eq!(&bytes[offset + 76..offset + 80], b"K512", "{e}");
}

/// A hive over 2 MiB (more than the file reader's cache of pieces holds), with cells larger than a
/// piece and big data: read from the file, a piece at a time, it gives what the bytes give.
fn large_hive() -> Vec<u8> {
    let blob: Vec<u8> = (0..40_000).map(|i| (i % 253) as u8).collect();
    let children = (0..6_000)
        .map(|i| Key {
            name: format!("{{{i:08X}-0000-0000-0000-000000000000}}"),
            values: vec![
                (
                    String::new(),
                    1,
                    comsim_registry::utf16z(&format!("Class {i}")),
                ),
                (
                    "CodeBase".into(),
                    1,
                    comsim_registry::utf16z(&format!("file:///C:/Program Files/Vendor/L{i}.dll")),
                ),
                ("Size".into(), 4, (i as u32).to_le_bytes().to_vec()),
            ],
            children: vec![Key {
                name: "InprocServer32".into(),
                // Every 500th class holds data larger than a piece (in one cell, or in db segments).
                values: if i % 500 == 0 {
                    vec![
                        ("Blob".into(), 3, blob.clone()),
                        ("Mid".into(), 3, blob[..12_000].to_vec()),
                    ]
                } else {
                    vec![(String::new(), 1, comsim_registry::utf16z("mscoree.dll"))]
                },
                children: vec![],
            }],
        })
        .collect();
    let root = Key {
        name: "ROOT".into(),
        values: vec![],
        children,
    };
    write(&root, Layout { leaf_max: 256 })
}

#[test]
fn a_hive_read_from_its_file_a_piece_at_a_time_is_what_its_bytes_give() {
    let bytes = large_hive();
    assert!(bytes.len() > 2 << 20, "{} bytes", bytes.len());
    let path = std::env::temp_dir().join(format!("comsim-hive-paged-{}.hiv", std::process::id()));
    let mount = KeyPath::parse("HKLM\\SOFTWARE").unwrap();
    let from_file = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        let mut reg = Registry::new();
        let r = comsim_hive::load_file(&mut reg, &path, "written", &mount, &[]);
        (r.map_err(|d| d.to_string()), comsim_regfile::dump(&reg))
    };
    let from_bytes = |bytes: &[u8]| {
        let mut reg = Registry::new();
        let r = load_bytes(&mut reg, "written", bytes, &mount, &[]);
        (r.map_err(|d| d.to_string()), comsim_regfile::dump(&reg))
    };
    let (report, dump) = from_file(&bytes);
    assert_eq!(report.as_ref().map(|r| r.keys), Ok(12_001));
    assert_eq!((report, dump), from_bytes(&bytes));
    // Damaged copies fail with the same located error either way: truncated (the base block then
    // says more bins than the file has), and with a reference moved off its cell deep in the file.
    let mut damaged = bytes.clone();
    damaged.truncate(bytes.len() - 4096);
    let (err, _) = from_file(&damaged);
    assert!(err.is_err());
    assert_eq!(err, from_bytes(&damaged).0);
    for at in [bytes.len() / 2, bytes.len() - 9000, 4096 + 32] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5A;
        let (a, b) = (from_file(&damaged), from_bytes(&damaged));
        assert_eq!(a, b, "a byte changed at {at}");
    }
    std::fs::remove_file(&path).unwrap();
}
