//! A fake OpenAI-compatible server for tests and benchmarks: answers chat completions with
//! entity or scene JSON drawn from the text it receives (real sentences as quotes), and image
//! generations with a small PNG, after a configurable latency. Every request is logged so tests
//! and the benchmark can count calls, duplicates and peak concurrency. Binds 127.0.0.1 only.

use base64::Engine;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub chat_latency: Duration,
    /// Added to `chat_latency` per 1,000 bytes of the answer's content, as a real model takes
    /// longer the more it writes (a pass-1 request reading several chapters answers at length).
    pub chat_latency_per_kb: Duration,
    pub image_latency: Duration,
    /// Up to this much extra latency, drawn per request.
    pub jitter: Duration,
    /// Share of requests answered 429 with `Retry-After: 1` (0.0..1.0).
    pub rate_limit_share: f64,
    /// Share of requests answered 500.
    pub error_share: f64,
    /// Answer images as `url` (served by the fake itself) instead of `b64_json`.
    pub image_urls: bool,
    /// Append one JSON line per request here.
    pub log_path: Option<std::path::PathBuf>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            chat_latency: Duration::ZERO,
            chat_latency_per_kb: Duration::ZERO,
            image_latency: Duration::ZERO,
            jitter: Duration::ZERO,
            rate_limit_share: 0.0,
            error_share: 0.0,
            image_urls: false,
            log_path: None,
        }
    }
}

/// One request as logged.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    /// "entities", "scenes", "style", "cards", "image" or "image_download".
    pub kind: String,
    /// Milliseconds since the Unix epoch when the request arrived.
    pub start_ms: u128,
    /// When the answer was sent (arrival + latency).
    pub end_ms: u128,
    /// What was asked for: for images "chapter/scene" from the prompt; for text a short hash.
    pub key: String,
    pub status: u16,
    /// The chapter a text request is about, read from the prompt ("chapter 7 ("); for a pass 1
    /// request reading several chapters, the first of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapter: Option<u32>,
    /// Every chapter a pass 1 request reads together ("=== Chapter N: …" headings); empty for
    /// a request about one chapter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pack: Vec<u32>,
    /// Bytes of a chat answer's content: what the model had to write.
    #[serde(default)]
    pub answer_bytes: usize,
}

impl LogEntry {
    /// The chapters the request is about.
    pub fn chapters(&self) -> Vec<u32> {
        if self.pack.is_empty() {
            self.chapter.into_iter().collect()
        } else {
            self.pack.clone()
        }
    }
}

/// Misbehaviours a test can switch on with `start_with`; all off by default.
#[derive(Debug, Clone, Default)]
pub struct Quirks {
    /// Scene answers start with a scene whose quote is not in the text (`INVENTED_QUOTE`), then
    /// a near-miss of a real sentence (one word dropped), then the usual scenes.
    pub invent_quote: bool,
    /// Chat answers are wrapped in a Markdown code fence with a line of prose before it.
    pub fence_json: bool,
    /// Scene answers are cut off in the middle of their last quote (no closing brackets,
    /// no closing fence), as when a model hits its output limit.
    pub truncate_scenes: bool,
    /// Every request is refused with 401 and an error message that echoes the key it was sent.
    pub unauthorized: bool,
    /// `/images/edits` answers 400 "this model does not support image edits" (logged as
    /// kind `image_refused`), as a server or model without reference input would.
    pub refuse_edits: bool,
}

/// The quote `Quirks::invent_quote` makes up: in no book.
pub const INVENTED_QUOTE: &str =
    "A silver dragon circled the chimneys three times before it vanished into the violet fog.";

/// One request's text as received (system and user messages joined; for images the prompt).
#[derive(Debug, Clone)]
pub struct Captured {
    pub kind: String,
    pub chapter: Option<u32>,
    pub start_ms: u128,
    pub text: String,
}

