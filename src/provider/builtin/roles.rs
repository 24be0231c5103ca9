//! Finds the people a chapter names only by what they do ("the chief clerk", "the charwoman",
//! "the three gentlemen"): a definite article, at most one modifier, and a noun for a person's
//! occupation, repeated often enough to be someone the chapter follows.

use super::lexicon;
use super::sentences::{Doc, Token};
use std::collections::HashMap;

/// Fewest mentions of a role in a chapter before it counts as a character.
const MIN_MENTIONS: usize = 4;

/// A person named by role, with the phrases used for them and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// The most used phrase, with its article ("the chief clerk").
    pub name: String,
    pub aliases: Vec<String>,
    pub sentences: Vec<usize>,
}

/// The phrase for a role mention starting at the article `i`, and its head noun.
fn phrase_at(tokens: &[Token], i: usize) -> Option<(String, String)> {
    let article = tokens.get(i)?;
    if !article.word.eq_ignore_ascii_case("the") {
        return None;
    }
    let next = tokens.get(i + 1)?;
    let same = |t: &Token| t.sentence == article.sentence;
    let lower = |t: &Token| t.word.to_lowercase();
    if same(next) && lexicon::is_role(&lower(next)) {
        return Some((format!("the {}", lower(next)), lower(next)));
    }
    let head = tokens.get(i + 2).filter(|t| same(t))?;
    let (modifier, noun) = (lower(next), lower(head));
    let counted = lexicon::is_number_word(&modifier) && lexicon::is_group_noun(&noun);
    let modified = lexicon::is_role_modifier(&modifier) && lexicon::is_role(&noun);
    (same(next) && (counted || modified)).then(|| (format!("the {modifier} {noun}"), noun))
}

/// The chapter's people named by role, most mentioned first.
pub fn find_roles(doc: &Doc) -> Vec<Role> {
    let mut by_head: HashMap<String, (HashMap<String, usize>, Vec<usize>)> = HashMap::new();
    for i in 0..doc.tokens.len() {
        let Some((phrase, head)) = phrase_at(&doc.tokens, i) else {
            continue;
        };
        let entry = by_head.entry(head).or_default();
        *entry.0.entry(phrase).or_insert(0) += 1;
        entry.1.push(doc.tokens[i].sentence);
    }
    let mut roles: Vec<(usize, Role)> = by_head
        .into_values()
        .filter(|(_, sentences)| sentences.len() >= MIN_MENTIONS)
        .map(|(phrases, mut sentences)| {
            let mut ranked: Vec<(String, usize)> = phrases.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let count = sentences.len();
            sentences.dedup();
            let mut names = ranked.into_iter().map(|(p, _)| p);
            let name = names.next().unwrap_or_default();
            let role = Role {
                name,
                aliases: names.collect(),
                sentences,
            };
            (count, role)
        })
        .collect();
    roles.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    roles.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_roles_become_characters_under_their_usual_phrase() {
        let text = "The chief clerk came. The chief clerk spoke. Then the clerk left. \
                    He called the chief clerk back. The three gentlemen ate. The three \
                    gentlemen rose. The three gentlemen stood. The three gentlemen went. \
                    The door opened. The door shut.";
        let roles = find_roles(&Doc::new(text));
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["the chief clerk", "the three gentlemen"]);
        assert_eq!(roles[0].aliases, ["the clerk"]);
    }

    #[test]
    fn a_role_named_once_or_twice_is_not_a_character() {
        let roles = find_roles(&Doc::new(
            "The doctor came. The doctor left. The maid wept.",
        ));
        assert!(roles.is_empty(), "{roles:?}");
    }
}
