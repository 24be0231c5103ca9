//! The illustrated PDF (`compile --pdf`): a title page, contents, cast, then either the book's
//! text with its pictures (`book` layout) or a picture book of the scenes (grid layouts).
//! Layout is pure (pages of positioned operations, see `page`); `render` turns them into PDF
//! with krilla.

mod book_layout;
mod caption;
mod flow;
mod font;
mod front;
mod grid;
mod options;
mod page;
mod pictures;
mod render;
mod wrap;

pub use options::{CaptionStyle, Layout, PageSize, PdfOptions};

use super::{CompileReport, Error, State};
use crate::book::Book;
use font::Fonts;
use page::{Page, Sheet};
use pictures::{Loaded, Pictures};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A scene picture to place.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// Index into the loaded pictures.
    pub image: usize,
    /// Size in pixels; only the proportions matter.
    pub size: (f32, f32),
    pub chapter: u32,
    pub chapter_title: String,
    pub quote: String,
}

/// A titled place in the document: a contents line and an outline entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mark {
    pub title: String,
    /// Page index (0-based) in the part being laid out, then in the whole document.
    pub page: usize,
}

/// The PDF's bytes for `book` and the output folder's `state`.
pub(crate) fn build(
    out_dir: &Path,
    book: &Book,
    state: &State,
    options: &PdfOptions,
    report: &mut CompileReport,
) -> Result<Vec<u8>, Error> {
    let fonts = Fonts::load(options.font.as_deref())?;
    let sheet = sheet(options);
    let mut pictures = Pictures::default();
    let figures = figures(state, &mut pictures, report)?;
    let (body, marks) = match options.layout {
        Layout::Book => {
            // The EPUB may already have counted the same unplaced quotes.
            let mut unplaced = 0;
            let laid = book_layout::lay_out(
                &fonts,
                sheet,
                book,
                &figures,
                options.caption,
                &mut unplaced,
            );
            report.unplaced = report.unplaced.max(unplaced);
            laid
        }
        Layout::Grid { cols, rows } => {
            grid::lay_out(&fonts, sheet, (cols, rows), &figures, options.caption)
        }
    };
    // An empty catalogue (no elements.json yet) would only give a lone heading.
    let cast = if options.cast && !state.catalogue.elements.is_empty() {
        let portraits = portraits(out_dir, state, &mut pictures)?;
        front::cast(&fonts, sheet, &state.catalogue.elements, &portraits)
    } else {
        Vec::new()
    };
    let (pages, outline) = assemble(&fonts, sheet, book, options.toc, cast, (body, marks));
    render::write(&render::Content {
        book,
        fonts: &fonts,
        sheet,
        pages: &pages,
        pictures: &pictures,
        outline: &outline,
    })
}

/// The paper and margins for the options; wide grids turn the paper.
fn sheet(options: &PdfOptions) -> Sheet {
    let (w, h) = options.page_size.points();
    let (width, height) = if options.layout.landscape() {
        (h, w)
    } else {
        (w, h)
    };
    Sheet {
        width,
        height,
        margin: width.min(height) * 0.08,
    }
}

/// Loads every drawn scene picture, in reading order.
fn figures(
    state: &State,
    pictures: &mut Pictures,
    report: &mut CompileReport,
) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    for item in &state.illustrated {
        let Some(Loaded { image, size }) = pictures.add(&item.file, &item.ext)? else {
            report.undecodable += 1;
            continue;
        };
        let title = state
            .chapters
            .iter()
            .find(|c| c.chapter.0 == item.chapter)
            .map(|c| c.title.clone())
            .unwrap_or_else(|| format!("Chapter {}", item.chapter));
        figures.push(Figure {
            image,
            size,
            chapter: item.chapter,
            chapter_title: title,
            quote: item.scene.quote.clone(),
        });
    }
    Ok(figures)
}

/// The portrait of each cast member: `images/cast/<slug>.png`, where the file's stem is
/// compared by its own slug, so `mr_darcy.png` and `Mr-Darcy.png` both name Mr. Darcy's.
fn portraits(
    out_dir: &Path,
    state: &State,
    pictures: &mut Pictures,
) -> Result<Vec<Option<Loaded>>, Error> {
    let files = cast_files(&crate::store::layout::cast_dir(out_dir))?;
    let mut found = Vec::new();
    for element in &state.catalogue.elements {
        let portrait = match files.get(&slug(&element.name)) {
            Some(file) => pictures.add(file, "png")?,
            None => None,
        };
        found.push(portrait);
    }
    Ok(found)
}

