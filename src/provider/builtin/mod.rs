//! The offline, deterministic `builtin` provider (docs/ARCHITECTURE.md §8): a text model that finds a
//! chapter's cast and most visual scenes with word lists and capitalisation rules, and an image
//! model that draws each scene procedurally. It reads `TextRequest::task` and `text` (it cannot
//! read prompts), needs no key and never touches the network.

mod aliases;
mod describe;
mod entities;
pub(crate) mod lexicon;
mod looks;
mod render;
mod roles;
mod scenes;
mod sentences;
mod visual;

pub use render::{RenderError, parse_size, render, render_portrait, render_scene};
pub use visual::{ScoredSentence, scored_sentences};

use super::{
    ElementBrief, ElementKind, Error, ImageMeta, ImageModel, ImageOptions, ImageRequest, TextModel,
    TextRequest, TextTask, Usage,
};
use async_trait::async_trait;
use sentences::Doc;
use serde_json::{Value, json};

/// The offline provider; implements both [`TextModel`] and [`ImageModel`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Builtin;

impl Builtin {
    pub fn new() -> Builtin {
        Builtin
    }
}

/// Rough token count for usage figures: about four characters a token.
fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

#[async_trait]
impl TextModel for Builtin {
    fn name(&self) -> String {
        "builtin".to_string()
    }

    /// Its name and scene scoring are tuned on one chapter's text at a time, and a local
    /// analyzer gains nothing from fewer requests.
    fn reads_many_chapters(&self) -> bool {
        false
    }

    /// It reads the book once for every card.
    fn cards_per_request(&self) -> usize {
        usize::MAX
    }

    async fn complete_json(&self, request: &TextRequest) -> Result<(Value, Usage), Error> {
        let value = match &request.task {
            TextTask::Entities => entities_json(&request.text),
            TextTask::Scenes { count, elements } => scenes_json(&request.text, *count, elements),
            TextTask::Style { .. } => looks::style_json(&request.text),
            TextTask::Cards { subjects } => looks::cards_json(&request.text, subjects),
        };
        let usage = Usage {
            prompt_tokens: estimate_tokens(request.prompt.len().max(request.text.len())),
            completion_tokens: estimate_tokens(value.to_string().len()),
            images: 0,
        };
        Ok((value, usage))
    }
}

#[async_trait]
impl ImageModel for Builtin {
    fn name(&self) -> String {
        "builtin".to_string()
    }

    /// The offline renderer draws from the scene's fields, not the prompt text.
    fn max_prompt_chars(&self) -> usize {
        usize::MAX
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), Error> {
        let (width, height) =
            parse_size(&options.size).map_err(|e| Error::Config(e.to_string()))?;
        let bytes = render(&request.scene, width, height).map_err(|e| match e {
            RenderError::BadSize { .. } => Error::Config(e.to_string()),
            other => Error::BadResponse {
                provider: "builtin".to_string(),
                message: other.to_string(),
            },
        })?;
        let meta = ImageMeta {
            model: "builtin".to_string(),
            revised_prompt: None,
            note: None,
        };
        Ok((bytes, meta))
    }
}

fn kind_name(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Character => "character",
        ElementKind::Creature => "creature",
        ElementKind::Place => "place",
        ElementKind::Item => "item",
    }
}

/// Most creatures, and most items, reported per chapter: enough to draw, few enough not to
/// drown the cast.
const MAX_THINGS: usize = 2;

/// Most people and most places reported per chapter, the most mentioned first: a chapter's
/// passing names (a neighbour's cousin, a town on the way) are not worth a drawing.
const MAX_PEOPLE: usize = 12;
const MAX_PLACES: usize = 6;

/// Fewest mentions in a chapter for a person named in full to be kept beyond the cap.
const MIN_FULL_NAME_MENTIONS: usize = 3;

