//! Manifest XML to [`Manifest`], on quick-xml's namespace-aware reader.
//!
//! Every error names the file, line and column. Elements of the `urn:schemas-microsoft-com:asm.v1`
//! namespace (default or under any prefix) are the manifest; `asm.v2`/`asm.v3` elements
//! (`trustInfo`, `application`, ...) and elements of other namespaces are skipped, as Windows does;
//! an unknown `asm.v1` element, or an attribute in no namespace that its element does not take, is
//! an error, as it is on Windows.

use comsim_diag::{
    Code, Diagnostic, LineIndex, Location, XmlEncoding, decode_xml, xml_limit, xml_limit_error,
};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::codes;
use crate::model::{
    AssemblyIdentity, ClrClass, ClrSurrogate, ComClass, Dependency, File, Guid, Manifest,
    ThreadingModel, Version,
};

pub const ASM_V1: &str = "urn:schemas-microsoft-com:asm.v1";
pub const ASM_V2: &str = "urn:schemas-microsoft-com:asm.v2";
pub const ASM_V3: &str = "urn:schemas-microsoft-com:asm.v3";

/// How manifests are decoded: UTF-16 (either byte order) only when a byte order mark says so, a
/// lone trailing byte dropped (as Wine's `parse_manifest` reads them); otherwise UTF-8.
pub const MANIFEST_ENCODING: XmlEncoding = XmlEncoding {
    utf16_by_declaration: false,
    ignore_odd_byte: true,
};

/// Decodes manifest bytes ([`MANIFEST_ENCODING`]); bad bytes are `manifest-encoding`, located.
pub fn decode(file: &str, bytes: &[u8]) -> Result<String, Diagnostic> {
    decode_xml(file, bytes, MANIFEST_ENCODING, codes::MANIFEST_ENCODING)
}

/// Parses a manifest file's bytes.
pub fn parse_manifest(file: &str, bytes: &[u8]) -> Result<Manifest, Diagnostic> {
    let text = decode(file, bytes)?;
    parse_manifest_str(file, &text)
}

/// Where in the document an element's children go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Assembly,
    Dependency { optional: bool },
    DependentAssembly { optional: bool, seen_identity: bool },
    File(usize),
    ClrClass(usize),
    ComClass(usize, usize),
    ProgId,
    Skip,
}

struct Parser<'a> {
    file: &'a str,
    text: &'a str,
    index: LineIndex<'a>,
    manifest: Manifest,
    progid_text: String,
}

/// Parses manifest text (already decoded).
pub fn parse_manifest_str(file: &str, text: &str) -> Result<Manifest, Diagnostic> {
    let mut p = Parser {
        file,
        text,
        index: LineIndex::new(text),
        manifest: Manifest {
            source: file.to_owned(),
            identity: None,
            dependencies: Vec::new(),
            files: Vec::new(),
            clr_classes: Vec::new(),
            clr_surrogates: Vec::new(),
        },
        progid_text: String::new(),
    };
    p.run()?;
    Ok(p.manifest)
}

/// One attribute: its local name, unescaped value and byte offset in the text.
struct Attr {
    name: String,
    value: String,
    offset: usize,
}

impl<'a> Parser<'a> {
    fn offset_of(&self, slice: &(impl AsRef<[u8]> + ?Sized)) -> usize {
        self.index.offset_of(slice)
    }

    fn loc(&self, offset: usize) -> Location {
        self.index.location(self.file, offset)
    }

    fn error(&self, code: Code, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.index
            .locate(self.file, Diagnostic::error(code, message), offset)
    }

