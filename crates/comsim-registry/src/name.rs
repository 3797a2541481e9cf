//! Registry names: case-insensitive, case-preserving, ordered as Windows orders them.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A key or value name.
///
/// Windows compares registry names by upper-casing each UTF-16 code unit with a simple (one to one)
/// mapping, and hives keep subkey lists sorted by that upper-cased form. `RegName` does the same:
/// equality, hashing and ordering use the upper-cased UTF-16 code units, while the original spelling
/// is kept for display. Characters without a simple upper case (such as `ß`) are left as they are,
/// and so are those whose upper case does not lower-case back to them (`ı`, `µ`, `ſ`, `ς`, `ǅ`):
/// Windows' case table keeps only pairs that map both ways. Characters outside the BMP are compared
/// by their surrogate code units.
#[derive(Clone, Default)]
pub struct RegName(Box<str>);

impl RegName {
    pub fn new(name: impl Into<Box<str>>) -> Self {
        RegName(name.into())
    }

    /// The name as it was first written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the empty name, which stands for a key's default value.
    pub fn is_default(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in UTF-16 code units, the unit Windows' name-length limits are stated in.
    pub fn utf16_len(&self) -> usize {
        self.0.encode_utf16().count()
    }
}

/// Upper-cases one character the way the registry does: the simple mapping, BMP only, and only
/// where the upper case lower-cases back to `c` (so `ı`, `µ`, `ſ`, `ς` and `ǅ` stay as they are).
#[inline]
pub fn upcase(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    if (c as u32) >= 0x1_0000 {
        return c;
    }
    let lowers_to_c = |u: char| {
        let mut low = u.to_lowercase();
        low.next() == Some(c) && low.next().is_none()
    };
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if (u as u32) < 0x1_0000 && lowers_to_c(u) => u,
        (Some(_), Some(_)) => {
            // The full mapping expands (`ᾳ` to `ΑΙ`); the simple one, if there is one, is the
            // title-case letter a few code points on that lower-cases to `c` (`ᾼ`).
            (c as u32 + 1..=c as u32 + 16)
                .filter_map(char::from_u32)
                .find(|&u| lowers_to_c(u))
                .unwrap_or(c)
        }
        _ => c,
    }
}

/// Compares two names as the registry does: upper-cased UTF-16 code units.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    // Fast path: walk the common ASCII prefix, eight bytes and then one at a time. A byte below 0x80 is a whole character
    // and a whole UTF-16 unit, so once both sides reach a non-ASCII byte at the same offset, that
    // offset is a character boundary in both and the rest can be compared unit by unit.
    let (x, y) = (a.as_bytes(), b.as_bytes());
    // Eight bytes at a time while both words are ASCII: upper-cased and read with the first byte
    // the most significant, two such words order as their units do. Names in one list often share
    // a long prefix (`Contoso.Mail.Decoder…`), which the byte loop below walked a byte at a time.
    let mut start = 0;
    for (p, q) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        let (p, q) = (word_be(p), word_be(q));
        if (p | q) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        if p != q {
            let (p, q) = (upper8(p), upper8(q));
            if p != q {
                return p.cmp(&q);
            }
        }
        start += 8;
    }
    // Every byte before `start` is ASCII, so `start` is a character boundary in both names.
    for (i, (&p, &q)) in (start..).zip(x[start..].iter().zip(&y[start..])) {
        if p == q && p < 0x80 {
            continue;
        }
        if p >= 0x80 || q >= 0x80 {
            return compare_units(&a[i..], &b[i..]);
        }
        let (p, q) = (p.to_ascii_uppercase(), q.to_ascii_uppercase());
        if p != q {
            return p.cmp(&q);
        }
    }
    // One is a prefix of the other, and that prefix is ASCII: the longer name has more units.
    x.len().cmp(&y.len())
}

