//! The process configurations diagnose tries (issue 13, "unknown facts"), the request each
//! makes, and which reproduce the reported error.

use comsim_diagnose::config::{Facts, enumerate};
use comsim_diagnose::input::{MachineInput, MachineSource, load};
use comsim_diagnose::{ErrorForm, Reported, parse_error, request_for};
use comsim_resolver::{Bitness, ClientKind, HResult, Request};
use comsim_scenario::Clr;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reg_only() -> comsim_diagnose::Loaded {
    load(&MachineInput {
        sources: vec![MachineSource::Reg {
            path: root().join("fixtures/diagnose/other-view/hklm-classes-32.reg"),
            view: comsim_registry::View::Bits32,
        }],
        app: None,
        client: None,
        clrs: None,
        gac: Vec::new(),
    })
    .unwrap()
}

/// The diagnosis of the error text `error` about the class `clsid`, with `facts` known.
fn diagnosis(
    loaded: &mut comsim_diagnose::Loaded,
    (error, clsid): (&str, &str),
    facts: Facts,
) -> comsim_diagnose::Diagnosis {
    let mut reported = parse_error(error).expect("an error text");
    reported.clsid = comsim_manifest::Guid::parse(clsid);
    let q = comsim_diagnose::Question { reported, facts };
    comsim_diagnose::diagnose(&q, loaded).expect("a diagnosis")
}

/// Nothing known: managed (on CLR 2.0 and 4) and native clients, 32 and 64 bits, elevated or
/// not — 12 configurations on a 64-bit Windows.
#[test]
fn unknown_facts_give_every_configuration() {
    let n = enumerate(&Facts::default(), &reg_only()).len();
    assert_eq!(n, 2 * 2 * 2 + 2 * 2);
}

/// Each known fact narrows the set.
#[test]
fn facts_narrow_the_configurations() {
    let facts = Facts {
        bitness: Some(Bitness::B64),
        elevated: Some(false),
        clr: Some(Clr::V4),
        client: Some(ClientKind::Managed),
    };
    let configs = enumerate(&facts, &reg_only());
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].built_for, Some(Clr::V4));
}

/// A scenario's client file fixes the kind and, for a native image, the bitness.
#[test]
fn a_client_file_decides_its_kind_and_bitness() {
    let loaded = load(&MachineInput {
        sources: vec![MachineSource::Scenario(
            root().join("fixtures/diagnose/treatas-missing/machine"),
        )],
        app: None,
        client: None,
        clrs: None,
        gac: Vec::new(),
    })
    .unwrap();
    let configs = enumerate(&Facts::default(), &loaded);
    assert!(
        configs
            .iter()
            .all(|c| c.client == ClientKind::Native && c.bitness == Bitness::B64)
    );
    assert_eq!(configs.len(), 2);
}

/// REQ-2 for a managed client with a CLSID; REQ-3 when PowerShell names the ProgID; REQ-4 for a
/// native client (VB's CreateObject).
#[test]
fn the_request_follows_the_client_and_the_error() {
    let clsid = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";
    let r = parse_error(&format!(
        "CLSID {clsid} failed due to the following error: 80040154."
    ))
    .unwrap();
    assert!(matches!(
        request_for(&r, ClientKind::Managed),
        Some(Request::CreateInstance { .. })
    ));
    let r = parse_error(&format!(
        "New-Object : CLSID {clsid} ... 80040154\n+ New-Object -ComObject Contoso.Widget"
    ))
    .unwrap();
    assert!(matches!(
        request_for(&r, ClientKind::Managed),
        Some(Request::GetTypeFromProgId { .. })
    ));
    assert!(matches!(
        request_for(&r, ClientKind::Native),
        Some(Request::CoCreateInstance { .. })
    ));
    assert!(request_for(&Reported::empty(), ClientKind::Native).is_none());
}

/// VB's 429 matches any failed HRESULT; another HRESULT only itself.
#[test]
fn vb_429_matches_any_failure() {
    let r = parse_error("Run-time error '429': ActiveX component can't create object").unwrap();
    assert_eq!(r.form, ErrorForm::VbCantCreate);
    assert!(r.hresult_matches(Some(HResult::CO_E_SERVER_EXEC_FAILURE)));
    assert!(!r.hresult_matches(None));
    let r = parse_error("0x80040154").unwrap();
    assert!(!r.hresult_matches(Some(HResult::CO_E_SERVER_EXEC_FAILURE)));
}

