//! The builtin answers to the style request and the appearance-card request, from the book's
//! own words: era and setting from cue words of the opening chapters (a fixed art style, medium,
//! palette and framing), and each card from the appearance words the book uses near the name.
//! Nothing is invented: a field the text does not support says so. Deterministic.

use super::lexicon;
use super::sentences::{Doc, Token};
use crate::provider::{CardSubject, ElementKind};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What a card field says when the book is silent on it.
pub const NOT_DESCRIBED: &str = "not described in the book";

/// Eras and the words that suggest them.
#[rustfmt::skip]
const ERAS: &[(&str, &[&str])] = &[
    ("early 19th century (Regency era)", &["chaise", "carriage", "bonnet", "muslin", "ball",
        "assembly", "militia", "regiment", "parsonage", "pianoforte", "guineas", "ladyship",
        "estate", "curate", "footman", "servants", "gentleman"]),
    ("early 20th century", &["train", "office", "clerk", "telephone", "tram", "motor",
        "typewriter", "electric", "factory", "salesman", "samples", "flat", "apartment"]),
    ("a medieval, legendary past", &["sword", "knight", "castle", "dragon", "wizard", "spell",
        "kingdom", "armour", "armor", "squire", "throne"]),
    ("the present day", &["phone", "car", "computer", "television", "internet", "email",
        "laptop", "airport", "smartphone"]),
];

/// Countries and cities named in the text, and the country they mean.
#[rustfmt::skip]
const PLACES: &[(&str, &str)] = &[
    ("England", "England"), ("London", "England"), ("Hertfordshire", "England"),
    ("Derbyshire", "England"), ("Kent", "England"), ("Brighton", "England"),
    ("Scotland", "Scotland"), ("Ireland", "Ireland"), ("France", "France"), ("Paris", "France"),
    ("Germany", "Germany"), ("Berlin", "Germany"), ("Prague", "Bohemia"), ("Vienna", "Austria"),
    ("Russia", "Russia"), ("Moscow", "Russia"), ("Italy", "Italy"), ("Rome", "Italy"),
    ("Spain", "Spain"), ("America", "America"), ("Boston", "America"), ("York", "England"),
];

const RURAL: &[&str] = &[
    "fields",
    "field",
    "village",
    "park",
    "country",
    "farm",
    "meadow",
    "lane",
    "woods",
    "estate",
    "neighbourhood",
    "hill",
    "garden",
    "grounds",
];
const URBAN: &[&str] = &[
    "street",
    "streets",
    "town",
    "city",
    "office",
    "flat",
    "apartment",
    "shop",
    "square",
    "station",
];

/// `{"style": {...}}` for the opening chapters `text`.
pub fn style_json(text: &str) -> Value {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let hits = |list: &[&str]| lower.iter().filter(|w| list.contains(&w.as_str())).count();
    let era = ERAS
        .iter()
        .map(|(era, cues)| (hits(cues), *era))
        .filter(|(n, _)| *n >= 2)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)))
        .map(|(_, era)| era);
    let setting = if hits(RURAL) >= hits(URBAN) {
        "country houses, villages and open land"
    } else {
        "town streets and interiors"
    };
    let mut countries: Vec<(usize, &str)> = Vec::new();
    for (name, country) in PLACES {
        let n = words.iter().filter(|w| w == name).count();
        match countries.iter_mut().find(|(_, c)| c == country) {
            Some((count, _)) => *count += n,
            None => countries.push((n, country)),
        }
    }
    let country = countries
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)))
        .map(|(_, c)| c);
    let era_setting = match (era, country) {
        (Some(era), Some(country)) => format!("{era}; {setting} of {country}"),
        (Some(era), None) => format!("{era}; {setting}"),
        (None, Some(country)) => format!("{setting} of {country}"),
        (None, None) => setting.to_string(),
    };
    json!({"style": {
        "artStyle": "classic book illustration",
        "medium": "pen and ink with watercolour washes",
        "palette": "muted, natural colours",
        "eraSetting": era_setting,
        "framing": "medium shot at eye level, figures seen whole",
    }})
}

