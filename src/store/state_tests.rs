//! The conformance suite of `BookState`: every store runs the same tests (the `conformance!`
//! macro at the end instantiates them for the file store and the in-memory store). A new store
//! adds one line there.

use super::*;
use crate::store::test_support;
use crate::store::{Status, WorkerId};
use chrono::Duration as Span;
use std::collections::BTreeSet;
use std::sync::Arc;

const LEASE: Duration = Duration::from_secs(60);

fn request(chapters: u32) -> OpenBook {
    OpenBook {
        initial: test_support::manifest(chapters),
        meta: BookMeta::default(),
        chapters: test_support::chapters(chapters),
        selected: (1..=chapters).map(ChapterNo).collect(),
        retry_failed: false,
        force: false,
        images_only: false,
        redo_elements: false,
        redo_analysis: false,
        lease: LEASE,
        now: Utc::now(),
    }
}

/// Opens a book of `chapters` chapters and analyzes `analyzed` of them (one scene each).
fn book(state: &dyn BookState, chapters: u32, analyzed: &[u32]) {
    state.open_book(&request(chapters)).expect("open");
    for no in analyzed {
        state
            .mark_analyzed(ChapterNo(*no), 1, Usage::default(), Utc::now())
            .expect("analyzed");
    }
}

fn status(state: &dyn BookState, chapter: u32) -> Status {
    state.snapshot().expect("snapshot").expect("state").chapters[&ChapterNo(chapter)].status
}

fn all(n: u32) -> Vec<ChapterNo> {
    (1..=n).map(ChapterNo).collect()
}

/// A registered worker of this process: alive while the guard is kept.
fn alive(state: &dyn BookState, name: &str) -> (WorkerId, WorkerGuard) {
    let worker = WorkerId(format!(
        "{}:{}:{name}",
        gethostname::gethostname().to_string_lossy(),
        std::process::id()
    ));
    let guard = state.register_worker(&worker).expect("register");
    (worker, guard)
}

pub(super) fn opening_creates_once_and_keeps_state(state: &dyn BookState) {
    assert!(state.snapshot().unwrap().is_none());
    let opened = state.open_book(&request(3)).unwrap();
    assert!(opened.created);
    state
        .mark_analyzed(ChapterNo(2), 4, Usage::default(), Utc::now())
        .unwrap();
    let again = state.open_book(&request(3)).unwrap();
    assert!(!again.created);
    assert_eq!(
        status(state, 2),
        Status::Analyzed,
        "reopening kept the state"
    );
    let snapshot = state.snapshot().unwrap().unwrap();
    assert_eq!(snapshot.chapters[&ChapterNo(2)].concepts, 4);
}

pub(super) fn claims_follow_reading_order_and_the_selection(state: &dyn BookState) {
    book(state, 4, &[1, 2, 3, 4]);
    let (w, _alive) = alive(state, "a");
    let now = Utc::now();
    let odd = [ChapterNo(1), ChapterNo(3)];
    assert_eq!(
        state.claim_next(&w, &odd, LEASE, now).unwrap(),
        Some(ChapterNo(1))
    );
    assert_eq!(
        state.claim_next(&w, &odd, LEASE, now).unwrap(),
        Some(ChapterNo(3))
    );
    assert_eq!(state.claim_next(&w, &odd, LEASE, now).unwrap(), None);
    assert_eq!(
        state.claim_next(&w, &all(4), LEASE, now).unwrap(),
        Some(ChapterNo(2))
    );
    assert_eq!(status(state, 1), Status::IllustrationInprogress);
}

