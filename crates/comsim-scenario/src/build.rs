//! From the TOML's shape (`raw`) to the resolver's model: every value is checked here, and every
//! error points at the value that caused it.

use crate::codes;
use std::ops::Range;
use std::path::PathBuf;

use comsim_diag::{Code, Diagnostic, LineIndex, Location};
use comsim_manifest::lookup::Find;
use comsim_manifest::{Guid, Version};
use comsim_regasm::Tool;
use comsim_regfile::{ImportOptions, Mode};
use comsim_registry::{KeyPath, View, Writer};
use comsim_resolver::clrguid::PublicKey;
use comsim_resolver::machine::{
    AssemblyInfo, Bitness, Machine, NativeImage, PrimaryInterop, ProcessorArchitecture, Readers,
    RuntimeVersion, TypeInfo, TypeKind,
};
use comsim_resolver::process::{
    Apartment, ClassRef, ClientKind, ClsCtx, ExplicitContext, MainSta, Process, Request, Threads,
};
use comsim_resolver::vfs::{FileKind, VFile, WinPath};
use comsim_resolver::{SWITCHES, Switches};
use toml::Spanned;

use crate::expect;
use crate::expect::{EXPECTATION_FIELDS, FieldType, MACHINE_EXPECTATION_FIELDS};
use crate::files::{FileError, Loaded, ScenarioDir};
use crate::machine_step::{ImportSource, MachineStep};
use crate::raw::{
    Entries, ExpectTable, MachineSource, Node, OneOrMany, RawActCtx, RawAssembly, RawFile,
    RawMachine, RawNative, RawPrimaryInterop, RawProcess, RawRegistry, RawScenario, RawStep,
    Scalar, Text,
};
use crate::{Action, Expectation, Scenario, Step, StepAction};

/// The scenario file being built: its name, its text's line index, and its directory.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub index: LineIndex<'a>,
    pub dir: ScenarioDir,
}

impl Ctx<'_> {
    fn location(&self, span: &Range<usize>) -> Location {
        self.index.location(self.file, span.start)
    }

    /// An error at a byte span of the scenario file, with the line shown.
    fn err(&self, code: Code, span: &Range<usize>, message: impl Into<String>) -> Diagnostic {
        let loc = self.location(span);
        let line = self.index.line_text(loc.line);
        Diagnostic::error(code, message)
            .at(loc)
            .with_source_line(line)
    }

    fn err_at<T>(&self, code: Code, at: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
        self.err(code, &at.span(), message)
    }

    /// Reads a file the scenario names; errors point at the name.
    fn read(&self, name: &Text) -> Result<Loaded, Diagnostic> {
        self.read_str(name.get_ref(), &name.span())
    }

    fn read_str(&self, name: &str, span: &Range<usize>) -> Result<Loaded, Diagnostic> {
        self.dir.read(name).map_err(
            |FileError {
                 code,
                 message,
                 note,
             }| {
                let d = self.err(code, span, message);
                match note {
                    Some(n) => d.with_note(n),
                    None => d,
                }
            },
        )
    }
}

/// Parses the TOML: syntax errors first, then the shape (unknown keys, missing keys, types).
pub(crate) fn parse(ctx: &Ctx<'_>, text: &str) -> Result<RawScenario, Diagnostic> {
    parse_as(ctx, text)
}

/// Reads TOML text into `T`: a syntax error is `scenario-syntax`, a key or type serde refuses is
/// `scenario-field`, both located in `ctx`'s file.
fn parse_as<T: serde::de::DeserializeOwned>(ctx: &Ctx<'_>, text: &str) -> Result<T, Diagnostic> {
    let de = toml::de::Deserializer::parse(text).map_err(|e| {
        let message = e.message().trim_end();
        match (message, e.span()) {
            // The TOML reader's depth limit, in the user's terms and at the key that crossed it
            // (the reader gives no place for a dotted key).
            ("recursion limit", _) => {
                let at = deep_key(text, TOML_DEPTH).unwrap_or(0);
                ctx.err(
                    codes::SCENARIO_SYNTAX,
                    &(at..at),
                    format!("keys nest more than {TOML_DEPTH} levels: this key has more than {TOML_DEPTH} dotted parts"),
                )
            }
            (m, Some(span)) if m.starts_with("cannot recurse further") => ctx.err(
                codes::SCENARIO_SYNTAX,
                &span,
                format!("arrays and inline tables nest more than {TOML_DEPTH} levels here"),
            ),
            (m, span) => ctx.err(codes::SCENARIO_SYNTAX, &span.unwrap_or(0..0), m),
        }
    })?;
    T::deserialize(de).map_err(|e| {
        ctx.err(
            codes::SCENARIO_FIELD,
            &e.span().unwrap_or(0..0),
            toml_words(e.message().trim_end()),
        )
    })
}

/// Moves the root files may come from up to the ancestor the scenario's `root` declares.
pub(crate) fn apply_root(ctx: &mut Ctx<'_>, raw: &RawScenario) -> Result<(), Diagnostic> {
    if let Some(root) = &raw.root {
        let dir = ctx.dir.clone().with_root(root.get_ref());
        ctx.dir = dir.map_err(|e| {
            let d = ctx.err(e.code, &root.span(), e.message);
            match e.note {
                Some(n) => d.with_note(n),
                None => d,
            }
        })?;
    }
    Ok(())
}

/// `machine = "…"`: the machine described by that file (its top-level keys are those of
/// `[machine]`), whose own files are named relative to its directory, below the same root.
/// Errors in it are located in it.
fn machine_file(ctx: &Ctx<'_>, name: &str, span: &Range<usize>) -> Result<Machine, Diagnostic> {
    let loaded = ctx.read_str(name, span)?;
    let text = std::str::from_utf8(&loaded.bytes).map_err(|e| {
        ctx.err(
            codes::SCENARIO_ENCODING,
            span,
            format!(
                "`{}` is not UTF-8 (byte {})",
                loaded.display,
                e.valid_up_to()
            ),
        )
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mctx = Ctx {
        file: &loaded.display,
        index: LineIndex::new(text),
        dir: ctx.dir.beside(&loaded),
    };
    let raw: RawMachine = parse_as(&mctx, text)?;
    machine(&mctx, raw).map_err(|d| {
        d.with_note(format!(
            "in the machine file `{name}` named at {}",
            ctx.location(span)
        ))
    })
}

/// How deep the TOML reader nests keys, arrays and inline tables (docs/reliability.md).
pub(crate) const TOML_DEPTH: usize = 80;

/// The byte offset of the first key (of a `key = value` line or a `[table]` header) with more than
/// `limit` dotted parts, counting dots outside quotes.
fn deep_key(text: &str, limit: usize) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        let mut dots = 0;
        let mut quote = None;
        for c in line.trim_start().chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '.') => dots += 1,
                (None, '=' | ']' | '#') => break,
                _ => {}
            }
        }
        if dots >= limit {
            return Some(start);
        }
    }
    None
}

/// serde names types as Rust does (`i64`, `sequence`, `map`); say what TOML calls them.
fn toml_words(message: &str) -> String {
    message
        .replace("expected i64", "expected an integer")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: map", "invalid type: table")
        .replace("expected a map", "expected a table")
}

pub(crate) fn scenario(ctx: &Ctx<'_>, raw: RawScenario) -> Result<Scenario, Diagnostic> {
    if raw.title.get_ref().trim().is_empty() {
        return Err(ctx.err_at(codes::SCENARIO_VALUE, &raw.title, "the title is empty"));
    }
    let mut switches = Switches::default();
    let mut entries = raw.switches.map(|e| e.0).unwrap_or_default();
    entries.sort_by_key(|(name, _)| name.span().start);
    for (name, value) in entries {
        if let Err(msg) = switches.set(name.get_ref(), value.get_ref()) {
            let known = SWITCHES.iter().any(|s| s.name == name.get_ref());
            let span = if known { value.span() } else { name.span() };
            return Err(ctx.err(codes::SCENARIO_SWITCH, &span, msg));
        }
    }
    let machine = match raw.machine {
        None => machine(ctx, RawMachine::default())?,
        Some(source) => {
            let span = source.span();
            match source.into_inner() {
                MachineSource::Table(m) => machine(ctx, *m)?,
                MachineSource::File(name) => machine_file(ctx, &name, &span)?,
            }
        }
    };
    let process = process(ctx, raw.process, &machine)?;
    if raw.steps.is_empty() {
        return Err(ctx
            .err(
                codes::SCENARIO_STEP,
                &(0..0),
                "the scenario has no `[[step]]`",
            )
            .with_note("each `[[step]]` makes one request, e.g. `create_instance = \"{CLSID}\"`"));
    }
    let mut steps = Vec::with_capacity(raw.steps.len());
    let name_spans: Vec<_> = raw
        .steps
        .iter()
        .map(|s| s.get_ref().name.as_ref().map(Spanned::span))
        .collect();
    for (i, s) in raw.steps.into_iter().enumerate() {
        steps.push(step(ctx, i + 1, s, &process, &machine)?);
    }
    unique_step_names(ctx, &name_spans, &mut steps)?;
    Ok(Scenario {
        path: PathBuf::new(),
        name: String::new(),
        file_name: String::new(),
        title: raw.title.into_inner(),
        description: raw.description,
        machine,
        process,
        switches,
        steps,
    })
}

