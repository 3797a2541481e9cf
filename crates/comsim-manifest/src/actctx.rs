//! The activation context (SXS-1, SXS-2): an application manifest plus every dependent assembly it
//! names, found by probing the application directory.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::identity::textual_identity;
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
#[derive(Debug, Clone)]
pub struct FsDirectory {
    root: PathBuf,
    display: String,
}

impl FsDirectory {
    /// `display` is how the directory is named in output (e.g. the path given on the command line).
    pub fn new(root: impl Into<PathBuf>, display: impl Into<String>) -> Self {
        FsDirectory {
            root: root.into(),
            display: display.into(),
        }
    }

    fn resolve(&self, relative: &str) -> Option<PathBuf> {
        let mut path = self.root.clone();
        for part in relative.split('\\') {
            let wanted = part.to_lowercase();
            let entry = std::fs::read_dir(&path)
                .ok()?
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .filter(|n| n.to_string_lossy().to_lowercase() == wanted)
                .min()?;
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

#[derive(Debug, Clone, Serialize)]
pub struct ActivationContext {
    pub assemblies: Vec<ContextAssembly>,
    pub probes: Vec<Probe>,
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
    };
    let mut queue: std::collections::VecDeque<_> = app.dependencies.iter().cloned().collect();
    ctx.assemblies.push(ContextAssembly {
        roster_index: 1,
        source: app.source.clone(),
        manifest: app,
    });
    // Each dependency is probed once; the roster cannot grow past the distinct names referenced,
    // so a cycle of dependencies ends.
    let mut seen: Vec<AssemblyIdentity> = Vec::new();
    while let Some(dep) = queue.pop_front() {
        if seen
            .iter()
            .any(|s| identity_mismatch(s, &dep.identity).is_none())
        {
            continue;
        }
        seen.push(dep.identity.clone());
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
