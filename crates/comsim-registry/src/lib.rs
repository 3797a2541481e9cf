//! comsim's registry: what a Windows process sees when it reads and writes the registry.
//!
//! The store is physical: four hives (HKLM, HKCU, HKU, HKCC), each a tree of keys with
//! case-insensitive, case-preserving names ([`RegName`]) and typed values ([`Value`]). Everything a
//! process does goes through [`Access`], which applies the rules of `docs/rules.md`:
//!
//! - REG-1: HKEY_CLASSES_ROOT is a merged view of `HKLM\Software\Classes` and
//!   `HKCU\Software\Classes` ([`MergeMode`]).
//! - REG-2: an elevated process's COM lookups ignore the per-user half ([`Access::user_classes`]).
//! - REG-3: WOW64 redirection for 32-bit processes on Windows 7 and later ([`View`]).
//! - REG-4: writes through HKCR go to HKLM unless the key already exists in HKCU, and HKLM needs
//!   administrator rights ([`Writer`]).
//!
//! Subkeys enumerate in the registry's order (upper-cased UTF-16 code units); values in the order
//! they were first written, as hives keep them. [`diff`] lists what changed between two registries;
//! a journal ([`Registry::begin_journal`]) lists what a run of writes changed without a copy.

mod children;
mod diff;
mod journal;
mod last_walk;
mod name;
mod path;
mod recent_opens;
mod tree;
mod value;
mod value_list;
mod view;
mod witness;

pub use diff::{Change, diff};
pub use name::{RegName, compare_names, names_equal, upcase};
pub use path::{Hive, KeyPath, PathError, Root};
pub use tree::{KeyId, Registry};
pub use value::{Value, ValueType, utf16_append, utf16z};
pub use value_list::{Values, ValuesIter};
pub use view::{
    Access, KeyCursor, KeyTarget, MergeMode, OpenIds, OpenKey, Physical, RegError, View, Writer,
};
pub use witness::user_hive_finds;

/// Longest key name, in UTF-16 code units. The documentation says 255, but Windows takes 256
/// (CPython's `test_winreg` creates one; Wine's registry server has the same limit); 257 fails.
pub const MAX_KEY_NAME_LEN: usize = 256;
/// Longest value name, in UTF-16 code units (Windows: 16,383).
pub const MAX_VALUE_NAME_LEN: usize = 16_383;
/// Deepest key nesting below a root (Windows: 512 levels).
pub const MAX_DEPTH: usize = 512;
