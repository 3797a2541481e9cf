//! Unit tests of [`load`] over scenarios written to a temporary directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use comsim_resolver::{Bitness, ClassRef, ClientKind, Request, WinPath};

use super::*;

/// A scenario directory under the system's temporary directory, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(files: &[(&str, &[u8])]) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "comsim-scenario-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CLIENT: &str = r#"
[[machine.assembly]]
path = 'C:\App\Client.exe'
name = "Client"
version = "1.0.0.0"
runtime = "v4.0.30319"
"#;

const PROCESS: &str = r#"
[process]
exe = 'C:\App\Client.exe'
apartment = "sta"
"#;

const STEP: &str = r#"
[[step]]
create_instance = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}"
"#;

fn with(head: &str, machine: &str, process: &str, step: &str) -> String {
    format!("title = \"t\"\n{head}\n{machine}\n{process}\n{step}")
}

fn load_text(text: &str) -> Result<Scenario, Diagnostic> {
    let dir = Dir::new(&[("scenario.toml", text.as_bytes())]);
    load(&dir.0)
}

fn error(text: &str) -> Diagnostic {
    match load_text(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => {
            let loc = e.location.as_ref().expect("located");
            assert!(loc.line >= 1 && loc.column >= 1);
            e
        }
    }
}

#[test]
fn a_minimal_scenario_takes_the_defaults() {
    let s = load_text(&with("", CLIENT, PROCESS, STEP)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.machine.os, Bitness::B64);
    assert_eq!(s.machine.clrs.len(), 2);
    assert_eq!(s.process.client, ClientKind::Managed);
    assert_eq!(s.process.bitness, Bitness::B64);
    assert!(!s.process.elevated);
    assert_eq!(s.steps[0].name, "step 1");
    assert!(s.steps[0].expect.is_empty());
    assert!(s.switches.non_default().is_empty());
}

#[test]
fn the_process_bitness_follows_the_image() {
    // An AnyCPU client on a 32-bit Windows is 32-bit.
    let s = load_text(&with("[machine]\nos = \"x86\"", CLIENT, PROCESS, STEP)).unwrap();
    assert_eq!(s.process.bitness, Bitness::B32);
    // An AnyCPU client may be forced to 32-bit (corflags /32BIT+).
    let p = PROCESS.replace("apartment", "bitness = 32\napartment");
    let s = load_text(&with("", CLIENT, &p, STEP)).unwrap();
    assert_eq!(s.process.bitness, Bitness::B32);
    // An x86 assembly is 32-bit, and cannot be told otherwise.
    let c = CLIENT.replace("runtime", "architecture = \"x86\"\nruntime");
    let s = load_text(&with("", &c, PROCESS, STEP)).unwrap();
    assert_eq!(s.process.bitness, Bitness::B32);
    let p = PROCESS.replace("apartment", "bitness = 64\napartment");
    assert_eq!(error(&with("", &c, &p, STEP)).code, codes::SCENARIO_PROCESS);
    // No 64-bit process on a 32-bit Windows.
    let c = CLIENT.replace("runtime", "architecture = \"amd64\"\nruntime");
    let e = error(&with("[machine]\nos = \"x86\"", &c, PROCESS, STEP));
    assert_eq!(e.code, codes::SCENARIO_PROCESS);
}

#[test]
fn a_native_client_is_inferred_from_its_image() {
    let host = "[[machine.native]]\npath = 'C:\\Host\\host.exe'\nbitness = 32\n";
    let p = "[process]\nexe = 'C:\\Host\\host.exe'\napartment = \"mta\"\npreloads_clr = true\n";
    let step = "[[step]]\nco_create_instance = \"Contoso.Widget\"\n[[step]]\nco_create_instance = \"0d2b6e5a-0000-4a5b-9c3d-1234567890ab\"\n";
    let s = load_text(&with("", host, p, step)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.client, ClientKind::Native);
    assert_eq!(s.process.bitness, Bitness::B32);
    assert!(s.process.preloads_clr);
    assert!(
        matches!(s.steps[0].request().unwrap(), Request::CoCreateInstance { target: ClassRef::ProgId(p), .. } if p == "Contoso.Widget")
    );
    assert!(matches!(
        s.steps[1].request().unwrap(),
        Request::CoCreateInstance {
            target: ClassRef::Clsid(_),
            ..
        }
    ));
    // A `{`-prefixed target is a CLSID, and a bad one is an error, not a ProgID.
    let bad = "[[step]]\nco_create_instance = \"{0D2B6E5A}\"\n";
    assert_eq!(error(&with("", host, p, bad)).code, codes::SCENARIO_GUID);
    // `client` must agree with the image; `preloads_clr` is for native hosts.
    let wrong = p.replace("[process]", "[process]\nclient = \"managed\"");
    assert_eq!(
        error(&with("", host, &wrong, step)).code,
        codes::SCENARIO_PROCESS
    );
    let managed = PROCESS.replace("apartment", "preloads_clr = true\napartment");
    assert_eq!(
        error(&with("", CLIENT, &managed, STEP)).code,
        codes::SCENARIO_PROCESS
    );
}

