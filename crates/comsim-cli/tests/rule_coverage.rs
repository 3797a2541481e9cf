//! Every rule of `docs/rules.md` must be cited by the trace of at least one reviewed scenario
//! snapshot (the behaviour snapshots `crates/comsim-scenario/tests/snapshots/behaviour@*.snap`,
//! written by `crates/comsim-scenario/tests/replay.rs`: each trace step's `rule`), so that each rule
//! is shown working on a fixture a reader can run. The rules are the project's own:
//! `<workspace root>/docs/rules.md`, one Markdown list item per rule (`- SHIM-REG-3 …`).

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Rule groups no scenario can cite yet. ASM (regasm) has no simulator command; the regasm issue
/// removes it from this list.
const EXCLUDED_GROUPS: &[&str] = &[];

/// The groups `rules.md` defines; the extraction must find each, so the coverage test cannot
/// pass on an empty or misread file.
const EXPECTED_GROUPS: &[&str] = &[
    "REQ", "SXS", "REG", "SHIM-REG", "LCC", "BIND", "COM", "SHIM", "MSG", "ASM",
];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rules_md() -> String {
    let path = workspace_root().join("docs/rules.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the rules at {} ({e}); they are part of the repository, as `docs/rules.md`",
            path.display()
        )
    })
}

/// Whether `s` is a rule ID: `[A-Z]+[0-9]*(-[A-Z]+)?-[0-9]+` (`SHIM-REG-3`, `LCC2-1`, `LCC-6`).
fn is_rule_id(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let upper = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_uppercase() {
            *i += 1;
        }
        *i > start
    };
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !upper(&mut i) {
        return false;
    }
    digits(&mut i);
    if i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    if upper(&mut i) {
        if i >= b.len() || b[i] != b'-' {
            return false;
        }
        i += 1;
    }
    digits(&mut i) && i == b.len()
}

/// A rule's group: its leading letters, and a second word of letters if it has one
/// (`SHIM-REG-3` → `SHIM-REG`, `LCC2-1` and `LCC-6` → `LCC`).
fn group(id: &str) -> String {
    let letters: String = id.chars().take_while(char::is_ascii_uppercase).collect();
    let rest = &id[letters.len()..];
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix('-') {
        Some(r) if r.starts_with(|c: char| c.is_ascii_uppercase()) => {
            let second: String = r.chars().take_while(char::is_ascii_uppercase).collect();
            format!("{letters}-{second}")
        }
        _ => letters,
    }
}

/// The rule IDs `rules.md` defines: list items that start with one (`- SHIM-REG-3 Key: …`).
fn rule_ids(md: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in md.lines() {
        let Some(item) = line.strip_prefix("- ") else {
            continue;
        };
        let Some(first) = item.split_whitespace().next() else {
            continue;
        };
        if is_rule_id(first) && !ids.iter().any(|i| i == first) {
            ids.push(first.to_owned());
        }
    }
    ids
}

