//! Splitting a long chapter into chunks a model can read, at paragraph (else sentence, else
//! word) boundaries, losing no text.

/// Rough token estimate used for budgeting: four characters per token.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// Splits `text` into chunks of at most `max_tokens` estimated tokens. Concatenating the chunks
/// gives back `text` exactly (separators stay at the end of the chunk before them), so quotes can
/// still be located in the chapter.
pub fn split(text: &str, max_tokens: usize) -> Vec<String> {
    let max_chars = max_tokens.max(1) * 4;
    let mut chunks = Vec::new();
    let mut current = String::new();
    for piece in pieces(text, max_chars) {
        if !current.is_empty() && current.chars().count() + piece.chars().count() > max_chars {
            chunks.push(std::mem::take(&mut current));
        }
        current.push_str(piece);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Paragraphs, with any paragraph longer than `max_chars` broken into sentences and then words.
fn pieces(text: &str, max_chars: usize) -> Vec<&str> {
    let mut out = Vec::new();
    for para in split_after(text, "\n\n") {
        if para.chars().count() <= max_chars {
            out.push(para);
            continue;
        }
        for sentence in split_sentences(para) {
            if sentence.chars().count() <= max_chars {
                out.push(sentence);
            } else {
                out.extend(split_after(sentence, " "));
            }
        }
    }
    out
}

/// Splits after each occurrence of `sep`, keeping `sep` on the left piece.
fn split_after<'a>(text: &'a str, sep: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(pos) = text[start..].find(sep) {
        let end = start + pos + sep.len();
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Splits after `.`, `!` or `?` followed by whitespace, keeping the whitespace on the left.
fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_end = false;
    for (i, c) in text.char_indices() {
        if prev_end && !c.is_whitespace() {
            out.push(&text[start..i]);
            start = i;
            prev_end = false;
        }
        if matches!(c, '.' | '!' | '?') {
            prev_end = true;
        } else if !c.is_whitespace() {
            // Whitespace after a terminator keeps `prev_end` so the break lands after it.
            prev_end = false;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let mut text = String::new();
        for p in 0..12 {
            for s in 0..6 {
                text.push_str(&format!("Paragraph {p} sentence {s} is about here. "));
            }
            text.push_str("\n\n");
        }
        text
    }

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(
            split("One paragraph.", 100),
            vec!["One paragraph.".to_string()]
        );
    }

    #[test]
    fn chunks_respect_the_budget_and_lose_nothing() {
        let text = sample();
        let chunks = split(&text, 100);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.concat(), text);
        for chunk in &chunks {
            assert!(
                estimate_tokens(chunk) <= 100,
                "chunk too long: {}",
                chunk.len()
            );
        }
    }

    #[test]
    fn cuts_at_paragraph_boundaries_when_possible() {
        let text = sample();
        let chunks = split(&text, 100);
        for chunk in &chunks[..chunks.len() - 1] {
            assert!(chunk.ends_with("\n\n"), "cut mid-paragraph: {chunk:?}");
        }
    }

    #[test]
    fn long_paragraph_is_cut_at_sentences() {
        let text = "First sentence here. Second sentence here. Third sentence here.";
        let chunks = split(text, 6);
        assert_eq!(chunks.concat(), text);
        assert!(chunks.len() >= 3);
        assert!(chunks[0].ends_with(". "));
    }
}
