//! The PostgreSQL server the tests and the io benchmark talk to.
//!
//! A developer who has a server names it the way every PostgreSQL client
//! understands: the libpq variables (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGPASSWORD`, `PGDATABASE`) or `DATABASE_URL`. Then that server is used
//! and only the schema is loaded (idempotently). Otherwise, as on CI, which
//! has no database running, a throw-away server is started from Debian's
//! packages (installed through apt when missing): `initdb` into a fresh
//! folder under the target directory (or the system's temporary folder when
//! a folder above it is closed to others), owned by `nobody` when we run as root
//! (PostgreSQL refuses to run as root), listening on a free port of
//! 127.0.0.1 with trust authentication, durability off (it is thrown away),
//! and `pg_stat_statements` loaded so that tests and the benchmark can count
//! the statements each request sent. It is stopped and its folder removed
//! when the [`Postgres`] value is dropped.
//!
//! Either way, what the children need is in [`Postgres::env`]: the five
//! libpq variables and `DATABASE_URL`, which asyncpg, psycopg, tokio-postgres
//! and `psql` all read. A server this module started also exports
//! `PREBAKE_PG_CTL` (a shell command prefix that runs `pg_ctl` on it as its
//! owner), so the outage test can stop it and start it again.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// TechEmpower's database: the user, password and database every
/// implementation connects with.
const USER: &str = "benchmarkdbuser";
const PASSWORD: &str = "benchmarkdbpass";
const DATABASE: &str = "hello_world";

/// The unprivileged account a throw-away server runs as when we are root.
const OWNER: &str = "nobody";

