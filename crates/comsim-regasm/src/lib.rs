//! regasm over the machine model: what `RegAsm.exe` prints and what it does to the registry.
//!
//! [`run`] takes the machine, the regasm that runs ([`Tool`]: 32- or 64-bit, CLR 2.0 or 4.0),
//! whether it runs elevated, and its arguments as regasm spells them ([`options`]). It registers or
//! unregisters the assembly's types with the layout RegistrationServices writes ([`layout`];
//! ASM-1..ASM-4), through HKEY_CLASSES_ROOT in the tool's view (ASM-5) and with the user's rights
//! (ASM-6), or writes a `/regfile` script (ASM-7), and returns the console lines, the exit code and
//! a trace whose every step cites a rule of `rules.md`.

pub mod inspect;
pub mod layout;
pub mod options;
mod typelib;

use comsim_manifest::Guid;
use comsim_registry::{KeyPath, RegName, Root, Value, View, Writer};
use comsim_resolver::clrguid::{self, ClrGuid};
use comsim_resolver::switches::{AsmUnregisterValues, SwitchValue};
use comsim_resolver::{
    AssemblyInfo, Bitness, FileKind, Machine, Rule, RuntimeVersion, Switches, Trace, VFile, WinPath,
};
use serde::Serialize;

use layout::{Kind, Live, RecordedKey, Recorder, Registration, Remover};
use options::{ArgError, Options};

/// regasm's exit codes: 0, or 100 for any error (warnings leave it at 0).
pub const EXIT_SUCCESS: u32 = 0;
pub const EXIT_ERROR: u32 = 100;

/// Which `RegAsm.exe`: the 32-bit one under `Framework` or the 64-bit one under `Framework64`, of
/// the CLR 2.0 or CLR 4.0 directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub bitness: Bitness,
    /// The installed CLR it belongs to (`v4.0.30319`).
    pub clr: RuntimeVersion,
}

impl Tool {
    /// `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\RegAsm.exe`.
    pub fn path(&self, m: &Machine) -> WinPath {
        let dir = match self.bitness {
            Bitness::B32 => "Framework",
            Bitness::B64 => "Framework64",
        };
        m.windows.join(&format!(
            r"Microsoft.NET\{dir}\{}\RegAsm.exe",
            self.clr.text
        ))
    }

    /// The registry view it writes (ASM-5, REG-3): its own bitness's; a 32-bit Windows has one.
    pub fn view(&self, m: &Machine) -> View {
        if m.os == Bitness::B32 {
            View::Bits64
        } else {
            self.bitness.view()
        }
    }

    /// The banner regasm prints unless `/nologo` (captured builds: 2.0.50727.3053 and 4.8.9037.0).
    pub fn banner(&self) -> Vec<String> {
        if self.clr.major >= 4 {
            vec![
                "Microsoft .NET Framework Assembly Registration Utility version 4.8.9037.0".into(),
                "for Microsoft .NET Framework version 4.8.9037.0".into(),
                "Copyright (C) Microsoft Corporation.  All rights reserved.".into(),
                String::new(),
            ]
        } else {
            vec![
                "Microsoft (R) .NET Framework Assembly Registration Utility 2.0.50727.3053".into(),
                "Copyright (C) Microsoft Corporation 1998-2004.  All rights reserved.".into(),
                String::new(),
            ]
        }
    }
}

/// Standard output or standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line regasm prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsoleLine {
    pub stream: Stream,
    pub text: String,
}

/// One run of regasm.
pub struct Invocation<'a> {
    pub tool: Tool,
    /// Run from an elevated prompt (administrator rights, ASM-6).
    pub elevated: bool,
    /// Everything after `RegAsm.exe`.
    pub args: &'a [String],
    /// The current directory: relative names (the assembly, `/regfile:x.reg`, `/tlb:x.tlb`) are
    /// resolved against it.
    pub cwd: WinPath,
}

/// What a run printed and did.
#[derive(Debug, Clone, Serialize)]
pub struct RegasmRun {
    pub command: String,
    pub console: Vec<ConsoleLine>,
    pub exit_code: u32,
    /// Types registered or unregistered.
    pub types: usize,
    pub trace: Trace,
    /// Files written (`/regfile`).
    pub files: Vec<WinPath>,
}

