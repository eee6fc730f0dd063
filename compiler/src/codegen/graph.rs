//! Dependency graphs as generated Python: one function per route that has
//! dependencies (or takes `BackgroundTasks` or a `Response` parameter),
//! making the calls the compiler resolved, in FastAPI's order.
//!
//! The function is what the runtime calls instead of the handler. Its
//! parameters are the graph's request values (path, query, header, cookie,
//! body, the `Request`), each decoded once however many callables read it,
//! required ones first; its body is straight-line code: each dependency
//! called once per request (unless `use_cache=False`), `yield` dependencies
//! stepped to their `yield` and kept in a list, then the handler. What must
//! happen after the call (generators to close after the response,
//! background tasks, the `Response` parameter) is returned beside the
//! value as a tuple, built only by graphs that have any. A route with no
//! dependencies keeps calling its handler directly and pays nothing.
//!
//! Why Python and not Rust: the calls are Python calls either way, and the
//! exception path of `yield` dependencies (throwing into generators, newest
//! first, and re-raising what comes out) is Python's own `try`/`except`;
//! generated Rust would spell the same steps through the C API.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::ir::{DepKind, DepScope, Dependency, Param, ParamSource, Route};

/// The embedded module that holds the route functions.
pub const MODULE: &str = "_prebake_routes";

/// One route's generated function.
#[derive(Debug)]
pub struct GraphFn {
    /// The function's name in [`MODULE`].
    pub name: String,
    /// Its Python source.
    pub source: String,
    /// The request values it takes, in its signature order: what the
    /// route's decoder pushes. Names are unique within the function.
    pub leaves: Vec<Param>,
    /// `async def`: a dependency or the handler is async.
    pub is_async: bool,
    /// It returns a tuple (the value, then the generators to close,
    /// the background tasks and the `Response` parameter) rather than the
    /// value: there is work left after the call (teardown, background tasks or a
    /// `Response` parameter to apply after the call) rather than the value.
    pub deferred: bool,
}

/// Whether `route` needs a generated function.
pub fn needed(route: &Route) -> bool {
    !route.dependencies.is_empty()
        || route.handler.params.iter().any(|p| {
            matches!(
                p.source,
                ParamSource::Depends | ParamSource::Background | ParamSource::Temporal
            )
        })
}

