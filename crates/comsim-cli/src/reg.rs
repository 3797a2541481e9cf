//! `comsim reg query` and `comsim reg export`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use comsim_diag::{Diagnostic, Progress};
use comsim_regfile::{Encoding, ImportOptions, Mode};
use comsim_registry::{Access, KeyPath, MergeMode, OpenKey, Registry, Root, Value, View, Writer};
use serde::Serialize;

use crate::codes;
use crate::{EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK};

#[derive(Debug, Subcommand)]
pub enum RegCommand {
    /// Show a key and its values in the layout of `reg query`.
    Query(QueryArgs),
    /// Write a key and everything below it as a version 5.00 .reg file (UTF-16LE), as `regedit /e`.
    Export(ExportArgs),
}

/// How the hive and .reg files are loaded and how the registry is then read.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// A .reg file to import; several apply in order, as successive imports would, after the
    /// hive files.
    #[arg(long = "reg", value_name = "FILE", required_unless_present = "hive")]
    pub reg: Vec<PathBuf>,
    /// A registry hive file (regf) to read, at MOUNT (a key path such as `HKLM\SOFTWARE`,
    /// `HKCU` or `HKU\S-1-5-21-…`); without `=MOUNT`, a file named SOFTWARE, SYSTEM,
    /// NTUSER.DAT, UsrClass.dat or DEFAULT goes where Windows loads it. Read before the .reg files.
    #[arg(long = "hive", value_name = "FILE[=MOUNT]")]
    pub hive: Vec<String>,
    /// Import as regedit does, skipping malformed lines with a warning, instead of failing on the
    /// first one.
    #[arg(long)]
    pub lenient: bool,
    /// Which regedit imports the files: the 64-bit one (native view) or the 32-bit one
    /// (SysWOW64\regedit.exe, whose CLSID paths land under Wow6432Node).
    #[arg(long, value_enum, default_value = "64", value_name = "BITS")]
    pub import_view: Bits,
    /// Import without administrator rights: writes that land in HKLM are denied (REG-4).
    #[arg(long)]
    pub standard_user: bool,
    /// Read the files in this encoding instead of sniffing the byte order mark.
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub encoding: Option<EncodingArg>,
    /// The registry view to read: 64 (a 64-bit process) or 32 (a 32-bit process under WOW64).
    #[arg(long, value_enum, default_value = "64", value_name = "BITS")]
    pub view: Bits,
    /// How HKEY_CLASSES_ROOT merges HKCU over HKLM (REG-1): `union` (the default) or `strict`.
    #[arg(long, value_enum, default_value = "union", value_name = "MODE")]
    pub hkcr_merge: MergeArg,
    /// Read HKEY_CLASSES_ROOT as COM does in an elevated process: per-user classes are ignored (REG-2).
    #[arg(long)]
    pub elevated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Bits {
    #[value(name = "64")]
    B64,
    #[value(name = "32")]
    B32,
}

impl From<Bits> for View {
    fn from(b: Bits) -> View {
        match b {
            Bits::B64 => View::Bits64,
            Bits::B32 => View::Bits32,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeArg {
    Union,
    Strict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingArg {
    #[value(name = "utf-16le")]
    Utf16Le,
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "windows-1252")]
    Windows1252,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The key, e.g. `HKCR\CLSID\{…}` or `HKEY_LOCAL_MACHINE\Software\Classes`.
    pub key: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Show this value only (`reg query /v`).
    #[arg(
        short = 'v',
        long = "value",
        value_name = "NAME",
        conflicts_with = "default_value"
    )]
    pub value: Option<String>,
    /// Show the default value only (`reg query /ve`).
    #[arg(long = "ve")]
    pub default_value: bool,
    /// Show every key below too (`reg query /s`).
    #[arg(short = 's', long)]
    pub recurse: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The key to export.
    pub key: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Where to write the .reg file; `-` writes to standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT.reg")]
    pub output: PathBuf,
}

