//! What the registry holds for a class, read through a view: the facts the causes are detected
//! from and their fixes built on.

use comsim_manifest::Guid;
use comsim_registry::{Access, Hive, KeyPath, MergeMode, Value, View};
use comsim_resolver::shimreg::clsid_key;
use comsim_resolver::{AssemblyInfo, Bitness, FileKind, Machine, WinPath};

/// The access of a process of `bitness` on `m` (REG-3), with or without the per-user classes.
pub fn access(m: &Machine, bitness: Bitness, user_classes: bool) -> Access {
    let view = if m.os == Bitness::B32 {
        View::Bits64
    } else {
        bitness.view()
    };
    Access {
        view,
        merge: MergeMode::Union,
        user_classes,
    }
}

/// The bitnesses of the processes `m` runs, 64-bit first: both on 64-bit Windows, 32-bit alone
/// on 32-bit Windows (one registry view).
pub fn bitnesses(m: &Machine) -> Vec<Bitness> {
    if m.os == Bitness::B32 {
        vec![Bitness::B32]
    } else {
        vec![Bitness::B64, Bitness::B32]
    }
}

/// A class's registration in one view.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Where the class key is stored (`HKEY_LOCAL_MACHINE\Software\Classes\Wow6432Node\CLSID\…`).
    pub stored: String,
    pub hive_user: bool,
    pub inproc: Option<String>,
    /// Whether `inproc` is REG_EXPAND_SZ (expanded in the loading process's environment, COM-3).
    pub inproc_expandable: bool,
    pub assembly: Option<String>,
    pub class: Option<String>,
    pub codebase: Option<String>,
    pub runtime: Option<String>,
    pub local_server: Option<String>,
    /// Whether `local_server` is REG_EXPAND_SZ.
    pub local_server_expandable: bool,
    pub treat_as: Option<Guid>,
    /// The `ProgID` subkey's default value.
    pub progid: Option<String>,
}

impl Registration {
    /// Registered for mscoree: a managed class.
    pub fn is_managed(&self) -> bool {
        const MSCOREE: &[u8] = b"mscoree.dll";
        self.assembly.is_some()
            || self.inproc.as_deref().is_some_and(|s| {
                let s = s.as_bytes();
                s.len() >= MSCOREE.len()
                    && s[s.len() - MSCOREE.len()..].eq_ignore_ascii_case(MSCOREE)
            })
    }
}

/// The class's registration as `access` sees it, `None` when it has no key there.
pub fn read(m: &Machine, clsid: Guid, access: &Access) -> Option<Registration> {
    let key = clsid_key(clsid, &[]);
    let open = m.registry.open(&key, access)?;
    let stored = KeyPath::new(open.primary.hive.root(), open.primary.components.clone());
    Some(read_opened(m, &key, open.ids(), stored.to_string(), access))
}

/// `HKCR\CLSID` opened in one view once, for reading the registrations of many classes below it
/// ([`read_below`]): a listing of every class of a machine reads each one in each view.
pub struct ClassesKey {
    path: KeyPath,
    open: comsim_registry::OpenKey,
    access: Access,
    /// Where the key found first and the one behind it are stored, as text.
    stored: (String, Option<String>),
}

impl ClassesKey {
    /// `HKCR\CLSID` as `access` sees it, `None` when there is no such key.
    pub fn open(m: &Machine, access: &Access) -> Option<ClassesKey> {
        let path = clsid_key_root();
        let open = m.registry.open(&path, access)?;
        let stored = (
            open.primary.path().to_string(),
            open.secondary.as_ref().map(|s| s.path().to_string()),
        );
        Some(ClassesKey {
            path,
            open,
            access: *access,
            stored,
        })
    }

    /// The names of the subkeys, as the view enumerates them.
    pub fn subkeys(&self, m: &Machine) -> Vec<comsim_registry::RegName> {
        m.registry.open_subkeys(&self.open)
    }
}

