//! What an illustrator does next, decided synchronously (docs/ARCHITECTURE.md §9): the async
//! loop in `worker.rs` turns each [`Action`] into awaiting a slot, claiming, drawing, reading
//! the state or waiting, and hands back what happened as an [`Event`]. Plain tests drive
//! [`Illustrator::handle_event`] through every case: a claim only with an image slot in hand,
//! nothing started after a stop, waiting while other workers hold chapters.

use crate::ids::ChapterNo;
use crate::report::plural;
use crate::store::liveness::Workers;
use crate::store::{Manifest, Status, WorkerId};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How often a worker waiting for chapters other workers hold checks whether they still live:
/// a holder's death makes no file event.
pub(crate) const HELD_POLL: Duration = Duration::from_millis(250);

/// What happened, as the async loop reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// The worker starts; with `wait_first` nothing can be claimable before a wake-up.
    Started { wait_first: bool },
    /// A wake-up: the state changed, or the poll interval passed.
    Woken,
    /// One of the process's image slots is in hand.
    SlotAcquired,
    /// The claim attempt's result.
    Claimed(Option<ChapterNo>),
    /// The claimed chapter is completed, given back or lost.
    ChapterEnded,
    /// What may still become claimable (after a claim found nothing).
    Left(Remaining),
    /// The run is stopping (a signal).
    Stop,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Wait for a wake-up, at most `poll` (else the configured interval); show `note` first.
    Wait {
        poll: Option<Duration>,
        note: Option<Note>,
    },
    AwaitSlot,
    /// Claim the next chapter with the slot in hand.
    Claim,
    /// Draw the claimed chapter; the slot goes with it.
    Draw(ChapterNo),
    /// Let the slot go and read what remains.
    CheckRemaining,
    /// End the worker: it holds no claim.
    Finish,
}

/// A line for the user while waiting; `key` is what it is about, so it is shown once per change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub(crate) key: String,
    pub(crate) text: String,
}

/// One illustrator's decisions.
#[derive(Debug)]
pub(crate) struct Illustrator {
    stopping: bool,
    /// This process analyses the chapters (a wait for analysis needs no explaining).
    analyzer_here: bool,
    said_pending: bool,
}

impl Illustrator {
    pub(crate) fn new(analyzer_here: bool) -> Illustrator {
        Illustrator {
            stopping: false,
            analyzer_here,
            said_pending: false,
        }
    }

    /// The next action after `event`. After `Stop` nothing new starts: every action is `Finish`
    /// (a chapter being drawn ends first: its loop stops at the next scene and gives it back).
    pub(crate) fn handle_event(&mut self, event: Event) -> Action {
        if event == Event::Stop {
            self.stopping = true;
        }
        if self.stopping {
            return Action::Finish;
        }
        match event {
            Event::Started { wait_first: true } => Action::Wait {
                poll: None,
                note: None,
            },
            Event::Started { wait_first: false } | Event::Woken | Event::ChapterEnded => {
                Action::AwaitSlot
            }
            Event::SlotAcquired => Action::Claim,
            Event::Claimed(Some(chapter)) => Action::Draw(chapter),
            Event::Claimed(None) => Action::CheckRemaining,
            Event::Left(left) => self.after_nothing_claimed(left),
            Event::Stop => Action::Finish,
        }
    }

    fn after_nothing_claimed(&mut self, left: Remaining) -> Action {
        match left {
            Remaining::Nothing => Action::Finish,
            Remaining::Claimable => Action::AwaitSlot,
            Remaining::HeldElsewhere(held) => Action::Wait {
                poll: Some(HELD_POLL),
                note: Some(Note {
                    key: held_key(&held),
                    text: held_note(&held, Utc::now()),
                }),
            },
            Remaining::Pending(n) => {
                let explain = !self.analyzer_here && !self.said_pending;
                self.said_pending |= explain;
                Action::Wait {
                    poll: None,
                    note: explain.then(|| Note {
                        key: format!("pending {n}"),
                        text: format!(
                            "waiting for {} to be analyzed by another imaginize run",
                            plural(n, "chapter")
                        ),
                    }),
                }
            }
        }
    }
}

/// What decides whether a worker with nothing to claim is done.
pub(crate) struct Rules {
    pub(crate) selected: Vec<ChapterNo>,
    pub(crate) lease: Duration,
    /// Who says whether a claim's worker lives.
    pub(crate) workers: Workers,
    /// This process analyses (pass 2) the selected chapters.
    pub(crate) analyzer_here: bool,
    /// Chapters held by live workers of other processes are waited for (not `--no-wait`).
    pub(crate) wait_for_others: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Remaining {
    Nothing,
    /// Became claimable since the claim attempt.
    Claimable,
    /// Chapters still waiting for analysis that may yet come.
    Pending(usize),
    /// Chapters that live workers of other processes hold: ours once they finish or die.
    HeldElsewhere(Vec<Held>),
}

/// A chapter another process's worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    chapter: ChapterNo,
    worker: WorkerId,
    since: DateTime<Utc>,
}

