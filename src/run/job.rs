//! The main job: resolve options, read the book, prepare the output folder, run the pipelines on
//! a tokio runtime with signal handling, print the summary, compile if asked.

use crate::book::Book;
use crate::cli::ServeArgs;
use crate::config::{self, Environment, ExecMode, Options, Verbosity};
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::pipeline::analysis::AnalysisReport;
use crate::pipeline::context::Context;
use crate::pipeline::orchestrate::{self, Outcome, Totals};
use crate::pipeline::prepare::prepare;
use crate::pipeline::run_report::{self, Recorded, Recorder};
use crate::pipeline::shutdown;
use crate::provider;
use crate::report::{Reporter, plural};
use crate::run::{Failure, default_output_dir, pick_book};
use crate::store::artifacts::{Artifacts, Object};
use crate::store::{self, BookState, PgState};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub fn main_job(
    run_args: &crate::cli::RunArgs,
    reporter: &Reporter,
    env: &Environment,
    verbosity: Verbosity,
) -> Result<(), Failure> {
    let resolved = config::resolve(run_args, verbosity, env)?;
    for warning in &resolved.warnings {
        reporter.warn(warning);
    }
    let mut options = resolved.options;
    if let Some(dir) = &options.series {
        // The series' style, when this book has none of its own in config; checked before any
        // work, so a wrong folder fails at once.
        let (series, _) = crate::series::Series::open(dir)?.read()?;
        if options.style.is_none() {
            options.style = series.style;
        }
    }
    let book_path = match &options.book {
        Some(path) => path.clone(),
        None => {
            let path = pick_book(&env.cwd)?;
            reporter.info(&format!(
                "using `{}` (pass --file to choose another book)",
                path.display()
            ));
            path
        }
    };
    let book = crate::book::load(&book_path)?;
    for warning in &book.warnings {
        reporter.warn(warning);
    }
    // One seed per book, where the image API takes one: a model without reference pictures
    // keeps more of a look from scene to scene.
    options.image.seed = Some(provider::book_seed(&book.title));
    let selected = selected_chapters(&book, &options)?;
    if selected.is_empty() {
        reporter.info(&format!(
            "nothing to do: `{}` has no story chapters (only front and back matter); see `imaginize inspect`",
            book_path.display()
        ));
        return Ok(());
    }
    if options.estimate {
        return Ok(super::estimate::print(
            &book, &selected, &options, reporter,
        )?);
    }
    for notice in &resolved.notices {
        reporter.info(notice);
    }
    let formats = super::outputs::formats(&run_args.compile);
    if formats.is_some() && options.artifacts.is_some() {
        return Err(Failure::Run(Error::Usage(
            "--compile reads the images from the output folder, but --artifacts keeps them in object storage; compile an `imaginize export` of the book instead".into(),
        )));
    }
    if formats.is_some() && options.store.is_some() {
        return Err(Failure::Run(Error::Usage(
            "--compile reads the output folder's manifest, which a --store run does not write yet; run without --compile".into(),
        )));
    }
    let out = options
        .output_dir
        .clone()
        .unwrap_or_else(|| env.cwd.join(default_output_dir(&book_path)));
    let dashboard = run_args
        .serve
        .then(|| dashboard_args(run_args, &options, &out));
    let ran = run_pipeline(
        options,
        book,
        &book_path,
        out.clone(),
        selected,
        reporter,
        dashboard,
    );
    let Some(formats) = formats else {
        return ran;
    };
    match ran {
        Ok(()) => Ok(super::outputs::compile_folder(
            &out, &book_path, formats, reporter,
        )?),
        // Failed chapters are left out (or shown as placeholders) of what is compiled; the run
        // still ends with their error.
        Err(failed @ Failure::Run(Error::ChaptersFailed { .. })) => {
            if let Err(err) = super::outputs::compile_folder(&out, &book_path, formats, reporter) {
                reporter.warn(&format!("could not compile: {}", err.display_chain()));
            }
            Err(failed)
        }
        Err(other) => Err(other),
    }
}

