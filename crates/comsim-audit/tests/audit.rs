//! The audit against the normal path: every class and configuration the audit reports has the
//! outcome and the causes that replaying the same request alone gives (comsim-diagnose's
//! `config::replay`, a process started for that one request, and its cause detectors), on every
//! bundled scenario's machine, the fixture machine of `fixtures/audit/`, and a generated machine
//! large enough for the audit to spread classes over threads. Also: the configurations and the
//! filters.

use std::path::{Path, PathBuf};

use comsim_audit::{Audit, Detail, Filters, audit, request};
use comsim_diagnose::causes::{self, Ctx};
use comsim_diagnose::input::{Loaded, MachineInput, MachineSource};
use comsim_diagnose::{config, outcome_summary};
use comsim_manifest::Guid;
use comsim_registry::View;
use comsim_resolver::{Bitness, ClientKind, RuntimeVersion};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reg_input(path: &Path) -> MachineInput {
    MachineInput {
        sources: vec![MachineSource::Reg {
            path: path.to_path_buf(),
            view: View::Bits64,
        }],
        clrs: Some(vec![RuntimeVersion::parse("v4.0.30319").unwrap()]),
        ..MachineInput::default()
    }
}

/// The machine of a `.reg` text, read as `comsim audit --reg` reads a file.
fn load_reg_text(name: &str, text: &str) -> Loaded {
    let path = std::env::temp_dir().join(format!("comsim-audit-{name}-{}.reg", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let loaded = comsim_diagnose::input::load(&reg_input(&path)).unwrap();
    let _ = std::fs::remove_file(&path);
    loaded
}

fn fixture_machine() -> MachineInput {
    reg_input(&root().join("fixtures/audit/machine.reg"))
}

/// Replays each class × configuration of `a` alone on the machine the audit ran on (its assumed
/// files placed) and compares outcome and causes.
fn assert_same_as_one_by_one(name: &str, a: &Audit, loaded: &mut Loaded) {
    let sw = loaded.switches.clone();
    for c in &a.classes {
        for r in &c.results {
            let cfg = a.configs.iter().find(|x| x.id == r.config).unwrap().config;
            let req = request(c.class.clsid, cfg.client);
            let run = config::replay(
                &mut loaded.machine,
                &loaded.client,
                loaded.apartment,
                &sw,
                &cfg,
                &req,
            );
            let o = &run.run.outcome;
            let what = format!("{name}: {} in {}", c.class.clsid, r.config);
            assert_eq!(r.kind, o.kind(), "{what}");
            assert_eq!(r.hresult, o.hresult(), "{what}");
            assert_eq!(r.summary, outcome_summary(o), "{what}");
            // The causes are read while the process runs: its stand-in client in place.
            let stand_in = config::stand_in(&cfg, &loaded.client).unwrap();
            let previous = loaded.machine.fs.remove(&stand_in.path);
            loaded.machine.fs.write(stand_in);
            let found: Vec<&str> =
                causes::detect(&Ctx::new(loaded, &run, &req, Some(c.class.clsid)))
                    .iter()
                    .map(|f| f.cause.id)
                    .collect();
            let exe = loaded.client.path().clone();
            loaded.machine.fs.remove(&exe);
            if let Some(f) = previous {
                loaded.machine.fs.write(f);
            }
            assert_eq!(r.causes, found, "{what}");
        }
    }
}

#[test]
fn audit_outcomes_equal_one_by_one_replays_on_every_bundled_scenario() {
    let mut runs = 0;
    for (name, input) in scenario_machines() {
        let mut loaded = comsim_diagnose::input::load(&input).unwrap();
        let a = audit(&mut loaded, &Filters::default());
        runs += a.totals.runs;
        assert_same_as_one_by_one(&name, &a, &mut loaded);
    }
    assert!(runs > 500, "the scenarios hold classes: {runs} runs");
}

/// The machines of the bundled scenarios.
fn scenario_machines() -> Vec<(String, MachineInput)> {
    let dir = root().join("fixtures/scenarios");
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.toml").is_file())
        .collect();
    scenarios.sort();
    scenarios
        .into_iter()
        .map(|s| {
            let input = MachineInput {
                sources: vec![MachineSource::Scenario(s.clone())],
                ..MachineInput::default()
            };
            (s.display().to_string(), input)
        })
        .collect()
}

/// An audit of the causes alone (`Detail::Causes`, what `--format csv` shows) has the outcomes,
/// the causes and the configurations of each cause that the full audit has, and no sentences or
/// fixes; the full audit has them for every cause. On the bundled scenarios' machines and the
/// fixture machine.
#[test]
fn an_audit_of_the_causes_alone_finds_what_the_full_audit_finds() {
    let mut details = 0;
    let mut machines = scenario_machines();
    machines.push(("fixtures/audit/machine.reg".to_owned(), fixture_machine()));
    for (name, input) in machines {
        let mut loaded = comsim_diagnose::input::load(&input).unwrap();
        let full = audit(&mut loaded, &Filters::default());
        let mut loaded = comsim_diagnose::input::load(&input).unwrap();
        let alone = comsim_audit::audit_with_progress(
            &mut loaded,
            &Filters::default(),
            Detail::Causes,
            &mut comsim_diag::Silent,
        );
        assert_eq!(json(&alone.totals), json(&full.totals), "{name}");
        assert_eq!(json(&alone.summary), json(&full.summary), "{name}");
        assert_eq!(alone.classes.len(), full.classes.len(), "{name}");
        for (a, f) in alone.classes.iter().zip(&full.classes) {
            let what = format!("{name}: {}", f.class.clsid);
            assert_eq!(json(&a.class), json(&f.class), "{what}");
            assert_eq!(json(&a.results), json(&f.results), "{what}");
            let ids = |c: &comsim_audit::ClassAudit| -> Vec<(&str, Vec<&str>)> {
                c.causes.iter().map(|x| (x.id, x.configs.clone())).collect()
            };
            assert_eq!(ids(a), ids(f), "{what}");
            assert!(a.causes.iter().all(|c| c.details.is_none()), "{what}");
            assert!(f.causes.iter().all(|c| c.details.is_some()), "{what}");
            details += f.causes.len();
        }
    }
    assert!(details > 20, "the machines have causes: {details}");
}

/// JSON of a part of an audit, for comparing two audits.
fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn audit_outcomes_equal_one_by_one_replays_on_the_fixture_machine() {
    let mut loaded = comsim_diagnose::input::load(&fixture_machine()).unwrap();
    let a = audit(&mut loaded, &Filters::default());
    assert_eq!(a.totals.classes, 6);
    // Registry exports only: the assemblies the CodeBases name are assumed, once per file, and
    // so are the native DLLs the two native classes' InprocServer32 name.
    assert_eq!(a.assumptions.len(), 5, "{:?}", a.assumptions);
    assert_same_as_one_by_one("fixtures/audit/machine.reg", &a, &mut loaded);
}

/// A machine of 150 classes (managed in both views, managed in the 64-bit view only, native in
/// the 32-bit view only): the audit runs them on threads, in CLSID order, and each result is
/// the one replay gives.
#[test]
fn audit_on_threads_keeps_clsid_order_and_equals_one_by_one_replays() {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for i in 0..150u32 {
        let clsid = format!("{{{i:08X}-0000-4000-8000-00000000A0D1}}");
        let (prefix, server) = match i % 3 {
            0 => (r"HKEY_LOCAL_MACHINE\SOFTWARE\Classes", "mscoree.dll"),
            1 => (
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Classes\Wow6432Node",
                "mscoree.dll",
            ),
            _ => (
                r"HKEY_LOCAL_MACHINE\SOFTWARE\Classes\Wow6432Node",
                r"C:\\Lib\\n.dll",
            ),
        };
        text.push_str(&format!(
            "[{prefix}\\CLSID\\{clsid}\\InprocServer32]\r\n@=\"{server}\"\r\n"
        ));
        if server == "mscoree.dll" {
            text.push_str(&format!(
                "\"Class\"=\"Gen.C{i}\"\r\n\"Assembly\"=\"Gen{}, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null\"\r\n\"RuntimeVersion\"=\"v4.0.30319\"\r\n\"CodeBase\"=\"file:///C:/Gen/Gen{}.dll\"\r\n",
                i % 7,
                i % 7
            ));
        }
        text.push_str("\r\n");
    }
    let mut loaded = load_reg_text("threads", &text);
    let a = audit(&mut loaded, &Filters::default());
    assert_eq!(a.totals.classes, 150);
    let order: Vec<Guid> = a.classes.iter().map(|c| c.class.clsid).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    // `Audit::class` finds every class by its CLSID (a binary search, relying on that order),
    // and no CLSID the machine does not register.
    for c in &a.classes {
        let found = a.class(c.class.clsid).map(|f| f.class.clsid);
        assert_eq!(found, Some(c.class.clsid));
    }
    let absent = Guid::parse("{0000000F-0000-4000-8000-0000000000FF}").expect("a GUID");
    assert!(
        a.class(absent).is_none(),
        "{absent} is not a class of the machine"
    );
    assert_eq!(a.totals.runs, 100 * 8 + 50 * 4);
    assert!(a.totals.failed_runs < a.totals.runs, "some runs succeed");
    assert_same_as_one_by_one("generated", &a, &mut loaded);
}

/// An elevated process does not see per-user classes (REG-2), even when only a class's
/// `TreatAs` target is per-user: the audit shares a result between the two elevations only when
/// the run that is not elevated found nothing of HKEY_CURRENT_USER, so here each elevation has
/// its own outcome, as replaying each alone gives.
#[test]
fn a_per_user_treatas_target_keeps_the_elevated_run_apart() {
    let text = "Windows Registry Editor Version 5.00\r\n\r\n\
        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0000000A-0000-4000-8000-0000000000E1}\\InprocServer32]\r\n\
        @=\"C:\\\\Lib\\\\a.dll\"\r\n\r\n\
        [HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0000000A-0000-4000-8000-0000000000E1}\\TreatAs]\r\n\
        @=\"{0000000B-0000-4000-8000-0000000000E1}\"\r\n\r\n\
        [HKEY_CURRENT_USER\\Software\\Classes\\CLSID\\{0000000B-0000-4000-8000-0000000000E1}\\InprocServer32]\r\n\
        @=\"C:\\\\Lib\\\\b.dll\"\r\n\r\n";
    let mut loaded = load_reg_text("treatas", text);
    let a = audit(&mut loaded, &Filters::default());
    let class_a = a
        .classes
        .iter()
        .find(|c| c.class.clsid.to_string().starts_with("{0000000A"))
        .unwrap();
    let summary = |id: &str| {
        let r = class_a.results.iter().find(|r| r.config == id).unwrap();
        (r.kind, r.summary.clone())
    };
    // c11 and c12: the 64-bit native client, not elevated and elevated.
    assert_ne!(summary("c11"), summary("c12"), "{:?}", class_a.results);
    assert_same_as_one_by_one("per-user TreatAs target", &a, &mut loaded);
}

/// The configurations: a managed class runs under 8 (32/64-bit x CLR 2.0/4.0 x elevated or not),
/// a native one under 4, in a fixed order; a 32-bit Windows has the 32-bit half.
#[test]
fn configurations_are_eight_for_managed_and_four_for_native_classes() {
    let mut loaded = comsim_diagnose::input::load(&fixture_machine()).unwrap();
    let a = audit(&mut loaded, &Filters::default());
    let ids: Vec<&str> = a.configs.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 12);
    let first = &a.configs[0].config;
    assert_eq!(
        (first.bitness, first.client, first.elevated),
        (Bitness::B32, ClientKind::Managed, false)
    );
    for c in &a.classes {
        let want = if c.class.managed { 8 } else { 4 };
        assert_eq!(c.results.len(), want, "{}", c.class.clsid);
    }
    let mut m = loaded.machine.clone();
    m.os = Bitness::B32;
    assert_eq!(comsim_audit::configs(&m).len(), 6);
}

#[test]
fn filters_select_by_clsid_progid_path_prefix_and_managed_only() {
    let clsids = |f: Filters| -> Vec<String> {
        let mut loaded = comsim_diagnose::input::load(&fixture_machine()).unwrap();
        audit(&mut loaded, &f)
            .classes
            .iter()
            .map(|c| c.class.clsid.to_string()[34..37].to_owned())
            .collect()
    };
    let g = |s: &str| Guid::parse(s).unwrap();
    assert_eq!(
        clsids(Filters {
            clsids: vec![g("{A0D17000-0000-4000-8000-000000000003}")],
            ..Filters::default()
        }),
        ["003"]
    );
    assert_eq!(
        clsids(Filters {
            progids: vec!["Fabrikam.Ledger.Book".into()],
            ..Filters::default()
        }),
        ["001"]
    );
    // The CodeBase's path, and a native server's file; case does not matter.
    assert_eq!(
        clsids(Filters {
            path_prefix: Some(r"c:\program files\FABRIKAM".into()),
            ..Filters::default()
        }),
        ["001", "002"]
    );
    assert_eq!(
        clsids(Filters {
            path_prefix: Some(r"C:\Program Files (x86)\Contoso".into()),
            ..Filters::default()
        }),
        ["005"]
    );
    assert_eq!(
        clsids(Filters {
            managed_only: true,
            ..Filters::default()
        }),
        ["001", "002", "003", "006"]
    );
}

/// Progress (docs/reliability.md, "Progress"): an audit reports one piece of work counted in
/// class runs, never going back, ending at the number of runs it made; and the audit is the one
/// the plain entry point gives.
#[test]
fn audit_reports_its_progress_in_class_runs() {
    let mut loaded = comsim_diagnose::input::load(&fixture_machine()).unwrap();
    let plain = audit(&mut loaded, &Filters::default());
    let mut loaded = comsim_diagnose::input::load(&fixture_machine()).unwrap();
    let mut rec = comsim_diag::Recorder::default();
    let reported =
        comsim_audit::audit_with_progress(&mut loaded, &Filters::default(), Detail::Full, &mut rec);
    assert_eq!(
        serde_json::to_string(&reported).unwrap(),
        serde_json::to_string(&plain).unwrap()
    );
    assert_eq!(
        (rec.begun, rec.ended),
        (vec![("class runs".to_owned(), comsim_diag::Work::Items)], 1)
    );
    let runs = plain.totals.runs as u64;
    assert!(rec.steps.len() >= 2, "{:?}", rec.steps);
    assert!(
        rec.steps.windows(2).all(|w| w[0].0 < w[1].0),
        "{:?}",
        rec.steps
    );
    assert!(rec.steps.iter().all(|&(_, t)| t == runs), "{:?}", rec.steps);
    assert_eq!(rec.steps.last(), Some(&(runs, runs)));
}

/// With registry exports only, each native server a registration names is assumed where COM
/// looks for it, of its view's bitness, serving the class (comsim-diagnose's `assumed`): classes
/// sharing one DLL share one assumed file, said once; a DLL registered in both views is of the
/// bitness first placed (the 64-bit view's), so the 32-bit process meets a 64-bit image
/// (`native-other-bitness`); a `LocalServer32` executable starts and serves its class; and each
/// result is what replaying the request alone on the same machine gives.
#[test]
fn native_servers_are_assumed_as_their_registrations_describe_them() {
    let shared = r"C:\\Program Files\\Tailspin\\shared.dll";
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    let key = |view: &str, i: u32| {
        format!(
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Classes{view}\CLSID\{{{i:08X}-0000-4000-8000-0000000000F1}}"
        )
    };
    // Ten classes of one 64-bit DLL.
    for i in 0..10 {
        let k = key("", i);
        text.push_str(&format!("[{k}\\InprocServer32]\r\n@=\"{shared}\"\r\n\r\n"));
    }
    // One DLL path registered in both views.
    let both = r"C:\\Program Files\\Tailspin\\both.dll";
    for view in ["", r"\Wow6432Node"] {
        let k = key(view, 10);
        text.push_str(&format!("[{k}\\InprocServer32]\r\n@=\"{both}\"\r\n\r\n"));
    }
    // A local server, 32-bit view.
    let k = key(r"\Wow6432Node", 11);
    text.push_str(&format!(
        "[{k}\\LocalServer32]\r\n@=\"\\\"C:\\\\Program Files (x86)\\\\Tailspin\\\\srv.exe\\\" /automation\"\r\n\r\n"
    ));
    let mut loaded = load_reg_text("assumed-native", &text);
    let a = audit(&mut loaded, &Filters::default());
    assert_eq!(a.totals.classes, 12);
    let said = |file: &str| a.assumptions.iter().filter(|s| s.starts_with(file)).count();
    assert_eq!(
        said(r"C:\Program Files\Tailspin\shared.dll: a 64-bit native DLL"),
        1
    );
    assert_eq!(
        said(r"C:\Program Files\Tailspin\both.dll: a 64-bit native DLL"),
        1
    );
    assert_eq!(
        said(r"C:\Program Files (x86)\Tailspin\srv.exe: a 32-bit executable"),
        1
    );
    assert_eq!(a.assumptions.len(), 3, "{:?}", a.assumptions);
    let outcomes = |i: u32| -> Vec<(String, Vec<&str>)> {
        let clsid = Guid::parse(&format!("{{{i:08X}-0000-4000-8000-0000000000F1}}")).unwrap();
        let c = a.class(clsid).expect("the class");
        c.results
            .iter()
            .map(|r| (format!("{} {}", r.config, r.summary), r.causes.clone()))
            .collect()
    };
    for i in 0..10 {
        let o = outcomes(i);
        // The 64-bit native client creates it; the 32-bit one finds no 32-bit registration.
        assert!(o.iter().any(|(s, _)| s.starts_with("c11 created")), "{o:?}");
        assert!(
            o.iter().any(|(s, _)| s.starts_with("c5 0x80040154")),
            "{o:?}"
        );
    }
    let both_runs = outcomes(10);
    assert!(
        both_runs.iter().any(|(s, _)| s.starts_with("c11 created")),
        "{both_runs:?}"
    );
    assert!(
        both_runs
            .iter()
            .any(|(s, c)| s.starts_with("c5 0x800700C1") && c.contains(&"native-other-bitness")),
        "{both_runs:?}"
    );
    let local = outcomes(11);
    assert!(
        local.iter().all(|(s, _)| s.contains("created")),
        "the local server serves both bitnesses' clients: {local:?}"
    );
    assert_same_as_one_by_one("assumed native servers", &a, &mut loaded);
}
