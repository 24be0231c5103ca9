//! The cross-process lock on `<out>/.imaginize.lock`: the OS advisory lock (`flock` on Unix), so
//! the kernel releases it when its holder dies and a killed run never blocks the next one. The
//! file is never deleted; its holder writes its pid, host and start time into it, used only in
//! messages.

use crate::store::Error;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The lock file's name inside the output folder (named in `layout`).
pub use crate::store::layout::LOCK_FILE;

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct FileLock {
    /// The open lock file: the lock belongs to this open file description, so two `FileLock`s in
    /// one process exclude each other just as two processes do.
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Takes the lock at `path`, waiting up to `timeout`; the error names the current holder.
    ///
    /// A busy lock is waited for with a blocking `flock` on a helper thread rather than by
    /// polling: the kernel queues blocked waiters, so under contention each one gets its turn
    /// instead of losing to whichever process happens to retry first (polling gave a p99 of over
    /// a second with 10 processes). If the wait times out, the helper keeps waiting and releases
    /// the lock the moment it gets it.
    pub fn acquire(path: &Path, timeout: Duration) -> Result<FileLock, Error> {
        let start = Instant::now();
        courtesy::before_acquire();
        if let Some(lock) = Self::try_acquire(path)? {
            return Ok(lock);
        }
        courtesy::contended();
        let file = open_lock_file(path)?;
        let (tx, rx) = mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("imaginize-lock".into())
            .spawn(move || {
                let locked = file.lock().map(|()| file);
                // If the caller has given up, the send fails (or the value is dropped with the
                // channel), which closes the file and so releases the lock at once.
                let _ = tx.send(locked);
            });
        if let Err(source) = spawned {
            return Err(Error::io("start a thread to wait for", path, source));
        }
        match rx.recv_timeout(timeout.saturating_sub(start.elapsed())) {
            Ok(Ok(file)) => {
                let mut lock = FileLock {
                    file,
                    path: path.to_path_buf(),
                };
                // Only for messages: a failure to describe ourselves must not fail the lock.
                let _ = lock.write_holder();
                Ok(lock)
            }
            Ok(Err(source)) => Err(Error::io("lock", path, source)),
            Err(_) => Err(Error::LockTimeout {
                path: path.to_path_buf(),
                waited: start.elapsed(),
                holder: read_holder(path),
            }),
        }
    }

    /// Takes the lock if it is free right now.
    pub fn try_acquire(path: &Path) -> Result<Option<FileLock>, Error> {
        let file = open_lock_file(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(source)) => return Err(Error::io("lock", path, source)),
        }
        let mut lock = FileLock {
            file,
            path: path.to_path_buf(),
        };
        // Only for messages: a failure to describe ourselves must not fail the lock.
        let _ = lock.write_holder();
        Ok(Some(lock))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_holder(&mut self) -> std::io::Result<()> {
        let line = format!(
            "pid {} on host {} since {}\n",
            std::process::id(),
            gethostname::gethostname().to_string_lossy(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(line.as_bytes())
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it immediate.
        let _ = self.file.unlock();
        courtesy::released();
    }
}

/// `flock` wakes a waiter when the lock is let go but does not hand it over: a process that lets
/// go and asks again at once takes it back before the woken waiter is even scheduled, and under
/// contention some processes then wait far longer than others (10 processes on tmpfs: p50 0.1
/// ms, p99 over 90 ms). So a process that had to wait recently, and has just let go, pauses
/// briefly before asking again, giving the woken waiter its turn. Without contention nothing
/// changes; on disk the pause is small next to the fsyncs.
mod courtesy {
    use std::sync::LazyLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    /// How long after a wait this process keeps pausing.
    const CONTENDED_FOR: Duration = Duration::from_millis(100);
    /// A release older than this has given waiters their chance already.
    const JUST_RELEASED: Duration = Duration::from_millis(1);
    const PAUSE: Duration = Duration::from_micros(200);

    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    /// Microseconds since `EPOCH` (+1, so 0 means never).
    static CONTENDED_AT: AtomicU64 = AtomicU64::new(0);
    static RELEASED_AT: AtomicU64 = AtomicU64::new(0);

    fn now() -> u64 {
        EPOCH.elapsed().as_micros() as u64 + 1
    }

    fn within(at: &AtomicU64, span: Duration) -> bool {
        let at = at.load(Ordering::Relaxed);
        at != 0 && now().saturating_sub(at) < span.as_micros() as u64
    }

    pub(super) fn contended() {
        CONTENDED_AT.store(now(), Ordering::Relaxed);
    }

    pub(super) fn released() {
        RELEASED_AT.store(now(), Ordering::Relaxed);
    }

    pub(super) fn before_acquire() {
        if within(&CONTENDED_AT, CONTENDED_FOR) && within(&RELEASED_AT, JUST_RELEASED) {
            std::thread::sleep(PAUSE);
        }
    }
}

/// Runs `f` while holding the lock at `path`; the lock is released on every path out of `f`,
/// panics included (the guard is dropped while unwinding).
pub fn with_lock<T>(path: &Path, timeout: Duration, f: impl FnOnce() -> T) -> Result<T, Error> {
    let _lock = FileLock::acquire(path, timeout)?;
    Ok(f())
}

fn open_lock_file(path: &Path) -> Result<File, Error> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io("open lock file", path, e))
}

