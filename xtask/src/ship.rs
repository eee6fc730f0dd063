//! Shipping a built app: `cargo xtask build app.py --bundle DIR` (a
//! relocatable folder, with a `Dockerfile` beside it) and `--k8s DIR`
//! (Kubernetes manifests).
//!
//! A binary from a plain build runs only on the machine that built it: it
//! finds `libpython` by an absolute rpath and its standard library and
//! site-packages through the build's interpreter path. A bundle is the same
//! program made to carry its Python:
//!
//! ```text
//! DIR/<app>                         rpath $ORIGIN/lib; CPython's home is DIR
//! DIR/lib/libpython3.X.so.1.0       and the shared libraries lib-dynload needs
//! DIR/lib/python3.X/                the standard library (compiled), lib-dynload
//! DIR/lib/python3.X/site-packages/  the distributions the app imports, and theirs
//! DIR/Dockerfile, DIR/.dockerignore
//! ```
//!
//! The environment is an input: everything is read from the interpreter the
//! build compiled against (`sysconfig`, `importlib.metadata`), so an app
//! built with its own environment ships that environment's packages.
//! Only the distributions the app's modules import (and their requirements)
//! are copied, not everything installed beside them.
//! The standard library is copied whole but for the parts no server imports
//! (tests, IDLE, Tk, `ensurepip`, the static library): what an app imports
//! at run time is not knowable at build time (`importlib`, a handler's lazy
//! import), and the trimmed library is a few MB more than what the hello
//! app loads (docs/deploying.md has the measurement).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use prebake_compiler::Analysis;

/// What `--bundle`, `--k8s` and their options ask for.
#[derive(Default, Clone)]
pub(crate) struct ShipArgs {
    /// The bundle folder.
    pub(crate) bundle: Option<PathBuf>,
    /// The folder for the Kubernetes manifests.
    pub(crate) k8s: Option<PathBuf>,
    /// The image name the manifests run (default `<app>:latest`).
    pub(crate) image: Option<String>,
}

