//! The audit's runs: every class in every configuration that applies to it, in rounds.
//!
//! - A **round** is up to [`ROUND`] classes in CLSID order. For each configuration in the fixed
//!   order, the stand-in client is placed, the configuration's process is started once (quiet
//!   traces, `TraceMode::Quiet`) and cloned for each class of the round; the classes are spread
//!   over the machine's cores. Between rounds nothing of a class is kept but its result, so the
//!   memory of the runs is bounded by a round.
//! - **What a class's runs share.** The registrations the cause detectors read of a class are the
//!   registry's answers for a view, whatever the process, so the class's next configuration
//!   starts from them (`causes::Reads`). A cause's sentence and fixes are kept from the first
//!   configuration where it is found (as `ClassCause` documents); later configurations are told
//!   which causes they have (`Ctx::with_known`) and skip building fix texts again. An audit of
//!   the causes alone (`Detail::Causes`, for CSV rows) builds none (`Ctx::without_details`).
//! - **Elevated and not elevated.** An elevated process differs from the same process not
//!   elevated in two things the rules name: COM does not read the per-user classes (REG-2), and
//!   it may read files that only administrators may read (COM-3). The trace says so too, but the
//!   audit shows no trace. So when, in the configuration that is not elevated, neither the start
//!   of the process nor the class's run (request and cause detectors) found any key of
//!   `HKEY_CURRENT_USER` (`comsim_registry::user_hive_finds`), the class has no per-user class
//!   key in either view, and no file of the machine is readable by administrators alone, the
//!   elevated configuration's result is that configuration's result; it is not run again. The
//!   test that compares every result with a replay of that class alone
//!   (`tests/audit.rs`) covers machines where elevation changes the outcome.

use std::sync::Arc;

use comsim_diagnose::causes::{self, Ctx, Reads};
use comsim_diagnose::config::{self, Config, ConfigRun};
use comsim_diagnose::input::Loaded;
use comsim_manifest::Guid;
use comsim_resolver::bind_memo::BindMemo;
use comsim_resolver::{Bitness, Readers, RuntimeVersion, Session, TraceMode};

use crate::{
    AuditConfig, CauseDetails, ClassInfo, ConfigResult, Detail, Proposal, applies, request,
};

/// Classes per round.
pub(crate) const ROUND: usize = 4096;

/// One class's run in one configuration: the result, and per cause found its ID with, the
/// first time the class shows it (and when the audit says more than the causes, `Detail`), its
/// sentence and fixes.
#[derive(Debug, Clone)]
pub(crate) struct Outcome1 {
    pub result: ConfigResult,
    pub causes: Vec<(&'static str, Option<CauseDetails>)>,
}

/// What describing a class read of it, handed to its runs: the registrations of both views
/// (per-user classes seen), as the cause detectors read them first.
#[derive(Default)]
pub(crate) struct Seed {
    reads: Reads,
}

impl Seed {
    /// The class's registration in the view of `view_bitness`, per-user classes seen: as read
    /// when the class was listed, borrowed (read again if it was not).
    pub fn registration(
        &self,
        m: &comsim_resolver::Machine,
        clsid: Guid,
        view_bitness: Bitness,
    ) -> Option<std::borrow::Cow<'_, comsim_diagnose::registration::Registration>> {
        match self.reads.get(view_bitness, true) {
            Some(r) => r.map(std::borrow::Cow::Borrowed),
            None => comsim_diagnose::registration::read(
                m,
                clsid,
                &comsim_diagnose::registration::access(m, view_bitness, true),
            )
            .map(std::borrow::Cow::Owned),
        }
    }

    pub fn read(
        &mut self,
        view_bitness: Bitness,
        r: Option<comsim_diagnose::registration::Registration>,
    ) {
        self.reads.insert(view_bitness, true, r);
    }
}

/// What the runs of one class keep from one configuration to the next, within a round.
#[derive(Default)]
pub(crate) struct ClassRuns {
    /// The registrations the detectors read.
    reads: Reads,
    /// The causes found so far, whose sentence and fixes are already kept.
    known: Vec<&'static str>,
    /// The configuration (index) whose run found no key of `HKEY_CURRENT_USER`, when the last
    /// configuration run was not elevated.
    user_free: Option<usize>,
    /// A per-user class key of the class exists in one of the views.
    per_user: bool,
    /// The runs so far: configuration index and outcome.
    pub runs: Vec<(usize, Outcome1)>,
}

/// What the runs share beyond a round: the machine-wide facts the sharing between elevations
/// needs, and each configuration's remembered binds.
pub(crate) struct Sharing {
    /// No file of the machine is readable by administrators alone (COM-3).
    files_alike: bool,
    /// Per configuration (by index), the binds its runs made (`bind_memo.rs`): the classes of
    /// one assembly bind the same reference, in whichever round they fall. Valid across rounds
    /// because a configuration's runs always see the machine's files as they are now with the
    /// same stand-in client placed.
    memos: Vec<Arc<BindMemo>>,
    /// Whether the runs write each cause's sentence and fixes.
    detail: Detail,
}

