//! What the process-level pipeline tests share: a working folder with a generated book and a
//! config file, the binary started as a child process (to wait for, or to kill), the fake
//! OpenAI-compatible server on its own runtime, and readers for the outputs.

#![expect(dead_code, reason = "helpers used by some test modules only")]

use crate::fake_openai::{self, Captured, FakeConfig, FakeServer, LogEntry, Quirks};
use imaginize::store::{Manifest, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The key every fake run uses; it must never appear in any output.
pub const KEY: &str = "sk-test-123";

/// The fake server with the runtime that serves it.
pub struct Fake {
    pub server: FakeServer,
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    pub fn start(config: FakeConfig, quirks: Quirks) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(fake_openai::start_with(0, config, quirks))
            .expect("fake server starts");
        Fake {
            server,
            _runtime: runtime,
        }
    }

    /// A fake with these latencies and no misbehaviour.
    pub fn with_latency(chat_ms: u64, image_ms: u64) -> Fake {
        Fake::start(
            FakeConfig {
                chat_latency: Duration::from_millis(chat_ms),
                image_latency: Duration::from_millis(image_ms),
                ..FakeConfig::default()
            },
            Quirks::default(),
        )
    }

    /// `--file book.txt`, then `extra`, then the provider flags pointing at this fake.
    pub fn book_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = ["--file", "book.txt"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        args.extend(self.args());
        args
    }

    /// The provider flags pointing the binary at this fake.
    pub fn args(&self) -> Vec<String> {
        [
            "--provider",
            "openai",
            "--base-url",
            &self.server.base_url(),
            "--api-key",
            KEY,
            "--model",
            "gpt-4o-mini",
            "--image-model",
            "gpt-image-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    pub fn entries(&self) -> Vec<LogEntry> {
        self.server.entries()
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.server.captured()
    }

    /// The log once no request has arrived for 150 ms: a request a killed process sent just
    /// before dying may still be on its way through the server, and must not be counted as the
    /// next run's.
    pub fn settled_entries(&self) -> Vec<LogEntry> {
        let mut seen = self.entries().len();
        let mut quiet = Instant::now();
        while quiet.elapsed() < Duration::from_millis(150) {
            std::thread::sleep(Duration::from_millis(25));
            let now = self.entries().len();
            if now != seen {
                seen = now;
                quiet = Instant::now();
            }
        }
        self.entries()
    }
}

/// A working folder (the binary's cwd) and a separate HOME, both removed at the end.
pub struct Folder {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
    spawned: usize,
}

impl Folder {
    pub fn new() -> Folder {
        Folder {
            dir: tempfile::tempdir().expect("tempdir"),
            home: tempfile::tempdir().expect("tempdir"),
            spawned: 0,
        }
    }

    /// A folder holding `book.txt` (a generated book of `chapters` chapters) and a config.
    pub fn with_book(chapters: usize, config: &str) -> Folder {
        let folder = Folder::new();
        folder.write("book.txt", small_book(chapters));
        folder.write(".imaginize.config", config);
        folder
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The default output folder for `book.txt`.
    pub fn out(&self) -> PathBuf {
        self.path().join("imaginize_book")
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write");
    }

    pub fn command<S: AsRef<str>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("imaginize"));
        command
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .args(args.iter().map(AsRef::as_ref));
        command
    }

    /// Runs to the end.
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Ran {
        let started = Instant::now();
        let output = self.command(args).output().expect("binary runs");
        Ran {
            output,
            took: started.elapsed(),
        }
    }

    /// Starts the binary in the background; its output goes to files in HOME (a pipe nobody
    /// reads could fill up and stall it).
    pub fn spawn<S: AsRef<str>>(&mut self, args: &[S]) -> Spawned {
        self.spawned += 1;
        let base = self.home.path().join(format!("run-{}", self.spawned));
        let stdout = base.with_extension("out");
        let stderr = base.with_extension("err");
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("binary starts");
        Spawned {
            child,
            stdout,
            stderr,
        }
    }

    pub fn manifest(&self) -> Option<Manifest> {
        read_manifest(&self.out())
    }
}