/// A running fake and its log.
pub struct FakeServer {
    pub server: MockServer,
    pub log: Arc<Mutex<Vec<LogEntry>>>,
    /// Every request's text, in arrival order.
    pub captured: Arc<Mutex<Vec<Captured>>>,
    /// Every image request (drawn or refused), in arrival order.
    pub image_calls: Arc<Mutex<Vec<ImageCall>>>,
}

impl FakeServer {
    /// Base URL to pass as `--base-url`, ending in `/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    pub fn entries(&self) -> Vec<LogEntry> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.entries().iter().filter(|e| e.kind == kind).count()
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.captured.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn image_calls(&self) -> Vec<ImageCall> {
        self.image_calls
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }
}

/// One image request as received: where it went, what it asked and which pictures came with it.
#[derive(Debug, Clone)]
pub struct ImageCall {
    /// "generations", "edits", "chat" (chat completions with `modalities`) or "gemini".
    pub endpoint: String,
    pub model: String,
    pub prompt: String,
    /// The reference pictures, in the order they were attached.
    pub images: Vec<Attached>,
    /// Multipart text fields of an edit (size, quality, input_fidelity, …).
    pub fields: std::collections::BTreeMap<String, String>,
    /// The seed, where the request carried one (`seed`, Gemini's `generationConfig.seed`).
    pub seed: Option<u64>,
    pub status: u16,
}

/// A picture attached to an image request.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    /// The multipart field ("image[]"); "image_url" or "inline_data" for JSON requests.
    pub field: String,
    /// The multipart file name (imaginize puts the order and the label there); empty in JSON.
    pub file_name: String,
    pub content_type: String,
    pub len: usize,
    /// `bytes_hash` of the picture.
    pub hash: String,
}

/// A stable short hash of a picture's bytes, to compare what was sent with what was meant.
pub fn bytes_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Starts the fake on `127.0.0.1:port` (0 = any free port).
pub async fn start(port: u16, config: FakeConfig) -> std::io::Result<FakeServer> {
    start_with(port, config, Quirks::default()).await
}

/// `start` with misbehaviours switched on.
pub async fn start_with(
    port: u16,
    config: FakeConfig,
    quirks: Quirks,
) -> std::io::Result<FakeServer> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let server = MockServer::builder().listener(listener).start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let captured = Arc::new(Mutex::new(Vec::new()));
    let image_calls = Arc::new(Mutex::new(Vec::new()));
    let responder = Responder {
        config: Arc::new(config),
        quirks: Arc::new(quirks),
        log: log.clone(),
        captured: captured.clone(),
        image_calls: image_calls.clone(),
        base: server.uri(),
    };
    Mock::given(method("POST"))
        .and(path_regex(r"/chat/completions$"))
        .respond_with(responder.clone())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/images/(generations|edits)$"))
        .respond_with(responder.clone())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/models/[^/]+:generateContent$"))
        .respond_with(responder.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/files/"))
        .respond_with(responder)
        .mount(&server)
        .await;
    Ok(FakeServer {
        server,
        log,
        captured,
        image_calls,
    })
}

