//! Lowering annotations into [`Ty`]: resolving type names through imports,
//! generic forms (`list[T]`, `Optional[T]`, `A | B`), `Literal`, `Annotated`
//! with `msgspec.Meta`, parameter markers, type aliases and forward references.

use rustpython_parser::ast::{self, Constant};
use rustpython_parser::{Mode, text_size::TextSize};

use super::lower::Lowerer;
use super::models::TypeParam;
use super::scope::{DefKind, Resolved};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Bound, Constraints, Literal, ModelId, Number, ParamSource, Ty, TyKind, ValueKind};
use crate::source::Span;

/// A parameter marker (`Query()`, `Header(alias=...)`, ...) found in a
/// parameter's `Annotated[...]`.
#[derive(Clone, Debug)]
pub(crate) struct Marker {
    /// Which source it selects.
    pub(crate) source: ParamSource,
    /// `alias=`.
    pub(crate) alias: Option<String>,
    /// `Header(convert_underscores=...)`: whether the parameter's name reads
    /// the header with `_` turned into `-` (the default, as in FastAPI).
    pub(crate) convert_underscores: bool,
    /// `Body(embed=True)`.
    pub(crate) embed: bool,
    /// Its numeric and length constraints.
    pub(crate) constraints: Constraints,
    /// Where it sets a default (its first positional argument or
    /// `default=`, FastAPI's spelling), unless that is `...`.
    pub(crate) default: Option<Span>,
    /// The marker call.
    pub(crate) span: Span,
}

/// What a fully qualified external name means as a type.
enum Known {
    Scalar(TyKind),
    List,
    Set,
    FrozenSet,
    Tuple,
    Dict,
    Optional,
    Union,
    Literal,
    Annotated,
    Final,
    /// `NotRequired`/`Required`/`ClassVar`: only meaningful on class fields.
    FieldQualifier,
}

fn known(q: &str) -> Option<Known> {
    use Known::{Scalar, *};
    Some(match q {
        "builtins.int" => Scalar(TyKind::Int),
        "builtins.str" => Scalar(TyKind::Str),
        "builtins.float" => Scalar(TyKind::Float),
        "builtins.bool" => Scalar(TyKind::Bool),
        "builtins.bytes" => Scalar(TyKind::Bytes),
        "builtins.bytearray" => Scalar(TyKind::ByteArray),
        "builtins.memoryview" => Scalar(TyKind::MemoryView),
        "builtins.object" | "typing.Any" => Scalar(TyKind::Any),
        "datetime.datetime" => Scalar(TyKind::DateTime),
        "datetime.date" => Scalar(TyKind::Date),
        "datetime.time" => Scalar(TyKind::Time),
        "datetime.timedelta" => Scalar(TyKind::TimeDelta),
        "uuid.UUID" => Scalar(TyKind::Uuid),
        "decimal.Decimal" => Scalar(TyKind::Decimal),
        "msgspec.UnsetType" | "msgspec.types.UnsetType" => Scalar(TyKind::Unset),
        "msgspec.Raw" => Scalar(TyKind::Raw),
        "prebake.Request" => Scalar(TyKind::Request),
        "prebake.UploadFile" => Scalar(TyKind::UploadFile),
        q if crate::ir::RESPONSE_CLASSES.contains(&q) => Scalar(TyKind::Response),
        "builtins.list"
        | "typing.List"
        | "typing.Sequence"
        | "typing.MutableSequence"
        | "typing.Collection" => List,
        "builtins.set" | "typing.Set" | "typing.MutableSet" | "typing.AbstractSet" => Set,
        "builtins.frozenset" | "typing.FrozenSet" => FrozenSet,
        "builtins.tuple" | "typing.Tuple" => Tuple,
        "builtins.dict" | "typing.Dict" | "typing.Mapping" | "typing.MutableMapping" => Dict,
        "typing.Optional" => Optional,
        "typing.Union" => Union,
        "typing.Literal" => Literal,
        "typing.Annotated" => Annotated,
        "typing.Final" => Final,
        "typing.NotRequired" | "typing.Required" | "typing.ClassVar" => FieldQualifier,
        _ => return None,
    })
}

