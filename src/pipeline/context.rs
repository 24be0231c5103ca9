//! What every pipeline task shares: options, the book, the output folder and its store, the
//! models, wake-ups, progress and the render queue. Manifest access goes through `state` /
//! `read`, which take the lock on a blocking thread so async workers never block on file locks.

use crate::analyze::lookup::ElementsLookup;
use crate::analyze::model::{ChapterScenes, Scene};
use crate::book::Book;
use crate::config::Options;
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::pipeline::progress::{Event, Progress, Stamped};
use crate::pipeline::renderer::RenderQueue;
use crate::pipeline::timed::{Bus, TimedImage, TimedText};
use crate::pipeline::turns::Turns;
use crate::pipeline::wake::Wake;
use crate::provider::{ElementBrief, ImageModel, TextModel};
use crate::report::Reporter;
use crate::store::artifacts::{self, Artifacts, Key, Put};
use crate::store::{self, BookState, Manifest, ProgressLog, layout};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};

/// One of the process's image slots: see `Context::image_slot`.
pub type ImageSlot = OwnedSemaphorePermit;

pub struct Context {
    pub options: Options,
    pub book: Book,
    /// The output folder.
    pub out: PathBuf,
    /// The book's state: claims, statuses, usage (docs/ARCHITECTURE.md §9).
    pub state: Arc<dyn BookState>,
    /// Where pass-1 answers, chapter scenes and images are kept (docs/ARCHITECTURE.md §9): the
    /// output folder unless the run is given another store.
    pub artifacts: Arc<dyn Artifacts>,
    pub text: Arc<dyn TextModel>,
    pub image: Arc<dyn ImageModel>,
    pub progress: Progress,
    pub reporter: Reporter,
    /// Bumped when a chapter becomes claimable or analysis ends.
    pub wake: Wake,
    /// The story chapters this run touches (`--chapters`), ascending.
    pub selected: Vec<ChapterNo>,
    pub renders: RenderQueue,
    /// This process's `--image-jobs` image slots. An illustrator claims a chapter only with a
    /// slot in hand, so a process never holds chapters it cannot start drawing while another
    /// process's illustrators sit idle.
    image_slots: Arc<Semaphore>,
    /// This process's `--jobs` request slots of the text model (the analysis queue's, the
    /// appearance cards'): the same semaphore as the provider's cap, so one per limit.
    text_slots: Arc<Semaphore>,
    /// The same slots, handed out to the pipeline's requests by rank (`pipeline::turns`).
    text_turns: Arc<Turns>,
    /// The cast, once Elements.md is complete (read back from the file, so hand edits count).
    lookup: RwLock<Option<Arc<ElementsLookup>>>,
    /// When the Elements.md `lookup` was read from was last changed (`fresh_lookup`).
    lookup_read: Mutex<Option<std::time::SystemTime>>,
    /// Images this run expects to draw, for the progress bar; grows as chapters are analyzed.
    planned: AtomicUsize,
    /// A chapter was claimed here to be drawn: the first picture is on its way.
    drawing_started: AtomicBool,
    /// Illustrators of this process drawing a wanted portrait (`portrait_turn`).
    portraits_drawing: PortraitTurns,
    /// `progress.md`; `None` if it could not be opened (the run goes on without the log).
    log: Mutex<Option<ProgressLog>>,
    /// Every event, numbered, for watchers (`subscribe`); a slow watcher misses the oldest.
    bus: Arc<Bus>,
    /// The key of the last `note_on_change`, so every illustrator waiting on the same thing
    /// does not repeat it.
    last_note: Mutex<String>,
    /// Whether the cast's appearance cards and style are made: they are made beside pass 2,
    /// whose chapters are marked analyzed (claimable) only once they are.
    cast: tokio::sync::watch::Sender<Cast>,
    /// Where the cast's files are kept in step with other workers of the same book, if anywhere.
    cast_copy: Option<Arc<dyn CastCopy>>,
}

