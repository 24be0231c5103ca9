//! The whole pipeline in process on a generated book with the builtin provider: both modes,
//! resume, force, the two-pass order.

use super::*;
use crate::book::{Chapter, Format};
use crate::cli::Args;
use crate::ids::ChapterKey;
use crate::store::Status;
use clap::Parser;
use std::collections::HashMap;

const PLACES: [&str; 4] = [
    "Longbourn House",
    "Netherfield Park",
    "Meryton",
    "Pemberley",
];

fn chapter_text(i: usize) -> String {
    let place = PLACES[i % PLACES.len()];
    format!(
        "Elizabeth Bennet walked to {place} under a grey sky, her boots red with mud.\n\n\
         \"It is a fine morning,\" said Mr. Darcy, standing by the tall window of the hall.\n\n\
         The golden light of the evening fell across the green lawn where Jane Bennet sat \
         reading beneath an old oak tree.\n\n\
         A carriage with four black horses rolled through the gate of {place} as the rain began."
    )
}

fn book(chapters: usize) -> Book {
    Book {
        title: "A Test Book".into(),
        author: Some("Tester".into()),
        language: Some("en".into()),
        format: Format::Text,
        chapters: (1..=chapters)
            .map(|i| {
                let text = chapter_text(i);
                Chapter {
                    number: Some(ChapterNo(i as u32)),
                    key: ChapterKey(format!("book.txt#{i}")),
                    title: format!("Chapter {i}"),
                    word_count: text.split_whitespace().count(),
                    text,
                    is_story: true,
                }
            })
            .collect(),
        warnings: Vec::new(),
    }
}

/// Runs the pipeline in `dir` with these flags; returns the outcome and the totals.
fn run(dir: &Path, flags: &[&str], chapters: usize) -> Result<(Outcome, Totals), Error> {
    let book_path = dir.join("book.txt");
    std::fs::write(&book_path, "a book").unwrap();
    // Small images keep the debug-mode renderer fast.
    std::fs::write(dir.join(".imaginize.config"), "imageSize: 256x256\n").unwrap();
    let mut argv = vec!["imaginize", "--provider", "builtin", "--quiet"];
    argv.extend_from_slice(flags);
    let args = Args::try_parse_from(argv).unwrap();
    let env = Environment {
        vars: HashMap::new(),
        cwd: dir.to_path_buf(),
        home: None,
    };
    let options = config::resolve(&args.run, Verbosity::Quiet, &env)?.options;
    let book = book(chapters);
    let selected = selected_chapters(&book, &options)?;
    let out = dir.join("out");
    let reporter = Reporter::collector(Verbosity::Quiet);
    let store = Store::open(&out)?;
    prepare(&store, &book, &book_path, &options, &selected, &reporter)?;
    let models = provider::build(&options.provider)?;
    let ctx = Arc::new(Context::new(
        options,
        book,
        out,
        store.clone(),
        models,
        reporter,
        selected.clone(),
    ));
    ctx.start_log("test");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(orchestrate::run(ctx, shutdown::channel().1))?;
    Ok((outcome, totals_now(&store, &selected)?))
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join("out").join(name)).unwrap()
}

fn images(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<_> = std::fs::read_dir(dir.join("out/images"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    found.sort();
    found
}

#[test]
fn concurrent_run_analyses_and_illustrates_every_chapter() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, totals) = run(dir.path(), &[], 4).unwrap();
    assert_eq!(totals.analyzed, 4);
    assert_eq!(totals.illustrated, 4);
    assert_eq!(totals.images, totals.scenes);
    assert_eq!(outcome.images.images, totals.scenes);
    assert!(totals.failed.is_empty());
    let manifest = Store::open(dir.path().join("out"))
        .unwrap()
        .load()
        .unwrap()
        .manifest
        .unwrap();
    assert!(manifest.analyze_complete && manifest.illustrate_complete);
    let chapters_md = read(dir.path(), "Chapters.md");
    assert!(chapters_md.starts_with("# Chapters - A Test Book"));
    assert!(chapters_md.contains("**Generated Image:**"));
    assert!(read(dir.path(), "Elements.md").contains("Elizabeth"));
    assert!(read(dir.path(), "Contents.md").contains("illustration_complete"));
    assert!(read(dir.path(), "progress.md").contains("Chapter 4 illustrated"));
}

