//! Where a request ends: the outcome, as data.

use comsim_manifest::Guid;
use serde::Serialize;

use crate::com::ObjectApartment;
use crate::hresult::HResult;
use crate::machine::RuntimeVersion;
use crate::vfs::WinPath;

/// Where LoadCOMClass found the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The activation context (`clrClass` / `clrSurrogate`).
    Sxs,
    /// The registry (`InprocServer32`, `LocalServer32`, `Record`).
    Registry,
}

/// A managed type loaded by LoadCOMClass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedType {
    #[serde(rename = "type")]
    pub type_name: String,
    /// The loaded assembly's display name.
    pub assembly: String,
    pub path: WinPath,
    /// The runtime it was loaded into.
    pub runtime: RuntimeVersion,
    pub source: Source,
    /// Loaded as a primary interop assembly (LCC4-1, LCC4-3).
    pub pia: bool,
    /// The type is `[ComImport]`: creating it calls CoCreateInstance (REQ-2).
    pub com_import: bool,
}

/// What kind of server an activation reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// `mscoree.dll`: a managed class in a CLR started (or found) by the shim.
    InprocManaged,
    /// A native in-process DLL.
    InprocNative,
    /// A `LocalServer32` executable.
    LocalServer,
    /// An in-process DLL run out of process by a surrogate (`DllSurrogate`).
    Surrogate,
}

/// What `CoCreateInstance` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    pub kind: ServerKind,
    /// The class activated (after TreatAs).
    pub clsid: Guid,
    /// The server module: the DLL or EXE path, or `mscoree.dll`.
    pub file: String,
    /// Where the object lives: `client process`, `dllhost.exe (32-bit)`, the server's command line.
    pub process: String,
    /// The apartment of an in-process object (COM-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apartment: Option<ObjectApartment>,
    /// The CLR the managed object lives in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeVersion>,
    /// Whether that CLR was started by this activation (in-process side by side when another
    /// was already loaded).
    pub runtime_started: bool,
    /// The managed class behind mscoree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed: Option<LoadedType>,
}

/// The end of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// A managed type (REQ-1, REQ-3, REQ-5), and for REQ-2 an instance of it created in the
    /// client's runtime.
    Managed {
        #[serde(flatten)]
        loaded: Box<LoadedType>,
        created: bool,
    },
    /// `System.__ComObject` (or a PIA's ComImport wrapper) bound to a CLSID, and, when an instance
    /// was asked for, what `CoCreateInstance` then did. A native client's successful
    /// `CoCreateInstance` ends here too.
    ComObject {
        #[serde(rename = "type")]
        type_name: String,
        clsid: Guid,
        #[serde(skip_serializing_if = "Option::is_none")]
        wrapper: Option<Box<LoadedType>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        server: Option<Box<Server>>,
    },
    /// A .NET exception reaching the managed caller.
    Exception {
        exception: String,
        hresult: HResult,
        message: String,
    },
    /// A failed HRESULT returned to a native caller.
    Hresult {
        hresult: HResult,
        name: String,
        message: String,
    },
    /// A null answer: `GetTypeFromProgID` without throwOnError for an unknown ProgID, a record
    /// lookup that found nothing.
    Null { message: String },
    /// The process did not start (SXS-2), or its runtime could not be loaded.
    StartupFailure {
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        hresult: Option<HResult>,
        message: String,
    },
}

impl Outcome {
    /// The kind, as JSON spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Managed { .. } => "managed",
            Outcome::ComObject { .. } => "com_object",
            Outcome::Exception { .. } => "exception",
            Outcome::Hresult { .. } => "hresult",
            Outcome::Null { .. } => "null",
            Outcome::StartupFailure { .. } => "startup_failure",
        }
    }

    /// A field by its JSON name, as text: what scenario expectations compare. Fields of nested
    /// objects (`server.kind`, `server.apartment`, …) are reached with dots.
    pub fn field(&self, name: &str) -> Option<String> {
        let value = serde_json::to_value(self).ok()?;
        let mut cur = &value;
        for part in name.split('.') {
            cur = cur.get(part)?;
        }
        match cur {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The HRESULT of a failure.
    pub fn hresult(&self) -> Option<HResult> {
        match self {
            Outcome::Exception { hresult, .. } | Outcome::Hresult { hresult, .. } => Some(*hresult),
            Outcome::StartupFailure { hresult, .. } => *hresult,
            _ => None,
        }
    }
}