#[derive(Clone)]
struct Responder {
    config: Arc<FakeConfig>,
    quirks: Arc<Quirks>,
    log: Arc<Mutex<Vec<LogEntry>>>,
    captured: Arc<Mutex<Vec<Captured>>>,
    image_calls: Arc<Mutex<Vec<ImageCall>>>,
    base: String,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let mut received = String::new();
        // A chat answer is built once: its length sets the latency when answers take longer
        // the longer they are.
        let mut chat_answer = String::new();
        let mut answer_bytes = 0;
        let mut image_call = image_call_of(&path, request, &body);
        let (kind, key, latency) = if let Some(call) = &image_call {
            received.clone_from(&call.prompt);
            let kind = if call.endpoint == "edits" && self.quirks.refuse_edits {
                "image_refused"
            } else {
                "image"
            };
            (kind, scene_key(&call.prompt), self.config.image_latency)
        } else if path.ends_with("/chat/completions") || path.ends_with(":generateContent") {
            let text = if path.ends_with(":generateContent") {
                gemini_text(&body)
            } else {
                user_text(&body)
            };
            received.clone_from(&text);
            let kind = if text.contains("\"cards\"") {
                "cards"
            } else if text.contains("\"eraSetting\"") {
                "style"
            } else if text.contains("\"scenes\"") {
                "scenes"
            } else {
                "entities"
            };
            chat_answer = self.chat_content(kind, &text);
            answer_bytes = chat_answer.len();
            let latency = self.config.chat_latency + self.writing_time(&chat_answer);
            (kind, short_hash(&text), latency)
        } else {
            ("image_download", path.clone(), Duration::ZERO)
        };
        let latency = latency + self.jitter();
        let pack = pack_of(&received);
        let chapter = ["entities", "scenes"]
            .contains(&kind)
            .then(|| pack.first().copied().or_else(|| chapter_of(&received)))
            .flatten();
        let roll = fastrand::f64();
        let (status, template) = if self.quirks.unauthorized {
            (401, unauthorized(request))
        } else if roll < self.config.rate_limit_share {
            (
                429,
                ResponseTemplate::new(429).insert_header("retry-after", "1"),
            )
        } else if roll < self.config.rate_limit_share + self.config.error_share {
            (
                500,
                ResponseTemplate::new(500).set_body_string("{\"error\":{\"message\":\"boom\"}}"),
            )
        } else if kind == "image_refused" {
            (400, refused_edit())
        } else {
            let wire = wire_of(&path);
            (
                200,
                self.answer((kind, wire), &body, &key, (&received, chat_answer)),
            )
        };
        if let Some(mut call) = image_call.take() {
            call.status = status;
            if let Ok(mut calls) = self.image_calls.lock() {
                calls.push(call);
            }
        }
        self.record(
            kind,
            &key,
            latency,
            status,
            (chapter, pack, answer_bytes),
            received,
        );
        template.set_delay(latency)
    }
}

impl Responder {
    fn jitter(&self) -> Duration {
        let max = self.config.jitter.as_millis() as u64;
        if max == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(fastrand::u64(0..=max))
        }
    }

    /// The chat answer's content for a request's text.
    fn chat_content(&self, kind: &str, text: &str) -> String {
        let content = match kind {
            "scenes" => {
                let mut scenes = scenes_json(text);
                if self.quirks.invent_quote {
                    scenes = with_invented(scenes, text);
                }
                scenes.to_string()
            }
            "style" => style_json().to_string(),
            "cards" => cards_json(text).to_string(),
            _ => entities_json(text).to_string(),
        };
        self.misshape(kind, content)
    }

    /// `chat_latency_per_kb` × the answer's size.
    fn writing_time(&self, content: &str) -> Duration {
        self.config.chat_latency_per_kb * content.len() as u32 / 1000
    }

    /// The response: `text` is what the request asked (read once in `respond`), `content` the
    /// chat answer to it (empty for other requests), in the shape of the API it came through.
    fn answer(
        &self,
        (kind, wire): (&str, Wire),
        body: &serde_json::Value,
        key: &str,
        (text, content): (&str, String),
    ) -> ResponseTemplate {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match (kind, wire) {
            ("image", Wire::Chat) => {
                let url = format!("data:image/png;base64,{}", b64(&tiny_png(key)));
                ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "id": "fake", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": "",
                        "images": [{"type": "image_url", "image_url": {"url": url}}]}}]
                }))
            }
            ("image", Wire::Gemini) => gemini_answer(
                serde_json::json!({"inlineData": {"mimeType": "image/png", "data": b64(&tiny_png(key))}}),
                text,
            ),
            ("image", _) => {
                let png = tiny_png(key);
                let data = if self.config.image_urls {
                    serde_json::json!([{"url": format!("{}/files/{}.png", self.base, key.replace('/', "_"))}])
                } else {
                    serde_json::json!([{"b64_json": b64(&png)}])
                };
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"created": 0, "data": data}))
            }
            ("entities" | "scenes" | "style" | "cards", Wire::Gemini) => {
                gemini_answer(serde_json::json!({"text": content}), text)
            }
            ("entities" | "scenes" | "style" | "cards", _) => ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({
                    "id": "fake", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": text.len() / 4, "completion_tokens": 200,
                              "total_tokens": text.len() / 4 + 200}
                })),
            _ => ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(tiny_png(key)),
        }
    }

    /// Applies `fence_json` / `truncate_scenes` to a chat answer.
    fn misshape(&self, kind: &str, content: String) -> String {
        let truncate = self.quirks.truncate_scenes && kind == "scenes";
        let content = if truncate {
            truncated(&content)
        } else {
            content
        };
        match (self.quirks.fence_json, truncate) {
            (true, true) => format!("Here are the scenes:\n```json\n{content}"),
            (true, false) => format!("Here is the JSON you asked for:\n```json\n{content}\n```\n"),
            (false, _) => content,
        }
    }

    fn record(
        &self,
        kind: &str,
        key: &str,
        latency: Duration,
        status: u16,
        (chapter, pack, answer_bytes): (Option<u32>, Vec<u32>, usize),
        text: String,
    ) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let entry = LogEntry {
            kind: kind.to_string(),
            start_ms: now,
            end_ms: now + latency.as_millis(),
            key: key.to_string(),
            status,
            chapter,
            pack,
            answer_bytes,
        };
        if let Ok(mut captured) = self.captured.lock() {
            captured.push(Captured {
                kind: kind.to_string(),
                chapter,
                start_ms: now,
                text,
            });
        }
        if let Some(path) = &self.config.log_path
            && let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        {
            let line = serde_json::to_string(&entry).unwrap_or_default();
            let _ = file.write_all(format!("{line}\n").as_bytes());
        }
        if let Ok(mut log) = self.log.lock() {
            log.push(entry);
        }
    }
}

