//! The kinds of step a scenario can take, with the key word each is spelled with: the one list
//! the TOML reader, the builder, the replay and the CLI's output all use.

use serde::{Serialize, Serializer};

/// What a `[[step]]` does: one of six requests (REQ-1..REQ-5, and mscoree's DllGetClassObject
/// called directly) or one of the machine steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepAction {
    /// `get_type_from_clsid`: `Type.GetTypeFromCLSID` (REQ-1).
    GetTypeFromClsid,
    /// `create_instance`: `Activator.CreateInstance` of a CLSID's type (REQ-2).
    CreateInstance,
    /// `get_type_from_progid`: `Type.GetTypeFromProgID` (REQ-3).
    GetTypeFromProgid,
    /// `co_create_instance`: `CoCreateInstance` (REQ-4).
    CoCreateInstance,
    /// `load_record`: a record's type from its GUID (REQ-5).
    LoadRecord,
    /// `dll_get_class_object`: mscoree.dll's `DllGetClassObject`, called by the client (REQ-4,
    /// SHIM-5).
    DllGetClassObject,
    /// `regasm`: RegAsm.exe runs (ASM).
    Regasm,
    /// `import`: `reg import` of a `.reg` file.
    Import,
    /// `delete`: `reg delete KEY /f`.
    Delete,
    /// `show`: `reg query KEY /s`.
    Show,
    /// `sxs_lookup`: `SxsLookupClrGuid` in the client's activation context (SXS-4).
    SxsLookup,
}

impl StepAction {
    /// Every action, requests first, in the order the scenario schema lists them.
    pub const ALL: [StepAction; 11] = [
        StepAction::GetTypeFromClsid,
        StepAction::CreateInstance,
        StepAction::GetTypeFromProgid,
        StepAction::CoCreateInstance,
        StepAction::LoadRecord,
        StepAction::DllGetClassObject,
        StepAction::Regasm,
        StepAction::Import,
        StepAction::Delete,
        StepAction::Show,
        StepAction::SxsLookup,
    ];

    /// The key a scenario spells the action with (`create_instance`, `regasm`, ...); also its
    /// name in JSON output.
    pub fn keyword(self) -> &'static str {
        match self {
            StepAction::GetTypeFromClsid => "get_type_from_clsid",
            StepAction::CreateInstance => "create_instance",
            StepAction::GetTypeFromProgid => "get_type_from_progid",
            StepAction::CoCreateInstance => "co_create_instance",
            StepAction::LoadRecord => "load_record",
            StepAction::DllGetClassObject => "dll_get_class_object",
            StepAction::Regasm => "regasm",
            StepAction::Import => "import",
            StepAction::Delete => "delete",
            StepAction::Show => "show",
            StepAction::SxsLookup => "sxs_lookup",
        }
    }

    /// The action a key word names.
    pub fn from_keyword(word: &str) -> Option<StepAction> {
        StepAction::ALL.into_iter().find(|a| a.keyword() == word)
    }

    /// Whether the client makes a request (once per CLR), rather than the machine changing or
    /// being shown.
    pub fn is_request(self) -> bool {
        matches!(
            self,
            StepAction::GetTypeFromClsid
                | StepAction::CreateInstance
                | StepAction::GetTypeFromProgid
                | StepAction::CoCreateInstance
                | StepAction::LoadRecord
                | StepAction::DllGetClassObject
        )
    }

    /// The request actions.
    pub fn requests() -> impl Iterator<Item = StepAction> {
        StepAction::ALL.into_iter().filter(|a| a.is_request())
    }
}

impl std::fmt::Display for StepAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.keyword())
    }
}

impl Serialize for StepAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.keyword())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_unique_and_round_trip() {
        for a in StepAction::ALL {
            assert_eq!(StepAction::from_keyword(a.keyword()), Some(a));
        }
        assert_eq!(StepAction::from_keyword("create"), None);
        assert_eq!(StepAction::requests().count(), 6);
    }
}