impl RegasmRun {
    fn out(&mut self, text: impl Into<String>) {
        self.console.push(ConsoleLine {
            stream: Stream::Stdout,
            text: text.into(),
        });
    }

    fn warn(&mut self, text: impl AsRef<str>) {
        self.console.push(ConsoleLine {
            stream: Stream::Stderr,
            text: format!("RegAsm : warning RA0000 : {}", text.as_ref()),
        });
    }

    fn error(&mut self, text: impl AsRef<str>) {
        self.console.push(ConsoleLine {
            stream: Stream::Stderr,
            text: format!("RegAsm : error RA0000 : {}", text.as_ref()),
        });
        self.exit_code = EXIT_ERROR;
    }

    /// The errors printed.
    pub fn errors(&self) -> usize {
        self.lines_with(": error RA")
    }

    /// The warnings printed.
    pub fn warnings(&self) -> usize {
        self.lines_with(": warning RA")
    }

    fn lines_with(&self, s: &str) -> usize {
        self.console.iter().filter(|l| l.text.contains(s)).count()
    }
}

/// A registration comsim cannot reproduce exactly: a GUID the CLR would generate from something
/// the scenario does not give (a signed assembly's whole public key) or does not model (an
/// interface's member signatures, for `/tlb`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that everything regasm would write for `asm` is known: each registrable type's GUID
/// (declared, or generated by [`clrguid`]) and, for `/tlb`, the assembly's LIBID and its
/// interfaces' IIDs.
pub fn check_supported(asm: &AssemblyInfo, tlb: bool) -> Result<(), Unsupported> {
    for (t, _) in layout::registrable(asm) {
        clrguid::type_guid(asm, t)
            .map_err(|e| Unsupported(e.explain(&format!("`{}`", t.full_name), asm)))?;
    }
    if tlb {
        typelib::check_supported(asm)?;
    }
    Ok(())
}

/// Gives every registrable type without `[Guid]` (and, for `/tlb`, the assembly without one) the
/// GUID the CLR generates for it, saying so in the trace. [`check_supported`] has passed.
fn assign_generated_guids(mut asm: AssemblyInfo, tlb: bool, r: &mut RegasmRun) -> AssemblyInfo {
    let inputs = format!(
        "the assembly's simple name `{}`, {}{}",
        asm.name,
        match asm.com_compatible_version {
            Some(v) => format!("its [ComCompatibleVersion] {v}"),
            None => format!("its version {}", asm.version),
        },
        match &asm.public_key {
            Some(_) => " and its public key",
            None => "",
        }
    );
    let generated: Vec<(usize, Rule, Guid)> = asm
        .types
        .iter()
        .enumerate()
        .filter(|(_, t)| t.guid.is_none())
        .filter_map(|(i, t)| {
            let kind = layout::classify(&asm, t).ok()?;
            let rule = if kind == Kind::Record {
                Rule::Asm2
            } else {
                Rule::Asm1
            };
            match clrguid::type_guid(&asm, t).ok()? {
                ClrGuid::Generated(g) => Some((i, rule, g)),
                ClrGuid::Declared(_) => None,
            }
        })
        .collect();
    for (i, rule, g) in generated {
        let t = &mut asm.types_mut()[i];
        r.trace.push(
            rule,
            format_args!(
                "{} has no [Guid]: the CLR generates {g} from its full name, {inputs} (Marshal.GenerateGuidForType)",
                t.full_name
            ),
        ).code("generated-guid");
        t.guid = Some(g);
    }
    if tlb && let Ok(ClrGuid::Generated(g)) = clrguid::type_library_guid(&asm) {
        r.trace.push(
            Rule::Asm6,
            format_args!(
                "the assembly has no [Guid]: the CLR generates the LIBID {g} from {inputs} (Marshal.GetTypeLibGuidForAssembly)"
            ),
        ).code("generated-libid");
        asm.guid = Some(g);
    }
    asm
}

/// The directory of the assembly a command line names, when it names it by an absolute path: the
/// current directory scenarios and `comsim regasm` use when none is given. The assembly is the
/// argument that is not an option, whether or not the options parse.
pub fn assembly_dir<S: AsRef<str>>(args: &[S]) -> Option<WinPath> {
    args.iter()
        .map(AsRef::as_ref)
        .find(|w| !w.starts_with(['/', '-']))
        .and_then(|w| WinPath::parse(w).ok())
        .map(|p| p.parent())
}

