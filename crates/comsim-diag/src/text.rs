//! Decoding the bytes of an XML file (a manifest, an application configuration file) to text,
//! with a located error for bytes that are not text.

use crate::{Code, Diagnostic, LineIndex};

/// How a parser's Windows counterpart decides that a file is UTF-16, and what it does with a
/// lone trailing byte. UTF-8 (with or without its byte order mark) is the fallback in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlEncoding {
    /// UTF-16 without a byte order mark is recognised by its first characters, `<?` (XML 1.0,
    /// appendix F); otherwise only a byte order mark (FF FE or FE FF) says UTF-16.
    pub utf16_by_declaration: bool,
    /// A byte left over after the last UTF-16 code unit is dropped; otherwise it is an error.
    pub ignore_odd_byte: bool,
}

/// Decodes `bytes` of the file `file`. Errors carry `code`, the line and column where the
/// undecodable bytes begin (counted in the text decoded before them), and that line.
pub fn decode_xml(
    file: &str,
    bytes: &[u8],
    encoding: XmlEncoding,
    code: Code,
) -> Result<String, Diagnostic> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE][..]) {
        return decode_utf16(file, rest, false, encoding, code);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF][..]) {
        return decode_utf16(file, rest, true, encoding, code);
    }
    if encoding.utf16_by_declaration {
        if bytes.starts_with(&[b'<', 0, b'?', 0]) {
            return decode_utf16(file, bytes, false, encoding, code);
        }
        if bytes.starts_with(&[0, b'<', 0, b'?']) {
            return decode_utf16(file, bytes, true, encoding, code);
        }
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => {
            let good = std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default();
            Err(encoding_error(
                file,
                good,
                code,
                "the file is not valid UTF-8 here (and has no UTF-16 byte order mark)",
            ))
        }
    }
}

fn decode_utf16(
    file: &str,
    bytes: &[u8],
    big_endian: bool,
    encoding: XmlEncoding,
    code: Code,
) -> Result<String, Diagnostic> {
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(encoding_error(
                    file,
                    &text,
                    code,
                    "the UTF-16 text holds an unpaired surrogate here",
                ));
            }
        }
    }
    if bytes.len() % 2 == 1 && !encoding.ignore_odd_byte {
        return Err(encoding_error(
            file,
            &text,
            code,
            "the UTF-16 text ends in the middle of a character (an odd number of bytes)",
        ));
    }
    Ok(text)
}

/// A limit of the XML reader that a document crossed, as the parsers report it in the user's
/// terms (docs/reliability.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlLimit {
    /// More namespace declarations in scope (on the element and the elements around it) than
    /// the reader keeps: the limit.
    NamespaceBindings(usize),
    /// Elements nested deeper than the reader counts: the limit.
    Depth(usize),
}

/// The reader's limits on namespace declarations and depth, which it reports without a place.
pub fn xml_limit(e: &quick_xml::Error) -> Option<XmlLimit> {
    use quick_xml::name::NamespaceError;
    match e {
        quick_xml::Error::Namespace(NamespaceError::TooManyBindings(n)) => {
            Some(XmlLimit::NamespaceBindings(*n))
        }
        quick_xml::Error::Namespace(NamespaceError::TooDeeplyNested(n)) => {
            Some(XmlLimit::Depth(*n))
        }
        _ => None,
    }
}

/// `limit` crossed by the element whose start tag ends before byte `tag_end` of `text`: located
/// at that element's `<`, with a message saying what was crossed.
pub fn xml_limit_error(
    file: &str,
    text: &str,
    tag_end: usize,
    limit: XmlLimit,
    code: Code,
) -> Diagnostic {
    let end = tag_end.min(text.len());
    let mut end_at = end;
    while !text.is_char_boundary(end_at) {
        end_at -= 1;
    }
    // A start tag holds no `<` (XML forbids it in attribute values).
    let at = text[..end_at].rfind('<').unwrap_or(0);
    let message = match limit {
        XmlLimit::NamespaceBindings(n) => format!(
            "more than {n} namespace prefixes in scope on this element (each `xmlns` or `xmlns:…` attribute on it or on an element around it declares one); comsim reads at most {n}"
        ),
        XmlLimit::Depth(n) => {
            format!("elements nest more than {n} levels deep here; comsim reads at most {n} levels")
        }
    };
    LineIndex::new(text).locate(file, Diagnostic::error(code, message), at)
}

/// An encoding error located at the end of the text decoded before it.
fn encoding_error(file: &str, good: &str, code: Code, message: &str) -> Diagnostic {
    LineIndex::new(good).locate(file, Diagnostic::error(code, message), good.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CodeInfo;

    const X: Code = Code::new(&CodeInfo::new("x", "a test code"));
    const CFG_ENCODING: Code = Code::new(&CodeInfo::new("cfg-encoding", "a test code"));
    const M_ENC: Code = Code::new(&CodeInfo::new("m-enc", "a test code"));

    const STRICT: XmlEncoding = XmlEncoding {
        utf16_by_declaration: true,
        ignore_odd_byte: false,
    };
    const BOM_ONLY: XmlEncoding = XmlEncoding {
        utf16_by_declaration: false,
        ignore_odd_byte: true,
    };

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn byte_order_marks_say_utf16_or_utf8() {
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16le("<a/>"));
        assert_eq!(decode_xml("f", &le, BOM_ONLY, X).unwrap(), "<a/>");
        let mut be = vec![0xFE, 0xFF];
        be.extend("<a/>".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode_xml("f", &be, BOM_ONLY, X).unwrap(), "<a/>");
        assert_eq!(
            decode_xml("f", b"\xEF\xBB\xBF<a/>", BOM_ONLY, X).unwrap(),
            "<a/>"
        );
    }

    #[test]
    fn utf16_without_bom_only_by_declaration() {
        let bytes = utf16le("<?xml version=\"1.0\"?><a/>");
        assert_eq!(
            decode_xml("f", &bytes, STRICT, X).unwrap(),
            "<?xml version=\"1.0\"?><a/>"
        );
        let as_utf8 = decode_xml("f", &bytes, BOM_ONLY, X).unwrap();
        assert!(as_utf8.starts_with("<\0?\0"), "read as UTF-8, with NULs");
    }

    #[test]
    fn an_odd_byte_is_an_error_or_dropped() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(utf16le("<a/>"));
        bytes.push(b'x');
        let e = decode_xml("f", &bytes, STRICT, CFG_ENCODING).unwrap_err();
        assert_eq!(e.code, CFG_ENCODING);
        assert_eq!(
            e.location.as_ref().map(|l| (l.line, l.column)),
            Some((1, 5))
        );
        assert_eq!(decode_xml("f", &bytes, BOM_ONLY, X).unwrap(), "<a/>");
    }

    #[test]
    fn bad_bytes_are_located_on_their_line() {
        let e = decode_xml("m.manifest", b"<a>\n  <b \xFF/>", STRICT, M_ENC).unwrap_err();
        let loc = e.location.clone().unwrap();
        assert_eq!((&*loc.file, loc.line, loc.column), ("m.manifest", 2, 6));
        let mut surrogate = vec![0xFF, 0xFE];
        surrogate.extend(utf16le("<a>\n"));
        surrogate.extend([0x00, 0xD8, b'<', 0]);
        let e = decode_xml("f", &surrogate, BOM_ONLY, X).unwrap_err();
        assert_eq!(e.location.map(|l| (l.line, l.column)), Some((2, 1)));
    }
}
