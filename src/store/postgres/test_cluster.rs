//! A throwaway PostgreSQL cluster for the tests: `initdb` into a temp folder, a server listening
//! only on a socket in that folder (no TCP port to collide with anyone's), one database. One
//! cluster per test binary, shared by its tests; each test uses its own book key.
//!
//! The server runs under a small `sh` supervisor that gets SIGTERM when the thread that
//! started it ends (`PR_SET_PDEATHSIG`). That thread lives as long as the test binary, so a
//! binary that exits, panics or is killed takes its cluster down; the supervisor then stops
//! the server (fast shutdown) and removes the folder. A [`Cluster`] that is dropped does the
//! same at once.
//!
//! Without `initdb` and `postgres` on PATH the tests that need the cluster are skipped with a
//! notice, except when `CI=true`, where they fail.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The database the tests use.
const DATABASE: &str = "imaginize_test";
/// How long the server may take to accept connections.
const STARTUP: Duration = Duration::from_secs(60);

/// A running cluster; stopped (and its folder removed) when dropped.
pub(crate) struct Cluster {
    dir: PathBuf,
    port: u16,
    supervisor: Child,
}

impl Cluster {
    /// A URL of the test database (a socket in the cluster's folder; no password).
    pub(crate) fn url(&self) -> String {
        url(&self.dir, self.port, DATABASE)
    }

