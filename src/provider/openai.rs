//! Any OpenAI-compatible server: chat completions with JSON output for text, the images API
//! (`b64_json` or `url`) or, for OpenRouter and chat-image models, chat completions with
//! `modalities: ["image","text"]` returning a data URL. Reference pictures go to
//! `/images/edits` (GPT image models) or into the chat message as `image_url` parts, as the
//! capability table says (docs/consistency.md). Responses are read leniently.

use super::capabilities::{Capability, ReferenceVia, wire};
use super::http::{Answer, classify, scrub, send_bytes, send_json, send_raw};
use super::{Endpoint, Error, ImageFormat, ImageMeta, ImageModel, ImageOptions, ImageRequest};
use super::{ReferenceImage, TextModel, TextRequest, Usage, json_repair};
use async_trait::async_trait;
use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};

/// Chat completions with `response_format: json_object`.
pub struct OpenAiText {
    pub(crate) client: reqwest::Client,
    pub(crate) endpoint: Endpoint,
}

/// Images through `/images/generations`, `/images/edits` when the request carries reference
/// pictures and the model takes them, or, for chat-image models, `/chat/completions`.
pub struct OpenAiImage {
    client: reqwest::Client,
    endpoint: Endpoint,
    /// The model's row of the capability table, with the config's overrides.
    capability: Capability,
    /// Set when the edit endpoint refused pictures: later scenes draw without them at once.
    edits_refused: AtomicBool,
}

fn provider_name(endpoint: &Endpoint) -> String {
    if is_openrouter(endpoint) {
        format!("openrouter {}", endpoint.model)
    } else {
        format!("openai {}", endpoint.model)
    }
}

fn is_openrouter(endpoint: &Endpoint) -> bool {
    endpoint.base_url.contains("openrouter.ai")
}

/// Models that draw through chat completions rather than the images API.
pub(crate) fn uses_chat_images(endpoint: &Endpoint) -> bool {
    is_openrouter(endpoint) || endpoint.model.contains("flash-image")
}

fn post(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    path: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    let request = client
        .post(format!(
            "{}/{path}",
            endpoint.base_url.trim_end_matches('/')
        ))
        .json(body);
    match &endpoint.api_key {
        Some(key) => request.bearer_auth(key.expose()),
        None => request,
    }
}

fn bad(provider: &str, message: impl Into<String>) -> Error {
    Error::BadResponse {
        provider: provider.to_string(),
        message: message.into(),
    }
}

/// A `content_filter` finish or an explicit refusal is a rejection, not a bad response.
fn check_refusal(provider: &str, choice: &Value) -> Result<(), Error> {
    if let Some(refusal) = choice.pointer("/message/refusal").and_then(Value::as_str) {
        return Err(Error::Rejected {
            provider: provider.to_string(),
            reason: refusal.to_string(),
        });
    }
    if choice.get("finish_reason").and_then(Value::as_str) == Some("content_filter") {
        return Err(Error::Rejected {
            provider: provider.to_string(),
            reason: "the answer was stopped by the content filter".to_string(),
        });
    }
    Ok(())
}

fn usage_of(body: &Value) -> Usage {
    let n = |p: &str| body.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        prompt_tokens: n("/usage/prompt_tokens").max(n("/usage/input_tokens")),
        completion_tokens: n("/usage/completion_tokens").max(n("/usage/output_tokens")),
        images: 0,
    }
}

#[async_trait]
impl TextModel for OpenAiText {
    fn name(&self) -> String {
        provider_name(&self.endpoint)
    }

