//! COM-1..COM-5: CoCreateInstance. TreatAs (COM-2), the activation context before the registry
//! (COM-1), the CLSCTX order InprocServer32 → LocalServer32 → DllSurrogate (COM-3), the
//! not-registered answer (COM-4), and the apartment an in-process object lives in (COM-5). An
//! InprocServer32 of mscoree.dll hands over to the shim (`shim.rs`, SHIM-1..SHIM-5).

mod apartment;
mod environment;

pub use apartment::{ObjectApartment, ThreadingModel, apartment_for};
pub(crate) use environment::Environment;

use comsim_manifest::Guid;
use comsim_manifest::lookup::{RegistrationKind, RuntimeAsked, find_com_server, find_shim_info};
use comsim_registry::{Access, KeyPath, Root, Value, ValueType};

use crate::hresult::HResult;
use crate::machine::{Bitness, Machine, Readers};
use crate::outcome::{Server, ServerKind};
use crate::process::{Apartment, ClientKind, ClsCtx, MainSta, Process, Threads};
use crate::session::Session;
use crate::shim::{ManagedOrigin, file_name_of};
use crate::shimreg::{self, ClassKey, clsid_key};
use crate::switches::{
    ClrClassThreading, InprocLoadFailure, LocalServerExpand, Setting, SwitchValue, TreatAsCycle,
};
use crate::trace::{Rule, Trace};
use crate::vfs::{VFile, WinPath};

/// A string value of COM's registry read (of the class's subkey `sub`), if the key and value
/// exist.
fn string_value(
    s: &Session<'_>,
    class: &ClassKey,
    sub: &str,
    name: &str,
    access: &Access,
) -> Option<String> {
    class
        .value(&s.m.registry, sub, name, access)
        .and_then(Value::as_string)
}

/// A server path as the registry holds it: the string, and whether it is REG_EXPAND_SZ.
struct ServerValue {
    text: String,
    expandable: bool,
}

/// The default value of a class's server key (`InprocServer32`, `LocalServer32`), with its type.
fn server_value(
    s: &Session<'_>,
    class: &ClassKey,
    sub: &str,
    access: &Access,
) -> Option<ServerValue> {
    ServerValue::of(class.value(&s.m.registry, sub, "", access)?)
}

impl ServerValue {
    /// A server key's default value, when it is a string.
    fn of(v: &Value) -> Option<ServerValue> {
        Some(ServerValue {
            text: v.as_string()?,
            expandable: v.ty == ValueType::EXPAND_SZ,
        })
    }
}

