//! Worker identity and the lease rules: when a claim may be taken over (heartbeat older than the
//! lease, or a dead pid on this host) and when it must never be (a live worker within its lease).

use crate::store::liveness::{Liveness, Workers};
use crate::store::manifest::Claim;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The default lease (`leaseSecs`): a claim with no heartbeat for this long is recovered.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// `host:pid:nonce`: who holds a claim. The nonce tells apart workers of one process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(pub String);

impl WorkerId {
    /// A new id for a worker of this process on this host.
    pub fn current() -> WorkerId {
        WorkerId(format!(
            "{}:{}:{:08x}",
            gethostname::gethostname().to_string_lossy(),
            std::process::id(),
            fastrand::u32(..)
        ))
    }

    /// The host part (everything before the last two `:`).
    pub fn host(&self) -> Option<&str> {
        let mut parts = self.0.rsplitn(3, ':');
        parts.next()?;
        parts.next()?;
        parts.next()
    }

    /// Whether this worker runs on this host (its liveness can be checked here).
    pub fn is_local(&self) -> bool {
        self.host() == Some(&*gethostname::gethostname().to_string_lossy())
    }

    /// Whether this worker belongs to this process.
    pub fn is_this_process(&self) -> bool {
        self.is_local() && self.pid() == Some(std::process::id() as i32)
    }

    /// The pid part.
    pub fn pid(&self) -> Option<i32> {
        let mut parts = self.0.rsplitn(3, ':');
        parts.next()?;
        parts.next()?.parse().ok()
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a claim may be taken over, if it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No heartbeat for longer than the lease.
    LeaseExpired,
    /// Its worker ran on this host and has died (its lock file is free, see `liveness`).
    DeadWorker,
}

/// Whether `claim` may be taken over at `now`, asking `workers` whether its worker lives. A
/// claim by a live worker, or by one whose liveness is unknown and whose heartbeat is within the
/// lease, is never taken.
pub fn expiry(
    claim: &Claim,
    lease: Duration,
    now: DateTime<Utc>,
    workers: &Workers,
) -> Option<Expiry> {
    if workers.liveness(&claim.worker) == Liveness::Dead {
        return Some(Expiry::DeadWorker);
    }
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    (now.signed_duration_since(claim.heartbeat_at) > lease).then_some(Expiry::LeaseExpired)
}

/// Whether a process with this pid exists on this host (signal 0 checks without sending). A
/// zombie or a new process with a reused pid counts: only a fallback, see `liveness`.
pub fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks that the pid exists.
    let rc = unsafe { libc::kill(pid, 0) };
    // EPERM means it exists but belongs to someone else: alive.
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output folder without lock files: the pid decides.
    fn dir() -> Workers {
        Workers::Folder(std::env::temp_dir().join("imaginize-claims-test-no-such-folder"))
    }

    fn claim(worker: WorkerId, heartbeat_at: DateTime<Utc>) -> Claim {
        Claim {
            worker,
            claimed_at: heartbeat_at,
            heartbeat_at,
        }
    }

    #[test]
    fn worker_id_parts() {
        let id = WorkerId::current();
        assert_eq!(id.pid(), Some(std::process::id() as i32));
        assert_eq!(
            id.host(),
            Some(&*gethostname::gethostname().to_string_lossy())
        );
        let other = WorkerId("a:b:c:42:ff".into());
        assert_eq!(other.host(), Some("a:b:c"));
        assert_eq!(other.pid(), Some(42));
    }

    #[test]
    fn live_claim_is_kept_until_its_lease_expires() {
        let now = Utc::now();
        let c = claim(WorkerId::current(), now);
        assert_eq!(
            expiry(
                &c,
                DEFAULT_LEASE,
                now + chrono::Duration::seconds(59),
                &dir()
            ),
            None
        );
        assert_eq!(
            expiry(
                &c,
                DEFAULT_LEASE,
                now + chrono::Duration::seconds(61),
                &dir()
            ),
            Some(Expiry::LeaseExpired)
        );
    }

    #[test]
    fn dead_local_pid_expires_at_once_and_remote_pid_is_not_checked() {
        let now = Utc::now();
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let dead = claim(WorkerId(format!("{host}:{}:1", 0x7fff_fff0)), now);
        assert_eq!(
            expiry(&dead, DEFAULT_LEASE, now, &dir()),
            Some(Expiry::DeadWorker)
        );
        let remote = claim(WorkerId(format!("not-{host}:{}:1", 0x7fff_fff0)), now);
        assert_eq!(expiry(&remote, DEFAULT_LEASE, now, &dir()), None);
        assert!(pid_alive(std::process::id() as i32));
        assert!(!pid_alive(0x7fff_fff0));
    }
}
