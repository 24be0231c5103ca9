//! The whole pipeline in process on a generated book with the builtin provider: both modes,
//! resume, force, the two-pass order.

use super::*;
use crate::book::{Chapter, Format};
use crate::cli::Args;
use crate::ids::ChapterKey;
use crate::store::Status;
use crate::store::Store;
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
    run_with(dir, flags, chapters, |_| None, shutdown::channel().1)
}

/// `run` with the text model wrapped so its requests are kept.
fn run_recording(
    dir: &Path,
    flags: &[&str],
    chapters: usize,
) -> (Result<(Outcome, Totals), Error>, Vec<provider::TextRequest>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let result = run_models(dir, flags, chapters, shutdown::channel().1, |mut models| {
        models.text = Arc::new(Recording {
            inner: models.text,
            seen: seen.clone(),
        });
        models
    });
    let requests = seen.lock().unwrap().clone();
    (result, requests)
}

struct Recording {
    inner: Arc<dyn provider::TextModel>,
    seen: Arc<std::sync::Mutex<Vec<provider::TextRequest>>>,
}

#[async_trait::async_trait]
impl provider::TextModel for Recording {
    fn name(&self) -> String {
        "recording".into()
    }

    async fn complete_json(
        &self,
        request: &provider::TextRequest,
    ) -> Result<(serde_json::Value, provider::Usage), provider::Error> {
        self.seen.lock().unwrap().push(request.clone());
        self.inner.complete_json(request).await
    }
}

/// `run` with the image model replaced (given the builtin one) and a shutdown channel.
fn run_with(
    dir: &Path,
    flags: &[&str],
    chapters: usize,
    image: impl FnOnce(Arc<dyn provider::ImageModel>) -> Option<Arc<dyn provider::ImageModel>>,
    shutdown: shutdown::Shutdown,
) -> Result<(Outcome, Totals), Error> {
    run_models(dir, flags, chapters, shutdown, |mut models| {
        if let Some(replaced) = image(models.image.clone()) {
            models.image = replaced;
        }
        models
    })
}

/// `run_with` the builtin renderer wrapped in a `Scripted` set up by `script`.
fn run_scripted(
    dir: &Path,
    flags: &[&str],
    chapters: usize,
    shutdown: shutdown::Shutdown,
    script: impl FnOnce(&mut Scripted),
) -> Result<(Outcome, Totals), Error> {
    let image = |inner| {
        let mut scripted = Scripted::new(inner);
        script(&mut scripted);
        Some(Arc::new(scripted) as Arc<dyn provider::ImageModel>)
    };
    run_with(dir, flags, chapters, image, shutdown)
}

fn run_models(
    dir: &Path,
    flags: &[&str],
    chapters: usize,
    shutdown: shutdown::Shutdown,
    models: impl FnOnce(provider::Models) -> provider::Models,
) -> Result<(Outcome, Totals), Error> {
    run_on(None, dir, flags, chapters, shutdown, models)
}

/// `run_models` keeping the book's state in `state` (the output folder's manifest when `None`).
fn run_on(
    state: Option<Arc<dyn crate::store::BookState>>,
    dir: &Path,
    flags: &[&str],
    chapters: usize,
    shutdown: shutdown::Shutdown,
    models: impl FnOnce(provider::Models) -> provider::Models,
) -> Result<(Outcome, Totals), Error> {
    let (ctx, selected) = context_on(state, dir, flags, chapters, models)?;
    let state = ctx.state.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(orchestrate::run(ctx, shutdown))?;
    let manifest = state.snapshot()?.expect("state after the run");
    Ok((outcome, orchestrate::totals(&manifest, &selected)))
}

/// A prepared run's context and selection, as `run_on` starts it.
fn context_on(
    state: Option<Arc<dyn crate::store::BookState>>,
    dir: &Path,
    flags: &[&str],
    chapters: usize,
    models: impl FnOnce(provider::Models) -> provider::Models,
) -> Result<(Arc<Context>, Vec<ChapterNo>), Error> {
    context_made(state, dir, flags, chapters, models, |ctx| ctx)
}

/// `context_on`, the context changed by `made` before the run starts.
fn context_made(
    state: Option<Arc<dyn crate::store::BookState>>,
    dir: &Path,
    flags: &[&str],
    chapters: usize,
    models: impl FnOnce(provider::Models) -> provider::Models,
    made: impl FnOnce(Context) -> Context,
) -> Result<(Arc<Context>, Vec<ChapterNo>), Error> {
    let book_path = dir.join("book.txt");
    std::fs::write(&book_path, "a book").unwrap();
    // Small images keep the debug-mode renderer fast. A test may have written its own config.
    let config = dir.join(".imaginize.config");
    if !config.exists() {
        std::fs::write(config, "imageSize: 256x256\n").unwrap();
    }
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
    let state: Arc<dyn crate::store::BookState> = state.unwrap_or_else(|| Arc::new(store.clone()));
    prepare(
        state.as_ref(),
        &out,
        &book,
        &book_path,
        &options,
        &selected,
        &reporter,
    )?;
    let models = models(provider::build(&options.provider)?);
    let ctx = Arc::new(made(Context::new(
        options,
        book,
        out,
        state.clone(),
        models,
        reporter,
        selected.clone(),
    )));
    ctx.start_log("test");
    Ok((ctx, selected))
}

/// A temp folder holding `.imaginize.config` with `config`.
fn folder_with_config(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".imaginize.config"), config).unwrap();
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join("out").join(name)).unwrap()
}

