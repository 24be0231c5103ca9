//! File lock, atomic writes, the manifest schema with its state machine and leases,
//! backup/recovery, the progress log and migration of old state files. Must not call providers.
//!
//! The entry point is [`Store`]: `Store::open(dir)?`, then `load()` to read or `lock(timeout)` /
//! `update_with_lock(f)` to change the manifest through a [`LockedManifest`] (docs/ARCHITECTURE.md §3–§5, §7).

pub mod artifacts;
pub mod atomic;
mod batch;
mod chapter_ops;
pub mod claims;
mod error;
pub mod layout;
pub mod liveness;
pub mod lock;
mod locked;
pub mod manifest;
pub(crate) mod open;
pub mod portraits;
pub mod postgres;
pub mod progress_log;
mod recovery;
pub mod state;
#[cfg(test)]
mod test_server;
#[cfg(test)]
pub(crate) mod test_support;
pub mod transition;
mod usage;

pub use batch::CommitStats;
pub use chapter_ops::SceneOutcome;
pub use claims::{DEFAULT_LEASE, Expiry, WorkerId};
pub use error::Error;
pub use liveness::WorkerLock;
pub use lock::{FileLock, LOCK_FILE};
pub use locked::LockedManifest;
pub use manifest::{BookMeta, ChapterState, Claim, ElementsStatus, Manifest, MergeReport, Status};
pub use portraits::{Portrait, PortraitOutcome, PortraitStatus};
pub use postgres::PgState;
pub use progress_log::ProgressLog;
pub use state::{BookState, MemoryStore, OpenBook, Opened, WorkerGuard};
pub use transition::{Event, IllegalTransition, transition};
pub use usage::Usage;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use layout::{MANIFEST_FILE, SUBDIRS};

/// The book's state kept in the output folder `dir` (the manifest under its file lock, waiting
/// at most `lock_timeout` for it): the default store, as the trait the rest of the program uses.
pub fn folder_state(dir: &Path, lock_timeout: Duration) -> Result<Arc<dyn BookState>, Error> {
    Ok(Arc::new(Store::open(dir)?.with_lock_timeout(lock_timeout)))
}

/// An output folder an earlier run made, with its manifest: for the commands that work on one
/// (render, compile, style, scenes, regenerate). A missing folder or manifest is an error.
pub fn existing_folder(dir: &Path) -> Result<(Store, Manifest), Error> {
    if !dir.is_dir() {
        return Err(Error::NoFolder {
            dir: dir.to_path_buf(),
        });
    }
    let store = Store::open(dir)?;
    let manifest = store.load()?.manifest.ok_or_else(|| Error::NoManifest {
        dir: dir.to_path_buf(),
    })?;
    Ok((store, manifest))
}

/// How long `update_with_lock` waits for the lock unless told otherwise. The lock is held for
/// milliseconds, so waiting this long means something is wrong (a hung process, a network
/// filesystem without locks).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// A book's output folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    lock_timeout: Duration,
    /// Shared by the clones of this `Store`. Two `Store`s opened separately on one folder do
    /// not share it; the file lock keeps them correct, as it does between processes.
    committer: Arc<batch::Committer>,
}

/// The manifest as read, with what recovery did (for the user).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `None` for a folder no run has written yet.
    pub manifest: Option<Manifest>,
    /// Warnings the caller must show: a manifest that was missing or unusable, where the bad file
    /// was kept (`.corrupt-<ts>`) and that the run continues from `.bak`. Empty normally.
    pub notes: Vec<String>,
}

impl Store {
    /// Opens `dir` (creating it) and removes temp files left by killed writers.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Store, Error> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
        atomic::clean_stray_temps(&dir)?;
        for sub in SUBDIRS {
            atomic::clean_stray_temps(&dir.join(sub))?;
        }
        Ok(Store {
            committer: Arc::default(),
            dir,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// Sets how long `update_with_lock` waits for the lock.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Store {
        self.lock_timeout = timeout;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest_path(&self) -> PathBuf {
        recovery::manifest_path(&self.dir)
    }

    /// Reads the manifest without the lock (writes are atomic, so this is always a whole
    /// version). A file this process wrote or read last is not parsed again. Only a missing or
    /// bad manifest takes the lock, to recover from `.bak`.
    pub fn load(&self) -> Result<Loaded, Error> {
        let path = self.manifest_path();
        let read = match std::fs::read(&path) {
            Ok(bytes) => match self.committer.copy_if_current(&bytes) {
                Some(manifest) => recovery::Read::Good(Box::new(manifest), bytes),
                None => recovery::parse(&path, bytes)?,
            },
            Err(_) => recovery::read(&path)?,
        };
        if let recovery::Read::Good(manifest, _) = read {
            return Ok(Loaded {
                manifest: Some(*manifest),
                notes: Vec::new(),
            });
        }
        let locked = self.lock(self.lock_timeout)?;
        Ok(Loaded {
            notes: locked.notes().to_vec(),
            manifest: locked.manifest,
        })
    }

    /// Takes the lock (waiting up to `timeout`) and reads the manifest, recovering if needed.
    pub fn lock(&self, timeout: Duration) -> Result<LockedManifest, Error> {
        let lock = FileLock::acquire(&self.dir.join(LOCK_FILE), timeout)?;
        let recovered = recovery::recover(&self.dir)?;
        Ok(LockedManifest::new(
            lock,
            self.dir.clone(),
            recovered.manifest,
            recovered.notes,
        ))
    }

    /// Read under the lock → `f` → commit if `f` changed anything → unlock, returning once what
    /// `f` saw and did is on disk. Nothing is written when `f` fails (or panics). Concurrent
    /// calls in this process share writes (group commit, see `batch.rs`).
    pub fn update_with_lock<T, E>(
        &self,
        f: impl FnOnce(&mut LockedManifest) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.committer.update(&self.dir, self.lock_timeout, f)
    }

    /// What the in-process group commit did so far on this folder (all `Store`s of it).
    pub fn commit_stats(&self) -> CommitStats {
        self.committer.stats()
    }

    /// Registers `worker` as alive until the returned lock is dropped (or the process dies).
    /// A worker holds this before it claims anything.
    pub fn register_worker(&self, worker: &WorkerId) -> Result<WorkerLock, Error> {
        WorkerLock::acquire(&self.dir, worker)
    }

    /// Opens `progress.md` for appending.
    pub fn progress_log(&self) -> Result<ProgressLog, Error> {
        ProgressLog::open(&self.dir)
    }
}
