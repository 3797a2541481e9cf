//! `[[machine.assembly]] source = "MyLib.dll"`: the assembly's facts read from a real file in the
//! scenario directory (`comsim_clrmeta`), instead of written by hand. A fact also written in the
//! TOML must agree with the file; a disagreement is an error at the TOML key that names both.

use std::fmt::Display;
use std::ops::Range;

use comsim_diag::Diagnostic;
use comsim_resolver::machine::{AssemblyInfo, ProcessorArchitecture, TypeInfo};

use super::{
    Ctx, Text, assembly_name, assembly_version, culture, guid, primary_interop, runtime,
    strong_name, type_info,
};
use crate::codes;
use crate::raw::{RawAssembly, RawType};

/// Reads the file `src` names; returns what it describes and its bytes.
pub(super) fn read(
    ctx: &Ctx<'_>,
    r: &RawAssembly,
    src: &Text,
) -> Result<(AssemblyInfo, Vec<u8>), Diagnostic> {
    let loaded = ctx.read(src)?;
    let image = comsim_clrmeta::read_assembly(&loaded.display, &loaded.bytes).map_err(|d| {
        ctx.err_at(
            codes::SCENARIO_ASSEMBLY_SOURCE,
            src,
            format!("`{}` cannot be read as a .NET assembly", src.get_ref()),
        )
        .with_note(d.to_string())
    })?;
    let info = AssemblyInfo::from_metadata(&image).map_err(|e| {
        ctx.err_at(
            codes::SCENARIO_ASSEMBLY_SOURCE,
            src,
            format!(
                "`{}` is an assembly comsim cannot model: {e}",
                src.get_ref()
            ),
        )
    })?;
    let check = Check {
        ctx,
        file: &loaded.display,
        source: src.span(),
    };
    check.assembly(r, &info)?;
    for t in &r.types {
        check.type_(t, &info)?;
    }
    Ok((info, loaded.bytes))
}

/// Why a real assembly file cannot be placed on the machine.
#[derive(Debug)]
pub enum SourceError {
    /// The reader refused the image (a `clr-…` diagnostic with the byte offset).
    Read(Diagnostic),
    /// It reads, but has a fact comsim's machine does not model.
    NotModelled(String),
}

/// What a real assembly's bytes describe (`display` names the file in errors).
pub(crate) fn describe(display: &str, bytes: &[u8]) -> Result<AssemblyInfo, SourceError> {
    let image = comsim_clrmeta::read_assembly(display, bytes).map_err(SourceError::Read)?;
    AssemblyInfo::from_metadata(&image).map_err(|e| SourceError::NotModelled(e.0))
}

/// An image's `RT_MANIFEST` resource 1 (SXS-1 for an EXE, SXS-2 for a component DLL), if any.
pub(crate) fn image_manifest(bytes: &[u8]) -> Option<Vec<u8>> {
    comsim_manifest::pe::embedded_manifest(bytes, 1)
        .ok()
        .flatten()
        .map(|m| m.bytes)
}

struct Check<'a> {
    ctx: &'a Ctx<'a>,
    file: &'a str,
    /// Where `source` is written, for facts whose TOML value has no span of its own.
    source: Range<usize>,
}

