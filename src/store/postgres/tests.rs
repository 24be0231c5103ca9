//! What the PostgreSQL store adds to the conformance suite (`state_tests.rs`): fencing by the
//! attempt number, claims from separate pools (as separate processes), migrations raced by
//! workers starting at once, and snapshots equal to the in-memory store's.

use super::queue::{Queue, Submission};
use super::test_cluster::{book_state, fresh_book, new_database};
use super::*;
use crate::ids::ChapterNo;
use crate::store::manifest::Status;
use crate::store::test_support;
use crate::store::{BookMeta, MemoryStore, OpenBook};
use chrono::Duration as Span;
use std::collections::BTreeSet;

const LEASE: Duration = Duration::from_secs(60);

fn request(chapters: u32, now: DateTime<Utc>) -> OpenBook {
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
        now,
    }
}

/// Now, to the microsecond PostgreSQL keeps.
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

fn analyzed_book(state: &dyn BookState, chapters: u32) {
    state.open_book(&request(chapters, now())).unwrap();
    for no in 1..=chapters {
        state
            .mark_analyzed(ChapterNo(no), 2, Usage::default(), now())
            .unwrap();
    }
}

fn all(n: u32) -> Vec<ChapterNo> {
    (1..=n).map(ChapterNo).collect()
}

fn worker(name: &str) -> WorkerId {
    WorkerId(format!("host:{}:{name}", std::process::id()))
}

#[test]
fn a_fenced_worker_records_nothing() {
    let Some((_, state)) = book_state("fenced") else {
        return;
    };
    analyzed_book(&state, 1);
    let (a, b) = (worker("a"), worker("b"));
    let (_a, _b) = (
        state.register_worker(&a).unwrap(),
        state.register_worker(&b).unwrap(),
    );
    let t0 = now();
    state.claim_next(&a, &all(1), LEASE, t0).unwrap();
    let after = t0 + Span::seconds(61);
    assert_eq!(
        state.claim_next(&b, &all(1), LEASE, after).unwrap(),
        Some(ChapterNo(1))
    );
    let before = state.snapshot().unwrap();
    let image = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
    let paid = Usage {
        images: 1,
        ..Usage::default()
    };
    let done = state
        .record_scene(ChapterNo(1), SceneNo(1), &image, paid, Some(&a), after)
        .unwrap();
    assert!(!done);
    assert_eq!(
        state.snapshot().unwrap(),
        before,
        "a fenced record changed the state"
    );
}

/// The claim's attempt number, not only the worker id, must match: a claim remembered by one
/// pool is fenced once the same worker id's claim was renewed through another.
#[test]
fn the_attempt_number_fences_a_stale_holder() {
    let Some((_, first)) = book_state("attempt") else {
        return;
    };
    let url = super::test_cluster::shared_url().unwrap_or_default();
    let second = PgState::open(&url, first.book()).unwrap();
    analyzed_book(&first, 1);
    let a = worker("same");
    let _alive = first.register_worker(&a).unwrap();
    let t0 = now();
    assert_eq!(
        first.claim_next(&a, &all(1), LEASE, t0).unwrap(),
        Some(ChapterNo(1))
    );
    let after = t0 + Span::seconds(61);
    assert_eq!(
        second.claim_next(&a, &all(1), LEASE, after).unwrap(),
        Some(ChapterNo(1))
    );
    assert!(matches!(
        first.heartbeat(ChapterNo(1), &a, after),
        Err(Error::ClaimLost { .. })
    ));
    assert!(!first.complete(ChapterNo(1), &a, after).unwrap());
    assert!(second.complete(ChapterNo(1), &a, after).unwrap());
}

/// Portraits are fenced as chapters are: a portrait claimed through one pool and taken over by
/// the same worker id through another (its lease expired) cannot be renewed, recorded (nothing
/// recorded, no cost added) or given back through the first; the second records it.
#[test]
fn the_attempt_number_fences_a_stale_portrait_holder() {
    use crate::store::PortraitOutcome;
    let Some((_, first)) = book_state("portrait-attempt") else {
        return;
    };
    let url = super::test_cluster::shared_url().unwrap_or_default();
    let second = PgState::open(&url, first.book()).unwrap();
    analyzed_book(&first, 1);
    first
        .want_portraits(&[("ann".to_string(), "Ann".to_string())])
        .unwrap();
    let a = worker("same");
    let _alive = first.register_worker(&a).unwrap();
    let t0 = now();
    let claimed = first.claim_portrait(None, &a, LEASE, t0).unwrap();
    assert_eq!(claimed.as_deref(), Some("ann"));
    let after = t0 + Span::seconds(61);
    let taken = second.claim_portrait(None, &a, LEASE, after).unwrap();
    assert_eq!(
        taken.as_deref(),
        Some("ann"),
        "an expired claim is taken over"
    );
    assert!(matches!(
        first.heartbeat_portrait("ann", &a, after),
        Err(Error::ClaimLost { .. })
    ));
    let drawn = PortraitOutcome::Image("images/cast/ann.png".into());
    let cost = Usage {
        images: 1,
        ..Usage::default()
    };
    assert!(
        !first
            .record_portrait("ann", &a, &drawn, (ChapterNo(1), cost))
            .unwrap()
    );
    assert!(matches!(
        first.release_portrait("ann", &a),
        Err(Error::ClaimLost { .. })
    ));
    assert!(
        second
            .record_portrait("ann", &a, &drawn, (ChapterNo(1), cost))
            .unwrap()
    );
    let m = second.snapshot().unwrap().unwrap();
    assert_eq!(
        m.chapters[&ChapterNo(1)].usage.images,
        1,
        "the cost is counted once"
    );
}

