//! The machine as the user has it: `.reg` exports (`--reg`, `--reg32`), registry hive files
//! (`--hive`, read with comsim-hive), a whole scenario (`--scenario`), and the application
//! folder (`--app`: its `.config` and manifests placed as they are, its assemblies read with
//! comsim-clrmeta as `[[machine.assembly]] source = …` reads them). [`MachineSource`] is
//! the one place a new kind of input slots in.

use std::path::{Path, PathBuf};

use comsim_diag::{Diagnostic, Location};
use comsim_manifest::pe::PeBitness;
use comsim_regfile::{ImportOptions, Mode};
use comsim_registry::{KeyPath, View, Writer};
use comsim_resolver::{
    Apartment, Bitness, FileKind, Machine, NativeImage, Readers, RuntimeVersion, Switches, VFile,
    WinPath,
};
use comsim_scenario::SourceError;

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
    /// `--client EXE`: the client's image, and where it is placed on the machine.
    pub client: Option<(PathBuf, WinPath)>,
    /// The installed CLRs, when given (`--clrs`); else a scenario's, else both.
    pub clrs: Option<Vec<RuntimeVersion>>,
    /// `--gac DIR`: global assembly caches copied from the machine ([`crate::gac`]).
    pub gac: Vec<PathBuf>,
}

/// The client program, as far as it is known.
#[derive(Debug, Clone)]
pub enum Client {
    /// A file of the machine (a scenario's `[process] exe`, `--client`, or the application
    /// folder's `.exe`, read from its image): its kind, bitness and runtime come from it.
    File(WinPath),
    /// Only a path (a stand-in): diagnose places a described client there for each
    /// configuration it tries.
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
    /// registry exports or hives were given, the files a registration names are not known.
    pub files_known: bool,
    /// Every input file read, for `--save-scenario`: `.reg` files with their view, the
    /// application folder's files with their machine path.
    pub reg_files: Vec<(PathBuf, View)>,
    /// The hive files read, with their mount points.
    pub hive_files: Vec<(PathBuf, KeyPath)>,
    pub app_files: Vec<(PathBuf, WinPath)>,
    /// The .NET assemblies read from the application folder (and `--client`), placed as their
    /// metadata says.
    pub app_assemblies: Vec<(PathBuf, WinPath)>,
    /// Native EXEs read from the application folder (and `--client`), with their PE bitness.
    pub native_exes: Vec<(PathBuf, WinPath, Bitness)>,
    /// Native DLLs read from the application folder, with their PE bitness.
    pub native_dlls: Vec<(PathBuf, WinPath, Bitness)>,
    /// The assemblies read from `--gac` folders, placed in the cache of the CLR their folder
    /// names.
    pub gac_assemblies: Vec<(PathBuf, WinPath)>,
    pub scenario: Option<PathBuf>,
}

/// The file a scenario directory holds.
pub const SCENARIO_FILE: &str = comsim_scenario::SCENARIO_FILE;

/// Where the stand-in client lives when nothing names one.
pub const STAND_IN_CLIENT: &str = r"C:\Client\Client.exe";

/// Loads the machine.
pub fn load(input: &MachineInput) -> Result<Loaded, Diagnostic> {
    load_with_progress(input, &mut comsim_diag::Silent)
}

/// [`load`], telling `progress` how far each hive file and `.reg` export has been read (one piece
/// of work per file, in its bytes: `comsim_hive::load_file_with_progress`,
/// `comsim_regfile::import_file_with_progress`). What is loaded is the same.
pub fn load_with_progress(
    input: &MachineInput,
    progress: &mut dyn comsim_diag::Progress,
) -> Result<Loaded, Diagnostic> {
    let mut loaded = Loaded {
        machine: Machine::new(Bitness::B64),
        client: Client::Unknown(WinPath::parse(STAND_IN_CLIENT).expect("a valid path")),
        apartment: Apartment::Sta,
        switches: Switches::default(),
        files_known: false,
        reg_files: Vec::new(),
        hive_files: Vec::new(),
        app_files: Vec::new(),
        app_assemblies: Vec::new(),
        native_exes: Vec::new(),
        native_dlls: Vec::new(),
        gac_assemblies: Vec::new(),
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
            let reg = &mut loaded.machine.registry;
            comsim_hive::load_file_with_progress(reg, path, &display, mount, &[], progress)?;
            loaded.hive_files.push((path.clone(), mount.clone()));
        }
    }
    for source in &input.sources {
        if let MachineSource::Reg { path, view } = source {
            import(&mut loaded.machine, path, *view, progress)?;
            loaded.reg_files.push((path.clone(), *view));
        }
    }
    for dir in &input.gac {
        crate::gac::read(&mut loaded, dir)?;
    }
    if let Some(app) = &input.app {
        read_app(&mut loaded, app)?;
    }
    if let Some((path, at)) = &input.client {
        read_client(&mut loaded, path, at)?;
    }
    Ok(loaded)
}

/// A `.reg` export, strict: the first line regedit would skip is an error at its line and column.
fn import(
    m: &mut Machine,
    path: &Path,
    view: View,
    progress: &mut dyn comsim_diag::Progress,
) -> Result<(), Diagnostic> {
    let opts = ImportOptions {
        mode: Mode::Strict,
        view,
        writer: Writer { admin: true },
        encoding: None,
    };
    let display = path.display().to_string();
    comsim_regfile::import_file_with_progress(&mut m.registry, path, &display, &opts, progress)?;
    Ok(())
}

