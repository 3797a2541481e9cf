//! Behaviour switches: the alternative reading of every rule `rules.md` marks **inferred**.

use std::fmt;

use comsim_rules::Rule;

/// One switch: its name, the rule it belongs to, its values (the first is the default) and what
/// each does.
#[derive(Debug)]
pub struct SwitchDef {
    pub name: &'static str,
    pub rule: Rule,
    pub values: &'static [(&'static str, &'static str)],
}

pub const HKCR_MERGE: &str = "hkcr-merge";
pub const SXS_CLASS_RUNTIME_CHECK: &str = "sxs-class-runtime-check";
pub const LOCALSERVER_REGISTRATION: &str = "localserver-registration";
pub const RUNTIME_MATCH: &str = "runtime-match";
pub const MISSING_RUNTIME_VERSION: &str = "missing-runtime-version";
pub const BIND_FAILURE: &str = "bind-failure";
pub const CLR_USER_CLASSES: &str = "clr-user-classes";
pub const TREATAS_CYCLE: &str = "treatas-cycle";
pub const CLASS_FACTORY_EXCEPTION: &str = "class-factory-exception";
pub const ASM_UNREGISTER_VALUES: &str = "asm-unregister-values";

/// Every switch. The first value of each is the default.
pub const SWITCHES: &[SwitchDef] = &[
    SwitchDef {
        name: HKCR_MERGE,
        rule: Rule::Reg1,
        values: &[
            (
                "union",
                "open the HKCU key when it exists, enumerate the union (the doc's example)",
            ),
            (
                "strict",
                "a key duplicated in HKCU hides HKLM's subtree (the doc's rule text)",
            ),
        ],
    },
    SwitchDef {
        name: CLR_USER_CLASSES,
        rule: Rule::Reg2,
        values: &[
            (
                "read",
                "the CLR's own registry read sees per-user classes even when elevated",
            ),
            (
                "ignore",
                "the CLR's read ignores per-user classes when elevated, as COM does",
            ),
        ],
    },
    SwitchDef {
        name: SXS_CLASS_RUNTIME_CHECK,
        rule: Rule::Lcc4_2,
        values: &[
            ("on", "a clrClass hit for another runtime returns NULL"),
            ("off", "a clrClass hit loads whatever its runtimeVersion"),
        ],
    },
    SwitchDef {
        name: LOCALSERVER_REGISTRATION,
        rule: Rule::Lcc4_3,
        values: &[
            (
                "pia",
                "a registration found only under LocalServer32 is a PIA and loads in-process",
            ),
            (
                "com",
                "a registration found only under LocalServer32 returns NULL (COM activates it)",
            ),
        ],
    },
    SwitchDef {
        name: RUNTIME_MATCH,
        rule: Rule::Lcc4_4,
        values: &[
            ("major-minor", "v4.0.30319 and v4.0 are the same runtime"),
            (
                "exact",
                "the RuntimeVersion text must equal the running runtime's version",
            ),
        ],
    },
    SwitchDef {
        name: MISSING_RUNTIME_VERSION,
        rule: Rule::Lcc4_5,
        values: &[
            ("com", "no RuntimeVersion means v1.0.3705: NULL under CLR 4"),
            (
                "load",
                "no RuntimeVersion: bind and load in the running CLR",
            ),
        ],
    },
    SwitchDef {
        name: BIND_FAILURE,
        rule: Rule::Lcc6,
        values: &[
            (
                "throw",
                "a failed bind or type load propagates to the caller",
            ),
            (
                "fallback",
                "a failed bind or type load returns NULL (System.__ComObject), as CLR 1.x did",
            ),
        ],
    },
    SwitchDef {
        name: CLASS_FACTORY_EXCEPTION,
        rule: Rule::Req2,
        values: &[
            (
                "com-exception",
                "a failed CoCreateInstance becomes a COMException, as REQ-2 says",
            ),
            (
                "by-hresult",
                "the exception type follows the HRESULT (0x80070002 → FileNotFoundException), as real reports show",
            ),
        ],
    },
    SwitchDef {
        name: TREATAS_CYCLE,
        rule: Rule::Com2,
        values: &[
            (
                "classnotreg",
                "a TreatAs chain that repeats a CLSID fails with REGDB_E_CLASSNOTREG",
            ),
            (
                "original",
                "a TreatAs cycle is ignored and the original CLSID is activated",
            ),
        ],
    },
    SwitchDef {
        name: ASM_UNREGISTER_VALUES,
        rule: Rule::Asm4,
        values: &[
            (
                "keep",
                "unregistering one of several versions leaves the top-level InprocServer32 values (seed 002's layout)",
            ),
            (
                "delete",
                "unregistering any version deletes the top-level Class, Assembly, RuntimeVersion and CodeBase (RegistrationServices.cs)",
            ),
        ],
    },
];

/// The switch settings of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switches {
    /// The value index of each switch of [`SWITCHES`], in order.
    values: Vec<usize>,
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            values: vec![0; SWITCHES.len()],
        }
    }
}

fn index_of(name: &str) -> Option<usize> {
    SWITCHES.iter().position(|s| s.name == name)
}

impl Switches {
    /// Sets `name` to `value`; the error says what is accepted.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let Some(i) = index_of(name) else {
            let names: Vec<&str> = SWITCHES.iter().map(|s| s.name).collect();
            return Err(format!(
                "unknown switch `{name}` (switches: {})",
                names.join(", ")
            ));
        };
        let def = &SWITCHES[i];
        let Some(v) = def.values.iter().position(|(v, _)| *v == value) else {
            let vals: Vec<&str> = def.values.iter().map(|(v, _)| *v).collect();
            return Err(format!(
                "switch `{name}` takes {}, not `{value}`",
                vals.join(" or ")
            ));
        };
        self.values[i] = v;
        Ok(())
    }

    /// Parses and sets `name=value`.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), String> {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not `name=value`"))?;
        self.set(name.trim(), value.trim())
    }

    /// The current value of a switch. Names are the constants of this module.
    pub fn get(&self, name: &str) -> &'static str {
        match index_of(name) {
            Some(i) => SWITCHES[i].values[self.values[i]].0,
            None => "",
        }
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == value
    }

    /// The switches that differ from their defaults, `name=value`, in table order.
    pub fn non_default(&self) -> Vec<String> {
        SWITCHES
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| **v != 0)
            .map(|(d, v)| format!("{}={}", d.name, d.values[*v].0))
            .collect()
    }

    /// The setting of `name` as `name=value`, for the trace.
    pub fn setting(&self, name: &'static str) -> Setting {
        Setting {
            name,
            value: self.get(name),
        }
    }
}

/// A switch and its value, as the trace cites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub value: &'static str,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inferred_rule_has_a_switch_with_a_default() {
        for def in SWITCHES {
            assert!(def.values.len() >= 2, "{}", def.name);
        }
        let s = Switches::default();
        assert_eq!(s.get(RUNTIME_MATCH), "major-minor");
        assert!(s.non_default().is_empty());
    }

    #[test]
    fn setting_rejects_unknown_names_and_values() {
        let mut s = Switches::default();
        assert!(s.set_pair("runtime-match=exact").is_ok());
        assert_eq!(s.non_default(), vec!["runtime-match=exact"]);
        assert!(
            s.set("runtime-match", "fuzzy")
                .unwrap_err()
                .contains("major-minor or exact")
        );
        assert!(s.set("nope", "x").unwrap_err().contains("unknown switch"));
        assert!(s.set_pair("runtime-match").is_err());
    }
}
