//! What `RegistrationServices` writes and removes, key by key ([regsvc]; ASM-1..ASM-4).
//!
//! Registration goes through a [`Sink`]: the machine's registry (through HKEY_CLASSES_ROOT in the
//! tool's view, with its rights) or a recorder that `/regfile` turns into a `.reg` file.
//! Unregistration works on the registry only (`/regfile` cannot be combined with `/u`).

use comsim_registry::{Access, KeyPath, RegError, Registry, Root, Value, View, Writer};
use comsim_resolver::{AssemblyInfo, TypeInfo, TypeKind};

/// The ".NET Category" every managed class implements, in the case RegistrationServices writes it.
pub const MANAGED_CATEGORY: &str = "{62C8FE65-4EBB-45e7-B440-6E39B2CDBF29}";
pub const MANAGED_CATEGORY_NAME: &str = ".NET Category";

/// How a registrable type is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A managed class: ProgID, CLSID, InprocServer32 = mscoree.dll (ASM-1).
    Managed,
    /// A `[ComImport]` class: InprocServer32 values without a default or ThreadingModel (ASM-2).
    ComImport,
    /// A value type: `Record\{GUID}\<version>` (ASM-2).
    Record,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Managed => "a managed class",
            Kind::ComImport => "a [ComImport] class",
            Kind::Record => "a value type (record)",
        }
    }
}

/// ASM-3: whether `t` is registered, and how; `Err` says why not.
pub fn classify(asm: &AssemblyInfo, t: &TypeInfo) -> Result<Kind, &'static str> {
    if !t.public {
        return Err("not public, so not among the exported types");
    }
    if t.generic {
        return Err("generic: a generic type is never visible from COM");
    }
    let value_type = matches!(t.kind, TypeKind::Struct | TypeKind::Enum);
    if t.kind == TypeKind::Interface {
        return Err("an interface: neither a class nor a value type");
    }
    if t.is_abstract {
        return Err("abstract");
    }
    if !value_type && !t.default_constructor {
        return Err("no public parameterless constructor, so COM cannot create it");
    }
    if !t.com_visible.unwrap_or(asm.com_visible) {
        return Err(if t.com_visible == Some(false) {
            "[ComVisible(false)] on the type"
        } else {
            "not COM-visible: [assembly: ComVisible(false)] and no [ComVisible(true)] on the type"
        });
    }
    Ok(if value_type {
        Kind::Record
    } else if t.com_import {
        Kind::ComImport
    } else {
        Kind::Managed
    })
}

/// The registrable types of an assembly, in its order (`GetRegistrableTypesInAssembly`).
pub fn registrable(asm: &AssemblyInfo) -> Vec<(&TypeInfo, Kind)> {
    asm.types
        .iter()
        .filter_map(|t| classify(asm, t).ok().map(|k| (t, k)))
        .collect()
}

/// `Marshal.GenerateProgIdForType`: `[ProgId]` when present (an empty one means none), else the
/// full name.
pub fn progid(t: &TypeInfo) -> Option<String> {
    let p = t.progid.clone().unwrap_or_else(|| t.full_name.clone());
    (!p.is_empty()).then_some(p)
}

/// A write that failed: the key as HKEY_CLASSES_ROOT names it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub key: String,
    pub error: RegError,
}

/// Where registration writes go. Paths are relative to HKEY_CLASSES_ROOT.
pub trait Sink {
    /// `RegistryKey.CreateSubKey` of `HKCR\key`.
    fn create(&mut self, key: &[&str]) -> Result<(), Denied>;
    /// `SetValue(name, value)` (REG_SZ) on `HKCR\key`, created if need be.
    fn set(&mut self, key: &[&str], name: &str, value: &str) -> Result<(), Denied>;
    /// `ManagedCategoryExists`: whether `HKCR\Component Categories\{…}` has `"0" = ".NET Category"`.
    fn category_exists(&self) -> bool;
}

fn hkcr(key: &[&str]) -> KeyPath {
    KeyPath::new(Root::ClassesRoot, key.iter().copied())
}

