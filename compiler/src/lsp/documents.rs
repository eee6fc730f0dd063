//! The documents the editor has open, and the overlay that serves them to
//! the front end in place of the files on disk.
//!
//! Each open document keeps its current text and the last text of it that
//! parsed. While an edit leaves a document with a syntax error, the overlay
//! serves the last good text through
//! [`SourceProvider::last_good`](crate::frontend::SourceProvider::last_good):
//! the front end then reports the syntax error on the current text and
//! analyses the rest as it last was, so one unfinished line does not turn
//! into unresolved-name errors all over the app.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types as lsp;

use super::convert;
use crate::driver::FsProvider;
use crate::frontend::SourceProvider;

/// One open document.
#[derive(Debug)]
pub(crate) struct Document {
    /// The URI the client named it by (used when publishing, so the client
    /// recognises it whatever its own percent-encoding habits).
    pub(crate) uri: lsp::Uri,
    /// The client's version number of `text`.
    pub(crate) version: i32,
    /// The current text.
    pub(crate) text: String,
    /// The last text that parsed, if any did.
    pub(crate) last_good: Option<String>,
}

/// The open documents, by path.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    by_path: HashMap<PathBuf, Document>,
}

impl Documents {
    /// Records a newly opened document.
    pub(crate) fn open(&mut self, path: PathBuf, uri: lsp::Uri, version: i32, text: String) {
        self.by_path.insert(
            path,
            Document {
                uri,
                version,
                text,
                last_good: None,
            },
        );
    }

    /// Applies the client's changes, in order.
    pub(crate) fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: Vec<lsp::TextDocumentContentChangeEvent>,
    ) {
        let Some(doc) = self.by_path.get_mut(path) else {
            return;
        };
        for change in changes {
            convert::apply_change(&mut doc.text, change);
        }
        doc.version = version;
    }

    /// Forgets a closed document (the file on disk is read from now on).
    pub(crate) fn close(&mut self, path: &Path) {
        self.by_path.remove(path);
    }

    /// The open document at `path`.
    pub(crate) fn get(&self, path: &Path) -> Option<&Document> {
        self.by_path.get(path)
    }

    /// Whether `path` is open.
    pub(crate) fn is_open(&self, path: &Path) -> bool {
        self.by_path.contains_key(path)
    }

    /// The paths of all open documents.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.by_path.keys()
    }

    /// Notes that `text` parsed: if it is the document's current text, it
    /// becomes the last good one.
    pub(crate) fn parsed(&mut self, path: &Path, text: &str) {
        if let Some(doc) = self.by_path.get_mut(path)
            && doc.text == text
            && doc.last_good.as_deref() != Some(text)
        {
            doc.last_good = Some(doc.text.clone());
        }
    }

    /// A source provider rooted at `root` (an app's folder): open documents
    /// from memory, everything else from disk.
    pub(crate) fn overlay<'a>(&'a self, root: &'a Path) -> Overlay<'a> {
        Overlay {
            root,
            docs: self,
            disk: FsProvider::new(root),
        }
    }
}

/// Serves open documents' texts over the files on disk.
pub(crate) struct Overlay<'a> {
    root: &'a Path,
    docs: &'a Documents,
    disk: FsProvider,
}

impl SourceProvider for Overlay<'_> {
    fn read(&self, rel_path: &str) -> Option<String> {
        match self.docs.get(&self.root.join(rel_path)) {
            Some(doc) => Some(doc.text.clone()),
            None => self.disk.read(rel_path),
        }
    }

    fn last_good(&self, rel_path: &str) -> Option<String> {
        let doc = self.docs.get(&self.root.join(rel_path))?;
        doc.last_good.clone().filter(|good| *good != doc.text)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn overlay_serves_open_text_and_last_good() {
        let mut docs = Documents::default();
        let root = Path::new("/nonexistent-prebake-test");
        let path = root.join("app.py");
        let uri = lsp::Uri::from_str("file:///nonexistent-prebake-test/app.py").unwrap();
        docs.open(path.clone(), uri, 1, "x = 1\n".into());
        docs.parsed(&path, "x = 1\n");
        let ov = docs.overlay(root);
        assert_eq!(ov.read("app.py").as_deref(), Some("x = 1\n"));
        // Same text: nothing to fall back to.
        assert_eq!(ov.last_good("app.py"), None);
        assert_eq!(ov.read("models.py"), None);

        docs.change(
            &path,
            2,
            vec![lsp::TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "x = (\n".into(),
            }],
        );
        let ov = docs.overlay(root);
        assert_eq!(ov.read("app.py").as_deref(), Some("x = (\n"));
        assert_eq!(ov.last_good("app.py").as_deref(), Some("x = 1\n"));
    }
}