pub(super) fn a_chapter_is_never_claimed_twice_under_contention(state: Arc<dyn BookState>) {
    const CHAPTERS: u32 = 24;
    book(
        state.as_ref(),
        CHAPTERS,
        &all(CHAPTERS).iter().map(|c| c.0).collect::<Vec<_>>(),
    );
    // Every worker stays alive to the end: a finished worker's claims are otherwise dead and
    // rightly taken over.
    let workers: Vec<_> = (0..6)
        .map(|i| alive(state.as_ref(), &format!("t{i}")))
        .collect();
    let threads: Vec<_> = workers
        .iter()
        .map(|(w, _)| {
            let (state, w) = (state.clone(), w.clone());
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(c) = state
                    .claim_next(&w, &all(CHAPTERS), LEASE, Utc::now())
                    .unwrap()
                {
                    got.push(c);
                }
                got
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for thread in threads {
        for chapter in thread.join().expect("thread") {
            assert!(seen.insert(chapter), "chapter {chapter} claimed twice");
        }
    }
    assert_eq!(seen.len(), CHAPTERS as usize);
}

pub(super) fn only_the_holder_may_heartbeat_release_or_complete(state: &dyn BookState) {
    book(state, 2, &[1]);
    let ((a, _a), (b, _b)) = (alive(state, "a"), alive(state, "b"));
    let now = Utc::now();
    assert_eq!(
        state.claim_next(&a, &all(2), LEASE, now).unwrap(),
        Some(ChapterNo(1))
    );
    assert!(matches!(
        state.heartbeat(ChapterNo(1), &b, now),
        Err(Error::ClaimLost { .. })
    ));
    assert!(matches!(
        state.release(ChapterNo(1), &b),
        Err(Error::ClaimLost { .. })
    ));
    assert!(
        !state.complete(ChapterNo(1), &b, now).unwrap(),
        "b completed a's chapter"
    );
    state.heartbeat(ChapterNo(1), &a, now).unwrap();
    state.release(ChapterNo(1), &a).unwrap();
    assert_eq!(status(state, 1), Status::Analyzed);
    assert_eq!(
        state.claim_next(&b, &all(2), LEASE, now).unwrap(),
        Some(ChapterNo(1))
    );
}

pub(super) fn the_last_record_completes_the_chapter_with_its_usage(state: &dyn BookState) {
    book(state, 1, &[]);
    state
        .mark_analyzed(ChapterNo(1), 2, Usage::default(), Utc::now())
        .unwrap();
    let (w, _alive) = alive(state, "a");
    let now = Utc::now();
    state.claim_next(&w, &all(1), LEASE, now).unwrap();
    let image = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
    let one = Usage {
        images: 1,
        ..Usage::default()
    };
    assert!(
        !state
            .record_scene(ChapterNo(1), SceneNo(1), &image, one, None, now)
            .unwrap()
    );
    let refused = SceneOutcome::Rejected("policy".into());
    let done = state
        .record_scene(
            ChapterNo(1),
            SceneNo(2),
            &refused,
            Usage::default(),
            Some(&w),
            now,
        )
        .unwrap();
    assert!(done);
    let snapshot = state.snapshot().unwrap().unwrap();
    let chapter = &snapshot.chapters[&ChapterNo(1)];
    assert_eq!(chapter.status, Status::IllustrationComplete);
    assert_eq!(chapter.scenes_done, vec![SceneNo(1), SceneNo(2)]);
    assert_eq!(chapter.usage.images, 1);
    assert_eq!(
        chapter.rejected.get(&SceneNo(2)).map(String::as_str),
        Some("policy")
    );
    assert!(chapter.claim.is_none());
    assert!(snapshot.illustrate_complete, "the book-level flag follows");
}

pub(super) fn an_expired_lease_is_taken_over_and_fences_the_old_holder(state: &dyn BookState) {
    book(state, 1, &[1]);
    let ((old, _old), (new, _new)) = (alive(state, "old"), alive(state, "new"));
    let t0 = Utc::now();
    state.claim_next(&old, &all(1), LEASE, t0).unwrap();
    let within = t0 + Span::seconds(59);
    assert_eq!(
        state.claim_next(&new, &all(1), LEASE, within).unwrap(),
        None
    );
    let after = t0 + Span::seconds(61);
    assert_eq!(
        state.claim_next(&new, &all(1), LEASE, after).unwrap(),
        Some(ChapterNo(1))
    );
    assert!(matches!(
        state.heartbeat(ChapterNo(1), &old, after),
        Err(Error::ClaimLost { .. })
    ));
    let image = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
    let completed = state
        .record_scene(
            ChapterNo(1),
            SceneNo(1),
            &image,
            Usage::default(),
            Some(&old),
            after,
        )
        .unwrap();
    assert!(!completed, "a fenced worker completed the chapter");
    assert!(state.complete(ChapterNo(1), &new, after).unwrap());
}

/// A worker whose lease was taken over is fenced: its heartbeat, release, completion and
/// finishing record are refused, and the new holder's claim is left as it was.
pub(super) fn a_taken_over_worker_changes_no_claim(state: &dyn BookState) {
    book(state, 2, &[1]);
    let ((a, _a), (b, _b)) = (alive(state, "a"), alive(state, "b"));
    let t0 = Utc::now();
    state.claim_next(&a, &all(2), LEASE, t0).unwrap();
    let after = t0 + Span::seconds(61);
    assert_eq!(
        state.claim_next(&b, &all(2), LEASE, after).unwrap(),
        Some(ChapterNo(1))
    );
    let held = |state: &dyn BookState| {
        let snapshot = state.snapshot().unwrap().unwrap();
        snapshot.chapters[&ChapterNo(1)].claim.clone()
    };
    let before = held(state);
    let later = after + Span::seconds(1);
    assert!(matches!(
        state.heartbeat(ChapterNo(1), &a, later),
        Err(Error::ClaimLost { .. })
    ));
    assert!(matches!(
        state.release(ChapterNo(1), &a),
        Err(Error::ClaimLost { .. })
    ));
    assert!(!state.complete(ChapterNo(1), &a, later).unwrap());
    let image = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
    let finished = state
        .record_scene(
            ChapterNo(1),
            SceneNo(1),
            &image,
            Usage::default(),
            Some(&a),
            later,
        )
        .unwrap();
    assert!(!finished, "a fenced worker completed the chapter");
    assert_eq!(held(state), before, "a fenced worker changed the claim");
    assert_eq!(status(state, 1), Status::IllustrationInprogress);
    state.heartbeat(ChapterNo(1), &b, later).unwrap();
    assert!(state.complete(ChapterNo(1), &b, later).unwrap());
}

pub(super) fn recovery_takes_back_only_expired_claims(state: &dyn BookState) {
    book(state, 2, &[1, 2]);
    let t0 = Utc::now();
    let ((a, _a), (b, _b)) = (alive(state, "a"), alive(state, "b"));
    state.claim_next(&a, &all(2), LEASE, t0).unwrap();
    state
        .claim_next(&b, &all(2), LEASE, t0 + Span::seconds(30))
        .unwrap();
    let expired = state
        .recover_expired(LEASE, t0 + Span::seconds(61))
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].0, ChapterNo(1));
    assert_eq!(status(state, 1), Status::Analyzed);
    assert_eq!(status(state, 2), Status::IllustrationInprogress);
}

