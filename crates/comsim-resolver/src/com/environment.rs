//! COM-3: the environment a `REG_EXPAND_SZ` server path is expanded in.
//!
//! `ExpandEnvironmentStrings` runs in the process that reads the value, with that process's
//! environment block. On 64-bit Windows, WOW64 gives a 32-bit process `ProgramFiles` and
//! `CommonProgramFiles` pointing at the `(x86)` folders, `PROCESSOR_ARCHITECTURE=x86` and the
//! native folders under `ProgramW6432` and `CommonProgramW6432` (Microsoft's "WOW64
//! Implementation Details" page). 32-bit Windows has no `(x86)` folders and none of the `W6432`
//! variables.

use std::fmt;

use crate::machine::{Bitness, Machine, ProgramFolder};

/// The environment of a process of one bitness on a machine: the variables server paths use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Environment {
    /// The bitness of the process whose environment this is.
    pub process: Bitness,
    /// The bitness of Windows.
    pub os: Bitness,
    /// Names and values, in the order the trace lists them.
    vars: Vec<(&'static str, String)>,
}

impl Environment {
    /// The environment of a `process`-bit process on `os`-bit Windows, with the machine's Windows
    /// directory and Program Files folders. The 32-bit view under WOW64 is derived from
    /// the native one: `ProgramFiles` is the `ProgramFiles(x86)` value, `CommonProgramFiles` the
    /// `CommonProgramFiles(x86)` one.
    pub(crate) fn of(process: Bitness, os: Bitness, m: &Machine) -> Environment {
        let root = m.windows.to_string();
        let drive: String = root.chars().take(2).collect();
        let native = m.program_folder(ProgramFolder::Native).to_string();
        let x86 = m.program_folder(ProgramFolder::X86).to_string();
        let common = m.program_folder(ProgramFolder::CommonNative).to_string();
        let common_x86 = m.program_folder(ProgramFolder::CommonX86).to_string();
        let mut vars: Vec<(&'static str, String)> = Vec::new();
        match (os, process) {
            (Bitness::B32, _) => {
                vars.push(("ProgramFiles", native));
                vars.push(("CommonProgramFiles", common));
                vars.push(("PROCESSOR_ARCHITECTURE", "x86".into()));
            }
            (Bitness::B64, Bitness::B64) => {
                vars.push(("ProgramFiles", native.clone()));
                vars.push(("ProgramFiles(x86)", x86));
                vars.push(("ProgramW6432", native));
                vars.push(("CommonProgramFiles", common.clone()));
                vars.push(("CommonProgramFiles(x86)", common_x86));
                vars.push(("CommonProgramW6432", common));
                vars.push(("PROCESSOR_ARCHITECTURE", "AMD64".into()));
            }
            (Bitness::B64, Bitness::B32) => {
                vars.push(("ProgramFiles", x86.clone()));
                vars.push(("ProgramFiles(x86)", x86));
                vars.push(("ProgramW6432", native));
                vars.push(("CommonProgramFiles", common_x86.clone()));
                vars.push(("CommonProgramFiles(x86)", common_x86));
                vars.push(("CommonProgramW6432", common));
                vars.push(("PROCESSOR_ARCHITECTURE", "x86".into()));
                vars.push(("PROCESSOR_ARCHITEW6432", "AMD64".into()));
            }
        }
        vars.push(("SystemRoot", root.clone()));
        vars.push(("windir", root));
        vars.push(("SystemDrive", drive));
        Environment { process, os, vars }
    }

    /// The value of a variable; names ignore case, as Windows' do.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `ExpandEnvironmentStrings`: each `%name%` of a defined variable is replaced by its value;
    /// an undefined one, and a lone `%`, stay as written.
    pub(crate) fn expand(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find('%') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            match after.find('%') {
                Some(end) => match self.get(&after[..end]) {
                    Some(value) => {
                        out.push_str(value);
                        rest = &after[end + 1..];
                    }
                    None => {
                        // Left as written; the closing `%` may open the next reference.
                        out.push('%');
                        out.push_str(&after[..end]);
                        rest = &after[end..];
                    }
                },
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The variables a string refers to, `name=value`, for the trace.
    pub(crate) fn used_in(&self, s: &str) -> Vec<String> {
        let lower = s.to_ascii_lowercase();
        self.vars
            .iter()
            .filter(|(n, _)| lower.contains(&format!("%{}%", n.to_ascii_lowercase())))
            .map(|(n, v)| format!("{n}={v}"))
            .collect()
    }
}

impl fmt::Display for Environment {
    /// `a 32-bit process on 64-bit Windows`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} process on {} Windows", self.process, self.os)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::vfs::WinPath;

    fn windows() -> Machine {
        Machine::new(Bitness::B64)
    }

    /// COM-3: a 32-bit process on 64-bit Windows expands `%ProgramFiles%` to the (x86) folder,
    /// as WOW64 sets its environment; a 64-bit process to the native one.
    #[test]
    fn com3_program_files_follows_the_process_bitness() {
        let wow = Environment::of(Bitness::B32, Bitness::B64, &windows());
        let native = Environment::of(Bitness::B64, Bitness::B64, &windows());
        let path = r"%ProgramFiles%\Contoso\x.dll";
        assert_eq!(wow.expand(path), r"C:\Program Files (x86)\Contoso\x.dll");
        assert_eq!(native.expand(path), r"C:\Program Files\Contoso\x.dll");
        assert_eq!(
            wow.expand(r"%CommonProgramFiles%\C\c.dll"),
            r"C:\Program Files (x86)\Common Files\C\c.dll"
        );
        assert_eq!(
            wow.expand(r"%ProgramW6432%\N\n.dll"),
            r"C:\Program Files\N\n.dll"
        );
        assert_eq!(
            native.expand(r"%CommonProgramFiles(x86)%\C\c.dll"),
            r"C:\Program Files (x86)\Common Files\C\c.dll"
        );
        assert_eq!(wow.get("processor_architecture"), Some("x86"));
        assert_eq!(native.get("PROCESSOR_ARCHITECTURE"), Some("AMD64"));
        assert_eq!(wow.get("PROCESSOR_ARCHITEW6432"), Some("AMD64"));
        assert_eq!(native.get("PROCESSOR_ARCHITEW6432"), None);
    }

    /// COM-3: 32-bit Windows has no (x86) folder and no W6432 variables.
    #[test]
    fn com3_32_bit_windows_has_no_x86_folders() {
        let env = Environment::of(Bitness::B32, Bitness::B32, &windows());
        assert_eq!(
            env.expand(r"%ProgramFiles%\Contoso\x.dll"),
            r"C:\Program Files\Contoso\x.dll"
        );
        assert_eq!(env.get("ProgramFiles(x86)"), None);
        assert_eq!(env.get("ProgramW6432"), None);
        assert_eq!(
            env.expand(r"%ProgramFiles(x86)%\x.dll"),
            r"%ProgramFiles(x86)%\x.dll"
        );
    }

    /// COM-3: ExpandEnvironmentStrings leaves unknown names and lone percent signs as written,
    /// and matches names without regard to case.
    #[test]
    fn com3_expansion_keeps_what_it_cannot_expand() {
        let env = Environment::of(Bitness::B64, Bitness::B64, &windows());
        assert_eq!(env.expand(r"%SYSTEMROOT%\x.dll"), r"C:\Windows\x.dll");
        assert_eq!(env.expand(r"%nope%\x.dll"), r"%nope%\x.dll");
        assert_eq!(env.expand(r"100%\%windir%"), r"100%\C:\Windows");
        assert_eq!(env.expand("a%b"), "a%b");
        assert_eq!(
            env.used_in(r"%ProgramFiles%\x.dll"),
            vec![r"ProgramFiles=C:\Program Files".to_owned()]
        );
    }

    /// COM-3: the machine's Windows directory and Program Files folders feed the expansion:
    /// Windows on D: gives `SystemRoot`, `windir` and `SystemDrive` on D:, and the default
    /// Program Files folders follow the system drive.
    #[test]
    fn com3_windows_on_another_drive_moves_system_root_and_program_files() {
        let mut m = Machine::new(Bitness::B64);
        m.windows = WinPath::parse(r"D:\Windows").expect("a valid path");
        let wow = Environment::of(Bitness::B32, Bitness::B64, &m);
        assert_eq!(wow.expand(r"%SystemRoot%\x.dll"), r"D:\Windows\x.dll");
        assert_eq!(wow.expand(r"%windir%\x.dll"), r"D:\Windows\x.dll");
        assert_eq!(wow.get("SystemDrive"), Some("D:"));
        assert_eq!(
            wow.expand(r"%ProgramFiles%\C\x.dll"),
            r"D:\Program Files (x86)\C\x.dll"
        );
        assert_eq!(
            wow.expand(r"%CommonProgramW6432%\x.dll"),
            r"D:\Program Files\Common Files\x.dll"
        );
    }

    /// COM-3: a relocated Program Files folder is what `%ProgramFiles%` gives a native process;
    /// WOW64 gives a 32-bit one the `ProgramFiles(x86)` value and keeps the relocated folder in
    /// `ProgramW6432`. Each folder moves alone.
    #[test]
    fn com3_relocated_program_files_derives_the_wow64_view() {
        let mut m = Machine::new(Bitness::B64);
        m.program_folders.native = Some(WinPath::parse(r"D:\Programs").expect("a valid path"));
        let native = Environment::of(Bitness::B64, Bitness::B64, &m);
        let wow = Environment::of(Bitness::B32, Bitness::B64, &m);
        assert_eq!(native.get("ProgramFiles"), Some(r"D:\Programs"));
        assert_eq!(native.get("ProgramW6432"), Some(r"D:\Programs"));
        assert_eq!(wow.get("ProgramFiles"), Some(r"C:\Program Files (x86)"));
        assert_eq!(wow.get("ProgramW6432"), Some(r"D:\Programs"));
        assert_eq!(
            native.get("CommonProgramFiles"),
            Some(r"C:\Program Files\Common Files")
        );
        m.program_folders.x86 = Some(WinPath::parse(r"D:\Programs32").expect("a valid path"));
        let wow = Environment::of(Bitness::B32, Bitness::B64, &m);
        assert_eq!(wow.expand(r"%ProgramFiles%\x.dll"), r"D:\Programs32\x.dll");
    }
}
