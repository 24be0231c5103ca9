//! The self-contained HTML gallery: `gallery/index.html` (chapters and their scenes),
//! `gallery/elements.html` (the cast) and `gallery/images/` copies. No script, no CDN.

use super::{Error, State, read_file};
use crate::book::Book;
use crate::ids::ChapterNo;
use crate::render::markup::escape;
use crate::store::atomic::write_creating_folder;
use crate::store::layout::{self, GALLERY_ELEMENTS, GALLERY_INDEX, IMAGES_DIR};
use std::path::{Path, PathBuf};

const CSS: &str = "body{font-family:Georgia,serif;max-width:72rem;margin:0 auto;padding:1rem;color:#222;background:#fafafa}\
header{border-bottom:1px solid #ccc;margin-bottom:1rem}nav a{margin-right:1rem}\
.scenes{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}\
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem}\
figure img{width:100%;height:auto;display:block}blockquote{font-style:italic;margin:.5rem 0}\
.elements{font-size:.9em;color:#555}.pending{padding:2rem;text-align:center;background:#eee;color:#666}dt{font-weight:bold;margin-top:1rem}\
img.portrait{max-width:12rem;height:auto;float:right;margin:0 0 .5rem 1rem}";

/// Writes the gallery under `out_dir/gallery` and returns the files written.
pub fn write(out_dir: &Path, book: &Book, state: &State) -> Result<Vec<PathBuf>, Error> {
    let dir = layout::gallery_dir(out_dir);
    let mut written = Vec::new();
    let mut sections = String::new();
    for chapter in state.chapters.iter().filter(|c| !c.scenes.is_empty()) {
        sections.push_str(&format!(
            "<section id=\"ch{}\"><h2>{}. {}</h2><div class=\"scenes\">\n",
            chapter.chapter.0,
            chapter.chapter.0,
            escape(&chapter.title)
        ));
        for s in &chapter.scenes {
            let item = state
                .illustrated
                .iter()
                .find(|i| i.chapter == chapter.chapter.0 && i.scene.scene == s.scene);
            // Every scene gets a figure, so a partial run shows what is still to come.
            let picture = match (item, &s.rejected) {
                (Some(item), _) => {
                    let name = layout::image_base_name(ChapterNo(item.chapter), s.scene, &item.ext);
                    let target = dir.join(IMAGES_DIR).join(&name);
                    write_creating_folder(&target, &read_file(&item.file)?)?;
                    written.push(target);
                    format!(
                        "<img src=\"{IMAGES_DIR}/{}\" alt=\"{}\"/>",
                        escape(&name),
                        escape(&s.description)
                    )
                }
                (None, Some(reason)) => {
                    format!("<p class=\"pending\">Not drawn: {}</p>", escape(reason))
                }
                (None, None) => "<p class=\"pending\">Not illustrated yet</p>".to_owned(),
            };
            sections.push_str(&format!(
                "<figure>{picture}<figcaption><blockquote>{}</blockquote><p>{}</p><p class=\"elements\">{}</p></figcaption></figure>\n",
                escape(&s.quote),
                escape(&s.description),
                escape(&s.elements.join(", "))
            ));
        }
        sections.push_str("</div></section>\n");
    }
    let index = dir.join(GALLERY_INDEX);
    write_creating_folder(&index, page(book, "Illustrations", &sections).as_bytes())?;
    written.push(index);
    let portraits = copy_portraits(out_dir, &dir, state, &mut written)?;
    let elements = dir.join(GALLERY_ELEMENTS);
    write_creating_folder(
        &elements,
        page(book, "Cast", &cast(state, &portraits)).as_bytes(),
    )?;
    written.push(elements);
    Ok(written)
}

/// The cast's reference portraits (`images/cast/<slug>.<ext>`) copied into the gallery, by
/// element name: the picture's path in the gallery.
fn copy_portraits(
    out_dir: &Path,
    dir: &Path,
    state: &State,
    written: &mut Vec<PathBuf>,
) -> Result<Vec<(String, String)>, Error> {
    let mut found = Vec::new();
    for e in &state.catalogue.elements {
        let slug = layout::element_slug(&e.name);
        for ext in ["png", "jpg", "webp"] {
            let relative = layout::portrait_file_name(&slug, ext);
            let source = out_dir.join(&relative);
            if source.is_file() {
                let target = dir.join(&relative);
                write_creating_folder(&target, &read_file(&source)?)?;
                written.push(target);
                found.push((e.name.clone(), relative));
                break;
            }
        }
    }
    Ok(found)
}

fn cast(state: &State, portraits: &[(String, String)]) -> String {
    let mut out = String::from("<dl>\n");
    for e in &state.catalogue.elements {
        let portrait = portraits
            .iter()
            .find(|(name, _)| *name == e.name)
            .map(|(_, src)| {
                format!(
                    "<img class=\"portrait\" src=\"{}\" alt=\"Portrait of {}\"/>",
                    escape(src),
                    escape(&e.name)
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "<dt>{} <small>({:?})</small></dt><dd>{portrait}<p>{}</p>",
            escape(&e.name),
            e.kind,
            escape(&e.description)
        ));
        for q in &e.quotes {
            out.push_str(&format!(
                "<blockquote>{} <small>(chapter {})</small></blockquote>",
                escape(&q.text),
                q.chapter.0
            ));
        }
        out.push_str("</dd>\n");
    }
    out.push_str("</dl>\n");
    out
}

fn page(book: &Book, heading: &str, body: &str) -> String {
    let author = book
        .author
        .as_deref()
        .map(|a| format!("<p>by {}</p>", escape(a)))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{} — {}</title><style>{CSS}</style></head>\n<body><header><h1>{}</h1>{author}<nav><a href=\"index.html\">Illustrations</a><a href=\"elements.html\">Cast</a></nav></header>\n<main><h2>{}</h2>\n{body}</main></body></html>\n",
        escape(book.language.as_deref().unwrap_or("en")),
        escape(&book.title),
        escape(heading),
        escape(&book.title),
        escape(heading)
    )
}
