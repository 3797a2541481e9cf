//! The scenario file as TOML spells it: serde structs that only check shape (every table denies
//! unknown fields) and keep the byte span of each value, so that `build` can say where a bad
//! value was written. Meaning (GUIDs, versions, paths, defaults) is checked in `build`.

use std::fmt;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use crate::StepAction;

/// A spanned string.
pub(crate) type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub title: Text,
    pub description: Option<String>,
    pub switches: Option<Entries<Text>>,
    /// The directory files may come from: the scenario's (`.`, the default) or an ancestor.
    pub root: Option<Text>,
    /// The machine, or the file that describes it.
    pub machine: Option<Spanned<MachineSource>>,
    pub process: Spanned<RawProcess>,
    #[serde(default, rename = "step")]
    pub steps: Vec<Spanned<RawStep>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMachine {
    pub os: Option<Text>,
    pub clrs: Option<Vec<Text>>,
    pub environment: Option<Entries<Text>>,
    #[serde(default)]
    pub registry: Vec<Spanned<RawRegistry>>,
    #[serde(default)]
    pub file: Vec<Spanned<RawFile>>,
    #[serde(default)]
    pub assembly: Vec<Spanned<RawAssembly>>,
    #[serde(default)]
    pub native: Vec<Spanned<RawNative>>,
    /// Paths with no file: standard system files the machine lacks (COM-3), or files a
    /// partial machine states are absent.
    #[serde(default)]
    pub absent: Vec<Text>,
    /// `"complete"` (the default: what is not declared does not exist) or `"partial"` (a path
    /// nobody declared is unknown).
    pub files: Option<Text>,
    /// With `files = "partial"`: directories whose files are all declared.
    pub complete_dirs: Option<Vec<Text>>,
}

/// `[machine]` written in the scenario, or `machine = "../machines/x.toml"`: a file whose
/// top-level keys are those of `[machine]`, shared by several scenarios.
#[derive(Debug)]
pub(crate) enum MachineSource {
    Table(Box<RawMachine>),
    File(String),
}

impl<'de> Deserialize<'de> for MachineSource {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MachineSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a `[machine]` table, or the name of a machine file")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MachineSource, E> {
                Ok(MachineSource::File(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MachineSource, A::Error> {
                RawMachine::deserialize(MapAccessDeserializer::new(map))
                    .map(|m| MachineSource::Table(Box::new(m)))
            }
        }
        d.deserialize_any(V)
    }
}

