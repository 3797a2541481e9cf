//! Lookups in an activation context: `SxsLookupClrGuid` (SXS-4), the CLR's use of it
//! (`FindShimInfoFromWin32`: SXS-5, SXS-6, SXS-7, SXS-8), and the COM-server and ProgID lookups COM
//! makes before the registry (COM-1).

use std::collections::HashMap;

use comsim_diag::Location;
use serde::Serialize;

use crate::actctx::{ActivationContext, ContextAssembly};
use crate::identity::win32_to_fusion_display_name;
use crate::model::{ComClass, Guid, ThreadingModel};

/// What `SxsLookupClrGuid` is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Find {
    /// `SXS_LOOKUP_CLR_GUID_FIND_ANY`: a surrogate first, then a class.
    Any,
    /// `SXS_LOOKUP_CLR_GUID_FIND_CLR_CLASS`.
    Class,
    /// `SXS_LOOKUP_CLR_GUID_FIND_SURROGATE`.
    Surrogate,
}

/// What a GUID is looked up as: a class (a CLSID, REQ-1) or a record (a value type, REQ-5). It
/// decides what `SxsLookupClrGuid` is asked for (SXS-4) and which registry key is read
/// (SHIM-REG-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    Class,
    Record,
}

impl RegistrationKind {
    /// SXS-4: a class lookup asks for any entry, a record lookup for a surrogate only.
    pub fn find(self) -> Find {
        match self {
            RegistrationKind::Class => Find::Any,
            RegistrationKind::Record => Find::Surrogate,
        }
    }
}

impl Find {
    /// The flag's name without its `SXS_LOOKUP_CLR_GUID_` prefix, as traces show it.
    pub fn flag_name(self) -> &'static str {
        match self {
            Find::Any => "FIND_ANY",
            Find::Class => "FIND_CLR_CLASS",
            Find::Surrogate => "FIND_SURROGATE",
        }
    }
}

/// Whether the caller of [`find_shim_info`] asks for the runtime version (SXS-5): mscoree does,
/// LoadCOMClass does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeAsked {
    No,
    Yes,
}

/// `SXS_GUID_INFORMATION_CLR_FLAG_IS_SURROGATE`.
pub const FLAG_IS_SURROGATE: u32 = 1;
/// `SXS_GUID_INFORMATION_CLR_FLAG_IS_CLASS`.
pub const FLAG_IS_CLASS: u32 = 2;

/// The answer of `SxsLookupClrGuid` (`SXS_GUID_INFORMATION_CLR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClrGuidInfo {
    pub flags: u32,
    /// As the manifest wrote it; `None` when the attribute is missing.
    pub runtime_version: Option<String>,
    pub type_name: String,
    /// The hosting assembly's textual identity (SXS-4).
    pub assembly_identity: String,
    /// Where the answer came from.
    pub source: String,
    #[serde(skip)]
    pub location: Location,
}

/// SXS-4: searches the context's assemblies in roster order; with [`Find::Any`] the surrogates of
/// every assembly are searched before the classes. The answer is the first entry with the GUID,
/// in roster order and then in the manifest's order, found in the context's index.
pub fn sxs_lookup_clr_guid(ctx: &ActivationContext, guid: Guid, find: Find) -> Option<ClrGuidInfo> {
    let index = ctx.index();
    let answer = |flags, assembly: usize, name: &str, runtime: &Option<String>, at: &Location| {
        let a = &ctx.assemblies[assembly];
        ClrGuidInfo {
            flags,
            runtime_version: runtime.clone(),
            type_name: name.to_owned(),
            assembly_identity: a.textual_identity(),
            source: a.source.clone(),
            location: at.clone(),
        }
    };
    let surrogate = || {
        let e = index.surrogates.get(&guid)?;
        let s = &ctx.assemblies[e.assembly].manifest.clr_surrogates[e.entry];
        let (name, runtime, at) = (&s.name, &s.runtime_version, &s.location);
        Some(answer(FLAG_IS_SURROGATE, e.assembly, name, runtime, at))
    };
    let class = || {
        let e = index.clr_classes.get(&guid)?;
        let c = &ctx.assemblies[e.assembly].manifest.clr_classes[e.entry];
        let (name, runtime, at) = (&c.name, &c.runtime_version, &c.location);
        Some(answer(FLAG_IS_CLASS, e.assembly, name, runtime, at))
    };
    match find {
        Find::Any => surrogate().or_else(class),
        Find::Class => class(),
        Find::Surrogate => surrogate(),
    }
}

/// The runtime version reported for a manifest entry with none (SXS-6).
pub const DEFAULT_RUNTIME_VERSION: &str = "v1.0.3705";

