//! Routers: `APIRouter(prefix=..., dependencies=[...])` objects in any of
//! the app's modules, the routes decorated on them, and the
//! `include_router` calls that serve them under the app.
//!
//! The app and every router are *owners* of route decorators. An owner is
//! served through each chain of `include_router` calls that reaches it from
//! the app (a *mount*: the prefixes from the app inward, and the
//! dependencies, outermost first: the app's, each include's, each router's).
//! A route decorated on an owner is lowered once per mount of its owner,
//! with the prefixes in front of its path and those dependencies before its
//! own, as FastAPI composes them.

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::depends::DependsMarker;
use crate::frontend::scope::{DefKind, Resolved};
use crate::ir::{SettingOrigin, SyncSetting};
use crate::source::Span;

/// A path prefix as written (`"/v1"`), with its string literal.
#[derive(Clone)]
pub(crate) struct Prefix {
    pub(crate) raw: String,
    pub(crate) span: Span,
}

/// Something route decorators hang on: the app or a router.
struct Owner {
    /// Its binding: module and statement index.
    at: (usize, usize),
    prefix: Option<Prefix>,
    deps: Vec<DependsMarker>,
    /// `sync_to_thread=` on an `APIRouter(...)`.
    sync: Option<SyncSetting>,
    /// `tags=[...]` on an `APIRouter(...)`.
    tags: Vec<String>,
}

/// `parent.include_router(child, prefix=..., dependencies=[...])`.
struct Include {
    parent: (usize, usize),
    child: (usize, usize),
    prefix: Option<Prefix>,
    deps: Vec<DependsMarker>,
    tags: Vec<String>,
}

/// One way an owner's routes are served.
#[derive(Clone, Default)]
pub(crate) struct Mount {
    /// Path prefixes, outermost first.
    pub(crate) prefixes: Vec<Prefix>,
    /// Route-level dependencies, outermost first.
    pub(crate) deps: Vec<DependsMarker>,
    /// `sync_to_thread=` of the routers on the way, innermost first.
    pub(crate) sync: Vec<SyncSetting>,
    /// OpenAPI `tags=` of the includes and routers, outermost first.
    pub(crate) tags: Vec<String>,
}

/// Every owner's mounts, found from the app.
pub(crate) struct Routers {
    mounts: Vec<((usize, usize), Vec<Mount>)>,
}

impl Routers {
    /// The mounts of the owner bound at `at` (empty: not served).
    pub(crate) fn mounts_of(&self, at: (usize, usize)) -> &[Mount] {
        self.mounts
            .iter()
            .find(|(o, _)| *o == at)
            .map_or(&[], |(_, m)| m.as_slice())
    }

    /// Whether `at` is the binding of the app or of a router.
    pub(crate) fn is_owner(&self, at: (usize, usize)) -> bool {
        self.mounts.iter().any(|(o, _)| *o == at)
    }
}

