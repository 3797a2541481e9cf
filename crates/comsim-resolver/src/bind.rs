//! Binding the assembly a registration or manifest names (BIND-1..BIND-7).

use comsim_appconfig::{AssemblyVersion, BindingRedirect, CodeBase, DependentAssembly};
use comsim_manifest::Version;

use crate::hresult::{self, HResult};
use crate::machine::{AssemblyInfo, Bitness, Machine, RuntimeVersion, gac_file};
use crate::session::Session;
use crate::switches::{RemoteCodebase, SwitchValue};
use crate::trace::{BindContext, BindFacts, Rule, Trace};
use crate::vfs::{VFile, WinPath};

/// A parsed assembly display name (BIND-1). Parts not given are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssemblyName {
    pub name: String,
    /// Up to four parts; missing parts are 0.
    pub version: Option<Version>,
    /// `Some("")` is `Culture=neutral`.
    pub culture: Option<String>,
    /// `Some(None)` is `PublicKeyToken=null`; tokens are lower-case.
    pub public_key_token: Option<Option<String>>,
    pub processor_architecture: Option<String>,
}

impl AssemblyName {
    /// Whether the name carries a public key token (a strong name).
    pub fn is_strong(&self) -> bool {
        matches!(self.public_key_token, Some(Some(_)))
    }

    /// `AssemblyName.FullName`: the parts given, in the CLR's order and spelling.
    pub fn display(&self) -> String {
        let mut s = self.name.clone();
        if let Some(v) = self.version {
            s.push_str(&format!(", Version={v}"));
        }
        if let Some(c) = &self.culture {
            s.push_str(", Culture=");
            s.push_str(if c.is_empty() { "neutral" } else { c });
        }
        if let Some(t) = &self.public_key_token {
            s.push_str(", PublicKeyToken=");
            s.push_str(t.as_deref().unwrap_or("null"));
        }
        s
    }
}

/// Splits a display name at top-level commas, honouring quotes and backslash escapes.
fn split_parts(s: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::with_capacity(5);
    // Room for the longest part at once (a display name is short; growing by doubling cost
    // several copies per part).
    let mut cur = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('t') => cur.push('\t'),
                Some('r') => cur.push('\r'),
                Some('n') => cur.push('\n'),
                Some(e @ ('\\' | ',' | '=' | '\'' | '"')) => cur.push(e),
                Some(e) => return Err(format!("`\\{e}` is not an escape a display name allows")),
                None => return Err("the name ends in a lone `\\`".into()),
            },
            '\'' | '"' if quote == Some(c) => quote = None,
            '\'' | '"' if quote.is_none() && cur.trim().ends_with('=') => quote = Some(c),
            ',' if quote.is_none() => {
                parts.push(std::mem::replace(&mut cur, String::with_capacity(s.len())));
            }
            c => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("a quoted value is not closed".into());
    }
    parts.push(cur);
    Ok(parts)
}

/// A display-name version: `a.b[.c[.d]]`, each part below 65535.
fn parse_version(v: &str) -> Option<Version> {
    let mut out = [0u16; 4];
    let mut n = 0;
    for p in v.split('.') {
        if n == 4 || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 5 {
            return None;
        }
        let x: u32 = p.parse().ok()?;
        if x >= 65535 {
            return None;
        }
        out[n] = x as u16;
        n += 1;
    }
    (n >= 2).then_some(Version(out))
}

