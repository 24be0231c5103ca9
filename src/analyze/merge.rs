//! Merging per-chapter pass 1 results into one `Catalogue`: duplicates found through shared
//! normalised names and aliases, never joining names that denote different people.

use crate::analyze::entities_json::RawEntity;
use crate::analyze::model::{Catalogue, Element, ElementQuote};
use crate::analyze::names::{
    conflict, is_title_word, normalise, pet_stem, pet_stems, split_honorific,
};
use crate::analyze::quotes::{ChapterText, QuoteCheck};
use crate::analyze::reference_quotes::{self, Scored, scored_chapters};
use crate::ids::ChapterNo;
use crate::provider::ElementKind;
use std::collections::{BTreeMap, HashMap};

/// Most reference quotes kept per element.
const MAX_QUOTES: usize = 3;

/// One raw entity with where it was seen.
struct Seen<'a> {
    chapter: ChapterNo,
    order: usize,
    raw: &'a RawEntity,
}

/// Merges every chapter's raw entities. `texts` (the chapters, tokenised) is used to keep only
/// quotes that are in the book (re-anchored to the book's words); a chapter missing from it
/// keeps no quotes.
pub fn merge(
    title: &str,
    per_chapter: &[(ChapterNo, Vec<RawEntity>)],
    texts: &BTreeMap<ChapterNo, ChapterText<'_>>,
) -> Catalogue {
    let mut seen: Vec<Seen> = Vec::new();
    let mut sorted: Vec<&(ChapterNo, Vec<RawEntity>)> = per_chapter.iter().collect();
    sorted.sort_by_key(|(c, _)| *c);
    for (chapter, raws) in sorted {
        for raw in raws {
            let order = seen.len();
            seen.push(Seen {
                chapter: *chapter,
                order,
                raw,
            });
        }
    }
    let groups = group(&seen);
    let scored = scored_chapters(texts);
    let useful: Vec<Vec<&Seen>> = groups
        .into_iter()
        .map(|members| members.iter().map(|&i| &seen[i]).collect::<Vec<&Seen>>())
        .filter(|members| is_useful(members) && !only_the_books_title(members, title, texts))
        .collect();
    let mut elements = build_all(&useful, texts, &scored);
    leave_bare_surnames_to_the_men(&mut elements);
    elements.sort_by(|(oa, a), (ob, b)| {
        (a.kind, a.first_chapter, *oa, &a.name).cmp(&(b.kind, b.first_chapter, *ob, &b.name))
    });
    Catalogue {
        title: title.to_string(),
        elements: elements.into_iter().map(|(_, e)| e).collect(),
        partial_from: Vec::new(),
    }
}

