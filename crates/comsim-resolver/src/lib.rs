//! comsim's resolver: the activation path of a COM class that may be managed, walked over a
//! [`Machine`] for a [`Process`], ending in an [`Outcome`] with a [`Trace`] that cites a rule of
//! `rules.md` at every step.
//!
//! One module per rule group:
//!
//! - [`req`]: REQ-1..REQ-5, the requests and their dispatch ([`Session::request`]).
//! - [`sxs`]: SXS-1..SXS-8, the activation context at start and LoadCOMClass's lookup in it.
//! - [`reg`]: REG-1..REG-3, the registry view and access each reader uses.
//! - [`shimreg`]: SHIM-REG-1..SHIM-REG-8, the CLR's read of a registration.
//! - [`lcc`]: LCC2-*, LCC4-*, LCC-6, `AppDomain::LoadCOMClass`.
//! - [`bind`]: BIND-1..BIND-7, binding the assembly and finding the type.
//! - [`com`]: COM-1..COM-5, CoCreateInstance and apartments.
//! - [`shim`]: SHIM-1..SHIM-5, mscoree, the runtime chosen and the config.
//! - [`hresult`]: MSG-1..MSG-6, the HRESULTs and the texts the user sees.
//!
//! Around them: [`session`] (the process's state and start), [`machine`], [`vfs`], [`process`],
//! [`outcome`], [`trace`], [`switches`] (the inferred rules' switches) and [`clrguid`].

pub mod bind;
pub mod bind_memo;
pub mod clrguid;
pub mod com;
pub mod hresult;
pub mod lcc;
pub mod machine;
pub mod outcome;
pub mod process;
pub mod reg;
pub mod req;
pub mod session;
pub mod shim;
pub mod shimreg;
pub mod switches;
pub mod sxs;
pub mod trace;
pub mod vfs;

pub use com::{ObjectApartment, ThreadingModel};
pub use comsim_manifest::lookup::RegistrationKind;
pub use comsim_rules::Group;
pub use hresult::{HResult, HexText};
pub use machine::{
    AssemblyInfo, Bitness, ListIndex, Machine, NativeImage, NotModelled, PrimaryInterop,
    ProcessorArchitecture, ProgramFolder, ProgramFolders, Readers, RuntimeVersion, TypeIndex,
    TypeInfo, TypeKind,
};
pub use outcome::{LoadedType, Outcome, Server, ServerKind, Source};
pub use process::{
    Apartment, ClassRef, ClientKind, ClsCtx, ExplicitContext, MainSta, Process, Request, Threads,
};
pub use session::{Run, Session};
pub use shim::ClientRuntime;
pub use switches::{SWITCHES, Switches};
pub use trace::{
    Assumption, BindContext, BindFacts, Prose, Rule, Step, Trace, TraceMode, TraceStep,
};
pub use vfs::{FileKind, VFile, Vfs, WinPath};
