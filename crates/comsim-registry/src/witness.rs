//! How many keys of `HKEY_CURRENT_USER` this thread has found, counted by [`Registry::find`].
//!
//! An elevated process differs from a process that is not elevated in what it reads of the
//! registry only by the per-user half of HKCR (REG-2), and every read of that half goes through
//! `find` on `HKEY_CURRENT_USER`. A caller that runs the same work twice, once without elevation,
//! may read this counter before and after the first run: when it has not moved, no key of the
//! user's hive was found, so hiding that hive (the elevated run) changes none of the registry's
//! answers. `comsim audit` uses it to share a class's result between the two elevations of a
//! configuration (`docs/architecture.md`, "Audit").
//!
//! A lookup that finds nothing is not counted: hiding the hive cannot change a miss. The count
//! is per thread, so work on other threads does not disturb it.
//!
//! [`Registry::find`]: crate::Registry::find

use std::cell::Cell;

thread_local! {
    static USER_FINDS: Cell<u64> = const { Cell::new(0) };
}

/// Keys of `HKEY_CURRENT_USER` found on this thread so far (wrapping).
pub fn user_hive_finds() -> u64 {
    USER_FINDS.with(Cell::get)
}

pub(crate) fn count_user_find() {
    count_user_finds(1);
}

/// Counts `n` keys found at once (an open answered from `recent_opens.rs` counts what it found).
pub(crate) fn count_user_finds(n: u64) {
    USER_FINDS.with(|c| c.set(c.get().wrapping_add(n)));
}
