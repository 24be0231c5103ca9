//! Google's native `models/{model}:generateContent`: JSON text via `responseMimeType`, images via
//! `responseModalities: ["TEXT","IMAGE"]` (`inlineData`), reference pictures as `inline_data`
//! parts before the prompt, a book's seed as `generationConfig.seed`. Safety blocks become
//! `Rejected`.

use super::capabilities::{Capability, ReferenceVia, wire};
use super::http::send_json;
use super::openai::{check_image, decode_b64};
use super::{Endpoint, Error, ImageMeta, ImageModel, ImageOptions, ImageRequest};
use super::{TextModel, TextRequest, Usage, json_repair};
use async_trait::async_trait;
use serde_json::{Value, json};

/// Finish reasons that mean the model refused on policy grounds.
const BLOCKED: &[&str] = &[
    "SAFETY",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "RECITATION",
];

/// A Gemini model used for text.
pub struct GeminiText {
    pub(crate) client: reqwest::Client,
    pub(crate) endpoint: Endpoint,
}

/// A Gemini model used for images.
pub struct GeminiImage {
    pub(crate) client: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    /// The model's row of the capability table, with the config's overrides.
    pub(crate) capability: Capability,
}

async fn call(client: &reqwest::Client, endpoint: &Endpoint, body: &Value) -> Result<Value, Error> {
    let url = format!(
        "{}/models/{}:generateContent",
        endpoint.base_url.trim_end_matches('/'),
        endpoint.model
    );
    let mut request = client.post(url).json(body);
    // The key goes in a header, never in the URL, so transport errors cannot print it.
    if let Some(key) = &endpoint.api_key {
        request = request.header("x-goog-api-key", key.expose());
    }
    send_json(&name(endpoint), endpoint.api_key.as_ref(), request).await
}

fn name(endpoint: &Endpoint) -> String {
    format!("gemini {}", endpoint.model)
}

fn bad(provider: &str, message: impl Into<String>) -> Error {
    Error::BadResponse {
        provider: provider.to_string(),
        message: message.into(),
    }
}

/// The parts of the first candidate, after checking for safety blocks.
fn parts<'a>(provider: &str, answer: &'a Value) -> Result<&'a Vec<Value>, Error> {
    let rejected = |reason: String| Error::Rejected {
        provider: provider.to_string(),
        reason,
    };
    if let Some(reason) = answer
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
    {
        return Err(rejected(format!("prompt blocked ({reason})")));
    }
    let candidate = answer
        .pointer("/candidates/0")
        .ok_or_else(|| bad(provider, "no `candidates` in the answer"))?;
    let finish = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .unwrap_or("");
    let parts = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array);
    match parts {
        Some(p) if !BLOCKED.contains(&finish) => Ok(p),
        _ if BLOCKED.contains(&finish) => Err(rejected(format!("answer blocked ({finish})"))),
        _ => Err(bad(
            provider,
            format!("the answer has no content (finishReason {finish:?})"),
        )),
    }
}

fn usage_of(answer: &Value) -> Usage {
    let n = |p: &str| answer.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        prompt_tokens: n("/usageMetadata/promptTokenCount"),
        completion_tokens: n("/usageMetadata/candidatesTokenCount"),
        images: 0,
    }
}

#[async_trait]
impl TextModel for GeminiText {
    fn name(&self) -> String {
        name(&self.endpoint)
    }

    async fn complete_json(&self, request: &TextRequest) -> Result<(Value, Usage), Error> {
        let provider = self.name();
        let body = json!({
            "systemInstruction": {"parts": [{"text": request.system}]},
            "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
            "generationConfig": {"responseMimeType": "application/json"},
        });
        let answer = call(&self.client, &self.endpoint, &body).await?;
        let text: String = parts(&provider, &answer)?
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect();
        let mut value = json_repair::parse(&text)
            .map_err(|e| bad(&provider, format!("the model's JSON is beyond repair: {e}")))?;
        let finish = answer.pointer("/candidates/0/finishReason");
        super::mark_truncated(
            &mut value,
            finish.and_then(Value::as_str) == Some("MAX_TOKENS"),
        );
        Ok((value, usage_of(&answer)))
    }
}

#[async_trait]
impl ImageModel for GeminiImage {
    fn name(&self) -> String {
        name(&self.endpoint)
    }

    /// The model's maximum when it takes `inline_data` pictures (see `capabilities`).
    fn max_references(&self) -> usize {
        match self.capability.via {
            ReferenceVia::GeminiInline => self.capability.max(),
            _ => 0,
        }
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let provider = self.name();
        let references = wire::capped(&request.references, self.max_references());
        let mut body = json!({
            "contents": [{"role": "user", "parts": wire::gemini_parts(&request.prompt, references)}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
        });
        if let Some(seed) = options.seed.filter(|_| self.capability.seed) {
            body["generationConfig"]["seed"] = json!(seed);
        }
        let answer = call(&self.client, &self.endpoint, &body).await?;
        let data = parts(&provider, &answer)?
            .iter()
            .find_map(|p| {
                p.get("inlineData")
                    .or_else(|| p.get("inline_data"))
                    .and_then(|d| d.get("data"))
                    .and_then(Value::as_str)
            })
            .ok_or_else(|| bad(&provider, "the answer holds no image (`inlineData`)"))?;
        let bytes = check_image(&provider, decode_b64(&provider, data)?)?;
        let meta = ImageMeta {
            model: self.endpoint.model.clone(),
            ..ImageMeta::default()
        };
        Ok((bytes, meta))
    }
}
