//! `cargo xtask conformance-sxs`: comsim's activation contexts and `SxsLookupClrGuid` against
//! Wine's.
//!
//! 1. The cases: every directory under `fixtures/sxs/` and `tests/conformance/sxs/cases/` (an
//!    application directory with `app.manifest`), and `--count` generated ones written below the
//!    work directory.
//! 2. Wine: `tests/conformance/sxs/probe64.exe` in one prefix, one process per case, asked about
//!    every GUID written in the case's files (embedded manifests of DLLs included) and one GUID no
//!    case uses. Per GUID it prints `SxsLookupClrGuid` with FIND_ANY, FIND_CLR_CLASS and
//!    FIND_SURROGATE, and whether `FindActCtxSectionGuid` finds a COM server.
//! 3. comsim: `parse_manifest` of `app.manifest`, `build_context` on the directory, then
//!    `sxs_lookup_clr_guid` and `find_com_server` for the same GUIDs.
//! 4. Compared: context created or not (a comsim parse error or context error is
//!    ERROR_SXS_CANT_GEN_ACTCTX, 14001), then each answer: hit or miss, flags, runtime version
//!    (`(null)` is `None`), type name, textual identity. Disagreements must be excused by a
//!    deviation of `tests/conformance/sxs/deviations.toml`, and every case listed there must still
//!    show its deviations.

mod deviations;
mod generate;
mod probe;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use comsim_manifest::actctx::{ActivationContext, FsDirectory, Probe, ProbeOutcome, build_context};
use comsim_manifest::lookup::{Find, find_com_server, sxs_lookup_clr_guid};
use comsim_manifest::{Guid, decode, parse_manifest};

use crate::wine::Wine;
use deviations::{Deviations, Predicate};
use probe::{Answer, Context, Info, Output, Query};

/// Asked in every case; no case may use it.
const UNKNOWN_GUID: &str = "{00000000-0000-0000-0000-00000000BEEF}";
/// Detail lines shown per failing case.
const MAX_DETAIL_LINES: usize = 16;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many generated cases to run besides the curated ones.
    #[arg(long, default_value_t = generate::DEFAULT_COUNT)]
    pub count: usize,
    /// The generator's seed. The deviation list is written for the default.
    #[arg(long, default_value_t = generate::DEFAULT_SEED)]
    pub seed: u64,
    /// Keep the Wine prefix, the generated cases and Wine's output in DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Run only the cases whose name contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
}

pub fn run(args: &Args) -> ExitCode {
    match run_checked(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("conformance-sxs: error: {e}");
            ExitCode::from(2)
        }
    }
}

struct Case {
    name: String,
    /// Where the case came from, for the report.
    origin: &'static str,
    /// The application directory (absolute).
    dir: PathBuf,
}

/// What the case's files say about GUIDs, read as text.
struct Facts {
    /// Every GUID written anywhere in the case, upper case in braces, sorted.
    guids: Vec<String>,
    /// GUIDs written at least once without braces.
    unbraced: BTreeSet<String>,
}

/// comsim's side of a case.
enum Ours {
    /// `app.manifest` did not parse.
    AppError(String),
    ContextError {
        code: u32,
        reason: String,
        probes: Vec<Probe>,
    },
    Created(Box<ActivationContext>),
}

struct Disagreement {
    what: String,
    wine: String,
    comsim: String,
    /// The deviations that excuse it; empty when nothing does.
    excused_by: Vec<String>,
}

/// What one run holds while it goes through the cases.
struct Run<'a> {
    wine: &'a Wine,
    /// `probe64.exe`.
    exe: &'a Path,
    devs: &'a Deviations,
    /// Where Wine's raw answers are kept, with `--keep`.
    out_dir: Option<&'a Path>,
}

/// The counts and notes of a run, for the closing lines.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    /// How many cases each deviation excused.
    excused: BTreeMap<String, usize>,
    /// Cases that agreed only when probed a second time.
    retried: Vec<String>,
}

/// Wine's answers for one case as compared with comsim's.
struct Compared {
    output: Output,
    list: Vec<Disagreement>,
    /// The disagreements no deviation excuses, one line each.
    problems: Vec<String>,
}

