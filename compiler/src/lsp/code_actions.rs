//! Quick fixes for the diagnostics whose fix the compiler can name.
//!
//! - PB011 (a placeholder without a parameter): add `name: str` as the
//!   handler's first parameter (first, so it never lands after a parameter
//!   with a default); and, when the route has exactly one unmatched
//!   placeholder and the handler exactly one parameter that could have been
//!   meant for it (a required scalar query parameter bound by the default
//!   rule, not by a marker),
//!   rename that parameter to the placeholder's name, or the placeholder to
//!   the parameter's name.
//! - PB052 (an optional parameter without a default): add `= None`, when
//!   that keeps the signature valid.
//!
//! Renaming a parameter renames its uses in the handler's body too: names
//! in code, not in strings, comments, attribute accesses or keyword
//! arguments (names inside f-string braces are left alone).

use crate::Analysis;
use crate::diagnostics::Code;
use crate::ir::{Handler, Param, ParamSource, Route};
use crate::source::{FileId, Span};

/// One fix: a title, the edits, and the diagnostic it fixes.
pub(crate) struct Fix {
    /// What the editor's menu shows.
    pub(crate) title: String,
    /// Replace each span's text with the string.
    pub(crate) edits: Vec<(Span, String)>,
    /// Index into the analysis' diagnostics.
    pub(crate) diagnostic: usize,
    /// Whether this is the fix to apply by default.
    pub(crate) preferred: bool,
}

/// The fixes for diagnostics in `file` that touch `start..=end`.
pub(crate) fn fixes(analysis: &Analysis, file: FileId, start: u32, end: u32) -> Vec<Fix> {
    let mut out = Vec::new();
    for (i, d) in analysis.diagnostics.iter().enumerate() {
        let s = d.primary.span;
        if s.file != file || s.end < start || s.start > end {
            continue;
        }
        match d.code {
            Code::PB011 => missing_path_parameter(analysis, i, s, &mut out),
            Code::PB052 => optional_without_default(analysis, i, s, &mut out),
            _ => {}
        }
    }
    out
}

fn text(analysis: &Analysis, span: Span) -> &str {
    analysis.db.file(span.file).slice(span)
}

fn missing_path_parameter(analysis: &Analysis, i: usize, at: Span, out: &mut Vec<Fix>) {
    let Some((route, name)) = analysis.ir.routes.iter().find_map(|r| {
        r.path
            .params()
            .find(|(_, _, span)| *span == at)
            .map(|(n, _, _)| (r, n.to_string()))
    }) else {
        return;
    };
    let h = &route.handler;
    if let Some(edit) = add_first_param(analysis, h, &format!("{name}: str")) {
        out.push(Fix {
            title: format!("Add parameter `{name}: str` to `{}`", h.name),
            edits: vec![edit],
            diagnostic: i,
            preferred: true,
        });
    }
    let unmatched: Vec<&str> = route
        .path
        .params()
        .filter(|(n, _, _)| !h.params.iter().any(|p| p.name == *n))
        .map(|(n, _, _)| n)
        .collect();
    let candidates: Vec<&Param> = h
        .params
        .iter()
        .filter(|p| p.source == ParamSource::Query && p.marker_span.is_none())
        .filter(|p| p.default.is_none() && p.ty.is_scalar(&analysis.ir))
        .filter(|p| !route.path.params().any(|(n, _, _)| n == p.name))
        .collect();
    let ([_], [p]) = (unmatched.as_slice(), candidates.as_slice()) else {
        return;
    };
    out.push(Fix {
        title: format!("Rename parameter `{}` to `{name}`", p.name),
        edits: rename_param(analysis, route, p, &name),
        diagnostic: i,
        preferred: false,
    });
    if text(analysis, at) == name {
        out.push(Fix {
            title: format!("Rename placeholder `{{{name}}}` to `{{{}}}`", p.name),
            edits: vec![(at, p.name.clone())],
            diagnostic: i,
            preferred: false,
        });
    }
}

/// An edit that inserts `param` before the handler's first parameter, or
/// between the parentheses when it has none.
fn add_first_param(analysis: &Analysis, h: &Handler, param: &str) -> Option<(Span, String)> {
    if let Some(first) = h.params.first() {
        let at = Span::new(first.span.file, first.span.start, first.span.start);
        return Some((at, format!("{param}, ")));
    }
    let file = analysis.db.file(h.name_span.file);
    let open = file.text.get(h.name_span.end as usize..)?.find('(')?;
    let at = h.name_span.end + open as u32 + 1;
    // Keep `*args`-only signatures and the like untouched: only `()`.
    let rest = file.text.get(at as usize..)?.trim_start();
    if !rest.starts_with(')') {
        return None;
    }
    Some((Span::new(h.name_span.file, at, at), param.to_string()))
}

