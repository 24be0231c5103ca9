//! Name normalisation for merging: case, punctuation, possessives and honorifics.

/// Honorifics and titles, normalised (lowercase, no full stop).
const HONORIFICS: [&str; 16] = [
    "mr", "mrs", "miss", "ms", "mister", "missus", "lady", "lord", "sir", "dame", "dr", "doctor",
    "colonel", "captain", "master", "madam",
];

/// Words that stand before a name without being a given name ("uncle scrooge", "king william",
/// "old fezziwig"), normalised.
const TITLE_WORDS: &[&str] = &[
    "uncle",
    "aunt",
    "king",
    "queen",
    "prince",
    "princess",
    "father",
    "mother",
    "sister",
    "brother",
    "saint",
    "st",
    "general",
    "major",
    "professor",
    "reverend",
    "rev",
    "judge",
    "widow",
    "old",
    "young",
    "little",
    "poor",
    "dear",
    "good",
];

/// Whether `word` (normalised) is a title or a plain epithet rather than a given name.
pub fn is_title_word(word: &str) -> bool {
    HONORIFICS.contains(&word) || TITLE_WORDS.contains(&word)
}

/// Lowercase words without punctuation or possessive `'s`: "Mr. Darcy's" → "mr darcy".
pub fn normalise(name: &str) -> String {
    let words: Vec<String> = name
        .split_whitespace()
        .map(|w| {
            let w = w.replace('\u{2019}', "'");
            let w = w.strip_suffix("'s").unwrap_or(&w).to_string();
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        })
        .filter(|w: &String| !w.is_empty())
        .collect();
    words.join(" ")
}

/// Splits a normalised name into its honorific (if any) and the rest: "mrs bennet" →
/// (Some("mrs"), "bennet").
pub fn split_honorific(normalised: &str) -> (Option<&str>, &str) {
    match normalised.split_once(' ') {
        Some((first, rest)) if HONORIFICS.contains(&first) => (Some(first), rest),
        _ => (None, normalised),
    }
}

/// Fewest letters of a pet form's stem: "Duns" of "Dunsey", "Will" of "Willie"; "Ann" of
/// "Annie" or "Har" of "Harry" would match too many other names.
const MIN_PET_STEM: usize = 4;

/// The stem of a given name made a pet form by "-ie", "-ey" or a doubled consonant and "-y"
/// ("dunsey" → "duns", "willie" → "will", "johnny" → "john"), normalised. Not "henry" or
/// "emily", which are names of their own.
pub fn pet_stem(given: &str) -> Option<&str> {
    let stem = given
        .strip_suffix("ie")
        .or_else(|| given.strip_suffix("ey"))
        .or_else(|| {
            let stem = given.strip_suffix('y')?;
            let mut last = stem.chars().rev();
            let (a, b) = (last.next()?, last.next()?);
            (a == b && !"aeiou".contains(a)).then(|| &stem[..stem.len() - a.len_utf8()])
        })?;
    (stem.chars().count() >= MIN_PET_STEM).then_some(stem)
}

/// Whether one normalised given name is the other's pet form: its stem starts the other, which
/// is at least two letters longer ("dunsey" / "dunstan", "willie" / "william").
pub fn is_pet_form(a: &str, b: &str) -> bool {
    let one_way = |pet: &str, full: &str| {
        pet_stem(pet).is_some_and(|stem| {
            full.starts_with(stem) && full.chars().count() >= stem.chars().count() + 2
        }) && pet != full
    };
    one_way(a, b) || one_way(b, a)
}

/// The stems a given name is met under as a pet form: a pet form's own stem ("dunsey" →
/// "duns"), or the starts of a full name a pet form could shorten ("dunstan" → "duns",
/// "dunst"). Two names sharing one may be one person; `conflict` has the last word.
pub fn pet_stems(given: &str) -> Vec<&str> {
    if let Some(stem) = pet_stem(given) {
        return vec![stem];
    }
    let ends: Vec<usize> = given.char_indices().map(|(i, _)| i).collect();
    let longest = ends.len().saturating_sub(2);
    (MIN_PET_STEM..=longest)
        .map(|k| &given[..ends[k]])
        .collect()
}

/// True when two normalised names certainly denote different people: different honorifics on the
/// same rest ("mr bennet" / "mrs bennet"), or different given names on the same surname
/// ("jane bennet" / "elizabeth bennet").
pub fn conflict(a: &str, b: &str) -> bool {
    // "ghost of christmas past" / "ghost of christmas present": an "of" part names whom.
    let of_part = |n: &str| n.split_once(" of ").map(|(_, tail)| tail.to_string());
    if let (Some(x), Some(y)) = (of_part(a), of_part(b))
        && x != y
    {
        return true;
    }
    let (ha, ra) = split_honorific(a);
    let (hb, rb) = split_honorific(b);
    if let (Some(ha), Some(hb)) = (ha, hb)
        && ha != hb
        && ra == rb
    {
        return true;
    }
    match (ra.rsplit_once(' '), rb.rsplit_once(' ')) {
        (Some((ga, sa)), Some((gb, sb))) => {
            // "dunsey cass" is "dunstan cass", as his brother calls him.
            sa == sb && ga != gb && !is_pet_form(ga, gb) && ha.is_none() && hb.is_none()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_punctuation_and_possessives() {
        assert_eq!(normalise("Mr. Darcy's"), "mr darcy");
        assert_eq!(normalise("  MR  DARCY\u{2019}s "), "mr darcy");
        assert_eq!(
            normalise("Lady Catherine de Bourgh"),
            "lady catherine de bourgh"
        );
    }

    #[test]
    fn splits_honorifics() {
        assert_eq!(split_honorific("mrs bennet"), (Some("mrs"), "bennet"));
        assert_eq!(split_honorific("jane bennet"), (None, "jane bennet"));
    }

    #[test]
    fn a_pet_form_is_the_same_given_name() {
        assert_eq!(pet_stem("dunsey"), Some("duns"));
        assert_eq!(pet_stem("johnny"), Some("john"));
        assert_eq!(pet_stem("henry"), None);
        assert_eq!(pet_stem("harry"), None);
        assert_eq!(pet_stem("annie"), None);
        assert!(is_pet_form("dunsey", "dunstan"));
        assert!(is_pet_form("william", "willie"));
        assert!(!is_pet_form("henry", "henrietta"));
        assert!(!conflict("dunsey cass", "dunstan cass"));
        assert!(conflict("dunstan cass", "dunsford cass"));
        assert!(conflict("henry crawford", "henrietta crawford"));
        assert_eq!(pet_stems("dunstan"), ["duns", "dunst"]);
        assert_eq!(pet_stems("dunsey"), ["duns"]);
        assert!(pet_stems("john").is_empty());
    }

    #[test]
    fn detects_different_people() {
        assert!(conflict("mr bennet", "mrs bennet"));
        assert!(conflict("jane bennet", "elizabeth bennet"));
        assert!(!conflict("mr darcy", "darcy"));
        assert!(!conflict("jane bennet", "miss bennet"));
        assert!(conflict(
            "ghost of christmas past",
            "ghost of christmas present"
        ));
    }
}
