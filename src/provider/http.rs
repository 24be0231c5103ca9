//! The HTTP plumbing shared by the network providers: one client, sending JSON, and turning
//! statuses, headers and transport failures into the error classes of `provider::Error`.

use super::Error;
use crate::secret::Secret;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// Longest excerpt of an error body we put in a message.
const EXCERPT: usize = 300;

/// A client with the configured per-request timeout.
pub(crate) fn client(timeout_secs: u64) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(timeout_secs.clamp(1, 30)))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Sends `request` and returns the body parsed as JSON, or the classified error.
pub(crate) async fn send_json(
    provider: &str,
    key: Option<&Secret>,
    request: RequestBuilder,
) -> Result<Value, Error> {
    let bytes = send_bytes(provider, key, request).await?;
    parse_json(provider, &bytes)
}

/// Sends `request` and returns the raw body of a successful answer.
pub(crate) async fn send_bytes(
    provider: &str,
    key: Option<&Secret>,
    request: RequestBuilder,
) -> Result<Vec<u8>, Error> {
    let answer = send_raw(provider, key, request).await?;
    answer.into_bytes(provider, key)
}

/// An answer whatever its status, for callers that treat some failures themselves (an edit
/// endpoint that refuses pictures is a reason to draw without them, not an error).
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body of a successful answer, else the classified error.
    pub(crate) fn into_bytes(self, provider: &str, key: Option<&Secret>) -> Result<Vec<u8>, Error> {
        if self.status.is_success() {
            return Ok(self.body);
        }
        let text = String::from_utf8_lossy(&self.body);
        Err(classify(provider, key, self.status, &self.headers, &text))
    }

    /// `into_bytes`, parsed as JSON.
    pub(crate) fn into_json(self, provider: &str, key: Option<&Secret>) -> Result<Value, Error> {
        let bytes = self.into_bytes(provider, key)?;
        parse_json(provider, &bytes)
    }
}

fn parse_json(provider: &str, bytes: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadResponse {
        provider: provider.to_string(),
        message: format!("the response body is not JSON: {e}"),
    })
}

/// Sends `request` and returns the answer; only transport failures are errors here.
pub(crate) async fn send_raw(
    provider: &str,
    key: Option<&Secret>,
    request: RequestBuilder,
) -> Result<Answer, Error> {
    let response = request
        .send()
        .await
        .map_err(|e| transport(provider, key, &e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport(provider, key, &e))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// Timeouts, refused connections and broken bodies: all worth a retry. A connection that
/// cannot be made at all (refused, unknown host, no answer to the connect) is `Unreachable`,
/// which stops the run once its retries are spent.
fn transport(provider: &str, key: Option<&Secret>, e: &reqwest::Error) -> Error {
    let provider = provider.to_string();
    if e.is_connect() {
        // reqwest's own message leaves out why ("Connection refused"): add the causes.
        let message = scrub(&crate::error::chain(e), key);
        return Error::Unreachable { provider, message };
    }
    let what = if e.is_timeout() {
        "the request timed out"
    } else {
        "the connection failed"
    };
    Error::Transient {
        provider,
        message: scrub(&format!("{what}: {e}"), key),
    }
}

/// Maps a failed HTTP answer to an error class.
pub(crate) fn classify(
    provider: &str,
    key: Option<&Secret>,
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> Error {
    let provider = provider.to_string();
    let message = scrub(&format!("HTTP {}: {}", status.as_u16(), excerpt(body)), key);
    let lower = body.to_ascii_lowercase();
    if status == StatusCode::TOO_MANY_REQUESTS || lower.contains("resource_exhausted") {
        return Error::RateLimited {
            provider,
            retry_after: retry_after(headers),
        };
    }
    if status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
        || lower.contains("api_key_invalid")
    {
        return Error::Auth { provider, message };
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Error::Transient { provider, message };
    }
    if [
        "content_policy_violation",
        "moderation_blocked",
        "safety",
        "content_filter",
    ]
    .iter()
    .any(|code| lower.contains(code))
    {
        return Error::Rejected {
            provider,
            reason: message,
        };
    }
    if ["context_length_exceeded", "maximum context length"]
        .iter()
        .any(|code| lower.contains(code))
    {
        return Error::Config(format!(
            "{provider} refused the request as longer than the model reads ({message}); lower `chunkTokens` in .imaginize.config"
        ));
    }
    Error::Config(format!(
        "{provider} refused the request ({message}); check the model name and base URL"
    ))
}

/// Removes the key from a message, in case a server or library echoes it back.
pub(crate) fn scrub(message: &str, key: Option<&Secret>) -> String {
    match key {
        Some(k) if !k.expose().is_empty() => message.replace(k.expose(), &k.redacted()),
        _ => message.to_string(),
    }
}

fn excerpt(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > EXCERPT {
        format!("{}…", flat.chars().take(EXCERPT).collect::<String>())
    } else {
        flat
    }
}

/// The wait the server asked for: `Retry-After` (seconds or HTTP date), else the longest of
/// OpenAI's `x-ratelimit-reset-requests` / `-tokens` ("1s", "6m0s", "20ms").
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(v) = header("retry-after") {
        let v = v.trim();
        if let Ok(secs) = v.parse::<f64>() {
            return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(v) {
            let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
            return Some(wait.to_std().unwrap_or(Duration::ZERO));
        }
    }
    ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
        .iter()
        .filter_map(|name| header(name).and_then(parse_go_duration))
        .max()
}

/// Parses Go-style durations such as "1s", "6m0s", "20ms", "1h2m3.5s".
pub(crate) fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0f64;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" | "" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_go_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_go_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_go_duration("soon"), None);
    }

    #[test]
    fn reads_retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = chrono::Utc::now() + chrono::Duration::seconds(30);
        let date = later.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_str(&date).unwrap_or(HeaderValue::from_static("0")),
        );
        let wait = retry_after(&h).unwrap_or_default();
        assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30));
        let mut h = HeaderMap::new();
        h.insert(
            "x-ratelimit-reset-requests",
            HeaderValue::from_static("20ms"),
        );
        h.insert("x-ratelimit-reset-tokens", HeaderValue::from_static("6m0s"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(360)));
    }

    #[test]
    fn classifies_statuses() {
        let h = HeaderMap::new();
        let key = Secret::new("sk-test-supersecretkey1234");
        let c = |s: u16, body: &str| {
            classify(
                "openai",
                Some(&key),
                StatusCode::from_u16(s).unwrap_or_default(),
                &h,
                body,
            )
        };
        assert!(matches!(c(429, ""), Error::RateLimited { .. }));
        assert!(matches!(c(503, ""), Error::Transient { .. }));
        let too_long = c(
            400,
            r#"{"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 8192 tokens"}}"#,
        );
        assert!(
            matches!(&too_long, Error::Config(m) if m.contains("chunkTokens")),
            "{too_long}"
        );
        assert!(matches!(
            c(400, r#"{"error":{"code":"content_policy_violation"}}"#),
            Error::Rejected { .. }
        ));
        assert!(matches!(c(404, "no such model"), Error::Config(_)));
        let auth = c(
            401,
            "Incorrect API key provided: sk-test-supersecretkey1234",
        );
        assert!(matches!(auth, Error::Auth { .. }));
        assert!(!auth.to_string().contains("supersecretkey"));
        assert!(!format!("{auth:?}").contains("supersecretkey"));
    }
}