impl Check<'_> {
    fn same<T: PartialEq + Display>(
        &self,
        span: &Range<usize>,
        key: &str,
        toml: T,
        file: T,
    ) -> Result<(), Diagnostic> {
        if toml == file {
            return Ok(());
        }
        Err(self
            .ctx
            .err(
                codes::SCENARIO_ASSEMBLY_SOURCE,
                span,
                format!("`{key}` is `{toml}` here, but {} says `{file}`", self.file),
            )
            .with_note("leave the key out to take the file's value, or correct one of them"))
    }

    fn assembly(&self, r: &RawAssembly, info: &AssemblyInfo) -> Result<(), Diagnostic> {
        let ctx = self.ctx;
        if let Some(t) = &r.name {
            self.same(&t.span(), "name", assembly_name(ctx, t)?, info.name.clone())?;
        }
        if let Some(t) = &r.version {
            self.same(
                &t.span(),
                "version",
                assembly_version(ctx, t)?,
                info.version,
            )?;
        }
        if let Some(t) = &r.culture {
            let neutral = |c: Option<String>| c.unwrap_or_else(|| "neutral".into());
            let toml = neutral(culture(ctx, Some(t))?);
            self.same(&t.span(), "culture", toml, neutral(info.culture.clone()))?;
        }
        if r.public_key_token.is_some() || r.public_key.is_some() {
            let (token, key) = strong_name(ctx, r)?;
            let null = |t: Option<String>| t.unwrap_or_else(|| "null".into());
            if let Some(t) = &r.public_key_token {
                let file = null(info.public_key_token.clone());
                self.same(&t.span(), "public_key_token", null(token), file)?;
            }
            if let Some(t) = &r.public_key {
                let same_key =
                    key.as_ref().map(|k| k.bytes()) == info.public_key.as_ref().map(|k| k.bytes());
                self.same(&t.span(), "public_key", same_key, true)?;
            }
        }
        if let Some(t) = &r.com_compatible_version {
            let file = info
                .com_compatible_version
                .map_or("none".into(), |v| v.to_string());
            let toml = assembly_version(ctx, t)?.to_string();
            self.same(&t.span(), "com_compatible_version", toml, file)?;
        }
        if let Some(t) = &r.runtime {
            self.same(
                &t.span(),
                "runtime",
                runtime(ctx, t)?.text,
                info.runtime.text.clone(),
            )?;
        }
        if let Some(t) = &r.architecture {
            let name = |a: Option<ProcessorArchitecture>| a.map_or("?", arch_name);
            let toml = name(ProcessorArchitecture::parse(t.get_ref()));
            self.same(
                &t.span(),
                "architecture",
                toml,
                arch_name(info.architecture),
            )?;
        }
        if let Some(v) = r.com_visible {
            self.same(&self.source, "com_visible", v, info.com_visible)?;
        }
        if let Some(p) = &r.primary_interop {
            let toml = primary_interop(ctx, p.get_ref())?;
            let show = |libid, major, minor| {
                format!("{{ libid = {libid}, major = {major}, minor = {minor} }}")
            };
            let file = info
                .primary_interop
                .as_ref()
                .map_or("none".into(), |f| show(f.libid, f.major, f.minor));
            self.same(
                &p.span(),
                "primary_interop",
                show(toml.libid, toml.major, toml.minor),
                file,
            )?;
        }
        if let Some(g) = &r.guid {
            let file = info.guid.map_or("none".into(), |g| g.to_string());
            self.same(&g.span(), "guid", guid(ctx, g)?.to_string(), file)?;
        }
        Ok(())
    }

    /// A `[[machine.assembly.type]]` beside `source`: the type must be in the file, and each key
    /// it gives must say what the file says.
    fn type_(&self, t: &toml::Spanned<RawType>, info: &AssemblyInfo) -> Result<(), Diagnostic> {
        let r = t.get_ref();
        let toml = type_info(self.ctx, t)?;
        let Some(file) = info.types.iter().find(|x| x.full_name == toml.full_name) else {
            return Err(self.ctx.err_at(
                codes::SCENARIO_ASSEMBLY_SOURCE,
                &r.name,
                format!("{} defines no type `{}`", self.file, toml.full_name),
            ));
        };
        let at = r.name.span();
        let key = |k: &str| format!("{k}` of `{}", toml.full_name);
        let span = |o: &Option<Text>| o.as_ref().map_or(at.clone(), toml::Spanned::span);
        if r.kind.is_some() {
            self.same(
                &span(&r.kind),
                &key("kind"),
                kind_name(&toml),
                kind_name(file),
            )?;
        }
        if r.guid.is_some() {
            let g = |t: &TypeInfo| t.guid.map_or("none".into(), |g| g.to_string());
            self.same(&span(&r.guid), &key("guid"), g(&toml), g(file))?;
        }
        let flags = [
            ("public", r.public, toml.public, file.public),
            (
                "abstract",
                r.is_abstract,
                toml.is_abstract,
                file.is_abstract,
            ),
            (
                "default_constructor",
                r.default_constructor,
                toml.default_constructor,
                file.default_constructor,
            ),
            ("com_import", r.com_import, toml.com_import, file.com_import),
            ("generic", r.generic, toml.generic, file.generic),
        ];
        for (name, given, t_value, f_value) in flags {
            if given.is_some() {
                self.same(&at, &key(name), t_value, f_value)?;
            }
        }
        if r.com_visible.is_some() {
            let v = |t: &TypeInfo| t.com_visible.map_or("absent".into(), |b| b.to_string());
            self.same(&at, &key("com_visible"), v(&toml), v(file))?;
        }
        if r.progid.is_some() {
            let p = |t: &TypeInfo| {
                t.progid
                    .clone()
                    .unwrap_or_else(|| "(none: the full name)".into())
            };
            self.same(&span(&r.progid), &key("progid"), p(&toml), p(file))?;
        }
        Ok(())
    }
}

fn arch_name(a: ProcessorArchitecture) -> &'static str {
    match a {
        ProcessorArchitecture::Msil => "msil",
        ProcessorArchitecture::X86 => "x86",
        ProcessorArchitecture::Amd64 => "amd64",
    }
}

fn kind_name(t: &TypeInfo) -> String {
    format!("{:?}", t.kind).to_lowercase()
}
