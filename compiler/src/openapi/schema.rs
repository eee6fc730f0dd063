//! JSON Schemas of the app's types, following msgspec's own
//! (`msgspec.json.schema_components`): the same component names (the class
//! name, or `module.Class` when two classes share one), `title`,
//! `required`, `enum` (sorted), `anyOf` for unions with a `discriminator`
//! for tagged Structs, constraints as `minimum`/`maxLength`/..., `format`
//! for dates, UUIDs and decimals, and defaults as msgspec writes them. The
//! differential test (`tests/differential/test_openapi.py`) holds the two
//! to the same output for every type of the differential matrix.

use super::json::Json;
use crate::ir::{
    Constraints, EnumFlavor, FieldDefault, Ir, Literal, MetaDocs, Model, ModelId, ModelKind,
    Number, TagValue, Ty, TyKind, Value, ValueKind,
};

/// Where `$ref`s point.
const REF: &str = "#/components/schemas/";

/// The schemas of one document: every type asked for, and the components
/// (models) they reach, named as msgspec names them.
pub struct Schemas<'a> {
    ir: &'a Ir,
    /// Models reached, in the order first reached, with their names.
    components: Vec<(ModelId, String)>,
}

impl<'a> Schemas<'a> {
    /// The components of every model any of `types` reaches, named.
    pub fn new<'t>(ir: &'a Ir, types: impl IntoIterator<Item = &'t Ty>) -> Schemas<'a> {
        let mut found = Vec::new();
        for t in types {
            collect(ir, t, &mut found);
        }
        let components = names(ir, &found);
        Schemas { ir, components }
    }

    /// The component name of a model, if it was reached.
    pub fn name_of(&self, id: ModelId) -> Option<&str> {
        self.components
            .iter()
            .find(|(m, _)| *m == id)
            .map(|(_, n)| n.as_str())
    }

    /// Whether a component of this name exists.
    pub fn has_name(&self, name: &str) -> bool {
        self.components.iter().any(|(_, n)| n == name)
    }

    /// `components.schemas`: each model's schema, in the order reached.
    pub fn components(&self) -> Vec<(String, Json)> {
        self.components
            .iter()
            .map(|(id, name)| (name.clone(), self.model(*id)))
            .collect()
    }

    /// The schema of a type (models as `$ref`s).
    pub fn schema(&self, ty: &Ty) -> Json {
        self.of(ty, &Constraints::default())
    }

    fn of(&self, ty: &Ty, outer: &Constraints) -> Json {
        let mut c = outer.clone();
        let mut t = ty;
        while let TyKind::Constrained(inner, more) = &t.kind {
            c.merge(more);
            t = inner;
        }
        let s = self.shape(t, &c);
        self.documented(s, &c.docs)
    }

    /// `Meta`'s documentation around a schema, as msgspec places it:
    /// `title`, `description`, `examples`, then the keys of
    /// `extra_json_schema`, then the schema's own keys, which keep the
    /// place an extra key of the same name took but replace its value.
    fn documented(&self, schema: Json, docs: &MetaDocs) -> Json {
        let Json::Obj(entries) = schema else {
            return schema;
        };
        let mut out = Json::obj();
        if let Some(t) = &docs.title {
            out.set("title", Json::str(t.clone()));
        }
        if let Some(d) = &docs.description {
            out.set("description", Json::str(d.clone()));
        }
        if let Some(e) = docs.examples.as_ref().and_then(|e| self.builtins(e)) {
            out.set("examples", e);
        }
        if let Some(Json::Obj(extra)) = docs
            .extra_json_schema
            .as_ref()
            .and_then(|e| self.builtins(e))
        {
            for (k, v) in extra {
                out.set(&k, v);
            }
        }
        for (k, v) in entries {
            out.set(&k, v);
        }
        out
    }

