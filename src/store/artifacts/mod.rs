//! The book's files other than its state (docs/ARCHITECTURE.md §9): pass-1 answers, chapter
//! scenes, images, renders and compiled outputs, named by keys from `store::layout`
//! (`chapters/001.json`, `images/chapter_1_scene_1.png`). [`Folder`] keeps them in the output
//! folder through `store::atomic` (the default); [`Object`] keeps them in any `object_store`
//! (a local or shared folder by `file://`, S3-compatible storage by `s3://bucket/prefix`), so
//! workers on several machines share one set. `tests.rs` is the conformance suite both pass.

mod folder;
mod key;
mod object;
mod retry;
#[cfg(test)]
mod test_s3;
#[cfg(test)]
mod tests;

pub use folder::Folder;
pub use key::Key;
pub use object::Object;

use crate::store::Error;

/// What [`Artifacts::put_new`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The bytes are now under the key.
    Created,
    /// Something was already there; nothing was written.
    Existed,
}

/// Where a book's files live. Every operation is synchronous (the pipeline calls it on the
/// blocking pool, as it does the state) and names its key in its error.
pub trait Artifacts: Send + Sync + std::fmt::Debug + 'static {
    /// Stores `bytes` under `key`, replacing what was there. A reader sees the old or the new
    /// bytes whole, never a mix; once this returns, the new bytes survive a crash.
    fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), Error>;

    /// Stores `bytes` under `key` only if nothing is there: of two writers of one key, exactly
    /// one creates it and the other gets [`Put::Existed`] (for images, so that a second writer
    /// of a scene never replaces the first's).
    fn put_new(&self, key: &Key, bytes: &[u8]) -> Result<Put, Error>;

    /// The bytes under `key`; `None` when there are none.
    fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, Error>;

    /// Every key under `prefix` (a folder such as `images`), at any depth, sorted.
    fn list(&self, prefix: &Key) -> Result<Vec<Key>, Error>;

    /// Removes `key`; removing what is not there is fine.
    fn remove(&self, key: &Key) -> Result<(), Error>;

    /// Moves `from` to `to` (replacing `to`). The bytes are whole at every instant, under one
    /// key or the other (or, where the storage has no rename, briefly under both).
    fn rename(&self, from: &Key, to: &Key) -> Result<(), Error>;

    /// Where the files are, for messages (never with credentials).
    fn location(&self) -> String;
}

/// Opens the artifacts a URL names: `file:///path`, `s3://bucket/prefix`, or a plain path
/// (the output folder itself, written through `store::atomic`).
pub fn open(url: &str) -> Result<Box<dyn Artifacts>, Error> {
    if url.contains("://") {
        Ok(Box::new(Object::open(url)?))
    } else {
        Ok(Box::new(Folder::new(url)))
    }
}