/// The runs in `a` and `b` wrote the same `names` and the same images, byte for byte.
fn assert_same_outputs(a: &Path, b: &Path, names: &[&str]) {
    for name in names {
        assert_eq!(read(a, name), read(b, name), "{name}");
    }
    assert_eq!(images(a), images(b));
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
    // Mr. Darcy speaks in every chapter; a name said once a chapter is no element (issue 18).
    assert!(read(dir.path(), "Elements.md").contains("Mr. Darcy"));
    assert!(read(dir.path(), "Contents.md").contains("illustration_complete"));
    assert!(read(dir.path(), "progress.md").contains("Chapter 4 illustrated"));
}

#[test]
fn the_cast_is_merged_before_any_chapter_is_analyzed() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &[], 3).unwrap();
    let out = dir.path().join("out");
    // Every pass-1 answer is in before the first chapter's scenes; elements.json itself is
    // rewritten as the appearance cards come in, beside pass 2, so its time says nothing.
    let written: chrono::DateTime<chrono::Utc> = std::fs::read_dir(out.join("entities"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .max()
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
    let names = ["Elements.md", "Chapters.md", "elements.json"];
    assert_same_outputs(a.path(), b.path(), &names);
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

/// Wraps the builtin renderer: refuses or fails chosen scenes, or stops the run after N images.
struct Scripted {
    inner: Arc<dyn provider::ImageModel>,
    reject: Option<(u32, u32)>,
    auth_error: bool,
    stop_after: Option<(usize, shutdown::Trigger)>,
    /// How long into that image the stop comes.
    stop_delay: std::time::Duration,
    /// The longest prompt accepted; a longer one is refused as a real API does.
    prompt_limit: Option<usize>,
    /// While drawing this chapter, another worker takes its claim over (as after a stall).
    steal: Option<(u32, std::path::PathBuf)>,
    /// Every image takes this long, as a remote model's would.
    latency: std::time::Duration,
    /// While drawing a scene, another worker writes that scene's image (whole, its own bytes)
    /// into this output folder, as a worker whose claim was taken over may.
    race: Option<std::path::PathBuf>,
    drawn: std::sync::atomic::AtomicUsize,
}

impl Scripted {
    fn new(inner: Arc<dyn provider::ImageModel>) -> Self {
        Scripted {
            inner,
            reject: None,
            auth_error: false,
            stop_after: None,
            stop_delay: std::time::Duration::ZERO,
            prompt_limit: None,
            steal: None,
            latency: std::time::Duration::ZERO,
            race: None,
            drawn: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

#[async_trait::async_trait]
impl provider::ImageModel for Scripted {
    fn name(&self) -> String {
        "scripted".into()
    }

    fn max_prompt_chars(&self) -> usize {
        self.prompt_limit
            .unwrap_or(provider::DEFAULT_IMAGE_PROMPT_CHARS)
    }

    async fn generate(
        &self,
        request: &provider::ImageRequest,
        options: &provider::ImageOptions,
    ) -> Result<(Vec<u8>, provider::ImageMeta), provider::Error> {
        let at = (request.scene.chapter.0, request.scene.scene.0);
        tokio::time::sleep(self.latency).await;
        if let Some(limit) = self.prompt_limit
            && request.prompt.chars().count() > limit
        {
            return Err(provider::Error::Config(format!(
                "prompt of {} characters, over {limit}",
                request.prompt.chars().count()
            )));
        }
        if self.auth_error {
            return Err(provider::Error::Auth {
                provider: "scripted".into(),
                message: "invalid key sk-…abcd".into(),
            });
        }
        if self.reject == Some(at) {
            return Err(provider::Error::Rejected {
                provider: "scripted".into(),
                reason: "content policy".into(),
            });
        }
        if let Some((chapter, out)) = &self.steal
            && *chapter == at.0
        {
            take_over(out, ChapterNo(*chapter));
        }
        if let Some(out) = &self.race {
            let (theirs, _) = self.inner.generate(request, options).await?;
            let name = crate::store::layout::image_file_name(
                request.scene.chapter,
                request.scene.scene,
                "png",
            );
            crate::store::atomic::write_creating_folder(&out.join(name), &other_worker(&theirs))
                .map_err(|e| provider::Error::Config(e.to_string()))?;
        }
        let drawn = self.drawn.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if let Some((limit, trigger)) = &self.stop_after
            && drawn >= *limit
        {
            tokio::time::sleep(self.stop_delay).await;
            trigger.trigger();
        }
        self.inner.generate(request, options).await
    }
}

/// A whole PNG with other bytes than `png` (a text chunk added before its end), as another
/// worker's drawing of the same scene would be.
fn other_worker(png: &[u8]) -> Vec<u8> {
    let end = png.len() - 12;
    let text = b"tEXtby\0another worker";
    let mut chunk = (text.len() as u32 - 4).to_be_bytes().to_vec();
    chunk.extend_from_slice(text);
    chunk.extend_from_slice(&[0, 0, 0, 0]);
    [&png[..end], &chunk, &png[end..]].concat()
}

fn manifest_of(dir: &Path) -> crate::store::Manifest {
    Store::open(dir.join("out"))
        .unwrap()
        .load()
        .unwrap()
        .manifest
        .unwrap()
}

/// Prompts are fitted to the image model's limit (DALL·E 2 refuses over 1,000 characters);
/// without that every scene would be refused.
#[test]
fn image_prompts_fit_the_models_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, totals) = run_scripted(dir.path(), &[], 3, shutdown::channel().1, |s| {
        s.prompt_limit = Some(300);
    })
    .unwrap();
    assert!(totals.failed.is_empty(), "{:?}", totals.failed);
    assert_eq!(totals.illustrated, 3);
    assert!(outcome.images.images >= 3);
}

#[test]
fn a_rejected_scene_is_recorded_and_its_chapter_still_completes() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, totals) = run_scripted(dir.path(), &[], 3, shutdown::channel().1, |s| {
        s.reject = Some((2, 1));
    })
    .unwrap();
    assert_eq!(outcome.images.rejected, 1);
    assert_eq!(totals.illustrated, 3);
    assert!(totals.failed.is_empty());
    let scenes =
        crate::pipeline::context::read_scenes(&dir.path().join("out/chapters/002.json")).unwrap();
    assert_eq!(scenes.scenes[0].rejected.as_deref(), Some("content policy"));
    assert!(scenes.scenes[0].image.is_none());
    assert!(read(dir.path(), "progress.md").contains("rejected: content policy"));
}

/// `--images --force` puts the old images aside; until they are redrawn (here: never, the key is
/// refused) Chapters.md and chapters/NNN.json must not point at them.
#[test]
fn forced_images_are_unlinked_until_redrawn() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &[], 2).unwrap();
    let chapters_md = || std::fs::read_to_string(dir.path().join("out/Chapters.md")).unwrap();
    assert!(chapters_md().contains("chapter_2_scene_1."));
    let flags = ["--images", "--force", "--chapters", "2"];
    run_scripted(dir.path(), &flags, 2, shutdown::channel().1, |s| {
        s.auth_error = true;
    })
    .unwrap_err();
    assert!(
        !chapters_md().contains("chapter_2_scene_1."),
        "{}",
        chapters_md()
    );
    assert!(chapters_md().contains("chapter_1_scene_1."));
    let scenes =
        crate::pipeline::context::read_scenes(&dir.path().join("out/chapters/002.json")).unwrap();
    assert!(scenes.scenes.iter().all(|s| s.image.is_none()));
}

