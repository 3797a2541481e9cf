//! The progress bar of long work: one line on standard error, redrawn in place, cleared when the
//! work ends, and shown only when standard error is a terminal (docs/reliability.md, "Progress").
//!
//! The libraries never draw: they take a `&mut dyn comsim_diag::Progress` (`.reg` import:
//! `comsim_regfile::import_file_with_progress`; hive files: `comsim_hive::load_file_with_progress`;
//! `comsim diagnose`: `comsim_diagnose::input::load_with_progress` and
//! `comsim_diagnose::diagnose_with_progress`). A command gets a [`Bar`] from
//! [`Bar::stderr`]`(progress)`, where `progress` is what `main` decided once with [`wanted`]
//! (`false` whenever [`crate::run`] is called, as the tests call it), and passes `&mut bar`.
//!
//! Wiring in another long command (an audit over many classes, say) takes two lines, whether its
//! library reports through `Progress` or the command loops itself:
//!
//! ```ignore
//! let mut bar = crate::progress::Bar::stderr(progress);
//! comsim_audit::audit_with_progress(&machine, &mut bar)?; // or: bar.begin("classes", Work::Items); … bar.advance(i, n);
//! ```
//!
//! What is drawn never goes to standard output, so that output is byte-identical with or without
//! a bar; a bar is drawn only for work that is big enough ([`MIN_BYTES`] of a file, [`MIN_ITEMS`]
//! items) and still running after [`DELAY`], at most once per [`REDRAW`].

use std::ffi::OsString;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use comsim_diag::{Progress, Work};

/// A file smaller than this (4 MiB) is read without a bar: it takes a moment.
pub const MIN_BYTES: u64 = 4 * 1024 * 1024;
/// Fewer items than this (4 configurations) are worked through without a bar.
pub const MIN_ITEMS: u64 = 4;
/// No bar for work that ends before this: it would only flicker.
pub const DELAY: Duration = Duration::from_millis(300);
/// The bar is redrawn at most this often.
pub const REDRAW: Duration = Duration::from_millis(100);
/// The environment variable that turns the bar off: `COMSIM_PROGRESS=never` (or `0`, `off`, `no`).
pub const ENV: &str = "COMSIM_PROGRESS";

/// Cells of the bar itself, between its brackets.
const CELLS: usize = 30;
/// The most characters of the work's name shown (its end, where a file's name is).
const NAME_CHARS: usize = 32;

/// Whether this process may show a progress bar at all: only when standard error is a terminal,
/// `COMSIM_PROGRESS` does not say no, and the terminal is not `TERM=dumb` (which cannot go back
/// to the start of a line). `env` reads an environment variable.
pub fn wanted(stderr_is_terminal: bool, env: &dyn Fn(&str) -> Option<OsString>) -> bool {
    let says_no = env(ENV).is_some_and(|v| {
        let v = v.to_string_lossy().to_ascii_lowercase();
        matches!(v.as_str(), "never" | "0" | "off" | "no" | "false")
    });
    let dumb = env("TERM").is_some_and(|t| t == "dumb");
    stderr_is_terminal && !says_no && !dumb
}

/// [`wanted`] for this process: its standard error and its environment.
pub fn wanted_here() -> bool {
    use std::io::IsTerminal;
    wanted(io::stderr().is_terminal(), &|name| std::env::var_os(name))
}

/// A progress bar drawn on `W` (standard error), or nothing when it has no writer.
pub struct Bar<W: Write> {
    out: Option<W>,
    what: String,
    unit: Work,
    started: Instant,
    last_draw: Option<Instant>,
    /// Characters of the line on screen now (0: nothing drawn).
    drawn: usize,
}

impl Bar<io::Stderr> {
    /// A bar on this process's standard error when `show` (what [`wanted`] decided), else one
    /// that draws nothing.
    pub fn stderr(show: bool) -> Self {
        Bar::new(show.then(io::stderr))
    }
}

