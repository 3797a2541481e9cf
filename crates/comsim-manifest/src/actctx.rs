//! The activation context (SXS-1, SXS-2): an application manifest plus every dependent assembly it
//! names, found by probing the application directory.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Serialize;

use crate::identity::textual_identity;
use crate::lookup::Index;
use crate::model::{AssemblyIdentity, Manifest, Version};
use crate::parse::parse_manifest;

/// The application directory the loader probes. Paths are relative, with `\` separators, and are
/// matched case-insensitively, as on Windows.
pub trait AppDirectory {
    /// The bytes of the file at `relative`, if it exists.
    fn read(&self, relative: &str) -> Option<Vec<u8>>;
    /// The `RT_MANIFEST` resource `id` of the image at `relative`: `None` when the file does not
    /// exist, `Ok(None)` when it has no such resource. By default the file's bytes are read as a
    /// PE image; a directory of described (not built) images answers from its description.
    fn embedded_manifest(
        &self,
        relative: &str,
        id: u16,
    ) -> Option<Result<Option<Vec<u8>>, String>> {
        let bytes = self.read(relative)?;
        Some(
            crate::pe::embedded_manifest(&bytes, id)
                .map(|m| m.map(|m| m.bytes))
                .map_err(|e| e.to_string()),
        )
    }
    /// How to show `relative` in traces and errors.
    fn show(&self, relative: &str) -> String;
}

/// A directory on disk standing for the application directory.
///
/// Each directory's listing is read once and kept, so that probing for many assemblies in a large
/// directory costs one lookup per probe rather than one listing.
#[derive(Debug, Clone)]
pub struct FsDirectory {
    root: PathBuf,
    display: String,
    /// For each directory read so far: its entries' lower-case names, each to the first name (in
    /// sorted order) that lowers to it; `None` when the directory cannot be read.
    listings: RefCell<HashMap<PathBuf, Option<Listing>>>,
}

type Listing = HashMap<String, std::ffi::OsString>;

fn list_directory(path: &Path) -> Option<Listing> {
    let mut listing = Listing::new();
    for entry in std::fs::read_dir(path).ok()?.filter_map(Result::ok) {
        let name = entry.file_name();
        let lower = name.to_string_lossy().to_lowercase();
        match listing.get(&lower) {
            Some(kept) if *kept <= name => {}
            _ => {
                listing.insert(lower, name);
            }
        }
    }
    Some(listing)
}

impl FsDirectory {
    /// `display` is how the directory is named in output (e.g. the path given on the command line).
    pub fn new(root: impl Into<PathBuf>, display: impl Into<String>) -> Self {
        FsDirectory {
            root: root.into(),
            display: display.into(),
            listings: RefCell::new(HashMap::new()),
        }
    }

    fn resolve(&self, relative: &str) -> Option<PathBuf> {
        let mut path = self.root.clone();
        let mut listings = self.listings.borrow_mut();
        for part in relative.split('\\') {
            let wanted = part.to_lowercase();
            let listing = listings
                .entry(path.clone())
                .or_insert_with(|| list_directory(&path));
            let entry = listing.as_ref()?.get(&wanted)?.clone();
            path.push(entry);
        }
        Some(path)
    }
}

impl AppDirectory for FsDirectory {
    fn read(&self, relative: &str) -> Option<Vec<u8>> {
        let path = self.resolve(relative)?;
        if path.is_file() {
            std::fs::read(path).ok()
        } else {
            None
        }
    }

