//! The catalogue of causes (`docs/causes.md`): each has a stable ID, the rules whose trace steps
//! detect it, and a detector that reads the run's data (the rules its trace cites, its outcome's
//! HRESULT) and the machine (keys, values, files), never the output text. A detector gives the
//! evidence and the fixes to try; [`crate::fix::verify`] replays each.

use std::sync::Arc;

use comsim_manifest::Guid;
use comsim_registry::View;
use comsim_resolver::{
    Bitness, ClientKind, FileKind, HResult, Machine, Outcome, Request, Rule, RuntimeVersion,
};
use serde::Serialize;

use crate::config::{ConfigRun, bits};
use crate::fix::{Candidate, FixStep, Rebuild};
use crate::input::Loaded;
use crate::registration::{self, Registration, access, find_assembly};
use comsim_resolver::shimreg::clsid_key;

mod sxs_manifest;
mod unregistered;

/// A named cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CauseInfo {
    /// The stable ID (`other-view`).
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The rules whose steps detect it.
    #[serde(skip)]
    pub rules: &'static [Rule],
}

/// One piece of evidence: a rule, what it is about (a key, a value, a file) and what was there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub rule: Rule,
    pub subject: String,
    pub detail: String,
}

fn ev(rule: Rule, subject: impl Into<String>, detail: impl Into<String>) -> Evidence {
    Evidence {
        rule,
        subject: subject.into(),
        detail: detail.into(),
    }
}

/// A cause found in one configuration's run.
#[derive(Debug, Clone)]
pub struct Finding {
    pub cause: &'static CauseInfo,
    /// The cause in one sentence, for this machine.
    pub sentence: String,
    pub evidence: Vec<Evidence>,
    pub candidates: Vec<Candidate>,
}

/// A registry view and whether per-user classes are in it.
type ViewKey = (Bitness, bool);

/// What a detector reads.
pub struct Ctx<'a> {
    pub loaded: &'a Loaded,
    pub run: &'a ConfigRun,
    pub request: &'a Request,
    /// The class the request is about (the ProgID's CLSID when it has one).
    pub clsid: Option<Guid>,
    /// The registrations read so far, by view and per-user or not: several detectors ask for
    /// the same ones, and reading one opens a dozen keys.
    read: std::cell::RefCell<Reads>,
    /// Causes whose sentence and fixes the caller already has for this class: their detectors
    /// still decide whether they are found, but skip building fix texts and searching the
    /// machine for fix material.
    known: &'a [&'static str],
    /// Whether fixes carry the contents of the files they write (a `.reg` file to import):
    /// `comsim diagnose` writes and replays them; `comsim audit` shows only the commands.
    fix_files: bool,
    /// Whether findings carry their sentence, evidence and fixes at all: a caller that shows
    /// only which causes were found (`comsim audit --format csv`) has no use for them.
    details: bool,
}

/// The registrations a [`Ctx`] has read of its class, handed from one context to the next for
/// the same class and machine ([`Ctx::with_reads`]): a registration is the registry's answer for a
/// view, whatever the process. Shared, not copied: the detectors of a run ask for the same
/// registration again and again (a copy was up to eight strings each time).
#[derive(Debug, Clone, Default)]
pub struct Reads(Vec<(ViewKey, Option<Arc<Registration>>)>);

impl Reads {
    /// Records what `registration::read` gave for the class in the view of `view_bitness`,
    /// with per-user classes seen (`user`) or not (`registration::access`).
    pub fn insert(&mut self, view_bitness: Bitness, user: bool, r: Option<Registration>) {
        let key = (view_bitness, user);
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, r.map(Arc::new)));
    }

    /// What was read for the view of `view_bitness` with per-user classes seen (`user`) or not:
    /// `None` when it was not read.
    pub fn get(&self, view_bitness: Bitness, user: bool) -> Option<Option<&Registration>> {
        self.0
            .iter()
            .find(|(k, _)| *k == (view_bitness, user))
            .map(|(_, r)| r.as_deref())
    }

    /// Whether one of the registrations read is stored in HKEY_CURRENT_USER.
    pub fn any_per_user(&self) -> bool {
        self.0
            .iter()
            .any(|(_, r)| r.as_ref().is_some_and(|r| r.hive_user))
    }
}

impl<'a> Ctx<'a> {
    pub fn new(
        loaded: &'a Loaded,
        run: &'a ConfigRun,
        request: &'a Request,
        clsid: Option<Guid>,
    ) -> Self {
        Ctx {
            loaded,
            run,
            request,
            clsid,
            read: std::cell::RefCell::default(),
            known: &[],
            fix_files: true,
            details: true,
        }
    }

    /// Findings of the causes alone, as [`Ctx::with_known`] of every cause: each detector still
    /// decides whether its cause is found, but where it can tell that before writing the
    /// sentence, evidence and fixes, it writes none.
    #[must_use]
    pub fn without_details(mut self) -> Self {
        self.details = false;
        self
    }

    /// Fixes without the contents of the files they would write: their commands name the
    /// files, but the `.reg` texts (an export of the class's keys) are left empty.
    #[must_use]
    pub fn without_fix_files(mut self) -> Self {
        self.fix_files = false;
        self
    }

    /// Starts from the registrations an earlier context read of the same class on the same
    /// machine (its [`Ctx::into_reads`]).
    #[must_use]
    pub fn with_reads(self, reads: Reads) -> Self {
        self.read.replace(reads);
        self
    }

    /// The causes (by ID) whose sentence and fixes the caller has: findings of these come back
    /// with the cause, but may lack their sentence, evidence and fix candidates.
    #[must_use]
    pub fn with_known(mut self, known: &'a [&'static str]) -> Self {
        self.known = known;
        self
    }

    /// The registrations this context read, for the next context of the same class.
    pub fn into_reads(self) -> Reads {
        self.read.into_inner()
    }
}

impl Ctx<'_> {
    fn m(&self) -> &Machine {
        &self.loaded.machine
    }
    fn bitness(&self) -> Bitness {
        self.run.config.bitness
    }
    fn hresult(&self) -> Option<HResult> {
        self.run.run.outcome.hresult()
    }
    fn cites(&self, rule: Rule) -> bool {
        self.run.run.trace.rules().any(|r| r == rule)
    }
    /// The registration the process's COM sees (REG-2: no per-user classes when elevated).
    fn registration(&self) -> Option<Arc<Registration>> {
        self.registration_in(self.bitness(), !self.run.config.elevated)
    }
    fn registration_in(&self, view_bitness: Bitness, user: bool) -> Option<Arc<Registration>> {
        let key = (view_bitness, user);
        if let Some((_, r)) = self.read.borrow().0.iter().find(|(k, _)| *k == key) {
            return r.clone();
        }
        let a = access(self.m(), view_bitness, user);
        let r = registration::read(self.m(), self.clsid?, &a).map(Arc::new);
        self.read.borrow_mut().0.push((key, r.clone()));
        r
    }
    /// Whether a finding of `cause` needs its fix candidates (the caller does not have them).
    fn wants_fixes(&self, cause: &CauseInfo) -> bool {
        self.details && !self.known.contains(&cause.id)
    }

    /// The finding of `cause` as a caller that knows it takes it ([`Ctx::with_known`]), or that
    /// wants no details ([`Ctx::without_details`]): the cause alone, when the caller has its
    /// sentence and fixes already or will not show them.
    fn known_finding(&self, cause: &'static CauseInfo) -> Option<Finding> {
        (!self.wants_fixes(cause)).then(|| finding(cause, String::new(), Vec::new()))
    }
    fn exe_dir(&self) -> comsim_resolver::WinPath {
        self.loaded.client.path().parent()
    }
}

