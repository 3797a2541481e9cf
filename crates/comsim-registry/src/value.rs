//! Registry values: a type number and raw bytes, exactly as the registry stores them.

use std::fmt;

use serde::Serialize;

/// A value's type number. Any 32-bit number is a valid type; the named ones are constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ValueType(pub u32);

impl ValueType {
    pub const NONE: ValueType = ValueType(0);
    pub const SZ: ValueType = ValueType(1);
    pub const EXPAND_SZ: ValueType = ValueType(2);
    pub const BINARY: ValueType = ValueType(3);
    pub const DWORD: ValueType = ValueType(4);
    pub const DWORD_BIG_ENDIAN: ValueType = ValueType(5);
    pub const LINK: ValueType = ValueType(6);
    pub const MULTI_SZ: ValueType = ValueType(7);
    pub const RESOURCE_LIST: ValueType = ValueType(8);
    pub const FULL_RESOURCE_DESCRIPTOR: ValueType = ValueType(9);
    pub const RESOURCE_REQUIREMENTS_LIST: ValueType = ValueType(10);
    pub const QWORD: ValueType = ValueType(11);

    /// The symbolic name `reg query` prints, or `None` for a number without one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "REG_NONE",
            1 => "REG_SZ",
            2 => "REG_EXPAND_SZ",
            3 => "REG_BINARY",
            4 => "REG_DWORD",
            5 => "REG_DWORD_BIG_ENDIAN",
            6 => "REG_LINK",
            7 => "REG_MULTI_SZ",
            8 => "REG_RESOURCE_LIST",
            9 => "REG_FULL_RESOURCE_DESCRIPTOR",
            10 => "REG_RESOURCE_REQUIREMENTS_LIST",
            11 => "REG_QWORD",
            _ => return None,
        })
    }

    /// Whether the data is UTF-16 text (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ).
    pub fn is_string(self) -> bool {
        matches!(self.0, 1 | 2 | 7)
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "REG_0x{:x}", self.0),
        }
    }
}

/// A registry value: its type and its bytes. Strings are stored as UTF-16LE with their NULs, as
/// `RegSetValueExW` stores them, so nothing is lost between reading and writing.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Value {
    pub ty: ValueType,
    pub data: Box<[u8]>,
}

impl Value {
    pub fn new(ty: ValueType, data: impl Into<Box<[u8]>>) -> Self {
        Value {
            ty,
            data: data.into(),
        }
    }

    /// REG_SZ holding `s` plus its terminating NUL.
    pub fn sz(s: &str) -> Self {
        Value::new(ValueType::SZ, utf16z(s))
    }

    /// REG_EXPAND_SZ holding `s` plus its terminating NUL.
    pub fn expand_sz(s: &str) -> Self {
        Value::new(ValueType::EXPAND_SZ, utf16z(s))
    }

    /// REG_MULTI_SZ: each string NUL-terminated, then one more NUL.
    pub fn multi_sz<S: AsRef<str>>(items: &[S]) -> Self {
        let mut data = Vec::new();
        for s in items {
            data.extend(utf16z(s.as_ref()));
        }
        data.extend([0, 0]);
        Value::new(ValueType::MULTI_SZ, data)
    }

    pub fn dword(v: u32) -> Self {
        Value::new(ValueType::DWORD, v.to_le_bytes())
    }

    pub fn qword(v: u64) -> Self {
        Value::new(ValueType::QWORD, v.to_le_bytes())
    }

    pub fn binary(bytes: &[u8]) -> Self {
        Value::new(ValueType::BINARY, bytes)
    }

    /// The data as UTF-16 code units (a trailing odd byte is dropped).
    pub fn utf16_units(&self) -> Vec<u16> {
        self.data
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect()
    }

    /// The string as a program reading a REG_SZ or REG_EXPAND_SZ with `RegQueryValueEx` and
    /// treating it as a C string sees it: up to the first NUL. `None` for other types.
    pub fn as_string(&self) -> Option<String> {
        if !matches!(self.ty, ValueType::SZ | ValueType::EXPAND_SZ) {
            return None;
        }
        Some(c_string(&self.data))
    }

    /// The strings of a REG_MULTI_SZ, up to the first empty one.
    pub fn as_multi_string(&self) -> Option<Vec<String>> {
        if self.ty != ValueType::MULTI_SZ {
            return None;
        }
        let units = self.utf16_units();
        Some(
            units
                .split(|&u| u == 0)
                .take_while(|s| !s.is_empty())
                .map(String::from_utf16_lossy)
                .collect(),
        )
    }

