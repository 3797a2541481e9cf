//! The PE side of an assembly: the headers (read with the `object` crate), the machine, PE32 or
//! PE32+, and the CLI header (ECMA-335 II.25.3.3) with its flags and the metadata's place.

use object::LittleEndian as LE;
use object::pe;
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader, PeFile};
use serde::Serialize;

use crate::bytes::{Res, Span, fail};
use crate::codes;

const IMAGE_FILE_DLL: u16 = 0x2000;
const MACHINE_I386: u16 = 0x014c;
const MACHINE_ARMNT: u16 = 0x01c4;
const MACHINE_IA64: u16 = 0x0200;
const MACHINE_AMD64: u16 = 0x8664;
const MACHINE_ARM64: u16 = 0xaa64;

/// `COMIMAGE_FLAGS_ILONLY`: the image holds IL only (no native code).
pub const FLAG_ILONLY: u32 = 0x1;
/// `COMIMAGE_FLAGS_32BITREQUIRED`: the image loads only into a 32-bit process.
pub const FLAG_32BITREQUIRED: u32 = 0x2;
/// `COMIMAGE_FLAGS_STRONGNAMESIGNED`: the image carries a strong-name signature.
pub const FLAG_STRONGNAMESIGNED: u32 = 0x8;
/// `COMIMAGE_FLAGS_32BITPREFERRED`: with 32BITREQUIRED, "AnyCPU, 32-bit preferred".
pub const FLAG_32BITPREFERRED: u32 = 0x2_0000;

/// What the PE headers say, and where the metadata is.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    /// `IMAGE_FILE_HEADER.Machine`, e.g. 0x14c (I386), 0x8664 (AMD64).
    pub machine: u16,
    /// PE32+ (optional header magic 0x20b) rather than PE32.
    pub pe32_plus: bool,
    /// Whether the file is a DLL (`IMAGE_FILE_DLL`).
    pub dll: bool,
    /// The CLI header's `Flags`.
    pub cor_flags: u32,
    /// The CLI header's `MajorRuntimeVersion.MinorRuntimeVersion` (2.5 for every image since
    /// .NET 2.0; 2.0 for 1.x images).
    pub cli_header_version: (u16, u16),
    /// The metadata root and what follows it, as the CLI header's directory gives it.
    pub metadata: Span<'a>,
}

/// Reads the PE headers and the CLI header.
pub fn read_image(bytes: &[u8]) -> Res<Image<'_>> {
    let file = Span::whole(bytes);
    if !bytes.starts_with(b"MZ") {
        return fail(
            codes::CLR_NOT_PE,
            0,
            "expected the MZ signature of a PE image",
        );
    }
    let nt = file.u32(0x3c, "the MS-DOS header's e_lfanew")? as usize;
    let sig = file.sub(nt, 4, "the PE signature where e_lfanew points")?;
    if sig.bytes != b"PE\0\0" {
        return fail(
            codes::CLR_NOT_PE,
            sig.start,
            "expected the PE signature PE\\0\\0 where e_lfanew points",
        );
    }
    let magic = file.u16(nt + 24, "the optional header's magic")?;
    match magic {
        pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC => image_of::<pe::ImageNtHeaders32>(bytes, nt),
        pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC => image_of::<pe::ImageNtHeaders64>(bytes, nt),
        other => fail(
            codes::CLR_NOT_PE,
            file.offset(nt + 24),
            format!("expected optional header magic 0x10b or 0x20b, found {other:#x}"),
        ),
    }
}