type Detect = fn(&Ctx<'_>) -> Option<Finding>;

macro_rules! causes {
    ($($name:ident = $id:literal, $title:literal, [$($rule:ident),*], $detect:path;)*) => {
        $(pub const $name: CauseInfo = CauseInfo { id: $id, title: $title, rules: &[$(Rule::$rule),*] };)*
        /// Every cause, in ranking order: when two are found, the earlier is named first.
        pub const ALL: &[CauseInfo] = &[$($name),*];
        const DETECTORS: &[Detect] = &[$($detect),*];
    };
}

causes! {
    RUNTIME_NOT_INSTALLED = "runtime-not-installed", "the runtime is not installed", [Shim2], runtime_not_installed;
    SXS_CONFIG_REFUSED = "sxs-config-refused", "14001: the side-by-side loader refuses the .config", [Sxs1, Shim4], sxs_config_refused;
    SXS_MANIFEST_REFUSED = "sxs-manifest-refused", "14001: the side-by-side loader cannot build the activation context from a manifest", [Sxs1, Sxs2], sxs_manifest::sxs_manifest_refused;
    PER_USER_ELEVATED = "per-user-elevated", "a per-user registration, and an elevated process", [Reg2, Com4], per_user_elevated;
    NATIVE_OTHER_BITNESS = "native-other-bitness", "a native in-process server of the other bitness", [Reg3, Com3, Com4], native_other_bitness;
    PIA_NATIVE_SERVER = "pia-native-server", "a PIA whose native server is missing or of the other bitness", [Lcc4_3, Com3], pia_native_server;
    OTHER_VIEW = "other-view", "registered in the other registry view only", [Reg3, ShimReg1, Com4], other_view;
    TREATAS_MISSING = "treatas-missing", "TreatAs names a class that is not registered", [Com2, Com4], treatas_missing;
    UNREGISTERED_OTHER_VERSION = "unregistered-other-version", "unregistered by regasm /u of another version: the ProgID is gone, the class remains", [Req3, Asm4], unregistered::unregistered_other_version;
    PROGID_CLSID_MISSING = "progid-clsid-missing", "the ProgID names a CLSID that is not registered", [Req3, Com4], progid_clsid_missing;
    NOT_COM_VISIBLE = "not-com-visible", "the class was never registered: not COM-visible or no public default constructor", [Asm3, Com4], not_com_visible;
    CONFIG_EXCLUDES_RUNTIME = "config-excludes-runtime", "the .config's supportedRuntime excludes every installed runtime", [Shim4, Shim2], config_excludes_runtime;
    NEWER_RUNTIME = "newer-runtime", "the assembly is built for a newer CLR than the client runs, and the registration does not say so", [Lcc4_5, Bind6], newer_runtime;
    VERSION_SUBKEY_REMOVED = "version-subkey-removed", "the highest version subkey points at a removed version", [ShimReg5, Bind5], version_subkey_removed;
    LOCALSERVER_MISSING = "localserver-missing", "the LocalServer32 executable is missing", [Com3], localserver_missing;
    CODEBASE_MISSING = "codebase-missing", "the CodeBase file is missing", [Bind4, Bind5], codebase_missing;
    NO_CODEBASE = "no-codebase", "no CodeBase, and the assembly is neither in the GAC nor in the application base", [Bind2, Bind3, Bind5], no_codebase;
    IDENTITY_MISMATCH = "identity-mismatch", "the file found is another assembly than the registration names", [Bind1, Bind3, Bind4], identity_mismatch;
}

/// The causes found in one run, in ranking order.
pub fn detect(ctx: &Ctx<'_>) -> Vec<Finding> {
    if matches!(
        ctx.run.run.outcome,
        Outcome::Managed { .. } | Outcome::ComObject { .. }
    ) {
        return Vec::new();
    }
    DETECTORS.iter().filter_map(|d| d(ctx)).collect()
}

fn finding(cause: &'static CauseInfo, sentence: String, evidence: Vec<Evidence>) -> Finding {
    Finding {
        cause,
        sentence,
        evidence,
        candidates: Vec::new(),
    }
}

impl Finding {
    fn fix(mut self, summary: impl Into<String>, steps: Vec<FixStep>) -> Self {
        self.candidates.push(Candidate {
            summary: summary.into(),
            steps,
        });
        self
    }
}

// --- newer-runtime -----------------------------------------------------------------------

/// COR_E_NEWER_RUNTIME from BIND-6: the running CLR bound an assembly built for a newer one. It
/// binds it itself only when the registration gives no `RuntimeVersion` (LCC4-5) or one that is
/// the running runtime (LCC4-4); a registration naming the newer runtime would make LoadCOMClass
/// return NULL and COM start that runtime beside it (SHIM-3). The fix is the registration regasm
/// of the assembly's own runtime writes.
fn newer_runtime(ctx: &Ctx<'_>) -> Option<Finding> {
    if ctx.hresult() != Some(HResult::COR_E_NEWER_RUNTIME)
        || !ctx
            .run
            .run
            .trace
            .steps
            .iter()
            .any(|s| s.code == Some("newer-runtime"))
    {
        return None;
    }
    let reg = ctx.registration()?;
    let display = reg.assembly.as_deref()?;
    let (path, asm) = find_assembly(ctx.m(), display, reg.codebase.as_deref())?;
    let running = ctx.run.clr.as_ref()?;
    let said = match reg.runtime.as_deref() {
        None => "names no RuntimeVersion".to_owned(),
        Some(v) => format!("names RuntimeVersion {v}"),
    };
    let f = finding(
        &NEWER_RUNTIME,
        format!(
            "{display} is built for {}, but the client runs on {running}; its registration {said}, so the running CLR loads the class itself instead of leaving it to {} beside it.",
            asm.runtime, asm.runtime
        ),
        vec![
            ev(
                Rule::Bind6,
                path.to_string(),
                format!("ImageRuntimeVersion {}", asm.runtime),
            ),
            ev(
                Rule::Lcc4_5,
                format!("{}\\InprocServer32", reg.stored),
                said,
            ),
        ],
    );
    Some(regasm_fix(ctx, f, &reg, ctx.bitness()))
}

// --- runtime-not-installed ---------------------------------------------------------------

fn runtime_not_installed(ctx: &Ctx<'_>) -> Option<Finding> {
    if ctx.hresult() != Some(HResult::CLR_E_SHIM_RUNTIMELOAD) || !ctx.cites(Rule::Shim2) {
        return None;
    }
    let m = ctx.m();
    let reg = ctx.registration();
    let from_reg = reg
        .as_ref()
        .and_then(|r| r.runtime.as_deref())
        .and_then(RuntimeVersion::parse)
        .map(|v| {
            let key = reg.as_ref().map_or_else(String::new, |r| r.stored.clone());
            let who = format!(
                "{}'s registration",
                ctx.clsid.map(|c| c.to_string()).unwrap_or_default()
            );
            let detail = format!("RuntimeVersion = {v}");
            (
                v,
                who,
                ev(Rule::Shim1, format!("{key}\\InprocServer32"), detail),
            )
        });
    let client = ctx.loaded.client.path();
    // The client file's runtime, or the one a stand-in client of this configuration was built for.
    let client_runtime =
        m.fs.get(client)
            .and_then(|f| f.assembly())
            .map(|a| a.runtime.clone())
            .or_else(|| {
                let built_for = ctx.run.config.built_for?;
                RuntimeVersion::parse(if built_for == comsim_scenario::Clr::V2 {
                    "v2.0.50727"
                } else {
                    "v4.0.30319"
                })
            });
    let from_client = client_runtime.map(|r| {
        let detail = format!("built for {r}");
        (
            r,
            format!("The client {}", client.file_name()),
            ev(Rule::Shim2, client.to_string(), detail),
        )
    });
    let (needed, who, first) = [from_reg, from_client]
        .into_iter()
        .flatten()
        .find(|(v, _, _)| m.installed(v.major, v.minor).is_none())?;
    let f = finding(
        &RUNTIME_NOT_INSTALLED,
        format!(
            "{who} asks for CLR {} ({needed}), and this machine has no runtime of that family.",
            needed.family()
        ),
        vec![
            first,
            ev(Rule::Shim2, "installed runtimes", installed_list(m)),
        ],
    );
    let summary = if needed.major < 4 {
        "Turn on the .NET Framework 3.5 feature (CLR 2.0)."
    } else {
        "Install the .NET Framework 4.8 (CLR 4)."
    };
    Some(f.fix(summary, vec![FixStep::InstallRuntime(needed)]))
}

// --- sxs-config-refused --------------------------------------------------------------------

/// The process did not start with 14001 (ERROR_SXS_CANT_GEN_ACTCTX) because its `.config`, which
/// the side-by-side loader reads with the manifest (SXS-1, SHIM-4), is one it refuses: the
/// configuration reader's located diagnostic says where.
fn sxs_config_refused(ctx: &Ctx<'_>) -> Option<Finding> {
    if !matches!(
        ctx.run.run.outcome,
        Outcome::StartupFailure {
            error: Some(14001),
            ..
        }
    ) || !ctx.cites(Rule::Shim4)
    {
        return None;
    }
    let path = config_path(ctx);
    let file = ctx.m().fs.get(&path)?;
    let d = comsim_appconfig::parse_config(&path.to_string(), &file.bytes).err()?;
    let line = d.location.as_ref().map_or(1, |l| l.line);
    let f = finding(
        &SXS_CONFIG_REFUSED,
        format!(
            "The side-by-side loader reads {path} when it starts the process and refuses it (line {line}: {}), so the process does not start: 14001 \"side-by-side configuration is incorrect\".",
            d.message
        ),
        vec![
            ev(
                Rule::Shim4,
                format!("{path}:{line}"),
                format!("{}: {}", d.code.name(), d.message),
            ),
            ev(
                Rule::Sxs1,
                ctx.loaded.client.path().to_string(),
                "ERROR_SXS_CANT_GEN_ACTCTX (14001)",
            ),
        ],
    );
    if d.code.name() != "config-root" {
        return Some(f);
    }
    // The root in a namespace (Visual Studio 2005's xmlns): the same file without it.
    let text = String::from_utf8_lossy(&file.bytes).into_owned();
    let start = text.find("<configuration")?;
    let end = start + text[start..].find('>')?;
    let attr = text[start..end].find(" xmlns=")? + start;
    let quote = text[attr + 7..].chars().next()?;
    let close = text[attr + 8..].find(quote)? + attr + 8;
    let edited = format!("{}{}", &text[..attr], &text[close + 1..]);
    Some(f.fix(
        "Remove the xmlns attribute from the .config's <configuration> root.",
        vec![FixStep::Write { path, text: edited }],
    ))
}

// --- per-user-elevated -------------------------------------------------------------------

fn per_user_elevated(ctx: &Ctx<'_>) -> Option<Finding> {
    if !ctx.run.config.elevated || ctx.registration().is_some() {
        return None;
    }
    let user = ctx.registration_in(ctx.bitness(), true)?;
    if !user.hive_user {
        return None;
    }
    let clsid = ctx.clsid?;
    let f = finding(
        &PER_USER_ELEVATED,
        format!(
            "{clsid} is registered for the current user only (HKCU\\Software\\Classes), and COM in an elevated process does not read per-user classes."
        ),
        vec![
            ev(Rule::Reg2, user.stored.clone(), "the class key, per user"),
            ev(
                Rule::Com4,
                clsid.to_string(),
                "not registered as the elevated process sees HKCR",
            ),
        ],
    );
    let a = access(ctx.m(), ctx.bitness(), true);
    // The class key, and the ProgID's key when it is per user too.
    let mut keys = vec![clsid_key(clsid, &[])];
    if let Some(p) = progid(ctx.request)
        && let Ok(k) = comsim_registry::KeyPath::parse(&format!(r"HKEY_CLASSES_ROOT\{p}"))
        && ctx
            .m()
            .registry
            .open(&k, &access(ctx.m(), ctx.bitness(), false))
            .is_none()
    {
        keys.push(k);
    }
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for k in &keys {
        let part = comsim_regfile::export_text(&ctx.m().registry, k, &a)?;
        let part = part.trim_start_matches("Windows Registry Editor Version 5.00\r\n");
        text.push_str(&part.replace(
            "[HKEY_CLASSES_ROOT\\",
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\",
        ));
    }
    let view = a.view;
    Some(f.fix(
        "Register the class for the machine: import the per-user keys under HKLM\\SOFTWARE\\Classes from an elevated prompt.",
        vec![FixStep::Import {
            name: "fix-per-machine.reg".to_owned(),
            text,
            view,
        }],
    ))
}

// --- native-other-bitness and other-view -------------------------------------------------

/// The bitness and path of the native DLL `reg`'s `InprocServer32` names, found as a process of
/// `bitness` (the bitness of the view `reg` is in) finds it: expanded in its environment,
/// System32 redirected, a bare name in its system directory (COM-3).
fn native_dll(
    m: &Machine,
    reg: &Registration,
    bitness: Bitness,
) -> Option<(Bitness, comsim_resolver::WinPath)> {
    let server = reg.inproc.as_deref()?;
    let path = comsim_resolver::com::inproc_server_home(m, server, reg.inproc_expandable, bitness)?;
    match &m.fs.get(&path)?.kind {
        FileKind::Native(n) => Some((n.bitness, path)),
        _ => None,
    }
}

fn native_other_bitness(ctx: &Ctx<'_>) -> Option<Finding> {
    let b = ctx.bitness();
    let (reg, (dll_bits, path)) = [
        (ctx.registration(), b),
        (ctx.registration_in(b.other(), true), b.other()),
    ]
    .into_iter()
    .find_map(|(r, view_bits)| {
        let r = r?;
        // A managed registration first (no file to look up): most failing runs are of one.
        if r.is_managed() {
            return None;
        }
        let (bits, path) = native_dll(ctx.m(), &r, view_bits)?;
        (bits != b).then_some((r, (bits, path)))
    })?;
    let clsid = ctx.clsid?;
    if let Some(known) = ctx.known_finding(&NATIVE_OTHER_BITNESS) {
        return Some(known);
    }
    let dll = reg.inproc.clone().unwrap_or_default();
    let f = finding(
        &NATIVE_OTHER_BITNESS,
        format!(
            "{clsid}'s InprocServer32 is a {}-bit DLL ({path}), which a {}-bit process cannot load.",
            bits(dll_bits),
            bits(b)
        ),
        vec![
            ev(Rule::Com3, format!("{}\\InprocServer32", reg.stored), dll),
            ev(
                Rule::Reg3,
                path.to_string(),
                format!("a {}-bit image", bits(dll_bits)),
            ),
        ],
    );
    Some(surrogate_fix(f, clsid, dll_bits, &reg))
}

/// The registry view a registration is stored in.
fn stored_view(reg: &Registration) -> View {
    if reg.stored.to_ascii_lowercase().contains("wow6432node") {
        View::Bits32
    } else {
        View::Bits64
    }
}

/// Runs a native DLL of the other bitness in the system surrogate: an `AppID` with an empty
/// `DllSurrogate`, imported in the DLL's view (COM-3 then starts dllhost.exe of its bitness).
/// When the registration is in the other view, the DLL's `InprocServer32` is written in the
/// DLL's view too, so that the surrogate of its bitness finds it there.
fn surrogate_fix(f: Finding, clsid: Guid, dll_bits: Bitness, reg: &Registration) -> Finding {
    let view = if dll_bits == Bitness::B32 {
        View::Bits32
    } else {
        View::Bits64
    };
    let server = match (stored_view(reg) == view, reg.inproc.as_deref()) {
        (false, Some(dll)) => {
            // Of the original's type, so that a REG_EXPAND_SZ is expanded where it was.
            let value = if reg.inproc_expandable {
                comsim_registry::Value::expand_sz(dll)
            } else {
                comsim_registry::Value::sz(dll)
            };
            let mut key = format!("[HKEY_CLASSES_ROOT\\CLSID\\{clsid}\\InprocServer32]\r\n");
            comsim_regfile::write_value(&mut key, &"".into(), &value);
            key.push_str("\r\n");
            key
        }
        _ => String::new(),
    };
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{clsid}]\r\n\"AppID\"=\"{clsid}\"\r\n\r\n{server}[HKEY_CLASSES_ROOT\\AppID\\{clsid}]\r\n\"DllSurrogate\"=\"\"\r\n\r\n"
    );
    f.fix(
        "Run the DLL out of process in the system surrogate (dllhost.exe of its bitness): give the class an AppID with DllSurrogate.",
        vec![FixStep::Import {
            name: "fix-dll-surrogate.reg".to_owned(),
            text,
            view,
        }],
    )
}

