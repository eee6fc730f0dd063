//! Renders IR types as Python expressions the runtime evaluates once at
//! start-up (to build msgspec decoders and encoders for them).
//!
//! Every name is reached through `__import__`, so an expression means the
//! same thing in any module's namespace, whatever the user imported.

use crate::ir::{Constraints, Ir, Literal, Number, Ty, TyKind};

fn module_attr(module: &str, attr: &str) -> String {
    format!("__import__({module:?}, fromlist=['_']).{attr}")
}

fn typing(name: &str) -> String {
    module_attr("typing", name)
}

fn number(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Float(x) if x.is_finite() => format!("{x:?}"),
        Number::Float(x) if x > 0.0 => "float('inf')".to_string(),
        Number::Float(x) if x < 0.0 => "float('-inf')".to_string(),
        Number::Float(_) => "float('nan')".to_string(),
    }
}

fn py_str(s: &str) -> String {
    // A Python string literal: JSON escaping is valid Python for str.
    serde_json::to_string(s).unwrap_or_else(|_| "''".to_string())
}

fn meta(c: &Constraints) -> String {
    let mut kw = Vec::new();
    macro_rules! num {
        ($($f:ident),*) => { $( if let Some(b) = &c.$f { kw.push(format!("{}={}", stringify!($f), number(b.value))); } )* };
    }
    num!(gt, ge, lt, le, multiple_of);
    if let Some(b) = &c.min_length {
        kw.push(format!("min_length={}", b.value));
    }
    if let Some(b) = &c.max_length {
        kw.push(format!("max_length={}", b.value));
    }
    if let Some(b) = &c.pattern {
        kw.push(format!("pattern={}", py_str(&b.value)));
    }
    if let Some(b) = &c.tz {
        kw.push(format!("tz={}", if b.value { "True" } else { "False" }));
    }
    format!("{}({})", module_attr("msgspec", "Meta"), kw.join(", "))
}

/// The Python expression of the Struct a route's embedded body decodes
/// into (`prebake._embed.body_struct`): one field per body parameter, named
/// after it, read from its wire name, optional when it has a default.
#[must_use]
pub fn embedded_body(ir: &Ir, name: &str, params: &[&crate::ir::Param]) -> String {
    let fields: Vec<String> = params
        .iter()
        .map(|p| {
            format!(
                "({}, {}, {}, {})",
                py_str(&p.name),
                py_str(&p.wire_name),
                expr(ir, &p.ty),
                if p.is_required() { "True" } else { "False" }
            )
        })
        .collect();
    format!(
        "{}({}, ({},))",
        module_attr("prebake._embed", "body_struct"),
        py_str(name),
        fields.join(", ")
    )
}

/// The Python expression of a type.
#[must_use]
pub fn expr(ir: &Ir, ty: &Ty) -> String {
    match &ty.kind {
        TyKind::Any | TyKind::Unknown => typing("Any"),
        TyKind::None => "None".to_string(),
        TyKind::Unset => module_attr("msgspec", "UnsetType"),
        TyKind::Bool => "bool".to_string(),
        TyKind::Int => "int".to_string(),
        TyKind::Float => "float".to_string(),
        TyKind::Str => "str".to_string(),
        TyKind::Bytes => "bytes".to_string(),
        TyKind::ByteArray => "bytearray".to_string(),
        TyKind::MemoryView => "memoryview".to_string(),
        TyKind::Raw => module_attr("msgspec", "Raw"),
        TyKind::DateTime => module_attr("datetime", "datetime"),
        TyKind::Date => module_attr("datetime", "date"),
        TyKind::Time => module_attr("datetime", "time"),
        TyKind::TimeDelta => module_attr("datetime", "timedelta"),
        TyKind::Uuid => module_attr("uuid", "UUID"),
        TyKind::Decimal => module_attr("decimal", "Decimal"),
        TyKind::List(t) => format!("list[{}]", expr(ir, t)),
        TyKind::Set(t) => format!("set[{}]", expr(ir, t)),
        TyKind::FrozenSet(t) => format!("frozenset[{}]", expr(ir, t)),
        TyKind::VarTuple(t) => format!("tuple[{}, ...]", expr(ir, t)),
        TyKind::Tuple(items) if items.is_empty() => "tuple[()]".to_string(),
        TyKind::Tuple(items) => format!(
            "tuple[{}]",
            items
                .iter()
                .map(|t| expr(ir, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TyKind::Dict(k, v) => format!("dict[{}, {}]", expr(ir, k), expr(ir, v)),
        TyKind::Union(items) => {
            format!(
                "{}[{}]",
                typing("Union"),
                items
                    .iter()
                    .map(|t| expr(ir, t))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        TyKind::Literal(values) => {
            let vals: Vec<String> = values
                .iter()
                .map(|v| match v {
                    Literal::Int(i) => i.to_string(),
                    Literal::Str(s) => py_str(s),
                    Literal::Bool(true) => "True".to_string(),
                    Literal::Bool(false) => "False".to_string(),
                    Literal::None => "None".to_string(),
                    Literal::Bytes(b) => format!("bytes({b:?})"),
                })
                .collect();
            format!("{}[{}]", typing("Literal"), vals.join(", "))
        }
        TyKind::Model(id) => {
            let m = ir.model(*id);
            let class = module_attr(&m.module, &m.name);
            match &m.generic {
                Some(g) => format!(
                    "{class}[{}]",
                    g.args
                        .iter()
                        .map(|t| expr(ir, t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => class,
            }
        }
        TyKind::Constrained(inner, c) => {
            format!("{}[{}, {}]", typing("Annotated"), expr(ir, inner), meta(c))
        }
        TyKind::Request => module_attr("prebake", "Request"),
        TyKind::UploadFile => module_attr("prebake", "UploadFile"),
        TyKind::Response => module_attr("prebake", "Response"),
    }
}

/// The Python expression of a model's class: a generic model's class
/// itself, without its type arguments (`Page`, for `Page[Item]`), which
/// the encoders read their layout from and check instances against.
#[must_use]
pub fn class(ir: &Ir, id: crate::ir::ModelId) -> String {
    let m = ir.model(id);
    module_attr(&m.module, &m.name)
}

/// A Python expression for `name` defined in `module`, seen from anywhere.
#[must_use]
pub fn global(module: &str, name: &str) -> String {
    module_attr(module, name)
}
