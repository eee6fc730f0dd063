//! Which calls may block the thread: the table behind the thread-pool
//! decision (a sync handler that may block runs on the pool), PB051
//! (a blocking call inside `async def`) and PB081 (a call into a
//! third-party module the table does not know).
//!
//! A call is named by its qualified callee as the front end resolves it:
//! `time.sleep`, `builtins.open`, `requests.Session`. A method called on an
//! object the front end can trace back to the call that made it is named
//! `<factory>().<method>`: `db.execute()` after `db = sqlite3.connect(...)`
//! is `sqlite3.connect().execute`, `f.read()` inside `with open(p) as f:` is
//! `builtins.open().read`, and `conn.cursor()` on a parameter annotated
//! `conn: psycopg.Connection` is `psycopg.Connection().cursor`.
//!
//! A pattern matches a name equal to it or starting with it followed by
//! `.` or `(` (so `redis.Redis` covers `redis.Redis.from_url` and
//! `redis.Redis().get`, and a module name covers the whole module); a
//! pattern ending in `*` matches any name that starts with the rest
//! (`os.wait*`). The longest matching pattern of either table wins, which is
//! how exceptions are written: `httpx` blocks, `httpx.AsyncClient` does not.
//!
//! A name no pattern matches is assumed not to block when it is a builtin
//! or in the standard library (the blocking parts of the standard library
//! are listed), and is unknown when it belongs to a third-party module:
//! a sync handler calling it gets PB081, which asks the user to decide
//! with `sync_to_thread=`.
//!
//! Decisions worth knowing:
//! - `logging` does not block: handlers write to stderr or a file with a
//!   short lock; a slow log handler is the app's own choice.
//! - `bcrypt.hashpw`, `bcrypt.checkpw` and `bcrypt.kdf` block: they are CPU
//!   work, not I/O, but take 50-300 ms at the usual cost factors and release
//!   the GIL while they run, so on the pool they run in parallel and do not
//!   hold up the inline routes. The rest of `bcrypt` (`gensalt`) is instant.
//! - `hashlib` does not block (digests of request-sized data are
//!   microseconds); `hashlib.scrypt` and `hashlib.pbkdf2_hmac` do, for the
//!   same reason as bcrypt.
//! - `os.path` does not block: a `stat` on a local disk is microseconds.
//!
//! To extend the table, add a row to [`BLOCKING`] (with the async
//! alternative PB051 suggests) or to [`NON_BLOCKING`].

use crate::ir::{PoolReason, ReachedCall, SyncSetting};

/// What a callee is, as far as blocking goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    /// It may block the thread (I/O, sleeping, waiting, slow CPU work that
    /// releases the GIL). The text names the async alternative.
    Yes {
        /// What to use in an `async def` instead, as a phrase
        /// (`` `await asyncio.sleep(...)` ``).
        alternative: &'static str,
    },
    /// It does not block: listed as such, a builtin, or in the standard
    /// library and not listed as blocking.
    No,
    /// A third-party module the table does not know.
    Unknown,
}

const SLEEP: &str = "`await asyncio.sleep(...)`";
const FILES: &str = "`aiofiles`, or `await asyncio.to_thread(...)` around the file work";
const SOCKET: &str = "`await asyncio.open_connection(...)` and its streams";
const DNS: &str = "`await asyncio.get_running_loop().getaddrinfo(...)`";
const SUBPROCESS: &str = "`await asyncio.create_subprocess_exec(...)`";
const SHELL: &str = "`await asyncio.create_subprocess_shell(...)`";
const HTTP: &str = "an async HTTP client such as `httpx.AsyncClient`";
const SQLITE: &str = "`aiosqlite`";
const PSYCOPG: &str = "`await psycopg.AsyncConnection.connect(...)`";
const PSYCOPG2: &str = "`asyncpg`, or psycopg 3's `psycopg.AsyncConnection`";
const MYSQL: &str = "`aiomysql`";
const REDIS: &str = "`redis.asyncio.Redis`";
const MONGO: &str = "`pymongo.AsyncMongoClient` (or motor's `AsyncIOMotorClient`)";
const AWS: &str = "`aioboto3` / `aiobotocore`";
const SQLA_ENGINE: &str = "`sqlalchemy.ext.asyncio.create_async_engine(...)`";
const SQLA_SESSION: &str = "`sqlalchemy.ext.asyncio.AsyncSession` / `async_sessionmaker`";
const SMTP: &str = "`aiosmtplib`";
const FTP: &str = "`aioftp`";
const THREAD_WAIT: &str = "the `asyncio` twin (`asyncio.Event`, `asyncio.Queue`, `asyncio.Lock`)";
const TO_THREAD: &str = "`await asyncio.to_thread(...)` around the call";

