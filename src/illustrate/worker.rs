//! One illustrator: claim an analyzed chapter (lease), draw each scene not yet done, record it
//! right after its file is written, heartbeat, complete; repeat until nothing is left.

use crate::analyze::model::{ChapterScenes, Scene, note_scene};
use crate::error::Error;
use crate::ids::{ChapterNo, SceneNo};
use crate::illustrate::adopt;
use crate::illustrate::decide::{
    Action, Event as Step, Illustrator, Remaining, Rules, may_draw_a_portrait, remaining,
};
use crate::illustrate::portraits;
use crate::illustrate::prompt::{reference_labels, scene_request, with_references};
use crate::pipeline::context::{Context, ImageSlot, PortraitTurn};
use crate::pipeline::progress::Event;
use crate::pipeline::shutdown::Shutdown;
use crate::pipeline::wake::Waiter;
use crate::provider::limits::with_slot;
use crate::provider::{self, ImageFormat, Usage};
use crate::store::artifacts::Put;
use crate::store::{self, SceneOutcome, WorkerId};
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether this process still runs an analyzer that may make chapters claimable.
pub type AnalysisRunning = Arc<AtomicBool>;

/// What one worker did.
#[derive(Debug, Default, Clone)]
pub struct WorkerReport {
    pub chapters: usize,
    pub images: usize,
    pub adopted: usize,
    pub rejected: usize,
    pub failed: Vec<(ChapterNo, String)>,
}

impl WorkerReport {
    /// Counts what another part of this worker did.
    fn add(&mut self, other: WorkerReport) {
        self.chapters += other.chapters;
        self.images += other.images;
        self.adopted += other.adopted;
        self.rejected += other.rejected;
        self.failed.extend(other.failed);
    }
}

/// Runs one illustrator until nothing is left to claim (or shutdown). With `wait_first` it
/// starts by waiting for a wake-up (nothing can be claimable before the analysis says so). What
/// to do next is decided by `decide::Illustrator`; this loop only carries it out.
pub async fn run(
    ctx: Arc<Context>,
    mut waiter: Waiter,
    analysis_running: AnalysisRunning,
    mut shutdown: Shutdown,
    wait_first: bool,
) -> Result<WorkerReport, Error> {
    let worker = WorkerId::current();
    // Held for as long as this worker may hold claims: its death frees them at once.
    let alive = ctx.state.register_worker(&worker)?;
    let mut report = WorkerReport::default();
    let mut decide = Illustrator::new(ctx.options.phases.scenes);
    let mut slot: Option<ImageSlot> = None;
    // What the state said of the chapter just claimed, read with the claim.
    let mut recorded = AtClaim::default();
    let mut action = decide.handle_event(Step::Started { wait_first });
    loop {
        let step = match action {
            Action::Finish => break,
            Action::AwaitSlot => tokio::select! {
                acquired = ctx.image_slot() => {
                    slot = Some(acquired?);
                    // Checked with the slot in hand: a stop that came meanwhile starts nothing.
                    if shutdown.is_shutdown() { Step::Stop } else { Step::SlotAcquired }
                }
                () = shutdown.recv() => Step::Stop,
            },
            Action::Claim => match claim(&ctx, &worker).await? {
                Some((chapter, done)) => {
                    recorded = done;
                    ctx.drawing_started();
                    Step::Claimed(Some(chapter))
                }
                // Nothing to draw for a chapter: a portrait nobody draws yet, with this slot.
                None => match (slot.take(), portrait_turn(&ctx, &analysis_running)) {
                    (Some(held), Some(_turn)) => {
                        slot = portraits::draw_one_wanted(&ctx, &worker, held).await?;
                        if slot.is_none() {
                            Step::ChapterEnded
                        } else {
                            Step::Claimed(None)
                        }
                    }
                    (held, _) => {
                        slot = held;
                        Step::Claimed(None)
                    }
                },
            },
            Action::Draw(chapter) => {
                let Some(held) = slot.take() else {
                    return Err(Error::Internal(
                        "a chapter was claimed without an image slot".into(),
                    ));
                };
                let claimed = (chapter, std::mem::take(&mut recorded));
                illustrate_chapter(&ctx, claimed, &worker, held, &shutdown, &mut report).await?;
                Step::ChapterEnded
            }
            Action::CheckRemaining => {
                slot = None;
                Step::Left(what_remains(&ctx, &analysis_running).await?)
            }
            Action::Wait { poll, note } => {
                if let Some(note) = note {
                    ctx.note_on_change(note.key, note.text);
                }
                tokio::select! {
                    () = waiter.wait_at_most(poll) => Step::Woken,
                    () = shutdown.recv() => Step::Stop,
                }
            }
        };
        action = decide.handle_event(step);
    }
    // Every claim was completed or given back: nothing for a survivor to take over.
    alive.retire();
    Ok(report)
}

