//! Rendering the Markdown outputs from the saved state alone: Chapters.md from
//! `chapters/*.json`, Contents.md from the manifest, Elements.md from `elements.json` only when
//! it is missing (a hand-edited Elements.md is never overwritten by a render).

use crate::analyze::model::{Catalogue, ChapterScenes};
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::pipeline::context::read_scenes;
use crate::render::{ChapterRow, ContentsView, chapters_md, contents_md, elements_md};
use crate::store::layout::{
    self, CHAPTERS_MD, ELEMENTS_JSON, ELEMENTS_MD, PROGRESS_FILE, chapters_md_path,
    contents_md_path, elements_json_path, elements_md_path,
};
use crate::store::{self, BookState, Manifest, Status};
use crate::style::Style;
use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

/// What a render wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    pub chapters: usize,
    pub elements: bool,
}

/// The `chapters/*.json` files read by earlier renders, kept while the file is unchanged (same
/// inode, size and times: every write replaces the file), so a render during a long run reads
/// only the chapters that changed since the last one.
#[derive(Debug, Default)]
pub struct SceneCache {
    files: HashMap<ChapterNo, (FileStamp, ChapterScenes)>,
    /// Files read from disk (not from the cache).
    reads: usize,
}

type FileStamp = (u64, Option<SystemTime>, (u64, i64, i64));

/// Inode and change time where the platform has them: a replaced file always differs.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, i64, i64) {
    use std::os::unix::fs::MetadataExt;
    (meta.ino(), meta.ctime(), meta.ctime_nsec())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> (u64, i64, i64) {
    (0, 0, 0)
}

impl SceneCache {
    fn read(&mut self, chapter: ChapterNo, path: &Path) -> Result<Option<ChapterScenes>, Error> {
        let Ok(meta) = std::fs::metadata(path) else {
            self.files.remove(&chapter);
            return Ok(None);
        };
        let stamp = (meta.len(), meta.modified().ok(), identity(&meta));
        if let Some((seen, scenes)) = self.files.get(&chapter)
            && *seen == stamp
        {
            return Ok(Some(scenes.clone()));
        }
        let scenes = read_scenes(path)?;
        self.reads += 1;
        self.files.insert(chapter, (stamp, scenes.clone()));
        Ok(Some(scenes))
    }
}

/// Renders Chapters.md and Contents.md (and Elements.md when missing) in the store's folder,
/// reusing the chapter files `cache` read before if they are unchanged. Renders made while a
/// run goes on pass `durable: false`: they are replaced atomically but not fsync'd (a power cut
/// can only cost a render the next one rebuilds); the final render of a run is durable.
pub fn render_all(
    state: &dyn BookState,
    out: &Path,
    cache: &mut SceneCache,
    durable: bool,
) -> Result<Rendered, Error> {
    let replace = |path: &Path, text: &str| -> Result<(), Error> {
        if durable {
            write(path, text)
        } else {
            store::atomic::replace_unsynced(path, text.as_bytes()).map_err(Error::from)
        }
    };
    let manifest = state.snapshot()?.ok_or_else(|| store::Error::NoManifest {
        dir: out.to_path_buf(),
    })?;
    let chapters = analysed_chapters(out, &manifest, cache)?;
    replace(
        &chapters_md_path(out),
        &chapters_md(&manifest.book.title, &chapters),
    )?;
    replace(&contents_md_path(out), &contents_md(&contents(&manifest)))?;
    let elements = render_missing_elements(out)?;
    Ok(Rendered {
        chapters: chapters.len(),
        elements,
    })
}

/// Writes `elements.json` and Elements.md (replacing any older Elements.md, which shows `style`
/// first), both durably and at the same time: pass 2 waits for them.
pub fn write_elements(
    out: &Path,
    catalogue: &Catalogue,
    style: Option<&Style>,
    portraits: &[(String, String)],
) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(catalogue).map_err(|source| Error::Encode {
        what: ELEMENTS_JSON,
        source,
    })?;
    let md = crate::render::elements_md_with_portraits(catalogue, style, portraits);
    std::thread::scope(|scope| {
        let json_written = scope.spawn(|| store::atomic::write(&elements_json_path(out), &json));
        let md_written = write(&elements_md_path(out), &md);
        let json_written = json_written
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        json_written.map_err(Error::from).and(md_written)
    })
}