/// `--serve`: the dashboard of this run's folder, its cost at this run's models' prices.
fn dashboard_args(run_args: &crate::cli::RunArgs, options: &Options, out: &Path) -> ServeArgs {
    ServeArgs {
        output_dir: vec![out.to_path_buf()],
        library: None,
        host: run_args
            .serve_host
            .clone()
            .unwrap_or_else(|| "127.0.0.1".to_owned()),
        port: run_args.serve_port.unwrap_or(8080),
        token: None,
        model: options.provider.text.model.clone(),
        image_model: options.provider.image.model.clone(),
        limits: Some((options.provider.jobs, options.provider.image_jobs)),
    }
}

/// The story chapters `--chapters` selects (all when absent); an empty selection of a book that
/// has chapters is a usage error.
pub(crate) fn selected_chapters(book: &Book, options: &Options) -> Result<Vec<ChapterNo>, Error> {
    let all: Vec<ChapterNo> = book.story_chapters().filter_map(|c| c.number).collect();
    let Some(selection) = &options.chapters else {
        return Ok(all);
    };
    let chosen: Vec<ChapterNo> = all
        .iter()
        .copied()
        .filter(|c| selection.contains(*c))
        .collect();
    if chosen.is_empty() && !all.is_empty() {
        return Err(Error::Usage(format!(
            "--chapters selects none of the book's {} story chapters",
            all.len()
        )));
    }
    Ok(chosen)
}

fn run_pipeline(
    options: Options,
    book: Book,
    book_path: &Path,
    out: PathBuf,
    selected: Vec<ChapterNo>,
    reporter: &Reporter,
    dashboard: Option<ServeArgs>,
) -> Result<(), Failure> {
    // The folder and the manifest come first: a read-only path fails before any API call.
    let state = book_state(&options, &out, book_path, reporter)?;
    let prepared = prepare(
        state.as_ref(),
        &out,
        &book,
        book_path,
        &options,
        &selected,
        reporter,
    )?;
    if prepared.recovered > 0 {
        reporter.info(&format!(
            "took back {} whose illustrator stopped without finishing",
            plural(prepared.recovered, "chapter")
        ));
    }
    let artifacts = open_artifacts(&options, &out, reporter)?;
    let models = provider::build(&options.provider)?;
    let mode = match options.mode {
        ExecMode::Concurrent => "concurrent",
        ExecMode::Sequential => "sequential",
    };
    reporter.info(&format!(
        "{}: {}, {mode} mode, output in `{}`",
        book.title,
        crate::report::plural(selected.len(), "chapter"),
        out.display()
    ));
    let mut context = Context::new(
        options,
        book,
        out.clone(),
        state.clone(),
        models,
        reporter.clone(),
        selected.clone(),
    );
    if let Some(artifacts) = &artifacts {
        context = context.with_artifacts(artifacts.clone());
    }
    let ctx = Arc::new(context);
    ctx.start_log(mode);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::System {
            what: "start the async runtime",
            source,
        })?;
    // Subscribed before the first request, so the report sees every one.
    let recorder = runtime.block_on(async { Recorder::start(&ctx) });
    if let Some(dashboard) = &dashboard {
        runtime.block_on(crate::serve::start_beside_run(
            dashboard,
            &out,
            ctx.subscribe(),
            reporter,
        ))?;
    }
    let outcome = runtime.block_on(run_with_signals(ctx.clone()));
    let recorded = runtime.block_on(recorder.finish());
    if let Some(artifacts) = &artifacts {
        // Also after a failed run: the cast it made is kept for the next.
        crate::scale::local_files::push(artifacts.as_ref(), &out)?;
    }
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => {
            // A run stopped by an error (a refused key, a full disk) is reported too.
            let totals = totals_now(state.as_ref(), &selected).unwrap_or_default();
            write_report(&ctx, &recorded, Duration::ZERO, &totals, Some(&err));
            return Err(err.into());
        }
    };
    let totals = totals_now(state.as_ref(), &selected)?;
    keep_series_portraits(&ctx.options, state.as_ref(), &out, reporter);
    let left = unfinished(&ctx.options, &totals);
    write_report(&ctx, &recorded, outcome.elapsed, &totals, None);
    summary(reporter, &outcome, &totals, &out, left);
    ctx.log(
        "🏁",
        &format!(
            "Run ended: {} analyzed, {} images, {} failed",
            totals.analyzed,
            totals.images,
            totals.failed.len()
        ),
    );
    if let Some(signal) = outcome.interrupted {
        return Err(Error::Interrupted(signal).into());
    }
    if !totals.failed.is_empty() {
        return Err(Error::ChaptersFailed {
            failed: totals.failed.len(),
            total: totals.chapters,
        }
        .into());
    }
    match left {
        0 => Ok(()),
        left if !ctx.options.wait_for_others => Err(Error::LeftToOthers {
            left,
            total: totals.chapters,
        }
        .into()),
        left => Err(Error::Unfinished {
            left,
            total: totals.chapters,
        }
        .into()),
    }
}

