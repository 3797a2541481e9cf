//! SXS-1..SXS-8: the process's activation context and LoadCOMClass's lookup in it.
//!
//! At the start of a process: the application manifest (SXS-1), its dependencies probed (SXS-2)
//! and the managed entries they declare (SXS-3). For each LoadCOMClass: `SxsLookupClrGuid` with
//! FIND_ANY or FIND_SURROGATE (SXS-4), the misses of SXS-5 and SXS-6, and the hosting assembly's
//! display name (SXS-7). SXS-8 (a surrogate is a reg-free PIA) is decided in `lcc.rs`.

use comsim_manifest::Guid;
use comsim_manifest::actctx::{ActivationContext, build_context};
use comsim_manifest::identity::{win32_to_fusion_display_name, without_any_language};
use comsim_manifest::lookup::{
    RegistrationKind, RuntimeAsked, ShimInfo, ShimMiss, clr_class_also_com_class, find_shim_info,
};

use crate::hresult::HResult;
use crate::outcome::Outcome;
use crate::process::ExplicitContext;
use crate::req::hresult_outcome;
use crate::session::Session;
use crate::switches::{SwitchValue, SxsDuplicateClsid, SxsLanguageAny};
use crate::trace::{Rule, Trace};
use crate::vfs::{NOT_PROVIDED, Vfs, VfsDirectory, WinPath};

/// A context a step made with CreateActCtx, active around its request (SXS-1).
#[derive(Clone)]
pub(crate) struct ActiveContext {
    pub ctx: ActivationContext,
    /// `lpAssemblyDirectory`: where its components were probed, and where the files its
    /// `comClass` entries name are.
    pub dir: WinPath,
    /// Its manifest, as the trace shows it.
    pub source: String,
}

/// A context an SxS lookup searches (SXS-4, COM-1): the thread's active one, or the process
/// default context.
pub(crate) struct Searched<'a> {
    pub ctx: &'a ActivationContext,
    /// The directory its components' files are in.
    pub dir: WinPath,
    pub active: bool,
}

/// HRESULT_FROM_WIN32(ERROR_SXS_CANT_GEN_ACTCTX): a context CreateActCtx could not make.
pub(crate) const CANT_GEN_ACTCTX: HResult = HResult(0x8007_36B1);