/// This worker's turn to draw a portrait with the slot it holds, finding no chapter, when
/// `decide::may_draw_a_portrait` allows one more (counted until the turn is dropped).
fn portrait_turn<'a>(
    ctx: &'a Context,
    analysis_running: &AnalysisRunning,
) -> Option<PortraitTurn<'a>> {
    let running = analysis_running.load(Ordering::SeqCst);
    let jobs = ctx.options.provider.image_jobs;
    let started = ctx.has_started_drawing();
    ctx.portrait_turn(|drawing| may_draw_a_portrait(drawing, jobs, (running, started)))
}

/// What may still become claimable for this worker, read from the state.
async fn what_remains(
    ctx: &Arc<Context>,
    analysis_running: &AnalysisRunning,
) -> Result<Remaining, Error> {
    let running = analysis_running.load(Ordering::SeqCst);
    let rules = Rules {
        selected: ctx.selected.clone(),
        lease: ctx.lease(),
        workers: ctx.state.workers(),
        analyzer_here: ctx.options.phases.scenes,
        wait_for_others: ctx.options.wait_for_others,
    };
    ctx.read(move |m| remaining(m, &rules, running)).await
}

/// What the state said of a chapter right after it was claimed.
#[derive(Debug, Default)]
struct AtClaim {
    /// Its scenes already recorded (a claim taken over).
    recorded: Vec<SceneNo>,
    /// The portraits, for its first scene's references.
    portraits: Option<portraits::Portraits>,
}

/// Claims the next chapter; with it, what the state says of it, read on the same blocking
/// thread right after the claim (one trip between the slot and the request, not three).
async fn claim(
    ctx: &Arc<Context>,
    worker: &WorkerId,
) -> Result<Option<(ChapterNo, AtClaim)>, Error> {
    let selected = ctx.selected.clone();
    let worker = worker.clone();
    let lease = ctx.lease();
    ctx.state(move |s| {
        let Some(chapter) = s.claim_next(&worker, &selected, lease, Utc::now())? else {
            return Ok(None);
        };
        let at_claim = s.snapshot()?.map_or_else(AtClaim::default, |m| AtClaim {
            recorded: m
                .chapters
                .get(&chapter)
                .map(|c| c.scenes_done.clone())
                .unwrap_or_default(),
            portraits: Some(m.portraits),
        });
        Ok(Some((chapter, at_claim)))
    })
    .await
}

/// Draws every scene of a claimed chapter not among those recorded when it was claimed, then
/// completes it. `slot` is the image slot the chapter was claimed with: its first image uses it.
async fn illustrate_chapter(
    ctx: &Arc<Context>,
    (chapter, at_claim): (ChapterNo, AtClaim),
    worker: &WorkerId,
    slot: ImageSlot,
    shutdown: &Shutdown,
    report: &mut WorkerReport,
) -> Result<(), Error> {
    let heartbeat = Heartbeat::start(ctx.clone(), chapter, worker.clone());
    let claimed = Claimed {
        chapter,
        at_claim,
        worker,
        lost: &heartbeat.lost,
    };
    let outcome = draw_scenes(ctx, claimed, slot, shutdown, report).await;
    heartbeat.stop();
    let owner = worker.clone();
    let outcome = match outcome {
        Ok(Drawn::All { completed: false }) => {
            let done = ctx
                .state(move |s| s.complete(chapter, &owner, Utc::now()))
                .await?;
            Ok(if done {
                Drawn::All { completed: true }
            } else {
                Drawn::Lost
            })
        }
        other => other,
    };
    let worker = worker.clone();
    match outcome {
        Ok(Drawn::All { .. }) => {
            report.chapters += 1;
            ctx.event(Event::ChapterIllustrated { chapter: chapter.0 });
            ctx.request_render();
            Ok(())
        }
        Ok(Drawn::Lost) => {
            ctx.event(Event::Note(format!(
                "chapter {chapter} was taken over by another worker after this one stalled past its lease; leaving it to them"
            )));
            Ok(())
        }
        Ok(Drawn::Stopped) => ctx.state(move |s| s.release(chapter, &worker)).await,
        Err(ChapterError::Abort(err)) => {
            // The claim goes back so the next run (with a fixed key) continues at once.
            let _ = ctx.state(move |s| s.release(chapter, &worker)).await;
            Err(err)
        }
        Err(ChapterError::Chapter(message)) => {
            ctx.fail_chapter(chapter, &message).await?;
            report.failed.push((chapter, message));
            Ok(())
        }
    }
}

