//! A conformance suite's list of known deviations (`tests/conformance/*/deviations.toml`): each
//! deviation id with the kind of disagreement it excuses, and the cases that show it.
//!
//! ```toml
//! [deviations]
//! wine-reg-short-root-names = "import"    # id = kind (each suite has its own kinds)
//!
//! [cases]
//! key-root-short-name = ["wine-reg-short-root-names"]
//! ```
//!
//! Every id a case names must be listed under `[deviations]`, and every deviation must name at
//! least one case that shows it (the suites fail when a listed deviation stops occurring).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub struct Deviations<K> {
    /// Each deviation id and its kind.
    pub ids: BTreeMap<String, K>,
    /// Each case with the deviation ids it must show.
    pub cases: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File<K> {
    deviations: BTreeMap<String, K>,
    #[serde(default)]
    cases: BTreeMap<String, Vec<String>>,
}

impl<K: DeserializeOwned + PartialEq> Deviations<K> {
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File<K> = toml::from_str(text).map_err(|e| e.to_string())?;
        let d = Deviations {
            ids: file.deviations,
            cases: file.cases,
        };
        for (case, ids) in &d.cases {
            if ids.is_empty() {
                return Err(format!("case `{case}` names no deviation"));
            }
            if let Some(id) = ids.iter().find(|id| !d.ids.contains_key(*id)) {
                return Err(format!(
                    "case `{case}` names the deviation `{id}`, which [deviations] does not list"
                ));
            }
        }
        if let Some(id) = d
            .ids
            .keys()
            .find(|id| !d.cases.values().flatten().any(|x| x == *id))
        {
            return Err(format!(
                "the deviation `{id}` names no case under [cases] that shows it"
            ));
        }
        Ok(d)
    }

    /// The ids listed for `case` whose kind is `kind`.
    pub fn listed(&self, case: &str, kind: &K) -> Vec<&str> {
        self.cases
            .get(case)
            .into_iter()
            .flatten()
            .filter(|id| self.ids.get(*id) == Some(kind))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Import,
        Roundtrip,
    }

    #[test]
    fn reads_ids_kinds_and_cases() {
        let d = Deviations::<Kind>::parse(
            "# comment\n[deviations]\nwine-a = \"import\" # why\n\"wine-b\" = \"roundtrip\"\n\n[cases]\ncase-1 = [\"wine-a\", \"wine-b\"]\n",
        )
        .unwrap();
        assert_eq!(d.ids["wine-a"], Kind::Import);
        assert_eq!(d.listed("case-1", &Kind::Roundtrip), ["wine-b"]);
        assert!(d.listed("case-2", &Kind::Import).is_empty());
    }

    #[test]
    fn rejects_unknown_ids_kinds_unshown_ids_and_duplicates() {
        let parse = Deviations::<Kind>::parse;
        assert!(parse("[deviations]\n[cases]\nc = [\"nope\"]\n").is_err());
        assert!(parse("[deviations]\na = \"sometimes\"\n[cases]\nc = [\"a\"]\n").is_err());
        assert!(
            parse("[deviations]\na = \"import\"\n").is_err(),
            "a shows in no case"
        );
        assert!(
            parse("[deviations]\na = \"import\"\na = \"import\"\n[cases]\nc = [\"a\"]\n").is_err()
        );
        assert!(parse("a = \"import\"\n").is_err());
        assert!(parse("[deviations]\na = \"import\"\n[cases]\nc = []\n").is_err());
    }
}
