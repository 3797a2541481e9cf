//! `comsim diagnose`: from the error a user sees to its cause, the fix, and the fix replayed.
//!
//! - [`error`]: the error text as the user has it → CLSID, ProgID, HRESULT ([`parse_error`]).
//! - [`input`]: the machine (`.reg` exports, hives, a scenario, the application folder).
//! - [`gac`]: global assembly caches copied from the machine (`--gac`).
//! - [`config`]: the process configurations the facts allow, each replayed by the resolver.
//! - [`causes`]: the catalogue of causes (`docs/causes.md`) and their detectors, which read the
//!   run's data and the machine, never its text.
//! - [`fix`]: each fix's steps, commands, and its replay on the machine, undone afterwards.
//!
//! [`diagnose`] puts them together into a [`Diagnosis`], a serde value the CLI renders.

pub mod assumed;
pub mod causes;
pub mod codes;
pub mod config;
pub mod error;
pub mod fix;
pub mod gac;
pub mod input;
pub mod registration;
pub mod scenario_out;

use comsim_diag::Diagnostic;
use comsim_manifest::Guid;
use comsim_resolver::{ClassRef, ClientKind, ClsCtx, Outcome, Request, Switches, Trace};
use serde::Serialize;

pub use config::{Config, ConfigRun, Facts};
pub use error::{ErrorForm, Reported, parse_error};
pub use fix::{After, Fix};
pub use input::{AppFolder, Loaded, MachineInput, MachineSource};

use crate::causes::{CauseInfo, Ctx, Evidence};

/// What diagnose is asked.
#[derive(Debug, Clone)]
pub struct Question {
    pub reported: Reported,
    pub facts: Facts,
}

/// One configuration's replay, as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    pub config: Config,
    pub description: String,
    pub request: String,
    /// The CLR the managed client ran on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clr: Option<String>,
    pub outcome: Outcome,
    pub reproduces: bool,
    /// The causes found in this run, by ID, in ranking order.
    pub causes: Vec<&'static str>,
    /// The run's trace, as `comsim replay`'s JSON gives it.
    pub trace: Trace,
}

/// A cause found, with its evidence and its verified fixes.
#[derive(Debug, Clone, Serialize)]
pub struct FoundCause {
    pub id: &'static str,
    pub title: &'static str,
    pub sentence: String,
    /// The configurations (indexes into [`Diagnosis::configs`]) where it was found.
    pub configs: Vec<usize>,
    pub evidence: Vec<Evidence>,
    /// The fixes that, replayed, make the request succeed; a fix that does not is not listed.
    pub fixes: Vec<Fix>,
    /// How many fixes were tried and did not make the request succeed.
    pub fixes_rejected: usize,
}

/// A single change to the process or the machine that makes the request succeed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub change: String,
    pub after: After,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub reported: Reported,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clsid: Option<Guid>,
    /// What diagnose took for granted because the input did not say: with only registry exports
    /// or hives (no files), the assembly a registration's CodeBase names, and the native DLL or
    /// local server executable it names, are taken to be there ([`assumed`]); a native DLL of
    /// the application folder is taken to serve the class whose InprocServer32 names it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<String>,
    pub configs: Vec<Tried>,
    pub causes: Vec<FoundCause>,
    pub would_work: Vec<Change>,
}

impl Diagnosis {
    /// Whether some configuration reproduced the error.
    pub fn reproduced(&self) -> bool {
        self.configs.iter().any(|c| c.reproduces)
    }

    /// Whether a cause with a verified fix was found.
    pub fn fixed(&self) -> bool {
        self.causes.first().is_some_and(|c| !c.fixes.is_empty())
    }
}

/// The request of a configuration: a managed client's `Activator.CreateInstance` (by CLSID,
/// or by ProgID when only that is known), a native client's `CoCreateInstance(CLSCTX_SERVER)`.
pub fn request_for(r: &Reported, client: ClientKind) -> Option<Request> {
    let prefer_progid = matches!(
        r.form,
        ErrorForm::PowerShell | ErrorForm::VbCantCreate | ErrorForm::AspCreateObject
    );
    let by_progid = r
        .progid
        .clone()
        .filter(|_| prefer_progid || r.clsid.is_none());
    match (client, by_progid, r.clsid) {
        (ClientKind::Managed, Some(progid), _) => Some(Request::GetTypeFromProgId {
            progid,
            throw_on_error: true,
            create: true,
        }),
        (ClientKind::Managed, None, Some(clsid)) => Some(Request::CreateInstance { clsid }),
        (ClientKind::Native, Some(progid), _) => Some(Request::CoCreateInstance {
            target: ClassRef::ProgId(progid),
            clsctx: ClsCtx::SERVER,
        }),
        (ClientKind::Native, None, Some(clsid)) => Some(Request::CoCreateInstance {
            target: ClassRef::Clsid(clsid),
            clsctx: ClsCtx::SERVER,
        }),
        _ => None,
    }
}

