//! `--estimate`: what a run would cost and how long it would take, from the book and the
//! configured provider alone. Never calls a model.

use crate::analyze::scenes::scene_budget;
use crate::book::Book;
use crate::config::Options;
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::provider::estimate::{EstimateInput, IMAGE_LATENCY, TEXT_LATENCY, estimate};
use crate::provider::prices::{Price, PriceTable};
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
    let input = EstimateInput {
        chapters: chapters.iter().map(|c| c.text.clone()).collect(),
        scenes_per_chapter: scenes.div_ceil(chapters.len().max(1)),
        text_model: provider.text.model.clone(),
        image_model: provider.image.model.clone(),
        prices: PriceTable::defaults().with_overrides(&prices(options)),
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

fn prices(options: &Options) -> BTreeMap<String, Price> {
    options
        .prices
        .iter()
        .map(|(model, p)| {
            let price = Price {
                input_per_mtok: p.input_per_million.unwrap_or(0.0),
                output_per_mtok: p.output_per_million.unwrap_or(0.0),
                per_image: p.per_image.unwrap_or(0.0),
            };
            (model.clone(), price)
        })
        .collect()
}