/// Callees that may block, with the async alternative for each.
pub const BLOCKING: &[(&str, &str)] = &[
    // Sleeping and waiting.
    ("time.sleep", SLEEP),
    ("threading.Event().wait", THREAD_WAIT),
    ("threading.Condition().wait", THREAD_WAIT),
    ("threading.Barrier().wait", THREAD_WAIT),
    ("threading.Semaphore().acquire", THREAD_WAIT),
    ("threading.BoundedSemaphore().acquire", THREAD_WAIT),
    ("threading.Thread().join", THREAD_WAIT),
    ("queue.Queue().get", THREAD_WAIT),
    ("queue.Queue().put", THREAD_WAIT),
    ("queue.Queue().join", THREAD_WAIT),
    (
        "concurrent.futures.Future().result",
        "`await asyncio.wrap_future(future)`",
    ),
    ("select", "`asyncio` streams or `loop.add_reader`"),
    ("selectors", "`asyncio` streams or `loop.add_reader`"),
    ("builtins.input", TO_THREAD),
    // Files.
    ("builtins.open", FILES),
    ("io.open", FILES),
    ("codecs.open", FILES),
    ("pathlib.Path().open", FILES),
    ("pathlib.Path().read_text", FILES),
    ("pathlib.Path().read_bytes", FILES),
    ("pathlib.Path().write_text", FILES),
    ("pathlib.Path().write_bytes", FILES),
    ("shutil.copy*", FILES),
    ("shutil.move", FILES),
    ("shutil.rmtree", FILES),
    ("shutil.make_archive", FILES),
    ("shutil.unpack_archive", FILES),
    ("os.read", FILES),
    ("os.write", FILES),
    ("os.fsync", FILES),
    // Processes.
    ("subprocess", SUBPROCESS),
    ("os.system", SHELL),
    ("os.popen", SHELL),
    ("os.wait*", SUBPROCESS),
    ("os.spawn*", SUBPROCESS),
    // Sockets and network clients.
    ("socket", SOCKET),
    ("socket.create_server", "`await asyncio.start_server(...)`"),
    ("socket.getaddrinfo", DNS),
    ("socket.gethostbyname*", DNS),
    ("socket.gethostbyaddr", DNS),
    ("socket.getfqdn", DNS),
    ("ssl.SSLSocket", SOCKET),
    ("requests", HTTP),
    ("urllib.request", HTTP),
    ("urllib3", HTTP),
    ("http.client", HTTP),
    ("httpx", HTTP),
    ("smtplib", SMTP),
    ("ftplib", FTP),
    ("poplib", TO_THREAD),
    ("imaplib", TO_THREAD),
    ("telnetlib", TO_THREAD),
    ("xmlrpc.client", TO_THREAD),
    ("paramiko", "`asyncssh`"),
    // Databases and stores.
    ("sqlite3", SQLITE),
    ("psycopg.connect", PSYCOPG),
    ("psycopg.Connection", PSYCOPG),
    ("psycopg.Cursor", PSYCOPG),
    (
        "psycopg_pool.ConnectionPool",
        "`psycopg_pool.AsyncConnectionPool`",
    ),
    ("psycopg2", PSYCOPG2),
    ("pymysql", MYSQL),
    ("MySQLdb", MYSQL),
    ("mysql.connector", MYSQL),
    ("redis.Redis", REDIS),
    ("redis.StrictRedis", REDIS),
    ("redis.from_url", REDIS),
    ("redis.client", REDIS),
    ("pymongo.MongoClient", MONGO),
    ("pymongo.collection", MONGO),
    ("boto3", AWS),
    ("botocore", AWS),
    ("sqlalchemy.create_engine", SQLA_ENGINE),
    ("sqlalchemy.engine.create_engine", SQLA_ENGINE),
    ("sqlalchemy.orm.Session", SQLA_SESSION),
    ("sqlalchemy.orm.sessionmaker", SQLA_SESSION),
    ("sqlalchemy.orm.scoped_session", SQLA_SESSION),
    (
        "elasticsearch.Elasticsearch",
        "`elasticsearch.AsyncElasticsearch`",
    ),
    ("pika", "`aio-pika`"),
    ("kafka", "`aiokafka`"),
    // Slow CPU work that releases the GIL (see the module docs).
    ("bcrypt.hashpw", TO_THREAD),
    ("bcrypt.checkpw", TO_THREAD),
    ("bcrypt.kdf", TO_THREAD),
    ("hashlib.scrypt", TO_THREAD),
    ("hashlib.pbkdf2_hmac", TO_THREAD),
];