/// Which API a request came through, for the shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wire {
    Chat,
    Gemini,
    Images,
}

fn wire_of(path: &str) -> Wire {
    if path.ends_with(":generateContent") {
        Wire::Gemini
    } else if path.ends_with("/chat/completions") {
        Wire::Chat
    } else {
        Wire::Images
    }
}

/// A Gemini answer with one part.
fn gemini_answer(part: serde_json::Value, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": text.len() / 4, "candidatesTokenCount": 200}
    }))
}

/// What OpenAI answers when a model takes no pictures on the edit endpoint.
fn refused_edit() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": {
        "message": "This model does not support image edits.",
        "type": "invalid_request_error", "param": "model", "code": "unsupported_model"}}))
}

/// The image request `request` is, if it is one: the images API (generations, or edits as
/// multipart), chat completions asking for `modalities: ["image", …]`, or Gemini asking for
/// `responseModalities: [… "IMAGE"]`.
fn image_call_of(path: &str, request: &Request, body: &serde_json::Value) -> Option<ImageCall> {
    let wants = |list: &serde_json::Value, what: &str| {
        list.as_array().is_some_and(|l| {
            l.iter()
                .any(|m| m.as_str().is_some_and(|m| m.eq_ignore_ascii_case(what)))
        })
    };
    let mut call = ImageCall {
        endpoint: String::new(),
        model: body["model"].as_str().unwrap_or_default().to_string(),
        prompt: String::new(),
        images: Vec::new(),
        fields: Default::default(),
        seed: body["seed"].as_u64(),
        status: 0,
    };
    if path.ends_with("/images/generations") {
        call.endpoint = "generations".into();
        call.prompt = body["prompt"].as_str().unwrap_or_default().to_string();
    } else if path.ends_with("/images/edits") {
        call.endpoint = "edits".into();
        let content_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        for part in multipart_parts(content_type, &request.body) {
            match part.file_name {
                Some(file_name) => call.images.push(Attached {
                    field: part.name,
                    file_name,
                    content_type: part.content_type,
                    len: part.data.len(),
                    hash: bytes_hash(&part.data),
                }),
                None => {
                    let value = String::from_utf8_lossy(&part.data).to_string();
                    call.fields.insert(part.name, value);
                }
            }
        }
        call.prompt = call.fields.get("prompt").cloned().unwrap_or_default();
        call.model = call.fields.get("model").cloned().unwrap_or_default();
        call.seed = call.fields.get("seed").and_then(|s| s.parse().ok());
    } else if path.ends_with("/chat/completions") && wants(&body["modalities"], "image") {
        call.endpoint = "chat".into();
        chat_parts(body, &mut call);
    } else if path.ends_with(":generateContent")
        && wants(&body["generationConfig"]["responseModalities"], "image")
    {
        call.endpoint = "gemini".into();
        call.model = path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(":generateContent")
            .to_string();
        call.seed = body["generationConfig"]["seed"].as_u64();
        gemini_parts(body, &mut call);
    } else {
        return None;
    }
    Some(call)
}

