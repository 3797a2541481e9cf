//! `tests/conformance/sxs/deviations.toml`: the known deviations between comsim and Wine, each with
//! the predicate that says which disagreements it excuses, and the cases that must show it.
//!
//! The file is a small subset of TOML, read here without a TOML crate:
//!
//! ```toml
//! [deviations]
//! wine-identity-without-language = "identity-language"   # id = predicate
//!
//! [cases]
//! language-in-identity = ["wine-identity-without-language"]
//! ```

use std::collections::BTreeMap;

/// Which disagreements a deviation excuses. Each is checked against comsim's own view of the case,
/// so a deviation applies only where the difference it describes is actually present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Predicate {
    /// A lookup's identity differs only by comsim's `language="…"` attribute.
    IdentityLanguage,
    /// A lookup's identity differs only by Wine's `version="0.0.0.0"` for an identity without one.
    IdentityVersion,
    /// comsim reports `runtimeVersion=""` as an empty string, Wine as NULL.
    EmptyRuntime,
    /// Wine crashes on `any`/`class` for a GUID whose first COM server is a native `comClass`.
    NativeClassCrash,
    /// Wine finds no entry whose GUID is written without braces.
    GuidWithoutBraces,
    /// comsim rejected a found component whose identity differs from the reference in something
    /// other than the version (or that has no identity); Wine compares only the version. Covers
    /// the whole case.
    PrivateIdentity,
    /// The whole case, for the cases listed under [cases] only.
    ListedCases,
}

impl Predicate {
    fn parse(s: &str) -> Option<Predicate> {
        Some(match s {
            "identity-language" => Predicate::IdentityLanguage,
            "identity-version" => Predicate::IdentityVersion,
            "empty-runtime" => Predicate::EmptyRuntime,
            "native-class-crash" => Predicate::NativeClassCrash,
            "guid-without-braces" => Predicate::GuidWithoutBraces,
            "private-identity" => Predicate::PrivateIdentity,
            "listed-cases" => Predicate::ListedCases,
            _ => return None,
        })
    }
}

const PREDICATES: &str = "\"identity-language\", \"identity-version\", \"empty-runtime\", \
    \"native-class-crash\", \"guid-without-braces\", \"private-identity\" or \"listed-cases\"";

#[derive(Debug, Default)]
pub struct Deviations {
    /// Each deviation id and its predicate.
    pub ids: BTreeMap<String, Predicate>,
    /// Each case with the deviation ids it must show.
    pub cases: BTreeMap<String, Vec<String>>,
}

impl Deviations {
    /// The id whose predicate is `p` (each predicate but `listed-cases` belongs to one id at most).
    pub fn id_for(&self, p: Predicate) -> Option<&str> {
        self.ids
            .iter()
            .find(|(_, q)| **q == p)
            .map(|(id, _)| id.as_str())
    }

    /// The `listed-cases` deviations listed for `case`.
    pub fn listed_for(&self, case: &str) -> Vec<&str> {
        self.cases
            .get(case)
            .into_iter()
            .flatten()
            .filter(|id| self.ids.get(*id) == Some(&Predicate::ListedCases))
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
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .ok_or_else(|| at("expected `]` after the section name"))?
                    .trim();
                if name != "deviations" && name != "cases" {
                    return Err(at("expected the section [deviations] or [cases]"));
                }
                section = name.to_owned();
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| at("expected `name = value`"))?;
            let key = unquote(key.trim()).ok_or_else(|| at("bad name"))?;
            let value = value.trim();
            match section.as_str() {
                "deviations" => {
                    let p = unquote(value)
                        .as_deref()
                        .and_then(Predicate::parse)
                        .ok_or_else(|| at(&format!("expected {PREDICATES}")))?;
                    if p != Predicate::ListedCases && d.ids.values().any(|q| *q == p) {
                        return Err(at("two deviations share one predicate"));
                    }
                    if d.ids.insert(key.clone(), p).is_some() {
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
            if let Some(id) = ids.iter().find(|id| !d.ids.contains_key(*id)) {
                return Err(format!(
                    "case `{case}` names the deviation `{id}`, which [deviations] does not list"
                ));
            }
        }
        for id in d.ids.keys() {
            if !d.cases.values().flatten().any(|x| x == id) {
                return Err(format!(
                    "the deviation `{id}` names no case under [cases] that shows it"
                ));
            }
        }
        Ok(d)
    }
}

fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unquote(s: &str) -> Option<String> {
    let inner = match s.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"')?,
        None => s,
    };
    let ok = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| inner.to_owned())
}

fn parse_list(s: &str) -> Option<Vec<String>> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let items: Option<Vec<String>> = inner
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(unquote)
        .collect();
    items.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_predicates_and_cases() {
        let d = Deviations::parse(
            "# c\n[deviations]\nwine-a = \"identity-language\" # why\nwine-b = \"listed-cases\"\n\n[cases]\ncase-1 = [\"wine-a\", \"wine-b\"]\n",
        )
        .unwrap();
        assert_eq!(d.id_for(Predicate::IdentityLanguage), Some("wine-a"));
        assert_eq!(d.listed_for("case-1"), ["wine-b"]);
        assert!(d.listed_for("case-2").is_empty());
    }

    #[test]
    fn rejects_unknown_predicates_unshown_ids_and_duplicates() {
        assert!(Deviations::parse("[deviations]\na = \"sometimes\"\n").is_err());
        assert!(Deviations::parse("[deviations]\na = \"empty-runtime\"\n").is_err());
        assert!(Deviations::parse("[cases]\nc = [\"nope\"]\n").is_err());
        assert!(
            Deviations::parse(
                "[deviations]\na = \"empty-runtime\"\nb = \"empty-runtime\"\n[cases]\nc = [\"a\", \"b\"]\n"
            )
            .is_err()
        );
    }
}
