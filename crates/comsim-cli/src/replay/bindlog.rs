//! `--bind-log`: each binding attempt of a trace written as a Fusion log entry, laid out as the
//! Assembly Binding Log Viewer (fuslogvw) shows one (docs/rules.md, "The bind log"; docs/bind-log.md).
//!
//! An attempt starts at a `bind-request` step (BIND-1) and takes the BIND steps up to the next
//! one. Everything written comes from the steps' codes and their structured data
//! ([`BindFacts`]: the bind's setting, the reference after policy, the files probed, the file
//! reached), never from their prose. A registration's CodeBase (BIND-4) is a second entry, a
//! where-ref bind in the LoadFrom context, after the by-name entry that failed. The entry's date
//! is a fixed text, so the same replay gives the same bytes.

use std::io::Write;

use comsim_resolver::bind::parse_display_name;
use comsim_resolver::{BindContext, BindFacts, HResult, Rule, TraceStep, WinPath};
use comsim_rules::Group;
use comsim_scenario::{Replayer, RequestStepRun, Scenario, StepRun, Summary};

use super::text::clr_heading;

/// What stands where fuslogvw shows the entry's date and time.
pub(crate) const DATE: &str = "replayed by comsim: no date";

/// `comsim replay --bind-log`: for each request step and run, a heading line, then the run's
/// bind log entries, each followed by a blank line.
pub(super) fn write(
    s: &Scenario,
    replayer: &Replayer<'_>,
    out: &mut dyn Write,
) -> Result<Summary, String> {
    super::write_steps(replayer, out, |run| match run {
        StepRun::Request(rr) => step(s, rr),
        StepRun::Machine(_) => String::new(),
    })
}

fn step(s: &Scenario, rr: &RequestStepRun) -> String {
    let mut o = String::new();
    for r in &rr.runs {
        let logs = entries(&r.run.trace.steps);
        o.push_str(&heading(
            &format!("Step {}: {}, {}", rr.step, rr.name, clr_heading(s, r.clr)),
            logs.len(),
        ));
        for e in logs {
            o.push_str(&e);
            o.push('\n');
        }
    }
    o
}

/// `== WHO: N binding attempt(s) ==` and a blank line.
pub(crate) fn heading(who: &str, entries: usize) -> String {
    let what = match entries {
        0 => "no binding attempt".to_owned(),
        1 => "1 bind log entry".to_owned(),
        n => format!("{n} bind log entries"),
    };
    format!("== {who}: {what} ==\n\n")
}

/// The bind log of a trace: one entry per binding attempt (two for one that ends at the
/// registration's CodeBase), in order; empty when the trace binds nothing.
pub(crate) fn entries(steps: &[TraceStep]) -> Vec<String> {
    let starts: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, t)| t.code == Some("bind-request"))
        .map(|(n, _)| n)
        .collect();
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(steps.len());
        let Some(ctx) = steps[start].bind.as_ref().and_then(|b| b.context.as_ref()) else {
            continue;
        };
        let attempt: Vec<&TraceStep> = steps[start + 1..end]
            .iter()
            .filter(|t| t.rule.group() == Group::Bind && t.rule != Rule::Bind7)
            .collect();
        out.extend(attempt_entries(ctx, &steps[start], &attempt));
    }
    out
}

/// The facts of a step (none for a step that carries none).
fn facts(t: &TraceStep) -> BindFacts {
    t.bind.as_deref().cloned().unwrap_or_default()
}

/// How an entry ended: the HRESULT, and the entry's body lines after the pre-bind state.
struct Body {
    hr: HResult,
    lines: Vec<String>,
}

/// One attempt: the by-name entry, and the where-ref entry when the registration's CodeBase
/// was followed.
fn attempt_entries(ctx: &BindContext, request: &TraceStep, steps: &[&TraceStep]) -> Vec<String> {
    let split = steps.iter().position(|t| facts(t).where_ref);
    let (by_name, where_ref) = match split {
        Some(n) => steps.split_at(n),
        None => (steps, &[][..]),
    };
    let reference = facts(request).reference.unwrap_or_default();
    let body = by_name_body(ctx, &reference, by_name);
    let mut out = vec![entry(ctx, None, &body)];
    if let Some(file) = where_ref.iter().find_map(|t| facts(t).file) {
        let body = where_ref_body(ctx, &reference, where_ref);
        out.push(entry(ctx, Some(&file), &body));
    }
    out
}

