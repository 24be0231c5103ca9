//! The hot operations as short SQL transactions of their own, instead of reading and writing
//! the whole book: claim, heartbeat, release, recording a scene and completing a chapter.
//!
//! Each takes the book's advisory lock shared (so it never interleaves with a whole-book
//! `transact`, which takes it exclusive) and then works on one chapter row. A holder is checked
//! by its worker id and, where this process made the claim, by the claim's attempt number: the
//! fencing token that a takeover moves on.

use crate::ids::{ChapterNo, SceneNo};
use crate::store::claims::pid_alive;
use crate::store::postgres::db::{Tx, corrupt, execute, query, query_value, sql};
use crate::store::postgres::rows::{signed, status};
use crate::store::usage::Usage;
use crate::store::{Error, SceneOutcome, WorkerId};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::Duration;

/// The first key of the books' advisory locks ("img!"); the second is the book id's hash.
pub(super) const BOOK_LOCK: i32 = 0x696d_6721;

/// The longest lease PostgreSQL's interval arithmetic is given (a century): longer is forever.
const LONGEST_LEASE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Takes the book's advisory lock until the transaction ends: shared for one chapter's
/// operation, exclusive for a whole-book transaction.
fn lock_statement(exclusive: bool) -> &'static str {
    if exclusive {
        "SELECT pg_advisory_xact_lock($1, hashtext($2))"
    } else {
        "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))"
    }
}

/// Runs `then` under the book's lock, sent with it rather than after its answer: the server
/// runs a connection's statements in order, so `then`'s first statement waits for the lock
/// there, one round trip sooner (every short transaction and state read starts this way).
/// The lock's statement is prepared first, so nothing of `then` can reach the server before it.
pub(super) async fn under_book_lock<T>(
    tx: &Tx<'_>,
    book: &str,
    exclusive: bool,
    then: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let lock = tx
        .prepare_cached(lock_statement(exclusive))
        .await
        .map_err(sql("lock the book"))?;
    let locked = async {
        tx.query(&lock, &[&BOOK_LOCK, &book])
            .await
            .map(drop)
            .map_err(sql("lock the book"))
    };
    // `biased`: polled in this order, so the lock is on the wire before anything of `then`.
    let ((), out) = tokio::try_join!(biased; locked, then)?;
    Ok(out)
}

