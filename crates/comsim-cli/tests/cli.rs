//! The command line as a user sees it: exit code, standard output and standard error, run from the
//! workspace root with relative paths so snapshots do not depend on the machine.

mod common;

use common::{root, run_comsim};

const WIDGET: &str = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";
const LEGACY: &str = "{7B9E4C11-5D2A-4F38-9E61-0A1B2C3D4E5F}";
const MACHINE: &str = "fixtures/registry/contoso-widget-regasm.reg";
const LEGACY32: &str = "fixtures/registry/contoso-legacy-regasm32.reg";
const USER: &str = "fixtures/registry/user-override.reg";

/// Runs `comsim` and renders what a terminal would show.
fn comsim(args: &[&str]) -> String {
    let out = run_comsim(args);
    let stdout = if out.stdout.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = out.stdout[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        format!(
            "(UTF-16LE with BOM)\n{}",
            String::from_utf16_lossy(&units).replace("\r\n", "\n")
        )
    } else {
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    format!(
        "$ comsim {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code().unwrap_or(-1),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn reg1_query_shows_the_merged_view_with_the_user_registration_first() {
    let key = format!("HKCR\\CLSID\\{WIDGET}");
    insta::assert_snapshot!(comsim(&[
        "reg", "query", &key, "-s", "--reg", MACHINE, "--reg", USER
    ]));
}

#[test]
fn reg1_strict_merge_hides_the_machine_version_subkeys() {
    let key = format!("HKCR\\CLSID\\{WIDGET}\\InprocServer32");
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        &key,
        "--reg",
        MACHINE,
        "--reg",
        USER,
        "--hkcr-merge",
        "strict"
    ]));
}

#[test]
fn reg2_elevated_reads_ignore_the_per_user_registration() {
    let key = format!("HKCR\\CLSID\\{WIDGET}\\InprocServer32");
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        &key,
        "-v",
        "Assembly",
        "--reg",
        MACHINE,
        "--reg",
        USER,
        "--elevated"
    ]));
}

#[test]
fn reg3_a_32_bit_registration_is_invisible_to_a_64_bit_reader() {
    let key = format!("HKCR\\CLSID\\{LEGACY}");
    let args = ["--reg", LEGACY32, "--import-view", "32"];
    let in64 = comsim(&[&["reg", "query", key.as_str()][..], &args[..]].concat());
    let in32 = comsim(
        &[
            &["reg", "query", key.as_str(), "--view", "32"][..],
            &args[..],
        ]
        .concat(),
    );
    insta::assert_snapshot!(format!("{in64}\n{in32}"));
}

#[test]
fn reg4_a_standard_user_cannot_import_hkcr_keys() {
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKCR\\Contoso.Widget",
        "--reg",
        MACHINE,
        "--standard-user"
    ]));
}

#[test]
fn query_json_names_the_physical_source_of_each_key() {
    let key = format!("HKCR\\CLSID\\{LEGACY}\\InprocServer32");
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        &key,
        "--reg",
        LEGACY32,
        "--import-view",
        "32",
        "--view",
        "32",
        "--format",
        "json"
    ]));
}

#[test]
fn default_value_not_set_is_reported_like_reg_query() {
    let key = format!("HKCR\\CLSID\\{WIDGET}\\Implemented Categories");
    insta::assert_snapshot!(comsim(&["reg", "query", &key, "--ve", "--reg", MACHINE]));
}

#[test]
fn missing_key_exits_1() {
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKCR\\No.Such.ProgId",
        "--reg",
        MACHINE
    ]));
}

#[test]
fn export_writes_utf16_regedit_layout() {
    let key = format!("HKCR\\CLSID\\{LEGACY}");
    insta::assert_snapshot!(comsim(&[
        "reg",
        "export",
        &key,
        "--reg",
        LEGACY32,
        "--import-view",
        "32",
        "--view",
        "32",
        "-o",
        "-"
    ]));
}

#[test]
fn malformed_file_exits_2_with_a_located_error() {
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKCU\\Software",
        "--reg",
        "fixtures/reg/invalid/string-single-backslash-path.reg"
    ]));
}

#[test]
fn lenient_import_lists_what_it_skipped_and_continues() {
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKCU\\Software\\comsim-test",
        "--lenient",
        "--reg",
        "fixtures/reg/invalid/string-single-backslash-path.reg"
    ]));
}

#[test]
fn bad_key_argument_exits_2() {
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKXX\\Software",
        "--reg",
        MACHINE
    ]));
}

#[test]
fn sxs4_lookup_finds_the_class_through_an_embedded_component_manifest() {
    insta::assert_snapshot!(comsim(&[
        "sxs",
        "lookup",
        "{6F1B2C3D-4E5F-4A6B-8C7D-0123456789AB}",
        "--manifest",
        "fixtures/sxs/dll-with-embedded-manifest/app.manifest"
    ]));
}