#[test]
fn a_refused_key_stops_the_run_and_gives_the_claim_back() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--text"], 2).unwrap();
    let err = run_scripted(dir.path(), &["--images"], 2, shutdown::channel().1, |s| {
        s.auth_error = true;
    })
    .unwrap_err();
    assert_eq!(err.exit_code(), crate::exit_code::AUTH);
    let manifest = manifest_of(dir.path());
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == Status::Analyzed && c.claim.is_none()),
        "{:?}",
        manifest.chapters
    );
}

#[test]
fn shutdown_finishes_images_in_flight_releases_claims_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--text"], 4).unwrap();
    let (trigger, shutdown) = shutdown::channel();
    let (outcome, totals) = run_scripted(
        dir.path(),
        &["--images", "--image-jobs", "1"],
        4,
        shutdown,
        |s| {
            s.stop_after = Some((1, trigger));
        },
    )
    .unwrap();
    assert!(outcome.interrupted.is_some());
    // The image in flight (one image slot) is finished and recorded; nothing starts after the
    // stop, though a spare illustrator was waiting for the slot.
    let kept = outcome.images.images;
    assert_eq!(kept, 1, "{kept} images kept");
    assert!(totals.illustrated < 4);
    let manifest = manifest_of(dir.path());
    assert!(manifest.chapters.values().all(|c| c.claim.is_none()));
    assert!(!manifest.illustrate_complete);
    let (again, totals) = run(dir.path(), &["--images"], 4).unwrap();
    assert_eq!(again.images.images + kept, totals.images);
    assert_eq!(totals.illustrated, 4);
}

/// An illustrator in the middle of a chapter of several scenes, waiting for the image slot
/// while another's image is drawn, starts nothing once the run is stopped.
#[test]
fn nothing_starts_after_a_stop_even_mid_chapter() {
    // No reference portraits: the two images drawn before the stop are scenes.
    let dir = folder_with_config("imageSize: 256x256\npagesPerImage: 0.02\nportraits: 0\n");
    run(dir.path(), &["--text"], 4).unwrap();
    let concepts: Vec<u32> = manifest_of(dir.path())
        .chapters
        .values()
        .map(|c| c.concepts)
        .collect();
    assert!(concepts.iter().all(|&n| n >= 2), "{concepts:?}");
    let (trigger, shutdown) = shutdown::channel();
    let (outcome, _) = run_scripted(
        dir.path(),
        &["--images", "--image-jobs", "1"],
        4,
        shutdown,
        |s| {
            s.stop_after = Some((2, trigger));
            // Late enough that the first illustrator, done with its first scene, already waits
            // for the slot to draw its second.
            s.stop_delay = std::time::Duration::from_millis(300);
        },
    )
    .unwrap();
    assert!(outcome.interrupted.is_some());
    assert_eq!(outcome.images.images, 2, "images drawn after the stop");
    let manifest = manifest_of(dir.path());
    assert!(manifest.chapters.values().all(|c| c.claim.is_none()));
}

