//! The connection side of the PostgreSQL store: a pool of `tokio-postgres` connections driven by
//! a private runtime, used through blocking calls.
//!
//! Why this shape: the pipeline calls the state from `spawn_blocking` threads, but also
//! registers and drops workers on async worker threads, where the `postgres` crate's own
//! `block_on` would panic. Here the connections' I/O runs on the store's own runtime, pooled
//! connections are fetched from it through a channel, and statements are awaited with
//! `futures_executor::block_on` on the caller's thread: their futures only wait on channels to
//! the connection task, so this works from any thread, async or not. `deadpool-postgres`
//! is the pool because it is built for `tokio-postgres` (prepared-statement cache per
//! connection), which a later async worker can use directly.

use crate::store::Error;
use crate::store::postgres::url::redact;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Timeouts};
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;

/// A pooled connection's transaction.
pub(super) type Tx<'a> = deadpool_postgres::Transaction<'a>;
/// A statement's parameters.
pub(super) type Params<'a> = [&'a (dyn ToSql + Sync)];

/// Connections kept: enough for every illustrator and analyzer of a process at once.
const POOL_SIZE: usize = 16;
/// How long a call waits for a connection (a server down or every connection busy).
const WAIT: Duration = Duration::from_secs(30);
/// How long an operation waits for a database that went away to come back.
const RECONNECT: Duration = Duration::from_secs(60);

/// Every session's settings. Our transactions last milliseconds; a client stopped inside one
/// (SIGSTOP, a partition, a machine that froze) would hold its row and advisory locks for as
/// long as it stays stopped, and `SKIP LOCKED` claims would pass over its book forever, lease
/// or not. The server ends such a session after 10 s, which frees its locks; the stopped
/// client finds its connection gone when it resumes and is fenced like any late holder.
const SESSION_OPTIONS: &str = "-c idle_in_transaction_session_timeout=10000";

/// The pool and the runtime its connections run on.
pub(super) struct Db {
    pool: Pool,
    /// `Some` until dropped: shut down in the background, so dropping the store on an async
    /// thread does not panic.
    runtime: Option<tokio::runtime::Runtime>,
    /// The URL with its password replaced, for messages.
    url: String,
    /// Whether a connection was ever made: from then on a lost database is waited for.
    reached: AtomicBool,
}

impl Db {
    /// Parses `url` (a `postgres://` URL or `key=value` string; `sslmode=require` uses rustls
    /// with the Mozilla roots) and builds the pool. No connection is made yet.
    pub(super) fn new(url: &str) -> Result<Db, Error> {
        let shown = redact(url);
        let connect = |source: Box<dyn std::error::Error + Send + Sync>| Error::DatabaseConnect {
            url: shown.clone(),
            source,
        };
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| connect(e.into()))?;
        let options = match config.get_options() {
            Some(given) => format!("{given} {SESSION_OPTIONS}"),
            None => SESSION_OPTIONS.to_string(),
        };
        config.options(&options);
        let manager = Manager::from_config(
            config,
            tls().map_err(|e| connect(e.into()))?,
            ManagerConfig {
                // A checkout only looks whether the connection task saw its socket close; no
                // round trip. A connection the server dropped that is not yet seen closed fails
                // its first statement, before any commit, and `retrying` runs the whole
                // transaction again on a new one. The verified checkout (an empty query before
                // each transaction) doubled the round trips of every call: ~1 000 of the
                // ~2 000 statements' worth of wake-ups in the scale bench's 8-worker run.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("imaginize-postgres")
            .enable_all()
            .build()
            .map_err(|e| connect(e.into()))?;
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .timeouts(Timeouts {
                wait: Some(WAIT),
                create: Some(WAIT),
                recycle: Some(WAIT),
            })
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| connect(e.into()))?;
        Ok(Db {
            pool,
            runtime: Some(runtime),
            url: shown,
            reached: AtomicBool::new(false),
        })
    }