    /// A REG_DWORD (or REG_DWORD_BIG_ENDIAN) of exactly four bytes.
    pub fn as_dword(&self) -> Option<u32> {
        let bytes: [u8; 4] = (*self.data).try_into().ok()?;
        match self.ty {
            ValueType::DWORD => Some(u32::from_le_bytes(bytes)),
            ValueType::DWORD_BIG_ENDIAN => Some(u32::from_be_bytes(bytes)),
            _ => None,
        }
    }

    /// A REG_QWORD of exactly eight bytes.
    pub fn as_qword(&self) -> Option<u64> {
        let bytes: [u8; 8] = (*self.data).try_into().ok()?;
        (self.ty == ValueType::QWORD).then(|| u64::from_le_bytes(bytes))
    }

    /// The data as `reg query` prints it.
    pub fn display_data(&self) -> String {
        match self.ty {
            ValueType::SZ | ValueType::EXPAND_SZ => self.as_string().unwrap_or_default(),
            ValueType::MULTI_SZ => self.as_multi_string().unwrap_or_default().join("\\0"),
            ValueType::DWORD | ValueType::DWORD_BIG_ENDIAN if self.data.len() == 4 => {
                format!("0x{:x}", self.as_dword().unwrap_or_default())
            }
            ValueType::QWORD if self.data.len() == 8 => {
                format!("0x{:x}", self.as_qword().unwrap_or_default())
            }
            _ => self.data.iter().map(|b| format!("{b:02X}")).collect(),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.ty)?;
        match self.ty {
            ValueType::SZ | ValueType::EXPAND_SZ => {
                write!(f, "{:?}", self.as_string().unwrap_or_default())?
            }
            _ => {}
        }
        write!(f, " [")?;
        for (i, b) in self.data.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{b:02x}")?;
        }
        f.write_str("]")
    }
}

/// UTF-16LE bytes of `s` followed by a NUL character.
pub fn utf16z(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2 + 2);
    utf16_append(s, &mut out);
    out.extend([0, 0]);
    out
}

/// From this many bytes, ASCII text is widened by [`utf16_append`]'s vectorised loop.
const LONG_TEXT: usize = 256;

/// Appends the UTF-16LE bytes of `s` (no NUL) to `out`, as [`utf16z`] writes them.
pub fn utf16_append(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() * 2);
    let ascii = s.is_ascii();
    if ascii && s.len() >= LONG_TEXT {
        // Each ASCII byte is one unit: the byte, then a zero. The compiler turns this form into
        // vector instructions: 0.8 instructions a byte on an export's text, against 4 for the
        // loop below. It costs more than that loop on a short string (a value's data).
        out.extend(s.as_bytes().iter().flat_map(|&b| [b, 0]));
    } else if ascii {
        // Eight at a time, spreading the bytes of a word into the even bytes of a double word.
        let words = s.as_bytes().chunks_exact(8);
        let tail = words.remainder();
        for word in words {
            let w = u128::from(u64::from_le_bytes(word.try_into().unwrap_or_default()));
            let w = (w | (w << 32)) & 0x0000_0000_FFFF_FFFF_0000_0000_FFFF_FFFF;
            let w = (w | (w << 16)) & 0x0000_FFFF_0000_FFFF_0000_FFFF_0000_FFFF;
            let w = (w | (w << 8)) & 0x00FF_00FF_00FF_00FF_00FF_00FF_00FF_00FF;
            out.extend_from_slice(&w.to_le_bytes());
        }
        for &b in tail {
            out.extend([b, 0]);
        }
    } else {
        for u in s.encode_utf16() {
            out.extend(u.to_le_bytes());
        }
    }
}

