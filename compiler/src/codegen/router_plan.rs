//! The router plan: what the generated router must do, computed from the
//! routes at build time, with a reference matcher that tests compare the
//! generated code (and a naive matcher) against.
//!
//! Rules (`docs/semantics.md`, "Routing"): static routes resolve through a perfect hash over the
//! whole path; dynamic routes through a trie walked segment by segment, where
//! at each segment a static child is tried before a `{param}` child, and a
//! `{name:path}` catch-all last, backtracking when a branch fails. A path
//! that matches a template but not the method yields 405 with that
//! template's `Allow`, unless another template serves the method.

use super::phash::PerfectHash;
use crate::ir::{HttpMethod, Ir, PathSegment};

/// A template segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// Literal text.
    Static(String),
    /// `{name}`: one non-empty segment.
    Param,
    /// `{name:path}`: the rest of the path.
    CatchAll,
}

/// One distinct path template.
#[derive(Clone, Debug)]
pub struct Template {
    /// As written.
    pub raw: String,
    /// Its segments (`/` is one empty static segment).
    pub segments: Vec<Seg>,
    /// The routes (indices into [`RouterPlan::routes`]) it serves, one per method.
    pub routes: Vec<usize>,
}

impl Template {
    /// Whether it has no parameters.
    pub fn is_static(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Seg::Static(_)))
    }

    /// The number of parameters.
    pub fn param_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| !matches!(s, Seg::Static(_)))
            .count()
    }
}

/// One routed (method, template) pair; its index is the route id the
/// runtime and the generated dispatch use.
#[derive(Clone, Debug)]
pub struct PlanRoute {
    /// The template.
    pub template: usize,
    /// The method.
    pub method: HttpMethod,
    /// The IR route it came from.
    pub ir_route: usize,
}

/// A trie node: the segment after some prefix.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// Static children: segment text and child node.
    pub statics: Vec<(String, usize)>,
    /// The `{param}` child.
    pub param: Option<usize>,
    /// A catch-all template at this position.
    pub catch_all: Option<usize>,
    /// A dynamic template ending at this node.
    pub endpoint: Option<usize>,
    /// How many parameters were captured before this node's segment.
    pub depth: usize,
}

/// The router of one app.
#[derive(Clone, Debug)]
pub struct RouterPlan {
    /// Routes, in route-id order.
    pub routes: Vec<PlanRoute>,
    /// Distinct templates.
    pub templates: Vec<Template>,
    /// Static templates' paths, in the order of `static_templates`.
    pub static_keys: Vec<String>,
    /// The template of each static key.
    pub static_templates: Vec<usize>,
    /// The perfect hash over `static_keys`.
    pub table: PerfectHash,
    /// The trie of dynamic templates; node 0 is the root (the first segment).
    pub nodes: Vec<Node>,
    /// The most parameters any template has.
    pub max_params: usize,
}

/// The outcome of a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A route and its captured byte ranges.
    Route(usize, Vec<(usize, usize)>),
    /// 405: the route whose template matched (its `Allow` is sent).
    NotAllowed(usize),
    /// 404.
    NotFound,
}

impl RouterPlan {
    /// Builds the plan for an IR's routes (one route id per route method).
    #[must_use]
    pub fn new(ir: &Ir) -> RouterPlan {
        RouterPlan::with_statics(ir, &[])
    }

    /// Builds the plan for an IR's routes and, after them, one GET route
    /// per path of `statics` (the OpenAPI document and the docs pages,
    /// served as static bytes): the `k`th has `ir_route` `ir.routes.len() + k`.
    /// An app route with the same path and method wins.
    #[must_use]
    pub fn with_statics(ir: &Ir, statics: &[String]) -> RouterPlan {
        let mut routes = Vec::new();
        let mut templates: Vec<Template> = Vec::new();
        let app_routes = ir.routes.iter().map(|r| {
            let segments: Vec<Seg> = r
                .path
                .segments
                .iter()
                .map(|s| match s {
                    PathSegment::Static(t) => Seg::Static(t.clone()),
                    PathSegment::Param {
                        catch_all: false, ..
                    } => Seg::Param,
                    PathSegment::Param {
                        catch_all: true, ..
                    } => Seg::CatchAll,
                })
                .collect();
            (r.path.raw.clone(), segments, r.methods.clone())
        });
        let static_routes = statics.iter().map(|p| {
            let segments = p
                .strip_prefix('/')
                .unwrap_or(p)
                .split('/')
                .map(|s| Seg::Static(s.to_string()))
                .collect();
            (p.clone(), segments, vec![HttpMethod::Get])
        });
        for (ri, (raw, mut segments, methods)) in app_routes.chain(static_routes).enumerate() {
            if segments.is_empty() {
                segments.push(Seg::Static(String::new()));
            }
            let t = match templates.iter().position(|t| t.segments == segments) {
                Some(t) => t,
                None => {
                    templates.push(Template {
                        raw,
                        segments,
                        routes: Vec::new(),
                    });
                    templates.len() - 1
                }
            };
            for m in &methods {
                if templates[t]
                    .routes
                    .iter()
                    .any(|&x| routes_method(&routes, x) == *m)
                {
                    continue; // A duplicate; the checks report it.
                }
                templates[t].routes.push(routes.len());
                routes.push(PlanRoute {
                    template: t,
                    method: *m,
                    ir_route: ri,
                });
            }
        }
        let mut static_keys = Vec::new();
        let mut static_templates = Vec::new();
        for (i, t) in templates.iter().enumerate() {
            if t.is_static() {
                static_keys.push(static_path(&t.segments));
                static_templates.push(i);
            }
        }
        let key_refs: Vec<&[u8]> = static_keys.iter().map(String::as_bytes).collect();
        let table = PerfectHash::build(&key_refs);
        let mut nodes = vec![Node::default()];
        for (i, t) in templates.iter().enumerate() {
            if !t.is_static() {
                insert(&mut nodes, i, &t.segments);
            }
        }
        let max_params = templates
            .iter()
            .map(Template::param_count)
            .max()
            .unwrap_or(0);
        RouterPlan {
            routes,
            templates,
            static_keys,
            static_templates,
            table,
            nodes,
            max_params,
        }
    }

