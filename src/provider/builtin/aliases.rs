//! Merges the forms of one name inside a chapter ("Miss Elizabeth Bennet", "Elizabeth", "Lizzy")
//! into one group, using only links the text supports: a shared full name, a given name that
//! starts exactly one full name, a bare surname that one titled man carries, and diminutives whose
//! full form is present.

use super::entities::Form;
use super::lexicon;
use crate::provider::ElementKind;

/// One entity: the forms that name it, best name first.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub aliases: Vec<String>,
    pub kind: ElementKind,
    /// Sentences any form occurs in, sorted, unique.
    pub sentences: Vec<usize>,
    /// Title of the best name, for the description ("Mr" → a gentleman).
    pub honorific: Option<String>,
    /// Lines it speaks.
    pub speech: usize,
    /// Times the book introduces it by its kind of place ("the city of London").
    pub introduced: usize,
    /// Times it owns a written work ("Belsham's Essays").
    pub cited: usize,
    /// Times it is spoken to or given as a relative's name ("my eldest son George"): the book
    /// presenting someone of the scene.
    pub presented: usize,
}

/// Union-find over form indexes.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, x: usize) -> usize {
        let parent = self.0[x];
        if parent == x {
            return x;
        }
        let root = self.find(parent);
        self.0[x] = root;
        root
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[rb] = ra;
        }
    }
}

/// The index of the single form matching `pred`, if exactly one does.
fn unique(forms: &[Form], pred: impl Fn(&Form) -> bool) -> Option<usize> {
    let mut hits = forms.iter().enumerate().filter(|(_, f)| pred(f));
    let first = hits.next()?.0;
    hits.next().is_none().then_some(first)
}

/// The first form matching `pred` when every form matching it has the same name words: "Miss
/// Nancy Lammeter" and "Nancy Lammeter" are one full name under two titles (the full-name link
/// joins them), so "Nancy" starts exactly one.
fn unique_name(forms: &[Form], pred: impl Fn(&Form) -> bool) -> Option<usize> {
    let mut hits = forms.iter().enumerate().filter(|(_, f)| pred(f));
    let (first, form) = hits.next()?;
    hits.all(|(_, g)| g.core == form.core).then_some(first)
}

/// No title or "Miss": the titles a diminutive's owner can be called by in the same chapter.
fn is_plain_title(h: &Option<String>) -> bool {
    matches!(h.as_deref(), None | Some("Miss"))
}

