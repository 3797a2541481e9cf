//! Fixes: the steps that change the machine, the exact command each is on Windows, and their
//! replay on the simulated machine (a regasm run through comsim-regasm, a `.reg` import, a file
//! copied or written, a runtime installed), each undone afterwards ([`Undo`]), so that no copy of
//! a large registry is made.

use comsim_regasm::Tool;
use comsim_registry::{Change, KeyPath, Registry, View};
use comsim_resolver::{
    Bitness, FileKind, Machine, Request, RuntimeVersion, Switches, VFile, WinPath,
};
use comsim_scenario::{ImportSource, MachineStep, apply};
use serde::Serialize;

use crate::config::{Config, ConfigRun, replay};
use crate::input::Loaded;

/// How a rebuilt assembly differs from the one on the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rebuild {
    /// `[ComVisible(true)]` on the class (and the assembly).
    ComVisible,
    /// A public parameterless constructor.
    DefaultConstructor,
}

/// One step of a fix.
#[derive(Debug, Clone)]
pub enum FixStep {
    /// `RegAsm.exe args` from an elevated prompt, in `cwd`.
    Regasm {
        bitness: Bitness,
        clr: RuntimeVersion,
        args: Vec<String>,
        cwd: WinPath,
    },
    /// `reg import NAME /reg:NN` (elevated) of a generated `.reg` file.
    Import {
        name: String,
        text: String,
        view: View,
    },
    /// `copy FROM TO`: a file of the machine.
    Copy { from: WinPath, to: WinPath },
    /// `copy NAME TO`: a file that was not among the files given, placed as the registration
    /// describes it.
    Place { file: Box<VFile> },
    /// A text file written (a `.config`).
    Write { path: WinPath, text: String },
    /// A .NET Framework runtime installed.
    InstallRuntime(RuntimeVersion),
    /// The class rebuilt with a change, replacing the file.
    Rebuild {
        path: WinPath,
        type_name: String,
        change: Rebuild,
    },
}

/// A file a fix's commands use (a `.reg` fragment, a `.config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixFile {
    pub name: String,
    pub text: String,
}

impl FixStep {
    /// The command on the Windows machine.
    pub fn command(&self, m: &Machine) -> String {
        match self {
            FixStep::Regasm {
                bitness, clr, args, ..
            } => {
                let tool = Tool {
                    bitness: *bitness,
                    clr: clr.clone(),
                };
                let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
                format!("\"{}\" {}", tool.path(m), args.join(" "))
            }
            FixStep::Import { name, view, .. } => {
                let n = match view {
                    View::Bits32 => 32,
                    View::Bits64 => 64,
                };
                format!("reg import {name} /reg:{n}")
            }
            FixStep::Copy { from, to } => format!("copy \"{from}\" \"{to}\""),
            FixStep::Place { file } => {
                let version = file
                    .assembly()
                    .map(|a| format!("   (version {}, not among the files given)", a.version))
                    .unwrap_or_default();
                format!(
                    "copy {} \"{}\"{version}",
                    file.path.file_name(),
                    file.path.parent()
                )
            }
            FixStep::Write { path, .. } => format!("notepad \"{path}\"   (write the text below)"),
            FixStep::InstallRuntime(v) if v.major < 4 => {
                "DISM /Online /Enable-Feature /FeatureName:NetFx3 /All".to_owned()
            }
            FixStep::InstallRuntime(_) => {
                "ndp48-x86-x64-allos-enu.exe /q /norestart   (the .NET Framework 4.8 installer)"
                    .to_owned()
            }
            FixStep::Rebuild {
                type_name, change, ..
            } => match change {
                Rebuild::ComVisible => {
                    format!("rebuild with [ComVisible(true)] on {type_name}")
                }
                Rebuild::DefaultConstructor => {
                    format!("rebuild with a public parameterless constructor on {type_name}")
                }
            },
        }
    }

    /// The file the command uses, when it writes or imports one.
    pub fn file(&self) -> Option<FixFile> {
        match self {
            FixStep::Import { name, text, .. } => Some(FixFile {
                name: name.clone(),
                text: text.clone(),
            }),
            FixStep::Write { path, text } => Some(FixFile {
                name: path.to_string(),
                text: text.clone(),
            }),
            _ => None,
        }
    }

