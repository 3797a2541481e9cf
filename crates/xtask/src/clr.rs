//! `cargo xtask conformance-clr`: comsim's assembly reader (`comsim_clrmeta`) against `monodis`
//! (mono-utils), an independent reader of the same metadata.
//!
//! 1. The cases: every `.dll` and `.exe` under `fixtures/assemblies/`, the real assemblies the
//!    bundled scenarios read (every `.dll` and `.exe` below `fixtures/scenarios/`), and every
//!    `.dll` in mono's framework directory (`--framework`, default `/usr/lib/mono/4.5`: mscorlib,
//!    System, System.Windows.Forms, ...). A case is named by its file name; a scenario's file by
//!    its path below `fixtures/` (`scenarios/<scenario>/<file>`), as several share a file name.
//! 2. monodis: `--assembly` (name, version, culture, public key), `--typedef` (each TypeDef row's
//!    name and flags) and `--customattr` (each `[Guid]` on a TypeDef or the assembly).
//! 3. comsim: `read_assembly` of the same bytes.
//! 4. Compared: the identity (name, version, culture, public key and the token comsim computes
//!    from it), the number of types, each row's name (monodis writes nested types `Outer/Inner`,
//!    comsim `Outer+Inner` as `Type.FullName` does: compared with `/` for `+`), its flags and so
//!    its `tdImport` ([ComImport]) bit against comsim's `com_import`, and its `[Guid]`, and the
//!    assembly's `[Guid]`. A disagreement must be excused by a deviation of
//!    `tests/conformance/clr/deviations.toml`, whose predicate is checked against the
//!    disagreement itself; a case listed there must still show each deviation listed for it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use comsim_clrmeta::{Assembly, public_key_token, read_assembly};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory of framework assemblies to compare besides the fixtures.
    #[arg(long, value_name = "DIR", default_value = "/usr/lib/mono/4.5")]
    pub framework: PathBuf,
    /// Run only the cases whose name contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
}

/// Which disagreements a deviation excuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Predicate {
    /// TypeDef row 1, the `<Module>` pseudo-type: monodis prints `(null)` for its name.
    ModuleTypeName,
}

impl Predicate {
    fn excuses(self, d: &Disagreement) -> bool {
        match self {
            Predicate::ModuleTypeName => {
                d.what == "type name"
                    && d.row == Some(1)
                    && d.comsim == "<Module>"
                    && d.monodis == "(null)"
            }
        }
    }
}

type Deviations = crate::deviations::Deviations<Predicate>;

/// One thing the two readers say differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub what: &'static str,
    /// The TypeDef row, for a type's fact.
    pub row: Option<u32>,
    pub comsim: String,
    pub monodis: String,
}

/// What monodis says of an assembly.
#[derive(Debug, Default)]
struct Monodis {
    name: String,
    version: String,
    culture: String,
    public_key: Vec<u8>,
    /// Each TypeDef row: its name and flags.
    types: Vec<(String, u32)>,
    /// `[Guid]` by TypeDef row.
    type_guids: BTreeMap<u32, String>,
    assembly_guid: Option<String>,
}

pub fn run(args: &Args) -> ExitCode {
    match run_checked(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("conformance-clr: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cases(args: &Args) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let list = |dir: &Path, exts: &[&str]| -> Result<Vec<PathBuf>, String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let mut v: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| exts.iter().any(|e| x.eq_ignore_ascii_case(e)))
                    && p.is_file()
            })
            .collect();
        v.sort();
        Ok(v)
    };
    out.extend(list(&root().join("fixtures/assemblies"), &["dll", "exe"])?);
    let scenarios = root().join("fixtures/scenarios");
    let mut dirs = vec![scenarios];
    while let Some(dir) = dirs.pop() {
        out.extend(list(&dir, &["dll", "exe"])?);
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        dirs.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir()),
        );
    }
    let framework = list(&args.framework, &["dll"])?;
    // The point of the framework set is mscorlib and its peers: refuse to pass without them.
    for must in ["mscorlib.dll", "System.dll"] {
        if !framework.iter().any(|p| p.ends_with(must)) {
            return Err(format!(
                "{} has no {must}: install mono's framework assemblies (apt-get install \
                 mono-utils libmono-system-windows-forms4.0-cil) or give --framework",
                args.framework.display()
            ));
        }
    }
    out.extend(framework);
    if let Some(only) = &args.only {
        out.retain(|p| case_name(p).contains(only.as_str()));
    }
    Ok(out)
}