/// Two stores (two pools, as two processes would have) with two threads each.
#[test]
fn separate_processes_never_claim_one_chapter_twice() {
    const CHAPTERS: u32 = 40;
    let Some((_, first)) = book_state("processes") else {
        return;
    };
    let url = super::test_cluster::shared_url().unwrap_or_default();
    let second = PgState::open(&url, first.book()).unwrap();
    analyzed_book(&first, CHAPTERS);
    let stores: Vec<Arc<PgState>> = vec![Arc::new(first), Arc::new(second)];
    let mut guards = Vec::new();
    let mut threads = Vec::new();
    for i in 0..4 {
        let store = stores[i % 2].clone();
        let w = worker(&format!("w{i}"));
        guards.push(store.register_worker(&w).unwrap());
        threads.push(std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(c) = store.claim_next(&w, &all(CHAPTERS), LEASE, now()).unwrap() {
                got.push(c);
            }
            got
        }));
    }
    let mut seen = BTreeSet::new();
    for thread in threads {
        for chapter in thread.join().expect("thread") {
            assert!(seen.insert(chapter), "chapter {chapter} claimed twice");
        }
    }
    assert_eq!(seen.len(), CHAPTERS as usize);
}

#[test]
fn workers_starting_at_once_migrate_once() {
    let Some(url) = new_database("racing") else {
        return;
    };
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || PgState::open(&url, &format!("b{i}")).map(drop))
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread").expect("open");
    }
    let state = PgState::open(&url, "check").unwrap();
    let client = state.db.client().unwrap();
    let versions: Vec<i32> = block(async {
        let rows = client
            .query("SELECT version FROM schema_version ORDER BY version", &[])
            .await
            .unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    });
    assert_eq!(versions, (1..=schema::latest()).collect::<Vec<_>>());
}

/// A store opening a database whose schema is current reads the version without the
/// migration lock: workers starting at once do not queue for it one by one.
#[test]
fn a_current_schema_is_read_without_the_migration_lock() {
    let Some(url) = new_database("current") else {
        return;
    };
    let first = PgState::open(&url, "first").unwrap();
    let client = first.db.client().unwrap();
    let lock = format!("SELECT pg_advisory_lock({})", schema::MIGRATION_LOCK);
    let unlock = format!("SELECT pg_advisory_unlock({})", schema::MIGRATION_LOCK);
    let opened = ends_while_locked(&client, (&lock, &unlock), move || {
        PgState::open(&url, "second").is_ok()
    });
    assert_eq!(opened, Some(true), "waited for the migration lock");
}

/// Runs `op` on another thread while the session of `client` holds an advisory lock (`lock`
/// takes it, `unlock` lets it go): `Some` of what `op` returned when it ended within 5 s.
fn ends_while_locked<T: Send + 'static>(
    client: &deadpool_postgres::Object,
    (lock, unlock): (&str, &str),
    op: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    block(async { client.batch_execute(lock).await.unwrap() });
    let (done, ended) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = done.send(op());
    });
    let answer = ended.recv_timeout(Duration::from_secs(5)).ok();
    block(async { client.batch_execute(unlock).await.unwrap() });
    thread.join().expect("the operation's thread");
    answer
}

/// The statements that take and let go `state`'s book lock in a session of its own (`kind`
/// "" for exclusive, "_shared").
fn book_lock_sql(state: &PgState, kind: &str) -> (String, String) {
    let key = format!("{}, hashtext('{}')", super::native::BOOK_LOCK, state.book());
    (
        format!("SELECT pg_advisory_lock{kind}({key})"),
        format!("SELECT pg_advisory_unlock{kind}({key})"),
    )
}

/// The statements that take and let go the lock under which helpers choose a book.
fn helpers_lock_sql() -> (String, String) {
    let key = super::queue::HELPERS_LOCK;
    (
        format!("SELECT pg_advisory_lock({key}, 0)"),
        format!("SELECT pg_advisory_unlock({key}, 0)"),
    )
}

/// A book's state in a new database, opened with `chapters` chapters.
fn opened_book(name: &str, chapters: u32) -> Option<std::sync::Arc<PgState>> {
    let (_, state) = book_state(name)?;
    state.open_book(&request(chapters, now())).unwrap();
    Some(std::sync::Arc::new(state))
}

/// Runs `op` while a second session holds `state`'s book lock shared, as the one-row
/// operations take it: `true` when `op` ended within 5 s. A whole-book `transact` takes the
/// lock exclusive and waits for the session to let it go.
fn ends_beside_a_shared_book_lock(
    state: &std::sync::Arc<PgState>,
    op: impl FnOnce(&PgState) + Send + 'static,
) -> bool {
    let client = state.db.client().unwrap();
    let (lock, unlock) = book_lock_sql(state, "_shared");
    let running = state.clone();
    ends_while_locked(&client, (&lock, &unlock), move || op(&running)).is_some()
}

