//! The pages before the pictures: the title page, the contents (chapters with their page
//! numbers) and the cast (each element's name, kind and description, with its portrait when
//! one was drawn).

use super::Mark;
use super::flow::{Flow, Style};
use super::font::Fonts;
use super::page::{Op, Page, Sheet};
use super::pictures::Loaded;
use crate::analyze::model::Element;
use crate::book::Book;

/// The title and author, a third of the way down the first page.
pub fn title_page(fonts: &Fonts, sheet: Sheet, book: &Book) -> Page {
    let mut flow = Flow::new(fonts, sheet);
    flow.new_page();
    flow.skip(sheet.content().h / 3.0);
    flow.paragraph(
        &book.title,
        Style {
            size: 28.0,
            ..Style::HEADING
        },
    );
    if let Some(author) = &book.author {
        flow.paragraph(
            author,
            Style {
                size: 16.0,
                grey: 60,
                before: 16.0,
                ..Style::HEADING
            },
        );
    }
    flow.into_pages().into_iter().next().unwrap_or_default()
}

/// The contents: one line per entry, its page number (1-based, as printed) flush right.
pub fn contents(fonts: &Fonts, sheet: Sheet, entries: &[Mark]) -> Vec<Page> {
    let mut flow = Flow::new(fonts, sheet);
    flow.new_page();
    flow.paragraph("Contents", Style::HEADING);
    flow.skip(12.0);
    for entry in entries {
        flow.entry(
            &entry.title,
            &(entry.page + 1).to_string(),
            Style {
                before: 3.0,
                ..Style::BODY
            },
            entry.page,
        );
    }
    flow.into_pages()
}

/// The cast pages; `portraits[i]` is the portrait of `elements[i]`, if any, set at the left of
/// its entry.
pub fn cast(
    fonts: &Fonts,
    sheet: Sheet,
    elements: &[Element],
    portraits: &[Option<Loaded>],
) -> Vec<Page> {
    let name = Style {
        size: 14.0,
        before: 14.0,
        ..Style::BODY
    };
    let kind = Style {
        size: 9.0,
        grey: 100,
        before: 0.0,
        ..Style::BODY
    };
    let mut flow = Flow::new(fonts, sheet);
    flow.new_page();
    flow.paragraph("Cast", Style::HEADING);
    for (i, element) in elements.iter().enumerate() {
        let kind_text = format!("{:?}", element.kind).to_lowercase();
        let texts = [
            (element.name.as_str(), name),
            (kind_text.as_str(), kind),
            (element.description.as_str(), Style::BODY),
        ];
        match portraits.get(i).copied().flatten() {
            Some(portrait) => {
                flow.skip(name.before);
                flow.beside(portrait.image, portrait.size, PORTRAIT_WIDTH, &texts);
            }
            None => {
                for (text, style) in texts {
                    flow.paragraph(text, style);
                }
            }
        }
    }
    flow.into_pages()
}

/// Width of a cast portrait, in points (about 3 cm).
const PORTRAIT_WIDTH: f32 = 84.0;

/// Adds the page number at the foot of every page but the title page.
pub fn number_pages(fonts: &Fonts, sheet: Sheet, pages: &mut [Page]) {
    let size = 9.0;
    for (i, page) in pages.iter_mut().enumerate().skip(1) {
        let text = (i + 1).to_string();
        let x = (sheet.width - fonts.width(&text, size)) / 2.0;
        let y = sheet.height - sheet.margin / 2.0;
        page.ops.push(Op::Text {
            x,
            y,
            size,
            grey: 90,
            text,
        });
    }
}
