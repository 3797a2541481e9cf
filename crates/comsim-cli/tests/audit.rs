//! `comsim audit` as a user runs it, on the fixture machine of `fixtures/audit/` (a `.reg` export
//! with several classes registered in different ways, audited with only CLR 4.0 installed):
//! - the text report is snapshotted (the outcomes and causes per class, the summary by cause);
//! - the CSV has a header and one row per class and configuration, quoted as RFC 4180 says
//!   (snapshotted);
//! - the JSON output's keys are named in docs/json.md;
//! - `--fail-on`'s exit codes; a bad `--fail-on` is bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

mod json_keys;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `comsim audit --reg fixtures/audit/machine.reg --clrs v4.0.30319 EXTRA...`, in the workspace root.
fn audit(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comsim"))
        .args([
            "audit",
            "--reg",
            "fixtures/audit/machine.reg",
            "--clrs",
            "v4.0.30319",
        ])
        .args(extra)
        .current_dir(root())
        .env_clear()
        .output()
        .expect("comsim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn audit_text_report_of_the_fixture_machine() {
    let o = audit(&[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!("audit_text", stdout(&o));
}

/// One row per class and configuration after the header; every line ends in CRLF and has the
/// header's number of fields once RFC 4180's quoting is read.
#[test]
fn audit_csv_has_a_row_per_class_and_configuration() {
    let o = audit(&["--format", "csv"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let rows = parse_csv(&text);
    let json: Value = serde_json::from_slice(&audit(&["--format", "json"]).stdout).unwrap();
    assert_eq!(
        rows.len(),
        1 + json["totals"]["runs"].as_u64().unwrap() as usize
    );
    assert_eq!(rows[0][0], "clsid");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    insta::assert_snapshot!("audit_csv", text);
}

/// Each CSV row says what the JSON output says of the same class and configuration, field by
/// field, on the fixture machine and on a machine whose ProgID holds a comma and quotes (which
/// RFC 4180 quotes, doubling the quotes).
#[test]
fn audit_csv_rows_say_what_the_json_says() {
    let dir = std::env::temp_dir().join(format!("comsim-audit-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let quoted = dir.join("quoted.reg");
    let key = r"HKEY_LOCAL_MACHINE\SOFTWARE\Classes\CLSID\{0B5E7C1A-2D3F-4A6B-8C9D-0E1F2A3B4C5D}";
    std::fs::write(
        &quoted,
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[{key}]\r\n@=\"Widget\"\r\n\r\n\
             [{key}\\InprocServer32]\r\n@=\"C:\\\\Program Files\\\\Fabrikam, Inc\\\\widget.dll\"\r\n\r\n\
             [{key}\\ProgID]\r\n@=\"Fabrikam.\\\"Widget\\\",1\"\r\n"
        ),
    )
    .unwrap();
    let run = |reg: &std::path::Path, format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_comsim"))
            .args(["audit", "--reg"])
            .arg(reg)
            .args(["--clrs", "v4.0.30319", "--format", format])
            .current_dir(root())
            .env_clear()
            .output()
            .expect("comsim runs");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        stdout(&o)
    };
    let mut progids = Vec::new();
    for reg in [root().join("fixtures/audit/machine.reg"), quoted] {
        let rows = parse_csv(&run(&reg, "csv"));
        let json: Value = serde_json::from_str(&run(&reg, "json")).unwrap();
        let mut expected = vec![rows[0].clone()];
        for class in json["classes"].as_array().unwrap() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            for r in class["results"].as_array().unwrap() {
                let cfg = json["configs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["id"] == r["config"])
                    .unwrap();
                let causes: Vec<String> =
                    r["causes"].as_array().unwrap().iter().map(text).collect();
                expected.push(vec![
                    text(&class["clsid"]),
                    text(&class["progid"]),
                    (if class["managed"] == true {
                        "managed"
                    } else {
                        "native"
                    })
                    .to_owned(),
                    text(&r["config"]),
                    text(&cfg["bitness"]),
                    text(&cfg["client"]),
                    text(&cfg["built_for"]),
                    cfg["elevated"].to_string(),
                    text(&r["kind"]),
                    text(&r["hresult"]),
                    causes.join(" "),
                    text(&r["summary"]),
                ]);
            }
            progids.push(text(&class["progid"]));
        }
        assert_eq!(rows, expected, "{}", reg.display());
    }
    assert!(
        progids.contains(&r#"Fabrikam."Widget",1"#.to_owned()),
        "{progids:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small RFC 4180 reader: fields split at commas outside quotes, `""` inside quotes is a quote,
/// records end at CRLF outside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\n', false) => panic!("a bare LF ends a record"),
            (c, _) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last record ends in CRLF"
    );
    rows
}

#[test]
fn audit_json_keys_are_documented() {
    let md = std::fs::read_to_string(root().join("docs/json.md")).unwrap();
    let section = md
        .split("## `comsim audit`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("docs/json.md has a `comsim audit` section");
    let v: Value = serde_json::from_slice(&audit(&["--format", "json"]).stdout).unwrap();
    assert_eq!(v["format_version"], 1);
    let missing = json_keys::undocumented(&[v], section, &[]);
    assert!(
        missing.is_empty(),
        "docs/json.md does not name: {missing:?}"
    );
}

/// Exit 1 when a cause `--fail-on` names is found (or any, with `any`), 0 when none is, 2 when
/// `--fail-on` names no cause of the catalogue.
#[test]
fn fail_on_exit_codes() {
    assert_eq!(audit(&["--fail-on", "any"]).status.code(), Some(1));
    assert_eq!(
        audit(&["--fail-on", "treatas-missing"]).status.code(),
        Some(1)
    );
    assert_eq!(
        audit(&["--fail-on", "codebase-missing", "identity-mismatch"])
            .status
            .code(),
        Some(0)
    );
    // Only the classes the filters keep count.
    assert_eq!(
        audit(&["--fail-on", "treatas-missing", "--managed-only"])
            .status
            .code(),
        Some(0)
    );
    let bad = audit(&["--fail-on", "no-such-cause"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("arg-cause"));
}

/// The text report lists the first 20 files a registry export made it assume and counts the
/// rest (a whole machine's export assumes thousands); JSON lists them all.
#[test]
fn the_text_report_lists_twenty_assumed_files_and_counts_the_rest() {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for i in 0..30 {
        text.push_str(&format!(
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{{{i:08X}-0000-4000-8000-0000000000C1}}\\InprocServer32]\r\n@=\"C:\\\\Lib\\\\n{i}.dll\"\r\n\r\n"
        ));
    }
    let path =
        std::env::temp_dir().join(format!("comsim-audit-assumed-{}.reg", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_comsim"))
            .args(["audit", "--format", format, "--reg"])
            .arg(&path)
            .env_clear()
            .output()
            .expect("comsim runs")
    };
    let (text, json) = (run("text"), run("json"));
    let _ = std::fs::remove_file(&path);
    let text = stdout(&text);
    let listed = text
        .lines()
        .filter(|l| l.starts_with(r"  C:\Lib\n"))
        .count();
    assert_eq!(listed, 20, "{text}");
    assert!(
        text.contains("assumed (30 files; only registry exports or hives were given):"),
        "{text}"
    );
    assert!(
        text.contains("  ... and 10 more (`--format json` lists them all)"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["assumptions"].as_array().map(Vec::len), Some(30));
}
