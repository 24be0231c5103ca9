//! How long artifacts in an object store wait out storage that cannot be reached (a server
//! restarted, a network blip): as long as the database's calls do (60 s), then the error.
//!
//! `object_store` retries most requests itself (connection refused, a dropped connection
//! before the request was sent, 5xx, and timeouts of idempotent requests), under the
//! [`RetryConfig`] set here on purpose. What it does not retry is a create-if-absent put cut
//! off mid-request (it is not idempotent: it may have landed); [`Backoff`] and [`transient`]
//! are our retry of that one (`Object::put_new`), which checks what it finds afterwards.

use object_store::client::{HttpError, HttpErrorKind};
use object_store::{BackoffConfig, RetryConfig};
use std::time::Duration;

/// How long a call keeps retrying storage it cannot reach, as the database's calls do.
pub(super) const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
const FIRST_WAIT: Duration = Duration::from_millis(100);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// `object_store`'s own retries: bounded by time ([`GIVE_UP_AFTER`], not its default 3 min
/// or 10 retries, which can be spent in a second or two of a restart), waits growing from
/// 0.1 s to at most 5 s so a server back after a few seconds is found within one wait.
pub(super) fn client_retries() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: FIRST_WAIT,
            max_backoff: LONGEST_WAIT,
            base: 2.0,
        },
        max_retries: 1000,
        retry_timeout: GIVE_UP_AFTER,
    }
}

/// Our retry's waits: doubling from `first` up to `longest`, none once `give_up_after` has
/// passed since the first attempt.
#[derive(Debug, Clone, Copy)]
pub(super) struct Backoff {
    pub first: Duration,
    pub longest: Duration,
    pub give_up_after: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: FIRST_WAIT,
            longest: LONGEST_WAIT,
            give_up_after: GIVE_UP_AFTER,
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first), `elapsed` after the first
    /// attempt began; `None` when it is time to give up. Never waits past the deadline.
    pub fn wait(&self, retry: u32, elapsed: Duration) -> Option<Duration> {
        let left = self.give_up_after.checked_sub(elapsed)?;
        if left.is_zero() {
            return None;
        }
        let doubled = self
            .first
            .saturating_mul(2u32.saturating_pow(retry.min(30)));
        Some(doubled.min(self.longest).min(left))
    }
}

/// Whether `error` is the storage being out of reach (a connection refused, cut or timed out)
/// rather than an answer: only then is a retry worth it.
pub(super) fn transient(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(http) = error.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect
                    | HttpErrorKind::Request
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
            );
        }
        next = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(kind: HttpErrorKind) -> object_store::Error {
        let cause = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        object_store::Error::Generic {
            store: "S3",
            source: Box::new(HttpError::new(kind, cause)),
        }
    }

    #[test]
    fn the_waits_double_up_to_the_longest_and_stop_at_the_deadline() {
        let backoff = Backoff::default();
        let waits: Vec<_> = (0..8)
            .map(|n| {
                backoff
                    .wait(n, Duration::ZERO)
                    .expect("within the deadline")
            })
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(backoff.wait(1000, Duration::ZERO), Some(LONGEST_WAIT));
        let near_the_end = GIVE_UP_AFTER - Duration::from_millis(300);
        assert_eq!(
            backoff.wait(10, near_the_end),
            Some(Duration::from_millis(300)),
            "never past the deadline"
        );
        assert_eq!(backoff.wait(0, GIVE_UP_AFTER), None);
        assert_eq!(backoff.wait(0, GIVE_UP_AFTER * 2), None);
    }

    #[test]
    fn waiting_out_a_restart_takes_about_as_long_as_the_restart() {
        // A server down for 3 s is found again within one longest wait of coming back.
        let backoff = Backoff::default();
        let (mut elapsed, mut retry) = (Duration::ZERO, 0);
        while elapsed < Duration::from_secs(3) {
            elapsed += backoff.wait(retry, elapsed).expect("not given up");
            retry += 1;
        }
        assert!(
            elapsed < Duration::from_secs(3) + LONGEST_WAIT,
            "{elapsed:?}"
        );
    }

    #[test]
    fn only_storage_out_of_reach_is_transient() {
        for kind in [
            HttpErrorKind::Connect,
            HttpErrorKind::Request,
            HttpErrorKind::Timeout,
            HttpErrorKind::Interrupted,
        ] {
            assert!(transient(&wrapped(kind)), "{kind:?}");
        }
        assert!(!transient(&wrapped(HttpErrorKind::Decode)));
        let answer = object_store::Error::NotFound {
            path: "a".into(),
            source: "missing".into(),
        };
        assert!(!transient(&answer));
        let exists = object_store::Error::AlreadyExists {
            path: "a".into(),
            source: "there".into(),
        };
        assert!(!transient(&exists));
    }

    #[test]
    fn the_clients_own_retries_are_bounded_by_the_same_time() {
        let config = client_retries();
        assert_eq!(config.retry_timeout, GIVE_UP_AFTER);
        assert_eq!(config.backoff.max_backoff, LONGEST_WAIT);
        assert!(config.max_retries as u128 * FIRST_WAIT.as_millis() > GIVE_UP_AFTER.as_millis());
    }
}