fn clsid_key_root() -> KeyPath {
    KeyPath::new(comsim_registry::Root::ClassesRoot, ["CLSID".to_owned()])
}

/// [`read`] in the view `classes` was opened in, the class key opened from `HKCR\CLSID`'s ids
/// instead of by its path (the registry gives the same key, [`comsim_registry::Registry::open_ids_child`]);
/// where it is stored is the stored `CLSID` key of the hive it was found in, and its name.
pub fn read_below(m: &Machine, classes: &ClassesKey, clsid: Guid) -> Option<Registration> {
    let name = clsid.to_braced_string();
    let ids =
        m.registry
            .open_ids_child(&classes.path, classes.open.ids(), &name, &classes.access)?;
    let part = if ids.hive == classes.open.primary.hive {
        Some(&classes.stored.0)
    } else {
        classes.stored.1.as_ref()
    };
    let Some(part) = part else {
        // Found in a hive where the CLSID key was not opened. Opening `HKCR\CLSID` finds it in
        // each hive that has it, under either merge, so this is not expected; the class is read
        // by its path rather than taken as missing.
        return read(m, clsid, &classes.access);
    };
    let stored = [part.as_str(), &name].join("\\");
    let key = classes.path.join(&name);
    Some(read_opened(m, &key, ids, stored, &classes.access))
}

/// The registration below the class key `key`, opened as `ids`, stored at `stored`.
fn read_opened(
    m: &Machine,
    key: &KeyPath,
    ids: comsim_registry::OpenIds,
    stored: String,
    access: &Access,
) -> Registration {
    let mut r = Registration {
        stored,
        hive_user: ids.hive == Hive::CurrentUser,
        ..Registration::default()
    };
    // Each key is opened once and its values read from what was opened (a value is read from
    // the key a view's open finds first, as `query_value` reads it).
    let value = |k: &comsim_registry::OpenIds, name: &str| {
        m.registry.value(k.primary, name).and_then(Value::as_string)
    };
    // The subkeys are opened from the class key's ids where the view allows (the registry
    // gives what opening their paths gives).
    let subkey = |name: &str| m.registry.open_ids_child(key, ids, name, access);
    if let Some(k) = subkey("InprocServer32") {
        let server = m.registry.value(k.primary, "");
        r.inproc = server.and_then(Value::as_string);
        r.inproc_expandable = server.is_some_and(|v| v.ty == comsim_registry::ValueType::EXPAND_SZ);
        // regasm writes the values on the key and on a version subkey; the first subkey's
        // stand in when the key has none.
        let versioned = m.registry.open_subkey_names(k).first().and_then(|n| {
            let inproc = key.join("InprocServer32");
            m.registry.open_ids_child(&inproc, k, n.as_str(), access)
        });
        let get = |name: &str| {
            value(&k, name).or_else(|| versioned.as_ref().and_then(|v| value(v, name)))
        };
        r.assembly = get("Assembly");
        r.class = get("Class");
        r.codebase = get("CodeBase");
        r.runtime = get("RuntimeVersion");
    }
    let local = subkey("LocalServer32").and_then(|k| m.registry.value(k.primary, ""));
    r.local_server = local.and_then(Value::as_string);
    r.local_server_expandable =
        local.is_some_and(|v| v.ty == comsim_registry::ValueType::EXPAND_SZ);
    r.treat_as = subkey("TreatAs")
        .and_then(|k| value(&k, ""))
        .and_then(|s| Guid::parse(&s));
    r.progid = subkey("ProgID").and_then(|k| value(&k, ""));
    r
}

/// The CLSID a ProgID names (`HKCR\ProgID\CLSID`), with where it was read.
pub fn progid_clsid(m: &Machine, progid: &str, access: &Access) -> Option<(Guid, String)> {
    let key = KeyPath::parse(&format!(r"HKEY_CLASSES_ROOT\{progid}\CLSID")).ok()?;
    let (v, open) = m.registry.query_value(&key, "", access)?;
    let stored = KeyPath::new(open.primary.hive.root(), open.primary.components.clone());
    Some((Guid::parse(&v.as_string()?)?, stored.to_string()))
}