enum Drawn {
    /// Every scene is recorded; `completed` when the last record also completed the chapter.
    All { completed: bool },
    /// Shutdown came before every scene was drawn.
    Stopped,
    /// The claim expired and another worker took the chapter over.
    Lost,
}

enum ChapterError {
    /// Stops the whole run (refused key, lock or manifest trouble).
    Abort(Error),
    /// Fails this chapter only.
    Chapter(String),
}

/// A chapter this worker holds, and the flag its heartbeat raises if the claim is lost.
struct Claimed<'a> {
    chapter: ChapterNo,
    /// What the state said of it when it was claimed.
    at_claim: AtClaim,
    worker: &'a WorkerId,
    lost: &'a AtomicBool,
}

async fn draw_scenes(
    ctx: &Arc<Context>,
    claimed: Claimed<'_>,
    slot: ImageSlot,
    shutdown: &Shutdown,
    report: &mut WorkerReport,
) -> Result<Drawn, ChapterError> {
    let Claimed {
        chapter,
        at_claim,
        worker,
        lost,
    } = claimed;
    let recorded = at_claim.recorded;
    // The first scene's references are looked up in the state read with the claim.
    let mut known = at_claim.portraits;
    let mut slot = Some(slot);
    let scenes = ctx
        .load_scenes(chapter)
        .map_err(|e| ChapterError::Chapter(e.display_chain()))?;
    // Elements.md as it is now: another process may have added cards since it was read.
    ctx.refresh_cast().await.map_err(ChapterError::Abort)?;
    if let Err(err) = ctx.fresh_lookup() {
        ctx.reporter.warn(&format!(
            "drawing without the cast's details: {}",
            err.display_chain()
        ));
    }
    let todo: Vec<&Scene> = scenes
        .scenes
        .iter()
        .filter(|s| !recorded.contains(&s.scene))
        .collect();
    let notes = Notes::new(todo.len());
    // A scene's slot comes back here the moment its answer is in (`SlotBack`), not once its
    // image is written and recorded: the chapter's next scene starts meanwhile.
    let (back, mut returned) = tokio::sync::mpsc::unbounded_channel();
    let mut left = todo.into_iter().peekable();
    let mut drawing = FuturesUnordered::new();
    let (mut completed, mut stopping, mut failure) = (false, false, None);
    loop {
        if let Some(held) = slot.take()
            && failure.is_none()
            && !stopping
        {
            // Checked with the slot in hand: a stop that came while waiting starts nothing,
            // and the scene stays left (the chapter is then given back, not completed).
            if shutdown.is_shutdown() || lost.load(Ordering::SeqCst) {
                stopping = true;
            } else if let Some(scene) = left.next() {
                let more = left.peek().is_some();
                drawing.push(draw_alongside(
                    ctx,
                    &scenes,
                    scene,
                    held,
                    (worker, more, &notes, &back, known.take()),
                ));
            }
        }
        if drawing.is_empty() && (left.peek().is_none() || stopping || failure.is_some()) {
            break;
        }
        let wants_slot = slot.is_none() && left.peek().is_some() && !stopping && failure.is_none();
        let mut stop = shutdown.clone();
        tokio::select! {
            Some(drawn) = drawing.next() => match drawn {
                Ok((ended, counted)) => {
                    completed |= ended;
                    report.add(counted);
                }
                // The others in flight are answered and recorded first: dropping them would
                // throw away images already paid for.
                Err(err) => failure = failure.or(Some(err)),
            },
            Some(back) = returned.recv(), if slot.is_none() => slot = Some(back),
            acquired = ctx.image_slot(), if wants_slot => {
                slot = Some(acquired.map_err(ChapterError::Abort)?);
            }
            () = stop.recv(), if !stopping => stopping = true,
        }
    }
    if let Some(err) = failure {
        return Err(err);
    }
    if lost.load(Ordering::SeqCst) && left.peek().is_some() {
        return Ok(Drawn::Lost);
    }
    if left.peek().is_some() {
        return Ok(Drawn::Stopped);
    }
    // Not completed by a record (every scene was recorded before the claim, or the claim was
    // lost): the caller completes the chapter, which says whether it is still this worker's.
    Ok(Drawn::All { completed })
}

