//! regasm's command line: `RegAsm AssemblyName [Options]`. Options start with `/` or `-`, are
//! case-insensitive and may be shortened to any unique prefix (`/n` is `/nologo`, `/t:x.tlb` is
//! `/tlb:x.tlb`) [docs S1]; `/?` asks for the usage text.

use std::fmt;

/// Whether an option takes a `:value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Optional,
    Required,
}

/// regasm's options as its usage screen lists them, in that order.
const OPTIONS: &[(&str, Arg)] = &[
    ("unregister", Arg::None),
    ("tlb", Arg::Optional),
    ("regfile", Arg::Optional),
    ("codebase", Arg::None),
    ("registered", Arg::None),
    ("asmpath", Arg::Required),
    ("nologo", Arg::None),
    ("silent", Arg::None),
    ("verbose", Arg::None),
    ("help", Arg::None),
];

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The assembly as typed (a path, resolved against the current directory).
    pub assembly: Option<String>,
    pub unregister: bool,
    /// `/tlb` (`Some(None)`) or `/tlb:file` (`Some(Some(file))`).
    pub tlb: Option<Option<String>>,
    /// `/regfile` or `/regfile:file`.
    pub regfile: Option<Option<String>>,
    pub codebase: bool,
    pub registered: bool,
    pub asmpath: Vec<String>,
    pub nologo: bool,
    pub silent: bool,
    pub verbose: bool,
    /// `/?` or `/help`.
    pub help: bool,
}