/// BIND-1: parses `Name, Version=…, Culture=…, PublicKeyToken=…, processorArchitecture=…`. Keys
/// compare case-insensitively, values may be quoted, unknown keys are ignored, a repeated key or
/// a malformed value is an error.
pub fn parse_display_name(s: &str) -> Result<AssemblyName, String> {
    let parts = split_parts(s)?;
    let name = parts[0].trim().to_owned();
    if name.is_empty() {
        return Err("the simple name is empty".into());
    }
    if name.contains(['/', '\\', ':']) {
        return Err(format!(
            "the simple name `{name}` contains `/`, `\\` or `:`"
        ));
    }
    let mut out = AssemblyName {
        name,
        version: None,
        culture: None,
        public_key_token: None,
        processor_architecture: None,
    };
    let mut seen: Vec<&str> = Vec::with_capacity(parts.len());
    for part in &parts[1..] {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{}` is not `key=value`", part.trim()))?;
        let key = key.trim();
        let value = value.trim();
        if seen.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(format!("`{}` appears twice", key.to_ascii_lowercase()));
        }
        seen.push(key);
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        if is("version") {
            out.version =
                Some(parse_version(value).ok_or_else(|| format!("`{value}` is not a version"))?);
        } else if is("culture") {
            out.culture = Some(if value.eq_ignore_ascii_case("neutral") {
                String::new()
            } else {
                value.to_owned()
            });
        } else if is("publickeytoken") {
            out.public_key_token = Some(if value.eq_ignore_ascii_case("null") {
                None
            } else if value.len() == 16 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
                Some(value.to_ascii_lowercase())
            } else {
                return Err(format!(
                    "`{value}` is not a public key token (16 hex digits or null)"
                ));
            });
        } else if is("processorarchitecture") {
            let v = value.to_ascii_lowercase();
            if !["msil", "x86", "ia64", "amd64", "arm", "none"].contains(&v.as_str()) {
                return Err(format!("`{value}` is not a processor architecture"));
            }
            out.processor_architecture = Some(v);
        }
    }
    Ok(out)
}

/// Why a bind or type load failed: the exception the caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub exception: String,
    pub hresult: HResult,
    pub message: String,
}

impl Failure {
    fn new(hr: HResult, message: String) -> Failure {
        Failure {
            exception: hr.exception_type().to_owned(),
            hresult: hr,
            message,
        }
    }
}

/// What to bind.
pub struct BindRequest<'a> {
    /// The display name as the registry or manifest gave it.
    pub display_name: &'a str,
    /// The registration's `CodeBase` hint.
    pub codebase: Option<&'a str>,
    /// The runtime doing the bind.
    pub clr: &'a RuntimeVersion,
    pub bitness: Bitness,
    /// The client process's exe (for the bind log).
    pub exe: &'a WinPath,
    /// The application base: the client exe's directory.
    pub appbase: &'a WinPath,
    /// The process's `.config`, when it has one (for the bind log).
    pub config: Option<&'a WinPath>,
    /// The process's current directory: never probed, only a relative CodeBase is resolved
    /// against it (BIND-4).
    pub cwd: &'a WinPath,
    /// `probing privatePath` of the process's config.
    pub private_paths: &'a [String],
    /// The `<dependentAssembly>` elements of the process's config: redirects (BIND-1) and
    /// codebases (BIND-4).
    pub dependent_assemblies: &'a DependentAssemblies,
    /// The config's `<loadFromRemoteSources enabled="true"/>` (BIND-4).
    pub load_from_remote_sources: bool,
    /// What CLR 4 does with an assembly a CodeBase finds on a share (BIND-4, inferred).
    pub remote_codebase: RemoteCodebase,
}

/// A bound assembly.
#[derive(Debug, Clone, Copy)]
pub struct Bound<'m> {
    pub file: &'m VFile,
    pub assembly: &'m AssemblyInfo,
}

/// What differs between a reference and a found assembly, if anything. Without a strong name
/// only the simple name and culture are compared (no version check for simple names).
fn mismatch(reference: &AssemblyName, found: &AssemblyInfo) -> Option<String> {
    if !reference.name.eq_ignore_ascii_case(&found.name) {
        return Some(format!("its name is {}", found.name));
    }
    let found_culture = found.culture.clone().unwrap_or_default();
    if let Some(c) = &reference.culture
        && !c.eq_ignore_ascii_case(&found_culture)
    {
        return Some(format!(
            "its culture is {}",
            if found_culture.is_empty() {
                "neutral"
            } else {
                &found_culture
            }
        ));
    }
    if reference.is_strong() {
        let want = reference.public_key_token.clone().flatten();
        if want != found.public_key_token {
            return Some(format!(
                "its public key token is {}",
                found.public_key_token.as_deref().unwrap_or("null")
            ));
        }
        if let Some(v) = reference.version
            && v != found.version
        {
            return Some(format!("its version is {}", found.version));
        }
    }
    None
}

/// The GAC directories a CLR searches for a process of `bitness` (BIND-2).
fn gac_dirs(clr: &RuntimeVersion, bitness: Bitness) -> Vec<&'static str> {
    let mut dirs = vec![match bitness {
        Bitness::B32 => "GAC_32",
        Bitness::B64 => "GAC_64",
    }];
    dirs.push("GAC_MSIL");
    if clr.major < 4 {
        dirs.push("GAC");
    }
    dirs
}

/// BIND-6: can this runtime and process load the assembly?
fn check_loadable(
    bound: Bound<'_>,
    req: &BindRequest<'_>,
    name: &AssemblyName,
    trace: &mut Trace,
) -> Result<(), Failure> {
    let asm = bound.assembly;
    if asm.runtime.cmp_major_minor(req.clr).is_gt() {
        trace
            .push(
                Rule::Bind6,
                format_args!(
                    "{} was built for {}, newer than the running {}: COR_E_NEWER_RUNTIME",
                    asm.name, asm.runtime, req.clr
                ),
            )
            .code("newer-runtime")
            .at(|| bound.file.path.to_string())
            .found(format_args!("ImageRuntimeVersion {}", asm.runtime));
        return Err(Failure::new(
            HResult::COR_E_NEWER_RUNTIME,
            hresult::bad_image_message(&name.display(), HResult::COR_E_NEWER_RUNTIME),
        ));
    }
    if !asm.architecture.loads_in(req.bitness) {
        trace
            .push(
                Rule::Bind6,
                format_args!(
                    "{} is processorArchitecture={}, which a {} process cannot load",
                    asm.name,
                    asm.architecture.name(),
                    req.bitness
                ),
            )
            .code("wrong-architecture")
            .at(|| bound.file.path.to_string())
            .found(format_args!(
                "processorArchitecture {}",
                asm.architecture.name()
            ));
        return Err(Failure::new(
            HResult::BAD_FORMAT,
            hresult::bad_image_message(&name.display(), HResult::BAD_FORMAT),
        ));
    }
    Ok(())
}

/// A found file becomes the bound assembly if this runtime and process can load it (BIND-6).
fn accept<'m>(
    file: &'m VFile,
    assembly: &'m AssemblyInfo,
    req: &BindRequest<'_>,
    name: &AssemblyName,
    trace: &mut Trace,
) -> Result<Bound<'m>, Failure> {
    let bound = Bound { file, assembly };
    check_loadable(bound, req, name, trace)?;
    Ok(bound)
}

/// Binds an assembly: GAC (BIND-2), application base (BIND-3), CodeBase (BIND-4), else
/// FileNotFoundException (BIND-5); then the loadability checks of BIND-6.
pub fn bind<'m>(
    machine: &'m Machine,
    req: &BindRequest<'_>,
    trace: &mut Trace,
) -> Result<Bound<'m>, Failure> {
    let requested = parse_requested(machine, req, trace)?;
    let (name, config_codebase) = apply_config(req, requested, trace);
    if let Some(result) = from_gac(machine, req, &name, trace) {
        return result;
    }
    if let Some(href) = config_codebase {
        // A <codeBase> in the application's .config is the only place looked: no probing.
        return match load_codebase(machine, req, &name, &href, Hint::Config, trace) {
            Some(result) => result,
            None => Err(not_found(
                &name,
                "the .config's <codeBase> gave no assembly, and with a <codeBase> the runtime does not probe: FileNotFoundException",
                trace,
            )),
        };
    }
    if let Some(result) = from_appbase(machine, req, &name, trace) {
        return result;
    }
    if let Some(result) = from_codebase(machine, req, &name, trace) {
        return result;
    }
    Err(not_found(
        &name,
        "the assembly is nowhere the runtime looks: FileNotFoundException",
        trace,
    ))
}

/// BIND-5: the bind ends in FileNotFoundException (MSG-3); `why` says where it stopped looking.
/// On a machine whose files are partial, the conclusion holds only if the paths nobody provided
/// are absent, and the step says so.
fn not_found(name: &AssemblyName, why: &str, trace: &mut Trace) -> Failure {
    let why = match trace.assumptions.len() {
        0 => why.to_owned(),
        n => format!(
            "{why}, provided that the {n} path(s) nobody declared are absent (the outcome's assumptions)"
        ),
    };
    trace
        .push(Rule::Bind5, why)
        .code("bind-failed")
        .found(|| HResult::FILE_NOT_FOUND.to_string());
    Failure::new(
        HResult::FILE_NOT_FOUND,
        hresult::file_not_found_message(&name.display()),
    )
}

/// Paths as a trace's `looked_at` lists them.
fn joined(paths: &[WinPath]) -> String {
    paths
        .iter()
        .map(WinPath::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a step that probed `probed` (and reached `file`) knew, for the bind log.
fn probe_facts(probed: &[WinPath], file: Option<&WinPath>) -> BindFacts {
    BindFacts {
        probed: probed.to_vec(),
        file: file.cloned(),
        ..BindFacts::default()
    }
}

/// The bind's setting, for the bind log: the runtime's directory is `Framework64` for a 64-bit
/// process and `Framework` for a 32-bit one.
fn bind_context(machine: &Machine, req: &BindRequest<'_>, name: &AssemblyName) -> BindFacts {
    let framework = match req.bitness {
        Bitness::B64 => "Framework64",
        Bitness::B32 => "Framework",
    };
    BindFacts {
        context: Some(BindContext {
            name: name.clone(),
            runtime: req.clr.clone(),
            runtime_dir: machine
                .windows
                .join(&format!(r"Microsoft.NET\{framework}\{}", req.clr.text)),
            exe: req.exe.clone(),
            appbase: req.appbase.clone(),
            config: req.config.cloned(),
            private_paths: req.private_paths.to_vec(),
        }),
        reference: Some(name.display()),
        ..BindFacts::default()
    }
}

/// BIND-1: the display name to bind, parsed; an invalid one fails with FUSION_E_INVALID_NAME.
fn parse_requested(
    machine: &Machine,
    req: &BindRequest<'_>,
    trace: &mut Trace,
) -> Result<AssemblyName, Failure> {
    let name = match parse_display_name(req.display_name) {
        Ok(n) => n,
        Err(why) => {
            trace
                .push(
                    Rule::Bind1,
                    format_args!("the display name is invalid: {why}"),
                )
                .code("display-name-invalid")
                .at(req.display_name);
            return Err(Failure::new(
                HResult::FUSION_E_INVALID_NAME,
                format!(
                    "Could not load file or assembly '{}' or one of its dependencies. {} ({})",
                    req.display_name,
                    HResult::FUSION_E_INVALID_NAME.system_message(),
                    HResult::FUSION_E_INVALID_NAME.exception_from()
                ),
            ));
        }
    };
    trace
        .push(Rule::Bind1, || {
            format!("bind {} on {}", name.display(), req.clr)
        })
        .code("bind-request")
        .at(req.display_name)
        .found(if name.is_strong() {
            "strong-named: the GAC is searched first"
        } else {
            "not strong-named: the GAC is not searched"
        })
        .bind_log(|| bind_context(machine, req, &name));
    Ok(name)
}

/// The `<dependentAssembly>` elements of a process's `.config`, in document order, with an index
/// by simple name: BIND-1 looks one up at every bind, and a scan made N binds against a config of
/// N elements cost N x N comparisons. Shared by the clones of a session (`comsim audit` clones
/// one per class).
#[derive(Debug, Clone, Default)]
pub struct DependentAssemblies {
    all: std::sync::Arc<[DependentAssembly]>,
    /// Each simple name, ASCII-lower-cased, to its elements' places in `all`, in order.
    by_name: std::sync::Arc<std::collections::HashMap<String, Vec<usize>>>,
    /// Per element of more than [`VERSIONS_SCANNED`] redirects or codebases, its versions
    /// indexed (`None` for the others, which are scanned).
    versions: std::sync::Arc<[Option<VersionIndex>]>,
}

/// Up to this many `<bindingRedirect>`s and `<codeBase>`s, an element's are scanned.
const VERSIONS_SCANNED: usize = 16;

/// The versions of one `<dependentAssembly>` with many: each version's first `<codeBase>`, and
/// the first `<bindingRedirect>` that covers each version (a single version or a range). An
/// element of N redirects and N codebases, bound at N versions, cost N x N comparisons.
#[derive(Debug, Default)]
struct VersionIndex {
    code_bases: std::collections::HashMap<AssemblyVersion, usize>,
    redirects: FirstCovering,
}

impl VersionIndex {
    fn of(d: &DependentAssembly) -> Option<VersionIndex> {
        if d.redirects.len().max(d.code_bases.len()) <= VERSIONS_SCANNED {
            return None;
        }
        let mut code_bases = std::collections::HashMap::new();
        for (i, c) in d.code_bases.iter().enumerate() {
            code_bases.entry(c.version).or_insert(i);
        }
        Some(VersionIndex {
            code_bases,
            redirects: FirstCovering::new(&d.redirects),
        })
    }
}

/// The first of a list of `<bindingRedirect>`s that covers each version. The versions are cut
/// into runs where the set of redirects covering them does not change: a run starts at each
/// redirect's lowest version and just after its highest. Each run keeps the first redirect that
/// covers it, found in one sweep over the runs in order, with the redirects begun so far in a
/// heap by their place (those that ended are dropped when they reach its top). Building costs
/// N log N for N redirects; a lookup is a binary search.
#[derive(Debug, Default)]
struct FirstCovering {
    /// Where each run starts ([`version_key`]), ascending.
    starts: Vec<u64>,
    /// The place of the first redirect covering each run.
    first: Vec<Option<usize>>,
}

/// A version as one number that orders as versions do.
fn version_key(v: AssemblyVersion) -> u64 {
    v.0.iter().fold(0, |k, &part| (k << 16) | u64::from(part))
}

impl FirstCovering {
    fn new(redirects: &[BindingRedirect]) -> Self {
        use std::cmp::Reverse;
        // A range whose low end is above its high end covers nothing.
        let mut by_low: Vec<(u64, u64, usize)> = redirects
            .iter()
            .enumerate()
            .filter(|(_, r)| r.old_low <= r.old_high)
            .map(|(i, r)| (version_key(r.old_low), version_key(r.old_high), i))
            .collect();
        by_low.sort_unstable();
        let mut starts: Vec<u64> = by_low
            .iter()
            .flat_map(|&(low, high, _)| [Some(low), high.checked_add(1)])
            .flatten()
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let mut begun = std::collections::BinaryHeap::new();
        let mut next = by_low.iter().peekable();
        let first = starts
            .iter()
            .map(|&start| {
                while let Some(&(_, high, place)) = next.next_if(|&&(low, _, _)| low <= start) {
                    begun.push(Reverse((place, high)));
                }
                while begun.peek().is_some_and(|&Reverse((_, high))| high < start) {
                    begun.pop();
                }
                begun.peek().map(|&Reverse((place, _))| place)
            })
            .collect();
        FirstCovering { starts, first }
    }

    /// The place of the first redirect that covers `version`.
    fn get(&self, version: AssemblyVersion) -> Option<usize> {
        let key = version_key(version);
        let run = self.starts.partition_point(|&s| s <= key).checked_sub(1)?;
        self.first[run]
    }
}

impl DependentAssemblies {
    /// Whether `other` holds the same elements, in the same order (everything else is made
    /// from them).
    pub fn same_elements(&self, other: &DependentAssemblies) -> bool {
        std::sync::Arc::ptr_eq(&self.all, &other.all) || self.all == other.all
    }

    pub fn new(all: Vec<DependentAssembly>) -> Self {
        let mut by_name = std::collections::HashMap::<String, Vec<usize>>::new();
        for (i, d) in all.iter().enumerate() {
            by_name
                .entry(d.name.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        let versions = all.iter().map(VersionIndex::of).collect();
        DependentAssemblies {
            all: all.into(),
            by_name: std::sync::Arc::new(by_name),
            versions,
        }
    }

    /// The elements for a simple name compared without ASCII case, in document order, each with
    /// its place.
    pub fn named<'s>(
        &'s self,
        name: &str,
    ) -> impl Iterator<Item = (usize, &'s DependentAssembly)> + 's {
        let places = self
            .by_name
            .get(&name.to_ascii_lowercase())
            .map_or(&[][..], Vec::as_slice);
        places.iter().map(|&i| (i, &self.all[i]))
    }

    /// [`DependentAssembly::redirect`] of the element at `place`: the first `<bindingRedirect>`
    /// that covers `version`.
    fn redirect(&self, place: usize, version: AssemblyVersion) -> Option<&BindingRedirect> {
        let d = &self.all[place];
        let Some(index) = &self.versions[place] else {
            return d.redirect(version);
        };
        d.redirects.get(index.redirects.get(version)?)
    }

    /// [`DependentAssembly::code_base`] of the element at `place`: the first `<codeBase>` for
    /// `version`.
    fn code_base(&self, place: usize, version: AssemblyVersion) -> Option<&CodeBase> {
        let d = &self.all[place];
        match &self.versions[place] {
            Some(index) => d.code_bases.get(*index.code_bases.get(&version)?),
            None => d.code_base(version),
        }
    }
}

/// The `<dependentAssembly>` of the process's .config for this name: same simple name (without
/// case), same public key token, and the same culture when the config gives one; the first in
/// document order.
fn dependent_assembly<'a>(
    req: &BindRequest<'a>,
    name: &AssemblyName,
) -> Option<(usize, &'a DependentAssembly)> {
    let token = name.public_key_token.clone().flatten();
    req.dependent_assemblies.named(&name.name).find(|(_, d)| {
        let culture = |c: &str| {
            if c.eq_ignore_ascii_case("neutral") {
                String::new()
            } else {
                c.to_ascii_lowercase()
            }
        };
        d.public_key_token == token
            && match (&d.culture, &name.culture) {
                (Some(want), Some(have)) => culture(want) == culture(have),
                _ => true,
            }
    })
}

/// BIND-1: the application's .config applied to the request. A `<bindingRedirect>` covering the
/// requested version of a strong-named assembly replaces it; then the `<codeBase>` for the
/// (redirected) version, if any, is where the assembly is looked for after the GAC, instead of
/// probing (BIND-4). Returns the name to bind and that codebase.
fn apply_config(
    req: &BindRequest<'_>,
    mut name: AssemblyName,
    trace: &mut Trace,
) -> (AssemblyName, Option<String>) {
    let Some((place, d)) = dependent_assembly(req, &name) else {
        return (name, None);
    };
    let (true, Some(version)) = (name.is_strong(), name.version) else {
        trace
            .push(
                Rule::Bind1,
                "the .config has a <dependentAssembly> for this name, but the request has no strong name and version: a redirect applies only to strong-named assemblies (comsim does not model a <codeBase> for a simple name either)",
            ).code("redirect-needs-strong-name")
            .at(|| d.location.to_string())
            .found("not applied");
        return (name, None);
    };
    let all = req.dependent_assemblies;
    if let Some(r) = all.redirect(place, AssemblyVersion(version.0)) {
        let new = Version(r.new_version.0);
        let old_name = name.name.clone();
        name.version = Some(new);
        trace
            .push(
                Rule::Bind1,
                format_args!("the application's .config redirects {old_name} {version} to {new}"),
            )
            .code("config-redirect")
            .at(|| r.location.to_string())
            .found(if r.old_low == r.old_high {
                format!("oldVersion {} newVersion {}", r.old_low, r.new_version)
            } else {
                format!(
                    "oldVersion {}-{} newVersion {}",
                    r.old_low, r.old_high, r.new_version
                )
            })
            .bind(BindFacts {
                reference: Some(name.display()),
                ..BindFacts::default()
            });
    }
    let version = name.version.map(|v| AssemblyVersion(v.0));
    let codebase = version
        .and_then(|v| all.code_base(place, v))
        .map(|c| c.href.clone());
    (name, codebase)
}

/// BIND-2: the GAC of the running CLR, for strong names with a version. `None` when the
/// assembly is not there (or not looked for).
fn from_gac<'m>(
    machine: &'m Machine,
    req: &BindRequest<'_>,
    name: &AssemblyName,
    trace: &mut Trace,
) -> Option<Result<Bound<'m>, Failure>> {
    let (true, Some(version)) = (name.is_strong(), name.version) else {
        return None;
    };
    let root = machine.gac_root(req.clr);
    let token = name.public_key_token.clone().flatten().unwrap_or_default();
    let mut looked = Vec::new();
    for dir in gac_dirs(req.clr, req.bitness) {
        let path = gac_file(
            &root,
            req.clr,
            dir,
            &name.name,
            &version,
            name.culture.as_deref(),
            &token,
        );
        if let Some(file) = machine.fs.get(&path)
            && let Some(asm) = file.assembly()
            && mismatch(name, asm).is_none()
        {
            trace
                .push(Rule::Bind2, format_args!("found in the GAC of {}", req.clr))
                .code("gac-hit")
                .at(|| path.to_string())
                .found(|| asm.full_name())
                .bind(probe_facts(&[], Some(&path)));
            return Some(accept(file, asm, req, name, trace));
        }
        looked.push(path);
    }
    let found = machine.fs.nothing_found(Rule::Bind2, &looked, trace);
    trace
        .push(
            Rule::Bind2,
            format_args!(
                "not in the GAC of {} (each CLR sees only its own GAC)",
                req.clr
            ),
        )
        .code("gac-miss")
        .at(|| joined(&looked))
        .found(found)
        .bind(probe_facts(&looked, None));

    None
}

/// BIND-3: the application base, then privatePath, `.dll` before `.exe`; probing stops at the
/// first file with the simple name. `None` when nothing is there.
fn from_appbase<'m>(
    machine: &'m Machine,
    req: &BindRequest<'_>,
    name: &AssemblyName,
    trace: &mut Trace,
) -> Option<Result<Bound<'m>, Failure>> {
    let mut dirs = vec![req.appbase.clone()];
    for entry in req.private_paths {
        match private_path_dir(req.appbase, entry) {
            Ok(dir) => dirs.push(dir),
            Err(why) => {
                trace
                    .push(
                        Rule::Bind3,
                        format_args!("privatePath `{entry}` is not probed: {why}"),
                    )
                    .code("private-path-ignored")
                    .at(entry.clone())
                    .found("skipped");
            }
        }
    }
    let culture_dir = name.culture.clone().filter(|c| !c.is_empty());
    let mut looked = Vec::new();
    for ext in ["dll", "exe"] {
        for dir in &dirs {
            let base = match &culture_dir {
                Some(c) => dir.join(c),
                None => dir.clone(),
            };
            for path in [
                base.join(&format!("{}.{ext}", name.name)),
                base.join(&format!("{0}\\{0}.{ext}", name.name)),
            ] {
                let Some(file) = machine.fs.get(&path) else {
                    looked.push(path);
                    continue;
                };
                // What probing stops at rests on the earlier probes being empty: on a machine
                // whose files are partial, an undeclared one is an assumption (as at SXS-2).
                for p in looked.iter().filter(|p| machine.fs.is_unknown(p)) {
                    trace.assume(Rule::Bind3, p);
                }
                // Probing stops at the first file with the simple name.
                let Some(asm) = file.assembly() else {
                    trace
                        .push(
                            Rule::Bind3,
                            "probing stopped at a file that is not an assembly",
                        )
                        .code("probe-not-assembly")
                        .at(|| path.to_string())
                        .found("a native image")
                        .bind(probe_facts(&looked, Some(&path)));
                    return Some(Err(Failure::new(
                        HResult::BAD_FORMAT,
                        hresult::bad_image_message(&name.display(), HResult::BAD_FORMAT),
                    )));
                };
                if let Some(why) = mismatch(name, asm) {
                    trace
                        .push(
                            Rule::Bind3,
                            format_args!("probing stopped at {}, but {why}", file.path),
                        )
                        .code("probe-mismatch")
                        .at(|| path.to_string())
                        .found(|| asm.full_name())
                        .bind(probe_facts(&looked, Some(&path)));
                    return Some(Err(Failure::new(
                        HResult::FUSION_E_REF_DEF_MISMATCH,
                        hresult::ref_def_mismatch_message(&name.display()),
                    )));
                }
                trace
                    .push(Rule::Bind3, "found in the application base")
                    .code("appbase-hit")
                    .at(|| file.path.to_string())
                    .found(|| asm.full_name())
                    .bind(probe_facts(&looked, Some(&path)));
                return Some(accept(file, asm, req, name, trace));
            }
        }
    }
    let found = machine.fs.nothing_found(Rule::Bind3, &looked, trace);
    trace
        .push(
            Rule::Bind3,
            format_args!("not in the application base {}", req.appbase),
        )
        .code("appbase-miss")
        .at(|| joined(&looked))
        .found(found)
        .bind(probe_facts(&looked, None));

    None
}

/// BIND-3: the directory a `privatePath` entry names, or why it is not probed. An entry names a
/// subdirectory of the application base: one that is absolute, or that climbs out of the
/// application base once `.` and `..` are resolved, is skipped, as Fusion logs "not probing
/// location …, because the location falls outside of the appbase".
fn private_path_dir(appbase: &WinPath, entry: &str) -> Result<WinPath, String> {
    let bytes = entry.as_bytes();
    let absolute = entry.starts_with(['\\', '/'])
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':');
    if absolute {
        return Err(format!(
            "privatePath takes directories relative to the application base {appbase}, and this one is absolute"
        ));
    }
    let dir = appbase.join(entry);
    if !dir.starts_with(appbase) {
        return Err(format!(
            "{dir} falls outside of the application base {appbase}"
        ));
    }
    Ok(dir)
}

/// BIND-4: the file a CodeBase names. A URL (`scheme://…`, and the `file:` forms regasm and
/// users write) is read as one; a value that is not a URL is a path, made absolute with
/// `GetFullPath` in the process's current directory, as the CLR's `VerifyCodeBase` does.
fn codebase_path(url: &str, cwd: &WinPath, trace: &mut Trace) -> Option<WinPath> {
    if url
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
        || is_url(url)
    {
        return WinPath::from_file_url(url);
    }
    // An empty CodeBase is no CodeBase (`VerifyCodeBase` returns null).
    if url.is_empty() {
        return None;
    }
    let path = WinPath::full_path(cwd, url)?;
    if WinPath::parse(url).is_err() {
        trace
            .push(
                Rule::Bind4,
                format_args!("the CodeBase is a relative path, not a URL: resolved against the current directory {cwd}"),
            ).code("codebase-relative")
            .at(url)
            .found(|| path.to_file_url());
    }
    Some(path)
}

/// `scheme://` or `scheme:\\`: what `VerifyCodeBase` leaves as a URL.
fn is_url(s: &str) -> bool {
    s.find(':').is_some_and(|j| {
        let rest = s.as_bytes().get(j + 1..j + 3);
        rest.is_some_and(|r| r.iter().all(|c| *c == b'/' || *c == b'\\'))
    })
}

/// BIND-4: the CodeBase hint; the file must be the assembly asked for. `None` when there is no
/// usable hint.
fn from_codebase<'m>(
    machine: &'m Machine,
    req: &BindRequest<'_>,
    name: &AssemblyName,
    trace: &mut Trace,
) -> Option<Result<Bound<'m>, Failure>> {
    match req.codebase {
        None => {
            trace
                .push(
                    Rule::Bind4,
                    "no CodeBase was registered (regasm without /codebase)",
                )
                .code("codebase-absent")
                .found("no hint");
        }
        Some(url) => {
            return load_codebase(machine, req, name, url, Hint::Registration, trace);
        }
    }
    None
}

