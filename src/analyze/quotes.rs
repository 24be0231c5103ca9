//! Verifying a model's quote against the chapter: exact (modulo whitespace, curly quotes and
//! dashes), re-anchored to the closest passage, or invented. Always hands back the book's words.

use crate::provider::builtin::{ScoredSentence, scored_sentences};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Outcome of checking one quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteCheck {
    /// The quote is in the chapter; the book's own text of it.
    Exact(String),
    /// A near-miss; the closest passage of the chapter.
    Reanchored(String),
    /// Nothing in the chapter is close enough.
    Invented,
}

/// Share of the quote's words a passage must contain to count as the same passage.
const THRESHOLD: f64 = 0.6;

/// A normalised word and its byte range in the source text.
#[derive(Debug, Clone)]
struct Token {
    word: String,
    start: usize,
    end: usize,
}

/// Words (letters and digits, apostrophes of either kind inside them) lowercased, with ranges.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, c) in text.char_indices() {
        let apostrophe = matches!(c, '\'' | '\u{2019}' | '\u{2018}');
        let in_word = c.is_alphanumeric() || (apostrophe && current.is_some());
        match (&mut current, in_word) {
            (Some((_, word)), true) => word.extend(c.to_lowercase()),
            (None, true) => current = Some((i, c.to_lowercase().collect())),
            (Some(_), false) => push_token(&mut out, &mut current, i),
            (None, false) => {}
        }
    }
    push_token(&mut out, &mut current, text.len());
    out
}

fn push_token(out: &mut Vec<Token>, current: &mut Option<(usize, String)>, end: usize) {
    if let Some((start, word)) = current.take() {
        // A trailing apostrophe is a closing quote mark, not part of the word.
        let trimmed = word.trim_end_matches(['\'', '\u{2019}', '\u{2018}']);
        let cut = word.len() - trimmed.len();
        let word = trimmed.replace(['\u{2019}', '\u{2018}'], "'");
        let end = end - cut.min(end - start);
        out.push(Token { word, start, end });
    }
}

/// Checks `quote` against `chapter_text`.
pub fn verify(quote: &str, chapter_text: &str) -> QuoteCheck {
    ChapterText::new(chapter_text).verify(quote)
}

/// A chapter tokenised once, for checking many quotes against it (the merge checks hundreds).
pub struct ChapterText<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    /// Its sentences scored for visual words, for choosing reference quotes; computed on first
    /// use unless given by [`ChapterText::with_tokens`].
    sentences: OnceLock<Vec<ScoredSentence>>,
}

/// A text's words and scored sentences, computed ahead of time (e.g. while waiting on the
/// network) for [`ChapterText::with_tokens`].
#[derive(Debug, Clone)]
pub struct Tokens(Vec<Token>, Vec<ScoredSentence>);

/// Tokenises `text` for a later [`ChapterText::with_tokens`] on the same text.
pub fn tokenise(text: &str) -> Tokens {
    Tokens(tokens(text), scored_sentences(text))
}

impl<'a> ChapterText<'a> {
    pub fn new(text: &'a str) -> Self {
        ChapterText {
            text,
            tokens: tokens(text),
            sentences: OnceLock::new(),
        }
    }

    /// Uses tokens computed earlier by [`tokenise`] on this same `text`.
    pub fn with_tokens(text: &'a str, tokens: Tokens) -> Self {
        ChapterText {
            text,
            tokens: tokens.0,
            sentences: OnceLock::from(tokens.1),
        }
    }

    /// The chapter's text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The chapter's sentences with their visual scores.
    pub fn scored_sentences(&self) -> &[ScoredSentence] {
        self.sentences.get_or_init(|| scored_sentences(self.text))
    }

    /// Checks `quote` against this chapter.
    pub fn verify(&self, quote: &str) -> QuoteCheck {
        let wanted = tokens(quote);
        if wanted.is_empty() {
            return QuoteCheck::Invented;
        }
        let book = &self.tokens;
        if let Some(at) = find_exact(&wanted, book) {
            let span = passage(self.text, &book[at], &book[at + wanted.len() - 1]);
            return QuoteCheck::Exact(span);
        }
        match best_window(&wanted, book) {
            Some((first, last)) => {
                QuoteCheck::Reanchored(passage(self.text, &book[first], &book[last]))
            }
            None => QuoteCheck::Invented,
        }
    }
}

/// The book's text from `first` to `last`, extended over closing punctuation so a quoted
/// sentence keeps its full stop.
fn passage(text: &str, first: &Token, last: &Token) -> String {
    let tail = &text[last.end..];
    let extra: usize = tail
        .chars()
        .take_while(|c| !c.is_whitespace() && !c.is_alphanumeric())
        .map(char::len_utf8)
        .sum();
    text[first.start..last.end + extra].to_string()
}

fn find_exact(wanted: &[Token], book: &[Token]) -> Option<usize> {
    if wanted.len() > book.len() {
        return None;
    }
    (0..=book.len() - wanted.len())
        .find(|&i| wanted.iter().zip(&book[i..]).all(|(w, b)| w.word == b.word))
}

