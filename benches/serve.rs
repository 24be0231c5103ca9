//! `cargo bench --bench serve`: the dashboard's update latency and footprint on a 600-chapter
//! book. `imaginize serve` runs as its own process; this process plays an illustrator of another
//! process: it writes an image, notes it in `chapters/NNN.json` and records it in the manifest
//! through the store, then times how long until the server's event stream carries the chapter's
//! new scene count (file event → debounce → re-read → diff → SSE). Then the server's RSS and its
//! CPU use over 10 idle seconds. Targets (issue 15): p99 ≤ 1 s, RSS < 60 MB, idle CPU < 1 %.

use chrono::Utc;
use imaginize::analyze::model::{ChapterScenes, Scene, note_scene};
use imaginize::ids::{ChapterKey, ChapterNo, SceneNo};
use imaginize::store::{
    BookMeta, BookState, Error, Manifest, SceneOutcome, Store, Usage, WorkerId, atomic, layout,
};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHAPTERS: u32 = 600;
const SCENES: u32 = 3;
const IMAGES: u32 = 200;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imaginize_big");
    setup(&out);
    let mut server = Command::new(env!("CARGO_BIN_EXE_imaginize"))
        .args(["serve", "--port", "0", "--output-dir"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .trim_start_matches("Serving on http://")
        .trim_end_matches('/')
        .to_owned();
    let updates = follow(&addr);
    let latencies = record_images(&out, &updates);
    report(&latencies);
    footprint(server.id());
    let _ = server.kill();
    let _ = server.wait();
}

/// Every chapter analyzed with three scenes, none drawn yet.
fn setup(out: &Path) {
    let store = Store::open(out).unwrap();
    let list: Vec<_> = (1..=CHAPTERS)
        .map(|i| {
            (
                ChapterNo(i),
                ChapterKey(format!("EPUB/text/ch{i:03}.xhtml#0")),
                format!("Chapter {i}"),
            )
        })
        .collect();
    store
        .update_with_lock(|m| {
            m.set_initial(Manifest::new("big", BookMeta::default(), &list));
            for i in 1..=CHAPTERS {
                m.mark_analyzed(ChapterNo(i), SCENES, Utc::now())?;
            }
            Ok::<_, Error>(())
        })
        .unwrap();
    for i in 1..=CHAPTERS {
        let scenes = ChapterScenes {
            chapter: ChapterNo(i),
            key: ChapterKey(format!("EPUB/text/ch{i:03}.xhtml#0")),
            title: format!("Chapter {i}"),
            scenes: (1..=SCENES).map(scene).collect(),
        };
        let bytes = serde_json::to_vec_pretty(&scenes).unwrap();
        atomic::write_creating_folder(&layout::chapter_path(out, ChapterNo(i)), &bytes).unwrap();
    }
}

fn scene(n: u32) -> Scene {
    Scene {
        scene: SceneNo(n),
        quote: "It is a truth universally acknowledged.".into(),
        description: "A drawing room in the evening.".into(),
        mood: String::new(),
        lighting: String::new(),
        elements: Vec::new(),
        image: None,
        rejected: None,
        user_rejected: false,
    }
}

/// Reads the event stream on a thread; sends `(chapter, scenes_done, when)` for every chapter
/// of every update.
fn follow(addr: &str) -> mpsc::Receiver<(u32, u64, Instant)> {
    let (send, receive) = mpsc::channel();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /api/books/big/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let Some(data) = line.strip_prefix("data: ") else {
                continue;
            };
            let at = Instant::now();
            let Ok(update) = serde_json::from_str::<serde_json::Value>(data) else {
                continue;
            };
            for ch in update["chapters"].as_array().into_iter().flatten() {
                let (n, done) = (ch["number"].as_u64(), ch["scenes_done"].as_u64());
                if let (Some(n), Some(done)) = (n, done) {
                    let _ = send.send((n as u32, done, at));
                }
            }
        }
    });
    receive
}

/// Draws `IMAGES` scenes one after the other as an illustrator would; the latency of each.
fn record_images(out: &Path, updates: &mpsc::Receiver<(u32, u64, Instant)>) -> Vec<Duration> {
    std::thread::sleep(Duration::from_millis(500));
    while updates.try_recv().is_ok() {}
    let store = Store::open(out).unwrap();
    let worker = WorkerId::current();
    let _guard = store.register_worker(&worker).unwrap();
    let png = tiny_png();
    let mut latencies = Vec::new();
    for i in 0..IMAGES {
        let chapter = ChapterNo(1 + (i / SCENES) * 7 % CHAPTERS);
        let scene = SceneNo(1 + i % SCENES);
        let image = layout::image_file_name(chapter, scene, "png");
        atomic::write_creating_folder(&out.join(&image), &png).unwrap();
        note_scene(out, chapter, scene, &SceneOutcome::Image(image.clone())).unwrap();
        store
            .record_scene(
                chapter,
                scene,
                &SceneOutcome::Image(image),
                Usage::default(),
                None,
                Utc::now(),
            )
            .unwrap();
        let recorded = Instant::now();
        loop {
            let (n, done, at) = updates
                .recv_timeout(Duration::from_secs(10))
                .expect("an update within 10 s");
            if n == chapter.0 && done >= u64::from(scene.0) {
                latencies.push(at.saturating_duration_since(recorded));
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    latencies
}

fn tiny_png() -> Vec<u8> {
    let mut pixmap = tiny_skia::Pixmap::new(8, 8).unwrap();
    pixmap.fill(tiny_skia::Color::from_rgba8(90, 40, 120, 255));
    pixmap.encode_png().unwrap()
}

fn report(latencies: &[Duration]) {
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p / 100.0).round() as usize];
    println!(
        "update latency (recorded by another process → SSE event), {} chapters, {} images: \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        CHAPTERS,
        ms.len(),
        pct(50.0),
        pct(99.0),
        ms[ms.len() - 1]
    );
}

/// The server's resident memory now, and its CPU share over 10 idle seconds.
fn footprint(pid: u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?");
    let ticks = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        field(11) + field(12)
    };
    let before = ticks();
    std::thread::sleep(Duration::from_secs(10));
    let used = ticks() - before;
    // Clock ticks are 1/100 s on Linux: ticks over 10 s is the share in percent / 10.
    println!(
        "server {rss} with the {CHAPTERS}-chapter book open; idle CPU over 10 s: {:.2} %",
        used as f64 / 10.0
    );
}