/// The assembly named on a command line, as regasm resolves it against the current directory.
pub fn resolve(cwd: &WinPath, name: &str) -> WinPath {
    WinPath::parse(name).unwrap_or_else(|_| cwd.join(name))
}

/// Runs regasm. `Err` only when comsim cannot reproduce the result ([`check_supported`]).
pub fn run(m: &mut Machine, inv: &Invocation, sw: &Switches) -> Result<RegasmRun, Unsupported> {
    let mut r = RegasmRun {
        command: std::iter::once(inv.tool.path(m).to_string())
            .chain(inv.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        console: Vec::new(),
        exit_code: EXIT_SUCCESS,
        types: 0,
        trace: Trace::default(),
        files: Vec::new(),
    };
    let Some(o) = command_line(inv, &mut r) else {
        return Ok(r);
    };
    let Some(name) = o.assembly.clone().filter(|_| !o.help) else {
        for l in options::USAGE {
            r.out(*l);
        }
        return Ok(r);
    };
    let path = resolve(&inv.cwd, &name);
    let Some(asm) = load(m, inv, &path, &name, &mut r) else {
        return Ok(r);
    };
    check_supported(&asm, o.tlb.is_some())?;
    let asm = assign_generated_guids(asm, o.tlb.is_some(), &mut r);

    let view = inv.tool.view(m);
    trace_view(m, inv, view, &mut r);
    let reg = Registration {
        full_name: asm.full_name(),
        version: asm.version.to_string(),
        runtime: asm.runtime.text.clone(),
        codebase: o.codebase.then(|| path.to_file_url()),
        asm: &asm,
    };
    let types = classify(&asm, &mut r);
    codebase_warning(&o, &asm, &mut r);
    if let Some(file) = &o.regfile {
        regfile(m, inv, &o, file.as_deref(), &path, &reg, &types, &mut r);
        return Ok(r);
    }
    r.trace.push(
        Rule::Asm6,
        if inv.elevated {
            "run as administrator: writes that land in HKLM are allowed (REG-4)"
        } else {
            "run as a standard user: writes through HKEY_CLASSES_ROOT that land in HKLM are denied (REG-4); keys that already exist under HKCU\\Software\\Classes are written there"
        },
    ).code("tool-rights");
    let writer = Writer {
        admin: inv.elevated,
    };
    let done = if o.unregister {
        let delete_top_values = sw.asm_unregister_values() == AsmUnregisterValues::Delete;
        let mut rm = Remover {
            reg: &mut m.registry,
            view,
            writer,
            delete_top_values,
        };
        unregister(&mut rm, &reg, &types, &o, sw, &mut r)
    } else {
        let mut live = Live::new(&mut m.registry, view, writer);
        let ok = register(&mut live, &reg, &types, &o, &mut r);
        placement(&live, &mut r);
        ok
    };
    if done && o.tlb.is_some() {
        let tlb = tlb_path(inv, &o, &path);
        let ok = if o.unregister {
            typelib::unregister(m, view, writer, &asm, &tlb, &mut r)
        } else {
            typelib::register(m, view, writer, &asm, inv.tool.bitness, &tlb, &mut r)
        };
        if !ok {
            denied_message(&mut r);
        }
    }
    Ok(r)
}

/// The banner (unless `/nologo`) and the options; a bad command line is reported, with ASM-7
/// when `/regfile` is combined with an option it excludes.
fn command_line(inv: &Invocation, r: &mut RegasmRun) -> Option<Options> {
    let parsed = options::parse(inv.args);
    let nologo = match &parsed {
        Ok(o) => o.nologo,
        Err(_) => inv
            .args
            .iter()
            .any(|a| options::parse(std::slice::from_ref(a)).is_ok_and(|o| o.nologo)),
    };
    if !nologo {
        for l in inv.tool.banner() {
            r.out(l);
        }
    }
    let o = match parsed {
        Ok(o) => o,
        Err(e) => {
            if let ArgError::RegfileWith(other) = e {
                r.trace
                    .push(
                        Rule::Asm7,
                        format_args!("/regfile writes a script instead of the registry, so it cannot be combined with /{other}"),
                    ).code("regfile-option-conflict");
            }
            r.error(e.to_string());
            return None;
        }
    };
    Some(o)
}

/// ASM-5: the view the tool writes, from its bitness (and the Windows it runs on).
fn trace_view(m: &Machine, inv: &Invocation, view: View, r: &mut RegasmRun) {
    let view_name = match view {
        View::Bits32 => "the 32-bit view (Classes\\CLSID lands under Wow6432Node)",
        View::Bits64 if m.os == Bitness::B32 => "the only view of a 32-bit Windows",
        View::Bits64 => "the 64-bit (native) view",
    };
    r.trace
        .push(
            Rule::Asm5,
            format_args!(
                "the {} regasm of {} writes through HKEY_CLASSES_ROOT in {view_name}",
                inv.tool.bitness, inv.tool.clr.text
            ),
        )
        .code("tool-view")
        .at(|| inv.tool.path(m).to_string());
}

/// ASM-7: `/codebase` on an assembly without a strong name warns (unless `/silent`).
fn codebase_warning(o: &Options, asm: &AssemblyInfo, r: &mut RegasmRun) {
    if o.codebase && asm.public_key_token.is_none() {
        r.trace
            .push(
                Rule::Asm7,
                format_args!(
                    "/codebase on an assembly without a strong name: {} has PublicKeyToken=null",
                    asm.name
                ),
            )
            .code("codebase-unsigned");
        if !o.silent {
            r.warn("Registering an unsigned assembly with /codebase can cause your assembly to interfere with other applications that may be installed on the same computer. The /codebase switch is intended to be used only with signed assemblies. Please give your assembly a strong name and re-register it.");
        }
    }
}

/// Finds and loads the assembly, as regasm's `Assembly.LoadFrom` would; prints the error if it
/// cannot.
fn load(
    m: &Machine,
    inv: &Invocation,
    path: &WinPath,
    name: &str,
    r: &mut RegasmRun,
) -> Option<AssemblyInfo> {
    let Some(file) = m.fs.get(path) else {
        r.trace
            .push(
                Rule::Bind5,
                format_args!("no file at {path}: regasm cannot load the assembly"),
            )
            .code("assembly-file-missing")
            .at(|| path.to_string());
        r.error(format!(
            "Unable to locate input assembly '{name}' or one of its dependencies."
        ));
        return None;
    };
    let not_valid = |r: &mut RegasmRun, why: String| {
        r.trace
            .push(Rule::Bind6, why)
            .code("assembly-not-loadable")
            .at(|| path.to_string());
        r.error(format!(
            "Failed to load '{path}' because it is not a valid .NET assembly"
        ));
    };
    let FileKind::Assembly(asm) = &file.kind else {
        not_valid(
            r,
            format!(
                "{path} is not a managed assembly: loading it fails with BadImageFormatException"
            ),
        );
        return None;
    };
    if asm.runtime.cmp_major_minor(&inv.tool.clr).is_gt() {
        not_valid(
            r,
            format!(
                "{} is built for {}, newer than the regasm's CLR {}: BadImageFormatException 0x8013101B (COR_E_NEWER_RUNTIME)",
                asm.name, asm.runtime.text, inv.tool.clr.text
            ),
        );
        return None;
    }
    if !asm.architecture.loads_in(inv.tool.bitness) {
        not_valid(
            r,
            format!(
                "{} is built for {}, which a {} process cannot load: BadImageFormatException 0x8007000B",
                asm.name,
                asm.architecture.name(),
                inv.tool.bitness
            ),
        );
        return None;
    }
    Some((**asm).clone())
}

/// ASM-3: one trace step per type, saying whether and how it is registered.
fn classify<'a>(
    asm: &'a AssemblyInfo,
    r: &mut RegasmRun,
) -> Vec<(&'a comsim_resolver::TypeInfo, Kind)> {
    let mut out = Vec::new();
    for t in &asm.types {
        match layout::classify(asm, t) {
            Ok(kind) => {
                r.trace
                    .push(
                        Rule::Asm3,
                        format_args!("{}: registrable, {}", t.full_name, kind.describe()),
                    )
                    .code("type-registrable");
                out.push((t, kind));
            }
            Err(why) => {
                r.trace
                    .push(
                        Rule::Asm3,
                        format_args!("{}: not registered: {why}", t.full_name),
                    )
                    .code("type-not-registrable");
            }
        }
    }
    out
}

