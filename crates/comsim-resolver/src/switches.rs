//! Behaviour switches: the alternative reading of every rule `rules.md` marks **inferred**.

use std::fmt;

use comsim_rules::Rule;

/// One switch: its name, the rule it belongs to, its values (the first is the default) and what
/// each does.
#[derive(Debug)]
pub struct SwitchDef {
    pub name: &'static str,
    pub rule: Rule,
    pub values: &'static [(&'static str, &'static str)],
}

pub const HKCR_MERGE: &str = "hkcr-merge";
pub const SXS_CLASS_RUNTIME_CHECK: &str = "sxs-class-runtime-check";
pub const LOCALSERVER_REGISTRATION: &str = "localserver-registration";
pub const RUNTIME_MATCH: &str = "runtime-match";
pub const MISSING_RUNTIME_VERSION: &str = "missing-runtime-version";
pub const BIND_FAILURE: &str = "bind-failure";
pub const CLR_USER_CLASSES: &str = "clr-user-classes";
pub const TREATAS_CYCLE: &str = "treatas-cycle";
pub const CLASS_FACTORY_EXCEPTION: &str = "class-factory-exception";
pub const ASM_UNREGISTER_VALUES: &str = "asm-unregister-values";
pub const LOCALSERVER_EXPAND: &str = "localserver-expand";
pub const CLR_CLASS_THREADING: &str = "clr-class-threading";
pub const PROGID_CURVER: &str = "progid-curver";
pub const SXS_LANGUAGE_ANY: &str = "sxs-language-any";
pub const INPROC_LOAD_FAILURE: &str = "inproc-load-failure";
pub const SXS_DUPLICATE_CLSID: &str = "sxs-duplicate-clsid";
pub const MSCOREE_NO_CLASS: &str = "mscoree-no-class";
pub const REMOTE_CODEBASE: &str = "remote-codebase";

