//! The machine: its registry, its files (assemblies, native images, manifests, configs), its
//! installed CLRs and its processor architecture.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use comsim_manifest::{Guid, Version};
use comsim_registry::Registry;
use serde::Serialize;

use crate::clrguid::PublicKey;
use crate::vfs::{Vfs, WinPath};

/// 32- or 64-bit: of the operating system, a process, or a native image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bitness {
    #[serde(rename = "32")]
    B32,
    #[serde(rename = "64")]
    B64,
}

impl Bitness {
    pub fn other(self) -> Bitness {
        match self {
            Bitness::B32 => Bitness::B64,
            Bitness::B64 => Bitness::B32,
        }
    }

    /// The registry view a process of this bitness reads (REG-3).
    pub fn view(self) -> comsim_registry::View {
        match self {
            Bitness::B32 => comsim_registry::View::Bits32,
            Bitness::B64 => comsim_registry::View::Bits64,
        }
    }
}

impl fmt::Display for Bitness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bitness::B32 => "32-bit",
            Bitness::B64 => "64-bit",
        })
    }
}

/// A CLR version as `RuntimeVersion` values and `supportedRuntime` write it: `v4.0.30319`,
/// `v2.0.50727`, `v4.0`. Parsing keeps the text; comparisons use the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuntimeVersion {
    pub text: String,
    pub major: u32,
    pub minor: u32,
    pub build: Option<u32>,
}

impl RuntimeVersion {
    /// `v` (or `V`) then `major.minor[.build]`, decimal.
    pub fn parse(s: &str) -> Option<RuntimeVersion> {
        let rest = s.strip_prefix(['v', 'V'])?;
        let mut parts = rest.split('.');
        let num = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        let build = match parts.next() {
            None => None,
            Some(b) => Some(num(Some(b))?),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(RuntimeVersion {
            text: s.to_owned(),
            major,
            minor,
            build,
        })
    }

    /// Compares major.minor only (the cap of SHIM-REG-4, the default "same runtime" of LCC4-4).
    pub fn cmp_major_minor(&self, other: &RuntimeVersion) -> Ordering {
        (self.major, self.minor).cmp(&(other.major, other.minor))
    }

    /// Compares all three numbers (a missing build is 0).
    pub fn cmp_full(&self, other: &RuntimeVersion) -> Ordering {
        (self.major, self.minor, self.build.unwrap_or(0)).cmp(&(
            other.major,
            other.minor,
            other.build.unwrap_or(0),
        ))
    }

    /// `2.0`, `4.0`: the family name used on the command line and in output.
    pub fn family(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// CLR 1.x and 2.0 (which runs 2.0, 3.0 and 3.5) are the runtimes before v4.
    pub fn is_pre_v4(&self) -> bool {
        self.major < 4
    }
}

impl fmt::Display for RuntimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for RuntimeVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An assembly's `processorArchitecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessorArchitecture {
    /// AnyCPU: loads into a 32- or 64-bit process.
    Msil,
    X86,
    Amd64,
}

impl ProcessorArchitecture {
    pub fn parse(s: &str) -> Option<ProcessorArchitecture> {
        match s.to_ascii_lowercase().as_str() {
            "msil" | "anycpu" => Some(ProcessorArchitecture::Msil),
            "x86" => Some(ProcessorArchitecture::X86),
            "amd64" | "x64" => Some(ProcessorArchitecture::Amd64),
            _ => None,
        }
    }

    /// Whether a process of this bitness can load it (BIND-6).
    pub fn loads_in(self, process: Bitness) -> bool {
        match self {
            ProcessorArchitecture::Msil => true,
            ProcessorArchitecture::X86 => process == Bitness::B32,
            ProcessorArchitecture::Amd64 => process == Bitness::B64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProcessorArchitecture::Msil => "msil",
            ProcessorArchitecture::X86 => "x86",
            ProcessorArchitecture::Amd64 => "amd64",
        }
    }
}

/// What kind of type a managed type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    Class,
    /// A value type (`struct`): registered as a record (ASM-2), found by REQ-5.
    Struct,
    Interface,
    Enum,
}