#[test]
fn the_exe_must_be_a_program() {
    let f = "[[machine.file]]\npath = 'C:\\App\\Client.exe'\nsource = \"x.txt\"\n";
    let text = with("", f, PROCESS, STEP);
    let dir = Dir::new(&[("scenario.toml", text.as_bytes()), ("x.txt", b"x")]);
    assert_eq!(load(&dir.0).unwrap_err().code, codes::SCENARIO_PROCESS);
    let dll = CLIENT.replace("Client.exe", "Client.dll");
    let p = PROCESS.replace("Client.exe", "Client.dll");
    assert_eq!(
        error(&with("", &dll, &p, STEP)).code,
        codes::SCENARIO_PROCESS
    );
}

#[test]
fn registry_views_on_a_32_bit_windows() {
    let reg = b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}]\r\n@=\"x\"\r\n";
    // 32-bit Windows: the one regedit writes the native view, no Wow6432Node.
    let text = with(
        "[machine]\nos = \"x86\"\nregistry = [{ file = \"a.reg\", view = 32 }]",
        CLIENT,
        PROCESS,
        STEP,
    );
    let dir = Dir::new(&[("scenario.toml", text.as_bytes()), ("a.reg", reg)]);
    let s = load(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    let dump = comsim_regfile::dump(&s.machine.registry);
    assert!(
        dump.contains(r"[HKEY_LOCAL_MACHINE\Software\Classes\CLSID\{0D2B6E5A"),
        "{dump}"
    );
    let text = text.replace("view = 32", "view = 64");
    let dir = Dir::new(&[("scenario.toml", text.as_bytes()), ("a.reg", reg)]);
    assert_eq!(load(&dir.0).unwrap_err().code, codes::SCENARIO_VALUE);
    // A standard user cannot create HKLM keys (REG-4): the import fails where regedit's would.
    let text = with(
        "[machine]\nregistry = [{ file = \"a.reg\", as = \"standard-user\" }]",
        CLIENT,
        PROCESS,
        STEP,
    );
    let dir = Dir::new(&[("scenario.toml", text.as_bytes()), ("a.reg", reg)]);
    let e = load(&dir.0).unwrap_err();
    assert!(e.code.name().starts_with("reg-"), "{e}");
    assert!(e.location.as_ref().unwrap().file.ends_with("a.reg"), "{e}");
    assert!(
        e.notes.iter().any(|n| n.contains("machine.registry")),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_directory_is_refused() {
    let outside = Dir::new(&[("secret.reg", b"Windows Registry Editor Version 5.00\r\n")]);
    let text = with(
        "[machine]\nregistry = [\"link.reg\"]",
        CLIENT,
        PROCESS,
        STEP,
    );
    let dir = Dir::new(&[("scenario.toml", text.as_bytes())]);
    std::os::unix::fs::symlink(outside.0.join("secret.reg"), dir.0.join("link.reg")).unwrap();
    let e = load(&dir.0).unwrap_err();
    assert_eq!(e.code, codes::SCENARIO_PATH, "{e}");
    // A link that stays inside is fine.
    let text = with(
        "[machine]\nregistry = [\"link.reg\"]",
        CLIENT,
        PROCESS,
        STEP,
    );
    let dir = Dir::new(&[
        ("scenario.toml", text.as_bytes()),
        ("real/a.reg", b"Windows Registry Editor Version 5.00\r\n"),
    ]);
    std::os::unix::fs::symlink(dir.0.join("real/a.reg"), dir.0.join("link.reg")).unwrap();
    load(&dir.0).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn files_over_the_cap_are_not_read() {
    let dir = Dir::new(&[("scenario.toml", b"title = \"t\"\n")]);
    let big = std::fs::File::create(dir.0.join("big.toml")).unwrap();
    big.set_len(MAX_FILE_SIZE + 1).unwrap();
    let e = load(&dir.0.join("big.toml")).unwrap_err();
    assert_eq!(e.code, codes::SCENARIO_TOO_LARGE);
    // A directory named as a referenced file.
    let text = with("[machine]\nregistry = [\"sub\"]", CLIENT, PROCESS, STEP);
    let dir = Dir::new(&[("scenario.toml", text.as_bytes()), ("sub/x", b"")]);
    assert_eq!(load(&dir.0).unwrap_err().code, codes::SCENARIO_IO);
}

#[test]
fn a_missing_scenario_is_an_error_not_a_panic() {
    let dir = Dir::new(&[]);
    let e = load(&dir.0).unwrap_err();
    assert_eq!(e.code, codes::SCENARIO_IO);
    assert!(e.location.unwrap().file.ends_with("scenario.toml"));
}

#[test]
fn deep_nesting_and_odd_input_do_not_panic() {
    let deep = format!(
        "title = \"t\"\nx = {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(error(&deep).code, codes::SCENARIO_SYNTAX);
    let deep = format!(
        "title = \"t\"\nx = {}1{}\n",
        "{a=".repeat(10_000),
        "}".repeat(10_000)
    );
    assert_eq!(error(&deep).code, codes::SCENARIO_SYNTAX);
    let dotted = format!("title = \"t\"\n{} = 1\n", vec!["a"; 10_000].join("."));
    assert!(load_text(&dotted).is_err());
    for text in [
        "",
        "\u{FEFF}",
        "\0",
        "title = 1",
        "[[step]]\n[[step]]",
        "process = 1",
    ] {
        assert!(load_text(text).is_err(), "{text:?}");
    }
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let text = format!("\u{FEFF}{}", with("", CLIENT, PROCESS, STEP));
    load_text(&text).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn top_level_problems_point_at_the_right_line() {
    let e = error(&with("bogus = 1", CLIENT, PROCESS, STEP));
    assert_eq!(e.code, codes::SCENARIO_FIELD);
    assert_eq!(e.location.unwrap().line, 2);
    let e = error(&with("", CLIENT, PROCESS, STEP).replace("title = \"t\"", ""));
    assert_eq!(e.code, codes::SCENARIO_FIELD);
    assert!(e.message.contains("title"), "{e}");
}

#[test]
fn expectations_flatten_nested_tables_and_check_values() {
    let step = r#"
[[step]]
create_instance = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}"
expect = { kind = "com_object", clsid = "0d2b6e5a-0000-4a5b-9c3d-1234567890ab", server.kind = "local_server", server.runtime_started = true, "server.managed.path" = 'C:/x/../Y.dll' }
expect_clr2 = { created = false, error = 14001 }
expect_clr4 = { created = true }
"#;
    let s = load_text(&with("", CLIENT, PROCESS, step)).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(Option<&str>, &str, &str)> = s.steps[0]
        .expect
        .iter()
        .map(|e| (e.clr.as_deref(), e.field.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (None, "kind", "com_object"),
            (None, "clsid", "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}"),
            (None, "server.kind", "local_server"),
            (None, "server.runtime_started", "true"),
            (None, "server.managed.path", r"C:\Y.dll"),
            (Some("2.0"), "created", "false"),
            (Some("2.0"), "error", "14001"),
            (Some("4.0"), "created", "true"),
        ]
    );
    for (bad, code) in [
        ("expect = { kind = \"ComObject\" }", codes::SCENARIO_EXPECT),
        ("expect = { hresult = -1 }", codes::SCENARIO_EXPECT),
        ("expect = { server = \"x\" }", codes::SCENARIO_EXPECT),
        ("expect = { kind = { a = 1 } }", codes::SCENARIO_EXPECT),
        (
            "expect = { server = { managed = { type = { x = 1 } } } }",
            codes::SCENARIO_FIELD,
        ),
        ("expect = { type = true }", codes::SCENARIO_EXPECT),
        ("expect = { kind = 1.5 }", codes::SCENARIO_FIELD),
        (
            "expect = { \"kind\" = \"null\", \"server.kind\" = \"surrogate\", server = { kind = \"surrogate\" } }",
            codes::SCENARIO_EXPECT,
        ),
        ("expect = 3", codes::SCENARIO_FIELD),
        ("expect_clr3 = { kind = \"null\" }", codes::SCENARIO_FIELD),
    ] {
        let step = format!(
            "[[step]]\nload_record = \"{{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}}\"\n{bad}\n"
        );
        let e = error(&with("", CLIENT, PROCESS, &step));
        assert_eq!(e.code, code, "{bad}: {e}");
    }
}

#[test]
fn the_same_field_may_be_expected_per_clr() {
    let step = "[[step]]\nload_record = \"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\nexpect_clr2 = { kind = \"null\" }\nexpect_clr4 = { kind = \"managed\" }\n";
    let s = load_text(&with("", CLIENT, PROCESS, step)).unwrap();
    assert_eq!(s.steps[0].expect.len(), 2);
}

#[test]
fn assemblies_need_a_place_and_valid_identity_parts() {
    let base =
        "[[machine.assembly]]\nname = \"W\"\nversion = \"1.0.0.0\"\nruntime = \"v2.0.50727\"\n";
    let e = error(&with("", &format!("{CLIENT}{base}"), PROCESS, STEP));
    assert_eq!(e.code, codes::SCENARIO_FIELD);
    for (extra, code) in [
        (
            "path = 'C:\\W.dll'\npublic_key_token = \"0123\"",
            codes::SCENARIO_VALUE,
        ),
        (
            "path = 'C:\\W.dll'\nculture = \"en US\"",
            codes::SCENARIO_VALUE,
        ),
        (
            "path = 'C:\\W.dll'\narchitecture = \"arm64\"",
            codes::SCENARIO_VALUE,
        ),
        (
            "path = 'C:\\W.dll'\nprimary_interop = { libid = \"{33333333-0000-4A5B-9C3D-1234567890AB}\", major = 70000, minor = 0 }",
            codes::SCENARIO_VALUE,
        ),
        (
            "gac = \"3.5\"\npublic_key_token = \"0123456789abcdef\"",
            codes::SCENARIO_GAC,
        ),
        (
            "gac = []\npublic_key_token = \"0123456789abcdef\"",
            codes::SCENARIO_GAC,
        ),
        (
            "path = 'C:\\W.dll'\n[[machine.assembly.type]]\nname = \"A\"\n[[machine.assembly.type]]\nname = \"A\"",
            codes::SCENARIO_DUPLICATE_TYPE,
        ),
        (
            "path = 'C:\\W.dll'\n[[machine.assembly.type]]\nname = \"A\"\nkind = \"record\"",
            codes::SCENARIO_VALUE,
        ),
        ("path = 'C:\\'", codes::SCENARIO_WINPATH),
    ] {
        let m = format!("{CLIENT}{base}{extra}\n");
        let e = error(&with("", &m, PROCESS, STEP));
        assert_eq!(e.code, code, "{extra}: {e}");
    }
    // A CLR that is not installed has no GAC.
    let m = format!("{CLIENT}{base}gac = \"2.0\"\npublic_key_token = \"0123456789abcdef\"\n");
    let e = error(&with(
        "[machine]\nclrs = [\"v4.0.30319\"]",
        &m,
        PROCESS,
        STEP,
    ));
    assert_eq!(e.code, codes::SCENARIO_GAC);
    // A v2 assembly may sit in the CLR 4 GAC.
    let m = format!("{CLIENT}{base}gac = \"4.0\"\npublic_key_token = \"0123456789ABCDEF\"\n");
    let s = load_text(&with("", &m, PROCESS, STEP)).unwrap();
    let p = WinPath::parse(
        r"C:\Windows\Microsoft.NET\assembly\GAC_MSIL\W\v4.0_1.0.0.0__0123456789abcdef\W.dll",
    )
    .unwrap();
    assert!(s.machine.fs.exists(&p));
}

#[test]
fn installed_clrs_are_full_versions_listed_once() {
    for (clrs, ok) in [
        ("[]", true),
        ("[\"v4.0.30319\"]", true),
        ("[\"v1.1.4322\", \"v2.0.50727\"]", true),
        ("[\"v4.0\"]", false),
        ("[\"4.0.30319\"]", false),
        ("[\"v4.0.30319\", \"v4.0.30320\"]", false),
    ] {
        let r = load_text(&with(
            &format!("[machine]\nclrs = {clrs}"),
            CLIENT,
            PROCESS,
            STEP,
        ));
        assert_eq!(
            r.is_ok(),
            ok,
            "{clrs}: {:?}",
            r.err().map(|e| e.to_string())
        );
    }
}

#[test]
fn native_images_check_bitness_and_starts() {
    for (n, code) in [
        ("path = 'C:\\x.dll'", codes::SCENARIO_FIELD),
        ("path = 'C:\\x.dll'\nbitness = 16", codes::SCENARIO_VALUE),
        (
            "path = 'C:\\x.dll'\nbitness = 32\nstarts = true",
            codes::SCENARIO_FIELD,
        ),
        (
            "path = 'C:\\x.dll'\nbitness = 32\nserves = [\"nope\"]",
            codes::SCENARIO_GUID,
        ),
    ] {
        let m = format!("{CLIENT}[[machine.native]]\n{n}\n");
        let e = error(&with("", &m, PROCESS, STEP));
        assert_eq!(e.code, code, "{n}: {e}");
    }
}

#[test]
fn step_options_belong_to_their_request() {
    for (step, code) in [
        (
            "create_instance = \"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\nthrow_on_error = true",
            codes::SCENARIO_STEP,
        ),
        (
            "load_record = \"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\ncreate = true",
            codes::SCENARIO_STEP,
        ),
        ("get_type_from_progid = \"\"", codes::SCENARIO_VALUE),
        (
            "co_create_instance = \"X.Y\"\nclsctx = \"CLSCTX_NOWHERE\"",
            codes::SCENARIO_VALUE,
        ),
        (
            "create_instance = \"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\napartment = \"main\"",
            codes::SCENARIO_VALUE,
        ),
        (
            "create_instance = \"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\nregasm = \"x\"",
            codes::SCENARIO_FIELD,
        ),
    ] {
        let e = error(&with("", CLIENT, PROCESS, &format!("[[step]]\n{step}\n")));
        assert_eq!(e.code, code, "{step}: {e}");
    }
}

#[test]
fn native_bytes_give_the_bitness_and_the_manifest() {
    let pe = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pe/app32.exe"),
    )
    .unwrap();
    let host = "[[machine.native]]\npath = 'C:\\Host\\app.exe'\nbytes = \"app.exe\"\n";
    let p = "[process]\nexe = 'C:\\Host\\app.exe'\napartment = \"sta\"\n";
    let step = "[[step]]\nco_create_instance = \"X.Y\"\n";
    let load_with = |host: &str| {
        let text = with("", host, p, step);
        let dir = Dir::new(&[
            ("scenario.toml", text.as_bytes()),
            ("app.exe", &pe),
            ("m", b"<x/>"),
        ]);
        load(&dir.0)
    };
    let s = load_with(host).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.bitness, Bitness::B32);
    let f = s.machine.fs.get(&s.process.exe).unwrap();
    assert_eq!(f.bytes, pe);
    assert_eq!(f.embedded_manifest, None);
    assert_eq!(
        load_with(&format!("{host}bitness = 32\n"))
            .unwrap()
            .process
            .bitness,
        Bitness::B32
    );
    assert_eq!(
        load_with(&format!("{host}bitness = 64\n"))
            .unwrap_err()
            .code,
        codes::SCENARIO_PE
    );
    assert_eq!(
        load_with(&format!("{host}manifest = \"m\"\n"))
            .unwrap_err()
            .code,
        codes::SCENARIO_FIELD
    );
}

/// A managed client built for `runtime` on a machine with `clrs`, with `config` as its
/// `Client.exe.config` when given, replayed on both CLRs: each run's `what_if`.
fn what_ifs(runtime: &str, clrs: &[&str], config: Option<&str>) -> Vec<(Clr, Option<String>)> {
    let clrs = clrs
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let config_file = if config.is_some() {
        "[[machine.file]]\npath = 'C:\\App\\Client.exe.config'\nsource = \"Client.exe.config\"\n"
    } else {
        ""
    };
    let text = format!(
        "title = \"t\"\n[machine]\nclrs = [{clrs}]\n{config_file}\n[[machine.assembly]]\npath = 'C:\\App\\Client.exe'\nname = \"Client\"\nversion = \"1.0.0.0\"\nruntime = \"{runtime}\"\n{PROCESS}\n{STEP}"
    );
    let mut files: Vec<(&str, &[u8])> = vec![("scenario.toml", text.as_bytes())];
    if let Some(c) = config {
        files.push(("Client.exe.config", c.as_bytes()));
    }
    let dir = Dir::new(&files);
    let s = load(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    let r = replay(&s, &ReplayOptions::default()).unwrap();
    r.request_runs()
        .map(|(_, run)| {
            (
                run.clr.expect("a managed client's run has a CLR"),
                run.what_if.clone(),
            )
        })
        .collect()
}

fn config(runtimes: &[&str]) -> String {
    let entries: String = runtimes
        .iter()
        .map(|v| format!("<supportedRuntime version=\"{v}\"/>"))
        .collect();
    format!("<configuration><startup>{entries}</startup></configuration>")
}

#[test]
fn shim2_shim4_a_run_on_a_clr_the_real_machine_would_not_give_the_client_is_a_what_if() {
    const BOTH: &[&str] = &["v2.0.50727", "v4.0.30319"];
    // (built for, installed, .config, what-if on 2.0?, what-if on 4.0?, a word of the reason)
    type Case<'a> = (&'a str, &'a [&'a str], Option<String>, bool, bool, &'a str);
    let cases: &[Case<'_>] = &[
        // SHIM-2: no .config, the runtime the exe was built for.
        ("v4.0.30319", BOTH, None, true, false, "runs it on CLR 4.0"),
        ("v2.0.50727", BOTH, None, false, true, "runs it on CLR 2.0"),
        // A pre-v4 client whose own runtime is missing moves to the newest one before v4.
        (
            "v1.1.4322",
            BOTH,
            None,
            false,
            true,
            "newest installed runtime before v4",
        ),
        // ... never to CLR 4: the real process does not start; the run on the CLR that is not
        // installed does not start either, so it is not a what-if.
        (
            "v2.0.50727",
            &["v4.0.30319"],
            None,
            false,
            true,
            "would not start",
        ),
        (
            "v4.0.30319",
            &["v2.0.50727"],
            None,
            true,
            false,
            "would not start",
        ),
        // SHIM-4: the first installed supportedRuntime, in the order written.
        (
            "v2.0.50727",
            BOTH,
            Some(config(&["v4.0", "v2.0.50727"])),
            true,
            false,
            "v4.0 is the first one installed",
        ),
        (
            "v4.0.30319",
            BOTH,
            Some(config(&["v2.0.50727", "v4.0"])),
            false,
            true,
            "v2.0.50727 is the first one installed",
        ),
        (
            "v2.0.50727",
            BOTH,
            Some(config(&["v1.1.4322"])),
            true,
            true,
            "none of them is installed",
        ),
        // A .config without supportedRuntime: the runtime the exe was built for.
        (
            "v2.0.50727",
            BOTH,
            Some(config(&[])),
            false,
            true,
            "a .config without supportedRuntime",
        ),
    ];
    for (built, installed, cfg, on2, on4, word) in cases {
        let runs = what_ifs(built, installed, cfg.as_deref());
        let case = format!("{built} on {installed:?} with {cfg:?}");
        assert_eq!(runs.len(), 2, "{case}");
        for (clr, what_if) in &runs {
            let expected = match clr {
                Clr::V2 => *on2,
                Clr::V4 => *on4,
            };
            assert_eq!(what_if.is_some(), expected, "{case}, CLR {}", clr.label());
            if let Some(w) = what_if {
                assert!(w.contains(word), "{case}: {w}");
            }
        }
    }
}

#[test]
fn expect_real_applies_to_the_run_the_real_machine_makes_only() {
    // A client built for v4.0 with no .config: CLR 4.0 is the real run (SHIM-2).
    let step = "[[step]]\ncreate_instance = \"{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\"\nexpect_real = { hresult = \"0x80040154\" }\n";
    let s = load_text(&with("", CLIENT, PROCESS, step)).unwrap();
    assert_eq!(s.steps[0].expect[0].clr.as_deref(), Some(REAL));
    let r = replay(&s, &ReplayOptions::default()).unwrap();
    let checks: Vec<(Clr, usize)> = r
        .request_runs()
        .map(|(_, run)| (run.clr.unwrap(), run.checks.len()))
        .collect();
    assert_eq!(checks, vec![(Clr::V2, 0), (Clr::V4, 1)]);
    // With only the what-if CLR chosen, nothing is checked.
    let only2 = ReplayOptions {
        clrs: ClrChoice::Clr2,
        ..ReplayOptions::default()
    };
    let r = replay(&s, &only2).unwrap();
    assert_eq!(r.checks().count(), 0);
}

/// COM-3: `[machine.environment]` moves the Windows directory (and with it the GACs) and the
/// Program Files folders; `SystemDrive` alone puts Windows in `<drive>\Windows`.
#[test]
fn com3_machine_environment_sets_the_windows_directory_and_program_files() {
    let m = format!(
        "{CLIENT}[[machine.assembly]]\nname = \"W\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\ngac = \"4.0\"\npublic_key_token = \"0123456789abcdef\"\n"
    );
    let head = "[machine.environment]\nWINDIR = 'D:\\Windows'\nSystemRoot = 'D:\\Windows'\n\"CommonProgramFiles(x86)\" = 'E:\\Common32'";
    let s = load_text(&with(head, &m, PROCESS, STEP)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.machine.windows.to_string(), r"D:\Windows");
    assert_eq!(
        s.machine
            .program_folder(comsim_resolver::ProgramFolder::CommonX86)
            .to_string(),
        r"E:\Common32"
    );
    assert_eq!(
        s.machine
            .program_folder(comsim_resolver::ProgramFolder::Native)
            .to_string(),
        r"D:\Program Files"
    );
    let gac = WinPath::parse(
        r"D:\Windows\Microsoft.NET\assembly\GAC_MSIL\W\v4.0_1.0.0.0__0123456789abcdef\W.dll",
    )
    .unwrap();
    assert!(s.machine.fs.exists(&gac));
    let s = load_text(&with(
        "[machine.environment]\nSystemDrive = 'E:'",
        CLIENT,
        PROCESS,
        STEP,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.machine.windows.to_string(), r"E:\Windows");
}

/// COM-3: `[machine.environment]` takes only the variables it models, with values Windows could
/// have, and reports the one that is wrong where it is written.
#[test]
fn com3_machine_environment_rejects_what_windows_would_not_have() {
    for (head, code, at) in [
        (
            "[machine.environment]\nProgramW6432 = 'D:\\P'",
            codes::SCENARIO_FIELD,
            "ProgramW6432",
        ),
        (
            "[machine.environment]\nwindir = 'D:\\Windows'\nWinDir = 'D:\\Windows'",
            codes::SCENARIO_FIELD,
            "WinDir",
        ),
        (
            "[machine.environment]\nProgramFiles = 'Programs'",
            codes::SCENARIO_WINPATH,
            "'Programs'",
        ),
        (
            "[machine.environment]\nSystemDrive = 'D:\\Windows'",
            codes::SCENARIO_WINPATH,
            "'D:\\Windows'",
        ),
        (
            "[machine.environment]\nSystemRoot = 'D:\\Windows'\nwindir = 'C:\\Windows'",
            codes::SCENARIO_VALUE,
            "'C:\\Windows'",
        ),
        (
            "[machine.environment]\nSystemRoot = 'D:\\Windows'\nSystemDrive = 'C:'",
            codes::SCENARIO_VALUE,
            "'D:\\Windows'",
        ),
        (
            "[machine]\nos = \"x86\"\n[machine.environment]\n\"ProgramFiles(x86)\" = 'C:\\P'",
            codes::SCENARIO_VALUE,
            "\"ProgramFiles(x86)\"",
        ),
    ] {
        let text = with(head, CLIENT, PROCESS, STEP);
        let e = error(&text);
        assert_eq!(e.code, code, "{head}: {e}");
        let loc = e.location.as_ref().expect("located");
        let line = text
            .lines()
            .nth(loc.line as usize - 1)
            .expect("the line exists");
        assert!(
            line[loc.column as usize - 1..].starts_with(at),
            "{head}: {e} points at `{line}`"
        );
    }
}

/// BIND-4, COM-3: `[process] cwd` is the process's current directory, the exe's directory by
/// default; a value that is not an absolute Windows path is reported where it is written.
#[test]
fn bind4_com3_process_cwd_defaults_to_the_exe_directory() {
    let s = load_text(&with("", CLIENT, PROCESS, STEP)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.cwd.to_string(), r"C:\App");
    let p = format!("{PROCESS}cwd = 'D:\\'\n");
    let s = load_text(&with("", CLIENT, &p, STEP)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.cwd.to_string(), r"D:\");
    let p = format!("{PROCESS}cwd = 'Work'\n");
    let e = error(&with("", CLIENT, &p, STEP));
    assert_eq!(e.code, codes::SCENARIO_WINPATH);
}

/// COM-3: `readable_by` on a native DLL takes `everyone`, `administrators` or `nobody`, and is
/// not for an .exe.
#[test]
fn com3_readable_by_names_who_may_read_a_dll() {
    let dll = "[[machine.native]]\npath = 'C:\\x.dll'\nbitness = 64\n";
    let m = format!("{CLIENT}{dll}readable_by = \"administrators\"\n");
    let s = load_text(&with("", &m, PROCESS, STEP)).unwrap_or_else(|e| panic!("{e}"));
    let f = s
        .machine
        .fs
        .get(&WinPath::parse(r"C:\x.dll").unwrap())
        .unwrap();
    assert_eq!(
        f.native().unwrap().readable_by,
        comsim_resolver::Readers::Administrators
    );
    let m = format!("{CLIENT}{dll}readable_by = \"users\"\n");
    assert_eq!(
        error(&with("", &m, PROCESS, STEP)).code,
        codes::SCENARIO_VALUE
    );
    let m = format!(
        "{CLIENT}[[machine.native]]\npath = 'C:\\s.exe'\nbitness = 64\nreadable_by = \"nobody\"\n"
    );
    assert_eq!(
        error(&with("", &m, PROCESS, STEP)).code,
        codes::SCENARIO_FIELD
    );
}

/// Issue 11: a machine step expects its console and the script `regasm /regfile` wrote, whole
/// (line endings and final newlines normalised) or as text they contain; a bad value or a
/// misspelt field is `scenario-expect` at its place, and the fields are not a request's.
#[test]
fn machine_steps_expect_their_console_and_regfile() {
    let show = "[[step]]\nshow = 'HKEY_CLASSES_ROOT\\CLSID'\n";
    let step = format!(
        "{show}expect = {{ console = \"a\\r\\nb\\n\\n\", console_contains = \"RA0000\", regfile = '', regfile_contains = \"[HKEY\" }}\n"
    );
    let s = load_text(&with("", CLIENT, PROCESS, &step)).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(&str, &str)> = s.steps[0]
        .expect
        .iter()
        .map(|e| (e.field.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("console", "a\nb"),
            ("console_contains", "RA0000"),
            ("regfile", ""),
            ("regfile_contains", "[HKEY"),
        ]
    );
    for (bad, column) in [
        ("expect = { console_contains = \"\" }", 31),
        ("expect = { console = 1 }", 22),
        ("expect = { regfile_contain = \"x\" }", 12),
    ] {
        let text = with("", CLIENT, PROCESS, &format!("{show}{bad}\n"));
        let e = error(&text);
        assert_eq!(e.code, codes::SCENARIO_EXPECT, "{bad}: {e}");
        let loc = e.location.as_ref().expect("located");
        // On the `expect` line, the file's last.
        let line = u32::try_from(text.lines().count()).expect("a short file");
        assert_eq!((loc.line, loc.column), (line, column), "{bad}: {e}");
    }
    let e = error(&with(
        "",
        CLIENT,
        PROCESS,
        &format!("{STEP}expect = {{ console_contains = \"x\" }}\n"),
    ));
    assert_eq!(e.code, codes::SCENARIO_EXPECT);
}

/// Issue 11: `sxs_lookup` takes a GUID and `find` (default `any`); a bad GUID is `scenario-guid`,
/// a bad `find` `scenario-value`, `find` on another step `scenario-step`, and its answer is expected as
/// `sxs.*` fields.
#[test]
fn sxs_lookup_steps() {
    use comsim_manifest::lookup::Find;
    let step = "[[step]]\nsxs_lookup = \"ba000000-0000-4000-8000-000000000001\"\nexpect = { \"sxs.found\" = true, sxs.flags = 2, \"sxs.type_name\" = \"T\" }\n\n[[step]]\nsxs_lookup = \"{BA000000-0000-4000-8000-000000000001}\"\nfind = \"surrogate\"\n";
    let s = load_text(&with("", CLIENT, PROCESS, step)).unwrap_or_else(|e| panic!("{e}"));
    let finds: Vec<Find> = s
        .steps
        .iter()
        .map(|st| match &st.action {
            Action::Machine(MachineStep::SxsLookup { find, .. }) => *find,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(finds, [Find::Any, Find::Surrogate]);
    let fields: Vec<&str> = s.steps[0].expect.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["sxs.found", "sxs.flags", "sxs.type_name"]);
    for (bad, code) in [
        ("sxs_lookup = \"Widget\"", codes::SCENARIO_GUID),
        (
            "sxs_lookup = \"{BA000000-0000-4000-8000-000000000001}\"\nfind = \"clr_class\"",
            codes::SCENARIO_VALUE,
        ),
        (
            "create_instance = \"{BA000000-0000-4000-8000-000000000001}\"\nfind = \"class\"",
            codes::SCENARIO_STEP,
        ),
        (
            "sxs_lookup = \"{BA000000-0000-4000-8000-000000000001}\"\nexpect = { sxs.flag = 1 }",
            codes::SCENARIO_EXPECT,
        ),
    ] {
        let e = error(&with("", CLIENT, PROCESS, &format!("[[step]]\n{bad}\n")));
        assert_eq!(e.code, code, "{bad}: {e}");
    }
}

/// COM-5: `[process] main_sta` and `mta_exists` describe the process's other threads; values
/// that contradict the calling thread are located errors.
#[test]
fn com5_process_threads_are_read_and_checked_against_the_calling_thread() {
    use comsim_resolver::MainSta;
    let host = "[[machine.native]]\npath = 'C:\\Host\\host.exe'\nbitness = 64\n";
    let step = "[[step]]\nco_create_instance = \"Contoso.Widget\"\n";
    let sta = "[process]\nexe = 'C:\\Host\\host.exe'\napartment = \"sta\"\n";
    let s = load_text(&with("", host, sta, step)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.threads.main_sta, MainSta::Caller);
    assert!(!s.process.threads.mta_exists);

    let other = format!("{sta}main_sta = \"other-thread\"\nmta_exists = true\n");
    let s = load_text(&with("", host, &other, step)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.threads.main_sta, MainSta::OtherThread);
    assert!(s.process.threads.mta_exists);

    // An unknown value, and `none` from an STA thread, are located at the value.
    let bad = format!("{sta}main_sta = \"elsewhere\"\n");
    let e = error(&with("", host, &bad, step));
    assert_eq!(e.code, codes::SCENARIO_VALUE);
    assert!(e.message.contains("`other-thread`"), "{e}");
    let none = format!("{sta}main_sta = \"none\"\n");
    let e = error(&with("", host, &none, step));
    assert_eq!(e.code, codes::SCENARIO_VALUE);
    assert_eq!(e.location.as_ref().unwrap().line, 10, "{e}");

    // From the MTA: `none` is fine, a step on an STA thread is not; the MTA exists.
    let mta = "[process]\nexe = 'C:\\Host\\host.exe'\napartment = \"mta\"\nmain_sta = \"none\"\n";
    let s = load_text(&with("", host, mta, step)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.process.threads.main_sta, MainSta::None);
    let sta_step = format!("{step}apartment = \"na-on-sta\"\n");
    assert_eq!(
        error(&with("", host, mta, &sta_step)).code,
        codes::SCENARIO_STEP
    );
    let no_mta = format!("{mta}mta_exists = false\n");
    assert_eq!(
        error(&with("", host, &no_mta, step)).code,
        codes::SCENARIO_VALUE
    );
}

/// SXS-1: a request's `actctx` names the manifest CreateActCtx reads and its assembly directory,
/// by default the manifest's; bad paths, unknown keys and `actctx` on a machine step are located
/// errors.
#[test]
fn sxs1_actctx_of_a_request_step_is_read_and_checked() {
    use comsim_resolver::ExplicitContext;
    let host = "[[machine.native]]\npath = 'C:\\Host\\host.exe'\nbitness = 64\n";
    let p = "[process]\nexe = 'C:\\Host\\host.exe'\napartment = \"sta\"\n";
    let step = |actctx: &str| {
        format!("[[step]]\nco_create_instance = \"Contoso.Widget\"\nactctx = {actctx}\n")
    };
    let s = load_text(&with(
        "",
        host,
        p,
        &step("{ manifest = 'C:\\Plugins\\x.manifest' }"),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let Action::Request {
        actctx:
            Some(ExplicitContext {
                manifest,
                assembly_directory,
            }),
        ..
    } = &s.steps[0].action
    else {
        panic!("no actctx: {:?}", s.steps[0].action);
    };
    assert_eq!(manifest.to_string(), r"C:\Plugins\x.manifest");
    assert_eq!(assembly_directory.to_string(), r"C:\Plugins");

    let relative = step("{ manifest = 'x.manifest' }");
    assert_eq!(
        error(&with("", host, p, &relative)).code,
        codes::SCENARIO_WINPATH
    );
    let unknown = step("{ manifest = 'C:\\x.manifest', directory = 'C:\\' }");
    assert_eq!(
        error(&with("", host, p, &unknown)).code,
        codes::SCENARIO_FIELD
    );
    let on_show = "[[step]]\nshow = 'HKCR\\CLSID'\nactctx = { manifest = 'C:\\x.manifest' }\n";
    assert_eq!(
        error(&with("", host, p, on_show)).code,
        codes::SCENARIO_STEP
    );
}