fn run_checked(args: &Args) -> Result<bool, String> {
    let root = crate::conformance::workspace_root();
    let conf = root.join("tests/conformance/sxs");
    let exe = conf.join("probe64.exe");
    if !exe.is_file() {
        return Err(format!("{} is missing", exe.display()));
    }
    let devs = read_deviations(&conf.join("deviations.toml"))?;
    let version = Wine::available()?;

    let (work, temporary) = crate::conformance::work_dir(args.keep.as_deref(), "sxs")?;
    let mut cases = curated_cases(&root, &conf)?;
    cases.extend(generated_cases(&work.join("cases"), args)?);
    let failures = check_case_names(&cases, &devs)?;
    if let Some(only) = &args.only {
        cases.retain(|c| c.name.contains(only.as_str()));
    }

    eprintln!(
        "conformance-sxs: {version}, {} cases, work directory {}",
        cases.len(),
        work.display()
    );
    let out_dir = work.join("out");
    if args.keep.is_some() {
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    }
    let mut wine = Wine::boot(&work.join("prefix"), &work.join("wine.log"))?;
    let run = Run {
        wine: &wine,
        exe: &exe,
        devs: &devs,
        out_dir: args.keep.is_some().then_some(out_dir.as_path()),
    };
    let mut tally = Tally::default();
    for case in &cases {
        check_case(&run, case, &mut tally)?;
    }
    wine.shutdown();
    drop(wine);
    if temporary {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(report_totals(&failures, &tally))
}

/// `deviations.toml`, read and parsed.
fn read_deviations(path: &Path) -> Result<Deviations, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Deviations::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The fixture cases (`fixtures/sxs/`), then the curated ones (`cases/` of the suite), each
/// sorted by name.
fn curated_cases(root: &Path, conf: &Path) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (base, origin) in [
        (root.join("fixtures/sxs"), "fixture"),
        (conf.join("cases"), "curated"),
    ] {
        for dir in subdirectories(&base)? {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            cases.push(Case { name, origin, dir });
        }
    }
    Ok(cases)
}

/// The `--count` generated cases of `--seed`, each written afresh to its directory below
/// `cases_dir`.
fn generated_cases(cases_dir: &Path, args: &Args) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for i in 0..args.count {
        let name = generate::case_name(i);
        let dir = cases_dir.join(&name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
        }
        for f in generate::generate(args.seed, i) {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&path, &f.bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        cases.push(Case {
            name,
            origin: "generated",
            dir,
        });
    }
    Ok(cases)
}

/// An error when two cases share a name; otherwise one failure line for each case that
/// `deviations.toml` lists but that does not exist.
fn check_case_names(cases: &[Case], devs: &Deviations) -> Result<Vec<String>, String> {
    let mut names = BTreeSet::new();
    for c in cases {
        if !names.insert(c.name.clone()) {
            return Err(format!("two cases are named `{}`", c.name));
        }
    }
    let mut failures = Vec::new();
    for listed in devs.cases().keys() {
        if !names.contains(listed) {
            failures.push(format!(
                "deviations.toml lists the case `{listed}`, which does not exist"
            ));
        }
    }
    Ok(failures)
}

/// One case: comsim's side, Wine's answers compared with it, Wine's raw answers kept with
/// `--keep`, the case's listed deviations checked, and a failure report when something is left.
fn check_case(run: &Run, case: &Case, tally: &mut Tally) -> Result<(), String> {
    let facts = read_facts(&case.dir)?;
    if facts.guids.iter().any(|g| g == UNKNOWN_GUID) {
        return Err(format!("case `{}` uses {UNKNOWN_GUID}", case.name));
    }
    let mut asked = facts.guids.clone();
    asked.push(UNKNOWN_GUID.to_owned());
    let ours = comsim_side(case);
    let Compared {
        output,
        list,
        mut problems,
    } = probe_and_compare(run, case, &facts, &asked, &ours, &mut tally.retried);
    if let Some(out_dir) = run.out_dir {
        keep_output(out_dir, case, &output);
    }
    let shown: BTreeSet<&str> = list
        .iter()
        .flat_map(|d| d.excused_by.iter().map(String::as_str))
        .collect();
    for id in run.devs.cases().get(&case.name).into_iter().flatten() {
        if !shown.contains(id.as_str()) {
            problems.push(format!(
                "deviation `{id}` is listed for this case but no longer shows"
            ));
        }
    }
    for id in &shown {
        *tally.excused.entry((*id).to_owned()).or_default() += 1;
    }
    if problems.is_empty() {
        tally.passed += 1;
    } else {
        tally.failed += 1;
        println!("{}", failure_report(case, &output, &ours, &problems));
    }
    Ok(())
}

