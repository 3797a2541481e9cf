//! The client process's state and its start.
//!
//! A [`Session`] is one client process on one machine: its activation context (SXS-1, SXS-2,
//! `sxs.rs`), how it sees the registry (REG-1..REG-3, `reg.rs`), its `.config` and CLR (SHIM-2..
//! SHIM-4, `shim.rs`), the runtimes loaded so far and the AppDomain's type cache (REQ-1).
//! [`Session::start`] runs those steps in order; [`Session::request`] (`req.rs`) runs a request.

use comsim_manifest::Guid;
use comsim_manifest::actctx::ActivationContext;

use crate::machine::{Machine, RuntimeVersion};
use crate::outcome::{LoadedType, Outcome};
use crate::process::{ClientKind, Process};
use crate::switches::Switches;
use crate::trace::{Trace, TraceMode, TraceStep};
use crate::vfs::WinPath;

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
    /// `<dependentAssembly>`s: the redirects and codebases the binder applies (BIND-1, BIND-4).
    pub dependent_assemblies: crate::bind::DependentAssemblies,
    /// `<loadFromRemoteSources enabled="true"/>` (BIND-4).
    pub load_from_remote_sources: bool,
}

/// A running client process. Steps run in order in the same process: runtimes loaded by one
/// request stay loaded for the next (SHIM-3), and GetTypeFromCLSID answers are cached (REQ-1).
/// A clone of a session that has made no request is the process just started: `comsim audit`
/// starts one per configuration and clones it for each class instead of starting it again.
#[derive(Clone)]
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
    /// The context a step made with CreateActCtx and activated around its request (SXS-1): its
    /// lookups search it before the process default context.
    pub(crate) active: Option<crate::sxs::ActiveContext>,
    pub(crate) config: ConfigView,
    /// Set when the process did not start: every request answers with it.
    pub(crate) failed: Option<Outcome>,
    /// GetTypeFromCLSID's answers, per CLSID (REQ-1).
    pub(crate) cache: std::collections::HashMap<Guid, Option<LoadedType>>,
    /// The start's trace, carried by the first request.
    pub(crate) pending: Trace,
    /// The runtime the real machine gives a managed client (SHIM-2, SHIM-4), once its `.config`
    /// is read.
    pub(crate) real_runtime: Option<crate::shim::ClientRuntime>,
    /// Binds remembered across this session's clones ([`Session::with_bind_memo`]).
    pub(crate) bind_memo: Option<std::sync::Arc<crate::bind_memo::BindMemo>>,
}

/// Room made in a request's trace for its steps (a managed activation takes 30 to 60).
const REQUEST_STEPS: usize = 64;

/// Step buffers kept per thread for [`recycle`], at most this many.
const SPARE_BUFFERS: usize = 4;

thread_local! {
    /// Emptied step buffers of finished runs, for the thread's next requests.
    static SPARE_STEPS: std::cell::RefCell<Vec<Vec<TraceStep>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Hands a finished run's trace back, so that the thread's next request reuses its buffer of
/// steps instead of allocating one. For callers that run many requests and drop their traces
/// (`comsim audit`): a buffer of a request's size is a large allocation, which makes glibc's
/// `malloc` sort all its small free chunks first.
pub fn recycle(trace: Trace) {
    let mut steps = trace.steps;
    if steps.capacity() < REQUEST_STEPS {
        return;
    }
    steps.clear();
    SPARE_STEPS.with_borrow_mut(|spare| {
        if spare.len() < SPARE_BUFFERS {
            spare.push(steps);
        }
    });
}

impl<'m> Session<'m> {
    /// Whether the replay's CLR choice changes anything for this process: it does for a managed
    /// client and for a native host that preloads a CLR.
    pub fn clr_matters(p: &Process) -> bool {
        p.client == ClientKind::Managed || p.preloads_clr
    }

    /// What the traces of this process's runs keep.
    pub fn trace_mode(&self) -> TraceMode {
        self.pending.mode()
    }

    /// The trace the next request starts from: the start's, for the first one.
    pub(crate) fn take_pending(&mut self) -> Trace {
        let fresh = Trace::new(self.pending.mode());
        let mut t = std::mem::replace(&mut self.pending, fresh);
        // A request adds some tens of steps: room for them at once, not by doubling, in a
        // buffer a finished run handed back when there is one (`recycle`).
        if t.steps.capacity() < REQUEST_STEPS
            && let Some(mut spare) = SPARE_STEPS.with_borrow_mut(Vec::pop)
        {
            spare.append(&mut t.steps);
            t.steps = spare;
        }
        t.steps.reserve(REQUEST_STEPS);
        t
    }

    /// The process's activation context (SXS-1, SXS-2), `None` when the process has none or
    /// it could not be created.
    pub fn activation_context(&self) -> Option<&ActivationContext> {
        self.ctx.as_ref()
    }

    /// Why the process did not start, when it did not (every request answers with it).
    pub fn start_failure(&self) -> Option<&Outcome> {
        self.failed.as_ref()
    }

    /// This session, and its clones, answer a bind that one of them already did from `memo`
    /// (`bind_memo.rs`), when their traces are quiet. For tools that run many requests in one
    /// process setting; the memo must not outlive the machine's files as they are now.
    pub fn with_bind_memo(mut self, memo: std::sync::Arc<crate::bind_memo::BindMemo>) -> Self {
        self.bind_memo = Some(memo);
        self
    }

    /// The runtime the real machine starts this managed client on, or that it would not start
    /// it (SHIM-2, SHIM-4), whatever CLR the session was asked to run it on. `None` for a native
    /// client, and when the process stopped before its `.config` was read (its activation
    /// context or its `.config` failed, as they do on every CLR).
    pub fn real_runtime(&self) -> Option<&crate::shim::ClientRuntime> {
        self.real_runtime.as_ref()
    }

    /// Starts the process: SXS-1/SXS-2 (the activation context), SHIM-4 (the config), and the
    /// CLR (`clr` is the family, `(2, 0)` or `(4, 0)`, for a managed client or a preloading host).
    /// Its runs carry full traces; [`Session::start_with`] can make them quiet.
    pub fn start(
        m: &'m Machine,
        p: &'m Process,
        sw: &'m Switches,
        clr: Option<(u32, u32)>,
    ) -> Session<'m> {
        Session::start_with(m, p, sw, clr, TraceMode::Full)
    }

    /// [`Session::start`], with the traces of the start and of every request keeping what
    /// `mode` says: with [`TraceMode::Quiet`], the same outcomes and the same steps (rule, code,
    /// inferred) without building their prose.
    pub fn start_with(
        m: &'m Machine,
        p: &'m Process,
        sw: &'m Switches,
        clr: Option<(u32, u32)>,
        mode: TraceMode,
    ) -> Session<'m> {
        let mut s = Session {
            m,
            p,
            sw,
            clr: None,
            loaded: Vec::new(),
            legacy_bound: None,
            ctx: None,
            active: None,
            config: ConfigView::default(),
            failed: None,
            cache: std::collections::HashMap::new(),
            pending: Trace::new(mode),
            real_runtime: None,
            bind_memo: None,
        };
        let mut trace = Trace::new(mode);
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
        s.real_runtime = s.client_runtime();
        s.start_runtime(clr, &mut trace);
        s.pending = trace;
        s
    }
}
