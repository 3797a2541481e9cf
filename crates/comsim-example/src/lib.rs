//! A worked example of comsim's Rust API, for a component maintainer who keeps tests in Rust
//! (`docs/rust-api.md`): load a scenario, replay it, check its expectations, and snapshot it.
//! `tests/component.rs` is the test such a maintainer writes; this crate compiles and runs it in
//! CI with the rest of the workspace.
//!
//! The one function here, [`snapshot_of`], is the whole round trip a test needs:
//!
//! ```
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
//!     .join("../../fixtures/scenarios/shared-machine-native-host");
//! let (snapshot, failed) = comsim_example::snapshot_of(&dir).expect("the scenario loads");
//! assert!(failed.is_empty(), "{failed:?}");
//! assert!(snapshot.starts_with("comsim snapshot 1\n"));
//! assert!(snapshot.contains("server.kind = inproc_managed"));
//! ```

use std::path::Path;

use comsim_scenario::{Diagnostic, ReplayOptions, Snapshot};

/// Loads the scenario in `dir`, replays it on both CLRs, and gives its snapshot text
/// (`docs/snapshots.md`) and the expectations that did not hold, as `step: field expected X, got
/// Y` lines. The error is the scenario's located diagnostic.
pub fn snapshot_of(dir: &Path) -> Result<(String, Vec<String>), Diagnostic> {
    let scenario = comsim_scenario::load(dir)?;
    let replay = comsim_scenario::replay(&scenario, &ReplayOptions::default())?;
    let failed = replay
        .steps
        .iter()
        .flat_map(|step| {
            step.checks().filter(|c| !c.ok).map(|c| {
                format!(
                    "{}: {} expected {}, got {}",
                    step.name(),
                    c.field,
                    c.expected,
                    c.actual.as_deref().unwrap_or("nothing")
                )
            })
        })
        .collect();
    Ok((Snapshot::of(&scenario, &replay).render(), failed))
}