#[test]
fn a_hand_edited_elements_md_is_what_pass_2_uses() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--elements"], 2).unwrap();
    let path = dir.path().join("out/Elements.md");
    let original = std::fs::read_to_string(&path).unwrap();
    let start = original
        .find("#### Mr. Darcy")
        .unwrap_or_else(|| panic!("{original}"));
    let line = original[start..].find("**Description:**").unwrap() + start;
    let end = original[line..].find('\n').unwrap() + line;
    let edited = format!(
        "{}**Description:** wears a bright purple hat{}",
        &original[..line],
        &original[end..]
    );
    std::fs::write(&path, edited).unwrap();
    let (result, requests) = run_recording(dir.path(), &["--text"], 2);
    result.unwrap();
    let pass2: Vec<_> = requests
        .iter()
        .filter(|r| matches!(r.task, provider::TextTask::Scenes { .. }))
        .collect();
    assert_eq!(pass2.len(), 2, "pass 1 is not asked again");
    assert!(
        pass2
            .iter()
            .all(|r| r.prompt.contains("wears a bright purple hat"))
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("purple hat"),
        "edit kept"
    );
}

/// Expires every claim and gives `chapter` to a live worker that is not this run's.
fn take_over(out: &Path, chapter: ChapterNo) {
    let thief = crate::store::WorkerId::current();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    Store::open(out)
        .unwrap()
        .update_with_lock(|m| {
            m.recover_expired(std::time::Duration::ZERO, later)?;
            m.claim_next_in(
                &thief,
                |c| c == chapter,
                std::time::Duration::from_secs(60),
                later,
            )
        })
        .unwrap();
}

#[test]
fn a_chapter_taken_over_after_a_stall_is_left_to_its_new_worker() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--text"], 3).unwrap();
    let out = dir.path().join("out");
    let (outcome, totals) = run_scripted(
        dir.path(),
        &["--images", "--image-jobs", "1"],
        3,
        shutdown::channel().1,
        |s| {
            s.steal = Some((2, out.clone()));
        },
    )
    .unwrap();
    assert!(totals.failed.is_empty());
    assert_eq!(totals.illustrated, 2);
    assert_eq!(outcome.images.chapters, 2);
    let manifest = manifest_of(dir.path());
    let stolen = &manifest.chapters[&ChapterNo(2)];
    assert_eq!(stolen.status, Status::IllustrationInprogress);
    assert!(stolen.claim.is_some());
}

/// Refuses every request about one chapter (alone or read with others), as a content policy
/// might. It reads many chapters per pass 1 request, as a remote model does.
struct Refusing {
    inner: Arc<dyn provider::TextModel>,
    chapter: ChapterNo,
}

#[async_trait::async_trait]
impl provider::TextModel for Refusing {
    fn name(&self) -> String {
        "refusing".into()
    }

    async fn complete_json(
        &self,
        request: &provider::TextRequest,
    ) -> Result<(serde_json::Value, provider::Usage), provider::Error> {
        let in_pack = format!("=== Chapter {}:", self.chapter);
        if request.chapter == self.chapter || request.prompt.contains(&in_pack) {
            return Err(provider::Error::Rejected {
                provider: "refusing".into(),
                reason: "content policy".into(),
            });
        }
        self.inner.complete_json(request).await
    }
}

#[test]
fn a_chapter_the_model_refuses_in_pass_1_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let refuse = |mut models: provider::Models| {
        models.text = Arc::new(Refusing {
            inner: models.text,
            chapter: ChapterNo(2),
        });
        models
    };
    // One request slot: pass 1 first asks for chapters 1–3 together; refused, it asks again
    // chapter by chapter, so only chapter 2 fails.
    let (outcome, totals) = run_models(
        dir.path(),
        &["--jobs", "1"],
        3,
        shutdown::channel().1,
        refuse,
    )
    .unwrap();
    assert_eq!(outcome.analysis.failed.len(), 1);
    assert_eq!(outcome.analysis.entity_chapters, 2);
    assert_eq!(totals.illustrated, 2);
    assert_eq!(totals.failed.len(), 1);
    assert!(totals.failed[0].1.contains("pass 1"), "{:?}", totals.failed);
    assert!(dir.path().join("out/Elements.md").exists());
    // Once the model answers, --retry-failed finishes the chapter with the cast as it is.
    let (_, totals) = run(dir.path(), &["--retry-failed"], 3).unwrap();
    assert_eq!(totals.illustrated, 3);
    assert!(totals.failed.is_empty());
}

#[test]
fn a_deleted_elements_md_is_rebuilt_from_saved_answers_without_asking_again() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["--elements"], 2).unwrap();
    let path = dir.path().join("out/Elements.md");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (result, requests) = run_recording(dir.path(), &["--text"], 2);
    result.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| matches!(r.task, provider::TextTask::Scenes { .. })),
        "pass 1 was asked again"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