/// The generated function of `route`, named `name`.
pub fn route_fn(route: &Route, name: &str) -> GraphFn {
    let mut g = Graph::default();
    for dep in &route.dependencies {
        g.solve(dep);
    }
    let h = &route.handler;
    let handler = format!("{}.{}", g.module(&h.module), h.name);
    let args = g.args_of(&h.params, &handler);
    let call = format!("{handler}({args})");
    let call = if h.is_async {
        g.is_async = true;
        format!("await {call}")
    } else {
        call
    };

    // Required request values first, then those with defaults (Python's
    // rule for a signature).
    let mut leaves: Vec<(Param, Option<String>)> =
        g.leaves.into_iter().map(|l| (l.param, l.default)).collect();
    leaves.sort_by_key(|(_, d)| d.is_some());
    let mut sig = Vec::new();
    for (p, default) in &leaves {
        match default {
            Some(d) => sig.push(format!("{}={d}", p.name)),
            None => sig.push(p.name.clone()),
        }
    }

    let mut src = String::new();
    let kw = if g.is_async { "async def" } else { "def" };
    let _ = writeln!(src, "{kw} {name}({}):", sig.join(", "));
    let methods: Vec<&str> = route.methods.iter().map(|m| m.as_str()).collect();
    let path: String = route
        .path
        .raw
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let _ = writeln!(
        src,
        "    # {} {path}: the dependencies of `{}`.",
        methods.join("|"),
        h.name
    );
    // Per-request state, only what the graph uses: the entered `yield`
    // dependencies of each scope, the one `BackgroundTasks`, the one
    // `Response` parameter.
    if g.gens {
        let _ = writeln!(src, "    __pb_gens = []");
    }
    if g.fgens {
        let _ = writeln!(src, "    __pb_fgens = []");
    }
    if g.background {
        let _ = writeln!(src, "    __pb_bg = __pb_BackgroundTasks()");
    }
    if g.temporal {
        let _ = writeln!(src, "    __pb_resp = __pb_placeholder()");
    }
    let entered = g.gens || g.fgens;
    let indent = if entered { "        " } else { "    " };
    if entered {
        let _ = writeln!(src, "    try:");
    }
    for line in &g.lines {
        let _ = writeln!(src, "{indent}{line}");
    }
    let _ = writeln!(src, "{indent}__pb_r = {call}");
    if g.fgens {
        // `scope="function"`: torn down before the response is built.
        let teardown = if g.is_async {
            "await __pb_ateardown(__pb_fgens)"
        } else {
            "__pb_teardown(__pb_fgens)"
        };
        let _ = writeln!(src, "{indent}{teardown}");
    }
    if entered {
        let fgens = if g.fgens { "__pb_fgens" } else { "()" };
        let gens = if g.gens { "__pb_gens" } else { "()" };
        let fail = if g.is_async {
            format!("await __pb_afail({fgens}, {gens}, __pb_e)")
        } else {
            format!("__pb_fail({fgens}, {gens}, __pb_e)")
        };
        let _ = writeln!(src, "    except BaseException as __pb_e:");
        let _ = writeln!(src, "        raise {fail}");
    }
    let deferred = g.gens || g.background || g.temporal;
    if deferred {
        // What the runtime finishes after the call: (value, generators to
        // close after the response, background tasks, the Response
        // parameter, whether closing needs the event loop).
        let or_none = |used: bool, name: &str| {
            if used {
                name.to_string()
            } else {
                "None".to_string()
            }
        };
        let _ = writeln!(
            src,
            "    return (__pb_r, {}, {}, {}, {})",
            or_none(g.gens, "__pb_gens"),
            or_none(g.background, "__pb_bg"),
            or_none(g.temporal, "__pb_resp"),
            if g.async_gens { "True" } else { "False" }
        );
    } else {
        let _ = writeln!(src, "    return __pb_r");
    }
    GraphFn {
        name: name.to_string(),
        source: src,
        leaves: leaves.into_iter().map(|(p, _)| p).collect(),
        is_async: g.is_async,
        deferred,
    }
}

/// The whole module: its imports, then each function.
pub fn module_source(fns: &[GraphFn], imports: &BTreeMap<String, String>) -> String {
    let mut src = String::from(
        "# Generated by prebake: the dependency graphs of the app's routes. Do not edit by hand.\n\
         from prebake._solve import (\n    \
         BackgroundTasks as __pb_BackgroundTasks,\n    \
         afail as __pb_afail,\n    \
         ateardown as __pb_ateardown,\n    \
         default as __pb_default,\n    \
         fail as __pb_fail,\n    \
         placeholder_response as __pb_placeholder,\n    \
         teardown as __pb_teardown,\n\
         )\n",
    );
    for (module, alias) in imports {
        let _ = writeln!(src, "import {module} as {alias}");
    }
    for f in fns {
        src.push('\n');
        src.push_str(&f.source);
    }
    src
}

/// The module aliases a set of functions uses (every module named by a
/// dependency or handler), as [`module_source`] imports them.
pub fn imports(routes: &[&Route]) -> BTreeMap<String, String> {
    let mut modules = Vec::new();
    for r in routes {
        modules.push(r.handler.module.clone());
        collect_modules(&r.dependencies, &mut modules);
        for p in &r.handler.params {
            if let Some(d) = &p.depends {
                collect_modules(std::slice::from_ref(d), &mut modules);
            }
        }
    }
    modules.sort();
    modules.dedup();
    modules
        .into_iter()
        .map(|m| {
            let alias = module_alias(&m);
            (m, alias)
        })
        .collect()
}

fn collect_modules(deps: &[Dependency], out: &mut Vec<String>) {
    for d in deps {
        out.push(d.module.clone());
        for p in &d.params {
            if let Some(inner) = &p.depends {
                collect_modules(std::slice::from_ref(inner), out);
            }
        }
    }
}

/// `__pb_m_<module with dots as underscores>`: stable across builds.
fn module_alias(module: &str) -> String {
    format!("__pb_m_{}", module.replace('.', "__"))
}

struct Leaf {
    param: Param,
    default: Option<String>,
    /// `(source, wire name)` it was decoded for.
    key: (ParamSource, String),
}

