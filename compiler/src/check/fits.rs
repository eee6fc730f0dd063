//! Whether a constant fits a type, by msgspec's rules.
//!
//! Used for defaults (PB023) and returned literals (PB030). The rules are
//! msgspec's, which are stricter than Python's: `bool` is not an `int`, an
//! `int` is a `float`, `None` fits only an optional type, a string fits a
//! `Literal` only if it is listed and never fits an enum (the member
//! `Color.RED` does), a `dict` literal fits a `TypedDict` but not a Struct.
//! A value the compiler cannot evaluate (a variable, a call to a function)
//! fits everything: only definite mismatches are reported.

use super::Ctx;
use crate::ir::{Literal, Model, ModelKind, Ty, TyKind, Value, ValueKind};
use crate::source::Span;

/// Why a value does not fit.
#[derive(Debug)]
pub(crate) struct Mismatch {
    /// The offending (sub-)value.
    pub(crate) span: Span,
    /// What the value is (`None`, `str`, `dict`).
    pub(crate) found: String,
    /// What was expected there, as Python spells it.
    pub(crate) expected: String,
    /// A fix, when one is obvious (`use `Color.RED``).
    pub(crate) help: Option<String>,
    /// A fact the user may not know (`bool is not int for msgspec`).
    pub(crate) note: Option<String>,
}