    fn attrs(&self, e: &BytesStart<'_>) -> Result<Vec<Attr>, Diagnostic> {
        let mut out = Vec::new();
        // A set, so that an element with 100,000 attributes is read in linear time.
        let mut names = std::collections::HashSet::new();
        for a in e.attributes() {
            let a = a.map_err(|err| {
                // quick-xml counts attribute positions from the start of the tag's name.
                let tag = self.offset_of(e.name().as_ref());
                match err {
                    AttrError::Duplicated(at, _) => {
                        let key: String = self.text[tag + at..]
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '=')
                            .collect();
                        self.error(
                            codes::MANIFEST_XML,
                            tag + at,
                            format!("the attribute `{key}` appears twice"),
                        )
                    }
                    AttrError::ExpectedEq(at)
                    | AttrError::ExpectedValue(at)
                    | AttrError::UnquotedValue(at)
                    | AttrError::ExpectedQuote(at, _) => self.error(
                        codes::MANIFEST_XML,
                        tag + at,
                        format!("malformed attribute: {err}"),
                    ),
                }
            })?;
            let raw = a.key.as_ref();
            let offset = self.offset_of(raw);
            let key: &str = raw;
            // Namespace declarations and prefixed (foreign) attributes are not manifest data.
            if key == "xmlns" || key.contains(':') {
                continue;
            }
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| {
                    self.error(
                        codes::MANIFEST_XML,
                        offset,
                        format!("bad value of `{key}`: {err}"),
                    )
                })?
                .into_owned();
            if !names.insert(key.to_owned()) {
                return Err(self.error(
                    codes::MANIFEST_XML,
                    offset,
                    format!("the attribute `{key}` appears twice"),
                ));
            }
            out.push(Attr {
                name: key.to_owned(),
                value,
                offset,
            });
        }
        Ok(out)
    }

    /// SXS-3: an attribute in no namespace that the element does not take makes the manifest
    /// invalid, as on Windows. Namespace declarations and prefixed attributes were left out by
    /// [`Parser::attrs`]; elements without a table are not checked.
    fn known_attributes(&self, element: &str, attrs: &[Attr]) -> Result<(), Diagnostic> {
        let Some(allowed) = allowed_attributes(element) else {
            return Ok(());
        };
        match attrs.iter().find(|a| !allowed.contains(&a.name.as_str())) {
            None => Ok(()),
            Some(a) => {
                let takes = if allowed.is_empty() {
                    "no attributes".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Err(self.error(
                    codes::MANIFEST_UNKNOWN_ATTRIBUTE,
                    a.offset,
                    format!(
                        "<{element}> has no attribute `{}`; Windows rejects a manifest with an unknown attribute. <{element}> takes {takes}",
                        a.name
                    ),
                ))
            }
        }
    }

    fn required<'v>(
        &self,
        attrs: &'v [Attr],
        name: &str,
        element: &str,
        at: usize,
    ) -> Result<&'v Attr, Diagnostic> {
        attrs.iter().find(|a| a.name == name).ok_or_else(|| {
            self.error(
                codes::MANIFEST_MISSING_ATTRIBUTE,
                at,
                format!("<{element}> needs the attribute `{name}`"),
            )
        })
    }

    fn optional<'v>(attrs: &'v [Attr], name: &str) -> Option<&'v Attr> {
        attrs.iter().find(|a| a.name == name)
    }

    fn guid(&self, a: &Attr, element: &str) -> Result<Guid, Diagnostic> {
        Guid::parse(&a.value).ok_or_else(|| {
            self.error(
                codes::MANIFEST_BAD_GUID,
                a.offset,
                format!("`{}` of <{element}> is not a GUID: expected {{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}}, found `{}`", a.name, a.value),
            )
        })
    }

    fn identity(&self, attrs: &[Attr], at: usize) -> Result<AssemblyIdentity, Diagnostic> {
        let name = self.required(attrs, "name", "assemblyIdentity", at)?;
        if name.value.is_empty() {
            return Err(self.error(
                codes::MANIFEST_MISSING_ATTRIBUTE,
                name.offset,
                "<assemblyIdentity> has an empty `name`",
            ));
        }
        let version = match Self::optional(attrs, "version") {
            Some(v) => Some(Version::parse(&v.value).ok_or_else(|| {
                self.error(
                    codes::MANIFEST_BAD_VERSION,
                    v.offset,
                    format!(
                        "`version` must be four numbers 0..65535 separated by dots, found `{}`",
                        v.value
                    ),
                )
            })?),
            None => None,
        };
        let get = |n: &str| Self::optional(attrs, n).map(|a| a.value.clone());
        Ok(AssemblyIdentity {
            name: name.value.clone(),
            version,
            type_: get("type"),
            processor_architecture: get("processorArchitecture"),
            public_key_token: get("publicKeyToken"),
            language: get("language"),
            location: self.loc(at),
        })
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        let mut reader = NsReader::from_str(self.text);
        reader.config_mut().expand_empty_elements = true;
        reader.config_mut().check_end_names = true;
        let mut stack: Vec<Ctx> = Vec::new();
        let mut root_done = false;
        loop {
            let (ns, event) = match reader.read_resolved_event() {
                Ok((ns, ev)) => (namespace(&ns), ev),
                Err(e) => {
                    if let Some(limit) = xml_limit(&e) {
                        let end = reader.buffer_position() as usize;
                        return Err(xml_limit_error(
                            self.file,
                            self.text,
                            end,
                            limit,
                            codes::MANIFEST_XML,
                        ));
                    }
                    let at = reader.error_position() as usize;
                    return Err(self.error(
                        codes::MANIFEST_XML,
                        at.min(self.text.len()),
                        format!("malformed XML: {e}"),
                    ));
                }
            };
            match event {
                Event::Start(e) => {
                    let at = self.offset_of(e.name().as_ref()).saturating_sub(1);
                    let local = e.local_name().as_ref().to_owned();
                    if root_done {
                        return Err(self.error(
                            codes::MANIFEST_XML,
                            at,
                            "nothing may follow </assembly>",
                        ));
                    }
                    let ctx = match stack.last_mut() {
                        None => self.root(&e, ns.as_deref(), &local, at)?,
                        Some(parent) => self.child(parent, &e, ns.as_deref(), &local, at)?,
                    };
                    stack.push(ctx);
                }
                Event::End(_) => {
                    if let Some(Ctx::ProgId) = stack.pop() {
                        let owner = stack.last().copied();
                        let text = std::mem::take(&mut self.progid_text).trim().to_owned();
                        match owner {
                            Some(Ctx::ClrClass(i)) => {
                                self.manifest.clr_classes[i].progids.push(text)
                            }
                            Some(Ctx::ComClass(f, c)) => {
                                self.manifest.files[f].com_classes[c].progids.push(text)
                            }
                            _ => {}
                        }
                    }
                    if stack.is_empty() {
                        root_done = true;
                    }
                }
                Event::Text(t) => {
                    if stack.last() == Some(&Ctx::ProgId) {
                        self.progid_text.push_str(&t);
                    } else if (stack.is_empty() || root_done) && !t.trim().is_empty() {
                        let at = self.offset_of(t.as_bytes());
                        return Err(self.error(
                            codes::MANIFEST_XML,
                            at,
                            "text outside the <assembly> element",
                        ));
                    }
                }
                Event::GeneralRef(r) if stack.last() == Some(&Ctx::ProgId) => {
                    let name: &str = r.as_ref();
                    let c = entity(name).ok_or_else(|| {
                        self.error(
                            codes::MANIFEST_XML,
                            self.offset_of(name.as_bytes()).saturating_sub(1),
                            format!("unknown entity `&{name};`"),
                        )
                    })?;
                    self.progid_text.push(c);
                }
                Event::Eof => {
                    if !root_done {
                        let at = self.text.len();
                        let what = if stack.is_empty() {
                            "the manifest has no <assembly> element"
                        } else {
                            "the file ends before </assembly>"
                        };
                        return Err(self.error(codes::MANIFEST_XML, at, what));
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
    }

    fn root(
        &mut self,
        e: &BytesStart<'_>,
        ns: Option<&str>,
        local: &str,
        at: usize,
    ) -> Result<Ctx, Diagnostic> {
        if local != "assembly" || !matches!(ns, Some(ASM_V1) | Some(ASM_V3)) {
            return Err(self.error(
                codes::MANIFEST_ROOT,
                at,
                format!("expected the root element <assembly xmlns=\"{ASM_V1}\" manifestVersion=\"1.0\">"),
            ));
        }
        let attrs = self.attrs(e)?;
        self.known_attributes("assembly", &attrs)?;
        let mv = self.required(&attrs, "manifestVersion", "assembly", at)?;
        if mv.value != "1.0" {
            return Err(self.error(
                codes::MANIFEST_VERSION,
                mv.offset,
                format!("`manifestVersion` must be \"1.0\", found \"{}\"", mv.value),
            ));
        }
        Ok(Ctx::Assembly)
    }

    /// `<clrClass>` (SXS-3): a managed class of the assembly.
    fn clr_class(&mut self, attrs: &[Attr], at: usize) -> Result<Ctx, Diagnostic> {
        let clsid = self.guid(self.required(attrs, "clsid", "clrClass", at)?, "clrClass")?;
        let name = self.required(attrs, "name", "clrClass", at)?.value.clone();
        let tlbid = Self::optional(attrs, "tlbid")
            .map(|a| self.guid(a, "clrClass"))
            .transpose()?;
        let get = |n: &str| Self::optional(attrs, n).map(|a| a.value.clone());
        self.manifest.clr_classes.push(ClrClass {
            name,
            clsid,
            progids: get("progid").into_iter().collect(),
            tlbid,
            threading_model: ThreadingModel::from_attr(get("threadingModel").as_deref()),
            runtime_version: get("runtimeVersion"),
            location: self.loc(at),
        });
        Ok(Ctx::ClrClass(self.manifest.clr_classes.len() - 1))
    }

    /// `<clrSurrogate>` (SXS-3, SXS-8): a managed type the CLR finds through the context.
    fn clr_surrogate(&mut self, attrs: &[Attr], at: usize) -> Result<Ctx, Diagnostic> {
        let clsid = self.guid(
            self.required(attrs, "clsid", "clrSurrogate", at)?,
            "clrSurrogate",
        )?;
        let name = self
            .required(attrs, "name", "clrSurrogate", at)?
            .value
            .clone();
        let runtime_version = Self::optional(attrs, "runtimeVersion").map(|a| a.value.clone());
        self.manifest.clr_surrogates.push(ClrSurrogate {
            name,
            clsid,
            runtime_version,
            location: self.loc(at),
        });
        Ok(Ctx::Skip)
    }

    /// `<comClass>` of the `<file>` at index `f` (COM-1).
    fn com_class(&mut self, f: usize, attrs: &[Attr], at: usize) -> Result<Ctx, Diagnostic> {
        let clsid = self.guid(self.required(attrs, "clsid", "comClass", at)?, "comClass")?;
        let tlbid = Self::optional(attrs, "tlbid")
            .map(|a| self.guid(a, "comClass"))
            .transpose()?;
        let get = |n: &str| Self::optional(attrs, n).map(|a| a.value.clone());
        let class = ComClass {
            clsid,
            progids: get("progid").into_iter().collect(),
            tlbid,
            threading_model: ThreadingModel::from_attr(get("threadingModel").as_deref()),
            location: self.loc(at),
        };
        self.manifest.files[f].com_classes.push(class);
        Ok(Ctx::ComClass(
            f,
            self.manifest.files[f].com_classes.len() - 1,
        ))
    }

    fn child(
        &mut self,
        parent: &mut Ctx,
        e: &BytesStart<'_>,
        ns: Option<&str>,
        local: &str,
        at: usize,
    ) -> Result<Ctx, Diagnostic> {
        if matches!(*parent, Ctx::Skip | Ctx::ProgId) || ns != Some(ASM_V1) {
            return Ok(Ctx::Skip);
        }
        let attrs = self.attrs(e)?;
        self.known_attributes(local, &attrs)?;
        let ctx = match (*parent, local) {
            (Ctx::Assembly, "assemblyIdentity") => {
                if self.manifest.identity.is_some() {
                    return Err(self.error(
                        codes::MANIFEST_DUPLICATE,
                        at,
                        "a manifest has one <assemblyIdentity>",
                    ));
                }
                self.manifest.identity = Some(self.identity(&attrs, at)?);
                Ctx::Skip
            }
            (Ctx::Assembly, "dependency") => {
                let optional = Self::optional(&attrs, "optional")
                    .is_some_and(|a| a.value.eq_ignore_ascii_case("yes"));
                Ctx::Dependency { optional }
            }
            (Ctx::Assembly, "file") => {
                let name = self.required(&attrs, "name", "file", at)?.value.clone();
                self.manifest.files.push(File {
                    name,
                    com_classes: Vec::new(),
                    location: self.loc(at),
                });
                Ctx::File(self.manifest.files.len() - 1)
            }
            (Ctx::Assembly, "clrClass") => self.clr_class(&attrs, at)?,
            (Ctx::Assembly, "clrSurrogate") => self.clr_surrogate(&attrs, at)?,
            (
                Ctx::Assembly,
                "noInherit" | "noInheritable" | "description" | "comInterfaceExternalProxyStub",
            ) => Ctx::Skip,
            (Ctx::Dependency { optional }, "dependentAssembly") => Ctx::DependentAssembly {
                optional,
                seen_identity: false,
            },
            (
                Ctx::DependentAssembly {
                    optional,
                    seen_identity: false,
                },
                "assemblyIdentity",
            ) => {
                let identity = self.identity(&attrs, at)?;
                self.manifest
                    .dependencies
                    .push(Dependency { identity, optional });
                Ctx::Skip
            }
            (Ctx::DependentAssembly { .. }, _) | (Ctx::Dependency { .. }, _) => Ctx::Skip,
            (Ctx::File(f), "comClass") => self.com_class(f, &attrs, at)?,
            (Ctx::File(_), _) => Ctx::Skip,
            (Ctx::ClrClass(_) | Ctx::ComClass(..), "progid") => Ctx::ProgId,
            (Ctx::ClrClass(_) | Ctx::ComClass(..), _) => Ctx::Skip,
            (Ctx::Assembly, other) => {
                return Err(self.error(
                    codes::MANIFEST_UNKNOWN_ELEMENT,
                    at,
                    format!("<{other}> is not an element of {ASM_V1}; Windows rejects a manifest with an unknown element"),
                ));
            }
            _ => Ctx::Skip,
        };
        if let (Ctx::DependentAssembly { seen_identity, .. }, "assemblyIdentity") = (parent, local)
        {
            *seen_identity = true;
        }
        Ok(ctx)
    }
}

/// The attributes (in no namespace) each `asm.v1` element takes: Microsoft's manifest file schema
/// and its element tables (docs S40), with what Wine's `actctx.c` reads besides; names match
/// case-sensitively. `None` for an element that is not checked: `clrClass`, whose sample in seed 003
/// writes `progId`; `description` and `progid`, which the schema leaves open; and elements comsim
/// does not know.
fn allowed_attributes(element: &str) -> Option<&'static [&'static str]> {
    Some(match element {
        "assembly" => &["manifestVersion"],
        "assemblyIdentity" => &[
            "name",
            "version",
            "type",
            "processorArchitecture",
            "publicKeyToken",
            "language",
        ],
        "dependency" => &["optional"],
        // `allowDelayedBinding` is not in the schema; Wine reads it, so manifests carry it.
        "dependentAssembly" => &["allowDelayedBinding"],
        "noInherit" | "noInheritable" => &[],
        "bindingRedirect" => &["oldVersion", "newVersion"],
        "file" => &["name", "hash", "hashalg", "size"],
        "comClass" => &[
            "clsid",
            "threadingModel",
            "progid",
            "tlbid",
            "description",
            "miscStatus",
            "miscStatusIcon",
            "miscStatusContent",
            "miscStatusDocPrint",
            "miscStatusThumbnail",
        ],
        "clrSurrogate" => &["clsid", "name", "runtimeVersion"],
        "typelib" => &["tlbid", "version", "helpdir", "resourceid", "flags"],
        "comInterfaceProxyStub" => &[
            "iid",
            "name",
            "tlbid",
            "numMethods",
            "proxyStubClsid32",
            "baseInterface",
            "threadingModel",
        ],
        "comInterfaceExternalProxyStub" => &[
            "iid",
            "name",
            "tlbid",
            "numMethods",
            "proxyStubClsid32",
            "baseInterface",
        ],
        "windowClass" => &["versioned"],
        _ => return None,
    })
}

fn namespace(ns: &ResolveResult<'_>) -> Option<String> {
    match ns {
        ResolveResult::Bound(n) => Some(n.as_ref().to_owned()),
        _ => None,
    }
}

/// The character an entity or character reference stands for.
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sxs3_nested_progid_text_resolves_references() {
        let m = parse_manifest_str(
            "m",
            r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0"><clrClass name="A" clsid="{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}"><progid>A&amp;B&#x43;</progid></clrClass></assembly>"#,
        )
        .unwrap();
        assert_eq!(m.clr_classes[0].progids, ["A&BC"]);
    }

    #[test]
    fn sxs3_attribute_names_are_case_sensitive() {
        let m = parse_manifest_str(
            "m",
            r#"<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0"><clrClass name="A" clsid="{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}" progId="Ignored" RuntimeVersion="v4.0"/></assembly>"#,
        )
        .unwrap();
        assert!(m.clr_classes[0].progids.is_empty());
        assert_eq!(m.clr_classes[0].runtime_version, None);
    }

    const V1: &str = r#"xmlns="urn:schemas-microsoft-com:asm.v1""#;

    #[test]
    fn sxs3_an_unknown_attribute_is_rejected_at_the_attribute() {
        let text = format!(
            "<assembly {V1} test=\"test\" manifestVersion=\"1.0\"><assemblyIdentity name=\"a\"/></assembly>"
        );
        let err = parse_manifest_str("m", &text).unwrap_err();
        assert_eq!(err.code, codes::MANIFEST_UNKNOWN_ATTRIBUTE);
        let loc = err.location.unwrap();
        assert_eq!((loc.line, loc.column), (1, 52));
        assert!(err.message.contains("<assembly> has no attribute `test`"));
        assert!(err.message.contains("takes `manifestVersion`"));

        // Deeper elements too, and names match case-sensitively.
        for inner in [
            r#"<assemblyIdentity name="a" Version="1.0.0.0"/>"#,
            r#"<dependency optional="yes" weight="1"><dependentAssembly><assemblyIdentity name="b"/></dependentAssembly></dependency>"#,
            r#"<dependency><dependentAssembly extra="1"><assemblyIdentity name="b"/></dependentAssembly></dependency>"#,
            r#"<file name="x.dll" path="c"/>"#,
            r#"<file name="x.dll"><comClass clsid="{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}" ThreadingModel="Both"/></file>"#,
            r#"<file name="x.dll"><typelib tlbid="{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}" version="1.0" helpdir="" lcid="0"/></file>"#,
            r#"<file name="x.dll"><windowClass version="no">W</windowClass></file>"#,
            r#"<clrSurrogate clsid="{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}" name="S" progid="S.1"/>"#,
            r#"<noInherit a="b"/>"#,
        ] {
            let text = format!("<assembly {V1} manifestVersion=\"1.0\">{inner}</assembly>");
            let err = parse_manifest_str("m", &text).unwrap_err();
            assert_eq!(err.code, codes::MANIFEST_UNKNOWN_ATTRIBUTE, "{inner}");
        }
    }

    #[test]
    fn sxs3_documented_and_namespaced_attributes_are_accepted() {
        let text = format!(
            r#"<assembly {V1} xmlns:asmv3="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" asmv3:note="x">
                <assemblyIdentity type="win32" name="a" version="1.0.0.0" processorArchitecture="x86" publicKeyToken="0123456789abcdef" language="*"/>
                <dependency optional="no"><dependentAssembly allowDelayedBinding="true"><assemblyIdentity name="b"/>
                  <bindingRedirect oldVersion="1.0.0.0" newVersion="2.0.0.0"/></dependentAssembly></dependency>
                <file name="x.dll" hash="00" hashalg="SHA1" size="1">
                  <comClass clsid="{{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}}" threadingModel="Both" progid="P" tlbid="{{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}}" description="d" miscStatus="" miscStatusIcon="" miscStatusContent="" miscStatusDocPrint="" miscStatusThumbnail=""><progid>Q</progid></comClass>
                  <typelib tlbid="{{19f7f420-4cc5-4b0d-8a82-c24645c0ba1f}}" version="1.0" helpdir="" resourceid="1" flags="hidden"/>
                  <comInterfaceProxyStub iid="i" name="n" tlbid="t" numMethods="3" proxyStubClsid32="p" baseInterface="b" threadingModel="Both"/>
                  <windowClass versioned="no">W</windowClass>
                </file>
                <comInterfaceExternalProxyStub iid="i" name="n" tlbid="t" numMethods="3" proxyStubClsid32="p" baseInterface="b"/>
                <clrSurrogate clsid="{{29f7f420-4cc5-4b0d-8a82-c24645c0ba1f}}" name="S" runtimeVersion="v4.0.30319"/>
                <noInherit/>
                <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3" anything="goes"/>
              </assembly>"#
        );
        let m = parse_manifest_str("m", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.files[0].com_classes[0].progids, ["P", "Q"]);
        assert_eq!(m.dependencies.len(), 1);
    }
}