    /// The URL as it may be shown (no password).
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// A connection from the pool. While the database cannot be reached (a restart, a
    /// failover) this waits and tries again, up to [`RECONNECT`]; before the store has reached
    /// it once it does not wait, so a wrong URL fails at once.
    pub(super) fn client(&self) -> Result<Object, Error> {
        let deadline = Instant::now() + RECONNECT;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.try_client() {
                Ok(client) => {
                    self.reached.store(true, Ordering::Relaxed);
                    return Ok(client);
                }
                Err(err @ Error::DatabaseConnect { .. })
                    if self.reached.load(Ordering::Relaxed)
                        && Instant::now() + pause < deadline =>
                {
                    drop(err);
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Runs `attempt`, one whole transaction on a client of the pool, again while it fails
    /// because the database went away before its commit was sent (a restart cut the
    /// connection: the server rolled the transaction back, so running it again is safe), up to
    /// [`RECONNECT`]. A lost commit is never retried: it may have been applied.
    pub(super) fn retrying<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let deadline = Instant::now() + RECONNECT;
        let mut pause = Duration::from_millis(50);
        loop {
            match attempt() {
                Err(err) if lost_before_commit(&err) && Instant::now() + pause < deadline => {
                    drop(err);
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    /// Runs `op` in one transaction on a pooled connection and commits it; again, on a new
    /// connection, when the connection was lost before the commit ([`Db::retrying`]), so `op`
    /// must be ready to run twice.
    pub(super) fn in_transaction<T>(
        &self,
        mut op: impl AsyncFnMut(&Tx<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.retrying(|| {
            let mut client = self.client()?;
            block(async {
                let tx = client
                    .transaction()
                    .await
                    .map_err(sql("begin a transaction"))?;
                let out = op(&tx).await?;
                commit(tx).await?;
                Ok(out)
            })
        })
    }

    /// A connection from the pool, connecting on the store's runtime when none is idle; an idle
    /// one that is closed is replaced (one still open but cut by the server fails its first
    /// statement, which [`Db::retrying`] runs again).
    fn try_client(&self) -> Result<Object, Error> {
        let runtime = self.runtime.as_ref().ok_or_else(|| Error::Database {
            action: "reach the database",
            source: "the store is shutting down".into(),
        })?;
        let (send, receive) = std::sync::mpsc::channel();
        let pool = self.pool.clone();
        runtime.spawn(async move {
            let _ = send.send(pool.get().await);
        });
        let got = receive.recv().map_err(|e| Error::Database {
            action: "reach the database",
            source: e.into(),
        })?;
        got.map_err(|e| Error::DatabaseConnect {
            url: self.url.clone(),
            source: e.into(),
        })
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The action [`sql`] names a failed commit with: the one failure [`Db::retrying`] must not
/// retry.
const COMMIT: &str = "commit";

/// Whether `err` is a statement other than the commit failing because the connection was
/// lost: closed, cut by the server's shutdown (SQLSTATE class 57P: admin or crash shutdown,
/// cannot connect now), or broken at the socket.
fn lost_before_commit(err: &Error) -> bool {
    let Error::Database { action, source } = err else {
        return false;
    };
    let Some(pg) = source.downcast_ref::<tokio_postgres::Error>() else {
        return false;
    };
    let shutdown = pg.code().is_some_and(|c| c.code().starts_with("57P"));
    let socket = std::error::Error::source(pg).is_some_and(|s| s.is::<std::io::Error>());
    *action != COMMIT && (pg.is_closed() || shutdown || socket)
}

/// Ends `tx`, naming a failure as the commit (never retried: it may have been applied).
pub(super) async fn commit(tx: Tx<'_>) -> Result<(), Error> {
    tx.commit().await.map_err(sql(COMMIT))
}

/// Waits for `future` on this thread (see the module's doc for why this is sound here).
pub(super) fn block<F: Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

/// Maps a failed statement to the store's error, naming what it was doing.
pub(super) fn sql(action: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    move |e| Error::Database {
        action,
        source: e.into(),
    }
}

/// A value in the database this build cannot read (written by hand, or by a newer imaginize).
pub(super) fn corrupt(what: String) -> Error {
    Error::Database {
        action: "read the book's state",
        source: what.into(),
    }
}

/// Runs a cached prepared statement and returns its rows.
pub(super) async fn query(
    tx: &Tx<'_>,
    statement: &str,
    params: &Params<'_>,
    action: &'static str,
) -> Result<Vec<tokio_postgres::Row>, Error> {
    let prepared = tx.prepare_cached(statement).await.map_err(sql(action))?;
    tx.query(&prepared, params).await.map_err(sql(action))
}

/// Runs a cached prepared statement and returns the first column of its first row, `None`
/// when it returned no row.
pub(super) async fn query_value<T: for<'a> tokio_postgres::types::FromSql<'a>>(
    tx: &Tx<'_>,
    statement: &str,
    params: &Params<'_>,
    action: &'static str,
) -> Result<Option<T>, Error> {
    let rows = query(tx, statement, params, action).await?;
    rows.first()
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(sql(action))
}

/// Runs a cached prepared statement and returns how many rows it touched.
pub(super) async fn execute(
    tx: &Tx<'_>,
    statement: &str,
    params: &Params<'_>,
    action: &'static str,
) -> Result<u64, Error> {
    let prepared = tx.prepare_cached(statement).await.map_err(sql(action))?;
    tx.execute(&prepared, params).await.map_err(sql(action))
}

/// rustls with the Mozilla roots and the `ring` provider (what reqwest already brings), used
/// when the URL asks for TLS (`sslmode=prefer`, the default, or `require`).
pub(super) fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::test_cluster;

    /// One transaction, as every call of the store makes them (`in_transaction`).
    fn ping(db: &Db) -> Result<(), Error> {
        db.in_transaction(async |tx| tx.batch_execute("SELECT 1").await.map_err(sql("ping")))
    }

    /// The server process behind each of `db`'s idle connections, ended from another one.
    fn cut_idle_connections(url: &str) {
        let other = Db::new(url).expect("a second pool");
        other
            .in_transaction(async |tx| {
                let end = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                           WHERE datname = current_database() AND pid <> pg_backend_pid() \
                           AND backend_type = 'client backend'";
                tx.batch_execute(end).await.map_err(sql("end the others"))
            })
            .expect("the other connections are ended");
    }

    #[test]
    fn a_pooled_connection_the_server_ended_is_replaced_without_an_error() {
        // The checkout does not ask the server (no round trip): a connection it ended while
        // idle in the pool is either seen closed or fails its first statement, and the
        // transaction runs again on a new one.
        let Some(url) = test_cluster::new_database("cut_idle") else {
            return;
        };
        let db = Db::new(&url).expect("a pool");
        for _ in 0..3 {
            ping(&db).expect("the server is up");
            cut_idle_connections(&url);
            ping(&db).expect("a new connection carries the call");
        }
    }

    #[test]
    fn a_call_after_the_server_restarted_reaches_it_again() {
        let Some(cluster) = test_cluster::own() else {
            return;
        };
        let db = Db::new(&cluster.url()).expect("a pool");
        ping(&db).expect("the server is up");
        cluster
            .restart(Duration::from_millis(300))
            .expect("the server restarts");
        ping(&db).expect("the pool replaced the connection the restart closed");
    }

    /// Runs a transaction through `retrying` whose first attempt has its connection ended by
    /// the server (as a restart does), then reads (or not) and commits: how many attempts were
    /// made, and what the last one gave.
    fn cut_once(db: &Db, read_before_commit: bool) -> (u32, Result<i32, Error>) {
        let mut attempts = 0;
        let out = db.retrying(|| {
            attempts += 1;
            let mut client = db.client()?;
            block(async {
                let tx = client.transaction().await.map_err(sql("begin"))?;
                if attempts == 1 {
                    let end = "SELECT pg_terminate_backend(pg_backend_pid())";
                    let _ = tx.batch_execute(end).await;
                }
                let n = match read_before_commit || attempts > 1 {
                    true => tx
                        .query_one("SELECT 7", &[])
                        .await
                        .map_err(sql("read"))?
                        .get(0),
                    false => 7,
                };
                commit(tx).await?;
                Ok(n)
            })
        });
        (attempts, out)
    }

    #[test]
    fn a_transaction_cut_off_before_its_commit_runs_again() {
        let Some(url) = test_cluster::shared_url() else {
            return;
        };
        let db = Db::new(&url).expect("a pool");
        let (attempts, out) = cut_once(&db, true);
        assert_eq!(out.expect("the second attempt went through"), 7);
        assert_eq!(attempts, 2);
    }

    #[test]
    fn a_commit_cut_off_is_not_run_again() {
        let Some(url) = test_cluster::shared_url() else {
            return;
        };
        let db = Db::new(&url).expect("a pool");
        let (attempts, out) = cut_once(&db, false);
        assert!(out.is_err(), "the commit's fate is unknown: {out:?}");
        assert_eq!(attempts, 1);
    }

    #[test]
    fn a_bad_url_is_reported_without_its_password() {
        let err = super::Db::new("postgres://me:s3cret@db:notaport/books")
            .err()
            .expect("a bad port is refused");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("me:***@db"), "{shown}");
    }
}