    /// Stops the server (fast shutdown: every connection is cut, as `pg_ctl restart -m fast`
    /// does), leaves it down for `down`, and starts it again on the same folder, socket and
    /// port, so [`Cluster::url`] reaches it again. Returns once it accepts connections.
    pub(crate) fn restart(&self, down: Duration) -> Result<(), String> {
        self.signal(libc::SIGUSR1)?;
        let socket = self.dir.join(format!(".s.PGSQL.{}", self.port));
        let deadline = Instant::now() + STARTUP;
        while socket.exists() {
            if Instant::now() > deadline {
                return Err("the server did not stop".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(down);
        self.signal(libc::SIGUSR2)?;
        let deadline = Instant::now() + STARTUP;
        while let Err(e) = execute(&self.url(), "SELECT 1") {
            if Instant::now() > deadline {
                return Err(format!("the server did not start again: {e}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn signal(&self, signal: i32) -> Result<(), String> {
        let pid = i32::try_from(self.supervisor.id()).map_err(|e| e.to_string())?;
        // SAFETY: signals our own child, whose pid it still is (not yet waited for).
        match unsafe { libc::kill(pid, signal) } {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error().to_string()),
        }
    }
}

/// A cluster of the caller's own (for a test that restarts it), stopped when dropped; `None`
/// (after a notice) when PostgreSQL is not installed, as for [`shared_url`]. Its supervisor
/// gets SIGTERM when the calling thread ends.
pub(crate) fn own() -> Option<Cluster> {
    if !installed() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true but initdb/postgres are not on PATH: the PostgreSQL tests cannot run"
        );
        eprintln!("notice: skipping a PostgreSQL test: initdb/postgres are not on PATH");
        return None;
    }
    match start() {
        Ok(cluster) => Some(cluster),
        Err(e) => panic!("a test PostgreSQL cluster did not start: {e}"),
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SAFETY: signals our own child, whose pid it still is (not yet waited for).
        unsafe { libc::kill(self.supervisor.id() as i32, libc::SIGTERM) };
        let _ = self.supervisor.wait();
    }
}

/// The test binary's cluster, started on first use; `None` (after a notice) when PostgreSQL is
/// not installed. Panics in CI without it, or when it is installed but does not start.
pub(crate) fn shared_url() -> Option<String> {
    static SHARED: OnceLock<Result<Option<String>, String>> = OnceLock::new();
    let started = SHARED.get_or_init(|| {
        if !installed() {
            return Ok(None);
        }
        crate::store::test_server::on_a_lasting_thread(start, Cluster::url).map(Some)
    });
    match started {
        Ok(Some(url)) => Some(url.clone()),
        Ok(None) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but initdb/postgres are not on PATH: the PostgreSQL tests cannot run")
        }
        Ok(None) => {
            eprintln!("notice: skipping a PostgreSQL store test: initdb/postgres are not on PATH");
            None
        }
        Err(e) => panic!("the test PostgreSQL cluster did not start: {e}"),
    }
}

/// A new, empty database in the shared cluster (for tests of the schema itself).
pub(crate) fn new_database(name: &str) -> Option<String> {
    let url = shared_url()?;
    let name = fresh_book(name).replace('-', "_");
    execute(&url, &format!("CREATE DATABASE {name}")).expect("create a database");
    Some(url.replacen(&format!("/{DATABASE}?"), &format!("/{name}?"), 1))
}

/// A book key no other test of this binary uses.
pub(crate) fn fresh_book(name: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{name}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A new book's state in the shared cluster, or `None` when the tests are skipped.
pub(crate) fn book_state(name: &str) -> Option<((), super::PgState)> {
    let url = shared_url()?;
    let state = super::PgState::open(&url, &fresh_book(name)).expect("open the PostgreSQL store");
    Some(((), state))
}

fn installed() -> bool {
    ["initdb", "postgres"]
        .iter()
        .all(|bin| on_path(bin).is_some())
}

fn on_path(bin: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(bin))
        .find(|path| path.is_file())
}

/// Creates, starts and fills a cluster.
pub(crate) fn start() -> Result<Cluster, String> {
    let dir = tempfile::Builder::new()
        .prefix("imaginize-pg-")
        .tempdir()
        .map_err(|e| format!("temp folder: {e}"))?
        .keep();
    let owner = server_user()?;
    if let Some((uid, gid)) = owner {
        chown(&dir, uid, gid)?;
    }
    let port = free_port()?;
    init(&dir, owner.is_some())?;
    let supervisor = serve(&dir, port, owner)?;
    let cluster = Cluster {
        dir,
        port,
        supervisor,
    };
    create_database(&cluster)?;
    Ok(cluster)
}

/// Root may not run the server: then it runs as `postgres` (uid, gid).
fn server_user() -> Result<Option<(u32, u32)>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = c"postgres";
    // SAFETY: a valid C string; the returned entry is read before any other getpw* call.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err("running as root and there is no `postgres` user to run the server".into());
    }
    // SAFETY: checked non-null above.
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn chown(dir: &Path, uid: u32, gid: u32) -> Result<(), String> {
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| format!("chown {dir:?}: {e}"))
}

/// A port number nobody listens on (it only names the socket file, but stays honest if the
/// server is ever given TCP).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// `initdb`, as `postgres` through `runuser` when we are root.
fn init(dir: &Path, as_postgres: bool) -> Result<(), String> {
    let data = dir.join("data");
    let mut command = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "initdb"]);
        c
    } else {
        Command::new("initdb")
    };
    let output = command
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// The supervisor: starts the server, and on SIGTERM (or the server's own end) stops it and
/// removes the folder. SIGUSR1 stops the server (fast shutdown) and keeps the folder, SIGUSR2
/// starts it again on the same folder, socket and port ([`Cluster::restart`]). Not `runuser`:
/// changing user clears the parent-death signal, so the switch is made here before it is set.
const SUPERVISOR: &str = r#"
dir=$1
port=$2
run() {
    postgres -D "$dir/data" -k "$dir" -p "$port" -c listen_addresses= -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
        >>"$dir/server.log" 2>&1 &
    pid=$!
}
down=
trap 'kill -INT $pid; wait $pid; rm -rf "$dir"; exit 0' TERM INT HUP
trap 'down=1; kill -INT $pid; wait $pid' USR1
trap '[ -n "$down" ] && { down=; run; }' USR2
run
while :; do
    if [ -n "$down" ]; then sleep 0.05; continue; fi
    wait $pid
    if [ -z "$down" ] && ! kill -0 $pid 2>/dev/null; then break; fi
done
rm -rf "$dir"
"#;

fn serve(dir: &Path, port: u16, owner: Option<(u32, u32)>) -> Result<Child, String> {
    let mut command = Command::new("sh");
    command
        .args(["-c", SUPERVISOR, "sh"])
        .arg(dir)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if let Some((uid, gid)) = owner
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().map_err(|e| format!("start postgres: {e}"))
}

/// Waits for the server and creates the test database.
fn create_database(cluster: &Cluster) -> Result<(), String> {
    let admin = url(&cluster.dir, cluster.port, "postgres");
    let deadline = Instant::now() + STARTUP;
    loop {
        match execute(&admin, &format!("CREATE DATABASE {DATABASE}")) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                let log =
                    std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default();
                return Err(format!("{e}; server log:\n{log}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Runs `statements` on a connection of its own.
pub(crate) fn execute(url: &str, statements: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(connection);
        let result = client
            .batch_execute(statements)
            .await
            .map_err(|e| e.to_string());
        drop(client);
        let _ = driver.await;
        result
    })
}

fn url(dir: &Path, port: u16, database: &str) -> String {
    format!(
        "postgresql:///{database}?host={}&port={port}&user=postgres",
        dir.display()
    )
}
