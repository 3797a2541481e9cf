//! `--gac DIR`: a global assembly cache copied from the machine, read as real files (BIND-2).
//!
//! Two layouts are read, told apart by each version folder's name:
//!
//! - CLR 4's cache (`C:\Windows\Microsoft.NET\assembly`):
//!   `GAC_MSIL|GAC_32|GAC_64\<Name>\v4.0_<version>_<culture>_<token>\<Name>.dll`;
//! - CLR 2's cache (`C:\Windows\assembly`):
//!   `GAC_MSIL|GAC_32|GAC_64\<Name>\<version>_<culture>_<token>\<Name>.dll`.
//!
//! `DIR` is either cache's root (the folder holding `GAC_MSIL`…), or the folder above it that
//! holds `assembly`. Each assembly is read with comsim-clrmeta and placed where that CLR's
//! binder looks for it; the folder it was copied from must agree with the file's own identity
//! (name, version, culture, public key token, processor architecture, and a CLR 4 assembly
//! only in CLR 4's cache), else the copy is refused with an error naming the file. Other
//! folders of the cache (`GAC` for .NET 1.x assemblies, `NativeImages_*`, `temp`, `tmp`) and
//! other files (`__AssemblyInfo__.ini`) are not read.

use std::path::{Path, PathBuf};

use comsim_diag::Diagnostic;
use comsim_resolver::{AssemblyInfo, ProcessorArchitecture, RuntimeVersion, WinPath};

use crate::codes;
use crate::input::{Loaded, io_error, read_capped};

/// The architecture folders a cache root holds, with the architecture each holds.
const ARCH_DIRS: [(&str, ProcessorArchitecture); 3] = [
    ("GAC_MSIL", ProcessorArchitecture::Msil),
    ("GAC_32", ProcessorArchitecture::X86),
    ("GAC_64", ProcessorArchitecture::Amd64),
];

/// The most assemblies read from one cache folder.
const MAX_GAC_FILES: usize = 10_000;

/// Where a version folder says its assembly is.
#[derive(Debug, PartialEq, Eq)]
struct FolderIdentity {
    /// 4 for CLR 4's cache (`v4.0_` prefix), 2 for CLR 2's.
    clr_major: u32,
    version: String,
    culture: String,
    token: String,
}

/// Reads a copied cache into the machine; the assemblies read are listed in
/// `loaded.gac_assemblies` with their machine paths.
pub fn read(loaded: &mut Loaded, dir: &Path) -> Result<(), Diagnostic> {
    let root = cache_root(dir)?;
    let mut count = 0;
    for (arch_name, arch) in ARCH_DIRS {
        let Some(arch_dir) = child_dir(&root, arch_name)? else {
            continue;
        };
        for name_dir in sorted_dirs(&arch_dir)? {
            for version_dir in sorted_dirs(&name_dir)? {
                for file in assembly_files(&version_dir)? {
                    count += 1;
                    if count > MAX_GAC_FILES {
                        return Err(Diagnostic::error(
                            codes::DIAGNOSE_IO,
                            format!("{}: more than {MAX_GAC_FILES} assemblies", dir.display()),
                        ));
                    }
                    place(loaded, &file, arch_name, arch)?;
                }
            }
        }
    }
    Ok(())
}

/// The cache's root: `dir` when it holds an architecture folder, else its `assembly` folder.
fn cache_root(dir: &Path) -> Result<PathBuf, Diagnostic> {
    let is_root = |d: &Path| -> Result<bool, Diagnostic> {
        for (name, _) in ARCH_DIRS {
            if child_dir(d, name)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    };
    if is_root(dir)? {
        return Ok(dir.to_path_buf());
    }
    if let Some(inner) = child_dir(dir, "assembly")?
        && is_root(&inner)?
    {
        return Ok(inner);
    }
    Err(Diagnostic::error(
        codes::DIAGNOSE_GAC,
        format!(
            "{}: not a copy of a global assembly cache: it holds no GAC_MSIL, GAC_32 or GAC_64 folder (nor an `assembly` folder holding one)",
            dir.display()
        ),
    )
    .with_note(r"copy C:\Windows\Microsoft.NET\assembly (CLR 4) or C:\Windows\assembly (CLR 2)"))
}

/// The child folder of `dir` named `name` (compared as Windows does, ignoring case).
fn child_dir(dir: &Path, name: &str) -> Result<Option<PathBuf>, Diagnostic> {
    Ok(sorted_dirs(dir)?.into_iter().find(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
    }))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, &e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect())
}

/// The `.dll` and `.exe` files of a version folder.
fn assembly_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("dll") || e.eq_ignore_ascii_case("exe"))
        })
        .collect())
}

/// A version folder's name: `v4.0_1.0.0.0__0123456789abcdef` (CLR 4) or
/// `1.0.0.0_de_0123456789abcdef` (CLR 2).
fn folder_identity(name: &str) -> Option<FolderIdentity> {
    let (clr_major, rest) = match name.strip_prefix("v4.0_") {
        Some(rest) => (4, rest),
        None => (2, name),
    };
    let mut parts = rest.splitn(3, '_');
    let version = parts.next()?.to_owned();
    let culture = parts.next()?.to_owned();
    let token = parts.next()?.to_owned();
    Some(FolderIdentity {
        clr_major,
        version,
        culture,
        token,
    })
}