impl Lowerer<'_> {
    /// Finds the routers, the include calls and each owner's mounts. `app`
    /// is the app's binding and `app_call` its `App(...)` call.
    pub(crate) fn routers(&mut self, app: (usize, usize), app_call: &ast::ExprCall) -> Routers {
        let mut owners = vec![Owner {
            at: app,
            prefix: None,
            deps: self.call_dependencies(app.0, app_call),
            sync: None,
            tags: Vec::new(),
        }];
        let mut includes = Vec::new();
        for m in 0..self.program.modules.len() {
            for (i, stmt) in self.program.modules[m].body.iter().enumerate() {
                if let Some(call) = assigned_call(stmt)
                    && self.scopes.resolve(self.program, m, &call.func).external()
                        == Some("prebake.APIRouter")
                {
                    let call = call.clone();
                    owners.push(Owner {
                        at: (m, i),
                        prefix: self.prefix_keyword(m, &call),
                        deps: self.call_dependencies(m, &call),
                        sync: self.sync_to_thread_keyword(m, &call, SettingOrigin::Router),
                        tags: self.tags_keyword(m, &call),
                    });
                }
            }
        }
        let program = self.program;
        for (m, call, receiver) in program.method_statements("include_router") {
            let Some(parent) = self.binding(m, receiver) else {
                continue;
            };
            let child_expr = call.args.first().or_else(|| {
                call.keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some("router"))
                    .map(|k| &k.value)
            });
            let Some(child) = child_expr.and_then(|c| self.binding(m, c)) else {
                let span = self.program.span(m, call);
                self.sink.report(
                    Diagnostic::new(
                        Code::PB018,
                        span,
                        "`include_router` must name an `APIRouter` of the app's modules",
                    )
                    .with_label("not a router the compiler can follow"),
                );
                continue;
            };
            includes.push(Include {
                parent,
                child,
                prefix: self.prefix_keyword(m, call),
                deps: self.call_dependencies(m, call),
                tags: self.tags_keyword(m, call),
            });
        }
        // Only bindings that are owners count; others were not routers.
        includes.retain(|inc| {
            owners.iter().any(|o| o.at == inc.parent) && owners.iter().any(|o| o.at == inc.child)
        });

        let mut mounts: Vec<((usize, usize), Vec<Mount>)> =
            owners.iter().map(|o| (o.at, Vec::new())).collect();
        let root = Mount {
            prefixes: Vec::new(),
            deps: owners[0].deps.clone(),
            sync: Vec::new(),
            tags: Vec::new(),
        };
        let mut stack = vec![app];
        self.mount(app, root, &owners, &includes, &mut mounts, &mut stack);
        Routers { mounts }
    }

    /// Records `mount` for `owner` and follows its includes.
    fn mount(
        &mut self,
        owner: (usize, usize),
        mount: Mount,
        owners: &[Owner],
        includes: &[Include],
        mounts: &mut Vec<((usize, usize), Vec<Mount>)>,
        stack: &mut Vec<(usize, usize)>,
    ) {
        if let Some((_, list)) = mounts.iter_mut().find(|(o, _)| *o == owner) {
            list.push(mount.clone());
        }
        for inc in includes.iter().filter(|i| i.parent == owner) {
            if stack.contains(&inc.child) {
                continue;
            }
            let Some(child) = owners.iter().find(|o| o.at == inc.child) else {
                continue;
            };
            let mut next = mount.clone();
            next.prefixes.extend(inc.prefix.iter().cloned());
            next.prefixes.extend(child.prefix.iter().cloned());
            next.deps.extend(inc.deps.iter().cloned());
            next.deps.extend(child.deps.iter().cloned());
            next.tags.extend(inc.tags.iter().cloned());
            next.tags.extend(child.tags.iter().cloned());
            if let Some(sync) = child.sync {
                next.sync.insert(0, sync);
            }
            stack.push(inc.child);
            self.mount(inc.child, next, owners, includes, mounts, stack);
            stack.pop();
        }
    }

    /// Warns (PB074) about routers with routes but no mount.
    pub(crate) fn unmounted_routers(&mut self, routers: &Routers, decorated: &[(usize, usize)]) {
        for &(owner, ref mounts) in &routers.mounts {
            if mounts.is_empty() && decorated.contains(&owner) {
                let stmt = &self.program.modules[owner.0].body[owner.1];
                let span = self.program.span(owner.0, stmt);
                let name = crate::frontend::scope::def_name(stmt).unwrap_or_default();
                self.sink.report(
                    Diagnostic::new(
                        Code::PB074,
                        span,
                        format!("router `{name}` is never included in the app"),
                    )
                    .with_label("its routes are not served")
                    .with_help(format!("add `app.include_router({name})` (or include it in a router the app includes)")),
                );
            }
        }
    }

    /// The binding (module, statement) a name or attribute chain refers to.
    fn binding(&self, m: usize, expr: &ast::Expr) -> Option<(usize, usize)> {
        match self.scopes.resolve(self.program, m, expr) {
            Resolved::Local {
                module,
                stmt,
                kind: DefKind::Assign,
                ..
            } => Some((module, stmt)),
            _ => None,
        }
    }

    /// `prefix="/v1"` of a router or an include: a string literal that is
    /// empty or starts with `/` and does not end with one.
    fn prefix_keyword(&mut self, m: usize, call: &ast::ExprCall) -> Option<Prefix> {
        let kw = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("prefix"))?;
        let v = self.value(m, &kw.value);
        let Some(raw) = v.as_str().map(str::to_string) else {
            self.sink.report(
                Diagnostic::new(Code::PB018, v.span, "`prefix` must be a string literal")
                    .with_label("computed at run time")
                    .with_note("the router is built before the program runs, so the path must be written out"),
            );
            return None;
        };
        if raw.is_empty() {
            return None;
        }
        if !raw.starts_with('/') || raw.ends_with('/') {
            self.sink.report(
                Diagnostic::new(
                    Code::PB010,
                    v.span,
                    format!("path prefix {raw:?} must start with `/` and not end with one"),
                )
                .with_label("the routes' own paths start with `/`")
                .with_help(format!("write \"/{}\"", raw.trim_matches('/'))),
            );
        }
        Some(Prefix { raw, span: v.span })
    }

    /// `tags=[...]` of a call (`APIRouter`, `include_router`, a route
    /// decorator): the string literals of a list or tuple.
    pub(crate) fn tags_keyword(&mut self, m: usize, call: &ast::ExprCall) -> Vec<String> {
        let Some(kw) = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("tags"))
        else {
            return Vec::new();
        };
        let v = self.value(m, &kw.value);
        match &v.kind {
            crate::ir::ValueKind::List(items) | crate::ir::ValueKind::Tuple(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `dependencies=[...]` of a call (`App`, `APIRouter`, `include_router`).
    fn call_dependencies(&mut self, m: usize, call: &ast::ExprCall) -> Vec<DependsMarker> {
        call.keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("dependencies"))
            .map(|k| k.value.clone())
            .map(|v| self.dependency_list(m, &v))
            .unwrap_or_default()
    }
}

/// The call of `x = Call(...)` or `x: T = Call(...)`.
fn assigned_call(stmt: &ast::Stmt) -> Option<&ast::ExprCall> {
    let value = match stmt {
        ast::Stmt::Assign(a) if matches!(a.targets.as_slice(), [ast::Expr::Name(_)]) => {
            a.value.as_ref()
        }
        ast::Stmt::AnnAssign(a) if matches!(a.target.as_ref(), ast::Expr::Name(_)) => {
            a.value.as_deref()?
        }
        _ => return None,
    };
    match value {
        ast::Expr::Call(c) => Some(c),
        _ => None,
    }
}