    fn show(&self, relative: &str) -> String {
        // An existing file is shown with its name as it is on disk.
        let on_disk = self
            .resolve(relative)
            .and_then(|p| p.strip_prefix(&self.root).ok().map(Path::to_path_buf));
        let shown = match on_disk {
            Some(p) => p
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
            None => relative.replace('\\', "/"),
        };
        if self.display.is_empty() {
            shown
        } else {
            format!("{}/{shown}", self.display.trim_end_matches('/'))
        }
    }
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ProbeOutcome {
    NotFound,
    /// The file exists and its manifest matched the reference: it joins the context.
    Used,
    /// A DLL named after the assembly without an `RT_MANIFEST` resource 1: the search stops there.
    NoEmbeddedManifest {
        detail: String,
    },
    /// The manifest could not be parsed.
    Malformed {
        error: String,
    },
    /// The manifest's identity is not the one referenced.
    Mismatch {
        found: String,
        differs: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// The referenced identity, as SXS-4 writes identities.
    pub reference: String,
    pub path: String,
    #[serde(flatten)]
    pub outcome: ProbeOutcome,
}

/// One assembly of the context. The roster index is its position: 1 for the application manifest,
/// then dependencies in the order they were resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ContextAssembly {
    pub roster_index: usize,
    pub source: String,
    pub manifest: Manifest,
}

impl ContextAssembly {
    /// Its manifest's identity in textual form (`name,type="win32",version="…"`), empty for a
    /// manifest without one.
    pub fn textual_identity(&self) -> String {
        self.manifest
            .identity
            .as_ref()
            .map(textual_identity)
            .unwrap_or_default()
    }
}

/// A context is not changed once [`build_context`] has made it: the lookups of [`crate::lookup`]
/// index its entries at the first lookup and answer from that index afterwards.
#[derive(Clone, Serialize)]
pub struct ActivationContext {
    pub assemblies: Vec<ContextAssembly>,
    pub probes: Vec<Probe>,
    /// The entries of `assemblies` by CLSID and ProgID, built at the first lookup.
    #[serde(skip)]
    index: OnceLock<Index>,
}

impl ActivationContext {
    /// The index of the context's entries, built at the first call.
    pub(crate) fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::build(&self.assemblies))
    }
}

// Written out so that the index, which only repeats the assemblies, does not show.
impl fmt::Debug for ActivationContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivationContext")
            .field("assemblies", &self.assemblies)
            .field("probes", &self.probes)
            .finish()
    }
}

/// `CreateActCtx` failed: ERROR_SXS_CANT_GEN_ACTCTX (SXS-2). The process does not start.
#[derive(Debug, Clone, Serialize)]
pub struct ContextError {
    pub win32_error: u32,
    pub message: String,
    /// The dependency that could not be satisfied.
    pub reference: String,
    pub reason: String,
    pub probes: Vec<Probe>,
}

pub const ERROR_SXS_CANT_GEN_ACTCTX: u32 = 14001;
pub const SXS_FAILURE_MESSAGE: &str = "The application has failed to start because its side-by-side configuration is incorrect. Please see the application event log or use the command-line sxstrace.exe tool for more detail.";

/// The four private-assembly candidates for `name`, in probing order (SXS-2).
pub fn candidates(name: &str) -> [String; 4] {
    [
        format!("{name}.dll"),
        format!("{name}.manifest"),
        format!("{name}\\{name}.dll"),
        format!("{name}\\{name}.manifest"),
    ]
}

fn norm(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").to_lowercase()
}

fn norm_language(v: &Option<String>) -> String {
    match v.as_deref().map(str::to_lowercase) {
        None => String::new(),
        Some(s) if s == "neutral" => String::new(),
        Some(s) => s,
    }
}