/// The first eight upper-cased UTF-16 units of a name, one byte each, as a number that orders as
/// the names do wherever two keys differ: a unit that is not ASCII (and so is 0x80 or more) and all
/// after it read as 0xFF, and a name shorter than eight units is padded with zeros, which no unit
/// is below. Equal names have equal keys; equal keys say nothing, and the names are compared.
/// Sorting a long list by these keys first reads each name once, not at every comparison.
pub(crate) fn name_key(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let mut key = [0u8; 8];
    let n = bytes.len().min(8);
    key[..n].copy_from_slice(&bytes[..n]);
    // The first byte is the most significant: the key orders as the bytes do.
    let word = u64::from_be_bytes(key);
    let high = word & 0x8080_8080_8080_8080;
    if high == 0 {
        return upper8(word);
    }
    // Bytes from the first that is not ASCII on read as 0xFF; the ones before are upper-cased.
    let rest = u64::MAX >> (high.leading_zeros() / 8 * 8);
    upper8(word & !rest) | rest
}

/// The first four units of [`name_key`], which order the same way: kept beside each subkey so
/// that most comparisons in a list do not read the names themselves.
pub(crate) fn name_tag(s: &str) -> u32 {
    (name_key(s) >> 32) as u32
}

/// [`compare_names`], deciding by the names' [`name_tag`]s where they differ.
#[inline]
pub(crate) fn compare_tagged(a: (u32, &str), b: (u32, &str)) -> Ordering {
    a.0.cmp(&b.0).then_with(|| compare_names(a.1, b.1))
}

fn compare_units(a: &str, b: &str) -> Ordering {
    let mut ua = units(a);
    let mut ub = units(b);
    loop {
        match (ua.next(), ub.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(&y),
            _ => {}
        }
    }
}

/// Whether two names are the same registry name.
pub fn names_equal(a: &str, b: &str) -> bool {
    // The same bytes up to ASCII case mean the same upper-cased units.
    if a.len() == b.len() && same_up_to_ascii_case(a.as_bytes(), b.as_bytes()) {
        return true;
    }
    // Two first characters that are both ASCII and differ beyond case are two different first
    // units: decided without reading the rest of either name.
    if let (Some(&p), Some(&q)) = (a.as_bytes().first(), b.as_bytes().first())
        && p < 0x80
        && q < 0x80
        && !p.eq_ignore_ascii_case(&q)
    {
        return false;
    }
    // Two ASCII names upper-case to ASCII: ASCII case-folding has decided. Anything else is
    // decided by the comparison, which stops at the first difference (upper-casing a non-ASCII
    // character may change its length in UTF-8, so unequal lengths do not decide).
    !(a.is_ascii() && b.is_ascii()) && compare_names(a, b) == Ordering::Equal
}

/// `a.eq_ignore_ascii_case(b)` for slices of one length, eight bytes at a time: most names
/// compared are the same bytes (a lookup's names against the keys it walks), and the
/// byte-by-byte comparison was a measurable part of `comsim audit`. Words that differ are
/// compared upper-cased (`upper8`), in the word too: an import in random key order compares the
/// path's first names (`SOFTWARE`, `Classes`) with the ones REG-3 singles out at every key line.
pub(crate) fn same_up_to_ascii_case(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let same = |x: u64, y: u64| x == y || upper8(x) == upper8(y);
    if a.len() < 8 {
        return same(short_word(a), short_word(b));
    }
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    // The last eight bytes, which overlap the last whole word when the length is not a multiple
    // of eight: comparing a byte twice does not change the answer.
    let last = a.len() - 8;
    wa.zip(wb).all(|(x, y)| same(word(x), word(y))) && same(word(&a[last..]), word(&b[last..]))
}

/// Eight bytes as a word, the first the least significant.
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

/// Eight bytes as a word, the first the most significant: words compare as their bytes do.
fn word_be(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(w)
}

/// Up to seven bytes as a word, padded with zeros.
fn short_word(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b))
}