impl<W: Write> Bar<W> {
    pub fn new(out: Option<W>) -> Self {
        Bar {
            out,
            what: String::new(),
            unit: Work::Items,
            started: Instant::now(),
            last_draw: None,
            drawn: 0,
        }
    }

    /// The writer, for tests.
    pub fn into_inner(mut self) -> Option<W> {
        self.clear();
        self.out.take()
    }

    /// [`Progress::begin`] at the time `now`.
    pub fn begin_at(&mut self, now: Instant, what: &str, unit: Work) {
        self.clear();
        self.what = what.to_owned();
        self.unit = unit;
        self.started = now;
        self.last_draw = None;
    }

    /// Whether the bar is drawn for `done` of `total` at the time `now`.
    pub fn due(&self, now: Instant, done: u64, total: u64) -> bool {
        let big_enough = match self.unit {
            Work::Bytes => total >= MIN_BYTES,
            Work::Items => total >= MIN_ITEMS,
        };
        self.out.is_some()
            && big_enough
            && done < total
            && now.duration_since(self.started) >= DELAY
            && self
                .last_draw
                .is_none_or(|last| now.duration_since(last) >= REDRAW)
    }

    /// [`Progress::advance`] at the time `now`.
    pub fn advance_at(&mut self, now: Instant, done: u64, total: u64) {
        if !self.due(now, done, total) {
            return;
        }
        let text = line(&self.what, self.unit, done, total);
        let chars = text.chars().count();
        let pad = self.drawn.saturating_sub(chars);
        self.last_draw = Some(now);
        self.drawn = chars;
        if let Some(out) = &mut self.out {
            // A bar that cannot be drawn is no reason to fail the work.
            let _ = write!(out, "\r{text}{:pad$}", "");
            let _ = out.flush();
        }
    }

    /// Takes the bar off the screen: the line is blanked and the cursor put back at its start.
    fn clear(&mut self) {
        if self.drawn == 0 {
            return;
        }
        if let Some(out) = &mut self.out {
            let _ = write!(out, "\r{:n$}\r", "", n = self.drawn);
            let _ = out.flush();
        }
        self.drawn = 0;
    }
}

impl<W: Write> Progress for Bar<W> {
    fn begin(&mut self, what: &str, unit: Work) {
        self.begin_at(Instant::now(), what, unit);
    }

    fn advance(&mut self, done: u64, total: u64) {
        // Cheap when nothing is shown: no clock is read.
        if self.out.is_some() {
            self.advance_at(Instant::now(), done, total);
        }
    }

    fn end(&mut self) {
        self.clear();
    }
}

impl<W: Write> Drop for Bar<W> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The bar's line: `NAME [#########.....]  45% 12.3 of 27.0 MiB` (or `3 of 16` items).
pub fn line(what: &str, unit: Work, done: u64, total: u64) -> String {
    let done = done.min(total);
    let share = |n: u64| {
        if total == 0 {
            n
        } else {
            u64::try_from(u128::from(done) * u128::from(n) / u128::from(total)).unwrap_or(n)
        }
    };
    let filled = usize::try_from(share(CELLS as u64)).unwrap_or(CELLS);
    let amount = match unit {
        Work::Bytes => format!("{} of {} MiB", mib(done), mib(total)),
        Work::Items => format!("{done} of {total}"),
    };
    format!(
        "{} [{}{}] {:>3}% {amount}",
        short_name(what),
        "#".repeat(filled),
        ".".repeat(CELLS - filled),
        share(100)
    )
}