/// Fills in the class from the machine when the text names only an assembly or a type
/// (MSG-3..MSG-5): the CLSID whose registration names it.
fn class_from_machine(r: &mut Reported, loaded: &Loaded) {
    if r.clsid.is_some() || r.progid.is_some() {
        return;
    }
    let m = &loaded.machine;
    r.clsid = m.fs.files().find_map(|f| {
        let a = f.assembly()?;
        let name_ok = r
            .assembly
            .as_deref()
            .is_none_or(|d| registration::simple_name(d).eq_ignore_ascii_case(&a.name));
        let t = a.types.iter().find(|t| {
            t.guid.is_some() && name_ok && r.type_name.as_deref().is_none_or(|n| n == t.full_name)
        })?;
        t.guid
    });
}

/// An outcome's HRESULT; a start-up failure with a Win32 error (14001) as `HRESULT_FROM_WIN32`.
fn outcome_hresult(o: &Outcome) -> Option<comsim_resolver::HResult> {
    match o {
        Outcome::StartupFailure {
            error: Some(e),
            hresult: None,
            ..
        } => Some(comsim_resolver::HResult(0x8007_0000 | (e & 0xFFFF))),
        _ => o.hresult(),
    }
}

/// A one-line summary of an outcome.
pub fn outcome_summary(o: &Outcome) -> String {
    match o {
        Outcome::Managed { loaded, created } => format!(
            "{} {} from {}",
            if *created { "created" } else { "loaded" },
            loaded.type_name,
            loaded.path
        ),
        Outcome::ComObject { server, clsid, .. } => match server {
            Some(s) => match &s.managed {
                Some(t) => format!(
                    "created {} from {} on CLR {} ({})",
                    t.type_name, t.path, t.runtime, s.process
                ),
                None => format!("created {clsid}: {} in {}", s.file, s.process),
            },
            None => format!("System.__ComObject for {clsid}"),
        },
        // The commonest summaries of an audit, a million of them on a large machine: joined
        // without the formatting machinery.
        Outcome::Exception {
            exception, hresult, ..
        } => [exception.as_str(), " ", hresult.hex().as_str()].concat(),
        Outcome::Hresult { hresult, name, .. } => [hresult.hex().as_str(), " ", name].concat(),
        Outcome::Null { message } => format!("null: {message}"),
        Outcome::StartupFailure { message, .. } => format!("the process did not start: {message}"),
    }
}

/// Diagnoses: replays the request in every configuration, finds the causes where it
/// reproduces, and replays their fixes and the single changes that would make it work.
pub fn diagnose(q: &Question, loaded: &mut Loaded) -> Result<Diagnosis, Diagnostic> {
    diagnose_with_progress(q, loaded, &mut comsim_diag::Silent)
}

