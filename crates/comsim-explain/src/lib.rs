//! `comsim explain`: what the project knows about an ID a user has in hand.
//!
//! - A rule ID (`SHIM-REG-4`): the rule's entry in `docs/rules.md` (its text, its sources
//!   resolved to their entries in the Sources section, its confidence), the switches of
//!   `SWITCHES` that belong to it.
//! - An HRESULT (`0x80040154`, `80040154`, `-2147221164`) or a pasted error text holding one:
//!   its name and system message, the exception the CLR makes of it (REQ-2), and the messages
//!   MSG-1/MSG-2 print on each CLR.
//!
//! - A cause ID of `docs/causes.md` (`other-view`): its section (how it is detected, its evidence
//!   and fix) and the diagnose case that shows it. An HRESULT lists the causes that end in it.
//!
//! For rules and HRESULTs, the bundled scenarios that show it (`scenarios.tsv`, kept true by this crate's
//! `tests/index.rs`), each with the command that replays it.

use std::fmt;
use std::str::FromStr;

use comsim_resolver::HResult;
use comsim_resolver::hresult::{ClrWording, class_factory_message};
use comsim_resolver::switches::{SWITCHES, SwitchDef};
use comsim_rules::Rule;
use serde::Serialize;

/// The rules as the project states them.
const RULES_MD: &str = include_str!("../../../docs/rules.md");

/// The causes `comsim diagnose` names, as `docs/causes.md` states them.
const CAUSES_MD: &str = include_str!("../../../docs/causes.md");

/// Which bundled scenario shows which rule and which HRESULT: `rule<TAB>ID<TAB>scenario` and
/// `hresult<TAB>0x…<TAB>scenario` lines, sorted. Generated from the fixtures by
/// `tests/index.rs`, which fails when it is out of date.
pub const SCENARIO_INDEX: &str = include_str!("scenarios.tsv");

/// Where the bundled scenarios are, relative to the repository's root.
pub const SCENARIO_DIR: &str = "fixtures/scenarios";

/// What a user asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Rule(Rule),
    HResult(HResult),
    /// A cause ID of `docs/causes.md` (`other-view`).
    Cause(&'static str),
}

/// An ID that is neither a rule nor an HRESULT, and text that holds neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnderstood(pub String);

impl fmt::Display for NotUnderstood {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a rule ID (such as SHIM-REG-4, see docs/rules.md), a cause ID (such as other-view, see docs/causes.md), an HRESULT (0x80040154, 80040154, -2147221164), or an error text holding one or its system message",
            shorten(&self.0)
        )
    }
}

/// The first 60 characters of a long argument, for the error message.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

impl FromStr for Topic {
    type Err = NotUnderstood;

    /// A rule ID (any case), an HRESULT on its own, or the first HRESULT in a longer text: a
    /// `0x` number, or eight hex digits standing alone (`failed due to the following error:
    /// 80040154.`).
    fn from_str(s: &str) -> Result<Topic, NotUnderstood> {
        let t = s.trim();
        if let Ok(r) = t.to_ascii_uppercase().parse::<Rule>() {
            return Ok(Topic::Rule(r));
        }
        if let Some(id) = cause_ids().find(|id| id.eq_ignore_ascii_case(t)) {
            return Ok(Topic::Cause(id));
        }
        if let Some(hr) = lone_hresult(t) {
            return Ok(Topic::HResult(hr));
        }
        hresult_in_text(t)
            .or_else(|| hresult_by_message(t))
            .map(Topic::HResult)
            .ok_or_else(|| NotUnderstood(s.to_owned()))
    }
}

/// `0x80040154`, `80040154` or `-2147221164`.
fn lone_hresult(t: &str) -> Option<HResult> {
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok().map(HResult);
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u32::from_str_radix(t, 16).ok().map(HResult);
    }
    // A negative decimal, as VBScript's Err.Number and some logs print it.
    t.parse::<i32>()
        .ok()
        .filter(|n| *n < 0)
        .map(|n| HResult(n.cast_unsigned()))
}

