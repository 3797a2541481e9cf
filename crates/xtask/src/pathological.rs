//! `cargo xtask pathological DIR`: writes the pathological inputs of docs/reliability.md, one
//! directory per case, and `DIR/commands.tsv`: one line per case, its name, a tab, and the
//! `comsim` arguments that run it (relative to `DIR`). docs/reliability.md measures each with
//! `/usr/bin/time -v`. Deterministic: the same arguments write the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to write the cases in (created if missing).
    pub dir: PathBuf,
    /// Elements, dependencies, values and classes in the large cases.
    #[arg(long, default_value_t = 100_000)]
    pub count: usize,
    /// Manifests in the ring of manifests that depend on each other.
    #[arg(long, default_value_t = 2_000)]
    pub ring: usize,
    /// Megabytes of the unterminated string in the long-line case.
    #[arg(long, default_value_t = 200)]
    pub long_line_mb: usize,
}

pub fn run(args: &Args) -> ExitCode {
    match write(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One case: its directory's files and the `comsim` arguments that run it.
struct Case {
    name: &'static str,
    files: Vec<(String, String)>,
    command: String,
}

fn write(args: &Args) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let n = args.count;
    let cases = [
        manifest_one_line(n),
        config_one_line(n),
        missing_dependencies(n),
        manifest_ring(args.ring),
        treat_as_chain(n),
        one_key_many_values(n),
        managed_steps(n),
        long_line(args.long_line_mb),
        one_codebase_many_classes(n),
        one_dll_many_classes(n),
        manifest_both_kinds(n),
        manifest_many_steps(n),
        regasm_many_types(n, false),
        regasm_many_types(n, true),
        config_many_dependent_assemblies(n),
        config_many_versions(n),
        config_many_ranges(n),
    ];
    let mut commands = String::new();
    for case in cases {
        let dir = args.dir.join(case.name);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        for (name, text) in &case.files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        }
        let _ = writeln!(commands, "{}\t{}", case.name, case.command);
    }
    // The 2,000 machine steps over a 6.8 MB registry of docs/performance.md.
    let bench = crate::replay_bench::Args {
        dir: args.dir.join("machine-steps"),
        clsids: 20_000,
        machine_steps: 2_000,
    };
    crate::replay_bench::write(&bench)?;
    commands.push_str("machine-steps\treplay machine-steps\n");
    // The chain's HTML page has a row per registry key the steps read.
    commands.push_str("treat-as-chain-html\treplay --format html treat-as-chain\n");
    let path = args.dir.join("commands.tsv");
    std::fs::write(&path, commands).map_err(|e| io(&path, e))?;
    println!("wrote {}", args.dir.display());
    Ok(())
}

const ASM_V1: &str = "urn:schemas-microsoft-com:asm.v1";

/// A GUID numbered `i`, upper case in braces.
fn guid(i: usize) -> String {
    format!("{{C1A55000-0000-4000-8000-{i:012X}}}")
}

/// An application manifest written on one line, with `n` `<file>` elements, each with a class.
fn manifest_one_line(n: usize) -> Case {
    let mut m = format!(
        r#"<assembly xmlns="{ASM_V1}" manifestVersion="1.0"><assemblyIdentity name="App" version="1.0.0.0" type="win32"/>"#
    );
    for i in 0..n {
        let _ = write!(
            m,
            r#"<file name="f{i}.dll"><comClass clsid="{}"/></file>"#,
            guid(i)
        );
    }
    m.push_str("</assembly>");
    Case {
        name: "manifest-one-line",
        files: vec![("App.exe.manifest".into(), m)],
        command: "sxs context --manifest manifest-one-line/App.exe.manifest".into(),
    }
}

/// The scenario around a native host `C:\App\Host.exe` with `files` beside it, the registry
/// `registry`, and `steps`.
fn native_host_scenario(title: &str, extra: &str, steps: &str) -> String {
    format!(
        r#"title = "{title}"

[machine]
os = "x64"
clrs = ["v2.0.50727", "v4.0.30319"]
{extra}
[[machine.native]]
path = 'C:\App\Host.exe'
bitness = 64

[process]
exe = 'C:\App\Host.exe'
client = "native"
apartment = "sta"
{steps}"#
    )
}