/// Marking a chapter analyzed (every chapter's analysis ends with it) and the portraits'
/// operations are one row's update: they never wait behind another worker's operation on the
/// book, nor read and rewrite the whole book.
#[test]
fn a_chapter_analyzed_and_portraits_are_one_rows_update() {
    use crate::store::PortraitOutcome;
    let Some(state) = opened_book("one-row", 2) else {
        return;
    };
    let a = worker("one-row");
    let _alive = state.register_worker(&a).unwrap();
    let marked = ends_beside_a_shared_book_lock(&state, |s| {
        s.mark_analyzed(ChapterNo(1), 2, Usage::default(), now())
            .unwrap();
    });
    assert!(marked, "marking a chapter analyzed waited for the book");
    let wanted = ends_beside_a_shared_book_lock(&state, |s| {
        let cast = [("ann".to_string(), "Ann".to_string())];
        assert_eq!(s.want_portraits(&cast).unwrap(), 1);
    });
    assert!(wanted, "asking for portraits waited for the book");
    let (w, ww) = (a.clone(), a.clone());
    let drawn = ends_beside_a_shared_book_lock(&state, move |s| {
        assert_eq!(
            s.claim_portrait(None, &w, LEASE, now()).unwrap().as_deref(),
            Some("ann")
        );
        s.heartbeat_portrait("ann", &w, now()).unwrap();
        let image = PortraitOutcome::Image("images/cast/ann.png".into());
        let cost = (ChapterNo(1), Usage::default());
        assert!(s.record_portrait("ann", &ww, &image, cost).unwrap());
    });
    assert!(drawn, "a portrait's claim or record waited for the book");
    let m = state.snapshot().unwrap().unwrap();
    assert_eq!(m.chapters[&ChapterNo(1)].status, Status::Analyzed);
    assert_eq!(m.chapters[&ChapterNo(1)].concepts, 2);
    assert_eq!(
        m.portraits["ann"].image.as_deref(),
        Some("images/cast/ann.png")
    );
}

/// Opening a book already opened as asked (each helper of a book does) reads it without the
/// book's exclusive lock; an open that changes something still writes it.
#[test]
fn opening_an_opened_book_takes_no_lock_and_a_changing_open_still_writes() {
    let Some((_, state)) = book_state("open-again") else {
        return;
    };
    let state = std::sync::Arc::new(state);
    assert!(state.open_book(&request(2, now())).unwrap().created);
    let again = ends_beside_a_shared_book_lock(&state, |s| {
        let opened = s.open_book(&request(2, now())).unwrap();
        assert!(!opened.created);
    });
    assert!(again, "opening an opened book waited for the book's lock");
    state.open_book(&request(3, now())).unwrap();
    let m = state.snapshot().unwrap().unwrap();
    assert_eq!(m.chapters.len(), 3, "the new chapter was not added");
}

/// The book's lock is sent together with the statements it guards, yet still taken before
/// them: while another session holds it exclusive, a one-row operation does not end, and it
/// ends (with its change made) once the lock is let go.
#[test]
fn a_one_row_operation_waits_for_the_books_exclusive_lock() {
    let Some(state) = opened_book("lock-first", 1) else {
        return;
    };
    let client = state.db.client().unwrap();
    let (lock, unlock) = book_lock_sql(&state, "");
    let marking = state.clone();
    let ended = ends_while_locked(&client, (&lock, &unlock), move || {
        marking
            .mark_analyzed(ChapterNo(1), 1, Usage::default(), now())
            .unwrap();
    });
    assert!(ended.is_none(), "marked while the book was locked");
    let m = state.snapshot().unwrap().unwrap();
    assert_eq!(m.chapters[&ChapterNo(1)].status, Status::Analyzed);
}

/// Pass 1's usage and the cast's status are one row's update each (they were whole-book
/// transactions at every book's start); on a chapter or book that is not there they still fail.
#[test]
fn usage_and_the_cast_status_are_one_rows_update() {
    let Some((_, state)) = book_state("usage-one-row") else {
        return;
    };
    let state = std::sync::Arc::new(state);
    let none = state.set_elements_status(crate::store::ElementsStatus::Inprogress);
    assert!(none.is_err(), "a status set on a book with no state");
    assert_eq!(state.elements_status().unwrap(), None);
    state.open_book(&request(2, now())).unwrap();
    let cost = Usage {
        prompt_tokens: 5,
        completion_tokens: 3,
        images: 0,
    };
    let added = ends_beside_a_shared_book_lock(&state, move |s| {
        s.add_usage(ChapterNo(2), cost).unwrap();
        s.add_usage(ChapterNo(2), cost).unwrap();
    });
    assert!(added, "adding usage waited for the book");
    let set = ends_beside_a_shared_book_lock(&state, |s| {
        s.set_elements_status(crate::store::ElementsStatus::Complete)
            .unwrap();
    });
    assert!(set, "setting the cast's status waited for the book");
    assert!(
        state.add_usage(ChapterNo(9), cost).is_err(),
        "usage of no chapter"
    );
    let m = state.snapshot().unwrap().unwrap();
    assert_eq!(m.chapters[&ChapterNo(2)].usage.prompt_tokens, 10);
    assert_eq!(m.chapters[&ChapterNo(2)].usage.completion_tokens, 6);
    assert_eq!(m.elements_md_status, crate::store::ElementsStatus::Complete);
    assert_eq!(
        state.elements_status().unwrap(),
        Some(crate::store::ElementsStatus::Complete)
    );
}

