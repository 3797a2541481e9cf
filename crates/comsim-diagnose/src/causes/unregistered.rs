//! `unregistered-other-version`: `regasm /u` of another version of the assembly removed the
//! ProgID this version's registration shares. regasm writes a class's ProgID twice: its own key
//! (`HKCR\<ProgID>\CLSID`) and the class key's `ProgId` subkey. Unregistering a version whose
//! class had another CLSID (a class without `[Guid]`, or a `[Guid]` changed between versions)
//! removes that CLSID's keys, its last version being gone, and then the ProgID's key, whichever
//! CLSID it names by then (ASM-4; RegistrationServices' `UnregisterManagedType`). What is left is
//! the signature read here: the ProgID has no key, while a class registered by regasm still says
//! in its `ProgId` subkey that the ProgID is its own.

use comsim_resolver::{HResult, Rule};

use super::{Ctx, Finding, UNREGISTERED_OTHER_VERSION, ev, finding, progid, regasm_fix};
use crate::config::bits;
use crate::fix::FixStep;
use crate::registration::{self, access};

pub(super) fn unregistered_other_version(ctx: &Ctx<'_>) -> Option<Finding> {
    if ctx.hresult() != Some(HResult::CO_E_CLASSSTRING) {
        return None;
    }
    let p = progid(ctx.request)?;
    let m = ctx.m();
    let b = ctx.bitness();
    if registration::progid_clsid(m, p, &access(m, b, true)).is_some() {
        return None;
    }
    // The class whose ProgId subkey names the ProgID, registered by regasm, in either view.
    let (clsid, reg, view_bits) = [b, b.other()].into_iter().find_map(|vb| {
        let a = access(m, vb, true);
        let c = registration::clsid_naming_progid(m, p, &a)?;
        let r = registration::read(m, c, &a).filter(|r| r.assembly.is_some())?;
        Some((c, r, vb))
    })?;
    let assembly = reg.assembly.clone().unwrap_or_default();
    let f = finding(
        &UNREGISTERED_OTHER_VERSION,
        format!(
            "The ProgID {p} has no key, while the class it belongs to, {clsid} ({assembly}), is still registered and names it: `regasm /u` of another version of the assembly, whose class had another CLSID, removed the ProgID's key that this registration shares."
        ),
        vec![
            ev(
                Rule::Req3,
                format!(r"HKEY_CLASSES_ROOT\{p}"),
                "no key: the ProgID does not resolve",
            ),
            ev(
                Rule::Asm4,
                format!(r"{}\ProgId", reg.stored),
                format!(
                    "= {p}: the class's keys remain ({}-bit view), registered for {assembly}",
                    bits(view_bits)
                ),
            ),
        ],
    );
    let f = regasm_fix(ctx, f, &reg, view_bits);
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CLASSES_ROOT\\{p}]\r\n@=\"{}\"\r\n\r\n[HKEY_CLASSES_ROOT\\{p}\\CLSID]\r\n@=\"{clsid}\"\r\n\r\n",
        reg.class.as_deref().unwrap_or(p).replace('\\', "\\\\")
    );
    Some(f.fix(
        format!("Write the ProgID's key again, naming {clsid}."),
        vec![FixStep::Import {
            name: "fix-progid.reg".to_owned(),
            text,
            view: access(m, b, true).view,
        }],
    ))
}
