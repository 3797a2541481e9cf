//! .NET Framework application configuration files (`app.exe.config`) for comsim.
//!
//! [`parse_config`] reads the file's bytes (UTF-8, or UTF-16 with a byte order mark) on
//! quick-xml's namespace-aware reader into an [`AppConfig`]: the `<startup>` element the shim
//! reads to choose a runtime (`useLegacyV2RuntimeActivationPolicy`, `<supportedRuntime>`,
//! `<requiredRuntime>`), the `<probing privatePath>` Fusion probes and each `<dependentAssembly>`'s
//! `<assemblyIdentity>`, `<bindingRedirect>`s and `<codeBase>`s the binder applies (BIND-1, BIND-2). Malformed input is a
//! [`comsim_diag::Diagnostic`] naming file, line and column; what the runtime would skip is kept
//! as warnings in [`AppConfig::ignored`].

pub mod codes;
mod model;
mod parse;

pub use model::{
    AppConfig, AssemblyVersion, BindingRedirect, CodeBase, DependentAssembly, Startup,
    SupportedRuntime,
};
pub use parse::parse_version;
pub use parse::{ASM_V1, MAX_DEPTH, SXS_REJECTS, parse_config, parse_config_str};
