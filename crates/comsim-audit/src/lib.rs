//! `comsim audit`: every COM class registration of a machine, activated in each process
//! configuration, with the outcome and the causes (`docs/causes.md`) of each failure.
//!
//! - [`classes`]: the classes the machine registers (the CLSID keys of the merged HKCR, REG-1, in
//!   both registry views, REG-3, per-user classes included), with what each registration says.
//! - [`configs`]: the process configurations, in a fixed order. A managed class is activated by a
//!   managed client (`Activator.CreateInstance(Type.GetTypeFromCLSID(clsid))`, REQ-1) built for
//!   CLR 2.0 and for CLR 4.0: 32/64-bit × CLR 2.0/4.0 × elevated or not = 8 runs. A native class
//!   is activated by a native client (`CoCreateInstance(CLSCTX_SERVER)`, REQ-5), for which the
//!   CLR does not apply: 32/64-bit × elevated or not = 4 runs. A 32-bit Windows has only the
//!   32-bit half.
//! - [`audit`]: the runs (`run.rs`), in rounds of classes: each configuration's process is
//!   started once per round (comsim-diagnose's `config::start_session_with`: the stand-in client
//!   placed, its CLR chosen as the real machine chooses it) and cloned for each class, so that
//!   every class runs in a process of its own as `comsim diagnose` runs it; classes are spread
//!   over the machine's cores. An elevated configuration shares the result of the same
//!   configuration not elevated when elevation cannot change it (`run.rs` says when). The causes
//!   come from comsim-diagnose's detectors and the fix commands from its `fix` module (proposed,
//!   not replayed: `comsim diagnose --clsid` replays them).
//!
//! The machine is loaded once (comsim-diagnose's `input`) and never copied.

use std::collections::{BTreeMap, HashMap, HashSet};

use comsim_diagnose::config::{Config, bits};
use comsim_diagnose::input::{Client, Loaded};
use comsim_diagnose::registration::{self, Registration};
use comsim_diagnose::{assumed, causes};
use comsim_manifest::Guid;
use comsim_resolver::{Bitness, ClassRef, ClientKind, ClsCtx, HResult, Machine, Request};
use comsim_scenario::Clr;
use serde::Serialize;

mod run;

pub use run::{parallel_map, threads};

/// Below this many classes, the audit's work stays on one thread: a thread costs more than it saves.
const PARALLEL_MIN: usize = 64;

/// The version of the JSON form (`docs/json.md`); raised when a field changes meaning or goes.
pub const FORMAT_VERSION: u32 = 1;

/// Which classes to audit; an empty filter lets every class through.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `--clsid`: only these classes.
    pub clsids: Vec<Guid>,
    /// `--progid`: only the classes these ProgIDs name (`HKCR\ProgID\CLSID`, either view).
    pub progids: Vec<String>,
    /// `--path-prefix`: only classes whose server (InprocServer32, LocalServer32) or CodeBase
    /// path starts with this (compared case-insensitively, as Windows compares paths).
    pub path_prefix: Option<String>,
    /// `--managed-only`: only classes registered for mscoree.
    pub managed_only: bool,
}

/// One process configuration of the audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditConfig {
    /// `c1`, `c2`, … in the fixed order.
    pub id: &'static str,
    #[serde(flatten)]
    pub config: Config,
    pub description: String,
}

/// A class the machine registers, and where.
#[derive(Debug, Clone, Serialize)]
pub struct ClassInfo {
    pub clsid: Guid,
    pub managed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progid: Option<String>,
    /// The server: InprocServer32's file, else LocalServer32's command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codebase: Option<String>,
    /// Where the class key is stored, per view that sees one (64-bit, then 32-bit).
    pub stored: Vec<String>,
}

/// A fix as comsim-diagnose proposes it: what it does and the commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub summary: String,
    pub commands: Vec<String>,
}

