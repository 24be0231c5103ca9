//! The typed errors of `imaginize compile`: each names the path involved and says how to fix it.

use std::path::PathBuf;

/// Why compiling the outputs failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{path}`: {source}; check that the output folder exists and is readable")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot write `{path}`: {source}; check free space and permissions of the output folder"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}` is not valid JSON ({source}); re-run `imaginize analyze` to regenerate it")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("`{path}` is not a readable EPUB ({source}); pass the original, unmodified EPUB")]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("`{path}` has no usable OPF package ({reason}); pass a valid EPUB 2/3 file")]
    Package { path: PathBuf, reason: String },
    #[error(
        "image path `{path}` points outside the output folder; fix the `image` field in the chapter JSON"
    )]
    UnsafePath { path: PathBuf },
    #[error(
        "`{path}` is not a usable font ({reason}); pass a TrueType or OpenType file with --font"
    )]
    Font { path: PathBuf, reason: String },
    #[error(
        "cannot put image `{path}` into the PDF ({reason}); regenerate it or remove it from the chapter JSON"
    )]
    Image { path: PathBuf, reason: String },
    #[error("cannot write the PDF ({reason}); this may be a bug, please report it")]
    Pdf { reason: String },
    /// A write through the store that is not a plain I/O failure (a full disk).
    #[error(transparent)]
    Store(crate::store::Error),
}

/// Outputs are written through `store::atomic`; a failed write keeps this module's message
/// (which says what to check), a full disk the store's (which says nothing was lost).
impl From<crate::store::Error> for Error {
    fn from(error: crate::store::Error) -> Self {
        match error {
            crate::store::Error::Io { path, source, .. } => Error::Write { path, source },
            other => Error::Store(other),
        }
    }
}