/// Elements.md from elements.json when it is missing, with the style `style.json` records.
fn render_missing_elements(out: &Path) -> Result<bool, Error> {
    let md = elements_md_path(out);
    let json = elements_json_path(out);
    if md.exists() || !json.exists() {
        return Ok(false);
    }
    let bytes = std::fs::read(&json).map_err(|source| Error::Read {
        path: json.clone(),
        source,
    })?;
    let catalogue: Catalogue = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
        path: json,
        message: e.to_string(),
    })?;
    let saved = crate::style::read(out)?;
    let style = crate::style::effective(None, saved.as_ref());
    write(&md, &elements_md(&catalogue, style.as_ref()))?;
    Ok(true)
}

fn analysed_chapters(
    out: &Path,
    manifest: &Manifest,
    cache: &mut SceneCache,
) -> Result<Vec<ChapterScenes>, Error> {
    let mut chapters = Vec::new();
    for (no, state) in &manifest.chapters {
        if state.status == Status::Pending || state.analyzed_at.is_none() {
            continue;
        }
        let path = layout::chapter_path(out, *no);
        if let Some(scenes) = cache.read(*no, &path)? {
            chapters.push(scenes);
        }
    }
    Ok(chapters)
}

fn contents(manifest: &Manifest) -> ContentsView {
    let chapters = manifest
        .chapters
        .iter()
        .map(|(no, ch)| ChapterRow {
            number: no.0,
            title: ch.title.clone(),
            status: ch.status.to_string(),
            scenes: ch.concepts as usize,
            images: ch.scenes_done.len(),
        })
        .collect();
    let author = Some(manifest.book.author.clone()).filter(|a| !a.is_empty());
    ContentsView {
        title: manifest.book.title.clone(),
        author,
        chapters,
        links: vec![
            ("Elements".into(), ELEMENTS_MD.into()),
            ("Chapters".into(), CHAPTERS_MD.into()),
            ("Progress log".into(), PROGRESS_FILE.into()),
        ],
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    store::atomic::write(path, text.as_bytes()).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::model::Scene;
    use crate::ids::{ChapterKey, SceneNo};
    use crate::store::Error as StoreError;
    use crate::store::Store;
    use crate::store::layout::chapter_file_name;
    use chrono::Utc;

    fn save(out: &Path, chapter: u32, description: &str) {
        let scenes = ChapterScenes {
            chapter: ChapterNo(chapter),
            key: ChapterKey(format!("k{chapter}")),
            title: format!("Chapter {chapter}"),
            scenes: vec![Scene {
                scene: SceneNo(1),
                quote: "A quote.".into(),
                description: description.into(),
                mood: String::new(),
                lighting: String::new(),
                elements: Vec::new(),
                image: None,
                rejected: None,
                user_rejected: false,
            }],
        };
        let path = out
            .join("chapters")
            .join(chapter_file_name(ChapterNo(chapter)));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        store::atomic::write(&path, &serde_json::to_vec(&scenes).unwrap()).unwrap();
    }

    #[test]
    fn renders_read_only_the_chapter_files_that_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .update_with_lock(|m| {
                m.set_initial(store::test_support::manifest(2));
                m.mark_analyzed(ChapterNo(1), 1, Utc::now())?;
                m.mark_analyzed(ChapterNo(2), 1, Utc::now())
            })
            .map_err(|e: StoreError| e)
            .unwrap();
        save(dir.path(), 1, "a red door");
        save(dir.path(), 2, "a blue lake");
        let mut cache = SceneCache::default();
        let chapters_md = || std::fs::read_to_string(dir.path().join("Chapters.md")).unwrap();

        render_all(&store, store.dir(), &mut cache, false).unwrap();
        render_all(&store, store.dir(), &mut cache, false).unwrap();
        assert_eq!(cache.reads, 2, "the second render reads nothing");
        assert!(chapters_md().contains("a blue lake"));

        save(dir.path(), 2, "a green hill");
        render_all(&store, store.dir(), &mut cache, false).unwrap();
        assert_eq!(cache.reads, 3, "only the rewritten chapter is read again");
        assert!(chapters_md().contains("a green hill"));
        assert!(!chapters_md().contains("a blue lake"));
    }
}