/// Writes report.html; a report that cannot be written is a warning, never the run's failure.
fn write_report(
    ctx: &Context,
    recorded: &Recorded,
    elapsed: Duration,
    totals: &Totals,
    stopped_by: Option<&Error>,
) {
    let wall_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let failed = totals
        .failed
        .iter()
        .map(|(chapter, reason)| (chapter.0, reason.clone()))
        .collect();
    let run = run_report::RunFacts {
        title: ctx.book.title.clone(),
        wall_ms,
        failed_chapters: failed,
        stopped_by: stopped_by.map(Error::display_chain),
    };
    let written = run_report::write(&ctx.out, recorded, &ctx.options, run);
    if let Err(err) = written {
        ctx.reporter
            .warn(&format!("could not write the run report: {err}"));
    }
}

/// Selected chapters the run was asked to finish that are neither finished nor failed. A run
/// says "Done" (and exits 0) only when this is zero.
fn unfinished(options: &Options, totals: &Totals) -> usize {
    let finished = if options.phases.images {
        totals.illustrated
    } else if options.phases.scenes {
        totals.analyzed
    } else {
        return 0;
    };
    totals
        .chapters
        .saturating_sub(finished + totals.failed.len())
}

/// The run's book state, chosen here and nowhere else: the output folder's manifest (the
/// default), or PostgreSQL with `--store`. There the book's key is its file's SHA-256, so every
/// machine running the same book shares one state.
fn book_state(
    options: &Options,
    out: &Path,
    book_path: &Path,
    reporter: &Reporter,
) -> Result<Arc<dyn BookState>, Error> {
    let lock_timeout = Duration::from_secs_f64(options.lock_timeout_secs);
    let Some(url) = &options.store else {
        return Ok(store::folder_state(out, lock_timeout)?);
    };
    // The output folder holds the files even when the state is elsewhere.
    store::atomic::create_dir(out)?;
    let bytes = std::fs::read(book_path).map_err(|source| Error::Read {
        path: book_path.to_path_buf(),
        source,
    })?;
    let key = format!("{:x}", Sha256::digest(&bytes));
    let state = PgState::open(url.expose(), &key)?;
    reporter.info(&format!(
        "the book's state is in `{}` (book {key})",
        url.redacted()
    ));
    Ok(Arc::new(state))
}

/// `--artifacts`: the object store the run keeps the book's files in, with the cast and style it
/// holds copied into the working folder first (so a run on another machine continues with them).
pub(crate) fn open_artifacts(
    options: &Options,
    out: &Path,
    reporter: &Reporter,
) -> Result<Option<Arc<dyn Artifacts>>, Error> {
    let Some(url) = &options.artifacts else {
        return Ok(None);
    };
    let artifacts: Arc<dyn Artifacts> = Arc::new(Object::open(url)?);
    crate::scale::local_files::pull(artifacts.as_ref(), out)?;
    reporter.info(&format!(
        "the book's files are in `{}`; `{}` is the working folder",
        artifacts.location(),
        out.display()
    ));
    Ok(Some(artifacts))
}

/// A series book's drawn portraits go to the series for its later books; a failure to copy
/// them costs those books a redraw, not this run, so it is a warning.
fn keep_series_portraits(
    options: &Options,
    state: &dyn BookState,
    out: &Path,
    reporter: &Reporter,
) {
    let Some(dir) = &options.series else {
        return;
    };
    let done: Vec<(String, String)> = match state.snapshot() {
        Ok(Some(m)) => m
            .portraits
            .values()
            .filter_map(|p| Some((p.name.clone(), p.image.clone()?)))
            .collect(),
        _ => return,
    };
    let kept = crate::series::Series::open(dir).and_then(|s| s.keep_portraits(out, &done));
    match kept {
        Ok(0) => {}
        Ok(n) => reporter.info(&format!(
            "series: {} kept for the later books",
            plural(n, "portrait")
        )),
        Err(err) => reporter.warn(&format!(
            "the series did not get this book's portraits: {}",
            crate::error::chain(&err)
        )),
    }
}