/// Bytes in MiB with one decimal.
fn mib(bytes: u64) -> String {
    let tenths = u128::from(bytes) * 10 / (1024 * 1024);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The last [`NAME_CHARS`] characters of `what`, after `…` when it is longer.
fn short_name(what: &str) -> String {
    let n = what.chars().count();
    if n <= NAME_CHARS {
        return what.to_owned();
    }
    let tail: String = what.chars().skip(n - (NAME_CHARS - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    /// A bar only on a terminal, and not when COMSIM_PROGRESS says no or the terminal is dumb.
    #[test]
    fn a_bar_is_wanted_only_on_a_terminal_that_allows_it() {
        assert!(wanted(true, &env_of(&[])));
        assert!(wanted(true, &env_of(&[("TERM", "xterm-256color")])));
        assert!(wanted(true, &env_of(&[("COMSIM_PROGRESS", "auto")])));
        assert!(!wanted(false, &env_of(&[])));
        assert!(!wanted(false, &env_of(&[("COMSIM_PROGRESS", "auto")])));
        for no in ["never", "0", "off", "NO", "false"] {
            let env = move |n: &str| (n == ENV).then(|| OsString::from(no));
            assert!(!wanted(true, &env), "{no}");
        }
        assert!(!wanted(true, &env_of(&[("TERM", "dumb")])));
    }

    /// The size threshold, the delay, the redraw rate, and nothing at the end.
    #[test]
    fn a_bar_is_drawn_for_big_work_after_the_delay_at_the_redraw_rate() {
        let t0 = Instant::now();
        let mut bar = Bar::new(Some(Vec::new()));
        bar.begin_at(t0, "big.reg", Work::Bytes);
        let late = t0 + DELAY;
        assert!(!bar.due(t0, 1, MIN_BYTES), "before the delay");
        assert!(!bar.due(late, 1, MIN_BYTES - 1), "a small file");
        assert!(bar.due(late, 1, MIN_BYTES), "a file at the threshold");
        assert!(!bar.due(late, MIN_BYTES, MIN_BYTES), "the work is done");
        bar.advance_at(late, 1, MIN_BYTES);
        assert!(
            !bar.due(late + REDRAW / 2, 2, MIN_BYTES),
            "too soon after a draw"
        );
        assert!(bar.due(late + REDRAW, 2, MIN_BYTES));
        bar.begin_at(t0, "configurations", Work::Items);
        assert!(!bar.due(late, 1, MIN_ITEMS - 1));
        assert!(bar.due(late, 1, MIN_ITEMS));
        // Without a writer nothing is ever due.
        let mut quiet: Bar<Vec<u8>> = Bar::new(None);
        quiet.begin_at(t0, "big.reg", Work::Bytes);
        assert!(!quiet.due(late, 1, MIN_BYTES));
    }

    /// What is drawn: the line at the start of the terminal's line, then blanks over it at the end.
    #[test]
    fn the_bar_is_drawn_in_place_and_cleared() {
        let t0 = Instant::now();
        let mut bar = Bar::new(Some(Vec::new()));
        bar.begin_at(t0, "big.reg", Work::Bytes);
        bar.advance_at(t0 + DELAY, 3 * 1024 * 1024, 6 * 1024 * 1024);
        bar.end();
        let out = String::from_utf8(bar.into_inner().expect("a writer")).expect("UTF-8");
        let drawn = "big.reg [###############...............]  50% 3.0 of 6.0 MiB";
        let blank = " ".repeat(drawn.chars().count());
        assert_eq!(out, format!("\r{drawn}\r{blank}\r"));
    }

    #[test]
    fn the_line_shows_the_share_and_the_amount() {
        assert_eq!(
            line("configurations", Work::Items, 4, 16),
            "configurations [#######.......................]  25% 4 of 16"
        );
        assert_eq!(
            line("x", Work::Items, 0, 0),
            "x [##############################] 100% 0 of 0"
        );
        let long = format!("{}/end.reg", "d".repeat(60));
        let shown = line(&long, Work::Bytes, 0, MIN_BYTES);
        assert!(
            shown.starts_with('…') && shown.contains("dddd/end.reg ["),
            "{shown}"
        );
        assert_eq!(short_name(&long).chars().count(), NAME_CHARS);
    }
}
