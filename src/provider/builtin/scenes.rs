//! Picks a chapter's most drawable passages: windows of 2–4 consecutive sentences scored for
//! visual language and named elements, the best non-overlapping ones in reading order, each with
//! a verbatim quote, a templated description, and mood and lighting guessed from lexicons.

use super::lexicon;
use super::sentences::{Doc, MAX_QUOTE_WORDS, clip};
use crate::provider::ElementKind;

/// A name the scene can mention, with its kind, and the forms that count as a mention.
#[derive(Debug, Clone)]
pub struct Known {
    pub name: String,
    pub kind: ElementKind,
    /// The name itself and its aliases or distinctive words, as they appear in text.
    pub forms: Vec<String>,
}

/// One selected scene, ready to serialise.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub quote: String,
    pub description: String,
    pub mood: String,
    pub lighting: String,
    pub elements: Vec<String>,
}

/// Per-sentence facts the window scores are built from.
struct SentenceFacts {
    visual: usize,
    names: usize,
}

fn facts(doc: &Doc, known: &[Known]) -> Vec<SentenceFacts> {
    (0..doc.sentences.len())
        .map(|s| {
            let tokens = doc.tokens_in(s);
            let visual = tokens
                .iter()
                .filter(|t| lexicon::VISUAL.contains(&t.word.to_lowercase().as_str()))
                .count();
            let text = doc.sentence_text(s);
            let names = known.iter().filter(|k| mentions(text, k)).count();
            SentenceFacts { visual, names }
        })
        .collect()
}

