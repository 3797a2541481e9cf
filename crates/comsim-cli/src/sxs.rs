//! `comsim sxs lookup` and `comsim sxs context`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use comsim_diag::{Diagnostic, Location};
use comsim_manifest::actctx::{
    ActivationContext, ContextError, FsDirectory, ProbeOutcome, build_context, directory_of,
};
use comsim_manifest::lookup::{Find, sxs_lookup_clr_guid};
use comsim_manifest::{Guid, Manifest, parse_manifest};

use crate::codes;
use crate::reg::Format;
use crate::{EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum SxsCommand {
    /// Ask the activation context for a CLR GUID, as `SxsLookupClrGuid` does (SXS-4).
    Lookup(LookupArgs),
    /// Build and print the activation context: which files were probed and which were used (SXS-1, SXS-2).
    Context(ContextArgs),
}

#[derive(Debug, Args)]
pub struct ContextArgs {
    /// The application manifest: a `.manifest` file, or an `.exe`/`.dll` whose RT_MANIFEST resource 1 is read.
    #[arg(long, value_name = "APP.manifest|APP.exe")]
    pub manifest: PathBuf,
    /// The directory standing for the application directory; default: the manifest's directory.
    #[arg(long, value_name = "DIR")]
    pub app_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The CLSID (or record GUID), with or without braces.
    pub clsid: String,
    #[command(flatten)]
    pub context: ContextArgs,
    /// FIND_ANY (a surrogate first, then a class), FIND_CLR_CLASS or FIND_SURROGATE.
    #[arg(long, value_enum, default_value = "any")]
    pub find: FindArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FindArg {
    Any,
    Class,
    Surrogate,
}

pub fn run(cmd: SxsCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match cmd {
        SxsCommand::Lookup(a) => lookup(&a, out, err),
        SxsCommand::Context(a) => context(&a, out, err),
    };
    result.unwrap_or_else(|e| {
        let _ = writeln!(err, "{e}");
        EXIT_BAD_INPUT
    })
}

fn load_manifest(path: &PathBuf) -> Result<Manifest, String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(codes::MANIFEST_IO, format!("cannot read the file: {e}"))
            .at(Location::new(&shown, 1, 1))
            .to_string()
    })?;
    let lower = shown.to_ascii_lowercase();
    if lower.ends_with(".exe") || lower.ends_with(".dll") {
        let embedded = comsim_manifest::pe::embedded_manifest(&bytes, 1).map_err(|e| {
            Diagnostic::error(codes::MANIFEST_PE, e.to_string())
                .at(Location::new(&shown, 1, 1))
                .to_string()
        })?;
        if let Some(embedded) = embedded {
            return parse_manifest(&format!("{shown}#RT_MANIFEST/1"), &embedded.bytes)
                .map_err(|d| d.to_string());
        }
        // SXS-1: without an embedded manifest, the loader reads `<exe>.manifest` beside the exe.
        let mut beside = path.clone().into_os_string();
        beside.push(".manifest");
        let beside = PathBuf::from(beside);
        let beside_shown = beside.display().to_string();
        return match std::fs::read(&beside) {
            Ok(b) => parse_manifest(&beside_shown, &b).map_err(|d| d.to_string()),
            Err(_) => Err(Diagnostic::error(
                codes::MANIFEST_PE,
                format!("the file has no RT_MANIFEST resource with ID 1, and there is no {beside_shown} beside it"),
            )
            .at(Location::new(&shown, 1, 1))
            .to_string()),
        };
    }
    parse_manifest(&shown, &bytes).map_err(|d| d.to_string())
}

fn build(a: &ContextArgs) -> Result<Result<ActivationContext, ContextError>, String> {
    let app = load_manifest(&a.manifest)?;
    let dir = a
        .app_dir
        .clone()
        .unwrap_or_else(|| directory_of(&a.manifest));
    let shown = dir.display().to_string();
    Ok(build_context(app, &FsDirectory::new(dir, shown)))
}

