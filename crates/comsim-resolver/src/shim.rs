//! SHIM-1..SHIM-5: mscoree.dll, the shim that starts a runtime for COM activation.
//!
//! The process's `.config` read at start (SHIM-4), the client's own CLR (SHIM-2, SHIM-3), and
//! for an InprocServer32 of mscoree.dll: the registration's runtime version (SHIM-1), the runtime
//! chosen for it (SHIM-2, with the config's `supportedRuntime` and legacy policy of SHIM-4),
//! runtimes side by side (SHIM-3), and the class resolved in that runtime (SHIM-5). A client may
//! also call mscoree's DllGetClassObject itself, without COM (SHIM-5).

use comsim_manifest::Guid;
use comsim_manifest::identity::without_any_language;
use comsim_manifest::lookup::{RegistrationKind, RuntimeAsked};
use comsim_registry::Access;

use crate::bind::Failure;
use crate::hresult::HResult;
use crate::machine::RuntimeVersion;
use crate::outcome::{LoadedType, Outcome, Server, ServerKind, Source};
use crate::process::{Apartment, ClientKind};
use crate::session::{ConfigView, Session};
use crate::shimreg;
use crate::switches::{MscoreeNoClass, SwitchValue};
use crate::sxs::startup_failure;
use crate::trace::{Rule, Trace, TraceMode};
use crate::vfs::WinPath;

/// Where a managed class for mscoree comes from: the activation context or the registry.
pub(crate) enum ManagedOrigin {
    /// A `clrClass` of the context: its runtimeVersion, type name and assembly display name.
    Sxs {
        runtime: String,
        class: String,
        assembly: String,
    },
    Registry,
}

impl Session<'_> {
    /// SHIM-2, SHIM-3, SHIM-4 at the start: the CLR the client runs on (or the host has
    /// preloaded), and a legacy policy that binds legacy activation to it. A CLR that is not
    /// installed ends the start.
    pub(crate) fn start_runtime(&mut self, clr: Option<(u32, u32)>, trace: &mut Trace) {
        if let (true, Some((major, minor))) = (Self::clr_matters(self.p), clr) {
            match self.m.installed(major, minor) {
                Some(v) => {
                    let who = if self.p.client == ClientKind::Managed {
                        "the client runs on"
                    } else {
                        "the host has already loaded"
                    };
                    trace
                        .push(Rule::Shim3, format_args!("{who} CLR {v}"))
                        .code("client-runtime")
                        .at(|| self.p.exe.to_string());
                    if self.p.client == ClientKind::Managed {
                        self.clr = Some(v.clone());
                    }
                    self.loaded.push(v.clone());
                    if self.config.use_legacy_v2 && v.major >= 4 {
                        trace.push(
                            Rule::Shim4,
                            format_args!("useLegacyV2RuntimeActivationPolicy=\"true\": legacy COM activation is bound to {v}; CLR 2 cannot load in this process"),
                        ).code("legacy-v2-policy-blocks-clr2");
                        self.legacy_bound = Some(v.clone());
                    }
                }
                None => {
                    trace
                        .push(
                            Rule::Shim2,
                            format_args!("CLR {major}.{minor} is not installed"),
                        )
                        .code("clr-not-installed")
                        .found(|| HResult::CLR_E_SHIM_RUNTIMELOAD.to_string());
                    self.failed = Some(Outcome::StartupFailure {
                        error: None,
                        hresult: Some(HResult::CLR_E_SHIM_RUNTIMELOAD),
                        message: format!(
                            "CLR {major}.{minor} is not installed on this machine: the process cannot start on it ({} {}).",
                            HResult::CLR_E_SHIM_RUNTIMELOAD,
                            HResult::CLR_E_SHIM_RUNTIMELOAD.system_message()
                        ),
                    });
                }
            }
        }
    }
}