/// An entry of `machine.registry`: `"file.reg"`, `{ file = "file.reg", view = 32, as = "standard-user" }`
/// or a hive file, `{ hive = "SOFTWARE" }` / `{ hive = "x.dat", mount = "HKU\\S-1-5-21-…" }`.
#[derive(Debug)]
pub(crate) enum RawRegistry {
    File(String),
    Table(RawRegistryTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegistryTable {
    pub file: Option<Text>,
    pub hive: Option<Text>,
    pub mount: Option<Text>,
    pub view: Option<Spanned<i64>>,
    #[serde(rename = "as")]
    pub as_user: Option<Text>,
}

impl<'de> Deserialize<'de> for RawRegistry {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRegistry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a .reg file name, or a table `{ file = \"…\", view = 32, as = \"standard-user\" }` or `{ hive = \"SOFTWARE\", mount = \"…\" }`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRegistry, E> {
                Ok(RawRegistry::File(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawRegistry, A::Error> {
                RawRegistryTable::deserialize(MapAccessDeserializer::new(map))
                    .map(RawRegistry::Table)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub path: Text,
    pub source: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAssembly {
    pub path: Option<Text>,
    pub gac: Option<Spanned<OneOrMany>>,
    /// A real assembly file in the scenario directory: the facts below are read from it.
    pub source: Option<Text>,
    pub name: Option<Text>,
    pub version: Option<Text>,
    pub culture: Option<Text>,
    pub public_key_token: Option<Text>,
    pub public_key: Option<Text>,
    pub com_compatible_version: Option<Text>,
    pub runtime: Option<Text>,
    pub architecture: Option<Text>,
    pub com_visible: Option<bool>,
    pub primary_interop: Option<Spanned<RawPrimaryInterop>>,
    pub guid: Option<Text>,
    pub manifest: Option<Text>,
    #[serde(default, rename = "type")]
    pub types: Vec<Spanned<RawType>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrimaryInterop {
    pub libid: Text,
    pub major: Spanned<i64>,
    pub minor: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawType {
    pub name: Text,
    pub kind: Option<Text>,
    pub guid: Option<Text>,
    pub public: Option<bool>,
    #[serde(rename = "abstract")]
    pub is_abstract: Option<bool>,
    pub com_visible: Option<bool>,
    pub default_constructor: Option<bool>,
    pub com_import: Option<bool>,
    pub progid: Option<Text>,
    pub generic: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNative {
    pub path: Text,
    pub bitness: Option<Spanned<i64>>,
    #[serde(default)]
    pub serves: Vec<Text>,
    pub starts: Option<Spanned<bool>>,
    pub manifest: Option<Text>,
    pub bytes: Option<Text>,
    pub readable_by: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProcess {
    pub exe: Text,
    pub client: Option<Text>,
    pub bitness: Option<Spanned<i64>>,
    pub elevated: Option<bool>,
    pub apartment: Text,
    pub preloads_clr: Option<Spanned<bool>>,
    pub cwd: Option<Text>,
    pub main_sta: Option<Text>,
    pub mta_exists: Option<Spanned<bool>>,
}

/// A step's `actctx = { manifest = '…', assembly_directory = '…' }` (SXS-1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawActCtx {
    pub manifest: Text,
    pub assembly_directory: Option<Text>,
}

/// One `[[step]]`. Every key any step kind may use is here; `build::step` decides which kind the
/// step is from the action keys present ([`RawStep::actions`]) and rejects options that do not
/// belong to it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub name: Option<Text>,
    // Requests (REQ-1..REQ-5).
    pub get_type_from_clsid: Option<Text>,
    pub create_instance: Option<Text>,
    pub get_type_from_progid: Option<Text>,
    pub co_create_instance: Option<Text>,
    pub load_record: Option<Text>,
    pub dll_get_class_object: Option<Text>,
    // Options of some requests.
    pub throw_on_error: Option<Spanned<bool>>,
    pub create: Option<Spanned<bool>>,
    pub clsctx: Option<Text>,
    // Options of every request.
    pub apartment: Option<Text>,
    pub actctx: Option<Spanned<RawActCtx>>,
    // Steps that change or show the machine.
    pub regasm: Option<Spanned<Vec<Text>>>,
    pub import: Option<Text>,
    pub delete: Option<Text>,
    pub show: Option<Text>,
    pub sxs_lookup: Option<Text>,
    // Option of `sxs_lookup`.
    pub find: Option<Text>,
    // Options of `regasm`.
    pub bitness: Option<Spanned<i64>>,
    pub clr: Option<Text>,
    pub elevated: Option<Spanned<bool>>,
    pub cwd: Option<Text>,
    // Options of `import`, `delete` and `show`.
    pub view: Option<Spanned<i64>>,
    #[serde(rename = "as")]
    pub as_user: Option<Text>,
    pub expect: Option<Spanned<ExpectTable>>,
    pub expect_clr2: Option<Spanned<ExpectTable>>,
    pub expect_clr4: Option<Spanned<ExpectTable>>,
    pub expect_real: Option<Spanned<ExpectTable>>,
}

impl RawStep {
    /// The action keys present, with the span of their value, in the order of
    /// [`StepAction::ALL`]: exactly one must be.
    pub fn actions(&self) -> Vec<(StepAction, std::ops::Range<usize>)> {
        StepAction::ALL
            .into_iter()
            .filter_map(|a| self.action_span(a).map(|span| (a, span)))
            .collect()
    }

    /// The span of an action key's value, when the step gives that key.
    fn action_span(&self, action: StepAction) -> Option<std::ops::Range<usize>> {
        let text = |t: &Option<Text>| t.as_ref().map(Spanned::span);
        match action {
            StepAction::GetTypeFromClsid => text(&self.get_type_from_clsid),
            StepAction::CreateInstance => text(&self.create_instance),
            StepAction::GetTypeFromProgid => text(&self.get_type_from_progid),
            StepAction::CoCreateInstance => text(&self.co_create_instance),
            StepAction::LoadRecord => text(&self.load_record),
            StepAction::DllGetClassObject => text(&self.dll_get_class_object),
            StepAction::Regasm => self.regasm.as_ref().map(Spanned::span),
            StepAction::Import => text(&self.import),
            StepAction::Delete => text(&self.delete),
            StepAction::Show => text(&self.show),
            StepAction::SxsLookup => text(&self.sxs_lookup),
        }
    }

    /// The text argument of a request action or of `import`, `delete`, `show` (`None` for
    /// `regasm`, whose argument is a list, or when the key is absent).
    pub fn text_arg(&self, action: StepAction) -> Option<&Text> {
        match action {
            StepAction::GetTypeFromClsid => self.get_type_from_clsid.as_ref(),
            StepAction::CreateInstance => self.create_instance.as_ref(),
            StepAction::GetTypeFromProgid => self.get_type_from_progid.as_ref(),
            StepAction::CoCreateInstance => self.co_create_instance.as_ref(),
            StepAction::LoadRecord => self.load_record.as_ref(),
            StepAction::DllGetClassObject => self.dll_get_class_object.as_ref(),
            StepAction::Regasm => None,
            StepAction::Import => self.import.as_ref(),
            StepAction::Delete => self.delete.as_ref(),
            StepAction::Show => self.show.as_ref(),
            StepAction::SxsLookup => self.sxs_lookup.as_ref(),
        }
    }
}

/// `"x"` or `["x", "y"]`.
#[derive(Debug)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<Text>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany, A::Error> {
                Vec::<Text>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar expectation value: TOML lets `hresult = 0x80040154` and `created = true` be written
/// without quotes.
#[derive(Debug, Clone)]
pub(crate) enum Scalar {
    Str(String),
    Bool(bool),
    Int(i64),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a boolean or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A value in an expectation table: a scalar, or a table whose keys continue the field name
/// (`server = { kind = "…" }` is `server.kind`). Nesting is bounded by the type: [`ExpectTable`]
/// is three levels deep (`server.managed.type`), no more, whatever the input.
#[derive(Debug)]
pub(crate) enum Node<T> {
    Scalar(Scalar),
    Table(Vec<(Text, Spanned<T>)>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Node<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Node<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a boolean, an integer or a table")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<T>, E> {
                Ok(Node::Scalar(Scalar::Str(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<T>, E> {
                Ok(Node::Scalar(Scalar::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<T>, E> {
                Ok(Node::Scalar(Scalar::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<T>, E> {
                i64::try_from(v)
                    .map(|v| Node::Scalar(Scalar::Int(v)))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Text>()? {
                    let value = map.next_value::<Spanned<T>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Table(entries))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `expect = { kind = "…", "server.apartment" = "STA", server = { kind = "…" } }`.
pub(crate) type ExpectTable = Entries<Spanned<Node<Node<Scalar>>>>;

/// A table's entries in the order TOML gives them, each key with its span.
#[derive(Debug)]
pub(crate) struct Entries<V>(pub Vec<(Text, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Text>()? {
                    entries.push((key, map.next_value::<V>()?));
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}