/// Claims the first chapter of `selected` that is analyzed, or in progress with an expired
/// lease or a worker without a row; skips rows another claimer is locking.
pub(super) async fn claim_next(
    tx: &Tx<'_>,
    book: &str,
    worker: &WorkerId,
    selected: &[ChapterNo],
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<(ChapterNo, i64)>, Error> {
    let selected: Vec<i64> = selected.iter().map(|c| i64::from(c.0)).collect();
    let lease = micros(lease);
    let rows = query(
        tx,
        "UPDATE chapters c SET status = 'illustration_inprogress', claim_worker = $2, \
             claimed_at = $3, heartbeat_at = $3, claim_attempt = c.claim_attempt + 1, \
             updated_at = now() \
         WHERE (c.book, c.number) = ( \
             SELECT x.book, x.number FROM chapters x \
             WHERE x.book = $1 AND x.number = ANY($4) AND ( \
                 x.status = 'analyzed' OR (x.status = 'illustration_inprogress' AND ( \
                     x.heartbeat_at < $3::timestamptz - $5::bigint * interval '1 microsecond' \
                     OR NOT EXISTS (SELECT 1 FROM workers w \
                         WHERE w.book = x.book AND w.worker_id = x.claim_worker))))  \
             ORDER BY x.number LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING c.number, c.claim_attempt",
        &[&book, &worker.0, &now, &selected, &lease],
        "claim a chapter",
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let number: i64 = row.try_get(0).map_err(sql("claim a chapter"))?;
    let attempt: i64 = row.try_get(1).map_err(sql("claim a chapter"))?;
    let number = u32::try_from(number).map_err(|_| corrupt(format!("chapter number {number}")))?;
    Ok(Some((ChapterNo(number), attempt)))
}

/// `pending → analyzed` with the chapter's scene count, and its usage added; `false` (nothing
/// changed) when the chapter is not pending or does not exist, for the caller to find out why.
/// The status change wakes the queue's listeners (schema 5's trigger).
pub(super) async fn mark_analyzed(
    tx: &Tx<'_>,
    book: &str,
    chapter: ChapterNo,
    concepts: u32,
    usage: Usage,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let number = i64::from(chapter.0);
    let touched = execute(
        tx,
        "UPDATE chapters SET status = 'analyzed', concepts = $3, analyzed_at = $4, \
             error = NULL, updated_at = now() \
         WHERE book = $1 AND number = $2 AND status = 'pending'",
        &[&book, &number, &i64::from(concepts), &now],
        "mark a chapter analyzed",
    )
    .await?;
    if touched == 0 {
        return Ok(false);
    }
    add_usage(tx, book, number, usage).await?;
    Ok(true)
}

/// Who holds a claim: the worker, and the attempt when this process knows it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Holder<'a> {
    pub worker: &'a WorkerId,
    pub attempt: Option<i64>,
}

/// The `WHERE` that makes a statement touch the chapter only while `holder` holds it.
const HELD: &str = "book = $1 AND number = $2 AND status = 'illustration_inprogress' \
     AND claim_worker = $3 AND ($4::bigint IS NULL OR claim_attempt = $4)";

pub(super) async fn heartbeat(
    tx: &Tx<'_>,
    book: &str,
    chapter: ChapterNo,
    holder: Holder<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let set = "heartbeat_at = $5";
    update_held(tx, book, chapter, holder, set, Some(now), "renew a lease").await
}

pub(super) async fn release(
    tx: &Tx<'_>,
    book: &str,
    chapter: ChapterNo,
    holder: Holder<'_>,
) -> Result<(), Error> {
    let set = "status = 'analyzed', claim_worker = NULL, claimed_at = NULL, heartbeat_at = NULL";
    update_held(tx, book, chapter, holder, set, None, "release a chapter").await
}

/// Completes the chapter for `holder`; `ClaimLost` (and nothing changed) when it is not theirs.
pub(super) async fn complete(
    tx: &Tx<'_>,
    book: &str,
    chapter: ChapterNo,
    holder: Holder<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let set = "status = 'illustration_complete', claim_worker = NULL, claimed_at = NULL, \
               heartbeat_at = NULL, illustrated_at = $5, error = NULL";
    update_held(
        tx,
        book,
        chapter,
        holder,
        set,
        Some(now),
        "complete a chapter",
    )
    .await
}

/// `UPDATE chapters SET {set}` while `holder` holds the chapter (`$5` is `now`, when given);
/// `ClaimLost`, and nothing changed, when it is not theirs.
async fn update_held(
    tx: &Tx<'_>,
    book: &str,
    chapter: ChapterNo,
    holder: Holder<'_>,
    set: &str,
    now: Option<DateTime<Utc>>,
    action: &'static str,
) -> Result<(), Error> {
    let statement = format!("UPDATE chapters SET {set}, updated_at = now() WHERE {HELD}");
    let number = i64::from(chapter.0);
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        vec![&book, &number, &holder.worker.0, &holder.attempt];
    if let Some(now) = &now {
        params.push(now);
    }
    if execute(tx, &statement, &params, action).await? == 0 {
        return Err(lost(tx, book, chapter, holder.worker).await);
    }
    Ok(())
}

/// Records a scene's outcome and adds its usage. The chapter row is touched first, so an
/// unknown chapter is an error and concurrent records of one chapter queue on its row. An
/// image already recorded keeps its first path (the key makes the scene one row).
pub(super) async fn record_scene(
    tx: &Tx<'_>,
    book: &str,
    chapter: ChapterNo,
    scene: SceneNo,
    outcome: &SceneOutcome,
    usage: Usage,
) -> Result<(), Error> {
    let number = i64::from(chapter.0);
    let touched = execute(
        tx,
        "UPDATE chapters SET updated_at = now() WHERE book = $1 AND number = $2",
        &[&book, &number],
        "record a scene",
    )
    .await?;
    if touched == 0 {
        return Err(missing(tx, book, chapter).await);
    }
    let scene = i64::from(scene.0);
    match outcome {
        SceneOutcome::Image(path) => {
            execute(
                tx,
                "INSERT INTO scenes (book, chapter, scene, image) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (book, chapter, scene) DO UPDATE SET image = $4, rejected = NULL \
                 WHERE scenes.image IS NULL",
                &[&book, &number, &scene, path],
                "record a scene",
            )
            .await?;
        }
        SceneOutcome::Rejected(reason) => {
            execute(
                tx,
                "INSERT INTO scenes (book, chapter, scene, rejected) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (book, chapter, scene) DO UPDATE SET rejected = $4",
                &[&book, &number, &scene, reason],
                "record a refused scene",
            )
            .await?;
        }
        SceneOutcome::Pending => {}
    }
    add_usage(tx, book, number, usage).await.map(drop)
}

/// Adds `usage` to the chapter's row; `false` when the book has no such chapter (nothing
/// to add is always done).
pub(super) async fn add_usage(
    tx: &Tx<'_>,
    book: &str,
    chapter: i64,
    usage: Usage,
) -> Result<bool, Error> {
    if usage == Usage::default() {
        return Ok(true);
    }
    execute(
        tx,
        "UPDATE usage SET prompt_tokens = prompt_tokens + $3, \
             completion_tokens = completion_tokens + $4, images = images + $5 \
         WHERE book = $1 AND chapter = $2",
        &[
            &book,
            &chapter,
            &signed(usage.prompt_tokens)?,
            &signed(usage.completion_tokens)?,
            &signed(usage.images)?,
        ],
        "add usage",
    )
    .await
    .map(|touched| touched > 0)
}

/// The book's Elements.md status as stored, `None` when the book has no state yet.
pub(super) async fn elements_status(tx: &Tx<'_>, book: &str) -> Result<Option<String>, Error> {
    query_value(
        tx,
        "SELECT elements_md_status FROM books WHERE id = $1",
        &[&book],
        "read the Elements.md status",
    )
    .await
}

/// Sets the book's Elements.md status; `false` when the book has no state yet.
pub(super) async fn set_elements_status(
    tx: &Tx<'_>,
    book: &str,
    status: &str,
) -> Result<bool, Error> {
    let touched = execute(
        tx,
        "UPDATE books SET elements_md_status = $2, last_updated = now() WHERE id = $1",
        &[&book, &status],
        "set the Elements.md status",
    )
    .await?;
    Ok(touched > 0)
}

/// Deletes the rows of this host's workers whose process is gone (killed: its guard never ran),
/// so their claims are taken over at once instead of after their lease, as the file store does
/// with its lock files. A pid reused by another process keeps its row: the lease decides then.
pub(super) async fn forget_dead_on_this_host(
    tx: &Tx<'_>,
    book: &str,
    host: &str,
) -> Result<(), Error> {
    let rows = query(
        tx,
        "SELECT worker_id, pid FROM workers WHERE book = $1 AND host = $2",
        &[&book, &host],
        "read this host's workers",
    )
    .await?;
    let dead: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let pid = i32::try_from(row.try_get::<_, Option<i64>>(1).ok()??).ok()?;
            if pid_alive(pid) {
                return None;
            }
            row.try_get(0).ok()
        })
        .collect();
    if dead.is_empty() {
        return Ok(());
    }
    execute(
        tx,
        "DELETE FROM workers WHERE book = $1 AND worker_id = ANY($2)",
        &[&book, &dead],
        "forget dead workers",
    )
    .await
    .map(drop)
}

