//! `--save-scenario DIR`: the failure as a self-contained scenario (`docs/scenarios.md`): the
//! input files copied, a `scenario.toml` generated whose process is the first configuration
//! that reproduced the error (else the first tried), and whose one step expects what that
//! configuration observed. `comsim replay DIR` replays it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use comsim_diag::Diagnostic;
use comsim_resolver::{Apartment, ClassRef, ClientKind, Request, WinPath};

use crate::config::{Config, bits};
use crate::input::{Client, Loaded, io_error};
use crate::{Diagnosis, Tried, request_for};

/// The most files copied from a scenario's directory.
const MAX_COPIED: usize = 10_000;

/// Writes the scenario into `dir` (created when missing).
pub fn save(dir: &Path, loaded: &Loaded, d: &Diagnosis) -> Result<(), Diagnostic> {
    let Some(tried) = d
        .configs
        .iter()
        .find(|t| t.reproduces)
        .or_else(|| d.configs.first())
    else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    let mut toml = match &loaded.scenario {
        Some(path) => from_scenario(dir, path)?,
        None => from_inputs(dir, loaded)?,
    };
    app_files(dir, loaded, &mut toml)?;
    if let Client::Unknown(path) = &loaded.client {
        stand_in(&mut toml, path, &tried.config);
    }
    process(&mut toml, loaded, &tried.config);
    step(&mut toml, d, tried);
    let out = dir.join("scenario.toml");
    std::fs::write(&out, toml).map_err(|e| io_error(&out, &e))
}

fn copy(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    }
    std::fs::copy(from, to).map_err(|e| io_error(from, &e))?;
    Ok(())
}

/// `path` copied into `dir` as `{prefix}{n}-{its file name}` (numbered: two inputs may share a
/// name); returns that name.
fn copy_numbered(dir: &Path, prefix: &str, n: usize, path: &Path) -> Result<String, Diagnostic> {
    let name = format!(
        "{prefix}{n}-{}",
        path.file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    );
    copy(path, &dir.join(&name))?;
    Ok(name)
}

/// A scenario's directory copied, and its `scenario.toml` without its `[process]` and steps.
fn from_scenario(dir: &Path, scenario: &Path) -> Result<String, Diagnostic> {
    let src = scenario.parent().unwrap_or(Path::new("."));
    let mut stack = vec![(src.to_path_buf(), PathBuf::new())];
    let mut count = 0;
    while let Some((from, rel)) = stack.pop() {
        for entry in std::fs::read_dir(&from).map_err(|e| io_error(&from, &e))? {
            let entry = entry.map_err(|e| io_error(&from, &e))?;
            count += 1;
            if count > MAX_COPIED {
                return Err(io_error(&from, &std::io::Error::other("too many files")));
            }
            let name = rel.join(entry.file_name());
            if entry.path().is_dir() {
                stack.push((entry.path(), name));
            } else if name != Path::new(crate::input::SCENARIO_FILE) {
                copy(&entry.path(), &dir.join(&name))?;
            }
        }
    }
    let text = std::fs::read_to_string(scenario).map_err(|e| io_error(scenario, &e))?;
    Ok(without_process_and_steps(&text))
}

/// The TOML text without its `[process]` table and `[[step]]` tables.
fn without_process_and_steps(text: &str) -> String {
    let mut out = String::new();
    let mut dropping = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            dropping = t.starts_with("[process]") || t.starts_with("[[step]]");
        }
        if !dropping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `.reg` exports and the application folder's files copied; the machine written for them.
fn from_inputs(dir: &Path, loaded: &Loaded) -> Result<String, Diagnostic> {
    let mut toml =
        String::from("title = \"A failure saved by comsim diagnose\"\n\n[machine]\nos = \"x64\"\n");
    let clrs: Vec<String> = loaded
        .machine
        .clrs
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect();
    let _ = writeln!(toml, "clrs = [{}]", clrs.join(", "));
    let mut entries = Vec::new();
    for (i, (path, view)) in loaded.reg_files.iter().enumerate() {
        let name = copy_numbered(dir, "", i + 1, path)?;
        let bits = match view {
            comsim_registry::View::Bits32 => 32,
            comsim_registry::View::Bits64 => 64,
        };
        entries.push(format!("{{ file = \"{name}\", view = {bits} }}"));
    }
    for (i, (path, mount)) in loaded.hive_files.iter().enumerate() {
        let name = copy_numbered(dir, "hive-", i + 1, path)?;
        entries.insert(i, format!("{{ hive = \"{name}\", mount = '{mount}' }}"));
    }
    let _ = writeln!(toml, "registry = [{}]\n", entries.join(", "));
    Ok(toml)
}

