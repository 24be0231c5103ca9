//! The book's rows as a [`Manifest`] and back: `load` builds the value the file store would hold,
//! `save` writes what a transaction changed (only the chapters and portraits that differ;
//! portraits in `portrait_rows.rs`).

use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::store::manifest::{BookMeta, ChapterState, Claim, ElementsStatus, Manifest, Status};
use crate::store::postgres::db::{Params, Tx, corrupt, execute, query, sql};
use crate::store::postgres::portrait_rows;
use crate::store::usage::Usage;
use crate::store::{Error, WorkerId};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

const BOOK: &str = "SELECT book_id, version, title, author, file, sha256, path, \
     elements_md_status, last_updated FROM books WHERE id = $1";
const CHAPTERS: &str = "SELECT c.number, c.key, c.title, c.status, c.analyzed_at, \
     c.illustrated_at, c.concepts, c.claim_worker, c.claimed_at, c.heartbeat_at, c.attempts, \
     c.error, c.updated_at, u.prompt_tokens, u.completion_tokens, u.images \
     FROM chapters c LEFT JOIN usage u ON (u.book, u.chapter) = (c.book, c.number) \
     WHERE c.book = $1 ORDER BY c.number";
const SCENES: &str = "SELECT chapter, scene, rejected FROM scenes WHERE book = $1 \
     ORDER BY chapter, scene";

/// The book's state, `None` before its first transaction created it.
pub(super) async fn load(tx: &Tx<'_>, book: &str) -> Result<Option<Manifest>, Error> {
    // Sent together and answered in order on the one connection: one round trip, not four
    // (every snapshot and whole-book transaction reads them all).
    let key: &Params<'_> = &[&book];
    let (mut books, portraits, chapters, scenes) = tokio::try_join!(
        query(tx, BOOK, key, "read the book"),
        portrait_rows::load(tx, book),
        query(tx, CHAPTERS, key, "read the chapters"),
        query(tx, SCENES, key, "read the scenes"),
    )?;
    let Some(row) = books.pop() else {
        return Ok(None);
    };
    let mut manifest = Manifest {
        version: get(&row, "version")?,
        book_id: get(&row, "book_id")?,
        book: BookMeta {
            title: get(&row, "title")?,
            author: get(&row, "author")?,
            file: get(&row, "file")?,
            sha256: get(&row, "sha256")?,
            path: get(&row, "path")?,
        },
        elements_md_status: elements_status(&get::<String>(&row, "elements_md_status")?)?,
        analyze_complete: false,
        illustrate_complete: false,
        chapters: BTreeMap::new(),
        portraits,
        last_updated: get(&row, "last_updated")?,
    };
    for row in chapters {
        let (no, chapter, updated) = chapter(&row)?;
        manifest.last_updated = manifest.last_updated.max(Some(updated));
        manifest.chapters.insert(no, Arc::new(chapter));
    }
    for row in scenes {
        add_scene(&mut manifest, &row)?;
    }
    manifest.refresh_flags();
    Ok(Some(manifest))
}

/// The workers named by the book's claims (chapters' and portraits') that have a row (alive).
pub(super) async fn live_workers(tx: &Tx<'_>, book: &str) -> Result<HashSet<WorkerId>, Error> {
    let rows = query(
        tx,
        "SELECT w.worker_id FROM workers w WHERE w.book = $1 AND w.worker_id IN \
         (SELECT claim_worker FROM chapters WHERE book = $1 AND claim_worker IS NOT NULL \
          UNION ALL \
          SELECT claim_worker FROM portraits WHERE book = $1 AND claim_worker IS NOT NULL)",
        &[&book],
        "read the live workers",
    )
    .await?;
    rows.iter()
        .map(|row| get::<String>(row, "worker_id").map(WorkerId))
        .collect()
}

