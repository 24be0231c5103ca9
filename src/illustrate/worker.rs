//! One illustrator: claim an analyzed chapter (lease), draw each scene not yet done, record it
//! right after its file is written, heartbeat, complete; repeat until nothing is left.

use crate::analyze::model::{ChapterScenes, Scene};
use crate::error::Error;
use crate::ids::{ChapterNo, SceneNo};
use crate::illustrate::adopt;
use crate::illustrate::prompt::scene_request;
use crate::pipeline::context::{Context, ImageSlot};
use crate::pipeline::progress::Event;
use crate::pipeline::shutdown::Shutdown;
use crate::pipeline::wake::Waiter;
use crate::provider::{self, ImageFormat, Usage};
use crate::report::plural;
use crate::store::liveness::Workers;
use crate::store::{self, Manifest, SceneOutcome, Status, WorkerId};
use chrono::{DateTime, Utc};
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

/// Runs one illustrator until nothing is left to claim (or shutdown). With `wait_first` it
/// starts by waiting for a wake-up (nothing can be claimable before the analysis says so).
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
    let mut said_waiting = false;
    if wait_first {
        tokio::select! {
            () = waiter.wait() => {}
            () = shutdown.recv() => {
                alive.retire();
                return Ok(report);
            }
        }
    }
    while !shutdown.is_shutdown() {
        let slot = tokio::select! {
            slot = ctx.image_slot() => slot?,
            () = shutdown.recv() => break,
        };
        if shutdown.is_shutdown() {
            break;
        }
        if let Some(chapter) = claim(&ctx, &worker).await? {
            illustrate_chapter(&ctx, chapter, &worker, slot, &shutdown, &mut report).await?;
            continue;
        }
        drop(slot);
        let running = analysis_running.load(Ordering::SeqCst);
        let rules = Rules {
            selected: ctx.selected.clone(),
            lease: ctx.lease(),
            workers: ctx.state.workers(),
            analyzer_here: ctx.options.phases.scenes,
            wait_for_others: ctx.options.wait_for_others,
        };
        let left = ctx.read(move |m| remaining(m, &rules, running)).await?;
        let mut poll = None;
        match left {
            Remaining::Nothing => break,
            Remaining::Claimable => continue,
            Remaining::HeldElsewhere(held) => {
                ctx.note_on_change(held_key(&held), held_note(&held, Utc::now()));
                // A holder's death makes no file event: look again soon to take over at once.
                poll = Some(HELD_POLL);
            }
            Remaining::Pending(n) if !ctx.options.phases.scenes && !said_waiting => {
                said_waiting = true;
                ctx.event(Event::Note(format!(
                    "waiting for {} to be analyzed by another imaginize run",
                    plural(n, "chapter")
                )));
            }
            Remaining::Pending(_) => {}
        }
        tokio::select! {
            () = waiter.wait_at_most(poll) => {}
            () = shutdown.recv() => break,
        }
    }
    // Every claim was completed or given back: nothing for a survivor to take over.
    alive.retire();
    Ok(report)
}

/// How often a worker waiting for chapters other workers hold checks whether they still live.
const HELD_POLL: Duration = Duration::from_millis(250);

async fn claim(ctx: &Arc<Context>, worker: &WorkerId) -> Result<Option<ChapterNo>, Error> {
    let selected = ctx.selected.clone();
    let worker = worker.clone();
    let lease = ctx.lease();
    ctx.state(move |s| s.claim_next(&worker, &selected, lease, Utc::now()))
        .await
}

/// What decides whether a worker with nothing to claim is done.
struct Rules {
    selected: Vec<ChapterNo>,
    lease: Duration,
    /// Who says whether a claim's worker lives.
    workers: Workers,
    /// This process analyses (pass 2) the selected chapters.
    analyzer_here: bool,
    /// Chapters held by live workers of other processes are waited for (not `--no-wait`).
    wait_for_others: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Remaining {
    Nothing,
    /// Became claimable since the claim attempt.
    Claimable,
    /// Chapters still waiting for analysis that may yet come.
    Pending(usize),
    /// Chapters that live workers of other processes hold: ours once they finish or die.
    HeldElsewhere(Vec<Held>),
}

/// A chapter another process's worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    chapter: ChapterNo,
    worker: WorkerId,
    since: DateTime<Utc>,
}