impl ShipArgs {
    /// Takes `--bundle DIR`, `--k8s DIR` or `--image NAME` from `it` when
    /// `flag` is one of them; `Ok(false)` for any other flag.
    pub(crate) fn parse_flag(
        &mut self,
        flag: &str,
        it: &mut dyn Iterator<Item = &String>,
    ) -> Result<bool, String> {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--bundle" => self.bundle = Some(PathBuf::from(value()?)),
            "--k8s" => self.k8s = Some(PathBuf::from(value()?)),
            "--image" => self.image = Some(value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The deployment settings the generated files agree on.
pub(crate) struct Deploy<'a> {
    pub(crate) name: &'a str,
    pub(crate) port: u16,
    pub(crate) health_path: String,
    pub(crate) ready_path: String,
    /// `--graceful-timeout` in the container, in seconds.
    pub(crate) graceful_secs: u32,
    /// `--shutdown-delay` in the container, in seconds: long enough for the
    /// readiness probe (every 2 s) to see the 503 and the endpoint to go.
    pub(crate) shutdown_delay_secs: u32,
}

impl<'a> Deploy<'a> {
    /// The settings for `app`: its `App(health_path=..., ready_path=...)`
    /// when it sets them, `/healthz` and `/readyz` otherwise.
    pub(crate) fn of(analysis: &Analysis, name: &'a str) -> Self {
        let keyword = |key: &str| {
            analysis.ir.app.as_ref().and_then(|app| {
                app.keywords
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
            })
        };
        Deploy {
            name,
            port: 8000,
            health_path: keyword("health_path").unwrap_or_else(|| "/healthz".into()),
            ready_path: keyword("ready_path").unwrap_or_else(|| "/readyz".into()),
            graceful_secs: 20,
            shutdown_delay_secs: 5,
        }
    }

    /// The seconds Kubernetes waits after SIGTERM before SIGKILL: the
    /// server's own worst case (delay + graceful timeout) and a margin.
    pub(crate) fn termination_grace_secs(&self) -> u32 {
        self.shutdown_delay_secs + self.graceful_secs + 5
    }
}

/// The facts about the build's Python the bundle needs, printed as JSON
/// lines by [`PROBE`].
struct PyFacts {
    /// `3.11`.
    version: String,
    /// The base interpreter's standard library folder.
    stdlib: PathBuf,
    /// The folder of `libpython`, and its file name (`INSTSONAME`).
    libdir: PathBuf,
    soname: String,
    /// `cpython-311`: the `.pyc` names to keep.
    cache_tag: String,
    /// (absolute path, path under site-packages) of every file to copy.
    site_files: Vec<(PathBuf, PathBuf)>,
    /// Modules the app imports that no installed distribution provides.
    missing: Vec<String>,
}

/// Run by the build's interpreter: the app's third-party imports (read
/// with `ast` from its files), the distributions that provide them and
/// their requirements (transitively, extras left out), and each one's
/// files under site-packages. `msgspec` is always in: the runtime uses it.
const PROBE: &str = r#"
import ast, importlib.metadata as md, importlib.util, json, os, re, sys, sysconfig
local, files = set(sys.argv[1].split(",")), sys.argv[2:]
wanted = {"msgspec"}
for path in files:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in local and top not in sys.stdlib_module_names and top != "prebake":
                wanted.add(top)
paths = sysconfig.get_paths()
sites = sorted({os.path.realpath(paths["purelib"]), os.path.realpath(paths["platlib"])})
def under_site(p):
    p = os.path.realpath(p)
    for s in sites:
        if p.startswith(s + os.sep):
            return os.path.relpath(p, s)
    return None
out, missing, queue, seen = [], [], [], set()
by_module = md.packages_distributions()
for top in sorted(wanted):
    if top in by_module:
        queue.extend(by_module[top])
        continue
    spec = importlib.util.find_spec(top)
    origin = spec and (spec.submodule_search_locations and list(spec.submodule_search_locations)[0] or spec.origin)
    rel = origin and under_site(origin)
    if not rel:
        missing.append(top)
    elif os.path.isdir(origin):
        for d, _, fs in os.walk(origin):
            out.extend(os.path.join(d, f) for f in fs)
    else:
        out.append(origin)
while queue:
    name = queue.pop()
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        continue
    seen.add(key)
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        continue
    out.extend(str(f.locate()) for f in dist.files or [])
    for req in dist.requires or []:
        if "extra" in req.partition(";")[2]:
            continue
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        if m:
            queue.append(m.group(0))
files = sorted({(p, under_site(p)) for p in out if os.path.isfile(p) and under_site(p)})
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "stdlib": paths["stdlib"],
    "libdir": sysconfig.get_config_var("LIBDIR"),
    "soname": sysconfig.get_config_var("INSTSONAME"),
    "cache_tag": sys.implementation.cache_tag,
    "site_files": files,
    "missing": missing,
}))
"#;

fn probe(python: &Path, analysis: &Analysis) -> Result<PyFacts, String> {
    let local: Vec<String> = analysis
        .db
        .files()
        .iter()
        .map(|f| f.module.split('.').next().unwrap_or("").to_string())
        .collect();
    let files: Vec<&str> = analysis
        .db
        .files()
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    let out = Command::new(python)
        .arg("-c")
        .arg(PROBE)
        .arg(local.join(","))
        .args(&files)
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "reading the environment of {} failed:\n{}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("environment probe: {e}"))?;
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let site_files = v["site_files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pair| {
            Some((
                PathBuf::from(pair.get(0)?.as_str()?),
                PathBuf::from(pair.get(1)?.as_str()?),
            ))
        })
        .collect();
    let missing = v["missing"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    Ok(PyFacts {
        version: s("version"),
        stdlib: PathBuf::from(s("stdlib")),
        libdir: PathBuf::from(s("libdir")),
        soname: s("soname"),
        cache_tag: s("cache_tag"),
        site_files,
        missing,
    })
}