/// Probes the case with Wine and compares; when something is left unexcused, probes once more
/// and takes the second answers if they agree (the case is then noted in `retried`).
fn probe_and_compare(
    run: &Run,
    case: &Case,
    facts: &Facts,
    asked: &[String],
    ours: &Ours,
    retried: &mut Vec<String>,
) -> Compared {
    let manifest = case.dir.join("app.manifest");
    let output = probe::probe(run.wine, run.exe, &manifest, &case.dir, asked);
    let list = compare(run.devs, case, facts, asked, ours, &output);
    let problems = unexcused(&list);
    if !problems.is_empty() {
        // Wine 8.0 sometimes answers a lookup from a previous case's context when many run in
        // a row; a real difference shows again when the same case is probed a second time.
        let again = probe::probe(run.wine, run.exe, &manifest, &case.dir, asked);
        let list_again = compare(run.devs, case, facts, asked, ours, &again);
        if unexcused(&list_again).is_empty() {
            retried.push(case.name.clone());
            return Compared {
                output: again,
                list: list_again,
                problems: Vec::new(),
            };
        }
    }
    Compared {
        output,
        list,
        problems,
    }
}

/// The disagreements no deviation excuses, one line each.
fn unexcused(list: &[Disagreement]) -> Vec<String> {
    list.iter()
        .filter(|d| d.excused_by.is_empty())
        .map(|d| format!("{}: wine `{}`, comsim `{}`", d.what, d.wine, d.comsim))
        .collect()
}

/// Wine's answers for a case as `out/<case>.txt`: the context, then one line per question. A
/// file that cannot be written is skipped; it is only kept for reading.
fn keep_output(out_dir: &Path, case: &Case, output: &Output) {
    let mut raw = format!("context {}\n", context_text(&output.context));
    for ((g, q), a) in &output.answers {
        let _ = writeln!(raw, "{g} {} {a}", q.name());
    }
    let _ = std::fs::write(out_dir.join(format!("{}.txt", case.name)), raw);
}

/// The `FAIL` lines of a case: what went wrong on either side, then at most
/// [`MAX_DETAIL_LINES`] problems.
fn failure_report(case: &Case, output: &Output, ours: &Ours, problems: &[String]) -> String {
    let mut report = format!(
        "FAIL {} ({}, {})",
        case.name,
        case.origin,
        case.dir.display()
    );
    if output.timed_out {
        report.push_str("\n  wine: the probe did not finish and was killed");
    } else if output.exit != Some(0) {
        let _ = write!(report, "\n  wine: the probe exited with {:?}", output.exit);
    }
    if let Ours::AppError(e) = ours {
        let _ = write!(report, "\n  comsim: {}", e.lines().next().unwrap_or(""));
    }
    if let Ours::ContextError { reason, .. } = ours {
        let _ = write!(report, "\n  comsim: context error: {reason}");
    }
    for line in output.other.iter().take(3) {
        let _ = write!(report, "\n  wine said: {line}");
    }
    let n = problems.len();
    for p in problems.iter().take(MAX_DETAIL_LINES) {
        let _ = write!(report, "\n  {p}");
    }
    if n > MAX_DETAIL_LINES {
        let _ = write!(report, "\n  ... and {} more", n - MAX_DETAIL_LINES);
    }
    report
}

/// The closing lines: failures outside the cases, how often each deviation excused a case, the
/// cases that needed a second probe, and the totals. True when nothing failed.
fn report_totals(failures: &[String], tally: &Tally) -> bool {
    for f in failures {
        println!("FAIL {f}");
    }
    for (id, n) in &tally.excused {
        eprintln!("conformance-sxs: deviation {id}: {n} case(s)");
    }
    if !tally.retried.is_empty() {
        eprintln!(
            "conformance-sxs: note: Wine answered {} differently on a second probe, which agreed with comsim: {}",
            if tally.retried.len() == 1 {
                "1 case"
            } else {
                "several cases"
            },
            tally.retried.join(", ")
        );
    }
    let failed = tally.failed + failures.len();
    println!("conformance-sxs: {} passed, {failed} failed", tally.passed);
    failed == 0
}