fn run_checked(args: &Args) -> Result<bool, String> {
    let dev_path = root().join("tests/conformance/clr/deviations.toml");
    let text = std::fs::read_to_string(&dev_path)
        .map_err(|e| format!("cannot read {}: {e}", dev_path.display()))?;
    let devs = Deviations::parse(&text).map_err(|e| format!("{}: {e}", dev_path.display()))?;
    let cases = cases(args)?;
    let (mut ok, mut failed, mut types) = (0, 0, 0usize);
    let (mut guids, mut imports) = (0usize, 0usize);
    let mut seen: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for path in &cases {
        let name = case_name(path);
        let mono = monodis(path)?;
        types += mono.types.len();
        guids += mono.type_guids.len() + usize::from(mono.assembly_guid.is_some());
        imports += mono.types.iter().filter(|(_, f)| f & 0x1000 != 0).count();
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let disagreements = match read_assembly(&name, &bytes) {
            Ok(asm) => compare(&asm, &mono),
            Err(e) => vec![Disagreement {
                what: "read",
                row: None,
                comsim: e.to_string(),
                monodis: format!("{} types", mono.types.len()),
            }],
        };
        let mut unexcused = Vec::new();
        for d in &disagreements {
            let by = devs
                .ids
                .iter()
                .find(|(_, p)| p.excuses(d))
                .map(|(id, _)| id.as_str());
            match by {
                Some(id) => seen.entry(name.clone()).or_default().push(id),
                None => unexcused.push(d),
            }
        }
        if unexcused.is_empty() {
            ok += 1;
        } else {
            failed += 1;
            println!("FAIL {name}: {} disagreement(s)", unexcused.len());
            for d in unexcused.iter().take(12) {
                let row = d
                    .row
                    .map(|r| format!(" (TypeDef row {r})"))
                    .unwrap_or_default();
                println!(
                    "  {}{row}: comsim {:?}, monodis {:?}",
                    d.what, d.comsim, d.monodis
                );
            }
        }
    }
    let stale = stale_listings(&devs, &seen, &cases);
    for s in &stale {
        println!("FAIL {s}");
    }
    println!(
        "conformance-clr: {} assemblies, {types} types ({guids} [Guid]s, {imports} [ComImport]): {ok} agree (with listed deviations), {failed} disagree, {} listed deviation(s) no longer shown",
        cases.len(),
        stale.len()
    );
    Ok(failed == 0 && stale.is_empty())
}

