//! Reading one output folder for the dashboard, never writing it: the manifest as it is (a
//! damaged one is reported, not recovered: recovery is a run's job), each chapter's scene file
//! (cached by modification time, so a refresh of a 600-chapter book reads only what changed),
//! the pass 1 answers and the tail of progress.md.

use crate::analyze::model::ChapterScenes;
use crate::ids::ChapterNo;
use crate::serve::view::Thumb;
use crate::store::layout;
use crate::store::manifest::Manifest;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How much of progress.md's end is read, and how many of its last lines are shown.
const LOG_TAIL_BYTES: u64 = 16 * 1024;
const LOG_TAIL_LINES: usize = 40;

/// One output folder and what was last read of its scene files.
#[derive(Debug)]
pub struct Folder {
    dir: PathBuf,
    scenes: HashMap<ChapterNo, Cached>,
}

#[derive(Debug)]
struct Cached {
    stamp: (SystemTime, u64),
    thumbs: Vec<Thumb>,
    /// When each image was written (seconds since the epoch), for the illustration rate.
    times: Vec<f64>,
}

impl Folder {
    pub fn new(dir: PathBuf) -> Folder {
        Folder {
            dir,
            scenes: HashMap::new(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest, or the sentence the page shows instead.
    pub fn manifest(&self) -> Result<Manifest, String> {
        if !self.dir.is_dir() {
            return Err(format!(
                "the folder `{}` does not exist (yet, or any more)",
                self.dir.display()
            ));
        }
        let bytes = match std::fs::read(layout::manifest_path(&self.dir)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("no run has written this folder yet".to_owned());
            }
            Err(e) => return Err(format!("cannot read the manifest: {e}")),
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            format!("the manifest is damaged ({e}); the next run recovers it from its backup")
        })
    }

    /// The chapter's drawn scenes, from `chapters/NNN.json` (read again only when it changed).
    pub fn thumbs(&mut self, chapter: ChapterNo) -> Vec<Thumb> {
        let path = layout::chapter_path(&self.dir, chapter);
        let Some(stamp) = stamp(&path) else {
            self.scenes.remove(&chapter);
            return Vec::new();
        };
        if let Some(cached) = self.scenes.get(&chapter)
            && cached.stamp == stamp
        {
            return cached.thumbs.clone();
        }
        let cached = read_scenes(&self.dir, &path, stamp);
        let thumbs = cached.thumbs.clone();
        self.scenes.insert(chapter, cached);
        thumbs
    }

    /// When every image seen so far was written.
    pub fn image_times(&self) -> Vec<f64> {
        self.scenes
            .values()
            .flat_map(|c| c.times.iter().copied())
            .collect()
    }

    /// How many chapters pass 1 has answered for, and when each answer was written.
    pub fn pass1(&self) -> (u64, Vec<f64>) {
        let Ok(entries) = std::fs::read_dir(layout::entities_dir(&self.dir)) else {
            return (0, Vec::new());
        };
        let mut covered = 0;
        let mut times = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(chapters) = name.to_str().and_then(chapters_answered) else {
                continue;
            };
            covered += chapters;
            if let Some(time) = entry.metadata().ok().and_then(|m| m.modified().ok()) {
                times.push(epoch_seconds(time));
            }
        }
        (covered, times)
    }

    /// The last lines of progress.md.
    pub fn log_tail(&self) -> Vec<String> {
        let Ok(mut file) = std::fs::File::open(layout::progress_path(&self.dir)) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut text = String::new();
        let from = len.saturating_sub(LOG_TAIL_BYTES);
        if file.seek(SeekFrom::Start(from)).is_err() {
            return Vec::new();
        }
        let mut bytes = Vec::new();
        if file.take(LOG_TAIL_BYTES).read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        // The first line may be cut in the middle when the tail starts inside it.
        let skip = usize::from(from > 0);
        let lines: Vec<String> = text.lines().skip(skip).map(str::to_owned).collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].to_vec()
    }

    /// The drawn reference portraits, by element slug: their paths in the folder.
    pub fn portraits(&self) -> std::collections::BTreeMap<String, String> {
        self.manifest()
            .map(|m| {
                m.portraits
                    .into_iter()
                    .filter_map(|(slug, p)| Some((slug, p.image?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn has_report(&self) -> bool {
        self.dir.join(layout::REPORT_HTML).is_file()
    }
}

fn read_scenes(dir: &Path, path: &Path, stamp: (SystemTime, u64)) -> Cached {
    let scenes = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ChapterScenes>(&bytes).ok());
    let mut thumbs = Vec::new();
    let mut times = Vec::new();
    for scene in scenes.iter().flat_map(|s| &s.scenes) {
        if let Some(image) = &scene.image {
            thumbs.push(Thumb {
                scene: scene.scene.0,
                image: image.clone(),
            });
            if let Some((time, _)) = self::stamp(&dir.join(image)) {
                times.push(epoch_seconds(time));
            }
        }
    }
    Cached {
        stamp,
        thumbs,
        times,
    }
}

/// A file's modification time and size: what tells that it changed.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn epoch_seconds(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `NNN.json` answers one chapter, `NNN-MMM.json` the chapters from NNN to MMM.
fn chapters_answered(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".json")?;
    let number = |s: &str| s.parse::<u64>().ok();
    match stem.split_once('-') {
        Some((first, last)) => Some(number(last)?.checked_sub(number(first)?)? + 1),
        None => number(stem).map(|_| 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass1_answers_count_their_chapters() {
        assert_eq!(chapters_answered("007.json"), Some(1));
        assert_eq!(chapters_answered("008-010.json"), Some(3));
        assert_eq!(chapters_answered("010-008.json"), None);
        assert_eq!(chapters_answered(".007.json.tmp"), None);
    }

    #[test]
    fn a_missing_or_damaged_folder_is_a_sentence() {
        let tmp = tempfile::tempdir().unwrap();
        let gone = Folder::new(tmp.path().join("gone"));
        assert!(gone.manifest().unwrap_err().contains("does not exist"));
        let folder = Folder::new(tmp.path().to_path_buf());
        assert!(folder.manifest().unwrap_err().contains("no run"));
        std::fs::write(layout::manifest_path(tmp.path()), "{ broken").unwrap();
        assert!(folder.manifest().unwrap_err().contains("damaged"));
    }
}
