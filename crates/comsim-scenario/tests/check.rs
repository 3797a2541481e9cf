//! `check_scenario`: a scenario compared with its stored snapshot. An installer change in a
//! scenario (regasm without `/codebase`; the 32-bit regasm only) gives a short report that names
//! the step and the CLR, the outcome field that changed and the first diverging rule; an
//! unchanged scenario gives none; a missing snapshot is an error unless updating.

use std::path::{Path, PathBuf};

use comsim_scenario::{CheckOptions, Difference, Status, check_scenario};

/// An installer (regasm of a v4 assembly outside the client's directory) and a v4 client with
/// no expectations: only the snapshot can gate it.
const INSTALLER: &str = r#"title = "An installer registers Contoso.Widgets; a client creates the widget"

[machine]
os = "x64"
clrs = ["v4.0.30319"]

[[machine.assembly]]
path = 'C:\Program Files\Contoso\Contoso.Widgets.dll'
name = "Contoso.Widgets"
version = "1.0.0.0"
runtime = "v4.0.30319"

  [[machine.assembly.type]]
  name = "Contoso.Widget"
  guid = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}"

[[machine.assembly]]
path = 'C:\App\Client.exe'
name = "Client"
version = "1.0.0.0"
runtime = "v4.0.30319"

[process]
exe = 'C:\App\Client.exe'
client = "managed"
bitness = 64
apartment = "sta"

[[step]]
name = "install"
regasm = ['C:\Program Files\Contoso\Contoso.Widgets.dll', '/codebase']
bitness = 64

[[step]]
name = "create the widget"
create_instance = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}"
"#;

/// A fresh directory holding `scenario.toml` with `text`.
fn scenario_dir(case: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("check")
        .join(case)
        .join("installer");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    std::fs::write(dir.join("scenario.toml"), text).expect("the scenario is written");
    dir
}

fn options(update: bool) -> CheckOptions {
    CheckOptions {
        update,
        ..CheckOptions::default()
    }
}

/// Stores the snapshot of `INSTALLER`, rewrites the scenario with `edit`, and checks it again.
fn report_after(case: &str, edit: impl Fn(&str) -> String) -> Vec<Difference> {
    let dir = scenario_dir(case, INSTALLER);
    let first = check_scenario(&dir, &options(false));
    assert!(
        matches!(first.status, Status::Missing),
        "a missing snapshot fails: {:?}",
        first.status
    );
    assert!(first.failed());
    let written = check_scenario(&dir, &options(true));
    assert!(
        matches!(written.status, Status::Written(_)),
        "{:?}",
        written.status
    );
    assert!(!written.failed());
    let same = check_scenario(&dir, &options(false));
    assert!(matches!(same.status, Status::Same), "{:?}", same.status);
    std::fs::write(dir.join("scenario.toml"), edit(INSTALLER)).expect("the scenario is changed");
    let changed = check_scenario(&dir, &options(false));
    assert!(changed.failed(), "a change fails the check");
    match changed.status {
        Status::Changed(d) => d,
        other => panic!("expected a change, got {other:?}"),
    }
}

fn rendered(diffs: &[Difference]) -> String {
    diffs.iter().map(|d| format!("{d}\n")).collect()
}

/// BIND-4: without /codebase there is no CodeBase value, and the assembly outside the client's
/// directory and the GAC cannot be bound: the registry step loses one line, the client's run
/// ends in an exception. The report names both steps, in a few lines.
#[test]
fn dropping_codebase_gives_a_short_named_report() {
    let diffs = report_after("no-codebase", |s| s.replace(", '/codebase'", ""));
    let text = rendered(&diffs);
    assert!(text.contains("step \"install\" machine"), "{text}");
    assert!(
        text.contains("step \"create the widget\" clr 4.0"),
        "{text}"
    );
    assert!(text.contains("kind: managed -> exception"), "{text}");
    assert!(text.lines().count() <= 20, "a short report:\n{text}");
    insta::assert_snapshot!(text);
}

/// REG-3, ASM-5: the 32-bit regasm writes the 32-bit view only; the 64-bit client does not find
/// the class.
#[test]
fn the_32bit_regasm_only_gives_a_short_named_report() {
    let diffs = report_after("regasm32", |s| {
        s.replace("/codebase']\nbitness = 64", "/codebase']\nbitness = 32")
    });
    let text = rendered(&diffs);
    assert!(text.contains("step \"install\" machine"), "{text}");
    assert!(
        text.contains("step \"create the widget\" clr 4.0"),
        "{text}"
    );
    assert!(text.contains("first diverging rule"), "{text}");
    assert!(text.lines().count() <= 20, "a short report:\n{text}");
    insta::assert_snapshot!(text);
}

/// Steps are identified by name: a step added before the others is reported as new, and the
/// others are unchanged (not renumbered).
#[test]
fn a_new_step_is_reported_alone() {
    let diffs = report_after("new-step", |s| {
        s.replace(
            "[[step]]\nname = \"install\"",
            "[[step]]\nshow = 'HKLM\\Software\\Classes\\CLSID'\n\n[[step]]\nname = \"install\"",
        )
    });
    let text = rendered(&diffs);
    assert_eq!(
        text,
        "step \"show HKLM\\Software\\Classes\\CLSID\": new step, not in the snapshot (show)\n"
    );
}
