//! Running `probe64.exe` under Wine (one process per case, see [`crate::wine`]) and reading what
//! it prints.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use crate::wine::{Wine, dos_path};

/// A probe normally takes a tenth of a second; Wine 8.0 loops forever on some manifests.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// One of the four questions the probe asks per GUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Query {
    Any,
    Class,
    Surrogate,
    ComServer,
}

impl Query {
    pub const ALL: [Query; 4] = [Query::Any, Query::Class, Query::Surrogate, Query::ComServer];

    pub fn name(self) -> &'static str {
        match self {
            Query::Any => "any",
            Query::Class => "class",
            Query::Surrogate => "surrogate",
            Query::ComServer => "comserver",
        }
    }

    /// The error a miss gives: ERROR_NOT_FOUND from `SxsLookupClrGuid`, ERROR_SXS_KEY_NOT_FOUND
    /// from `FindActCtxSectionGuid`.
    pub fn miss_code(self) -> u32 {
        match self {
            Query::ComServer => 14007,
            _ => 1168,
        }
    }
}

/// What `SxsLookupClrGuid` returned on a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub flags: u32,
    /// `None` for a NULL pointer (`(null)`).
    pub runtime: Option<String>,
    pub type_name: String,
    pub identity: String,
}

/// One answer, from either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A lookup hit (with its data), or a comserver hit (`None`).
    Hit(Option<Info>),
    Fail(u32),
    /// The call raised this exception (only Wine does).
    Crash(String),
    /// Wine printed no line for this question (the process died or hung before it).
    NoLine,
}

impl Answer {
    /// The same answer; a crash matches a crash whatever the exception code.
    pub fn same(&self, other: &Answer) -> bool {
        match (self, other) {
            (Answer::Crash(_), Answer::Crash(_)) => true,
            _ => self == other,
        }
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Hit(None) => write!(f, "ok"),
            Answer::Hit(Some(i)) => write!(
                f,
                "ok flags={} runtime={} type={} identity={}",
                i.flags,
                i.runtime.as_deref().unwrap_or("(null)"),
                i.type_name,
                i.identity
            ),
            Answer::Fail(code) => write!(f, "fail {code}"),
            Answer::Crash(code) if code.is_empty() => write!(f, "crash"),
            Answer::Crash(code) => write!(f, "crash {code}"),
            Answer::NoLine => write!(f, "(no line)"),
        }
    }
}

/// What the probe said about the activation context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    Created,
    /// `actctx error N`.
    Error(u32),
    /// `activate error N`.
    ActivateError(u32),
}

/// The answers, keyed by the GUID as the probe prints it (upper case, braces) and the question.
pub type Answers = BTreeMap<(String, Query), Answer>;

/// Everything one probe run printed, read.
#[derive(Debug, Clone)]
pub struct Output {
    pub context: Context,
    pub answers: Answers,
    /// Lines that are not the probe's (crash dumps and the like), for the report.
    pub other: Vec<String>,
    pub exit: Option<i32>,
    pub timed_out: bool,
}

/// Reads the probe's lines (see tests/conformance/sxs/README.md).
pub fn parse_output(text: &str) -> Result<(Context, Answers), String> {
    let mut context = Context::Created;
    let mut answers = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(code) = line.strip_prefix("actctx error ") {
            context = Context::Error(code.trim().parse().map_err(|_| bad(line))?);
            continue;
        }
        if let Some(code) = line.strip_prefix("activate error ") {
            context = Context::ActivateError(code.trim().parse().map_err(|_| bad(line))?);
            continue;
        }
        if let Some(rest) = line.strip_prefix("comserver ") {
            let (guid, rest) = rest.split_once(' ').ok_or_else(|| bad(line))?;
            let answer = if rest == "ok" {
                Answer::Hit(None)
            } else {
                fail_or_crash(rest).ok_or_else(|| bad(line))?
            };
            answers.insert((guid.to_owned(), Query::ComServer), answer);
            continue;
        }
        if let Some(rest) = line.strip_prefix("lookup ") {
            let (guid, rest) = rest.split_once(' ').ok_or_else(|| bad(line))?;
            let (find, rest) = rest.split_once(' ').ok_or_else(|| bad(line))?;
            let query = match find {
                "any" => Query::Any,
                "class" => Query::Class,
                "surrogate" => Query::Surrogate,
                _ => return Err(bad(line)),
            };
            let answer = match rest.strip_prefix("ok ") {
                Some(ok) => Answer::Hit(Some(parse_info(ok).ok_or_else(|| bad(line))?)),
                None => fail_or_crash(rest).ok_or_else(|| bad(line))?,
            };
            answers.insert((guid.to_owned(), query), answer);
        }
    }
    Ok((context, answers))
}