    async fn complete_json(&self, request: &TextRequest) -> Result<(Value, Usage), Error> {
        let provider = self.name();
        let body = json!({
            "model": self.endpoint.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "response_format": {"type": "json_object"},
        });
        let request = post(&self.client, &self.endpoint, "chat/completions", &body);
        let answer = send_json(&provider, self.endpoint.api_key.as_ref(), request).await?;
        let choice = answer
            .pointer("/choices/0")
            .ok_or_else(|| bad(&provider, "no `choices` in the answer"))?;
        check_refusal(&provider, choice)?;
        let content = choice
            .pointer("/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&provider, "the answer has no message content"))?;
        let mut value = json_repair::parse(content)
            .map_err(|e| bad(&provider, format!("the model's JSON is beyond repair: {e}")))?;
        let cut = choice.get("finish_reason").and_then(Value::as_str) == Some("length");
        super::mark_truncated(&mut value, cut);
        Ok((value, usage_of(&answer)))
    }
}

#[async_trait]
impl ImageModel for OpenAiImage {
    fn name(&self) -> String {
        provider_name(&self.endpoint)
    }

    /// OpenAI's documented prompt limits: DALL·E 2 1,000 characters, DALL·E 3 4,000, the GPT
    /// image models 32,000; other servers' models get the cautious default.
    fn max_prompt_chars(&self) -> usize {
        let model = self.endpoint.model.to_ascii_lowercase();
        if model.contains("dall-e-2") {
            1000
        } else if model.starts_with("gpt-image") {
            32_000
        } else {
            super::DEFAULT_IMAGE_PROMPT_CHARS
        }
    }

    /// The capability table's maximum, 0 once the edit endpoint has refused pictures (so
    /// later prompts stop labelling pictures that would not be sent).
    fn max_references(&self) -> usize {
        match self.capability.via {
            ReferenceVia::OpenrouterChat => self.capability.max(),
            ReferenceVia::OpenaiEdits
                if !self.uses_chat() && !self.edits_refused.load(Ordering::SeqCst) =>
            {
                self.capability.max()
            }
            _ => 0,
        }
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let references = wire::capped(&request.references, self.max_references());
        if self.uses_chat() {
            return self.generate_via_chat(request, references, options).await;
        }
        if references.is_empty() {
            return self.generate_via_images_api(request, options).await;
        }
        match self
            .generate_via_edits(request, references, options)
            .await?
        {
            Edited::Drawn(image) => Ok(image),
            Edited::Refused(reason) => {
                // Remembered for the run: later scenes go straight to generations.
                let first = !self.edits_refused.swap(true, Ordering::SeqCst);
                let (bytes, mut meta) = self.generate_via_images_api(request, options).await?;
                if first {
                    meta.note = Some(format!(
                        "{} refused reference pictures on /images/edits ({reason}); drawing from the prompt alone for the rest of this run",
                        self.name()
                    ));
                }
                Ok((bytes, meta))
            }
        }
    }
}

/// What the edit endpoint did with a request carrying pictures.
enum Edited {
    Drawn((Vec<u8>, ImageMeta)),
    /// The model or server does not take pictures there (the answer's status and excerpt).
    Refused(String),
}

impl OpenAiImage {
    pub(crate) fn new(client: reqwest::Client, endpoint: Endpoint, capability: Capability) -> Self {
        OpenAiImage {
            client,
            endpoint,
            capability,
            edits_refused: AtomicBool::new(false),
        }
    }

    fn uses_chat(&self) -> bool {
        uses_chat_images(&self.endpoint) || self.capability.via == ReferenceVia::OpenrouterChat
    }

    /// The seed to send, when the book has one and the model's API takes it.
    fn seed(&self, options: &ImageOptions) -> Option<u64> {
        options.seed.filter(|_| self.capability.seed)
    }

    async fn generate_via_images_api(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let provider = self.name();
        let key = self.endpoint.api_key.as_ref();
        let mut body = json!({
            "model": self.endpoint.model,
            "prompt": request.prompt,
            "size": options.size,
            "n": 1,
        });
        if let Some(quality) = &options.quality {
            body["quality"] = json!(quality);
        }
        if let Some(seed) = self.seed(options) {
            body["seed"] = json!(seed);
        }
        let http_request = post(&self.client, &self.endpoint, "images/generations", &body);
        let answer = send_json(&provider, key, http_request).await?;
        self.read_images_answer(&provider, &answer).await
    }

