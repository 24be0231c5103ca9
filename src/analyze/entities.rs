//! Pass 1 for one chapter: ask the text model for the chapter's cast, chunk by chunk so a long
//! chapter is read whole, never truncated.

use crate::analyze::chunks;
use crate::analyze::entities_json::{RawEntity, entities_from_value};
use crate::analyze::prompts::{entities_request, pack_entities_request};
use crate::ids::ChapterNo;
use crate::provider::{self, TextModel, Usage};
use serde::{Deserialize, Serialize};

/// `entities/NNN.json`: one chapter's pass 1 answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterEntities {
    pub chapter: ChapterNo,
    pub entities: Vec<RawEntity>,
}

/// `entities/NNN-MMM.json`: the answer to one request that read several chapters, split by
/// chapter. One file, so a pack is saved whole or not at all and a resumed run never asks a
/// different pack than an uninterrupted one would have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackEntities {
    pub chapters: Vec<ChapterEntities>,
}

/// The chapters of a saved pass 1 file (one chapter's or a pack's); `None` if it is neither.
pub fn parse_saved(bytes: &[u8]) -> Option<Vec<ChapterEntities>> {
    if let Ok(one) = serde_json::from_slice::<ChapterEntities>(bytes) {
        return Some(vec![one]);
    }
    serde_json::from_slice::<PackEntities>(bytes)
        .ok()
        .map(|pack| pack.chapters)
}

/// Extracts the chapter's entities, one request per chunk of at most `chunk_tokens`.
pub async fn extract(
    model: &dyn TextModel,
    chapter: ChapterNo,
    title: &str,
    text: &str,
    chunk_tokens: usize,
) -> Result<(ChapterEntities, Usage), provider::Error> {
    let mut entities = Vec::new();
    let mut usage = Usage::default();
    for chunk in chunks::split(text, chunk_tokens) {
        let request = entities_request(chapter, title, &chunk);
        let (value, used) = model.complete_json(&request).await?;
        usage += used;
        let parsed = entities_from_value(&value).map_err(|e| provider::Error::BadResponse {
            provider: model.name(),
            message: e.to_string(),
        })?;
        entities.extend(parsed.entities);
    }
    Ok((ChapterEntities { chapter, entities }, usage))
}

/// One chapter as pass 1 reads it.
#[derive(Debug, Clone, Copy)]
pub struct ChapterRef<'a> {
    pub number: ChapterNo,
    pub title: &'a str,
    pub text: &'a str,
}

/// Groups consecutive chapters into packs read by one request each. The book is cut into whole
/// rounds of `parallel` requests (the fewest rounds whose packs fit `budget` estimated tokens)
/// and each round's packs hold about the same text: pass 1 ends when its slowest request does,
/// and an answer takes longer the more text it covers. A chapter over the budget is a pack of
/// its own (and is read in chunks).
pub fn packs(
    chapters: &[(ChapterNo, usize)],
    budget: usize,
    parallel: usize,
) -> Vec<Vec<ChapterNo>> {
    let budget = budget.max(1);
    let parallel = parallel.max(1);
    let total: usize = chapters.iter().map(|(_, size)| size).sum();
    let rounds = total.div_ceil(budget).div_ceil(parallel).max(1);
    let count = (rounds * parallel).min(chapters.len()).max(1);
    let share = total as f64 / count as f64;
    let mut out: Vec<Vec<ChapterNo>> = Vec::new();
    let (mut tokens, mut done) = (0, 0);
    for &(chapter, size) in chapters {
        // A chapter joins the current pack while its middle lies within the pack's share.
        let within_share = done as f64 + size as f64 / 2.0 <= share * out.len() as f64;
        match out.last_mut() {
            Some(pack) if tokens + size <= budget && within_share => {
                pack.push(chapter);
                tokens += size;
            }
            _ => {
                out.push(vec![chapter]);
                tokens = size;
            }
        }
        done += size;
    }
    out
}