fn bad(line: &str) -> String {
    format!("unexpected probe line `{line}`")
}

fn fail_or_crash(rest: &str) -> Option<Answer> {
    if let Some(code) = rest.strip_prefix("fail ") {
        return code.trim().parse().ok().map(Answer::Fail);
    }
    rest.strip_prefix("crash ")
        .map(|code| Answer::Crash(code.trim().to_owned()))
}

/// `flags=N runtime=S type=S identity=S`; the strings may hold spaces, so each field runs up to
/// the next field's name.
fn parse_info(s: &str) -> Option<Info> {
    let rest = s.strip_prefix("flags=")?;
    let (flags, rest) = rest.split_once(" runtime=")?;
    let (runtime, rest) = rest.split_once(" type=")?;
    let (type_name, identity) = rest.split_once(" identity=")?;
    Some(Info {
        flags: flags.parse().ok()?,
        runtime: (runtime != "(null)").then(|| runtime.to_owned()),
        type_name: type_name.to_owned(),
        identity: identity.to_owned(),
    })
}

/// `wine probe64.exe MANIFEST APPDIR GUID...` in `wine`'s prefix, and what it printed.
pub fn probe(wine: &Wine, exe: &Path, manifest: &Path, dir: &Path, guids: &[String]) -> Output {
    let mut args: Vec<OsString> = vec![
        exe.as_os_str().to_owned(),
        dos_path(manifest).into(),
        dos_path(dir).into(),
    ];
    args.extend(guids.iter().map(OsString::from));
    let (exit, text, timed_out) = match wine.run("wine", &args, PROBE_TIMEOUT) {
        Ok(o) => (o.code, o.output, o.timed_out),
        Err(e) => (None, format!("cannot run wine: {e}"), false),
    };
    let (context, answers, mut other) = match parse_output(&text) {
        Ok((c, a)) => (c, a, Vec::new()),
        Err(e) => (Context::Created, BTreeMap::new(), vec![e]),
    };
    other.extend(
        text.lines()
            .filter(|l| {
                !["lookup ", "comserver ", "actctx ", "activate "]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .take(5)
            .map(str::to_owned),
    );
    Output {
        context,
        answers,
        other,
        exit,
        timed_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_probe_line() {
        let text = "lookup {19F7F420-4CC5-4B0D-8A82-C24645C0BA1F} any ok flags=2 runtime= v4  type=A B identity=X,version=\"1.0.0.0\"\n\
                    lookup {19F7F420-4CC5-4B0D-8A82-C24645C0BA1F} class crash 0xc0000005\n\
                    lookup {19F7F420-4CC5-4B0D-8A82-C24645C0BA1F} surrogate fail 1168\n\
                    comserver {19F7F420-4CC5-4B0D-8A82-C24645C0BA1F} ok\n\
                    wine: Unhandled page fault\n";
        let (ctx, a) = parse_output(text).unwrap();
        assert_eq!(ctx, Context::Created);
        let g = "{19F7F420-4CC5-4B0D-8A82-C24645C0BA1F}".to_owned();
        assert_eq!(
            a[&(g.clone(), Query::Any)],
            Answer::Hit(Some(Info {
                flags: 2,
                runtime: Some(" v4 ".into()),
                type_name: "A B".into(),
                identity: "X,version=\"1.0.0.0\"".into()
            }))
        );
        assert_eq!(
            a[&(g.clone(), Query::Class)],
            Answer::Crash("0xc0000005".into())
        );
        assert_eq!(a[&(g.clone(), Query::Surrogate)], Answer::Fail(1168));
        assert_eq!(a[&(g, Query::ComServer)], Answer::Hit(None));
        let (ctx, _) = parse_output("actctx error 14001\n").unwrap();
        assert_eq!(ctx, Context::Error(14001));
    }
}