/// One chapter row: its number, state and when it last changed.
fn chapter(row: &Row) -> Result<(ChapterNo, ChapterState, DateTime<Utc>), Error> {
    let claim = match get::<Option<String>>(row, "claim_worker")? {
        Some(worker) => Some(Claim {
            worker: WorkerId(worker),
            claimed_at: get(row, "claimed_at")?,
            heartbeat_at: get(row, "heartbeat_at")?,
        }),
        None => None,
    };
    let usage = Usage {
        prompt_tokens: unsigned(get::<Option<i64>>(row, "prompt_tokens")?.unwrap_or(0))?,
        completion_tokens: unsigned(get::<Option<i64>>(row, "completion_tokens")?.unwrap_or(0))?,
        images: unsigned(get::<Option<i64>>(row, "images")?.unwrap_or(0))?,
    };
    let state = ChapterState {
        key: ChapterKey(get(row, "key")?),
        title: get(row, "title")?,
        status: status(&get::<String>(row, "status")?)?,
        analyzed_at: get(row, "analyzed_at")?,
        illustrated_at: get(row, "illustrated_at")?,
        concepts: small(get(row, "concepts")?)?,
        claim,
        scenes_done: Vec::new(),
        rejected: BTreeMap::new(),
        attempts: small(get(row, "attempts")?)?,
        error: get(row, "error")?,
        usage,
    };
    Ok((
        ChapterNo(small(get(row, "number")?)?),
        state,
        get(row, "updated_at")?,
    ))
}

/// Adds a scene row (rows come ordered, so `scenes_done` stays sorted).
fn add_scene(manifest: &mut Manifest, row: &Row) -> Result<(), Error> {
    let chapter = ChapterNo(small(get(row, "chapter")?)?);
    let scene = SceneNo(small(get(row, "scene")?)?);
    let rejected: Option<String> = get(row, "rejected")?;
    let state = manifest
        .chapters
        .get_mut(&chapter)
        .map(Arc::make_mut)
        .ok_or_else(|| corrupt(format!("scene {scene} of a missing chapter {chapter}")))?;
    state.scenes_done.push(scene);
    if let Some(reason) = rejected {
        state.rejected.insert(scene, reason);
    }
    Ok(())
}

/// Writes `after` over `before` (what the transaction read): the book row, and every chapter
/// and portrait that was added, changed or removed.
pub(super) async fn save(
    tx: &Tx<'_>,
    book: &str,
    before: Option<&Manifest>,
    after: &Manifest,
) -> Result<(), Error> {
    save_book(tx, book, after).await?;
    let now = after.last_updated.unwrap_or_else(Utc::now);
    let mut added = NewChapters::default();
    for (no, chapter) in &after.chapters {
        match before.and_then(|b| b.chapters.get(no)) {
            Some(old) if Arc::ptr_eq(old, chapter) || old == chapter => {}
            Some(old) => update_chapter(tx, book, *no, old, chapter, now).await?,
            None => added.push(*no, chapter)?,
        }
    }
    added.insert(tx, book, now).await?;
    let gone: Vec<i64> = before
        .map(|b| b.chapters.keys())
        .into_iter()
        .flatten()
        .filter(|no| !after.chapters.contains_key(no))
        .map(|no| i64::from(no.0))
        .collect();
    if !gone.is_empty() {
        execute(
            tx,
            "DELETE FROM chapters WHERE book = $1 AND number = ANY($2)",
            &[&book, &gone],
            "remove chapters",
        )
        .await?;
    }
    portrait_rows::save(tx, book, before, after, now).await
}

async fn save_book(tx: &Tx<'_>, book: &str, m: &Manifest) -> Result<(), Error> {
    execute(
        tx,
        "INSERT INTO books (id, book_id, version, title, author, file, sha256, path, \
             elements_md_status, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET book_id = $2, version = $3, title = $4, author = $5, \
             file = $6, sha256 = $7, path = $8, elements_md_status = $9, last_updated = $10",
        &[
            &book,
            &m.book_id,
            &m.version,
            &m.book.title,
            &m.book.author,
            &m.book.file,
            &m.book.sha256,
            &m.book.path,
            &elements_text(m.elements_md_status),
            &m.last_updated,
        ],
        "write the book",
    )
    .await
    .map(drop)
}