/// Every switch. The first value of each is the default.
pub const SWITCHES: &[SwitchDef] = &[
    SwitchDef {
        name: HKCR_MERGE,
        rule: Rule::Reg1,
        values: &[
            (
                "union",
                "open the HKCU key when it exists, enumerate the union (the doc's example)",
            ),
            (
                "strict",
                "a key duplicated in HKCU hides HKLM's subtree (the doc's rule text)",
            ),
        ],
    },
    SwitchDef {
        name: CLR_USER_CLASSES,
        rule: Rule::Reg2,
        values: &[
            (
                "read",
                "the CLR's own registry read sees per-user classes even when elevated",
            ),
            (
                "ignore",
                "the CLR's read ignores per-user classes when elevated, as COM does",
            ),
        ],
    },
    SwitchDef {
        name: SXS_CLASS_RUNTIME_CHECK,
        rule: Rule::Lcc4_2,
        values: &[
            ("on", "a clrClass hit for another runtime returns NULL"),
            ("off", "a clrClass hit loads whatever its runtimeVersion"),
        ],
    },
    SwitchDef {
        name: LOCALSERVER_REGISTRATION,
        rule: Rule::Lcc4_3,
        values: &[
            (
                "pia",
                "a registration found only under LocalServer32 is a PIA and loads in-process",
            ),
            (
                "com",
                "a registration found only under LocalServer32 returns NULL (COM activates it)",
            ),
        ],
    },
    SwitchDef {
        name: RUNTIME_MATCH,
        rule: Rule::Lcc4_4,
        values: &[
            ("major-minor", "v4.0.30319 and v4.0 are the same runtime"),
            (
                "exact",
                "the RuntimeVersion text must equal the running runtime's version",
            ),
        ],
    },
    SwitchDef {
        name: MISSING_RUNTIME_VERSION,
        rule: Rule::Lcc4_5,
        values: &[
            ("com", "no RuntimeVersion means v1.0.3705: NULL under CLR 4"),
            (
                "load",
                "no RuntimeVersion: bind and load in the running CLR",
            ),
        ],
    },
    SwitchDef {
        name: BIND_FAILURE,
        rule: Rule::Lcc6,
        values: &[
            (
                "throw",
                "a failed bind or type load propagates to the caller",
            ),
            (
                "fallback",
                "a failed bind or type load returns NULL (System.__ComObject), as CLR 1.x did",
            ),
        ],
    },
    SwitchDef {
        name: CLASS_FACTORY_EXCEPTION,
        rule: Rule::Req2,
        values: &[
            (
                "by-hresult",
                "the exception type follows the HRESULT by the CLR's table (0x80070002 → FileNotFoundException), as real reports show",
            ),
            (
                "com-exception",
                "a failed CoCreateInstance is always a COMException, as REQ-2 was first written",
            ),
        ],
    },
    SwitchDef {
        name: TREATAS_CYCLE,
        rule: Rule::Com2,
        values: &[
            (
                "classnotreg",
                "a TreatAs chain that repeats a CLSID fails with REGDB_E_CLASSNOTREG",
            ),
            (
                "original",
                "a TreatAs cycle is ignored and the original CLSID is activated",
            ),
        ],
    },
    SwitchDef {
        name: ASM_UNREGISTER_VALUES,
        rule: Rule::Asm4,
        values: &[
            (
                "keep",
                "unregistering one of several versions leaves the top-level InprocServer32 values (seed 002's layout)",
            ),
            (
                "delete",
                "unregistering any version deletes the top-level Class, Assembly, RuntimeVersion and CodeBase (RegistrationServices.cs)",
            ),
        ],
    },
    SwitchDef {
        name: LOCALSERVER_EXPAND,
        rule: Rule::Com3,
        values: &[
            (
                "launcher",
                "a REG_EXPAND_SZ LocalServer32 is expanded by the service that starts local servers, a native process (64-bit on 64-bit Windows)",
            ),
            (
                "client",
                "a REG_EXPAND_SZ LocalServer32 is expanded in the client process's environment, as if COM in the client started the server (Wine's combase starts it from the client)",
            ),
        ],
    },
    SwitchDef {
        name: CLR_CLASS_THREADING,
        rule: Rule::Sxs3,
        values: &[
            (
                "both",
                "a clrClass without threadingModel is Both, as Microsoft's clrClass attribute table says",
            ),
            (
                "none",
                "a clrClass without threadingModel has none and lives in the main STA, as Wine stores it",
            ),
        ],
    },
    SwitchDef {
        name: PROGID_CURVER,
        rule: Rule::Req3,
        values: &[
            (
                "curver",
                "a ProgID key with both CurVer and CLSID is followed to its CurVer (the current version), as Microsoft's ProgID pages say",
            ),
            (
                "clsid",
                "a ProgID key with both CurVer and CLSID gives its own CLSID, as Wine's CLSIDFromProgID reads it",
            ),
        ],
    },
    SwitchDef {
        name: SXS_LANGUAGE_ANY,
        rule: Rule::Sxs7,
        values: &[
            (
                "literal",
                "an identity with language=\"*\" becomes culture=\"*\", as sxshelpers.cpp translates it",
            ),
            (
                "neutral",
                "an identity with language=\"*\" (any language, in Win32 manifests) becomes culture=neutral",
            ),
        ],
    },
    SwitchDef {
        name: INPROC_LOAD_FAILURE,
        rule: Rule::Com3,
        values: &[
            (
                "next",
                "an InprocServer32 that fails to load is passed over for the next server kind the CLSCTX allows (LocalServer32), as Wine's CoGetClassObject does",
            ),
            (
                "stop",
                "an InprocServer32 that fails to load ends the request with its load error, even with a LocalServer32 registered",
            ),
        ],
    },
    SwitchDef {
        name: SXS_DUPLICATE_CLSID,
        rule: Rule::Sxs3,
        values: &[
            (
                "first",
                "a manifest declaring one CLSID as both a comClass and a clrClass makes a context; the first COM server entry wins, as in Wine",
            ),
            (
                "refuse",
                "a manifest declaring one CLSID as both a comClass and a clrClass makes no context (ERROR_SXS_DUPLICATE_CLSID)",
            ),
        ],
    },
    SwitchDef {
        name: MSCOREE_NO_CLASS,
        rule: Rule::Shim5,
        values: &[
            (
                "classnotreg",
                "mscoree finds no class for the CLSID: REGDB_E_CLASSNOTREG, as the CLR's EEDllGetClassObject and FindShimInfoFromRegistry answer",
            ),
            (
                "classnotavailable",
                "mscoree finds no class for the CLSID: CLASS_E_CLASSNOTAVAILABLE, DllGetClassObject's documented answer for a class the DLL does not serve, as in Wine",
            ),
        ],
    },
    SwitchDef {
        name: REMOTE_CODEBASE,
        rule: Rule::Bind4,
        values: &[
            (
                "load",
                "CLR 4 loads an assembly a CodeBase finds on a network share in full trust: COM's load does not ask for the remote-source check",
            ),
            (
                "refuse",
                "CLR 4 refuses it as Assembly.LoadFrom does (FileLoadException 0x80131515) unless the .config has <loadFromRemoteSources enabled=\"true\"/>",
            ),
        ],
    },
];