/// Folders of the standard library no server needs (and the static
/// library and its build files, the largest of all).
const STDLIB_SKIP: &[&str] = &[
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "site-packages",
    "__phello__",
];

/// Fills `dir` with `binary`, libpython, the standard library, the app's
/// site-packages and the shared libraries they link; writes the
/// Dockerfile. `python` is the interpreter the binary was built against.
pub(crate) fn bundle(
    binary: &Path,
    python: &Path,
    analysis: &Analysis,
    app_dir: &Path,
    deploy: &Deploy<'_>,
    dir: &Path,
) -> Result<(), String> {
    let facts = probe(python, analysis)?;
    if !facts.missing.is_empty() {
        eprintln!(
            "prebake: warning: the app imports {} but the environment of {} has no such \
             distribution; the bundle will not have it",
            facts.missing.join(", "),
            python.display()
        );
    }
    // A fresh folder each time: nothing of an earlier bundle stays behind.
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Absolute: `ldd` reports what the binary's `$ORIGIN` rpath finds by
    // its absolute path, and a library already in the bundle is not copied
    // onto itself.
    let dir = &std::fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lib = dir.join("lib");
    let pylib = lib.join(format!("python{}", facts.version));
    std::fs::create_dir_all(&pylib).map_err(|e| format!("{}: {e}", pylib.display()))?;
    copy_file(binary, &dir.join(deploy.name))?;
    // The static mounts' directories, beside the binary where it looks for
    // a relative directory first (an absolute one is the host's to provide).
    for m in &analysis.ir.mounts {
        let rel = Path::new(&m.directory);
        if !rel.is_relative() {
            continue;
        }
        if app_dir.join(rel).is_dir() {
            copy_tree(&app_dir.join(rel), &dir.join(rel))?;
        } else {
            // `check_dir=False`: the directory may come later, as it may
            // beside the plain binary.
            eprintln!(
                "prebake: static directory {} does not exist: not bundled",
                m.directory
            );
        }
    }
    copy_file(&facts.libdir.join(&facts.soname), &lib.join(&facts.soname))?;
    copy_stdlib(&facts.stdlib, &pylib, &facts.cache_tag)?;
    let site = pylib.join("site-packages");
    for (from, rel) in &facts.site_files {
        if is_stale_pyc(rel, &facts.cache_tag) {
            continue;
        }
        copy_file(from, &site.join(rel))?;
    }
    // Compile what came without a `.pyc` (a read-only container cannot
    // write one at run time, and would compile on every start).
    crate::run(
        Command::new(python)
            .args(["-m", "compileall", "-q", "-j0"])
            .arg(&pylib),
    )?;
    copy_shared_libraries(dir, &lib)?;
    strip(dir)?;
    std::fs::write(dir.join("Dockerfile"), dockerfile(deploy))
        .map_err(|e| format!("Dockerfile: {e}"))?;
    std::fs::write(dir.join(".dockerignore"), "Dockerfile\n.dockerignore\n")
        .map_err(|e| format!(".dockerignore: {e}"))?;
    eprintln!(
        "prebake: bundle {} ({:.1} MB); run it with {}/{}, or `docker build -t {} {}`",
        dir.display(),
        size_of(dir) as f64 / 1e6,
        dir.display(),
        deploy.name,
        deploy.name,
        dir.display()
    );
    Ok(())
}

/// `.pyc` files of another interpreter or optimisation level.
fn is_stale_pyc(rel: &Path, cache_tag: &str) -> bool {
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".pyc") && !name.ends_with(&format!(".{cache_tag}.pyc"))
}