fn guid_of(t: &comsim_resolver::TypeInfo) -> String {
    t.guid.map(|g| g.to_string()).unwrap_or_default()
}

/// The registry key a type's registration starts at, as HKEY_CLASSES_ROOT names it.
fn type_key(t: &comsim_resolver::TypeInfo, kind: Kind) -> String {
    match kind {
        Kind::Record => format!(r"HKEY_CLASSES_ROOT\Record\{}", guid_of(t)),
        _ => format!(r"HKEY_CLASSES_ROOT\CLSID\{}", guid_of(t)),
    }
}

/// The error regasm prints when a registry write is refused (ASM-6).
fn denied_message(r: &mut RegasmRun) {
    r.error("An error occurred while writing the registration information to the registry. Administrator permissions are needed to use the selected options. Use an administrator command prompt to complete these tasks.");
}

fn denied(r: &mut RegasmRun, d: &layout::Denied) {
    r.trace
        .push(
            Rule::Asm6,
            format_args!(
                "writing {} failed: {}; Visual Studio reports this as \"COM Interop registration failed\" (class registration, often a permissions problem)",
                d.key, d.error
            ),
        ).code("registry-write-failed")
        .at(d.key.clone());
    denied_message(r);
}

/// `RegisterAssembly`; false when it stopped on an error.
fn register(
    live: &mut Live<'_>,
    reg: &Registration<'_>,
    types: &[(&comsim_resolver::TypeInfo, Kind)],
    o: &Options,
    r: &mut RegasmRun,
) -> bool {
    for (t, kind) in types {
        let guid = guid_of(t);
        let before = version_subkeys(live.reg, live.view, t, *kind);
        if let Err(d) = reg.register(live, t, &guid, *kind) {
            denied(r, &d);
            return false;
        }
        let rule = if *kind == Kind::Managed {
            Rule::Asm1
        } else {
            Rule::Asm2
        };
        let what = match kind {
            Kind::Managed => match layout::progid(t) {
                Some(p) => format!(
                    "ProgID {p} and CLSID {guid}: InprocServer32 = mscoree.dll, ThreadingModel Both, Class, Assembly, RuntimeVersion{}, the same in version subkey {}, ProgId, Implemented Categories",
                    if reg.codebase.is_some() {
                        ", CodeBase"
                    } else {
                        ""
                    },
                    reg.version
                ),
                None => format!(
                    "CLSID {guid} (no ProgID): InprocServer32 = mscoree.dll with its version subkey {}",
                    reg.version
                ),
            },
            Kind::ComImport => format!(
                "CLSID {guid}: InprocServer32 Class, Assembly, RuntimeVersion and version subkey {}, without a default value or ThreadingModel (the native server stays in charge)",
                reg.version
            ),
            Kind::Record => format!(
                "record {guid}: subkey {} with Class, Assembly, RuntimeVersion",
                reg.version
            ),
        };
        r.trace
            .push(rule, format_args!("registered {}: {what}", t.full_name))
            .code("type-registered")
            .at(type_key(t, *kind));
        let others: Vec<String> = before
            .into_iter()
            .filter(|v| !comsim_registry::names_equal(v, &reg.version))
            .collect();
        if !others.is_empty() && *kind != Kind::Record {
            r.trace.push(
                Rule::Asm4,
                format_args!(
                    "version subkeys {} stay beside {}; the top-level values now describe {}, the last registered",
                    others.join(", "),
                    reg.version,
                    reg.version
                ),
            ).code("version-subkeys-kept");
        }
        r.types += 1;
    }
    let mut pia = false;
    if let Some(p) = &reg.asm.primary_interop {
        if reg.asm.public_key_token.is_none() {
            r.trace.push(
                Rule::Asm2,
                format_args!("{} carries [PrimaryInteropAssembly] but has no strong name: RegisterPrimaryInteropAssembly throws InvalidOperationException", reg.asm.name),
            ).code("pia-unsigned");
            r.error("Primary interop assemblies must be strongly named.");
            return false;
        }
        let version = format!("{:x}.{:x}", p.major, p.minor);
        let libid = p.libid.to_string();
        if let Err(d) = reg.register_pia(live, &libid, &version) {
            denied(r, &d);
            return false;
        }
        r.trace
            .push(
                Rule::Asm2,
                format_args!("registered the primary interop assembly for type library {libid} {version}: PrimaryInteropAssemblyName{}", if reg.codebase.is_some() { " and PrimaryInteropAssemblyCodeBase" } else { "" }),
            ).code("pia-registered")
            .at(format_args!(r"HKEY_CLASSES_ROOT\TypeLib\{libid}\{version}"));
        pia = true;
    }
    if r.types > 0 || pia {
        if !o.silent {
            r.out("Types registered successfully");
        }
    } else {
        r.trace.push(
            Rule::Asm3,
            "no registrable types and no [PrimaryInteropAssembly]: RegisterAssembly returns false",
        ).code("nothing-to-register");
        if o.tlb.is_none() && !o.silent {
            r.warn("No types were registered");
        }
    }
    true
}