impl Session<'_> {
    /// The contexts SxS lookups search, in order: the context active on the thread, then the
    /// process default context (SXS-1; Wine's `RtlFindActivationContextSectionGuid`).
    pub(crate) fn contexts(&self) -> Vec<Searched<'_>> {
        let mut out = Vec::new();
        if let Some(a) = &self.active {
            out.push(Searched {
                ctx: &a.ctx,
                dir: a.dir.clone(),
                active: true,
            });
        }
        if let Some(ctx) = &self.ctx {
            out.push(Searched {
                ctx,
                dir: self.p.exe.parent(),
                active: false,
            });
        }
        out
    }

    /// SXS-1: runs `f` while a context made by CreateActCtx from `spec` is active on the
    /// thread, as a raw lookup step does; `Err` is the outcome of a context that cannot be made.
    pub fn with_active_context<R>(
        &mut self,
        spec: &ExplicitContext,
        trace: &mut Trace,
        f: impl FnOnce(&Self, &mut Trace) -> R,
    ) -> Result<R, Outcome> {
        let active = self.create_act_ctx(spec, trace)?;
        let source = active.source.clone();
        self.active = Some(active);
        let r = f(self, trace);
        self.deactivate(&source, trace);
        Ok(r)
    }

    /// SXS-1: DeactivateActCtx of the context a step made.
    pub(crate) fn deactivate(&mut self, source: &str, trace: &mut Trace) {
        self.active = None;
        trace
            .push(
                Rule::Sxs1,
                format_args!("DeactivateActCtx: {source} is no longer active"),
            )
            .code("deactivate-actctx");
    }

    /// The contexts a lookup searches, in order: the one active on the thread, then the process
    /// default context (SXS-1).
    pub fn lookup_contexts(&self) -> Vec<&ActivationContext> {
        self.contexts().into_iter().map(|c| c.ctx).collect()
    }

    /// `find_shim_info` over [`Self::contexts`]: the first context that has the GUID decides,
    /// a hit or an SXS-5/SXS-6 miss; one without it passes to the next. `None` when the thread
    /// and the process have no context.
    pub(crate) fn find_shim_info_in(
        &self,
        guid: Guid,
        kind: RegistrationKind,
        asked: RuntimeAsked,
        trace: &mut Trace,
    ) -> Option<Result<ShimInfo, ShimMiss>> {
        let mut last = None;
        for c in self.contexts() {
            match find_shim_info(c.ctx, guid, kind, asked) {
                Err(ShimMiss::NotFound { find }) => {
                    if c.active {
                        trace.push(
                            Rule::Sxs1,
                            format_args!("{guid} is not in the active context: the process default context is searched next"),
                        ).code("not-in-active-context");
                    }
                    last = Some(Err(ShimMiss::NotFound { find }));
                }
                other => return Some(other),
            }
        }
        last
    }

    /// SXS-1, SXS-2: CreateActCtx of a step's manifest, its private dependencies probed in its
    /// assembly directory, then ActivateActCtx. A context that cannot be made is the step's
    /// answer, HRESULT_FROM_WIN32(ERROR_SXS_CANT_GEN_ACTCTX); the process goes on.
    pub(crate) fn create_act_ctx(
        &self,
        spec: &ExplicitContext,
        trace: &mut Trace,
    ) -> Result<ActiveContext, Outcome> {
        let shown = spec.manifest.to_string();
        let Some(file) = self.m.fs.get(&spec.manifest) else {
            trace
                .push(Rule::Sxs1, "CreateActCtx: the manifest file does not exist")
                .code("actctx-manifest-missing")
                .at(shown)
                .found(|| HResult::FILE_NOT_FOUND.to_string());
            return Err(hresult_outcome(HResult::FILE_NOT_FOUND));
        };
        // A DLL or EXE gives its RT_MANIFEST resource 1 (`lpResourceName`), a file its bytes.
        let (bytes, shown) = match &file.embedded_manifest {
            Some(b) => (b.clone(), format!("{shown}#RT_MANIFEST/1")),
            None => (file.bytes.clone(), shown),
        };
        let dir = VfsDirectory {
            vfs: &self.m.fs,
            dir: spec.assembly_directory.clone(),
        };
        let fail = |trace: &mut Trace, why: String| {
            trace
                .push(Rule::Sxs2, format_args!("CreateActCtx fails: {why}"))
                .code("actctx-failed")
                .found(format_args!(
                    "error {}",
                    comsim_manifest::actctx::ERROR_SXS_CANT_GEN_ACTCTX
                ));
            hresult_outcome(CANT_GEN_ACTCTX)
        };
        let app = comsim_manifest::parse_manifest(&shown, &bytes)
            .map_err(|d| fail(trace, format!("{shown} does not parse: {}", d.message)))?;
        trace
            .push(
                Rule::Sxs1,
                format_args!(
                    "CreateActCtx({shown}, lpAssemblyDirectory {}): {} dependencies declared",
                    spec.assembly_directory,
                    app.dependencies.len()
                ),
            )
            .code("create-actctx")
            .at(shown.clone());
        match build_context(app, &dir) {
            Ok(ctx) => {
                trace_built(&ctx, &self.m.fs, trace);
                if self.check_clsid_declared_twice(&ctx, trace).is_err() {
                    return Err(fail(
                        trace,
                        format!("ERROR_SXS_DUPLICATE_CLSID {ERROR_SXS_DUPLICATE_CLSID}"),
                    ));
                }
                trace.push(
                    Rule::Sxs1,
                    format_args!(
                        "ActivateActCtx: {} assemblies, searched before the process default context",
                        ctx.assemblies.len()
                    ),
                ).code("activate-actctx");
                Ok(ActiveContext {
                    ctx,
                    dir: spec.assembly_directory.clone(),
                    source: shown,
                })
            }
            Err(e) => {
                trace_failed(&e, &self.m.fs, trace);
                trace
                    .push(
                        Rule::Sxs1,
                        "CreateActCtx fails: the request is not made, the process goes on",
                    )
                    .code("actctx-request-skipped");
                Err(hresult_outcome(CANT_GEN_ACTCTX))
            }
        }
    }

    /// SXS-1, SXS-2: the application manifest and the context built from it. Returns the
    /// manifest's path (for the config name, SHIM-4).
    pub(crate) fn start_context(
        &mut self,
        trace: &mut Trace,
    ) -> Result<Option<WinPath>, Box<Outcome>> {
        let Some((bytes, path, shown)) = self.app_manifest(trace) else {
            return Ok(None);
        };
        let dir = self.p.exe.parent();
        let app = match comsim_manifest::parse_manifest(&shown, &bytes) {
            Ok(a) => a,
            Err(d) => {
                trace
                    .push(
                        Rule::Sxs2,
                        "the application manifest does not parse: the process does not start",
                    )
                    .code("manifest-invalid")
                    .at(shown)
                    .found(|| d.message.to_string());
                return Err(Box::new(startup_failure(d.message.to_string())));
            }
        };
        let deps = app.dependencies.len();
        let dir_view = VfsDirectory {
            vfs: &self.m.fs,
            dir: dir.clone(),
        };
        let built = build_context(app, &dir_view);
        if built.is_err() {
            trace
                .push(
                    Rule::Sxs1,
                    format_args!("application manifest {shown} ({deps} dependencies declared)"),
                )
                .code("app-manifest")
                .at(shown.clone());
        }
        match built {
            Ok(ctx) => {
                trace
                    .push(
                        Rule::Sxs1,
                        format_args!(
                            "activation context from {shown}: {} assemblies ({deps} dependencies declared)",
                            ctx.assemblies.len()
                        ),
                    ).code("context-built")
                    .at(shown);
                trace_built(&ctx, &self.m.fs, trace);
                self.check_clsid_declared_twice(&ctx, trace)?;
                self.ctx = Some(ctx);
                Ok(Some(path))
            }
            Err(e) => {
                trace_failed(&e, &self.m.fs, trace);
                Err(Box::new(Outcome::StartupFailure {
                    error: Some(e.win32_error),
                    hresult: None,
                    message: e.message.clone(),
                }))
            }
        }
    }

    /// SXS-3: a CLSID one manifest declares as both a `clrClass` and a `comClass`; whether the
    /// context is made anyway is inferred (`sxs-duplicate-clsid`). `Err` when it is not: the
    /// process does not start.
    fn check_clsid_declared_twice(
        &self,
        ctx: &comsim_manifest::actctx::ActivationContext,
        trace: &mut Trace,
    ) -> Result<(), Box<Outcome>> {
        let Some(twice) = clr_class_also_com_class(ctx) else {
            return Ok(());
        };
        // Whether Windows makes a context with such a manifest is inferred.
        let choice = self.sw.sxs_duplicate_clsid();
        let what = format!(
            "{} declares {} as both a clrClass and a comClass",
            twice.source, twice.clsid
        );
        let told = match choice {
            SxsDuplicateClsid::First => {
                "the context is made and the first COM server entry, the clrClass, serves the CLSID"
            }
            SxsDuplicateClsid::Refuse => {
                "no context is made (ERROR_SXS_DUPLICATE_CLSID), the process does not start"
            }
        };
        let step = trace
            .push(Rule::Sxs3, format_args!("{what}: {told}"))
            .code("context-conflict")
            .at(|| twice.com_class.to_string())
            .inferred(choice.setting());
        if choice == SxsDuplicateClsid::Refuse {
            step.found(format_args!("error {ERROR_SXS_DUPLICATE_CLSID}"));
            return Err(Box::new(startup_failure(format!(
                "ERROR_SXS_DUPLICATE_CLSID {ERROR_SXS_DUPLICATE_CLSID}: {what}"
            ))));
        }
        Ok(())
    }

    /// SXS-1: the application manifest: the exe's `RT_MANIFEST` resource 1, else
    /// `APP.exe.manifest` beside it. Gives its bytes, its path and how the trace shows it.
    fn app_manifest(&self, trace: &mut Trace) -> Option<(Vec<u8>, WinPath, String)> {
        let exe = &self.p.exe;
        let dir = exe.parent();
        let beside = dir.join(&format!("{}.manifest", exe.file_name()));
        let found = match self.m.fs.get(exe).and_then(|f| {
            f.embedded_manifest.clone().or_else(|| {
                (!f.bytes.is_empty())
                    .then(|| {
                        comsim_manifest::pe::embedded_manifest(&f.bytes, 1)
                            .ok()
                            .flatten()
                    })
                    .flatten()
                    .map(|m| m.bytes)
            })
        }) {
            Some(b) => (b, exe.clone(), format!("{exe}#RT_MANIFEST/1")),
            None => match self.m.fs.get(&beside) {
                Some(f) => (f.bytes.clone(), beside.clone(), beside.to_string()),
                None => {
                    // On a machine whose files are partial, a manifest nobody declared beside
                    // the exe is unknown: the empty context assumes it absent.
                    let found =
                        self.m
                            .fs
                            .nothing_found(Rule::Sxs1, std::slice::from_ref(&beside), trace);
                    trace
                        .push(
                            Rule::Sxs1,
                            "no application manifest: the activation context is empty",
                        )
                        .code("no-app-manifest")
                        .at(format_args!("{exe} (RT_MANIFEST 1); {beside}"))
                        .found(found);
                    return None;
                }
            },
        };
        Some(found)
    }

    /// The SxS step shared by both CLRs (SXS-4..SXS-8), traced.
    pub(crate) fn sxs_lookup(
        &self,
        guid: Guid,
        kind: RegistrationKind,
        rule: Rule,
        trace: &mut Trace,
    ) -> Option<comsim_manifest::lookup::ShimInfo> {
        let Some(found) = self.find_shim_info_in(guid, kind, RuntimeAsked::No, trace) else {
            trace
                .push(rule, "SxS: no activation context, nothing to look up")
                .code("no-context");
            return None;
        };
        match found {
            Ok(mut info) => {
                trace
                    .push(
                        Rule::Sxs4,
                        format_args!(
                            "SxsLookupClrGuid({guid}, {}) found a {}: {} in {}",
                            kind.find().flag_name(),
                            if info.is_surrogate {
                                "clrSurrogate"
                            } else {
                                "clrClass"
                            },
                            info.class_name,
                            info.assembly_identity
                        ),
                    )
                    .code("sxs-lookup-hit")
                    .at(|| info.location.to_string())
                    .found(format_args!("runtimeVersion {}", info.runtime_version));
                info.assembly = self.any_language_fusion_name(&info, trace);
                Some(info)
            }
            Err(miss) => {
                let (r, text) = match &miss {
                    ShimMiss::NotFound { .. } => (
                        Rule::Sxs4,
                        format!(
                            "SxsLookupClrGuid({guid}, {}): not in the activation context",
                            kind.find().flag_name()
                        ),
                    ),
                    ShimMiss::SurrogateWithRuntimeRequest { source } => (
                        Rule::Sxs5,
                        format!(
                            "a clrSurrogate hit in {source} while a runtime version was asked for: counts as a miss"
                        ),
                    ),
                    ShimMiss::EmptyTypeName { source } => (
                        Rule::Sxs6,
                        format!("the entry in {source} has an empty name: counts as a miss"),
                    ),
                };
                trace.push(r, text).code("sxs-lookup-miss").found("miss");
                None
            }
        }
    }

    /// SXS-7: the hosting assembly's Fusion display name, with the trace step. For an identity
    /// with `language="*"` the translation is inferred (switch `sxs-language-any`): copied as
    /// `culture="*"` as sxshelpers.cpp does, or read as any language and so `culture=neutral`.
    pub(crate) fn any_language_fusion_name(
        &self,
        info: &comsim_manifest::lookup::ShimInfo,
        trace: &mut Trace,
    ) -> String {
        let any = without_any_language(&info.assembly_identity);
        let setting = self.sw.sxs_language_any();
        let name = match (&any, setting) {
            (Some(neutral), SxsLanguageAny::Neutral) => win32_to_fusion_display_name(neutral),
            _ => info.assembly.clone(),
        };
        let step = trace
            .push(
                Rule::Sxs7,
                "the hosting assembly's identity as a Fusion display name",
            )
            .code("hosting-assembly")
            .at(info.assembly_identity.clone())
            .found(name.clone());
        if any.is_some() {
            step.inferred(setting.setting());
        }
        name
    }
}