fn copy_stdlib(from: &Path, to: &Path, cache_tag: &str) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| format!("{name}: {e}"))?;
        if kind.is_dir() {
            if STDLIB_SKIP.contains(&&*name) || name.starts_with("config-") {
                continue;
            }
            std::fs::create_dir_all(to.join(&*name)).map_err(|e| format!("{name}: {e}"))?;
            copy_stdlib(&path, &to.join(&*name), cache_tag)?;
        } else if kind.is_file() {
            let skip = is_stale_pyc(Path::new(&*name), cache_tag)
                || name.starts_with("_test")
                || name.starts_with("_tkinter")
                || name.starts_with("xxlimited")
                || name.starts_with("_xxtestfuzz");
            if !skip {
                copy_file(&path, &to.join(&*name))?;
            }
        }
    }
    Ok(())
}

/// Copies a file, keeping its modification time (a copied `.pyc` stays
/// valid for its copied source) and its permissions.
/// Copies the regular files and folders under `from` (symbolic links are
/// followed, as the server follows them only inside the directory: a link
/// leading outside is left out with a note).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let root = std::fs::canonicalize(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let mut stack = vec![(root.clone(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst).map_err(|e| format!("{}: {e}", dst.display()))?;
        let entries = std::fs::read_dir(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(real) = std::fs::canonicalize(&path) else {
                continue;
            };
            if !real.starts_with(&root) {
                eprintln!(
                    "prebake: {} leads outside its static directory: not bundled",
                    path.display()
                );
                continue;
            }
            let target = dst.join(entry.file_name());
            if real.is_dir() {
                stack.push((real, target));
            } else if real.is_file() {
                copy_file(&real, &target)?;
            }
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to)
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))?;
    let modified = std::fs::metadata(from)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{}: {e}", from.display()))?;
    std::fs::File::options()
        .write(true)
        .open(to)
        .and_then(|f| f.set_modified(modified))
        .map_err(|e| format!("{}: {e}", to.display()))
}

/// The C libraries of the C library family itself, present on every
/// glibc system: never copied.
const SYSTEM_LIBS: &[&str] = &[
    "linux-vdso",
    "ld-linux",
    "libc.so",
    "libm.so",
    "libpthread.so",
    "libdl.so",
    "librt.so",
    "libutil.so",
    "libgcc_s.so",
    "libresolv.so",
    "libcrypt.so",
];

/// Copies into `lib` every shared library the binary, libpython and the
/// extension modules link that is not glibc's own (OpenSSL, libffi,
/// SQLite...): a minimal system has none of them. The binary's rpath
/// (`$ORIGIN/lib`, a DT_RPATH) reaches extension modules' dependencies too.
fn copy_shared_libraries(dir: &Path, lib: &Path) -> Result<(), String> {
    let mut objects = Vec::new();
    collect_objects(dir, &mut objects);
    let mut needed = BTreeSet::new();
    for object in &objects {
        let out = Command::new("ldd")
            .arg(object)
            .env("LD_LIBRARY_PATH", lib)
            .output()
            .map_err(|e| format!("ldd: {e}"))?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // `libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x...)`
            let Some((name, rest)) = line.trim().split_once(" => ") else {
                continue;
            };
            let Some(path) = rest
                .split_whitespace()
                .next()
                .filter(|p| p.starts_with('/'))
            else {
                continue;
            };
            let path = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
            if SYSTEM_LIBS.iter().any(|s| name.starts_with(s)) || path.starts_with(lib) {
                continue;
            }
            needed.insert((name.to_string(), path));
        }
    }
    for (name, path) in needed {
        copy_file(&path, &lib.join(name))?;
    }
    Ok(())
}

