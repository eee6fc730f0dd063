//! PB162 `pydantic-method-call`: a pydantic model method (`item.model_dump()`,
//! `item.dict()`, `item.model_copy(update=...)`) called on a parameter whose
//! model is a msgspec Struct, a dataclass or a TypedDict.
#![doc = include_str!("../../../../docs/diagnostics/PB162.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{MethodCall, ModelKind, Param, TyKind};

/// Reports, in handlers and their dependencies, the pydantic methods a model
/// ported to msgspec no longer has. Porting a FastAPI app changes the model
/// classes but leaves these calls in the handlers; without the check the app
/// builds and answers 500 (`AttributeError`) on the route.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (params, calls) in walk::callables(ctx.ir) {
        report(ctx, params, calls, sink);
    }
}

/// The kind of model a parameter holds (through `Optional` and constraints).
fn model_kind<'a>(ctx: &Ctx<'a>, p: &Param) -> Option<&'a ModelKind> {
    match &p.ty.without_none().unconstrained().kind {
        TyKind::Model(id) => Some(&ctx.ir.model(*id).kind),
        _ => None,
    }
}

fn report(ctx: &Ctx<'_>, params: &[Param], calls: &[MethodCall], sink: &mut Sink) {
    for c in calls {
        let Some(kind) = params
            .iter()
            .find(|p| p.name == c.receiver)
            .and_then(|p| model_kind(ctx, p))
        else {
            continue;
        };
        let r = &c.receiver;
        let (what, module) = match kind {
            ModelKind::Struct(_) => ("a msgspec Struct", "msgspec.structs"),
            ModelKind::Dataclass(_) => ("a dataclass", "dataclasses"),
            ModelKind::TypedDict { .. } => ("a TypedDict (a plain `dict`)", ""),
            _ => continue,
        };
        let typed_dict = module.is_empty();
        let help = match c.method.as_str() {
            "model_dump" | "dict" if typed_dict => format!("`{r}` is a dict already"),
            "model_dump" | "dict" => format!("write `{module}.asdict({r})`"),
            "model_dump_json" | "json" => format!("write `msgspec.json.encode({r})`"),
            "model_copy" | "copy" if typed_dict => continue,
            "model_copy" | "copy" => {
                format!("write `{module}.replace({r}, field=value, ...)`")
            }
            _ => continue,
        };
        sink.report(
            Diagnostic::new(
                Code::PB162,
                c.span,
                format!("`{r}.{}()` is a pydantic method: `{r}` is {what}", c.method),
            )
            .with_label("no such method")
            .with_note("the call would raise `AttributeError` on every request, answered 500")
            .with_help(help),
        );
    }
}