/// The prompt and `image_url` data URLs of a chat image request.
fn chat_parts(body: &serde_json::Value, call: &mut ImageCall) {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let mut texts = Vec::new();
    for content in messages.iter().map(|m| &m["content"]) {
        if let Some(text) = content.as_str() {
            texts.push(text.to_string());
        }
        for part in content.as_array().into_iter().flatten() {
            if let Some(text) = part["text"].as_str() {
                texts.push(text.to_string());
            }
            if let Some(url) = part["image_url"]["url"].as_str() {
                let (head, data) = url.split_once(";base64,").unwrap_or(("", ""));
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap_or_default();
                call.images.push(Attached {
                    field: "image_url".into(),
                    file_name: String::new(),
                    content_type: head.trim_start_matches("data:").to_string(),
                    len: bytes.len(),
                    hash: bytes_hash(&bytes),
                });
            }
        }
    }
    call.prompt = texts.join("\n\n");
}

/// The prompt and `inline_data` pictures of a Gemini image request (either spelling).
fn gemini_parts(body: &serde_json::Value, call: &mut ImageCall) {
    let mut texts = Vec::new();
    for part in body
        .pointer("/contents/0/parts")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(text) = part["text"].as_str() {
            texts.push(text.to_string());
        }
        let inline = part.get("inline_data").or_else(|| part.get("inlineData"));
        if let Some(inline) = inline {
            let mime = inline.get("mime_type").or_else(|| inline.get("mimeType"));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(inline["data"].as_str().unwrap_or_default())
                .unwrap_or_default();
            call.images.push(Attached {
                field: "inline_data".into(),
                file_name: String::new(),
                content_type: mime
                    .and_then(|m| m.as_str())
                    .unwrap_or_default()
                    .to_string(),
                len: bytes.len(),
                hash: bytes_hash(&bytes),
            });
        }
    }
    call.prompt = texts.join("\n\n");
}

/// The text of a Gemini text request: system instruction and user parts.
fn gemini_text(body: &serde_json::Value) -> String {
    let texts = |parts: Option<&serde_json::Value>| -> Vec<String> {
        parts
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .filter_map(|p| p["text"].as_str().map(str::to_string))
            .collect()
    };
    let mut all = texts(body.pointer("/systemInstruction/parts"));
    all.extend(texts(body.pointer("/contents/0/parts")));
    all.join("\n\n")
}

/// One part of a multipart/form-data body.
struct FormPart {
    name: String,
    file_name: Option<String>,
    content_type: String,
    data: Vec<u8>,
}

