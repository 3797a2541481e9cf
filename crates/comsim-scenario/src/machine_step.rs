//! Steps that change the machine (regasm, a `.reg` import, a key deleted) or show part of its
//! registry, and what each did: the console, the trace, and the registry difference.

use comsim_regasm::{Invocation, RegasmRun, Tool};
use comsim_regfile::{ImportOptions, ImportReport, Mode};
use comsim_registry::{Access, Change, KeyPath, View, Writer};
use comsim_resolver::{Machine, Rule, Switches, Trace, WinPath};

/// Where an imported `.reg` file comes from.
#[derive(Debug, Clone)]
pub enum ImportSource {
    /// A file of the scenario's directory, read (and checked) when the scenario was loaded.
    Scenario { display: String, bytes: Vec<u8> },
    /// A file of the machine, e.g. one an earlier `regasm /regfile` step wrote.
    Machine(WinPath),
}

/// A step on the machine.
#[derive(Debug, Clone)]
pub enum MachineStep {
    /// `RegAsm.exe args…`, run in `cwd`.
    Regasm {
        tool: Tool,
        elevated: bool,
        args: Vec<String>,
        cwd: WinPath,
    },
    /// `reg import` (or a double-click in Explorer) in one view, with one user's rights.
    Import {
        source: ImportSource,
        view: View,
        admin: bool,
    },
    /// `reg delete KEY /f`.
    Delete {
        key: KeyPath,
        view: View,
        admin: bool,
    },
    /// `reg query KEY /s`: the key and everything below it, as a `.reg` export shows them.
    Show { key: KeyPath, view: View },
}

fn view_name(view: View) -> &'static str {
    match view {
        View::Bits32 => "32-bit view",
        View::Bits64 => "64-bit view",
    }
}

fn who(admin: bool) -> &'static str {
    if admin {
        "as administrator"
    } else {
        "as a standard user"
    }
}

impl MachineStep {
    /// One line saying what the step does.
    pub fn describe(&self, m: &Machine) -> String {
        match self {
            MachineStep::Regasm {
                tool,
                elevated,
                args,
                cwd,
            } => format!(
                "{} {} ({}, in {cwd})",
                tool.path(m),
                args.join(" "),
                who(*elevated)
            ),
            MachineStep::Import {
                source,
                view,
                admin,
            } => {
                let name = match source {
                    ImportSource::Scenario { display, .. } => display.clone(),
                    ImportSource::Machine(p) => p.to_string(),
                };
                format!("reg import {name} ({}, {})", view_name(*view), who(*admin))
            }
            MachineStep::Delete { key, view, admin } => {
                format!(
                    "reg delete {key} /f ({}, {})",
                    view_name(*view),
                    who(*admin)
                )
            }
            MachineStep::Show { key, view } => {
                format!("reg query {key} /s ({})", view_name(*view))
            }
        }
    }

    /// Whether the step can change the machine (a client run after it is a new process).
    pub fn changes_machine(&self) -> bool {
        !matches!(self, MachineStep::Show { .. })
    }

    /// The key word a scenario spells the step with.
    pub fn keyword(&self) -> &'static str {
        match self {
            MachineStep::Regasm { .. } => "regasm",
            MachineStep::Import { .. } => "import",
            MachineStep::Delete { .. } => "delete",
            MachineStep::Show { .. } => "show",
        }
    }
}

/// What a machine step did.
#[derive(Debug, Clone)]
pub struct MachineRun {
    pub trace: Trace,
    /// regasm's console, exit code and counts.
    pub regasm: Option<RegasmRun>,
    /// Why an import or delete failed.
    pub error: Option<String>,
    /// The registry difference the step made, physical keys.
    pub changes: Vec<Change>,
    /// For `show`: the key as a `.reg` export shows it (`None` when it does not exist).
    pub shown: Option<String>,
}

impl MachineRun {
    /// An expectation field (`MACHINE_EXPECTATION_FIELDS`) as text.
    pub fn field(&self, name: &str) -> Option<String> {
        let r = self.regasm.as_ref();
        match name {
            "exit_code" => r.map(|r| r.exit_code.to_string()),
            "types" => r.map(|r| r.types.to_string()),
            "errors" => Some(
                (r.map_or(0, RegasmRun::errors) + usize::from(self.error.is_some())).to_string(),
            ),
            "warnings" => r.map(|r| r.warnings().to_string()),
            "changes" => Some(self.changes.len().to_string()),
            "exists" => Some(self.shown.is_some().to_string()),
            _ => None,
        }
    }
}

