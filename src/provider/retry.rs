//! The one retry layer: `RetryingText` / `RetryingImage` wrap any model, take a slot from its
//! `Limits` per attempt and retry what is worth retrying (backoff with jitter for transient and
//! bad responses, the server's wait for rate limits). Auth, Rejected and Config return at once.

use super::limits::Limits;
use super::{Error, ImageMeta, ImageModel, ImageOptions, ImageRequest, Settings, TextModel};
use super::{TextRequest, Usage};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How often and how long to retry one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// No retry starts once waiting would pass this total.
    pub max_total: Duration,
    /// First backoff; doubles per attempt.
    pub base: Duration,
    /// Longest single backoff.
    pub cap: Duration,
}

impl RetryPolicy {
    pub fn from_settings(settings: &Settings) -> Self {
        RetryPolicy {
            max_retries: settings.max_retries,
            max_total: Duration::from_secs(settings.max_retry_secs),
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
        }
    }

    /// Exponential backoff with jitter: a random wait in [d/2, d], d = base·2^attempt ≤ cap.
    fn backoff(&self, attempt: u32) -> Duration {
        let d = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.cap);
        d.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// Runs `op` under `limits`, retrying per `policy`.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    limits: &Limits,
    mut op: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let permit = limits.acquire().await;
        let result = op().await;
        drop(permit);
        let err = match result {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !err.is_retryable() || attempt >= policy.max_retries {
            return Err(err);
        }
        let wait = match &err {
            Error::RateLimited {
                retry_after: Some(d),
                ..
            } => *d,
            _ => policy.backoff(attempt),
        };
        if started.elapsed() + wait > policy.max_total {
            return Err(err);
        }
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// A text model with limits and retries.
pub struct RetryingText {
    pub inner: Arc<dyn TextModel>,
    pub policy: RetryPolicy,
    pub limits: Limits,
}

#[async_trait]
impl TextModel for RetryingText {
    fn wrapped(&self) -> Option<&dyn TextModel> {
        Some(self.inner.as_ref())
    }

    fn slots(&self) -> Option<Arc<tokio::sync::Semaphore>> {
        Some(self.limits.slots())
    }

    async fn complete_json(
        &self,
        request: &TextRequest,
    ) -> Result<(serde_json::Value, Usage), Error> {
        with_retries(&self.policy, &self.limits, || {
            self.inner.complete_json(request)
        })
        .await
    }
}

/// An image model with limits and retries.
pub struct RetryingImage {
    pub inner: Arc<dyn ImageModel>,
    pub policy: RetryPolicy,
    pub limits: Limits,
}

#[async_trait]
impl ImageModel for RetryingImage {
    fn wrapped(&self) -> Option<&dyn ImageModel> {
        Some(self.inner.as_ref())
    }

    fn slots(&self) -> Option<Arc<tokio::sync::Semaphore>> {
        Some(self.limits.slots())
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        with_retries(&self.policy, &self.limits, || {
            self.inner.generate(request, options)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// An image model that answers every question differently from the defaults.
    struct Particular;

    #[async_trait]
    impl ImageModel for Particular {
        fn name(&self) -> String {
            "particular".into()
        }

        fn max_prompt_chars(&self) -> usize {
            123
        }

        fn max_references(&self) -> usize {
            5
        }

        async fn generate(
            &self,
            _: &ImageRequest,
            _: &ImageOptions,
        ) -> Result<(Vec<u8>, ImageMeta), Error> {
            Err(Error::Config("never called".into()))
        }
    }

    #[test]
    fn a_wrapper_answers_what_the_model_it_wraps_answers_and_owns_only_its_slots() {
        let retrying = RetryingImage {
            inner: Arc::new(Particular),
            policy: fast(),
            limits: Limits::new(2, None),
        };
        let outer: &dyn ImageModel = &retrying;
        assert_eq!(outer.name(), "particular");
        assert_eq!(outer.max_prompt_chars(), 123);
        assert_eq!(outer.max_references(), 5);
        assert_eq!(outer.slots().map(|s| s.available_permits()), Some(2));
        assert_eq!(Particular.slots().map(|s| s.available_permits()), None);
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            max_total: Duration::from_secs(5),
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
        }
    }

    async fn count_calls(first: Error) -> (Result<(), Error>, u32) {
        let calls = AtomicU32::new(0);
        let r = with_retries(&fast(), &Limits::new(1, None), || {
            calls.fetch_add(1, Ordering::SeqCst);
            let e = first.clone();
            async move { Err::<(), _>(e) }
        })
        .await;
        (r, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn never_retries_auth_rejected_or_config() {
        let auth = Error::Auth {
            provider: "p".into(),
            message: "m".into(),
        };
        assert_eq!(count_calls(auth).await.1, 1);
        let rej = Error::Rejected {
            provider: "p".into(),
            reason: "r".into(),
        };
        assert_eq!(count_calls(rej).await.1, 1);
        assert_eq!(count_calls(Error::Config("c".into())).await.1, 1);
    }

    #[tokio::test]
    async fn retries_transient_up_to_the_bound() {
        let e = Error::Transient {
            provider: "p".into(),
            message: "m".into(),
        };
        let (r, calls) = count_calls(e).await;
        assert!(matches!(r, Err(Error::Transient { .. })));
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn gives_up_when_the_server_wait_exceeds_the_budget() {
        let e = Error::RateLimited {
            provider: "p".into(),
            retry_after: Some(Duration::from_secs(60)),
        };
        let (r, calls) = count_calls(e).await;
        assert!(matches!(r, Err(Error::RateLimited { .. })));
        assert_eq!(calls, 1);
    }
}
