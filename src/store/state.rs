//! The book's state as the pipeline sees it: the operations it needs, named for what they do
//! (docs/ARCHITECTURE.md §9). The pipeline, the illustrators and `prepare` use only this trait;
//! the file manifest ([`Store`]) and the in-memory store ([`MemoryStore`]) implement it, and
//! `state_tests.rs` is the conformance suite both pass.
//!
//! Every operation is one transaction: it is applied whole or not at all, and a crash at any
//! instant leaves the state before or after it, never between. Operations are linearisable
//! across threads and (for the file store) across processes on one folder.

use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::store::claims::{Expiry, WorkerId};
use crate::store::liveness::{WorkerLock, Workers};
use crate::store::manifest::{BookMeta, ElementsStatus, Manifest};
use crate::store::usage::Usage;
use crate::store::{Error, LockedManifest, SceneOutcome, Store};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Keeps a worker registered as alive; dropping it (or the process dying) ends that.
#[derive(Debug)]
pub struct WorkerGuard {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// The worker's lock file, locked for as long as the guard lives.
    Lock { _lock: WorkerLock },
    /// The worker's entry in the in-memory store's registry.
    Entry(Arc<Mutex<HashSet<WorkerId>>>, WorkerId),
    /// What ends the worker elsewhere (a database row to delete), run once on retire or drop.
    Hook(EndHook),
    /// Already ended by `retire`.
    Retired,
}

impl WorkerGuard {
    /// Ends a worker that holds no claim any more (its normal end); dropping the guard without
    /// this is a worker that died, whose claims are taken over at once.
    pub fn retire(mut self) {
        match std::mem::replace(&mut self.held, Held::Retired) {
            Held::Lock { _lock } => _lock.retire(),
            Held::Entry(live, worker) => forget(&live, &worker),
            Held::Hook(mut hook) => hook.run(),
            Held::Retired => {}
        }
    }

    /// A guard that runs `end` once, when it is retired or dropped: for stores that keep their
    /// registry outside this process (a database's `workers` table).
    pub(crate) fn ending_with(end: impl FnOnce() + Send + Sync + 'static) -> WorkerGuard {
        WorkerGuard {
            held: Held::Hook(EndHook(Some(Box::new(end)))),
        }
    }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        match &mut self.held {
            Held::Entry(live, worker) => forget(live, worker),
            Held::Hook(hook) => hook.run(),
            Held::Lock { .. } | Held::Retired => {}
        }
    }
}

/// A worker's end, run at most once.
struct EndHook(Option<Box<dyn FnOnce() + Send + Sync>>);

impl EndHook {
    fn run(&mut self) {
        if let Some(end) = self.0.take() {
            end();
        }
    }
}

impl std::fmt::Debug for EndHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "EndHook"
        } else {
            "EndHook(ran)"
        })
    }
}

/// Takes `worker` out of the in-memory registry: from now on it counts as gone.
fn forget(live: &Mutex<HashSet<WorkerId>>, worker: &WorkerId) {
    if let Ok(mut live) = live.lock() {
        live.remove(worker);
    }
}

/// What a run asks of the book's state before any model is called.
#[derive(Debug, Clone)]
pub struct OpenBook {
    /// The manifest to create when the book has none yet.
    pub initial: Manifest,
    pub meta: BookMeta,
    /// The book's story chapters: number, stable key, title.
    pub chapters: Vec<(ChapterNo, ChapterKey, String)>,
    /// The chapters this run touches (`--chapters`), for the resume flags.
    pub selected: Vec<ChapterNo>,
    pub retry_failed: bool,
    /// `--force`: the selected chapters start over (from their images when `images_only`).
    pub force: bool,
    pub images_only: bool,
    /// `--force` on the whole book's pass 1 too.
    pub redo_elements: bool,
    /// `--force` with analysis: the book is no longer analyzed.
    pub redo_analysis: bool,
    pub lease: Duration,
    pub now: DateTime<Utc>,
}

/// What opening the book changed, for the user and for the files to put aside.
#[derive(Debug, Default, Clone)]
pub struct Opened {
    pub created: bool,
    /// The file the state was made from, when it differs from this run's book.
    pub other_file: Option<BookMeta>,
    /// Chapters whose key changed in the book: number, old key, new key.
    pub changed_keys: Vec<(ChapterNo, ChapterKey, ChapterKey)>,
    pub recovered: usize,
    pub reset: Vec<ChapterNo>,
    /// Forced chapters with the scenes whose images were recorded (to be put aside).
    pub forced: Vec<(ChapterNo, Vec<SceneNo>)>,
    /// What recovery did while reading the state (a damaged manifest, say).
    pub notes: Vec<String>,
}

