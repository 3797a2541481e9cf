//! Steps that change the machine (regasm, a `.reg` import, a key deleted) or show part of its
//! registry, and what each did: the console, the trace, and the registry difference.

use comsim_manifest::Guid;
use comsim_manifest::lookup::Find;
use comsim_regasm::{Invocation, RegasmRun, Tool};
use comsim_regfile::{ImportOptions, ImportReport, Mode};
use comsim_registry::{
    Access, Change, Hive, KeyId, KeyPath, RegName, Registry, Value, View, Writer,
};
use comsim_resolver::{ExplicitContext, Machine, Rule, Session, Switches, Trace, WinPath};
use serde::{Serialize, Serializer};

use crate::StepAction;

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
    /// `SxsLookupClrGuid(find, guid)` in the client's activation context (SXS-4): its raw answer;
    /// with `actctx`, while a context made by CreateActCtx is active (SXS-1).
    SxsLookup {
        guid: Guid,
        find: Find,
        actctx: Option<ExplicitContext>,
    },
}

/// `SxsLookupClrGuid`'s answer (`SXS_GUID_INFORMATION_CLR`), as expectations read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SxsAnswer {
    /// `dwFlags`: 1 `IS_SURROGATE`, 2 `IS_CLASS`.
    pub flags: u32,
    pub type_name: String,
    /// The hosting assembly's textual identity.
    pub assembly: String,
    /// As the manifest wrote it; `None` when the attribute is missing.
    pub runtime_version: Option<String>,
    /// The manifest the answer came from.
    pub source: String,
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
            MachineStep::SxsLookup {
                guid,
                find,
                actctx: None,
            } => format!(
                "SxsLookupClrGuid(SXS_LOOKUP_CLR_GUID_{}, {guid}) in the client's activation context",
                find.flag_name()
            ),
            MachineStep::SxsLookup {
                guid,
                find,
                actctx: Some(a),
            } => format!(
                "SxsLookupClrGuid(SXS_LOOKUP_CLR_GUID_{}, {guid}) with {} active, then the client's activation context",
                find.flag_name(),
                a.manifest
            ),
        }
    }

    /// Whether the step can change the machine (a client run after it is a new process).
    pub fn changes_machine(&self) -> bool {
        !matches!(
            self,
            MachineStep::Show { .. } | MachineStep::SxsLookup { .. }
        )
    }

    /// The action a scenario spells the step with.
    pub fn action(&self) -> StepAction {
        match self {
            MachineStep::Regasm { .. } => StepAction::Regasm,
            MachineStep::Import { .. } => StepAction::Import,
            MachineStep::Delete { .. } => StepAction::Delete,
            MachineStep::Show { .. } => StepAction::Show,
            MachineStep::SxsLookup { .. } => StepAction::SxsLookup,
        }
    }
}

/// What a machine step did. Serialised, `changes` are [`RegistryChange`]s.
#[derive(Debug, Clone, Serialize)]
pub struct MachineRun {
    pub trace: Trace,
    /// regasm's console, exit code and counts.
    pub regasm: Option<RegasmRun>,
    /// Why an import or delete failed.
    pub error: Option<String>,
    /// The registry difference the step made, physical keys.
    #[serde(serialize_with = "serialize_changes")]
    pub changes: Vec<Change>,
    /// For `show`: the key as a `.reg` export shows it (`None` when it does not exist).
    pub shown: Option<String>,
    /// For `regasm /regfile`: the script it wrote, decoded, lines ending in `\n` (`None` when it
    /// wrote none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regfile: Option<String>,
    /// For `sxs_lookup`: the answer, `None` when nothing was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sxs: Option<SxsAnswer>,
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
            "console" | "console_contains" => Some(self.console()),
            "regfile" | "regfile_contains" => {
                self.regfile.as_deref().map(crate::expect::lines_text)
            }
            "sxs.found" => Some(self.sxs.is_some().to_string()),
            "sxs.flags" => self.sxs.as_ref().map(|s| s.flags.to_string()),
            "sxs.type_name" => self.sxs.as_ref().map(|s| s.type_name.clone()),
            "sxs.assembly" => self.sxs.as_ref().map(|s| s.assembly.clone()),
            "sxs.runtime_version" => self.sxs.as_ref().and_then(|s| s.runtime_version.clone()),
            _ => None,
        }
    }
}

