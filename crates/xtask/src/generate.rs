//! Generated `.reg` cases: random but deterministic files that mix every data type, odd names,
//! continuations, comments, deletions, both encodings and some malformed lines. Case `i` depends
//! only on the seed and `i`, so its name (`gen-007`) always means the same file.
//!
//! Everything a case writes is below `HKEY_CURRENT_USER\Software\comsim-conformance\<name>`.
//! The generator leaves out a few inputs on purpose (curated cases cover all but the second):
//! - where Wine's `reg import` departs from regedit (short root names, deleting a root),
//! - inputs on which Wine reads uninitialised memory (a string type whose hex list gives no byte
//!   but is not empty, such as `hex(2):;c`, or an odd number of bytes in a UTF-16 file; REG_DWORD
//!   data of 1 to 3 bytes, which Wine's export pads),
//! - REG_SZ data that Wine's `reg export` cannot write back (embedded NULs),
//! - NUL characters.

use crate::rng::Rng;

/// The seed the deviation list is written for.
pub const DEFAULT_SEED: u64 = 0xC0_5E11_2024;
pub const DEFAULT_COUNT: usize = 300;

pub fn case_name(index: usize) -> String {
    format!("gen-{index:03}")
}

/// The bytes of generated case `index`.
pub fn generate(seed: u64, index: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed ^ (index as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    rng.next_u64();
    let unicode = rng.chance(50);
    let nl = *rng.pick(&["\r\n", "\r\n", "\r\n", "\r\n", "\n", "\n", "\r", "mixed"]);
    let mut g = Gen {
        rng,
        unicode,
        nl,
        out: String::new(),
        base: String::new(),
        keys: vec![String::new()],
        names: Vec::new(),
    };
    g.base = g.base_path(&case_name(index));
    g.file();
    if g.unicode {
        let mut bytes = vec![0xFF, 0xFE];
        for u in g.out.encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        bytes
    } else {
        g.out
            .chars()
            .map(|c| to_cp1252(c).unwrap_or(b'?'))
            .collect()
    }
}

/// The Windows-1252 byte for `c`. 0x81, 0x8D, 0x8F, 0x90 and 0x9D stand for the C1 controls of
/// the same number, as Windows' own conversion maps them.
pub fn to_cp1252(c: char) -> Option<u8> {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}',
        '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}',
        '\u{178}',
    ];
    let n = c as u32;
    if n < 0x80 || (0xA0..0x100).contains(&n) {
        return Some(n as u8);
    }
    HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8)
}

const KEY_NAMES: &[&str] = &[
    "Sub",
    "sub",
    "InprocServer32",
    "{0D2B6E5A-0000-4A5B-9C3D-1234567890AB}",
    "1.0.0.0",
    "with space",
    "trailing ",
    "x]y",
    "[br]",
    "semi;colon",
    "quote\"d",
    "eq=ual",
    "at@",
    "dot.ted",
    "tab\there",
    "hash#",
    "-dash",
    "%PATH%",
];
const KEY_NAMES_1252: &[&str] = &[
    "café",
    "CAFÉ",
    "Ünïcödé",
    "€uro",
    "naïve",
    "ÿes",
    "Ÿes",
    "µs",
    "Œuvre",
    "‰",
];
const KEY_NAMES_UNICODE: &[&str] = &[
    "日本語",
    "Ωmega",
    "ωMEGA",
    "😀",
    "Ελληνικά",
    "ǅx",
    "Straße",
    "ﬁle",
    "İstanbul",
    "ıi",
];
const VALUE_NAMES: &[&str] = &[
    "",
    "name",
    "Name",
    "with space",
    "quote\"inside",
    "back\\slash",
    "[bracket]",
    "semi;colon",
    "eq=ual",
    "trailing ",
    "  lead",
    "tab\there",
    "new\nline",
    "cr\rret",
    "@",
    "-",
    "ThreadingModel",
    "CodeBase",
    "#hash",
];
const VALUE_NAMES_1252: &[&str] = &["café", "CAFÉ", "€", "Ÿ", "ÿ", "µ"];
const VALUE_NAMES_UNICODE: &[&str] = &["日本", "😀", "Ωμέγα", "ΩΜΈΓΑ", "ı", "I"];
const TEXT_ASCII: &str = "abcXYZ019 .,;:#[]=@%\\\"-_/()'!";
const TEXT_1252: &str = "éüÉÜ€ÿŸµ«»©";
const TEXT_UNICODE: &str = "日本Ωω😀ǅß";
const COMMENTS: &[&str] = &[
    "; comment",
    ";",
    "; [bracket] ]",
    ";\"quoted\"",
    "# hash comment",
    "  ; indented",
];
const TYPES: &[u32] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    0xa,
    0xb,
    0xc,
    0x10,
    0x100,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
];

