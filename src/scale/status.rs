//! `imaginize status`: the queued books (with their chapters by state), the live workers and
//! the leases they hold, as tables or JSON.

use super::StatusArgs;
use crate::config::Environment;
use crate::error::Error;
use crate::report::Reporter;
use crate::store::postgres::queue::{QueuedBook, WorkerRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
struct Status {
    books: Vec<Book>,
    workers: Vec<Worker>,
}

#[derive(Debug, Serialize)]
struct Book {
    #[serde(flatten)]
    queued: QueuedBook,
    /// Chapters by status (`pending`, `analyzed`, `illustration_inprogress`, …).
    chapters: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize)]
struct Worker {
    #[serde(flatten)]
    row: WorkerRow,
    /// The books this worker holds.
    books: Vec<String>,
    /// The chapters it holds, as `book:chapter`, with their last heartbeat.
    chapters: Vec<Lease>,
}

#[derive(Debug, Serialize)]
struct Lease {
    book: String,
    chapter: i64,
    heartbeat_at: DateTime<Utc>,
}

pub fn run(args: &StatusArgs, reporter: &Reporter, env: &Environment) -> Result<(), Error> {
    let queue = args.stores.queue(env)?;
    let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (book, status, n) in queue.chapter_counts()? {
        counts.entry(book).or_default().insert(status, n);
    }
    let books: Vec<Book> = queue
        .books()?
        .into_iter()
        .map(|queued| Book {
            chapters: counts.remove(&queued.id).unwrap_or_default(),
            queued,
        })
        .collect();
    let claims = queue.chapter_claims()?;
    let workers = queue
        .workers()?
        .into_iter()
        .map(|row| Worker {
            books: books
                .iter()
                .filter(|b| b.queued.worker.as_deref() == Some(row.worker.as_str()))
                .map(|b| b.queued.id.clone())
                .collect(),
            chapters: claims
                .iter()
                // The illustrators of a worker process are `host:pid:<their own nonce>`.
                .filter(|(_, _, holder, _)| {
                    holder.starts_with(&format!("{}:{}:", row.host, row.pid))
                })
                .map(|(book, chapter, _, at)| Lease {
                    book: book.clone(),
                    chapter: *chapter,
                    heartbeat_at: *at,
                })
                .collect(),
            row,
        })
        .collect();
    let status = Status { books, workers };
    if args.json {
        let json = serde_json::to_string_pretty(&status).map_err(|source| Error::Encode {
            what: "the status",
            source,
        })?;
        reporter.output(&format!("{json}\n"));
    } else {
        reporter.output(&table(&status, Utc::now()));
    }
    Ok(())
}

fn table(status: &Status, now: DateTime<Utc>) -> String {
    let mut text =
        String::from("BOOK              STATUS   FILE                          CHAPTERS\n");
    for book in &status.books {
        let q = &book.queued;
        let chapters: Vec<String> = book
            .chapters
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        let mut line = format!(
            "{:<17} {:<8} {:<29} {}",
            q.id,
            q.status,
            q.file_name,
            chapters.join(", ")
        );
        if let Some(err) = &q.last_error {
            line.push_str(&format!(" (failures {}: {err})", q.failures));
        }
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("\nWORKER                             SEEN   BOOKS / CHAPTER LEASES\n");
    for w in &status.workers {
        let seen = (now - w.row.heartbeat_at).num_seconds().max(0);
        let mut held = w.books.clone();
        held.extend(w.chapters.iter().map(|l| {
            let age = (now - l.heartbeat_at).num_seconds().max(0);
            format!("{}:{} ({age}s)", l.book, l.chapter)
        }));
        text.push_str(&format!(
            "{:<34} {:>4}s  {}\n",
            w.row.worker,
            seen,
            held.join(" ")
        ));
    }
    text
}