impl MachineRun {
    /// What the step printed, one line after another: regasm's console (standard output and
    /// error in the order printed), or the error of a failed import or delete; empty otherwise.
    pub fn console(&self) -> String {
        let mut lines: Vec<&str> = self
            .regasm
            .iter()
            .flat_map(|r| r.console.iter().map(|l| l.text.as_str()))
            .collect();
        lines.extend(self.error.as_deref());
        crate::expect::lines_text(&lines.join("\n"))
    }
}

/// The REG-3 / REG-4 steps of a `.reg` import: which view it used, how many keys it wrote under
/// the roots its key lines name (HKLM, HKCU, …), and where its HKCR writes landed.
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
            ).code("import-view")
            .at(display.to_owned());
    }
    let [hklm, hkcu, hku, hkcc] = report.rooted;
    let rooted: Vec<String> = [
        (hklm, "HKEY_LOCAL_MACHINE"),
        (hkcu, "HKEY_CURRENT_USER"),
        (hku, "HKEY_USERS"),
        (hkcc, "HKEY_CURRENT_CONFIG"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, root)| format!("{n} key(s) under {root}"))
    .collect();
    if !rooted.is_empty() {
        trace
            .push(
                Rule::Reg4,
                format!(
                    "{display} written where its key lines are rooted, not through HKEY_CLASSES_ROOT: {}",
                    rooted.join(", ")
                ),
            )
            .code("import-rooted")
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
            ).code("import-written")
            .at(display.to_owned());
    }
}

impl MachineRun {
    fn empty() -> MachineRun {
        MachineRun {
            trace: Trace::default(),
            regasm: None,
            error: None,
            changes: Vec::new(),
            shown: None,
            regfile: None,
            sxs: None,
        }
    }
}

/// Runs a machine step. No step copies the registry: a step that cannot change the machine
/// (`show`) records nothing; a `delete` lists what it removes before removing it; `regasm` and
/// `import` list what their writes changed through the registry's change journal, which keeps the
/// earlier state of the keys they touch, nothing when they change nothing.
pub fn apply(m: &mut Machine, step: &MachineStep, sw: &Switches) -> MachineRun {
    if let Some(run) = observe(m, step) {
        return run;
    }
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
            regasm(m, &inv, sw)
        }
        MachineStep::Import {
            source,
            view,
            admin,
        } => import(m, source, *view, *admin),
        MachineStep::Delete { key, view, admin } => delete(m, key, *view, *admin),
        // `observe` ran it above; an SxS lookup needs the client ([`sxs_lookup`]).
        MachineStep::Show { .. } | MachineStep::SxsLookup { .. } => MachineRun::empty(),
    }
}

/// `RegAsm.exe`: its console and trace, and the registry difference.
fn regasm(m: &mut Machine, inv: &Invocation<'_>, sw: &Switches) -> MachineRun {
    let mut run = MachineRun::empty();
    m.registry.begin_journal();
    match comsim_regasm::run(m, inv, sw) {
        Ok(r) => {
            run.trace = r.trace.clone();
            run.regfile = r
                .files
                .iter()
                .find(|p| p.to_string().to_ascii_lowercase().ends_with(".reg"))
                .and_then(|p| m.fs.get(p))
                .map(|f| regfile_text(&f.bytes));
            run.regasm = Some(r);
        }
        Err(e) => run.error = Some(e.to_string()),
    }
    run.changes = m.registry.take_changes().unwrap_or_default();
    run
}

