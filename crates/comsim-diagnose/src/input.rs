//! The machine as the user has it: `.reg` exports (`--reg`, `--reg32`), registry hive files
//! (`--hive`, read with comsim-hive), a whole scenario (`--scenario`), and the application
//! folder (`--app`: its `.config` and manifests read as the real files). [`MachineSource`] is
//! the one place a new kind of input slots in.

use std::path::{Path, PathBuf};

use comsim_diag::{Diagnostic, Location};
use comsim_regfile::{ImportOptions, Mode};
use comsim_registry::{KeyPath, View, Writer};
use comsim_resolver::{
    Apartment, Bitness, FileKind, Machine, RuntimeVersion, Switches, VFile, WinPath,
};

use crate::codes;

/// The largest file read from the application folder.
const MAX_APP_FILE: u64 = 16 << 20;
/// The most files read from the application folder (and its subfolders).
const MAX_APP_FILES: usize = 10_000;

/// One source of the machine's state.
#[derive(Debug, Clone)]
pub enum MachineSource {
    /// A `.reg` export, imported as the regedit of `view` would (an export made with `/reg:32`
    /// is imported in the 32-bit view, so its `Classes\CLSID` keys land in Wow6432Node). Any
    /// root: `HKEY_CLASSES_ROOT`, `HKEY_LOCAL_MACHINE`, `HKEY_CURRENT_USER`.
    Reg { path: PathBuf, view: View },
    /// A registry hive file (`reg save`, or a copy of `System32\config\SOFTWARE`, a user's
    /// `NTUSER.DAT` or `UsrClass.dat`), read at `mount` (comsim-hive's `resolve_mount`: given,
    /// or guessed from the file name). Hives are read before the `.reg` exports, as
    /// `comsim reg` reads them.
    Hive { path: PathBuf, mount: KeyPath },
    /// A scenario (`docs/scenarios.md`): its machine, its client and its switches; its steps are
    /// not run.
    Scenario(PathBuf),
}

/// The application folder as copied from the machine, and where it was on the machine.
#[derive(Debug, Clone)]
pub struct AppFolder {
    pub dir: PathBuf,
    pub at: WinPath,
}

/// Everything diagnose is told about the machine.
#[derive(Debug, Clone, Default)]
pub struct MachineInput {
    pub sources: Vec<MachineSource>,
    pub app: Option<AppFolder>,
    /// The installed CLRs, when given (`--clrs`); else a scenario's, else both.
    pub clrs: Option<Vec<RuntimeVersion>>,
}

/// The client program, as far as it is known.
#[derive(Debug, Clone)]
pub enum Client {
    /// A file of the machine (a scenario's `[process] exe`): its kind and bitness come from it.
    File(WinPath),
    /// Only a path (the application folder's `.exe`, or a stand-in): diagnose places a described
    /// client there for each configuration it tries.
    Unknown(WinPath),
}

impl Client {
    pub fn path(&self) -> &WinPath {
        match self {
            Client::File(p) | Client::Unknown(p) => p,
        }
    }
}

/// The machine loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub machine: Machine,
    pub client: Client,
    pub apartment: Apartment,
    pub switches: Switches,
    /// Whether the machine's files were given (a scenario or an application folder). When only
    /// registry exports were given, the files a registration names are not known.
    pub files_known: bool,
    /// Every input file read, for `--save-scenario`: `.reg` files with their view, the
    /// application folder's files with their machine path.
    pub reg_files: Vec<(PathBuf, View)>,
    /// The hive files read, with their mount points.
    pub hive_files: Vec<(PathBuf, KeyPath)>,
    pub app_files: Vec<(PathBuf, WinPath)>,
    pub scenario: Option<PathBuf>,
}

/// The file a scenario directory holds.
pub const SCENARIO_FILE: &str = comsim_scenario::SCENARIO_FILE;

/// Where the stand-in client lives when nothing names one.
pub const STAND_IN_CLIENT: &str = r"C:\Client\Client.exe";

