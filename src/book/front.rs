//! Text before a book's first chapter heading (title page, dedication, preface without a
//! heading of its own) is front matter, titled by its first line, never a chapter of its own:
//! else a long preface becomes "Chapter 1" and the book's real first chapter "Chapter 2".

use super::assemble::Section;
use super::headings::{HeadingKind, parse_heading};

/// Longest title taken from a first line, in characters.
const MAX_TITLE_CHARS: usize = 60;

fn chapter_number(section: &Section) -> Option<u32> {
    match parse_heading(section.title.as_deref()?)?.kind {
        HeadingKind::Chapter(n) => Some(n),
        _ => None,
    }
}

/// The first non-empty line of `text`, cut at a word boundary to `MAX_TITLE_CHARS`.
fn first_line(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut title = String::new();
    for word in line.split_whitespace() {
        if title.chars().count() + word.chars().count() + 1 > MAX_TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    (!title.is_empty()).then_some(title)
}

/// Marks the untitled sections before the first chapter heading as front matter, titled by
/// their first line. A book without chapter headings is left alone: its text is its story; so
/// is text before a first heading numbered above one ("CHAPTER II"), which is chapter one
/// without its heading.
pub(crate) fn mark_front_matter(sections: &mut [Section]) {
    let Some(first) = sections.iter().position(|s| chapter_number(s).is_some()) else {
        return;
    };
    if chapter_number(&sections[first]) != Some(1) {
        return;
    }
    for section in sections[..first].iter_mut().filter(|s| s.title.is_none()) {
        section.never_story = true;
        section.title = first_line(&section.text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(title: Option<&str>, text: &str) -> Section {
        Section {
            key: "k".to_string(),
            title: title.map(str::to_string),
            text: text.to_string(),
            never_story: false,
        }
    }

    #[test]
    fn a_preamble_before_chapter_one_is_front_matter_titled_by_its_first_line() {
        let preface = format!("A Note to the Reader\n\n{}", "word ".repeat(300));
        let mut sections = vec![
            section(None, &preface),
            section(Some("Chapter 1"), "It began."),
        ];
        mark_front_matter(&mut sections);
        assert!(sections[0].never_story);
        assert_eq!(sections[0].title.as_deref(), Some("A Note to the Reader"));
        assert!(!sections[1].never_story);
    }

    #[test]
    fn a_long_preface_in_plain_text_is_no_second_chapter_one() -> Result<(), crate::book::Error> {
        let text = format!(
            "A Word Before\n\n{}\n\nChapter 1\n\nIt began.\n\nChapter 2\n\nIt ended.\n",
            "word ".repeat(300)
        );
        let book = crate::book::load_bytes(
            text.as_bytes(),
            crate::book::Format::Text,
            std::path::Path::new("b.txt"),
        )?;
        let story: Vec<(&str, &str)> = book
            .story_chapters()
            .map(|c| (c.title.as_str(), c.text.as_str()))
            .collect();
        assert_eq!(
            story,
            [("Chapter 1", "It began."), ("Chapter 2", "It ended.")]
        );
        assert_eq!(book.chapters[0].title, "A Word Before");
        Ok(())
    }

    #[test]
    fn text_before_chapter_two_is_chapter_one_without_its_heading() {
        let mut sections = vec![
            section(None, "Alice was beginning to get very tired."),
            section(Some("CHAPTER II. The Pool of Tears"), "Curiouser."),
        ];
        mark_front_matter(&mut sections);
        assert!(!sections[0].never_story);
    }

    #[test]
    fn a_book_without_chapter_headings_keeps_its_text_as_story() {
        let mut sections = vec![section(None, "Once upon a time.")];
        mark_front_matter(&mut sections);
        assert!(!sections[0].never_story);
    }
}
