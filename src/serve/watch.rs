//! One book's live state: the folder is watched (`notify`, recursive, so images and scene files
//! count as well as the manifest), re-read after a short debounce, compared with the last read,
//! and every real change becomes a numbered update (heartbeats are not changes). The last
//! updates are kept so a client that reconnects with `Last-Event-ID` gets what it missed.

use crate::serve::folder::Folder;
use crate::serve::view::{self, BookView, ChapterView, Head, Prices};
use notify::{RecursiveMode, Watcher};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

/// Events arriving within this time of the first are read as one change.
const DEBOUNCE: Duration = Duration::from_millis(25);
/// A re-read without any event: covers filesystems without events and a folder re-created
/// after its watch ended. Short while there is no watch.
const POLL_WATCHED: Duration = Duration::from_secs(30);
const POLL_UNWATCHED: Duration = Duration::from_secs(2);
/// Updates kept for clients resuming with `Last-Event-ID`.
const KEPT_UPDATES: usize = 256;

/// A numbered update as sent: its number and its JSON.
#[derive(Debug, Clone)]
pub struct Update {
    pub seq: u64,
    pub json: Arc<str>,
}

/// What an update carries: the new figures and the chapters that changed.
#[derive(Debug, Serialize)]
struct Delta<'a> {
    seq: u64,
    /// The server's clock, so the page counts leases down from the same time.
    now: chrono::DateTime<chrono::Utc>,
    head: &'a Head,
    chapters: Vec<&'a ChapterView>,
}

/// The full state with its number.
#[derive(Debug, Serialize)]
pub struct Snapshot<'a> {
    pub seq: u64,
    pub now: chrono::DateTime<chrono::Utc>,
    pub book: &'a BookView,
}

/// One book shown by the server.
#[derive(Debug)]
pub struct Book {
    pub id: String,
    pub dir: PathBuf,
    prices: Prices,
    state: Mutex<State>,
    updates: broadcast::Sender<Update>,
    kick: Arc<Notify>,
}

#[derive(Debug)]
struct State {
    seq: u64,
    view: Arc<BookView>,
    kept: VecDeque<Update>,
    folder: Folder,
    watcher: Option<notify::RecommendedWatcher>,
}

impl Book {
    /// Reads the folder once and starts watching it (on the current tokio runtime).
    pub fn start(id: String, dir: PathBuf, prices: Prices) -> Arc<Book> {
        let mut folder = Folder::new(dir.clone());
        let view = Arc::new(view::read(&id, &mut folder, &prices));
        let book = Arc::new(Book {
            id,
            dir,
            prices,
            state: Mutex::new(State {
                seq: 1,
                view,
                kept: VecDeque::new(),
                folder,
                watcher: None,
            }),
            updates: broadcast::channel(KEPT_UPDATES).0,
            kick: Arc::new(Notify::new()),
        });
        book.ensure_watch();
        tokio::spawn(watch_loop(Arc::downgrade(&book)));
        book
    }

    /// The current view and its number.
    pub fn current(&self) -> (u64, Arc<BookView>) {
        let state = self.lock();
        (state.seq, state.view.clone())
    }

    /// The current view as the JSON of a snapshot.
    pub fn snapshot_json(&self) -> (u64, String) {
        let (seq, view) = self.current();
        let snapshot = Snapshot {
            seq,
            now: chrono::Utc::now(),
            book: &view,
        };
        (seq, serde_json::to_string(&snapshot).unwrap_or_default())
    }

    /// Updates from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }

    /// The kept updates after `seq`, when every one of them is still kept.
    pub fn updates_after(&self, seq: u64) -> Option<Vec<Update>> {
        let state = self.lock();
        if seq > state.seq {
            return None;
        }
        let oldest = state.kept.front().map_or(state.seq + 1, |u| u.seq);
        (seq + 1 >= oldest).then(|| state.kept.iter().filter(|u| u.seq > seq).cloned().collect())
    }

    /// Asks for a re-read now (after an action of this server changed the folder).
    pub fn poke(&self) {
        self.kick.notify_one();
    }

    /// Re-reads the folder; a changed state becomes the next numbered update. Blocking.
    pub fn refresh(&self) {
        let mut state = self.lock();
        let fresh = view::read(&self.id, &mut state.folder, &self.prices);
        let (old, new) = (state.view.without_heartbeats(), fresh.without_heartbeats());
        let changed: Vec<&ChapterView> = fresh
            .chapters
            .iter()
            .zip(&new.chapters)
            .filter(|(_, stable)| !old.chapters.contains(stable))
            .map(|(full, _)| full)
            .collect();
        let real_change =
            old.head != new.head || !changed.is_empty() || old.chapters.len() != new.chapters.len();
        if real_change {
            let seq = state.seq + 1;
            let json = delta_json(seq, &fresh, changed);
            let update = Update { seq, json };
            state.seq = seq;
            state.kept.push_back(update.clone());
            if state.kept.len() > KEPT_UPDATES {
                state.kept.pop_front();
            }
            // No receiver is no error: nobody is watching this book right now.
            let _ = self.updates.send(update);
        }
        state.view = Arc::new(fresh);
    }

