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

use prebake_compiler::codegen::Ctx;
use prebake_compiler::diagnostics::render::{self, Style};
use prebake_compiler::environment::{self, Located, Probe};

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

/// The Python environment an app is built and served against
/// (docs/environment.md): its interpreter is the one the binary starts, so
/// its site-packages are the app's. The bundle takes it from here too.
pub(crate) struct AppEnv {
    /// Where it is and why (`VIRTUAL_ENV`, or the project's `.venv`).
    pub(crate) located: Located,
    /// Its interpreter.
    pub(crate) python: PathBuf,
    /// Whether it is the repository's own `.venv` (apps of this repository
    /// with no requirements of their own: the examples and test apps).
    pub(crate) repository: bool,
}

impl AppEnv {
    /// Asks the interpreter for its version, prefix and site-packages.
    pub(crate) fn probe(&self) -> Result<Probe, String> {
        environment::probe(&self.python, &[])
    }
}

/// The app's environment, created or refreshed as needed: an active
/// `VIRTUAL_ENV`; else the `.venv` of the app's project folder (the nearest
/// folder upward with a `pyproject.toml` or `requirements.txt`, else the
/// app's folder); except that an app inside this repository with no project
/// file of its own uses the repository's `.venv`, so the examples and test
/// apps build without an environment each.
pub(crate) fn environment(app: &Path) -> Result<AppEnv, String> {
    let root = crate::root();
    let located = environment::locate(app, environment::active_virtual_env().as_deref());
    let canonical_root = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
    let in_repository = !located.active
        && !located.has_project_file
        && located.project.starts_with(&canonical_root);
    if in_repository {
        let python = crate::venv::ensure(&root)?;
        let located = Located {
            venv: root.join(".venv"),
            ..located
        };
        return Ok(AppEnv {
            located,
            python,
            repository: true,
        });
    }
    crate::venv::ensure(&root)?;
    let python = crate::venv::ensure_app(&root, &located)?;
    Ok(AppEnv {
        located,
        python,
        repository: false,
    })
}

/// What [`prepare`] left for [`compile`].
pub(crate) struct Prepared {
    pub(crate) name: String,
    pub(crate) crate_name: String,
    pub(crate) crate_dir: PathBuf,
    /// Whether the generated program differs from the one already there.
    pub(crate) changed: bool,
    /// The app's module files (what `cargo xtask dev` watches).
    pub(crate) files: Vec<PathBuf>,
    pub(crate) routes: usize,
    pub(crate) started: Instant,
    /// The analysis the crate was generated from (a bundle reads its
    /// imports and probe paths).
    pub(crate) analysis: prebake_compiler::Analysis,
}

/// Checks the app against its environment (diagnostics printed as `check`
/// prints them) and writes its generated crate; `dev` embeds the sources by
/// path (`cargo xtask dev`, see `Ctx::sources_by_path`).
pub(crate) fn prepare(args: &BuildArgs, env: &AppEnv, dev: bool) -> Result<Prepared, String> {
    let root = crate::root();
    let started = Instant::now();
    let (analysis, probed) = prebake_compiler::driver::analyze_path_in(&args.app, &env.located)
        .map_err(|e| e.to_string())?;
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
    // The interpreter was asked once if the app imports anything; else ask
    // now: the binary must link the same Python version.
    let probe = match probed {
        Some(p) => p?,
        None => env.probe()?,
    };
    if let Some(runtime) = crate::venv::runtime_version(&root)
        && runtime != probe.version
    {
        return Err(format!(
            "the app's environment {} runs Python {}.{}, but the runtime is built against Python {}.{}: \
             recreate it with that Python (delete it and build again) or set PREBAKE_PYTHON",
            env.located.venv.display(),
            probe.version.0,
            probe.version.1,
            runtime.0,
            runtime.1
        ));
    }
    let name = prebake_compiler::driver::app_name(&args.app);
    // A relative `StaticFiles` directory is found beside the binary, else
    // in the app's folder as it is now (see docs/static-files.md).
    let app_dir = args
        .app
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .and_then(|d| std::fs::canonicalize(d).ok())
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    // The docs pages' viewers are embedded when the app serves the pages.
    let urls = prebake_compiler::openapi::Urls::of(&analysis.ir);
    let bundled = args.ship.bundle.is_some();
    let ctx = Ctx {
        app_dir,
        bundled,
        docs_assets: (urls.docs.is_some() || urls.redoc.is_some())
            .then(|| crate::npm::docs_assets(&root))
            .flatten(),
        sources_by_path: dev,
        ..Ctx::default()
    };
    let source = prebake_compiler::codegen::app::generate_file_with(&analysis, &name, &ctx);
    for m in &analysis.ir.mounts {
        eprintln!(
            "prebake: static mount {} serves the directory {} (relative to the app's folder)",
            m.path, m.directory
        );
    }

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
    let changed = write_if_changed(&crate_dir.join("main.rs"), &source)?;
    write_if_changed(&crate_dir.join("Cargo.toml"), &manifest(&crate_name, &root))?;
    write_if_changed(
        &crate_dir.join("build.rs"),
        if bundled { BUNDLE_BUILD_RS } else { BUILD_RS },
    )?;
    // askama reads `askama.toml` beside the crate's manifest: its `dirs`
    // is the app's templates folder, so `template=` paths, `extends` and
    // `include` resolve there, and askama's own file tracking rebuilds the
    // binary when a template changes.
    write_if_changed(
        &crate_dir.join("askama.toml"),
        &askama_toml(&args.app, &analysis.ir.templates_dir),
    )?;
    // The workspace's lock file pins the same versions, so the runtime's
    // dependencies compiled for the workspace are reused as they are.
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    if !crate_dir.join("Cargo.lock").exists() {
        write_if_changed(&crate_dir.join("Cargo.lock"), &lock)?;
    }
    Ok(Prepared {
        name,
        crate_name,
        crate_dir,
        changed,
        files: analysis
            .db
            .files()
            .iter()
            .map(|f| PathBuf::from(&f.path))
            .collect(),
        routes: analysis.ir.routes.len(),
        started,
        analysis,
    })
}

