//! Splits a chapter into sentences and word tokens with byte offsets into the original text, so
//! every quote the analyzer returns is an exact slice of the chapter. Knows abbreviations
//! ("Mr.") and dialogue ("Oh!" said she) well enough for name finding; nothing more.

/// A sentence: `text[start..end]`, trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
}

/// A word: `text[start..end]`, in sentence `sentence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub word: &'a str,
    pub start: usize,
    pub end: usize,
    pub sentence: usize,
    /// First word of a sentence or of a quotation: capitalised there for grammar, not for being
    /// a name.
    pub at_start: bool,
    /// Followed directly by a period ("Mr." or the end of a sentence).
    pub before_period: bool,
}

/// A chapter cut into sentences and tokens.
#[derive(Debug)]
pub struct Doc<'a> {
    pub text: &'a str,
    pub sentences: Vec<Sentence>,
    pub tokens: Vec<Token<'a>>,
    /// For each sentence, the range of its tokens in `tokens`.
    ranges: Vec<std::ops::Range<usize>>,
}

/// Longest quote the analyzer returns, in words: a caption for a picture, not a page.
pub const MAX_QUOTE_WORDS: usize = 80;

/// `text` cut to at most `max` words, at the last clause mark inside the limit when there is
/// one in its second half, else after the last whole word. Always a prefix of `text`, so a
/// clipped quote is still verbatim.
pub fn clip(text: &str, max: usize) -> &str {
    let mut words = 0;
    let mut in_word = false;
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word && words == max {
                end = i;
                break;
            }
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
        }
    }
    if end == text.len() {
        return text;
    }
    let head = &text[..end];
    let clause = head
        .rfind([',', ';', ':', '—'])
        .filter(|&p| p > head.len() / 2);
    clause.map_or(head, |p| head[..p].trim_end())
}

/// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "St", "Messrs", "Rev", "Jr", "Sr", "Col", "Capt", "Gen", "Lt", "Prof",
    "Mme", "Mlle", "vs",
];

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '«' | '»')
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic()
}

/// Whether `c` may join two parts of one word ("don't", "good-looking").
fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '’' | '-')
}

impl<'a> Doc<'a> {
    pub fn new(text: &'a str) -> Doc<'a> {
        let tokens_raw = tokenize(text);
        let sentences = split_sentences(text, &tokens_raw);
        let mut tokens = Vec::with_capacity(tokens_raw.len());
        let mut sentence = 0;
        let mut previous_sentence = usize::MAX;
        for (start, end) in tokens_raw {
            while sentence + 1 < sentences.len() && start >= sentences[sentence].end {
                sentence += 1;
            }
            let first_in_sentence = sentence != previous_sentence;
            previous_sentence = sentence;
            let before = text[..start].trim_end_matches('_').chars().next_back();
            let after_quote = before.is_some_and(|c| is_quote(c) || c == '(' || c == '—');
            tokens.push(Token {
                word: &text[start..end],
                start,
                end,
                sentence,
                at_start: first_in_sentence || after_quote,
                before_period: text[end..].starts_with('.'),
            });
        }
        let mut ranges = vec![0..0; sentences.len()];
        for (i, token) in tokens.iter().enumerate() {
            let Some(range) = ranges.get_mut(token.sentence) else {
                continue;
            };
            if range.start == range.end {
                *range = i..i + 1;
            } else {
                range.end = i + 1;
            }
        }
        Doc {
            text,
            sentences,
            tokens,
            ranges,
        }
    }

    /// The tokens of sentence `index`.
    pub fn tokens_in(&self, index: usize) -> &[Token<'a>] {
        self.ranges
            .get(index)
            .map_or(&[][..], |r| &self.tokens[r.clone()])
    }

    /// Where sentence `index`'s tokens start in `tokens`.
    pub fn first_token(&self, index: usize) -> usize {
        self.ranges.get(index).map_or(0, |r| r.start)
    }

    /// The text of sentence `index`.
    pub fn sentence_text(&self, index: usize) -> &'a str {
        let s = self.sentences[index];
        &self.text[s.start..s.end]
    }
}

