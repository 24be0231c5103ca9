//! Acceptance tests for the network providers against wiremock servers on 127.0.0.1: success
//! paths, error classification, the retry layer and JSON repair; reference pictures against the
//! shared fake server, which records what each image request attached. Nothing leaves the
//! machine.

#[path = "support/fake_openai.rs"]
#[expect(dead_code, reason = "these tests use the fake's image records only")]
mod fake_openai;

use base64::Engine;
use imaginize::ids::{ChapterNo, SceneNo};
use imaginize::provider::{
    Endpoint, Error, ImageOptions, ImageRequest, Models, ProviderKind, RetryPolicy, SceneSpec,
    Settings, TextRequest, TextTask, build_with_policy,
};
use imaginize::secret::Secret;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-very-secret-key-0042";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn settings(kind: ProviderKind, base: &str, image_model: &str) -> Settings {
    let endpoint = |model: &str| Endpoint {
        base_url: base.to_string(),
        api_key: Some(Secret::new(KEY)),
        model: model.to_string(),
    };
    Settings {
        kind,
        text: endpoint("gpt-4o-mini"),
        image: endpoint(image_model),
        jobs: 2,
        image_jobs: 2,
        rpm: None,
        image_rpm: None,
        max_retries: 3,
        max_retry_secs: 10,
        request_timeout_secs: 5,
        image_capability: Default::default(),
    }
}

fn fast_policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        max_total: Duration::from_secs(10),
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
    }
}

fn models(s: &Settings, retries: u32) -> Models {
    match build_with_policy(s, fast_policy(retries)) {
        Ok(m) => m,
        Err(e) => panic!("build failed: {e}"),
    }
}

fn text_request() -> TextRequest {
    TextRequest {
        task: TextTask::Entities,
        chapter: ChapterNo(1),
        chapter_title: "Chapter 1".into(),
        text: "It is a truth universally acknowledged.".into(),
        system: "You extract entities as JSON.".into(),
        prompt: "List the entities.".into(),
    }
}

fn image_request() -> ImageRequest {
    ImageRequest {
        prompt: "A ballroom at Netherfield".into(),
        scene: SceneSpec {
            chapter: ChapterNo(1),
            scene: SceneNo(1),
            quote: "q".into(),
            description: "d".into(),
            mood: "m".into(),
            lighting: "l".into(),
            elements: vec![],
        },
        references: vec![],
    }
}

fn chat_answer(content: &str) -> Value {
    json!({
        "id": "x", "object": "chat.completion", "some_new_field": {"a": 1},
        "choices": [{"index": 0, "finish_reason": "stop_sequence_new",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
    })
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

async fn mount(server: &MockServer, status: u16, body: Value, times: Option<u64>) {
    let mock =
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(status).set_body_json(body));
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

#[tokio::test]
async fn openai_text_success_sends_json_mode_and_reads_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_object"}, "model": "gpt-4o-mini"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_answer(r#"{"entities": []}"#)))
        .mount(&server)
        .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        0,
    );
    let (value, usage) = m
        .text
        .complete_json(&text_request())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value, json!({"entities": []}));
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (120, 30));
}

/// An answer stopped at the output limit is repaired and marked, so pass 1 can ask a smaller
/// question instead of keeping half a cast.
#[tokio::test]
async fn openai_answer_cut_at_the_output_limit_is_marked_truncated() {
    let server = MockServer::start().await;
    let mut answer = chat_answer(r#"{"entities": [{"name": "Jane", "type": "character"}, {"na"#);
    answer["choices"][0]["finish_reason"] = json!("length");
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        0,
    );
    let (value, _) = m
        .text
        .complete_json(&text_request())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(imaginize::provider::is_truncated(&value), "{value}");
    assert_eq!(value["entities"][0]["name"], "Jane");
}

#[tokio::test]
async fn openai_images_b64_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(body_partial_json(
            json!({"model": "gpt-image-1", "size": "1024x1024", "n": 1, "quality": "low"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"created": 1, "data": [{"b64_json": b64(PNG), "revised_prompt": "better"}]}),
        ))
        .mount(&server)
        .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "gpt-image-1"),
        0,
    );
    let options = ImageOptions {
        size: "1024x1024".into(),
        quality: Some("low".into()),
        seed: None,
    };
    let (bytes, meta) = m
        .image
        .generate(&image_request(), &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes, PNG);
    assert_eq!(meta.revised_prompt.as_deref(), Some("better"));
}

