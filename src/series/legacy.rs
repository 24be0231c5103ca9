//! The old tool's series files, read once and converted: `.imaginize.series.json` (name, books
//! with id, title, path and order) and `.series-elements-memory.json` (entities with a base
//! description, first appearance and enrichments, each with its source book and chapter).

use super::{Error, SeriesBook, SeriesFile, new_file, read_json};
use crate::analyze::model::Detail;
use crate::ids::ChapterNo;
use crate::provider::ElementKind;
use crate::series::cast::{SeriesCast, SeriesElement};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const OLD_SERIES: &str = ".imaginize.series.json";
pub const OLD_MEMORY: &str = ".series-elements-memory.json";

pub fn exists(dir: &Path) -> bool {
    dir.join(OLD_SERIES).exists()
}

#[derive(Deserialize)]
struct OldSeries {
    #[serde(default)]
    name: String,
    #[serde(default)]
    books: Vec<OldBook>,
}

#[derive(Deserialize)]
struct OldBook {
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    order: u32,
}

#[derive(Deserialize)]
struct OldMemory {
    #[serde(default)]
    entities: BTreeMap<String, OldEntity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OldEntity {
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    base_description: String,
    first_appearance: Option<OldPlace>,
    #[serde(default)]
    enrichments: Vec<OldEnrichment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OldPlace {
    #[serde(default)]
    book_id: String,
    #[serde(default)]
    book_title: Option<String>,
    #[serde(default)]
    chapter: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OldEnrichment {
    detail: String,
    #[serde(default)]
    source_book: String,
    #[serde(default)]
    source_chapter: u32,
}

/// The old files in `dir` as a series, when there are any.
pub fn read(dir: &Path) -> Result<Option<(SeriesFile, SeriesCast)>, Error> {
    let Some(old) = read_json::<OldSeries>(&dir.join(OLD_SERIES))? else {
        return Ok(None);
    };
    let titles: BTreeMap<String, String> = old
        .books
        .iter()
        .map(|b| (b.id.clone(), b.title.clone()))
        .collect();
    let mut file = new_file(&old.name);
    file.books = old
        .books
        .iter()
        .enumerate()
        .map(|(i, b)| SeriesBook {
            // The old tool named books, it did not hash them: the id stays until the book is
            // added again by its file.
            id: b.id.clone(),
            title: b.title.clone(),
            path: dir.join(&b.path),
            order: if b.order > 0 { b.order } else { i as u32 + 1 },
        })
        .collect();
    let memory = read_json::<OldMemory>(&dir.join(OLD_MEMORY))?;
    let cast = SeriesCast {
        elements: memory
            .map(|m| {
                m.entities
                    .into_values()
                    .filter_map(|e| convert(e, &titles))
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(Some((file, cast)))
}

fn convert(old: OldEntity, titles: &BTreeMap<String, String>) -> Option<SeriesElement> {
    let kind = match old.kind.as_str() {
        "character" => ElementKind::Character,
        "creature" => ElementKind::Creature,
        "place" | "location" | "setting" => ElementKind::Place,
        "item" | "object" => ElementKind::Item,
        _ => return None,
    };
    let title = |id: &str| titles.get(id).cloned().unwrap_or_else(|| id.to_string());
    let first = old.first_appearance;
    let first_book = first
        .as_ref()
        .map(|f| f.book_title.clone().unwrap_or_else(|| title(&f.book_id)))
        .unwrap_or_default();
    let details = old
        .enrichments
        .into_iter()
        .map(|e| Detail {
            text: e.detail,
            book: title(&e.source_book),
            chapter: ChapterNo(e.source_chapter.max(1)),
        })
        .collect();
    Some(SeriesElement {
        name: old.name,
        kind,
        aliases: Vec::new(),
        description: old.base_description,
        appearance: String::new(),
        books: vec![first_book.clone()],
        first_book,
        first_chapter: ChapterNo(first.map_or(1, |f| f.chapter.max(1))),
        details,
        portrait: None,
    })
}