/// What the CLR takes from the activation context for a CLSID or record GUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShimInfo {
    pub class_name: String,
    /// The Fusion display name of the hosting assembly (SXS-7).
    pub assembly: String,
    /// The hosting assembly's identity as `SxsLookupClrGuid` gave it (SXS-4).
    pub assembly_identity: String,
    /// SXS-6: `v1.0.3705` when the manifest gave none.
    pub runtime_version: String,
    /// SXS-8: a `clrSurrogate` hit is a registration-free PIA.
    pub is_surrogate: bool,
    pub source: String,
    #[serde(skip)]
    pub location: Location,
}

/// Why the CLR's lookup in the activation context came back empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ShimMiss {
    /// Nothing with this GUID in the context.
    NotFound { find: Find },
    /// SXS-5: the hit is a surrogate and the caller asked for a runtime version.
    SurrogateWithRuntimeRequest { source: String },
    /// SXS-6: the entry's type name is empty.
    EmptyTypeName { source: String },
}

/// `FindShimInfoFromWin32`: a class lookup asks for any entry (SXS-4), a record lookup for a
/// surrogate only; SXS-5 and SXS-6 can still turn a hit into a miss.
pub fn find_shim_info(
    ctx: &ActivationContext,
    guid: Guid,
    kind: RegistrationKind,
    runtime: RuntimeAsked,
) -> Result<ShimInfo, ShimMiss> {
    let find = kind.find();
    let info = sxs_lookup_clr_guid(ctx, guid, find).ok_or(ShimMiss::NotFound { find })?;
    let is_surrogate = info.flags & FLAG_IS_SURROGATE != 0;
    if is_surrogate && runtime == RuntimeAsked::Yes {
        return Err(ShimMiss::SurrogateWithRuntimeRequest {
            source: info.source,
        });
    }
    if info.type_name.is_empty() {
        return Err(ShimMiss::EmptyTypeName {
            source: info.source,
        });
    }
    let runtime_version = match info.runtime_version.as_deref() {
        None | Some("") => DEFAULT_RUNTIME_VERSION.to_owned(),
        Some(v) => v.to_owned(),
    };
    Ok(ShimInfo {
        class_name: info.type_name,
        assembly: win32_to_fusion_display_name(&info.assembly_identity),
        assembly_identity: info.assembly_identity,
        runtime_version,
        is_surrogate,
        source: info.source,
        location: info.location,
    })
}

/// A COM-server entry of the context (COM-1): a managed `clrClass` (served by mscoree.dll) or a
/// native `comClass` (served by its `file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComServer {
    pub clsid: Guid,
    /// `mscoree.dll` for a clrClass, else the `file` name.
    pub module: String,
    pub managed_type: Option<String>,
    pub runtime_version: Option<String>,
    pub threading_model: ThreadingModel,
    pub progids: Vec<String>,
    pub source: String,
    #[serde(skip)]
    pub location: Location,
}

/// The COM server entry at `at`.
fn com_server(ctx: &ActivationContext, at: ServerAt) -> ComServer {
    let a = &ctx.assemblies[at.assembly()];
    match at {
        ServerAt::Clr { class, .. } => {
            let c = &a.manifest.clr_classes[class];
            ComServer {
                clsid: c.clsid,
                module: "mscoree.dll".into(),
                managed_type: Some(c.name.clone()),
                runtime_version: c.runtime_version.clone(),
                threading_model: c.threading_model.clone(),
                progids: c.progids.clone(),
                source: a.source.clone(),
                location: c.location.clone(),
            }
        }
        ServerAt::Com { file, class, .. } => {
            let f = &a.manifest.files[file];
            let c = &f.com_classes[class];
            ComServer {
                clsid: c.clsid,
                module: f.name.clone(),
                managed_type: None,
                runtime_version: None,
                threading_model: c.threading_model.clone(),
                progids: c.progids.clone(),
                source: a.source.clone(),
                location: c.location.clone(),
            }
        }
    }
}

/// COM-1: the context's COM server for a CLSID: its first entry in the order of [`Index`].
pub fn find_com_server(ctx: &ActivationContext, clsid: Guid) -> Option<ComServer> {
    let at = *ctx.index().servers.get(&clsid)?;
    Some(com_server(ctx, at))
}

/// COM-1: the class a ProgID names in the context: the first COM server entry, in the order of
/// [`Index`], with the ProgID. ProgIDs compare case-insensitively (ASCII letters only).
pub fn find_progid(ctx: &ActivationContext, progid: &str) -> Option<ComServer> {
    let at = *ctx.index().progids.get(&progid.to_ascii_lowercase())?;
    Some(com_server(ctx, at))
}

