//! `cargo xtask progress-tty`: the progress bar appears when standard error is a terminal
//! (docs/reliability.md, "Progress"). `cargo test` can only show that it stays away from a pipe
//! (`comsim-cli/tests/progress.rs`); this runs `comsim reg query` over a generated 8 MiB `.reg`
//! file under `script` (util-linux), which gives it a pseudo-terminal, and checks what the
//! terminal received: the bar drawn in place at least once, then cleared; nothing of the bar on
//! standard output, which is redirected to a file and compared with a run without a terminal;
//! and no bar at all with `COMSIM_PROGRESS=never`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The comsim binary; by default `cargo build -p comsim-cli` is run and `target/debug/comsim`
    /// used (a debug build reads the file slowly enough for the bar's delay).
    #[arg(long)]
    pub comsim: Option<PathBuf>,
    /// Where the generated file and the outputs go (a temporary directory by default).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

const KEY: &str = r"HKLM\SOFTWARE\Progress\Key000001";

pub fn run(args: &Args) -> std::process::ExitCode {
    match check(args) {
        Ok(()) => {
            println!("progress-tty: the bar is drawn on a terminal, cleared, and kept off stdout");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("progress-tty: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn check(args: &Args) -> Result<(), String> {
    let comsim = crate::import_bench::comsim_or_build(args.comsim.as_ref(), false)?;
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("comsim-progress-tty-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let reg = dir.join("big.reg");
    write_reg(&reg, 8 << 20)?;

    let piped = Command::new(&comsim)
        .args(["reg", "query", KEY, "--reg"])
        .arg(&reg)
        .output()
        .map_err(|e| format!("{}: {e}", comsim.display()))?;
    if !piped.status.success() || !piped.stderr.is_empty() {
        return Err(format!(
            "comsim without a terminal: {:?}, stderr {:?}",
            piped.status,
            String::from_utf8_lossy(&piped.stderr)
        ));
    }

    let (tty, stdout) = under_script(&comsim, &reg, &dir, None)?;
    if stdout != piped.stdout {
        return Err("standard output differs with a terminal on standard error".into());
    }
    let draws = tty.matches(" MiB").count();
    if draws == 0 || !tty.contains("% ") || !tty.contains("big.reg [") {
        return Err(format!("no bar on the terminal: {tty:?}"));
    }
    // Drawn in place (each draw starts with a carriage return), then blanked: the terminal's
    // transcript ends with `\r`, spaces, `\r`.
    let last_draw = tty.rfind(" MiB").unwrap_or_default();
    let after = &tty[last_draw + 4..];
    let cleared = after.trim_end_matches('\r').trim_end_matches(' ');
    if !tty.starts_with('\r') || !after.ends_with('\r') || !cleared.ends_with('\r') {
        return Err(format!(
            "the bar is not drawn in place and cleared: {tty:?}"
        ));
    }

    let (quiet, stdout) = under_script(&comsim, &reg, &dir, Some("never"))?;
    if !quiet.is_empty() || stdout != piped.stdout {
        return Err(format!("COMSIM_PROGRESS=never still drew: {quiet:?}"));
    }
    println!("progress-tty: {draws} draws of the bar over an 8 MiB import");
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Runs comsim under `script`: its standard error on a pseudo-terminal (what `script` prints),
/// its standard output in a file. Returns both.
fn under_script(
    comsim: &Path,
    reg: &Path,
    dir: &Path,
    setting: Option<&str>,
) -> Result<(String, Vec<u8>), String> {
    let out = dir.join("stdout.txt");
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    let line = format!(
        "{} reg query '{KEY}' --reg {} > {}",
        quote(comsim),
        quote(reg),
        quote(&out)
    );
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null());
    match setting {
        Some(v) => cmd.env("COMSIM_PROGRESS", v),
        None => cmd.env_remove("COMSIM_PROGRESS"),
    };
    let o = cmd
        .output()
        .map_err(|e| format!("script (util-linux, Debian's bsdutils): {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "comsim under script: {:?}: {}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
        ));
    }
    let stdout = std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok((String::from_utf8_lossy(&o.stdout).into_owned(), stdout))
}

/// A `.reg` file of at least `size` bytes: keys of one 200-character value each.
fn write_reg(path: &Path, size: usize) -> Result<(), String> {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    let value = "x".repeat(200);
    let mut i = 0;
    while text.len() < size {
        text.push_str(&format!(
            "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Progress\\Key{i:06}]\r\n\"Value\"=\"{value}\"\r\n"
        ));
        i += 1;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
