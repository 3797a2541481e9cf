//! `comsim audit`: parses the arguments and renders the [`Audit`] of comsim-audit as text, JSON
//! (`docs/json.md`) or CSV (one row per class and configuration, RFC 4180). Exit codes: 0 the
//! audit ran (and found no cause `--fail-on` names); 1 a cause `--fail-on` names was found in
//! some class and configuration; 2 bad input.

use std::io::Write;

use clap::{Args, ValueEnum};
use comsim_audit::{Audit, ClassAudit, Filters};
use comsim_manifest::Guid;
use comsim_resolver::{Bitness, ClientKind, HexText};

use crate::{EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK, bad};

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub machine: crate::machine::MachineArgs,
    /// Only these classes.
    #[arg(long, value_name = "GUID", num_args = 1..)]
    pub clsid: Vec<String>,
    /// Only the classes these ProgIDs name (HKCR\ProgID\CLSID, in either view).
    #[arg(long, value_name = "PROGID", num_args = 1..)]
    pub progid: Vec<String>,
    /// Only classes whose server (InprocServer32, LocalServer32) or CodeBase path starts with
    /// this Windows path (case-insensitive).
    #[arg(long, value_name = "WINPATH")]
    pub path_prefix: Option<String>,
    /// Only managed classes (registered for mscoree.dll).
    #[arg(long)]
    pub managed_only: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: AuditFormat,
    /// Exit 1 when one of these causes (IDs of docs/causes.md, or `any`) is found in some class
    /// and configuration.
    #[arg(long, value_name = "CAUSE", num_args = 1..)]
    pub fail_on: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Csv,
}

