//! The error as the user has it: the CLR's exception texts (MSG-1..MSG-6), with or without a
//! stack trace or a localized prefix; a bare HRESULT; VB6/VBA/VBScript's "ActiveX component
//! can't create object" (429, 0x800A01AD); classic ASP's `Server.CreateObject` failures;
//! PowerShell's `New-Object -ComObject` errors. [`parse_error`] pulls out the CLSID, ProgID and
//! HRESULT, and what the text says about the client.
//!
//! The text is scanned a bounded number of times (each marker is searched once, left to right),
//! so any input is read in linear time; nothing in it can make the parser panic.

use comsim_manifest::Guid;
use comsim_resolver::{ClientKind, HResult};
use serde::Serialize;

/// The longest error text read; the rest is ignored (a stack trace is never that long).
pub const MAX_ERROR_TEXT: usize = 1 << 20;

/// `CTL_E_CANTCREATEOBJECT`: Visual Basic's error 429 as an HRESULT.
pub const VB_CANT_CREATE_OBJECT: HResult = HResult(0x800A_01AD);

/// 14001 ERROR_SXS_CANT_GEN_ACTCTX as an HRESULT (`HRESULT_FROM_WIN32`).
pub const SXS_CANT_GEN_ACTCTX: HResult = HResult(0x8007_36B1);

/// Which kind of error text was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorForm {
    /// MSG-1 / MSG-2: `Retrieving the COM class factory for component with CLSID {…} failed …`.
    ClassFactory,
    /// MSG-3: `Could not load file or assembly '…' … cannot find the file specified.`
    FileNotFound,
    /// MSG-5: `… The located assembly's manifest definition does not match …`.
    RefDefMismatch,
    /// BIND-6: `… An attempt was made to load a program with an incorrect format.` or `… built
    /// by a runtime newer …`.
    BadImage,
    /// MSG-4: `Could not load type '…' from assembly '…'.`
    TypeLoad,
    /// MSG-6: `Invalid class string`.
    ClassString,
    /// VB6, VBA or VBScript: error 429, `ActiveX component can't create object`.
    VbCantCreate,
    /// Classic ASP: `Server.CreateObject Failed` (ASP 0177).
    AspCreateObject,
    /// PowerShell: `New-Object : …` (`-ComObject`).
    #[serde(rename = "powershell")]
    PowerShell,
    /// The shim's start-up dialog: `To run this application, you first must install one of the
    /// following versions of the .NET Framework` (SHIM-2).
    RuntimeMissing,
    /// The loader's start-up message: `… its side-by-side configuration is incorrect` (SXS-2),
    /// 14001 ERROR_SXS_CANT_GEN_ACTCTX, as an HRESULT 0x800736B1.
    SxsStartup,
    /// An HRESULT and nothing else recognisable.
    Hresult,
    /// No text: `--clsid` / `--progid` only.
    None,
}

/// What the error says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reported {
    pub form: ErrorForm,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clsid: Option<Guid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hresult: Option<HResult>,
    /// The client the text comes from, when it says (a CLR exception is a managed client; VB6
    /// and ASP are native).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientKind>,
    /// The CLR whose wording the class-factory message has (MSG-1, MSG-2): 2 for the short form
    /// that stops after the code, 4 for the long one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clr_wording: Option<u32>,
    /// The assembly display name of MSG-3..MSG-5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assembly: Option<String>,
    /// The type name of MSG-4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
}

impl Reported {
    /// Nothing known yet: `--clsid` / `--progid` fill it.
    pub fn empty() -> Reported {
        Reported {
            form: ErrorForm::None,
            clsid: None,
            progid: None,
            hresult: None,
            client: None,
            clr_wording: None,
            assembly: None,
            type_name: None,
        }
    }

    /// Whether an outcome's HRESULT is the one reported. VB's 429 stands for any failure to
    /// create the object, so every failed HRESULT matches it.
    pub fn hresult_matches(&self, hr: Option<HResult>) -> bool {
        match (self.hresult, hr) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(VB_CANT_CREATE_OBJECT), Some(_)) => true,
            (Some(a), Some(b)) => a == b,
        }
    }
}

