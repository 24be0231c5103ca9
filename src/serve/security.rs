//! Who may ask what. Every request: its `Host` must be one this server answers to (a web page
//! elsewhere cannot reach a loopback server through DNS rebinding), and when the server has an
//! access token, the request must carry it. Every POST: same-origin (`Origin`, else `Referer`)
//! and the server's CSRF token (header `X-CSRF-Token` or `?csrf=`), so no other site can make the
//! browser retry a chapter or rewrite the cast. Every answer gets headers that keep it from being
//! framed, sniffed or given scripts from elsewhere.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::io::Read;
use std::sync::Arc;

/// The cookie the first visit with `?token=` sets, so links, images and the event stream work.
pub const TOKEN_COOKIE: &str = "imaginize_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The server's secrets and the names it answers to.
#[derive(Debug)]
pub struct Guard {
    /// Required on every request when set (any host but a loopback one).
    pub token: Option<String>,
    /// Required on every POST.
    pub csrf: String,
    /// `host:port` values accepted in `Host`; empty means any (a token protects the server).
    pub hosts: Vec<String>,
}

impl Guard {
    /// The guard of a server bound to `host:port`.
    pub fn new(host: &str, port: u16, token: Option<String>) -> Result<Guard, super::Error> {
        let hosts = if is_loopback(host) {
            ["127.0.0.1", "localhost", "[::1]"]
                .iter()
                .map(|h| format!("{h}:{port}"))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Guard {
            token,
            csrf: random_token()?,
            hosts,
        })
    }
}

/// Whether binding to `host` keeps the server on this machine.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A token for `--token`: long and plain enough to be typed in a URL.
pub fn is_good_token(token: &str) -> bool {
    token.len() >= 16
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 32 hex characters from the system's random source.
pub fn random_token() -> Result<String, super::Error> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(super::Error::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The middleware: refuses what the guard does not allow, marks every answer.
pub async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !guard.hosts.is_empty() && !guard.hosts.iter().any(|h| h == host) {
        return refuse(StatusCode::MISDIRECTED_REQUEST, "unknown Host");
    }
    let query = request.uri().query().unwrap_or("");
    let from_query = guard
        .token
        .as_deref()
        .is_some_and(|t| query_value(query, "token").is_some_and(|q| same(&q, t)));
    if let Some(token) = &guard.token
        && !from_query
        && !carries_token(headers, token)
    {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "this server needs its access token",
        );
    }
    if request.method() == Method::POST {
        if !same_origin(headers, host) {
            return refuse(StatusCode::FORBIDDEN, "cross-origin request refused");
        }
        let csrf = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| query_value(query, "csrf"));
        if !csrf.is_some_and(|c| same(&c, &guard.csrf)) {
            return refuse(StatusCode::FORBIDDEN, "missing or wrong CSRF token");
        }
    } else if request.method() != Method::GET && request.method() != Method::HEAD {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "only GET and POST");
    }
    let mut response = next.run(request).await;
    mark(response.headers_mut());
    if from_query && let Some(token) = &guard.token {
        let cookie = format!("{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    let mut response = (status, why).into_response();
    mark(response.headers_mut());
    response
}

/// Headers on every answer: no framing, no sniffing, scripts and styles from this server only.
fn mark(headers: &mut HeaderMap) {
    let set = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ];
    for (name, value) in set {
        // A route may have set a policy of its own (files of the folder: see `site::file`).
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

fn carries_token(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|v| same(v.trim(), token));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == TOKEN_COOKIE && same(value, token));
    bearer || cookie
}

/// A POST from a page of this server, or from a client that is no browser (no `Origin` nor
/// `Referer`: a script, which still needs the CSRF token).
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    let ours = format!("http://{host}");
    let value = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    match (value(header::ORIGIN), value(header::REFERER)) {
        (Some(origin), _) => origin == ours,
        (None, Some(referer)) => referer == ours || referer.starts_with(&format!("{ours}/")),
        (None, None) => true,
    }
}

/// The value of `name` in a query string (percent-decoded).
fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
}

/// Compares in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_told_apart() {
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["0.0.0.0", "192.168.1.2", "example.com", "::"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn tokens_compare_whole_and_are_random() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "abcd"));
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert!(a != b && is_good_token(&a) && a.len() == 32);
        assert!(!is_good_token("short") && !is_good_token("with spaces in it, long"));
    }

    #[test]
    fn origin_must_be_ours() {
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers, "127.0.0.1:1"));
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:1/books/a"),
        );
        assert!(same_origin(&headers, "127.0.0.1:1"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&headers, "127.0.0.1:1"));
        assert_eq!(
            query_value("a=1&csrf=x%20y", "csrf").as_deref(),
            Some("x y")
        );
    }
}