/// A script regasm wrote, as text: decoded as regedit reads it, `\r\n` as `\n`.
fn regfile_text(bytes: &[u8]) -> String {
    let text = match comsim_regfile::decode("regfile", bytes, None, false) {
        Ok((text, _, _)) => text,
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    text.replace("\r\n", "\n")
}

/// `reg import`: REG-3/REG-4 in the trace, and the registry difference.
fn import(m: &mut Machine, source: &ImportSource, view: View, admin: bool) -> MachineRun {
    let mut run = MachineRun::empty();
    let (display, bytes) = match source {
        ImportSource::Scenario { display, bytes } => (display.clone(), Some(bytes.clone())),
        ImportSource::Machine(p) => (p.to_string(), m.fs.get(p).map(|f| f.bytes.clone())),
    };
    let Some(bytes) = bytes else {
        run.error = Some(format!(
            "ERROR: Error opening the file. There may be a disk or file system error. ({display} does not exist)"
        ));
        return run;
    };
    let opts = ImportOptions {
        mode: Mode::Strict,
        view,
        writer: Writer { admin },
        encoding: None,
    };
    m.registry.begin_journal();
    match comsim_regfile::import_bytes(&mut m.registry, &display, &bytes, &opts) {
        Ok(report) => import_trace(&mut run.trace, &display, view, admin, &report),
        Err(d) => run.error = Some(d.to_string()),
    }
    run.changes = m.registry.take_changes().unwrap_or_default();
    run
}

/// `reg delete KEY /f` (REG-4): the changes are the tree it removes, listed before removing it,
/// so no copy of the registry is needed.
fn delete(m: &mut Machine, key: &KeyPath, view: View, admin: bool) -> MachineRun {
    let mut run = MachineRun::empty();
    let writer = Writer { admin };
    let removed = match m.registry.open_for_write(key, view, writer) {
        Ok(Some(target)) => removed_tree(&m.registry, target.hive, target.key),
        Ok(None) | Err(_) => Vec::new(),
    };
    match m.registry.delete_tree(key, view, writer) {
        Ok(true) => {
            run.trace
                .push(
                    Rule::Reg4,
                    format!("deleted {key} and everything below it (through HKEY_CLASSES_ROOT: the copy opening it shows, HKCU's when it has one)"),
                ).code("deleted")
                .at(key.to_string());
            run.changes = removed;
        }
        Ok(false) => {
            run.error = Some(format!(
                "ERROR: The system was unable to find the specified registry key or value. ({key})"
            ));
        }
        Err(e) => run.error = Some(format!("ERROR: Access is denied. ({e})")),
    }
    run
}

/// What removing the tree at `id` changes, as [`comsim_registry::diff`] lists it: each key's
/// removal, then its values', then its subkeys' in the registry's order, depth first; paths
/// spelled as stored.
fn removed_tree(reg: &Registry, hive: Hive, id: KeyId) -> Vec<Change> {
    let mut out = Vec::new();
    let mut stack = vec![(id, stored_path(reg, hive, id))];
    while let Some((k, path)) = stack.pop() {
        out.push(Change::KeyRemoved { path: path.clone() });
        for (name, value) in reg.values(k) {
            out.push(Change::ValueRemoved {
                key: path.clone(),
                name: name.clone(),
                old: value.clone(),
            });
        }
        let first = stack.len();
        stack.extend(reg.subkeys(k).map(|(n, c)| (c, path.join(n.as_str()))));
        // Pushed in the registry's order; the first must be popped first.
        stack[first..].reverse();
    }
    out
}

/// The physical path of a key, with each name as the registry stores it.
fn stored_path(reg: &Registry, hive: Hive, id: KeyId) -> KeyPath {
    let mut names = Vec::new();
    let mut k = id;
    while let Some(parent) = reg.parent(k) {
        if let Some((name, _)) = reg.subkeys(parent).find(|(_, c)| *c == k) {
            names.push(name.as_str().to_owned());
        }
        k = parent;
    }
    names.reverse();
    KeyPath::new(hive.root(), names)
}

/// Runs a step that only looks at the machine (`show`); `None` for a step that can change it,
/// which needs [`apply`].
pub fn observe(m: &Machine, step: &MachineStep) -> Option<MachineRun> {
    let MachineStep::Show { key, view } = step else {
        return None;
    };
    let mut run = MachineRun::empty();
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
        .code("key-shown")
        .at(key.to_string());
    Some(run)
}

/// SXS-4: `SxsLookupClrGuid` in the activation context of a client process, its raw answer;
/// with `actctx`, a context made by CreateActCtx is searched first (SXS-1).
pub fn sxs_lookup(
    session: &mut Session<'_>,
    guid: Guid,
    find: Find,
    actctx: Option<&ExplicitContext>,
) -> MachineRun {
    let mut run = MachineRun::empty();
    if session.start_failure().is_some() {
        run.error = Some("the process did not start (its activation context or .config failed): SxsLookupClrGuid cannot run".to_owned());
        run.trace
            .push(
                Rule::Sxs4,
                format!(
                    "SxsLookupClrGuid({}, {guid}): the process did not start",
                    find.flag_name()
                ),
            )
            .code("sxs-lookup-miss");
        return run;
    }
    let mut trace = std::mem::take(&mut run.trace);
    let answer = match actctx {
        None => raw_lookup(&session.lookup_contexts(), guid, find, &mut trace),
        Some(spec) => {
            match session.with_active_context(spec, &mut trace, |s, trace| {
                raw_lookup(&s.lookup_contexts(), guid, find, trace)
            }) {
                Ok(answer) => answer,
                Err(outcome) => {
                    run.error = Some(format!(
                        "CreateActCtx failed: {}",
                        outcome.field("message").unwrap_or_default()
                    ));
                    None
                }
            }
        }
    };
    run.trace = trace;
    run.sxs = answer.map(|a| SxsAnswer {
        flags: a.flags,
        type_name: a.type_name,
        assembly: a.assembly_identity,
        runtime_version: a.runtime_version,
        source: a.source,
    });
    run
}

/// SXS-4: the raw lookup over the contexts searched, the first that has the GUID answering.
fn raw_lookup(
    contexts: &[&comsim_manifest::actctx::ActivationContext],
    guid: Guid,
    find: Find,
    trace: &mut Trace,
) -> Option<comsim_manifest::lookup::ClrGuidInfo> {
    if contexts.is_empty() {
        // No manifest: nothing is active, and the lookup finds nothing (not an error).
        trace
            .push(
                Rule::Sxs4,
                format!(
                    "SxsLookupClrGuid({}, {guid}): no activation context (no application manifest): not found (ERROR_NOT_FOUND)",
                    find.flag_name()
                ),
            )
            .code("sxs-lookup-miss");
        return None;
    }
    let answer = contexts
        .iter()
        .find_map(|ctx| comsim_manifest::lookup::sxs_lookup_clr_guid(ctx, guid, find));
    let what = match &answer {
        Some(a) => format!(
            "found in {}: dwFlags {} ({}), type {}, assembly {}, runtime {}",
            a.source,
            a.flags,
            if a.flags == comsim_manifest::lookup::FLAG_IS_SURROGATE {
                "IS_SURROGATE"
            } else {
                "IS_CLASS"
            },
            a.type_name,
            a.assembly_identity,
            a.runtime_version.as_deref().unwrap_or("(none)")
        ),
        None => "not found (ERROR_NOT_FOUND)".to_owned(),
    };
    trace
        .push(
            Rule::Sxs4,
            format!("SxsLookupClrGuid({}, {guid}): {what}", find.flag_name()),
        )
        .code("sxs-lookup-hit");
    answer
}

fn reg_key_physical(m: &Machine, key: &KeyPath, access: &Access) -> Option<String> {
    m.registry
        .open(key, access)
        .map(|k| k.primary.path().to_string())
}

/// One registry change as data: `key_added`, `key_removed`, `value_added`, `value_changed`,
/// `value_removed`; value data as a `.reg` file writes it (`docs/json.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryChange {
    pub change: &'static str,
    pub key: String,
    /// The value's name, `@` for the default value; absent for a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

impl RegistryChange {
    /// A key's addition or removal.
    fn key(change: &'static str, path: &KeyPath) -> RegistryChange {
        RegistryChange {
            change,
            key: path.to_string(),
            value: None,
            old: None,
            new: None,
        }
    }

    /// A value's addition, change or removal.
    fn value(
        change: &'static str,
        key: &KeyPath,
        name: &RegName,
        old: Option<&Value>,
        new: Option<&Value>,
    ) -> RegistryChange {
        RegistryChange {
            change,
            key: key.to_string(),
            value: Some(if name.is_default() {
                "@".to_owned()
            } else {
                name.as_str().to_owned()
            }),
            old: old.map(|v| reg_data(name, v)),
            new: new.map(|v| reg_data(name, v)),
        }
    }
}

impl From<&Change> for RegistryChange {
    fn from(c: &Change) -> RegistryChange {
        match c {
            Change::KeyAdded { path } => RegistryChange::key("key_added", path),
            Change::KeyRemoved { path } => RegistryChange::key("key_removed", path),
            Change::ValueAdded { key, name, value } => {
                RegistryChange::value("value_added", key, name, None, Some(value))
            }
            Change::ValueChanged {
                key,
                name,
                old,
                new,
            } => RegistryChange::value("value_changed", key, name, Some(old), Some(new)),
            Change::ValueRemoved { key, name, old } => {
                RegistryChange::value("value_removed", key, name, Some(old), None)
            }
        }
    }
}

/// A value's data as a `.reg` file writes it after `=` (`"text"`, `dword:00000001`, `hex:…` on
/// one line).
fn reg_data(name: &RegName, v: &Value) -> String {
    let mut line = String::new();
    comsim_regfile::write_value(&mut line, name, v);
    let line = line.trim_end().replace("\\\r\n  ", "");
    match line.split_once('=') {
        Some((_, data)) if name.is_default() => data.to_owned(),
        _ => {
            // `"name"=data`: the name is quoted and escaped; the data follows the first `=`
            // after the closing quote.
            let skip = line.find("\"=").map_or(0, |i| i + 2);
            line[skip..].to_owned()
        }
    }
}

fn serialize_changes<S: Serializer>(changes: &[Change], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(changes.iter().map(RegistryChange::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// REG-4: what `delete` reports without copying the registry is what comparing the registry
    /// before and after the deletion gives.
    #[test]
    fn a_delete_lists_the_same_changes_as_a_full_diff() {
        let mut reg = Registry::new();
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}]\r\n@=\"Widget\"\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"ThreadingModel\"=\"Both\"\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\\InprocServer32\\1.0.0.0]\r\n\"Class\"=\"Widget\"\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\\a]\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\\B\\c]\r\n\"x\"=dword:00000001\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{11111111-0000-4A5B-9C3D-1234567890AB}]\r\n@=\"Other\"\r\n";
        let opts = ImportOptions {
            mode: Mode::Strict,
            view: View::Bits64,
            writer: Writer { admin: true },
            encoding: None,
        };
        comsim_regfile::import_bytes(&mut reg, "t.reg", text.as_bytes(), &opts)
            .expect("a valid .reg file");
        // Spelled in another case than stored: the changes name the keys as stored.
        let key = KeyPath::parse(r"HKEY_CLASSES_ROOT\clsid\{0d2b6e5a-0000-4a5b-9c3d-1234567890ab}")
            .expect("a key path");
        let writer = Writer { admin: true };
        let target = reg
            .open_for_write(&key, View::Bits64, writer)
            .expect("allowed")
            .expect("the key exists");
        let listed = removed_tree(&reg, target.hive, target.key);
        let before = reg.clone();
        assert_eq!(reg.delete_tree(&key, View::Bits64, writer), Ok(true));
        let diffed = comsim_registry::diff(&before, &reg);
        assert_eq!(listed.len(), 11, "{listed:#?}");
        assert_eq!(listed, diffed);
    }

    const WIDGET: &str = "Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_CLASSES_ROOT\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}]\r\n@=\"Widget\"\r\n\r\n\
        [HKEY_CLASSES_ROOT\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"ThreadingModel\"=\"Both\"\r\n\r\n\
        [HKEY_CLASSES_ROOT\\Contoso.Widget]\r\n@=\"Widget\"\r\n";

    fn import_text(m: &mut Machine, text: &str) -> MachineRun {
        let source = ImportSource::Scenario {
            display: "widget.reg".to_owned(),
            bytes: text.as_bytes().to_vec(),
        };
        import(m, &source, View::Bits64, true)
    }

    /// REG-4: what an `import` reports through the registry's journal is what comparing the
    /// registry before and after the import gives, for keys and values added, changed, removed
    /// (`"name"=-`) and trees removed (`[-key]`).
    #[test]
    fn an_import_lists_the_same_changes_as_a_full_diff() {
        let mut m = Machine::new(comsim_resolver::Bitness::B64);
        let before = m.registry.clone();
        let run = import_text(&mut m, WIDGET);
        assert_eq!(run.error, None);
        assert_eq!(run.changes.len(), 8, "{:#?}", run.changes);
        assert_eq!(run.changes, comsim_registry::diff(&before, &m.registry));

        let before = m.registry.clone();
        let run = import_text(
            &mut m,
            "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CLASSES_ROOT\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}]\r\n@=\"Gadget\"\r\n\r\n\
            [HKEY_CLASSES_ROOT\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\\InprocServer32]\r\n\"ThreadingModel\"=-\r\n\"Class\"=\"Gadget\"\r\n\r\n\
            [-HKEY_CLASSES_ROOT\\Contoso.Widget]\r\n\r\n\
            [HKEY_CLASSES_ROOT\\contoso.widget\\CLSID]\r\n@=\"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\r\n",
        );
        assert_eq!(run.error, None);
        // The ProgID removed and created again is one kept key that lost its value and gained a
        // subkey.
        assert_eq!(run.changes.len(), 6, "{:#?}", run.changes);
        assert_eq!(run.changes, comsim_registry::diff(&before, &m.registry));
    }

    /// Issue 11: the console of a failed import is its error line; a step that wrote no script
    /// has no `regfile`, so an expectation on it fails rather than matching empty text.
    #[test]
    fn console_and_regfile_fields() {
        let mut m = Machine::new(comsim_resolver::Bitness::B64);
        let source = ImportSource::Machine(WinPath::parse(r"C:\missing.reg").expect("a path"));
        let run = import(&mut m, &source, View::Bits64, true);
        assert_eq!(run.field("console"), run.error.clone());
        assert!(
            run.field("console_contains")
                .is_some_and(|c| c.starts_with("ERROR: "))
        );
        assert_eq!(run.field("regfile"), None);
        assert_eq!(run.field("regfile_contains"), None);
        assert_eq!(
            import_text(&mut m, WIDGET).field("console").as_deref(),
            Some("")
        );
        let run = MachineRun {
            regfile: Some("REGEDIT4\n\n[HKEY_CLASSES_ROOT\\X]\n\n".to_owned()),
            ..MachineRun::empty()
        };
        assert_eq!(
            run.field("regfile").as_deref(),
            Some("REGEDIT4\n\n[HKEY_CLASSES_ROOT\\X]")
        );
        assert_eq!(
            regfile_text(b"REGEDIT4\r\n\r\n[X]\r\n"),
            "REGEDIT4\n\n[X]\n"
        );
    }

    /// Issue 10: an import that changes nothing (the same file again) records nothing in the
    /// journal, so it copies nothing of the registry.
    #[test]
    fn an_import_that_changes_nothing_records_nothing() {
        let mut m = Machine::new(comsim_resolver::Bitness::B64);
        assert_eq!(import_text(&mut m, WIDGET).changes.len(), 8);
        let opts = ImportOptions {
            mode: Mode::Strict,
            view: View::Bits64,
            writer: Writer { admin: true },
            encoding: None,
        };
        m.registry.begin_journal();
        comsim_regfile::import_bytes(&mut m.registry, "widget.reg", WIDGET.as_bytes(), &opts)
            .expect("a valid .reg file");
        assert_eq!(m.registry.journaled_keys(), Some(0));
        assert_eq!(m.registry.take_changes(), Some(Vec::new()));
        // Through the step as the replay runs it: nothing changed, nothing listed.
        let run = import_text(&mut m, WIDGET);
        assert_eq!((run.error, run.changes), (None, Vec::new()));
    }
}