/// Whether anything may still become claimable for this worker. An expired claim counts as
/// claimable; one a live worker of this process holds is that worker's to finish.
fn remaining(m: &Manifest, rules: &Rules, analysis_running: bool) -> Remaining {
    let is_selected = |c: ChapterNo| rules.selected.binary_search(&c).is_ok();
    let now = Utc::now();
    if m.next_claimable(is_selected, rules.lease, now, &rules.workers)
        .is_some()
    {
        return Remaining::Claimable;
    }
    let held = held_elsewhere(m, &is_selected);
    if rules.wait_for_others && !held.is_empty() {
        return Remaining::HeldElsewhere(held);
    }
    let pending = m
        .chapters_with(Status::Pending)
        .into_iter()
        .filter(|c| is_selected(*c))
        .count();
    // Another process's analyzer may still deliver; ours, once stopped, will not.
    let may_come = analysis_running || (!rules.analyzer_here && !m.analyze_complete);
    if pending > 0 && may_come {
        Remaining::Pending(pending)
    } else {
        Remaining::Nothing
    }
}

/// The selected chapters being illustrated by workers of other processes (alive, or the claim
/// would have been claimable).
fn held_elsewhere(m: &Manifest, is_selected: &impl Fn(ChapterNo) -> bool) -> Vec<Held> {
    m.chapters
        .iter()
        .filter(|(no, ch)| is_selected(**no) && ch.status == Status::IllustrationInprogress)
        .filter_map(|(no, ch)| {
            let claim = ch.claim.as_ref()?;
            (!claim.worker.is_this_process()).then(|| Held {
                chapter: *no,
                worker: claim.worker.clone(),
                since: claim.claimed_at,
            })
        })
        .collect()
}

/// Which chapters are held by whom: the waiting note is repeated only when this changes.
fn held_key(held: &[Held]) -> String {
    held.iter()
        .map(|h| format!("{}={}", h.chapter, h.worker))
        .collect::<Vec<_>>()
        .join(",")
}

/// "waiting for 2 chapters that other imaginize processes hold: chapter 4 (pid 17 on host a,
/// for 12s), …" — at most five listed.
fn held_note(held: &[Held], now: DateTime<Utc>) -> String {
    const LISTED: usize = 5;
    let mut parts: Vec<String> = held
        .iter()
        .take(LISTED)
        .map(|h| {
            let secs = now.signed_duration_since(h.since).num_seconds().max(0);
            let pid = h.worker.pid().map_or("?".into(), |p| p.to_string());
            let host = h.worker.host().unwrap_or("?");
            format!(
                "chapter {} (pid {pid} on host {host}, for {secs}s)",
                h.chapter
            )
        })
        .collect();
    if held.len() > LISTED {
        parts.push(format!("and {} more", held.len() - LISTED));
    }
    format!(
        "waiting for {} that other imaginize processes hold (taken over if they die; --no-wait leaves them): {}",
        plural(held.len(), "chapter"),
        parts.join(", ")
    )
}

/// Draws every scene of a claimed chapter that is not yet recorded, then completes it. `slot`
/// is the image slot the chapter was claimed with: its first image uses it.
async fn illustrate_chapter(
    ctx: &Arc<Context>,
    chapter: ChapterNo,
    worker: &WorkerId,
    slot: ImageSlot,
    shutdown: &Shutdown,
    report: &mut WorkerReport,
) -> Result<(), Error> {
    let heartbeat = Heartbeat::start(ctx.clone(), chapter, worker.clone());
    let claimed = Claimed {
        chapter,
        worker,
        lost: &heartbeat.lost,
    };
    let outcome = draw_scenes(ctx, &claimed, slot, shutdown, report).await;
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
    worker: &'a WorkerId,
    lost: &'a AtomicBool,
}

