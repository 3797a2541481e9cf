//! What comsim reads of an assembly: the identity from the Assembly table (II.22.2), and each
//! TypeDef (II.22.37) with its full name (nested types through NestedClass, II.22.32, joined by
//! `+`), kind, visibility, default constructor and COM attributes.

use comsim_manifest::{Guid, Version};
use serde::{Serialize, Serializer};

use crate::attrs::{self, AssemblyAttrs, ClassInterfaceType, ComInterfaceType, TypeAttrs};
use crate::bytes::{Reader, Res, fail};
use crate::codes;
use crate::heaps::{self, Root, StreamInfo};
use crate::pe::{self, Architecture, Image};
use crate::tables::{self, Tables};

/// `tdInterface`: the ClassSemanticsMask bit of an interface.
const TD_INTERFACE: u32 = 0x20;
const TD_ABSTRACT: u32 = 0x80;
const TD_SEALED: u32 = 0x100;
/// `tdImport`: `[ComImport]`, which the compiler turns into this flag, not an attribute.
const TD_IMPORT: u32 = 0x1000;
const TD_VISIBILITY_MASK: u32 = 0x7;
/// `mdMemberAccessMask` and `mdPublic`, `mdStatic` of a MethodDef's flags.
const MD_ACCESS_MASK: u16 = 0x7;
const MD_PUBLIC: u16 = 0x6;
const MD_STATIC: u16 = 0x10;

/// An assembly as comsim reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Assembly {
    pub name: String,
    pub version: Version,
    /// `None` is the neutral culture.
    pub culture: Option<String>,
    /// The whole public key, for a strong-named assembly.
    #[serde(serialize_with = "hex_opt")]
    pub public_key: Option<Vec<u8>>,
    /// Sixteen lower-case hex digits, from the public key.
    pub public_key_token: Option<String>,
    /// The Assembly row's flags (`afPublicKey` 0x1, the processor-architecture bits 0x70, ...).
    pub flags: u32,
    /// `ImageRuntimeVersion`: the metadata root's version string, e.g. `v4.0.30319`.
    pub runtime_version: String,
    pub architecture: Architecture,
    pub pe: PeInfo,
    /// Assembly-level `[ComVisible]`; absent means visible.
    pub com_visible: Option<bool>,
    /// Assembly-level `[Guid]` (the LIBID of an exported type library).
    pub guid: Option<Guid>,
    /// `[PrimaryInteropAssembly(major, minor)]`.
    pub primary_interop: Option<PrimaryInterop>,
    /// `[ComCompatibleVersion]`.
    pub com_compatible_version: Option<Version>,
    /// The Module row's MVID (a new one each build, unless built deterministically).
    pub mvid: Option<Guid>,
    /// Every TypeDef row, in table order (row 1 is the `<Module>` pseudo-type).
    pub types: Vec<TypeDef>,
    pub streams: Vec<StreamInfo>,
}

/// The PE facts the architecture comes from.
#[derive(Debug, Clone, Serialize)]
pub struct PeInfo {
    /// `IMAGE_FILE_HEADER.Machine`.
    pub machine: u16,
    pub pe32_plus: bool,
    pub dll: bool,
    /// The CLI header's flags (ILONLY 0x1, 32BITREQUIRED 0x2, STRONGNAMESIGNED 0x8,
    /// 32BITPREFERRED 0x20000).
    pub cor_flags: u32,
    /// No native code: ILONLY is set. A mixed-mode image (C++/CLI) clears it; its metadata is
    /// read all the same.
    pub il_only: bool,
    /// STRONGNAMESIGNED: the image has been signed (not merely delay-signed).
    pub strong_name_signed: bool,
    /// The CLI header's runtime version, `2.5` for images since .NET 2.0.
    pub cli_header_version: String,
}

/// `[PrimaryInteropAssembly(major, minor)]`: the version of the type library the assembly
/// wraps (its LIBID is the assembly-level `[Guid]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrimaryInterop {
    pub major: i32,
    pub minor: i32,
}

/// A type's kind, from its flags and base type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeKind {
    Class,
    Interface,
    /// A value type: extends `System.ValueType` (and is not `System.Enum`).
    Struct,
    /// Extends `System.Enum`.
    Enum,
    /// Extends `System.MulticastDelegate`.
    Delegate,
}

/// `TypeAttributes.VisibilityMask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    NotPublic,
    Public,
    NestedPublic,
    NestedPrivate,
    NestedFamily,
    NestedAssembly,
    NestedFamAndAssem,
    NestedFamOrAssem,
}

