//! PB048 `invalid-literal` (the values the front end keeps so a check can
//! explain them): a `Literal` of bytes.
#![doc = include_str!("../../../../docs/diagnostics/PB048.md")]

use crate::check::{Ctx, walk};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Literal, TyKind};

/// Reports `Literal[b"..."]`; msgspec accepts None, bool, int and str values.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    for (_, ty) in walk::all_types(ctx.ir) {
        let TyKind::Literal(values) = &ty.kind else {
            continue;
        };
        let Some(bad) = values.iter().find(|v| matches!(v, Literal::Bytes(_))) else {
            continue;
        };
        sink.report(
            Diagnostic::new(
                Code::PB048,
                ty.span,
                format!("`Literal` value {bad} is bytes"),
            )
            .with_label("bytes value")
            .with_note(
                "msgspec raises TypeError: Literal may only contain None/booleans/integers/strings",
            )
            .with_help("use a str value"),
        );
    }
}
