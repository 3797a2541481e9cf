//! A deterministic generator for a `regedit /e HKEY_CLASSES_ROOT` export of a machine with many COM
//! classes: native in-process servers, regasm-style managed registrations with version subkeys,
//! ProgIDs, component categories, type libraries and 32-bit registrations under `Wow6432Node`.
//!
//! The output is what regedit writes: UTF-16LE with a byte order mark, the version 5.00 header, keys
//! depth first with subkeys in the registry's order, string values quoted, REG_EXPAND_SZ and binary
//! values as `hex(2):` / `hex:` wrapped at 77 columns (the lines come from the crate's own writer).

use std::cmp::Ordering;
use std::io::{self, Write};

use comsim_regfile::write_value;
use comsim_registry::{RegName, Value, compare_names};
use comsim_rng::SplitMix64;

/// The .NET category every regasm registration implements.
pub const NET_CATEGORY: &str = "{62C8FE65-4EBB-45E7-B440-6E39B2CDBF29}";
/// "Controls safely initializable from persistent data" and "Controls safely scriptable", which
/// native ActiveX controls implement.
pub const SAFE_CATEGORIES: [&str; 2] = [
    "{7DD95801-9882-11CF-9FA9-00AA006C42C4}",
    "{7DD95802-9882-11CF-9FA9-00AA006C42C4}",
];

const VENDORS: [&str; 16] = [
    "Adatum",
    "Contoso",
    "Fabrikam",
    "FourthCoffee",
    "Litware",
    "Lucerne",
    "Margie",
    "Northwind",
    "Proseware",
    "Southridge",
    "Tailspin",
    "Trey",
    "WideWorld",
    "Wingtip",
    "Woodgrove",
    "Humongous",
];
const PRODUCTS: [&str; 16] = [
    "Billing", "Charts", "Imaging", "Office", "Reports", "Scanner", "Sync", "Viewer", "Ledger",
    "Mail", "Media", "Print", "Search", "Shell", "Speech", "Studio",
];
const NOUNS: [&str; 20] = [
    "Document",
    "Invoice",
    "Builder",
    "Renderer",
    "Provider",
    "Handler",
    "Connection",
    "Session",
    "Filter",
    "Control",
    "Encoder",
    "Decoder",
    "Factory",
    "Parser",
    "Service",
    "Manager",
    "Reader",
    "Writer",
    "Broker",
    "Adapter",
];
const THREADING: [&str; 4] = ["Apartment", "Both", "Both", "Free"];
const VERSIONS: [&str; 5] = ["1.0.0.0", "2.0.0.0", "2.1.0.0", "3.0.0.0", "4.0.0.0"];

/// A key to write: its name, values and subkeys.
struct Key {
    name: String,
    values: Vec<(RegName, Value)>,
    subkeys: Vec<Key>,
}

impl Key {
    fn new(name: impl Into<String>) -> Self {
        Key {
            name: name.into(),
            values: Vec::new(),
            subkeys: Vec::new(),
        }
    }

    fn val(mut self, name: &str, value: Value) -> Self {
        self.values.push((RegName::new(name), value));
        self
    }

    fn sz(self, name: &str, s: &str) -> Self {
        self.val(name, Value::sz(s))
    }

    fn sub(mut self, key: Key) -> Self {
        self.subkeys.push(key);
        self
    }
}

fn by_registry_order(a: &Key, b: &Key) -> Ordering {
    compare_names(&a.name, &b.name)
}

/// A COM component: one DLL or assembly with a type library and some classes.
struct Component {
    vendor: &'static str,
    product: &'static str,
    managed: bool,
    wow: bool,
    libid: String,
    token: String,
    versions: Vec<&'static str>,
}

/// One class to register.
struct Class {
    clsid: String,
    noun: String,
    component: usize,
    has_progid: bool,
    category: bool,
    filter_data: Option<Vec<u8>>,
    threading: &'static str,
    expand_path: bool,
}