/// The same operations on the in-memory store and on PostgreSQL give the same manifest.
#[test]
fn snapshots_equal_the_memory_stores() {
    let Some((_, pg)) = book_state("same") else {
        return;
    };
    let memory = MemoryStore::default();
    let w = worker("w");
    let t0 = now();
    for state in [&memory as &dyn BookState, &pg] {
        let _alive = state.register_worker(&w).unwrap();
        state.open_book(&request(3, t0)).unwrap();
        state
            .mark_analyzed(
                ChapterNo(1),
                2,
                Usage {
                    prompt_tokens: 7,
                    ..Usage::default()
                },
                t0,
            )
            .unwrap();
        state
            .mark_analyzed(ChapterNo(2), 1, Usage::default(), t0)
            .unwrap();
        state
            .set_elements_status(crate::store::ElementsStatus::Complete)
            .unwrap();
        state.claim_next(&w, &all(3), LEASE, t0).unwrap();
        let drawn = SceneOutcome::Image("images/1_1.png".into());
        let one = Usage {
            images: 1,
            ..Usage::default()
        };
        state
            .record_scene(ChapterNo(1), SceneNo(1), &drawn, one, None, t0)
            .unwrap();
        let refused = SceneOutcome::Rejected("policy".into());
        assert!(
            state
                .record_scene(
                    ChapterNo(1),
                    SceneNo(2),
                    &refused,
                    Usage::default(),
                    Some(&w),
                    t0
                )
                .unwrap()
        );
        state.claim_next(&w, &all(3), LEASE, t0).unwrap();
        state
            .heartbeat(ChapterNo(2), &w, t0 + Span::seconds(5))
            .unwrap();
        state.fail(ChapterNo(3), "no scenes").unwrap();
    }
    let strip = |m: Option<Manifest>| {
        m.map(|mut m| {
            m.last_updated = None;
            m
        })
    };
    let (expected, got) = (
        strip(memory.snapshot().unwrap()),
        strip(pg.snapshot().unwrap()),
    );
    assert_eq!(got, expected);
    let got = got.unwrap_or_else(|| test_support::manifest(0));
    assert_eq!(
        got.chapters[&ChapterNo(1)].status,
        Status::IllustrationComplete
    );
}

/// A book whose state arrives whole (chapters analyzed, drawn, refused, claimed, failed) in
/// its first transaction reads back as written: the new chapters' rows, usage and scenes are
/// written together, not one chapter at a time.
#[test]
fn a_book_created_with_its_chapters_states_reads_back_whole() {
    let Some((_, pg)) = book_state("created_whole") else {
        return;
    };
    let t0 = now();
    let mut m = test_support::manifest(3);
    m.last_updated = Some(t0);
    let one = std::sync::Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap());
    one.status = Status::IllustrationComplete;
    one.analyzed_at = Some(t0);
    one.concepts = 4;
    one.scenes_done = vec![crate::ids::SceneNo(1), crate::ids::SceneNo(2)];
    one.rejected.insert(crate::ids::SceneNo(2), "policy".into());
    one.usage = Usage {
        prompt_tokens: 11,
        completion_tokens: 5,
        images: 1,
    };
    let two = std::sync::Arc::make_mut(m.chapters.get_mut(&ChapterNo(2)).unwrap());
    two.status = Status::IllustrationInprogress;
    two.claim = Some(crate::store::manifest::Claim {
        worker: worker("w"),
        claimed_at: t0,
        heartbeat_at: t0 + Span::seconds(3),
    });
    two.attempts = 2;
    let three = std::sync::Arc::make_mut(m.chapters.get_mut(&ChapterNo(3)).unwrap());
    three.status = Status::Error;
    three.error = Some("no scenes".into());
    let written = m.clone();
    pg.transact(&mut |locked| {
        assert!(locked.set_initial(written.clone()));
        Ok(())
    })
    .unwrap();
    let got = pg.snapshot().unwrap().expect("the book's state");
    assert_eq!(got.chapters, m.chapters);
}

