//! How long work says how far it has got, without knowing who listens.
//!
//! A library that may run for seconds (a `.reg` import, a hive load, a diagnosis over many
//! configurations) takes a `&mut dyn Progress` and calls [`Progress::begin`] once per piece of
//! work, then [`Progress::advance`] now and then. It never draws anything: the command line decides
//! whether a bar is shown (only on a terminal, `comsim-cli`'s `progress` module). Calls are cheap
//! for [`Silent`], so libraries report at a coarse grain (every few hundred KiB, every item)
//! without measuring anything.

/// What a piece of work counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Bytes of an input file.
    Bytes,
    /// Items: configurations replayed, classes audited.
    Items,
}

/// A listener to long work.
pub trait Progress {
    /// A piece of work starts: `what` names it for the user (a file's name, `configurations`).
    fn begin(&mut self, what: &str, unit: Work) {
        let _ = (what, unit);
    }

    /// `done` of `total` units of the current piece are finished; `done` never goes back within
    /// a piece and never passes `total`.
    fn advance(&mut self, done: u64, total: u64);

    /// The current piece is finished (whether it succeeded or not).
    fn end(&mut self) {}
}

/// A closure listens to [`Progress::advance`] only: `&mut |done, total| …`.
impl<F: FnMut(u64, u64)> Progress for F {
    fn advance(&mut self, done: u64, total: u64) {
        self(done, total);
    }
}

/// No one listens: what the plain entry points (`import_file`, `load_file`, `diagnose`) pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn advance(&mut self, _done: u64, _total: u64) {}
}

/// Runs `work` as one piece of work named `what`: [`Progress::begin`], the work (which reports
/// to the listener it is given), then [`Progress::end`], whether the work succeeded or not.
pub fn piece<T>(
    progress: &mut dyn Progress,
    what: &str,
    unit: Work,
    work: impl FnOnce(&mut dyn Progress) -> T,
) -> T {
    progress.begin(what, unit);
    let result = work(&mut *progress);
    progress.end();
    result
}

/// `done` scaled from `of` units to `to` units (`done * to / of`, rounded down, never over `to`):
/// the place in a file's bytes that a place in its decoded text, or in its cells, corresponds to.
pub fn scale(done: u64, of: u64, to: u64) -> u64 {
    if of == 0 {
        return to;
    }
    let scaled = u128::from(done.min(of)) * u128::from(to) / u128::from(of);
    u64::try_from(scaled).unwrap_or(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scaling keeps 0 at 0 and the end at the end, and never passes the end.
    #[test]
    fn scale_maps_the_ends_onto_the_ends() {
        assert_eq!(scale(0, 10, 1000), 0);
        assert_eq!(scale(5, 10, 1000), 500);
        assert_eq!(scale(10, 10, 1000), 1000);
        assert_eq!(scale(11, 10, 1000), 1000);
        assert_eq!(scale(3, 0, 7), 7);
        assert_eq!(scale(u64::MAX, u64::MAX, u64::MAX), u64::MAX);
    }
}
