//! The options that describe a machine (`.reg` exports, hives, a scenario, the application
//! folder, the client, the installed CLRs), shared by `comsim diagnose` and `comsim audit`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use comsim_diagnose::{AppFolder, MachineInput, MachineSource};
use comsim_registry::View;
use comsim_resolver::WinPath;

use crate::bad;

#[derive(Debug, Args)]
pub struct MachineArgs {
    /// `.reg` exports made in the 64-bit view (`reg export … /reg:64`, or regedit): any root.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub reg: Vec<PathBuf>,
    /// `.reg` exports made in the 32-bit view (`reg export HKLM\SOFTWARE\Classes f.reg /reg:32`).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub reg32: Vec<PathBuf>,
    /// Registry hive files (`reg save`, or copies of `System32\config\SOFTWARE`, a user's
    /// `NTUSER.DAT` or `UsrClass.dat`), each read at MOUNT (`HKLM\SOFTWARE`, `HKCU`,
    /// `HKCU\Software\Classes`, ...); without `=MOUNT`, where Windows loads a file of that name,
    /// as `comsim reg --hive`. Read before the `.reg` exports.
    #[arg(long, value_name = "FILE[=MOUNT]", num_args = 1..)]
    pub hive: Vec<String>,
    /// A scenario whose machine and client to use (its steps are not run).
    #[arg(long, value_name = "DIR")]
    pub scenario: Option<PathBuf>,
    /// The application folder as copied from the machine: its .config and manifests are placed
    /// as they are, its .exe and .dll files read as real images (a .NET assembly's identity,
    /// runtime, architecture and types from its metadata; a native EXE's bitness). Its one
    /// .exe is the client.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// The client program's file: its kind (managed or native), bitness and runtime come from
    /// its image. Placed at its place in the --app folder, else in --app-path.
    #[arg(long, value_name = "EXE")]
    pub client: Option<PathBuf>,
    /// A global assembly cache copied from the machine: `C:\Windows\Microsoft.NET\assembly`
    /// (CLR 4's) or `C:\Windows\assembly` (CLR 2's), or the folder above either. Each
    /// assembly is read from its file and placed in the cache its folder names (`v4.0_…`
    /// folders in CLR 4's, the others in CLR 2's); a file whose identity disagrees with its
    /// folder is an error. Repeat for both caches.
    #[arg(long, value_name = "DIR")]
    pub gac: Vec<PathBuf>,
    /// Where the application folder was on the machine.
    #[arg(long, value_name = "WINPATH", default_value = r"C:\App")]
    pub app_path: String,
    /// The installed .NET Framework runtimes, comma-separated full versions (`v4.0.30319`, or
    /// `v2.0.50727,v4.0.30319`); by default a scenario's, else both.
    #[arg(long, value_name = "LIST")]
    pub clrs: Option<String>,
}

impl MachineArgs {
    /// The machine the options describe, for comsim-diagnose's `input::load`.
    pub fn input(&self, err: &mut dyn Write) -> Result<MachineInput, String> {
        let a = self;
        let mut sources = Vec::new();
        if let Some(s) = &a.scenario {
            sources.push(MachineSource::Scenario(s.clone()));
        }
        for arg in &a.hive {
            let (file, mount) = crate::reg::hive_mount(arg, err)?;
            sources.push(MachineSource::Hive {
                path: PathBuf::from(file),
                mount,
            });
        }
        sources.extend(a.reg.iter().map(|p| MachineSource::Reg {
            path: p.clone(),
            view: View::Bits64,
        }));
        sources.extend(a.reg32.iter().map(|p| MachineSource::Reg {
            path: p.clone(),
            view: View::Bits32,
        }));
        let at = WinPath::parse(&a.app_path).map_err(|e| {
            bad(
                crate::codes::ARG_CWD,
                format!("--app-path {}: {}", a.app_path, e.0),
            )
        })?;
        let client = a
            .client
            .as_ref()
            .map(|exe| (exe.clone(), client_at(a, exe, &at)));
        let app = a.app.as_ref().map(|dir| AppFolder {
            dir: dir.clone(),
            at,
        });
        let clrs = match &a.clrs {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(|v| {
                    comsim_resolver::RuntimeVersion::parse(v.trim())
                        .filter(|r| r.build.is_some())
                        .ok_or_else(|| {
                            bad(
                                crate::codes::ARG_CLR,
                                format!("--clrs {list}: `{v}` is not a full runtime version such as v4.0.30319"),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
        Ok(MachineInput {
            sources,
            app,
            client,
            clrs,
            gac: a.gac.clone(),
        })
    }
}

/// Where `--client` goes on the machine: its place in the `--app` folder when it is inside it,
/// else `--app-path` and its file name.
fn client_at(a: &MachineArgs, exe: &std::path::Path, at: &WinPath) -> WinPath {
    let inside = a
        .app
        .as_ref()
        .and_then(|dir| exe.strip_prefix(dir).ok())
        .map(std::path::Path::to_path_buf);
    let rel = inside.unwrap_or_else(|| exe.file_name().map(PathBuf::from).unwrap_or_default());
    rel.components()
        .fold(at.clone(), |p, c| p.join(&c.as_os_str().to_string_lossy()))
}
