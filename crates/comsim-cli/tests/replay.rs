//! `comsim replay` as a user sees it: the text rendering of a handful of scenarios (one of each
//! way a step is shown, named after the scenario's directory) and the JSON rendering of one, run
//! from the workspace root with relative paths; the shape of the JSON output; and `docs/json.md`
//! checked against the real output, so the documentation cannot drift from the code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

mod common;

use common::{html_page_snapshot, root, run_comsim};

/// The scenario the JSON tests replay.
const TEACHING: &str = "fixtures/scenarios/managed-class-regasm-codebase";

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn comsim(args: &[&str]) -> Output {
    let out = run_comsim(args);
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Renders a run as a terminal would show it.
fn shown(args: &[&str]) -> String {
    let o = comsim(args);
    format!(
        "$ comsim {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        o.code,
        o.stdout,
        o.stderr
    )
}

/// The scenarios whose text rendering is snapshotted: one of each way a step is shown. Every
/// scenario's behaviour (outcome and trace) is snapshotted as data by
/// `crates/comsim-scenario/tests/replay.rs`.
const TEXT_SNAPSHOTS: &[&str] = &[
    // The README's teaching scenario: two CLRs side by side, an inferred rule.
    "classic-32bit-client-32bit-regasm",
    // regasm, then `show`, then a client of each bitness.
    "regasm-32bit-then-64bit-client",
    // regasm's console with errors and its exit code.
    "regasm-console-errors",
    // A native client: one run per step, in one column.
    "native-client-managed-class",
    // Registration-free activation through manifests.
    "sxs-reg-free",
    // Exceptions with their HRESULTs and messages.
    "bind-failures",
    // A process that fails to start.
    "sxs-startup-failure",
    // `import` and `delete` with their registry differences, a denied delete.
    "machine-steps-import-delete",
];

#[test]
fn scenario() {
    for name in TEXT_SNAPSHOTS {
        let arg = format!("fixtures/scenarios/{name}");
        let text = shown(&["replay", &arg, "--clr", "both"]);
        insta::with_settings!({
            snapshot_suffix => *name,
            input_file => root().join(&arg).join("scenario.toml"),
        }, {
            insta::assert_snapshot!(text);
        });
    }
}

/// Below 140 columns the two CLRs' runs of a step are shown one after the other, the steps and
/// fields that differ from the other run marked `*`; every line fits the width asked for, except
/// a word longer than the room, which is cut.
#[test]
fn narrow_width_stacks_the_two_clrs() {
    let arg = "fixtures/scenarios/classic-32bit-client-32bit-regasm";
    let text = shown(&["replay", arg, "--clr", "both", "--width", "100"]);
    for l in text.lines() {
        assert!(
            l.chars().count() <= 100,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    assert!(!text.contains(" | "), "no side-by-side row at 100 columns");
    insta::assert_snapshot!(text);
}

/// `COLUMNS` sets the width when `--width` does not, and `--width` wins over it; with neither
/// (and no terminal) the layout is the fixed 147 columns, whatever the environment.
#[test]
fn width_comes_from_the_flag_then_columns() {
    let arg = "fixtures/scenarios/classic-32bit-client-32bit-regasm";
    let run = |columns: Option<&str>, extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_comsim"));
        cmd.args(["replay", arg])
            .args(extra)
            .current_dir(root())
            .env_clear();
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        String::from_utf8(cmd.output().expect("comsim runs").stdout).expect("UTF-8")
    };
    let default = run(None, &[]);
    let widest = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest(&default) <= 147 && default.contains(" | "));
    assert_eq!(run(Some("100"), &[]), run(None, &["--width", "100"]));
    assert_eq!(run(Some("100"), &["--width", "147"]), default);
    assert_eq!(run(Some("not a number"), &[]), default);
}

/// Writing to a reader that has gone (`comsim reg query ... | head -1`) ends quietly with exit 0:
/// the reader asked for no more, so nothing failed. The output is made far larger than a pipe's
/// buffer, so that comsim is still writing when the reader goes.
#[test]
fn closed_pipe_ends_quietly_with_exit_0() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("comsim-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let reg = dir.join("many.reg");
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for i in 0..5000 {
        text.push_str(&format!(
            "\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Pipe\\Key{i:05}]\r\n\"Value\"=\"{i:0>60}\"\r\n"
        ));
    }
    std::fs::write(&reg, text).expect("write the .reg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_comsim"))
        .args(["reg", "query", r"HKLM\SOFTWARE\Pipe", "-s", "--reg"])
        .arg(&reg)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("comsim starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    // The reader is dropped here: the pipe is closed, as `head -1` closes it.
    let out = child.wait_with_output().expect("comsim ends");
    std::fs::remove_dir_all(&dir).ok();
    assert!(!first.is_empty());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

/// The Mermaid rendering (`--format mermaid`) of three scenarios: two CLRs that take different
/// paths, failures with their HRESULTs, and a process that does not start. `.ci/run` has
/// Mermaid's own parser read the charts of every bundled scenario.
#[test]
fn scenario_mermaid() {
    for name in [
        "classic-32bit-client-32bit-regasm",
        "bind-failures",
        "sxs-startup-failure",
    ] {
        let arg = format!("fixtures/scenarios/{name}");
        let text = shown(&["replay", &arg, "--format", "mermaid"]);
        insta::with_settings!({ snapshot_suffix => name }, {
            insta::assert_snapshot!(text);
        });
    }
}

/// `--bind-log`: each binding attempt as a fuslogvw entry (BIND-1..BIND-6, docs/bind-log.md),
/// for three scenarios: a GAC hit, probing that fails, an application-base hit and a CodeBase
/// bound by location (a where-ref bind); every way a found file is refused (a mismatch at the
/// CodeBase and in the application base, BIND-6); and a `.config` redirect with its
/// post-policy reference.
#[test]
fn scenario_bind_log() {
    for name in [
        "bind-gac-appbase-codebase",
        "bind-failures",
        "bind-config-redirect",
    ] {
        let arg = format!("fixtures/scenarios/{name}");
        let text = shown(&["replay", &arg, "--bind-log"]);
        insta::with_settings!({ snapshot_suffix => name }, {
            insta::assert_snapshot!(text);
        });
    }
}

/// The example of `docs/bind-log.md` is what comsim writes: its command is run, and its lines
/// (but the `...` that stand for lines left out) appear in the output, in order.
#[test]
fn bind_log_doc_example_is_real_output() {
    let doc = std::fs::read_to_string(root().join("docs/bind-log.md")).unwrap();
    let block = doc
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("an example");
    let mut lines = block.lines();
    let command = lines.next().unwrap().strip_prefix("$ comsim ").unwrap();
    let args: Vec<&str> = command.split(' ').collect();
    let o = comsim(&args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut rest = o.stdout.as_str();
    for line in lines.filter(|l| *l != "...") {
        let at = rest
            .find(&format!("{line}\n"))
            .unwrap_or_else(|| panic!("not in the output (in order): {line}"));
        rest = &rest[at + line.len()..];
    }
}

/// `--bind-log` replaces the other renderings: with `--format` it is refused.
#[test]
fn bind_log_is_a_rendering_of_its_own() {
    let o = comsim(&[
        "replay",
        "fixtures/scenarios/bind-failures",
        "--bind-log",
        "--format",
        "json",
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--format"), "{}", o.stderr);
}

/// The HTML rendering (`--format html`) of three scenarios, whole: one self-contained page each.
/// `cargo xtask browser-html` opens them in headless Chromium.
#[test]
fn scenario_html() {
    for name in [
        "classic-32bit-client-32bit-regasm",
        "bind-failures",
        "regasm-seed-002-version-subkeys",
    ] {
        let arg = format!("fixtures/scenarios/{name}");
        let o = comsim(&["replay", &arg, "--format", "html"]);
        assert!(o.stderr.is_empty(), "{}", o.stderr);
        let shown = html_page_snapshot(name, &o.stdout);
        insta::with_settings!({ snapshot_suffix => name }, {
            insta::assert_snapshot!(shown);
        });
    }
}

/// The README shows the chart of one request; it is the one comsim draws today.
#[test]
fn readme_mermaid_example_is_what_comsim_draws() {
    let o = comsim(&[
        "replay",
        "fixtures/scenarios/progid-lookup",
        "--format",
        "mermaid",
    ]);
    let step = o
        .stdout
        .split("\n## ")
        .find(|s| s.starts_with("Step 4:"))
        .expect("progid-lookup has a step 4");
    let chart = &step[step.find("```mermaid").expect("a chart")..];
    let chart = &chart[..chart.find("\n```\n").expect("the chart ends") + 4];
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    // The README indents the chart under a list item.
    let indented: String = chart
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("  {l}\n")
            }
        })
        .collect();
    assert!(
        readme.contains(&indented),
        "README.md's Mermaid example differs from what comsim draws now:\n{indented}"
    );
}

/// The JSON rendering of a scenario with request runs and machine steps (an import, a denied
/// delete, a delete), whole.
#[test]
fn scenario_json() {
    let text = shown(&[
        "replay",
        "fixtures/scenarios/machine-steps-import-delete",
        "--format",
        "json",
    ]);
    insta::assert_snapshot!(text);
}

fn replay_json(extra: &[&str]) -> Value {
    let mut args = vec!["replay", TEACHING, "--format", "json"];
    args.extend_from_slice(extra);
    let o = comsim(&args);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert!(o.stderr.is_empty(), "{}", o.stderr);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", o.stdout))
}

fn is_str(v: &Value, key: &str) -> bool {
    v.get(key).is_some_and(Value::is_string)
}

#[test]
fn json_has_the_documented_shape() {
    let v = replay_json(&["--switch", "runtime-match=exact"]);
    assert_eq!(
        v["format_version"],
        comsim_scenario::FORMAT_VERSION,
        "the stability contract's version"
    );
    assert_eq!(
        v["scenario"], "managed-class-regasm-codebase",
        "the scenario's directory name, not the path typed"
    );
    assert_eq!(
        v["file"], "scenario.toml",
        "the scenario file read, relative to its directory"
    );
    assert!(is_str(&v, "title"));
    assert!(v["description"].is_string() || v["description"].is_null());
    assert_eq!(v["switches"], serde_json::json!(["runtime-match=exact"]));
    assert_eq!(v["clrs"], serde_json::json!(["2.0", "4.0"]));
    let process = &v["process"];
    for key in ["client", "bitness", "apartment", "exe"] {
        assert!(is_str(process, key), "process.{key}");
    }
    assert!(process["elevated"].is_boolean());
    assert!(process["preloads_clr"].is_boolean());

    let runs = v["runs"].as_array().expect("runs is an array");
    // Two steps, each on CLR 2.0 then CLR 4.0.
    let order: Vec<(u64, &str)> = runs
        .iter()
        .map(|r| (r["step"].as_u64().unwrap(), r["clr"].as_str().unwrap()))
        .collect();
    assert_eq!(order, [(1, "2.0"), (1, "4.0"), (2, "2.0"), (2, "4.0")]);
    for r in runs {
        for key in ["name", "request", "apartment", "bitness"] {
            assert!(is_str(r, key), "runs[].{key}");
        }
        assert_eq!(r["bitness"], "64");
        let outcome = &r["outcome"];
        assert!(outcome.is_object());
        assert!(is_str(outcome, "kind"));
        let trace = r["trace"].as_array().expect("trace is an array");
        assert!(!trace.is_empty());
        for step in trace {
            assert!(is_str(step, "rule") && is_str(step, "text"), "{step}");
            for key in ["looked_at", "found", "inferred"] {
                assert!(
                    step.get(key).is_none_or(Value::is_string),
                    "{key} is a string when present"
                );
            }
        }
        for e in r["expectations"].as_array().expect("expectations") {
            for key in ["field", "expected", "location"] {
                assert!(is_str(e, key), "expectations[].{key}");
            }
            assert!(e["actual"].is_string() || e["actual"].is_null());
            assert_eq!(e["ok"], true);
            assert!(e.get("clr").is_none_or(|c| c == &r["clr"]));
        }
    }
    assert_eq!(runs[0]["outcome"]["kind"], "managed");
    assert_eq!(runs[0]["outcome"]["source"], "registry");
    assert_eq!(runs[3]["outcome"]["kind"], "com_object");
    assert_eq!(runs[3]["outcome"]["server"]["kind"], "inproc_managed");
    let summary = &v["summary"];
    assert_eq!(summary["steps"], 2);
    assert_eq!(summary["runs"], 4);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["passed"], summary["expectations"]);
}

#[test]
fn json_is_deterministic() {
    let a = comsim(&["replay", TEACHING, "--format", "json"]);
    let b = comsim(&["replay", TEACHING, "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn one_clr_runs_once_per_step() {
    let v = replay_json(&["--clr", "4.0"]);
    let clrs: Vec<&Value> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["clr"])
        .collect();
    assert_eq!(clrs, [&Value::from("4.0"), &Value::from("4.0")]);
    assert_eq!(v["clrs"], serde_json::json!(["4.0"]));
}

/// An open world (`files = "partial"`): the JSON run lists the outcome's assumptions with
/// their rules, the text says `assumes:`; a closed-world run has no `assumptions` key.
#[test]
fn open_world_outcomes_name_their_assumptions() {
    let args = [
        "replay",
        "fixtures/scenarios/open-world-not-provided",
        "--clr",
        "4.0",
    ];
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = comsim(&json_args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: Value = serde_json::from_str(&o.stdout).expect("JSON");
    let scanner = &v["runs"][1]["assumptions"];
    assert_eq!(
        scanner,
        &serde_json::json!([{ "rule": "COM-3", "path": "C:\\Program Files\\Northwind\\Scanner\\nwscan64.dll" }])
    );
    let first: Vec<&str> = v["runs"][0]["assumptions"]
        .as_array()
        .expect("assumptions")
        .iter()
        .filter_map(|a| a["rule"].as_str())
        .collect();
    assert_eq!(
        first,
        [
            "SXS-1", "SHIM-4", "BIND-3", "BIND-3", "BIND-3", "BIND-3", "BIND-4"
        ]
    );
    let text = comsim(&args).stdout;
    assert!(
        text.contains(
            "assumes: C:\\Program Files\\Northwind\\Scanner\\nwscan64.dll does not exist (COM-3;"
        ),
        "{text}"
    );
    let closed = replay_json(&[]);
    assert!(
        closed["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .all(|r| r.get("assumptions").is_none())
    );
}

#[test]
fn a_bad_switch_exits_2_naming_it() {
    let o = comsim(&["replay", TEACHING, "--switch", "runtime-match=fuzzy"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    assert!(
        o.stderr.contains("runtime-match=fuzzy") && o.stderr.contains("major-minor or exact"),
        "{}",
        o.stderr
    );
    let o = comsim(&["replay", TEACHING, "--switch", "no-such-switch"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("is not `name=value`"), "{}", o.stderr);
}

#[test]
fn a_missing_scenario_exits_2_with_a_located_error() {
    let o = comsim(&["replay", "fixtures/scenarios/does-not-exist"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    assert!(
        o.stderr
            .starts_with("fixtures/scenarios/does-not-exist:1:1: error["),
        "{}",
        o.stderr
    );
}

// -------------------------------------------------------------------------------------------------
// docs/json.md against the output

/// Every key path of a JSON value (`runs[].outcome.kind`) with the JSON types seen there.
fn key_paths(v: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    let ty = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !path.is_empty() {
        out.entry(path.to_owned()).or_default().insert(ty);
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                key_paths(child, &p, out);
            }
        }
        Value::Array(items) => {
            for child in items {
                key_paths(child, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn docs() -> String {
    let path = root().join("docs/json.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fenced ```json blocks of a Markdown text.
fn json_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match &mut cur {
            None if line.trim_start().starts_with("```json") => cur = Some(String::new()),
            Some(b) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(b));
                cur = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Whether the documentation names `key` as code: `` `key` `` (tables and prose).
fn documented(md: &str, key: &str) -> bool {
    md.contains(&format!("`{key}`"))
}

#[test]
fn docs_json_example_keys_are_in_the_real_output() {
    let md = docs();
    let blocks = json_blocks(&md);
    assert!(!blocks.is_empty(), "docs/json.md has no ```json example");
    let example: Value = serde_json::from_str(&blocks[0])
        .unwrap_or_else(|e| panic!("the first ```json block of docs/json.md does not parse: {e}"));
    let mut documented_paths = BTreeMap::new();
    key_paths(&example, "", &mut documented_paths);

    let mut real = BTreeMap::new();
    key_paths(&replay_json(&[]), "", &mut real);

    let mut problems = Vec::new();
    for (path, types) in &documented_paths {
        match real.get(path) {
            None => problems.push(format!("`{path}` is in the example but not in the output")),
            Some(seen) => {
                for t in types {
                    // `null` stands for an absent optional value in the example.
                    if *t != "null" && !seen.contains(t) {
                        problems.push(format!(
                            "`{path}` is a {t} in the example, {seen:?} in the output"
                        ));
                    }
                }
            }
        }
    }
    // A key is named by its own name or by a dotted tail of its path (`server.runtime_started`).
    for path in real.keys() {
        let parts: Vec<&str> = path.split('.').map(|p| p.trim_end_matches("[]")).collect();
        let named = (0..parts.len()).any(|i| documented(&md, &parts[i..].join(".")));
        if !named {
            problems.push(format!(
                "`{path}` is in the output, and docs/json.md never names `{}`",
                parts[parts.len() - 1]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/json.md drifted:\n{}",
        problems.join("\n")
    );
}

/// Every outcome kind, with every optional field present, serialised as `--format json` does:
/// each key must be documented. A new kind fails to compile here until it is added.
#[test]
fn docs_json_names_every_outcome_field() {
    use comsim_manifest::Guid;
    use comsim_resolver::{
        HResult, LoadedType, Outcome, RuntimeVersion, Server, ServerKind, Source, WinPath,
    };

    let guid = Guid::parse("{3F1A2B4C-5D6E-4F70-8192-A3B4C5D6E7F8}").unwrap();
    let rt = RuntimeVersion::parse("v4.0.30319").unwrap();
    let loaded = LoadedType {
        type_name: "T".into(),
        assembly: "A".into(),
        path: WinPath::parse(r"C:\A.dll").unwrap(),
        runtime: rt.clone(),
        source: Source::Registry,
        pia: true,
        com_import: true,
    };
    let outcomes = [
        Outcome::Managed {
            loaded: Box::new(loaded.clone()),
            created: true,
        },
        Outcome::ComObject {
            type_name: "System.__ComObject".into(),
            clsid: guid,
            wrapper: Some(Box::new(loaded.clone())),
            server: Some(Box::new(Server {
                kind: ServerKind::InprocManaged,
                clsid: guid,
                file: "mscoree.dll".into(),
                process: "client process".into(),
                apartment: Some(comsim_resolver::ObjectApartment::ClientSta),
                runtime: Some(rt.clone()),
                runtime_started: true,
                managed: Some(loaded),
            })),
        },
        Outcome::Exception {
            exception: "E".into(),
            hresult: HResult::FILE_NOT_FOUND,
            message: "m".into(),
        },
        Outcome::Hresult {
            hresult: HResult::REGDB_E_CLASSNOTREG,
            name: "REGDB_E_CLASSNOTREG".into(),
            message: "m".into(),
        },
        Outcome::Null {
            message: "m".into(),
        },
        Outcome::StartupFailure {
            error: Some(14001),
            hresult: Some(HResult::CLR_E_SHIM_RUNTIMELOAD),
            message: "m".into(),
        },
    ];
    let md = docs();
    let mut missing = Vec::new();
    for o in &outcomes {
        // Exhaustive: a new outcome kind must be added above (and to docs/json.md).
        match o {
            Outcome::Managed { .. }
            | Outcome::ComObject { .. }
            | Outcome::Exception { .. }
            | Outcome::Hresult { .. }
            | Outcome::Null { .. }
            | Outcome::StartupFailure { .. } => {}
        }
        if !documented(&md, o.kind()) {
            missing.push(format!("the outcome kind `{}`", o.kind()));
        }
        let mut paths = BTreeMap::new();
        key_paths(&serde_json::to_value(o).unwrap(), "", &mut paths);
        for path in paths.keys() {
            if !documented(&md, path) && !documented(&md, &format!("outcome.{path}")) {
                missing.push(format!("`{path}` of a `{}` outcome", o.kind()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/json.md does not document:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_scenario_directory_has_a_scenario_file() {
    let dir = root().join("fixtures/scenarios");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert!(
                Path::new(&path).join("scenario.toml").is_file(),
                "{} has no scenario.toml, so no snapshot covers it",
                path.display()
            );
        }
    }
}

/// The bind log is made from the data the binding steps carry (`TraceStep::bind`), not from
/// their text: over every bundled scenario on both CLRs, that data says what the trace shows.
/// Every bind starts with its setting; a GAC or application-base miss probed exactly the paths
/// its `looked_at` lists, in order; a hit reached the file it names; a registration's CodeBase
/// step is marked as a where-ref bind.
#[test]
fn bind_log_data_agrees_with_the_trace_of_every_scenario() {
    let dirs = comsim_scenario::find_scenarios(&[root().join("fixtures/scenarios")]).unwrap();
    let options = comsim_scenario::ReplayOptions {
        clrs: comsim_scenario::ClrChoice::Both,
        switches: Vec::new(),
    };
    let mut checked = 0;
    for dir in dirs {
        let s = comsim_scenario::load(&dir).unwrap();
        let replay = comsim_scenario::replay(&s, &options).unwrap();
        for step in &replay.steps {
            let comsim_scenario::StepRun::Request(rr) = step else {
                continue;
            };
            for run in &rr.runs {
                for t in &run.run.trace.steps {
                    checked += check_bind_facts(&dir, t);
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} binding steps checked");
}

/// Checks one step's bind data against its trace fields; 1 when the step is a binding step.
fn check_bind_facts(dir: &Path, t: &comsim_resolver::TraceStep) -> usize {
    let code = t.code.unwrap_or_default();
    let facts = t.bind.as_deref();
    let at = t.looked_at.as_deref().unwrap_or_default();
    let here = format!("{}: {code}", dir.display());
    match code {
        "bind-request" => {
            let f = facts.unwrap_or_else(|| panic!("{here}: no data"));
            let ctx = f
                .context
                .as_ref()
                .unwrap_or_else(|| panic!("{here}: no setting"));
            assert_eq!(
                f.reference.as_deref(),
                Some(ctx.name.display().as_str()),
                "{here}"
            );
        }
        "gac-miss" | "appbase-miss" => {
            let f = facts.unwrap_or_else(|| panic!("{here}: no data"));
            let probed: Vec<String> = f.probed.iter().map(ToString::to_string).collect();
            assert_eq!(probed.join("; "), at, "{here}");
        }
        "gac-hit" | "appbase-hit" | "probe-mismatch" => {
            let file = facts.and_then(|f| f.file.as_ref());
            let file = file
                .unwrap_or_else(|| panic!("{here}: no file"))
                .to_string();
            assert!(file.eq_ignore_ascii_case(at), "{here}: {file} is not {at}");
        }
        "codebase-loaded" | "codebase-other-assembly" | "codebase-file-missing" => {
            let f = facts.unwrap_or_else(|| panic!("{here}: no data"));
            assert!(f.file.is_some(), "{here}: no file");
            // The registration's CodeBase is a where-ref bind; the .config's <codeBase>, which
            // the step's text names, is not.
            let config = t.text.contains("the .config's <codeBase>");
            assert_eq!(f.where_ref, !config, "{here}: {}", t.text);
        }
        _ => return 0,
    }
    1
}
