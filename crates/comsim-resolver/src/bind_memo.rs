//! Binds remembered across the requests of one process setting, for tools that run many
//! requests in it (`comsim audit`: every class of a machine in each configuration).
//!
//! A bind (BIND-1..BIND-6, [`bind::bind`]) reads only the machine and its [`BindRequest`]; what
//! it adds to a trace depends besides on the trace's mode and on the assumptions already made
//! (an assumption is recorded once; a full trace's failed bind counts them in its prose). So one
//! bind's answer serves every later bind of the same display name and CodeBase in the same
//! setting, on the same machine, with the same assumptions before it: the result (the file
//! bound, or the failure), and the steps and assumptions it added, which are replayed into the
//! later trace as they were.
//!
//! Classes of one assembly (regasm registers every public class of it) bind the same reference:
//! on a generated machine of about eight classes per assembly, all but one of its binds per
//! configuration are answered here.
//!
//! Kept only for quiet traces ([`TraceMode::Quiet`]), whose steps carry no prose. The memo does
//! not see the machine change: its owner makes one per setting and keeps the machine's files
//! the same whenever that setting runs (the audit places the same stand-in client each time).
//! A request whose setting is not the memo's first (process, runtime, `.config`) is bound
//! without it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::bind::{self, BindRequest, Bound, DependentAssemblies, Failure};
use crate::machine::{Bitness, Machine, RuntimeVersion};
use crate::switches::RemoteCodebase;
use crate::trace::{Assumption, Trace, TraceMode, TraceStep};
use crate::vfs::WinPath;

/// At most this many binds are remembered per memo; later ones are bound each time. A memo has
/// one entry per assembly reference its configuration's classes name (the eight memos of a
/// 20,000-CLSID generated machine's audit hold 1,988 in all).
pub const MAX_REMEMBERED: usize = 1 << 17;

/// Binds remembered for one process setting; shared by the clones of a session, and between
/// threads.
pub struct BindMemo {
    /// The setting of the first bind; binds in another are not remembered.
    setting: OnceLock<Setting>,
    /// Locked only to look an answer up or to add one: it is replayed outside the lock.
    binds: Mutex<HashMap<Key, Arc<Remembered>>>,
    hits: AtomicU64,
    /// The most binds remembered ([`MAX_REMEMBERED`]).
    limit: usize,
}

impl Default for BindMemo {
    fn default() -> Self {
        BindMemo::with_limit(MAX_REMEMBERED)
    }
}

/// What a bind depends on besides the reference: the fields of [`BindRequest`] that the
/// process and its `.config` fix.
struct Setting {
    clr: RuntimeVersion,
    bitness: Bitness,
    exe: WinPath,
    appbase: WinPath,
    config: Option<WinPath>,
    cwd: WinPath,
    private_paths: Vec<String>,
    dependent_assemblies: DependentAssemblies,
    load_from_remote_sources: bool,
    remote_codebase: RemoteCodebase,
}

impl Setting {
    // Both take the request apart field by field: a field added to `BindRequest` does not
    // compile here until it is either part of the setting or of the key.
    fn of(req: &BindRequest<'_>) -> Setting {
        let BindRequest {
            display_name: _,
            codebase: _,
            clr,
            bitness,
            exe,
            appbase,
            config,
            cwd,
            private_paths,
            dependent_assemblies,
            load_from_remote_sources,
            remote_codebase,
        } = req;
        Setting {
            clr: (*clr).clone(),
            bitness: *bitness,
            exe: (*exe).clone(),
            appbase: (*appbase).clone(),
            config: config.cloned(),
            cwd: (*cwd).clone(),
            private_paths: private_paths.to_vec(),
            dependent_assemblies: (*dependent_assemblies).clone(),
            load_from_remote_sources: *load_from_remote_sources,
            remote_codebase: *remote_codebase,
        }
    }

    fn is(&self, req: &BindRequest<'_>) -> bool {
        let BindRequest {
            display_name: _,
            codebase: _,
            clr,
            bitness,
            exe,
            appbase,
            config,
            cwd,
            private_paths,
            dependent_assemblies,
            load_from_remote_sources,
            remote_codebase,
        } = req;
        self.clr == **clr
            && self.bitness == *bitness
            && self.exe == **exe
            && self.appbase == **appbase
            && self.config.as_ref() == *config
            && self.cwd == **cwd
            && self.private_paths == *private_paths
            && self
                .dependent_assemblies
                .same_elements(dependent_assemblies)
            && self.load_from_remote_sources == *load_from_remote_sources
            && self.remote_codebase == *remote_codebase
    }
}

/// The reference, and the assumptions made before the bind.
#[derive(PartialEq, Eq, Hash)]
struct Key {
    display_name: String,
    codebase: Option<String>,
    prior: Vec<Assumption>,
}

/// One bind's answer: the path of the file bound (its assembly is the file's), or the failure;
/// and the steps and assumptions it added to the trace.
struct Remembered {
    result: Result<WinPath, Failure>,
    steps: Vec<TraceStep>,
    assumptions: Vec<Assumption>,
}

