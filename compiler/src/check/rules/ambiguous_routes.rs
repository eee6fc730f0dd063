//! PB014 `ambiguous-routes`: two dynamic routes that match some of the same
//! requests, each more specific than the other somewhere.
//!
//! The router decides segment by segment, left to right: a static segment
//! wins over a `{param}`, which wins over a `{rest:path}`. So when two
//! templates overlap, the first segment where they differ in kind decides.
//! That is what the user means when one template is at least as specific as
//! the other at every segment (`/users/me` and `/users/{id}`), but not when
//! each is more specific at a different segment: for `/{lang}/docs` and
//! `/api/{version}`, the request `/api/docs` goes to the second only because
//! its static segment comes first. Such pairs are reported unless a third
//! route serves exactly the overlap (`/api/docs`), which then wins over both.
#![doc = include_str!("../../../../docs/diagnostics/PB014.md")]

use crate::check::Ctx;
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{PathSegment, Route};

/// A segment as the router sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seg<'a> {
    Static(&'a str),
    Param,
    Rest,
}

fn segments(route: &Route) -> Vec<Seg<'_>> {
    let mut segs: Vec<Seg<'_>> = route
        .path
        .segments
        .iter()
        .map(|s| match s {
            PathSegment::Static(t) => Seg::Static(t),
            PathSegment::Param {
                catch_all: false, ..
            } => Seg::Param,
            PathSegment::Param {
                catch_all: true, ..
            } => Seg::Rest,
        })
        .collect();
    if segs.is_empty() {
        segs.push(Seg::Static(""));
    }
    segs
}

/// The overlap of two templates: the most specific template matching only
/// requests both match, and the first segment where each is more specific.
struct Overlap<'a> {
    meet: Vec<Seg<'a>>,
    a_first: Option<usize>,
    b_first: Option<usize>,
}

fn overlap<'a>(a: &[Seg<'a>], b: &[Seg<'a>]) -> Option<Overlap<'a>> {
    let mut o = Overlap {
        meet: Vec::new(),
        a_first: None,
        b_first: None,
    };
    let mut i = 0;
    loop {
        match (a.get(i), b.get(i)) {
            (None, None) => return Some(o),
            (Some(Seg::Rest), Some(Seg::Rest)) => {
                o.meet.push(Seg::Rest);
                return Some(o);
            }
            (Some(Seg::Rest), Some(_)) => {
                o.b_first.get_or_insert(i);
                o.meet.extend_from_slice(&b[i..]);
                return Some(o);
            }
            (Some(_), Some(Seg::Rest)) => {
                o.a_first.get_or_insert(i);
                o.meet.extend_from_slice(&a[i..]);
                return Some(o);
            }
            (None, Some(_)) | (Some(_), None) => return None,
            (Some(Seg::Static(x)), Some(Seg::Static(y))) => {
                if x != y {
                    return None;
                }
                o.meet.push(Seg::Static(x));
            }
            (Some(Seg::Static(x)), Some(Seg::Param)) => {
                if x.is_empty() {
                    return None;
                }
                o.a_first.get_or_insert(i);
                o.meet.push(Seg::Static(x));
            }
            (Some(Seg::Param), Some(Seg::Static(y))) => {
                if y.is_empty() {
                    return None;
                }
                o.b_first.get_or_insert(i);
                o.meet.push(Seg::Static(y));
            }
            (Some(Seg::Param), Some(Seg::Param)) => o.meet.push(Seg::Param),
        }
        i += 1;
    }
}

fn render(segs: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for s in segs {
        out.push('/');
        match s {
            Seg::Static(t) => out.push_str(t),
            Seg::Param => out.push_str("{param}"),
            Seg::Rest => out.push_str("{rest:path}"),
        }
    }
    out
}

/// Reports each crossing pair of dynamic routes that share a method.
pub(crate) fn check(ctx: &Ctx<'_>, sink: &mut Sink) {
    let routes = &ctx.ir.routes;
    let all: Vec<Vec<Seg<'_>>> = routes.iter().map(segments).collect();
    for (j, b) in routes.iter().enumerate() {
        if b.path.is_static() {
            continue;
        }
        for (i, a) in routes[..j].iter().enumerate() {
            if a.path.is_static() {
                continue;
            }
            let Some(method) = b.methods.iter().find(|m| a.methods.contains(m)).copied() else {
                continue;
            };
            let Some(o) = overlap(&all[i], &all[j]) else {
                continue;
            };
            let (Some(a_at), Some(b_at)) = (o.a_first, o.b_first) else {
                continue;
            };
            let resolved = routes
                .iter()
                .zip(&all)
                .any(|(r, segs)| *segs == o.meet && r.methods.contains(&method));
            if resolved {
                continue;
            }
            let winner = if a_at < b_at { a } else { b };
            let example = render(&o.meet);
            sink.report(
                Diagnostic::new(
                    Code::PB014,
                    b.path.span,
                    format!("routes `{}` and `{}` are ambiguous", a.path.raw, b.path.raw),
                )
                .with_label(format!("`{method} {example}` matches this route"))
                .with_secondary(a.path.span, "and this one")
                .with_note(format!(
                    "each template is more specific than the other at some segment; the router tries static segments first, left to right, so `{example}` goes to `{}`",
                    winner.path.raw
                ))
                .with_help(format!(
                    "add a route for `{example}` to say which handler serves it, or make the paths disjoint"
                )),
            );
        }
    }
}
