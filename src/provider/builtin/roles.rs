//! Finds the people a chapter names only by what they are ("the chief clerk", "the charwoman",
//! "the three gentlemen", "the emperor"): a definite article, at most one modifier, and a noun
//! the chapter treats as a person, repeated often enough to be someone the chapter follows.
//! A noun of the fixed list of occupations needs only the repetition; any other noun must also
//! act as a person: the subject of a verb of speech, command or feeling ("the emperor said",
//! "the emperor commanded"), the one spoken to ("said to the emperor", "told the clerk") or the
//! antecedent of "who". Nouns for anyone ("the man", "the lady") never count, and a role the
//! chapter already gives to a named person ("Captain Smollett" and "the captain") stays his.

use super::lexicon;
use super::sentences::{Doc, Token};
use std::collections::{HashMap, HashSet};

/// Fewest mentions of a role in a chapter before it counts as a character.
const MIN_MENTIONS: usize = 4;

/// Fewest mentions where a noun outside the occupations list acts as a person.
const MIN_PERSON_EVIDENCE: usize = 2;

/// Mentions in a chapter after which one act as a person is enough: a noun the chapter says
/// this often is someone or something it follows, and acting as a person decides which.
const OFTEN: usize = 10;

/// Verbs before "the X" that make X the one spoken to or ordered ("told the clerk").
const ADDRESS_VERBS: &[&str] = &[
    "said",
    "cried",
    "replied",
    "answered",
    "exclaimed",
    "whispered",
    "shouted",
    "told",
    "thanked",
    "ordered",
    "commanded",
    "informed",
    "assured",
    "begged",
    "obeyed",
    "besought",
];

/// A person named by role, with the phrases used for them and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// The most used phrase, with its article ("the chief clerk").
    pub name: String,
    pub aliases: Vec<String>,
    pub sentences: Vec<usize>,
}

/// One mention of a possible role: its phrase, head noun and the token after it.
struct Mention {
    phrase: String,
    head: String,
    end: usize,
    /// An occupation of the list or a counted group ("the three gentlemen"): a person without
    /// further evidence.
    listed: bool,
    /// Written as an owner ("the emperor's").
    owns: bool,
}

fn lower(t: &Token) -> String {
    t.word.to_lowercase()
}

/// A role-like noun: on the occupations list, or a lower-case noun that may name a person.
fn candidate(word: &str) -> bool {
    lexicon::is_role(&word.to_lowercase()) || lexicon::may_be_role(word)
}

/// "emperor's" → ("emperor", true): English gives the `'s` genitive mostly to people, so an
/// owner is evidence of a person.
fn possessive(word: &str) -> (&str, bool) {
    match word
        .strip_suffix("'s")
        .or_else(|| word.strip_suffix("\u{2019}s"))
    {
        Some(stem) => (stem, true),
        None => (word, false),
    }
}

/// The phrase for a role mention starting at the article `i`.
fn phrase_at(tokens: &[Token], i: usize) -> Option<Mention> {
    let article = tokens.get(i)?;
    if !article.word.eq_ignore_ascii_case("the") {
        return None;
    }
    let next = tokens
        .get(i + 1)
        .filter(|t| t.sentence == article.sentence)?;
    // "the middle gentleman": a word before a noun for a person is that noun's modifier.
    let before_a_person = tokens
        .get(i + 2)
        .is_some_and(|t| t.sentence == article.sentence && lexicon::is_person_noun(&lower(t)));
    let (word, owns) = possessive(next.word);
    if candidate(word) && !before_a_person {
        let head = word.to_lowercase();
        return Some(Mention {
            phrase: format!("the {head}"),
            listed: lexicon::is_role(&head),
            head,
            end: i + 2,
            owns,
        });
    }
    let head = tokens
        .get(i + 2)
        .filter(|t| t.sentence == article.sentence)?;
    let (word, owns) = possessive(head.word);
    let (modifier, noun) = (lower(next), word.to_lowercase());
    let counted = lexicon::is_number_word(&modifier) && lexicon::is_group_noun(&noun);
    let modified = lexicon::is_role_modifier(&modifier) && candidate(word);
    (counted || modified).then(|| Mention {
        phrase: format!("the {modifier} {noun}"),
        listed: counted || lexicon::is_role(&noun),
        head: noun,
        end: i + 3,
        owns,
    })
}

