//! The code map of `docs/architecture.md` stays true: one row per rule group, every module it
//! names exists and cites a rule of that group, and every example scenario exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use comsim_rules::{Group, Rule};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/comsim-rules sits two levels below the workspace root")
        .to_path_buf()
}

/// One row of the code map.
struct Row {
    modules: Vec<String>,
    scenarios: Vec<String>,
}

/// The backticked words of a table cell.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The rows of the table under `## Code map`, by group name.
fn code_map() -> BTreeMap<String, Row> {
    let path = workspace_root().join("docs/architecture.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Code map\n"))
        .expect("docs/architecture.md has a `## Code map` section");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.first() == Some(&"group") || cells.iter().all(|c| c.starts_with("---")) {
            continue;
        }
        assert_eq!(cells.len(), 4, "a code map row has 4 cells: {line}");
        let row = Row {
            modules: backticked(cells[2]),
            scenarios: backticked(cells[3]),
        };
        assert!(
            rows.insert(cells[0].to_owned(), row).is_none(),
            "group {} has two rows",
            cells[0]
        );
    }
    rows
}

#[test]
fn every_rule_group_has_one_row_and_nothing_else_does() {
    let rows = code_map();
    let mut expected: Vec<&str> = Group::ALL.iter().map(|g| g.as_str()).collect();
    expected.sort_unstable();
    let listed: Vec<&str> = rows.keys().map(String::as_str).collect();
    assert_eq!(
        listed, expected,
        "the code map lists exactly the rule groups"
    );
}

#[test]
fn every_module_named_exists_and_cites_a_rule_of_its_group() {
    let root = workspace_root();
    for (group, row) in code_map() {
        let group: Group = group.parse().expect("a group name");
        assert!(!row.modules.is_empty(), "{group} names no module");
        for module in &row.modules {
            let path = root.join(module);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{group}: {module} cannot be read: {e}"));
            let cites = group
                .rules()
                .any(|r: Rule| text.contains(r.as_str()) || text.contains(&format!("Rule::{r:?}")));
            assert!(cites, "{group}: {module} cites none of the group's rules");
        }
    }
}

#[test]
fn every_example_scenario_exists() {
    let root = workspace_root();
    for (group, row) in code_map() {
        assert_eq!(row.scenarios.len(), 1, "{group} names one example scenario");
        for name in &row.scenarios {
            let toml = root
                .join("fixtures/scenarios")
                .join(name)
                .join("scenario.toml");
            assert!(
                toml.is_file(),
                "{group}: example scenario {name} has no {}",
                toml.display()
            );
        }
    }
}