/// Reads one file of the cache and places it where its folder says, once the folder and the
/// file's identity agree.
fn place(
    loaded: &mut Loaded,
    path: &Path,
    arch_name: &str,
    arch: ProcessorArchitecture,
) -> Result<(), Diagnostic> {
    let display = path.display().to_string();
    let layout_err = |what: String| {
        Diagnostic::error(codes::DIAGNOSE_GAC, format!("{display}: {what}")).with_note(
            "a cache holds each assembly in the folder its identity names (BIND-2); copy the folder again as it is on the machine",
        )
    };
    let version_dir = path.parent().unwrap_or(path);
    let folder = version_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(ident) = folder_identity(&folder) else {
        return Err(layout_err(format!(
            "the folder `{folder}` is not named <version>_<culture>_<token> (CLR 2) or v4.0_<version>_<culture>_<token> (CLR 4)"
        )));
    };
    let clr = RuntimeVersion::parse(if ident.clr_major >= 4 {
        "v4.0.30319"
    } else {
        "v2.0.50727"
    })
    .expect("a valid runtime version");
    let bytes = read_capped(path)?;
    let at = WinPath::parse(r"C:\Windows\assembly\placeholder.dll").expect("a valid path");
    let file = comsim_scenario::assembly_file(&display, bytes, at).map_err(|e| match e {
        comsim_scenario::SourceError::Read(d) => {
            layout_err("not a .NET assembly comsim can read".to_owned()).with_note(d.to_string())
        }
        comsim_scenario::SourceError::NotModelled(why) => {
            layout_err(format!("a .NET assembly comsim cannot model: {why}"))
        }
    })?;
    let info = file.assembly().expect("an assembly file").clone();
    let name_dir = version_dir
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(what) = disagreement(&info, &ident, &name_dir, path, arch, arch_name) {
        return Err(layout_err(what));
    }
    let win = loaded.machine.gac_path(&clr, &info);
    loaded.machine.fs.write(comsim_resolver::VFile {
        path: win.clone(),
        origin: format!(
            "{display} (in the CLR {} global assembly cache, read from the file)",
            clr.family()
        ),
        ..file
    });
    loaded.gac_assemblies.push((path.to_path_buf(), win));
    Ok(())
}

/// What in the folder's layout disagrees with the assembly's own identity, if anything.
fn disagreement(
    info: &AssemblyInfo,
    ident: &FolderIdentity,
    name_dir: &str,
    path: &Path,
    arch: ProcessorArchitecture,
    arch_name: &str,
) -> Option<String> {
    let full = info.full_name();
    let Some(token) = info.public_key_token.as_deref() else {
        return Some(format!(
            "{full} has no public key token, and only strong-named assemblies are in a global assembly cache"
        ));
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let culture = info.culture.as_deref().unwrap_or("");
    let checks = [
        (
            name_dir.eq_ignore_ascii_case(&info.name),
            format!("is {full}, in the folder of `{name_dir}`"),
        ),
        (
            stem.eq_ignore_ascii_case(&info.name),
            format!("is {full}, in a file named after `{stem}`"),
        ),
        (
            ident.version == info.version.to_string(),
            format!("is {full}, in a folder of version {}", ident.version),
        ),
        (
            ident.culture.eq_ignore_ascii_case(culture)
                || (culture.is_empty() && ident.culture.eq_ignore_ascii_case("neutral")),
            format!("is {full}, in a folder of culture `{}`", ident.culture),
        ),
        (
            ident.token.eq_ignore_ascii_case(token),
            format!("is {full}, in a folder of public key token {}", ident.token),
        ),
        (
            info.architecture == arch,
            format!(
                "is {full} for {:?}, in {arch_name}, which holds {arch:?} assemblies",
                info.architecture
            ),
        ),
        (
            ident.clr_major >= 4 || info.runtime.major < 4,
            format!(
                "is {full}, built for {}, in CLR 2's cache (a folder without `v4.0_`), where CLR 2's gacutil cannot put it",
                info.runtime
            ),
        ),
    ];
    checks.into_iter().find(|(ok, _)| !ok).map(|(_, what)| what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind2_version_folders_name_their_cache() {
        assert_eq!(
            folder_identity("v4.0_1.2.3.4__022282a62da36812"),
            Some(FolderIdentity {
                clr_major: 4,
                version: "1.2.3.4".into(),
                culture: String::new(),
                token: "022282a62da36812".into(),
            })
        );
        assert_eq!(
            folder_identity("2.0.0.0_de_b77a5c561934e089"),
            Some(FolderIdentity {
                clr_major: 2,
                version: "2.0.0.0".into(),
                culture: "de".into(),
                token: "b77a5c561934e089".into(),
            })
        );
        assert_eq!(folder_identity("1.0.0.0"), None);
    }
}
