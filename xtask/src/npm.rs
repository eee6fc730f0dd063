//! npm packages a build embeds (the docs pages' Swagger UI and ReDoc),
//! fetched from the npm registry once, checked against the integrity the
//! compiler pins, and unpacked under `target/npm/<name>-<version>/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use prebake_compiler::openapi::pages::{self, DocsAssets};

/// The unpacked folder of `name@version`, fetched with `npm pack` when it is
/// not cached yet. Refuses a tarball whose integrity is not `integrity`.
pub(crate) fn package(
    root: &Path,
    name: &str,
    version: &str,
    integrity: &str,
) -> Result<PathBuf, String> {
    let dir = root
        .join("target")
        .join("npm")
        .join(format!("{name}-{version}"));
    let unpacked = dir.join("package");
    let stamp = dir.join(".integrity");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(integrity) {
        return Ok(unpacked);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = Command::new("npm")
        .args(["pack", &format!("{name}@{version}"), "--json", "--silent"])
        .arg("--pack-destination")
        .arg(&dir)
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm pack {name}@{version} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let packed: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("npm pack {name}@{version}: unreadable output: {e}"))?;
    let entry = &packed[0];
    if entry["integrity"].as_str() != Some(integrity) {
        return Err(format!(
            "npm pack {name}@{version}: integrity {} is not the pinned {integrity}",
            entry["integrity"]
        ));
    }
    let tarball = dir.join(entry["filename"].as_str().unwrap_or_default());
    crate::run(
        Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dir),
    )?;
    let _ = std::fs::remove_file(&tarball);
    std::fs::write(&stamp, integrity).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(unpacked)
}

/// Swagger UI and ReDoc for the docs pages, or `None` (with a note) when
/// they cannot be fetched: the pages then load them from the CDN.
pub(crate) fn docs_assets(root: &Path) -> Option<DocsAssets> {
    let fetched = package(
        root,
        "swagger-ui-dist",
        pages::SWAGGER_UI_VERSION,
        pages::SWAGGER_UI_INTEGRITY,
    )
    .and_then(|swagger_ui| {
        let redoc = package(root, "redoc", pages::REDOC_VERSION, pages::REDOC_INTEGRITY)?;
        Ok(DocsAssets { swagger_ui, redoc })
    });
    match fetched {
        Ok(assets) => Some(assets),
        Err(e) => {
            eprintln!(
                "prebake: {e}\nprebake: the docs pages will load Swagger UI and ReDoc from a CDN"
            );
            None
        }
    }
}
