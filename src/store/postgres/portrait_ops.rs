//! The portraits' operations (asking for them, claim, heartbeat, record, release) as short SQL transactions
//! of their own, as `native.rs` does for chapters: each takes the book's advisory lock shared
//! and works on one `portraits` row. A whole-book `transact` for each of them (the file store's
//! way) was the scale bench's most frequent one: every free image slot with no chapter to draw
//! tried a portrait claim under the book's lock taken exclusive, reading and writing the book.
//!
//! The rules are `store::portraits`': a portrait is claimable while wanted, or while drawing by
//! a worker whose lease expired or whose row is gone; the first claimable by slug is taken; its
//! holder alone renews, records or gives it back. A claim's attempt number is its fencing token,
//! as a chapter's is.

use crate::store::postgres::db::{Tx, execute, query, sql};
use crate::store::postgres::native::{Holder, add_usage, book_exists, micros};
use crate::store::{Error, PortraitOutcome, WorkerId};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The `WHERE` that makes a statement touch the portrait only while `holder` holds it.
const HELD: &str = "book = $1 AND slug = $2 AND claim_worker = $3 \
     AND ($4::bigint IS NULL OR claim_attempt = $4)";

/// Asks for the portraits of `wanted` (slug, name) the book does not have yet; the others,
/// drawn or not, are kept. Returns how many were added. Each added row wakes the queue's
/// listeners (schema 6), so helpers draw them at once.
pub(super) async fn want(
    tx: &Tx<'_>,
    book: &str,
    wanted: &[(String, String)],
) -> Result<usize, Error> {
    let (slugs, names): (Vec<&str>, Vec<&str>) = wanted
        .iter()
        .map(|(slug, name)| (slug.as_str(), name.as_str()))
        .unzip();
    let added = execute(
        tx,
        "INSERT INTO portraits (book, slug, name, status, updated_at) \
         SELECT $1, w.slug, w.name, 'wanted', now() \
         FROM unnest($2::text[], $3::text[]) AS w(slug, name) \
         WHERE EXISTS (SELECT 1 FROM books WHERE id = $1) \
         ON CONFLICT (book, slug) DO NOTHING",
        &[&book, &slugs, &names],
        "ask for portraits",
    )
    .await?;
    if added == 0 && !wanted.is_empty() && !book_exists(tx, book).await? {
        return Err(Error::NoManifest {
            dir: std::path::PathBuf::from(format!("(postgres book {book})")),
        });
    }
    Ok(usize::try_from(added).unwrap_or(usize::MAX))
}

