//! A tiny HTTP/1.1 client over `std::net::TcpStream`, for the runtime's tests.
//!
//! Deliberately minimal and strict: it sends bytes exactly as given and
//! parses responses by `Content-Length` (no chunked encoding: the runtime
//! always knows its body length), so tests see the wire as it is.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
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

    /// The body as text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

/// A keep-alive connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
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
        self.reader
            .get_mut()
            .set_read_timeout(Some(within))
            .unwrap();
        let mut byte = [0u8; 1];
        let closed = match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ),
        };
        self.reader
            .get_mut()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        closed
    }

    /// Whether a complete response is buffered or arrives within `within`.
    pub fn readable_within(&mut self, within: Duration) -> bool {
        if !self.reader.buffer().is_empty() {
            return true;
        }
        self.reader
            .get_mut()
            .set_read_timeout(Some(within))
            .unwrap();
        let ready = self.reader.fill_buf().is_ok_and(|b| !b.is_empty());
        self.reader
            .get_mut()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        ready
    }

    /// Reads one response (`head`: it answers a HEAD request, so no body).
    pub fn read(&mut self, head: bool) -> Response {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let mut parts = line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
        let status: u16 = parts
            .next()
            .expect("status")
            .parse()
            .expect("numeric status");
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
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse::<usize>().expect("content-length"));
        let mut body = vec![0; if head { 0 } else { len }];
        self.reader.read_exact(&mut body).expect("body");
        Response {
            status,
            headers,
            body,
        }
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

    pub fn get(&mut self, target: &str) -> Response {
        self.request("GET", target, &[], b"")
    }
}

/// A request's bytes.
pub fn raw(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nhost: test\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
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

/// Asserts status and exact body.
#[track_caller]
pub fn assert_response(resp: &Response, status: u16, body: &str) {
    assert_eq!((resp.status, resp.text()), (status, body), "{resp:?}");
}

/// What msgspec 0.22 answers, from the build's interpreter: runs `code`
/// (Python that prints one line) and returns its output.
pub fn python(code: &str) -> String {
    let out = std::process::Command::new(env!("PREBAKE_PYTHON"))
        .args(["-c", code])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim_end_matches('\n')
        .to_owned()
}