/// Splits a multipart/form-data body on its boundary (RFC 7578), enough for what reqwest sends.
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<FormPart> {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return Vec::new();
    };
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let mut parts = Vec::new();
    for chunk in split_bytes(body, delimiter.as_bytes()).into_iter().skip(1) {
        if chunk.starts_with(b"--") {
            break;
        }
        let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        let Some(at) = find(chunk, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&chunk[..at]).to_string();
        let data = &chunk[at + 4..];
        let data = data.strip_suffix(b"\r\n").unwrap_or(data);
        let param = |key: &str| {
            let marker = format!("{key}=\"");
            let start = head.find(&marker)? + marker.len();
            let end = head[start..].find('"')? + start;
            Some(head[start..end].to_string())
        };
        let content_type = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-type")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        parts.push(FormPart {
            name: param("name").unwrap_or_default(),
            file_name: param("filename"),
            content_type,
            data: data.to_vec(),
        });
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    while let Some(at) = find(body, delimiter) {
        pieces.push(&body[..at]);
        body = &body[at + delimiter.len()..];
    }
    pieces.push(body);
    pieces
}

/// 401 whose message echoes the bearer key, as some OpenAI-compatible servers do.
fn unauthorized(request: &Request) -> ResponseTemplate {
    let key = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_string();
    ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": {
        "message": format!("Incorrect API key provided: {key}. You can find your API key at https://example.invalid/keys."),
        "type": "invalid_request_error", "code": "invalid_api_key"}}))
}