pub(super) fn a_failed_transaction_keeps_nothing(state: &dyn BookState) {
    book(state, 2, &[]);
    let before = state.snapshot().unwrap();
    let result = state.transact(&mut |m| {
        m.mark_analyzed(ChapterNo(1), 1, Utc::now())?;
        m.mark_analyzed(ChapterNo(1), 1, Utc::now())
    });
    assert!(matches!(result, Err(Error::Illegal { .. })), "{result:?}");
    let after = state.snapshot().unwrap();
    assert_eq!(
        before.map(|m| m.chapters[&ChapterNo(1)].status),
        after.map(|m| m.chapters[&ChapterNo(1)].status)
    );
    assert!(matches!(
        state.mark_analyzed(ChapterNo(9), 1, Usage::default(), Utc::now()),
        Err(Error::UnknownChapter { .. })
    ));
}

pub(super) fn failing_and_the_resume_flags(state: &dyn BookState) {
    book(state, 3, &[1, 2]);
    state.fail(ChapterNo(1), "no").unwrap();
    state.fail(ChapterNo(3), "no").unwrap();
    let (w, _alive) = alive(state, "a");
    state.claim_next(&w, &all(3), LEASE, Utc::now()).unwrap();
    let image = SceneOutcome::Image("images/chapter_2_scene_1.png".into());
    state
        .record_scene(
            ChapterNo(2),
            SceneNo(1),
            &image,
            Usage::default(),
            Some(&w),
            Utc::now(),
        )
        .unwrap();
    let mut retry = request(3);
    retry.retry_failed = true;
    let opened = state.open_book(&retry).unwrap();
    assert_eq!(opened.reset, vec![ChapterNo(1), ChapterNo(3)]);
    assert_eq!(
        status(state, 1),
        Status::Analyzed,
        "analyzed before it failed"
    );
    assert_eq!(status(state, 3), Status::Pending);
    let mut force = request(3);
    force.force = true;
    force.images_only = true;
    force.selected = vec![ChapterNo(2)];
    let opened = state.open_book(&force).unwrap();
    assert_eq!(opened.forced, vec![(ChapterNo(2), vec![SceneNo(1)])]);
    assert_eq!(status(state, 2), Status::Analyzed);
}

