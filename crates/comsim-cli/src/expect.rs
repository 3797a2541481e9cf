//! `comsim expect SCENARIO`: prints, as TOML to paste into the scenario, the expectations its
//! current replay satisfies ([`comsim_scenario::satisfied`]), so that a scenario without
//! expectations gains a gate in one command (`docs/snapshots.md`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use comsim_scenario::ReplayOptions;

use crate::replay::ClrArg;
use crate::{EXIT_BAD_INPUT, EXIT_OK};

#[derive(Debug, Args)]
pub struct ExpectArgs {
    /// The scenario: a `scenario.toml` file or the directory holding one.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// The CLRs to run on; with one, every field goes to that CLR's table.
    #[arg(long, value_enum, default_value = "both", value_name = "CLR")]
    pub clr: ClrArg,
    /// Set a behaviour switch, after the scenario's own; may be repeated.
    #[arg(long = "switch", value_name = "NAME=VALUE")]
    pub switches: Vec<String>,
}

pub fn run(a: ExpectArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = (|| -> Result<String, String> {
        let scenario = comsim_scenario::load(&a.scenario).map_err(|d| d.to_string())?;
        crate::set_switch_args(&mut scenario.switches.clone(), &a.switches)?;
        let options = ReplayOptions {
            clrs: a.clr.choice(),
            switches: a.switches.clone(),
        };
        let replay = comsim_scenario::replay(&scenario, &options).map_err(|d| d.to_string())?;
        Ok(comsim_scenario::render_toml(&comsim_scenario::satisfied(
            &replay,
        )))
    })();
    match result.and_then(|t| out.write_all(t.as_bytes()).map_err(|e| e.to_string())) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_BAD_INPUT
        }
    }
}