    /// The schema of a type once its constraints are gathered in `c`.
    fn shape(&self, t: &Ty, c: &Constraints) -> Json {
        let mut s = Json::obj();
        match &t.kind {
            TyKind::Any
            | TyKind::Raw
            | TyKind::Unknown
            | TyKind::Request
            | TyKind::Response
            | TyKind::Unset
            | TyKind::Constrained(..) => {}
            TyKind::UploadFile => {
                s.set("type", Json::str("string"));
                s.set("format", Json::str("binary"));
            }
            TyKind::None => s.set("type", Json::str("null")),
            TyKind::Bool => s.set("type", Json::str("boolean")),
            TyKind::Int | TyKind::Float => {
                let kind = if matches!(t.kind, TyKind::Int) {
                    "integer"
                } else {
                    "number"
                };
                s.set("type", Json::str(kind));
                let num = |n: &Number| match n {
                    Number::Int(i) => Json::Int(*i),
                    Number::Float(x) => Json::Float(*x),
                };
                if let Some(b) = &c.ge {
                    s.set("minimum", num(&b.value));
                }
                if let Some(b) = &c.gt {
                    s.set("exclusiveMinimum", num(&b.value));
                }
                if let Some(b) = &c.le {
                    s.set("maximum", num(&b.value));
                }
                if let Some(b) = &c.lt {
                    s.set("exclusiveMaximum", num(&b.value));
                }
                if let Some(b) = &c.multiple_of {
                    s.set("multipleOf", num(&b.value));
                }
            }
            TyKind::Str => {
                s.set("type", Json::str("string"));
                if let Some(b) = &c.max_length {
                    s.set("maxLength", Json::Int(b.value));
                }
                if let Some(b) = &c.min_length {
                    s.set("minLength", Json::Int(b.value));
                }
                if let Some(b) = &c.pattern {
                    s.set("pattern", Json::str(b.value.clone()));
                }
            }
            TyKind::Bytes | TyKind::ByteArray | TyKind::MemoryView => {
                s.set("type", Json::str("string"));
                s.set("contentEncoding", Json::str("base64"));
                // The lengths count bytes; the schema counts base64 text.
                if let Some(b) = &c.max_length {
                    s.set("maxLength", Json::Int(4 * ((b.value + 2) / 3)));
                }
                if let Some(b) = &c.min_length {
                    s.set("minLength", Json::Int(4 * ((b.value + 2) / 3)));
                }
            }
            TyKind::DateTime => {
                s.set("type", Json::str("string"));
                if c.tz.as_ref().is_some_and(|b| b.value) {
                    s.set("format", Json::str("date-time"));
                }
            }
            TyKind::Time => {
                s.set("type", Json::str("string"));
                match c.tz.as_ref().map(|b| b.value) {
                    Some(true) => s.set("format", Json::str("time")),
                    Some(false) => s.set("format", Json::str("partial-time")),
                    None => {}
                }
            }
            TyKind::Date => string_format(&mut s, "date"),
            TyKind::TimeDelta => string_format(&mut s, "duration"),
            TyKind::Uuid => string_format(&mut s, "uuid"),
            TyKind::Decimal => string_format(&mut s, "decimal"),
            TyKind::List(item)
            | TyKind::Set(item)
            | TyKind::FrozenSet(item)
            | TyKind::VarTuple(item) => {
                s.set("type", Json::str("array"));
                if !matches!(item.unconstrained().kind, TyKind::Any) {
                    s.set("items", self.schema(item));
                }
                if let Some(b) = &c.max_length {
                    s.set("maxItems", Json::Int(b.value));
                }
                if let Some(b) = &c.min_length {
                    s.set("minItems", Json::Int(b.value));
                }
                if matches!(t.kind, TyKind::Set(_) | TyKind::FrozenSet(_)) {
                    s.set("uniqueItems", Json::Bool(true));
                }
            }
            TyKind::Tuple(items) => {
                s.set("type", Json::str("array"));
                let n = Json::Int(items.len() as i128);
                s.set("minItems", n.clone());
                s.set("maxItems", n);
                if !items.is_empty() {
                    s.set(
                        "prefixItems",
                        Json::Arr(items.iter().map(|i| self.schema(i)).collect()),
                    );
                    s.set("items", Json::Bool(false));
                }
            }
            TyKind::Dict(k, v) => {
                s.set("type", Json::str("object"));
                if matches!(k.unconstrained().kind, TyKind::Str) {
                    let mut names = self.schema(k);
                    names.remove("type");
                    if !names.is_empty_obj() {
                        s.set("propertyNames", names);
                    }
                }
                if !matches!(v.unconstrained().kind, TyKind::Any) {
                    s.set("additionalProperties", self.schema(v));
                }
                if let Some(b) = &c.max_length {
                    s.set("maxProperties", Json::Int(b.value));
                }
                if let Some(b) = &c.min_length {
                    s.set("minProperties", Json::Int(b.value));
                }
            }
            TyKind::Union(members) => return self.union(members),
            TyKind::Literal(values) => s.set("enum", Json::Arr(sorted_literals(values))),
            TyKind::Model(id) => match self.name_of(*id) {
                Some(name) => s.set("$ref", Json::str(format!("{REF}{name}"))),
                None => return self.model(*id),
            },
        }
        s
    }