/// Strips the copied ELF files of what a server never reads: debug
/// information (the binary keeps its symbols, for backtraces) and, in the
/// libraries, symbols not needed for linking. libpython alone goes from
/// 23 to 6 MB. Skipped, with a note, where binutils' `strip` is missing.
fn strip(dir: &Path) -> Result<(), String> {
    if !crate::system::on_path("strip") {
        eprintln!(
            "prebake: note: no `strip` on PATH (binutils); the bundle keeps debug information"
        );
        return Ok(());
    }
    let mut objects = Vec::new();
    collect_objects(dir, &mut objects);
    for object in objects {
        let is_library = object
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(".so"));
        let how = if is_library {
            "--strip-unneeded"
        } else {
            "--strip-debug"
        };
        let status = Command::new("strip")
            .arg(how)
            .arg(&object)
            .status()
            .map_err(|e| format!("strip: {e}"))?;
        if !status.success() {
            return Err(format!("strip {how} {} failed", object.display()));
        }
    }
    Ok(())
}

fn collect_objects(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_objects(&path, out);
        } else if is_elf(&path) {
            out.push(path);
        }
    }
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| size_of(&e.path()))
        .sum()
}

/// The bundle's `Dockerfile`: Debian slim of the build's glibc family, a
/// non-root user, the bundle read-only under `/opt/<app>`, the probe paths
/// on, a HEALTHCHECK through the binary itself (no curl in a slim image).
pub(crate) fn dockerfile(d: &Deploy<'_>) -> String {
    let Deploy {
        name,
        port,
        health_path,
        ready_path,
        graceful_secs,
        shutdown_delay_secs,
    } = d;
    format!(
        r#"# Generated by prebake (cargo xtask build --bundle). Build and run from this folder:
#   docker build -t {name} .
#   docker run --rm -p {port}:{port} {name}
# The bundle needs glibc 2.36 or newer: Debian 12 (bookworm) like the build machine.
FROM debian:bookworm-slim

RUN useradd --system --no-log-init --no-create-home --uid 10001 --user-group \
        --shell /usr/sbin/nologin app

# Owned by root and read-only for the server: it writes nothing beside itself.
COPY . /opt/{name}

ENV HOST=0.0.0.0 \
    PORT={port} \
    PREBAKE_HEALTH_PATH={health_path} \
    PREBAKE_READY_PATH={ready_path} \
    PREBAKE_GRACEFUL_TIMEOUT={graceful_secs} \
    PREBAKE_SHUTDOWN_DELAY={shutdown_delay_secs} \
    PREBAKE_LOG_FORMAT=json

USER 10001:10001
EXPOSE {port}
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/opt/{name}/{name}", "--healthcheck"]
ENTRYPOINT ["/opt/{name}/{name}"]
"#
    )
}

/// The Kubernetes manifests: a Deployment (probes on the built-in paths,
/// a grace period above the server's own), a Service, a CPU
/// HorizontalPodAutoscaler and a PodDisruptionBudget, one file.
pub(crate) fn k8s(d: &Deploy<'_>, image: &str) -> String {
    let Deploy {
        name,
        port,
        health_path,
        ready_path,
        graceful_secs,
        shutdown_delay_secs,
    } = d;
    let grace = d.termination_grace_secs();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"# Generated by prebake (cargo xtask build --k8s). Apply with: kubectl apply -f {name}.yaml
# One server process per pod (one core: resources.limits.cpu); more pods for more load.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      # Above the server's own worst case: --shutdown-delay ({shutdown_delay_secs}s) with
      # readiness 503, then --graceful-timeout ({graceful_secs}s) for in-flight requests.
      terminationGracePeriodSeconds: {grace}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
      containers:
        - name: {name}
          image: {image}
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: {port}
              protocol: TCP
          env:
            - name: HOST
              value: "0.0.0.0"
            - name: PORT
              value: "{port}"
            - name: WORKERS
              value: "1"
            - name: PREBAKE_HEALTH_PATH
              value: "{health_path}"
            - name: PREBAKE_READY_PATH
              value: "{ready_path}"
            - name: PREBAKE_GRACEFUL_TIMEOUT
              value: "{graceful_secs}"
            - name: PREBAKE_SHUTDOWN_DELAY
              value: "{shutdown_delay_secs}"
            - name: PREBAKE_LOG_FORMAT
              value: json
          readinessProbe:
            httpGet:
              path: {ready_path}
              port: http
            periodSeconds: 2
            failureThreshold: 1
            timeoutSeconds: 1
          livenessProbe:
            httpGet:
              path: {health_path}
              port: http
            periodSeconds: 10
            failureThreshold: 3
            timeoutSeconds: 2
          startupProbe:
            httpGet:
              path: {health_path}
              port: http
            periodSeconds: 1
            failureThreshold: 30
          resources:
            requests:
              cpu: 500m
              memory: 128Mi
            limits:
              cpu: "1"
              memory: 512Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
"#
    );
    out
}

