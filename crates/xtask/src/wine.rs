//! Running Wine for the conformance suites: one prefix, one persistent wineserver, one Wine
//! process per case (`wine reg ...` for conformance-reg, `wine probe64.exe ...` for
//! conformance-sxs).

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Creating a prefix runs wineboot, which can take a while on a cold machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);
/// For `wineserver -p`/`-k` and for `reg`, which takes well under a second.
const SHORT_TIMEOUT: Duration = Duration::from_secs(60);

/// What one Wine process did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The exit status, `None` if it was killed by a signal or timed out.
    pub code: Option<i32>,
    /// stdout and stderr together (they go through files: Wine's services inherit the handles and
    /// would keep a pipe open for as long as the wineserver runs).
    pub output: String,
    /// Killed after its time ran out.
    pub timed_out: bool,
}

impl Outcome {
    /// Whether the program ran at all: it exits 0, or it failed and said something other than
    /// the loader's message for a program it could not start. Now and then a Wine process fails
    /// before its program does anything: with no message (seen while other Wine prefixes were
    /// busy), or with "Application could not be started ... ShellExecuteEx failed" (seen once
    /// in CI: the loader could not start reg.exe and fell back to ShellExecute).
    pub fn started(&self) -> bool {
        self.code == Some(0)
            || !(self.output.trim().is_empty() || self.output.contains("ShellExecuteEx failed"))
    }
}

pub struct Wine {
    prefix: PathBuf,
    /// Where the output of each process is captured.
    log: PathBuf,
    /// The wineserver to keep running for the prefix; without one, each `wine` process starts
    /// its own short-lived server, which is slower but works.
    server: Option<PathBuf>,
    server_started: bool,
}

impl Wine {
    /// Checks that `wine` runs at all.
    pub fn available() -> Result<String, String> {
        match Command::new("wine")
            .arg("--version")
            .stdin(Stdio::null())
            .output()
        {
            Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned()),
            Ok(o) => Err(format!(
                "`wine --version` failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!(
                "cannot run `wine`: {e}; install Wine and put it on PATH"
            )),
        }
    }

    /// Creates the prefix in `prefix` (which must not exist yet) and starts a persistent
    /// wineserver for it.
    pub fn boot(prefix: &Path, log: &Path) -> Result<Wine, String> {
        std::fs::create_dir_all(prefix)
            .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
        let mut wine = Wine {
            prefix: prefix.to_owned(),
            log: log.to_owned(),
            server: find_wineserver(),
            server_started: false,
        };
        if let Some(server) = wine.server.clone() {
            let started = wine
                .run(server.as_os_str(), &["-p"], SHORT_TIMEOUT)
                .map_err(|e| format!("cannot start `{} -p`: {e}", server.display()))?;
            if started.code != Some(0) {
                return Err(format!("`wineserver -p` failed: {}", started.output.trim()));
            }
            wine.server_started = true;
        }
        let boot = wine
            .run("wine", &["wineboot", "--init"], BOOT_TIMEOUT)
            .map_err(|e| format!("cannot run wineboot: {e}"))?;
        if boot.code != Some(0) {
            return Err(format!(
                "creating the Wine prefix failed ({:?}): {}",
                boot.code,
                boot.output.trim()
            ));
        }
        Ok(wine)
    }

    /// `wine reg ARGS...`.
    pub fn reg<S: AsRef<OsStr>>(&self, args: &[S]) -> io::Result<Outcome> {
        let mut all: Vec<&OsStr> = vec![OsStr::new("reg")];
        all.extend(args.iter().map(AsRef::as_ref));
        self.run("wine", &all, SHORT_TIMEOUT)
    }

    /// Runs `program ARGS...` in the prefix and waits for it, at most `timeout`.
    pub fn run<S: AsRef<OsStr>>(
        &self,
        program: impl AsRef<OsStr>,
        args: &[S],
        timeout: Duration,
    ) -> io::Result<Outcome> {
        let out = File::create(&self.log)?;
        let err = out.try_clone()?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No Mono/Gecko installer; no winedbg on a crash (it would take seconds per crash).
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;winedbg.exe=d")
            // The ANSI code page follows the Unix locale; C.UTF-8 gives Windows-1252, as the
            // REGEDIT4 cases assume.
            .env("LC_ALL", "C.UTF-8")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd.spawn()?;
        let (code, timed_out) = wait_with_timeout(child, timeout)?;
        let output = std::fs::read(&self.log).unwrap_or_default();
        Ok(Outcome {
            code,
            output: String::from_utf8_lossy(&output).into_owned(),
            timed_out,
        })
    }

    /// Stops the wineserver of this prefix (and with it every Wine process of the prefix).
    pub fn shutdown(&mut self) {
        if let (true, Some(server)) = (self.server_started, self.server.clone()) {
            let _ = self.run(server.as_os_str(), &["-k"], SHORT_TIMEOUT);
            self.server_started = false;
        }
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The exit code (`None` if killed by a signal), and whether the time ran out.
fn wait_with_timeout(mut child: Child, timeout: Duration) -> io::Result<(Option<i32>, bool)> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status.code(), false));
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok((None, true));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `$WINESERVER`, `wineserver` on PATH, or the one installed beside Wine's loader (Debian keeps it
/// in /usr/lib/wine).
fn find_wineserver() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WINESERVER") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path).map(|d| d.join("wineserver"));
    let beside = ["/usr/lib/wine/wineserver", "/usr/lib/wine/wineserver64"]
        .into_iter()
        .map(PathBuf::from);
    on_path.chain(beside).find(|p| p.is_file())
}

/// The path Wine's programs see for a Unix path: drive Z: is the Unix root in every new prefix.
pub fn dos_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}