/// Callees known not to block: modules that only compute, and the
/// non-blocking corners of modules listed in [`BLOCKING`].
pub const NON_BLOCKING: &[&str] = &[
    // Exceptions inside blocking modules: async APIs, pure helpers.
    "httpx.AsyncClient",
    "httpx.URL",
    "httpx.Headers",
    "httpx.Timeout",
    "httpx.HTTPStatusError",
    "requests.exceptions",
    "requests.HTTPError",
    "requests.RequestException",
    "urllib.request.Request",
    "socket.gethostname",
    "socket.inet_pton",
    "socket.inet_ntop",
    "socket.htonl",
    "socket.ntohl",
    "os.waitstatus_to_exitcode",
    "socket.inet_aton",
    "socket.inet_ntoa",
    "socket.htons",
    "socket.ntohs",
    "redis.asyncio",
    "psycopg.AsyncConnection",
    "psycopg.sql",
    "psycopg_pool.AsyncConnectionPool",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.select",
    "sqlalchemy.insert",
    "sqlalchemy.update",
    "sqlalchemy.delete",
    "sqlalchemy.text",
    "sqlalchemy.and_",
    "sqlalchemy.or_",
    "sqlalchemy.func",
    "sqlalchemy.Column",
    "sqlalchemy.orm.Mapped",
    "sqlalchemy.orm.mapped_column",
    "sqlalchemy.orm.relationship",
    "elasticsearch.AsyncElasticsearch",
    "pymongo.AsyncMongoClient",
    "bcrypt.gensalt",
    // Third-party modules that only compute.
    "prebake",
    "msgspec",
    "orjson",
    "ujson",
    "jwt",
    "pydantic",
    "attrs",
    "attr",
    "dateutil",
    "pytz",
    "typing_extensions",
    "annotated_types",
    "yarl",
    "multidict",
    // Standard-library modules that only compute (listed for the reader:
    // an unlisted standard-library name is assumed not to block anyway).
    "json",
    "re",
    "math",
    "datetime",
    "time",
    "uuid",
    "hashlib",
    "hmac",
    "base64",
    "itertools",
    "functools",
    "collections",
    "dataclasses",
    "enum",
    "typing",
    "logging",
    "decimal",
    "fractions",
    "random",
    "string",
    "secrets",
    "asyncio",
];

/// Top-level modules of the standard library (CPython 3.11's
/// `sys.stdlib_module_names`, private ones left out).
const STDLIB: &[&str] = &[
    "__future__",
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Where a route's handler runs, and why: an `async def` handler on the
/// event loop; else the first of `settings` (`sync_to_thread=` on the route,
/// its routers, the app: innermost first); else on the pool when one of
/// the calls it reaches may block (the nearest such call is the reason),
/// inline otherwise. Returns whether it runs on the pool.
pub fn decide(
    is_async: bool,
    settings: &[SyncSetting],
    reached: &[ReachedCall],
) -> (bool, PoolReason) {
    if is_async {
        return (false, PoolReason::Async);
    }
    if let Some(s) = settings.first() {
        return (s.value, PoolReason::Setting(*s));
    }
    match reached
        .iter()
        .find(|c| matches!(classify(&c.callee), Blocking::Yes { .. }))
    {
        Some(c) => (true, PoolReason::Blocking(c.clone())),
        None => (false, PoolReason::NoBlockingCall),
    }
}

/// Whether `pattern` matches `name` (see the module docs).
fn matches(pattern: &str, name: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return name.starts_with(prefix);
    }
    name.strip_prefix(pattern)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('('))
}