/// A host's `.config` written on one line, with `n` `<supportedRuntime>` elements.
fn config_one_line(n: usize) -> Case {
    let mut c = String::from("<configuration><startup>");
    for i in 0..n {
        let v = if i + 1 == n { "v4.0" } else { "v9.9" };
        let _ = write!(c, r#"<supportedRuntime version="{v}"/>"#);
    }
    c.push_str("</startup></configuration>");
    let extra = "registry = [\"class.reg\"]\n\n[[machine.file]]\npath = 'C:\\App\\Host.exe.config'\nsource = \"Host.exe.config\"\n\n[[machine.assembly]]\npath = 'C:\\App\\Lib.dll'\nname = \"Lib\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n\n  [[machine.assembly.type]]\n  name = \"Lib.Thing\"\n  guid = \"{C1A55000-0000-4000-8000-000000000000}\"\n";
    let reg = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{g}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"Class\"=\"Lib.Thing\"\r\n\"Assembly\"=\"Lib, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null\"\r\n\"RuntimeVersion\"=\"v4.0.30319\"\r\n\"CodeBase\"=\"file:///C:/App/Lib.dll\"\r\n",
        g = guid(0)
    );
    let steps = format!(
        "\n[[step]]\nname = \"create\"\nco_create_instance = \"{}\"\n",
        guid(0)
    );
    Case {
        name: "config-one-line",
        files: vec![
            ("Host.exe.config".into(), c),
            ("class.reg".into(), reg),
            (
                "scenario.toml".into(),
                native_host_scenario("a .config on one line", extra, &steps),
            ),
        ],
        command: "replay config-one-line".into(),
    }
}

/// An application manifest with `n` dependencies, none of which exists.
fn missing_dependencies(n: usize) -> Case {
    let mut m = format!(
        "<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n<assemblyIdentity name=\"App\" version=\"1.0.0.0\" type=\"win32\"/>\n"
    );
    for i in 0..n {
        let _ = writeln!(
            m,
            "<dependency optional=\"yes\"><dependentAssembly><assemblyIdentity name=\"Missing{i}\" version=\"1.0.0.0\" type=\"win32\"/></dependentAssembly></dependency>"
        );
    }
    m.push_str("</assembly>\n");
    Case {
        name: "missing-dependencies",
        files: vec![("App.exe.manifest".into(), m)],
        command: "sxs context --manifest missing-dependencies/App.exe.manifest".into(),
    }
}

/// `n` assembly manifests, each depending on the next, the last on the first; the application
/// depends on the first.
fn manifest_ring(n: usize) -> Case {
    let identity = |name: &str| {
        format!("<assemblyIdentity name=\"{name}\" version=\"1.0.0.0\" type=\"win32\"/>")
    };
    let dependency = |name: &str| {
        format!(
            "<dependency><dependentAssembly>{}</dependentAssembly></dependency>",
            identity(name)
        )
    };
    let assembly = |body: String| {
        format!("<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n{body}\n</assembly>\n")
    };
    let mut files = vec![(
        "App.exe.manifest".to_owned(),
        assembly(format!("{}\n{}", identity("App"), dependency("Ring0"))),
    )];
    for i in 0..n {
        let me = format!("Ring{i}");
        let next = format!("Ring{}", (i + 1) % n);
        files.push((
            format!("{me}.manifest"),
            assembly(format!("{}\n{}", identity(&me), dependency(&next))),
        ));
    }
    Case {
        name: "manifest-ring",
        files,
        command: "sxs context --manifest manifest-ring/App.exe.manifest".into(),
    }
}

/// `n` classes, each `TreatAs` the next; the last is a native in-process server.
fn treat_as_chain(n: usize) -> Case {
    let mut reg = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for i in 0..n {
        let _ = write!(
            reg,
            "[HKEY_CLASSES_ROOT\\CLSID\\{}\\TreatAs]\r\n@=\"{}\"\r\n\r\n",
            guid(i),
            guid(i + 1)
        );
    }
    let _ = write!(
        reg,
        "[HKEY_CLASSES_ROOT\\CLSID\\{}\\InprocServer32]\r\n@=\"C:\\\\App\\\\server.dll\"\r\n\"ThreadingModel\"=\"Both\"\r\n",
        guid(n)
    );
    let extra = format!(
        "registry = [\"chain.reg\"]\n\n[[machine.native]]\npath = 'C:\\App\\server.dll'\nbitness = 64\nserves = [\"{}\"]\n",
        guid(n)
    );
    let steps = format!(
        "\n[[step]]\nname = \"create the head of the chain\"\nco_create_instance = \"{}\"\n",
        guid(0)
    );
    Case {
        name: "treat-as-chain",
        files: vec![
            ("chain.reg".into(), reg),
            (
                "scenario.toml".into(),
                native_host_scenario("a TreatAs chain", &extra, &steps),
            ),
        ],
        command: "replay treat-as-chain".into(),
    }
}

