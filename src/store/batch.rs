//! Group commit inside one process. Every `update_with_lock` applies its change to one in-memory
//! manifest held under the file lock, and one write makes a whole batch of changes durable: the
//! callers that arrive while a write is in flight share the next one. A caller still returns only
//! once its change — or, for a caller that changed nothing, the state it read — is on disk, so
//! the guarantee is the same as a write per call, at a fraction of the fsyncs.
//!
//! Other processes see no difference: the file lock is held from the read to the last write of a
//! batch and released the moment nothing is pending, and a batch is sealed after a few writes so
//! a busy process cannot starve the others.
//!
//! The last manifest written (or read) is kept with the file's bytes: when the next batch opens
//! and the file still holds exactly those bytes, it is not parsed again.

use crate::store::Error;
use crate::store::lock::{FileLock, LOCK_FILE, read_holder};
use crate::store::locked::{LockedManifest, write_manifest};
use crate::store::manifest::Manifest;
use crate::store::recovery::{self, manifest_path};
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Writes in a row after which a batch takes no new changes until it has closed (and the file
/// lock has been offered to other processes).
const MAX_WRITES_PER_BATCH: u32 = 8;

/// Failed writes remembered so that every caller of the failed batch gets an error.
const FAILURES_KEPT: usize = 64;

/// The group committer of one `Store` and its clones.
#[derive(Debug, Default)]
pub(crate) struct Committer {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// The manifest under the file lock while a batch is open.
    open: Option<LockedManifest>,
    /// The manifest file as this process last read or wrote it, with the manifest it holds.
    synced: Option<Synced>,
    /// Generation of the last change applied in memory.
    applied: u64,
    /// Generation up to which every change is on disk, or failed (see `failures`).
    settled: u64,
    /// A caller is writing the open batch (without holding this state's mutex).
    writing: bool,
    /// The open batch takes no new changes; wait until it closes.
    sealed: bool,
    /// A caller is taking the file lock to open a batch (without holding this state's mutex,
    /// so that the others can give up at their own deadline).
    opening: bool,
    /// Writes since the open batch began.
    writes: u32,
    /// Generations whose write failed, with the reason.
    failures: VecDeque<Failure>,
    /// Counters for tests and benchmarks.
    stats: CommitStats,
}

/// What the committer did, for tests and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CommitStats {
    /// Changes applied.
    pub changes: u64,
    /// Manifest writes.
    pub writes: u64,
    /// Batches opened from the cached manifest instead of parsing the file.
    pub reused: u64,
}

impl State {
    /// The synced manifest if the file holds exactly `bytes` (counted as a reuse).
    fn reuse_synced(&mut self, bytes: &[u8]) -> Option<Arc<Manifest>> {
        let synced = self.synced.as_ref().filter(|s| s.bytes == bytes)?;
        let manifest = synced.manifest.clone();
        self.stats.reused += 1;
        Some(manifest)
    }
}

/// A version of the manifest file and the manifest it holds: while the file still has exactly
/// these bytes, the manifest need not be parsed again.
#[derive(Debug)]
struct Synced {
    bytes: Vec<u8>,
    manifest: Arc<Manifest>,
}

#[derive(Debug)]
struct Failure {
    from: u64,
    to: u64,
    reason: String,
}

