//! `cargo xtask conformance-reg`: comsim's lenient .reg import against Wine's `reg import`.
//!
//! 1. The cases: the curated files in `tests/conformance/reg/*.reg` and `--count` generated ones.
//!    Each writes only below `HKEY_CURRENT_USER\Software\comsim-conformance\<case>`, so all share
//!    one Wine prefix.
//! 2. comsim imports each case leniently into a fresh registry.
//! 3. Wine imports each case with `reg import` (one process per file); one `reg export` of the
//!    whole `comsim-conformance` tree is read back with comsim's strict importer.
//! 4. Round trip: the tree is deleted, Wine imports comsim's own export of each case, and a second
//!    export is read back the same way.
//! 5. Each case is compared key by key and value by value (name, type, bytes), plus the exit
//!    status. Disagreements must be listed in `deviations.toml`, and listed ones must still occur.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use comsim_regfile::{ImportOptions, Mode, import_bytes};
use comsim_registry::{Access, Hive, KeyPath, Registry, Root, names_equal};

use crate::deviations;

type Deviations = deviations::Deviations<Check>;
use crate::generate::{self, DEFAULT_COUNT, DEFAULT_SEED};
use crate::tree::{Subtree, compare, folded_in_export};
use crate::wine::{Outcome, Wine, dos_path};

const SCRATCH_ROOT: &str = "comsim-conformance";
/// Shown per failing check before the rest is summarised.
const MAX_DETAIL_LINES: usize = 25;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many generated cases to run besides the curated ones.
    #[arg(long, default_value_t = DEFAULT_COUNT)]
    count: usize,
    /// The generator's seed. The deviation list is written for the default.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Keep the Wine prefix, the case files and Wine's exports in DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Run only the cases whose name contains TEXT.
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
}

/// comsim's side of one case.
struct Ours {
    /// `Err` with the error when the import failed as a whole.
    result: Result<(), String>,
    tree: Option<Subtree>,
    /// comsim's export of the case's scratch key, for the round trip.
    export: Option<Vec<u8>>,
    /// Keys the import wrote outside the scratch key.
    stray: Vec<String>,
}

