//! The queue of books in PostgreSQL (`queue`, `queue_workers`; migration 002): what `submit`
//! adds, what `worker` takes and gives back, what `status` lists. A worker holds a book under a
//! lease renewed by heartbeat; `attempt` goes up with every take and fences a worker whose
//! lease another took over. Times are the database's (`now()`), so machines' clocks need not
//! agree.

use crate::store::Error;
use crate::store::claims::pid_alive;
use crate::store::postgres::db::{Db, Tx, execute, query, query_value, sql};
use crate::store::postgres::{PgState, schema};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// A book to queue.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub sha256: String,
    pub file_name: String,
    /// The submitted flags as arguments (no secrets).
    pub settings: Vec<String>,
}

/// A queued book as `status` and `export` see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueuedBook {
    pub id: String,
    pub sha256: String,
    pub file_name: String,
    pub settings: Vec<String>,
    pub status: String,
    pub worker: Option<String>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub attempt: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A worker looking for a book to help with.
#[derive(Debug, Clone, Copy)]
pub struct Helper<'a> {
    pub id: &'a str,
    pub host: &'a str,
    pub pid: u32,
    /// It has no room for another book and would lend the image slots its own books leave
    /// idle: only once none of them has anything left to claim.
    pub lends: bool,
}

/// The advisory lock (first key, "imgh") under which idle workers choose a book to help.
pub(super) const HELPERS_LOCK: i32 = 0x696d_6768;

/// A book a worker took: run it, heartbeat with `attempt`, end it with [`Queue::end`].
#[derive(Debug, Clone)]
pub struct Taken {
    pub id: String,
    pub sha256: String,
    pub file_name: String,
    pub settings: Vec<String>,
    pub attempt: i64,
}

/// How a worker's run of a book ended.
#[derive(Debug, Clone)]
pub enum End {
    /// Every selected chapter is finished.
    Done,
    /// Stopped before the end (a signal): back to the queue, no failure counted.
    Released,
    /// Failed: counted; queued again after `backoff`, or dead after `max_attempts` failures.
    Failed {
        reason: String,
        backoff: Duration,
        max_attempts: i64,
    },
}

/// A chapter claim held now: (book, chapter, worker, heartbeat).
pub type ChapterClaim = (String, i64, String, DateTime<Utc>);

/// A live worker process, for `status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkerRow {
    pub worker: String,
    pub host: String,
    pub pid: i64,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
}

/// The channel `submit`, every take and every end of a hold notify (and a shared cast, and a
/// chapter becoming claimable), so idle workers look at once.
pub const CHANNEL: &str = "imaginize_queue";

/// The queue in one database.
pub struct Queue {
    /// Shared with the states of the books this process runs (`Queue::book_state`).
    db: Arc<Db>,
    /// The connection settings (with the password), for the listening connection.
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("url", &self.db.url())
            .finish()
    }
}

const BOOK_COLUMNS: &str = "id, book_sha256, file_name, settings::text, status, worker, \
     heartbeat_at, attempt, failures, last_error, submitted_at, finished_at";

