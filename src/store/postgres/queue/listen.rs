//! Wake-ups: a connection of its own that `LISTEN`s on the queue's channel.

use super::{CHANNEL, CHAPTERS_CHANNEL, Queue};
use crate::store::Error;
use crate::store::postgres::db::sql;

/// A connection listening on [`CHANNEL`] and [`CHAPTERS_CHANNEL`]: `notified` returns when
/// either was notified. Made with [`Queue::listen`] on the caller's runtime; when the
/// connection drops, `notified` never returns again and `is_closed` says so (the worker's slow
/// poll goes on, and it listens anew).
pub struct Listener {
    _client: tokio_postgres::Client,
    wakes: tokio::sync::mpsc::UnboundedReceiver<Wake>,
    /// A wake-up received but not returned yet.
    held: Option<Wake>,
    closed: bool,
}

/// What a notification said changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// The queue: a book queued, ended or helpable, a chapter claimable, a portrait wanted.
    Queue,
    /// Only a chapter of this book illustrated or failed.
    Chapter(String),
}

impl Listener {
    /// Waits for the next notification; several of the queue's pending count as one.
    pub async fn notified(&mut self) -> Wake {
        if self.closed {
            return std::future::pending().await;
        }
        if let Some(wake) = self.held.take() {
            return wake;
        }
        match self.wakes.recv().await {
            Some(Wake::Queue) => {
                // A book's wake-up met while skipping the queue's is kept for the next call.
                while let Ok(next) = self.wakes.try_recv() {
                    if next != Wake::Queue {
                        self.held = Some(next);
                        break;
                    }
                }
                Wake::Queue
            }
            Some(wake) => wake,
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
                if let tokio_postgres::AsyncMessage::Notification(note) = message {
                    let wake = if note.channel() == CHAPTERS_CHANNEL {
                        Wake::Chapter(note.payload().to_string())
                    } else {
                        Wake::Queue
                    };
                    if send.send(wake).is_err() {
                        break;
                    }
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {CHANNEL}; LISTEN {CHAPTERS_CHANNEL}"))
            .await
            .map_err(sql("listen for the queue's changes"))?;
        Ok(Listener {
            _client: client,
            wakes,
            held: None,
            closed: false,
        })
    }
}