/// Where single-word form `f` should join, if the text links it to another form.
fn link_target(forms: &[Form], f: &Form) -> Option<usize> {
    let word = f.core.first()?.as_str();
    if f.core.len() != 1 {
        // Same full name with another title or none: "Miss Elizabeth Bennet" / "Elizabeth Bennet".
        return unique(forms, |g| {
            g.core == f.core && g.honorific.is_none() && g != f
        })
        .or_else(|| unique(forms, |g| g.core == f.core && g != f));
    }
    // A given name that starts exactly one full name: "Elizabeth" / "Elizabeth Bennet"; a
    // place's name ("Lucas Lodge") starts with its owner's, not a given name.
    // "Mr. James" is a surname, not the given name of "James Allen". A full name that only
    // prepositions made a place ("went towards William Dane") is a person's when its first
    // word is someone of the chapter on its own ("said William").
    let someone = f.kind() == ElementKind::Character;
    let person =
        |g: &Form| g.kind() == ElementKind::Character || someone && g.is_full_personal_name();
    let given = !f.honorific.as_deref().is_some_and(lexicon::takes_surname);
    let full = unique_name(forms, |g| {
        g.core.len() > 1 && g.core[0] == word && person(g)
    });
    if let Some(t) = full.filter(|_| given || called_by_given_name(forms, f)) {
        return Some(t);
    }
    if let Some(t) = head_owner(forms, f) {
        return Some(t);
    }
    if let Some(t) = titled_pet_owner(forms, f) {
        return Some(t);
    }
    // "Uncle Scrooge" and "Aunt Polly" are what their family calls Scrooge and Polly.
    if f.honorific.as_deref().is_some_and(lexicon::is_kin_title) {
        let bare = unique(forms, |g| {
            g.core.len() == 1 && g.core[0] == word && g.honorific.is_none()
        });
        if bare.is_some() {
            return bare;
        }
    }
    if f.honorific.is_none() {
        // A bare surname belongs to the one titled man ("Darcy" / "Mr. Darcy"), else to the one
        // titled person of that name, unless the bare name is the more used: "old Fezziwig",
        // said ten times beside three "Mrs. Fezziwig", is her husband.
        let titled = |g: &Form| g.core.len() == 1 && g.core[0] == word && g.honorific.is_some();
        let male = |g: &Form| {
            titled(g)
                && g.honorific
                    .as_deref()
                    .is_some_and(lexicon::is_male_honorific)
        };
        let owner = unique(forms, male)
            .or_else(|| unique(forms, titled).filter(|&t| forms[t].count >= f.count));
        if let Some(t) = owner {
            return Some(t);
        }
        // "with Whiston ... the only wife of William Whiston": a bare word the prepositions
        // made a place that ends exactly one full personal name of the chapter is that
        // person's surname.
        let surname_of = (f.kind() == ElementKind::Place)
            .then(|| {
                unique_name(forms, |g| {
                    g.core.len() > 1
                        && g.core.last().is_some_and(|w| w == word)
                        && g.is_full_personal_name()
                })
            })
            .flatten();
        if let Some(t) = surname_of {
            return Some(t);
        }
        // A diminutive whose full name is present: "Lizzy" / "Elizabeth".
        if let Some(full) = lexicon::full_name_of(word) {
            // With "Lady Catherine" in the chapter, a bare "Catherine" is probably her.
            let titled_owner = forms.iter().any(|g| {
                g.core.first().is_some_and(|w| w == full)
                    && !is_plain_title(&g.honorific)
                    && !g
                        .honorific
                        .as_deref()
                        .is_some_and(lexicon::is_male_honorific)
            });
            if titled_owner {
                return None;
            }
            // Titles like "Lady" mark a different person ("Kitty" is not "Lady Catherine").
            let bare = unique(forms, |g| {
                g.core.len() == 1 && g.core[0] == full && g.honorific.is_none()
            });
            return bare.or_else(|| {
                unique(forms, |g| {
                    g.core.first().is_some_and(|w| w == full)
                        && (is_plain_title(&g.honorific)
                            || g.honorific
                                .as_deref()
                                .is_some_and(lexicon::is_male_honorific))
                })
            });
        }
    }
    None
}

/// "Miss Matty" beside "Miss Matilda" and "Miss Matilda Jenkyns": a title with a pet name joins
/// the same title with the full given name, when every form so titled and so named is one
/// person (one surname at most). A different title is a different person ("Lady Catherine" is
/// no "Miss Kitty").
fn titled_pet_owner(forms: &[Form], f: &Form) -> Option<usize> {
    let title = f.honorific.as_deref()?;
    let full = lexicon::full_name_of(f.core.first()?)?;
    let owners: Vec<usize> = forms
        .iter()
        .enumerate()
        .filter(|(_, g)| g.honorific.as_deref() == Some(title) && g.core[0] == full)
        .map(|(i, _)| i)
        .collect();
    let fuller: Vec<&Vec<String>> = owners
        .iter()
        .map(|&i| &forms[i].core)
        .filter(|c| c.len() > 1)
        .collect();
    let one = fuller.windows(2).all(|w| w[0] == w[1]);
    (f.core.len() == 1 && one)
        .then(|| owners.first().copied())
        .flatten()
}

/// "Mr. Godfrey" beside "Godfrey Cass" and a bare "Godfrey" said more often: the household's
/// way of naming the squire's son, title and given name. A title that takes a surname is
/// taken with the given name when the chapter uses that name bare at least as often as with
/// the title and nobody in it carries the name as a surname ("Mr. James" stays apart from
/// "James Allen" when "James" is never said alone).
fn called_by_given_name(forms: &[Form], f: &Form) -> bool {
    let word = f.core[0].as_str();
    let bare: usize = forms
        .iter()
        .filter(|g| g.honorific.is_none() && g.core.len() == 1 && g.core[0] == word)
        .map(|g| g.count)
        .sum();
    let surname = forms
        .iter()
        .any(|g| g.core.len() > 1 && g.core.last().is_some_and(|w| w == word));
    f.honorific.is_some() && bare >= f.count && !surname
}

