//! `cargo xtask build app.py [--out PATH] [--bundle DIR] [--k8s DIR]` and
//! `cargo xtask serve app.py`.
//!
//! The build checks the app, generates the Rust program, writes it as a small
//! crate under `target/prebake/apps/<name>-<key>/` that depends on the
//! runtime by path, and compiles it with the workspace's target directory,
//! so the runtime and its dependencies are compiled once and reused by every
//! app. The binary is copied to `dist/<name>` (or `--out`).
//!
//! `<key>` is a hash of the app file's absolute path: two apps whose folders
//! share a name (`a/api/app.py`, `b/api/app.py`) get their own crates and
//! binaries, so they can be built one after the other or at the same time
//! without one overwriting the other's program.
//!
//! `--bundle DIR` builds the same program as a relocatable binary (its own
//! crate, `<name>-<key>-bundle`, whose `main` takes Python's home from
//! beside the executable and whose rpath is `$ORIGIN/lib`) and fills `DIR`
//! (`ship.rs`); `--k8s DIR` writes Kubernetes manifests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use prebake_compiler::diagnostics::render::{self, Style};

/// Options of `build` and `serve`.
pub(crate) struct BuildArgs {
    pub(crate) app: PathBuf,
    pub(crate) out: Option<PathBuf>,
    pub(crate) profile: String,
    pub(crate) rest: Vec<String>,
    pub(crate) ship: crate::ship::ShipArgs,
}

pub(crate) fn parse_args(args: &[String]) -> Result<BuildArgs, String> {
    let mut app = None;
    let mut out = None;
    let mut profile = "release".to_string();
    let mut rest = Vec::new();
    let mut ship = crate::ship::ShipArgs::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if ship.parse_flag(a, &mut it)? {
            continue;
        }
        match a.as_str() {
            "--out" | "-o" => out = Some(PathBuf::from(it.next().ok_or("--out needs a path")?)),
            "--profile" => profile = it.next().ok_or("--profile needs a name")?.clone(),
            "--dist" => profile = "dist".to_string(),
            "--" => {
                rest.extend(it.by_ref().cloned());
            }
            s if s.starts_with('-') && app.is_some() => rest.push(s.to_string()),
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            s => {
                if app.is_some() {
                    rest.push(s.to_string());
                } else {
                    app = Some(PathBuf::from(s));
                }
            }
        }
    }
    Ok(BuildArgs {
        app: app.ok_or("no app given: cargo xtask build path/to/app.py")?,
        out,
        profile,
        rest,
        ship,
    })
}