/// One class in one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigResult {
    /// The configuration's ID (`c3`).
    pub config: &'static str,
    /// `managed`, `com_object`, `exception`, `hresult`, `null` or `startup_failure`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Written as `0x80040154`.
    pub hresult: Option<HResult>,
    pub summary: String,
    /// The causes detected, by ID, in catalogue order.
    pub causes: Vec<&'static str>,
}

impl ClassInfo {
    /// What stands in a list for a class that moved out of it.
    fn placeholder(clsid: Guid) -> Self {
        ClassInfo {
            clsid,
            managed: false,
            progid: None,
            server: None,
            codebase: None,
            stored: Vec::new(),
        }
    }
}

impl ConfigResult {
    pub fn succeeded(&self) -> bool {
        matches!(self.kind, "managed" | "com_object")
    }
}

/// A cause found for a class: the configurations, and (unless the audit was asked for the
/// causes alone, [`Detail::Causes`]) its sentence and proposed fixes, from the first
/// configuration where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct ClassCause {
    pub id: &'static str,
    pub configs: Vec<&'static str>,
    #[serde(flatten)]
    pub details: Option<CauseDetails>,
}

/// What a cause says of a class: the sentence and the fixes `comsim diagnose` would propose.
#[derive(Debug, Clone, Serialize)]
pub struct CauseDetails {
    pub sentence: String,
    pub fixes: Vec<Proposal>,
}

/// How much an audit says of each cause it finds for a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The cause's sentence and proposed fixes ([`CauseDetails`]), as the text and JSON reports
    /// show them.
    #[default]
    Full,
    /// The cause's ID and configurations only, as the CSV rows show them: the detectors decide
    /// every cause as with [`Detail::Full`], but write no sentences or fixes.
    Causes,
}

/// The audit of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassAudit {
    #[serde(flatten)]
    pub class: ClassInfo,
    pub results: Vec<ConfigResult>,
    pub causes: Vec<ClassCause>,
}

/// One cause across the machine.
#[derive(Debug, Clone, Serialize)]
pub struct CauseSummary {
    pub id: &'static str,
    pub title: &'static str,
    /// Class × configuration runs where it was found.
    pub runs: usize,
    /// The classes, by CLSID.
    pub classes: Vec<Guid>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub format_version: u32,
    /// How the configurations are made, in one sentence.
    pub configurations: &'static str,
    pub configs: Vec<AuditConfig>,
    /// What the audit took for granted (only registry exports were given: the assemblies the
    /// registrations name by CodeBase are taken to be there as described).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<String>,
    pub totals: Totals,
    /// In CLSID order.
    pub classes: Vec<ClassAudit>,
    /// The causes found, in catalogue order.
    pub summary: Vec<CauseSummary>,
}

impl Audit {
    /// The audit of a class, found by binary search: `classes` is in CLSID order. (The text
    /// report looks up every class a cause names; a scan per class would make a whole machine's
    /// report quadratic in its classes.)
    pub fn class(&self, clsid: Guid) -> Option<&ClassAudit> {
        self.classes
            .binary_search_by(|c| c.class.clsid.cmp(&clsid))
            .ok()
            .map(|i| &self.classes[i])
    }
}

/// Counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    pub classes: usize,
    pub managed: usize,
    pub native: usize,
    pub runs: usize,
    pub failed_runs: usize,
    /// Classes that fail in at least one configuration.
    pub failing_classes: usize,
}

/// The sentence the output header gives.
pub const CONFIGURATIONS: &str = "a managed class runs under 8 configurations (32/64-bit x a managed client built for CLR 2.0/4.0 x elevated or not); a native class under 4 (32/64-bit x a native client x elevated or not: the CLR does not apply)";

/// The configurations' IDs, in order: at most 2 bitnesses × 3 clients × 2 elevations.
const CONFIG_IDS: [&str; 12] = [
    "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12",
];