/// Portraits through every state (wanted, drawing, done, failed, redrawn) read back from the
/// rows as the in-memory store holds them, and a take-over counts one more claim attempt.
#[test]
fn portraits_read_back_as_the_memory_store_holds_them() {
    use crate::store::PortraitOutcome;
    let Some((_, pg)) = book_state("portraits-same") else {
        return;
    };
    let memory = MemoryStore::default();
    let (a, b) = (worker("pa"), worker("pb"));
    let t0 = now();
    let cast: Vec<(String, String)> = ["ann", "bob", "cy", "dee"]
        .iter()
        .map(|s| (s.to_string(), s.to_uppercase()))
        .collect();
    for state in [&memory as &dyn BookState, &pg] {
        let (_a, _b) = (
            state.register_worker(&a).unwrap(),
            state.register_worker(&b).unwrap(),
        );
        state.open_book(&request(1, t0)).unwrap();
        assert_eq!(state.want_portraits(&cast).unwrap(), 4);
        let cost = (ChapterNo(1), Usage::default());
        let drawn = PortraitOutcome::Image("images/cast/ann.png".into());
        state.claim_portrait(Some("ann"), &a, LEASE, t0).unwrap();
        assert!(state.record_portrait("ann", &a, &drawn, cost).unwrap());
        state.claim_portrait(Some("bob"), &a, LEASE, t0).unwrap();
        let refused = PortraitOutcome::Failed("refused".into());
        assert!(state.record_portrait("bob", &a, &refused, cost).unwrap());
        assert!(state.redo_portrait("ann").unwrap());
        state.claim_portrait(Some("cy"), &a, LEASE, t0).unwrap();
        let later = t0 + Span::seconds(61);
        state.claim_portrait(Some("cy"), &b, LEASE, later).unwrap();
        state.heartbeat_portrait("cy", &b, later).unwrap();
    }
    let strip = |m: Option<Manifest>| {
        m.map(|mut m| {
            m.last_updated = None;
            m
        })
    };
    let got = strip(pg.snapshot().unwrap());
    assert_eq!(got, strip(memory.snapshot().unwrap()));
    let got = got.unwrap_or_else(|| test_support::manifest(0));
    assert_eq!(got.portraits.len(), 4);
    assert_eq!(
        got.portraits["ann"].image.as_deref(),
        Some("images/cast/ann.png"),
        "a redraw keeps the old picture until replaced"
    );
    let client = pg.db.client().unwrap();
    let attempts: i64 = block(async {
        client
            .query_one(
                "SELECT claim_attempt FROM portraits WHERE book = $1 AND slug = 'cy'",
                &[&pg.book()],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(attempts, 2, "the take-over is a second claim");
}

/// A worker of this host killed without its guard running leaves its row; the next worker to
/// register here sees its process is gone and frees its claim at once.
#[test]
fn a_killed_local_workers_claim_is_freed_when_the_next_registers() {
    let Some((_, state)) = book_state("killed") else {
        return;
    };
    analyzed_book(&state, 1);
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let killed = WorkerId(format!("{host}:{}:gone", 0x7fff_fff0));
    std::mem::forget(state.register_worker(&killed).unwrap());
    let t0 = now();
    assert_eq!(
        state.claim_next(&killed, &all(1), LEASE, t0).unwrap(),
        Some(ChapterNo(1))
    );
    let next = WorkerId::current();
    let _alive = state.register_worker(&next).unwrap();
    assert_eq!(
        state.claim_next(&next, &all(1), LEASE, t0).unwrap(),
        Some(ChapterNo(1)),
        "the killed worker's claim waited for its lease"
    );
}

/// Whole-book transactions (usage, recovery) interleaved with claims and completions: none
/// waits forever, none undoes another's change.
#[test]
fn transactions_and_claims_interleave_without_losing_changes() {
    const CHAPTERS: u32 = 30;
    let Some((_, state)) = book_state("interleave") else {
        return;
    };
    analyzed_book(&state, CHAPTERS);
    let state = Arc::new(state);
    let mut threads = Vec::new();
    for i in 0..3 {
        let state = state.clone();
        threads.push(std::thread::spawn(move || {
            let w = worker(&format!("c{i}"));
            let _alive = state.register_worker(&w).unwrap();
            while let Some(c) = state.claim_next(&w, &all(CHAPTERS), LEASE, now()).unwrap() {
                state.heartbeat(c, &w, now()).unwrap();
                assert!(state.complete(c, &w, now()).unwrap(), "lost chapter {c}");
            }
        }));
    }
    let accounting = {
        let state = state.clone();
        std::thread::spawn(move || {
            for round in 0..3 * CHAPTERS {
                let chapter = ChapterNo(round % CHAPTERS + 1);
                let one = Usage {
                    prompt_tokens: 1,
                    ..Usage::default()
                };
                state.add_usage(chapter, one).unwrap();
                state.recover_expired(LEASE, now()).unwrap();
            }
        })
    };
    for thread in threads {
        thread.join().expect("claimer");
    }
    accounting.join().expect("accounting");
    let m = state.snapshot().unwrap().unwrap();
    assert!(m.illustrate_complete);
    for chapter in m.chapters.values() {
        assert_eq!(chapter.usage.prompt_tokens, 3, "{chapter:?}");
    }
}

/// Connections the server dropped (a restart, an administrator) are replaced, not reported.
#[test]
fn dropped_connections_are_replaced() {
    let Some(url) = new_database("dropped") else {
        return;
    };
    let state = PgState::open(&url, "book").unwrap();
    analyzed_book(&state, 2);
    super::test_cluster::execute(
        &url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .unwrap();
    let w = worker("after");
    let _alive = state.register_worker(&w).unwrap();
    assert_eq!(
        state.claim_next(&w, &all(2), LEASE, now()).unwrap(),
        Some(ChapterNo(1))
    );
    assert!(state.snapshot().unwrap().is_some());
}

#[test]
fn debug_and_errors_never_show_the_password() {
    let Some(url) = super::test_cluster::shared_url() else {
        return;
    };
    // Trust authentication ignores the password; it must still never be shown.
    let with_password = format!("{url}&password=s3cret");
    let state = PgState::open(&with_password, &fresh_book("secret")).unwrap();
    let shown = format!("{state:?}");
    assert!(
        !shown.contains("s3cret") && shown.contains("***"),
        "{shown}"
    );
    let err = state
        .complete(ChapterNo(1), &worker("x"), now())
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cret"));
}

/// Figures, not a check: claim latency with 8 workers on 400 chapters, and how many claims a
/// second that gives. `cargo test --lib claim_latency -- --ignored --nocapture`.
#[test]
#[ignore = "prints figures; run by hand"]
fn claim_latency_with_eight_workers() {
    const CHAPTERS: u32 = 400;
    let Some((_, state)) = book_state("latency") else {
        return;
    };
    analyzed_book(&state, CHAPTERS);
    let state = Arc::new(state);
    let started = std::time::Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let state = state.clone();
            let w = worker(&format!("l{i}"));
            std::thread::spawn(move || {
                let _alive = state.register_worker(&w).unwrap();
                let mut took = Vec::new();
                loop {
                    let at = std::time::Instant::now();
                    let claimed = state.claim_next(&w, &all(CHAPTERS), LEASE, now()).unwrap();
                    took.push(at.elapsed());
                    let Some(chapter) = claimed else { break took };
                    state.complete(chapter, &w, now()).unwrap();
                }
            })
        })
        .collect();
    let mut took: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let elapsed = started.elapsed();
    took.sort();
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    println!(
        "8 workers, {CHAPTERS} chapters claimed and completed in {elapsed:?} ({:.0} chapters/s); claim p50 {:?}, p99 {:?}",
        f64::from(CHAPTERS) / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99)
    );
}

/// Figures, not a check: how long a portrait's claim and record (one row each,
/// `portrait_ops.rs`) take with 8 workers drawing 48 portraits of a 20-chapter book.
/// `cargo test --lib portrait_claim_latency -- --ignored --nocapture`.
#[test]
#[ignore = "prints figures; run by hand"]
fn portrait_claim_latency_with_eight_workers() {
    use crate::store::PortraitOutcome;
    const PORTRAITS: usize = 48;
    let Some((_, state)) = book_state("portrait-latency") else {
        return;
    };
    analyzed_book(&state, 20);
    let cast: Vec<(String, String)> = (0..PORTRAITS)
        .map(|i| (format!("p{i:02}"), format!("P {i}")))
        .collect();
    state.want_portraits(&cast).unwrap();
    let state = Arc::new(state);
    let workers: Vec<_> = (0..8).map(|i| worker(&format!("pl{i}"))).collect();
    let _alive: Vec<_> = workers
        .iter()
        .map(|w| state.register_worker(w).unwrap())
        .collect();
    let started = std::time::Instant::now();
    let threads: Vec<_> = workers
        .into_iter()
        .map(|w| {
            let state = state.clone();
            std::thread::spawn(move || {
                let (mut claims, mut records) = (Vec::new(), Vec::new());
                loop {
                    let at = std::time::Instant::now();
                    let claimed = state.claim_portrait(None, &w, LEASE, now()).unwrap();
                    claims.push(at.elapsed());
                    let Some(slug) = claimed else {
                        break (claims, records);
                    };
                    let drawn = PortraitOutcome::Image(format!("images/cast/{slug}.png"));
                    let at = std::time::Instant::now();
                    let cost = (ChapterNo(1), Usage::default());
                    assert!(state.record_portrait(&slug, &w, &drawn, cost).unwrap());
                    records.push(at.elapsed());
                }
            })
        })
        .collect();
    let (mut claims, mut records) = (Vec::new(), Vec::new());
    for thread in threads {
        let (c, r) = thread.join().expect("thread");
        claims.extend(c);
        records.extend(r);
    }
    let elapsed = started.elapsed();
    claims.sort();
    records.sort();
    let at = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    println!(
        "8 workers, {PORTRAITS} portraits claimed and recorded in {elapsed:?}; claim p50 {:?} p99 {:?}, record p50 {:?} p99 {:?}",
        at(&claims, 0.5),
        at(&claims, 0.99),
        at(&records, 0.5),
        at(&records, 0.99)
    );
}

/// Book `id` as submitted: ("<id>-sha", "<id>.txt"), no settings.
fn submission(id: &str) -> Submission {
    Submission {
        id: id.into(),
        sha256: format!("{id}-sha"),
        file_name: format!("{id}.txt"),
        settings: Vec::new(),
    }
}

/// A new database's queue with `books` submitted (id, "<id>-sha", "<id>.txt") and `workers`
/// registered on this host; `None` without PostgreSQL.
fn queue_with(name: &str, books: &[&str], workers: &[&str]) -> Option<(String, Queue)> {
    let url = new_database(name)?;
    let queue = Queue::open(&url).unwrap();
    for id in books {
        queue.submit(&submission(id)).unwrap();
    }
    for w in workers {
        queue.register(w, "host", std::process::id()).unwrap();
    }
    Some((url, queue))
}

/// A book can be helped from the moment it is taken (the take wakes idle workers), so a
/// helper gets ready while the holder's first pass runs; it draws only once the holder has
/// shared the cast, which `cast_shared` says (and `None` once the book is no longer held).
#[test]
fn a_held_book_is_helped_from_its_start_and_its_helpers_wait_for_the_shared_cast() {
    let Some((url, queue)) = queue_with("helpers", &["helped"], &["w1", "w2", "w3"]) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut listener = runtime.block_on(queue.listen()).expect("listen");
    let taken = queue.take("w1", LEASE).unwrap().expect("the book");
    let mut woken = || {
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), listener.notified())
                .await
                .is_ok()
        })
    };
    assert!(woken(), "idle workers are woken by a take");
    assert_eq!(queue.cast_shared("helped").unwrap(), Some(false));
    let early = queue
        .helpable(&helper("w2"), &[], LEASE)
        .unwrap()
        .expect("a book just taken can be helped");
    assert_eq!(early.id, "helped");
    assert!(
        queue.helpable(&helper("w1"), &[], LEASE).unwrap().is_none(),
        "the holder does not help itself"
    );
    let state = PgState::open(&url, "helped").unwrap();
    state.open_book(&request(2, now())).unwrap();
    state
        .mark_analyzed(ChapterNo(1), 2, Usage::default(), now())
        .unwrap();
    assert!(woken(), "woken by a chapter becoming claimable");
    assert!(
        !queue.share_cast("helped", "w2", taken.attempt).unwrap(),
        "only the holder shares the cast"
    );
    assert_eq!(queue.cast_shared("helped").unwrap(), Some(false));
    assert!(queue.share_cast("helped", "w1", taken.attempt).unwrap());
    assert_eq!(queue.cast_shared("helped").unwrap(), Some(true));
    let end = super::queue::End::Done;
    assert!(queue.end("helped", "w1", taken.attempt, &end).unwrap());
    assert_eq!(
        queue.cast_shared("helped").unwrap(),
        None,
        "an ended book has nothing to help with"
    );
}