/// Claims `slug`'s portrait (or with `None` the first claimable one by slug, in byte order as
/// the manifest's map keeps them) for `worker`; returns the slug and the claim's attempt.
/// Rows another claimer is locking are passed over.
pub(super) async fn claim(
    tx: &Tx<'_>,
    book: &str,
    slug: Option<&str>,
    worker: &WorkerId,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<(String, i64)>, Error> {
    let lease = micros(lease);
    let rows = query(
        tx,
        "UPDATE portraits p SET status = 'drawing', claim_worker = $2, claimed_at = $3, \
             heartbeat_at = $3, claim_attempt = p.claim_attempt + 1, updated_at = now() \
         WHERE (p.book, p.slug) = ( \
             SELECT x.book, x.slug FROM portraits x \
             WHERE x.book = $1 AND ($4::text IS NULL OR x.slug = $4) AND ( \
                 x.status = 'wanted' OR (x.status = 'drawing' AND ( \
                     x.claim_worker IS NULL \
                     OR x.heartbeat_at < $3::timestamptz - $5::bigint * interval '1 microsecond' \
                     OR NOT EXISTS (SELECT 1 FROM workers w \
                         WHERE w.book = x.book AND w.worker_id = x.claim_worker)))) \
             ORDER BY x.slug COLLATE \"C\" LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING p.slug, p.claim_attempt",
        &[&book, &worker.0, &now, &slug, &lease],
        "claim a portrait",
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let slug: String = row.try_get(0).map_err(sql("claim a portrait"))?;
    let attempt: i64 = row.try_get(1).map_err(sql("claim a portrait"))?;
    Ok(Some((slug, attempt)))
}

/// Renews `holder`'s lease on `slug`; `ClaimLost` when it is not theirs.
pub(super) async fn heartbeat(
    tx: &Tx<'_>,
    book: &str,
    slug: &str,
    holder: Holder<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let touched = execute(
        tx,
        &format!("UPDATE portraits SET heartbeat_at = $5, updated_at = now() WHERE {HELD}"),
        &[&book, &slug, &holder.worker.0, &holder.attempt, &now],
        "renew a portrait's lease",
    )
    .await?;
    held_or_lost(tx, book, slug, holder.worker, touched).await
}

/// Records how `holder`'s drawing of `slug` ended, with its cost on `chapter`; `false` (nothing
/// recorded, no cost added) when the claim is no longer theirs: a portrait is recorded once.
pub(super) async fn record(
    tx: &Tx<'_>,
    book: &str,
    slug: &str,
    holder: Holder<'_>,
    outcome: &PortraitOutcome,
    usage: (i64, crate::store::usage::Usage),
) -> Result<bool, Error> {
    // A failure keeps the picture an earlier drawing left, as the manifest does.
    let (status, image, error) = match outcome {
        PortraitOutcome::Image(path) => ("done", Some(path.as_str()), None),
        PortraitOutcome::Failed(reason) => ("failed", None, Some(reason.as_str())),
    };
    let touched = execute(
        tx,
        &format!(
            "UPDATE portraits SET status = $5, image = coalesce($6, image), error = $7, \
                 claim_worker = NULL, claimed_at = NULL, heartbeat_at = NULL, \
                 updated_at = now() \
             WHERE {HELD}"
        ),
        &[
            &book,
            &slug,
            &holder.worker.0,
            &holder.attempt,
            &status,
            &image,
            &error,
        ],
        "record a portrait",
    )
    .await?;
    if touched == 0 {
        return Ok(false);
    }
    add_usage(tx, book, usage.0, usage.1).await?;
    Ok(true)
}

/// Gives `slug` back (`wanted`); `ClaimLost` when it is not `holder`'s.
pub(super) async fn release(
    tx: &Tx<'_>,
    book: &str,
    slug: &str,
    holder: Holder<'_>,
) -> Result<(), Error> {
    let touched = execute(
        tx,
        &format!(
            "UPDATE portraits SET status = 'wanted', claim_worker = NULL, claimed_at = NULL, \
                 heartbeat_at = NULL, updated_at = now() \
             WHERE {HELD}"
        ),
        &[&book, &slug, &holder.worker.0, &holder.attempt],
        "give a portrait back",
    )
    .await?;
    held_or_lost(tx, book, slug, holder.worker, touched).await
}

/// `Ok` when the statement touched the portrait; else `ClaimLost`, naming who holds it now.
async fn held_or_lost(
    tx: &Tx<'_>,
    book: &str,
    slug: &str,
    worker: &WorkerId,
    touched: u64,
) -> Result<(), Error> {
    if touched > 0 {
        return Ok(());
    }
    let rows = query(
        tx,
        "SELECT claim_worker FROM portraits WHERE book = $1 AND slug = $2",
        &[&book, &slug],
        "read a portrait's claim",
    )
    .await?;
    let holder = match rows.first() {
        Some(row) => row
            .try_get::<_, Option<String>>(0)
            .map_err(sql("read a portrait's claim"))?,
        None => None,
    };
    // Portraits have no chapter: 0 stands for "the cast" in the message, as in the manifest's.
    Err(Error::ClaimLost {
        chapter: crate::ids::ChapterNo(0),
        worker: worker.to_string(),
        holder: holder.unwrap_or_else(|| "nobody".into()),
    })
}
