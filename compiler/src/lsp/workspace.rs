//! Which app each open file belongs to, and when each app is analysed again.
//!
//! The unit of analysis is an app: an entry module and every local module
//! its imports reach. The app of a file is found by this rule:
//!
//! 1. the file itself, if it creates a `prebake.App` at module level;
//! 2. otherwise the nearest `app.py`, then `main.py`, in the file's folder or
//!    one of its parents (up to the workspace folder that holds the file, or
//!    to the file-system root when no workspace folder does), that creates an
//!    `App` and whose analysis reaches the file through its imports;
//! 3. otherwise the file belongs to no app, and only its syntax errors are
//!    reported.
//!
//! A file that an app's analysis reaches belongs to that app from then on,
//! even when it was first opened on its own; a file several apps import
//! belongs to each of them.
//!
//! Scheduling: an edit marks every app that read the file as dirty; the
//! server re-analyses dirty apps when the client pauses (see `server`), and
//! before answering a request about a file. A save marks every app dirty
//! (files on disk may have changed) and sends the files of no app through
//! the search again. An app none of whose files is open any more is dropped.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::documents::Documents;
use crate::Analysis;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::SourceProvider;
use crate::source::FileId;

/// The names tried, in order, in each folder when looking for a file's app.
const ENTRY_NAMES: [&str; 2] = ["app.py", "main.py"];

/// One analysed entry module: an app, or a file that belongs to none.
pub(crate) struct Unit {
    /// The entry module's path.
    pub(crate) entry: PathBuf,
    /// The latest analysis.
    pub(crate) analysis: Analysis,
    files: HashSet<PathBuf>,
    dirty: bool,
}

impl Unit {
    fn new(entry: PathBuf, analysis: Analysis) -> Self {
        let files = analysis
            .db
            .files()
            .iter()
            .map(|f| PathBuf::from(&f.path))
            .collect();
        Unit {
            entry,
            analysis,
            files,
            dirty: false,
        }
    }

    /// Whether the entry creates an `App`.
    pub(crate) fn is_app(&self) -> bool {
        self.analysis.ir.app.is_some()
    }

    /// Whether the analysis read `path`.
    pub(crate) fn contains(&self, path: &Path) -> bool {
        self.files.contains(path)
    }

    /// What this unit reports: everything for an app; for a file that
    /// belongs to no app, only its own syntax errors.
    pub(crate) fn reported(&self) -> impl Iterator<Item = &Diagnostic> {
        let db = &self.analysis.db;
        let entry = self.entry.as_os_str();
        let is_app = self.is_app();
        self.analysis.diagnostics.iter().filter(move |d| {
            is_app
                || (d.code == Code::PB001
                    && std::ffi::OsStr::new(&db.file(d.primary.span.file).path) == entry)
        })
    }
}

/// Every unit, and the open files whose app is still to be found.
#[derive(Default)]
pub(crate) struct Workspace {
    roots: Vec<PathBuf>,
    units: BTreeMap<PathBuf, Unit>,
    undiscovered: BTreeSet<PathBuf>,
}

impl Workspace {
    /// A workspace whose folders bound the search for an app.
    pub(crate) fn new(roots: Vec<PathBuf>) -> Self {
        Workspace {
            roots,
            ..Workspace::default()
        }
    }

    /// A file was opened: find its app at the next update.
    pub(crate) fn opened(&mut self, path: &Path) {
        self.changed(path);
        self.undiscovered.insert(path.to_path_buf());
    }

    /// A file's text changed: every unit that read it is stale.
    pub(crate) fn changed(&mut self, path: &Path) {
        let mut any = false;
        for unit in self.units.values_mut().filter(|u| u.contains(path)) {
            unit.dirty = true;
            any = true;
        }
        if !any {
            self.undiscovered.insert(path.to_path_buf());
        }
    }

    /// Files on disk may have changed (a save): every unit is stale, and a
    /// file that belonged to no app looks for one again (an app may import it
    /// now).
    pub(crate) fn disk_changed(&mut self) {
        let loners: Vec<PathBuf> = self
            .units
            .values()
            .filter(|u| !u.is_app())
            .map(|u| u.entry.clone())
            .collect();
        for entry in loners {
            self.units.remove(&entry);
            self.undiscovered.insert(entry);
        }
        for unit in self.units.values_mut() {
            unit.dirty = true;
        }
    }

    /// Drops the pending work (after a panic in it).
    pub(crate) fn settle(&mut self) {
        self.undiscovered.clear();
        for unit in self.units.values_mut() {
            unit.dirty = false;
        }
    }

