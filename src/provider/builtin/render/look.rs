//! How the offline renderer draws a character: hair, clothing and skin colours and height read
//! from its appearance card, so it looks the same in its portrait and in every scene (the
//! colours are never mixed with a scene's palette). A field the card leaves open ("not
//! described in the book") falls back on a colour chosen from the name, the same every time.

use super::palette::Rgb;
use crate::provider::ElementBrief;

/// A character's fixed look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub clothes: Rgb,
    pub hair: Rgb,
    pub skin: Rgb,
    /// Relative to an average figure (1.0).
    pub height: f32,
}

/// Colour words of cards, the more specific first ("dark brown" is brown, not dark).
#[rustfmt::skip]
const COLOURS: &[(&str, Rgb)] = &[
    ("scarlet", Rgb(200, 30, 40)), ("crimson", Rgb(160, 20, 50)), ("red", Rgb(180, 40, 40)),
    ("auburn", Rgb(140, 60, 30)), ("chestnut", Rgb(120, 60, 30)), ("ginger", Rgb(200, 100, 40)),
    ("pink", Rgb(230, 150, 170)), ("orange", Rgb(230, 130, 40)),
    ("golden", Rgb(220, 180, 70)), ("gold", Rgb(220, 180, 70)),
    ("blonde", Rgb(230, 205, 130)), ("blond", Rgb(230, 205, 130)), ("flaxen", Rgb(235, 215, 150)),
    ("yellow", Rgb(235, 210, 60)), ("green", Rgb(40, 120, 60)), ("blue", Rgb(40, 70, 160)),
    ("navy", Rgb(25, 35, 90)), ("purple", Rgb(100, 40, 120)), ("violet", Rgb(120, 70, 160)),
    ("lavender", Rgb(180, 160, 210)), ("brown", Rgb(110, 70, 40)), ("grey", Rgb(130, 130, 135)),
    ("gray", Rgb(130, 130, 135)), ("silver", Rgb(190, 190, 200)), ("white", Rgb(240, 238, 230)),
    ("ivory", Rgb(240, 232, 210)), ("cream", Rgb(240, 228, 200)), ("black", Rgb(25, 22, 25)),
    ("dark", Rgb(45, 35, 30)), ("fair", Rgb(230, 205, 130)),
];

/// Skin words, the more specific first.
#[rustfmt::skip]
const SKINS: &[(&str, Rgb)] = &[
    ("olive", Rgb(198, 160, 110)), ("swarthy", Rgb(160, 110, 75)), ("tanned", Rgb(200, 150, 110)),
    ("brown", Rgb(140, 95, 60)), ("dark", Rgb(110, 75, 50)), ("ruddy", Rgb(225, 160, 140)),
    ("pale", Rgb(245, 222, 205)), ("fair", Rgb(240, 212, 190)),
];

const DEFAULT_SKIN: Rgb = Rgb(232, 196, 170);

/// Clothing when the card does not say, by name.
const CLOTHES: [Rgb; 6] = [
    Rgb(40, 60, 120),
    Rgb(120, 30, 40),
    Rgb(30, 90, 70),
    Rgb(200, 190, 170),
    Rgb(90, 60, 110),
    Rgb(60, 50, 40),
];

/// Hair when the card does not say, by name.
const HAIR: [Rgb; 4] = [
    Rgb(45, 35, 30),
    Rgb(110, 70, 40),
    Rgb(200, 170, 100),
    Rgb(130, 130, 135),
];

/// The look of `person` from its card (its description when it has none).
pub fn look(person: &ElementBrief) -> Look {
    let card = if person.appearance.trim().is_empty() {
        person.description.as_str()
    } else {
        person.appearance.as_str()
    };
    let h = name_hash(&person.name);
    let clothes = field(card, "clothing")
        .and_then(|t| first_word_of(t, COLOURS))
        .unwrap_or(CLOTHES[h % CLOTHES.len()]);
    let hair = field(card, "hair")
        .and_then(|t| first_word_of(t, COLOURS))
        .unwrap_or(HAIR[(h / 7) % HAIR.len()]);
    let skin = field(card, "skin")
        .and_then(|t| first_word_of(t, SKINS))
        .unwrap_or(DEFAULT_SKIN);
    let height = field(card, "build").map_or(1.0, height_of);
    Look {
        clothes,
        hair,
        skin,
        height,
    }
}

/// The text of a card's field (`label: text;`), `None` when absent or not described.
fn field<'a>(card: &'a str, label: &str) -> Option<&'a str> {
    card.split(';').find_map(|part| {
        let (key, value) = part.split_once(':')?;
        let value = value.trim();
        (key.trim().eq_ignore_ascii_case(label)
            && !value.is_empty()
            && !value.contains(crate::analyze::cards::NOT_DESCRIBED))
        .then_some(value)
    })
}

/// The colour of the listed word that comes first in `text` (whole words, any case); a shade
/// followed by a colour word names that colour ("dark brown" is brown).
fn first_word_of(text: &str, words: &[(&str, Rgb)]) -> Option<Rgb> {
    let lower = text.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let colour = |token: &str| words.iter().find(|(w, _)| *w == token).map(|(_, rgb)| *rgb);
    for (i, token) in tokens.iter().enumerate() {
        let Some(rgb) = colour(token) else {
            continue;
        };
        let shade = matches!(*token, "dark" | "fair" | "pale");
        let named = tokens.get(i + 1).and_then(|next| colour(next));
        return Some(if shade { named.unwrap_or(rgb) } else { rgb });
    }
    None
}

/// Tall, short or average from the build field.
fn height_of(build: &str) -> f32 {
    let lower = build.to_lowercase();
    let has = |words: &[&str]| {
        lower
            .split(|c: char| !c.is_alphabetic())
            .any(|w| words.contains(&w))
    };
    if has(&["tall", "towering", "lanky", "lofty"]) {
        1.15
    } else if has(&["short", "small", "little", "petite", "diminutive", "slight"]) {
        0.85
    } else {
        1.0
    }
}

fn name_hash(name: &str) -> usize {
    name.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ElementKind;

    fn person(card: &str) -> ElementBrief {
        ElementBrief {
            name: "Mr. Darcy".into(),
            kind: ElementKind::Character,
            description: String::new(),
            appearance: card.into(),
        }
    }

    #[test]
    fn the_card_gives_the_colours_and_the_height() {
        let l = look(&person(
            "apparent age: about 28; build: tall; hair: dark brown; eyes: not described in the book; skin: pale; clothing: a blue coat and white cravat",
        ));
        assert_eq!(l.clothes, Rgb(40, 70, 160));
        assert_eq!(l.hair, Rgb(110, 70, 40), "dark brown is brown");
        assert_eq!(l.skin, Rgb(245, 222, 205));
        assert!(l.height > 1.0);
    }

    #[test]
    fn an_open_field_falls_back_on_the_name_every_time() {
        let open = "build: not described in the book; clothing: not described in the book";
        let a = look(&person(open));
        assert_eq!(a, look(&person(open)));
        assert_eq!(a.height, 1.0);
        assert_eq!(a.skin, DEFAULT_SKIN);
    }
}