#[tokio::test]
async fn openai_images_url_is_downloaded() {
    let server = MockServer::start().await;
    let url = format!("{}/files/img.png", server.uri());
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"url": url}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/img.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .mount(&server)
        .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        0,
    );
    let (bytes, _) = m
        .image
        .generate(&image_request(), &ImageOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes, PNG);
}

#[tokio::test]
async fn openrouter_chat_image_data_url() {
    let server = MockServer::start().await;
    let data_url = format!("data:image/png;base64,{}", b64(PNG));
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(body_partial_json(json!({"modalities": ["image", "text"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "",
                "images": [{"type": "image_url", "image_url": {"url": data_url}}]}}]
        })))
        .mount(&server)
        .await;
    let s = settings(
        ProviderKind::OpenAi,
        &server.uri(),
        "google/gemini-2.5-flash-image-preview",
    );
    let (bytes, _) = models(&s, 0)
        .image
        .generate(&image_request(), &ImageOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes, PNG);
}

#[tokio::test]
async fn gemini_text_and_image() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/models/gpt-4o-mini:generateContent"))
        .and(header("x-goog-api-key", KEY))
        .and(body_partial_json(json!({"generationConfig": {"responseMimeType": "application/json"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "{\"scenes\": [1,]}"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 7, "totalTokenCount": 18}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/models/gemini-2.5-flash-image:generateContent"))
        .and(body_partial_json(json!({"generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"parts": [{"text": "here"}, {"inlineData": {"mimeType": "image/png", "data": b64(PNG)}}]}}]
        })))
        .mount(&server)
        .await;
    let m = models(
        &settings(
            ProviderKind::Gemini,
            &server.uri(),
            "gemini-2.5-flash-image",
        ),
        0,
    );
    let (value, usage) = m
        .text
        .complete_json(&text_request())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value, json!({"scenes": [1]}));
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (11, 7));
    let (bytes, _) = m
        .image
        .generate(&image_request(), &ImageOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes, PNG);
}

#[tokio::test]
async fn gemini_safety_block_is_rejected_and_resource_exhausted_is_rate_limited() {
    let server = MockServer::start().await;
    mount(
        &server,
        200,
        json!({"promptFeedback": {"blockReason": "SAFETY"}}),
        Some(1),
    )
    .await;
    mount(
        &server,
        429,
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}),
        None,
    )
    .await;
    let m = models(
        &settings(
            ProviderKind::Gemini,
            &server.uri(),
            "gemini-2.5-flash-image",
        ),
        0,
    );
    let first = m.text.complete_json(&text_request()).await;
    assert!(matches!(first, Err(Error::Rejected { .. })), "{first:?}");
    let second = m.text.complete_json(&text_request()).await;
    assert!(
        matches!(second, Err(Error::RateLimited { .. })),
        "{second:?}"
    );
}

#[tokio::test]
async fn rate_limit_honours_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_string("slow down"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(&server, 200, chat_answer(r#"{"entities": []}"#), None).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        3,
    );
    let t0 = Instant::now();
    let r = m.text.complete_json(&text_request()).await;
    assert!(r.is_ok(), "{r:?}");
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        t0.elapsed()
    );
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let server = MockServer::start().await;
    mount(&server, 500, json!({"error": "boom"}), Some(2)).await;
    mount(&server, 200, chat_answer(r#"{"entities": []}"#), None).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        3,
    );
    let r = m.text.complete_json(&text_request()).await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn unauthorized_stops_after_one_request_without_leaking_the_key() {
    let server = MockServer::start().await;
    let body = json!({"error": {"message": format!("Incorrect API key provided: {KEY}"), "code": "invalid_api_key"}});
    mount(&server, 401, body, None).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        3,
    );
    let err = match m.text.complete_json(&text_request()).await {
        Err(e) => e,
        Ok(_) => panic!("a 401 must fail"),
    };
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(requests(&server).await, 1);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("openai") && shown.contains("key"), "{shown}");
}

