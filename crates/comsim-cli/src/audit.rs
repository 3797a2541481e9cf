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
    let w = |e: std::io::Error| e.to_string();
    // A whole machine's audit is a million lines: written in large pieces, not line by line.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let audit = match a.format {
        // CSV rows name the causes, never their sentences and fixes, and are written as each
        // round of classes is done: the classes' results are not all held.
        AuditFormat::Csv => {
            write_csv_header(&mut out).map_err(w)?;
            let mut failed = None;
            let mut sink = |cfgs: &[comsim_audit::AuditConfig], classes: Vec<ClassAudit>| {
                if failed.is_none() {
                    failed = write_csv_rows(cfgs, &classes, &mut out).err();
                }
            };
            let audit = comsim_audit::audit_streamed(
                &mut loaded,
                &filters,
                comsim_audit::Detail::Causes,
                progress,
                &mut sink,
            );
            if let Some(e) = failed {
                return Err(w(e));
            }
            audit
        }
        AuditFormat::Json | AuditFormat::Text => {
            let detail = comsim_audit::Detail::Full;
            let audit = comsim_audit::audit_with_progress(&mut loaded, &filters, detail, progress);
            if a.format == AuditFormat::Json {
                serde_json::to_writer_pretty(&mut out, &audit).map_err(|e| e.to_string())?;
                writeln!(out).map_err(w)?;
            } else {
                write_text(&audit, &mut out).map_err(w)?;
            }
            audit
        }
    };
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
/// How many assumed files the text report lists: a whole machine's export assumes thousands,
/// which would push the classes out of view; JSON lists them all.
const ASSUMED_SHOWN: usize = 20;

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
            "assumed ({} files; only registry exports or hives were given):",
            a.assumptions.len()
        )?;
        for s in a.assumptions.iter().take(ASSUMED_SHOWN) {
            writeln!(out, "  {s}")?;
        }
        if let Some(more) = a
            .assumptions
            .len()
            .checked_sub(ASSUMED_SHOWN)
            .filter(|&n| n > 0)
        {
            writeln!(
                out,
                "  ... and {more} more (`--format json` lists them all)"
            )?;
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
            let Some(details) = &cause.details else {
                writeln!(out, "    {clsid} in {}", cause.configs.join(" "))?;
                continue;
            };
            writeln!(
                out,
                "    {clsid} in {}: {}",
                cause.configs.join(" "),
                details.sentence
            )?;
            for f in &details.fixes {
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

/// The CSV's header row. The CSV is the header, then one row per class and configuration
/// ([`write_csv_rows`]); fields quoted as RFC 4180 says (when they hold a comma, a quote or a
/// line break; quotes doubled), lines ended by CRLF.
pub fn write_csv_header(out: &mut dyn Write) -> std::io::Result<()> {
    let mut header = String::new();
    push_row(&mut header, &CSV_HEADER);
    out.write_all(header.as_bytes())
}

/// The CSV rows of `classes`, whose results name the configurations `cfgs`.
///
/// An audit of a large machine writes a million rows: blocks of classes are written into text
/// on the machine's cores, and the texts written out in order (the output is the same bytes).
pub fn write_csv_rows(
    cfgs: &[comsim_audit::AuditConfig],
    classes: &[ClassAudit],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    /// Classes per block of text: a block is a few hundred kilobytes.
    const BLOCK: usize = 1024;
    // A block per core at a time: the texts waiting to be written stay a few blocks.
    for group in classes.chunks(BLOCK * comsim_audit::threads()) {
        let blocks: Vec<&[ClassAudit]> = group.chunks(BLOCK).collect();
        let texts = comsim_audit::parallel_map(&blocks, 2, |b| csv_rows(cfgs, b));
        for t in texts {
            out.write_all(t.as_bytes())?;
        }
    }
    Ok(())
}

/// The CSV rows of `classes`. A row is the class's three fields, the configuration's five and
/// the run's four: the first two parts are written once (per class, per configuration) and
/// copied into each row.
fn csv_rows(cfgs: &[comsim_audit::AuditConfig], classes: &[ClassAudit]) -> String {
    let configs: Vec<(&str, String)> = cfgs
        .iter()
        .map(|c| {
            let cfg = &c.config;
            let mut fields = String::new();
            push_fields(
                &mut fields,
                &[
                    c.id,
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
                ],
            );
            (c.id, fields)
        })
        .collect();
    let mut text = String::with_capacity(classes.len() * 1024);
    let mut class_fields = String::new();
    // A run's cause IDs, space-separated: one buffer for every row.
    let mut causes = String::new();
    for c in classes {
        let kind = if c.class.managed { "managed" } else { "native" };
        class_fields.clear();
        push_fields(
            &mut class_fields,
            &[
                &c.class.clsid.to_braced_string(),
                c.class.progid.as_deref().unwrap_or_default(),
                kind,
            ],
        );
        for r in &c.results {
            let Some((_, config_fields)) = configs.iter().find(|(id, _)| *id == r.config) else {
                continue;
            };
            causes.clear();
            for (i, id) in r.causes.iter().enumerate() {
                if i > 0 {
                    causes.push(' ');
                }
                causes.push_str(id);
            }
            let hresult = r.hresult.map(|h| h.hex());
            text.push_str(&class_fields);
            text.push(',');
            text.push_str(config_fields);
            text.push(',');
            push_fields(
                &mut text,
                &[
                    r.kind,
                    hresult.as_ref().map(HexText::as_str).unwrap_or_default(),
                    &causes,
                    &r.summary,
                ],
            );
            text.push_str("\r\n");
        }
    }
    text
}

/// One CSV line appended to `text`: the fields, each as RFC 4180 writes it, comma-separated,
/// CRLF-ended.
fn push_row(text: &mut String, fields: &[&str]) {
    push_fields(text, fields);
    text.push_str("\r\n");
}

/// Fields appended to `text`, each as RFC 4180 writes it, comma-separated.
fn push_fields(text: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        push_field(text, f);
    }
}

/// A field appended to `text` as RFC 4180 writes it: quoted, its quotes doubled, when it holds
/// a comma, a quote or a line break; else as it is.
fn push_field(text: &mut String, f: &str) {
    if needs_quotes(f) {
        text.push('"');
        text.push_str(&f.replace('"', "\"\""));
        text.push('"');
    } else {
        text.push_str(f);
    }
}

/// Whether a field holds a comma, a quote or a line break (RFC 4180 then quotes it). A whole
/// machine's CSV is a million rows: the bytes are tested eight at a time, each word against the
/// four bytes at once (a byte of `x ^ b` is zero where `x` has `b`; `(y - 0x01…) & !y & 0x80…`
/// is not zero when a byte of `y` is), not one byte and four comparisons at a time.
fn needs_quotes(f: &str) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let has_zero_byte = |y: u64| y.wrapping_sub(ONES) & !y & HIGHS != 0;
    let mut words = f.as_bytes().chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().expect("chunks of eight bytes"));
        if [b',', b'"', b'\r', b'\n']
            .iter()
            .any(|&b| has_zero_byte(x ^ (ONES * u64::from(b))))
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// A field as RFC 4180 writes it.
pub fn csv_field(f: &str) -> String {
    let mut text = String::with_capacity(f.len());
    push_field(&mut text, f);
    text
}

#[cfg(test)]
mod tests {
    use super::{csv_field, needs_quotes};

    /// The word-at-a-time test says what a byte-by-byte test says: for every byte that makes a
    /// field quoted and bytes beside it (the others, high bytes of UTF-8, NUL), at every place of
    /// fields of 0 to 24 bytes, and for plain fields of those lengths.
    #[test]
    fn needs_quotes_finds_a_comma_quote_or_line_break_anywhere() {
        let slow = |f: &str| f.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
        for len in 0..=24 {
            let plain = "x".repeat(len);
            assert!(!needs_quotes(&plain), "{plain:?}");
            for at in 0..len {
                for c in [
                    ',', '"', '\r', '\n', '+', '-', '!', '#', '\t', '\u{b}', '\0', 'é',
                ] {
                    let mut f: Vec<char> = plain.chars().collect();
                    f[at] = c;
                    let f: String = f.into_iter().collect();
                    assert_eq!(needs_quotes(&f), slow(&f), "{f:?}");
                }
            }
        }
        assert!(!needs_quotes("0x80040154 REGDB_E_CLASSNOTREG"));
        assert!(needs_quotes(
            r"Fabrikam.Widget from C:\Program Files\a,b\w.dll"
        ));
    }

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