/// The subdirectories of `base` (none if it does not exist), sorted by name.
fn subdirectories(base: &Path) -> Result<Vec<PathBuf>, String> {
    if !base.exists() {
        return Ok(Vec::new());
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(base)
        .map_err(|e| format!("cannot list {}: {e}", base.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Every file below `dir`, sorted.
fn files_below(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot list {}: {e}", d.display()))?;
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The GUIDs written in a case's files: manifests as text (UTF-16 too), DLLs through their
/// embedded manifests.
fn read_facts(dir: &Path) -> Result<Facts, String> {
    let mut guids = BTreeSet::new();
    let mut unbraced = BTreeSet::new();
    for path in files_below(dir)? {
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let is_dll = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("dll"));
        let texts: Vec<String> = if is_dll {
            comsim_manifest::pe::embedded_manifests(&bytes)
                .unwrap_or_default()
                .into_iter()
                .map(|m| text_of(&m.bytes))
                .collect()
        } else {
            vec![text_of(&bytes)]
        };
        for text in texts {
            for (guid, braced) in scan_guids(&text) {
                if !braced {
                    unbraced.insert(guid.clone());
                }
                guids.insert(guid);
            }
        }
    }
    Ok(Facts {
        guids: guids.into_iter().collect(),
        unbraced,
    })
}

fn text_of(bytes: &[u8]) -> String {
    decode("", bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
}

/// GUID-shaped runs of text (`8-4-4-4-12` hex digits), upper-cased in braces, and whether they
/// were written with an opening brace.
fn scan_guids(text: &str) -> Vec<(String, bool)> {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let b = text.as_bytes();
    let is_part = |c: u8| c.is_ascii_hexdigit() || c == b'-';
    let mut out = Vec::new();
    let mut i = 0;
    while i + 36 <= b.len() {
        if i > 0 && is_part(b[i - 1]) {
            i += 1;
            continue;
        }
        let mut at = i;
        let mut ok = true;
        for (k, n) in SHAPE.iter().enumerate() {
            if k > 0 {
                ok &= b[at] == b'-';
                at += 1;
            }
            ok &= b[at..at + n].iter().all(u8::is_ascii_hexdigit);
            at += n;
        }
        if ok && b.get(at).is_none_or(|&c| !is_part(c)) {
            let braced = i > 0 && b[i - 1] == b'{';
            out.push((format!("{{{}}}", text[i..at].to_uppercase()), braced));
            i = at;
        } else {
            i += 1;
        }
    }
    out
}

fn comsim_side(case: &Case) -> Ours {
    let source = format!("{}/app.manifest", case.name);
    let bytes = match std::fs::read(case.dir.join("app.manifest")) {
        Ok(b) => b,
        Err(e) => return Ours::AppError(format!("cannot read app.manifest: {e}")),
    };
    let app = match parse_manifest(&source, &bytes) {
        Ok(m) => m,
        Err(d) => return Ours::AppError(d.to_string()),
    };
    match build_context(app, &FsDirectory::new(&case.dir, case.name.clone())) {
        Ok(ctx) => Ours::Created(Box::new(ctx)),
        Err(e) => Ours::ContextError {
            code: e.win32_error,
            reason: e.reason,
            probes: e.probes,
        },
    }
}

/// comsim's answer to one of the probe's questions.
fn comsim_answer(ctx: &ActivationContext, guid: Guid, query: Query) -> Answer {
    let find = match query {
        Query::Any => Find::Any,
        Query::Class => Find::Class,
        Query::Surrogate => Find::Surrogate,
        Query::ComServer => {
            return match find_com_server(ctx, guid) {
                Some(_) => Answer::Hit(None),
                None => Answer::Fail(query.miss_code()),
            };
        }
    };
    match sxs_lookup_clr_guid(ctx, guid, find) {
        Some(i) => Answer::Hit(Some(Info {
            flags: i.flags,
            runtime: i.runtime_version,
            type_name: i.type_name,
            identity: i.assembly_identity,
        })),
        None => Answer::Fail(query.miss_code()),
    }
}

/// Whether comsim turned down a component that Wine accepts: a found manifest whose identity
/// differs from the reference in something other than the version, or that has none.
fn rejected_identity(probes: &[Probe]) -> bool {
    probes.iter().any(|p| match &p.outcome {
        ProbeOutcome::Mismatch { differs, .. } => !differs.starts_with("version"),
        _ => false,
    })
}

fn context_text(c: &Context) -> String {
    match c {
        Context::Created => "created".into(),
        Context::Error(n) => format!("actctx error {n}"),
        Context::ActivateError(n) => format!("activate error {n}"),
    }
}

fn compare(
    devs: &Deviations,
    case: &Case,
    facts: &Facts,
    asked: &[String],
    ours: &Ours,
    wine: &Output,
) -> Vec<Disagreement> {
    let mut list = Vec::new();
    let (our_context, ctx, probes) = match ours {
        Ours::AppError(_) => (Context::Error(14001), None, &[][..]),
        Ours::ContextError { code, probes, .. } => (Context::Error(*code), None, &probes[..]),
        Ours::Created(ctx) => (Context::Created, Some(&**ctx), &ctx.probes[..]),
    };
    if wine.timed_out {
        list.push(Disagreement {
            what: "probe".into(),
            wine: "killed after a timeout".into(),
            comsim: "-".into(),
            excused_by: Vec::new(),
        });
    }
    if our_context != wine.context {
        list.push(Disagreement {
            what: "context".into(),
            wine: context_text(&wine.context),
            comsim: context_text(&our_context),
            excused_by: Vec::new(),
        });
    } else if let Some(ctx) = ctx {
        for g in asked {
            let Some(guid) = Guid::parse(g) else { continue };
            for q in Query::ALL {
                let ours = comsim_answer(ctx, guid, q);
                let theirs = wine
                    .answers
                    .get(&(g.clone(), q))
                    .cloned()
                    .unwrap_or(Answer::NoLine);
                if ours.same(&theirs) {
                    continue;
                }
                let (model, ids) = wine_model(devs, facts, ctx, g, guid, q, &ours);
                let excused_by = if !ids.is_empty() && model.same(&theirs) {
                    ids
                } else {
                    Vec::new()
                };
                list.push(Disagreement {
                    what: format!("{} {g}", q.name()),
                    wine: theirs.to_string(),
                    comsim: ours.to_string(),
                    excused_by,
                });
            }
        }
    }
    // Deviations that cover a whole case.
    let mut whole: Vec<String> = devs
        .listed_for(&case.name)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if rejected_identity(probes)
        && let Some(id) = devs.id_for(Predicate::PrivateIdentity)
    {
        whole.push(id.to_owned());
    }
    if !whole.is_empty() {
        for d in list.iter_mut().filter(|d| d.excused_by.is_empty()) {
            d.excused_by = whole.clone();
        }
    }
    list
}

/// What Wine is known to answer instead of comsim's `ours`, and the deviations that make the
/// difference. Each step applies only where its predicate holds for this case and GUID.
fn wine_model(
    devs: &Deviations,
    facts: &Facts,
    ctx: &ActivationContext,
    text: &str,
    guid: Guid,
    query: Query,
    ours: &Answer,
) -> (Answer, Vec<String>) {
    let mut ids = Vec::new();
    let note = |p: Predicate, ids: &mut Vec<String>| {
        if let Some(id) = devs.id_for(p) {
            ids.push(id.to_owned());
            true
        } else {
            false
        }
    };
    // An entry whose GUID is written without braces is not in Wine's sections.
    if facts.unbraced.contains(text) && note(Predicate::GuidWithoutBraces, &mut ids) {
        return (Answer::Fail(query.miss_code()), ids);
    }
    // SxsLookupClrGuid reads CLR data from a native comClass record (after no surrogate for `any`).
    let native_first = find_com_server(ctx, guid).is_some_and(|s| s.managed_type.is_none());
    let class_search = match query {
        Query::Class => true,
        Query::Any => sxs_lookup_clr_guid(ctx, guid, Find::Surrogate).is_none(),
        _ => false,
    };
    if native_first && class_search && note(Predicate::NativeClassCrash, &mut ids) {
        return (Answer::Crash(String::new()), ids);
    }
    let Answer::Hit(Some(info)) = ours else {
        return (ours.clone(), Vec::new());
    };
    let mut info = info.clone();
    if info.runtime.as_deref() == Some("") && note(Predicate::EmptyRuntime, &mut ids) {
        info.runtime = None;
    }
    if let Some(at) = info.identity.find(",language=\"") {
        let value_end = info.identity[at + 11..].find('"').map(|e| at + 11 + e + 1);
        if let Some(end) = value_end
            && note(Predicate::IdentityLanguage, &mut ids)
        {
            info.identity.replace_range(at..end, "");
        }
    }
    if !info.identity.contains(",version=\"") && note(Predicate::IdentityVersion, &mut ids) {
        info.identity.push_str(",version=\"0.0.0.0\"");
    }
    (Answer::Hit(Some(info)), ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_found_with_and_without_braces() {
        let text = r#"<c clsid="{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}"/><c clsid='fdb46ca5-9477-4528-b4b2-7f00a254cdea'/> 0fdb46ca5-9477-4528-b4b2-7f00a254cdea"#;
        assert_eq!(
            scan_guids(text),
            [
                ("{19F7F420-4CC5-4B0D-8A82-C24645C0BA1F}".to_owned(), true),
                ("{FDB46CA5-9477-4528-B4B2-7F00A254CDEA}".to_owned(), false),
            ]
        );
    }
}