impl Sharing {
    pub fn new(loaded: &Loaded, configurations: usize, detail: Detail) -> Self {
        let files_alike = !loaded.machine.fs.files().any(|f| {
            f.native()
                .is_some_and(|n| n.readable_by == Readers::Administrators)
        });
        Sharing {
            files_alike,
            memos: (0..configurations).map(|_| Arc::default()).collect(),
            detail,
        }
    }
}

/// What one configuration's run over a round is given besides the classes: the configuration
/// whose results its elevated runs may share, and its remembered binds.
struct Given<'a> {
    partner: Option<usize>,
    memo: &'a Arc<BindMemo>,
    detail: Detail,
}

/// Runs one round's classes (`round`, indices into `classes`) in every configuration that
/// applies, calling `advance` with the number of runs each configuration finished.
pub(crate) fn run_round(
    loaded: &mut Loaded,
    cfgs: &[AuditConfig],
    classes: &[ClassInfo],
    round: &[usize],
    seeds: impl Iterator<Item = Seed>,
    sharing: &Sharing,
    advance: &mut dyn FnMut(u64),
) -> Vec<ClassRuns> {
    // A class key in HKCU is the primary key of a view's open (REG-1), so a registration read
    // with per-user classes seen says whether the class has one.
    let mut states: Vec<ClassRuns> = seeds
        .map(|s| ClassRuns {
            per_user: s.reads.any_per_user(),
            reads: s.reads,
            ..ClassRuns::default()
        })
        .collect();
    // Whether the start of the last configuration that was not elevated found no key of HKCU.
    let mut start_user_free = false;
    for (ci, cfg) in cfgs.iter().enumerate() {
        let config = cfg.config;
        let runs = round
            .iter()
            .filter(|&&i| applies(&classes[i], &config))
            .count();
        if runs == 0 {
            // (Its elevated partner has no class of the round either: elevation does not
            // decide which classes a configuration runs.)
            continue;
        }
        let partner = (config.elevated && ci > 0)
            .then(|| ci - 1)
            .filter(|&p| {
                cfgs[p].config
                    == Config {
                        elevated: false,
                        ..config
                    }
            })
            .filter(|_| start_user_free && sharing.files_alike);
        let given = Given {
            partner,
            memo: &sharing.memos[ci],
            detail: sharing.detail,
        };
        let started_free = run_config(loaded, cfgs, ci, given, classes, round, &mut states);
        if !config.elevated {
            start_user_free = started_free;
        }
        advance(runs as u64);
    }
    states
}

/// One configuration (`cfgs[ci]`) over the round: the stand-in client placed, the process
/// started once, one clone of it per class, spread over threads; the stand-in taken back. A
/// class whose result the elevated configuration shares with `partner` is not run. Returns
/// whether the process's start found no key of `HKEY_CURRENT_USER`.
fn run_config(
    loaded: &mut Loaded,
    cfgs: &[AuditConfig],
    ci: usize,
    Given {
        partner,
        memo,
        detail,
    }: Given<'_>,
    classes: &[ClassInfo],
    round: &[usize],
    states: &mut [ClassRuns],
) -> bool {
    let (cfg, later) = (&cfgs[ci].config, &cfgs[ci + 1..]);
    let placed = config::stand_in(cfg, &loaded.client).map(|f| {
        let previous = loaded.machine.fs.remove(&f.path);
        loaded.machine.fs.write(f);
        previous
    });
    let start_free = {
        let loaded: &Loaded = loaded;
        let p = config::process(cfg, &loaded.client, loaded.apartment);
        let (m, sw) = (&loaded.machine, &loaded.switches);
        let before = comsim_registry::user_hive_finds();
        let (clr, template) = config::start_session_with(m, &p, sw, cfg, TraceMode::Quiet);
        let template = template.with_bind_memo(Arc::clone(memo));
        let start_free = comsim_registry::user_hive_finds() == before;
        let run = |k: usize, state: &mut ClassRuns| {
            let class = &classes[round[k]];
            if !applies(class, cfg) {
                return;
            }
            let shared = partner.filter(|&p| !state.per_user && state.user_free == Some(p));
            let outcome = match shared.and_then(|p| state.runs.iter().find(|(c, _)| *c == p)) {
                Some((_, o)) => Outcome1 {
                    result: o.result.clone(),
                    causes: o.causes.iter().map(|(id, _)| (*id, None)).collect(),
                },
                None => run_one(
                    loaded,
                    (cfg, ci, detail),
                    &clr,
                    &template,
                    class.clsid,
                    state,
                ),
            };
            state.runs.push((ci, outcome));
            if !later.iter().any(|c| applies(class, &c.config)) {
                // The class's last run: what the runs read of it goes now, on this thread and
                // among the runs, not on the main thread between rounds with the other core idle.
                state.reads = Reads::default();
            }
        };
        for_each_parallel(states, run);
        start_free
    };
    if let Some(previous) = placed {
        let exe = loaded.client.path().clone();
        loaded.machine.fs.remove(&exe);
        if let Some(f) = previous {
            loaded.machine.fs.write(f);
        }
    }
    start_free
}

