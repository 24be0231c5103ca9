//! The flags of `submit`, `worker`, `status` and `export` (clap definitions only; `cli` names
//! the commands).

use crate::cli::ProviderArg;
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Where the queue and the books' files are: every command takes these.
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct Stores {
    /// The PostgreSQL database of the queue and the books' state (env IMAGINIZE_STORE).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Where the books' files go: `file:///shared/books` or `s3://bucket/prefix`, one folder
    /// per book id under it (env IMAGINIZE_ARTIFACTS).
    #[arg(long, value_name = "URL")]
    pub artifacts: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub stores: Stores,
    /// The books to queue.
    #[arg(required = true, value_name = "BOOK")]
    pub books: Vec<PathBuf>,
    /// Queue the book again as a new entry (a new id, started over) even if it was submitted.
    #[arg(long)]
    pub force: bool,
    /// Provider: builtin, openai or gemini (the worker's key and base URL are used).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Text model name.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Image model name.
    #[arg(long, value_name = "NAME")]
    pub image_model: Option<String>,
    /// Only these chapters, e.g. "1-5,10".
    #[arg(long, value_name = "RANGE")]
    pub chapters: Option<String>,
    /// At most this many scenes per chapter.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, ClapArgs)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub stores: Stores,
    /// Text requests in flight at once, across every book this worker works on.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Image requests in flight at once, across every book this worker works on.
    #[arg(long, value_name = "N")]
    pub image_jobs: Option<usize>,
    /// Books worked on at once (default 2).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub books: usize,
    /// Exit when no book is queued or held by any worker (instead of waiting for new ones).
    #[arg(long)]
    pub exit_when_idle: bool,
    /// A book's lease: a worker silent this long loses it to another (default: config
    /// `leaseSecs`, 60).
    #[arg(long, value_name = "SECS")]
    pub lease_secs: Option<u64>,
    /// Failed runs of a book before it is dead-lettered (default: config `maxAttempts`, 3).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// Where the books' local working folders go (default: a new temp folder, removed at exit).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct StatusArgs {
    #[command(flatten)]
    pub stores: Stores,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, ClapArgs)]
pub struct ExportArgs {
    #[command(flatten)]
    pub stores: Stores,
    /// The book's id (as `submit` printed it).
    #[arg(long, value_name = "ID")]
    pub book: String,
    /// The folder to write (created; it must not hold another book's state).
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
}
