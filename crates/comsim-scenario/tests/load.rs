//! A valid scenario (`tests/data/valid/`) that uses every part of the schema, and what it builds.

use std::path::Path;

use comsim_manifest::{Guid, Version};
use comsim_registry::{Access, KeyPath, View};
use comsim_resolver::switches::{BindFailure, RuntimeMatch};
use comsim_resolver::{
    Apartment, Bitness, ClassRef, ClientKind, ClsCtx, FileKind, ProcessorArchitecture, Request,
    TypeKind, WinPath,
};

fn data(dir: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
}

fn win(p: &str) -> WinPath {
    WinPath::parse(p).unwrap()
}

fn guid(s: &str) -> Guid {
    Guid::parse(s).unwrap()
}

const WIDGET: &str = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario using every key, checked key by key in the order docs/scenarios.md lists them"
)]
fn a_valid_scenario_builds_the_machine_process_and_steps() {
    let dir = data("valid");
    let s = comsim_scenario::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.path, dir.join("scenario.toml"));
    assert_eq!(s.title, "A managed client and a native one share a widget");
    assert_eq!(
        s.description.as_deref(),
        Some("Two lines\nof teaching text.")
    );
    assert_eq!(
        s.switches.non_default(),
        vec!["runtime-match=exact", "bind-failure=fallback"]
    );
    assert_eq!(s.switches.runtime_match(), RuntimeMatch::Exact);
    assert_eq!(s.switches.bind_failure(), BindFailure::Fallback);

    // The machine.
    let m = &s.machine;
    assert_eq!(m.os, Bitness::B64);
    let clrs: Vec<String> = m.clrs.iter().map(ToString::to_string).collect();
    assert_eq!(clrs, ["v2.0.50727", "v4.0.30319"]);

    // REG-3/REG-4: hklm.reg through the 64-bit regedit, wow.reg through the 32-bit one (so it
    // lands under Wow6432Node), user.reg as a standard user.
    let dump = comsim_regfile::dump(&m.registry);
    assert!(dump.contains(
        r"[HKEY_LOCAL_MACHINE\Software\Classes\CLSID\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}\InprocServer32]"
    ));
    assert!(dump.contains(
        r"[HKEY_LOCAL_MACHINE\Software\Classes\Wow6432Node\CLSID\{11111111-2222-3333-4444-555555555555}\InprocServer32]"
    ));
    assert!(dump.contains(r"[HKEY_CURRENT_USER\Software\Classes\Contoso.Widget\CLSID]"));
    let key =
        KeyPath::parse(r"HKEY_CLASSES_ROOT\CLSID\{11111111-2222-3333-4444-555555555555}").unwrap();
    let view32 = Access {
        view: View::Bits32,
        ..Access::default()
    };
    assert!(m.registry.open(&key, &view32).is_some());
    assert!(m.registry.open(&key, &Access::default()).is_none());

    // Plain files: the manifest and the .config (whose source path was normalised).
    let manifest = m.fs.get(&win(r"C:\App\Client.exe.manifest")).unwrap();
    assert!(matches!(manifest.kind, FileKind::Data));
    assert!(manifest.bytes.starts_with(b"<?xml"));
    let config = m.fs.get(&win(r"c:\app\client.exe.config")).unwrap();
    assert!(String::from_utf8_lossy(&config.bytes).contains("useLegacyV2RuntimeActivationPolicy"));
    assert!(
        config
            .origin
            .contains("scenario.toml:23:8 ([[machine.file]]"),
        "{}",
        config.origin
    );

    // The client assembly, with its embedded manifest.
    let client = m.fs.get(&win(r"C:\App\Client.exe")).unwrap();
    let client_asm = client.assembly().unwrap();
    assert_eq!(
        client_asm.full_name(),
        "Client, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
    );
    assert_eq!(
        client.embedded_manifest.as_deref(),
        Some(manifest.bytes.as_slice())
    );

    // The widget: at its path and in both GACs (BIND-2).
    let widget_paths = [
        r"C:\App\Contoso.Widget.dll",
        r"C:\Windows\assembly\GAC_MSIL\Contoso.Widget\1.0.0.0__0123456789abcdef\Contoso.Widget.dll",
        r"C:\Windows\Microsoft.NET\assembly\GAC_MSIL\Contoso.Widget\v4.0_1.0.0.0__0123456789abcdef\Contoso.Widget.dll",
    ];
    for p in widget_paths {
        let a =
            m.fs.get(&win(p))
                .unwrap_or_else(|| panic!("{p}"))
                .assembly()
                .unwrap();
        assert_eq!(a.name, "Contoso.Widget");
        assert_eq!(a.version, Version([1, 0, 0, 0]));
        assert_eq!(a.culture, None);
        assert_eq!(a.public_key_token.as_deref(), Some("0123456789abcdef"));
        assert_eq!(a.runtime.to_string(), "v2.0.50727");
        assert_eq!(a.architecture, ProcessorArchitecture::Msil);
        assert!(a.com_visible);
        assert!(a.primary_interop.is_none());
        assert_eq!(a.types.len(), 3);
    }
    let widget = m.fs.get(&win(widget_paths[0])).unwrap().assembly().unwrap();
    let class = widget.find_type("Contoso.Widget").unwrap();
    assert_eq!(class.kind, TypeKind::Class);
    assert_eq!(class.guid, Some(guid(WIDGET)));
    assert_eq!(class.progid.as_deref(), Some("Contoso.Widget"));
    assert!(class.public && !class.is_abstract && class.default_constructor && !class.com_import);
    assert_eq!(class.com_visible, None);
    let point = widget.find_type("Contoso.Point").unwrap();
    assert_eq!(point.kind, TypeKind::Struct);
    let hidden = widget.find_type("Contoso.Hidden").unwrap();
    assert!(
        !hidden.public && hidden.is_abstract && !hidden.default_constructor && hidden.com_import
    );
    assert_eq!(hidden.com_visible, Some(false));
    assert_eq!(hidden.guid, None);

    // The PIA.
    let pia =
        m.fs.get(&win(r"C:\App\Legacy.Interop.dll"))
            .unwrap()
            .assembly()
            .unwrap();
    assert_eq!(pia.public_key_token, None);
    assert_eq!(pia.architecture, ProcessorArchitecture::X86);
    assert!(!pia.com_visible);
    let pi = pia.primary_interop.as_ref().unwrap();
    assert_eq!(pi.libid, guid("{33333333-0000-4A5B-9C3D-1234567890AB}"));
    assert_eq!((pi.major, pi.minor), (1, 2));

    // Native images.
    let legacy =
        m.fs.get(&win(r"C:\Legacy\legacy32.dll"))
            .unwrap()
            .native()
            .unwrap();
    assert_eq!(legacy.bitness, Bitness::B32);
    assert_eq!(
        legacy.serves,
        vec![guid("{11111111-2222-3333-4444-555555555555}")]
    );
    assert!(!legacy.starts);
    let server =
        m.fs.get(&win(r"C:\Legacy\server.exe"))
            .unwrap()
            .native()
            .unwrap();
    assert_eq!(server.bitness, Bitness::B64);
    assert!(!server.starts);
    let host =
        m.fs.get(&win(r"C:\Tools\host.exe"))
            .unwrap()
            .native()
            .unwrap();
    assert!(host.starts);
    assert_eq!(m.fs.files().count(), 10);

    // The process: an AnyCPU managed exe runs at the OS's bitness.
    let p = &s.process;
    assert_eq!(p.client, ClientKind::Managed);
    assert_eq!(p.bitness, Bitness::B64);
    assert!(p.elevated);
    assert_eq!(p.apartment, Apartment::Sta);
    assert_eq!(p.exe, win(r"C:\App\Client.exe"));
    assert!(!p.preloads_clr);

    // The steps.
    let names: Vec<&str> = s.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "get the type",
            "create_instance {0D2B6E5A-0000-4A5B-9C3D-1234567890AB}",
            "by ProgID",
            "native",
            "co_create_instance {11111111-2222-3333-4444-555555555555}",
            "load_record {22222222-0000-4A5B-9C3D-1234567890AB}"
        ]
    );
    assert!(
        matches!(s.steps[0].request().unwrap(), Request::GetTypeFromClsid { clsid } if *clsid == guid(WIDGET))
    );
    assert!(
        matches!(s.steps[1].request().unwrap(), Request::CreateInstance { clsid } if *clsid == guid(WIDGET))
    );
    assert!(matches!(
        s.steps[1].action,
        comsim_scenario::Action::Request {
            apartment: Some(Apartment::Mta),
            ..
        }
    ));
    assert!(matches!(
        s.steps[2].request().unwrap(),
        Request::GetTypeFromProgId { progid, throw_on_error: true, create: true } if progid == "Contoso.Widget"
    ));
    assert!(matches!(
        s.steps[3].request().unwrap(),
        Request::CoCreateInstance { target: ClassRef::ProgId(p), clsctx }
            if p == "Contoso.Widget" && *clsctx == ClsCtx(ClsCtx::INPROC_SERVER | ClsCtx::LOCAL_SERVER)
    ));
    assert!(matches!(
        s.steps[4].request().unwrap(),
        Request::CoCreateInstance { target: ClassRef::Clsid(_), clsctx } if *clsctx == ClsCtx::SERVER
    ));
    assert!(matches!(
        s.steps[5].request().unwrap(),
        Request::LoadRecord { .. }
    ));

    // Expectations: in the order written, normalised, each with its location.
    let show = |i: usize| -> Vec<String> {
        s.steps[i]
            .expect
            .iter()
            .map(|e| {
                format!(
                    "{}:{} {} {} = {}",
                    e.location.line,
                    e.location.column,
                    e.clr.as_deref().unwrap_or("all"),
                    e.field,
                    e.value
                )
            })
            .collect()
    };
    assert_eq!(
        show(0),
        [
            "95:12 all kind = managed",
            "95:30 all type = Contoso.Widget",
            r"95:55 all path = C:\app\Contoso.Widget.dll",
        ]
    );
    assert_eq!(
        show(1),
        [
            "100:12 all kind = exception",
            "100:32 all hresult = 0x80040154",
            "101:17 2.0 exception = System.Runtime.InteropServices.COMException",
            "102:17 4.0 message = x",
            "102:32 4.0 server.apartment = STA",
            "102:71 4.0 server.kind = inproc_managed",
            "102:108 4.0 server.managed.pia = false",
        ]
    );
    assert!(show(2).is_empty());
    assert_eq!(show(5), ["121:1 all kind = null"]);
    assert!(
        s.steps[1].expect[0]
            .location
            .file
            .ends_with("scenario.toml")
    );
}