/// [`BookState::open_book`] as one whole-book transaction (what every store does unless it
/// knows a cheaper way for an open that changes nothing).
pub(crate) fn open_in_transaction(
    state: &(impl BookState + ?Sized),
    request: &OpenBook,
) -> Result<Opened, Error> {
    let mut opened = Opened::default();
    state.transact(&mut |m| {
        opened = crate::store::open::open(m, request)?;
        Ok(())
    })?;
    Ok(opened)
}
/// The book's state. Implement `snapshot`, `transact` and `register_worker`; the named
/// operations are built on `transact` and may be overridden by a store that has them natively.
pub trait BookState: Send + Sync + 'static {
    /// A whole committed version of the state; `None` before the first run created it.
    fn snapshot(&self) -> Result<Option<Manifest>, Error>;

    /// Runs `change` as one transaction: what it changed is kept (durably, for the file store)
    /// when it returns `Ok`, and nothing when it fails. `change` runs exactly once.
    fn transact(
        &self,
        change: &mut dyn FnMut(&mut LockedManifest) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// Registers `worker` as alive before it claims anything. A claim whose worker's guard is
    /// gone (dropped, or its process died) is taken over at once, without waiting for its lease,
    /// wherever the store can tell (on the worker's own host for the file store).
    fn register_worker(&self, worker: &WorkerId) -> Result<WorkerGuard, Error>;

    /// Who says whether a claim's worker lives, for decisions made on a snapshot.
    fn workers(&self) -> Workers;

    /// Opens the book: creates the state or adds the book's new chapters, takes back expired
    /// claims and applies the resume flags.
    fn open_book(&self, request: &OpenBook) -> Result<Opened, Error> {
        open_in_transaction(self, request)
    }

    fn set_elements_status(&self, status: ElementsStatus) -> Result<(), Error> {
        self.transact(&mut |m| m.set_elements_status(status))
    }

    /// The Elements.md status alone (`None` before the first run created the state); a store
    /// that can read it without the whole state overrides this.
    fn elements_status(&self) -> Result<Option<ElementsStatus>, Error> {
        Ok(self.snapshot()?.map(|m| m.elements_md_status))
    }

    /// Adds a call's usage to a chapter (pass 1 answers count against their first chapter).
    fn add_usage(&self, chapter: ChapterNo, usage: Usage) -> Result<(), Error> {
        self.transact(&mut |m| m.add_usage(chapter, usage))
    }

    /// `pending → analyzed` with the number of scenes chosen and what choosing them cost.
    fn mark_analyzed(
        &self,
        chapter: ChapterNo,
        concepts: u32,
        usage: Usage,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.transact(&mut |m| {
            m.mark_analyzed(chapter, concepts, now)?;
            m.add_usage(chapter, usage)
        })
    }

    /// Any state → `error` with the reason, dropping a claim.
    fn fail(&self, chapter: ChapterNo, message: &str) -> Result<(), Error> {
        self.transact(&mut |m| m.fail(chapter, message))
    }

    /// Claims the first chapter of `selected` (ascending) that is analyzed or whose claim has
    /// expired, for `worker` with a lease from `now`. Two workers never hold one chapter.
    fn claim_next(
        &self,
        worker: &WorkerId,
        selected: &[ChapterNo],
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ChapterNo>, Error> {
        let mut claimed = None;
        self.transact(&mut |m| {
            claimed =
                m.claim_next_in(worker, |c| selected.binary_search(&c).is_ok(), lease, now)?;
            Ok(())
        })?;
        Ok(claimed)
    }

    /// Renews `worker`'s lease; `ClaimLost` when the chapter is no longer its own.
    fn heartbeat(
        &self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.transact(&mut |m| m.heartbeat(chapter, worker, now))
    }

    /// Gives the chapter back (`analyzed`); `ClaimLost` when it is not `worker`'s.
    fn release(&self, chapter: ChapterNo, worker: &WorkerId) -> Result<(), Error> {
        self.transact(&mut |m| m.release(chapter, worker))
    }

    /// Records a scene's outcome (its image is written, or the provider refused it) with its
    /// cost and, with `finish`, completes the chapter for that worker in the same transaction.
    /// Returns whether the chapter was completed: `false` when `finish`'s claim was lost.
    fn record_scene(
        &self,
        chapter: ChapterNo,
        scene: SceneNo,
        outcome: &SceneOutcome,
        usage: Usage,
        finish: Option<&WorkerId>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut completed = false;
        self.transact(&mut |m| {
            match outcome {
                SceneOutcome::Image(_) => m.record_scene(chapter, scene)?,
                SceneOutcome::Rejected(reason) => m.record_rejected(chapter, scene, reason)?,
                SceneOutcome::Pending => {}
            }
            m.add_usage(chapter, usage)?;
            completed = match finish {
                Some(worker) => complete_unless_lost(m, chapter, worker, now)?,
                None => false,
            };
            Ok(())
        })?;
        Ok(completed)
    }

    /// `illustration_inprogress → illustration_complete` for `worker`; `false` when its claim
    /// was lost (its lease expired and another worker took the chapter over).
    fn complete(
        &self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let mut completed = false;
        self.transact(&mut |m| {
            completed = complete_unless_lost(m, chapter, worker, now)?;
            Ok(())
        })?;
        Ok(completed)
    }

    /// Asks for the portraits of `wanted` (slug, name) not asked for yet (store::portraits).
    fn want_portraits(&self, wanted: &[(String, String)]) -> Result<usize, Error> {
        let mut added = 0;
        self.transact(&mut |m| {
            added = m.want_portraits(wanted)?;
            Ok(())
        })?;
        Ok(added)
    }

    /// Claims `slug`'s portrait (or with `None` the first claimable one) for `worker` with a
    /// lease from `now`; returns the slug claimed. Two workers never hold one portrait.
    fn claim_portrait(
        &self,
        slug: Option<&str>,
        worker: &WorkerId,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, Error> {
        let mut claimed = None;
        self.transact(&mut |m| {
            claimed = m.claim_portrait(slug, worker, lease, now)?;
            Ok(())
        })?;
        Ok(claimed)
    }

    /// Renews `worker`'s lease on a portrait; `ClaimLost` when it is no longer its own.
    fn heartbeat_portrait(
        &self,
        slug: &str,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.transact(&mut |m| m.heartbeat_portrait(slug, worker, now))
    }

    /// Records a portrait drawn (or failed) by its holder, with the call's cost counted on
    /// `chapter`; `false` (nothing recorded) when the claim was lost.
    fn record_portrait(
        &self,
        slug: &str,
        worker: &WorkerId,
        outcome: &crate::store::PortraitOutcome,
        usage: (ChapterNo, Usage),
    ) -> Result<bool, Error> {
        let mut recorded = false;
        self.transact(&mut |m| {
            recorded = m.record_portrait(slug, worker, outcome)?;
            if recorded {
                m.add_usage(usage.0, usage.1)?;
            }
            Ok(())
        })?;
        Ok(recorded)
    }

    /// Gives a portrait back (`wanted`); `ClaimLost` when it is not `worker`'s.
    fn release_portrait(&self, slug: &str, worker: &WorkerId) -> Result<(), Error> {
        self.transact(&mut |m| m.release_portrait(slug, worker))
    }

    /// Asks for a portrait again (`regenerate --portrait`); `false` when there is none by that
    /// slug or it is being drawn.
    fn redo_portrait(&self, slug: &str) -> Result<bool, Error> {
        let mut redone = false;
        self.transact(&mut |m| {
            redone = m.redo_portrait(slug)?;
            Ok(())
        })?;
        Ok(redone)
    }

    /// Takes back every expired claim (`analyzed` again).
    fn recover_expired(
        &self,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ChapterNo, Expiry)>, Error> {
        let mut expired = Vec::new();
        self.transact(&mut |m| {
            expired = m.recover_expired(lease, now)?;
            Ok(())
        })?;
        Ok(expired)
    }
}

fn complete_unless_lost(
    m: &mut LockedManifest,
    chapter: ChapterNo,
    worker: &WorkerId,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    match m.complete(chapter, worker, now) {
        Ok(()) => Ok(true),
        Err(Error::ClaimLost { .. }) => Ok(false),
        Err(err) => Err(err),
    }
}

/// The file manifest: today's formats and guarantees (lock, atomic write, `.bak`, group commit).
impl BookState for Store {
    fn snapshot(&self) -> Result<Option<Manifest>, Error> {
        Ok(self.load()?.manifest)
    }

    fn transact(
        &self,
        change: &mut dyn FnMut(&mut LockedManifest) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.update_with_lock(|m| change(m))
    }

    fn register_worker(&self, worker: &WorkerId) -> Result<WorkerGuard, Error> {
        Ok(WorkerGuard {
            held: Held::Lock {
                _lock: WorkerLock::acquire(self.dir(), worker)?,
            },
        })
    }

    fn workers(&self) -> Workers {
        Workers::Folder(self.dir().to_path_buf())
    }
}

/// The state in memory, for tests that run the pipeline without a disk. Transactions are
/// serialised by a mutex and validated like the file store's commits; a worker lives while its
/// guard does.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<Option<Manifest>>,
    live: Arc<Mutex<HashSet<WorkerId>>>,
}

impl BookState for MemoryStore {
    fn snapshot(&self) -> Result<Option<Manifest>, Error> {
        Ok(self.lock()?.clone())
    }

    fn transact(
        &self,
        change: &mut dyn FnMut(&mut LockedManifest) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut state = self.lock()?;
        let mut tx =
            LockedManifest::detached(PathBuf::from("(memory)"), self.workers(), state.clone());
        change(&mut tx)?;
        if tx.changed() && tx.get().is_some() {
            tx.seal()?;
            *state = tx.into_manifest();
        }
        Ok(())
    }

    fn register_worker(&self, worker: &WorkerId) -> Result<WorkerGuard, Error> {
        self.live
            .lock()
            .map_err(|_| poisoned())?
            .insert(worker.clone());
        Ok(WorkerGuard {
            held: Held::Entry(self.live.clone(), worker.clone()),
        })
    }

    fn workers(&self) -> Workers {
        Workers::Registry(self.live.clone())
    }
}

impl MemoryStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Manifest>>, Error> {
        self.state.lock().map_err(|_| poisoned())
    }
}

fn poisoned() -> Error {
    Error::Commit {
        reason: "a transaction panicked while holding the in-memory state".into(),
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