    /// Applies the step to the simulated machine, giving back what undoes it; `Err` says why it
    /// could not be applied (the machine may then be partly changed: undo what was given).
    pub fn apply(&self, m: &mut Machine, sw: &Switches) -> Result<Undo, String> {
        match self {
            FixStep::Regasm {
                bitness,
                clr,
                args,
                cwd,
            } => machine_step(
                m,
                sw,
                &MachineStep::Regasm {
                    tool: Tool {
                        bitness: *bitness,
                        clr: clr.clone(),
                    },
                    elevated: true,
                    args: args.clone(),
                    cwd: cwd.clone(),
                },
            ),
            FixStep::Import { name, text, view } => machine_step(
                m,
                sw,
                &MachineStep::Import {
                    source: ImportSource::Scenario {
                        display: name.clone(),
                        bytes: comsim_regfile::encode_utf16le(text),
                    },
                    view: *view,
                    admin: true,
                },
            ),
            FixStep::Copy { from, to } => {
                let mut f =
                    m.fs.get(from)
                        .ok_or(format!("{from} does not exist"))?
                        .clone();
                f.path = to.clone();
                Ok(put(m, f))
            }
            FixStep::Place { file } => Ok(put(m, (**file).clone())),
            FixStep::Write { path, text } => Ok(put(m, data_file(path, text))),
            FixStep::InstallRuntime(v) => {
                let before = m.clrs.clone();
                m.clrs.push(v.clone());
                Ok(Undo::Clrs(before))
            }
            FixStep::Rebuild {
                path,
                type_name,
                change,
            } => rebuild(m, path, type_name, *change),
        }
    }
}

/// What puts the machine back as it was before a step.
#[derive(Debug)]
pub enum Undo {
    /// The registry changes a step made (the change journal's list), undone in reverse.
    Registry(Vec<Change>),
    /// The file at a path before the step (`None`: there was none).
    File(WinPath, Option<Box<VFile>>),
    /// The installed runtimes before the step.
    Clrs(Vec<RuntimeVersion>),
}

impl Undo {
    /// Puts the machine back.
    pub fn undo(self, m: &mut Machine) {
        match self {
            Undo::Registry(changes) => {
                // Last change first; but the value changes of one key in their own order, so
                // that restored values come back in the order they had.
                let mut groups: Vec<Vec<Change>> = Vec::new();
                for c in changes {
                    match (groups.last_mut(), value_key(&c)) {
                        (Some(g), Some(k)) if g.last().and_then(value_key) == Some(k) => g.push(c),
                        _ => groups.push(vec![c]),
                    }
                }
                for g in groups.into_iter().rev() {
                    for c in g {
                        undo_change(&mut m.registry, c);
                    }
                }
            }
            Undo::File(path, previous) => {
                m.fs.remove(&path);
                if let Some(f) = previous {
                    m.fs.write(*f);
                }
            }
            Undo::Clrs(clrs) => m.clrs = clrs,
        }
    }
}

/// The key a value change is about.
fn value_key(c: &Change) -> Option<&KeyPath> {
    match c {
        Change::ValueAdded { key, .. }
        | Change::ValueChanged { key, .. }
        | Change::ValueRemoved { key, .. } => Some(key),
        _ => None,
    }
}

/// The physical key of a change's path, created when missing.
fn physical(reg: &mut Registry, path: &KeyPath) -> Option<comsim_registry::KeyId> {
    let hive = path.root.hive()?;
    let root = reg.root(hive);
    reg.create_path(root, &path.components).ok()
}

/// Undoes one change of a journal's list (paths are where the keys are stored).
fn undo_change(reg: &mut Registry, c: Change) {
    match c {
        Change::KeyAdded { path } => {
            let Some(hive) = path.root.hive() else {
                return;
            };
            if let Some((name, parent)) = path.components.split_last()
                && let Some(pid) = reg.find(hive, parent)
            {
                reg.delete_child_tree(pid, name);
            }
        }
        Change::KeyRemoved { path } => {
            physical(reg, &path);
        }
        Change::ValueAdded { key, name, .. } => {
            if let Some(hive) = key.root.hive()
                && let Some(id) = reg.find(hive, &key.components)
            {
                reg.delete_value(id, name.as_str());
            }
        }
        Change::ValueChanged { key, name, old, .. } | Change::ValueRemoved { key, name, old } => {
            if let Some(id) = physical(reg, &key) {
                let _ = reg.set_value(id, name.as_str(), old);
            }
        }
    }
}

/// Writes a file, giving back what undoes it.
fn put(m: &mut Machine, f: VFile) -> Undo {
    let path = f.path.clone();
    let previous = m.fs.remove(&path);
    m.fs.write(f);
    Undo::File(path, previous.map(Box::new))
}

fn quote(a: &str) -> String {
    if a.contains(' ') {
        format!("\"{a}\"")
    } else {
        a.to_owned()
    }
}

/// A regasm run or an import, through comsim-scenario's `apply`; what it changed in the registry
/// is its undo (also when it failed half-way, so the caller can still undo it).
fn machine_step(m: &mut Machine, sw: &Switches, step: &MachineStep) -> Result<Undo, String> {
    let run = apply(m, step, sw);
    let undo = Undo::Registry(run.changes);
    let failed = match (&run.error, &run.regasm) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(r)) if r.exit_code != 0 => Some(format!("regasm exited with {}", r.exit_code)),
        _ => None,
    };
    match failed {
        Some(e) => {
            undo.undo(m);
            Err(e)
        }
        None => Ok(undo),
    }
}

