//! The process configurations that could have made the request: 32- or 64-bit, a native or a
//! managed client (built for CLR 2.0 or 4), elevated or not. What the user knows narrows them;
//! each is replayed by the resolver's [`Session`] on the machine.

use comsim_resolver::{
    Apartment, AssemblyInfo, Bitness, ClientKind, ClientRuntime, FileKind, Machine, NativeImage,
    Process, ProcessorArchitecture, Readers, Request, Run, RuntimeVersion, Session, Switches,
    TraceMode, VFile,
};
use comsim_scenario::Clr;
use serde::Serialize;

use crate::input::{Client, Loaded};

/// What the user knows about the process; `None` is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    pub bitness: Option<Bitness>,
    pub elevated: Option<bool>,
    pub clr: Option<Clr>,
    pub client: Option<ClientKind>,
}

/// One process configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Config {
    pub client: ClientKind,
    pub bitness: Bitness,
    pub elevated: bool,
    /// The CLR a stand-in managed client is built for; `None` for a native client and for a
    /// client file, whose runtime comes from the file and its `.config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub built_for: Option<Clr>,
}

impl Config {
    /// `64-bit managed client (built for CLR 4.0), not elevated`.
    pub fn describe(&self) -> String {
        let kind = match (self.client, self.built_for) {
            (ClientKind::Native, _) => "native client".to_owned(),
            (ClientKind::Managed, Some(clr)) => {
                format!("managed client (built for CLR {})", clr.label())
            }
            (ClientKind::Managed, None) => "managed client".to_owned(),
        };
        let elevated = if self.elevated {
            "elevated"
        } else {
            "not elevated"
        };
        format!("{}-bit {kind}, {elevated}", bits(self.bitness))
    }
}

/// A bitness as a number: 32 or 64.
pub fn bits(b: Bitness) -> u32 {
    match b {
        Bitness::B32 => 32,
        Bitness::B64 => 64,
    }
}

/// The configurations to try, in a fixed order: client kind, bitness, CLR, elevation.
pub fn enumerate(facts: &Facts, loaded: &Loaded) -> Vec<Config> {
    let m = &loaded.machine;
    let file = match &loaded.client {
        Client::File(p) => m.fs.get(p),
        Client::Unknown(_) => None,
    };
    let kinds: Vec<ClientKind> = match (file.map(|f| &f.kind), facts.client) {
        (Some(FileKind::Assembly(_)), _) => vec![ClientKind::Managed],
        (Some(FileKind::Native(_)), _) => vec![ClientKind::Native],
        (_, Some(k)) => vec![k],
        _ => vec![ClientKind::Managed, ClientKind::Native],
    };
    let mut out = Vec::new();
    for client in kinds {
        for bitness in bitnesses(facts, m, file) {
            let clrs: Vec<Option<Clr>> = match (client, file) {
                (ClientKind::Native, _) | (ClientKind::Managed, Some(_)) => vec![None],
                (ClientKind::Managed, None) => match facts.clr {
                    Some(c) => vec![Some(c)],
                    None => vec![Some(Clr::V2), Some(Clr::V4)],
                },
            };
            for built_for in clrs {
                for elevated in facts.elevated.map_or(vec![false, true], |e| vec![e]) {
                    out.push(Config {
                        client,
                        bitness,
                        elevated,
                        built_for,
                    });
                }
            }
        }
    }
    out
}

/// The bitnesses the process may have: a native image's own, an x86 or amd64 assembly's, else
/// 32 and 64 (64 only on a 64-bit Windows).
fn bitnesses(facts: &Facts, m: &Machine, file: Option<&VFile>) -> Vec<Bitness> {
    let from_file = match file.map(|f| &f.kind) {
        Some(FileKind::Native(n)) => Some(n.bitness),
        Some(FileKind::Assembly(a)) => match a.architecture {
            ProcessorArchitecture::X86 => Some(Bitness::B32),
            ProcessorArchitecture::Amd64 => Some(Bitness::B64),
            ProcessorArchitecture::Msil => None,
        },
        _ => None,
    };
    if let Some(b) = facts.bitness.or(from_file) {
        return vec![b];
    }
    if m.os == Bitness::B32 {
        vec![Bitness::B32]
    } else {
        vec![Bitness::B32, Bitness::B64]
    }
}

/// The process of a configuration.
pub fn process(cfg: &Config, client: &Client, apartment: Apartment) -> Process {
    let exe = client.path().clone();
    Process {
        client: cfg.client,
        bitness: cfg.bitness,
        elevated: cfg.elevated,
        apartment,
        cwd: exe.parent(),
        exe,
        preloads_clr: false,
        threads: comsim_resolver::process::Threads::default(),
    }
}