impl Session<'_> {
    /// SHIM-4: the config file named after the manifest (or the exe), parsed.
    pub(crate) fn start_config(
        &mut self,
        manifest: Option<WinPath>,
        trace: &mut Trace,
    ) -> Result<(), Box<Outcome>> {
        let base = manifest.unwrap_or_else(|| self.p.exe.clone());
        // GetConfigFileFromWin32Manifest: drop the last extension unless it is .exe.
        let stem_path = if base.extension() == "exe" {
            base.clone()
        } else {
            base.parent().join(base.file_stem())
        };
        let path = stem_path
            .parent()
            .join(&format!("{}.config", stem_path.file_name()));
        let Some(file) = self.m.fs.get(&path) else {
            let found = self
                .m
                .fs
                .nothing_found(Rule::Shim4, std::slice::from_ref(&path), trace);
            trace
                .push(Rule::Shim4, "no configuration file")
                .code("no-config")
                .at(|| path.to_string())
                .found(found);
            return Ok(());
        };
        match comsim_appconfig::parse_config(&file.path.to_string(), &file.bytes) {
            Ok(cfg) => {
                let startup = cfg.startup.as_ref();
                self.config = ConfigView {
                    path: Some(path.clone()),
                    supported_runtimes: startup
                        .map(|s| {
                            s.supported_runtimes
                                .iter()
                                .map(|r| r.version.clone())
                                .collect()
                        })
                        .unwrap_or_default(),
                    use_legacy_v2: startup
                        .is_some_and(|s| s.use_legacy_v2_runtime_activation_policy),
                    private_paths: cfg.private_paths.clone(),
                    dependent_assemblies: crate::bind::DependentAssemblies::new(
                        cfg.dependent_assemblies.clone(),
                    ),
                    load_from_remote_sources: cfg.load_from_remote_sources,
                };
                let c = &self.config;
                trace
                    .push(Rule::Shim4, || {
                        format!(
                            "configuration: supportedRuntime [{}], useLegacyV2RuntimeActivationPolicy={}, privatePath [{}]",
                            c.supported_runtimes.join(", "),
                            c.use_legacy_v2,
                            c.private_paths.join(";")
                        )
                    })
                    .code("config")
                    .at(|| path.to_string());
                Ok(())
            }
            Err(d) => {
                let (why, outcome) = if comsim_appconfig::SXS_REJECTS.contains(&d.code) {
                    (
                        "the configuration file is not a well-formed <configuration> without a namespace: the side-by-side loader, which reads it when it creates the process's activation context, refuses to start the process",
                        startup_failure(format!("{path}: {}", d.message)),
                    )
                } else {
                    (
                        "the configuration file does not parse: the runtime refuses to start",
                        Outcome::StartupFailure {
                            error: None,
                            hresult: None,
                            message: format!(
                                "Configuration system failed to initialize: {}",
                                d.message
                            ),
                        },
                    )
                };
                trace
                    .push(Rule::Shim4, why)
                    .code("config-error")
                    .at(|| path.to_string())
                    .found(|| d.to_string());
                Err(Box::new(outcome))
            }
        }
    }

    /// mscoree.dll as the in-process server: the registration's runtime (SHIM-1), the runtime
    /// chosen for it (SHIM-2..SHIM-4), and the class resolved in that runtime (SHIM-5).
    pub(crate) fn mscoree(
        &mut self,
        clsid: Guid,
        origin: ManagedOrigin,
        threading_model: Option<&str>,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Result<Server, HResult> {
        let (runtime, started, loaded) = self
            .mscoree_class(clsid, origin, trace)
            .map_err(|hr| self.no_class(hr, trace))?;
        let apt = self.place_object(apartment, threading_model, trace);
        Ok(Server {
            kind: ServerKind::InprocManaged,
            clsid,
            file: "mscoree.dll".into(),
            process: "client process".into(),
            apartment: Some(apt),
            runtime: Some(runtime),
            runtime_started: started,
            managed: Some(loaded),
        })
    }

    /// SHIM-5: the client loaded mscoree.dll itself and calls its DllGetClassObject. COM does
    /// not run: no TreatAs, no InprocServer32 or ThreadingModel, no apartment placement. mscoree
    /// looks the class up as it does for COM (the activation context, then the registration,
    /// SHIM-1..SHIM-5), and answers a class it cannot find by the switch `mscoree-no-class`.
    pub(crate) fn mscoree_get_class_object(
        &mut self,
        clsid: Guid,
        trace: &mut Trace,
    ) -> Result<Server, HResult> {
        trace.push(
            Rule::Shim5,
            "COM does not run: no TreatAs (COM-2), no InprocServer32 or ThreadingModel (COM-3), no apartment (COM-5); mscoree looks the class up itself",
        ).code("com-skipped");
        // Whether a context declares the class; the lookup is traced when mscoree asks again
        // for the runtime version.
        let in_context = self
            .find_shim_info_in(
                clsid,
                RegistrationKind::Class,
                RuntimeAsked::No,
                // Not shown: nothing of it needs prose.
                &mut Trace::new(TraceMode::Quiet),
            )
            .and_then(Result::ok);
        let origin = match in_context {
            Some(info) => ManagedOrigin::Sxs {
                runtime: info.runtime_version,
                class: info.class_name,
                assembly: info.assembly,
            },
            None => ManagedOrigin::Registry,
        };
        let (runtime, started, loaded) = self
            .mscoree_class(clsid, origin, trace)
            .map_err(|hr| self.no_class(hr, trace))?;
        trace
            .push(
                Rule::Shim5,
                format_args!(
                    "DllGetClassObject returns the runtime's class factory for {}",
                    loaded.type_name
                ),
            )
            .code("class-factory");
        Ok(Server {
            kind: ServerKind::InprocManaged,
            clsid,
            file: "mscoree.dll".into(),
            process: "client process".into(),
            apartment: None,
            runtime: Some(runtime),
            runtime_started: started,
            managed: Some(loaded),
        })
    }

    /// SHIM-5 (inferred): mscoree found no class for the CLSID (SHIM-REG-7's REGDB_E_CLASSNOTREG);
    /// what its DllGetClassObject answers. Other failures pass through.
    fn no_class(&self, hr: HResult, trace: &mut Trace) -> HResult {
        if hr != HResult::REGDB_E_CLASSNOTREG {
            return hr;
        }
        let value = self.sw.mscoree_no_class();
        let answer = match value {
            MscoreeNoClass::ClassNotReg => HResult::REGDB_E_CLASSNOTREG,
            MscoreeNoClass::ClassNotAvailable => HResult::CLASS_E_CLASSNOTAVAILABLE,
        };
        trace
            .push(
                Rule::Shim5,
                format_args!(
                    "mscoree finds no class: DllGetClassObject returns {}",
                    answer.info().map_or("", |i| i.name)
                ),
            )
            .code("mscoree-no-class")
            .found(|| answer.to_string())
            .inferred(value.setting());
        answer
    }

    /// What mscoree does in whichever process loaded it (the client, or a surrogate): SHIM-1..
    /// SHIM-5 and the bind. Gives the runtime, whether it started, and the type loaded.
    pub(crate) fn mscoree_class(
        &mut self,
        clsid: Guid,
        origin: ManagedOrigin,
        trace: &mut Trace,
    ) -> Result<(RuntimeVersion, bool, LoadedType), HResult> {
        let access = self.clr_access();
        let origin = self.context_entry_with_runtime(clsid, origin, trace);
        let requested = self.requested_runtime(clsid, &origin, &access, trace)?;
        let runtime = self.choose_runtime(&requested, trace)?;
        let started = self.load_runtime(&runtime, trace);
        let (class, display, codebase, source) =
            self.class_in_runtime(clsid, origin, &runtime, &access, trace)?;
        let (path, assembly, _) = self
            .bind_type(&display, &class, codebase.as_deref(), &runtime, trace)
            .map_err(|f: Failure| {
                if f.hresult == HResult::FILE_NOT_FOUND {
                    trace.push(
                        Rule::Bind5,
                        "the runtime returns 0x80070002 from the class factory to CoCreateInstance",
                    ).code("class-factory-file-not-found");
                }
                f.hresult
            })?;
        Ok((
            runtime.clone(),
            started,
            LoadedType {
                type_name: class,
                assembly,
                path,
                runtime,
                source,
                pia: false,
                com_import: false,
            },
        ))
    }

    /// SXS-5, SXS-6: mscoree asks the activation context again, for the runtime version; a
    /// surrogate or an empty name fails the lookup, and mscoree falls back to the registry
    /// (SHIM-1).
    fn context_entry_with_runtime(
        &self,
        clsid: Guid,
        origin: ManagedOrigin,
        trace: &mut Trace,
    ) -> ManagedOrigin {
        match origin {
            ManagedOrigin::Sxs { .. } => {
                let found = self.find_shim_info_in(
                    clsid,
                    RegistrationKind::Class,
                    RuntimeAsked::Yes,
                    trace,
                );
                match found {
                    Some(Ok(info)) => {
                        // SXS-7's inferred corner (`language="*"`) is traced where it decides.
                        let any = without_any_language(&info.assembly_identity).is_some();
                        let assembly = if any {
                            self.any_language_fusion_name(&info, trace)
                        } else {
                            info.assembly
                        };
                        ManagedOrigin::Sxs {
                            runtime: info.runtime_version,
                            class: info.class_name,
                            assembly,
                        }
                    }
                    other => {
                        use comsim_manifest::lookup::ShimMiss;
                        let why = match other {
                            Some(Err(ShimMiss::SurrogateWithRuntimeRequest { source })) => {
                                trace.push(Rule::Sxs5, format_args!("mscoree asks the context for the runtime version; {source} answers with a clrSurrogate, so the lookup fails")).code("context-surrogate-runtime");
                                Rule::Sxs5
                            }
                            Some(Err(ShimMiss::EmptyTypeName { source })) => {
                                trace.push(Rule::Sxs6, format_args!("the context entry in {source} has an empty name: the lookup fails")).code("context-empty-name");
                                Rule::Sxs6
                            }
                            _ => Rule::Sxs4,
                        };
                        trace.push(
                            Rule::Shim1,
                            format_args!("the context gave nothing ({why}): mscoree falls back to the registry"),
                        ).code("context-gave-nothing");
                        ManagedOrigin::Registry
                    }
                }
            }
            o => o,
        }
    }

    /// SHIM-1: the runtime version the component asks for: the context entry's, or the
    /// registration's (SHIM-REG-8). A registration without one is REGDB_E_CLASSNOTREG.
    fn requested_runtime(
        &self,
        clsid: Guid,
        origin: &ManagedOrigin,
        access: &Access,
        trace: &mut Trace,
    ) -> Result<String, HResult> {
        Ok(match origin {
            ManagedOrigin::Sxs { runtime, .. } => {
                trace
                    .push(
                        Rule::Shim1,
                        format_args!(
                            "mscoree: the activation context's runtimeVersion is {runtime}"
                        ),
                    )
                    .code("context-runtime");
                runtime.clone()
            }
            ManagedOrigin::Registry => {
                trace
                    .push(
                        Rule::Shim1,
                        "mscoree reads the registration's runtime version",
                    )
                    .code("registry-runtime");
                match shimreg::find_runtime_version(
                    &self.m.registry,
                    clsid,
                    access,
                    self.other_view(),
                    trace,
                ) {
                    Some(info) => info.runtime,
                    None => return Err(HResult::REGDB_E_CLASSNOTREG),
                }
            }
        })
    }

    /// SHIM-3: the chosen runtime starts in the process, beside those already loaded, unless it
    /// is loaded already. Says whether it started.
    fn load_runtime(&mut self, runtime: &RuntimeVersion, trace: &mut Trace) -> bool {
        let started = !self.loaded.contains(runtime);
        if started {
            let beside: Vec<String> = self.loaded.iter().map(|r| r.to_string()).collect();
            trace
                .push(
                    Rule::Shim3,
                    if beside.is_empty() {
                        format!("CLR {runtime} starts in the process")
                    } else {
                        format!(
                            "CLR {runtime} starts in-process side by side with {}",
                            beside.join(", ")
                        )
                    },
                )
                .code("clr-starts");
            self.loaded.push(runtime.clone());
        } else {
            trace
                .push(
                    Rule::Shim3,
                    format_args!("CLR {runtime} is already loaded in the process: it is used"),
                )
                .code("clr-already-loaded");
        }
        started
    }

    /// SHIM-5: the chosen runtime resolves the class itself: from the context entry, or from the
    /// registry capped at that runtime (SHIM-REG). Gives the class, the assembly's display name,
    /// the CodeBase and where they came from.
    fn class_in_runtime(
        &self,
        clsid: Guid,
        origin: ManagedOrigin,
        runtime: &RuntimeVersion,
        access: &Access,
        trace: &mut Trace,
    ) -> Result<(String, String, Option<String>, Source), HResult> {
        Ok(match origin {
            ManagedOrigin::Sxs {
                class, assembly, ..
            } => {
                trace
                    .push(
                        Rule::Shim5,
                        format_args!("{runtime} takes the class from the activation context"),
                    )
                    .code("class-from-context");
                (class, assembly, None, Source::Sxs)
            }
            ManagedOrigin::Registry => {
                trace
                    .push(
                        Rule::Shim5,
                        format_args!(
                            "{runtime} resolves the class from the registry, capped at {}",
                            runtime.family()
                        ),
                    )
                    .code("class-from-registry");
                match shimreg::find_shim_info(
                    &self.m.registry,
                    clsid,
                    RegistrationKind::Class,
                    Some(runtime),
                    access,
                    self.other_view(),
                    trace,
                ) {
                    Some(hit) => (hit.class, hit.assembly, hit.codebase, Source::Registry),
                    None => return Err(HResult::REGDB_E_CLASSNOTREG),
                }
            }
        })
    }

    /// SHIM-2..SHIM-4: which runtime serves a component built for `requested`.
    pub(crate) fn choose_runtime(
        &mut self,
        requested: &str,
        trace: &mut Trace,
    ) -> Result<RuntimeVersion, HResult> {
        let fail = |trace: &mut Trace, why: String| {
            trace
                .push(Rule::Shim2, format_args!("{why}: CLR_E_SHIM_RUNTIMELOAD"))
                .code("runtime-load-failed")
                .found(|| HResult::CLR_E_SHIM_RUNTIMELOAD.to_string());
            HResult::CLR_E_SHIM_RUNTIMELOAD
        };
        let req = RuntimeVersion::parse(requested)
            .unwrap_or_else(|| RuntimeVersion::parse(shimreg::V1_RUNTIME).expect("valid"));
        let latest_pre_v4 = || {
            self.m
                .clrs
                .iter()
                .filter(|c| c.is_pre_v4())
                .max_by(|a, b| a.cmp_full(b))
                .cloned()
        };
        let latest_v4 = || {
            self.m
                .clrs
                .iter()
                .filter(|c| !c.is_pre_v4())
                .max_by(|a, b| a.cmp_full(b))
                .cloned()
        };
        let mut chosen = if !req.is_pre_v4() {
            match latest_v4() {
                Some(v) => {
                    trace
                        .push(
                            Rule::Shim2,
                            format_args!("a {requested} component runs on its own runtime {v}"),
                        )
                        .code("own-runtime");
                    v
                }
                None => {
                    return Err(fail(
                        trace,
                        format!("a {requested} component needs CLR 4, which is not installed"),
                    ));
                }
            }
        } else if let Some(bound) = self
            .legacy_bound
            .clone()
            .or_else(|| self.legacy_policy_runtime(trace))
        {
            trace.push(
                Rule::Shim4,
                format_args!("useLegacyV2RuntimeActivationPolicy: the {requested} component is activated on {bound}"),
            ).code("legacy-v2-policy");
            bound
        } else if let Some(v) = self.configured_runtime(trace) {
            v
        } else {
            match latest_pre_v4() {
                Some(v) => {
                    trace.push(
                        Rule::Shim2,
                        format_args!("no supportedRuntime applies: a {requested} component runs on the latest runtime below v4, {v}"),
                    ).code("latest-below-v4");
                    v
                }
                None => {
                    return Err(fail(
                        trace,
                        format!(
                            "a {requested} component needs a runtime below v4, and none is installed"
                        ),
                    ));
                }
            }
        };
        // SHIM-3: CLR 1.x and 2.0 cannot share a process.
        if chosen.is_pre_v4()
            && let Some(other) = self
                .loaded
                .iter()
                .find(|l| l.is_pre_v4() && l.cmp_major_minor(&chosen).is_ne())
                .cloned()
        {
            if other.cmp_major_minor(&req).is_ge() {
                trace.push(
                    Rule::Shim3,
                    format_args!("{chosen} cannot load beside {other}, which is already loaded and can run a {requested} component: {other} is used"),
                ).code("runtime-conflict-other-serves");
                chosen = other;
            } else {
                trace
                    .push(
                        Rule::Shim3,
                        format_args!("{chosen} cannot load beside {other}, and {other} cannot run a {requested} component"),
                    ).code("runtime-conflict")
                    .found(|| HResult::CLR_E_SHIM_RUNTIMELOAD.to_string());
                return Err(HResult::CLR_E_SHIM_RUNTIMELOAD);
            }
        }
        Ok(chosen)
    }

    /// SHIM-4 with `useLegacyV2RuntimeActivationPolicy="true"`: legacy activation is bound to the
    /// first installed `supportedRuntime`, for the rest of the process's life.
    pub(crate) fn legacy_policy_runtime(&mut self, trace: &mut Trace) -> Option<RuntimeVersion> {
        if !self.config.use_legacy_v2 {
            return None;
        }
        let chosen = self.config.supported_runtimes.iter().find_map(|v| {
            let parsed = RuntimeVersion::parse(v)?;
            self.m.installed(parsed.major, parsed.minor).cloned()
        })?;
        trace.push(
            Rule::Shim4,
            format_args!("useLegacyV2RuntimeActivationPolicy=\"true\": legacy COM activation is bound to {chosen}, the first installed supportedRuntime"),
        ).code("legacy-v2-policy-bound");
        self.legacy_bound = Some(chosen.clone());
        Some(chosen)
    }

    /// SHIM-4 without the legacy policy: the first `supportedRuntime` that is installed; legacy
    /// activation stays below v4.
    pub(crate) fn configured_runtime(&self, trace: &mut Trace) -> Option<RuntimeVersion> {
        if self.config.supported_runtimes.is_empty() {
            return None;
        }
        for v in &self.config.supported_runtimes {
            let Some(parsed) = RuntimeVersion::parse(v) else {
                continue;
            };
            if !parsed.is_pre_v4() {
                continue;
            }
            if let Some(installed) = self.m.installed(parsed.major, parsed.minor) {
                trace.push(
                    Rule::Shim4,
                    format_args!("supportedRuntime {v} is the first installed runtime below v4 the config lists: {installed}"),
                ).code("supported-runtime");
                return Some(installed.clone());
            }
        }
        trace.push(
            Rule::Shim4,
            "the config lists no installed runtime below v4 (legacy activation is not bound to v4 without useLegacyV2RuntimeActivationPolicy)",
        ).code("no-supported-runtime-below-v4");
        None
    }
}

