//! Errors from the store: locking, reading, recovering, writing and migrating state. Each names
//! the file it concerns and ends with what the user can do.

use crate::ids::ChapterNo;
use crate::store::transition::IllegalTransition;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the disk is full: could not {action} `{}`; everything saved before is intact, free some space and re-run the same command",
        path.display()
    )]
    DiskFull {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "timed out after {}s waiting for `{}` (held by {holder}); is another imaginize running on this book?",
        waited.as_secs_f32(), path.display()
    )]
    LockTimeout {
        path: PathBuf,
        waited: Duration,
        holder: String,
    },
    #[error(
        "`{}` is unusable ({reason}) and so is its backup `{}` ({backup_reason}); restore one of them from a copy, or delete both to start the book over",
        path.display(), backup.display()
    )]
    BothUnusable {
        path: PathBuf,
        reason: String,
        backup: PathBuf,
        backup_reason: String,
    },
    #[error(
        "`{}` has schema {found}, newer than this imaginize ({ours}); it is read but never written, upgrade imaginize to continue this book",
        path.display(), ours = crate::store::manifest::VERSION
    )]
    NewerVersion { path: PathBuf, found: String },
    #[error("there is no manifest in `{}` yet; start a run on the book first", dir.display())]
    NoManifest { dir: PathBuf },
    #[error("`{}` is not an output folder of imaginize (it does not exist)", dir.display())]
    NoFolder { dir: PathBuf },
    #[error(
        "chapter {chapter} is not in the manifest; re-run with the book so its chapters are added"
    )]
    UnknownChapter { chapter: ChapterNo },
    #[error("chapter {chapter}: {source}; this is a bug in imaginize, please report it")]
    Illegal {
        chapter: ChapterNo,
        source: IllegalTransition,
    },
    #[error(
        "chapter {chapter} is no longer claimed by `{worker}` (now {holder}); its lease expired and another worker may have taken it over, so this worker must stop drawing it"
    )]
    ClaimLost {
        chapter: ChapterNo,
        worker: String,
        holder: String,
    },
    #[error(
        "chapter {chapter} is busy: `{holder}` is illustrating it; try again when it has finished"
    )]
    Busy { chapter: ChapterNo, holder: String },
    #[error(
        "chapter {chapter} is {status}: only an analyzed or illustrated chapter's scenes can be redrawn, chosen or rejected"
    )]
    NotReviewable {
        chapter: ChapterNo,
        status: crate::store::manifest::Status,
    },
    /// The write that carried this change failed (the error went to the caller that wrote the
    /// batch); the change is not on disk.
    #[error("the manifest could not be saved ({reason}); this change is not on disk")]
    Commit { reason: String },
    #[error("refusing to write `{}`: {reason}; this is a bug in imaginize, please report it", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("failed to encode `{}` as JSON", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The PostgreSQL store could not be reached. `url` has its password replaced by `***`.
    #[error(
        "could not connect to the PostgreSQL store `{url}`; check that the server is up and the URL (--store) is right"
    )]
    DatabaseConnect {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A statement of the PostgreSQL store failed; the transaction it was in changed nothing.
    #[error("the PostgreSQL store could not {action}; this change was not kept")]
    Database {
        action: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(
        "no old state file (`.imaginize.state.json` or `.illustrate.state.json`) in `{}`; pass the folder the old imaginize wrote with --output-dir",
        dir.display()
    )]
    NothingToMigrate { dir: PathBuf },
    #[error("`{}` is not JSON imaginize can read; restore it from `{}.backup` if one exists", path.display(), path.display())]
    MigrateParse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "`{}`: field `{field}` {problem}; fix or remove that field and run --migrate-concurrent again",
        path.display()
    )]
    MigrateField {
        path: PathBuf,
        field: String,
        problem: String,
    },
    #[error(
        "`{}` already exists and differs from `{}`; move one of them aside so the backup is never overwritten",
        backup.display(), path.display()
    )]
    BackupDiffers { path: PathBuf, backup: PathBuf },
    #[error(
        "`{key}` is not a usable artifact name: {reason}; this is a bug in imaginize, please report it"
    )]
    BadKey { key: String, reason: String },
    #[error("cannot use `{url}` for the book's files: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("failed to {action} `{key}`")]
    Remote {
        action: &'static str,
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// A failed file operation on `path`; a full disk becomes [`Error::DiskFull`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if is_disk_full(&source) {
            return Error::DiskFull {
                action,
                path,
                source,
            };
        }
        Error::Io {
            action,
            path,
            source,
        }
    }

    /// A full disk while writing a temp file is reported as the file it was to replace: the
    /// user knows that name, the temp file is gone.
    pub(crate) fn naming_target(self, target: &std::path::Path) -> Self {
        match self {
            Error::DiskFull { source, .. } => Error::DiskFull {
                action: "write",
                path: target.to_path_buf(),
                source,
            },
            other => other,
        }
    }

    /// Whether a write failed for want of space (or quota): every later write would fail too,
    /// so this stops the run instead of failing a chapter.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Error::DiskFull { .. })
    }
}

fn is_disk_full(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}
