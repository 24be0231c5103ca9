//! The `TextModel` / `ImageModel` traits and their implementations: `builtin` (offline),
//! `openai` (any OpenAI-compatible server) and `gemini`. Owns error classes, retries, rate limits,
//! JSON repair and usage accounting; must not touch output files.

mod build;
mod error;
pub mod estimate;
mod gemini;
mod http;
pub mod json_repair;
mod limits;
mod openai;
pub mod prices;
mod retry;
mod settings;
mod types;

pub mod builtin;
pub use build::{Models, build, build_with_policy};
pub use retry::RetryPolicy;

pub use error::Error;
pub use settings::{Endpoint, ProviderKind, Settings};
pub use types::{
    ElementBrief, ElementKind, ImageFormat, ImageMeta, ImageOptions, ImageRequest, SceneSpec,
    TextRequest, TextTask, Usage,
};

use async_trait::async_trait;

/// A model that answers a prompt with JSON (entities or scenes, see DESIGN.md §6).
#[async_trait]
pub trait TextModel: Send + Sync {
    /// Short name for messages ("builtin", "openai gpt-4o-mini").
    fn name(&self) -> String;

    /// Whether pass 1 should send several short chapters in one request (up to `chunkTokens`):
    /// fewer, fuller requests for a remote model, where each call costs a round trip and a
    /// system prompt. A local analyzer reads chapter by chapter.
    fn reads_many_chapters(&self) -> bool {
        true
    }

    /// Runs one request and returns the JSON object the model produced (already repaired and
    /// parsed) with the tokens it used.
    async fn complete_json(
        &self,
        request: &TextRequest,
    ) -> Result<(serde_json::Value, Usage), Error>;
}

/// A model that draws one picture for a scene.
#[async_trait]
pub trait ImageModel: Send + Sync {
    fn name(&self) -> String;

    /// Generates one image; the bytes are the encoded file (PNG, JPEG or WebP).
    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error>;
}
