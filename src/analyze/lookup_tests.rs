//! Tests of `ElementsLookup`: round trip through Elements.md, hand edits, mentions.

use super::*;
use crate::render::elements_md;

fn element(name: &str, kind: ElementKind, aliases: &[&str], description: &str) -> Element {
    Element {
        name: name.into(),
        kind,
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        description: description.into(),
        quotes: vec![],
        first_chapter: ChapterNo(1),
        chapters: vec![ChapterNo(1)],
        appearance: String::new(),
        details: Vec::new(),
    }
}

fn catalogue() -> Catalogue {
    let mut eliza = element(
        "Elizabeth Bennet",
        ElementKind::Character,
        &["Lizzy", "Eliza"],
        "Dark eyes.",
    );
    eliza.quotes = vec![
        ElementQuote {
            chapter: ChapterNo(3),
            text: "She is tolerable".into(),
        },
        ElementQuote {
            chapter: ChapterNo(7),
            text: "Line one\nline two".into(),
        },
    ];
    eliza.chapters = vec![ChapterNo(1), ChapterNo(3), ChapterNo(7)];
    Catalogue {
        partial_from: Vec::new(),
        title: "Pride and Prejudice".into(),
        elements: vec![
            eliza,
            element(
                "Mr. Darcy",
                ElementKind::Character,
                &["Darcy", "Fitzwilliam Darcy"],
                "Tall, proud.",
            ),
            element("Pug", ElementKind::Creature, &[], "A small dog."),
            element("Bath", ElementKind::Place, &[], "A spa town."),
        ],
    }
}

#[test]
fn round_trip_keeps_everything() {
    let mut cat = catalogue();
    cat.elements[1].appearance = "apparent age: about 28; build: tall".into();
    let style = crate::style::Style::text("etching, sepia");
    let parsed = ElementsLookup::parse_markdown(&elements_md(&cat, Some(&style))).unwrap();
    assert_eq!(parsed.title, cat.title);
    assert_eq!(parsed.elements, cat.elements);
}

#[test]
fn hand_edits_are_read() {
    let mut cat = catalogue();
    cat.elements[1].appearance = "build: tall".into();
    let md = elements_md(&cat, None)
        .replace(
            "**Appearance:** build: tall",
            "**Appearance:** build: tall; hair: EDITED",
        )
        .replace(
            "**Description:** Tall, proud.",
            "  **Description:**   Tall, proud, and rich.  ",
        )
        .replace(
            "#### Pug\n\n**Description:** A small dog.\n\n**Appears in:** Chapter 1\n\n---\n\n",
            "",
        )
        .replace("\n\n", "\n\n\n");
    let parsed = ElementsLookup::parse_markdown(&md).unwrap();
    let names: Vec<&str> = parsed.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["Elizabeth Bennet", "Mr. Darcy", "Bath"]);
    assert_eq!(parsed.elements[1].description, "Tall, proud, and rich.");
    assert_eq!(parsed.elements[1].appearance, "build: tall; hair: EDITED");
    let briefs = parsed.briefs("Darcy came.");
    assert_eq!(briefs[0].appearance, "build: tall; hair: EDITED");
    assert_eq!(parsed.elements[0].quotes.len(), 2);
}

#[test]
fn bad_chapter_is_an_error() {
    let md = "# Elements - T\n\n### Places\n\n#### X\n\n**Appears in:** Chapter one\n";
    assert!(matches!(
        ElementsLookup::parse_markdown(md),
        Err(ParseError::BadChapter { line: 7, .. })
    ));
}

#[test]
fn mentions_use_word_boundaries_and_case() {
    let lookup = ElementsLookup::from_catalogue(&catalogue()).unwrap();
    let found: Vec<&str> = lookup
        .mentions("Lizzy took a bath with Bathsheba. Then Fitzwilliam Darcy went to Bath.")
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(found, vec!["Elizabeth Bennet", "Mr. Darcy", "Bath"]);
    assert!(lookup.mentions("a bath in the Pugilist's house").is_empty());
}

#[test]
fn enrich_and_briefs_cover_only_mentioned() {
    let lookup = ElementsLookup::from_catalogue(&catalogue()).unwrap();
    let block = lookup.enrich_prompt("Eliza smiled.");
    assert!(block.contains("Elizabeth Bennet (character): Dark eyes."));
    assert!(block.contains("She is tolerable"));
    assert!(!block.contains("Tall, proud."));
    let briefs = lookup.briefs("Darcy and his Pug.");
    assert_eq!(briefs.len(), 2);
    assert_eq!(briefs[1].kind, ElementKind::Creature);
}