/// Whether the mention from article `i` to `end` shows its noun acting or addressed as a person.
fn acts_as_person(tokens: &[Token], i: usize, end: usize) -> bool {
    let sentence = tokens[i].sentence;
    let word_at = |k: usize| {
        tokens
            .get(k)
            .filter(|t| t.sentence == sentence)
            .map(|t| t.word.to_lowercase())
    };
    let after = word_at(end).is_some_and(|w| {
        lexicon::SPEECH_VERBS.contains(&w.as_str())
            || lexicon::PERSON_VERBS.contains(&w.as_str())
            || matches!(w.as_str(), "who" | "whom" | "whose" | "himself" | "herself")
    });
    let before = i.checked_sub(1).and_then(word_at);
    let addressed = before.as_deref().is_some_and(|w| {
        ADDRESS_VERBS.contains(&w)
            || w == "to"
                && i.checked_sub(2)
                    .and_then(word_at)
                    .is_some_and(|v| lexicon::SPEECH_VERBS.contains(&v.as_str()))
    });
    after || addressed
}

/// Whether the mention from article `i` to `end` is a speaker: "the robin said", "said the
/// robin". An animal named by its species is a creature unless the chapter gives it lines.
fn speaks(tokens: &[Token], i: usize, end: usize) -> bool {
    let sentence = tokens[i].sentence;
    let speech = |k: Option<usize>| {
        k.and_then(|k| tokens.get(k)).is_some_and(|t| {
            t.sentence == sentence && lexicon::SPEECH_VERBS.contains(&lower(t).as_str())
        })
    };
    speech(Some(end)) || speech(i.checked_sub(1))
}

/// "Wood, the carpenter", "the carpenter, Mr. Wood", "the artist himself, Basil Hallward": the
/// mention from `i` to `end` stands beside a named person's name, so the role is theirs.
fn beside_a_name(doc: &Doc, i: usize, end: usize, taken: &HashSet<String>) -> bool {
    let tokens = &doc.tokens;
    let sentence = tokens[i].sentence;
    let named = |k: usize| {
        tokens.get(k).is_some_and(|t| {
            t.sentence == sentence
                && t.word.starts_with(|c: char| c.is_uppercase())
                && taken.contains(&t.word.trim_end_matches('.').to_lowercase())
        })
    };
    // Only a bare comma between the two, so a vocative in a quotation is not apposition.
    let comma_between = |a: usize, b: usize| {
        tokens
            .get(b)
            .is_some_and(|second| doc.text[tokens[a].end..second.start].trim() == ",")
    };
    let reflexive = tokens
        .get(end)
        .is_some_and(|t| matches!(t.word, "himself" | "herself"));
    let last = end - 1 + usize::from(reflexive);
    let before = i
        .checked_sub(1)
        .is_some_and(|p| named(p) && comma_between(p, i));
    before || named(last + 1) && comma_between(last, last + 1)
}

/// Mentions of one head noun in a chapter.
#[derive(Default)]
struct Tally {
    phrases: HashMap<String, usize>,
    sentences: Vec<usize>,
    as_person: usize,
    /// Mentions as a speaker.
    speaks: usize,
    listed: bool,
    /// Mentions in apposition to a named person.
    beside_a_name: usize,
}