pub fn run(args: &Args) -> ExitCode {
    match run_checked(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("conformance-reg: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The workspace's root directory (both conformance suites read their cases below it).
pub(crate) fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.join("../..")
        .canonicalize()
        .unwrap_or_else(|_| here.join("../.."))
}

fn run_checked(args: &Args) -> Result<bool, String> {
    let root = workspace_root();
    let case_dir = root.join("tests/conformance/reg");
    let dev_path = case_dir.join("deviations.toml");
    let dev_text = std::fs::read_to_string(&dev_path)
        .map_err(|e| format!("cannot read {}: {e}", dev_path.display()))?;
    let deviations =
        Deviations::parse(&dev_text).map_err(|e| format!("{}: {e}", dev_path.display()))?;
    let mut report = Report::default();
    check_docs(&root, &deviations, &mut report);

    let mut cases = curated_cases(&case_dir)?;
    cases.extend(regasm_cases(&root)?);
    for i in 0..args.count {
        cases.push(Case {
            name: generate::case_name(i),
            bytes: generate::generate(args.seed, i),
        });
    }
    let complete = args.only.is_none() && args.count == DEFAULT_COUNT && args.seed == DEFAULT_SEED;
    if complete {
        for case in deviations.cases.keys() {
            if !cases.iter().any(|c| &c.name == case) {
                report.global(format!(
                    "deviations.toml lists the case `{case}`, which does not exist"
                ));
            }
        }
    }
    if let Some(only) = &args.only {
        cases.retain(|c| c.name.contains(only.as_str()));
    }
    if cases.is_empty() {
        return Err("no case to run".into());
    }

    let ours: Vec<Ours> = cases.iter().map(import_with_comsim).collect();
    for (case, o) in cases.iter().zip(&ours) {
        for path in &o.stray {
            report.global(format!(
                "case `{}` writes outside its scratch key (comsim sees {path})",
                case.name
            ));
        }
    }

    let version = Wine::available()?;
    let (work, temporary) = work_dir(args.keep.as_deref(), "reg")?;
    let generated = cases.iter().filter(|c| c.name.starts_with("gen-")).count();
    eprintln!(
        "conformance-reg: {version}; {} cases ({} curated, {generated} generated with seed {}); work dir {}",
        cases.len(),
        cases.len() - generated,
        args.seed,
        work.display()
    );
    let result = run_wine(&work, &cases, &ours);
    if temporary {
        let _ = std::fs::remove_dir_all(&work);
    }
    let wine = result?;
    if wine.retried > 0 {
        eprintln!(
            "conformance-reg: note: Wine failed to start `reg` {} time(s); it ran when started again",
            wine.retried
        );
    }

    let import = ReadBack::new(&wine.export, "Wine's export", &cases, &mut report);
    let roundtrip = ReadBack::new(
        &wine.roundtrip_export,
        "Wine's round-trip export",
        &cases,
        &mut report,
    );
    for (i, case) in cases.iter().enumerate() {
        let differences = case_differences(
            case,
            &ours[i],
            &wine.imports[i],
            wine.roundtrips[i].as_ref(),
            &import,
            &roundtrip,
        );
        judge(&mut report, &deviations, &case.name, differences);
    }
    Ok(report.print(args.keep.is_some(), &work))
}

/// One of Wine's exports, read back with comsim's strict importer.
struct ReadBack {
    reg: Registry,
    /// Names Wine keeps apart that comsim would fold, by case.
    folds: Vec<(String, String)>,
}

impl ReadBack {
    fn new(bytes: &[u8], what: &str, cases: &[Case], report: &mut Report) -> ReadBack {
        let reg = read_export(bytes, what, report);
        stray_wine_keys(&reg, cases, what, report);
        ReadBack {
            reg,
            folds: folded_in_export(bytes),
        }
    }

    /// How one case's subtree compares with comsim's, as difference lines and lossy values.
    fn compare(&self, case: &str, ours: Option<&Subtree>) -> (Vec<String>, Vec<String>) {
        let theirs = Subtree::read(&self.reg, &["Software", SCRATCH_ROOT, case]);
        let c = compare(ours, theirs.as_ref());
        let mut differences = c.differences;
        differences.extend(
            self.folds
                .iter()
                .filter(|(c, _)| names_equal(c, case))
                .map(|(_, m)| m.clone()),
        );
        (differences, c.lossy)
    }
}

/// The differences of one case for each check.
fn case_differences(
    case: &Case,
    ours: &Ours,
    import: &Outcome,
    roundtrip: Option<&Outcome>,
    import_back: &ReadBack,
    roundtrip_back: &ReadBack,
) -> Vec<(Check, Vec<String>)> {
    let mut import_diffs = exit_status_difference(import, &ours.result);
    let (diffs, mut lossy) = import_back.compare(&case.name, ours.tree.as_ref());
    import_diffs.extend(diffs);
    if !import_diffs.is_empty() && !import.output.trim().is_empty() {
        import_diffs.push(format!(
            "Wine's reg import said: {}",
            first_lines(&import.output)
        ));
    }
    let mut rt_diffs = Vec::new();
    if let Some(rt) = roundtrip {
        if rt.code != Some(0) {
            rt_diffs.push(format!(
                "Wine's import of comsim's export exits with {:?}: {}",
                rt.code,
                first_lines(&rt.output)
            ));
        }
        let (diffs, rt_lossy) = roundtrip_back.compare(&case.name, ours.tree.as_ref());
        rt_diffs.extend(diffs);
        lossy.extend(rt_lossy);
    }
    lossy.sort();
    lossy.dedup();
    vec![
        (Check::Import, import_diffs),
        (Check::Roundtrip, rt_diffs),
        (Check::ExportLossy, lossy),
    ]
}

/// Records a case as passed or failed: each check's differences must be listed as a deviation
/// of that check, and each listed deviation must still show.
fn judge(
    report: &mut Report,
    deviations: &Deviations,
    case: &str,
    differences: Vec<(Check, Vec<String>)>,
) {
    let mut failures = Vec::new();
    for (check, diffs) in differences {
        let excused = deviations.listed(case, &check);
        match (diffs.is_empty(), excused.is_empty()) {
            (true, true) => {}
            (false, false) => excused.iter().for_each(|id| report.known(id)),
            (false, true) => {
                let headline = "disagrees with Wine".to_owned();
                failures.push((check, headline, diffs));
            }
            (true, false) => failures.push((
                check,
                format!(
                    "listed deviation {} no longer occurs; remove it from deviations.toml",
                    excused.join(", ")
                ),
                Vec::new(),
            )),
        }
    }
    report.case(case, failures);
}

fn lenient() -> ImportOptions {
    ImportOptions {
        mode: Mode::Lenient,
        ..ImportOptions::default()
    }
}

fn curated_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "reg"))
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for path in paths {
        let name = path
            .file_stem()
            .and_then(OsStr::to_str)
            .unwrap_or_default()
            .to_owned();
        let valid = !name.is_empty()
            && !name.starts_with("gen-")
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(format!(
                "{}: a case name has lower-case letters, digits and `-` only, and does not start with `gen-`",
                path.display()
            ));
        }
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        cases.push(Case { name, bytes });
    }
    Ok(cases)
}

