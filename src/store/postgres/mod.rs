//! The book's state in PostgreSQL ([`PgState`]): the same [`BookState`] the file manifest
//! implements, for workers on several machines sharing one database (docs/scale-out.md).
//!
//! The state is rows (`books`, `chapters`, `scenes`, `usage`, `workers`, `portraits`;
//! `migrations/`), created by embedded migrations when a store opens. The hot operations on
//! chapters (marking one analyzed, claim, heartbeat, release, recording a scene, completing)
//! and on portraits (asking for them, claim, heartbeat, record, release) are short SQL
//! transactions of their own (`native.rs`, `portrait_ops.rs`); every other operation runs
//! through `transact`, which locks the book, builds the [`Manifest`] from its rows, runs the
//! change on it and writes back what changed.
//!
//! Client: `tokio-postgres` pooled by `deadpool-postgres` on a private runtime, with rustls for
//! TLS (see `db.rs` for why this and not the blocking `postgres` crate).

mod db;
mod native;
mod portrait_ops;
mod portrait_rows;
pub mod queue;
mod rows;
mod schema;
#[cfg(test)]
pub(crate) mod test_cluster;
#[cfg(test)]
mod tests;
mod url;

pub use schema::latest as schema_version;
pub use url::redact;

use crate::ids::{ChapterNo, SceneNo};
use crate::store::liveness::Workers;
use crate::store::manifest::Manifest;
use crate::store::state::{BookState, OpenBook, Opened, WorkerGuard};
use crate::store::usage::Usage;
use crate::store::{Error, LockedManifest, SceneOutcome, WorkerId};
use chrono::{DateTime, Utc};
use db::{Db, Tx, block, commit, execute, sql};
use native::Holder;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One book's state in a PostgreSQL database. Cheap to share (`Arc<dyn BookState>`); every
/// operation takes a pooled connection for one transaction.
pub struct PgState {
    db: Arc<Db>,
    /// The book's key in the database.
    book: String,
    /// The attempt number of each chapter claim this process made: the fencing token its
    /// later heartbeat, release, record and completion must still match.
    fences: Fences<ChapterNo>,
    /// The same for the portraits this process claimed, by slug.
    portrait_fences: Fences<String>,
}

/// The attempt number of each claim this process made, by what was claimed and by worker.
struct Fences<K>(Mutex<HashMap<(K, WorkerId), i64>>);

impl<K: Eq + std::hash::Hash> Fences<K> {
    fn new() -> Fences<K> {
        Fences(Mutex::new(HashMap::new()))
    }

    /// `worker` as the holder of `key`'s claim, with the attempt this process got for it.
    fn holder<'a>(&self, key: K, worker: &'a WorkerId) -> Holder<'a> {
        let attempt = self
            .0
            .lock()
            .ok()
            .and_then(|fences| fences.get(&(key, worker.clone())).copied());
        Holder { worker, attempt }
    }

    /// Keeps `attempt` as `worker`'s token for `key` (`None`: the claim ended).
    fn remember(&self, key: K, worker: &WorkerId, attempt: Option<i64>) {
        if let Ok(mut fences) = self.0.lock() {
            let key = (key, worker.clone());
            match attempt {
                Some(attempt) => fences.insert(key, attempt),
                None => fences.remove(&key),
            };
        }
    }
}

impl std::fmt::Debug for PgState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgState")
            .field("url", &self.db.url())
            .field("book", &self.book)
            .finish_non_exhaustive()
    }
}

impl PgState {
    /// Connects to `url` (`postgres://user:password@host/db`, `sslmode=require` for TLS) and
    /// brings its schema up to date; `book` is the book's key there.
    pub fn open(url: &str, book: &str) -> Result<PgState, Error> {
        let db = Db::new(url)?;
        schema::migrate(&mut db.client()?)?;
        Ok(PgState::on(Arc::new(db), book))
    }

    /// `book`'s state on connections already open, their schema up to date.
    fn on(db: Arc<Db>, book: &str) -> PgState {
        PgState {
            db,
            book: book.to_string(),
            fences: Fences::new(),
            portrait_fences: Fences::new(),
        }
    }

    /// The book's key in the database.
    pub fn book(&self) -> &str {
        &self.book
    }

    /// How messages name this book's state (no password).
    fn label(&self) -> PathBuf {
        PathBuf::from(format!("{} (book {})", self.db.url(), self.book))
    }

