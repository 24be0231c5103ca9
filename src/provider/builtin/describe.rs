//! Writes the short visual description and picks the one verbatim quote for each entity, from
//! the sentences that mention it. Descriptions are templated from evidence in the text (titles,
//! pronouns, appearance adjectives, the place most often named alongside); nothing is invented.

use super::lexicon;
use super::sentences::Doc;
use crate::provider::ElementKind;
use std::collections::HashMap;

/// Counts of lexicon words in a sentence.
fn lexicon_hits(doc: &Doc, sentence: usize, list: &[&str]) -> usize {
    doc.tokens_in(sentence)
        .iter()
        .filter(|t| list.contains(&t.word.to_lowercase().as_str()))
        .count()
}

/// The mention sentence with the most visual language, preferring sentences of a readable length;
/// ties go to the earliest. Returns the verbatim sentence.
pub fn pick_quote<'a>(doc: &Doc<'a>, sentences: &[usize]) -> Option<&'a str> {
    let score = |&s: &usize| {
        let len = doc.sentence_text(s).len();
        let visual =
            lexicon_hits(doc, s, lexicon::APPEARANCE) * 2 + lexicon_hits(doc, s, lexicon::VISUAL);
        let readable = usize::from((30..=320).contains(&len)) * 3;
        visual + readable
    };
    let best = sentences
        .iter()
        .max_by(|a, b| score(a).cmp(&score(b)).then(b.cmp(a)))?;
    Some(doc.sentence_text(*best))
}

/// Appearance words near the entity, most frequent first (at most three).
fn appearance_words(doc: &Doc, sentences: &[usize], names: &[&str]) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for &s in sentences {
        let tokens = doc.tokens_in(s);
        let anchors: Vec<usize> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| names.iter().any(|n| n.split(' ').any(|w| w == t.word)))
            .map(|(i, _)| i)
            .collect();
        for (i, t) in tokens.iter().enumerate() {
            let word = t.word.to_lowercase();
            let near = anchors.iter().any(|&a| a.abs_diff(i) <= 8);
            if near && lexicon::APPEARANCE.contains(&word.as_str()) {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    words.into_iter().take(3).map(|(w, _)| w).collect()
}

/// "a", "a and b", "a, b and c".
fn list(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What kind of person a title or the pronouns around the name suggest.
fn person_noun(doc: &Doc, sentences: &[usize], honorific: Option<&str>) -> &'static str {
    match honorific {
        Some(h) if lexicon::is_male_honorific(h) => return "a gentleman",
        Some("Mrs" | "Miss" | "Lady" | "Queen" | "Princess" | "Duchess" | "Countess") => {
            return "a lady";
        }
        _ => {}
    }
    let male = ["he", "him", "his", "himself"];
    let female = ["she", "her", "hers", "herself"];
    let (m, f) = sentences.iter().fold((0, 0), |(m, f), &s| {
        (
            m + lexicon_hits(doc, s, &male),
            f + lexicon_hits(doc, s, &female),
        )
    });
    match m.cmp(&f) {
        std::cmp::Ordering::Greater => "a man",
        std::cmp::Ordering::Less => "a woman",
        std::cmp::Ordering::Equal => "a figure",
    }
}

/// What the entity is for the description's head noun.
fn head_noun(
    doc: &Doc,
    kind: ElementKind,
    sentences: &[usize],
    name: &str,
    honorific: Option<&str>,
) -> String {
    match kind {
        ElementKind::Character => person_noun(doc, sentences, honorific).to_string(),
        ElementKind::Place => {
            let last = name.rsplit(' ').next().unwrap_or(name);
            if lexicon::is_place_suffix(last) {
                let noun = last.to_lowercase();
                // "Woods", "Gardens": a plural takes no article.
                if noun.ends_with('s') {
                    noun
                } else {
                    format!("a {noun}")
                }
            } else {
                "a place".to_string()
            }
        }
        ElementKind::Creature => format!("a {name}"),
        ElementKind::Item => format!("a {name}"),
    }
}

/// Everything `describe` needs to know about one entity.
pub struct Subject<'s> {
    pub name: &'s str,
    pub aliases: &'s [String],
    pub kind: ElementKind,
    pub honorific: Option<&'s str>,
    pub sentences: &'s [usize],
    /// The place most often named in the same sentences, for characters.
    pub seen_at: Option<&'s str>,
}

/// A one-line visual description built from the evidence.
pub fn describe(doc: &Doc, subject: &Subject) -> String {
    let mut names: Vec<&str> = vec![subject.name];
    names.extend(subject.aliases.iter().map(String::as_str));
    let head = head_noun(
        doc,
        subject.kind,
        subject.sentences,
        subject.name,
        subject.honorific,
    );
    let adjectives = appearance_words(doc, subject.sentences, &names);
    let mut text = capitalise(&head);
    if !adjectives.is_empty() {
        text.push_str(&format!(", described as {}", list(&adjectives)));
    }
    if let Some(place) = subject.seen_at {
        text.push_str(&format!(", seen at {place}"));
    }
    text.push_str(&format!(
        "; named in {} passage{} of this chapter.",
        subject.sentences.len(),
        if subject.sentences.len() == 1 {
            ""
        } else {
            "s"
        }
    ));
    text
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_is_a_verbatim_visual_sentence() {
        let text = "Jane was ill. Jane walked through the green wet fields in a white gown and muddy boots.";
        let doc = Doc::new(text);
        let quote = pick_quote(&doc, &[0, 1]).unwrap_or_default();
        assert!(quote.starts_with("Jane walked") && text.contains(quote));
    }

    #[test]
    fn description_uses_title_and_nearby_adjectives() {
        let doc = Doc::new("Mr. Bingley was handsome and gentlemanlike. He was tall.");
        let aliases = Vec::new();
        let subject = Subject {
            name: "Mr. Bingley",
            aliases: &aliases,
            kind: ElementKind::Character,
            honorific: Some("Mr"),
            sentences: &[0],
            seen_at: Some("Netherfield"),
        };
        let text = describe(&doc, &subject);
        assert!(
            text.starts_with("A gentleman, described as gentlemanlike and handsome"),
            "{text}"
        );
        assert!(text.contains("seen at Netherfield"));
    }
}