async fn draw_scenes(
    ctx: &Arc<Context>,
    claimed: &Claimed<'_>,
    slot: ImageSlot,
    shutdown: &Shutdown,
    report: &mut WorkerReport,
) -> Result<Drawn, ChapterError> {
    let Claimed {
        chapter,
        worker,
        lost,
    } = *claimed;
    let mut slot = Some(slot);
    let scenes = ctx
        .load_scenes(chapter)
        .map_err(|e| ChapterError::Chapter(e.display_chain()))?;
    if ctx.lookup().is_none() {
        // Another process wrote Elements.md; without it prompts would lack the cast's details.
        if let Err(err) = ctx.load_lookup() {
            ctx.reporter.warn(&format!(
                "drawing without the cast's details: {}",
                err.display_chain()
            ));
        }
    }
    let done = ctx
        .read(move |m| {
            m.chapters
                .get(&chapter)
                .map(|c| c.scenes_done.clone())
                .unwrap_or_default()
        })
        .await
        .map_err(ChapterError::Abort)?;
    let todo: Vec<&Scene> = scenes
        .scenes
        .iter()
        .filter(|s| !done.contains(&s.scene))
        .collect();
    let mut completed = false;
    for (i, scene) in todo.iter().enumerate() {
        let slot = match slot.take() {
            Some(slot) => slot,
            None => {
                let mut stop = shutdown.clone();
                tokio::select! {
                    slot = ctx.image_slot() => slot.map_err(ChapterError::Abort)?,
                    () = stop.recv() => return Ok(Drawn::Stopped),
                }
            }
        };
        // Checked with the slot in hand: a stop that came while waiting for it starts nothing.
        if shutdown.is_shutdown() {
            return Ok(Drawn::Stopped);
        }
        if lost.load(Ordering::SeqCst) {
            return Ok(Drawn::Lost);
        }
        // The last scene's record also completes the chapter: one manifest write, not two.
        let finish = (i + 1 == todo.len()).then_some(worker);
        completed = draw_one(ctx, &scenes, scene, slot, finish, report).await?;
    }
    if !todo.is_empty() && !completed {
        return Ok(Drawn::Lost);
    }
    Ok(Drawn::All { completed })
}