/// The whole pipeline with the book's state in memory (the trait is the only way the pipeline
/// reaches it: no manifest file appears): pass 1, pass 2 and illustration; then a run stopped
/// after its first image and resumed on the same state draws only what is missing.
#[test]
fn the_whole_pipeline_runs_on_the_in_memory_state_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let state: Arc<dyn crate::store::BookState> = Arc::new(crate::store::MemoryStore::default());
    let (_, totals) = run_on(
        Some(state.clone()),
        dir.path(),
        &["--text"],
        3,
        shutdown::channel().1,
        |m| m,
    )
    .unwrap();
    assert_eq!((totals.analyzed, totals.illustrated), (3, 0));
    assert!(
        !dir.path().join("out/.imaginize.manifest.json").exists(),
        "the pipeline wrote the file manifest instead of using the state it was given"
    );

    let (trigger, shutdown) = shutdown::channel();
    let (stopped, totals) = run_on(
        Some(state.clone()),
        dir.path(),
        &["--images", "--image-jobs", "1"],
        3,
        shutdown,
        |mut m| {
            let mut scripted = Scripted::new(m.image);
            scripted.stop_after = Some((1, trigger));
            m.image = Arc::new(scripted);
            m
        },
    )
    .unwrap();
    assert!(stopped.interrupted.is_some());
    assert!(totals.images >= 1 && totals.illustrated < 3, "{totals:?}");

    // Killed: the runtime is dropped with an image in flight, so a claim stays behind whose
    // worker is gone.
    let (ctx, selected) = context_on(
        Some(state.clone()),
        dir.path(),
        &["--images", "--image-jobs", "1"],
        3,
        |mut m| {
            let mut slow = Scripted::new(m.image);
            slow.latency = std::time::Duration::from_millis(150);
            m.image = Arc::new(slow);
            m
        },
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.spawn(orchestrate::run(ctx, shutdown::channel().1));
    let claimed = |m: &crate::store::Manifest| m.chapters.values().any(|c| c.claim.is_some());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !state.snapshot().unwrap().is_some_and(|m| claimed(&m)) {
        assert!(std::time::Instant::now() < deadline, "nothing was claimed");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // Tasks are dropped where they stand; a state transaction already running finishes.
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    let killed = state.snapshot().unwrap().unwrap();
    assert!(claimed(&killed), "the kill left no claim behind");
    let drawn_first = orchestrate::totals(&killed, &selected).images;

    let (resumed, totals) = run_on(
        Some(state),
        dir.path(),
        &["--images"],
        3,
        shutdown::channel().1,
        |m| m,
    )
    .unwrap();
    assert_eq!(totals.illustrated, 3);
    assert_eq!(totals.images, totals.scenes);
    assert_eq!(
        resumed.images.images + resumed.images.adopted,
        totals.scenes - drawn_first,
        "the resumed run drew only what was missing"
    );
    assert!(!dir.path().join("out/.imaginize.manifest.json").exists());
    // The renders come from the same state: every chapter with its image.
    let chapters_md = read(dir.path(), "Chapters.md");
    assert_eq!(
        chapters_md.matches("images/chapter_").count(),
        totals.scenes,
        "{chapters_md}"
    );
}

/// A watcher subscribed to the run sees every chapter analyzed before any of its images, every
/// image once, numbered in order, and each event serialises with its kind.
#[test]
fn a_watcher_sees_the_runs_events_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, _) = context_on(None, dir.path(), &[], 3, |m| m).unwrap();
    let mut events = ctx.subscribe();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(orchestrate::run(ctx, shutdown::channel().1))
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(stamped) = events.try_recv() {
        seen.push(stamped);
    }
    assert!(
        seen.windows(2).all(|w| w[0].seq + 1 == w[1].seq),
        "numbering has gaps"
    );
    let analyzed_at = |chapter: u32| {
        seen.iter().position(|s| {
            matches!(s.event, crate::pipeline::progress::Event::ChapterAnalyzed { chapter: c, .. } if c == chapter)
        })
    };
    let images: Vec<(usize, u32)> = seen
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s.event {
            crate::pipeline::progress::Event::ImageDone { chapter, .. } => Some((i, chapter)),
            _ => None,
        })
        .collect();
    assert!(!images.is_empty(), "no image event: {seen:?}");
    for (at, chapter) in &images {
        let analyzed = analyzed_at(*chapter).expect("analyzed event");
        assert!(
            analyzed < *at,
            "chapter {chapter}'s image came before its analysis"
        );
    }
    let json = serde_json::to_string(&seen[images[0].0]).unwrap();
    assert!(json.contains(r#""kind":"image_done""#), "{json}");
    assert!(
        json.contains(r#""seq":"#) && json.contains(r#""at_ms":"#),
        "{json}"
    );
}

/// An illustrator that panics while drawing stops renewing its claim (its heartbeat is a drop
/// guard), so the chapter is not kept alive by a task nobody awaits.
#[test]
fn a_panicking_illustrator_stops_its_heartbeat() {
    use crate::illustrate::worker::Heartbeat;
    let dir = folder_with_config("imageSize: 256x256\nleaseSecs: 2\n");
    let state: Arc<dyn crate::store::BookState> = Arc::new(crate::store::MemoryStore::default());
    run_on(
        Some(state.clone()),
        dir.path(),
        &["--text"],
        1,
        shutdown::channel().1,
        |m| m,
    )
    .unwrap();
    let (ctx, _) = context_on(Some(state.clone()), dir.path(), &["--images"], 1, |m| m).unwrap();
    let worker = crate::store::WorkerId::current();
    let _alive = state.register_worker(&worker).unwrap();
    let claimed = state
        .claim_next(
            &worker,
            &[ChapterNo(1)],
            std::time::Duration::from_secs(2),
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(claimed, Some(ChapterNo(1)));
    let heartbeat_at = || {
        state.snapshot().unwrap().unwrap().chapters[&ChapterNo(1)]
            .claim
            .as_ref()
            .map(|c| c.heartbeat_at)
    };
    let before = heartbeat_at();
    // Paused time: the runtime jumps from timer to timer (never while a state transaction runs
    // on the blocking pool), so "three beats would have come by now" needs no wall-clock wait.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let panicked = runtime.block_on(async {
        let outcome = tokio::spawn(async move {
            let _beat = Heartbeat::start(ctx, ChapterNo(1), worker);
            panic!("the illustrator fails mid-chapter");
        })
        .await;
        // Beats come every 0.5 s (leaseSecs 2).
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        outcome
    });
    assert!(panicked.is_err());
    assert_eq!(
        heartbeat_at(),
        before,
        "a dead illustrator's claim was renewed"
    );
}

/// The summary says what quote verification changed, and nothing when it changed nothing.
#[test]
fn the_summary_counts_reanchored_and_dropped_quotes() {
    use crate::pipeline::analysis::AnalysisReport;
    assert_eq!(super::quotes_line(&AnalysisReport::default()), None);
    let report = AnalysisReport {
        reanchored: 2,
        invented: 1,
        ..AnalysisReport::default()
    };
    let line = super::quotes_line(&report).unwrap();
    assert!(line.contains("2 quotes re-anchored"), "{line}");
    assert!(line.contains("1 scene dropped"), "{line}");
}

/// The whole pipeline with the book's state in PostgreSQL (the test cluster): the same
/// Elements.md, Chapters.md and images as a run on the output folder's manifest, and no
/// manifest file.
#[test]
fn the_whole_pipeline_runs_on_postgres_as_on_the_file_store() {
    let Some((_, pg)) = crate::store::postgres::test_cluster::book_state("pipeline") else {
        return;
    };
    let state: Arc<dyn crate::store::BookState> = Arc::new(pg);
    let on_pg = tempfile::tempdir().unwrap();
    let (_, totals) = run_on(
        Some(state),
        on_pg.path(),
        &[],
        3,
        shutdown::channel().1,
        |m| m,
    )
    .unwrap();
    assert_eq!((totals.analyzed, totals.illustrated), (3, 3));
    assert_eq!(totals.images, totals.scenes);
    assert!(!on_pg.path().join("out/.imaginize.manifest.json").exists());
    let on_file = tempfile::tempdir().unwrap();
    run(on_file.path(), &[], 3).unwrap();
    let names = ["Elements.md", "Chapters.md"];
    assert_same_outputs(on_pg.path(), on_file.path(), &names);
}

/// `--store URL` from the command line to the end of a run: the state goes to PostgreSQL under
/// the book file's SHA-256, the folder gets the files and no manifest; `--compile` with it is
/// refused before anything runs.
#[test]
fn the_store_flag_keeps_the_state_in_postgres() {
    let Some(url) = crate::store::postgres::test_cluster::shared_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/pride-and-prejudice.epub");
    let out = dir.path().join("out");
    let argv = |extra: &[&str]| {
        let mut argv = vec!["imaginize", "--provider", "builtin", "--quiet"];
        argv.extend_from_slice(&["--chapters", "1-2", "--store", &url]);
        argv.extend_from_slice(&["--file", book.to_str().unwrap()]);
        argv.extend_from_slice(&["--output-dir", out.to_str().unwrap()]);
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap()
    };
    let env = Environment {
        vars: HashMap::new(),
        cwd: dir.path().to_path_buf(),
        home: None,
    };
    let reporter = Reporter::collector(Verbosity::Quiet);
    let refused = main_job(&argv(&["--html"]).run, &reporter, &env, Verbosity::Quiet);
    assert!(
        matches!(refused, Err(Failure::Run(Error::Usage(_)))),
        "{refused:?}"
    );
    main_job(&argv(&[]).run, &reporter, &env, Verbosity::Quiet).unwrap();
    assert!(!out.join(".imaginize.manifest.json").exists());
    assert!(read(dir.path(), "Chapters.md").contains("**Generated Image:**"));
    let key = format!("{:x}", Sha256::digest(std::fs::read(&book).unwrap()));
    let state = crate::store::PgState::open(&url, &key).unwrap();
    let manifest = crate::store::BookState::snapshot(&state).unwrap().unwrap();
    for chapter in [ChapterNo(1), ChapterNo(2)] {
        assert_eq!(
            manifest.chapters[&chapter].status,
            Status::IllustrationComplete
        );
    }
}

/// The pipeline keeps its files through the artifacts interface: with `object_store` on the
/// output folder (`file://`) instead of `store::atomic`, a run gives the same Elements.md,
/// Chapters.md and images, and a resumed run pays for nothing.
#[test]
fn the_whole_pipeline_runs_with_its_files_in_an_object_store() {
    let dir = tempfile::tempdir().unwrap();
    let run_once = || {
        let state: Arc<dyn crate::store::BookState> =
            Arc::new(Store::open(dir.path().join("out")).unwrap());
        let (ctx, _) = context_on(Some(state.clone()), dir.path(), &[], 3, |m| m).unwrap();
        let url = format!("file://{}", ctx.out.display());
        let object = crate::store::artifacts::Object::open(&url).unwrap();
        let ctx = Arc::try_unwrap(ctx)
            .unwrap_or_else(|_| panic!("the context is shared before the run"))
            .with_artifacts(Arc::new(object));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let outcome = runtime
            .block_on(orchestrate::run(Arc::new(ctx), shutdown::channel().1))
            .unwrap();
        let manifest = state.snapshot().unwrap().unwrap();
        (
            outcome,
            orchestrate::totals(&manifest, &[ChapterNo(1), ChapterNo(2), ChapterNo(3)]),
        )
    };
    let (first, totals) = run_once();
    assert_eq!((totals.analyzed, totals.illustrated), (3, 3));
    assert!(first.images.images >= 3);
    let (again, _) = run_once();
    assert_eq!(again.images.images, 0, "a resumed run drew again");
    let on_folder = tempfile::tempdir().unwrap();
    run(on_folder.path(), &[], 3).unwrap();
    let names = ["Elements.md", "Chapters.md"];
    assert_same_outputs(dir.path(), on_folder.path(), &names);
}

/// An image another worker wrote for the same scene while ours was drawn is kept: ours never
/// replaces it (create-if-absent), and the scene is recorded with the file that is there.
#[test]
fn an_image_another_worker_wrote_meanwhile_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (_, totals) = run_scripted(dir.path(), &[], 2, shutdown::channel().1, |s| {
        s.race = Some(out.clone());
    })
    .unwrap();
    assert_eq!(totals.illustrated, 2);
    let files = images(dir.path());
    assert!(!files.is_empty());
    for (name, bytes) in files {
        assert!(
            bytes.windows(14).any(|w| w == b"another worker"),
            "{name} was replaced by the later writer"
        );
        assert!(
            crate::illustrate::adopt::is_complete_image(&bytes),
            "{name}"
        );
    }
}

