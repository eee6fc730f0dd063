//! The app's own Python environment: which one it is, and what it can
//! import.
//!
//! An app is built and served against the environment its author installs
//! its packages into, not the one prebake's own tests use. [`locate`] finds
//! it by the rules `cargo xtask build`, `serve`, `dev` and `check` share: an
//! active `VIRTUAL_ENV` wins; otherwise the app's project folder is the
//! nearest folder, from the app's own upward, holding a `pyproject.toml` or
//! a `requirements.txt` (else the app's folder), and the environment is its
//! `.venv`. The upward search stops at the root of the repository holding
//! the app (a folder with `.git`): a project file beyond it belongs to
//! another project.
//!
//! [`probe`] asks the environment's interpreter, in one subprocess, for its
//! Python version, its site-packages and which of the app's imports it
//! cannot find (`importlib.util.find_spec` of each top-level name: import
//! names are not package names, so asking the interpreter is the only sure
//! way). [`EnvProvider`] hands the answer to the front end, which reports
//! PB150 at the import.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::frontend::{MissingModules, SourceProvider};

/// The files that make a folder a project folder, in the order they are
/// read for requirements.
pub const PROJECT_FILES: [&str; 2] = ["requirements.txt", "pyproject.toml"];

/// Where an app's environment is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The environment's folder (`<project>/.venv`, or `VIRTUAL_ENV`).
    pub venv: PathBuf,
    /// The app's project folder (where its requirements are).
    pub project: PathBuf,
    /// Whether `VIRTUAL_ENV` named it (then it is never created or filled).
    pub active: bool,
    /// Whether the project folder holds a `pyproject.toml` or a
    /// `requirements.txt` (else it is the app's own folder, by default).
    pub has_project_file: bool,
}

impl Located {
    /// The environment's interpreter.
    pub fn python(&self) -> PathBuf {
        self.venv.join("bin").join("python")
    }
}

/// Finds the app's environment (without creating it). `virtual_env` is the
/// value of `VIRTUAL_ENV`, if set and not empty.
pub fn locate(app: &Path, virtual_env: Option<&Path>) -> Located {
    let app = std::fs::canonicalize(app).unwrap_or_else(|_| app.to_path_buf());
    let app_dir = app
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let (project, has_project_file) = project_dir(&app_dir);
    match virtual_env {
        Some(v) => Located {
            venv: v.to_path_buf(),
            project,
            active: true,
            has_project_file,
        },
        None => Located {
            venv: project.join(".venv"),
            project,
            active: false,
            has_project_file,
        },
    }
}

/// The nearest folder from `dir` upward holding a project file (stopping
/// after a repository root), else `dir`.
fn project_dir(dir: &Path) -> (PathBuf, bool) {
    for folder in dir.ancestors() {
        if PROJECT_FILES.iter().any(|f| folder.join(f).is_file()) {
            return (folder.to_path_buf(), true);
        }
        if folder.join(".git").exists() {
            break;
        }
    }
    (dir.to_path_buf(), false)
}