// ---------------------------------------------------------------------------------------------
// Values

fn guid(ctx: &Ctx<'_>, t: &Text) -> Result<Guid, Diagnostic> {
    Guid::parse(t.get_ref()).ok_or_else(|| not_a_guid(ctx, t))
}

fn not_a_guid(ctx: &Ctx<'_>, t: &Text) -> Diagnostic {
    ctx.err_at(
        codes::SCENARIO_GUID,
        t,
        format!(
            "`{}` is not a GUID (expected {{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}})",
            t.get_ref()
        ),
    )
}

fn runtime(ctx: &Ctx<'_>, t: &Text) -> Result<RuntimeVersion, Diagnostic> {
    RuntimeVersion::parse(t.get_ref()).ok_or_else(|| {
        ctx.err_at(
            codes::SCENARIO_RUNTIME,
            t,
            format!(
                "`{}` is not a runtime version (expected `v` and two or three numbers: v2.0.50727, v4.0.30319, v4.0)",
                t.get_ref()
            ),
        )
    })
}

/// A Windows path of the machine that names a file (not a drive root).
fn win_path(ctx: &Ctx<'_>, t: &Text) -> Result<WinPath, Diagnostic> {
    let p = WinPath::parse(t.get_ref()).map_err(|e| ctx.err_at(codes::SCENARIO_WINPATH, t, e.0))?;
    if p.components().is_empty() {
        return Err(ctx.err_at(
            codes::SCENARIO_WINPATH,
            t,
            format!("`{}` is a drive, not a file", t.get_ref()),
        ));
    }
    Ok(p)
}

fn bitness(ctx: &Ctx<'_>, n: &Spanned<i64>, key: &str) -> Result<Bitness, Diagnostic> {
    match n.get_ref() {
        32 => Ok(Bitness::B32),
        64 => Ok(Bitness::B64),
        v => Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            n,
            format!("`{key}` is 32 or 64, not {v}"),
        )),
    }
}

fn one_of<T: Copy>(
    ctx: &Ctx<'_>,
    t: &Text,
    key: &str,
    values: &[(&str, T)],
) -> Result<T, Diagnostic> {
    match values.iter().find(|(name, _)| *name == t.get_ref()) {
        Some((_, v)) => Ok(*v),
        None => {
            let names: Vec<String> = values.iter().map(|(n, _)| format!("`{n}`")).collect();
            Err(ctx.err_at(
                codes::SCENARIO_VALUE,
                t,
                format!("`{key}` is {}, not `{}`", join_or(&names), t.get_ref()),
            ))
        }
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn non_empty(ctx: &Ctx<'_>, t: &Text, what: &str) -> Result<String, Diagnostic> {
    let s = t.get_ref();
    if s.trim().is_empty() {
        return Err(ctx.err_at(codes::SCENARIO_VALUE, t, format!("{what} is empty")));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            t,
            format!("{what} contains the control character {c:?}"),
        ));
    }
    Ok(s.clone())
}

// ---------------------------------------------------------------------------------------------
// The machine

const DEFAULT_CLRS: &[&str] = &["v2.0.50727", "v4.0.30319"];

/// A file of the machine waiting to be placed, with where it was declared (files are placed in
/// the order they were written, so the second of two at one path is the one reported).
struct Placement {
    order: usize,
    span: Range<usize>,
    file: VFile,
}

fn machine(ctx: &Ctx<'_>, raw: RawMachine) -> Result<Machine, Diagnostic> {
    let os = match &raw.os {
        None => Bitness::B64,
        Some(t) => one_of(
            ctx,
            t,
            "os",
            &[("x64", Bitness::B64), ("x86", Bitness::B32)],
        )?,
    };
    let mut m = Machine::new(os);
    if let Some(vars) = &raw.environment {
        environment(ctx, &mut m, vars)?;
        // The standard system files follow the Windows directory.
        m.install_system_files();
    }
    match &raw.clrs {
        None => {
            m.clrs = DEFAULT_CLRS
                .iter()
                .filter_map(|v| RuntimeVersion::parse(v))
                .collect();
        }
        Some(list) => {
            for t in list {
                let v = runtime(ctx, t)?;
                if v.build.is_none() {
                    return Err(ctx.err_at(
                        codes::SCENARIO_RUNTIME,
                        t,
                        format!(
                            "an installed CLR is named by its full version (`v4.0.30319`, `v2.0.50727`), not `{}`",
                            t.get_ref()
                        ),
                    ));
                }
                if m.clrs
                    .iter()
                    .any(|c| c.major == v.major && c.minor == v.minor)
                {
                    return Err(ctx.err_at(
                        codes::SCENARIO_RUNTIME,
                        t,
                        format!("CLR {} is listed twice", v.family()),
                    ));
                }
                m.clrs.push(v);
            }
        }
    }

    for entry in &raw.registry {
        import(ctx, &mut m, entry)?;
    }

    let mut placements: Vec<Placement> = Vec::new();
    for f in &raw.file {
        placements.push(data_file(ctx, f)?);
    }
    for a in &raw.assembly {
        placements.extend(assembly(ctx, &m, a)?);
    }
    for n in &raw.native {
        placements.push(native(ctx, n)?);
    }
    placements.sort_by_key(|p| p.order);
    for p in placements {
        let path = p.file.path.to_string();
        if let Err(first) = m.fs.insert(p.file) {
            return Err(ctx
                .err(
                    codes::SCENARIO_DUPLICATE_FILE,
                    &p.span,
                    format!("`{path}` is already a file of the machine"),
                )
                .with_note(format!("declared first by {first}")));
        }
    }
    files_world(ctx, &mut m, &raw)?;
    for t in &raw.absent {
        let path = win_path(ctx, t)?;
        let span = t.span();
        if let Err(first) =
            m.fs.declare_absent(path.clone(), origin(ctx, &span, "[machine] absent"))
        {
            return Err(ctx
                .err_at(
                    codes::SCENARIO_DUPLICATE_FILE,
                    t,
                    format!("`{path}` is declared absent, but it is a file of the machine"),
                )
                .with_note(format!("declared by {first}")));
        }
    }
    Ok(m)
}

/// The variables `[machine.environment]` may set, as a native process sees them (COM-3). The
/// 32-bit process's view (`ProgramW6432`, ...) is derived from these, as WOW64 derives it.
const ENVIRONMENT_VARIABLES: &[&str] = &[
    "SystemRoot",
    "windir",
    "SystemDrive",
    "ProgramFiles",
    "ProgramFiles(x86)",
    "CommonProgramFiles",
    "CommonProgramFiles(x86)",
];