/// One semaphore per limit: the pipeline's request slots are the provider's own caps, so a
/// call made outside the queue (a style or card request) and the queue's tasks share `--jobs`.
#[test]
fn the_pipeline_takes_its_slots_from_the_providers_caps() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--jobs", "3", "--image-jobs", "2"];
    let (ctx, _) = context_on(None, dir.path(), &flags, 1, |m| m).unwrap();
    let text = ctx.text.slots().expect("the provider caps its text calls");
    let image = ctx
        .image
        .slots()
        .expect("the provider caps its image calls");
    assert!(Arc::ptr_eq(&ctx.text_slots(), &text));
    assert!(Arc::ptr_eq(&ctx.image_slots(), &image));
    assert_eq!(
        (text.available_permits(), image.available_permits()),
        (3, 2)
    );
}

/// A shared copy of the cast that records what it was asked: `written` copies the cast's
/// files to `remote`, `before_drawing` counts.
struct RecordingCopy {
    remote: std::path::PathBuf,
    written: std::sync::atomic::AtomicUsize,
    refreshed: std::sync::atomic::AtomicUsize,
}

impl crate::pipeline::context::CastCopy for RecordingCopy {
    fn written(&self, out: &Path) -> Result<(), Error> {
        use std::sync::atomic::Ordering;
        self.written.fetch_add(1, Ordering::SeqCst);
        std::fs::create_dir_all(&self.remote).unwrap();
        for name in [
            crate::store::layout::ELEMENTS_MD,
            crate::store::layout::STYLE_JSON,
        ] {
            if let Ok(bytes) = std::fs::read(out.join(name)) {
                std::fs::write(self.remote.join(name), bytes).unwrap();
            }
        }
        Ok(())
    }

