//! What can stop `imaginize serve` from starting. Errors of one request are HTTP answers
//! (`api::ApiError`), never these: the server stays up.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {address}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the server's runtime")]
    Runtime(#[source] std::io::Error),
    #[error("the server stopped")]
    Serve(#[source] std::io::Error),
    #[error("cannot read the library folder `{}`", path.display())]
    Library {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make a random token (/dev/urandom)")]
    Random(#[source] std::io::Error),
    #[error("--token must be at least 16 characters of A-Z, a-z, 0-9, - or _")]
    WeakToken,
}
