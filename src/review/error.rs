//! What the review loop can fail with: its own refusals, and any error of the parts it drives
//! (the store, the pipeline's readers, the image model), kept whole for its message and exit code.

use crate::exit_code;
use crate::ids::{ChapterNo, SceneNo};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("chapter {chapter} has no scene {scene}; `imaginize scenes` lists them")]
    NoSuchScene { chapter: ChapterNo, scene: SceneNo },
    #[error("chapter {chapter} has no scenes file yet; it must be analyzed first")]
    NotAnalyzed { chapter: ChapterNo },
    #[error(
        "chapter {chapter} scene {scene} has no version {version} on disk; `imaginize scenes` lists its versions"
    )]
    NoSuchVersion {
        chapter: ChapterNo,
        scene: SceneNo,
        version: u32,
    },
    #[error("{0}")]
    Usage(String),
    /// `what`: "chapter 3 scene 2", "Mr. Darcy's portrait".
    #[error("{what}: the image model returned bytes that are not a PNG, JPEG or WebP image")]
    NotAnImage { what: String },
    /// An error of the store, the pipeline or the provider underneath.
    #[error(transparent)]
    Run(Box<crate::error::Error>),
}

impl Error {
    /// The process exit code: a refusal is a usage error; anything underneath keeps its own.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Run(err) => err.exit_code(),
            Error::NotAnImage { .. } => exit_code::FAILURE,
            _ => exit_code::USAGE,
        }
    }

    /// Whether the chapter is held by a live worker (exit code `BUSY`).
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Run(err) if err.is_busy())
    }

    /// Whether the loop itself refused (a scene, version or chapter that is not there, a bad
    /// request), as opposed to something failing underneath.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Error::Run(_) | Error::NotAnImage { .. })
    }
}

impl From<crate::error::Error> for Error {
    fn from(err: crate::error::Error) -> Self {
        Error::Run(Box::new(err))
    }
}

/// Every error the parts underneath return converts the way `?` expects.
macro_rules! from_underneath {
    ($($source:ty),*) => {$(
        impl From<$source> for Error {
            fn from(err: $source) -> Self {
                Error::Run(Box::new(err.into()))
            }
        }
    )*};
}

from_underneath!(
    crate::store::Error,
    crate::provider::Error,
    crate::config::Error,
    crate::style::FileError
);
