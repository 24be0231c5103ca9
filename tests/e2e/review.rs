//! The review loop on the command line (issue 15): `imaginize scenes`, `imaginize regenerate`
//! with versions, --use-version, --reject, --dry-run, and regenerations racing each other and a
//! running `--images` worker; and the run report every run writes.

use crate::harness::{Fake, Folder, config, read_manifest, wait_until};
use imaginize::ids::ChapterNo;
use imaginize::store::Status;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

const OUT: &str = "imaginize_book";

/// The provider of the fake, through the environment (as a user's shell would set it).
fn fake_env(fake: &Fake) -> Vec<(&'static str, String)> {
    vec![
        ("IMAGINIZE_PROVIDER", "openai".into()),
        ("IMAGINIZE_BASE_URL", fake.server.base_url()),
        ("IMAGINIZE_API_KEY", crate::harness::KEY.into()),
        ("IMAGINIZE_MODEL", "gpt-4o-mini".into()),
        ("IMAGINIZE_IMAGE_MODEL", "gpt-image-1".into()),
    ]
}

/// `imaginize regenerate --output-dir OUT --chapter 1` and then `rest`.
fn regenerate(folder: &Folder, rest: &[&str]) -> Output {
    let head = ["regenerate", "--output-dir", OUT, "--chapter", "1"];
    run(folder, &[head.as_slice(), rest].concat())
}

