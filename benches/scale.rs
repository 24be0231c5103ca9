//! Scale-out benchmark (issue 17): the queue's workers as real processes against a throwaway
//! PostgreSQL cluster, file:// artifacts and the in-process fake OpenAI server at fixed
//! latencies. Prints tables; no harness.
//!
//! ```sh
//! cargo bench --bench scale            # release build; about a minute once built
//! cargo test --bench scale             # the same on the debug build (slower workers)
//! cargo bench --bench scale -- 24      # only the tables of books of 24 chapters
//! IMAGINIZE_BENCH_BIN=/path/to/imaginize cargo bench --bench scale   # another build
//! IMAGINIZE_BENCH_RUNS=5 cargo bench --bench scale -- 8   # each row the median of 5 runs
//! ```
//!
//! 1. Throughput: 4 books with 1, 2, 4, 8 workers (`--books 1`): books of 8 chapters without
//!    and with a shared image budget, and books of 24 chapters without; books per hour and
//!    efficiency against the ideal given the limits, the longest of: the one-worker time over
//!    the workers (linear scaling, which needs helpers beyond one worker per book); the
//!    slots' floor (a book's start, the one-worker run's time to its first image request, then
//!    the images in whole rounds of the workers' `--image-jobs` slots, each round one image
//!    latency); the shared budget's floor.
//!    "vs linear" leaves the slots' floor out. `IMAGINIZE_BENCH_TIMELINE=8` prints the image
//!    and text requests in flight per 100 ms of the runs of 8 workers,
//!    `IMAGINIZE_BENCH_REQUESTS=8` every request with its times.
//! 2. Book takes at 8 workers: p50/p99 of `Queue::take` + `end` on 400 queued books.
//! 3. Queries per chapter: committed transactions of one worker's run over its chapters.

#[path = "../tests/support/fake_openai.rs"]
#[expect(
    dead_code,
    reason = "the tests use more of the fake than this benchmark"
)]
mod fake_openai;

#[path = "../tests/support/pg_store.rs"]
mod store;

use imaginize::store::postgres::queue::{End, Queue, Submission};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_imaginize");

/// The binary measured: this build's, or `IMAGINIZE_BENCH_BIN` (an earlier build kept aside, to
/// compare two commits with the same measurement code).
fn bin() -> String {
    std::env::var("IMAGINIZE_BENCH_BIN").unwrap_or_else(|_| BIN.to_string())
}
const BOOKS: usize = 4;
const CHAT_MS: u64 = 30;
const IMAGE_MS: u64 = 300;
/// Each worker's `--image-jobs` (the config's `imageJobs`).
const IMAGE_JOBS: usize = 2;
/// The shared image budget of the second table (requests a minute).
const IMAGE_RPM: u32 = 300;

