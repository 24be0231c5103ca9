//! Adopting the old tool's image files under the new names (`images/chapter_N_scene_M.<ext>`):
//! a hard link (a copy where links are not supported), so the old file stays where the old
//! `Chapters.md` points and no bytes are duplicated. Nothing is downloaded: migration works from
//! the output folder alone.

use crate::ids::{ChapterNo, SceneNo};
use crate::provider::ImageFormat;
use crate::store::layout::{image_file_name, images_dir};
use crate::store::{Error, atomic};
use std::fs;
use std::path::{Path, PathBuf};

/// What became of one old image reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Adopted {
    /// The image is at this path, relative to the output folder.
    At(String),
    /// Not adopted, with the reason for the user.
    Not(String),
}

/// Gives the old image at `reference` (relative to `dir`, or absolute) its new name.
pub(crate) fn adopt(
    dir: &Path,
    reference: &str,
    chapter: ChapterNo,
    scene: SceneNo,
) -> Result<Adopted, Error> {
    let lower = reference.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("data:") {
        return Ok(Adopted::Not(format!(
            "its image was only a link (`{}`), which migration does not download",
            shorten(reference)
        )));
    }
    let source = resolve(dir, reference);
    let bytes = match fs::read(&source) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Adopted::Not(format!(
                "its image `{}` does not exist",
                source.display()
            )));
        }
        Err(err) => return Err(Error::io("read image", &source, err)),
    };
    let extension = ImageFormat::detect(&bytes)
        .map(|f| f.extension().to_string())
        .or_else(|| {
            source
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
        })
        .unwrap_or_else(|| "png".to_string());
    let name = image_file_name(chapter, scene, &extension);
    let target = dir.join(&name);
    if same_file(&source, &target) {
        return Ok(Adopted::At(name));
    }
    match fs::read(&target) {
        Ok(existing) if existing == bytes => return Ok(Adopted::At(name)),
        Ok(_) => {
            return Ok(Adopted::Not(format!(
                "`{name}` already exists with other content and is left as it is; the old image stays at `{}`",
                source.display()
            )));
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(Error::io("read image", &target, err)),
    }
    let images = images_dir(dir);
    fs::create_dir_all(&images).map_err(|e| Error::io("create folder", &images, e))?;
    let tmp = atomic::temp_path(&target);
    match fs::hard_link(&source, &tmp) {
        Ok(()) => {
            fs::rename(&tmp, &target).map_err(|e| {
                let _ = fs::remove_file(&tmp);
                Error::io("rename a temp file over", &target, e)
            })?;
            atomic::sync_dir(&images)?;
        }
        Err(_) => atomic::write(&target, &bytes)?,
    }
    Ok(Adopted::At(name))
}

fn resolve(dir: &Path, reference: &str) -> PathBuf {
    let path = Path::new(reference);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(reference.strip_prefix("./").unwrap_or(reference))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
}
