//! Greedy line breaking at spaces. Whitespace runs collapse to one space, as a paragraph's do
//! when it is reflowed; a word wider than the line is cut between characters.

/// Splits `text` into lines no wider than `max` according to `measure`.
pub fn wrap(text: &str, max: f32, measure: impl Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if measure(&candidate) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        line = cut_long_word(word, max, &measure, &mut lines);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pushes full-width pieces of `word` and returns the rest, which starts the next line.
fn cut_long_word(
    word: &str,
    max: f32,
    measure: &impl Fn(&str) -> f32,
    lines: &mut Vec<String>,
) -> String {
    let mut piece = String::new();
    for c in word.chars() {
        piece.push(c);
        if measure(&piece) > max && piece.chars().count() > 1 {
            piece.pop();
            lines.push(std::mem::take(&mut piece));
            piece.push(c);
        }
    }
    piece
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn breaks_at_spaces_within_the_width() {
        let lines = wrap("It is a truth  universally\nacknowledged", 12.0, chars);
        assert_eq!(lines, ["It is a", "truth", "universally", "acknowledged"]);
    }

    #[test]
    fn cuts_a_word_wider_than_the_line() {
        assert_eq!(wrap("ab abcdefgh", 3.0, chars), ["ab", "abc", "def", "gh"]);
        assert!(wrap("   ", 3.0, chars).is_empty());
    }
}