fn run(folder: &Folder, args: &[&str]) -> Output {
    folder.command(args).output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "--- stdout\n{}\n--- stderr\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// `imaginize scenes --json` for chapter 1, scene 1.
fn scene_row(folder: &Folder, scene: u32) -> Value {
    let out = ok(&run(
        folder,
        &["scenes", "--output-dir", OUT, "--chapter", "1", "--json"],
    ));
    let rows: Vec<Value> = serde_json::from_str(&out).expect("scenes --json is JSON");
    rows.into_iter()
        .find(|r| r["scene"] == scene)
        .unwrap_or_else(|| panic!("no scene {scene} in {out}"))
}

fn versions(row: &Value) -> Vec<u64> {
    row["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["version"].as_u64().expect("number"))
        .collect()
}

fn is_whole_png(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.ends_with(b"IEND\xAE\x42\x60\x82")
}

/// Versions, choosing one, rejecting and restoring, a dry run that changes nothing, a new
/// description kept in the chapter's file, all with the offline provider.
#[test]
fn regenerate_keeps_every_version_and_chooses_rejects_and_restores() {
    let folder = Folder::with_book(2, &config(1, 1));
    ok(&run(
        &folder,
        &["--file", "book.txt", "--provider", "builtin", "--quiet"],
    ));
    let out = folder.path().join(OUT);
    assert!(
        out.join("report.html").is_file(),
        "the run wrote no report.html"
    );
    let first = scene_row(&folder, 1);
    assert_eq!(first["status"], "drawn");
    assert_eq!(first["current_version"], 1);
    assert_eq!(versions(&first), vec![1]);

    let before = std::fs::read(out.join("chapters/001.json")).expect("chapter file");
    let dry = ok(&regenerate(
        &folder,
        &[
            "--scene",
            "1",
            "--description",
            "A red balloon over the moor",
            "--dry-run",
            "--provider",
            "builtin",
        ],
    ));
    assert!(dry.contains("1 image request would be made"), "{dry}");
    assert!(
        dry.contains("A red balloon over the moor"),
        "the dry run's prompt: {dry}"
    );
    assert_eq!(
        std::fs::read(out.join("chapters/001.json")).expect("file"),
        before
    );
    assert_eq!(versions(&scene_row(&folder, 1)), vec![1]);
    // A dry run makes no call: a hosted provider's plan needs no key.
    let keyless = ok(&regenerate(&folder, &["--dry-run", "--provider", "gemini"]));
    assert!(keyless.contains("image request"), "{keyless}");

    let drew = ok(&regenerate(
        &folder,
        &[
            "--scene",
            "1",
            "--description",
            "A red balloon over the moor",
            "--provider",
            "builtin",
        ],
    ));
    assert!(drew.contains("drew version 2"), "{drew}");
    assert!(
        drew.ends_with(")\n"),
        "stdout ends with its line's newline: {drew:?}"
    );
    let row = scene_row(&folder, 1);
    assert_eq!(
        (row["current_version"].as_u64(), versions(&row)),
        (Some(2), vec![1, 2])
    );
    assert_eq!(row["description"], "A red balloon over the moor");
    assert!(is_whole_png(&out.join("images/chapter_1_scene_1.v2.png")));
    assert!(
        is_whole_png(&out.join("images/chapter_1_scene_1.png")),
        "version 1 was lost"
    );
    let chapters_md = std::fs::read_to_string(out.join("Chapters.md")).expect("Chapters.md");
    assert!(
        chapters_md.contains("images/chapter_1_scene_1.v2.png"),
        "{chapters_md}"
    );
    let manifest = read_manifest(&out).expect("manifest");
    let chapter = &manifest.chapters[&ChapterNo(1)];
    assert_eq!(chapter.status, Status::IllustrationComplete);

    ok(&regenerate(
        &folder,
        &["--scene", "1", "--use-version", "1"],
    ));
    assert_eq!(scene_row(&folder, 1)["current_version"], 1);
    let missing = regenerate(&folder, &["--scene", "1", "--use-version", "9"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(
        text(&missing.stderr).contains("no version 9"),
        "{}",
        text(&missing.stderr)
    );

    ok(&regenerate(&folder, &["--scene", "1", "--reject"]));
    assert_eq!(scene_row(&folder, 1)["status"], "rejected");
    let chapters_md = std::fs::read_to_string(out.join("Chapters.md")).expect("Chapters.md");
    assert!(chapters_md.contains("rejected in review"), "{chapters_md}");
    let compiled = run(&folder, &["compile", "--file", "book.txt", "--html"]);
    ok(&compiled);
    assert!(
        text(&compiled.stderr).contains("1 scene rejected in review"),
        "{}",
        text(&compiled.stderr)
    );
    let gallery = std::fs::read_to_string(out.join("gallery/index.html")).expect("gallery");
    assert!(
        !gallery.contains("chapter_1_scene_1."),
        "a rejected scene is in the gallery"
    );
    assert!(
        out.join("images/chapter_1_scene_1.png").is_file(),
        "rejecting deleted a file"
    );
    ok(&regenerate(&folder, &["--scene", "1", "--unreject"]));
    assert_eq!(scene_row(&folder, 1)["status"], "drawn");

    // The whole chapter: one new version per scene.
    let scenes = chapter.concepts as usize;
    let all = ok(&regenerate(&folder, &["--provider", "builtin"]));
    assert_eq!(all.matches("drew version").count(), scenes, "{all}");
    assert_eq!(versions(&scene_row(&folder, 1)), vec![1, 2, 3]);

    // --force starts the chapter's images over: every version is put aside, none deleted.
    ok(&run(
        &folder,
        &[
            "--file",
            "book.txt",
            "--provider",
            "builtin",
            "--images",
            "--force",
            "--chapters",
            "1",
        ],
    ));
    let row = scene_row(&folder, 1);
    assert_eq!(
        (row["current_version"].as_u64(), versions(&row)),
        (Some(1), vec![1])
    );
    let replaced = std::fs::read_dir(out.join("images/.replaced"))
        .expect("images/.replaced")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("chapter_1_scene_1.")
        })
        .count();
    assert_eq!(
        replaced, 3,
        "the three versions of 1/1 are kept in images/.replaced"
    );
}

/// Ten `regenerate` processes on one scene while an `--images` worker illustrates the book:
/// every one that won the claim drew exactly one new version (one image request each), every
/// other one said the scene is busy and exited 6, no version is lost and every image is whole.
#[test]
fn ten_regenerations_and_a_worker_never_race() {
    const RUNS: usize = 10;
    let fake = Fake::with_latency(0, 300);
    let mut folder = Folder::with_book(3, &config(1, 1));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let mark = fake.entries().len();
    let mut worker = folder.spawn(&fake.book_args(&["--images"]));
    // The worker holds chapter 1 first; the regenerations start while it draws and after.
    let held = wait_until(Duration::from_secs(30), || {
        read_manifest(&folder.out())
            .is_some_and(|m| m.chapters[&ChapterNo(1)].status == Status::IllustrationInprogress)
    });
    assert!(held, "the worker never claimed chapter 1");
    let env = fake_env(&fake);
    let runs: Vec<Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..RUNS)
            .map(|i| {
                let mut command = folder.command(&[
                    "regenerate",
                    "--output-dir",
                    OUT,
                    "--chapter",
                    "1",
                    "--scene",
                    "1",
                ]);
                command.envs(env.iter().map(|(k, v)| (k, v)));
                let stagger = Duration::from_millis(150 * i as u64);
                scope.spawn(move || {
                    std::thread::sleep(stagger);
                    command.output().expect("binary runs")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(
        worker.wait_for(Duration::from_secs(90)),
        0,
        "{}",
        worker.stderr()
    );

    let mut won = Vec::new();
    let mut busy = 0;
    for output in &runs {
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        match output.status.code() {
            Some(0) => {
                let version: u64 = stdout
                    .split("drew version ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("no version in {stdout}"));
                won.push(version);
            }
            Some(6) => {
                assert!(stderr.contains("busy"), "{stderr}");
                busy += 1;
            }
            other => panic!("exit {other:?}\n{stdout}\n{stderr}"),
        }
    }
    let won_set: BTreeSet<u64> = won.iter().copied().collect();
    assert_eq!(
        won_set.len(),
        won.len(),
        "two runs drew the same version: {won:?}"
    );
    assert_eq!(won.len() + busy, RUNS);
    assert!(!won.is_empty(), "no regeneration won the claim");
    assert!(busy > 0, "no regeneration found the scene busy");

    let asked = fake.entries()[mark..]
        .iter()
        .filter(|e| e.kind == "image" && e.key == "1/1")
        .count();
    let row = scene_row(&folder, 1);
    let on_disk = versions(&row);
    // The worker drew scene 1 itself only when no regeneration had drawn it first.
    let by_worker = usize::from(!won_set.contains(&1));
    assert_eq!(asked, won.len() + by_worker, "image requests for 1/1");
    let expected: Vec<u64> = (1..=(won.len() + by_worker) as u64).collect();
    assert_eq!(on_disk, expected, "versions on disk (won {won:?})");
    assert_eq!(row["current_version"].as_u64(), on_disk.last().copied());
    for version in &row["versions"].as_array().expect("versions").clone() {
        let path = folder
            .path()
            .join(OUT)
            .join(version["path"].as_str().expect("path"));
        assert!(is_whole_png(&path), "{} is not a whole PNG", path.display());
    }
    let manifest = read_manifest(&folder.path().join(OUT)).expect("manifest");
    assert!(manifest.illustrate_complete, "{:?}", manifest.chapters);
    eprintln!(
        "MEASURE regenerate race: {} won, {busy} busy, {} image requests for 1/1",
        won.len(),
        asked
    );
}

/// The report of a run against the fake: one span per request the server saw, HTML that
/// parses, no script.
#[test]
fn the_run_report_has_one_span_per_request() {
    let fake = Fake::with_latency(20, 20);
    let folder = Folder::with_book(3, &config(2, 2));
    folder.run(&fake.book_args(&[])).expect_code(0);
    let requests = fake
        .entries()
        .iter()
        .filter(|e| ["entities", "scenes", "style", "cards", "image"].contains(&e.kind.as_str()))
        .count();
    let html =
        std::fs::read_to_string(folder.path().join(OUT).join("report.html")).expect("report.html");
    let doc = scraper::Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let spans = scraper::Selector::parse("svg.timeline rect.span").expect("selector");
    assert_eq!(doc.select(&spans).count(), requests);
    assert!(!html.contains("<script"), "the report needs a script");
    assert!(
        !html.contains(crate::harness::KEY),
        "the key is in the report"
    );
    assert!(html.contains("lower bound"));
    eprintln!("MEASURE report: {requests} requests, {} bytes", html.len());
}

/// A run stopped by a refused key still writes its report, with the reason, the failed request
/// and not the key (the server's message echoes it).
#[test]
fn a_run_stopped_by_a_refused_key_is_reported_without_the_key() {
    use crate::fake_openai::{FakeConfig, Quirks};
    let fake = Fake::start(
        FakeConfig::default(),
        Quirks {
            unauthorized: true,
            ..Quirks::default()
        },
    );
    let folder = Folder::with_book(2, &config(1, 1));
    folder.run(&fake.book_args(&[])).expect_code(3);
    let html =
        std::fs::read_to_string(folder.path().join(OUT).join("report.html")).expect("report.html");
    assert!(html.contains("the run stopped:"), "{html}");
    assert!(html.contains("rect class=\"span failed\""), "{html}");
    assert!(
        !html.contains(crate::harness::KEY),
        "the key is in the report"
    );
}