fn outcome_text(o: &ProbeOutcome) -> String {
    match o {
        ProbeOutcome::NotFound => "not found".into(),
        ProbeOutcome::Used => "used".into(),
        ProbeOutcome::NoEmbeddedManifest { detail } => format!("stops the search: {detail}"),
        ProbeOutcome::Malformed { error } => format!("malformed: {error}"),
        ProbeOutcome::Mismatch { found, differs } => {
            format!("identity mismatch ({differs}); found {found}")
        }
    }
}

fn context_text(ctx: &Result<ActivationContext, ContextError>) -> String {
    let mut s = String::new();
    match ctx {
        Ok(c) => {
            s.push_str("activation context (SXS-1):\n");
            for a in &c.assemblies {
                let id = a.textual_identity();
                s.push_str(&format!(
                    "  {}. {id}\n     from {}\n",
                    a.roster_index, a.source
                ));
            }
            if !c.probes.is_empty() {
                s.push_str("probes (SXS-2):\n");
                for p in &c.probes {
                    s.push_str(&format!("  {}: {}\n", p.path, outcome_text(&p.outcome)));
                }
            }
        }
        Err(e) => {
            s.push_str(&format!(
                "the process does not start (SXS-2): error {} ERROR_SXS_CANT_GEN_ACTCTX\n  {}\n",
                e.win32_error, e.message
            ));
            s.push_str(&format!(
                "  dependency: {}\n  reason: {}\nprobes (SXS-2):\n",
                e.reference, e.reason
            ));
            for p in &e.probes {
                s.push_str(&format!("  {}: {}\n", p.path, outcome_text(&p.outcome)));
            }
        }
    }
    s
}

fn context(a: &ContextArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8, String> {
    let ctx = build(a)?;
    let code = if ctx.is_ok() { EXIT_OK } else { EXIT_NOT_FOUND };
    let text = match a.format {
        Format::Text => context_text(&ctx),
        Format::Json => {
            let v = match &ctx {
                Ok(c) => serde_json::json!({ "ok": true, "context": c }),
                Err(e) => serde_json::json!({ "ok": false, "error": e }),
            };
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n"
        }
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code)
}

fn lookup(a: &LookupArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Result<u8, String> {
    let guid = Guid::parse(&a.clsid).ok_or_else(|| {
        Diagnostic::error(
            codes::ARG_GUID,
            format!(
                "`{}` is not a GUID; expected {{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}}",
                a.clsid
            ),
        )
        .to_string()
    })?;
    let find = match a.find {
        FindArg::Any => Find::Any,
        FindArg::Class => Find::Class,
        FindArg::Surrogate => Find::Surrogate,
    };
    let flag = match find {
        Find::Any => "SXS_LOOKUP_CLR_GUID_FIND_ANY",
        Find::Class => "SXS_LOOKUP_CLR_GUID_FIND_CLR_CLASS",
        Find::Surrogate => "SXS_LOOKUP_CLR_GUID_FIND_SURROGATE",
    };
    let ctx = build(&a.context)?;
    let c = match ctx {
        Ok(c) => c,
        Err(e) => {
            out.write_all(context_text(&Err(e)).as_bytes())
                .map_err(|e| e.to_string())?;
            return Ok(EXIT_NOT_FOUND);
        }
    };
    let hit = sxs_lookup_clr_guid(&c, guid, find);
    let text = match a.context.format {
        Format::Json => {
            let v = serde_json::json!({ "clsid": guid, "find": find, "found": hit.is_some(), "result": hit });
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n"
        }
        Format::Text => match &hit {
            Some(i) => {
                let kind = if i.flags == 1 { "surrogate" } else { "class" };
                format!(
                    "SxsLookupClrGuid({guid}, {flag}): found (SXS-4)\n  dwFlags: {} ({kind})\n  runtime version: {}\n  type name: {}\n  assembly identity: {}\n  from: {}\n",
                    i.flags,
                    i.runtime_version.as_deref().unwrap_or("(none)"),
                    i.type_name,
                    i.assembly_identity,
                    i.location
                )
            }
            None => format!(
                "SxsLookupClrGuid({guid}, {flag}): not found in the activation context of {} assemblies\n",
                c.assemblies.len()
            ),
        },
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(if hit.is_some() {
        EXIT_OK
    } else {
        EXIT_NOT_FOUND
    })
}
