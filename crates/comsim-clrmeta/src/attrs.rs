//! Custom attributes (ECMA-335 II.22.10, II.23.3): the COM interop attributes on the assembly
//! and on its types, with their values decoded by the constructor's signature.
//!
//! An attribute is recognised by its type's full name, wherever that type is defined: the CLR's
//! interop code looks attributes up by name (`GetCustomAttribute` with the type name), so a
//! constructor that is a MemberRef into mscorlib and a MethodDef of a copy defined in the
//! assembly itself count the same. Other attributes are not decoded.
//!
//! Arguments are read by the constructor's parameter types: `bool`, the integer types, `string`
//! (a SerString, which may be null), `System.Type` (a SerString holding the type's name) and the
//! enums `System.Runtime.InteropServices.ClassInterfaceType` and `ComInterfaceType`, whose blobs
//! hold their underlying type's value — `int32` for both (their declarations in mscorlib). So
//! `[ClassInterface(ClassInterfaceType.None)]` and `[ClassInterface((short)0)]` read the same.

use comsim_manifest::{Guid, Version};
use serde::{Serialize, Serializer};

use crate::bytes::{Reader, Res, Span, fail};
use crate::codes;
use crate::model::{Meta, PrimaryInterop};
use crate::tables;

const INTEROP: &str = "System.Runtime.InteropServices.";

/// The enums whose values attribute blobs hold as `int32`.
const INT32_ENUMS: &[&str] = &[
    "System.Runtime.InteropServices.ClassInterfaceType",
    "System.Runtime.InteropServices.ComInterfaceType",
];

/// `[ClassInterface]`'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassInterfaceType(pub i32);

/// `[InterfaceType]`'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComInterfaceType(pub i32);

impl ClassInterfaceType {
    pub fn name(self) -> Option<&'static str> {
        ["None", "AutoDispatch", "AutoDual"]
            .get(usize::try_from(self.0).ok()?)
            .copied()
    }
}

impl ComInterfaceType {
    pub fn name(self) -> Option<&'static str> {
        [
            "InterfaceIsDual",
            "InterfaceIsIUnknown",
            "InterfaceIsIDispatch",
            "InterfaceIsIInspectable",
        ]
        .get(usize::try_from(self.0).ok()?)
        .copied()
    }
}

fn enum_out<S: Serializer>(name: Option<&str>, value: i32, s: S) -> Result<S::Ok, S::Error> {
    match name {
        Some(n) => s.serialize_str(n),
        None => s.serialize_i32(value),
    }
}

impl Serialize for ClassInterfaceType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        enum_out(self.name(), self.0, s)
    }
}

impl Serialize for ComInterfaceType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        enum_out(self.name(), self.0, s)
    }
}

/// The assembly-level attributes comsim reads.
#[derive(Debug, Default)]
pub struct AssemblyAttrs {
    pub com_visible: Option<bool>,
    pub guid: Option<Guid>,
    pub primary_interop: Option<PrimaryInterop>,
    pub com_compatible_version: Option<Version>,
}

/// A type's attributes comsim reads.
#[derive(Debug, Default)]
pub struct TypeAttrs {
    pub com_visible: Option<bool>,
    pub guid: Option<Guid>,
    pub progid: Option<Option<String>>,
    pub class_interface: Option<ClassInterfaceType>,
    pub interface_type: Option<ComInterfaceType>,
    pub com_default_interface: Option<String>,
}

/// One fixed argument's value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Bool(bool),
    Int(i64),
    /// A string or a `System.Type` name; `None` is null.
    Str(Option<String>),
}

/// A constructor parameter type an attribute blob can hold.
#[derive(Debug, Clone, Copy)]
enum Param {
    Bool,
    Char,
    Int { size: usize, signed: bool },
    Float(usize),
    Str,
    Type,
}

/// Where an attribute sits.
enum Target {
    Assembly,
    Type(usize),
}

