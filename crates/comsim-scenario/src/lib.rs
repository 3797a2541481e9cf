//! Scenarios: a hand-written TOML file that describes a machine (its registry as `.reg` files,
//! its files: manifests, `.config` files, managed assemblies, native images), the client process,
//! and the steps it takes, each with the outcome it expects. [`load`] turns one into the
//! resolver's model; `docs/scenarios.md` is the schema. [`replay`] runs its steps (machine steps
//! with [`apply`], requests in one client process per machine state and CLR) into a [`Replay`].
//!
//! Every problem with a scenario is a [`Diagnostic`] with the file, line and column where it was
//! written: TOML syntax, an unknown key at any level, a bad GUID or version, a file that does not
//! exist or lies outside the scenario's directory, a `.reg` file that regedit would not import
//! (located in that `.reg` file), two files at one path, a step with no request or two.
//!
//! Loading never panics, reads no file larger than [`MAX_FILE_SIZE`], reads nothing outside the
//! scenario's directory, and gives the same [`Machine`] for the same input.

mod action;
mod build;
mod check;
pub mod codes;
mod compare;
mod expect;
mod files;
mod machine_step;
mod raw;
mod replay;
mod satisfied;
mod snapshot;

use std::path::{Path, PathBuf};

pub use comsim_diag::Diagnostic;
use comsim_diag::{LineIndex, Location};
use comsim_resolver::{
    Apartment, ClientKind, ExplicitContext, Machine, Process, Request, Switches,
};

pub use action::StepAction;
pub use expect::{EXPECTATION_FIELDS, FieldType, MACHINE_EXPECTATION_FIELDS};
pub use machine_step::{
    ImportSource, MachineRun, MachineStep, RegistryChange, SxsAnswer, apply, observe, sxs_lookup,
};
pub use replay::{
    Check, Clr, ClrChoice, MachineStepRun, REAL, Replay, ReplayOptions, Replayer, RequestRun,
    RequestStepRun, StepRun, Summary, check, replay,
};

pub use check::{
    CheckOptions, SNAPSHOT_FILE, ScenarioCheck, Status, check_scenario, find_scenarios,
    snapshot_path,
};
pub use compare::{Difference, compare};
pub use files::MAX_FILE_SIZE;
pub use satisfied::{SatisfiedStep, render_toml, satisfied};
pub use snapshot::{FORMAT_VERSION, Snapshot, SnapshotRun, SnapshotStep};

/// The file name [`load`] looks for when given a directory.
pub const SCENARIO_FILE: &str = "scenario.toml";

/// A loaded scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario file (`…/scenario.toml`), as given to [`load`]. Nothing the replay puts
    /// out uses it: output names the scenario by [`Scenario::name`] and its files relative to
    /// its directory.
    pub path: PathBuf,
    /// The name of the scenario's directory (its last component, symbolic links resolved),
    /// whatever path was given to [`load`].
    pub name: String,
    /// The scenario file's name in its directory (`scenario.toml`); expectation locations and
    /// the setup trace name it so.
    pub file_name: String,
    pub title: String,
    pub description: Option<String>,
    pub machine: Machine,
    pub process: Process,
    pub switches: Switches,
    pub steps: Vec<Step>,
}

/// One step: a request the client makes, or a change to the machine (or a look at it), and what
/// it should end in.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub action: Action,
    pub expect: Vec<Expectation>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// The client makes a request (REQ-1..REQ-5), once per CLR.
    Request {
        request: Request,
        /// The calling thread's apartment for this step, when it is not the process's.
        apartment: Option<Apartment>,
        /// An activation context the step makes (CreateActCtx) and activates around its request
        /// (SXS-1).
        actctx: Option<ExplicitContext>,
    },
    /// The machine changes (regasm, a `.reg` import, a key deleted) or is shown; the same for
    /// every CLR. A client process that runs after a change is a new process.
    Machine(MachineStep),
}

impl Action {
    /// Which of the step actions this is.
    pub fn kind(&self) -> StepAction {
        match self {
            Action::Request { request, .. } => match request {
                Request::GetTypeFromClsid { .. } => StepAction::GetTypeFromClsid,
                Request::CreateInstance { .. } => StepAction::CreateInstance,
                Request::GetTypeFromProgId { .. } => StepAction::GetTypeFromProgid,
                Request::CoCreateInstance { .. } => StepAction::CoCreateInstance,
                Request::LoadRecord { .. } => StepAction::LoadRecord,
                Request::DllGetClassObject { .. } => StepAction::DllGetClassObject,
            },
            Action::Machine(ms) => ms.action(),
        }
    }
}

