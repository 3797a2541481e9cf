//! Rule IDs checked both ways: every [`Rule`] the code can cite is defined in `docs/rules.md`, and
//! every rule `docs/rules.md` defines is a [`Rule`]. A trace step can only cite a `Rule` (the
//! resolver, regasm and the scenario steps push `Rule` values, never strings), so the first
//! direction means no trace can cite an undefined rule; the second means no documented rule is
//! missing from the type, so nothing documented is out of the code's reach.

use std::collections::BTreeMap;
use std::path::PathBuf;

use comsim_rules::{Group, Rule};

fn rules_md() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether a word has the shape of a rule ID: capitals, digits and hyphens, with a hyphen, ending
/// in a digit (`SHIM-REG-3`, `LCC2-1`). Looser than the grammar on purpose, so that a misspelt
/// definition (`LCC-4-1`) is found and reported rather than skipped.
fn looks_like_id(word: &str) -> bool {
    word.contains('-')
        && word.ends_with(|c: char| c.is_ascii_digit())
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// The rules `docs/rules.md` defines: a list item at the start of a line whose first word is a
/// rule ID (`- SHIM-REG-3 The CLR …`), with the line number of each definition.
fn defined(md: &str) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (n, line) in md.lines().enumerate() {
        let Some(first) = line
            .strip_prefix("- ")
            .and_then(|i| i.split_whitespace().next())
        else {
            continue;
        };
        if looks_like_id(first) {
            out.entry(first.to_owned()).or_default().push(n + 1);
        }
    }
    out
}

#[test]
fn every_rule_the_code_can_cite_is_defined_in_docs_rules_md() {
    let defined = defined(&rules_md());
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.as_str())
        .filter(|id| !defined.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules the code can cite but docs/rules.md does not define: {missing:?}"
    );
}

#[test]
fn every_rule_docs_rules_md_defines_is_a_rule_of_the_code_once() {
    let defined = defined(&rules_md());
    assert!(
        defined.len() >= Rule::ALL.len(),
        "docs/rules.md defines {} rules",
        defined.len()
    );
    for (id, lines) in &defined {
        assert!(
            id.parse::<Rule>().is_ok(),
            "docs/rules.md line {lines:?} defines {id}, which is no comsim_rules::Rule"
        );
        assert_eq!(
            lines.len(),
            1,
            "docs/rules.md defines {id} twice: {lines:?}"
        );
    }
}

#[test]
fn every_group_has_its_section_in_docs_rules_md() {
    let md = rules_md();
    for g in Group::ALL {
        let heading = format!("## {}: ", g.as_str());
        assert!(
            md.lines().any(|l| l.starts_with(&heading)),
            "docs/rules.md has no section `{heading}…` for group {g}"
        );
    }
}

#[test]
fn the_extraction_finds_definitions_and_only_them() {
    let md = "- REQ-1 a rule\n  - REQ-2 nested, not a definition\n- LCC-4-1 misspelt\n- see REQ-3\n- `SXS-1` quoted\n";
    let d = defined(md);
    assert_eq!(d.keys().collect::<Vec<_>>(), ["LCC-4-1", "REQ-1"]);
    assert!("LCC-4-1".parse::<Rule>().is_err());
}
