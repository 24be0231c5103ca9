//! Chooses each element's reference quotes from the book, not from the model's answer: the
//! sentences that name it (by its name or an alias, on word boundaries) with the most visual
//! words, one from early, middle and late among the chapters it is in. Verbatim by construction:
//! every quote is a slice of a chapter.

use crate::analyze::model::ElementQuote;
use crate::analyze::names::{normalise, split_honorific};
use crate::analyze::quotes::ChapterText;
use crate::ids::ChapterNo;
use crate::provider::builtin::{ScoredSentence, lexicon};
use std::collections::BTreeMap;

/// A chapter's text and its scored sentences.
pub struct Scored<'a> {
    pub text: &'a str,
    pub sentences: &'a [ScoredSentence],
}

/// Every chapter of `texts`, its text and scored sentences side by side.
pub fn scored_chapters<'a>(
    texts: &'a BTreeMap<ChapterNo, ChapterText<'a>>,
) -> BTreeMap<ChapterNo, Scored<'a>> {
    texts
        .iter()
        .map(|(no, t)| {
            let chapter = Scored {
                text: t.text(),
                sentences: t.scored_sentences(),
            };
            (*no, chapter)
        })
        .collect()
}

/// The forms to look for: each name as written, without a possessive, and a titled name's bare
/// rest when it is a surname ("Mr. Darcy" → "Darcy").
fn forms(names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let plain = name
            .trim()
            .trim_end_matches("'s")
            .trim_end_matches("’s")
            .to_string();
        let titled = split_honorific(&normalise(&plain)).0.is_some();
        let bare = plain
            .split_once(char::is_whitespace)
            .filter(|_| titled)
            .map(|(_, rest)| rest.trim().to_string());
        for form in std::iter::once(plain).chain(bare) {
            if form.chars().count() > 1 && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

/// Where `form` occurs in `text` as whole words.
fn occurrences<'t>(text: &'t str, form: &'t str) -> impl Iterator<Item = usize> + 't {
    text.match_indices(form).filter_map(move |(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + form.len()..].chars().next();
        let bounded =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        bounded.then_some(at)
    })
}

/// Whether a one-word form at `at` is the end of someone else's longer name: right after a
/// capitalised word or a title ("Mrs. Bennet", "Jane Bennet" for Mr. Bennet's "Bennet") that
/// together with it is none of the element's own names.
fn someone_elses(text: &str, at: usize, form: &str, own: &[String]) -> bool {
    if form.contains(char::is_whitespace) {
        return false;
    }
    let before = &text[..at];
    let spaced = before.trim_end_matches(' ');
    if spaced.len() == before.len() {
        return false;
    }
    let word = spaced
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '.'))
        .next()
        .unwrap_or_default();
    // "Then Darcy": a capitalised common word opening the sentence is no given name; a title
    // ("Miss", "Mrs.") always makes a longer name.
    let title = lexicon::HONORIFICS.contains(&word.trim_end_matches('.'));
    if !word.chars().next().is_some_and(char::is_uppercase)
        || (!title && lexicon::is_not_name(word))
    {
        return false;
    }
    !own.contains(&normalise(&format!("{word} {form}")))
}

/// The chapter's most visual sentence naming one of `forms`, as (visual, sentence index).
fn best_in(chapter: &Scored, forms: &[String], own: &[String]) -> Option<(usize, usize)> {
    let starts: Vec<usize> = chapter.sentences.iter().map(|s| s.start).collect();
    forms
        .iter()
        .flat_map(|f| {
            occurrences(chapter.text, f).filter(move |&at| !someone_elses(chapter.text, at, f, own))
        })
        .filter_map(|at| starts.partition_point(|&s| s <= at).checked_sub(1))
        .map(|i| (chapter.sentences[i].visual, i))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
}

/// Up to `limit` quotes for an element named `names`, in the `chapters` it is in.
pub fn choose(
    names: &[&str],
    chapters: &[ChapterNo],
    scored: &BTreeMap<ChapterNo, Scored>,
    limit: usize,
) -> Vec<ElementQuote> {
    let forms = forms(names);
    let own: Vec<String> = names.iter().map(|n| normalise(n)).collect();
    let found: Vec<(ChapterNo, usize, usize)> = chapters
        .iter()
        .filter_map(|c| {
            let chapter = scored.get(c)?;
            best_in(chapter, &forms, &own).map(|(visual, i)| (*c, visual, i))
        })
        .collect();
    if found.is_empty() || limit == 0 {
        return Vec::new();
    }
    // Early, middle and late: the best of each of `limit` runs of consecutive chapters.
    let runs = found.len().div_ceil(limit.min(found.len()));
    found
        .chunks(runs)
        .filter_map(|run| run.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))))
        .filter_map(|&(c, _, i)| {
            let chapter = scored.get(&c)?;
            let s = chapter.sentences[i];
            Some(ElementQuote {
                chapter: c,
                text: chapter.text[s.start..s.end].to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapters(texts: &[&'static str]) -> BTreeMap<ChapterNo, ChapterText<'static>> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| (ChapterNo(i as u32 + 1), ChapterText::new(t)))
            .collect()
    }

    #[test]
    fn quotes_are_the_most_visual_naming_sentences_spread_over_chapters() {
        let texts = chapters(&[
            "Mr. Darcy bowed. Darcy stood by the dark window in a black coat.",
            "Nothing happened. Darcy left.",
            "Then Darcy walked across the green park in the bright sun.",
            "Darcy wrote.",
        ]);
        let scored = scored_chapters(&texts);
        let chapters: Vec<ChapterNo> = (1..=4).map(ChapterNo).collect();
        let quotes = choose(&["Mr. Darcy"], &chapters, &scored, 2);
        let texts: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Darcy stood by the dark window in a black coat.",
                "Then Darcy walked across the green park in the bright sun."
            ]
        );
        for q in &quotes {
            assert!(scored[&q.chapter].text.contains(&q.text));
        }
    }

    #[test]
    fn names_inside_longer_words_do_not_count() {
        let texts = chapters(&["Janeway came in a red coat. Jane sat."]);
        let scored = scored_chapters(&texts);
        let quotes = choose(&["Jane"], &[ChapterNo(1)], &scored, 3);
        assert_eq!(quotes[0].text, "Jane sat.");
    }

    #[test]
    fn a_surname_inside_someone_elses_name_does_not_count() {
        let texts = chapters(&[
            "Mrs. Bennet wore a red shawl by the bright fire. Mr. Bennet read in his dark library. \
             The eldest Miss Bennet sat in the white and golden morning room.",
            "Jane Bennet walked in the golden garden at dawn. Bennet frowned at the grey window.",
        ]);
        let scored = scored_chapters(&texts);
        let quotes = choose(
            &["Mr. Bennet", "Bennet"],
            &[ChapterNo(1), ChapterNo(2)],
            &scored,
            3,
        );
        let found: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            found,
            [
                "Mr. Bennet read in his dark library.",
                "Bennet frowned at the grey window."
            ]
        );
    }
}