/// `[machine.environment]`: where Windows and the Program Files folders are (COM-3). Names
/// ignore case, as Windows' do; `SystemRoot`, `windir` and `SystemDrive` must agree.
fn environment(ctx: &Ctx<'_>, m: &mut Machine, vars: &Entries<Text>) -> Result<(), Diagnostic> {
    let mut seen: Vec<&str> = Vec::new();
    let mut windows: Option<(WinPath, &Text)> = None;
    let mut drive: Option<(WinPath, &Text)> = None;
    // In the order written (TOML hands tables over sorted by name).
    let mut entries: Vec<&(Text, Text)> = vars.0.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    for (name, value) in entries {
        let Some(known) = ENVIRONMENT_VARIABLES
            .iter()
            .copied()
            .find(|k| k.eq_ignore_ascii_case(name.get_ref()))
        else {
            let names: Vec<String> = ENVIRONMENT_VARIABLES
                .iter()
                .map(|n| format!("`{n}`"))
                .collect();
            return Err(ctx
                .err_at(
                    codes::SCENARIO_FIELD,
                    name,
                    format!(
                        "`{}` is not a variable `[machine.environment]` sets (it sets {})",
                        name.get_ref(),
                        join_or(&names)
                    ),
                )
                .with_note("a 32-bit process's `ProgramFiles`, `ProgramW6432` and the others follow from these, as WOW64 sets them"));
        };
        if seen.contains(&known) {
            return Err(ctx.err_at(
                codes::SCENARIO_FIELD,
                name,
                format!("`{known}` is set twice (names ignore case)"),
            ));
        }
        seen.push(known);
        if known == "SystemDrive" {
            let d = WinPath::parse(value.get_ref())
                .ok()
                .filter(|p| p.components().is_empty() && value.get_ref().len() == 2)
                .ok_or_else(|| {
                    ctx.err_at(
                        codes::SCENARIO_WINPATH,
                        value,
                        format!(
                            "`SystemDrive` is a drive such as `D:`, not `{}`",
                            value.get_ref()
                        ),
                    )
                })?;
            drive = Some((d, value));
            continue;
        }
        let path = local_folder(ctx, value, known)?;
        match known {
            "SystemRoot" | "windir" => {
                if let Some((w, _)) = &windows
                    && *w != path
                {
                    return Err(ctx.err_at(
                        codes::SCENARIO_VALUE,
                        value,
                        format!("`SystemRoot` and `windir` both name the Windows directory, but `{w}` is not `{path}`"),
                    ));
                }
                windows = Some((path, value));
            }
            x86 @ ("ProgramFiles(x86)" | "CommonProgramFiles(x86)") if m.os == Bitness::B32 => {
                return Err(ctx.err_at(
                    codes::SCENARIO_VALUE,
                    name,
                    format!("32-bit Windows (`os = \"x86\"`) has no `{x86}`"),
                ));
            }
            "ProgramFiles" => m.program_folders.native = Some(path),
            "ProgramFiles(x86)" => m.program_folders.x86 = Some(path),
            "CommonProgramFiles" => m.program_folders.common_native = Some(path),
            _ => m.program_folders.common_x86 = Some(path),
        }
    }
    match (windows, drive) {
        (Some((w, wt)), Some((d, _))) if w.drive_root() != d => Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            wt,
            format!("the Windows directory `{w}` is not on the system drive `{d}`"),
        )),
        (Some((w, _)), _) => {
            m.windows = w;
            Ok(())
        }
        (None, Some((d, _))) => {
            m.windows = d.join("Windows");
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

/// `[machine] files` and `complete_dirs`: whether a path nobody declared does not exist
/// (`complete`, the default) or is unknown (`partial`), and the directories a partial machine
/// declares complete.
fn files_world(ctx: &Ctx<'_>, m: &mut Machine, raw: &RawMachine) -> Result<(), Diagnostic> {
    let partial = match &raw.files {
        None => false,
        Some(t) => one_of(ctx, t, "files", &[("complete", false), ("partial", true)])?,
    };
    let Some(dirs) = &raw.complete_dirs else {
        if partial {
            m.fs.set_partial(Vec::new());
        }
        return Ok(());
    };
    if !partial {
        let at = dirs.first().map_or(0..0, |t| t.span());
        return Err(ctx.err(
            codes::SCENARIO_FIELD,
            &at,
            "`complete_dirs` goes with `files = \"partial\"`: with complete files (the default) every directory is complete",
        ));
    }
    let mut complete = Vec::new();
    for t in dirs {
        complete.push(
            WinPath::parse(t.get_ref()).map_err(|e| ctx.err_at(codes::SCENARIO_WINPATH, t, e.0))?,
        );
    }
    m.fs.set_partial(complete);
    Ok(())
}

/// A folder of `[machine.environment]`: an absolute path on a local drive, not on a share.
fn local_folder(ctx: &Ctx<'_>, value: &Text, known: &str) -> Result<WinPath, Diagnostic> {
    let path = win_path(ctx, value)?;
    if path.is_on_share() {
        return Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            value,
            format!("`{known}` is a folder of a local drive, not a network share (`{path}`)"),
        ));
    }
    Ok(path)
}

fn origin(ctx: &Ctx<'_>, span: &Range<usize>, what: &str) -> String {
    format!("{} ({what})", ctx.location(span))
}

/// One `machine.registry` entry: a strict import, as the regedit of that view with those rights
/// (REG-3, REG-4).
fn import(ctx: &Ctx<'_>, m: &mut Machine, entry: &Spanned<RawRegistry>) -> Result<(), Diagnostic> {
    let (name, name_span, view, as_user) = match entry.get_ref() {
        RawRegistry::File(f) => (f.as_str(), entry.span(), None, None),
        RawRegistry::Table(t) => match (&t.file, &t.hive) {
            (Some(file), None) if t.mount.is_none() => (
                file.get_ref().as_str(),
                file.span(),
                t.view.as_ref(),
                t.as_user.as_ref(),
            ),
            (None, Some(hive)) if t.view.is_none() && t.as_user.is_none() => {
                return read_hive(ctx, m, hive, t.mount.as_ref());
            }
            _ => {
                return Err(ctx.err(
                    codes::SCENARIO_FIELD,
                    &entry.span(),
                    "a `machine.registry` table takes either `file` (a .reg file, with `view` and `as`) or `hive` (a hive file, with `mount`)",
                ));
            }
        },
    };
    let view = reg_view(ctx, view, m.os)?;
    let admin = reg_admin(ctx, as_user)?;
    let file = ctx.read_str(name, &name_span)?;
    let opts = ImportOptions {
        mode: Mode::Strict,
        view,
        writer: Writer { admin },
        encoding: None,
    };
    let report = comsim_regfile::import_bytes(&mut m.registry, &file.display, &file.bytes, &opts)
        .map_err(|d| {
        d.with_note(format!(
            "imported by {} (`machine.registry`), in strict mode",
            ctx.location(&name_span)
        ))
    })?;
    crate::machine_step::import_trace(&mut m.setup, &file.display, view, admin, &report);
    Ok(())
}

/// A `machine.registry` entry `{ hive = "…", mount = "…" }`: a registry hive file read at its
/// mount point (guessed from the file name without `mount`). The hive is the machine's stored
/// registry, so no view or rights apply: its keys land where the file holds them.
fn read_hive(
    ctx: &Ctx<'_>,
    m: &mut Machine,
    hive: &Text,
    mount: Option<&Text>,
) -> Result<(), Diagnostic> {
    let file = ctx.read(hive)?;
    let given = mount.map(|t| t.get_ref().as_str());
    let span = mount.map_or_else(|| hive.span(), Spanned::span);
    let (path, _) = comsim_hive::resolve_mount(hive.get_ref(), given).map_err(|d| {
        let mut e = ctx.err(codes::SCENARIO_VALUE, &span, d.message);
        e.notes = d.notes;
        e
    })?;
    // A hive has no lines: the error (which names the file and the byte offset) is placed at
    // the entry that reads it.
    comsim_hive::load_bytes(&mut m.registry, &file.display, &file.bytes, &path, &[]).map_err(
        |d| {
            let mut e = ctx.err(d.code, &hive.span(), d.message);
            e.notes = d.notes;
            e
        },
    )?;
    Ok(())
}

fn data_file(ctx: &Ctx<'_>, f: &Spanned<RawFile>) -> Result<Placement, Diagnostic> {
    let RawFile { path, source } = f.get_ref();
    let win = win_path(ctx, path)?;
    let loaded = ctx.read(source)?;
    Ok(Placement {
        order: f.span().start,
        span: path.span(),
        file: VFile {
            path: win,
            kind: FileKind::Data,
            bytes: loaded.bytes,
            embedded_manifest: None,
            origin: origin(
                ctx,
                &path.span(),
                &format!("[[machine.file]] {}", loaded.display),
            ),
        },
    })
}

fn embedded_manifest(ctx: &Ctx<'_>, t: &Option<Text>) -> Result<Option<Vec<u8>>, Diagnostic> {
    match t {
        None => Ok(None),
        Some(t) => Ok(Some(ctx.read(t)?.bytes)),
    }
}

/// A `[[machine.assembly]]`: its identity and types, placed at its `path`, in the GAC of each
/// CLR its `gac` names, or both.
pub(crate) mod source;

fn assembly(
    ctx: &Ctx<'_>,
    m: &Machine,
    a: &Spanned<RawAssembly>,
) -> Result<Vec<Placement>, Diagnostic> {
    let r = a.get_ref();
    let (info, image_bytes) = match &r.source {
        None => (assembly_info(ctx, r, &a.span())?, Vec::new()),
        Some(src) => source::read(ctx, r, src)?,
    };
    let manifest = match (&r.manifest, image_bytes.is_empty()) {
        (Some(_), _) | (None, true) => embedded_manifest(ctx, &r.manifest)?,
        // A real image's RT_MANIFEST resource 1 (SXS-1, SXS-2), as for `[[machine.native]] bytes`.
        (None, false) => source::image_manifest(&image_bytes),
    };
    let placed = |span: &Range<usize>, path: WinPath, what: String| Placement {
        order: a.span().start,
        span: span.clone(),
        file: VFile {
            path,
            kind: FileKind::Assembly(Box::new(info.clone())),
            bytes: image_bytes.clone(),
            embedded_manifest: manifest.clone(),
            origin: origin(ctx, span, &what),
        },
    };
    let mut out = Vec::new();
    if let Some(p) = &r.path {
        out.push(placed(
            &p.span(),
            win_path(ctx, p)?,
            format!("[[machine.assembly]] {}", info.name),
        ));
    }
    if let Some(g) = &r.gac {
        for (family, span) in gac_families(ctx, g)? {
            let clr = gac_clr(ctx, m, &info, &family, &span)?;
            out.push(placed(
                &span,
                m.gac_path(&clr, &info),
                format!("[[machine.assembly]] {} in the CLR {family} GAC", info.name),
            ));
        }
    }
    if out.is_empty() {
        return Err(ctx
            .err(
                codes::SCENARIO_FIELD,
                &r.name
                    .as_ref()
                    .or(r.source.as_ref())
                    .map_or(a.span(), Spanned::span),
                format!("the assembly `{}` has neither `path` nor `gac`", info.name),
            )
            .with_note("give `path = 'C:\\App\\Name.dll'`, `gac = \"4.0\"`, or both"));
    }
    Ok(out)
}