impl Committer {
    /// Applies `f` to the manifest under the file lock and returns once what `f` saw and did is
    /// durable. Nothing of a failing `f` is kept; a panic in `f` is passed on after undoing it.
    pub(crate) fn update<T, E>(
        &self,
        dir: &Path,
        lock_timeout: Duration,
        f: impl FnOnce(&mut LockedManifest) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<Error>,
    {
        // Every caller waits at most `lock_timeout` for the file lock, counted from its own
        // arrival, however many callers of this process queue behind one that is waiting.
        let deadline = Deadline {
            start: Instant::now(),
            timeout: lock_timeout,
        };
        let mut st = self.lock_state();
        while st.sealed || st.opening {
            st = self.wait_until(st, &deadline, dir)?;
        }
        if st.open.is_none() {
            st = self.open(st, dir, &deadline)?;
        }
        let Some(locked) = st.open.as_mut() else {
            return Err(Error::NoManifest { dir: dir.into() }.into());
        };
        let applied = match apply(locked, f) {
            Ok(applied) => applied,
            Err(Unwind::Failed(err)) => {
                self.close_if_idle(&mut st);
                return Err(err);
            }
            Err(Unwind::Panicked(payload)) => {
                self.close_if_idle(&mut st);
                drop(st);
                panic::resume_unwind(payload);
            }
        };
        if applied.changed {
            st.applied += 1;
            st.stats.changes += 1;
        }
        let generation = st.applied;
        let st = self.settle(st, generation)?;
        drop(st);
        Ok(applied.value)
    }

    /// Takes the file lock with the time `deadline` leaves (letting go of the state meanwhile),
    /// then opens a batch on the manifest.
    fn open<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        dir: &Path,
        deadline: &Deadline,
    ) -> Result<MutexGuard<'a, State>, Error> {
        st.opening = true;
        drop(st);
        let lock = FileLock::acquire(&dir.join(LOCK_FILE), deadline.left());
        let mut st = self.lock_state();
        st.opening = false;
        self.changed.notify_all();
        open_batch(&mut st, dir, lock?)?;
        Ok(st)
    }

    /// Waits for a change of state, or fails as a lock timeout once `deadline` has passed.
    fn wait_until<'a>(
        &'a self,
        st: MutexGuard<'a, State>,
        deadline: &Deadline,
        dir: &Path,
    ) -> Result<MutexGuard<'a, State>, Error> {
        let left = deadline.left();
        if left.is_zero() {
            let path = dir.join(LOCK_FILE);
            return Err(Error::LockTimeout {
                holder: read_holder(&path),
                path,
                waited: deadline.start.elapsed(),
            });
        }
        let (st, _) = self
            .changed
            .wait_timeout(st, left)
            .unwrap_or_else(|p| p.into_inner());
        Ok(st)
    }

    /// Waits until `generation` is settled, writing the batch if nobody else is; an error if the
    /// write that carried it failed.
    fn settle<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        generation: u64,
    ) -> Result<MutexGuard<'a, State>, Error> {
        loop {
            if st.settled >= generation {
                self.close_if_idle(&mut st);
                return match st
                    .failures
                    .iter()
                    .find(|f| f.from <= generation && generation <= f.to)
                {
                    Some(failure) => Err(Error::Commit {
                        reason: failure.reason.clone(),
                    }),
                    None => Ok(st),
                };
            }
            if st.writing {
                st = self.wait(st);
                continue;
            }
            let (next, written) = self.write_once(st);
            st = next;
            written?;
        }
    }

    /// Writes everything applied so far (releasing the state's mutex during the I/O).
    fn write_once<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, Result<(), Error>) {
        let target = st.applied;
        let encoded = match st.open.as_mut() {
            Some(locked) => locked.encode_for_commit().map(|bytes| {
                let written = locked.get().cloned().map(Arc::new);
                (locked.dir().to_path_buf(), bytes, written)
            }),
            None => Err(Error::Commit {
                reason: "the batch was closed before it was written".into(),
            }),
        };
        let (dir, bytes, written_manifest) = match encoded {
            Ok(encoded) => encoded,
            Err(err) => {
                self.fail_batch(&mut st, target, &err);
                return (st, Err(err));
            }
        };
        st.writing = true;
        drop(st);
        let written = write_manifest(&dir, &bytes);
        let mut st = self.lock_state();
        st.writing = false;
        match written {
            Ok(()) => {
                st.settled = target;
                st.synced = written_manifest.map(|manifest| Synced { bytes, manifest });
                st.writes += 1;
                st.stats.writes += 1;
                if st.writes >= MAX_WRITES_PER_BATCH {
                    st.sealed = true;
                }
                self.close_if_idle(&mut st);
                self.changed.notify_all();
                (st, Ok(()))
            }
            Err(err) => {
                self.fail_batch(&mut st, target, &err);
                (st, Err(err))
            }
        }
    }

    /// Drops the open batch after a failed write: its changes are lost, so every caller up to
    /// `target` (and any that applied since) gets an error and the next batch re-reads the file.
    fn fail_batch(&self, st: &mut State, target: u64, err: &Error) {
        let to = st.applied.max(target);
        st.failures.push_back(Failure {
            from: st.settled + 1,
            to,
            reason: err.to_string(),
        });
        if st.failures.len() > FAILURES_KEPT {
            st.failures.pop_front();
        }
        // One generation past the failed ones: a caller of the next batch that changes nothing
        // observes this one, not a failed one.
        st.applied = to + 1;
        st.settled = to + 1;
        st.open = None;
        st.synced = None;
        st.sealed = false;
        self.changed.notify_all();
    }

    /// Releases the file lock once nothing is pending (`synced` keeps the manifest for the next
    /// batch).
    fn close_if_idle(&self, st: &mut State) {
        if st.writing || st.applied != st.settled {
            return;
        }
        st.open = None;
        st.writes = 0;
        if st.sealed {
            st.sealed = false;
            self.changed.notify_all();
        }
    }

    /// A copy of the manifest this process last read or wrote, if `bytes` (the file as just
    /// read) are exactly what it was read from or written as. Changes applied in memory but not
    /// yet written are not in it, just as they are not in the file.
    pub(crate) fn copy_if_current(&self, bytes: &[u8]) -> Option<Manifest> {
        // Copied after letting go of the state: the copy need not hold up other callers.
        let manifest = self.lock_state().reuse_synced(bytes)?;
        Some(Manifest::clone(&manifest))
    }

    pub(crate) fn stats(&self) -> CommitStats {
        self.lock_state().stats
    }

    /// The state; a panic in a caller's `f` is undone before unwinding, so a poisoned mutex still
    /// guards a consistent state.
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&'a self, st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(st).unwrap_or_else(|p| p.into_inner())
    }
}