/// The application folder: its `.config` and `.manifest` files are placed at their machine
/// paths as they are; its `.exe` and `.dll` files are read as real images ([`place_image`]).
/// Its one top-level `.exe` is the client, unless a scenario or `--client` names one.
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
            if lower.ends_with(".exe") || lower.ends_with(".dll") {
                let placed = place_image(loaded, &path, win.clone())?;
                if lower.ends_with(".exe") && at == app.at && placed {
                    exes.push(win);
                }
            } else if lower.ends_with(".config") || lower.ends_with(".manifest") {
                let bytes = read_capped(&path)?;
                loaded.machine.fs.write(VFile {
                    path: win.clone(),
                    kind: FileKind::Data,
                    bytes,
                    embedded_manifest: None,
                    origin: path.display().to_string(),
                });
                loaded.app_files.push((path.clone(), win));
            }
        }
    }
    loaded.files_known = true;
    if let (Client::Unknown(_), [exe]) = (&loaded.client, exes.as_slice()) {
        loaded.client = Client::File(exe.clone());
    }
    Ok(())
}

/// `--client EXE`: the client's image, placed at `at` (unless the application folder already
/// placed it there); its kind, bitness and runtime come from it.
fn read_client(loaded: &mut Loaded, path: &Path, at: &WinPath) -> Result<(), Diagnostic> {
    let is_exe = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("exe"));
    if !is_exe {
        return Err(Diagnostic::error(
            codes::DIAGNOSE_APP_IMAGE,
            format!("{}: --client names a program (.exe)", path.display()),
        ));
    }
    let read_from_app = loaded.app_assemblies.iter().any(|(_, w)| w == at)
        || loaded.native_exes.iter().any(|(_, w, _)| w == at);
    if !read_from_app {
        place_image(loaded, path, at.clone())?;
    }
    loaded.client = Client::File(at.clone());
    Ok(())
}

/// An `.exe` or `.dll` read as the real image it is: a .NET assembly is placed with everything
/// read from its metadata (identity, runtime, processor architecture, types and their COM
/// attributes), as `[[machine.assembly]] source = …` places it; a native EXE or DLL as a native
/// image of its PE bitness (PE32 or PE32+). What a native DLL's class
/// factory serves is not in its image: it is placed serving nothing, and diagnose takes it to
/// serve the class whose `InprocServer32` names it, and says so. Returns whether the file was
/// placed.
fn place_image(loaded: &mut Loaded, path: &Path, win: WinPath) -> Result<bool, Diagnostic> {
    let bytes = read_capped(path)?;
    let display = path.display().to_string();
    let refused = |d: Diagnostic| {
        Diagnostic::error(
            codes::DIAGNOSE_APP_IMAGE,
            format!("{display}: not an image diagnose can place on the machine"),
        )
        .with_note(d.to_string())
    };
    let exe = display.to_ascii_lowercase().ends_with(".exe");
    match comsim_scenario::assembly_file(&display, bytes.clone(), win.clone()) {
        Ok(file) => {
            loaded.machine.fs.write(file);
            loaded.app_assemblies.push((path.to_path_buf(), win));
            Ok(true)
        }
        Err(SourceError::Read(d)) if d.code == comsim_clrmeta::codes::CLR_NOT_MANAGED => {
            let bitness = match comsim_manifest::pe::pe_machine(&bytes) {
                Ok(PeBitness::Pe32) => Bitness::B32,
                Ok(PeBitness::Pe64) => Bitness::B64,
                Err(e) => {
                    return Err(refused(Diagnostic::error(
                        codes::DIAGNOSE_APP_IMAGE,
                        e.to_string(),
                    )));
                }
            };
            loaded.machine.fs.write(VFile {
                path: win.clone(),
                kind: FileKind::Native(NativeImage {
                    bitness,
                    serves: Vec::new(),
                    serves_index: Default::default(),
                    starts: true,
                    readable_by: Readers::Everyone,
                }),
                embedded_manifest: comsim_manifest::pe::embedded_manifest(&bytes, 1)
                    .ok()
                    .flatten()
                    .map(|m| m.bytes),
                bytes,
                origin: display.clone(),
            });
            if exe {
                loaded.native_exes.push((path.to_path_buf(), win, bitness));
            } else {
                loaded.native_dlls.push((path.to_path_buf(), win, bitness));
            }
            Ok(true)
        }
        Err(SourceError::Read(d)) => Err(refused(d)),
        Err(SourceError::NotModelled(why)) => Err(Diagnostic::error(
            codes::DIAGNOSE_APP_IMAGE,
            format!("{display}: a .NET assembly comsim cannot model: {why}"),
        )),
    }
}

/// A file of the application folder, at most [`MAX_APP_FILE`] bytes.
pub(crate) fn read_capped(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, &e))?
        .len();
    if size > MAX_APP_FILE {
        return Err(Diagnostic::error(
            codes::DIAGNOSE_IO,
            format!("{}: larger than 16 MiB", path.display()),
        ));
    }
    std::fs::read(path).map_err(|e| io_error(path, &e))
}

pub fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(codes::DIAGNOSE_IO, format!("cannot read it: {e}")).at(Location::new(
        path.display().to_string(),
        1,
        1,
    ))
}