/// A command line regasm refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    /// Not one of the options, nor a prefix of one.
    Unknown(String),
    /// A prefix of several options.
    Ambiguous(String, Vec<&'static str>),
    /// `/asmpath` without `:directory`.
    MissingValue(&'static str),
    /// `:value` after an option that takes none.
    UnexpectedValue(&'static str),
    /// A second assembly name.
    SecondAssembly(String),
    /// `/regfile` with `/u` or with `/tlb` (ASM-7).
    RegfileWith(&'static str),
    /// `/asmpath` without `/regfile` [docs S1].
    AsmpathWithoutRegfile,
}

impl fmt::Display for ArgError {
    // regasm's own wording for these was not found in any stored capture (only its resource names,
    // Err_UnknownOption, Err_AmbigousOption, Err_CannotGenRegFileForUnregister,
    // Err_CannotGenRegFileAndExpTlb); these sentences are comsim's, in regasm's style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Unknown(o) => write!(f, "Unknown option: {o}"),
            ArgError::Ambiguous(o, names) => write!(
                f,
                "Ambiguous option: {o} (it may be /{})",
                names.join(", /")
            ),
            ArgError::MissingValue(o) => write!(f, "The /{o} option requires a value"),
            ArgError::UnexpectedValue(o) => write!(f, "The /{o} option does not take a value"),
            ArgError::SecondAssembly(a) => {
                write!(
                    f,
                    "Only one assembly may be specified; '{a}' is a second one"
                )
            }
            ArgError::RegfileWith("unregister") => {
                f.write_str("The /regfile option cannot be used with the /u option")
            }
            ArgError::RegfileWith(o) => {
                write!(f, "The /regfile option cannot be used with the /{o} option")
            }
            ArgError::AsmpathWithoutRegfile => {
                f.write_str("The /asmpath option can only be used with the /regfile option")
            }
        }
    }
}

/// Parses regasm's arguments (everything after `RegAsm.exe`).
pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Options, ArgError> {
    let mut o = Options::default();
    for arg in args {
        let arg = arg.as_ref();
        let Some(body) = arg.strip_prefix(['/', '-']).filter(|b| !b.is_empty()) else {
            if o.assembly.is_some() {
                return Err(ArgError::SecondAssembly(arg.to_owned()));
            }
            o.assembly = Some(arg.to_owned());
            continue;
        };
        let (name, value) = match body.split_once(':') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        if name == "?" {
            o.help = true;
            continue;
        }
        let (option, kind) = lookup(name).map_err(|names| {
            if names.is_empty() {
                ArgError::Unknown(arg.to_owned())
            } else {
                ArgError::Ambiguous(arg.to_owned(), names)
            }
        })?;
        match (kind, &value) {
            (Arg::None, Some(_)) => return Err(ArgError::UnexpectedValue(option)),
            (Arg::Required, None) => return Err(ArgError::MissingValue(option)),
            _ => {}
        }
        match option {
            "unregister" => o.unregister = true,
            "tlb" => o.tlb = Some(value.filter(|v| !v.is_empty())),
            "regfile" => o.regfile = Some(value.filter(|v| !v.is_empty())),
            "codebase" => o.codebase = true,
            "registered" => o.registered = true,
            "asmpath" => o.asmpath.extend(value),
            "nologo" => o.nologo = true,
            "silent" => o.silent = true,
            "verbose" => o.verbose = true,
            _ => o.help = true,
        }
    }
    if o.regfile.is_some() {
        if o.unregister {
            return Err(ArgError::RegfileWith("unregister"));
        }
        if o.tlb.is_some() {
            return Err(ArgError::RegfileWith("tlb"));
        }
    } else if !o.asmpath.is_empty() {
        return Err(ArgError::AsmpathWithoutRegfile);
    }
    Ok(o)
}

/// The option a name spells: itself, or the only option it is a prefix of. `Err` lists the
/// candidates (empty when there are none).
fn lookup(name: &str) -> Result<(&'static str, Arg), Vec<&'static str>> {
    let lower = name.to_ascii_lowercase();
    if let Some(&(n, k)) = OPTIONS.iter().find(|(n, _)| *n == lower) {
        return Ok((n, k));
    }
    let matches: Vec<(&'static str, Arg)> = OPTIONS
        .iter()
        .copied()
        .filter(|(n, _)| n.starts_with(&lower))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        _ => Err(matches.iter().map(|(n, _)| *n).collect()),
    }
}

/// The usage screen (RegAsm 4.8's, as captured on the "xcyclopedia" RegAsm.exe page of
/// strontic.github.io: source S6 of `docs/rules.md`).
pub const USAGE: &[&str] = &[
    "Syntax: RegAsm AssemblyName [Options]",
    "Options:",
    "    /unregister          Unregister types",
    "    /tlb[:FileName]      Export the assembly to the specified type library",
    "                         and register it",
    "    /regfile[:FileName]  Generate a reg file with the specified name",
    "                         instead of registering the types. This option",
    "                         cannot be used with the /u or /tlb options",
    "    /codebase            Set the code base in the registry",
    "    /registered          Only refer to already registered type libraries",
    "    /asmpath:Directory   Look for assembly references here",
    "    /nologo              Prevents RegAsm from displaying logo",
    "    /silent              Silent mode. Prevents displaying of success messages",
    "    /verbose             Displays extra information",
    "    /? or /help          Display this usage message",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_case_insensitive_and_take_unique_prefixes() {
        let o = parse(&["Foo.dll", "/CODEBASE", "-n", "/s", "/u"]).unwrap();
        assert_eq!(o.assembly.as_deref(), Some("Foo.dll"));
        assert!(o.codebase && o.nologo && o.silent && o.unregister);
        let o = parse(&["/t:out.tlb", "Foo.dll"]).unwrap();
        assert_eq!(o.tlb, Some(Some("out.tlb".to_owned())));
        let o = parse(&["Foo.dll", "/regf"]).unwrap();
        assert_eq!(o.regfile, Some(None));
    }

    #[test]
    fn a_prefix_of_two_options_is_ambiguous() {
        assert_eq!(
            parse(&["Foo.dll", "/reg"]),
            Err(ArgError::Ambiguous(
                "/reg".to_owned(),
                vec!["regfile", "registered"]
            ))
        );
    }

    #[test]
    fn unknown_options_and_values_are_refused() {
        assert_eq!(
            parse(&["Foo.dll", "/x"]),
            Err(ArgError::Unknown("/x".to_owned()))
        );
        assert_eq!(
            parse(&["Foo.dll", "/codebase:yes"]),
            Err(ArgError::UnexpectedValue("codebase"))
        );
        assert_eq!(
            parse(&["Foo.dll", "/regfile", "/asmpath"]),
            Err(ArgError::MissingValue("asmpath"))
        );
        assert_eq!(
            parse(&["Foo.dll", "Bar.dll"]),
            Err(ArgError::SecondAssembly("Bar.dll".to_owned()))
        );
    }

    #[test]
    fn asm7_regfile_cannot_be_combined_with_u_or_tlb() {
        assert_eq!(
            parse(&["Foo.dll", "/regfile", "/u"]),
            Err(ArgError::RegfileWith("unregister"))
        );
        assert_eq!(
            parse(&["Foo.dll", "/regfile:x.reg", "/tlb"]),
            Err(ArgError::RegfileWith("tlb"))
        );
        assert_eq!(
            parse(&["Foo.dll", "/asmpath:C:\\refs"]),
            Err(ArgError::AsmpathWithoutRegfile)
        );
    }

    #[test]
    fn question_mark_and_help_ask_for_usage() {
        assert!(parse(&["/?"]).unwrap().help);
        assert!(parse(&["/HELP"]).unwrap().help);
        assert!(parse(&["/h"]).unwrap().help);
    }
}