/// A finished run.
pub struct Ran {
    pub output: Output,
    pub took: Duration,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Asserts the exit code, printing both streams when it differs.
    pub fn expect_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(expected),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// A run in the background.
pub struct Spawned {
    pub child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Spawned {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9` and reap (a zombie would still count as alive for the dead-claim check).
    /// Returns whether it was still running.
    pub fn kill9(&mut self) -> bool {
        let running = matches!(self.child.try_wait(), Ok(None));
        let _ = self.child.kill();
        let _ = self.child.wait();
        running
    }

    /// Whether it is still running (not yet exited).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `limit` for the exit code; kills it and panics when it takes longer.
    pub fn wait_for(&mut self, limit: Duration) -> i32 {
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.code().unwrap_or(-1),
                Ok(None) if started.elapsed() < limit => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    self.kill9();
                    panic!(
                        "run did not exit within {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
                        self.stdout(),
                        self.stderr()
                    );
                }
            }
        }
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `condition` every 10 ms for up to `limit`; whether it came true.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// The manifest in `out`, if there is one; panics if it does not parse or validate.
pub fn read_manifest(out: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(out.join(".imaginize.manifest.json")).ok()?;
    let manifest: Manifest = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "manifest does not parse: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    if let Err(reason) = manifest.validate() {
        panic!("manifest is invalid: {reason}");
    }
    Some(manifest)
}

/// Chapters (numbers) of the manifest in `status`-like states.
pub fn chapters_where(manifest: &Manifest, keep: impl Fn(Status) -> bool) -> Vec<u32> {
    manifest
        .chapters
        .iter()
        .filter(|(_, c)| keep(c.status))
        .map(|(n, _)| n.0)
        .collect()
}

/// Chapters analyzed (or further along): their scenes are saved and recorded.
pub fn analyzed(manifest: &Manifest) -> Vec<u32> {
    chapters_where(manifest, |s| s != Status::Pending && s != Status::Error)
}

/// Numbers of the chapters whose pass 1 answer is saved in `out/entities/`.
pub fn saved_entities(out: &Path) -> Vec<u32> {
    let mut found: Vec<u32> = std::fs::read_dir(out.join("entities"))
        .map(|dir| {
            dir.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .flat_map(|e| chapters_in_entities_file(&e.path()))
                .collect()
        })
        .unwrap_or_default();
    found.sort_unstable();
    found
}

/// The chapters a pass 1 file holds: `{"chapter": N, …}` or a pack's `{"chapters": [{…}, …]}`.
fn chapters_in_entities_file(path: &Path) -> Vec<u32> {
    let Some(value) = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return Vec::new();
    };
    let one = |v: &serde_json::Value| v["chapter"].as_u64().map(|c| c as u32);
    match value["chapters"].as_array() {
        Some(pack) => pack.iter().filter_map(one).collect(),
        None => one(&value).into_iter().collect(),
    }
}

/// Every file under `out/images/` (recursively, hidden ones too) with its bytes, but the cast's
/// reference portraits (`images/cast/`): the scenes' pictures.
pub fn image_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    collect(&out.join("images"), "", &mut files);
    files.retain(|name, _| !name.starts_with("cast/"));
    files
}

fn collect(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        if path.is_dir() {
            collect(&path, &format!("{name}/"), files);
        } else {
            files.insert(name, std::fs::read(&path).unwrap_or_default());
        }
    }
}

pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Elements.md, Chapters.md and every image file of two output folders are identical.
pub fn assert_same_outputs(a: &Path, b: &Path) {
    for file in ["Elements.md", "Chapters.md"] {
        assert_eq!(
            read(a.join(file)),
            read(b.join(file)),
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    let (ia, ib) = (image_files(a), image_files(b));
    assert!(!ia.is_empty(), "no images in {}", a.display());
    assert_eq!(
        ia.keys().collect::<Vec<_>>(),
        ib.keys().collect::<Vec<_>>(),
        "image sets differ"
    );
    for (name, bytes) in &ia {
        assert!(ib[name] == *bytes, "{name} differs");
    }
}

/// Milliseconds since the epoch of a manifest timestamp.
pub fn millis(at: chrono::DateTime<chrono::Utc>) -> i128 {
    i128::from(at.timestamp_millis())
}

/// Text requests of one kind ("entities", "scenes") per chapter, from log entries.
pub fn per_chapter(entries: &[LogEntry], kind: &str) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.kind == kind) {
        let chapters = entry.chapters();
        assert!(
            !chapters.is_empty(),
            "the fake could not tell the chapter of {entry:?}"
        );
        for chapter in chapters {
            *counts.entry(chapter).or_insert(0) += 1;
        }
    }
    counts
}

/// Image requests per scene key ("chapter/scene"); the cast's portrait requests (no chapter
/// and scene in their prompt) are not scenes and are left out.
pub fn images_per_scene(entries: &[LogEntry]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in entries
        .iter()
        .filter(|e| e.kind == "image" && e.key.contains('/'))
    {
        *counts.entry(entry.key.clone()).or_insert(0) += 1;
    }
    counts
}

/// Whitespace collapsed, curly quotes straightened: how a quote is compared with the book.
pub fn normalise(text: &str) -> String {
    text.replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201c}', '\u{201d}'], "\"")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The quotes (`> …` lines, joined per block) of a Markdown file.
pub fn quotes_in(markdown: &str) -> Vec<String> {
    let mut quotes = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in markdown.lines() {
        match line.trim_start().strip_prefix('>') {
            Some(rest) => current.push(rest.trim().to_string()),
            None if !current.is_empty() => {
                quotes.push(current.join(" "));
                current.clear();
            }
            None => {}
        }
    }
    if !current.is_empty() {
        quotes.push(current.join(" "));
    }
    quotes
}

/// A config for fast runs: small images, short lease and poll, several scenes per short chapter.
/// The tests' config: small images, a scene every 0.4 page, these limits. No reference
/// portraits (their requests are not scenes); `tests/e2e/portraits.rs` turns them on.
pub fn config(jobs: usize, image_jobs: usize) -> String {
    format!(
        "imageSize: 256x256\npagesPerImage: 0.4\njobs: {jobs}\nimageJobs: {image_jobs}\npollSecs: 1\nportraits: 0\n"
    )
}

const COLOURS: [&str; 8] = [
    "green",
    "golden",
    "grey",
    "silver",
    "amber",
    "violet",
    "crimson",
    "pale blue",
];
const ORDINALS: [&str; 12] = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth",
];
const NUMBERS: [&str; 8] = [
    "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// A plain-text book of `chapters` short chapters ("Chapter N" headings), each three paragraphs
/// of visual prose with recurring names; Mr. Wickham appears in even chapters only.
pub fn small_book(chapters: usize) -> String {
    let mut book = String::from("The Bennets in Miniature\n\nby A. Tester\n\n\n");
    for n in 1..=chapters {
        let i = n - 1;
        let ordinal = ORDINALS[i % ORDINALS.len()];
        let colour = COLOURS[i % COLOURS.len()];
        let other = COLOURS[(i + 3) % COLOURS.len()];
        let count = NUMBERS[i % NUMBERS.len()];
        book.push_str(&format!("Chapter {n}\n\n"));
        book.push_str(&format!(
            "The morning of the {ordinal} day at Longbourn was bright and cold. Elizabeth Bennet \
walked across the {colour} fields toward Netherfield Park, her boots dark with mud and her cheeks \
glowing. Mr. Darcy watched from the tall window of the library as she came up the gravel drive. \
He counted {count} crows circling above the old oak beside the gate.\n\n"
        ));
        book.push_str(&format!(
            "Inside the drawing room, Jane Bennet sat by the fire wrapped in a {other} shawl. \
Mr. Bingley brought her a cup of tea and {count} small cakes on a silver tray. Candles flickered \
on the mantelpiece while the rain of the {ordinal} day tapped against the glass. Caroline Bingley \
arranged the {colour} feathers in her hair before the mirror and said nothing kind.\n\n"
        ));
        if n % 2 == 0 {
            book.push_str(&format!(
                "By evening the carriage from Meryton rolled up under a sky streaked with {other} \
light. Mr. Wickham stepped down in his red officer's coat and bowed to the {count} ladies on the \
steps. Elizabeth smiled at him, and Mr. Darcy turned away without a word. The lamps of \
Netherfield Park glowed gold across the darkening lawn of the {ordinal} evening.\n\n\n"
            ));
        } else {
            book.push_str(&format!(
                "By evening Charlotte Lucas came over the hill with a basket of {colour} apples. \
She found Elizabeth in the garden among {count} rose bushes heavy with rain. The two friends \
walked arm in arm beneath the dripping yew hedge, laughing at Mr. Collins and his letters. \
The windows of Longbourn shone orange behind them on the {ordinal} evening.\n\n\n"
            ));
        }
    }
    book
}
