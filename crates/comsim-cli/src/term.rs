//! The width text output is laid out for: `--width`, else `COLUMNS`, else the terminal's width
//! when standard output is one, else [`DEFAULT_WIDTH`]. Only the last is used when nothing says
//! otherwise, so output to a file or a pipe is the same bytes everywhere.

use std::borrow::Cow;
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

/// Word-wraps `text` into lines of at most `first` characters, then `rest`; a word longer than
/// a line is cut. Line breaks in the text become spaces; runs of spaces are kept inside a line.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    wrap_words(text, first, rest, true)
}

/// [`wrap`]; with `whole` false, every word goes through the character-at-a-time loop, as it
/// did before words that fit were appended whole (the tests compare the two).
fn wrap_words(text: &str, first: usize, rest: usize, whole: bool) -> Vec<String> {
    // Every step of a replay's trace is wrapped: the text is copied only when it has a line
    // break, and a word that fits is appended whole, not a character at a time.
    let flat: Cow<'_, str> = if text.contains(['\n', '\r']) {
        Cow::Owned(text.replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(text)
    };
    if flat.chars().count() <= first {
        return vec![flat.into_owned()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0;
    let width = |n: usize| if n == 0 { first } else { rest }.max(1);
    for word in flat.split(' ') {
        if word.is_empty() {
            // A second space between two words is kept (quoted text stays as it was); spaces at
            // the start of a wrapped line are not.
            if cur_len > 0 && cur_len < width(lines.len()) {
                cur.push(' ');
                cur_len += 1;
            }
            continue;
        }
        // A word that fits on this line, or on the next one: what the loop below does for it
        // in its first one or two turns.
        let n = word.chars().count();
        let gap = usize::from(cur_len > 0);
        if whole && cur_len + gap + n <= width(lines.len()) {
            if gap == 1 {
                cur.push(' ');
            }
            cur.push_str(word);
            cur_len += gap + n;
            continue;
        }
        if whole && cur_len > 0 && n <= width(lines.len() + 1) {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(word);
            cur_len = n;
            continue;
        }
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let w = width(lines.len());
            let gap = usize::from(cur_len > 0);
            if cur_len + gap + word.len() <= w {
                if gap == 1 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                cur_len += gap + word.len();
                break;
            }
            if cur_len > 0 && word.len() <= width(lines.len() + 1) {
                lines.push(std::mem::take(&mut cur));
                cur_len = 0;
                continue;
            }
            // The word does not fit on a line of its own: cut it, after a path separator when
            // one falls in the second half of the room.
            let room = w.saturating_sub(cur_len + gap);
            if room == 0 {
                lines.push(std::mem::take(&mut cur));
                cur_len = 0;
                continue;
            }
            let room = word[..room]
                .iter()
                .rposition(|c| matches!(c, '\\' | '/'))
                .map(|i| i + 1)
                .filter(|cut| *cut > room / 2)
                .unwrap_or(room);
            if gap == 1 {
                cur.push(' ');
            }
            cur.extend(word[..room].iter());
            lines.push(std::mem::take(&mut cur));
            cur_len = 0;
            word.drain(..room);
            if word.is_empty() {
                break;
            }
        }
    }
    if cur_len > 0 || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word that fits appended whole wraps as the character-at-a-time loop wraps it: words of
    /// every length, long paths, characters outside ASCII, runs of spaces and line breaks, at
    /// every pair of widths.
    #[test]
    fn wrapping_whole_words_is_wrapping_them_a_character_at_a_time() {
        let words = [
            "a",
            "two",
            "\u{e9}t\u{e9}",
            "C:\\Program Files\\Contoso\\Contoso.Mail.dll",
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{0000}",
            "",
            "x\r\ny",
            "0x80040154",
            "\u{1F600}\u{1F600}\u{1F600}",
        ];
        let mut rng = comsim_rng::Xorshift64::new(0x5EED_3A99);
        for _ in 0..400 {
            let n = 1 + rng.below(9);
            let text: Vec<&str> = (0..n).map(|_| words[rng.below(words.len())]).collect();
            let text = text.join(if rng.below(4) == 0 { "  " } else { " " });
            for first in 1..24 {
                for rest in [1, 2, 5, 13, 40] {
                    assert_eq!(
                        wrap(&text, first, rest),
                        wrap_words(&text, first, rest, false),
                        "{text:?} {first} {rest}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrap_keeps_short_text_and_cuts_long_words() {
        assert_eq!(wrap("short text", 20, 20), vec!["short text"]);
        assert_eq!(
            wrap("one two three four", 9, 9),
            vec!["one two", "three", "four"]
        );
        assert_eq!(wrap("abcdefghij", 4, 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("ab cdefghij", 4, 3), vec!["ab c", "def", "ghi", "j"]);
        for l in wrap(
            r"HKCR\CLSID\{3F1A2B4C-5D6E-4F70-8192-A3B4C5D6E7F8}\InprocServer32 and more words",
            20,
            18,
        )
        .iter()
        .skip(1)
        {
            assert!(l.chars().count() <= 18, "{l}");
        }
        assert_eq!(wrap("", 10, 10), vec![""]);
        assert_eq!(wrap("a\nb", 10, 10), vec!["a b"]);
    }

    /// Quoted text (regasm's "Corporation.  All rights reserved.") keeps its spaces when wrapped.
    #[test]
    fn wrap_keeps_runs_of_spaces_inside_a_line() {
        assert_eq!(
            wrap("Corporation.  All rights", 18, 18),
            vec!["Corporation.  All", "rights"]
        );
        assert_eq!(wrap("ab  cd", 3, 3), vec!["ab ", "cd"]);
    }

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
