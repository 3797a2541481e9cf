//! Manifests embedded in PE files (SXS-1, SXS-2).
//!
//! A side-by-side manifest can live inside an EXE or DLL as an `RT_MANIFEST` (type 24) resource:
//! ID 1 is an application's (or a managed component's) manifest, ID 2 an isolation-aware DLL's own
//! manifest. This module reads those resources from PE32 and PE32+ images with the `object` crate,
//! and returns their bytes untouched; [`parse_manifest`](crate::parse_manifest) sniffs the
//! encoding.
//!
//! The resource directory has three levels: type, then name or ID, then language. Entries come
//! back in directory order, which the linker sorts: named entries first, then IDs ascending, and
//! languages ascending within an ID. Named (string) entries are skipped: the loader asks only for
//! numeric IDs.
//!
//! Bad input never panics: every offset is checked, and a damaged file gives a [`PeError`].

use std::fmt;

use object::LittleEndian as LE;
use object::pe;
use object::read::pe::{
    ImageNtHeaders, PeFile, ResourceDirectory, ResourceDirectoryEntryData, ResourceNameOrId,
};

/// The resource type of side-by-side manifests.
pub const RT_MANIFEST: u16 = 24;

/// The size of the MS-DOS header, which ends with the offset of the PE signature.
const DOS_HEADER_SIZE: usize = 64;
/// The size of the COFF file header that follows the `PE\0\0` signature.
const FILE_HEADER_SIZE: usize = 20;
/// The size of one section header.
const SECTION_HEADER_SIZE: usize = 40;

/// One `RT_MANIFEST` resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedManifest {
    /// The resource ID: 1 for an application or component manifest, 2 for an isolation-aware
    /// DLL's own manifest.
    pub id: u16,
    /// The language ID (LANGID), e.g. 0x0409 for English (United States), 0 for neutral.
    pub language: u16,
    /// The resource's bytes, as stored (UTF-8, or UTF-16 with a byte order mark).
    pub bytes: Vec<u8>,
}

/// Whether an image is PE32 (32-bit) or PE32+ (64-bit), from its optional header's magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeBitness {
    /// PE32: optional header magic 0x10b.
    Pe32,
    /// PE32+: optional header magic 0x20b.
    Pe64,
}

/// Why a file's manifests could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeError {
    /// The bytes are not a PE image (no `MZ`, no `PE\0\0`, or an unknown optional header magic).
    NotPe(String),
    /// The file ends inside a structure that its headers say is there.
    Truncated(&'static str),
    /// The headers are present but inconsistent.
    BadHeaders(String),
    /// The resource directory, or a manifest's data entry, points outside the image or is
    /// shaped wrongly.
    BadResourceDirectory(String),
}

impl fmt::Display for PeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeError::NotPe(why) => write!(f, "not a PE file: {why}"),
            PeError::Truncated(what) => write!(f, "truncated PE file: the file ends inside {what}"),
            PeError::BadHeaders(why) => write!(f, "bad PE headers: {why}"),
            PeError::BadResourceDirectory(why) => write!(f, "bad resource directory: {why}"),
        }
    }
}

impl std::error::Error for PeError {}

/// Every `RT_MANIFEST` resource with a numeric ID, in resource-directory order (IDs ascending,
/// languages ascending within an ID). A PE without resources gives an empty list.
pub fn embedded_manifests(bytes: &[u8]) -> Result<Vec<EmbeddedManifest>, PeError> {
    let mut found = Vec::new();
    walk(bytes, None, &mut found)?;
    Ok(found)
}

/// The `RT_MANIFEST` resource with this ID, in the first language the directory lists for it.
/// Only that ID's entries are read, as `FindResource` would.
pub fn embedded_manifest(bytes: &[u8], id: u16) -> Result<Option<EmbeddedManifest>, PeError> {
    let mut found = Vec::new();
    walk(bytes, Some(id), &mut found)?;
    Ok(found.into_iter().next())
}

/// Whether the image is PE32 or PE32+. The headers and section table are checked as for
/// [`embedded_manifests`].
pub fn pe_machine(bytes: &[u8]) -> Result<PeBitness, PeError> {
    let bitness = check_headers(bytes)?;
    match bitness {
        PeBitness::Pe32 => parse_file::<pe::ImageNtHeaders32>(bytes).map(|_| bitness),
        PeBitness::Pe64 => parse_file::<pe::ImageNtHeaders64>(bytes).map(|_| bitness),
    }
}

