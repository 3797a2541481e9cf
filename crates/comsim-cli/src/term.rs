//! The width text output is laid out for: `--width`, else `COLUMNS`, else the terminal's width
//! when standard output is one, else [`DEFAULT_WIDTH`]. Only the last is used when nothing says
//! otherwise, so output to a file or a pipe is the same bytes everywhere.

use std::io::IsTerminal;

/// The width used when neither `--width`, `COLUMNS` nor a terminal gives one: two 70-column runs
/// side by side with their margin and separator.
pub const DEFAULT_WIDTH: usize = 147;

/// The narrowest width accepted; anything narrower is laid out for this.
pub const MIN_WIDTH: usize = 40;

/// The output width from the flag, the environment and standard output, in that order.
pub fn output_width(flag: Option<usize>) -> usize {
    let columns = std::env::var("COLUMNS").ok();
    let terminal = || {
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return None;
        }
        terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0))
    };
    resolve(flag, columns.as_deref(), terminal)
}

/// [`output_width`] without the process's environment, for tests.
fn resolve(
    flag: Option<usize>,
    columns: Option<&str>,
    terminal: impl FnOnce() -> Option<usize>,
) -> usize {
    let columns = || {
        columns
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
    };
    flag.or_else(columns)
        .or_else(|| terminal().filter(|&w| w > 0))
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_flag_wins_over_columns_and_the_terminal() {
        assert_eq!(resolve(Some(100), Some("80"), || Some(60)), 100);
    }

    #[test]
    fn width_columns_wins_over_the_terminal_and_bad_columns_are_ignored() {
        assert_eq!(resolve(None, Some(" 90 "), || Some(60)), 90);
        assert_eq!(resolve(None, Some("wide"), || Some(60)), 60);
        assert_eq!(resolve(None, Some("0"), || None), DEFAULT_WIDTH);
    }

    #[test]
    fn width_has_a_floor() {
        assert_eq!(resolve(Some(3), None, || None), MIN_WIDTH);
    }
}
