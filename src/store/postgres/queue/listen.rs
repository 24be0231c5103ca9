//! Wake-ups: a connection of its own that `LISTEN`s on the queue's channel.

use super::{CHANNEL, Queue};
use crate::store::Error;
use crate::store::postgres::db::sql;
use std::collections::BTreeSet;

/// What one or more notifications were about: the books they named, or every book (a
/// notification without a book, as workers before schema 7 sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Woken {
    pub every_book: bool,
    pub books: BTreeSet<String>,
}

impl Woken {
    fn add(&mut self, payload: String) {
        if payload.is_empty() {
            self.every_book = true;
        } else {
            self.books.insert(payload);
        }
    }

    /// Whether the wake-up concerns `book`.
    pub fn concerns(&self, book: &str) -> bool {
        self.every_book || self.books.contains(book)
    }
}

/// A connection listening on [`CHANNEL`]: `notified` returns when the queue changed. Made with
/// [`Queue::listen`] on the caller's runtime; when the connection drops, `notified` never
/// returns again and `is_closed` says so (the worker's slow poll goes on, and it listens anew).
pub struct Listener {
    _client: tokio_postgres::Client,
    wakes: tokio::sync::mpsc::UnboundedReceiver<String>,
    closed: bool,
}

impl Listener {
    /// Waits for the next notification; several pending are taken together.
    pub async fn notified(&mut self) -> Woken {
        if self.closed {
            return std::future::pending().await;
        }
        match self.wakes.recv().await {
            Some(payload) => {
                let mut woken = Woken::default();
                woken.add(payload);
                while let Ok(payload) = self.wakes.try_recv() {
                    woken.add(payload);
                }
                woken
            }
            None => {
                self.closed = true;
                std::future::pending().await
            }
        }
    }

    /// Whether the listening connection is gone.
    pub fn is_closed(&self) -> bool {
        self.closed || self.wakes.is_closed()
    }
}

impl Queue {
    /// Opens a connection of its own (outside the pool) that listens on [`CHANNEL`]; its I/O
    /// runs on the caller's tokio runtime.
    pub async fn listen(&self) -> Result<Listener, Error> {
        use futures_util::StreamExt;
        let connect = |e: Box<dyn std::error::Error + Send + Sync>| Error::DatabaseConnect {
            url: self.db.url().to_string(),
            source: e,
        };
        let tls = crate::store::postgres::db::tls().map_err(|e| connect(e.into()))?;
        let (client, mut connection) = self
            .config
            .connect(tls)
            .await
            .map_err(|e| connect(e.into()))?;
        let (send, wakes) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(Ok(message)) = messages.next().await {
                if let tokio_postgres::AsyncMessage::Notification(note) = message
                    && send.send(note.payload().to_string()).is_err()
                {
                    break;
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(sql("listen for the queue's changes"))?;
        Ok(Listener {
            _client: client,
            wakes,
            closed: false,
        })
    }
}