/// The cast's files (elements.json, Elements.md, style.json) kept in step with a copy other
/// processes share: a queued book's holder copies them up as it writes them, and a worker
/// helping it brings them down before each picture (docs/scale-out.md, "helpers"). A chapter
/// is claimable only once its cast's cards are written, so a picture drawn after
/// `before_drawing` never lacks a card.
pub trait CastCopy: Send + Sync {
    /// This process wrote the cast's files (the style, a batch of cards): copy them up before
    /// anything they allow becomes claimable.
    fn written(&self, out: &Path) -> Result<(), Error>;
    /// A picture is about to be drawn: bring the newest copy down.
    fn before_drawing(&self, out: &Path) -> Result<(), Error>;
}

/// Where the appearance cards and the style of this run's cast are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cast {
    /// Made (or not this process's to make): pictures may be drawn.
    Ready,
    /// Being made beside pass 2: the elements still `waiting` for their card (by name), and
    /// whether the style is in. A chapter whose scenes show none of the waiting may be drawn
    /// once the style is in; the others wait for their cast's cards only, not the whole cast's.
    Making {
        waiting: Arc<BTreeSet<String>>,
        styled: bool,
    },
    /// Making them failed; the run stops with that error.
    Failed,
}

impl Cast {
    /// Cards are being made for every element of `names`; the style is not in yet.
    pub fn making(names: impl IntoIterator<Item = String>) -> Cast {
        Cast::Making {
            waiting: Arc::new(names.into_iter().collect()),
            styled: false,
        }
    }

    /// `Some(true)` when pictures of `names` may be drawn, `Some(false)` when they never will
    /// (the cards failed), `None` while they must wait.
    fn allows(&self, names: &BTreeSet<String>) -> Option<bool> {
        match self {
            Cast::Ready => Some(true),
            Cast::Failed => Some(false),
            Cast::Making { waiting, styled } => {
                (*styled && waiting.is_disjoint(names)).then_some(true)
            }
        }
    }
}

impl Context {
    pub fn new(
        options: Options,
        book: Book,
        out: PathBuf,
        state: Arc<dyn BookState>,
        models: crate::provider::Models,
        reporter: Reporter,
        selected: Vec<ChapterNo>,
    ) -> Context {
        // The provider's own caps when it has them (one semaphore per limit in the process).
        let image_slots = models
            .image
            .slots()
            .unwrap_or_else(|| Arc::new(Semaphore::new(options.provider.image_jobs.max(1))));
        let text_slots = models
            .text
            .slots()
            .unwrap_or_else(|| Arc::new(Semaphore::new(options.provider.jobs.max(1))));
        let bus = Arc::new(Bus::default());
        let folder = Arc::new(artifacts::Folder::new(out.clone()));
        Context {
            progress: Progress::new(Arc::new(reporter.clone())),
            options,
            book,
            out,
            log: Mutex::new(None),
            last_note: Mutex::new(String::new()),
            text: Arc::new(TimedText {
                inner: models.text,
                bus: bus.clone(),
            }),
            image: Arc::new(TimedImage {
                inner: models.image,
                bus: bus.clone(),
            }),
            bus,
            planned: AtomicUsize::new(0),
            drawing_started: AtomicBool::new(false),
            portraits_drawing: PortraitTurns::default(),
            state,
            artifacts: folder,
            reporter,
            wake: Wake::new(),
            selected,
            renders: RenderQueue::default(),
            image_slots,
            text_turns: Arc::new(Turns::new(text_slots.clone())),
            text_slots,
            lookup: RwLock::new(None),
            lookup_read: Mutex::new(None),
            cast: tokio::sync::watch::Sender::new(Cast::Ready),
            cast_copy: None,
        }
    }

    /// Says where the cast's cards are (`analysis` sets it around making them).
    pub fn set_cast(&self, cast: Cast) {
        self.cast.send_replace(cast);
    }

    /// Changes where the cards being made are (no change once they are made or failed).
    pub fn cast_progress(&self, change: impl FnOnce(&mut BTreeSet<String>, &mut bool)) {
        self.cast.send_if_modified(|cast| match cast {
            Cast::Making { waiting, styled } => {
                change(Arc::make_mut(waiting), styled);
                true
            }
            _ => false,
        });
    }

