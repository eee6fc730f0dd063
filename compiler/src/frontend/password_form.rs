//! FastAPI's `OAuth2PasswordRequestForm` (and its `Strict` variant) as a
//! dependency: `form: Annotated[OAuth2PasswordRequestForm, Depends()]`.
//!
//! The class lives in `prebake.security`, outside the app, so the compiler
//! cannot read its signature the way it reads an app's class dependency.
//! It knows the class instead: its fields are `Form()` parameters, read
//! through the form machinery every `Form()` uses (the urlencoded or
//! multipart body, 400 for a missing `username`), and the generated
//! dependency-graph function builds the instance from them.

use super::lower::Lowerer;
use crate::ir::{
    Bound, Constraints, DepKind, DepScope, Dependency, Param, ParamSource, Ty, TyKind, Value,
    ValueKind,
};
use crate::source::Span;

/// The form classes, by the qualified name the compiler resolves them to.
const FORMS: &[(&str, &str)] = &[
    (
        "prebake.OAuth2PasswordRequestForm",
        "OAuth2PasswordRequestForm",
    ),
    (
        "prebake.OAuth2PasswordRequestFormStrict",
        "OAuth2PasswordRequestFormStrict",
    ),
];

impl Lowerer<'_> {
    /// The dependency for `Depends()` on one of the form classes, or `None`
    /// when `qualified` is not one.
    pub(crate) fn password_form(
        &mut self,
        qualified: &str,
        span: Span,
        use_cache: bool,
        scope: DepScope,
    ) -> Option<Dependency> {
        let (_, name) = FORMS.iter().find(|(q, _)| *q == qualified)?;
        let strict = name.ends_with("Strict");
        let str_ty = || Ty::new(TyKind::Str, span);
        let optional = || {
            Ty::new(
                TyKind::Union(vec![str_ty(), Ty::new(TyKind::None, span)]),
                span,
            )
        };
        // `grant_type` must be "password" when sent (FastAPI's pattern).
        let password_only = |ty: Ty| {
            let constraints = Constraints {
                pattern: Some(Bound {
                    value: "^password$".to_string(),
                    span,
                }),
                span,
                ..Constraints::default()
            };
            Ty::new(
                TyKind::Constrained(Box::new(ty), Box::new(constraints)),
                span,
            )
        };
        let none = || Some(Value::new(ValueKind::None, span));
        let fields: [(&str, Ty, Option<Value>); 6] = [
            if strict {
                ("grant_type", password_only(str_ty()), None)
            } else {
                // The pattern on the `str`, as a marker's constraint on an
                // `Optional` applies.
                let ty = TyKind::Union(vec![password_only(str_ty()), Ty::new(TyKind::None, span)]);
                ("grant_type", Ty::new(ty, span), none())
            },
            ("username", str_ty(), None),
            ("password", str_ty(), None),
            (
                "scope",
                str_ty(),
                Some(Value::new(ValueKind::Str(String::new()), span)),
            ),
            ("client_id", optional(), none()),
            ("client_secret", optional(), none()),
        ];
        let params = fields
            .into_iter()
            .map(|(field, ty, default)| Param {
                name: field.to_string(),
                name_span: span,
                source: ParamSource::Form,
                marker_span: Some(span),
                wire_name: field.to_string(),
                ty,
                convert_underscores: true,
                embed: false,
                annotated: true,
                default,
                kw_only: true,
                span,
                depends: None,
            })
            .collect();
        Some(Dependency {
            module: "prebake.security".to_string(),
            name: (*name).to_string(),
            kind: DepKind::Class,
            params,
            use_cache,
            scope,
            span,
            def_span: span,
            calls: Vec::new(),
            method_calls: Vec::new(),
            security: None,
        })
    }
}
