//! Before any model is called: the manifest is created or brought up to date with the book,
//! expired claims are recovered, and `--force` / `--retry-failed` / `--clear-errors` are applied.
//! Images of forced chapters are put aside in `images/.replaced/`, never deleted.

use crate::book::Book;
use crate::config::Options;
use crate::error::Error;
use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::report::Reporter;
use crate::store::{BookMeta, ElementsStatus, LockedManifest, Manifest, SceneOutcome, Store};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;

/// What preparing changed, for the user.
#[derive(Debug, Default)]
pub struct Prepared {
    pub created: bool,
    pub reset: Vec<ChapterNo>,
    pub forced: Vec<ChapterNo>,
    pub recovered: usize,
}

/// Brings the manifest in `store` up to date with `book` and applies the resume flags.
pub fn prepare(
    store: &Store,
    book: &Book,
    book_path: &Path,
    options: &Options,
    selected: &[ChapterNo],
    reporter: &Reporter,
) -> Result<Prepared, Error> {
    for sub in crate::store::SUBDIRS {
        let dir = store.dir().join(sub);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir, source })?;
    }
    let meta = book_meta(book, book_path)?;
    let chapters: Vec<(ChapterNo, ChapterKey, String)> = book
        .story_chapters()
        .filter_map(|c| Some((c.number?, c.key.clone(), c.title.clone())))
        .collect();
    let lease = Duration::from_secs(options.lease_secs);
    let mut prepared = Prepared::default();
    let mut aside: Vec<(ChapterNo, Vec<SceneNo>)> = Vec::new();
    store.update_with_lock(|m| {
        for note in m.notes() {
            reporter.warn(note);
        }
        prepared.created = m.set_initial(Manifest::new(book_id(book_path), meta.clone(), &chapters));
        check_same_book(m, &meta, reporter)?;
        m.note_book_path(&meta)?;
        let report = m.merge_chapters(&chapters)?;
        for (no, old, new) in report.changed_keys {
            reporter.warn(&format!(
                "chapter {no} is now `{new}` in the book but was `{old}` when analyzed; its saved work is kept (use --force --chapters {no} to redo it)"
            ));
        }
        prepared.recovered = m.recover_expired(lease, Utc::now())?.len();
        apply_flags(m, options, selected, &mut prepared, &mut aside)?;
        Ok::<(), Error>(())
    })?;
    for (chapter, scenes) in aside {
        put_aside(store.dir(), chapter, &scenes)?;
        // Chapters.md must not link to the images just put aside while they are redrawn.
        for scene in scenes {
            store.note_scene(chapter, scene, &SceneOutcome::Pending)?;
        }
    }
    if options.resume.force && options.phases.entities && options.chapters.is_none() {
        forget_entities(store.dir())?;
    }
    Ok(prepared)
}

fn apply_flags(
    m: &mut LockedManifest,
    options: &Options,
    selected: &[ChapterNo],
    prepared: &mut Prepared,
    aside: &mut Vec<(ChapterNo, Vec<SceneNo>)>,
) -> Result<(), Error> {
    let resume = options.resume;
    if resume.retry_failed || resume.clear_errors {
        prepared.reset = m.reset_errors(Some(selected))?;
    }
    if resume.force {
        let images_only = !options.phases.scenes;
        for chapter in selected {
            let scenes = m.redo(*chapter, images_only)?;
            aside.push((*chapter, scenes));
            prepared.forced.push(*chapter);
        }
        if options.phases.entities && options.chapters.is_none() {
            m.set_elements_status(ElementsStatus::Pending)?;
        }
        if options.phases.scenes {
            m.set_analyze_complete(false)?;
        }
        m.set_illustrate_complete(false)?;
    }
    Ok(())
}

/// A folder is for one book: a different file with the same chapters is accepted with a
/// warning (a re-download), different chapter keys are reported by the merge.
fn check_same_book(m: &LockedManifest, meta: &BookMeta, reporter: &Reporter) -> Result<(), Error> {
    let theirs = &m.manifest()?.book;
    if !theirs.sha256.is_empty() && theirs.sha256 != meta.sha256 {
        reporter.warn(&format!(
            "`{}` differs from the file this folder was made from (`{}`); continuing with the saved state",
            meta.file, theirs.file
        ));
    }
    Ok(())
}

/// Moves the recorded images of a forced chapter into `images/.replaced/`.
fn put_aside(out: &Path, chapter: ChapterNo, scenes: &[SceneNo]) -> Result<(), Error> {
    let replaced = out.join("images").join(".replaced");
    let stamp = Utc::now().format("%Y%m%dT%H%M%S");
    for scene in scenes {
        for ext in ["png", "jpg", "webp"] {
            let name = format!("chapter_{}_scene_{}.{ext}", chapter.0, scene.0);
            let from = out.join("images").join(&name);
            if !from.exists() {
                continue;
            }
            std::fs::create_dir_all(&replaced).map_err(|source| Error::Write {
                path: replaced.clone(),
                source,
            })?;
            let to = replaced.join(format!("{stamp}-{name}"));
            std::fs::rename(&from, &to).map_err(|source| Error::Write { path: to, source })?;
        }
    }
    Ok(())
}

/// `--force` on the whole book redoes pass 1: its saved answers are removed.
fn forget_entities(out: &Path) -> Result<(), Error> {
    let dir = out.join("entities");
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Write { path: dir, source }),
    }
}

fn book_meta(book: &Book, path: &Path) -> Result<BookMeta, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(BookMeta {
        title: book.title.clone(),
        author: book.author.clone().unwrap_or_default(),
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        path: std::path::absolute(path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    })
}

fn book_id(path: &Path) -> String {
    let stem = crate::run::default_output_dir(path);
    let name = stem.to_string_lossy();
    name.strip_prefix("imaginize_").unwrap_or(&name).to_string()
}
