//! Configuration-file XML to [`AppConfig`], on quick-xml's namespace-aware reader.
//!
//! The document must be well-formed XML whose root is `<configuration>` in no namespace; any
//! malformation is a located error. Inside, only what the activation path reads is interpreted:
//! `<startup>` (read by the shim) and `<runtime><assemblyBinding>`'s `<probing>` and
//! `<dependentAssembly>` (read by Fusion).
//! Every other section is skipped whatever it holds. Element and attribute names match
//! case-sensitively, as Fusion's and Wine's readers match them. The walk is a loop over
//! events with an explicit stack of at most [`MAX_DEPTH`] open elements; nothing recurses.

use comsim_diag::{Code, Diagnostic, LineIndex, Location, XmlEncoding, decode_xml};

use crate::codes;
use quick_xml::escape::EscapeError;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::reader::NsReader;

use crate::model::{
    AppConfig, AssemblyVersion, BindingRedirect, CodeBase, DependentAssembly, Startup,
    SupportedRuntime,
};

/// The namespace `<assemblyBinding>` and `<probing>` must be in for the runtime to read them.
pub const ASM_V1: &str = "urn:schemas-microsoft-com:asm.v1";

/// The namespace Visual Studio 2005 wrote on `<configuration>`; System.Configuration accepts it.
const NET_CONFIGURATION_V2: &str = "http://schemas.microsoft.com/.NetConfiguration/v2.0";

/// The deepest nesting accepted; a deeper element is an error (`config-too-deep`).
pub const MAX_DEPTH: usize = 256;

/// The errors in the file's text itself (its bytes, its XML, its root element), as opposed to the
/// values of the elements the runtime reads. Windows' side-by-side loader reads the same file
/// when it creates a process's activation context and refuses to start the process on these
/// (ERROR_SXS_CANT_GEN_ACTCTX; "SxS dictates that the root element is <configuration>, and it
/// should be without namespace", Junfeng Zhang, 2008).
pub const SXS_REJECTS: [Code; 4] = [
    codes::CONFIG_ENCODING,
    codes::CONFIG_XML,
    codes::CONFIG_ROOT,
    codes::CONFIG_TOO_DEEP,
];

/// Parses an application configuration file's bytes (UTF-8, or UTF-16 with a byte order mark).
pub fn parse_config(file: &str, bytes: &[u8]) -> Result<AppConfig, Diagnostic> {
    let text = decode(file, bytes)?;
    parse_config_str(file, &text)
}

/// Parses configuration text that is already decoded.
pub fn parse_config_str(file: &str, text: &str) -> Result<AppConfig, Diagnostic> {
    let mut p = Parser {
        file,
        text,
        index: LineIndex::new(text),
        config: AppConfig {
            source: file.to_owned(),
            startup: None,
            private_paths: Vec::new(),
            private_path_location: None,
            dependent_assemblies: Vec::new(),
            load_from_remote_sources: false,
            ignored: Vec::new(),
        },
        pending: None,
        pending_at: 0,
    };
    p.run()?;
    Ok(p.config)
}

/// How configuration files are decoded: UTF-16 (either byte order) when a byte order mark says
/// so, or when the first characters are `<?` in UTF-16 (XML 1.0, appendix F); otherwise UTF-8,
/// with or without its byte order mark. A lone trailing byte is an error.
const CONFIG_ENCODING: XmlEncoding = XmlEncoding {
    utf16_by_declaration: true,
    ignore_odd_byte: false,
};

fn decode(file: &str, bytes: &[u8]) -> Result<String, Diagnostic> {
    decode_xml(file, bytes, CONFIG_ENCODING, codes::CONFIG_ENCODING)
}

/// What an open element is, for reading its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Configuration,
    Startup,
    Runtime,
    /// An `asm.v1` `<assemblyBinding>`; the offset of its `appliesTo` attribute, if any.
    AssemblyBinding {
        applies_to: Option<usize>,
    },
    /// An `asm.v1` `<dependentAssembly>`; what it says is in [`Parser::pending`].
    DependentAssembly,
    /// Anything else: its whole subtree is only checked for well-formedness.
    Skip,
}

/// An element on the stack: what it is, its qualified name and the offset of its `<`.
struct Open {
    ctx: Ctx,
    name: String,
    at: usize,
}

/// One attribute in no namespace: its name, normalised value and byte offset in the text.
struct Attr {
    name: String,
    value: String,
    offset: usize,
}

/// An element's namespace, as far as this parser cares.
enum Ns {
    None,
    Bound(String),
    /// A prefix with no declaration in scope.
    Undeclared(String),
}

struct Parser<'a> {
    file: &'a str,
    text: &'a str,
    index: LineIndex<'a>,
    config: AppConfig,
    /// The `<dependentAssembly>` being read, until it closes.
    pending: Option<DependentAssembly>,
    /// Where that `<dependentAssembly>` opens.
    pending_at: usize,
}

impl<'a> Parser<'a> {
    /// The byte offset in the text of a slice borrowed from it.
    fn offset_of(&self, slice: &(impl AsRef<[u8]> + ?Sized)) -> usize {
        self.index.offset_of(slice)
    }

    fn loc(&self, offset: usize) -> Location {
        self.index.location(self.file, offset)
    }

    fn located(&self, d: Diagnostic, offset: usize) -> Diagnostic {
        self.index.locate(self.file, d, offset)
    }

    fn error(&self, code: Code, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.located(Diagnostic::error(code, message), offset)
    }

    /// Records something the runtime skips.
    fn ignore(&mut self, offset: usize, message: impl Into<String>) {
        let d = self.located(Diagnostic::warning(codes::CONFIG_IGNORED, message), offset);
        self.config.ignored.push(d);
    }