/// SXS-2, SXS-3: the trace of a context that was made: what each component declares, and every
/// probe.
fn trace_built(ctx: &ActivationContext, fs: &Vfs, trace: &mut Trace) {
    for a in ctx.assemblies.iter().skip(1) {
        let m = &a.manifest;
        let classes: usize = m.files.iter().map(|f| f.com_classes.len()).sum();
        trace
            .push(
                Rule::Sxs3,
                format_args!(
                    "{} declares {} clrClass, {} clrSurrogate, {} comClass",
                    m.identity
                        .as_ref()
                        .map(|i| i.name.as_str())
                        .unwrap_or("(no identity)"),
                    m.clr_classes.len(),
                    m.clr_surrogates.len(),
                    classes
                ),
            )
            .code("context-entries")
            .at(a.source.clone());
    }
    trace_probes(&ctx.probes, fs, trace);
}

/// SXS-2: one step per probe. On a machine whose files are partial, a probe that found no file
/// at a path nobody declared found nothing only as far as anyone knows: the step says the path
/// was not provided, and the outcome takes it to be absent (an assumption).
fn trace_probes(probes: &[comsim_manifest::actctx::Probe], fs: &Vfs, trace: &mut Trace) {
    for probe in probes {
        let found = match probe_path_unknown(probe, fs) {
            Some(path) => {
                trace.assume(Rule::Sxs2, &path);
                NOT_PROVIDED.to_owned()
            }
            None => probe_text(&probe.outcome),
        };
        trace
            .push(Rule::Sxs2, format_args!("probe for {}", probe.reference))
            .code("probe")
            .at(probe.path.clone())
            .found(found);
    }
}

