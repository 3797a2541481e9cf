//! The rule IDs of comsim, as a type.
//!
//! Every trace step cites a [`Rule`]; every rule belongs to a [`Group`]. The string form of a
//! rule (`SHIM-REG-3`) is the ID the rules document defines, and is what text and JSON output
//! show: [`Rule`] serializes as that string.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A group of rules: the part of the activation path they describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// REQ: how an activation starts (the client's request).
    Req,
    /// SXS: the activation context and the lookups in it.
    Sxs,
    /// REG: the registry as a process sees it (merge, elevation, views, writes).
    Reg,
    /// SHIM-REG: the CLR's read of a managed registration.
    ShimReg,
    /// LCC: `AppDomain::LoadCOMClass` (CLR 2.0 and CLR 4.0).
    Lcc,
    /// BIND: binding the assembly and finding the type.
    Bind,
    /// COM: `CoCreateInstance`.
    Com,
    /// SHIM: mscoree starting a runtime for COM activation.
    Shim,
    /// ASM: regasm.
    Asm,
    /// MSG: the exact texts the user sees.
    Msg,
}

impl Group {
    /// Every group, in the order of the rules document.
    pub const ALL: [Group; 10] = [
        Group::Req,
        Group::Sxs,
        Group::Reg,
        Group::ShimReg,
        Group::Lcc,
        Group::Bind,
        Group::Com,
        Group::Shim,
        Group::Asm,
        Group::Msg,
    ];

    /// The group's name as rule IDs spell it (`SHIM-REG`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Group::Req => "REQ",
            Group::Sxs => "SXS",
            Group::Reg => "REG",
            Group::ShimReg => "SHIM-REG",
            Group::Lcc => "LCC",
            Group::Bind => "BIND",
            Group::Com => "COM",
            Group::Shim => "SHIM",
            Group::Asm => "ASM",
            Group::Msg => "MSG",
        }
    }

    /// The rules of this group, in order.
    pub fn rules(self) -> impl Iterator<Item = Rule> {
        Rule::ALL.into_iter().filter(move |r| r.group() == self)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Group {
    type Err = UnknownGroup;

    fn from_str(s: &str) -> Result<Group, UnknownGroup> {
        Group::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownGroup(s.to_owned()))
    }
}

impl Serialize for Group {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A text that is no group name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGroup(pub String);

impl fmt::Display for UnknownGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a rule group", self.0)
    }
}

impl std::error::Error for UnknownGroup {}

/// A text that is no rule ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule(pub String);

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a rule ID", self.0)
    }
}

impl std::error::Error for UnknownRule {}

/// Declares [`Rule`] from one row per rule: its doc comment, variant, ID and group.
macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal in $group:ident, )*) => {
        /// A rule ID. Its string form ([`Rule::as_str`]) is the ID as the rules document writes it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in the order of the rules document.
            pub const ALL: [Rule; rules!(@count $($variant)*)] = [ $( Rule::$variant, )* ];

            /// The ID (`SHIM-REG-3`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Rule::$variant => $id, )*
                }
            }

            /// The group the rule belongs to.
            pub const fn group(self) -> Group {
                match self {
                    $( Rule::$variant => Group::$group, )*
                }
            }
        }
    };
    (@count) => { 0 };
    (@count $head:ident $($tail:ident)*) => { 1 + rules!(@count $($tail)*) };
}