#[test]
fn sxs4_find_any_returns_the_surrogate_before_the_class() {
    let args = [
        "--manifest",
        "fixtures/sxs/surrogate-and-class-share-a-guid/app.manifest",
    ];
    let any = comsim(&[&["sxs", "lookup", WIDGET][..], &args[..]].concat());
    let class = comsim(
        &[
            &[
                "sxs", "lookup", WIDGET, "--find", "class", "--format", "json",
            ][..],
            &args[..],
        ]
        .concat(),
    );
    insta::assert_snapshot!(format!("{any}\n{class}"));
}

#[test]
fn sxs1_context_of_an_exe_reads_its_embedded_manifest() {
    insta::assert_snapshot!(comsim(&[
        "sxs",
        "context",
        "--manifest",
        "fixtures/pe/app64.exe",
        "--app-dir",
        "fixtures/sxs/dll-with-embedded-manifest"
    ]));
}

#[test]
fn sxs2_a_dependency_that_cannot_be_found_stops_the_process() {
    insta::assert_snapshot!(comsim(&[
        "sxs",
        "context",
        "--manifest",
        "fixtures/sxs/not-found/app.manifest"
    ]));
}

#[test]
fn sxs_malformed_manifest_exits_2_with_a_located_error() {
    insta::assert_snapshot!(comsim(&[
        "sxs",
        "context",
        "--manifest",
        "fixtures/manifests/invalid/clrclass-bad-guid.manifest"
    ]));
}

#[test]
fn sxs1_an_exe_without_an_embedded_manifest_uses_the_manifest_beside_it() {
    insta::assert_snapshot!(comsim(&[
        "sxs",
        "context",
        "--manifest",
        "fixtures/sxs-exe/external-manifest/legacy.exe"
    ]));
}

#[test]
fn sxs1_an_exe_with_neither_manifest_exits_2() {
    insta::assert_snapshot!(comsim(&[
        "sxs",
        "context",
        "--manifest",
        "fixtures/pe/no-resources32.exe"
    ]));
}

const SEED002: &str = "fixtures/scenarios/regasm-seed-002-version-subkeys";

#[test]
fn regasm_asm1_prints_what_regasm_prints_and_the_registry_difference() {
    insta::assert_snapshot!(comsim(&[
        "regasm",
        r"C:\Contoso\2.0\Contoso.Widgets.dll",
        "/CODE",
        "--machine",
        SEED002,
        "--bitness",
        "64",
        "--diff",
    ]));
}

#[test]
fn regasm_options_take_unique_prefixes_and_an_ambiguous_one_exits_100() {
    insta::assert_snapshot!(comsim(&[
        "regasm",
        r"C:\Contoso\1.0\Contoso.Widgets.dll",
        "/r",
        "--machine",
        SEED002,
    ]));
}

#[test]
fn regasm_asm6_a_standard_user_gets_ra0000_and_exit_100() {
    insta::assert_snapshot!(comsim(&[
        "regasm",
        r"C:\Contoso\1.0\Contoso.Widgets.dll",
        "/nologo",
        "--machine",
        SEED002,
        "--standard-user",
        "--diff",
    ]));
}

/// ASM-7: the `/regfile` script is saved on this computer, and `comsim reg query` loads it.
#[test]
fn regasm_asm7_regfile_script_loads_in_reg_query() {
    let dir = "target/comsim-cli-tests/regfile";
    std::fs::create_dir_all(root().join(dir)).expect("a scratch directory");
    let run = comsim(&[
        "regasm",
        r"C:\Contoso\1.0\Contoso.Widgets.dll",
        "/codebase",
        "/regfile:Widgets.reg",
        "--machine",
        SEED002,
        "--save",
        dir,
    ]);
    let script = std::fs::read(root().join(dir).join("Widgets.reg")).expect("the script");
    let query = comsim(&[
        "reg",
        "query",
        &format!("HKCR\\CLSID\\{WIDGET}"),
        "-s",
        "--reg",
        &format!("{dir}/Widgets.reg"),
    ]);
    insta::assert_snapshot!(format!(
        "{run}\n=== {dir}/Widgets.reg\n{}\n{query}",
        String::from_utf8_lossy(&script).replace("\r\n", "\n")
    ));
}

#[test]
fn hive_files_are_read_where_windows_loads_them_or_at_the_given_key() {
    // A SOFTWARE hive and a UsrClass.dat, mounts guessed from their names (and said so), seen
    // through the merged HKCR (REG-1); an NTUSER.DAT at HKU\<SID>; an unknown name refused.
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKCR\\CLSID",
        "-s",
        "--hive",
        "fixtures/hives/SOFTWARE",
        "--hive",
        "fixtures/hives/UsrClass.dat",
    ]));
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKU\\S-1-5-21-1\\Environment",
        "--hive",
        "fixtures/hives/NTUSER.DAT=HKU\\S-1-5-21-1",
    ]));
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKLM\\SOFTWARE",
        "--hive",
        "fixtures/hives/big.hiv",
    ]));
    insta::assert_snapshot!(comsim(&[
        "reg",
        "query",
        "HKLM\\SOFTWARE",
        "--hive",
        "fixtures/hives/corrupt/dirty.hiv=HKLM\\SOFTWARE",
    ]));
}