#[derive(Default)]
struct Graph {
    leaves: Vec<Leaf>,
    lines: Vec<String>,
    cache: HashMap<(String, String, DepScope), String>,
    vars: usize,
    /// `yield` dependencies torn down after the response.
    gens: bool,
    /// `yield` dependencies with `scope="function"`.
    fgens: bool,
    /// An async generator among the ones closed after the response.
    async_gens: bool,
    /// The graph takes `BackgroundTasks`.
    background: bool,
    /// The graph takes the `Response` parameter.
    temporal: bool,
    is_async: bool,
}

impl Graph {
    fn module(&self, module: &str) -> String {
        module_alias(module)
    }

    /// The argument list for the parameters of callable `owner`:
    /// positional in signature order, keyword-only ones by keyword.
    fn args_of(&mut self, params: &[Param], owner: &str) -> String {
        let mut out = Vec::new();
        for p in params {
            let value = self.value(p, owner);
            if p.kw_only {
                out.push(format!("{}={value}", p.name));
            } else {
                out.push(value);
            }
        }
        out.join(", ")
    }

    /// The expression giving parameter `p`'s value. `owner` is the
    /// expression of the callable that declares it, for its default.
    fn value(&mut self, p: &Param, owner: &str) -> String {
        match p.source {
            ParamSource::Depends => match &p.depends {
                Some(dep) => self.solve(dep),
                None => "None".to_string(),
            },
            ParamSource::Background => {
                self.background = true;
                "__pb_bg".to_string()
            }
            ParamSource::Temporal => {
                self.temporal = true;
                "__pb_resp".to_string()
            }
            _ => self.leaf(p, owner),
        }
    }

    /// A request value: shared with an earlier parameter of the graph that
    /// reads the same thing (checks make sure their types agree).
    fn leaf(&mut self, p: &Param, owner: &str) -> String {
        let wire = if p.source == ParamSource::Header {
            p.wire_name.to_ascii_lowercase()
        } else {
            p.wire_name.clone()
        };
        let key = (
            p.source,
            if p.source == ParamSource::Request {
                String::new()
            } else {
                wire
            },
        );
        if let Some(l) = self.leaves.iter().find(|l| l.key == key) {
            return l.param.name.clone();
        }
        let mut name = p.name.clone();
        let mut n = 2;
        while self.leaves.iter().any(|l| l.param.name == name) {
            name = format!("{}_{n}", p.name);
            n += 1;
        }
        let default = p
            .default
            .as_ref()
            .map(|_| format!("__pb_default({owner}, {:?})", p.name));
        let mut param = p.clone();
        param.name.clone_from(&name);
        self.leaves.push(Leaf {
            param,
            default,
            key,
        });
        name
    }

    /// Calls dependency `dep` (once per request when cached); the variable
    /// holding its value.
    fn solve(&mut self, dep: &Dependency) -> String {
        let key = dep.cache_key();
        if dep.use_cache
            && let Some(var) = self.cache.get(&key)
        {
            return var.clone();
        }
        let callee = format!("{}.{}", self.module(&dep.module), dep.name);
        let args = self.args_of(&dep.params, &callee);
        let call = format!("{callee}({args})");
        let var = format!("__pb_v{}", self.vars);
        self.vars += 1;
        let function_scope = dep.scope == DepScope::Function;
        let list = if function_scope {
            "__pb_fgens"
        } else {
            "__pb_gens"
        };
        let line = match dep.kind {
            DepKind::Function {
                generator: true,
                is_async,
            } => {
                if function_scope {
                    self.fgens = true;
                } else {
                    self.gens = true;
                    self.async_gens |= is_async;
                }
                // Entered, then remembered: a generator that fails before
                // its `yield` has nothing to tear down.
                let g = format!("__pb_g{}", self.vars - 1);
                let first = if is_async {
                    self.is_async = true;
                    format!("await {g}.__anext__()")
                } else {
                    format!("next({g})")
                };
                format!("{g} = {call}\n{var} = {first}\n{list}.append({g})")
            }
            _ if dep.is_async() => {
                self.is_async = true;
                format!("{var} = await {call}")
            }
            _ => format!("{var} = {call}"),
        };
        self.lines.extend(line.lines().map(str::to_string));
        self.cache.entry(key).or_insert_with(|| var.clone());
        var
    }
}