/// Loads the machine.
pub fn load(input: &MachineInput) -> Result<Loaded, Diagnostic> {
    let mut loaded = Loaded {
        machine: Machine::new(Bitness::B64),
        client: Client::Unknown(WinPath::parse(STAND_IN_CLIENT).expect("a valid path")),
        apartment: Apartment::Sta,
        switches: Switches::default(),
        files_known: false,
        reg_files: Vec::new(),
        hive_files: Vec::new(),
        app_files: Vec::new(),
        scenario: None,
    };
    let mut clrs_given = false;
    for source in &input.sources {
        if let MachineSource::Scenario(path) = source {
            let s = comsim_scenario::load(path)?;
            loaded.machine = s.machine;
            loaded.client = Client::File(s.process.exe);
            loaded.apartment = s.process.apartment;
            loaded.switches = s.switches;
            loaded.files_known = true;
            loaded.scenario = Some(s.path);
            clrs_given = true;
        }
    }
    if !clrs_given {
        loaded.machine.clrs = ["v2.0.50727", "v4.0.30319"]
            .iter()
            .filter_map(|v| RuntimeVersion::parse(v))
            .collect();
    }
    if let Some(clrs) = &input.clrs {
        loaded.machine.clrs.clone_from(clrs);
    }
    for source in &input.sources {
        if let MachineSource::Hive { path, mount } = source {
            let display = path.display().to_string();
            comsim_hive::load_file(&mut loaded.machine.registry, path, &display, mount, &[])?;
            loaded.hive_files.push((path.clone(), mount.clone()));
        }
    }
    for source in &input.sources {
        if let MachineSource::Reg { path, view } = source {
            import(&mut loaded.machine, path, *view)?;
            loaded.reg_files.push((path.clone(), *view));
        }
    }
    if let Some(app) = &input.app {
        read_app(&mut loaded, app)?;
    }
    Ok(loaded)
}

/// A `.reg` export, strict: the first line regedit would skip is an error at its line and column.
fn import(m: &mut Machine, path: &Path, view: View) -> Result<(), Diagnostic> {
    let opts = ImportOptions {
        mode: Mode::Strict,
        view,
        writer: Writer { admin: true },
        encoding: None,
    };
    let display = path.display().to_string();
    comsim_regfile::import_file(&mut m.registry, path, &display, &opts)?;
    Ok(())
}

/// The application folder: its `.config` and `.manifest` files are placed at their machine
/// paths as they are; its `.exe` names the client. Assemblies and native DLLs are not read yet
/// (a scenario describes them).
fn read_app(loaded: &mut Loaded, app: &AppFolder) -> Result<(), Diagnostic> {
    let mut stack = vec![(app.dir.clone(), app.at.clone())];
    let mut exes = Vec::new();
    let mut count = 0;
    while let Some((dir, at)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| io_error(&dir, &e))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            count += 1;
            if count > MAX_APP_FILES {
                return Err(Diagnostic::error(
                    codes::DIAGNOSE_IO,
                    format!("{}: more than {MAX_APP_FILES} files", app.dir.display()),
                ));
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let win = at.join(&name);
            if path.is_dir() {
                stack.push((path, win));
                continue;
            }
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".exe") && at == app.at {
                exes.push(win);
            } else if lower.ends_with(".config") || lower.ends_with(".manifest") {
                place_file(loaded, &path, win)?;
            }
        }
    }
    loaded.files_known = true;
    if let (Client::Unknown(_), [exe]) = (&loaded.client, exes.as_slice()) {
        loaded.client = Client::Unknown(exe.clone());
    }
    Ok(())
}

fn place_file(loaded: &mut Loaded, path: &Path, win: WinPath) -> Result<(), Diagnostic> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, &e))?
        .len();
    if size > MAX_APP_FILE {
        return Err(Diagnostic::error(
            codes::DIAGNOSE_IO,
            format!("{}: larger than 16 MiB", path.display()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    loaded.machine.fs.write(VFile {
        path: win.clone(),
        kind: FileKind::Data,
        bytes,
        embedded_manifest: None,
        origin: path.display().to_string(),
    });
    loaded.app_files.push((path.to_path_buf(), win));
    Ok(())
}

pub fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(codes::DIAGNOSE_IO, format!("cannot read it: {e}")).at(Location::new(
        path.display().to_string(),
        1,
        1,
    ))
}
