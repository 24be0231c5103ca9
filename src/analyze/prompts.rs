//! The text requests of pass 1 and pass 2: system message and prompt with the JSON contract of
//! docs/ARCHITECTURE.md §8, plus the structured facts the offline provider uses instead of the prompt.

use crate::analyze::lookup::{ElementsLookup, kind_word};
use crate::analyze::model::Element;
use crate::ids::ChapterNo;
use crate::provider::{CardSubject, ElementBrief, TextRequest, TextTask};
use std::fmt::Write;

/// System message shared by both passes.
const SYSTEM: &str = "You are a careful literary analyst preparing an illustration guide. \
Answer with JSON only, no prose and no code fences. Every quote must be copied verbatim from the \
text you are given, never paraphrased.";

/// Pass 1 asks for no quotes: the program picks each element's reference quotes from the book
/// (analyze::reference_quotes), so the model writes only what it alone can say, and less of it.
const ENTITIES_CONTRACT: &str = r#"{"entities": [{"name": "…", "type": "character|creature|place|item", "aliases": ["…"], "description": "how it looks, at most 30 words"}]}"#;

/// The style guide's answer; its keys are `crate::style::Style`'s.
const STYLE_CONTRACT: &str = r#"{"style": {"artStyle": "…", "medium": "…", "palette": "…", "eraSetting": "…", "framing": "…"}}"#;

/// The appearance cards' answer: people and creatures, then places (analyze::cards reads it).
const CARDS_CONTRACT: &str = r#"{"cards": [{"name": "as given", "age": "apparent age", "build": "…", "hair": "…", "eyes": "…", "skin": "…", "clothing": "…", "marks": "distinguishing marks"}, {"name": "a place as given", "landscape": "architecture or landscape", "materials": "…", "light": "…"}]}"#;

const SCENES_CONTRACT: &str = r#"{"scenes": [{"quote": "verbatim passage", "description": "what to draw", "mood": "…", "lighting": "…", "elements": ["names present"]}]}"#;

/// Pass 1 request for one chapter (or one chunk of it).
pub fn entities_request(chapter: ChapterNo, title: &str, chunk: &str) -> TextRequest {
    let prompt = format!(
        "List every character, creature, place and item that appears in chapter {chapter} \
(\"{title}\") below. Use the fullest name the text gives; put other names and forms of address \
in aliases. Describe how each looks, as far as the text says, in at most 30 words. Do not quote \
the text.\n\nAnswer exactly in this form:\n{ENTITIES_CONTRACT}\n\nText:\n<<<\n{chunk}\n>>>"
    );
    TextRequest {
        task: TextTask::Entities,
        chapter,
        chapter_title: title.to_string(),
        text: chunk.to_string(),
        system: SYSTEM.to_string(),
        prompt,
    }
}

/// Pass 1 request for several consecutive chapters read together: `(number, title, text)`. The
/// text keeps each chapter under its own heading so the answer can be given back chapter by
/// chapter.
pub fn pack_entities_request(chapters: &[(ChapterNo, &str, &str)]) -> TextRequest {
    let (first, last) = match (chapters.first(), chapters.last()) {
        (Some(f), Some(l)) => (f.0, l.0),
        _ => (ChapterNo(0), ChapterNo(0)),
    };
    let text: String = chapters
        .iter()
        .map(|(no, title, text)| format!("=== Chapter {no}: {title} ===\n\n{text}\n\n"))
        .collect();
    let prompt = format!(
        "List every character, creature, place and item that appears in chapters {first} to \
{last} below (each begins with a line \"=== Chapter N: title ===\"). Use the fullest name the \
text gives; put other names and forms of address in aliases. Describe how each looks, as far as \
the text says, in at most 30 words. Do not quote the text. List each element once.\n\nAnswer \
exactly in this form:\n{ENTITIES_CONTRACT}\n\nText:\n<<<\n{text}>>>"
    );
    TextRequest {
        task: TextTask::Entities,
        chapter: first,
        chapter_title: format!("Chapters {first}–{last}"),
        text,
        system: SYSTEM.to_string(),
        prompt,
    }
}

