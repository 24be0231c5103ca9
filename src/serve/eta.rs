//! Rates and ETAs from a moving average of the latest completions: the time the last
//! `WINDOW` completions took, so a run that speeds up or slows down shows it within minutes.

use serde::Serialize;

/// How many of the latest completions the rate is measured over.
pub const WINDOW: usize = 20;

/// One pipeline's progress.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Pipeline {
    pub done: u64,
    pub total: u64,
    /// Completions per minute over the window; `None` before two were seen.
    pub per_min: Option<f64>,
    /// Seconds left at that rate; `Some(0)` when done, `None` without a rate.
    pub eta_secs: Option<u64>,
}

/// The pipeline with `done` of `total` finished, `times` (seconds since the epoch, any order)
/// being when the finished ones finished.
pub fn pipeline(done: u64, total: u64, mut times: Vec<f64>) -> Pipeline {
    times.sort_by(f64::total_cmp);
    let per_sec = rate(&times);
    let left = total.saturating_sub(done);
    let eta_secs = if left == 0 {
        Some(0)
    } else {
        per_sec.map(|r| (left as f64 / r).round() as u64)
    };
    Pipeline {
        done,
        total,
        per_min: per_sec.map(|r| (r * 60.0 * 10.0).round() / 10.0),
        eta_secs,
    }
}

/// Completions per second over the last `WINDOW` of the sorted `times`.
fn rate(times: &[f64]) -> Option<f64> {
    let recent = &times[times.len().saturating_sub(WINDOW)..];
    let (first, last) = (recent.first()?, recent.last()?);
    let span = last - first;
    (recent.len() >= 2 && span > 0.0).then(|| (recent.len() - 1) as f64 / span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_the_latest_windows() {
        // 10 slow completions (one a minute), then 20 fast ones (one every 3 s).
        let mut times: Vec<f64> = (0..10).map(|i| f64::from(i) * 60.0).collect();
        times.extend((0..20).map(|i| 600.0 + f64::from(i) * 3.0));
        let p = pipeline(30, 60, times);
        assert_eq!(p.per_min, Some(20.0));
        assert_eq!(p.eta_secs, Some(90));
    }

    #[test]
    fn no_rate_before_two_completions_and_zero_when_done() {
        assert_eq!(pipeline(1, 5, vec![10.0]).eta_secs, None);
        assert_eq!(pipeline(0, 5, vec![]).per_min, None);
        assert_eq!(pipeline(5, 5, vec![]).eta_secs, Some(0));
    }
}
