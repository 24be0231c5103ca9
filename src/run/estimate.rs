//! `--estimate`: what a run would cost and how long it would take, from the book and the
//! configured provider alone. Never calls a model.

use crate::analyze::scenes::scene_budget;
use crate::book::Book;
use crate::config::Options;
use crate::error::Error;
use crate::ids::ChapterNo;
use crate::provider::estimate::{EstimateInput, estimate};
use crate::report::Reporter;
use std::time::Duration;

/// Assumed latencies of one call, typical of hosted models.
const TEXT_LATENCY: Duration = Duration::from_secs(8);
const IMAGE_LATENCY: Duration = Duration::from_secs(15);

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