/// One key with `n` values.
fn one_key_many_values(n: usize) -> Case {
    let mut reg = String::from(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Many]\r\n",
    );
    for i in 0..n {
        let _ = write!(reg, "\"v{i}\"=dword:{i:08x}\r\n");
    }
    Case {
        name: "one-key-many-values",
        files: vec![("many.reg".into(), reg)],
        command: "reg query --reg one-key-many-values/many.reg 'HKCU\\Software\\Many' --value v0"
            .into(),
    }
}

/// `n` managed `create_instance` steps, replayed as JSON (the output grows with `n`).
fn managed_steps(n: usize) -> Case {
    let g = guid(0);
    let reg = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\CLSID\\{g}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"Class\"=\"Lib.Thing\"\r\n\"Assembly\"=\"Lib, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null\"\r\n\"RuntimeVersion\"=\"v4.0.30319\"\r\n\"CodeBase\"=\"file:///C:/App/Lib.dll\"\r\n"
    );
    let mut toml = format!(
        "title = \"{n} managed create_instance steps\"\n\n[machine]\nregistry = [\"class.reg\"]\n\n[[machine.assembly]]\npath = 'C:\\App\\Lib.dll'\nname = \"Lib\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n\n  [[machine.assembly.type]]\n  name = \"Lib.Thing\"\n  guid = \"{g}\"\n\n[[machine.assembly]]\npath = 'C:\\App\\Client.exe'\nname = \"Client\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n\n[process]\nexe = 'C:\\App\\Client.exe'\nclient = \"managed\"\napartment = \"sta\"\n"
    );
    for i in 0..n {
        let _ = write!(
            toml,
            "\n[[step]]\nname = \"create {i}\"\ncreate_instance = \"{g}\"\n"
        );
    }
    Case {
        name: "managed-steps-json",
        files: vec![("class.reg".into(), reg), ("scenario.toml".into(), toml)],
        command: "replay --format json managed-steps-json".into(),
    }
}

/// A `.reg` whose second line is a string value `mb` megabytes long that never ends.
fn long_line(mb: usize) -> Case {
    let mut reg = String::with_capacity(mb * 1_000_000 + 100);
    reg.push_str("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Long]\r\n\"v\"=\"");
    reg.push_str(&"x".repeat(mb * 1_000_000));
    reg.push_str("\r\n");
    Case {
        name: "unterminated-string",
        files: vec![("long.reg".into(), reg)],
        command: "reg query --reg unterminated-string/long.reg 'HKCU\\Software\\Long'".into(),
    }
}

/// The class keys of `n` managed classes of one assembly at one CodeBase, as `regasm /codebase`
/// writes them, and nothing else: `comsim audit --reg` places the assembly as the registrations
/// describe it, one type per class, so every activation looks its class up in `n` types.
fn one_codebase_many_classes(n: usize) -> Case {
    let mut reg = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for i in 0..n {
        let _ = write!(
            reg,
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"ThreadingModel\"=\"Both\"\r\n\"Class\"=\"Big.Class{i}\"\r\n\"Assembly\"=\"Big, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null\"\r\n\"RuntimeVersion\"=\"v4.0.30319\"\r\n\"CodeBase\"=\"file:///C:/Program Files/Big/Big.dll\"\r\n\r\n",
            guid(i)
        );
    }
    Case {
        name: "one-codebase-many-classes",
        files: vec![("classes.reg".into(), reg)],
        command: "audit --reg one-codebase-many-classes/classes.reg --format csv".into(),
    }
}