#[tokio::test]
async fn content_policy_is_rejected_without_retry() {
    let server = MockServer::start().await;
    let body = json!({"error": {"code": "content_policy_violation", "message": "Your request was rejected by the safety system."}});
    mount(&server, 400, body, None).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        3,
    );
    let r = m
        .image
        .generate(&image_request(), &ImageOptions::default())
        .await;
    assert!(matches!(r, Err(Error::Rejected { .. })), "{r:?}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn malformed_json_is_repaired() {
    let cases = [
        (
            "```json\n{\"entities\": [{\"name\": \"Jane\"}]}\n```",
            json!({"entities": [{"name": "Jane"}]}),
        ),
        (
            "{\"entities\": [{\"name\": \"Jane\",},],}",
            json!({"entities": [{"name": "Jane"}]}),
        ),
        (
            "{\"entities\": [{\"name\": \"Jane\"}, {\"name\": \"Eliz",
            json!({"entities": [{"name": "Jane"}, {"name": "Eliz"}]}),
        ),
    ];
    for (content, expected) in cases {
        let server = MockServer::start().await;
        mount(&server, 200, chat_answer(content), None).await;
        let m = models(
            &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
            0,
        );
        let r = m.text.complete_json(&text_request()).await.map(|(v, _)| v);
        assert_eq!(r.ok(), Some(expected), "{content}");
    }
}

#[tokio::test]
async fn json_beyond_repair_is_bad_response_after_bounded_retries() {
    let server = MockServer::start().await;
    mount(
        &server,
        200,
        chat_answer("Sorry, I can't produce that."),
        None,
    )
    .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        2,
    );
    let r = m.text.complete_json(&text_request()).await;
    assert!(matches!(r, Err(Error::BadResponse { .. })), "{r:?}");
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn request_timeout_is_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(chat_answer("{}"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let mut s = settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3");
    s.request_timeout_secs = 1;
    let r = models(&s, 0).text.complete_json(&text_request()).await;
    assert!(matches!(r, Err(Error::Transient { .. })), "{r:?}");
}

/// A server nobody listens on: `Unreachable` (retried, then it stops the run), with the reason
/// ("Connection refused") and without the key.
#[tokio::test]
async fn a_refused_connection_is_unreachable_and_hides_the_key() {
    // Bind then drop a listener so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").map(|l| l.local_addr().map(|a| a.port()));
    let port = port.ok().and_then(|p| p.ok()).unwrap_or(9);
    let s = settings(
        ProviderKind::OpenAi,
        &format!("http://127.0.0.1:{port}"),
        "dall-e-3",
    );
    let err = match models(&s, 0).text.complete_json(&text_request()).await {
        Err(e) => e,
        Ok(_) => panic!("nothing listens there"),
    };
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.stops_the_run() && err.is_retryable());
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(!format!("{err} {err:?}").contains(KEY));
}

/// OpenAI's documented prompt limits per image model; unknown models get the cautious default.
#[test]
fn image_prompt_limits_follow_the_model() {
    let limit = |model: &str| {
        let s = settings(ProviderKind::OpenAi, "http://127.0.0.1:9", model);
        models(&s, 0).image.max_prompt_chars()
    };
    assert_eq!(limit("dall-e-2"), 1000);
    assert_eq!(limit("dall-e-3"), 4000);
    assert_eq!(limit("gpt-image-1"), 32_000);
    assert_eq!(limit("some-local-model"), 4000);
}