/// The chapter number of a pass 1 or pass 2 prompt ("… chapter 7 (\"…").
fn chapter_of(text: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    lower.match_indices("chapter ").find_map(|(at, marker)| {
        let rest = &lower[at + marker.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after = &rest[digits.len()..];
        (!digits.is_empty() && after.starts_with(" (")).then(|| digits.parse().ok())?
    })
}

/// The chapters of a request reading several ("=== Chapter N: …" headings).
fn pack_of(text: &str) -> Vec<u32> {
    text.match_indices("=== Chapter ")
        .filter_map(|(at, marker)| {
            let rest = &text[at + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// Puts an invented scene and a near-miss (a real sentence with one word dropped) first.
fn with_invented(scenes: serde_json::Value, text: &str) -> serde_json::Value {
    let mut list = scenes["scenes"].as_array().cloned().unwrap_or_default();
    let mut extra = vec![serde_json::json!({"quote": INVENTED_QUOTE,
        "description": "A dragon over the house", "mood": "eerie", "lighting": "fog",
        "elements": []})];
    if let Some(real) = prose_sentences(text).into_iter().nth(1) {
        let words: Vec<&str> = real.split_whitespace().collect();
        let mut near: Vec<&str> = words.clone();
        near.remove(words.len() / 2);
        extra.push(serde_json::json!({"quote": near.join(" "),
            "description": format!("Depict: {real}"), "mood": "calm", "lighting": "soft",
            "elements": []}));
    }
    extra.append(&mut list);
    serde_json::json!({ "scenes": extra })
}

/// The answer cut in the middle of its last quote, as when a model hits its output limit.
fn truncated(content: &str) -> String {
    let marker = "\"quote\":\"";
    match content.rfind(marker) {
        Some(at) => {
            let value_start = at + marker.len();
            let rest = &content[value_start..];
            let value_len = rest.find('"').unwrap_or(rest.len());
            let keep: String = rest.chars().take(value_len * 2 / 3).collect();
            format!("{}{keep}", &content[..value_start])
        }
        None => content[..content.len() / 2].to_string(),
    }
}

fn user_text(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        })
        .unwrap_or_default()
}

/// Prose sentences of the message: paragraphs that look like book text, not instructions.
fn prose_sentences(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|p| p.len() > 60 && !p.contains('{') && !p.trim_start().starts_with('-'))
        .flat_map(|p| {
            p.split_inclusive(['.', '!', '?'])
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|s| s.split_whitespace().count() >= 6 && !s.contains('\n'))
        .collect()
}

/// Up to eight capitalised words per chapter (a request reading several chapters marks each
/// with "=== Chapter N: …"), each described in a few words taken from the sentence it is from.
/// Pass 1's contract has no quotes: the program picks them from the book.
fn entities_json(text: &str) -> serde_json::Value {
    let mut seen: Vec<(String, String)> = Vec::new();
    for section in text.split("=== Chapter ") {
        let before = seen.len();
        for sentence in &prose_sentences(section) {
            for word in sentence.split_whitespace().skip(1) {
                let name: String = word.chars().filter(|c| c.is_alphabetic()).collect();
                let capitalised =
                    name.chars().next().is_some_and(char::is_uppercase) && name.len() > 2;
                if capitalised && !seen.iter().any(|(n, _)| *n == name) && seen.len() < before + 8 {
                    seen.push((name, sentence.clone()));
                }
            }
        }
    }
    let entities: Vec<_> = seen
        .into_iter()
        .map(|(name, sentence)| {
            let words: Vec<&str> = sentence.split_whitespace().take(8).collect();
            serde_json::json!({"name": name, "type": "character", "aliases": [],
            "description": format!("{name}: {}", words.join(" "))})
        })
        .collect();
    serde_json::json!({ "entities": entities })
}

/// The style guide the fake proposes: `FAKE_STYLE` as its art style.
pub const FAKE_STYLE: &str = "fake copperplate engraving";

fn style_json() -> serde_json::Value {
    serde_json::json!({"style": {"artStyle": FAKE_STYLE, "medium": "ink", "palette": "sepia",
        "eraSetting": "the fake era", "framing": "wide"}})
}

/// A card for each element the request lists ("- Name (kind…): …"), every field naming it, so
/// a test finds each card in the prompts verbatim: `fake_card_field(name, field)`.
fn cards_json(text: &str) -> serde_json::Value {
    let cards: Vec<_> = text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("- ")?;
            let (name, kind) = rest.split_once(" (")?;
            Some(if kind.starts_with("place") {
                serde_json::json!({"name": name, "landscape": fake_card_field(name, "landscape"),
                    "materials": "stone", "light": "grey"})
            } else {
                serde_json::json!({"name": name, "age": fake_card_field(name, "age"),
                    "hair": fake_card_field(name, "hair"), "eyes": "grey",
                    "clothing": fake_card_field(name, "clothing")})
            })
        })
        .collect();
    serde_json::json!({ "cards": cards })
}

/// The value the fake gives `field` of `name`'s card.
pub fn fake_card_field(name: &str, field: &str) -> String {
    format!("{field} of {name}")
}

fn scenes_json(text: &str) -> serde_json::Value {
    let sentences = prose_sentences(text);
    let step = (sentences.len() / 3).max(1);
    let scenes: Vec<_> = sentences
        .iter()
        .step_by(step)
        .take(3)
        .map(|quote| {
            serde_json::json!({"quote": quote, "description": format!("Depict: {quote}"),
            "mood": "calm", "lighting": "soft daylight", "elements": []})
        })
        .collect();
    serde_json::json!({ "scenes": scenes })
}

/// "chapter/scene" from an image prompt ("…, Chapter 7, scene 2."), else a hash.
fn scene_key(prompt: &str) -> String {
    let lower = prompt.to_lowercase();
    let number_after = |marker: &str| -> Option<String> {
        let start = lower.find(marker)? + marker.len();
        let digits: String = lower[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then_some(digits)
    };
    match (number_after("chapter "), number_after("scene ")) {
        (Some(chapter), Some(scene)) => format!("{chapter}/{scene}"),
        _ => short_hash(prompt),
    }
}

fn short_hash(text: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// A small valid PNG whose colour depends on `key`.
fn tiny_png(key: &str) -> Vec<u8> {
    let hash = short_hash(key);
    let byte = |i: usize| u8::from_str_radix(&hash[i..i + 2], 16).unwrap_or(128);
    let mut pixmap = match tiny_skia::Pixmap::new(64, 64) {
        Some(p) => p,
        None => return Vec::new(),
    };
    pixmap.fill(tiny_skia::Color::from_rgba8(byte(0), byte(2), byte(4), 255));
    pixmap.encode_png().unwrap_or_default()
}