/// Which CodeBase a BIND-4 step follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// The registration's `CodeBase` value: a bind by location (a where-ref bind).
    Registration,
    /// The `.config`'s `<codeBase>`: part of the by-name bind.
    Config,
}

impl Hint {
    fn what(self) -> &'static str {
        match self {
            Hint::Registration => "the CodeBase",
            Hint::Config => "the .config's <codeBase>",
        }
    }

    /// The bind log's data of a step about the file at `path`.
    fn facts(self, path: &WinPath) -> BindFacts {
        BindFacts {
            file: Some(path.clone()),
            where_ref: self == Hint::Registration,
            ..BindFacts::default()
        }
    }
}

/// BIND-4: the file a CodeBase (the registration's or the .config's) names; it must be the
/// assembly asked for. `None` when it names no file the simulator can follow.
fn load_codebase<'m>(
    machine: &'m Machine,
    req: &BindRequest<'_>,
    name: &AssemblyName,
    url: &str,
    hint: Hint,
    trace: &mut Trace,
) -> Option<Result<Bound<'m>, Failure>> {
    let what = hint.what();
    let Some(path) = codebase_path(url, req.cwd, trace) else {
        trace
            .push(
                Rule::Bind4,
                format_args!("{what} is not a file: URL the simulator can follow"),
            )
            .code("codebase-not-file-url")
            .at(url)
            .found("ignored")
            .bind(BindFacts {
                where_ref: hint == Hint::Registration,
                ..BindFacts::default()
            });
        return None;
    };
    let Some(file) = machine.fs.get(&path) else {
        if machine.fs.is_unknown(&path) {
            trace.assume(Rule::Bind4, &path);
            trace
                .push(Rule::Bind4, format_args!("{what} file is not provided"))
                .code("codebase-not-provided")
                .at(url)
                .found(format_args!("{path}: {}", crate::vfs::NOT_PROVIDED))
                .bind(hint.facts(&path));
            return None;
        }
        trace
            .push(Rule::Bind4, format_args!("{what} file does not exist"))
            .code("codebase-file-missing")
            .at(url)
            .found(format_args!("no file {path}"))
            .bind(hint.facts(&path));
        return None;
    };
    let Some(asm) = file.assembly() else {
        trace
            .push(Rule::Bind4, format_args!("{what} file is not an assembly"))
            .code("codebase-not-assembly")
            .at(url)
            .found("a native image")
            .bind(hint.facts(&path));
        return Some(Err(Failure::new(
            HResult::BAD_FORMAT,
            hresult::bad_image_message(&name.display(), HResult::BAD_FORMAT),
        )));
    };
    // The file loaded from a hint must be the assembly asked for: name and culture, and for a
    // strong name also token and version (simple names are not version-checked).
    let strict = AssemblyName {
        public_key_token: Some(name.public_key_token.clone().flatten()),
        ..name.clone()
    };
    if let Some(why) = mismatch(&strict, asm) {
        trace
            .push(
                Rule::Bind4,
                format_args!("{what} file is another assembly: {why}"),
            )
            .code("codebase-other-assembly")
            .at(url)
            .found(|| asm.full_name())
            .bind(hint.facts(&path));
        return Some(Err(Failure::new(
            HResult::FUSION_E_REF_DEF_MISMATCH,
            hresult::ref_def_mismatch_message(&name.display()),
        )));
    }
    if path.is_on_share()
        && let Some(refused) = remote_source(req, name, &path, what, trace)
    {
        return Some(Err(refused));
    }
    trace
        .push(Rule::Bind4, format_args!("loaded from {what}"))
        .code("codebase-loaded")
        .at(url)
        .found(|| asm.full_name())
        .bind(hint.facts(&path));
    Some(accept(file, asm, req, name, trace))
}