/// Word spans as byte ranges.
fn tokenize(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start {
            let joins = is_joiner(c) && chars.peek().is_some_and(|&(_, n)| is_word_char(n));
            if !joins {
                out.push((s, i));
                start = None;
            }
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Sentence spans: ends at `.`/`!`/`?` (plus closing quotes) before whitespace and a non-lowercase
/// character, except after abbreviations and initials; a blank line always ends a sentence.
fn split_sentences(text: &str, tokens: &[(usize, usize)]) -> Vec<Sentence> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut token_ix = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let is_end_mark = matches!(b, b'.' | b'!' | b'?');
        let is_blank_line = b == b'\n' && next_line_blank(bytes, i + 1);
        if !is_end_mark && !is_blank_line {
            i += 1;
            continue;
        }
        if is_end_mark {
            while token_ix < tokens.len() && tokens[token_ix].1 <= i {
                token_ix += 1;
            }
            let previous_word = token_ix
                .checked_sub(1)
                .map(|t| &text[tokens[t].0..tokens[t].1]);
            let abbreviation = b == b'.'
                && previous_word.is_some_and(|w| {
                    tokens[token_ix - 1].1 == i
                        && (ABBREVIATIONS.contains(&w)
                            || (w.len() == 1 && w.chars().all(char::is_uppercase)))
                });
            let mut j = i + 1;
            while j < bytes.len()
                && (matches!(bytes[j], b'.' | b'!' | b'?' | b')' | b'_' | b'"' | b'\'')
                    || !bytes[j].is_ascii())
            {
                if !bytes[j].is_ascii() && !text[j..].starts_with(['”', '’']) {
                    break;
                }
                j += if bytes[j].is_ascii() { 1 } else { 3 };
            }
            let next = text[j..].trim_start().chars().next();
            let followed_by_space = j >= bytes.len() || bytes[j].is_ascii_whitespace();
            let continues = next.is_some_and(|c| c.is_lowercase() || c == ',' || c == ';');
            if abbreviation || !followed_by_space || continues {
                i = j.max(i + 1);
                continue;
            }
            push_trimmed(text, start, j, &mut out);
            start = j;
            i = j;
        } else {
            push_trimmed(text, start, i, &mut out);
            start = i + 1;
            i += 1;
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn next_line_blank(bytes: &[u8], from: usize) -> bool {
    bytes[from..]
        .iter()
        .take_while(|&&b| b != b'\n')
        .all(|b| b.is_ascii_whitespace())
        && from < bytes.len()
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Sentence>) {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    if trimmed.chars().any(is_word_char) {
        out.push(Sentence {
            start: start + lead,
            end: start + lead + trimmed.len(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        let doc = Doc::new(text);
        (0..doc.sentences.len())
            .map(|i| doc.sentence_text(i))
            .collect()
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let text = "Mr. Bennet replied that he had not. Mrs. Long has come.";
        assert_eq!(
            sentences(text),
            ["Mr. Bennet replied that he had not.", "Mrs. Long has come."]
        );
    }

    #[test]
    fn dialogue_tags_stay_with_their_quote() {
        let text = "\"Is that his design?\" said she. \"Nonsense!\" He laughed.";
        assert_eq!(
            sentences(text),
            [
                "\"Is that his design?\" said she.",
                "\"Nonsense!\"",
                "He laughed."
            ]
        );
    }

    #[test]
    fn blank_lines_end_sentences() {
        assert_eq!(
            sentences("A heading\n\nThe text."),
            ["A heading", "The text."]
        );
    }

    #[test]
    fn quote_openers_count_as_sentence_starts() {
        let doc = Doc::new("He said, \"But it is,\" and Jane left.");
        let flags: Vec<(&str, bool)> = doc.tokens.iter().map(|t| (t.word, t.at_start)).collect();
        assert!(flags.contains(&("But", true)));
        assert!(flags.contains(&("Jane", false)));
        assert!(flags.contains(&("He", true)));
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_at_a_clause() {
        assert_eq!(clip("One two three.", 5), "One two three.");
        let long = "a b c d e f, g h i j k l";
        assert_eq!(clip(long, 8), "a b c d e f");
        assert_eq!(clip("a, b c d e f g h i j", 4), "a, b c d");
    }

    #[test]
    fn words_keep_inner_apostrophes_and_hyphens() {
        let doc = Doc::new("a good-looking man's hat");
        let words: Vec<&str> = doc.tokens.iter().map(|t| t.word).collect();
        assert_eq!(words, ["a", "good-looking", "man's", "hat"]);
    }
}