    /// msgspec's union: the other members in order, then the Structs
    /// (with a discriminator when two or more are tagged), then `null`.
    fn union(&self, members: &[Ty]) -> Json {
        let members: Vec<&Ty> = members
            .iter()
            .filter(|m| !matches!(m.unconstrained().kind, TyKind::Unset))
            .collect();
        if let [one] = members.as_slice() {
            return self.schema(one);
        }
        let mut structs: Vec<(Option<TagValue>, String, ModelId)> = Vec::new();
        let mut none = None;
        let mut options = Vec::new();
        for m in &members {
            match &m.unconstrained().kind {
                TyKind::Model(id) => match &self.ir.model(*id).kind {
                    ModelKind::Struct(o) if !o.array_like => {
                        let field = o.tag_field.clone().unwrap_or_else(|| "type".to_string());
                        let tag = o.tag.clone();
                        match structs.iter_mut().find(|(t, _, _)| *t == tag) {
                            Some(slot) => *slot = (tag, field, *id),
                            None => structs.push((tag, field, *id)),
                        }
                    }
                    _ => options.push(self.schema(m)),
                },
                TyKind::None => none = Some(self.schema(m)),
                _ => options.push(self.schema(m)),
            }
        }
        let reference = |id: ModelId| self.schema(&Ty::new(TyKind::Model(id), Default::default()));
        if structs.len() >= 2 {
            let field = structs.last().map(|s| s.1.clone()).unwrap_or_default();
            let mapping = structs
                .iter()
                .map(|(tag, _, id)| {
                    let key = match tag {
                        Some(TagValue::Str(s)) => s.clone(),
                        Some(TagValue::Int(i)) => i.to_string(),
                        None => "null".to_string(),
                    };
                    let name = self.name_of(*id).unwrap_or_default();
                    (key, Json::str(format!("{REF}{name}")))
                })
                .collect();
            let tagged = Json::obj()
                .with(
                    "anyOf",
                    Json::Arr(structs.iter().map(|s| reference(s.2)).collect()),
                )
                .with(
                    "discriminator",
                    Json::obj()
                        .with("propertyName", Json::str(field))
                        .with("mapping", Json::Obj(mapping)),
                );
            if options.is_empty() && none.is_none() {
                return tagged;
            }
            options.push(tagged);
        } else if let Some((_, _, id)) = structs.pop() {
            options.push(reference(id));
        }
        options.extend(none);
        Json::obj().with("anyOf", Json::Arr(options))
    }