/// A PIA registration (LCC4-3: `Assembly` and `Class` beside an `InprocServer32` default that
/// is not mscoree.dll): the wrapper loads, and its `CoCreateInstance` (REQ-2, COM-3) fails on the
/// native server, missing (when the machine's files are known) or of the other bitness.
fn pia_native_server(ctx: &Ctx<'_>) -> Option<Finding> {
    let load_failed = matches!(
        ctx.hresult(),
        Some(HResult::BAD_EXE_FORMAT | HResult::MOD_NOT_FOUND)
    );
    if !load_failed || !ctx.cites(Rule::Com3) {
        return None;
    }
    let reg = ctx.registration()?;
    let server = reg.inproc.clone()?;
    if reg.assembly.is_none() || server.to_ascii_lowercase().ends_with("mscoree.dll") {
        return None;
    }
    let clsid = ctx.clsid?;
    let path = comsim_resolver::WinPath::parse(server.trim_matches('"')).ok()?;
    let b = ctx.bitness();
    let wrapper = format!(
        "{} from {}",
        reg.class.as_deref().unwrap_or_default(),
        reg.assembly.as_deref().unwrap_or_default()
    );
    let pia_ev = ev(
        Rule::Lcc4_3,
        format!("{}\\InprocServer32", reg.stored),
        format!("{server}, with Class and Assembly: a PIA; the wrapper is {wrapper}"),
    );
    match ctx.m().fs.get(&path).map(|f| &f.kind) {
        Some(FileKind::Native(n)) if n.bitness != b => {
            let f = finding(
                &PIA_NATIVE_SERVER,
                format!(
                    "{clsid} is a primary interop assembly's class: its wrapper loads, and creating it loads the native server {path}, a {}-bit DLL, which a {}-bit process cannot load.",
                    bits(n.bitness),
                    bits(b)
                ),
                vec![
                    pia_ev,
                    ev(
                        Rule::Com3,
                        path.to_string(),
                        format!("a {}-bit image", bits(n.bitness)),
                    ),
                ],
            );
            Some(surrogate_fix(f, clsid, n.bitness, &reg))
        }
        None if ctx.loaded.files_known => {
            let f = finding(
                &PIA_NATIVE_SERVER,
                format!(
                    "{clsid} is a primary interop assembly's class: its wrapper loads, and creating it loads the native server {path}, and there is no such file."
                ),
                vec![pia_ev, ev(Rule::Com3, path.to_string(), "no such file")],
            );
            Some(pia_server_moved(ctx, f, &reg, &path, clsid))
        }
        _ => None,
    }
}