    /// Checks every attribute of an element (well-formedness, declared prefixes, references)
    /// and returns those in no namespace. Namespace declarations and prefixed attributes are
    /// not configuration data: the runtime matches attribute names without a prefix.
    fn attrs(
        &self,
        resolver: &NamespaceResolver,
        e: &BytesStart<'_>,
    ) -> Result<Vec<Attr>, Diagnostic> {
        let mut out = Vec::new();
        // quick-xml counts attribute positions from the start of the tag's name.
        let tag = self.offset_of(e.name().as_ref());
        for a in e.attributes() {
            let a = a.map_err(|err| match err {
                AttrError::Duplicated(at, _) => {
                    let key: String = self
                        .text
                        .get(tag + at..)
                        .unwrap_or_default()
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '=')
                        .collect();
                    self.error(
                        codes::CONFIG_XML,
                        tag + at,
                        format!("the attribute `{key}` appears twice"),
                    )
                }
                AttrError::ExpectedEq(at)
                | AttrError::ExpectedValue(at)
                | AttrError::UnquotedValue(at)
                | AttrError::ExpectedQuote(at, _) => self.error(
                    codes::CONFIG_XML,
                    tag + at,
                    format!("malformed attribute: {err}"),
                ),
            })?;
            let key: &str = a.key.as_ref();
            let offset = self.offset_of(key);
            if a.value.contains('<') {
                return Err(self.error(
                    codes::CONFIG_XML,
                    offset,
                    format!("the value of `{key}` holds a `<`, which XML does not allow there"),
                ));
            }
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| self.bad_reference(key, offset, &a.value, err))?;
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            if key.contains(':') {
                if let (ResolveResult::Unknown(prefix), _) = resolver.resolve_attribute(a.key) {
                    return Err(self.error(
                        codes::CONFIG_XML,
                        offset,
                        format!("the namespace prefix `{prefix}` is not declared"),
                    ));
                }
                continue;
            }
            out.push(Attr {
                name: key.to_owned(),
                value: value.into_owned(),
                offset,
            });
        }
        Ok(out)
    }

    /// An attribute value whose references do not resolve, located at the `&` when possible.
    fn bad_reference(
        &self,
        key: &str,
        key_offset: usize,
        raw: &str,
        err: quick_xml::Error,
    ) -> Diagnostic {
        let start = raw.as_ptr() as usize;
        let base = start.checked_sub(self.text.as_ptr() as usize);
        let at = |i: usize| match base {
            Some(b) if b + raw.len() <= self.text.len() => b + i.min(raw.len()),
            _ => key_offset,
        };
        match err {
            quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(range, name)) => self.error(
                codes::CONFIG_XML,
                at(range.start.saturating_sub(1)),
                format!("`&{name};` in the value of `{key}` is not a character reference or one of XML's five entities"),
            ),
            quick_xml::Error::Escape(EscapeError::UnterminatedEntity(range)) => self.error(
                codes::CONFIG_XML,
                at(range.start),
                format!("a `&` in the value of `{key}` starts a reference that has no `;`"),
            ),
            err => self.error(codes::CONFIG_XML, key_offset, format!("bad value of `{key}`: {err}")),
        }
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        let mut reader = NsReader::from_str(self.text);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        let mut stack: Vec<Open> = Vec::new();
        let mut root_done = false;
        let mut first = true;
        loop {
            let (ns, event) = match reader.read_resolved_event() {
                Ok((ns, event)) => (
                    match ns {
                        ResolveResult::Unbound => Ns::None,
                        ResolveResult::Bound(n) => Ns::Bound(n.as_ref().to_owned()),
                        ResolveResult::Unknown(p) => Ns::Undeclared(p),
                    },
                    event,
                ),
                Err(e) => {
                    let at = reader.error_position() as usize;
                    return Err(self.error(
                        codes::CONFIG_XML,
                        at.min(self.text.len()),
                        format!("malformed XML: {e}"),
                    ));
                }
            };
            let was_first = std::mem::replace(&mut first, false);
            let outside = stack.is_empty();
            match event {
                Event::Start(e) => {
                    let open = self.open_element(
                        reader.resolver(),
                        &e,
                        ns,
                        stack.last(),
                        stack.len(),
                        root_done,
                    )?;
                    stack.push(open);
                }
                Event::End(_) => {
                    if let Some(open) = stack.pop()
                        && open.ctx == Ctx::DependentAssembly
                    {
                        self.end_dependent_assembly();
                    }
                    if stack.is_empty() {
                        root_done = true;
                    }
                }
                Event::Text(t) if outside => {
                    let blank = t.bytes().take_while(|b| is_xml_space(*b)).count();
                    if blank < t.len() {
                        let at = self.offset_of(t.as_bytes()) + blank;
                        return Err(self.outside_root(at, root_done));
                    }
                }
                Event::CData(c) if outside => {
                    let at = self.offset_of(c.as_bytes());
                    return Err(self.outside_root(at.saturating_sub(9), root_done));
                }
                Event::GeneralRef(r) => {
                    let name: &str = &r;
                    let at = self.offset_of(name.as_bytes()).saturating_sub(1);
                    if outside {
                        return Err(self.outside_root(at, root_done));
                    }
                    if !is_known_reference(name) {
                        return Err(self.error(
                            codes::CONFIG_XML,
                            at,
                            format!("`&{name};` is not a character reference or one of XML's five entities"),
                        ));
                    }
                }
                Event::Decl(d) if !was_first => {
                    let at = self.offset_of(d.as_ref()).saturating_sub(2);
                    return Err(self.error(
                        codes::CONFIG_XML,
                        at,
                        "the XML declaration must be the very first thing in the file",
                    ));
                }
                Event::DocType(d) if !outside || root_done => {
                    let at = self.offset_of(d.as_bytes());
                    return Err(self.error(
                        codes::CONFIG_XML,
                        at,
                        "a <!DOCTYPE> may only come before the root element",
                    ));
                }
                Event::Eof => return self.at_end(stack.last(), root_done),
                _ => {}
            }
        }
    }

    fn outside_root(&self, at: usize, root_done: bool) -> Diagnostic {
        let message = if root_done {
            "text after </configuration>: only comments and processing instructions may follow the root element"
        } else {
            "text before the root element: expected <configuration>"
        };
        self.error(codes::CONFIG_XML, at, message)
    }

    /// An element opens: after the root closed nothing may, nesting is bounded, a prefix must be
    /// declared; then the root or the child element is read.
    fn open_element(
        &mut self,
        resolver: &NamespaceResolver,
        e: &BytesStart<'_>,
        ns: Ns,
        parent: Option<&Open>,
        depth: usize,
        root_done: bool,
    ) -> Result<Open, Diagnostic> {
        let at = self.offset_of(e.name().as_ref()).saturating_sub(1);
        let name = e.name();
        let qname: &str = name.as_ref();
        if root_done {
            return Err(self.error(
                codes::CONFIG_XML,
                at,
                format!("<{qname}> after </configuration>: a file has one root element"),
            ));
        }
        if depth >= MAX_DEPTH {
            return Err(self.error(
                codes::CONFIG_TOO_DEEP,
                at,
                format!("elements nest more than {MAX_DEPTH} deep"),
            ));
        }
        let ns = match ns {
            Ns::Undeclared(prefix) => {
                return Err(self.error(
                    codes::CONFIG_XML,
                    at,
                    format!("the namespace prefix `{prefix}` is not declared"),
                ));
            }
            Ns::Bound(ns) => Some(ns),
            Ns::None => None,
        };
        let attrs = self.attrs(resolver, e)?;
        let local_name = e.local_name();
        let local: &str = local_name.as_ref();
        let ctx = match parent {
            None => self.root(ns.as_deref(), local, qname, at)?,
            Some(parent) => self.child(parent.ctx, ns.as_deref(), local, qname, &attrs, at)?,
        };
        Ok(Open {
            ctx,
            name: qname.to_owned(),
            at,
        })
    }

    /// The end of the file: every element closed, and there was a root.
    fn at_end(&self, open: Option<&Open>, root_done: bool) -> Result<(), Diagnostic> {
        if let Some(open) = open {
            let opened = self.loc(open.at);
            return Err(self
                .error(
                    codes::CONFIG_XML,
                    self.text.len(),
                    format!("the file ends before </{}>", open.name),
                )
                .with_note(format!("<{}> opens at {opened}", open.name)));
        }
        if !root_done {
            return Err(self.error(
                codes::CONFIG_XML,
                self.text.len(),
                "the file has no root element: expected <configuration>",
            ));
        }
        Ok(())
    }

    fn root(
        &mut self,
        ns: Option<&str>,
        local: &str,
        qname: &str,
        at: usize,
    ) -> Result<Ctx, Diagnostic> {
        match ns {
            None if local == "configuration" => Ok(Ctx::Configuration),
            None => Err(self.error(
                codes::CONFIG_ROOT,
                at,
                format!("expected the root element <configuration>, found <{qname}>"),
            )),
            Some(ns) => Err(self
                .error(
                    codes::CONFIG_ROOT,
                    at,
                    format!("expected the root element <configuration> in no namespace, found <{qname}> in the namespace `{ns}`"),
                )
                .with_note("Fusion matches <configuration> only in no namespace, so it would read no <probing> from this file")
                .with_note(if ns == NET_CONFIGURATION_V2 {
                    "System.Configuration accepts this namespace on the root, but Windows' side-by-side loader, which reads the file too, does not: the process does not start"
                } else {
                    "comsim rejects a file whose root is in a namespace"
                })),
        }
    }

    fn child(
        &mut self,
        parent: Ctx,
        ns: Option<&str>,
        local: &str,
        qname: &str,
        attrs: &[Attr],
        at: usize,
    ) -> Result<Ctx, Diagnostic> {
        match parent {
            Ctx::Skip => Ok(Ctx::Skip),
            Ctx::Configuration => match (local, ns) {
                ("startup", None) => self.startup(attrs, at),
                ("runtime", None) => Ok(Ctx::Runtime),
                ("startup" | "runtime", Some(ns)) => {
                    self.ignore(
                        at,
                        format!("<{qname}> is in the namespace `{ns}`: the runtime reads <{local}> only in no namespace"),
                    );
                    Ok(Ctx::Skip)
                }
                _ => Ok(Ctx::Skip),
            },
            Ctx::Startup => {
                match (local, ns) {
                    ("supportedRuntime", None) => {
                        let runtime = self.runtime_element(attrs, "supportedRuntime", at)?;
                        if let Some(s) = self.config.startup.as_mut() {
                            s.supported_runtimes.push(runtime);
                        }
                    }
                    ("requiredRuntime", None) => {
                        let runtime = self.runtime_element(attrs, "requiredRuntime", at)?;
                        let first = self
                            .config
                            .startup
                            .as_ref()
                            .and_then(|s| s.required_runtime.as_ref())
                            .map(|r| r.location.clone());
                        match first {
                            Some(first) => self.ignore(
                                at,
                                format!("a second <requiredRuntime>: comsim keeps the first, at {first}"),
                            ),
                            None => {
                                if let Some(s) = self.config.startup.as_mut() {
                                    s.required_runtime = Some(SupportedRuntime {
                                        sku: None,
                                        ..runtime
                                    });
                                }
                            }
                        }
                    }
                    _ => self.ignore(
                        at,
                        format!("<{qname}> is not read inside <startup>: the runtime reads <supportedRuntime> and <requiredRuntime> (in no namespace, names case-sensitive)"),
                    ),
                }
                Ok(Ctx::Skip)
            }
            Ctx::Runtime => match (local, ns) {
                ("assemblyBinding", Some(ASM_V1)) => Ok(Ctx::AssemblyBinding {
                    applies_to: find(attrs, "appliesTo").map(|a| a.offset),
                }),
                ("assemblyBinding", other) => {
                    let why = match other {
                        None => "has no namespace".to_owned(),
                        Some(ns) => format!("is in the namespace `{ns}`"),
                    };
                    self.ignore(
                        at,
                        format!("<{qname}> {why}: the runtime reads <assemblyBinding xmlns=\"{ASM_V1}\"> only, so its <probing> and redirects have no effect"),
                    );
                    Ok(Ctx::Skip)
                }
                ("loadFromRemoteSources", None) => {
                    self.config.load_from_remote_sources =
                        self.true_or_false(attrs, "loadFromRemoteSources", "enabled", at)?;
                    Ok(Ctx::Skip)
                }
                _ => Ok(Ctx::Skip),
            },
            Ctx::AssemblyBinding { applies_to } => {
                match (local, ns) {
                    ("probing", Some(ASM_V1)) => self.probing(attrs, at, applies_to),
                    ("dependentAssembly", Some(ASM_V1)) => {
                        self.dependent_assembly(at, applies_to);
                        return Ok(Ctx::DependentAssembly);
                    }
                    ("probing", _) => self.ignore(
                        at,
                        format!("<{qname}> is not in the namespace {ASM_V1}: the runtime does not read it"),
                    ),
                    _ => {}
                }
                Ok(Ctx::Skip)
            }
            Ctx::DependentAssembly => {
                self.in_dependent_assembly(ns, local, qname, attrs, at)?;
                Ok(Ctx::Skip)
            }
        }
    }

    /// `<dependentAssembly>` opens: what it says is gathered in `pending` until it closes.
    fn dependent_assembly(&mut self, at: usize, applies_to: Option<usize>) {
        if let Some(applies_to) = applies_to {
            self.ignore(
                applies_to,
                "`appliesTo` is not modelled: comsim applies this <assemblyBinding>'s <dependentAssembly> whatever the runtime version",
            );
        }
        self.pending_at = at;
        self.pending = Some(DependentAssembly {
            name: String::new(),
            public_key_token: None,
            culture: None,
            redirects: Vec::new(),
            code_bases: Vec::new(),
            location: self.loc(at),
        });
    }

    /// A child of `<dependentAssembly>`.
    fn in_dependent_assembly(
        &mut self,
        ns: Option<&str>,
        local: &str,
        qname: &str,
        attrs: &[Attr],
        at: usize,
    ) -> Result<(), Diagnostic> {
        match (local, ns) {
            ("assemblyIdentity", Some(ASM_V1)) => self.assembly_identity(attrs, at)?,
            ("bindingRedirect", Some(ASM_V1)) => {
                let r = self.binding_redirect(attrs, at)?;
                if let Some(p) = self.pending.as_mut() {
                    p.redirects.push(r);
                }
            }
            ("codeBase", Some(ASM_V1)) => {
                let c = self.code_base(attrs, at)?;
                if let Some(p) = self.pending.as_mut() {
                    p.code_bases.push(c);
                }
            }
            ("assemblyIdentity" | "bindingRedirect" | "codeBase", _) => self.ignore(
                at,
                format!("<{qname}> is not in the namespace {ASM_V1}: the runtime does not read it"),
            ),
            _ => {}
        }
        Ok(())
    }

    /// `</dependentAssembly>`: kept when it named an assembly.
    fn end_dependent_assembly(&mut self) {
        let Some(d) = self.pending.take() else {
            return;
        };
        if d.name.is_empty() {
            self.ignore(
                self.pending_at,
                "<dependentAssembly> without <assemblyIdentity name>: it applies to no assembly",
            );
        } else {
            self.config.dependent_assemblies.push(d);
        }
    }

    /// `<assemblyIdentity name publicKeyToken culture/>`: `name` is required; `publicKeyToken`
    /// is 16 hex digits or `null`. A second one in the same `<dependentAssembly>` is skipped.
    fn assembly_identity(&mut self, attrs: &[Attr], at: usize) -> Result<(), Diagnostic> {
        if self.pending.as_ref().is_some_and(|p| !p.name.is_empty()) {
            self.ignore(
                at,
                "a second <assemblyIdentity> in one <dependentAssembly>: comsim keeps the first",
            );
            return Ok(());
        }
        let name = self.required(
            attrs,
            "assemblyIdentity",
            "name",
            at,
            "such as \"MyComponent\"",
        )?;
        let token = match find(attrs, "publicKeyToken") {
            None => None,
            Some(a) if a.value == "null" => None,
            Some(a) => {
                if a.value.len() != 16 || !a.value.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(self.error(
                        codes::CONFIG_BAD_VALUE,
                        a.offset,
                        format!(
                            "`publicKeyToken` must be 16 hex digits (or \"null\"), found \"{}\"",
                            a.value
                        ),
                    ));
                }
                Some(a.value.to_ascii_lowercase())
            }
        };
        let culture = find(attrs, "culture").map(|a| a.value.clone());
        if let Some(p) = self.pending.as_mut() {
            p.name = name.value.clone();
            p.public_key_token = token;
            p.culture = culture;
        }
        Ok(())
    }

    /// `<bindingRedirect oldVersion="a.b.c.d[-e.f.g.h]" newVersion="w.x.y.z"/>`.
    fn binding_redirect(&self, attrs: &[Attr], at: usize) -> Result<BindingRedirect, Diagnostic> {
        let old = self.required(
            attrs,
            "bindingRedirect",
            "oldVersion",
            at,
            "such as \"1.0.0.0\" or \"1.0.0.0-1.9.9.9\"",
        )?;
        let new = self.required(
            attrs,
            "bindingRedirect",
            "newVersion",
            at,
            "such as \"2.0.0.0\"",
        )?;
        let (low, high) = match old.value.split_once('-') {
            None => {
                let v = self.version(old)?;
                (v, v)
            }
            Some((low, high)) => {
                let bad = || {
                    self.error(
                        codes::CONFIG_BAD_VALUE,
                        old.offset,
                        format!("`oldVersion` must be a version a.b.c.d or a range a.b.c.d-e.f.g.h, each part 0 to 65535, found \"{}\"", old.value),
                    )
                };
                let low = parse_version(low.trim()).ok_or_else(bad)?;
                let high = parse_version(high.trim()).ok_or_else(bad)?;
                if low > high {
                    return Err(self.error(
                        codes::CONFIG_BAD_VALUE,
                        old.offset,
                        format!("the range `oldVersion=\"{}\"` is empty: its first version is above its last", old.value),
                    ));
                }
                (low, high)
            }
        };
        Ok(BindingRedirect {
            old_low: low,
            old_high: high,
            new_version: self.version(new)?,
            location: self.loc(at),
        })
    }

    /// `<codeBase version="a.b.c.d" href="URL"/>`: both required.
    fn code_base(&self, attrs: &[Attr], at: usize) -> Result<CodeBase, Diagnostic> {
        let version = self.required(attrs, "codeBase", "version", at, "such as \"2.0.0.0\"")?;
        let href = self.required(
            attrs,
            "codeBase",
            "href",
            at,
            "such as \"file:///C:/lib/MyComponent.dll\"",
        )?;
        Ok(CodeBase {
            version: self.version(version)?,
            href: href.value.trim().to_owned(),
            location: self.loc(at),
        })
    }

    /// An attribute that must be present and not blank.
    fn required<'v>(
        &self,
        attrs: &'v [Attr],
        element: &str,
        name: &str,
        at: usize,
        example: &str,
    ) -> Result<&'v Attr, Diagnostic> {
        let a = find(attrs, name).ok_or_else(|| {
            self.error(
                codes::CONFIG_MISSING_ATTRIBUTE,
                at,
                format!("<{element}> needs the attribute `{name}` ({example})"),
            )
        })?;
        if a.value.trim().is_empty() {
            return Err(self.error(
                codes::CONFIG_MISSING_ATTRIBUTE,
                a.offset,
                format!("<{element}> has an empty `{name}`"),
            ));
        }
        Ok(a)
    }

    /// A single version `a.b.c.d`.
    fn version(&self, a: &Attr) -> Result<AssemblyVersion, Diagnostic> {
        parse_version(a.value.trim()).ok_or_else(|| {
            self.error(
                codes::CONFIG_BAD_VALUE,
                a.offset,
                format!(
                    "`{}` must be a version a.b.c.d, each part 0 to 65535, found \"{}\"",
                    a.name, a.value
                ),
            )
        })
    }

    fn startup(&mut self, attrs: &[Attr], at: usize) -> Result<Ctx, Diagnostic> {
        if let Some(first) = &self.config.startup {
            let first = first.location.clone();
            return Err(self
                .error(
                    codes::CONFIG_DUPLICATE,
                    at,
                    "a second <startup>: a configuration file has one",
                )
                .with_note(format!("the first <startup> is at {first}")));
        }
        let legacy = match find(attrs, "useLegacyV2RuntimeActivationPolicy") {
            None => false,
            Some(a) => self.boolean(a, "useLegacyV2RuntimeActivationPolicy")?,
        };
        self.config.startup = Some(Startup {
            use_legacy_v2_runtime_activation_policy: legacy,
            location: self.loc(at),
            supported_runtimes: Vec::new(),
            required_runtime: None,
        });
        Ok(Ctx::Startup)
    }

    /// A `"true"` or `"false"` attribute value.
    fn boolean(&self, a: &Attr, name: &str) -> Result<bool, Diagnostic> {
        match a.value.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(self
                .error(
                    codes::CONFIG_BAD_VALUE,
                    a.offset,
                    format!("`{name}` must be \"true\" or \"false\", found \"{other}\""),
                )
                .with_note("comsim accepts these two lower-case spellings only; how the runtime reads any other is not documented")),
        }
    }

    /// An element whose `attribute` is required and `"true"` or `"false"`
    /// (`<loadFromRemoteSources enabled>`).
    fn true_or_false(
        &self,
        attrs: &[Attr],
        element: &str,
        attribute: &str,
        at: usize,
    ) -> Result<bool, Diagnostic> {
        let a = find(attrs, attribute).ok_or_else(|| {
            self.error(
                codes::CONFIG_MISSING_ATTRIBUTE,
                at,
                format!("<{element}> needs an `{attribute}` attribute"),
            )
        })?;
        self.boolean(a, attribute)
    }

    /// `<supportedRuntime>` or `<requiredRuntime>`: `version` is required and must not be blank.
    fn runtime_element(
        &self,
        attrs: &[Attr],
        element: &str,
        at: usize,
    ) -> Result<SupportedRuntime, Diagnostic> {
        let version = find(attrs, "version").ok_or_else(|| {
            self.error(
                codes::CONFIG_MISSING_ATTRIBUTE,
                at,
                format!(
                    "<{element}> needs the attribute `version` (such as \"v4.0\" or \"v2.0.50727\")"
                ),
            )
        })?;
        if version.value.trim().is_empty() {
            return Err(self.error(
                codes::CONFIG_MISSING_ATTRIBUTE,
                version.offset,
                format!("<{element}> has an empty `version`"),
            ));
        }
        Ok(SupportedRuntime {
            version: version.value.clone(),
            sku: find(attrs, "sku").map(|a| a.value.clone()),
            location: self.loc(at),
        })
    }

    /// `<probing privatePath="a;b">`: the first `privatePath` in the file wins, as in Fusion.
    fn probing(&mut self, attrs: &[Attr], at: usize, applies_to: Option<usize>) {
        let Some(path) = find(attrs, "privatePath") else {
            self.ignore(at, "<probing> without `privatePath` has no effect");
            return;
        };
        if let Some(first) = self.config.private_path_location.clone() {
            self.ignore(
                path.offset,
                format!("a second `privatePath`: the runtime uses only the first, at {first}"),
            );
            return;
        }
        if let Some(applies_to) = applies_to {
            self.ignore(
                applies_to,
                "`appliesTo` is not modelled: comsim applies this <assemblyBinding>'s <probing> whatever the runtime version",
            );
        }
        self.config.private_paths = path
            .value
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        self.config.private_path_location = Some(self.loc(path.offset));
    }
}