/// The scenarios whose assemblies `regasm /regfile /codebase` writes scripts for (ASM-7).
const REGASM_SCENARIOS: &[&str] = &[
    "regasm-regfile-import",
    "regasm-seed-002-version-subkeys",
    "regasm-struct-record",
];

/// Cases made by comsim's regasm: a `/regfile` script for each registrable assembly of
/// [`REGASM_SCENARIOS`], byte for byte as regasm writes it (REGEDIT4, ANSI) except that the
/// `HKEY_CLASSES_ROOT` of each key line becomes the case's scratch key, so that Wine's import and
/// comsim's can be compared like every other case.
fn regasm_cases(root: &Path) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for name in REGASM_SCENARIOS {
        let dir = root.join("fixtures/scenarios").join(name);
        let scenario = comsim_scenario::load(&dir).map_err(|d| d.to_string())?;
        let assemblies: Vec<comsim_resolver::WinPath> = scenario
            .machine
            .fs
            .files()
            .filter(|f| {
                f.assembly()
                    .is_some_and(|a| a.types.iter().any(|t| t.guid.is_some()))
            })
            .map(|f| f.path.clone())
            .collect();
        for (i, path) in assemblies.iter().enumerate() {
            let mut m = scenario.machine.clone();
            let Some(clr) = m.installed(4, 0).cloned() else {
                continue;
            };
            let out = path.parent().join("conformance.reg");
            let args = vec![
                path.to_string(),
                "/codebase".to_owned(),
                format!("/regfile:{out}"),
                "/nologo".to_owned(),
            ];
            let inv = comsim_regasm::Invocation {
                tool: comsim_regasm::Tool {
                    bitness: comsim_resolver::Bitness::B64,
                    clr,
                },
                elevated: true,
                args: &args,
                cwd: path.parent(),
            };
            let run = comsim_regasm::run(&mut m, &inv, &scenario.switches)
                .map_err(|e| format!("{name}: {e}"))?;
            let Some(file) = run.files.first().and_then(|f| m.fs.get(f)) else {
                continue;
            };
            let case = format!("regasm-{name}-{}", i + 1);
            let to = format!("[HKEY_CURRENT_USER\\Software\\{SCRATCH_ROOT}\\{case}\\");
            cases.push(Case {
                bytes: replace_bytes(&file.bytes, b"[HKEY_CLASSES_ROOT\\", to.as_bytes()),
                name: case,
            });
        }
    }
    Ok(cases)
}

