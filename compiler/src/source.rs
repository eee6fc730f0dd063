//! Source files, spans and line/column mapping.
//!
//! Every IR node and every diagnostic points back into a [`SourceFile`] through
//! a [`Span`]: a file id plus a byte range. Line and column numbers are computed
//! only when something is rendered, from a line index built once per file.

use std::fmt;

/// Identifies one file in a [`SourceDb`]; an index into its file list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span over `start..end` in `file`.
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        Span { file, start, end }
    }

    /// The byte range as `usize`s, for slicing the file text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn cover(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// One Python module of the app.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Its id in the database.
    pub id: FileId,
    /// The path as the user should see it (relative to where the command ran
    /// when possible).
    pub path: String,
    /// The dotted module name (`app`, `models`, `pkg.models`).
    pub module: String,
    /// Whether this file is a package's `__init__.py`.
    pub is_package: bool,
    /// The full text.
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Builds a file and its line index.
    pub fn new(id: FileId, path: String, module: String, is_package: bool, text: String) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        SourceFile {
            id,
            path,
            module,
            is_package,
            text,
            line_starts,
        }
    }

    /// The 0-based line index containing `offset`.
    fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let column = self
            .text
            .get(start..offset as usize)
            .map_or(0, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The 0-based line and UTF-16 column of a byte offset, as LSP wants them.
    pub fn line_col_utf16(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let col = self
            .text
            .get(start..offset as usize)
            .map_or(0, |s| s.encode_utf16().count());
        (line as u32, col as u32)
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// The number of lines in the file.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// All files of one analysis, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    /// An empty database.
    pub fn new() -> Self {
        SourceDb::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: String, module: String, is_package: bool, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 files"));
        self.files
            .push(SourceFile::new(id, path, module, is_package, text));
        id
    }

    /// The file with this id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were added (the entry module first).
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The file holding the module of this dotted name, if loaded.
    pub fn by_module(&self, module: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.module == module)
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "file#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new(
            FileId(0),
            "a.py".into(),
            "a".into(),
            false,
            "ab\né x\n".into(),
        );
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(f.line_col(6), LineCol { line: 2, column: 3 });
        assert_eq!(f.line_col_utf16(6), (1, 2));
    }
}