    /// Watches the folder when it exists and no watch is running (it ends when the folder is
    /// deleted; a re-created folder is watched again).
    fn ensure_watch(&self) {
        let mut state = self.lock();
        let exists = self.dir.is_dir();
        if !exists {
            state.watcher = None;
        } else if state.watcher.is_none() {
            state.watcher = watcher(&self.dir, self.kick.clone());
        }
    }

    fn poll_interval(&self) -> Duration {
        if self.lock().watcher.is_some() {
            POLL_WATCHED
        } else {
            POLL_UNWATCHED
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the state leaves a whole value (every change is one assignment).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn delta_json(seq: u64, view: &BookView, chapters: Vec<&ChapterView>) -> Arc<str> {
    let delta = Delta {
        seq,
        now: chrono::Utc::now(),
        head: &view.head,
        chapters,
    };
    serde_json::to_string(&delta).unwrap_or_default().into()
}

/// Re-reads the book after each burst of file events (or the poll interval) until the server
/// drops the book.
async fn watch_loop(book: std::sync::Weak<Book>) {
    loop {
        let Some(live) = book.upgrade() else { return };
        let (kick, poll) = (live.kick.clone(), live.poll_interval());
        drop(live);
        let _ = tokio::time::timeout(poll, kick.notified()).await;
        tokio::time::sleep(DEBOUNCE).await;
        let Some(live) = book.upgrade() else { return };
        let refreshed = tokio::task::spawn_blocking(move || {
            live.refresh();
            live.ensure_watch();
        })
        .await;
        if refreshed.is_err() {
            return;
        }
    }
}

/// A recursive watcher that wakes the loop on any change in the folder. Reads are left out:
/// our own reads (and every worker's) would otherwise wake us in a loop.
fn watcher(dir: &std::path::Path, kick: Arc<Notify>) -> Option<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| is_change(&e)) {
            kick.notify_one();
        }
    })
    .ok()?;
    watcher.watch(dir, RecursiveMode::Recursive).ok()?;
    Some(watcher)
}

fn is_change(event: &notify::Event) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode};
    matches!(
        event.kind,
        EventKind::Create(_)
            | EventKind::Modify(_)
            | EventKind::Remove(_)
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ChapterKey, ChapterNo, SceneNo};
    use crate::store::{BookMeta, BookState, Manifest, SceneOutcome, Store, Usage, WorkerId};
    use chrono::Utc;

    fn analyzed_book(dir: &std::path::Path) -> Store {
        let store = Store::open(dir).unwrap();
        let chapters: Vec<_> = (1..=2)
            .map(|i| {
                (
                    ChapterNo(i),
                    ChapterKey(format!("c{i}")),
                    format!("Chapter {i}"),
                )
            })
            .collect();
        store
            .update_with_lock(|m| {
                m.set_initial(Manifest::new("b", BookMeta::default(), &chapters));
                m.mark_analyzed(ChapterNo(1), 2, Utc::now())?;
                m.mark_analyzed(ChapterNo(2), 2, Utc::now())
            })
            .unwrap();
        store
    }

    #[tokio::test]
    async fn a_heartbeat_is_no_update_and_a_recorded_scene_is_one() {
        let tmp = tempfile::tempdir().unwrap();
        let store = analyzed_book(tmp.path());
        let worker = WorkerId::current();
        let _alive = store.register_worker(&worker).unwrap();
        let lease = Duration::from_secs(60);
        let claimed = store
            .claim_next(&worker, &[ChapterNo(1)], lease, Utc::now())
            .unwrap();
        assert_eq!(claimed, Some(ChapterNo(1)));
        let book = Book::start("b".into(), tmp.path().into(), Prices::default());
        let (first, view) = book.current();
        assert_eq!(view.chapters[0].status, "illustration_inprogress");

        let later = Utc::now() + chrono::Duration::seconds(5);
        store.heartbeat(ChapterNo(1), &worker, later).unwrap();
        book.refresh();
        assert_eq!(book.current().0, first, "a heartbeat is no change");
        assert_eq!(book.current().1.chapters[0].heartbeat_at, Some(later));

        let outcome = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
        store
            .record_scene(
                ChapterNo(1),
                SceneNo(1),
                &outcome,
                Usage::default(),
                None,
                later,
            )
            .unwrap();
        book.refresh();
        assert_eq!(book.current().0, first + 1);
        let missed = book.updates_after(first).unwrap();
        assert_eq!(missed.len(), 1);
        let delta: serde_json::Value = serde_json::from_str(&missed[0].json).unwrap();
        assert_eq!(delta["chapters"].as_array().unwrap().len(), 1);
        assert_eq!(delta["chapters"][0]["scenes_done"], 1);
        assert!(book.updates_after(first + 1).unwrap().is_empty());
        assert!(
            book.updates_after(first + 5).is_none(),
            "a future id gets a snapshot"
        );
    }
}