/// The CLR families `gac = "4.0"` or `gac = ["2.0", "4.0"]` names, each with its span.
fn gac_families(
    ctx: &Ctx<'_>,
    g: &Spanned<OneOrMany>,
) -> Result<Vec<(String, Range<usize>)>, Diagnostic> {
    let families: Vec<(String, Range<usize>)> = match g.get_ref() {
        OneOrMany::One(s) => vec![(s.clone(), g.span())],
        OneOrMany::Many(list) => list
            .iter()
            .map(|t| (t.get_ref().clone(), t.span()))
            .collect(),
    };
    if families.is_empty() {
        return Err(ctx.err_at(codes::SCENARIO_GAC, g, "`gac` lists no CLR"));
    }
    Ok(families)
}

/// An assembly's identity, runtime, COM attributes and types, each value checked in the order
/// the schema lists them.
fn assembly_info(
    ctx: &Ctx<'_>,
    r: &RawAssembly,
    table: &Range<usize>,
) -> Result<AssemblyInfo, Diagnostic> {
    // Without `source`, these three are required.
    let required = |t: &Option<Text>, key: &str| -> Result<Text, Diagnostic> {
        t.clone().ok_or_else(|| {
            ctx.err(
                codes::SCENARIO_FIELD,
                table,
                format!("missing field `{key}`"),
            )
            .with_note("give it, or `source` = a real assembly file to read it from")
        })
    };
    let name = assembly_name(ctx, &required(&r.name, "name")?)?;
    let version = assembly_version(ctx, &required(&r.version, "version")?)?;
    let culture = culture(ctx, r.culture.as_ref())?;
    let (public_key_token, public_key) = strong_name(ctx, r)?;
    let com_compatible_version = match &r.com_compatible_version {
        None => None,
        Some(t) => Some(Version::parse(t.get_ref()).ok_or_else(|| {
            ctx.err_at(
                codes::SCENARIO_VERSION,
                t,
                format!(
                    "`{}` is not a [ComCompatibleVersion] (expected four numbers up to 65535, as in 1.0.0.0)",
                    t.get_ref()
                ),
            )
        })?),
    };
    let rt = runtime(ctx, &required(&r.runtime, "runtime")?)?;
    let architecture = match &r.architecture {
        None => ProcessorArchitecture::Msil,
        Some(t) => ProcessorArchitecture::parse(t.get_ref()).ok_or_else(|| {
            ctx.err_at(
                codes::SCENARIO_VALUE,
                t,
                format!(
                    "`architecture` is `msil`, `x86` or `amd64`, not `{}`",
                    t.get_ref()
                ),
            )
        })?,
    };
    let primary_interop = match &r.primary_interop {
        None => None,
        Some(p) => Some(primary_interop(ctx, p.get_ref())?),
    };
    let types = assembly_types(ctx, r)?;
    Ok(AssemblyInfo {
        name,
        version,
        culture,
        public_key_token,
        public_key,
        com_compatible_version,
        runtime: rt,
        architecture,
        com_visible: r.com_visible.unwrap_or(true),
        primary_interop,
        guid: r.guid.as_ref().map(|g| guid(ctx, g)).transpose()?,
        types,
        type_index: Default::default(),
    })
}

fn assembly_version(ctx: &Ctx<'_>, t: &Text) -> Result<Version, Diagnostic> {
    Version::parse(t.get_ref()).ok_or_else(|| {
        ctx.err_at(
            codes::SCENARIO_VERSION,
            t,
            format!(
                "`{}` is not an assembly version (expected four numbers up to 65535, as in 1.0.0.0)",
                t.get_ref()
            ),
        )
    })
}

/// A simple assembly name: not empty, none of the characters a display name uses as syntax.
fn assembly_name(ctx: &Ctx<'_>, t: &Text) -> Result<String, Diagnostic> {
    let name = non_empty(ctx, t, "the assembly name")?;
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, ',' | '=' | '"' | '\'' | '/' | '\\'))
    {
        return Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            t,
            format!("an assembly name cannot contain {c:?}"),
        ));
    }
    Ok(name)
}

/// `culture`: `None` for neutral (or absent), else a culture name such as `en-US`.
fn culture(ctx: &Ctx<'_>, t: Option<&Text>) -> Result<Option<String>, Diagnostic> {
    match t {
        None => Ok(None),
        Some(t) if t.get_ref().eq_ignore_ascii_case("neutral") => Ok(None),
        Some(t) => {
            let c = t.get_ref();
            if c.is_empty() || !c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(ctx.err_at(
                    codes::SCENARIO_VALUE,
                    t,
                    format!("`{c}` is not a culture (`neutral`, `en-US`, `de`, …)"),
                ));
            }
            Ok(Some(c.clone()))
        }
    }
}

/// `public_key_token` and `public_key`: the token is the key's when only the key is given, and
/// must match it when both are.
fn strong_name(
    ctx: &Ctx<'_>,
    r: &RawAssembly,
) -> Result<(Option<String>, Option<PublicKey>), Diagnostic> {
    let public_key_token = match &r.public_key_token {
        None => None,
        Some(t) if t.get_ref().eq_ignore_ascii_case("null") => None,
        Some(t) => {
            let s = t.get_ref();
            if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ctx.err_at(
                    codes::SCENARIO_VALUE,
                    t,
                    format!("`{s}` is not a public key token (sixteen hex digits, or `null`)"),
                ));
            }
            Some(s.to_ascii_lowercase())
        }
    };
    let public_key = match &r.public_key {
        None => None,
        Some(t) => Some(
            PublicKey::parse_hex(t.get_ref())
                .map_err(|e| ctx.err_at(codes::SCENARIO_VALUE, t, e))?,
        ),
    };
    let public_key_token = match (&public_key, public_key_token, &r.public_key_token) {
        (Some(k), None, None) => Some(k.token()),
        (Some(k), Some(given), Some(t)) if k.token() != given => {
            return Err(ctx.err_at(
                codes::SCENARIO_VALUE,
                t,
                format!(
                    "the assembly's public key has the token {}, not {given}",
                    k.token()
                ),
            ));
        }
        (Some(_), None, Some(t)) => {
            return Err(ctx.err_at(
                codes::SCENARIO_VALUE,
                t,
                "the assembly has a public key, so its token cannot be `null`",
            ));
        }
        (_, token, _) => token,
    };
    Ok((public_key_token, public_key))
}

/// `primary_interop = { libid, major, minor }`: the type library a PIA stands for.
fn primary_interop(ctx: &Ctx<'_>, p: &RawPrimaryInterop) -> Result<PrimaryInterop, Diagnostic> {
    let part = |n: &Spanned<i64>, key: &str| -> Result<u16, Diagnostic> {
        u16::try_from(*n.get_ref()).map_err(|_| {
            ctx.err_at(
                codes::SCENARIO_VALUE,
                n,
                format!("`{key}` is a number from 0 to 65535"),
            )
        })
    };
    Ok(PrimaryInterop {
        libid: guid(ctx, &p.libid)?,
        major: part(&p.major, "major")?,
        minor: part(&p.minor, "minor")?,
    })
}

/// The assembly's `[[…type]]`s; a full name defined twice is an error.
fn assembly_types(ctx: &Ctx<'_>, r: &RawAssembly) -> Result<Vec<TypeInfo>, Diagnostic> {
    let mut types: Vec<TypeInfo> = Vec::with_capacity(r.types.len());
    let mut names = std::collections::HashSet::new();
    for t in &r.types {
        let ti = type_info(ctx, t)?;
        if !names.insert(ti.full_name.clone()) {
            return Err(ctx.err_at(
                codes::SCENARIO_DUPLICATE_TYPE,
                &t.get_ref().name,
                format!("the assembly already defines `{}`", ti.full_name),
            ));
        }
        types.push(ti);
    }
    Ok(types)
}

/// The installed CLR whose GAC `family` (`2.0`, `4.0`) names (BIND-2).
fn gac_clr(
    ctx: &Ctx<'_>,
    m: &Machine,
    info: &AssemblyInfo,
    family: &str,
    span: &Range<usize>,
) -> Result<RuntimeVersion, Diagnostic> {
    let parsed = RuntimeVersion::parse(&format!("v{family}")).filter(|v| v.build.is_none());
    let Some(want) = parsed else {
        return Err(ctx.err(
            codes::SCENARIO_GAC,
            span,
            format!("`{family}` is not a CLR family (`2.0` or `4.0`)"),
        ));
    };
    if info.public_key_token.is_none() {
        return Err(ctx
            .err(
                codes::SCENARIO_GAC,
                span,
                format!(
                    "`{}` has no public key token, and only strong-named assemblies go in the GAC",
                    info.name
                ),
            )
            .with_note("give `public_key_token = \"…\"` (sixteen hex digits)"));
    }
    let Some(clr) = m.installed(want.major, want.minor).cloned() else {
        return Err(ctx.err(
            codes::SCENARIO_GAC,
            span,
            format!("CLR {family} is not installed on this machine (`machine.clrs`)"),
        ));
    };
    // A v4 assembly cannot go in the CLR 2.0 GAC; a v2 one goes in either.
    if info.runtime.cmp_major_minor(&clr) == std::cmp::Ordering::Greater {
        return Err(ctx.err(
            codes::SCENARIO_GAC,
            span,
            format!(
                "`{}` is built for {}, newer than CLR {family}: that CLR's gacutil refuses it",
                info.name, info.runtime
            ),
        ));
    }
    Ok(clr)
}

