//! `imaginize --migrate-concurrent`: converts the old tool's `.imaginize.state.json` (or the older
//! `.illustrate.state.json`) into the manifest, `chapters/NNN.json`, `elements.json` and
//! `images/`, from the output folder alone (the book need not be at hand). Scenes come from the
//! state's `sceneConcepts`, or from the old `Chapters.md` for files that predate them; images
//! keep their files (hard-linked under the new names); links to remote images are not fetched.
//!
//! The old file is never modified: it is copied to `<name>.backup` first. The manifest is written
//! last, so a migration that stops half-way is simply run again; once the manifest exists a
//! second run changes nothing. A field the old file has in a form we cannot understand is an
//! error naming that field.

mod chapters_md;
mod elements;
mod images;
mod old_state;

use crate::analyze::model::{ChapterScenes, Scene};
use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::provider::Usage;
use crate::store::manifest::{BookMeta, ElementsStatus, MIGRATED_KEY_PREFIX, Manifest, Status};
use crate::store::{DEFAULT_LOCK_TIMEOUT, Error, Store, atomic, layout};
use chapters_md::MdChapter;
use images::Adopted;
use old_state::{OldChapter, OldState, OldStatus};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The old tool's state file names, newest first.
pub const OLD_STATE_FILES: [&str; 2] = [".imaginize.state.json", ".illustrate.state.json"];

/// What a migration did, for the user.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MigrationReport {
    /// The old state file read.
    pub source: PathBuf,
    /// Its untouched copy.
    pub backup: PathBuf,
    /// The folder already had a manifest, so nothing was written (a second run, or a folder a new
    /// run has already taken over).
    pub already_migrated: bool,
    /// Chapters by the status they got (empty when `already_migrated`).
    pub pending: Vec<ChapterNo>,
    pub analyzed: Vec<ChapterNo>,
    pub illustrated: Vec<ChapterNo>,
    pub failed: Vec<ChapterNo>,
    /// Image files given their new names under `images/`.
    pub images_adopted: usize,
    /// Elements written to `elements.json` from the old catalogue.
    pub elements: usize,
    /// Things the user should know (work that will be done again, files ignored).
    pub notes: Vec<String>,
}

/// Migrates the old state in `dir` (see the module docs).
pub fn migrate_folder(dir: &Path) -> Result<MigrationReport, Error> {
    let source = OLD_STATE_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.exists())
        .ok_or_else(|| Error::NothingToMigrate {
            dir: dir.to_path_buf(),
        })?;
    let bytes = fs::read(&source).map_err(|e| Error::io("read", &source, e))?;
    let old = old_state::parse(&source, &bytes)?;
    let backup = keep_backup(&source, &bytes)?;
    let mut report = MigrationReport {
        source: source.clone(),
        backup,
        ..MigrationReport::default()
    };
    for other in OLD_STATE_FILES.iter().map(|n| dir.join(n)) {
        if other != source && other.exists() {
            report.notes.push(format!(
                "`{}` is older than `{}` and was not read; it is left as it is",
                other.display(),
                source.display()
            ));
        }
    }

    let store = Store::open(dir)?;
    let mut locked = store.lock(DEFAULT_LOCK_TIMEOUT)?;
    report.notes.extend(locked.notes().iter().cloned());
    if locked.get().is_some() {
        report.already_migrated = true;
        return Ok(report);
    }
    let md = read_chapters_md(dir)?;
    let manifest = convert(dir, &old, &md, &mut report)?;
    locked.set_initial(manifest);
    locked.commit()?;
    Ok(report)
}