struct Gen {
    rng: Rng,
    unicode: bool,
    nl: &'static str,
    out: String,
    /// `HKEY_CURRENT_USER\Software\comsim-conformance\<case>`, spelled with random case.
    base: String,
    /// Keys written so far, relative to `base` (`""` is the case key).
    keys: Vec<String>,
    /// Value names written so far (unescaped).
    names: Vec<String>,
}

impl Gen {
    fn newline(&mut self) {
        let nl = if self.nl == "mixed" {
            *self.rng.pick(&["\r\n", "\n", "\r"])
        } else {
            self.nl
        };
        self.out.push_str(nl);
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.newline();
    }

    /// Flips the case of some letters (only to letters the file's encoding can hold).
    fn flip_case(&mut self, s: &str) -> String {
        if !self.rng.chance(40) {
            return s.to_owned();
        }
        let mut out = String::new();
        for c in s.chars() {
            let flipped: Vec<char> = if c.is_uppercase() {
                c.to_lowercase().collect()
            } else {
                c.to_uppercase().collect()
            };
            let ok = flipped.len() == 1 && (self.unicode || to_cp1252(flipped[0]).is_some());
            if ok && self.rng.chance(50) {
                out.push(flipped[0]);
            } else {
                out.push(c);
            }
        }
        out
    }

    fn base_path(&mut self, case: &str) -> String {
        let root = self.flip_case("HKEY_CURRENT_USER");
        let sw = self.flip_case("Software");
        let conf = self.flip_case("comsim-conformance");
        let case = self.flip_case(case);
        format!("{root}\\{sw}\\{conf}\\{case}")
    }

    fn key_name(&mut self) -> String {
        let pool = match self.rng.below(if self.unicode { 3 } else { 2 }) {
            0 => KEY_NAMES,
            1 => KEY_NAMES_1252,
            _ => KEY_NAMES_UNICODE,
        };
        let n = self.rng.pick(pool).to_string();
        self.flip_case(&n)
    }

    fn value_name(&mut self) -> String {
        if !self.names.is_empty() && self.rng.chance(30) {
            let n = self.rng.pick(&self.names).clone();
            return self.flip_case(&n);
        }
        let pool = match self.rng.below(if self.unicode { 4 } else { 3 }) {
            0 | 1 => VALUE_NAMES,
            2 => VALUE_NAMES_1252,
            _ => VALUE_NAMES_UNICODE,
        };
        let n = self.rng.pick(pool).to_string();
        self.names.push(n.clone());
        n
    }

    fn text(&mut self, max: usize) -> String {
        let mut alphabet: Vec<char> = TEXT_ASCII.chars().collect();
        alphabet.extend(TEXT_1252.chars());
        if self.unicode {
            alphabet.extend(TEXT_UNICODE.chars());
        }
        let len = self.rng.range(0, max);
        (0..len).map(|_| *self.rng.pick(&alphabet)).collect()
    }

