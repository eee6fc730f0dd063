//! The project's Python environment: `.venv` at the workspace root, created
//! from a CPython with its shared library (pyo3 links against it) and filled
//! from `xtask/requirements.txt`. Re-running is cheap: a stamp file records
//! the requirements it was last filled from.

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