/// Pass 2 request: the `count` most visual scenes of a chapter, with the details of every element
/// the chapter mentions.
pub fn scenes_request(
    chapter: ChapterNo,
    title: &str,
    text: &str,
    count: usize,
    lookup: &ElementsLookup,
) -> TextRequest {
    let cast = lookup.enrich_prompt(text);
    let cast = if cast.is_empty() {
        "(none known)\n".to_string()
    } else {
        cast
    };
    let prompt = format!(
        "Choose the {count} most visual scenes of chapter {chapter} (\"{title}\") below, in reading \
order. For each, copy a verbatim passage of one to three sentences as the quote, describe what to \
draw (who is where, doing what, the setting and the moment), the mood and the lighting, and list the \
names of the elements present. Never describe how the known elements look (age, build, hair, \
eyes, skin, clothing): each has a fixed appearance card that is added to the picture's prompt, \
and words of yours would contradict it.\n\nKnown elements in this chapter:\n{cast}\nAnswer exactly in this form:\n\
{SCENES_CONTRACT}\n\nText:\n<<<\n{text}\n>>>"
    );
    TextRequest {
        task: TextTask::Scenes {
            count,
            elements: lookup.briefs(text),
        },
        chapter,
        chapter_title: title.to_string(),
        text: text.to_string(),
        system: SYSTEM.to_string(),
        prompt,
    }
}

/// The style guide request: from the opening chapters (`opening`, already cut to size) and the
/// main cast.
pub fn style_request(
    title: &str,
    first: ChapterNo,
    opening: &str,
    cast: Vec<ElementBrief>,
) -> TextRequest {
    let mut listed = String::new();
    for e in &cast {
        let _ = writeln!(
            listed,
            "- {} ({}): {}",
            e.name,
            kind_word(e.kind),
            e.description
        );
    }
    let prompt = format!(
        "Propose one style guide for illustrating the book \"{title}\", suited to its period, \
setting and tone, from its opening chapters and its main cast below: artStyle (the kind of \
illustration), medium, palette (the main colours), eraSetting (the period and place as the text \
shows them) and framing (how the pictures are framed). At most 15 words each.\n\nMain cast:\n\
{listed}\nAnswer exactly in this form:\n{STYLE_CONTRACT}\n\nOpening chapters:\n<<<\n{opening}\n>>>"
    );
    TextRequest {
        task: TextTask::Style { cast },
        chapter: first,
        chapter_title: "style guide".to_string(),
        text: opening.to_string(),
        system: SYSTEM.to_string(),
        prompt,
    }
}

