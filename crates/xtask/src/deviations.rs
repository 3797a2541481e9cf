//! The list of known deviations: which cases are expected to disagree with Wine, and why (by id).
//!
//! The file is a small subset of TOML, read here without a TOML crate:
//!
//! ```toml
//! [deviations]
//! wine-reg-short-root-names = "import"    # id = the check it excuses
//!
//! [cases]
//! key-root-short-name = ["wine-reg-short-root-names"]
//! ```

use std::collections::BTreeMap;

/// The comparison a deviation excuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    /// Wine's import of the case file against comsim's lenient import (data and exit status).
    Import,
    /// Wine's import of comsim's export of the case against comsim's import.
    Roundtrip,
    /// Some values can only be compared through the lossy form Wine's exporter gives them.
    ExportLossy,
}

impl Check {
    fn parse(s: &str) -> Option<Check> {
        match s {
            "import" => Some(Check::Import),
            "roundtrip" => Some(Check::Roundtrip),
            "export-lossy" => Some(Check::ExportLossy),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Check::Import => "import",
            Check::Roundtrip => "roundtrip",
            Check::ExportLossy => "export-lossy",
        }
    }
}

#[derive(Debug, Default)]
pub struct Deviations {
    /// Each deviation id and the check it excuses.
    pub ids: BTreeMap<String, Check>,
    /// Each case with its deviation ids.
    pub cases: BTreeMap<String, Vec<String>>,
}

impl Deviations {
    /// The ids listed for `case` that excuse `check`.
    pub fn excused(&self, case: &str, check: Check) -> Vec<&str> {
        self.cases
            .get(case)
            .into_iter()
            .flatten()
            .filter(|id| self.ids.get(*id) == Some(&check))
            .map(String::as_str)
            .collect()
    }

    pub fn parse(text: &str) -> Result<Deviations, String> {
        let mut d = Deviations::default();
        let mut section = String::new();
        for (i, raw) in text.lines().enumerate() {
            let at = |msg: &str| format!("line {}: {msg}", i + 1);
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(s) = line.strip_prefix('[') {
                let s = s
                    .strip_suffix(']')
                    .ok_or_else(|| at("expected `]` after the section name"))?;
                section = s.trim().to_owned();
                if section != "deviations" && section != "cases" {
                    return Err(at("expected the section [deviations] or [cases]"));
                }
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| at("expected `name = value`"))?;
            let key = unquote(key.trim()).ok_or_else(|| at("bad name"))?;
            let value = value.trim();
            match section.as_str() {
                "deviations" => {
                    let check = unquote(value)
                        .as_deref()
                        .and_then(Check::parse)
                        .ok_or_else(|| {
                            at("expected \"import\", \"roundtrip\" or \"export-lossy\"")
                        })?;
                    if d.ids.insert(key.clone(), check).is_some() {
                        return Err(at(&format!("deviation `{key}` is listed twice")));
                    }
                }
                "cases" => {
                    let ids = parse_list(value).ok_or_else(|| at("expected [\"id\", ...]"))?;
                    if d.cases.insert(key.clone(), ids).is_some() {
                        return Err(at(&format!("case `{key}` is listed twice")));
                    }
                }
                _ => return Err(at("expected a [deviations] or [cases] section first")),
            }
        }
        for (case, ids) in &d.cases {
            for id in ids {
                if !d.ids.contains_key(id) {
                    return Err(format!(
                        "case `{case}` names the deviation `{id}`, which [deviations] does not list"
                    ));
                }
            }
        }
        Ok(d)
    }
}

fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unquote(s: &str) -> Option<String> {
    if let Some(inner) = s.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        return (!inner.contains(['"', '\\'])).then(|| inner.to_owned());
    }
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    bare.then(|| s.to_owned())
}

fn parse_list(s: &str) -> Option<Vec<String>> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let items: Option<Vec<String>> = inner
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(unquote)
        .collect();
    items.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_toml_subset() {
        let d = Deviations::parse(
            "# comment\n[deviations]\nwine-a = \"import\" # why\n\"wine-b\" = \"roundtrip\"\n\n[cases]\ncase-1 = [\"wine-a\", \"wine-b\"]\n",
        )
        .unwrap();
        assert_eq!(d.ids["wine-a"], Check::Import);
        assert_eq!(d.excused("case-1", Check::Roundtrip), ["wine-b"]);
        assert!(d.excused("case-2", Check::Import).is_empty());
    }

    #[test]
    fn rejects_unknown_ids_checks_and_duplicates() {
        assert!(Deviations::parse("[cases]\nc = [\"nope\"]\n").is_err());
        assert!(Deviations::parse("[deviations]\na = \"sometimes\"\n").is_err());
        assert!(Deviations::parse("[deviations]\na = \"import\"\na = \"import\"\n").is_err());
        assert!(Deviations::parse("a = \"import\"\n").is_err());
    }
}
