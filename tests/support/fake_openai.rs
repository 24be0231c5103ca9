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
    /// "entities", "scenes", "image" or "image_download".
    pub kind: String,
    /// Milliseconds since the Unix epoch when the request arrived.
    pub start_ms: u128,
    /// When the answer was sent (arrival + latency).
    pub end_ms: u128,
    /// What was asked for: for images "chapter/scene" from the prompt; for text a short hash.
    pub key: String,
    pub status: u16,
}

/// A running fake and its log.
pub struct FakeServer {
    pub server: MockServer,
    pub log: Arc<Mutex<Vec<LogEntry>>>,
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
}

/// Starts the fake on `127.0.0.1:port` (0 = any free port).
pub async fn start(port: u16, config: FakeConfig) -> std::io::Result<FakeServer> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let server = MockServer::builder().listener(listener).start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let responder = Responder {
        config: Arc::new(config),
        log: log.clone(),
        base: server.uri(),
    };
    Mock::given(method("POST"))
        .and(path_regex(r"/chat/completions$"))
        .respond_with(responder.clone())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/images/generations$"))
        .respond_with(responder.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/files/"))
        .respond_with(responder)
        .mount(&server)
        .await;
    Ok(FakeServer { server, log })
}

#[derive(Clone)]
struct Responder {
    config: Arc<FakeConfig>,
    log: Arc<Mutex<Vec<LogEntry>>>,
    base: String,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let (kind, key, latency) = if path.ends_with("/chat/completions") {
            let text = user_text(&body);
            let kind = if text.contains("\"scenes\"") {
                "scenes"
            } else {
                "entities"
            };
            (kind, short_hash(&text), self.config.chat_latency)
        } else if path.ends_with("/images/generations") {
            let prompt = body["prompt"].as_str().unwrap_or_default().to_string();
            ("image", scene_key(&prompt), self.config.image_latency)
        } else {
            ("image_download", path.clone(), Duration::ZERO)
        };
        let latency = latency + self.jitter();
        let roll = fastrand::f64();
        let (status, template) = if roll < self.config.rate_limit_share {
            (
                429,
                ResponseTemplate::new(429).insert_header("retry-after", "1"),
            )
        } else if roll < self.config.rate_limit_share + self.config.error_share {
            (
                500,
                ResponseTemplate::new(500).set_body_string("{\"error\":{\"message\":\"boom\"}}"),
            )
        } else {
            (200, self.answer(kind, &body, &key))
        };
        self.record(kind, &key, latency, status);
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

    fn answer(&self, kind: &str, body: &serde_json::Value, key: &str) -> ResponseTemplate {
        match kind {
            "entities" | "scenes" => {
                let text = user_text(body);
                let content = if kind == "scenes" {
                    scenes_json(&text)
                } else {
                    entities_json(&text)
                };
                ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "id": "fake", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content.to_string()}}],
                    "usage": {"prompt_tokens": text.len() / 4, "completion_tokens": 200,
                              "total_tokens": text.len() / 4 + 200}
                }))
            }
            "image" => {
                let png = tiny_png(key);
                let data = if self.config.image_urls {
                    serde_json::json!([{"url": format!("{}/files/{}.png", self.base, key.replace('/', "_"))}])
                } else {
                    serde_json::json!([{"b64_json": base64::engine::general_purpose::STANDARD.encode(png)}])
                };
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"created": 0, "data": data}))
            }
            _ => ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(tiny_png(key)),
        }
    }

    fn record(&self, kind: &str, key: &str, latency: Duration, status: u16) {
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
        };
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

fn entities_json(text: &str) -> serde_json::Value {
    let sentences = prose_sentences(text);
    let mut seen: Vec<(String, String)> = Vec::new();
    for sentence in &sentences {
        for word in sentence.split_whitespace().skip(1) {
            let name: String = word.chars().filter(|c| c.is_alphabetic()).collect();
            let capitalised = name.chars().next().is_some_and(char::is_uppercase) && name.len() > 2;
            if capitalised && !seen.iter().any(|(n, _)| *n == name) && seen.len() < 8 {
                seen.push((name, sentence.clone()));
            }
        }
    }
    let entities: Vec<_> = seen
        .into_iter()
        .map(|(name, quote)| {
            serde_json::json!({"name": name, "type": "character", "aliases": [],
            "description": format!("{name}, as the chapter shows them"), "quote": quote})
        })
        .collect();
    serde_json::json!({ "entities": entities })
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