    /// Waits until pictures showing `names` may be drawn: their cards and the style are in (or
    /// all cards are); `false` when making the cards failed.
    pub async fn cast_ready_for(&self, names: &BTreeSet<String>) -> bool {
        let mut rx = self.cast.subscribe();
        let seen = rx
            .wait_for(|c| c.allows(names).is_some())
            .await
            .map(|c| c.allows(names));
        matches!(seen, Ok(Some(true)))
    }

    /// Whether this process is still making the style (no portrait is drawn before it: each
    /// carries the style verbatim).
    pub fn style_pending(&self) -> bool {
        matches!(*self.cast.borrow(), Cast::Making { styled: false, .. })
    }

    /// Whether making the cast's cards failed (a chapter waiting for them is not at fault).
    pub fn cast_failed(&self) -> bool {
        *self.cast.borrow() == Cast::Failed
    }

    /// Renders the output folder as `when` says (progressively, unless told otherwise).
    pub fn with_renders(mut self, when: crate::pipeline::renderer::Renders) -> Context {
        self.renders = RenderQueue::new(when);
        self
    }

    /// Takes request slots from `text` and `image` instead of this run's own: a worker running
    /// several books keeps its `--jobs` / `--image-jobs` for all of them together.
    /// The ranked turns are rebuilt on `text`: left on the provider's own semaphore, a request
    /// would hold one of its permits while the provider's per-attempt `acquire` (which counts
    /// against the lent slot only when it is that same semaphore) waits for another, and with
    /// every permit so held the run would wait forever.
    pub fn with_slots(mut self, text: Arc<Semaphore>, image: Arc<Semaphore>) -> Context {
        self.text_turns = Arc::new(Turns::new(text.clone()));
        self.text_slots = text;
        self.image_slots = image;
        self
    }

    /// Keeps the cast's files in step with `copy` (see [`CastCopy`]).
    pub fn with_cast_copy(mut self, copy: Arc<dyn CastCopy>) -> Context {
        self.cast_copy = Some(copy);
        self
    }

    /// Says the cast's files were written here (see [`CastCopy::written`]).
    pub async fn cast_written(&self) -> Result<(), Error> {
        self.with_cast_copy_blocking(|copy, out| copy.written(out))
            .await
    }

    /// Brings the newest cast down before a picture is drawn (see [`CastCopy::before_drawing`]).
    pub async fn refresh_cast(&self) -> Result<(), Error> {
        self.with_cast_copy_blocking(|copy, out| copy.before_drawing(out))
            .await
    }

    async fn with_cast_copy_blocking(
        &self,
        call: impl FnOnce(&dyn CastCopy, &Path) -> Result<(), Error> + Send + 'static,
    ) -> Result<(), Error> {
        let Some(copy) = self.cast_copy.clone() else {
            return Ok(());
        };
        let out = self.out.clone();
        tokio::task::spawn_blocking(move || call(copy.as_ref(), &out))
            .await
            .map_err(|source| Error::Task {
                what: "the cast's shared copy",
                source,
            })?
    }

    /// Keeps pass-1 answers, chapter scenes and images in `artifacts` instead of the folder.
    pub fn with_artifacts(mut self, artifacts: Arc<dyn Artifacts>) -> Context {
        self.artifacts = artifacts;
        self
    }

    /// The artifact key of `path`, a file of the output folder named by `store::layout`.
    pub fn key(&self, path: &Path) -> Result<Key, store::Error> {
        let relative = path
            .strip_prefix(&self.out)
            .map_err(|_| store::Error::BadKey {
                key: path.display().to_string(),
                reason: "it is not inside the output folder".into(),
            })?;
        Key::from_relative(relative)
    }

    /// The text model's request slots; a call made with one in hand runs in
    /// `provider::limits::with_slot`.
    pub fn text_slots(&self) -> Arc<Semaphore> {
        self.text_slots.clone()
    }

    /// The pipeline's requests' text slots, handed out by rank (`pipeline::turns`).
    pub(crate) fn text_turns(&self) -> Arc<Turns> {
        self.text_turns.clone()
    }