/// What was generated.
pub struct Generated {
    pub bytes: u64,
    pub keys: u64,
    pub values: u64,
}

struct Out<W: Write> {
    sink: W,
    text: String,
    bytes: u64,
    keys: u64,
    values: u64,
}

impl<W: Write> Out<W> {
    fn key(&mut self, path: &str, key: &Key) -> io::Result<()> {
        let full = format!("{path}\\{}", key.name);
        self.text.push_str("\r\n[");
        self.text.push_str(&full);
        self.text.push_str("]\r\n");
        self.keys += 1;
        for (name, value) in &key.values {
            write_value(&mut self.text, name, value);
            self.values += 1;
        }
        let mut subkeys: Vec<&Key> = key.subkeys.iter().collect();
        subkeys.sort_by(|a, b| by_registry_order(a, b));
        for sub in subkeys {
            self.key(&full, sub)?;
        }
        if self.text.len() > 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    /// A key line for a key whose values and subkeys follow separately.
    fn bare(&mut self, path: &str) {
        self.text.push_str("\r\n[");
        self.text.push_str(path);
        self.text.push_str("]\r\n");
        self.keys += 1;
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut buf = Vec::with_capacity(self.text.len() * 2);
        for u in self.text.encode_utf16() {
            buf.extend(u.to_le_bytes());
        }
        self.sink.write_all(&buf)?;
        self.bytes += buf.len() as u64;
        self.text.clear();
        Ok(())
    }
}

/// Writes an export of `HKEY_CLASSES_ROOT` with `clsids` classes to `sink`.
#[allow(dead_code, reason = "each includer uses one of the two entry points")]
pub fn generate<W: Write>(clsids: usize, sink: W) -> io::Result<Generated> {
    generate_under("HKEY_CLASSES_ROOT", clsids, sink)
}

/// Writes an export of the classes key `root` (`HKEY_CLASSES_ROOT`, or its machine half
/// `HKEY_LOCAL_MACHINE\SOFTWARE\Classes`) with `clsids` classes to `sink`.
#[expect(
    clippy::too_many_lines,
    reason = "one seeded pass whose order of random draws fixes the benchmark input; kept whole so that order stays visible"
)]
pub fn generate_under<W: Write>(root: &str, clsids: usize, sink: W) -> io::Result<Generated> {
    let mut rng = SplitMix64::new(0x00C0_FFEE ^ clsids as u64);
    // About eight classes per component, as real servers register several coclasses each.
    let components: Vec<Component> = (0..clsids.div_ceil(8))
        .map(|_| {
            let managed = rng.chance(40);
            let nversions = if managed && rng.chance(25) { 2 } else { 1 };
            let first = rng.below(VERSIONS.len() - 1);
            Component {
                vendor: VENDORS[rng.below(VENDORS.len())],
                product: PRODUCTS[rng.below(PRODUCTS.len())],
                managed,
                wow: rng.chance(20),
                libid: rng.guid(),
                token: format!("{:016x}", rng.next_u64()),
                versions: VERSIONS[first..first + nversions].to_vec(),
            }
        })
        .collect();
    let mut classes: Vec<Class> = (0..clsids)
        .map(|i| {
            let component = i * components.len() / clsids.max(1);
            let managed = components[component].managed;
            let filter_data = (!managed && rng.chance(5)).then(|| {
                let n = 40 + rng.below(160);
                (0..n).map(|_| rng.next_u64() as u8).collect()
            });
            Class {
                clsid: rng.guid(),
                // The index keeps ProgIDs unique.
                noun: format!("{}{}", NOUNS[rng.below(NOUNS.len())], i),
                component,
                has_progid: managed || rng.chance(70),
                category: managed || rng.chance(10),
                filter_data,
                threading: THREADING[rng.below(THREADING.len())],
                expand_path: !managed && rng.chance(30),
            }
        })
        .collect();
    classes.sort_by(|a, b| compare_names(&a.clsid, &b.clsid));

    let mut out = Out {
        sink,
        text: String::from("Windows Registry Editor Version 5.00\r\n"),
        bytes: 2,
        keys: 0,
        values: 0,
    };
    out.sink.write_all(&[0xFF, 0xFE])?;
    out.bare(root);

    // Top-level keys in the registry's order: CLSID, Component Categories, the ProgIDs, TypeLib,
    // Wow6432Node.
    enum Top {
        Clsid,
        Categories,
        ProgId(usize, bool),
        TypeLib,
        Wow,
    }
    let mut tops: Vec<(String, Top)> = vec![
        ("CLSID".into(), Top::Clsid),
        ("Component Categories".into(), Top::Categories),
        ("TypeLib".into(), Top::TypeLib),
        ("Wow6432Node".into(), Top::Wow),
    ];
    for (i, c) in classes.iter().enumerate() {
        if c.has_progid {
            let (versioned, independent) = progids(&components[c.component], c);
            tops.push((versioned.clone(), Top::ProgId(i, true)));
            if let Some(vi) = independent {
                tops.push((vi, Top::ProgId(i, false)));
            }
        }
    }
    tops.sort_by(|a, b| compare_names(&a.0, &b.0));

    for (name, top) in &tops {
        match top {
            Top::Clsid => {
                out.bare(&format!("{root}\\CLSID"));
                for c in classes.iter().filter(|c| !components[c.component].wow) {
                    let key = class_key(&components[c.component], c, false);
                    out.key(&format!("{root}\\CLSID"), &key)?;
                }
            }
            Top::Categories => {
                let cats = Key::new("Component Categories")
                    .sub(
                        Key::new(NET_CATEGORY)
                            .sz("0", ".NET Category")
                            .sz("409", ".NET Category"),
                    )
                    .sub(
                        Key::new(SAFE_CATEGORIES[0])
                            .sz("409", "Controls safely initializable from persistent data"),
                    )
                    .sub(Key::new(SAFE_CATEGORIES[1]).sz("409", "Controls safely scriptable"));
                out.key(root, &cats)?;
            }
            Top::ProgId(i, versioned) => {
                let c = &classes[*i];
                let comp = &components[c.component];
                let (v, vi) = progids(comp, c);
                let mut key = Key::new(name.clone())
                    .sz("", &friendly(comp, c))
                    .sub(Key::new("CLSID").sz("", &c.clsid));
                // The version-independent ProgID of a native class points at the current one;
                // regasm writes managed ProgIDs as a single key.
                if !*versioned && vi.is_some() {
                    key = key.sub(Key::new("CurVer").sz("", &v));
                }
                out.key(root, &key)?;
            }
            Top::TypeLib => {
                out.bare(&format!("{root}\\TypeLib"));
                let mut libs: Vec<&Component> = components.iter().collect();
                libs.sort_by(|a, b| compare_names(&a.libid, &b.libid));
                for comp in libs {
                    out.key(&format!("{root}\\TypeLib"), &typelib_key(comp))?;
                }
            }
            Top::Wow => {
                out.bare(&format!("{root}\\Wow6432Node"));
                out.bare(&format!("{root}\\Wow6432Node\\CLSID"));
                for c in classes.iter().filter(|c| components[c.component].wow) {
                    let key = class_key(&components[c.component], c, true);
                    out.key(&format!("{root}\\Wow6432Node\\CLSID"), &key)?;
                }
            }
        }
    }
    out.text.push_str("\r\n");
    out.flush()?;
    out.sink.flush()?;
    Ok(Generated {
        bytes: out.bytes,
        keys: out.keys,
        values: out.values,
    })
}

