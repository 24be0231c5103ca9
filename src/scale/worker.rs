//! `imaginize worker`: takes queued books and runs the usual pipeline on each, its state in
//! PostgreSQL (`PgState`, keyed by the book's id) and its files in the artifacts (`Object`),
//! in a local working folder of its own that starts empty. Up to `--books` at once; within a
//! book the pipeline keeps reading order. A book is held under a lease renewed every
//! lease/4; a worker that loses it (paused, cut off) stops that book and leaves it to the
//! taker. The first Ctrl-C / SIGTERM stops taking books, lets the calls in flight finish,
//! gives the books back and exits (130 after Ctrl-C, 0 after SIGTERM: a service stopped on
//! purpose); a second quits at once.

use super::WorkerArgs;
use super::book_run::{Ran, Role, run_book};
use crate::cli::RunArgs;
use crate::config::{self, Environment, Verbosity};
use crate::error::Error;
use crate::pipeline::shutdown::{self, Shutdown, Signal};
use crate::report::Reporter;

use super::nudges::Nudges;
use crate::store::WorkerId;
use crate::store::postgres::queue::{End, Helper, Listener, Queue, Taken, Woken};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How often an idle worker looks at the queue without being woken (`LISTEN` wakes it when
/// a book is queued or given back; this catches leases that expired silently and a listening
/// connection that is down); at most half the lease.
const POLL: Duration = Duration::from_secs(5);

/// What every book task of this worker shares.
pub(super) struct Worker {
    pub queue: Arc<Queue>,
    pub id: String,
    /// This machine's name, for the worker's rows.
    pub host: String,
    pub root: String,
    pub args: WorkerArgs,
    pub work: PathBuf,
    pub reporter: Reporter,
    pub env: Environment,
    pub verbosity: Verbosity,
    /// A book's lease (`--lease-secs`, config `leaseSecs`).
    pub lease: Duration,
    /// `--max-attempts`, config `maxAttempts`.
    pub max_attempts: u32,
    /// Text and image requests in flight across all of this worker's books (`--jobs`,
    /// `--image-jobs`, else its configuration): `--books` shares them, it does not multiply them.
    pub text_slots: Arc<Semaphore>,
    pub image_slots: Arc<Semaphore>,
    /// Told each time the queue notifies a change (a chapter became claimable): the runs on
    /// the book it names look again at once instead of at their next poll.
    pub nudges: Nudges,
}

pub fn run(
    args: WorkerArgs,
    reporter: &Reporter,
    env: &Environment,
    verbosity: Verbosity,
) -> Result<(), Error> {
    let store = args.stores.store_url(env)?;
    let root = args.stores.artifacts_url(env)?;
    // The worker's own configuration (config files, IMAGINIZE_*): the defaults of its flags.
    let configured = config::resolve(&RunArgs::default(), verbosity, env)?.options;
    let lease = Duration::from_secs(args.lease_secs.unwrap_or(configured.lease_secs).max(1));
    let max_attempts = args.max_attempts.unwrap_or(configured.max_attempts).max(1);
    let provider = &configured.provider;
    let text_slots = Arc::new(Semaphore::new(args.jobs.unwrap_or(provider.jobs).max(1)));
    let image_slots = Arc::new(Semaphore::new(
        args.image_jobs.unwrap_or(provider.image_jobs).max(1),
    ));
    let queue = Arc::new(Queue::open(&store)?);
    let id = WorkerId::current().0;
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    // The working folders: the given one, or a new temp folder removed when the worker ends.
    let (work, temporary) = match &args.work_dir {
        Some(dir) => (env.cwd.join(dir), false),
        None => {
            let name = format!("imaginize-worker-{}", id.replace(':', "-"));
            (std::env::temp_dir().join(name), true)
        }
    };
    queue.register(&id, &host, std::process::id())?;
    reporter.info(&format!("worker {id} on `{}`", queue.url()));
    let worker = Arc::new(Worker {
        queue,
        id,
        host,
        root,
        args,
        work,
        reporter: reporter.clone(),
        env: env.clone(),
        verbosity,
        lease,
        max_attempts,
        text_slots,
        image_slots,
        nudges: Nudges::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::System {
            what: "start the async runtime",
            source,
        })?;
    let result = runtime.block_on(serve(worker.clone()));
    if temporary {
        let _ = std::fs::remove_dir_all(&worker.work);
    }
    if let Err(err) = worker.queue.retire(&worker.id) {
        reporter.warn(&format!("could not remove this worker's row: {err}"));
    }
    match result {
        Ok(Some(Signal::Interrupt)) => Err(Error::Interrupted(Signal::Interrupt)),
        Ok(_) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Takes books until stopped (or idle with `--exit-when-idle`); returns the stopping signal.
async fn serve(worker: Arc<Worker>) -> Result<Option<Signal>, Error> {
    let shutdown = crate::run::job::stop_on_signals(
        worker.reporter.clone(),
        "finishing the calls in flight, then giving the books back",
    )?;
    let mut running = JoinSet::new();
    let mut stopped = shutdown.clone();
    let lease = worker.lease;
    let poll = POLL.min(lease / 2);
    let mut listener = listen(&worker).await;
    let mut pause = Duration::from_millis(500);
    let mut helping = HashSet::new();
    let mut beaten: Option<tokio::time::Instant> = None;
    while !shutdown.is_shutdown() {
        let beat = beat_due(beaten.map(|at| at.elapsed()), lease);
        let looked = look(&worker, running.len(), lease, &helping, beat).await;
        if beat && looked.is_ok() {
            beaten = Some(tokio::time::Instant::now());
        }
        match looked {
            Ok(Look::Took(taken)) => {
                running.spawn(book(worker.clone(), taken, shutdown.clone()));
                pause = Duration::from_millis(500);
                continue;
            }
            Ok(Look::Help(taken)) => {
                helping.insert(taken.id.clone());
                running.spawn(help(worker.clone(), taken, shutdown.clone()));
                continue;
            }
            Ok(Look::Idle) if running.is_empty() && worker.args.exit_when_idle => break,
            Ok(_) => pause = Duration::from_millis(500),
            // The database away (a restart, a failover): the worker pauses and tries again,
            // backing off; books in progress go on (their own calls wait for it too).
            Err(err) => {
                worker.reporter.warn(&format!(
                    "the queue cannot be reached ({err}); trying again in {:.1} s",
                    pause.as_secs_f64()
                ));
                tokio::select! {
                    () = stopped.recv() => {}
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(Duration::from_secs(30));
                continue;
            }
        }
        tokio::select! {
            Some(ended) = running.join_next(), if !running.is_empty() => {
                if let Ok(Some(helped)) = ended {
                    helping.remove(&helped);
                }
            }
            () = stopped.recv() => {}
            woken = woken(&mut listener) => worker.nudges.wake(&woken),
            () = tokio::time::sleep(poll) => {
                if listener.as_ref().is_none_or(Listener::is_closed) {
                    listener = listen(&worker).await;
                }
            }
        }
    }
    while running.join_next().await.is_some() {}
    Ok(shutdown.signal())
}

/// Whether a look renews the worker's heartbeat row, `since` the last renewal (`None`: never).
/// Every queued change wakes every worker (each chapter analyzed, for the helpers), and a beat
/// at each look was a fifth of the scale bench's transactions; a quarter of the lease keeps the
/// row live (`helpable` counts heartbeats within the lease, and an idle worker looks at least
/// every half lease).
fn beat_due(since: Option<Duration>, lease: Duration) -> bool {
    since.is_none_or(|elapsed| elapsed >= lease / 4)
}

/// What a look at the queue found.
enum Look {
    Took(Taken),
    /// A book another worker holds, with chapters waiting to be illustrated.
    Help(Taken),
    /// Nothing to take, and nothing queued or held anywhere.
    Idle,
    /// Nothing to take now (or no room for another book).
    Wait,
}

/// Takes a book when there is room, or says whether the queue is idle; renews the worker's
/// heartbeat row when `beat`.
async fn look(
    worker: &Arc<Worker>,
    running: usize,
    lease: Duration,
    helping: &HashSet<String>,
    beat: bool,
) -> Result<Look, Error> {
    let w = worker.clone();
    let room = running < worker.args.books.max(1);
    // Helping takes only image slots, the worker's own: a worker whose books leave them idle
    // (their last chapters being drawn, nothing left to claim) may help with one more book.
    let may_help = room || helping.is_empty();
    let skip: Vec<String> = helping.iter().cloned().collect();
    blocking(move || {
        if beat {
            w.queue.beat(&w.id)?;
        }
        if room && let Some(taken) = w.queue.take(&w.id, lease)? {
            return Ok(Look::Took(taken));
        }
        let helper = Helper {
            id: &w.id,
            host: &w.host,
            pid: std::process::id(),
            lends: !room,
        };
        if may_help && let Some(book) = w.queue.helpable(&helper, &skip, lease)? {
            return Ok(Look::Help(book));
        }
        if running == 0 && !w.queue.has_work()? {
            return Ok(Look::Idle);
        }
        Ok::<_, crate::store::Error>(Look::Wait)
    })
    .await
}

/// A connection listening for the queue's changes; `None` (after a warning) when it cannot be
/// made: the slow poll still finds the books.
async fn listen(worker: &Worker) -> Option<Listener> {
    match worker.queue.listen().await {
        Ok(listener) => Some(listener),
        Err(err) => {
            worker.reporter.warn(&format!(
                "not woken by the database ({err}); looking every few seconds"
            ));
            None
        }
    }
}

/// Returns when the queue notified a change; never without a listener.
async fn woken(listener: &mut Option<Listener>) -> Woken {
    match listener {
        Some(listener) => listener.notified().await,
        None => std::future::pending().await,
    }
}

/// Runs one taken book to its end and tells the queue how it ended.
async fn book(worker: Arc<Worker>, taken: Taken, global: Shutdown) -> Option<String> {
    let (trigger, stop) = shutdown::channel();
    let lost = Arc::new(AtomicBool::new(false));
    let holding = tokio::spawn(hold(
        worker.clone(),
        taken.clone(),
        global,
        trigger,
        lost.clone(),
    ));
    let dir = worker
        .work
        .join(&taken.id)
        .join(format!("attempt-{}", taken.attempt));
    let ran = run_book(&worker, &taken, &dir, stop, Role::Holder).await;
    holding.abort();
    let reporter = &worker.reporter;
    if lost.load(Ordering::SeqCst) {
        reporter.warn(&format!(
            "book {}: another worker took it over (this worker was silent past its lease); left to it",
            taken.id
        ));
    } else {
        let end = end_of(&worker, &taken, ran);
        let (w, t) = (worker.clone(), taken.clone());
        match blocking(move || w.queue.end(&t.id, &w.id, t.attempt, &end)).await {
            Ok(true) => {}
            Ok(false) => reporter.warn(&format!("book {}: taken over before it ended", taken.id)),
            Err(err) => reporter.warn(&format!("book {}: {err}", taken.id)),
        }
    }
    if let Err(err) = std::fs::remove_dir_all(&dir) {
        reporter.verbose(&format!("could not remove `{}`: {err}", dir.display()));
    }
    None
}

/// Helps with a book another worker holds: an illustration-only run (`--images --no-wait`)
/// in a folder of its own, claiming the book's analyzed chapters as the holder's illustrators
/// do, until none is left to claim. The holder keeps the book's lease and ends it; a helper
/// that dies leaves chapter claims that expire with their lease. Returns the book's id.
async fn help(worker: Arc<Worker>, taken: Taken, global: Shutdown) -> Option<String> {
    let (trigger, stop) = shutdown::channel();
    let relay = tokio::spawn(async move {
        let mut global = global;
        global.recv().await;
        trigger.trigger_by(global.signal().unwrap_or(Signal::Interrupt));
    });
    let dir = worker
        .work
        .join(&taken.id)
        .join(format!("help-{:08x}", fastrand::u32(..)));
    if let Err(err) = run_book(&worker, &taken, &dir, stop, Role::Helper).await {
        worker.reporter.warn(&format!(
            "helping with book {}: {}",
            taken.id,
            err.display_chain()
        ));
    }
    relay.abort();
    let _ = std::fs::remove_dir_all(&dir);
    let (w, book) = (worker.clone(), taken.id.clone());
    if let Err(err) = blocking(move || w.queue.stop_helping(&book, &w.id)).await {
        worker.reporter.verbose(&format!(
            "book {}: could not take this helper off it ({err}); its heartbeat will",
            taken.id
        ));
    }
    Some(taken.id)
}

/// Renews the book's lease every lease/4 and passes the worker's stop on to the book; on a
/// lost lease stops the book at once and says so through `lost`.
async fn hold(
    worker: Arc<Worker>,
    taken: Taken,
    global: Shutdown,
    trigger: shutdown::Trigger,
    lost: Arc<AtomicBool>,
) {
    let every = worker.lease / 4;
    let mut last = tokio::time::Instant::now();
    let mut relayed = false;
    loop {
        tokio::time::sleep(Duration::from_millis(200).min(every)).await;
        if !relayed && let Some(signal) = global.signal() {
            trigger.trigger_by(signal);
            relayed = true;
        }
        if last.elapsed() < every {
            continue;
        }
        last = tokio::time::Instant::now();
        let (w, t) = (worker.clone(), taken.clone());
        match blocking(move || w.queue.heartbeat(&t.id, &w.id, t.attempt)).await {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                trigger.trigger();
                return;
            }
            // A database away for a while: the book goes on; the next beat tries again.
            Err(err) => worker.reporter.warn(&format!("book {}: {err}", taken.id)),
        }
    }
}

/// What the queue is told about a run of a book.
fn end_of(worker: &Worker, taken: &Taken, ran: Result<Ran, Error>) -> End {
    let failed = |reason: String| {
        let exponent = u32::try_from(taken.attempt.clamp(1, 7) - 1).unwrap_or(0);
        End::Failed {
            reason,
            backoff: (Duration::from_secs(5) * 2u32.pow(exponent)).min(Duration::from_secs(300)),
            max_attempts: i64::from(worker.max_attempts),
        }
    };
    let reporter = &worker.reporter;
    match ran {
        Ok(Ran { stopped: true, .. }) => End::Released,
        Ok(Ran { totals, .. }) if !totals.failed.is_empty() => {
            let (chapter, reason) = &totals.failed[0];
            let reason = format!(
                "{} of {} chapters failed (chapter {chapter}: {reason})",
                totals.failed.len(),
                totals.chapters
            );
            reporter.warn(&format!("book {}: {reason}", taken.id));
            failed(reason)
        }
        Ok(Ran { left: 0, .. }) => {
            reporter.info(&format!("book {}: done", taken.id));
            End::Done
        }
        Ok(Ran { left, .. }) => failed(format!("{left} chapters left unfinished")),
        // The database went away mid-run: not the book's fault; it goes back, uncounted.
        Err(
            err @ Error::Store(
                crate::store::Error::Database { .. } | crate::store::Error::DatabaseConnect { .. },
            ),
        ) => {
            reporter.warn(&format!(
                "book {}: {}; giving it back",
                taken.id,
                err.display_chain()
            ));
            End::Released
        }
        Err(err) => {
            let reason = err.display_chain();
            reporter.warn(&format!("book {}: {reason}", taken.id));
            failed(reason)
        }
    }
}

/// Runs `f` on the blocking pool (the queue's and the stores' calls block).
pub(super) async fn blocking<T: Send + 'static, E: Into<Error> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|source| Error::Task {
            what: "worker",
            source,
        })?
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_renews_the_heartbeat_once_per_quarter_lease() {
        let lease = Duration::from_secs(60);
        assert!(beat_due(None, lease), "the first look beats");
        assert!(
            !beat_due(Some(Duration::from_secs(1)), lease),
            "a look woken a second after the last beat does not"
        );
        assert!(beat_due(Some(Duration::from_secs(15)), lease));
        assert!(
            beat_due(Some(Duration::from_millis(500)), Duration::from_secs(2)),
            "a short lease beats often"
        );
    }
}