/// The first HRESULT in a text: a word that is `0x` and eight hex digits, or eight hex digits
/// starting with 8 (an error, not a success code), between characters that are neither letters
/// nor digits, and not a group of a GUID (next to a `-`). One pass over the text.
fn hresult_in_text(text: &str) -> Option<HResult> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |n| start + n);
        let w = &text[start..end];
        let in_guid = bytes.get(end) == Some(&b'-') || (start > 0 && bytes[start - 1] == b'-');
        let hex = w
            .strip_prefix("0x")
            .or_else(|| w.strip_prefix("0X"))
            .unwrap_or(w);
        if !in_guid
            && hex.len() == 8
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && (hex.len() != w.len() || hex.starts_with('8'))
        {
            return u32::from_str_radix(hex, 16).ok().map(HResult);
        }
        start = end + 1;
    }
    None
}

/// The HRESULT whose system message the text holds (`Class not registered`), for a message
/// pasted without its code; the longest message wins, so that a message holding a shorter one
/// is not mistaken for it. Case is ignored; the final full stop is optional.
fn hresult_by_message(text: &str) -> Option<HResult> {
    let text = text.to_lowercase();
    HResult::known()
        .iter()
        .filter(|i| {
            let m = i.message.trim_end_matches('.').to_lowercase();
            !m.is_empty() && text.contains(&m)
        })
        .max_by_key(|i| i.message.len())
        .map(|i| HResult(i.code))
}

/// A rule's entry in `docs/rules.md`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleEntry {
    pub rule: Rule,
    /// The heading of its group's section (`SHIM-REG: reading a managed registration …`).
    pub section: String,
    /// The entry's text, as written (without the leading `- ID `), its lines unwrapped into
    /// paragraphs.
    pub text: Vec<String>,
    /// The source keys the entry names (`seed 003`, `S36`, `rexcep.h`), each with its entry in
    /// the Sources section when it has one.
    pub sources: Vec<Source>,
    /// What follows `Confidence:` (`doc`, `src`, `inferred (...)`).
    pub confidence: Option<String>,
}

/// One source a rule names.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub key: String,
    /// Its entry in the Sources section, unwrapped; `None` when the key has no entry of its own
    /// (`real reports`).
    pub entry: Option<String>,
}

/// A switch of the rule, with its values, the default first.
#[derive(Debug, Clone, Serialize)]
pub struct SwitchEntry {
    pub name: &'static str,
    pub values: Vec<SwitchValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SwitchValue {
    pub value: &'static str,
    pub meaning: &'static str,
}

/// What is known about an HRESULT.
#[derive(Debug, Clone, Serialize)]
pub struct HResultEntry {
    /// `0x80040154`.
    pub code: String,
    /// `REGDB_E_CLASSNOTREG`, when comsim knows it.
    pub name: Option<&'static str>,
    pub system_message: String,
    /// The exception a managed client gets when CoCreateInstance returns it (REQ-2).
    pub exception: &'static str,
    /// MSG-1/MSG-2 on CLR 2.0 and on CLR 4, for a CLSID shown as `{…}`.
    pub clr2_message: String,
    pub clr4_message: String,
}

/// A bundled scenario that shows the topic.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub scenario: String,
    /// `comsim replay fixtures/scenarios/NAME`.
    pub command: String,
}

/// A cause's section of `docs/causes.md`.
#[derive(Debug, Clone, Serialize)]
pub struct CauseEntry {
    pub id: &'static str,
    /// The section's paragraphs and list items, unwrapped.
    pub text: Vec<String>,
    /// The bundled diagnose case that shows it (`fixtures/diagnose/<id>`), when there is one.
    pub case: Option<String>,
}