#[test]
fn build_checks_configuration() {
    let mut s = settings(
        ProviderKind::Gemini,
        "http://127.0.0.1:1",
        "gemini-2.5-flash-image",
    );
    s.text.api_key = None;
    // A model is built without a key (an estimate or a dry run makes no call); configuration
    // requires the key for runs that call.
    assert!(build_with_policy(&s, fast_policy(0)).is_ok());
    let s = settings(ProviderKind::OpenAi, "ftp://example", "dall-e-3");
    assert!(matches!(
        build_with_policy(&s, fast_policy(0)),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn jobs_cap_limits_calls_in_flight() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(chat_answer("{}"))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let mut s = settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3");
    s.jobs = 1;
    let m = models(&s, 0);
    let req = text_request();
    let t0 = Instant::now();
    let (a, b) = tokio::join!(m.text.complete_json(&req), m.text.complete_json(&req));
    assert!(a.is_ok() && b.is_ok());
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn rate_limit_reset_header_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("x-ratelimit-reset-requests", "400ms"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount(&server, 200, chat_answer("{}"), None).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "dall-e-3"),
        2,
    );
    let t0 = Instant::now();
    assert!(m.text.complete_json(&text_request()).await.is_ok());
    assert!(
        t0.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(requests(&server).await, 2);
}

// ---- Reference pictures (issue 16 part 4), against the shared fake server ----

use fake_openai::{FakeConfig, FakeServer, ImageCall, Quirks, bytes_hash};
use imaginize::provider::{ImageFormat, ReferenceImage, ReferenceVia};
use std::sync::Arc;

const CAST: [&str; 3] = ["Elizabeth Bennet", "Mr. Darcy", "Jane Bennet"];

/// A picture whose bytes name it, in one of the three formats, so each one's hash differs.
fn portrait(label: &str, format: ImageFormat) -> ReferenceImage {
    let magic: &[u8] = match format {
        ImageFormat::Png => b"\x89PNG\r\n\x1a\n",
        ImageFormat::Jpeg => &[0xFF, 0xD8, 0xFF, 0xE0],
        ImageFormat::Webp => b"RIFF\0\0\0\0WEBPVP8 ",
    };
    let mut bytes = magic.to_vec();
    bytes.extend_from_slice(label.as_bytes());
    ReferenceImage {
        label: label.to_string(),
        bytes: Arc::from(bytes),
        format,
    }
}

fn cast() -> Vec<ReferenceImage> {
    vec![
        portrait(CAST[0], ImageFormat::Png),
        portrait(CAST[1], ImageFormat::Jpeg),
        portrait(CAST[2], ImageFormat::Webp),
    ]
}

fn crowd(n: usize) -> Vec<ReferenceImage> {
    (1..=n)
        .map(|i| portrait(&format!("Guest {i}"), ImageFormat::Png))
        .collect()
}

fn scene_with(references: Vec<ReferenceImage>) -> ImageRequest {
    ImageRequest {
        prompt: "Image 1 is Elizabeth Bennet. Chapter 3, scene 1: the ball.".into(),
        references,
        ..image_request()
    }
}

fn seeded() -> ImageOptions {
    ImageOptions {
        seed: Some(imaginize::provider::book_seed("Pride and Prejudice")),
        ..ImageOptions::default()
    }
}

async fn fake(quirks: Quirks) -> FakeServer {
    match fake_openai::start_with(0, FakeConfig::default(), quirks).await {
        Ok(server) => server,
        Err(e) => panic!("fake server: {e}"),
    }
}

/// Draws `request` with `model` on the fake, as `kind`; returns the image's meta.
async fn draw(
    m: &Models,
    request: &ImageRequest,
    options: &ImageOptions,
) -> imaginize::provider::ImageMeta {
    match m.image.generate(request, options).await {
        Ok((bytes, meta)) => {
            assert_eq!(ImageFormat::detect(&bytes), Some(ImageFormat::Png));
            meta
        }
        Err(e) => panic!("{e}"),
    }
}

fn only_call(server: &FakeServer) -> ImageCall {
    let calls = server.image_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls[0].clone()
}

/// The pictures went in the order given, each with its label and content type, bytes intact.
fn assert_attached(call: &ImageCall, references: &[ReferenceImage]) {
    assert_eq!(call.images.len(), references.len(), "{call:?}");
    for (i, (sent, meant)) in call.images.iter().zip(references).enumerate() {
        assert_eq!(sent.hash, bytes_hash(&meant.bytes), "picture {}", i + 1);
        assert_eq!(sent.len, meant.bytes.len());
        let mime = match meant.format {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Webp => "image/webp",
        };
        assert_eq!(sent.content_type, mime, "picture {}", i + 1);
        if call.endpoint == "edits" {
            assert_eq!(sent.field, "image[]");
            let number = format!("{}-", i + 1);
            assert!(sent.file_name.starts_with(&number), "{}", sent.file_name);
            let slug = meant
                .label
                .to_lowercase()
                .replace(['.', ' '], "-")
                .replace("--", "-");
            assert!(
                sent.file_name.contains(&slug),
                "{} lacks {slug}",
                sent.file_name
            );
        }
    }
}

#[tokio::test]
async fn gpt_image_1_sends_references_to_edits_in_order_with_their_labels() {
    let server = fake(Quirks::default()).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.base_url(), "gpt-image-1"),
        0,
    );
    assert_eq!(m.image.max_references(), 16);
    let request = scene_with(cast());
    let options = ImageOptions {
        quality: Some("high".into()),
        ..seeded()
    };
    let meta = draw(&m, &request, &options).await;
    assert_eq!(meta.note, None);
    let call = only_call(&server);
    assert_eq!(call.endpoint, "edits");
    assert_eq!(
        (call.model.as_str(), call.prompt.as_str()),
        ("gpt-image-1", request.prompt.as_str())
    );
    assert_attached(&call, &request.references);
    assert_eq!(
        call.fields.get("size").map(String::as_str),
        Some("1024x1024")
    );
    assert_eq!(call.fields.get("quality").map(String::as_str), Some("high"));
    assert_eq!(
        call.fields.get("input_fidelity").map(String::as_str),
        Some("high")
    );
    assert_eq!(call.seed, None, "OpenAI's images API takes no seed");
    // The fake's log counts an edit as the scene's image, as the pipeline tests expect.
    let drawn: Vec<_> = server
        .entries()
        .into_iter()
        .filter(|e| e.kind == "image")
        .collect();
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].key, "3/1");
}

