//! `imaginize compile`: turns the output folder (`chapters/*.json`, `elements.json`, `images/`)
//! into an illustrated EPUB, a self-contained HTML gallery, a CBZ and an illustrated PDF. Owns
//! loading that state and resolving image paths safely; the formats live in submodules. Names come
//! from `store::layout`, every write goes through `store::atomic`.

mod cbz;
mod epub_build;
mod epub_inject;
mod error;
mod gallery;
pub mod pdf;
pub mod placement;

pub use error::Error;

use crate::analyze::model::{Catalogue, ChapterScenes, Scene};
use crate::book::{Book, Format};
use crate::render::markup::escape;
use crate::store::{atomic, layout};
use std::path::{Component, Path, PathBuf};

/// Which outputs to produce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Formats {
    pub epub: bool,
    pub html: bool,
    pub cbz: bool,
    /// The illustrated PDF, laid out as these options say.
    pub pdf: Option<pdf::PdfOptions>,
}

impl Formats {
    /// Every output.
    pub fn all() -> Self {
        Formats {
            epub: true,
            html: true,
            cbz: true,
            pdf: Some(pdf::PdfOptions::default()),
        }
    }
}

/// What `compile` wrote and what it had to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompileReport {
    /// Files written, absolute or relative to the caller's `out_dir`.
    pub written: Vec<PathBuf>,
    /// Images placed in each output.
    pub images: usize,
    /// Scenes without an image yet (not illustrated).
    pub missing: usize,
    /// Scenes the provider refused to draw.
    pub rejected: usize,
    /// Scenes whose image the reader rejected in review (kept on disk, left out here).
    pub set_aside: usize,
    /// Scenes whose quote was not found, placed at the chapter start instead.
    pub unplaced: usize,
    /// Images the PDF left out because their contents are not the image their name says.
    pub undecodable: usize,
}

/// A scene whose image exists on disk, with its chapter's state.
#[derive(Debug, Clone)]
pub(crate) struct Illustrated {
    pub chapter: u32,
    pub key: String,
    pub scene: Scene,
    /// Absolute path of the image file.
    pub file: PathBuf,
    /// Lowercase extension: png, jpg, jpeg or webp.
    pub ext: String,
}

/// The loaded state of an output folder.
pub(crate) struct State {
    pub chapters: Vec<ChapterScenes>,
    pub catalogue: Catalogue,
    pub illustrated: Vec<Illustrated>,
}

/// Builds the requested outputs in `out_dir` from its state, the parsed `book` and its `source`.
pub fn compile(
    out_dir: &Path,
    book: &Book,
    source: &Path,
    formats: Formats,
) -> Result<CompileReport, Error> {
    let mut report = CompileReport::default();
    let state = load_state(out_dir, &mut report)?;
    report.images = state.illustrated.len();
    let stem = layout::book_stem(source);
    if formats.epub {
        let path = layout::epub_path(out_dir, &stem);
        let bytes = if book.format == Format::Epub {
            let original = std::fs::read(source).map_err(|source_err| Error::Read {
                path: source.to_path_buf(),
                source: source_err,
            })?;
            epub_inject::inject(&original, source, &state, &mut report)?
        } else {
            epub_build::build(book, &state, &mut report)?
        };
        atomic::write_creating_folder(&path, &bytes)?;
        report.written.push(path);
    }
    if formats.html {
        report
            .written
            .extend(gallery::write(out_dir, book, &state)?);
    }
    if formats.cbz {
        let path = layout::cbz_path(out_dir, &stem);
        atomic::write_creating_folder(&path, &cbz::build(book, &state)?)?;
        report.written.push(path);
    }
    if let Some(options) = &formats.pdf {
        let path = layout::pdf_path(out_dir, &stem);
        atomic::write_creating_folder(
            &path,
            &pdf::build(out_dir, book, &state, options, &mut report)?,
        )?;
        report.written.push(path);
    }
    Ok(report)
}

/// Reads `chapters/*.json` (sorted by chapter) and `elements.json` (optional), and resolves
/// which scene images exist.
pub(crate) fn load_state(out_dir: &Path, report: &mut CompileReport) -> Result<State, Error> {
    let dir = layout::chapters_dir(out_dir);
    let mut chapters = Vec::new();
    if dir.is_dir() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| Error::Read {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if path.extension().is_some_and(|e| e == "json") {
                chapters.push(read_json::<ChapterScenes>(&path)?);
            }
        }
    }
    chapters.sort_by_key(|c| c.chapter);
    let elements = layout::elements_json_path(out_dir);
    let catalogue = if elements.exists() {
        read_json(&elements)?
    } else {
        Catalogue::default()
    };
    let mut illustrated = Vec::new();
    for chapter in &chapters {
        for scene in &chapter.scenes {
            if scene.rejected.is_some() {
                report.rejected += 1;
                continue;
            }
            if scene.user_rejected {
                report.set_aside += 1;
                continue;
            }
            let Some(rel) = &scene.image else {
                report.missing += 1;
                continue;
            };
            let file = safe_join(out_dir, rel)?;
            let ext = file
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if !file.is_file() || media_type(&ext).is_none() {
                report.missing += 1;
                continue;
            }
            illustrated.push(Illustrated {
                chapter: chapter.chapter.0,
                key: chapter.key.0.clone(),
                scene: scene.clone(),
                file,
                ext,
            });
        }
    }
    Ok(State {
        chapters,
        catalogue,
        illustrated,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Joins a relative path from the state files to the output folder, refusing `..` and absolute
/// paths so a hand-edited JSON cannot make us read or copy files from elsewhere.
pub(crate) fn safe_join(out_dir: &Path, rel: &str) -> Result<PathBuf, Error> {
    let rel_path = Path::new(rel);
    let ok = rel_path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !ok || rel.is_empty() {
        return Err(Error::UnsafePath {
            path: rel_path.to_path_buf(),
        });
    }
    Ok(out_dir.join(rel_path))
}

/// The media type for an accepted image extension.
pub(crate) fn media_type(ext: &str) -> Option<&'static str> {
    match ext {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The `<figure>` inserted after a paragraph, as XHTML.
pub(crate) fn figure_xhtml(src: &str, scene: &Scene) -> String {
    format!(
        "<figure class=\"imaginize\"><img src=\"{}\" alt=\"{}\"/><figcaption>{}</figcaption></figure>",
        escape(src),
        escape(&scene.description),
        escape(&scene.quote)
    )
}
