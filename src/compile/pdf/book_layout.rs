//! The `book` layout: every story chapter's text on its own pages, each picture after the
//! paragraph that holds its quote (as in the illustrated EPUB), pictures whose quote is not
//! found at the chapter's start, and pictures of chapters the book no longer has at the end.

use super::caption::Caption;
use super::flow::{Flow, Style};
use super::font::Fonts;
use super::options::CaptionStyle;
use super::page::{Page, Sheet};
use super::{Figure, Mark};
use crate::book::Book;
use crate::compile::placement::{self, find_paragraph};
use std::collections::BTreeSet;

/// Heading of the closing section for pictures whose chapter is not in the book (a state made
/// from another edition, say): every picture of the run appears somewhere.
const OTHER_SCENES: &str = "More scenes";

/// The chapters' pages and where each chapter starts; `unplaced` counts pictures put at the
/// start of their chapter, or in the closing section, because their quote was not found.
pub fn lay_out(
    fonts: &Fonts,
    sheet: Sheet,
    book: &Book,
    figures: &[Figure],
    style: CaptionStyle,
    unplaced: &mut usize,
) -> (Vec<Page>, Vec<Mark>) {
    let mut flow = Flow::new(fonts, sheet);
    let mut marks = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, chapter) in book.story_chapters().enumerate() {
        let n = chapter.number.map(|c| c.0).unwrap_or(i as u32 + 1);
        seen.insert(n);
        marks.push(heading(&mut flow, &chapter.title));
        let paragraphs = placement::paragraphs(&chapter.text);
        let mut after: Vec<Vec<&Figure>> = vec![Vec::new(); paragraphs.len() + 1];
        for figure in figures.iter().filter(|f| f.chapter == n) {
            let slot = find_paragraph(&paragraphs, &figure.quote).map_or(0, |p| p + 1);
            *unplaced += usize::from(slot == 0);
            after[slot].push(figure);
        }
        place(&mut flow, sheet, &after[0], style);
        for (p, text) in paragraphs.iter().enumerate() {
            flow.paragraph(text, Style::BODY);
            place(&mut flow, sheet, &after[p + 1], style);
        }
    }
    let others: Vec<&Figure> = figures
        .iter()
        .filter(|f| !seen.contains(&f.chapter))
        .collect();
    if !others.is_empty() {
        *unplaced += others.len();
        marks.push(heading(&mut flow, OTHER_SCENES));
        place(&mut flow, sheet, &others, style);
    }
    (flow.into_pages(), marks)
}

/// Starts a chapter on a new page with its title.
fn heading(flow: &mut Flow, title: &str) -> Mark {
    flow.new_page();
    let mark = Mark {
        title: title.to_owned(),
        page: flow.page_index(),
    };
    flow.paragraph(title, Style::HEADING);
    flow.skip(12.0);
    mark
}

fn place(flow: &mut Flow, sheet: Sheet, figures: &[&Figure], style: CaptionStyle) {
    // A picture leaves room for some text on its page.
    let max_h = sheet.content().h * 0.55;
    for figure in figures {
        let caption = Caption {
            text: &figure.quote,
            style,
            size: 9.0,
            max_lines: 6,
        };
        flow.figure(figure.image, figure.size, max_h, &caption);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{Chapter, Format};
    use crate::ids::{ChapterKey, ChapterNo};

    fn book() -> Book {
        let chapter = Chapter {
            number: Some(ChapterNo(1)),
            key: ChapterKey("c1".to_owned()),
            title: "One".to_owned(),
            text: "First paragraph.\n\nThe lamp swung.\n\nLast paragraph.".to_owned(),
            word_count: 7,
            is_story: true,
        };
        Book {
            title: "T".to_owned(),
            author: None,
            language: None,
            format: Format::Text,
            chapters: vec![chapter],
            warnings: Vec::new(),
        }
    }

    fn figure(image: usize, chapter: u32, quote: &str) -> Figure {
        Figure {
            image,
            size: (10.0, 10.0),
            chapter,
            chapter_title: String::new(),
            quote: quote.to_owned(),
        }
    }

    #[test]
    fn pictures_follow_their_paragraph_and_none_is_lost() -> Result<(), crate::compile::Error> {
        let fonts = Fonts::load(None)?;
        let sheet = Sheet {
            width: 595.0,
            height: 842.0,
            margin: 48.0,
        };
        let figures = [
            figure(0, 1, "The lamp swung."),
            figure(1, 1, "not in the text"),
            figure(2, 9, "a chapter the book does not have"),
        ];
        let mut unplaced = 0;
        let (pages, marks) = lay_out(
            &fonts,
            sheet,
            &book(),
            &figures,
            CaptionStyle::Below,
            &mut unplaced,
        );
        assert_eq!(unplaced, 2);
        assert_eq!(pages.iter().map(Page::images).sum::<usize>(), 3);
        let titles: Vec<&str> = marks.iter().map(|m| m.title.as_str()).collect();
        assert_eq!(titles, ["One", OTHER_SCENES]);
        let text: Vec<String> = pages.iter().map(Page::text).collect();
        let text = text.join("\n");
        let lamp = text.find("The lamp swung.\nThe lamp swung.");
        assert!(lamp.is_some(), "caption right after its paragraph: {text}");
        assert!(
            text.find("not in the text") < text.find("First paragraph."),
            "{text}"
        );
        Ok(())
    }
}
