//! `tests/conformance/sxs/deviations.toml`: the known deviations between comsim and Wine, each with
//! the predicate that says which disagreements it excuses, and the cases that must show it.
//!
//! The file's form is [`crate::deviations`]'s; the kind of each deviation is a predicate:
//!
//! ```toml
//! [deviations]
//! wine-identity-without-language = "identity-language"   # id = predicate
//!
//! [cases]
//! language-in-identity = ["wine-identity-without-language"]
//! ```

/// Which disagreements a deviation excuses. Each is checked against comsim's own view of the case,
/// so a deviation applies only where the difference it describes is actually present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
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

const PREDICATES: [Predicate; 7] = [
    Predicate::IdentityLanguage,
    Predicate::IdentityVersion,
    Predicate::EmptyRuntime,
    Predicate::NativeClassCrash,
    Predicate::GuidWithoutBraces,
    Predicate::PrivateIdentity,
    Predicate::ListedCases,
];

/// The suite's deviations: each predicate but `listed-cases` belongs to one id at most.
#[derive(Debug)]
pub struct Deviations(pub crate::deviations::Deviations<Predicate>);

impl Deviations {
    pub fn parse(text: &str) -> Result<Deviations, String> {
        let d = crate::deviations::Deviations::<Predicate>::parse(text)?;
        for p in PREDICATES.iter().filter(|p| **p != Predicate::ListedCases) {
            let ids: Vec<&String> = d
                .ids
                .iter()
                .filter(|(_, q)| *q == p)
                .map(|(id, _)| id)
                .collect();
            if ids.len() > 1 {
                return Err(format!(
                    "the deviations {} share one predicate",
                    ids.iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
        }
        Ok(Deviations(d))
    }

    /// The id whose predicate is `p`.
    pub fn id_for(&self, p: Predicate) -> Option<&str> {
        self.0
            .ids
            .iter()
            .find(|(_, q)| **q == p)
            .map(|(id, _)| id.as_str())
    }

    /// The `listed-cases` deviations listed for `case`.
    pub fn listed_for(&self, case: &str) -> Vec<&str> {
        self.0.listed(case, &Predicate::ListedCases)
    }

    /// Each case with the deviation ids it must show.
    pub fn cases(&self) -> &std::collections::BTreeMap<String, Vec<String>> {
        &self.0.cases
    }
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
    fn rejects_unknown_predicates_unshown_ids_and_shared_predicates() {
        assert!(
            Deviations::parse("[deviations]\na = \"sometimes\"\n[cases]\nc = [\"a\"]\n").is_err()
        );
        assert!(Deviations::parse("[deviations]\na = \"empty-runtime\"\n").is_err());
        assert!(
            Deviations::parse(
                "[deviations]\na = \"empty-runtime\"\nb = \"empty-runtime\"\n[cases]\nc = [\"a\", \"b\"]\n"
            )
            .is_err()
        );
    }
}
