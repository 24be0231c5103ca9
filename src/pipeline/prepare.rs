//! Before any model is called: the manifest is created or brought up to date with the book,
//! expired claims are recovered, and `--force` / `--retry-failed` / `--clear-errors` are applied.
//! Images of forced chapters are put aside in `images/.replaced/`, never deleted.

use crate::analyze::model::note_scene;
use crate::book::Book;
use crate::config::Options;
use crate::error::Error;
use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::report::Reporter;
use crate::store::{BookMeta, BookState, Manifest, OpenBook, SceneOutcome, atomic, layout};
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

/// Brings the book's `state` up to date with `book` and applies the resume flags; `out` is the
/// output folder, where forced chapters' images are put aside.
pub fn prepare(
    state: &dyn BookState,
    out: &Path,
    book: &Book,
    book_path: &Path,
    options: &Options,
    selected: &[ChapterNo],
    reporter: &Reporter,
) -> Result<Prepared, Error> {
    for sub in layout::SUBDIRS {
        atomic::create_dir(&out.join(sub))?;
    }
    let request = open_request(book, book_path, options, selected)?;
    let opened = state.open_book(&request)?;
    for note in &opened.notes {
        reporter.warn(note);
    }
    if let Some(theirs) = &opened.other_file {
        reporter.warn(&format!(
            "`{}` differs from the file this folder was made from (`{}`); continuing with the saved state",
            request.meta.file, theirs.file
        ));
    }
    for (no, old, new) in &opened.changed_keys {
        reporter.warn(&format!(
            "chapter {no} is now `{new}` in the book but was `{old}` when analyzed; its saved work is kept (use --force --chapters {no} to redo it)"
        ));
    }
    for (chapter, scenes) in &opened.forced {
        put_aside(out, *chapter, scenes)?;
        // Chapters.md must not link to the images just put aside while they are redrawn.
        for scene in scenes {
            note_scene(out, *chapter, *scene, &SceneOutcome::Pending)?;
        }
    }
    if request.force && options.phases.images && options.chapters.is_none() {
        // `--images --force` on the whole book redraws the cast sheet too (a new style, say);
        // the old pictures stay until the new ones replace them.
        let drawn: Vec<String> = state
            .snapshot()?
            .map(|m| m.portraits.keys().cloned().collect())
            .unwrap_or_default();
        for slug in drawn {
            state.redo_portrait(&slug)?;
        }
    }
    if request.redo_elements {
        // `--force` on the whole book redoes pass 1: its saved answers go.
        atomic::remove_dir(&layout::entities_dir(out))?;
    }
    Ok(Prepared {
        created: opened.created,
        reset: opened.reset,
        forced: opened
            .forced
            .into_iter()
            .map(|(chapter, _)| chapter)
            .collect(),
        recovered: opened.recovered,
    })
}

/// What this run asks of the book's state: its chapters and the resume flags.
fn open_request(
    book: &Book,
    book_path: &Path,
    options: &Options,
    selected: &[ChapterNo],
) -> Result<OpenBook, Error> {
    let mut meta = book_meta(book, book_path)?;
    if !options.record_book_path {
        meta.path.clear();
    }
    let chapters: Vec<(ChapterNo, ChapterKey, String)> = book
        .story_chapters()
        .filter_map(|c| Some((c.number?, c.key.clone(), c.title.clone())))
        .collect();
    let resume = options.resume;
    let phases = options.phases;
    Ok(OpenBook {
        initial: Manifest::new(book_id(book_path), meta.clone(), &chapters),
        meta,
        chapters,
        selected: selected.to_vec(),
        retry_failed: resume.retry_failed || resume.clear_errors,
        force: resume.force,
        images_only: !phases.scenes,
        redo_elements: resume.force && phases.entities && options.chapters.is_none(),
        redo_analysis: resume.force && phases.scenes,
        lease: Duration::from_secs(options.lease_secs),
        now: Utc::now(),
    })
}

/// Moves the recorded images of a forced chapter into `images/.replaced/`, with every later
/// version `imaginize regenerate` drew: the chapter starts over at version 1.
fn put_aside(out: &Path, chapter: ChapterNo, scenes: &[SceneNo]) -> Result<(), Error> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%S").to_string();
    let Ok(entries) = std::fs::read_dir(layout::images_dir(out)) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let forced = layout::parse_image_version(&name)
            .is_some_and(|(c, s, _)| c == chapter && scenes.contains(&s));
        if forced {
            atomic::move_aside(
                &entry.path(),
                &layout::replaced_image_path(out, &stamp, &name),
            )?;
        }
    }
    Ok(())
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
    let stem = layout::default_output_dir(path);
    layout::strip_output_prefix(&stem.to_string_lossy()).to_string()
}
