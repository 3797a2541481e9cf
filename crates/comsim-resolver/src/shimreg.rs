//! The CLR's registry read of a managed registration: `FindShimInfoFromRegistry` and
//! `FindRuntimeVersionFromRegistry` (SHIM-REG-1..SHIM-REG-8).

use std::cell::RefCell;
use std::rc::Rc;

use comsim_manifest::lookup::RegistrationKind;
use comsim_manifest::{Guid, Version};
use comsim_registry::{Access, KeyPath, OpenIds, Registry, Root, Value, ValueType, View};

use crate::machine::RuntimeVersion;
use crate::trace::{Rule, Trace};

/// The value name that marks a version subkey as an unmanaged side-by-side implementation
/// (`SBSVERSIONVALUE` in the CLR's sxshelpers.h).
pub const SBS_VERSION_VALUE: &str = "ImplementedInThisVersion";

/// The runtime a registration without `RuntimeVersion` is taken to need (SHIM-REG-6, -8).
pub const V1_RUNTIME: &str = "v1.0.3705";

/// Which key a registration was found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    InprocServer32,
    /// `LocalServer32`, in the view given.
    LocalServer32(View),
    Record,
}

/// A managed registration the CLR can bind.
#[derive(Debug, Clone)]
pub struct RegHit {
    pub found: Found,
    /// The key searched (`HKCR\CLSID\{X}\InprocServer32`), shared with the search that made
    /// it.
    pub key: Rc<KeyPath>,
    /// The key the values came from ([`RegHit::chosen`]) as the search opened it, for reading
    /// more of its values.
    pub chosen_id: comsim_registry::KeyId,
    /// The winning version subkey's name, if a subkey won.
    pub version_subkey: Option<String>,
    pub class: String,
    pub assembly: String,
    pub codebase: Option<String>,
    /// The chosen key's `RuntimeVersion`, when it has a non-empty REG_SZ one.
    pub runtime_version: Option<String>,
    /// The searched key's default value (for LCC4-3's PIA test).
    pub default_value: Option<String>,
    pub access: Access,
}

impl RegHit {
    /// The key the values came from: the key searched, or its winning version subkey. Made
    /// when a trace shows it (a request's hit is read for its values, not its path).
    pub fn chosen(&self) -> KeyPath {
        chosen_path(&self.key, self.version_subkey.as_deref())
    }
}

/// The key searched, or its version subkey `version_subkey`.
fn chosen_path(key: &KeyPath, version_subkey: Option<&str>) -> KeyPath {
    match version_subkey {
        Some(name) => key.join(name),
        None => key.clone(),
    }
}

/// A key opened once for several of its values (what `query_value` gives for each, without
/// opening the key again for each).
#[derive(Clone, Copy)]
struct Opened<'r> {
    reg: &'r Registry,
    key: Option<comsim_registry::KeyId>,
}

impl<'r> Opened<'r> {
    /// A key already opened: its id.
    fn at(reg: &'r Registry, key: comsim_registry::KeyId) -> Self {
        Opened {
            reg,
            key: Some(key),
        }
    }

    /// The subkey `name` of the key at `key`, which `access` opened as `parent`.
    fn below(
        reg: &'r Registry,
        key: &KeyPath,
        parent: OpenIds,
        name: &str,
        access: &Access,
    ) -> Self {
        Opened {
            reg,
            key: reg
                .open_ids_child(key, parent, name, access)
                .map(|k| k.primary),
        }
    }