/// `{"cards": [...]}` for `subjects`, from the chapters `text` they appear in.
pub fn cards_json(text: &str, subjects: &[CardSubject]) -> Value {
    let doc = Doc::new(text);
    let cards: Vec<Value> = subjects.iter().map(|s| card(&doc, s)).collect();
    json!({ "cards": cards })
}

const AGE: &[&str] = &["young", "old", "elderly", "aged", "ancient", "middle-aged"];
const BUILD: &[&str] = &[
    "tall", "short", "stout", "slender", "thin", "fat", "broad", "large", "small", "tiny", "huge",
    "enormous", "little",
];
const HAIR: &[&str] = &[
    "hair",
    "beard",
    "moustache",
    "whiskers",
    "curls",
    "locks",
    "mane",
    "wig",
];
const EYES: &[&str] = &["eyes"];
const SKIN: &[&str] = &["skin", "complexion", "cheeks", "face"];
const SKIN_WORDS: &[&str] = &["pale", "rosy", "freckled", "sunburnt", "tanned"];
const CLOTHES: &[&str] = &[
    "uniform",
    "coat",
    "gown",
    "dress",
    "bonnet",
    "hat",
    "cap",
    "cloak",
    "shawl",
    "boots",
    "apron",
    "veil",
    "gloves",
    "waistcoat",
    "jacket",
    "sleeves",
    "collar",
    "buttons",
    "robe",
    "skirt",
    "skirts",
    "petticoat",
    "stockings",
];
const CLOTHES_WORDS: &[&str] = &[
    "well-dressed",
    "fashionable",
    "shabby",
    "ragged",
    "tattered",
    "elegant",
    "smart",
];
const MARKS: &[&str] = &[
    "spectacles",
    "antennae",
    "wings",
    "tail",
    "legs",
    "belly",
    "back",
    "feathers",
    "fur",
    "scar",
    "scars",
    "shell",
];
const MATERIALS: &[&str] = &[
    "stone", "brick", "wood", "wooden", "marble", "glass", "iron", "timber", "granite", "slate",
    "thatch", "thatched", "plaster", "oak", "gravel",
];
const LIGHT: &[&str] = &[
    "dark",
    "bright",
    "sunny",
    "gloomy",
    "shadowy",
    "candlelit",
    "lit",
    "lamp",
    "candles",
    "candle",
    "moonlight",
    "sunshine",
    "dim",
    "shade",
    "grey",
];
const PLACE_WORDS: &[&str] = &[
    "large",
    "small",
    "grand",
    "ancient",
    "modern",
    "fine",
    "beautiful",
    "handsome",
    "old",
    "noble",
    "elegant",
    "huge",
    "little",
    "pretty",
    "lovely",
];

fn card(doc: &Doc, subject: &CardSubject) -> Value {
    let spans = spans(doc, &anchor_words(subject));
    let pairs = |nouns: &[&str]| top(pairs(&spans, nouns));
    let words = |list: &[&str]| top(single(&spans, list));
    let either = |a: String, b: String| match (a.is_empty(), b.is_empty()) {
        (true, _) => b,
        (false, true) => a,
        (false, false) => format!("{a}, {b}"),
    };
    let said = |text: String| {
        if text.is_empty() {
            NOT_DESCRIBED.to_string()
        } else {
            text
        }
    };
    if subject.kind == ElementKind::Place {
        let noun = place_noun(&subject.name);
        let adjectives = words(PLACE_WORDS);
        let landscape = match (noun, adjectives.is_empty()) {
            (Some(noun), true) => format!("a {noun}"),
            (Some(noun), false) => format!("{adjectives} {noun}"),
            (None, _) => adjectives,
        };
        return json!({"name": subject.name, "landscape": said(landscape),
            "materials": said(top(mentioned(&spans, MATERIALS))), "light": said(words(LIGHT))});
    }
    json!({
        "name": subject.name,
        "age": said(words(AGE)),
        "build": said(words(BUILD)),
        "hair": said(either(pairs(HAIR), words(&["bald"]))),
        "eyes": said(pairs(EYES)),
        "skin": said(either(pairs(SKIN), words(SKIN_WORDS))),
        "clothing": said(either(pairs(CLOTHES), words(CLOTHES_WORDS))),
        "marks": said(pairs(MARKS)),
    })
}