/// Draws one scene of a claimed chapter with `held`; while its request is in flight the
/// chapter's next scene may start on another of this process's slots as soon as one is free,
/// so a chapter's scenes are drawn side by side when the process has slots to spare (the
/// book's last chapters, once nothing else is left to claim) and one after the other when it
/// has not. With `more` (scenes of the chapter not yet started) the slot comes back for them
/// through `back` once the answer is in. Returns whether the record completed the chapter and
/// what was drawn.
async fn draw_alongside(
    ctx: &Arc<Context>,
    scenes: &ChapterScenes,
    scene: &Scene,
    held: ImageSlot,
    (worker, more, notes, back, known): (
        &WorkerId,
        bool,
        &Notes,
        &SlotBack,
        Option<portraits::Portraits>,
    ),
) -> Result<(bool, WorkerReport), ChapterError> {
    let mut report = WorkerReport::default();
    let drawing = Drawing {
        worker,
        more,
        known,
        notes,
        report: &mut report,
    };
    let completed = draw_one(ctx, scenes, scene, (held, back), drawing).await?;
    Ok((completed, report))
}

/// Adopts an existing complete file or generates the image, writes it atomically and records it.
/// The slot goes as soon as the answer is in: after the chapter's last image it is let go, so
/// another chapter is claimed and asked for while this image is written and recorded. Before
/// that it is handed back (`slot.1`) for the chapter's next scene: let go, it could be taken by
/// a spare illustrator claiming a second chapter, and this process would hold two chapters with
/// one slot while other processes' illustrators sit idle.
async fn draw_one(
    ctx: &Arc<Context>,
    scenes: &ChapterScenes,
    scene: &Scene,
    slot: (ImageSlot, &SlotBack),
    drawing: Drawing<'_>,
) -> Result<bool, ChapterError> {
    let (slot, back) = slot;
    let Drawing {
        worker,
        more,
        known,
        notes,
        report,
    } = drawing;
    let chapter = scenes.chapter;
    let number = scene.scene;
    if let Some(existing) = adopt::existing_image(&ctx.out, chapter, number) {
        hand_back(slot, more, back);
        let done = Done::Image(existing, Usage::default());
        let completed = record(ctx, chapter, number, done, (worker.clone(), notes)).await?;
        report.adopted += 1;
        ctx.event(Event::ImageDone {
            chapter: chapter.0,
            scene: number.0,
            adopted: true,
        });
        return Ok(completed);
    }
    let briefs = ctx.elements_for(scene);
    // A damaged style.json would give every picture a different look: the chapter fails
    // with the file named instead.
    let style = ctx
        .style()
        .map_err(|e| ChapterError::Chapter(e.display_chain()))?
        .map(|s| s.line());
    // The portraits of the characters shown: waited for (or drawn) first, sent along when the
    // model takes reference pictures.
    let references = portraits::references_for(ctx, &briefs, worker, known)
        .await
        .map_err(|e| {
            if crate::pipeline::analysis::is_fatal(&e) {
                ChapterError::Abort(e)
            } else {
                ChapterError::Chapter(format!("scene {number}: {}", e.display_chain()))
            }
        })?;
    let labels = reference_labels(&references).chars().count();
    let request = scene_request(
        &ctx.book.title,
        chapter,
        &scenes.title,
        scene,
        &briefs,
        style.as_deref(),
        ctx.image.max_prompt_chars().saturating_sub(labels),
    );
    let request = with_references(request, references);
    // Written while the request is in flight (its two fsyncs would keep the image slot idle)
    // and before the scene is recorded, so the scene page shows what was asked even when the
    // answer is a refusal.
    let prompt_file = ctx
        .out
        .join(store::layout::prompt_file_name(chapter, number));
    let slots = ctx.image_slots();
    let (written, generated) = tokio::join!(
        ctx.write_file(prompt_file, request.prompt.clone().into_bytes()),
        with_slot(&slots, ctx.image.generate(&request, &ctx.options.image))
    );
    // The answer is in: the chapter's last scene lets its slot go now, so the next chapter is
    // claimed and asked for while this image is written and recorded (their fsyncs need no
    // image slot). The image is still on disk before the scene is recorded, and recorded
    // before the chapter completes: only the next claim moved earlier.
    hand_back(slot, more, back);
    written.map_err(|e| scene_write_error(number, e))?;
    match generated {
        Ok((bytes, meta)) => {
            // Said once: the model refused the reference pictures and drew from the prompt.
            if let Some(note) = meta.note {
                ctx.event(Event::Note(note));
            }
            let relative = write_image(ctx, chapter, number, bytes).await?;
            let usage = Usage {
                images: 1,
                ..Usage::default()
            };
            let done = Done::Image(relative, usage);
            let completed = record(ctx, chapter, number, done, (worker.clone(), notes)).await?;
            report.images += 1;
            ctx.event(Event::ImageDone {
                chapter: chapter.0,
                scene: number.0,
                adopted: false,
            });
            Ok(completed)
        }
        Err(provider::Error::Rejected { reason, .. }) => {
            let done = Done::Rejected(reason.clone());
            let completed = record(ctx, chapter, number, done, (worker.clone(), notes)).await?;
            report.rejected += 1;
            ctx.event(Event::ImageRejected {
                chapter: chapter.0,
                scene: number.0,
                reason,
            });
            Ok(completed)
        }
        Err(err) if err.stops_the_run() => Err(ChapterError::Abort(err.into())),
        Err(err) => Err(ChapterError::Chapter(format!("scene {number}: {err}"))),
    }
}

