//! A stable, readable dump of the IR for snapshot tests and `--dump-ir`.

use std::fmt::Write;

use super::{FieldDefault, Ir, ModelKind, PathSegment, PoolReason, ResponseKind, Value, ValueKind};
use crate::source::SourceDb;

/// Dumps the IR as indented text; positions are `line:column` of each span's
/// start.
pub fn dump(db: &SourceDb, ir: &Ir) -> String {
    let mut out = String::new();
    let pos = |span: crate::source::Span| {
        let f = db.file(span.file);
        let lc = f.line_col(span.start);
        format!("{}:{}:{}", f.module, lc.line, lc.column)
    };
    if let Some(app) = &ir.app {
        let _ = writeln!(
            out,
            "app {} = App(title={:?}, version={:?}) @ {}",
            app.var_name,
            app.title.as_deref().unwrap_or(""),
            app.version.as_deref().unwrap_or(""),
            pos(app.span)
        );
    }
    for m in &ir.mounts {
        let _ = writeln!(
            out,
            "mount {} StaticFiles(directory={:?}, html={}, check_dir={}, follow_symlink={}) @ {}",
            m.path,
            m.directory,
            m.html,
            m.check_dir,
            m.follow_symlink,
            pos(m.span)
        );
    }
    for r in &ir.routes {
        let methods: Vec<&str> = r.methods.iter().map(|m| m.as_str()).collect();
        let h = &r.handler;
        let _ = writeln!(
            out,
            "route {} {} -> {}{}.{} status={} @ {}",
            methods.join("|"),
            r.path.raw,
            if h.is_async { "async " } else { "" },
            h.module,
            h.name,
            r.status_code,
            pos(r.decorator_span)
        );
        let segs: Vec<String> = r
            .path
            .segments
            .iter()
            .map(|s| match s {
                PathSegment::Static(t) => format!("{t:?}"),
                PathSegment::Param {
                    name,
                    catch_all: false,
                    ..
                } => format!("{{{name}}}"),
                PathSegment::Param {
                    name,
                    catch_all: true,
                    ..
                } => format!("{{{name}:path}}"),
            })
            .collect();
        let _ = writeln!(out, "  segments [{}]", segs.join(", "));
        let place = if r.on_pool { "on the pool" } else { "inline" };
        let why = match &r.pool_reason {
            PoolReason::Async => "async def".to_string(),
            PoolReason::Setting(s) => format!(
                "sync_to_thread={} on {} @ {}",
                if s.value { "True" } else { "False" },
                s.origin.describe(),
                pos(s.span)
            ),
            PoolReason::Blocking(c) => {
                let via: String = c.via.iter().map(|f| format!(" via {f}")).collect();
                format!("calls {}{via} @ {}", c.callee, pos(c.span))
            }
            PoolReason::NoBlockingCall => "no blocking call".to_string(),
        };
        let _ = writeln!(out, "  runs {place}: {why}");
        for p in &h.params {
            let _ = write!(
                out,
                "  param {} from {} {:?}: {}",
                p.name,
                p.source.as_str(),
                p.wire_name,
                p.ty.display(ir)
            );
            if let Some(c) = p.constraints() {
                let _ = write!(out, " {}", constraints(c));
            }
            if let Some(d) = &p.default {
                let _ = write!(out, " = {}", value(d));
            }
            let _ = writeln!(out);
        }
        let resp = match &h.response {
            ResponseKind::Text => "text".to_string(),
            ResponseKind::Bytes => "bytes".to_string(),
            ResponseKind::Empty => "empty".to_string(),
            ResponseKind::Raw => "raw Response".to_string(),
            ResponseKind::Wrap(class) => format!("wrapped in {class}"),
            ResponseKind::Json(t) => format!("json {}", t.display(ir)),
        };
        let _ = writeln!(out, "  returns {resp}");
    }
    for m in &ir.models {
        let kind = match &m.kind {
            ModelKind::Struct(o) => {
                let mut opts = Vec::new();
                for (k, v) in &o.keywords {
                    opts.push(format!("{k}={}", value(v)));
                }
                if let Some(t) = &o.tag {
                    opts.push(format!("tag-value={t:?}"));
                }
                format!("struct({})", opts.join(", "))
            }
            ModelKind::Dataclass(o) => {
                format!("dataclass(frozen={}, kw_only={})", o.frozen, o.kw_only)
            }
            ModelKind::TypedDict { total } => format!("typeddict(total={total})"),
            ModelKind::NamedTuple => "namedtuple".to_string(),
            ModelKind::Enum { flavor, members } => {
                let ms: Vec<String> = members
                    .iter()
                    .map(|mm| format!("{}={}", mm.name, value(&mm.value)))
                    .collect();
                format!("enum {flavor:?}[{}]", ms.join(", "))
            }
        };
        let params = match &m.generic {
            Some(g) => format!(
                "[{}]",
                g.args
                    .iter()
                    .map(|t| t.display(ir).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None if !m.params.is_empty() => format!("[{}]", m.params.join(", ")),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "model {}.{}{params} {kind} @ {}",
            m.module,
            m.name,
            pos(m.span)
        );
        for f in &m.fields {
            let _ = write!(
                out,
                "  field {} {:?}: {}",
                f.name,
                f.wire_name,
                f.ty.display(ir)
            );
            if let Some(c) = f.ty.constraints() {
                let _ = write!(out, " {}", constraints(c));
            }
            match &f.default {
                FieldDefault::Required => {}
                FieldDefault::Value(v) => {
                    let _ = write!(out, " = {}", value(v));
                }
                FieldDefault::Factory(v) => {
                    let _ = write!(out, " = factory {}", value(v));
                }
            }
            let _ = writeln!(out, "{}", if f.required { " (required)" } else { "" });
        }
    }
    out
}

fn constraints(c: &super::Constraints) -> String {
    let mut parts = Vec::new();
    macro_rules! num {
        ($($f:ident),*) => { $( if let Some(b) = &c.$f { parts.push(format!("{}={}", stringify!($f), b.value)); } )* };
    }
    num!(gt, ge, lt, le, multiple_of, min_length, max_length);
    if let Some(p) = &c.pattern {
        parts.push(format!("pattern={:?}", p.value));
    }
    if let Some(t) = &c.tz {
        parts.push(format!("tz={}", t.value));
    }
    format!("[{}]", parts.join(", "))
}

/// A value as Python would spell it (roughly).
pub fn value(v: &Value) -> String {
    match &v.kind {
        ValueKind::None => "None".into(),
        ValueKind::Bool(true) => "True".into(),
        ValueKind::Bool(false) => "False".into(),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::BigInt(s) => s.clone(),
        ValueKind::Float(x) => format!("{x:?}"),
        ValueKind::Str(s) => format!("{s:?}"),
        ValueKind::Bytes(b) => format!("b{:?}", String::from_utf8_lossy(b)),
        ValueKind::List(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        ValueKind::Tuple(items) => format!(
            "({})",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        ValueKind::Set(items) => format!(
            "{{{}}}",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        ValueKind::Dict(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|(k, v)| format!("{}: {}", value(k), value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ValueKind::Name(n) => n.clone(),
        ValueKind::Call {
            callee,
            args,
            kwargs,
        } => {
            let mut parts: Vec<String> = args.iter().map(value).collect();
            parts.extend(kwargs.iter().map(|(k, v)| format!("{k}={}", value(v))));
            format!("{callee}({})", parts.join(", "))
        }
        ValueKind::Other(text) => format!("<{text}>"),
    }
}