/// Writes `DIR/<app>.yaml`.
pub(crate) fn write_k8s(d: &Deploy<'_>, image: &str, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.yaml", d.name));
    std::fs::write(&path, k8s(d, image)).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("prebake: wrote {}", path.display());
    Ok(path)
}

/// The apps `cargo xtask test` bundles for `tests/python/test_ship.py`.
const TEST_BUNDLES: &[(&str, &str)] = &[
    ("hello", "examples/hello/app.py"),
    ("todo", "examples/todo/app.py"),
];

/// For `cargo xtask test`: bundles of the hello and todo examples (with
/// Kubernetes manifests) under `target/e2e-bundle/`, and a minimal Debian
/// root to run them in. Returns the environment the Python tests read
/// (`PREBAKE_BUNDLE_DIR`, `PREBAKE_ROOTFS`).
pub(crate) fn prepare_tests(root: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let dir = root.join("target").join("e2e-bundle");
    for (name, app) in TEST_BUNDLES {
        let args = crate::build::BuildArgs {
            app: root.join(app),
            out: None,
            profile: "release".into(),
            rest: Vec::new(),
            ship: ShipArgs {
                bundle: Some(dir.join(name)),
                k8s: Some(dir.join("k8s")),
                image: Some(format!("registry.example/{name}:1.0.0")),
            },
        };
        crate::build::build(&args)?;
    }
    let rootfs = minimal_debian(root)?;
    Ok(vec![
        ("PREBAKE_BUNDLE_DIR", dir),
        ("PREBAKE_ROOTFS", rootfs),
    ])
}

/// A minimal Debian 12 (`debootstrap --variant=minbase bookworm`: no
/// Python, no compiler), made once under `target/prebake/rootfs/` and
/// reused: about 80 s and 210 MB the first time. `PREBAKE_DEBIAN_MIRROR`
/// picks the mirror (default deb.debian.org).
fn minimal_debian(root: &Path) -> Result<PathBuf, String> {
    let base = root.join("target").join("prebake").join("rootfs");
    let rootfs = base.join("bookworm-minbase");
    if rootfs.join(".prebake-complete").exists() {
        return Ok(rootfs);
    }
    crate::system::ensure_apt(&["debootstrap"])?;
    let partial = base.join("bookworm-minbase.partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    }
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let mirror = std::env::var("PREBAKE_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".into());
    let started = std::time::Instant::now();
    crate::run(
        Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(&partial)
            .arg(&mirror),
    )?;
    // Where the tests mount a bundle, read-only.
    std::fs::create_dir_all(partial.join("opt").join("app")).map_err(|e| format!("rootfs: {e}"))?;
    std::fs::write(partial.join(".prebake-complete"), "").map_err(|e| format!("rootfs: {e}"))?;
    if rootfs.exists() {
        std::fs::remove_dir_all(&rootfs).map_err(|e| format!("{}: {e}", rootfs.display()))?;
    }
    std::fs::rename(&partial, &rootfs).map_err(|e| format!("{}: {e}", rootfs.display()))?;
    eprintln!(
        "xtask: minimal Debian root made in {:.0?} ({})",
        started.elapsed(),
        rootfs.display()
    );
    Ok(rootfs)
}
