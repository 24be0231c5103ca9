//! How drawable each sentence of a text is, for choosing an element's reference quotes from the
//! book itself: the sentence spans (clipped to a caption's length) and their count of visual and
//! appearance words.

use super::lexicon;
use super::sentences::{Doc, MAX_QUOTE_WORDS, clip};

/// One sentence of a text: `text[start..end]`, already clipped to `MAX_QUOTE_WORDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoredSentence {
    pub start: usize,
    pub end: usize,
    /// Visual words, appearance words counted twice.
    pub visual: usize,
}

/// Every sentence of `text` in reading order, with its visual score.
pub fn scored_sentences(text: &str) -> Vec<ScoredSentence> {
    let doc = Doc::new(text);
    (0..doc.sentences.len())
        .map(|s| {
            let visual = doc
                .tokens_in(s)
                .iter()
                .map(|t| {
                    let w = t.word.to_lowercase();
                    usize::from(lexicon::VISUAL.contains(&w.as_str()))
                        + 2 * usize::from(lexicon::APPEARANCE.contains(&w.as_str()))
                })
                .sum();
            let start = doc.sentences[s].start;
            let end = start + clip(doc.sentence_text(s), MAX_QUOTE_WORDS).len();
            ScoredSentence { start, end, visual }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_scored_by_their_visual_words() {
        let text = "It was settled. She wore a white gown in the bright garden.";
        let scored = scored_sentences(text);
        assert_eq!(scored.len(), 2);
        assert_eq!(&text[scored[0].start..scored[0].end], "It was settled.");
        assert!(scored[1].visual > scored[0].visual);
    }
}