/// Adopts an existing complete file or generates the image, writes it atomically and records it.
/// The image slot is let go once the image is answered, so the next request starts while this
/// one is written and recorded.
async fn draw_one(
    ctx: &Arc<Context>,
    scenes: &ChapterScenes,
    scene: &Scene,
    slot: ImageSlot,
    finish: Option<&WorkerId>,
    report: &mut WorkerReport,
) -> Result<bool, ChapterError> {
    let finish = finish.cloned();
    let chapter = scenes.chapter;
    let number = scene.scene;
    if let Some(existing) = adopt::existing_image(&ctx.out, chapter, number) {
        drop(slot);
        let done = Done::Image(existing, Usage::default());
        let completed = record(ctx, chapter, number, done, finish).await?;
        report.adopted += 1;
        ctx.event(Event::ImageDone {
            chapter: chapter.0,
            scene: number.0,
            adopted: true,
        });
        return Ok(completed);
    }
    let briefs = ctx.elements_for(scene);
    let request = scene_request(
        &ctx.book.title,
        chapter,
        &scenes.title,
        scene,
        &briefs,
        ctx.options.style.as_deref(),
        ctx.image.max_prompt_chars(),
    );
    let generated = ctx.image.generate(&request, &ctx.options.image).await;
    drop(slot);
    match generated {
        Ok((bytes, _meta)) => {
            let relative = write_image(ctx, chapter, number, &bytes)?;
            let usage = Usage {
                images: 1,
                ..Usage::default()
            };
            let done = Done::Image(relative, usage);
            let completed = record(ctx, chapter, number, done, finish).await?;
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
            let completed = record(ctx, chapter, number, done, finish).await?;
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

/// Writes the image under the extension its bytes say; a failed write leaves no partial file.
fn write_image(
    ctx: &Context,
    chapter: ChapterNo,
    scene: SceneNo,
    bytes: &[u8],
) -> Result<String, ChapterError> {
    let Some(format) = ImageFormat::detect(bytes) else {
        return Err(ChapterError::Chapter(format!(
            "scene {scene}: {} returned bytes that are not a PNG, JPEG or WebP image",
            ctx.image.name()
        )));
    };
    let relative = store::layout::image_file_name(chapter, scene, format.extension());
    store::atomic::write(&ctx.out.join(&relative), bytes)
        .map_err(|e| scene_write_error(scene, e))?;
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

/// Records the scene (in `chapters/NNN.json`, then in the manifest) and, when `finish` names
/// the claiming worker, completes the chapter in the same manifest write. Returns whether the
/// chapter was completed.
async fn record(
    ctx: &Arc<Context>,
    chapter: ChapterNo,
    scene: SceneNo,
    done: Done,
    finish: Option<WorkerId>,
) -> Result<bool, ChapterError> {
    let (outcome, usage) = match done {
        Done::Image(relative, usage) => (SceneOutcome::Image(relative), usage),
        Done::Rejected(reason) => (SceneOutcome::Rejected(reason), Usage::default()),
    };
    // Before the state records it, and outside the state's transaction: a file write (two
    // fsyncs) there would hold up every other task's commit.
    let store = ctx.store.clone();
    let noted = outcome.clone();
    tokio::task::spawn_blocking(move || store.note_scene(chapter, scene, &noted))
        .await
        .map_err(|e| ChapterError::Abort(Error::Internal(format!("scene file task failed: {e}"))))?
        .map_err(|e| scene_write_error(scene, e))?;
    ctx.state(move |s| s.record_scene(chapter, scene, &outcome, usage, finish.as_ref(), Utc::now()))
        .await
        .map_err(ChapterError::Abort)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Claim;

    fn manifest(statuses: &[Status]) -> Manifest {
        let mut m = crate::store::test_support::manifest(statuses.len() as u32);
        for (i, status) in statuses.iter().enumerate() {
            let ch = Arc::make_mut(m.chapters.get_mut(&ChapterNo(i as u32 + 1)).unwrap());
            ch.status = *status;
            if *status == Status::IllustrationInprogress {
                ch.claim = Some(Claim {
                    worker: WorkerId::current(),
                    claimed_at: Utc::now(),
                    heartbeat_at: Utc::now(),
                });
            }
        }
        m
    }

    const ALL: [ChapterNo; 3] = [ChapterNo(1), ChapterNo(2), ChapterNo(3)];

    fn rules(selected: &[ChapterNo], analyzer_here: bool, wait_for_others: bool) -> Rules {
        Rules {
            selected: selected.to_vec(),
            lease: Duration::from_secs(60),
            // No lock files there: the claims' pids decide.
            workers: Workers::Folder(std::env::temp_dir().join("imaginize-worker-test-no-folder")),
            analyzer_here,
            wait_for_others,
        }
    }

    /// Gives chapter 1's claim to a live worker of another process (pid 1, init, always runs).
    fn held_by_another_process(m: &mut Manifest) -> WorkerId {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let other = WorkerId(format!("{host}:1:0000beef"));
        let ch = Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap());
        ch.claim.as_mut().unwrap().worker = other.clone();
        other
    }

    #[test]
    fn waits_for_pending_chapters_only_while_an_analyzer_may_deliver() {
        let m = manifest(&[Status::IllustrationComplete, Status::Pending, Status::Error]);
        assert_eq!(
            remaining(&m, &rules(&ALL, true, true), true),
            Remaining::Pending(1)
        );
        assert_eq!(
            remaining(&m, &rules(&ALL, true, true), false),
            Remaining::Nothing
        );
        assert_eq!(
            remaining(&m, &rules(&ALL, false, true), false),
            Remaining::Pending(1)
        );
        let mut done = m.clone();
        done.analyze_complete = true;
        assert_eq!(
            remaining(&done, &rules(&ALL, false, true), false),
            Remaining::Nothing
        );
    }

    #[test]
    fn live_claims_of_this_process_are_left_to_their_worker_and_selection_is_respected() {
        let m = manifest(&[
            Status::IllustrationInprogress,
            Status::Analyzed,
            Status::Pending,
        ]);
        assert_eq!(
            remaining(&m, &rules(&ALL, true, true), false),
            Remaining::Claimable
        );
        let first = [ChapterNo(1)];
        assert_eq!(
            remaining(&m, &rules(&first, true, true), false),
            Remaining::Nothing
        );
    }

    #[test]
    fn chapters_another_live_process_holds_are_waited_for_unless_no_wait() {
        let mut m = manifest(&[Status::IllustrationInprogress, Status::IllustrationComplete]);
        let other = held_by_another_process(&mut m);
        let first = [ChapterNo(1)];
        let Remaining::HeldElsewhere(held) = remaining(&m, &rules(&first, true, true), false)
        else {
            panic!("a chapter another process holds did not make the worker wait");
        };
        assert_eq!(held.len(), 1);
        assert_eq!((held[0].chapter, &held[0].worker), (ChapterNo(1), &other));
        assert_eq!(
            remaining(&m, &rules(&first, true, false), false),
            Remaining::Nothing,
            "--no-wait leaves it to its holder"
        );
    }

    #[test]
    fn the_waiting_note_names_pid_host_and_time_and_counts_in_words() {
        let since = Utc::now();
        let held: Vec<Held> = (1..=7)
            .map(|n| Held {
                chapter: ChapterNo(n),
                worker: WorkerId(format!("box:4242:{n:08x}")),
                since,
            })
            .collect();
        let note = held_note(&held[..1], since + chrono::Duration::seconds(12));
        assert!(note.contains("1 chapter that"), "{note}");
        assert!(
            note.contains("chapter 1 (pid 4242 on host box, for 12s)"),
            "{note}"
        );
        let many = held_note(&held, since);
        assert!(many.contains("7 chapters"), "{many}");
        assert!(many.contains("and 2 more"), "{many}");
        assert_ne!(held_key(&held[..1]), held_key(&held[..2]));
    }
}
