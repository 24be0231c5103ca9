//! Several imaginize processes on one output folder (issue 6): an `--images` process started
//! before the analysis takes chapters as they are analyzed, and ten `--images` processes draw
//! every scene exactly once.

use crate::harness::{Fake, Folder, config, image_files, images_per_scene, millis, read_manifest};
use imaginize::store::Status;
use std::collections::BTreeMap;
use std::time::Duration;

/// Chapter of an image request key "chapter/scene".
fn chapter_of_key(key: &str) -> u32 {
    key.split_once('/')
        .and_then(|(c, _)| c.parse().ok())
        .unwrap_or_else(|| panic!("image prompt without `Chapter N, scene K`: key {key:?}"))
}

/// `imaginize --images` started before `imaginize --text` in another process: it illustrates
/// each chapter soon after it is analyzed (under 1.5 s from `analyzed_at` to its first image
/// request), starts before the analysis ends, exits by itself once everything is done, and its
/// image prompts carry the cast's details like a one-process run's.
#[test]
fn an_images_process_started_first_takes_chapters_as_they_are_analyzed() {
    const CHAPTERS: usize = 6;
    let fake = Fake::with_latency(250, 50);
    let mut folder = Folder::with_book(CHAPTERS, &config(1, 2));
    let mut images = folder.spawn(&fake.book_args(&["--images"]));
    // The illustrator is registered (its lock file exists) before any analysis starts.
    let workers = folder.out().join(imaginize::store::layout::WORKERS_DIR);
    assert!(
        crate::harness::wait_until(Duration::from_secs(30), || {
            std::fs::read_dir(&workers).is_ok_and(|mut d| d.next().is_some())
        }),
        "the --images process never registered a worker:\n{}",
        images.stderr()
    );
    let mut text = folder.spawn(&fake.book_args(&["--text"]));
    let text_code = text.wait_for(Duration::from_secs(90));
    assert_eq!(text_code, 0, "--text failed:\n{}", text.stderr());
    let images_code = images.wait_for(Duration::from_secs(30));
    assert_eq!(images_code, 0, "--images failed:\n{}", images.stderr());

    let manifest = read_manifest(&folder.out()).expect("manifest");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == Status::IllustrationComplete),
        "not every chapter is illustrated: {:?}",
        manifest.chapters
    );
    let entries = fake.entries();
    let mut first_image: BTreeMap<u32, u128> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.kind == "image") {
        let at = first_image
            .entry(chapter_of_key(&entry.key))
            .or_insert(entry.start_ms);
        *at = (*at).min(entry.start_ms);
    }
    let mut handoffs = Vec::new();
    for (no, chapter) in &manifest.chapters {
        let analyzed_at = millis(chapter.analyzed_at.expect("analyzed_at"));
        let image = first_image
            .get(&no.0)
            .unwrap_or_else(|| panic!("no image request for chapter {}", no.0));
        handoffs.push((no.0, *image as i128 - analyzed_at));
    }
    let worst = handoffs.iter().map(|(_, ms)| *ms).max().unwrap_or_default();
    eprintln!("MEASURE cross-process hand-off (chapter, ms): {handoffs:?}; worst {worst} ms");
    assert!(
        worst < 1500,
        "hand-off across processes took {worst} ms: {handoffs:?}"
    );
    let first = first_image.values().min().copied().unwrap_or_default();
    let last_scenes_end = entries
        .iter()
        .filter(|e| e.kind == "scenes")
        .map(|e| e.end_ms)
        .max()
        .unwrap_or_default();
    assert!(
        first < last_scenes_end,
        "the --images process waited for the whole analysis"
    );

    // The cast's details reach the image prompts (Elizabeth is in Elements.md and in most quotes).
    let prompts: Vec<_> = fake
        .captured()
        .into_iter()
        .filter(|c| c.kind == "image" && c.text.contains("Elizabeth"))
        .collect();
    assert!(!prompts.is_empty(), "no image prompt mentions Elizabeth");
    for prompt in &prompts {
        assert!(
            prompt.text.contains("Draw each exactly as described"),
            "an image prompt of the --images process lacks the cast's details:\n{}",
            prompt.text
        );
    }
}

