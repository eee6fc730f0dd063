//! Parsing a route's path template (`"/users/{user_id}"`,
//! `"/files/{rest:path}"`) into segments, reporting (PB010) what is
//! malformed.

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Converter, PathSegment, PathTemplate};
use crate::source::Span;

impl Lowerer<'_> {
    /// The template of a route served under router prefixes: the prefixes'
    /// segments, then the route's own (`""` under a prefix serves the
    /// prefix itself, `"/"` the prefix with a trailing slash).
    pub(super) fn mounted_template(
        &mut self,
        prefixes: &[super::routers::Prefix],
        raw: &str,
        literal: Span,
    ) -> PathTemplate {
        if prefixes.is_empty() {
            return self.path_template(raw, literal);
        }
        let mut segments = Vec::new();
        let mut full = String::new();
        for prefix in prefixes {
            segments.extend(self.path_template(&prefix.raw, prefix.span).segments);
            full.push_str(&prefix.raw);
        }
        if raw == "/" {
            segments.push(PathSegment::Static(String::new()));
        } else if !raw.is_empty() {
            segments.extend(self.path_template(raw, literal).segments);
        }
        full.push_str(raw);
        let mut seen: Vec<&str> = Vec::new();
        for seg in &segments {
            if let PathSegment::Param { name, span, .. } = seg {
                if seen.contains(&name.as_str()) {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB010,
                            *span,
                            format!("placeholder `{name}` appears twice"),
                        )
                        .with_label("also in a router prefix"),
                    );
                }
                seen.push(name);
            }
        }
        PathTemplate {
            raw: full,
            segments,
            span: literal,
        }
    }

    /// Parses a path template. Reports PB010 for malformed templates and keeps
    /// what it can.
    pub(super) fn path_template(&mut self, raw: &str, literal: Span) -> PathTemplate {
        let text = self.text(literal).to_string();
        // Offsets inside the literal map 1:1 only for a plain string without
        // escapes; otherwise point at the whole literal.
        let quote_len = if text.starts_with("\"\"\"") || text.starts_with("'''") {
            3
        } else {
            1
        };
        let plain = text.len() == raw.len() + 2 * quote_len && !text.contains('\\');
        let at = |from: usize, to: usize| -> Span {
            if plain {
                let base = literal.start + quote_len as u32;
                Span::new(literal.file, base + from as u32, base + to as u32)
            } else {
                literal
            }
        };
        let mut segments = Vec::new();
        if !raw.starts_with('/') {
            self.sink.report(
                Diagnostic::new(
                    Code::PB010,
                    literal,
                    format!("route path {raw:?} must start with `/`"),
                )
                .with_label("missing leading slash")
                .with_help(format!("write \"/{raw}\"")),
            );
        }
        let body = raw.strip_prefix('/').unwrap_or(raw);
        let mut offset = raw.len() - body.len();
        let count = body.split('/').count();
        for (i, seg) in body.split('/').enumerate() {
            let seg_span = at(offset, offset + seg.len());
            let start = offset;
            offset += seg.len() + 1;
            if raw == "/" {
                break;
            }
            if !seg.contains('{') && !seg.contains('}') {
                if seg.is_empty() && i + 1 < count {
                    self.sink.report(
                        Diagnostic::new(Code::PB010, seg_span, "empty path segment")
                            .with_label("`//` never matches a normalised request path"),
                    );
                }
                segments.push(PathSegment::Static(seg.to_string()));
                continue;
            }
            let inner = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            let Some(inner) = inner.filter(|s| !s.contains('{') && !s.contains('}')) else {
                self.sink.report(
                    Diagnostic::new(Code::PB010, seg_span, "a placeholder must be a whole path segment")
                        .with_label("mixed text and placeholder")
                        .with_note("write `/{name}` on its own segment; prebake does not match parts of segments"),
                );
                continue;
            };
            let (name, conv) = match inner.split_once(':') {
                Some((n, c)) => (n, Some(c)),
                None => (inner, None),
            };
            let name_span = at(start + 1, start + 1 + name.len());
            if !is_identifier(name) {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB010,
                        seg_span,
                        format!("placeholder name {name:?} is not a Python identifier"),
                    )
                    .with_label("invalid name"),
                );
                continue;
            }
            let conv_span = at(start + 2 + name.len(), start + 1 + inner.len());
            let mut converter = None;
            let catch_all = match conv {
                None => false,
                Some(c) if Converter::parse(c).is_some() => {
                    converter = Converter::parse(c).map(|c| (c, conv_span));
                    false
                }
                Some("path") => {
                    if i + 1 < count {
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB010,
                                seg_span,
                                "`{name:path}` must be the last segment",
                            )
                            .with_label("captures the rest of the path"),
                        );
                    }
                    true
                }
                Some(other) => {
                    self.sink.report(
                        Diagnostic::new(
                            Code::PB010,
                            seg_span,
                            format!("unknown placeholder converter `{other}`"),
                        )
                        .with_label("not a known converter")
                        .with_note("known: `path` (the rest of the path), and the type converters `str`, `int`, `float`, `uuid`, `decimal`, `date`, `datetime`, `time`, `timedelta`")
                        .with_help(format!(
                            "write `{{{name}}}` and annotate the parameter with its type"
                        )),
                    );
                    false
                }
            };
            if segments
                .iter()
                .any(|s| matches!(s, PathSegment::Param { name: n, .. } if n == name))
            {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB010,
                        name_span,
                        format!("placeholder `{name}` appears twice"),
                    )
                    .with_label("second use"),
                );
                continue;
            }
            segments.push(PathSegment::Param {
                name: name.to_string(),
                catch_all,
                span: name_span,
                converter,
            });
        }
        PathTemplate {
            raw: raw.to_string(),
            segments,
            span: literal,
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}
