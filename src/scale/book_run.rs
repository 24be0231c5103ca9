//! One run of a queued book on this worker: the book file fetched into an empty working
//! folder, the submitted flags over the worker's configuration, the state in `PgState` (keyed
//! by the queue id), the files in the book's artifacts, then the usual `prepare` and
//! `orchestrate::run`. A holder runs every phase and shares the cast; a helper only
//! illustrates (`--images --no-wait`).

use super::worker::{Worker, blocking};
use super::{book_artifacts, local_files, source_key};
use crate::cli::Args;
use crate::config;
use crate::error::Error;
use crate::pipeline::analysis;
use crate::pipeline::context::{CastCopy, Context};
use crate::pipeline::orchestrate::{self, Totals};
use crate::pipeline::prepare::prepare;
use crate::pipeline::renderer::Renders;
use crate::pipeline::shutdown::Shutdown;
use crate::provider;
use crate::run::job::selected_chapters;
use crate::store::artifacts::Artifacts;
use crate::store::postgres::queue::Taken;
use crate::store::{BookState, atomic};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether a run of a book holds it (runs every phase, ends it in the queue) or helps its
/// holder (illustration only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Holder,
    Helper,
}

/// How a run of a book ended.
pub(super) struct Ran {
    pub stopped: bool,
    pub totals: Totals,
    /// Selected chapters neither finished nor failed.
    pub left: usize,
}

/// The usual pipeline on the taken book, in `dir`.
pub(super) async fn run_book(
    worker: &Arc<Worker>,
    taken: &Taken,
    dir: &Path,
    stop: Shutdown,
    role: Role,
) -> Result<Ran, Error> {
    let nothing = Ran {
        stopped: false,
        totals: Totals::default(),
        left: 0,
    };
    let Some((ctx, artifacts)) = context(worker, taken, dir, role, stop.clone()).await? else {
        return Ok(nothing);
    };
    if role == Role::Helper {
        // The holder's cast and style are the book's; a helper only reads them. Its
        // illustrators wait for the chapters the holder's analysis has still to deliver, and
        // look again as soon as the queue says one became claimable.
        let nudged = forward_nudges(worker.nudges.of(&taken.id), ctx.clone());
        let outcome = orchestrate::run(ctx, stop).await;
        nudged.abort();
        let outcome = outcome?;
        return Ok(Ran {
            stopped: outcome.interrupted.is_some(),
            ..nothing
        });
    }
    // A cast complete when the run starts is shared at once: no card will be written.
    if matches!(analysis::cast_complete(&ctx).await, Ok(true)) {
        ctx.cast_written().await?;
    }
    let outcome = orchestrate::run(ctx.clone(), stop).await;
    let (a, o) = (artifacts, ctx.out.clone());
    blocking(move || local_files::push(a.as_ref(), &o)).await?;
    let outcome = outcome?;
    let state = ctx.state.clone();
    let manifest = blocking(move || state.snapshot()).await?;
    let manifest = manifest.ok_or_else(|| Error::Internal("the book's state vanished".into()))?;
    let totals = orchestrate::totals(&manifest, &ctx.selected);
    let finished = if ctx.options.phases.images {
        totals.illustrated
    } else {
        totals.analyzed
    };
    Ok(Ran {
        stopped: outcome.interrupted.is_some(),
        left: totals
            .chapters
            .saturating_sub(finished + totals.failed.len()),
        totals,
    })
}

/// Wakes the run's waiting illustrators each time the worker is nudged, until aborted.
fn forward_nudges(
    nudge: Arc<tokio::sync::Notify>,
    ctx: Arc<Context>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            nudge.notified().await;
            ctx.wake.bump();
        }
    })
}

