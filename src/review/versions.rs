//! The image versions of scenes on disk: version 1 is the pipeline's file, 2, 3, … the review
//! loop's (names in `store::layout`). Found by listing `images/`, so a version is never lost to
//! a stale record.

use crate::ids::{ChapterNo, SceneNo};
use crate::review::Error;
use crate::review::scenes::Version;
use crate::store::layout;
use std::collections::BTreeMap;
use std::path::Path;

/// Every scene's versions on disk, each list ascending.
pub fn on_disk(out: &Path) -> Result<BTreeMap<(ChapterNo, SceneNo), Vec<Version>>, Error> {
    let dir = layout::images_dir(out);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => return Err(crate::error::Error::Read { path: dir, source }.into()),
    };
    let mut found: BTreeMap<(ChapterNo, SceneNo), Vec<Version>> = BTreeMap::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((chapter, scene, version)) = layout::parse_image_version(&name) else {
            continue;
        };
        found.entry((chapter, scene)).or_default().push(Version {
            version,
            path: format!("{}/{name}", layout::IMAGES_DIR),
        });
    }
    for list in found.values_mut() {
        list.sort_by_key(|v| v.version);
    }
    Ok(found)
}

/// One scene's versions on disk, ascending.
pub fn of_scene(out: &Path, chapter: ChapterNo, scene: SceneNo) -> Result<Vec<Version>, Error> {
    Ok(on_disk(out)?.remove(&(chapter, scene)).unwrap_or_default())
}

/// The number the scene's next image gets: one past the highest on disk (1 for a scene never
/// drawn). Only the chapter's claim holder draws, so two writers never pick the same number.
pub fn next(out: &Path, chapter: ChapterNo, scene: SceneNo) -> Result<u32, Error> {
    let highest = of_scene(out, chapter, scene)?
        .last()
        .map_or(0, |v| v.version);
    Ok(highest + 1)
}