impl Queue {
    /// Connects to `url` and brings the schema up to date.
    pub fn open(url: &str) -> Result<Queue, Error> {
        let db = Db::new(url)?;
        schema::migrate(&mut db.client()?)?;
        let config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| Error::DatabaseConnect {
                url: db.url().to_string(),
                source: e.into(),
            })?;
        Ok(Queue {
            db: Arc::new(db),
            config,
        })
    }

    /// The state of queued `book` on this queue's connections: a worker's books share its
    /// pool (and the schema it already brought up to date) instead of each opening its own.
    pub fn book_state(&self, book: &str) -> PgState {
        PgState::on(self.db.clone(), book)
    }

    /// The URL as it may be shown.
    pub fn url(&self) -> &str {
        self.db.url()
    }

    /// Runs `op` as one transaction (again after a lost connection: `Db::retrying`).
    fn tx<T>(&self, op: impl AsyncFn(&Tx<'_>) -> Result<T, Error>) -> Result<T, Error> {
        self.db.in_transaction(op)
    }

    /// Queues `book` unless an entry with its id exists. Returns whether it was added.
    pub fn submit(&self, book: &Submission) -> Result<bool, Error> {
        let settings = serde_json::to_string(&book.settings).map_err(|e| Error::Database {
            action: "queue a book",
            source: e.into(),
        })?;
        self.tx(async |tx| {
            let added = execute(
                tx,
                "INSERT INTO queue (id, book_sha256, file_name, settings) \
                 VALUES ($1, $2, $3, $4::text::jsonb) ON CONFLICT (id) DO NOTHING",
                &[&book.id, &book.sha256, &book.file_name, &settings],
                "queue a book",
            )
            .await?;
            notify(tx, &book.id).await?;
            Ok(added == 1)
        })
    }

    /// Takes the oldest book that is queued (and past its backoff), or running under a lease
    /// older than `lease` or by a worker without a row; skips rows another taker is locking.
    pub fn take(&self, worker: &str, lease: Duration) -> Result<Option<Taken>, Error> {
        let lease = micros(lease);
        self.tx(async |tx| {
            let rows = query(
                tx,
                "UPDATE queue q SET status = 'running', worker = $1, heartbeat_at = now(), \
                     attempt = q.attempt + 1 \
                 WHERE q.id = ( \
                     SELECT x.id FROM queue x \
                     WHERE (x.status = 'queued' AND x.not_before <= now()) \
                        OR (x.status = 'running' AND ( \
                            x.heartbeat_at < now() - $2::bigint * interval '1 microsecond' \
                            OR NOT EXISTS (SELECT 1 FROM queue_workers w \
                                           WHERE w.worker = x.worker))) \
                     ORDER BY x.submitted_at, x.id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING q.id, q.book_sha256, q.file_name, q.settings::text, q.attempt",
                &[&worker, &lease],
                "take a book",
            )
            .await?;
            let taken = rows
                .first()
                .map(|row| taken(row, "take a book"))
                .transpose()?;
            // Idle workers look again: a book just taken is one they may help with.
            if let Some(book) = &taken {
                notify(tx, &book.id).await?;
            }
            Ok(taken)
        })
    }

    /// A book another worker holds, with chapters still to analyze or to draw or portraits
    /// wanted, or just taken (no chapters yet), for a worker with room to help; none of `skip`
    /// (the books it helps). A helper joins a book from its start and gets ready (the book's
    /// file fetched and read) while the holder's first pass runs; it draws once the holder has
    /// shared the cast (`cast_shared`), claiming chapters of the book's state as any other
    /// illustrator does. The helper is registered on the book at once (its row in `workers`,
    /// as its run's own registration makes it).
    ///
    /// Helpers spread over the books that want them: a book takes another helper only while
    /// fewer of the live workers (a heartbeat within `lease`) are on it than its fair share,
    /// and the book with the fewest goes first. Its holder counts whether or not its
    /// illustrators have registered yet (they do once its analysis lets them). The share is the live workers over the held
    /// books with something to draw now or later: a chapter not yet claimed (analyzed, or
    /// still to analyze), a portrait wanted, or no chapters yet (just taken). Idle workers are woken together by one chapter or cast; without
    /// the share they would all pile onto the first book shared and leave the others to their
    /// holders, and a share over every held book would leave workers idle beside a book whose
    /// last chapters only its holder draws. The choice is made under one advisory lock, so
    /// each sees the registrations of those who chose before it. A worker that only lends
    /// idle slots (`Helper::lends`) helps once its own books have nothing left to claim.
    pub fn helpable(
        &self,
        helper: &Helper<'_>,
        skip: &[String],
        lease: Duration,
    ) -> Result<Option<Taken>, Error> {
        let lease = micros(lease);
        let pid = i64::from(helper.pid);
        self.tx(async |tx| {
            // A holder looks at every wake-up (each chapter analyzed): while its own book has
            // work it lends nothing, found without waiting for the helpers' lock.
            if helper.lends && own_book_wants(tx, helper.id).await? {
                return Ok(None);
            }
            // Most looks find nothing to help with (every chapter claimed, the queue's last
            // book ending): said without the lock, which every idle worker would queue for.
            if !any_helpable(tx, helper.id, skip).await? {
                return Ok(None);
            }
            execute(
                tx,
                "SELECT pg_advisory_xact_lock($1, 0)",
                &[&HELPERS_LOCK],
                "wait for other helpers to choose",
            )
            .await?;
            let statement = format!(
                "WITH live AS (SELECT worker FROM queue_workers \
                               WHERE heartbeat_at >= now() - $3::bigint * interval '1 microsecond'), \
                      held AS ( \
                         SELECT q.id, q.book_sha256, q.file_name, q.settings::text AS settings, \
                                q.attempt, q.submitted_at, q.worker, {WANTS_HELP} AS wants \
                         FROM queue q WHERE q.status = 'running'), \
                      wanting AS (SELECT worker FROM held WHERE wants), \
                      open AS ( \
                         SELECT h.*, 1 + (SELECT count(*) FROM workers w \
                                          JOIN live ON live.worker = w.worker_id \
                                          WHERE w.book = h.id AND w.worker_id <> h.worker) AS on_it \
                         FROM held h WHERE h.wants \
                             AND h.worker <> $1 AND NOT (h.id = ANY($2))) \
                 SELECT id, book_sha256, file_name, settings, attempt FROM open \
                 WHERE on_it * greatest((SELECT count(*) FROM wanting), 1) \
                         < (SELECT count(*) FROM live) \
                     AND NOT ($4 AND EXISTS (SELECT 1 FROM wanting WHERE wanting.worker = $1)) \
                 ORDER BY on_it, submitted_at, id LIMIT 1"
            );
            let rows = query(
                tx,
                &statement,
                &[&helper.id, &skip, &lease, &helper.lends],
                "find a book to help with",
            )
            .await?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let book = taken(row, "find a book to help with")?;
            execute(
                tx,
                "INSERT INTO workers (book, worker_id, host, pid) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (book, worker_id) DO NOTHING",
                &[&book.id, &helper.id, &helper.host, &pid],
                "register a helper",
            )
            .await?;
            Ok(Some(book))
        })
    }

    /// Takes a helper's row off `book` (its help ended); its run's own guard does the same,
    /// this covers a run that ended before it registered.
    pub fn stop_helping(&self, book: &str, worker: &str) -> Result<(), Error> {
        self.tx(async |tx| {
            execute(
                tx,
                "DELETE FROM workers WHERE book = $1 AND worker_id = $2",
                &[&book, &worker],
                "stop helping with a book",
            )
            .await
            .map(drop)
        })
    }

    /// Says the holder of `book` shared its whole cast in the artifacts, so other workers may
    /// help illustrate it, and wakes them; `false` when the book is no longer this worker's.
    pub fn share_cast(&self, book: &str, worker: &str, attempt: i64) -> Result<bool, Error> {
        self.tx(async |tx| {
            let touched = execute(
                tx,
                "UPDATE queue SET cast_shared = true \
                 WHERE id = $1 AND worker = $2 AND attempt = $3 AND status = 'running'",
                &[&book, &worker, &attempt],
                "say a book's cast is shared",
            )
            .await?;
            notify(tx, book).await?;
            Ok(touched == 1)
        })
    }

    /// Whether the holder of `book` has shared its cast (`Some(true)`): a helper that joined
    /// early draws from then on. `None` when the book is no longer held (it ended, or went
    /// back to the queue): nothing to help with.
    pub fn cast_shared(&self, book: &str) -> Result<Option<bool>, Error> {
        self.tx(async |tx| {
            query_value(
                tx,
                "SELECT cast_shared FROM queue WHERE id = $1 AND status = 'running'",
                &[&book],
                "read whether a book's cast is shared",
            )
            .await
        })
    }

    /// Renews the lease on `book`; `false` when it is no longer this worker's (taken over).
    pub fn heartbeat(&self, book: &str, worker: &str, attempt: i64) -> Result<bool, Error> {
        self.tx(async |tx| {
            let touched = execute(
                tx,
                "UPDATE queue SET heartbeat_at = now() \
                 WHERE id = $1 AND worker = $2 AND attempt = $3 AND status = 'running'",
                &[&book, &worker, &attempt],
                "renew a book's lease",
            )
            .await?;
            execute(
                tx,
                "UPDATE queue_workers SET heartbeat_at = now() WHERE worker = $1",
                &[&worker],
                "renew a worker's heartbeat",
            )
            .await?;
            Ok(touched == 1)
        })
    }

    /// Ends this worker's hold on `book`; `false` (and nothing changed) when it is no longer
    /// this worker's.
    pub fn end(&self, book: &str, worker: &str, attempt: i64, end: &End) -> Result<bool, Error> {
        let held = "WHERE id = $1 AND worker = $2 AND attempt = $3 AND status = 'running'";
        self.tx(async |tx| {
            let touched = match end {
                End::Done => {
                    let statement = format!(
                        "UPDATE queue SET status = 'done', worker = NULL, heartbeat_at = NULL, \
                         finished_at = now(), last_error = NULL {held}"
                    );
                    execute(tx, &statement, &[&book, &worker, &attempt], "finish a book").await?
                }
                End::Released => {
                    let statement = format!(
                        "UPDATE queue SET status = 'queued', worker = NULL, heartbeat_at = NULL \
                         {held}"
                    );
                    execute(
                        tx,
                        &statement,
                        &[&book, &worker, &attempt],
                        "release a book",
                    )
                    .await?
                }
                End::Failed {
                    reason,
                    backoff,
                    max_attempts,
                } => {
                    let statement = format!(
                        "UPDATE queue SET failures = failures + 1, last_error = $4, \
                         status = CASE WHEN failures + 1 >= $5 THEN 'dead' ELSE 'queued' END, \
                         not_before = now() + $6::bigint * interval '1 microsecond', \
                         worker = NULL, heartbeat_at = NULL {held}"
                    );
                    let backoff = micros(*backoff);
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                        [&book, &worker, &attempt, reason, max_attempts, &backoff];
                    execute(tx, &statement, &params, "record a book's failure").await?
                }
            };
            // Released or failed: takeable (now or after its backoff); done: idle workers
            // look whether anything is left.
            notify(tx, book).await?;
            Ok(touched == 1)
        })
    }

    /// Puts dead-lettered (or finished) `book` back in the queue with no failures counted.
    pub fn requeue(&self, book: &str) -> Result<bool, Error> {
        self.tx(async |tx| {
            let touched = execute(
                tx,
                "UPDATE queue SET status = 'queued', failures = 0, not_before = now(), \
                 finished_at = NULL WHERE id = $1 AND status IN ('dead', 'done')",
                &[&book],
                "queue a book again",
            )
            .await?;
            notify(tx, book).await?;
            Ok(touched == 1)
        })
    }

    /// One queued book.
    pub fn book(&self, id: &str) -> Result<Option<QueuedBook>, Error> {
        let statement = format!("SELECT {BOOK_COLUMNS} FROM queue WHERE id = $1");
        self.tx(async |tx| {
            let rows = query(tx, &statement, &[&id], "read a queued book").await?;
            rows.first().map(queued_book).transpose()
        })
    }

    /// Every queued book, oldest first.
    pub fn books(&self) -> Result<Vec<QueuedBook>, Error> {
        let statement = format!("SELECT {BOOK_COLUMNS} FROM queue ORDER BY submitted_at, id");
        self.tx(async |tx| {
            let rows = query(tx, &statement, &[], "list the queue").await?;
            rows.iter().map(queued_book).collect()
        })
    }

    /// Whether some book may still need a worker: queued (even if backing off) or running.
    pub fn has_work(&self) -> Result<bool, Error> {
        self.tx(async |tx| {
            let work = query_value(
                tx,
                "SELECT EXISTS (SELECT 1 FROM queue WHERE status IN ('queued', 'running'))",
                &[],
                "look at the queue",
            )
            .await?;
            work.ok_or_else(|| Error::Database {
                action: "look at the queue",
                source: "no row".into(),
            })
        })
    }

    /// How many chapters of each book are in each status: (book, status, count).
    pub fn chapter_counts(&self) -> Result<Vec<(String, String, i64)>, Error> {
        self.tx(async |tx| {
            let rows = query(
                tx,
                "SELECT c.book, c.status, count(*) FROM chapters c JOIN queue q ON q.id = c.book \
                 GROUP BY c.book, c.status ORDER BY c.book, c.status",
                &[],
                "count chapters",
            )
            .await?;
            let get = sql("count chapters");
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get(0).map_err(&get)?,
                        r.try_get(1).map_err(&get)?,
                        r.try_get(2).map_err(&get)?,
                    ))
                })
                .collect()
        })
    }

    /// The chapter claims held now: (book, chapter, worker, heartbeat).
    pub fn chapter_claims(&self) -> Result<Vec<ChapterClaim>, Error> {
        self.tx(async |tx| {
            let rows = query(
                tx,
                "SELECT c.book, c.number, c.claim_worker, c.heartbeat_at FROM chapters c \
                 JOIN queue q ON q.id = c.book \
                 WHERE c.status = 'illustration_inprogress' ORDER BY c.book, c.number",
                &[],
                "list chapter claims",
            )
            .await?;
            let get = sql("list chapter claims");
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get(0).map_err(&get)?,
                        r.try_get(1).map_err(&get)?,
                        r.try_get(2).map_err(&get)?,
                        r.try_get(3).map_err(&get)?,
                    ))
                })
                .collect()
        })
    }

    /// Registers a worker process (and removes rows of this host's workers whose process is
    /// gone, so their books are taken over at once rather than after their lease).
    pub fn register(&self, worker: &str, host: &str, pid: u32) -> Result<(), Error> {
        let pid = i64::from(pid);
        self.tx(async |tx| {
            let rows = query(
                tx,
                "SELECT worker, pid FROM queue_workers WHERE host = $1",
                &[&host],
                "list this host's workers",
            )
            .await?;
            for row in rows {
                let get = sql("list this host's workers");
                let (other, other_pid): (String, i64) =
                    (row.try_get(0).map_err(&get)?, row.try_get(1).map_err(&get)?);
                if !i32::try_from(other_pid).is_ok_and(pid_alive) {
                    execute(
                        tx,
                        "DELETE FROM queue_workers WHERE worker = $1",
                        &[&other],
                        "remove a dead worker",
                    )
                    .await?;
                }
            }
            execute(
                tx,
                "INSERT INTO queue_workers (worker, host, pid) VALUES ($1, $2, $3) \
                 ON CONFLICT (worker) DO UPDATE SET heartbeat_at = now()",
                &[&worker, &host, &pid],
                "register a worker",
            )
            .await
            .map(drop)
        })
    }

    /// Tells `status` this worker is alive (a worker holding books does it with their
    /// heartbeats).
    pub fn beat(&self, worker: &str) -> Result<(), Error> {
        self.tx(async |tx| {
            execute(
                tx,
                "UPDATE queue_workers SET heartbeat_at = now() WHERE worker = $1",
                &[&worker],
                "renew a worker's heartbeat",
            )
            .await
            .map(drop)
        })
    }

    /// Removes a worker's row (it is exiting).
    pub fn retire(&self, worker: &str) -> Result<(), Error> {
        self.tx(async |tx| {
            execute(
                tx,
                "DELETE FROM queue_workers WHERE worker = $1",
                &[&worker],
                "retire a worker",
            )
            .await
            .map(drop)
        })
    }

    /// The live worker processes.
    pub fn workers(&self) -> Result<Vec<WorkerRow>, Error> {
        self.tx(async |tx| {
            let rows = query(
                tx,
                "SELECT worker, host, pid, started_at, heartbeat_at FROM queue_workers \
                 ORDER BY started_at, worker",
                &[],
                "list workers",
            )
            .await?;
            let get = sql("list workers");
            rows.iter()
                .map(|r| {
                    Ok(WorkerRow {
                        worker: r.try_get(0).map_err(&get)?,
                        host: r.try_get(1).map_err(&get)?,
                        pid: r.try_get(2).map_err(&get)?,
                        started_at: r.try_get(3).map_err(&get)?,
                        heartbeat_at: r.try_get(4).map_err(&get)?,
                    })
                })
                .collect()
        })
    }
}