/// The header, the pre-bind state and the body of one entry. `location` is a where-ref
/// bind's file.
fn entry(ctx: &BindContext, location: Option<&WinPath>, body: &Body) -> String {
    let mut o = Vec::new();
    o.push(format!("*** Assembly Binder Log Entry  ({DATE}) ***"));
    o.push(String::new());
    o.push(
        if body.hr.0 == 0 {
            "The operation was successful."
        } else {
            "The operation failed."
        }
        .to_owned(),
    );
    o.push(format!(
        "Bind result: hr = {}. {}",
        hr(body.hr),
        message(body.hr)
    ));
    o.push(String::new());
    let manager = if ctx.runtime.major >= 4 {
        "clr.dll"
    } else {
        "mscorwks.dll"
    };
    o.push(format!(
        "Assembly manager loaded from:  {}",
        ctx.runtime_dir.join(manager)
    ));
    o.push(format!("Running under executable  {}", ctx.exe));
    o.push("--- A detailed error log follows.".to_owned());
    o.push(String::new());
    o.push("=== Pre-bind state information ===".to_owned());
    match location {
        Some(file) => o.push(format!("LOG: Where-ref bind. Location = {file}")),
        None => {
            o.push(format!("LOG: DisplayName = {}", ctx.name.display()));
            let n = &ctx.name;
            if n.version.is_some() && n.culture.is_some() && n.public_key_token.is_some() {
                o.push(" (Fully-specified)".to_owned());
            } else {
                o.push(" (Partial)".to_owned());
            }
        }
    }
    o.push(format!("LOG: Appbase = {}/", ctx.appbase.to_file_url()));
    o.push("LOG: Initial PrivatePath = NULL".to_owned());
    o.push("LOG: Dynamic Base = NULL".to_owned());
    o.push("LOG: Cache Base = NULL".to_owned());
    o.push(format!("LOG: AppName = {}", ctx.exe.file_name()));
    o.push("Calling assembly : (Unknown).".to_owned());
    o.push("===".to_owned());
    o.extend(body.lines.iter().cloned());
    let mut text = o.join("\n");
    text.push('\n');
    text
}

/// `0x80070002`, `0x8007000b`, `0x0`: as Fusion prints an HRESULT.
fn hr(h: HResult) -> String {
    format!("{:#x}", h.0)
}

/// The text after the HRESULT: the system's message for a Win32 code; Fusion has none for the
/// CLR's own codes (`0x8013…`).
fn message(h: HResult) -> String {
    if h.0 == 0 {
        "The operation completed successfully.".to_owned()
    } else if h.is_win32() {
        h.system_message()
    } else {
        "No description available.".to_owned()
    }
}

/// The lines every entry has after the pre-bind state: the load context and the configuration
/// files.
fn context_lines(ctx: &BindContext, load_from: bool, o: &mut Vec<String>) {
    if load_from {
        o.push("LOG: This bind starts in LoadFrom load context.".to_owned());
        o.push("WRN: Native image will not be probed in LoadFrom context. Native image will only be probed in default load context, like with Assembly.Load().".to_owned());
    } else {
        o.push("LOG: This bind starts in default load context.".to_owned());
    }
    match &ctx.config {
        Some(c) => o.push(format!("LOG: Using application configuration file: {c}")),
        None => o.push("LOG: No application configuration file found.".to_owned()),
    }
    o.push("LOG: Using host configuration file:".to_owned());
    o.push(format!(
        "LOG: Using machine configuration file from {}.",
        ctx.runtime_dir.join(r"config\machine.config")
    ));
}