/// Whether a found identity satisfies a reference (SXS-2): name, version, publicKeyToken,
/// processorArchitecture and language; names and values compare case-insensitively, a private
/// assembly's version exactly (a missing version is 0.0.0.0 on either side, as in Wine), and a
/// reference language of `*` matches any.
pub fn identity_mismatch(reference: &AssemblyIdentity, found: &AssemblyIdentity) -> Option<String> {
    if !reference.name.eq_ignore_ascii_case(&found.name) {
        return Some(format!("name `{}` is not `{}`", found.name, reference.name));
    }
    let zero = Version([0; 4]);
    if reference.version.unwrap_or(zero) != found.version.unwrap_or(zero) {
        let show = |v: Option<Version>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
        return Some(format!(
            "version {} is not {}",
            show(found.version),
            show(reference.version)
        ));
    }
    if norm(&reference.public_key_token) != norm(&found.public_key_token) {
        return Some(format!(
            "publicKeyToken `{}` is not `{}`",
            found.public_key_token.as_deref().unwrap_or("none"),
            reference.public_key_token.as_deref().unwrap_or("none")
        ));
    }
    if norm(&reference.processor_architecture) != norm(&found.processor_architecture) {
        return Some(format!(
            "processorArchitecture `{}` is not `{}`",
            found.processor_architecture.as_deref().unwrap_or("none"),
            reference
                .processor_architecture
                .as_deref()
                .unwrap_or("none")
        ));
    }
    let rl = norm_language(&reference.language);
    if rl != "*" && rl != norm_language(&found.language) {
        return Some(format!(
            "language `{}` is not `{}`",
            found.language.as_deref().unwrap_or("neutral"),
            reference.language.as_deref().unwrap_or("neutral")
        ));
    }
    None
}

/// The identities already probed, matched as [`identity_mismatch`] matches a reference (the
/// earlier identity) to a found one, in constant time per lookup.
#[derive(Default)]
struct Seen {
    keys: HashSet<IdentityKey>,
}

/// An identity with every field as [`identity_mismatch`] compares it.
#[derive(PartialEq, Eq, Hash)]
struct IdentityKey {
    name: String,
    version: Version,
    public_key_token: String,
    processor_architecture: String,
    language: String,
}

impl IdentityKey {
    fn of(identity: &AssemblyIdentity) -> Self {
        IdentityKey {
            name: identity.name.to_ascii_lowercase(),
            version: identity.version.unwrap_or(Version([0; 4])),
            public_key_token: norm(&identity.public_key_token),
            processor_architecture: norm(&identity.processor_architecture),
            language: norm_language(&identity.language),
        }
    }
}

impl Seen {
    /// Whether `identity` is new: no earlier identity matches it (one of language `*` matches any
    /// language). It is recorded either way.
    fn insert(&mut self, identity: &AssemblyIdentity) -> bool {
        let mut key = IdentityKey::of(identity);
        if self.keys.contains(&key) {
            return false;
        }
        let language = std::mem::replace(&mut key.language, "*".into());
        if self.keys.contains(&key) {
            return false;
        }
        key.language = language;
        self.keys.insert(key);
        true
    }
}

/// Reads the manifest of a probed file: a `.dll`'s embedded resource 1, or a `.manifest` file.
fn read_candidate(
    dir: &dyn AppDirectory,
    path: &str,
    shown: &str,
) -> Option<Result<Manifest, ProbeOutcome>> {
    if path.to_ascii_lowercase().ends_with(".dll") {
        let embedded = dir.embedded_manifest(path, 1)?;
        let parsed = embedded
            .map_err(|detail| ProbeOutcome::NoEmbeddedManifest { detail })
            .and_then(|m| {
                m.ok_or_else(|| ProbeOutcome::NoEmbeddedManifest {
                    detail: "the DLL has no RT_MANIFEST resource with ID 1".into(),
                })
            })
            .and_then(|bytes| {
                parse_manifest(&format!("{shown}#RT_MANIFEST/1"), &bytes).map_err(|e| {
                    ProbeOutcome::Malformed {
                        error: e.to_string(),
                    }
                })
            });
        Some(parsed)
    } else {
        let bytes = dir.read(path)?;
        Some(
            parse_manifest(shown, &bytes).map_err(|e| ProbeOutcome::Malformed {
                error: e.to_string(),
            }),
        )
    }
}