/// A native DLL of the server's file name and the process's bitness elsewhere on the machine:
/// the `InprocServer32` default rewritten to it (the PIA's values kept), imported.
fn pia_server_moved(
    ctx: &Ctx<'_>,
    f: Finding,
    reg: &Registration,
    path: &comsim_resolver::WinPath,
    clsid: Guid,
) -> Finding {
    if !ctx.wants_fixes(f.cause) {
        return f;
    }
    let b = ctx.bitness();
    let found = ctx.m().fs.files().find(|file| {
        matches!(&file.kind, FileKind::Native(n) if n.bitness == b)
            && file.path.file_name().eq_ignore_ascii_case(path.file_name())
            && file.path != *path
    });
    let Some(found) = found.map(|file| file.path.clone()) else {
        return f;
    };
    let value = found.to_string().replace('\\', "\\\\");
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{clsid}\\InprocServer32]\r\n@=\"{value}\"\r\n\r\n"
    );
    f.fix(
        format!("Register the native server where it is now ({found})."),
        vec![FixStep::Import {
            name: "fix-pia-server.reg".to_owned(),
            text,
            view: stored_view(reg),
        }],
    )
}

fn other_view(ctx: &Ctx<'_>) -> Option<Finding> {
    if ctx.hresult() != Some(HResult::REGDB_E_CLASSNOTREG)
        || ctx.registration_in(ctx.bitness(), true).is_some()
    {
        return None;
    }
    let clsid = ctx.clsid?;
    let b = ctx.bitness();
    let other = ctx.registration_in(b.other(), true)?;
    if let Some(known) = ctx.known_finding(&OTHER_VIEW) {
        return Some(known);
    }
    let f = finding(
        &OTHER_VIEW,
        format!(
            "{clsid} is registered in the {}-bit registry view only, and a {}-bit process reads the {}-bit view.",
            bits(b.other()),
            bits(b),
            bits(b)
        ),
        vec![
            ev(
                Rule::Reg3,
                other.stored.clone(),
                format!("the class key, in the {}-bit view", bits(b.other())),
            ),
            ev(
                Rule::Com4,
                clsid.to_string(),
                format!("no key in the {}-bit view", bits(b)),
            ),
        ],
    );
    let mut f = regasm_fix(ctx, f, &other, b);
    if !ctx.wants_fixes(&OTHER_VIEW) || server_of_other_bitness(ctx.m(), &other, b) {
        // A copy of a registration whose DLL the process cannot load fails on that DLL
        // (`native-other-bitness` offers the surrogate instead).
        return Some(f);
    }
    let a = access(ctx.m(), b.other(), true);
    let text = if ctx.fix_files {
        comsim_regfile::export_text(&ctx.m().registry, &clsid_key(clsid, &[]), &a)?
    } else {
        String::new()
    };
    let view = access(ctx.m(), b, true).view;
    f = f.fix(
        format!(
            "Copy the registration into the {}-bit view: import the keys with the {}-bit reg.exe.",
            bits(b),
            bits(b)
        ),
        vec![FixStep::Import {
            name: "fix-other-view.reg".to_owned(),
            text,
            view,
        }],
    );
    Some(f)
}