/// The configurations, in the fixed order: bitness (32, then 64 on a 64-bit Windows), client
/// (managed built for CLR 2.0, for CLR 4.0, native), elevation (not, then elevated).
pub fn configs(m: &Machine) -> Vec<AuditConfig> {
    let bitnesses: &[Bitness] = if m.os == Bitness::B32 {
        &[Bitness::B32]
    } else {
        &[Bitness::B32, Bitness::B64]
    };
    let clients = [
        (ClientKind::Managed, Some(Clr::V2)),
        (ClientKind::Managed, Some(Clr::V4)),
        (ClientKind::Native, None),
    ];
    let mut out = Vec::new();
    for &bitness in bitnesses {
        for (client, built_for) in clients {
            for elevated in [false, true] {
                let config = Config {
                    client,
                    bitness,
                    elevated,
                    built_for,
                };
                out.push(AuditConfig {
                    id: CONFIG_IDS[out.len()],
                    description: config.describe(),
                    config,
                });
            }
        }
    }
    out
}

/// The request a class is activated with in a configuration.
pub fn request(clsid: Guid, client: ClientKind) -> Request {
    match client {
        ClientKind::Managed => Request::CreateInstance { clsid },
        ClientKind::Native => Request::CoCreateInstance {
            target: ClassRef::Clsid(clsid),
            clsctx: ClsCtx::SERVER,
        },
    }
}

/// Whether a class of this kind runs in this configuration.
pub fn applies(class: &ClassInfo, cfg: &Config) -> bool {
    (cfg.client == ClientKind::Managed) == class.managed
}

/// Every class the machine registers (a CLSID key with InprocServer32, LocalServer32 or TreatAs
/// in some view), sorted by CLSID, that the filters let through.
pub fn classes(m: &Machine, filters: &Filters) -> Vec<ClassInfo> {
    found_classes(m, filters)
        .into_iter()
        .map(|(c, _)| c)
        .collect()
}

/// [`classes`], each with what describing it read (the registrations the cause detectors read
/// first), read on the machine's cores.
fn found_classes(m: &Machine, filters: &Filters) -> Vec<(ClassInfo, run::Seed)> {
    // `HKCR\CLSID` in each view: listed, then each class's registration read below it.
    let roots: Vec<(Bitness, Option<registration::ClassesKey>)> = registration::bitnesses(m)
        .into_iter()
        .map(|b| {
            let a = registration::access(m, b, true);
            (b, registration::ClassesKey::open(m, &a))
        })
        .collect();
    let mut all = std::collections::BTreeSet::new();
    for (_, root) in &roots {
        if let Some(k) = root {
            all.extend(k.subkeys(m).iter().filter_map(|n| Guid::parse(n.as_str())));
        }
    }
    let wanted = wanted_clsids(m, filters);
    let clsids: Vec<Guid> = all
        .into_iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(c)))
        .collect();
    run::parallel_map(&clsids, PARALLEL_MIN, |&c| class_info(m, &roots, c))
        .into_iter()
        .flatten()
        .filter(|(c, _)| !filters.managed_only || c.managed)
        .filter(|(c, _)| {
            filters
                .path_prefix
                .as_deref()
                .is_none_or(|p| has_path_prefix(c, p))
        })
        .collect()
}

/// The CLSIDs `--clsid` and `--progid` name; `None` when neither is given.
fn wanted_clsids(m: &Machine, filters: &Filters) -> Option<Vec<Guid>> {
    if filters.clsids.is_empty() && filters.progids.is_empty() {
        return None;
    }
    let mut out = filters.clsids.clone();
    for p in &filters.progids {
        for b in registration::bitnesses(m) {
            let a = registration::access(m, b, true);
            if let Some((c, _)) = registration::progid_clsid(m, p, &a) {
                out.push(c);
            }
        }
    }
    Some(out)
}

