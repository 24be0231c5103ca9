//! Group commit: every change lands once, failed or panicking changes leave no trace, a change
//! made outside the committer is never hidden by its cache.

use crate::ids::ChapterNo;
use crate::store::Usage;
use crate::store::manifest::{Manifest, Status};
use crate::store::{Error, FileLock, LOCK_FILE, Store, WorkerId, test_support};
use chrono::Utc;
use std::path::Path;
use std::time::Duration;

fn new_store(dir: &Path, chapters: u32) -> Store {
    let store = Store::open(dir).unwrap();
    store
        .update_with_lock(|m| {
            m.set_initial(test_support::manifest(chapters));
            Ok::<_, Error>(())
        })
        .unwrap();
    store
}

/// Usage of `n` prompt tokens.
fn prompt(n: u64) -> Usage {
    Usage {
        prompt_tokens: n,
        ..Usage::default()
    }
}

fn one_token(store: &Store, chapter: u32) -> Result<(), Error> {
    store.update_with_lock(|m| m.add_usage(ChapterNo(chapter), prompt(1)))
}

/// Whether nobody holds the folder's lock.
fn lock_is_free(dir: &Path) -> bool {
    FileLock::try_acquire(&dir.join(LOCK_FILE))
        .unwrap()
        .is_some()
}

fn on_disk(dir: &Path) -> Manifest {
    let bytes = std::fs::read(dir.join(crate::store::MANIFEST_FILE)).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn tokens(m: &Manifest, chapter: u32) -> u64 {
    m.chapters[&ChapterNo(chapter)].usage.prompt_tokens
}

#[test]
fn concurrent_changes_all_land_and_share_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 16);
    let before = store.commit_stats();
    std::thread::scope(|s| {
        for chapter in 1..=16 {
            let store = store.clone();
            s.spawn(move || {
                for _ in 0..25 {
                    one_token(&store, chapter).unwrap();
                }
            });
        }
    });
    let m = on_disk(dir.path());
    for chapter in 1..=16 {
        assert_eq!(tokens(&m, chapter), 25, "chapter {chapter}");
    }
    let stats = store.commit_stats();
    assert_eq!(stats.changes - before.changes, 400);
    assert!(
        stats.writes - before.writes < 400,
        "16 writers should share fsyncs: {stats:?}"
    );
    assert!(lock_is_free(dir.path()));
}

#[test]
fn two_stores_opened_on_one_folder_lose_no_change() {
    // No process-wide registry joins them: the file lock alone serialises their batches, as it
    // does between processes, and each one's cache notices the other's writes.
    let dir = tempfile::tempdir().unwrap();
    let a = new_store(dir.path(), 2);
    let b = Store::open(dir.path()).unwrap();
    let before = a.commit_stats().changes;
    std::thread::scope(|s| {
        for store in [&a, &b] {
            for chapter in 1..=2 {
                s.spawn(move || {
                    for _ in 0..20 {
                        one_token(store, chapter).unwrap();
                    }
                });
            }
        }
    });
    let m = on_disk(dir.path());
    assert_eq!((tokens(&m, 1), tokens(&m, 2)), (40, 40));
    assert_eq!(
        a.commit_stats().changes - before + b.commit_stats().changes,
        80
    );
    assert!(lock_is_free(dir.path()));
}

#[test]
fn a_failing_change_is_undone() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 2);
    let err = store
        .update_with_lock(|m| {
            m.add_usage(ChapterNo(1), prompt(7))?;
            m.add_usage(ChapterNo(99), Usage::default())
        })
        .unwrap_err();
    assert!(matches!(err, Error::UnknownChapter { .. }), "{err}");
    one_token(&store, 2).unwrap();
    let m = on_disk(dir.path());
    assert_eq!((tokens(&m, 1), tokens(&m, 2)), (0, 1));
}

#[test]
fn a_panicking_change_is_undone_and_the_lock_released() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 2);
    let panicked = std::panic::catch_unwind(|| {
        let _ = store.update_with_lock(|m| {
            m.add_usage(ChapterNo(1), prompt(7))?;
            if tokens(m.manifest()?, 1) == 7 {
                panic!("inside the change");
            }
            Ok::<_, Error>(())
        });
    });
    assert!(panicked.is_err());
    assert!(lock_is_free(dir.path()));
    one_token(&store, 2).unwrap();
    let m = on_disk(dir.path());
    assert_eq!((tokens(&m, 1), tokens(&m, 2)), (0, 1));
}

#[test]
fn an_invalid_change_is_refused_and_undone() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 1);
    let err = store
        .update_with_lock(|m| {
            m.chapter_mut(ChapterNo(1))?.status = Status::IllustrationInprogress;
            Ok::<_, Error>(())
        })
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    let status = store
        .update_with_lock(|m| Ok::<_, Error>(m.manifest()?.chapters[&ChapterNo(1)].status))
        .unwrap();
    assert_eq!(status, Status::Pending);
    assert_eq!(
        on_disk(dir.path()).chapters[&ChapterNo(1)].status,
        Status::Pending
    );
}