/// "the Ghost" in a chapter naming "the Ghost of Christmas Present" four times and "the Ghost
/// of Christmas Past" once is the Present: a bare head joins the name it heads ("Ghost of ...",
/// or "Marley's Ghost") that the chapter uses at least twice as often as any other it heads.
fn head_owner(forms: &[Form], f: &Form) -> Option<usize> {
    if f.honorific.is_some() || f.core.len() != 1 {
        return None;
    }
    let word = f.core[0].as_str();
    let heads = |g: &Form| {
        g.core.len() > 1
            && (g.core[0] == word && g.core.get(1).is_some_and(|w| w == "of")
                || g.core.last().is_some_and(|w| w == word)
                    && g.core[..g.core.len() - 1]
                        .iter()
                        .any(|w| w.ends_with("'s") || w.ends_with("\u{2019}s")))
    };
    let mut headed: Vec<(usize, usize)> = forms
        .iter()
        .enumerate()
        .filter(|(_, g)| heads(g))
        .map(|(i, g)| (g.count, i))
        .collect();
    headed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    match headed.as_slice() {
        [(_, only)] => Some(*only),
        [(most, best), (next, _), ..] if *most >= 2 * next => Some(*best),
        _ => None,
    }
}

/// Groups the chapter's forms into entities.
pub fn group(forms: &[Form]) -> Vec<Group> {
    let mut sets = Sets((0..forms.len()).collect());
    for (i, f) in forms.iter().enumerate() {
        if let Some(t) = link_target(forms, f) {
            sets.union(t, i);
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); forms.len()];
    for i in 0..forms.len() {
        let root = sets.find(i);
        members[root].push(i);
    }
    members
        .into_iter()
        .filter(|m| !m.is_empty())
        .filter_map(|m| build(forms, &m))
        .collect()
}

