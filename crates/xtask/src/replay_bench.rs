//! `cargo xtask replay-bench-scenario DIR`: writes a scenario for measuring the memory of
//! `comsim replay` (docs/performance.md) — a machine with a large registry (`machine.reg`, about
//! 7 MB for the default 20,000 CLSIDs: regasm-style registrations of managed classes and plainer
//! native ones) and many machine steps: `import` of a small registration, a request, `delete` of
//! it, a request, over and over. Deterministic: the same arguments write the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::rng::Rng;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to write the scenario in (created if missing).
    pub dir: PathBuf,
    /// CLSIDs in the machine's registry.
    #[arg(long, default_value_t = 20_000)]
    pub clsids: usize,
    /// Machine steps (half imports, half deletes), each followed by a request.
    #[arg(long, default_value_t = 2_000)]
    pub machine_steps: usize,
}

/// The class the steps import, create and delete.
const WIDGET: &str = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";

pub fn run(args: &Args) -> ExitCode {
    match write(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn write(args: &Args) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(&args.dir).map_err(|e| io(&args.dir, e))?;
    for (name, text) in [
        ("machine.reg", machine_reg(args.clsids)),
        ("widget.reg", widget_reg()),
        ("scenario.toml", scenario_toml(args.machine_steps)),
    ] {
        let path = args.dir.join(name);
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    let size = std::fs::metadata(args.dir.join("machine.reg")).map_or(0, |m| m.len());
    println!(
        "wrote {} ({} CLSIDs, machine.reg {:.1} MB, {} machine steps)",
        args.dir.display(),
        args.clsids,
        size as f64 / 1e6,
        args.machine_steps
    );
    Ok(())
}

/// `regedit /e`-style ANSI text with CRLF line ends: one in ten classes managed and registered
/// as `regasm /codebase` writes it (ProgID, InprocServer32 with its version subkey, category),
/// the others native in-process servers.
fn machine_reg(clsids: usize) -> String {
    machine_classes(clsids).0
}

/// [`machine_reg`]'s text and the CLSIDs it registers, in order (every tenth managed, from the
/// first).
pub(crate) fn machine_classes(clsids: usize) -> (String, Vec<String>) {
    let mut rng = Rng::new(0x5EED_0FC0_5E11);
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    let mut list = Vec::with_capacity(clsids);
    for i in 0..clsids {
        let clsid = rng.guid();
        if i % 10 == 0 {
            managed_class(&mut out, i, &clsid);
        } else {
            native_class(&mut out, i, &clsid);
        }
        list.push(clsid);
    }
    (out, list)
}

fn key(out: &mut String, path: &str, values: &[(&str, &str)]) {
    let _ = write!(out, "[HKEY_CLASSES_ROOT\\{path}]\r\n");
    for (name, data) in values {
        let data = data.replace('\\', "\\\\");
        if name.is_empty() {
            let _ = write!(out, "@=\"{data}\"\r\n");
        } else {
            let _ = write!(out, "\"{name}\"=\"{data}\"\r\n");
        }
    }
    out.push_str("\r\n");
}

fn managed_class(out: &mut String, i: usize, clsid: &str) {
    let lib = i / 80;
    let class = format!("Vendor{lib}.Component.Thing{i}");
    let assembly =
        format!("Vendor{lib}.Component, Version=1.0.{lib}.0, Culture=neutral, PublicKeyToken=null");
    let codebase = format!("file:///C:/Program Files/Vendor{lib}/Vendor{lib}.Component.dll");
    let version = format!("1.0.{lib}.0");
    key(out, &class, &[("", &class)]);
    key(out, &format!("{class}\\CLSID"), &[("", clsid)]);
    key(out, &format!("CLSID\\{clsid}"), &[("", &class)]);
    let managed = [
        ("Class", class.as_str()),
        ("Assembly", assembly.as_str()),
        ("RuntimeVersion", "v4.0.30319"),
        ("CodeBase", codebase.as_str()),
    ];
    let mut inproc = vec![("", "mscoree.dll"), ("ThreadingModel", "Both")];
    inproc.extend(managed);
    key(out, &format!("CLSID\\{clsid}\\InprocServer32"), &inproc);
    key(
        out,
        &format!("CLSID\\{clsid}\\InprocServer32\\{version}"),
        &managed,
    );
    key(out, &format!("CLSID\\{clsid}\\ProgId"), &[("", &class)]);
    key(
        out,
        &format!(
            "CLSID\\{clsid}\\Implemented Categories\\{{62C8FE65-4EBB-45E7-B440-6E39B2CDBF29}}"
        ),
        &[],
    );
}

fn native_class(out: &mut String, i: usize, clsid: &str) {
    let dll = format!("C:\\Windows\\System32\\component{}.dll", i / 8);
    key(
        out,
        &format!("CLSID\\{clsid}"),
        &[("", &format!("Native component {i}"))],
    );
    key(
        out,
        &format!("CLSID\\{clsid}\\InprocServer32"),
        &[("", &dll), ("ThreadingModel", "Apartment")],
    );
}

/// The widget's registration, as `regasm /regfile` would write it.
fn widget_reg() -> String {
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    let managed = [
        ("Class", "Contoso.Widget"),
        (
            "Assembly",
            "Contoso.Widgets, Version=1.0.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef",
        ),
        ("RuntimeVersion", "v4.0.30319"),
        ("CodeBase", "file:///C:/Contoso/Contoso.Widgets.dll"),
    ];
    key(
        &mut out,
        &format!("CLSID\\{WIDGET}"),
        &[("", "Contoso.Widget")],
    );
    let mut inproc = vec![("", "mscoree.dll"), ("ThreadingModel", "Both")];
    inproc.extend(managed);
    key(
        &mut out,
        &format!("CLSID\\{WIDGET}\\InprocServer32"),
        &inproc,
    );
    key(
        &mut out,
        &format!("CLSID\\{WIDGET}\\InprocServer32\\1.0.0.0"),
        &managed,
    );
    out
}

fn scenario_toml(machine_steps: usize) -> String {
    let mut out = format!(
        r#"title = "Memory benchmark: {machine_steps} machine steps over a large registry"
description = """
Generated by `cargo xtask replay-bench-scenario`: the widget is imported, created, deleted and
created again, {machine_steps} machine steps in all, on a machine whose registry holds many other
classes. Each request after a change runs in a new process.
"""

[machine]
os = "x64"
clrs = ["v2.0.50727", "v4.0.30319"]
registry = ["machine.reg"]

[[machine.assembly]]
path = 'C:\Contoso\Contoso.Widgets.dll'
name = "Contoso.Widgets"
version = "1.0.0.0"
public_key_token = "0123456789abcdef"
runtime = "v4.0.30319"

  [[machine.assembly.type]]
  name = "Contoso.Widget"
  guid = "{WIDGET}"

[[machine.assembly]]
path = 'C:\App\Client.exe'
name = "Client"
version = "1.0.0.0"
runtime = "v4.0.30319"

[process]
exe = 'C:\App\Client.exe'
client = "managed"
bitness = 64
apartment = "sta"
"#
    );
    for i in 0..machine_steps / 2 {
        let _ = write!(
            out,
            r#"
[[step]]
name = "import {i}"
import = "widget.reg"

[[step]]
name = "create after import {i}"
create_instance = "{WIDGET}"
expect_clr4 = {{ kind = "managed" }}

[[step]]
name = "delete {i}"
delete = 'HKEY_CLASSES_ROOT\CLSID\{WIDGET}'

[[step]]
name = "create after delete {i}"
create_instance = "{WIDGET}"
expect = {{ kind = "exception", hresult = 0x80040154 }}
"#
        );
    }
    out
}