/// The switch settings of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switches {
    /// The value index of each switch of [`SWITCHES`], in order.
    values: Vec<usize>,
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            values: vec![0; SWITCHES.len()],
        }
    }
}

fn index_of(name: &str) -> Option<usize> {
    SWITCHES.iter().position(|s| s.name == name)
}

impl Switches {
    /// Sets `name` to `value`; the error says what is accepted.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let Some(i) = index_of(name) else {
            let names: Vec<&str> = SWITCHES.iter().map(|s| s.name).collect();
            return Err(format!(
                "unknown switch `{name}` (switches: {})",
                names.join(", ")
            ));
        };
        let def = &SWITCHES[i];
        let Some(v) = def.values.iter().position(|(v, _)| *v == value) else {
            let vals: Vec<&str> = def.values.iter().map(|(v, _)| *v).collect();
            return Err(format!(
                "switch `{name}` takes {}, not `{value}`",
                vals.join(" or ")
            ));
        };
        self.values[i] = v;
        Ok(())
    }

    /// Parses and sets `name=value`.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), String> {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not `name=value`"))?;
        self.set(name.trim(), value.trim())
    }

    /// The value of the switch `T` is the type of.
    pub fn value<T: SwitchValue>(&self) -> T {
        T::VALUES[self.values[T::SWITCH as usize]]
    }

    /// `hkcr-merge` (REG-1).
    pub fn hkcr_merge(&self) -> HkcrMerge {
        self.value()
    }

    /// `clr-user-classes` (REG-2).
    pub fn clr_user_classes(&self) -> ClrUserClasses {
        self.value()
    }

    /// `sxs-class-runtime-check` (LCC4-2).
    pub fn sxs_class_runtime_check(&self) -> SxsClassRuntimeCheck {
        self.value()
    }

    /// `localserver-registration` (LCC4-3).
    pub fn localserver_registration(&self) -> LocalServerRegistration {
        self.value()
    }

    /// `runtime-match` (LCC4-4).
    pub fn runtime_match(&self) -> RuntimeMatch {
        self.value()
    }

    /// `missing-runtime-version` (LCC4-5).
    pub fn missing_runtime_version(&self) -> MissingRuntimeVersion {
        self.value()
    }

    /// `bind-failure` (LCC-6).
    pub fn bind_failure(&self) -> BindFailure {
        self.value()
    }

    /// `class-factory-exception` (REQ-2).
    pub fn class_factory_exception(&self) -> ClassFactoryException {
        self.value()
    }

    /// `treatas-cycle` (COM-2).
    pub fn treatas_cycle(&self) -> TreatAsCycle {
        self.value()
    }

    /// `localserver-expand` (COM-3).
    pub fn localserver_expand(&self) -> LocalServerExpand {
        self.value()
    }

    /// `asm-unregister-values` (ASM-4).
    pub fn asm_unregister_values(&self) -> AsmUnregisterValues {
        self.value()
    }

    /// `clr-class-threading` (SXS-3).
    pub fn clr_class_threading(&self) -> ClrClassThreading {
        self.value()
    }

    /// `progid-curver` (REQ-3).
    pub fn progid_curver(&self) -> ProgidCurVer {
        self.value()
    }

    /// `sxs-language-any` (SXS-7).
    pub fn sxs_language_any(&self) -> SxsLanguageAny {
        self.value()
    }

    /// `inproc-load-failure` (COM-3).
    pub fn inproc_load_failure(&self) -> InprocLoadFailure {
        self.value()
    }

    /// `sxs-duplicate-clsid` (SXS-3).
    pub fn sxs_duplicate_clsid(&self) -> SxsDuplicateClsid {
        self.value()
    }

    /// `mscoree-no-class` (SHIM-5).
    pub fn mscoree_no_class(&self) -> MscoreeNoClass {
        self.value()
    }

    /// `remote-codebase` (BIND-4).
    pub fn remote_codebase(&self) -> RemoteCodebase {
        self.value()
    }

    /// The switches that differ from their defaults, `name=value`, in table order.
    pub fn non_default(&self) -> Vec<String> {
        SWITCHES
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| **v != 0)
            .map(|(d, v)| format!("{}={}", d.name, d.values[*v].0))
            .collect()
    }
}

