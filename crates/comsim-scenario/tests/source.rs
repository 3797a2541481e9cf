//! `[[machine.assembly]] source = "…"`: an assembly's facts read from a real file (the fixtures
//! of `fixtures/assemblies/`), and a fact written in the TOML too that disagrees with the file is
//! an error at that key naming both.

use std::path::{Path, PathBuf};

use comsim_resolver::WinPath;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A scenario directory in the temp directory holding `dll` and a scenario.toml whose
/// `[[machine.assembly]]` is `assembly`.
fn scenario(case: &str, dll: &str, assembly: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("comsim-source-{}-{case}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("fixtures/assemblies").join(dll), dir.join(dll)).unwrap();
    let text = format!(
        "title = \"{case}\"\n\n[[machine.assembly]]\n{assembly}\n\n[[machine.native]]\npath = 'C:\\App\\host.exe'\nbitness = 64\n\n[process]\nexe = 'C:\\App\\host.exe'\napartment = \"sta\"\n\n[[step]]\nco_create_instance = \"{{5D0A4A5E-3B9B-4C1E-9A53-0F5A2C5B1003}}\"\n"
    );
    std::fs::write(dir.join("scenario.toml"), text).unwrap();
    dir
}

fn load(dir: &Path) -> Result<comsim_scenario::Scenario, String> {
    let r = comsim_scenario::load(dir).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(dir);
    r
}

#[test]
fn source_reads_every_fact_from_the_file() {
    let dir = scenario(
        "reads",
        "ComServer.dll",
        "path = 'C:\\App\\ComServer.dll'\nsource = \"ComServer.dll\"",
    );
    let s = load(&dir).unwrap();
    let file = s
        .machine
        .fs
        .get(&WinPath::parse("C:\\App\\ComServer.dll").unwrap())
        .unwrap();
    let asm = file.assembly().unwrap();
    assert_eq!(
        asm.full_name(),
        "ComServer, Version=1.2.3.4, Culture=neutral, PublicKeyToken=022282a62da36812"
    );
    assert_eq!(asm.runtime.text, "v4.0.30319");
    let widget = asm.find_type("Contoso.Widget").unwrap();
    assert_eq!(widget.progid.as_deref(), Some("Contoso.Widget.1"));
    assert!(
        asm.find_type("Contoso.Outer+Inner")
            .is_some_and(|t| t.public)
    );
    // The image's bytes are the file's, as for a native image given by `bytes`.
    assert_eq!(
        file.bytes,
        std::fs::read(root().join("fixtures/assemblies/ComServer.dll")).unwrap()
    );
}

#[test]
fn facts_that_agree_with_the_file_are_accepted() {
    let dir = scenario(
        "agree",
        "Legacy20.dll",
        "path = 'C:\\App\\Legacy20.dll'\nsource = \"Legacy20.dll\"\nname = \"Legacy20\"\nversion = \"1.0.0.0\"\nruntime = \"v2.0.50727\"\npublic_key_token = \"022282a62da36812\"\n\n  [[machine.assembly.type]]\n  name = \"Contoso.Legacy.OldServer\"\n  progid = \"Contoso.Legacy\"\n  guid = \"{5D0A4A5E-3B9B-4C1E-9A53-0F5A2C5B3001}\"",
    );
    load(&dir).unwrap();
}

#[test]
fn a_disagreeing_fact_is_an_error_at_its_key_naming_both_values() {
    let dir = scenario(
        "version",
        "Legacy20.dll",
        "path = 'C:\\App\\Legacy20.dll'\nsource = \"Legacy20.dll\"\nruntime = \"v4.0.30319\"",
    );
    let e = load(&dir).unwrap_err();
    assert!(
        e.contains("error[scenario-assembly-source]: `runtime` is `v4.0.30319` here, but"),
        "{e}"
    );
    assert!(
        e.contains("Legacy20.dll says `v2.0.50727`") && e.contains(":6:11:"),
        "{e}"
    );

    let dir = scenario(
        "type",
        "Hidden.dll",
        "path = 'C:\\App\\Hidden.dll'\nsource = \"Hidden.dll\"\n\n  [[machine.assembly.type]]\n  name = \"Contoso.Hidden.Invisible\"\n  com_visible = true",
    );
    let e = load(&dir).unwrap_err();
    assert!(
        e.contains("`com_visible` of `Contoso.Hidden.Invisible` is `true` here, but"),
        "{e}"
    );

    let dir = scenario(
        "missing-type",
        "Hidden.dll",
        "path = 'C:\\App\\Hidden.dll'\nsource = \"Hidden.dll\"\n\n  [[machine.assembly.type]]\n  name = \"Contoso.Hidden.Nope\"",
    );
    let e = load(&dir).unwrap_err();
    assert!(e.contains("defines no type `Contoso.Hidden.Nope`"), "{e}");
}

#[test]
fn a_source_that_is_not_an_assembly_is_an_error_at_source_with_the_readers_offset() {
    let dir = std::env::temp_dir().join(format!("comsim-source-{}-native", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("fixtures/pe/app32.exe"), dir.join("app32.exe")).unwrap();
    std::fs::write(
        dir.join("scenario.toml"),
        "title = \"t\"\n\n[[machine.assembly]]\npath = 'C:\\App\\app32.exe'\nsource = \"app32.exe\"\n\n[process]\nexe = 'C:\\App\\app32.exe'\napartment = \"sta\"\n\n[[step]]\ncreate_instance = \"{5D0A4A5E-3B9B-4C1E-9A53-0F5A2C5B1003}\"\n",
    )
    .unwrap();
    let e = load(&dir).unwrap_err();
    assert!(e.contains(":5:10: error[scenario-assembly-source]"), "{e}");
    assert!(
        e.contains("error[clr-not-managed]") && e.contains("byte offset 128"),
        "{e}"
    );
}

#[test]
fn without_source_name_version_and_runtime_stay_required() {
    let dir = scenario(
        "required",
        "Hidden.dll",
        "path = 'C:\\App\\Hidden.dll'\nname = \"Hidden\"\nversion = \"3.0.0.0\"",
    );
    let e = load(&dir).unwrap_err();
    assert!(
        e.contains("error[scenario-field]: missing field `runtime`"),
        "{e}"
    );
}