/// A portrait asked for wakes the queue's listeners (schema 6), as a claimable chapter does:
/// a helper that joined the book early draws it at once.
#[test]
fn a_portrait_asked_for_wakes_workers() {
    let Some((url, queue)) = queue_with("portrait_wakes", &["drawn"], &["w1"]) else {
        return;
    };
    let state = PgState::open(&url, "drawn").unwrap();
    state.open_book(&request(1, now())).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut listener = runtime.block_on(queue.listen()).expect("listen");
    let wanted = [("ann".to_string(), "Ann".to_string())];
    assert_eq!(state.want_portraits(&wanted).unwrap(), 1);
    assert_eq!(state.want_portraits(&wanted).unwrap(), 0, "asked for once");
    let woken = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), listener.notified())
            .await
            .ok()
    });
    let woken = woken.expect("woken by a portrait asked for");
    assert!(woken.books.contains("drawn"), "the wake-up names its book");
    assert!(!woken.every_book);
}

/// A holder whose own book still has work lends nothing, and finds that out without waiting
/// for the lock under which helpers choose (it looks at every wake-up, each chapter analyzed).
#[test]
fn a_busy_holder_lends_nothing_without_waiting_for_the_helpers_lock() {
    let Some((url, queue)) = queue_with("busy_holder", &["mine"], &["w1"]) else {
        return;
    };
    queue.take("w1", LEASE).unwrap().expect("the book");
    let db = super::db::Db::new(&url).unwrap();
    let client = db.client().unwrap();
    let (lock, unlock) = helpers_lock_sql();
    let answer = ends_while_locked(&client, (&lock, &unlock), move || {
        let lending = super::queue::Helper {
            lends: true,
            ..helper("w1")
        };
        queue.helpable(&lending, &[], LEASE).unwrap().is_none()
    });
    assert_eq!(
        answer,
        Some(true),
        "the busy holder waited for the lock or lent"
    );
}

