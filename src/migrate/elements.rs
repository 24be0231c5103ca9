//! The old `elements[]` catalogue → `elements.json` ([`Catalogue`]). The old quotes carry pages,
//! not chapters; a quote is placed in the chapter whose `toc` page range holds its page, and a
//! quote that cannot be placed is put in the element's first known chapter.

use crate::analyze::model::{Catalogue, Element, ElementQuote};
use crate::ids::ChapterNo;
use crate::migrate::old_state::OldState;
use crate::provider::ElementKind;

/// The most quotes an element keeps (as the analysis does); the rest stay in the backup.
const MAX_QUOTES: usize = 3;

/// The converted catalogue, or `None` if the old file had none. Notes say what was skipped.
pub(crate) fn convert(old: &OldState, notes: &mut Vec<String>) -> Option<Catalogue> {
    if old.elements.is_empty() {
        return None;
    }
    let first_chapter = old.chapter_numbers().first().copied().unwrap_or(1);
    let chapter_of = |page: Option<u32>| {
        let page = page?;
        old.pages
            .iter()
            .find(|(_, (first, last))| (*first..=*last).contains(&page))
            .map(|(no, _)| ChapterNo(*no))
    };
    let mut elements = Vec::new();
    for e in &old.elements {
        let kind = match e.kind.to_lowercase().as_str() {
            "character" => ElementKind::Character,
            "creature" => ElementKind::Creature,
            "place" => ElementKind::Place,
            "item" | "object" => ElementKind::Item,
            other => {
                notes.push(format!(
                    "element `{}` has type `{other}`, which imaginize does not know; it is left out of elements.json (it is still in the backup)",
                    e.name
                ));
                continue;
            }
        };
        let placed: Vec<Option<ChapterNo>> = e.quotes.iter().map(|(_, p)| chapter_of(*p)).collect();
        let first = placed
            .iter()
            .flatten()
            .min()
            .copied()
            .unwrap_or(ChapterNo(first_chapter));
        let mut chapters: Vec<ChapterNo> = placed.iter().map(|c| c.unwrap_or(first)).collect();
        chapters.push(first);
        chapters.sort_unstable();
        chapters.dedup();
        let quotes = e
            .quotes
            .iter()
            .zip(&placed)
            .take(MAX_QUOTES)
            .map(|((text, _), chapter)| ElementQuote {
                chapter: chapter.unwrap_or(first),
                text: text.clone(),
            })
            .collect();
        elements.push(Element {
            name: e.name.clone(),
            kind,
            aliases: e.aliases.clone(),
            description: e.description.clone(),
            quotes,
            first_chapter: first,
            chapters,
            appearance: String::new(),
            details: Vec::new(),
        });
    }
    Some(Catalogue {
        title: old.book_title.clone(),
        elements,
        partial_from: Vec::new(),
    })
}
