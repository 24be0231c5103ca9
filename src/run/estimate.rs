//! `--estimate`: what a run would cost and how long it would take, from the book and the
//! configured provider alone. Never calls a model.

use crate::analyze::cards::wants_card;
use crate::analyze::entities_json::entities_from_value;
use crate::analyze::merge::merge;
use crate::analyze::quotes::ChapterText;
use crate::analyze::scenes::scene_budget;
use crate::book::Book;
use crate::config::Options;
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::provider::estimate::{EstimateInput, IMAGE_LATENCY, TEXT_LATENCY, estimate};
use crate::provider::{CARDS_PER_REQUEST, ProviderKind};
use crate::report::Reporter;
use std::collections::BTreeMap;

pub fn print(
    book: &Book,
    selected: &[ChapterNo],
    options: &Options,
    reporter: &Reporter,
) -> Result<(), Error> {
    let chapters: Vec<&crate::book::Chapter> =
        selected.iter().filter_map(|no| book.chapter(*no)).collect();
    let scenes: usize = chapters
        .iter()
        .map(|c| {
            scene_budget(
                c.word_count,
                options.words_per_page,
                options.pages_per_image,
                options.limit,
            )
        })
        .sum();
    let provider = &options.provider;
    let (cards, portrayed) = expected_cast(&chapters);
    let portraits = portrayed.min(options.portraits) as u64;
    // The builtin analyzer makes every card in one request; a remote model in batches.
    let cards_per_request = match provider.kind {
        ProviderKind::Builtin => cards.max(1),
        _ => CARDS_PER_REQUEST as u64,
    };
    let input = EstimateInput {
        chapters: chapters.iter().map(|c| c.text.clone()).collect(),
        scenes_per_chapter: scenes.div_ceil(chapters.len().max(1)),
        style_calls: u64::from(options.style.as_ref().is_none_or(|s| s.is_empty())),
        cards,
        cards_per_request,
        portraits,
        text_model: provider.text.model.clone(),
        image_model: provider.image.model.clone(),
        prices: options.price_table(),
        jobs: provider.jobs,
        image_jobs: provider.image_jobs,
        text_latency: TEXT_LATENCY,
        image_latency: IMAGE_LATENCY,
    };
    let figures = estimate(&input);
    reporter.output(&format!(
        "Estimate for {} ({} / {}), no calls made:\n{figures}",
        book.title, input.text_model, input.image_model
    ));
    Ok(())
}

/// The elements likely to get an appearance card and those that may get a portrait: the cast
/// the offline analyzer finds and merges as pass 1 would (no model is called), its characters,
/// creatures and recurring places, and its characters and creatures. A model usually finds a
/// somewhat different cast; this is its order of magnitude.
fn expected_cast(chapters: &[&crate::book::Chapter]) -> (u64, usize) {
    let mut found = Vec::new();
    let mut texts = BTreeMap::new();
    for chapter in chapters {
        let Some(number) = chapter.number else {
            continue;
        };
        let value = crate::provider::builtin::entities_json(&chapter.text);
        let raw = entities_from_value(&value)
            .map(|p| p.entities)
            .unwrap_or_default();
        found.push((number, raw));
        texts.insert(number, ChapterText::new(&chapter.text));
    }
    let cast = merge("", &found, &texts);
    let cards = cast.elements.iter().filter(|e| wants_card(e)).count() as u64;
    let portrayed = crate::illustrate::portraits::cast_to_portray(&cast.elements, usize::MAX);
    (cards, portrayed.len())
}