/// The UTF-16LE `data` up to its first NUL unit (a trailing odd byte dropped), decoded as
/// `String::from_utf16_lossy` would. Most registry strings are ASCII: those are copied a byte per
/// unit without an intermediate buffer of units (`comsim audit` reads millions of them).
fn c_string(data: &[u8]) -> String {
    let mut ascii: Vec<u8> = Vec::with_capacity(data.len() / 2);
    // Four units at a time while all four are ASCII and none is NUL: every high byte zero, every
    // low byte below 0x80 (the mask), and then no unit zero (a 16-bit lane minus one borrows into
    // its top bit only from zero).
    let mut at = 0;
    for word in data.chunks_exact(8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(word);
        let x = u64::from_le_bytes(b);
        let nul = x.wrapping_sub(0x0001_0001_0001_0001) & !x & 0x8000_8000_8000_8000;
        if x & 0xFF80_FF80_FF80_FF80 != 0 || nul != 0 {
            break;
        }
        ascii.extend_from_slice(&[b[0], b[2], b[4], b[6]]);
        at += 8;
    }
    let mut rest = String::new();
    for (i, pair) in data[at..].chunks_exact(2).enumerate() {
        match (pair[0], pair[1]) {
            (0, 0) => break,
            (b, 0) if b.is_ascii() => ascii.push(b),
            _ => {
                // Not ASCII from here on: the units from this one are decoded as UTF-16.
                let units: Vec<u16> = data[at + i * 2..]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0)
                    .collect();
                rest = String::from_utf16_lossy(&units);
                break;
            }
        }
    }
    // Only ASCII bytes went into `ascii`.
    let mut text = String::from_utf8(ascii)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    text.push_str(&rest);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_other_text_encode_alike() {
        for s in [
            "",
            "a",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "C:\\Windows\\System32\\x.dll",
            "\u{7f}\u{1}x",
            // From LONG_TEXT bytes on, ASCII is widened by another loop.
            &"0123456789abcdef".repeat(16),
            &"0123456789abcdef".repeat(40)[..LONG_TEXT + 1],
            &format!("{}é", "a".repeat(LONG_TEXT)),
        ] {
            let want: Vec<u8> = s
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            assert_eq!(utf16z(s), want, "{s:?}");
            // Appending writes the same units after what is there, without the NUL.
            let mut appended = vec![7];
            utf16_append(s, &mut appended);
            assert_eq!(appended[1..], want[..want.len() - 2], "{s:?}");
            assert_eq!(appended[0], 7);
        }
    }

    #[test]
    fn strings_are_utf16le_with_terminator() {
        let v = Value::sz("Aé");
        assert_eq!(&*v.data, &[0x41, 0, 0xe9, 0, 0, 0]);
        assert_eq!(v.as_string().as_deref(), Some("Aé"));
    }

    #[test]
    fn a_string_value_reads_up_to_its_first_nul_as_utf16_lossy_decoding_does() {
        // What RegQueryValueEx's caller sees as a C string: the ASCII fast path must agree with
        // decoding every unit, for ASCII, non-ASCII from any place, lone surrogates, pairs, an
        // embedded NUL and a trailing odd byte.
        let cases: [&[u16]; 16] = [
            &[],
            &[0x41, 0x42],
            &[0x41, 0, 0x42],
            &[0xe9, 0x41],
            &[0x41, 0x7f, 0x80, 0x41],
            &[0x41, 0xd83d, 0xde00, 0x42, 0],
            &[0x41, 0xd800, 0x42],
            &[0xdc00, 0, 0x41],
            &[0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0],
            // Past the four units taken at a time: a NUL, a unit at 0x80 and one whose high
            // byte is set, in each place of the second group of four.
            &[0x41, 0x42, 0x43, 0x44, 0x45, 0, 0x47, 0x48, 0x49],
            &[0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0, 0x49],
            &[0x41, 0x42, 0x43, 0x44, 0x80, 0x46, 0x47, 0x48],
            &[0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x0141, 0x48, 0x49],
            &[0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x7f, 0x100],
            &[0x7f, 0x01, 0x7f, 0x01, 0x7f, 0x01, 0x7f, 0x01, 0],
            &[0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48],
        ];
        for units in cases {
            let mut data: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            let want = String::from_utf16_lossy(&units[..end]);
            for ty in [ValueType::SZ, ValueType::EXPAND_SZ] {
                let v = Value::new(ty, data.clone());
                assert_eq!(v.as_string().as_deref(), Some(want.as_str()), "{units:x?}");
            }
            data.push(0x41);
            let odd = Value::new(ValueType::SZ, data);
            assert_eq!(
                odd.as_string().as_deref(),
                Some(want.as_str()),
                "{units:x?} + odd byte"
            );
        }
        assert_eq!(Value::dword(1).as_string(), None);
    }

    #[test]
    fn multi_sz_round_trips_and_displays_like_reg_query() {
        let v = Value::multi_sz(&["a", "bc"]);
        assert_eq!(v.as_multi_string().unwrap(), ["a", "bc"]);
        assert_eq!(v.display_data(), "a\\0bc");
    }

    #[test]
    fn display_matches_reg_query_forms() {
        assert_eq!(Value::dword(31).display_data(), "0x1f");
        assert_eq!(Value::qword(0x1_0000_0000).display_data(), "0x100000000");
        assert_eq!(Value::binary(&[1, 0xab]).display_data(), "01AB");
        assert_eq!(ValueType(0x20).to_string(), "REG_0x20");
    }

    #[test]
    fn dword_of_the_wrong_size_is_not_a_dword() {
        assert_eq!(Value::new(ValueType::DWORD, vec![1, 2]).as_dword(), None);
    }
}
