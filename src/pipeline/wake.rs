//! Wake-ups for illustrators. In one process the analyzer bumps a generation counter the moment
//! a chapter is analyzed (no polling delay). Across processes a file-system watcher on the
//! output folder bumps the same counter when the manifest is replaced, and a `pollSecs` tick
//! covers filesystems that send no events (NFS, SMB).

use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

/// Shared by everyone who announces or awaits a state change.
#[derive(Debug, Clone)]
pub struct Wake {
    sender: watch::Sender<u64>,
}

/// One waiter's view: remembers the last generation it saw, so no wake-up is ever lost.
#[derive(Debug)]
pub struct Waiter {
    receiver: watch::Receiver<u64>,
    poll: Duration,
}

impl Default for Wake {
    fn default() -> Self {
        Self::new()
    }
}

impl Wake {
    pub fn new() -> Self {
        let (sender, _) = watch::channel(0);
        Wake { sender }
    }

    /// Announces a change (a chapter analyzed, analysis finished, a claim released).
    pub fn bump(&self) {
        self.sender.send_modify(|generation| *generation += 1);
    }

    /// A waiter that wakes on `bump` or after `poll` at the latest.
    pub fn waiter(&self, poll: Duration) -> Waiter {
        Waiter {
            receiver: self.sender.subscribe(),
            poll,
        }
    }

    /// Watches `dir` for replacements of the manifest by other processes. The returned watcher
    /// must be kept alive; `None` when the platform offers no events (polling still works).
    pub fn watch_dir(&self, dir: &Path) -> Option<notify::RecommendedWatcher> {
        let sender = self.sender.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|event| replaces_manifest(&event)) {
                    sender.send_modify(|generation| *generation += 1);
                }
            })
            .ok()?;
        watcher.watch(dir, RecursiveMode::NonRecursive).ok()?;
        Some(watcher)
    }
}

/// Whether the event says the manifest may hold something new. Reads are left out: every
/// claim attempt opens the manifest, and waking on opens made idle illustrators of every
/// process wake each other in a loop.
fn replaces_manifest(event: &notify::Event) -> bool {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode};
    let changes = matches!(
        event.kind,
        EventKind::Create(_)
            | EventKind::Modify(_)
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    );
    changes
        && event.paths.iter().any(|path| {
            path.file_name()
                .is_some_and(|name| name == crate::store::layout::MANIFEST_FILE)
        })
}

impl Waiter {
    /// Returns when something changed since the last call, or after the poll interval.
    pub async fn wait(&mut self) {
        self.wait_at_most(None).await;
    }

    /// `wait`, but returning after `at_most` when that is sooner than the poll interval.
    pub async fn wait_at_most(&mut self, at_most: Option<Duration>) {
        let limit = at_most.map_or(self.poll, |d| d.min(self.poll));
        let _ = tokio::time::timeout(limit, self.receiver.changed()).await;
        self.receiver.mark_unchanged();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn a_bump_wakes_at_once_and_is_never_lost() {
        let wake = Wake::new();
        let mut waiter = wake.waiter(Duration::from_secs(30));
        wake.bump(); // before the wait: still seen
        let started = tokio::time::Instant::now();
        waiter.wait().await;
        // Paused time only moves when every task waits: a lost bump would show 30 s here.
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_bump_the_poll_interval_wakes() {
        let wake = Wake::new();
        let mut waiter = wake.waiter(Duration::from_secs(1));
        let started = tokio::time::Instant::now();
        waiter.wait().await;
        assert!(started.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test]
    async fn reading_the_manifest_wakes_nobody() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = dir.path().join(".imaginize.manifest.json");
        std::fs::write(&manifest, "{}").expect("write");
        let wake = Wake::new();
        let poll = Duration::from_millis(400);
        let mut waiter = wake.waiter(poll);
        let Some(_watcher) = wake.watch_dir(dir.path()) else {
            eprintln!("notice: no file-system events on this platform; polling covers it");
            return;
        };
        for _ in 0..5 {
            std::fs::read(&manifest).expect("read");
        }
        let started = Instant::now();
        waiter.wait().await;
        assert!(
            started.elapsed() >= poll,
            "reads of the manifest woke the waiter after {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_manifest_replaced_by_another_process_wakes_the_watcher() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wake = Wake::new();
        // A poll that never comes within the test: whatever wakes the waiter is the event.
        let mut waiter = wake.waiter(Duration::from_secs(3600));
        let Some(_watcher) = wake.watch_dir(dir.path()) else {
            eprintln!("notice: no file-system events on this platform; polling covers it");
            return;
        };
        let tmp = dir.path().join(".tmp-manifest");
        std::fs::write(&tmp, "{}").expect("write");
        std::fs::rename(&tmp, dir.path().join(".imaginize.manifest.json")).expect("rename");
        let woken = tokio::time::timeout(Duration::from_secs(60), waiter.wait()).await;
        assert!(woken.is_ok(), "the replaced manifest woke nobody");
    }
}