/// Everything `comsim explain` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<CauseEntry>,
    /// For an HRESULT: the causes of `docs/causes.md` whose detection names it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub switches: Vec<SwitchEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hresult: Option<HResultEntry>,
    pub scenarios: Vec<Shown>,
}

/// Explains a topic.
pub fn explain(topic: Topic) -> Explanation {
    match topic {
        Topic::Rule(rule) => Explanation {
            rule: rule_entry(rule),
            switches: SWITCHES
                .iter()
                .filter(|s| s.rule == rule)
                .map(switch_entry)
                .collect(),
            hresult: None,
            cause: None,
            causes: Vec::new(),
            scenarios: shown_by("rule", rule.as_str()),
        },
        Topic::HResult(hr) => Explanation {
            rule: None,
            switches: Vec::new(),
            hresult: Some(hresult_entry(hr)),
            cause: None,
            causes: causes_of(hr),
            scenarios: shown_by("hresult", &format!("0x{:08X}", hr.0)),
        },
        Topic::Cause(id) => Explanation {
            rule: None,
            switches: Vec::new(),
            hresult: None,
            cause: cause_entry(id),
            causes: Vec::new(),
            scenarios: Vec::new(),
        },
    }
}

fn switch_entry(s: &SwitchDef) -> SwitchEntry {
    SwitchEntry {
        name: s.name,
        values: s
            .values
            .iter()
            .map(|(value, meaning)| SwitchValue { value, meaning })
            .collect(),
    }
}

fn hresult_entry(hr: HResult) -> HResultEntry {
    // The messages are shown for a CLSID the reader fills in.
    let clsid = "{00000000-0000-0000-0000-000000000000}";
    let placeholder = |m: String| m.replace(clsid, "{…}");
    let nil = comsim_manifest::Guid::parse(clsid).expect("the nil GUID parses");
    HResultEntry {
        code: format!("0x{:08X}", hr.0),
        name: hr.info().map(|i| i.name),
        system_message: hr.system_message(),
        exception: hr.exception_type(),
        clr2_message: placeholder(class_factory_message(nil, hr, ClrWording::Clr2)),
        clr4_message: placeholder(class_factory_message(nil, hr, ClrWording::Clr4)),
    }
}

/// The scenarios the index lists for `kind` and `id`.
fn shown_by(kind: &str, id: &str) -> Vec<Shown> {
    SCENARIO_INDEX
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            (f.next() == Some(kind) && f.next() == Some(id)).then(|| f.next())?
        })
        .map(|name| Shown {
            scenario: name.to_owned(),
            command: format!("comsim replay {SCENARIO_DIR}/{name}"),
        })
        .collect()
}

/// The cause IDs `docs/causes.md` defines: its `` ## `id` `` headings.
pub fn cause_ids() -> impl Iterator<Item = &'static str> {
    CAUSES_MD
        .lines()
        .filter_map(|l| l.strip_prefix("## `").and_then(|r| r.strip_suffix('`')))
}

/// The lines of a cause's section, up to the next heading.
fn cause_section(id: &str) -> Option<impl Iterator<Item = &'static str>> {
    let heading = format!("## `{id}`");
    let mut lines = CAUSES_MD.lines();
    lines.find(|l| *l == heading)?;
    Some(lines.take_while(|l| !l.starts_with("## ")))
}

/// A cause's section of `docs/causes.md`.
pub fn cause_entry(id: &'static str) -> Option<CauseEntry> {
    let body: Vec<String> = cause_section(id)?.map(|l| l.trim().to_owned()).collect();
    let text = paragraphs(&body);
    let case = text
        .iter()
        .find_map(|p| p.strip_prefix("- Case: `"))
        .and_then(|r| r.split('`').next())
        .map(str::to_owned);
    Some(CauseEntry { id, text, case })
}

/// The causes whose "Detected:" item names the HRESULT (`the outcome is 0x80040154`).
fn causes_of(hr: HResult) -> Vec<&'static str> {
    let code = format!("0x{:08X}", hr.0);
    cause_ids()
        .filter(|id| {
            cause_entry(id).is_some_and(|e| {
                e.text
                    .iter()
                    .any(|p| p.starts_with("- Detected:") && p.contains(&code))
            })
        })
        .collect()
}

