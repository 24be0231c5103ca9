//! The manifest's `portraits` as rows of the `portraits` table (schema 4): read with the rest of
//! the book by `rows::load`, written back by `rows::save` (only the portraits that differ, for
//! the operations that go through `transact`: wanting portraits, redrawing one). Claims and
//! their ends are `portrait_ops.rs`, one row each.

use crate::store::manifest::{Claim, Manifest};
use crate::store::postgres::db::{Tx, corrupt, execute, query};
use crate::store::postgres::rows::get;
use crate::store::{Error, Portrait, PortraitStatus, WorkerId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

const PORTRAITS: &str = "SELECT slug, name, status, claim_worker, claimed_at, heartbeat_at, \
     image, error FROM portraits WHERE book = $1 ORDER BY slug";

/// The book's portraits, keyed by slug.
pub(super) async fn load(tx: &Tx<'_>, book: &str) -> Result<BTreeMap<String, Portrait>, Error> {
    let mut portraits = BTreeMap::new();
    for row in query(tx, PORTRAITS, &[&book], "read the portraits").await? {
        let claim = match get::<Option<String>>(&row, "claim_worker")? {
            Some(worker) => Some(Claim {
                worker: WorkerId(worker),
                claimed_at: get(&row, "claimed_at")?,
                heartbeat_at: get(&row, "heartbeat_at")?,
            }),
            None => None,
        };
        let portrait = Portrait {
            name: get(&row, "name")?,
            status: status(&get::<String>(&row, "status")?)?,
            claim,
            image: get(&row, "image")?,
            error: get(&row, "error")?,
        };
        portraits.insert(get(&row, "slug")?, portrait);
    }
    Ok(portraits)
}

/// Writes the portraits of `after` that `before` did not have or had otherwise, and removes
/// those it no longer has (a book opened again with `--force` starts without them).
pub(super) async fn save(
    tx: &Tx<'_>,
    book: &str,
    before: Option<&Manifest>,
    after: &Manifest,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for (slug, portrait) in &after.portraits {
        let old = before.and_then(|b| b.portraits.get(slug));
        if old != Some(portrait) {
            upsert(tx, book, slug, old, portrait, now).await?;
        }
    }
    let gone: Vec<&str> = before
        .map(|b| b.portraits.keys())
        .into_iter()
        .flatten()
        .filter(|slug| !after.portraits.contains_key(*slug))
        .map(String::as_str)
        .collect();
    if !gone.is_empty() {
        execute(
            tx,
            "DELETE FROM portraits WHERE book = $1 AND slug = ANY($2)",
            &[&book, &gone],
            "remove portraits",
        )
        .await?;
    }
    Ok(())
}

/// Inserts or rewrites one portrait's row; a claim that is not `old`'s counts one more attempt.
async fn upsert(
    tx: &Tx<'_>,
    book: &str,
    slug: &str,
    old: Option<&Portrait>,
    p: &Portrait,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let old_claim = old.and_then(|o| o.claim.as_ref());
    let new_claim = match (old_claim, &p.claim) {
        (_, None) => 0_i64,
        (Some(was), Some(is)) if was.worker == is.worker && was.claimed_at == is.claimed_at => 0,
        _ => 1,
    };
    let claim = p.claim.as_ref();
    execute(
        tx,
        "INSERT INTO portraits (book, slug, name, status, claim_worker, claimed_at, \
             heartbeat_at, claim_attempt, image, error, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (book, slug) DO UPDATE SET name = $3, status = $4, claim_worker = $5, \
             claimed_at = $6, heartbeat_at = $7, \
             claim_attempt = portraits.claim_attempt + $8, image = $9, error = $10, \
             updated_at = $11",
        &[
            &book,
            &slug,
            &p.name,
            &status_text(p.status),
            &claim.map(|c| c.worker.0.as_str()),
            &claim.map(|c| c.claimed_at),
            &claim.map(|c| c.heartbeat_at),
            &new_claim,
            &p.image,
            &p.error,
            &now,
        ],
        "write a portrait",
    )
    .await
    .map(drop)
}

fn status_text(status: PortraitStatus) -> &'static str {
    match status {
        PortraitStatus::Wanted => "wanted",
        PortraitStatus::Drawing => "drawing",
        PortraitStatus::Done => "done",
        PortraitStatus::Failed => "failed",
    }
}

fn status(text: &str) -> Result<PortraitStatus, Error> {
    match text {
        "wanted" => Ok(PortraitStatus::Wanted),
        "drawing" => Ok(PortraitStatus::Drawing),
        "done" => Ok(PortraitStatus::Done),
        "failed" => Ok(PortraitStatus::Failed),
        _ => Err(corrupt(format!("unknown portrait status `{text}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's spelling is the manifest's (serde's snake_case), so an export writes the
    /// same JSON as a local run.
    #[test]
    fn statuses_are_spelled_as_the_manifest_spells_them() {
        use PortraitStatus::*;
        for status in [Wanted, Drawing, Done, Failed] {
            let text = status_text(status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(super::status(text).unwrap(), status);
        }
        assert!(super::status("lost").is_err());
    }
}