/// Builds the context of an application manifest (SXS-1), probing `dir` for each dependency, and
/// each dependency's own dependencies, in order (SXS-2).
pub fn build_context(
    app: Manifest,
    dir: &dyn AppDirectory,
) -> Result<ActivationContext, ContextError> {
    let mut ctx = ActivationContext {
        assemblies: Vec::new(),
        probes: Vec::new(),
        index: OnceLock::new(),
    };
    let mut queue: std::collections::VecDeque<_> = app.dependencies.iter().cloned().collect();
    ctx.assemblies.push(ContextAssembly {
        roster_index: 1,
        source: app.source.clone(),
        manifest: app,
    });
    // Each dependency is probed once; the roster cannot grow past the distinct names referenced,
    // so a cycle of dependencies ends.
    let mut seen = Seen::default();
    while let Some(dep) = queue.pop_front() {
        if !seen.insert(&dep.identity) {
            continue;
        }
        let reference = textual_identity(&dep.identity);
        let mut resolved = None;
        let mut failure = None;
        for candidate in candidates(&dep.identity.name) {
            let shown = dir.show(&candidate);
            let Some(read) = read_candidate(dir, &candidate, &shown) else {
                ctx.probes.push(Probe {
                    reference: reference.clone(),
                    path: shown,
                    outcome: ProbeOutcome::NotFound,
                });
                continue;
            };
            // The first file that exists ends the search, whatever it holds.
            let outcome = match read {
                Ok(m) => match m
                    .identity
                    .as_ref()
                    .map(|found| (found, identity_mismatch(&dep.identity, found)))
                {
                    Some((_, None)) => {
                        resolved = Some((shown.clone(), m));
                        ProbeOutcome::Used
                    }
                    Some((found, Some(differs))) => ProbeOutcome::Mismatch {
                        found: textual_identity(found),
                        differs,
                    },
                    None => ProbeOutcome::Mismatch {
                        found: "(no assemblyIdentity)".into(),
                        differs: "the manifest has no assemblyIdentity".into(),
                    },
                },
                Err(o) => o,
            };
            if outcome != ProbeOutcome::Used {
                failure = Some(describe(&outcome, &shown));
            }
            ctx.probes.push(Probe {
                reference: reference.clone(),
                path: shown,
                outcome,
            });
            break;
        }
        match resolved {
            Some((source, manifest)) => {
                queue.extend(manifest.dependencies.iter().cloned());
                let roster_index = ctx.assemblies.len() + 1;
                ctx.assemblies.push(ContextAssembly {
                    roster_index,
                    source,
                    manifest,
                });
            }
            None if dep.optional => {}
            None => {
                return Err(ContextError {
                    win32_error: ERROR_SXS_CANT_GEN_ACTCTX,
                    message: SXS_FAILURE_MESSAGE.into(),
                    reference,
                    reason: failure.unwrap_or_else(|| {
                        "no candidate file exists in the application directory".into()
                    }),
                    probes: ctx.probes,
                });
            }
        }
    }
    Ok(ctx)
}

fn describe(outcome: &ProbeOutcome, path: &str) -> String {
    match outcome {
        ProbeOutcome::NoEmbeddedManifest { detail } => {
            format!("{path}: {detail}; the search stops at the first DLL named after the assembly")
        }
        ProbeOutcome::Malformed { error } => error.clone(),
        ProbeOutcome::Mismatch { found, differs } => format!("{path} holds {found}: {differs}"),
        ProbeOutcome::NotFound | ProbeOutcome::Used => String::new(),
    }
}

