//! The text requests of pass 1 and pass 2: system message and prompt with the JSON contract of
//! docs/ARCHITECTURE.md §8, plus the structured facts the offline provider uses instead of the prompt.

use crate::analyze::lookup::ElementsLookup;
use crate::ids::ChapterNo;
use crate::provider::{TextRequest, TextTask};

/// System message shared by both passes.
const SYSTEM: &str = "You are a careful literary analyst preparing an illustration guide. \
Answer with JSON only, no prose and no code fences. Every quote must be copied verbatim from the \
text you are given, never paraphrased.";

/// Pass 1 asks for no quotes: the program picks each element's reference quotes from the book
/// (analyze::reference_quotes), so the model writes only what it alone can say, and less of it.
const ENTITIES_CONTRACT: &str = r#"{"entities": [{"name": "…", "type": "character|creature|place|item", "aliases": ["…"], "description": "how it looks, at most 30 words"}]}"#;

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
draw (consistent with the known elements), the mood and the lighting, and list the names of the \
elements present.\n\nKnown elements in this chapter:\n{cast}\nAnswer exactly in this form:\n\
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