/// One class in one configuration, from the configuration's started process.
fn run_one(
    loaded: &Loaded,
    (cfg, ci, detail): (&Config, usize, Detail),
    clr: &Option<RuntimeVersion>,
    template: &Session<'_>,
    clsid: Guid,
    state: &mut ClassRuns,
) -> Outcome1 {
    let before = comsim_registry::user_hive_finds();
    let req = request(clsid, cfg.client);
    // Quiet: the detectors read the steps' rules, codes and bind data, never their prose.
    let run = template.clone().request(&req, None);
    let run = ConfigRun {
        config: *cfg,
        clr: clr.clone(),
        run,
    };
    let mut ctx = Ctx::new(loaded, &run, &req, Some(clsid))
        .with_reads(std::mem::take(&mut state.reads))
        .with_known(&state.known)
        .without_fix_files();
    if detail == Detail::Causes {
        ctx = ctx.without_details();
    }
    let found = causes::detect(&ctx);
    state.reads = ctx.into_reads();
    state.user_free = (!cfg.elevated && comsim_registry::user_hive_finds() == before).then_some(ci);
    let m = &loaded.machine;
    let outcome = &run.run.outcome;
    let result = ConfigResult {
        config: "",
        kind: outcome.kind(),
        hresult: outcome.hresult(),
        summary: comsim_diagnose::outcome_summary(outcome),
        causes: found.iter().map(|f| f.cause.id).collect(),
    };
    let mut causes = Vec::with_capacity(found.len());
    for f in found {
        if detail == Detail::Causes || state.known.contains(&f.cause.id) {
            causes.push((f.cause.id, None));
            continue;
        }
        state.known.push(f.cause.id);
        let fixes = f
            .candidates
            .iter()
            .map(|c| Proposal {
                summary: c.summary.clone(),
                commands: c.steps.iter().map(|s| s.command(m)).collect(),
            })
            .collect();
        causes.push((
            f.cause.id,
            Some(CauseDetails {
                sentence: f.sentence,
                fixes,
            }),
        ));
    }
    // The trace's buffer serves the thread's next run.
    comsim_resolver::session::recycle(run.run.trace);
    Outcome1 { result, causes }
}

/// The machine's cores, for work spread over threads.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `f` of every item, in order, computed on the machine's cores: contiguous chunks, one thread
/// each. Fewer than `min_items` items (where a thread would cost more than it saves) are done on
/// the calling thread. The audit's work and the CLI's writing of its CSV both go through here.
pub fn parallel_map<I: Sync, T: Send>(
    items: &[I],
    min_items: usize,
    f: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let threads = threads();
    if threads < 2 || items.len() < min_items.max(2) {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<T>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an audit thread does not panic"))
            .collect()
    })
}

/// `f` over every item of `states` (with its index) on the machine's cores. Classes differ in
/// cost (a managed class's run does far more than a native one's), so each thread gets small
/// batches spread over the whole range (every `threads`-th one) rather than one half.
fn for_each_parallel<T: Send>(states: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
    const BATCH: usize = 32;
    let threads = threads();
    // Below this many classes a thread costs more than it saves.
    if threads < 2 || states.len() < 64 {
        for (k, s) in states.iter_mut().enumerate() {
            f(k, s);
        }
        return;
    }
    // Batch `n` goes to thread `n % threads`, the same in every configuration: a class's state
    // then grows on one thread, in that thread's malloc arena (a block freed or grown by
    // another thread waits for the lock of the arena it came from).
    let mut shares: Vec<Vec<(usize, &mut [T])>> = (0..threads).map(|_| Vec::new()).collect();
    for (n, batch) in states.chunks_mut(BATCH).enumerate() {
        shares[n % threads].push((n, batch));
    }
    let work = |share: Vec<(usize, &mut [T])>| {
        for (n, batch) in share {
            for (k, s) in batch.iter_mut().enumerate() {
                f(n * BATCH + k, s);
            }
        }
    };
    std::thread::scope(|scope| {
        let mut shares = shares.into_iter();
        let own = shares.next().unwrap_or_default();
        for share in shares {
            scope.spawn(|| work(share));
        }
        work(own);
    });
}
