//! Configuration errors: each names the file (and line) or the flag and says how to fix it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}:{line}:{column}` is not valid YAML or JSON: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("`{}` must hold a mapping of keys to values", path.display())]
    NotAMapping { path: PathBuf },
    #[error("bad value in `{}`: {message}", path.display())]
    BadValue { path: PathBuf, message: String },
    #[error("`{}` uses ${{{name}}}, which is not set in the environment; set it or edit the file", path.display())]
    UnsetVariable { path: PathBuf, name: String },
    #[error("environment variable {name}={value:?} is not valid: {expected}")]
    BadEnv {
        name: String,
        value: String,
        expected: &'static str,
    },
    #[error("invalid chapter range `{input}`: {reason}; write it like \"1-5,10\"")]
    BadRange { input: String, reason: String },
    #[error("unknown provider `{0}`; use builtin, openai or gemini")]
    UnknownProvider(String),
    #[error("{0}")]
    Invalid(String),
    #[error("`{}` already exists; edit it, or delete it first to get a fresh sample", path.display())]
    ConfigExists { path: PathBuf },
    #[error("failed to write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
