//! The run itself: analysis and illustration one after the other (sequential) or at once
//! (concurrent, the default), both over the same code below this file. Ends with a final render
//! and the summary (the manifest's `analyze_complete` / `illustrate_complete` flags are kept
//! current by every commit).

use crate::config::ExecMode;
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::illustrate::worker::{self, AnalysisRunning, WorkerReport};
use crate::pipeline::analysis::{self, AnalysisReport};
use crate::pipeline::context::Context;
use crate::pipeline::renderer;
use crate::pipeline::shutdown::{Shutdown, Signal};
use crate::pipeline::wake::Waiter;
use crate::provider::Usage;
use crate::store::{Manifest, Status};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a run did, for the summary and the exit code.
#[derive(Debug, Default)]
pub struct Outcome {
    pub analysis: AnalysisReport,
    pub images: WorkerReport,
    pub elapsed: Duration,
    /// The signal that stopped the run early, if one did.
    pub interrupted: Option<Signal>,
}

/// Runs the phases the options ask for, in the chosen mode.
pub async fn run(ctx: Arc<Context>, shutdown: Shutdown) -> Result<Outcome, Error> {
    let started = Instant::now();
    let (stop_render, render_stopped) = tokio::sync::oneshot::channel();
    let render = tokio::spawn(renderer::run(ctx.clone(), render_stopped));
    // Every picture carries the cards and the style: they are complete before any is drawn.
    let mut completed = analysis::complete_cast(&ctx).await;
    if completed.is_ok() {
        // A cast made by an earlier run: its portraits (none before portraits existed).
        completed = crate::illustrate::portraits::want_portraits(&ctx).await;
    }
    let selected = ctx.selected.clone();
    let waiting = ctx.read(move |m| images_waiting(m, &selected)).await?;
    ctx.plan_images(waiting);
    let result = match (completed, ctx.options.mode) {
        (Err(err), _) => Err(err),
        (Ok(()), ExecMode::Concurrent) => concurrent(&ctx, &shutdown, waiting == 0).await,
        (Ok(()), ExecMode::Sequential) => sequential(&ctx, &shutdown).await,
    };
    let _ = stop_render.send(());
    let _ = render.await;
    ctx.progress.finish();
    let (analysis, images) = result?;
    Ok(Outcome {
        analysis,
        images,
        elapsed: started.elapsed(),
        interrupted: shutdown.signal(),
    })
}

async fn sequential(
    ctx: &Arc<Context>,
    shutdown: &Shutdown,
) -> Result<(AnalysisReport, WorkerReport), Error> {
    let running = Arc::new(AtomicBool::new(false));
    let analysis = analysis::run(ctx.clone(), shutdown.clone()).await?;
    let images = illustrate(ctx, running, shutdown, waiters(ctx), false).await?;
    Ok((analysis, images))
}

/// Analysis and illustrators start together; each analyzed chapter wakes the illustrators.
/// With nothing to draw yet (`nothing_waiting`) and the analysis here, they start by waiting for
/// that wake instead of all reading the manifest while pass 1 gets its requests out.
async fn concurrent(
    ctx: &Arc<Context>,
    shutdown: &Shutdown,
    nothing_waiting: bool,
) -> Result<(AnalysisReport, WorkerReport), Error> {
    let running = Arc::new(AtomicBool::new(true));
    // Subscribed before the analysis starts, so no wake-up can come before them.
    let waiters = waiters(ctx);
    let wait_first = nothing_waiting && ctx.options.phases.scenes;
    let analysis = {
        let ctx = ctx.clone();
        let running = running.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let report = analysis::run(ctx.clone(), shutdown).await;
            running.store(false, Ordering::SeqCst);
            ctx.wake.bump();
            report
        })
    };
    let images = illustrate(ctx, running, shutdown, waiters, wait_first).await;
    let analysis = analysis.await.map_err(|source| Error::Task {
        what: "analysis",
        source,
    })?;
    Ok((analysis?, images?))
}