    /// Whether [`update`](Self::update) has work to do.
    pub(crate) fn needs_update(&self) -> bool {
        !self.undiscovered.is_empty() || self.units.values().any(|u| u.dirty)
    }

    /// Re-analyses stale units, drops units with no open file, and finds the
    /// app of every open file that has none yet.
    pub(crate) fn update(&mut self, docs: &mut Documents) {
        let dirty: Vec<PathBuf> = self
            .units
            .iter()
            .filter(|(_, u)| u.dirty)
            .map(|(p, _)| p.clone())
            .collect();
        for entry in dirty {
            let analysis = analyze(&entry, docs);
            self.units.insert(entry.clone(), Unit::new(entry, analysis));
        }
        self.units
            .retain(|_, u| u.files.iter().any(|f| docs.is_open(f)));

        let mut todo: BTreeSet<PathBuf> = std::mem::take(&mut self.undiscovered);
        todo.extend(
            docs.paths()
                .filter(|p| !self.units.values().any(|u| u.contains(p)))
                .cloned(),
        );
        for path in todo {
            if !docs.is_open(&path) || self.covered_by_app(&path) {
                continue;
            }
            self.discover(&path, docs);
        }
        // A file reached by an app needs no unit of its own any more.
        let orphans: Vec<PathBuf> = self
            .units
            .values()
            .filter(|u| !u.is_app() && self.covered_by_app(&u.entry))
            .map(|u| u.entry.clone())
            .collect();
        for entry in orphans {
            self.units.remove(&entry);
        }
    }

    fn covered_by_app(&self, path: &Path) -> bool {
        self.units.values().any(|u| u.is_app() && u.contains(path))
    }

    /// Finds the app of `path` by the rule in the module docs, and adds its
    /// unit.
    fn discover(&mut self, path: &Path, docs: &mut Documents) {
        // A template (any file that is not Python) is checked only as part
        // of the app that renders it.
        let mut own = path
            .extension()
            .is_some_and(|e| e == "py")
            .then(|| analyze(path, docs));
        if own.as_ref().is_some_and(|a| a.ir.app.is_some())
            && let Some(own) = own.take()
        {
            self.units
                .insert(path.to_path_buf(), Unit::new(path.to_path_buf(), own));
            return;
        }
        let root = self
            .roots
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.components().count())
            .cloned();
        for dir in path.ancestors().skip(1) {
            for name in ENTRY_NAMES {
                let candidate = dir.join(name);
                if candidate == path {
                    continue;
                }
                if self.units.contains_key(&candidate) {
                    // Up to date, and it does not reach `path` (or is no app).
                    continue;
                }
                if docs.overlay(dir).read(name).is_none() {
                    continue;
                }
                let analysis = analyze(&candidate, docs);
                let unit = Unit::new(candidate.clone(), analysis);
                if unit.is_app() && unit.contains(path) {
                    self.units.insert(candidate, unit);
                    return;
                }
            }
            if root.as_deref() == Some(dir) {
                break;
            }
        }
        if let Some(own) = own {
            self.units
                .insert(path.to_path_buf(), Unit::new(path.to_path_buf(), own));
        }
    }

    /// Every unit.
    pub(crate) fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// An analysis that read exactly `text` for `path` (apps first), and the
    /// file's id in it: what hover and code actions may point into.
    pub(crate) fn analysis_of(&self, path: &Path, text: &str) -> Option<(&Analysis, FileId)> {
        let mut units: Vec<&Unit> = self.units.values().filter(|u| u.contains(path)).collect();
        units.sort_by_key(|u| !u.is_app());
        units.into_iter().find_map(|u| {
            let file = u
                .analysis
                .db
                .files()
                .iter()
                .find(|f| Path::new(&f.path) == path && f.text == text)?;
            Some((&u.analysis, file.id))
        })
    }
}

/// Analyses the app whose entry module is `entry`, reading open documents
/// from memory, and records which open texts parsed.
fn analyze(entry: &Path, docs: &mut Documents) -> Analysis {
    let root = entry.parent().unwrap_or(Path::new("/"));
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut prefix = root.to_string_lossy().into_owned();
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    let analysis = crate::analyze(&docs.overlay(root), &name, &prefix);
    let broken: HashSet<FileId> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::PB001)
        .map(|d| d.primary.span.file)
        .collect();
    for f in analysis.db.files() {
        if !broken.contains(&f.id) {
            docs.parsed(Path::new(&f.path), &f.text);
        }
    }
    analysis
}
