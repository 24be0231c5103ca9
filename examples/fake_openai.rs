//! A fake OpenAI-compatible server for benchmarks and manual runs (never a real API):
//!
//! ```sh
//! cargo run --release --example fake_openai -- --port 8765 --chat-latency-ms 200 --image-latency-ms 400
//! imaginize --file samples/pride-and-prejudice.epub --provider openai --base-url http://127.0.0.1:8765/v1 --api-key fake
//! ```

#[path = "../tests/support/fake_openai.rs"]
#[expect(dead_code, reason = "the tests use more of the fake than this binary")]
mod fake_openai;

use clap::Parser;
use std::time::Duration;

/// Serve fake chat completions and image generations on 127.0.0.1.
#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value_t = 8765)]
    port: u16,
    #[arg(long, default_value_t = 200)]
    chat_latency_ms: u64,
    /// Extra milliseconds per 1,000 bytes of a chat answer (a longer answer takes longer).
    #[arg(long, default_value_t = 0)]
    chat_latency_per_kb_ms: u64,
    #[arg(long, default_value_t = 400)]
    image_latency_ms: u64,
    /// Up to this many extra milliseconds per request.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Share of requests answered 429 (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    rate_limit_share: f64,
    /// Share of requests answered 500 (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    error_share: f64,
    /// Answer images with a URL to download instead of base64.
    #[arg(long)]
    image_urls: bool,
    /// Append one JSON line per request to this file.
    #[arg(long)]
    log: Option<std::path::PathBuf>,
    /// Stop after this many seconds (0 = run until killed).
    #[arg(long, default_value_t = 0)]
    stop_after_secs: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = fake_openai::FakeConfig {
        chat_latency: Duration::from_millis(args.chat_latency_ms),
        chat_latency_per_kb: Duration::from_millis(args.chat_latency_per_kb_ms),
        image_latency: Duration::from_millis(args.image_latency_ms),
        jitter: Duration::from_millis(args.jitter_ms),
        rate_limit_share: args.rate_limit_share,
        error_share: args.error_share,
        image_urls: args.image_urls,
        log_path: args.log,
    };
    let server = match fake_openai::start(args.port, config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!(
                "fake_openai: cannot listen on 127.0.0.1:{}: {err}",
                args.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("fake OpenAI server on {}", server.base_url());
    if args.stop_after_secs > 0 {
        tokio::time::sleep(Duration::from_secs(args.stop_after_secs)).await;
    } else {
        let _ = tokio::signal::ctrl_c().await;
    }
    std::process::ExitCode::SUCCESS
}