    /// A quoted string as regedit reads it: `\\`, `\"`, `\n`, `\r`, and now and then an escape
    /// regedit does not know (it keeps the character).
    fn quoted(&mut self, s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if c.is_alphabetic() && !"nr".contains(c) && self.rng.chance(3) => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn indent(&mut self) {
        if self.rng.chance(10) {
            let s = *self.rng.pick(&[" ", "  ", "\t", " \t "]);
            self.out.push_str(s);
        }
    }

    fn file(&mut self) {
        if self.rng.chance(5) {
            let s = *self.rng.pick(&[" ", "\t", "  "]);
            self.out.push_str(s);
        }
        let v5 = "Windows Registry Editor Version 5.00";
        let header = match (self.unicode, self.rng.chance(20)) {
            (true, false) | (false, true) => v5,
            _ => "REGEDIT4",
        };
        self.line(header);
        self.newline();
        if self.rng.chance(5) {
            // A value before any key goes nowhere.
            self.value_line();
        }
        let base = self.base.clone();
        self.line(&format!("[{base}]"));
        let statements = self.rng.range(6, 40);
        for _ in 0..statements {
            self.indent();
            match self.rng.weighted(&[14, 56, 6, 4, 8, 12]) {
                0 => self.key_line(),
                1 => self.value_line(),
                2 => self.delete_value(),
                3 => self.delete_key(),
                4 => {
                    let c = if self.rng.chance(50) {
                        self.rng.pick(COMMENTS).to_string()
                    } else {
                        String::new()
                    };
                    self.line(&c);
                }
                _ => self.malformed(),
            }
        }
        if self.rng.chance(10) {
            // No line break after the last line.
            while self.out.ends_with(['\r', '\n']) {
                self.out.pop();
            }
        }
    }

    fn key_line(&mut self) {
        let rel = if self.rng.chance(40) {
            let k = self.rng.pick(&self.keys).clone();
            self.flip_case(&k)
        } else {
            let parent = self.rng.pick(&self.keys).clone();
            if parent.matches('\\').count() >= 3 {
                parent
            } else {
                let name = self.key_name();
                let rel = if parent.is_empty() {
                    name
                } else {
                    format!("{parent}\\{name}")
                };
                self.keys.push(rel.clone());
                rel
            }
        };
        let base = self.base.clone();
        let path = if rel.is_empty() {
            base
        } else {
            format!("{base}\\{rel}")
        };
        let tail = match self.rng.below(10) {
            0 => " ; comment",
            1 => "  ",
            2 => " trailing text",
            _ => "",
        };
        self.line(&format!("[{path}]{tail}"));
    }

    fn delete_key(&mut self) {
        let rel = self.rng.pick(&self.keys).clone();
        let base = self.base.clone();
        let path = if rel.is_empty() {
            base
        } else {
            format!("{base}\\{}", self.flip_case(&rel))
        };
        let lower = rel.to_lowercase();
        self.keys.retain(|k| {
            let k = k.to_lowercase();
            k.is_empty() || !(k == lower || k.starts_with(&format!("{lower}\\")))
        });
        self.line(&format!("[-{path}]"));
    }

    fn name_part(&mut self) -> String {
        let name = self.value_name();
        if name.is_empty() && self.rng.chance(70) {
            return "@".to_owned();
        }
        self.quoted(&name)
    }

    fn equals(&mut self) -> &'static str {
        const EQUALS: &[&str] = &["=", "=", "=", "=", " = ", "\t=", "=  "];
        self.rng.pick::<&str>(EQUALS)
    }

    fn delete_value(&mut self) {
        let name = self.name_part();
        let eq = self.equals();
        let tail = *self.rng.pick(&["", "", " ", " ;comment", "\t"]);
        self.line(&format!("{name}{eq}-{tail}"));
    }

    fn value_line(&mut self) {
        let name = self.name_part();
        let eq = self.equals();
        let head = format!("{name}{eq}");
        self.out.push_str(&head);
        match self.rng.weighted(&[25, 15, 15, 20, 15, 5]) {
            0 => {
                let t = if self.rng.chance(20) {
                    "%SystemRoot%\\system32\\x.dll".to_owned()
                } else {
                    self.text(12)
                };
                let q = self.quoted(&t);
                self.out.push_str(&q);
                self.tail();
                self.newline();
            }
            1 => self.dword(),
            2 => {
                let len = self.rng.range(1, 40);
                let bytes: Vec<u8> = (0..len).map(|_| self.rng.next_u64() as u8).collect();
                self.out.push_str("hex:");
                self.hex_list(head.chars().count() + 4, &bytes);
            }
            3 => {
                let ty = *self.rng.pick(&[1, 2, 2, 7, 7]);
                let bytes = self.string_bytes(ty);
                let tag = self.type_tag(ty);
                self.out.push_str(&tag);
                self.hex_list(head.chars().count() + tag.len(), &bytes);
            }
            4 => {
                let ty = *self.rng.pick(TYPES);
                let bytes: Vec<u8> = match ty {
                    1 | 2 | 7 => self.string_bytes(ty),
                    4 => (0..4).map(|_| self.rng.next_u64() as u8).collect(),
                    0xb => (0..8).map(|_| self.rng.next_u64() as u8).collect(),
                    _ => {
                        let len = self.rng.range(1, 24);
                        (0..len).map(|_| self.rng.next_u64() as u8).collect()
                    }
                };
                let tag = self.type_tag(ty);
                self.out.push_str(&tag);
                self.hex_list(head.chars().count() + tag.len(), &bytes);
            }
            _ => {
                // An empty list: zero-length data of any type but REG_SZ (Wine's export cannot
                // write an empty REG_SZ back).
                let ty = loop {
                    let t = *self.rng.pick(TYPES);
                    if t != 1 {
                        break t;
                    }
                };
                let tag = if ty == 3 && self.rng.chance(50) {
                    "hex:".to_owned()
                } else {
                    self.type_tag(ty)
                };
                self.out.push_str(&tag);
                if self.rng.chance(20) {
                    self.out.push_str("  ");
                }
                self.newline();
            }
        }
    }

