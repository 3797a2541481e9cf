//! LCC2-1..LCC2-3, LCC4-1..LCC4-5, LCC-6: `AppDomain::LoadCOMClass`.
//!
//! CLR 2.0's version (LCC2-*): the activation context, then the registry capped at 2.0, else
//! NULL. CLR 4.0's version (LCC4-*): the activation context with its PIA and runtime checks, then
//! the registry capped at the running CLR, where the InprocServer32 default and RuntimeVersion
//! decide between loading and NULL. Both bind what they found (`bind.rs`); a failed bind
//! propagates or falls back per LCC-6.

use comsim_manifest::Guid;
use comsim_manifest::lookup::{RegistrationKind, ShimInfo};

use crate::bind::Failure;
use crate::machine::RuntimeVersion;
use crate::outcome::{LoadedType, Source};
use crate::session::Session;
use crate::shim::file_name_of;
use crate::shimreg::{self, Found};
use crate::switches::{
    BindFailure, LocalServerRegistration, MissingRuntimeVersion, RuntimeMatch, SwitchValue,
    SxsClassRuntimeCheck,
};
use crate::trace::{Rule, Trace};

/// What LoadCOMClass returned.
pub(crate) enum Lcc {
    Type(LoadedType),
    Null,
    Failed(Failure),
}

