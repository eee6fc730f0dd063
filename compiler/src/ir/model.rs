//! Models: msgspec Structs, dataclasses, NamedTuples, TypedDicts and enums
//! defined in the app's modules, with their options and fields.

use super::{Ty, Value};
use crate::source::Span;

/// Index of a model in [`super::Ir::models`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelId(pub u32);

/// A class the app defines and a route reaches.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The class name.
    pub name: String,
    /// The dotted module it is defined in.
    pub module: String,
    /// What kind of class, with its options.
    pub kind: ModelKind,
    /// Fields in declaration order, inherited ones first (empty for enums).
    pub fields: Vec<Field>,
    /// The whole `class` statement.
    pub span: Span,
    /// The class name in the `class` line.
    pub name_span: Span,
    /// The class's own docstring as Python keeps it in `__doc__` (not
    /// inherited); msgspec's schema gives it as the `description`.
    pub doc: Option<String>,
    /// The type parameters of a generic class (`Generic[T, U]`, `class
    /// Page[T]`, or the free type variables of its bases), in order; empty
    /// for a class that is not generic. This model itself is the class used
    /// bare, each parameter read as its bound or `Any`, as msgspec reads it.
    pub params: Vec<String>,
    /// For a parametrised use of a generic class (`Page[Item]`): the class
    /// used bare and the type arguments. Its fields are the class's fields
    /// with the arguments substituted.
    pub generic: Option<Generic>,
}

/// The class and the type arguments of a parametrised generic model.
#[derive(Clone, Debug, PartialEq)]
pub struct Generic {
    /// The generic class (its bare model).
    pub origin: ModelId,
    /// One type per parameter of the class.
    pub args: Vec<Ty>,
}

impl Model {
    /// Whether this is an enum.
    pub fn is_enum(&self) -> bool {
        matches!(self.kind, ModelKind::Enum { .. })
    }

    /// `module.Name`.
    pub fn qualname(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// The model of the class itself: the origin of a parametrised generic,
    /// or this model.
    pub fn class(&self, own: ModelId) -> ModelId {
        self.generic.as_ref().map_or(own, |g| g.origin)
    }

    /// The Struct options, if this is a Struct.
    pub fn struct_options(&self) -> Option<&StructOptions> {
        match &self.kind {
            ModelKind::Struct(o) => Some(o),
            _ => None,
        }
    }
}

/// The kinds of model.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelKind {
    /// A `msgspec.Struct` subclass.
    Struct(StructOptions),
    /// A `@dataclass`.
    Dataclass(DataclassOptions),
    /// A `typing.NamedTuple` class: a tuple whose fields are its items,
    /// a JSON array to msgspec (trailing fields with defaults may be left
    /// out).
    NamedTuple,
    /// A `TypedDict`.
    TypedDict {
        /// The class's `total=` (default true).
        total: bool,
    },
    /// An `Enum`, `IntEnum` or `StrEnum`.
    Enum {
        /// Which base.
        flavor: EnumFlavor,
        /// Members in declaration order.
        members: Vec<EnumMember>,
    },
}

/// Which enum base class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnumFlavor {
    /// `enum.Enum` (values may be int or str).
    Enum,
    /// `enum.IntEnum`.
    IntEnum,
    /// `enum.StrEnum`.
    StrEnum,
    /// `enum.IntFlag` or `enum.Flag` (int values; `auto()` gives powers of
    /// two; combinations of members are values too).
    Flag,
}

/// One enum member.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumMember {
    /// The Python name (`RED`).
    pub name: String,
    /// The value (`"red"`, `1`); `auto()` is resolved to its value.
    pub value: Value,
    /// The assignment.
    pub span: Span,
}

/// A tag value of a tagged Struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagValue {
    /// A string tag.
    Str(String),
    /// An integer tag.
    Int(i128),
}

/// A `rename=` style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenameStyle {
    /// `"lower"`.
    Lower,
    /// `"upper"`.
    Upper,
    /// `"camel"`.
    Camel,
    /// `"pascal"`.
    Pascal,
    /// `"kebab"`.
    Kebab,
    /// A dict literal mapping field names to wire names.
    Mapping(Vec<(String, String)>),
}

/// The class keywords of a `msgspec.Struct` (inherited ones applied).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StructOptions {
    /// `forbid_unknown_fields=`.
    pub forbid_unknown_fields: bool,
    /// `omit_defaults=`.
    pub omit_defaults: bool,
    /// `rename=`.
    pub rename: Option<RenameStyle>,
    /// The resolved tag (`tag=True` gives the class name).
    pub tag: Option<TagValue>,
    /// `tag_field=` (default `"type"` when tagged).
    pub tag_field: Option<String>,
    /// `array_like=`.
    pub array_like: bool,
    /// `kw_only=`.
    pub kw_only: bool,
    /// `frozen=`.
    pub frozen: bool,
    /// Every keyword as written, for checks and the IR dump.
    pub keywords: Vec<(String, Value)>,
}

/// The arguments of `@dataclass(...)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DataclassOptions {
    /// `frozen=`.
    pub frozen: bool,
    /// `kw_only=`.
    pub kw_only: bool,
}

/// A field's default.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldDefault {
    /// No default: required.
    Required,
    /// `= value` or `field(default=value)`.
    Value(Value),
    /// `field(default_factory=f)`: the factory expression.
    Factory(Value),
}

/// One field of a Struct, dataclass or TypedDict.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The Python attribute name.
    pub name: String,
    /// The JSON key (after `rename=` and `field(name=)`).
    pub wire_name: String,
    /// The annotation.
    pub ty: Ty,
    /// The default.
    pub default: FieldDefault,
    /// Whether decoding requires the key (TypedDict `total`/`NotRequired`
    /// applied; Structs and dataclasses: no default).
    pub required: bool,
    /// Whether the field is keyword-only.
    pub kw_only: bool,
    /// The model that declared it (differs from the owner when inherited).
    pub declared_in: String,
    /// The whole field statement.
    pub span: Span,
}
