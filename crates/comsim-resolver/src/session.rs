//! A client process running requests: its start (activation context, config, runtime) and each
//! request's walk (REQ-1..REQ-5 through LCC, COM and SHIM).

use comsim_manifest::Guid;
use comsim_manifest::actctx::{ActivationContext, build_context};
use comsim_manifest::lookup::{ShimMiss, find_progid, find_shim_info};
use comsim_registry::{Access, KeyPath, MergeMode, Root};

use crate::bind::{self, BindRequest, Failure};
use crate::hresult::{self, HResult};
use crate::machine::{Bitness, Machine, RuntimeVersion};
use crate::outcome::{LoadedType, Outcome, Server, Source};
use crate::process::{Apartment, ClassRef, ClientKind, ClsCtx, Process, Request};
use crate::shimreg::{self, Found};
use crate::switches::{self, Switches};
use crate::trace::{Rule, Trace};
use crate::vfs::{VfsDirectory, WinPath};

/// One request's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub outcome: Outcome,
    pub trace: Trace,
}

/// The process's `.config`, as far as activation reads it (SHIM-4, BIND-3).
#[derive(Debug, Clone, Default)]
pub struct ConfigView {
    pub path: Option<WinPath>,
    pub supported_runtimes: Vec<String>,
    pub use_legacy_v2: bool,
    pub private_paths: Vec<String>,
}

/// What LoadCOMClass returned.
pub(crate) enum Lcc {
    Type(LoadedType),
    Null,
    Failed(Failure),
}

/// A running client process. Steps run in order in the same process: runtimes loaded by one
/// request stay loaded for the next (SHIM-3), and GetTypeFromCLSID answers are cached (REQ-1).
pub struct Session<'m> {
    pub(crate) m: &'m Machine,
    pub(crate) p: &'m Process,
    pub(crate) sw: &'m Switches,
    /// The CLR a managed client runs on.
    pub(crate) clr: Option<RuntimeVersion>,
    /// Runtimes loaded in the process, in load order.
    pub(crate) loaded: Vec<RuntimeVersion>,
    /// `useLegacyV2RuntimeActivationPolicy`: the runtime legacy COM activation is bound to.
    pub(crate) legacy_bound: Option<RuntimeVersion>,
    pub(crate) ctx: Option<ActivationContext>,
    pub(crate) config: ConfigView,
    failed: Option<Outcome>,
    cache: Vec<(Guid, Option<LoadedType>)>,
    pending: Trace,
}

impl<'m> Session<'m> {
    /// Whether the replay's CLR choice changes anything for this process: it does for a managed
    /// client and for a native host that preloads a CLR.
    pub fn clr_matters(p: &Process) -> bool {
        p.client == ClientKind::Managed || p.preloads_clr
    }

