use super::*;

const CLSID: &str = "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}";

fn guid() -> Guid {
    Guid::parse(CLSID).unwrap()
}

/// MSG-1 in CLR 4's wording, inside an unhandled-exception dump with a stack trace.
#[test]
fn msg1_clr4_with_stack_trace() {
    let text = format!(
        "Unhandled Exception: System.Runtime.InteropServices.COMException: Retrieving the COM class factory for component with CLSID {CLSID} failed due to the following error: 80040154 Class not registered (Exception from HRESULT: 0x80040154 (REGDB_E_CLASSNOTREG)).\r\n   at System.RuntimeTypeHandle.CreateInstance(RuntimeType type)\r\n   at Client.Program.Main()"
    );
    let r = parse_error(&text).unwrap();
    assert_eq!(r.form, ErrorForm::ClassFactory);
    assert_eq!(r.clsid, Some(guid()));
    assert_eq!(r.hresult, Some(HResult::REGDB_E_CLASSNOTREG));
    assert_eq!(r.client, Some(ClientKind::Managed));
    assert_eq!(r.clr_wording, Some(4));
}

/// MSG-1 in CLR 2.0's wording stops after the code: the text names the client's CLR.
#[test]
fn msg1_clr2_short_form() {
    let text = format!(
        "Retrieving the COM class factory for component with CLSID {CLSID} failed due to the following error: 80040154."
    );
    let r = parse_error(&text).unwrap();
    assert_eq!(r.clr_wording, Some(2));
    assert_eq!(r.hresult, Some(HResult::REGDB_E_CLASSNOTREG));
}

/// A localized message: no English marker, the CLSID and the HRESULT are still found.
#[test]
fn msg1_localized_prefix() {
    let text = format!(
        "Ausnahmefehler: Das COM-Klassenfactory für die Komponente mit CLSID {CLSID} konnte aufgrund des folgenden Fehlers nicht abgerufen werden: 80040154 Klasse nicht registriert (Ausnahme von HRESULT: 0x80040154 (REGDB_E_CLASSNOTREG))."
    );
    let r = parse_error(&text).unwrap();
    assert_eq!(r.form, ErrorForm::Hresult);
    assert_eq!(r.clsid, Some(guid()));
    assert_eq!(r.hresult, Some(HResult::REGDB_E_CLASSNOTREG));
}

/// MSG-3, MSG-4, MSG-5: the assembly and type names are taken out of the quotes.
#[test]
fn msg3_msg4_msg5_names() {
    let name = "Contoso.Widgets, Version=2.0.0.0, Culture=neutral, PublicKeyToken=null";
    let r = parse_error(&format!("System.IO.FileNotFoundException: Could not load file or assembly '{name}' or one of its dependencies. The system cannot find the file specified.")).unwrap();
    assert_eq!(
        (r.form, r.assembly.as_deref(), r.hresult),
        (
            ErrorForm::FileNotFound,
            Some(name),
            Some(HResult::FILE_NOT_FOUND)
        )
    );
    let r = parse_error(&format!(
        "Could not load type 'Contoso.Widget' from assembly '{name}'."
    ))
    .unwrap();
    assert_eq!(r.form, ErrorForm::TypeLoad);
    assert_eq!(r.type_name.as_deref(), Some("Contoso.Widget"));
    assert_eq!(r.assembly.as_deref(), Some(name));
    let r = parse_error(&format!("Could not load file or assembly '{name}' or one of its dependencies. The located assembly's manifest definition does not match the assembly reference. (Exception from HRESULT: 0x80131040)")).unwrap();
    assert_eq!(r.form, ErrorForm::RefDefMismatch);
    assert_eq!(r.hresult, Some(HResult::FUSION_E_REF_DEF_MISMATCH));
}

/// MSG-6 and a bare HRESULT in its three spellings.
#[test]
fn msg6_and_bare_hresults() {
    let r =
        parse_error("Invalid class string (Exception from HRESULT: 0x800401F3 (CO_E_CLASSSTRING))")
            .unwrap();
    assert_eq!(r.form, ErrorForm::ClassString);
    assert_eq!(r.hresult, Some(HResult::CO_E_CLASSSTRING));
    for text in ["0x80040154", "80040154", "hr = -2147221164"] {
        let r = parse_error(text).unwrap();
        assert_eq!(
            (r.form, r.hresult),
            (ErrorForm::Hresult, Some(HResult::REGDB_E_CLASSNOTREG)),
            "{text}"
        );
    }
    assert_eq!(parse_error("nothing here"), None);
}