/// One native DLL whose class factory serves `n` classes, each registered to it; audited.
fn one_dll_many_classes(n: usize) -> Case {
    let mut reg = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    let mut serves = Vec::with_capacity(n);
    for i in 0..n {
        let _ = write!(
            reg,
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{}\\InprocServer32]\r\n@=\"C:\\\\App\\\\server.dll\"\r\n\"ThreadingModel\"=\"Both\"\r\n\r\n",
            guid(i)
        );
        serves.push(format!("\"{}\"", guid(i)));
    }
    let extra = format!(
        "registry = [\"classes.reg\"]\n\n[[machine.native]]\npath = 'C:\\App\\server.dll'\nbitness = 64\nserves = [{}]\n",
        serves.join(", ")
    );
    let steps = format!(
        "\n[[step]]\nname = \"create one\"\nco_create_instance = \"{}\"\n",
        guid(0)
    );
    Case {
        name: "one-dll-many-classes",
        files: vec![
            ("classes.reg".into(), reg),
            (
                "scenario.toml".into(),
                native_host_scenario("one DLL serving many classes", &extra, &steps),
            ),
        ],
        command: "audit --scenario one-dll-many-classes --format csv".into(),
    }
}

/// `line(i)` for each `i` below `n`, joined.
fn lines(n: usize, line: impl Fn(usize) -> String) -> String {
    (0..n).map(line).collect()
}

/// `[[machine.assembly.type]]` tables of `n` classes `Big.Class{i}`, GUID `guid(i)`.
fn big_types(n: usize, guid: impl Fn(usize) -> String) -> String {
    lines(n, |i| {
        format!(
            "\n  [[machine.assembly.type]]\n  name = \"Big.Class{i}\"\n  guid = \"{}\"\n",
            guid(i)
        )
    })
}

/// A managed client whose manifest depends on an assembly `Big` declaring `classes` clrClass
/// entries and `com_classes` comClass entries (other CLSIDs), and `steps` steps, each activating
/// one of the clrClasses through the activation context.
fn manifest_scenario(classes: usize, com_classes: usize, steps: usize) -> Vec<(String, String)> {
    let clr = |i: usize| format!("{{C1A55001-0000-4000-8000-{i:012X}}}");
    let com = |i: usize| format!("{{C1A55002-0000-4000-8000-{i:012X}}}");
    let big = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n  <assemblyIdentity name=\"Big\" version=\"1.0.0.0\"/>\n{}  <file name=\"Big.dll\"/>\n  <file name=\"native.dll\">\n{}  </file>\n</assembly>\n",
        lines(classes, |i| format!(
            "  <clrClass clsid=\"{}\" name=\"Big.Class{i}\" threadingModel=\"Both\" runtimeVersion=\"v4.0.30319\"/>\n",
            clr(i)
        )),
        lines(com_classes, |i| format!(
            "    <comClass clsid=\"{}\" threadingModel=\"Apartment\"/>\n",
            com(i)
        )),
    );
    let client = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">\n  <assemblyIdentity type=\"win32\" name=\"Client\" version=\"1.0.0.0\"/>\n  <dependency><dependentAssembly><assemblyIdentity name=\"Big\" version=\"1.0.0.0\"/></dependentAssembly></dependency>\n</assembly>\n"
    );
    // The steps are spread over the classes, not in their order.
    let toml = format!(
        "title = \"one manifest of {classes} clrClass and {com_classes} comClass entries\"\n\n[machine]\n\n[[machine.assembly]]\npath = 'C:\\App\\Big.dll'\nname = \"Big\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\nmanifest = \"Big.manifest\"\n{}\n[[machine.assembly]]\npath = 'C:\\App\\Client.exe'\nname = \"Client\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n\n[[machine.file]]\npath = 'C:\\App\\Client.exe.manifest'\nsource = \"Client.exe.manifest\"\n\n[process]\nexe = 'C:\\App\\Client.exe'\nclient = \"managed\"\napartment = \"sta\"\n{}",
        big_types(classes, clr),
        lines(steps, |k| format!(
            "\n[[step]]\nname = \"create {k}\"\ncreate_instance = \"{}\"\n",
            clr((k * 7919) % classes.max(1))
        )),
    );
    vec![
        ("Big.manifest".into(), big),
        ("Client.exe.manifest".into(), client),
        ("scenario.toml".into(), toml),
    ]
}