/// The versioned ProgID and, for native classes, the version-independent one.
fn progids(comp: &Component, c: &Class) -> (String, Option<String>) {
    let base = format!("{}.{}.{}", comp.vendor, comp.product, c.noun);
    if comp.managed {
        (base, None)
    } else {
        (format!("{base}.1"), Some(base))
    }
}

fn friendly(comp: &Component, c: &Class) -> String {
    if comp.managed {
        format!("{}.{}.{}", comp.vendor, comp.product, c.noun)
    } else {
        format!("{} {} {} Class", comp.vendor, comp.product, c.noun)
    }
}

fn assembly_values(mut key: Key, comp: &Component, c: &Class, version: &str) -> Key {
    let assembly = format!("{}.{}", comp.vendor, comp.product);
    key = key
        .sz("Class", &format!("{assembly}.{}", c.noun))
        .sz(
            "Assembly",
            &format!(
                "{assembly}, Version={version}, Culture=neutral, PublicKeyToken={}",
                comp.token
            ),
        )
        .sz("RuntimeVersion", "v4.0.30319")
        .sz(
            "CodeBase",
            &format!(
                "file:///C:/Program Files/{}/{}/{version}/{assembly}.dll",
                comp.vendor, comp.product
            ),
        );
    key
}

fn class_key(comp: &Component, c: &Class, wow: bool) -> Key {
    let mut key = Key::new(c.clsid.clone()).sz("", &friendly(comp, c));
    let mut server = Key::new("InprocServer32");
    if comp.managed {
        server = server.sz("", "mscoree.dll").sz("ThreadingModel", "Both");
        let latest = comp.versions.last().copied().unwrap_or("1.0.0.0");
        server = assembly_values(server, comp, c, latest);
        for v in &comp.versions {
            server = server.sub(assembly_values(Key::new(*v), comp, c, v));
        }
    } else {
        let dll = format!(
            "{}{}.dll",
            comp.vendor.to_lowercase(),
            comp.product.to_lowercase()
        );
        let system = if wow { "SysWOW64" } else { "System32" };
        server = if c.expand_path {
            server.val(
                "",
                Value::expand_sz(&format!("%SystemRoot%\\{system}\\{dll}")),
            )
        } else {
            server.sz("", &format!("C:\\Windows\\{system}\\{dll}"))
        };
        server = server.sz("ThreadingModel", c.threading);
        key = key.sub(Key::new("TypeLib").sz("", &comp.libid));
        key = key.sub(Key::new("Version").sz("", "1.0"));
    }
    key = key.sub(server);
    if c.category {
        let mut cats = Key::new("Implemented Categories");
        if comp.managed {
            cats = cats.sub(Key::new(NET_CATEGORY));
        } else {
            for cat in SAFE_CATEGORIES {
                cats = cats.sub(Key::new(cat));
            }
        }
        key = key.sub(cats);
    }
    if c.has_progid {
        let (v, vi) = progids(comp, c);
        key = key.sub(Key::new("ProgId").sz("", &v));
        if let Some(vi) = vi {
            key = key.sub(Key::new("VersionIndependentProgID").sz("", &vi));
        }
    }
    if let Some(data) = &c.filter_data {
        key = key
            .val("FilterData", Value::binary(data))
            .val("Merit", Value::dword(0x0060_0000));
    }
    key
}

fn typelib_key(comp: &Component) -> Key {
    let dir = format!("C:\\Program Files\\{}\\{}", comp.vendor, comp.product);
    let mut version = Key::new("1.0")
        .sz(
            "",
            &format!("{} {} 1.0 Type Library", comp.vendor, comp.product),
        )
        .sub(Key::new("FLAGS").sz("", "0"))
        .sub(Key::new("HELPDIR").sz("", &dir));
    let file = if comp.managed {
        format!("{dir}\\{}.{}.tlb", comp.vendor, comp.product)
    } else {
        format!("{dir}\\{}.dll", comp.product.to_lowercase())
    };
    let mut lcid = Key::new("0");
    if comp.wow {
        lcid = lcid.sub(Key::new("win32").sz("", &file));
    } else {
        lcid = lcid.sub(Key::new("win64").sz("", &file));
    }
    version = version.sub(lcid);
    Key::new(comp.libid.clone()).sub(version)
}