fn replace_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn scratch_path(case_key: &str) -> KeyPath {
    KeyPath::new(Root::CurrentUser, ["Software", SCRATCH_ROOT, case_key])
}

fn import_with_comsim(case: &Case) -> Ours {
    let mut reg = Registry::new();
    let result = import_bytes(&mut reg, &case.name, &case.bytes, &lenient())
        .map(|_| ())
        .map_err(|e| e.to_string());
    let tree = Subtree::read(&reg, &["Software", SCRATCH_ROOT, &case.name]);
    let export = tree.as_ref().and_then(|t| {
        // Export under the key's stored spelling, as Wine will store the first spelling it sees.
        comsim_regfile::export(&reg, &scratch_path(t.root_name()), &Access::default())
    });
    Ours {
        result,
        tree,
        export,
        stray: stray_keys(&reg, &case.name),
    }
}

/// Keys and values comsim's import wrote outside the case's scratch key.
pub fn stray_keys(reg: &Registry, case: &str) -> Vec<String> {
    let mut out = Vec::new();
    for hive in Hive::ALL {
        let mut stack = vec![(reg.root(hive), Vec::<String>::new())];
        while let Some((id, path)) = stack.pop() {
            let is = |names: &[&str]| {
                path.len() == names.len() && path.iter().zip(names).all(|(a, b)| names_equal(a, b))
            };
            let user = hive == Hive::CurrentUser;
            if user && path.len() == 3 && is(&["Software", SCRATCH_ROOT, &path[2]]) {
                if !names_equal(&path[2], case) {
                    out.push(KeyPath::new(hive.root(), path.clone()).to_string());
                }
                continue;
            }
            let allowed = path.is_empty()
                || is(&["Software"])
                || is(&["Software", "Classes"])
                || (user && is(&["Software", SCRATCH_ROOT]));
            if !allowed || !reg.values(id).is_empty() {
                out.push(KeyPath::new(hive.root(), path.clone()).to_string());
                continue;
            }
            for (n, child) in reg.subkeys(id) {
                let mut p = path.clone();
                p.push(n.as_str().to_owned());
                stack.push((child, p));
            }
        }
    }
    out
}

/// The suite's work directory: `--keep DIR`, or a fresh one in the system temp directory (then
/// `true`: remove it afterwards). Refuses a directory that already holds a Wine prefix.
pub(crate) fn work_dir(keep: Option<&Path>, suite: &str) -> Result<(PathBuf, bool), String> {
    let (dir, temporary) = match keep {
        Some(d) => (d.to_owned(), false),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let name = format!("comsim-conformance-{suite}-{}-{nanos}", std::process::id());
            (std::env::temp_dir().join(name), true)
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
    if dir.join("prefix").exists() {
        return Err(format!(
            "{} already holds a Wine prefix; remove it or choose another --keep directory",
            dir.join("prefix").display()
        ));
    }
    Ok((dir, temporary))
}

/// What Wine did with every case.
struct WineResults {
    imports: Vec<Outcome>,
    /// `None` where comsim had nothing to export.
    roundtrips: Vec<Option<Outcome>>,
    export: Vec<u8>,
    roundtrip_export: Vec<u8>,
    /// `wine reg` commands that Wine failed to start and that ran when started again.
    retried: usize,
}

/// The comparison a deviation of this suite excuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Wine's import of the case file against comsim's lenient import (data and exit status).
    Import,
    /// Wine's import of comsim's export of the case against comsim's import.
    Roundtrip,
    /// Some values can only be compared through the lossy form Wine's exporter gives them.
    ExportLossy,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Import => "import",
            Check::Roundtrip => "roundtrip",
            Check::ExportLossy => "export-lossy",
        }
    }
}

