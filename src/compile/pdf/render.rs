//! Replays the laid-out pages into a PDF with krilla: embedded, subset font; title, author,
//! language and date in the metadata; an outline of the chapters; PDF/A-2b when the content
//! allows it.

use super::Mark;
use super::font::Fonts;
use super::page::{Area, Op, Page, Sheet};
use super::pictures::Pictures;
use crate::book::Book;
use crate::compile::Error;
use chrono::{Datelike, Timelike};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::luma;
use krilla::configure::{Configuration, Validator};
use krilla::destination::{Destination, XyzDestination};
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::TextDirection;
use krilla::{Document, SerializeSettings};

/// What the document is drawn from.
pub struct Content<'a> {
    pub book: &'a Book,
    pub fonts: &'a Fonts,
    pub sheet: Sheet,
    pub pages: &'a [Page],
    pub pictures: &'a Pictures,
    /// Outline entries (page indices into `pages`).
    pub outline: &'a [Mark],
}

/// The PDF's bytes: PDF/A-2b, or plain PDF 1.7 when the content cannot be PDF/A (a configured
/// font whose licence forbids embedding, say).
pub fn write(content: &Content) -> Result<Vec<u8>, Error> {
    match draw(content, Validator::A2_B) {
        Err(KrillaError::Validation(_)) => {
            draw(content, Validator::None).map_err(|e| error(content, e))
        }
        other => other.map_err(|e| error(content, e)),
    }
}

fn draw(content: &Content, validator: Validator) -> Result<Vec<u8>, KrillaError> {
    let settings = SerializeSettings {
        configuration: Configuration::new_with_validator(validator),
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(metadata(content.book));
    document.set_outline(outline(content.outline));
    let (w, h) = (content.sheet.width, content.sheet.height);
    for page in content.pages {
        let Some(settings) = PageSettings::from_wh(w, h) else {
            continue;
        };
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        for op in &page.ops {
            draw_op(&mut surface, content, op);
        }
        surface.finish();
        // Annotations belong to the page, which the surface borrows until it is finished.
        for op in &page.ops {
            if let Op::Link { area, page } = op
                && let Some(link) = link(*area, *page)
            {
                pdf_page.add_annotation(link);
            }
        }
        pdf_page.finish();
    }
    document.finish()
}

fn draw_op(surface: &mut Surface, content: &Content, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            grey,
            text,
        } => {
            surface.set_fill(Some(fill(*grey, NormalizedF32::ONE)));
            let font = content.fonts.pdf.clone();
            surface.draw_text(
                Point::from_xy(*x, *y),
                font,
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Image { image, area } => {
            let (Some(image), Some(size)) =
                (content.pictures.get(*image), Size::from_wh(area.w, area.h))
            else {
                return;
            };
            surface.push_transform(&Transform::from_translate(area.x, area.y));
            surface.draw_image(image.clone(), size);
            surface.pop();
        }
        Op::Link { .. } => {}
        Op::Band { area } => {
            let Some(path) = rect_path(*area) else { return };
            let opacity = NormalizedF32::new(0.8).unwrap_or(NormalizedF32::ONE);
            surface.set_fill(Some(fill(255, opacity)));
            surface.draw_path(&path);
        }
    }
}

fn link(area: Area, page: usize) -> Option<Annotation> {
    let rect = Rect::from_xywh(area.x, area.y, area.w, area.h)?;
    let target = XyzDestination::new(page, Point::from_xy(0.0, 0.0));
    let link = LinkAnnotation::new(rect, Target::Destination(Destination::Xyz(target)));
    Some(Annotation::new_link(link, None))
}

fn fill(grey: u8, opacity: NormalizedF32) -> Fill {
    Fill {
        paint: luma::Color::new(grey).into(),
        opacity,
        rule: Default::default(),
    }
}

fn rect_path(area: Area) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    builder.push_rect(Rect::from_xywh(area.x, area.y, area.w, area.h)?);
    builder.finish()
}

fn metadata(book: &Book) -> Metadata {
    let now = chrono::Utc::now();
    // Every component fits: years before 65536, months, days and times in range.
    let date = DateTime::new(u16::try_from(now.year()).unwrap_or(2026))
        .month(now.month() as u8)
        .day(now.day() as u8)
        .hour(now.hour() as u8)
        .minute(now.minute() as u8)
        .second(now.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    let mut m = Metadata::new()
        .title(book.title.clone())
        .language(book.language.clone().unwrap_or_else(|| "en".to_owned()))
        .creator("imaginize".to_owned())
        .creation_date(date);
    if let Some(author) = &book.author {
        m = m.authors(vec![author.clone()]);
    }
    m
}

fn outline(marks: &[Mark]) -> Outline {
    let mut outline = Outline::new();
    for mark in marks {
        let dest = XyzDestination::new(mark.page, Point::from_xy(0.0, 0.0));
        outline.push_child(OutlineNode::new(mark.title.clone(), dest));
    }
    outline
}

fn error(content: &Content, err: KrillaError) -> Error {
    match err {
        KrillaError::Image(image, _, reason) => Error::Image {
            path: content
                .pictures
                .file_of(&image)
                .map(Into::into)
                .unwrap_or_default(),
            reason,
        },
        KrillaError::Font(_, reason) => Error::Pdf { reason },
        other => Error::Pdf {
            reason: format!("{other:?}"),
        },
    }
}