/// The by-name bind in the default load context: policy, the GAC, probing or the `.config`'s
/// `<codeBase>`.
fn by_name_body(ctx: &BindContext, reference: &str, steps: &[&TraceStep]) -> Body {
    let mut o = Vec::new();
    context_lines(ctx, false, &mut o);
    if !ctx.private_paths.is_empty() {
        o.push(format!(
            "LOG: Private path hint found in configuration file: {}.",
            ctx.private_paths.join(";")
        ));
    }
    let strong = ctx.name.is_strong() && ctx.name.version.is_some();
    let mut post_policy = reference.to_owned();
    for t in steps.iter().filter(|t| t.code == Some("config-redirect")) {
        if let Some(r) = facts(t).reference {
            redirect_line(ctx, &r, &mut o);
            post_policy = r;
        }
    }
    if strong {
        o.push(format!("LOG: Post-policy reference: {post_policy}"));
    } else {
        o.push("LOG: Policy not being applied to reference at this time (private, custom, partial, or location-based assembly bind).".to_owned());
    }
    let mut hr = HResult::FILE_NOT_FOUND;
    for (n, t) in steps.iter().enumerate() {
        let f = facts(t);
        let next = steps.get(n + 1).copied();
        match t.code.unwrap_or_default() {
            "gac-hit" => {
                o.push("LOG: Found assembly by looking in the GAC.".to_owned());
                // No download and no setup: the file is taken as it is.
                if let Some(file) = &f.file {
                    hr = finish(file, next, false, &mut o);
                }
            }
            "gac-miss" => o.push("LOG: GAC Lookup was unsuccessful.".to_owned()),
            "appbase-miss" => nothing_found(&f.probed, &mut o),
            "appbase-hit" | "probe-mismatch" | "probe-not-assembly" => {
                downloads(&f.probed, &mut o);
                downloads(f.file.as_slice(), &mut o);
                hr = reached(&post_policy, t, &f, next, false, &mut o);
            }
            // The .config's <codeBase>: the one URL of the by-name bind.
            "codebase-loaded" | "codebase-other-assembly" | "codebase-not-assembly" => {
                download_codebase(f.file.as_ref(), &mut o);
                hr = reached(&post_policy, t, &f, next, false, &mut o);
            }
            "codebase-file-missing" | "codebase-not-provided" => {
                nothing_found(f.file.as_slice(), &mut o);
            }
            _ => {}
        }
    }
    Body { hr, lines: o }
}

/// `LOG: Redirect found in application configuration file: 1.0.0.0 redirected to 2.0.0.0.`
fn redirect_line(ctx: &BindContext, redirected: &str, o: &mut Vec<String>) {
    let new = parse_display_name(redirected).ok().and_then(|n| n.version);
    if let (Some(old), Some(new)) = (ctx.name.version, new) {
        o.push(format!(
            "LOG: Redirect found in application configuration file: {old} redirected to {new}."
        ));
    }
}

/// The registration's CodeBase, bound by location in the LoadFrom context (BIND-4).
fn where_ref_body(ctx: &BindContext, reference: &str, steps: &[&TraceStep]) -> Body {
    let mut o = Vec::new();
    context_lines(ctx, true, &mut o);
    let mut hr = HResult::FILE_NOT_FOUND;
    for (n, t) in steps.iter().enumerate() {
        let f = facts(t);
        let next = steps.get(n + 1).copied();
        match t.code.unwrap_or_default() {
            "codebase-loaded" => {
                let Some(file) = &f.file else { continue };
                download_codebase(Some(file), &mut o);
                setup(file, t, &mut o);
                o.push("LOG: Re-apply policy for where-ref bind.".to_owned());
                if ctx.name.is_strong() {
                    o.push(format!("LOG: Post-policy reference: {reference}"));
                    o.push("LOG: GAC Lookup was unsuccessful.".to_owned());
                }
                o.push("LOG: Where-ref bind Codebase does not match what is found in default context. Keep the result in LoadFrom context.".to_owned());
                hr = finish(file, next, true, &mut o);
            }
            "codebase-other-assembly" | "codebase-not-assembly" => {
                download_codebase(f.file.as_ref(), &mut o);
                hr = reached(reference, t, &f, next, true, &mut o);
            }
            "codebase-file-missing" | "codebase-not-provided" => {
                nothing_found(f.file.as_slice(), &mut o);
            }
            _ => {}
        }
    }
    Body { hr, lines: o }
}