/// The rule's entry in `docs/rules.md`: the list item that starts `- ID `, up to the next list
/// item or heading.
pub fn rule_entry(rule: Rule) -> Option<RuleEntry> {
    let id = rule.as_str();
    let mut section = String::new();
    let mut lines = RULES_MD.lines();
    let first = loop {
        let l = lines.next()?;
        if let Some(h) = l.strip_prefix("## ") {
            section = h.trim().to_owned();
        }
        if let Some(rest) = l.strip_prefix("- ").and_then(|r| r.strip_prefix(id))
            && rest.starts_with(' ')
        {
            break rest.trim_start();
        }
    };
    let mut body = vec![first.to_owned()];
    for l in lines {
        if l.starts_with("- ") || l.starts_with('#') {
            break;
        }
        body.push(l.trim().to_owned());
    }
    let paragraphs = paragraphs(&body);
    let (text, sources, confidence) = split_sources(paragraphs);
    Some(RuleEntry {
        rule,
        section,
        text,
        sources,
        confidence,
    })
}

/// Lines joined into paragraphs at blank lines; a sub-list item (`- `, indented in the file)
/// starts a paragraph of its own.
fn paragraphs(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for l in lines {
        if l.is_empty() || l.starts_with("- ") {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if l.is_empty() {
                continue;
            }
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(l);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Takes the `Sources: …. Confidence: ….` paragraph out of an entry's paragraphs.
fn split_sources(paragraphs: Vec<String>) -> (Vec<String>, Vec<Source>, Option<String>) {
    let mut text = Vec::new();
    let mut sources = Vec::new();
    let mut confidence = None;
    for p in paragraphs {
        let Some(rest) = p.strip_prefix("Sources:") else {
            text.push(p);
            continue;
        };
        let (list, conf) = match rest.split_once("Confidence:") {
            Some((l, c)) => (l, Some(c.trim().trim_end_matches('.').to_owned())),
            None => (rest, None),
        };
        confidence = conf;
        for key in list.trim().trim_end_matches('.').split(';') {
            let key = key.trim();
            if !key.is_empty() {
                sources.push(Source {
                    key: key.to_owned(),
                    entry: source_entry(key),
                });
            }
        }
    }
    (text, sources, confidence)
}

/// The Sources section's entry for a key: the list item starting `- **KEY**`. A key written
/// with a qualifier (`S21 (the table)`) is looked up by its first word or words before the
/// parenthesis.
fn source_entry(key: &str) -> Option<String> {
    let key = key.split(" (").next().unwrap_or(key).trim();
    let start = format!("- **{key}**");
    let mut lines = RULES_MD.lines().skip_while(|l| !l.starts_with(&start));
    let first = lines.next()?;
    let mut entry = first
        .strip_prefix(&start)
        .unwrap_or(first)
        .trim_start_matches(':')
        .trim()
        .to_owned();
    for l in lines {
        if l.starts_with("- ") || l.starts_with('#') || l.trim().is_empty() {
            break;
        }
        entry.push(' ');
        entry.push_str(l.trim());
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_reads_rule_ids_in_any_case() {
        assert_eq!("shim-reg-4".parse(), Ok(Topic::Rule(Rule::ShimReg4)));
        assert_eq!(" LCC4-2 ".parse(), Ok(Topic::Rule(Rule::Lcc4_2)));
    }

    #[test]
    fn topic_reads_hresults_in_three_spellings() {
        let hr = Ok(Topic::HResult(HResult::REGDB_E_CLASSNOTREG));
        assert_eq!("0x80040154".parse(), hr);
        assert_eq!("80040154".parse(), hr);
        assert_eq!("-2147221164".parse(), hr);
    }

    /// MSG-1's CLR 2.0 text ends with the code and a full stop; the first HRESULT-shaped word
    /// is taken, and a CLSID's groups are not mistaken for one.
    #[test]
    fn topic_finds_the_hresult_in_a_pasted_message() {
        let clr2 = "System.Runtime.InteropServices.COMException: Retrieving the COM class factory for component with CLSID {80000000-0000-4000-8000-000000000001} failed due to the following error: 80040154.";
        assert_eq!(
            clr2.parse(),
            Ok(Topic::HResult(HResult::REGDB_E_CLASSNOTREG))
        );
        let fnf = "Could not load file or assembly 'X' (Exception from HRESULT: 0x80131040)";
        assert_eq!(
            fnf.parse(),
            Ok(Topic::HResult(HResult::FUSION_E_REF_DEF_MISMATCH))
        );
        assert!("nothing to see".parse::<Topic>().is_err());
    }

    /// VB6's and PowerShell's texts often carry the system message without the code.
    #[test]
    fn topic_finds_the_hresult_by_its_system_message() {
        assert_eq!(
            "Cannot create object: Class not registered".parse(),
            Ok(Topic::HResult(HResult::REGDB_E_CLASSNOTREG))
        );
    }

    /// A cause ID of docs/causes.md is a topic; its section comes back with its case, and an
    /// HRESULT lists the causes whose detection names it.
    #[test]
    fn causes_are_topics_and_hresults_name_their_causes() {
        assert_eq!("Other-View".parse(), Ok(Topic::Cause("other-view")));
        let e = cause_entry("other-view").expect("other-view is in docs/causes.md");
        assert!(
            e.text.iter().any(|p| p.starts_with("- Fix:")),
            "{:?}",
            e.text
        );
        assert_eq!(e.case.as_deref(), Some("fixtures/diagnose/other-view"));
        let causes = explain(Topic::HResult(HResult::REGDB_E_CLASSNOTREG)).causes;
        assert!(causes.contains(&"other-view"), "{causes:?}");
        assert!(cause_ids().count() >= 10);
        for id in cause_ids() {
            assert!(cause_entry(id).is_some_and(|e| !e.text.is_empty()), "{id}");
        }
    }

    #[test]
    fn rule_entry_has_text_sources_and_confidence() {
        let e = rule_entry(Rule::Req1).expect("REQ-1 is in docs/rules.md");
        assert!(e.section.starts_with("REQ"), "{}", e.section);
        assert!(e.text[0].starts_with("`Type.GetTypeFromCLSID(clsid)`"));
        let keys: Vec<&str> = e.sources.iter().map(|s| s.key.as_str()).collect();
        assert!(keys.contains(&"seed 003"), "{keys:?}");
        assert!(
            e.sources.iter().all(|s| s.entry.is_some()),
            "{:?}",
            e.sources
        );
        assert_eq!(e.confidence.as_deref(), Some("doc"));
    }

    /// Every rule has an entry, with sources and a confidence: `explain` never comes back empty
    /// for a rule ID.
    #[test]
    fn every_rule_has_an_entry_with_sources() {
        for rule in Rule::ALL {
            let e = rule_entry(rule).unwrap_or_else(|| panic!("{rule} has no entry"));
            assert!(!e.text.is_empty(), "{rule}");
            assert!(!e.sources.is_empty(), "{rule} names no source");
            assert!(e.confidence.is_some(), "{rule} has no confidence");
        }
    }

    #[test]
    fn hresult_entry_gives_the_exception_and_both_clrs_messages() {
        let e = hresult_entry(HResult::FILE_NOT_FOUND);
        assert_eq!(e.code, "0x80070002");
        assert_eq!(e.exception, "System.IO.FileNotFoundException");
        assert!(
            e.clr2_message.ends_with("error: 80070002."),
            "{}",
            e.clr2_message
        );
        assert!(e.clr4_message.contains("{…}"), "{}", e.clr4_message);
    }
}
