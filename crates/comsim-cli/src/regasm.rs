//! `comsim regasm ASSEMBLY --machine SCENARIO [regasm options]`: runs regasm on a scenario's
//! machine and prints what regasm would print (standard output and standard error as regasm
//! splits them), then, with `--diff`, the registry difference it made. The exit code is regasm's:
//! 0, or 100 after an error; 2 when comsim cannot run it (a bad scenario, a bad comsim option).

use crate::codes;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use comsim_regasm::{Invocation, Stream, Tool};
use comsim_resolver::{Bitness, WinPath};

use crate::{EXIT_BAD_INPUT, bad};

#[derive(Debug, Args)]
pub struct RegasmArgs {
    /// The assembly (a Windows path on the scenario's machine) and regasm's own options, as regasm
    /// spells them: `/codebase`, `/u`, `/tlb[:file]`, `/regfile[:file]`, `/silent`, `/nologo`, …
    /// (any case, unique prefixes). regasm's `-codebase` spelling works after `--`.
    #[arg(value_name = "ASSEMBLY [OPTIONS]", required = true)]
    pub args: Vec<String>,
    /// The scenario whose `[machine]` regasm runs on (a `scenario.toml` or its directory).
    /// Without it: a 64-bit Windows with CLR 2.0 and 4.0 and an empty registry.
    #[arg(long, value_name = "SCENARIO")]
    pub machine: Option<PathBuf>,
    /// A real .NET assembly on this computer to put on the machine first, read from its
    /// metadata (as a scenario's `source`): at WINPATH, or by default `C:\App\<its file name>`.
    /// May be repeated.
    #[arg(long = "file", value_name = "FILE[=WINPATH]")]
    pub files: Vec<String>,
    /// Which regasm: 32 (`Framework`, writes the 32-bit registry view) or 64 (`Framework64`, the
    /// native view) (ASM-5).
    #[arg(long, value_enum, default_value = "32", value_name = "BITS")]
    pub bitness: Bits,
    /// The CLR whose regasm runs: 2.0 or 4.0 (default: the newest installed on the machine).
    #[arg(long, value_enum, value_name = "CLR")]
    pub clr: Option<Clr>,
    /// Run from a prompt that is not elevated: writes that land in HKLM are denied (ASM-6).
    #[arg(long)]
    pub standard_user: bool,
    /// The current directory regasm runs in (default: the assembly's directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// After regasm's output, print the registry difference it made.
    #[arg(long)]
    pub diff: bool,
    /// Where to save a `/regfile` script on this computer (default: the current directory), under
    /// the file name regasm gave it.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Set a behaviour switch (`asm-unregister-values=delete`); may be repeated.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    pub switches: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Bits {
    #[value(name = "32")]
    B32,
    #[value(name = "64")]
    B64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Clr {
    #[value(name = "2.0")]
    Clr2,
    #[value(name = "4.0")]
    Clr4,
}

pub fn run(a: RegasmArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match regasm(&a, out, err) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

/// The machine regasm runs on: the scenario's, or a default one; with the `--file` assemblies.
fn machine(
    a: &RegasmArgs,
) -> Result<(comsim_resolver::Machine, comsim_resolver::Switches), String> {
    let (mut m, switches) = match &a.machine {
        Some(path) => {
            let scenario = comsim_scenario::load(path).map_err(|d| d.to_string())?;
            (scenario.machine, scenario.switches)
        }
        None => {
            let mut m = comsim_resolver::Machine::new(Bitness::B64);
            m.clrs = ["v2.0.50727", "v4.0.30319"]
                .iter()
                .filter_map(|v| comsim_resolver::RuntimeVersion::parse(v))
                .collect();
            (m, comsim_resolver::Switches::default())
        }
    };
    for spec in &a.files {
        let (local, at) = match spec.split_once('=') {
            Some((l, w)) => (l.to_owned(), w.to_owned()),
            None => {
                let name = std::path::Path::new(spec)
                    .file_name()
                    .map_or_else(|| spec.clone(), |n| n.to_string_lossy().into_owned());
                (spec.clone(), format!("C:\\App\\{name}"))
            }
        };
        let path = WinPath::parse(&at)
            .map_err(|e| bad(codes::ARG_FILE, format!("--file {spec}: `{at}`: {e}")))?;
        let bytes = std::fs::read(&local)
            .map_err(|e| bad(codes::ASSEMBLY_IO, format!("cannot read {local}: {e}")))?;
        let file = comsim_scenario::assembly_file(&local, bytes, path).map_err(|e| match e {
            comsim_scenario::SourceError::Read(d) => d.to_string(),
            comsim_scenario::SourceError::NotModelled(why) => {
                bad(codes::ASSEMBLY_NOT_MODELLED, format!("{local}: {why}"))
            }
        })?;
        m.fs.insert(file)
            .map_err(|e| bad(codes::ARG_FILE, format!("--file {spec}: {e}")))?;
    }
    Ok((m, switches))
}

fn regasm(a: &RegasmArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, String> {
    let (mut m, mut switches) = machine(a)?;
    crate::set_switch_args(&mut switches, &a.switches)?;
    let bitness = match a.bitness {
        Bits::B32 => Bitness::B32,
        Bits::B64 => Bitness::B64,
    };
    if bitness == Bitness::B64 && m.os == Bitness::B32 {
        return Err(bad(
            codes::ARG_BITNESS,
            "a 32-bit Windows has no Framework64 regasm: use --bitness 32",
        ));
    }
    let clr = match a.clr {
        None => m.clrs.iter().max_by(|x, y| x.cmp_full(y)).cloned(),
        Some(Clr::Clr2) => m.installed(2, 0).cloned(),
        Some(Clr::Clr4) => m.installed(4, 0).cloned(),
    }
    .ok_or_else(|| {
        bad(
            codes::ARG_CLR,
            "that CLR is not installed on the machine, so it has no regasm",
        )
    })?;
    let cwd = match &a.cwd {
        Some(c) => WinPath::parse(c).map_err(|e| bad(codes::ARG_CWD, format!("--cwd {c}: {e}")))?,
        None => comsim_regasm::assembly_dir(&a.args).ok_or_else(|| {
            bad(
                codes::ARG_CWD,
                "the assembly is not an absolute Windows path: give --cwd, the directory regasm runs in",
            )
        })?,
    };
    let before = m.registry.clone();
    let inv = Invocation {
        tool: Tool { bitness, clr },
        elevated: !a.standard_user,
        args: &a.args,
        cwd,
    };
    let r = comsim_regasm::run(&mut m, &inv, &switches)
        .map_err(|e| bad(codes::REGASM_UNSUPPORTED, e.to_string()))?;
    for l in &r.console {
        let w: &mut dyn Write = match l.stream {
            Stream::Stdout => out,
            Stream::Stderr => err,
        };
        writeln!(w, "{}", l.text).map_err(|e| e.to_string())?;
    }
    for f in &r.files {
        let Some(file) = m.fs.get(f) else { continue };
        let dir = a.save.clone().unwrap_or_else(|| PathBuf::from("."));
        let path = dir.join(f.file_name());
        std::fs::write(&path, &file.bytes).map_err(|e| {
            bad(
                codes::REGASM_SAVE,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    }
    if a.diff {
        let changes = comsim_registry::diff(&before, &m.registry);
        writeln!(out).map_err(|e| e.to_string())?;
        if changes.is_empty() {
            writeln!(out, "registry: no change").map_err(|e| e.to_string())?;
        } else {
            writeln!(out, "registry:").map_err(|e| e.to_string())?;
            out.write_all(comsim_regfile::diff_text(&changes).as_bytes())
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(u8::try_from(r.exit_code).unwrap_or(u8::MAX))
}
