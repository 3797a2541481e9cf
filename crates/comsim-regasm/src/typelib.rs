//! `/tlb`: exporting a type library and registering it with the OS type-library API.
//!
//! Only the keys RegisterTypeLib is understood to write are modelled (inferred, not read in a
//! source: RegisterTypeLib's `TypeLib\{LIBID}\<ver>` with `0\win32|win64`, `FLAGS`, `HELPDIR`, and
//! `Interface\{IID}` with `ProxyStubClsid32` and `TypeLib`). The `.tlb` file's contents are not
//! modelled. Failures are the "type library registration" cause of ASM-6.

use comsim_registry::{KeyPath, Root, Value, View, Writer};
use comsim_resolver::clrguid;
use comsim_resolver::{AssemblyInfo, Bitness, Machine, Rule, TypeKind, WinPath};

use crate::{RegasmRun, Unsupported};

/// The OLE Automation marshaler every exported dual or dispatch interface is marshaled by.
const OLEAUT_PROXY: &str = "{00020424-0000-0000-C000-000000000046}";

/// The interfaces tlbexp exports: public, COM-visible.
fn interfaces(asm: &AssemblyInfo) -> impl Iterator<Item = &comsim_resolver::TypeInfo> {
    asm.types.iter().filter(move |t| {
        t.kind == TypeKind::Interface && t.public && t.com_visible.unwrap_or(asm.com_visible)
    })
}

pub(crate) fn check_supported(asm: &AssemblyInfo) -> Result<(), Unsupported> {
    clrguid::type_library_guid(asm).map_err(|e| Unsupported(e.explain("the assembly", asm)))?;
    for t in interfaces(asm) {
        clrguid::type_guid(asm, t)
            .map_err(|e| Unsupported(e.explain(&format!("interface `{}`", t.full_name), asm)))?;
    }
    Ok(())
}

/// `major.minor` of the assembly version, in hex as RegisterTypeLib names the subkey.
fn version(asm: &AssemblyInfo) -> String {
    format!("{:x}.{:x}", asm.version.0[0], asm.version.0[1])
}

fn short_name(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

fn hkcr(comps: &[&str]) -> KeyPath {
    KeyPath::new(Root::ClassesRoot, comps.iter().copied())
}

/// Registers the exported type library; false when a write was refused.
pub(crate) fn register(
    m: &mut Machine,
    view: View,
    writer: Writer,
    asm: &AssemblyInfo,
    bitness: Bitness,
    tlb: &WinPath,
    r: &mut RegasmRun,
) -> bool {
    let libid = asm.guid.map(|g| g.to_string()).unwrap_or_default();
    let ver = version(asm);
    let platform = match bitness {
        Bitness::B32 => "win32",
        Bitness::B64 => "win64",
    };
    let tlb_text = tlb.to_string();
    let dir = tlb.parent().to_string();
    let mut writes: Vec<(Vec<String>, &str, String)> = vec![
        (
            vec!["TypeLib".into(), libid.clone(), ver.clone()],
            "",
            asm.name.clone(),
        ),
        (
            vec![
                "TypeLib".into(),
                libid.clone(),
                ver.clone(),
                "0".into(),
                platform.into(),
            ],
            "",
            tlb_text.clone(),
        ),
        (
            vec!["TypeLib".into(), libid.clone(), ver.clone(), "FLAGS".into()],
            "",
            "0".into(),
        ),
        (
            vec![
                "TypeLib".into(),
                libid.clone(),
                ver.clone(),
                "HELPDIR".into(),
            ],
            "",
            dir,
        ),
    ];
    let mut iids = Vec::new();
    for t in interfaces(asm) {
        let iid = t.guid.map(|g| g.to_string()).unwrap_or_default();
        let key = vec!["Interface".to_owned(), iid.clone()];
        writes.push((key.clone(), "", short_name(&t.full_name).to_owned()));
        for proxy in ["ProxyStubClsid", "ProxyStubClsid32"] {
            let mut k = key.clone();
            k.push(proxy.into());
            writes.push((k, "", OLEAUT_PROXY.to_owned()));
        }
        let mut k = key.clone();
        k.push("TypeLib".into());
        writes.push((k.clone(), "", libid.clone()));
        writes.push((k, "Version", ver.clone()));
        iids.push(iid);
    }
    for (comps, name, value) in &writes {
        let comps: Vec<&str> = comps.iter().map(String::as_str).collect();
        let path = hkcr(&comps);
        let result = m
            .registry
            .create_key(&path, view, writer)
            .and_then(|t| m.registry.set_value_at(&t, name, Value::sz(value)));
        if let Err(e) = result {
            r.trace
                .push(
                    Rule::Asm6,
                    format!("type library registration failed writing {path}: {e}"),
                )
                .code("typelib-register-failed")
                .at(path.to_string());
            return false;
        }
    }
    r.trace
        .push(
            Rule::Asm6,
            format!(
                "type library {libid} {ver} exported to {tlb_text} and registered ({platform}; TypeLib is shared by both views, Interface keys follow the view){}",
                if iids.is_empty() {
                    String::new()
                } else {
                    format!(": interfaces {}", iids.join(", "))
                }
            ),
        ).code("typelib-registered")
        .at(format!(r"HKEY_CLASSES_ROOT\TypeLib\{libid}\{ver}"));
    r.out(format!(
        "Assembly exported to '{tlb_text}', and the type library was registered successfully"
    ));
    true
}

/// Unregisters the type library (`/u /tlb`); false when a delete was refused.
pub(crate) fn unregister(
    m: &mut Machine,
    view: View,
    writer: Writer,
    asm: &AssemblyInfo,
    tlb: &WinPath,
    r: &mut RegasmRun,
) -> bool {
    let libid = asm.guid.map(|g| g.to_string()).unwrap_or_default();
    let ver = version(asm);
    let mut keys = vec![hkcr(&["TypeLib", &libid, &ver])];
    for t in interfaces(asm) {
        let iid = t.guid.map(|g| g.to_string()).unwrap_or_default();
        keys.push(hkcr(&["Interface", &iid]));
    }
    for path in &keys {
        if let Err(e) = m.registry.delete_tree(path, view, writer) {
            r.trace
                .push(
                    Rule::Asm6,
                    format!("type library unregistration failed deleting {path}: {e}"),
                )
                .code("typelib-unregister-failed")
                .at(path.to_string());
            return false;
        }
    }
    // RegisterTypeLib's parent key goes when no other version is left.
    let parent = hkcr(&["TypeLib", &libid]);
    if let Ok(Some(t)) = m.registry.open_for_write(&parent, view, writer)
        && m.registry.subkey_count(t.key) == 0
        && m.registry.values(t.key).is_empty()
    {
        let _ = m.registry.delete_tree(&parent, view, writer);
    }
    r.trace
        .push(
            Rule::Asm6,
            format!("type library {libid} {ver} and its interfaces unregistered"),
        )
        .code("typelib-unregistered")
        .at(parent.to_string());
    r.out(format!("Type library '{tlb}' un-registered successfully"));
    true
}