#[tokio::test]
async fn gpt_image_1_mini_edits_without_input_fidelity() {
    let server = fake(Quirks::default()).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.base_url(), "gpt-image-1-mini"),
        0,
    );
    draw(&m, &scene_with(cast()), &ImageOptions::default()).await;
    let call = only_call(&server);
    assert_eq!(call.endpoint, "edits");
    assert!(!call.fields.contains_key("input_fidelity"), "{call:?}");
}

#[tokio::test]
async fn gpt_image_1_without_references_uses_generations() {
    let server = fake(Quirks::default()).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.base_url(), "gpt-image-1"),
        0,
    );
    draw(&m, &scene_with(vec![]), &ImageOptions::default()).await;
    let call = only_call(&server);
    assert_eq!(call.endpoint, "generations");
    assert!(call.images.is_empty());
}

#[tokio::test]
async fn dall_e_3_attaches_nothing_and_gets_no_seed() {
    let server = fake(Quirks::default()).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.base_url(), "dall-e-3"),
        0,
    );
    assert_eq!(m.image.max_references(), 0);
    draw(&m, &scene_with(cast()), &seeded()).await;
    let call = only_call(&server);
    assert_eq!(call.endpoint, "generations");
    assert!(call.images.is_empty(), "{call:?}");
    assert_eq!(call.seed, None);
}

#[tokio::test]
async fn at_most_sixteen_references_go_to_edits() {
    let server = fake(Quirks::default()).await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.base_url(), "gpt-image-1"),
        0,
    );
    let request = scene_with(crowd(20));
    draw(&m, &request, &ImageOptions::default()).await;
    let call = only_call(&server);
    assert_attached(&call, &request.references[..16]);
}

/// A model that refuses pictures on the edit endpoint: the first scene falls back to plain
/// generation with a note; the run remembers, so later scenes go straight to generations and
/// the model stops asking for references.
#[tokio::test]
async fn a_refused_edit_falls_back_to_generation_once_per_run() {
    let server = fake(Quirks {
        refuse_edits: true,
        ..Quirks::default()
    })
    .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.base_url(), "gpt-image-1"),
        3,
    );
    let first = draw(&m, &scene_with(cast()), &ImageOptions::default()).await;
    let note = first.note.unwrap_or_default();
    assert!(
        note.contains("refused") && note.contains("HTTP 400"),
        "{note}"
    );
    assert_eq!(
        m.image.max_references(),
        0,
        "later prompts stop labelling pictures"
    );
    for _ in 0..2 {
        let later = draw(&m, &scene_with(cast()), &ImageOptions::default()).await;
        assert_eq!(later.note, None, "the note is given once");
    }
    let endpoints: Vec<(String, u16)> = server
        .image_calls()
        .into_iter()
        .map(|c| (c.endpoint, c.status))
        .collect();
    let expected = [
        ("edits", 400),
        ("generations", 200),
        ("generations", 200),
        ("generations", 200),
    ];
    let expected: Vec<(String, u16)> = expected.iter().map(|(e, s)| (e.to_string(), *s)).collect();
    assert_eq!(endpoints, expected);
}