/// The rule IDs a behaviour snapshot's traces cite: the `rule` of every trace step (the
/// machine's setup, each run, each machine step). Rule IDs mentioned in prose do not count.
fn cited(snapshot: &str) -> BTreeSet<String> {
    // An insta snapshot: a `---` header, then the JSON.
    let json = snapshot
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(snapshot, |(_, body)| body);
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("a behaviour snapshot: {e}"));
    let mut out = BTreeSet::new();
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => {
                for key in ["setup", "trace"] {
                    let steps = map.get(key).and_then(|t| t.as_array());
                    for step in steps.into_iter().flatten() {
                        if let Some(rule) = step.get("rule").and_then(|r| r.as_str())
                            && is_rule_id(rule)
                        {
                            out.insert(rule.to_owned());
                        }
                    }
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    out
}

#[test]
fn rule_ids_are_recognised() {
    for id in ["SHIM-REG-3", "LCC2-1", "LCC-6", "REQ-1", "SXS-8", "MSG-6"] {
        assert!(is_rule_id(id), "{id}");
    }
    for not in [
        "SHIM-REG",
        "LCC2",
        "REQ-",
        "req-1",
        "REQ-1.",
        "-1",
        "SHIM-REG-3x",
    ] {
        assert!(!is_rule_id(not), "{not}");
    }
    assert_eq!(group("SHIM-REG-3"), "SHIM-REG");
    assert_eq!(group("LCC2-1"), "LCC");
    assert_eq!(group("LCC-6"), "LCC");
    assert_eq!(group("SHIM-1"), "SHIM");
    let snapshot = r#"---
source: crates/comsim-scenario/tests/replay.rs
expression: value
---
{
  "setup": [{ "rule": "REG-4", "looked_at": "x.reg" }],
  "steps": [
    { "runs": [{ "trace": [{ "rule": "SHIM-REG-1", "found": "see REQ-1" }] },
               { "trace": [{ "rule": "LCC4-4" }] }] },
    { "action": "delete", "trace": [{ "rule": "REG-4" }], "changes": [] }
  ]
}"#;
    assert_eq!(
        cited(snapshot).into_iter().collect::<Vec<_>>(),
        ["LCC4-4", "REG-4", "SHIM-REG-1"]
    );
}

#[test]
fn rules_md_defines_every_group() {
    let ids = rule_ids(&rules_md());
    let groups: BTreeSet<String> = ids.iter().map(|i| group(i)).collect();
    for g in EXPECTED_GROUPS {
        assert!(
            groups.contains(*g),
            "rules.md defines no rule of group {g}; found groups {groups:?}"
        );
    }
    assert!(
        ids.len() >= 50,
        "only {} rules found in rules.md",
        ids.len()
    );
}

/// The list item that defines `id` in `docs/rules.md`: its first line and the indented lines that
/// continue it.
fn rule_entry<'a>(md: &'a str, id: &str) -> Option<Vec<&'a str>> {
    let mut lines = md.lines().skip_while(|l| {
        l.strip_prefix("- ")
            .and_then(|item| item.split_whitespace().next())
            != Some(id)
    });
    let first = lines.next()?;
    let mut entry = vec![first];
    entry.extend(lines.take_while(|l| l.is_empty() || l.starts_with("  ")));
    Some(entry)
}

#[test]
fn rules_md_documents_every_switch_with_its_rule() {
    let md = rules_md();
    for def in comsim_resolver::SWITCHES {
        let row = format!("| `{}` | {} |", def.name, def.rule);
        assert!(
            md.lines().any(|l| l.starts_with(&row)),
            "docs/rules.md's switch table has no row `{row}`"
        );
        let entry = rule_entry(&md, def.rule.as_str())
            .unwrap_or_else(|| panic!("docs/rules.md defines no rule {}", def.rule));
        let named = format!("`{}`", def.name);
        assert!(
            entry.iter().any(|l| l.contains(&named)),
            "rule {} in docs/rules.md does not name its switch {named}",
            def.rule
        );
    }
}

#[test]
fn every_rule_is_cited_by_a_scenario_snapshot() {
    let ids = rule_ids(&rules_md());
    let dir = workspace_root().join("crates/comsim-scenario/tests/snapshots");
    let mut seen = BTreeSet::new();
    let mut snapshots = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("behaviour@") && name.ends_with(".snap") {
            snapshots += 1;
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen.extend(cited(&text));
        }
    }
    assert!(snapshots > 0, "no behaviour@*.snap under {}", dir.display());
    let uncovered: Vec<&String> = ids
        .iter()
        .filter(|id| !EXCLUDED_GROUPS.contains(&group(id).as_str()))
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(
        uncovered.is_empty(),
        "{} of {} rules are cited by no scenario snapshot's trace ({} snapshots read):\n  {}",
        uncovered.len(),
        ids.len(),
        snapshots,
        uncovered
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