/// A `.reg` file that regedit would not import is refused with its line and column.
#[test]
fn a_bad_export_is_located() {
    let dir = std::env::temp_dir().join(format!("comsim-diagnose-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.reg");
    std::fs::write(
        &path,
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\x]\r\n\"v\"=dword:zz\r\n",
    )
    .unwrap();
    let err = load(&MachineInput {
        sources: vec![MachineSource::Reg {
            path,
            view: comsim_registry::View::Bits64,
        }],
        app: None,
        client: None,
        clrs: None,
        gac: Vec::new(),
    })
    .unwrap_err();
    let loc = err.location.expect("located");
    assert_eq!(loc.line, 4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Fixes are replayed on the machine itself and undone (no copy of the registry): after a
/// diagnosis whose fixes import, delete and regasm, the registry and the files are as loaded.
#[test]
fn replayed_fixes_leave_the_machine_as_it_was() {
    for case in [
        "other-view",
        "version-subkey-removed",
        "per-user-elevated",
        "not-com-visible",
    ] {
        let dir = root().join("fixtures/diagnose").join(case);
        let args: Vec<String> = std::fs::read_to_string(dir.join("args"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let arg = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|i| dir.join(&args[i + 1]))
        };
        let mut sources = Vec::new();
        if let Some(s) = arg("--scenario") {
            sources.push(MachineSource::Scenario(s));
        }
        for (flag, view) in [
            ("--reg", comsim_registry::View::Bits64),
            ("--reg32", comsim_registry::View::Bits32),
        ] {
            if let Some(path) = arg(flag) {
                sources.push(MachineSource::Reg { path, view });
            }
        }
        let mut loaded = load(&MachineInput {
            sources,
            app: None,
            client: None,
            clrs: None,
            gac: Vec::new(),
        })
        .unwrap();
        let text = std::fs::read_to_string(arg("--error-file").unwrap()).unwrap();
        let q = comsim_diagnose::Question {
            reported: parse_error(&text).unwrap(),
            facts: Facts::default(),
        };
        // The stand-ins and assumed files are placed before the replays; take the state after.
        let d = comsim_diagnose::diagnose(&q, &mut loaded).unwrap();
        assert!(!d.causes[0].fixes.is_empty(), "{case}");
        let before = comsim_regfile::dump(&loaded.machine.registry);
        let files: Vec<String> = loaded
            .machine
            .fs
            .files()
            .map(|f| f.path.to_string())
            .collect();
        let again = comsim_diagnose::diagnose(&q, &mut loaded).unwrap();
        assert_eq!(
            comsim_regfile::dump(&loaded.machine.registry),
            before,
            "{case}"
        );
        let after: Vec<String> = loaded
            .machine
            .fs
            .files()
            .map(|f| f.path.to_string())
            .collect();
        assert_eq!(after, files, "{case}");
        assert_eq!(
            again.causes[0].fixes.len(),
            d.causes[0].fixes.len(),
            "{case}"
        );
        // With a listener: the configurations counted from 0 to all of them, the same diagnosis.
        let mut steps = Vec::new();
        let third = comsim_diagnose::diagnose_with_progress(&q, &mut loaded, &mut |d, t| {
            steps.push((d, t));
        })
        .unwrap();
        assert_eq!(format!("{third:?}"), format!("{again:?}"), "{case}");
        let total = steps[0].1;
        assert!(total >= 1 && steps[0] == (0, total), "{case}: {steps:?}");
        assert_eq!(steps.last(), Some(&(total, total)), "{case}");
        assert!(
            steps
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[1].1 == total)
        );
    }
}

/// A .NET 2.0 client on a machine with CLR 4 only does not start (SHIM-2): the cause is the
/// missing runtime (its fix, .NET 3.5, replayed), and "what would make it work" lists a `.config`
/// that runs it on CLR 4 (SHIM-4), replayed.
#[test]
fn a_clr2_client_without_its_runtime_would_work_with_a_clr4_config() {
    let dir = std::env::temp_dir().join(format!("comsim-diagnose-clr2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("scenario.toml"),
        r#"title = "a .NET 2.0 client, CLR 4 only"
[machine]
clrs = ["v4.0.30319"]
registry = ["r.reg"]

[[machine.assembly]]
path = 'C:\Lib\W.dll'
name = "W"
version = "1.0.0.0"
runtime = "v4.0.30319"

  [[machine.assembly.type]]
  name = "W.C"
  guid = "{12345678-0000-4000-8000-000000000001}"

[[machine.assembly]]
path = 'C:\App\Old.exe'
name = "Old"
version = "1.0.0.0"
runtime = "v2.0.50727"

[process]
exe = 'C:\App\Old.exe'
apartment = "sta"

[[step]]
show = 'HKEY_CLASSES_ROOT\CLSID'
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("r.reg"),
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{12345678-0000-4000-8000-000000000001}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"Class\"=\"W.C\"\r\n\"Assembly\"=\"W, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null\"\r\n\"RuntimeVersion\"=\"v4.0.30319\"\r\n\"CodeBase\"=\"file:///C:/Lib/W.dll\"\r\n",
    )
    .unwrap();
    let mut loaded = load(&MachineInput {
        sources: vec![MachineSource::Scenario(dir.clone())],
        app: None,
        client: None,
        clrs: None,
        gac: Vec::new(),
    })
    .unwrap();
    let error = "To run this application, you first must install one of the following versions of the .NET Framework: v2.0.50727";
    let facts = Facts {
        bitness: Some(Bitness::B64),
        elevated: Some(false),
        ..Facts::default()
    };
    let d = diagnosis(
        &mut loaded,
        (error, "{12345678-0000-4000-8000-000000000001}"),
        facts,
    );
    assert_eq!(d.causes[0].id, "runtime-not-installed");
    assert!(!d.causes[0].fixes.is_empty());
    assert!(
        d.would_work
            .iter()
            .any(|c| c.change.contains("CLR 4") && c.after.succeeded()),
        "{:?}",
        d.would_work
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The error text's limit (docs/reliability.md, "Limits"): only its first MiB is parsed, so a
/// CLSID after it is not found, and the same CLSID before it is, however much text follows.
#[test]
fn only_the_first_mib_of_an_error_text_is_parsed() {
    let max = comsim_diagnose::error::MAX_ERROR_TEXT;
    let clsid = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";
    let message = format!(
        "Retrieving the COM class factory for component with CLSID {clsid} failed due to the following error: 80040154 Class not registered"
    );
    let after = format!("{}\n{message}", "é".repeat(max / 2));
    let found = parse_error(&after);
    assert!(
        found.is_none_or(|r| r.clsid.is_none()),
        "found past the limit"
    );
    let before = format!("{message}\n{}", "x".repeat(4 * max));
    let r = parse_error(&before).expect("parsed");
    assert_eq!(r.clsid.map(|c| c.to_string()).as_deref(), Some(clsid));
}

/// With registry exports alone, the native servers of the class and of the class its `TreatAs`
/// leads to (COM-2) are assumed as their registrations describe them, each once (the
/// target's REG_EXPAND_SZ path expanded for a 64-bit process): the 64-bit process creates the
/// emulating class from its DLL; the 32-bit one finds no registration in its view.
#[test]
fn a_treatas_targets_native_server_is_assumed_too() {
    let path = std::env::temp_dir().join(format!(
        "comsim-diagnose-treatas-{}.reg",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "Windows Registry Editor Version 5.00\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0000000A-0000-4000-8000-0000000000D1}\\InprocServer32]\r\n\
         @=\"C:\\\\Old\\\\old.dll\"\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0000000A-0000-4000-8000-0000000000D1}\\TreatAs]\r\n\
         @=\"{0000000B-0000-4000-8000-0000000000D1}\"\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0000000B-0000-4000-8000-0000000000D1}\\InprocServer32]\r\n\
         @=\"%ProgramFiles%\\\\New\\\\new.dll\"\r\n\r\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // REG_EXPAND_SZ as regedit writes it: in a file without a byte order mark, its data is in
    // the ANSI code page, a byte a character.
    let expand: String = "%ProgramFiles%\\New\\new.dll\0"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(",");
    let text = text.replace(
        "@=\"%ProgramFiles%\\\\New\\\\new.dll\"",
        &format!("@=hex(2):{expand}"),
    );
    std::fs::write(&path, text).unwrap();
    let mut loaded = load(&MachineInput {
        sources: vec![MachineSource::Reg {
            path: path.clone(),
            view: comsim_registry::View::Bits64,
        }],
        app: None,
        client: None,
        clrs: None,
        gac: Vec::new(),
    })
    .unwrap();
    let _ = std::fs::remove_file(&path);
    let native = Facts {
        client: Some(ClientKind::Native),
        elevated: Some(false),
        ..Facts::default()
    };
    let clsid = "{0000000A-0000-4000-8000-0000000000D1}";
    let d = diagnosis(&mut loaded, ("0x80040154", clsid), native);
    assert_eq!(d.assumptions.len(), 2, "{:?}", d.assumptions);
    assert!(d.assumptions[0].starts_with(r"C:\Old\old.dll is a 64-bit native DLL"));
    assert!(
        d.assumptions[1].starts_with(r"C:\Program Files\New\new.dll is a 64-bit native DLL"),
        "{:?}",
        d.assumptions
    );
    let outcome = |b: Bitness| {
        let t = d.configs.iter().find(|t| t.config.bitness == b).unwrap();
        (t.outcome.hresult(), t.outcome.kind())
    };
    assert_eq!(
        outcome(Bitness::B64).0,
        None,
        "the 64-bit process creates it"
    );
    assert_eq!(
        outcome(Bitness::B32).0,
        Some(HResult::REGDB_E_CLASSNOTREG),
        "no 32-bit registration"
    );
}