/// Who draws a scene and what it is part of: the claiming worker, `more` when the chapter has
/// scenes after it (its slot is kept for them), the chapter's notes, the report to count it in.
struct Drawing<'a> {
    worker: &'a WorkerId,
    more: bool,
    /// The portraits as read with the chapter's claim (its first scene only).
    known: Option<portraits::Portraits>,
    notes: &'a Notes,
    report: &'a mut WorkerReport,
}

/// Taken while a scene is recorded: noted in its chapter's file (`chapters/NNN.json`, read,
/// changed and written whole: scenes drawn side by side would otherwise lose each other's
/// notes), then in the state. Holds how many of the chapter's scenes are still to be recorded:
/// the last one's record also completes the chapter (one manifest write, not two), whichever
/// scene it is.
type Notes = tokio::sync::Mutex<usize>;

/// Where a scene's slot goes back to its chapter's loop for the chapter's next scene.
type SlotBack = tokio::sync::mpsc::UnboundedSender<ImageSlot>;

/// Sends the slot back for the chapter's next scene (`more`), or lets it go: the chapter's
/// last scene frees it for the next claim. A loop that stopped listening (the chapter ended)
/// lets it go too.
fn hand_back(slot: ImageSlot, more: bool, back: &SlotBack) {
    if more {
        let _ = back.send(slot);
    }
}