    /// The image model's slots (see [`Context::text_slots`]).
    pub fn image_slots(&self) -> Arc<Semaphore> {
        self.image_slots.clone()
    }

    /// Says a chapter was claimed here to be drawn.
    pub fn drawing_started(&self) {
        self.drawing_started.store(true, Ordering::SeqCst);
    }

    /// Whether a chapter was claimed here to be drawn (`drawing_started`).
    pub fn has_started_drawing(&self) -> bool {
        self.drawing_started.load(Ordering::SeqCst)
    }

    /// One more of this process's illustrators drawing a portrait, when `allowed` says so of
    /// how many draw one now (checked and counted in one step: illustrators looking at once
    /// see each other's turns); counted off when the turn is dropped.
    pub fn portrait_turn(&self, allowed: impl Fn(usize) -> bool) -> Option<PortraitTurn<'_>> {
        self.portraits_drawing.take(allowed)
    }

    /// Waits for one of this process's image slots (held until the image request is answered).
    pub async fn image_slot(&self) -> Result<ImageSlot, Error> {
        self.image_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("the image slots were closed".into()))
    }

    /// Runs operations of the book's state on a blocking thread (a file store waits for a lock
    /// and fsyncs), so async workers never block.
    pub async fn state<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&dyn BookState) -> Result<T, store::Error> + Send + 'static,
    {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || f(state.as_ref()))
            .await
            .map_err(|source| Error::Task {
                what: "manifest",
                source,
            })?
            .map_err(Error::from)
    }

    /// Stores `bytes` as the artifact `path` names (replacing it) on a blocking thread: the
    /// write is durable (fsyncs, or a remote call), which must not stall the async workers.
    pub async fn write_file(&self, path: PathBuf, bytes: Vec<u8>) -> Result<(), store::Error> {
        let key = self.key(&path)?;
        self.on_artifacts("write", path, move |a| a.put(&key, &bytes))
            .await
    }

    /// Stores `bytes` as the artifact `path` names only if there is none yet (an image: a
    /// second writer of a scene never replaces the first's).
    pub async fn create_file(&self, path: PathBuf, bytes: Vec<u8>) -> Result<Put, store::Error> {
        let key = self.key(&path)?;
        self.on_artifacts("create", path, move |a| a.put_new(&key, &bytes))
            .await
    }

    /// Reads the artifact `path` names; `None` when there is none.
    pub async fn read_file(&self, path: PathBuf) -> Result<Option<Vec<u8>>, store::Error> {
        let key = self.key(&path)?;
        self.on_artifacts("read", path, move |a| a.get(&key)).await
    }

    /// Runs `call` on a blocking thread; `action` and `path` name it if the thread fails.
    async fn on_artifacts<T: Send + 'static>(
        &self,
        action: &'static str,
        path: PathBuf,
        call: impl FnOnce(&dyn Artifacts) -> Result<T, store::Error> + Send + 'static,
    ) -> Result<T, store::Error> {
        let artifacts = self.artifacts.clone();
        tokio::task::spawn_blocking(move || call(artifacts.as_ref()))
            .await
            .unwrap_or_else(|join| {
                let failed = std::io::Error::other(format!("the storage task failed: {join}"));
                Err(store::Error::io(action, path, failed))
            })
    }

    /// Reads a snapshot of the book's state.
    pub async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Manifest) -> T + Send + 'static,
    {
        let state = self.state.clone();
        let dir = self.out.clone();
        tokio::task::spawn_blocking(move || {
            let manifest = state.snapshot()?.ok_or(store::Error::NoManifest { dir })?;
            Ok::<T, store::Error>(f(&manifest))
        })
        .await
        .map_err(|source| Error::Task {
            what: "manifest",
            source,
        })?
        .map_err(Error::from)
    }

    /// Shows the event and, for the ones worth keeping, appends it to progress.md.
    /// A stream of this run's events from now on (the dashboard's and the report's source).
    pub fn subscribe(&self) -> broadcast::Receiver<Stamped> {
        self.bus.subscribe()
    }

    pub fn event(&self, event: Event) {
        self.progress.handle(&event);
        self.bus.publish(&event);
        let entry = match &event {
            Event::ChapterAnalyzed {
                chapter, scenes, ..
            } => Some((
                "📖",
                format!(
                    "Chapter {chapter} analyzed: {}",
                    crate::report::plural(*scenes, "scene")
                ),
            )),
            Event::ChapterIllustrated { chapter } => {
                Some(("🎨", format!("Chapter {chapter} illustrated")))
            }
            Event::ChapterFailed { chapter, error } => {
                Some(("❌", format!("Chapter {chapter} failed: {error}")))
            }
            Event::ImageRejected {
                chapter,
                scene,
                reason,
            } => Some((
                "🚫",
                format!("Chapter {chapter} scene {scene} rejected: {reason}"),
            )),
            _ => None,
        };
        if let Some((emoji, message)) = entry {
            self.log(emoji, &message);
        }
    }

    /// Marks `chapter` failed with `message` in the manifest, tells the user and queues a render.
    pub async fn fail_chapter(&self, chapter: ChapterNo, message: &str) -> Result<(), Error> {
        self.event(Event::ChapterFailed {
            chapter: chapter.0,
            error: message.to_string(),
        });
        let reason = message.to_string();
        self.state(move |s| s.fail(chapter, &reason)).await?;
        self.request_render();
        Ok(())
    }

    /// Adds `images` to the images this run expects to draw (shown by the progress bar).
    pub fn plan_images(&self, images: usize) {
        if !self.options.phases.images || images == 0 {
            return;
        }
        let total = self.planned.fetch_add(images, Ordering::SeqCst) + images;
        self.progress.handle(&Event::ImagesPlanned { total });
    }

    /// Appends one entry to progress.md; a failed append is reported, never fatal.
    pub fn log(&self, emoji: &str, message: &str) {
        let Ok(mut slot) = self.log.lock() else {
            return;
        };
        if let Some(log) = slot.as_mut()
            && let Err(err) = log.entry(emoji, message, chrono::Utc::now())
        {
            self.reporter.warn(&format!("progress.md: {err}"));
            *slot = None;
        }
    }

    /// Opens progress.md and writes this run's header.
    pub fn start_log(&self, mode: &str) {
        let Ok(mut slot) = self.log.lock() else {
            return;
        };
        match ProgressLog::open(&self.out) {
            Ok(mut log) => {
                let _ = log.header(mode, env!("CARGO_PKG_VERSION"), chrono::Utc::now());
                *slot = Some(log);
            }
            Err(err) => self.reporter.warn(&format!("progress.md: {err}")),
        }
    }

    /// Shows `text` unless the last note shown this way had the same `key`.
    pub fn note_on_change(&self, key: String, text: String) {
        let Ok(mut last) = self.last_note.lock() else {
            return;
        };
        if *last != key {
            *last = key;
            self.event(Event::Note(text));
        }
    }

    pub fn is_selected(&self, chapter: ChapterNo) -> bool {
        self.selected.binary_search(&chapter).is_ok()
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.options.lease_secs)
    }

    pub fn poll(&self) -> Duration {
        Duration::from_secs_f64(self.options.poll_secs)
    }

    pub fn request_render(&self) {
        self.renders.request();
    }

    pub fn chapter_file(&self, chapter: ChapterNo) -> PathBuf {
        layout::chapter_path(&self.out, chapter)
    }

    /// Reads `chapters/NNN.json` from the artifacts.
    pub fn load_scenes(&self, chapter: ChapterNo) -> Result<ChapterScenes, Error> {
        let path = self.chapter_file(chapter);
        let bytes = self
            .artifacts
            .get(&self.key(&path)?)?
            .ok_or_else(|| Error::Read {
                path: path.clone(),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
        parse_scenes(&path, &bytes)
    }

    pub fn set_lookup(&self, lookup: ElementsLookup) {
        if let Ok(mut slot) = self.lookup.write() {
            *slot = Some(Arc::new(lookup));
        }
    }

    pub fn lookup(&self) -> Option<Arc<ElementsLookup>> {
        self.lookup.read().ok().and_then(|slot| slot.clone())
    }

    /// The cast as Elements.md has it now: read again when the file changed since it was last
    /// read (another process adds the cards as they come, the user edits it), else the one kept.
    pub fn fresh_lookup(&self) -> Result<Arc<ElementsLookup>, Error> {
        let path = layout::elements_md_path(&self.out);
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let seen = self.lookup_read.lock().ok().and_then(|at| *at);
        match (self.lookup(), modified) {
            (Some(kept), Some(now)) if seen == Some(now) => Ok(kept),
            (Some(kept), None) => Ok(kept),
            _ => self.load_lookup(),
        }
    }

    /// Reads Elements.md back (the user may have edited it) and keeps it as the cast.
    pub fn load_lookup(&self) -> Result<Arc<ElementsLookup>, Error> {
        let path = layout::elements_md_path(&self.out);
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        if let Ok(mut at) = self.lookup_read.lock() {
            *at = modified;
        }
        let lookup = ElementsLookup::parse_markdown(&text).map_err(|e| Error::Corrupt {
            path,
            message: e.to_string(),
        })?;
        self.set_lookup(lookup);
        self.lookup()
            .ok_or_else(|| Error::Internal("cast lock poisoned".into()))
    }

    /// The style guide in effect (`crate::style::effective`), read from `style.json` each time so
    /// a style set while this process runs (or recorded by another process's pass 1) counts.
    pub fn style(&self) -> Result<Option<crate::style::Style>, Error> {
        let saved = crate::style::read(&self.out)?;
        Ok(crate::style::effective(
            self.options.style.as_ref(),
            saved.as_ref(),
        ))
    }

    /// The details of the elements a scene shows, for its image prompt.
    pub fn elements_for(&self, scene: &Scene) -> Vec<ElementBrief> {
        let Some(lookup) = self.lookup() else {
            return Vec::new();
        };
        let named = scene.elements.join(". ");
        let text = format!("{named}. {} {}", scene.description, scene.quote);
        lookup.briefs(&text)
    }
}

/// Reads one `chapters/NNN.json`.
pub fn read_scenes(path: &std::path::Path) -> Result<ChapterScenes, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_scenes(path, &bytes)
}