/// The REG-3 / REG-4 steps of a `.reg` import: which view it used, where HKCR writes landed.
pub(crate) fn import_trace(
    trace: &mut Trace,
    display: &str,
    view: View,
    admin: bool,
    report: &ImportReport,
) {
    if view == View::Bits32 {
        trace
            .push(
                Rule::Reg3,
                format!("{display} imported by the 32-bit regedit: keys under Classes\\CLSID and Classes\\Interface land in the 32-bit view (Wow6432Node); ProgIDs are shared"),
            )
            .at(display.to_owned());
    }
    let [machine, user] = report.classes_root_placement;
    if machine + user > 0 {
        let who = if admin {
            "an administrator"
        } else {
            "a standard user"
        };
        trace
            .push(
                Rule::Reg4,
                format!("{display} written through HKEY_CLASSES_ROOT by {who}: {machine} key(s) to HKLM\\Software\\Classes, {user} to HKCU\\Software\\Classes (keys that already existed there)"),
            )
            .at(display.to_owned());
    }
}

/// Runs a machine step.
pub fn apply(m: &mut Machine, step: &MachineStep, sw: &Switches) -> MachineRun {
    let before = step.changes_machine().then(|| m.registry.clone());
    let mut run = MachineRun {
        trace: Trace::default(),
        regasm: None,
        error: None,
        changes: Vec::new(),
        shown: None,
    };
    match step {
        MachineStep::Regasm {
            tool,
            elevated,
            args,
            cwd,
        } => {
            let inv = Invocation {
                tool: tool.clone(),
                elevated: *elevated,
                args,
                cwd: cwd.clone(),
            };
            match comsim_regasm::run(m, &inv, sw) {
                Ok(r) => {
                    run.trace = r.trace.clone();
                    run.regasm = Some(r);
                }
                Err(e) => run.error = Some(e.to_string()),
            }
        }
        MachineStep::Import {
            source,
            view,
            admin,
        } => {
            let (display, bytes) = match source {
                ImportSource::Scenario { display, bytes } => (display.clone(), Some(bytes.clone())),
                ImportSource::Machine(p) => (p.to_string(), m.fs.get(p).map(|f| f.bytes.clone())),
            };
            match bytes {
                None => {
                    run.error = Some(format!(
                        "ERROR: Error opening the file. There may be a disk or file system error. ({display} does not exist)"
                    ));
                }
                Some(bytes) => {
                    let opts = ImportOptions {
                        mode: Mode::Strict,
                        view: *view,
                        writer: Writer { admin: *admin },
                        encoding: None,
                    };
                    match comsim_regfile::import_bytes(&mut m.registry, &display, &bytes, &opts) {
                        Ok(report) => {
                            import_trace(&mut run.trace, &display, *view, *admin, &report)
                        }
                        Err(d) => run.error = Some(d.to_string()),
                    }
                }
            }
        }
        MachineStep::Delete { key, view, admin } => {
            match m.registry.delete_tree(key, *view, Writer { admin: *admin }) {
                Ok(true) => {
                    run.trace
                        .push(
                            Rule::Reg4,
                            format!("deleted {key} and everything below it (through HKEY_CLASSES_ROOT: the copy opening it shows, HKCU's when it has one)"),
                        )
                        .at(key.to_string());
                }
                Ok(false) => {
                    run.error = Some(format!(
                        "ERROR: The system was unable to find the specified registry key or value. ({key})"
                    ));
                }
                Err(e) => run.error = Some(format!("ERROR: Access is denied. ({e})")),
            }
        }
        MachineStep::Show { key, view } => {
            let access = Access::new(*view);
            run.shown = comsim_regfile::export_text(&m.registry, key, &access).map(|t| {
                let body = t.replace("\r\n", "\n");
                body.strip_prefix("Windows Registry Editor Version 5.00\n\n")
                    .unwrap_or(&body)
                    .trim_end()
                    .to_owned()
            });
            let found = match reg_key_physical(m, key, &access) {
                Some(p) => format!("stored at {p}"),
                None => "the key does not exist in this view".to_owned(),
            };
            run.trace
                .push(
                    if *view == View::Bits32 {
                        Rule::Reg3
                    } else {
                        Rule::Reg1
                    },
                    format!("{key} read in the {}: {found}", view_name(*view)),
                )
                .at(key.to_string());
        }
    }
    if let Some(before) = before {
        run.changes = comsim_registry::diff(&before, &m.registry);
    }
    run
}

fn reg_key_physical(m: &Machine, key: &KeyPath, access: &Access) -> Option<String> {
    m.registry
        .open(key, access)
        .map(|k| k.primary.path().to_string())
}
