//! The Python environments: the project's own `.venv` at the workspace root
//! (the build's and the tests'), created from a CPython with its shared
//! library (pyo3 links against it) and filled from `xtask/requirements.txt`;
//! and an app's own `.venv` in its project folder ([`ensure_app`]), created
//! from the same CPython (the binary links that one libpython) and filled
//! from the app's requirements plus msgspec. Re-running is cheap: a stamp
//! file records the requirements each was last filled from.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Creates or refreshes `.venv`; returns its interpreter.
pub(crate) fn ensure(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(".venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        let base = base_python()?;
        eprintln!("xtask: creating {} from {}", venv.display(), base);
        crate::run(Command::new(&base).args(["-m", "venv"]).arg(&venv))?;
    }
    let requirements = root.join("xtask").join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let stamp = venv.join(".prebake-requirements");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        crate::run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&stamp, &wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(python)
}

/// A `python3` whose build has `Py_ENABLE_SHARED` (the binary links
/// libpython). `PREBAKE_PYTHON` overrides the search.
fn base_python() -> Result<String, String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("PREBAKE_PYTHON") {
        candidates.push(p);
    }
    candidates.extend(
        [
            "python3",
            "python3.11",
            "python3.12",
            "python3.13",
            "python3.10",
        ]
        .map(String::from),
    );
    for c in &candidates {
        let out = Command::new(c)
            .args(["-c", "import sysconfig,sys; print(sysconfig.get_config_var('Py_ENABLE_SHARED'), sys.version_info >= (3, 10))"])
            .output();
        if let Ok(out) = out
            && String::from_utf8_lossy(&out.stdout).trim() == "1 True"
        {
            return Ok(c.clone());
        }
    }
    Err(
        "no CPython >= 3.10 with a shared library (Py_ENABLE_SHARED) found; set PREBAKE_PYTHON"
            .to_string(),
    )
}

/// The stamp file inside an environment: the requirements it was filled from.
const STAMP: &str = ".prebake-requirements";

/// Creates or refreshes an app's own environment (`located.venv`, never an
/// active `VIRTUAL_ENV`, which is the user's to fill) from its project's
/// `requirements.txt`, else its `pyproject.toml`'s `[project]
/// dependencies`, always with msgspec at the version the repository pins.
/// Returns its interpreter.
pub(crate) fn ensure_app(
    root: &Path,
    located: &prebake_compiler::environment::Located,
) -> Result<PathBuf, String> {
    let python = located.python();
    if located.active {
        if !python.exists() {
            return Err(format!(
                "VIRTUAL_ENV is {}, but it has no bin/python",
                located.venv.display()
            ));
        }
        return Ok(python);
    }
    if !python.exists() {
        let base = runtime_base_python(root)?;
        eprintln!(
            "prebake: creating the app's environment {} from {}",
            located.venv.display(),
            base.display()
        );
        crate::run(Command::new(&base).args(["-m", "venv"]).arg(&located.venv))?;
    }
    let msgspec = msgspec_pin(root)?;
    let requirements = located.project.join("requirements.txt");
    let pyproject = located.project.join("pyproject.toml");
    let mut pip_args: Vec<String> = vec![msgspec.clone()];
    let mut wanted = format!("{msgspec}\n");
    if requirements.is_file() {
        let text = std::fs::read_to_string(&requirements)
            .map_err(|e| format!("{}: {e}", requirements.display()))?;
        wanted.push_str("requirements.txt\n");
        wanted.push_str(&text);
        pip_args.extend(["-r".to_string(), requirements.display().to_string()]);
    } else if pyproject.is_file() {
        let deps = pyproject_dependencies(&python, &pyproject)?;
        wanted.push_str("pyproject.toml\n");
        for d in &deps {
            wanted.push_str(d);
            wanted.push('\n');
        }
        pip_args.extend(deps);
    }
    let stamp = located.venv.join(STAMP);
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        eprintln!(
            "prebake: installing the app's requirements into {}",
            located.venv.display()
        );
        let mut cmd = Command::new(&python);
        cmd.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(&pip_args)
        // Relative paths in requirements (`-e ./lib`) are the project's.
        .current_dir(&located.project);
        let shown = format!("{cmd:?}");
        let status = cmd.status().map_err(|e| format!("{shown}: {e}"))?;
        if !status.success() {
            return Err(format!("{shown} failed ({status})"));
        }
        std::fs::write(&stamp, &wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(python)
}

/// `msgspec==X` as `xtask/requirements.txt` pins it.
fn msgspec_pin(root: &Path) -> Result<String, String> {
    let path = root.join("xtask").join("requirements.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("msgspec=="))
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no msgspec pin", path.display()))
}

/// `[project] dependencies` of a `pyproject.toml`, read by the environment's
/// own interpreter (`tomllib`).
fn pyproject_dependencies(python: &Path, pyproject: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, tomllib\n\
             with open(sys.argv[1], 'rb') as f:\n    \
             deps = tomllib.load(f).get('project', {}).get('dependencies', [])\n\
             print('\\n'.join(deps))",
        ])
        .arg(pyproject)
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{}: cannot read [project] dependencies: {}",
            pyproject.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// The CPython the runtime links: the base interpreter of the project's
/// `.venv` (its `pyvenv.cfg`), else the search [`base_python`] makes.
pub(crate) fn runtime_base_python(root: &Path) -> Result<PathBuf, String> {
    let cfg = root.join(".venv").join("pyvenv.cfg");
    if let Ok(text) = std::fs::read_to_string(&cfg) {
        let value = |key: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
        };
        if let Some(exe) = value("executable").filter(|e| Path::new(e).exists()) {
            return Ok(PathBuf::from(exe));
        }
        if let Some(home) = value("home") {
            let exe = Path::new(&home).join("python3");
            if exe.exists() {
                return Ok(exe);
            }
        }
    }
    base_python().map(PathBuf::from)
}

/// The Python version (`3.11`) of the project's `.venv`, which the runtime
/// is built against.
pub(crate) fn runtime_version(root: &Path) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(root.join(".venv").join("pyvenv.cfg")).ok()?;
    let version = text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        matches!(k.trim(), "version" | "version_info").then(|| v.trim().to_string())
    })?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}