/// BIND-4: an assembly a CodeBase finds on a network share. CLR 2's code access security
/// gives it the LocalIntranet zone's permissions (partial trust); CLR 4 has no CAS policy, and
/// whether COM's load refuses it as `Assembly.LoadFrom` does (0x80131515, unless the `.config`
/// enables `<loadFromRemoteSources>`) is inferred (`remote-codebase`). `Some` is the refusal.
fn remote_source(
    req: &BindRequest<'_>,
    name: &AssemblyName,
    path: &WinPath,
    what: &str,
    trace: &mut Trace,
) -> Option<Failure> {
    if req.clr.is_pre_v4() {
        trace
            .push(
                Rule::Bind4,
                format_args!("{what} file is on a network share: CLR {} gives it the LocalIntranet zone, so it loads partially trusted (the LocalIntranet permission set; code that needs more gets a SecurityException when it runs)", req.clr.family()),
            ).code("codebase-share-zone")
            .at(|| path.to_string())
            .found("LocalIntranet zone: partial trust");
        return None;
    }
    let choice = req.remote_codebase;
    let setting = choice.setting();
    match choice {
        RemoteCodebase::Load => {
            trace
                .push(
                    Rule::Bind4,
                    format_args!("{what} file is on a network share: CLR {} has no CAS policy, and COM's load does not ask for the remote-source check, so it loads in full trust", req.clr.family()),
                ).code("codebase-share-loaded")
                .at(|| path.to_string())
                .found("full trust")
                .inferred(setting);
            None
        }
        RemoteCodebase::Refuse if req.load_from_remote_sources => {
            trace
                .push(
                    Rule::Bind4,
                    format_args!("{what} file is on a network share; the .config's <loadFromRemoteSources enabled=\"true\"/> lets CLR {} load it in full trust", req.clr.family()),
                ).code("codebase-share-allowed")
                .at(|| path.to_string())
                .found("full trust")
                .inferred(setting);
            None
        }
        RemoteCodebase::Refuse => {
            trace
                .push(
                    Rule::Bind4,
                    format_args!("{what} file is on a network share: CLR {} refuses it (NotSupportedException: it would have been sandboxed by earlier versions' CAS policy, and the .config does not enable <loadFromRemoteSources>)", req.clr.family()),
                ).code("codebase-share-refused")
                .at(|| path.to_string())
                .found(|| HResult::COR_E_NOTSUPPORTED.to_string())
                .inferred(setting);
            Some(Failure {
                exception: "System.IO.FileLoadException".to_owned(),
                hresult: HResult::COR_E_NOTSUPPORTED,
                message: hresult::remote_source_message(&name.display()),
            })
        }
    }
}

