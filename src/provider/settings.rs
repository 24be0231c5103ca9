//! What the configuration hands the provider module: which provider, where, with which keys and
//! limits. Built by `config`; the provider module never reads config files or the environment.

use crate::secret::Secret;

/// The provider families we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Offline and deterministic; needs no key.
    Builtin,
    /// Any OpenAI-compatible server (OpenAI, OpenRouter, Ollama, LM Studio, vLLM, llama.cpp).
    OpenAi,
    /// Google's native `generateContent`.
    Gemini,
}

/// One endpoint: base URL, key and model.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// e.g. `https://api.openai.com/v1`; no trailing slash.
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub model: String,
}

/// Everything needed to build the text and image models.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub kind: ProviderKind,
    pub text: Endpoint,
    /// May point somewhere else than `text`, with its own key (`imageEndpoint` in config).
    pub image: Endpoint,
    /// Text calls in flight at once (`--jobs`).
    pub jobs: usize,
    /// Image calls in flight at once (`--image-jobs`).
    pub image_jobs: usize,
    /// Optional requests-per-minute caps.
    pub rpm: Option<u32>,
    pub image_rpm: Option<u32>,
    /// Retries after the first attempt for transient errors and rate limits.
    pub max_retries: u32,
    /// Give up retrying one call after this many seconds in total.
    pub max_retry_secs: u64,
    /// Timeout of one HTTP request.
    pub request_timeout_secs: u64,
    /// `imageReferences` from config: changes to the image model's row of the capability
    /// table (`provider::capabilities`). Default: the table as it is.
    pub image_capability: super::capabilities::Override,
}