/// The class whose `CLSID\{…}\ProgId` names `progid` (what regasm writes beside the ProgID's own
/// key), as `access` sees `HKCR\CLSID`: one pass over the class keys, reading each one's
/// `ProgId` default value.
pub fn clsid_naming_progid(m: &Machine, progid: &str, access: &Access) -> Option<Guid> {
    let open = m.registry.open(&clsid_key_root(), access)?;
    let parts = std::iter::once(open.primary.key).chain(open.secondary.map(|s| s.key));
    for part in parts {
        for (name, id) in m.registry.subkeys(part) {
            let names_it = m
                .registry
                .child(id, "ProgId")
                .and_then(|p| m.registry.value(p, ""))
                .and_then(comsim_registry::Value::as_string)
                .is_some_and(|v| v.eq_ignore_ascii_case(progid));
            if names_it && let Some(g) = Guid::parse(name.as_str()) {
                return Some(g);
            }
        }
    }
    None
}

/// The simple name of an assembly display name (`Contoso.Widgets, Version=…` → `Contoso.Widgets`).
pub fn simple_name(display: &str) -> &str {
    display.split(',').next().unwrap_or(display).trim()
}

/// A file of the machine holding the assembly a display name names (its simple name and
/// version): the CodeBase's file first, then any other, in path order.
pub fn find_assembly<'m>(
    m: &'m Machine,
    display: &str,
    codebase: Option<&str>,
) -> Option<(&'m WinPath, &'m AssemblyInfo)> {
    let name = simple_name(display);
    let version = display
        .split(',')
        .find_map(|p| p.trim().strip_prefix("Version="))
        .and_then(comsim_manifest::Version::parse);
    let matches = |a: &AssemblyInfo| {
        a.name.eq_ignore_ascii_case(name) && version.is_none_or(|v| a.version == v)
    };
    if let Some(path) = codebase.and_then(WinPath::from_file_url)
        && let Some(f) = m.fs.get(&path)
        && let FileKind::Assembly(a) = &f.kind
        && matches(a)
    {
        return Some((&f.path, a));
    }
    m.fs.assemblies_named(name)
        .filter(|f| !is_gac(m, &f.path))
        .find_map(|f| match &f.kind {
            FileKind::Assembly(a) if matches(a) => Some((&f.path, &**a)),
            _ => None,
        })
}

/// The assembly of a registration's `Assembly` value in one of the GACs (BIND-2): same name,
/// version and public key token.
pub fn find_in_gac<'m>(m: &'m Machine, display: &str) -> Option<(&'m WinPath, &'m AssemblyInfo)> {
    let field = |k: &str| {
        display
            .split(',')
            .find_map(|p| p.trim().strip_prefix(k).map(str::to_owned))
    };
    let version = field("Version=").and_then(|v| comsim_manifest::Version::parse(&v));
    let token = field("PublicKeyToken=");
    m.fs.assemblies_named(simple_name(display))
        .filter(|f| is_gac(m, &f.path))
        .find_map(|f| match &f.kind {
            FileKind::Assembly(a)
                if a.name.eq_ignore_ascii_case(simple_name(display))
                    && version.is_none_or(|v| a.version == v)
                    && a.public_key_token.as_deref().is_some_and(|t| {
                        token.as_deref().is_some_and(|w| w.eq_ignore_ascii_case(t))
                    }) =>
            {
                Some((&f.path, &**a))
            }
            _ => None,
        })
}