/// Classifies a qualified callee name (`time.sleep`, `builtins.open`,
/// `sqlite3.connect().execute`).
pub fn classify(name: &str) -> Blocking {
    let blocking = BLOCKING
        .iter()
        .filter(|(p, _)| matches(p, name))
        .max_by_key(|(p, _)| p.len());
    let fine = NON_BLOCKING
        .iter()
        .filter(|p| matches(p, name))
        .max_by_key(|p| p.len());
    match (blocking, fine) {
        (Some((p, alternative)), Some(q)) if p.len() > q.len() => Blocking::Yes { alternative },
        (Some((_, alternative)), None) => Blocking::Yes { alternative },
        (_, Some(_)) => Blocking::No,
        (None, None) if is_stdlib(name) => Blocking::No,
        (None, None) => Blocking::Unknown,
    }
}

/// Whether `name` is a builtin or in the standard library.
pub fn is_stdlib(name: &str) -> bool {
    let top = top_module(name);
    top == "builtins" || STDLIB.binary_search(&top).is_ok()
}

/// The top-level module of a qualified name (`requests` for
/// `requests.Session().get`).
pub fn top_module(name: &str) -> &str {
    let end = name.find(['.', '(']).unwrap_or(name.len());
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(name: &str) -> bool {
        matches!(classify(name), Blocking::Yes { .. })
    }

    #[test]
    fn the_stdlib_list_is_sorted() {
        assert!(STDLIB.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn blocking_apis() {
        for name in [
            "time.sleep",
            "builtins.open",
            "builtins.open().read",
            "pathlib.Path().read_text",
            "socket.socket().recv",
            "socket.create_connection",
            "subprocess.run",
            "os.system",
            "os.popen",
            "os.waitpid",
            "requests.get",
            "requests.Session().post",
            "urllib.request.urlopen",
            "http.client.HTTPSConnection",
            "httpx.get",
            "httpx.Client().get",
            "sqlite3.connect",
            "sqlite3.connect().execute",
            "psycopg.connect",
            "psycopg.Connection().cursor",
            "psycopg2.connect",
            "redis.Redis",
            "redis.Redis().get",
            "redis.StrictRedis.from_url",
            "boto3.client",
            "botocore.session.get_session",
            "sqlalchemy.create_engine",
            "sqlalchemy.orm.Session().execute",
            "sqlalchemy.orm.sessionmaker",
            "pymysql.connect",
            "pymongo.MongoClient",
            "shutil.copyfile",
            "smtplib.SMTP",
            "ftplib.FTP",
            "threading.Event().wait",
            "bcrypt.hashpw",
        ] {
            assert!(blocks(name), "{name} should block");
        }
    }

    #[test]
    fn non_blocking_apis() {
        for name in [
            "httpx.AsyncClient",
            "httpx.AsyncClient().get",
            "redis.asyncio.Redis",
            "socket.gethostname",
            "msgspec.json.encode",
            "orjson.dumps",
            "jwt.decode",
            "json.dumps",
            "time.monotonic",
            "builtins.len",
            "os.environ.get",
            "os.path.join",
            "logging.getLogger().info",
            "bcrypt.gensalt",
            "requests.exceptions.HTTPError",
            "prebake.HTTPException",
            "asyncio.sleep",
        ] {
            assert_eq!(classify(name), Blocking::No, "{name}");
        }
    }

    #[test]
    fn third_party_modules_not_listed_are_unknown() {
        assert_eq!(classify("numpy.array"), Blocking::Unknown);
        assert_eq!(classify("stripe.Charge.create"), Blocking::Unknown);
        assert_eq!(top_module("stripe.Charge().create"), "stripe");
    }
}