/// A hash of the name as the registry compares it (its upper-cased UTF-16 units): names that are
/// equal have equal hashes. When every unit is below 0x100 (an ASCII name, the commonest kind, and
/// most Latin-1 ones), the units are taken eight at a time as bytes of one word (unit `k` of a
/// group in bits `8k..8k+8`); otherwise four at a time as 16-bit parts of one word. A last group
/// is padded with zeros, and the count of units comes last. Either way the hash is a function of
/// the upper-cased units alone, so equal names hash alike; an ASCII name is read eight bytes at
/// a time and upper-cased in the word, which gives the same words as its units would.
pub(crate) fn name_hash(s: &str) -> u64 {
    if !s.is_ascii() {
        return hash_units(units(s));
    }
    let bytes = s.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut h = 0;
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        h = mix(h, upper8(u64::from_le_bytes(word)));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        h = mix(h, upper8(u64::from_le_bytes(word)));
    }
    finish_hash(h, bytes.len())
}

/// [`name_hash`] of any name, from its upper-cased units: both packings are made as the units
/// come, and the count of units at or above 0x100 decides which one is the hash.
fn hash_units(units: impl Iterator<Item = u16>) -> u64 {
    let (mut narrow, mut narrow_word) = (0, 0u64);
    let (mut wide, mut wide_word) = (0, 0u64);
    let (mut n, mut all_narrow) = (0usize, true);
    for u in units {
        all_narrow &= u < 0x100;
        narrow_word |= u64::from(u & 0xFF) << (8 * (n % 8));
        wide_word |= u64::from(u) << (16 * (n % 4));
        n += 1;
        if n % 8 == 0 {
            narrow = mix(narrow, narrow_word);
            narrow_word = 0;
        }
        if n % 4 == 0 {
            wide = mix(wide, wide_word);
            wide_word = 0;
        }
    }
    if n % 8 != 0 {
        narrow = mix(narrow, narrow_word);
    }
    if n % 4 != 0 {
        wide = mix(wide, wide_word);
    }
    finish_hash(if all_narrow { narrow } else { wide }, n)
}

fn mix(h: u64, word: u64) -> u64 {
    const K: u64 = 0x517C_C1B7_2722_0A95;
    (h.rotate_left(23) ^ word).wrapping_mul(K)
}

fn finish_hash(h: u64, units: usize) -> u64 {
    let h = mix(h, units as u64);
    // Fold the high bits (where the multiplications carry) into the low ones, which pick a bucket.
    h ^ (h >> 29)
}

/// Eight bytes with `a`-`z` upper-cased and every other byte, ASCII or not, as it is
/// (`u8::to_ascii_uppercase` of each). On the low seven bits of each byte, adding 0x1F sets the
/// top bit from `a` (0x61) up and adding 0x05 from `{` (0x7B) up, with no carry into the next
/// byte; a byte of 0x80 or more is left alone.
fn upper8(x: u64) -> u64 {
    const TOP: u64 = 0x8080_8080_8080_8080;
    let low = x & !TOP;
    let lower = low.wrapping_add(0x1F1F_1F1F_1F1F_1F1F)
        & !low.wrapping_add(0x0505_0505_0505_0505)
        & !x
        & TOP;
    x ^ (lower >> 2)
}

/// A hasher for keys that are already [`name_hash`]es: it passes the hash through.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PassHasher(u64);

impl Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed with it; anything else is folded in, for completeness.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Maps from [`name_hash`]es.
pub(crate) type HashIndex<V> =
    std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<PassHasher>>;

fn units(s: &str) -> impl Iterator<Item = u16> + '_ {
    s.chars().flat_map(|c| {
        let mut buf = [0u16; 2];
        let n = upcase(c).encode_utf16(&mut buf).len();
        (0..n).map(move |i| buf[i])
    })
}

