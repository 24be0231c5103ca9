//! What a command ends with when it fails: the engine's error, the review loop's or the web
//! server's. One readable message (with its causes) and an exit code each.

use crate::error::{self, Error};

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Run(#[from] Error),
    #[error(transparent)]
    Review(#[from] crate::review::Error),
    #[error(transparent)]
    Serve(#[from] crate::serve::Error),
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Run(err) => err.exit_code(),
            Failure::Review(err) => err.exit_code(),
            Failure::Serve(crate::serve::Error::WeakToken) => crate::exit_code::USAGE,
            Failure::Serve(_) => crate::exit_code::FAILURE,
        }
    }

    /// The message and its causes on one line.
    pub fn display_chain(&self) -> String {
        error::chain(self)
    }
}

/// The errors underneath convert the way `?` expects.
macro_rules! from_engine {
    ($($source:ty),*) => {$(
        impl From<$source> for Failure {
            fn from(err: $source) -> Self {
                Failure::Run(err.into())
            }
        }
    )*};
}

from_engine!(
    crate::config::Error,
    crate::store::Error,
    crate::provider::Error,
    crate::book::Error,
    crate::compile::Error,
    crate::style::FileError,
    crate::series::Error
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit_code;

    #[test]
    fn each_part_keeps_its_exit_code() {
        let busy = crate::store::Error::Busy {
            chapter: crate::ids::ChapterNo(3),
            holder: "w".into(),
        };
        assert_eq!(
            Failure::Review(crate::review::Error::from(busy)).exit_code(),
            exit_code::BUSY
        );
        let refused = crate::review::Error::Usage("no".into());
        assert_eq!(Failure::Review(refused).exit_code(), exit_code::USAGE);
        assert_eq!(
            Failure::Serve(crate::serve::Error::WeakToken).exit_code(),
            exit_code::USAGE
        );
        assert_eq!(
            Failure::Run(Error::Usage("x".into())).exit_code(),
            exit_code::USAGE
        );
    }
}
