//! The compiler's only contact with the file system: reading an app's
//! modules from disk and running the pipeline on them (`environment.rs`
//! adds the one subprocess, the app's interpreter asked what it can import).

use std::path::{Path, PathBuf};

use crate::Analysis;
use crate::environment::{EnvProvider, Located, Probe};
use crate::frontend::SourceProvider;

/// Serves module sources from a folder on disk.
pub struct FsProvider {
    root: PathBuf,
}

impl FsProvider {
    /// A provider rooted at `root` (the app's folder).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsProvider { root: root.into() }
    }
}

impl SourceProvider for FsProvider {
    fn read(&self, rel_path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(rel_path)).ok()
    }

    fn is_dir(&self, rel_path: &str) -> Option<bool> {
        Some(self.root.join(rel_path).is_dir())
    }
}

/// An error that stops the driver before analysis (a missing entry file).
#[derive(Debug)]
pub struct DriverError(pub String);

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

/// Analyses the app whose entry module is the file at `path`.
///
/// File names in diagnostics are shown as `path` was given (the folder part
/// kept), so that editors and terminals can jump to them.
pub fn analyze_path(path: &Path) -> Result<Analysis, DriverError> {
    let (root, file_name, prefix) = entry(path)?;
    let provider = FsProvider::new(root);
    Ok(crate::analyze(&provider, &file_name, &prefix))
}

/// [`analyze_path`], with the app's imports checked against the
/// environment `env` (PB150); also returns what its interpreter said, when
/// it was asked (it is asked only if the app imports a module of its own).
pub fn analyze_path_in(
    path: &Path,
    env: &Located,
) -> Result<(Analysis, Option<Result<Probe, String>>), DriverError> {
    let (root, file_name, prefix) = entry(path)?;
    let provider = EnvProvider::new(FsProvider::new(root), env);
    let analysis = crate::analyze(&provider, &file_name, &prefix);
    Ok((analysis, provider.probed.into_inner()))
}

/// The app's folder, its entry file's name, and the prefix file names are
/// shown with.
fn entry(path: &Path) -> Result<(PathBuf, String, String), DriverError> {
    if !path.is_file() {
        return Err(DriverError(format!("{}: no such file", path.display())));
    }
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| DriverError(format!("{}: not a valid file name", path.display())))?;
    if !file_name.ends_with(".py") {
        return Err(DriverError(format!(
            "{}: expected a `.py` file",
            path.display()
        )));
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    let prefix = if dir.as_os_str().is_empty() {
        String::new()
    } else {
        format!("{}/", dir.display())
    };
    let root = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    };
    Ok((root, file_name.to_string(), prefix))
}

/// The app's name: its folder's name for `app.py`/`main.py`, else the file
/// stem, as a valid crate and file name (`cargo xtask build` and
/// `prebake::app!` name an app alike).
pub fn app_name(app: &Path) -> String {
    let stem = app.file_stem().and_then(|s| s.to_str()).unwrap_or("app");
    let base = if matches!(stem, "app" | "main" | "__init__") {
        std::fs::canonicalize(app)
            .ok()
            .and_then(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| stem.to_string())
    } else {
        stem.to_string()
    };
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "app-");
    }
    name
}
