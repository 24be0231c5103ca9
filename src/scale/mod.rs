//! Beyond one machine (docs/scale-out.md): books queued in PostgreSQL, their files in object
//! storage, any number of workers taking them. One file per command (`submit`, `worker`,
//! `status`, `export`); `local_files` is what a run keeps in its working folder.
//!
//! The artifacts of a queued book are under `<artifacts URL>/<id>/`: the book file itself in
//! `source/`, then the same names as in an output folder (`entities/`, `chapters/`, `images/`,
//! `elements.json`, `Elements.md`, `style.json`). Its state in the database is the `books` row
//! with the same id.

mod args;
mod book_run;
pub mod budget;
pub mod export;
pub mod local_files;
mod nudges;
pub mod status;
pub mod submit;
pub mod worker;

pub use args::{ExportArgs, StatusArgs, Stores, SubmitArgs, WorkerArgs};

use crate::config::Environment;
use crate::error::Error;
use crate::store::artifacts::{Key, Object};
use crate::store::postgres::queue::Queue;

/// The folder of a queued book's artifacts that holds the book file.
pub const SOURCE_DIR: &str = "source";

impl Stores {
    /// The store URL from the flag or IMAGINIZE_STORE.
    pub fn store_url(&self, env: &Environment) -> Result<String, Error> {
        let url = self.store.clone().or_else(|| env.var("IMAGINIZE_STORE"));
        let url = url.ok_or_else(|| {
            Error::Usage("--store (or IMAGINIZE_STORE) is required: a postgres:// URL".into())
        })?;
        Ok(crate::config::StoreUrl::parse(&url)?.expose().to_string())
    }

    /// The artifacts URL from the flag or IMAGINIZE_ARTIFACTS.
    pub fn artifacts_url(&self, env: &Environment) -> Result<String, Error> {
        let url = self
            .artifacts
            .clone()
            .or_else(|| env.var("IMAGINIZE_ARTIFACTS"));
        let url = url.ok_or_else(|| {
            Error::Usage(
                "--artifacts (or IMAGINIZE_ARTIFACTS) is required: a file:// or s3:// URL".into(),
            )
        })?;
        if !(url.starts_with("file://") || url.starts_with("s3://")) {
            return Err(Error::Usage(format!(
                "--artifacts must be a file:// or s3:// URL, not `{url}`"
            )));
        }
        Ok(url)
    }

    pub fn queue(&self, env: &Environment) -> Result<Queue, Error> {
        Ok(Queue::open(&self.store_url(env)?)?)
    }
}

/// The URL of book `id`'s artifacts under `root`.
pub fn book_url(root: &str, id: &str) -> String {
    format!("{}/{id}", root.trim_end_matches('/'))
}

/// Book `id`'s artifacts under `root`.
pub fn book_artifacts(root: &str, id: &str) -> Result<Object, Error> {
    Ok(Object::open(&book_url(root, id))?)
}

/// The key of the book file `file_name` in a book's artifacts.
pub fn source_key(file_name: &str) -> Result<Key, Error> {
    Ok(Key::new(SOURCE_DIR)?.join(file_name)?)
}