/// The path of a probe that found no file where nothing says whether one exists
/// ([`Vfs::is_unknown`]). The probe names it as the directory view shows a missing file: its
/// full Windows path.
fn probe_path_unknown(probe: &comsim_manifest::actctx::Probe, fs: &Vfs) -> Option<WinPath> {
    if probe.outcome != comsim_manifest::actctx::ProbeOutcome::NotFound {
        return None;
    }
    WinPath::parse(&probe.path)
        .ok()
        .filter(|p| fs.is_unknown(p))
}

/// SXS-2: the trace of a context that could not be made: the probes and the dependency that
/// failed.
fn trace_failed(e: &comsim_manifest::actctx::ContextError, fs: &Vfs, trace: &mut Trace) {
    trace_probes(&e.probes, fs, trace);
    // The failure rests on the failed dependency's own candidates nobody declared.
    let unknown = e
        .probes
        .iter()
        .filter(|p| p.reference == e.reference && probe_path_unknown(p, fs).is_some())
        .count();
    let provided = match unknown {
        0 => String::new(),
        n => format!(
            ", provided that the {n} probed path(s) nobody declared are absent (the outcome's assumptions)"
        ),
    };
    trace
        .push(
            Rule::Sxs2,
            format_args!(
                "dependency {} cannot be satisfied: {}{provided}",
                e.reference, e.reason
            ),
        )
        .code("dependency-unsatisfied")
        .found(format_args!("error {}", e.win32_error));
}