/// The run's context, prepared: `None` when there is nothing to run (no chapter selected, or
/// a helper whose book ended, or stopped, before the holder shared the cast).
async fn context(
    worker: &Arc<Worker>,
    taken: &Taken,
    dir: &Path,
    role: Role,
    stop: Shutdown,
) -> Result<Option<(Arc<Context>, Arc<dyn Artifacts>)>, Error> {
    let out = dir.join("out");
    let (w, t, d) = (worker.clone(), taken.clone(), dir.to_path_buf());
    let (artifacts, book_path) = blocking(move || fetch_book(&w, &t, &d)).await?;
    let mut options = book_options(worker, taken, &book_path, &out, role)?;
    // This worker opens the state and the artifacts itself (keyed by the queue's id).
    options.store = None;
    options.artifacts = None;
    // Its copy of the book goes with the working folder (`export` records its own), and
    // a helper noting it would take the book's lock for a whole-book write.
    options.record_book_path = false;
    let path = book_path.clone();
    let book = blocking(move || crate::book::load(&path)).await?;
    // The same seed a local run of the book uses (`run::job`).
    options.image.seed = Some(crate::provider::book_seed(&book.title));
    let selected = selected_chapters(&book, &options)?;
    if selected.is_empty() {
        return Ok(None);
    }
    // A helper joins a book from its start: ready (the book fetched and read) by the time
    // the holder shares the cast, it draws at once.
    if role == Role::Helper && !cast_shared(worker, taken, stop).await? {
        return Ok(None);
    }
    let state: Arc<dyn BookState> = Arc::new(worker.queue.book_state(&taken.id));
    let (a, o) = (artifacts.clone(), out.clone());
    blocking(move || {
        atomic::create_dir(&o)?;
        local_files::pull(a.as_ref(), &o).map(drop)
    })
    .await?;
    if role == Role::Helper && !out.join(crate::store::layout::ELEMENTS_MD).exists() {
        return Ok(None);
    }
    let (s, o, b, opts, sel, r) = (
        state.clone(),
        out.clone(),
        book.clone(),
        options.clone(),
        selected.clone(),
        worker.reporter.clone(),
    );
    blocking(move || prepare(s.as_ref(), &o, &b, &book_path, &opts, &sel, &r).map(drop)).await?;
    worker.reporter.info(&format!(
        "book {} ({}): {} chapters",
        taken.id,
        book.title,
        selected.len()
    ));
    let models = provider::build(&options.provider)?;
    let models = super::budget::wrap(models, &options.provider, &worker.queue, &worker.reporter);
    let context = Context::new(
        options,
        book,
        out,
        state,
        models,
        worker.reporter.clone(),
        selected,
    )
    .with_artifacts(artifacts.clone())
    .with_slots(worker.text_slots.clone(), worker.image_slots.clone());
    // Nobody reads a worker's Chapters.md or Contents.md: only the cast files go up, and
    // `export` renders the rest from the artifacts. A final render would read every chapter
    // file and the book's whole state, and make four fsyncs, for nothing (in the holder,
    // between the book's last image and its end).
    let context = match role {
        Role::Holder => context
            .with_renders(Renders::Never)
            .with_cast_copy(Arc::new(HolderCast {
                worker: worker.clone(),
                taken: taken.clone(),
                artifacts: artifacts.clone(),
                shared: AtomicBool::new(false),
            })),
        Role::Helper => context
            .with_renders(Renders::Never)
            .with_cast_copy(Arc::new(HelperCast {
                artifacts: artifacts.clone(),
            })),
    };
    Ok(Some((Arc::new(context), artifacts)))
}

/// How often a helper waiting for the holder's cast looks again without a wake-up (the
/// holder's `share_cast` notifies; this covers a lost listener).
const CAST_POLL: Duration = Duration::from_secs(1);

/// Waits until the holder has shared the book's cast: `true` then; `false` when the book is no
/// longer held (it ended or went back to the queue) or the worker stops.
async fn cast_shared(
    worker: &Arc<Worker>,
    taken: &Taken,
    mut stop: Shutdown,
) -> Result<bool, Error> {
    loop {
        // Armed before the look, so a wake-up between the look and the wait is not missed.
        let nudge = worker.nudges.of(&taken.id);
        let woken = nudge.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let (w, book) = (worker.clone(), taken.id.clone());
        match blocking(move || w.queue.cast_shared(&book)).await? {
            Some(true) => return Ok(true),
            None => return Ok(false),
            Some(false) => {}
        }
        tokio::select! {
            () = woken => {}
            () = stop.recv() => return Ok(false),
            () = tokio::time::sleep(CAST_POLL) => {}
        }
    }
}

