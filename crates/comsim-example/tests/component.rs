//! What a component maintainer's snapshot test looks like (`docs/rust-api.md`): each scenario of
//! the component's machines replayed on both CLRs, its expectations checked, its compact
//! snapshot compared by insta, and the replay serialised for a tool. The scenarios are the
//! shared-machine fixtures: one installer (regasm /codebase, `fixtures/machines/contoso-widgets`),
//! a .NET 4 client (LCC4-1, BIND-4) and a native host (COM-3, SHIM-1, BIND-4).

use std::path::{Path, PathBuf};

use comsim_scenario::{ReplayOptions, Snapshot, StepRun};

fn scenario_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/scenarios")
        .join(name)
}

/// Load, replay, check, snapshot: the whole test of one scenario.
#[test]
fn the_managed_client_activates_the_widget_from_its_codebase() {
    let scenario = comsim_scenario::load(&scenario_dir("shared-machine-managed-client"))
        .unwrap_or_else(|e| panic!("{e}"));
    let replay = comsim_scenario::replay(&scenario, &ReplayOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    // The scenario's own expectations (`expect_real`: CLR 4, which the shim picks, SHIM-2).
    assert!(
        replay.passed(),
        "{:#?}",
        replay.checks().filter(|c| !c.ok).collect::<Vec<_>>()
    );
    // The compact form, reviewed in the diff of `tests/snapshots/`.
    insta::assert_snapshot!(Snapshot::of(&scenario, &replay).render());
}

/// The replay is a serde value: a tool can read any field of it, here the run the real machine
/// makes (not a what-if) and its outcome.
#[test]
fn the_native_host_gets_a_com_callable_wrapper() {
    let scenario = comsim_scenario::load(&scenario_dir("shared-machine-native-host"))
        .unwrap_or_else(|e| panic!("{e}"));
    let replay = comsim_scenario::replay(&scenario, &ReplayOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&replay).expect("a replay serialises");
    let run = &json["steps"][0]["request"]["runs"][0];
    assert_eq!(run["outcome"]["server"]["kind"], "inproc_managed");
    assert_eq!(run["outcome"]["server"]["runtime"], "v4.0.30319");
    // The same through the typed API.
    let StepRun::Request(step) = &replay.steps[0] else {
        panic!("the first step is a request")
    };
    assert_eq!(
        step.runs[0]
            .run
            .outcome
            .field("server.managed.path")
            .as_deref(),
        Some(r"C:\Program Files\Contoso\Contoso.Widgets.dll")
    );
}
