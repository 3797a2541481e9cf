//! What an application configuration file says about starting the runtime and probing for
//! assemblies, with the location of every element so traces can point at it.

use comsim_diag::{Diagnostic, Location};
use serde::Serialize;

/// One `app.exe.config` file: the settings the activation path reads from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppConfig {
    /// The name the file was read from, as shown in diagnostics and traces.
    pub source: String,
    /// `<configuration><startup>`, if the file has one.
    pub startup: Option<Startup>,
    /// `<runtime><assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1"><probing privatePath>`:
    /// the value split on `;`, each part trimmed, empty parts dropped, in order. Only the first
    /// `privatePath` counts, as in Fusion.
    pub private_paths: Vec<String>,
    /// Where that `privatePath` attribute is.
    #[serde(skip)]
    pub private_path_location: Option<Location>,
    /// What the runtime would skip and comsim skipped too, each a warning (`config-ignored`)
    /// with its location: an `<assemblyBinding>` outside the `asm.v1` namespace, a second
    /// `privatePath`, an unknown element inside `<startup>`, …
    pub ignored: Vec<Diagnostic>,
}

/// `<startup>`: what the shim reads to choose a runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Startup {
    /// `useLegacyV2RuntimeActivationPolicy="true"`; `false` when the attribute is absent.
    pub use_legacy_v2_runtime_activation_policy: bool,
    #[serde(skip)]
    pub location: Location,
    /// `<supportedRuntime>` elements in document order (the first is the most preferred).
    pub supported_runtimes: Vec<SupportedRuntime>,
    /// The legacy `<requiredRuntime>` (the first one, if several); `sku` is always `None`.
    pub required_runtime: Option<SupportedRuntime>,
}

/// `<supportedRuntime version="v4.0" sku=".NETFramework,Version=v4.8"/>` (or `<requiredRuntime>`):
/// attribute values exactly as written, after XML attribute-value normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportedRuntime {
    pub version: String,
    pub sku: Option<String>,
    #[serde(skip)]
    pub location: Location,
}
