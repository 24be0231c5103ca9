//! Errors from reading a book.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a format imaginize reads; use an .epub, .pdf, .txt or .md file", path.display())]
    UnknownFormat { path: PathBuf },
}