#[test]
fn a_worker_with_nothing_to_help_with_does_not_wait_for_the_helpers_lock() {
    let Some((url, queue)) = queue_with("nothing_to_help", &["held"], &["w1", "w2"]) else {
        return;
    };
    let book = queue.take("w1", LEASE).unwrap().expect("the book").id;
    let db = super::db::Db::new(&url).unwrap();
    let client = db.client().unwrap();
    let (lock, unlock) = helpers_lock_sql();
    let queue = std::sync::Arc::new(queue);
    let (q, skip) = (queue.clone(), vec![book]);
    let skipped = ends_while_locked(&client, (&lock, &unlock), move || {
        q.helpable(&helper("w2"), &skip, LEASE).unwrap().is_none()
    });
    assert_eq!(
        skipped,
        Some(true),
        "waited for the lock with nothing to help"
    );
    // The same worker with the held book open to it chooses under the lock.
    let chosen = ends_while_locked(&client, (&lock, &unlock), move || {
        queue.helpable(&helper("w2"), &[], LEASE).unwrap().is_some()
    });
    assert_eq!(chosen, None, "chose a book without the helpers' lock");
}

fn helper(id: &str) -> super::queue::Helper<'_> {
    super::queue::Helper {
        id,
        host: "host",
        pid: std::process::id(),
        lends: false,
    }
}

