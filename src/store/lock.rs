//! The cross-process lock on `<out>/.imaginize.lock`: the OS advisory lock (`flock` on Unix), so
//! the kernel releases it when its holder dies and a killed run never blocks the next one. The
//! file is never deleted; its holder writes its pid, host and start time into it, used only in
//! messages.

use crate::store::Error;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".imaginize.lock";

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
    pub fn acquire(path: &Path, timeout: Duration) -> Result<FileLock, Error> {
        let start = Instant::now();
        let mut pause = Duration::from_micros(200);
        loop {
            if let Some(lock) = Self::try_acquire(path)? {
                return Ok(lock);
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::LockTimeout {
                    path: path.to_path_buf(),
                    waited,
                    holder: read_holder(path),
                });
            }
            // Jitter keeps waiting processes from waking in lock-step.
            let jitter = Duration::from_micros(fastrand::u64(0..=pause.as_micros() as u64));
            std::thread::sleep((pause + jitter).min(timeout.saturating_sub(waited)));
            pause = (pause * 3 / 2).min(Duration::from_millis(4));
        }
    }

    /// Takes the lock if it is free right now.
    pub fn try_acquire(path: &Path) -> Result<Option<FileLock>, Error> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io("open lock file", path, e))?;
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

    /// Releases the lock (dropping it does the same).
    pub fn release(self) {}

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
    }
}

/// Runs `f` while holding the lock at `path`; the lock is released on every path out of `f`,
/// panics included (the guard is dropped while unwinding).
pub fn with_lock<T>(path: &Path, timeout: Duration, f: impl FnOnce() -> T) -> Result<T, Error> {
    let _lock = FileLock::acquire(path, timeout)?;
    Ok(f())
}

/// What the lock file says about its holder, for messages.
fn read_holder(path: &Path) -> String {
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
        assert!(FileLock::try_acquire(&path).unwrap().is_some());
        assert!(path.exists(), "the lock file is never deleted");
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
