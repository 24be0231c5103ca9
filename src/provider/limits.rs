//! Concurrency and requests-per-minute caps for one model: a semaphore for calls in flight and
//! an optional pacer that spaces request starts evenly over the minute.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The caps for one model, shared by every call to it.
#[derive(Debug, Clone)]
pub struct Limits {
    slots: Arc<Semaphore>,
    pacer: Option<Arc<Pacer>>,
}

#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Limits {
    /// `jobs` calls in flight at once (at least one) and at most `rpm` starts per minute.
    pub fn new(jobs: usize, rpm: Option<u32>) -> Self {
        let pacer = rpm.filter(|r| *r > 0).map(|r| {
            Arc::new(Pacer {
                interval: Duration::from_secs_f64(60.0 / f64::from(r)),
                next: Mutex::new(Instant::now()),
            })
        });
        Limits {
            slots: Arc::new(Semaphore::new(jobs.max(1))),
            pacer,
        }
    }

    /// Waits for a free slot and, with an rpm cap, for this request's turn.
    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        // The semaphore is never closed, so an error cannot happen; None just means "no slot".
        let permit = self.slots.clone().acquire_owned().await.ok();
        if let Some(pacer) = &self.pacer {
            let mut next = pacer.next.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + pacer.interval;
            drop(next);
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Paused time: the timeouts and the pacer's spacing are exact, not wall-clock guesses.
    #[tokio::test(start_paused = true)]
    async fn caps_calls_in_flight() {
        let limits = Limits::new(2, None);
        let a = limits.acquire().await;
        let _b = limits.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limits.acquire()).await;
        assert!(third.is_err(), "a third call must wait for a slot");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(50), limits.acquire()).await;
        assert!(third.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_rpm() {
        let limits = Limits::new(4, Some(600)); // one start every 100 ms
        let t0 = Instant::now();
        for _ in 0..3 {
            let _p = limits.acquire().await;
        }
        assert_eq!(t0.elapsed(), Duration::from_millis(200));
    }
}