/// One waiter per illustrator: `2 × --image-jobs`. An illustrator claims a chapter only with
/// one of the process's `--image-jobs` image slots in hand and lets the slot go once its image
/// is answered, so the spare illustrators claim and start the next image while the others do
/// the bookkeeping of the last one (write the file, record it, complete the chapter: each an
/// fsync'd commit under the lock), and no image slot idles on the disk.
fn waiters(ctx: &Context) -> Vec<Waiter> {
    (0..ctx.options.provider.image_jobs.max(1) * 2)
        .map(|_| ctx.wake.waiter(ctx.poll()))
        .collect()
}

/// Runs one illustrator per waiter until nothing is left; nothing when images are not asked.
async fn illustrate(
    ctx: &Arc<Context>,
    running: AnalysisRunning,
    shutdown: &Shutdown,
    waiters: Vec<Waiter>,
    wait_first: bool,
) -> Result<WorkerReport, Error> {
    if !ctx.options.phases.images {
        return Ok(WorkerReport::default());
    }
    // Another process's analyzer signals through the manifest file.
    let _watcher = (!ctx.options.phases.scenes)
        .then(|| ctx.wake.watch_dir(&ctx.out))
        .flatten();
    let workers: Vec<_> = waiters
        .into_iter()
        .map(|waiter| {
            tokio::spawn(worker::run(
                ctx.clone(),
                waiter,
                running.clone(),
                shutdown.clone(),
                wait_first,
            ))
        })
        .collect();
    let mut total = WorkerReport::default();
    let mut first_error = None;
    for handle in workers {
        match handle.await {
            Ok(Ok(report)) => add(&mut total, report),
            Ok(Err(err)) => {
                first_error.get_or_insert(err);
            }
            Err(join) => {
                first_error.get_or_insert(Error::Task {
                    what: "illustrator",
                    source: join,
                });
            }
        }
    }
    first_error.map_or(Ok(total), Err)
}

fn add(total: &mut WorkerReport, report: WorkerReport) {
    total.chapters += report.chapters;
    total.images += report.images;
    total.adopted += report.adopted;
    total.rejected += report.rejected;
    total.failed.extend(report.failed);
}

/// Images still to draw for chapters already analyzed.
fn images_waiting(m: &Manifest, selected: &[ChapterNo]) -> usize {
    selected
        .iter()
        .filter_map(|no| m.chapters.get(no))
        .filter(|c| matches!(c.status, Status::Analyzed | Status::IllustrationInprogress))
        .map(|c| (c.concepts as usize).saturating_sub(c.scenes_done.len()))
        .sum()
}

/// Totals over the selected chapters, from the manifest after the run.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    pub chapters: usize,
    pub analyzed: usize,
    pub illustrated: usize,
    pub scenes: usize,
    pub images: usize,
    /// Reference portraits drawn (or taken from a series).
    pub portraits: usize,
    pub failed: Vec<(ChapterNo, String)>,
    pub usage: Usage,
}

/// Counts what the manifest holds for `selected`.
pub fn totals(m: &Manifest, selected: &[ChapterNo]) -> Totals {
    let mut t = Totals::default();
    for no in selected {
        let Some(ch) = m.chapters.get(no) else {
            continue;
        };
        t.chapters += 1;
        t.analyzed += usize::from(ch.analyzed_at.is_some() && ch.status != Status::Pending);
        // A chapter the review loop reopened (`imaginize regenerate`) stays illustrated: a run
        // that ends meanwhile has not left it unfinished.
        let reviewed = ch.status == Status::IllustrationInprogress && ch.illustrated_at.is_some();
        t.illustrated += usize::from(ch.status == Status::IllustrationComplete || reviewed);
        t.scenes += ch.concepts as usize;
        t.images += ch.scenes_done.len();
        t.usage += ch.usage;
        if ch.status == Status::Error {
            let reason = ch.error.clone().unwrap_or_else(|| "unknown error".into());
            t.failed.push((*no, reason));
        }
    }
    t.portraits = m.portraits.values().filter(|p| p.image.is_some()).count();
    t
}