impl PartialEq for RegName {
    fn eq(&self, other: &Self) -> bool {
        names_equal(&self.0, &other.0)
    }
}
impl Eq for RegName {}

impl PartialOrd for RegName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RegName {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_names(&self.0, &other.0)
    }
}

impl Hash for RegName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for u in units(&self.0) {
            state.write_u16(u);
        }
        state.write_u8(0xff);
    }
}

impl fmt::Debug for RegName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for RegName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RegName {
    fn from(s: &str) -> Self {
        RegName::new(s)
    }
}

impl From<String> for RegName {
    fn from(s: String) -> Self {
        RegName::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_case_and_keeps_spelling() {
        let a = RegName::new("InprocServer32");
        let b = RegName::new("INPROCSERVER32");
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "InprocServer32");
    }

    #[test]
    fn order_is_by_upper_case_so_underscore_sorts_after_letters() {
        // Upper-cased, '_' (0x5F) sorts after 'B' (0x42); lower-casing would put it first.
        let mut names = [RegName::new("A_B"), RegName::new("ab"), RegName::new("{x}")];
        names.sort();
        let order: Vec<_> = names.iter().map(|n| n.as_str()).collect();
        assert_eq!(order, ["ab", "A_B", "{x}"]);
    }

    /// Names that meet at every case the comparisons distinguish: ASCII case, `_` against
    /// letters, non-ASCII letters with and without a simple upper case, surrogate pairs, NULs,
    /// prefixes of each other, and lengths either side of four (the tags' width).
    const SAMPLES: &[&str] = &[
        "",
        "a",
        "A",
        "ab",
        "AB",
        "a_b",
        "A_B",
        "ab\u{e9}",
        "AB\u{c9}",
        "abc",
        "abcd",
        "abcde",
        "ABCDF",
        "\u{e9}",
        "\u{c9}t\u{e9}",
        "x\u{1F600}",
        "x\u{FFFD}",
        "x\u{E000}",
        "{x}",
        "[",
        "z",
        "Z",
        "\u{df}",
        "SS",
        "\u{131}",
        "I",
        "a\0",
        "a\0b",
        "a\0\0",
        "\0",
        "\u{7f}",
        "a\u{7f}\u{80}",
        // Longer than a key's eight units: differences inside and past them.
        "abcdefgh",
        "ABCDEFGI",
        "abcdefghi",
        "abcdef\u{e9}",
        "ABCDEF_",
        "abcdefg\0",
        "{0000000A-0001}",
        "{0000000a-0002}",
        "{0000000A-0002}",
    ];

