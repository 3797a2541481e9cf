//! `cargo xtask browser-html`: opens the HTML pages `comsim replay --format html` writes for a few
//! scenarios, and the page `comsim diagnose --format html` writes for a diagnose case, in a real
//! browser (headless Chromium) and checks what the browser made of it: the
//! page loads with no console message and no request for anything outside the file, and each
//! run's drawing has one box (`g.node`) per step of its trace list (`li.step`). It saves a
//! screenshot of each page for a reviewer (`target/html-screenshots/`); screenshots are not
//! compared.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The comsim binary (built first by the caller).
    #[arg(long, default_value = "target/debug/comsim")]
    pub comsim: PathBuf,
    /// The browser.
    #[arg(long, default_value = "chromium")]
    pub browser: String,
    /// Where the screenshots go.
    #[arg(long, default_value = "target/html-screenshots")]
    pub out: PathBuf,
}

/// Two CLRs on two paths; a failure of every kind; machine steps with regasm and differences.
const SCENARIOS: &[&str] = &[
    "classic-32bit-client-32bit-regasm",
    "bind-failures",
    "regasm-seed-002-version-subkeys",
];

/// Diagnose cases (`fixtures/diagnose/<case>/`, run in their directory with their `args`): a
/// cause, its fix and the outcome after it, two configurations drawn.
const DIAGNOSE_CASES: &[&str] = &["identity-mismatch"];

/// The page a name stands for: a scenario's replay, or a diagnose case's diagnosis.
enum Page<'a> {
    Replay(&'a str),
    Diagnose(&'a str),
}

impl Page<'_> {
    fn name(&self) -> String {
        match self {
            Page::Replay(n) => (*n).to_owned(),
            Page::Diagnose(n) => format!("diagnose-{n}"),
        }
    }

    /// Runs comsim for the page; `comsim` is absolute, since a diagnose case runs in its own
    /// directory.
    fn command(&self, comsim: &Path) -> Result<Command, String> {
        match self {
            Page::Replay(n) => {
                let mut c = Command::new(comsim);
                c.args([
                    "replay",
                    &format!("fixtures/scenarios/{n}"),
                    "--format",
                    "html",
                ]);
                Ok(c)
            }
            Page::Diagnose(n) => {
                let dir = PathBuf::from(format!("fixtures/diagnose/{n}"));
                let args = std::fs::read_to_string(dir.join("args"))
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                let mut c = Command::new(comsim);
                c.arg("diagnose")
                    .args(args.lines().filter(|l| !l.is_empty()))
                    .args(["--format", "html"])
                    .current_dir(dir);
                Ok(c)
            }
        }
    }
}

pub fn run(args: &Args) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let pages: Vec<Page> = SCENARIOS
        .iter()
        .map(|n| Page::Replay(n))
        .chain(DIAGNOSE_CASES.iter().map(|n| Page::Diagnose(n)))
        .collect();
    let mut failures = 0;
    for page in &pages {
        let name = page.name();
        match check(args, page) {
            Ok(summary) => println!("{name}: {summary}"),
            Err(e) => {
                failures += 1;
                println!("{name}: FAILED: {e}");
            }
        }
    }
    println!(
        "browser-html: {} passed, {failures} failed",
        pages.len() - failures
    );
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The flags a headless Chromium needs here: no sandbox (root), no GPU, and none of the
/// background connections a closed network refuses; a fresh profile.
fn browser(args: &Args, profile: &Path) -> Command {
    let mut c = Command::new(&args.browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1400,2400",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

fn check(args: &Args, what: &Page<'_>) -> Result<String, String> {
    let name = what.name();
    let page = args.out.join(format!("{name}.html"));
    let comsim = std::fs::canonicalize(&args.comsim)
        .map_err(|e| format!("{}: {e}", args.comsim.display()))?;
    let out = what
        .command(&comsim)?
        .output()
        .map_err(|e| format!("{}: {e}", args.comsim.display()))?;
    // replay: 1 is a failed expectation; diagnose: 1 no working fix, 3 not reproduced.
    if !matches!(out.status.code(), Some(0 | 1 | 3)) {
        return Err(format!(
            "comsim exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::write(&page, &out.stdout).map_err(|e| format!("{}: {e}", page.display()))?;
    let url = format!(
        "file://{}",
        std::fs::canonicalize(&page)
            .map_err(|e| format!("{}: {e}", page.display()))?
            .display()
    );
    let profile = args.out.join(format!("{name}.profile"));
    let dom = browser(args, &profile)
        .args(["--dump-dom", &url])
        .output()
        .map_err(|e| format!("{}: {e}", args.browser))?;
    let log = String::from_utf8_lossy(&dom.stderr);
    // Chromium logs a page's console messages and failed loads as CONSOLE lines.
    if let Some(l) = log
        .lines()
        .find(|l| l.contains(":CONSOLE") || l.contains("net::ERR_"))
    {
        return Err(format!("the page logged: {l}"));
    }
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    let runs = count_per_run(&dom)?;
    let shot = args.out.join(format!("{name}.png"));
    let s = browser(args, &profile)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .map_err(|e| format!("{}: {e}", args.browser))?;
    if !shot.is_file() {
        return Err(format!(
            "no screenshot: {}",
            String::from_utf8_lossy(&s.stderr)
        ));
    }
    std::fs::remove_dir_all(&profile).ok();
    Ok(format!(
        "loaded, {runs} runs each drawn with one box per trace step; screenshot {}",
        shot.display()
    ))
}

/// For each run (`<div class="run"` to `<!-- end of run -->`) of the DOM the browser built, the boxes of its drawing and
/// the items of its trace list; an error names the first run where they differ.
fn count_per_run(dom: &str) -> Result<usize, String> {
    let runs: Vec<&str> = dom.split("<div class=\"run\"").skip(1).collect();
    if runs.is_empty() {
        return Err("the DOM has no run".to_owned());
    }
    for (i, run) in runs.iter().enumerate() {
        let run = run.split("<!-- end of run -->").next().unwrap_or(run);
        let nodes = run.matches("<g class=\"node").count();
        let steps = run.matches("<li class=\"step").count();
        let outcome = run.matches("<g class=\"outcome").count();
        if nodes != steps || outcome != 1 {
            return Err(format!(
                "run {}: {nodes} boxes and {outcome} outcome for {steps} trace steps",
                i + 1
            ));
        }
    }
    Ok(runs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_html_counts_boxes_against_trace_steps_per_run() {
        let good = "<div class=\"run\"><g class=\"node\"></g><g class=\"outcome ok\"></g><li class=\"step\"></li></div><!-- end of run --><li class=\"step\"></li>";
        assert_eq!(count_per_run(good), Ok(1));
        let bad = "<div class=\"run\"><g class=\"outcome ok\"></g><li class=\"step\"></li></div>";
        assert!(count_per_run(bad).is_err());
        assert!(count_per_run("<html></html>").is_err());
    }
}
