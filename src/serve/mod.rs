//! `imaginize serve`: a local web dashboard of output folders (docs/ARCHITECTURE.md §2, §6).
//! It reads each folder (manifest, scene files, images, progress.md) and watches it for changes,
//! so it shows a run in this process, in other processes, or one that has ended, alike; it writes
//! only through the two actions (`actions.rs`).
//!
//! - `router`: the routes, behind `security` (host, token, same-origin and CSRF checks);
//! - `site` and `pages/`: the HTML pages; `api`: the JSON API; `sse`: the event stream;
//! - `books`: which folders are shown; `watch`: one book's live state and numbered updates;
//! - `folder`, `view`, `eta`, `format`: reading a folder into what the pages show;
//! - `files`: the folder's files served safely; `actions`: retry failed, edit a description.

pub mod actions;
pub mod api;
pub mod books;
mod error;
pub mod eta;
pub mod files;
pub mod folder;
pub mod format;
pub mod pages;
pub mod router;
pub mod security;
pub mod site;
pub mod sse;
pub mod view;
pub mod watch;

pub use error::Error;

use crate::cli::ServeArgs;
use crate::events::Stamped;
use crate::provider::estimate::{IMAGE_LATENCY, TEXT_LATENCY};
use crate::provider::prices::PriceTable;
use crate::report::Reporter;
use books::Library;
use router::App;
use security::Guard;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::broadcast;
use view::Prices;

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs, cwd: &Path, reporter: &Reporter) -> Result<(), Error> {
    let token = access_token(args, reporter)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(serve(args, cwd, token))
}

async fn serve(args: &ServeArgs, cwd: &Path, token: Option<String>) -> Result<(), Error> {
    let (listener, app) = bind(args, cwd, token).await?;
    let server = axum::serve(listener, router::router(app));
    tokio::select! {
        served = server => served.map_err(Error::Serve),
        () = stop_signal() => Ok(()),
    }
}

/// `--serve` on the main command: the dashboard of the run's folder on the run's runtime, until
/// the runtime ends with the run. Every event of the run re-reads the folder at once, so the page
/// does not wait for the file watch.
pub async fn start_beside_run(
    args: &ServeArgs,
    cwd: &Path,
    events: broadcast::Receiver<Stamped>,
    reporter: &Reporter,
) -> Result<(), Error> {
    let token = access_token(args, reporter)?;
    let (listener, app) = bind(args, cwd, token).await?;
    tokio::spawn(poke_on_events(app.clone(), events));
    tokio::spawn(async move {
        // An error here ends only the dashboard, never the run.
        let _ = axum::serve(listener, router::router(app)).await;
    });
    Ok(())
}

/// Binds, builds the books, and prints the one line scripts wait for.
async fn bind(
    args: &ServeArgs,
    cwd: &Path,
    token: Option<String>,
) -> Result<(tokio::net::TcpListener, Arc<App>), Error> {
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|source| Error::Bind {
            address: format!("{}:{}", args.host, args.port),
            source,
        })?;
    let address = listener.local_addr().map_err(Error::Serve)?;
    let app = Arc::new(App {
        library: library(args, cwd),
        guard: Arc::new(Guard::new(&args.host, address.port(), token)?),
    });
    // Start watching every book now, so the first page shows live figures at once.
    app.library.books();
    let mut stdout = std::io::stdout();
    // Nothing else of the server goes to stdout.
    let _ = writeln!(stdout, "Serving on http://{address}/");
    let _ = stdout.flush();
    Ok((listener, app))
}

async fn poke_on_events(app: Arc<App>, mut events: broadcast::Receiver<Stamped>) {
    loop {
        match events.recv().await {
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                for book in app.library.books() {
                    book.poke();
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The token required of every request: `--token` (checked), a new one for any host but a
/// loopback one (printed once, on stderr), or none.
fn access_token(args: &ServeArgs, reporter: &Reporter) -> Result<Option<String>, Error> {
    if let Some(token) = &args.token {
        return if security::is_good_token(token) {
            Ok(Some(token.clone()))
        } else {
            Err(Error::WeakToken)
        };
    }
    if security::is_loopback(&args.host) {
        return Ok(None);
    }
    let token = security::random_token()?;
    reporter.warn(&format!(
        "listening on {} (not only this machine): every request needs the access token {token} \
         (open the page once with ?token={token}; it is not shown again)",
        args.host
    ));
    Ok(Some(token))
}

fn library(args: &ServeArgs, cwd: &Path) -> Library {
    let table = PriceTable::defaults();
    let text = table.get(&args.model);
    let image = table.get(&args.image_model);
    // One chapter takes a text call per pass; each image one image call.
    let per_sec = |jobs: usize, latency: std::time::Duration| jobs as f64 / latency.as_secs_f64();
    let prices = Prices {
        input_per_mtok: text.map(|p| p.input_per_mtok),
        output_per_mtok: text.map(|p| p.output_per_mtok),
        per_image: image.map(|p| p.per_image),
        assumed_text_per_sec: args.limits.map(|(jobs, _)| per_sec(jobs, TEXT_LATENCY)),
        assumed_images_per_sec: args
            .limits
            .map(|(_, images)| per_sec(images, IMAGE_LATENCY)),
    };
    let root = match (&args.library, args.output_dir.is_empty()) {
        (Some(root), _) => Some(cwd.join(root)),
        (None, true) => Some(cwd.to_path_buf()),
        (None, false) => None,
    };
    let fixed = args.output_dir.iter().map(|d| cwd.join(d)).collect();
    Library::new(fixed, root, prices)
}

/// Ctrl-C or SIGTERM. Open event streams never end by themselves, so the server is dropped
/// rather than drained.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
