//! `sxs-manifest-refused`: 14001 from a manifest. The loader builds the process's activation
//! context from the application manifest (SXS-1) and the private assemblies it depends on
//! (SXS-2); a manifest it cannot parse, a dependency found nowhere, or a component whose
//! identity is not the one referenced stops the process before it runs. The detector reads the
//! run's trace codes and rebuilds the context from the machine's files (comsim-manifest's
//! `build_context`) for the failing dependency and the file and line to name.

use comsim_manifest::actctx::{
    AppDirectory, ContextError, ProbeOutcome, build_context, candidates,
};
use comsim_manifest::{Dependency, Manifest, parse_manifest};
use comsim_resolver::{Machine, Outcome, Rule, WinPath};

use super::{Ctx, Finding, SXS_MANIFEST_REFUSED, ev, finding};
use crate::fix::FixStep;

/// The application directory as the loader sees it: the machine's files under `dir`.
struct MachineDir<'a> {
    m: &'a Machine,
    dir: WinPath,
}

impl AppDirectory for MachineDir<'_> {
    fn read(&self, relative: &str) -> Option<Vec<u8>> {
        self.m
            .fs
            .get(&self.dir.join(relative))
            .map(|f| f.bytes.clone())
    }

    fn embedded_manifest(
        &self,
        relative: &str,
        id: u16,
    ) -> Option<Result<Option<Vec<u8>>, String>> {
        let f = self.m.fs.get(&self.dir.join(relative))?;
        match (&f.embedded_manifest, id) {
            (Some(b), 1) => Some(Ok(Some(b.clone()))),
            _ => Some(
                comsim_manifest::pe::embedded_manifest(&f.bytes, id)
                    .map(|m| m.map(|m| m.bytes))
                    .map_err(|e| e.to_string()),
            ),
        }
    }

    fn show(&self, relative: &str) -> String {
        self.dir.join(relative).to_string()
    }
}

/// The client's application manifest (SXS-1): its RT_MANIFEST 1, else `<exe>.manifest`; with
/// the name the trace gives it.
fn app_manifest(m: &Machine, exe: &WinPath) -> Option<(Vec<u8>, String)> {
    let f = m.fs.get(exe)?;
    let embedded = f.embedded_manifest.clone().or_else(|| {
        comsim_manifest::pe::embedded_manifest(&f.bytes, 1)
            .ok()
            .flatten()
            .map(|m| m.bytes)
    });
    if let Some(b) = embedded {
        return Some((b, format!("{exe}#RT_MANIFEST/1")));
    }
    let beside = exe.parent().join(&format!("{}.manifest", exe.file_name()));
    m.fs.get(&beside)
        .map(|f| (f.bytes.clone(), beside.to_string()))
}

/// The first dependency that cannot be satisfied on its own: the one the loader stopped at.
fn failing_dependency<'a>(
    app: &'a Manifest,
    dir: &MachineDir<'_>,
) -> Option<(&'a Dependency, ContextError)> {
    app.dependencies
        .iter()
        .filter(|d| !d.optional)
        .find_map(|d| {
            let alone = Manifest {
                dependencies: vec![d.clone()],
                ..app.clone()
            };
            build_context(alone, dir).err().map(|e| (d, e))
        })
}

pub(super) fn sxs_manifest_refused(ctx: &Ctx<'_>) -> Option<Finding> {
    let failed_here = ctx
        .run
        .run
        .trace
        .steps
        .iter()
        .any(|s| matches!(s.code, Some("dependency-unsatisfied" | "manifest-invalid")));
    if !failed_here
        || !matches!(
            ctx.run.run.outcome,
            Outcome::StartupFailure {
                error: Some(14001),
                ..
            }
        )
    {
        return None;
    }
    let m = ctx.m();
    let exe = ctx.loaded.client.path();
    let (bytes, shown) = app_manifest(m, exe)?;
    let app = match parse_manifest(&shown, &bytes) {
        Ok(app) => app,
        Err(d) => {
            let line = d.location.as_ref().map_or(1, |l| l.line);
            return Some(finding(
                &SXS_MANIFEST_REFUSED,
                format!(
                    "The application manifest {shown} does not parse (line {line}: {}), so the loader cannot build the process's activation context and the process does not start: 14001.",
                    d.message
                ),
                vec![ev(
                    Rule::Sxs2,
                    format!("{shown}:{line}"),
                    format!("{}: {}", d.code.name(), d.message),
                )],
            ));
        }
    };
    let dir = MachineDir {
        m,
        dir: exe.parent(),
    };
    let (dep, err) = failing_dependency(&app, &dir)?;
    Some(dependency_finding(ctx, &dir, &shown, dep, &err))
}