/// Writes the image under the extension its bytes say; a failed write leaves no partial file.
async fn write_image(
    ctx: &Context,
    chapter: ChapterNo,
    scene: SceneNo,
    bytes: Vec<u8>,
) -> Result<String, ChapterError> {
    let Some(format) = ImageFormat::detect(&bytes) else {
        return Err(ChapterError::Chapter(format!(
            "scene {scene}: {} returned bytes that are not a PNG, JPEG or WebP image",
            ctx.image.name()
        )));
    };
    let relative = store::layout::image_file_name(chapter, scene, format.extension());
    let path = ctx.out.join(&relative);
    // Created only if absent: another worker that drew this scene (a claim taken over while
    // its request was in flight) keeps its image, and a whole one is as good as ours.
    let put = ctx.create_file(path.clone(), bytes.clone()).await;
    let existing_is_whole = match put.map_err(|e| scene_write_error(scene, e))? {
        Put::Created => return Ok(relative),
        Put::Existed => ctx
            .read_file(path.clone())
            .await
            .map_err(|e| scene_write_error(scene, e))?
            .is_some_and(|b| adopt::is_complete_image(&b)),
    };
    if !existing_is_whole {
        ctx.write_file(path, bytes)
            .await
            .map_err(|e| scene_write_error(scene, e))?;
    }
    Ok(relative)
}

/// A failed write of a scene's file fails its chapter, except a full disk: every later write
/// would fail too, so the run stops (nothing marked failed) and a re-run after freeing space
/// continues.
fn scene_write_error(scene: SceneNo, err: store::Error) -> ChapterError {
    if err.is_disk_full() {
        ChapterError::Abort(err.into())
    } else {
        ChapterError::Chapter(format!("scene {scene}: {err}"))
    }
}

/// How a scene ended.
enum Done {
    /// Its image is at this relative path; the call cost this.
    Image(String, Usage),
    /// The provider refused it for this reason.
    Rejected(String),
}

/// Records the scene (in `chapters/NNN.json`, then in the manifest) and, when it is the last of
/// the chapter's scenes to be recorded, completes the chapter for `worker` in the same manifest
/// write. Returns whether the chapter was completed.
async fn record(
    ctx: &Arc<Context>,
    chapter: ChapterNo,
    scene: SceneNo,
    done: Done,
    (worker, notes): (WorkerId, &Notes),
) -> Result<bool, ChapterError> {
    let (outcome, usage) = match done {
        Done::Image(relative, usage) => (SceneOutcome::Image(relative), usage),
        Done::Rejected(reason) => (SceneOutcome::Rejected(reason), Usage::default()),
    };
    // Before the state records it, and outside the state's transaction: a file write (two
    // fsyncs) there would hold up every other task's commit.
    let out = ctx.out.clone();
    let noted = outcome.clone();
    let mut unrecorded = notes.lock().await;
    let finish = (*unrecorded == 1).then_some(worker);
    tokio::task::spawn_blocking(move || note_scene(&out, chapter, scene, &noted))
        .await
        .map_err(|e| {
            ChapterError::Abort(Error::Task {
                what: "scene file",
                source: e,
            })
        })?
        .map_err(|e| scene_write_error(scene, e))?;
    let completed = ctx
        .state(move |s| {
            s.record_scene(chapter, scene, &outcome, usage, finish.as_ref(), Utc::now())
        })
        .await
        .map_err(ChapterError::Abort)?;
    *unrecorded = unrecorded.saturating_sub(1);
    Ok(completed)
}

/// Renews the claim every `leaseSecs / 4` while the chapter is being drawn, until stopped or
/// dropped.
pub(crate) struct Heartbeat {
    task: tokio::task::JoinHandle<()>,
    /// Set when a heartbeat finds the claim taken over by another worker.
    lost: Arc<AtomicBool>,
}

impl Heartbeat {
    pub(crate) fn start(ctx: Arc<Context>, chapter: ChapterNo, worker: WorkerId) -> Self {
        let every = (ctx.lease() / 4).max(Duration::from_millis(250));
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let worker = worker.clone();
                let beat = ctx
                    .state(move |s| s.heartbeat(chapter, &worker, Utc::now()))
                    .await;
                if let Err(err) = beat {
                    if matches!(err, Error::Store(store::Error::ClaimLost { .. })) {
                        flag.store(true, Ordering::SeqCst);
                    }
                    break;
                }
            }
        });
        Heartbeat { task, lost }
    }

    fn stop(self) {}
}

/// A panicking illustrator drops its heartbeat while unwinding: the claim must stop being
/// renewed then too, or a dead chapter would look alive until the process ends.
impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}