    /// Starts the process: SXS-1/SXS-2 (the activation context), SHIM-4 (the config), and the
    /// CLR (`clr` is the family, `(2, 0)` or `(4, 0)`, for a managed client or a preloading host).
    pub fn start(
        m: &'m Machine,
        p: &'m Process,
        sw: &'m Switches,
        clr: Option<(u32, u32)>,
    ) -> Session<'m> {
        let mut s = Session {
            m,
            p,
            sw,
            clr: None,
            loaded: Vec::new(),
            legacy_bound: None,
            ctx: None,
            config: ConfigView::default(),
            failed: None,
            cache: Vec::new(),
            pending: Trace::default(),
        };
        let mut trace = Trace::default();
        let manifest_path = match s.start_context(&mut trace) {
            Ok(path) => path,
            Err(outcome) => {
                s.failed = Some(*outcome);
                s.pending = trace;
                return s;
            }
        };
        s.start_registry(&mut trace);
        if let Err(outcome) = s.start_config(manifest_path, &mut trace) {
            s.failed = Some(*outcome);
            s.pending = trace;
            return s;
        }
        if let (true, Some((major, minor))) = (Self::clr_matters(p), clr) {
            match m.installed(major, minor) {
                Some(v) => {
                    let who = if p.client == ClientKind::Managed {
                        "the client runs on"
                    } else {
                        "the host has already loaded"
                    };
                    trace
                        .push(Rule::Shim3, format!("{who} CLR {v}"))
                        .at(p.exe.to_string());
                    if p.client == ClientKind::Managed {
                        s.clr = Some(v.clone());
                    }
                    s.loaded.push(v.clone());
                    if s.config.use_legacy_v2 && v.major >= 4 {
                        trace.push(
                            Rule::Shim4,
                            format!("useLegacyV2RuntimeActivationPolicy=\"true\": legacy COM activation is bound to {v}; CLR 2 cannot load in this process"),
                        );
                        s.legacy_bound = Some(v.clone());
                    }
                }
                None => {
                    trace
                        .push(Rule::Shim2, format!("CLR {major}.{minor} is not installed"))
                        .found(HResult::CLR_E_SHIM_RUNTIMELOAD.to_string());
                    s.failed = Some(Outcome::StartupFailure {
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
        s.pending = trace;
        s
    }

    /// SXS-1, SXS-2: the application manifest and the context built from it. Returns the
    /// manifest's path (for the config name, SHIM-4).
    fn start_context(&mut self, trace: &mut Trace) -> Result<Option<WinPath>, Box<Outcome>> {
        let exe = &self.p.exe;
        let dir = exe.parent();
        let beside = dir.join(&format!("{}.manifest", exe.file_name()));
        let (bytes, path, shown) = match self.m.fs.get(exe).and_then(|f| {
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
                        .at(format!("{exe} (RT_MANIFEST 1); {beside}"))
                        .found("nothing");
                    return Ok(None);
                }
            },
        };
        let app = match comsim_manifest::parse_manifest(&shown, &bytes) {
            Ok(a) => a,
            Err(d) => {
                trace
                    .push(
                        Rule::Sxs2,
                        "the application manifest does not parse: the process does not start",
                    )
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
                    )
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
                        .at(a.source.clone());
                }
                for probe in &ctx.probes {
                    trace
                        .push(Rule::Sxs2, format!("probe for {}", probe.reference))
                        .at(probe.path.clone())
                        .found(probe_text(&probe.outcome));
                }
                self.ctx = Some(ctx);
                Ok(Some(path))
            }
            Err(e) => {
                for probe in &e.probes {
                    trace
                        .push(Rule::Sxs2, format!("probe for {}", probe.reference))
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
                    .found(format!("error {}", e.win32_error));
                Err(Box::new(Outcome::StartupFailure {
                    error: Some(e.win32_error),
                    hresult: None,
                    message: e.message.clone(),
                }))
            }
        }
    }

    /// REG-1..REG-3: how this process sees HKEY_CLASSES_ROOT.
    fn start_registry(&self, trace: &mut Trace) {
        let view = self.view();
        let clsid = match (self.m.os, view) {
            (Bitness::B32, _) => "32-bit Windows has one view: HKCR\\CLSID is Software\\Classes\\CLSID".to_owned(),
            (_, comsim_registry::View::Bits32) => format!(
                "a {} process under WOW64 reads the 32-bit view: HKCR\\CLSID is Software\\Classes\\Wow6432Node\\CLSID; ProgIDs are shared",
                self.p.bitness
            ),
            _ => "a 64-bit process reads the native view: HKCR\\CLSID is Software\\Classes\\CLSID; the 32-bit view (Wow6432Node) is read only where a rule asks for the other view".to_owned(),
        };
        trace.push(Rule::Reg3, clsid);
        trace.push(
            Rule::Reg1,
            format!(
                "HKCR merges HKLM\\Software\\Classes and HKCU\\Software\\Classes ({})",
                self.sw.setting(switches::HKCR_MERGE)
            ),
        );
        if self.p.elevated {
            let setting = self.sw.setting(switches::CLR_USER_CLASSES);
            trace
                .push(
                    Rule::Reg2,
                    format!(
                        "elevated: COM ignores per-user classes; the CLR's own registry read {}",
                        if setting.value == "read" {
                            "still sees them"
                        } else {
                            "ignores them too"
                        }
                    ),
                )
                .inferred(setting);
        }
    }

    /// SHIM-4: the config file named after the manifest (or the exe), parsed.
    fn start_config(
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
            trace
                .push(Rule::Shim4, "no configuration file")
                .at(path.to_string())
                .found("nothing");
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
                };
                let c = &self.config;
                trace
                    .push(
                        Rule::Shim4,
                        format!(
                            "configuration: supportedRuntime [{}], useLegacyV2RuntimeActivationPolicy={}, privatePath [{}]",
                            c.supported_runtimes.join(", "),
                            c.use_legacy_v2,
                            c.private_paths.join(";")
                        ),
                    )
                    .at(path.to_string());
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
                    .at(path.to_string())
                    .found(d.to_string());
                Err(Box::new(outcome))
            }
        }
    }

    /// The access of the CLR's own registry reads (SHIM-REG; REG-2's CLR part is switchable).
    pub(crate) fn clr_access(&self) -> Access {
        let ignore = self.p.elevated && self.sw.is(switches::CLR_USER_CLASSES, "ignore");
        Access {
            view: self.view(),
            merge: self.merge(),
            user_classes: !ignore,
        }
    }

    /// The access of COM's registry reads: elevated processes do not see per-user classes (REG-2).
    pub(crate) fn com_access(&self) -> Access {
        Access {
            view: self.view(),
            merge: self.merge(),
            user_classes: !self.p.elevated,
        }
    }

    /// The process's registry view (REG-3): on 32-bit Windows there is no WOW64 and every process
    /// reads the one, native view.
    fn view(&self) -> comsim_registry::View {
        if self.m.os == Bitness::B32 {
            comsim_registry::View::Bits64
        } else {
            self.p.bitness.view()
        }
    }

    fn merge(&self) -> MergeMode {
        if self.sw.is(switches::HKCR_MERGE, "strict") {
            MergeMode::Strict
        } else {
            MergeMode::Union
        }
    }

    /// Whether this process may read the other registry view for LocalServer32 (SHIM-REG-1).
    pub(crate) fn other_view(&self) -> bool {
        self.p.bitness == Bitness::B64 || self.m.os == Bitness::B64
    }

    /// Runs one request. The first request after the start also carries the start's trace.
    pub fn request(&mut self, req: &Request, apartment: Option<Apartment>) -> Run {
        let mut trace = std::mem::take(&mut self.pending);
        if let Some(f) = &self.failed {
            if trace.steps.is_empty() {
                let rule = match f {
                    Outcome::StartupFailure { error: Some(_), .. } => Rule::Sxs2,
                    Outcome::StartupFailure {
                        hresult: Some(_), ..
                    } => Rule::Shim2,
                    _ => Rule::Shim4,
                };
                trace.push(rule, "the process did not start: no request runs");
            }
            return Run {
                outcome: f.clone(),
                trace,
            };
        }
        let apartment = apartment.unwrap_or(self.p.apartment);
        let outcome = match req {
            Request::GetTypeFromClsid { clsid } => {
                trace.push(Rule::Req1, req.describe());
                match self.get_type(*clsid, &mut trace) {
                    Ok(Some(t)) => Outcome::Managed {
                        loaded: Box::new(t),
                        created: false,
                    },
                    Ok(None) => com_object(*clsid, None, None),
                    Err(f) => exception_traced(f, &mut trace),
                }
            }
            Request::CreateInstance { clsid } => {
                trace.push(Rule::Req2, req.describe());
                self.create_instance(*clsid, apartment, &mut trace)
            }
            Request::GetTypeFromProgId {
                progid,
                throw_on_error,
                create,
            } => {
                trace.push(Rule::Req3, req.describe());
                match self.clsid_from_progid(progid, &mut trace) {
                    None if *throw_on_error => {
                        trace
                            .push(Rule::Msg6, "throwOnError: COMException CO_E_CLASSSTRING")
                            .found(HResult::CO_E_CLASSSTRING.to_string());
                        Outcome::Exception {
                            exception: HResult::CO_E_CLASSSTRING.exception_type().to_owned(),
                            hresult: HResult::CO_E_CLASSSTRING,
                            message: hresult::class_string_message(),
                        }
                    }
                    None => {
                        trace.push(Rule::Req3, "no such ProgID: GetTypeFromProgID returns null");
                        Outcome::Null {
                            message: format!("Type.GetTypeFromProgID(\"{progid}\") returned null"),
                        }
                    }
                    Some(clsid) if *create => {
                        trace.push(
                            Rule::Req2,
                            format!("Activator.CreateInstance of the type for {clsid}"),
                        );
                        self.create_instance(clsid, apartment, &mut trace)
                    }
                    Some(clsid) => {
                        trace.push(Rule::Req1, format!("Type.GetTypeFromCLSID({clsid})"));
                        match self.get_type(clsid, &mut trace) {
                            Ok(Some(t)) => Outcome::Managed {
                                loaded: Box::new(t),
                                created: false,
                            },
                            Ok(None) => com_object(clsid, None, None),
                            Err(f) => exception_traced(f, &mut trace),
                        }
                    }
                }
            }
            Request::CoCreateInstance { target, clsctx } => {
                trace.push(Rule::Req4, req.describe());
                self.native_create(target, *clsctx, apartment, &mut trace)
            }
            Request::LoadRecord { guid } => {
                trace.push(Rule::Req5, req.describe());
                match self.load_com_class(*guid, true, &mut trace) {
                    Lcc::Type(t) => Outcome::Managed {
                        loaded: Box::new(t),
                        created: false,
                    },
                    Lcc::Null => Outcome::Null {
                        message: format!("no record is registered for {guid}"),
                    },
                    Lcc::Failed(f) => exception_traced(f, &mut trace),
                }
            }
        };
        Run { outcome, trace }
    }

    /// REQ-1: the per-AppDomain cache, then LoadCOMClass.
    fn get_type(&mut self, clsid: Guid, trace: &mut Trace) -> Result<Option<LoadedType>, Failure> {
        if let Some((_, t)) = self.cache.iter().find(|(g, _)| *g == clsid) {
            trace.push(
                Rule::Req1,
                match t {
                    Some(t) => format!("cached in this AppDomain: {}", t.type_name),
                    None => "cached in this AppDomain: System.__ComObject".to_owned(),
                },
            );
            return Ok(t.clone());
        }
        match self.load_com_class(clsid, false, trace) {
            Lcc::Type(t) => {
                self.cache.push((clsid, Some(t.clone())));
                Ok(Some(t))
            }
            Lcc::Null => {
                trace.push(
                    Rule::Req1,
                    format!("LoadCOMClass returned NULL: the type is System.__ComObject bound to {clsid}"),
                );
                self.cache.push((clsid, None));
                Ok(None)
            }
            Lcc::Failed(f) => Err(f),
        }
    }

    /// REQ-2: a managed type is instantiated in the client's runtime; `__ComObject` and
    /// `[ComImport]` wrappers go through CoCreateInstance(CLSCTX_SERVER).
    fn create_instance(&mut self, clsid: Guid, apartment: Apartment, trace: &mut Trace) -> Outcome {
        let t = match self.get_type(clsid, trace) {
            Ok(t) => t,
            Err(f) => return exception_traced(f, trace),
        };
        match t {
            Some(t) if !t.com_import => {
                trace.push(
                    Rule::Req2,
                    format!(
                        "{} is a managed class: the instance is created in {}",
                        t.type_name, t.runtime
                    ),
                );
                Outcome::Managed {
                    loaded: Box::new(t),
                    created: true,
                }
            }
            wrapper => {
                trace.push(
                    Rule::Req2,
                    format!(
                        "{}: CoCreateInstance({clsid}, CLSCTX_SERVER)",
                        match &wrapper {
                            Some(w) => format!("{} is a [ComImport] wrapper", w.type_name),
                            None => "System.__ComObject".to_owned(),
                        }
                    ),
                );
                match self.co_create(clsid, ClsCtx::SERVER, apartment, trace) {
                    Ok(server) => com_object(clsid, wrapper, Some(server)),
                    Err(hr) => {
                        let rule = if hr == HResult::REGDB_E_CLASSNOTREG {
                            Rule::Msg1
                        } else {
                            Rule::Msg2
                        };
                        trace
                            .push(
                                rule,
                                format!(
                                    "CoCreateInstance failed: {} {}",
                                    hr,
                                    hr.info().map(|i| i.name).unwrap_or("")
                                ),
                            )
                            .found(hr.to_string());
                        // REQ-2 says COMException; real reports show the HRESULT's own type.
                        let setting = self.sw.setting(switches::CLASS_FACTORY_EXCEPTION);
                        let exception = if setting.value == "by-hresult" {
                            hr.exception_type()
                        } else {
                            "System.Runtime.InteropServices.COMException"
                        };
                        if exception != hr.exception_type() || setting.value == "by-hresult" {
                            trace
                                .push(Rule::Req2, format!("the failure is thrown as {exception}"))
                                .inferred(setting);
                        }
                        Outcome::Exception {
                            exception: exception.to_owned(),
                            hresult: hr,
                            message: hresult::class_factory_message(clsid, hr),
                        }
                    }
                }
            }
        }
    }

    /// REQ-4: a native client's CoCreateInstance.
    fn native_create(
        &mut self,
        target: &ClassRef,
        clsctx: ClsCtx,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Outcome {
        let clsid = match target {
            ClassRef::Clsid(c) => *c,
            ClassRef::ProgId(p) => match self.clsid_from_progid(p, trace) {
                Some(c) => c,
                None => return hresult_outcome(HResult::CO_E_CLASSSTRING),
            },
        };
        match self.co_create(clsid, clsctx, apartment, trace) {
            Ok(server) => Outcome::ComObject {
                type_name: "IUnknown".to_owned(),
                clsid,
                wrapper: None,
                server: Some(Box::new(server)),
            },
            Err(hr) => hresult_outcome(hr),
        }
    }

    /// CLSIDFromProgID: the activation context first (COM-1), then `HKCR\<ProgID>\CLSID`
    /// following `CurVer` (REQ-3). ProgIDs are shared between the registry views (REG-3).
    fn clsid_from_progid(&self, progid: &str, trace: &mut Trace) -> Option<Guid> {
        if let Some(ctx) = &self.ctx
            && let Some(server) = find_progid(ctx, progid)
        {
            trace
                .push(
                    Rule::Com1,
                    format!("ProgID {progid} is declared in the activation context"),
                )
                .at(server.source.clone())
                .found(server.clsid.to_string());
            return Some(server.clsid);
        }
        let access = self.com_access();
        let reg = &self.m.registry;
        let mut current = progid.to_owned();
        let mut seen: Vec<String> = Vec::new();
        loop {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(&current)) {
                trace.push(
                    Rule::Req3,
                    format!("CurVer loops back to {current}: the ProgID is not usable"),
                );
                return None;
            }
            seen.push(current.clone());
            let key = KeyPath::new(Root::ClassesRoot, [current.clone()]);
            if reg.open(&key, &access).is_none() {
                trace
                    .push(Rule::Req3, format!("no ProgID key {key}: CO_E_CLASSSTRING"))
                    .at(key.to_string())
                    .found("no key");
                return None;
            }
            let curver = key.join("CurVer");
            if let Some((v, _)) = reg.query_value(&curver, "", &access)
                && let Some(next) = v.as_string().filter(|s| !s.is_empty())
            {
                trace
                    .push(Rule::Req3, format!("{current} has CurVer {next}"))
                    .at(curver.to_string())
                    .found(next.clone());
                current = next;
                continue;
            }
            let clsid_key = key.join("CLSID");
            let value = reg
                .query_value(&clsid_key, "", &access)
                .and_then(|(v, _)| v.as_string());
            return match value.as_deref().and_then(Guid::parse) {
                Some(g) => {
                    trace
                        .push(Rule::Req3, format!("ProgID {current} names {g}"))
                        .at(clsid_key.to_string())
                        .found(g.to_string());
                    Some(g)
                }
                None => {
                    trace
                        .push(
                            Rule::Req3,
                            format!("ProgID {current} has no valid CLSID: CO_E_CLASSSTRING"),
                        )
                        .at(clsid_key.to_string())
                        .found(value.unwrap_or_else(|| "no value".into()));
                    None
                }
            };
        }
    }

    /// LoadCOMClass for the client's CLR (LCC2-*, LCC4-*).
    pub(crate) fn load_com_class(&mut self, guid: Guid, record: bool, trace: &mut Trace) -> Lcc {
        let Some(clr) = self.clr.clone() else {
            trace.push(Rule::Req4, "a native client has no LoadCOMClass");
            return Lcc::Null;
        };
        if clr.major < 4 {
            self.lcc2(guid, record, &clr, trace)
        } else {
            self.lcc4(guid, record, &clr, trace)
        }
    }

    /// The SxS step shared by both CLRs (SXS-4..SXS-8), traced.
    fn sxs_lookup(
        &self,
        guid: Guid,
        record: bool,
        rule: Rule,
        trace: &mut Trace,
    ) -> Option<comsim_manifest::lookup::ShimInfo> {
        let Some(ctx) = &self.ctx else {
            trace.push(rule, "SxS: no activation context, nothing to look up");
            return None;
        };
        match find_shim_info(ctx, guid, record, false) {
            Ok(info) => {
                trace
                    .push(
                        Rule::Sxs4,
                        format!(
                            "SxsLookupClrGuid({guid}, {}) found a {}: {} in {}",
                            if record { "FIND_SURROGATE" } else { "FIND_ANY" },
                            if info.is_surrogate {
                                "clrSurrogate"
                            } else {
                                "clrClass"
                            },
                            info.class_name,
                            info.assembly_identity
                        ),
                    )
                    .at(info.location.to_string())
                    .found(format!("runtimeVersion {}", info.runtime_version));
                trace
                    .push(
                        Rule::Sxs7,
                        "the hosting assembly's identity as a Fusion display name",
                    )
                    .at(info.assembly_identity.clone())
                    .found(info.assembly.clone());
                Some(info)
            }
            Err(miss) => {
                let (r, text) = match &miss {
                    ShimMiss::NotFound { .. } => (
                        Rule::Sxs4,
                        format!(
                            "SxsLookupClrGuid({guid}, {}): not in the activation context",
                            if record { "FIND_SURROGATE" } else { "FIND_ANY" }
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
                trace.push(r, text).found("miss");
                None
            }
        }
    }

    /// After an SxS miss, both LoadCOMClass versions read the registry capped at their own
    /// runtime (`rule` is LCC2-2 or LCC4-3).
    fn registry_after_sxs_miss(
        &self,
        rule: Rule,
        guid: Guid,
        record: bool,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Option<shimreg::RegHit> {
        trace.push(
            rule,
            format!("SxS missed: the registry, capped at {}", clr.family()),
        );
        shimreg::find_shim_info(
            &self.m.registry,
            guid,
            record,
            Some(clr),
            &self.clr_access(),
            self.other_view(),
            trace,
        )
    }

    fn lcc2(&mut self, guid: Guid, record: bool, clr: &RuntimeVersion, trace: &mut Trace) -> Lcc {
        if let Some(info) = self.sxs_lookup(guid, record, Rule::Lcc2_1, trace) {
            trace.push(
                Rule::Lcc2_1,
                "CLR 2.0: an SxS hit loads the assembly and its type (no PIA or runtime check)",
            );
            return self.load_sxs(&info, false, clr, trace);
        }
        let hit = self.registry_after_sxs_miss(Rule::Lcc2_2, guid, record, clr, trace);
        match hit {
            Some(hit) => {
                trace.push(
                    Rule::Lcc2_2,
                    "registry hit: bind with Class, Assembly and CodeBase",
                );
                self.bind_and_load(
                    &hit.assembly,
                    &hit.class,
                    hit.codebase.as_deref(),
                    Source::Registry,
                    false,
                    clr,
                    trace,
                )
            }
            None => {
                trace.push(Rule::Lcc2_3, "both missed: LoadCOMClass returns NULL");
                Lcc::Null
            }
        }
    }

    fn same_runtime(&self, rv: &str, clr: &RuntimeVersion) -> bool {
        match RuntimeVersion::parse(rv) {
            None => false,
            Some(v) if self.sw.is(switches::RUNTIME_MATCH, "exact") => v.text == clr.text,
            Some(v) => v.cmp_major_minor(clr).is_eq(),
        }
    }

    fn lcc4(&mut self, guid: Guid, record: bool, clr: &RuntimeVersion, trace: &mut Trace) -> Lcc {
        if let Some(info) = self.sxs_lookup(guid, record, Rule::Lcc4_1, trace) {
            if info.is_surrogate {
                trace.push(Rule::Sxs8, "a clrSurrogate is a registration-free PIA");
                trace.push(
                    Rule::Lcc4_1,
                    "a reg-free PIA: bind and load, no registry lookup",
                );
                return self.load_sxs(&info, true, clr, trace);
            }
            let setting = self.sw.setting(switches::SXS_CLASS_RUNTIME_CHECK);
            if setting.value == "off" {
                trace
                    .push(
                        Rule::Lcc4_2,
                        format!(
                            "a clrClass hit loads without a runtime check (runtimeVersion {})",
                            info.runtime_version
                        ),
                    )
                    .inferred(setting);
                return self.load_sxs(&info, false, clr, trace);
            }
            let match_setting = self.sw.setting(switches::RUNTIME_MATCH);
            if self.same_runtime(&info.runtime_version, clr) {
                trace
                    .push(
                        Rule::Lcc4_2,
                        format!(
                            "clrClass runtimeVersion {} is the running runtime {}: bind and load",
                            info.runtime_version, clr
                        ),
                    )
                    .inferred(setting);
                return self.load_sxs(&info, false, clr, trace);
            }
            trace
                .push(
                    Rule::Lcc4_2,
                    format!("clrClass runtimeVersion {} is not the running runtime {}: LoadCOMClass returns NULL", info.runtime_version, clr),
                )
                .inferred(setting)
                .found(format!("compared with {match_setting}"));
            return Lcc::Null;
        }
        let Some(hit) = self.registry_after_sxs_miss(Rule::Lcc4_3, guid, record, clr, trace) else {
            trace.push(
                Rule::Lcc4_3,
                "the registry has nothing either: LoadCOMClass returns NULL",
            );
            return Lcc::Null;
        };
        let is_mscoree = hit
            .default_value
            .as_deref()
            .is_some_and(|d| file_name_of(d).eq_ignore_ascii_case("mscoree.dll"));
        let load = |s: &mut Self, trace: &mut Trace, pia: bool| {
            s.bind_and_load(
                &hit.assembly,
                &hit.class,
                hit.codebase.as_deref(),
                Source::Registry,
                pia,
                clr,
                trace,
            )
        };
        match hit.found {
            Found::Record => {
                trace.push(
                    Rule::Lcc4_3,
                    "a record registration has no InprocServer32 default: bind and load",
                );
                return load(self, trace, false);
            }
            Found::LocalServer32(view) => {
                let setting = self.sw.setting(switches::LOCALSERVER_REGISTRATION);
                if setting.value == "com" {
                    trace
                        .push(Rule::Lcc4_3, format!("found only under LocalServer32 ({view} view): LoadCOMClass returns NULL, COM activates it"))
                        .inferred(setting);
                    return Lcc::Null;
                }
                trace
                    .push(Rule::Lcc4_3, format!("found only under LocalServer32 ({view} view): no InprocServer32 default, so read literally a PIA: bind and load in-process"))
                    .inferred(setting);
                return load(self, trace, true);
            }
            Found::InprocServer32 => {}
        }
        if !is_mscoree {
            trace
                .push(
                    Rule::Lcc4_3,
                    format!(
                        "the InprocServer32 default is {}, not mscoree.dll: a PIA, bind and load",
                        hit.default_value
                            .as_deref()
                            .map(|d| format!("`{d}`"))
                            .unwrap_or_else(|| "missing".into())
                    ),
                )
                .at(hit.key.to_string());
            return load(self, trace, true);
        }
        trace
            .push(
                Rule::Lcc4_3,
                "the InprocServer32 default is mscoree.dll: not a PIA",
            )
            .at(hit.key.to_string())
            .found(hit.default_value.clone().unwrap_or_default());
        match &hit.runtime_version {
            Some(rv) => {
                let setting = self.sw.setting(switches::RUNTIME_MATCH);
                if self.same_runtime(rv, clr) {
                    trace
                        .push(
                            Rule::Lcc4_4,
                            format!(
                                "RuntimeVersion {rv} is the running runtime {clr}: bind and load"
                            ),
                        )
                        .inferred(setting);
                    load(self, trace, false)
                } else {
                    trace
                        .push(
                            Rule::Lcc4_4,
                            format!("RuntimeVersion {rv} is not the running runtime {clr}: LoadCOMClass returns NULL, the class will be activated through COM"),
                        )
                        .inferred(setting);
                    Lcc::Null
                }
            }
            None => {
                let setting = self.sw.setting(switches::MISSING_RUNTIME_VERSION);
                if setting.value == "load" {
                    trace
                        .push(
                            Rule::Lcc4_5,
                            "no RuntimeVersion: bind and load in the running CLR",
                        )
                        .inferred(setting);
                    load(self, trace, false)
                } else {
                    trace
                        .push(Rule::Lcc4_5, format!("no RuntimeVersion: treated as {}, not the running runtime: LoadCOMClass returns NULL", shimreg::V1_RUNTIME))
                        .inferred(setting);
                    Lcc::Null
                }
            }
        }
    }

    /// Binds and loads the class an activation-context entry names.
    fn load_sxs(
        &self,
        info: &comsim_manifest::lookup::ShimInfo,
        pia: bool,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        self.bind_and_load(
            &info.assembly,
            &info.class_name,
            None,
            Source::Sxs,
            pia,
            clr,
            trace,
        )
    }

    /// BIND then BIND-7; a failure propagates or falls back per LCC-6.
    #[allow(clippy::too_many_arguments)]
    fn bind_and_load(
        &self,
        display_name: &str,
        class: &str,
        codebase: Option<&str>,
        source: Source,
        pia: bool,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        match self.bind_type(display_name, class, codebase, clr, trace) {
            Ok((path, assembly, com_import)) => Lcc::Type(LoadedType {
                type_name: class.to_owned(),
                assembly,
                path,
                runtime: clr.clone(),
                source,
                pia,
                com_import,
            }),
            Err(f) => {
                let setting = self.sw.setting(switches::BIND_FAILURE);
                if setting.value == "fallback" {
                    trace
                        .push(
                            Rule::Lcc6,
                            format!("{}: swallowed, LoadCOMClass returns NULL", f.exception),
                        )
                        .inferred(setting);
                    Lcc::Null
                } else {
                    trace
                        .push(
                            Rule::Lcc6,
                            format!("{} propagates to the caller", f.exception),
                        )
                        .inferred(setting)
                        .found(f.hresult.to_string());
                    Lcc::Failed(f)
                }
            }
        }
    }

    /// Binds and finds the type: the file, the assembly's full name, whether it is `[ComImport]`.
    pub(crate) fn bind_type(
        &self,
        display_name: &str,
        class: &str,
        codebase: Option<&str>,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Result<(WinPath, String, bool), Failure> {
        let appbase = self.p.exe.parent();
        let req = BindRequest {
            display_name,
            codebase,
            clr,
            bitness: self.p.bitness,
            appbase: &appbase,
            private_paths: &self.config.private_paths,
        };
        let bound = bind::bind(self.m, &req, trace)?;
        let t = bind::find_type(bound, class, trace)?;
        Ok((
            bound.file.path.clone(),
            bound.assembly.full_name(),
            t.com_import,
        ))
    }
}

/// The file name part of a path as the registry holds it (`C:\Windows\System32\mscoree.dll`).
pub(crate) fn file_name_of(path: &str) -> &str {
    let p = path.trim().trim_matches('"');
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

fn probe_text(o: &comsim_manifest::actctx::ProbeOutcome) -> String {
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

fn startup_failure(detail: String) -> Outcome {
    Outcome::StartupFailure {
        error: Some(comsim_manifest::actctx::ERROR_SXS_CANT_GEN_ACTCTX),
        hresult: None,
        message: format!(
            "{} ({detail})",
            comsim_manifest::actctx::SXS_FAILURE_MESSAGE
        ),
    }
}

fn com_object(clsid: Guid, wrapper: Option<LoadedType>, server: Option<Server>) -> Outcome {
    Outcome::ComObject {
        type_name: match &wrapper {
            Some(w) => w.type_name.clone(),
            None => "System.__ComObject".to_owned(),
        },
        clsid,
        wrapper: wrapper.map(Box::new),
        server: server.map(Box::new),
    }
}

fn exception(f: Failure) -> Outcome {
    Outcome::Exception {
        exception: f.exception,
        hresult: f.hresult,
        message: f.message,
    }
}

/// An exception from binding, with the MSG rule that gives its text.
fn exception_traced(f: Failure, trace: &mut Trace) -> Outcome {
    let rule = match f.hresult {
        HResult::FILE_NOT_FOUND => Some(Rule::Msg3),
        HResult::COR_E_TYPELOAD => Some(Rule::Msg4),
        HResult::FUSION_E_REF_DEF_MISMATCH => Some(Rule::Msg5),
        _ => None,
    };
    if let Some(rule) = rule {
        trace.push(rule, format!("{}: {}", f.exception, f.message));
    }
    exception(f)
}

fn hresult_outcome(hr: HResult) -> Outcome {
    Outcome::Hresult {
        hresult: hr,
        name: hr.info().map(|i| i.name).unwrap_or("").to_owned(),
        message: hr.system_message(),
    }
}
