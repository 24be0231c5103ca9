//! The series' shared cast (`cast.json`) and the two ways it meets a book's cast: `join` (a
//! book's merged cast takes the series' names, descriptions and cards for its returning
//! elements) and `record` (the book's cast, after its cards are made, goes back into the series).

use crate::analyze::model::{Catalogue, Detail, Element};
use crate::analyze::names::normalise;
use crate::ids::ChapterNo;
use crate::provider::ElementKind;
use serde::{Deserialize, Serialize};

/// `cast.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SeriesCast {
    #[serde(default)]
    pub elements: Vec<SeriesElement>,
}

/// One element of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesElement {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ElementKind,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The description from the book it first appeared in; later books add details instead.
    #[serde(default)]
    pub description: String,
    /// The appearance card every book's prompts carry verbatim.
    #[serde(default)]
    pub appearance: String,
    /// The book (title) and chapter it first appeared in.
    pub first_book: String,
    pub first_chapter: ChapterNo,
    /// What later books (and the first) added, with book and chapter.
    #[serde(default)]
    pub details: Vec<Detail>,
    /// The books it appears in, by title, in the order they were recorded.
    #[serde(default)]
    pub books: Vec<String>,
    /// Its reference portrait's file name under `portraits/`, once one was drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portrait: Option<String>,
}

impl SeriesElement {
    /// Whether `element` (of some book) is this one: the same kind and a shared name or alias.
    fn is(&self, element: &Element) -> bool {
        if self.kind != element.kind {
            return false;
        }
        let ours = names(&self.name, &self.aliases);
        let theirs = names(&element.name, &element.aliases);
        ours.iter().any(|n| theirs.contains(n))
    }
}

fn names(name: &str, aliases: &[String]) -> Vec<String> {
    std::iter::once(name)
        .chain(aliases.iter().map(String::as_str))
        .map(normalise)
        .filter(|n| !n.is_empty())
        .collect()
}

/// What `join` did: the names of the returning elements.
#[derive(Debug, Default, PartialEq)]
pub struct Joined {
    pub returning: Vec<String>,
}

/// Gives each element of `catalogue` that the series already knows the series' name,
/// description and card (so no new card is asked for), its details from the earlier books and,
/// when this book describes it differently, this book's description as a new detail.
pub fn join(cast: &SeriesCast, catalogue: &mut Catalogue, book: &str) -> Joined {
    let mut joined = Joined::default();
    for element in &mut catalogue.elements {
        let Some(known) = cast.elements.iter().find(|s| s.is(element)) else {
            continue;
        };
        let own = own_detail(element, known, book);
        let mut aliases = known.aliases.clone();
        for alias in std::iter::once(&element.name).chain(&element.aliases) {
            if alias != &known.name && !aliases.contains(alias) {
                aliases.push(alias.clone());
            }
        }
        element.name.clone_from(&known.name);
        element.aliases = aliases;
        element.description.clone_from(&known.description);
        if !known.appearance.is_empty() {
            element.appearance.clone_from(&known.appearance);
        }
        element.details = known.details.clone();
        element.details.extend(own);
        joined.returning.push(element.name.clone());
    }
    fold_duplicates(catalogue);
    joined.returning.dedup();
    joined
}

/// Two elements of the book that are one element of the series (a name and a nickname the book
/// kept apart) become one: the first, with the second's chapters, quotes and details.
fn fold_duplicates(catalogue: &mut Catalogue) {
    let mut kept: Vec<Element> = Vec::with_capacity(catalogue.elements.len());
    for element in catalogue.elements.drain(..) {
        match kept
            .iter_mut()
            .find(|k| k.name == element.name && k.kind == element.kind)
        {
            Some(first) => {
                first.chapters.extend(&element.chapters);
                first.chapters.sort();
                first.chapters.dedup();
                first.first_chapter = first.first_chapter.min(element.first_chapter);
                first.quotes.extend(element.quotes);
                for detail in element.details {
                    if !first.details.contains(&detail) {
                        first.details.push(detail);
                    }
                }
            }
            None => kept.push(element),
        }
    }
    catalogue.elements = kept;
}

/// This book's description of a returning element, when it says something the series has not.
fn own_detail(element: &Element, known: &SeriesElement, book: &str) -> Option<Detail> {
    let text = element.description.trim();
    let said = |t: &str| t.trim() == text;
    if text.is_empty() || said(&known.description) || known.details.iter().any(|d| said(&d.text)) {
        return None;
    }
    Some(Detail {
        text: text.to_string(),
        book: book.to_string(),
        chapter: element.first_chapter,
    })
}

/// Records `catalogue` (a book's cast, joined and with its cards) into the series: new elements
/// are added, returning ones gain this book's details, aliases and card when they had none.
pub fn record(cast: &mut SeriesCast, catalogue: &Catalogue, book: &str) {
    for element in &catalogue.elements {
        match cast.elements.iter_mut().find(|s| s.is(element)) {
            Some(known) => update(known, element, book),
            None => cast.elements.push(new_element(element, book)),
        }
    }
}

fn update(known: &mut SeriesElement, element: &Element, book: &str) {
    for detail in &element.details {
        if !known.details.contains(detail) {
            known.details.push(detail.clone());
        }
    }
    for alias in &element.aliases {
        if alias != &known.name && !known.aliases.contains(alias) {
            known.aliases.push(alias.clone());
        }
    }
    if known.appearance.is_empty() {
        known.appearance.clone_from(&element.appearance);
    }
    if !known.books.iter().any(|b| b == book) {
        known.books.push(book.to_string());
    }
}

fn new_element(element: &Element, book: &str) -> SeriesElement {
    SeriesElement {
        name: element.name.clone(),
        kind: element.kind,
        aliases: element.aliases.clone(),
        description: element.description.clone(),
        appearance: element.appearance.clone(),
        first_book: book.to_string(),
        first_chapter: element.first_chapter,
        details: element.details.clone(),
        books: vec![book.to_string()],
        portrait: None,
    }
}
