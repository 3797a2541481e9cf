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
    /// `<assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1"><dependentAssembly>` elements in
    /// document order, each with its `<assemblyIdentity>`, `<bindingRedirect>`s and `<codeBase>`s.
    /// One without an `<assemblyIdentity name>` is left out (and reported in `ignored`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependent_assemblies: Vec<DependentAssembly>,
    /// `<runtime><loadFromRemoteSources enabled="true"/>`: CLR 4 grants full trust to an
    /// assembly loaded from a network location instead of refusing it (BIND-4). `false` when the
    /// element is absent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub load_from_remote_sources: bool,
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

/// An assembly version `major.minor.build.revision`, each part 0 to 65535; shown and serialised
/// as `a.b.c.d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssemblyVersion(pub [u16; 4]);

impl std::fmt::Display for AssemblyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl Serialize for AssemblyVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `<dependentAssembly>`: the binding policy and locations for one assembly
/// (<https://learn.microsoft.com/dotnet/framework/configure-apps/file-schema/runtime/dependentassembly-element>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependentAssembly {
    /// `<assemblyIdentity name>`, as written.
    pub name: String,
    /// `<assemblyIdentity publicKeyToken>`: 16 hex digits, lower-cased; `None` when absent or
    /// `null`.
    pub public_key_token: Option<String>,
    /// `<assemblyIdentity culture>` as written; `None` when absent.
    pub culture: Option<String>,
    /// `<bindingRedirect>`s in document order.
    pub redirects: Vec<BindingRedirect>,
    /// `<codeBase>`s in document order.
    pub code_bases: Vec<CodeBase>,
    #[serde(skip)]
    pub location: Location,
}

/// `<bindingRedirect oldVersion="a.b.c.d[-e.f.g.h]" newVersion="w.x.y.z"/>`
/// (<https://learn.microsoft.com/dotnet/framework/configure-apps/file-schema/runtime/bindingredirect-element>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BindingRedirect {
    /// The lowest version redirected (the single version when `oldVersion` is not a range).
    pub old_low: AssemblyVersion,
    /// The highest version redirected, inclusive.
    pub old_high: AssemblyVersion,
    pub new_version: AssemblyVersion,
    #[serde(skip)]
    pub location: Location,
}

impl BindingRedirect {
    /// Whether `version` is in `oldVersion`'s range.
    pub fn covers(&self, version: AssemblyVersion) -> bool {
        self.old_low <= version && version <= self.old_high
    }
}

/// `<codeBase version="a.b.c.d" href="URL"/>`
/// (<https://learn.microsoft.com/dotnet/framework/configure-apps/file-schema/runtime/codebase-element>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeBase {
    pub version: AssemblyVersion,
    /// The URL as written.
    pub href: String,
    #[serde(skip)]
    pub location: Location,
}

impl DependentAssembly {
    /// The version the first `<bindingRedirect>` covering `version` sends it to, with that
    /// redirect; `None` when none covers it.
    pub fn redirect(&self, version: AssemblyVersion) -> Option<&BindingRedirect> {
        self.redirects.iter().find(|r| r.covers(version))
    }

    /// The first `<codeBase>` for `version`.
    pub fn code_base(&self, version: AssemblyVersion) -> Option<&CodeBase> {
        self.code_bases.iter().find(|c| c.version == version)
    }
}