/// A type defined in an assembly.
#[derive(Debug, Clone, Serialize)]
pub struct TypeInfo {
    /// Namespace-qualified name, `Contoso.Widget`.
    pub full_name: String,
    pub kind: TypeKind,
    /// `[Guid]`; `None` means the CLR generates one from the name (regasm).
    pub guid: Option<Guid>,
    pub public: bool,
    pub is_abstract: bool,
    /// Type-level `[ComVisible]`, `None` when the attribute is absent (the assembly's applies).
    pub com_visible: Option<bool>,
    pub default_constructor: bool,
    /// `[ComImport]`: a managed wrapper of a native COM class (interop assemblies, PIAs).
    pub com_import: bool,
    /// `[ProgId]`; `None` means the default (the full name).
    pub progid: Option<String>,
    /// A generic type definition: never visible from COM (ASM-3).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
}

impl TypeInfo {
    /// A public type of `kind` with a public default constructor and no attributes (no `[Guid]`,
    /// `[ComVisible]`, `[ComImport]` or `[ProgId]`): what a plain `public class` is.
    pub fn new(full_name: impl Into<String>, kind: TypeKind) -> TypeInfo {
        TypeInfo {
            full_name: full_name.into(),
            kind,
            guid: None,
            public: true,
            is_abstract: false,
            com_visible: None,
            default_constructor: true,
            com_import: false,
            progid: None,
            generic: false,
        }
    }
}

/// `[PrimaryInteropAssembly(major, minor)]` and the type library it wraps.
#[derive(Debug, Clone, Serialize)]
pub struct PrimaryInterop {
    pub libid: Guid,
    pub major: u16,
    pub minor: u16,
}

/// A managed assembly on disk.
#[derive(Debug, Clone, Serialize)]
pub struct AssemblyInfo {
    pub name: String,
    pub version: Version,
    /// `None` is the neutral culture.
    pub culture: Option<String>,
    /// Sixteen lower-case hex digits; `None` for an unsigned assembly.
    pub public_key_token: Option<String>,
    /// The whole public key, when the scenario gives it (its token is `public_key_token`); the
    /// CLR hashes it into the GUIDs it generates ([`crate::clrguid`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKey>,
    /// `[ComCompatibleVersion]`: the version generated GUIDs are computed from instead of
    /// `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub com_compatible_version: Option<Version>,
    /// The runtime it was built for (`ImageRuntimeVersion`), e.g. `v4.0.30319`.
    pub runtime: RuntimeVersion,
    pub architecture: ProcessorArchitecture,
    /// Assembly-level `[ComVisible]` (absent means true).
    pub com_visible: bool,
    pub primary_interop: Option<PrimaryInterop>,
    /// Assembly-level `[Guid]`: the LIBID of the type library exported from it (`regasm /tlb`).
    pub guid: Option<Guid>,
    /// The types, in metadata order. Change them through [`AssemblyInfo::types_mut`] once
    /// [`AssemblyInfo::find_type`] may have been called: that drops its index.
    pub types: Vec<TypeInfo>,
    /// [`AssemblyInfo::find_type`]'s index of `types`, made at its first lookup.
    #[serde(skip)]
    pub type_index: TypeIndex,
}

/// An index of a list a file holds (an assembly's types, the CLSIDs a native image serves), made
/// at the first lookup of a list longer than [`ListIndex::SCAN_MAX`]. Every activation looks its
/// class up in such a list, and a scan made a file of N classes cost N x N comparisons over N
/// activations (`comsim audit` of registry exports places one assembly per CodeBase, with a
/// type per class registered to it).
///
/// The lists are public vectors: an index is used only while its list has the length it was
/// made at (a scan answers otherwise), and what it finds is checked against the list. Change a
/// list through the `_mut` accessor of its owner, which drops the index.
#[derive(Clone)]
pub struct ListIndex<T>(std::sync::OnceLock<(usize, T)>);