/// Parses an error text. Returns `None` when nothing in it names a class or an HRESULT.
pub fn parse_error(text: &str) -> Option<Reported> {
    let text = clip(text);
    let lower = text.to_ascii_lowercase();
    let mut r = Reported::empty();
    r.clsid = clsid_after(text, &lower, "clsid");
    r.hresult = hresult_in(text, &lower);
    if let Some(at) = lower.find("following error: ") {
        class_factory(&mut r, text, at + "following error: ".len());
    }
    if let Some(at) = lower.find("could not load file or assembly '") {
        assembly_failure(&mut r, text, &lower, at);
    } else if let Some(at) = lower.find("could not load type '") {
        type_load(&mut r, text, at);
    }
    if lower.contains("invalid class string") && r.form == ErrorForm::None {
        r.form = ErrorForm::ClassString;
        r.hresult = r.hresult.or(Some(HResult::CO_E_CLASSSTRING));
        r.client.get_or_insert(ClientKind::Managed);
    }
    if lower.contains("must install one of the following versions of the .net framework") {
        r.form = ErrorForm::RuntimeMissing;
        r.hresult = Some(HResult::CLR_E_SHIM_RUNTIMELOAD);
        r.client = Some(ClientKind::Managed);
    }
    if lower.contains("side-by-side configuration is incorrect") {
        r.form = ErrorForm::SxsStartup;
        r.hresult = Some(SXS_CANT_GEN_ACTCTX);
    }
    script_hosts(&mut r, text, &lower);
    if r.form == ErrorForm::None {
        if r.hresult.is_none() && r.clsid.is_none() && r.progid.is_none() {
            // Nothing known: `--clsid` / `--progid` may still name the class.
            return None;
        }
        r.form = ErrorForm::Hresult;
    }
    Some(r)
}

/// The first [`MAX_ERROR_TEXT`] bytes, cut at a character boundary.
fn clip(text: &str) -> &str {
    if text.len() <= MAX_ERROR_TEXT {
        return text;
    }
    let mut end = MAX_ERROR_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The class-factory message (MSG-1, MSG-2): `… following error: 80040154.` (CLR 2.0) or
/// `… following error: 80040154 Class not registered (…)` (CLR 4).
fn class_factory(r: &mut Reported, text: &str, at: usize) {
    let digits = &text[at..];
    let hex: String = digits.chars().take_while(char::is_ascii_hexdigit).collect();
    if hex.len() == 8
        && let Ok(code) = u32::from_str_radix(&hex, 16)
    {
        r.hresult = Some(HResult(code));
        r.clr_wording = match digits[8..].chars().next() {
            Some('.') => Some(2),
            Some(' ') => Some(4),
            _ => None,
        };
    }
    r.form = ErrorForm::ClassFactory;
    r.client = Some(ClientKind::Managed);
}

/// MSG-3, MSG-5 and BIND-6: the assembly's display name and which failure.
fn assembly_failure(r: &mut Reported, text: &str, lower: &str, at: usize) {
    let start = at + "could not load file or assembly '".len();
    r.assembly = quoted(text, start);
    let (form, hr) = if lower.contains("manifest definition does not match") {
        (
            ErrorForm::RefDefMismatch,
            HResult::FUSION_E_REF_DEF_MISMATCH,
        )
    } else if lower.contains("built by a runtime newer") {
        (ErrorForm::BadImage, HResult::COR_E_NEWER_RUNTIME)
    } else if lower.contains("incorrect format") {
        (ErrorForm::BadImage, HResult::BAD_FORMAT)
    } else {
        (ErrorForm::FileNotFound, HResult::FILE_NOT_FOUND)
    };
    if r.form == ErrorForm::None {
        r.form = form;
        r.hresult = Some(hr);
    }
    r.client.get_or_insert(ClientKind::Managed);
}

/// MSG-4: `Could not load type 'T' from assembly 'A'.`
fn type_load(r: &mut Reported, text: &str, at: usize) {
    let start = at + "could not load type '".len();
    r.type_name = quoted(text, start);
    if let Some(name) = &r.type_name {
        let after = start + name.len() + 1;
        let rest = text[after..].to_ascii_lowercase();
        if let Some(k) = rest.find("from assembly '") {
            r.assembly = quoted(text, after + k + "from assembly '".len());
        }
    }
    if r.form == ErrorForm::None {
        r.form = ErrorForm::TypeLoad;
        r.hresult = Some(HResult::COR_E_TYPELOAD);
    }
    r.client.get_or_insert(ClientKind::Managed);
}

/// VB6/VBA/VBScript, classic ASP and PowerShell.
fn script_hosts(r: &mut Reported, text: &str, lower: &str) {
    let progid = created_progid(text, lower);
    if lower.contains("new-object") {
        r.form = if r.form == ErrorForm::ClassFactory || r.form == ErrorForm::None {
            ErrorForm::PowerShell
        } else {
            r.form
        };
        r.client = Some(ClientKind::Managed);
        if let Some(at) = lower.find("cannot load com type ") {
            let start = at + "cannot load com type ".len();
            r.progid = Some(word(text, start).trim_end_matches('.').to_owned());
            r.hresult = r.hresult.or(Some(HResult::CO_E_CLASSSTRING));
        }
    } else if lower.contains("server.createobject") || lower.contains("asp 0177") {
        r.form = ErrorForm::AspCreateObject;
        r.client = Some(ClientKind::Native);
    } else if lower.contains("activex component can't create object")
        || lower.contains("800a01ad")
        || lower.contains("error '429'")
        || lower.contains("error 429")
    {
        r.form = ErrorForm::VbCantCreate;
        r.client = Some(ClientKind::Native);
        r.hresult = Some(VB_CANT_CREATE_OBJECT);
        if let Some(at) = lower.find("can't create object: '") {
            r.progid = quoted(text, at + "can't create object: '".len());
        }
    }
    if r.progid.is_none() {
        r.progid = progid;
    }
}

/// The ProgID of a `CreateObject("X")`, `Server.CreateObject("X")` or `-ComObject X` in the text.
fn created_progid(text: &str, lower: &str) -> Option<String> {
    if let Some(at) = lower.find("createobject(\"") {
        return quoted_by(text, at + "createobject(\"".len(), '"');
    }
    if let Some(at) = lower.find("-comobject ") {
        let w = word(text, at + "-comobject ".len());
        let w = w.trim_matches(|c| c == '"' || c == '\'');
        return (!w.is_empty()).then(|| w.to_owned());
    }
    None
}

/// The text from `start` to the next `'`, when there is one within a line.
fn quoted(text: &str, start: usize) -> Option<String> {
    quoted_by(text, start, '\'')
}

fn quoted_by(text: &str, start: usize, end: char) -> Option<String> {
    let rest = text.get(start..)?;
    let stop = rest.find([end, '\n'])?;
    (rest[stop..].starts_with(end) && stop > 0).then(|| rest[..stop].to_owned())
}

/// The run of non-space characters at `start`.
fn word(text: &str, start: usize) -> &str {
    let rest = text.get(start..).unwrap_or("");
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    &rest[..end]
}

/// The first `{GUID}` after `marker` (case-insensitive), else the first `{GUID}` in the text.
fn clsid_after(text: &str, lower: &str, marker: &str) -> Option<Guid> {
    let from = lower.find(marker).unwrap_or(0);
    first_guid(text, from).or_else(|| first_guid(text, 0))
}

/// The first `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` at or after `from`.
fn first_guid(text: &str, from: usize) -> Option<Guid> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(k) = bytes.get(i..)?.iter().position(|&b| b == b'{') {
        let at = i + k;
        if let Some(candidate) = text.get(at..at + 38)
            && let Some(g) = Guid::parse(candidate)
        {
            return Some(g);
        }
        i = at + 1;
    }
    None
}