    fn value(&self, name: &str) -> Option<&'r Value> {
        self.reg.value(self.key?, name)
    }

    /// Whether the value is a non-empty `REG_SZ` (what [`Opened::sz`] would give), without
    /// making its text.
    fn sz_ok<'n>(&self, name: &'n str) -> Result<(), NotSz<'n>> {
        let not = |why| Err(NotSz { name, why });
        match self.value(name) {
            None => not(NotSzWhy::Missing),
            Some(v) if v.ty != ValueType::SZ => not(NotSzWhy::Type(v.ty)),
            // The text ends at the first NUL unit (`as_string`): empty when that is the first.
            Some(v) if !matches!(*v.data, [a, b, ..] if (a, b) != (0, 0)) => not(NotSzWhy::Empty),
            Some(_) => Ok(()),
        }
    }

    /// A non-empty `REG_SZ` value, or why not.
    fn sz<'n>(&self, name: &'n str) -> Result<String, NotSz<'n>> {
        let not = |why| Err(NotSz { name, why });
        match self.value(name) {
            None => not(NotSzWhy::Missing),
            Some(v) if v.ty != ValueType::SZ => not(NotSzWhy::Type(v.ty)),
            Some(v) => match v.as_string() {
                Some(s) if !s.is_empty() => Ok(s),
                _ => not(NotSzWhy::Empty),
            },
        }
    }
}

/// Why a value is not a non-empty `REG_SZ`, written only when a trace shows it.
#[derive(Debug, Clone, Copy)]
struct NotSz<'n> {
    name: &'n str,
    why: NotSzWhy,
}

#[derive(Debug, Clone, Copy)]
enum NotSzWhy {
    Missing,
    Type(ValueType),
    Empty,
}

impl std::fmt::Display for NotSz<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name;
        match self.why {
            NotSzWhy::Missing => write!(f, "{name} is missing"),
            NotSzWhy::Type(ty) => write!(f, "{name} is {ty}, not REG_SZ"),
            NotSzWhy::Empty => write!(f, "{name} is empty"),
        }
    }
}

/// SHIM-REG-2: `digits and dots, no leading dot, no "..", at most 3 dots, each part <= 65535`.
/// Missing and empty parts are 0, as `_wtoi` reads them; a part of more than ten digits is not a
/// number (leading zeros count). One pass over the bytes: the resolver reads every subkey of
/// every registration it searches.
pub fn parse_version_subkey(name: &str) -> Option<Version> {
    if name.is_empty() || name.starts_with('.') {
        return None;
    }
    let mut parts = [0u16; 4];
    let (mut part, mut digits, mut value) = (0, 0, 0u64);
    for b in name.bytes() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 10 {
                    return None;
                }
                value = value * 10 + u64::from(b - b'0');
            }
            // A second dot in a row, or a fourth dot.
            b'.' if digits == 0 && part > 0 => return None,
            b'.' if part == 3 => return None,
            b'.' => {
                parts[part] = u16::try_from(value).ok()?;
                (part, digits, value) = (part + 1, 0, 0);
            }
            _ => return None,
        }
    }
    parts[part] = u16::try_from(value).ok()?;
    Some(Version(parts))
}

/// The `version=` part of an `Assembly` value, parsed as a version (SHIM-REG-6).
fn assembly_version(assembly: &str) -> Option<Version> {
    let lower = assembly.to_ascii_lowercase();
    let at = lower.find("version=")?;
    let rest = assembly[at + 8..].trim_start_matches(['"', '\'']);
    let end = rest.find([',', '"', '\'']).unwrap_or(rest.len());
    parse_version_subkey(rest[..end].trim())
}

/// `HKCR\CLSID\{guid}\rest…`: a class's key (`rest` empty) or a key below it, as COM, the
/// CLR and the diagnosis name them.
pub fn clsid_key(guid: Guid, rest: &[&str]) -> KeyPath {
    let mut comps = vec!["CLSID".to_owned(), guid.to_braced_string()];
    comps.extend(rest.iter().map(|s| (*s).to_owned()));
    KeyPath::new(Root::ClassesRoot, comps)
}

/// A class's key, `HKCR\CLSID\{…}`, made once for the reads below it: each subkey is opened
/// from the class key's ids where the view allows ([`Registry::open_ids_child`], which gives what
/// opening the subkey's path gives). COM and the CLR read several values of several subkeys of
/// one class in every request.
pub(crate) struct ClassKey {
    guid: Guid,
    path: Rc<KeyPath>,
}

