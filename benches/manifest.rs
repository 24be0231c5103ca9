//! `cargo bench --bench manifest`: latency of `Store::update_with_lock` (lock → read → parse →
//! change → validate → rotate `.bak` → atomic write with two fsyncs → unlock), uncontended and with
//! 10 processes contending, on a 61-chapter and a 600-chapter manifest. Targets (docs/performance.md):
//! p99 < 5 ms uncontended, < 50 ms with 10 processes.
//!
//! The contending processes are this binary run again with `IMAGINIZE_BENCH_CHILD` set; each
//! prints its latencies (µs), one per line.

use chrono::Utc;
use imaginize::ids::{ChapterKey, ChapterNo, SceneNo};
use imaginize::provider::Usage;
use imaginize::store::{BookMeta, Error, Manifest, Store, WorkerId, atomic};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "IMAGINIZE_BENCH_CHILD";
const UNCONTENDED_UPDATES: usize = 400;
const PROCESSES: usize = 10;
const UPDATES_PER_PROCESS: usize = 60;

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (dir, updates) = spec.rsplit_once(':').unwrap();
        for micros in run_updates(Path::new(dir), updates.parse().unwrap()) {
            println!("{micros}");
        }
        return;
    }
    // The temp folder is on disk here (fsync costs what the disk makes it cost); /dev/shm, where
    // it exists, is memory, so there the figures are the store's own work without the fsyncs.
    let mut places = vec![("disk", std::env::temp_dir())];
    if Path::new("/dev/shm").is_dir() {
        places.push(("tmpfs", "/dev/shm".into()));
    }
    for (place, base) in places {
        println!("\n{place} ({})", base.display());
        table(&base);
    }
}

fn table(base: &Path) {
    println!(
        "{:<9} {:<22} {:>8} {:>9} {:>9} {:>9} {:>12}",
        "chapters", "case", "updates", "p50 ms", "p99 ms", "max ms", "manifest KB"
    );
    for chapters in [61, 600] {
        let dir = tempfile::tempdir_in(base).unwrap();
        let size = setup(dir.path(), chapters);
        let row = |case: &str, mut lat: Vec<u64>| {
            lat.sort_unstable();
            println!(
                "{chapters:<9} {case:<22} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>12.1}",
                lat.len(),
                pct(&lat, 50.0),
                pct(&lat, 99.0),
                *lat.last().unwrap() as f64 / 1000.0,
                size as f64 / 1024.0
            );
        };
        row(
            "write+fsync only",
            write_only(dir.path(), UNCONTENDED_UPDATES),
        );
        row("parse only", parse_only(dir.path(), UNCONTENDED_UPDATES));
        row("clone only", clone_only(dir.path(), UNCONTENDED_UPDATES));
        row(
            "serialize only",
            serialize_only(dir.path(), UNCONTENDED_UPDATES),
        );
        row("1 process", run_updates(dir.path(), UNCONTENDED_UPDATES));
        let start = Instant::now();
        let per_process = contended(dir.path());
        let wall = start.elapsed();
        let fairness = fairness(&per_process);
        let lat: Vec<u64> = per_process.into_iter().flatten().collect();
        let n = lat.len();
        row(&format!("{PROCESSES} processes"), lat);
        println!(
            "{:<9} {:<22} {n} updates in {wall:.2?} = {:.0} updates/s overall",
            "",
            "",
            n as f64 / wall.as_secs_f64()
        );
        println!("{:<9} {:<22} {fairness}", "", "");
    }
}

/// A manifest like a real book's mid-run: every chapter analyzed, a third illustrated with usage.
fn setup(dir: &Path, chapters: u32) -> u64 {
    let store = Store::open(dir).unwrap();
    let list: Vec<_> = (1..=chapters)
        .map(|i| {
            (
                ChapterNo(i),
                ChapterKey(format!("EPUB/text/ch{i:03}.xhtml#0")),
                format!("Chapter {i}"),
            )
        })
        .collect();
    let worker = WorkerId::current();
    store
        .update_with_lock(|m| {
            m.set_initial(Manifest::new(
                "pride_and_prejudice",
                BookMeta::default(),
                &list,
            ));
            let now = Utc::now();
            for i in 1..=chapters {
                m.mark_analyzed(ChapterNo(i), 3, now)?;
            }
            for _ in 0..chapters / 3 {
                let c = m
                    .claim_next(&worker, Duration::from_secs(60), now)?
                    .unwrap();
                for s in 1..=3 {
                    m.record_scene(c, SceneNo(s))?;
                }
                m.add_usage(
                    c,
                    Usage {
                        prompt_tokens: 2400,
                        completion_tokens: 800,
                        images: 3,
                    },
                )?;
                m.complete(c, &worker, now)?;
            }
            Ok::<_, Error>(())
        })
        .unwrap();
    std::fs::metadata(store.manifest_path()).unwrap().len()
}