fn class_info(
    m: &Machine,
    roots: &[(Bitness, Option<registration::ClassesKey>)],
    clsid: Guid,
) -> Option<(ClassInfo, run::Seed)> {
    let mut seed = run::Seed::default();
    let mut regs: Vec<Registration> = Vec::new();
    // The class's `ProgID` value, in the first view that has one.
    let mut progid: Option<String> = None;
    for (b, root) in roots {
        let b = *b;
        let r = root
            .as_ref()
            .and_then(|root| registration::read_below(m, root, clsid));
        if progid.is_none() {
            progid = r
                .as_ref()
                .and_then(|r| r.progid.clone())
                .filter(|s| !s.is_empty());
        }
        seed.read(b, r.clone());
        regs.extend(
            r.filter(|r| r.inproc.is_some() || r.local_server.is_some() || r.treat_as.is_some()),
        );
    }
    let first = regs.first()?;
    let mut stored: Vec<String> = Vec::new();
    for r in &regs {
        if !stored.contains(&r.stored) {
            stored.push(r.stored.clone());
        }
    }
    let pick = |f: fn(&Registration) -> Option<&String>| regs.iter().find_map(f).cloned();
    let info = ClassInfo {
        clsid,
        managed: regs.iter().any(Registration::is_managed),
        progid,
        server: first
            .inproc
            .clone()
            .or_else(|| pick(|r| r.local_server.as_ref())),
        codebase: pick(|r| r.codebase.as_ref()),
        stored,
    };
    Some((info, seed))
}

fn has_path_prefix(c: &ClassInfo, prefix: &str) -> bool {
    let prefix = prefix.to_lowercase();
    let codebase = c
        .codebase
        .as_deref()
        .and_then(comsim_resolver::WinPath::from_file_url)
        .map(|p| p.to_string());
    [c.server.clone(), codebase].into_iter().flatten().any(|s| {
        s.trim_start_matches('"')
            .to_lowercase()
            .starts_with(&prefix)
    })
}

/// Audits the classes the filters let through in every configuration. With registry exports
/// only (`loaded.files_known` false) the assembly each managed registration names by CodeBase is
/// first placed as the registration describes it, as `comsim diagnose` does for its class.
/// The client is a stand-in placed at the loaded client's path for each configuration.
pub fn audit(loaded: &mut Loaded, filters: &Filters) -> Audit {
    audit_with_progress(loaded, filters, Detail::Full, &mut comsim_diag::Silent)
}

/// [`audit`] with the causes said as `detail` asks, saying how far it has got to `progress`:
/// one piece of work, `class runs`, counted in runs (a class in one configuration), reported as
/// each configuration's runs of a round finish. The audit is the same.
pub fn audit_with_progress(
    loaded: &mut Loaded,
    filters: &Filters,
    detail: Detail,
    progress: &mut dyn comsim_diag::Progress,
) -> Audit {
    audit_in_rounds(loaded, (filters, detail), progress, None, run::ROUND)
}

/// Where [`audit_streamed`] hands the classes: the configurations (their IDs name the results'
/// configurations) and the classes of a round.
pub type ClassSink<'s> = &'s mut dyn FnMut(&[AuditConfig], Vec<ClassAudit>);

/// [`audit_with_progress`], handing the classes to `sink` as each round of them is done (a few
/// thousand at a time, in CLSID order, each class once) instead of keeping them: the answer's
/// `classes` is empty, its totals and summary are whole. For output written class by class (the
/// CLI's CSV): a whole machine's results are never all held, and the first rows are out while
/// the other classes run.
pub fn audit_streamed(
    loaded: &mut Loaded,
    filters: &Filters,
    detail: Detail,
    progress: &mut dyn comsim_diag::Progress,
    sink: ClassSink<'_>,
) -> Audit {
    audit_in_rounds(loaded, (filters, detail), progress, Some(sink), run::ROUND)
}