/// The REG-4 step: where the keys written through HKCR landed.
fn placement(live: &Live<'_>, r: &mut RegasmRun) {
    let [machine, user] = [live.placed[0].len(), live.placed[1].len()];
    if machine + user > 0 {
        let first = live.placed[0].iter().chain(&live.placed[1]).next().cloned();
        let s = r.trace.push(
            Rule::Reg4,
            format_args!("{machine} key(s) written under HKEY_LOCAL_MACHINE\\Software\\Classes, {user} under HKEY_CURRENT_USER\\Software\\Classes (keys that already existed there)"),
        ).code("keys-written");
        if let Some(first) = first {
            s.at(first);
        }
    }
}

/// The version subkeys a type's registration has now.
fn version_subkeys(
    reg: &comsim_registry::Registry,
    view: View,
    t: &comsim_resolver::TypeInfo,
    kind: Kind,
) -> Vec<String> {
    let guid = guid_of(t);
    let comps: Vec<&str> = match kind {
        Kind::Record => vec!["Record", &guid],
        _ => vec!["CLSID", &guid, "InprocServer32"],
    };
    let path = KeyPath::new(Root::ClassesRoot, comps.iter().copied());
    match reg.open(&path, &comsim_registry::Access::new(view)) {
        Some(k) => reg
            .open_subkeys(&k)
            .into_iter()
            .map(|n| n.as_str().to_owned())
            .collect(),
        None => Vec::new(),
    }
}