/// The words of the name and aliases that find it in the text: not titles, not short words.
fn anchor_words(subject: &CardSubject) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in std::iter::once(&subject.name).chain(&subject.aliases) {
        for word in name.split_whitespace() {
            let bare = word.trim_end_matches('.');
            let title = lexicon::is_honorific(bare) || bare.eq_ignore_ascii_case("the");
            if !title && bare.len() > 2 && !out.iter().any(|w| w == bare) {
                out.push(bare.to_string());
            }
        }
    }
    out
}

/// For each sentence that mentions the subject (a possessive "Gregor's father" is no mention
/// of Gregor), its tokens from eight words before the first mention to eight after the last.
fn spans<'d, 'a>(doc: &'d Doc<'a>, anchors: &[String]) -> Vec<&'d [Token<'a>]> {
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (at, token) in doc.tokens.iter().enumerate() {
        let possessive = token.word.ends_with("'s") || token.word.ends_with("’s");
        if possessive || !anchors.iter().any(|a| a == token.word) {
            continue;
        }
        let i = at.saturating_sub(doc.first_token(token.sentence));
        match found.last_mut() {
            Some((s, _, last)) if *s == token.sentence => *last = i,
            _ => found.push((token.sentence, i, i)),
        }
    }
    let mut out = Vec::new();
    for &(s, first, last) in &found {
        let tokens = doc.tokens_in(s);
        out.push(&tokens[first.saturating_sub(8)..(last + 9).min(tokens.len())]);
        // "Mr. Samsa came in. He wore a blue uniform": a pronoun opening the next sentence
        // carries the subject on when the name opened this one.
        let next = doc.tokens_in(s + 1);
        let carried = next
            .first()
            .is_some_and(|t| ["He", "She", "His", "Her", "It", "Its"].contains(&t.word));
        let mentioned = found.iter().any(|(other, _, _)| *other == s + 1);
        if first <= 1 && carried && !mentioned {
            out.push(next);
        }
    }
    out
}