/// A plain text file of the machine.
pub fn data_file(path: &WinPath, text: &str) -> VFile {
    VFile {
        path: path.clone(),
        kind: FileKind::Data,
        bytes: text.as_bytes().to_vec(),
        embedded_manifest: None,
        origin: "diagnose: a fix".to_owned(),
    }
}

fn rebuild(
    m: &mut Machine,
    path: &WinPath,
    type_name: &str,
    change: Rebuild,
) -> Result<Undo, String> {
    let mut f =
        m.fs.get(path)
            .ok_or(format!("{path} does not exist"))?
            .clone();
    let FileKind::Assembly(asm) = &mut f.kind else {
        return Err(format!("{path} is not an assembly"));
    };
    if change == Rebuild::ComVisible {
        asm.com_visible = true;
    }
    let t = asm
        .types
        .iter_mut()
        .find(|t| t.full_name == type_name)
        .ok_or(format!("{type_name} is not in {path}"))?;
    match change {
        Rebuild::ComVisible => t.com_visible = Some(true),
        Rebuild::DefaultConstructor => t.default_constructor = true,
    }
    Ok(put(m, f))
}

/// A fix proposed for a cause.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// One sentence: what the fix does.
    pub summary: String,
    pub steps: Vec<FixStep>,
}

/// A fix, replayed.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub summary: String,
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FixFile>,
    /// The outcome of the failing request after the fix, in each configuration that reproduced
    /// the error.
    pub after: Vec<After>,
}

/// The outcome after a fix (or a change) in one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct After {
    pub config: Config,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hresult: Option<String>,
    pub summary: String,
}

impl After {
    pub fn of(run: &ConfigRun) -> After {
        After {
            config: run.config,
            kind: run.run.outcome.kind(),
            hresult: run.run.outcome.hresult().map(|h| h.to_string()),
            summary: crate::outcome_summary(&run.run.outcome),
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self.kind, "managed" | "com_object")
    }
}

/// Replays a candidate in each configuration on the machine, then undoes it; `Some` when the request
/// then succeeds in at least one of them (the outcome in each is kept, so a fix that helps only
/// some configurations says so).
pub fn verify(
    loaded: &mut Loaded,
    sw: &Switches,
    configs: &[Config],
    request: &Request,
    c: &Candidate,
) -> Option<Fix> {
    // The steps change the machine itself and are undone after the replay: no copy of the
    // registry is made, whatever its size.
    let commands: Vec<String> = c.steps.iter().map(|s| s.command(&loaded.machine)).collect();
    let mut undos = Vec::new();
    let mut applied = true;
    for step in &c.steps {
        match step.apply(&mut loaded.machine, sw) {
            Ok(u) => undos.push(u),
            Err(_) => {
                applied = false;
                break;
            }
        }
    }
    let after: Vec<After> = if applied {
        configs
            .iter()
            .map(|cfg| {
                After::of(&replay(
                    &mut loaded.machine,
                    &loaded.client,
                    loaded.apartment,
                    sw,
                    cfg,
                    request,
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    for u in undos.into_iter().rev() {
        u.undo(&mut loaded.machine);
    }
    if !after.iter().any(After::succeeded) {
        return None;
    }
    Some(Fix {
        summary: c.summary.clone(),
        commands,
        files: c.steps.iter().filter_map(FixStep::file).collect(),
        after,
    })
}

/// Writes the files the fixes' commands use into `dir` (created when missing): `.reg` fragments
/// as regedit writes them (UTF-16LE after a byte order mark), other files (a `.config`) as UTF-8
/// under their file name. Returns the paths written, in order; a name used twice is written
/// once, from the first cause that uses it.
pub fn write_files(
    dir: &std::path::Path,
    d: &crate::Diagnosis,
) -> Result<Vec<std::path::PathBuf>, comsim_diag::Diagnostic> {
    std::fs::create_dir_all(dir).map_err(|e| crate::input::io_error(dir, &e))?;
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    for file in d
        .causes
        .iter()
        .flat_map(|c| &c.fixes)
        .flat_map(|f| &f.files)
    {
        let name = file
            .name
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&file.name)
            .to_owned();
        let path = dir.join(&name);
        if written.contains(&path) {
            continue;
        }
        let bytes = if name.to_ascii_lowercase().ends_with(".reg") {
            comsim_regfile::encode_utf16le(&file.text)
        } else {
            file.text.clone().into_bytes()
        };
        std::fs::write(&path, bytes).map_err(|e| crate::input::io_error(&path, &e))?;
        written.push(path);
    }
    Ok(written)
}