/// TechEmpower's schema and data: `World` (10,000 rows with a random number
/// in 1..=10000) and `Fortune` (the 12 messages). Unquoted names, so the
/// tables are `world` and `fortune` and the column `randomnumber`, as in
/// TechEmpower's own PostgreSQL script. Then the tables of jero's
/// workloads: `users` (1,000 rows) and `movie` (what `POST /movies`
/// writes). Rows that exist are kept, so loading twice changes nothing.
pub(crate) const SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS World (
  id integer NOT NULL,
  randomNumber integer NOT NULL default 0,
  PRIMARY KEY (id)
);
INSERT INTO World (id, randomnumber)
  SELECT x.id, least(floor(random() * 10000 + 1), 10000) FROM generate_series(1, 10000) AS x(id)
  ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS Fortune (
  id integer NOT NULL,
  message varchar(2048) NOT NULL,
  PRIMARY KEY (id)
);
INSERT INTO Fortune (id, message) VALUES
  (1, 'fortune: No such file or directory'),
  (2, 'A computer scientist is someone who fixes things that aren''t broken.'),
  (3, 'After enough decimal places, nobody gives a damn.'),
  (4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'),
  (5, 'A computer program does what you tell it to do, not what you want it to do.'),
  (6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'),
  (7, 'Any program that runs right is obsolete.'),
  (8, 'A list is only as strong as its weakest link. — Donald Knuth'),
  (9, 'Feature: A bug with seniority.'),
  (10, 'Computers make very fast, very accurate mistakes.'),
  (11, '<script>alert(\"This should not be displayed in a browser alert box.\");</script>'),
  (12, 'フレームワークのベンチマーク')
  ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS users (
  id integer PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL
);
INSERT INTO users (id, name, email)
  SELECT x, 'user ' || x, 'user' || x || '@example.com' FROM generate_series(1, 1000) AS x
  ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS movie (
  id serial PRIMARY KEY,
  owner integer NOT NULL,
  title text NOT NULL,
  year integer NOT NULL,
  genres text[] NOT NULL
);
";

/// The extension the statement counts come from; created when the server
/// has it loaded (a throw-away server always does).
const STATS: &str = "\
DO $$ BEGIN
  IF current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' THEN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  END IF;
END $$;
";

/// A server to use: someone else's, or one this run started.
pub(crate) struct Postgres {
    env: Vec<(String, String)>,
    owned: Option<Owned>,
}

/// A throw-away server this run started.
struct Owned {
    bin: PathBuf,
    dir: PathBuf,
    /// `runuser -u nobody --` when we are root, else nothing; after
    /// `taskset -c N` when the server is pinned to a CPU.
    as_owner: Vec<String>,
}

impl Postgres {
    /// The variables a child process connects with.
    pub(crate) fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Sets [`Postgres::env`] on a command.
    pub(crate) fn apply<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
    }

    /// Runs SQL through `psql` and returns its unaligned, tuples-only output.
    pub(crate) fn sql(&self, sql: &str) -> Result<String, String> {
        let mut cmd = Command::new(psql(self.owned.as_ref())?);
        self.apply(&mut cmd)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null());
        let out = cmd.output().map_err(|e| format!("psql: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "psql failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A description for logs and results files.
    pub(crate) fn describe(&self) -> String {
        let get = |k: &str| {
            self.env
                .iter()
                .find(|(n, _)| n == k)
                .map_or("", |(_, v)| v.as_str())
        };
        let version = self
            .sql("SHOW server_version")
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|_| "?".into());
        if self.owned.is_some() {
            format!(
                "PostgreSQL {version}, a throw-away server on 127.0.0.1:{} (fsync and synchronous_commit off)",
                get("PGPORT")
            )
        } else {
            format!("PostgreSQL {version}, the server named by the environment")
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(owned) = &self.owned {
            let _ = owned
                .pg_ctl(&["stop", "-m", "immediate", "-w"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = std::fs::remove_dir_all(&owned.dir);
        }
    }
}

impl Owned {
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut cmd = match self.as_owner.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        cmd.stdin(Stdio::null());
        cmd
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D").arg(self.data()).args(args);
        cmd
    }

    /// The shell prefix that runs `pg_ctl` on this server as its owner.
    fn pg_ctl_prefix(&self) -> String {
        let mut parts: Vec<String> = self.as_owner.clone();
        parts.push(self.bin.join("pg_ctl").display().to_string());
        parts.push("-D".into());
        parts.push(self.data().display().to_string());
        parts.join(" ")
    }
}

/// Whether the environment names a server.
fn named_by_environment() -> bool {
    [
        "DATABASE_URL",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGDATABASE",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// The server to use, with the schema loaded: the environment's, or a
/// throw-away one under `target/postgres/`.
pub(crate) fn ensure(target: &Path) -> Result<Postgres, String> {
    ensure_pinned(target, None)
}

/// [`ensure`], with a throw-away server (and every backend it forks) pinned
/// to CPU `cpu` (the benchmark keeps the server under test alone on the other).
pub(crate) fn ensure_pinned(target: &Path, cpu: Option<u32>) -> Result<Postgres, String> {
    if named_by_environment() {
        crate::system::ensure_apt(&["postgresql-client"])?;
        let mut env = Vec::new();
        // libpq reads the PG* variables itself; psql takes DATABASE_URL as
        // an argument only, so it is spelled out as PG* variables too.
        for k in [
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGPASSWORD",
            "PGDATABASE",
            "DATABASE_URL",
        ] {
            if let Ok(v) = std::env::var(k) {
                env.push((k.to_string(), v));
            }
        }
        let pg = Postgres { env, owned: None };
        pg.load_schema()?;
        eprintln!("xtask: using {}", pg.describe());
        return Ok(pg);
    }
    let started = Instant::now();
    crate::system::ensure_apt(&["postgresql", "postgresql-contrib"])?;
    let bin = server_bin()?;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut as_owner: Vec<String> = match cpu {
        Some(cpu) => vec!["taskset".into(), "-c".into(), cpu.to_string()],
        None => Vec::new(),
    };
    if root {
        as_owner.extend(["runuser".into(), "-u".into(), OWNER.into(), "--".into()]);
    }
    let run = format!("prebake-postgres-{}", std::process::id());
    let mut dir = server_dir(&target.join("postgres").join(&run), root)?;
    if !dir.1 {
        // A folder above the target directory is closed to other users
        // (a checkout under /root): the system's temporary folder is not.
        let _ = std::fs::remove_dir_all(&dir.0);
        dir = server_dir(&std::env::temp_dir().join(&run), root)?;
        if !dir.1 {
            return Err(format!(
                "neither the target directory nor {} can be written by `{OWNER}`; \
                 name a server with PGHOST or DATABASE_URL",
                dir.0.display()
            ));
        }
    }
    let owned = Owned {
        bin,
        dir: dir.0,
        as_owner,
    };
    let port = free_port()?;
    let pwfile = owned.dir.join("pw");
    std::fs::write(&pwfile, PASSWORD).map_err(|e| format!("{}: {e}", pwfile.display()))?;
    if root {
        crate::run(Command::new("chown").arg(format!("{OWNER}:")).arg(&pwfile))?;
    }
    quiet(
        owned
            .command("initdb")
            .arg("-D")
            .arg(owned.data())
            .args(["-U", USER, "-E", "UTF8", "--locale=C", "--auth=trust"])
            .arg(format!("--pwfile={}", pwfile.display())),
        "initdb",
    )?;
    // The settings go into the server's own configuration, so that a plain
    // `pg_ctl start` (the outage test's) brings it back the same.
    let conf = owned.data().join("postgresql.conf");
    let settings = format!(
        "\n# cargo xtask: a throw-away server for the tests and benches\n\
         listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
         fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n\
         shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n",
        owned.dir.display()
    );
    let mut text =
        std::fs::read_to_string(&conf).map_err(|e| format!("{}: {e}", conf.display()))?;
    text.push_str(&settings);
    std::fs::write(&conf, text).map_err(|e| format!("{}: {e}", conf.display()))?;
    let log = owned.dir.join("server.log");
    quiet(
        owned
            .pg_ctl(&["start", "-w", "-t", "60"])
            .arg("-l")
            .arg(&log),
        "pg_ctl start",
    )
    .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()))?;
    let pg_ctl = owned.pg_ctl_prefix();
    let mut pg = Postgres {
        env: vec![
            ("PGHOST".into(), "127.0.0.1".into()),
            ("PGPORT".into(), port.to_string()),
            ("PGUSER".into(), USER.into()),
            ("PGPASSWORD".into(), PASSWORD.into()),
            ("PGDATABASE".into(), "postgres".into()),
        ],
        owned: Some(owned),
    };
    pg.sql(&format!("CREATE DATABASE {DATABASE}"))?;
    for (k, v) in pg.env.iter_mut() {
        if k == "PGDATABASE" {
            *v = DATABASE.into();
        }
    }
    pg.env.push((
        "DATABASE_URL".into(),
        format!("postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"),
    ));
    pg.env.push(("PREBAKE_PG_CTL".into(), pg_ctl));
    pg.load_schema()?;
    eprintln!(
        "xtask: started {} in {:.1?}",
        pg.describe(),
        started.elapsed()
    );
    Ok(pg)
}

impl Postgres {
    fn load_schema(&self) -> Result<(), String> {
        self.sql(SCHEMA)?;
        self.sql(STATS)?;
        let rows = self.sql("SELECT count(*) FROM world")?;
        if rows.trim() != "10000" {
            return Err(format!(
                "the database's `world` table has {} rows, TechEmpower's has 10000",
                rows.trim()
            ));
        }
        Ok(())
    }
}

/// A fresh folder for a throw-away server, given to `nobody` when we are
/// root, and whether that user can write it.
fn server_dir(dir: &Path, root: bool) -> Result<(PathBuf, bool), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !root {
        return Ok((dir.to_path_buf(), true));
    }
    crate::run(Command::new("chown").arg(format!("{OWNER}:")).arg(dir))?;
    let writable = Command::new("runuser")
        .args(["-u", OWNER, "--", "test", "-w"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    Ok((dir.to_path_buf(), writable))
}

/// `psql`: the throw-away server's own, else the one on `PATH`.
fn psql(owned: Option<&Owned>) -> Result<PathBuf, String> {
    if let Some(o) = owned {
        return Ok(o.bin.join("psql"));
    }
    if crate::system::on_path("psql") {
        return Ok(PathBuf::from("psql"));
    }
    server_bin().map(|b| b.join("psql"))
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian keeps the server
/// programs off `PATH`).
fn server_bin() -> Result<PathBuf, String> {
    let base = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(base)
        .map_err(|e| format!("{}: {e}", base.display()))?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, b)| b)
        .ok_or_else(|| format!("no PostgreSQL server under {}", base.display()))
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Runs a command with its output kept for the error only.
fn quiet(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `cargo xtask postgres [-- COMMAND ARGS..]`: runs COMMAND with the
/// database's variables set and stops a throw-away server afterwards; with no
/// command, prints the variables and waits for Enter.
pub(crate) fn command(args: &[String]) -> Result<(), String> {
    let args = args.strip_prefix(&["--".to_string()]).unwrap_or(args);
    let root = crate::root();
    let pg = ensure(&crate::target_dir(&root))?;
    let Some((program, rest)) = args.split_first() else {
        for (k, v) in pg.env() {
            println!("export {k}='{v}'");
        }
        eprintln!("xtask: press Enter to stop the server");
        let _ = std::io::stdin().read_line(&mut String::new());
        return Ok(());
    };
    let status = pg
        .apply(&mut Command::new(program))
        .args(rest)
        .status()
        .map_err(|e| format!("{program}: {e}"))?;
    drop(pg);
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} failed ({status})"))
    }
}
