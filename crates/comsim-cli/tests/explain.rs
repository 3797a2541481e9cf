//! `comsim explain` as a user sees it: a rule's text, sources and switches; an HRESULT's name,
//! exception and messages on both CLRs, given bare or inside a pasted error message; and the
//! error for something that is neither.

mod common;

use common::run_comsim;

fn shown(args: &[&str]) -> String {
    let out = run_comsim(args);
    format!(
        "$ comsim {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// An inferred rule (COM-2, cited by few scenarios, so that new fixtures seldom change this): its
/// text, confidence, sources resolved to their entries, its switch with
/// both values, and the scenarios that cite it.
#[test]
fn explain_an_inferred_rule_with_its_switch() {
    insta::assert_snapshot!(shown(&["explain", "com-2", "--width", "100"]));
}

/// MSG-1's CLR 4 text pasted whole: the HRESULT is found after the CLSID (whose first group is
/// not taken for one), and both CLRs' wordings are shown.
#[test]
fn explain_an_hresult_from_a_pasted_message() {
    insta::assert_snapshot!(shown(&[
        "explain",
        "--width",
        "100",
        "System.IO.FileNotFoundException: Retrieving the COM class factory for component with CLSID {80000000-0000-4000-8000-000000000001} failed due to the following error: 80070002 The system cannot find the file specified. (Exception from HRESULT: 0x80070002)",
    ]));
}

/// A system message without its code is recognised by its text.
#[test]
fn explain_an_hresult_by_its_system_message() {
    let out = run_comsim(&["explain", "Class", "not", "registered", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["hresult"]["code"], "0x80040154");
}

#[test]
fn explain_refuses_what_is_neither_a_rule_nor_an_hresult() {
    insta::assert_snapshot!(shown(&["explain", "it", "does", "not", "work"]));
}

/// The JSON holds every scenario, where the text names the first few.
#[test]
fn explain_json_lists_every_scenario() {
    let out = run_comsim(&["explain", "REQ-1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["rule"]["rule"], "REQ-1");
    let n = v["scenarios"].as_array().expect("scenarios").len();
    let listed = comsim_explain::SCENARIO_INDEX
        .lines()
        .filter(|l| l.starts_with("rule\tREQ-1\t"))
        .count();
    assert_eq!(n, listed);
    assert!(n > 6, "REQ-1 is cited by most scenarios: {n}");
}

/// A cause ID prints its section of docs/causes.md and its diagnose case; an HRESULT names the
/// causes that end in it.
#[test]
fn explain_a_cause_and_the_causes_of_an_hresult() {
    let out = run_comsim(&["explain", "other-view", "--width", "100"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("other-view (a cause"), "{text}");
    assert!(text.contains("fixtures/diagnose/other-view"), "{text}");
    let out = run_comsim(&["explain", "0x80040154", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let causes: Vec<&str> = v["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(causes.contains(&"other-view"), "{causes:?}");
}