/// `LOG: Attempting download of new URL file:///C:/App/Name.DLL.`, one per file probed: Fusion
/// writes the extension it appends in capitals.
fn downloads(paths: &[WinPath], o: &mut Vec<String>) {
    for p in paths {
        o.push(format!(
            "LOG: Attempting download of new URL {}.",
            probe_url(p)
        ));
    }
}

/// The download of the file a CodeBase names, its URL as the file is spelt.
fn download_codebase(file: Option<&WinPath>, o: &mut Vec<String>) {
    if let Some(file) = file {
        o.push(format!(
            "LOG: Attempting download of new URL {}.",
            file.to_file_url()
        ));
    }
}

/// The downloads of files that are not there, and the end of probing.
fn nothing_found(paths: &[WinPath], o: &mut Vec<String>) {
    downloads(paths, o);
    o.push("LOG: All probing URLs attempted and failed.".to_owned());
}

fn probe_url(p: &WinPath) -> String {
    let url = p.to_file_url();
    for ext in [".dll", ".exe"] {
        if let Some(stem) = url.strip_suffix(ext) {
            return format!("{stem}{}", ext.to_ascii_uppercase());
        }
    }
    url
}

/// A probe or a CodeBase reached a file (`t`), downloaded: the setup that binds it or fails.
fn reached(
    reference: &str,
    t: &TraceStep,
    f: &BindFacts,
    next: Option<&TraceStep>,
    load_from: bool,
    o: &mut Vec<String>,
) -> HResult {
    let Some(file) = &f.file else {
        return HResult::FILE_NOT_FOUND;
    };
    match t.code.unwrap_or_default() {
        "probe-not-assembly" | "codebase-not-assembly" => {
            o.push(format!(
                "LOG: Assembly download was successful. Attempting setup of file: {file}"
            ));
            o.push("LOG: Entering run-from-source setup phase.".to_owned());
            setup_failed(HResult::BAD_FORMAT, o)
        }
        "probe-mismatch" | "codebase-other-assembly" => {
            setup(file, t, o);
            if let Some(part) = mismatch_part(reference, t) {
                o.push(format!(
                    "WRN: Comparing the assembly name resulted in the mismatch: {part}"
                ));
            }
            o.push(
                "ERR: The assembly reference did not match the assembly definition found."
                    .to_owned(),
            );
            setup_failed(HResult::FUSION_E_REF_DEF_MISMATCH, o)
        }
        _ => {
            setup(file, t, o);
            finish(file, next, load_from, o)
        }
    }
}

/// The setup of a downloaded file: its name as read from its manifest (the step's `found`,
/// the assembly's full name).
fn setup(file: &WinPath, t: &TraceStep, o: &mut Vec<String>) {
    o.push(format!(
        "LOG: Assembly download was successful. Attempting setup of file: {file}"
    ));
    o.push("LOG: Entering run-from-source setup phase.".to_owned());
    if let Some(name) = &t.found {
        o.push(format!("LOG: Assembly Name is: {name}"));
    }
}

/// The end of a bind that found its file: success, or the BIND-6 step that refused the image.
fn finish(
    file: &WinPath,
    next: Option<&TraceStep>,
    load_from: bool,
    o: &mut Vec<String>,
) -> HResult {
    match next.and_then(|t| t.code) {
        Some("wrong-architecture") => {
            o.push(format!(
                "ERR: Invalid assembly platform or ContentType in file (hr = {}).",
                hr(HResult::BAD_FORMAT)
            ));
            setup_failed(HResult::BAD_FORMAT, o)
        }
        Some("newer-runtime") => setup_failed(HResult::COR_E_NEWER_RUNTIME, o),
        Some("codebase-share-refused") => setup_failed(HResult::COR_E_NOTSUPPORTED, o),
        _ => {
            o.push(format!(
                "LOG: Binding succeeds. Returns assembly from {file}."
            ));
            o.push(format!(
                "LOG: Assembly is loaded in {} load context.",
                if load_from { "LoadFrom" } else { "default" }
            ));
            HResult::S_OK
        }
    }
}