/// A book row as `take` and `helpable` return it: id, sha256, file name, settings, attempt.
fn taken(row: &tokio_postgres::Row, doing: &'static str) -> Result<Taken, Error> {
    let get = sql(doing);
    let settings: String = row.try_get(3).map_err(&get)?;
    Ok(Taken {
        id: row.try_get(0).map_err(&get)?,
        sha256: row.try_get(1).map_err(&get)?,
        file_name: row.try_get(2).map_err(&get)?,
        settings: parse_settings(&settings)?,
        attempt: row.try_get(4).map_err(&get)?,
    })
}

/// Whether a book held by another worker (not in `skip`) has anything a helper could do: a
/// chapter to analyze or draw, a portrait asked for, or its start still ahead.
async fn any_helpable(tx: &Tx<'_>, worker: &str, skip: &[String]) -> Result<bool, Error> {
    let statement = format!(
        "SELECT EXISTS (SELECT 1 FROM queue q \
                        WHERE q.status = 'running' AND q.worker <> $1 AND NOT (q.id = ANY($2)) \
                          AND {WANTS_HELP})"
    );
    let action = "look for a book to help with";
    let any = query_value(tx, &statement, &[&worker, &skip], action).await?;
    Ok(any.unwrap_or(false))
}

/// Whether a book `worker` holds still has something to draw now or later (a chapter not yet
/// claimed, a portrait wanted, or no chapters yet): `helpable`'s `wanting`, for one worker.
async fn own_book_wants(tx: &Tx<'_>, worker: &str) -> Result<bool, Error> {
    let statement = format!(
        "SELECT EXISTS (SELECT 1 FROM queue q \
                        WHERE q.worker = $1 AND q.status = 'running' AND {WANTS_HELP})"
    );
    let action = "look at this worker's books";
    let wants = query_value(tx, &statement, &[&worker], action).await?;
    Ok(wants.unwrap_or(false))
}