/// Checks, generates and compiles; returns the path of the binary.
pub(crate) fn build(args: &BuildArgs) -> Result<PathBuf, String> {
    let root = crate::root();
    crate::venv::ensure(&root)?;
    let started = Instant::now();
    let analysis = prebake_compiler::driver::analyze_path(&args.app).map_err(|e| e.to_string())?;
    let style = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        Style::Color
    } else {
        Style::Plain
    };
    eprint!(
        "{}",
        render::human(&analysis.db, &analysis.diagnostics, style)
    );
    if analysis.has_errors() {
        return Err(render::summary(&analysis.diagnostics).unwrap_or_else(|| "errors".into()));
    }
    let name = prebake_compiler::driver::app_name(&args.app);
    let bundled = args.ship.bundle.is_some();
    // The docs pages' viewers are embedded when the app serves the pages.
    let urls = prebake_compiler::openapi::Urls::of(&analysis.ir);
    let ctx = prebake_compiler::codegen::Ctx {
        bundled,
        docs_assets: (urls.docs.is_some() || urls.redoc.is_some())
            .then(|| crate::npm::docs_assets(&root))
            .flatten(),
        ..Default::default()
    };
    let source = prebake_compiler::codegen::app::generate_file_with(&analysis, &name, &ctx);

    let mut crate_name = crate_name(&name, &args.app);
    if bundled {
        crate_name.push_str("-bundle");
    }
    let crate_dir = root
        .join("target")
        .join("prebake")
        .join("apps")
        .join(&crate_name);
    std::fs::create_dir_all(&crate_dir).map_err(|e| format!("{}: {e}", crate_dir.display()))?;
    write_if_changed(&crate_dir.join("main.rs"), &source)?;
    write_if_changed(&crate_dir.join("Cargo.toml"), &manifest(&crate_name, &root))?;
    write_if_changed(
        &crate_dir.join("build.rs"),
        if bundled { BUNDLE_BUILD_RS } else { BUILD_RS },
    )?;
    // The workspace's lock file pins the same versions, so the runtime's
    // dependencies compiled for the workspace are reused as they are.
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    if !crate_dir.join("Cargo.lock").exists() {
        write_if_changed(&crate_dir.join("Cargo.lock"), &lock)?;
    }
    let generated_in = started.elapsed();
    // Where to read the generated code when a backtrace points into it.
    let shown = crate_dir.strip_prefix(&root).unwrap_or(&crate_dir);
    eprintln!("prebake: generated crate: {}/", shown.display());

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--quiet")
        .arg("--profile")
        .arg(&args.profile);
    cmd.arg("--manifest-path").arg(crate_dir.join("Cargo.toml"));
    cmd.env("CARGO_TARGET_DIR", root.join("target"));
    // The interpreter the program is compiled against; a bundle carries its
    // library, standard library and site-packages.
    let python = root.join(".venv").join("bin").join("python");
    cmd.env("PYO3_PYTHON", &python);
    eprintln!(
        "prebake: compiling {name} ({} routes, generated in {:.0?})",
        analysis.ir.routes.len(),
        generated_in
    );
    let status = cmd.status().map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build of the generated crate failed ({status})"
        ));
    }
    let profile_dir = if args.profile == "dev" {
        "debug"
    } else {
        args.profile.as_str()
    };
    let built = root.join("target").join(profile_dir).join(&crate_name);
    let deploy = crate::ship::Deploy::of(&analysis, &name);
    if let Some(dir) = &args.ship.k8s {
        let image = args
            .ship
            .image
            .clone()
            .unwrap_or_else(|| format!("{name}:latest"));
        crate::ship::write_k8s(&deploy, &image, dir)?;
    }
    if let Some(dir) = &args.ship.bundle {
        crate::ship::bundle(&built, &python, &analysis, &deploy, dir)?;
        eprintln!(
            "prebake: built {} in {:.1?}",
            dir.join(&name).display(),
            started.elapsed()
        );
        return Ok(dir.join(&name));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("dist").join(&name));
    if let Some(dir) = out.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // Copy through a temporary name so a running binary is never overwritten
    // in place.
    let tmp = out.with_extension("tmp");
    std::fs::copy(&built, &tmp)
        .map_err(|e| format!("copy {} -> {}: {e}", built.display(), tmp.display()))?;
    std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "prebake: built {} in {:.1?}",
        out.display(),
        started.elapsed()
    );
    Ok(out)
}

/// The generated crate's package and binary name: the app's name and a
/// hash (FNV-1a, 32 bits) of the app file's absolute path.
fn crate_name(name: &str, app: &Path) -> String {
    let path = std::fs::canonicalize(app).unwrap_or_else(|_| app.to_path_buf());
    let mut hash: u32 = 0x811c_9dc5;
    for b in path.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    format!("{name}-{hash:08x}")
}

/// The generated crate's build script: an rpath to the libpython the runtime
/// was built against (the runtime exports its folder as a `links` value), so
/// the binary never picks up another Python's library at run time.
const BUILD_RS: &str = r#"// Generated by prebake. Do not edit by hand.
fn main() {
    if let Ok(dir) = std::env::var("DEP_PREBAKE_LIBPYTHON_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
"#;

/// A bundle's build script: the library path is `lib/` beside the binary,
/// as a DT_RPATH (`--disable-new-dtags`) so that it also serves the
/// libraries of extension modules loaded later (a DT_RUNPATH would serve
/// the binary's own dependencies only).
const BUNDLE_BUILD_RS: &str = r#"// Generated by prebake. Do not edit by hand.
fn main() {
    println!("cargo:rustc-link-arg=-Wl,--disable-new-dtags");
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/lib");
}
"#;

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn manifest(name: &str, root: &Path) -> String {
    let runtime = root.join("runtime");
    let runtime = runtime.display().to_string().replace('\\', "/");
    // Profiles must match the workspace's so that compiled dependencies are
    // shared in the common target directory.
    format!(
        r#"# Generated by prebake. Do not edit by hand.
[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false
build = "build.rs"

[[bin]]
name = "{name}"
path = "main.rs"

[dependencies]
prebake = {{ path = "{runtime}" }}

[workspace]

[profile.release]
lto = false
codegen-units = 16
debug = "line-tables-only"

[profile.dist]
inherits = "release"
lto = "fat"
codegen-units = 1
debug = false
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_in_folders_of_the_same_name_get_their_own_crates() {
        let a = crate_name("api", Path::new("/srv/one/api/app.py"));
        let b = crate_name("api", Path::new("/srv/two/api/app.py"));
        assert!(a.starts_with("api-") && b.starts_with("api-"), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(a, crate_name("api", Path::new("/srv/one/api/app.py")));
    }
}