pub(super) fn a_dropped_workers_claim_is_taken_over_at_once(state: &dyn BookState) {
    book(state, 1, &[1]);
    let (gone, guard) = alive(state, "gone");
    let (next, _next) = alive(state, "next");
    let now = Utc::now();
    assert_eq!(
        state.claim_next(&gone, &all(1), LEASE, now).unwrap(),
        Some(ChapterNo(1))
    );
    assert_eq!(state.claim_next(&next, &all(1), LEASE, now).unwrap(), None);
    drop(guard);
    assert_eq!(
        state.claim_next(&next, &all(1), LEASE, now).unwrap(),
        Some(ChapterNo(1)),
        "a claim whose worker is gone waited for its lease"
    );
}

/// The in-memory registry forgets a worker that retires, as one whose guard is dropped.
#[test]
fn the_memory_store_forgets_a_retired_worker() {
    let state = MemoryStore::default();
    let (done, guard) = alive(&state, "done");
    let (dropped, other) = alive(&state, "dropped");
    guard.retire();
    drop(other);
    for worker in [&done, &dropped] {
        assert_eq!(
            state.workers().liveness(worker),
            crate::store::liveness::Liveness::Dead
        );
    }
}

/// Instantiates every test of the suite for one store. `$make` gives `Some((keep, state))`,
/// or `None` when the store cannot run here (the test is then skipped, with a notice).
macro_rules! conformance {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn opening_creates_once_and_keeps_state() {
                let Some((_keep, state)) = $make else { return };
                super::opening_creates_once_and_keeps_state(&state);
            }

            #[test]
            fn claims_follow_reading_order_and_the_selection() {
                let Some((_keep, state)) = $make else { return };
                super::claims_follow_reading_order_and_the_selection(&state);
            }

            #[test]
            fn a_chapter_is_never_claimed_twice_under_contention() {
                let Some((_keep, state)) = $make else { return };
                super::a_chapter_is_never_claimed_twice_under_contention(Arc::new(state));
            }

            #[test]
            fn only_the_holder_may_heartbeat_release_or_complete() {
                let Some((_keep, state)) = $make else { return };
                super::only_the_holder_may_heartbeat_release_or_complete(&state);
            }

            #[test]
            fn the_last_record_completes_the_chapter_with_its_usage() {
                let Some((_keep, state)) = $make else { return };
                super::the_last_record_completes_the_chapter_with_its_usage(&state);
            }

            #[test]
            fn an_expired_lease_is_taken_over_and_fences_the_old_holder() {
                let Some((_keep, state)) = $make else { return };
                super::an_expired_lease_is_taken_over_and_fences_the_old_holder(&state);
            }

            #[test]
            fn a_taken_over_worker_changes_no_claim() {
                let Some((_keep, state)) = $make else { return };
                super::a_taken_over_worker_changes_no_claim(&state);
            }

            #[test]
            fn recovery_takes_back_only_expired_claims() {
                let Some((_keep, state)) = $make else { return };
                super::recovery_takes_back_only_expired_claims(&state);
            }

            #[test]
            fn a_failed_transaction_keeps_nothing() {
                let Some((_keep, state)) = $make else { return };
                super::a_failed_transaction_keeps_nothing(&state);
            }

            #[test]
            fn a_dropped_workers_claim_is_taken_over_at_once() {
                let Some((_keep, state)) = $make else { return };
                super::a_dropped_workers_claim_is_taken_over_at_once(&state);
            }

            #[test]
            fn failing_and_the_resume_flags() {
                let Some((_keep, state)) = $make else { return };
                super::failing_and_the_resume_flags(&state);
            }
        }
    };
}