/// "adjective noun" pairs with the noun in `nouns` and an appearance adjective before it.
fn pairs(spans: &[&[Token]], nouns: &[&str]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for span in spans {
        for pair in span.windows(2) {
            let (adjective, noun) = (pair[0].word.to_lowercase(), pair[1].word.to_lowercase());
            let named = !pair[0].at_start && pair[0].word.starts_with(char::is_uppercase);
            if !named
                && lexicon::APPEARANCE.contains(&adjective.as_str())
                && nouns.contains(&noun.as_str())
            {
                *counts.entry(format!("{adjective} {noun}")).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Words of `list` anywhere in the spans ("of grey stone"): materials need no grammar.
fn mentioned(spans: &[&[Token]], list: &[&str]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for token in spans.iter().flat_map(|s| s.iter()) {
        let word = token.word.to_lowercase();
        if list.contains(&word.as_str()) {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts
}

/// Nouns an appearance word describes when it stands before one ("a tall young man").
const BEARERS: &[&str] = &[
    "man",
    "woman",
    "girl",
    "boy",
    "lady",
    "gentleman",
    "figure",
    "fellow",
    "creature",
    "person",
    "child",
    "men",
    "women",
    "ladies",
    "gentlemen",
    "house",
    "hall",
    "park",
    "building",
    "room",
    "rooms",
    "garden",
    "gardens",
    "grounds",
    "wood",
    "woods",
    "lake",
    "village",
    "town",
    "church",
    "castle",
    "road",
    "lane",
    "street",
    "place",
    "mansion",
    "cottage",
    "parsonage",
    "estate",
];

/// Words after which an appearance word says how the subject is ("was tall", "very pale").
const LINKS: &[&str] = &[
    "was",
    "is",
    "were",
    "looked",
    "seemed",
    "grew",
    "being",
    "very",
    "so",
    "rather",
    "quite",
    "too",
    "and",
    "extremely",
    "remarkably",
];

/// Words of `list` in the spans that describe something there: before a person or place noun,
/// or after "was", "very" and the like ("a little while", "in short" say nothing). A capitalised
/// word inside a sentence is a name, not a word.
fn single(spans: &[&[Token]], list: &[&str]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for span in spans {
        for (i, token) in span.iter().enumerate() {
            let named = !token.at_start && token.word.starts_with(char::is_uppercase);
            let word = token.word.to_lowercase();
            if named || !list.contains(&word.as_str()) {
                continue;
            }
            let lower = |t: Option<&Token>| t.map(|t| t.word.to_lowercase()).unwrap_or_default();
            let next = lower(span.get(i + 1));
            let after_next = lower(span.get(i + 2));
            let before = lower(i.checked_sub(1).and_then(|j| span.get(j)));
            let before_noun = BEARERS.contains(&next.as_str())
                || BEARERS.contains(&after_next.as_str()) && list.contains(&next.as_str());
            // "very little", "so short a time": size words say something only before a noun.
            let vague = ["little", "short", "small", "large"].contains(&word.as_str());
            let describes = before_noun || !vague && LINKS.contains(&before.as_str());
            if describes {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// The two most frequent (ties alphabetical), joined.
fn top(counts: HashMap<String, usize>) -> String {
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(2)
        .map(|(w, _)| w)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Netherfield Park" → "park".
fn place_noun(name: &str) -> Option<String> {
    let last = name.rsplit(' ').next()?;
    lexicon::is_place_suffix(last).then(|| last.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(name: &str, kind: ElementKind) -> CardSubject {
        CardSubject {
            name: name.into(),
            kind,
            aliases: vec![],
            description: String::new(),
        }
    }

    #[test]
    fn a_card_has_the_books_words_and_says_what_it_does_not_know() {
        let text = "Mr. Samsa came in, very tall and stout. Mr. Samsa wore a smart blue uniform \
                    with gold buttons, a little later. Grete had fair hair.";
        let value = cards_json(text, &[subject("Mr. Samsa", ElementKind::Character)]);
        let card = &value["cards"][0];
        assert_eq!(card["name"], "Mr. Samsa");
        assert_eq!(card["build"], "stout, tall");
        assert_eq!(card["clothing"], "blue uniform, gold buttons");
        assert_eq!(card["eyes"], NOT_DESCRIBED);
        assert_eq!(card["hair"], NOT_DESCRIBED, "Grete's hair is not his");
        assert_eq!(
            value,
            cards_json(text, &[subject("Mr. Samsa", ElementKind::Character)])
        );
    }

    #[test]
    fn a_pronoun_carries_the_subject_into_the_next_sentence() {
        let text = "Mr. Samsa came in. He wore a blue uniform. Grete wore a grey dress.";
        let value = cards_json(text, &[subject("Mr. Samsa", ElementKind::Character)]);
        assert_eq!(value["cards"][0]["clothing"], "blue uniform");
    }

    #[test]
    fn a_place_card_has_landscape_materials_and_light() {
        let text = "Netherfield Park was a large house of grey stone. At Netherfield the rooms \
                    were bright, a little while.";
        let value = cards_json(text, &[subject("Netherfield Park", ElementKind::Place)]);
        let card = &value["cards"][0];
        assert_eq!(card["landscape"], "large park");
        assert_eq!(card["materials"], "stone");
        assert_eq!(card["light"], "bright");
    }

    #[test]
    fn era_and_setting_come_from_the_text() {
        let regency = "The carriage stopped at the ball in Hertfordshire. Her bonnet and muslin \
                       were admired; the militia were in the village and the fields.";
        let style = &style_json(regency)["style"];
        assert_eq!(
            style["eraSetting"],
            "early 19th century (Regency era); country houses, villages and open land of England"
        );
        let office =
            "He missed the train to the office; the clerk waited in the street of the city.";
        assert!(
            style_json(office)["style"]["eraSetting"]
                .as_str()
                .unwrap_or_default()
                .starts_with("early 20th century; town streets")
        );
        assert_eq!(style_json(regency), style_json(regency));
    }
}
