//! The run's event bus, and the models wrapped so every request is an event with its start and
//! end (`RequestStarted` / `RequestEnded`): the run report's timeline is built from them. A
//! request's span covers its retries: it is one request of the pipeline's.

use crate::pipeline::progress::{Event, RequestKind, Stamped};
use crate::provider::{
    Error, ImageMeta, ImageModel, ImageOptions, ImageRequest, TextModel, TextRequest, TextTask,
    Usage,
};
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::broadcast;

/// Events kept for a watcher that falls behind.
const EVENT_BACKLOG: usize = 4096;

/// Numbers, stamps and sends the run's events to every subscriber.
pub struct Bus {
    events: broadcast::Sender<Stamped>,
    /// Numbers the events; taken with the send so watchers see them in order.
    next_event: Mutex<u64>,
    next_request: AtomicU64,
    started: Instant,
}

impl Default for Bus {
    fn default() -> Self {
        Bus {
            events: broadcast::channel(EVENT_BACKLOG).0,
            next_event: Mutex::new(0),
            next_request: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl Bus {
    pub fn subscribe(&self) -> broadcast::Receiver<Stamped> {
        self.events.subscribe()
    }

    /// Sends `event` to the subscribers (none: nothing is done).
    pub fn publish(&self, event: &Event) {
        if self.events.receiver_count() == 0 {
            return;
        }
        let Ok(mut next) = self.next_event.lock() else {
            return;
        };
        let stamped = Stamped {
            seq: *next,
            at_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            event: event.clone(),
        };
        *next += 1;
        let _ = self.events.send(stamped);
    }

    /// Publishes the start of a request and returns its id.
    fn started(&self, kind: RequestKind, chapter: u32, scene: Option<u32>) -> u64 {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        self.publish(&Event::RequestStarted {
            id,
            kind,
            chapter,
            scene,
        });
        id
    }

    fn ended<T>(&self, id: u64, outcome: &Result<T, Error>, usage: Usage) {
        self.publish(&Event::RequestEnded {
            id,
            ok: outcome.is_ok(),
            error: outcome.as_ref().err().map(ToString::to_string),
            usage,
        });
    }
}

/// A text model whose requests are events on `bus`.
pub struct TimedText {
    pub inner: Arc<dyn TextModel>,
    pub bus: Arc<Bus>,
}

#[async_trait]
impl TextModel for TimedText {
    fn wrapped(&self) -> Option<&dyn TextModel> {
        Some(self.inner.as_ref())
    }

    async fn complete_json(
        &self,
        request: &TextRequest,
    ) -> Result<(serde_json::Value, Usage), Error> {
        let kind = match request.task {
            // The style and the appearance cards belong to the cast, made before pass 2.
            TextTask::Entities | TextTask::Style { .. } | TextTask::Cards { .. } => {
                RequestKind::Pass1
            }
            TextTask::Scenes { .. } => RequestKind::Pass2,
        };
        let id = self.bus.started(kind, request.chapter.0, None);
        let answer = self.inner.complete_json(request).await;
        let usage = answer.as_ref().map(|(_, u)| *u).unwrap_or_default();
        self.bus.ended(id, &answer, usage);
        answer
    }
}

/// An image model whose requests are events on `bus`.
pub struct TimedImage {
    pub inner: Arc<dyn ImageModel>,
    pub bus: Arc<Bus>,
}

#[async_trait]
impl ImageModel for TimedImage {
    fn wrapped(&self) -> Option<&dyn ImageModel> {
        Some(self.inner.as_ref())
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let scene = &request.scene;
        let id = self
            .bus
            .started(RequestKind::Image, scene.chapter.0, Some(scene.scene.0));
        let answer = self.inner.generate(request, options).await;
        let usage = Usage {
            images: u64::from(answer.is_ok()),
            ..Usage::default()
        };
        self.bus.ended(id, &answer, usage);
        answer
    }
}