    /// A model's own schema (its component).
    fn model(&self, id: ModelId) -> Json {
        let m = self.ir.model(id);
        // A parametrised generic's title is its alias (`Page[Item]`).
        let title = match &m.generic {
            Some(g) => {
                let args: Vec<String> =
                    g.args.iter().map(|t| alias_arg(self.ir, t, true)).collect();
                format!("{}[{}]", self.ir.model(g.origin).name, args.join(", "))
            }
            None => m.name.clone(),
        };
        let mut s = Json::obj().with("title", Json::str(title));
        // msgspec strips the docstring (its indentation stays).
        if let Some(doc) = m.doc.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            s.set("description", Json::str(doc.to_string()));
        }
        match &m.kind {
            ModelKind::Enum { members, flavor } => {
                let mut values: Vec<Literal> = members
                    .iter()
                    .filter_map(|mb| match &mb.value.kind {
                        ValueKind::Int(i) => Some(Literal::Int(*i)),
                        ValueKind::Str(v) => Some(Literal::Str(v.clone())),
                        _ => None,
                    })
                    .collect();
                if matches!(flavor, EnumFlavor::Flag) {
                    values.dedup();
                }
                s.set("enum", Json::Arr(sorted_literals(&values)));
            }
            ModelKind::Struct(o) => {
                let mut names = Vec::new();
                let mut fields = Vec::new();
                let mut required = Vec::new();
                if let Some(tag) = &o.tag {
                    let field = o.tag_field.clone().unwrap_or_else(|| "type".to_string());
                    let tag = match tag {
                        TagValue::Str(s) => Json::str(s.clone()),
                        TagValue::Int(i) => Json::Int(*i),
                    };
                    required.push(Json::str(field.clone()));
                    names.push(field);
                    fields.push(Json::obj().with("enum", Json::Arr(vec![tag])));
                }
                for f in &m.fields {
                    let mut fs = self.schema(&f.ty);
                    if f.required {
                        required.push(Json::str(f.wire_name.clone()));
                    } else {
                        match &f.default {
                            FieldDefault::Value(v) => {
                                if let Some(d) = self.builtins(v) {
                                    fs.set("default", d);
                                }
                            }
                            FieldDefault::Factory(v) => {
                                if let Some(d) = empty_of_factory(v) {
                                    fs.set("default", d);
                                }
                            }
                            FieldDefault::Required => {}
                        }
                    }
                    names.push(f.wire_name.clone());
                    fields.push(fs);
                }
                if o.array_like {
                    let trailing = m.fields.iter().rev().take_while(|f| !f.required).count();
                    let n = fields.len();
                    s.set("type", Json::str("array"));
                    s.set("prefixItems", Json::Arr(fields));
                    s.set("minItems", Json::Int((n - trailing) as i128));
                    if o.forbid_unknown_fields {
                        s.set("maxItems", Json::Int(n as i128));
                    }
                } else {
                    s.set("type", Json::str("object"));
                    s.set(
                        "properties",
                        Json::Obj(names.into_iter().zip(fields).collect()),
                    );
                    s.set("required", Json::Arr(required));
                    if o.forbid_unknown_fields {
                        s.set("additionalProperties", Json::Bool(false));
                    }
                }
            }
            ModelKind::NamedTuple => {
                let mut items = Vec::new();
                for f in &m.fields {
                    let mut fs = self.schema(&f.ty);
                    if let FieldDefault::Value(v) = &f.default
                        && let Some(d) = self.builtins(v)
                    {
                        fs.set("default", d);
                    }
                    items.push(fs);
                }
                let n = items.len();
                let required = m.fields.iter().filter(|f| f.required).count();
                s.set("type", Json::str("array"));
                s.set("prefixItems", Json::Arr(items));
                s.set("minItems", Json::Int(required as i128));
                s.set("maxItems", Json::Int(n as i128));
            }
            ModelKind::Dataclass(_) | ModelKind::TypedDict { .. } => {
                let mut fields: Vec<&crate::ir::Field> = m.fields.iter().collect();
                if matches!(m.kind, ModelKind::TypedDict { .. }) {
                    // msgspec lists a TypedDict's keys sorted.
                    fields.sort_by(|a, b| a.name.cmp(&b.name));
                }
                let mut props = Vec::new();
                let mut required = Vec::new();
                for f in fields {
                    let mut fs = self.schema(&f.ty);
                    if f.required {
                        required.push(Json::str(f.wire_name.clone()));
                    } else if let FieldDefault::Value(v) = &f.default
                        && let Some(d) = self.builtins(v)
                    {
                        fs.set("default", d);
                    }
                    props.push((f.wire_name.clone(), fs));
                }
                s.set("type", Json::str("object"));
                s.set("properties", Json::Obj(props));
                s.set("required", Json::Arr(required));
            }
        }
        s
    }

    /// A constant as `msgspec.to_builtins` gives it (`None` when the
    /// compiler does not know its value).
    pub fn builtins(&self, v: &Value) -> Option<Json> {
        Some(match &v.kind {
            ValueKind::None => Json::Null,
            ValueKind::Bool(b) => Json::Bool(*b),
            ValueKind::Int(i) => Json::Int(*i),
            ValueKind::BigInt(s) => Json::BigInt(s.clone()),
            ValueKind::Float(x) => Json::Float(*x),
            ValueKind::Str(s) => Json::str(s.clone()),
            ValueKind::Bytes(b) => Json::Str(base64(b)),
            ValueKind::List(items) | ValueKind::Tuple(items) => Json::Arr(
                items
                    .iter()
                    .map(|i| self.builtins(i))
                    .collect::<Option<_>>()?,
            ),
            ValueKind::Dict(items) => Json::Obj(
                items
                    .iter()
                    .map(|(k, v)| {
                        let key = match self.builtins(k)? {
                            Json::Str(s) => s,
                            Json::Int(i) => i.to_string(),
                            _ => return None,
                        };
                        Some((key, self.builtins(v)?))
                    })
                    .collect::<Option<_>>()?,
            ),
            ValueKind::Name(q) => self.enum_value(q)?,
            ValueKind::Set(_) | ValueKind::Call { .. } | ValueKind::Other(_) => return None,
        })
    }

    /// The value of an enum member named `module.Class.MEMBER`.
    fn enum_value(&self, qualified: &str) -> Option<Json> {
        let (class, member) = qualified.rsplit_once('.')?;
        let model = self.ir.models.iter().find(|m| m.qualname() == class)?;
        let ModelKind::Enum { members, .. } = &model.kind else {
            return None;
        };
        let m = members.iter().find(|m| m.name == member)?;
        self.builtins(&m.value)
    }
}