/// `UnregisterAssembly`; false when it stopped on an error.
fn unregister(
    rm: &mut Remover<'_>,
    reg: &Registration<'_>,
    types: &[(&comsim_resolver::TypeInfo, Kind)],
    o: &Options,
    sw: &Switches,
    r: &mut RegasmRun,
) -> bool {
    let mut all_gone = true;
    for (t, kind) in types {
        let guid = guid_of(t);
        let result = match kind {
            Kind::Record => rm.record(&guid, &reg.version),
            Kind::ComImport => rm.com_import(&guid, &reg.version),
            Kind::Managed => rm.managed(t, &guid, &reg.version),
        };
        let removal = match result {
            Ok(x) => x,
            Err(d) => {
                denied(r, &d);
                return false;
            }
        };
        let found = if removal.had_version {
            format!("removed version subkey {}", reg.version)
        } else {
            format!("no version subkey {} to remove", reg.version)
        };
        let step = if removal.all_versions_gone() {
            r.trace.push(
                Rule::Asm4,
                format_args!("unregistered {}: {found}; no version is left, so the top-level keys and values go too", t.full_name),
            ).code("type-unregistered-all")
        } else {
            let mut s = r.trace.push(
                Rule::Asm4,
                format_args!(
                    "unregistered {}: {found}; version subkeys {} remain, so the top-level keys stay{}",
                    t.full_name,
                    removal.versions_left.join(", "),
                    if rm.delete_top_values {
                        " but their Class, Assembly, RuntimeVersion and CodeBase values are deleted"
                    } else {
                        " with their values"
                    }
                ),
            ).code("type-unregistered-version");
            if *kind == Kind::Managed {
                s.inferred = Some(sw.asm_unregister_values().setting().to_string());
            }
            s
        };
        step.at(type_key(t, *kind));
        all_gone &= removal.all_versions_gone();
        r.types += 1;
    }
    let mut pia = false;
    if let Some(p) = &reg.asm.primary_interop {
        pia = true;
        if all_gone {
            let version = format!("{:x}.{:x}", p.major, p.minor);
            let libid = p.libid.to_string();
            if let Err(d) = rm.pia(&libid, &version) {
                denied(r, &d);
                return false;
            }
            r.trace
                .push(
                    Rule::Asm2,
                    format_args!("unregistered the primary interop assembly of type library {libid} {version}"),
                ).code("pia-unregistered")
                .at(format_args!(r"HKEY_CLASSES_ROOT\TypeLib\{libid}\{version}"));
        }
    }
    if r.types > 0 || pia {
        if !o.silent {
            r.out("Types un-registered successfully");
        }
    } else {
        r.trace.push(
            Rule::Asm3,
            "no registrable types and no [PrimaryInteropAssembly]: UnregisterAssembly returns false",
        ).code("nothing-to-unregister");
        if !o.silent {
            r.warn("No types were un-registered");
        }
    }
    true
}