fn build(forms: &[Form], members: &[usize]) -> Option<Group> {
    let group: Vec<&Form> = members.iter().map(|&i| &forms[i]).collect();
    // How much the book uses a name is judged over all chapters by the merge, from the
    // mentions reported with it: a name said once here may be said in every chapter.
    let speech: usize = group.iter().map(|f| f.speech).sum();
    // The fullest name is the best: most words, then most used.
    let best = group.iter().max_by(|a, b| {
        // A kin title ("Uncle Scrooge") is what one relative says, not a fuller name.
        let titled = |f: &Form| {
            f.honorific
                .as_deref()
                .is_some_and(|h| !lexicon::is_kin_title(h))
        };
        let words = |f: &Form| f.core.len() + usize::from(titled(f));
        words(a)
            .cmp(&words(b))
            .then(a.count.cmp(&b.count))
            .then(b.display.cmp(&a.display))
    })?;
    let mut others: Vec<&&Form> = group.iter().filter(|f| f.display != best.display).collect();
    others.sort_by(|a, b| b.count.cmp(&a.count).then(a.display.cmp(&b.display)));
    // "Queen Street" and "St. Giles" carry a title without being anyone.
    let personal_title = |f: &&Form| f.honorific.is_some() && f.kind() == ElementKind::Character;
    // "William" (someone of the chapter) and "William Dane": a given name and the full name it
    // starts are one person, whatever prepositions the full name follows.
    let given_and_full = group.iter().any(|f| {
        f.core.len() == 1
            && f.kind() == ElementKind::Character
            && group
                .iter()
                .any(|g| g.is_full_personal_name() && g.core[0] == f.core[0])
    });
    let presented: usize = group.iter().map(|f| f.addressed + f.kin).sum();
    // A relative is someone; a name spoken to may be a place apostrophised ("farewell,
    // London!"), so only the kin words decide the kind.
    let kin = group.iter().any(|f| f.kin > 0);
    let character = group.iter().any(personal_title) || speech > 0 || kin || given_and_full;
    let kind = if character {
        ElementKind::Character
    } else {
        best.kind()
    };
    let mut sentences: Vec<usize> = group
        .iter()
        .flat_map(|f| f.sentences.iter().copied())
        .collect();
    sentences.sort_unstable();
    sentences.dedup();
    Some(Group {
        name: best.display.clone(),
        aliases: others.iter().map(|f| f.display.clone()).collect(),
        kind,
        sentences,
        honorific: group.iter().find_map(|f| f.honorific.clone()),
        speech,
        introduced: group.iter().map(|f| f.introduced).sum(),
        cited: group.iter().map(|f| f.cited).sum(),
        presented,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::builtin::entities::find_forms;
    use crate::provider::builtin::sentences::Doc;

    fn groups(text: &str) -> Vec<Group> {
        group(&find_forms(&Doc::new(text)))
    }

    fn find<'a>(groups: &'a [Group], name: &str) -> &'a Group {
        groups
            .iter()
            .find(|g| g.name == name || g.aliases.iter().any(|a| a == name))
            .unwrap_or_else(|| panic!("no group for {name}: {groups:?}"))
    }

    #[test]
    fn a_title_with_a_pet_name_joins_the_title_with_the_full_name() {
        let g = groups(
            "Miss Matilda Jenkyns wrote. Then Miss Matty sat. Later Miss Matilda laughed. \
             Then Miss Jenkyns frowned.",
        );
        let matty = find(&g, "Miss Matty");
        assert_eq!(matty.name, "Miss Matilda Jenkyns", "{g:?}");
        assert!(matty.aliases.contains(&"Miss Matilda".to_string()), "{g:?}");
        assert!(
            !matty.aliases.contains(&"Miss Jenkyns".to_string()),
            "{g:?}"
        );
        // Two Matildas of different families: the pet name could be either.
        let g = groups("Miss Matilda Jenkyns wrote. Miss Matilda Smith sang. Then Miss Matty sat.");
        assert_eq!(find(&g, "Miss Matty").name, "Miss Matty", "{g:?}");
    }

    #[test]
    fn a_surname_taken_for_a_place_joins_the_full_name_it_ends() {
        let g = groups(
            "For I maintained with Whiston that it was unlawful. I even went a step beyond \
             Whiston: he had engraven that she was the only wife of William Whiston.",
        );
        assert_eq!(g.len(), 1, "{g:?}");
        let whiston = find(&g, "Whiston");
        assert_eq!(whiston.name, "William Whiston");
        assert_eq!(whiston.kind, ElementKind::Character);
    }

    #[test]
    fn a_relative_is_someone_whatever_the_prepositions() {
        let g = groups("My eldest son George was bred at Oxford. We went with George.");
        let george = find(&g, "George");
        assert_eq!(george.kind, ElementKind::Character);
        assert_eq!(george.presented, 1);
    }

    #[test]
    fn full_name_given_name_and_diminutive_merge() {
        let text = "He danced with Miss Elizabeth Bennet. Later Elizabeth smiled. \
                    \"Come, Lizzy,\" said her father. He loved Elizabeth.";
        let g = groups(text);
        let liz = find(&g, "Elizabeth");
        assert_eq!(liz.name, "Miss Elizabeth Bennet");
        assert!(liz.aliases.contains(&"Lizzy".to_string()), "{liz:?}");
    }

    #[test]
    fn bare_surname_goes_to_the_titled_man_not_his_sister() {
        let text = "Then Mr. Darcy bowed. Then Miss Darcy sang. Later Darcy left. Still Darcy stayed. \
             Again Miss Darcy sang.";
        let g = groups(text);
        assert!(find(&g, "Darcy").name == "Mr. Darcy");
        assert!(find(&g, "Miss Darcy").aliases.is_empty());
    }

    #[test]
    fn different_titles_on_one_surname_stay_apart() {
        let text = "Then Mr. Bennet read. Then Mrs. Bennet talked. Again Mr. Bennet read. \
                    Again Mrs. Bennet talked.";
        let g = groups(text);
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn a_bare_name_does_not_join_the_place_named_after_it() {
        let text = "Then Lucas spoke. Still Lucas smiled. They dined at Lucas Lodge. \
                    Later Lucas Lodge was lit.";
        let g = groups(text);
        assert!(find(&g, "Lucas").aliases.is_empty(), "{g:?}");
    }

    #[test]
    fn kitty_does_not_join_a_bare_catherine_beside_lady_catherine() {
        let text = "Then Lady Catherine spoke. Later Catherine frowned. Then Kitty coughed. \
                    Again Kitty coughed. Again Catherine frowned.";
        let g = groups(text);
        assert!(find(&g, "Kitty").aliases.is_empty(), "{g:?}");
    }

    #[test]
    fn a_surname_title_does_not_join_a_given_name() {
        let text = "Then Mr. James spoke. Again Mr. James spoke. Later James Allen came. \
                    Then James Allen left.";
        let g = groups(text);
        assert!(find(&g, "Mr. James").aliases.is_empty(), "{g:?}");
    }

    #[test]
    fn an_uncle_or_aunt_is_the_person_of_that_name() {
        let text = "Then Scrooge spoke. Later Scrooge laughed. \"Come, Uncle Scrooge,\" said Fred. \
                    Again Fred smiled. Then Aunt Polly came. Then Polly sat.";
        let g = groups(text);
        assert!(
            find(&g, "Scrooge")
                .aliases
                .contains(&"Uncle Scrooge".to_string()),
            "{g:?}"
        );
        let polly = find(&g, "Polly");
        let mut names = vec![polly.name.clone()];
        names.extend(polly.aliases.iter().cloned());
        names.sort();
        assert_eq!(names, ["Aunt Polly", "Polly"], "{g:?}");
    }

    #[test]
    fn a_bare_surname_used_more_than_her_title_is_not_the_wife() {
        let text = "Then Fezziwig laughed. Again Fezziwig danced. Still Fezziwig sang. \
                    Then Mrs. Fezziwig smiled.";
        let g = groups(text);
        assert!(find(&g, "Fezziwig").aliases.is_empty(), "{g:?}");
        let text = "Then Mrs. Hill came. Again Mrs. Hill came. Then Hill spoke.";
        assert_eq!(find(&groups(text), "Hill").name, "Mrs. Hill");
    }

    #[test]
    fn a_bare_head_joins_the_name_it_heads_most() {
        let text = "Then the Ghost of Christmas Present rose. Again the Ghost of Christmas \
                    Present spoke. Still the Ghost of Christmas Present smiled. He recalled the \
                    Ghost of Christmas Past. Then the Ghost laughed. Again the Ghost spoke.";
        let g = groups(text);
        assert!(
            find(&g, "Ghost of Christmas Present")
                .aliases
                .contains(&"Ghost".to_string()),
            "{g:?}"
        );
        let text = "There stood Marley's Ghost. Then the Ghost spoke. Again the Ghost spoke.";
        let g = groups(text);
        assert_eq!(find(&g, "Ghost").name, "Marley's Ghost", "{g:?}");
    }

    #[test]
    fn a_given_name_and_its_full_name_are_one_person_whatever_the_prepositions() {
        let text = "Then William came. Later William sat. She went towards William Dane. It \
                    was in the lips of William Dane. Still William Dane waited. Then Lucas \
                    smiled. They dined at Lucas Lodge.";
        let g = groups(text);
        let william = find(&g, "William");
        assert_eq!(william.name, "William Dane", "{g:?}");
        assert_eq!(william.kind, ElementKind::Character, "{g:?}");
        assert!(find(&g, "Lucas").aliases.is_empty(), "{g:?}");
        assert_eq!(find(&g, "Lucas Lodge").kind, ElementKind::Place, "{g:?}");
    }

    #[test]
    fn a_given_name_joins_one_full_name_said_with_and_without_a_title() {
        let text = "Then Miss Nancy Lammeter came. Later Nancy Lammeter sat. Then Miss Nancy \
                    smiled. Again Nancy smiled. Then Jane Bennet came. Then Jane Fairfax came. \
                    Then Jane left.";
        let g = groups(text);
        let nancy = find(&g, "Miss Nancy");
        assert_eq!(nancy.name, "Miss Nancy Lammeter", "{g:?}");
        assert!(nancy.aliases.contains(&"Nancy".to_string()), "{g:?}");
        assert_eq!(find(&g, "Jane").name, "Jane", "{g:?}");
    }

    #[test]
    fn a_title_with_a_given_name_said_bare_more_often_is_that_person() {
        let text = "Then Godfrey Cass came. Later Godfrey sat. Still Godfrey spoke. Then \
                    Mr. Godfrey bowed. Then Mr. James spoke. Later James Allen came.";
        let g = groups(text);
        let godfrey = find(&g, "Godfrey Cass");
        assert!(
            godfrey.aliases.contains(&"Mr. Godfrey".to_string()),
            "{g:?}"
        );
        assert!(find(&g, "Mr. James").aliases.is_empty(), "{g:?}");
    }

    #[test]
    fn kitty_does_not_join_lady_catherine() {
        let text = "Then Lady Catherine spoke. Then Kitty coughed. Again Kitty coughed.";
        let g = groups(text);
        assert!(find(&g, "Kitty").aliases.is_empty());
    }
}