fn parse_scenes(path: &Path, bytes: &[u8]) -> Result<ChapterScenes, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// How many illustrators of a process draw a wanted portrait now.
#[derive(Debug, Default)]
pub struct PortraitTurns(AtomicUsize);

impl PortraitTurns {
    /// One more turn when `allowed` says so of how many there are now, checked and counted in
    /// one step.
    pub fn take(&self, allowed: impl Fn(usize) -> bool) -> Option<PortraitTurn<'_>> {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                allowed(n).then_some(n + 1)
            })
            .ok()?;
        Some(PortraitTurn(&self.0))
    }
}

/// An illustrator's turn at drawing a portrait (`Context::portrait_turn`); ends when dropped.
pub struct PortraitTurn<'a>(&'a AtomicUsize);

impl Drop for PortraitTurn<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::Cast;
    use std::collections::BTreeSet;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_chapter_waits_for_the_style_and_its_own_casts_cards_only() {
        let mut cast = Cast::making(["Elizabeth".to_string(), "Mr. Darcy".to_string()]);
        let nobody = names(&[]);
        let lizzy = names(&["Elizabeth", "Longbourn"]);
        assert_eq!(cast.allows(&nobody), None, "the style is not in yet");
        if let Cast::Making { styled, waiting } = &mut cast {
            *styled = true;
            std::sync::Arc::make_mut(waiting).remove("Mr. Darcy");
        }
        assert_eq!(cast.allows(&nobody), Some(true));
        assert_eq!(cast.allows(&names(&["Mr. Darcy"])), Some(true));
        assert_eq!(
            cast.allows(&lizzy),
            None,
            "Elizabeth's card is still coming"
        );
        assert_eq!(Cast::Failed.allows(&lizzy), Some(false));
        assert_eq!(Cast::Ready.allows(&lizzy), Some(true));
    }
}