/// [`diagnose`], saying how far it has got to `progress`: one piece of work, `configurations`,
/// counted in configurations replayed. The diagnosis is the same.
pub fn diagnose_with_progress(
    q: &Question,
    loaded: &mut Loaded,
    progress: &mut dyn comsim_diag::Progress,
) -> Result<Diagnosis, Diagnostic> {
    let mut reported = q.reported.clone();
    class_from_machine(&mut reported, loaded);
    if reported.clsid.is_none() && reported.progid.is_none() {
        return Err(Diagnostic::error(
            codes::DIAGNOSE_NO_CLASS,
            "the error names no CLSID or ProgID, and no registered class matches the assembly or type it names",
        )
        .with_note("give the class with --clsid {GUID} or --progid Name"));
    }
    let mut facts = q.facts;
    facts.client = facts.client.or(reported.client);
    if facts.clr.is_none()
        && reported.clr_wording.is_some()
        && facts.client == Some(ClientKind::Managed)
    {
        // MSG-1/MSG-2: the wording names the CLR that threw.
        facts.clr = Some(if reported.clr_wording == Some(2) {
            comsim_scenario::Clr::V2
        } else {
            comsim_scenario::Clr::V4
        });
    }
    let sw = loaded.switches.clone();
    let clsid = target_clsid(&reported, loaded);
    let mut assumptions = match clsid {
        Some(c) if !loaded.files_known => assume_registered_files(loaded, c),
        _ => Vec::new(),
    };
    if let Some(c) = clsid {
        assumptions.extend(assume_native_serves(loaded, c));
    }
    let configs = config::enumerate(&facts, loaded);
    let mut runs = Vec::new();
    let total = configs.len() as u64;
    let items = comsim_diag::Work::Items;
    comsim_diag::progress::piece(progress, "configurations", items, |progress| {
        for (done, cfg) in configs.iter().enumerate() {
            progress.advance(done as u64, total);
            let Some(request) = request_for(&reported, cfg.client) else {
                continue;
            };
            let run = config::replay(
                &mut loaded.machine,
                &loaded.client,
                loaded.apartment,
                &sw,
                cfg,
                &request,
            );
            runs.push((request, run));
        }
        progress.advance(total, total);
    });
    let (tried, findings) = assess(&reported, loaded, &runs, clsid);
    let causes = rank(loaded, &sw, &runs, &tried, findings);

    let would_work = would_work(loaded, &sw, &runs, &tried);
    Ok(Diagnosis {
        reported,
        clsid,
        assumptions,
        configs: tried,
        causes,
        would_work,
    })
}

/// The CLSID the request is about: the reported one, else the ProgID's (in either view).
fn target_clsid(r: &Reported, loaded: &Loaded) -> Option<Guid> {
    if let Some(c) = r.clsid {
        return Some(c);
    }
    let p = r.progid.as_deref()?;
    let m = &loaded.machine;
    [comsim_resolver::Bitness::B64, comsim_resolver::Bitness::B32]
        .into_iter()
        .find_map(|b| registration::progid_clsid(m, p, &registration::access(m, b, true)))
        .map(|(c, _)| c)
}

/// With registry exports or hives only, the files are unknown: the assembly each view's
/// registration of the class (and of the classes its `TreatAs` leads to) names by CodeBase, and
/// the native DLL and executable its `InprocServer32` and `LocalServer32` name
/// ([`assumed::native_servers`]), are placed there, as the registration describes them, and
/// said.
fn assume_registered_files(loaded: &mut Loaded, clsid: Guid) -> Vec<String> {
    let mut said = Vec::new();
    for clsid in treated_as(&loaded.machine, clsid) {
        assume_class_files(loaded, clsid, &mut said);
    }
    said
}

/// `clsid` and the classes its `TreatAs` leads to, in either view (COM-2), each once (a set, so
/// that a long chain is followed in linear time): the request may activate any of them.
fn treated_as(m: &comsim_resolver::Machine, clsid: Guid) -> Vec<Guid> {
    let mut chain = vec![clsid];
    let mut seen = std::collections::HashSet::from([clsid]);
    let mut at = 0;
    while at < chain.len() {
        for b in registration::bitnesses(m) {
            let next = registration::read(m, chain[at], &registration::access(m, b, true))
                .and_then(|r| r.treat_as);
            if let Some(next) = next.filter(|&n| seen.insert(n)) {
                chain.push(next);
            }
        }
        at += 1;
    }
    chain
}

/// [`assume_registered_files`] for one class.
fn assume_class_files(loaded: &mut Loaded, clsid: Guid, said: &mut Vec<String>) {
    for b in registration::bitnesses(&loaded.machine) {
        let m = &loaded.machine;
        let Some(reg) = registration::read(m, clsid, &registration::access(m, b, true)) else {
            continue;
        };
        for server in assumed::native_servers(m, &loaded.switches, &reg, b) {
            let (path, what) = (server.path.clone(), assumed::what(&server));
            if assumed::place(&mut loaded.machine, server, clsid) == assumed::Placed::New {
                said.push(format!(
                    "{path} is {what} serving the classes whose {}-bit registration names it, as those registrations describe it (only {} given)",
                    config::bits(b),
                    what_was_given(loaded)
                ));
            }
        }
        let m = &loaded.machine;
        let Some(path) = reg
            .codebase
            .as_deref()
            .and_then(comsim_resolver::WinPath::from_file_url)
        else {
            continue;
        };
        if m.fs.exists(&path) {
            continue;
        }
        if let Some(file) = causes::described(&reg, &path, clsid) {
            said.push(format!(
                "{path} holds {} as the registration describes it (only {} given)",
                reg.assembly.as_deref().unwrap_or_default(),
                what_was_given(loaded)
            ));
            loaded.machine.fs.write(file);
        }
    }
}