/// Chapters a transaction adds (a book's whole table of contents when its state is created),
/// written in three statements whatever their number: one per chapter row was the start of
/// every book, before its first request.
#[derive(Default)]
struct NewChapters {
    number: Vec<i64>,
    key: Vec<String>,
    title: Vec<String>,
    status: Vec<String>,
    analyzed_at: Vec<Option<DateTime<Utc>>>,
    illustrated_at: Vec<Option<DateTime<Utc>>>,
    concepts: Vec<i64>,
    claim_worker: Vec<Option<String>>,
    claimed_at: Vec<Option<DateTime<Utc>>>,
    heartbeat_at: Vec<Option<DateTime<Utc>>>,
    claims: Vec<i64>,
    attempts: Vec<i64>,
    error: Vec<Option<String>>,
    usage: [Vec<i64>; 3],
    scenes: [Vec<i64>; 2],
    rejected: Vec<Option<String>>,
}

impl NewChapters {
    fn push(&mut self, no: ChapterNo, ch: &ChapterState) -> Result<(), Error> {
        let number = i64::from(no.0);
        self.number.push(number);
        self.key.push(ch.key.0.clone());
        self.title.push(ch.title.clone());
        self.status.push(ch.status.to_string());
        self.analyzed_at.push(ch.analyzed_at);
        self.illustrated_at.push(ch.illustrated_at);
        self.concepts.push(i64::from(ch.concepts));
        self.claim_worker
            .push(ch.claim.as_ref().map(|c| c.worker.0.clone()));
        self.claimed_at
            .push(ch.claim.as_ref().map(|c| c.claimed_at));
        self.heartbeat_at
            .push(ch.claim.as_ref().map(|c| c.heartbeat_at));
        self.claims.push(i64::from(ch.claim.is_some()));
        self.attempts.push(i64::from(ch.attempts));
        self.error.push(ch.error.clone());
        let counts = [
            ch.usage.prompt_tokens,
            ch.usage.completion_tokens,
            ch.usage.images,
        ];
        for (column, count) in self.usage.iter_mut().zip(counts) {
            column.push(signed(count)?);
        }
        for scene in &ch.scenes_done {
            self.scenes[0].push(number);
            self.scenes[1].push(i64::from(scene.0));
            self.rejected.push(ch.rejected.get(scene).cloned());
        }
        Ok(())
    }

    async fn insert(&self, tx: &Tx<'_>, book: &str, now: DateTime<Utc>) -> Result<(), Error> {
        if self.number.is_empty() {
            return Ok(());
        }
        execute(
            tx,
            "INSERT INTO chapters (book, number, key, title, status, analyzed_at, illustrated_at, \
                 concepts, claim_worker, claimed_at, heartbeat_at, claim_attempt, attempts, \
                 error, updated_at) \
             SELECT $1, *, $15 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], \
                 $6::timestamptz[], $7::timestamptz[], $8::bigint[], $9::text[], \
                 $10::timestamptz[], $11::timestamptz[], $12::bigint[], $13::bigint[], \
                 $14::text[])",
            &[
                &book,
                &self.number,
                &self.key,
                &self.title,
                &self.status,
                &self.analyzed_at,
                &self.illustrated_at,
                &self.concepts,
                &self.claim_worker,
                &self.claimed_at,
                &self.heartbeat_at,
                &self.claims,
                &self.attempts,
                &self.error,
                &now,
            ],
            "add chapters",
        )
        .await?;
        let [prompt, completion, images] = &self.usage;
        execute(
            tx,
            "INSERT INTO usage (book, chapter, prompt_tokens, completion_tokens, images) \
             SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])",
            &[&book, &self.number, prompt, completion, images],
            "add the chapters' usage",
        )
        .await?;
        if self.rejected.is_empty() {
            return Ok(());
        }
        execute(
            tx,
            "INSERT INTO scenes (book, chapter, scene, rejected) \
             SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[])",
            &[&book, &self.scenes[0], &self.scenes[1], &self.rejected],
            "record the chapters' scenes",
        )
        .await
        .map(drop)
    }
}