#[test]
fn elements_md_is_written_before_any_chapter_is_analyzed() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &[], 3).unwrap();
    let out = dir.path().join("out");
    let written: chrono::DateTime<chrono::Utc> = std::fs::metadata(out.join("elements.json"))
        .unwrap()
        .modified()
        .unwrap()
        .into();
    let manifest = Store::open(&out).unwrap().load().unwrap().manifest.unwrap();
    let first = manifest
        .chapters
        .values()
        .filter_map(|c| c.analyzed_at)
        .min()
        .unwrap();
    assert!(
        written <= first,
        "Elements {written} vs first analyzed {first}"
    );
}

#[test]
fn sequential_and_concurrent_give_identical_outputs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run(a.path(), &["--sequential"], 3).unwrap();
    run(b.path(), &["--concurrent", "--image-jobs", "3"], 3).unwrap();
    for name in ["Elements.md", "Chapters.md", "elements.json"] {
        assert_eq!(read(a.path(), name), read(b.path(), name), "{name}");
    }
    assert_eq!(images(a.path()), images(b.path()));
}

#[test]
fn a_rerun_pays_for_nothing_and_force_puts_old_images_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first) = run(dir.path(), &[], 3).unwrap();
    let (again, totals) = run(dir.path(), &[], 3).unwrap();
    assert_eq!(again.images.images, 0);
    assert_eq!(again.analysis.analyzed, 0);
    assert_eq!(totals.images, first.images);
    let (forced, _) = run(dir.path(), &["--force", "--chapters", "2"], 3).unwrap();
    assert_eq!(forced.analysis.analyzed, 1);
    assert!(forced.images.images >= 1);
    let aside = std::fs::read_dir(dir.path().join("out/images/.replaced"))
        .unwrap()
        .count();
    assert!(aside >= 1, "old images of chapter 2 kept aside");
}

#[test]
fn text_only_then_images_only_completes_the_book() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, totals) = run(dir.path(), &["--text"], 3).unwrap();
    assert_eq!(outcome.images.images, 0);
    assert_eq!(totals.analyzed, 3);
    assert!(!dir.path().join("out/images").exists() || images(dir.path()).is_empty());
    let (outcome, totals) = run(dir.path(), &["--images"], 3).unwrap();
    assert_eq!(outcome.images.images, totals.scenes);
    assert_eq!(totals.illustrated, 3);
}

#[test]
fn chapter_selection_restricts_both_pipelines() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--chapters", "2-3"], 4).unwrap();
    let manifest = Store::open(dir.path().join("out"))
        .unwrap()
        .load()
        .unwrap()
        .manifest
        .unwrap();
    let status = |n| manifest.chapters[&ChapterNo(n)].status;
    assert_eq!(status(1), Status::Pending);
    assert_eq!(status(2), Status::IllustrationComplete);
    assert_eq!(status(4), Status::Pending);
    assert!(!manifest.analyze_complete);
}

#[test]
fn a_failed_image_write_fails_only_its_chapter_and_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--text"], 3).unwrap();
    // A directory where chapter 2's first image must go makes its write fail, like a full disk.
    let blocked = dir.path().join("out/images/chapter_2_scene_1.png");
    std::fs::create_dir_all(&blocked).unwrap();
    let (outcome, totals) = run(dir.path(), &["--images"], 3).unwrap();
    assert_eq!(totals.illustrated, 2);
    assert_eq!(totals.failed.len(), 1);
    assert_eq!(totals.failed[0].0, ChapterNo(2));
    assert!(
        totals.failed[0].1.contains("chapter_2_scene_1.png"),
        "{:?}",
        totals.failed
    );
    assert_eq!(outcome.images.failed.len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out/images"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    // The state is intact and the chapter is retried once the folder is fixed.
    std::fs::remove_dir(&blocked).unwrap();
    let (_, totals) = run(dir.path(), &["--retry-failed"], 3).unwrap();
    assert_eq!(totals.illustrated, 3);
    assert!(totals.failed.is_empty());
}