/// A case's name: the file name, or for a bundled scenario's file its path below `fixtures/`.
fn case_name(path: &Path) -> String {
    match path.strip_prefix(root().join("fixtures/scenarios")) {
        Ok(rel) => format!("scenarios/{}", rel.to_string_lossy().replace('\\', "/")),
        Err(_) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// The cases listed in deviations.toml that ran and no longer show a deviation listed for them.
fn stale_listings(
    devs: &Deviations,
    seen: &BTreeMap<String, Vec<&str>>,
    cases: &[PathBuf],
) -> Vec<String> {
    let ran: Vec<String> = cases.iter().map(|p| case_name(p)).collect();
    let mut out = Vec::new();
    for (case, ids) in &devs.cases {
        if !ran.contains(case) {
            continue;
        }
        for id in ids {
            if !seen.get(case).is_some_and(|v| v.contains(&id.as_str())) {
                out.push(format!(
                    "{case}: the listed deviation `{id}` no longer occurs"
                ));
            }
        }
    }
    out
}

fn run_monodis(path: &Path, option: &str) -> Result<String, String> {
    let out = Command::new("monodis")
        .arg(option)
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run monodis (apt-get install mono-utils): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "monodis {option} {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn monodis(path: &Path) -> Result<Monodis, String> {
    let mut m = Monodis::default();
    parse_assembly(&run_monodis(path, "--assembly")?, &mut m);
    parse_typedefs(&run_monodis(path, "--typedef")?, &mut m)?;
    parse_customattrs(&run_monodis(path, "--customattr")?, &mut m);
    Ok(m)
}

fn parse_assembly(text: &str, m: &mut Monodis) {
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Name:") {
            m.name = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("Version:") {
            m.version = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("Culture:") {
            m.culture = v.trim().to_owned();
        } else if let Some((addr, bytes)) = line.split_once(": ")
            && addr.starts_with("0x")
        {
            m.public_key.extend(
                bytes
                    .split_whitespace()
                    .filter_map(|b| u8::from_str_radix(b, 16).ok()),
            );
        }
    }
}

/// `N: NAME (flist=F, mlist=M, flags=0xX, extends=0xE)`.
fn parse_typedefs(text: &str, m: &mut Monodis) -> Result<(), String> {
    for line in text
        .lines()
        .skip_while(|l| !l.starts_with("Typedef Table"))
        .skip(1)
    {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || format!("monodis --typedef: unexpected line {line:?}");
        let (_, rest) = line.split_once(": ").ok_or_else(bad)?;
        let (name, cols) = rest.rsplit_once(" (flist=").ok_or_else(bad)?;
        let flags = cols
            .split(", ")
            .find_map(|c| c.strip_prefix("flags=0x"))
            .and_then(|f| u32::from_str_radix(f, 16).ok())
            .ok_or_else(bad)?;
        m.types.push((name.to_owned(), flags));
    }
    Ok(())
}

/// `N: TypeDef: R: ... System.Runtime.InteropServices.GuidAttribute::'.ctor'(string) ["G"]`,
/// and the same with `Assembly: 1:`.
fn parse_customattrs(text: &str, m: &mut Monodis) {
    const GUID_CTOR: &str = "System.Runtime.InteropServices.GuidAttribute::'.ctor'(string) [\"";
    for line in text.lines() {
        let Some((_, rest)) = line.split_once(": ") else {
            continue;
        };
        let Some((parent, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Some((_, value)) = rest.split_once(GUID_CTOR) else {
            continue;
        };
        let guid = value.trim_end_matches("\"]").to_owned();
        if parent == "Assembly" {
            m.assembly_guid = Some(guid);
        } else if let Some(row) = parent
            .strip_prefix("TypeDef")
            .and_then(|_| rest.split_once(':'))
            .and_then(|(r, _)| r.trim().parse().ok())
        {
            m.type_guids.insert(row, guid);
        }
    }
}

fn differ(out: &mut Vec<Disagreement>, what: &'static str, row: Option<u32>, c: String, m: String) {
    if c != m {
        out.push(Disagreement {
            what,
            row,
            comsim: c,
            monodis: m,
        });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A GUID as `[Guid]` spells it, for comparing: upper case, no braces.
fn bare(g: &str) -> String {
    g.trim_matches(|c| c == '{' || c == '}')
        .to_ascii_uppercase()
}

fn compare(asm: &Assembly, m: &Monodis) -> Vec<Disagreement> {
    let mut out = Vec::new();
    differ(&mut out, "name", None, asm.name.clone(), m.name.clone());
    differ(
        &mut out,
        "version",
        None,
        asm.version.to_string(),
        m.version.clone(),
    );
    let culture = asm.culture.clone().unwrap_or_default();
    differ(&mut out, "culture", None, culture, m.culture.clone());
    let key = asm.public_key.as_deref().unwrap_or_default();
    differ(&mut out, "public key", None, hex(key), hex(&m.public_key));
    let token = |k: &[u8]| {
        if k.is_empty() {
            String::new()
        } else {
            public_key_token(k)
        }
    };
    differ(
        &mut out,
        "public key token",
        None,
        asm.public_key_token.clone().unwrap_or_default(),
        token(&m.public_key),
    );
    let g = |o: Option<String>| o.as_deref().map(bare).unwrap_or_default();
    differ(
        &mut out,
        "assembly [Guid]",
        None,
        g(asm.guid.map(|x| x.to_string())),
        g(m.assembly_guid.clone()),
    );
    differ(
        &mut out,
        "type count",
        None,
        asm.types.len().to_string(),
        m.types.len().to_string(),
    );
    for (i, (t, (name, flags))) in asm.types.iter().zip(&m.types).enumerate() {
        let row = Some(i as u32 + 1);
        differ(
            &mut out,
            "type name",
            row,
            t.full_name.clone(),
            name.replace('/', "+"),
        );
        differ(
            &mut out,
            "type flags",
            row,
            format!("{:#x}", t.flags),
            format!("{flags:#x}"),
        );
        let import = flags & 0x1000 != 0;
        differ(
            &mut out,
            "[ComImport]",
            row,
            t.com_import.to_string(),
            import.to_string(),
        );
        let mono_guid = m.type_guids.get(&(i as u32 + 1)).cloned();
        differ(
            &mut out,
            "type [Guid]",
            row,
            g(t.guid.map(|x| x.to_string())),
            g(mono_guid),
        );
    }
    out
}