    #[test]
    fn the_ascii_fast_path_agrees_with_comparing_units() {
        let names = SAMPLES;
        for a in names {
            for b in names {
                assert_eq!(compare_names(a, b), compare_units(a, b), "{a:?} vs {b:?}");
                assert_eq!(
                    names_equal(a, b),
                    compare_units(a, b).is_eq(),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn names_compared_a_word_at_a_time_order_as_their_units_do() {
        // Two long names that share a prefix and differ in one place, at every offset of the
        // first three words: by case alone, by a letter, by `_` (after the letters once
        // upper-cased, before the lower-case ones as bytes), by a character outside ASCII (a
        // word that holds one is compared a unit at a time), or by ending there.
        let base = "Contoso.Mail.Decoder1596.Reader";
        let edits = [
            "c", "C", "x", "X", "_", "@", "`", "\u{e9}", "\u{c9}", "\u{131}", "\0", "",
        ];
        for at in 0..24 {
            for edit in edits {
                let b = format!("{}{edit}{}", &base[..at], &base[at + 1..]);
                let cut = &base[..at];
                for (x, y) in [(base, b.as_str()), (cut, b.as_str()), (base, cut)] {
                    assert_eq!(compare_names(x, y), compare_units(x, y), "{x:?} vs {y:?}");
                    assert_eq!(compare_names(y, x), compare_units(y, x), "{y:?} vs {x:?}");
                }
                // The name against its lower-case spelling, which it equals: every word is
                // upper-cased before the words decide.
                let lower = b.to_lowercase();
                assert_eq!(
                    compare_names(&b, &lower),
                    compare_units(&b, &lower),
                    "{b:?}"
                );
            }
        }
    }

    #[test]
    fn comparing_eight_bytes_at_a_time_agrees_with_eq_ignore_ascii_case() {
        // Names of 0..=21 bytes that differ from the base in one place: by ASCII case, by another
        // letter, by a byte that is not a letter but one case bit away (`@` and `` ` ``), or by
        // the top bit (a letter against a byte of UTF-8, which has no case: `a` 0x61 is not 0xC1
        // nor 0xE1). The second base holds UTF-8 (`é` is C3 A9, `É` C3 89: one case bit apart,
        // and not the same bytes up to ASCII case).
        for base in [
            &b"InprocServer32_ABCDEF"[..],
            "Caf\u{e9}_Serv\u{c9}r".as_bytes(),
        ] {
            comparisons_agree(base);
        }
        for x in [0u64, u64::MAX, 0x6180_7A7B_4060_C1E1, 0x8061_FF5A_5B00_7F41] {
            let bytes = x.to_le_bytes();
            let upper: Vec<u8> = bytes.iter().map(u8::to_ascii_uppercase).collect();
            assert_eq!(upper8(x).to_le_bytes().to_vec(), upper, "{x:#018X}");
        }
    }

    fn comparisons_agree(base: &[u8]) {
        for len in 0..=base.len() {
            let a = &base[..len];
            for at in 0..len {
                for swap in [0x20u8, 0x01, 0x40, 0x80, 0xA0] {
                    let mut b = a.to_vec();
                    b[at] ^= swap;
                    assert_eq!(
                        same_up_to_ascii_case(a, &b),
                        a.eq_ignore_ascii_case(&b),
                        "{a:?} vs {b:?}"
                    );
                }
            }
            assert!(same_up_to_ascii_case(a, a));
        }
    }

    #[test]
    fn tags_and_keys_order_as_the_names_do_wherever_they_differ() {
        let names = SAMPLES;
        for a in names {
            for b in names {
                let (ta, tb) = (name_tag(a), name_tag(b));
                let by_name = compare_names(a, b);
                if ta != tb {
                    assert_eq!(ta.cmp(&tb), by_name, "{a:?} vs {b:?}");
                }
                let (ka, kb) = (name_key(a), name_key(b));
                if ka != kb {
                    assert_eq!(ka.cmp(&kb), by_name, "keys: {a:?} vs {b:?}");
                }
                if by_name.is_eq() {
                    assert_eq!(ta, tb, "{a:?} vs {b:?}");
                    assert_eq!(ka, kb, "keys: {a:?} vs {b:?}");
                }
                assert_eq!(compare_tagged((ta, a), (tb, b)), by_name, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn the_word_at_a_time_key_is_the_key_byte_by_byte() {
        // The key as its definition reads: each of the first eight bytes upper-cased, all from
        // the first that is not ASCII read as 0xFF, zeros past the end.
        fn by_bytes(s: &str) -> u64 {
            let mut key = [0u8; 8];
            for (i, &b) in s.as_bytes().iter().take(8).enumerate() {
                if b >= 0x80 {
                    key[i..].fill(0xFF);
                    break;
                }
                key[i] = b.to_ascii_uppercase();
            }
            u64::from_be_bytes(key)
        }
        // The bytes around the ranges the word's arithmetic treats apart, and a character that
        // is not ASCII at every place.
        let ascii = ['\0', '@', 'A', 'Z', '[', '`', 'a', 'z', '{', '\u{7f}'];
        for len in 0..=10 {
            for k in 0..ascii.len() {
                let s: String = (0..len).map(|i| ascii[(k + i) % ascii.len()]).collect();
                assert_eq!(name_key(&s), by_bytes(&s), "{s:?}");
                for at in 0..len {
                    let mut t: Vec<char> = s.chars().collect();
                    t[at] = '\u{e9}';
                    let t: String = t.into_iter().collect();
                    assert_eq!(name_key(&t), by_bytes(&t), "{t:?}");
                }
            }
        }
    }

    /// What lets a lookup rule out names by their lengths (`ValueList::position`, `view::is`):
    /// no character outside ASCII upper-cases into ASCII, so a name equal to an ASCII name is
    /// ASCII, of the same length.
    #[test]
    fn no_character_outside_ascii_upper_cases_into_ascii() {
        for c in (0x80..=0xFFFF_u32)
            .chain([0x1_0400, 0x1_0428, 0x1_F600])
            .filter_map(char::from_u32)
        {
            assert!(
                !upcase(c).is_ascii(),
                "{c:?} upper-cases to {:?}",
                upcase(c)
            );
        }
        for (a, b) in [("Iı", "II"), ("ſ", "S"), ("\u{212A}", "K"), ("Ⅰ", "I")] {
            assert!(!names_equal(a, b), "{a} {b}");
            assert_ne!(a.len(), b.len());
        }
    }

    #[test]
    fn names_fold_only_where_the_upper_case_lowers_back() {
        // Windows' case table (which Wine's registry reproduces) keeps only two-way pairs.
        for (a, b) in [
            ("ı", "I"),
            ("µ", "Μ"),
            ("ſ", "S"),
            ("ς", "Σ"),
            ("ǅ", "Ǆ"),
            ("ϐ", "Β"),
        ] {
            assert_ne!(RegName::new(a), RegName::new(b), "{a} {b}");
        }
        for (a, b) in [
            ("ÿ", "Ÿ"),
            ("σ", "Σ"),
            ("ǆ", "Ǆ"),
            ("ᾀ", "ᾈ"),
            ("ᾳ", "ᾼ"),
            ("μ", "Μ"),
        ] {
            assert_eq!(RegName::new(a), RegName::new(b), "{a} {b}");
        }
        assert_eq!(upcase('ß'), 'ß');
        assert_eq!(upcase('ΐ'), 'ΐ');
    }

    #[test]
    fn equal_names_hash_alike() {
        for (a, b) in [
            ("InprocServer32", "INPROCSERVER32"),
            ("été", "ÉTÉ"),
            ("ÿ", "Ÿ"),
            ("", ""),
        ] {
            assert!(names_equal(a, b));
            assert_eq!(name_hash(a), name_hash(b), "{a} {b}");
        }
        assert_ne!(name_hash("a"), name_hash("b"));
    }

    #[test]
    fn the_word_at_a_time_hash_of_an_ascii_name_is_the_hash_of_its_units() {
        // Every ASCII byte, in names of every length around the eight-unit words: the fast path
        // must give what the unit path gives, or an ASCII name would miss its non-ASCII equal.
        let all: String = (0u8..0x80).map(char::from).collect();
        for len in 0..=25 {
            for start in 0..all.len() - len {
                let s = &all[start..start + len];
                assert_eq!(name_hash(s), hash_units(units(s)), "{s:?}");
            }
        }
        // Case does not matter, the length does (a zero-padded word is not a NUL unit).
        assert_eq!(name_hash("abcdefghiJ"), name_hash("ABCDEFGHIj"));
        assert_ne!(name_hash("A"), name_hash("A\0"));
        assert_ne!(name_hash(""), name_hash("\0"));
    }

    #[test]
    fn sharp_s_has_no_simple_upper_case_and_stays_distinct() {
        assert_ne!(RegName::new("Maße"), RegName::new("MASSE"));
        assert_eq!(RegName::new("straße"), RegName::new("STRAßE"));
        assert_eq!(RegName::new("été"), RegName::new("ÉTÉ"));
    }
}
