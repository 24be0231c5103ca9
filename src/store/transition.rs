//! The per-chapter state machine of docs/ARCHITECTURE.md §7 as a pure function: every legal edge is listed
//! here once, and anything else is an error, never a silent change.

use crate::store::manifest::Status;
use std::fmt;

/// What happened to a chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// Pass 2 wrote its scenes.
    Analyzed,
    /// A worker claimed it for illustration (compare-and-set under the lock).
    Claim,
    /// Every scene has its image.
    Complete,
    /// The claim's heartbeat is older than the lease, or its worker is a dead pid on this host.
    LeaseExpired,
    /// The claiming worker gave it back (shutdown) before finishing.
    Release,
    /// Something failed; allowed from any state.
    Fail,
    /// `--retry-failed` / `--clear-errors` on a chapter that was never analyzed.
    Retry,
    /// `--retry-failed` / `--clear-errors` on a chapter whose scenes exist.
    RetryIllustration,
    /// `--force`: analyse the chapter again (never while a worker holds it).
    Redo,
    /// `--images --force`: draw the chapter's scenes again, keeping its analysis.
    RedoImages,
    /// The review loop (`imaginize regenerate`) claims an illustrated chapter to redraw, choose
    /// or reject one of its scenes; it completes it again when done.
    Reopen,
}

impl Event {
    pub const ALL: [Event; 11] = [
        Event::Analyzed,
        Event::Claim,
        Event::Complete,
        Event::LeaseExpired,
        Event::Release,
        Event::Fail,
        Event::Retry,
        Event::RetryIllustration,
        Event::Redo,
        Event::RedoImages,
        Event::Reopen,
    ];
}

/// An event that is not allowed in the chapter's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal transition: {event:?} while {from}")]
pub struct IllegalTransition {
    pub from: Status,
    pub event: Event,
}

/// The state a chapter in `from` moves to on `event`.
pub fn transition(from: Status, event: Event) -> Result<Status, IllegalTransition> {
    use Status as S;
    match (from, event) {
        (_, Event::Fail) => Ok(S::Error),
        (S::Pending, Event::Analyzed) => Ok(S::Analyzed),
        (S::Analyzed, Event::Claim) | (S::IllustrationComplete, Event::Reopen) => {
            Ok(S::IllustrationInprogress)
        }
        (S::IllustrationInprogress, Event::Complete) => Ok(S::IllustrationComplete),
        (S::IllustrationInprogress, Event::LeaseExpired | Event::Release) => Ok(S::Analyzed),
        (S::Error, Event::Retry) => Ok(S::Pending),
        (S::Error, Event::RetryIllustration) => Ok(S::Analyzed),
        (S::Pending | S::Analyzed | S::IllustrationComplete | S::Error, Event::Redo) => {
            Ok(S::Pending)
        }
        (S::Analyzed | S::IllustrationComplete | S::Error, Event::RedoImages) => Ok(S::Analyzed),
        _ => Err(IllegalTransition { from, event }),
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The table from docs/ARCHITECTURE.md §7, written independently of the `match` above.
    fn expected(from: Status, event: Event) -> Option<Status> {
        let legal: &[(Status, Event, Status)] = &[
            (Status::Pending, Event::Analyzed, Status::Analyzed),
            (
                Status::Analyzed,
                Event::Claim,
                Status::IllustrationInprogress,
            ),
            (
                Status::IllustrationInprogress,
                Event::Complete,
                Status::IllustrationComplete,
            ),
            (
                Status::IllustrationInprogress,
                Event::LeaseExpired,
                Status::Analyzed,
            ),
            (
                Status::IllustrationInprogress,
                Event::Release,
                Status::Analyzed,
            ),
            (Status::Error, Event::Retry, Status::Pending),
            (Status::Error, Event::RetryIllustration, Status::Analyzed),
            (Status::Pending, Event::Redo, Status::Pending),
            (Status::Analyzed, Event::Redo, Status::Pending),
            (Status::IllustrationComplete, Event::Redo, Status::Pending),
            (Status::Error, Event::Redo, Status::Pending),
            (Status::Analyzed, Event::RedoImages, Status::Analyzed),
            (
                Status::IllustrationComplete,
                Event::RedoImages,
                Status::Analyzed,
            ),
            (Status::Error, Event::RedoImages, Status::Analyzed),
            (
                Status::IllustrationComplete,
                Event::Reopen,
                Status::IllustrationInprogress,
            ),
        ];
        if event == Event::Fail {
            return Some(Status::Error);
        }
        legal
            .iter()
            .find(|(f, e, _)| *f == from && *e == event)
            .map(|(_, _, to)| *to)
    }

    #[test]
    fn every_edge_is_legal_or_illegal_as_designed() {
        let mut legal = 0;
        for from in Status::ALL {
            for event in Event::ALL {
                let got = transition(from, event).ok();
                assert_eq!(got, expected(from, event), "{from} on {event}");
                legal += usize::from(got.is_some());
            }
        }
        // 15 listed edges plus Fail from each of the 5 states.
        assert_eq!(legal, 20);
    }

    #[test]
    fn illegal_edges_report_state_and_event() {
        let err = transition(Status::Pending, Event::Complete).unwrap_err();
        assert_eq!(err.from, Status::Pending);
        assert_eq!(err.event, Event::Complete);
        assert!(err.to_string().contains("Complete while pending"));
    }

    fn any_event() -> impl Strategy<Value = Event> {
        proptest::sample::select(Event::ALL.to_vec())
    }

    proptest! {
        /// Along any event sequence, a chapter only completes through a claim, and the machine
        /// never leaves a state except by a listed edge.
        #[test]
        fn sequences_follow_the_table(events in proptest::collection::vec(any_event(), 0..40)) {
            let mut state = Status::Pending;
            let mut claimed = false;
            for event in events {
                match transition(state, event) {
                    Ok(next) => {
                        prop_assert_eq!(Some(next), expected(state, event));
                        if next == Status::IllustrationComplete {
                            prop_assert!(claimed);
                        }
                        claimed = next == Status::IllustrationInprogress;
                        state = next;
                    }
                    Err(err) => {
                        prop_assert_eq!(expected(state, event), None);
                        prop_assert_eq!(err.from, state);
                    }
                }
            }
        }
    }
}