impl<T> ListIndex<T> {
    /// Lists up to this long are scanned: an index would cost more than it saves.
    pub const SCAN_MAX: usize = 16;

    /// The index of a list of `len` items, made by `make` at the first call; `None` when the list
    /// is short, or has changed length since.
    fn get(&self, len: usize, make: impl FnOnce() -> T) -> Option<&T> {
        if len <= Self::SCAN_MAX {
            return None;
        }
        let (made_at, index) = self.0.get_or_init(|| (len, make()));
        (*made_at == len).then_some(index)
    }
}

impl<T> Default for ListIndex<T> {
    fn default() -> Self {
        ListIndex(std::sync::OnceLock::new())
    }
}

impl<T> fmt::Debug for ListIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What it holds is its list again, in another form.
        f.write_str("ListIndex")
    }
}

/// [`AssemblyInfo::find_type`]'s index: where each full name's hash first occurs in `types`.
pub type TypeIndex = ListIndex<std::collections::HashMap<u64, usize>>;

fn name_hash(full_name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    full_name.hash(&mut h);
    h.finish()
}

#[cfg(test)]
impl AssemblyInfo {
    /// For tests: a visible MSIL assembly `name` 1.0.0.0 without a strong name, built for
    /// `runtime`, holding the classes `types`.
    pub(crate) fn plain(name: &str, runtime: &str, types: &[&str]) -> AssemblyInfo {
        AssemblyInfo {
            name: name.into(),
            version: comsim_manifest::Version([1, 0, 0, 0]),
            culture: None,
            public_key_token: None,
            public_key: None,
            com_compatible_version: None,
            runtime: RuntimeVersion::parse(runtime).expect("a runtime version"),
            architecture: ProcessorArchitecture::Msil,
            com_visible: true,
            primary_interop: None,
            guid: None,
            types: types
                .iter()
                .map(|t| TypeInfo::new(*t, TypeKind::Class))
                .collect(),
            type_index: TypeIndex::default(),
        }
    }
}

impl AssemblyInfo {
    /// `Assembly.FullName`: `Name, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null`.
    pub fn full_name(&self) -> String {
        format!(
            "{}, Version={}, Culture={}, PublicKeyToken={}",
            self.name,
            self.version,
            self.culture.as_deref().unwrap_or("neutral"),
            self.public_key_token.as_deref().unwrap_or("null")
        )
    }

    /// `GetType(name, throwOnError: false, ignoreCase: false)`: the first type of that full name.
    pub fn find_type(&self, full_name: &str) -> Option<&TypeInfo> {
        let scan = || {
            #[cfg(test)]
            tests::SCANS.with(|c| c.set(c.get() + 1));
            self.types.iter().find(|t| t.full_name == full_name)
        };
        let index = self.type_index.get(self.types.len(), || {
            let mut first = std::collections::HashMap::with_capacity(self.types.len());
            for (i, t) in self.types.iter().enumerate() {
                first.entry(name_hash(&t.full_name)).or_insert(i);
            }
            first
        });
        let Some(first) = index else {
            return scan();
        };
        // No type has the name's hash: none has the name. Two names of one hash: a scan decides.
        let t = &self.types[*first.get(&name_hash(full_name))?];
        if t.full_name == full_name {
            Some(t)
        } else {
            scan()
        }
    }

    /// The types, to change: [`AssemblyInfo::find_type`] makes its index again at its next call.
    pub fn types_mut(&mut self) -> &mut Vec<TypeInfo> {
        self.type_index = TypeIndex::default();
        &mut self.types
    }
}

/// Who may read a file, as far as opening it to load it goes (the read permission of its ACL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readers {
    /// Any user (the default of a file under Program Files or System32).
    #[default]
    Everyone,
    /// Only the Administrators group: a process reads it only when elevated, since UAC's filtered
    /// token of a non-elevated administrator carries that group for deny only.
    Administrators,
    /// An explicit deny: no process reads it.
    Nobody,
}