/// The machine's registry, written through HKCR in one view (ASM-5) with one user's rights (ASM-6).
pub struct Live<'r> {
    pub reg: &'r mut Registry,
    pub view: View,
    pub writer: Writer,
    /// Physical paths of the keys written, for the REG-4 trace: `[HKLM, HKCU]`.
    pub placed: [std::collections::BTreeSet<String>; 2],
}

impl<'r> Live<'r> {
    pub fn new(reg: &'r mut Registry, view: View, writer: Writer) -> Self {
        Live {
            reg,
            view,
            writer,
            placed: Default::default(),
        }
    }

    fn open(&mut self, key: &[&str]) -> Result<comsim_registry::KeyTarget, Denied> {
        let path = hkcr(key);
        let target = self
            .reg
            .create_key(&path, self.view, self.writer)
            .map_err(|error| Denied {
                key: path.to_string(),
                error,
            })?;
        let slot = usize::from(target.hive == comsim_registry::Hive::CurrentUser);
        self.placed[slot].insert(target.path().to_string());
        Ok(target)
    }
}

impl Sink for Live<'_> {
    fn create(&mut self, key: &[&str]) -> Result<(), Denied> {
        self.open(key).map(|_| ())
    }

    fn set(&mut self, key: &[&str], name: &str, value: &str) -> Result<(), Denied> {
        let target = self.open(key)?;
        self.reg
            .set_value_at(&target, name, Value::sz(value))
            .map_err(|error| Denied {
                key: hkcr(key).to_string(),
                error,
            })
    }

    fn category_exists(&self) -> bool {
        let path = hkcr(&["Component Categories", MANAGED_CATEGORY]);
        self.reg
            .query_value(&path, "0", &Access::new(self.view))
            .is_some_and(|(v, _)| v.as_string().as_deref() == Some(MANAGED_CATEGORY_NAME))
    }
}

/// Keys and values in the order they were first written, for `/regfile`.
#[derive(Debug, Default)]
pub struct Recorder {
    pub keys: Vec<RecordedKey>,
}

/// A key a [`Recorder`] saw, relative to HKEY_CLASSES_ROOT, with its values.
#[derive(Debug, Default)]
pub struct RecordedKey {
    pub path: Vec<String>,
    pub values: Vec<(String, String)>,
}

impl Recorder {
    fn entry(&mut self, key: &[&str]) -> &mut Vec<(String, String)> {
        let pos = self.keys.iter().position(|k| {
            k.path.len() == key.len()
                && k.path
                    .iter()
                    .zip(key)
                    .all(|(a, b)| comsim_registry::names_equal(a, b))
        });
        let i = pos.unwrap_or_else(|| {
            self.keys.push(RecordedKey {
                path: key.iter().map(|s| (*s).to_owned()).collect(),
                values: Vec::new(),
            });
            self.keys.len() - 1
        });
        &mut self.keys[i].values
    }
}

impl Sink for Recorder {
    fn create(&mut self, key: &[&str]) -> Result<(), Denied> {
        self.entry(key);
        Ok(())
    }