    fn before_drawing(&self, _out: &Path) -> Result<(), Error> {
        self.refreshed
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_shared_cast_is_copied_up_as_it_is_written_and_brought_down_before_each_picture() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = folder_with_config("imageSize: 256x256\nportraits: 2\n");
    let copy = Arc::new(RecordingCopy {
        remote: dir.path().join("remote"),
        written: AtomicUsize::new(0),
        refreshed: AtomicUsize::new(0),
    });
    let shared = copy.clone();
    let (ctx, selected) = context_made(
        None,
        dir.path(),
        &[],
        3,
        |m| m,
        |ctx| ctx.with_cast_copy(shared),
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_, stop) = shutdown::channel();
    runtime
        .block_on(orchestrate::run(ctx.clone(), stop))
        .unwrap();
    let manifest = ctx.state.snapshot().unwrap().unwrap();
    let totals = orchestrate::totals(&manifest, &selected);
    assert_eq!(totals.illustrated, 3);
    assert!(
        copy.written.load(Ordering::SeqCst) >= 2,
        "the style and the cards are each copied up as written"
    );
    assert!(
        copy.refreshed.load(Ordering::SeqCst) >= 3 + manifest.portraits.len(),
        "brought down before every chapter and every portrait drawn"
    );
    let remote = std::fs::read_to_string(dir.path().join("remote/Elements.md")).unwrap();
    assert_eq!(
        remote,
        read(dir.path(), "Elements.md"),
        "the copy is the cast as written last"
    );
}

/// Counts the image requests started.
struct Counting {
    inner: Arc<dyn provider::ImageModel>,
    asked: Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait::async_trait]
impl provider::ImageModel for Counting {
    fn name(&self) -> String {
        "counting".into()
    }

    async fn generate(
        &self,
        request: &provider::ImageRequest,
        options: &provider::ImageOptions,
    ) -> Result<(Vec<u8>, provider::ImageMeta), provider::Error> {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.generate(request, options).await
    }
}

/// The output folder, except that the first scene image's write waits (at most 5 s) for a
/// second image request to start, and says whether one did.
#[derive(Debug)]
struct SlowFirstImage {
    inner: crate::store::artifacts::Folder,
    asked: Arc<std::sync::atomic::AtomicUsize>,
    first: std::sync::Mutex<Option<bool>>,
}

impl crate::store::artifacts::Artifacts for SlowFirstImage {
    fn put(
        &self,
        key: &crate::store::artifacts::Key,
        bytes: &[u8],
    ) -> Result<(), crate::store::Error> {
        self.inner.put(key, bytes)
    }