/// Whether the held book `q` has something to draw now or later: a chapter not yet claimed,
/// a portrait asked for, or no chapters yet (its start still ahead). What `helpable`,
/// `any_helpable` and `own_book_wants` each ask of a book.
const WANTS_HELP: &str = "(NOT EXISTS (SELECT 1 FROM chapters c WHERE c.book = q.id) \
     OR EXISTS (SELECT 1 FROM chapters c WHERE c.book = q.id \
                AND c.status IN ('pending', 'analyzed')) \
     OR EXISTS (SELECT 1 FROM portraits p WHERE p.book = q.id AND p.status = 'wanted'))";

/// Notifies [`CHANNEL`] when `tx` commits, naming `book` (what the wake-up is about).
async fn notify(tx: &Tx<'_>, book: &str) -> Result<(), Error> {
    execute(
        tx,
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &book],
        "wake the workers",
    )
    .await
    .map(drop)
}

fn queued_book(row: &tokio_postgres::Row) -> Result<QueuedBook, Error> {
    let get = sql("read a queued book");
    let settings: String = row.try_get(3).map_err(&get)?;
    Ok(QueuedBook {
        id: row.try_get(0).map_err(&get)?,
        sha256: row.try_get(1).map_err(&get)?,
        file_name: row.try_get(2).map_err(&get)?,
        settings: parse_settings(&settings)?,
        status: row.try_get(4).map_err(&get)?,
        worker: row.try_get(5).map_err(&get)?,
        heartbeat_at: row.try_get(6).map_err(&get)?,
        attempt: row.try_get(7).map_err(&get)?,
        failures: row.try_get(8).map_err(&get)?,
        last_error: row.try_get(9).map_err(&get)?,
        submitted_at: row.try_get(10).map_err(&get)?,
        finished_at: row.try_get(11).map_err(&get)?,
    })
}

fn parse_settings(text: &str) -> Result<Vec<String>, Error> {
    serde_json::from_str(text).map_err(|e| Error::Database {
        action: "read a queued book's settings",
        source: e.into(),
    })
}

/// `duration` in microseconds, for interval arithmetic in SQL.
fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

mod budget;
mod listen;

pub use listen::{Listener, Woken};

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
