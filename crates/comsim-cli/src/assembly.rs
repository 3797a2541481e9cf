//! `comsim assembly show FILE.dll [--format text|json|toml]`: what comsim reads from a real .NET
//! assembly (`comsim_clrmeta`), what regasm would register from it (`comsim_regasm::inspect`:
//! ASM-1..ASM-3, generated GUIDs marked), and a `[[machine.assembly]]` block to paste into a
//! scenario. Rendering only; the reading and the registrations are the libraries'.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use comsim_diag::Diagnostic;
use comsim_regasm::inspect::{GuidFrom, Inspection};

use crate::{EXIT_BAD_INPUT, EXIT_OK, codes};

#[derive(Debug, Subcommand)]
pub enum AssemblyCommand {
    /// Show what comsim reads from a .NET assembly (.dll or .exe), the CLSIDs regasm would
    /// register, and a [[machine.assembly]] block for a scenario.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The assembly file on this computer.
    pub file: PathBuf,
    /// `text` (for people), `json` (everything read, and the registrations), or `toml` (the
    /// scenario block alone).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Toml,
}

pub fn run(cmd: AssemblyCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let AssemblyCommand::Show(a) = cmd;
    match show(&a, out) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

fn show(a: &ShowArgs, out: &mut dyn Write) -> Result<(), String> {
    let shown = a.file.display().to_string();
    let bytes = std::fs::read(&a.file).map_err(|e| {
        Diagnostic::error(codes::ASSEMBLY_IO, format!("cannot read {shown}: {e}")).to_string()
    })?;
    let image = comsim_clrmeta::read_assembly(&shown, &bytes).map_err(|d| d.to_string())?;
    let file_name = a
        .file
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let inspection = comsim_regasm::inspect::inspect(image, &file_name).map_err(|e| {
        Diagnostic::error(codes::ASSEMBLY_NOT_MODELLED, format!("{shown}: {e}")).to_string()
    })?;
    let text = match a.format {
        Format::Json => {
            serde_json::to_string_pretty(&inspection).map_err(|e| e.to_string())? + "\n"
        }
        Format::Toml => inspection.scenario_block.clone(),
        Format::Text => render_text(&inspection, &shown),
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

fn guid_text(g: GuidFrom) -> String {
    if g.generated {
        format!("{} (generated: no [Guid])", g.guid)
    } else {
        g.guid.to_string()
    }
}

fn render_text(i: &Inspection, file: &str) -> String {
    use std::fmt::Write as _;
    let m = &i.image;
    let mut s = String::new();
    let _ = writeln!(s, "{}", i.full_name);
    let kind = if m.pe.dll { "DLL" } else { "EXE" };
    let pe = if m.pe.pe32_plus { "PE32+" } else { "PE32" };
    let il = if m.pe.il_only {
        "IL only"
    } else {
        "mixed-mode (native code too)"
    };
    let _ = writeln!(
        s,
        "  file:                 {file} ({pe} {kind}, machine {:#06x}, {il}, CorFlags {:#x})",
        m.pe.machine, m.pe.cor_flags
    );
    let _ = writeln!(
        s,
        "  runtime:              {} (ImageRuntimeVersion)",
        m.runtime_version
    );
    let _ = writeln!(s, "  processorArchitecture: {}", m.architecture.as_str());
    if let Some(token) = &m.public_key_token {
        let _ = writeln!(
            s,
            "  public key token:     {token} (from the {}-byte public key)",
            m.public_key.as_ref().map_or(0, Vec::len)
        );
    }
    let visible = match m.com_visible {
        Some(v) => format!("[ComVisible({v})]"),
        None => "no [ComVisible] (visible)".into(),
    };
    let _ = writeln!(s, "  assembly:             {visible}");
    if let Some(p) = m.primary_interop {
        let _ = writeln!(
            s,
            "  primary interop:      [PrimaryInteropAssembly({}, {})]",
            p.major, p.minor
        );
    }
    if let Some(v) = m.com_compatible_version {
        let _ = writeln!(s, "  [ComCompatibleVersion]: {v}");
    }
    let _ = writeln!(s, "  type library (/tlb):  LIBID {}", guid_text(i.libid));
    render_types(&mut s, m);
    let _ = writeln!(
        s,
        "\nregasm would register (ASM-3 selects; ASM-1, ASM-2 write):"
    );
    if i.registrations.is_empty() {
        let _ = writeln!(s, "  nothing");
    }
    for r in &i.registrations {
        let progid = r
            .progid
            .as_deref()
            .map(|p| format!(", ProgID {p}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {} {}{progid}: {}",
            r.kind,
            r.type_name,
            guid_text(r.clsid)
        );
    }
    if !i.not_registered.is_empty() {
        let _ = writeln!(s, "\nnot registered (ASM-3):");
        for n in &i.not_registered {
            let _ = writeln!(s, "  {}: {}", n.type_name, n.why);
        }
    }
    let _ = writeln!(s, "\nscenario block (docs/scenarios.md):\n");
    s.push_str(&i.scenario_block);
    s
}

fn render_types(s: &mut String, m: &comsim_clrmeta::Assembly) {
    use std::fmt::Write as _;
    let _ = writeln!(s, "\ntypes ({}):", m.types.len());
    for t in &m.types {
        let mut facts = vec![
            format!("{:?}", t.kind).to_lowercase(),
            if t.visible {
                "visible".into()
            } else {
                "not visible".into()
            },
        ];
        if t.generic {
            facts.push("generic".into());
        }
        if t.is_abstract {
            facts.push("abstract".into());
        }
        if t.default_constructor {
            facts.push("public default constructor".into());
        }
        if t.com_import {
            facts.push("[ComImport]".into());
        }
        if let Some(g) = t.guid {
            facts.push(format!("[Guid {g}]"));
        }
        if let Some(v) = t.com_visible {
            facts.push(format!("[ComVisible({v})]"));
        }
        match &t.progid {
            Some(Some(p)) => facts.push(format!("[ProgId {p:?}]")),
            Some(None) => facts.push("[ProgId(null)]".into()),
            None => {}
        }
        if let Some(c) = t.class_interface {
            facts.push(format!(
                "[ClassInterface {}]",
                c.name().map_or_else(|| c.0.to_string(), str::to_owned)
            ));
        }
        if let Some(c) = t.interface_type {
            facts.push(format!(
                "[InterfaceType {}]",
                c.name().map_or_else(|| c.0.to_string(), str::to_owned)
            ));
        }
        if let Some(d) = &t.com_default_interface {
            facts.push(format!("[ComDefaultInterface {d}]"));
        }
        let _ = writeln!(s, "  {}: {}", t.full_name, facts.join(", "));
    }
}