/// The stand-in client of a configuration: a managed `.exe` built for its CLR, or a native one
/// of its bitness. `None` when the client is a file of the machine.
pub fn stand_in(cfg: &Config, client: &Client) -> Option<VFile> {
    let Client::Unknown(path) = client else {
        return None;
    };
    let kind = match (cfg.client, cfg.built_for) {
        (ClientKind::Managed, clr) => {
            let runtime = match clr.unwrap_or(Clr::V4) {
                Clr::V2 => "v2.0.50727",
                Clr::V4 => "v4.0.30319",
            };
            FileKind::Assembly(Box::new(AssemblyInfo {
                name: path.file_stem().to_owned(),
                version: comsim_manifest::Version([1, 0, 0, 0]),
                culture: None,
                public_key_token: None,
                public_key: None,
                com_compatible_version: None,
                runtime: RuntimeVersion::parse(runtime).expect("a valid runtime"),
                architecture: ProcessorArchitecture::Msil,
                com_visible: true,
                primary_interop: None,
                guid: None,
                types: Vec::new(),
                type_index: Default::default(),
            }))
        }
        (ClientKind::Native, _) => FileKind::Native(NativeImage {
            bitness: cfg.bitness,
            serves: Vec::new(),
            serves_index: Default::default(),
            starts: true,
            readable_by: Readers::Everyone,
        }),
    };
    Some(VFile {
        path: path.clone(),
        kind,
        bytes: Vec::new(),
        embedded_manifest: None,
        origin: "diagnose: the client of this configuration".to_owned(),
    })
}

/// One configuration's replay.
#[derive(Debug, Clone)]
pub struct ConfigRun {
    pub config: Config,
    /// The CLR the managed client ran on (SHIM-2, SHIM-4), as the real machine chooses it.
    pub clr: Option<RuntimeVersion>,
    pub run: Run,
}

/// Replays `request` in `cfg` on `m`, placing the stand-in client first (and taking it back).
/// A managed client runs on the CLR the real machine gives it; when it would not start, on the
/// missing one, so that the resolver says why (SHIM-2).
pub fn replay(
    m: &mut Machine,
    client: &Client,
    apartment: Apartment,
    sw: &Switches,
    cfg: &Config,
    request: &Request,
) -> ConfigRun {
    let placed = stand_in(cfg, client).map(|f| {
        let previous = m.fs.remove(&f.path);
        m.fs.write(f);
        previous
    });
    let p = process(cfg, client, apartment);
    let (clr, run) = run_session(m, &p, sw, cfg, request);
    if let Some(previous) = placed {
        m.fs.remove(&p.exe);
        if let Some(f) = previous {
            m.fs.write(f);
        }
    }
    ConfigRun {
        config: *cfg,
        clr,
        run,
    }
}

fn run_session(
    m: &Machine,
    p: &Process,
    sw: &Switches,
    cfg: &Config,
    request: &Request,
) -> (Option<RuntimeVersion>, Run) {
    let (clr, mut s) = start_session(m, p, sw, cfg);
    (clr, s.request(request, None))
}

/// Starts the process of `cfg` (its stand-in client already placed): a native client as it is;
/// a managed client on the CLR the real machine gives it, or, when it would not start, on the
/// missing one (SHIM-2). Returns the CLR it runs on, and the session before any request (which
/// `comsim audit` clones for each class).
pub fn start_session<'m>(
    m: &'m Machine,
    p: &'m Process,
    sw: &'m Switches,
    cfg: &Config,
) -> (Option<RuntimeVersion>, Session<'m>) {
    start_session_with(m, p, sw, cfg, TraceMode::Full)
}

/// [`start_session`], its requests traced in `mode`: `comsim audit` runs its many requests
/// with quiet traces (the steps' rules and codes, no prose), which end as full ones do.
pub fn start_session_with<'m>(
    m: &'m Machine,
    p: &'m Process,
    sw: &'m Switches,
    cfg: &Config,
    mode: TraceMode,
) -> (Option<RuntimeVersion>, Session<'m>) {
    if cfg.client == ClientKind::Native {
        return (None, Session::start_with(m, p, sw, None, mode));
    }
    let first = cfg.built_for.unwrap_or(Clr::V4).family();
    let real = Session::start_with(m, p, sw, Some(first), mode)
        .real_runtime()
        .cloned();
    let family = match &real {
        Some(ClientRuntime::Runs { runtime, .. }) => (runtime.major, runtime.minor),
        Some(ClientRuntime::NotStarted { .. }) => [Clr::V2, Clr::V4]
            .into_iter()
            .map(Clr::family)
            .find(|(a, b)| m.installed(*a, *b).is_none())
            .unwrap_or(first),
        None => first,
    };
    let s = Session::start_with(m, p, sw, Some(family), mode);
    let clr = m.installed(family.0, family.1).cloned();
    (clr, s)
}