    fn put_new(
        &self,
        key: &crate::store::artifacts::Key,
        bytes: &[u8],
    ) -> Result<crate::store::artifacts::Put, crate::store::Error> {
        let mut first = self.first.lock().unwrap();
        if first.is_none() && key.as_str().starts_with("images/chapter_") {
            let asked = || self.asked.load(std::sync::atomic::Ordering::SeqCst);
            let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while asked() < 2 && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            *first = Some(asked() >= 2);
        }
        drop(first);
        self.inner.put_new(key, bytes)
    }

    fn get(
        &self,
        key: &crate::store::artifacts::Key,
    ) -> Result<Option<Vec<u8>>, crate::store::Error> {
        self.inner.get(key)
    }

    fn list(
        &self,
        prefix: &crate::store::artifacts::Key,
    ) -> Result<Vec<crate::store::artifacts::Key>, crate::store::Error> {
        self.inner.list(prefix)
    }

    fn remove(&self, key: &crate::store::artifacts::Key) -> Result<(), crate::store::Error> {
        self.inner.remove(key)
    }

    fn rename(
        &self,
        from: &crate::store::artifacts::Key,
        to: &crate::store::artifacts::Key,
    ) -> Result<(), crate::store::Error> {
        self.inner.rename(from, to)
    }

    fn location(&self) -> String {
        self.inner.location()
    }
}

/// An image's slot is let go once its answer is in, not once its file is written: with one
/// image slot, the next image request (the chapter's next scene, or the next chapter's first)
/// starts while the first image is still being written, and the run still draws every scene
/// once and completes every chapter.
#[test]
fn the_next_image_is_asked_for_while_the_last_one_is_written() {
    let dir = folder_with_config("imageSize: 256x256\nportraits: 0\n");
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counting = asked.clone();
    let (ctx, selected) = context_made(
        None,
        dir.path(),
        &["--image-jobs", "1"],
        3,
        |mut models| {
            models.image = Arc::new(Counting {
                inner: models.image,
                asked: counting,
            });
            models
        },
        |ctx| ctx,
    )
    .unwrap();
    let artifacts = Arc::new(SlowFirstImage {
        inner: crate::store::artifacts::Folder::new(ctx.out.clone()),
        asked: asked.clone(),
        first: std::sync::Mutex::new(None),
    });
    let ctx = Arc::try_unwrap(ctx)
        .unwrap_or_else(|_| panic!("the context is shared before the run"))
        .with_artifacts(artifacts.clone());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime
        .block_on(orchestrate::run(Arc::new(ctx), shutdown::channel().1))
        .unwrap();
    assert_eq!(
        *artifacts.first.lock().unwrap(),
        Some(true),
        "no second image request while the first image was written"
    );
    let totals = orchestrate::totals(&manifest_of(dir.path()), &selected);
    assert_eq!((totals.analyzed, totals.illustrated), (3, 3));
    assert_eq!(outcome.images.images, totals.scenes);
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        totals.scenes
    );
}

/// The renderer of a context made with `when`: whether Chapters.md was written after a render
/// was asked for and the renderer had time to make it, and whether it was there once the
/// renderer stopped.
fn rendered_during_and_after(when: crate::pipeline::renderer::Renders) -> (bool, bool) {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, _) = context_made(None, dir.path(), &[], 2, |m| m, |c| c.with_renders(when)).unwrap();
    let chapters_md = dir.path().join("out/Chapters.md");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let renderer = tokio::spawn(crate::pipeline::renderer::run(ctx.clone(), stopped));
        ctx.renders.request();
        let mut during = false;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            during |= chapters_md.exists();
        }
        let _ = stop.send(());
        renderer.await.unwrap();
        (during, chapters_md.exists())
    })
}

#[test]
fn a_scale_workers_folder_is_never_rendered() {
    use crate::pipeline::renderer::Renders;
    assert_eq!(
        rendered_during_and_after(Renders::Progressive),
        (true, true)
    );
    assert_eq!(
        rendered_during_and_after(Renders::Never),
        (false, false),
        "a worker's folder is not rendered"
    );
}

/// The book's path as prepared into a fresh state, with `record_book_path` as given.
fn recorded_book_path(record: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let book_path = dir.path().join("book.txt");
    std::fs::write(&book_path, "a book").unwrap();
    let args = Args::try_parse_from(["imaginize", "--provider", "builtin", "--quiet"]).unwrap();
    let env = Environment {
        vars: HashMap::new(),
        cwd: dir.path().to_path_buf(),
        home: None,
    };
    let mut options = config::resolve(&args.run, Verbosity::Quiet, &env)
        .unwrap()
        .options;
    options.record_book_path = record;
    let book = book(2);
    let selected = selected_chapters(&book, &options).unwrap();
    let state = crate::store::MemoryStore::default();
    let reporter = Reporter::collector(Verbosity::Quiet);
    let out = dir.path().join("out");
    prepare(
        &state, &out, &book, &book_path, &options, &selected, &reporter,
    )
    .unwrap();
    state.snapshot().unwrap().unwrap().book.path
}

#[test]
fn a_scale_workers_throwaway_copy_of_the_book_is_not_recorded() {
    assert!(recorded_book_path(true).ends_with("book.txt"));
    assert_eq!(recorded_book_path(false), "");
}