fn main() {
    let Some(_) = store::postgres::test_cluster::shared_url() else {
        println!("PostgreSQL (initdb/postgres) is not on PATH: nothing to measure");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let config = fake_openai::FakeConfig {
        chat_latency: Duration::from_millis(CHAT_MS),
        image_latency: Duration::from_millis(IMAGE_MS),
        ..fake_openai::FakeConfig::default()
    };
    let fake = runtime
        .block_on(fake_openai::start(0, config))
        .expect("the fake starts");
    println!("imaginize scale-out benchmark (binary {})", bin());
    println!(
        "fake latencies: chat {CHAT_MS} ms, image {IMAGE_MS} ms; {BOOKS} books, up to 2 scenes a chapter; --image-jobs 2, --books 1 per worker"
    );
    // `-- 24`: only the tables of books of that many chapters (and nothing after them).
    let only: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    for (chapters, budget) in [(8, None), (8, Some(IMAGE_RPM)), (24, None)] {
        if only.is_none_or(|n| n == chapters) {
            throughput(&fake, chapters, budget);
        }
    }
    if only.is_some() {
        return;
    }
    takes();
    queries(&fake);
}

/// Table 1: wall time of N workers on the 4 books.
fn throughput(fake: &fake_openai::FakeServer, chapters: usize, budget: Option<u32>) {
    match budget {
        None => println!("\nthroughput, books of {chapters} chapters, no shared budget"),
        Some(rpm) => println!("\nthroughput, books of {chapters} chapters, shared imageRpm {rpm}"),
    }
    println!(
        "workers   wall s   books/h   images   linear s   slots s   ideal s   efficiency   vs linear   CPU s   first   after"
    );
    let mut one: Option<Run> = None;
    for workers in [1, 2, 4, 8] {
        let run = median_run(fake, workers, chapters, budget);
        let base = *one.get_or_insert(run);
        let linear = base.wall / workers as f64;
        // No scheduler draws before a book's start (its cast, style and first chapter: the
        // one-worker run's time to its first image request) nor more images at once than
        // the workers' image slots. Every image takes IMAGE_MS, so the images are drawn in
        // whole rounds of the slots: 52 images on 16 slots need 4 rounds (3 hold only 48),
        // however they are ordered.
        let rounds = run.images.div_ceil(workers * IMAGE_JOBS);
        let slots = base.first_image + rounds as f64 * IMAGE_MS as f64 / 1000.0;
        let floor = budget.map_or(0.0, |rpm| {
            run.images.saturating_sub(1) as f64 * 60.0 / f64::from(rpm)
        });
        let ideal = linear.max(slots).max(floor);
        println!(
            "{workers:>7} {:>8.2} {:>9.0} {:>8} {linear:>10.2} {slots:>9.2} {ideal:>9.2} {:>11.0}% {:>10.0}% {:>7.2} {:>7.2} {:>7.2}",
            run.wall,
            BOOKS as f64 / run.wall * 3600.0,
            run.images,
            ideal / run.wall * 100.0,
            linear.max(floor) / run.wall * 100.0,
            run.cpu,
            run.first_image,
            run.after_last
        );
    }
}

/// How many runs each row is the median of (`IMAGINIZE_BENCH_RUNS`, default 1): one run of
/// 8 workers moves by a few per cent from the next on this 2-core machine.
fn runs() -> usize {
    std::env::var("IMAGINIZE_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// The run of median wall time among [`runs`] runs of the same configuration (each printed
/// when there are several, so no run is hidden).
fn median_run(
    fake: &fake_openai::FakeServer,
    workers: usize,
    chapters: usize,
    budget: Option<u32>,
) -> Run {
    let n = runs();
    let mut all: Vec<Run> = (0..n)
        .map(|_| run_workers(fake, workers, chapters, budget))
        .collect();
    if n > 1 {
        let walls: Vec<String> = all.iter().map(|r| format!("{:.2}", r.wall)).collect();
        println!(
            "  ({workers} workers, {n} runs: wall {} s)",
            walls.join(", ")
        );
    }
    all.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    all[n / 2]
}

/// One run of the workers on the books.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Seconds from the workers' start to the last one's exit.
    wall: f64,
    /// Image requests.
    images: usize,
    /// Seconds from the workers' start to the first image request.
    first_image: f64,
    /// CPU seconds (user + system) the workers used together.
    cpu: f64,
    /// Seconds from the last image answer to the last worker's exit.
    after_last: f64,
}

/// CPU seconds (user + system) of every child process waited for so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Submits the books to a new database and runs `workers` workers until idle.
fn run_workers(
    fake: &fake_openai::FakeServer,
    workers: usize,
    chapters: usize,
    budget: Option<u32>,
) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = store::postgres::test_cluster::new_database("bench").expect("a database");
    let mut config =
        format!("imageSize: 256x256\npagesPerImage: 0.4\njobs: 2\nimageJobs: {IMAGE_JOBS}\n");
    if let Some(rpm) = budget {
        config.push_str(&format!("imageRpm: {rpm}\n"));
    }
    std::fs::write(dir.path().join(".imaginize.config"), config).expect("config");
    let mut books = Vec::new();
    for n in 0..BOOKS {
        let name = format!("book{n}.txt");
        std::fs::write(dir.path().join(&name), book(n, chapters)).expect("book");
        books.push(name);
    }
    let artifacts = format!("file://{}", dir.path().join("remote").display());
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "--limit", "2"],
        stores.to_vec(),
        books.iter().map(String::as_str).collect(),
    ]
    .concat();
    let submitted = command(dir.path(), fake, &submit).output().expect("submit");
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let before = fake.count("image");
    let logged = fake.entries().len();
    let cpu_before = children_cpu();
    let started = Instant::now();
    let epoch_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let args = [
        vec!["worker", "--exit-when-idle", "--books", "1"],
        stores.to_vec(),
    ]
    .concat();
    let logs = std::env::var("IMAGINIZE_BENCH_LOGS").is_ok_and(|w| w == workers.to_string());
    let mut children: Vec<_> = (0..workers)
        .map(|_| {
            let mut worker = command(dir.path(), fake, &args);
            if logs {
                worker.arg("--verbose");
            }
            worker
                .stdout(Stdio::null())
                .stderr(if logs { Stdio::piped() } else { Stdio::null() })
                .spawn()
                .expect("a worker starts")
        })
        .collect();
    let stamped: Vec<_> = children
        .iter_mut()
        .enumerate()
        .filter_map(|(n, child)| Some((n, child.stderr.take()?)))
        .map(|(n, stderr)| std::thread::spawn(move || stamp(n, stderr, started)))
        .collect();
    for child in &mut children {
        let status = child.wait().expect("a worker ends");
        assert!(status.success(), "a worker failed: {status}");
    }
    let mut lines: Vec<(u128, String)> = stamped
        .into_iter()
        .flat_map(|t| t.join().unwrap_or_default())
        .collect();
    lines.sort();
    for (at, line) in lines {
        println!("  {at:>5} {line}");
    }
    let wall = started.elapsed().as_secs_f64();
    let entries = &fake.entries()[logged..];
    if std::env::var("IMAGINIZE_BENCH_TIMELINE").is_ok_and(|w| w == workers.to_string()) {
        timeline(entries, epoch_ms, workers);
    }
    if std::env::var("IMAGINIZE_BENCH_REQUESTS").is_ok_and(|w| w == workers.to_string()) {
        requests(entries, epoch_ms);
    }
    let images = || entries.iter().filter(|e| e.kind == "image");
    let first = images().map(|e| e.start_ms).min();
    let last = images().map(|e| e.end_ms).max().unwrap_or(epoch_ms);
    Run {
        wall,
        images: fake.count("image") - before,
        first_image: first.map_or(0.0, |at| at.saturating_sub(epoch_ms) as f64 / 1000.0),
        cpu: children_cpu() - cpu_before,
        after_last: wall - last.saturating_sub(epoch_ms) as f64 / 1000.0,
    }
}

