//! The client process and the requests it makes (REQ-1..REQ-5).

use std::fmt;

use comsim_manifest::Guid;
use serde::Serialize;

use crate::machine::Bitness;
use crate::vfs::WinPath;

/// Managed (on the CLR the replay runs it under) or native.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Managed,
    Native,
}

/// The apartment of the calling thread (COM-5). A thread in the neutral apartment entered it
/// from an STA or an MTA thread, and the seed 001 table tells the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Apartment {
    #[serde(rename = "sta")]
    Sta,
    #[serde(rename = "mta")]
    Mta,
    #[serde(rename = "na-on-sta")]
    NaOnSta,
    #[serde(rename = "na-on-mta")]
    NaOnMta,
}

impl Apartment {
    pub fn parse(s: &str) -> Option<Apartment> {
        match s.to_ascii_lowercase().as_str() {
            "sta" => Some(Apartment::Sta),
            "mta" => Some(Apartment::Mta),
            "na-on-sta" => Some(Apartment::NaOnSta),
            "na-on-mta" => Some(Apartment::NaOnMta),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &["sta", "mta", "na-on-sta", "na-on-mta"];
}

impl fmt::Display for Apartment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Apartment::Sta => "STA",
            Apartment::Mta => "MTA",
            Apartment::NaOnSta => "NA (entered from an STA thread)",
            Apartment::NaOnMta => "NA (entered from an MTA thread)",
        })
    }
}

/// Where the process's main STA is, as the calling thread sees it (COM-5): the first thread that
/// entered a single-threaded apartment. A server without a `ThreadingModel` lives there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum MainSta {
    /// The calling thread's STA is the main one when the calling thread is in an STA; a caller in
    /// the MTA finds it on another thread.
    #[default]
    #[serde(rename = "caller")]
    Caller,
    /// Another thread entered the first STA: a caller in an STA is in another one.
    #[serde(rename = "other-thread")]
    OtherThread,
    /// No thread is in an STA: COM makes a host STA when an object needs one.
    #[serde(rename = "none")]
    None,
}

impl MainSta {
    fn is_default(&self) -> bool {
        *self == MainSta::Caller
    }
}

/// What the process's other threads did before a request (COM-5): where its main STA is and
/// whether a thread has made its MTA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Threads {
    #[serde(skip_serializing_if = "MainSta::is_default")]
    pub main_sta: MainSta,
    /// Another thread called `CoInitializeEx(COINIT_MULTITHREADED)`: the MTA exists even when the
    /// calling thread is not in it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mta_exists: bool,
}

/// The client process.
#[derive(Debug, Clone, Serialize)]
pub struct Process {
    pub client: ClientKind,
    pub bitness: Bitness,
    /// Above medium integrity ("Run as administrator"): COM ignores per-user classes (REG-2).
    pub elevated: bool,
    /// The calling thread's apartment; a step may name another.
    pub apartment: Apartment,
    /// The executable; its directory is the application base, and its manifest and `.config`
    /// sit beside it (SXS-1, SHIM-4).
    pub exe: WinPath,
    /// The current directory. Binding never probes it (BIND-3); a CodeBase that is a path and not
    /// a URL is resolved against it (BIND-4), and LoadLibrary looks there last for an in-process
    /// server named without a full path (COM-3).
    pub cwd: WinPath,
    /// A native host that loads a CLR before the steps run (an Office add-in host, say): the
    /// replay's CLR is then loaded in it from the start (SHIM-3).
    pub preloads_clr: bool,
    /// The process's other threads: its main STA and its MTA (COM-5).
    #[serde(flatten)]
    pub threads: Threads,
}

/// An activation context a step makes with `CreateActCtx` and activates (`ActivateActCtx`)
/// around its request, then deactivates (SXS-1, SXS-2, COM-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplicitContext {
    /// `ACTCTX.lpSource`: a manifest file, or a DLL or EXE whose `RT_MANIFEST` resource 1 is read.
    pub manifest: WinPath,
    /// `ACTCTX.lpAssemblyDirectory`: where its private dependencies are probed (SXS-2); the
    /// manifest's directory when the step gives none.
    pub assembly_directory: WinPath,
}

/// `CLSCTX` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClsCtx(pub u32);

impl ClsCtx {
    pub const INPROC_SERVER: u32 = 0x1;
    pub const INPROC_HANDLER: u32 = 0x2;
    pub const LOCAL_SERVER: u32 = 0x4;
    pub const REMOTE_SERVER: u32 = 0x10;
    /// `CLSCTX_SERVER`: in-proc, local and remote servers.
    pub const SERVER: ClsCtx =
        ClsCtx(Self::INPROC_SERVER | Self::LOCAL_SERVER | Self::REMOTE_SERVER);
    pub const ALL: ClsCtx = ClsCtx(
        Self::INPROC_SERVER | Self::INPROC_HANDLER | Self::LOCAL_SERVER | Self::REMOTE_SERVER,
    );