/// The PNG files of the cast folder by the slug of their stem; none when there is no folder.
fn cast_files(dir: &Path) -> Result<BTreeMap<String, PathBuf>, Error> {
    let mut files = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(files);
    };
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if let (true, Some(stem)) = (png, path.file_stem()) {
            files.insert(slug(&stem.to_string_lossy()), path.clone());
        }
    }
    Ok(files)
}

/// An element's file name: lowercase letters and digits, other runs as one `-`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Title page, contents, cast and body in order, page numbers added, and the outline with
/// document-wide page indices.
fn assemble(
    fonts: &Fonts,
    sheet: Sheet,
    book: &Book,
    toc: bool,
    cast: Vec<Page>,
    (body, marks): (Vec<Page>, Vec<Mark>),
) -> (Vec<Page>, Vec<Mark>) {
    let entries = |toc_pages: usize| -> Vec<Mark> {
        let body_start = 1 + toc_pages + cast.len();
        let cast_entry = (!cast.is_empty()).then(|| Mark {
            title: "Cast".to_owned(),
            page: 1 + toc_pages,
        });
        let chapters = marks.iter().map(|m| Mark {
            title: m.title.clone(),
            page: m.page + body_start,
        });
        cast_entry.into_iter().chain(chapters).collect()
    };
    // Page numbers only shift the entries, never add lines, so a first pass with the
    // contents counted as absent tells how many pages the contents take.
    // Nothing to list (no chapters, no cast): no contents page.
    let toc = toc && !(marks.is_empty() && cast.is_empty());
    let toc_pages = if toc {
        front::contents(fonts, sheet, &entries(0)).len()
    } else {
        0
    };
    let outline = entries(toc_pages);
    let mut pages = vec![front::title_page(fonts, sheet, book)];
    if toc {
        pages.extend(front::contents(fonts, sheet, &outline));
    }
    pages.extend(cast);
    pages.extend(body);
    front::number_pages(fonts, sheet, &mut pages);
    (pages, outline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_book() -> Book {
        Book {
            title: "T".to_owned(),
            author: None,
            language: None,
            format: crate::book::Format::Text,
            chapters: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn page_with(text: &str) -> Page {
        Page {
            ops: vec![page::Op::Text {
                x: 0.0,
                y: 0.0,
                size: 10.0,
                grey: 0,
                text: text.to_owned(),
            }],
        }
    }

    #[test]
    fn contents_and_outline_point_at_the_pages_they_name() -> Result<(), Error> {
        let fonts = Fonts::load(None)?;
        let sheet = sheet(&PdfOptions::default());
        let book = empty_book();
        let body = vec![page_with("Part 1"), page_with("more"), page_with("Part 2")];
        let marks = vec![
            Mark {
                title: "Part 1".to_owned(),
                page: 0,
            },
            Mark {
                title: "Part 2".to_owned(),
                page: 2,
            },
        ];
        let cast = vec![page_with("Cast")];
        let (pages, outline) = assemble(&fonts, sheet, &book, true, cast, (body, marks));
        assert_eq!(pages.len(), 6, "title, contents, cast, three body pages");
        for mark in &outline {
            assert!(pages[mark.page].text().starts_with(&mark.title), "{mark:?}");
        }
        let links: Vec<usize> = pages[1]
            .ops
            .iter()
            .filter_map(|op| match op {
                page::Op::Link { page, .. } => Some(*page),
                _ => None,
            })
            .collect();
        assert_eq!(links, [2, 3, 5]);
        assert!(pages[1].text().contains("Part 2\n6"), "{}", pages[1].text());
        assert!(pages[5].text().ends_with("\n6"), "page number at the foot");
        Ok(())
    }

    #[test]
    fn nothing_to_list_means_no_contents_page() -> Result<(), Error> {
        let fonts = Fonts::load(None)?;
        let sheet = sheet(&PdfOptions::default());
        let book = empty_book();
        let (pages, outline) = assemble(
            &fonts,
            sheet,
            &book,
            true,
            Vec::new(),
            (Vec::new(), Vec::new()),
        );
        assert_eq!((pages.len(), outline.len()), (1, 0), "the title page alone");
        Ok(())
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(slug("Mr. Darcy"), "mr-darcy");
        assert_eq!(slug("  Élise  O'Brien!"), "élise-o-brien");
    }
}
