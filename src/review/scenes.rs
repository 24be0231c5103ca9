//! The scene list: each analysed scene with its status, its current version and the versions
//! on disk. Its JSON form (`imaginize scenes --json`) is documented in the README and stable.

use crate::analyze::model::{ChapterScenes, Scene};
use crate::ids::ChapterNo;
use crate::pipeline::context::read_scenes;
use crate::review::Error;
use crate::review::versions;
use crate::store::layout;
use serde::Serialize;
use std::path::Path;

/// Where a scene stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SceneStatus {
    /// Its current image is on disk.
    Drawn,
    /// Not drawn yet (or its image file is missing).
    Pending,
    /// The provider refused to draw it.
    Refused,
    /// The reader rejected it: kept on disk, left out of compiled outputs.
    Rejected,
}

/// One image version of a scene on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub version: u32,
    /// Relative to the output folder, with `/`.
    pub path: String,
}

/// One scene as `imaginize scenes` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SceneRow {
    pub chapter: u32,
    pub chapter_title: String,
    pub scene: u32,
    pub status: SceneStatus,
    /// The version the scene's image is, `null` without one.
    pub current_version: Option<u32>,
    /// The current image, relative to the output folder.
    pub image: Option<String>,
    /// Every version on disk, ascending.
    pub versions: Vec<Version>,
    pub description: String,
    pub quote: String,
    /// Why the provider refused it, when it did.
    pub refused_reason: Option<String>,
}

/// The scenes of every analysed chapter (or of `only`), in reading order.
pub fn list(out: &Path, only: Option<ChapterNo>) -> Result<Vec<SceneRow>, Error> {
    let on_disk = versions::on_disk(out)?;
    let mut rows = Vec::new();
    for chapter in chapter_files(out, only)? {
        for scene in &chapter.scenes {
            let found = on_disk
                .get(&(chapter.chapter, scene.scene))
                .cloned()
                .unwrap_or_default();
            rows.push(row(out, &chapter, scene, found));
        }
    }
    Ok(rows)
}

fn row(out: &Path, chapter: &ChapterScenes, scene: &Scene, versions: Vec<Version>) -> SceneRow {
    let current_version = scene
        .image
        .as_deref()
        .and_then(|image| versions.iter().find(|v| v.path == image))
        .map(|v| v.version);
    let drawn = scene
        .image
        .as_deref()
        .is_some_and(|image| out.join(image).is_file());
    let status = if scene.user_rejected {
        SceneStatus::Rejected
    } else if scene.rejected.is_some() {
        SceneStatus::Refused
    } else if drawn {
        SceneStatus::Drawn
    } else {
        SceneStatus::Pending
    };
    SceneRow {
        chapter: chapter.chapter.0,
        chapter_title: chapter.title.clone(),
        scene: scene.scene.0,
        status,
        current_version,
        image: scene.image.clone(),
        versions,
        description: scene.description.clone(),
        quote: scene.quote.clone(),
        refused_reason: scene.rejected.clone(),
    }
}

/// `chapters/NNN.json` of `only`, or all of them ascending; a chapter without a file is
/// not analysed yet and has no scenes to list.
fn chapter_files(out: &Path, only: Option<ChapterNo>) -> Result<Vec<ChapterScenes>, Error> {
    if let Some(chapter) = only {
        let path = layout::chapter_path(out, chapter);
        return Ok(if path.is_file() {
            vec![read_scenes(&path)?]
        } else {
            Vec::new()
        });
    }
    let dir = layout::chapters_dir(out);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut chapters = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && name.ends_with(".json") {
            chapters.push(read_scenes(&path)?);
        }
    }
    chapters.sort_by_key(|c| c.chapter);
    Ok(chapters)
}
