//! `docs/tutorial.md` runs: every ```` ```console ```` block's `$ comsim ...` command is run from
//! the repository's root, and the lines shown under it must appear in its output (standard
//! output, then standard error), in order; `...` stands for lines left out, and `(exit N)` gives
//! the exit code expected when it is not 0.

mod common;

use common::{root, run_comsim};

/// One command of the tutorial, with what it must print.
struct Example {
    /// The line of `docs/tutorial.md` the command is on, for messages.
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
    exit: i32,
}

/// Splits a command line on spaces; single or double quotes keep spaces in an argument.
fn split(command: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in command.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if any {
                    args.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        args.push(cur);
    }
    args
}

fn examples(md: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    for (n, l) in md.lines().enumerate() {
        if l.starts_with("```console") {
            in_console = true;
            continue;
        }
        if l.starts_with("```") {
            in_console = false;
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = l.strip_prefix("$ comsim ") {
            out.push(Example {
                line: n + 1,
                args: split(cmd),
                expected: Vec::new(),
                exit: 0,
            });
        } else if let Some(e) = out.last_mut() {
            if let Some(code) = l.strip_prefix("(exit ").and_then(|r| r.strip_suffix(')')) {
                e.exit = code.parse().expect("(exit N) holds a number");
            } else if l.trim() != "..." {
                e.expected.push(l.trim_end().to_owned());
            }
        } else {
            panic!(
                "docs/tutorial.md:{}: output before any `$ comsim` command",
                n + 1
            );
        }
    }
    out
}

#[test]
fn every_tutorial_command_prints_what_the_tutorial_shows() {
    let md = std::fs::read_to_string(root().join("docs/tutorial.md")).expect("docs/tutorial.md");
    let examples = examples(&md);
    assert!(examples.len() >= 6, "one command per lesson at least");
    let mut failures = Vec::new();
    for e in &examples {
        let args: Vec<&str> = e.args.iter().map(String::as_str).collect();
        let out = run_comsim(&args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let code = out.status.code().unwrap_or(-1);
        if code != e.exit {
            failures.push(format!(
                "docs/tutorial.md:{}: `comsim {}` exited {code}, the tutorial says {}",
                e.line,
                args.join(" "),
                e.exit
            ));
        }
        let mut lines = text.lines().map(str::trim_end);
        for want in &e.expected {
            if !lines.any(|l| l == want) {
                failures.push(format!(
                    "docs/tutorial.md:{}: `comsim {}` does not print, in this order:\n  {want}",
                    e.line,
                    args.join(" ")
                ));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tutorial_commands_split_like_a_shell() {
    assert_eq!(
        split(r"replay a\b  --x 'c d'"),
        ["replay", r"a\b", "--x", "c d"]
    );
}

/// The tutorial has its six lessons, each with a command.
#[test]
fn tutorial_has_the_six_lessons() {
    let md = std::fs::read_to_string(root().join("docs/tutorial.md")).expect("docs/tutorial.md");
    for lesson in [
        "Why does my 64-bit process not see the class?",
        "What changes between CLR 2 and CLR 4?",
        "Registration-free COM for a managed class",
        "What regasm writes, and what /u removes",
        "Two CLRs in one process",
        "Per-user registration and elevation",
    ] {
        let at = md
            .find(lesson)
            .unwrap_or_else(|| panic!("lesson {lesson:?}"));
        let next = md[at..].find("\n## ").map_or(md.len(), |n| at + n);
        assert!(
            md[at..next].contains("$ comsim "),
            "lesson {lesson:?} runs nothing"
        );
    }
}