fn type_info(ctx: &Ctx<'_>, t: &Spanned<crate::raw::RawType>) -> Result<TypeInfo, Diagnostic> {
    let r = t.get_ref();
    let full_name = non_empty(ctx, &r.name, "the type name")?;
    let kind = match &r.kind {
        None => TypeKind::Class,
        Some(k) => one_of(
            ctx,
            k,
            "kind",
            &[
                ("class", TypeKind::Class),
                ("struct", TypeKind::Struct),
                ("interface", TypeKind::Interface),
                ("enum", TypeKind::Enum),
            ],
        )?,
    };
    let guid = match &r.guid {
        None => None,
        Some(g) => Some(guid(ctx, g)?),
    };
    let progid = match &r.progid {
        None => None,
        // `progid = ""` is `[ProgId("")]` or `[ProgId(null)]`: regasm registers no ProgID.
        Some(p) if p.get_ref().is_empty() => Some(String::new()),
        Some(p) => Some(non_empty(ctx, p, "the ProgID")?),
    };
    Ok(TypeInfo {
        full_name,
        kind,
        guid,
        public: r.public.unwrap_or(true),
        is_abstract: r.is_abstract.unwrap_or(false),
        com_visible: r.com_visible,
        default_constructor: r.default_constructor.unwrap_or(true),
        com_import: r.com_import.unwrap_or(false),
        progid,
        generic: r.generic.unwrap_or(false),
    })
}