/// A content-policy refusal on the edit endpoint is the scene's rejection, not a reason to
/// draw without the pictures.
#[tokio::test]
async fn a_content_policy_refusal_on_edits_is_rejected_without_fallback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"code": "moderation_blocked", "message": "Your image edit request was rejected."}}),
        ))
        .mount(&server)
        .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "gpt-image-1"),
        3,
    );
    let r = m
        .image
        .generate(&scene_with(cast()), &ImageOptions::default())
        .await;
    assert!(matches!(r, Err(Error::Rejected { .. })), "{r:?}");
    assert_eq!(
        requests(&server).await,
        1,
        "no generations after a rejection"
    );
    assert_eq!(m.image.max_references(), 16);
}

/// A server without the edit endpoint at all (404) falls back the same way.
#[tokio::test]
async fn a_missing_edit_endpoint_falls_back_to_generations() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(ResponseTemplate::new(404).set_body_string("Not Found"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [{"b64_json": b64(PNG)}]})),
        )
        .mount(&server)
        .await;
    let m = models(
        &settings(ProviderKind::OpenAi, &server.uri(), "gpt-image-1"),
        0,
    );
    let r = m
        .image
        .generate(&scene_with(cast()), &ImageOptions::default())
        .await;
    let note = r
        .map(|(_, meta)| meta.note)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(note.is_some_and(|n| n.contains("HTTP 404")));
}

#[tokio::test]
async fn gemini_sends_inline_data_before_the_text_capped_at_each_models_maximum() {
    let server = fake(Quirks::default()).await;
    for (model, most) in [
        ("gemini-2.5-flash-image", 3),
        ("gemini-3-pro-image-preview", 14),
    ] {
        let m = models(
            &settings(ProviderKind::Gemini, &server.base_url(), model),
            0,
        );
        assert_eq!(m.image.max_references(), most, "{model}");
        let request = scene_with(crowd(16));
        draw(&m, &request, &seeded()).await;
        let calls = server.image_calls();
        let call = calls.last().cloned().unwrap_or_else(|| panic!("no call"));
        assert_eq!(
            (call.endpoint.as_str(), call.model.as_str()),
            ("gemini", model)
        );
        assert_eq!(call.prompt, request.prompt);
        assert_attached(&call, &request.references[..most]);
        assert_eq!(
            call.seed,
            seeded().seed,
            "Gemini takes generationConfig.seed"
        );
    }
    let m = models(
        &settings(
            ProviderKind::Gemini,
            &server.base_url(),
            "gemini-2.5-flash-image",
        ),
        0,
    );
    draw(&m, &scene_with(cast()), &ImageOptions::default()).await;
    let calls = server.image_calls();
    assert_attached(&calls[2], &cast());
    assert_eq!(calls[2].seed, None, "no seed unless the caller gives one");
}

#[tokio::test]
async fn openrouter_sends_image_url_parts_with_modalities_and_the_seed() {
    let server = fake(Quirks::default()).await;
    let m = models(
        &settings(
            ProviderKind::OpenAi,
            &server.base_url(),
            "google/gemini-2.5-flash-image-preview",
        ),
        0,
    );
    assert_eq!(m.image.max_references(), 3);
    let request = scene_with(cast());
    draw(&m, &request, &seeded()).await;
    let call = only_call(&server);
    assert_eq!(call.endpoint, "chat");
    assert_eq!(call.prompt, request.prompt);
    assert_attached(&call, &request.references);
    assert_eq!(call.seed, seeded().seed);
}

#[tokio::test]
async fn image_references_config_overrides_the_table() {
    let server = fake(Quirks::default()).await;
    let mut s = settings(ProviderKind::OpenAi, &server.base_url(), "gpt-image-1");
    s.image_capability.max = Some(0);
    let m = models(&s, 0);
    assert_eq!(m.image.max_references(), 0);
    draw(&m, &scene_with(cast()), &ImageOptions::default()).await;
    assert_eq!(only_call(&server).endpoint, "generations");
    let server = fake(Quirks::default()).await;
    let mut s = settings(ProviderKind::OpenAi, &server.base_url(), "my-local-sd");
    s.image_capability.via = Some(ReferenceVia::OpenaiEdits);
    s.image_capability.max = Some(2);
    let m = models(&s, 0);
    let request = scene_with(cast());
    draw(&m, &request, &ImageOptions::default()).await;
    let call = only_call(&server);
    assert_eq!(call.endpoint, "edits");
    assert_attached(&call, &request.references[..2]);
}