    fn set(&mut self, key: &[&str], name: &str, value: &str) -> Result<(), Denied> {
        let values = self.entry(key);
        match values
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(v) => v.1 = value.to_owned(),
            None => values.push((name.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// A registry script describes the classes only: the category key is not part of it.
    fn category_exists(&self) -> bool {
        true
    }
}

/// What every registration of one assembly carries.
pub struct Registration<'a> {
    pub asm: &'a AssemblyInfo,
    /// `Assembly.FullName`.
    pub full_name: String,
    /// The version subkey name, `1.0.0.0`.
    pub version: String,
    /// `ImageRuntimeVersion`.
    pub runtime: String,
    /// `/codebase`: the assembly's `file:///` URL.
    pub codebase: Option<String>,
}

impl Registration<'_> {
    /// Class, Assembly, RuntimeVersion and CodeBase on one key, in RegistrationServices' order.
    fn class_values(&self, sink: &mut dyn Sink, key: &[&str], class: &str) -> Result<(), Denied> {
        sink.set(key, "Class", class)?;
        sink.set(key, "Assembly", &self.full_name)?;
        sink.set(key, "RuntimeVersion", &self.runtime)?;
        if let Some(cb) = &self.codebase {
            sink.set(key, "CodeBase", cb)?;
        }
        Ok(())
    }

    /// Registers one type (`RegisterManagedType`, `RegisterComImportedType`, `RegisterValueType`).
    pub fn register(
        &self,
        sink: &mut dyn Sink,
        t: &TypeInfo,
        guid: &str,
        kind: Kind,
    ) -> Result<(), Denied> {
        let name = t.full_name.as_str();
        let v = self.version.as_str();
        match kind {
            Kind::Record => self.class_values(sink, &["Record", guid, v], name),
            Kind::ComImport => {
                self.class_values(sink, &["CLSID", guid, "InprocServer32"], name)?;
                self.class_values(sink, &["CLSID", guid, "InprocServer32", v], name)
            }
            Kind::Managed => {
                let progid = progid(t);
                if let Some(p) = &progid {
                    sink.set(&[p], "", name)?;
                    sink.set(&[p, "CLSID"], "", guid)?;
                }
                sink.set(&["CLSID", guid], "", name)?;
                let inproc = ["CLSID", guid, "InprocServer32"];
                sink.set(&inproc, "", "mscoree.dll")?;
                sink.set(&inproc, "ThreadingModel", "Both")?;
                self.class_values(sink, &inproc, name)?;
                self.class_values(sink, &["CLSID", guid, "InprocServer32", v], name)?;
                if let Some(p) = &progid {
                    sink.set(&["CLSID", guid, "ProgId"], "", p)?;
                }
                sink.create(&["CLSID", guid, "Implemented Categories", MANAGED_CATEGORY])?;
                if !sink.category_exists() {
                    sink.set(
                        &["Component Categories", MANAGED_CATEGORY],
                        "0",
                        MANAGED_CATEGORY_NAME,
                    )?;
                }
                Ok(())
            }
        }
    }

    /// `RegisterPrimaryInteropAssembly`: `TypeLib\{LIBID}\<major.minor in hex>`.
    pub fn register_pia(
        &self,
        sink: &mut dyn Sink,
        libid: &str,
        version: &str,
    ) -> Result<(), Denied> {
        let key = ["TypeLib", libid, version];
        sink.set(&key, "PrimaryInteropAssemblyName", &self.full_name)?;
        if let Some(cb) = &self.codebase {
            sink.set(&key, "PrimaryInteropAssemblyCodeBase", cb)?;
        }
        Ok(())
    }
}

/// What unregistering one type did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// Whether the version subkey was there to remove.
    pub had_version: bool,
    /// Version subkeys left afterwards (other versions still registered).
    pub versions_left: Vec<String>,
}

impl Removal {
    pub fn all_versions_gone(&self) -> bool {
        self.versions_left.is_empty()
    }
}

/// The registry as `UnregisterManagedType` and friends see it: keys opened through HKCR in one view.
pub struct Remover<'r> {
    pub reg: &'r mut Registry,
    pub view: View,
    pub writer: Writer,
    /// ASM-4 switch `asm-unregister-values=delete`: remove the top-level Class, Assembly,
    /// RuntimeVersion and CodeBase even while other versions remain (what the source does).
    pub delete_top_values: bool,
}

const CLASS_VALUES: [&str; 4] = ["Assembly", "Class", "RuntimeVersion", "CodeBase"];