/// The audit, in rounds of `round` classes; with a `sink`, each round's classes go there.
fn audit_in_rounds(
    loaded: &mut Loaded,
    (filters, detail): (&Filters, Detail),
    progress: &mut dyn comsim_diag::Progress,
    mut sink: Option<ClassSink<'_>>,
    round: usize,
) -> Audit {
    loaded.client = Client::Unknown(loaded.client.path().clone());
    let (mut classes, mut seeds): (Vec<ClassInfo>, Vec<run::Seed>) =
        found_classes(&loaded.machine, filters).into_iter().unzip();
    let mut assumptions = Vec::new();
    if !loaded.files_known {
        assume_registered_files(loaded, &classes, &seeds, &mut assumptions);
    }
    let cfgs = configs(&loaded.machine);
    let total = cfgs
        .iter()
        .map(|cfg| classes.iter().filter(|c| applies(c, &cfg.config)).count())
        .sum::<usize>() as u64;
    let sharing = run::Sharing::new(loaded, cfgs.len(), detail);
    let mut out = Assembler::new(&cfgs, classes.len());
    let order: Vec<usize> = (0..classes.len()).collect();
    comsim_diag::progress::piece(
        progress,
        "class runs",
        comsim_diag::Work::Items,
        |progress| {
            let mut done = 0u64;
            for round in order.chunks(round) {
                let mut advance = |n: u64| {
                    done += n;
                    progress.advance(done, total);
                };
                let seeds = round.iter().map(|&i| std::mem::take(&mut seeds[i]));
                let states = run::run_round(
                    loaded,
                    &cfgs,
                    &classes,
                    round,
                    seeds,
                    &sharing,
                    &mut advance,
                );
                for (&i, state) in round.iter().zip(states) {
                    // The round is over: the class moves into the answer.
                    let placeholder = ClassInfo::placeholder(classes[i].clsid);
                    let class = std::mem::replace(&mut classes[i], placeholder);
                    out.add(class, state.runs);
                }
                if let Some(sink) = sink.as_mut() {
                    sink(&cfgs, std::mem::take(&mut out.classes));
                }
            }
        },
    );
    out.finish(assumptions)
}

/// With registry exports only, the files are unknown: the assembly a class's registration names
/// by CodeBase is placed there as the registration describes it (comsim-diagnose's
/// `causes::described`), and so are the native DLL its `InprocServer32` names and the executable
/// its `LocalServer32` names, of the bitness of the view they are registered in
/// (`assumed::native_servers`), as `comsim diagnose` places them for its one class. Classes
/// that share an assembly or a DLL share the file: a class of a file placed this way is added
/// to it. The files are described on the machine's cores (from the registrations the listing
/// read), then placed in CLSID order.
fn assume_registered_files(
    loaded: &mut Loaded,
    classes: &[ClassInfo],
    seeds: &[run::Seed],
    said: &mut Vec<String>,
) {
    let all: Vec<usize> = (0..classes.len()).collect();
    let mut guids = HashMap::new();
    // A round of classes at a time: what a class's registrations describe is held only until it
    // is placed (a whole machine's at once took 60 MB of peak for 67,000 classes).
    for round in all.chunks(run::ROUND) {
        let m = &loaded.machine;
        let described = run::parallel_map(round, PARALLEL_MIN, |&i| {
            let clsid = classes[i].clsid;
            let mut files = Vec::new();
            for b in registration::bitnesses(m) {
                let Some(reg) = seeds[i].registration(m, clsid, b) else {
                    continue;
                };
                for server in assumed::native_servers(m, &loaded.switches, &reg, b) {
                    files.push(Assumed::Native(server));
                }
                let assembly = reg
                    .codebase
                    .as_deref()
                    .and_then(comsim_resolver::WinPath::from_file_url)
                    .and_then(|path| causes::described(&reg, &path, clsid));
                if let Some(file) = assembly {
                    let display = reg.assembly.clone().unwrap_or_default();
                    files.push(Assumed::Assembly(Box::new(file), display));
                }
            }
            files
        });
        for (&i, files) in round.iter().zip(described) {
            let clsid = classes[i].clsid;
            for file in files {
                match file {
                    Assumed::Assembly(file, display) => {
                        place_assumed(loaded, clsid, *file, &display, said, &mut guids);
                    }
                    Assumed::Native(server) => place_native(loaded, server, clsid, said),
                }
            }
        }
    }
}