/// The directory of a manifest path, for when no application directory is given.
pub fn directory_of(path: &Path) -> PathBuf {
    path.parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_diag::Location;

    fn id(version: Option<&str>) -> AssemblyIdentity {
        AssemblyIdentity {
            name: "Contoso.Widgets".into(),
            version: version.and_then(Version::parse),
            type_: None,
            processor_architecture: Some("msil".into()),
            public_key_token: None,
            language: None,
            location: Location::new("m", 1, 1),
        }
    }

    /// SXS-2: an identity already probed is not probed again; one probed with language `*`
    /// stands for every language, as [`identity_mismatch`] matches them.
    #[test]
    fn sxs2_seen_identities_match_as_references_do() {
        let mut seen = Seen::default();
        let mut a = id(Some("1.0.0.0"));
        assert!(seen.insert(&a));
        a.name = "CONTOSO.widgets".into();
        a.processor_architecture = Some("MSIL".into());
        assert!(
            !seen.insert(&a),
            "names and values compare case-insensitively"
        );
        a.language = Some("de-DE".into());
        assert!(seen.insert(&a), "another language is another identity");
        let mut star = id(Some("2.0.0.0"));
        star.language = Some("*".into());
        assert!(seen.insert(&star));
        star.language = Some("fr".into());
        assert!(!seen.insert(&star), "`*` already stands for every language");
        let mut fr = id(Some("3.0.0.0"));
        fr.language = Some("fr".into());
        assert!(seen.insert(&fr));
        fr.language = Some("*".into());
        assert!(seen.insert(&fr), "`fr` does not stand for `*`");
        assert!(seen.insert(&id(None)));
        assert!(!seen.insert(&id(Some("0.0.0.0"))), "no version is 0.0.0.0");
    }

    /// SXS-2: probing a ring of 500 manifests in one directory lists the directory once, not
    /// once per probe (a ring of 2,000 took 19 s when each probe listed it).
    #[test]
    fn sxs2_a_ring_of_manifests_lists_the_directory_once() {
        let dir = std::env::temp_dir().join(format!("comsim-ring-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let n = 500;
        let manifest = |me: &str, next: &str| {
            format!(
                "<assembly xmlns=\"urn:schemas-microsoft-com:asm.v1\" manifestVersion=\"1.0\"><assemblyIdentity name=\"{me}\" version=\"1.0.0.0\"/><dependency><dependentAssembly><assemblyIdentity name=\"{next}\" version=\"1.0.0.0\"/></dependentAssembly></dependency></assembly>"
            )
        };
        for i in 0..n {
            let text = manifest(&format!("Ring{i}"), &format!("Ring{}", (i + 1) % n));
            std::fs::write(dir.join(format!("Ring{i}.manifest")), text).expect("written");
        }
        let app = crate::parse::parse_manifest_str("App.exe.manifest", &manifest("App", "Ring0"))
            .expect("a manifest");
        let fs = FsDirectory::new(&dir, "ring");
        let ctx = build_context(app, &fs).unwrap_or_else(|e| panic!("{}", e.reason));
        let listed = fs.listings.borrow().len();
        std::fs::remove_dir_all(&dir).expect("removed");
        assert_eq!(ctx.assemblies.len(), n + 1);
        assert_eq!(
            ctx.assemblies[n].source,
            format!("ring/Ring{}.manifest", n - 1)
        );
        // The directory, and each `RingN\` subdirectory looked for (none exists).
        assert_eq!(listed, 1);
    }

    #[test]
    fn sxs2_a_reference_without_version_matches_only_version_zero() {
        // A missing version is 0.0.0.0, on the reference's side as on the manifest's.
        assert_eq!(
            identity_mismatch(&id(None), &id(Some("1.2.3.4"))).as_deref(),
            Some("version 1.2.3.4 is not none")
        );
        assert_eq!(
            identity_mismatch(&id(Some("1.2.3.4")), &id(None)).as_deref(),
            Some("version none is not 1.2.3.4")
        );
        assert_eq!(identity_mismatch(&id(None), &id(None)), None);
        assert_eq!(identity_mismatch(&id(None), &id(Some("0.0.0.0"))), None);
        assert_eq!(
            identity_mismatch(&id(Some("1.2.3.4")), &id(Some("1.2.3.4"))),
            None
        );
    }
}