    /// `POST /images/edits`, multipart: the prompt and one `image[]` part per reference, in
    /// the order the prompt labels them.
    async fn generate_via_edits(
        &self,
        request: &ImageRequest,
        references: &[ReferenceImage],
        options: &ImageOptions,
    ) -> Result<Edited, Error> {
        let provider = self.name();
        let key = self.endpoint.api_key.as_ref();
        let form = self.edit_form(request, references, options)?;
        let url = format!(
            "{}/images/edits",
            self.endpoint.base_url.trim_end_matches('/')
        );
        let mut http_request = self.client.post(url).multipart(form);
        if let Some(key) = key {
            http_request = http_request.bearer_auth(key.expose());
        }
        let answer = send_raw(&provider, key, http_request).await?;
        let body = String::from_utf8_lossy(&answer.body).to_string();
        if let Some(reason) = edit_refusal(&provider, &answer, &body) {
            return Ok(Edited::Refused(scrub(&reason, key)));
        }
        let answer = answer.into_json(&provider, key)?;
        Ok(Edited::Drawn(
            self.read_images_answer(&provider, &answer).await?,
        ))
    }

    fn edit_form(
        &self,
        request: &ImageRequest,
        references: &[ReferenceImage],
        options: &ImageOptions,
    ) -> Result<Form, Error> {
        let mut form = Form::new()
            .text("model", self.endpoint.model.clone())
            .text("prompt", request.prompt.clone())
            .text("size", options.size.clone())
            .text("n", "1");
        if let Some(quality) = &options.quality {
            form = form.text("quality", quality.clone());
        }
        if self.capability.input_fidelity {
            form = form.text("input_fidelity", "high");
        }
        if let Some(seed) = self.seed(options) {
            form = form.text("seed", seed.to_string());
        }
        for (index, reference) in references.iter().enumerate() {
            let part = Part::bytes(reference.bytes.to_vec())
                .file_name(wire::file_name(index + 1, reference))
                .mime_str(wire::mime(reference.format))
                .map_err(|e| Error::Config(format!("cannot attach a reference picture: {e}")))?;
            form = form.part("image[]", part);
        }
        Ok(form)
    }

    /// The picture of an images API answer (`b64_json` or a `url` to download).
    async fn read_images_answer(
        &self,
        provider: &str,
        answer: &Value,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let key = self.endpoint.api_key.as_ref();
        let item = answer
            .pointer("/data/0")
            .ok_or_else(|| bad(provider, "no `data` in the image answer"))?;
        let bytes = if let Some(b64) = item.get("b64_json").and_then(Value::as_str) {
            decode_b64(provider, b64)?
        } else if let Some(url) = item.get("url").and_then(Value::as_str) {
            // The download URL is pre-signed; sending our key to another host would leak it.
            send_bytes(provider, key, self.client.get(url)).await?
        } else {
            return Err(bad(
                provider,
                "the image answer has neither `b64_json` nor `url`",
            ));
        };
        let meta = ImageMeta {
            model: self.endpoint.model.clone(),
            revised_prompt: item
                .get("revised_prompt")
                .and_then(Value::as_str)
                .map(str::to_string),
            note: None,
        };
        Ok((check_image(provider, bytes)?, meta))
    }

