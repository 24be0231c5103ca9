//! Soak (issue 20): the torture loop. The real release binary runs a book against the in-process
//! fake OpenAI server and is `kill -9`ed at random instants (also right after it starts, and
//! half the time left unreaped, a zombie, while the next run starts); when a run finishes, its
//! outputs are compared with an uninterrupted run's and the book starts over in a fresh folder.
//! Bounded by time; prints kills, rounds, unparseable manifests, rounds whose outputs differ and
//! image requests above scenes + requests in flight at the kills.
//!
//! ```sh
//! cargo bench --bench soak                      # 120 s
//! cargo bench --bench soak -- --secs 400        # longer (≥ 300 kills)
//! ```

#[path = "../tests/support/fake_openai.rs"]
#[expect(
    dead_code,
    reason = "the tests use more of the fake than this benchmark"
)]
mod fake_openai;

use fake_openai::{FakeConfig, FakeServer, LogEntry};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_imaginize");
const CHAPTERS: usize = 4;
/// After its answer, a request counts as in flight for this long: the file is written and
/// recorded after the answer arrives.
const RECORD_GRACE_MS: u128 = 150;

#[derive(Debug, Default)]
struct Figures {
    kills: usize,
    zombies: usize,
    rounds: usize,
    unparseable: usize,
    differing: usize,
    failed_runs: usize,
    image_requests: usize,
    scenes: usize,
    in_flight: usize,
    above: usize,
}