/// How much a chapter uses a name: the sentences naming it, a spoken line or an introduction as
/// a place ("the city of London") counting two more, being the book presenting someone or
/// somewhere rather than naming them in passing; a line spoken to it or its giving as a
/// relative's name ("my eldest son George") one more, evidence of someone in the scene that a
/// name said in passing seldom has, though a list in a speech or a letter's close may look so.
fn weight(g: &aliases::Group) -> usize {
    g.sentences.len() + 2 * g.speech + g.presented + 2 * g.introduced
}

/// The groups worth reporting: the most mentioned people and places, in their reading order.
fn most_useful(mut groups: Vec<aliases::Group>) -> Vec<aliases::Group> {
    let mut ranked: Vec<(usize, usize, ElementKind)> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (weight(g), i, g.kind))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut keep = vec![false; groups.len()];
    for kind in [
        ElementKind::Character,
        ElementKind::Place,
        ElementKind::Item,
    ] {
        let cap = match kind {
            ElementKind::Place => MAX_PLACES,
            ElementKind::Character => MAX_PEOPLE,
            _ => MAX_THINGS,
        };
        for &(_, i, _) in ranked.iter().filter(|r| r.2 == kind).take(cap) {
            keep[i] = true;
        }
    }
    // A crowded chapter's cap must not cost a person the book names in full ("Belinda
    // Cratchit", "Miss Belinda") and more than in passing: a full name is the book introducing
    // someone, which a capitalised common word ("Nature", "Law") never is.
    for (i, g) in groups.iter().enumerate() {
        let full = g.name.split_whitespace().count() > 1 && !g.name.contains(" of ");
        if g.kind == ElementKind::Character && full && g.sentences.len() >= MIN_FULL_NAME_MENTIONS {
            keep[i] = true;
        }
    }
    let mut index = 0;
    groups.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    groups
}

/// One entity found in a chapter.
struct Entity {
    name: String,
    kind: ElementKind,
    aliases: Vec<String>,
    description: String,
    quote: String,
    /// Sentences naming it, a spoken line or an introduction as a place counting two more.
    mentions: usize,
}

/// Pass 1: `{"entities": [...]}` for a chapter.
pub fn entities_json(text: &str) -> Value {
    let doc = Doc::new(text);
    let list: Vec<Value> = find_entities(&doc)
        .into_iter()
        .map(|e| {
            json!({"name": e.name, "type": kind_name(e.kind), "aliases": e.aliases,
                   "description": e.description, "quote": e.quote, "mentions": e.mentions})
        })
        .collect();
    json!({ "entities": list })
}

/// "King William", "Queen Anne": a sovereign the chapter names without giving them a line is
/// history the narrator cites, not someone in the story.
fn is_history(g: &aliases::Group) -> bool {
    g.speech == 0 && g.honorific.as_deref().is_some_and(lexicon::is_royal_title)
}

/// "read Belsham's Essays ... that everlasting Belsham", "written by Dr Johnson", "Fetch me
/// ‘Rasselas’": a name the chapter gives a written work, reads, or quotes as a title, and that
/// never speaks nor is spoken to, is an author or a book someone reads, not someone in the
/// story, titled or not.
fn is_cited_author(g: &aliases::Group) -> bool {
    g.cited > 0 && g.speech == 0 && g.presented == 0
}