/// Whether `reg` (of the other view than a process of `bitness` reads) names a native DLL of
/// the other bitness (found as a process of its view finds it, [`native_dll`]) that a process
/// of `bitness` would load from the same path: a copy of the registration into the process's
/// view cannot work. Where the two bitnesses read the value as different paths (System32
/// redirected to SysWOW64, `%ProgramFiles%` expanded to each one's folder), the other bitness's
/// build may be there on the real machine, so the copy is still offered (and replayed).
fn server_of_other_bitness(m: &Machine, reg: &Registration, bitness: Bitness) -> bool {
    // A managed class's server is mscoree.dll, which each bitness has.
    if reg.is_managed() {
        return false;
    }
    let Some((dll, path)) = native_dll(m, reg, bitness.other()) else {
        return false;
    };
    let own = reg.inproc.as_deref().and_then(|text| {
        comsim_resolver::com::inproc_server_home(m, text, reg.inproc_expandable, bitness)
    });
    dll != bitness && own.as_ref() == Some(&path)
}

/// `regasm` of the class's assembly, as a process of `bitness` needs it, when the assembly is a
/// file of the machine: with `/codebase` when the registration had one.
fn regasm_fix(ctx: &Ctx<'_>, f: Finding, reg: &Registration, bitness: Bitness) -> Finding {
    let Some(display) = reg.assembly.as_deref().filter(|_| ctx.wants_fixes(f.cause)) else {
        return f;
    };
    // A registration without a CodeBase of an assembly in the GAC: regasm of the GAC's file.
    let found = find_assembly(ctx.m(), display, reg.codebase.as_deref()).or_else(|| {
        reg.codebase
            .is_none()
            .then(|| registration::find_in_gac(ctx.m(), display))
            .flatten()
    });
    let Some((path, asm)) = found else {
        return f;
    };
    regasm_of(ctx, f, path, &asm.runtime, bitness, reg.codebase.is_some())
}

fn regasm_of(
    ctx: &Ctx<'_>,
    f: Finding,
    path: &comsim_resolver::WinPath,
    runtime: &RuntimeVersion,
    bitness: Bitness,
    codebase: bool,
) -> Finding {
    let Some(clr) = ctx.m().installed(runtime.major, runtime.minor).cloned() else {
        return f;
    };
    let mut args = vec![path.to_string()];
    if codebase {
        args.push("/codebase".to_owned());
    }
    let tool = if bitness == Bitness::B64 {
        "Framework64"
    } else {
        "Framework"
    };
    f.fix(
        format!(
            "Register the assembly with the {}-bit regasm of CLR {} ({tool}).",
            bits(bitness),
            clr.family()
        ),
        vec![FixStep::Regasm {
            bitness,
            clr,
            args,
            cwd: path.parent(),
        }],
    )
}

/// `regasm /codebase` of an assembly with the regasm of each bitness the OS has (both views on
/// a 64-bit Windows), as an AnyCPU class used by 32- and 64-bit clients needs: one candidate.
fn regasm_everywhere(
    ctx: &Ctx<'_>,
    f: Finding,
    path: &comsim_resolver::WinPath,
    runtime: &RuntimeVersion,
) -> Finding {
    let Some(clr) = ctx.m().installed(runtime.major, runtime.minor).cloned() else {
        return f;
    };
    let bitnesses: &[Bitness] = if ctx.m().os == Bitness::B64 {
        &[Bitness::B32, Bitness::B64]
    } else {
        &[Bitness::B32]
    };
    let steps = bitnesses
        .iter()
        .map(|b| FixStep::Regasm {
            bitness: *b,
            clr: clr.clone(),
            args: vec![path.to_string(), "/codebase".to_owned()],
            cwd: path.parent(),
        })
        .collect();
    f.fix(
        format!(
            "Register the assembly where it is, with /codebase, with the regasm of CLR {} of each bitness (Framework and Framework64).",
            clr.family()
        ),
        steps,
    )
}

// --- treatas-missing ---------------------------------------------------------------------

fn treatas_missing(ctx: &Ctx<'_>) -> Option<Finding> {
    if !ctx.cites(Rule::Com2) {
        return None;
    }
    let reg = ctx.registration()?;
    let target = reg.treat_as?;
    let a = access(ctx.m(), ctx.bitness(), !ctx.run.config.elevated);
    if registration::read(ctx.m(), target, &a)
        .is_some_and(|t| t.inproc.is_some() || t.local_server.is_some())
    {
        return None;
    }
    let clsid = ctx.clsid?;
    let f = finding(
        &TREATAS_MISSING,
        format!(
            "{clsid} has TreatAs {target}, and {target} has no server registered: COM activates the emulating class, and fails."
        ),
        vec![
            ev(
                Rule::Com2,
                format!("{}\\TreatAs", reg.stored),
                target.to_string(),
            ),
            ev(
                Rule::Com4,
                target.to_string(),
                "no InprocServer32 or LocalServer32",
            ),
        ],
    );
    if reg.inproc.is_none() && reg.local_server.is_none() {
        return Some(f);
    }
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_CLASSES_ROOT\\CLSID\\{clsid}\\TreatAs]\r\n\r\n"
    );
    Some(f.fix(
        "Remove the TreatAs key, so that the class's own server is used.",
        vec![FixStep::Import {
            name: "fix-remove-treatas.reg".to_owned(),
            text,
            view: a.view,
        }],
    ))
}

// --- progid-clsid-missing and not-com-visible ---------------------------------------------

/// The request's ProgID.
fn progid(request: &Request) -> Option<&str> {
    match request {
        Request::GetTypeFromProgId { progid, .. } => Some(progid),
        Request::CoCreateInstance {
            target: comsim_resolver::ClassRef::ProgId(p),
            ..
        } => Some(p),
        _ => None,
    }
}