/// SXS-2: what one probe found, as the trace shows it.
pub(crate) fn probe_text(o: &comsim_manifest::actctx::ProbeOutcome) -> String {
    use comsim_manifest::actctx::ProbeOutcome as P;
    match o {
        P::NotFound => "not found".into(),
        P::Used => "used".into(),
        P::NoEmbeddedManifest { detail } => {
            format!("a DLL without RT_MANIFEST 1 ends the search: {detail}")
        }
        P::Malformed { error } => format!("malformed: {error}"),
        P::Mismatch { found, differs } => format!("identity mismatch: {found} ({differs})"),
    }
}

/// SXS-3: two or more COM server entries for one CLSID in a context (winerror.h).
pub(crate) const ERROR_SXS_DUPLICATE_CLSID: u32 = 14023;

/// SXS-2: the process does not start: ERROR_SXS_CANT_GEN_ACTCTX and the loader's message.
pub(crate) fn startup_failure(detail: String) -> Outcome {
    Outcome::StartupFailure {
        error: Some(comsim_manifest::actctx::ERROR_SXS_CANT_GEN_ACTCTX),
        hresult: None,
        message: format!(
            "{} ({detail})",
            comsim_manifest::actctx::SXS_FAILURE_MESSAGE
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::machine::{Bitness, Machine};
    use crate::process::{Apartment, ClientKind, Process};
    use crate::switches::Switches;
    use crate::vfs::{FileKind, VFile};

    const APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="Host" version="1.0.0.0"/>
  <file name="native.dll">
    <comClass clsid="{B6200000-0000-4000-8000-0000000000F1}"/>
  </file>
  <clrClass clsid="{B6200000-0000-4000-8000-0000000000F1}" name="Managed.Chart"/>
</assembly>
"#;

    /// SXS-3 (inferred): a manifest declaring one CLSID as both a comClass and a clrClass makes a
    /// context by default (`sxs-duplicate-clsid=first`), and none with `refuse`: the process does
    /// not start (14001, the detail naming ERROR_SXS_DUPLICATE_CLSID). Either way the step is
    /// marked with the setting.
    #[test]
    fn sxs3_one_clsid_as_com_class_and_clr_class_follows_the_switch() {
        let mut m = Machine::new(Bitness::B64);
        m.fs.insert(data(r"C:\App\Host.exe.manifest", APP))
            .expect("a new file");
        let p = host_process();
        let start = |sw: &Switches| {
            let mut s = Session::start(&m, &p, sw, None);
            let mut trace = Trace::default();
            let started = s.start_context(&mut trace);
            let inferred: Vec<String> = trace
                .steps
                .iter()
                .filter_map(|t| t.inferred.clone())
                .collect();
            (started, inferred)
        };
        let (started, inferred) = start(&Switches::default());
        assert!(started.is_ok());
        assert_eq!(inferred, ["sxs-duplicate-clsid=first"]);

        let mut refuse = Switches::default();
        refuse
            .set("sxs-duplicate-clsid", "refuse")
            .expect("a switch");
        let (started, inferred) = start(&refuse);
        assert_eq!(inferred, ["sxs-duplicate-clsid=refuse"]);
        match started.map(|_| ()).map_err(|o| *o) {
            Err(Outcome::StartupFailure {
                error: Some(14001),
                message,
                ..
            }) => assert!(
                message.contains("ERROR_SXS_DUPLICATE_CLSID 14023"),
                "{message}"
            ),
            other => panic!("not a startup failure: {other:?}"),
        }
    }

    /// A native 64-bit C:\App\Host.exe in an STA.
    fn host_process() -> Process {
        Process {
            client: ClientKind::Native,
            bitness: Bitness::B64,
            elevated: false,
            apartment: Apartment::Sta,
            exe: WinPath::parse(r"C:\App\Host.exe").expect("a path"),
            cwd: WinPath::parse(r"C:\App").expect("a path"),
            preloads_clr: false,
            threads: crate::process::Threads::default(),
        }
    }

    fn data(path: &str, text: &str) -> VFile {
        VFile {
            path: WinPath::parse(path).expect("a path"),
            kind: FileKind::Data,
            bytes: text.as_bytes().to_vec(),
            embedded_manifest: None,
            origin: "test".into(),
        }
    }

    /// SXS-1, SXS-2, SXS-4: a context made with CreateActCtx probes its dependencies in its
    /// assembly directory, and while it is active SxsLookupClrGuid searches it before the process
    /// default context; one that cannot be made is HRESULT_FROM_WIN32(14001) for that request.
    #[test]
    fn sxs1_an_active_context_is_searched_before_the_process_default_context() {
        const PLUGIN: &str = r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="Plugin" version="1.0.0.0"/>
  <dependency><dependentAssembly><assemblyIdentity name="Gauges" version="1.0.0.0"/></dependentAssembly></dependency>
</assembly>"#;
        const GAUGES: &str = r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity name="Gauges" version="1.0.0.0"/>
  <clrClass clsid="{B6200000-0000-4000-8000-0000000000F2}" name="Plugin.Gauge"/>
</assembly>"#;
        let mut m = Machine::new(Bitness::B64);
        let app = APP.replace(
            r#"<file name="native.dll">
    <comClass clsid="{B6200000-0000-4000-8000-0000000000F1}"/>
  </file>
"#,
            "",
        );
        for f in [
            data(r"C:\App\Host.exe.manifest", &app),
            data(r"C:\Plugins\plugin.manifest", PLUGIN),
            data(r"C:\Plugins\Gauges.manifest", GAUGES),
        ] {
            m.fs.insert(f).expect("a new file");
        }
        let p = host_process();
        let sw = Switches::default();
        let mut s = Session::start(&m, &p, &sw, None);
        let spec = |dir: &str| ExplicitContext {
            manifest: WinPath::parse(r"C:\Plugins\plugin.manifest").expect("a path"),
            assembly_directory: WinPath::parse(dir).expect("a path"),
        };
        let gauge = Guid::parse("{B6200000-0000-4000-8000-0000000000F2}").expect("a GUID");
        let chart = Guid::parse("{B6200000-0000-4000-8000-0000000000F1}").expect("a GUID");
        let class = |s: &Session<'_>, g| {
            s.find_shim_info_in(
                g,
                RegistrationKind::Class,
                RuntimeAsked::No,
                &mut Trace::default(),
            )
            .and_then(Result::ok)
            .map(|i| i.class_name)
        };
        assert_eq!(class(&s, gauge), None, "not in the process default context");
        let active = s
            .create_act_ctx(&spec(r"C:\Plugins"), &mut Trace::default())
            .unwrap_or_else(|o| panic!("{o:?}"));
        s.active = Some(active);
        assert_eq!(class(&s, gauge).as_deref(), Some("Plugin.Gauge"));
        assert_eq!(class(&s, chart).as_deref(), Some("Managed.Chart"));
        s.active = None;
        // Probed in the assembly directory: Gauges.manifest is not in C:\App.
        let failed = s.create_act_ctx(&spec(r"C:\App"), &mut Trace::default());
        match failed {
            Err(o) => assert_eq!(o.hresult(), Some(CANT_GEN_ACTCTX)),
            Ok(_) => panic!("the dependency is not in C:\\App"),
        }
    }
}

#[cfg(test)]
mod open_world_tests {
    use super::*;
    use comsim_manifest::actctx::{Probe, ProbeOutcome};

    fn probe(path: &str, outcome: ProbeOutcome) -> Probe {
        Probe {
            reference: "Northwind.Components,version=\"1.0.0.0\"".into(),
            path: path.into(),
            outcome,
        }
    }

    /// SXS-2 (open world): on a machine whose files are partial, a probe that found no file at
    /// a path nobody declared says "not provided" and becomes an assumption of the outcome; a
    /// path declared absent is "not found" and assumes nothing; a used probe is unchanged. With
    /// complete files (the default) no probe is unknown.
    #[test]
    fn sxs2_probes_of_undeclared_paths_are_not_provided_and_assumed_absent() {
        let absent = r"C:\App\Northwind.Components.dll";
        let undeclared = r"C:\App\Northwind.Components.manifest";
        let probes = [
            probe(absent, ProbeOutcome::NotFound),
            probe(undeclared, ProbeOutcome::NotFound),
            probe(
                r"C:\App\Northwind.Components\Northwind.Components.manifest",
                ProbeOutcome::Used,
            ),
        ];
        let mut fs = Vfs::new();
        fs.declare_absent(WinPath::parse(absent).unwrap(), "test".into())
            .unwrap();

        let mut closed = Trace::default();
        trace_probes(&probes, &fs, &mut closed);
        assert!(closed.assumptions.is_empty());
        assert_eq!(closed.steps[1].found.as_deref(), Some("not found"));

        fs.set_partial(Vec::new());
        let mut open = Trace::default();
        trace_probes(&probes, &fs, &mut open);
        let found: Vec<_> = open.steps.iter().map(|s| s.found.as_deref()).collect();
        assert_eq!(found, [Some("not found"), Some(NOT_PROVIDED), Some("used")]);
        assert_eq!(open.assumptions.len(), 1);
        assert_eq!(open.assumptions[0].rule, Rule::Sxs2);
        assert_eq!(open.assumptions[0].path, undeclared);
    }

    /// SXS-2 (open world): a dependency that cannot be satisfied says its failure rests on its
    /// own candidates nobody declared, not on those of a dependency resolved before it (whose
    /// unknown probes are still assumptions of the outcome).
    #[test]
    fn sxs2_a_failed_dependency_counts_its_own_unknown_candidates() {
        let mut other = probe(r"C:\App\Northwind.Components.dll", ProbeOutcome::NotFound);
        other.reference = "Northwind.Other".into();
        let used = Probe {
            reference: "Northwind.Other".into(),
            path: r"C:\App\Northwind.Other.manifest".into(),
            outcome: ProbeOutcome::Used,
        };
        let failed = probe(
            r"C:\App\Northwind.Components.manifest",
            ProbeOutcome::NotFound,
        );
        let e = comsim_manifest::actctx::ContextError {
            win32_error: comsim_manifest::actctx::ERROR_SXS_CANT_GEN_ACTCTX,
            message: String::new(),
            reference: failed.reference.clone(),
            reason: "no candidate file exists in the application directory".into(),
            probes: vec![other, used, failed],
        };
        let mut fs = Vfs::new();
        fs.set_partial(Vec::new());
        let mut t = Trace::default();
        trace_failed(&e, &fs, &mut t);
        assert_eq!(t.assumptions.len(), 2);
        let last = t.steps.last().unwrap();
        assert!(
            last.text
                .ends_with("provided that the 1 probed path(s) nobody declared are absent (the outcome's assumptions)"),
            "{}",
            last.text
        );
    }
}