impl Session<'_> {
    /// LoadCOMClass for the client's CLR (LCC2-*, LCC4-*).
    pub(crate) fn load_com_class(
        &mut self,
        guid: Guid,
        kind: RegistrationKind,
        trace: &mut Trace,
    ) -> Lcc {
        let Some(clr) = self.clr.clone() else {
            trace
                .push(Rule::Req4, "a native client has no LoadCOMClass")
                .code("native-no-loadcomclass");
            return Lcc::Null;
        };
        if clr.major < 4 {
            self.lcc2(guid, kind, &clr, trace)
        } else {
            self.lcc4(guid, kind, &clr, trace)
        }
    }

    /// LoadCOMClass on CLR 2.0: the activation context (LCC2-1), then the registry capped at
    /// 2.0 (LCC2-2), else NULL (LCC2-3).
    pub(crate) fn lcc2(
        &mut self,
        guid: Guid,
        kind: RegistrationKind,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        if let Some(info) = self.sxs_lookup(guid, kind, Rule::Lcc2_1, trace) {
            trace
                .push(
                    Rule::Lcc2_1,
                    "CLR 2.0: an SxS hit loads the assembly and its type (no PIA or runtime check)",
                )
                .code("sxs-hit");
            return self.load_sxs(&info, false, clr, trace);
        }
        let hit = self.registry_after_sxs_miss(Rule::Lcc2_2, guid, kind, clr, trace);
        match hit {
            Some(hit) => {
                trace
                    .push(
                        Rule::Lcc2_2,
                        "registry hit: bind with Class, Assembly and CodeBase",
                    )
                    .code("registry-hit");
                self.load_registry_hit(&hit, false, clr, trace)
            }
            None => {
                trace
                    .push(Rule::Lcc2_3, "both missed: LoadCOMClass returns NULL")
                    .code("both-missed");
                Lcc::Null
            }
        }
    }

    /// LoadCOMClass on CLR 4.0 (LCC4-1..LCC4-5): the activation context first, then the registry
    /// capped at the running CLR.
    pub(crate) fn lcc4(
        &mut self,
        guid: Guid,
        kind: RegistrationKind,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        if let Some(info) = self.sxs_lookup(guid, kind, Rule::Lcc4_1, trace) {
            return self.lcc4_context_hit(&info, clr, trace);
        }
        let Some(hit) = self.registry_after_sxs_miss(Rule::Lcc4_3, guid, kind, clr, trace) else {
            trace
                .push(
                    Rule::Lcc4_3,
                    "the registry has nothing either: LoadCOMClass returns NULL",
                )
                .code("both-missed");
            return Lcc::Null;
        };
        self.lcc4_registry_hit(&hit, clr, trace)
    }

    /// LCC4-1, SXS-8: a clrSurrogate hit is a reg-free PIA and loads; LCC4-2: a clrClass hit
    /// loads only on its own runtime (switch `sxs-class-runtime-check`).
    fn lcc4_context_hit(
        &mut self,
        info: &ShimInfo,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        if info.is_surrogate {
            trace
                .push(Rule::Sxs8, "a clrSurrogate is a registration-free PIA")
                .code("clr-surrogate");
            trace
                .push(
                    Rule::Lcc4_1,
                    "a reg-free PIA: bind and load, no registry lookup",
                )
                .code("reg-free-pia");
            return self.load_sxs(info, true, clr, trace);
        }
        let check = self.sw.sxs_class_runtime_check();
        let setting = check.setting();
        if check == SxsClassRuntimeCheck::Off {
            trace
                .push(
                    Rule::Lcc4_2,
                    format_args!(
                        "a clrClass hit loads without a runtime check (runtimeVersion {})",
                        info.runtime_version
                    ),
                )
                .code("clrclass-hit-unchecked")
                .inferred(setting);
            return self.load_sxs(info, false, clr, trace);
        }
        let match_setting = self.sw.runtime_match().setting();
        if self.same_runtime(&info.runtime_version, clr) {
            trace
                .push(
                    Rule::Lcc4_2,
                    format_args!(
                        "clrClass runtimeVersion {} is the running runtime {}: bind and load",
                        info.runtime_version, clr
                    ),
                )
                .code("clrclass-runtime-match")
                .inferred(setting);
            return self.load_sxs(info, false, clr, trace);
        }
        trace
            .push(
                Rule::Lcc4_2,
                format_args!("clrClass runtimeVersion {} is not the running runtime {}: LoadCOMClass returns NULL", info.runtime_version, clr),
            ).code("clrclass-runtime-mismatch")
            .inferred(setting)
            .found(format_args!("compared with {match_setting}"));
        Lcc::Null
    }

    /// LCC4-3: a registry hit. A record, a LocalServer32-only registration (switch
    /// `localserver-registration`) or an InprocServer32 default other than mscoree.dll is a PIA
    /// and loads; mscoree.dll goes on to the RuntimeVersion check.
    fn lcc4_registry_hit(
        &mut self,
        hit: &shimreg::RegHit,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        let is_mscoree = hit
            .default_value
            .as_deref()
            .is_some_and(|d| file_name_of(d).eq_ignore_ascii_case("mscoree.dll"));
        match hit.found {
            Found::Record => {
                trace
                    .push(
                        Rule::Lcc4_3,
                        "a record registration has no InprocServer32 default: bind and load",
                    )
                    .code("record-registration");
                return self.load_registry_hit(hit, false, clr, trace);
            }
            Found::LocalServer32(view) => {
                let registration = self.sw.localserver_registration();
                let setting = registration.setting();
                if registration == LocalServerRegistration::Com {
                    trace
                        .push(Rule::Lcc4_3, format_args!("found only under LocalServer32 ({view} view): LoadCOMClass returns NULL, COM activates it")).code("local-server-only")
                        .inferred(setting);
                    return Lcc::Null;
                }
                trace
                    .push(Rule::Lcc4_3, format_args!("found only under LocalServer32 ({view} view): no InprocServer32 default, so read literally a PIA: bind and load in-process")).code("local-server-only-pia")
                    .inferred(setting);
                return self.load_registry_hit(hit, true, clr, trace);
            }
            Found::InprocServer32 => {}
        }
        if !is_mscoree {
            trace
                .push(Rule::Lcc4_3, || {
                    format!(
                        "the InprocServer32 default is {}, not mscoree.dll: a PIA, bind and load",
                        hit.default_value
                            .as_deref()
                            .map(|d| format!("`{d}`"))
                            .unwrap_or_else(|| "missing".into())
                    )
                })
                .code("pia-registration")
                .at(|| hit.key.to_string());
            return self.load_registry_hit(hit, true, clr, trace);
        }
        trace
            .push(
                Rule::Lcc4_3,
                "the InprocServer32 default is mscoree.dll: not a PIA",
            )
            .code("mscoree-registration")
            .at(|| hit.key.to_string())
            .found(|| hit.default_value.clone().unwrap_or_default());
        self.lcc4_runtime_version(hit, clr, trace)
    }

    /// LCC2-2, LCC4-3..LCC4-5: bind and load what a registry hit names (its Assembly, Class and
    /// CodeBase); `pia` when LCC4-3 read the registration as a primary interop assembly.
    fn load_registry_hit(
        &self,
        hit: &shimreg::RegHit,
        pia: bool,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        self.bind_and_load(
            &hit.assembly,
            &hit.class,
            hit.codebase.as_deref(),
            Source::Registry,
            pia,
            clr,
            trace,
        )
    }

    /// LCC4-4: a RuntimeVersion other than the running runtime returns NULL (switch
    /// `runtime-match`); LCC4-5: none reads as v1.0.3705 (switch `missing-runtime-version`).
    fn lcc4_runtime_version(
        &mut self,
        hit: &shimreg::RegHit,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Lcc {
        match &hit.runtime_version {
            Some(rv) => {
                let setting = self.sw.runtime_match().setting();
                if self.same_runtime(rv, clr) {
                    trace
                        .push(
                            Rule::Lcc4_4,
                            format_args!(
                                "RuntimeVersion {rv} is the running runtime {clr}: bind and load"
                            ),
                        )
                        .code("runtime-match")
                        .inferred(setting);
                    self.load_registry_hit(hit, false, clr, trace)
                } else {
                    trace
                        .push(
                            Rule::Lcc4_4,
                            format_args!("RuntimeVersion {rv} is not the running runtime {clr}: LoadCOMClass returns NULL, the class will be activated through COM"),
                        ).code("runtime-mismatch")
                        .inferred(setting);
                    Lcc::Null
                }
            }
            None => {
                let missing = self.sw.missing_runtime_version();
                let setting = missing.setting();
                if missing == MissingRuntimeVersion::Load {
                    trace
                        .push(
                            Rule::Lcc4_5,
                            "no RuntimeVersion: bind and load in the running CLR",
                        )
                        .code("no-runtime-version")
                        .inferred(setting);
                    self.load_registry_hit(hit, false, clr, trace)
                } else {
                    trace
                        .push(Rule::Lcc4_5, format_args!("no RuntimeVersion: treated as {}, not the running runtime: LoadCOMClass returns NULL", shimreg::V1_RUNTIME)).code("no-runtime-version-v1")
                        .inferred(setting);
                    Lcc::Null
                }
            }
        }
    }

    /// After an SxS miss, both LoadCOMClass versions read the registry capped at their own
    /// runtime (`rule` is LCC2-2 or LCC4-3).
    pub(crate) fn registry_after_sxs_miss(
        &self,
        rule: Rule,
        guid: Guid,
        kind: RegistrationKind,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Option<shimreg::RegHit> {
        trace
            .push(rule, || {
                format!("SxS missed: the registry, capped at {}", clr.family())
            })
            .code("sxs-missed");
        shimreg::find_shim_info(
            &self.m.registry,
            guid,
            kind,
            Some(clr),
            &self.clr_access(),
            self.other_view(),
            trace,
        )
    }

    /// LCC4-2, LCC4-4: whether a runtime version names the running runtime (switch
    /// `runtime-match`).
    pub(crate) fn same_runtime(&self, rv: &str, clr: &RuntimeVersion) -> bool {
        match RuntimeVersion::parse(rv) {
            None => false,
            Some(v) if self.sw.runtime_match() == RuntimeMatch::Exact => v.text == clr.text,
            Some(v) => v.cmp_major_minor(clr).is_eq(),
        }
    }

    /// Binds and loads the class an activation-context entry names.
    pub(crate) fn load_sxs(
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
    pub(crate) fn bind_and_load(
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
                let failure = self.sw.bind_failure();
                let setting = failure.setting();
                if failure == BindFailure::Fallback {
                    trace
                        .push(
                            Rule::Lcc6,
                            format_args!("{}: swallowed, LoadCOMClass returns NULL", f.exception),
                        )
                        .code("exception-swallowed")
                        .inferred(setting);
                    Lcc::Null
                } else {
                    trace
                        .push(
                            Rule::Lcc6,
                            format_args!("{} propagates to the caller", f.exception),
                        )
                        .code("exception-propagates")
                        .inferred(setting)
                        .found(|| f.hresult.to_string());
                    Lcc::Failed(f)
                }
            }
        }
    }
}