/// Whether anything may still become claimable for this worker. An expired claim counts as
/// claimable; one a live worker of this process holds is that worker's to finish.
pub(crate) fn remaining(m: &Manifest, rules: &Rules, analysis_running: bool) -> Remaining {
    let is_selected = |c: ChapterNo| rules.selected.binary_search(&c).is_ok();
    let now = Utc::now();
    if m.next_claimable(is_selected, rules.lease, now, &rules.workers)
        .is_some()
    {
        return Remaining::Claimable;
    }
    let held = held_elsewhere(m, &is_selected);
    if rules.wait_for_others && !held.is_empty() {
        return Remaining::HeldElsewhere(held);
    }
    let pending = m
        .chapters_with(Status::Pending)
        .into_iter()
        .filter(|c| is_selected(*c))
        .count();
    // Another process's analyzer may still deliver; ours, once stopped, will not.
    let may_come = analysis_running || (!rules.analyzer_here && !m.analyze_complete);
    if pending > 0 && may_come {
        Remaining::Pending(pending)
    } else {
        Remaining::Nothing
    }
}

/// The selected chapters being illustrated by workers of other processes (alive, or the claim
/// would have been claimable).
fn held_elsewhere(m: &Manifest, is_selected: &impl Fn(ChapterNo) -> bool) -> Vec<Held> {
    m.chapters
        .iter()
        .filter(|(no, ch)| is_selected(**no) && ch.status == Status::IllustrationInprogress)
        .filter_map(|(no, ch)| {
            let claim = ch.claim.as_ref()?;
            (!claim.worker.is_this_process()).then(|| Held {
                chapter: *no,
                worker: claim.worker.clone(),
                since: claim.claimed_at,
            })
        })
        .collect()
}

/// Which chapters are held by whom: the waiting note is repeated only when this changes.
fn held_key(held: &[Held]) -> String {
    held.iter()
        .map(|h| format!("{}={}", h.chapter, h.worker))
        .collect::<Vec<_>>()
        .join(",")
}

/// "waiting for 2 chapters that other imaginize processes hold: chapter 4 (pid 17 on host a,
/// for 12s), …" — at most five listed.
fn held_note(held: &[Held], now: DateTime<Utc>) -> String {
    const LISTED: usize = 5;
    let mut parts: Vec<String> = held
        .iter()
        .take(LISTED)
        .map(|h| {
            let secs = now.signed_duration_since(h.since).num_seconds().max(0);
            let pid = h.worker.pid().map_or("?".into(), |p| p.to_string());
            let host = h.worker.host().unwrap_or("?");
            format!(
                "chapter {} (pid {pid} on host {host}, for {secs}s)",
                h.chapter
            )
        })
        .collect();
    if held.len() > LISTED {
        parts.push(format!("and {} more", held.len() - LISTED));
    }
    format!(
        "waiting for {} that other imaginize processes hold (taken over if they die; --no-wait leaves them): {}",
        plural(held.len(), "chapter"),
        parts.join(", ")
    )
}

