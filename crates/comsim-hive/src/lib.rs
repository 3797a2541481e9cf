//! A read-only reader of Windows registry hive files (the `regf` format), loading a hive into
//! comsim's [`Registry`] under a mount point (`HKLM\SOFTWARE` for a SOFTWARE hive, `HKCU` for
//! `NTUSER.DAT`, `HKCU\Software\Classes` for `UsrClass.dat`; [`resolve_mount`]).
//!
//! Values keep their type number and their bytes exactly as stored, as the `.reg` import keeps
//! them. Bad input never panics: every read is bounds-checked, every reference must land on the
//! start of an allocated cell and may be followed once (so a cycle or a shared list is an error,
//! and the work is linear in the file's size), keys nest at most 512 levels, and an error names
//! the file, the byte offset and what was expected there. A hive with changes still in its
//! transaction logs is refused (`hive-dirty`), with how to get a clean copy.

pub mod codes;

mod base;
mod cells;
mod mount;
mod records;
mod source;

use std::path::Path;

use comsim_diag::{Diagnostic, Progress, Silent, Work};
use comsim_registry::{KeyId, KeyPath, MAX_DEPTH, Registry, names_equal};

pub use mount::{MountSource, guess_mount, resolve_mount, split_hive_arg};

use base::{BASE_BLOCK_LEN, BaseBlock, at};
use cells::Cells;
use source::{Bins, Paged};

/// What a load read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadReport {
    /// Keys loaded, the hive's root key included.
    pub keys: usize,
    pub values: usize,
    /// The hive's format version, 1.`minor`.
    pub minor_version: u32,
}

/// Reads the hive file at `path` (named `display` in diagnostics) into `reg` at `mount`,
/// keeping only the keys on the way to `only` and below it (relative to the hive's root; empty:
/// the whole hive). The file is read a piece at a time (`source.rs`), never held whole.
pub fn load_file(
    reg: &mut Registry,
    path: &Path,
    display: &str,
    mount: &KeyPath,
    only: &[String],
) -> Result<LoadReport, Diagnostic> {
    load_file_with_progress(reg, path, display, mount, only, &mut Silent)
}

/// [`load_file`], saying how far it has got to `progress`: one piece of work named `display`,
/// counted in the file's bytes (the base block and the bytes of the cells followed so far; the
/// whole file at the end), reported every 64 KiB of cells or so. The load's result is the same.
pub fn load_file_with_progress(
    reg: &mut Registry,
    path: &Path,
    display: &str,
    mount: &KeyPath,
    only: &[String],
    progress: &mut dyn Progress,
) -> Result<LoadReport, Diagnostic> {
    comsim_diag::progress::piece(progress, display, Work::Bytes, |progress| {
        let io = |e: std::io::Error| {
            Diagnostic::error(
                codes::HIVE_IO,
                format!("{display}: cannot read the hive file: {e}"),
            )
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let file_len = usize::try_from(file.metadata().map_err(io)?.len()).unwrap_or(usize::MAX);
        let mut head = vec![0; BASE_BLOCK_LEN.min(file_len)];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).map_err(io)?;
        let base = base::read_base_block(display, &head, file_len)?;
        drop(head);
        let bins = Bins::File(Paged::new(file, base.bins_len));
        let scope = Scope { mount, only };
        load(reg, display, (base, bins, file_len as u64), scope, progress)
    })
}

/// Reads hive `bytes` (a file named `file` in diagnostics) into `reg` at `mount`; see
/// [`load_file`].
pub fn load_bytes(
    reg: &mut Registry,
    file: &str,
    bytes: &[u8],
    mount: &KeyPath,
    only: &[String],
) -> Result<LoadReport, Diagnostic> {
    let base = base::read_base_block(file, bytes, bytes.len())?;
    let bins = Bins::Bytes(&bytes[BASE_BLOCK_LEN..BASE_BLOCK_LEN + base.bins_len]);
    let scope = Scope { mount, only };
    load(
        reg,
        file,
        (base, bins, bytes.len() as u64),
        scope,
        &mut Silent,
    )
}

/// Where a hive goes: its mount point, and the path below it that is kept (empty: all of it).
#[derive(Clone, Copy)]
struct Scope<'s> {
    mount: &'s KeyPath,
    only: &'s [String],
}