fn file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    (dir, store)
}

conformance!(file, Some(file_store()));
conformance!(memory, Some(((), MemoryStore::default())));
conformance!(
    postgres,
    crate::store::postgres::test_cluster::book_state("conformance")
);

fn cast() -> Vec<(String, String)> {
    vec![
        ("elizabeth-bennet".into(), "Elizabeth Bennet".into()),
        ("mr-darcy".into(), "Mr. Darcy".into()),
    ]
}

fn portrait(state: &dyn BookState, slug: &str) -> crate::store::Portrait {
    state.snapshot().unwrap().unwrap().portraits[slug].clone()
}

pub(super) fn a_portrait_is_claimed_and_recorded_once(state: &dyn BookState) {
    use crate::store::{PortraitOutcome, PortraitStatus};
    book(state, 2, &[]);
    assert_eq!(state.want_portraits(&cast()).unwrap(), 2);
    assert_eq!(state.want_portraits(&cast()).unwrap(), 0, "asked for once");
    let (a, _ga) = alive(state, "pa");
    let (b, _gb) = alive(state, "pb");
    let first = state.claim_portrait(None, &a, LEASE, Utc::now()).unwrap();
    assert_eq!(first.as_deref(), Some("elizabeth-bennet"));
    let held = state
        .claim_portrait(Some("elizabeth-bennet"), &b, LEASE, Utc::now())
        .unwrap();
    assert_eq!(held, None, "a held portrait is not claimed twice");
    let second = state.claim_portrait(None, &b, LEASE, Utc::now()).unwrap();
    assert_eq!(second.as_deref(), Some("mr-darcy"));
    assert_eq!(
        state.claim_portrait(None, &b, LEASE, Utc::now()).unwrap(),
        None
    );
    state
        .heartbeat_portrait("elizabeth-bennet", &a, Utc::now())
        .unwrap();
    assert!(
        state
            .heartbeat_portrait("elizabeth-bennet", &b, Utc::now())
            .is_err()
    );
    let image = PortraitOutcome::Image("images/cast/elizabeth-bennet.png".into());
    let cost = (
        ChapterNo(1),
        Usage {
            images: 1,
            ..Usage::default()
        },
    );
    assert!(
        !state
            .record_portrait("elizabeth-bennet", &b, &image, cost)
            .unwrap()
    );
    assert!(
        state
            .record_portrait("elizabeth-bennet", &a, &image, cost)
            .unwrap()
    );
    assert!(
        !state
            .record_portrait("elizabeth-bennet", &a, &image, cost)
            .unwrap(),
        "once"
    );
    let done = portrait(state, "elizabeth-bennet");
    assert_eq!(done.status, PortraitStatus::Done);
    assert_eq!(
        done.image.as_deref(),
        Some("images/cast/elizabeth-bennet.png")
    );
    assert_eq!(done.claim, None);
    let m = state.snapshot().unwrap().unwrap();
    assert_eq!(m.chapters[&ChapterNo(1)].usage.images, 1, "counted once");
    state.release_portrait("mr-darcy", &b).unwrap();
    assert_eq!(portrait(state, "mr-darcy").status, PortraitStatus::Wanted);
    assert!(!state.redo_portrait("nobody").unwrap());
    assert!(state.redo_portrait("elizabeth-bennet").unwrap());
    let again = state
        .claim_portrait(Some("elizabeth-bennet"), &b, LEASE, Utc::now())
        .unwrap();
    assert_eq!(
        again.as_deref(),
        Some("elizabeth-bennet"),
        "redrawn on request"
    );
}

