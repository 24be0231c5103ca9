//! `GET /api/books/{id}/events`: the book's server-sent events. A client gets a `snapshot` (the
//! whole view, numbered) on connect, then an `update` (new figures and the chapters that changed)
//! for every change. A client reconnecting with `Last-Event-ID` gets only the updates it missed
//! when they are still kept, else a new snapshot; one that falls behind gets a snapshot too.

use crate::serve::watch::{Book, Update};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// The stream for one client; `last_seen` is its `Last-Event-ID`.
pub fn events(
    book: Arc<Book>,
    last_seen: Option<u64>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribed before the current state is read, so no update falls in between.
    let receiver = book.subscribe();
    let first: Vec<(u64, Event)> = match last_seen.and_then(|seq| book.updates_after(seq)) {
        Some(missed) => missed.iter().map(|u| (u.seq, update(u))).collect(),
        None => vec![snapshot(&book)],
    };
    let sent = first.last().map_or(last_seen.unwrap_or(0), |(seq, _)| *seq);
    let first = stream::iter(first.into_iter().map(|(_, e)| Ok(e)));
    let rest = stream::unfold(
        (receiver, sent, book),
        |(mut receiver, sent, book)| async move {
            let (seq, event) = next(&mut receiver, sent, &book).await?;
            Some((Ok(event), (receiver, seq, book)))
        },
    );
    Sse::new(first.chain(rest)).keep_alive(KeepAlive::default())
}

/// The next event after `sent`; `None` when the book is gone.
async fn next(receiver: &mut Receiver<Update>, sent: u64, book: &Book) -> Option<(u64, Event)> {
    loop {
        match receiver.recv().await {
            Ok(u) if u.seq <= sent => {}
            Ok(u) => return Some((u.seq, update(&u))),
            Err(RecvError::Lagged(_)) => return Some(snapshot(book)),
            Err(RecvError::Closed) => return None,
        }
    }
}

fn snapshot(book: &Book) -> (u64, Event) {
    let (seq, json) = book.snapshot_json();
    (
        seq,
        Event::default()
            .event("snapshot")
            .id(seq.to_string())
            .data(json),
    )
}

fn update(u: &Update) -> Event {
    Event::default()
        .event("update")
        .id(u.seq.to_string())
        .data(&*u.json)
}