/// Parses `major.minor.build.revision`: four decimal parts, each 0 to 65535.
pub fn parse_version(text: &str) -> Option<AssemblyVersion> {
    let mut out = [0u16; 4];
    let mut parts = text.split('.');
    for slot in &mut out {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(AssemblyVersion(out))
}

fn find<'v>(attrs: &'v [Attr], name: &str) -> Option<&'v Attr> {
    attrs.iter().find(|a| a.name == name)
}

/// XML's white space: space, tab, carriage return, line feed.
fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `amp`, `lt`, `gt`, `quot`, `apos`, or a character reference to a valid character.
fn is_known_reference(name: &str) -> bool {
    match name {
        "amp" | "lt" | "gt" | "quot" | "apos" => true,
        _ => {
            let Some(n) = name.strip_prefix('#') else {
                return false;
            };
            let code = match n.strip_prefix('x') {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()
                }
                None if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
                _ => None,
            };
            code.and_then(char::from_u32).is_some_and(|c| c != '\0')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AppConfig, Diagnostic> {
        parse_config("app.exe.config", text.as_bytes())
    }

    fn err(text: &str) -> Diagnostic {
        parse(text).expect_err("must not parse")
    }

    fn at(d: &Diagnostic) -> (u32, u32) {
        let loc = d.location.as_ref().expect("located");
        assert_eq!(&*loc.file, "app.exe.config");
        (loc.line, loc.column)
    }

    const BINDING: &str = r#"<assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1">"#;

    #[test]
    fn root_must_be_configuration_in_no_namespace() {
        assert!(parse("<configuration/>").is_ok());
        let e = err("<Configuration/>");
        assert_eq!(e.code, codes::CONFIG_ROOT);
        let e =
            err(r#"<configuration xmlns="http://schemas.microsoft.com/.NetConfiguration/v2.0"/>"#);
        assert_eq!(e.code, codes::CONFIG_ROOT);
        assert_eq!(e.notes.len(), 2);
        let e = err(r#"<c:configuration xmlns:c="urn:x"/>"#);
        assert_eq!(e.code, codes::CONFIG_ROOT);
    }

    #[test]
    fn a_file_without_a_root_element_is_an_error_at_its_end() {
        let e = err("<?xml version=\"1.0\"?>\n<!-- only a comment -->\n");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (3, 1)));
        assert_eq!(err("").code, codes::CONFIG_XML);
    }

    #[test]
    fn other_sections_are_skipped_whatever_they_contain() {
        let c = parse(
            r#"<configuration>
                 <appSettings><startup useLegacyV2RuntimeActivationPolicy="nonsense"><supportedRuntime/></startup></appSettings>
                 <system.web><runtime><assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1"><probing privatePath="x"/></assemblyBinding></runtime></system.web>
                 <configSections><section name="s" type="T"/></configSections>
               </configuration>"#,
        )
        .unwrap();
        assert_eq!(c.startup, None);
        assert!(c.private_paths.is_empty());
        assert!(c.ignored.is_empty());
    }

    #[test]
    fn startup_and_runtime_count_only_as_children_of_configuration() {
        let c = parse(&format!(
            r#"<configuration><custom><startup><supportedRuntime version="v2.0.50727"/></startup></custom>
               <startup><supportedRuntime version="v4.0"/></startup>
               <runtime>{BINDING}<probing privatePath="bin"/></assemblyBinding></runtime></configuration>"#
        ))
        .unwrap();
        let s = c.startup.unwrap();
        assert_eq!(s.supported_runtimes.len(), 1);
        assert_eq!(s.supported_runtimes[0].version, "v4.0");
        assert_eq!(c.private_paths, ["bin"]);
    }

    #[test]
    fn supported_runtimes_keep_document_order_with_their_locations() {
        let c = parse(
            "<configuration>\n<startup>\n  <supportedRuntime version=\"v2.0.50727\"/>\n  <supportedRuntime version=\"v4.0\" sku=\".NETFramework,Version=v4.8\"/>\n</startup>\n</configuration>",
        )
        .unwrap();
        let s = c.startup.unwrap();
        assert_eq!((s.location.line, s.location.column), (2, 1));
        let got: Vec<_> = s
            .supported_runtimes
            .iter()
            .map(|r| {
                (
                    r.version.as_str(),
                    r.sku.as_deref(),
                    r.location.line,
                    r.location.column,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("v2.0.50727", None, 3, 3),
                ("v4.0", Some(".NETFramework,Version=v4.8"), 4, 3)
            ]
        );
        assert_eq!(s.required_runtime, None);
        assert!(!s.use_legacy_v2_runtime_activation_policy);
    }

    #[test]
    fn an_empty_startup_has_no_runtimes() {
        let s = parse("<configuration><startup/></configuration>")
            .unwrap()
            .startup
            .unwrap();
        assert!(s.supported_runtimes.is_empty());
        assert_eq!(s.required_runtime, None);
    }

    #[test]
    fn supported_runtime_without_version_is_a_located_error() {
        let e = err(
            "<configuration>\n<startup>\n  <supportedRuntime sku=\"x\"/>\n</startup>\n</configuration>",
        );
        assert_eq!((e.code, at(&e)), (codes::CONFIG_MISSING_ATTRIBUTE, (3, 3)));
        let e = err(
            r#"<configuration><startup><supportedRuntime version=""/></startup></configuration>"#,
        );
        assert_eq!(e.code, codes::CONFIG_MISSING_ATTRIBUTE);
        let e = err(r#"<configuration><startup><requiredRuntime/></startup></configuration>"#);
        assert_eq!(e.code, codes::CONFIG_MISSING_ATTRIBUTE);
    }

    fn dependent(inner: &str) -> Result<AppConfig, Diagnostic> {
        parse(&format!(
            "<configuration><runtime>{BINDING}<dependentAssembly>{inner}</dependentAssembly></assemblyBinding></runtime></configuration>"
        ))
    }

    const IDENTITY: &str =
        r#"<assemblyIdentity name="Comp" publicKeyToken="32AB4BA45E0A69A1" culture="neutral"/>"#;

    #[test]
    fn bind_redirect_dependent_assembly_reads_identity_redirects_and_code_bases() {
        let c = dependent(&format!(
            r#"{IDENTITY}<bindingRedirect oldVersion="1.0.0.0" newVersion="2.0.0.0"/>
               <bindingRedirect oldVersion="0.5.0.0 - 0.9.65535.65535" newVersion="1.0.0.0"/>
               <codeBase version="2.0.0.0" href="file:///C:/lib/Comp.dll"/><publisherPolicy apply="no"/>"#
        ))
        .unwrap();
        assert!(c.ignored.is_empty(), "{:?}", c.ignored);
        let [d] = &c.dependent_assemblies[..] else {
            panic!("{:?}", c.dependent_assemblies)
        };
        assert_eq!(d.name, "Comp");
        assert_eq!(d.public_key_token.as_deref(), Some("32ab4ba45e0a69a1"));
        assert_eq!(d.culture.as_deref(), Some("neutral"));
        assert_eq!(
            d.redirect(AssemblyVersion([1, 0, 0, 0]))
                .unwrap()
                .new_version,
            AssemblyVersion([2, 0, 0, 0])
        );
        assert_eq!(
            d.redirect(AssemblyVersion([0, 7, 3, 1]))
                .unwrap()
                .new_version,
            AssemblyVersion([1, 0, 0, 0])
        );
        assert_eq!(d.redirect(AssemblyVersion([1, 0, 0, 1])), None);
        assert_eq!(
            d.code_base(AssemblyVersion([2, 0, 0, 0])).unwrap().href,
            "file:///C:/lib/Comp.dll"
        );
        assert_eq!(d.code_base(AssemblyVersion([1, 0, 0, 0])), None);
    }

    #[test]
    fn bind_redirect_bad_versions_are_located_errors() {
        for bad in [
            "1.0.0",
            "1.0.0.0.0",
            "1.0.0.65536",
            "1.0.0.x",
            "1..0.0",
            "+1.0.0.0",
            "2.0.0.0-1.0.0.0",
            "1.0.0.0-",
        ] {
            let e = dependent(&format!(
                r#"{IDENTITY}<bindingRedirect oldVersion="{bad}" newVersion="2.0.0.0"/>"#
            ))
            .unwrap_err();
            assert_eq!(
                (e.code, at(&e)),
                (codes::CONFIG_BAD_VALUE, (1, 202)),
                "{bad:?}"
            );
        }
        let e = dependent(&format!(
            r#"{IDENTITY}<bindingRedirect oldVersion="1.0.0.0" newVersion="v2"/>"#
        ))
        .unwrap_err();
        assert_eq!(e.code, codes::CONFIG_BAD_VALUE);
        assert!(e.message.contains("`newVersion`"), "{e}");
        let e = dependent(&format!(
            r#"{IDENTITY}<bindingRedirect newVersion="2.0.0.0"/>"#
        ))
        .unwrap_err();
        assert_eq!(
            (e.code, at(&e)),
            (codes::CONFIG_MISSING_ATTRIBUTE, (1, 185))
        );
        let e = dependent(&format!(
            r#"{IDENTITY}<bindingRedirect oldVersion="1.0.0.0" newVersion=" "/>"#
        ))
        .unwrap_err();
        assert_eq!(e.code, codes::CONFIG_MISSING_ATTRIBUTE);
    }

    #[test]
    fn bind_code_base_needs_a_version_and_an_href() {
        let e =
            dependent(&format!(r#"{IDENTITY}<codeBase href="file:///C:/x.dll"/>"#)).unwrap_err();
        assert_eq!(
            (e.code, at(&e)),
            (codes::CONFIG_MISSING_ATTRIBUTE, (1, 185))
        );
        let e = dependent(&format!(r#"{IDENTITY}<codeBase version="2.0.0.0"/>"#)).unwrap_err();
        assert_eq!(e.code, codes::CONFIG_MISSING_ATTRIBUTE);
        let e = dependent(&format!(
            r#"{IDENTITY}<codeBase version="2.0" href="x.dll"/>"#
        ))
        .unwrap_err();
        assert_eq!(e.code, codes::CONFIG_BAD_VALUE);
    }

    #[test]
    fn bind_assembly_identity_needs_a_name_and_a_well_formed_token() {
        let e = dependent(r#"<assemblyIdentity publicKeyToken="32ab4ba45e0a69a1"/>"#).unwrap_err();
        assert_eq!(
            (e.code, at(&e)),
            (codes::CONFIG_MISSING_ATTRIBUTE, (1, 102))
        );
        for bad in ["32ab4ba45e0a69a", "32ab4ba45e0a69a1ff", "32ab4ba45e0a69ag"] {
            let e = dependent(&format!(
                r#"<assemblyIdentity name="C" publicKeyToken="{bad}"/>"#
            ))
            .unwrap_err();
            assert_eq!(
                (e.code, at(&e)),
                (codes::CONFIG_BAD_VALUE, (1, 129)),
                "{bad:?}"
            );
        }
        let c = dependent(r#"<assemblyIdentity name="C" publicKeyToken="null"/>"#).unwrap();
        assert_eq!(c.dependent_assemblies[0].public_key_token, None);
    }

    #[test]
    fn bind_a_dependent_assembly_without_identity_is_ignored_and_a_second_identity_too() {
        let c =
            dependent(r#"<bindingRedirect oldVersion="1.0.0.0" newVersion="2.0.0.0"/>"#).unwrap();
        assert!(c.dependent_assemblies.is_empty());
        assert_eq!(c.ignored.len(), 1);
        assert_eq!(at(&c.ignored[0]), (1, 83));
        let c = dependent(&format!(r#"{IDENTITY}<assemblyIdentity name="Other"/>"#)).unwrap();
        assert_eq!(c.dependent_assemblies[0].name, "Comp");
        assert_eq!(c.ignored.len(), 1);
        let c = dependent(r#"<a:assemblyIdentity xmlns:a="urn:x" name="Comp"/>"#).unwrap();
        assert!(c.dependent_assemblies.is_empty());
        assert_eq!(c.ignored.len(), 2);
    }

    #[test]
    fn bind_parse_version_takes_four_decimal_parts() {
        assert_eq!(
            parse_version("1.2.3.4"),
            Some(AssemblyVersion([1, 2, 3, 4]))
        );
        assert_eq!(
            parse_version("65535.0.0.0"),
            Some(AssemblyVersion([65535, 0, 0, 0]))
        );
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.-4",
            "1.2.3.4 ",
            "65536.0.0.0",
        ] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn required_runtime_is_kept_without_sku_and_the_first_wins() {
        let c = parse(
            r#"<configuration><startup>
                 <requiredRuntime version="v1.0.3705" safemode="true" sku="ignored"/>
                 <requiredRuntime version="v1.1.4322"/>
               </startup></configuration>"#,
        )
        .unwrap();
        let r = c.startup.unwrap().required_runtime.unwrap();
        assert_eq!((r.version.as_str(), r.sku), ("v1.0.3705", None));
        assert_eq!(c.ignored.len(), 1);
        assert_eq!(c.ignored[0].code, codes::CONFIG_IGNORED);
        assert!(!c.ignored[0].is_error());
    }

    #[test]
    fn use_legacy_v2_policy_is_true_false_or_absent() {
        let policy = |attr: &str| {
            parse(&format!("<configuration><startup {attr}/></configuration>"))
                .map(|c| c.startup.unwrap().use_legacy_v2_runtime_activation_policy)
        };
        assert_eq!(policy(""), Ok(false));
        assert_eq!(
            policy(r#"useLegacyV2RuntimeActivationPolicy="true""#),
            Ok(true)
        );
        assert_eq!(
            policy(r#"useLegacyV2RuntimeActivationPolicy="false""#),
            Ok(false)
        );
        for bad in ["True", "TRUE", "1", "yes", "", " true"] {
            let e = policy(&format!(r#"useLegacyV2RuntimeActivationPolicy="{bad}""#)).unwrap_err();
            assert_eq!(
                (e.code, at(&e)),
                (codes::CONFIG_BAD_VALUE, (1, 25)),
                "{bad:?}"
            );
        }
    }

    /// BIND-4: `<runtime><loadFromRemoteSources enabled>` is read; `enabled` is required and
    /// `true` or `false`; without the element remote loads stay refused.
    #[test]
    fn bind4_load_from_remote_sources_is_read_from_runtime() {
        let remote = |inner: &str| {
            parse(&format!(
                "<configuration><runtime>{inner}</runtime></configuration>"
            ))
            .map(|c| c.load_from_remote_sources)
        };
        assert_eq!(remote(""), Ok(false));
        assert_eq!(
            remote(r#"<loadFromRemoteSources enabled="true"/>"#),
            Ok(true)
        );
        assert_eq!(
            remote(r#"<loadFromRemoteSources enabled="false"/>"#),
            Ok(false)
        );
        let e = remote("<loadFromRemoteSources/>").unwrap_err();
        assert_eq!(e.code, codes::CONFIG_MISSING_ATTRIBUTE);
        let e = remote(r#"<loadFromRemoteSources enabled="yes"/>"#).unwrap_err();
        assert_eq!(e.code, codes::CONFIG_BAD_VALUE);
        // Outside <runtime> it is not read.
        let c = parse(r#"<configuration><loadFromRemoteSources enabled="true"/></configuration>"#);
        assert_eq!(c.map(|c| c.load_from_remote_sources), Ok(false));
    }

    #[test]
    fn element_and_attribute_names_are_case_sensitive() {
        let c = parse(
            r#"<configuration><startup UseLegacyV2RuntimeActivationPolicy="yes">
                 <SupportedRuntime version="v2.0.50727"/>
                 <supportedRuntime Version="v9" version="v4.0" SKU="x"/>
               </startup><Runtime/></configuration>"#,
        )
        .unwrap();
        let s = c.startup.unwrap();
        assert!(!s.use_legacy_v2_runtime_activation_policy);
        assert_eq!(s.supported_runtimes.len(), 1);
        assert_eq!(s.supported_runtimes[0].version, "v4.0");
        assert_eq!(s.supported_runtimes[0].sku, None);
        // <SupportedRuntime> is reported; the unknown <Runtime> section is not.
        assert_eq!(c.ignored.len(), 1);
        assert!(c.ignored[0].message.contains("<SupportedRuntime>"));
    }

    #[test]
    fn private_path_splits_on_semicolons_trims_and_drops_empty_parts() {
        let c = parse(&format!(
            "<configuration><runtime>{BINDING}<probing privatePath=\" bin ;;lib\\x64;\tplug ins ;\"/></assemblyBinding></runtime></configuration>"
        ))
        .unwrap();
        assert_eq!(c.private_paths, ["bin", r"lib\x64", "plug ins"]);
        let loc = c.private_path_location.unwrap();
        assert_eq!((loc.line, loc.column), (1, 92));
    }

    #[test]
    fn an_empty_private_path_still_counts_as_the_first() {
        let c = parse(&format!(
            r#"<configuration><runtime>{BINDING}<probing privatePath=" ; "/><probing privatePath="bin"/></assemblyBinding></runtime></configuration>"#
        ))
        .unwrap();
        assert!(c.private_paths.is_empty());
        assert!(c.private_path_location.is_some());
        assert_eq!(c.ignored.len(), 1);
    }

    #[test]
    fn assembly_binding_without_asm_v1_namespace_is_ignored_not_an_error() {
        for binding in [
            "<assemblyBinding>",
            r#"<assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v2">"#,
            r#"<assemblyBinding xmlns="URN:schemas-microsoft-com:asm.v1">"#,
        ] {
            let c = parse(&format!(
                r#"<configuration><runtime>{binding}<probing privatePath="bin"/></assemblyBinding></runtime></configuration>"#
            ))
            .unwrap();
            assert!(c.private_paths.is_empty(), "{binding}");
            assert_eq!(c.private_path_location, None);
            assert_eq!(c.ignored.len(), 1, "{binding}");
            assert_eq!(c.ignored[0].code, codes::CONFIG_IGNORED);
            assert_eq!(at(&c.ignored[0]), (1, 25));
        }
    }

    #[test]
    fn probing_must_be_in_asm_v1_too() {
        let c = parse(&format!(
            r#"<configuration><runtime>{BINDING}<probing xmlns="" privatePath="bin"/></assemblyBinding></runtime></configuration>"#
        ))
        .unwrap();
        assert!(c.private_paths.is_empty());
        assert_eq!(c.ignored.len(), 1);
    }

    #[test]
    fn a_prefix_bound_to_asm_v1_counts_like_the_default_namespace() {
        let c = parse(
            r#"<configuration><runtime><a:assemblyBinding xmlns:a="urn:schemas-microsoft-com:asm.v1"><a:probing privatePath="bin"/></a:assemblyBinding></runtime></configuration>"#,
        )
        .unwrap();
        assert_eq!(c.private_paths, ["bin"]);
        assert!(c.ignored.is_empty());
    }

    #[test]
    fn first_private_path_wins_across_assembly_bindings() {
        let c = parse(&format!(
            r#"<configuration><runtime>{BINDING}<probing/><probing privatePath="one"/></assemblyBinding></runtime>
               <runtime>{BINDING}<probing privatePath="two"/></assemblyBinding></runtime></configuration>"#
        ))
        .unwrap();
        assert_eq!(c.private_paths, ["one"]);
        // The <probing/> without privatePath and the second privatePath.
        assert_eq!(c.ignored.len(), 2);
    }

    #[test]
    fn applies_to_is_reported_as_not_modelled() {
        let c = parse(
            r#"<configuration><runtime><assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1" appliesTo="v1.0.3705"><probing privatePath="bin"/></assemblyBinding></runtime></configuration>"#,
        )
        .unwrap();
        assert_eq!(c.private_paths, ["bin"]);
        assert_eq!(c.ignored.len(), 1);
        assert!(c.ignored[0].message.contains("appliesTo"));
    }

    #[test]
    fn prefixed_attributes_are_not_configuration_data() {
        let c = parse(
            r#"<configuration xmlns:x="urn:x"><startup><supportedRuntime x:version="v2.0" version="v4.0" x:sku="s"/></startup></configuration>"#,
        )
        .unwrap();
        let r = &c.startup.unwrap().supported_runtimes[0];
        assert_eq!((r.version.as_str(), r.sku.as_deref()), ("v4.0", None));
    }

    #[test]
    fn undeclared_prefixes_are_errors() {
        let e = err(r#"<configuration><x:custom/></configuration>"#);
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 16)));
        let e = err(r#"<configuration><custom x:a="1"/></configuration>"#);
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 24)));
    }

    #[test]
    fn the_xml_prefix_needs_no_declaration() {
        assert!(
            parse(r#"<configuration xml:lang="en"><a xml:space="preserve"/></configuration>"#)
                .is_ok()
        );
    }

    #[test]
    fn attribute_values_are_normalised_and_references_resolved() {
        let c = parse(
            "<configuration><startup><supportedRuntime version=\"v4&#46;0\" sku=\"a&amp;b&#x9;c\nd\"/></startup></configuration>",
        )
        .unwrap();
        let r = &c.startup.unwrap().supported_runtimes[0];
        assert_eq!(r.version, "v4.0");
        // A character reference keeps its tab; a literal line break becomes a space.
        assert_eq!(r.sku.as_deref(), Some("a&b\tc d"));
    }

    #[test]
    fn bad_references_are_located_at_the_ampersand() {
        let e = err(r#"<configuration><a v="x &nbsp; y"/></configuration>"#);
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 24)));
        let e = err(r#"<configuration><a v="x &amp y"/></configuration>"#);
        assert_eq!(e.code, codes::CONFIG_XML);
        let e = err("<configuration>&nbsp;</configuration>");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 16)));
        let e = err("<configuration>&#0;</configuration>");
        assert_eq!(e.code, codes::CONFIG_XML);
    }

    #[test]
    fn a_less_than_sign_in_an_attribute_value_is_an_error() {
        let e = err(r#"<configuration><a v="1<2"/></configuration>"#);
        assert_eq!(e.code, codes::CONFIG_XML);
    }

    #[test]
    fn duplicate_attributes_are_errors_in_any_section() {
        let e = err(
            "<configuration>\n<appSettings><add key=\"a\" key=\"b\"/></appSettings>\n</configuration>",
        );
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (2, 27)));
    }

    #[test]
    fn text_outside_the_root_is_an_error_but_comments_and_pis_are_not() {
        assert!(parse("<?xml version=\"1.0\"?>\n<!-- c -->\n<?pi x?>\n<configuration/>\n<!-- after -->\n<?pi y?>\n").is_ok());
        let e = err("<configuration/>\nx");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (2, 1)));
        let e = err("  x<configuration/>");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 3)));
        let e = err("<configuration/><configuration/>");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 17)));
    }

    #[test]
    fn the_xml_declaration_must_come_first() {
        let e = err(" <?xml version=\"1.0\"?><configuration/>");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (1, 2)));
    }

    #[test]
    fn a_doctype_is_allowed_only_before_the_root() {
        assert!(parse("<!DOCTYPE configuration>\n<configuration/>").is_ok());
        assert_eq!(
            err("<configuration><!DOCTYPE configuration></configuration>").code,
            codes::CONFIG_XML
        );
    }

    #[test]
    fn unclosed_elements_name_where_they_open() {
        let e = err("<configuration>\n  <startup>\n");
        assert_eq!((e.code, at(&e)), (codes::CONFIG_XML, (3, 1)));
        assert!(e.message.contains("</startup>"), "{e}");
        assert_eq!(e.notes, ["<startup> opens at app.exe.config:2:3"]);
    }

    #[test]
    fn depth_is_capped_at_max_depth() {
        let nest = |n: usize| {
            format!(
                "<configuration>{}{}</configuration>",
                "<a>".repeat(n - 1),
                "</a>".repeat(n - 1)
            )
        };
        assert!(parse(&nest(MAX_DEPTH)).is_ok());
        let e = err(&nest(MAX_DEPTH + 1));
        assert_eq!(
            (e.code, at(&e)),
            (codes::CONFIG_TOO_DEEP, (1, 16 + 3 * (MAX_DEPTH as u32 - 1)))
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = err("<configuration><é/><startup><supportedRuntime/></startup></configuration>");
        assert_eq!(at(&e), (1, 29));
    }

    #[test]
    fn utf16_with_a_byte_order_mark_in_either_order() {
        let text = r#"<configuration><startup><supportedRuntime version="v4.0"/></startup></configuration>"#;
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        for bytes in [le, be] {
            let c = parse_config("f", &bytes).unwrap();
            assert_eq!(c.startup.unwrap().supported_runtimes[0].version, "v4.0");
        }
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_recognised_by_its_declaration() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?><configuration/>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert!(parse_config("f", &le).is_ok());
        assert!(parse_config("f", &be).is_ok());
    }

    #[test]
    fn a_utf8_byte_order_mark_is_skipped() {
        assert!(parse_config("f", b"\xEF\xBB\xBF<configuration/>").is_ok());
    }

    #[test]
    fn bad_encodings_are_located_errors() {
        let e = parse_config(
            "app.exe.config",
            b"<configuration>\n<a v=\"\xE9\"/></configuration>",
        )
        .unwrap_err();
        assert_eq!((e.code, at(&e)), (codes::CONFIG_ENCODING, (2, 7)));
        let e = parse_config("app.exe.config", &[0xFF, 0xFE, b'<', 0, b'a']).unwrap_err();
        assert_eq!((e.code, at(&e)), (codes::CONFIG_ENCODING, (1, 2)));
        let e = parse_config("app.exe.config", &[0xFF, 0xFE, b'<', 0, 0x00, 0xDC]).unwrap_err();
        assert_eq!((e.code, at(&e)), (codes::CONFIG_ENCODING, (1, 2)));
    }

    #[test]
    fn errors_render_the_line_and_a_caret() {
        let e = err(
            "<configuration>\n  <startup useLegacyV2RuntimeActivationPolicy=\"on\"/>\n</configuration>",
        );
        let shown = e.to_string();
        assert!(
            shown.starts_with("app.exe.config:2:12: error[config-bad-value]: "),
            "{shown}"
        );
        assert!(shown.contains("\n  |            ^"), "{shown}");
    }
}
