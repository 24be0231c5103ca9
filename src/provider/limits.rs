//! Concurrency and requests-per-minute caps for one model: a semaphore for calls in flight and
//! an optional pacer that spaces request starts evenly over the minute.
//!
//! The semaphore is the only one of its limit in the process (docs/ARCHITECTURE.md §4): the
//! pipeline takes its request slots from it ([`Limits::slots`], reached through the model's
//! `slots()`), holds a slot from a task's start until its answer, and runs the call inside
//! [`with_slot`], where the retry layer's per-attempt `acquire` counts against that slot
//! instead of taking a second one. Callers outside the pipeline take a permit per attempt.

use std::future::Future;
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

    /// The semaphore of calls in flight, for callers that hold a slot across a call.
    pub fn slots(&self) -> Arc<Semaphore> {
        self.slots.clone()
    }

    /// Waits for a free slot (unless the caller runs [`with_slot`] of this semaphore) and, with
    /// an rpm cap, for this request's turn.
    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        let lent = LENT
            .try_with(|held| *held == Arc::as_ptr(&self.slots) as usize)
            .unwrap_or(false);
        // The semaphore is never closed, so an error cannot happen; None just means "no slot".
        let permit = if lent {
            None
        } else {
            self.slots.clone().acquire_owned().await.ok()
        };
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

tokio::task_local! {
    /// The semaphore (by address) whose permit the running task holds for its model calls.
    static LENT: usize;
}

/// Runs `call` as the holder of a permit of `slots`: the model calls it makes count against
/// that permit (one call in flight at a time, as the caller's own code makes them) instead of
/// waiting for another, which with one slot would never come.
pub async fn with_slot<F: Future>(slots: &Arc<Semaphore>, call: F) -> F::Output {
    LENT.scope(Arc::as_ptr(slots) as usize, call).await
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
    async fn a_call_inside_its_callers_slot_takes_no_second_one() {
        let limits = Limits::new(1, None);
        let slots = limits.slots();
        let _held = slots.clone().acquire_owned().await.unwrap();
        let inside = tokio::time::timeout(
            Duration::from_millis(50),
            with_slot(&slots, limits.acquire()),
        )
        .await;
        assert!(inside.is_ok(), "the caller's own slot was waited for");
        // Another model's semaphore is not lent by this scope.
        let other = Limits::new(1, None);
        let _busy = other.slots().acquire_owned().await.unwrap();
        let elsewhere = tokio::time::timeout(
            Duration::from_millis(50),
            with_slot(&slots, other.acquire()),
        )
        .await;
        assert!(elsewhere.is_err(), "a slot of another limit was skipped");
        let outside = tokio::time::timeout(Duration::from_millis(50), limits.acquire()).await;
        assert!(
            outside.is_err(),
            "a caller without the slot got past the cap"
        );
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