thread_local! {
    /// The class key path this thread made last. One request makes a class's key several times
    /// (COM-2's TreatAs read, COM-3's, mscoree's FindShimInfoFromRegistry, LoadCOMClass's), and
    /// the path is three allocations.
    static LAST_CLASS_PATH: RefCell<Option<(Guid, Rc<KeyPath>)>> = const { RefCell::new(None) };
}

impl ClassKey {
    pub(crate) fn new(clsid: Guid) -> Self {
        let path = LAST_CLASS_PATH.with_borrow_mut(|last| match last {
            Some((guid, path)) if *guid == clsid => Rc::clone(path),
            _ => {
                let path = Rc::new(clsid_key(clsid, &[]));
                *last = Some((clsid, Rc::clone(&path)));
                path
            }
        });
        ClassKey { guid: clsid, path }
    }

    /// The class (or record) the key is of.
    pub(crate) fn clsid(&self) -> Guid {
        self.guid
    }

    /// `HKCR\Record\{…}`: a record's registration, read as a class's is.
    fn record(guid: Guid) -> Self {
        ClassKey {
            guid,
            path: Rc::new(KeyPath::new(
                Root::ClassesRoot,
                ["Record".to_owned(), guid.to_braced_string()],
            )),
        }
    }

    /// The path of the subkey `sub` (the class key itself when empty, as for [`Self::open`]),
    /// for a trace.
    pub(crate) fn sub_path(&self, sub: &str) -> KeyPath {
        if sub.is_empty() {
            KeyPath::clone(&self.path)
        } else {
            self.path.join(sub)
        }
    }

    /// The subkey `sub` (the class key itself when empty) as `access` opens it.
    pub(crate) fn open(&self, reg: &Registry, sub: &str, access: &Access) -> Option<OpenIds> {
        let ids = reg.open_ids(&self.path, access)?;
        if sub.is_empty() {
            return Some(ids);
        }
        reg.open_ids_child(&self.path, ids, sub, access)
    }

    /// The value `name` of the subkey `sub`, as `query_value` reads it.
    pub(crate) fn value<'r>(
        &self,
        reg: &'r Registry,
        sub: &str,
        name: &str,
        access: &Access,
    ) -> Option<&'r Value> {
        reg.value(self.open(reg, sub, access)?.primary, name)
    }
}

/// Runtime major.minor above the cap?
fn above_cap(rv: &str, cap: Option<&RuntimeVersion>) -> Option<bool> {
    let cap = cap?;
    Some(match RuntimeVersion::parse(rv) {
        Some(v) => v.cmp_major_minor(cap).is_gt(),
        // A RuntimeVersion that does not parse cannot be compared; the CLR's parser fails and
        // the subkey does not qualify.
        None => true,
    })
}