/// The chapter's people named by role, most mentioned first. `taken` holds the lower-case words
/// of the chapter's named people and their titles: a role among them belongs to that person.
pub fn find_roles(doc: &Doc, taken: &HashSet<String>) -> Vec<Role> {
    let mut by_head: HashMap<String, Tally> = HashMap::new();
    for i in 0..doc.tokens.len() {
        let Some(m) = phrase_at(&doc.tokens, i) else {
            continue;
        };
        let person = m.owns || acts_as_person(&doc.tokens, i, m.end);
        let named = beside_a_name(doc, i, m.end, taken);
        let entry = by_head.entry(m.head).or_default();
        entry.beside_a_name += usize::from(named);
        entry.listed |= m.listed;
        *entry.phrases.entry(m.phrase).or_insert(0) += 1;
        entry.sentences.push(doc.tokens[i].sentence);
        entry.as_person += usize::from(person);
        entry.speaks += usize::from(speaks(&doc.tokens, i, m.end));
    }
    let mut roles: Vec<(usize, Role)> = by_head
        .into_iter()
        .filter(|(head, t)| {
            let needed = if t.sentences.len() >= OFTEN {
                1
            } else {
                MIN_PERSON_EVIDENCE
            };
            let evidence = t.listed || t.as_person >= needed;
            // An epithet: set beside the name in a quarter of its mentions or more.
            let theirs = taken.contains(head) || t.beside_a_name * 4 >= t.sentences.len();
            // "the robin" hops, sings and owns its nest as a person would, yet is a creature.
            let animal = lexicon::species_class(head).is_some() && t.speaks < MIN_PERSON_EVIDENCE;
            t.sentences.len() >= MIN_MENTIONS && evidence && !theirs && !animal
        })
        .map(|(_, t)| {
            let mut ranked: Vec<(String, usize)> = t.phrases.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let count = t.sentences.len();
            let mut sentences = t.sentences;
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
    fn an_animal_named_by_its_species_is_no_character_unless_it_speaks() {
        let silent = "The robin's nest was there. The robin hopped to Mary. Mary fed the robin. \
                      The robin's song rang. Then the robin flew.";
        assert!(find_roles(&Doc::new(silent), &HashSet::new()).is_empty());
        let talking = "“Come,” said the robin. The robin's nest was there. “Go,” the robin \
                       said. Then the robin flew.";
        let roles = find_roles(&Doc::new(talking), &HashSet::new());
        assert_eq!(roles.len(), 1, "{roles:?}");
        assert_eq!(roles[0].name, "the robin");
    }

    #[test]
    fn repeated_roles_become_characters_under_their_usual_phrase() {
        let text = "The chief clerk came. The chief clerk spoke. Then the clerk left. \
                    He called the chief clerk back. The three gentlemen ate. The three \
                    gentlemen rose. The three gentlemen stood. The three gentlemen went. \
                    The door opened. The door shut.";
        let roles = find_roles(&Doc::new(text), &HashSet::new());
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["the chief clerk", "the three gentlemen"]);
        assert_eq!(roles[0].aliases, ["the clerk"]);
    }

    #[test]
    fn a_role_named_once_or_twice_is_not_a_character() {
        let roles = find_roles(
            &Doc::new("The doctor came. The doctor left. The maid wept."),
            &HashSet::new(),
        );
        assert!(roles.is_empty(), "{roles:?}");
    }

    #[test]
    fn a_noun_that_speaks_and_commands_is_a_character_by_role() {
        let text = "The emperor said nothing. Then the emperor commanded silence. \
                    I bowed to the emperor. The emperor, who was tall, rode off. \
                    The door opened. The door shut. The door opened. The door shut.";
        let roles = find_roles(&Doc::new(text), &HashSet::new());
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["the emperor"]);
    }

    #[test]
    fn a_noun_mentioned_often_without_acting_as_a_person_is_no_character() {
        let text = "The palace of the emperor stood high. I saw the emperor at a distance. \
                    Men spoke of the emperor. We met the emperor twice. The emperor rode \
                    by. The emperor said nothing.";
        let roles = find_roles(&Doc::new(text), &HashSet::new());
        assert!(roles.is_empty(), "{roles:?}");
    }

    #[test]
    fn a_noun_for_anyone_is_no_character_however_much_it_speaks() {
        let text = "The man said no. The man smiled. The man laughed. The man nodded.";
        let roles = find_roles(&Doc::new(text), &HashSet::new());
        assert!(roles.is_empty(), "{roles:?}");
    }

    #[test]
    fn a_role_a_named_person_holds_stays_with_that_person() {
        let text = "The emperor said go. The emperor smiled. The emperor nodded. \
                    The emperor laughed.";
        let taken: HashSet<String> = ["emperor".to_string(), "lothar".to_string()].into();
        assert!(find_roles(&Doc::new(text), &taken).is_empty());
        assert_eq!(find_roles(&Doc::new(text), &HashSet::new()).len(), 1);
    }

    #[test]
    fn a_role_beside_a_name_is_that_persons() {
        let text = "Wood, the carpenter, came in. The carpenter said no. The carpenter \
                    smiled. The carpenter nodded.";
        let taken: HashSet<String> = ["wood".to_string()].into();
        assert!(find_roles(&Doc::new(text), &taken).is_empty());
        assert_eq!(find_roles(&Doc::new(text), &HashSet::new()).len(), 1);
    }

    #[test]
    fn an_owner_named_by_role_acts_as_a_person() {
        let text = "The abbot's robe was grey. The abbot's voice rose. We saw the abbot. \
                    Nobody followed the abbot.";
        let roles = find_roles(&Doc::new(text), &HashSet::new());
        assert_eq!(roles.len(), 1, "{roles:?}");
        assert_eq!(roles[0].name, "the abbot");
    }

    #[test]
    fn a_noun_the_chapter_says_often_needs_one_act_as_a_person() {
        let once = "The emperor rode by. ".repeat(9) + "The emperor commanded it.";
        assert_eq!(find_roles(&Doc::new(&once), &HashSet::new()).len(), 1);
        let never = "The emperor rode by. ".repeat(10);
        assert!(find_roles(&Doc::new(&never), &HashSet::new()).is_empty());
    }
}