/// A switch of [`SWITCHES`]; its discriminant is its row in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    HkcrMerge = 0,
    ClrUserClasses = 1,
    SxsClassRuntimeCheck = 2,
    LocalServerRegistration = 3,
    RuntimeMatch = 4,
    MissingRuntimeVersion = 5,
    BindFailure = 6,
    ClassFactoryException = 7,
    TreatAsCycle = 8,
    AsmUnregisterValues = 9,
    LocalServerExpand = 10,
    ClrClassThreading = 11,
    ProgidCurVer = 12,
    SxsLanguageAny = 13,
    InprocLoadFailure = 14,
    SxsDuplicateClsid = 15,
    MscoreeNoClass = 16,
    RemoteCodebase = 17,
}

impl Switch {
    /// The switch's row of [`SWITCHES`].
    pub fn def(self) -> &'static SwitchDef {
        &SWITCHES[self as usize]
    }
}

/// The values of one switch, as a type: `VALUES` lists them in the order of the switch's row of
/// [`SWITCHES`], which holds their spellings.
pub trait SwitchValue: Copy + Sized + 'static {
    const SWITCH: Switch;
    const VALUES: &'static [Self];

    /// The value's index in its row of [`SWITCHES`].
    fn index(self) -> usize;

    /// The value as the table spells it.
    fn as_str(self) -> &'static str {
        Self::SWITCH.def().values[self.index()].0
    }

    /// `name=value`, for the trace.
    fn setting(self) -> Setting {
        Setting {
            name: Self::SWITCH.def().name,
            value: self.as_str(),
        }
    }
}

