//! The servers of a machine known from its registry alone (`.reg` exports, hives): the DLL a
//! class's `InprocServer32` names and the executable its `LocalServer32` command line names are
//! taken to be where COM looks for them, of the bitness of the view the registration is in (the
//! 64-bit `regsvr32` writes the 64-bit view, the 32-bit one the 32-bit view), serving the class
//! (an executable also starting and registering its class object). As for the assemblies a
//! `CodeBase` names ([`crate::causes::described`]), the report lists what was assumed. Without
//! this every native class of an export would fail with ERROR_MOD_NOT_FOUND, or
//! CO_E_SERVER_EXEC_FAILURE, for want of a file nobody gave.

use comsim_manifest::Guid;
use comsim_resolver::machine::{NativeImage, Readers};
use comsim_resolver::{Bitness, FileKind, Machine, Switches, VFile, WinPath};

use crate::config::bits;
use crate::registration::Registration;

/// Where an assumed server came from, as traces name a file's origin.
const ORIGIN: &str = "assumed: the native server as its registration describes it";

/// A native server a registration describes: where, of which bitness, and whether it is an
/// executable that starts (a local server) or a DLL. Small, so that many classes' can be
/// described before they are placed; the file is made only when [`place`] puts a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub path: WinPath,
    pub bitness: Bitness,
    pub starts: bool,
}

/// The native servers `reg` names, as a registration in the view of `bitness` describes them:
/// the `InprocServer32` DLL where a process of that bitness looks for it
/// ([`comsim_resolver::com::inproc_server_home`]; not mscoree.dll, whose class is managed and
/// whose assembly is assumed instead), and the `LocalServer32` executable where COM starts it
/// ([`comsim_resolver::com::local_server_home`], expanded as `switches` say). Each of that
/// bitness.
pub fn native_servers(
    m: &Machine,
    switches: &Switches,
    reg: &Registration,
    bitness: Bitness,
) -> Vec<Server> {
    let mut servers = Vec::new();
    let inproc = reg.inproc.as_deref().and_then(|text| {
        comsim_resolver::com::inproc_server_home(m, text, reg.inproc_expandable, bitness)
    });
    if let Some(path) = inproc.filter(|p| !p.file_name().eq_ignore_ascii_case("mscoree.dll")) {
        servers.push(Server {
            path,
            bitness,
            starts: false,
        });
    }
    let local = reg.local_server.as_deref().and_then(|text| {
        let text = (text, reg.local_server_expandable);
        comsim_resolver::com::local_server_home(m, switches, text, bitness)
    });
    if let Some(path) = local {
        servers.push(Server {
            path,
            bitness,
            starts: true,
        });
    }
    servers
}

/// The file of `server`, serving `clsid`.
fn file(server: Server, clsid: Guid) -> VFile {
    VFile {
        path: server.path,
        kind: FileKind::Native(NativeImage {
            bitness: server.bitness,
            serves: vec![clsid],
            serves_index: Default::default(),
            starts: server.starts,
            readable_by: Readers::default(),
        }),
        bytes: Vec::new(),
        embedded_manifest: None,
        origin: ORIGIN.to_owned(),
    }
}

/// What placing an assumed server did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// The file was not there: it is now, and the report says so.
    New,
    /// An assumed server of the same bitness was there already: it serves this class too.
    Shared,
    /// A file was there (one of the machine's, or an assumed one of the other bitness, which a
    /// request of this class then meets as it is): left as it was.
    Kept,
}

/// Puts `server` (from [`native_servers`]) on the machine, serving `clsid`, or adds `clsid` to
/// the assumed server of the same bitness already at its path.
pub fn place(m: &mut Machine, server: Server, clsid: Guid) -> Placed {
    let Some(mut existing) = m.fs.remove(&server.path) else {
        m.fs.write(file(server, clsid));
        return Placed::New;
    };
    let placed = match &mut existing.kind {
        FileKind::Native(n) if existing.origin == ORIGIN && n.bitness == server.bitness => {
            n.starts |= server.starts;
            // Not `serves_class` before the push: that sorts the list again after every change,
            // quadratic when one DLL serves every class of a machine. A class is placed once per
            // view, and a repeat would be harmless (the list is searched, not counted).
            let serves = n.serves_mut();
            if serves.last() != Some(&clsid) {
                serves.push(clsid);
            }
            Placed::Shared
        }
        _ => Placed::Kept,
    };
    m.fs.write(existing);
    placed
}

/// What an assumed server is, for the report: `a 32-bit native DLL`, `a 64-bit executable`.
pub fn what(server: &Server) -> String {
    let kind = if server.starts {
        "executable"
    } else {
        "native DLL"
    };
    format!("a {}-bit {kind}", bits(server.bitness))
}