/// `FindHighestVersion` plus the top-key fallback over one key (SHIM-REG-2..SHIM-REG-7).
fn search_key(
    reg: &Registry,
    (key, open): (&Rc<KeyPath>, OpenIds),
    found: Found,
    cap: Option<&RuntimeVersion>,
    access: &Access,
    trace: &mut Trace,
) -> Option<RegHit> {
    let kind = if found == Found::Record {
        RegistrationKind::Record
    } else {
        RegistrationKind::Class
    };
    let mut names = reg.open_subkey_names(open);
    names.sort();
    let mut best: Option<(Version, String, Opened<'_>)> = None;
    for n in &names {
        let name = n.as_str();
        let Some((version, opened)) =
            valid_subkey(reg, (key, open), name, kind, cap, access, trace)
        else {
            continue;
        };
        // `>=`: on a tie the later subkey wins.
        if best.as_ref().is_none_or(|(b, _, _)| version >= *b) {
            best = Some((version, name.to_owned(), opened));
        }
    }

    // The chosen key as opened: the winning subkey, or the key itself.
    let (version_subkey, opened) = match best {
        Some((v, name, opened)) => {
            trace
                .push(
                    Rule::ShimReg5,
                    format_args!("the highest valid version wins: {name}"),
                )
                .code("highest-version")
                .at(|| key.join(&name).to_string())
                .found(|| v.to_string());
            (Some(name), opened)
        }
        None => {
            let opened = Opened::at(reg, open.primary);
            if !own_values_qualify(&opened, key, kind, cap, trace) {
                return None;
            }
            (None, opened)
        }
    };
    read_hit((key, open), opened, version_subkey, found, access, trace)
}

/// SHIM-REG-2..SHIM-REG-4 for one subkey: a version name (SHIM-REG-2), not an unmanaged
/// side-by-side entry (SHIM-REG-8), with the values it needs (SHIM-REG-3), within the cap
/// (SHIM-REG-4). Gives its version when it is valid, with the subkey as opened.
fn valid_subkey<'r>(
    reg: &'r Registry,
    (key, opened_key): (&KeyPath, OpenIds),
    name: &str,
    kind: RegistrationKind,
    cap: Option<&RuntimeVersion>,
    access: &Access,
    trace: &mut Trace,
) -> Option<(Version, Opened<'r>)> {
    let Some(version) = parse_version_subkey(name) else {
        trace
            .push(
                Rule::ShimReg2,
                format_args!("subkey `{name}` is not a version: ignored"),
            )
            .code("subkey-not-version")
            .at(|| key.join(name).to_string());
        return None;
    };
    // The subkey's path, made only when a trace shows it.
    let sub = || key.join(name).to_string();
    let opened = Opened::below(reg, key, opened_key, name, access);
    if opened.value(SBS_VERSION_VALUE).is_some() {
        trace
            .push(
                Rule::ShimReg8,
                format_args!("subkey {name} holds {SBS_VERSION_VALUE}: an unmanaged side-by-side implementation for runtime v{name}"),
            ).code("sbs-version-subkey")
            .at(sub);
        return None;
    }
    // Assembly and Class only checked; RuntimeVersion read once, for the check (a class's) and
    // the cap.
    let rv = opened.sz("RuntimeVersion");
    let problems: Vec<NotSz<'_>> = [
        opened.sz_ok("Assembly").err(),
        opened.sz_ok("Class").err(),
        rv.as_ref()
            .err()
            .filter(|_| kind == RegistrationKind::Class)
            .copied(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !problems.is_empty() {
        trace
            .push(Rule::ShimReg3, || {
                let shown: Vec<String> = problems.iter().map(NotSz::to_string).collect();
                format!("version subkey {name} skipped: {}", shown.join(", "))
            })
            .code("version-subkey-invalid")
            .at(sub)
            .found("invalid");
        return None;
    }
    // The cap applies to records too, when they have a RuntimeVersion.
    if let Ok(rv) = &rv
        && above_cap(rv, cap) == Some(true)
    {
        trace
            .push(
                Rule::ShimReg4,
                format_args!(
                    "version subkey {name} skipped: RuntimeVersion {rv} is above the running {}",
                    cap.map(|c| c.family()).unwrap_or_default()
                ),
            )
            .code("version-subkey-too-new")
            .at(sub)
            .found(format_args!("RuntimeVersion = {rv}"));
        return None;
    }
    trace
        .push(
            Rule::ShimReg3,
            format_args!("version subkey {name} is valid"),
        )
        .code("version-subkey-valid")
        .at(sub);
    Some((version, opened))
}

/// SHIM-REG-6: without a valid version subkey, the key's own values (`opened`, the key at
/// `key`) are used if `Class` and `Assembly` qualify (and, for a class, the RuntimeVersion is
/// within the cap).
fn own_values_qualify(
    opened: &Opened<'_>,
    key: &KeyPath,
    kind: RegistrationKind,
    cap: Option<&RuntimeVersion>,
    trace: &mut Trace,
) -> bool {
    let class = opened.sz_ok("Class");
    let assembly = opened.sz("Assembly");
    let rv = opened.sz("RuntimeVersion").ok();
    let mut why = Vec::new();
    if let Err(e) = &class {
        why.push(e.to_string());
    }
    match &assembly {
        Err(e) => why.push(e.to_string()),
        Ok(a) if assembly_version(a).is_none() => why.push(format!(
            "the version= part of Assembly `{a}` does not parse"
        )),
        Ok(_) => {}
    }
    if kind == RegistrationKind::Class
        && let Some(rv) = &rv
        && above_cap(rv, cap) == Some(true)
    {
        why.push(format!(
            "RuntimeVersion {rv} is above the running {}",
            cap.map(|c| c.family()).unwrap_or_default()
        ));
    }
    if !why.is_empty() {
        trace
            .push(
                Rule::ShimReg6,
                format_args!(
                    "no valid version subkey, and the key's own values do not qualify: {}",
                    why.join(", ")
                ),
            )
            .code("no-qualifying-values")
            .at(|| key.to_string())
            .found("nothing");
        return false;
    }
    trace
        .push(
            Rule::ShimReg6,
            || match &rv {
                Some(rv) => format!("no valid version subkey: the key's own values are used (RuntimeVersion {rv})"),
                None => format!("no valid version subkey: the key's own values are used (no RuntimeVersion: a v1.0 component, {V1_RUNTIME})"),
            },
        ).code("key-values")
        .at(|| key.to_string());
    true
}

/// SHIM-REG-7: `Class`, `Assembly`, `CodeBase` and `RuntimeVersion` read from the chosen key,
/// as the search opened it.
fn read_hit(
    (key, opened_key): (&Rc<KeyPath>, OpenIds),
    opened: Opened<'_>,
    version_subkey: Option<String>,
    found: Found,
    access: &Access,
    trace: &mut Trace,
) -> Option<RegHit> {
    let reg = opened.reg;
    let class = opened.sz("Class").ok()?;
    let assembly = opened.sz("Assembly").ok()?;
    let codebase = opened.sz("CodeBase").ok();
    let runtime_version = opened.sz("RuntimeVersion").ok();
    let default_value = reg.value(opened_key.primary, "").and_then(Value::as_string);
    trace
        .push(Rule::ShimReg7, || {
            format!(
                "Class = {class}, Assembly = {assembly}, {}",
                match &codebase {
                    Some(c) => format!("CodeBase = {c}"),
                    None => "no CodeBase".to_owned(),
                }
            )
        })
        .code("registration")
        .at(|| chosen_path(key, version_subkey.as_deref()).to_string());
    Some(RegHit {
        found,
        key: Rc::clone(key),
        chosen_id: opened.key?,
        version_subkey,
        class,
        assembly,
        codebase,
        runtime_version,
        default_value,
        access: *access,
    })
}

/// How a search is capped, written only when a trace shows it.
struct Capped<'a>(Option<&'a RuntimeVersion>);

