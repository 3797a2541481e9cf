//! SXS-1..SXS-8: the process's activation context and LoadCOMClass's lookup in it.
//!
//! At the start of a process: the application manifest (SXS-1), its dependencies probed (SXS-2)
//! and the managed entries they declare (SXS-3). For each LoadCOMClass: `SxsLookupClrGuid` with
//! FIND_ANY or FIND_SURROGATE (SXS-4), the misses of SXS-5 and SXS-6, and the hosting assembly's
//! display name (SXS-7). SXS-8 (a surrogate is a reg-free PIA) is decided in `lcc.rs`.

use comsim_manifest::Guid;
use comsim_manifest::actctx::build_context;
use comsim_manifest::identity::{win32_to_fusion_display_name, without_any_language};
use comsim_manifest::lookup::{
    RegistrationKind, RuntimeAsked, ShimMiss, clr_class_also_com_class, find_shim_info,
};

use crate::outcome::Outcome;
use crate::session::Session;
use crate::switches::{SwitchValue, SxsDuplicateClsid, SxsLanguageAny};
use crate::trace::{Rule, Trace};
use crate::vfs::{VfsDirectory, WinPath};

impl Session<'_> {
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
                    .found(d.message.to_string());
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
                    format!("application manifest {shown} ({deps} dependencies declared)"),
                )
                .code("app-manifest")
                .at(shown.clone());
        }
        match built {
            Ok(ctx) => {
                trace
                    .push(
                        Rule::Sxs1,
                        format!(
                            "activation context from {shown}: {} assemblies ({deps} dependencies declared)",
                            ctx.assemblies.len()
                        ),
                    ).code("context-built")
                    .at(shown);
                for a in ctx.assemblies.iter().skip(1) {
                    let m = &a.manifest;
                    let classes: usize = m.files.iter().map(|f| f.com_classes.len()).sum();
                    trace
                        .push(
                            Rule::Sxs3,
                            format!(
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
                for probe in &ctx.probes {
                    trace
                        .push(Rule::Sxs2, format!("probe for {}", probe.reference))
                        .code("probe")
                        .at(probe.path.clone())
                        .found(probe_text(&probe.outcome));
                }
                self.check_clsid_declared_twice(&ctx, trace)?;
                self.ctx = Some(ctx);
                Ok(Some(path))
            }
            Err(e) => {
                for probe in &e.probes {
                    trace
                        .push(Rule::Sxs2, format!("probe for {}", probe.reference))
                        .code("probe")
                        .at(probe.path.clone())
                        .found(probe_text(&probe.outcome));
                }
                trace
                    .push(
                        Rule::Sxs2,
                        format!(
                            "dependency {} cannot be satisfied: {}",
                            e.reference, e.reason
                        ),
                    )
                    .code("dependency-unsatisfied")
                    .found(format!("error {}", e.win32_error));
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
            .push(Rule::Sxs3, format!("{what}: {told}"))
            .code("context-conflict")
            .at(twice.com_class.to_string())
            .inferred(choice.setting());
        if choice == SxsDuplicateClsid::Refuse {
            step.found(format!("error {ERROR_SXS_DUPLICATE_CLSID}"));
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
                    trace
                        .push(
                            Rule::Sxs1,
                            "no application manifest: the activation context is empty",
                        )
                        .code("no-app-manifest")
                        .at(format!("{exe} (RT_MANIFEST 1); {beside}"))
                        .found("nothing");
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
        let Some(ctx) = &self.ctx else {
            trace
                .push(rule, "SxS: no activation context, nothing to look up")
                .code("no-context");
            return None;
        };
        match find_shim_info(ctx, guid, kind, RuntimeAsked::No) {
            Ok(mut info) => {
                trace
                    .push(
                        Rule::Sxs4,
                        format!(
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
                    .at(info.location.to_string())
                    .found(format!("runtimeVersion {}", info.runtime_version));
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
        m.fs.insert(VFile {
            path: WinPath::parse(r"C:\App\Host.exe.manifest").expect("a path"),
            kind: FileKind::Data,
            bytes: APP.as_bytes().to_vec(),
            embedded_manifest: None,
            origin: "test".into(),
        })
        .expect("a new file");
        let p = Process {
            client: ClientKind::Native,
            bitness: Bitness::B64,
            elevated: false,
            apartment: Apartment::Sta,
            exe: WinPath::parse(r"C:\App\Host.exe").expect("a path"),
            cwd: WinPath::parse(r"C:\App").expect("a path"),
            preloads_clr: false,
        };
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
}
