//! SARIF 2.1.0 output (`prebake check --format sarif`), so CI systems and
//! code-scanning dashboards show prebake's findings beside other tools'.
//!
//! One run per invocation: `tool.driver` lists every code of the registry as
//! a rule, and each diagnostic becomes a result pointing at its primary span,
//! with secondary labels as related locations. Regions use SARIF's default
//! column unit, UTF-16 code units, 1-based, with the end column one past the
//! last character; the run says so explicitly with `columnKind`.
//!
//! This module also holds the two facts every machine-readable output shares
//! with the language server: where a code's documentation lives
//! ([`help_uri`]) and how notes and help fold into one message text
//! ([`folded_message`]).

use serde_json::{Value, json};

use super::{Code, Diagnostic, Severity};
use crate::source::{SourceDb, SourceFile, Span};

/// The schema the output declares (the OASIS standard, errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base URI of the project's source tree, which holds `README.md` and
/// `docs/diagnostics/`.
///
/// Set `PREBAKE_DOCS_URL` when building (for example to a published copy of
/// the repository, ending in `/`) to point links there. Without it, links
/// point into the source tree the binary was built from, which is where a
/// developer who ran `cargo install --path compiler` has the docs.
pub fn docs_base() -> String {
    if let Some(url) = option_env!("PREBAKE_DOCS_URL") {
        return url.to_string();
    }
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    let mut base = format!(
        "file://{}",
        percent_encode_path(root.to_string_lossy().as_bytes())
    );
    if !base.ends_with('/') {
        base.push('/');
    }
    base
}

/// The documentation page of a code (`docs/diagnostics/PB011.md`) as an
/// absolute URI.
pub fn help_uri(code: Code) -> String {
    format!("{}docs/diagnostics/{code}.md", docs_base())
}

/// The message with each note and the help appended on lines of their own
/// (`note: ...`, `help: ...`), for outputs that carry one text per finding.
pub fn folded_message(d: &Diagnostic) -> String {
    let mut out = d.message.clone();
    for note in &d.notes {
        out.push_str("\nnote: ");
        out.push_str(note);
    }
    if let Some(help) = &d.help {
        out.push_str("\nhelp: ");
        out.push_str(help);
    }
    out
}

/// Percent-encodes a path for a URI, leaving `/`, RFC 3986's unreserved
/// characters and the sub-delimiters a path segment may hold as they are.
pub fn percent_encode_path(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log of one `check` invocation: each app's file database with its
/// diagnostics.
pub fn log(apps: &[(&SourceDb, &[Diagnostic])]) -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": { "text": c.summary() },
                "helpUri": help_uri(*c),
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let mut results = Vec::new();
    for (db, diagnostics) in apps {
        for d in *diagnostics {
            results.push(result(db, d));
        }
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "prebake",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": format!("{}README.md", docs_base()),
                    "rules": rules,
                }
            },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }]
    })
}

/// The log as pretty-printed JSON.
pub fn render(apps: &[(&SourceDb, &[Diagnostic])]) -> String {
    serde_json::to_string_pretty(&log(apps)).unwrap_or_else(|_| "{}".to_string())
}

fn result(db: &SourceDb, d: &Diagnostic) -> Value {
    let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let mut primary = json!({ "physicalLocation": physical(db, d.primary.span) });
    if !d.primary.message.is_empty() {
        primary["message"] = json!({ "text": d.primary.message });
    }
    let mut result = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": level(d.severity),
        "message": { "text": folded_message(d) },
        "locations": [primary],
    });
    if !d.secondary.is_empty() {
        let related: Vec<Value> = d
            .secondary
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut loc = json!({ "id": i, "physicalLocation": physical(db, s.span) });
                if !s.message.is_empty() {
                    loc["message"] = json!({ "text": s.message });
                }
                loc
            })
            .collect();
        result["relatedLocations"] = Value::Array(related);
    }
    result
}

fn physical(db: &SourceDb, span: Span) -> Value {
    let file = db.file(span.file);
    json!({
        "artifactLocation": artifact(&file.path),
        "region": region(file, span),
    })
}

/// A relative path becomes a relative URI against `%SRCROOT%` (where the
/// command ran); an absolute one a `file:` URI.
fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        return json!({ "uri": format!("file://{}", percent_encode_path(path.as_bytes())) });
    }
    let mut rel = path;
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    json!({ "uri": percent_encode_path(rel.as_bytes()), "uriBaseId": "%SRCROOT%" })
}

/// 1-based lines, 1-based UTF-16 columns, end column exclusive.
fn region(file: &SourceFile, span: Span) -> Value {
    let (start_line, start_col) = file.line_col_utf16(span.start);
    let (end_line, end_col) = file.line_col_utf16(span.end.max(span.start));
    json!({
        "startLine": start_line + 1,
        "startColumn": start_col + 1,
        "endLine": end_line + 1,
        "endColumn": end_col + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_count_utf16_units_from_one() {
        let mut db = SourceDb::new();
        // `😀` is 4 bytes and 2 UTF-16 units; `é` is 2 bytes and 1 unit.
        let text = "s = '\u{1F600}é'; bad\nnext\n";
        let f = db.add("./pkg/my app.py".into(), "app".into(), false, text.into());
        let start = text.find("bad").unwrap() as u32;
        let d = Diagnostic::new(Code::PB003, Span::new(f, start, start + 3), "name `bad`")
            .with_label("here")
            .with_secondary(Span::new(f, 0, 1), "")
            .with_note("n")
            .with_help("h");
        let log = log(&[(&db, std::slice::from_ref(&d))]);
        let run = &log["runs"][0];
        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "PB003");
        assert_eq!(
            run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "PB003"
        );
        assert_eq!(r["message"]["text"], "name `bad`\nnote: n\nhelp: h");
        let loc = &r["locations"][0];
        assert_eq!(loc["message"]["text"], "here");
        let pl = &loc["physicalLocation"];
        assert_eq!(pl["artifactLocation"]["uri"], "pkg/my%20app.py");
        assert_eq!(pl["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        // `s = '` is 5 units, the emoji 2, `é';` 3, a space 1: `bad` starts
        // at unit 11, column 12.
        assert_eq!(
            pl["region"],
            json!({"startLine": 1, "startColumn": 12, "endLine": 1, "endColumn": 15})
        );
        let rel = &r["relatedLocations"][0];
        assert_eq!(rel["id"], 0);
        assert!(rel.get("message").is_none());
    }

    #[test]
    fn rules_cover_the_registry() {
        let db = SourceDb::new();
        let log = log(&[(&db, &[])]);
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert!(
            rules[0]["helpUri"]
                .as_str()
                .unwrap()
                .ends_with("docs/diagnostics/PB001.md")
        );
        assert_eq!(log["runs"][0]["results"], json!([]));
    }
}