/// Runs `comsim reg`; with `progress`, large files are read under a progress bar.
pub fn run(cmd: RegCommand, out: &mut dyn Write, err: &mut dyn Write, progress: bool) -> u8 {
    let mut bar = crate::progress::Bar::stderr(progress);
    let result = match cmd {
        RegCommand::Query(a) => query(&a, out, err, &mut bar),
        RegCommand::Export(a) => export(&a, out, err, &mut bar),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}

/// Reads every hive file, then imports every .reg file in order; prints guessed mount points and
/// lenient-mode warnings; an error aborts. With `focus`, a hive mounted above that key only has
/// the keys on the way to it and below it read (what `reg query` and `export` show).
pub fn load(
    args: &LoadArgs,
    focus: Option<&KeyPath>,
    err: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<Registry, String> {
    let opts = ImportOptions {
        mode: if args.lenient {
            Mode::Lenient
        } else {
            Mode::Strict
        },
        view: args.import_view.into(),
        writer: Writer {
            admin: !args.standard_user,
        },
        encoding: args.encoding.map(|e| match e {
            EncodingArg::Utf16Le => Encoding::Utf16Le,
            EncodingArg::Utf8 => Encoding::Utf8,
            EncodingArg::Windows1252 => Encoding::Windows1252,
        }),
    };
    let mut reg = Registry::new();
    for arg in &args.hive {
        let focus = focus.filter(|_| args.view == Bits::B64);
        load_hive(&mut reg, arg, focus, err, progress)?;
    }
    for path in &args.reg {
        let display = path.display().to_string();
        match comsim_regfile::import_file_with_progress(&mut reg, path, &display, &opts, progress) {
            Ok(report) => {
                for w in &report.warnings {
                    let _ = writeln!(err, "{w}");
                }
            }
            Err(d) => return Err(d.to_string()),
        }
    }
    Ok(reg)
}

/// One `--hive FILE[=MOUNT]`.
fn load_hive(
    reg: &mut Registry,
    arg: &str,
    focus: Option<&KeyPath>,
    err: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<(), String> {
    let (file, mount) = hive_mount(arg, err)?;
    let only = focus.map(|f| only_below(f, &mount)).unwrap_or_default();
    let path = std::path::Path::new(file);
    comsim_hive::load_file_with_progress(reg, path, file, &mount, &only, progress)
        .map(|_| ())
        .map_err(|d| d.to_string())
}

/// One `FILE[=MOUNT]` argument split, and its mount point resolved by comsim-hive (given, or
/// guessed from the file name, which is said on `err`). `comsim reg` and `comsim diagnose`
/// both take `--hive` through this.
pub fn hive_mount<'a>(arg: &'a str, err: &mut dyn Write) -> Result<(&'a str, KeyPath), String> {
    let (file, given) = comsim_hive::split_hive_arg(arg);
    let (mount, how) = comsim_hive::resolve_mount(file, given).map_err(|d| d.to_string())?;
    if how == comsim_hive::MountSource::Guessed {
        let _ = writeln!(
            err,
            "note: {file}: read at {mount} (guessed from the file name; write `{file}=KEY` to choose)"
        );
    }
    Ok((file, mount))
}

/// The path below `mount` that a read of `focus` in the 64-bit view can reach, or nothing (read
/// the whole hive). In that view a stored path is read as written (REG-3 redirects only the
/// 32-bit view), and `HKEY_CLASSES_ROOT\X` is `HKLM\Software\Classes\X` or
/// `HKCU\Software\Classes\X` (REG-1), so only the keys on the way to the focus and below it
/// matter.
fn only_below(focus: &KeyPath, mount: &KeyPath) -> Vec<String> {
    let stored: Vec<KeyPath> = if focus.root == Root::ClassesRoot {
        [Root::LocalMachine, Root::CurrentUser]
            .into_iter()
            .map(|root| {
                let mut c = vec!["Software".to_owned(), "Classes".to_owned()];
                c.extend(focus.components.iter().cloned());
                KeyPath::new(root, c)
            })
            .collect()
    } else {
        vec![focus.clone()]
    };
    stored
        .into_iter()
        .find(|f| f.starts_with(mount))
        .map(|f| f.components[mount.components.len()..].to_vec())
        .unwrap_or_default()
}

fn access(args: &LoadArgs) -> Access {
    Access {
        view: args.view.into(),
        merge: match args.hkcr_merge {
            MergeArg::Union => MergeMode::Union,
            MergeArg::Strict => MergeMode::Strict,
        },
        user_classes: !args.elevated,
    }
}

fn parse_key(s: &str) -> Result<KeyPath, String> {
    KeyPath::parse(s).map_err(|e| Diagnostic::error(codes::ARG_KEY, e.to_string()).to_string())
}

const NOT_FOUND: &str = "ERROR: The system was unable to find the specified registry key or value.";

/// The registry of a command, which is not freed: the process ends when the command does, and
/// freeing a large registry key by key costs more than a tenth of the whole run
/// (docs/performance.md). Tests that run many commands in one process keep these small registries.
/// `focus` is the key the command reads (see [`load`]).
fn loaded(
    args: &LoadArgs,
    focus: &KeyPath,
    err: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<&'static Registry, String> {
    Ok(Box::leak(Box::new(load(args, Some(focus), err, progress)?)))
}

fn query(
    a: &QueryArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<u8, String> {
    let path = parse_key(&a.key)?;
    let reg = loaded(&a.load, &path, err, progress)?;
    let access = access(&a.load);
    let Some(key) = reg.open(&path, &access) else {
        let _ = writeln!(err, "{NOT_FOUND}");
        return Ok(EXIT_NOT_FOUND);
    };
    let single = a
        .value
        .clone()
        .or_else(|| a.default_value.then(String::new));
    let io = |e: std::io::Error| e.to_string();
    match a.format {
        Format::Text => {
            let mut text = String::from("\n");
            let found = match &single {
                Some(name) => query_value_text(reg, &key, name, a.recurse, &access, &mut text),
                None => {
                    query_all_text(reg, &key, a.recurse, false, &access, &mut text);
                    true
                }
            };
            if !found {
                let _ = writeln!(err, "{NOT_FOUND}");
                return Ok(EXIT_NOT_FOUND);
            }
            out.write_all(text.as_bytes()).map_err(io)?;
        }
        Format::Json => {
            let json = key_json(reg, &key, single.as_deref(), a.recurse, &access);
            if single.is_some() && json.values.is_empty() && !a.recurse {
                let _ = writeln!(err, "{NOT_FOUND}");
                return Ok(EXIT_NOT_FOUND);
            }
            let s = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
            writeln!(out, "{s}").map_err(io)?;
        }
    }
    Ok(EXIT_OK)
}

fn value_line(text: &mut String, name: &str, value: &Value) {
    let shown = if name.is_empty() { "(Default)" } else { name };
    text.push_str(&format!(
        "    {shown}    {}    {}\n",
        value.ty,
        value.display_data()
    ));
}

/// `reg query KEY [/s]`: the key's name when it has values, its values, a blank line, then its
/// subkeys' paths (or, with /s, each subkey in the same layout).
fn query_all_text(
    reg: &Registry,
    key: &OpenKey,
    recurse: bool,
    recursing: bool,
    access: &Access,
    text: &mut String,
) {
    let values = reg.values(key.primary.key);
    if !values.is_empty() || recursing {
        text.push_str(&format!("{}\n", key.path));
    }
    for (n, v) in values {
        value_line(text, n.as_str(), v);
    }
    if !values.is_empty() || recursing {
        text.push('\n');
    }
    for name in reg.open_subkeys(key) {
        let child = key.path.join(name.as_str());
        if recurse {
            if let Some(k) = reg.open(&child, access) {
                query_all_text(reg, &k, true, true, access, text);
            }
        } else {
            text.push_str(&format!("{child}\n"));
        }
    }
}

/// `reg query KEY /v NAME [/s]`. Returns whether anything was shown.
fn query_value_text(
    reg: &Registry,
    key: &OpenKey,
    name: &str,
    recurse: bool,
    access: &Access,
    text: &mut String,
) -> bool {
    let mut found = false;
    if let Some(v) = reg.value(key.primary.key, name) {
        text.push_str(&format!("{}\n", key.path));
        value_line(text, name, v);
        text.push('\n');
        found = true;
    } else if !recurse && name.is_empty() {
        text.push_str(&format!(
            "{}\n    (Default)    REG_SZ    (value not set)\n",
            key.path
        ));
        return true;
    }
    if recurse {
        for sub in reg.open_subkeys(key) {
            if let Some(k) = reg.open(&key.path.join(sub.as_str()), access) {
                found |= query_value_text(reg, &k, name, true, access, text);
            }
        }
    }
    found
}

#[derive(Serialize)]
struct KeyJson {
    key: String,
    /// Where the values were read from, after WOW64 redirection and the HKCR merge.
    source: String,
    values: Vec<ValueJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subkeys: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<KeyJson>,
}

#[derive(Serialize)]
struct ValueJson {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    type_number: u32,
    data: String,
    bytes: String,
}

fn key_json(
    reg: &Registry,
    key: &OpenKey,
    only: Option<&str>,
    recurse: bool,
    access: &Access,
) -> KeyJson {
    let values = reg
        .values(key.primary.key)
        .iter()
        .filter(|(n, _)| only.is_none_or(|o| comsim_registry::names_equal(n.as_str(), o)))
        .map(|(n, v)| ValueJson {
            name: n.as_str().to_owned(),
            ty: v.ty.to_string(),
            type_number: v.ty.0,
            data: v.display_data(),
            bytes: v.data.iter().map(|b| format!("{b:02x}")).collect(),
        })
        .collect();
    let names = reg.open_subkeys(key);
    let (subkeys, children) = if recurse {
        let children = names
            .iter()
            .filter_map(|n| reg.open(&key.path.join(n.as_str()), access))
            .map(|k| key_json(reg, &k, only, true, access))
            .collect();
        (Vec::new(), children)
    } else {
        (
            names.iter().map(|n| n.as_str().to_owned()).collect(),
            Vec::new(),
        )
    };
    KeyJson {
        key: key.path.to_string(),
        source: key.primary.path().to_string(),
        values,
        subkeys,
        children,
    }
}

fn export(
    a: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<u8, String> {
    let path = parse_key(&a.key)?;
    let reg = loaded(&a.load, &path, err, progress)?;
    let access = access(&a.load);
    if reg.open(&path, &access).is_none() {
        let _ = writeln!(err, "{NOT_FOUND}");
        return Ok(EXIT_NOT_FOUND);
    }
    // Written as it goes: neither the whole text nor its UTF-16 copy is held.
    let written = if a.output.as_os_str() == "-" {
        comsim_regfile::export_to(reg, &path, &access, &mut std::io::BufWriter::new(out))
            .map_err(|e| e.to_string())
    } else {
        let cannot = |e: std::io::Error| format!("error: cannot write {}: {e}", a.output.display());
        let file = std::fs::File::create(&a.output).map_err(cannot)?;
        let mut file = std::io::BufWriter::new(file);
        comsim_regfile::export_to(reg, &path, &access, &mut file)
            .and_then(|found| file.flush().map(|()| found))
            .map_err(cannot)
    };
    written?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod hive_focus_tests {
    use super::*;

    fn path(s: &str) -> KeyPath {
        KeyPath::parse(s).unwrap()
    }

    #[test]
    fn reg1_a_classes_root_query_reads_only_that_subtree_of_either_classes_hive() {
        let f = path("HKCR\\CLSID\\{X}");
        assert_eq!(
            only_below(&f, &path("HKLM\\SOFTWARE")),
            ["Classes", "CLSID", "{X}"]
        );
        assert_eq!(
            only_below(&f, &path("HKCU\\Software\\Classes")),
            ["CLSID", "{X}"]
        );
        assert_eq!(
            only_below(&path("HKLM\\SOFTWARE\\Microsoft"), &path("HKLM\\SOFTWARE")),
            ["Microsoft"]
        );
        // A focus above the mount point, or elsewhere, reads the whole hive.
        assert!(only_below(&path("HKCU"), &path("HKCU\\Software\\Classes")).is_empty());
        assert!(only_below(&path("HKU\\S-1"), &path("HKLM\\SOFTWARE")).is_empty());
    }
}