    /// The route of `template` serving `method`, if any.
    #[must_use]
    pub fn route_for(&self, template: usize, method: HttpMethod) -> Option<usize> {
        self.templates[template]
            .routes
            .iter()
            .copied()
            .find(|&r| self.routes[r].method == method)
    }

    /// Looks a raw path up the way the generated router does.
    #[must_use]
    pub fn lookup(&self, method: HttpMethod, path: &str) -> Lookup {
        let p = path.as_bytes();
        let mut not_allowed = None;
        if !self.static_keys.is_empty() {
            let s = self.table.slot_of(p);
            if let Some(k) = self.table.slots[s]
                && self.static_keys[k].as_bytes() == p
            {
                let t = self.static_templates[k];
                match self.route_for(t, method) {
                    Some(r) => return Lookup::Route(r, Vec::new()),
                    None => not_allowed = Some(self.templates[t].routes[0]),
                }
            }
        }
        if p.first() == Some(&b'/') {
            let mut spans = vec![(0, 0); self.max_params];
            if let Some(r) = self.walk(0, p, 1, &mut spans, method, &mut not_allowed) {
                let n = self.templates[self.routes[r].template].param_count();
                spans.truncate(n);
                return Lookup::Route(r, spans);
            }
        }
        not_allowed.map_or(Lookup::NotFound, Lookup::NotAllowed)
    }

    fn endpoint(
        &self,
        t: usize,
        method: HttpMethod,
        not_allowed: &mut Option<usize>,
    ) -> Option<usize> {
        let r = self.route_for(t, method);
        if r.is_none() && not_allowed.is_none() {
            *not_allowed = Some(self.templates[t].routes[0]);
        }
        r
    }

    fn walk(
        &self,
        node: usize,
        p: &[u8],
        pos: usize,
        spans: &mut [(usize, usize)],
        method: HttpMethod,
        na: &mut Option<usize>,
    ) -> Option<usize> {
        let n = &self.nodes[node];
        let end = p[pos..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(p.len(), |i| pos + i);
        let seg = &p[pos..end];
        let last = end == p.len();
        for (text, child) in &n.statics {
            if text.as_bytes() == seg {
                let found = if last {
                    self.nodes[*child]
                        .endpoint
                        .and_then(|t| self.endpoint(t, method, na))
                } else {
                    self.walk(*child, p, end + 1, spans, method, na)
                };
                if found.is_some() {
                    return found;
                }
            }
        }
        if let Some(child) = n.param
            && !seg.is_empty()
        {
            spans[n.depth] = (pos, end);
            let found = if last {
                self.nodes[child]
                    .endpoint
                    .and_then(|t| self.endpoint(t, method, na))
            } else {
                self.walk(child, p, end + 1, spans, method, na)
            };
            if found.is_some() {
                return found;
            }
        }
        if let Some(t) = n.catch_all {
            spans[n.depth] = (pos, p.len());
            return self.endpoint(t, method, na);
        }
        None
    }
}

fn routes_method(routes: &[PlanRoute], r: usize) -> HttpMethod {
    routes[r].method
}

/// The request path a static template matches.
fn static_path(segments: &[Seg]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        if let Seg::Static(t) = s {
            out.push_str(t);
        }
    }
    out
}

fn insert(nodes: &mut Vec<Node>, template: usize, segments: &[Seg]) {
    let mut node = 0;
    let mut depth = 0;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        nodes[node].depth = depth;
        let next = match seg {
            Seg::CatchAll => {
                nodes[node].catch_all.get_or_insert(template);
                return;
            }
            Seg::Static(text) => match nodes[node].statics.iter().find(|(t, _)| t == text) {
                Some((_, c)) => *c,
                None => {
                    nodes.push(Node::default());
                    let c = nodes.len() - 1;
                    nodes[node].statics.push((text.clone(), c));
                    c
                }
            },
            Seg::Param => {
                depth += 1;
                if let Some(c) = nodes[node].param {
                    c
                } else {
                    nodes.push(Node::default());
                    let c = nodes.len() - 1;
                    nodes[node].param = Some(c);
                    c
                }
            }
        };
        node = next;
        nodes[node].depth = depth;
        if last {
            nodes[node].endpoint.get_or_insert(template);
        }
    }
}
