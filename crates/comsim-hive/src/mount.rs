//! Where a hive file goes in the registry: given as `FILE=MOUNT`, or guessed from the file's name.
//!
//! Windows loads `System32\config\SOFTWARE` at `HKEY_LOCAL_MACHINE\SOFTWARE` (its 32-bit keys,
//! `Wow6432Node`, are inside it: the store is physical), a user's `NTUSER.DAT` at
//! `HKEY_USERS\<SID>` (seen as `HKEY_CURRENT_USER` by that user), and their `UsrClass.dat` at
//! `HKEY_USERS\<SID>_Classes`, which is `HKEY_CURRENT_USER\Software\Classes`.

use comsim_diag::Diagnostic;
use comsim_registry::{KeyPath, Root};

use crate::codes;

/// How the mount point was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountSource {
    /// Written after `=` (or `mount = ` in a scenario).
    Given,
    /// Guessed from the file name.
    Guessed,
}

/// The mount points of the hive files whose names say what they are.
const KNOWN: &[(&str, &str)] = &[
    ("SOFTWARE", "HKEY_LOCAL_MACHINE\\SOFTWARE"),
    ("SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM"),
    ("NTUSER", "HKEY_CURRENT_USER"),
    ("USRCLASS", "HKEY_CURRENT_USER\\Software\\Classes"),
    ("DEFAULT", "HKEY_USERS\\.DEFAULT"),
];

/// The mount point for a file named `file_name` (its last path component): `SOFTWARE`,
/// `SYSTEM`, `NTUSER.DAT`, `UsrClass.dat` or `DEFAULT`, in any case, with any extension.
pub fn guess_mount(file_name: &str) -> Option<KeyPath> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.split('.').next().unwrap_or(base);
    KNOWN
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(stem))
        .and_then(|(_, p)| KeyPath::parse(p).ok())
}

/// The mount point of `file`: `given` parsed as a key path under a stored hive (not
/// `HKEY_CLASSES_ROOT`, which is a view), or the guess from its name.
pub fn resolve_mount(
    file: &str,
    given: Option<&str>,
) -> Result<(KeyPath, MountSource), Diagnostic> {
    let Some(given) = given else {
        return guess_mount(file)
            .map(|p| (p, MountSource::Guessed))
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::HIVE_MOUNT,
                    format!("{file}: cannot tell where this hive goes from its name"),
                )
                .with_note("give the key it is loaded at (`--hive FILE=KEY`, or `mount = 'KEY'` in a scenario): HKLM\\SOFTWARE for a SOFTWARE hive, HKCU or HKU\\<SID> for an NTUSER.DAT, HKCU\\Software\\Classes for a UsrClass.dat")
            });
    };
    let path = KeyPath::parse(given).map_err(|e| {
        Diagnostic::error(
            codes::HIVE_MOUNT,
            format!("{file}: mount point `{given}` is not a key path: {e}"),
        )
    })?;
    if path.root == Root::ClassesRoot {
        return Err(Diagnostic::error(
            codes::HIVE_MOUNT,
            format!("{file}: mount point `{given}` is under HKEY_CLASSES_ROOT, which is a view of two stored keys (REG-1)"),
        )
        .with_note("mount a machine classes hive at HKLM\\SOFTWARE\\Classes and a UsrClass.dat at HKCU\\Software\\Classes"));
    }
    Ok((path, MountSource::Given))
}

/// Splits `FILE=MOUNT` at its last `=` when what follows names a root key; otherwise the whole
/// text is the file.
pub fn split_hive_arg(arg: &str) -> (&str, Option<&str>) {
    match arg.rsplit_once('=') {
        Some((file, mount))
            if !file.is_empty()
                && Root::from_any_name(mount.split('\\').next().unwrap_or_default()).is_some() =>
        {
            (file, Some(mount))
        }
        _ => (arg, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_file_names_give_their_windows_mount_points() {
        let p = |f| guess_mount(f).map(|p| p.to_string());
        assert_eq!(
            p("x/SOFTWARE").as_deref(),
            Some("HKEY_LOCAL_MACHINE\\SOFTWARE")
        );
        assert_eq!(
            p("software.hiv").as_deref(),
            Some("HKEY_LOCAL_MACHINE\\SOFTWARE")
        );
        assert_eq!(p("C:\\u\\NTUSER.DAT").as_deref(), Some("HKEY_CURRENT_USER"));
        assert_eq!(
            p("UsrClass.dat").as_deref(),
            Some("HKEY_CURRENT_USER\\Software\\Classes")
        );
        assert_eq!(p("backup.hiv"), None);
    }

    #[test]
    fn an_unknown_name_without_a_mount_is_an_error_and_hkcr_is_refused() {
        let e = resolve_mount("backup.hiv", None).unwrap_err();
        assert_eq!(e.code, codes::HIVE_MOUNT);
        assert!(e.message.contains("backup.hiv"));
        let e = resolve_mount("x", Some("HKCR\\CLSID")).unwrap_err();
        assert!(e.message.contains("HKEY_CLASSES_ROOT"));
        let (p, how) = resolve_mount("x", Some("HKU\\S-1-5-21-1")).unwrap();
        assert_eq!(
            (p.to_string().as_str(), how),
            ("HKEY_USERS\\S-1-5-21-1", MountSource::Given)
        );
    }

    #[test]
    fn hive_argument_splits_only_before_a_root_key() {
        assert_eq!(split_hive_arg("a=b/NTUSER.DAT"), ("a=b/NTUSER.DAT", None));
        assert_eq!(
            split_hive_arg("h.dat=HKU\\S-1"),
            ("h.dat", Some("HKU\\S-1"))
        );
        assert_eq!(split_hive_arg("SOFTWARE"), ("SOFTWARE", None));
    }
}