/// The file name part of a path as the registry holds it (`C:\Windows\System32\mscoree.dll`).
pub(crate) fn file_name_of(path: &str) -> &str {
    let p = path.trim().trim_matches('"');
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

/// The runtime the real machine starts a managed client on (SHIM-2, SHIM-4): the shim reads the
/// `<supportedRuntime>` list of the client's `.config` in order and takes the first one that is
/// installed; without one, the runtime the exe was built for. A client built for a runtime
/// before v4 moves to the newest installed one before v4 when its own is missing, never to v4;
/// a client built for v4 has nowhere to go. `useLegacyV2RuntimeActivationPolicy` does not
/// change the choice (it binds legacy COM activation to the runtime chosen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRuntime {
    /// The client runs on `runtime`; `why` says what chose it.
    Runs {
        runtime: RuntimeVersion,
        why: String,
    },
    /// No runtime the client accepts is installed: the process does not start.
    NotStarted { why: String },
}

impl Session<'_> {
    /// SHIM-2, SHIM-4: the runtime the real machine gives this managed client, from its exe's
    /// runtime and its `.config` (read by [`Session::start_config`]). `None` for a client that is
    /// not a managed assembly.
    pub(crate) fn client_runtime(&self) -> Option<ClientRuntime> {
        if self.p.client != ClientKind::Managed {
            return None;
        }
        let built = &self.m.fs.get(&self.p.exe)?.assembly()?.runtime;
        let listed = &self.config.supported_runtimes;
        if !listed.is_empty() {
            let list = listed.join(", ");
            return Some(
                match listed.iter().find_map(|v| {
                    let parsed = RuntimeVersion::parse(v)?;
                    Some((v, self.m.installed(parsed.major, parsed.minor)?))
                }) {
                    Some((v, installed)) => ClientRuntime::Runs {
                        runtime: installed.clone(),
                        why: format!(
                            "the client's .config lists supportedRuntime {list}, and {v} is the first one installed (SHIM-4)"
                        ),
                    },
                    None => ClientRuntime::NotStarted {
                        why: format!(
                            "the client's .config lists supportedRuntime {list}, and none of them is installed (SHIM-4)"
                        ),
                    },
                },
            );
        }
        let config = if self.config.path.is_some() {
            "a .config without supportedRuntime"
        } else {
            "no .config"
        };
        if let Some(own) = self.m.installed(built.major, built.minor) {
            return Some(ClientRuntime::Runs {
                runtime: own.clone(),
                why: format!(
                    "a client built for {built} with {config} runs on the runtime it was built for (SHIM-2)"
                ),
            });
        }
        let older = self
            .m
            .clrs
            .iter()
            .filter(|c| built.is_pre_v4() && c.is_pre_v4())
            .max_by(|a, b| a.cmp_full(b));
        Some(match older {
            Some(v) => ClientRuntime::Runs {
                runtime: v.clone(),
                why: format!(
                    "a client built for {built} with {config} runs on the newest installed runtime before v4 when its own is missing (SHIM-2)"
                ),
            },
            None if built.is_pre_v4() => ClientRuntime::NotStarted {
                why: format!(
                    "a client built for {built} with {config} does not move to CLR 4 when no runtime before v4 is installed (SHIM-2)"
                ),
            },
            None => ClientRuntime::NotStarted {
                why: format!(
                    "a client built for {built} with {config} needs CLR {}, which is not installed (SHIM-2)",
                    built.family()
                ),
            },
        })
    }
}