/// VB6 and VBScript: error 429, a native client; VBScript names the ProgID.
#[test]
fn vb_429_and_vbscript_progid() {
    let r = parse_error("Run-time error '429':\n\nActiveX component can't create object").unwrap();
    assert_eq!(r.form, ErrorForm::VbCantCreate);
    assert_eq!(r.client, Some(ClientKind::Native));
    assert_eq!(r.hresult, Some(VB_CANT_CREATE_OBJECT));
    let r = parse_error("Microsoft VBScript runtime error '800a01ad'\nActiveX component can't create object: 'Contoso.Widget'\n/default.asp, line 4").unwrap();
    assert_eq!(r.progid.as_deref(), Some("Contoso.Widget"));
    let r = parse_error("Set w = CreateObject(\"Contoso.Widget\")\nError 429").unwrap();
    assert_eq!(r.progid.as_deref(), Some("Contoso.Widget"));
    assert!(r.hresult_matches(Some(HResult::REGDB_E_CLASSNOTREG)));
}

/// Classic ASP: ASP 0177 with the HRESULT, a native client.
#[test]
fn asp_server_createobject() {
    let r = parse_error("Server object error 'ASP 0177 : 80040154'\nServer.CreateObject Failed\n/app/page.asp, line 12\n80040154").unwrap();
    assert_eq!(r.form, ErrorForm::AspCreateObject);
    assert_eq!(r.client, Some(ClientKind::Native));
    assert_eq!(r.hresult, Some(HResult::REGDB_E_CLASSNOTREG));
}

/// PowerShell: the class-factory text after `New-Object :`, and `Cannot load COM type`.
#[test]
fn powershell_new_object() {
    let r = parse_error(&format!("New-Object : Retrieving the COM class factory for component with CLSID {CLSID} failed due to the following error: 80040154 Class not registered (Exception from HRESULT: 0x80040154 (REGDB_E_CLASSNOTREG)).\nAt line:1 char:6\n+ $w = New-Object -ComObject Contoso.Widget")).unwrap();
    assert_eq!(r.form, ErrorForm::PowerShell);
    assert_eq!(r.clsid, Some(guid()));
    assert_eq!(r.progid.as_deref(), Some("Contoso.Widget"));
    let r = parse_error("New-Object : Cannot load COM type Contoso.Gadget.").unwrap();
    assert_eq!(r.progid.as_deref(), Some("Contoso.Gadget"));
    assert_eq!(r.client, Some(ClientKind::Managed));
}

/// The loader's 14001 message (SXS-2) and the shim's missing-runtime dialog (SHIM-2).
#[test]
fn startup_messages() {
    let r = parse_error(
        "The application has failed to start because its side-by-side configuration is incorrect.",
    )
    .unwrap();
    assert_eq!(
        (r.form, r.hresult),
        (ErrorForm::SxsStartup, Some(SXS_CANT_GEN_ACTCTX))
    );
    let r = parse_error("To run this application, you first must install one of the following versions of the .NET Framework:\n  v2.0.50727").unwrap();
    assert_eq!(
        (r.form, r.hresult),
        (
            ErrorForm::RuntimeMissing,
            Some(HResult::CLR_E_SHIM_RUNTIMELOAD)
        )
    );
}

/// A GUID's first group is not an HRESULT.
/// A negative decimal HRESULT stands on its own: the tail of a broken GUID (`failed-000000000002`,
/// found by the fuzz corpus replay) and small negative numbers are not HRESULTs; VB's and
/// PowerShell's `-2147221164` is.
#[test]
fn negative_decimals_stand_alone_and_have_the_size_of_an_hresult() {
    let broken =
        "for component with CLSID {F2000000-0000-4000-8000-000000000002}) failed-000000000002})";
    let hr = |t: &str| parse_error(t).and_then(|r| r.hresult);
    assert_eq!(hr(broken), None);
    assert_eq!(hr("exit code -2"), None);
    assert_eq!(
        hr("Err.Number = -2147221164"),
        Some(HResult::REGDB_E_CLASSNOTREG)
    );
}

#[test]
fn guid_digits_are_not_an_hresult() {
    let r = parse_error("CLSID {F7000000-0000-4000-8000-000000000001} failed").unwrap();
    assert_eq!(r.hresult, None);
}

/// Long and hostile input: linear, no panic.
#[test]
fn long_input_is_linear_and_safe() {
    let long = "{".repeat(200_000) + &"8".repeat(200_000) + "é'".repeat(1000).as_str();
    let start = std::time::Instant::now();
    let _ = parse_error(&long);
    let _ = parse_error(&"could not load file or assembly '".repeat(10_000));
    assert!(start.elapsed().as_secs() < 5);
}

proptest::proptest! {
    /// Any text parses or is refused, never panics.
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let _ = parse_error(&s);
    }
}