rules! {
    /// REQ-1: `Type.GetTypeFromCLSID`: the AppDomain's cache, then LoadCOMClass for a class.
    Req1 = "REQ-1" in Req,
    /// REQ-2: `Activator.CreateInstance`: a managed instance, or CoCreateInstance for a wrapper.
    Req2 = "REQ-2" in Req,
    /// REQ-3: `Type.GetTypeFromProgID`: the ProgID's CLSID, following `CurVer`.
    Req3 = "REQ-3" in Req,
    /// REQ-4: a native client calls CoCreateInstance itself, without LoadCOMClass.
    Req4 = "REQ-4" in Req,
    /// REQ-5: a record looked up by GUID: LoadCOMClass for a record.
    Req5 = "REQ-5" in Req,
    /// SXS-1: the activation context comes from the application manifest.
    Sxs1 = "SXS-1" in Sxs,
    /// SXS-2: probing for a private dependent assembly; a failed probe stops the process.
    Sxs2 = "SXS-2" in Sxs,
    /// SXS-3: the manifest namespace and its `clrClass`, `clrSurrogate` and `comClass` entries.
    Sxs3 = "SXS-3" in Sxs,
    /// SXS-4: `SxsLookupClrGuid` with FIND_ANY for classes, FIND_SURROGATE for records.
    Sxs4 = "SXS-4" in Sxs,
    /// SXS-5: a surrogate hit while a runtime version is asked for counts as a miss.
    Sxs5 = "SXS-5" in Sxs,
    /// SXS-6: an empty type name is a miss; an empty runtimeVersion reads as v1.0.3705.
    Sxs6 = "SXS-6" in Sxs,
    /// SXS-7: a Win32 assembly identity turned into a Fusion display name.
    Sxs7 = "SXS-7" in Sxs,
    /// SXS-8: a clrSurrogate hit is a registration-free PIA.
    Sxs8 = "SXS-8" in Sxs,
    /// REG-1: HKCR merges HKLM's and HKCU's `Software\Classes`.
    Reg1 = "REG-1" in Reg,
    /// REG-2: elevated processes ignore per-user class registrations in COM.
    Reg2 = "REG-2" in Reg,
    /// REG-3: WOW64 registry views: `CLSID` is redirected for 32-bit processes.
    Reg3 = "REG-3" in Reg,
    /// REG-4: writes through HKCR land in HKLM and need administrator rights.
    Reg4 = "REG-4" in Reg,
    /// SHIM-REG-1: the registration's key (`CLSID\{clsid}\InprocServer32` or `Record\{guid}`).
    ShimReg1 = "SHIM-REG-1" in ShimReg,
    /// SHIM-REG-2: which subkey names count as versions.
    ShimReg2 = "SHIM-REG-2" in ShimReg,
    /// SHIM-REG-3: when a version subkey is valid.
    ShimReg3 = "SHIM-REG-3" in ShimReg,
    /// SHIM-REG-4: the cap at the caller's highest allowed runtime.
    ShimReg4 = "SHIM-REG-4" in ShimReg,
    /// SHIM-REG-5: the highest valid version subkey wins.
    ShimReg5 = "SHIM-REG-5" in ShimReg,
    /// SHIM-REG-6: without a valid subkey, the key's own values.
    ShimReg6 = "SHIM-REG-6" in ShimReg,
    /// SHIM-REG-7: nothing qualifies (REGDB_E_CLASSNOTREG); else the values read.
    ShimReg7 = "SHIM-REG-7" in ShimReg,
    /// SHIM-REG-8: a registration's runtime version, as the shim reads it (no cap).
    ShimReg8 = "SHIM-REG-8" in ShimReg,
    /// LCC2-1: CLR 2.0's LoadCOMClass: an SxS hit binds and loads.
    Lcc2_1 = "LCC2-1" in Lcc,
    /// LCC2-2: CLR 2.0: after an SxS miss, the registry capped at 2.0.
    Lcc2_2 = "LCC2-2" in Lcc,
    /// LCC2-3: CLR 2.0: both miss, LoadCOMClass returns NULL.
    Lcc2_3 = "LCC2-3" in Lcc,
    /// LCC4-1: CLR 4.0's LoadCOMClass: a clrSurrogate hit is a reg-free PIA.
    Lcc4_1 = "LCC4-1" in Lcc,
    /// LCC4-2: CLR 4.0: a clrClass hit is checked against the running runtime.
    Lcc4_2 = "LCC4-2" in Lcc,
    /// LCC4-3: CLR 4.0: after an SxS miss, the registry; a PIA unless the server is mscoree.
    Lcc4_3 = "LCC4-3" in Lcc,
    /// LCC4-4: CLR 4.0: a RuntimeVersion other than the running runtime returns NULL.
    Lcc4_4 = "LCC4-4" in Lcc,
    /// LCC4-5: CLR 4.0: no RuntimeVersion reads as v1.0.3705.
    Lcc4_5 = "LCC4-5" in Lcc,
    /// LCC-6: a failed bind or type load after a hit propagates to the caller.
    Lcc6 = "LCC-6" in Lcc,
    /// BIND-1: the assembly display name.
    Bind1 = "BIND-1" in Bind,
    /// BIND-2: a strong-named assembly is looked for in the GAC first.
    Bind2 = "BIND-2" in Bind,
    /// BIND-3: then the application base (and its private paths).
    Bind3 = "BIND-3" in Bind,
    /// BIND-4: then the CodeBase hint.
    Bind4 = "BIND-4" in Bind,
    /// BIND-5: not found anywhere: FileNotFoundException 0x80070002.
    Bind5 = "BIND-5" in Bind,
    /// BIND-6: an assembly for a newer runtime, or the wrong bitness, does not load.
    Bind6 = "BIND-6" in Bind,
    /// BIND-7: the class is not in the assembly: TypeLoadException.
    Bind7 = "BIND-7" in Bind,
    /// COM-1: the activation context before the registry.
    Com1 = "COM-1" in Com,
    /// COM-2: `TreatAs` redirects; a repeating chain is an error.
    Com2 = "COM-2" in Com,
    /// COM-3: the CLSCTX order: InprocServer32, then LocalServer32.
    Com3 = "COM-3" in Com,
    /// COM-4: nothing registered in the process's view: REGDB_E_CLASSNOTREG.
    Com4 = "COM-4" in Com,
    /// COM-5: the apartment an object lives in, from the client's and the ThreadingModel.
    Com5 = "COM-5" in Com,
    /// SHIM-1: mscoree as the server reads the registration's runtime version.
    Shim1 = "SHIM-1" in Shim,
    /// SHIM-2: which runtime a component runs on without a config.
    Shim2 = "SHIM-2" in Shim,
    /// SHIM-3: runtimes side by side in one process.
    Shim3 = "SHIM-3" in Shim,
    /// SHIM-4: the host's config: supportedRuntime and the legacy activation policy.
    Shim4 = "SHIM-4" in Shim,
    /// SHIM-5: the started runtime resolves the class itself.
    Shim5 = "SHIM-5" in Shim,
    /// ASM-1: what regasm writes for a class (ProgID, CLSID, InprocServer32).
    Asm1 = "ASM-1" in Asm,
    /// ASM-2: records and ComImport classes.
    Asm2 = "ASM-2" in Asm,
    /// ASM-3: which types are registrable.
    Asm3 = "ASM-3" in Asm,
    /// ASM-4: registering and unregistering one of several versions.
    Asm4 = "ASM-4" in Asm,
    /// ASM-5: the 32-bit and 64-bit regasm write different views.
    Asm5 = "ASM-5" in Asm,
    /// ASM-6: without administrator rights the writes to HKLM fail.
    Asm6 = "ASM-6" in Asm,
    /// ASM-7: `/codebase` on an unsigned assembly warns; `/regfile` writes a file instead.
    Asm7 = "ASM-7" in Asm,
    /// MSG-1: the text of REGDB_E_CLASSNOTREG from the class factory.
    Msg1 = "MSG-1" in Msg,
    /// MSG-2: the text of other CoCreateInstance failures.
    Msg2 = "MSG-2" in Msg,
    /// MSG-3: the text of FileNotFoundException.
    Msg3 = "MSG-3" in Msg,
    /// MSG-4: the text of TypeLoadException.
    Msg4 = "MSG-4" in Msg,
    /// MSG-5: the text of a manifest definition mismatch.
    Msg5 = "MSG-5" in Msg,
    /// MSG-6: the text of CO_E_CLASSSTRING.
    Msg6 = "MSG-6" in Msg,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Rule, UnknownRule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRule(s.to_owned()))
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn all_holds_the_64_first_version_rules_once_each() {
        let ids: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(Rule::ALL.len(), 64);
        assert_eq!(ids.len(), 64, "a rule ID is spelled twice");
        let variants: BTreeSet<Rule> = Rule::ALL.into_iter().collect();
        assert_eq!(variants.len(), 64, "a variant is listed twice");
    }

    #[test]
    fn ids_round_trip_through_from_str() {
        for r in Rule::ALL {
            assert_eq!(r.as_str().parse::<Rule>(), Ok(r));
            assert_eq!(r.to_string(), r.as_str());
        }
        assert!("SHIM-REG-9".parse::<Rule>().is_err());
        assert!("shim-reg-3".parse::<Rule>().is_err());
        assert!("".parse::<Rule>().is_err());
    }

    #[test]
    fn each_rule_is_in_the_group_its_id_names() {
        for r in Rule::ALL {
            let id = r.as_str();
            let (prefix, number) = id.rsplit_once('-').expect("an ID ends in -N");
            assert!(number.parse::<u32>().is_ok(), "{id}");
            // LCC2-1 and LCC4-1 belong to LCC: the digits after the letters name the CLR.
            let group = prefix.trim_end_matches(|c: char| c.is_ascii_digit());
            assert_eq!(r.group().as_str(), group, "{id}");
        }
        assert_eq!(Rule::ShimReg3.group(), Group::ShimReg);
        assert_eq!(Rule::Shim3.group(), Group::Shim);
        assert_eq!(Rule::Lcc4_2.group(), Group::Lcc);
        assert_eq!(Rule::Lcc6.group(), Group::Lcc);
    }

    #[test]
    fn every_group_has_rules_and_round_trips() {
        let counts: Vec<(Group, usize)> =
            Group::ALL.iter().map(|g| (*g, g.rules().count())).collect();
        assert_eq!(
            counts,
            vec![
                (Group::Req, 5),
                (Group::Sxs, 8),
                (Group::Reg, 4),
                (Group::ShimReg, 8),
                (Group::Lcc, 9),
                (Group::Bind, 7),
                (Group::Com, 5),
                (Group::Shim, 5),
                (Group::Asm, 7),
                (Group::Msg, 6),
            ]
        );
        for g in Group::ALL {
            assert_eq!(g.as_str().parse::<Group>(), Ok(g));
        }
        assert!("LCC2".parse::<Group>().is_err());
    }

    #[test]
    fn rules_and_groups_serialize_as_their_id() {
        assert_eq!(
            serde_json::to_string(&Rule::ShimReg3).expect("a string"),
            "\"SHIM-REG-3\""
        );
        assert_eq!(
            serde_json::to_string(&Group::ShimReg).expect("a string"),
            "\"SHIM-REG\""
        );
    }
}