/// Whether an illustrator with nothing to claim may draw a wanted portrait with its slot, when
/// `drawing` of the process's `image_jobs` slots are drawing portraits already. Until this
/// process has claimed its first chapter, while its analysis may still make one claimable, one
/// slot is kept for it: with every slot drawing a portrait, the chapter analyzed a moment later
/// (the first picture the reader sees, right after pass 1) would wait a whole image. After that
/// a kept slot would only idle. A scene that shows someone portrayed draws the portrait itself
/// in any case (`portraits::references_for`).
///
/// The count is of portraits, not of free slots: illustrators that hold a slot while they look
/// for a chapter all saw no slot free, and none drew a portrait while the cast waited for its
/// first chapter (every holder's slots idle in the scale bench's first 100 ms).
pub(crate) fn may_draw_a_portrait(
    drawing: usize,
    image_jobs: usize,
    (analysis_running, drawing_started): (bool, bool),
) -> bool {
    !analysis_running || drawing_started || image_jobs < 2 || drawing + 1 < image_jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two illustrators holding the process's two slots while they look for a chapter: one of
    /// them draws a portrait, the other keeps its slot for the first chapter (with free slots
    /// counted instead, each saw none free and neither drew).
    #[test]
    fn illustrators_looking_at_once_draw_one_portrait_and_keep_one_slot() {
        let turns = crate::pipeline::context::PortraitTurns::default();
        let rule = |n| may_draw_a_portrait(n, 2, (true, false));
        let first = turns.take(rule);
        assert!(first.is_some());
        assert!(
            turns.take(rule).is_none(),
            "the other slot waits for the first chapter"
        );
        drop(first);
        assert!(turns.take(rule).is_some(), "an ended turn is counted off");
    }

    #[test]
    fn portraits_leave_one_slot_for_the_next_chapter_while_the_analysis_runs() {
        assert!(
            may_draw_a_portrait(0, 2, (true, false)),
            "the first portrait may go while the other slot waits for the chapter"
        );
        assert!(may_draw_a_portrait(2, 4, (true, false)));
        assert!(
            !may_draw_a_portrait(3, 4, (true, false)),
            "the last slot is the first chapter's"
        );
        assert!(!may_draw_a_portrait(1, 2, (true, false)));
        assert!(
            may_draw_a_portrait(3, 4, (false, false)),
            "no chapter can come: every slot may draw"
        );
        assert!(
            may_draw_a_portrait(0, 1, (true, false)),
            "one slot: portraits cannot be kept waiting"
        );
        assert!(
            may_draw_a_portrait(3, 4, (true, true)),
            "once the first chapter is being drawn, a kept slot would only idle"
        );
    }
    use crate::store::Claim;
    use std::sync::Arc;

    fn manifest(statuses: &[Status]) -> Manifest {
        let mut m = crate::store::test_support::manifest(statuses.len() as u32);
        for (i, status) in statuses.iter().enumerate() {
            let ch = Arc::make_mut(m.chapters.get_mut(&ChapterNo(i as u32 + 1)).unwrap());
            ch.status = *status;
            if *status == Status::IllustrationInprogress {
                ch.claim = Some(Claim {
                    worker: WorkerId::current(),
                    claimed_at: Utc::now(),
                    heartbeat_at: Utc::now(),
                });
            }
        }
        m
    }

    const ALL: [ChapterNo; 3] = [ChapterNo(1), ChapterNo(2), ChapterNo(3)];

    fn rules(selected: &[ChapterNo], analyzer_here: bool, wait_for_others: bool) -> Rules {
        Rules {
            selected: selected.to_vec(),
            lease: Duration::from_secs(60),
            // No lock files there: the claims' pids decide.
            workers: Workers::Folder(std::env::temp_dir().join("imaginize-worker-test-no-folder")),
            analyzer_here,
            wait_for_others,
        }
    }

    /// Gives chapter 1's claim to a live worker of another process (pid 1, init, always runs).
    fn held_by_another_process(m: &mut Manifest) -> WorkerId {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let other = WorkerId(format!("{host}:1:0000beef"));
        let ch = Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap());
        ch.claim.as_mut().unwrap().worker = other.clone();
        other
    }

    #[test]
    fn waits_for_pending_chapters_only_while_an_analyzer_may_deliver() {
        let m = manifest(&[Status::IllustrationComplete, Status::Pending, Status::Error]);
        assert_eq!(
            remaining(&m, &rules(&ALL, true, true), true),
            Remaining::Pending(1)
        );
        assert_eq!(
            remaining(&m, &rules(&ALL, true, true), false),
            Remaining::Nothing
        );
        assert_eq!(
            remaining(&m, &rules(&ALL, false, true), false),
            Remaining::Pending(1)
        );
        let mut done = m.clone();
        done.analyze_complete = true;
        assert_eq!(
            remaining(&done, &rules(&ALL, false, true), false),
            Remaining::Nothing
        );
    }

    #[test]
    fn live_claims_of_this_process_are_left_to_their_worker_and_selection_is_respected() {
        let m = manifest(&[
            Status::IllustrationInprogress,
            Status::Analyzed,
            Status::Pending,
        ]);
        assert_eq!(
            remaining(&m, &rules(&ALL, true, true), false),
            Remaining::Claimable
        );
        let first = [ChapterNo(1)];
        assert_eq!(
            remaining(&m, &rules(&first, true, true), false),
            Remaining::Nothing
        );
    }

    #[test]
    fn chapters_another_live_process_holds_are_waited_for_unless_no_wait() {
        let mut m = manifest(&[Status::IllustrationInprogress, Status::IllustrationComplete]);
        let other = held_by_another_process(&mut m);
        let first = [ChapterNo(1)];
        let Remaining::HeldElsewhere(held) = remaining(&m, &rules(&first, true, true), false)
        else {
            panic!("a chapter another process holds did not make the worker wait");
        };
        assert_eq!(held.len(), 1);
        assert_eq!((held[0].chapter, &held[0].worker), (ChapterNo(1), &other));
        assert_eq!(
            remaining(&m, &rules(&first, true, false), false),
            Remaining::Nothing,
            "--no-wait leaves it to its holder"
        );
    }

    #[test]
    fn the_waiting_note_names_pid_host_and_time_and_counts_in_words() {
        let since = Utc::now();
        let held: Vec<Held> = (1..=7)
            .map(|n| Held {
                chapter: ChapterNo(n),
                worker: WorkerId(format!("box:4242:{n:08x}")),
                since,
            })
            .collect();
        let note = held_note(&held[..1], since + chrono::Duration::seconds(12));
        assert!(note.contains("1 chapter that"), "{note}");
        assert!(
            note.contains("chapter 1 (pid 4242 on host box, for 12s)"),
            "{note}"
        );
        let many = held_note(&held, since);
        assert!(many.contains("7 chapters"), "{many}");
        assert!(many.contains("and 2 more"), "{many}");
        assert_ne!(held_key(&held[..1]), held_key(&held[..2]));
    }

    fn wait(poll: Option<Duration>) -> impl Fn(&Action) -> bool {
        move |a| matches!(a, Action::Wait { poll: p, .. } if *p == poll)
    }

    #[test]
    fn a_claim_is_made_only_with_an_image_slot_in_hand() {
        let mut m = Illustrator::new(true);
        assert_eq!(
            m.handle_event(Event::Started { wait_first: false }),
            Action::AwaitSlot
        );
        assert_eq!(m.handle_event(Event::SlotAcquired), Action::Claim);
        assert_eq!(
            m.handle_event(Event::Claimed(Some(ChapterNo(2)))),
            Action::Draw(ChapterNo(2))
        );
        // The next chapter needs a slot again.
        assert_eq!(m.handle_event(Event::ChapterEnded), Action::AwaitSlot);
        assert_eq!(m.handle_event(Event::SlotAcquired), Action::Claim);
        assert_eq!(m.handle_event(Event::Claimed(None)), Action::CheckRemaining);
        // Something became claimable meanwhile: back to waiting for a slot, never a claim.
        assert_eq!(
            m.handle_event(Event::Left(Remaining::Claimable)),
            Action::AwaitSlot
        );
        assert!(wait(None)(
            &m.handle_event(Event::Started { wait_first: true })
        ));
        assert_eq!(m.handle_event(Event::Woken), Action::AwaitSlot);
        for event in [
            Event::Woken,
            Event::ChapterEnded,
            Event::Claimed(None),
            Event::Left(Remaining::Claimable),
        ] {
            assert_ne!(
                m.handle_event(event),
                Action::Claim,
                "a claim without a slot"
            );
        }
    }

    #[test]
    fn nothing_starts_after_a_stop() {
        let mut m = Illustrator::new(true);
        m.handle_event(Event::Started { wait_first: false });
        assert_eq!(m.handle_event(Event::Stop), Action::Finish);
        for event in [
            Event::SlotAcquired,
            Event::Woken,
            Event::ChapterEnded,
            Event::Claimed(Some(ChapterNo(1))),
            Event::Left(Remaining::Claimable),
            Event::Started { wait_first: false },
        ] {
            assert_eq!(m.handle_event(event), Action::Finish);
        }
    }

    #[test]
    fn waiting_for_other_workers_polls_fast_and_explains_itself() {
        let mut m = Illustrator::new(true);
        let held = vec![Held {
            chapter: ChapterNo(4),
            worker: WorkerId("box:42:00000001".into()),
            since: Utc::now(),
        }];
        let action = m.handle_event(Event::Left(Remaining::HeldElsewhere(held)));
        assert!(wait(Some(HELD_POLL))(&action), "{action:?}");
        let Action::Wait {
            note: Some(note), ..
        } = action
        else {
            panic!("no note");
        };
        assert!(
            note.text.contains("chapter 4 (pid 42 on host box"),
            "{}",
            note.text
        );
        assert_eq!(
            m.handle_event(Event::Left(Remaining::Nothing)),
            Action::Finish
        );
    }

    #[test]
    fn waiting_for_another_runs_analysis_is_explained_once() {
        let mut images_only = Illustrator::new(false);
        let first = images_only.handle_event(Event::Left(Remaining::Pending(3)));
        assert!(
            matches!(&first, Action::Wait { poll: None, note: Some(n) } if n.text.contains("3 chapters"))
        );
        let again = images_only.handle_event(Event::Left(Remaining::Pending(2)));
        assert_eq!(
            again,
            Action::Wait {
                poll: None,
                note: None
            }
        );
        let mut analyzer = Illustrator::new(true);
        let quiet = analyzer.handle_event(Event::Left(Remaining::Pending(3)));
        assert_eq!(
            quiet,
            Action::Wait {
                poll: None,
                note: None
            }
        );
    }
}
