//! The `TextModel` / `ImageModel` traits and their implementations: `builtin` (offline),
//! `openai` (any OpenAI-compatible server) and `gemini`. Owns error classes, retries, rate limits,
//! JSON repair and usage accounting; must not touch output files.

mod build;
pub mod capabilities;
mod error;
pub mod estimate;
mod gemini;
mod http;
pub mod json_repair;
pub mod limits;
mod openai;
pub mod prices;
mod retry;
mod settings;
mod types;

pub mod builtin;
pub use build::{Models, build, build_with_policy};
pub use capabilities::{Capability, ReferenceVia, book_seed};
pub use retry::RetryPolicy;

pub use error::Error;

/// Added (as `true`) to an answer's JSON object when the model stopped at its output limit: the
/// repaired JSON is whatever came before the cut. Callers that can ask a smaller question instead
/// (pass 1 reading several chapters) treat it as a failure.
pub const TRUNCATED_KEY: &str = "_truncated";

/// Marks `value` (an answer's JSON object) as cut off at the output limit when `truncated`.
pub(crate) fn mark_truncated(value: &mut serde_json::Value, truncated: bool) {
    if truncated && let Some(object) = value.as_object_mut() {
        object.insert(TRUNCATED_KEY.to_string(), serde_json::Value::Bool(true));
    }
}

/// Whether the answer was marked by [`mark_truncated`].
pub fn is_truncated(value: &serde_json::Value) -> bool {
    value
        .get(TRUNCATED_KEY)
        .and_then(serde_json::Value::as_bool)
        == Some(true)
}
pub use settings::{Endpoint, ProviderKind, Settings};
pub use types::{
    CardSubject, ElementBrief, ElementKind, ImageFormat, ImageMeta, ImageOptions, ImageRequest,
    ReferenceImage, SceneSpec, TextRequest, TextTask, Usage,
};

use async_trait::async_trait;

/// A model that answers a prompt with JSON (entities or scenes, see docs/ARCHITECTURE.md §8).
#[async_trait]
pub trait TextModel: Send + Sync {
    /// The model this one wraps (retries, timing, a shared budget), when it is a wrapper: every
    /// question below but the call itself is then answered by it, so a wrapper written before a
    /// question was added still answers it right.
    fn wrapped(&self) -> Option<&dyn TextModel> {
        None
    }

    /// Short name for messages ("builtin", "openai gpt-4o-mini").
    fn name(&self) -> String {
        self.wrapped().map(|m| m.name()).unwrap_or_default()
    }

    /// Whether pass 1 should send several short chapters in one request (up to `chunkTokens`):
    /// fewer, fuller requests for a remote model, where each call costs a round trip and a
    /// system prompt. A local analyzer reads chapter by chapter.
    fn reads_many_chapters(&self) -> bool {
        self.wrapped().is_none_or(|m| m.reads_many_chapters())
    }

    /// How many elements one appearance-card request covers: a remote model answers a short
    /// batch well; a local analyzer reads the book once for all of them.
    fn cards_per_request(&self) -> usize {
        self.wrapped()
            .map_or(CARDS_PER_REQUEST, |m| m.cards_per_request())
    }

    /// The process's one semaphore of this model's calls in flight (`--jobs`), when the model
    /// has a cap: the pipeline takes its request slots from it (`limits::with_slot`).
    fn slots(&self) -> Option<std::sync::Arc<tokio::sync::Semaphore>> {
        self.wrapped().and_then(|m| m.slots())
    }

    /// Runs one request and returns the JSON object the model produced (already repaired and
    /// parsed) with the tokens it used.
    async fn complete_json(
        &self,
        request: &TextRequest,
    ) -> Result<(serde_json::Value, Usage), Error>;
}

/// Elements per appearance-card request for a remote model (`TextModel::cards_per_request`).
pub const CARDS_PER_REQUEST: usize = 8;

/// The longest image prompt assumed for a model whose limit is not known (DALL·E 3's).
pub const DEFAULT_IMAGE_PROMPT_CHARS: usize = 4000;

/// A model that draws one picture for a scene.
#[async_trait]
pub trait ImageModel: Send + Sync {
    /// The model this one wraps, when it is a wrapper: every question below but the call itself
    /// is then answered by it (see `TextModel::wrapped`).
    fn wrapped(&self) -> Option<&dyn ImageModel> {
        None
    }

    fn name(&self) -> String {
        self.wrapped().map(|m| m.name()).unwrap_or_default()
    }

    /// The longest prompt the model accepts, in characters: a longer one is refused with an
    /// error that would fail every scene, so prompts are fitted to it.
    fn max_prompt_chars(&self) -> usize {
        self.wrapped()
            .map_or(DEFAULT_IMAGE_PROMPT_CHARS, |m| m.max_prompt_chars())
    }

    /// The process's one semaphore of this model's calls in flight (`--image-jobs`), when the
    /// model has a cap: the illustrators take their image slots from it.
    fn slots(&self) -> Option<std::sync::Arc<tokio::sync::Semaphore>> {
        self.wrapped().and_then(|m| m.slots())
    }

    /// How many reference pictures the model accepts with one request (0: none, so prompts
    /// carry the appearance cards only).
    fn max_references(&self) -> usize {
        self.wrapped().map_or(0, |m| m.max_references())
    }

    /// Generates one image; the bytes are the encoded file (PNG, JPEG or WebP).
    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error>;
}