impl Readers {
    /// The scenario's names, in the order messages list them.
    pub const NAMES: [(&'static str, Readers); 3] = [
        ("everyone", Readers::Everyone),
        ("administrators", Readers::Administrators),
        ("nobody", Readers::Nobody),
    ];

    /// Whether a process (elevated or not) may open the file for reading.
    pub fn can_read(self, elevated: bool) -> bool {
        match self {
            Readers::Everyone => true,
            Readers::Administrators => elevated,
            Readers::Nobody => false,
        }
    }

    pub fn is_everyone(&self) -> bool {
        *self == Readers::Everyone
    }
}

/// A native DLL or EXE.
#[derive(Debug, Clone, Serialize)]
pub struct NativeImage {
    pub bitness: Bitness,
    /// The CLSIDs its class factory serves (DllGetClassObject, or CoRegisterClassObject for an
    /// EXE), in the scenario's order. Change them through [`NativeImage::serves_mut`] once
    /// [`NativeImage::serves_class`] may have been called: that drops its index.
    pub serves: Vec<Guid>,
    /// [`NativeImage::serves_class`]'s index: `serves`, sorted.
    #[serde(skip)]
    pub serves_index: ListIndex<Vec<Guid>>,
    /// For an EXE server: whether the process starts and registers its class objects.
    pub starts: bool,
    /// Who may read a DLL: LoadLibrary in a process that may not fails with
    /// ERROR_ACCESS_DENIED (COM-3).
    #[serde(skip_serializing_if = "Readers::is_everyone")]
    pub readable_by: Readers,
}

impl NativeImage {
    /// Whether its class factory serves `clsid`.
    pub fn serves_class(&self, clsid: Guid) -> bool {
        let index = self.serves_index.get(self.serves.len(), || {
            let mut sorted = self.serves.clone();
            sorted.sort_unstable();
            sorted
        });
        match index {
            Some(sorted) => sorted.binary_search(&clsid).is_ok(),
            None => {
                #[cfg(test)]
                tests::SCANS.with(|c| c.set(c.get() + 1));
                self.serves.contains(&clsid)
            }
        }
    }

    /// The CLSIDs it serves, to change: [`NativeImage::serves_class`] makes its index again at its
    /// next call.
    pub fn serves_mut(&mut self) -> &mut Vec<Guid> {
        self.serves_index = ListIndex::default();
        &mut self.serves
    }
}

/// One of the Program Files folders of 64-bit Windows (32-bit Windows has only the native two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramFolder {
    /// `ProgramFiles` of a native process (`ProgramFilesDir`).
    Native,
    /// `ProgramFiles(x86)` (`ProgramFilesDir (x86)`).
    X86,
    /// `CommonProgramFiles` of a native process (`CommonFilesDir`).
    CommonNative,
    /// `CommonProgramFiles(x86)` (`CommonFilesDir (x86)`).
    CommonX86,
}

/// The Program Files folders a machine was set up with, as a native process's environment
/// names them; `None` is Windows' default on the system drive. Windows keeps each in its own
/// value under `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion`, so moving one moves no other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramFolders {
    pub native: Option<WinPath>,
    pub x86: Option<WinPath>,
    pub common_native: Option<WinPath>,
    pub common_x86: Option<WinPath>,
}

/// The machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// The operating system's bitness: a 32-bit process on a 64-bit system runs under WOW64.
    pub os: Bitness,
    pub registry: Registry,
    pub fs: Vfs,
    /// Installed CLRs, full versions (`v2.0.50727`, `v4.0.30319`).
    pub clrs: Vec<RuntimeVersion>,
    /// The Windows directory (`SystemRoot`, `windir`): `C:\Windows` unless the scenario moves it.
    /// System32, SysWOW64, dllhost.exe, the framework directories and the GACs are under it.
    pub windows: WinPath,
    /// The Program Files folders, when the machine has them elsewhere than Windows' defaults.
    pub program_folders: ProgramFolders,
    /// How the machine was set up (registry imports: REG-3 views, REG-4 placement), for output.
    pub setup: crate::trace::Trace,
}