/// Copies the old file to `<name>.backup` unless an identical copy is there already.
fn keep_backup(source: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    let mut name = source.as_os_str().to_owned();
    name.push(".backup");
    let backup = PathBuf::from(name);
    match fs::read(&backup) {
        Ok(existing) if existing == bytes => Ok(backup),
        Ok(_) => Err(Error::BackupDiffers {
            path: source.to_path_buf(),
            backup,
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            atomic::write(&backup, bytes)?;
            Ok(backup)
        }
        Err(err) => Err(Error::io("read", &backup, err)),
    }
}

fn read_chapters_md(dir: &Path) -> Result<Vec<MdChapter>, Error> {
    let path = layout::chapters_md_path(dir);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(chapters_md::parse(&text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(Error::io("read", &path, err)),
    }
}

/// Builds the manifest, writing `chapters/NNN.json` and adopting images on the way.
fn convert(
    dir: &Path,
    old: &OldState,
    md: &[MdChapter],
    report: &mut MigrationReport,
) -> Result<Manifest, Error> {
    let numbers = old.chapter_numbers();
    let titles: Vec<(ChapterNo, ChapterKey, String)> = numbers
        .iter()
        .map(|n| {
            let title = old
                .toc
                .get(n)
                .filter(|t| !t.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("Chapter {n}"));
            (
                ChapterNo(*n),
                ChapterKey(format!("{MIGRATED_KEY_PREFIX}{n}")),
                title,
            )
        })
        .collect();
    let book = BookMeta {
        title: old.book_title.clone(),
        author: String::new(),
        file: old.book_file.clone(),
        sha256: String::new(),
        path: String::new(),
    };
    let mut manifest = Manifest::new(book_id(old, dir), book, &titles);
    for (no, key, title) in &titles {
        let analyzed = old.analyze.chapters.get(&no.0);
        let illustrated = old.illustrate.chapters.get(&no.0);
        let state = Arc::make_mut(
            manifest
                .chapters
                .get_mut(no)
                .expect("every chapter was just added"),
        );
        let tokens =
            analyzed.map_or(0, |c| c.tokens_used) + illustrated.map_or(0, |c| c.tokens_used);
        state.usage = Usage {
            prompt_tokens: tokens,
            ..Usage::default()
        };
        let done = |c: Option<&OldChapter>| c.is_some_and(|c| c.status == OldStatus::Completed);
        let failed = |c: Option<&OldChapter>| c.is_some_and(|c| c.status == OldStatus::Failed);
        let was_analyzed = done(analyzed) || done(illustrated);
        let scenes = if was_analyzed {
            scenes_for(analyzed, title, md)
        } else {
            Vec::new()
        };
        if was_analyzed && scenes.is_empty() {
            report.notes.push(format!(
                "chapter {no} was analyzed by the old imaginize, but its scenes are neither in the state file nor in Chapters.md; it will be analyzed again"
            ));
        }
        if failed(analyzed) || (scenes.is_empty() && failed(illustrated)) {
            let message = analyzed.or(illustrated).and_then(|c| c.error.clone());
            state.status = Status::Error;
            state.attempts = 1;
            state.error = Some(message.unwrap_or_else(|| "failed in the old imaginize".into()));
            report.failed.push(*no);
            continue;
        }
        if scenes.is_empty() {
            report.pending.push(*no);
            continue;
        }
        state.status = Status::Analyzed;
        state.concepts = scenes.len() as u32;
        state.analyzed_at = analyzed
            .and_then(|c| c.completed_at)
            .or(illustrated.and_then(|c| c.completed_at))
            .or(old.last_updated);
        let mut file = ChapterScenes {
            chapter: *no,
            key: key.clone(),
            title: title.clone(),
            scenes: Vec::new(),
        };
        // The old tool kept one `imageUrl` per illustrated chapter: it belongs to the first scene
        // when no scene names its own image.
        let chapter_image = illustrated.and_then(|c| c.image_url.clone());
        let any_scene_image = scenes.iter().any(|s| s.image.is_some());
        for (i, old_scene) in scenes.iter().enumerate() {
            let scene = SceneNo(i as u32 + 1);
            let reference = old_scene.image.clone().or_else(|| {
                (i == 0 && !any_scene_image)
                    .then(|| chapter_image.clone())
                    .flatten()
            });
            let mut image = None;
            if let Some(reference) = reference {
                match images::adopt(dir, &reference, *no, scene)? {
                    Adopted::At(path) => {
                        state.scenes_done.push(scene);
                        state.usage.images += 1;
                        report.images_adopted += 1;
                        image = Some(path);
                    }
                    Adopted::Not(why) => report.notes.push(format!(
                        "chapter {no} scene {scene}: {why}; it will be drawn again"
                    )),
                }
            }
            file.scenes.push(Scene {
                scene,
                quote: old_scene.quote.clone(),
                description: old_scene.description.clone(),
                mood: old_scene.mood.clone(),
                lighting: old_scene.lighting.clone(),
                elements: old_scene.elements.clone(),
                image,
                rejected: None,
                user_rejected: false,
            });
        }
        write_if_changed(&layout::chapter_path(dir, *no), &file)?;
        let all_drawn = state.scenes_done.len() == scenes.len();
        if failed(illustrated) {
            state.status = Status::Error;
            state.attempts = 1;
            state.error = illustrated.and_then(|c| c.error.clone());
            report.failed.push(*no);
        } else if done(illustrated) && all_drawn {
            state.status = Status::IllustrationComplete;
            state.illustrated_at = illustrated
                .and_then(|c| c.completed_at)
                .or(old.last_updated);
            report.illustrated.push(*no);
        } else {
            if done(illustrated) {
                report.notes.push(format!(
                    "chapter {no} was illustrated by the old imaginize, but only {} of its {} images were found; the others will be drawn",
                    state.scenes_done.len(),
                    scenes.len()
                ));
            }
            report.analyzed.push(*no);
        }
    }
    let statuses: Vec<Status> = manifest.chapters.values().map(|c| c.status).collect();
    manifest.analyze_complete = old.analyze.completed
        && statuses
            .iter()
            .all(|s| !matches!(s, Status::Pending | Status::Error));
    manifest.illustrate_complete = statuses.iter().all(|s| *s == Status::IllustrationComplete);
    if let Some(catalogue) = elements::convert(old, &mut report.notes) {
        write_if_changed(&layout::elements_json_path(dir), &catalogue)?;
        report.elements = catalogue.elements.len();
        // Only a catalogue the old tool finished is final; otherwise the analysis redoes it.
        if old.extract_completed {
            manifest.elements_md_status = ElementsStatus::Complete;
        }
    }
    Ok(manifest)
}

/// The old chapter's scenes: `sceneConcepts` when the file has them, else the chapter's section
/// of the old `Chapters.md` (matched by title).
fn scenes_for(
    analyzed: Option<&OldChapter>,
    title: &str,
    md: &[MdChapter],
) -> Vec<old_state::OldScene> {
    if let Some(scenes) = analyzed
        .and_then(|c| c.scenes.as_ref())
        .filter(|s| !s.is_empty())
    {
        return scenes.clone();
    }
    let wanted = title.trim().to_lowercase();
    let Some(section) = md.iter().find(|c| c.title.trim().to_lowercase() == wanted) else {
        return Vec::new();
    };
    section
        .scenes
        .iter()
        .filter(|s| !s.quote.is_empty())
        .map(|s| old_state::OldScene {
            quote: s.quote.clone(),
            description: s.description.clone(),
            mood: String::new(),
            lighting: String::new(),
            elements: Vec::new(),
            image: s.image.clone(),
        })
        .collect()
}

/// Writes `value` as pretty JSON unless the file already holds exactly that (so a second run after a
/// half-finished one rewrites nothing).
fn write_if_changed(path: &Path, value: &impl serde::Serialize) -> Result<(), Error> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| Error::Encode {
        path: path.to_path_buf(),
        source,
    })?;
    if fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
    }
    atomic::write(path, &bytes)
}

/// The book id from the old file's book name (docs/ARCHITECTURE.md §3: lower-cased stem, runs of
/// non-alphanumerics → `_`), else from the folder's name.
fn book_id(old: &OldState, dir: &Path) -> String {
    let stem = Path::new(&old.book_file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            let name = dir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            layout::strip_output_prefix(&name).to_string()
        });
    let mut id = String::new();
    for c in stem.to_lowercase().chars() {
        if c.is_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('_') {
            id.push('_');
        }
    }
    id
}
