//! What happens in a run, as values: the progress bars, the logs, the run report and the
//! dashboard all read these (docs/ARCHITECTURE.md §9). A leaf: it names only the store's
//! `Usage`, so any module may use it without depending on the pipeline.

use serde::Serialize;

/// What happened, as the bars, the logs and any watcher (`Context::subscribe`) see it. Serialised
/// as `{"kind": "image_done", "chapter": 3, …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Event {
    Pass1 {
        done: usize,
        total: usize,
    },
    Pass2Started {
        total: usize,
    },
    ChapterAnalyzed {
        chapter: u32,
        scenes: usize,
        done: usize,
        total: usize,
    },
    ChapterFailed {
        chapter: u32,
        error: String,
    },
    ImagesPlanned {
        total: usize,
    },
    ImageDone {
        chapter: u32,
        scene: u32,
        adopted: bool,
    },
    ImageRejected {
        chapter: u32,
        scene: u32,
        reason: String,
    },
    ChapterIllustrated {
        chapter: u32,
    },
    Note(String),
    /// A model request left (retries included until `RequestEnded`): the run report's spans.
    RequestStarted {
        id: u64,
        kind: RequestKind,
        /// The chapter it is about (a pass 1 pack's first chapter).
        chapter: u32,
        scene: Option<u32>,
    },
    RequestEnded {
        id: u64,
        ok: bool,
        error: Option<String>,
        usage: crate::store::Usage,
    },
}

/// What a model request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Pass 1: the cast.
    Pass1,
    /// Pass 2: the scenes of a chapter.
    Pass2,
    /// One scene's image.
    Image,
}

/// An event as a watcher receives it: numbered in the order they happened in this run, with the
/// milliseconds since the run started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stamped {
    pub seq: u64,
    pub at_ms: u64,
    pub event: Event,
}