/// How often one `wine reg` command is run when Wine fails to start it.
const START_ATTEMPTS: usize = 3;

fn run_wine(work: &Path, cases: &[Case], ours: &[Ours]) -> Result<WineResults, String> {
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let mkdir = |path: &Path| {
        std::fs::create_dir_all(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
    };
    let case_dir = work.join("cases");
    let rt_dir = work.join("roundtrip");
    mkdir(&case_dir)?;
    mkdir(&rt_dir)?;
    for (case, o) in cases.iter().zip(ours) {
        write(&case_dir.join(format!("{}.reg", case.name)), &case.bytes)?;
        if let Some(e) = &o.export {
            write(&rt_dir.join(format!("{}.reg", case.name)), e)?;
        }
    }
    let setup = work.join("setup.reg");
    write(
        &setup,
        format!("REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\{SCRATCH_ROOT}]\r\n").as_bytes(),
    )?;

    let mut wine = Wine::boot(&work.join("prefix"), &work.join("wine-output.txt"))?;
    let retried = std::cell::Cell::new(0usize);
    let reg = |wine: &Wine, args: &[&str]| -> Result<Outcome, String> {
        let run = || {
            wine.reg(args)
                .map_err(|e| format!("cannot run `wine reg`: {e}"))
        };
        // A failure to start says nothing about reg.exe, so running the command again hides no
        // finding; `reg import` also fails silently on a bad header, but does so every time.
        let mut outcome = run()?;
        let mut attempts = 1;
        while attempts < START_ATTEMPTS && !outcome.started() {
            let again = run()?;
            attempts += 1;
            if again.started() || again.code != outcome.code {
                retried.set(retried.get() + 1);
            }
            outcome = again;
        }
        Ok(outcome)
    };
    let import = |wine: &Wine, file: &Path| reg(wine, &["import", &dos_path(file)]);
    let key = format!("HKEY_CURRENT_USER\\Software\\{SCRATCH_ROOT}");
    let export = |wine: &Wine, file: &Path| -> Result<Vec<u8>, String> {
        let o = reg(wine, &["export", &key, &dos_path(file), "/y"])?;
        if o.code != Some(0) {
            return Err(format!("`wine reg export` failed: {}", o.output.trim()));
        }
        std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
    };
    let setup_done = import(&wine, &setup)?;
    if setup_done.code != Some(0) {
        return Err(format!(
            "`wine reg import` of the setup file failed: {}",
            setup_done.output.trim()
        ));
    }
    eprintln!(
        "conformance-reg: importing {} case files with Wine",
        cases.len()
    );
    let mut imports = Vec::new();
    for case in cases {
        imports.push(import(&wine, &case_dir.join(format!("{}.reg", case.name)))?);
    }
    let export_bytes = export(&wine, &work.join("wine-export.reg"))?;

    eprintln!("conformance-reg: importing comsim's exports with Wine (round trip)");
    let deleted = reg(&wine, &["delete", &key, "/f"])?;
    if deleted.code != Some(0) {
        return Err(format!(
            "`wine reg delete` failed: {}",
            deleted.output.trim()
        ));
    }
    import(&wine, &setup)?;
    let mut roundtrips = Vec::new();
    for (case, o) in cases.iter().zip(ours) {
        roundtrips.push(match o.export {
            Some(_) => Some(import(&wine, &rt_dir.join(format!("{}.reg", case.name)))?),
            None => None,
        });
    }
    let roundtrip_export = export(&wine, &work.join("wine-roundtrip-export.reg"))?;
    wine.shutdown();
    Ok(WineResults {
        imports,
        roundtrips,
        export: export_bytes,
        roundtrip_export,
        retried: retried.get(),
    })
}

/// Reads one of Wine's exports with comsim's strict importer; a failure is itself a finding, and
/// the export is then read leniently so the cases can still be compared.
fn read_export(bytes: &[u8], what: &str, report: &mut Report) -> Registry {
    let mut reg = Registry::new();
    if let Err(e) = import_bytes(&mut reg, what, bytes, &ImportOptions::default()) {
        report.global(format!("{what} fails comsim's strict import: {e}"));
        reg = Registry::new();
        let _ = import_bytes(&mut reg, what, bytes, &lenient());
    }
    reg
}

/// Keys in Wine's tree that belong to no case: a case wrote outside its own key.
fn stray_wine_keys(reg: &Registry, cases: &[Case], what: &str, report: &mut Report) {
    let Some(root) = reg.find(Hive::CurrentUser, &["Software", SCRATCH_ROOT]) else {
        report.global(format!("{what} has no {SCRATCH_ROOT} key"));
        return;
    };
    if !reg.values(root).is_empty() {
        report.global(format!(
            "a case set values on the {SCRATCH_ROOT} key itself ({what})"
        ));
    }
    for (name, _) in reg.subkeys(root) {
        if !cases.iter().any(|c| names_equal(&c.name, name.as_str())) {
            report.global(format!("{what} holds the key {name}, which is no case's"));
        }
    }
}

fn exit_status_difference(wine: &Outcome, ours: &Result<(), String>) -> Vec<String> {
    let wine_ok = wine.code == Some(0);
    match (wine_ok, ours) {
        (true, Ok(())) | (false, Err(_)) => Vec::new(),
        (true, Err(e)) => vec![format!(
            "Wine's reg import succeeds, comsim rejects the file: {}",
            e.lines().next().unwrap_or_default()
        )],
        (false, Ok(())) => vec![format!(
            "Wine's reg import fails (exit {:?}: {}), comsim imports the file",
            wine.code,
            first_lines(&wine.output)
        )],
    }
}

fn first_lines(s: &str) -> String {
    let lines: Vec<&str> = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    lines.join(" / ")
}

fn check_docs(root: &Path, deviations: &Deviations, report: &mut Report) {
    let path = root.join("docs/conformance.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    for id in deviations.ids.keys() {
        if !text.contains(&format!("`{id}`")) {
            report.global(format!(
                "the deviation `{id}` is not described in {}",
                path.display()
            ));
        }
    }
}

#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
    out: Vec<String>,
    known: std::collections::BTreeMap<String, usize>,
}