/// One manifest declaring `n` clrClass and `n` comClass entries (SXS-3 compares them at every
/// process start), one request.
fn manifest_both_kinds(n: usize) -> Case {
    Case {
        name: "manifest-both-kinds",
        files: manifest_scenario(n, n, 1),
        command: "replay --clr 4.0 manifest-both-kinds".into(),
    }
}

/// `n` requests, each for one of the `n` clrClass entries of one manifest (SXS-4 looks each up in
/// the activation context, BIND-7 in the assembly's `n` types).
fn manifest_many_steps(n: usize) -> Case {
    Case {
        name: "manifest-many-steps",
        files: manifest_scenario(n, 0, n),
        command: "replay --clr 4.0 --format json manifest-many-steps".into(),
    }
}

/// `regasm /codebase` of an assembly of `n` types: a step whose registry difference has a few
/// lines per type. docs/reliability.md compares it with its snapshot, one line changed. With
/// `unregister`, a second step `regasm /u` removes them again (one key removed at a time, among
/// thousands of siblings).
fn regasm_many_types(n: usize, unregister: bool) -> Case {
    let toml = format!(
        "title = \"regasm of an assembly of many types\"\n\n[machine]\nos = \"x64\"\nclrs = [\"v2.0.50727\", \"v4.0.30319\"]\n\n[[machine.assembly]]\npath = 'C:\\Big\\Big.dll'\nname = \"Big\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n{}\n[[machine.assembly]]\npath = 'C:\\App\\Client.exe'\nname = \"Client\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n\n[process]\nexe = 'C:\\App\\Client.exe'\nclient = \"managed\"\nbitness = 64\napartment = \"sta\"\n\n[[step]]\nname = \"reg\"\nregasm = ['C:\\Big\\Big.dll', '/codebase']\nbitness = 64\n",
        big_types(n, guid)
    );
    let (name, toml) = if unregister {
        let unreg =
            "\n[[step]]\nname = \"unreg\"\nregasm = ['C:\\Big\\Big.dll', '/u']\nbitness = 64\n";
        ("regasm-unregister-many-types", toml + unreg)
    } else {
        ("regasm-many-types", toml)
    };
    Case {
        name,
        files: vec![("scenario.toml".into(), toml)],
        command: format!("replay --format snapshot {name}"),
    }
}

/// The public key token of the GAC assemblies of the `.config` cases.
const TOKEN: &str = "5f3c2a1b0e9d8c7a";

/// A managed client with `config` as its `.config` (the `<dependentAssembly>` elements inside
/// `<assemblyBinding>`), `n` classes `T.C{i}`, each in a strong-named assembly in the GAC
/// (`gac(i)`: its name and version) and registered for the version `registered(i)` of that
/// name, and `n` requests, one per class.
fn gac_classes_case(
    name: &'static str,
    title: &str,
    config: &str,
    n: usize,
    gac: impl Fn(usize) -> (String, String),
    registered: impl Fn(usize) -> String,
) -> Case {
    let config = format!(
        "<?xml version=\"1.0\"?>\n<configuration><runtime><assemblyBinding xmlns=\"{ASM_V1}\">\n{config}</assemblyBinding></runtime></configuration>\n"
    );
    let reg = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n{}",
        lines(n, |i| format!(
            "[HKEY_CLASSES_ROOT\\CLSID\\{}\\InprocServer32]\r\n@=\"mscoree.dll\"\r\n\"Class\"=\"T.C{i}\"\r\n\"Assembly\"=\"{}, Version={}, Culture=neutral, PublicKeyToken={TOKEN}\"\r\n\"RuntimeVersion\"=\"v4.0.30319\"\r\n\r\n",
            guid(i),
            gac(i).0,
            registered(i)
        ))
    );
    let toml = format!(
        "title = \"{title}\"\n\n[machine]\nos = \"x64\"\nclrs = [\"v4.0.30319\"]\nregistry = [\"classes.reg\"]\n\n[[machine.file]]\npath = 'C:\\App\\Client.exe.config'\nsource = \"Client.exe.config\"\n\n[[machine.assembly]]\npath = 'C:\\App\\Client.exe'\nname = \"Client\"\nversion = \"1.0.0.0\"\nruntime = \"v4.0.30319\"\n{}\n[process]\nexe = 'C:\\App\\Client.exe'\nclient = \"managed\"\nbitness = 64\napartment = \"sta\"\n{}",
        lines(n, |i| {
            let (assembly, version) = gac(i);
            format!(
                "\n[[machine.assembly]]\ngac = \"4.0\"\nname = \"{assembly}\"\nversion = \"{version}\"\npublic_key_token = \"{TOKEN}\"\nruntime = \"v4.0.30319\"\n\n  [[machine.assembly.type]]\n  name = \"T.C{i}\"\n  guid = \"{}\"\n",
                guid(i)
            )
        }),
        lines(n, |i| format!(
            "\n[[step]]\nname = \"create {i}\"\ncreate_instance = \"{}\"\n",
            guid(i)
        )),
    );
    Case {
        name,
        files: vec![
            ("Client.exe.config".into(), config),
            ("classes.reg".into(), reg),
            ("scenario.toml".into(), toml),
        ],
        command: format!("replay --clr 4.0 --format json {name}"),
    }
}