impl Remover<'_> {
    fn target(&self, key: &[&str]) -> Result<Option<comsim_registry::KeyTarget>, Denied> {
        let path = hkcr(key);
        self.reg
            .open_for_write(&path, self.view, self.writer)
            .map_err(|error| Denied {
                key: path.to_string(),
                error,
            })
    }

    fn delete_values(&mut self, key: &[&str], names: &[&str]) -> Result<bool, Denied> {
        let Some(t) = self.target(key)? else {
            return Ok(false);
        };
        for n in names {
            self.reg.delete_value(t.key, n);
        }
        Ok(true)
    }

    fn subkeys(&self, key: &[&str]) -> Result<Vec<String>, Denied> {
        Ok(match self.target(key)? {
            Some(t) => self
                .reg
                .subkeys(t.key)
                .map(|(n, _)| n.as_str().to_owned())
                .collect(),
            None => Vec::new(),
        })
    }

    /// `DeleteSubKey` when the key has no values and no subkeys left.
    fn prune(&mut self, key: &[&str]) -> Result<(), Denied> {
        let Some(t) = self.target(key)? else {
            return Ok(());
        };
        if self.reg.subkey_count(t.key) == 0 && self.reg.values(t.key).is_empty() {
            let path = hkcr(key);
            self.reg
                .delete_tree(&path, self.view, self.writer)
                .map_err(|error| Denied {
                    key: path.to_string(),
                    error,
                })?;
        }
        Ok(())
    }

    /// Prunes `key` and then each of its parents, up to (and including) the first component.
    fn prune_up(&mut self, key: &[&str]) -> Result<(), Denied> {
        for n in (1..=key.len()).rev() {
            self.prune(&key[..n])?;
        }
        Ok(())
    }

    /// Removes one version of a version-keyed registration (`…\<version>` below `base`), and
    /// reports the versions left.
    fn remove_version(&mut self, base: &[&str], version: &str) -> Result<Removal, Denied> {
        let mut vkey: Vec<&str> = base.to_vec();
        vkey.push(version);
        let had_version = self.delete_values(&vkey, &CLASS_VALUES)?;
        self.prune(&vkey)?;
        Ok(Removal {
            had_version,
            versions_left: self.subkeys(base)?,
        })
    }

    /// `UnregisterValueType`.
    pub fn record(&mut self, guid: &str, version: &str) -> Result<Removal, Denied> {
        let r = self.remove_version(&["Record", guid], version)?;
        self.prune_up(&["Record", guid])?;
        Ok(r)
    }

    /// `UnregisterComImportedType`.
    pub fn com_import(&mut self, guid: &str, version: &str) -> Result<Removal, Denied> {
        let inproc = ["CLSID", guid, "InprocServer32"];
        self.delete_values(&inproc, &CLASS_VALUES)?;
        let r = self.remove_version(&inproc, version)?;
        self.prune_up(&inproc)?;
        Ok(r)
    }

    /// `UnregisterManagedType` (ASM-4): the version's subkey goes; the rest only with the last
    /// version.
    pub fn managed(&mut self, t: &TypeInfo, guid: &str, version: &str) -> Result<Removal, Denied> {
        let clsid = ["CLSID", guid];
        let inproc = ["CLSID", guid, "InprocServer32"];
        let r = self.remove_version(&inproc, version)?;
        if r.all_versions_gone() {
            self.delete_values(&inproc, &["", "ThreadingModel"])?;
        }
        if r.all_versions_gone() || self.delete_top_values {
            self.delete_values(&inproc, &CLASS_VALUES)?;
        }
        self.prune(&inproc)?;
        let progid = progid(t);
        if r.all_versions_gone() {
            self.delete_values(&clsid, &[""])?;
            if progid.is_some() {
                self.delete_values(&["CLSID", guid, "ProgId"], &[""])?;
                self.prune(&["CLSID", guid, "ProgId"])?;
            }
            self.prune(&["CLSID", guid, "Implemented Categories", MANAGED_CATEGORY])?;
            self.prune(&["CLSID", guid, "Implemented Categories"])?;
        }
        self.prune_up(&clsid)?;
        if let (true, Some(p)) = (r.all_versions_gone(), &progid) {
            self.delete_values(&[p], &[""])?;
            self.delete_values(&[p, "CLSID"], &[""])?;
            self.prune(&[p, "CLSID"])?;
            self.prune(&[p])?;
        }
        Ok(r)
    }

    /// `UnregisterPrimaryInteropAssembly`.
    pub fn pia(&mut self, libid: &str, version: &str) -> Result<(), Denied> {
        let key = ["TypeLib", libid, version];
        self.delete_values(
            &key,
            &[
                "PrimaryInteropAssemblyName",
                "PrimaryInteropAssemblyCodeBase",
            ],
        )?;
        self.prune_up(&key)
    }
}