fn command(dir: &Path, fake: &fake_openai::FakeServer, args: &[&str]) -> Command {
    let mut command = Command::new(bin());
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("IMAGINIZE_PROVIDER", "openai")
        .env("IMAGINIZE_BASE_URL", fake.base_url())
        .env("IMAGINIZE_API_KEY", "sk-bench")
        .env("IMAGINIZE_MODEL", "gpt-4o-mini")
        .env("IMAGINIZE_IMAGE_MODEL", "gpt-image-1")
        .args(args);
    command
}

/// Worker `n`'s stderr lines, each with the milliseconds since `started` it was read at
/// (`IMAGINIZE_BENCH_LOGS=8` for the runs of 8 workers, with `--verbose`).
fn stamp(n: usize, stderr: std::process::ChildStderr, started: Instant) -> Vec<(u128, String)> {
    use std::io::BufRead;
    std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .map(|line| (started.elapsed().as_millis(), format!("w{n} {line}")))
        .collect()
}

/// Requests in flight per 100 ms of the run, by kind (`IMAGINIZE_BENCH_TIMELINE=8` for the
/// runs of 8 workers): where
/// the image slots idle.
fn timeline(entries: &[fake_openai::LogEntry], epoch_ms: u128, workers: usize) {
    let end = entries.iter().map(|e| e.end_ms).max().unwrap_or(epoch_ms);
    println!("  timeline, {workers} workers: 100 ms | images in flight | text in flight");
    let mut at = epoch_ms;
    while at < end {
        let busy = |image: bool| {
            entries
                .iter()
                .filter(|e| {
                    (e.kind == "image") == image && e.start_ms <= at + 50 && e.end_ms > at + 50
                })
                .count()
        };
        println!(
            "  {:>5} {:>3} {:>3}",
            at - epoch_ms,
            busy(true),
            busy(false)
        );
        at += 100;
    }
}