/// The order packs are asked in: the longest answer first. Pass 1 ends with its last answer,
/// so (as in longest-processing-time scheduling) the long requests go out in the first round
/// and the short ones fill the slots that come free first. A pack's answer lists the cast of
/// each of its chapters, so it grows with its chapters more than with its text (packs hold
/// about the same text anyway): more chapters first, then more text. The merge reads the answers
/// by chapter, so the order changes nothing else.
pub fn largest_first(
    mut packs: Vec<Vec<ChapterNo>>,
    sizes: &[(ChapterNo, usize)],
) -> Vec<Vec<ChapterNo>> {
    let tokens = |pack: &Vec<ChapterNo>| -> usize {
        sizes
            .iter()
            .filter(|(no, _)| pack.contains(no))
            .map(|(_, size)| size)
            .sum()
    };
    packs.sort_by_cached_key(|pack| std::cmp::Reverse((pack.len(), tokens(pack))));
    packs
}

/// Extracts the entities of a pack of chapters with one request (a single chapter as `extract`
/// does), and gives each entity back to the chapters that name it.
pub async fn extract_pack(
    model: &dyn TextModel,
    pack: &[ChapterRef<'_>],
    chunk_tokens: usize,
) -> Result<(Vec<ChapterEntities>, Usage), provider::Error> {
    if let [one] = pack {
        let (found, usage) = extract(model, one.number, one.title, one.text, chunk_tokens).await?;
        return Ok((vec![found], usage));
    }
    let parts: Vec<_> = pack.iter().map(|c| (c.number, c.title, c.text)).collect();
    let request = pack_entities_request(&parts);
    let (value, usage) = model.complete_json(&request).await?;
    // Cut off at the output limit, the answer lacks the last chapters' entities: the caller asks
    // chapter by chapter instead.
    if provider::is_truncated(&value) {
        return Err(provider::Error::BadResponse {
            provider: model.name(),
            message: format!(
                "the answer for {} was cut off at the model's output limit",
                request.chapter_title.to_lowercase()
            ),
        });
    }
    let parsed = entities_from_value(&value).map_err(|e| provider::Error::BadResponse {
        provider: model.name(),
        message: e.to_string(),
    })?;
    Ok((attribute(pack, parsed.entities), usage))
}

/// Gives each entity to every chapter of the pack whose text names it (by its name or an
/// alias); the quote stays only with the chapter it is from. An entity named in no chapter's
/// text goes to the chapter of its quote, else to the pack's first chapter, so nothing the model
/// found is lost (the merge still checks its quote against the book).
fn attribute(pack: &[ChapterRef<'_>], entities: Vec<RawEntity>) -> Vec<ChapterEntities> {
    let mut out: Vec<ChapterEntities> = pack
        .iter()
        .map(|c| ChapterEntities {
            chapter: c.number,
            entities: Vec::new(),
        })
        .collect();
    for entity in entities {
        let quoted = (!entity.quote.is_empty())
            .then(|| {
                pack.iter()
                    .position(|c| c.text.contains(entity.quote.as_str()))
            })
            .flatten();
        let mut named: Vec<usize> = (0..pack.len())
            .filter(|&i| names_in(&entity, pack[i].text))
            .collect();
        if named.is_empty() {
            named.push(quoted.unwrap_or(0));
        }
        for i in named {
            let mut copy = entity.clone();
            if quoted != Some(i) {
                copy.quote.clear();
            }
            out[i].entities.push(copy);
        }
    }
    out
}

/// Whether `text` contains the entity's name or an alias as whole words.
fn names_in(entity: &RawEntity, text: &str) -> bool {
    std::iter::once(&entity.name)
        .chain(&entity.aliases)
        .filter(|n| !n.trim().is_empty())
        .any(|n| contains_word(text, n.trim()))
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{TextRequest, TextTask};
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// Answers with one entity named after the first word of each chunk it is sent.
    struct Echo {
        chunks: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl TextModel for Echo {
        fn name(&self) -> String {
            "echo".into()
        }
        async fn complete_json(
            &self,
            request: &TextRequest,
        ) -> Result<(serde_json::Value, Usage), provider::Error> {
            assert_eq!(request.task, TextTask::Entities);
            self.chunks.lock().unwrap().push(request.text.clone());
            let first = request.text.split_whitespace().next().unwrap_or("");
            let usage = Usage {
                prompt_tokens: 10,
                ..Usage::default()
            };
            Ok((
                serde_json::json!({"entities": [{"name": first, "type": "character"}]}),
                usage,
            ))
        }
    }

    #[tokio::test]
    async fn a_long_chapter_is_read_whole_in_chunks() {
        let para = |name: &str| format!("{name} {}\n\n", "walked far. ".repeat(60));
        let text = format!("{}{}{}", para("Anna"), para("Boris"), para("Clara"));
        let model = Echo {
            chunks: Mutex::new(Vec::new()),
        };
        let (found, usage) = extract(&model, ChapterNo(3), "Chapter 3", &text, 200)
            .await
            .unwrap();
        let sent = model.chunks.lock().unwrap().concat();
        assert_eq!(sent, text, "every character of the chapter is sent");
        let names: Vec<_> = found.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Anna", "Boris", "Clara"]);
        assert_eq!(usage.prompt_tokens, 30);
        assert_eq!(found.chapter, ChapterNo(3));
    }

    fn numbers(packs: Vec<Vec<ChapterNo>>) -> Vec<Vec<u32>> {
        packs
            .into_iter()
            .map(|p| p.into_iter().map(|c| c.0).collect())
            .collect()
    }

    #[test]
    fn packs_respect_the_token_budget_and_fill_every_request_slot() {
        let sizes: Vec<_> = (1..=10).map(|i| (ChapterNo(i), 100)).collect();
        // Budget of 300 tokens: four requests, as even as whole chapters allow.
        assert_eq!(
            numbers(packs(&sizes, 300, 1)),
            [vec![1, 2, 3], vec![4, 5], vec![6, 7, 8], vec![9, 10]]
        );
        // Four slots for ten chapters: one pack per slot, even with room for more.
        assert_eq!(numbers(packs(&sizes, 10_000, 4)).len(), 4);
        // Fewer chapters than slots: one chapter per pack.
        assert_eq!(numbers(packs(&sizes[..2], 10_000, 4)), [vec![1], vec![2]]);
        // A chapter over the budget is alone.
        let mixed = [(ChapterNo(1), 50), (ChapterNo(2), 900), (ChapterNo(3), 50)];
        assert_eq!(numbers(packs(&mixed, 300, 1)), [vec![1], vec![2], vec![3]]);
    }

    #[test]
    fn packs_fill_whole_rounds_with_even_shares() {
        // 3,000 tokens at a budget of 1,000 need three requests; with two slots that is two
        // rounds, so four packs of about 750 rather than three full ones and a short remainder.
        let sizes: Vec<_> = (1..=30).map(|i| (ChapterNo(i), 100)).collect();
        let cut = packs(&sizes, 1_000, 2);
        assert_eq!(cut.len(), 4);
        let lengths: Vec<usize> = cut.iter().map(Vec::len).collect();
        assert!(lengths.iter().all(|&n| (7..=8).contains(&n)), "{lengths:?}");
        // Uneven chapters: the packs' token totals stay within one chapter of each other.
        let uneven: Vec<_> = (1..=40)
            .map(|i| (ChapterNo(i), 50 + (i as usize * 37) % 200))
            .collect();
        let cut = packs(&uneven, 2_000, 4);
        let size_of = |c: &ChapterNo| uneven[c.0 as usize - 1].1;
        let totals: Vec<usize> = cut.iter().map(|p| p.iter().map(size_of).sum()).collect();
        assert_eq!(totals.len() % 4, 0, "{totals:?}");
        let (min, max) = (totals.iter().min(), totals.iter().max());
        assert!(
            max.zip(min).is_some_and(|(a, b)| a - b <= 250),
            "{totals:?}"
        );
    }

    /// Eight packs for four slots, as `packs` cuts P&P: the ones with the most chapters go
    /// first (a tie goes to the longer text), reading order among equals.
    #[test]
    fn pass_1_asks_the_packs_with_the_most_chapters_first() {
        let sizes: Vec<_> = (1..=12).map(|i| (ChapterNo(i), 100 * i as usize)).collect();
        let cut = vec![
            chapters(&[1, 2, 3]),
            chapters(&[4]),
            chapters(&[5, 6]),
            chapters(&[7, 8, 9, 10]),
            chapters(&[11, 12]),
        ];
        assert_eq!(
            numbers(largest_first(cut, &sizes)),
            [
                vec![7, 8, 9, 10],
                vec![1, 2, 3],
                vec![11, 12],
                vec![5, 6],
                vec![4]
            ]
        );
    }

    fn chapters(numbers: &[u32]) -> Vec<ChapterNo> {
        numbers.iter().map(|n| ChapterNo(*n)).collect()
    }

    /// Answers a pack with fixed entities.
    struct Fixed(serde_json::Value);

    #[async_trait]
    impl TextModel for Fixed {
        fn name(&self) -> String {
            "fixed".into()
        }
        async fn complete_json(
            &self,
            request: &TextRequest,
        ) -> Result<(serde_json::Value, Usage), provider::Error> {
            assert!(request.prompt.contains("=== Chapter 8: Eight ==="));
            assert!(request.prompt.contains("=== Chapter 9: Nine ==="));
            Ok((self.0.clone(), Usage::default()))
        }
    }

    #[tokio::test]
    async fn a_pack_answer_goes_back_to_the_chapters_that_name_each_entity() {
        let model = Fixed(serde_json::json!({"entities": [
            {"name": "Anna Petrovna", "type": "character", "aliases": ["Anna"],
             "description": "tall", "quote": "Anna laughed at the door."},
            {"name": "Boris", "type": "character", "aliases": [],
             "description": "old", "quote": "Boris slept."},
            {"name": "the Orb", "type": "item", "aliases": [], "description": "glass",
             "quote": ""},
        ]}));
        let pack = [
            ChapterRef {
                number: ChapterNo(8),
                title: "Eight",
                text: "Anna laughed at the door. Annabel did not.",
            },
            ChapterRef {
                number: ChapterNo(9),
                title: "Nine",
                text: "Boris slept. Anna watched him.",
            },
        ];
        let (found, _) = extract_pack(&model, &pack, 24_000).await.unwrap();
        let names = |i: usize| -> Vec<(&str, &str)> {
            found[i]
                .entities
                .iter()
                .map(|e| (e.name.as_str(), e.quote.as_str()))
                .collect()
        };
        assert_eq!(found[0].chapter, ChapterNo(8));
        assert_eq!(
            names(0),
            [
                ("Anna Petrovna", "Anna laughed at the door."),
                ("the Orb", "")
            ],
            "named nowhere: kept with the first chapter"
        );
        assert_eq!(
            names(1),
            [("Anna Petrovna", ""), ("Boris", "Boris slept.")],
            "the quote stays with its own chapter"
        );
    }

    #[test]
    fn saved_files_of_one_chapter_and_of_a_pack_both_read_back() {
        let one = ChapterEntities {
            chapter: ChapterNo(4),
            entities: Vec::new(),
        };
        let pack = PackEntities {
            chapters: vec![
                ChapterEntities {
                    chapter: ChapterNo(5),
                    entities: Vec::new(),
                },
                ChapterEntities {
                    chapter: ChapterNo(6),
                    entities: Vec::new(),
                },
            ],
        };
        let chapters = |bytes: Vec<u8>| -> Vec<u32> {
            parse_saved(&bytes)
                .unwrap()
                .iter()
                .map(|c| c.chapter.0)
                .collect()
        };
        assert_eq!(chapters(serde_json::to_vec(&one).unwrap()), [4]);
        assert_eq!(chapters(serde_json::to_vec(&pack).unwrap()), [5, 6]);
        assert!(parse_saved(b"{\"chapter\": ").is_none());
        let name = crate::store::layout::pack_file_name(ChapterNo(5), ChapterNo(12));
        assert_eq!(name, "005-012.json");
    }

    #[tokio::test]
    async fn a_pack_answer_cut_at_the_output_limit_is_an_error() {
        let model = Fixed(serde_json::json!({"entities": [], "_truncated": true}));
        let pack = [
            ChapterRef {
                number: ChapterNo(8),
                title: "Eight",
                text: "Anna laughed.",
            },
            ChapterRef {
                number: ChapterNo(9),
                title: "Nine",
                text: "Boris slept.",
            },
        ];
        let err = extract_pack(&model, &pack, 24_000).await.unwrap_err();
        assert!(
            err.to_string().contains("chapters 8–9 was cut off"),
            "{err}"
        );
    }
}
