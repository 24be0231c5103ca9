//! Any OpenAI-compatible server: chat completions with JSON output for text, the images API
//! (`b64_json` or `url`) or, for OpenRouter and chat-image models, chat completions with
//! `modalities: ["image","text"]` returning a data URL. Responses are read leniently.

use super::http::{send_bytes, send_json};
use super::{Endpoint, Error, ImageFormat, ImageMeta, ImageModel, ImageOptions, ImageRequest};
use super::{TextModel, TextRequest, Usage, json_repair};
use async_trait::async_trait;
use base64::Engine;
use serde_json::{Value, json};

/// Chat completions with `response_format: json_object`.
pub struct OpenAiText {
    pub(crate) client: reqwest::Client,
    pub(crate) endpoint: Endpoint,
}

/// Images through `/images/generations` or, for chat-image models, `/chat/completions`.
pub struct OpenAiImage {
    pub(crate) client: reqwest::Client,
    pub(crate) endpoint: Endpoint,
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

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        if uses_chat_images(&self.endpoint) {
            self.generate_via_chat(request).await
        } else {
            self.generate_via_images_api(request, options).await
        }
    }
}

impl OpenAiImage {
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
        let http_request = post(&self.client, &self.endpoint, "images/generations", &body);
        let answer = send_json(&provider, key, http_request).await?;
        let item = answer
            .pointer("/data/0")
            .ok_or_else(|| bad(&provider, "no `data` in the image answer"))?;
        let bytes = if let Some(b64) = item.get("b64_json").and_then(Value::as_str) {
            decode_b64(&provider, b64)?
        } else if let Some(url) = item.get("url").and_then(Value::as_str) {
            // The download URL is pre-signed; sending our key to another host would leak it.
            send_bytes(&provider, key, self.client.get(url)).await?
        } else {
            return Err(bad(
                &provider,
                "the image answer has neither `b64_json` nor `url`",
            ));
        };
        let meta = ImageMeta {
            model: self.endpoint.model.clone(),
            revised_prompt: item
                .get("revised_prompt")
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        Ok((check_image(&provider, bytes)?, meta))
    }

    async fn generate_via_chat(
        &self,
        request: &ImageRequest,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let provider = self.name();
        let body = json!({
            "model": self.endpoint.model,
            "messages": [{"role": "user", "content": request.prompt}],
            "modalities": ["image", "text"],
        });
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
            revised_prompt: None,
        };
        Ok((check_image(&provider, bytes)?, meta))
    }
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