    /// Runs `op` as one short transaction holding the book's lock shared (again after a lost
    /// connection: `Db::retrying`).
    fn short<T>(&self, op: impl AsyncFn(&Tx<'_>) -> Result<T, Error>) -> Result<T, Error> {
        self.db
            .in_transaction(async |tx| native::under_book_lock(tx, &self.book, false, op(tx)).await)
    }

    /// The workers that have a row, among those the book's claims name.
    fn live_workers(&self) -> Result<Workers, Error> {
        self.db.in_transaction(async |tx| {
            let live = rows::live_workers(tx, &self.book).await?;
            Ok(Workers::Registry(Arc::new(Mutex::new(live))))
        })
    }

    /// `complete` in `tx`: `Ok(false)` when the claim is no longer `worker`'s.
    async fn complete_in(
        &self,
        tx: &Tx<'_>,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        match native::complete(
            tx,
            &self.book,
            chapter,
            self.fences.holder(chapter, worker),
            now,
        )
        .await
        {
            Ok(()) => Ok(true),
            Err(Error::ClaimLost { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl BookState for PgState {
    fn snapshot(&self) -> Result<Option<Manifest>, Error> {
        self.db.retrying(|| {
            let mut client = self.db.client()?;
            block(async {
                let tx = client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await
                    .map_err(sql("begin a transaction"))?;
                let manifest = rows::load(&tx, &self.book).await?;
                // Ended here rather than by a rollback queued on drop: the connection goes
                // back to the pool idle.
                commit(tx).await?;
                Ok(manifest)
            })
        })
    }

    fn transact(
        &self,
        change: &mut dyn FnMut(&mut LockedManifest) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // `change` may run again after a lost connection, on the state as it is then.
        self.db.in_transaction(async |tx| {
            let read = async {
                tokio::try_join!(
                    rows::load(tx, &self.book),
                    rows::live_workers(tx, &self.book)
                )
            };
            let (before, live) = native::under_book_lock(tx, &self.book, true, read).await?;
            let workers = Workers::Registry(Arc::new(Mutex::new(live)));
            let mut m = LockedManifest::detached(self.label(), workers, before.clone());
            change(&mut m)?;
            if m.changed() && m.get().is_some() {
                m.seal()?;
                if let Some(after) = m.into_manifest() {
                    rows::save(tx, &self.book, before.as_ref(), &after).await?;
                }
            }
            Ok(())
        })
    }

    /// One row's update (every chapter's analysis ends with it); a chapter that is not pending
    /// goes the whole-book way, which says why as the file store does.
    fn mark_analyzed(
        &self,
        chapter: ChapterNo,
        concepts: u32,
        usage: Usage,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let marked = self.short(async |tx| {
            native::mark_analyzed(tx, &self.book, chapter, concepts, usage, now).await
        })?;
        if marked {
            return Ok(());
        }
        self.transact(&mut |m| {
            m.mark_analyzed(chapter, concepts, now)?;
            m.add_usage(chapter, usage)
        })
    }

    /// A book already opened as this request asks (every worker helping with a book opens
    /// it) is read, not locked: the whole-book transaction runs only when opening changes
    /// something (a new book, new chapters, expired claims, the resume flags).
    fn open_book(&self, request: &OpenBook) -> Result<Opened, Error> {
        if let Some(current) = self.snapshot()? {
            let read = current.clone();
            let mut m = LockedManifest::detached(self.label(), self.workers(), Some(current));
            let opened = crate::store::open::open(&mut m, request)?;
            if m.get() == Some(&read) {
                return Ok(opened);
            }
        }
        crate::store::state::open_in_transaction(self, request)
    }

    // Pass 1's answers and the cast's status, one row each under the book's shared lock: as
    // whole-book transactions they held its exclusive lock 3-25 ms each at every book's
    // start, and every claim and mark of the book waited behind them.
    fn add_usage(&self, chapter: ChapterNo, usage: Usage) -> Result<(), Error> {
        let number = i64::from(chapter.0);
        let added =
            self.short(async |tx| native::add_usage(tx, &self.book, number, usage).await)?;
        if added {
            return Ok(());
        }
        self.transact(&mut |m| m.add_usage(chapter, usage))
    }

    fn set_elements_status(&self, status: crate::store::ElementsStatus) -> Result<(), Error> {
        let text = rows::elements_text(status);
        let set = self.short(async |tx| native::set_elements_status(tx, &self.book, text).await)?;
        if set {
            return Ok(());
        }
        self.transact(&mut |m| m.set_elements_status(status))
    }

    fn elements_status(&self) -> Result<Option<crate::store::ElementsStatus>, Error> {
        let text = self
            .db
            .in_transaction(async |tx| native::elements_status(tx, &self.book).await)?;
        text.as_deref().map(rows::elements_status).transpose()
    }

    fn register_worker(&self, worker: &WorkerId) -> Result<WorkerGuard, Error> {
        let pid = worker.pid().map(i64::from);
        let host = worker.host().unwrap_or_default();
        self.short(async |tx| {
            if worker.is_local() {
                native::forget_dead_on_this_host(tx, &self.book, host).await?;
            }
            execute(
                tx,
                "INSERT INTO workers (book, worker_id, host, pid) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (book, worker_id) DO NOTHING",
                &[&self.book, &worker.0, &host, &pid],
                "register a worker",
            )
            .await
        })?;
        let (db, book, worker) = (self.db.clone(), self.book.clone(), worker.clone());
        Ok(WorkerGuard::ending_with(move || {
            forget_worker(&db, &book, &worker)
        }))
    }

    fn workers(&self) -> Workers {
        self.live_workers().unwrap_or(Workers::LeaseOnly)
    }

    fn claim_next(
        &self,
        worker: &WorkerId,
        selected: &[ChapterNo],
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ChapterNo>, Error> {
        let claimed = self.short(async |tx| {
            native::claim_next(tx, &self.book, worker, selected, lease, now).await
        })?;
        Ok(claimed.map(|(chapter, attempt)| {
            self.fences.remember(chapter, worker, Some(attempt));
            chapter
        }))
    }

    fn heartbeat(
        &self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let holder = self.fences.holder(chapter, worker);
        self.short(async |tx| native::heartbeat(tx, &self.book, chapter, holder, now).await)
    }

    fn release(&self, chapter: ChapterNo, worker: &WorkerId) -> Result<(), Error> {
        let holder = self.fences.holder(chapter, worker);
        self.short(async |tx| native::release(tx, &self.book, chapter, holder).await)?;
        self.fences.remember(chapter, worker, None);
        Ok(())
    }

    /// With `finish`, the claim is checked first: a worker whose claim was taken over records
    /// nothing (not the scene, not its usage) and gets `false`.
    fn record_scene(
        &self,
        chapter: ChapterNo,
        scene: SceneNo,
        outcome: &SceneOutcome,
        usage: Usage,
        finish: Option<&WorkerId>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let completed = self.short(async |tx| {
            if let Some(worker) = finish
                && !self.complete_in(tx, chapter, worker, now).await?
            {
                return Ok(false);
            }
            native::record_scene(tx, &self.book, chapter, scene, outcome, usage).await?;
            Ok(finish.is_some())
        })?;
        if let (true, Some(worker)) = (completed, finish) {
            self.fences.remember(chapter, worker, None);
        }
        Ok(completed)
    }

    fn complete(
        &self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let completed = self.short(async |tx| self.complete_in(tx, chapter, worker, now).await)?;
        if completed {
            self.fences.remember(chapter, worker, None);
        }
        Ok(completed)
    }

    fn want_portraits(&self, wanted: &[(String, String)]) -> Result<usize, Error> {
        self.short(async |tx| portrait_ops::want(tx, &self.book, wanted).await)
    }

    fn claim_portrait(
        &self,
        slug: Option<&str>,
        worker: &WorkerId,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, Error> {
        let claimed = self.short(async |tx| {
            portrait_ops::claim(tx, &self.book, slug, worker, lease, now).await
        })?;
        Ok(claimed.map(|(slug, attempt)| {
            self.portrait_fences
                .remember(slug.clone(), worker, Some(attempt));
            slug
        }))
    }

    fn heartbeat_portrait(
        &self,
        slug: &str,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let holder = self.portrait_fences.holder(slug.to_string(), worker);
        self.short(async |tx| portrait_ops::heartbeat(tx, &self.book, slug, holder, now).await)
    }

    fn record_portrait(
        &self,
        slug: &str,
        worker: &WorkerId,
        outcome: &crate::store::PortraitOutcome,
        usage: (ChapterNo, Usage),
    ) -> Result<bool, Error> {
        let holder = self.portrait_fences.holder(slug.to_string(), worker);
        let usage = (i64::from(usage.0.0), usage.1);
        let recorded = self.short(async |tx| {
            portrait_ops::record(tx, &self.book, slug, holder, outcome, usage).await
        })?;
        if recorded {
            self.portrait_fences
                .remember(slug.to_string(), worker, None);
        }
        Ok(recorded)
    }

    fn release_portrait(&self, slug: &str, worker: &WorkerId) -> Result<(), Error> {
        let holder = self.portrait_fences.holder(slug.to_string(), worker);
        self.short(async |tx| portrait_ops::release(tx, &self.book, slug, holder).await)?;
        self.portrait_fences
            .remember(slug.to_string(), worker, None);
        Ok(())
    }
}

/// Deletes a worker's row (it retired, or its guard was dropped): its claims are free at once.
/// A failure leaves the row, and the claims' leases decide.
fn forget_worker(db: &Db, book: &str, worker: &WorkerId) {
    let _ = db.in_transaction(async |tx| {
        execute(
            tx,
            "DELETE FROM workers WHERE book = $1 AND worker_id = $2",
            &[&book, &worker.0],
            "forget a worker",
        )
        .await
    });
}