/// A class of an assembly file of the machine that is `clsid`'s class or has `progid`.
fn class_on_machine<'m>(
    m: &'m Machine,
    clsid: Option<Guid>,
    progid: Option<&str>,
) -> Option<(
    &'m comsim_resolver::WinPath,
    &'m comsim_resolver::AssemblyInfo,
    &'m comsim_resolver::TypeInfo,
)> {
    m.fs.files().find_map(|f| {
        let a = f.assembly()?;
        let t = a.types.iter().find(|t| {
            (clsid.is_some() && t.guid == clsid)
                || progid.is_some_and(|p| {
                    t.progid
                        .as_deref()
                        .unwrap_or(&t.full_name)
                        .eq_ignore_ascii_case(p)
                })
        })?;
        Some((&f.path, a, t))
    })
}

fn both_views_empty(ctx: &Ctx<'_>, clsid: Guid) -> bool {
    let all = |b| registration::read(ctx.m(), clsid, &access(ctx.m(), b, true)).is_none();
    // The context's own class: its registrations, as read once for all detectors.
    let own = |b| ctx.registration_in(b, true).is_none();
    [Bitness::B32, Bitness::B64].into_iter().all(|b| {
        if ctx.clsid == Some(clsid) {
            own(b)
        } else {
            all(b)
        }
    })
}

fn progid_clsid_missing(ctx: &Ctx<'_>) -> Option<Finding> {
    let p = progid(ctx.request)?;
    let (clsid, stored) =
        registration::progid_clsid(ctx.m(), p, &access(ctx.m(), ctx.bitness(), true))?;
    if !both_views_empty(ctx, clsid) {
        return None;
    }
    let mut evidence = vec![
        ev(Rule::Req3, stored, clsid.to_string()),
        ev(Rule::Com4, clsid.to_string(), "no key in either view"),
    ];
    let on_machine = class_on_machine(ctx.m(), None, Some(p));
    if let Some((path, a, t)) = on_machine {
        evidence.push(ev(
            Rule::Asm1,
            path.to_string(),
            match comsim_resolver::clrguid::type_guid(a, t) {
                Ok(comsim_resolver::clrguid::ClrGuid::Generated(g)) => format!(
                    "defines {} without [Guid]: its CLSID, generated from the assembly's name and version {}, is now {g}",
                    t.full_name, a.version
                ),
                Ok(comsim_resolver::clrguid::ClrGuid::Declared(g)) => {
                    format!("defines {} with [Guid(\"{g}\")]", t.full_name)
                }
                Err(_) => format!("defines {}", t.full_name),
            },
        ));
    }
    let f = finding(
        &PROGID_CLSID_MISSING,
        format!(
            "The ProgID {p} names {clsid}, and no class is registered under that CLSID: the registration is stale (the class was rebuilt with another CLSID, or unregistered)."
        ),
        evidence,
    );
    let Some((path, asm, _)) = on_machine else {
        return Some(f);
    };
    Some(regasm_everywhere(ctx, f, path, &asm.runtime))
}

fn not_com_visible(ctx: &Ctx<'_>) -> Option<Finding> {
    let clsid = ctx.clsid;
    let p = progid(ctx.request);
    if clsid.is_some_and(|c| !both_views_empty(ctx, c)) {
        return None;
    }
    if clsid.is_none()
        && p.is_some_and(|p| {
            registration::progid_clsid(ctx.m(), p, &access(ctx.m(), ctx.bitness(), true)).is_some()
        })
    {
        return None;
    }
    let (path, asm, t) = class_on_machine(ctx.m(), clsid, p)?;
    let visible = t.com_visible.unwrap_or(asm.com_visible);
    let change = if !visible {
        Rebuild::ComVisible
    } else if !t.default_constructor {
        Rebuild::DefaultConstructor
    } else {
        return None;
    };
    let why = match (change, t.com_visible) {
        (Rebuild::ComVisible, Some(false)) => "is not COM-visible ([ComVisible(false)])",
        // The class inherits its assembly's attribute (ASM-3).
        (Rebuild::ComVisible, _) => {
            "is not COM-visible ([assembly: ComVisible(false)], and the class does not say [ComVisible(true)])"
        }
        (Rebuild::DefaultConstructor, _) => "has no public parameterless constructor",
    };
    let f = finding(
        &NOT_COM_VISIBLE,
        format!(
            "{} in {path} {why}, so regasm registered nothing for it.",
            t.full_name
        ),
        vec![
            ev(
                Rule::Asm3,
                path.to_string(),
                format!("{} {why}", t.full_name),
            ),
            ev(
                Rule::Com4,
                clsid.map_or_else(|| p.unwrap_or_default().to_owned(), |c| c.to_string()),
                "not registered",
            ),
        ],
    );
    let rebuild = FixStep::Rebuild {
        path: path.clone(),
        type_name: t.full_name.clone(),
        change,
    };
    let attribute = match change {
        Rebuild::ComVisible => "[ComVisible(true)]",
        Rebuild::DefaultConstructor => "a public parameterless constructor",
    };
    let summary = format!(
        "Rebuild {} with {attribute}, then register it.",
        t.full_name
    );
    // The regasm step a rebuilt assembly needs, after the rebuild: one candidate of two steps.
    let regasm = regasm_everywhere(
        ctx,
        finding(&NOT_COM_VISIBLE, String::new(), Vec::new()),
        path,
        &asm.runtime,
    )
    .candidates
    .pop()?;
    Some(f.fix(
        summary,
        std::iter::once(rebuild).chain(regasm.steps).collect(),
    ))
}

// --- config-excludes-runtime -------------------------------------------------------------

fn config_path(ctx: &Ctx<'_>) -> comsim_resolver::WinPath {
    let exe = ctx.loaded.client.path();
    exe.parent().join(&format!("{}.config", exe.file_name()))
}

/// The process did not start (SHIM-2) because its `.config` lists only runtimes this machine
/// lacks (SHIM-4), while CLR 4 is installed.
fn config_excludes_runtime(ctx: &Ctx<'_>) -> Option<Finding> {
    if ctx.run.config.client != ClientKind::Managed
        || !matches!(ctx.run.run.outcome, Outcome::StartupFailure { .. })
        || !ctx.cites(Rule::Shim2)
    {
        return None;
    }
    let m = ctx.m();
    let v4 = m.installed(4, 0)?.clone();
    let path = config_path(ctx);
    let file = m.fs.get(&path)?;
    let cfg = comsim_appconfig::parse_config(&path.to_string(), &file.bytes).ok()?;
    let listed = &cfg.startup.as_ref()?.supported_runtimes;
    let first = listed.first()?;
    let none_installed = listed.iter().all(|r| {
        RuntimeVersion::parse(&r.version).is_none_or(|v| m.installed(v.major, v.minor).is_none())
    });
    if !none_installed {
        return None;
    }
    let versions: Vec<&str> = listed.iter().map(|r| r.version.as_str()).collect();
    let f = finding(
        &CONFIG_EXCLUDES_RUNTIME,
        format!(
            "The client's .config accepts only {}, which this machine does not have, so the process does not start; CLR 4 ({v4}) is installed and not listed.",
            versions.join(", ")
        ),
        vec![
            ev(
                Rule::Shim4,
                format!("{path}:{}", first.location.line),
                format!("<supportedRuntime version=\"{}\"/>", first.version),
            ),
            ev(Rule::Shim2, "installed runtimes", installed_list(m)),
        ],
    );
    let text = String::from_utf8_lossy(&file.bytes).into_owned();
    let at = text.find("<supportedRuntime")?;
    let mut edited = text.clone();
    edited.insert_str(
        at,
        "<supportedRuntime version=\"v4.0\" sku=\".NETFramework,Version=v4.0\"/>\n    ",
    );
    Some(f.fix(
        "Let the client run on CLR 4: add <supportedRuntime version=\"v4.0\"/> first in its .config.",
        vec![FixStep::Write { path, text: edited }],
    ))
}