/// What the lock file says about its holder, for messages.
pub(crate) fn read_holder(path: &Path) -> String {
    let mut text = String::new();
    let read = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    match read {
        Ok(_) if !text.trim().is_empty() => text.trim().to_string(),
        _ => "an unknown process".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_times_out_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let held = FileLock::acquire(&path, Duration::from_secs(1)).unwrap();
        let err = FileLock::acquire(&path, Duration::from_millis(50)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("held by pid {} on host", std::process::id())),
            "{msg}"
        );
        assert!(
            msg.ends_with("is another imaginize running on this book?"),
            "{msg}"
        );
        drop(held);
        // The timed-out waiter's helper may hold it for an instant before letting go.
        assert!(FileLock::acquire(&path, Duration::from_secs(5)).is_ok());
        assert!(path.exists(), "the lock file is never deleted");
    }

    #[test]
    fn a_waiter_gets_the_lock_when_the_holder_lets_go() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let held = FileLock::acquire(&path, Duration::from_secs(1)).unwrap();
        let released = std::sync::Arc::new(AtomicBool::new(false));
        let (asking, asked) = std::sync::mpsc::channel();
        let waiter = {
            let (path, released) = (path.clone(), released.clone());
            std::thread::spawn(move || {
                asking.send(()).unwrap();
                let got = FileLock::acquire(&path, Duration::from_secs(10));
                (got.is_ok(), released.load(Ordering::SeqCst))
            })
        };
        asked.recv().unwrap();
        released.store(true, Ordering::SeqCst);
        drop(held);
        // Got it within its own timeout, and never while the holder had it.
        assert_eq!(waiter.join().unwrap(), (true, true));
    }

    #[test]
    fn a_process_that_waited_and_just_let_go_pauses_before_asking_again() {
        courtesy::contended();
        courtesy::released();
        let start = Instant::now();
        courtesy::before_acquire();
        assert!(start.elapsed() >= Duration::from_micros(200));
    }

    #[test]
    fn with_lock_releases_after_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let panicked = std::panic::catch_unwind(|| {
            with_lock(&path, Duration::from_secs(1), || panic!("inside")).ok()
        });
        assert!(panicked.is_err());
        assert!(FileLock::try_acquire(&path).unwrap().is_some());
    }

    #[test]
    fn with_lock_returns_the_closure_value_and_releases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let v = with_lock(&path, Duration::from_secs(1), || {
            FileLock::try_acquire(&path).unwrap().is_none()
        })
        .unwrap();
        assert!(v, "the lock is held inside the closure");
        assert!(FileLock::try_acquire(&path).unwrap().is_some());
    }
}
