//! Acceptance tests for the network providers against wiremock servers on 127.0.0.1: success
//! paths, error classification, the retry layer and JSON repair. Nothing leaves the machine.

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
    assert!(matches!(
        build_with_policy(&s, fast_policy(0)),
        Err(Error::Config(_))
    ));
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