/// `updates` calls of `update_with_lock`, each adding a little usage to one chapter; µs each.
fn run_updates(dir: &Path, updates: usize) -> Vec<u64> {
    let store = Store::open(dir).unwrap();
    let chapters = store.load().unwrap().manifest.unwrap().chapters.len() as u32;
    (0..updates)
        .map(|i| {
            let chapter = ChapterNo(i as u32 % chapters + 1);
            let start = Instant::now();
            store
                .update_with_lock(|m| {
                    m.add_usage(
                        chapter,
                        Usage {
                            prompt_tokens: 1,
                            ..Usage::default()
                        },
                    )
                })
                .unwrap();
            start.elapsed().as_micros() as u64
        })
        .collect()
}

/// Just the atomic write of the manifest's bytes (temp, fsync, rename, fsync folder): the floor.
fn write_only(dir: &Path, updates: usize) -> Vec<u64> {
    let path = dir.join("bench-write-only.json");
    let bytes = std::fs::read(dir.join(".imaginize.manifest.json")).unwrap();
    let lat = (0..updates)
        .map(|_| {
            let start = Instant::now();
            atomic::write(&path, &bytes).unwrap();
            start.elapsed().as_micros() as u64
        })
        .collect();
    std::fs::remove_file(path).unwrap();
    lat
}

/// Each contending process's latencies (µs), in its order.
fn contended(dir: &Path) -> Vec<Vec<u64>> {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .env(
                    CHILD_ENV,
                    format!("{}:{UPDATES_PER_PROCESS}", dir.display()),
                )
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut all = Vec::new();
    for mut child in children {
        let out = BufReader::new(child.stdout.take().unwrap());
        let lat: Vec<u64> = out.lines().map(|l| l.unwrap().parse().unwrap()).collect();
        assert_eq!(lat.len(), UPDATES_PER_PROCESS);
        all.push(lat);
        assert!(child.wait().unwrap().success());
    }
    all
}

/// How evenly the waiting was shared: each process's total time in `update_with_lock`. A fair
/// lock makes them about equal; an unfair one lets some finish early while others starve.
fn fairness(per_process: &[Vec<u64>]) -> String {
    let totals: Vec<u64> = per_process.iter().map(|l| l.iter().sum()).collect();
    let min = *totals.iter().min().unwrap() as f64 / 1000.0;
    let max = *totals.iter().max().unwrap() as f64 / 1000.0;
    format!(
        "per-process total {min:.1}..{max:.1} ms (max/min {:.2})",
        max / min
    )
}

/// Just parsing the manifest file's bytes.
fn parse_only(dir: &Path, n: usize) -> Vec<u64> {
    let bytes = std::fs::read(dir.join(".imaginize.manifest.json")).unwrap();
    (0..n)
        .map(|_| {
            let start = Instant::now();
            let m: Manifest = serde_json::from_slice(&bytes).unwrap();
            std::hint::black_box(m);
            start.elapsed().as_micros() as u64
        })
        .collect()
}

/// Just copying the parsed manifest (what the in-process cache costs instead of a parse).
fn clone_only(dir: &Path, n: usize) -> Vec<u64> {
    let bytes = std::fs::read(dir.join(".imaginize.manifest.json")).unwrap();
    let m: Manifest = serde_json::from_slice(&bytes).unwrap();
    (0..n)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(m.clone());
            start.elapsed().as_micros() as u64
        })
        .collect()
}

/// Just validating and encoding the manifest as the commit does.
fn serialize_only(dir: &Path, n: usize) -> Vec<u64> {
    let bytes = std::fs::read(dir.join(".imaginize.manifest.json")).unwrap();
    let m: Manifest = serde_json::from_slice(&bytes).unwrap();
    (0..n)
        .map(|_| {
            let start = Instant::now();
            m.validate().unwrap();
            std::hint::black_box(serde_json::to_vec(&m).unwrap());
            start.elapsed().as_micros() as u64
        })
        .collect()
}

/// The `p`th percentile of sorted µs values, in ms.
fn pct(sorted: &[u64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.saturating_sub(1).min(sorted.len() - 1)] as f64 / 1000.0
}
