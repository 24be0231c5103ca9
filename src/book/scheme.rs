//! The way a book writes its chapter headings ("CHAPTER XII." or "Chapter 12"): a heading
//! written another way inside the text (a chapter of a book a character reads, a letter's
//! "Chapter the First") is part of a chapter, not the start of a new one.

use super::headings::{HeadingKind, parse_heading};

/// Letter case and numeral style of a chapter heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Scheme {
    upper: bool,
    roman: bool,
    arabic: bool,
}

/// The scheme of a chapter heading line; `None` for any other line.
pub(crate) fn scheme(line: &str) -> Option<Scheme> {
    let heading = parse_heading(line)?;
    if !matches!(heading.kind, HeadingKind::Chapter(_)) {
        return None;
    }
    let mut words = line.split_whitespace();
    let word = words.next()?;
    let number = words
        .next()?
        .trim_end_matches(|c: char| !c.is_alphanumeric());
    Some(Scheme {
        upper: word.chars().all(|c| !c.is_lowercase()),
        roman: !number.is_empty() && number.chars().all(|c| "IVXLCivxlc".contains(c)),
        arabic: number.chars().all(|c| c.is_ascii_digit()),
    })
}

/// The scheme most chapter headings among `lines` share, when most of them share one.
pub(crate) fn dominant<'a>(lines: impl Iterator<Item = &'a str>) -> Option<Scheme> {
    let mut counts: Vec<(Scheme, usize)> = Vec::new();
    for s in lines.filter_map(scheme) {
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let (best, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n * 4 >= total * 3 && n >= 3).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_most_headings_share_wins() {
        let lines = [
            "CHAPTER I.",
            "CHAPTER II.",
            "CHAPTER III.",
            "Chapter 3",
            "CHAPTER IV.",
        ];
        let best = dominant(lines.into_iter());
        assert_eq!(best, scheme("CHAPTER V."));
        assert_ne!(best, scheme("Chapter 3"));
    }

    #[test]
    fn no_scheme_without_a_clear_majority() {
        assert_eq!(dominant(["Chapter 1", "CHAPTER II"].into_iter()), None);
    }
}