impl Visibility {
    fn from_flags(flags: u32) -> Visibility {
        match flags & TD_VISIBILITY_MASK {
            0 => Visibility::NotPublic,
            1 => Visibility::Public,
            2 => Visibility::NestedPublic,
            3 => Visibility::NestedPrivate,
            4 => Visibility::NestedFamily,
            5 => Visibility::NestedAssembly,
            6 => Visibility::NestedFamAndAssem,
            _ => Visibility::NestedFamOrAssem,
        }
    }

    fn is_public(self) -> bool {
        matches!(self, Visibility::Public | Visibility::NestedPublic)
    }
}

/// One TypeDef row.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDef {
    /// `Namespace.Name`; a nested type is `Outer+Inner` (its enclosing type's full name, `+`,
    /// its name), as `Type.FullName` writes it.
    pub full_name: String,
    pub kind: TypeKind,
    pub visibility: Visibility,
    /// Public all the way out: public, or nested-public in a type that is visible (`IsVisible`).
    pub visible: bool,
    pub is_abstract: bool,
    pub sealed: bool,
    /// A public, non-static `.ctor` without parameters, on a class that is not abstract.
    pub default_constructor: bool,
    /// `[ComImport]` (the `tdImport` flag).
    pub com_import: bool,
    /// A generic type definition (it owns GenericParam rows): never visible from COM (coreclr
    /// `IsTypeVisibleFromCom`, interoputil.cpp), so regasm does not register it.
    pub generic: bool,
    pub guid: Option<Guid>,
    /// `[ComVisible]` on the type itself.
    pub com_visible: Option<bool>,
    /// The type's `[ComVisible]`, else the assembly's, else true.
    pub com_visible_effective: bool,
    /// `[ProgId]`; `Some(None)` is `[ProgId(null)]` (written as `null` in JSON; the key is
    /// left out when the attribute is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progid: Option<Option<String>>,
    pub class_interface: Option<ClassInterfaceType>,
    pub interface_type: Option<ComInterfaceType>,
    /// `[ComDefaultInterface(typeof(I))]`: the type name as the attribute blob holds it.
    pub com_default_interface: Option<String>,
    /// The base type's full name (`None` for interfaces and `System.Object`).
    pub extends: Option<String>,
    /// The TypeDef's flags as stored.
    pub flags: u32,
}

fn hex_opt<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.collect_str(&b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        None => s.serialize_none(),
    }
}

/// The metadata, read: what the other modules need to look things up.
pub struct Meta<'a> {
    pub root: Root<'a>,
    pub tables: Tables<'a>,
    /// For each MethodDef row (index = row), the TypeDef row that owns it (0: none).
    pub method_owner: Vec<u32>,
    /// For each TypeDef row, its full name.
    pub type_names: Vec<String>,
}

pub fn read(bytes: &[u8]) -> Res<Assembly> {
    let image = pe::read_image(bytes)?;
    let root = heaps::read_root(image.metadata)?;
    let tables = tables::read_tables(root.tables)?;
    let rows = read_type_rows(&root, &tables)?;
    let method_owner = method_owners(&tables, &rows, root.uncompressed)?;
    let type_names = full_names(&tables, &rows)?;
    let meta = Meta {
        root,
        tables,
        method_owner,
        type_names,
    };
    let (asm_attrs, type_attrs) = attrs::read_attributes(&meta)?;
    let mut assembly = identity(&meta, &image, asm_attrs)?;
    assembly.types = build_types(&meta, &rows, type_attrs, assembly.com_visible)?;
    Ok(assembly)
}

fn identity(meta: &Meta<'_>, image: &Image<'_>, attrs: AssemblyAttrs) -> Res<Assembly> {
    let t = &meta.tables;
    if t.rows(tables::ASSEMBLY) == 0 {
        return fail(
            codes::CLR_NO_ASSEMBLY,
            t.table(tables::ASSEMBLY).data.start,
            "expected an Assembly row: this is a module (netmodule) without an assembly manifest",
        );
    }
    let cell = |col| t.cell(tables::ASSEMBLY, 1, col);
    let part = |col| cell(col).map(|v| v as u16);
    let version = Version([part(1)?, part(2)?, part(3)?, part(4)?]);
    let flags = cell(5)?;
    let key = meta.root.blobs.blob(cell(6)?)?.bytes;
    let name = meta.root.strings.string(cell(7)?)?.to_owned();
    let culture = meta.root.strings.string(cell(8)?)?;
    let public_key = (!key.is_empty()).then(|| key.to_vec());
    let architecture = match pe::architecture(image, flags) {
        Ok(a) => a,
        Err(why) => {
            return fail(
                codes::CLR_UNSUPPORTED,
                0,
                format!("expected an architecture the CLR loads; the CLR refuses {why}"),
            );
        }
    };
    Ok(Assembly {
        public_key_token: public_key.as_deref().map(crate::public_key_token),
        public_key,
        name,
        version,
        culture: (!culture.is_empty()).then(|| culture.to_owned()),
        flags,
        runtime_version: meta.root.version.clone(),
        architecture,
        pe: PeInfo {
            machine: image.machine,
            pe32_plus: image.pe32_plus,
            dll: image.dll,
            cor_flags: image.cor_flags,
            il_only: image.cor_flags & pe::FLAG_ILONLY != 0,
            strong_name_signed: image.cor_flags & pe::FLAG_STRONGNAMESIGNED != 0,
            cli_header_version: format!(
                "{}.{}",
                image.cli_header_version.0, image.cli_header_version.1
            ),
        },
        mvid: module_mvid(meta)?,
        com_visible: attrs.com_visible,
        guid: attrs.guid,
        primary_interop: attrs.primary_interop,
        com_compatible_version: attrs.com_compatible_version,
        types: Vec::new(),
        streams: meta.root.streams.clone(),
    })
}

