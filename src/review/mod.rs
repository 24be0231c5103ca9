//! The review loop (docs/ARCHITECTURE.md §2): list a book's scenes with their image versions,
//! redraw scenes, choose which version is current, reject or restore a scene. The command line
//! (`imaginize scenes`, `imaginize regenerate`) and the web server call the same functions here.
//!
//! Every change claims the chapter through [`BookState`] like an illustrator does, so it never
//! races a running worker: a chapter a live worker holds is `store::Error::Busy`. Versions are
//! files beside the first image (`store::layout::image_version_file_name`); none is ever deleted.
//!
//! All functions but [`Review::regenerate`] block on the disk (and the folder's lock): call them
//! from `tokio::task::spawn_blocking` in async code.

mod claim;
mod error;
mod portrait;
mod redraw;
mod scenes;
mod versions;

pub use error::Error;
pub use redraw::{Painter, PlannedRequest, Redraw, Redrawn};
pub use scenes::{SceneRow, SceneStatus, Version};

use crate::ids::{ChapterNo, SceneNo};
use crate::store::{self, BookState};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// An output folder under review, reached through its book state.
#[derive(Clone)]
pub struct Review {
    pub out: PathBuf,
    pub state: Arc<dyn BookState>,
    /// Another worker's claim older than this may be taken over (the folder's `leaseSecs`).
    pub lease: Duration,
}

impl Review {
    /// The output folder `out` through its file manifest; a folder without one is an error.
    pub fn open(out: &Path) -> Result<Review, Error> {
        let (store, _) = store::existing_folder(out)?;
        Ok(Review {
            out: out.to_path_buf(),
            state: Arc::new(store),
            lease: store::DEFAULT_LEASE,
        })
    }

    /// The book's title, as the manifest records it.
    pub fn book_title(&self) -> Result<String, Error> {
        Ok(self
            .state
            .snapshot()?
            .map(|m| m.book.title)
            .unwrap_or_default())
    }

    pub fn with_lease(mut self, lease: Duration) -> Review {
        self.lease = lease;
        self
    }

    /// Every analysed scene (of `chapter` only, when given), in reading order.
    pub fn list_scenes(&self, chapter: Option<ChapterNo>) -> Result<Vec<SceneRow>, Error> {
        scenes::list(&self.out, chapter)
    }

    /// One scene's row.
    pub fn scene(&self, chapter: ChapterNo, scene: SceneNo) -> Result<SceneRow, Error> {
        scenes::list(&self.out, Some(chapter))?
            .into_iter()
            .find(|row| row.scene == scene.0)
            .ok_or(Error::NoSuchScene { chapter, scene })
    }

    /// Makes version `version` (on disk) the scene's current image. The other versions stay.
    pub fn choose_version(
        &self,
        chapter: ChapterNo,
        scene: SceneNo,
        version: u32,
    ) -> Result<SceneRow, Error> {
        claim::choose_version(self, chapter, scene, version)?;
        self.scene(chapter, scene)
    }

    /// Rejects the scene (`rejected: true`: its files are kept, compiled outputs leave it out,
    /// Chapters.md marks it) or takes the rejection back (`false`).
    pub fn reject(
        &self,
        chapter: ChapterNo,
        scene: SceneNo,
        rejected: bool,
    ) -> Result<SceneRow, Error> {
        claim::reject(self, chapter, scene, rejected)?;
        self.scene(chapter, scene)
    }

    /// The image requests [`Review::regenerate`] would make for `redraw`, changing nothing.
    pub fn plan(&self, redraw: &Redraw, painter: &Painter) -> Result<Vec<PlannedRequest>, Error> {
        redraw::plan(self, redraw, painter)
    }

    /// Redraws the scenes `redraw` names (one image request each) under a claim of the
    /// chapter, keeping every older image as a version; `redraw.description` replaces the
    /// scene's description first (persisted). Returns what each scene became.
    pub async fn regenerate(
        &self,
        redraw: &Redraw,
        painter: &Painter,
    ) -> Result<Vec<Redrawn>, Error> {
        redraw::regenerate(self, redraw, painter).await
    }
}

#[cfg(test)]
mod tests;

/// [`Review::list_scenes`] on a folder, without opening its state.
pub fn list_scenes(out: &Path, chapter: Option<ChapterNo>) -> Result<Vec<SceneRow>, Error> {
    scenes::list(out, chapter)
}