/// Every request of the run in the order they arrived: ms from the start when it came and when
/// it was answered, its kind, what it asked for (`IMAGINIZE_BENCH_REQUESTS=8`; with
/// `IMAGINIZE_BENCH_LOGS=8` the workers' lines are stamped on the same clock).
fn requests(entries: &[fake_openai::LogEntry], epoch_ms: u128) {
    let mut all: Vec<_> = entries.iter().collect();
    all.sort_by_key(|e| e.start_ms);
    for e in all {
        let at = |ms: u128| ms.saturating_sub(epoch_ms);
        println!(
            "  {:>5} → {:>5} {:<8} {} {}",
            at(e.start_ms),
            at(e.end_ms),
            e.kind,
            e.key,
            e.chapter.map_or(String::new(), |c| format!("chapter {c}"))
        );
    }
}

/// A small book of `chapters` chapters, different for each `n`.
fn book(n: usize, chapters: usize) -> String {
    let mut text = format!("The Book Number {n}\n\nby A. Bencher\n\n\n");
    for chapter in 1..=chapters {
        text.push_str(&format!(
            "Chapter {chapter}\n\nElizabeth Bennet walked across the fields of book {n} toward Netherfield Park on the \
             morning of day {chapter}. Mr. Darcy watched from the library window as she came up the gravel drive. \
             Jane sat by the fire while the rain tapped on the glass of the drawing room.\n\n\
             By evening the carriage from Meryton rolled up under a sky streaked with light, and the lamps of the \
             house glowed gold across the lawn.\n\n\n"
        ));
    }
    text
}

/// Table 2: latency of taking (and ending) a book with 8 workers at once.
fn takes() {
    let url = store::postgres::test_cluster::new_database("bench_takes").expect("a database");
    let queue = Queue::open(&url).expect("queue");
    for n in 0..400 {
        let book = Submission {
            id: format!("b{n:04}"),
            sha256: format!("{n}"),
            file_name: "b.txt".into(),
            settings: Vec::new(),
        };
        queue.submit(&book).expect("submit");
    }
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|w| {
                let url = url.clone();
                scope.spawn(move || {
                    let queue = Queue::open(&url).expect("queue");
                    let me = format!("bench-{w}");
                    queue
                        .register(&me, "bench", std::process::id())
                        .expect("register");
                    let mut seen = Vec::new();
                    loop {
                        let at = Instant::now();
                        let Some(taken) = queue.take(&me, Duration::from_secs(60)).expect("take")
                        else {
                            break;
                        };
                        seen.push(at.elapsed());
                        queue
                            .end(&taken.id, &me, taken.attempt, &End::Done)
                            .expect("end");
                    }
                    seen
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("joined"))
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!("\nbook takes, 8 workers, 400 books");
    println!(
        "{} takes in {wall:.2} s ({:.0}/s); take p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / wall,
        at(0.5),
        at(0.99)
    );
}

/// Table 3: committed transactions per chapter of one worker running one book.
fn queries(fake: &fake_openai::FakeServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = store::postgres::test_cluster::new_database("bench_queries").expect("a database");
    std::fs::write(dir.path().join("book.txt"), book(9, 8)).expect("book");
    std::fs::write(
        dir.path().join(".imaginize.config"),
        "pagesPerImage: 0.4\nimageJobs: 2\n",
    )
    .expect("config");
    let artifacts = format!("file://{}", dir.path().join("remote").display());
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [vec!["submit", "--limit", "2", "book.txt"], stores.to_vec()].concat();
    let submitted = command(dir.path(), fake, &submit).output().expect("submit");
    assert!(submitted.status.success());
    let before = commits(&url);
    let worker = [vec!["worker", "--exit-when-idle"], stores.to_vec()].concat();
    let ran = command(dir.path(), fake, &worker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("worker");
    assert!(ran.success());
    // The statistics are flushed at most once a second.
    std::thread::sleep(Duration::from_millis(1500));
    let transactions = commits(&url) - before;
    println!("\nqueries, one worker, one book of 8 chapters");
    println!(
        "{transactions} committed transactions: {:.1} per chapter (with the worker's start, queue polls and heartbeats)",
        transactions as f64 / 8.0
    );
}

/// Committed transactions of the database so far.
fn commits(url: &str) -> i64 {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        let row = client
            .query_one(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
                &[],
            )
            .await
            .expect("stats");
        row.get(0)
    })
}