impl BindMemo {
    pub fn new() -> BindMemo {
        BindMemo::default()
    }

    /// A memo that remembers at most `limit` binds.
    fn with_limit(limit: usize) -> BindMemo {
        BindMemo {
            setting: OnceLock::new(),
            binds: Mutex::default(),
            hits: AtomicU64::new(0),
            limit,
        }
    }

    /// Binds answered from the memo so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// [`bind::bind`], answered from the memo when the same bind ran before in the same
    /// setting; else bound, and remembered.
    pub fn bind<'m>(
        &self,
        machine: &'m Machine,
        req: &BindRequest<'_>,
        trace: &mut Trace,
    ) -> Result<Bound<'m>, Failure> {
        if trace.mode() != TraceMode::Quiet {
            return bind::bind(machine, req, trace);
        }
        if self.setting.get().is_some_and(|s| !s.is(req)) {
            return bind::bind(machine, req, trace);
        }
        let key = Key {
            display_name: req.display_name.to_owned(),
            codebase: req.codebase.map(str::to_owned),
            prior: trace.assumptions.clone(),
        };
        let known = self.lock().get(&key).cloned();
        if let Some(result) = known.and_then(|r| replay(machine, &r, trace)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return result;
        }
        let (steps, assumptions) = (trace.steps.len(), trace.assumptions.len());
        let result = bind::bind(machine, req, trace);
        if !self.setting.get_or_init(|| Setting::of(req)).is(req) {
            return result;
        }
        let remembered = Remembered {
            result: result
                .as_ref()
                .map(|b| b.file.path.clone())
                .map_err(Clone::clone),
            steps: trace.steps[steps..].to_vec(),
            assumptions: trace.assumptions[assumptions..].to_vec(),
        };
        let mut binds = self.lock();
        if binds.len() < self.limit {
            binds.insert(key, Arc::new(remembered));
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Remembered>>> {
        // A panic while the lock was held left nothing half-made: entries are inserted whole.
        self.binds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Adds what a remembered bind added to `trace`, and gives its result; `None` (and `trace`
/// untouched) if the file it bound is no longer an assembly of the machine.
fn replay<'m>(
    machine: &'m Machine,
    r: &Remembered,
    trace: &mut Trace,
) -> Option<Result<Bound<'m>, Failure>> {
    let result = match &r.result {
        Ok(path) => {
            let file = machine.fs.get(path)?;
            Ok(Bound {
                file,
                assembly: file.assembly()?,
            })
        }
        Err(failure) => Err(failure.clone()),
    };
    trace.steps.extend(r.steps.iter().cloned());
    trace.assumptions.extend(r.assumptions.iter().cloned());
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::AssemblyInfo;
    use crate::trace::Rule;
    use crate::vfs::{FileKind, VFile};

    /// A machine whose files are partial (so a failed bind makes assumptions), with one
    /// assembly at `C:\Vendor\Contoso.Gauges.dll`.
    fn machine() -> Machine {
        let mut m = Machine::new(Bitness::B64);
        m.fs.set_partial(Vec::new());
        let asm = AssemblyInfo::plain("Contoso.Gauges", "v4.0.30319", &["Contoso.Gauges.Dial"]);
        m.fs.insert(VFile {
            path: WinPath::parse(r"C:\Vendor\Contoso.Gauges.dll").unwrap(),
            kind: FileKind::Assembly(Box::new(asm)),
            bytes: Vec::new(),
            embedded_manifest: None,
            origin: "test".into(),
        })
        .unwrap();
        m
    }

    const FOUND: (&str, Option<&str>) = (
        "Contoso.Gauges, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
        Some("file:///C:/Vendor/Contoso.Gauges.dll"),
    );
    const MISSING: (&str, Option<&str>) = (
        "Contoso.Dials, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
        Some("file:///C:/Vendor/Contoso.Dials.dll"),
    );

    /// What a bind gives and adds to a trace that starts with `prior` assumptions: the file
    /// bound or the failure, the steps, the assumptions. Bound through `memo` when given.
    fn run(
        m: &Machine,
        memo: Option<&BindMemo>,
        (display_name, codebase): (&str, Option<&str>),
        appbase: &str,
        prior: &[&str],
        mode: TraceMode,
    ) -> (Result<String, Failure>, Trace) {
        let clr = RuntimeVersion::parse("v4.0.30319").unwrap();
        let appbase = WinPath::parse(appbase).unwrap();
        let req = BindRequest {
            display_name,
            codebase,
            clr: &clr,
            bitness: Bitness::B64,
            exe: &appbase.join("Client.exe"),
            appbase: &appbase,
            config: None,
            cwd: &appbase,
            private_paths: &[],
            dependent_assemblies: &DependentAssemblies::default(),
            load_from_remote_sources: false,
            remote_codebase: RemoteCodebase::Load,
        };
        let mut trace = Trace::new(mode);
        for p in prior {
            trace.assume(Rule::Com3, p);
        }
        let result = match memo {
            Some(memo) => memo.bind(m, &req, &mut trace),
            None => bind::bind(m, &req, &mut trace),
        };
        (result.map(|b| b.file.path.to_string()), trace)
    }

    #[test]
    fn a_remembered_bind_gives_what_binding_again_gives() {
        let m = machine();
        let memo = BindMemo::new();
        let cases = [
            (FOUND, &[][..]),
            (MISSING, &[][..]),
            // An assumption made before is not made again.
            (MISSING, &[r"C:\Vendor\Contoso.Dials.dll"][..]),
        ];
        for (round, hits) in [(0, 0), (1, 3)] {
            for &(reference, prior) in &cases {
                let want = run(&m, None, reference, r"C:\App", prior, TraceMode::Quiet);
                let got = run(
                    &m,
                    Some(&memo),
                    reference,
                    r"C:\App",
                    prior,
                    TraceMode::Quiet,
                );
                assert_eq!(got, want, "round {round}: {reference:?} after {prior:?}");
            }
            // The first round binds (three different keys); the second is answered.
            assert_eq!(memo.hits(), hits, "round {round}");
        }
        // An answer's steps share the remembered facts (a failed bind's list every file looked
        // for), not copies of them.
        let a = run(&m, Some(&memo), MISSING, r"C:\App", &[], TraceMode::Quiet).1;
        let b = run(&m, Some(&memo), MISSING, r"C:\App", &[], TraceMode::Quiet).1;
        let facts = |t: &Trace| -> Vec<Arc<crate::trace::BindFacts>> {
            t.steps.iter().filter_map(|s| s.bind.clone()).collect()
        };
        assert!(!facts(&a).is_empty());
        assert!(
            facts(&a)
                .iter()
                .zip(facts(&b))
                .all(|(x, y)| Arc::ptr_eq(x, &y))
        );
        let (missing, trace) = run(&m, None, MISSING, r"C:\App", &[], TraceMode::Quiet);
        assert!(missing.is_err() && !trace.assumptions.is_empty());
        assert!(
            run(&m, None, FOUND, r"C:\App", &[], TraceMode::Quiet)
                .0
                .is_ok()
        );
    }

    #[test]
    fn binds_in_another_setting_or_with_prose_are_not_answered() {
        let m = machine();
        let memo = BindMemo::new();
        assert!(
            run(&m, Some(&memo), FOUND, r"C:\App", &[], TraceMode::Quiet)
                .0
                .is_ok()
        );
        // Another application base: another setting, bound as it is.
        let want = run(&m, None, FOUND, r"C:\Other", &[], TraceMode::Quiet);
        let got = run(&m, Some(&memo), FOUND, r"C:\Other", &[], TraceMode::Quiet);
        assert_eq!(got, want);
        // A full trace keeps prose, which the memo does not.
        let want = run(&m, None, FOUND, r"C:\App", &[], TraceMode::Full);
        let got = run(&m, Some(&memo), FOUND, r"C:\App", &[], TraceMode::Full);
        assert_eq!(got, want);
        assert!(!got.1.steps.iter().all(|s| s.text.is_empty()));
        assert_eq!(memo.hits(), 0);
        // The first setting is still answered.
        assert!(
            run(&m, Some(&memo), FOUND, r"C:\App", &[], TraceMode::Quiet)
                .0
                .is_ok()
        );
        assert_eq!(memo.hits(), 1);
    }

    #[test]
    fn binds_past_the_limit_are_bound_each_time() {
        let m = machine();
        let memo = BindMemo::with_limit(1);
        for _ in 0..3 {
            let want = run(&m, None, MISSING, r"C:\App", &[], TraceMode::Quiet);
            let found = run(&m, Some(&memo), FOUND, r"C:\App", &[], TraceMode::Quiet);
            assert!(found.0.is_ok());
            assert_eq!(
                run(&m, Some(&memo), MISSING, r"C:\App", &[], TraceMode::Quiet),
                want
            );
        }
        // The first bind was remembered, the second (past the limit) never.
        assert_eq!(memo.hits(), 2);
        assert_eq!(memo.lock().len(), 1);
    }

    #[test]
    fn a_remembered_file_gone_from_the_machine_is_bound_again() {
        let mut m = machine();
        let memo = BindMemo::new();
        assert!(
            run(&m, Some(&memo), FOUND, r"C:\App", &[], TraceMode::Quiet)
                .0
                .is_ok()
        );
        m.fs.remove(&WinPath::parse(r"C:\Vendor\Contoso.Gauges.dll").unwrap());
        let want = run(&m, None, FOUND, r"C:\App", &[], TraceMode::Quiet);
        let got = run(&m, Some(&memo), FOUND, r"C:\App", &[], TraceMode::Quiet);
        assert_eq!(got, want);
        assert!(got.0.is_err());
        assert_eq!(memo.hits(), 0);
    }
}