/// The probe that found a file the loader refused, if one did (a component whose identity does
/// not match, whose manifest is malformed, or a DLL without one).
fn refused_probe(err: &ContextError) -> Option<&comsim_manifest::actctx::Probe> {
    err.probes
        .iter()
        .rev()
        .find(|p| !matches!(p.outcome, ProbeOutcome::NotFound | ProbeOutcome::Used))
}

fn dependency_finding(
    ctx: &Ctx<'_>,
    dir: &MachineDir<'_>,
    shown: &str,
    dep: &Dependency,
    err: &ContextError,
) -> Finding {
    let name = &dep.identity.name;
    let line = dep.identity.location.line;
    let mut evidence = vec![ev(
        Rule::Sxs1,
        format!("{shown}:{line}"),
        format!("depends on {}", err.reference),
    )];
    let sentence = match refused_probe(err) {
        Some(p) => {
            let (file, file_line) = component_identity_line(dir, &p.path);
            evidence.push(ev(Rule::Sxs2, format!("{file}:{file_line}"), &err.reason));
            format!(
                "The application manifest {shown} (line {line}) depends on {name}, and the loader refuses the component it finds, {file} (line {file_line}: {}), so the process does not start: 14001.",
                err.reason
            )
        }
        None => {
            evidence.extend(err.probes.iter().map(|p| {
                ev(
                    Rule::Sxs2,
                    probe_path(dir, &p.path).to_string(),
                    "not found",
                )
            }));
            format!(
                "The application manifest {shown} (line {line}) depends on {name}, and none of the files the loader looks for in {} is there, so the process does not start: 14001.",
                dir.dir
            )
        }
    };
    let f = finding(&SXS_MANIFEST_REFUSED, sentence, evidence);
    match refused_probe(err) {
        Some(_) => f,
        None => copy_fix(ctx, dir, name, f),
    }
}

/// A probe's path on the machine (probes name files relative to the application directory).
fn probe_path(dir: &MachineDir<'_>, path: &str) -> WinPath {
    let absolute = path.contains(':') || path.starts_with(r"\\");
    match WinPath::parse(path) {
        Ok(p) if absolute => p,
        _ => dir.dir.join(path),
    }
}

/// A component file the loader refused, and the line of its `assemblyIdentity` (1 when its
/// manifest does not parse).
fn component_identity_line(dir: &MachineDir<'_>, path: &str) -> (WinPath, u32) {
    let at = probe_path(dir, path);
    let Some(f) = dir.m.fs.get(&at) else {
        return (at, 1);
    };
    let bytes = if at.extension().eq_ignore_ascii_case("dll") {
        match comsim_manifest::pe::embedded_manifest(&f.bytes, 1) {
            Ok(Some(m)) => m.bytes,
            _ => f.embedded_manifest.clone().unwrap_or_default(),
        }
    } else {
        f.bytes.clone()
    };
    let line = parse_manifest(&at.to_string(), &bytes)
        .ok()
        .and_then(|m| m.identity.map(|i| i.location.line))
        .unwrap_or(1);
    (at, line)
}

/// A file of the machine named as the loader looks for the component (`name.dll`,
/// `name.manifest`), elsewhere: copied into the application directory, where SXS-2 looks.
fn copy_fix(ctx: &Ctx<'_>, dir: &MachineDir<'_>, name: &str, f: Finding) -> Finding {
    if !ctx.wants_fixes(f.cause) {
        return f;
    }
    let wanted: Vec<String> = candidates(name)
        .iter()
        .take(2)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let found = ctx.m().fs.files().find(|file| {
        wanted.contains(&file.path.file_name().to_ascii_lowercase())
            && file.path.parent() != dir.dir
    });
    let Some(from) = found.map(|file| file.path.clone()) else {
        return f;
    };
    let to = dir.dir.join(from.file_name());
    f.fix(
        format!(
            "Copy {} into the application's folder, where the loader looks for it (SXS-2).",
            from.file_name()
        ),
        vec![FixStep::Copy { from, to }],
    )
}
