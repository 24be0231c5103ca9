//! Writes the short visual description and picks the one verbatim quote for each entity, from
//! the sentences that mention it. Descriptions are built from words the book uses near the name
//! (titles, pronouns, appearance adjectives, dress and body nouns with their adjective, the place
//! most often named alongside); nothing is invented and nothing is counted.

use super::entities::strip_possessive;
use super::lexicon;
use super::sentences::{Doc, MAX_QUOTE_WORDS, Token, clip};
use crate::provider::ElementKind;
use std::collections::HashMap;

/// Counts of lexicon words in a sentence.
fn lexicon_hits(doc: &Doc, sentence: usize, list: &[&str]) -> usize {
    doc.tokens_in(sentence)
        .iter()
        .filter(|t| list.contains(&t.word.to_lowercase().as_str()))
        .count()
}

/// Whether sentence `s` names the entity as itself, not as the owner of something else
/// ("Gregor’s mother" is a sentence about the mother).
fn names_itself(doc: &Doc, s: usize, names: &[&str]) -> bool {
    doc.tokens_in(s).iter().any(|t| {
        let possessive = t.word.ends_with("'s") || t.word.ends_with("’s");
        !possessive && names.iter().any(|n| n.split(' ').any(|w| w == t.word))
    })
}

/// The mention sentence with the most visual language, preferring sentences of a readable length
/// that name the entity itself; ties go to the earliest. Returns the verbatim sentence, clipped
/// to a caption's length.
pub fn pick_quote<'a>(doc: &Doc<'a>, sentences: &[usize], names: &[&str]) -> Option<&'a str> {
    let score = |&s: &usize| {
        let len = doc.sentence_text(s).len();
        let visual =
            lexicon_hits(doc, s, lexicon::APPEARANCE) * 2 + lexicon_hits(doc, s, lexicon::VISUAL);
        let readable = usize::from((30..=320).contains(&len)) * 3;
        let itself = usize::from(names_itself(doc, s, names)) * 6;
        visual + readable + itself
    };
    let best = sentences
        .iter()
        .max_by(|a, b| score(a).cmp(&score(b)).then(b.cmp(a)))?;
    Some(clip(doc.sentence_text(*best), MAX_QUOTE_WORDS))
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
            if near && !in_a_name(t) && lexicon::APPEARANCE.contains(&word.as_str()) {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    words.into_iter().take(3).map(|(w, _)| w).collect()
}

/// A capitalised word inside a sentence is part of a name ("Mrs. Long"), not an adjective.
fn in_a_name(token: &Token) -> bool {
    !token.at_start && token.word.chars().next().is_some_and(char::is_uppercase)
}

/// Tokens of the mention sentences near a name (within eight words), and whole next sentences
/// that open with a pronoun carrying the subject on ("He wore a blue uniform").
fn nearby<'d, 'a>(doc: &'d Doc<'a>, sentences: &[usize], names: &[&str]) -> Vec<&'d [Token<'a>]> {
    // "Gregor's father in his blue uniform" describes the father: a possessive is no anchor.
    let names_it = |t: &Token| {
        strip_possessive(t.word).len() == t.word.len()
            && names.iter().any(|n| n.split(' ').any(|w| w == t.word))
    };
    let mut out = Vec::new();
    for &s in sentences {
        let tokens = doc.tokens_in(s);
        for (i, _) in tokens.iter().enumerate().filter(|(_, t)| names_it(t)) {
            out.push(&tokens[i.saturating_sub(8)..(i + 9).min(tokens.len())]);
        }
        // The pronoun opening the next sentence is the subject only when the name opened this one.
        let subject = tokens.first().is_some_and(&names_it) || tokens.get(1).is_some_and(&names_it);
        let next = doc.tokens_in(s + 1);
        let carried = next.first().is_some_and(|t| {
            matches!(
                t.word,
                "He" | "She" | "His" | "Her" | "It" | "Its" | "They" | "Their"
            )
        });
        if subject && carried && !sentences.contains(&(s + 1)) {
            out.push(next);
        }
    }
    out
}