#[test]
fn loading_twice_gives_the_same_machine() {
    let a = comsim_scenario::load(&data("valid")).unwrap();
    let b = comsim_scenario::load(&data("valid").join("scenario.toml")).unwrap();
    assert_eq!(
        comsim_regfile::dump(&a.machine.registry),
        comsim_regfile::dump(&b.machine.registry)
    );
    let files = |s: &comsim_scenario::Scenario| -> Vec<String> {
        s.machine
            .fs
            .files()
            .map(|f| format!("{} {:?} {:?}", f.path, f.kind, f.bytes))
            .collect()
    };
    assert_eq!(files(&a), files(&b));
    assert_eq!(format!("{:?}", a.steps), format!("{:?}", b.steps));
}

/// The annotated example of `docs/scenarios.md` (its first TOML block) loads as written, with
/// the files it names.
#[test]
fn the_documented_example_loads() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scenarios.md"),
    )
    .unwrap();
    let start = doc.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("documented-example");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scenario.toml"), &doc[start..end]).unwrap();
    let reg = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}]\r\n@=\"Contoso.Widget\"\r\n";
    let user = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Classes\\Contoso.Widget]\r\n@=\"Contoso.Widget\"\r\n";
    std::fs::write(dir.join("hklm.reg"), reg).unwrap();
    std::fs::write(dir.join("regasm32.reg"), reg).unwrap();
    std::fs::write(dir.join("user.reg"), user).unwrap();
    std::fs::write(dir.join("Client.exe.config"), "<configuration/>").unwrap();
    let s = comsim_scenario::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.steps[0].expect.len(), 3);
    assert_eq!(s.process.client, ClientKind::Managed);
    let dump = comsim_regfile::dump(&s.machine.registry);
    assert!(
        dump.contains(r"Classes\Wow6432Node\CLSID\{0D2B6E5A"),
        "{dump}"
    );
}

/// Every scenario committed under `fixtures/scenarios/` loads.
#[test]
fn every_committed_scenario_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.join("scenario.toml").is_file()) {
        comsim_scenario::load(dir).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// docs/scenarios.md lists every switch with every value, in the order of the resolver's table.
#[test]
fn docs_list_every_switch_and_value() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/scenarios.md")).expect("docs/scenarios.md");
    for def in comsim_resolver::SWITCHES {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` | {} |", def.name, def.rule)))
            .unwrap_or_else(|| panic!("docs/scenarios.md has no row for switch {}", def.name));
        let mut at = 0;
        for (value, _) in def.values {
            let found = row[at..].find(&format!("`{value}`")).unwrap_or_else(|| {
                panic!("switch {}: value {value} missing or out of order", def.name)
            });
            at += found;
        }
    }
}
