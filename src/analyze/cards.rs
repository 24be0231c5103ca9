//! Appearance cards (docs/ARCHITECTURE.md §1): which elements get one, the card's fixed text made
//! from a model's answer (`{"cards": [...]}`, names matched back to the elements asked about),
//! and the cards of an earlier cast kept, so a card (or a user's edit of it) is made once.

use crate::analyze::model::{Catalogue, Element};
use crate::provider::ElementKind;
use serde_json::Value;

/// What a card field says when the book is silent on it.
pub const NOT_DESCRIBED: &str = "not described in the book";

/// A person's or creature's fields: the answer's key(s) and the card's label.
const PERSON: [(&[&str], &str); 7] = [
    (
        &["age", "apparentAge", "apparent age", "apparent_age"],
        "apparent age",
    ),
    (&["build"], "build"),
    (&["hair"], "hair"),
    (&["eyes"], "eyes"),
    (&["skin"], "skin"),
    (&["clothing", "clothes", "dress"], "clothing"),
    (
        &[
            "marks",
            "distinguishingMarks",
            "distinguishing marks",
            "distinguishing_marks",
        ],
        "distinguishing marks",
    ),
];

/// A place's fields.
const PLACE: [(&[&str], &str); 3] = [
    (
        &[
            "landscape",
            "architecture",
            "architectureOrLandscape",
            "architecture or landscape",
        ],
        "architecture or landscape",
    ),
    (&["materials"], "materials"),
    (&["light", "lighting"], "light"),
];

/// Whether `element` gets a card: every character and creature, and each place that recurs
/// (named in two chapters or more).
pub fn wants_card(element: &Element) -> bool {
    match element.kind {
        ElementKind::Character | ElementKind::Creature => true,
        ElementKind::Place => element.chapters.len() >= 2,
        ElementKind::Item => false,
    }
}

/// The card's one line from an answer's card object: every field labelled, in order, a missing
/// or empty one saying it is not described.
pub fn card_text(kind: ElementKind, card: &Value) -> String {
    let fields: &[(&[&str], &str)] = if kind == ElementKind::Place {
        &PLACE
    } else {
        &PERSON
    };
    fields
        .iter()
        .map(|(keys, label)| {
            let value = keys
                .iter()
                .find_map(|k| card.get(*k).and_then(Value::as_str))
                .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| NOT_DESCRIBED.to_string());
            format!("{label}: {}", value.trim_end_matches('.'))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Errors reading a cards answer.
#[derive(Debug, thiserror::Error)]
pub enum CardsJsonError {
    #[error(
        "appearance cards answer has no `cards` array; the model must answer {{\"cards\": [...]}}"
    )]
    NoArray,
}

/// The cards of an answer, by the index in `asked` of the element each is for (names compared
/// without case; a card for an element not asked about is dropped).
pub fn parse_cards(
    value: &Value,
    asked: &[&Element],
) -> Result<Vec<(usize, String)>, CardsJsonError> {
    let list =
        crate::analyze::entities_json::items(value, "cards").ok_or(CardsJsonError::NoArray)?;
    let mut out: Vec<(usize, String)> = Vec::new();
    for card in &list {
        let name = crate::analyze::entities_json::string_field(card, "name");
        let found = asked.iter().position(|e| {
            e.name.eq_ignore_ascii_case(&name)
                || e.aliases.iter().any(|a| a.eq_ignore_ascii_case(&name))
        });
        if let Some(i) = found
            && !out.iter().any(|(j, _)| *j == i)
        {
            out.push((i, card_text(asked[i].kind, card)));
        }
    }
    Ok(out)
}

/// Gives the elements of `catalogue` without a card the card an element of the same name (and
/// kind) had in `earlier`: a re-made cast keeps its cards, edits included, and asks for none again.
pub fn keep_cards(catalogue: &mut Catalogue, earlier: &[Element]) {
    for element in catalogue
        .elements
        .iter_mut()
        .filter(|e| e.appearance.is_empty())
    {
        if let Some(old) = earlier
            .iter()
            .find(|o| o.name == element.name && o.kind == element.kind && !o.appearance.is_empty())
        {
            element.appearance.clone_from(&old.appearance);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChapterNo;
    use serde_json::json;

    fn element(name: &str, kind: ElementKind, chapters: &[u32]) -> Element {
        Element {
            name: name.into(),
            kind,
            aliases: vec!["Lizzy".into()],
            description: String::new(),
            quotes: vec![],
            first_chapter: ChapterNo(1),
            chapters: chapters.iter().map(|c| ChapterNo(*c)).collect(),
            appearance: String::new(),
            details: Vec::new(),
        }
    }

    #[test]
    fn characters_creatures_and_recurring_places_get_cards() {
        assert!(wants_card(&element("A", ElementKind::Character, &[1])));
        assert!(wants_card(&element("B", ElementKind::Creature, &[1])));
        assert!(!wants_card(&element("C", ElementKind::Place, &[1])));
        assert!(wants_card(&element("D", ElementKind::Place, &[1, 4])));
        assert!(!wants_card(&element("E", ElementKind::Item, &[1, 2, 3])));
    }

    #[test]
    fn answers_become_fixed_lines_matched_to_the_elements_asked() {
        let liz = element("Elizabeth Bennet", ElementKind::Character, &[1]);
        let park = element("Pemberley", ElementKind::Place, &[40, 43]);
        let asked = [&liz, &park];
        let answer = json!({"cards": [
            {"name": "pemberley", "architecture": "large stone house", "light": ""},
            {"name": "Lizzy", "age": "about twenty", "eyes": "fine, dark.", "marks": "none"},
            {"name": "Mr. Nobody", "age": "old"},
        ]});
        let cards = parse_cards(&answer, &asked).unwrap();
        assert_eq!(cards.len(), 2);
        assert_eq!(
            cards[0],
            (
                1,
                "architecture or landscape: large stone house; materials: not described in the \
                 book; light: not described in the book"
                    .to_string()
            )
        );
        assert_eq!(
            cards[1].1,
            "apparent age: about twenty; build: not described in the book; hair: not described \
             in the book; eyes: fine, dark; skin: not described in the book; clothing: not \
             described in the book; distinguishing marks: none"
        );
        assert!(parse_cards(&json!({"x": 1}), &asked).is_err());
    }

    #[test]
    fn a_remade_cast_keeps_earlier_cards() {
        let mut old = element("Jane", ElementKind::Character, &[1]);
        old.appearance = "hair: fair".into();
        let mut catalogue = Catalogue {
            title: "T".into(),
            elements: vec![element("Jane", ElementKind::Character, &[1, 2])],
            partial_from: vec![],
        };
        keep_cards(&mut catalogue, &[old]);
        assert_eq!(catalogue.elements[0].appearance, "hair: fair");
    }
}