/// Sliding window of the quote's length over the chapter, scoring shared words (multiset
/// overlap) in O(chapter) time; the best window is trimmed to its first and last shared word.
fn best_window(wanted: &[Token], book: &[Token]) -> Option<(usize, usize)> {
    let n = wanted.len().min(book.len());
    if n == 0 {
        return None;
    }
    let mut need: HashMap<&str, i32> = HashMap::new();
    for t in wanted {
        *need.entry(t.word.as_str()).or_default() += 1;
    }
    let mut have: HashMap<&str, i32> = HashMap::new();
    let mut score = 0usize;
    let mut best = (0usize, 0usize);
    for (i, t) in book.iter().enumerate() {
        let w = t.word.as_str();
        if let Some(&cap) = need.get(w) {
            let h = have.entry(w).or_default();
            *h += 1;
            if *h <= cap {
                score += 1;
            }
        }
        if i >= n {
            let old = book[i - n].word.as_str();
            if let Some(&cap) = need.get(old) {
                let h = have.entry(old).or_default();
                if *h <= cap {
                    score -= 1;
                }
                *h -= 1;
            }
        }
        if i + 1 >= n && score > best.0 {
            best = (score, i + 1 - n);
        }
    }
    let (score, start) = best;
    if (score as f64) < THRESHOLD * wanted.len() as f64 {
        return None;
    }
    let window = &book[start..start + n];
    let hit = |t: &Token| need.contains_key(t.word.as_str());
    let first = window.iter().position(hit)?;
    let last = window.iter().rposition(hit)?;
    Some((start + first, start + last))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAPTER: &str = "It is a truth universally acknowledged, that a single man in possession \
        of a good fortune, must be in want of a wife.\n\n\u{201c}My dear Mr.\u{a0}Bennet,\u{201d} \
        said his lady to him one day, \u{201c}have you heard that Netherfield Park is let at \
        last?\u{201d}\n\nMr. Bennet replied that he had not.";

    #[test]
    fn exact_quote_returns_the_books_words() {
        let q = "a single man in possession of a good fortune, must be in want of a wife.";
        assert_eq!(verify(q, CHAPTER), QuoteCheck::Exact(q.to_string()));
    }

    #[test]
    fn straight_quotes_and_spacing_match_curly_text() {
        let q = "\"My dear  Mr. Bennet,\" said his lady";
        let QuoteCheck::Exact(found) = verify(q, CHAPTER) else {
            panic!("expected exact");
        };
        assert!(
            found.starts_with("My dear Mr.\u{a0}Bennet,\u{201d} said"),
            "{found}"
        );
        assert!(CHAPTER.contains(&found));
    }

    #[test]
    fn changed_word_is_reanchored() {
        let q = "have you heard that Netherfield Hall is let at last?";
        let QuoteCheck::Reanchored(found) = verify(q, CHAPTER) else {
            panic!("expected reanchored");
        };
        assert_eq!(
            found,
            "have you heard that Netherfield Park is let at last?\u{201d}"
        );
    }

    #[test]
    fn truncated_with_ellipsis_is_found() {
        let q = "It is a truth universally acknowledged, that a single man\u{2026}";
        match verify(q, CHAPTER) {
            QuoteCheck::Exact(found) | QuoteCheck::Reanchored(found) => {
                assert!(
                    found.starts_with("It is a truth universally acknowledged, that a single man")
                );
                assert!(CHAPTER.contains(&found));
            }
            QuoteCheck::Invented => panic!("truncated quote marked invented"),
        }
    }

    #[test]
    fn invented_sentence_is_rejected() {
        let q = "The dragon circled the tower and breathed fire upon the moat.";
        assert_eq!(verify(q, CHAPTER), QuoteCheck::Invented);
    }

    #[test]
    fn fast_on_a_long_chapter() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("word{} ", i % 97));
        }
        text.push_str("the needle sentence sits right here at the end.");
        let started = std::time::Instant::now();
        let check = verify("the needle sentence sat right here at the end", &text);
        assert!(matches!(check, QuoteCheck::Reanchored(_)), "{check:?}");
        assert!(started.elapsed().as_millis() < 500);
    }

    const BOOK: &str = include_str!("../../tests/fixtures/books/pride-and-prejudice.txt");

    #[test]
    fn real_book_curly_quote_returns_the_books_straight_quotes() {
        let q = "\u{201c}My dear Mr. Bennet,\u{201d} said his lady to him one day, \u{201c}have you \
            heard that Netherfield Park is let at last?\u{201d}";
        let QuoteCheck::Exact(found) = verify(q, BOOK) else {
            panic!("expected exact")
        };
        assert!(BOOK.contains(&found));
        assert!(
            found.contains("one day, \"have you heard that\nNetherfield Park is let at last?\"")
        );
    }

    #[test]
    fn real_book_invention_is_rejected_quickly() {
        let started = std::time::Instant::now();
        let q = "Mr. Darcy mounted his black stallion and galloped across the moonlit moors of Yorkshire.";
        assert_eq!(verify(q, BOOK), QuoteCheck::Invented);
        // The whole novel (~120k words) stands in for many 5k-word chapters.
        assert!(started.elapsed().as_secs_f64() < 2.0);
    }
}