fn module_mvid(meta: &Meta<'_>) -> Res<Option<Guid>> {
    if meta.tables.rows(tables::MODULE) == 0 {
        return Ok(None);
    }
    let index = meta.tables.cell(tables::MODULE, 1, 2)?;
    Ok(meta
        .root
        .guids
        .guid(index)?
        .map(|g| Guid(uuid::Uuid::from_bytes_le(g))))
}

/// A TypeDef row's columns.
pub struct TypeRow<'a> {
    flags: u32,
    name: &'a str,
    namespace: &'a str,
    extends: u32,
    method_list: u32,
    offset: u64,
}

fn read_type_rows<'a>(root: &Root<'a>, t: &Tables<'a>) -> Res<Vec<TypeRow<'a>>> {
    let n = t.rows(tables::TYPE_DEF);
    let mut rows = Vec::with_capacity(n as usize);
    for row in 1..=n {
        let cell = |col| t.cell(tables::TYPE_DEF, row, col);
        rows.push(TypeRow {
            flags: cell(0)?,
            name: root.strings.string(cell(1)?)?,
            namespace: root.strings.string(cell(2)?)?,
            extends: cell(3)?,
            method_list: cell(5)?,
            offset: t.table(tables::TYPE_DEF).row_offset(row),
        });
    }
    Ok(rows)
}

/// Each MethodDef's owner: TypeDef `i` owns the methods from its MethodList to the next type's
/// (through MethodPtr in an uncompressed `#-` stream that has one).
fn method_owners(t: &Tables<'_>, rows: &[TypeRow<'_>], uncompressed: bool) -> Res<Vec<u32>> {
    let methods = t.rows(tables::METHOD_DEF);
    let via_ptr = uncompressed && t.rows(tables::METHOD_PTR) > 0;
    let listed = if via_ptr {
        t.rows(tables::METHOD_PTR)
    } else {
        methods
    };
    let mut owner = vec![0u32; methods as usize + 1];
    for (i, row) in rows.iter().enumerate() {
        let start = row.method_list;
        let end = rows.get(i + 1).map_or(listed + 1, |next| next.method_list);
        if start == 0 || start > end || end > listed + 1 {
            return fail(
                codes::CLR_BAD_METADATA,
                row.offset,
                format!(
                    "expected a MethodList between 1 and {} that does not go backwards, found \
                     {start} (next type's: {end})",
                    listed + 1
                ),
            );
        }
        for m in start..end {
            let def = if via_ptr {
                t.cell(tables::METHOD_PTR, m, 0)?
            } else {
                m
            };
            match owner.get_mut(def as usize) {
                Some(slot) if def > 0 => *slot = i as u32 + 1,
                _ => {
                    return fail(
                        codes::CLR_BAD_METADATA,
                        t.table(tables::METHOD_PTR).row_offset(m),
                        format!("expected a MethodDef row, the MethodPtr says {def}"),
                    );
                }
            }
        }
    }
    Ok(owner)
}