impl Report {
    fn global(&mut self, msg: String) {
        self.failed += 1;
        self.out.push(format!("FAIL (suite): {msg}"));
    }

    fn known(&mut self, id: &str) {
        *self.known.entry(id.to_owned()).or_default() += 1;
    }

    fn case(&mut self, name: &str, failures: Vec<(Check, String, Vec<String>)>) {
        if failures.is_empty() {
            self.passed += 1;
            return;
        }
        self.failed += 1;
        for (check, headline, lines) in failures {
            self.out
                .push(format!("FAIL {name} ({}): {headline}", check.name()));
            for l in lines.iter().take(MAX_DETAIL_LINES) {
                self.out.push(format!("    {l}"));
            }
            if lines.len() > MAX_DETAIL_LINES {
                self.out.push(format!(
                    "    ... and {} more",
                    lines.len() - MAX_DETAIL_LINES
                ));
            }
        }
    }

    /// Prints the failures and the summary; true when nothing failed.
    fn print(&self, kept: bool, work: &Path) -> bool {
        for l in &self.out {
            println!("{l}");
        }
        if !self.known.is_empty() {
            let known: Vec<String> = self
                .known
                .iter()
                .map(|(id, n)| format!("{id} ({n})"))
                .collect();
            println!("known deviations seen: {}", known.join(", "));
        }
        if self.failed > 0 {
            if kept {
                println!("case files and Wine's exports are in {}", work.display());
            } else {
                println!("rerun with --keep DIR to keep the case files and Wine's exports");
            }
        }
        println!(
            "conformance-reg: {} passed, {} failed",
            self.passed, self.failed
        );
        self.failed == 0
    }
}