/// The appearance-card request for a batch of elements: each with its description and its
/// reference quotes (the book's words); `text` is the chapters they appear in, for analyzers
/// that read the book rather than the prompt. `invent`: the style lets cards fill in what the
/// book does not say.
pub fn cards_request(
    title: &str,
    elements: &[&Element],
    text: String,
    invent: Option<&str>,
) -> TextRequest {
    let mut listed = String::new();
    for e in elements {
        let also = if e.aliases.is_empty() {
            String::new()
        } else {
            format!("; also {}", e.aliases.join(", "))
        };
        let _ = writeln!(
            listed,
            "- {} ({}{also}): {}",
            e.name,
            kind_word(e.kind),
            e.description
        );
        for q in &e.quotes {
            let _ = writeln!(
                listed,
                "  \"{}\"",
                q.text.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
    let silence = match invent {
        Some(style) => format!(
            "Where the book is silent, invent plausible details that fit its period and this \
style: {style}."
        ),
        None => "Where the book says nothing about a field, write exactly \"not described in the \
book\"; never invent."
            .to_string(),
    };
    let prompt = format!(
        "Write a fixed appearance card for each element of the book \"{title}\" below, so an \
illustrator draws it the same way in every picture. For characters and creatures: apparent age, \
build, hair, eyes, skin, clothing and distinguishing marks. For places: architecture or \
landscape, materials and light. At most 12 words a field, from what the book says. {silence}\n\n\
Elements, each with the book's words about it:\n{listed}\nAnswer exactly in this form, one card \
per element, with its name as given:\n{CARDS_CONTRACT}"
    );
    let subjects = elements
        .iter()
        .map(|e| CardSubject {
            name: e.name.clone(),
            kind: e.kind,
            aliases: e.aliases.clone(),
            description: e.description.clone(),
        })
        .collect();
    TextRequest {
        task: TextTask::Cards { subjects },
        chapter: elements.first().map_or(ChapterNo(1), |e| e.first_chapter),
        chapter_title: "appearance cards".to_string(),
        text,
        system: SYSTEM.to_string(),
        prompt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::model::{Catalogue, Element};
    use crate::provider::ElementKind;

    fn lookup() -> ElementsLookup {
        let el = |name: &str, description: &str| Element {
            name: name.into(),
            kind: ElementKind::Character,
            aliases: vec![],
            description: description.into(),
            quotes: vec![],
            first_chapter: ChapterNo(1),
            chapters: vec![ChapterNo(1)],
            appearance: String::new(),
            details: Vec::new(),
        };
        let cat = Catalogue {
            partial_from: Vec::new(),
            title: "P".into(),
            elements: vec![
                el("Jane", "fair, serene and gentle"),
                el("Wickham", "handsome officer in red"),
            ],
        };
        ElementsLookup::from_catalogue(&cat).unwrap()
    }

    #[test]
    fn entities_prompt_carries_contract_and_text() {
        let r = entities_request(ChapterNo(4), "Chapter IV", "Jane sat down.");
        assert!(r.prompt.contains("\"entities\""));
        assert!(r.prompt.contains("character|creature|place|item"));
        assert!(r.prompt.contains("Jane sat down."));
        assert_eq!(r.task, TextTask::Entities);
        assert!(r.system.contains("JSON"));
    }

    #[test]
    fn entities_contract_asks_for_short_descriptions_and_no_quotes() {
        let r = entities_request(ChapterNo(1), "One", "Jane sat down.");
        let contract = r.prompt.split("Text:").next().unwrap_or_default();
        assert!(!contract.contains("\"quote\""), "{contract}");
        assert!(contract.contains("at most 30 words"));
    }

    #[test]
    fn pass_2_is_told_never_to_restate_appearance() {
        let r = scenes_request(ChapterNo(2), "II", "Jane walked.", 1, &lookup());
        assert!(
            r.prompt
                .contains("Never describe how the known elements look")
        );
    }

    #[test]
    fn the_cards_prompt_says_not_described_unless_the_style_invents() {
        let cat = lookup();
        let jane: Vec<&Element> = cat.elements.iter().take(1).collect();
        let strict = cards_request("P", &jane, String::new(), None);
        assert!(strict.prompt.contains("\"not described in the book\""));
        assert!(
            strict
                .prompt
                .contains("- Jane (character): fair, serene and gentle")
        );
        assert!(strict.prompt.contains("\"cards\""));
        let TextTask::Cards { subjects } = &strict.task else {
            panic!("wrong task")
        };
        assert_eq!(subjects[0].name, "Jane");
        let free = cards_request("P", &jane, String::new(), Some("lush oils"));
        assert!(
            free.prompt.contains("invent plausible details") && free.prompt.contains("lush oils")
        );
        let style = style_request("P", ChapterNo(1), "It was a dark night.", vec![]);
        assert!(
            style.prompt.contains("\"eraSetting\"")
                && style.prompt.contains("It was a dark night.")
        );
    }

    #[test]
    fn scenes_prompt_has_details_of_mentioned_only() {
        let r = scenes_request(
            ChapterNo(2),
            "Chapter II",
            "Jane walked to the window.",
            3,
            &lookup(),
        );
        assert!(r.prompt.contains("fair, serene and gentle"));
        assert!(!r.prompt.contains("handsome officer in red"));
        assert!(r.prompt.contains("\"scenes\""));
        assert!(r.prompt.contains("3 most visual scenes"));
        let TextTask::Scenes { count, elements } = &r.task else {
            panic!("wrong task")
        };
        assert_eq!(*count, 3);
        assert_eq!(elements.len(), 1);
        assert_eq!(elements[0].name, "Jane");
    }
}