fn find_entities(doc: &Doc) -> Vec<Entity> {
    let forms = entities::find_forms(doc);
    let mut groups = aliases::group(&forms);
    groups.retain(|g| !is_history(g) && !is_cited_author(g));
    let groups = most_useful(groups);
    let places: Vec<&aliases::Group> = groups
        .iter()
        .filter(|g| g.kind == ElementKind::Place)
        .collect();
    let mut out = Vec::new();
    for g in &groups {
        let seen_at = (g.kind == ElementKind::Character)
            .then(|| {
                places
                    .iter()
                    .map(|p| (shared(&p.sentences, &g.sentences), p.name.as_str()))
                    .filter(|(n, _)| *n > 0)
                    .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)))
                    .map(|(_, name)| name)
            })
            .flatten();
        let subject = describe::Subject {
            name: &g.name,
            aliases: &g.aliases,
            kind: g.kind,
            honorific: g.honorific.as_deref(),
            sentences: &g.sentences,
            seen_at,
        };
        out.push(entity(doc, &subject, weight(g)));
    }
    for role in roles::find_roles(doc, &named_words(&groups)) {
        let subject = describe::Subject {
            name: &role.name,
            aliases: &role.aliases,
            kind: ElementKind::Character,
            honorific: None,
            sentences: &role.sentences,
            seen_at: None,
        };
        out.push(entity(doc, &subject, role.sentences.len()));
    }
    for (name, sentences) in entities::find_owned_places(doc)
        .into_iter()
        .take(MAX_THINGS)
    {
        let subject = describe::Subject {
            name: &name,
            aliases: &[],
            kind: ElementKind::Place,
            honorific: None,
            sentences: &sentences,
            seen_at: None,
        };
        out.push(entity(doc, &subject, sentences.len()));
    }
    // Creatures and items each have their own cap, as people and places do: the wolves
    // round a carriage are no fewer for the carriage being named more often.
    let mut taken: Vec<ElementKind> = Vec::new();
    let things = entities::find_things(doc).into_iter().filter(|t| {
        let room = taken.iter().filter(|k| **k == t.kind).count() < MAX_THINGS;
        taken.extend(room.then_some(t.kind));
        room
    });
    for t in things {
        let subject = describe::Subject {
            name: &t.name,
            aliases: &t.aliases,
            kind: t.kind,
            honorific: None,
            sentences: &t.sentences,
            seen_at: None,
        };
        out.push(entity(doc, &subject, t.sentences.len()));
    }
    out
}