fn main() {
    let secs = flag("--secs").unwrap_or(120);
    let seed = flag("--seed").unwrap_or_else(|| fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let config = FakeConfig {
        chat_latency: Duration::from_millis(40),
        image_latency: Duration::from_millis(120),
        ..FakeConfig::default()
    };
    let fake = rt
        .block_on(fake_openai::start(0, config))
        .expect("fake server");
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(work.path().join("book.txt"), book()).expect("book");
    std::fs::write(
        work.path().join(".imaginize.config"),
        "imageSize: 256x256\npagesPerImage: 0.4\njobs: 2\nimageJobs: 2\n",
    )
    .expect("config");

    let reference_out = work.path().join("reference");
    let started = Instant::now();
    let status = command(work.path(), &fake, &reference_out)
        .status()
        .expect("reference run");
    assert!(status.success(), "the uninterrupted run failed");
    let uninterrupted = started.elapsed();
    let reference = outputs(&reference_out);
    println!("imaginize soak: seed {seed}, {secs} s, uninterrupted run {uninterrupted:?}");

    let mut figures = Figures::default();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let max_delay = (uninterrupted.as_millis() as u64 * 6 / 10).max(50);
    while Instant::now() < deadline {
        let out = work.path().join(format!("round-{}", figures.rounds + 1));
        let mark = fake.entries().len();
        let mut kills_at = Vec::new();
        let mut zombie: Option<Child> = None;
        loop {
            let mut child = command(work.path(), &fake, &out)
                .spawn()
                .expect("spawn imaginize");
            // Right after start a tenth of the time; the previous run's zombie reaped only now.
            let delay = if rng.u8(..10) == 0 {
                0
            } else {
                rng.u64(..=max_delay)
            };
            std::thread::sleep(Duration::from_millis(delay));
            if let Some(mut old) = zombie.take() {
                let _ = old.wait();
            }
            if let Ok(Some(status)) = child.try_wait() {
                if !status.success() {
                    figures.failed_runs += 1;
                    println!("  a run exited with {status} in {}", out.display());
                    continue;
                }
                break;
            }
            let _ = child.kill();
            kills_at.push(now_ms());
            figures.kills += 1;
            if rng.bool() {
                zombie = Some(child);
                figures.zombies += 1;
            } else {
                let _ = child.wait();
            }
            if !manifest_parses(&out) {
                figures.unparseable += 1;
            }
        }
        figures.rounds += 1;
        if outputs(&out) != reference {
            figures.differing += 1;
            println!(
                "  round {} differs from the uninterrupted run",
                figures.rounds
            );
        }
        settle(&fake);
        count_requests(&fake.entries()[mark..], &kills_at, &reference, &mut figures);
        let _ = std::fs::remove_dir_all(&out);
    }
    print(&figures, started.elapsed());
}

fn flag(name: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

fn command(dir: &Path, fake: &FakeServer, out: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .args([
            "--file",
            "book.txt",
            "-q",
            "--provider",
            "openai",
            "--base-url",
        ])
        .arg(fake.base_url())
        .args(["--api-key", "sk-soak", "--model", "gpt-4o-mini"])
        .args(["--image-model", "gpt-image-1", "--output-dir"])
        .arg(out)
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Whether the manifest on disk (if any) parses: a killed writer must never leave half a file.
fn manifest_parses(out: &Path) -> bool {
    match std::fs::read(out.join(".imaginize.manifest.json")) {
        Ok(bytes) => serde_json::from_slice::<imaginize::store::Manifest>(&bytes).is_ok(),
        Err(_) => true,
    }
}

/// Elements.md, Chapters.md and every image (name and bytes) of a finished run.
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for name in ["Elements.md", "Chapters.md"] {
        files.insert(
            name.into(),
            std::fs::read(out.join(name)).unwrap_or_default(),
        );
    }
    for entry in std::fs::read_dir(out.join("images"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.path().is_file() {
            let name = format!("images/{}", entry.file_name().to_string_lossy());
            files.insert(name, std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    files
}

/// Waits until no request has arrived for 200 ms (a killed run's last request may be on its way).
fn settle(fake: &FakeServer) {
    let mut seen = fake.entries().len();
    let mut quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(200) {
        std::thread::sleep(Duration::from_millis(25));
        let now = fake.entries().len();
        if now != seen {
            seen = now;
            quiet = Instant::now();
        }
    }
}

/// Image requests of the round against its scenes plus the requests the kills caught in flight.
fn count_requests(
    entries: &[LogEntry],
    kills_at: &[u128],
    reference: &BTreeMap<String, Vec<u8>>,
    figures: &mut Figures,
) {
    let images: Vec<&LogEntry> = entries.iter().filter(|e| e.kind == "image").collect();
    let scenes = reference
        .keys()
        .filter(|k| k.starts_with("images/"))
        .count();
    // Each request counts once, however many kills came while it was in flight.
    let in_flight = images
        .iter()
        .filter(|e| {
            kills_at
                .iter()
                .any(|kill| e.start_ms <= *kill && e.end_ms + RECORD_GRACE_MS >= *kill)
        })
        .count();
    figures.image_requests += images.len();
    figures.scenes += scenes;
    figures.in_flight += in_flight;
    figures.above += images.len().saturating_sub(scenes + in_flight);
}

fn print(f: &Figures, took: Duration) {
    println!("\n| figure | value |\n|---|---|");
    println!("| time | {:.0} s |", took.as_secs_f64());
    println!(
        "| kills (-9) | {} ({} left as zombies while the next run started) |",
        f.kills, f.zombies
    );
    println!("| rounds (book finished, restarted fresh) | {} |", f.rounds);
    println!("| runs that exited non-zero | {} |", f.failed_runs);
    println!("| unparseable manifests after a kill | {} |", f.unparseable);
    println!(
        "| rounds whose outputs differ from an uninterrupted run | {} |",
        f.differing
    );
    println!(
        "| image requests / scenes / in flight at the kills | {} / {} / {} |",
        f.image_requests, f.scenes, f.in_flight
    );
    println!("| image requests above scenes + in flight | {} |", f.above);
}

/// A small book whose chapters give the fake real sentences to quote.
fn book() -> String {
    let mut text = String::from("The Lantern Coast\n\nby A. Soak\n\n");
    let sights = [
        "a red lantern",
        "the grey harbour",
        "a tall ship",
        "the old lighthouse",
    ];
    for n in 1..=CHAPTERS {
        text.push_str(&format!("\n\nChapter {n}\n\n"));
        for p in 0..3 {
            let sight = sights[(n + p) % sights.len()];
            text.push_str(&format!(
                "Mara walked along the shore toward {sight} while the evening light turned gold. \
                 Tobin followed with a basket of silver fish and a coil of wet rope. The wind \
                 carried salt and smoke from the village chimneys above the cliff.\n\n"
            ));
        }
    }
    text
}