fn native(ctx: &Ctx<'_>, n: &Spanned<RawNative>) -> Result<Placement, Diagnostic> {
    let r = n.get_ref();
    let path = win_path(ctx, &r.path)?;
    let is_exe = path.extension() == "exe";
    let declared = match &r.bitness {
        None => None,
        Some(b) => Some(bitness(ctx, b, "bitness")?),
    };
    if let (Some(m), Some(_)) = (&r.manifest, &r.bytes) {
        return Err(ctx
            .err_at(
                codes::SCENARIO_FIELD,
                m,
                "`manifest` and `bytes` both give the image's manifest",
            )
            .with_note("with `bytes`, the RT_MANIFEST resources come from the PE file itself"));
    }
    let (bytes, from_pe) = match &r.bytes {
        None => (Vec::new(), None),
        Some(b) => {
            let loaded = ctx.read(b)?;
            let pe = comsim_manifest::pe::pe_machine(&loaded.bytes).map_err(|e| {
                ctx.err_at(
                    codes::SCENARIO_PE,
                    b,
                    format!("`{}` is not a usable PE image: {e}", loaded.display),
                )
            })?;
            let pe = match pe {
                comsim_manifest::pe::PeBitness::Pe32 => Bitness::B32,
                comsim_manifest::pe::PeBitness::Pe64 => Bitness::B64,
            };
            (loaded.bytes, Some((pe, b)))
        }
    };
    let bitness = match (declared, from_pe) {
        (Some(d), Some((pe, b))) if d != pe => {
            let at = r.bitness.as_ref().map_or_else(|| b.span(), Spanned::span);
            return Err(ctx.err(
                codes::SCENARIO_PE,
                &at,
                format!("`bitness` says {d}, but the image in `bytes` is {pe}"),
            ));
        }
        (Some(d), _) => d,
        (None, Some((pe, _))) => pe,
        (None, None) => {
            return Err(ctx
                .err_at(
                    codes::SCENARIO_FIELD,
                    &r.path,
                    format!("`{path}` needs `bitness = 32` or `bitness = 64`"),
                )
                .with_note("or `bytes = \"…\"`, a real PE file the bitness is read from"));
        }
    };
    if let (Some(s), false) = (&r.starts, is_exe) {
        return Err(ctx.err_at(
            codes::SCENARIO_FIELD,
            s,
            "`starts` is for an .exe (a LocalServer32 server); a DLL does not start",
        ));
    }
    let readable_by = match &r.readable_by {
        None => Readers::Everyone,
        Some(t) if is_exe => {
            return Err(ctx.err_at(
                codes::SCENARIO_FIELD,
                t,
                "`readable_by` is for a DLL (LoadLibrary, COM-3); an .exe server's start is not modelled with rights",
            ));
        }
        Some(t) => one_of(ctx, t, "readable_by", &Readers::NAMES)?,
    };
    let mut serves = Vec::with_capacity(r.serves.len());
    for g in &r.serves {
        serves.push(guid(ctx, g)?);
    }
    let embedded = embedded_manifest(ctx, &r.manifest)?;
    Ok(Placement {
        order: n.span().start,
        span: r.path.span(),
        file: VFile {
            path,
            kind: FileKind::Native(NativeImage {
                bitness,
                serves,
                serves_index: Default::default(),
                starts: is_exe && r.starts.as_ref().is_none_or(|s| *s.get_ref()),
                readable_by,
            }),
            bytes,
            embedded_manifest: embedded,
            origin: origin(ctx, &r.path.span(), "[[machine.native]]"),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// The process

/// `[process]`: the program (a file of the machine), its kind and bitness, as the image says and
/// as the scenario declares them, which must agree.
fn process(ctx: &Ctx<'_>, raw: Spanned<RawProcess>, m: &Machine) -> Result<Process, Diagnostic> {
    let r = raw.get_ref();
    let exe = win_path(ctx, &r.exe)?;
    let Some(file) = m.fs.get(&exe) else {
        return Err(ctx
            .err_at(
                codes::SCENARIO_PROCESS,
                &r.exe,
                format!("`{exe}` is not a file of the machine"),
            )
            .with_note("declare the program as a `[[machine.assembly]]` (a managed client) or a `[[machine.native]]` (a native client)"));
    };
    if exe.extension() != "exe" {
        return Err(ctx.err_at(
            codes::SCENARIO_PROCESS,
            &r.exe,
            format!("`{exe}` is not an .exe: a process starts from a program"),
        ));
    }
    let (kind, image_bitness) = client_kind(ctx, r, &exe, file)?;
    let bitness = process_bitness(ctx, r, &exe, image_bitness, m.os)?;
    let apartment = apartment(ctx, &r.apartment)?;
    let preloads_clr = match &r.preloads_clr {
        None => false,
        Some(p) => {
            if *p.get_ref() && kind == ClientKind::Managed {
                return Err(ctx.err_at(
                    codes::SCENARIO_PROCESS,
                    p,
                    "`preloads_clr` describes a native host; a managed client runs on its CLR already",
                ));
            }
            *p.get_ref()
        }
    };
    // The current directory: a directory, so a drive root is allowed (BIND-4, COM-3).
    let cwd = match &r.cwd {
        None => exe.parent(),
        Some(t) => {
            WinPath::parse(t.get_ref()).map_err(|e| ctx.err_at(codes::SCENARIO_WINPATH, t, e.0))?
        }
    };
    let threads = threads(ctx, r, apartment)?;
    Ok(Process {
        client: kind,
        bitness,
        elevated: r.elevated.unwrap_or(false),
        apartment,
        exe,
        cwd,
        preloads_clr,
        threads,
    })
}

/// `main_sta` and `mta_exists`: what the process's other threads made before the steps (COM-5).
/// A calling thread in an STA means the process has one, and one in the MTA that it has an MTA.
fn threads(ctx: &Ctx<'_>, r: &RawProcess, apartment: Apartment) -> Result<Threads, Diagnostic> {
    let main_sta = match &r.main_sta {
        None => MainSta::Caller,
        Some(t) => one_of(
            ctx,
            t,
            "main_sta",
            &[
                ("caller", MainSta::Caller),
                ("other-thread", MainSta::OtherThread),
                ("none", MainSta::None),
            ],
        )?,
    };
    if let Some(t) = &r.main_sta
        && main_sta == MainSta::None
        && sta_thread(apartment)
    {
        return Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            t,
            format!("`main_sta = \"none\"` says no thread is in an STA, but the calling thread is ({apartment})"),
        ));
    }
    let mta_exists = match &r.mta_exists {
        None => false,
        Some(b) => {
            if !*b.get_ref() && !sta_thread(apartment) {
                return Err(ctx.err_at(
                    codes::SCENARIO_VALUE,
                    b,
                    format!(
                        "`mta_exists = false`, but the calling thread is in the MTA ({apartment})"
                    ),
                ));
            }
            *b.get_ref()
        }
    };
    Ok(Threads {
        main_sta,
        mta_exists,
    })
}

/// Whether a thread of this apartment is in an STA (itself, or entered the NA from one).
fn sta_thread(apartment: Apartment) -> bool {
    matches!(apartment, Apartment::Sta | Apartment::NaOnSta)
}

/// Whether the program is managed or native (and the bitness its image fixes, if any), checked
/// against `client` when the scenario gives it.
fn client_kind(
    ctx: &Ctx<'_>,
    r: &RawProcess,
    exe: &WinPath,
    file: &VFile,
) -> Result<(ClientKind, Option<Bitness>), Diagnostic> {
    let (kind, image_bitness) = match &file.kind {
        FileKind::Assembly(a) => (
            ClientKind::Managed,
            match a.architecture {
                ProcessorArchitecture::Msil => None,
                ProcessorArchitecture::X86 => Some(Bitness::B32),
                ProcessorArchitecture::Amd64 => Some(Bitness::B64),
            },
        ),
        FileKind::Native(n) => (ClientKind::Native, Some(n.bitness)),
        FileKind::Data => {
            return Err(ctx
                .err_at(
                    codes::SCENARIO_PROCESS,
                    &r.exe,
                    format!("`{exe}` is a plain file (`[[machine.file]]`), not a program"),
                )
                .with_note("declare it as a `[[machine.assembly]]` or a `[[machine.native]]`"));
        }
    };
    if let Some(c) = &r.client {
        let said = one_of(
            ctx,
            c,
            "client",
            &[
                ("managed", ClientKind::Managed),
                ("native", ClientKind::Native),
            ],
        )?;
        if said != kind {
            let is = match kind {
                ClientKind::Managed => "a managed assembly",
                ClientKind::Native => "a native image",
            };
            return Err(ctx.err_at(
                codes::SCENARIO_PROCESS,
                c,
                format!("`client` says {}, but `{exe}` is {is}", c.get_ref()),
            ));
        }
    }
    Ok((kind, image_bitness))
}

/// The process's bitness: `bitness` if given (it must match the image's), else the image's,
/// else (AnyCPU) the OS's; never 64-bit on a 32-bit Windows.
fn process_bitness(
    ctx: &Ctx<'_>,
    r: &RawProcess,
    exe: &WinPath,
    image_bitness: Option<Bitness>,
    os: Bitness,
) -> Result<Bitness, Diagnostic> {
    let declared = match &r.bitness {
        None => None,
        Some(b) => Some((bitness(ctx, b, "bitness")?, b)),
    };
    let bitness = match (declared, image_bitness) {
        (Some((d, b)), Some(i)) if d != i => {
            return Err(ctx.err_at(
                codes::SCENARIO_PROCESS,
                b,
                format!("`{exe}` is a {i} image, so its process is {i}"),
            ));
        }
        (Some((d, _)), _) => d,
        (None, Some(i)) => i,
        // AnyCPU: the OS's bitness (no 32-bit preference).
        (None, None) => os,
    };
    if bitness == Bitness::B64 && os == Bitness::B32 {
        let at = match &r.bitness {
            Some(b) => b.span(),
            None => r.exe.span(),
        };
        return Err(ctx.err(
            codes::SCENARIO_PROCESS,
            &at,
            "a 64-bit process cannot run on a 32-bit Windows (`os = \"x86\"`)",
        ));
    }
    Ok(bitness)
}

fn apartment(ctx: &Ctx<'_>, t: &Text) -> Result<Apartment, Diagnostic> {
    Apartment::parse(t.get_ref()).ok_or_else(|| {
        let names: Vec<String> = Apartment::NAMES.iter().map(|n| format!("`{n}`")).collect();
        ctx.err_at(
            codes::SCENARIO_VALUE,
            t,
            format!("`apartment` is {}, not `{}`", join_or(&names), t.get_ref()),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Steps

/// The keys that make a step, for messages: "`get_type_from_clsid`, …, `delete` or `show`".
fn actions_list() -> String {
    let names: Vec<String> = StepAction::ALL
        .iter()
        .map(|a| format!("`{}`", a.keyword()))
        .collect();
    join_or(&names)
}

/// One `[[step]]`: which action it takes, whether its options belong to that action, then the
/// request or machine step and its expectations.
fn step(
    ctx: &Ctx<'_>,
    number: usize,
    raw: Spanned<RawStep>,
    process: &Process,
    m: &Machine,
) -> Result<Step, Diagnostic> {
    let span = raw.span();
    let r = raw.into_inner();
    let (action, arg_span) = step_action(ctx, number, &span, &r)?;
    let name = match &r.name {
        None => default_step_name(action, &r),
        Some(n) => non_empty(ctx, n, "the step name")?,
    };
    step_options(ctx, action, &r)?;
    if action.is_request() {
        request_step(ctx, name, action, &arg_span, r, process)
    } else {
        machine_step_with_checks(ctx, name, action, &arg_span, r, m)
    }
}

/// A step's name when it gives none: its action and argument as written, `create_instance
/// {3F1A…}`, `regasm Contoso.Widgets.dll /codebase`, `import widget.reg`. It does not depend on
/// the step's position, so that inserting or removing a step renames no other (snapshots and
/// `comsim check` identify steps by name).
fn default_step_name(action: StepAction, r: &RawStep) -> String {
    let arg = match (action, &r.regasm) {
        (StepAction::Regasm, Some(args)) => args
            .get_ref()
            .iter()
            .map(|a| a.get_ref().as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => r
            .text_arg(action)
            .map(|t| t.get_ref().as_str().to_owned())
            .unwrap_or_default(),
    };
    format!("{} {arg}", action.keyword()).trim_end().to_owned()
}

/// Step names are unique: a name given twice is `scenario-step`; a default name met again gets
/// ` (2)`, ` (3)`, … in step order.
fn unique_step_names(
    ctx: &Ctx<'_>,
    name_spans: &[Option<Range<usize>>],
    steps: &mut [Step],
) -> Result<(), Diagnostic> {
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (given, step) in name_spans.iter().zip(steps.iter_mut()) {
        let count = seen.entry(step.name.clone()).or_default();
        *count += 1;
        if *count == 1 {
            continue;
        }
        match given {
            Some(span) => {
                return Err(ctx
                    .err(
                        codes::SCENARIO_STEP,
                        span,
                        format!("two steps are named `{}`", step.name),
                    )
                    .with_note("a step's name identifies it in snapshots and `comsim check`"));
            }
            None => step.name = format!("{} ({count})", step.name),
        }
    }
    Ok(())
}

/// The one action key a step gives, with the span of its value.
fn step_action(
    ctx: &Ctx<'_>,
    number: usize,
    span: &Range<usize>,
    r: &RawStep,
) -> Result<(StepAction, Range<usize>), Diagnostic> {
    let mut actions = r.actions();
    actions.sort_by_key(|(_, arg)| arg.start);
    match actions.as_slice() {
        [] => Err(ctx
            .err(
                codes::SCENARIO_STEP,
                span,
                format!("step {number} makes no request"),
            )
            .with_note(format!("give one of {}", actions_list()))),
        [one] => Ok(one.clone()),
        [(first, _), (second, arg), ..] => Err(ctx
            .err(
                codes::SCENARIO_STEP,
                arg,
                format!("a step makes one request: `{first}` and `{second}` are both given"),
            )
            .with_note("split them into two `[[step]]`s")),
    }
}

/// An option key of a step, its span when given, and the actions that take it.
type StepOption<'a> = (&'static str, Option<Range<usize>>, &'a [StepAction]);

/// Refuses an option that the step's action does not take (`clsctx` on a `create_instance`).
fn step_options(ctx: &Ctx<'_>, action: StepAction, r: &RawStep) -> Result<(), Diagnostic> {
    use StepAction::{
        CoCreateInstance, Delete, GetTypeFromProgid, Import, Regasm, Show, SxsLookup,
    };
    let requests: Vec<StepAction> = StepAction::requests().collect();
    let requests_and_lookup: Vec<StepAction> =
        requests.iter().copied().chain([SxsLookup]).collect();
    let options: [StepOption<'_>; 12] = [
        (
            "throw_on_error",
            r.throw_on_error.as_ref().map(Spanned::span),
            &[GetTypeFromProgid],
        ),
        (
            "create",
            r.create.as_ref().map(Spanned::span),
            &[GetTypeFromProgid],
        ),
        (
            "clsctx",
            r.clsctx.as_ref().map(Spanned::span),
            &[CoCreateInstance],
        ),
        (
            "apartment",
            r.apartment.as_ref().map(Spanned::span),
            &requests,
        ),
        (
            "actctx",
            r.actctx.as_ref().map(Spanned::span),
            &requests_and_lookup,
        ),
        ("bitness", r.bitness.as_ref().map(Spanned::span), &[Regasm]),
        ("clr", r.clr.as_ref().map(Spanned::span), &[Regasm]),
        (
            "elevated",
            r.elevated.as_ref().map(Spanned::span),
            &[Regasm],
        ),
        ("cwd", r.cwd.as_ref().map(Spanned::span), &[Regasm]),
        (
            "view",
            r.view.as_ref().map(Spanned::span),
            &[Import, Delete, Show],
        ),
        (
            "as",
            r.as_user.as_ref().map(Spanned::span),
            &[Import, Delete],
        ),
        ("find", r.find.as_ref().map(Spanned::span), &[SxsLookup]),
    ];
    for (key, present, owners) in options {
        if let Some(s) = present
            && !owners.contains(&action)
        {
            let owners: Vec<&str> = owners.iter().map(|a| a.keyword()).collect();
            return Err(ctx.err(
                codes::SCENARIO_STEP,
                &s,
                format!(
                    "`{key}` belongs to `{}`, and this step is `{action}`",
                    owners.join("` or `")
                ),
            ));
        }
    }
    Ok(())
}

/// A `regasm`, `import`, `delete` or `show` step and its `expect` (the same for every CLR).
fn machine_step_with_checks(
    ctx: &Ctx<'_>,
    name: String,
    action: StepAction,
    arg_span: &Range<usize>,
    r: RawStep,
    m: &Machine,
) -> Result<Step, Diagnostic> {
    if let Some(t) = [&r.expect_clr2, &r.expect_clr4, &r.expect_real]
        .into_iter()
        .flatten()
        .next()
    {
        return Err(ctx.err(
            codes::SCENARIO_STEP,
            &t.span(),
            format!("a `{action}` step is the same for every CLR: use `expect`"),
        ));
    }
    let machine_step = machine_step(ctx, action, arg_span, &r, m)?;
    let mut expect = Vec::new();
    if let Some(t) = r.expect {
        expectations(
            ctx,
            t,
            "expect",
            None,
            MACHINE_EXPECTATION_FIELDS,
            &mut expect,
        )?;
    }
    Ok(Step {
        name,
        action: Action::Machine(machine_step),
        expect: expect.into_iter().map(|(e, _)| e).collect(),
    })
}

/// A request step (REQ-1..REQ-5): the request, its apartment, and its `expect`, `expect_clr2`,
/// `expect_clr4` and `expect_real`.
fn request_step(
    ctx: &Ctx<'_>,
    name: String,
    action: StepAction,
    arg_span: &Range<usize>,
    r: RawStep,
    process: &Process,
) -> Result<Step, Diagnostic> {
    let arg = &r
        .text_arg(action)
        .cloned()
        .unwrap_or_else(|| Spanned::new(arg_span.clone(), String::new()));
    let request = request(ctx, action, arg, &r)?;
    crate::check_client(process, action, &request).map_err(|d| {
        let loc = ctx.location(&arg.span());
        let line = ctx.index.line_text(loc.line);
        d.at(loc).with_source_line(line)
    })?;
    let apartment = match &r.apartment {
        None => None,
        Some(a) => {
            let apt = apartment(ctx, a)?;
            if process.threads.main_sta == MainSta::None && sta_thread(apt) {
                return Err(ctx
                    .err_at(
                        codes::SCENARIO_STEP,
                        a,
                        format!("this step's thread is in an STA ({apt}), but `[process] main_sta = \"none\"` says no thread is"),
                    )
                    .with_note("the first thread to enter an STA is the main STA: leave `main_sta` out, or make this step's thread `mta` or `na-on-mta`"));
            }
            Some(apt)
        }
    };
    if let (Some(t), false) = (&r.expect_real, process.client == ClientKind::Managed) {
        // SHIM-2, SHIM-4: only a managed client's runtime is chosen from its exe and `.config`;
        // a native host's preloaded CLR is the replay's choice.
        return Err(ctx
            .err(
                codes::SCENARIO_STEP,
                &t.span(),
                "`expect_real` is for a managed client: the shim picks its runtime from the exe and its .config, and runs on other CLRs are what-ifs",
            )
            .with_note("a native client's runs are all real: use `expect`, or `expect_clr2` / `expect_clr4` for a host that preloads a CLR"));
    }
    let mut expect = Vec::new();
    for (table, key, clr) in [
        (r.expect, "expect", None),
        (r.expect_clr2, "expect_clr2", Some("2.0")),
        (r.expect_clr4, "expect_clr4", Some("4.0")),
        (r.expect_real, "expect_real", Some(crate::REAL)),
    ] {
        if let Some(t) = table {
            expectations(ctx, t, key, clr, EXPECTATION_FIELDS, &mut expect)?;
        }
    }
    Ok(Step {
        name,
        action: Action::Request {
            request,
            apartment,
            actctx: match &r.actctx {
                None => None,
                Some(a) => Some(explicit_context(ctx, a.get_ref())?),
            },
        },
        expect: expect.into_iter().map(|(e, _)| e).collect(),
    })
}

/// A step's `actctx`: the manifest CreateActCtx reads and the directory its dependencies are
/// probed in, by default the manifest's (SXS-1, SXS-2). Whether the files exist is the step's
/// outcome, not a scenario error.
fn explicit_context(ctx: &Ctx<'_>, raw: &RawActCtx) -> Result<ExplicitContext, Diagnostic> {
    let manifest = win_path(ctx, &raw.manifest)?;
    let assembly_directory = match &raw.assembly_directory {
        None => manifest.parent(),
        Some(t) => {
            WinPath::parse(t.get_ref()).map_err(|e| ctx.err_at(codes::SCENARIO_WINPATH, t, e.0))?
        }
    };
    Ok(ExplicitContext {
        manifest,
        assembly_directory,
    })
}

/// The request a request action's argument names, with its options.
fn request(
    ctx: &Ctx<'_>,
    action: StepAction,
    arg: &Text,
    r: &RawStep,
) -> Result<Request, Diagnostic> {
    Ok(match action {
        StepAction::GetTypeFromClsid => Request::GetTypeFromClsid {
            clsid: guid(ctx, arg)?,
        },
        StepAction::CreateInstance => Request::CreateInstance {
            clsid: guid(ctx, arg)?,
        },
        StepAction::GetTypeFromProgid => Request::GetTypeFromProgId {
            progid: non_empty(ctx, arg, "the ProgID")?,
            throw_on_error: r.throw_on_error.as_ref().is_some_and(|b| *b.get_ref()),
            create: r.create.as_ref().is_some_and(|b| *b.get_ref()),
        },
        StepAction::CoCreateInstance => {
            let s = arg.get_ref();
            let target = if let Some(g) = Guid::parse(s) {
                ClassRef::Clsid(g)
            } else if s.starts_with('{') {
                return Err(not_a_guid(ctx, arg));
            } else {
                ClassRef::ProgId(non_empty(ctx, arg, "the ProgID")?)
            };
            let clsctx = match &r.clsctx {
                None => ClsCtx::SERVER,
                Some(c) => ClsCtx::parse(c.get_ref())
                    .map_err(|msg| ctx.err_at(codes::SCENARIO_VALUE, c, msg))?,
            };
            Request::CoCreateInstance { target, clsctx }
        }
        StepAction::DllGetClassObject => Request::DllGetClassObject {
            clsid: guid(ctx, arg)?,
        },
        _ => Request::LoadRecord {
            guid: guid(ctx, arg)?,
        },
    })
}

/// The registry view a `view = 32|64` names (REG-3); a 32-bit Windows has one view.
fn reg_view(ctx: &Ctx<'_>, view: Option<&Spanned<i64>>, os: Bitness) -> Result<View, Diagnostic> {
    Ok(match (view, os) {
        (None, _) => View::Bits64,
        (Some(v), Bitness::B64) => match bitness(ctx, v, "view")? {
            Bitness::B64 => View::Bits64,
            Bitness::B32 => View::Bits32,
        },
        (Some(v), Bitness::B32) => match bitness(ctx, v, "view")? {
            Bitness::B32 => View::Bits64,
            Bitness::B64 => {
                return Err(ctx.err_at(
                    codes::SCENARIO_VALUE,
                    v,
                    "a 32-bit Windows (`os = \"x86\"`) has no 64-bit regedit: use `view = 32` or leave it out",
                ));
            }
        },
    })
}

/// `as = "administrator"` (the default) or `"standard-user"`: whether writes to HKLM are allowed.
fn reg_admin(ctx: &Ctx<'_>, as_user: Option<&Text>) -> Result<bool, Diagnostic> {
    match as_user {
        None => Ok(true),
        Some(t) => one_of(
            ctx,
            t,
            "as",
            &[("administrator", true), ("standard-user", false)],
        ),
    }
}

fn reg_key(ctx: &Ctx<'_>, t: &Text) -> Result<KeyPath, Diagnostic> {
    KeyPath::parse(t.get_ref()).map_err(|e| {
        ctx.err_at(
            codes::SCENARIO_VALUE,
            t,
            format!("`{}` is not a registry key: {e}", t.get_ref()),
        )
    })
}

/// A `regasm`, `import`, `delete`, `show` or `sxs_lookup` step.
fn machine_step(
    ctx: &Ctx<'_>,
    action: StepAction,
    arg_span: &Range<usize>,
    r: &RawStep,
    m: &Machine,
) -> Result<MachineStep, Diagnostic> {
    match action {
        StepAction::Regasm => regasm_step(ctx, arg_span, r, m),
        StepAction::Import => {
            let t = r.import.as_ref().expect("the action's key is present");
            let view = reg_view(ctx, r.view.as_ref(), m.os)?;
            let admin = reg_admin(ctx, r.as_user.as_ref())?;
            let source = if let Ok(p) = WinPath::parse(t.get_ref()) {
                ImportSource::Machine(p)
            } else {
                let file = ctx.read(t)?;
                // Checked now, so that a mistake in it is reported where it is.
                let mut scratch = comsim_registry::Registry::new();
                let opts = ImportOptions {
                    mode: Mode::Strict,
                    view,
                    writer: Writer { admin: true },
                    encoding: None,
                };
                comsim_regfile::import_bytes(&mut scratch, &file.display, &file.bytes, &opts)
                    .map_err(|d| {
                        d.with_note(format!(
                            "imported by step `import` at {}",
                            ctx.location(&t.span())
                        ))
                    })?;
                ImportSource::Scenario {
                    display: file.display,
                    bytes: file.bytes,
                }
            };
            Ok(MachineStep::Import {
                source,
                view,
                admin,
            })
        }
        StepAction::Delete => {
            let t = r.delete.as_ref().expect("the action's key is present");
            let key = reg_key(ctx, t)?;
            if key.components.is_empty() {
                return Err(ctx.err_at(codes::SCENARIO_VALUE, t, "a root key cannot be deleted"));
            }
            Ok(MachineStep::Delete {
                key,
                view: reg_view(ctx, r.view.as_ref(), m.os)?,
                admin: reg_admin(ctx, r.as_user.as_ref())?,
            })
        }
        StepAction::SxsLookup => {
            let t = r.sxs_lookup.as_ref().expect("the action's key is present");
            let find = match &r.find {
                None => Find::Any,
                Some(f) => one_of(
                    ctx,
                    f,
                    "find",
                    &[
                        ("any", Find::Any),
                        ("class", Find::Class),
                        ("surrogate", Find::Surrogate),
                    ],
                )?,
            };
            Ok(MachineStep::SxsLookup {
                guid: guid(ctx, t)?,
                find,
                actctx: match &r.actctx {
                    None => None,
                    Some(a) => Some(explicit_context(ctx, a.get_ref())?),
                },
            })
        }
        _ => {
            let t = r.show.as_ref().expect("the action's key is present");
            Ok(MachineStep::Show {
                key: reg_key(ctx, t)?,
                view: reg_view(ctx, r.view.as_ref(), m.os)?,
            })
        }
    }
}

/// `regasm = ['C:\app\Contoso.dll', '/codebase']` with `bitness`, `clr`, `elevated`, `cwd`.
fn regasm_step(
    ctx: &Ctx<'_>,
    arg_span: &Range<usize>,
    r: &RawStep,
    m: &Machine,
) -> Result<MachineStep, Diagnostic> {
    let args: Vec<Text> = r
        .regasm
        .as_ref()
        .map(|a| a.get_ref().clone())
        .unwrap_or_default();
    let Some(bits) = &r.bitness else {
        return Err(ctx
            .err(codes::SCENARIO_STEP, arg_span, "a `regasm` step says which regasm runs: `bitness = 32` (Framework) or `bitness = 64` (Framework64)")
            .with_note("ASM-5: the 32-bit regasm writes the 32-bit registry view, the 64-bit one the native view"));
    };
    let bitness = bitness(ctx, bits, "bitness")?;
    if bitness == Bitness::B64 && m.os == Bitness::B32 {
        return Err(ctx.err_at(
            codes::SCENARIO_VALUE,
            bits,
            "a 32-bit Windows (`os = \"x86\"`) has no Framework64 regasm",
        ));
    }
    let clr = match &r.clr {
        None => m.clrs.iter().max_by(|a, b| a.cmp_full(b)).cloned(),
        Some(t) => {
            let (major, minor) = one_of(ctx, t, "clr", &[("2.0", (2, 0)), ("4.0", (4, 0))])?;
            let found = m.installed(major, minor).cloned();
            if found.is_none() {
                return Err(ctx.err_at(
                    codes::SCENARIO_VALUE,
                    t,
                    format!(
                        "CLR {} is not installed on the machine, so it has no regasm",
                        t.get_ref()
                    ),
                ));
            }
            found
        }
    };
    let Some(clr) = clr else {
        return Err(ctx.err(
            codes::SCENARIO_STEP,
            arg_span,
            "the machine has no CLR installed, so no regasm",
        ));
    };
    let words: Vec<String> = args.iter().map(|a| a.get_ref().clone()).collect();
    let parsed = comsim_regasm::options::parse(&words).ok();
    let cwd = match &r.cwd {
        Some(t) => win_path(ctx, t)?,
        None => match comsim_regasm::assembly_dir(&words) {
            Some(dir) => dir,
            None => {
                return Err(ctx.err(
                    codes::SCENARIO_STEP,
                    arg_span,
                    "a `regasm` step whose assembly is not an absolute path needs `cwd`, the directory regasm runs in",
                ));
            }
        },
    };
    // What comsim cannot reproduce is refused now, at the assembly's entry.
    if let Some(o) = &parsed
        && let Some(a) = &o.assembly
        && let Some(asm) =
            m.fs.get(&comsim_regasm::resolve(&cwd, a))
                .and_then(|f| f.assembly())
        && let Err(e) = comsim_regasm::check_supported(asm, o.tlb.is_some())
    {
        let at = args
            .iter()
            .find(|t| t.get_ref() == a)
            .map_or(arg_span.clone(), Spanned::span);
        return Err(ctx.err(codes::SCENARIO_UNSUPPORTED, &at, e.to_string()));
    }
    Ok(MachineStep::Regasm {
        tool: Tool { bitness, clr },
        elevated: r.elevated.as_ref().is_none_or(|e| *e.get_ref()),
        args: words,
        cwd,
    })
}

/// Flattens one `expect*` table into fields (`server = { kind = … }` is `server.kind`) and checks
/// each. A field may be expected once for every run, or per CLR, not both.
fn expectations(
    ctx: &Ctx<'_>,
    table: Spanned<ExpectTable>,
    key: &'static str,
    clr: Option<&str>,
    fields_known: &[(&str, FieldType)],
    out: &mut Vec<(Expectation, &'static str)>,
) -> Result<(), Diagnostic> {
    // The tables nest at most three deep by type; flatten with an explicit list.
    let mut fields: Vec<(String, Range<usize>, Spanned<Scalar>)> = Vec::new();
    for (key, node) in table.into_inner().0 {
        let (name, span) = (key.get_ref().clone(), key.span());
        let (nspan, node) = (node.span(), node.into_inner());
        match node {
            Node::Scalar(s) => fields.push((name, span, Spanned::new(nspan, s))),
            Node::Table(entries) => {
                prefix(ctx, fields_known, &name, &span)?;
                for (k2, n2) in entries {
                    let name2 = format!("{name}.{}", k2.get_ref());
                    let (nspan2, n2) = (n2.span(), n2.into_inner());
                    match n2 {
                        Node::Scalar(s) => fields.push((name2, k2.span(), Spanned::new(nspan2, s))),
                        Node::Table(entries) => {
                            prefix(ctx, fields_known, &name2, &k2.span())?;
                            for (k3, s) in entries {
                                fields.push((format!("{name2}.{}", k3.get_ref()), k3.span(), s));
                            }
                        }
                    }
                }
            }
        }
    }
    // TOML hands a table's keys over sorted by name: restore the order they were written in.
    fields.sort_by_key(|(_, span, _)| span.start);
    for (field, span, value) in fields {
        let Some(ty) = expect::field_type(fields_known, &field) else {
            return Err(unknown_field(ctx, fields_known, &field, &span));
        };
        let value_text = expect::normalise(&field, ty, value.get_ref())
            .map_err(|msg| ctx.err_at(codes::SCENARIO_EXPECT, &value, msg))?;
        if let Some((first, first_key)) = out.iter().find(|(e, _)| {
            e.field == field && (e.clr.is_none() || clr.is_none() || e.clr.as_deref() == clr)
        }) {
            let first_at = format!("first at {}", first.location);
            if *first_key == key {
                return Err(ctx
                    .err(
                        codes::SCENARIO_EXPECT,
                        &span,
                        format!("`{field}` is expected twice in `{key}`"),
                    )
                    .with_note(first_at));
            }
            return Err(ctx
                .err(
                    codes::SCENARIO_EXPECT,
                    &span,
                    format!("`{field}` is expected in both `{first_key}` and `{key}`"),
                )
                .with_note(first_at)
                .with_note("`expect` holds what every run ends in, `expect_clr2`, `expect_clr4` and `expect_real` what one run ends in: a field goes in one or the other"));
        }
        out.push((
            Expectation {
                clr: clr.map(str::to_owned),
                field,
                value: value_text,
                location: ctx.location(&span),
            },
            key,
        ));
    }
    Ok(())
}

fn prefix(
    ctx: &Ctx<'_>,
    fields: &[(&str, FieldType)],
    name: &str,
    span: &Range<usize>,
) -> Result<(), Diagnostic> {
    if expect::is_prefix(fields, name) {
        Ok(())
    } else {
        Err(unknown_field(ctx, fields, name, span))
    }
}

fn unknown_field(
    ctx: &Ctx<'_>,
    fields: &[(&str, FieldType)],
    name: &str,
    span: &Range<usize>,
) -> Diagnostic {
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    ctx.err(
        codes::SCENARIO_EXPECT,
        span,
        format!("`{name}` is not an outcome field"),
    )
    .with_note(format!("the fields are {}", names.join(", ")))
}