/// A holder's side of the book's shared cast: copied up as it is written (a chapter becomes
/// claimable only after its cast's cards are, so a helper that brings it down before drawing
/// has them); once Elements.md is up, the queue says other workers may help.
struct HolderCast {
    worker: Arc<Worker>,
    taken: Taken,
    artifacts: Arc<dyn Artifacts>,
    shared: AtomicBool,
}

impl CastCopy for HolderCast {
    fn written(&self, out: &Path) -> Result<(), Error> {
        local_files::push(self.artifacts.as_ref(), out)?;
        let whole = crate::store::layout::elements_md_path(out).exists();
        if whole && !self.shared.swap(true, Ordering::SeqCst) {
            let (w, t) = (&self.worker, &self.taken);
            if let Err(err) = w.queue.share_cast(&t.id, &w.id, t.attempt) {
                w.reporter
                    .verbose(&format!("other workers cannot help with this book: {err}"));
            }
        }
        Ok(())
    }

    fn before_drawing(&self, _out: &Path) -> Result<(), Error> {
        Ok(())
    }
}

/// A helper's side: it writes no cast of its own, and brings the holder's newest down before
/// each picture.
struct HelperCast {
    artifacts: Arc<dyn Artifacts>,
}

impl CastCopy for HelperCast {
    fn written(&self, _out: &Path) -> Result<(), Error> {
        Ok(())
    }

    fn before_drawing(&self, out: &Path) -> Result<(), Error> {
        local_files::refresh(self.artifacts.as_ref(), out)?;
        Ok(())
    }
}

/// The book's artifacts, and its file copied into `dir`.
fn fetch_book(
    worker: &Worker,
    taken: &Taken,
    dir: &Path,
) -> Result<(Arc<dyn Artifacts>, PathBuf), Error> {
    let artifacts: Arc<dyn Artifacts> = Arc::new(book_artifacts(&worker.root, &taken.id)?);
    let key = source_key(&taken.file_name)?;
    let bytes = artifacts.get(&key)?.ok_or_else(|| {
        Error::Usage(format!(
            "book {}: its file `{key}` is not in `{}`",
            taken.id,
            artifacts.location()
        ))
    })?;
    let path = dir.join(&taken.file_name);
    atomic::write_creating_folder(&path, &bytes)?;
    Ok((artifacts, path))
}

/// The run's options: the submitted flags over this worker's configuration (its keys, base
/// URLs and limits, from its config files and environment).
fn book_options(
    worker: &Worker,
    taken: &Taken,
    book_path: &Path,
    out: &Path,
    role: Role,
) -> Result<config::Options, Error> {
    let mut argv: Vec<String> = vec!["imaginize".into(), "--file".into()];
    argv.push(book_path.display().to_string());
    argv.extend(["--output-dir".into(), out.display().to_string()]);
    argv.extend(taken.settings.iter().cloned());
    if let Some(jobs) = worker.args.jobs {
        argv.extend(["--jobs".into(), jobs.to_string()]);
    }
    if let Some(jobs) = worker.args.image_jobs {
        argv.extend(["--image-jobs".into(), jobs.to_string()]);
    }
    if role == Role::Helper {
        // Illustration only; chapters the holder or other helpers hold are theirs.
        argv.extend(["--images".into(), "--no-wait".into()]);
    } else if taken.attempt > 1 {
        // A book taken again retries the chapters an earlier run failed.
        argv.push("--retry-failed".into());
    }
    let parsed = Args::try_parse_from(&argv).map_err(|e| {
        Error::Usage(format!(
            "book {}: its settings are not valid flags: {e}",
            taken.id
        ))
    })?;
    let resolved = config::resolve(&parsed.run, worker.verbosity, &worker.env)?;
    for warning in &resolved.warnings {
        worker.reporter.warn(warning);
    }
    Ok(resolved.options)
}
