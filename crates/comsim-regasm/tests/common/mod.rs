//! Building machines and running regasm for the integration tests.

use comsim_manifest::{Guid, Version};
use comsim_regasm::{Invocation, RegasmRun, Tool, Unsupported, run};
use comsim_resolver::clrguid::PublicKey;
use comsim_resolver::machine::{ProcessorArchitecture, TypeKind};
use comsim_resolver::{
    AssemblyInfo, Bitness, FileKind, Machine, RuntimeVersion, Switches, TypeInfo, VFile, WinPath,
};

/// A 64-bit machine with CLR 4.
pub fn machine() -> Machine {
    let mut m = Machine::new(Bitness::B64);
    m.clrs = vec![RuntimeVersion::parse("v4.0.30319").unwrap()];
    m
}

/// `Contoso.Widgets` at `version`, built for `runtime`, with a public key or only a token.
pub fn assembly(
    version: [u16; 4],
    runtime: &str,
    key: Option<&str>,
    token: Option<&str>,
) -> AssemblyInfo {
    let public_key = key.map(|k| PublicKey::parse_hex(k).unwrap());
    AssemblyInfo {
        name: "Contoso.Widgets".into(),
        version: Version(version),
        culture: None,
        public_key_token: token
            .map(str::to_owned)
            .or_else(|| public_key.as_ref().map(PublicKey::token)),
        public_key,
        com_compatible_version: None,
        runtime: RuntimeVersion::parse(runtime).unwrap(),
        architecture: ProcessorArchitecture::Msil,
        com_visible: true,
        primary_interop: None,
        guid: None,
        types: Vec::new(),
        type_index: Default::default(),
    }
}

/// A public COM-visible type with a default constructor.
pub fn public_type(full_name: &str, kind: TypeKind, guid: Option<&str>) -> TypeInfo {
    TypeInfo {
        guid: guid.map(|g| Guid::parse(g).unwrap()),
        ..TypeInfo::new(full_name, kind)
    }
}

/// Puts `asm` at `path`.
pub fn place(m: &mut Machine, path: &str, asm: AssemblyInfo) {
    m.fs.write(VFile {
        path: WinPath::parse(path).unwrap(),
        kind: FileKind::Assembly(Box::new(asm)),
        bytes: Vec::new(),
        embedded_manifest: None,
        origin: "test".into(),
    });
}

/// Runs the 64-bit regasm of the machine's first CLR as administrator in `C:\Contoso`.
pub fn regasm(m: &mut Machine, args: &[&str], sw: &Switches) -> Result<RegasmRun, Unsupported> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let inv = Invocation {
        tool: Tool {
            bitness: Bitness::B64,
            clr: m.clrs[0].clone(),
        },
        elevated: true,
        args: &args,
        cwd: WinPath::parse(r"C:\Contoso").unwrap(),
    };
    run(m, &inv, sw)
}
