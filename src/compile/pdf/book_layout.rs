//! The `book` layout: every story chapter's text on its own pages, each picture after the
//! paragraph that holds its quote (as in the illustrated EPUB), pictures whose quote is not
//! found at the chapter's start.

use super::caption::Caption;
use super::flow::{Flow, Style};
use super::font::Fonts;
use super::options::CaptionStyle;
use super::page::{Page, Sheet};
use super::{Figure, Mark};
use crate::book::Book;
use crate::compile::placement::find_paragraph;

/// The chapters' pages and where each chapter starts; `unplaced` counts pictures put at the
/// start of their chapter because their quote was not found.
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
    let max_h = sheet.content().h * 0.55;
    for (i, chapter) in book.story_chapters().enumerate() {
        let n = chapter.number.map(|c| c.0).unwrap_or(i as u32 + 1);
        flow.new_page();
        marks.push(Mark {
            title: chapter.title.clone(),
            page: flow.page_index(),
        });
        flow.paragraph(&chapter.title, Style::HEADING);
        flow.skip(12.0);
        let paragraphs: Vec<&str> = chapter
            .text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut after: Vec<Vec<&Figure>> = vec![Vec::new(); paragraphs.len() + 1];
        for figure in figures.iter().filter(|f| f.chapter == n) {
            let slot = match find_paragraph(&paragraphs, &figure.quote) {
                Some(p) => p + 1,
                None => {
                    *unplaced += 1;
                    0
                }
            };
            after[slot].push(figure);
        }
        let place = |flow: &mut Flow, slot: &[&Figure]| {
            for figure in slot {
                let caption = Caption {
                    text: &figure.quote,
                    style,
                    size: 9.0,
                    max_lines: 6,
                };
                flow.figure(figure.image, figure.size, max_h, &caption);
            }
        };
        place(&mut flow, &after[0]);
        for (p, text) in paragraphs.iter().enumerate() {
            flow.paragraph(text, Style::BODY);
            place(&mut flow, &after[p + 1]);
        }
    }
    (flow.into_pages(), marks)
}