/// The arguments of a subscript: `X[a, b]` gives `[a, b]`.
pub(crate) fn subscript_args(slice: &ast::Expr) -> Vec<&ast::Expr> {
    match slice {
        ast::Expr::Tuple(t) => t.elts.iter().collect(),
        other => vec![other],
    }
}

impl Lowerer<'_> {
    /// Lowers a parameter annotation: the type, and the marker if the
    /// outermost form is `Annotated[T, Query(...)]` (or `Header`, ...).
    pub(crate) fn lower_param_annotation(
        &mut self,
        m: usize,
        expr: &ast::Expr,
    ) -> (Ty, Option<Marker>) {
        if let ast::Expr::Subscript(sub) = expr
            && self.scopes.resolve(self.program, m, &sub.value).external()
                == Some("typing.Annotated")
        {
            let args = subscript_args(&sub.slice);
            let mut marker = None;
            for meta in args.iter().skip(1) {
                if let Some(found) = self.marker(m, meta) {
                    marker = Some(found);
                }
            }
            let ty = self.lower_type(m, expr);
            return (ty, marker);
        }
        (self.lower_type(m, expr), None)
    }

    /// Lowers a type annotation of module `m`.
    pub(crate) fn lower_type(&mut self, m: usize, expr: &ast::Expr) -> Ty {
        let span = self.program.span(m, expr);
        match expr {
            ast::Expr::Constant(c) => match &c.value {
                Constant::None => Ty::new(TyKind::None, span),
                Constant::Str(s) => self.forward_ref(m, s, span),
                _ => self.unsupported(span, "this literal is not a type", None),
            },
            ast::Expr::BinOp(b) if matches!(b.op, ast::Operator::BitOr) => {
                let left = self.lower_type(m, &b.left);
                let right = self.lower_type(m, &b.right);
                union(vec![left, right], span)
            }
            ast::Expr::Name(n) if self.bound_type_var(n.id.as_str()).is_some() => {
                let mut ty = self.bound_type_var(n.id.as_str()).expect("bound").clone();
                ty.span = span;
                ty
            }
            ast::Expr::Name(_) | ast::Expr::Attribute(_) => {
                let resolved = self.scopes.resolve(self.program, m, expr);
                self.named_type(m, resolved, expr, span)
            }
            ast::Expr::Subscript(sub) => self.generic(m, sub, span),
            _ => self.unsupported(span, "this expression is not a type annotation", None),
        }
    }

    /// What type variable `name` stands for in the class being lowered.
    fn bound_type_var(&self, name: &str) -> Option<&Ty> {
        self.generics
            .env
            .last()?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    /// A type variable outside any class that binds it (a handler's
    /// signature, a type alias): msgspec reads it as its bound, or `Any`,
    /// and refuses a constrained one.
    fn unbound_type_var(&mut self, p: TypeParam, span: Span) -> Ty {
        if p.constrained {
            return self.unsupported(
                span,
                &format!("type variable `{}` is constrained and bound by nothing here", p.name),
                Some("msgspec refuses an unbound constrained TypeVar; use a concrete type, or `bound=` instead of constraints"),
            );
        }
        let reads = match p.default.kind {
            TyKind::Any => "`Any`".to_string(),
            _ => "its bound".to_string(),
        };
        self.sink.report(
            Diagnostic::new(
                Code::PB063,
                span,
                format!("type variable `{}` is not bound here", p.name),
            )
            .with_label(format!("read as {reads}"))
            .with_note("only a generic class binds a type variable; msgspec reads it elsewhere as its bound, or `Any`")
            .with_help("write the concrete type"),
        );
        let mut ty = p.default;
        ty.span = span;
        ty
    }

    fn forward_ref(&mut self, m: usize, text: &str, span: Span) -> Ty {
        let offset = TextSize::from(span.start + 1);
        match rustpython_parser::parse_starts_at(text, Mode::Expression, "<annotation>", offset) {
            Ok(ast::Mod::Expression(e)) => {
                let mut ty = self.lower_type(m, &e.body);
                ty.span = span;
                ty
            }
            _ => self.unsupported(span, "this string is not a valid type expression", None),
        }
    }

    fn named_type(&mut self, _m: usize, resolved: Resolved, expr: &ast::Expr, span: Span) -> Ty {
        match resolved {
            Resolved::External(q) => match known(&q) {
                Some(Known::Scalar(kind)) => Ty::new(kind, span),
                Some(Known::List) => Ty::new(TyKind::List(Box::new(Ty::new(TyKind::Any, span))), span),
                Some(Known::Set) => Ty::new(TyKind::Set(Box::new(Ty::new(TyKind::Any, span))), span),
                Some(Known::FrozenSet) => Ty::new(TyKind::FrozenSet(Box::new(Ty::new(TyKind::Any, span))), span),
                Some(Known::Tuple) => Ty::new(TyKind::VarTuple(Box::new(Ty::new(TyKind::Any, span))), span),
                Some(Known::Dict) => Ty::new(
                    TyKind::Dict(Box::new(Ty::new(TyKind::Any, span)), Box::new(Ty::new(TyKind::Any, span))),
                    span,
                ),
                Some(_) => self.unsupported(span, &format!("`{q}` needs type arguments here"), None),
                None => self.unsupported(
                    span,
                    &format!("`{q}` is not a type prebake can decode or encode"),
                    Some("use a scalar, a container, a msgspec.Struct, a dataclass, a TypedDict or an Enum"),
                ),
            },
            Resolved::Local { module, stmt, kind: DefKind::Class, name } => match self.model_for(module, stmt) {
                Some(id) if !self.type_params(id).is_empty() => self.bare_generic(id, &name, span),
                Some(id) => Ty::new(TyKind::Model(id), span),
                None => self.unsupported(
                    span,
                    &format!("class `{name}` is not a msgspec.Struct, dataclass, TypedDict or Enum"),
                    Some("derive it from msgspec.Struct, or decorate it with @dataclass"),
                ),
            },
            Resolved::Local { module, stmt, kind: DefKind::Assign, name } => self.alias(module, stmt, &name, span),
            Resolved::Local { name, .. } => self.unsupported(span, &format!("`{name}` is a function, not a type"), None),
            Resolved::LocalModule(_) | Resolved::LocalAttr { .. } => {
                self.unsupported(span, &format!("`{}` is not a type", self.text(span)), None)
            }
            Resolved::Unresolved => {
                let text = self.text(span).to_string();
                let base = match expr {
                    ast::Expr::Attribute(_) => text.split('.').next().unwrap_or_default().to_string(),
                    _ => text.clone(),
                };
                self.sink.report(
                    Diagnostic::new(Code::PB003, span, format!("unresolved name `{text}`"))
                        .with_label("not defined or imported in this module")
                        .with_help(format!("define `{base}` or import it")),
                );
                Ty::new(TyKind::Unknown, span)
            }
        }
    }

    /// A generic class used without type arguments: msgspec reads each
    /// type variable as its bound, or `Any` (and refuses a constrained one).
    fn bare_generic(&mut self, id: ModelId, name: &str, span: Span) -> Ty {
        let params = self.type_params(id).to_vec();
        if let Some(p) = params.iter().find(|p| p.constrained) {
            return self.unsupported(
                span,
                &format!("generic class `{name}` is used without type arguments, and its type variable `{}` is constrained", p.name),
                Some("msgspec refuses an unbound constrained TypeVar; give the type arguments"),
            );
        }
        let reads = params
            .iter()
            .map(|p| match p.default.kind {
                TyKind::Any => format!("`{}` as `Any`", p.name),
                _ => format!("`{}` as its bound", p.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let names = params
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        self.sink.report(
            Diagnostic::new(
                Code::PB062,
                span,
                format!("generic class `{name}` is used without type arguments"),
            )
            .with_label(format!("reads {reads}"))
            .with_note("msgspec reads the type variables of a generic class used bare as their bounds, or `Any`, so nothing inside is validated")
            .with_help(format!("give the type arguments: `{name}[{names}]` with concrete types")),
        );
        Ty::new(TyKind::Model(id), span)
    }

    /// A module-level assignment used as a type: a type alias.
    fn alias(&mut self, module: usize, stmt: usize, name: &str, span: Span) -> Ty {
        if let Some(p) = self.type_var_at(module, stmt, name) {
            return self.unbound_type_var(p, span);
        }
        if self.alias_stack.contains(&(module, stmt)) {
            return self.unsupported(span, &format!("type alias `{name}` refers to itself"), None);
        }
        let program = self.program;
        let value = match &program.modules[module].body[stmt] {
            ast::Stmt::Assign(a) => Some(a.value.as_ref()),
            ast::Stmt::AnnAssign(a) => a.value.as_deref(),
            ast::Stmt::TypeAlias(t) => Some(t.value.as_ref()),
            _ => None,
        };
        let Some(value) = value else {
            return self.unsupported(
                span,
                &format!("`{name}` has no value to use as a type"),
                None,
            );
        };
        // `N = collections.namedtuple("N", ...)`, `N = NamedTuple("N", ...)`.
        if let ast::Expr::Call(call) = value
            && let Some(found) = self.functional_named_tuple(module, stmt, name, call)
        {
            return Ty::new(found.map_or(TyKind::Unknown, TyKind::Model), span);
        }
        // `UserId = NewType("UserId", int)` is its base type to msgspec.
        let value = match value {
            ast::Expr::Call(call)
                if call.args.len() == 2
                    && matches!(
                        self.scopes.resolve(self.program, module, &call.func),
                        Resolved::External(q) if q == "typing.NewType" || q == "typing_extensions.NewType"
                    ) =>
            {
                &call.args[1]
            }
            v => v,
        };
        self.alias_stack.push((module, stmt));
        let mut ty = self.lower_type(module, value);
        self.alias_stack.pop();
        // Errors inside the alias were reported at the alias; the use site
        // keeps its own span.
        ty.span = span;
        ty
    }

    fn generic(&mut self, m: usize, sub: &ast::ExprSubscript, span: Span) -> Ty {
        let resolved = self.scopes.resolve(self.program, m, &sub.value);
        let args = subscript_args(&sub.slice);
        let q = match &resolved {
            Resolved::External(q) => q.clone(),
            Resolved::Unresolved => {
                return self.named_type(m, resolved, &sub.value, self.program.span(m, &*sub.value));
            }
            Resolved::Local {
                module,
                stmt,
                kind: DefKind::Class,
                name,
            } => {
                let (module, stmt, name) = (*module, *stmt, name.clone());
                return self.parametrised(m, module, stmt, &name, &args, span);
            }
            _ => {
                return self.unsupported(
                    span,
                    &format!(
                        "`{}` is not a generic class",
                        self.text(self.program.span(m, &*sub.value))
                    ),
                    None,
                );
            }
        };
        let one = |this: &mut Self, what: &str| -> Ty {
            if args.len() != 1 {
                return this.unsupported(
                    span,
                    &format!("`{what}` takes exactly one type argument"),
                    None,
                );
            }
            this.lower_type(m, args[0])
        };
        match known(&q) {
            Some(Known::List) => {
                let item = one(self, "list");
                Ty::new(TyKind::List(Box::new(item)), span)
            }
            Some(Known::Set) => {
                let item = one(self, "set");
                Ty::new(TyKind::Set(Box::new(item)), span)
            }
            Some(Known::FrozenSet) => {
                let item = one(self, "frozenset");
                Ty::new(TyKind::FrozenSet(Box::new(item)), span)
            }
            Some(Known::Tuple) => {
                if args.len() == 2
                    && matches!(args[1], ast::Expr::Constant(c) if matches!(c.value, Constant::Ellipsis))
                {
                    let item = self.lower_type(m, args[0]);
                    return Ty::new(TyKind::VarTuple(Box::new(item)), span);
                }
                if let [ast::Expr::Tuple(t)] = args.as_slice()
                    && t.elts.is_empty()
                {
                    return Ty::new(TyKind::Tuple(Vec::new()), span);
                }
                let items = args.iter().map(|a| self.lower_type(m, a)).collect();
                Ty::new(TyKind::Tuple(items), span)
            }
            Some(Known::Dict) => {
                if args.len() != 2 {
                    return self.unsupported(
                        span,
                        "`dict` takes a key type and a value type",
                        None,
                    );
                }
                let k = self.lower_type(m, args[0]);
                let v = self.lower_type(m, args[1]);
                Ty::new(TyKind::Dict(Box::new(k), Box::new(v)), span)
            }
            Some(Known::Optional) => {
                let inner = one(self, "Optional");
                union(vec![inner, Ty::new(TyKind::None, span)], span)
            }
            Some(Known::Union) => {
                let members = args.iter().map(|a| self.lower_type(m, a)).collect();
                union(members, span)
            }
            Some(Known::Literal) => self.literal(m, &args, span),
            Some(Known::Annotated) => self.annotated(m, &args, span),
            Some(Known::Final) => one(self, "Final"),
            Some(Known::FieldQualifier) => self.unsupported(
                span,
                &format!(
                    "`{}` is only allowed on a class field",
                    q.rsplit('.').next().unwrap_or(&q)
                ),
                None,
            ),
            Some(Known::Scalar(_)) => {
                self.unsupported(span, &format!("`{q}` takes no type arguments"), None)
            }
            None => self.unsupported(
                span,
                &format!("`{q}` is not a type prebake can decode or encode"),
                None,
            ),
        }
    }

    /// `Page[Item]`: a generic class of the app with type arguments.
    fn parametrised(
        &mut self,
        m: usize,
        module: usize,
        stmt: usize,
        name: &str,
        args: &[&ast::Expr],
        span: Span,
    ) -> Ty {
        let Some(origin) = self.model_for(module, stmt) else {
            return self.unsupported(
                span,
                &format!("class `{name}` is not a msgspec.Struct, dataclass, TypedDict or Enum"),
                Some("derive it from msgspec.Struct, or decorate it with @dataclass"),
            );
        };
        let expected = self.type_params(origin).len();
        if args.len() != expected {
            let what = match expected {
                0 => format!("`{name}` is not generic: it takes no type arguments"),
                1 => format!("`{name}` takes 1 type argument"),
                n => format!("`{name}` takes {n} type arguments"),
            };
            let decl = self.models[origin.0 as usize].name_span;
            self.sink.report(
                Diagnostic::new(Code::PB061, span, format!("{what}, {} given", args.len()))
                    .with_label(format!("{} type argument{}", args.len(), if args.len() == 1 { "" } else { "s" }))
                    .with_secondary(decl, "declared here")
                    .with_note(if expected == 0 {
                        "a class is generic when it derives from `Generic[...]` or from a generic class with type variables".to_string()
                    } else {
                        format!(
                            "its type parameters are {}",
                            self.type_params(origin)
                                .iter()
                                .map(|p| format!("`{}`", p.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }),
            );
            return Ty::new(TyKind::Unknown, span);
        }
        let tys: Vec<Ty> = args.iter().map(|a| self.lower_type(m, a)).collect();
        if tys.iter().any(|t| t.kind == TyKind::Unknown) {
            return Ty::new(TyKind::Unknown, span);
        }
        let id = self.instantiate(origin, tys);
        Ty::new(TyKind::Model(id), span)
    }

    fn literal(&mut self, m: usize, args: &[&ast::Expr], span: Span) -> Ty {
        let mut values = Vec::new();
        for arg in args {
            let arg_span = self.program.span(m, *arg);
            match self.value(m, arg).kind {
                ValueKind::Int(i) => values.push(Literal::Int(i)),
                ValueKind::Str(s) => values.push(Literal::Str(s)),
                ValueKind::Bool(b) => values.push(Literal::Bool(b)),
                ValueKind::None => values.push(Literal::None),
                ValueKind::Bytes(b) => values.push(Literal::Bytes(b)),
                ValueKind::Float(_) | ValueKind::BigInt(_) => {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB048,
                            arg_span,
                            "`Literal` value must be an int, str, bool or None",
                        )
                        .with_label("not a literal value msgspec accepts"),
                    );
                }
                _ => {
                    // A nested Literal flattens.
                    let nested = self.lower_type(m, arg);
                    match nested.kind {
                        TyKind::Literal(inner) => values.extend(inner),
                        TyKind::Unknown => {}
                        _ => {
                            self.sink.report(
                                Diagnostic::new(
                                    Code::PB048,
                                    arg_span,
                                    "`Literal` value must be an int, str, bool or None",
                                )
                                .with_label("not a literal value"),
                            );
                        }
                    }
                }
            }
        }
        Ty::new(TyKind::Literal(values), span)
    }

    fn annotated(&mut self, m: usize, args: &[&ast::Expr], span: Span) -> Ty {
        let Some(first) = args.first() else {
            return self.unsupported(span, "`Annotated` needs a type and metadata", None);
        };
        let inner = self.lower_type(m, first);
        let mut constraints = Constraints {
            span,
            ..Constraints::default()
        };
        let mut any = false;
        for meta in &args[1..] {
            if let ast::Expr::Call(call) = meta {
                let callee = self.scopes.resolve(self.program, m, &call.func);
                if callee.external() == Some("msgspec.Meta") {
                    let c = self.constraints_from_call(m, call, "Meta", &[]);
                    self.merge_constraints(&mut constraints, &c);
                    constraints.span = c.span;
                    any = true;
                } else if let Some(marker) = self.marker(m, meta)
                    && (!marker.constraints.is_empty() || marker.constraints.docs.is_set())
                {
                    self.merge_constraints(&mut constraints, &marker.constraints);
                    any = true;
                }
            }
        }
        if !any {
            return inner;
        }
        // Nested Annotated constraints merge; a key set at both levels is an
        // error (reported by the merge), and the outer one wins.
        match inner.kind {
            TyKind::Constrained(base, mut existing) => {
                self.merge_constraints(&mut existing, &constraints);
                existing.span = constraints.span;
                Ty::new(TyKind::Constrained(base, existing), span)
            }
            _ => Ty::new(
                TyKind::Constrained(Box::new(inner), Box::new(constraints)),
                span,
            ),
        }
    }

    /// Merges `other` into `into`, reporting each key both set: msgspec
    /// raises `TypeError: Multiple `Meta` annotations setting ...` for them.
    fn merge_constraints(&mut self, into: &mut Constraints, other: &Constraints) {
        let mut twice = Vec::new();
        macro_rules! twice {
            ($($f:ident),*) => { $(
                if let (Some(a), Some(b)) = (&into.$f, &other.$f) {
                    twice.push((stringify!($f), a.span, b.span));
                }
            )* };
        }
        twice!(
            gt,
            ge,
            lt,
            le,
            multiple_of,
            pattern,
            min_length,
            max_length,
            tz
        );
        for (key, first, second) in twice {
            self.sink.report(
                Diagnostic::new(Code::PB025, second, format!("`{key}` is set twice"))
                    .with_label("second value")
                    .with_secondary(first, "first set here")
                    .with_note(format!(
                        "msgspec raises TypeError: Multiple `Meta` annotations setting `{key}` found"
                    ))
                    .with_help("keep one of the two"),
            );
        }
        into.merge(other);
    }

    /// Reads a marker call (`Query(...)`, `Header(alias="x")`), if `expr` is one.
    pub(crate) fn marker(&mut self, m: usize, expr: &ast::Expr) -> Option<Marker> {
        let ast::Expr::Call(call) = expr else {
            return None;
        };
        let callee = self.scopes.resolve(self.program, m, &call.func);
        let (source, name) = match callee.external()? {
            "prebake.Path" => (ParamSource::Path, "Path"),
            "prebake.Query" => (ParamSource::Query, "Query"),
            "prebake.Header" => (ParamSource::Header, "Header"),
            "prebake.Cookie" => (ParamSource::Cookie, "Cookie"),
            "prebake.Body" => (ParamSource::Body, "Body"),
            "prebake.Form" => (ParamSource::Form, "Form"),
            "prebake.File" => (ParamSource::File, "File"),
            _ => return None,
        };
        let span = self.program.span(m, expr);
        let mut alias = None;
        // Every marker takes the default first, as in FastAPI (the
        // `name: str = Query("x")` spelling); `...` means required.
        let is_ellipsis = |e: &ast::Expr| matches!(e, ast::Expr::Constant(c) if matches!(c.value, ast::Constant::Ellipsis));
        let mut default = call
            .args
            .first()
            .filter(|e| !is_ellipsis(e))
            .map(|e| self.program.span(m, e));
        let mut convert_underscores = true;
        let mut embed = false;
        for kw in &call.keywords {
            match kw.arg.as_deref() {
                Some("alias") => alias = self.string_arg(m, &kw.value, "alias"),
                Some("default") if !is_ellipsis(&kw.value) => {
                    default = Some(self.program.span(m, &kw.value));
                }
                Some("embed") if source == ParamSource::Body => {
                    let v = self.value(m, &kw.value);
                    match v.kind {
                        ValueKind::Bool(b) => embed = b,
                        _ => self.sink.report(
                            Diagnostic::new(Code::PB029, v.span, "`embed` must be True or False")
                                .with_label(format!("found {}", v.type_name())),
                        ),
                    }
                }
                Some("convert_underscores") if source == ParamSource::Header => {
                    let v = self.value(m, &kw.value);
                    match v.kind {
                        ValueKind::Bool(b) => convert_underscores = b,
                        _ => self.sink.report(
                            Diagnostic::new(
                                Code::PB029,
                                v.span,
                                "`convert_underscores` must be True or False",
                            )
                            .with_label(format!("found {}", v.type_name())),
                        ),
                    }
                }
                _ => {}
            }
        }
        // FastAPI's keywords that only document the parameter.
        const SCHEMA_ONLY: [&str; 5] = [
            "include_in_schema",
            "openapi_examples",
            "example",
            "json_schema_extra",
            "regex",
        ];
        let form = matches!(source, ParamSource::Form | ParamSource::File);
        let mut extra = vec!["alias", "default"];
        if source == ParamSource::Body {
            extra.push("embed");
        }
        extra.extend(SCHEMA_ONLY);
        if form {
            extra.push("media_type");
        } else if source == ParamSource::Header {
            extra.push("convert_underscores");
        }
        let mut constraints = self.constraints_from_call(m, call, name, &extra);
        // `regex=` is FastAPI's older name of `pattern=`.
        if constraints.pattern.is_none()
            && let Some(kw) = call
                .keywords
                .iter()
                .find(|k| k.arg.as_deref() == Some("regex"))
            && let ValueKind::Str(s) = self.value(m, &kw.value).kind
        {
            constraints.pattern = Some(Bound {
                value: s,
                span: self.program.span(m, kw),
            });
        }
        Some(Marker {
            source,
            alias,
            convert_underscores,
            embed,
            constraints,
            default,
            span,
        })
    }

    fn string_arg(&mut self, m: usize, expr: &ast::Expr, what: &str) -> Option<String> {
        let v = self.value(m, expr);
        match v.kind {
            ValueKind::Str(s) => Some(s),
            ValueKind::None => None,
            _ => {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB029,
                        v.span,
                        format!("`{what}` must be a string literal"),
                    )
                    .with_label(format!("found {}", v.type_name())),
                );
                None
            }
        }
    }

    /// Reads the constraint keywords of `Meta(...)` or a marker.
    fn constraints_from_call(
        &mut self,
        m: usize,
        call: &ast::ExprCall,
        name: &str,
        extra: &[&str],
    ) -> Constraints {
        const DOCS: &[&str] = &[
            "title",
            "description",
            "examples",
            "extra_json_schema",
            "extra",
            "deprecated",
        ];
        let mut c = Constraints {
            span: self.program.span(m, call),
            ..Constraints::default()
        };
        if name == "Meta" && !call.args.is_empty() {
            let span = self.program.span(m, &call.args[0]);
            self.sink.report(
                Diagnostic::new(Code::PB029, span, "`Meta` takes keyword arguments only")
                    .with_label("positional argument"),
            );
        }
        for kw in &call.keywords {
            let Some(key) = kw.arg.as_deref() else {
                continue;
            };
            let kw_span = self.program.span(m, kw);
            let value = self.value(m, &kw.value);
            let number = |v: &ValueKind| match v {
                ValueKind::Int(i) => Some(Number::Int(*i)),
                ValueKind::Float(x) => Some(Number::Float(*x)),
                _ => None,
            };
            let bad = |this: &mut Self, want: &str| {
                this.sink.report(
                    Diagnostic::new(Code::PB029, value.span, format!("`{key}` must be {want}"))
                        .with_label(format!("found {}", value.type_name())),
                );
            };
            match key {
                "gt" | "ge" | "lt" | "le" | "multiple_of" => {
                    if matches!(value.kind, ValueKind::None) {
                        continue;
                    }
                    let Some(n) = number(&value.kind) else {
                        bad(
                            self,
                            "a number (a literal, a module constant, or arithmetic on them)",
                        );
                        continue;
                    };
                    let b = Some(Bound {
                        value: n,
                        span: kw_span,
                    });
                    match key {
                        "gt" => c.gt = b,
                        "ge" => c.ge = b,
                        "lt" => c.lt = b,
                        "le" => c.le = b,
                        _ => c.multiple_of = b,
                    }
                }
                "min_length" | "max_length" => match value.kind {
                    ValueKind::None => {}
                    ValueKind::Int(i) => {
                        let b = Some(Bound {
                            value: i,
                            span: kw_span,
                        });
                        if key == "min_length" {
                            c.min_length = b
                        } else {
                            c.max_length = b
                        }
                    }
                    _ => bad(self, "an int literal"),
                },
                "pattern" => match &value.kind {
                    ValueKind::None => {}
                    ValueKind::Str(s) => {
                        c.pattern = Some(Bound {
                            value: s.clone(),
                            span: kw_span,
                        })
                    }
                    _ => bad(self, "a string literal"),
                },
                "tz" => match value.kind {
                    ValueKind::None => {}
                    ValueKind::Bool(b) => {
                        c.tz = Some(Bound {
                            value: b,
                            span: kw_span,
                        })
                    }
                    _ => bad(self, "True, False or None"),
                },
                "title" | "description" => match &value.kind {
                    ValueKind::None => {}
                    ValueKind::Str(text) => {
                        if key == "title" {
                            c.docs.title = Some(text.clone());
                        } else {
                            c.docs.description = Some(text.clone());
                        }
                    }
                    _ => bad(self, "a string literal"),
                },
                "examples" => match &value.kind {
                    ValueKind::None => {}
                    ValueKind::List(_) => c.docs.examples = Some(value.clone()),
                    _ => bad(self, "a list"),
                },
                "extra_json_schema" => match &value.kind {
                    ValueKind::None => {}
                    ValueKind::Dict(_) => c.docs.extra_json_schema = Some(value.clone()),
                    _ => bad(self, "a dict"),
                },
                // Only the document reads these two, and only a marker's.
                "deprecated" if name != "Meta" => match value.kind {
                    ValueKind::None => {}
                    ValueKind::Bool(b) => c.docs.deprecated = b,
                    _ => bad(self, "True or False"),
                },
                "include_in_schema" if extra.contains(&key) => match value.kind {
                    ValueKind::Bool(b) => c.docs.hidden = !b,
                    _ => bad(self, "True or False"),
                },
                k if DOCS.contains(&k) || extra.contains(&k) => {}
                _ => {
                    self.sink.report(
                        Diagnostic::new(Code::PB029, kw_span, format!("unknown `{name}` keyword `{key}`"))
                            .with_label("not a constraint")
                            .with_note("constraints are gt, ge, lt, le, multiple_of, pattern, min_length, max_length and tz"),
                    );
                }
            }
        }
        c
    }

    /// Reports PB021 and returns an unknown type.
    pub(crate) fn unsupported(&mut self, span: Span, message: &str, help: Option<&str>) -> Ty {
        let mut d = Diagnostic::new(
            Code::PB021,
            span,
            format!("unsupported annotation: {message}"),
        );
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.sink.report(d);
        Ty::new(TyKind::Unknown, span)
    }
}

/// Builds a flattened union; one member collapses to itself.
pub(crate) fn union(members: Vec<Ty>, span: Span) -> Ty {
    let mut flat: Vec<Ty> = Vec::new();
    for m in members {
        match m.kind {
            TyKind::Union(inner) => {
                for i in inner {
                    if !flat.iter().any(|f| f.kind == i.kind) {
                        flat.push(i);
                    }
                }
            }
            _ => {
                if !flat.iter().any(|f| f.kind == m.kind) {
                    flat.push(m);
                }
            }
        }
    }
    if flat.len() == 1 {
        let mut only = flat.pop().expect("one member");
        only.span = span;
        return only;
    }
    Ty::new(TyKind::Union(flat), span)
}