impl std::fmt::Display for Capped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(c) => write!(f, "capped at {}", c.family()),
            None => f.write_str("no cap"),
        }
    }
}

fn key_label(found: Found) -> &'static str {
    match found {
        Found::InprocServer32 => "InprocServer32",
        Found::LocalServer32(_) => "LocalServer32",
        Found::Record => "Record",
    }
}

/// `FindShimInfoFromRegistry` (SHIM-REG-1..SHIM-REG-7). `other_view` says whether the process may
/// also look in the other registry view for `LocalServer32` (a 64-bit process, or a 32-bit one
/// under WOW64). `None` is REGDB_E_CLASSNOTREG.
pub fn find_shim_info(
    reg: &Registry,
    guid: Guid,
    kind: RegistrationKind,
    cap: Option<&RuntimeVersion>,
    access: &Access,
    other_view: bool,
    trace: &mut Trace,
) -> Option<RegHit> {
    let capped = Capped(cap);
    // Each key is opened below the class's (or record's) key; its path is made for the trace
    // and for a search, when the key exists.
    let (class, attempts) = if kind == RegistrationKind::Record {
        (ClassKey::record(guid), vec![("", Found::Record, *access)])
    } else {
        let mut v = vec![
            ("InprocServer32", Found::InprocServer32, *access),
            ("LocalServer32", Found::LocalServer32(access.view), *access),
        ];
        if other_view {
            let [_, other] = access.both_views();
            v.push(("LocalServer32", Found::LocalServer32(other.view), other));
        }
        (ClassKey::new(guid), v)
    };
    for (sub, found, acc) in attempts {
        let path = || class.sub_path(sub);
        match class.open(reg, sub, &acc) {
            None => {
                trace
                    .push(
                        Rule::ShimReg1,
                        format_args!("{} ({} view, {capped}): no key", key_label(found), acc.view),
                    )
                    .code("key-absent")
                    .at(|| path().to_string())
                    .found("no key");
            }
            Some(ids) => {
                let key = Rc::new(path());
                trace
                    .push(
                        Rule::ShimReg1,
                        format_args!("{} ({} view, {capped}): found", key_label(found), acc.view),
                    )
                    .code("key-found")
                    .at(|| key.to_string())
                    .found(|| {
                        reg.open(&key, &acc)
                            .map(|k| k.primary.path().to_string())
                            .unwrap_or_default()
                    });
                if let Some(hit) = search_key(reg, (&key, ids), found, cap, &acc, trace) {
                    return Some(hit);
                }
            }
        }
    }
    trace
        .push(Rule::ShimReg7, "nothing qualifies: REGDB_E_CLASSNOTREG")
        .code("nothing-qualifies")
        .found("0x80040154");
    None
}

