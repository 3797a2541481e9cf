//! The diagnostic codes a scenario load reports, each declared once with what it means.
//! `docs/diagnostics.md` says when each is reported and what to do about it.
//!
//! Loading stops at the first error. The `.reg` files, manifests and configuration files a
//! scenario names report their own crates' codes.

use comsim_diag::{Code, CodeInfo};

pub const SCENARIO_IO: Code = Code::new(&CodeInfo::new(
    "scenario-io",
    "the scenario, its directory or a file it names cannot be read",
));
pub const SCENARIO_TOO_LARGE: Code = Code::new(&CodeInfo::new(
    "scenario-too-large",
    "a file the scenario uses is larger than 64 MiB",
));
pub const SCENARIO_PATH: Code = Code::new(&CodeInfo::new(
    "scenario-path",
    "a file name that is empty, absolute, or leads outside the scenario's directory",
));
pub const SCENARIO_MISSING_FILE: Code = Code::new(&CodeInfo::new(
    "scenario-missing-file",
    "a file the scenario names does not exist",
));
pub const SCENARIO_ENCODING: Code = Code::new(&CodeInfo::new(
    "scenario-encoding",
    "the scenario file is not UTF-8",
));
pub const SCENARIO_SYNTAX: Code = Code::new(&CodeInfo::new(
    "scenario-syntax",
    "the scenario file is not TOML",
));
pub const SCENARIO_FIELD: Code = Code::new(&CodeInfo::new(
    "scenario-field",
    "a key that is unknown, missing, of the wrong TOML type, or not allowed with another",
));
pub const SCENARIO_VALUE: Code = Code::new(&CodeInfo::new(
    "scenario-value",
    "a value that is not one its key takes, or one the machine cannot honour",
));
pub const SCENARIO_SWITCH: Code = Code::new(&CodeInfo::new(
    "scenario-switch",
    "an unknown behaviour switch, or a value the switch does not take",
));
pub const SCENARIO_GUID: Code = Code::new(&CodeInfo::new(
    "scenario-guid",
    "a value that must be a GUID is not one",
));
pub const SCENARIO_RUNTIME: Code = Code::new(&CodeInfo::new(
    "scenario-runtime",
    "a CLR version that is malformed, not a full version, or listed twice",
));
pub const SCENARIO_WINPATH: Code = Code::new(&CodeInfo::new(
    "scenario-winpath",
    "a Windows path that is malformed or names only a drive",
));
pub const SCENARIO_VERSION: Code = Code::new(&CodeInfo::new(
    "scenario-version",
    "an assembly version that is not four numbers up to 65535",
));
pub const SCENARIO_DUPLICATE_FILE: Code = Code::new(&CodeInfo::new(
    "scenario-duplicate-file",
    "two files of the machine at one path",
));
pub const SCENARIO_DUPLICATE_TYPE: Code = Code::new(&CodeInfo::new(
    "scenario-duplicate-type",
    "an assembly that defines one type twice",
));
pub const SCENARIO_GAC: Code = Code::new(&CodeInfo::new(
    "scenario-gac",
    "an assembly put in a GAC that the CLR's gacutil would refuse",
));
pub const SCENARIO_PE: Code = Code::new(&CodeInfo::new(
    "scenario-pe",
    "an image that is not a usable PE file, or not of its stated bitness",
));
pub const SCENARIO_PROCESS: Code = Code::new(&CodeInfo::new(
    "scenario-process",
    "a process whose program is not one of the machine, or does not match its client, bitness or OS",
));
pub const SCENARIO_STEP: Code = Code::new(&CodeInfo::new(
    "scenario-step",
    "a step that makes no request, several, or one this process or machine cannot make",
));
pub const SCENARIO_EXPECT: Code = Code::new(&CodeInfo::new(
    "scenario-expect",
    "an expectation with an unknown outcome field, a value of the wrong type, or a field twice",
));
pub const SCENARIO_UNSUPPORTED: Code = Code::new(&CodeInfo::new(
    "scenario-unsupported",
    "a regasm step whose outcome comsim cannot reproduce faithfully",
));
pub const REPLAY_SWITCH: Code = Code::new(&CodeInfo::new(
    "replay-switch",
    "a switch given to the replay is not NAME=VALUE with a known switch and one of its values",
));
pub const SNAPSHOT_SYNTAX: Code = Code::new(&CodeInfo::new(
    "snapshot-syntax",
    "a stored snapshot is not in the snapshot form this comsim writes",
));
pub const CHECK_IO: Code = Code::new(&CodeInfo::new(
    "check-io",
    "a directory to check, or a snapshot, cannot be read or written",
));

pub const SCENARIO_ASSEMBLY_SOURCE: Code = Code::new(&CodeInfo::new(
    "scenario-assembly-source",
    "an assembly's `source` file is not a .NET assembly comsim reads, or disagrees with the TOML",
));

/// Every code a scenario load, replay or check reports.
pub const ALL: &[Code] = &[
    SCENARIO_ASSEMBLY_SOURCE,
    SCENARIO_IO,
    SCENARIO_TOO_LARGE,
    SCENARIO_PATH,
    SCENARIO_MISSING_FILE,
    SCENARIO_ENCODING,
    SCENARIO_SYNTAX,
    SCENARIO_FIELD,
    SCENARIO_VALUE,
    SCENARIO_SWITCH,
    SCENARIO_GUID,
    SCENARIO_RUNTIME,
    SCENARIO_WINPATH,
    SCENARIO_VERSION,
    SCENARIO_DUPLICATE_FILE,
    SCENARIO_DUPLICATE_TYPE,
    SCENARIO_GAC,
    SCENARIO_PE,
    SCENARIO_PROCESS,
    SCENARIO_STEP,
    SCENARIO_EXPECT,
    SCENARIO_UNSUPPORTED,
    REPLAY_SWITCH,
    SNAPSHOT_SYNTAX,
    CHECK_IO,
];
