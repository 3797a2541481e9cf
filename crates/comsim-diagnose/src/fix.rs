//! Fixes: the steps that change the machine, the exact command each is on Windows, and their
//! replay on a copy of the simulated machine (a regasm run through comsim-regasm, a `.reg`
//! import, a file copied or written, a runtime installed).

use comsim_regasm::Tool;
use comsim_registry::View;
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

    /// Applies the step to the simulated machine; `Err` says why it could not be.
    pub fn apply(&self, m: &mut Machine, sw: &Switches) -> Result<(), String> {
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
                m.fs.write(f);
                Ok(())
            }
            FixStep::Place { file } => {
                m.fs.write((**file).clone());
                Ok(())
            }
            FixStep::Write { path, text } => {
                m.fs.write(data_file(path, text));
                Ok(())
            }
            FixStep::InstallRuntime(v) => {
                m.clrs.push(v.clone());
                Ok(())
            }
            FixStep::Rebuild {
                path,
                type_name,
                change,
            } => rebuild(m, path, type_name, *change),
        }
    }
}

fn quote(a: &str) -> String {
    if a.contains(' ') {
        format!("\"{a}\"")
    } else {
        a.to_owned()
    }
}

fn machine_step(m: &mut Machine, sw: &Switches, step: &MachineStep) -> Result<(), String> {
    let run = apply(m, step, sw);
    if let Some(e) = run.error {
        return Err(e);
    }
    match run.regasm {
        Some(r) if r.exit_code != 0 => Err(format!("regasm exited with {}", r.exit_code)),
        _ => Ok(()),
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
) -> Result<(), String> {
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
    m.fs.write(f);
    Ok(())
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

/// Replays a candidate in each configuration on a copy of the machine; `Some` when the request
/// then succeeds in at least one of them (the outcome in each is kept, so a fix that helps only
/// some configurations says so).
pub fn verify(
    loaded: &Loaded,
    sw: &Switches,
    configs: &[Config],
    request: &Request,
    c: &Candidate,
) -> Option<Fix> {
    let mut m = loaded.machine.clone();
    for step in &c.steps {
        step.apply(&mut m, sw).ok()?;
    }
    let after: Vec<After> = configs
        .iter()
        .map(|cfg| {
            After::of(&replay(
                &mut m,
                &loaded.client,
                loaded.apartment,
                sw,
                cfg,
                request,
            ))
        })
        .collect();
    if !after.iter().any(After::succeeded) {
        return None;
    }
    Some(Fix {
        summary: c.summary.clone(),
        commands: c.steps.iter().map(|s| s.command(&loaded.machine)).collect(),
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