fn installed_list(m: &Machine) -> String {
    let installed: Vec<&str> = m.clrs.iter().map(|c| c.text.as_str()).collect();
    if installed.is_empty() {
        "none".to_owned()
    } else {
        installed.join(", ")
    }
}

// --- version-subkey-removed --------------------------------------------------------------

/// A version subkey: its version, its key through HKCR, where it is stored, and its `CodeBase`
/// file.
type VersionSubkey = (
    comsim_manifest::Version,
    comsim_registry::KeyPath,
    comsim_registry::KeyPath,
    Option<comsim_resolver::WinPath>,
);

/// The version subkeys of a class's `InprocServer32` (SHIM-REG-2: names that are versions), with
/// their `CodeBase` file, highest version first.
fn version_subkeys(
    m: &Machine,
    clsid: Guid,
    access: &comsim_registry::Access,
) -> Vec<VersionSubkey> {
    let inproc = clsid_key(clsid, &["InprocServer32"]);
    let Some(open) = m.registry.open(&inproc, access) else {
        return Vec::new();
    };
    let mut out: Vec<_> = m
        .registry
        .open_subkeys(&open)
        .into_iter()
        .filter_map(|n| {
            let v = comsim_manifest::Version::parse(n.as_str())?;
            let key = inproc.join(n.as_str());
            let stored = m.registry.open(&key, access).map_or_else(
                || key.clone(),
                |o| comsim_registry::KeyPath::new(o.primary.hive.root(), o.primary.components),
            );
            let codebase = m
                .registry
                .query_value(&key, "CodeBase", access)
                .and_then(|(v, _)| v.as_string())
                .and_then(|u| comsim_resolver::WinPath::from_file_url(&u));
            Some((v, key, stored, codebase))
        })
        .collect();
    out.sort_by_key(|k| std::cmp::Reverse(k.0));
    out
}

/// The CLR takes the highest version subkey (SHIM-REG-5); its file is gone, while a lower
/// version's file is still there.
fn version_subkey_removed(ctx: &Ctx<'_>) -> Option<Finding> {
    if !ctx.loaded.files_known
        || ctx.hresult() != Some(HResult::FILE_NOT_FOUND)
        || !ctx.cites(Rule::ShimReg5)
        || !ctx.cites(Rule::Bind5)
    {
        return None;
    }
    let clsid = ctx.clsid?;
    let a = access(ctx.m(), ctx.bitness(), true);
    let subkeys = version_subkeys(ctx.m(), clsid, &a);
    let (top, rest) = subkeys.split_first()?;
    let missing = top.3.clone()?;
    if ctx.m().fs.exists(&missing) {
        return None;
    }
    let (kept_version, _, _, kept_file) = rest
        .iter()
        .find(|(_, _, _, f)| f.as_ref().is_some_and(|f| ctx.m().fs.exists(f)))?;
    let f = finding(
        &VERSION_SUBKEY_REMOVED,
        format!(
            "The CLR takes the highest version subkey, {}, whose CodeBase {missing} is gone; version {kept_version}, still registered, is there.",
            top.0
        ),
        vec![
            ev(
                Rule::ShimReg5,
                top.2.to_string(),
                format!("version {} wins", top.0),
            ),
            ev(Rule::Bind5, missing.to_string(), "no such file"),
            ev(
                Rule::ShimReg3,
                kept_file
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                format!("version {kept_version}: the file exists"),
            ),
        ],
    );
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[-{}]\r\n\r\n",
        top.1
    );
    Some(f.fix(
        format!(
            "Remove the stale version subkey {}, so that version {kept_version} is used.",
            top.0
        ),
        vec![FixStep::Import {
            name: "fix-remove-version.reg".to_owned(),
            text,
            view: a.view,
        }],
    ))
}

// --- localserver-missing ----------------------------------------------------------------

/// The executable of a `LocalServer32` command line: the quoted part, else up to `.exe`, else
/// the first word.
fn server_exe(command: &str) -> Option<comsim_resolver::WinPath> {
    let c = command.trim();
    let path = if let Some(rest) = c.strip_prefix('"') {
        rest.split('"').next()?
    } else if let Some(end) = c.to_ascii_lowercase().find(".exe") {
        &c[..end + 4]
    } else {
        c.split_whitespace().next()?
    };
    comsim_resolver::WinPath::parse(path).ok()
}

/// An executable of the machine with that file name, elsewhere.
fn same_name_elsewhere<'m>(
    m: &'m Machine,
    path: &comsim_resolver::WinPath,
) -> Option<&'m comsim_resolver::WinPath> {
    m.fs.files()
        .filter(|f| matches!(f.kind, FileKind::Native(_)))
        .map(|f| &f.path)
        .find(|p| p.file_name().eq_ignore_ascii_case(path.file_name()) && *p != path)
}

fn localserver_missing(ctx: &Ctx<'_>) -> Option<Finding> {
    if !ctx.loaded.files_known || ctx.hresult() != Some(HResult::CO_E_SERVER_EXEC_FAILURE) {
        return None;
    }
    let b = ctx.bitness();
    let (reg, exe) = [ctx.registration(), ctx.registration_in(b.other(), true)]
        .into_iter()
        .flatten()
        .find_map(|r| {
            let exe = server_exe(r.local_server.as_deref()?)?;
            (!ctx.m().fs.exists(&exe)).then_some((r, exe))
        })?;
    let clsid = ctx.clsid?;
    let command = reg.local_server.clone().unwrap_or_default();
    let f = finding(
        &LOCALSERVER_MISSING,
        format!(
            "{clsid}'s LocalServer32 starts {exe}, and there is no such file: COM cannot start the server."
        ),
        vec![
            ev(
                Rule::Com3,
                format!("{}\\LocalServer32", reg.stored),
                command.clone(),
            ),
            ev(Rule::Com3, exe.to_string(), "no such file"),
        ],
    );
    let found = ctx
        .wants_fixes(&LOCALSERVER_MISSING)
        .then(|| same_name_elsewhere(ctx.m(), &exe).cloned())
        .flatten();
    let Some(found) = found else {
        return Some(f);
    };
    let view = if reg.stored.to_ascii_lowercase().contains("wow6432node") {
        View::Bits32
    } else {
        View::Bits64
    };
    // The same command line, with the executable where it is now (quoted) and its arguments.
    let tail = match command.trim().strip_prefix('"') {
        Some(rest) => rest.split_once('"').map_or("", |(_, t)| t),
        None => {
            let lower = command.to_ascii_lowercase();
            lower.find(".exe").map_or("", |end| &command[end + 4..])
        }
    };
    let value = format!("\"{found}\"{tail}")
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{clsid}\\LocalServer32]\r\n@=\"{value}\"\r\n\r\n"
    );
    Some(
        f.fix(
            format!("Register the server where it is now ({found})."),
            vec![FixStep::Import {
                name: "fix-local-server.reg".to_owned(),
                text,
                view,
            }],
        )
        .fix(
            "Put the server back where the registration says.",
            vec![FixStep::Copy {
                from: found,
                to: exe,
            }],
        ),
    )
}