#[test]
fn helpers_spread_over_the_held_books_up_to_their_fair_share() {
    let workers = ["h1", "h2", "w1", "w2", "w3"];
    let Some((url, queue)) = queue_with("helpers_spread", &["b1", "b2"], &workers) else {
        return;
    };
    let mut holders = Vec::new();
    let mut states = Vec::new();
    for (holder, book) in [("h1", "b1"), ("h2", "b2")] {
        let taken = queue.take(holder, LEASE).unwrap().expect("a book");
        assert_eq!(taken.id, book);
        let state = PgState::open(&url, book).unwrap();
        state.open_book(&request(1, now())).unwrap();
        // b2's holder has not registered its illustrators yet: it counts all the same.
        if holder == "h1" {
            holders.push(state.register_worker(&WorkerId(holder.into())).unwrap());
        }
        assert!(queue.share_cast(book, holder, taken.attempt).unwrap());
        states.push(state);
    }
    let analyzed = |state: &PgState| {
        state
            .mark_analyzed(ChapterNo(1), 2, Usage::default(), now())
            .unwrap();
    };
    let helps = |w: &str, skip: &[&str]| {
        let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
        let helped = queue.helpable(&helper(w), &skip, LEASE).unwrap();
        helped.map(|t| t.id)
    };
    analyzed(&states[0]);
    let lending = |w| super::queue::Helper {
        lends: true,
        ..helper(w)
    };
    let lends = |w| {
        queue
            .helpable(&lending(w), &[], LEASE)
            .unwrap()
            .map(|t| t.id)
    };
    // Five live workers on two books: a share of 2.5, so a book takes two helpers at most
    // beside its holder, the one with fewer first.
    assert_eq!(helps("w1", &[]), Some("b1".into()));
    assert_eq!(
        helps("w2", &[]),
        Some("b2".into()),
        "a book whose chapters are still being analyzed is helped too: its helper gets ready"
    );
    assert_eq!(helps("w3", &[]), Some("b1".into()));
    assert_eq!(
        lends("h1"),
        None,
        "a holder lends its slots only once its own book has nothing left to claim"
    );
    assert_eq!(helps("w1", &["b1"]), Some("b2".into()));
    assert_eq!(
        helps("w3", &["b1"]),
        None,
        "b2 has its share: its holder, registered or not, and two helpers"
    );
    assert_eq!(helps("w2", &["b2"]), None, "b1 has its share");
    queue.stop_helping("b1", "w3").unwrap();
    assert_eq!(
        helps("w2", &["b2"]),
        Some("b1".into()),
        "a helper that left makes room"
    );
    // b2's only chapter is being drawn: nothing there to help with, so b1, the one book
    // left to draw, may take every live worker.
    analyzed(&states[1]);
    let claimed = states[1]
        .claim_next(&worker("h2"), &[ChapterNo(1)], LEASE, now())
        .unwrap();
    assert_eq!(claimed, Some(ChapterNo(1)));
    assert_eq!(
        helps("w3", &[]),
        Some("b1".into()),
        "a book with nothing left to draw does not hold back a share"
    );
    assert_eq!(
        lends("h2"),
        Some("b1".into()),
        "b2's holder, its chapter being drawn, lends its idle slots"
    );
}

#[test]
fn a_session_stopped_inside_a_transaction_is_ended_by_the_server() {
    let Some(url) = new_database("idle_tx") else {
        return;
    };
    let db = super::db::Db::new(&url).unwrap();
    let client = db.client().unwrap();
    let shown = super::db::block(async {
        client
            .query_one("SHOW idle_in_transaction_session_timeout", &[])
            .await
            .map(|row| row.get::<_, String>(0))
    })
    .unwrap();
    assert_eq!(
        shown, "10s",
        "a client paused mid-transaction would hold its locks, and its book, forever"
    );
}

#[test]
fn a_held_book_with_portraits_wanted_is_helped_when_no_chapter_is_left_to_claim() {
    let Some((url, queue)) = queue_with("helpers_portraits", &["drawn"], &["w1", "w2"]) else {
        return;
    };
    let taken = queue.take("w1", LEASE).unwrap().expect("the book");
    let state = PgState::open(&url, "drawn").unwrap();
    state.open_book(&request(2, now())).unwrap();
    assert!(queue.share_cast("drawn", "w1", taken.attempt).unwrap());
    // Both chapters analyzed and being drawn by the holder: nothing to help with.
    for chapter in [1, 2] {
        state
            .mark_analyzed(ChapterNo(chapter), 1, Usage::default(), now())
            .unwrap();
        let holder = worker("w1");
        let claimed = state.claim_next(&holder, &[ChapterNo(chapter)], LEASE, now());
        assert_eq!(claimed.unwrap(), Some(ChapterNo(chapter)));
    }
    assert!(
        queue.helpable(&helper("w2"), &[], LEASE).unwrap().is_none(),
        "nothing to draw"
    );
    let wanted = [(
        "Elizabeth".to_string(),
        "images/cast/elizabeth.png".to_string(),
    )];
    state.want_portraits(&wanted).unwrap();
    assert_eq!(
        queue
            .helpable(&helper("w2"), &[], LEASE)
            .unwrap()
            .map(|t| t.id),
        Some("drawn".to_string()),
        "a portrait nobody draws yet is work a helper can do"
    );
}

#[test]
fn a_workers_book_states_share_its_queues_connections() {
    let Some((url, queue)) = queue_with("shared_pool", &["b1", "b2"], &["w1"]) else {
        return;
    };
    let observer = PgState::open(&url, "observer").unwrap();
    let client = observer.db.client().unwrap();
    let connections = || -> i64 {
        block(async {
            let row = client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    &[],
                )
                .await
                .unwrap();
            row.get(0)
        })
    };
    queue.take("w1", LEASE).unwrap().expect("a book");
    let before = connections();
    let mut states = Vec::new();
    for book in ["b1", "b2"] {
        let state = queue.book_state(book);
        state.open_book(&request(1, now())).unwrap();
        assert!(state.snapshot().unwrap().is_some());
        states.push(state);
    }
    assert_eq!(
        connections(),
        before,
        "the books' states used the queue's open connection, not pools of their own"
    );
}