    /// Parses `CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER`, the `CLSCTX_` prefix optional, any case.
    pub fn parse(s: &str) -> Result<ClsCtx, String> {
        let mut bits = 0;
        for part in s.split('|') {
            let name = part.trim().to_ascii_uppercase();
            let name = name.strip_prefix("CLSCTX_").unwrap_or(&name);
            bits |= match name {
                "INPROC_SERVER" => Self::INPROC_SERVER,
                "INPROC_HANDLER" => Self::INPROC_HANDLER,
                "LOCAL_SERVER" => Self::LOCAL_SERVER,
                "REMOTE_SERVER" => Self::REMOTE_SERVER,
                "INPROC" => Self::INPROC_SERVER | Self::INPROC_HANDLER,
                "SERVER" => Self::SERVER.0,
                "ALL" => Self::ALL.0,
                _ => {
                    return Err(format!(
                        "`{}` is not a CLSCTX flag (INPROC_SERVER, INPROC_HANDLER, LOCAL_SERVER, REMOTE_SERVER, INPROC, SERVER, ALL)",
                        part.trim()
                    ));
                }
            };
        }
        Ok(ClsCtx(bits))
    }

    pub fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }
}

impl fmt::Display for ClsCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == ClsCtx::SERVER {
            return f.write_str("CLSCTX_SERVER");
        }
        if *self == ClsCtx::ALL {
            return f.write_str("CLSCTX_ALL");
        }
        let names = [
            (Self::INPROC_SERVER, "CLSCTX_INPROC_SERVER"),
            (Self::INPROC_HANDLER, "CLSCTX_INPROC_HANDLER"),
            (Self::LOCAL_SERVER, "CLSCTX_LOCAL_SERVER"),
            (Self::REMOTE_SERVER, "CLSCTX_REMOTE_SERVER"),
        ];
        let parts: Vec<&str> = names
            .iter()
            .filter(|(b, _)| self.0 & b != 0)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&parts.join(" | "))
    }
}

/// What a step asks for.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// REQ-1 `Type.GetTypeFromCLSID(clsid)`.
    GetTypeFromClsid { clsid: Guid },
    /// REQ-2 `Activator.CreateInstance(Type.GetTypeFromCLSID(clsid))`, or `new` of a `[ComImport]`
    /// class with that GUID.
    CreateInstance { clsid: Guid },
    /// REQ-3 `Type.GetTypeFromProgID(progid, throwOnError)`, then `Activator.CreateInstance` of the
    /// type when `create` is set.
    GetTypeFromProgId {
        progid: String,
        throw_on_error: bool,
        create: bool,
    },
    /// REQ-4 a native client's `CoCreateInstance` (after `CLSIDFromProgID` when a ProgID is given).
    CoCreateInstance { target: ClassRef, clsctx: ClsCtx },
    /// REQ-5 a record (value type) lookup by GUID.
    LoadRecord { guid: Guid },
    /// REQ-4 a native client that loads mscoree.dll itself and calls its `DllGetClassObject`,
    /// without COM (SHIM-5).
    DllGetClassObject { clsid: Guid },
}

/// A class named by CLSID or by ProgID.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassRef {
    Clsid(Guid),
    ProgId(String),
}

impl Request {
    /// How the request reads in C#/C++, for output.
    pub fn describe(&self) -> String {
        match self {
            Request::GetTypeFromClsid { clsid } => {
                format!("Type.GetTypeFromCLSID(new Guid(\"{clsid}\"))")
            }
            Request::CreateInstance { clsid } => {
                format!("Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid(\"{clsid}\")))")
            }
            Request::GetTypeFromProgId {
                progid,
                throw_on_error,
                create,
            } => {
                let get = if *throw_on_error {
                    format!("Type.GetTypeFromProgID(\"{progid}\", throwOnError: true)")
                } else {
                    format!("Type.GetTypeFromProgID(\"{progid}\")")
                };
                if *create {
                    format!("Activator.CreateInstance({get})")
                } else {
                    get
                }
            }
            Request::CoCreateInstance { target, clsctx } => match target {
                ClassRef::Clsid(c) => format!("CoCreateInstance({c}, {clsctx})"),
                ClassRef::ProgId(p) => {
                    format!("CLSIDFromProgID(L\"{p}\") then CoCreateInstance(clsid, {clsctx})")
                }
            },
            Request::LoadRecord { guid } => format!("LoadCOMClass({guid}, bLoadRecord: TRUE)"),
            Request::DllGetClassObject { clsid } => format!(
                "LoadLibrary(L\"mscoree.dll\") then DllGetClassObject({clsid}, IID_IClassFactory)"
            ),
        }
    }

    /// Whether the request is made by managed code (REQ-1, 2, 3, 5) or native code (REQ-4).
    pub fn is_managed(&self) -> bool {
        !matches!(
            self,
            Request::CoCreateInstance { .. } | Request::DllGetClassObject { .. }
        )
    }
}