fn string_format(s: &mut Json, format: &str) {
    s.set("type", Json::str("string"));
    s.set("format", Json::str(format));
}

/// `default_factory=list` and friends: msgspec shows the empty value.
fn empty_of_factory(v: &Value) -> Option<Json> {
    match &v.kind {
        ValueKind::Name(n) => match n.as_str() {
            "builtins.list" | "builtins.set" => Some(Json::Arr(Vec::new())),
            "builtins.dict" => Some(Json::obj()),
            "builtins.bytearray" => Some(Json::str("")),
            _ => None,
        },
        _ => None,
    }
}

/// Literal values sorted as msgspec sorts them: by Python type name
/// (`NoneType`, `bool`, `bytes`, `int`, `str`), then by value.
fn sorted_literals(values: &[Literal]) -> Vec<Json> {
    let rank = |l: &Literal| match l {
        Literal::None => 0,
        Literal::Bool(_) => 1,
        Literal::Bytes(_) => 2,
        Literal::Int(_) => 3,
        Literal::Str(_) => 4,
    };
    let mut v: Vec<&Literal> = values.iter().collect();
    v.sort_by(|a, b| {
        rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
            (Literal::Bool(x), Literal::Bool(y)) => x.cmp(y),
            (Literal::Int(x), Literal::Int(y)) => x.cmp(y),
            (Literal::Str(x), Literal::Str(y)) => x.cmp(y),
            (Literal::Bytes(x), Literal::Bytes(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        })
    });
    v.into_iter()
        .map(|l| match l {
            Literal::None => Json::Null,
            Literal::Bool(b) => Json::Bool(*b),
            Literal::Int(i) => Json::Int(*i),
            Literal::Str(s) => Json::str(s.clone()),
            Literal::Bytes(b) => Json::Str(base64(b)),
        })
        .collect()
}