/// Why `worker` could not act on `chapter`: the chapter (or the book) does not exist, or it is
/// not theirs (`ClaimLost`, naming who holds it now).
async fn lost(tx: &Tx<'_>, book: &str, chapter: ChapterNo, worker: &WorkerId) -> Error {
    let rows = query(
        tx,
        "SELECT status, claim_worker FROM chapters WHERE book = $1 AND number = $2",
        &[&book, &i64::from(chapter.0)],
        "read a claim",
    )
    .await;
    let row = match rows {
        Ok(mut rows) => match rows.pop() {
            Some(row) => row,
            None => return missing(tx, book, chapter).await,
        },
        Err(err) => return err,
    };
    let holder = match (
        row.try_get::<_, Option<String>>(1),
        row.try_get::<_, String>(0),
    ) {
        (Ok(Some(other)), _) => format!("claimed by `{other}`"),
        (_, Ok(text)) => match status(&text) {
            Ok(status) => format!("{status} with no claim"),
            Err(err) => return err,
        },
        (_, Err(err)) => return sql("read a claim")(err),
    };
    Error::ClaimLost {
        chapter,
        worker: worker.to_string(),
        holder,
    }
}

/// `UnknownChapter`, or `NoManifest` when the book itself has no state yet.
async fn missing(tx: &Tx<'_>, book: &str, chapter: ChapterNo) -> Error {
    match book_exists(tx, book).await {
        Ok(false) => Error::NoManifest {
            dir: PathBuf::from(format!("(postgres book {book})")),
        },
        Ok(true) => Error::UnknownChapter { chapter },
        Err(err) => err,
    }
}

/// Whether the book has a state (its `books` row).
pub(super) async fn book_exists(tx: &Tx<'_>, book: &str) -> Result<bool, Error> {
    let rows = query(
        tx,
        "SELECT 1 FROM books WHERE id = $1",
        &[&book],
        "read the book",
    )
    .await?;
    Ok(!rows.is_empty())
}

pub(super) fn micros(lease: Duration) -> i64 {
    i64::try_from(lease.min(LONGEST_LEASE).as_micros()).unwrap_or(i64::MAX)
}