impl Machine {
    pub fn new(os: Bitness) -> Machine {
        let mut m = Machine {
            os,
            registry: Registry::new(),
            fs: Vfs::new(),
            clrs: Vec::new(),
            windows: WinPath::parse(r"C:\Windows").expect("a valid path"),
            program_folders: ProgramFolders::default(),
            setup: crate::trace::Trace::default(),
        };
        m.install_system_files();
        m
    }

    /// The system directory of a process of `bitness` (COM-3): `System32`, or `SysWOW64` for a
    /// 32-bit process on 64-bit Windows (the File System Redirector).
    pub fn system_directory(&self, bitness: Bitness) -> WinPath {
        let name = if bitness == Bitness::B32 && self.os == Bitness::B64 {
            "SysWOW64"
        } else {
            "System32"
        };
        self.windows.join(name)
    }

    /// Puts the standard system files under the Windows directory (COM-3): mscoree.dll and
    /// dllhost.exe in System32 of the OS's bitness and, on 64-bit Windows, their 32-bit copies in
    /// SysWOW64. A scenario's own file at one of these paths replaces it; a path it declares
    /// absent removes it. Called again when the Windows directory moves.
    pub fn install_system_files(&mut self) {
        let mut dirs = vec![(self.windows.join("System32"), self.os)];
        if self.os == Bitness::B64 {
            dirs.push((self.windows.join("SysWOW64"), Bitness::B32));
        }
        let mut files = Vec::new();
        for (dir, bitness) in dirs {
            for (name, starts) in [("mscoree.dll", false), ("dllhost.exe", true)] {
                files.push(crate::vfs::VFile {
                    path: dir.join(name),
                    kind: crate::vfs::FileKind::Native(NativeImage {
                        bitness,
                        serves: Vec::new(),
                        serves_index: Default::default(),
                        starts,
                        readable_by: Readers::Everyone,
                    }),
                    bytes: Vec::new(),
                    embedded_manifest: None,
                    origin: format!("a standard file of Windows ({bitness})"),
                });
            }
        }
        self.fs.set_standard(files);
    }

    /// The installed CLR of a family (`2.0` → `v2.0.50727`).
    pub fn installed(&self, major: u32, minor: u32) -> Option<&RuntimeVersion> {
        self.clrs
            .iter()
            .filter(|c| c.major == major && c.minor == minor)
            .max_by(|a, b| a.cmp_full(b))
    }

    /// The system drive's root (`SystemDrive`): the drive of the Windows directory.
    pub fn system_drive(&self) -> WinPath {
        self.windows.drive_root()
    }

    /// A Program Files folder: the one the machine was given, else Windows' default on the
    /// system drive (`Program Files`, `Program Files (x86)`, and `Common Files` in each).
    pub fn program_folder(&self, folder: ProgramFolder) -> WinPath {
        let f = &self.program_folders;
        let given = match folder {
            ProgramFolder::Native => &f.native,
            ProgramFolder::X86 => &f.x86,
            ProgramFolder::CommonNative => &f.common_native,
            ProgramFolder::CommonX86 => &f.common_x86,
        };
        given.clone().unwrap_or_else(|| {
            let drive = self.system_drive();
            match folder {
                ProgramFolder::Native => drive.join("Program Files"),
                ProgramFolder::X86 => drive.join("Program Files (x86)"),
                ProgramFolder::CommonNative => drive.join(r"Program Files\Common Files"),
                ProgramFolder::CommonX86 => drive.join(r"Program Files (x86)\Common Files"),
            }
        })
    }