/// `VIRTUAL_ENV` from the process environment, when set and not empty.
pub fn active_virtual_env() -> Option<PathBuf> {
    std::env::var_os("VIRTUAL_ENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// What one run of the environment's interpreter said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `sys.version_info[:2]`.
    pub version: (u32, u32),
    /// `sys.prefix`: the environment's folder as Python sees it.
    pub prefix: PathBuf,
    /// `sysconfig.get_path("purelib")`: its site-packages.
    pub site_packages: PathBuf,
    /// The names asked about that `find_spec` did not find.
    pub missing: Vec<String>,
}

/// The probe, as a script: the current folder is left off `sys.path` (the
/// binary does not have it either), and a name whose lookup raises counts
/// as missing.
const PROBE: &str = "\
import importlib.util, sys, sysconfig
sys.path[:] = [p for p in sys.path if p not in ('', '.')]
print('%d.%d' % sys.version_info[:2])
print(sys.prefix)
print(sysconfig.get_path('purelib'))
for name in sys.argv[1:]:
    try:
        found = importlib.util.find_spec(name) is not None
    except Exception:
        found = False
    if not found:
        print(name)
";

/// Runs `python` once: its version, prefix, site-packages, and which of
/// `names` (top-level module names) it cannot import.
pub fn probe(python: &Path, names: &[String]) -> Result<Probe, String> {
    let out = Command::new(python)
        .arg("-c")
        .arg(PROBE)
        .args(names)
        .current_dir(std::env::temp_dir())
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            python.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let bad = || format!("{}: unexpected probe output: {text}", python.display());
    let version = lines
        .next()
        .and_then(|v| v.split_once('.'))
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or_else(bad)?;
    let prefix = PathBuf::from(lines.next().ok_or_else(bad)?);
    let site_packages = PathBuf::from(lines.next().ok_or_else(bad)?);
    let missing = lines.map(str::to_string).collect();
    Ok(Probe {
        version,
        prefix,
        site_packages,
        missing,
    })
}

/// The answers of [`probe`] in this process, by interpreter, names, and the
/// modification time of the environment's folders (installing or removing a
/// package touches its site-packages): `cargo xtask dev` checks on every
/// save, and the environment rarely changes between two saves.
static PROBES: std::sync::Mutex<Vec<(ProbeKey, Probe)>> = std::sync::Mutex::new(Vec::new());

type ProbeKey = (PathBuf, Vec<String>, Vec<Option<std::time::SystemTime>>);

fn probe_cached(python: &Path, names: &[String]) -> Result<Probe, String> {
    let stamp = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let venv = python.parent().and_then(Path::parent).unwrap_or(python);
    let mut times = vec![stamp(venv), stamp(&venv.join(".prebake-requirements"))];
    let cached = PROBES.lock().ok().and_then(|probes| {
        probes
            .iter()
            .find(|((p, n, _), _)| p == python && n == names)
            .map(|((_, _, t), probe)| (t.clone(), probe.clone()))
    });
    if let Some((t, probe)) = cached {
        let mut now = times.clone();
        now.push(stamp(&probe.site_packages));
        if t == now {
            return Ok(probe);
        }
    }
    let probe = probe(python, names)?;
    times.push(stamp(&probe.site_packages));
    if let Ok(mut probes) = PROBES.lock() {
        probes.retain(|((p, n, _), _)| !(p == python && n == names));
        probes.push(((python.to_path_buf(), names.to_vec(), times), probe.clone()));
    }
    Ok(probe)
}

/// A source provider that also answers which modules the app's environment
/// lacks, by probing its interpreter once (the first time the front end
/// asks).
pub struct EnvProvider<P> {
    /// Where the sources come from.
    pub inner: P,
    /// The environment's interpreter.
    pub python: PathBuf,
    /// The environment as shown in messages (`examples/tfb/.venv`).
    pub shown: String,
    /// Where the requirements go, as shown in messages.
    pub requirements: String,
    /// Set when the probe ran: its answer, or why it failed.
    pub probed: std::cell::RefCell<Option<Result<Probe, String>>>,
}

impl<P> EnvProvider<P> {
    /// Wraps `inner` with the environment `located` names.
    pub fn new(inner: P, located: &Located) -> Self {
        let requirements = if located.active {
            format!("the environment ({})", located.venv.display())
        } else {
            PROJECT_FILES
                .iter()
                .map(|f| located.project.join(f))
                .find(|p| p.is_file())
                .unwrap_or_else(|| located.project.join(PROJECT_FILES[0]))
                .display()
                .to_string()
        };
        EnvProvider {
            inner,
            python: located.python(),
            shown: located.venv.display().to_string(),
            requirements,
            probed: std::cell::RefCell::new(None),
        }
    }
}

impl<P: SourceProvider> SourceProvider for EnvProvider<P> {
    fn read(&self, rel_path: &str) -> Option<String> {
        self.inner.read(rel_path)
    }

    fn last_good(&self, rel_path: &str) -> Option<String> {
        self.inner.last_good(rel_path)
    }

    fn missing_modules(&self, names: &[String]) -> Option<MissingModules> {
        let result = probe_cached(&self.python, names);
        let answer = result.as_ref().ok().map(|p| MissingModules {
            modules: p.missing.clone(),
            environment: self.shown.clone(),
            requirements: self.requirements.clone(),
        });
        *self.probed.borrow_mut() = Some(result);
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("prebake-env-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn the_nearest_project_folder_upward_wins() {
        let root = tmp("nearest");
        std::fs::create_dir_all(root.join("svc/api")).unwrap();
        std::fs::write(root.join("svc/requirements.txt"), "orjson\n").unwrap();
        std::fs::write(root.join("svc/api/app.py"), "").unwrap();
        let found = locate(&root.join("svc/api/app.py"), None);
        let svc = std::fs::canonicalize(root.join("svc")).unwrap();
        assert_eq!(found.project, svc);
        assert_eq!(found.venv, svc.join(".venv"));
        assert!(found.has_project_file && !found.active);
        // An active VIRTUAL_ENV wins over the project's `.venv`.
        let active = locate(&root.join("svc/api/app.py"), Some(Path::new("/opt/env")));
        assert_eq!(active.venv, Path::new("/opt/env"));
        assert!(active.active);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn without_a_project_file_the_apps_folder_and_the_search_stops_at_the_repository() {
        let root = tmp("repo");
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/examples/hello")).unwrap();
        // Beyond the repository: not the app's project.
        std::fs::write(root.join("requirements.txt"), "").unwrap();
        std::fs::write(root.join("repo/examples/hello/app.py"), "").unwrap();
        let found = locate(&root.join("repo/examples/hello/app.py"), None);
        let hello = std::fs::canonicalize(root.join("repo/examples/hello")).unwrap();
        assert_eq!(found.project, hello);
        assert!(!found.has_project_file);
        let _ = std::fs::remove_dir_all(&root);
    }
}