/// Checks, generates and compiles; returns the path of the binary.
pub(crate) fn build(args: &BuildArgs) -> Result<PathBuf, String> {
    let env = environment(&args.app)?;
    let prepared = prepare(args, &env, false)?;
    compile(args, &prepared, &env)
}

/// Compiles the crate [`prepare`] wrote and copies the binary to its place.
pub(crate) fn compile(
    args: &BuildArgs,
    prepared: &Prepared,
    env: &AppEnv,
) -> Result<PathBuf, String> {
    let root = crate::root();
    let Prepared {
        name,
        crate_name,
        crate_dir,
        started,
        analysis,
        ..
    } = prepared;
    let generated_in = started.elapsed();
    // Where to read the generated code when a backtrace points into it.
    let shown = crate_dir.strip_prefix(&root).unwrap_or(crate_dir);
    eprintln!("prebake: generated crate: {}/", shown.display());

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--quiet")
        .arg("--profile")
        .arg(&args.profile);
    cmd.arg("--manifest-path").arg(crate_dir.join("Cargo.toml"));
    cmd.env("CARGO_TARGET_DIR", root.join("target"));
    // The runtime links the repository's interpreter (one libpython, one
    // compiled runtime for every app); the app's environment, made from the
    // same CPython, is the interpreter the binary starts.
    cmd.env("PYO3_PYTHON", root.join(".venv").join("bin").join("python"));
    cmd.env("PREBAKE_APP_PYTHON", &env.python);
    eprintln!(
        "prebake: compiling {name} ({} routes, generated in {:.0?}, environment {}{})",
        prepared.routes,
        generated_in,
        env.located.venv.display(),
        if env.repository {
            ", the repository's"
        } else {
            ""
        }
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
    let built = root.join("target").join(profile_dir).join(crate_name);
    let deploy = crate::ship::Deploy::of(analysis, name);
    if let Some(dir) = &args.ship.k8s {
        let image = args
            .ship
            .image
            .clone()
            .unwrap_or_else(|| format!("{name}:latest"));
        crate::ship::write_k8s(&deploy, &image, dir)?;
    }
    if let Some(dir) = &args.ship.bundle {
        let app_dir = args.app.parent().unwrap_or(Path::new("."));
        crate::ship::bundle(
            &built,
            Path::new(&env.python),
            analysis,
            app_dir,
            &deploy,
            dir,
        )?;
        eprintln!(
            "prebake: built {} in {:.1?}",
            dir.join(name).display(),
            started.elapsed()
        );
        return Ok(dir.join(name));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("dist").join(name));
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
/// the binary never picks up another Python's library at run time; and the
/// app's environment's interpreter, `PREBAKE_APP_PYTHON`, baked in for the
/// generated `main` (`option_env!`).
const BUILD_RS: &str = r#"// Generated by prebake. Do not edit by hand.
fn main() {
    if let Ok(dir) = std::env::var("DEP_PREBAKE_LIBPYTHON_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    println!("cargo:rerun-if-env-changed=PREBAKE_APP_PYTHON");
    if let Ok(python) = std::env::var("PREBAKE_APP_PYTHON") {
        println!("cargo:rustc-env=PREBAKE_APP_PYTHON={python}");
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

/// The generated crate's askama configuration: the app's templates folder.
fn askama_toml(app: &Path, templates: &str) -> String {
    let app = std::fs::canonicalize(app).unwrap_or_else(|_| app.to_path_buf());
    let dir = app.parent().unwrap_or(Path::new(".")).join(templates);
    let dir = dir.display().to_string().replace('\\', "/");
    let quoted = format!("\"{}\"", dir.replace('\\', "\\\\").replace('"', "\\\""));
    format!("# Generated by prebake. Do not edit by hand.\n[general]\ndirs = [{quoted}]\n")
}

/// Writes `text` unless the file holds it already; whether it wrote.
fn write_if_changed(path: &Path, text: &str) -> Result<bool, String> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(false);
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(true)
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