/// REQ-4: a native client calls `CoCreateInstance`; it cannot make a request that is managed
/// code. The loader places the error at the step's argument; [`replay`] refuses a scenario built
/// another way with it, naming the step.
pub fn check_client(
    process: &Process,
    action: StepAction,
    request: &Request,
) -> Result<(), Diagnostic> {
    if request.is_managed() && process.client == ClientKind::Native {
        return Err(Diagnostic::error(
            codes::SCENARIO_STEP,
            format!("`{action}` is managed code, and the client is native"),
        )
        .with_note("a native client calls CoCreateInstance: `co_create_instance`, or mscoree's DllGetClassObject: `dll_get_class_object` (REQ-4)"));
    }
    Ok(())
}

impl Step {
    /// The request, for a request step.
    pub fn request(&self) -> Option<&Request> {
        match &self.action {
            Action::Request { request, .. } => Some(request),
            Action::Machine(_) => None,
        }
    }
}

/// One expected outcome field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// `None`: every run; `Some("2.0")` / `Some("4.0")`: only the run on that CLR.
    pub clr: Option<String>,
    /// An outcome field as [`Outcome::field`](comsim_resolver::Outcome::field) takes it: one of
    /// [`EXPECTATION_FIELDS`].
    pub field: String,
    /// The expected text, normalised as [`FieldType`] says (HRESULTs as `0x80040154`, GUIDs
    /// upper-case in braces, paths with `\`).
    pub value: String,
    /// Where the field was written in the scenario file.
    pub location: Location,
}

/// A real assembly file (`display` names it in errors) as a file of the machine at `path`, with
/// everything read from its metadata, as `[[machine.assembly]] source = …` places it.
pub fn assembly_file(
    display: &str,
    bytes: Vec<u8>,
    path: comsim_resolver::WinPath,
) -> Result<comsim_resolver::vfs::VFile, build::source::SourceError> {
    let info = build::source::describe(display, &bytes)?;
    Ok(comsim_resolver::vfs::VFile {
        origin: format!(
            "{display} ([[machine.assembly]] {}, read from the file)",
            info.name
        ),
        path,
        kind: comsim_resolver::vfs::FileKind::Assembly(Box::new(info)),
        embedded_manifest: build::source::image_manifest(&bytes),
        bytes,
    })
}

pub use build::source::SourceError;

/// Loads a scenario: `path` is the scenario file or a directory holding [`SCENARIO_FILE`].
/// Diagnostics name files as `path` names them.
pub fn load(path: &Path) -> Result<Scenario, Diagnostic> {
    let file: PathBuf = if path.is_dir() {
        path.join(SCENARIO_FILE)
    } else {
        path.to_path_buf()
    };
    let display = file.to_string_lossy().into_owned();
    let bytes = files::read_capped(&file)
        .map_err(|(code, msg)| Diagnostic::error(code, msg).at(Location::new(&*display, 1, 1)))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            // The valid prefix is unchanged by the lossy conversion, so its offsets hold.
            let lossy = String::from_utf8_lossy(&bytes);
            let idx = LineIndex::new(&lossy);
            let loc = idx.location(&display, e.valid_up_to());
            return Err(Diagnostic::error(
                codes::SCENARIO_ENCODING,
                "the scenario is not UTF-8 (TOML files are UTF-8)",
            )
            .at(loc.clone())
            .with_source_line(idx.line_text(loc.line)));
        }
    };
    // Notepad may save a byte order mark; TOML does not want one.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let dir = file.parent().unwrap_or(Path::new(""));
    let io_error = |e: std::io::Error| {
        Diagnostic::error(
            codes::SCENARIO_IO,
            format!("cannot open the scenario's directory: {e}"),
        )
        .at(Location::new(&*display, 1, 1))
    };
    // What the scenario keeps (expectation locations, the setup trace, file origins) names files
    // relative to its directory, so that the output does not depend on the path typed. A
    // diagnostic names them as typed: the scenario is built again with those names (the build
    // is deterministic, so it fails the same way).
    let file_name = file.file_name().map_or_else(
        || SCENARIO_FILE.to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let relative = files::ScenarioDir::named(dir, "").map_err(io_error)?;
    let name = relative.name();
    let mut scenario = match build_in(text, &file_name, relative) {
        Ok(s) => s,
        Err(first) => {
            let typed = files::ScenarioDir::new(dir).map_err(io_error)?;
            return Err(build_in(text, &display, typed).err().unwrap_or(first));
        }
    };
    scenario.path = file;
    scenario.name = name;
    scenario.file_name = file_name;
    Ok(scenario)
}

/// Builds the scenario whose text is `text`, naming it `file` and its files through `dir`.
fn build_in(text: &str, file: &str, dir: files::ScenarioDir) -> Result<Scenario, Diagnostic> {
    let mut ctx = build::Ctx {
        file,
        index: LineIndex::new(text),
        dir,
    };
    let raw = build::parse(&ctx, text)?;
    build::apply_root(&mut ctx, &raw)?;
    build::scenario(&ctx, raw)
}

#[cfg(test)]
mod tests;
