//! Story vs front and back matter. A section is story when its title names a chapter (or a
//! prologue, epilogue or interlude); the usual front/back matter titles are not; sections with
//! neither are judged by their content.

use super::headings::{HeadingKind, parse_heading};
use regex::Regex;
use std::sync::LazyLock;

/// Fewer words than this and no chapter title: a title page, a promo page, a divider.
const MIN_STORY_WORDS: usize = 100;
/// Copyright and licence pages can be long, but not this long.
const MAX_BOILERPLATE_WORDS: usize = 1500;

/// Titles of front and back matter, matched as whole words anywhere in the title.
static NON_STORY_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(
            cover | title\s*page | half\s*title | copyright | imprint | colophon
          | (table\s+of\s+)?contents | dedication | acknowledge?ments? | epigraph
          | also\s+by | books\s+by | other\s+books | praise\s+for | about\s+the\s+(author|publisher)
          | index | licen[cs]e | transcriber | illustrations | list\s+of\s+\w+
          | front\s+matter | back\s+matter | newsletter | make\s+your\s+own\s+books | pressbooks
          | bibliography | endnotes | footnotes | glossary | project\s+gutenberg
        )\b",
    )
    .expect("static regex")
});

/// Phrases that mark a page as boilerplate whatever its title.
const BOILERPLATE: [&str; 4] = [
    "all rights reserved",
    "project gutenberg license",
    "project gutenberg-tm",
    "www.gutenberg.org/license",
];

/// Decides whether a section is part of the story.
pub(crate) fn is_story(title: Option<&str>, text: &str, words: usize, book_title: &str) -> bool {
    if words == 0 {
        return false;
    }
    let title = title.map(str::trim).unwrap_or_default();
    if let Some(h) = parse_heading(title) {
        return match h.kind {
            HeadingKind::Chapter(_) => true,
            HeadingKind::Named(name) => {
                matches!(name.as_str(), "Prologue" | "Epilogue" | "Interlude")
            }
            HeadingKind::Part => words >= MIN_STORY_WORDS,
        };
    }
    if NON_STORY_TITLE.is_match(title) || looks_like_boilerplate(text, words) {
        return false;
    }
    // A section named after the book is its title page.
    if !title.is_empty() && title.eq_ignore_ascii_case(book_title.trim()) && words < 300 {
        return false;
    }
    words >= MIN_STORY_WORDS
}

fn looks_like_boilerplate(text: &str, words: usize) -> bool {
    if words > MAX_BOILERPLATE_WORDS {
        return false;
    }
    let lower = text.to_lowercase();
    BOILERPLATE.iter().any(|p| lower.contains(p)) || lower.trim_start().starts_with("copyright")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str = "It was a dark and stormy night.";

    fn story(title: &str, words: usize) -> bool {
        is_story(Some(title), PROSE, words, "Emma")
    }

    #[test]
    fn chapters_prologues_and_epilogues_are_story() {
        assert!(story("Chapter 3", 20));
        assert!(story("CHAPTER XII. The Ball", 2000));
        assert!(story("Prologue", 500));
        assert!(story("Epilogue", 500));
        assert!(story("Interlude", 500));
        assert!(story("The Storm Breaks", 2000));
    }

    #[test]
    fn front_and_back_matter_are_not() {
        for t in [
            "Cover",
            "Title Page",
            "Copyright",
            "Table of Contents",
            "Contents",
            "Dedication",
            "Acknowledgements",
            "Also by Jane Austen",
            "About the Author",
            "Index",
            "The Full Project Gutenberg License",
            "Transcriber's Note",
            "List of Illustrations",
            "Make your own books using PressBooks.com",
            "Preface",
            "Emma",
        ] {
            assert!(!story(t, 200), "{t} counted as story");
        }
    }

    #[test]
    fn empty_and_short_sections_are_not_story() {
        assert!(!story("Chapter 1", 0));
        assert!(!story("PART ONE", 5));
        assert!(!is_story(None, PROSE, 40, "Emma"));
        assert!(is_story(None, PROSE, 400, "Emma"));
    }

    #[test]
    fn boilerplate_is_judged_by_content() {
        let text = "Copyright 2020 by Someone. All rights reserved.";
        assert!(!is_story(Some("A page"), text, 400, "Emma"));
    }
}