/// Reads every custom attribute on the assembly and on TypeDefs, decoding the ones comsim knows.
pub fn read_attributes(meta: &Meta<'_>) -> Res<(AssemblyAttrs, Vec<TypeAttrs>)> {
    let t = &meta.tables;
    let mut asm = AssemblyAttrs::default();
    let mut types: Vec<TypeAttrs> = (0..t.rows(tables::TYPE_DEF))
        .map(|_| TypeAttrs::default())
        .collect();
    let table = t.table(tables::CUSTOM_ATTRIBUTE);
    for row in 1..=table.rows {
        let at = table.row_offset(row);
        let (parent_table, parent) =
            t.decode(tables::HAS_CUSTOM_ATTRIBUTE, table.cell(row, 0)?, at)?;
        let target = match parent_table {
            tables::ASSEMBLY if parent != 0 => Target::Assembly,
            tables::TYPE_DEF if parent != 0 => Target::Type(parent as usize - 1),
            _ => continue,
        };
        let (ctor_table, ctor) =
            t.decode(tables::CUSTOM_ATTRIBUTE_TYPE, table.cell(row, 1)?, at)?;
        let Some((class, sig)) = constructor(meta, ctor_table, ctor, at)? else {
            continue;
        };
        let Some(short) = class.strip_prefix(INTEROP) else {
            continue;
        };
        if !KNOWN.contains(&short) {
            continue;
        }
        let blob = meta.root.blobs.blob(table.cell(row, 2)?)?;
        let params = ctor_params(meta, sig, short)?;
        let values = fixed_args(blob, &params, short)?;
        let place = blob.start;
        match target {
            Target::Assembly => apply_assembly(&mut asm, short, &values, place)?,
            Target::Type(i) => apply_type(&mut types[i], short, &values, place)?,
        }
    }
    Ok((asm, types))
}

/// The attributes comsim decodes (names after `System.Runtime.InteropServices.`).
const KNOWN: &[&str] = &[
    "GuidAttribute",
    "ComVisibleAttribute",
    "ProgIdAttribute",
    "ClassInterfaceAttribute",
    "InterfaceTypeAttribute",
    "ComDefaultInterfaceAttribute",
    "PrimaryInteropAssemblyAttribute",
    "ComCompatibleVersionAttribute",
];

/// The attribute class's full name and the constructor's signature blob.
fn constructor<'a>(
    meta: &Meta<'a>,
    table: tables::TableId,
    row: u32,
    at: u64,
) -> Res<Option<(String, Span<'a>)>> {
    let t = &meta.tables;
    if row == 0 {
        return fail(
            codes::CLR_BAD_METADATA,
            at,
            "expected a custom attribute's constructor, found a null index",
        );
    }
    match table {
        tables::METHOD_DEF => {
            let owner = meta.method_owner.get(row as usize).copied().unwrap_or(0);
            let Some(class) = owner
                .checked_sub(1)
                .and_then(|o| meta.type_names.get(o as usize))
            else {
                return Ok(None);
            };
            let sig = meta.root.blobs.blob(t.cell(tables::METHOD_DEF, row, 4)?)?;
            Ok(Some((class.clone(), sig)))
        }
        _ => {
            let parent = t.cell(tables::MEMBER_REF, row, 0)?;
            let (ptable, prow) = t.decode(tables::MEMBER_REF_PARENT, parent, at)?;
            let class = match ptable {
                tables::TYPE_REF if prow != 0 => meta.type_ref_name(prow)?,
                tables::TYPE_DEF if prow != 0 => meta.type_names[prow as usize - 1].clone(),
                _ => return Ok(None),
            };
            let sig = meta.root.blobs.blob(t.cell(tables::MEMBER_REF, row, 2)?)?;
            Ok(Some((class, sig)))
        }
    }
}

fn bad_attr<T>(at: u64, attr: &str, what: impl std::fmt::Display) -> Res<T> {
    fail(codes::CLR_BAD_ATTRIBUTE, at, format!("[{attr}]: {what}"))
}