/// Whether a path is in one of the GACs.
pub fn is_gac(m: &Machine, path: &WinPath) -> bool {
    let lower = path.to_string().to_ascii_lowercase();
    let win = m.windows.to_string().to_ascii_lowercase();
    lower.starts_with(&format!(r"{win}\assembly\"))
        || lower.starts_with(&format!(r"{win}\microsoft.net\assembly\"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_registry::Writer;

    /// A registration is managed when it names an assembly or its server is mscoree.dll, in any
    /// case, wherever it is.
    #[test]
    fn a_registration_with_mscoree_or_an_assembly_is_managed() {
        let with = |inproc: &str| Registration {
            inproc: Some(inproc.to_owned()),
            ..Registration::default()
        };
        for server in [
            "mscoree.dll",
            r"C:\Windows\System32\MSCOREE.DLL",
            r"%SystemRoot%\system32\MsCoRee.Dll",
            r"ü\mscoree.dll",
        ] {
            assert!(with(server).is_managed(), "{server}");
        }
        for server in [
            "",
            "coree.dll",
            "mscoree.dl",
            r"C:\x\mscoree.dll.bak",
            "ß",
            "mscoreé.dll",
        ] {
            assert!(!with(server).is_managed(), "{server}");
        }
        let assembly = Registration {
            assembly: Some("A, Version=1.0.0.0".to_owned()),
            ..Registration::default()
        };
        assert!(assembly.is_managed());
        assert!(!Registration::default().is_managed());
    }

    /// A class read below `HKCR\CLSID` opened once is the class read by its own path, in every
    /// view, with and without the per-user classes, under either merge of HKCR: per machine, per user, in both, in the 32-bit
    /// view only, with its version subkey's values, and not registered at all.
    #[test]
    fn a_class_read_below_its_classes_key_is_the_class_read_by_path() {
        let g =
            |i: u8| Guid::parse(&format!("{{0000000{i}-0000-4000-8000-000000000000}}")).unwrap();
        let mut m = Machine::new(Bitness::B64);
        let admin = Writer { admin: true };
        let user = Writer { admin: false };
        let mut put = |path: String, name: &str, data: &str, view: View, who: Writer| {
            let key = KeyPath::parse(&path).unwrap();
            m.registry
                .write_value(&key, name, Value::sz(data), view, who)
                .unwrap();
        };
        let machine = |i: u8| format!(r"HKLM\Software\Classes\CLSID\{}", g(i));
        let per_user = |i: u8| format!(r"HKCU\Software\Classes\CLSID\{}", g(i));
        put(
            machine(1) + r"\InprocServer32",
            "",
            "native.dll",
            View::Bits64,
            admin,
        );
        put(
            per_user(2) + r"\InprocServer32",
            "",
            "mscoree.dll",
            View::Bits64,
            user,
        );
        put(
            per_user(2) + r"\InprocServer32\1.0.0.0",
            "Assembly",
            "A, Version=1.0.0.0",
            View::Bits64,
            user,
        );
        put(
            per_user(2) + r"\InprocServer32\1.0.0.0",
            "Class",
            "A.B",
            View::Bits64,
            user,
        );
        put(
            machine(3) + r"\LocalServer32",
            "",
            "server.exe",
            View::Bits64,
            admin,
        );
        put(
            per_user(3) + r"\ProgID",
            "",
            "Contoso.Three",
            View::Bits64,
            user,
        );
        put(
            machine(4) + r"\InprocServer32",
            "",
            "wow.dll",
            View::Bits32,
            admin,
        );
        put(
            machine(4) + r"\TreatAs",
            "",
            &g(1).to_string(),
            View::Bits32,
            admin,
        );
        for b in [Bitness::B64, Bitness::B32] {
            for (user_classes, merge) in [true, false]
                .into_iter()
                .flat_map(|u| [(u, MergeMode::Union), (u, MergeMode::Strict)])
            {
                let a = Access {
                    merge,
                    ..access(&m, b, user_classes)
                };
                let classes = ClassesKey::open(&m, &a).expect("HKCR\\CLSID is there");
                for i in 1..=5 {
                    let what = format!("class {i}, {b:?}, {a:?}");
                    let by_path = read(&m, g(i), &a);
                    let below = read_below(&m, &classes, g(i));
                    assert_eq!(format!("{below:?}"), format!("{by_path:?}"), "{what}");
                }
            }
        }
    }
}
