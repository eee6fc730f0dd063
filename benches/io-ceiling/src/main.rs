//! The ceiling `cargo xtask bench --suite io` measures prebake against:
//! TechEmpower's database endpoints of `examples/tfb` (`/db`,
//! `/queries?queries=N`, `/updates?queries=N`, `/fortunes`) on hyper 1.x
//! and tokio-postgres, with no Python, so the difference is what the
//! interpreter, asyncio and the driver cost. The fortunes page is written
//! by hand (the template's markup, the rows borrowed from the database's
//! answer, escaped as askama and Jinja2 escape), the least a page can cost.
//!
//! Served as prebake serves (one current-thread tokio runtime, keep-alive,
//! `TCP_NODELAY`), with the same queries as the Python apps: one prepared
//! `SELECT` per row, the `UPDATE`s of `/updates` pipelined on one
//! connection, the same pool size (`TFB_POOL_SIZE` connections, 16 by
//! default, each request taking the next one in turn), the same count
//! clamping and the same JSON.
//!
//! `--upstream` serves the fixed JSON answer that `/proxy` relays instead.
//!
//! Usage: `io-ceiling [--upstream] [--host H] [--port P]`; the database is
//! the one `DATABASE_URL` or the libpq variables name.

use std::cell::Cell;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

type Resp = Response<Full<Bytes>>;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const NAME: HeaderValue = HeaderValue::from_static("io-ceiling");
const ROWS: i32 = 10_000;

#[derive(Serialize)]
struct World {
    id: i32,
    #[serde(rename = "randomNumber")]
    random_number: i32,
}

/// One connection of the pool and its prepared statements.
struct Conn {
    client: Client,
    select: Statement,
    update: Statement,
    fortune: Statement,
}

struct Pool {
    conns: Vec<Conn>,
    next: AtomicUsize,
}

impl Pool {
    fn get(&self) -> &Conn {
        &self.conns[self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len()]
    }
}

thread_local! {
    static SEED: Cell<u64> = Cell::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64 | 1),
    );
}

/// A random number in 1..=10000 (xorshift64*).
fn random_row() -> i32 {
    SEED.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as i32 % ROWS + 1
    })
}

/// The connection string: `DATABASE_URL`, else the libpq variables
/// (tokio-postgres does not read them itself).
fn conninfo() -> String {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return url;
    }
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_string());
    format!(
        "host={} port={} user={} password={} dbname={}",
        var("PGHOST", "127.0.0.1"),
        var("PGPORT", "5432"),
        var("PGUSER", "postgres"),
        var("PGPASSWORD", ""),
        var("PGDATABASE", "postgres"),
    )
}

fn main() {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 8000;
    let mut upstream = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--upstream" => upstream = true,
            "--host" => host = args.next().expect("--host takes an address"),
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("--port takes a number");
            }
            _ => {
                eprintln!("usage: io-ceiling [--upstream] [--host H] [--port P]");
                std::process::exit(2);
            }
        }
    }
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .expect("--host takes an IP address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let pool = if upstream {
            None
        } else {
            Some(Arc::new(connect().await))
        };
        serve(addr, pool).await;
    });
}

async fn connect() -> Pool {
    let size: usize = std::env::var("TFB_POOL_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let info = conninfo();
    let mut conns = Vec::with_capacity(size);
    for _ in 0..size {
        let (client, connection) = tokio_postgres::connect(&info, NoTls)
            .await
            .expect("connecting to the database");
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("io-ceiling: connection: {e}");
            }
        });
        let select = client
            .prepare("SELECT id, randomnumber FROM world WHERE id = $1")
            .await
            .expect("prepare");
        let update = client
            .prepare("UPDATE world SET randomnumber = $2 WHERE id = $1")
            .await
            .expect("prepare");
        let fortune = client
            .prepare("SELECT id, message FROM fortune")
            .await
            .expect("prepare");
        conns.push(Conn {
            client,
            select,
            update,
            fortune,
        });
    }
    Pool {
        conns,
        next: AtomicUsize::new(0),
    }
}

async fn serve(addr: SocketAddr, pool: Option<Arc<Pool>>) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(addr).expect("bind");
    let listener = socket.listen(1024).expect("listen");
    eprintln!("io-ceiling: listening on http://{addr}");
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .pipeline_flush(true)
        .writev(false)
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let pool = pool.clone();
        let service = service_fn(move |req| handle(req, pool.clone()));
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

fn reply(status: StatusCode, body: Vec<u8>) -> Resp {
    typed(status, JSON, body)
}

fn typed(status: StatusCode, content_type: HeaderValue, body: Vec<u8>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, content_type);
    r.headers_mut().insert(SERVER, NAME);
    r
}

