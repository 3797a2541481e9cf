//! REG-1..REG-3: how a process sees the registry.
//!
//! The merged HKEY_CLASSES_ROOT (REG-1, switch `hkcr-merge`), per-user classes hidden from COM
//! when elevated and, switchably, from the CLR (REG-2, `clr-user-classes`), and the WOW64 view
//! of the process (REG-3). The model of the views is `comsim-registry`; this module picks the
//! [`Access`] each reader uses. REG-4 (where writes land) is `comsim-registry`'s and regasm's.

use comsim_registry::{Access, MergeMode};

use crate::machine::Bitness;
use crate::session::Session;
use crate::switches::{ClrUserClasses, HkcrMerge, SwitchValue};
use crate::trace::{Rule, Trace};

impl Session<'_> {
    /// REG-1..REG-3: how this process sees HKEY_CLASSES_ROOT.
    pub(crate) fn start_registry(&self, trace: &mut Trace) {
        let view = self.view();
        let clsid = match (self.m.os, view) {
            (Bitness::B32, _) => "32-bit Windows has one view: HKCR\\CLSID is Software\\Classes\\CLSID".to_owned(),
            (_, comsim_registry::View::Bits32) => format!(
                "a {} process under WOW64 reads the 32-bit view: HKCR\\CLSID is Software\\Classes\\Wow6432Node\\CLSID; ProgIDs are shared",
                self.p.bitness
            ),
            _ => "a 64-bit process reads the native view: HKCR\\CLSID is Software\\Classes\\CLSID; the 32-bit view (Wow6432Node) is read only where a rule asks for the other view".to_owned(),
        };
        trace.push(Rule::Reg3, clsid).code("process-view");
        trace
            .push(
                Rule::Reg1,
                format_args!(
                    "HKCR merges HKLM\\Software\\Classes and HKCU\\Software\\Classes ({})",
                    self.sw.hkcr_merge().setting()
                ),
            )
            .code("hkcr-merge");
        if self.p.elevated {
            let setting = self.sw.clr_user_classes();
            trace
                .push(
                    Rule::Reg2,
                    format_args!(
                        "elevated: COM ignores per-user classes; the CLR's own registry read {}",
                        match setting {
                            ClrUserClasses::Read => "still sees them",
                            ClrUserClasses::Ignore => "ignores them too",
                        }
                    ),
                )
                .code("elevated-user-classes")
                .inferred(setting.setting());
        }
    }

    /// The access of the CLR's own registry reads (SHIM-REG; REG-2's CLR part is switchable).
    pub(crate) fn clr_access(&self) -> Access {
        let ignore = self.p.elevated && self.sw.clr_user_classes() == ClrUserClasses::Ignore;
        Access {
            view: self.view(),
            merge: self.merge(),
            user_classes: !ignore,
        }
    }

    /// The access of COM's registry reads: elevated processes do not see per-user classes (REG-2).
    pub(crate) fn com_access(&self) -> Access {
        Access {
            view: self.view(),
            merge: self.merge(),
            user_classes: !self.p.elevated,
        }
    }

    /// The process's registry view (REG-3): on 32-bit Windows there is no WOW64 and every process
    /// reads the one, native view.
    pub(crate) fn view(&self) -> comsim_registry::View {
        if self.m.os == Bitness::B32 {
            comsim_registry::View::Bits64
        } else {
            self.p.bitness.view()
        }
    }

    /// REG-1: how HKCR merges HKCU's classes over HKLM's (switch `hkcr-merge`).
    pub(crate) fn merge(&self) -> MergeMode {
        match self.sw.hkcr_merge() {
            HkcrMerge::Strict => MergeMode::Strict,
            HkcrMerge::Union => MergeMode::Union,
        }
    }

    /// Whether this process may read the other registry view for LocalServer32 (SHIM-REG-1).
    pub(crate) fn other_view(&self) -> bool {
        self.p.bitness == Bitness::B64 || self.m.os == Bitness::B64
    }
}