/// An entry of the context: its assembly's place in the roster and its place among the
/// manifest's entries of its kind.
#[derive(Debug, Clone, Copy)]
struct Entry {
    assembly: usize,
    entry: usize,
}

/// A COM server entry of the context (COM-1): a `clrClass`, or a `comClass` of a `<file>`.
#[derive(Debug, Clone, Copy)]
enum ServerAt {
    Clr {
        assembly: usize,
        class: usize,
    },
    Com {
        assembly: usize,
        file: usize,
        class: usize,
    },
}

impl ServerAt {
    fn assembly(self) -> usize {
        match self {
            ServerAt::Clr { assembly, .. } | ServerAt::Com { assembly, .. } => assembly,
        }
    }
}

/// A context's entries by key, built once per context (at its first lookup), so that a lookup
/// costs the same in a context of ten entries as in one of ten thousand.
///
/// Each key maps to its first entry in the order the lookups search: assemblies in roster order;
/// in each, the entries of one kind in the manifest's order. The COM server entries (COM-1) of an
/// assembly are its `clrClass` entries, then the `comClass` entries of each `<file>`, as Wine
/// builds the section. A later entry with the same key is never the answer, so it is left out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    /// `clrSurrogate` entries by CLSID (SXS-4).
    surrogates: HashMap<Guid, Entry>,
    /// `clrClass` entries by CLSID (SXS-4).
    clr_classes: HashMap<Guid, Entry>,
    /// COM server entries by CLSID (COM-1).
    servers: HashMap<Guid, ServerAt>,
    /// COM server entries by each of their ProgIDs, lower-cased in ASCII (COM-1).
    progids: HashMap<String, ServerAt>,
}

impl Index {
    pub(crate) fn build(assemblies: &[ContextAssembly]) -> Index {
        let mut index = Index::default();
        for (assembly, a) in assemblies.iter().enumerate() {
            let m = &a.manifest;
            for (entry, s) in m.clr_surrogates.iter().enumerate() {
                index
                    .surrogates
                    .entry(s.clsid)
                    .or_insert(Entry { assembly, entry });
            }
            for (class, c) in m.clr_classes.iter().enumerate() {
                index.clr_classes.entry(c.clsid).or_insert(Entry {
                    assembly,
                    entry: class,
                });
                index.add_server(c.clsid, &c.progids, ServerAt::Clr { assembly, class });
            }
            for (file, f) in m.files.iter().enumerate() {
                for (class, c) in f.com_classes.iter().enumerate() {
                    let at = ServerAt::Com {
                        assembly,
                        file,
                        class,
                    };
                    index.add_server(c.clsid, &c.progids, at);
                }
            }
        }
        index
    }

    /// Records the next COM server entry, for its CLSID and ProgIDs not seen before.
    fn add_server(&mut self, clsid: Guid, progids: &[String], at: ServerAt) {
        self.servers.entry(clsid).or_insert(at);
        for p in progids {
            self.progids.entry(p.to_ascii_lowercase()).or_insert(at);
        }
    }
}

/// SXS-3: a CLSID that one manifest declares both as a `clrClass` and as a native `comClass`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDeclaredTwice {
    pub clsid: Guid,
    /// The manifest that declares it (its assembly's source).
    pub source: String,
    /// The `comClass` element.
    pub com_class: Location,
    /// The `clrClass` element.
    pub clr_class: Location,
}

/// SXS-3: the first CLSID, in roster order and then in the order of the `clrClass` entries, that
/// one manifest of the context declares both as a `clrClass` and as a `comClass` of one of its
/// files. Both kinds go to the one COM-server section, so the CLSID has two entries there.
/// Entries of the same kind, or in different manifests, are not reported.
///
/// The `comClass` reported is the first with the CLSID, in the order of the files and then of
/// their classes. Each manifest's `comClass` entries are put in a map by CLSID once, so the check
/// grows with the number of entries, not with the product of the two kinds.
pub fn clr_class_also_com_class(ctx: &ActivationContext) -> Option<ClassDeclaredTwice> {
    ctx.assemblies.iter().find_map(|a| {
        if a.manifest.clr_classes.is_empty() {
            return None;
        }
        let mut first_com_class: HashMap<Guid, &ComClass> = HashMap::new();
        for c in a.manifest.files.iter().flat_map(|f| f.com_classes.iter()) {
            first_com_class.entry(c.clsid).or_insert(c);
        }
        a.manifest.clr_classes.iter().find_map(|clr| {
            let c = first_com_class.get(&clr.clsid)?;
            Some(ClassDeclaredTwice {
                clsid: clr.clsid,
                source: a.source.clone(),
                com_class: c.location.clone(),
                clr_class: clr.location.clone(),
            })
        })
    })
}