// --- codebase-missing and no-codebase ------------------------------------------------------

/// The managed registration the failed bind came from.
fn bind_failure(ctx: &Ctx<'_>) -> Option<Arc<Registration>> {
    if ctx.hresult() != Some(HResult::FILE_NOT_FOUND) || !ctx.cites(Rule::Bind5) {
        return None;
    }
    let reg = ctx
        .registration()
        .or_else(|| ctx.registration_in(ctx.bitness(), true))?;
    reg.assembly.is_some().then_some(reg)
}

/// The assembly as the registration describes it, at `path`: for a file not among those given.
/// `None` when the registration does not say enough (no Assembly or Class value).
pub fn described(
    reg: &Registration,
    path: &comsim_resolver::WinPath,
    clsid: Guid,
) -> Option<comsim_resolver::VFile> {
    let display = reg.assembly.as_deref()?;
    let field = |k: &str| {
        display
            .split(',')
            .find_map(|p| p.trim().strip_prefix(k).map(str::to_owned))
    };
    let mut t =
        comsim_resolver::TypeInfo::new(reg.class.clone()?, comsim_resolver::TypeKind::Class);
    t.guid = Some(clsid);
    let asm = comsim_resolver::AssemblyInfo {
        name: registration::simple_name(display).to_owned(),
        version: comsim_manifest::Version::parse(&field("Version=")?)?,
        culture: field("Culture=").filter(|c| c != "neutral"),
        public_key_token: field("PublicKeyToken=").filter(|t| t != "null"),
        public_key: None,
        com_compatible_version: None,
        runtime: RuntimeVersion::parse(reg.runtime.as_deref().unwrap_or("v4.0.30319"))?,
        architecture: comsim_resolver::ProcessorArchitecture::Msil,
        com_visible: true,
        primary_interop: None,
        guid: None,
        types: vec![t],
        type_index: Default::default(),
    };
    Some(comsim_resolver::VFile {
        path: path.clone(),
        kind: FileKind::Assembly(Box::new(asm)),
        bytes: Vec::new(),
        embedded_manifest: None,
        origin: "diagnose: the assembly as its registration describes it".to_owned(),
    })
}

/// Puts the assembly at `to`: a copy of the file on the machine, else the file as described.
fn put_assembly(
    ctx: &Ctx<'_>,
    reg: &Registration,
    to: comsim_resolver::WinPath,
) -> Option<FixStep> {
    let display = reg.assembly.as_deref()?;
    if let Some((from, _)) = find_assembly(ctx.m(), display, None) {
        return Some(FixStep::Copy {
            from: from.clone(),
            to,
        });
    }
    Some(FixStep::Place {
        file: Box::new(described(reg, &to, ctx.clsid?)?),
    })
}

fn codebase_missing(ctx: &Ctx<'_>) -> Option<Finding> {
    if !ctx.loaded.files_known {
        return None;
    }
    let reg = bind_failure(ctx)?;
    let url = reg.codebase.clone()?;
    let path = comsim_resolver::WinPath::from_file_url(&url)?;
    if ctx.m().fs.exists(&path) {
        return None;
    }
    let f = finding(
        &CODEBASE_MISSING,
        format!("The registration's CodeBase is {url}, and there is no file there."),
        vec![
            ev(
                Rule::Bind4,
                format!("{}\\InprocServer32", reg.stored),
                format!("CodeBase = {url}"),
            ),
            ev(Rule::Bind5, path.to_string(), "no such file"),
        ],
    );
    let mut f = match find_assembly(ctx.m(), reg.assembly.as_deref()?, None) {
        Some((at, asm)) => {
            let (at, runtime) = (at.clone(), asm.runtime.clone());
            regasm_everywhere(ctx, f, &at, &runtime)
        }
        None => f,
    };
    if let Some(step) = put_assembly(ctx, &reg, path) {
        f = f.fix(
            "Put the assembly back where the CodeBase points.",
            vec![step],
        );
    }
    Some(f)
}

fn no_codebase(ctx: &Ctx<'_>) -> Option<Finding> {
    let reg = bind_failure(ctx)?;
    if reg.codebase.is_some() {
        return None;
    }
    let display = reg.assembly.clone()?;
    let appbase = ctx.exe_dir();
    let f = finding(
        &NO_CODEBASE,
        format!(
            "The registration has no CodeBase, so the CLR looks for {} only in the GAC and in the application base ({appbase}), and it is in neither.",
            registration::simple_name(&display)
        ),
        vec![
            ev(
                Rule::Bind4,
                format!("{}\\InprocServer32", reg.stored),
                "no CodeBase value",
            ),
            ev(
                Rule::Bind3,
                appbase.to_string(),
                format!("no {}.dll", registration::simple_name(&display)),
            ),
            ev(Rule::Bind5, display.clone(), "not found"),
        ],
    );
    let mut f = match find_assembly(ctx.m(), &display, None) {
        Some((at, asm)) => {
            let (at, runtime) = (at.clone(), asm.runtime.clone());
            regasm_everywhere(ctx, f, &at, &runtime)
        }
        None => f,
    };
    let to = appbase.join(&format!("{}.dll", registration::simple_name(&display)));
    if let Some(step) = put_assembly(ctx, &reg, to) {
        f = f.fix(
            "Copy the assembly into the application's folder (the application base).",
            vec![step],
        );
    }
    Some(f)
}

/// The file the `CodeBase` (BIND-4) or the application base (BIND-3) leads to is another
/// assembly than the registration's `Assembly` value names: FUSION_E_REF_DEF_MISMATCH. The
/// file's identity is its own (read from its metadata when the application folder was given).
fn identity_mismatch(ctx: &Ctx<'_>) -> Option<Finding> {
    if ctx.hresult() != Some(HResult::FUSION_E_REF_DEF_MISMATCH) {
        return None;
    }
    let step = ctx
        .run
        .run
        .trace
        .steps
        .iter()
        .find(|s| matches!(s.code, Some("codebase-other-assembly" | "probe-mismatch")))?;
    let reg = ctx
        .registration()
        .or_else(|| ctx.registration_in(ctx.bitness(), true))?;
    let wanted = reg.assembly.clone()?;
    // The file the bind reached, from the step's structured bind data (kept by quiet traces).
    let path = step.bind.as_ref()?.file.clone()?;
    let asm = ctx.m().fs.get(&path)?.assembly()?;
    if let Some(known) = ctx.known_finding(&IDENTITY_MISMATCH) {
        return Some(known);
    }
    let found = asm.full_name();
    let f = finding(
        &IDENTITY_MISMATCH,
        format!(
            "The registration names {wanted}, but {path} is {found}: the assembly was rebuilt or replaced after it was registered."
        ),
        vec![
            // The reference the load asks for is the registration's display name (BIND-1).
            ev(
                Rule::Bind1,
                format!("{}\\InprocServer32", reg.stored),
                format!("Assembly = {wanted}"),
            ),
            ev(step.rule, path.to_string(), format!("is {found}")),
        ],
    );
    let runtime = asm.runtime.clone();
    Some(regasm_everywhere(ctx, f, &path, &runtime))
}