/// A managed client whose `.config` has `n` `<dependentAssembly>` elements, one per strong-named
/// assembly in the GAC, and `n` requests, each for a class of one of them: the class is
/// registered for version 0.9.0.0, which only the element's redirect takes to the 1.0.0.0 in
/// the GAC (BIND-1 looks the request's element up at every bind).
fn config_many_dependent_assemblies(n: usize) -> Case {
    let config = lines(n, |i| {
        format!(
            "<dependentAssembly><assemblyIdentity name=\"Lib{i}\" publicKeyToken=\"{TOKEN}\" culture=\"neutral\"/><bindingRedirect oldVersion=\"0.9.0.0\" newVersion=\"1.0.0.0\"/></dependentAssembly>\n"
        )
    });
    gac_classes_case(
        "config-many-dependent-assemblies",
        &format!("a .config of {n} dependentAssembly elements"),
        &config,
        n,
        |i| (format!("Lib{i}"), "1.0.0.0".into()),
        |_| "0.9.0.0".into(),
    )
}

/// A managed client whose `.config` has one `<dependentAssembly>` with `n` `<bindingRedirect>`s
/// of version ranges, one per class, and `n` requests, each for a class registered for a version
/// in its own range, which its redirect takes to the version in the GAC (BIND-1 looks for the
/// first redirect covering the version at every bind).
fn config_many_ranges(n: usize) -> Case {
    let version =
        |major: usize, i: usize, last: usize| format!("{major}.{}.{}.{last}", i / 1000, i % 1000);
    let config = format!(
        "<dependentAssembly><assemblyIdentity name=\"Lib\" publicKeyToken=\"{TOKEN}\" culture=\"neutral\"/>\n{}</dependentAssembly>\n",
        lines(n, |i| format!(
            "<bindingRedirect oldVersion=\"{}-{}\" newVersion=\"{}\"/>\n",
            version(1, i, 0),
            version(1, i, 9),
            version(2, i, 0)
        )),
    );
    gac_classes_case(
        "config-many-ranges",
        &format!("a dependentAssembly of {n} range redirects"),
        &config,
        n,
        |i| ("Lib".into(), version(2, i, 0)),
        |i| version(1, i, 5),
    )
}

/// A managed client whose `.config` has one `<dependentAssembly>` with `n` single-version
/// `<bindingRedirect>`s (each version to itself) and `n` `<codeBase>`s, and `n` requests, each
/// for a class of its own version of that assembly (BIND-1 and BIND-4 look the version up at
/// every bind).
fn config_many_versions(n: usize) -> Case {
    let version = |i: usize| format!("1.0.{}.{}", i / 1000, i % 1000);
    let config = format!(
        "<dependentAssembly><assemblyIdentity name=\"Lib\" publicKeyToken=\"{TOKEN}\" culture=\"neutral\"/>\n{}{}</dependentAssembly>\n",
        lines(n, |i| format!(
            "<bindingRedirect oldVersion=\"{0}\" newVersion=\"{0}\"/>\n",
            version(i)
        )),
        lines(n, |i| format!(
            "<codeBase version=\"{}\" href=\"file:///C:/Libs/Lib{i}.dll\"/>\n",
            version(i)
        )),
    );
    gac_classes_case(
        "config-many-versions",
        &format!("a dependentAssembly of {n} redirects and codebases"),
        &config,
        n,
        |i| ("Lib".into(), version(i)),
        version,
    )
}