/// Declares a switch's value type; the variants are in the order of its row of [`SWITCHES`].
macro_rules! switch_values {
    ($(#[$doc:meta])* $ty:ident for $switch:ident { $($(#[$vdoc:meta])* $variant:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $ty {
            $($(#[$vdoc])* $variant,)+
        }

        impl SwitchValue for $ty {
            const SWITCH: Switch = Switch::$switch;
            const VALUES: &'static [Self] = &[$($ty::$variant,)+];

            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

switch_values! {
    /// `hkcr-merge` (REG-1): how HKCR merges HKCU's classes over HKLM's.
    HkcrMerge for HkcrMerge {
        /// `union`: the union of both subtrees.
        Union,
        /// `strict`: a key in HKCU hides HKLM's subtree.
        Strict,
    }
}

switch_values! {
    /// `clr-user-classes` (REG-2): whether the CLR's own read sees per-user classes when elevated.
    ClrUserClasses for ClrUserClasses {
        /// `read`
        Read,
        /// `ignore`
        Ignore,
    }
}

switch_values! {
    /// `sxs-class-runtime-check` (LCC4-2): whether a clrClass hit is checked against the runtime.
    SxsClassRuntimeCheck for SxsClassRuntimeCheck {
        /// `on`
        On,
        /// `off`
        Off,
    }
}

switch_values! {
    /// `localserver-registration` (LCC4-3): what a registration found only under LocalServer32 is.
    LocalServerRegistration for LocalServerRegistration {
        /// `pia`: a PIA, loaded in-process.
        Pia,
        /// `com`: NULL, COM activates it.
        Com,
    }
}

switch_values! {
    /// `runtime-match` (LCC4-4): how a RuntimeVersion is compared with the running runtime.
    RuntimeMatch for RuntimeMatch {
        /// `major-minor`
        MajorMinor,
        /// `exact`
        Exact,
    }
}

switch_values! {
    /// `missing-runtime-version` (LCC4-5): what a registration without RuntimeVersion does.
    MissingRuntimeVersion for MissingRuntimeVersion {
        /// `com`: v1.0.3705, NULL under CLR 4.
        Com,
        /// `load`: bind and load in the running CLR.
        Load,
    }
}

switch_values! {
    /// `bind-failure` (LCC-6): whether a failed bind propagates or returns NULL.
    BindFailure for BindFailure {
        /// `throw`
        Throw,
        /// `fallback`
        Fallback,
    }
}

switch_values! {
    /// `class-factory-exception` (REQ-2): the exception a failed CoCreateInstance becomes.
    ClassFactoryException for ClassFactoryException {
        /// `by-hresult`: the CLR's HRESULT → exception table decides.
        ByHresult,
        /// `com-exception`: always COMException.
        ComException,
    }
}

switch_values! {
    /// `treatas-cycle` (COM-2): what a TreatAs chain that repeats a CLSID does.
    TreatAsCycle for TreatAsCycle {
        /// `classnotreg`
        ClassNotReg,
        /// `original`
        Original,
    }
}

switch_values! {
    /// `localserver-expand` (COM-3): whose environment expands a REG_EXPAND_SZ LocalServer32.
    LocalServerExpand for LocalServerExpand {
        /// `launcher`: the native service that starts the server.
        Launcher,
        /// `client`: the client process.
        Client,
    }
}

switch_values! {
    /// `asm-unregister-values` (ASM-4): whether unregistering one version deletes the top-level values.
    AsmUnregisterValues for AsmUnregisterValues {
        /// `keep`
        Keep,
        /// `delete`
        Delete,
    }
}

switch_values! {
    /// `clr-class-threading` (SXS-3): the threading model of a clrClass that names none.
    ClrClassThreading for ClrClassThreading {
        /// `both`: the documented default.
        Both,
        /// `none`: no threading model (the main STA), as Wine stores it.
        None,
    }
}

switch_values! {
    /// `progid-curver` (REQ-3): which wins in a ProgID key with both CurVer and CLSID.
    ProgidCurVer for ProgidCurVer {
        /// `curver`: CurVer, the current version (the documented reading).
        CurVer,
        /// `clsid`: the key's own CLSID, as Wine reads it.
        Clsid,
    }
}

switch_values! {
    /// `sxs-language-any` (SXS-7): what `language="*"` in a hosting assembly's identity becomes.
    SxsLanguageAny for SxsLanguageAny {
        /// `literal`: `culture="*"`, as the translation copies it.
        Literal,
        /// `neutral`: `culture=neutral`, `*` meaning any language.
        Neutral,
    }
}

switch_values! {
    /// `inproc-load-failure` (COM-3): what an InprocServer32 that fails to load does under a
    /// CLSCTX that also allows a local server.
    InprocLoadFailure for InprocLoadFailure {
        /// `next`: the next server kind is tried.
        Next,
        /// `stop`: the load error is the answer.
        Stop,
    }
}

switch_values! {
    /// `sxs-duplicate-clsid` (SXS-3): a CLSID declared as both a comClass and a clrClass in one
    /// manifest.
    SxsDuplicateClsid for SxsDuplicateClsid {
        /// `first`: the context is made; the first COM server entry wins.
        First,
        /// `refuse`: no context (ERROR_SXS_DUPLICATE_CLSID).
        Refuse,
    }
}

switch_values! {
    /// `mscoree-no-class` (SHIM-5): what mscoree's DllGetClassObject answers when it finds no
    /// class for the CLSID.
    MscoreeNoClass for MscoreeNoClass {
        /// `classnotreg`: REGDB_E_CLASSNOTREG (0x80040154).
        ClassNotReg,
        /// `classnotavailable`: CLASS_E_CLASSNOTAVAILABLE (0x80040111).
        ClassNotAvailable,
    }
}

switch_values! {
    /// `remote-codebase` (BIND-4): what CLR 4 does with an assembly a CodeBase finds on a
    /// network share.
    RemoteCodebase for RemoteCodebase {
        /// `load`: loaded in full trust, no check.
        Load,
        /// `refuse`: FileLoadException 0x80131515 unless `<loadFromRemoteSources>` allows it.
        Refuse,
    }
}

/// A switch and its value, as the trace cites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub value: &'static str,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inferred_rule_has_a_switch_with_a_default() {
        for def in SWITCHES {
            assert!(def.values.len() >= 2, "{}", def.name);
        }
        let s = Switches::default();
        assert_eq!(s.runtime_match(), RuntimeMatch::MajorMinor);
        assert!(s.non_default().is_empty());
    }

    #[test]
    fn setting_rejects_unknown_names_and_values() {
        let mut s = Switches::default();
        assert!(s.set_pair("runtime-match=exact").is_ok());
        assert_eq!(s.non_default(), vec!["runtime-match=exact"]);
        assert_eq!(s.runtime_match(), RuntimeMatch::Exact);
        assert_eq!(
            s.runtime_match().setting().to_string(),
            "runtime-match=exact"
        );
        assert!(
            s.set("runtime-match", "fuzzy")
                .unwrap_err()
                .contains("major-minor or exact")
        );
        assert!(s.set("nope", "x").unwrap_err().contains("unknown switch"));
        assert!(s.set_pair("runtime-match").is_err());
    }

    /// Each value type lists as many values as its row of the table, and spells them as the
    /// row does, in the row's order.
    #[test]
    fn value_types_follow_their_rows() {
        fn check<T: SwitchValue + std::fmt::Debug>(name: &str, spelled: &[&str]) {
            let def = T::SWITCH.def();
            assert_eq!(def.name, name);
            assert_eq!(T::VALUES.len(), def.values.len(), "{name}");
            let got: Vec<&str> = T::VALUES.iter().map(|v| v.as_str()).collect();
            assert_eq!(got, spelled, "{name}");
            for (i, v) in T::VALUES.iter().enumerate() {
                assert_eq!(v.index(), i, "{name} {v:?}");
            }
        }
        check::<HkcrMerge>(HKCR_MERGE, &["union", "strict"]);
        check::<ClrUserClasses>(CLR_USER_CLASSES, &["read", "ignore"]);
        check::<SxsClassRuntimeCheck>(SXS_CLASS_RUNTIME_CHECK, &["on", "off"]);
        check::<LocalServerRegistration>(LOCALSERVER_REGISTRATION, &["pia", "com"]);
        check::<RuntimeMatch>(RUNTIME_MATCH, &["major-minor", "exact"]);
        check::<MissingRuntimeVersion>(MISSING_RUNTIME_VERSION, &["com", "load"]);
        check::<BindFailure>(BIND_FAILURE, &["throw", "fallback"]);
        check::<ClassFactoryException>(CLASS_FACTORY_EXCEPTION, &["by-hresult", "com-exception"]);
        check::<TreatAsCycle>(TREATAS_CYCLE, &["classnotreg", "original"]);
        check::<LocalServerExpand>(LOCALSERVER_EXPAND, &["launcher", "client"]);
        check::<AsmUnregisterValues>(ASM_UNREGISTER_VALUES, &["keep", "delete"]);
        check::<ClrClassThreading>(CLR_CLASS_THREADING, &["both", "none"]);
        check::<ProgidCurVer>(PROGID_CURVER, &["curver", "clsid"]);
        check::<SxsLanguageAny>(SXS_LANGUAGE_ANY, &["literal", "neutral"]);
        check::<InprocLoadFailure>(INPROC_LOAD_FAILURE, &["next", "stop"]);
        check::<SxsDuplicateClsid>(SXS_DUPLICATE_CLSID, &["first", "refuse"]);
        check::<MscoreeNoClass>(MSCOREE_NO_CLASS, &["classnotreg", "classnotavailable"]);
        check::<RemoteCodebase>(REMOTE_CODEBASE, &["load", "refuse"]);
        assert_eq!(
            SWITCHES.len(),
            18,
            "a new switch needs its value type and a line here"
        );
    }
}
