//! The error a whole run ends with: one readable message and an exit code.

use crate::exit_code;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] crate::config::Error),
    #[error(transparent)]
    Book(#[from] crate::book::Error),
    #[error(transparent)]
    Provider(#[from] crate::provider::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Compile(#[from] crate::compile::Error),
    #[error(transparent)]
    Style(#[from] crate::style::FileError),
    #[error(transparent)]
    Series(#[from] crate::series::Error),
    #[error("{0}")]
    Usage(String),
    #[error("`{}` is damaged: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("internal error: {0}; this is a bug in imaginize, please report it")]
    Internal(String),
    /// Our own value could not be encoded: a bug, with serde's reason kept.
    #[error("internal error: cannot encode {what}; this is a bug in imaginize, please report it")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The process could not get what it needs from the system (the async runtime, signal
    /// handlers), with the system's reason kept.
    #[error("cannot {what}")]
    System {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The cast just merged could not be indexed for pass 2: a bug, with the reason kept.
    #[error("internal error: cannot index the cast; this is a bug in imaginize, please report it")]
    Index(#[source] crate::analyze::lookup::ParseError),
    /// A task of the run panicked or was cancelled; its cause is kept for the message.
    #[error("internal error: the {what} task failed; this is a bug in imaginize, please report it")]
    Task {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    #[error("failed to write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{failed} of {total} chapters failed; see the summary above, then re-run with --retry-failed"
    )]
    ChaptersFailed { failed: usize, total: usize },
    #[error("stopped by {}; state is saved, re-run the same command to continue", .0.name())]
    Interrupted(crate::pipeline::shutdown::Signal),
    #[error(
        "{left} of {total} chapters are still being illustrated by other imaginize processes (--no-wait left them to those); they finish them, or re-run without --no-wait to wait"
    )]
    LeftToOthers { left: usize, total: usize },
    #[error(
        "{left} of {total} chapters are not finished although nothing failed; re-run the same command to continue"
    )]
    Unfinished { left: usize, total: usize },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => exit_code::USAGE,
            Error::Book(_) => exit_code::USAGE,
            Error::Series(
                crate::series::Error::NotASeries(_)
                | crate::series::Error::Exists(_)
                | crate::series::Error::Book(_),
            ) => exit_code::USAGE,
            Error::Provider(crate::provider::Error::Auth { .. }) => exit_code::AUTH,
            Error::Provider(crate::provider::Error::Config(_)) => exit_code::USAGE,
            Error::Interrupted(signal) => signal.exit_code(),
            Error::LeftToOthers { .. } => exit_code::LEFT_TO_OTHERS,
            Error::Store(crate::store::Error::LockTimeout { .. }) => exit_code::LOCKED,
            Error::Store(crate::store::Error::Busy { .. }) => exit_code::BUSY,
            Error::Store(crate::store::Error::NoFolder { .. }) => exit_code::USAGE,
            // The only font is the one --font names: a bad value of a flag.
            Error::Compile(crate::compile::Error::Font { .. }) => exit_code::USAGE,
            Error::Provider(_)
            | Error::Write { .. }
            | Error::Read { .. }
            | Error::ChaptersFailed { .. }
            | Error::Unfinished { .. }
            | Error::Store(_)
            | Error::Compile(_)
            | Error::Style(_)
            | Error::Series(_)
            | Error::Corrupt { .. }
            | Error::Internal(_)
            | Error::Encode { .. }
            | Error::Index(_)
            | Error::System { .. }
            | Error::Task { .. } => exit_code::FAILURE,
        }
    }

    /// Whether the review loop found the chapter held by a live worker (exit code `BUSY`).
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Store(crate::store::Error::Busy { .. }))
    }

    /// The message and its causes on one line: "failed to read `x`: No such file".
    pub fn display_chain(&self) -> String {
        chain(self)
    }
}

/// Any error's message and its causes on one line, each cause once (a message that already
/// quotes its cause does not repeat it).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_task_keeps_its_cause_in_the_message() {
        let join = tokio::spawn(async { panic!("the scene file was not there") })
            .await
            .expect_err("the task panics");
        let err = Error::Task {
            what: "scene file",
            source: join,
        };
        let message = err.display_chain();
        assert!(message.contains("the scene file task failed"), "{message}");
        assert!(message.contains("panicked"), "the cause is lost: {message}");
        assert_eq!(err.exit_code(), exit_code::FAILURE);
    }
}