/// The `/tlb` file: the name given, else the assembly's name with `.tlb`, in the current directory.
fn tlb_path(inv: &Invocation, o: &Options, asm_path: &WinPath) -> WinPath {
    match o.tlb.as_ref().and_then(|t| t.as_deref()) {
        Some(f) => resolve(&inv.cwd, f),
        None => inv.cwd.join(&format!("{}.tlb", asm_path.file_stem())),
    }
}

/// ASM-7 `/regfile`: the keys registration would write, as a REGEDIT4 script, instead of the
/// registry.
#[allow(clippy::too_many_arguments)]
fn regfile(
    m: &mut Machine,
    inv: &Invocation,
    o: &Options,
    file: Option<&str>,
    asm_path: &WinPath,
    reg: &Registration<'_>,
    types: &[(&comsim_resolver::TypeInfo, Kind)],
    r: &mut RegasmRun,
) {
    let out = match file {
        Some(f) => resolve(&inv.cwd, f),
        None => inv.cwd.join(&format!("{}.reg", asm_path.file_stem())),
    };
    if types.is_empty() {
        r.trace
            .push(
                Rule::Asm3,
                "no registrable types: there is nothing to write to a registry script",
            )
            .code("nothing-to-script");
        if !o.silent {
            r.warn("No registry script will be produced since there are no types to register");
        }
        return;
    }
    let mut groups = Vec::new();
    for (t, kind) in types {
        let mut rec = Recorder::default();
        // A recorder never refuses a write.
        let _ = reg.register(&mut rec, t, &guid_of(t), *kind);
        groups.push(
            rec.keys
                .into_iter()
                .map(
                    |RecordedKey {
                         path: comps,
                         values,
                     }| {
                        // The script spells the category GUID upper-case (a captured /regfile output);
                        // the registry API writes RegistrationServices' mixed case.
                        let comps = comps.into_iter().map(|c| {
                            if c == layout::MANAGED_CATEGORY {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        });
                        (
                            KeyPath::new(Root::ClassesRoot, comps),
                            values
                                .into_iter()
                                .map(|(n, v)| (RegName::new(n), Value::sz(&v)))
                                .collect(),
                        )
                    },
                )
                .collect(),
        );
        r.types += 1;
    }
    let bytes = comsim_regfile::regedit4_script(&groups);
    r.trace
        .push(
            Rule::Asm7,
            format_args!(
                "/regfile: the keys of {} type(s) go to a REGEDIT4 script instead of the registry (no TypeLib, Interface or Component Categories keys)",
                r.types
            ),
        ).code("regfile-script")
        .at(|| out.to_string());
    m.fs.write(VFile {
        path: out.clone(),
        kind: FileKind::Data,
        bytes,
        embedded_manifest: None,
        origin: format!("written by {}", inv.tool.path(m)),
    });
    r.files.push(out.clone());
    if !o.silent {
        r.out(format!("Registry script '{out}' generated successfully"));
    }
}