async fn update_chapter(
    tx: &Tx<'_>,
    book: &str,
    no: ChapterNo,
    old: &ChapterState,
    ch: &ChapterState,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let number = i64::from(no.0);
    // A claim made through a transaction is a new claim: the fencing token moves on.
    let new_claim = match (&old.claim, &ch.claim) {
        (_, None) => 0_i64,
        (Some(was), Some(is)) if was.worker == is.worker && was.claimed_at == is.claimed_at => 0,
        _ => 1,
    };
    execute(
        tx,
        "UPDATE chapters SET key = $3, title = $4, status = $5, analyzed_at = $6, \
             illustrated_at = $7, concepts = $8, claim_worker = $9, claimed_at = $10, \
             heartbeat_at = $11, claim_attempt = claim_attempt + $12, attempts = $13, \
             error = $14, updated_at = $15 \
         WHERE book = $1 AND number = $2",
        &[
            &book,
            &number,
            &ch.key.0,
            &ch.title,
            &ch.status.to_string(),
            &ch.analyzed_at,
            &ch.illustrated_at,
            &i64::from(ch.concepts),
            &ch.claim.as_ref().map(|c| c.worker.0.as_str()),
            &ch.claim.as_ref().map(|c| c.claimed_at),
            &ch.claim.as_ref().map(|c| c.heartbeat_at),
            &new_claim,
            &i64::from(ch.attempts),
            &ch.error,
            &now,
        ],
        "update a chapter",
    )
    .await?;
    if old.usage != ch.usage {
        save_usage(tx, book, number, ch.usage).await?;
    }
    if old.scenes_done != ch.scenes_done || old.rejected != ch.rejected {
        save_scenes(tx, book, number, ch).await?;
    }
    Ok(())
}

async fn save_usage(tx: &Tx<'_>, book: &str, chapter: i64, usage: Usage) -> Result<(), Error> {
    execute(
        tx,
        "UPDATE usage SET prompt_tokens = $3, completion_tokens = $4, images = $5 \
         WHERE book = $1 AND chapter = $2",
        &[
            &book,
            &chapter,
            &signed(usage.prompt_tokens)?,
            &signed(usage.completion_tokens)?,
            &signed(usage.images)?,
        ],
        "write a chapter's usage",
    )
    .await
    .map(drop)
}

/// Makes the chapter's scene rows those of `ch`: removed scenes go, the others are inserted or
/// get their refusal reason; an image path already recorded is kept.
async fn save_scenes(
    tx: &Tx<'_>,
    book: &str,
    chapter: i64,
    ch: &ChapterState,
) -> Result<(), Error> {
    let done: Vec<i64> = ch.scenes_done.iter().map(|s| i64::from(s.0)).collect();
    execute(
        tx,
        "DELETE FROM scenes WHERE book = $1 AND chapter = $2 AND NOT (scene = ANY($3))",
        &[&book, &chapter, &done],
        "remove scenes",
    )
    .await?;
    for scene in &ch.scenes_done {
        let rejected = ch.rejected.get(scene).map(String::as_str);
        execute(
            tx,
            "INSERT INTO scenes (book, chapter, scene, rejected) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (book, chapter, scene) DO UPDATE SET rejected = $4",
            &[&book, &chapter, &i64::from(scene.0), &rejected],
            "record a scene",
        )
        .await?;
    }
    Ok(())
}

pub(super) fn get<'a, T: FromSql<'a>>(row: &'a Row, column: &'static str) -> Result<T, Error> {
    row.try_get(column).map_err(sql("read the book's state"))
}

fn small(value: i64) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| corrupt(format!("{value} is not a count or number")))
}

fn unsigned(value: i64) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| corrupt(format!("{value} is not a count")))
}

pub(super) fn signed(value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::Database {
        action: "record usage",
        source: format!("{value} does not fit a bigint").into(),
    })
}

pub(super) fn status(text: &str) -> Result<Status, Error> {
    Status::ALL
        .into_iter()
        .find(|s| s.to_string() == text)
        .ok_or_else(|| corrupt(format!("unknown chapter status `{text}`")))
}

const ELEMENTS: [(ElementsStatus, &str); 4] = [
    (ElementsStatus::Pending, "pending"),
    (ElementsStatus::Inprogress, "inprogress"),
    (ElementsStatus::Complete, "complete"),
    (ElementsStatus::Error, "error"),
];

pub(super) fn elements_text(status: ElementsStatus) -> &'static str {
    ELEMENTS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("pending", |(_, text)| text)
}

pub(super) fn elements_status(text: &str) -> Result<ElementsStatus, Error> {
    ELEMENTS
        .iter()
        .find(|(_, t)| *t == text)
        .map(|(s, _)| *s)
        .ok_or_else(|| corrupt(format!("unknown Elements.md status `{text}`")))
}