/// Ten `imaginize --images` processes at once on an analyzed book: every scene is asked for
/// exactly once, every chapter ends `illustration_complete`, every process exits 0.
#[test]
fn ten_images_processes_draw_every_scene_exactly_once() {
    const CHAPTERS: usize = 6;
    const PROCESSES: usize = 10;
    let fake = Fake::with_latency(0, 100);
    let mut folder = Folder::with_book(CHAPTERS, &config(2, 2));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let mark = fake.entries().len();
    let scenes: usize = read_manifest(&folder.out())
        .expect("manifest")
        .chapters
        .values()
        .map(|c| c.concepts as usize)
        .sum();

    let mut runs: Vec<_> = (0..PROCESSES)
        .map(|_| folder.spawn(&fake.book_args(&["--images"])))
        .collect();
    for (i, run) in runs.iter_mut().enumerate() {
        let code = run.wait_for(Duration::from_secs(90));
        assert_eq!(code, 0, "process {i} failed:\n{}", run.stderr());
    }

    let entries = fake.entries();
    let asked = images_per_scene(&entries[mark..]);
    let twice: Vec<_> = asked.iter().filter(|(_, n)| **n != 1).collect();
    eprintln!(
        "MEASURE ten processes: {} image requests for {scenes} scenes",
        asked.values().sum::<usize>()
    );
    assert!(
        twice.is_empty(),
        "scenes asked for more than once: {twice:?}"
    );
    assert_eq!(asked.len(), scenes, "scenes asked for: {asked:?}");
    let manifest = read_manifest(&folder.out()).expect("manifest");
    assert!(manifest.illustrate_complete, "illustrate_complete not set");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == Status::IllustrationComplete
                && c.scenes_done.len() == c.concepts as usize),
        "chapters left: {:?}",
        manifest.chapters
    );
    assert_eq!(image_files(&folder.out()).len(), scenes);
}

/// An illustrator claims a chapter only when one of its process's `--image-jobs` slots is free:
/// a process must not hold chapters it cannot start drawing while another process's
/// illustrators sit idle. With one slot, one chapter is in progress while its image is drawn,
/// though more are analyzed and the process runs spare illustrators.
#[test]
fn an_illustrator_claims_only_what_it_can_start_drawing() {
    let fake = Fake::with_latency(0, 600);
    let mut folder = Folder::with_book(4, &config(2, 1));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let mut images = folder.spawn(&fake.book_args(&["--images"]));
    let out = folder.out();
    // Chapters held while still drawing. The slot is let go as soon as the chapter's last image
    // is answered, so the next chapter is claimed while that image is written and recorded: a
    // chapter whose every image the provider has answered is finishing, not drawing. The
    // manifest is read before the fake's log (an answer is due at its `end_ms`), so a late
    // answer can only excuse, never accuse.
    let drawing = || {
        let Some(m) = read_manifest(&out) else {
            return 0;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut answered: BTreeMap<u32, usize> = BTreeMap::new();
        for e in fake.entries() {
            if e.kind == "image" && e.key.contains('/') && e.end_ms <= now {
                *answered.entry(chapter_of_key(&e.key)).or_default() += 1;
            }
        }
        m.chapters
            .iter()
            .filter(|(number, c)| {
                let drawn = answered.get(&number.0).copied().unwrap_or(0);
                c.status == Status::IllustrationInprogress && drawn < c.concepts as usize
            })
            .count()
    };
    let in_progress = || {
        read_manifest(&out).map_or(0, |m| {
            m.chapters
                .values()
                .filter(|c| c.status == Status::IllustrationInprogress)
                .count()
        })
    };
    assert!(
        crate::harness::wait_until(Duration::from_secs(30), || in_progress() > 0),
        "no chapter was claimed"
    );
    // Watched for the whole run rather than at one instant after a pause: every chapter
    // passes through `illustration_inprogress`, and never two at once.
    let mut most = 0;
    let mut samples = 0;
    while images.running() {
        let now = drawing();
        most = most.max(now);
        samples += 1;
        assert!(samples < 6_000, "--images did not end");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(most, 1, "chapters claimed beyond the free image slots");
    assert_eq!(
        images.wait_for(Duration::from_secs(60)),
        0,
        "{}",
        images.stderr()
    );
}

/// A chapter's scenes are drawn side by side when the process has image slots to spare: with
/// two chapters and four slots, the second request of the two-scene chapter starts while its
/// first is in flight, and each scene is still asked for once.
#[test]
fn a_chapters_scenes_are_drawn_side_by_side_on_spare_slots() {
    let fake = Fake::with_latency(0, 500);
    let folder = Folder::with_book(2, &config(1, 4));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    folder.run(&fake.book_args(&["--images"])).expect_code(0);
    let images: Vec<_> = fake
        .entries()
        .into_iter()
        .filter(|e| e.kind == "image")
        .collect();
    assert!(
        images_per_scene(&images).values().all(|n| *n == 1),
        "a scene asked for twice: {images:?}"
    );
    let mut by_chapter: BTreeMap<u32, Vec<(u128, u128)>> = BTreeMap::new();
    for e in &images {
        by_chapter
            .entry(chapter_of_key(&e.key))
            .or_default()
            .push((e.start_ms, e.end_ms));
    }
    let two = by_chapter
        .values_mut()
        .find(|spans| spans.len() > 1)
        .expect("a chapter with two scenes");
    two.sort();
    assert!(
        two[1].0 < two[0].1,
        "the chapter's second scene waited for its first: {two:?}"
    );
    // Scenes recorded side by side each keep their note in the chapter's file.
    let chapters = crate::harness::read(folder.out().join("Chapters.md"));
    assert_eq!(
        chapters.matches("**Generated Image:**").count(),
        images.len(),
        "{chapters}"
    );
}