#[test]
fn the_cached_manifest_is_reused_only_while_the_file_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 3);
    one_token(&store, 1).unwrap();
    let reused = store.commit_stats().reused;
    one_token(&store, 1).unwrap();
    assert_eq!(store.commit_stats().reused, reused + 1);

    // Another writer (as another process would) changes the file behind the cache.
    let mut other = store.lock(Duration::from_secs(5)).unwrap();
    other.mark_analyzed(ChapterNo(3), 1, Utc::now()).unwrap();
    other.commit().unwrap();
    drop(other);

    let seen = store
        .update_with_lock(|m| {
            let worker = WorkerId::current();
            m.claim_next(&worker, Duration::from_secs(60), Utc::now())
        })
        .unwrap();
    assert_eq!(
        seen,
        Some(ChapterNo(3)),
        "the other writer's change is seen"
    );
    assert_eq!(
        store.commit_stats().reused,
        reused + 1,
        "the file was parsed again"
    );

    let cached = store
        .update_with_lock(|m| Ok::<_, Error>(m.manifest()?.clone()))
        .unwrap();
    assert_eq!(
        cached,
        on_disk(dir.path()),
        "the cache equals a fresh parse"
    );
}

#[test]
fn a_failed_write_fails_its_caller_and_the_next_batch_rereads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 2);
    one_token(&store, 1).unwrap();
    // A folder where the backup goes makes the rotation before the write fail.
    let bak = dir
        .path()
        .join(format!("{}.bak", crate::store::MANIFEST_FILE));
    std::fs::remove_file(&bak).unwrap();
    std::fs::create_dir_all(bak.join("blocker")).unwrap();
    assert!(one_token(&store, 2).is_err());
    assert!(lock_is_free(dir.path()));

    std::fs::remove_dir_all(&bak).unwrap();
    let read_only = store.update_with_lock(|m| Ok::<_, Error>(m.manifest()?.chapters.len()));
    assert_eq!(
        read_only.unwrap(),
        2,
        "a read after the failure is not failed with it"
    );
    one_token(&store, 1).unwrap();
    let m = on_disk(dir.path());
    assert_eq!(
        (tokens(&m, 1), tokens(&m, 2)),
        (2, 0),
        "the failed change is gone"
    );
}

#[test]
fn load_reuses_the_last_manifest_only_while_the_file_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), 2);
    one_token(&store, 1).unwrap();
    let reused = store.commit_stats().reused;
    assert_eq!(store.load().unwrap().manifest.unwrap(), on_disk(dir.path()));
    assert_eq!(store.commit_stats().reused, reused + 1);

    let mut other = store.lock(Duration::from_secs(5)).unwrap();
    other.mark_analyzed(ChapterNo(2), 1, Utc::now()).unwrap();
    other.commit().unwrap();
    drop(other);
    let loaded = store.load().unwrap().manifest.unwrap();
    assert_eq!(loaded.chapters[&ChapterNo(2)].status, Status::Analyzed);
    assert_eq!(
        store.commit_stats().reused,
        reused + 1,
        "parsed, not reused"
    );
}

/// While another process holds the lock, every caller of this process gives up at its own
/// deadline: callers queued behind the one waiting for the lock do not each wait a full timeout
/// in turn. Once the lock is free, they all go through.
#[test]
fn callers_queued_behind_a_lock_wait_give_up_at_their_own_deadline() {
    const CALLERS: u32 = 4;
    let timeout = Duration::from_millis(400);
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path(), CALLERS).with_lock_timeout(timeout);
    let other_process = FileLock::acquire(&dir.path().join(LOCK_FILE), timeout).unwrap();
    let waited: Vec<(Duration, Result<(), Error>)> = std::thread::scope(|s| {
        let callers: Vec<_> = (1..=CALLERS)
            .map(|chapter| {
                let store = store.clone();
                s.spawn(move || {
                    let start = std::time::Instant::now();
                    let outcome = one_token(&store, chapter);
                    (start.elapsed(), outcome)
                })
            })
            .collect();
        callers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (elapsed, outcome) in &waited {
        assert!(
            matches!(outcome, Err(Error::LockTimeout { .. })),
            "{outcome:?}"
        );
        // One timeout each, not one per caller ahead in the queue (that would be up to 4×).
        assert!(*elapsed < timeout * 2, "a caller waited {elapsed:?}");
    }
    drop(other_process);
    for chapter in 1..=CALLERS {
        one_token(&store, chapter).unwrap();
    }
    assert_eq!(tokens(&on_disk(dir.path()), CALLERS), 1);
    assert!(lock_is_free(dir.path()));
}