/// The constructor's parameter types (II.23.2.1 MethodDefSig; the return type is skipped).
fn ctor_params(meta: &Meta<'_>, sig: Span<'_>, attr: &str) -> Res<Vec<Param>> {
    let mut r = Reader::new(sig);
    let conv = r.u8("a constructor signature's calling convention")?;
    if conv & 0x10 != 0 {
        return bad_attr(sig.start, attr, "expected a non-generic constructor");
    }
    let count = r.compressed("a constructor signature's parameter count")?;
    let ret = r.u8("a constructor signature's return type")?;
    if ret != 0x01 {
        return bad_attr(
            sig.start,
            attr,
            format!("expected a constructor returning void, found element type {ret:#04x}"),
        );
    }
    let mut params = Vec::new();
    for _ in 0..count {
        let at = r.offset();
        let et = r.u8("a constructor parameter's element type")?;
        let p = match et {
            0x02 => Param::Bool,
            0x03 => Param::Char,
            0x04..=0x0B => Param::Int {
                size: 1 << ((et - 0x04) / 2),
                signed: et % 2 == 0,
            },
            0x0C => Param::Float(4),
            0x0D => Param::Float(8),
            0x0E => Param::Str,
            0x11 | 0x12 => class_param(meta, &mut r, et, attr, at)?,
            other => {
                return bad_attr(
                    at,
                    attr,
                    format!(
                        "expected a constructor parameter of a type comsim decodes (bool, integers, string, System.Type, an interop enum), found element type {other:#04x}"
                    ),
                );
            }
        };
        params.push(p);
    }
    Ok(params)
}

/// A CLASS (0x12) or VALUETYPE (0x11) parameter: `System.Type`, or one of the interop enums.
fn class_param(meta: &Meta<'_>, r: &mut Reader<'_>, et: u8, attr: &str, at: u64) -> Res<Param> {
    let encoded = r.compressed("a TypeDefOrRef in a signature")?;
    // TypeDefOrRefOrSpecEncoded: the tag in the low two bits, the row above.
    let coded = encoded;
    let name = meta.type_def_or_ref_name(coded, at)?.unwrap_or_default();
    match (et, name.as_str()) {
        (0x12, "System.Type") => Ok(Param::Type),
        (0x11, n) if INT32_ENUMS.contains(&n) => Ok(Param::Int {
            size: 4,
            signed: true,
        }),
        _ => bad_attr(
            at,
            attr,
            format!("expected a parameter of type System.Type or an interop enum, found {name:?}"),
        ),
    }
}

/// The fixed arguments of a custom attribute blob (II.23.3): the prolog 0x0001, then one value
/// per constructor parameter. Named arguments follow; the attributes comsim reads take none.
fn fixed_args(blob: Span<'_>, params: &[Param], attr: &str) -> Res<Vec<Value>> {
    let mut r = Reader::new(blob);
    let prolog = r.u16("a custom attribute's prolog")?;
    if prolog != 1 {
        return bad_attr(
            blob.start,
            attr,
            format!("expected the prolog 0x0001, found {prolog:#06x}"),
        );
    }
    let mut values = Vec::with_capacity(params.len());
    for p in params {
        let v = match *p {
            Param::Bool => Value::Bool(r.u8("a bool argument")? != 0),
            Param::Char => Value::Int(i64::from(r.u16("a char argument")?)),
            Param::Int { size, signed } => Value::Int(int_arg(&mut r, size, signed)?),
            Param::Float(size) => {
                r.take(size, "a floating-point argument")?;
                Value::Int(0)
            }
            Param::Str | Param::Type => Value::Str(ser_string(&mut r)?),
        };
        values.push(v);
    }
    Ok(values)
}

fn int_arg(r: &mut Reader<'_>, size: usize, signed: bool) -> Res<i64> {
    let b = r.take(size, "an integer argument")?;
    let mut raw = [0u8; 8];
    raw[..size].copy_from_slice(b);
    let unsigned = u64::from_le_bytes(raw);
    if signed && size < 8 {
        let shift = 64 - 8 * size as u32;
        Ok(((unsigned << shift) as i64) >> shift)
    } else {
        Ok(unsigned as i64)
    }
}

/// A SerString: 0xFF for null, else a compressed length and that many bytes of UTF-8.
fn ser_string(r: &mut Reader<'_>) -> Res<Option<String>> {
    let at = r.offset();
    if r.span.u8(r.pos, "a string argument")? == 0xFF {
        r.pos += 1;
        return Ok(None);
    }
    let len = r.compressed("a string argument's length")?;
    let bytes = r.take(len as usize, "a string argument's bytes")?;
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Some(s.to_owned())),
        Err(_) => fail(
            codes::CLR_BAD_ATTRIBUTE,
            at,
            "expected a string argument in UTF-8",
        ),
    }
}