/// Dress and body words with the adjective before them ("blue uniform", "brown belly") near the
/// name; most frequent first (at most three).
fn features(doc: &Doc, sentences: &[usize], names: &[&str]) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for span in nearby(doc, sentences, names) {
        for pair in span.windows(2) {
            let adjective = pair[0].word.to_lowercase();
            let noun = pair[1].word.to_lowercase();
            if lexicon::APPEARANCE.contains(&adjective.as_str())
                && lexicon::FEATURES.contains(&noun.as_str())
            {
                *counts.entry(format!("{adjective} {noun}")).or_insert(0) += 1;
            }
        }
    }
    let mut phrases: Vec<(String, usize)> = counts.into_iter().collect();
    phrases.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    phrases.into_iter().take(3).map(|(p, _)| p).collect()
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
        // "the chief clerk" is already the best head noun a role can have.
        ElementKind::Character if name.starts_with("the ") => {
            with_article(name.trim_start_matches("the "))
        }
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
        ElementKind::Creature | ElementKind::Item => with_article(name),
    }
}

/// "an apple", "a clerk", "three gentlemen": a plural or counted noun takes no article.
fn with_article(noun: &str) -> String {
    let first = noun.split(' ').next().unwrap_or(noun);
    let plural = noun.ends_with('s') || noun.ends_with("men") || lexicon::is_number_word(first);
    if plural {
        noun.to_string()
    } else if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
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
    let features = features(doc, subject.sentences, &names);
    let mut text = capitalise(&head);
    if !adjectives.is_empty() {
        text.push_str(&format!(", described as {}", list(&adjectives)));
    }
    if !features.is_empty() {
        text.push_str(&format!(", with {}", list(&features)));
    }
    if let Some(place) = subject.seen_at {
        text.push_str(&format!(", seen at {place}"));
    }
    text.push('.');
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
        let quote = pick_quote(&doc, &[0, 1], &["Jane"]).unwrap_or_default();
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
        assert!(!text.contains("passage"), "{text}");
    }

    #[test]
    fn a_name_is_no_adjective() {
        let doc = Doc::new("Mr. Bennet listened to Mrs. Long and Miss Grey. He was tall.");
        let subject = Subject {
            name: "Mr. Bennet",
            aliases: &[],
            kind: ElementKind::Character,
            honorific: Some("Mr"),
            sentences: &[0],
            seen_at: None,
        };
        let text = describe(&doc, &subject);
        assert!(!text.contains("long") && !text.contains("grey"), "{text}");
    }

    #[test]
    fn description_carries_dress_and_body_words_from_the_text() {
        let doc = Doc::new(
            "Mr. Samsa came in. He wore a smart blue uniform with gold buttons. Gregor hid.",
        );
        let subject = Subject {
            name: "Mr. Samsa",
            aliases: &[],
            kind: ElementKind::Character,
            honorific: None,
            sentences: &[0],
            seen_at: None,
        };
        let text = describe(&doc, &subject);
        assert!(
            text.contains("blue uniform") && text.contains("gold buttons"),
            "{text}"
        );
    }

    #[test]
    fn another_persons_dress_is_not_the_description() {
        let doc = Doc::new(
            "Gregor’s father wore a blue uniform. Gregor watched. Later he looked at the \
             door. He saw gold buttons.",
        );
        let subject = Subject {
            name: "Gregor",
            aliases: &[],
            kind: ElementKind::Character,
            honorific: None,
            sentences: &[0, 1],
            seen_at: None,
        };
        let text = describe(&doc, &subject);
        assert!(
            !text.contains("uniform") && !text.contains("buttons"),
            "{text}"
        );
    }

    #[test]
    fn quote_prefers_sentences_about_the_entity_itself() {
        let text = "Gregor’s mother opened the red window wide in the bright cold morning light. \
                    Gregor lay on his armour-like back in the dark room.";
        let doc = Doc::new(text);
        let quote = pick_quote(&doc, &[0, 1], &["Gregor"]).unwrap_or_default();
        assert_eq!(
            quote,
            "Gregor lay on his armour-like back in the dark room."
        );
    }
}