/// Places an assumed native server ([`assumed::place`]), saying so when its file is new.
fn place_native(loaded: &mut Loaded, server: assumed::Server, clsid: Guid, said: &mut Vec<String>) {
    let (path, what, b) = (server.path.clone(), assumed::what(&server), server.bitness);
    if assumed::place(&mut loaded.machine, server, clsid) == assumed::Placed::New {
        said.push(format!(
            "{path}: {what} (assumed present, as the {}-bit view's registrations naming it describe it)",
            bits(b)
        ));
    }
}

/// A file a class's registration describes, to place.
enum Assumed {
    /// A managed assembly at its `CodeBase`, with the registration's `Assembly` value (boxed:
    /// most classes describe a native server, a smaller thing).
    Assembly(Box<comsim_resolver::VFile>, String),
    /// A native server (an in-process DLL or a local server's executable), of the bitness of
    /// the view it is registered in.
    Native(assumed::Server),
}

/// Places one described assembly file, or adds the class to the same assembly's file there.
/// `guids` holds the type GUIDs of each assembly file met so far, so that whether the file
/// already has the class is not a scan of its types (one file can serve every class of a
/// machine: that scan made the placing quadratic in the classes).
fn place_assumed(
    loaded: &mut Loaded,
    clsid: Guid,
    file: comsim_resolver::VFile,
    display: &str,
    said: &mut Vec<String>,
    guids: &mut HashMap<comsim_resolver::WinPath, HashSet<Guid>>,
) {
    let type_guids = |a: &comsim_resolver::AssemblyInfo| -> HashSet<Guid> {
        a.types.iter().filter_map(|t| t.guid).collect()
    };
    let Some(mut existing) = loaded.machine.fs.remove(&file.path) else {
        said.push(format!(
            "{}: {display} (assumed present, as the registration describes it)",
            file.path
        ));
        let placed = file.assembly().map(type_guids).unwrap_or_default();
        guids.insert(file.path.clone(), placed);
        loaded.machine.fs.write(file);
        return;
    };
    let known = guids
        .entry(file.path.clone())
        .or_insert_with(|| existing.assembly().map(type_guids).unwrap_or_default());
    if existing.origin == file.origin
        && let (comsim_resolver::FileKind::Assembly(a), Some(new)) =
            (&mut existing.kind, file.assembly())
        && a.name == new.name
        && a.version == new.version
        && !known.contains(&clsid)
    {
        known.extend(type_guids(new));
        a.types_mut().extend(new.types.iter().cloned());
    }
    loaded.machine.fs.write(existing);
}

/// Puts the runs together per class as rounds finish, and the summary per cause at the end.
struct Assembler<'c> {
    cfgs: &'c [AuditConfig],
    totals: Totals,
    by_cause: BTreeMap<&'static str, (usize, Vec<Guid>)>,
    classes: Vec<ClassAudit>,
}

impl<'c> Assembler<'c> {
    fn new(cfgs: &'c [AuditConfig], classes: usize) -> Self {
        Assembler {
            cfgs,
            totals: Totals::default(),
            by_cause: BTreeMap::new(),
            classes: Vec::with_capacity(classes),
        }
    }