/// Every model `ty` reaches, in msgspec's order (a model, then the models
/// of its fields).
fn collect(ir: &Ir, ty: &Ty, out: &mut Vec<ModelId>) {
    match &ty.kind {
        TyKind::Model(id) => {
            if out.contains(id) {
                return;
            }
            out.push(*id);
            for f in &ir.model(*id).fields {
                collect(ir, &f.ty, out);
            }
        }
        TyKind::Constrained(t, _)
        | TyKind::List(t)
        | TyKind::Set(t)
        | TyKind::FrozenSet(t)
        | TyKind::VarTuple(t) => collect(ir, t, out),
        TyKind::Tuple(ts) | TyKind::Union(ts) => ts.iter().for_each(|t| collect(ir, t, out)),
        TyKind::Dict(k, v) => {
            collect(ir, k, out);
            collect(ir, v, out);
        }
        _ => {}
    }
}

/// msgspec's component names: the class name, or `module.Class` (other
/// characters than letters, digits, `.`, `-` and `_` replaced by `_`) for
/// every class whose name another class shares.
fn names(ir: &Ir, ids: &[ModelId]) -> Vec<(ModelId, String)> {
    let normalize = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    ids.iter()
        .map(|&id| {
            let m: &Model = ir.model(id);
            // A parametrised generic is named after its alias, as msgspec
            // names it (`Page[Item]` is `Page_Item_`).
            if let Some(g) = &m.generic {
                let args: Vec<String> = g.args.iter().map(|t| alias_arg(ir, t, true)).collect();
                let origin = &ir.model(g.origin).name;
                return (id, normalize(&format!("{origin}[{}]", args.join(", "))));
            }
            let shared = ids
                .iter()
                .any(|&o| o != id && ir.model(o).generic.is_none() && ir.model(o).name == m.name);
            let name = if shared {
                normalize(&m.qualname())
            } else {
                normalize(&m.name)
            };
            (id, name)
        })
        .collect()
}

/// A type argument as Python shows it inside a generic alias: a class by
/// its name at the top level (`Page[Item]`), anything else as its `repr`
/// (`list[models.Item]`, `models.Page[str]`), classes module-qualified.
fn alias_arg(ir: &Ir, ty: &crate::ir::Ty, top: bool) -> String {
    use crate::ir::TyKind as K;
    let inner = |t: &crate::ir::Ty| alias_arg(ir, t, false);
    match &ty.kind {
        K::Model(id) => {
            let m = ir.model(*id);
            match &m.generic {
                Some(g) => {
                    let args: Vec<String> = g.args.iter().map(inner).collect();
                    format!("{}[{}]", ir.model(g.origin).qualname(), args.join(", "))
                }
                None if top => m.name.clone(),
                None => m.qualname(),
            }
        }
        K::List(t) => format!("list[{}]", inner(t)),
        K::Set(t) => format!("set[{}]", inner(t)),
        K::FrozenSet(t) => format!("frozenset[{}]", inner(t)),
        K::VarTuple(t) => format!("tuple[{}, ...]", inner(t)),
        K::Tuple(items) => format!(
            "tuple[{}]",
            items.iter().map(inner).collect::<Vec<_>>().join(", ")
        ),
        K::Dict(k, v) => format!("dict[{}, {}]", inner(k), inner(v)),
        K::Union(items) => items.iter().map(inner).collect::<Vec<_>>().join(" | "),
        K::Constrained(t, _) => alias_arg(ir, t, top),
        _ => ty.display(ir).to_string(),
    }
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
    }
}
