//! Whether a claim's worker on this host is alive, told by a lock the kernel releases when the
//! process dies: every worker holds an `flock` on its own file in `.imaginize.workers/` for as
//! long as it may hold claims. A pid cannot be trusted for this: a zombie (killed but not yet
//! reaped) still answers `kill(pid, 0)`, and a new process may reuse the pid.

use crate::store::claims::{WorkerId, pid_alive};
use crate::store::error::Error;
use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where a store learns which workers are alive.
#[derive(Debug, Clone)]
pub enum Workers {
    /// The lock files in this output folder's `.imaginize.workers/` (workers on this host; a
    /// worker elsewhere is judged by its lease alone).
    Folder(PathBuf),
    /// The workers registered and not yet dropped: in this process (the in-memory store), or
    /// the rows of a database's `workers` table as read at the start of a transaction.
    Registry(Arc<Mutex<HashSet<WorkerId>>>),
    /// Nobody can tell (the database could not be asked): the lease alone decides.
    LeaseOnly,
}

impl Workers {
    pub fn liveness(&self, worker: &WorkerId) -> Liveness {
        match self {
            Workers::Folder(_) if !worker.is_local() => Liveness::Unknown,
            Workers::Folder(dir) => liveness(dir, worker),
            Workers::Registry(live) => match live.lock() {
                Ok(live) if live.contains(worker) => Liveness::Alive,
                Ok(_) => Liveness::Dead,
                Err(_) => Liveness::Unknown,
            },
            Workers::LeaseOnly => Liveness::Unknown,
        }
    }
}

/// The folder of the workers' lock files inside the output folder (named in `layout`).
pub use crate::store::layout::WORKERS_DIR;

/// Held by a live worker: its lock file, locked. Dropping it lets the lock go, as the kernel
/// does when the process dies: the file stays, so a claim the worker still held is seen as
/// dead at once, and the next run's recovery removes it once no claim names it.
#[derive(Debug)]
pub struct WorkerLock {
    file: File,
    path: PathBuf,
}

impl WorkerLock {
    /// Creates and locks `worker`'s file. The file is re-checked after locking: a cleaner that
    /// removed it between create and lock would leave this worker holding a lock nobody sees.
    pub fn acquire(out: &Path, worker: &WorkerId) -> Result<WorkerLock, Error> {
        let dir = crate::store::layout::workers_dir(out);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
        let path = dir.join(file_name(worker));
        loop {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io("create", &path, e))?;
            file.lock().map_err(|e| Error::io("lock", &path, e))?;
            if same_file(&file, &path) {
                return Ok(WorkerLock { file, path });
            }
        }
    }
}

impl WorkerLock {
    /// Ends a worker that holds no claim any more: its file is removed while still locked, so
    /// no prober ever finds it unlocked and alive-looking.
    pub fn retire(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

/// What the lock file says about a worker of this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Dead,
    /// Neither could be told (an I/O error): the lease decides.
    Unknown,
}

/// Whether `worker` (of this host) still runs. Without a lock file (a worker of an older
/// version) its pid decides, a zombie counting as dead.
pub fn liveness(out: &Path, worker: &WorkerId) -> Liveness {
    let path = crate::store::layout::workers_dir(out).join(file_name(worker));
    match File::open(&path) {
        Ok(file) => match file.try_lock() {
            Ok(()) => Liveness::Dead,
            Err(TryLockError::WouldBlock) => Liveness::Alive,
            Err(TryLockError::Error(_)) => Liveness::Unknown,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match worker.pid() {
            Some(pid) if pid_alive(pid) && !is_zombie(pid) => Liveness::Alive,
            _ => Liveness::Dead,
        },
        Err(_) => Liveness::Unknown,
    }
}

/// Removes the lock files of this host's dead workers that `in_use` says no claim names any
/// more. Called under the manifest lock, after dead claims were recovered.
pub fn remove_dead(out: &Path, host: &str, in_use: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(crate::store::layout::workers_dir(out)) else {
        return;
    };
    let prefix = format!("{}-", sanitize(host));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) || in_use(&name) {
            continue;
        }
        let dead = File::open(entry.path()).is_ok_and(|file| file.try_lock().is_ok());
        if dead {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `host-pid-nonce.lock`, with anything but letters, digits, `.` and `_` in the host made `_`.
pub fn file_name(worker: &WorkerId) -> String {
    let mut parts = worker.0.rsplitn(3, ':');
    let nonce = parts.next().unwrap_or_default();
    let pid = parts.next().unwrap_or_default();
    let host = parts.next().unwrap_or_default();
    format!("{}-{pid}-{nonce}.lock", sanitize(host))
}

fn sanitize(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(held), Ok(named)) => held.ino() == named.ino() && held.dev() == named.dev(),
        _ => false,
    }
}

/// Whether `pid` is a zombie: exited, its files closed, waiting for its parent to reap it.
fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may contain spaces.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
        == Some('Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_and_a_dropped_one_dead() {
        let dir = tempfile::tempdir().expect("tempdir");
        let worker = WorkerId::current();
        let lock = WorkerLock::acquire(dir.path(), &worker).expect("lock");
        assert_eq!(liveness(dir.path(), &worker), Liveness::Alive);
        drop(lock);
        assert_eq!(liveness(dir.path(), &worker), Liveness::Dead);
        let lock = WorkerLock::acquire(dir.path(), &worker).expect("lock again");
        lock.retire();
        let file = dir.path().join(WORKERS_DIR).join(file_name(&worker));
        assert!(!file.exists(), "a retired worker's file stays");
    }

    #[test]
    fn an_unlocked_file_is_a_dead_worker_even_when_its_pid_lives() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Our own pid is alive: only the lock file can say this worker is dead.
        let worker = WorkerId::current();
        std::fs::create_dir_all(dir.path().join(WORKERS_DIR)).expect("mkdir");
        std::fs::write(dir.path().join(WORKERS_DIR).join(file_name(&worker)), b"").expect("write");
        assert_eq!(liveness(dir.path(), &worker), Liveness::Dead);
    }

    #[test]
    fn without_a_file_the_pid_decides() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(liveness(dir.path(), &WorkerId::current()), Liveness::Alive);
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let gone = WorkerId(format!("{host}:{}:1", 0x7fff_fff0));
        assert_eq!(liveness(dir.path(), &gone), Liveness::Dead);
    }

    #[test]
    fn a_zombie_is_dead() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id() as i32;
        // Not reaped yet: a zombie as soon as it exits.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !is_zombie(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(is_zombie(pid), "the child never showed as a zombie");
        assert!(pid_alive(pid), "kill(pid, 0) is fooled by a zombie");
        let _ = child.wait();
        assert!(!is_zombie(std::process::id() as i32));
    }

    #[test]
    fn remove_dead_keeps_live_and_named_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let live = WorkerId::current();
        let _held = WorkerLock::acquire(dir.path(), &live).expect("lock");
        let dead = WorkerId(format!("{host}:1:dead"));
        let named = WorkerId(format!("{host}:2:named"));
        for w in [&dead, &named] {
            std::fs::write(dir.path().join(WORKERS_DIR).join(file_name(w)), b"").expect("write");
        }
        let named_file = file_name(&named);
        remove_dead(dir.path(), &host, |name| name == named_file);
        let left: Vec<String> = std::fs::read_dir(dir.path().join(WORKERS_DIR))
            .expect("read_dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(left.contains(&file_name(&live)));
        assert!(left.contains(&named_file));
        assert!(!left.contains(&file_name(&dead)));
    }
}