/// When a caller gives up waiting for the file lock.
struct Deadline {
    start: Instant,
    timeout: Duration,
}

impl Deadline {
    fn left(&self) -> Duration {
        self.timeout.saturating_sub(self.start.elapsed())
    }
}

/// Reads the manifest under `lock`, reusing the synced one if the file is unchanged.
fn open_batch(st: &mut State, dir: &Path, lock: FileLock) -> Result<(), Error> {
    let path = manifest_path(dir);
    let current = match std::fs::read(&path) {
        Ok(bytes) => match st.reuse_synced(&bytes) {
            Some(manifest) => {
                let manifest = Some(Manifest::clone(&manifest));
                st.open = Some(LockedManifest::new(lock, dir.into(), manifest, Vec::new()));
                return Ok(());
            }
            None => recovery::parse(&path, bytes)?,
        },
        Err(_) => recovery::read(&path)?,
    };
    let recovered = recovery::recover_from(dir, current)?;
    st.synced = match (&recovered.manifest, recovered.bytes) {
        (Some(manifest), Some(bytes)) => Some(Synced {
            bytes,
            manifest: Arc::new(manifest.clone()),
        }),
        _ => None,
    };
    st.open = Some(LockedManifest::new(
        lock,
        dir.into(),
        recovered.manifest,
        recovered.notes,
    ));
    Ok(())
}

struct Applied<T> {
    value: T,
    changed: bool,
}

enum Unwind<E> {
    Failed(E),
    Panicked(Box<dyn std::any::Any + Send>),
}

/// Runs `f` on the open manifest; if it fails, panics or leaves an invalid manifest, the manifest
/// is put back as it was.
fn apply<T, E>(
    locked: &mut LockedManifest,
    f: impl FnOnce(&mut LockedManifest) -> Result<T, E>,
) -> Result<Applied<T>, Unwind<E>>
where
    E: From<Error>,
{
    let before = locked.manifest.clone();
    locked.dirty = false;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(&mut *locked)));
    let changed = std::mem::take(&mut locked.dirty) && locked.manifest.is_some();
    let checked = match outcome {
        Ok(Ok(value)) if changed => locked
            .check()
            .map(|()| value)
            .map_err(|err| Unwind::Failed(err.into())),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(Unwind::Failed(err)),
        Err(payload) => Err(Unwind::Panicked(payload)),
    };
    match checked {
        Ok(value) => Ok(Applied { value, changed }),
        Err(unwind) => {
            locked.manifest = before;
            Err(unwind)
        }
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