/// The application folder's files, copied under `app/` and placed at their machine paths: the
/// `.config` and manifest files as they are, the assemblies as `[[machine.assembly]] source`
/// (their facts read from the file again), the native EXEs and DLLs as their bytes (a DLL
/// with the classes diagnose took it to serve); the
/// assemblies of `--gac` folders under `gac/`, placed at their paths in the cache.
fn app_files(dir: &Path, loaded: &Loaded, toml: &mut String) -> Result<(), Diagnostic> {
    let mut n = 0;
    let mut copied = |path: &Path| {
        n += 1;
        copy_numbered(dir, "app/", n, path)
    };
    for (path, win) in &loaded.app_files {
        let name = copied(path)?;
        let _ = writeln!(
            toml,
            "[[machine.file]]\npath = '{win}'\nsource = \"{name}\"\n"
        );
    }
    for (path, win) in &loaded.app_assemblies {
        let name = copied(path)?;
        let _ = writeln!(
            toml,
            "[[machine.assembly]]\npath = '{win}'\nsource = \"{name}\"\n"
        );
    }
    let mut g = 0;
    for (path, win) in &loaded.gac_assemblies {
        g += 1;
        let name = copy_numbered(dir, "gac/", g, path)?;
        let _ = writeln!(
            toml,
            "[[machine.assembly]]\npath = '{win}'\nsource = \"{name}\"\n"
        );
    }
    // Native images keep their bytes (their bitness and RT_MANIFEST resources come from them).
    for (path, win, _) in loaded.native_dlls.iter().chain(&loaded.native_exes) {
        let name = copied(path)?;
        let serves: Vec<String> = loaded
            .machine
            .fs
            .get(win)
            .and_then(comsim_resolver::VFile::native)
            .map(|n| n.serves.iter().map(|g| format!("\"{g}\"")).collect())
            .unwrap_or_default();
        let _ = writeln!(
            toml,
            "[[machine.native]]\npath = '{win}'\nbytes = \"{name}\"\nserves = [{}]\n",
            serves.join(", ")
        );
    }
    Ok(())
}

/// The stand-in client of the configuration, declared.
fn stand_in(toml: &mut String, path: &WinPath, cfg: &Config) {
    match cfg.client {
        ClientKind::Managed => {
            let runtime = match cfg.built_for {
                Some(comsim_scenario::Clr::V2) => "v2.0.50727",
                _ => "v4.0.30319",
            };
            let _ = writeln!(
                toml,
                "[[machine.assembly]]\npath = '{path}'\nname = \"{}\"\nversion = \"1.0.0.0\"\nruntime = \"{runtime}\"\n",
                path.file_stem()
            );
        }
        ClientKind::Native => {
            let _ = writeln!(
                toml,
                "[[machine.native]]\npath = '{path}'\nbitness = {}\n",
                bits(cfg.bitness)
            );
        }
    }
}

fn process(toml: &mut String, loaded: &Loaded, cfg: &Config) {
    let kind = match cfg.client {
        ClientKind::Managed => "managed",
        ClientKind::Native => "native",
    };
    let apartment = apartment_name(loaded.apartment);
    let _ = writeln!(
        toml,
        "[process]\nexe = '{}'\nclient = \"{kind}\"\nbitness = {}\nelevated = {}\napartment = \"{apartment}\"\n",
        loaded.client.path(),
        bits(cfg.bitness),
        cfg.elevated
    );
}

/// The scenario spelling of an apartment (`Apartment::parse` takes it back).
fn apartment_name(a: Apartment) -> &'static str {
    match a {
        Apartment::Sta => "sta",
        Apartment::Mta => "mta",
        Apartment::NaOnSta => "na-on-sta",
        Apartment::NaOnMta => "na-on-mta",
    }
}

/// The request step, expecting the outcome observed.
fn step(toml: &mut String, d: &Diagnosis, tried: &Tried) {
    let Some(request) = request_for(&d.reported, tried.config.client) else {
        return;
    };
    let action = match &request {
        Request::CreateInstance { clsid } => format!("create_instance = \"{clsid}\""),
        Request::GetTypeFromProgId { progid, .. } => {
            format!("get_type_from_progid = \"{progid}\"\nthrow_on_error = true\ncreate = true")
        }
        Request::CoCreateInstance { target, .. } => match target {
            ClassRef::Clsid(c) => format!("co_create_instance = \"{c}\""),
            ClassRef::ProgId(p) => format!("co_create_instance = \"{p}\""),
        },
        Request::GetTypeFromClsid { clsid } => format!("get_type_from_clsid = \"{clsid}\""),
        Request::LoadRecord { guid } => format!("load_record = \"{guid}\""),
        Request::DllGetClassObject { clsid } => format!("dll_get_class_object = \"{clsid}\""),
    };
    let mut expect = format!("kind = \"{}\"", tried.outcome.kind());
    if let Some(h) = tried.outcome.hresult() {
        let _ = write!(expect, ", hresult = \"{h}\"");
    }
    // A managed client's run on a CLR the real machine would not give it is a what-if: the
    // expectation is for the real run.
    let key = match tried.config.client {
        ClientKind::Native => "expect",
        ClientKind::Managed => "expect_real",
    };
    let _ = writeln!(
        toml,
        "[[step]]\nname = \"the failing request, as diagnose replayed it\"\n{action}\n{key} = {{ {expect} }}"
    );
}