fn image_of<Pe: ImageNtHeaders>(bytes: &[u8], nt: usize) -> Res<Image<'_>> {
    let file = Span::whole(bytes);
    let pe_file = match PeFile::<Pe>::parse(bytes) {
        Ok(f) => f,
        Err(e) => {
            // `object` does not say where; the headers start at the PE signature.
            let code = if bytes.len() < nt + 24 + 0x60 {
                codes::CLR_TRUNCATED
            } else {
                codes::CLR_NOT_PE
            };
            return fail(
                code,
                nt as u64,
                format!("expected readable PE headers: {e}"),
            );
        }
    };
    let pe32_plus =
        pe_file.nt_headers().optional_header().magic() == pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC;
    // The COFF file header follows the signature: Machine at +0, Characteristics at +18.
    let machine = file.u16(nt + 4, "the COFF header's Machine")?;
    let dll = file.u16(nt + 4 + 18, "the COFF header's Characteristics")? & IMAGE_FILE_DLL != 0;
    let Some(dir) = pe_file.data_directory(pe::IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR) else {
        return fail(
            codes::CLR_NOT_MANAGED,
            nt as u64,
            "expected a CLI header (data directory 14, COM descriptor); this image has none, so it \
             is native code, not a .NET assembly",
        );
    };
    let sections = pe_file.section_table();
    let at_rva = |rva: u32, size: u32, what: &str| -> Res<Span<'_>> {
        match sections.pe_file_range_at(rva) {
            Some((offset, _)) => file.sub(offset as usize, size as usize, what),
            None => fail(
                codes::CLR_BAD_METADATA,
                nt as u64,
                format!("expected {what} at RVA {rva:#x}, but no section holds that address"),
            ),
        }
    };
    let cor = at_rva(dir.virtual_address.get(LE), 72, "the CLI header (72 bytes)")?;
    let cb = cor.u32(0, "the CLI header's size")?;
    if cb < 72 {
        return fail(
            codes::CLR_BAD_METADATA,
            cor.start,
            format!("expected a CLI header of at least 72 bytes, its cb says {cb}"),
        );
    }
    let cli_header_version = (
        cor.u16(4, "MajorRuntimeVersion")?,
        cor.u16(6, "MinorRuntimeVersion")?,
    );
    let md_rva = cor.u32(8, "the metadata directory's RVA")?;
    let md_size = cor.u32(12, "the metadata directory's size")?;
    let cor_flags = cor.u32(16, "the CLI header's flags")?;
    let metadata = at_rva(
        md_rva,
        md_size,
        "the metadata (its size from the CLI header)",
    )?;
    Ok(Image {
        machine,
        pe32_plus,
        dll,
        cor_flags,
        cli_header_version,
        metadata,
    })
}

/// `AssemblyName.ProcessorArchitecture`, as the CLR works it out from the PE kind and machine
/// (coreclr `TranslatePEToArchitectureType`, src/coreclr/utilcode/peinformation.cpp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Processor-agnostic: IL only, PE32, I386, not 32-bit required (AnyCPU; "32-bit preferred"
    /// sets 32BITREQUIRED and 32BITPREFERRED and is MSIL too).
    Msil,
    X86,
    Amd64,
    Ia64,
    Arm,
    Arm64,
    /// The assembly's flags say "no platform" (`afPA_NoPlatform`: a reference assembly).
    None,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Msil => "msil",
            Architecture::X86 => "x86",
            Architecture::Amd64 => "amd64",
            Architecture::Ia64 => "ia64",
            Architecture::Arm => "arm",
            Architecture::Arm64 => "arm64",
            Architecture::None => "none",
        }
    }
}

/// The assembly flags' processor-architecture bits that mean "no platform" (`afPA_NoPlatform`).
const AF_PA_NO_PLATFORM: u32 = 0x70;

/// The architecture of an image, or why the CLR would call it a bad format.
pub fn architecture(image: &Image<'_>, assembly_flags: u32) -> Result<Architecture, String> {
    if assembly_flags & AF_PA_NO_PLATFORM == AF_PA_NO_PLATFORM {
        return Ok(Architecture::None);
    }
    let il_only = image.cor_flags & FLAG_ILONLY != 0;
    // pe32BitRequired: 32BITREQUIRED set and 32BITPREFERRED clear.
    let required_32 =
        image.cor_flags & FLAG_32BITREQUIRED != 0 && image.cor_flags & FLAG_32BITPREFERRED == 0;
    let machine = image.machine;
    if il_only && !image.pe32_plus && !required_32 && machine == MACHINE_I386 {
        return Ok(Architecture::Msil);
    }
    if image.pe32_plus {
        if required_32 {
            return Err("a PE32+ image marked 32BITREQUIRED".into());
        }
        return match machine {
            MACHINE_IA64 => Ok(Architecture::Ia64),
            MACHINE_AMD64 => Ok(Architecture::Amd64),
            MACHINE_ARM64 => Ok(Architecture::Arm64),
            other => Err(format!("a PE32+ image for machine {other:#06x}")),
        };
    }
    match machine {
        MACHINE_I386 => Ok(Architecture::X86),
        MACHINE_ARMNT => Ok(Architecture::Arm),
        other => Err(format!("a PE32 image for machine {other:#06x}")),
    }
}
