//! Finds the paragraph that contains a scene's quote, tolerant of whitespace, curly quotes and
//! dashes, so an image lands next to the text it illustrates.

/// A chapter's paragraphs (separated by a blank line), trimmed, empty ones left out: the units
/// a picture is placed after.
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Lowercases, maps typographic quotes/dashes to ASCII and collapses whitespace.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            c => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Index of the first paragraph containing the quote; when none contains it whole (a quote that
/// spans paragraphs), the paragraph containing its first 40 normalised characters.
pub fn find_paragraph<S: AsRef<str>>(paragraphs: &[S], quote: &str) -> Option<usize> {
    let needle = normalise(quote);
    if needle.is_empty() {
        return None;
    }
    let normalised: Vec<String> = paragraphs.iter().map(|p| normalise(p.as_ref())).collect();
    if let Some(i) = normalised.iter().position(|p| p.contains(&needle)) {
        return Some(i);
    }
    let head: String = needle.chars().take(40).collect();
    if let Some(i) = normalised.iter().position(|p| p.contains(&head)) {
        return Some(i);
    }
    // A quote that starts with a short paragraph ("This was invitation enough." then the next
    // one) has its first 40 characters across the break; the short paragraph is its start.
    normalised
        .iter()
        .position(|p| p.chars().count() >= 12 && needle.starts_with(p.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quote_despite_curly_quotes_and_spacing() {
        let paras = [
            "First one.",
            "He said \u{201C}run,\u{201D}\n  and   ran.",
            "Last.",
        ];
        assert_eq!(find_paragraph(&paras, "said \"run,\" and ran"), Some(1));
    }

    #[test]
    fn spanning_quote_falls_back_to_its_start() {
        let paras = [
            "The storm broke over the hills at dawn and nobody",
            "moved.",
        ];
        let quote = "The storm broke over the hills at dawn and nobody moved.";
        assert_eq!(find_paragraph(&paras, quote), Some(0));
        assert_eq!(find_paragraph(&paras, "absent text"), None);
    }

    #[test]
    fn quote_opening_with_a_short_paragraph_lands_on_it() {
        let paras = [
            "Before.",
            "This was invitation enough.",
            "\"Why, my dear, you must know.\"",
        ];
        let quote = "This was invitation enough. \"Why, my dear, you must know.\"";
        assert_eq!(find_paragraph(&paras, quote), Some(1));
    }
}