#[test]
fn asm3_assembly_show_reads_a_real_dll_and_lists_what_regasm_registers() {
    // ComServer.dll (fixtures/assemblies/src/ComServer.cs): declared and generated CLSIDs, a
    // record, ProgIDs ([ProgId], the full name, none for [ProgId(null)]), and the types ASM-3
    // leaves out with the reason.
    insta::assert_snapshot!(comsim(&[
        "assembly",
        "show",
        "fixtures/assemblies/ComServer.dll"
    ]));
}

#[test]
fn assembly_show_json_has_the_image_and_the_registrations() {
    let out = run_comsim(&[
        "assembly",
        "show",
        "fixtures/assemblies/Interop.Contoso.dll",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["image"]["primary_interop"]["major"], 1);
    assert_eq!(
        v["full_name"],
        "Interop.Contoso, Version=1.0.0.0, Culture=neutral, PublicKeyToken=022282a62da36812"
    );
    // The [ComImport] coclass is registered as such (ASM-2), with its declared GUID.
    let reg = &v["registrations"][0];
    assert_eq!(reg["type_name"], "Interop.Contoso.EngineClass");
    assert_eq!(reg["kind"], "[ComImport] class");
    assert_eq!(reg["clsid"]["generated"], false);
    assert_eq!(v["libid"]["guid"], "{5D0A4A5E-3B9B-4C1E-9A53-0F5A2C5B4000}");
}

#[test]
fn assembly_show_refuses_a_native_image_and_a_cut_file_with_an_offset() {
    insta::assert_snapshot!(comsim(&["assembly", "show", "fixtures/pe/app32.exe"]));
    let cut = std::env::temp_dir().join(format!("comsim-cut-{}.dll", std::process::id()));
    let bytes = std::fs::read(root().join("fixtures/assemblies/Hidden.dll")).unwrap();
    std::fs::write(&cut, &bytes[..1000]).unwrap();
    let out = run_comsim(&["assembly", "show", cut.to_str().unwrap()]);
    let _ = std::fs::remove_file(&cut);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[clr-truncated]") && err.contains("at byte offset"),
        "{err}"
    );
}

/// The `[[machine.assembly]]` block `assembly show --format toml` prints loads as a scenario and
/// describes the same assembly the reader read, for every fixture assembly.
#[test]
fn assembly_show_toml_block_loads_back_as_the_same_assembly() {
    let dir = root().join("fixtures/assemblies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dll") || n.ends_with(".exe"))
        .collect();
    names.sort();
    let work = std::env::temp_dir().join(format!("comsim-block-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    for name in names {
        let out = run_comsim(&[
            "assembly",
            "show",
            &format!("fixtures/assemblies/{name}"),
            "--format",
            "toml",
        ]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let block = String::from_utf8(out.stdout).unwrap();
        let scenario = format!(
            "title = \"block of {name}\"\n\n{block}\n[[machine.native]]\npath = 'C:\\App\\host.exe'\nbitness = 64\n\n[process]\nexe = 'C:\\App\\host.exe'\napartment = \"sta\"\n\n[[step]]\nco_create_instance = \"{{00000000-0000-0000-0000-00000000BEEF}}\"\n"
        );
        let file = work.join("scenario.toml");
        std::fs::write(&file, &scenario).unwrap();
        let loaded = comsim_scenario::load(&file)
            .unwrap_or_else(|e| panic!("{name}: the block does not load: {e}\n{scenario}"));
        let path = comsim_resolver::WinPath::parse(&format!("C:\\App\\{name}")).unwrap();
        let from_toml = loaded
            .machine
            .fs
            .get(&path)
            .and_then(|f| f.assembly())
            .unwrap();
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let image = comsim_clrmeta::read_assembly(&name, &bytes).unwrap();
        let from_file = comsim_resolver::AssemblyInfo::from_metadata(&image).unwrap();
        assert_eq!(
            serde_json::to_value(from_toml).unwrap(),
            serde_json::to_value(&from_file).unwrap(),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn asm1_regasm_runs_on_a_real_assembly_file_without_a_scenario() {
    // `--file` reads fixtures/assemblies/Hidden.dll onto a default machine (64-bit Windows, CLR
    // 2.0 and 4.0) at C:\App\Hidden.dll; regasm registers the one COM-visible class (ASM-3).
    insta::assert_snapshot!(comsim(&[
        "regasm",
        "C:\\App\\Hidden.dll",
        "/codebase",
        "--file",
        "fixtures/assemblies/Hidden.dll",
        "--diff"
    ]));
}
