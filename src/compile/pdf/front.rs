//! The pages before the pictures: the title page, the contents (chapters with their page
//! numbers) and the cast (each element's name, kind and description, with its portrait when
//! one was drawn).

use super::Mark;
use super::caption::Caption;
use super::flow::{Flow, Style};
use super::font::Fonts;
use super::options::CaptionStyle;
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

/// The cast pages; `portraits[i]` is the portrait of `elements[i]`, if any.
pub fn cast(
    fonts: &Fonts,
    sheet: Sheet,
    elements: &[Element],
    portraits: &[Option<Loaded>],
) -> Vec<Page> {
    let mut flow = Flow::new(fonts, sheet);
    flow.new_page();
    flow.paragraph("Cast", Style::HEADING);
    for (i, element) in elements.iter().enumerate() {
        flow.paragraph(
            &element.name,
            Style {
                size: 14.0,
                before: 14.0,
                ..Style::BODY
            },
        );
        let kind = format!("{:?}", element.kind).to_lowercase();
        flow.paragraph(
            &kind,
            Style {
                size: 9.0,
                grey: 100,
                before: 0.0,
                ..Style::BODY
            },
        );
        if let Some(Some(portrait)) = portraits.get(i) {
            let none = Caption {
                text: "",
                style: CaptionStyle::None,
                size: 9.0,
                max_lines: 0,
            };
            flow.figure(
                portrait.image,
                portrait.size,
                sheet.content().h / 5.0,
                &none,
            );
        }
        if !element.description.is_empty() {
            flow.paragraph(&element.description, Style::BODY);
        }
    }
    flow.into_pages()
}

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