fn walk(bytes: &[u8], want: Option<u16>, out: &mut Vec<EmbeddedManifest>) -> Result<(), PeError> {
    match check_headers(bytes)? {
        PeBitness::Pe32 => walk_file(&parse_file::<pe::ImageNtHeaders32>(bytes)?, want, out),
        PeBitness::Pe64 => walk_file(&parse_file::<pe::ImageNtHeaders64>(bytes)?, want, out),
    }
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The checks that tell "not a PE" and "truncated" apart before `object` parses the headers
/// (its errors do not say which).
fn check_headers(bytes: &[u8]) -> Result<PeBitness, PeError> {
    if !bytes.starts_with(b"MZ") {
        return Err(PeError::NotPe("no MZ signature".into()));
    }
    if bytes.len() < DOS_HEADER_SIZE {
        return Err(PeError::Truncated("the MS-DOS header"));
    }
    let nt = read_u32(bytes, 0x3c).ok_or(PeError::Truncated("the MS-DOS header"))? as usize;
    let signature = nt
        .checked_add(4)
        .and_then(|end| bytes.get(nt..end))
        .ok_or(PeError::Truncated("the PE signature"))?;
    if signature != b"PE\0\0" {
        return Err(PeError::NotPe(
            "no PE signature where the MS-DOS header points (an MS-DOS, NE or LE program?)".into(),
        ));
    }
    let file_header = nt + 4;
    let optional_header = file_header + FILE_HEADER_SIZE;
    if bytes.len() < optional_header {
        return Err(PeError::Truncated("the COFF file header"));
    }
    let sections = read_u16(bytes, file_header + 2).unwrap_or(0) as usize;
    let optional_size = read_u16(bytes, file_header + 16).unwrap_or(0) as usize;
    let magic =
        read_u16(bytes, optional_header).ok_or(PeError::Truncated("the optional header"))?;
    let bitness = match magic {
        pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC => PeBitness::Pe32,
        pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC => PeBitness::Pe64,
        other => {
            return Err(PeError::NotPe(format!(
                "unknown optional header magic {other:#06x} (PE32 is 0x010b, PE32+ is 0x020b)"
            )));
        }
    };
    let section_table = optional_header + optional_size;
    if bytes.len() < section_table {
        return Err(PeError::Truncated("the optional header"));
    }
    if bytes.len() < section_table + sections * SECTION_HEADER_SIZE {
        return Err(PeError::Truncated("the section table"));
    }
    Ok(bitness)
}

fn parse_file<Pe: ImageNtHeaders>(bytes: &[u8]) -> Result<PeFile<'_, Pe>, PeError> {
    PeFile::parse(bytes).map_err(|e| PeError::BadHeaders(e.to_string()))
}

/// Whether the section holding `rva` has raw data that runs past the end of the file.
fn section_cut_short<Pe: ImageNtHeaders>(file: &PeFile<'_, Pe>, rva: u32) -> bool {
    let len = file.data().len() as u64;
    file.section_table().iter().any(|s| {
        let start = s.virtual_address.get(LE);
        let size = s.virtual_size.get(LE).max(s.size_of_raw_data.get(LE));
        let raw_end =
            u64::from(s.pointer_to_raw_data.get(LE)) + u64::from(s.size_of_raw_data.get(LE));
        rva.checked_sub(start).is_some_and(|off| off < size) && raw_end > len
    })
}

fn bad(why: impl Into<String>) -> PeError {
    PeError::BadResourceDirectory(why.into())
}

fn walk_file<Pe: ImageNtHeaders>(
    file: &PeFile<'_, Pe>,
    want: Option<u16>,
    out: &mut Vec<EmbeddedManifest>,
) -> Result<(), PeError> {
    let data = file.data();
    let sections = file.section_table();
    let Some(dir) = file.data_directory(pe::IMAGE_DIRECTORY_ENTRY_RESOURCE) else {
        return Ok(());
    };
    let (rsrc_rva, rsrc_size) = dir.address_range();
    if rsrc_size == 0 {
        return Ok(());
    }
    let rsrc = match file.data_directories().resource_directory(data, &sections) {
        Ok(Some(rsrc)) => rsrc,
        Ok(None) => return Ok(()),
        Err(_) if section_cut_short(file, rsrc_rva) => {
            return Err(PeError::Truncated("the resource section"));
        }
        Err(e) => {
            return Err(bad(format!(
                "{e} (resource directory at RVA {rsrc_rva:#x})"
            )));
        }
    };
    let root = rsrc.root().map_err(|e| bad(format!("root table: {e}")))?;
    for type_entry in root.entries {
        if type_entry.name_or_id().id() != Some(RT_MANIFEST) {
            continue;
        }
        let names = table(type_entry, rsrc, "the RT_MANIFEST entry")?;
        for name_entry in names.entries {
            let ResourceNameOrId::Id(id) = name_entry.name_or_id() else {
                continue; // a string name: the loader only looks manifests up by number
            };
            if want.is_some_and(|w| w != id) {
                continue;
            }
            let what = format!("RT_MANIFEST {id}");
            let languages = table(name_entry, rsrc, &what)?;
            for lang_entry in languages.entries {
                let ResourceNameOrId::Id(language) = lang_entry.name_or_id() else {
                    continue; // a language is always a number; a named one is ignored
                };
                let what = format!("RT_MANIFEST {id} language {language:#06x}");
                let leaf = match lang_entry.data(rsrc) {
                    Ok(ResourceDirectoryEntryData::Data(leaf)) => leaf,
                    Ok(ResourceDirectoryEntryData::Table(_)) => {
                        return Err(bad(format!("{what} is a table, not data")));
                    }
                    Err(e) => return Err(bad(format!("{what}: {e}"))),
                };
                let rva = leaf.offset_to_data.get(LE);
                let size = leaf.size.get(LE) as usize;
                let bytes = sections
                    .pe_data_at(data, rva)
                    .and_then(|d| d.get(..size))
                    .ok_or_else(|| {
                        if section_cut_short(file, rva) {
                            PeError::Truncated("a manifest resource's data")
                        } else {
                            bad(format!(
                                "{what}: {size} bytes at RVA {rva:#x} lie outside the sections"
                            ))
                        }
                    })?;
                out.push(EmbeddedManifest {
                    id,
                    language,
                    bytes: bytes.to_vec(),
                });
                if want.is_some() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

fn table<'data>(
    entry: &pe::ImageResourceDirectoryEntry,
    rsrc: ResourceDirectory<'data>,
    what: &str,
) -> Result<object::read::pe::ResourceDirectoryTable<'data>, PeError> {
    match entry.data(rsrc) {
        Ok(ResourceDirectoryEntryData::Table(t)) => Ok(t),
        Ok(ResourceDirectoryEntryData::Data(_)) => Err(bad(format!("{what} is data, not a table"))),
        Err(e) => Err(bad(format!("{what}: {e}"))),
    }
}