/// What `FindRuntimeVersionFromRegistry` reads (SHIM-REG-8).
pub struct RuntimeInfo {
    pub runtime: String,
    pub supported: Option<String>,
    pub hit: RegHit,
}

/// `FindRuntimeVersionFromRegistry` (SHIM-REG-8): the highest registration with no cap; its
/// RuntimeVersion, `v1.0.3705` when missing; and `SupportedRuntimeVersions`.
pub fn find_runtime_version(
    reg: &Registry,
    guid: Guid,
    access: &Access,
    other_view: bool,
    trace: &mut Trace,
) -> Option<RuntimeInfo> {
    let hit = find_shim_info(
        reg,
        guid,
        RegistrationKind::Class,
        None,
        access,
        other_view,
        trace,
    )?;
    // Read from the key the search opened: what opening `hit.chosen()` again would give.
    let supported = Opened::at(reg, hit.chosen_id)
        .sz("SupportedRuntimeVersions")
        .ok();
    let runtime = hit
        .runtime_version
        .clone()
        .unwrap_or_else(|| V1_RUNTIME.to_owned());
    trace
        .push(Rule::ShimReg8, || {
            format!(
                "the registration's runtime is {runtime}{}{}",
                if hit.runtime_version.is_none() {
                    " (no RuntimeVersion value)"
                } else {
                    ""
                },
                match &supported {
                    Some(s) => format!("; SupportedRuntimeVersions = {s}"),
                    None => String::new(),
                }
            )
        })
        .code("registration-runtime")
        .at(|| hit.chosen().to_string());
    Some(RuntimeInfo {
        runtime,
        supported,
        hit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A class's key is `HKCR\CLSID\{…}` of that class, whichever classes' keys the thread made
    /// before it (the thread keeps the last path made).
    #[test]
    fn a_class_key_names_its_own_class_after_any_other() {
        let a = Guid::parse("{0D2C6A3E-1B7F-4C55-9E0A-6A1C2F3B4D5E}").unwrap();
        let b = Guid::parse("{F00DBABE-0000-4000-8000-00000000BEEF}").unwrap();
        for g in [a, a, b, a, b, b, a] {
            let class = ClassKey::new(g);
            assert_eq!(class.clsid(), g);
            assert_eq!(class.sub_path(""), clsid_key(g, &[]));
            assert_eq!(
                class.sub_path("InprocServer32"),
                clsid_key(g, &["InprocServer32"])
            );
        }
        let record = ClassKey::record(a);
        assert_eq!(
            record.sub_path("").to_string(),
            format!(r"HKEY_CLASSES_ROOT\Record\{a}")
        );
        assert_eq!(ClassKey::new(a).sub_path(""), clsid_key(a, &[]));
    }

    #[test]
    fn shim_reg2_version_subkey_names() {
        let v = |p: [u16; 4]| Some(Version(p));
        let cases = [
            ("1.0.0.0", v([1, 0, 0, 0])),
            ("2", v([2, 0, 0, 0])),
            ("1.2.", v([1, 2, 0, 0])),
            ("1.2.3.4", v([1, 2, 3, 4])),
            ("1.2.3.", v([1, 2, 3, 0])),
            ("1.65535", v([1, 65535, 0, 0])),
            (".1", None),
            (".", None),
            ("", None),
            ("1..2", None),
            ("1.2.3..", None),
            ("1.2.3.4.5", None),
            ("1.2.3.4.", None),
            ("1.65536", None),
            ("65536", None),
            ("v1.0", None),
            ("1.-2", None),
            ("1.\u{661}", None),
            // Ten digits and no more, leading zeros counted; a ten-digit part above 65535 is
            // not a version, whether or not it fits 32 bits.
            ("0000000002.1", v([2, 1, 0, 0])),
            ("00000000002.1", None),
            ("9999999999", None),
        ];
        for (name, want) in cases {
            assert_eq!(parse_version_subkey(name), want, "{name:?}");
        }
    }

    /// SHIM-REG-3: checking a value without making its text says what reading it says.
    #[test]
    fn shim_reg3_a_value_checked_in_place_qualifies_as_its_text_does() {
        let mut reg = Registry::new();
        let root = reg.root(comsim_registry::Hive::LocalMachine);
        let key = reg.create_child(root, "k").unwrap();
        let values = [
            Value::new(ValueType::SZ, vec![]),
            Value::new(ValueType::SZ, vec![0x41]),
            Value::new(ValueType::SZ, vec![0, 0]),
            Value::new(ValueType::SZ, vec![0, 0, 0x41, 0]),
            Value::new(ValueType::SZ, vec![0x41, 0]),
            Value::new(ValueType::SZ, vec![0x00, 0xD8]),
            Value::new(ValueType::SZ, vec![0, 0x41, 0, 0]),
            Value::expand_sz("x"),
            Value::dword(1),
        ];
        for (i, v) in values.iter().enumerate() {
            reg.set_value(key, &format!("v{i}"), v.clone()).unwrap();
        }
        let opened = Opened::at(&reg, key);
        for (i, v) in values.iter().enumerate() {
            let name = format!("v{i}");
            let by_text = opened.sz(&name).map(|_| ()).map_err(|e| e.to_string());
            let in_place = opened.sz_ok(&name).map_err(|e| e.to_string());
            assert_eq!(in_place, by_text, "{v:?}");
        }
        assert_eq!(
            opened.sz_ok("missing").map_err(|e| e.to_string()),
            Err("missing is missing".to_owned())
        );
    }

    #[test]
    fn shim_reg6_assembly_version_part() {
        assert_eq!(
            assembly_version("Foo, Version=1.2.3.4, Culture=neutral"),
            Some(Version([1, 2, 3, 4]))
        );
        assert_eq!(assembly_version("Foo, Culture=neutral"), None);
        assert_eq!(
            assembly_version("foo,version=\"2.0.0.0\""),
            Some(Version([2, 0, 0, 0]))
        );
    }
}
