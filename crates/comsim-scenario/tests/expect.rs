//! `satisfied` / `render_toml` (`comsim expect`): the expectations a replay satisfies, as TOML.
//! For every bundled scenario (but those whose expectations are TOML tables), its own expectations are taken out, the generated TOML is pasted
//! at the end of each `[[step]]`, and the scenario so made loads and passes every expectation,
//! on both CLRs: what `comsim expect` prints is a real gate that holds today.

use std::path::{Path, PathBuf};

use comsim_scenario::{ReplayOptions, StepRun, render_toml, replay, satisfied};

const SCENARIOS: &str = "../../fixtures/scenarios";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
        }
    }
}

/// The scenario text without its expectation lines, each step's generated tables pasted at
/// its end.
fn with_generated(text: &str, per_step: &[String]) -> String {
    let mut out = String::new();
    let mut step = 0;
    for line in text.lines() {
        if line.starts_with("[[step]]") {
            if step > 0 {
                out.push_str(&per_step[step - 1]);
            }
            step += 1;
        }
        if !line.starts_with("expect") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&per_step[step - 1]);
    out
}

#[test]
fn generated_expectations_hold_for_every_bundled_scenario() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(SCENARIOS)
        .expect("the scenarios")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.join("scenario.toml").is_file())
        .collect();
    names.sort();
    assert!(names.len() > 50);
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("expect");
    let _ = std::fs::remove_dir_all(&tmp);
    // Shared machine files, where the scenarios' `machine = "../../machines/…"` finds them, and
    // the real assemblies a scenario reads in place (`source = "../../assemblies/…"`).
    for shared in ["machines", "assemblies"] {
        copy_dir(
            &Path::new(SCENARIOS).join("..").join(shared),
            &tmp.join(shared),
        );
    }
    let mut covered = 0;
    for dir in names {
        let name = dir.file_name().expect("a name").to_owned();
        let text = std::fs::read_to_string(dir.join("scenario.toml")).expect("UTF-8");
        if text.contains("[step.") {
            // Expectations written as tables: not taken out line by line here.
            continue;
        }
        covered += 1;
        let scenario = comsim_scenario::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let r = replay(&scenario, &ReplayOptions::default()).expect("replays");
        let per_step: Vec<String> = satisfied(&r)
            .iter()
            .map(|s| render_toml(std::slice::from_ref(s)))
            .collect();
        let copy = tmp.join("scenarios").join(&name);
        copy_dir(&dir, &copy);
        let made = with_generated(&text, &per_step);
        std::fs::write(copy.join("scenario.toml"), &made).expect("written");
        let again = comsim_scenario::load(&copy).unwrap_or_else(|e| {
            panic!(
                "{}: the generated TOML does not load: {e}\n{made}",
                name.display()
            )
        });
        let r2 = replay(&again, &ReplayOptions::default()).expect("replays");
        let failed: Vec<String> = r2
            .steps
            .iter()
            .flat_map(StepRun::checks)
            .filter(|c| !c.ok)
            .map(|c| {
                format!(
                    "{} {:?}: expected {}, got {:?}",
                    c.field, c.clr, c.expected, c.actual
                )
            })
            .collect();
        assert!(failed.is_empty(), "{}: {failed:#?}", name.display());
        let sum = r2.summary();
        assert!(
            sum.expectations >= r2.steps.len(),
            "{}: every step gets expectations",
            name.display()
        );
    }
    assert!(covered > 50, "{covered} scenarios covered");
}