    async fn generate_via_chat(
        &self,
        request: &ImageRequest,
        references: &[ReferenceImage],
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let provider = self.name();
        let mut body = json!({
            "model": self.endpoint.model,
            "messages": [{"role": "user", "content": wire::chat_content(&request.prompt, references)}],
            "modalities": ["image", "text"],
        });
        if let Some(seed) = self.seed(options) {
            body["seed"] = json!(seed);
        }
        let http_request = post(&self.client, &self.endpoint, "chat/completions", &body);
        let answer = send_json(&provider, self.endpoint.api_key.as_ref(), http_request).await?;
        let choice = answer
            .pointer("/choices/0")
            .ok_or_else(|| bad(&provider, "no `choices` in the answer"))?;
        check_refusal(&provider, choice)?;
        // OpenRouter sends `image_url`; some gateways camel-case it.
        let url = choice
            .pointer("/message/images/0/image_url/url")
            .or_else(|| choice.pointer("/message/images/0/imageUrl/url"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(
                    &provider,
                    "the answer holds no image (`message.images` is empty)",
                )
            })?;
        let bytes = decode_data_url(&provider, url)?;
        let meta = ImageMeta {
            model: self.endpoint.model.clone(),
            ..ImageMeta::default()
        };
        Ok((check_image(&provider, bytes)?, meta))
    }
}

/// Why the edit endpoint's answer means "this model or server takes no pictures here", if it
/// does: no such endpoint (404, 405, 501), or a 400/415/422 that is about the pictures or the
/// endpoint rather than the prompt. A content-policy refusal is not one: it stays `Rejected`.
fn edit_refusal(provider: &str, answer: &Answer, body: &str) -> Option<String> {
    let status = answer.status.as_u16();
    let error = classify(provider, None, answer.status, &answer.headers, body);
    if !matches!(error, Error::Config(_)) {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let about_pictures = [
        "edit",
        "image[]",
        "image input",
        "input image",
        "not supported",
        "unsupported",
        "does not support",
        "unknown parameter",
        "unrecognized",
        "invalid_image",
    ]
    .iter()
    .any(|sign| lower.contains(sign));
    let refused =
        matches!(status, 404 | 405 | 501) || (matches!(status, 400 | 415 | 422) && about_pictures);
    refused.then(|| {
        let excerpt: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
        let excerpt: String = excerpt.chars().take(160).collect();
        format!("HTTP {status}: {excerpt}")
    })
}

/// `data:image/png;base64,....` → bytes.
pub(crate) fn decode_data_url(provider: &str, url: &str) -> Result<Vec<u8>, Error> {
    let (_, b64) = url
        .split_once(";base64,")
        .ok_or_else(|| bad(provider, "the image is not a base64 data URL"))?;
    decode_b64(provider, b64)
}

pub(crate) fn decode_b64(provider: &str, b64: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| bad(provider, format!("the image is not valid base64: {e}")))
}

/// Only PNG, JPEG and WebP are accepted; anything else (an HTML error page) is a bad response.
pub(crate) fn check_image(provider: &str, bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
    match ImageFormat::detect(&bytes) {
        Some(_) => Ok(bytes),
        None => Err(bad(provider, "the image bytes are not PNG, JPEG or WebP")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn refusal(status: u16, body: &str) -> Option<String> {
        let answer = Answer {
            status: StatusCode::from_u16(status).unwrap_or_default(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        edit_refusal("openai gpt-image-1", &answer, body)
    }

    #[test]
    fn an_edit_refusal_is_about_the_endpoint_or_the_pictures() {
        assert!(refusal(404, "Not Found").is_some());
        assert!(refusal(405, "").is_some());
        let unsupported =
            r#"{"error":{"message":"This model does not support image edits.","param":"model"}}"#;
        assert!(refusal(400, unsupported).is_some_and(|r| r.starts_with("HTTP 400")));
        let unknown = r#"{"error":{"message":"Unknown parameter: 'input_fidelity'."}}"#;
        assert!(refusal(400, unknown).is_some());
    }

    #[test]
    fn other_failures_are_not_edit_refusals() {
        let policy = r#"{"error":{"code":"moderation_blocked","message":"rejected by the safety system (image edit)"}}"#;
        assert_eq!(refusal(400, policy), None, "a rejection stays a rejection");
        assert_eq!(
            refusal(400, r#"{"error":{"message":"Invalid size '7x7'."}}"#),
            None
        );
        assert_eq!(refusal(401, "edit"), None);
        assert_eq!(refusal(429, "edit"), None);
        assert_eq!(refusal(500, "edit not supported"), None);
    }
}