impl Session<'_> {
    /// CoCreateInstance: TreatAs (COM-2), the activation context (COM-1), then the registry in the
    /// CLSCTX order (COM-3), else REGDB_E_CLASSNOTREG (COM-4).
    pub(crate) fn co_create(
        &mut self,
        clsid: Guid,
        clsctx: ClsCtx,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Result<Server, HResult> {
        let access = self.com_access();
        if self.p.elevated {
            trace.push(
                Rule::Reg2,
                "the process is elevated: COM ignores per-user registrations (HKCU\\Software\\Classes)",
            ).code("elevated-ignores-user-classes");
        }
        // One key for the registry reads below: each subkey is opened from it.
        let class = self.treat_as(clsid, &access, trace)?;
        let clsid = class.clsid();

        if let Some(result) = self.context_server(clsid, apartment, trace) {
            return result;
        }
        let mut failure: Option<HResult> = None;
        if clsctx.has(ClsCtx::INPROC_SERVER) {
            match self.inproc_server(&class, &access, apartment, trace) {
                Some(Ok(s)) => return Ok(s),
                Some(Err(hr)) => {
                    if clsctx.has(ClsCtx::LOCAL_SERVER)
                        && self.inproc_failure_ends(&class, &access, hr, trace)
                    {
                        return Err(hr);
                    }
                    failure = Some(hr);
                }
                None => {}
            }
        }
        if clsctx.has(ClsCtx::LOCAL_SERVER) {
            match self.local_server(&class, &access, trace) {
                Some(Ok(s)) => return Ok(s),
                Some(Err(hr)) => failure = Some(hr),
                None => {}
            }
        }
        if let Some(hr) = failure {
            return Err(hr);
        }
        trace
            .push(
                Rule::Com4,
                format_args!(
                    "nothing is registered for {clsid} in the {} view: REGDB_E_CLASSNOTREG",
                    access.view
                ),
            )
            .code("class-not-registered")
            .found(|| HResult::REGDB_E_CLASSNOTREG.to_string());
        Err(HResult::REGDB_E_CLASSNOTREG)
    }

    /// COM-5: where an in-process object lives, as a trace step naming the caller's apartment,
    /// the server's ThreadingModel and, when the scenario says, the process's other threads.
    pub(crate) fn place_object(
        &self,
        apartment: Apartment,
        threading_model: Option<&str>,
        trace: &mut Trace,
    ) -> ObjectApartment {
        let threads = self.p.threads;
        let apt = apartment_for(
            apartment,
            ThreadingModel::from_registry(threading_model),
            threads,
        );
        let mut others = Vec::new();
        match threads.main_sta {
            MainSta::Caller => {}
            MainSta::OtherThread => others.push("the main STA is another thread's"),
            MainSta::None => others.push("no thread is in an STA"),
        }
        if threads.mta_exists {
            others.push("another thread made the MTA");
        }
        let others = if others.is_empty() {
            String::new()
        } else {
            format!(" ({})", others.join("; "))
        };
        // Said only when the scenario describes the other threads, so that the usual step
        // reads as before.
        let own = matches!(
            apt,
            ObjectApartment::ClientSta | ObjectApartment::ClientMta | ObjectApartment::ClientNa
        ) || (apt == ObjectApartment::MainSta
            && threads.main_sta == MainSta::Caller
            && apartment == Apartment::Sta);
        let proxy = match apt {
            _ if others.is_empty() => "",
            ObjectApartment::HostSta if threading_model.is_none() => {
                ", which COM makes and which becomes the main STA; the client gets a proxy"
            }
            _ if own => ", the client's own",
            _ => ", another thread's; the client gets a proxy",
        };
        let step = trace
            .push(
                Rule::Com5,
                format_args!(
                    "client in {apartment}{others}, ThreadingModel {}: the object lives in the {apt}{proxy}",
                    threading_model.unwrap_or("(none)")
                ),
            )
            .code("apartment");
        if others.is_empty() {
            return apt;
        }
        step.found(|| apt.to_string());
        apt
    }

    /// COM-1: the activation context before the registry. A `clrClass` is served by mscoree
    /// (SHIM-1..SHIM-5), a `comClass` by its file beside the application. `None` when the context
    /// does not declare the class.
    fn context_server(
        &mut self,
        clsid: Guid,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Option<Result<Server, HResult>> {
        let contexts = self.contexts();
        let (searched, server) = contexts
            .iter()
            .find_map(|c| find_com_server(c.ctx, clsid).map(|s| (c, s)))?;
        if searched.active {
            trace.push(
                Rule::Com1,
                "the context active on the thread (CreateActCtx) declares the class: it is searched before the process default context",
            ).code("active-context-declares");
        } else if contexts.first().is_some_and(|c| c.active) {
            trace.push(
                Rule::Com1,
                format_args!(
                    "{clsid} is not in the active context: the process default context declares it"
                ),
            ).code("not-in-active-context");
        }
        let ctx = searched.ctx;
        let dir = searched.dir.clone();
        trace
            .push(
                Rule::Com1,
                format_args!(
                    "{clsid} is declared in the activation context, served by {}",
                    server.module
                ),
            )
            .code("context-com-server")
            .at(|| server.location.to_string())
            .found(server.module.clone());
        let tm = match (&server.managed_type, &server.threading_model) {
            (Some(_), comsim_manifest::ThreadingModel::None(None)) => {
                clr_class_default_threading(self.sw.clr_class_threading(), &server, trace)
            }
            _ => threading_name(&server.threading_model),
        };
        Some(match server.managed_type {
            Some(class) => {
                // The assembly is the one of the context entry, as SxsLookupClrGuid reports it.
                let info =
                    find_shim_info(ctx, clsid, RegistrationKind::Class, RuntimeAsked::No).ok();
                let assembly = info.map(|i| i.assembly).unwrap_or_default();
                if let Err(hr) = self.load_library(&server.module, true, trace) {
                    return Some(Err(hr));
                }
                let origin = ManagedOrigin::Sxs {
                    runtime: server
                        .runtime_version
                        .clone()
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| shimreg::V1_RUNTIME.to_owned()),
                    class,
                    assembly,
                };
                self.mscoree(clsid, origin, tm.as_deref(), apartment, trace)
            }
            None => {
                let path = dir.join(&server.module);
                self.native_inproc(clsid, &path.to_string(), tm.as_deref(), apartment, trace)
            }
        })
    }

    /// COM-3's in-process half: the InprocServer32 default names the server; mscoree.dll hands
    /// over to the shim (SHIM-1..SHIM-5), any other DLL is loaded natively. `None` when no server
    /// is registered.
    fn inproc_server(
        &mut self,
        class: &ClassKey,
        access: &Access,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Option<Result<Server, HResult>> {
        let clsid = class.clsid();
        let key = || class.sub_path("InprocServer32");
        // The key is opened once for its two values.
        let opened = class.open(&self.m.registry, "InprocServer32", access);
        let read = |name: &str| opened.and_then(|k| self.m.registry.value(k.primary, name));
        let default = read("")
            .and_then(ServerValue::of)
            .filter(|d| !d.text.is_empty());
        match (&default, opened) {
            (_, None) => {
                trace
                    .push(
                        Rule::Com3,
                        format_args!("no InprocServer32 in the {} view", access.view),
                    )
                    .code("inproc-absent")
                    .at(|| key().to_string())
                    .found("no key");
                None
            }
            (None, Some(_)) => {
                trace
                    .push(
                        Rule::Com3,
                        "InprocServer32 has no server (no default value)",
                    )
                    .code("inproc-no-server")
                    .at(|| key().to_string())
                    .found("no default value");
                None
            }
            (Some(value), Some(_)) => {
                let dll = &value.text;
                let tm = read("ThreadingModel").and_then(Value::as_string);
                trace
                    .push(Rule::Com3, format_args!("in-process server {dll}"))
                    .code("inproc-server")
                    .at(|| key().to_string())
                    .found(|| {
                        let stored = self.m.registry.open(&key(), access);
                        format!(
                            "{}; ThreadingModel {}",
                            stored
                                .map(|k| k.primary.path().to_string())
                                .unwrap_or_default(),
                            tm.as_deref().unwrap_or("(none)")
                        )
                    });
                Some(if file_name_of(dll).eq_ignore_ascii_case("mscoree.dll") {
                    // COM loads the shim as it loads any in-process server (SHIM-1 begins there).
                    if let Err(hr) = self.load_library(dll, true, trace) {
                        return Some(Err(hr));
                    }
                    self.mscoree(
                        clsid,
                        ManagedOrigin::Registry,
                        tm.as_deref(),
                        apartment,
                        trace,
                    )
                } else {
                    // COM in the client reads the value: the client's environment expands it.
                    let env = || Environment::of(self.p.bitness, self.m.os, self.m);
                    let path = expand_server_path(value, env, &key, None, trace);
                    self.native_inproc(clsid, &path, tm.as_deref(), apartment, trace)
                })
            }
        }
    }

    /// COM-2: follows `TreatAs`; a repeated CLSID is a cycle (found through a set, so that a
    /// chain of 100,000 classes is followed in linear time).
    /// Gives the key of the class activated, for the registry reads that follow.
    fn treat_as(
        &self,
        clsid: Guid,
        access: &Access,
        trace: &mut Trace,
    ) -> Result<ClassKey, HResult> {
        // The chain and the CLSIDs met, from the first TreatAs on (most classes have none).
        let mut chain: Vec<Guid> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut class = ClassKey::new(clsid);
        loop {
            let current = class.clsid();
            let Some(text) = string_value(self, &class, "TreatAs", "", access) else {
                return Ok(class);
            };
            let key = || class.sub_path("TreatAs");
            let Some(next) = Guid::parse(text.trim()) else {
                trace
                    .push(
                        Rule::Com2,
                        format_args!("TreatAs of {current} is not a CLSID: ignored"),
                    )
                    .code("treatas-not-clsid")
                    .at(|| key().to_string())
                    .found(text);
                return Ok(class);
            };
            if chain.is_empty() {
                chain.push(clsid);
                seen.insert(clsid);
            }
            if !seen.insert(next) {
                chain.push(next);
                let shown: Vec<String> = chain.iter().map(Guid::to_string).collect();
                let cycle = self.sw.treatas_cycle();
                let setting = cycle.setting();
                if cycle == TreatAsCycle::Original {
                    trace
                        .push(
                            Rule::Com2,
                            format_args!(
                                "TreatAs cycle {}: ignored, {clsid} is activated",
                                shown.join(" -> ")
                            ),
                        )
                        .code("treatas-cycle-ignored")
                        .at(|| key().to_string())
                        .inferred(setting);
                    return Ok(ClassKey::new(clsid));
                }
                trace
                    .push(
                        Rule::Com2,
                        format_args!("TreatAs cycle {}: REGDB_E_CLASSNOTREG", shown.join(" -> ")),
                    )
                    .code("treatas-cycle-fails")
                    .at(|| key().to_string())
                    .found(|| next.to_string())
                    .inferred(setting);
                return Err(HResult::REGDB_E_CLASSNOTREG);
            }
            trace
                .push(Rule::Com2, format_args!("{current} is treated as {next}"))
                .code("treatas")
                .at(|| key().to_string())
                .found(|| next.to_string());
            chain.push(next);
            class = ClassKey::new(next);
        }
    }

    /// Resolves a server path, already expanded (COM-3), as LoadLibrary/CreateProcess would: a
    /// bare name in the system directory (SysWOW64 for a 32-bit process on 64-bit Windows) and
    /// the application directory.
    fn locate(&self, raw: &str, bitness: Bitness) -> Vec<WinPath> {
        let expanded = raw.trim().trim_matches('"').to_owned();
        match WinPath::parse(&expanded) {
            Ok(p) => vec![redirected(self.m, p, bitness)],
            Err(_) => vec![
                self.m.system_directory(bitness).join(&expanded),
                self.p.exe.parent().join(&expanded),
            ],
        }
    }

    /// Where `LoadLibraryEx` looks for an in-process server (COM-3), and whether `raw` is a full
    /// path. A full path is the file itself (System32 redirected for a 32-bit process, as in
    /// [`Self::locate`]). A name without one goes through the standard search order with
    /// SafeDllSearchMode on: the application's directory, the system directory (SysWOW64 for a
    /// 32-bit process on 64-bit Windows), the 16-bit system directory, the Windows directory,
    /// then the current directory; `PATH` is not modelled.
    fn search_candidates(&self, raw: &str) -> (Vec<WinPath>, bool) {
        let name = raw.trim().trim_matches('"');
        if WinPath::parse(name).is_ok() {
            return (self.locate(name, self.p.bitness), true);
        }
        let dirs = [
            self.p.exe.parent(),
            self.m.system_directory(self.p.bitness),
            self.m.windows.join("System"),
            self.m.windows.clone(),
            self.p.cwd.clone(),
        ];
        let mut candidates: Vec<WinPath> = Vec::new();
        for d in dirs {
            let c = d.join(name);
            if !candidates.contains(&c) {
                candidates.push(c);
            }
        }
        (candidates, false)
    }

    /// The search of [`Self::search_candidates`] for a name without a path, as a trace step, so
    /// a DLL found in the current directory shows why.
    fn trace_search(
        &self,
        raw: &str,
        candidates: &[WinPath],
        hit: Option<&WinPath>,
        trace: &mut Trace,
    ) {
        let name = raw.trim().trim_matches('"');
        let system = self.m.system_directory(self.p.bitness);
        trace
            .push(
                Rule::Com3,
                format_args!(
                    "LoadLibrary: {name} is not a full path; the search order: application directory, {}, System, Windows directory, current directory {}",
                    system.file_name(),
                    self.p.cwd
                ),
            ).code("dll-search-order")
            .at(|| candidates.iter().map(WinPath::to_string).collect::<Vec<_>>().join("; "))
            .found(|| hit.map_or_else(|| "not found".to_owned(), WinPath::to_string));
    }

    /// COM-3: `LoadLibraryEx` of an in-process server in this process. The first file the search
    /// finds is the one loaded: it must exist (0x8007007E), be readable (0x80070005), be a
    /// native image (CLASS_E_CLASSNOTAVAILABLE) of the process's bitness (0x800700C1). With
    /// `quiet_standard`, a standard system file left as Windows installs it (mscoree.dll in the
    /// system directory) loads without a trace step; anything else is traced.
    fn load_library(
        &self,
        raw: &str,
        quiet_standard: bool,
        trace: &mut Trace,
    ) -> Result<&VFile, HResult> {
        let (candidates, full) = self.search_candidates(raw);
        let hit = candidates.iter().find_map(|p| self.m.fs.get(p));
        if let Some(f) = hit
            && quiet_standard
            && self.m.fs.is_standard(&f.path)
        {
            return Ok(f);
        }
        if !full {
            self.trace_search(raw, &candidates, hit.map(|f| &f.path), trace);
        }
        let Some(file) = hit else {
            let shown: Vec<String> = candidates
                .iter()
                .map(|p| match self.m.fs.absent_origin(p) {
                    Some(origin) => format!("{p} (absent: {origin})"),
                    None if self.m.fs.is_unknown(p) => format!("{p} (not provided)"),
                    None => p.to_string(),
                })
                .collect();
            let unknown = candidates.iter().any(|p| self.m.fs.is_unknown(p));
            let provided = self.m.fs.nothing_found(Rule::Com3, &candidates, trace);
            let text = if unknown {
                format!(
                    "LoadLibrary: no DLL is where it looks ({provided}); taken as absent: ERROR_MOD_NOT_FOUND"
                )
            } else {
                "LoadLibrary: the DLL does not exist (ERROR_MOD_NOT_FOUND)".to_owned()
            };
            trace
                .push(Rule::Com3, text)
                .code("dll-missing")
                .at(shown.join("; "))
                .found(|| HResult::MOD_NOT_FOUND.to_string());
            return Err(HResult::MOD_NOT_FOUND);
        };
        // LoadLibrary opens the file it found; the search does not go on past a file it may not
        // read.
        if let Some(image) = file.native()
            && !image.readable_by.can_read(self.p.elevated)
        {
            let who = match image.readable_by {
                Readers::Administrators => {
                    "only administrators may read it and the process is not elevated"
                }
                _ => "its ACL denies reading it",
            };
            trace
                .push(
                    Rule::Com3,
                    format_args!(
                        "LoadLibrary: the DLL cannot be opened: {who} (ERROR_ACCESS_DENIED)"
                    ),
                )
                .code("dll-access-denied")
                .at(|| file.path.to_string())
                .found(|| HResult::E_ACCESSDENIED.to_string());
            return Err(HResult::E_ACCESSDENIED);
        }
        let Some(image) = file.native() else {
            trace
                .push(
                    Rule::Com3,
                    "LoadLibrary: the file is not a native DLL with DllGetClassObject",
                )
                .code("dll-not-com-server")
                .at(|| file.path.to_string())
                .found(|| HResult::CLASS_E_CLASSNOTAVAILABLE.to_string());
            return Err(HResult::CLASS_E_CLASSNOTAVAILABLE);
        };
        if image.bitness != self.p.bitness {
            trace
                .push(
                    Rule::Com3,
                    format_args!(
                        "LoadLibrary: a {} DLL cannot load into a {} process (ERROR_BAD_EXE_FORMAT)",
                        image.bitness, self.p.bitness
                    ),
                ).code("dll-wrong-bitness")
                .at(|| file.path.to_string())
                .found(|| HResult::BAD_EXE_FORMAT.to_string());
            return Err(HResult::BAD_EXE_FORMAT);
        }
        if quiet_standard {
            trace
                .push(
                    Rule::Com3,
                    format_args!(
                        "LoadLibrary loads {} from {}",
                        file.path.file_name(),
                        file.path
                    ),
                )
                .code("dll-loaded")
                .at(|| file.path.to_string())
                .found(&file.origin);
        }
        Ok(file)
    }

    /// A native in-process DLL: it must load (COM-3, [`Self::load_library`]) and serve the
    /// class (CLASS_E_CLASSNOTAVAILABLE).
    fn native_inproc(
        &self,
        clsid: Guid,
        dll: &str,
        threading_model: Option<&str>,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Result<Server, HResult> {
        let file = self.load_library(dll, false, trace)?;
        let Some(image) = file.native() else {
            return Err(HResult::CLASS_E_CLASSNOTAVAILABLE);
        };
        if !image.serves_class(clsid) {
            trace
                .push(Rule::Com3, "DllGetClassObject does not serve this class")
                .code("class-not-served")
                .at(|| file.path.to_string())
                .found(|| HResult::CLASS_E_CLASSNOTAVAILABLE.to_string());
            return Err(HResult::CLASS_E_CLASSNOTAVAILABLE);
        }
        let apt = self.place_object(apartment, threading_model, trace);
        trace.last_at(|| file.path.to_string());
        Ok(Server {
            kind: ServerKind::InprocNative,
            clsid,
            file: file.path.to_string(),
            process: "client process".into(),
            apartment: Some(apt),
            runtime: None,
            runtime_started: false,
            managed: None,
        })
    }

    /// COM-3: after the in-process server failed with `hr`, under a CLSCTX that allows a local
    /// server, whether that failure ends the request. Inferred (`inproc-load-failure`) when an
    /// out-of-process server is registered; otherwise the request goes on (and finds none).
    fn inproc_failure_ends(
        &self,
        class: &ClassKey,
        access: &Access,
        hr: HResult,
        trace: &mut Trace,
    ) -> bool {
        if !self.out_of_process_registered(class, access) {
            return false;
        }
        let choice = self.sw.inproc_load_failure();
        let told = match choice {
            InprocLoadFailure::Next => format!(
                "the in-process server failed ({hr}) and an out-of-process server is registered: COM tries it next"
            ),
            InprocLoadFailure::Stop => format!(
                "the in-process server failed ({hr}): COM returns that error and does not try the out-of-process server registered"
            ),
        };
        let step = trace
            .push(Rule::Com3, told)
            .code("inproc-failed")
            .inferred(choice.setting());
        if choice == InprocLoadFailure::Stop {
            step.found(|| hr.to_string());
            return true;
        }
        false
    }

    /// COM-3: whether an out-of-process server is registered for the class, as `local_server`
    /// would find it: a `LocalServer32` command line in either view, or an `AppID` (in either
    /// view) with a `DllSurrogate` value.
    fn out_of_process_registered(&self, class: &ClassKey, access: &Access) -> bool {
        let views = access.both_views();
        if views.iter().any(|acc| {
            server_value(self, class, "LocalServer32", acc)
                .is_some_and(|c| !c.text.trim().is_empty())
        }) {
            return true;
        }
        views
            .iter()
            .find_map(|acc| string_value(self, class, "", "AppID", acc))
            .is_some_and(|appid| {
                let key = KeyPath::new(Root::ClassesRoot, ["AppID".to_owned(), appid]);
                self.m
                    .registry
                    .query_value(&key, "DllSurrogate", access)
                    .is_some()
            })
    }

    /// COM-3's out-of-process half: `LocalServer32` (own view, then the other), else an AppID
    /// with `DllSurrogate`. `None` when neither is registered.
    fn local_server(
        &mut self,
        class: &ClassKey,
        access: &Access,
        trace: &mut Trace,
    ) -> Option<Result<Server, HResult>> {
        let clsid = class.clsid();
        let key = || class.sub_path("LocalServer32");
        let views = access.both_views();
        for acc in views {
            let Some(value) = server_value(self, class, "LocalServer32", &acc)
                .filter(|c| !c.text.trim().is_empty())
            else {
                continue;
            };
            let cmd = &value.text;
            trace
                .push(
                    Rule::Com3,
                    format_args!("local server ({} view): {cmd} -Embedding", acc.view),
                )
                .code("local-server")
                .at(|| key().to_string())
                .found(cmd.clone());
            // Who expands a REG_EXPAND_SZ command line is inferred (`localserver-expand`).
            let expand = self.sw.localserver_expand();
            let env = || local_server_env(self.m, expand, self.p.bitness);
            let cmd = expand_server_path(&value, env, &key, Some(expand.setting()), trace);
            let exe = command_exe(&cmd);
            let located = self.locate(&exe, self.m.os);
            let file = located.iter().find_map(|p| self.m.fs.get(p));
            let result = match file.and_then(|f| f.native().map(|n| (f, n))) {
                Some((f, n)) if n.starts && n.serves_class(clsid) => {
                    trace
                        .push(
                            Rule::Com3,
                            "the server starts and registers its class object",
                        )
                        .code("local-server-started")
                        .at(|| f.path.to_string());
                    Ok(Server {
                        kind: ServerKind::LocalServer,
                        clsid,
                        file: f.path.to_string(),
                        process: format!("{} -Embedding ({})", f.path, n.bitness),
                        apartment: None,
                        runtime: None,
                        runtime_started: false,
                        managed: None,
                    })
                }
                found => {
                    if found.is_none() {
                        // On a partial machine, an executable nobody declared is an assumption.
                        self.m.fs.nothing_found(Rule::Com3, &located, trace);
                    }
                    let why = match found {
                        None if located.iter().any(|p| self.m.fs.is_unknown(p)) => {
                            "the executable is not provided (nothing says whether it exists; taken as absent)"
                        }
                        None => "the executable does not exist",
                        Some((_, n)) if !n.starts => "the executable does not start",
                        Some(_) => "the server never registers this class object",
                    };
                    trace
                        .push(Rule::Com3, format_args!("{why}: CO_E_SERVER_EXEC_FAILURE"))
                        .code("local-server-failed")
                        .at(exe.clone())
                        .found(|| HResult::CO_E_SERVER_EXEC_FAILURE.to_string());
                    Err(HResult::CO_E_SERVER_EXEC_FAILURE)
                }
            };
            return Some(result);
        }
        self.dll_surrogate(class, access, trace)
    }

    /// COM-3 without a LocalServer32: an `AppID` with `DllSurrogate` runs the InprocServer32 DLL
    /// (of either view) in a surrogate process (dllhost.exe when the value is empty). `None` when
    /// there is no AppID.
    fn dll_surrogate(
        &self,
        class: &ClassKey,
        access: &Access,
        trace: &mut Trace,
    ) -> Option<Result<Server, HResult>> {
        let clsid = class.clsid();
        let key = || class.sub_path("LocalServer32");
        let views = access.both_views();
        let appid = views
            .iter()
            .find_map(|acc| string_value(self, class, "", "AppID", acc));
        let Some(appid) = appid else {
            trace
                .push(
                    Rule::Com3,
                    "no LocalServer32 in either view and no AppID: no local server",
                )
                .code("local-server-absent")
                .at(|| key().to_string())
                .found("no key");
            return None;
        };
        let appid_key = KeyPath::new(Root::ClassesRoot, ["AppID".to_owned(), appid.clone()]);
        let surrogate = self
            .m
            .registry
            .query_value(&appid_key, "DllSurrogate", access)
            .map(|(v, _)| v.as_string().unwrap_or_default())?;
        trace
            .push(
                Rule::Com3,
                format_args!(
                    "AppID {appid} has DllSurrogate {}: the DLL runs in a surrogate process",
                    if surrogate.is_empty() {
                        "(empty: dllhost.exe)".to_owned()
                    } else {
                        surrogate.clone()
                    }
                ),
            )
            .code("dll-surrogate")
            .at(|| appid_key.to_string());
        let inproc = || class.sub_path("InprocServer32");
        for acc in views {
            let Some(value) =
                server_value(self, class, "InprocServer32", &acc).filter(|d| !d.text.is_empty())
            else {
                continue;
            };
            let bitness = self.surrogate_bitness(acc.view);
            let host = if surrogate.is_empty() {
                "dllhost.exe".to_owned()
            } else {
                surrogate.clone()
            };
            if file_name_of(&value.text).eq_ignore_ascii_case("mscoree.dll") {
                trace
                    .push(
                        Rule::Com3,
                        format_args!(
                            "the surrogate's in-process server is mscoree.dll ({} view): a managed class",
                            acc.view
                        ),
                    ).code("surrogate-managed")
                    .at(|| inproc().to_string())
                    .found(value.text.clone());
                return Some(self.managed_surrogate(clsid, bitness, &host, &surrogate, trace));
            }
            if surrogate.is_empty()
                && let Err(hr) = self.surrogate_host(bitness, trace)
            {
                return Some(Err(hr));
            }
            return Some(self.native_surrogate(clsid, &value, bitness, &host, acc.view, trace));
        }
        trace
            .push(Rule::Com3, "the surrogate has no InprocServer32 to load")
            .code("surrogate-no-inproc");
        Some(Err(HResult::CO_E_SERVER_EXEC_FAILURE))
    }
}

impl Session<'_> {
    /// COM-3: a native DLL in a surrogate of `bitness`; the surrogate reads (and expands) the
    /// InprocServer32 value found in `view`.
    fn native_surrogate(
        &self,
        clsid: Guid,
        value: &ServerValue,
        bitness: Bitness,
        host: &str,
        view: comsim_registry::View,
        trace: &mut Trace,
    ) -> Result<Server, HResult> {
        let inproc = || clsid_key(clsid, &["InprocServer32"]);
        let env = || Environment::of(bitness, self.m.os, self.m);
        let dll = expand_server_path(value, env, &inproc, None, trace);
        let file = self
            .locate(&dll, bitness)
            .into_iter()
            .find_map(|p| self.m.fs.get(&p));
        match file.and_then(|f| f.native().map(|n| (f, n))) {
            Some((f, n)) if n.serves_class(clsid) => {
                trace
                    .push(
                        Rule::Com3,
                        format_args!("{host} ({}) loads {}", n.bitness, f.path),
                    )
                    .code("surrogate-loads")
                    .at(|| inproc().to_string())
                    .found(format_args!("{view} view"));
                Ok(Server {
                    kind: ServerKind::Surrogate,
                    clsid,
                    file: f.path.to_string(),
                    process: format!("{host} ({})", n.bitness),
                    apartment: None,
                    runtime: None,
                    runtime_started: false,
                    managed: None,
                })
            }
            _ => {
                trace
                    .push(
                        Rule::Com3,
                        "the surrogate cannot load the DLL: CO_E_SERVER_EXEC_FAILURE",
                    )
                    .code("surrogate-load-failed")
                    .at(dll.clone())
                    .found(|| HResult::CO_E_SERVER_EXEC_FAILURE.to_string());
                Err(HResult::CO_E_SERVER_EXEC_FAILURE)
            }
        }
    }

    /// COM-3 with SHIM-1..SHIM-5: a managed class (InprocServer32 = mscoree.dll) run by a
    /// surrogate. The surrogate is a new process of the registration's bitness; mscoree loads in
    /// it and does what it does in-process, with the surrogate's registry view, no activation
    /// context and no `.config` of the client's (so SHIM-2 chooses the runtime from the
    /// registration alone). The client holds a proxy to the object in that process.
    fn managed_surrogate(
        &self,
        clsid: Guid,
        bitness: Bitness,
        host: &str,
        custom: &str,
        trace: &mut Trace,
    ) -> Result<Server, HResult> {
        let exe = if custom.is_empty() {
            self.surrogate_host(bitness, trace)?
        } else {
            match self.locate(custom, bitness).into_iter().next() {
                Some(p) => p,
                None => {
                    trace
                        .push(
                            Rule::Com3,
                            "the custom surrogate is not a path: CO_E_SERVER_EXEC_FAILURE",
                        )
                        .code("surrogate-path-invalid")
                        .at(custom.to_owned())
                        .found(|| HResult::CO_E_SERVER_EXEC_FAILURE.to_string());
                    return Err(HResult::CO_E_SERVER_EXEC_FAILURE);
                }
            }
        };
        let process = Process {
            client: ClientKind::Native,
            bitness,
            elevated: self.p.elevated,
            // Not read: the object is reached across processes, COM-5 does not apply.
            apartment: Apartment::Mta,
            exe: exe.clone(),
            // DCOM starts a surrogate in the system directory, where dllhost.exe is.
            cwd: exe.parent(),
            preloads_clr: false,
            threads: Threads::default(),
        };
        trace
            .push(
                Rule::Com3,
                format_args!(
                    "{host} ({bitness}) starts as the surrogate; mscoree.dll loads in it and starts a runtime as it would in-process"
                ),
            ).code("surrogate-starts-clr")
            .at(|| exe.to_string());
        let mut sub = Session::start_with(self.m, &process, self.sw, None, trace.mode());
        trace.extend(sub.take_pending());
        let result = match sub.failed.take() {
            Some(_) => Err(None),
            None => sub
                .load_library("mscoree.dll", true, trace)
                .map(|_| ())
                .and_then(|()| sub.mscoree_class(clsid, ManagedOrigin::Registry, trace))
                .map_err(Some),
        };
        match result {
            Ok((runtime, started, loaded)) => {
                trace
                    .push(
                        Rule::Com3,
                        format_args!(
                            "{host} ({bitness}) serves {} from CLR {runtime}: the client holds a proxy to it",
                            loaded.type_name
                        ),
                    ).code("surrogate-serves")
                    .at(|| loaded.path.to_string());
                Ok(Server {
                    kind: ServerKind::Surrogate,
                    clsid,
                    file: "mscoree.dll".into(),
                    process: format!("{host} ({bitness})"),
                    apartment: None,
                    runtime: Some(runtime),
                    runtime_started: started,
                    managed: Some(loaded),
                })
            }
            Err(inner) => {
                let why = match inner {
                    Some(hr) => format!("mscoree failed in the surrogate with {hr}"),
                    None => "the surrogate did not start".to_owned(),
                };
                trace
                    .push(
                        Rule::Com3,
                        format_args!(
                            "{why}; no class object is registered: CO_E_SERVER_EXEC_FAILURE"
                        ),
                    )
                    .code("surrogate-failed")
                    .found(|| HResult::CO_E_SERVER_EXEC_FAILURE.to_string());
                Err(HResult::CO_E_SERVER_EXEC_FAILURE)
            }
        }
    }

    /// COM-3: the default surrogate, `dllhost.exe` in the system directory of its bitness
    /// (SysWOW64 for a 32-bit one on 64-bit Windows). A machine without it cannot start the
    /// surrogate: CO_E_SERVER_EXEC_FAILURE.
    fn surrogate_host(&self, bitness: Bitness, trace: &mut Trace) -> Result<WinPath, HResult> {
        let exe = self.m.system_directory(bitness).join("dllhost.exe");
        let found = self.m.fs.get(&exe).and_then(|f| f.native().map(|n| (f, n)));
        match found {
            Some((_, n)) if n.bitness == bitness && n.starts => Ok(exe),
            other => {
                let why = match other {
                    None => match self.m.fs.absent_origin(&exe) {
                        Some(origin) => format!("it does not exist (absent: {origin})"),
                        None => "it does not exist".to_owned(),
                    },
                    Some((_, n)) if n.bitness != bitness => {
                        format!("it is a {} image, not {bitness}", n.bitness)
                    }
                    Some(_) => "it does not start".to_owned(),
                };
                trace
                    .push(
                        Rule::Com3,
                        format_args!("the surrogate dllhost.exe cannot start: {why}; CO_E_SERVER_EXEC_FAILURE"),
                    ).code("surrogate-cannot-start")
                    .at(|| exe.to_string())
                    .found(|| HResult::CO_E_SERVER_EXEC_FAILURE.to_string());
                Err(HResult::CO_E_SERVER_EXEC_FAILURE)
            }
        }
    }

    /// The bitness of the surrogate that serves a registration found in `view` (COM-3): the
    /// view's on 64-bit Windows; 32-bit Windows has one view and runs 32-bit processes only.
    fn surrogate_bitness(&self, view: comsim_registry::View) -> Bitness {
        match (self.m.os, view) {
            (Bitness::B32, _) | (_, comsim_registry::View::Bits32) => Bitness::B32,
            (Bitness::B64, comsim_registry::View::Bits64) => Bitness::B64,
        }
    }
}

/// A full path as a process of `bitness` opens it: on 64-bit Windows a 32-bit process asking for
/// System32 gets SysWOW64 (file system redirection). System32 is the Windows directory's,
/// wherever Windows is installed.
fn redirected(m: &Machine, p: WinPath, bitness: Bitness) -> WinPath {
    let system32 = m.windows.join("System32");
    if bitness == Bitness::B32 && m.os == Bitness::B64 && p.starts_with(&system32) {
        let comps = p.components();
        let rest = &comps[system32.components().len()..];
        m.windows.join("SysWOW64").join(&rest.join("\\"))
    } else {
        p
    }
}

/// Where the file an in-process server's registration names is for a process of `bitness`
/// (COM-3): `text` (an `InprocServer32` default value; REG_EXPAND_SZ when `expandable`) expanded
/// in that process's environment; a full path as the process opens it (System32 redirected for
/// a 32-bit process); a bare name in its system directory, the first place of the DLL search
/// that is the same for every client. `None` for a value that is not a path (`C:` alone, a
/// name with characters a path cannot hold). For the files of a machine known from its
/// registry only, placed as their registrations describe them (`comsim diagnose`, `comsim
/// audit`).
pub fn inproc_server_home(
    m: &Machine,
    text: &str,
    expandable: bool,
    bitness: Bitness,
) -> Option<WinPath> {
    let expanded = if expandable {
        Environment::of(bitness, m.os, m).expand(text)
    } else {
        text.to_owned()
    };
    let name = expanded.trim().trim_matches('"');
    match WinPath::parse(name) {
        Ok(p) => Some(redirected(m, p, bitness)),
        Err(_) if !name.is_empty() && !name.contains(['\\', '/', ':']) => {
            Some(m.system_directory(bitness).join(name))
        }
        Err(_) => None,
    }
}

/// The environment a `LocalServer32` command line is expanded in (COM-3, `localserver-expand`):
/// the launcher's (of the OS's bitness) or the client's (of `client` bitness).
fn local_server_env(m: &Machine, expand: LocalServerExpand, client: Bitness) -> Environment {
    match expand {
        LocalServerExpand::Launcher => Environment::of(m.os, m.os, m),
        LocalServerExpand::Client => Environment::of(client, m.os, m),
    }
}

/// Where the executable a `LocalServer32` command line `text` names is (COM-3): expanded as
/// `switches` say (`localserver-expand`; a client of `client` bitness, when the client expands
/// it), its executable taken from the command line, a full path as it is, a bare name in the
/// system directory of the OS's bitness (the launcher's). `None` for a command line that names
/// no path. For the servers of a machine known from its registry only, as
/// [`inproc_server_home`].
pub fn local_server_home(
    m: &Machine,
    switches: &crate::switches::Switches,
    (text, expandable): (&str, bool),
    client: Bitness,
) -> Option<WinPath> {
    let cmd = if expandable {
        local_server_env(m, switches.localserver_expand(), client).expand(text)
    } else {
        text.to_owned()
    };
    inproc_server_home(m, &command_exe(&cmd), false, m.os)
}

/// COM-3: a REG_EXPAND_SZ server path is expanded in the environment of the process that reads
/// it (`env`, built only then); a REG_SZ one is taken as written. The trace shows the expanded
/// value and whose environment expanded it.
fn expand_server_path(
    value: &ServerValue,
    env: impl FnOnce() -> Environment,
    key: &dyn Fn() -> KeyPath,
    setting: Option<Setting>,
    trace: &mut Trace,
) -> String {
    if !value.expandable {
        return value.text.clone();
    }
    let env = env();
    let expanded = env.expand(&value.text);
    let step = trace
        // The variables used are listed only when a trace shows them.
        .push(Rule::Com3, || {
            let used = env.used_in(&value.text);
            format!(
                "REG_EXPAND_SZ expanded in the environment of {env}{}: {expanded}",
                if used.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", used.join(", "))
                }
            )
        })
        .code("expand-sz")
        .at(|| key().to_string())
        .found(&expanded);
    if let Some(setting) = setting {
        step.inferred(setting);
    }
    expanded
}