    /// After a complete value: nothing, blanks, or a comment.
    fn tail(&mut self) {
        let t = *self
            .rng
            .pick(&["", "", "", " ", "\t", " ;comment", ";", "  ; [x]"]);
        self.out.push_str(t);
    }

    fn dword(&mut self) {
        let v = self.rng.next_u64() as u32;
        let digits = self.rng.range(1, 8);
        let mut s = format!("{v:08x}")[8 - digits..].to_owned();
        if self.rng.chance(30) {
            s = s.to_uppercase();
        }
        if self.rng.chance(10) {
            s = format!("{:0>8}", s);
        }
        let lead = *self.rng.pick(&["", "", "", " ", "\t"]);
        self.out.push_str(&format!("dword:{lead}{s}"));
        self.tail();
        self.newline();
    }

    fn type_tag(&mut self, ty: u32) -> String {
        let mut n = format!("{ty:x}");
        if self.rng.chance(20) {
            n = n.to_uppercase();
        }
        if self.rng.chance(10) {
            n = format!("00{n}");
        }
        format!("hex({n}):")
    }

    /// The data of a string type: code-page text in an ANSI file, UTF-16LE in a Unicode one.
    /// Sometimes without the final NUL (regedit adds one); REG_MULTI_SZ sometimes with one NUL.
    fn string_bytes(&mut self, ty: u32) -> Vec<u8> {
        let items = if ty == 7 { self.rng.range(1, 3) } else { 1 };
        let mut units: Vec<u16> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        for i in 0..items {
            let mut t = self.text(8);
            if ty == 1 && t.is_empty() {
                t.push('x');
            }
            if i > 0 {
                units.push(0);
                bytes.push(0);
            }
            units.extend(t.encode_utf16());
            bytes.extend(t.chars().map(|c| to_cp1252(c).unwrap_or(b'?')));
        }
        let nuls = match (ty, self.rng.below(4)) {
            (7, 0) => 0,
            (7, 1) => 1,
            (7, _) => 2,
            (_, 0 | 1) => 0,
            _ => 1,
        };
        units.extend(std::iter::repeat_n(0, nuls));
        bytes.extend(std::iter::repeat_n(0, nuls));
        if units.is_empty() {
            units.push(0);
            bytes.push(0);
        }
        if self.unicode {
            units.iter().flat_map(|u| u.to_le_bytes()).collect()
        } else {
            bytes
        }
    }

