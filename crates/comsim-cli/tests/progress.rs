//! The progress bar stays off standard error when it is not a terminal (docs/reliability.md,
//! "Progress"): a `.reg` import over the bar's size threshold, run with standard error piped,
//! writes nothing there, whatever `COMSIM_PROGRESS` says, and the same bytes on standard output.
//! (That the bar does appear on a terminal is `cargo xtask progress-tty`.)

use std::path::PathBuf;
use std::process::{Command, Output};

use comsim_cli::progress::MIN_BYTES;

/// A `.reg` file just over the bar's threshold: keys of one long value each.
fn big_reg() -> PathBuf {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    let mut i = 0;
    while (text.len() as u64) < MIN_BYTES + 4096 {
        text.push_str(&format!(
            "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Progress\\Key{i:06}]\r\n\"Value\"=\"{}\"\r\n",
            "x".repeat(200)
        ));
        i += 1;
    }
    let path = std::env::temp_dir().join(format!("comsim-progress-{}.reg", std::process::id()));
    std::fs::write(&path, text).expect("a temporary file");
    path
}

fn comsim(reg: &PathBuf, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comsim"))
        .args(["reg", "query", r"HKLM\SOFTWARE\Progress\Key000001", "--reg"])
        .arg(reg)
        .envs(env.iter().copied())
        .output()
        .expect("comsim runs")
}

#[test]
fn a_big_import_with_stderr_piped_shows_no_progress() {
    let reg = big_reg();
    assert!(std::fs::metadata(&reg).expect("the file").len() > MIN_BYTES);
    let plain = comsim(&reg, &[]);
    let forced = comsim(&reg, &[("COMSIM_PROGRESS", "auto"), ("TERM", "xterm")]);
    let off = comsim(&reg, &[("COMSIM_PROGRESS", "never")]);
    std::fs::remove_file(&reg).ok();
    for o in [&plain, &forced, &off] {
        assert_eq!(o.status.code(), Some(0));
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let shown = String::from_utf8_lossy(&plain.stdout);
    assert!(
        shown.contains("Key000001") && shown.contains("Value"),
        "{shown}"
    );
    assert_eq!(plain.stdout, forced.stdout);
    assert_eq!(plain.stdout, off.stdout);
}
