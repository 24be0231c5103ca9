//! Pass 2 for one chapter: ask for the chapter's most visual scenes with the cast's details in
//! the prompt, then keep only scenes whose quote is really in the chapter (re-anchored when the
//! model's copy is a near-miss).

use crate::analyze::chunks;
use crate::analyze::lookup::ElementsLookup;
use crate::analyze::model::{ChapterScenes, Scene};
use crate::analyze::prompts::scenes_request;
use crate::analyze::quotes::{ChapterText, QuoteCheck};
use crate::analyze::scenes_json::{RawScene, scenes_from_value};
use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::provider::{self, TextModel, Usage};

/// The chapter as pass 2 needs it.
pub struct ChapterInput<'a> {
    pub number: ChapterNo,
    pub key: &'a ChapterKey,
    pub title: &'a str,
    pub text: &'a str,
}

/// One chapter's verified scenes and what verification did.
#[derive(Debug, Clone)]
pub struct Analyzed {
    pub scenes: ChapterScenes,
    pub usage: Usage,
    /// Quotes moved to the closest real passage.
    pub reanchored: usize,
    /// Scenes dropped because their quote is not in the chapter.
    pub invented: usize,
}

/// Scenes for a chapter of `words` words: one per `pages_per_image` pages of `words_per_page`
/// words, at least one, at most `limit`.
pub fn scene_budget(
    words: usize,
    words_per_page: usize,
    pages_per_image: f64,
    limit: Option<usize>,
) -> usize {
    let per_image = (words_per_page.max(1) as f64 * pages_per_image).max(1.0);
    let wanted = ((words as f64) / per_image).ceil().max(1.0) as usize;
    limit.map_or(wanted, |cap| wanted.min(cap.max(1)))
}

/// Runs pass 2 on one chapter. A chapter longer than `chunk_tokens` is asked about chunk by
/// chunk, each for its share of the scenes.
pub async fn analyze(
    model: &dyn TextModel,
    chapter: &ChapterInput<'_>,
    count: usize,
    lookup: &ElementsLookup,
    chunk_tokens: usize,
) -> Result<Analyzed, provider::Error> {
    let chunks = chunks::split(chapter.text, chunk_tokens);
    let total_words = chapter.text.split_whitespace().count().max(1);
    let mut raw = Vec::new();
    let mut usage = Usage::default();
    for chunk in &chunks {
        let words = chunk.split_whitespace().count();
        let share = (count * words).div_ceil(total_words).clamp(1, count.max(1));
        let request = scenes_request(chapter.number, chapter.title, chunk, share, lookup);
        let (value, used) = model.complete_json(&request).await?;
        usage += used;
        raw.extend(
            scenes_from_value(&value).map_err(|e| provider::Error::BadResponse {
                provider: model.name(),
                message: e.to_string(),
            })?,
        );
    }
    let (scenes, reanchored, invented) = verified(raw, chapter.text, count);
    if scenes.is_empty() {
        return Err(provider::Error::BadResponse {
            provider: model.name(),
            message: format!(
                "no scene of chapter {} has a quote found in the chapter ({invented} invented)",
                chapter.number
            ),
        });
    }
    Ok(Analyzed {
        scenes: ChapterScenes {
            chapter: chapter.number,
            key: chapter.key.clone(),
            title: chapter.title.to_string(),
            scenes,
        },
        usage,
        reanchored,
        invented,
    })
}

/// Keeps at most `count` scenes whose quotes are in `text`, each quote replaced by the book's
/// own words, scenes overlapping an earlier one removed, numbered from 1 in reading order.
fn verified(raw: Vec<RawScene>, text: &str, count: usize) -> (Vec<Scene>, usize, usize) {
    let mut kept: Vec<(usize, RawScene, String)> = Vec::new();
    let (mut reanchored, mut invented) = (0, 0);
    // Tokenised once for all the answer's quotes, not once per quote: this runs between the
    // scenes' answer and the chapter's hand-off to the illustrators, on the runtime's thread.
    let chapter = ChapterText::new(text);
    for scene in raw {
        let quote = match chapter.verify(&scene.quote) {
            QuoteCheck::Exact(q) => q,
            QuoteCheck::Reanchored(q) => {
                reanchored += 1;
                q
            }
            QuoteCheck::Invented => {
                invented += 1;
                continue;
            }
        };
        let at = text.find(&quote).unwrap_or(usize::MAX);
        let end = at.saturating_add(quote.len());
        let overlaps = kept
            .iter()
            .any(|(a, _, q)| *q == quote || (at < a.saturating_add(q.len()) && *a < end));
        if !overlaps {
            kept.push((at, scene, quote));
        }
    }
    kept.truncate(count.max(1));
    kept.sort_by_key(|(at, _, _)| *at);
    let scenes = kept
        .into_iter()
        .enumerate()
        .map(|(i, (_, raw, quote))| Scene {
            scene: SceneNo(i as u32 + 1),
            quote,
            description: raw.description,
            mood: raw.mood,
            lighting: raw.lighting,
            elements: raw.elements,
            image: None,
            rejected: None,
            user_rejected: false,
        })
        .collect();
    (scenes, reanchored, invented)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(quote: &str) -> RawScene {
        RawScene {
            quote: quote.into(),
            description: format!("drawing of {quote}"),
            mood: String::new(),
            lighting: String::new(),
            elements: vec![],
        }
    }

    const TEXT: &str = "The rain fell on the grey roofs of the town.\n\nLater, a red carriage \
        stopped at the gate and Jane stepped down into the mud.";

    #[test]
    fn budget_is_one_per_pages_at_least_one_and_capped() {
        assert_eq!(scene_budget(0, 300, 10.0, None), 1);
        assert_eq!(scene_budget(3001, 300, 10.0, None), 2);
        assert_eq!(scene_budget(9000, 300, 10.0, Some(2)), 2);
        assert_eq!(scene_budget(900, 300, 1.0, None), 3);
        assert_eq!(scene_budget(900, 300, 0.5, None), 6);
    }

    #[test]
    fn invented_quotes_are_dropped_and_scenes_renumbered_in_reading_order() {
        let (scenes, reanchored, invented) = verified(
            vec![
                raw("a red carriage stopped at the gate"),
                raw("The dragon breathed fire over the castle walls"),
                raw("The rain fell on the grey roofs of the town."),
            ],
            TEXT,
            5,
        );
        assert_eq!(invented, 1);
        assert_eq!(reanchored, 0);
        assert_eq!(scenes.len(), 2);
        assert!(scenes[0].quote.starts_with("The rain"));
        assert_eq!(scenes[0].scene, SceneNo(1));
        assert_eq!(scenes[1].scene, SceneNo(2));
        assert!(TEXT.contains(&scenes[1].quote));
    }

    #[test]
    fn near_misses_take_the_books_words_and_duplicates_go() {
        let (scenes, reanchored, _) = verified(
            vec![
                raw("Later, a red carriage stoped at the gate and Jane stepped into the mud."),
                raw(
                    "Later, a red carriage stopped at the gate and Jane stepped down into the mud.",
                ),
            ],
            TEXT,
            5,
        );
        assert_eq!(reanchored, 1);
        assert_eq!(scenes.len(), 1);
        assert!(TEXT.contains(&scenes[0].quote));
    }
}