/// What a constant is, as far as the type rules care.
enum Shape<'a> {
    None,
    Bool(bool),
    Int(Option<i128>),
    Float,
    Str(&'a str),
    Bytes,
    List(&'a [Value]),
    Tuple(&'a [Value]),
    Set(&'a [Value]),
    Dict(&'a [(Value, Value)]),
    /// A member of a model enum: the enum and the member name.
    EnumMember(usize, &'a str),
    /// An instance made by a known constructor: its type.
    Instance(TyKind),
    /// Something the compiler cannot evaluate.
    Unknown,
}

/// Checks that `v` fits `ty`; `Ok` also when it cannot tell.
pub(crate) fn fits(ctx: &Ctx<'_>, v: &Value, ty: &Ty) -> Result<(), Mismatch> {
    let shape = shape(ctx, v);
    if matches!(shape, Shape::Unknown) {
        return Ok(());
    }
    let ty = ty.unconstrained();
    match &ty.kind {
        TyKind::Any | TyKind::Unknown => Ok(()),
        TyKind::Union(members) => {
            let mut first_err = None;
            for m in members {
                match fits(ctx, v, m) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            // A container literal that fails inside its only container
            // member is best reported at the inner value.
            let containers = members.iter().filter(|m| is_container(m)).count();
            match first_err {
                Some(e) if containers == 1 && e.span != v.span => {
                    let only = members.iter().find(|m| is_container(m));
                    match only.map(|m| fits(ctx, v, m)) {
                        Some(Err(inner)) => Err(inner),
                        _ => Err(mismatch(ctx, v, ty)),
                    }
                }
                _ => Err(mismatch(ctx, v, ty)),
            }
        }
        _ => fits_one(ctx, v, &shape, ty),
    }
}

fn is_container(ty: &Ty) -> bool {
    matches!(
        ty.unconstrained().kind,
        TyKind::List(_)
            | TyKind::Set(_)
            | TyKind::FrozenSet(_)
            | TyKind::VarTuple(_)
            | TyKind::Tuple(_)
            | TyKind::Dict(_, _)
    )
}

fn fits_one(ctx: &Ctx<'_>, v: &Value, shape: &Shape<'_>, ty: &Ty) -> Result<(), Mismatch> {
    let ok = match (shape, &ty.kind) {
        (Shape::Instance(kind), _) => instance_fits(ctx, kind, &ty.kind),
        (Shape::None, TyKind::None) => true,
        (Shape::Bool(_), TyKind::Bool) => true,
        (Shape::Int(_), TyKind::Int | TyKind::Float) => true,
        (Shape::Float, TyKind::Float) => true,
        (Shape::Str(_), TyKind::Str) => true,
        (Shape::Bytes, TyKind::Bytes | TyKind::ByteArray | TyKind::MemoryView) => true,
        (Shape::None | Shape::Bool(_) | Shape::Int(_) | Shape::Str(_), TyKind::Literal(values)) => {
            values.iter().any(|l| literal_eq(shape, l))
        }
        // What the encoders take (and `msgspec.convert`): a list, tuple or
        // set for a list or `tuple[T, ...]`, a list or tuple for a
        // fixed-length tuple.
        (
            Shape::List(items) | Shape::Tuple(items) | Shape::Set(items),
            TyKind::List(item) | TyKind::VarTuple(item),
        )
        | (Shape::Set(items), TyKind::Set(item) | TyKind::FrozenSet(item)) => {
            return each(ctx, items, item);
        }
        (Shape::Tuple(items) | Shape::List(items), TyKind::Tuple(tys))
            if items.len() == tys.len() =>
        {
            for (i, t) in items.iter().zip(tys) {
                fits(ctx, i, t)?;
            }
            return Ok(());
        }
        // A NamedTuple converts from any array of its length (trailing
        // fields with defaults may be left out).
        (Shape::Tuple(items) | Shape::List(items), TyKind::Model(id))
            if matches!(ctx.ir.model(*id).kind, ModelKind::NamedTuple) =>
        {
            let fields = &ctx.ir.model(*id).fields;
            let required = fields.iter().filter(|f| f.required).count();
            if (required..=fields.len()).contains(&items.len()) {
                for (i, f) in items.iter().zip(fields) {
                    fits(ctx, i, &f.ty)?;
                }
                return Ok(());
            }
            false
        }
        (Shape::Dict(pairs), TyKind::Dict(k, val)) => {
            for (key, value) in *pairs {
                fits(ctx, key, k)?;
                fits(ctx, value, val)?;
            }
            return Ok(());
        }
        (Shape::Dict(pairs), TyKind::Model(id)) => {
            let model = ctx.ir.model(*id);
            if let ModelKind::TypedDict { .. } = model.kind {
                return typed_dict(ctx, v, pairs, model);
            }
            // Under `response_model=` a dict is read into a Struct or a
            // dataclass by its keys (the fields' JSON names).
            if ctx.converting
                && matches!(model.kind, ModelKind::Struct(_) | ModelKind::Dataclass(_))
            {
                return typed_dict(ctx, v, pairs, model);
            }
            false
        }
        (Shape::EnumMember(m, member), TyKind::Model(id)) => {
            if *m != id.0 as usize {
                false
            } else {
                let model = ctx.ir.model(*id);
                return match &model.kind {
                    ModelKind::Enum { members, .. }
                        if !members.iter().any(|x| x.name == *member) =>
                    {
                        Err(Mismatch {
                            span: v.span,
                            found: format!("`{}.{member}`", model.name),
                            expected: format!("`{}`", model.name),
                            help: None,
                            note: Some(format!("`{}` has no member `{member}`", model.name)),
                        })
                    }
                    _ => Ok(()),
                };
            }
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let mut m = mismatch(ctx, v, ty);
    match (shape, &ty.kind) {
        (Shape::None | Shape::Bool(_) | Shape::Int(_) | Shape::Str(_), TyKind::Literal(_)) => {
            m.found = format!("`{}`", ctx.snippet(v.span));
        }
        (Shape::Bool(_), TyKind::Int | TyKind::Float) => {
            m.note = Some("msgspec never treats `bool` as a number".into());
        }
        (Shape::Float, TyKind::Int) => {
            m.help = Some("write an integer, or annotate the value as `float`".into());
        }
        (Shape::Str(_) | Shape::Int(Some(_)), TyKind::Model(id)) if ctx.ir.model(*id).is_enum() => {
            let model = ctx.ir.model(*id);
            if let Some(member) = enum_member_by_value(model, shape) {
                m.help = Some(format!("use the member: `{}.{member}`", model.name));
            } else if let Shape::Str(s) = shape {
                m.note = Some(format!("no member of `{}` has the value {s:?}", model.name));
            }
        }
        (Shape::Dict(_), TyKind::Model(id)) => {
            let model = ctx.ir.model(*id);
            m.help = Some(format!("construct the model: `{}(...)`", model.name));
        }
        (Shape::Dict([]), TyKind::Set(_) | TyKind::FrozenSet(_)) => {
            m.help = Some("`{}` is an empty dict; write `set()` for an empty set".into());
        }
        _ => {}
    }
    Err(m)
}

fn each(ctx: &Ctx<'_>, items: &[Value], item: &Ty) -> Result<(), Mismatch> {
    for i in items {
        fits(ctx, i, item)?;
    }
    Ok(())
}

/// A dict literal read into `model` by its keys, the fields' JSON names: a
/// TypedDict's (its field names), or under `response_model=` a Struct's or
/// a dataclass's.
fn typed_dict(
    ctx: &Ctx<'_>,
    v: &Value,
    pairs: &[(Value, Value)],
    model: &Model,
) -> Result<(), Mismatch> {
    for (key, value) in pairs {
        let Some(name) = key.as_str() else {
            return Err(Mismatch {
                span: key.span,
                found: format!("`{}`", key.type_name()),
                expected: "`str`".into(),
                help: None,
                note: Some(if matches!(model.kind, ModelKind::TypedDict { .. }) {
                    format!("`{}` is a TypedDict: its keys are field names", model.name)
                } else {
                    format!("`{}` is read from the dict by its field names", model.name)
                }),
            });
        };
        // A key the TypedDict does not declare is dropped from the
        // response, as `msgspec.convert` drops it: it fits, whatever its value.
        let Some(field) = model.fields.iter().find(|f| f.wire_name == name) else {
            continue;
        };
        fits(ctx, value, &field.ty)?;
    }
    if let Some(missing) = model
        .fields
        .iter()
        .find(|f| f.required && !pairs.iter().any(|(k, _)| k.as_str() == Some(&*f.wire_name)))
    {
        return Err(Mismatch {
            span: v.span,
            found: "`dict`".into(),
            expected: format!("`{}`", model.name),
            help: Some(format!("add the required key {:?}", missing.wire_name)),
            note: None,
        });
    }
    Ok(())
}

fn literal_eq(shape: &Shape<'_>, l: &Literal) -> bool {
    match (shape, l) {
        (Shape::None, Literal::None) => true,
        (Shape::Bool(a), Literal::Bool(b)) => a == b,
        (Shape::Int(Some(a)), Literal::Int(b)) => a == b,
        (Shape::Str(a), Literal::Str(b)) => a == b,
        _ => false,
    }
}

fn enum_member_by_value<'m>(model: &'m Model, shape: &Shape<'_>) -> Option<&'m str> {
    let ModelKind::Enum { members, .. } = &model.kind else {
        return None;
    };
    members
        .iter()
        .find(|m| match (&m.value.kind, shape) {
            (ValueKind::Str(a), Shape::Str(b)) => a == b,
            (ValueKind::Int(a), Shape::Int(Some(b))) => a == b,
            _ => false,
        })
        .map(|m| m.name.as_str())
}

/// Whether an instance of `kind` (made by a constructor call) fits `ty`.
fn instance_fits(ctx: &Ctx<'_>, kind: &TyKind, ty: &TyKind) -> bool {
    match (kind, ty) {
        (TyKind::Model(a), TyKind::Model(b)) => {
            // A subclass instance fits its base. The IR does not record
            // bases, but a subclass's fields start with its base's.
            let (a, b) = (ctx.ir.model(*a), ctx.ir.model(*b));
            // Under `response_model=` another class is read by its
            // attributes: it needs one for each required field.
            if ctx.converting
                && !a.is_enum()
                && matches!(b.kind, ModelKind::Struct(_) | ModelKind::Dataclass(_))
            {
                return b
                    .fields
                    .iter()
                    .filter(|f| f.required)
                    .all(|f| a.fields.iter().any(|x| x.name == f.name));
            }
            std::ptr::eq(a, b)
                || std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind)
                    && b.fields.len() <= a.fields.len()
                    && a.fields
                        .iter()
                        .zip(&b.fields)
                        .all(|(x, y)| x.name == y.name)
        }
        // A NamedTuple is a tuple; a sequence converts to a NamedTuple.
        (TyKind::Model(a), TyKind::List(_) | TyKind::VarTuple(_) | TyKind::Tuple(_))
            if matches!(ctx.ir.model(*a).kind, ModelKind::NamedTuple) =>
        {
            true
        }
        (TyKind::List(_) | TyKind::VarTuple(_) | TyKind::Tuple(_), TyKind::Model(b))
            if matches!(ctx.ir.model(*b).kind, ModelKind::NamedTuple) =>
        {
            true
        }
        (TyKind::Int, TyKind::Float) => true,
        (
            TyKind::Bytes | TyKind::ByteArray | TyKind::MemoryView,
            TyKind::Bytes | TyKind::ByteArray | TyKind::MemoryView,
        ) => true,
        (TyKind::List(_), TyKind::List(_))
        | (TyKind::Set(_), TyKind::Set(_))
        | (TyKind::FrozenSet(_), TyKind::FrozenSet(_))
        | (TyKind::VarTuple(_), TyKind::VarTuple(_) | TyKind::Tuple(_))
        | (TyKind::Dict(..), TyKind::Dict(..)) => true,
        (TyKind::Dict(..), TyKind::Model(id)) => {
            matches!(ctx.ir.model(*id).kind, ModelKind::TypedDict { .. })
        }
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// A mismatch of the whole value against `ty`.
fn mismatch(ctx: &Ctx<'_>, v: &Value, ty: &Ty) -> Mismatch {
    Mismatch {
        span: v.span,
        found: describe(ctx, v),
        expected: format!("`{}`", ty.display(ctx.ir)),
        help: None,
        note: None,
    }
}

/// What a value is, for `found ...` (`None`, `str`, `Color.RED`).
pub(crate) fn describe(ctx: &Ctx<'_>, v: &Value) -> String {
    match shape(ctx, v) {
        Shape::None => "`None`".into(),
        Shape::EnumMember(m, member) => format!("`{}.{member}`", ctx.ir.models[m].name),
        Shape::Instance(TyKind::Model(id)) => format!("`{}` instance", ctx.ir.model(id).name),
        Shape::Instance(TyKind::List(_)) => "`list`".into(),
        Shape::Instance(TyKind::Set(_)) => "`set`".into(),
        Shape::Instance(TyKind::FrozenSet(_)) => "`frozenset`".into(),
        Shape::Instance(TyKind::VarTuple(_)) => "`tuple`".into(),
        Shape::Instance(TyKind::Dict(..)) => "`dict`".into(),
        Shape::Instance(kind) => format!("`{}`", Ty::new(kind, v.span).display(ctx.ir)),
        _ => format!("`{}`", v.type_name()),
    }
}

fn shape<'v>(ctx: &Ctx<'_>, v: &'v Value) -> Shape<'v> {
    match &v.kind {
        ValueKind::None => Shape::None,
        ValueKind::Bool(b) => Shape::Bool(*b),
        ValueKind::Int(i) => Shape::Int(Some(*i)),
        ValueKind::BigInt(_) => Shape::Int(None),
        ValueKind::Float(_) => Shape::Float,
        ValueKind::Str(s) => Shape::Str(s),
        ValueKind::Bytes(_) => Shape::Bytes,
        ValueKind::List(items) => Shape::List(items),
        ValueKind::Tuple(items) => Shape::Tuple(items),
        ValueKind::Set(items) => Shape::Set(items),
        ValueKind::Dict(pairs) => Shape::Dict(pairs),
        ValueKind::Name(q) => {
            let Some((owner, member)) = q.rsplit_once('.') else {
                return Shape::Unknown;
            };
            match ctx
                .ir
                .models
                .iter()
                .position(|m| m.is_enum() && m.qualname() == owner)
            {
                Some(m) => Shape::EnumMember(m, member),
                None => Shape::Unknown,
            }
        }
        ValueKind::Call { callee, .. } => {
            constructed(ctx, callee).map_or(Shape::Unknown, Shape::Instance)
        }
        ValueKind::Other(_) => Shape::Unknown,
    }
}

/// The type a call to a known constructor returns.
pub(crate) fn constructed(ctx: &Ctx<'_>, callee: &str) -> Option<TyKind> {
    let any = || Box::new(Ty::new(TyKind::Any, Span::default()));
    Some(match callee {
        "datetime.datetime"
        | "datetime.datetime.now"
        | "datetime.datetime.utcnow"
        | "datetime.datetime.fromisoformat"
        | "datetime.datetime.fromtimestamp"
        | "datetime.datetime.combine" => TyKind::DateTime,
        "datetime.date" | "datetime.date.today" | "datetime.date.fromisoformat" => TyKind::Date,
        "datetime.time" | "datetime.time.fromisoformat" => TyKind::Time,
        "datetime.timedelta" => TyKind::TimeDelta,
        "uuid.UUID" | "uuid.uuid1" | "uuid.uuid3" | "uuid.uuid4" | "uuid.uuid5" => TyKind::Uuid,
        "decimal.Decimal" => TyKind::Decimal,
        "builtins.list" => TyKind::List(any()),
        "builtins.set" => TyKind::Set(any()),
        "builtins.frozenset" => TyKind::FrozenSet(any()),
        "builtins.tuple" => TyKind::VarTuple(any()),
        "builtins.dict" => TyKind::Dict(any(), any()),
        "builtins.str" => TyKind::Str,
        "builtins.int" => TyKind::Int,
        "builtins.float" => TyKind::Float,
        "builtins.bool" => TyKind::Bool,
        "builtins.bytes" => TyKind::Bytes,
        "builtins.bytearray" => TyKind::ByteArray,
        "builtins.memoryview" => TyKind::MemoryView,
        q if crate::ir::RESPONSE_CLASSES.contains(&q) => TyKind::Response,
        q => {
            let id = ctx
                .ir
                .models
                .iter()
                .position(|m| m.qualname() == q && !m.is_enum())?;
            TyKind::Model(crate::ir::ModelId(u32::try_from(id).ok()?))
        }
    })
}

/// Checks that what a `default_factory` makes fits `ty`: the factory is a
/// callable (`list`, a model class), so it is checked as a call to it.
pub(crate) fn factory_fits(ctx: &Ctx<'_>, factory: &Value, ty: &Ty) -> Result<(), Mismatch> {
    let ValueKind::Name(callee) = &factory.kind else {
        return Ok(());
    };
    let call = Value::new(
        ValueKind::Call {
            callee: callee.clone(),
            args: Vec::new(),
            kwargs: Vec::new(),
        },
        factory.span,
    );
    fits(ctx, &call, ty)
}
