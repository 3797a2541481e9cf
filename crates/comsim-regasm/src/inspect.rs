//! What comsim reads from a real assembly file, and what regasm would register from it: the
//! classes and records ASM-3 selects, each with its CLSID (declared by `[Guid]`, or generated as
//! `Marshal.GenerateGuidForType` does: `comsim_resolver::clrguid`) and ProgID (ASM-1), the LIBID
//! of the type library `/tlb` would export, and a `[[machine.assembly]]` block that describes the
//! same assembly in a scenario (docs/scenarios.md).

use std::fmt::Write as _;

use comsim_manifest::Guid;
use comsim_resolver::clrguid::{self, ClrGuid};
use comsim_resolver::{AssemblyInfo, NotModelled, ProcessorArchitecture, TypeKind};
use serde::Serialize;

use crate::layout::{self, Kind};

/// An assembly file, read and looked at as regasm would.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// Everything the reader read (`comsim_clrmeta::Assembly`).
    pub image: comsim_clrmeta::Assembly,
    /// `Name, Version=…, Culture=…, PublicKeyToken=…`.
    pub full_name: String,
    /// What regasm registers (ASM-3), in the assembly's type order.
    pub registrations: Vec<Registration>,
    /// The public types regasm leaves out, and why (ASM-3).
    pub not_registered: Vec<Skipped>,
    /// The LIBID of the type library `regasm /tlb` exports.
    pub libid: GuidFrom,
    /// The `[[machine.assembly]]` block describing the assembly in a scenario.
    pub scenario_block: String,
}

/// A GUID and where it comes from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GuidFrom {
    pub guid: Guid,
    /// Generated from the names (no `[Guid]`), as the CLR does.
    pub generated: bool,
}

impl From<ClrGuid> for GuidFrom {
    fn from(g: ClrGuid) -> GuidFrom {
        GuidFrom {
            guid: g.guid(),
            generated: matches!(g, ClrGuid::Generated(_)),
        }
    }
}

/// One type regasm registers.
#[derive(Debug, Clone, Serialize)]
pub struct Registration {
    pub type_name: String,
    /// `managed class`, `[ComImport] class` or `record`.
    pub kind: &'static str,
    /// The CLSID (or, for a record, its GUID).
    pub clsid: GuidFrom,
    /// The ProgID it gets (a managed class only).
    pub progid: Option<String>,
}

/// A visible type regasm does not register.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub type_name: String,
    pub why: &'static str,
}

/// Looks at an assembly read from `file_name` (used in the scenario block's path and `source`).
pub fn inspect(
    image: comsim_clrmeta::Assembly,
    file_name: &str,
) -> Result<Inspection, NotModelled> {
    let info = AssemblyInfo::from_metadata(&image)?;
    let mut registrations = Vec::new();
    let mut not_registered = Vec::new();
    for t in &info.types {
        match layout::classify(&info, t) {
            Ok(kind) => {
                // A signed assembly's key is in the image, so a class's GUID is always computable.
                let clsid = clrguid::type_guid(&info, t)
                    .map_err(|e| NotModelled(e.explain(&format!("`{}`", t.full_name), &info)))?;
                registrations.push(Registration {
                    type_name: t.full_name.clone(),
                    kind: match kind {
                        Kind::Managed => "managed class",
                        Kind::ComImport => "[ComImport] class",
                        Kind::Record => "record",
                    },
                    clsid: clsid.into(),
                    progid: (kind == Kind::Managed).then(|| layout::progid(t)).flatten(),
                });
            }
            Err(why) if t.public => not_registered.push(Skipped {
                type_name: t.full_name.clone(),
                why,
            }),
            Err(_) => {}
        }
    }
    let libid = clrguid::type_library_guid(&info)
        .map_err(|e| NotModelled(e.explain("the assembly", &info)))?
        .into();
    Ok(Inspection {
        full_name: info.full_name(),
        scenario_block: scenario_block(&info, file_name),
        image,
        registrations,
        not_registered,
        libid,
    })
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `[[machine.assembly]]` block of docs/scenarios.md for `info`, with every fact written
/// out; keys at their defaults are left out.
pub fn scenario_block(info: &AssemblyInfo, file_name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "[[machine.assembly]]");
    let path = format!("C:\\App\\{file_name}").replace('\'', "");
    let _ = writeln!(s, "path = '{path}'   # where the file is on the machine");
    let _ = writeln!(s, "name = {}", quoted(&info.name));
    let _ = writeln!(s, "version = \"{}\"", info.version);
    if let Some(c) = &info.culture {
        let _ = writeln!(s, "culture = {}", quoted(c));
    }
    if let Some(k) = &info.public_key {
        let hex: String = k.bytes().iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(s, "public_key = \"{hex}\"");
    }
    let _ = writeln!(s, "runtime = {}", quoted(&info.runtime.text));
    let arch = match info.architecture {
        ProcessorArchitecture::Msil => "msil",
        ProcessorArchitecture::X86 => "x86",
        ProcessorArchitecture::Amd64 => "amd64",
    };
    let _ = writeln!(s, "architecture = \"{arch}\"");
    if !info.com_visible {
        let _ = writeln!(s, "com_visible = false");
    }
    if let Some(v) = info.com_compatible_version {
        let _ = writeln!(s, "com_compatible_version = \"{v}\"");
    }
    if let Some(g) = info.guid {
        let _ = writeln!(s, "guid = \"{g}\"");
    }
    if let Some(p) = &info.primary_interop {
        let _ = writeln!(
            s,
            "primary_interop = {{ libid = \"{}\", major = {}, minor = {} }}",
            p.libid, p.major, p.minor
        );
    }
    for t in &info.types {
        type_block(&mut s, t);
    }
    s
}

fn type_block(s: &mut String, t: &comsim_resolver::TypeInfo) {
    let _ = writeln!(s, "\n  [[machine.assembly.type]]");
    let _ = writeln!(s, "  name = {}", quoted(&t.full_name));
    let kind = match t.kind {
        TypeKind::Class => None,
        TypeKind::Struct => Some("struct"),
        TypeKind::Interface => Some("interface"),
        TypeKind::Enum => Some("enum"),
    };
    if let Some(k) = kind {
        let _ = writeln!(s, "  kind = \"{k}\"");
    }
    if let Some(g) = t.guid {
        let _ = writeln!(s, "  guid = \"{g}\"");
    }
    let flags = [
        ("public", t.public, true),
        ("abstract", t.is_abstract, false),
        ("default_constructor", t.default_constructor, true),
        ("com_import", t.com_import, false),
        ("generic", t.generic, false),
    ];
    for (key, value, default) in flags {
        if value != default {
            let _ = writeln!(s, "  {key} = {value}");
        }
    }
    if let Some(v) = t.com_visible {
        let _ = writeln!(s, "  com_visible = {v}");
    }
    if let Some(p) = &t.progid {
        let _ = writeln!(s, "  progid = {}", quoted(p));
    }
}