/// How often a load reports progress: every this many bytes of cells followed.
const REPORT_EVERY: u64 = 64 * 1024;

/// Loads the hive whose base block, bins and file length are `hive` into `reg` at `scope`.
fn load(
    reg: &mut Registry,
    file: &str,
    hive: (BaseBlock, Bins<'_>, u64),
    Scope { mount, only }: Scope<'_>,
    progress: &mut dyn Progress,
) -> Result<LoadReport, Diagnostic> {
    let (base, mut bins, total) = hive;
    let starts = base::scan_bins(file, &mut bins)?;
    let mut cells = Cells::new(file, bins, starts, base.minor);
    let Some(hive) = mount.root.hive() else {
        return Err(Diagnostic::error(
            codes::HIVE_MOUNT,
            format!("{file}: a hive cannot be mounted under {}", mount.root),
        ));
    };
    let top = reg
        .create_path(reg.root(hive), &mount.components)
        .map_err(|e| {
            Diagnostic::error(
                codes::HIVE_MOUNT,
                format!("{file}: cannot create the mount point {mount}: {e}"),
            )
        })?;
    let mut report = LoadReport {
        keys: 0,
        values: 0,
        minor_version: base.minor,
    };
    let mut tell =
        |followed: u64| progress.advance((BASE_BLOCK_LEN as u64 + followed).min(total), total);
    walk(
        reg,
        &mut cells,
        base.root,
        (top, Scope { mount, only }),
        &mut report,
        &mut tell,
    )?;
    progress.advance(total, total);
    Ok(report)
}

/// A key still to read: its cell, the registry key it goes under, its depth below the hive's
/// root, and the file offset that refers to it.
struct Pending {
    off: u32,
    parent: Option<KeyId>,
    depth: usize,
    from: usize,
}

/// Reads every key from the root down, depth first with an explicit stack.
/// Tells `tell` the bytes of cells followed, every [`REPORT_EVERY`] of them or so.
fn walk(
    reg: &mut Registry,
    cells: &mut Cells<'_>,
    root: u32,
    (top, Scope { mount, only }): (KeyId, Scope<'_>),
    report: &mut LoadReport,
    tell: &mut dyn FnMut(u64),
) -> Result<(), Diagnostic> {
    let mut next_report = REPORT_EVERY;
    let mut stack = vec![Pending {
        off: root,
        parent: None,
        depth: 0,
        from: 36, // the base block's root cell field
    }];
    while let Some(p) = stack.pop() {
        if cells.followed >= next_report {
            tell(cells.followed);
            next_report = cells.followed + REPORT_EVERY;
        }
        let key = records::read_key(cells, p.off, p.from)?;
        if p.depth > 0 && p.depth <= only.len() && !names_equal(&key.name, &only[p.depth - 1]) {
            continue;
        }
        if mount.components.len() + p.depth > MAX_DEPTH {
            return Err(at(
                cells.file,
                key.abs,
                codes::HIVE_DEPTH,
                format!(
                    "the key `{}` is more than {MAX_DEPTH} levels deep",
                    key.name
                ),
            ));
        }
        let id = match p.parent {
            None => top,
            Some(parent) => {
                if key.name.is_empty() {
                    return Err(at(
                        cells.file,
                        key.abs + 72,
                        codes::HIVE_NAME,
                        "a key with an empty name",
                    ));
                }
                reg.create_child(parent, &key.name).map_err(|e| {
                    at(
                        cells.file,
                        key.abs + 76,
                        codes::HIVE_NAME,
                        format!("the registry refuses the key `{}`: {e}", key.name),
                    )
                })?
            }
        };
        let values = records::values(cells, &key)?;
        report.keys += 1;
        report.values += values.len();
        reg.set_values(id, values).map_err(|e| {
            at(
                cells.file,
                key.abs,
                codes::HIVE_NAME,
                format!("the registry refuses a value of `{}`: {e}", key.name),
            )
        })?;
        let children = records::subkeys(cells, &key)?;
        // Pushed in reverse, so that keys are read in the list's order.
        for (off, from) in children.into_iter().rev() {
            stack.push(Pending {
                off,
                parent: Some(id),
                depth: p.depth + 1,
                from,
            });
        }
    }
    Ok(())
}