/// The executable of a `LocalServer32` command line.
fn command_exe(cmd: &str) -> String {
    let cmd = cmd.trim();
    if let Some(rest) = cmd.strip_prefix('"') {
        return rest.split('"').next().unwrap_or(rest).to_owned();
    }
    // Unquoted: up to the first `.exe`, else the first space.
    let lower = cmd.to_ascii_lowercase();
    if let Some(at) = lower.find(".exe") {
        return cmd[..at + 4].to_owned();
    }
    cmd.split(' ').next().unwrap_or(cmd).to_owned()
}

/// A context entry's `threadingModel` as the registry would spell it (COM-5).
/// SXS-3 (inferred): the threading model of a `clrClass` whose `threadingModel` is missing or
/// empty. Microsoft's attribute table for `clrClass` gives `Both` as the default; Wine stores no
/// model, which COM-5 places in the main STA. Switch `clr-class-threading`.
fn clr_class_default_threading(
    setting: ClrClassThreading,
    server: &comsim_manifest::lookup::ComServer,
    trace: &mut Trace,
) -> Option<String> {
    let tm = match setting {
        ClrClassThreading::Both => Some("Both".to_owned()),
        ClrClassThreading::None => None,
    };
    trace
        .push(Rule::Sxs3, || {
            format!(
                "the clrClass names no threadingModel: {}",
                tm.as_deref()
                    .map_or("none (main STA)".to_owned(), |t| format!(
                        "{t}, the documented default"
                    ))
            )
        })
        .code("clrclass-no-threading-model")
        .at(|| server.location.to_string())
        .found(tm.as_deref().unwrap_or("(none)"))
        .inferred(setting.setting());
    tm
}