/// Full names: `Namespace.Name`, and for a nested type its enclosing type's full name, `+`, its
/// name. Each type's name is built once, enclosing types first; a cycle of NestedClass rows is
/// refused.
fn full_names(t: &Tables<'_>, rows: &[TypeRow<'_>]) -> Res<Vec<String>> {
    let n = rows.len();
    let mut enclosing = vec![0u32; n + 1];
    let nested = t.table(tables::NESTED_CLASS);
    for r in 1..=nested.rows {
        let inner = nested.cell(r, 0)?;
        let outer = nested.cell(r, 1)?;
        if inner == 0 || inner as usize > n || outer == 0 || outer as usize > n {
            return fail(
                codes::CLR_BAD_METADATA,
                nested.row_offset(r),
                format!(
                    "expected two TypeDef rows (1..{n}) in NestedClass, found {inner}, {outer}"
                ),
            );
        }
        if enclosing[inner as usize] == 0 {
            enclosing[inner as usize] = outer;
        }
    }
    let mut names: Vec<Option<String>> = vec![None; n + 1];
    for start in 1..=n {
        // Walk out to the first type already named (or a top-level one), then name inwards.
        let mut chain = vec![start];
        while let Some(&last) = chain.last() {
            let outer = enclosing[last] as usize;
            if outer == 0 || names[outer].is_some() {
                break;
            }
            if chain.len() > n {
                return fail(
                    codes::CLR_BAD_METADATA,
                    rows[start - 1].offset,
                    "expected enclosing types to end at a top-level type; NestedClass rows form \
                     a cycle",
                );
            }
            chain.push(outer);
        }
        for &ty in chain.iter().rev() {
            if names[ty].is_some() {
                continue;
            }
            let row = &rows[ty - 1];
            let outer = enclosing[ty] as usize;
            let name = match names.get(outer).and_then(Option::as_deref) {
                Some(o) if outer != 0 => format!("{o}+{}", row.name),
                _ if row.namespace.is_empty() => row.name.to_owned(),
                _ => format!("{}.{}", row.namespace, row.name),
            };
            names[ty] = Some(name);
        }
    }
    Ok(names
        .into_iter()
        .skip(1)
        .map(Option::unwrap_or_default)
        .collect())
}

/// The deepest TypeRef nesting followed when naming a referenced type.
const MAX_REF_NESTING: usize = 64;

impl Meta<'_> {
    /// The full name of a TypeRef row (`Namespace.Name`, or `Outer+Inner` when its resolution
    /// scope is another TypeRef).
    pub fn type_ref_name(&self, row: u32) -> Res<String> {
        let t = &self.tables;
        let mut parts = Vec::new();
        let mut row = row;
        loop {
            let at = t.table(tables::TYPE_REF).row_offset(row);
            let name = self
                .root
                .strings
                .string(t.cell(tables::TYPE_REF, row, 1)?)?;
            let ns = self
                .root
                .strings
                .string(t.cell(tables::TYPE_REF, row, 2)?)?;
            let scope = t.cell(tables::TYPE_REF, row, 0)?;
            let (table, outer) = t.decode(tables::RESOLUTION_SCOPE, scope, at)?;
            if table == tables::TYPE_REF && outer != 0 {
                if parts.len() >= MAX_REF_NESTING {
                    return fail(
                        codes::CLR_BAD_METADATA,
                        at,
                        "expected a TypeRef's enclosing types to end; they nest deeper than 64",
                    );
                }
                parts.push(name.to_owned());
                row = outer;
                continue;
            }
            let mut full = if ns.is_empty() {
                name.to_owned()
            } else {
                format!("{ns}.{name}")
            };
            for inner in parts.iter().rev() {
                full.push('+');
                full.push_str(inner);
            }
            return Ok(full);
        }
    }

    /// The full name a TypeDefOrRef coded index names (`None` for a TypeSpec, such as a
    /// generic instantiation, or a null index).
    pub fn type_def_or_ref_name(&self, coded: u32, at: u64) -> Res<Option<String>> {
        let (table, row) = self.tables.decode(tables::TYPE_DEF_OR_REF, coded, at)?;
        if row == 0 {
            return Ok(None);
        }
        match table {
            tables::TYPE_DEF => Ok(self.type_names.get(row as usize - 1).cloned()),
            tables::TYPE_REF => self.type_ref_name(row).map(Some),
            _ => Ok(None),
        }
    }
}

fn kind_of(flags: u32, full_name: &str, extends: Option<&str>) -> TypeKind {
    if flags & TD_INTERFACE != 0 {
        return TypeKind::Interface;
    }
    match extends {
        Some("System.Enum") => TypeKind::Enum,
        Some("System.ValueType") if full_name != "System.Enum" => TypeKind::Struct,
        Some("System.MulticastDelegate") => TypeKind::Delegate,
        _ => TypeKind::Class,
    }
}