pub fn run(a: AuditArgs, out: &mut dyn Write, err: &mut dyn Write, progress: bool) -> u8 {
    let mut bar = crate::progress::Bar::stderr(progress);
    match audit(&a, out, err, &mut bar) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

fn filters(a: &AuditArgs) -> Result<Filters, String> {
    let clsids = a
        .clsid
        .iter()
        .map(|c| {
            Guid::parse(c)
                .ok_or_else(|| bad(crate::codes::ARG_GUID, format!("--clsid {c}: not a GUID")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for c in &a.fail_on {
        if c != "any" && !comsim_audit::is_cause(c) {
            return Err(bad(
                crate::codes::ARG_CAUSE,
                format!("--fail-on {c}: not a cause ID of docs/causes.md, nor `any`"),
            ));
        }
    }
    Ok(Filters {
        clsids,
        progids: a.progid.clone(),
        path_prefix: a.path_prefix.clone(),
        managed_only: a.managed_only,
    })
}

fn audit(
    a: &AuditArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    progress: &mut dyn comsim_diag::Progress,
) -> Result<u8, String> {
    let filters = filters(a)?;
    let input = a.machine.input(err)?;
    let mut loaded =
        comsim_diagnose::input::load_with_progress(&input, progress).map_err(|d| d.to_string())?;
    let audit = comsim_audit::audit_with_progress(&mut loaded, &filters, progress);
    let w = |e: std::io::Error| e.to_string();
    // A whole machine's audit is a million lines: written in large pieces, not line by line.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    match a.format {
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &audit).map_err(|e| e.to_string())?;
            writeln!(out).map_err(w)?;
        }
        AuditFormat::Text => write_text(&audit, &mut out).map_err(w)?,
        AuditFormat::Csv => write_csv(&audit, &mut out).map_err(w)?,
    }
    out.flush().map_err(w)?;
    let code = exit_code(&audit, &a.fail_on);
    // The process ends next: freeing a whole machine and its audit, allocation by allocation,
    // would only delay the exit (as `comsim reg` leaves its registry, `reg.rs`).
    std::mem::forget(audit);
    std::mem::forget(loaded);
    Ok(code)
}

/// 1 when a cause `fail_on` names (or any, with `any`) was found, else 0.
pub fn exit_code(audit: &Audit, fail_on: &[String]) -> u8 {
    let hit = audit
        .summary
        .iter()
        .any(|c| fail_on.iter().any(|f| f == "any" || f == c.id));
    if hit { EXIT_NOT_FOUND } else { EXIT_OK }
}

/// The text report: the header (counts, how the configurations are made, each configuration's
/// ID), one block per class (its failing configurations grouped by result), then the causes.
pub fn write_text(a: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    let t = &a.totals;
    writeln!(
        out,
        "comsim audit: {} ({} managed, {} native), {}, {} failed; {} in some configuration",
        count(t.classes, "class", "classes"),
        t.managed,
        t.native,
        count(t.runs, "run", "runs"),
        t.failed_runs,
        count(t.failing_classes, "class fails", "classes fail"),
    )?;
    writeln!(out, "configurations: {}", a.configurations)?;
    for c in &a.configs {
        writeln!(out, "  {:<4}{}", c.id, c.description)?;
    }
    if !a.assumptions.is_empty() {
        writeln!(
            out,
            "assumed ({} files; only registry exports were given):",
            a.assumptions.len()
        )?;
        for s in &a.assumptions {
            writeln!(out, "  {s}")?;
        }
    }
    for c in &a.classes {
        writeln!(out)?;
        write_class(c, out)?;
    }
    write_summary(a, out)
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn write_class(c: &ClassAudit, out: &mut dyn Write) -> std::io::Result<()> {
    let k = &c.class;
    let kind = if k.managed { "managed" } else { "native" };
    let mut head = format!("{} {kind}", k.clsid);
    for part in [&k.progid, &k.server].into_iter().flatten() {
        head.push_str("  ");
        head.push_str(part);
    }
    writeln!(out, "{head}")?;
    let ok: Vec<&str> = c
        .results
        .iter()
        .filter(|r| r.succeeded())
        .map(|r| r.config)
        .collect();
    if ok.len() == c.results.len() {
        return writeln!(out, "  succeeds in all {}", ok.len());
    }
    if !ok.is_empty() {
        writeln!(out, "  succeeds in {}", ok.join(" "))?;
    }
    // Failing configurations with the same result and causes share a line, in config order.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for r in c.results.iter().filter(|r| !r.succeeded()) {
        let mut what = r.summary.clone();
        if !r.causes.is_empty() {
            what = format!("{what}  [{}]", r.causes.join(", "));
        }
        match groups.iter_mut().find(|(w, _)| *w == what) {
            Some((_, ids)) => ids.push(r.config),
            None => groups.push((what, vec![r.config])),
        }
    }
    for (what, ids) in groups {
        writeln!(out, "  fails in {}: {what}", ids.join(" "))?;
    }
    Ok(())
}

fn write_summary(a: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out)?;
    if a.summary.is_empty() {
        return writeln!(out, "causes: none found");
    }
    writeln!(
        out,
        "causes (fixes as comsim diagnose proposes them; `comsim diagnose --clsid GUID` replays them):"
    )?;
    for s in &a.summary {
        writeln!(
            out,
            "  {}: {} ({}, {})",
            s.id,
            s.title,
            count(s.classes.len(), "class", "classes"),
            count(s.runs, "run", "runs")
        )?;
        for clsid in &s.classes {
            let Some(c) = a.class(*clsid) else {
                continue;
            };
            let Some(cause) = c.causes.iter().find(|x| x.id == s.id) else {
                continue;
            };
            writeln!(
                out,
                "    {clsid} in {}: {}",
                cause.configs.join(" "),
                cause.sentence
            )?;
            for f in &cause.fixes {
                writeln!(out, "      fix: {}", f.summary)?;
                for cmd in &f.commands {
                    writeln!(out, "        {cmd}")?;
                }
            }
        }
    }
    Ok(())
}

/// The CSV columns.
pub const CSV_HEADER: [&str; 12] = [
    "clsid", "progid", "kind", "config", "bitness", "client", "clr", "elevated", "outcome",
    "hresult", "causes", "summary",
];

/// One row per class and configuration, after a header row; fields quoted as RFC 4180 says
/// (when they hold a comma, a quote or a line break; quotes doubled), lines ended by CRLF.
///
/// An audit of a large machine writes a million rows: blocks of classes are written into text
/// on the machine's cores, and the texts written out in order (the output is the same bytes).
pub fn write_csv(a: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    /// Classes per block of text: a block is a few hundred kilobytes.
    const BLOCK: usize = 1024;
    let mut header = String::new();
    push_row(&mut header, &CSV_HEADER);
    out.write_all(header.as_bytes())?;
    // A block per core at a time: the texts waiting to be written stay a few blocks.
    for group in a.classes.chunks(BLOCK * comsim_audit::threads()) {
        let blocks: Vec<&[comsim_audit::ClassAudit]> = group.chunks(BLOCK).collect();
        let texts = comsim_audit::parallel_map(&blocks, 2, |b| csv_rows(a, b));
        for t in texts {
            out.write_all(t.as_bytes())?;
        }
    }
    Ok(())
}

/// The CSV rows of `classes`.
fn csv_rows(a: &Audit, classes: &[comsim_audit::ClassAudit]) -> String {
    let mut text = String::with_capacity(classes.len() * 1024);
    for c in classes {
        let clsid = c.class.clsid.to_braced_string();
        let progid = c.class.progid.as_deref().unwrap_or_default();
        let kind = if c.class.managed { "managed" } else { "native" };
        for r in &c.results {
            let Some(cfg) = a.configs.iter().find(|x| x.id == r.config) else {
                continue;
            };
            let cfg = &cfg.config;
            let causes = r.causes.join(" ");
            let hresult = r.hresult.map(|h| h.hex());
            push_row(
                &mut text,
                &[
                    &clsid,
                    progid,
                    kind,
                    r.config,
                    if cfg.bitness == Bitness::B32 {
                        "32"
                    } else {
                        "64"
                    },
                    if cfg.client == ClientKind::Managed {
                        "managed"
                    } else {
                        "native"
                    },
                    cfg.built_for.map(|c| c.label()).unwrap_or_default(),
                    if cfg.elevated { "true" } else { "false" },
                    r.kind,
                    hresult.as_ref().map(HexText::as_str).unwrap_or_default(),
                    &causes,
                    &r.summary,
                ],
            );
        }
    }
    text
}

/// One CSV line appended to `text`: the fields, each as RFC 4180 writes it, comma-separated,
/// CRLF-ended.
fn push_row(text: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // A byte test (a pattern of chars is slower).
        if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            text.push_str(&csv_field(f));
        } else {
            text.push_str(f);
        }
    }
    text.push_str("\r\n");
}

/// A field as RFC 4180 writes it.
pub fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    /// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled;
    /// any other field is written as it is.
    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\r\nlines"), "\"two\r\nlines\"");
    }
}