fn threading_name(tm: &comsim_manifest::ThreadingModel) -> Option<String> {
    use comsim_manifest::ThreadingModel as T;
    match tm {
        T::Apartment => Some("Apartment".into()),
        T::Free => Some("Free".into()),
        T::Both => Some("Both".into()),
        T::Neutral => Some("Neutral".into()),
        T::None(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn com3_local_server_command_lines() {
        assert_eq!(
            command_exe(r#""C:\Program Files\S\s.exe" /x"#),
            r"C:\Program Files\S\s.exe"
        );
        assert_eq!(
            command_exe(r"C:\Program Files\S\s.exe /x"),
            r"C:\Program Files\S\s.exe"
        );
        assert_eq!(command_exe(r"C:\S\server /x"), r"C:\S\server");
    }

    /// COM-3: where the DLL a registration names is for a process of each bitness, as a machine
    /// known from its registry places it: expanded in that process's environment, System32
    /// redirected for a 32-bit process, a bare name in its system directory.
    #[test]
    fn com3_an_inproc_servers_home_is_where_a_process_of_its_bitness_loads_it() {
        let m = Machine::new(Bitness::B64);
        let home = |text: &str, expandable: bool, b: Bitness| {
            inproc_server_home(&m, text, expandable, b).map(|p| p.to_string())
        };
        let expand = r"%ProgramFiles%\Tailspin\c.dll";
        assert_eq!(
            home(expand, true, Bitness::B32).as_deref(),
            Some(r"C:\Program Files (x86)\Tailspin\c.dll")
        );
        assert_eq!(
            home(expand, true, Bitness::B64).as_deref(),
            Some(r"C:\Program Files\Tailspin\c.dll")
        );
        // REG_SZ is taken as written: no such path.
        assert_eq!(home(expand, false, Bitness::B64), None);
        let system = r"C:\Windows\System32\x.dll";
        assert_eq!(
            home(system, false, Bitness::B32).as_deref(),
            Some(r"C:\Windows\SysWOW64\x.dll")
        );
        assert_eq!(home(system, false, Bitness::B64).as_deref(), Some(system));
        assert_eq!(
            home(r#""x.dll""#, false, Bitness::B32).as_deref(),
            Some(r"C:\Windows\SysWOW64\x.dll")
        );
        assert_eq!(
            home("x.dll", false, Bitness::B64).as_deref(),
            Some(r"C:\Windows\System32\x.dll")
        );
        assert_eq!(home(r"..\x.dll", false, Bitness::B64), None);
        assert_eq!(home("", false, Bitness::B64), None);
        // On 32-bit Windows there is no redirection: System32 is the 32-bit directory.
        let x86 = Machine::new(Bitness::B32);
        assert_eq!(
            inproc_server_home(&x86, system, false, Bitness::B32).map(|p| p.to_string()),
            Some(system.to_owned())
        );
    }

    /// COM-3: a local server's executable is the command line's, expanded where
    /// `localserver-expand` says, a bare name in the launcher's system directory.
    #[test]
    fn com3_a_local_servers_home_is_its_command_lines_executable() {
        let m = Machine::new(Bitness::B64);
        let launcher = Switches::default();
        let home = |text: &str, expandable: bool, sw: &Switches, b: Bitness| {
            local_server_home(&m, sw, (text, expandable), b).map(|p| p.to_string())
        };
        let cmd = r#""%ProgramFiles%\Tailspin\srv.exe" /automation"#;
        assert_eq!(
            home(cmd, true, &launcher, Bitness::B32).as_deref(),
            Some(r"C:\Program Files\Tailspin\srv.exe"),
            "the launcher (64-bit) expands it by default"
        );
        let mut client = Switches::default();
        client
            .set("localserver-expand", "client")
            .expect("a switch");
        assert_eq!(
            home(cmd, true, &client, Bitness::B32).as_deref(),
            Some(r"C:\Program Files (x86)\Tailspin\srv.exe")
        );
        assert_eq!(
            home("srv.exe -Embedding", false, &launcher, Bitness::B32).as_deref(),
            Some(r"C:\Windows\System32\srv.exe")
        );
    }

    use comsim_registry::{View, Writer};

    use crate::machine::{
        AssemblyInfo, Machine, NativeImage, ProcessorArchitecture, RuntimeVersion, TypeInfo,
        TypeKind,
    };
    use crate::outcome::Outcome;
    use crate::process::{ClassRef, Request};
    use crate::switches::Switches;
    use crate::vfs::{FileKind, VFile};

    const CLSID: &str = "{FE000000-0000-4000-8000-000000000001}";
    const APPID: &str = "{FE000000-0000-4000-8000-0000000000A1}";

    fn clsid() -> Guid {
        Guid::parse(CLSID).expect("a GUID")
    }

    /// Writes `HKLM\SOFTWARE\Classes\<path>` `name` = `value` in `view`.
    fn set(m: &mut Machine, path: &[&str], name: &str, value: Value, view: View) {
        let mut comps = vec!["SOFTWARE", "Classes"];
        comps.extend_from_slice(path);
        m.registry
            .write_value(
                &KeyPath::new(Root::LocalMachine, comps),
                name,
                value,
                view,
                Writer { admin: true },
            )
            .expect("an administrator writes HKLM");
    }

    fn file(path: &str, kind: FileKind) -> VFile {
        VFile {
            path: WinPath::parse(path).expect("a path"),
            kind,
            bytes: Vec::new(),
            embedded_manifest: None,
            origin: "test".into(),
        }
    }

    fn native(path: &str, bitness: Bitness, serves: Vec<Guid>) -> VFile {
        file(
            path,
            FileKind::Native(NativeImage {
                bitness,
                serves,
                serves_index: Default::default(),
                starts: true,
                readable_by: Readers::Everyone,
            }),
        )
    }

    fn process(exe: &str, client: ClientKind, bitness: Bitness) -> Process {
        Process {
            client,
            bitness,
            elevated: false,
            apartment: Apartment::Sta,
            exe: WinPath::parse(exe).expect("a path"),
            cwd: WinPath::parse(exe).expect("a path").parent(),
            preloads_clr: false,
            threads: Threads::default(),
        }
    }

    fn co_create(m: &Machine, p: &Process, sw: &Switches, clsctx: ClsCtx) -> Outcome {
        let mut s = Session::start(m, p, sw, None);
        let req = Request::CoCreateInstance {
            target: ClassRef::Clsid(clsid()),
            clsctx,
        };
        s.request(&req, None).outcome
    }

    fn server(o: &Outcome) -> &Server {
        match o {
            Outcome::ComObject {
                server: Some(s), ..
            } => s,
            other => panic!("not an object: {other:?}"),
        }
    }

    /// COM-2: a TreatAs chain of 10,000 classes is followed to its end, each link traced once.
    /// The CLSIDs already met are a set: scanning the chain for each link (as before) took 6 s
    /// for 100,000 classes (docs/reliability.md).
    #[test]
    fn a_recycled_trace_buffer_starts_the_next_request_with_its_own_steps_only() {
        // `session::recycle` hands a run's step buffer to the thread's next request: that
        // request's trace must be what it is without the handed-back buffer.
        let mut m = Machine::new(Bitness::B64);
        set(
            &mut m,
            &["CLSID", &clsid().to_string(), "InprocServer32"],
            "",
            Value::sz(r"C:\App\x.dll"),
            View::Bits64,
        );
        m.fs.insert(native(r"C:\App\x.dll", Bitness::B64, vec![clsid()]))
            .expect("one file at the path");
        let p = process(r"C:\App\client.exe", ClientKind::Native, Bitness::B64);
        let sw = Switches::default();
        let req = Request::CoCreateInstance {
            target: ClassRef::Clsid(clsid()),
            clsctx: ClsCtx(ClsCtx::INPROC_SERVER),
        };
        let fresh = Session::start(&m, &p, &sw, None).request(&req, None).trace;
        let first = Session::start(&m, &p, &sw, None).request(&req, None).trace;
        assert_eq!(first.steps, fresh.steps);
        crate::session::recycle(first);
        let again = Session::start(&m, &p, &sw, None).request(&req, None).trace;
        assert_eq!(again.steps, fresh.steps);
    }

    #[test]
    fn com2_a_long_treat_as_chain_is_followed_in_linear_time() {
        const N: u128 = 10_000;
        let guid = |i: u128| {
            let mut g = clsid();
            g.0 = uuid::Uuid::from_u128(g.0.as_u128() + i);
            g
        };
        let mut m = Machine::new(Bitness::B64);
        for i in 0..N {
            set(
                &mut m,
                &["CLSID", &guid(i).to_string(), "TreatAs"],
                "",
                Value::sz(&guid(i + 1).to_string()),
                View::Bits64,
            );
        }
        let last = guid(N);
        set(
            &mut m,
            &["CLSID", &last.to_string(), "InprocServer32"],
            "",
            Value::sz(r"C:\App\x.dll"),
            View::Bits64,
        );
        m.fs.insert(native(r"C:\App\x.dll", Bitness::B64, vec![last]))
            .expect("a new file");
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
        let sw = Switches::default();
        let mut s = Session::start(&m, &p, &sw, None);
        let req = Request::CoCreateInstance {
            target: ClassRef::Clsid(clsid()),
            clsctx: ClsCtx::SERVER,
        };
        let result = s.request(&req, None);
        assert_eq!(server(&result.outcome).file, r"C:\App\x.dll");
        let links = result
            .trace
            .steps
            .iter()
            .filter(|t| t.rule == Rule::Com2)
            .count();
        assert_eq!(links, N as usize);
    }

    /// COM-3: an InprocServer32 REG_EXPAND_SZ under %ProgramFiles% is expanded with the 32-bit
    /// client's environment, so the DLL is found in the (x86) folder; on 32-bit Windows the same
    /// value names the one Program Files folder.
    #[test]
    fn com3_expand_sz_inproc_server_follows_the_client_environment() {
        for (os, dir) in [
            (Bitness::B64, r"C:\Program Files (x86)"),
            (Bitness::B32, r"C:\Program Files"),
        ] {
            let mut m = Machine::new(os);
            let view = if os == Bitness::B64 {
                View::Bits32
            } else {
                View::Bits64
            };
            set(
                &mut m,
                &["CLSID", CLSID, "InprocServer32"],
                "",
                Value::expand_sz(r"%ProgramFiles%\Contoso\x.dll"),
                view,
            );
            let dll = format!(r"{dir}\Contoso\x.dll");
            m.fs.insert(native(&dll, Bitness::B32, vec![clsid()]))
                .expect("a new file");
            let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B32);
            let o = co_create(&m, &p, &Switches::default(), ClsCtx::SERVER);
            assert_eq!(server(&o).file, dll, "{os} Windows");
            assert_eq!(server(&o).kind, ServerKind::InprocNative);
        }
    }

    /// COM-3: LoadLibrary cannot open a DLL the process may not read: CoCreateInstance returns
    /// 0x80070005 E_ACCESSDENIED. A DLL only administrators may read loads in an elevated
    /// process; an explicit deny stops every process.
    #[test]
    fn com3_a_dll_the_process_may_not_read_fails_with_access_denied() {
        let dll = r"C:\Program Files\Contoso\secure64.dll";
        for (readers, elevated, loads) in [
            (Readers::Administrators, false, false),
            (Readers::Administrators, true, true),
            (Readers::Nobody, true, false),
            (Readers::Everyone, false, true),
        ] {
            let mut m = Machine::new(Bitness::B64);
            set(
                &mut m,
                &["CLSID", CLSID, "InprocServer32"],
                "",
                Value::sz(dll),
                View::Bits64,
            );
            let mut f = native(dll, Bitness::B64, vec![clsid()]);
            if let FileKind::Native(n) = &mut f.kind {
                n.readable_by = readers;
            }
            m.fs.insert(f).expect("a new file");
            let mut p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
            p.elevated = elevated;
            let o = co_create(&m, &p, &Switches::default(), ClsCtx::SERVER);
            if loads {
                assert_eq!(server(&o).file, dll, "{readers:?}, elevated {elevated}");
            } else {
                assert_eq!(
                    o.hresult(),
                    Some(HResult::E_ACCESSDENIED),
                    "{readers:?}, elevated {elevated}"
                );
            }
        }
    }

    /// COM-3: an InprocServer32 named without a full path goes through LoadLibrary's search
    /// order: the application directory first, then System32 (SysWOW64), System, the Windows
    /// directory, and the current directory last.
    #[test]
    fn com3_a_bare_dll_name_follows_the_search_order_to_the_current_directory() {
        let mut m = Machine::new(Bitness::B64);
        set(
            &mut m,
            &["CLSID", CLSID, "InprocServer32"],
            "",
            Value::sz("helper.dll"),
            View::Bits32,
        );
        let mut p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B32);
        p.cwd = WinPath::parse(r"D:\Work").expect("a path");
        let cwd = r"D:\Work\helper.dll";
        m.fs.insert(native(cwd, Bitness::B32, vec![clsid()]))
            .expect("a new file");
        let o = co_create(&m, &p, &Switches::default(), ClsCtx::SERVER);
        assert_eq!(server(&o).file, cwd);
        // The Windows directory comes before the current directory...
        let windows = r"C:\Windows\helper.dll";
        m.fs.insert(native(windows, Bitness::B32, vec![clsid()]))
            .expect("a new file");
        let o = co_create(&m, &p, &Switches::default(), ClsCtx::SERVER);
        assert_eq!(server(&o).file, windows);
        // ... SysWOW64 before that, and the application directory before all.
        let wow = r"C:\Windows\SysWOW64\helper.dll";
        m.fs.insert(native(wow, Bitness::B32, vec![clsid()]))
            .expect("a new file");
        let o = co_create(&m, &p, &Switches::default(), ClsCtx::SERVER);
        assert_eq!(server(&o).file, wow);
        let app = r"C:\App\helper.dll";
        m.fs.insert(native(app, Bitness::B32, vec![clsid()]))
            .expect("a new file");
        let o = co_create(&m, &p, &Switches::default(), ClsCtx::SERVER);
        assert_eq!(server(&o).file, app);
    }

    /// COM-3: a REG_EXPAND_SZ LocalServer32 is expanded by the native launcher by default, and by
    /// the client with `localserver-expand=client`.
    #[test]
    fn com3_localserver_expand_switch_picks_the_environment() {
        let mut m = Machine::new(Bitness::B64);
        set(
            &mut m,
            &["CLSID", CLSID, "LocalServer32"],
            "",
            Value::expand_sz(r#""%ProgramFiles%\Contoso\srv.exe" /x"#),
            View::Bits32,
        );
        let exe = r"C:\Program Files (x86)\Contoso\srv.exe";
        m.fs.insert(native(exe, Bitness::B32, vec![clsid()]))
            .expect("a new file");
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B32);
        let launcher = co_create(&m, &p, &Switches::default(), ClsCtx(ClsCtx::LOCAL_SERVER));
        assert_eq!(launcher.hresult(), Some(HResult::CO_E_SERVER_EXEC_FAILURE));
        let mut sw = Switches::default();
        sw.set("localserver-expand", "client").expect("a switch");
        let client = co_create(&m, &p, &sw, ClsCtx(ClsCtx::LOCAL_SERVER));
        assert_eq!(server(&client).file, exe);
    }

    /// COM-3 with SHIM-1..SHIM-5: a managed class (mscoree.dll) registered in the 32-bit view
    /// with an AppID and an empty DllSurrogate runs in a 32-bit dllhost.exe on the runtime its
    /// registration asks for, for a 64-bit client that cannot load it in-process.
    /// A machine with both CLRs and Contoso.Gauges (a .NET 4 assembly of `arch`) registered by
    /// regasm /codebase in `view`, its class under [`CLSID`] served by mscoree.dll.
    fn gauges_machine(view: View, arch: ProcessorArchitecture) -> Machine {
        let mut m = Machine::new(Bitness::B64);
        let v4 = RuntimeVersion::parse("v4.0.30319").expect("a version");
        m.clrs = vec![
            RuntimeVersion::parse("v2.0.50727").expect("a version"),
            v4.clone(),
        ];
        let inproc = ["CLSID", CLSID, "InprocServer32"];
        for (name, value) in [
            ("", "mscoree.dll"),
            ("Class", "Contoso.Meter"),
            (
                "Assembly",
                "Contoso.Gauges, Version=3.0.0.0, Culture=neutral, PublicKeyToken=null",
            ),
            ("RuntimeVersion", "v4.0.30319"),
            ("CodeBase", "file:///C:/Gauges/Contoso.Gauges.dll"),
        ] {
            set(&mut m, &inproc, name, Value::sz(value), view);
        }
        let mut class = TypeInfo::new("Contoso.Meter", TypeKind::Class);
        class.guid = Some(clsid());
        let assembly = AssemblyInfo {
            name: "Contoso.Gauges".into(),
            version: comsim_manifest::Version([3, 0, 0, 0]),
            culture: None,
            public_key_token: None,
            public_key: None,
            com_compatible_version: None,
            runtime: v4,
            architecture: arch,
            com_visible: true,
            primary_interop: None,
            guid: None,
            types: vec![class],
            type_index: Default::default(),
        };
        m.fs.insert(file(
            r"C:\Gauges\Contoso.Gauges.dll",
            FileKind::Assembly(Box::new(assembly)),
        ))
        .expect("a new file");
        m
    }

    #[test]
    fn com3_managed_class_runs_in_a_surrogate_of_the_registration_bitness() {
        let mut m = gauges_machine(View::Bits32, ProcessorArchitecture::X86);
        let v4 = RuntimeVersion::parse("v4.0.30319").expect("a version");
        set(
            &mut m,
            &["CLSID", CLSID],
            "AppID",
            Value::sz(APPID),
            View::Bits32,
        );
        set(
            &mut m,
            &["AppID", APPID],
            "DllSurrogate",
            Value::sz(""),
            View::Bits32,
        );
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
        let sw = Switches::default();
        let inproc_only = co_create(&m, &p, &sw, ClsCtx(ClsCtx::INPROC_SERVER));
        assert_eq!(inproc_only.hresult(), Some(HResult::REGDB_E_CLASSNOTREG));
        let o = co_create(&m, &p, &sw, ClsCtx::SERVER);
        let s = server(&o);
        assert_eq!(s.kind, ServerKind::Surrogate);
        assert_eq!(s.process, "dllhost.exe (32-bit)");
        assert_eq!(s.runtime.as_ref(), Some(&v4));
        assert!(s.apartment.is_none());
        let managed = s.managed.as_ref().expect("a managed type");
        assert_eq!(managed.type_name, "Contoso.Meter");
        assert_eq!(managed.path.to_string(), r"C:\Gauges\Contoso.Gauges.dll");
    }

    /// SHIM-5: a client's own call of mscoree's DllGetClassObject gets the runtime's class
    /// factory for a registered class; it does not follow TreatAs as CoCreateInstance does, and a
    /// class mscoree cannot find is REGDB_E_CLASSNOTREG, or CLASS_E_CLASSNOTAVAILABLE with
    /// `mscoree-no-class=classnotavailable`.
    #[test]
    fn shim5_dll_get_class_object_on_mscoree_skips_com_and_answers_no_class_by_the_switch() {
        const OLD: &str = "{FE000000-0000-4000-8000-000000000002}";
        let mut m = gauges_machine(View::Bits64, ProcessorArchitecture::Msil);
        set(
            &mut m,
            &["CLSID", OLD, "TreatAs"],
            "",
            Value::sz(CLSID),
            View::Bits64,
        );
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
        let old = Guid::parse(OLD).expect("a GUID");
        let run = |sw: &Switches, req: Request| {
            let mut s = Session::start(&m, &p, sw, None);
            s.request(&req, None)
        };
        let sw = Switches::default();
        let direct = run(&sw, Request::DllGetClassObject { clsid: clsid() });
        let s = server(&direct.outcome);
        assert_eq!(
            (s.kind, s.file.as_str()),
            (ServerKind::InprocManaged, "mscoree.dll")
        );
        assert!(s.apartment.is_none(), "COM-5 does not run");
        assert_eq!(
            s.managed.as_ref().expect("a type").type_name,
            "Contoso.Meter"
        );
        assert!(!direct.trace.steps.iter().any(|t| t.rule == Rule::Com3));

        let via_com = run(
            &sw,
            Request::CoCreateInstance {
                target: ClassRef::Clsid(old),
                clsctx: ClsCtx::SERVER,
            },
        );
        assert_eq!(
            server(&via_com.outcome).clsid,
            clsid(),
            "COM-2 follows TreatAs"
        );
        let no_class = run(&sw, Request::DllGetClassObject { clsid: old });
        assert_eq!(
            no_class.outcome.hresult(),
            Some(HResult::REGDB_E_CLASSNOTREG)
        );
        let step = no_class.trace.steps.last().expect("a step");
        assert_eq!(step.rule, Rule::Shim5);
        assert_eq!(
            step.inferred.as_deref(),
            Some("mscoree-no-class=classnotreg")
        );

        let mut other = Switches::default();
        other
            .set_pair("mscoree-no-class=classnotavailable")
            .expect("a switch");
        let no_class = run(&other, Request::DllGetClassObject { clsid: old });
        assert_eq!(
            no_class.outcome.hresult(),
            Some(HResult::CLASS_E_CLASSNOTAVAILABLE)
        );
    }

    /// SXS-3 (inferred): a clrClass without threadingModel is `Both` by default, so the object
    /// lives in the caller's apartment (COM-5); with `clr-class-threading=none` it has no model
    /// and lives in the main STA, as in Wine.
    #[test]
    fn sxs3_clr_class_without_threading_model_is_both_unless_switched() {
        let server = comsim_manifest::lookup::ComServer {
            clsid: clsid(),
            module: "mscoree.dll".into(),
            managed_type: Some("Tailspin.Gauges.Dial".into()),
            runtime_version: Some("v4.0.30319".into()),
            threading_model: comsim_manifest::ThreadingModel::None(None),
            progids: Vec::new(),
            source: "Tailspin.Gauges.dll".into(),
            location: comsim_diag::Location::new("Tailspin.Gauges.manifest", 4, 3),
        };
        let placed = |setting| {
            let mut trace = Trace::default();
            let tm = clr_class_default_threading(setting, &server, &mut trace);
            let step = trace.steps.last().expect("an SXS-3 step");
            assert_eq!(step.rule, Rule::Sxs3);
            let apt = apartment_for(
                Apartment::Mta,
                ThreadingModel::from_registry(tm.as_deref()),
                Threads::default(),
            );
            (apt, step.inferred.clone())
        };
        assert_eq!(
            placed(ClrClassThreading::Both),
            (
                ObjectApartment::ClientMta,
                Some("clr-class-threading=both".to_owned())
            )
        );
        assert_eq!(
            placed(ClrClassThreading::None),
            (
                ObjectApartment::MainSta,
                Some("clr-class-threading=none".to_owned())
            )
        );
    }

    /// REQ-3 (inferred): a ProgID key with both CurVer and CLSID follows CurVer by default and
    /// gives its own CLSID with `progid-curver=clsid`; a key with only a CLSID is not affected.
    #[test]
    fn req3_progid_with_curver_and_clsid_follows_the_switch() {
        let old = "{F7000000-0000-4000-8000-000000000001}";
        let new = "{F7000000-0000-4000-8000-000000000002}";
        let mut m = Machine::new(Bitness::B64);
        for (path, value) in [
            (&["Fabrikam.Chart", "CLSID"][..], old),
            (&["Fabrikam.Chart", "CurVer"][..], "Fabrikam.Chart.2"),
            (&["Fabrikam.Chart.2", "CLSID"][..], new),
        ] {
            set(&mut m, path, "", Value::sz(value), View::Bits64);
        }
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
        let lookup = |sw: &Switches, progid: &str| {
            let s = Session::start(&m, &p, sw, None);
            let mut trace = Trace::default();
            let clsid = s.clsid_from_progid(progid, &mut trace);
            let inferred: Vec<String> = trace
                .steps
                .iter()
                .filter_map(|t| t.inferred.clone())
                .collect();
            (clsid.map(|g| g.to_string()), inferred)
        };
        let guid = |g: &str| Some(Guid::parse(g).expect("a GUID").to_string());
        assert_eq!(
            lookup(&Switches::default(), "Fabrikam.Chart"),
            (guid(new), vec!["progid-curver=curver".to_owned()])
        );
        let mut sw = Switches::default();
        sw.set("progid-curver", "clsid").expect("a switch");
        assert_eq!(
            lookup(&sw, "Fabrikam.Chart"),
            (guid(old), vec!["progid-curver=clsid".to_owned()])
        );
        assert_eq!(lookup(&sw, "Fabrikam.Chart.2"), (guid(new), Vec::new()));
    }

    /// COM-3 (inferred): a 32-bit InprocServer32 in a 64-bit client fails to load
    /// (0x800700C1); with a LocalServer32 registered too, CLSCTX_SERVER goes on to the local server
    /// by default and returns the load error with `inproc-load-failure=stop`. CLSCTX_INPROC_SERVER
    /// alone returns the load error either way, and the step is marked only when a local server
    /// could have been tried.
    #[test]
    fn com3_failed_inproc_server_then_local_server_follows_the_switch() {
        let mut m = Machine::new(Bitness::B64);
        set(
            &mut m,
            &["CLSID", CLSID, "InprocServer32"],
            "",
            Value::sz(r"C:\Fabrikam\chart32.dll"),
            View::Bits64,
        );
        set(
            &mut m,
            &["CLSID", CLSID, "LocalServer32"],
            "",
            Value::sz(r"C:\Fabrikam\chartsrv.exe"),
            View::Bits64,
        );
        m.fs.insert(native(
            r"C:\Fabrikam\chart32.dll",
            Bitness::B32,
            vec![clsid()],
        ))
        .expect("a new file");
        m.fs.insert(native(
            r"C:\Fabrikam\chartsrv.exe",
            Bitness::B64,
            vec![clsid()],
        ))
        .expect("a new file");
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
        let run = |sw: &Switches, clsctx: ClsCtx| {
            let mut s = Session::start(&m, &p, sw, None);
            let mut trace = Trace::default();
            let r = s.co_create(clsid(), clsctx, Apartment::Sta, &mut trace);
            let inferred: Vec<String> = trace
                .steps
                .iter()
                .filter_map(|t| t.inferred.clone())
                .collect();
            (r.map(|s| s.kind), inferred)
        };
        let mut stop = Switches::default();
        stop.set("inproc-load-failure", "stop").expect("a switch");
        assert_eq!(
            run(&Switches::default(), ClsCtx::SERVER),
            (
                Ok(ServerKind::LocalServer),
                vec!["inproc-load-failure=next".to_owned()]
            )
        );
        assert_eq!(
            run(&stop, ClsCtx::SERVER),
            (
                Err(HResult::BAD_EXE_FORMAT),
                vec!["inproc-load-failure=stop".to_owned()]
            )
        );
        for sw in [Switches::default(), stop] {
            assert_eq!(
                run(&sw, ClsCtx(ClsCtx::INPROC_SERVER)),
                (Err(HResult::BAD_EXE_FORMAT), Vec::new())
            );
        }
    }

    /// COM-3: mscoree.dll is loaded from the process's system directory before the shim runs:
    /// a 64-bit client finds System32's, a 32-bit one SysWOW64's. Declared absent it fails with
    /// 0x8007007E; replaced by an image of the other bitness, 0x800700C1; the standard file
    /// loads without a trace step.
    #[test]
    fn com3_mscoree_loads_from_the_system_directory_of_the_process_bitness() {
        let base = Machine::new(Bitness::B64);
        let load = |m: &Machine, bitness: Bitness, raw: &str| {
            let p = process(r"C:\App\App.exe", ClientKind::Native, bitness);
            let sw = Switches::default();
            let s = Session::start(m, &p, &sw, None);
            let mut trace = Trace::default();
            let r = s
                .load_library(raw, true, &mut trace)
                .map(|f| f.path.to_string());
            (r, trace.steps.len())
        };
        assert_eq!(
            load(&base, Bitness::B64, "mscoree.dll"),
            (Ok(r"C:\Windows\System32\mscoree.dll".to_owned()), 0)
        );
        assert_eq!(
            load(&base, Bitness::B32, "mscoree.dll"),
            (Ok(r"C:\Windows\SysWOW64\mscoree.dll".to_owned()), 0)
        );
        // A full path into System32 is redirected for a 32-bit process.
        assert_eq!(
            load(&base, Bitness::B32, r"C:\Windows\System32\mscoree.dll").0,
            Ok(r"C:\Windows\SysWOW64\mscoree.dll".to_owned())
        );
        let mut missing = base.clone();
        missing
            .fs
            .declare_absent(
                WinPath::parse(r"C:\Windows\SysWOW64\mscoree.dll").expect("a path"),
                "test".into(),
            )
            .expect("no file there");
        assert_eq!(
            load(&missing, Bitness::B32, "mscoree.dll").0,
            Err(HResult::MOD_NOT_FOUND)
        );
        assert!(load(&missing, Bitness::B64, "mscoree.dll").0.is_ok());
        let mut wrong = base.clone();
        wrong
            .fs
            .insert(native(
                r"C:\Windows\SysWOW64\mscoree.dll",
                Bitness::B64,
                vec![],
            ))
            .expect("a new file");
        assert_eq!(
            load(&wrong, Bitness::B32, "mscoree.dll").0,
            Err(HResult::BAD_EXE_FORMAT)
        );
        // 32-bit Windows has one System32, of 32-bit images.
        let x86 = Machine::new(Bitness::B32);
        assert_eq!(
            load(&x86, Bitness::B32, "mscoree.dll").0,
            Ok(r"C:\Windows\System32\mscoree.dll".to_owned())
        );
    }

    /// COM-3: the default surrogate is dllhost.exe in the system directory of its bitness; a
    /// machine without it cannot start the surrogate (CO_E_SERVER_EXEC_FAILURE).
    #[test]
    fn com3_the_default_surrogate_needs_dllhost_of_its_bitness() {
        let mut m = Machine::new(Bitness::B64);
        let p = process(r"C:\App\App.exe", ClientKind::Native, Bitness::B64);
        let sw = Switches::default();
        let host = |m: &Machine, b: Bitness| {
            let s = Session::start(m, &p, &sw, None);
            s.surrogate_host(b, &mut Trace::default())
                .map(|p| p.to_string())
        };
        assert_eq!(
            host(&m, Bitness::B32),
            Ok(r"C:\Windows\SysWOW64\dllhost.exe".to_owned())
        );
        m.fs.declare_absent(
            WinPath::parse(r"C:\Windows\SysWOW64\dllhost.exe").expect("a path"),
            "test".into(),
        )
        .expect("no file there");
        assert_eq!(
            host(&m, Bitness::B32),
            Err(HResult::CO_E_SERVER_EXEC_FAILURE)
        );
        assert_eq!(
            host(&m, Bitness::B64),
            Ok(r"C:\Windows\System32\dllhost.exe".to_owned())
        );
    }
}