/// An HRESULT written as `0x8XXXXXXX`, `HRESULT: 0x…`, `(8XXXXXXX)`, eight hex digits on their
/// own, or a negative decimal (`-2147221164`, as VB and PowerShell print it). Only failure codes
/// (top bit set) count.
fn hresult_in(text: &str, lower: &str) -> Option<HResult> {
    if let Some(hr) = hex_token(text, lower) {
        return Some(hr);
    }
    negative_decimal(text)
}

/// A negative decimal HRESULT written on its own: a `-` that does not follow a letter, a digit or
/// another `-` (so not the tail of a GUID, `…-000000000002`), then 9 or 10 digits without a
/// leading zero (a failure HRESULT read as a signed 32-bit number is -2147483648 to about
/// -805306369: `0x8…` and `0xC…` codes), within the 32-bit range.
fn negative_decimal(text: &str) -> Option<HResult> {
    let bytes = text.as_bytes();
    text.match_indices('-').find_map(|(at, _)| {
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'-') {
            return None;
        }
        let digits = &text[at + 1..];
        let len = digits.bytes().take_while(u8::is_ascii_digit).count();
        let number = &text[at..at + 1 + len];
        ((9..=10).contains(&len) && !digits.starts_with('0'))
            .then(|| number.parse::<i64>().ok())
            .flatten()
            .filter(|n| (-0x8000_0000..0).contains(n))
            .map(|n| HResult(n as u32))
    })
}

/// The first hex token of eight digits (after an optional `0x`) whose top bit is set.
fn hex_token(text: &str, lower: &str) -> Option<HResult> {
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let joined = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'{';
        if !bytes[i].is_ascii_hexdigit() || (i > 0 && joined(&bytes[i - 1])) {
            // Inside a word: skip to its end, so the scan stays linear.
            i += 1;
            continue;
        }
        let start = if bytes[i] == b'0' && bytes.get(i + 1) == Some(&b'x') {
            i + 2
        } else {
            i
        };
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if len == 8
            && bytes.get(start + 8).is_none_or(|b| !joined(b))
            && let Ok(code) = u32::from_str_radix(&text[start..start + 8], 16)
            && code & 0x8000_0000 != 0
        {
            return Some(HResult(code));
        }
        i = start + len.max(1);
    }
    None
}

#[cfg(test)]
mod tests;