fn json<T: Serialize>(value: &T) -> Resp {
    reply(
        StatusCode::OK,
        serde_json::to_vec(value).expect("serialisable"),
    )
}

/// TechEmpower's rule: 1..500, and 1 for anything that is not an integer.
fn count(query: Option<&str>) -> usize {
    let raw = query
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("queries="));
    raw.and_then(|v| v.parse::<i64>().ok())
        .map_or(1, |n| n.clamp(1, 500) as usize)
}

async fn handle(req: Request<Incoming>, pool: Option<Arc<Pool>>) -> Result<Resp, Infallible> {
    let Some(pool) = pool else {
        return Ok(reply(StatusCode::OK, br#"{"upstream":true}"#.to_vec()));
    };
    let result = match req.uri().path() {
        "/db" => single(&pool).await.map(|w| json(&w)),
        "/queries" => queries(&pool, count(req.uri().query()))
            .await
            .map(|w| json(&w)),
        "/updates" => updates(&pool, count(req.uri().query()))
            .await
            .map(|w| json(&w)),
        "/fortunes" => fortunes(&pool)
            .await
            .map(|page| typed(StatusCode::OK, HTML, page)),
        _ => {
            return Ok(reply(
                StatusCode::NOT_FOUND,
                br#"{"status_code":404,"detail":"Not Found"}"#.to_vec(),
            ));
        }
    };
    Ok(result.unwrap_or_else(|e| {
        eprintln!("io-ceiling: {e}");
        reply(
            StatusCode::SERVICE_UNAVAILABLE,
            br#"{"status_code":503,"detail":"Service Unavailable"}"#.to_vec(),
        )
    }))
}

async fn fetch(conn: &Conn, id: i32) -> Result<World, tokio_postgres::Error> {
    let row = conn.client.query_one(&conn.select, &[&id]).await?;
    Ok(World {
        id: row.get(0),
        random_number: row.get(1),
    })
}

async fn single(pool: &Pool) -> Result<World, tokio_postgres::Error> {
    fetch(pool.get(), random_row()).await
}

/// Distinct random ids, as the Python apps draw them.
fn distinct_ids(n: usize) -> Vec<i32> {
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let id = random_row();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

async fn queries(pool: &Pool, n: usize) -> Result<Vec<World>, tokio_postgres::Error> {
    let conn = pool.get();
    let mut out = Vec::with_capacity(n);
    for id in distinct_ids(n) {
        out.push(fetch(conn, id).await?);
    }
    Ok(out)
}

async fn updates(pool: &Pool, n: usize) -> Result<Vec<World>, tokio_postgres::Error> {
    let conn = pool.get();
    let mut ids = distinct_ids(n);
    ids.sort_unstable();
    let mut out = Vec::with_capacity(n);
    for id in ids {
        let mut w = fetch(conn, id).await?;
        w.random_number = random_row();
        out.push(w);
    }
    // Pipelined on the connection, as asyncpg's executemany sends them.
    let params: Vec<[&(dyn ToSql + Sync); 2]> = out
        .iter()
        .map(|w| [&w.id as &(dyn ToSql + Sync), &w.random_number])
        .collect();
    futures_util::future::try_join_all(
        params
            .iter()
            .map(|p| conn.client.execute(&conn.update, p.as_slice())),
    )
    .await?;
    Ok(out)
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped as askama and Jinja2 do.
fn escape(text: &str, out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&#34;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        out.extend_from_slice(&text.as_bytes()[start..i]);
        out.extend_from_slice(entity);
        start = i + 1;
    }
    out.extend_from_slice(&text.as_bytes()[start..]);
}

/// TechEmpower's fortunes page: every row, one added at request time,
/// sorted by message, escaped.
async fn fortunes(pool: &Pool) -> Result<Vec<u8>, tokio_postgres::Error> {
    let conn = pool.get();
    let rows = conn.client.query(&conn.fortune, &[]).await?;
    let mut list: Vec<(i32, &str)> = Vec::with_capacity(rows.len() + 1);
    for row in &rows {
        list.push((row.try_get(0)?, row.try_get(1)?));
    }
    list.push((0, "Additional fortune added at request time."));
    list.sort_unstable_by(|a, b| a.1.cmp(b.1));
    let mut page = Vec::with_capacity(2048);
    page.extend_from_slice(
        b"<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>",
    );
    for (id, message) in list {
        let _ = write!(page, "<tr><td>{id}</td><td>");
        escape(message, &mut page);
        page.extend_from_slice(b"</td></tr>");
    }
    page.extend_from_slice(b"</table></body></html>");
    Ok(page)
}