fn setup_failed(h: HResult, o: &mut Vec<String>) -> HResult {
    o.push(format!(
        "ERR: Run-from-source setup phase failed with hr = {}.",
        hr(h)
    ));
    o.push(format!(
        "ERR: Failed to complete setup of assembly (hr = {}). Probing terminated.",
        hr(h)
    ));
    h
}

/// The first part of the name in which the file found (the step's `found`, its full name)
/// differs from the reference after policy, as Fusion names it. Both are display names.
fn mismatch_part(reference: &str, t: &TraceStep) -> Option<&'static str> {
    let want = parse_display_name(reference).ok()?;
    let have = parse_display_name(t.found.as_deref()?).ok()?;
    if !want.name.eq_ignore_ascii_case(&have.name) {
        return Some("NAME");
    }
    if let (Some(w), Some(h)) = (want.version, have.version) {
        let parts = [
            "Major Version",
            "Minor Version",
            "Build Number",
            "Revision Number",
        ];
        if let Some(k) = (0..4).find(|&k| w.0[k] != h.0[k]) {
            return Some(parts[k]);
        }
    }
    let culture = |c: &Option<String>| c.clone().unwrap_or_default().to_ascii_lowercase();
    if want.culture.is_some() && culture(&want.culture) != culture(&have.culture) {
        return Some("CULTURE");
    }
    if want.is_strong() && want.public_key_token != have.public_key_token {
        return Some("PUBLIC KEY TOKEN");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_log_hresults_are_written_as_fusion_writes_them() {
        assert_eq!(hr(HResult::S_OK), "0x0");
        assert_eq!(hr(HResult::BAD_FORMAT), "0x8007000b");
        assert_eq!(
            message(HResult::FILE_NOT_FOUND),
            "The system cannot find the file specified."
        );
        // The system has no text for the CLR's own HRESULTs.
        assert_eq!(
            message(HResult::FUSION_E_REF_DEF_MISMATCH),
            "No description available."
        );
    }

    #[test]
    fn bind_log_probe_urls_have_the_appended_extension_in_capitals() {
        let p = WinPath::parse(r"C:\My App\Lib\Lib.dll").unwrap();
        assert_eq!(probe_url(&p), "file:///C:/My App/Lib/Lib.DLL");
        let p = WinPath::parse(r"C:\App\Lib.exe").unwrap();
        assert_eq!(probe_url(&p), "file:///C:/App/Lib.EXE");
    }

    #[test]
    fn bind_log_names_the_first_part_of_the_name_that_differs() {
        let step = |found: &str| {
            let mut t = comsim_resolver::Trace::default();
            t.push(Rule::Bind3, "x").found(found);
            t.steps.remove(0)
        };
        let r = "A, Version=1.2.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef";
        let part = |found: &str| mismatch_part(r, &step(found));
        assert_eq!(
            part("B, Version=1.2.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef"),
            Some("NAME")
        );
        assert_eq!(
            part("A, Version=2.2.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef"),
            Some("Major Version")
        );
        assert_eq!(
            part("A, Version=1.2.0.5, Culture=neutral, PublicKeyToken=0123456789abcdef"),
            Some("Revision Number")
        );
        assert_eq!(
            part("A, Version=1.2.0.0, Culture=neutral, PublicKeyToken=null"),
            Some("PUBLIC KEY TOKEN")
        );
        assert_eq!(
            part("A, Version=1.2.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef"),
            None
        );
    }

    #[test]
    fn bind_log_of_a_trace_without_a_bind_is_empty() {
        let mut t = comsim_resolver::Trace::default();
        t.push(Rule::Com3, "InprocServer32").code("inproc");
        assert!(entries(&t.steps).is_empty());
    }
}