/// What the machine was read from, when its files are not known: `registry exports were`,
/// `hive files were`, `registry exports and hive files were`, and a copied GAC.
fn what_was_given(loaded: &Loaded) -> String {
    let mut parts = Vec::new();
    if !loaded.reg_files.is_empty() {
        parts.push("registry exports");
    }
    if !loaded.hive_files.is_empty() {
        parts.push("hive files");
    }
    if !loaded.gac_assemblies.is_empty() {
        parts.push("a copied global assembly cache");
    }
    let list = match parts.as_slice() {
        [] => "the registry".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    format!("{list} were")
}

/// A native DLL read from the application folder does not say which classes its
/// `DllGetClassObject` serves: the one the class's `InprocServer32` names (in either view) is
/// taken to serve the class, and said.
fn assume_native_serves(loaded: &mut Loaded, clsid: Guid) -> Vec<String> {
    let mut said = Vec::new();
    for (_, win, _) in &loaded.native_dlls {
        let m = &loaded.machine;
        let named = [comsim_resolver::Bitness::B64, comsim_resolver::Bitness::B32]
            .into_iter()
            .filter_map(|b| registration::read(m, clsid, &registration::access(m, b, true)))
            .filter_map(|r| r.inproc)
            .any(|server| {
                comsim_resolver::WinPath::parse(server.trim_matches('"')).is_ok_and(|p| p == *win)
            });
        if !named {
            continue;
        }
        let Some(mut file) = loaded.machine.fs.remove(win) else {
            continue;
        };
        if let comsim_resolver::FileKind::Native(n) = &mut file.kind
            && !n.serves_class(clsid)
        {
            n.serves_mut().push(clsid);
            said.push(format!(
                "{win} serves {clsid}, as the class's InprocServer32 says (a native DLL's image does not list its classes)"
            ));
        }
        loaded.machine.fs.write(file);
    }
    said
}

type Findings = Vec<(usize, causes::Finding)>;

/// Which runs reproduce the error, and the causes found in them.
fn assess(
    r: &Reported,
    loaded: &Loaded,
    runs: &[(Request, ConfigRun)],
    clsid: Option<Guid>,
) -> (Vec<Tried>, Findings) {
    let mut tried = Vec::new();
    let mut findings = Vec::new();
    for (i, (request, run)) in runs.iter().enumerate() {
        let outcome = &run.run.outcome;
        // MSG-1/MSG-2: the class-factory text is worded by the CLR that threw it.
        let wording = r
            .clr_wording
            .is_none_or(|w| run.clr.as_ref().is_none_or(|c| (c.major >= 4) == (w >= 4)));
        let reproduces = wording
            && (r.hresult_matches(outcome_hresult(outcome))
                || (r.hresult.is_none() && matches!(outcome, Outcome::Null { .. })));
        let found = if reproduces {
            causes::detect(&Ctx::new(loaded, run, request, clsid))
        } else {
            Vec::new()
        };
        tried.push(Tried {
            config: run.config,
            description: run.config.describe(),
            request: request.describe(),
            clr: run.clr.as_ref().map(ToString::to_string),
            outcome: outcome.clone(),
            reproduces,
            causes: found.iter().map(|f| f.cause.id).collect(),
            trace: run.run.trace.clone(),
        });
        findings.extend(found.into_iter().map(|f| (i, f)));
    }
    (tried, findings)
}

/// Groups the findings by cause (in catalogue order), and verifies each cause's fixes in the
/// configurations where it was found.
fn rank(
    loaded: &mut Loaded,
    sw: &Switches,
    runs: &[(Request, ConfigRun)],
    tried: &[Tried],
    findings: Findings,
) -> Vec<FoundCause> {
    let mut out: Vec<FoundCause> = Vec::new();
    for info in causes::ALL {
        let of: Vec<&(usize, causes::Finding)> = findings
            .iter()
            .filter(|(_, f)| f.cause.id == info.id)
            .collect();
        let Some((_, first)) = of.first() else {
            continue;
        };
        let configs: Vec<usize> = of.iter().map(|(i, _)| *i).collect();
        let cfgs: Vec<Config> = configs.iter().map(|i| tried[*i].config).collect();
        let request = &runs[configs[0]].0;
        let mut fixes = Vec::new();
        let mut rejected = 0;
        for c in &first.candidates {
            match fix::verify(loaded, sw, &cfgs, request, c) {
                Some(f) => fixes.push(f),
                None => rejected += 1,
            }
        }
        out.push(found(info, first, configs, fixes, rejected));
    }
    // A cause with a verified fix ranks before one without.
    out.sort_by_key(|c| c.fixes.is_empty());
    out
}

fn found(
    info: &'static CauseInfo,
    first: &causes::Finding,
    configs: Vec<usize>,
    fixes: Vec<Fix>,
    fixes_rejected: usize,
) -> FoundCause {
    FoundCause {
        id: info.id,
        title: info.title,
        sentence: first.sentence.clone(),
        configs,
        evidence: first.evidence.clone(),
        fixes,
        fixes_rejected,
    }
}

/// The single changes to a reproducing configuration that make the request succeed: the other
/// bitness, not elevated, the other CLR, each replayed. Only changes the facts leave open.
fn would_work(
    loaded: &mut Loaded,
    sw: &Switches,
    runs: &[(Request, ConfigRun)],
    tried: &[Tried],
) -> Vec<Change> {
    let Some(i) = tried.iter().position(|t| t.reproduces) else {
        return Vec::new();
    };
    let (request, run) = &runs[i];
    let base = run.config;
    let mut changes: Vec<(String, Config)> = Vec::new();
    if loaded.machine.os == comsim_resolver::Bitness::B64 {
        let other = base.bitness.other();
        changes.push((
            format!("run the client as a {}-bit process", config::bits(other)),
            Config {
                bitness: other,
                ..base
            },
        ));
    }
    if base.elevated {
        changes.push((
            "run the client not elevated".to_owned(),
            Config {
                elevated: false,
                ..base
            },
        ));
    }
    if let Some(clr) = base.built_for {
        let other = if clr == comsim_scenario::Clr::V2 {
            comsim_scenario::Clr::V4
        } else {
            comsim_scenario::Clr::V2
        };
        changes.push((
            format!("run the client on CLR {}", other.label()),
            Config {
                built_for: Some(other),
                ..base
            },
        ));
    }
    let mut out: Vec<Change> = changes
        .into_iter()
        .filter_map(|(change, cfg)| {
            let r = config::replay(
                &mut loaded.machine,
                &loaded.client,
                loaded.apartment,
                sw,
                &cfg,
                request,
            );
            let after = After::of(&r);
            after.succeeded().then_some(Change { change, after })
        })
        .collect();
    out.extend(clr4_config(loaded, sw, run, request));
    out
}

/// A managed client that ran on CLR 2.0, or did not start, without a `.config`: the same client
/// with one that runs it on CLR 4 (SHIM-4), replayed as a fix is.
fn clr4_config(
    loaded: &mut Loaded,
    sw: &Switches,
    run: &ConfigRun,
    request: &Request,
) -> Option<Change> {
    let exe = loaded.client.path();
    let path = exe.parent().join(&format!("{}.config", exe.file_name()));
    // On CLR 2.0, or not started at all (its runtime missing), while CLR 4 is installed.
    let on_clr4 = run.clr.as_ref().is_some_and(|c| c.major >= 4);
    if run.config.client != ClientKind::Managed
        || on_clr4
        || loaded.machine.installed(4, 0).is_none()
        || loaded.machine.fs.exists(&path)
    {
        return None;
    }
    let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <startup>\n    <supportedRuntime version=\"v4.0\" sku=\".NETFramework,Version=v4.0\"/>\n  </startup>\n</configuration>\n";
    let candidate = fix::Candidate {
        summary: String::new(),
        steps: vec![fix::FixStep::Write {
            path: path.clone(),
            text: text.to_owned(),
        }],
    };
    let f = fix::verify(loaded, sw, &[run.config], request, &candidate)?;
    Some(Change {
        change: format!(
            "run the client on CLR 4: {path} with <supportedRuntime version=\"v4.0\"/>"
        ),
        after: f.after.into_iter().next()?,
    })
}