/// Which types have a public instance `.ctor` without parameters (index = TypeDef row).
fn default_constructors(meta: &Meta<'_>) -> Res<Vec<bool>> {
    let t = &meta.tables;
    let mut has = vec![false; t.rows(tables::TYPE_DEF) as usize + 1];
    for m in 1..=t.rows(tables::METHOD_DEF) {
        let owner = meta.method_owner[m as usize] as usize;
        let flags = t.cell(tables::METHOD_DEF, m, 2)? as u16;
        if owner == 0 || has[owner] || flags & MD_ACCESS_MASK != MD_PUBLIC || flags & MD_STATIC != 0
        {
            continue;
        }
        if meta
            .root
            .strings
            .string(t.cell(tables::METHOD_DEF, m, 3)?)?
            != ".ctor"
        {
            continue;
        }
        let sig = meta.root.blobs.blob(t.cell(tables::METHOD_DEF, m, 4)?)?;
        let mut r = Reader::new(sig);
        let conv = r.u8("a method signature's calling convention")?;
        if conv & 0x10 != 0 {
            r.compressed("a generic method's parameter count")?;
        }
        if r.compressed("a method signature's parameter count")? == 0 {
            has[owner] = true;
        }
    }
    Ok(has)
}

/// Which TypeDef rows own generic parameters (index = row).
fn generic_types(meta: &Meta<'_>) -> Res<Vec<bool>> {
    let t = &meta.tables;
    let mut generic = vec![false; t.rows(tables::TYPE_DEF) as usize + 1];
    let params = t.table(tables::GENERIC_PARAM);
    for r in 1..=params.rows {
        let owner = params.cell(r, 2)?;
        let (table, row) = t.decode(tables::TYPE_OR_METHOD_DEF, owner, params.row_offset(r))?;
        if table == tables::TYPE_DEF && row != 0 {
            generic[row as usize] = true;
        }
    }
    Ok(generic)
}

fn build_types(
    meta: &Meta<'_>,
    rows: &[TypeRow<'_>],
    mut type_attrs: Vec<TypeAttrs>,
    assembly_visible: Option<bool>,
) -> Res<Vec<TypeDef>> {
    let ctors = default_constructors(meta)?;
    let generic = generic_types(meta)?;
    let nested = meta.tables.table(tables::NESTED_CLASS);
    let mut outer_of = vec![0u32; rows.len() + 1];
    for r in 1..=nested.rows {
        let inner = nested.cell(r, 0)? as usize;
        if outer_of[inner] == 0 {
            outer_of[inner] = nested.cell(r, 1)?;
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let full_name = meta.type_names[i].clone();
        let extends = meta.type_def_or_ref_name(row.extends, row.offset)?;
        let kind = kind_of(row.flags, &full_name, extends.as_deref());
        let visibility = Visibility::from_flags(row.flags);
        let is_abstract = row.flags & TD_ABSTRACT != 0;
        let a = std::mem::take(&mut type_attrs[i]);
        out.push(TypeDef {
            full_name,
            kind,
            visibility,
            visible: visibility.is_public(),
            is_abstract,
            sealed: row.flags & TD_SEALED != 0,
            default_constructor: ctors[i + 1] && !is_abstract && kind == TypeKind::Class,
            com_import: row.flags & TD_IMPORT != 0,
            generic: generic[i + 1],
            guid: a.guid,
            com_visible: a.com_visible,
            com_visible_effective: a.com_visible.or(assembly_visible).unwrap_or(true),
            progid: a.progid,
            class_interface: a.class_interface,
            interface_type: a.interface_type,
            com_default_interface: a.com_default_interface,
            extends,
            flags: row.flags,
        });
    }
    let visible = visible_all_the_way_out(&outer_of, &out);
    for (t, v) in out.iter_mut().zip(visible) {
        t.visible = v;
    }
    Ok(out)
}

/// For each type, whether it and every type enclosing it is public. Each chain is walked out to
/// the first type already answered, so every type is visited once. `full_names` has already
/// refused cycles; the walk is bounded all the same.
fn visible_all_the_way_out(outer_of: &[u32], types: &[TypeDef]) -> Vec<bool> {
    let n = types.len();
    let mut memo: Vec<Option<bool>> = vec![None; n + 1];
    for start in 1..=n {
        let mut chain = Vec::new();
        let mut at = start;
        let mut answer = true;
        while memo[at].is_none() && chain.len() <= n {
            chain.push(at);
            match outer_of[at] as usize {
                0 => break,
                outer => at = outer,
            }
        }
        if let Some(known) = memo[at] {
            answer = known;
        }
        // Inwards: a type is visible when it is public and its enclosing type is.
        for &ty in chain.iter().rev() {
            answer = answer && types[ty - 1].visibility.is_public();
            memo[ty] = Some(answer);
        }
    }
    memo.into_iter()
        .skip(1)
        .map(|v| v.unwrap_or(false))
        .collect()
}