/// Whether `text` mentions `known` by any of its forms, on word boundaries.
fn mentions(text: &str, known: &Known) -> bool {
    known.forms.iter().any(|form| {
        text.match_indices(form.as_str()).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + form.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// How many scenes a chapter of `sentences` sentences can give.
pub fn possible(sentences: usize) -> usize {
    match sentences {
        0 => 0,
        1 => 1,
        n => n / 2,
    }
}

/// The `count` best windows of 1–3 sentences and at most `MAX_QUOTE_WORDS` words, as (first
/// sentence, length), in reading order. A lone sentence over the limit is clipped later.
fn choose_windows(doc: &Doc, facts: &[SentenceFacts], count: usize) -> Vec<(usize, usize)> {
    let n = facts.len();
    let target = count.min(possible(n));
    let score = |start: usize, len: usize| {
        let window = &facts[start..start + len];
        let raw: usize = window.iter().map(|f| f.visual + 3 * f.names).sum();
        // Divide by √len so a longer window must earn its extra sentences.
        raw as f64 / (len as f64).sqrt()
    };
    let words = |start: usize, len: usize| -> usize {
        (start..start + len)
            .map(|s| doc.sentence_text(s).split_whitespace().count())
            .sum()
    };
    let mut candidates: Vec<(f64, usize, usize)> = (0..n)
        .flat_map(|start| (1..=3).map(move |len| (start, len)))
        .filter(|&(start, len)| {
            start + len <= n && (len == 1 || words(start, len) <= MAX_QUOTE_WORDS)
        })
        .map(|(start, len)| (score(start, len), start, len))
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut taken = vec![false; n];
    let mut chosen = Vec::new();
    for &(_, start, len) in &candidates {
        if chosen.len() == target {
            break;
        }
        if taken[start..start + len].iter().any(|&t| t) {
            continue;
        }
        taken[start..start + len].fill(true);
        chosen.push((start, len));
    }
    if chosen.len() < target {
        // Greedy picks can block each other; single sentences never do.
        let mut singles: Vec<(f64, usize)> = (0..n).map(|s| (score(s, 1), s)).collect();
        singles.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        chosen = singles
            .into_iter()
            .take(target)
            .map(|(_, s)| (s, 1))
            .collect();
    }
    chosen.sort_unstable();
    chosen
}

/// The lexicon entry with the most votes among `words`, or `default`.
fn vote(words: &[String], table: &[(&'static str, &[&str])], default: &'static str) -> String {
    let best = table
        .iter()
        .map(|(label, cues)| {
            (
                words.iter().filter(|w| cues.contains(&w.as_str())).count(),
                *label,
            )
        })
        .filter(|(votes, _)| *votes > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)));
    best.map_or(default, |(_, label)| label).to_string()
}

/// Picks up to `count` scenes from the chapter.
pub fn select(doc: &Doc, count: usize, known: &[Known]) -> Vec<Scene> {
    let facts = facts(doc, known);
    choose_windows(doc, &facts, count)
        .into_iter()
        .map(|(start, len)| build_scene(doc, start, len, known))
        .collect()
}

fn build_scene(doc: &Doc, start: usize, len: usize, known: &[Known]) -> Scene {
    let whole = &doc.text[doc.sentences[start].start..doc.sentences[start + len - 1].end];
    let quote = clip(whole, MAX_QUOTE_WORDS);
    let words: Vec<String> = (start..start + len)
        .flat_map(|s| doc.tokens_in(s).iter().map(|t| t.word.to_lowercase()))
        .collect();
    let present: Vec<&Known> = known.iter().filter(|k| mentions(quote, k)).collect();
    let mood = vote(&words, lexicon::MOODS, lexicon::DEFAULT_MOOD);
    let lighting = vote(&words, lexicon::LIGHTING, lexicon::DEFAULT_LIGHTING);
    let description = describe(&present, &words, &mood, &lighting);
    Scene {
        quote: quote.to_string(),
        description,
        mood,
        lighting,
        elements: present.iter().map(|k| k.name.clone()).collect(),
    }
}

/// "Elizabeth and Jane at Longbourn, with fields, mud and petticoat; a calm scene in soft daylight."
fn describe(present: &[&Known], words: &[String], mood: &str, lighting: &str) -> String {
    let names = |kind: ElementKind| -> Vec<&str> {
        present
            .iter()
            .filter(|k| k.kind == kind)
            .map(|k| k.name.as_str())
            .collect()
    };
    // Four names are as many as a one-line description can carry; `elements` keeps them all.
    let cast: Vec<&str> = names(ElementKind::Character).into_iter().take(4).collect();
    let places = names(ElementKind::Place);
    let mut things: Vec<&str> = names(ElementKind::Creature);
    things.extend(names(ElementKind::Item));
    for word in words {
        if things.len() >= 5 {
            break;
        }
        if lexicon::SCENERY.contains(&word.as_str()) && !things.contains(&word.as_str()) {
            things.push(word);
        }
    }
    let mut text = if cast.is_empty() {
        "A view".to_string()
    } else {
        join(&cast)
    };
    if let Some(place) = places.first() {
        text.push_str(&format!(" at {place}"));
    }
    if !things.is_empty() {
        text.push_str(&format!(", with {}", join(&things)));
    }
    text.push_str(&format!("; a {mood} scene in {lighting}."));
    text
}

fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str, kind: ElementKind) -> Known {
        Known {
            name: name.to_string(),
            kind,
            forms: vec![name.to_string()],
        }
    }

    const TEXT: &str = "It was a dull affair. Nothing was said. Nobody cared at all. \
        Elizabeth walked across the green fields in the bright morning sun. \
        Her petticoat was six inches deep in mud by the river. \
        They talked of money. The sum was large. It was settled.";

    #[test]
    fn the_most_visual_window_wins_and_quotes_verbatim() {
        let doc = Doc::new(TEXT);
        let cast = [known("Elizabeth", ElementKind::Character)];
        let scenes = select(&doc, 1, &cast);
        assert_eq!(scenes.len(), 1);
        let scene = &scenes[0];
        assert!(TEXT.contains(&scene.quote));
        assert!(scene.quote.contains("green fields"), "{scene:?}");
        assert_eq!(scene.elements, ["Elizabeth"]);
        assert_eq!(scene.lighting, "clear daylight");
    }

    #[test]
    fn scenes_do_not_overlap_and_come_in_reading_order() {
        let doc = Doc::new(TEXT);
        let scenes = select(&doc, 3, &[]);
        assert_eq!(scenes.len(), 3);
        let starts: Vec<usize> = scenes
            .iter()
            .map(|s| TEXT.find(&s.quote).unwrap_or(usize::MAX))
            .collect();
        for pair in starts.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        for pair in scenes.windows(2) {
            let end = TEXT.find(&pair[0].quote).unwrap_or(0) + pair[0].quote.len();
            assert!(end <= TEXT.find(&pair[1].quote).unwrap_or(0));
        }
    }

    #[test]
    fn asks_for_more_than_possible_get_all_possible() {
        let doc = Doc::new(TEXT);
        assert_eq!(select(&doc, 50, &[]).len(), possible(doc.sentences.len()));
        assert_eq!(select(&Doc::new("One sentence only."), 3, &[]).len(), 1);
        assert!(select(&Doc::new(""), 3, &[]).is_empty());
    }

    #[test]
    fn named_elements_raise_a_window_score() {
        let text = "The house stood by the road. A tree grew there. \
                    The door was by the window. Wickham came. It ended.";
        let doc = Doc::new(text);
        let without = select(&doc, 1, &[]);
        let with = select(&doc, 1, &[known("Wickham", ElementKind::Character)]);
        assert!(!without[0].quote.contains("Wickham"), "{without:?}");
        assert!(with[0].quote.contains("Wickham"), "{with:?}");
        assert_eq!(with[0].elements, ["Wickham"]);
    }

    #[test]
    fn mood_follows_the_lexicon() {
        let doc = Doc::new("She laughed and danced at the ball. Everyone was merry and happy.");
        let scenes = select(&doc, 1, &[]);
        assert_eq!(scenes[0].mood, "joyful");
        assert_eq!(scenes[0].lighting, "warm candlelight");
    }

    #[test]
    fn mentions_respect_word_boundaries() {
        let k = known("Jane", ElementKind::Character);
        assert!(mentions("said Jane.", &k));
        assert!(!mentions("Janeway came", &k));
    }
}