/// Sets a value that may be given once, or refuses a second.
fn once<T>(slot: &mut Option<T>, value: T, at: u64, attr: &str) -> Res<()> {
    if slot.is_some() {
        return bad_attr(
            at,
            attr,
            "expected once, found a second (the attribute does not allow several)",
        );
    }
    *slot = Some(value);
    Ok(())
}

fn guid_arg(values: &[Value], at: u64, attr: &str) -> Res<Guid> {
    match values {
        [Value::Str(Some(s))] => match Guid::parse(s) {
            Some(g) => Ok(g),
            None => bad_attr(
                at,
                attr,
                format!("expected a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), found {s:?}"),
            ),
        },
        _ => bad_attr(at, attr, "expected one string argument"),
    }
}

fn bool_arg(values: &[Value], at: u64, attr: &str) -> Res<bool> {
    match values {
        [Value::Bool(b)] => Ok(*b),
        _ => bad_attr(at, attr, "expected one bool argument"),
    }
}

/// Integer arguments, each in `range`.
fn int_args<const N: usize>(
    values: &[Value],
    range: std::ops::RangeInclusive<i64>,
    at: u64,
    attr: &str,
) -> Res<[i32; N]> {
    let mut out = [0i32; N];
    if values.len() != N {
        return bad_attr(
            at,
            attr,
            format!("expected {N} integer arguments, found {}", values.len()),
        );
    }
    for (slot, v) in out.iter_mut().zip(values) {
        match v {
            Value::Int(i) if range.contains(i) => *slot = *i as i32,
            other => {
                return bad_attr(
                    at,
                    attr,
                    format!("expected an integer in {range:?}, found {other:?}"),
                );
            }
        }
    }
    Ok(out)
}

fn apply_assembly(asm: &mut AssemblyAttrs, attr: &str, values: &[Value], at: u64) -> Res<()> {
    match attr {
        "GuidAttribute" => once(&mut asm.guid, guid_arg(values, at, attr)?, at, attr),
        "ComVisibleAttribute" => once(&mut asm.com_visible, bool_arg(values, at, attr)?, at, attr),
        "PrimaryInteropAssemblyAttribute" => {
            let [major, minor] =
                int_args(values, i64::from(i32::MIN)..=i64::from(i32::MAX), at, attr)?;
            once(
                &mut asm.primary_interop,
                PrimaryInterop { major, minor },
                at,
                attr,
            )
        }
        "ComCompatibleVersionAttribute" => {
            let parts: [i32; 4] = int_args(values, 0..=0xFFFF, at, attr)?;
            let v = Version(parts.map(|p| p as u16));
            once(&mut asm.com_compatible_version, v, at, attr)
        }
        // The type-level attributes mean nothing on an assembly (the compiler refuses them).
        _ => Ok(()),
    }
}

fn apply_type(t: &mut TypeAttrs, attr: &str, values: &[Value], at: u64) -> Res<()> {
    let small = i64::from(i32::MIN)..=i64::from(i32::MAX);
    match attr {
        "GuidAttribute" => once(&mut t.guid, guid_arg(values, at, attr)?, at, attr),
        "ComVisibleAttribute" => once(&mut t.com_visible, bool_arg(values, at, attr)?, at, attr),
        "ProgIdAttribute" => match values {
            [Value::Str(s)] => once(&mut t.progid, s.clone(), at, attr),
            _ => bad_attr(at, attr, "expected one string argument"),
        },
        "ClassInterfaceAttribute" => {
            let [v] = int_args(values, small, at, attr)?;
            once(&mut t.class_interface, ClassInterfaceType(v), at, attr)
        }
        "InterfaceTypeAttribute" => {
            let [v] = int_args(values, small, at, attr)?;
            once(&mut t.interface_type, ComInterfaceType(v), at, attr)
        }
        "ComDefaultInterfaceAttribute" => match values {
            [Value::Str(Some(s))] => once(&mut t.com_default_interface, s.clone(), at, attr),
            _ => bad_attr(
                at,
                attr,
                "expected one System.Type argument that is not null",
            ),
        },
        _ => Ok(()),
    }
}
