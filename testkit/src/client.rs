//! A tiny HTTP/1.1 client over `std::net::TcpStream`.
//!
//! Deliberately minimal and strict: it sends bytes exactly as given, and
//! reads a response by its `Content-Length` (the runtime frames every body
//! it writes with one, so a chunked response is a failure here), so tests
//! see the wire as it is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a read waits before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (empty for a HEAD request).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text; it must be UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|e| panic!("body is not UTF-8 ({e}): {:?}", self.body))
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One keep-alive connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    /// Connects to `addr`.
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("read timeout");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            reader: BufReader::new(stream),
        }
    }

    /// Writes raw bytes.
    pub fn send(&mut self, raw: &[u8]) {
        self.reader.get_mut().write_all(raw).expect("write");
    }

    /// Writes raw bytes; false when the server has closed the connection.
    pub fn try_send(&mut self, raw: &[u8]) -> bool {
        self.reader.get_mut().write_all(raw).is_ok()
    }

    /// Waits up to `within` for the server to close the connection (EOF or
    /// reset) without sending anything; `false` on timeout or data.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        self.set_read_timeout(within);
        let mut byte = [0u8; 1];
        let closed = match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ),
        };
        self.set_read_timeout(READ_TIMEOUT);
        closed
    }

    /// Whether response bytes are buffered or arrive within `within`.
    pub fn readable_within(&mut self, within: Duration) -> bool {
        if !self.reader.buffer().is_empty() {
            return true;
        }
        self.set_read_timeout(within);
        let ready = self.reader.fill_buf().is_ok_and(|b| !b.is_empty());
        self.set_read_timeout(READ_TIMEOUT);
        ready
    }

    fn set_read_timeout(&mut self, timeout: Duration) {
        self.reader
            .get_mut()
            .set_read_timeout(Some(timeout))
            .expect("read timeout");
    }

    /// Reads one response (`head`: it answers a HEAD request, so no body).
    pub fn read(&mut self, head: bool) -> Response {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let mut parts = line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).expect("header line");
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').expect("header colon");
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        assert_eq!(
            response.header("transfer-encoding"),
            None,
            "the runtime frames its bodies with Content-Length"
        );
        let len = response
            .header("content-length")
            .map_or(0, |v| v.parse::<usize>().expect("content-length"));
        if !head {
            response.body.resize(len, 0);
            self.reader.read_exact(&mut response.body).expect("body");
        }
        response
    }

    /// Sends a request and reads its response.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(&raw(method, target, headers, body));
        self.read(method == "HEAD")
    }

    /// `GET target`.
    pub fn get(&mut self, target: &str) -> Response {
        self.request("GET", target, &[], b"")
    }
}

/// A request's bytes: `host: localhost`, the given headers, and a
/// `content-length` when there is a body or the method takes one.
pub fn raw(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nhost: localhost\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// One request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    Conn::open(addr).request(method, target, headers, body)
}

/// `GET target` on a fresh connection.
pub fn get(addr: SocketAddr, target: &str) -> Response {
    request(addr, "GET", target, &[], b"")
}

/// `POST target` with a JSON body on a fresh connection.
pub fn post_json(addr: SocketAddr, target: &str, body: &str) -> Response {
    request(
        addr,
        "POST",
        target,
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

/// Asserts the status and the exact body.
#[track_caller]
pub fn assert_response(resp: &Response, status: u16, body: &str) {
    assert_eq!(
        (resp.status, String::from_utf8_lossy(&resp.body).as_ref()),
        (status, body),
        "{resp:?}"
    );
}