/// Builds every element from its group and chooses its quotes, the groups split between the
/// machine's cores (up to 4): the merge runs between pass 1's last answer and pass 2's first
/// request, and scanning the book for each element's quotes is most of it. The elements come
/// back in the groups' order, as one thread would give them.
fn build_all(
    groups: &[Vec<&Seen>],
    texts: &BTreeMap<ChapterNo, ChapterText>,
    scored: &BTreeMap<ChapterNo, Scored>,
) -> Vec<(usize, Element)> {
    let one = |members: &Vec<&Seen>| {
        let (order, mut element) = build(members, texts);
        choose_quotes(&mut element, scored);
        (order, element)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads < 2 || groups.len() < 2 * MIN_PER_THREAD {
        return groups.iter().map(one).collect();
    }
    let share = groups.len().div_ceil(threads).max(MIN_PER_THREAD);
    std::thread::scope(|scope| {
        let parts: Vec<_> = groups
            .chunks(share)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Fewest groups worth a thread of their own.
const MIN_PER_THREAD: usize = 32;

/// Titles of a man, normalised: the bare surname is his ("Bingley" is Mr. Bingley).
const MALE_TITLES: &[&str] = &[
    "mr", "mister", "sir", "lord", "dr", "doctor", "colonel", "captain",
];

/// A chapter without Mr. Bingley gives the bare "Bingley" to Miss Bingley; over the book the bare
/// surname is the man's, so a woman's element does not keep it as an alias.
fn leave_bare_surnames_to_the_men(elements: &mut [(usize, Element)]) {
    let men: Vec<String> = elements
        .iter()
        .flat_map(|(_, e)| std::iter::once(&e.name).chain(&e.aliases))
        .filter_map(|n| match split_honorific(&normalise(n)) {
            (Some(h), rest) if MALE_TITLES.contains(&h) && !rest.contains(' ') => {
                Some(rest.to_string())
            }
            _ => None,
        })
        .collect();
    for (_, e) in elements.iter_mut() {
        let name = normalise(&e.name);
        let (title, _) = split_honorific(&name);
        let womans = title.is_some_and(|h| !MALE_TITLES.contains(&h) && h != "master");
        if womans {
            e.aliases.retain(|a| !men.contains(&normalise(a)));
        }
    }
}

/// A normalised name or title without its leading article: "the vicar of wakefield" → "vicar
/// of wakefield".
fn without_article(normalised: &str) -> &str {
    ["the ", "a ", "an "]
        .iter()
        .find_map(|a| normalised.strip_prefix(a))
        .unwrap_or(normalised)
}

/// Whether the name `name` occurs in `texts` and every occurrence is on a line that is the book's
/// title and nothing else (a title page, a running head), `title` normalised without article.
fn only_on_title_lines(name: &str, title: &str, texts: &BTreeMap<ChapterNo, ChapterText>) -> bool {
    let mut seen = false;
    for text in texts.values().map(ChapterText::text) {
        for (at, _) in text.match_indices(name) {
            let start = text[..at].rfind('\n').map_or(0, |p| p + 1);
            let end = text[at..].find('\n').map_or(text.len(), |p| at + p);
            if without_article(&normalise(&text[start..end])) != title {
                return false;
            }
            seen = true;
        }
    }
    seen
}

/// "The Vicar of Wakefield" on the title page and above each chapter: the book naming itself,
/// not anyone in it. An element named like the book's title (articles aside) that the chapters
/// name only on lines holding the title alone is none of the cast. "Jane Eyre" or "Dracula",
/// titles the story's sentences use too, stay.
fn only_the_books_title(
    members: &[&Seen],
    title: &str,
    texts: &BTreeMap<ChapterNo, ChapterText>,
) -> bool {
    let title = normalise(title);
    let title = without_article(&title);
    !title.is_empty()
        && members.iter().all(|m| {
            without_article(&normalise(&m.raw.name)) == title
                && only_on_title_lines(&m.raw.name, title, texts)
        })
}

/// Fewest mentions over the whole book for an element, when the model counts them.
const MIN_MENTIONS: usize = 3;

/// Worth a place in Elements.md: named often enough over the whole book (a name said once in
/// each of three chapters is; a name from a character's past said twice is not), by the counts
/// of a model that gives them (the builtin); an element without counts is kept.
fn is_useful(members: &[&Seen]) -> bool {
    if members.iter().any(|m| m.raw.mentions == 0) {
        return true;
    }
    members.iter().map(|m| m.raw.mentions).sum::<usize>() >= MIN_MENTIONS
}

/// What the book's names say about each bare surname: the titles it is used with ("mr", "miss")
/// and the given names before it ("jacob" in "jacob marley").
#[derive(Default)]
struct Surname {
    titles: Vec<String>,
    given: Vec<String>,
}

impl Surname {
    /// Exactly one person can be meant by the bare surname: one given name, and no title but
    /// "Mr." ("Miss Bennet" may be any of the sisters, "Mrs. Cratchit" is Bob's wife).
    fn one_person(&self) -> bool {
        // "Master Scrooge" is the boy the man was: a man's titles both.
        self.titles.iter().all(|t| t == "mr" || t == "master") && self.given.len() <= 1
    }
}

/// Every name's surname facts, from all names and aliases of all chapters.
fn surnames(seen: &[Seen]) -> HashMap<String, Surname> {
    let mut out: HashMap<String, Surname> = HashMap::new();
    let add = |list: &mut Vec<String>, x: &str| {
        if !list.iter().any(|y| y == x) {
            list.push(x.to_string());
        }
    };
    for s in seen {
        for name in std::iter::once(&s.raw.name).chain(&s.raw.aliases) {
            let n = normalise(name);
            let (title, rest) = split_honorific(&n);
            if let Some(h) = title {
                add(&mut out.entry(rest.to_string()).or_default().titles, h);
            }
            if let Some((given, surname)) = rest.rsplit_once(' ')
                && !rest.contains(" of ")
                && !has_owner(name)
                && !given.split(' ').all(is_title_word)
            {
                add(
                    &mut out.entry(surname.to_string()).or_default().given,
                    given,
                );
            }
        }
    }
    out
}

/// Keys an entity answers to: its name and aliases, plus the bare name for an honorific name
/// when no other honorific claims the same bare name ("mr darcy" → "darcy", but not "bennet"),
/// and the bare surname of a full name when the book gives that surname one given name and no
/// title but "Mr." ("jacob marley" → "marley", joining "Mr. Marley"; not "jane bennet"), the
/// full name itself untitled or a man's plain "Mr." ("Sir William Thornhill" is not the "Mr
/// Thornhill" who is his nephew, nor "Miss Arabella Wilmot" her father "Mr Wilmot": another
/// title is another person).
fn keys(
    raw: &RawEntity,
    unambiguous: &HashMap<String, bool>,
    people: &HashMap<String, Surname>,
) -> Vec<String> {
    let mut out = Vec::new();
    for name in std::iter::once(&raw.name).chain(&raw.aliases) {
        let n = normalise(name);
        if n.is_empty() {
            continue;
        }
        let (title, rest) = split_honorific(&n);
        if title.is_some() && unambiguous.get(rest).copied().unwrap_or(false) {
            out.push(rest.to_string());
        }
        if raw.kind == ElementKind::Character
            && title.is_none_or(|t| matches!(t, "mr" | "master"))
            && !rest.contains(" of ")
            && !has_owner(name)
            && let Some((_, surname)) = rest.rsplit_once(' ')
            && people.get(surname).is_some_and(Surname::one_person)
        {
            out.push(surname.to_string());
        }
        // "Dunsey Cass" is "Dunstan Cass": a full name meets its pet form under a shared
        // stem ("pet:duns cass"); `group` drops a stem two full names share.
        out.extend(pet_keys(raw.kind, name));
        // "the Lucases" is the family of the Lucas the book names.
        if let Some(stem) = family_stem(&n)
            && people.contains_key(stem)
        {
            out.push(stem.to_string());
        }
        out.push(n);
    }
    out
}

/// The keys under which a person's untitled full name ("Dunstan Cass") and its pet form
/// ("Dunsey Cass") meet: "pet:" and each stem of the given name (`pet_stems`) with the surname.
fn pet_keys(kind: ElementKind, name: &str) -> Vec<String> {
    let n = normalise(name);
    let parts = n.split_once(' ').filter(|(given, surname)| {
        kind == ElementKind::Character
            && !surname.contains(' ')
            && !is_title_word(given)
            && !has_owner(name)
    });
    let Some((given, surname)) = parts else {
        return Vec::new();
    };
    pet_stems(given)
        .into_iter()
        .map(|stem| format!("pet:{stem} {surname}"))
        .collect()
}

/// Pet keys that two different full names (not pet forms) of the book both answer to:
/// "Dunsey Cass" beside "Dunstan Cass" and "Dunsford Cass" could be either, so joins neither.
fn shared_pet_keys(seen: &[Seen]) -> std::collections::HashSet<String> {
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for s in seen {
        for name in std::iter::once(&s.raw.name).chain(&s.raw.aliases) {
            let n = normalise(name);
            let full = n
                .split_once(' ')
                .is_some_and(|(g, _)| pet_stem(g).is_none());
            if !full {
                continue;
            }
            for key in pet_keys(s.raw.kind, name) {
                let list = by_key.entry(key).or_default();
                if !list.contains(&n) {
                    list.push(n.clone());
                }
            }
        }
    }
    by_key
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .map(|(key, _)| key)
        .collect()
}

/// "Marley's Ghost", "Scrooge's nephew": a possessive before the last word names an owner, not
/// a given name, so the last word is no surname.
fn has_owner(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    words.split_last().is_some_and(|(_, before)| {
        before
            .iter()
            .any(|w| w.ends_with("'s") || w.ends_with("\u{2019}s"))
    })
}

/// The head word of a name that has an owner or an "of" part: "ghost" for "Marley's Ghost" and
/// "Ghost of Christmas Past".
fn head_of(name: &str) -> Option<String> {
    let n = normalise(name);
    if let Some((head, _)) = n.split_once(" of ") {
        return (!head.contains(' ')).then(|| head.to_string());
    }
    has_owner(name).then(|| n.rsplit(' ').next().unwrap_or_default().to_string())
}

/// Heads shared by two or more different names in the book.
fn shared_heads(seen: &[Seen]) -> std::collections::HashSet<String> {
    let mut by_head: HashMap<String, Vec<String>> = HashMap::new();
    for s in seen {
        for name in std::iter::once(&s.raw.name).chain(&s.raw.aliases) {
            if let Some(head) = head_of(name) {
                let list = by_head.entry(head).or_default();
                let n = normalise(name);
                if !list.contains(&n) {
                    list.push(n);
                }
            }
        }
    }
    by_head
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .map(|(head, _)| head)
        .collect()
}

/// Nouns for the apparition of someone dead: "Marley's Ghost" is Marley.
const APPARITIONS: &[&str] = &[
    "ghost",
    "spirit",
    "shade",
    "phantom",
    "spectre",
    "specter",
    "wraith",
    "apparition",
];

/// The owner's key of an apparition's name: "Marley's Ghost" → "marley".
fn apparition_owner(name: &str) -> Option<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let [owner, noun] = words.as_slice() else {
        return None;
    };
    let owner = owner
        .strip_suffix("'s")
        .or_else(|| owner.strip_suffix("\u{2019}s"))?;
    APPARITIONS
        .contains(&noun.to_lowercase().as_str())
        .then(|| normalise(owner))
}

/// The surname a one-word plural stands for: "lucases" → "lucas", "cratchits" → "cratchit".
fn family_stem(name: &str) -> Option<&str> {
    if name.contains(' ') || name.ends_with("ss") {
        return None;
    }
    let sibilant =
        |s: &&str| s.ends_with(['s', 'x', 'z']) || s.ends_with("ch") || s.ends_with("sh");
    name.strip_suffix("es")
        .filter(sibilant)
        .or_else(|| name.strip_suffix('s'))
        .filter(|s| s.chars().count() > 2)
}

/// Union-find over entities sharing a key, refusing unions whose names conflict. Kind is not
/// part of the key: a name has one kind in a book, and a chapter that mistook a person for a
/// place must not make the person a second element.
fn group(seen: &[Seen]) -> Vec<Vec<usize>> {
    let mut honorifics: HashMap<String, Vec<String>> = HashMap::new();
    for s in seen {
        for name in std::iter::once(&s.raw.name).chain(&s.raw.aliases) {
            let n = normalise(name);
            if let (Some(h), rest) = split_honorific(&n) {
                let list = honorifics.entry(rest.to_string()).or_default();
                if !list.iter().any(|x| x == h) {
                    list.push(h.to_string());
                }
            }
        }
    }
    let unambiguous: HashMap<String, bool> = honorifics
        .into_iter()
        .map(|(k, v)| (k, v.len() == 1))
        .collect();
    let mut parent: Vec<usize> = (0..seen.len()).collect();
    let mut names: Vec<Vec<String>> = seen.iter().map(|s| vec![normalise(&s.raw.name)]).collect();
    let people = surnames(seen);
    let shared = shared_heads(seen);
    let shared_pets = shared_pet_keys(seen);
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, s) in seen.iter().enumerate() {
        let own = normalise(&s.raw.name);
        let mut list = keys(s.raw, &unambiguous, &people);
        // "Ghost" heads "the Ghost of Christmas Past" in one chapter and "Marley's Ghost" in
        // another: as an alias it names a different one in each, so it joins nothing; bare
        // "Ghost"s still join each other.
        list.retain(|k| !shared.contains(k) || *k == own);
        list.retain(|k| !shared_pets.contains(k));
        for k in list.iter_mut().filter(|k| shared.contains(*k)) {
            k.insert_str(0, "bare:");
        }
        list.extend(apparition_owner(&s.raw.name));
        for key in list {
            match owner.get(&key) {
                Some(&j) => union(&mut parent, &mut names, i, j),
                None => {
                    owner.insert(key, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..seen.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort_by_key(|g| g[0]);
    out
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], names: &mut [Vec<String>], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra == rb {
        return;
    }
    let clash = names[ra].iter().any(|x| {
        names[rb]
            .iter()
            .any(|y| conflict(x, y) || pet_and_title(x, y))
    });
    if clash {
        return;
    }
    let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[gone] = keep;
    // Each distinct name once: a character named in every chapter must not make every later
    // union compare hundreds of copies of the same name (quadratic in the book's length).
    for name in std::mem::take(&mut names[gone]) {
        if !names[keep].contains(&name) {
            names[keep].push(name);
        }
    }
}

/// "kitty" and "lady catherine de bourgh": a pet name is what family and friends call someone,
/// and a woman the book titles "Lady Catherine" is not called "Kitty", so the two are different
/// people even when a bare "Catherine" could be either.
fn pet_and_title(a: &str, b: &str) -> bool {
    let one_way = |pet: &str, titled: &str| {
        let full = pet_full_name(pet);
        let (title, rest) = split_honorific(titled);
        full.is_some_and(|f| rest.split(' ').next() == Some(f.as_str()))
            && title.is_some_and(|t| !matches!(t, "miss" | "mr" | "master"))
    };
    one_way(a, b) || one_way(b, a)
}

/// The full given name, normalised, behind a one-word pet name ("kitty" → "catherine").
fn pet_full_name(name: &str) -> Option<String> {
    if name.contains(' ') {
        return None;
    }
    let mut chars = name.chars();
    let capitalised: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    crate::provider::builtin::lexicon::full_name_of(&capitalised).map(str::to_lowercase)
}

/// The element's reference quotes, chosen from the book (the sentences naming it with the most
/// visual words, spread over its chapters); the model's own quotes, verified, only when the book
/// never names it as written.
fn choose_quotes(element: &mut Element, scored: &BTreeMap<ChapterNo, Scored>) {
    let mut names: Vec<&str> = vec![element.name.as_str()];
    names.extend(element.aliases.iter().map(String::as_str));
    let chosen = reference_quotes::choose(&names, &element.chapters, scored, MAX_QUOTES);
    if !chosen.is_empty() {
        element.quotes = chosen;
    }
}

/// Builds one element from its group: the most reported name (longest on ties), the longest
/// description, verified quotes, chapters ascending.
fn build(members: &[&Seen], texts: &BTreeMap<ChapterNo, ChapterText>) -> (usize, Element) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for m in members {
        *counts.entry(m.raw.name.as_str()).or_default() += 1;
    }
    let name = members
        .iter()
        .map(|m| m.raw.name.as_str())
        // "Jacob Marley", not "Marley's Ghost": an owner's name is not the element's.
        .max_by_key(|n| (!has_owner(n), counts[n], n.len()))
        .unwrap_or_default()
        .to_string();
    let canonical = normalise(&name);
    let mut aliases: Vec<String> = Vec::new();
    let mut alias_keys = vec![canonical];
    for m in members {
        for a in std::iter::once(&m.raw.name).chain(&m.raw.aliases) {
            let key = normalise(a);
            if !key.is_empty() && !alias_keys.contains(&key) {
                alias_keys.push(key);
                aliases.push(a.clone());
            }
        }
    }
    let kind = majority_kind(members);
    // A chapter that took the person for a place describes a place: the description comes from
    // a chapter that saw the element as what it is, when one did.
    let longest = |same_kind: bool| {
        members
            .iter()
            .filter(|m| !same_kind || m.raw.kind == kind)
            .map(|m| m.raw.description.trim())
            .max_by_key(|d| d.len())
            .unwrap_or_default()
    };
    let description = Some(longest(true))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| longest(false))
        .to_string();
    let mut quotes: Vec<ElementQuote> = Vec::new();
    for m in members {
        if quotes.len() >= MAX_QUOTES || m.raw.quote.is_empty() {
            continue;
        }
        let Some(text) = texts.get(&m.chapter) else {
            continue;
        };
        let (QuoteCheck::Exact(q) | QuoteCheck::Reanchored(q)) = text.verify(&m.raw.quote) else {
            continue;
        };
        if !quotes.iter().any(|x| x.text == q) {
            quotes.push(ElementQuote {
                chapter: m.chapter,
                text: q,
            });
        }
    }
    let mut chapters: Vec<ChapterNo> = members.iter().map(|m| m.chapter).collect();
    chapters.sort();
    chapters.dedup();
    let first_chapter = chapters.first().copied().unwrap_or(ChapterNo(1));
    let order = members.iter().map(|m| m.order).min().unwrap_or(0);
    (
        order,
        Element {
            name,
            kind,
            aliases,
            description,
            quotes,
            first_chapter,
            chapters,
            appearance: String::new(),
            details: Vec::new(),
        },
    )
}

/// The kind most chapters reported; on a tie, the kind reported first.
fn majority_kind(members: &[&Seen]) -> ElementKind {
    let mut votes: Vec<(ElementKind, usize)> = Vec::new();
    for m in members {
        match votes.iter_mut().find(|(k, _)| *k == m.raw.kind) {
            Some((_, n)) => *n += 1,
            None => votes.push((m.raw.kind, 1)),
        }
    }
    let best = votes.iter().map(|(_, n)| *n).max().unwrap_or(0);
    votes
        .into_iter()
        .find(|(_, n)| *n == best)
        .map_or(ElementKind::Item, |(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ElementKind;

    fn raw(name: &str, aliases: &[&str], description: &str, quote: &str) -> RawEntity {
        RawEntity {
            name: name.into(),
            kind: ElementKind::Character,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            description: description.into(),
            quote: quote.into(),
            mentions: 0,
        }
    }

    fn merged(input: &[(ChapterNo, Vec<RawEntity>)]) -> Catalogue {
        let owned = texts();
        let tokenised = owned
            .iter()
            .map(|(no, text)| (*no, ChapterText::new(text)))
            .collect();
        merge("T", input, &tokenised)
    }

    #[test]
    fn a_full_name_under_another_title_is_not_the_mr_of_its_surname() {
        let input = vec![
            (
                ChapterNo(1),
                vec![
                    raw("Sir William Thornhill", &[], "", ""),
                    raw("Mr Thornhill", &["Thornhill"], "", ""),
                    raw("Miss Arabella Wilmot", &[], "", ""),
                    raw("Mr Wilmot", &[], "", ""),
                ],
            ),
            (ChapterNo(2), vec![raw("Jacob Marley", &[], "", "")]),
            (ChapterNo(3), vec![raw("Mr. Marley", &[], "", "")]),
        ];
        let catalogue = merged(&input);
        let mut got = names(&catalogue);
        got.sort_unstable();
        assert_eq!(
            got,
            [
                "Jacob Marley",
                "Miss Arabella Wilmot",
                "Mr Thornhill",
                "Mr Wilmot",
                "Sir William Thornhill"
            ]
        );
    }

    #[test]
    fn the_books_title_on_lines_of_its_own_is_no_element() {
        let text = "The Vicar of Wakefield\n\nI was ever of opinion that Olivia was fair.\n\n\
                    THE VICAR OF WAKEFIELD\n";
        let texts = BTreeMap::from([(ChapterNo(1), ChapterText::new(text))]);
        let found = vec![(
            ChapterNo(1),
            vec![
                raw("Vicar of Wakefield", &[], "", ""),
                raw("Olivia", &[], "", ""),
            ],
        )];
        let catalogue = merge("The Vicar of Wakefield", &found, &texts);
        let names: Vec<&str> = catalogue.elements.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Olivia"]);
    }

    #[test]
    fn a_title_the_story_names_in_its_sentences_stays() {
        let text = "Jane Eyre\n\nJane Eyre sat in the window-seat.";
        let texts = BTreeMap::from([(ChapterNo(1), ChapterText::new(text))]);
        let found = vec![(ChapterNo(1), vec![raw("Jane Eyre", &[], "", "")])];
        let catalogue = merge("Jane Eyre", &found, &texts);
        assert_eq!(catalogue.elements.len(), 1);
    }

    fn texts() -> BTreeMap<ChapterNo, String> {
        BTreeMap::from([
            (
                ChapterNo(1),
                "Mr. Darcy looked at her. Jane smiled at everyone.".to_string(),
            ),
            (
                ChapterNo(2),
                "Darcy walked away. Mr. Bennet read his book.".to_string(),
            ),
            (
                ChapterNo(3),
                "Miss Bennet was admired. Elizabeth laughed.".to_string(),
            ),
        ])
    }

    fn names(c: &Catalogue) -> Vec<&str> {
        c.elements.iter().map(|e| e.name.as_str()).collect()
    }

    /// Groups split between threads give the elements of one thread, in the same order, with
    /// the same quotes.
    #[test]
    fn elements_built_side_by_side_are_those_built_one_by_one() {
        let text: String = (0..200)
            .map(|i| format!("Person{i} wore a red coat by the river. "))
            .collect();
        let chapters = BTreeMap::from([(ChapterNo(1), ChapterText::new(&text))]);
        let scored = scored_chapters(&chapters);
        let raws: Vec<RawEntity> = (0..200)
            .map(|i| raw(&format!("Person{i}"), &[], "tall", ""))
            .collect();
        let seen: Vec<Seen> = raws
            .iter()
            .enumerate()
            .map(|(order, raw)| Seen {
                chapter: ChapterNo(1),
                order,
                raw,
            })
            .collect();
        let groups: Vec<Vec<&Seen>> = seen.iter().map(|s| vec![s]).collect();
        let one_by_one: Vec<(usize, Element)> = groups
            .iter()
            .map(|members| {
                let (order, mut element) = build(members, &chapters);
                choose_quotes(&mut element, &scored);
                (order, element)
            })
            .collect();
        let side_by_side = build_all(&groups, &chapters, &scored);
        assert_eq!(side_by_side.len(), 200);
        assert!(one_by_one[7].1.quotes[0].text.contains("Person7 wore"));
        let key = |v: &[(usize, Element)]| -> Vec<(usize, String, Vec<String>)> {
            v.iter()
                .map(|(o, e)| {
                    (
                        *o,
                        e.name.clone(),
                        e.quotes.iter().map(|q| q.text.clone()).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(key(&side_by_side), key(&one_by_one));
    }

    #[test]
    fn merges_honorific_and_possessive_forms() {
        let input = vec![
            (
                ChapterNo(2),
                vec![raw("Darcy's", &[], "proud", "Darcy walked away.")],
            ),
            (
                ChapterNo(1),
                vec![raw(
                    "Mr. Darcy",
                    &[],
                    "tall and proud man",
                    "Mr. Darcy looked at her.",
                )],
            ),
        ];
        let c = merged(&input);
        assert_eq!(c.elements.len(), 1, "{:?}", names(&c));
        let d = &c.elements[0];
        assert_eq!(d.description, "tall and proud man");
        assert_eq!(d.chapters, vec![ChapterNo(1), ChapterNo(2)]);
        assert_eq!(d.first_chapter, ChapterNo(1));
        assert_eq!(d.quotes.len(), 2);
        assert_eq!(d.quotes[0].chapter, ChapterNo(1));
    }

    #[test]
    fn quotes_come_from_the_book_when_the_model_gives_none() {
        let input = vec![
            (ChapterNo(1), vec![raw("Mr. Darcy", &[], "tall", "")]),
            (ChapterNo(2), vec![raw("Darcy", &[], "", "")]),
        ];
        let c = merged(&input);
        let quotes: Vec<(u32, &str)> = c.elements[0]
            .quotes
            .iter()
            .map(|q| (q.chapter.0, q.text.as_str()))
            .collect();
        assert_eq!(
            quotes,
            [(1, "Mr. Darcy looked at her."), (2, "Darcy walked away.")]
        );
    }

    #[test]
    fn a_name_barely_used_in_the_book_is_dropped_when_counted() {
        let counted = |name: &str, mentions: usize| RawEntity {
            mentions,
            ..raw(name, &[], "", "")
        };
        let input = vec![
            (
                ChapterNo(1),
                vec![counted("Wendell", 2), counted("Jane", 2)],
            ),
            (ChapterNo(2), vec![counted("Jane", 2), counted("Lydia", 5)]),
            (ChapterNo(3), vec![raw("Kitty", &[], "", "")]),
        ];
        assert_eq!(names(&merged(&input)), vec!["Jane", "Lydia", "Kitty"]);
    }

    #[test]
    fn a_full_name_joins_its_bare_surname_when_the_book_has_one_such_person() {
        let input = vec![
            (ChapterNo(1), vec![raw("Mr. Marley", &["Marley"], "", "")]),
            (ChapterNo(3), vec![raw("Jacob Marley", &["Jacob"], "", "")]),
        ];
        assert_eq!(names(&merged(&input)), vec!["Jacob Marley"]);
        let two = vec![
            (ChapterNo(1), vec![raw("Bennet", &[], "", "")]),
            (
                ChapterNo(2),
                vec![
                    raw("Jane Bennet", &[], "", ""),
                    raw("Lydia Bennet", &[], "", ""),
                ],
            ),
        ];
        assert_eq!(merged(&two).elements.len(), 3);
    }

    #[test]
    fn a_full_name_joins_its_pet_form() {
        let input = vec![
            (ChapterNo(1), vec![raw("Dunsey Cass", &["Dunsey"], "", "")]),
            (
                ChapterNo(2),
                vec![raw("Dunstan Cass", &["Dunstan"], "", "")],
            ),
            (ChapterNo(3), vec![raw("Henrietta Cass", &[], "", "")]),
            (ChapterNo(3), vec![raw("Henry Cass", &[], "", "")]),
        ];
        let c = merged(&input);
        assert_eq!(c.elements.len(), 3, "{:?}", names(&c));
        let dunstan = c
            .elements
            .iter()
            .find(|e| e.aliases.iter().any(|a| a == "Dunstan"));
        let aliases = dunstan.map(|e| e.aliases.clone()).unwrap_or_default();
        assert!(aliases.iter().any(|a| a == "Dunsey"), "{aliases:?}");
        // With a "Dunsford Cass" in the book, "Dunsey" could be either brother.
        let mut three = input.clone();
        three.push((ChapterNo(3), vec![raw("Dunsford Cass", &[], "", "")]));
        assert_eq!(
            merged(&three).elements.len(),
            5,
            "{:?}",
            names(&merged(&three))
        );
    }

    #[test]
    fn an_owner_is_no_given_name_and_a_boy_is_the_man_he_became() {
        let input = vec![
            (ChapterNo(1), vec![raw("Marley's Ghost", &[], "", "")]),
            (ChapterNo(2), vec![raw("Ghost", &[], "", "")]),
        ];
        assert_eq!(merged(&input).elements.len(), 2);
        let input = vec![
            (ChapterNo(1), vec![raw("Mr. Scrooge", &["Scrooge"], "", "")]),
            (ChapterNo(2), vec![raw("Master Scrooge", &[], "", "")]),
            (
                ChapterNo(3),
                vec![raw("Ebenezer Scrooge", &["Ebenezer"], "", "")],
            ),
        ];
        let c = merged(&input);
        assert_eq!(names(&c), vec!["Ebenezer Scrooge", "Master Scrooge"]);
        assert!(c.elements[0].aliases.contains(&"Mr. Scrooge".to_string()));
    }

    #[test]
    fn a_ghost_is_its_owner_and_a_shared_head_joins_no_one() {
        let input = vec![
            (ChapterNo(1), vec![raw("Jacob Marley", &["Marley"], "", "")]),
            (
                ChapterNo(1),
                vec![raw("Marley's Ghost", &["Ghost"], "", "")],
            ),
            (
                ChapterNo(2),
                vec![raw("Ghost of Christmas Past", &["Ghost"], "", "")],
            ),
            (
                ChapterNo(3),
                vec![
                    raw("Ghost of Christmas Present", &["Ghost"], "", ""),
                    raw("Spirit", &[], "", ""),
                ],
            ),
            (ChapterNo(3), vec![raw("Spirit", &[], "", "")]),
        ];
        assert_eq!(
            names(&merged(&input)),
            vec![
                "Jacob Marley",
                "Ghost of Christmas Past",
                "Ghost of Christmas Present",
                "Spirit"
            ]
        );
    }

    #[test]
    fn a_pet_name_never_joins_a_titled_lady_of_that_name() {
        let input = vec![
            (ChapterNo(1), vec![raw("Kitty", &["Catherine"], "", "")]),
            (
                ChapterNo(2),
                vec![raw("Lady Catherine de Bourgh", &["Catherine"], "", "")],
            ),
            (ChapterNo(3), vec![raw("Lizzy", &["Elizabeth"], "", "")]),
            (
                ChapterNo(4),
                vec![raw("Miss Elizabeth", &["Elizabeth"], "", "")],
            ),
        ];
        assert_eq!(
            names(&merged(&input)),
            vec!["Kitty", "Lady Catherine de Bourgh", "Miss Elizabeth"]
        );
    }

    #[test]
    fn a_family_plural_joins_the_family_the_book_names() {
        let input = vec![
            (ChapterNo(1), vec![raw("Lady Lucas", &["Lucas"], "", "")]),
            (ChapterNo(2), vec![raw("Lucases", &[], "", "")]),
            (ChapterNo(3), vec![raw("Hopkins", &[], "", "")]),
        ];
        assert_eq!(names(&merged(&input)), vec!["Lady Lucas", "Hopkins"]);
        assert_eq!(family_stem("cratchits"), Some("cratchit"));
        assert_eq!(family_stem("lucases"), Some("lucas"));
        assert_eq!(family_stem("bess"), None);
    }

    #[test]
    fn a_bare_surname_stays_with_the_man() {
        let input = vec![
            (ChapterNo(1), vec![raw("Mr. Bingley", &["Bingley"], "", "")]),
            (
                ChapterNo(2),
                vec![raw("Miss Bingley", &["Bingley"], "", "")],
            ),
        ];
        let c = merged(&input);
        assert_eq!(names(&c), vec!["Mr. Bingley", "Miss Bingley"]);
        assert_eq!(c.elements[0].aliases, ["Bingley"]);
        assert!(c.elements[1].aliases.is_empty());
    }

    #[test]
    fn bennets_stay_apart() {
        let input = vec![(
            ChapterNo(1),
            vec![
                raw("Jane Bennet", &[], "", ""),
                raw("Elizabeth Bennet", &[], "", ""),
                raw("Mr. Bennet", &[], "", ""),
                raw("Mrs. Bennet", &[], "", ""),
                raw("Bennet", &[], "", ""),
            ],
        )];
        let c = merged(&input);
        assert_eq!(c.elements.len(), 5, "{:?}", names(&c));
    }

    #[test]
    fn miss_bennet_joins_jane_only_when_reported_as_alias() {
        let apart = vec![
            (ChapterNo(1), vec![raw("Jane Bennet", &[], "", "")]),
            (ChapterNo(3), vec![raw("Miss Bennet", &[], "", "")]),
        ];
        assert_eq!(merged(&apart).elements.len(), 2);
        let mut joined = apart.clone();
        joined.push((
            ChapterNo(2),
            vec![raw("Jane Bennet", &["Miss Bennet", "Jane"], "", "")],
        ));
        // Elizabeth wrongly claiming the alias must not pull Jane in.
        joined.push((
            ChapterNo(3),
            vec![raw("Elizabeth Bennet", &["Miss Bennet"], "", "")],
        ));
        let c = merged(&joined);
        assert_eq!(names(&c), vec!["Jane Bennet", "Elizabeth Bennet"]);
        assert_eq!(
            c.elements[0].chapters,
            vec![ChapterNo(1), ChapterNo(2), ChapterNo(3)]
        );
        assert!(c.elements[0].aliases.contains(&"Miss Bennet".to_string()));
    }

    #[test]
    fn a_name_reported_under_two_kinds_is_one_element_of_the_usual_kind() {
        let mut as_place = raw("Longbourn", &[], "", "");
        as_place.kind = ElementKind::Place;
        let input = vec![
            (ChapterNo(1), vec![as_place.clone()]),
            (ChapterNo(2), vec![raw("Longbourn", &[], "", "")]),
            (ChapterNo(3), vec![as_place]),
        ];
        let c = merged(&input);
        assert_eq!(names(&c), vec!["Longbourn"]);
        assert_eq!(c.elements[0].kind, ElementKind::Place);
        assert_eq!(c.elements[0].chapters.len(), 3);
    }

    #[test]
    fn the_description_is_of_the_kind_the_element_is() {
        let mut as_place = raw(
            "Sally Oates",
            &[],
            "A place, described as fine and long.",
            "",
        );
        as_place.kind = ElementKind::Place;
        let input = vec![
            (ChapterNo(1), vec![raw("Sally Oates", &[], "A woman.", "")]),
            (ChapterNo(2), vec![as_place]),
            (ChapterNo(3), vec![raw("Sally Oates", &[], "", "")]),
        ];
        let c = merged(&input);
        assert_eq!(c.elements[0].kind, ElementKind::Character);
        assert_eq!(c.elements[0].description, "A woman.");
    }

    #[test]
    fn invented_quotes_are_dropped_and_order_is_by_kind() {
        let mut place = raw("Netherfield", &[], "", "");
        place.kind = ElementKind::Place;
        let input = vec![(
            ChapterNo(1),
            vec![
                place,
                raw(
                    "Jane",
                    &[],
                    "",
                    "A dragon breathed fire over the castle walls.",
                ),
            ],
        )];
        let c = merged(&input);
        assert_eq!(names(&c), vec!["Jane", "Netherfield"]);
        // The invented quote is gone; the book's own sentence naming Jane replaces it.
        let quotes: Vec<&str> = c.elements[0]
            .quotes
            .iter()
            .map(|q| q.text.as_str())
            .collect();
        assert_eq!(quotes, ["Jane smiled at everyone."]);
    }
}