/// BIND-7: `Assembly.GetType(class)`.
pub fn find_type<'m>(
    bound: Bound<'m>,
    class: &str,
    trace: &mut Trace,
) -> Result<&'m crate::machine::TypeInfo, Failure> {
    match bound.assembly.find_type(class) {
        Some(t) => {
            trace
                .push(Rule::Bind7, format_args!("type {class} found"))
                .code("type-found")
                .at(|| bound.file.path.to_string())
                .found(format!("{:?}", t.kind).to_lowercase());
            Ok(t)
        }
        None => {
            trace
                .push(
                    Rule::Bind7,
                    format_args!("no type {class} in {}", bound.assembly.name),
                )
                .code("type-missing")
                .at(|| bound.file.path.to_string())
                .found("TypeLoadException");
            Err(Failure::new(
                HResult::COR_E_TYPELOAD,
                hresult::type_load_message(class, &bound.assembly.full_name()),
            ))
        }
    }
}

impl Session<'_> {
    /// Binds and finds the type: the file, the assembly's full name, whether it is `[ComImport]`.
    pub(crate) fn bind_type(
        &self,
        display_name: &str,
        class: &str,
        codebase: Option<&str>,
        clr: &RuntimeVersion,
        trace: &mut Trace,
    ) -> Result<(WinPath, String, bool), Failure> {
        let appbase = self.p.exe.parent();
        let req = BindRequest {
            display_name,
            codebase,
            clr,
            bitness: self.p.bitness,
            exe: &self.p.exe,
            appbase: &appbase,
            config: self.config.path.as_ref(),
            cwd: &self.p.cwd,
            private_paths: &self.config.private_paths,
            dependent_assemblies: &self.config.dependent_assemblies,
            load_from_remote_sources: self.config.load_from_remote_sources,
            remote_codebase: self.sw.remote_codebase(),
        };
        let bound = match &self.bind_memo {
            Some(memo) => memo.bind(self.m, &req, trace)?,
            None => bind(self.m, &req, trace)?,
        };
        let t = find_type(bound, class, trace)?;
        Ok((
            bound.file.path.clone(),
            bound.assembly.full_name(),
            t.com_import,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind1_parses_full_names_and_sxs_translations() {
        let n = parse_display_name(
            "Contoso.Widget, Version=1.0.0.0, Culture=neutral, PublicKeyToken=0123456789ABCDEF",
        )
        .unwrap();
        assert_eq!(n.version, Some(Version([1, 0, 0, 0])));
        assert_eq!(n.culture.as_deref(), Some(""));
        assert!(n.is_strong());
        assert_eq!(
            n.display(),
            "Contoso.Widget, Version=1.0.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef"
        );
        // SXS-7 output: lower-case, quoted, unknown keys.
        let s = parse_display_name(
            "contoso.widget,type=\"win32\",version=\"1.0.0.0\",publickeytoken=null,culture=neutral",
        )
        .unwrap();
        assert_eq!(s.name, "contoso.widget");
        assert_eq!(s.public_key_token, Some(None));
        assert_eq!(s.version, Some(Version([1, 0, 0, 0])));
    }

    #[test]
    fn bind1_rejects_duplicates_and_bad_values() {
        assert!(parse_display_name("A, Version=1.0, version=2.0").is_err());
        assert!(parse_display_name("A, PublicKeyToken=123").is_err());
        assert!(parse_display_name("A, Version=1").is_err());
        assert!(parse_display_name("A, Version=1.65535").is_err());
        assert!(parse_display_name(", Version=1.0").is_err());
        assert!(parse_display_name("A, Culture='x").is_err());
        assert!(parse_display_name("A, Foo=bar").is_ok());
    }

    #[test]
    fn bind3_private_path_outside_the_appbase_is_not_probed() {
        let appbase = WinPath::parse(r"C:\App").unwrap();
        let dir = |e: &str| private_path_dir(&appbase, e).map(|d| d.to_string());
        assert_eq!(dir("bin").unwrap(), r"C:\App\bin");
        assert_eq!(dir(r"bin\..\lib").unwrap(), r"C:\App\lib");
        assert_eq!(dir(r".\bin\").unwrap(), r"C:\App\bin");
        assert_eq!(dir(r"..\App\lib").unwrap(), r"C:\App\lib");
        let outside = dir(r"..\Shared").unwrap_err();
        assert!(outside.contains(r"C:\Shared falls outside of the application base C:\App"));
        assert!(dir(r"bin\..\..").is_err());
        assert!(dir(r"C:\Shared").unwrap_err().contains("absolute"));
        assert!(dir(r"\Shared").unwrap_err().contains("absolute"));
        assert!(dir(r"\\server\share").unwrap_err().contains("absolute"));
    }

    /// BIND-4: a CodeBase that is not a URL is a path, made absolute in the current directory
    /// as the CLR's `VerifyCodeBase` does; URLs (and the `file:` forms) are read as before, and
    /// a UNC path names a file on a share.
    #[test]
    fn bind4_a_codebase_that_is_not_a_url_is_resolved_against_the_current_directory() {
        let cwd = WinPath::parse(r"D:\Work").unwrap();
        let mut trace = Trace::default();
        let path = |s: &str, t: &mut Trace| codebase_path(s, &cwd, t).map(|p| p.to_string());
        assert_eq!(path("W.dll", &mut trace).as_deref(), Some(r"D:\Work\W.dll"));
        assert_eq!(trace.steps.len(), 1, "the resolution is a trace step");
        assert_eq!(
            path(r"..\lib\W.dll", &mut trace).as_deref(),
            Some(r"D:\lib\W.dll")
        );
        assert_eq!(
            path(r"\Shared\W.dll", &mut trace).as_deref(),
            Some(r"D:\Shared\W.dll")
        );
        assert_eq!(
            path(r"C:\Lib\W.dll", &mut trace).as_deref(),
            Some(r"C:\Lib\W.dll")
        );
        assert_eq!(
            path("file:///C:/Lib/W.dll", &mut trace).as_deref(),
            Some(r"C:\Lib\W.dll")
        );
        assert_eq!(path("http://example.com/W.dll", &mut trace), None);
        assert_eq!(path("", &mut trace), None);
        assert_eq!(
            path(r"\\server\share\W.dll", &mut trace).as_deref(),
            Some(r"\\server\share\W.dll")
        );
        assert_eq!(
            path("file://server/share/W.dll", &mut trace).as_deref(),
            Some(r"\\server\share\W.dll")
        );
        assert!(is_url("http://x/y") && is_url(r"file:\\x") && !is_url(r"C:\x"));
    }

    /// A request bound with the `<dependentAssembly>`s of `config`, through [`apply_config`].
    fn configured(config: &str, display_name: &str) -> (AssemblyName, Option<String>, Trace) {
        let cfg = comsim_appconfig::parse_config_str(
            "Client.exe.config",
            &format!(
                r#"<configuration><runtime><assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1">{config}</assemblyBinding></runtime></configuration>"#
            ),
        )
        .unwrap();
        let clr = RuntimeVersion::parse("v4.0.30319").unwrap();
        let appbase = WinPath::parse(r"C:\App").unwrap();
        let req = BindRequest {
            display_name,
            codebase: None,
            clr: &clr,
            bitness: Bitness::B64,
            exe: &appbase,
            appbase: &appbase,
            config: None,
            cwd: &appbase,
            private_paths: &[],
            dependent_assemblies: &DependentAssemblies::new(cfg.dependent_assemblies.clone()),
            load_from_remote_sources: false,
            remote_codebase: RemoteCodebase::Load,
        };
        let mut trace = Trace::default();
        let name = parse_display_name(display_name).unwrap();
        let (name, codebase) = apply_config(&req, name, &mut trace);
        (name, codebase, trace)
    }

    const GAUGES: &str = r#"<dependentAssembly>
        <assemblyIdentity name="Fabrikam.Gauges" publicKeyToken="5f3c2a1b0e9d8c7a" culture="neutral"/>
        <bindingRedirect oldVersion="1.0.0.0-1.5.0.0" newVersion="2.0.0.0"/>
        <codeBase version="2.0.0.0" href="file:///C:/Vendor/Fabrikam.Gauges.dll"/>
        <codeBase version="1.8.0.0" href="file:///C:/Old/Fabrikam.Gauges.dll"/>
      </dependentAssembly>"#;

    #[test]
    fn bind1_a_config_redirect_replaces_the_requested_version_of_a_strong_name() {
        let (name, _, trace) = configured(
            GAUGES,
            "fabrikam.gauges, Version=1.2.0.0, Culture=neutral, PublicKeyToken=5F3C2A1B0E9D8C7A",
        );
        assert_eq!(name.version, Some(Version([2, 0, 0, 0])));
        let [step] = &trace.steps[..] else {
            panic!("{trace:?}")
        };
        assert_eq!(step.rule, Rule::Bind1);
        assert!(
            step.text
                .contains("redirects fabrikam.gauges 1.2.0.0 to 2.0.0.0"),
            "{}",
            step.text
        );
        assert_eq!(step.looked_at.as_deref(), Some("Client.exe.config:3:9"));
        // Outside the range, another token, another culture: no redirect.
        for other in [
            "Fabrikam.Gauges, Version=1.5.0.1, Culture=neutral, PublicKeyToken=5f3c2a1b0e9d8c7a",
            "Fabrikam.Gauges, Version=1.2.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef",
            "Fabrikam.Gauges, Version=1.2.0.0, Culture=de-DE, PublicKeyToken=5f3c2a1b0e9d8c7a",
        ] {
            let (name, _, trace) = configured(GAUGES, other);
            assert_ne!(name.version, Some(Version([2, 0, 0, 0])), "{other}");
            assert!(trace.steps.is_empty(), "{other}");
        }
    }

    /// BIND-1 looks the `<dependentAssembly>` up by simple name (an index, not a scan): the first
    /// in document order with the name in any ASCII case, the token, and a culture that agrees.
    #[test]
    fn bind1_the_first_dependent_assembly_that_matches_applies() {
        let config = r#"<dependentAssembly><assemblyIdentity name="Fabrikam.Gauges" publicKeyToken="0000000000000001"/>
            <bindingRedirect oldVersion="1.0.0.0" newVersion="9.0.0.0"/></dependentAssembly>
          <dependentAssembly><assemblyIdentity name="FABRIKAM.GAUGES" publicKeyToken="5f3c2a1b0e9d8c7a" culture="fr"/>
            <bindingRedirect oldVersion="1.0.0.0" newVersion="8.0.0.0"/></dependentAssembly>
          <dependentAssembly><assemblyIdentity name="Fabrikam.Dials" publicKeyToken="5f3c2a1b0e9d8c7a"/>
            <bindingRedirect oldVersion="1.0.0.0" newVersion="7.0.0.0"/></dependentAssembly>
          <dependentAssembly><assemblyIdentity name="fabrikam.gauges" publicKeyToken="5f3c2a1b0e9d8c7a"/>
            <bindingRedirect oldVersion="1.0.0.0" newVersion="2.0.0.0"/></dependentAssembly>
          <dependentAssembly><assemblyIdentity name="Fabrikam.Gauges" publicKeyToken="5f3c2a1b0e9d8c7a"/>
            <bindingRedirect oldVersion="1.0.0.0" newVersion="3.0.0.0"/></dependentAssembly>"#;
        let (name, _, _) = configured(
            config,
            "Fabrikam.Gauges, Version=1.0.0.0, Culture=neutral, PublicKeyToken=5f3c2a1b0e9d8c7a",
        );
        assert_eq!(name.version, Some(Version([2, 0, 0, 0])));
        let (name, _, _) = configured(
            config,
            "Fabrikam.Gauges, Version=1.0.0.0, Culture=fr, PublicKeyToken=5f3c2a1b0e9d8c7a",
        );
        assert_eq!(
            name.version,
            Some(Version([8, 0, 0, 0])),
            "the culture agrees"
        );
        let (name, _, trace) = configured(
            config,
            "Fabrikam.Meters, Version=1.0.0.0, Culture=neutral, PublicKeyToken=5f3c2a1b0e9d8c7a",
        );
        assert_eq!(
            name.version,
            Some(Version([1, 0, 0, 0])),
            "no element names it"
        );
        assert!(trace.steps.is_empty());
    }

    /// BIND-1, BIND-4: an element of many `<bindingRedirect>`s and `<codeBase>`s answers from its
    /// index what the scans answer: the first redirect that covers the version (a single version
    /// or a range, whichever comes first) and the first codebase for it.
    #[test]
    fn bind1_the_first_covering_redirect_is_found_as_the_scan_finds_it() {
        // Redirects drawn from a few versions (so that they overlap, nest, repeat and touch),
        // singles and ranges, some reversed (covering nothing), and the versions at both ends of
        // the version space; every redirect's ends and the versions beside them are looked up.
        let mut rng = comsim_rng::Xorshift64::new(0x2545_F491_4F6C_DD1D);
        let mut next = |n: u64| rng.bits() % n;
        let points = [
            [0, 0, 0, 0],
            [0, 0, 0, 1],
            [1, 0, 0, 0],
            [1, 0, 0, 5],
            [1, 0, 65535, 65535],
            [1, 1, 0, 0],
            [2, 0, 0, 0],
            [65535, 65535, 65535, 65534],
            [65535, 65535, 65535, 65535],
        ]
        .map(AssemblyVersion);
        for round in 0..300 {
            let n = 1 + next(40) as usize;
            let redirects: Vec<BindingRedirect> = (0..n)
                .map(|_| {
                    let low = points[next(points.len() as u64) as usize];
                    let high = if next(3) == 0 {
                        low
                    } else {
                        points[next(points.len() as u64) as usize]
                    };
                    BindingRedirect {
                        old_low: low,
                        old_high: high,
                        new_version: low,
                        location: comsim_diag::Location::new("c", 1, 1),
                    }
                })
                .collect();
            let index = FirstCovering::new(&redirects);
            // The version just below or above `v`, or `v` itself at either end of the space.
            let beside = |v: AssemblyVersion, up: bool| {
                let k = version_key(v);
                let k = if up {
                    k.saturating_add(1)
                } else {
                    k.saturating_sub(1)
                };
                AssemblyVersion([
                    (k >> 48) as u16,
                    (k >> 32) as u16,
                    (k >> 16) as u16,
                    k as u16,
                ])
            };
            for v in points {
                for probe in [beside(v, false), v, beside(v, true)] {
                    let scan = redirects.iter().position(|r| r.covers(probe));
                    assert_eq!(
                        index.get(probe),
                        scan,
                        "round {round}: {probe} in {redirects:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn bind1_an_element_of_many_versions_answers_as_its_scans() {
        let v = |b: u16, r: u16| format!("1.0.{b}.{r}");
        let mut body = String::new();
        for r in 0..30u16 {
            // Singles, a range over some of them placed before them, a repeated single.
            if r == 10 {
                body.push_str(&format!(
                    r#"<bindingRedirect oldVersion="{}-{}" newVersion="7.0.0.0"/>"#,
                    v(0, 12),
                    v(0, 20)
                ));
            }
            body.push_str(&format!(
                r#"<bindingRedirect oldVersion="{}" newVersion="{}"/>"#,
                v(0, r),
                v(9, r)
            ));
            if r % 7 == 0 {
                body.push_str(&format!(
                    r#"<bindingRedirect oldVersion="{}" newVersion="8.0.0.0"/>"#,
                    v(0, r)
                ));
            }
            body.push_str(&format!(
                r#"<codeBase version="{}" href="file:///C:/L/{r}.dll"/><codeBase version="{}" href="file:///C:/L/{r}-again.dll"/>"#,
                v(9, r),
                v(9, r)
            ));
        }
        body.push_str(&format!(
            r#"<bindingRedirect oldVersion="{}-{}" newVersion="6.0.0.0"/>"#,
            v(0, 25),
            v(0, 40)
        ));
        let cfg = comsim_appconfig::parse_config_str(
            "Client.exe.config",
            &format!(
                r#"<configuration><runtime><assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1"><dependentAssembly><assemblyIdentity name="Many" publicKeyToken="5f3c2a1b0e9d8c7a"/>{body}</dependentAssembly></assemblyBinding></runtime></configuration>"#
            ),
        )
        .unwrap();
        let d = &cfg.dependent_assemblies[0];
        assert!(d.redirects.len() > VERSIONS_SCANNED);
        let all = DependentAssemblies::new(cfg.dependent_assemblies.clone());
        assert!(all.versions[0].is_some(), "indexed");
        for b in [0u16, 9] {
            for r in 0..45u16 {
                let version = AssemblyVersion([1, 0, b, r]);
                let loc = |x: Option<&BindingRedirect>| x.map(|x| x.location.to_string());
                assert_eq!(
                    loc(all.redirect(0, version)),
                    loc(d.redirect(version)),
                    "{version}"
                );
                let href = |x: Option<&CodeBase>| x.map(|x| x.href.clone());
                assert_eq!(
                    href(all.code_base(0, version)),
                    href(d.code_base(version)),
                    "{version}"
                );
            }
        }
    }

    #[test]
    fn bind1_a_config_redirect_does_not_apply_without_a_strong_name() {
        let config = r#"<dependentAssembly><assemblyIdentity name="Local"/>
            <bindingRedirect oldVersion="1.0.0.0" newVersion="2.0.0.0"/>
            <codeBase version="1.0.0.0" href="file:///C:/Vendor/Local.dll"/></dependentAssembly>"#;
        let (name, codebase, trace) =
            configured(config, "Local, Version=1.0.0.0, PublicKeyToken=null");
        assert_eq!(name.version, Some(Version([1, 0, 0, 0])));
        assert_eq!(codebase, None);
        assert_eq!(trace.steps.len(), 1);
        assert!(trace.steps[0].text.contains("only to strong-named"));
    }

    #[test]
    fn bind4_a_config_codebase_is_the_one_for_the_redirected_version() {
        let (_, codebase, _) = configured(
            GAUGES,
            "Fabrikam.Gauges, Version=1.0.0.0, Culture=neutral, PublicKeyToken=5f3c2a1b0e9d8c7a",
        );
        assert_eq!(
            codebase.as_deref(),
            Some("file:///C:/Vendor/Fabrikam.Gauges.dll")
        );
        let (_, codebase, _) = configured(
            GAUGES,
            "Fabrikam.Gauges, Version=1.8.0.0, Culture=neutral, PublicKeyToken=5f3c2a1b0e9d8c7a",
        );
        assert_eq!(
            codebase.as_deref(),
            Some("file:///C:/Old/Fabrikam.Gauges.dll")
        );
        let (_, codebase, _) = configured(
            GAUGES,
            "Fabrikam.Gauges, Version=3.0.0.0, Culture=neutral, PublicKeyToken=5f3c2a1b0e9d8c7a",
        );
        assert_eq!(codebase, None);
    }

    /// BIND-4: an assembly a CodeBase finds on a share (`file://server/share/x.dll`) loads under
    /// CLR 2 (partially trusted, LocalIntranet zone). Under CLR 4 it loads with
    /// `remote-codebase=load`, and with `refuse` fails with FileLoadException 0x80131515 unless
    /// the `.config` enables `<loadFromRemoteSources>`.
    #[test]
    fn bind4_a_codebase_on_a_network_share_follows_the_clr_and_the_switch() {
        use crate::vfs::FileKind;
        let mut m = Machine::new(Bitness::B64);
        let path = WinPath::parse(r"\\FileSrv\Tools\Contoso.Gauges.dll").unwrap();
        let asm = AssemblyInfo::plain("Contoso.Gauges", "v2.0.50727", &["Contoso.Gauges.Dial"]);
        m.fs.insert(VFile {
            path: path.clone(),
            kind: FileKind::Assembly(Box::new(asm)),
            bytes: Vec::new(),
            embedded_manifest: None,
            origin: "test".into(),
        })
        .unwrap();
        let appbase = WinPath::parse(r"C:\App").unwrap();
        let run = |clr: &str, remote: RemoteCodebase, enabled: bool| {
            let clr = RuntimeVersion::parse(clr).unwrap();
            let req = BindRequest {
                display_name: "Contoso.Gauges, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
                codebase: Some("file://FileSrv/Tools/Contoso.Gauges.dll"),
                clr: &clr,
                bitness: Bitness::B64,
                exe: &appbase,
                appbase: &appbase,
                config: None,
                cwd: &appbase,
                private_paths: &[],
                dependent_assemblies: &DependentAssemblies::default(),
                load_from_remote_sources: enabled,
                remote_codebase: remote,
            };
            let mut trace = Trace::default();
            let r = bind(&m, &req, &mut trace).map(|b| b.file.path.to_string());
            let step = trace
                .steps
                .iter()
                .find(|t| t.text.contains("network share"))
                .map(|t| (t.found.clone().unwrap_or_default(), t.inferred.clone()));
            (r.map_err(|f| (f.exception, f.hresult)), step)
        };
        let on_share = Ok(path.to_string());
        let (r, step) = run("v2.0.50727", RemoteCodebase::Refuse, false);
        assert_eq!(r, on_share);
        assert_eq!(
            step,
            Some(("LocalIntranet zone: partial trust".into(), None))
        );
        let (r, step) = run("v4.0.30319", RemoteCodebase::Load, false);
        assert_eq!(r, on_share);
        assert_eq!(
            step,
            Some(("full trust".into(), Some("remote-codebase=load".into())))
        );
        let (r, _) = run("v4.0.30319", RemoteCodebase::Refuse, false);
        assert_eq!(
            r,
            Err((
                "System.IO.FileLoadException".to_owned(),
                HResult::COR_E_NOTSUPPORTED
            ))
        );
        let (r, step) = run("v4.0.30319", RemoteCodebase::Refuse, true);
        assert_eq!(r, on_share);
        assert_eq!(
            step,
            Some(("full trust".into(), Some("remote-codebase=refuse".into())))
        );
    }
}