fn totals_now(state: &dyn BookState, selected: &[ChapterNo]) -> Result<Totals, Error> {
    let manifest = state
        .snapshot()?
        .ok_or_else(|| Error::Internal("the manifest vanished during the run".into()))?;
    Ok(orchestrate::totals(&manifest, selected))
}

/// The first Ctrl-C, SIGTERM or SIGHUP: stop starting work, let calls in flight finish, release
/// claims. A second one: quit at once (the manifest is consistent after every write, so nothing
/// is lost but calls in flight).
async fn run_with_signals(ctx: Arc<Context>) -> Result<Outcome, Error> {
    let shutdown = stop_on_signals(ctx.reporter.clone(), "finishing the calls in flight")?;
    orchestrate::run(ctx, shutdown).await
}

/// A shutdown the first Ctrl-C, SIGTERM or SIGHUP triggers (saying it is `finishing` first); a
/// second one quits at once. Called on the runtime that listens for them (a run's, a worker's).
pub(crate) fn stop_on_signals(
    reporter: Reporter,
    finishing: &'static str,
) -> Result<shutdown::Shutdown, Error> {
    let (trigger, shutdown) = shutdown::channel();
    let mut signals = Signals::new()?;
    tokio::spawn(async move {
        let first = signals.next().await;
        reporter.warn(&format!(
            "stopping ({}): {finishing} (send it again to quit now)",
            first.name()
        ));
        trigger.trigger_by(first);
        let second = signals.next().await;
        std::process::exit(second.exit_code());
    });
    Ok(shutdown)
}

/// The signals that stop a run (also the worker's).
pub(crate) struct Signals {
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn new() -> Result<Signals, Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| {
            signal(kind).map_err(|source| Error::System {
                what: "listen for signals",
                source,
            })
        };
        Ok(Signals {
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    pub(crate) async fn next(&mut self) -> shutdown::Signal {
        use shutdown::Signal;
        tokio::select! {
            Ok(()) = tokio::signal::ctrl_c() => Signal::Interrupt,
            Some(()) = self.terminate.recv() => Signal::Terminate,
            Some(()) = self.hangup.recv() => Signal::Hangup,
            else => std::future::pending().await,
        }
    }
}

fn summary(reporter: &Reporter, outcome: &Outcome, totals: &Totals, out: &Path, left: usize) {
    let usage = &totals.usage;
    let headline = if outcome.interrupted.is_some() {
        "Stopped after"
    } else if left > 0 || !totals.failed.is_empty() {
        "Ended with work left after"
    } else {
        "Done in"
    };
    let mut text = format!(
        "{headline} {:.1}s: {}/{} chapters analyzed ({} scenes), {}/{} illustrated, {} images ({} new, {} adopted, {} rejected)\n\
         Usage: {} prompt tokens, {} completion tokens, {} images\n\
         Output: {}",
        outcome.elapsed.as_secs_f64(),
        totals.analyzed,
        totals.chapters,
        totals.scenes,
        totals.illustrated,
        totals.chapters,
        totals.images,
        outcome.images.images,
        outcome.images.adopted,
        outcome.images.rejected,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.images,
        out.display()
    );
    if totals.portraits > 0 {
        text.push_str(&format!(
            "\nCast sheet: {} in images/cast/",
            plural(totals.portraits, "reference portrait")
        ));
    }
    if let Some(line) = quotes_line(&outcome.analysis) {
        text.push_str(&format!("\n{line}"));
    }
    for (chapter, reason) in &totals.failed {
        text.push_str(&format!("\nFailed: chapter {chapter}: {reason}"));
    }
    reporter.always(&text);
}

/// What quote verification changed in this run's scenes, when it changed anything: the model's
/// quotes that were not the book's exact words.
fn quotes_line(analysis: &AnalysisReport) -> Option<String> {
    if analysis.reanchored == 0 && analysis.invented == 0 {
        return None;
    }
    Some(format!(
        "Quotes: {} re-anchored to the book's own words; {} dropped (its quote is not in the chapter)",
        crate::report::plural(analysis.reanchored, "quote"),
        crate::report::plural(analysis.invented, "scene"),
    ))
}

#[cfg(test)]
mod tests;
