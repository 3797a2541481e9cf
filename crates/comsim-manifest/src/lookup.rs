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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actctx::{AppDirectory, build_context};
    use crate::parse::parse_manifest_str;

    /// An application directory of manifests held in memory.
    struct Manifests(Vec<(&'static str, String)>);

    impl AppDirectory for Manifests {
        fn read(&self, relative: &str) -> Option<Vec<u8>> {
            let (_, text) = self.0.iter().find(|(name, _)| *name == relative)?;
            Some(text.clone().into_bytes())
        }

        fn show(&self, relative: &str) -> String {
            relative.to_owned()
        }
    }

    fn assembly(identity: &str, body: &str) -> String {
        format!(
            "<assembly xmlns=\"urn:schemas-microsoft-com:asm.v1\" manifestVersion=\"1.0\">\
             <assemblyIdentity name=\"{identity}\" version=\"1.0.0.0\"/>\n{body}\n</assembly>"
        )
    }

    const TWICE: &str = "{11111111-0000-4000-8000-000000000001}";
    const SURROGATE: &str = "{11111111-0000-4000-8000-000000000002}";
    const NATIVE: &str = "{11111111-0000-4000-8000-000000000003}";
    const ONLY_IN_B: &str = "{11111111-0000-4000-8000-000000000004}";
    const SECOND_FILE: &str = "{11111111-0000-4000-8000-000000000005}";
    const LATER_CLR: &str = "{11111111-0000-4000-8000-000000000006}";

    /// A context with every kind of duplicate: the application manifest, then A, then B. A
    /// declares TWICE as two clrClass entries, SURROGATE as two clrSurrogate entries, NATIVE in
    /// its first file, and SECOND_FILE and LATER_CLR both as clrClass entries and as comClass
    /// entries of its later files (SECOND_FILE first among the clrClass entries, last among the
    /// comClass entries). B declares TWICE, SURROGATE and NATIVE again, and ProgIDs that differ
    /// from A's only in ASCII case.
    fn context() -> ActivationContext {
        let clr = |clsid: &str, name: &str, progid: &str| {
            format!(
                "<clrClass clsid=\"{clsid}\" name=\"{name}\" progid=\"{progid}\" runtimeVersion=\"v4.0.30319\"/>"
            )
        };
        let surrogate =
            |clsid: &str, name: &str| format!("<clrSurrogate clsid=\"{clsid}\" name=\"{name}\"/>");
        let com = |clsid: &str, progid: &str| {
            format!("<comClass clsid=\"{clsid}\" progid=\"{progid}\" threadingModel=\"Both\"/>")
        };
        let a = [
            clr(TWICE, "A.First", "Contoso.Twice"),
            clr(TWICE, "A.Second", "Contoso.Twice.2"),
            clr(SECOND_FILE, "A.SecondFile", "Contoso.SecondFile"),
            clr(LATER_CLR, "A.LaterClr", "Contoso.LaterClr"),
            surrogate(SURROGATE, "A.Surrogate.First"),
            surrogate(SURROGATE, "A.Surrogate.Second"),
            format!(
                "<file name=\"first.dll\">{}</file>",
                com(NATIVE, "Contoso.Native")
            ),
            format!(
                "<file name=\"second.dll\">{}{}</file>",
                com(LATER_CLR, "Native.LaterClr"),
                com(SECOND_FILE, "Native.SecondFile.First"),
            ),
            format!(
                "<file name=\"third.dll\">{}</file>",
                com(SECOND_FILE, "Native.SecondFile.Third")
            ),
        ];
        let b = [
            clr(TWICE, "B.Twice", "CONTOSO.TWICE"),
            clr(ONLY_IN_B, "B.Only", "contoso.native"),
            surrogate(SURROGATE, "B.Surrogate"),
            format!(
                "<file name=\"b.dll\">{}{}</file>",
                com(NATIVE, "Contoso.Native.B"),
                com(TWICE, "contoso.twice.2")
            ),
        ];
        let dependency = |name: &str| {
            format!(
                "<dependency><dependentAssembly><assemblyIdentity name=\"{name}\" version=\"1.0.0.0\"/></dependentAssembly></dependency>"
            )
        };
        let app = assembly("App", &(dependency("A") + &dependency("B")));
        let dir = Manifests(vec![
            ("A.manifest", assembly("A", &a.concat())),
            ("B.manifest", assembly("B", &b.concat())),
        ]);
        let app = parse_manifest_str("App.exe.manifest", &app).expect("the manifest parses");
        build_context(app, &dir).unwrap_or_else(|e| panic!("{}", e.reason))
    }

    fn guid(s: &str) -> Guid {
        Guid::parse(s).expect("a GUID")
    }

    /// SXS-4 as defined: the first entry with the GUID, in roster order and then in manifest
    /// order, found by a scan; with FIND_ANY every assembly's surrogates before any class.
    fn scan_clr_guid(ctx: &ActivationContext, guid: Guid, find: Find) -> Option<ClrGuidInfo> {
        let info = |flags, a: &ContextAssembly, name: &str, runtime: &Option<String>, at| {
            Some(ClrGuidInfo {
                flags,
                runtime_version: runtime.clone(),
                type_name: name.to_owned(),
                assembly_identity: a.textual_identity(),
                source: a.source.clone(),
                location: Location::clone(at),
            })
        };
        let surrogate = || {
            ctx.assemblies.iter().find_map(|a| {
                let s = a.manifest.clr_surrogates.iter().find(|s| s.clsid == guid)?;
                info(
                    FLAG_IS_SURROGATE,
                    a,
                    &s.name,
                    &s.runtime_version,
                    &s.location,
                )
            })
        };
        let class = || {
            ctx.assemblies.iter().find_map(|a| {
                let c = a.manifest.clr_classes.iter().find(|c| c.clsid == guid)?;
                info(FLAG_IS_CLASS, a, &c.name, &c.runtime_version, &c.location)
            })
        };
        match find {
            Find::Any => surrogate().or_else(class),
            Find::Class => class(),
            Find::Surrogate => surrogate(),
        }
    }

    /// COM-1 as defined: every COM server entry in search order (assemblies in roster order; in
    /// each, its clrClass entries, then the comClass entries of each file). The entries are made
    /// as the lookups make them (`com_server`); what is compared is which entry the index picks.
    fn scan_servers(ctx: &ActivationContext) -> Vec<ComServer> {
        let mut out = Vec::new();
        for (assembly, a) in ctx.assemblies.iter().enumerate() {
            for class in 0..a.manifest.clr_classes.len() {
                out.push(com_server(ctx, ServerAt::Clr { assembly, class }));
            }
            for (file, f) in a.manifest.files.iter().enumerate() {
                for class in 0..f.com_classes.len() {
                    let at = ServerAt::Com {
                        assembly,
                        file,
                        class,
                    };
                    out.push(com_server(ctx, at));
                }
            }
        }
        out
    }

    /// Every GUID the context declares, and one it does not.
    fn guids(ctx: &ActivationContext) -> Vec<Guid> {
        let mut out = vec![guid("{00000000-0000-0000-0000-00000000BEEF}")];
        for a in &ctx.assemblies {
            let m = &a.manifest;
            out.extend(m.clr_classes.iter().map(|c| c.clsid));
            out.extend(m.clr_surrogates.iter().map(|s| s.clsid));
            out.extend(
                m.files
                    .iter()
                    .flat_map(|f| f.com_classes.iter().map(|c| c.clsid)),
            );
        }
        out
    }

    /// SXS-4: the indexed lookup gives, for every GUID and every flag, the answer of the scan
    /// that defines it, on a context that declares GUIDs twice in one manifest and in two.
    #[test]
    fn sxs4_the_indexed_lookup_answers_as_the_scan_in_roster_order() {
        let ctx = context();
        for g in guids(&ctx) {
            for find in [Find::Any, Find::Class, Find::Surrogate] {
                assert_eq!(
                    sxs_lookup_clr_guid(&ctx, g, find),
                    scan_clr_guid(&ctx, g, find),
                    "{g} {find:?}"
                );
            }
        }
    }

    /// SXS-4: of two entries with one GUID, the first in roster order and then in manifest order
    /// is the answer, whether the second is in the same manifest or a later one.
    #[test]
    fn sxs4_the_first_entry_with_a_guid_wins() {
        let ctx = context();
        let name = |g, find| sxs_lookup_clr_guid(&ctx, guid(g), find).map(|i| i.type_name);
        assert_eq!(name(TWICE, Find::Class).as_deref(), Some("A.First"));
        assert_eq!(name(TWICE, Find::Any).as_deref(), Some("A.First"));
        assert_eq!(name(ONLY_IN_B, Find::Any).as_deref(), Some("B.Only"));
        let surrogate = name(SURROGATE, Find::Surrogate);
        assert_eq!(surrogate.as_deref(), Some("A.Surrogate.First"));
        assert_eq!(
            name(NATIVE, Find::Any),
            None,
            "a comClass is not a CLR entry"
        );
    }

    /// COM-1: the indexed COM-server and ProgID lookups give the answers of the scan that defines
    /// them: the first entry with the CLSID, and the first with the ProgID up to ASCII case.
    #[test]
    fn com1_the_indexed_lookups_answer_as_the_scan_of_the_servers() {
        let ctx = context();
        let servers = scan_servers(&ctx);
        for g in guids(&ctx) {
            let first = servers.iter().find(|s| s.clsid == g);
            assert_eq!(find_com_server(&ctx, g).as_ref(), first, "{g}");
        }
        let mut progids: Vec<String> = servers.iter().flat_map(|s| s.progids.clone()).collect();
        progids.extend(["Contoso.Missing".to_owned(), String::new()]);
        for p in progids {
            for asked in [p.clone(), p.to_ascii_lowercase(), p.to_ascii_uppercase()] {
                let first = servers
                    .iter()
                    .find(|s| s.progids.iter().any(|q| q.eq_ignore_ascii_case(&asked)));
                assert_eq!(find_progid(&ctx, &asked).as_ref(), first, "{asked}");
            }
        }
    }

    /// COM-1: the first COM server entry wins: a clrClass before the comClass entries of its
    /// assembly, an earlier assembly before a later one, and for a ProgID the first entry that
    /// has it in any ASCII case.
    #[test]
    fn com1_the_first_server_entry_for_a_clsid_or_progid_wins() {
        let ctx = context();
        let server = |g| find_com_server(&ctx, guid(g)).expect("a server");
        assert_eq!(server(TWICE).managed_type.as_deref(), Some("A.First"));
        assert_eq!(
            server(SECOND_FILE).managed_type.as_deref(),
            Some("A.SecondFile")
        );
        assert_eq!(server(NATIVE).module, "first.dll");
        assert_eq!(server(NATIVE).source, "A.manifest");
        let progid = |p| {
            let s = find_progid(&ctx, p).expect("a server");
            (s.managed_type, s.module, s.source)
        };
        let a_first = (
            Some("A.First".to_owned()),
            "mscoree.dll".into(),
            "A.manifest".into(),
        );
        assert_eq!(progid("contoso.TWICE"), a_first);
        // B's clrClass writes A's first file's ProgID in lower case: A's entry is first.
        assert_eq!(progid("CONTOSO.NATIVE").1, "first.dll");
        // "contoso.twice.2" is A's second clrClass (A.Second) and a comClass of B.
        assert_eq!(
            progid("contoso.twice.2").0.as_deref(),
            Some("A.Second"),
            "the second clrClass with a CLSID still serves its ProgIDs"
        );
        assert_eq!(progid("Contoso.Native.b").2, "B.manifest");
    }

    /// COM-1: ProgIDs compare up to the case of ASCII letters only: `É` is not `é`.
    #[test]
    fn com1_progids_compare_up_to_ascii_case_only() {
        let body = "<file name=\"x.dll\"><comClass clsid=\"{11111111-0000-4000-8000-000000000009}\" progid=\"Contoso.Caf\u{e9}\"/></file>";
        let app = parse_manifest_str("App.exe.manifest", &assembly("App", body)).expect("parses");
        let ctx = build_context(app, &Manifests(Vec::new())).expect("a context");
        assert!(find_progid(&ctx, "CONTOSO.caf\u{e9}").is_some());
        assert!(find_progid(&ctx, "Contoso.Caf\u{c9}").is_none());
    }

    /// SXS-3: the check finds the first clrClass, in manifest order, that a comClass of the same
    /// manifest also declares, and reports the first such comClass in file order, even when it
    /// is not in the manifest's first file; the same CLSID in two manifests is not reported.
    #[test]
    fn sxs3_the_first_clr_class_and_its_first_com_class_are_reported() {
        let ctx = context();
        let twice = clr_class_also_com_class(&ctx).expect("declared twice");
        assert_eq!(twice.clsid, guid(SECOND_FILE));
        assert_eq!(twice.source, "A.manifest");
        let a = &ctx.assemblies[1].manifest;
        assert_eq!(twice.clr_class, a.clr_classes[2].location);
        assert_eq!(twice.com_class, a.files[1].com_classes[1].location);

        // TWICE is a clrClass of A and of B and a comClass of B only: B reports it.
        let b_only = "<clrClass clsid=\"{11111111-0000-4000-8000-000000000001}\" name=\"B\"/><file name=\"b.dll\"><comClass clsid=\"{11111111-0000-4000-8000-000000000001}\"/></file>";
        let a_only = "<clrClass clsid=\"{11111111-0000-4000-8000-000000000001}\" name=\"A\"/>";
        let app = assembly(
            "App",
            "<dependency><dependentAssembly><assemblyIdentity name=\"A\" version=\"1.0.0.0\"/></dependentAssembly></dependency><dependency><dependentAssembly><assemblyIdentity name=\"B\" version=\"1.0.0.0\"/></dependentAssembly></dependency>",
        );
        let dir = Manifests(vec![
            ("A.manifest", assembly("A", a_only)),
            ("B.manifest", assembly("B", b_only)),
        ]);
        let app = parse_manifest_str("App.exe.manifest", &app).expect("parses");
        let ctx = build_context(app, &dir).unwrap_or_else(|e| panic!("{}", e.reason));
        let twice = clr_class_also_com_class(&ctx).expect("declared twice");
        assert_eq!(twice.source, "B.manifest");
    }
}