    /// Where a CLR keeps its global assembly cache roots (BIND-2): CLR 4 under
    /// `Microsoft.NET\assembly`, CLR 2 (and 1.x) under `assembly`.
    pub fn gac_root(&self, clr: &RuntimeVersion) -> WinPath {
        if clr.major >= 4 {
            self.windows.join(r"Microsoft.NET\assembly")
        } else {
            self.windows.join("assembly")
        }
    }

    /// The path at which an assembly sits in a CLR's GAC (BIND-2), in the directory for its
    /// architecture: `GAC_MSIL`, `GAC_32` or `GAC_64`.
    pub fn gac_path(&self, clr: &RuntimeVersion, asm: &AssemblyInfo) -> WinPath {
        let dir = match asm.architecture {
            ProcessorArchitecture::Msil => "GAC_MSIL",
            ProcessorArchitecture::X86 => "GAC_32",
            ProcessorArchitecture::Amd64 => "GAC_64",
        };
        gac_file(
            &self.gac_root(clr),
            clr,
            dir,
            &asm.name,
            &asm.version,
            asm.culture.as_deref(),
            asm.public_key_token.as_deref().unwrap_or(""),
        )
    }
}

/// `<root>\<GAC dir>\<name>\[v4.0_]<version>_<culture>_<token>\<name>.dll`.
pub fn gac_file(
    root: &WinPath,
    clr: &RuntimeVersion,
    gac_dir: &str,
    name: &str,
    version: &Version,
    culture: Option<&str>,
    token: &str,
) -> WinPath {
    let prefix = if clr.major >= 4 { "v4.0_" } else { "" };
    let culture = match culture {
        None => "",
        Some(c) if c.eq_ignore_ascii_case("neutral") => "",
        Some(c) => c,
    };
    // One join of the whole relative path (a join copies the path it extends), built without
    // the formatting machinery but for the version (the binder makes one per GAC it looks in).
    let mut rel = String::with_capacity(2 * name.len() + gac_dir.len() + token.len() + 40);
    for part in [gac_dir, "\\", name, "\\", prefix] {
        rel.push_str(part);
    }
    let _ = write!(rel, "{version}");
    for part in ["_", culture, "_"] {
        rel.push_str(part);
    }
    rel.extend(token.chars().map(|c| c.to_ascii_lowercase()));
    for part in ["\\", name, ".dll"] {
        rel.push_str(part);
    }
    root.join(&rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// The scans of a list `find_type` and `serves_class` made on this thread (a long list is
        /// looked up through its index, not scanned).
        pub(super) static SCANS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn scans() -> usize {
        SCANS.with(std::cell::Cell::get)
    }

    fn assembly_of(types: Vec<TypeInfo>) -> AssemblyInfo {
        AssemblyInfo {
            types,
            ..AssemblyInfo::plain("Contoso.Many", "v4.0.30319", &[])
        }
    }

    /// COM-3: whether a native image serves a CLSID, scanned (short list) or indexed (long),
    /// after `serves_mut` and after a direct change of the list's length.
    #[test]
    fn serves_class_answers_as_the_list_does_in_short_and_indexed_lists() {
        let guid =
            |i: u32| Guid::parse(&format!("{{{i:08X}-0000-4000-8000-0000000000C1}}")).unwrap();
        for n in [2u32, 17, 300] {
            // Served in descending order: the index sorts its copy, the list keeps its order.
            let mut image = NativeImage {
                bitness: Bitness::B64,
                serves: (0..n).rev().map(|i| guid(2 * i)).collect(),
                serves_index: ListIndex::default(),
                starts: true,
                readable_by: Readers::Everyone,
            };
            let before = scans();
            for i in 0..2 * n {
                assert_eq!(image.serves_class(guid(i)), i % 2 == 0, "{n} {i}");
            }
            let scanned = scans() - before;
            let long = n as usize > ListIndex::<()>::SCAN_MAX;
            assert_eq!(scanned, if long { 0 } else { 2 * n as usize }, "{n}");
            image.serves_mut().push(guid(1));
            assert!(image.serves_class(guid(1)), "{n}");
            image.serves.push(guid(3));
            assert!(image.serves_class(guid(3)), "{n}");
            assert!(!image.serves_class(guid(5)), "{n}");
            assert_eq!(image.serves.first(), Some(&guid(2 * (n - 1))));
        }
    }

    /// BIND-7 `GetType`: the first type of the name, whether the list is scanned (short) or
    /// indexed (long), and after the list changes, through `types_mut` or directly.
    #[test]
    fn find_type_finds_the_first_type_of_a_name_in_short_and_indexed_lists() {
        for n in [3, ListIndex::<()>::SCAN_MAX + 1, 200] {
            let mut types: Vec<TypeInfo> = (0..n)
                .map(|i| TypeInfo::new(format!("Contoso.T{i}"), TypeKind::Class))
                .collect();
            // A second type of an existing name (metadata allows one per namespace and name;
            // the scenario does not forbid it): the first one is found.
            let mut twin = TypeInfo::new("Contoso.T1", TypeKind::Interface);
            twin.guid = Some(Guid::parse("{00000000-0000-4000-8000-0000000000B1}").unwrap());
            types.push(twin);
            let mut a = assembly_of(types);
            let before = scans();
            for i in 0..n {
                let name = format!("Contoso.T{i}");
                assert_eq!(a.find_type(&name).map(|t| &t.full_name), Some(&name), "{n}");
            }
            // A long list is looked up through its index: no lookup scans it (a scan per
            // activation made N activations of N classes quadratic).
            let scanned = scans() - before;
            assert_eq!(
                scanned,
                if n > ListIndex::<()>::SCAN_MAX { 0 } else { n },
                "{n}"
            );
            assert_eq!(
                a.find_type("Contoso.T1").map(|t| t.kind),
                Some(TypeKind::Class)
            );
            assert!(a.find_type("Contoso.Absent").is_none());
            assert!(
                a.find_type("contoso.t0").is_none(),
                "GetType here is case-sensitive"
            );
            // Changed through `types_mut`: the index is made again.
            a.types_mut()[0].full_name = "Contoso.Renamed".into();
            assert!(a.find_type("Contoso.T0").is_none(), "{n}");
            assert!(a.find_type("Contoso.Renamed").is_some(), "{n}");
            // Grown directly: the index no longer has the list's length, and a scan answers.
            a.types.push(TypeInfo::new("Contoso.Late", TypeKind::Class));
            assert!(a.find_type("Contoso.Late").is_some(), "{n}");
        }
    }

    #[test]
    fn runtime_versions_parse_and_compare_on_major_minor() {
        let v4 = RuntimeVersion::parse("v4.0.30319").unwrap();
        let v40 = RuntimeVersion::parse("v4.0").unwrap();
        let v2 = RuntimeVersion::parse("v2.0.50727").unwrap();
        assert_eq!(v4.cmp_major_minor(&v40), Ordering::Equal);
        assert_eq!(v4.cmp_full(&v40), Ordering::Greater);
        assert_eq!(v2.cmp_major_minor(&v4), Ordering::Less);
        assert!(RuntimeVersion::parse("4.0").is_none());
        assert!(RuntimeVersion::parse("v4").is_none());
        assert!(RuntimeVersion::parse("v4.0.x").is_none());
    }

    #[test]
    fn bind2_gac_paths_differ_per_clr() {
        let m = Machine::new(Bitness::B64);
        let v4 = RuntimeVersion::parse("v4.0.30319").unwrap();
        let v2 = RuntimeVersion::parse("v2.0.50727").unwrap();
        let asm = AssemblyInfo {
            public_key_token: Some("0123456789abcdef".into()),
            ..AssemblyInfo::plain("Contoso.Widget", "v4.0.30319", &[])
        };
        assert_eq!(
            m.gac_path(&v4, &asm).to_string(),
            r"C:\Windows\Microsoft.NET\assembly\GAC_MSIL\Contoso.Widget\v4.0_1.0.0.0__0123456789abcdef\Contoso.Widget.dll"
        );
        assert_eq!(
            m.gac_path(&v2, &asm).to_string(),
            r"C:\Windows\assembly\GAC_MSIL\Contoso.Widget\1.0.0.0__0123456789abcdef\Contoso.Widget.dll"
        );
    }
}

/// Why an assembly read from an image cannot be modelled as an [`AssemblyInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotModelled(pub String);

impl fmt::Display for NotModelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AssemblyInfo {
    /// The assembly an image's metadata describes (`comsim_clrmeta::read_assembly`): the same
    /// facts a scenario writes by hand. Types are public when they are visible from outside the
    /// assembly (`Type.IsVisible`: nested public types of public types too), which is what
    /// regasm's exported types are; delegates are classes; `[ProgId(null)]` is an empty ProgID
    /// (no ProgID is registered). The `<Module>` pseudo-type is left out.
    pub fn from_metadata(asm: &comsim_clrmeta::Assembly) -> Result<AssemblyInfo, NotModelled> {
        let runtime = RuntimeVersion::parse(&asm.runtime_version).ok_or_else(|| {
            NotModelled(format!(
                "the image's runtime version {:?} is not one comsim models (v2.0.50727, v4.0.30319)",
                asm.runtime_version
            ))
        })?;
        let architecture = match asm.architecture {
            comsim_clrmeta::Architecture::Msil => ProcessorArchitecture::Msil,
            comsim_clrmeta::Architecture::X86 => ProcessorArchitecture::X86,
            comsim_clrmeta::Architecture::Amd64 => ProcessorArchitecture::Amd64,
            other => {
                return Err(NotModelled(format!(
                    "processorArchitecture {} is not one comsim models (msil, x86, amd64)",
                    other.as_str()
                )));
            }
        };
        let primary_interop = match (asm.primary_interop, asm.guid) {
            (None, _) => None,
            (Some(p), Some(libid)) => Some(PrimaryInterop {
                libid,
                major: u16::try_from(p.major).map_err(|_| bad_pia_version(p.major))?,
                minor: u16::try_from(p.minor).map_err(|_| bad_pia_version(p.minor))?,
            }),
            (Some(_), None) => {
                return Err(NotModelled(
                    "[PrimaryInteropAssembly] without an assembly-level [Guid] (the LIBID of the \
                     type library it wraps)"
                        .into(),
                ));
            }
        };
        Ok(AssemblyInfo {
            name: asm.name.clone(),
            version: asm.version,
            culture: asm.culture.clone(),
            public_key_token: asm.public_key_token.clone(),
            public_key: asm.public_key.clone().map(PublicKey::from_bytes),
            com_compatible_version: asm.com_compatible_version,
            runtime,
            architecture,
            com_visible: asm.com_visible.unwrap_or(true),
            primary_interop,
            guid: asm.guid,
            types: asm
                .types
                .iter()
                .filter(|t| t.full_name != "<Module>")
                .map(type_from_metadata)
                .collect(),
            type_index: TypeIndex::default(),
        })
    }
}

fn bad_pia_version(v: i32) -> NotModelled {
    NotModelled(format!(
        "[PrimaryInteropAssembly] version part {v} is not a type library version (0..65535)"
    ))
}

fn type_from_metadata(t: &comsim_clrmeta::TypeDef) -> TypeInfo {
    use comsim_clrmeta::TypeKind as K;
    TypeInfo {
        full_name: t.full_name.clone(),
        kind: match t.kind {
            K::Class | K::Delegate => TypeKind::Class,
            K::Interface => TypeKind::Interface,
            K::Struct => TypeKind::Struct,
            K::Enum => TypeKind::Enum,
        },
        guid: t.guid,
        public: t.visible,
        is_abstract: t.is_abstract,
        com_visible: t.com_visible,
        default_constructor: t.default_constructor,
        com_import: t.com_import,
        progid: t.progid.clone().map(Option::unwrap_or_default),
        generic: t.generic,
    }
}
