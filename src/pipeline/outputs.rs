//! Rendering the Markdown outputs from the saved state alone: Chapters.md from
//! `chapters/*.json`, Contents.md from the manifest, Elements.md from `elements.json` only when
//! it is missing (a hand-edited Elements.md is never overwritten by a render).

use crate::analyze::model::{Catalogue, ChapterScenes};
use crate::error::Error;
use crate::pipeline::context::read_scenes;
use crate::render::{ChapterRow, ContentsView, chapters_md, contents_md, elements_md};
use crate::store::{self, Manifest, Status, Store};
use std::path::Path;

/// What a render wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    pub chapters: usize,
    pub elements: bool,
}

/// Renders Chapters.md and Contents.md (and Elements.md when missing) in `out`.
pub fn render_all(out: &Path) -> Result<Rendered, Error> {
    let store = Store::open(out)?;
    let loaded = store.load()?;
    let manifest = loaded.manifest.ok_or_else(|| store::Error::NoManifest {
        dir: out.to_path_buf(),
    })?;
    let chapters = analysed_chapters(out, &manifest)?;
    write(
        &out.join("Chapters.md"),
        &chapters_md(&manifest.book.title, &chapters),
    )?;
    write(&out.join("Contents.md"), &contents_md(&contents(&manifest)))?;
    let elements = render_missing_elements(out)?;
    Ok(Rendered {
        chapters: chapters.len(),
        elements,
    })
}

/// Writes Elements.md from `elements.json` (replacing any older Elements.md).
pub fn write_elements(out: &Path, catalogue: &Catalogue) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(catalogue)
        .map_err(|e| Error::Internal(format!("cannot encode elements.json: {e}")))?;
    store::atomic::write(&out.join("elements.json"), &json)?;
    write(&out.join("Elements.md"), &elements_md(catalogue))
}

fn render_missing_elements(out: &Path) -> Result<bool, Error> {
    let md = out.join("Elements.md");
    let json = out.join("elements.json");
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
    write(&md, &elements_md(&catalogue))?;
    Ok(true)
}

fn analysed_chapters(out: &Path, manifest: &Manifest) -> Result<Vec<ChapterScenes>, Error> {
    let mut chapters = Vec::new();
    for (no, state) in &manifest.chapters {
        if state.status == Status::Pending || state.analyzed_at.is_none() {
            continue;
        }
        let path = out
            .join("chapters")
            .join(crate::analyze::model::chapter_file_name(*no));
        if path.exists() {
            chapters.push(read_scenes(&path)?);
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
            ("Elements".into(), "Elements.md".into()),
            ("Chapters".into(), "Chapters.md".into()),
            ("Progress log".into(), "progress.md".into()),
        ],
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    store::atomic::write(path, text.as_bytes()).map_err(Error::from)
}
