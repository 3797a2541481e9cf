//! `comsim diagnose` as a user runs it, over the cases under `fixtures/diagnose/<case>/` (the
//! error text, the exports, the application folder, and `args`: the command line, one argument
//! a line, run in the case's directory):
//!
//! - each case's text report is a snapshot (`diagnose@<case>.snap`);
//! - `docs/causes.md` and the code's cause table (`comsim_diagnose::causes::ALL`) name the same
//!   IDs, both ways;
//! - every cause has a case named after it whose diagnosis names that cause first, and whose
//!   first fix, replayed, makes the request succeed (exit code 0);
//! - `--save-scenario` writes a scenario that `comsim replay` accepts and whose expectations hold;
//! - the README's worked example runs, and prints what the README shows;
//! - the JSON output's keys are named in docs/json.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::root;
mod json_keys;

fn cases() -> Vec<PathBuf> {
    let dir = root().join("fixtures/diagnose");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args").is_file())
        .collect();
    out.sort();
    out
}

fn args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.join("args"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Runs `comsim diagnose ARGS... EXTRA...` in `dir`.
fn diagnose_in(dir: &Path, args: &[String], extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comsim"))
        .arg("diagnose")
        .args(args)
        .args(extra)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("comsim runs")
}

fn name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

/// Each case's report, as the user reads it, with its exit code.
#[test]
fn diagnose_case_reports() {
    for case in cases() {
        let out = diagnose_in(&case, &args(&case), &[]);
        let text = format!(
            "exit code: {}\n--- stdout\n{}--- stderr\n{}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        insta::assert_snapshot!(format!("diagnose@{}", name(&case)), text);
    }
}

/// `--bind-log`: the bind log of each configuration that reproduces the error (the BIND steps
/// as Fusion log entries, docs/bind-log.md), here a probe that reaches another version of the
/// assembly (0x80131040, the mismatch warning naming the build number).
#[test]
fn diagnose_bind_log() {
    let case = root().join("fixtures/diagnose/identity-mismatch");
    let out = diagnose_in(&case, &args(&case), &["--bind-log"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let log = &text[text.find("== Bind log:").expect("a bind log")..];
    insta::assert_snapshot!(log);
}

/// `--format mermaid`: the replay's chart of each configuration that reproduces the error, the
/// cause as a note linked from the outcomes it explains, and the outcome after its fix. `.ci/run`
/// has Mermaid's own parser read it.
#[test]
fn diagnose_mermaid() {
    let case = root().join("fixtures/diagnose/identity-mismatch");
    let out = diagnose_in(&case, &args(&case), &["--format", "mermaid"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// `--format html`: one self-contained page (nothing fetched), the cause, its evidence with each
/// rule linked to its text, the fix and the outcome after it, and each reproducing path drawn as
/// the replay draws a run. `cargo xtask browser-html` opens it in headless Chromium.
#[test]
fn diagnose_html() {
    let case = root().join("fixtures/diagnose/identity-mismatch");
    let out = diagnose_in(&case, &args(&case), &["--format", "html"]);
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8_lossy(&out.stdout);
    insta::assert_snapshot!(common::html_page_snapshot("diagnose", &html));
}

fn json_of(case: &Path, extra: &[&str]) -> Value {
    let mut a = args(case);
    a.extend(["--format".to_owned(), "json".to_owned()]);
    let out = diagnose_in(case, &a, extra);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not JSON ({e}): {}",
            name(case),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The cause IDs docs/causes.md defines: its `## \`id\`` headings.
fn documented_causes() -> BTreeSet<String> {
    let md = std::fs::read_to_string(root().join("docs/causes.md")).unwrap();
    md.lines()
        .filter_map(|l| l.strip_prefix("## `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// docs/causes.md and the code's table agree both ways, and each entry names its rules.
#[test]
fn causes_doc_and_table_agree() {
    let doc = documented_causes();
    let code: BTreeSet<String> = comsim_diagnose::causes::ALL
        .iter()
        .map(|c| c.id.to_owned())
        .collect();
    assert_eq!(doc, code, "docs/causes.md and causes::ALL differ");
    let md = std::fs::read_to_string(root().join("docs/causes.md")).unwrap();
    for c in comsim_diagnose::causes::ALL {
        let section = md
            .split(&format!("## `{}`", c.id))
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap();
        for r in c.rules {
            assert!(
                section.contains(r.as_str()),
                "docs/causes.md's `{}` does not name {}",
                c.id,
                r.as_str()
            );
        }
    }
}

/// Every cause has a case named after it; its diagnosis names the cause first, and the first
/// fix, replayed, makes the request succeed in a configuration that reproduced the error.
#[test]
fn every_cause_has_a_case_named_first_with_a_working_fix() {
    for c in comsim_diagnose::causes::ALL {
        let case = root().join("fixtures/diagnose").join(c.id);
        assert!(
            case.join("args").is_file(),
            "no case fixtures/diagnose/{}",
            c.id
        );
        let d = json_of(&case, &[]);
        let first = &d["causes"][0];
        assert_eq!(first["id"], c.id, "{}: another cause comes first", c.id);
        let after = first["fixes"][0]["after"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no fix", c.id));
        assert!(
            after
                .iter()
                .any(|a| a["kind"] == "managed" || a["kind"] == "com_object"),
            "{}: the fix does not make the request succeed: {after:?}",
            c.id
        );
        let out = diagnose_in(&case, &args(&case), &[]);
        assert_eq!(out.status.code(), Some(0), "{}: exit code", c.id);
    }
}

/// `--save-scenario`: the scenario loads, and its replay's expectations (the observed outcome)
/// hold.
#[test]
fn save_scenario_replays() {
    let tmp = std::env::temp_dir().join(format!("comsim-diagnose-save-{}", std::process::id()));
    for case in cases() {
        let dir = tmp.join(name(&case));
        let _ = std::fs::remove_dir_all(&dir);
        let out = diagnose_in(
            &case,
            &args(&case),
            &["--save-scenario", dir.to_str().unwrap()],
        );
        assert!(out.status.code().is_some_and(|c| c != 2), "{}", name(&case));
        let scenario = comsim_scenario::load(&dir)
            .unwrap_or_else(|d| panic!("{}: the saved scenario does not load: {d}", name(&case)));
        let replay =
            comsim_scenario::replay(&scenario, &comsim_scenario::ReplayOptions::default()).unwrap();
        assert!(
            replay.passed(),
            "{}: the saved scenario's expectations fail",
            name(&case)
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The README's "Diagnose your own failure" examples: each ```sh block's command, run, prints
/// the output it shows.
#[test]
fn readme_example_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## Diagnose your own failure")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has the section");
    let commands: Vec<&str> = section
        .split("```")
        .filter_map(|b| {
            b.strip_prefix("sh\n")
                .filter(|b| b.contains("comsim diagnose"))
        })
        .collect();
    assert!(!commands.is_empty(), "a ```sh block with comsim diagnose");
    for command in commands {
        readme_block_runs(command);
    }
}

fn readme_block_runs(command: &str) {
    let line = command
        .lines()
        .find(|l| l.trim_start().starts_with("$ cd fixtures/diagnose/"))
        .expect("the example starts in a case directory");
    let case = root().join(line.trim_start().trim_start_matches("$ cd ").trim());
    let call = command
        .lines()
        .find(|l| l.trim_start().starts_with("$ comsim diagnose"))
        .unwrap();
    let a: Vec<String> = call
        .trim_start()
        .trim_start_matches("$ comsim diagnose")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let out = diagnose_in(&case, &a, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shown: Vec<&str> = command
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("$ comsim diagnose"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('$'))
        .filter(|l| !l.trim().is_empty() && l.trim() != "...")
        .collect();
    assert!(!shown.is_empty(), "the README shows no output");
    for l in shown {
        assert!(
            stdout.contains(l),
            "README line not in the output: {l}\n{stdout}"
        );
    }
}

/// The JSON output's keys, for every case, are named in docs/json.md's diagnose section.
#[test]
fn diagnose_json_keys_are_documented() {
    let md = std::fs::read_to_string(root().join("docs/json.md")).unwrap();
    let section = md
        .split("## `comsim diagnose`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("docs/json.md has a `comsim diagnose` section");
    let docs: Vec<Value> = cases().iter().map(|c| json_of(c, &["--trace"])).collect();
    // The outcome's own keys are documented with `comsim replay`'s output.
    let missing = json_keys::undocumented(&docs, section, &["outcome"]);
    assert!(
        missing.is_empty(),
        "docs/json.md does not name: {missing:?}"
    );
}

/// `--fix-dir`: the `.reg` fragment a fix imports is written as regedit writes it, and imports
/// (strict) as the fix did.
#[test]
fn fix_dir_writes_importable_fragments() {
    let case = root().join("fixtures/diagnose/treatas-missing");
    let dir = std::env::temp_dir().join(format!("comsim-diagnose-fixes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = diagnose_in(&case, &args(&case), &["--fix-dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let bytes = std::fs::read(dir.join("fix-remove-treatas.reg")).unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xFE]));
    let mut reg = comsim_registry::Registry::new();
    comsim_regfile::import_bytes(
        &mut reg,
        "fix",
        &bytes,
        &comsim_regfile::ImportOptions::default(),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The error read from standard input; `--trace` adds each reproducing run's trace, every step
/// with its rule.
#[test]
fn error_from_stdin_and_the_trace() {
    use std::io::Write as _;
    let case = root().join("fixtures/diagnose/treatas-missing");
    let mut child = Command::new(env!("CARGO_BIN_EXE_comsim"))
        .args(["diagnose", "--scenario", "machine", "--trace"])
        .current_dir(&case)
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"CoCreateInstance({F9000000-0000-4000-8000-0000000000A1}) failed: 0x80040154\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Cause [treatas-missing]"), "{text}");
    assert!(
        text.contains("Trace: 64-bit native client, not elevated"),
        "{text}"
    );
    assert!(text.contains(" COM-2 "), "the trace cites COM-2: {text}");
}

/// Exit codes: 3 when no configuration reproduces the error, 2 for bad input.
#[test]
fn exit_codes_not_reproduced_and_bad_input() {
    let case = root().join("fixtures/diagnose/other-view");
    let a: Vec<String> = [
        "--error",
        "0x80040154",
        "--clsid",
        "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}",
        "--reg32",
        "hklm-classes-32.reg",
        "--bitness",
        "32",
    ]
    .map(str::to_owned)
    .to_vec();
    let out = diagnose_in(&case, &a, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No configuration reproduces the error.")
    );
    let out = diagnose_in(
        &case,
        &["--error".to_owned(), "nothing useful".to_owned()],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("diagnose-error-text"));
    let out = diagnose_in(&case, &["--error".to_owned(), "0x80040154".to_owned()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("diagnose-no-class"));
}

/// `--clrs`: the installed runtimes. The other-view case's class is built for v4.0.30319; on a
/// machine with CLR 2.0 only the cause is the missing runtime, and installing it is replayed.
#[test]
fn clrs_names_the_installed_runtimes() {
    let case = root().join("fixtures/diagnose/other-view");
    let a: Vec<String> = [
        "--error",
        "CoCreateInstance failed: 0x80131700",
        "--clsid",
        "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}",
        "--reg32",
        "hklm-classes-32.reg",
        "--client-kind",
        "native",
        "--bitness",
        "32",
        "--clrs",
        "v2.0.50727",
        "--format",
        "json",
    ]
    .map(str::to_owned)
    .to_vec();
    let out = diagnose_in(&case, &a, &[]);
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["causes"][0]["id"], "runtime-not-installed", "{d}");
    assert_eq!(
        d["causes"][0]["fixes"][0]["after"][0]["kind"], "com_object",
        "{d}"
    );
    let out = diagnose_in(&case, &args(&case), &["--clrs", "4.0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("arg-clr"));
}

/// A stand-in client built for CLR 2.0 (the short MSG-1 wording says so) on a machine with CLR 4
/// only does not start: the cause is the missing runtime, and a `.config` for CLR 4 would work.
#[test]
fn a_clr2_stand_in_without_its_runtime() {
    let case = root().join("fixtures/diagnose/other-view");
    let a: Vec<String> = [
        "--error",
        "Retrieving the COM class factory for component with CLSID {0D2B6E5A-0000-4A5B-9C3D-1234567890AB} failed due to the following error: 80131700.",
        "--reg32",
        "hklm-classes-32.reg",
        "--clrs",
        "v4.0.30319",
        "--bitness",
        "32",
        "--format",
        "json",
    ]
    .map(str::to_owned)
    .to_vec();
    let out = diagnose_in(&case, &a, &[]);
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["causes"][0]["id"], "runtime-not-installed", "{d}");
    let changes = d["would_work"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["change"].as_str().unwrap().contains("supportedRuntime")),
        "{d}"
    );
}

/// `--hive` takes its mount point as `comsim reg --hive` does: a damaged hive is an error naming
/// the file and the byte offset (exit 2), and a file whose name says nothing needs `=MOUNT`.
#[test]
fn hive_input_errors_name_the_file() {
    let case = root().join("fixtures/diagnose/per-user-elevated-hive");
    let hives = root().join("fixtures/hives/corrupt/checksum.hiv");
    let damaged = format!("{}=HKLM\\SOFTWARE", hives.display());
    let out = diagnose_in(
        &case,
        &["--error-file".into(), "error.txt".into()],
        &["--hive", &damaged],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[hive-checksum]") && err.contains("checksum.hiv: at byte 508"),
        "{err}"
    );
    let out = diagnose_in(
        &case,
        &["--error-file".into(), "error.txt".into()],
        &["--hive", "error.txt"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error[hive-mount]: error.txt"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--client EXE` and the application folder's images: the client's kind and bitness come from
/// its image (Client.exe is an x86 assembly: only 32-bit managed configurations are tried); a
/// DLL is not a client; a file named `.exe` that is not a PE image is an error naming it.
#[test]
fn client_and_app_images_are_read_from_their_files() {
    let case = root().join("fixtures/diagnose/not-com-visible-app");
    let base: Vec<String> = ["--error-file", "error.txt", "--reg", "hklm-classes.reg"]
        .map(str::to_owned)
        .to_vec();
    let d = {
        let out = diagnose_in(
            &case,
            &base,
            &["--client", "app/Client.exe", "--format", "json"],
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let configs = d["configs"].as_array().unwrap();
    assert!(!configs.is_empty());
    for c in configs {
        assert_eq!(c["config"]["client"], "managed", "{c}");
        assert_eq!(c["config"]["bitness"], "32", "{c}");
    }
    let out = diagnose_in(&case, &base, &["--client", "app/Hidden.dll"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[diagnose-app-image]"));

    let tmp = std::env::temp_dir().join(format!("comsim-diagnose-app-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("Broken.exe"), b"MZ but nothing else").unwrap();
    let out = diagnose_in(&case, &base, &["--app", tmp.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error[diagnose-app-image]") && err.contains("Broken.exe"),
        "{err}"
    );
}

/// `--gac DIR` (BIND-2): the folder the file was copied from must agree with the assembly's own
/// identity. ComServer.dll (1.2.3.4, built for CLR 4) in a folder of another version, or in CLR
/// 2's cache (a version folder without `v4.0_`), is an error naming the file; a folder that is no
/// cache at all is an error naming the folder. The root may be given as the folder above
/// `assembly`.
#[test]
fn gac_folders_must_agree_with_their_assemblies() {
    let case = root().join("fixtures/diagnose/other-view-gac");
    let base = args(&case);
    let dll = root().join("fixtures/assemblies/ComServer.dll");
    let tmp = std::env::temp_dir().join(format!("comsim-diagnose-gac-{}", std::process::id()));
    let run_with = |version_dir: &str| {
        let _ = std::fs::remove_dir_all(&tmp);
        let dir = tmp.join("assembly/GAC_MSIL/ComServer").join(version_dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&dll, dir.join("ComServer.dll")).unwrap();
        let out = diagnose_in(&case, &base, &["--gac", tmp.to_str().unwrap()]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run_with("v4.0_1.2.3.4__022282a62da36812");
    assert_eq!(
        code,
        Some(0),
        "the folder above `assembly` is a root: {err}"
    );
    let (code, err) = run_with("v4.0_1.2.0.0__022282a62da36812");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("error[diagnose-gac]")
            && err.contains("ComServer.dll")
            && err.contains("in a folder of version 1.2.0.0"),
        "{err}"
    );
    let (code, err) = run_with("1.2.3.4__022282a62da36812");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("in CLR 2's cache"), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
    let out = diagnose_in(&case, &base, &["--gac", "app"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error[diagnose-gac]: app: not a copy of a global assembly cache"),
        "{err}"
    );
}

/// A fresh temporary application folder holding only the case's `app/<exe>`.
fn app_with(case: &Path, tag: &str, exe: &str) -> PathBuf {
    let tmp = std::env::temp_dir().join(format!("comsim-diagnose-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::copy(case.join("app").join(exe), tmp.join(exe)).unwrap();
    tmp
}

/// `pia-native-server`, its other half: the PIA's native server is not in the application
/// folder it is registered in (COM-3: 0x8007007E). The cause is named first; nothing on the
/// machine can replace the DLL, so no fix is offered (exit 1).
#[test]
fn pia_native_server_missing() {
    let case = root().join("fixtures/diagnose/pia-native-server");
    let tmp = app_with(&case, "pia", "Client.exe");
    let args: Vec<String> = [
        "--error",
        "0x8007007E",
        "--clsid",
        "{5D0A4A5E-3B9B-4C1E-9A53-0F5A2C5B4003}",
        "--reg32",
        "hklm-classes-32.reg",
        "--gac",
        "gac",
        "--format",
        "json",
        "--app",
    ]
    .map(str::to_owned)
    .to_vec();
    let out = diagnose_in(&case, &args, &[tmp.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(out.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["causes"][0]["id"], "pia-native-server", "{d}");
    assert!(
        d["causes"][0]["sentence"]
            .as_str()
            .unwrap()
            .contains(r"C:\App\isolation-aware64.dll, and there is no such file"),
        "{d}"
    );
}

/// `sxs-manifest-refused` on a component the loader refuses (SXS-2): `Comsim.Fixture.Managed.manifest`
/// beside the host declares version 1.0.0.0 where the host's manifest asks for 1.2.3.4. The
/// cause names the component file and the line of its identity; no fix is offered (exit 1).
#[test]
fn sxs_manifest_component_mismatch_names_the_file_and_line() {
    let case = root().join("fixtures/diagnose/sxs-manifest-refused");
    let tmp = app_with(&case, "sxs", "Host.exe");
    std::fs::write(
        tmp.join("Comsim.Fixture.Managed.manifest"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<assembly xmlns=\"urn:schemas-microsoft-com:asm.v1\" manifestVersion=\"1.0\">\n  <assemblyIdentity name=\"Comsim.Fixture.Managed\" version=\"1.0.0.0\" processorArchitecture=\"msil\" publicKeyToken=\"0123456789abcdef\"/>\n</assembly>\n",
    )
    .unwrap();
    let mut args = args(&case);
    let at = args.iter().position(|a| a == "--app").unwrap();
    args[at + 1] = tmp.to_str().unwrap().to_owned();
    let out = diagnose_in(&case, &args, &["--format", "json"]);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(out.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["causes"][0]["id"], "sxs-manifest-refused", "{d}");
    let sentence = d["causes"][0]["sentence"].as_str().unwrap();
    assert!(
        sentence.contains(r"C:\App\Host.exe#RT_MANIFEST/1 (line 7)")
            && sentence.contains(r"C:\App\Comsim.Fixture.Managed.manifest (line 3"),
        "{sentence}"
    );
}

/// The assumptions line names what the machine was read from: with only a hive it says hive
/// files (the snapshot of `per-user-elevated-hive`), and with an export beside the hive, both.
#[test]
fn assumptions_name_what_was_given() {
    let case = root().join("fixtures/diagnose/per-user-elevated-hive");
    let export = root().join("fixtures/diagnose/per-user-elevated/hkcu-classes.reg");
    let mut args = args(&case);
    args.extend(["--reg".to_owned(), export.to_str().unwrap().to_owned()]);
    let out = diagnose_in(&case, &args, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("(only registry exports and hive files were given)"),
        "{text}"
    );
}