fn rename_param(analysis: &Analysis, route: &Route, p: &Param, new: &str) -> Vec<(Span, String)> {
    let h = &route.handler;
    let file = analysis.db.file(p.name_span.file);
    let mut edits = vec![(p.name_span, new.to_string())];
    let body = body_uses(&file.text, h.signature_span, &p.name);
    edits.extend(
        body.into_iter()
            .map(|(s, e)| (Span::new(p.name_span.file, s, e), new.to_string())),
    );
    edits
}

fn optional_without_default(analysis: &Analysis, i: usize, at: Span, out: &mut Vec<Fix>) {
    for route in &analysis.ir.routes {
        let params = &route.handler.params;
        let Some(pos) = params.iter().position(|p| p.name_span == at) else {
            continue;
        };
        let p = &params[pos];
        // A default before a required positional parameter does not parse.
        let later_required = params[pos + 1..]
            .iter()
            .any(|q| !q.kw_only && q.default.is_none());
        if !p.kw_only && later_required {
            return;
        }
        let end = Span::new(p.span.file, p.span.end, p.span.end);
        out.push(Fix {
            title: format!("Add the default `= None` to `{}`", p.name),
            edits: vec![(end, " = None".to_string())],
            diagnostic: i,
            preferred: true,
        });
        return;
    }
}

/// Byte ranges of the uses of `name` in the body of the function whose
/// signature is `sig`: from the end of the signature to the first line
/// indented no deeper than the `def` (outside brackets).
fn body_uses(text: &str, sig: Span, name: &str) -> Vec<(u32, u32)> {
    let bytes = text.as_bytes();
    let line_start = text[..sig.start as usize].rfind('\n').map_or(0, |i| i + 1);
    let def_indent = indent(&text[line_start..]);
    let mut uses = Vec::new();
    let mut i = sig.end as usize;
    let mut depth = 0usize;
    let mut at_line_start = false;
    while i < bytes.len() {
        let c = bytes[i];
        if at_line_start {
            at_line_start = false;
            let line = &text[i..];
            let ind = indent(line);
            let rest = line[ind..].trim_start_matches([' ', '\t']);
            let blank = rest.is_empty() || rest.starts_with('\n') || rest.starts_with('#');
            if depth == 0 && !blank && ind <= def_indent {
                break;
            }
        }
        match c {
            b'\n' => {
                at_line_start = true;
                i += 1;
            }
            b'#' => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'\'' | b'"' => i = skip_string(bytes, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &text[start..i];
                let next = bytes.get(i).copied();
                if matches!(next, Some(b'\'' | b'"')) && is_string_prefix(word) {
                    i = skip_string(bytes, i);
                    continue;
                }
                if word != name {
                    continue;
                }
                let after_dot = text[..start].trim_end_matches([' ', '\t']).ends_with('.');
                let rest = text[i..].trim_start_matches([' ', '\t']);
                let keyword_arg = depth > 0 && rest.starts_with('=') && !rest.starts_with("==");
                if !after_dot && !keyword_arg {
                    uses.push((start as u32, i as u32));
                }
            }
            _ => i += 1,
        }
    }
    uses
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn is_string_prefix(word: &str) -> bool {
    word.len() <= 2
        && word
            .chars()
            .all(|c| matches!(c.to_ascii_lowercase(), 'r' | 'b' | 'f' | 'u'))
}

/// The index just past the string literal whose opening quote is at `i`.
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let q = bytes[i];
    let triple = bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'\n' if !triple => return j,
            b if b == q => {
                if !triple {
                    return j + 1;
                }
                if bytes.get(j + 1) == Some(&q) && bytes.get(j + 2) == Some(&q) {
                    return j + 3;
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_uses_skip_strings_comments_attributes_and_keywords() {
        let text = "\
@app.get(\"/u/{user_id}\")
def get(uid: int) -> dict[str, int]:
    # uid in a comment
    s = f\"uid={uid}\" + 'uid'
    x = obj.uid + uid
    call(uid=uid, other=(uid == 1))
    return {\"id\": uid}

def other(uid: int) -> int:
    return uid
";
        let sig_start = text.find("def get").unwrap() as u32;
        let sig_end = text.find(":\n    #").unwrap() as u32 + 1;
        let uses = body_uses(text, Span::new(FileId(0), sig_start, sig_end), "uid");
        let words: Vec<_> = uses
            .iter()
            .map(|&(s, e)| {
                let line = text[..s as usize].matches('\n').count() + 1;
                (line, &text[s as usize..e as usize])
            })
            .collect();
        // Line 5: `obj.uid` is skipped, the bare `uid` kept; line 6: the
        // keyword is skipped, its value and the comparison kept; line 7.
        assert_eq!(words, vec![(5, "uid"), (6, "uid"), (6, "uid"), (7, "uid")]);
    }
}