pub(super) fn a_dead_or_expired_portrait_claim_is_taken_over(state: &dyn BookState) {
    book(state, 1, &[]);
    state.want_portraits(&cast()).unwrap();
    let (dead, guard) = alive(state, "gone");
    let slug = state
        .claim_portrait(None, &dead, LEASE, Utc::now())
        .unwrap();
    assert_eq!(slug.as_deref(), Some("elizabeth-bennet"));
    drop(guard);
    let (b, _gb) = alive(state, "next");
    let taken = state.claim_portrait(None, &b, LEASE, Utc::now()).unwrap();
    assert_eq!(
        taken.as_deref(),
        Some("elizabeth-bennet"),
        "a dead worker's at once"
    );
    let stale = WorkerId("elsewhere:1:stale".into());
    let old = Utc::now() - Span::seconds(600);
    assert_eq!(
        state
            .claim_portrait(None, &stale, LEASE, old)
            .unwrap()
            .as_deref(),
        Some("mr-darcy")
    );
    let taken = state.claim_portrait(None, &b, LEASE, Utc::now()).unwrap();
    assert_eq!(
        taken.as_deref(),
        Some("mr-darcy"),
        "an expired lease is taken over"
    );
}

pub(super) fn each_portrait_is_claimed_once_under_contention(state: Arc<dyn BookState>) {
    book(state.as_ref(), 1, &[]);
    let wanted: Vec<(String, String)> = (0..12)
        .map(|i| (format!("c{i:02}"), format!("C {i}")))
        .collect();
    state.want_portraits(&wanted).unwrap();
    // Every worker stays alive to the end: a finished one's claims would be a dead worker's.
    let workers: Vec<_> = (0..6)
        .map(|t| alive(state.as_ref(), &format!("t{t}")))
        .collect();
    let threads: Vec<_> = workers
        .iter()
        .map(|(w, _)| {
            let (state, w) = (state.clone(), w.clone());
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(slug) = state.claim_portrait(None, &w, LEASE, Utc::now()).unwrap() {
                    got.push(slug);
                }
                got
            })
        })
        .collect();
    let mut all: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    let expected: Vec<String> = wanted.into_iter().map(|(s, _)| s).collect();
    assert_eq!(all, expected, "every portrait claimed exactly once");
}

/// The portrait operations, for every store that keeps portraits (all of them now: PgState's
/// in its `portraits` table).
macro_rules! portrait_conformance {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn a_portrait_is_claimed_and_recorded_once() {
                let Some((_keep, state)) = $make else { return };
                super::a_portrait_is_claimed_and_recorded_once(&state);
            }

            #[test]
            fn a_dead_or_expired_portrait_claim_is_taken_over() {
                let Some((_keep, state)) = $make else { return };
                super::a_dead_or_expired_portrait_claim_is_taken_over(&state);
            }

            #[test]
            fn each_portrait_is_claimed_once_under_contention() {
                let Some((_keep, state)) = $make else { return };
                super::each_portrait_is_claimed_once_under_contention(Arc::new(state));
            }
        }
    };
}

portrait_conformance!(file_portraits, Some(file_store()));
portrait_conformance!(memory_portraits, Some(((), MemoryStore::default())));
portrait_conformance!(
    postgres_portraits,
    crate::store::postgres::test_cluster::book_state("portraits")
);