    /// Writes a comma-separated byte list with the usual and unusual spellings C's `wcstoul`
    /// accepts, sometimes continued over lines with `\`, then the line break.
    fn hex_list(&mut self, mut col: usize, bytes: &[u8]) {
        let upper = self.rng.chance(20);
        let wrap = self.rng.chance(30);
        if wrap && self.rng.chance(10) {
            // Continue right after the type tag.
            self.continuation();
        }
        for (i, &b) in bytes.iter().enumerate() {
            let spelled = match self.rng.below(100) {
                0..=84 => format!("{b:02x}"),
                85..=92 => format!("{b:x}"),
                93 => format!("0x{b:x}"),
                94 => format!("0X{b:02X}"),
                95 => format!("00{b:02x}"),
                96 => format!(" {b:02x}"),
                97 => format!("+{b:x}"),
                _ => format!("\t{b:02x}"),
            };
            let spelled = if upper {
                spelled.replace("0x", "0X").to_uppercase()
            } else {
                spelled
            };
            self.out.push_str(&spelled);
            col += spelled.len();
            if i + 1 == bytes.len() {
                break;
            }
            self.out.push(',');
            col += 1;
            if self.rng.chance(3) {
                self.out.push(' ');
            }
            if wrap && (col > 76 || self.rng.chance(8)) {
                self.continuation();
                col = 2;
            }
        }
        match self.rng.below(12) {
            0 => self.out.push(','),
            1 => self.out.push_str(" ;comment"),
            2 => self.out.push_str("  "),
            _ => {}
        }
        self.newline();
    }

    fn continuation(&mut self) {
        self.out.push('\\');
        let after = *self.rng.pick(&["", "", "", " ", " ; more below", "\t;"]);
        self.out.push_str(after);
        self.newline();
        if self.rng.chance(15) {
            let between = *self.rng.pick(&["", "; between", "   ", "\t; tab"]);
            self.line(between);
        }
        let lead = *self.rng.pick(&["  ", "  ", "  ", "", "\t", "    "]);
        self.out.push_str(lead);
    }

    fn malformed(&mut self) {
        let n = self.name_part();
        let base = self.base.clone();
        let nl = if self.nl == "mixed" { "\r\n" } else { self.nl };
        let line = match self.rng.below(26) {
            0 => format!("{n}=hex:0g,01"),
            1 => format!("{n}=dword:1234567890"),
            2 => format!("{n}=dword:0x10"),
            3 => format!("{n}=\"unterminated"),
            4 => format!("{n} \"missing equals\""),
            5 => format!("[ {base}\\space after bracket]"),
            6 => format!("[{base}\\unclosed"),
            7 => format!("{n}=str:\"x\""),
            8 => format!("{n}=hex(0x2):41,00"),
            9 => format!("{n}=HEX:01"),
            10 => format!("{n}=- junk"),
            11 => "junk line without quotes".to_owned(),
            12 => format!("{n}=\"x\" trailing"),
            13 => format!("{n}=\"a\\0b\""),
            14 => format!("{n}=hex:20\\{nl}  21,22"),
            15 => format!("{n}=hex:01,\\{nl}\"consumed\"=\"by the continuation\""),
            16 => format!("{n}=hex:01 ,02"),
            17 => format!("{n}=hex:100,01"),
            18 => format!("{n}=dword:"),
            19 => format!("{n}=hex(2"),
            20 => "@".to_owned(),
            21 => format!("{n}=hex:01,\\ junk"),
            22 => format!("[-{base}\\never closed"),
            23 => format!("{n}=dword:12 34"),
            24 => format!("{n}=hex(1g):00"),
            _ => format!("{n}=#\"hash\""),
        };
        self.line(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use comsim_regfile::Encoding;

    #[test]
    fn cp1252_matches_the_importers_decoding() {
        for b in 0..=255u8 {
            let c = Encoding::Windows1252.decode_bytes(&[b]);
            let c = c.chars().next().unwrap();
            assert_eq!(to_cp1252(c), Some(b), "byte {b:#x} decodes to {c:?}");
        }
        assert_eq!(to_cp1252('日'), None);
    }

    #[test]
    fn cases_are_deterministic_and_stay_in_their_scratch_key() {
        for i in 0..40 {
            let a = generate(DEFAULT_SEED, i);
            assert_eq!(a, generate(DEFAULT_SEED, i));
            let mut reg = comsim_registry::Registry::new();
            let opts = comsim_regfile::ImportOptions {
                mode: comsim_regfile::Mode::Lenient,
                ..Default::default()
            };
            comsim_regfile::import_bytes(&mut reg, "g.reg", &a, &opts).unwrap();
            let name = case_name(i);
            let stray = crate::conformance::stray_keys(&reg, &name);
            assert!(
                stray.is_empty(),
                "{name} writes outside its scratch key: {stray:?}"
            );
        }
        assert_ne!(generate(DEFAULT_SEED, 0), generate(DEFAULT_SEED, 1));
    }
}
