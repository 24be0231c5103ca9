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
    /// The rate is the one the run's limits lead to expect, none having been measured yet.
    pub assumed: bool,
}

/// The pipeline with `done` of `total` finished, `times` (seconds since the epoch, any order)
/// being when the finished ones finished; `assumed` (per second) stands in for the rate until
/// two completions were seen.
pub fn pipeline(done: u64, total: u64, mut times: Vec<f64>, assumed: Option<f64>) -> Pipeline {
    times.sort_by(f64::total_cmp);
    let measured = rate(&times);
    let per_sec = measured.or(assumed);
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
        assumed: measured.is_none() && per_sec.is_some(),
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
        let p = pipeline(30, 60, times, Some(100.0));
        assert_eq!(p.per_min, Some(20.0));
        assert_eq!(p.eta_secs, Some(90));
        assert!(!p.assumed, "a measured rate wins");
    }

    #[test]
    fn the_assumed_rate_stands_in_until_two_completions() {
        let p = pipeline(1, 9, vec![5.0], Some(0.5));
        assert_eq!(
            (p.eta_secs, p.per_min, p.assumed),
            (Some(16), Some(30.0), true)
        );
    }

    #[test]
    fn no_rate_before_two_completions_and_zero_when_done() {
        assert_eq!(pipeline(1, 5, vec![10.0], None).eta_secs, None);
        assert_eq!(pipeline(0, 5, vec![], None).per_min, None);
        assert_eq!(pipeline(5, 5, vec![], None).eta_secs, Some(0));
    }
}
