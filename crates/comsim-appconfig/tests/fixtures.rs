//! One snapshot per configuration fixture: malformed files give a located error (never a panic);
//! valid ones show what was read, where each element is, and what the runtime would ignore.

use std::fmt::Write as _;
use std::path::Path;

use comsim_appconfig::{AppConfig, parse_config};

fn display_name(path: &Path) -> String {
    let parts: Vec<_> = path.components().rev().take(3).collect();
    let parts: Vec<_> = parts
        .iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    format!("fixtures/{}", parts.join("/"))
}

/// Where each element that was read sits (locations are not part of the JSON).
fn locations(config: &AppConfig) -> String {
    let mut out = String::new();
    match &config.startup {
        None => out.push_str("no <startup>\n"),
        Some(s) => {
            writeln!(out, "<startup> at {}", s.location).unwrap();
            for r in &s.supported_runtimes {
                writeln!(out, "<supportedRuntime {}> at {}", r.version, r.location).unwrap();
            }
            if let Some(r) = &s.required_runtime {
                writeln!(out, "<requiredRuntime {}> at {}", r.version, r.location).unwrap();
            }
        }
    }
    match &config.private_path_location {
        None => out.push_str("no privatePath\n"),
        Some(loc) => writeln!(out, "privatePath at {loc}").unwrap(),
    }
    for d in &config.ignored {
        writeln!(out, "{d}").unwrap();
    }
    out
}

#[test]
fn invalid_configs_give_a_located_error() {
    insta::glob!("../../../fixtures", "config/invalid/*.config", |path| {
        let name = display_name(path);
        let err = parse_config(&name, &std::fs::read(path).unwrap())
            .expect_err("an invalid configuration file must not parse");
        assert!(err.is_error());
        let loc = err.location.clone().expect("errors name a location");
        assert_eq!(&*loc.file, name.as_str());
        insta::assert_snapshot!(err.to_string());
    });
}

#[test]
fn valid_configs_parse() {
    insta::glob!("../../../fixtures", "config/valid/*.config", |path| {
        let name = display_name(path);
        let config =
            parse_config(&name, &std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.source, name);
        let json = serde_json::to_string_pretty(&config).unwrap();
        insta::assert_snapshot!(format!("{}\n{json}", locations(&config)));
    });
}
