//! Provider errors, classified so callers know whether to wait, retry, stop or skip.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// 429 or the provider's quota signal; wait `retry_after` when the server said how long.
    #[error("{provider} rate-limited the request{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs_f32())).unwrap_or_default())]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
    },
    /// 5xx, timeouts and broken connections: worth retrying with backoff.
    #[error("{provider} failed temporarily: {message}")]
    Transient { provider: String, message: String },
    /// No connection could be made (refused, unknown host). Retried like a transient failure,
    /// but once the retries are spent the whole run stops: every other request would fail the
    /// same way, and each would be marked failed only after its own retries.
    #[error(
        "{provider} cannot be reached: {message}; check --base-url (or `baseUrl` in .imaginize.config), that the server is running and the network; nothing is lost, re-run the same command to continue"
    )]
    Unreachable { provider: String, message: String },
    /// 401/403: the key is wrong or lacks access; the whole run stops.
    #[error(
        "{provider} refused the API key: {message}; check the key (--api-key, the provider's env var or `apiKey` in .imaginize.config)"
    )]
    Auth { provider: String, message: String },
    /// Content policy or safety refusal: never retried; the scene is recorded as rejected.
    #[error("{provider} rejected the request: {reason}")]
    Rejected { provider: String, reason: String },
    /// The answer could not be understood, even after JSON repair.
    #[error("{provider} sent a response imaginize cannot use: {message}")]
    BadResponse { provider: String, message: String },
    /// Missing key, bad URL, unknown model: fix the configuration.
    #[error("provider configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether a retry with backoff could help.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Transient { .. }
                | Error::Unreachable { .. }
                | Error::BadResponse { .. }
        )
    }

    /// Whether every other request of the run would fail the same way (a refused key, a broken
    /// configuration, a server that cannot be reached): the run stops instead of failing the
    /// chapters one by one.
    pub fn stops_the_run(&self) -> bool {
        matches!(
            self,
            Error::Auth { .. } | Error::Config(_) | Error::Unreachable { .. }
        )
    }
}