    /// A class and its runs, in configuration order.
    fn add(&mut self, class: ClassInfo, runs: Vec<(usize, run::Outcome1)>) {
        let totals = &mut self.totals;
        totals.classes += 1;
        if class.managed {
            totals.managed += 1;
        } else {
            totals.native += 1;
        }
        let mut a = ClassAudit {
            class,
            results: Vec::with_capacity(runs.len()),
            causes: Vec::new(),
        };
        for (ci, o) in runs {
            let id = self.cfgs[ci].id;
            for (cause, details) in o.causes {
                let e = self.by_cause.entry(cause).or_default();
                e.0 += 1;
                if e.1.last() != Some(&a.class.clsid) {
                    e.1.push(a.class.clsid);
                }
                match a.causes.iter_mut().find(|c| c.id == cause) {
                    Some(c) => c.configs.push(id),
                    None => a.causes.push(ClassCause {
                        id: cause,
                        configs: vec![id],
                        details,
                    }),
                }
            }
            a.results.push(ConfigResult {
                config: id,
                ..o.result
            });
        }
        a.causes.sort_by_key(|c| catalogue_rank(c.id));
        totals.runs += a.results.len();
        let failed = a.results.iter().filter(|r| !r.succeeded()).count();
        totals.failed_runs += failed;
        totals.failing_classes += usize::from(failed > 0);
        self.classes.push(a);
    }

    fn finish(mut self, assumptions: Vec<String>) -> Audit {
        let summary = causes::ALL
            .iter()
            .filter_map(|info| {
                let (runs, classes) = self.by_cause.remove(info.id)?;
                Some(CauseSummary {
                    id: info.id,
                    title: info.title,
                    runs,
                    classes,
                })
            })
            .collect();
        Audit {
            format_version: FORMAT_VERSION,
            configurations: CONFIGURATIONS,
            configs: self.cfgs.to_vec(),
            assumptions,
            totals: self.totals,
            classes: self.classes,
            summary,
        }
    }
}

fn catalogue_rank(id: &str) -> usize {
    causes::ALL
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(usize::MAX)
}

/// Whether a cause ID is in the catalogue.
pub fn is_cause(id: &str) -> bool {
    causes::ALL.iter().any(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_diagnose::input::{MachineInput, MachineSource};

    fn json(v: &impl Serialize) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// A streamed audit hands every class to its sink once, in CLSID order, a round at a time,
    /// as the audit that keeps them has them; its answer keeps no class and has the whole totals
    /// and summary. On the fixture machine (6 classes) in rounds of 4 classes: two rounds.
    #[test]
    fn a_streamed_audit_hands_each_round_of_classes_over_in_order() {
        let input = MachineInput {
            sources: vec![MachineSource::Reg {
                path: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../fixtures/audit/machine.reg"),
                view: comsim_registry::View::Bits64,
            }],
            clrs: Some(vec![
                comsim_resolver::RuntimeVersion::parse("v4.0.30319").unwrap(),
            ]),
            ..MachineInput::default()
        };
        let mut loaded = comsim_diagnose::input::load(&input).unwrap();
        let kept = audit(&mut loaded, &Filters::default());
        let mut loaded = comsim_diagnose::input::load(&input).unwrap();
        let mut rounds: Vec<Vec<ClassAudit>> = Vec::new();
        let mut sink = |cfgs: &[AuditConfig], classes: Vec<ClassAudit>| {
            assert_eq!(json(&cfgs), json(&kept.configs));
            rounds.push(classes);
        };
        let streamed = audit_in_rounds(
            &mut loaded,
            (&Filters::default(), Detail::Full),
            &mut comsim_diag::Silent,
            Some(&mut sink),
            4,
        );
        assert_eq!(rounds.iter().map(Vec::len).collect::<Vec<_>>(), [4, 2]);
        let handed: Vec<ClassAudit> = rounds.into_iter().flatten().collect();
        assert_eq!(json(&handed), json(&kept.classes));
        assert!(streamed.classes.is_empty());
        assert_eq!(json(&streamed.totals), json(&kept.totals));
        assert_eq!(json(&streamed.summary), json(&kept.summary));
    }
}
