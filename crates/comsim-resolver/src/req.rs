//! REQ-1..REQ-5: the requests a client makes and how each starts the walk.
//!
//! [`Session::request`] dispatches: `Type.GetTypeFromCLSID` (REQ-1, with the AppDomain's cache),
//! `Activator.CreateInstance` (REQ-2), `Type.GetTypeFromProgID` (REQ-3, `CurVer` and the
//! activation context's ProgIDs), a native client's `CoCreateInstance` (REQ-4) and a record
//! lookup (REQ-5). The managed requests go through LoadCOMClass (`lcc.rs`), the native ones
//! through CoCreateInstance (`com/`).

use comsim_manifest::Guid;
use comsim_manifest::lookup::{RegistrationKind, find_progid};
use comsim_registry::{KeyPath, Root};

use crate::bind::Failure;
use crate::hresult::{self, ClrWording, HResult, exception_traced};
use crate::lcc::Lcc;
use crate::outcome::{LoadedType, Outcome, Server};
use crate::process::{Apartment, ClassRef, ClsCtx, ExplicitContext, Request};
use crate::session::{Run, Session};
use crate::switches::{ClassFactoryException, SwitchValue};
use crate::trace::{Rule, Trace};

impl Session<'_> {
    /// Runs one request with `actctx` made by CreateActCtx and active around it (SXS-1): its
    /// lookups search that context before the process default context. A context that cannot
    /// be made is the answer, and the request is not made.
    pub fn request_in(
        &mut self,
        req: &Request,
        apartment: Option<Apartment>,
        actctx: Option<&ExplicitContext>,
    ) -> Run {
        let Some(spec) = actctx.filter(|_| self.failed.is_none()) else {
            return self.request(req, apartment);
        };
        let mut trace = self.take_pending();
        match self.create_act_ctx(spec, &mut trace) {
            Err(outcome) => Run { outcome, trace },
            Ok(active) => {
                let source = active.source.clone();
                self.active = Some(active);
                self.pending = trace;
                let mut run = self.request(req, apartment);
                self.deactivate(&source, &mut run.trace);
                run
            }
        }
    }

    /// Runs one request. The first request after the start also carries the start's trace.
    pub fn request(&mut self, req: &Request, apartment: Option<Apartment>) -> Run {
        let mut trace = self.take_pending();
        if let Some(f) = &self.failed {
            if trace.steps.is_empty() {
                let rule = match f {
                    Outcome::StartupFailure { error: Some(_), .. } => Rule::Sxs2,
                    Outcome::StartupFailure {
                        hresult: Some(_), ..
                    } => Rule::Shim2,
                    _ => Rule::Shim4,
                };
                trace
                    .push(rule, "the process did not start: no request runs")
                    .code("not-started");
            }
            return Run {
                outcome: f.clone(),
                trace,
            };
        }
        let apartment = apartment.unwrap_or(self.p.apartment);
        let outcome = match req {
            Request::GetTypeFromClsid { clsid } => {
                trace.push(Rule::Req1, || req.describe()).code("request");
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
                trace.push(Rule::Req2, || req.describe()).code("request");
                self.create_instance(*clsid, apartment, &mut trace)
            }
            Request::GetTypeFromProgId {
                progid,
                throw_on_error,
                create,
            } => {
                trace.push(Rule::Req3, || req.describe()).code("request");
                self.get_type_from_progid(progid, *throw_on_error, *create, apartment, &mut trace)
            }
            Request::CoCreateInstance { target, clsctx } => {
                trace.push(Rule::Req4, || req.describe()).code("request");
                self.native_create(target, *clsctx, apartment, &mut trace)
            }
            Request::DllGetClassObject { clsid } => {
                trace
                    .push(Rule::Req4, || req.describe())
                    .code("dll-get-class-object");
                self.class_factory(*clsid, &mut trace)
            }
            Request::LoadRecord { guid } => {
                trace.push(Rule::Req5, || req.describe()).code("request");
                match self.load_com_class(*guid, RegistrationKind::Record, &mut trace) {
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

    /// REQ-3: `Type.GetTypeFromProgID(progid, throwOnError)`, and with `create` an instance of
    /// the type (REQ-2).
    fn get_type_from_progid(
        &mut self,
        progid: &str,
        throw_on_error: bool,
        create: bool,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Outcome {
        match self.clsid_from_progid(progid, trace) {
            None if throw_on_error => {
                trace
                    .push(Rule::Msg6, "throwOnError: COMException CO_E_CLASSSTRING")
                    .code("throw-on-error")
                    .found(|| HResult::CO_E_CLASSSTRING.to_string());
                Outcome::Exception {
                    exception: HResult::CO_E_CLASSSTRING.exception_type().to_owned(),
                    hresult: HResult::CO_E_CLASSSTRING,
                    message: hresult::class_string_message(),
                }
            }
            None => {
                trace
                    .push(Rule::Req3, "no such ProgID: GetTypeFromProgID returns null")
                    .code("progid-missing-null");
                Outcome::Null {
                    message: format!("Type.GetTypeFromProgID(\"{progid}\") returned null"),
                }
            }
            Some(clsid) if create => {
                trace
                    .push(
                        Rule::Req2,
                        format_args!("Activator.CreateInstance of the type for {clsid}"),
                    )
                    .code("create-instance");
                self.create_instance(clsid, apartment, trace)
            }
            Some(clsid) => {
                trace
                    .push(Rule::Req1, format_args!("Type.GetTypeFromCLSID({clsid})"))
                    .code("get-type-from-clsid");
                match self.get_type(clsid, trace) {
                    Ok(Some(t)) => Outcome::Managed {
                        loaded: Box::new(t),
                        created: false,
                    },
                    Ok(None) => com_object(clsid, None, None),
                    Err(f) => exception_traced(f, trace),
                }
            }
        }
    }

    /// REQ-1: the per-AppDomain cache, then LoadCOMClass.
    pub(crate) fn get_type(
        &mut self,
        clsid: Guid,
        trace: &mut Trace,
    ) -> Result<Option<LoadedType>, Failure> {
        if let Some(t) = self.cache.get(&clsid) {
            trace
                .push(
                    Rule::Req1,
                    match t {
                        Some(t) => format!("cached in this AppDomain: {}", t.type_name),
                        None => "cached in this AppDomain: System.__ComObject".to_owned(),
                    },
                )
                .code("cached-type");
            return Ok(t.clone());
        }
        match self.load_com_class(clsid, RegistrationKind::Class, trace) {
            Lcc::Type(t) => {
                self.cache.insert(clsid, Some(t.clone()));
                Ok(Some(t))
            }
            Lcc::Null => {
                trace.push(
                    Rule::Req1,
                    format_args!("LoadCOMClass returned NULL: the type is System.__ComObject bound to {clsid}"),
                ).code("com-object-type");
                self.cache.insert(clsid, None);
                Ok(None)
            }
            Lcc::Failed(f) => Err(f),
        }
    }

    /// REQ-2: a managed type is instantiated in the client's runtime; `__ComObject` and
    /// `[ComImport]` wrappers go through CoCreateInstance(CLSCTX_SERVER).
    pub(crate) fn create_instance(
        &mut self,
        clsid: Guid,
        apartment: Apartment,
        trace: &mut Trace,
    ) -> Outcome {
        let t = match self.get_type(clsid, trace) {
            Ok(t) => t,
            Err(f) => return exception_traced(f, trace),
        };
        match t {
            Some(t) if !t.com_import => {
                trace
                    .push(
                        Rule::Req2,
                        format_args!(
                            "{} is a managed class: the instance is created in {}",
                            t.type_name, t.runtime
                        ),
                    )
                    .code("managed-instance");
                Outcome::Managed {
                    loaded: Box::new(t),
                    created: true,
                }
            }
            wrapper => {
                trace
                    .push(Rule::Req2, || {
                        format!(
                            "{}: CoCreateInstance({clsid}, CLSCTX_SERVER)",
                            match &wrapper {
                                Some(w) => format!("{} is a [ComImport] wrapper", w.type_name),
                                None => "System.__ComObject".to_owned(),
                            }
                        )
                    })
                    .code("co-create-instance");
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
                                format_args!(
                                    "CoCreateInstance failed: {} {}",
                                    hr,
                                    hr.info().map(|i| i.name).unwrap_or("")
                                ),
                            )
                            .code("co-create-failed")
                            .found(|| hr.to_string());
                        // REQ-2: the CLR's HRESULT → exception table picks the type; the
                        // switch's other reading keeps COMException for every HRESULT. The step
                        // is traced where the two readings differ.
                        let choice = self.sw.class_factory_exception();
                        let mapped = hr.exception_type();
                        let exception = match choice {
                            ClassFactoryException::ByHresult => mapped,
                            ClassFactoryException::ComException => hresult::COM_EXCEPTION,
                        };
                        if mapped != hresult::COM_EXCEPTION {
                            trace
                                .push(
                                    Rule::Req2,
                                    format_args!("the failure is thrown as {exception}"),
                                )
                                .code("thrown")
                                .inferred(choice.setting());
                        }
                        Outcome::Exception {
                            exception: exception.to_owned(),
                            hresult: hr,
                            // MSG-1/MSG-2 in the wording of the client's CLR, which throws it.
                            message: hresult::class_factory_message(
                                clsid,
                                hr,
                                self.clr
                                    .as_ref()
                                    .map_or(ClrWording::Clr4, |c| ClrWording::of_major(c.major)),
                            ),
                        }
                    }
                }
            }
        }
    }

    /// REQ-4, SHIM-5: the client's own call of mscoree's DllGetClassObject: the class factory,
    /// or the HRESULT.
    fn class_factory(&mut self, clsid: Guid, trace: &mut Trace) -> Outcome {
        match self.mscoree_get_class_object(clsid, trace) {
            Ok(server) => Outcome::ComObject {
                type_name: "IClassFactory".to_owned(),
                clsid,
                wrapper: None,
                server: Some(Box::new(server)),
            },
            Err(hr) => hresult_outcome(hr),
        }
    }

    /// REQ-4: a native client's CoCreateInstance.
    pub(crate) fn native_create(
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
    /// following `CurVer` (REQ-3). ProgIDs are shared between the registry views (REG-3). A key
    /// with both `CurVer` and `CLSID` is decided by the switch `progid-curver` (inferred).
    pub(crate) fn clsid_from_progid(&self, progid: &str, trace: &mut Trace) -> Option<Guid> {
        if let Some(server) = self
            .contexts()
            .into_iter()
            .find_map(|c| find_progid(c.ctx, progid))
        {
            trace
                .push(
                    Rule::Com1,
                    format_args!("ProgID {progid} is declared in the activation context"),
                )
                .code("context-progid")
                .at(server.source.clone())
                .found(|| server.clsid.to_string());
            return Some(server.clsid);
        }
        let access = self.com_access();
        let reg = &self.m.registry;
        let mut current = progid.to_owned();
        // ProgIDs compare ignoring ASCII case; a set keeps a long CurVer chain linear.
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        loop {
            if !seen.insert(current.to_ascii_lowercase()) {
                trace
                    .push(
                        Rule::Req3,
                        format_args!("CurVer loops back to {current}: the ProgID is not usable"),
                    )
                    .code("curver-loop");
                return None;
            }
            let key = KeyPath::new(Root::ClassesRoot, [current.clone()]);
            if reg.open(&key, &access).is_none() {
                trace
                    .push(
                        Rule::Req3,
                        format_args!("no ProgID key {key}: CO_E_CLASSSTRING"),
                    )
                    .code("progid-missing")
                    .at(|| key.to_string())
                    .found("no key");
                return None;
            }
            let curver = key.join("CurVer");
            let next = reg
                .query_value(&curver, "", &access)
                .and_then(|(v, _)| v.as_string())
                .filter(|s| !s.is_empty());
            let clsid_key = key.join("CLSID");
            let value = reg
                .query_value(&clsid_key, "", &access)
                .and_then(|(v, _)| v.as_string());
            // Only a key with both decides by the switch; the trace then marks the setting.
            let both = next.is_some() && value.is_some();
            let setting = self.sw.progid_curver();
            if let Some(next) = next
                && !(both && setting == crate::switches::ProgidCurVer::Clsid)
            {
                let step = trace
                    .push(Rule::Req3, format_args!("{current} has CurVer {next}"))
                    .code("curver")
                    .at(|| curver.to_string())
                    .found(next.clone());
                if both {
                    step.inferred(setting.setting());
                }
                current = next;
                continue;
            }
            let step = match value.as_deref().and_then(Guid::parse) {
                Some(g) => trace
                    .push(Rule::Req3, format_args!("ProgID {current} names {g}"))
                    .code("progid-clsid")
                    .at(|| clsid_key.to_string())
                    .found(|| g.to_string()),
                None => trace
                    .push(
                        Rule::Req3,
                        format_args!("ProgID {current} has no valid CLSID: CO_E_CLASSSTRING"),
                    )
                    .code("progid-no-clsid")
                    .at(|| clsid_key.to_string())
                    .found(value.clone().unwrap_or_else(|| "no value".into())),
            };
            if both {
                step.inferred(setting.setting());
            }
            return value.as_deref().and_then(Guid::parse);
        }
    }
}

/// `System.__ComObject` (or a `[ComImport]` wrapper) bound to a CLSID (REQ-1, REQ-2), with the
/// server CoCreateInstance reached, if any.
pub(crate) fn com_object(
    clsid: Guid,
    wrapper: Option<LoadedType>,
    server: Option<Server>,
) -> Outcome {
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

/// A failed HRESULT returned to a native caller (REQ-4), with its name and system message.
pub(crate) fn hresult_outcome(hr: HResult) -> Outcome {
    Outcome::Hresult {
        hresult: hr,
        name: hr.info().map(|i| i.name).unwrap_or("").to_owned(),
        message: hr.system_message(),
    }
}