/// Lower-case words of the chapter's named people and their titles ("captain", "smollett"): a
/// role among them is that person's, not someone else's.
fn named_words(groups: &[aliases::Group]) -> std::collections::HashSet<String> {
    groups
        .iter()
        .filter(|g| g.kind == ElementKind::Character)
        .flat_map(|g| {
            let names = std::iter::once(&g.name).chain(&g.aliases);
            names
                .flat_map(|n| n.split_whitespace())
                .chain(g.honorific.as_deref())
                .map(|w| w.trim_end_matches('.').to_lowercase())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn entity(doc: &Doc, subject: &describe::Subject, mentions: usize) -> Entity {
    let mut names: Vec<&str> = vec![subject.name];
    names.extend(subject.aliases.iter().map(String::as_str));
    Entity {
        name: subject.name.to_string(),
        kind: subject.kind,
        aliases: subject.aliases.to_vec(),
        description: describe::describe(doc, subject),
        quote: describe::pick_quote(doc, subject.sentences, &names)
            .unwrap_or_default()
            .to_string(),
        mentions,
    }
}

/// How many sentence indexes two sorted lists share.
fn shared(a: &[usize], b: &[usize]) -> usize {
    a.iter().filter(|x| b.binary_search(x).is_ok()).count()
}

/// Pass 2: `{"scenes": [...]}` with exactly `min(count, possible)` scenes.
pub fn scenes_json(text: &str, count: usize, elements: &[ElementBrief]) -> Value {
    let doc = Doc::new(text);
    let known = known_names(&doc, elements);
    let list: Vec<Value> = scenes::select(&doc, count, &known)
        .into_iter()
        .map(|s| {
            json!({"quote": s.quote, "description": s.description, "mood": s.mood,
                   "lighting": s.lighting, "elements": s.elements})
        })
        .collect();
    json!({ "scenes": list })
}

/// The names a scene can mention: the elements given in the task, then the chapter's own names
/// that none of them covers.
fn known_names(doc: &Doc, elements: &[ElementBrief]) -> Vec<scenes::Known> {
    let mut known: Vec<scenes::Known> = elements
        .iter()
        .map(|e| scenes::Known {
            name: e.name.clone(),
            kind: e.kind,
            forms: element_forms(&e.name),
        })
        .collect();
    let forms = entities::find_forms(doc);
    for g in aliases::group(&forms) {
        let mut names = vec![g.name.clone()];
        names.extend(g.aliases.iter().cloned());
        let covered = known
            .iter_mut()
            .find(|k| names.iter().any(|n| k.forms.contains(n)));
        match covered {
            Some(k) => k.forms.extend(names),
            None => known.push(scenes::Known {
                name: g.name.clone(),
                kind: g.kind,
                forms: names,
            }),
        }
    }
    known
}

/// How an element's name shows up in text: "Mr. Darcy" as itself and "Darcy"; "Elizabeth Bennet"
/// as itself and "Elizabeth".
fn element_forms(name: &str) -> Vec<String> {
    let mut forms = vec![name.to_string()];
    let words: Vec<&str> = name.split_whitespace().collect();
    let title = words
        .first()
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| lexicon::is_honorific(w));
    match (title, words.as_slice()) {
        (Some(t), [_, rest @ ..]) if !rest.is_empty() => {
            // "Lady Catherine de Bourgh" is also "Catherine de Bourgh"; a man's bare surname
            // ("Darcy") is already that.
            let _ = t;
            forms.push(rest.join(" "));
        }
        (None, [first, _, ..]) => forms.push((*first).to_string()),
        _ => {}
    }
    forms.retain(|f| !f.is_empty());
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChapterNo;

    fn request(task: TextTask, text: &str) -> TextRequest {
        TextRequest {
            task,
            chapter: ChapterNo(1),
            chapter_title: "Chapter 1".to_string(),
            text: text.to_string(),
            system: String::new(),
            prompt: String::new(),
        }
    }

    const TEXT: &str = "\"My dear Mr. Bennet,\" said his lady to him one day, \"have you heard \
        that Netherfield Park is let at last?\" Mr. Bennet replied that he had not. \
        \"But it is,\" returned she; \"for Mrs. Long has just been here.\" \
        A young man drove down in a chaise and four to see Netherfield Park.";

    fn mentions(value: &Value, name: &str) -> u64 {
        value["entities"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["name"] == name)
            .and_then(|e| e["mentions"].as_u64())
            .unwrap_or(0)
    }

    #[test]
    fn a_relative_or_someone_spoken_to_weighs_more_than_a_name_in_passing() {
        let presented = entities_json(
            "My eldest son George was bred at Oxford. 'I protest, Charles,' cried my wife. \
             George came home. 'Come, Charles,' said she.",
        );
        assert_eq!(mentions(&presented, "George"), 3);
        assert_eq!(mentions(&presented, "Charles"), 4);
        let passing = entities_json(
            "The son of George was bred at Oxford. I saw that Charles was out. George came \
             home. Charles came too.",
        );
        assert_eq!(mentions(&passing, "George"), 2);
        assert_eq!(mentions(&passing, "Charles"), 2);
    }

    #[tokio::test]
    async fn entities_answer_has_the_contract_shape() -> Result<(), Error> {
        let (value, usage) = Builtin
            .complete_json(&request(TextTask::Entities, TEXT))
            .await?;
        let list = value["entities"].as_array().cloned().unwrap_or_default();
        let names: Vec<&str> = list.iter().filter_map(|e| e["name"].as_str()).collect();
        assert!(
            names.contains(&"Mr. Bennet") && names.contains(&"Netherfield Park"),
            "{names:?}"
        );
        for e in &list {
            let quote = e["quote"].as_str().unwrap_or("<none>");
            assert!(TEXT.contains(quote), "{quote}");
            assert!(
                ["character", "creature", "place", "item"]
                    .contains(&e["type"].as_str().unwrap_or(""))
            );
        }
        assert!(usage.prompt_tokens > 0);
        Ok(())
    }

    #[tokio::test]
    async fn scenes_answer_uses_the_given_elements() -> Result<(), Error> {
        let elements = vec![ElementBrief {
            name: "Mr. Bennet".to_string(),
            kind: ElementKind::Character,
            description: String::new(),
            appearance: String::new(),
        }];
        let task = TextTask::Scenes { count: 2, elements };
        let (value, _) = Builtin.complete_json(&request(task, TEXT)).await?;
        let scenes = value["scenes"].as_array().cloned().unwrap_or_default();
        assert_eq!(scenes.len(), 2);
        let all: Vec<&str> = scenes
            .iter()
            .flat_map(|s| s["elements"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        assert!(all.contains(&"Mr. Bennet"), "{all:?}");
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_verbatim_quotes_without_panicking(
            text in "([A-Z][a-z]{0,6}|[a-z]{1,6}|Mr\\.|[.!?,;\"’_—]|\\s|\n\n|é){0,80}"
        ) {
            let entities = entities_json(&text);
            for e in entities["entities"].as_array().into_iter().flatten() {
                let quote = e["quote"].as_str().unwrap_or_default();
                proptest::prop_assert!(text.contains(quote));
            }
            let scenes = scenes_json(&text, 3, &[]);
            for s in scenes["scenes"].as_array().into_iter().flatten() {
                let quote = s["quote"].as_str().unwrap_or("<none>");
                proptest::prop_assert!(text.contains(quote));
            }
        }
    }

    #[tokio::test]
    async fn generate_draws_a_png_of_the_configured_size() -> Result<(), Error> {
        let scene = crate::provider::SceneSpec {
            chapter: ChapterNo(2),
            scene: crate::ids::SceneNo(1),
            quote: "Mr. Bennet was among the earliest.".to_string(),
            description: String::new(),
            mood: "calm".to_string(),
            lighting: "soft daylight".to_string(),
            elements: Vec::new(),
        };
        let request = ImageRequest {
            prompt: String::new(),
            scene,
            references: Vec::new(),
        };
        let options = ImageOptions {
            size: "300x200".to_string(),
            quality: None,
            seed: None,
        };
        let (bytes, meta) = Builtin.generate(&request, &options).await?;
        assert_eq!(
            crate::provider::ImageFormat::detect(&bytes),
            Some(crate::provider::ImageFormat::Png)
        );
        // IHDR width and height, big-endian, right after the signature and chunk header.
        assert_eq!(bytes.get(16..24), Some(&[0, 0, 1, 44, 0, 0, 0, 200][..]));
        assert_eq!(meta.model, "builtin");
        let bad = ImageOptions {
            size: "huge".to_string(),
            quality: None,
            seed: None,
        };
        assert!(matches!(
            Builtin.generate(&request, &bad).await,
            Err(Error::Config(_))
        ));
        Ok(())
    }

    /// The names `entities_json` reports for `text`, in its order.
    fn reported_names(text: &str) -> Vec<String> {
        entities_json(text)["entities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["name"].as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn a_chapter_reports_its_most_mentioned_people_only() {
        let names = [
            "Anna", "Berta", "Carl", "Dora", "Emil", "Fritz", "Gustav", "Hanna", "Ida", "Jakob",
            "Karl", "Lena", "Max", "Nora",
        ];
        let mut text = String::new();
        for (i, name) in names.iter().enumerate() {
            for _ in 0..=i {
                text.push_str(&format!("Then {name} came in. "));
            }
        }
        let reported = reported_names(&text);
        assert_eq!(reported.len(), MAX_PEOPLE, "{reported:?}");
        assert!(!reported.iter().any(|n| n == "Anna") && reported.iter().any(|n| n == "Nora"));
    }

    #[test]
    fn a_titled_author_cited_and_never_acting_is_no_cast() {
        let text = "\"I prefer Dr Johnson to Mr Boz,\" said Miss Jenkyns. Miss Jenkyns read \
                    the poems written by Dr Johnson. Then Dr Johnson was her model. Later \
                    Miss Jenkyns sat. Then Mr Boz was praised. \"Good day,\" said Mr Holbrook. \
                    Later Mr Holbrook read the book written by Mr Boz. Then Mr Holbrook sat.";
        let names = reported_names(text);
        assert_eq!(names, ["Miss Jenkyns", "Mr Holbrook"], "{names:?}");
    }

    #[test]
    fn a_sovereign_without_a_line_is_history_not_cast() {
        let text = "In the reign of King William the house was built. Then King William \
                    died. \"Come,\" said Queen Mab. Then Queen Mab laughed. Later Jane came. \
                    Then Jane sat.";
        let names = reported_names(text);
        assert_eq!(names, ["Queen Mab", "Jane"]);
    }

    #[test]
    fn a_person_named_in_full_survives_a_crowded_chapter() {
        let names = [
            "Anna", "Berta", "Carl", "Dora", "Emil", "Fritz", "Gustav", "Hanna", "Ida", "Jakob",
            "Karl", "Lena",
        ];
        let mut text = String::new();
        for name in names {
            text.push_str(&format!(
                "Then {name} came in. Later {name} sat. Still {name} ate. \
                                    Again {name} spoke. "
            ));
        }
        text.push_str("Then Belinda Cratchit came. Then Miss Belinda sat. Then Miss Belinda ate. ");
        text.push_str("Then Nature smiled. Then Nature wept. Again Nature smiled.");
        let reported = reported_names(&text);
        assert!(reported.iter().any(|n| n == "Miss Belinda"), "{reported:?}");
        assert!(!reported.iter().any(|n| n == "Nature"), "{reported:?}");
        assert_eq!(reported.len(), MAX_PEOPLE + 1, "{reported:?}");
    }

    #[test]
    fn the_author_of_a_work_read_aloud_is_not_cast() {
        let text = "Jo had to read Belsham's Essays by the hour. \"I was reading that \
                    everlasting Belsham,\" said Jo. She liked the worthy Belsham less. Then \
                    old Belsham rested. Later Amy's poems were read. \"No,\" said Amy.";
        let names = reported_names(text);
        assert!(names.iter().any(|n| n == "Jo"), "{names:?}");
        assert!(names.iter().any(|n| n == "Amy"), "{names:?}");
        assert!(!names.iter().any(|n| n == "Belsham"), "{names:?}");
    }

    #[test]
    fn authors_someone_studies_are_not_cast() {
        let text = "I found the works of Cornelius Agrippa. \"Ah! Cornelius Agrippa!\" said \
                    Alphonse. Then I read Paracelsus and Albertus Magnus. Later Alphonse \
                    smiled. \"Go,\" said Alphonse.";
        let names = reported_names(text);
        assert_eq!(names, ["Alphonse"]);
    }

    #[test]
    fn creatures_and_items_have_their_own_cap() {
        let text = "Then Jane took the coach. Then Jane left the coach. Then Jane sold the \
                    coach. Then Jane read the letter. Then Jane burnt the letter. Then Jane hid \
                    the letter. Then Jane heard the wolves. Then Jane saw a wolf. Then Jane \
                    fled the wolves.";
        let names = reported_names(text);
        assert_eq!(names, ["Jane", "coach", "letter", "wolf"]);
    }

    #[test]
    fn answers_are_deterministic() {
        assert_eq!(entities_json(TEXT), entities_json(TEXT));
        assert_eq!(scenes_json(TEXT, 2, &[]), scenes_json(TEXT, 2, &[]));
    }

    #[test]
    fn element_forms_cover_titles_and_given_names() {
        assert_eq!(element_forms("Mr. Darcy"), ["Mr. Darcy", "Darcy"]);
        assert_eq!(
            element_forms("Elizabeth Bennet"),
            ["Elizabeth Bennet", "Elizabeth"]
        );
        assert_eq!(
            element_forms("Lady Catherine"),
            ["Lady Catherine", "Catherine"]
        );
    }
}
