//! Conversions between the compiler's world (paths, byte offsets, one
//! [`Diagnostic`] model) and the protocol's (URIs, UTF-16 positions,
//! `lsp_types::Diagnostic`), kept in one place so no other module counts
//! UTF-16 code units.
//!
//! A diagnostic's message is the compiler's message with the primary label,
//! the notes and the help folded in as lines (`note: ...`, `help: ...`):
//! every client shows the message, while few show related information
//! (Neovim and Helix do not). Secondary labels become `relatedInformation`,
//! which VS Code shows as links to the other place.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types as lsp;

use crate::diagnostics::sarif::{folded_message, help_uri, percent_encode_path};
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::{SourceDb, SourceFile, Span};

/// The file-system path a `file:` URI names, or `None` for other schemes.
pub(crate) fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///p` has an empty authority; `file://localhost/p` names this
    // machine.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = percent_decode(rest);
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(&bytes)))
}

/// The `file:` URI of an absolute path, percent-encoding what RFC 3986 does
/// not allow in a path.
pub(crate) fn uri_of(path: &Path) -> lsp::Uri {
    let mut s = String::from("file://");
    s.push_str(&percent_encode_path(path.as_os_str().as_bytes()));
    lsp::Uri::from_str(&s)
        .unwrap_or_else(|_| lsp::Uri::from_str("file:///").expect("`file:///` is a valid URI"))
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The protocol position (0-based line, UTF-16 column) of a byte offset.
pub(crate) fn position(file: &SourceFile, offset: u32) -> lsp::Position {
    let (line, character) = file.line_col_utf16(offset);
    lsp::Position::new(line, character)
}

/// The protocol range of a span.
pub(crate) fn range(file: &SourceFile, span: Span) -> lsp::Range {
    lsp::Range::new(position(file, span.start), position(file, span.end))
}

/// The byte offset of a protocol position in `text`. A line past the end
/// maps to the end of the text; a column past the end of its line maps to
/// the line's end (as the protocol asks); a column inside a surrogate pair
/// maps to the character's start.
pub(crate) fn offset(text: &str, pos: lsp::Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= pos.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
        if units > pos.character {
            return line_start + i;
        }
    }
    line_start + line.len()
}

/// Applies one `didChange` content change to a document's text.
pub(crate) fn apply_change(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(r) => {
            let start = offset(text, r.start);
            let end = offset(text, r.end).max(start);
            text.replace_range(start..end, &change.text);
        }
    }
}

/// One compiler diagnostic as the protocol carries it, with the path of the
/// file it belongs on (its primary span's file).
pub(crate) fn diagnostic(db: &SourceDb, d: &Diagnostic) -> (PathBuf, lsp::Diagnostic) {
    let file = db.file(d.primary.span.file);
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .map(|s| {
            let f = db.file(s.span.file);
            lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri_of(Path::new(&f.path)), range(f, s.span)),
                message: if s.message.is_empty() {
                    "related".to_string()
                } else {
                    s.message.clone()
                },
            }
        })
        .collect();
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push('\n');
        message.push_str(&d.primary.message);
    }
    let folded = folded_message(d);
    if let Some(rest) = folded.strip_prefix(d.message.as_str()) {
        message.push_str(rest);
    }
    let href = lsp::Uri::from_str(&help_uri(d.code)).ok();
    let diagnostic = lsp::Diagnostic {
        range: range(file, d.primary.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("prebake".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: Some(serde_json::Value::String(d.code.name().to_string())),
    };
    (PathBuf::from(&file.path), diagnostic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    #[test]
    fn uris_round_trip_with_escapes() {
        let p = Path::new("/tmp/my app/é#1.py");
        let uri = uri_of(p);
        assert_eq!(uri.as_str(), "file:///tmp/my%20app/%C3%A9%231.py");
        assert_eq!(path_of(&uri).as_deref(), Some(p));
        let vscode = lsp::Uri::from_str("file:///tmp/a%3Ab/app.py").unwrap();
        assert_eq!(path_of(&vscode).unwrap(), Path::new("/tmp/a:b/app.py"));
        let other = lsp::Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(path_of(&other), None);
    }

    #[test]
    fn offsets_count_utf16_units() {
        let text = "ab\n\u{1F600}x = 'é'\r\nz";
        assert_eq!(offset(text, lsp::Position::new(0, 1)), 1);
        assert_eq!(offset(text, lsp::Position::new(1, 0)), 3);
        // The emoji is two UTF-16 units and four bytes.
        assert_eq!(offset(text, lsp::Position::new(1, 2)), 7);
        // Inside the surrogate pair: the character's start.
        assert_eq!(offset(text, lsp::Position::new(1, 1)), 3);
        // Past the line's end (before `\r\n`): the line's end.
        assert_eq!(offset(text, lsp::Position::new(1, 99)), 15);
        assert_eq!(offset(text, lsp::Position::new(2, 0)), 17);
        assert_eq!(offset(text, lsp::Position::new(9, 0)), text.len());
    }

    #[test]
    fn incremental_changes_apply() {
        let mut text = "def f(uid: int):\n    return uid\n".to_string();
        apply_change(
            &mut text,
            lsp::TextDocumentContentChangeEvent {
                range: Some(lsp::Range::new(
                    lsp::Position::new(0, 6),
                    lsp::Position::new(0, 9),
                )),
                range_length: None,
                text: "user_id".into(),
            },
        );
        assert_eq!(text, "def f(user_id: int):\n    return uid\n");
    }

    #[test]
    fn diagnostics_fold_notes_and_carry_code_and_related() {
        let mut db = SourceDb::new();
        let f = db.add(
            "/w/app.py".into(),
            "app".into(),
            false,
            "x = '\u{1F600}' + y\n".into(),
        );
        let d = Diagnostic::new(Code::PB003, Span::new(f, 13, 14), "name `y` is not defined")
            .with_label("unknown")
            .with_secondary(Span::new(f, 0, 1), "assigned here")
            .with_note("a note")
            .with_help("define it");
        let (path, lsp_d) = diagnostic(&db, &d);
        assert_eq!(path, Path::new("/w/app.py"));
        // Byte 13 is after `x = '😀' + `: the emoji counts two units.
        assert_eq!(lsp_d.range.start, lsp::Position::new(0, 11));
        assert_eq!(
            lsp_d.message,
            "name `y` is not defined\nunknown\nnote: a note\nhelp: define it"
        );
        assert_eq!(
            lsp_d.code,
            Some(lsp::NumberOrString::String("PB003".into()))
        );
        let related = lsp_d.related_information.unwrap();
        assert_eq!(related[0].location.uri.as_str(), "file:///w/app.py");
        assert_eq!(related[0].message, "assigned here");
        assert!(
            lsp_d
                .code_description
                .unwrap()
                .href
                .as_str()
                .ends_with("PB003.md")
        );
    }
}
