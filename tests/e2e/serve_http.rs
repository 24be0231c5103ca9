//! A plain HTTP/1.1 client over a TCP socket for the `serve` tests: it sends exactly the bytes
//! a test writes (a raw `..`, a forged `Host`, garbage), which a real client would normalise or
//! refuse to send. Also `Served`: `imaginize serve` started in the background.

use crate::harness::{Folder, Spawned, wait_until};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// An answer: status, head (lower-cased) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// A server: its address and, when the test started it, its process.
pub struct Served {
    pub addr: String,
    pub process: Option<Spawned>,
}

impl Served {
    /// Starts `imaginize serve --port 0` with `args` in `folder` and waits for its line.
    pub fn start(folder: &mut Folder, args: &[&str]) -> Served {
        let mut all = vec!["serve", "--port", "0"];
        all.extend_from_slice(args);
        let process = folder.spawn(&all);
        let ready = wait_until(Duration::from_secs(20), || {
            process.stdout().starts_with("Serving on http://")
        });
        assert!(ready, "no Serving line: {}", process.stderr());
        let line = process.stdout();
        assert_eq!(line.lines().count(), 1, "{line}");
        let addr = line
            .trim()
            .trim_start_matches("Serving on http://")
            .trim_end_matches('/')
            .to_owned();
        Served {
            addr,
            process: Some(process),
        }
    }

    /// A server another process started (a run with `--serve`).
    pub fn at(addr: String) -> Served {
        Served {
            addr,
            process: None,
        }
    }

    /// What the server printed on stderr.
    pub fn stderr(&self) -> String {
        self.process
            .as_ref()
            .map(Spawned::stderr)
            .unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.addr
        ))
    }

    /// A POST as a script sends it: form body, the CSRF header, no `Origin`.
    pub fn post(&self, path: &str, csrf: &str, form: &str) -> Answer {
        self.send(&format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nX-CSRF-Token: {csrf}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            self.addr,
            form.len()
        ))
    }

    /// The CSRF token, as a script gets it.
    pub fn csrf(&self) -> String {
        let books: serde_json::Value =
            serde_json::from_str(&self.get("/api/books").body).expect("JSON");
        books["csrf"].as_str().expect("csrf").to_owned()
    }

    /// Sends `raw` and reads the answer to its end (`Connection: close` is added).
    pub fn send(&self, raw: &str) -> Answer {
        let raw = raw.replacen("\r\n", "\r\nConnection: close\r\n", 1);
        let text = exchange(&self.addr, raw.as_bytes(), Duration::from_secs(10), None);
        parse(&text)
    }

    /// Opens the event stream with `extra` headers and reads until `until` is in what came or
    /// `limit` passes.
    pub fn events(&self, path: &str, extra: &str, until: &str, limit: Duration) -> String {
        let raw = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n{extra}\r\n",
            self.addr
        );
        exchange(&self.addr, raw.as_bytes(), limit, Some(until))
    }
}

/// Writes `request` and reads until the peer closes, `until` shows up, or `limit` passes.
pub fn exchange(addr: &str, request: &[u8], limit: Duration, until: Option<&str>) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    stream.write_all(request).expect("write");
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buffer = [0u8; 65536];
    while started.elapsed() < limit {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
        if until.is_some_and(|u| String::from_utf8_lossy(&got).contains(u)) || whole(&got) {
            break;
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Whether `got` is a whole answer with a `Content-Length` (a peer may keep the connection).
fn whole(got: &[u8]) -> bool {
    let text = String::from_utf8_lossy(got);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

fn parse(text: &str) -> Answer {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_lowercase(),
        body: body.to_owned(),
    }
}
