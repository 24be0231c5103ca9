//! Turns what a reader found (sections in reading order) into a `Book`: normalised titles, story
//! detection, story numbering, unique keys. Every reader ends here, so every format names and
//! numbers its chapters alike.

use super::{Book, Chapter, Error, Format, contents, front, headings, number_title, story};
use crate::ids::{ChapterKey, ChapterNo};
use std::collections::HashSet;
use std::path::Path;

/// What a reader hands over.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub title: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub sections: Vec<Section>,
    pub warnings: Vec<String>,
}

/// One section as a reader found it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Section {
    /// Stable identity within the book (spine href + anchor, line, page).
    pub key: String,
    /// The title as written (TOC label, heading line), before normalisation.
    pub title: Option<String>,
    /// Paragraphs separated by one blank line.
    pub text: String,
    /// The reader knows this is not story (the EPUB's own table of contents, say).
    pub never_story: bool,
}

pub(crate) fn assemble(mut parsed: Parsed, format: Format, name: &Path) -> Result<Book, Error> {
    parsed.sections = number_title::join_split_headings(std::mem::take(&mut parsed.sections));
    contents::mark_contents(&mut parsed.sections);
    front::mark_front_matter(&mut parsed.sections);
    let title = parsed
        .title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| stem(name));
    let mut keys = HashSet::new();
    let mut story_count = 0u32;
    let chapters = parsed
        .sections
        .into_iter()
        .map(|s| {
            let text = s.text.trim().to_string();
            let word_count = text.split_whitespace().count();
            let is_story =
                !s.never_story && story::is_story(s.title.as_deref(), &text, word_count, &title);
            let number = is_story.then(|| {
                story_count += 1;
                ChapterNo(story_count)
            });
            Chapter {
                number,
                key: ChapterKey(unique_key(&mut keys, s.key)),
                title: display_title(s.title.as_deref(), number),
                text,
                word_count,
                is_story,
            }
        })
        .collect::<Vec<_>>();
    // Front matter alone is a book with nothing to illustrate (the caller says so); a book
    // without any text is not a book.
    if story_count == 0 && chapters.iter().all(|c| c.word_count == 0) {
        return Err(Error::NoStory {
            path: name.to_path_buf(),
        });
    }
    Ok(Book {
        title,
        author: parsed.author.filter(|a| !a.trim().is_empty()),
        language: parsed.language.filter(|l| !l.trim().is_empty()),
        format,
        chapters,
        warnings: parsed.warnings,
    })
}

/// The normalised title, or "Chapter N" for an untitled story chapter.
fn display_title(raw: Option<&str>, number: Option<ChapterNo>) -> String {
    match (
        raw.map(headings::normalise_title).filter(|t| !t.is_empty()),
        number,
    ) {
        (Some(t), _) => t,
        (None, Some(n)) => format!("Chapter {n}"),
        (None, None) => "Untitled section".to_string(),
    }
}

/// Keys must be unique; a repeated one (two TOC entries at one anchor) gets an ordinal.
fn unique_key(seen: &mut HashSet<String>, key: String) -> String {
    let mut candidate = key.clone();
    let mut n = 2;
    while !seen.insert(candidate.clone()) {
        candidate = format!("{key}~{n}");
        n += 1;
    }
    candidate
}

fn stem(name: &Path) -> String {
    name.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("Untitled")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(key: &str, title: Option<&str>, words: usize) -> Section {
        Section {
            key: key.into(),
            title: title.map(Into::into),
            text: "word ".repeat(words),
            never_story: false,
        }
    }

    #[test]
    fn story_chapters_are_numbered_and_titled() {
        let parsed = Parsed {
            sections: vec![
                section("a", Some("Contents"), 50),
                section("b", Some("CHAPTER I."), 500),
                section("b", None, 500),
            ],
            ..Parsed::default()
        };
        let book = assemble(parsed, Format::Text, Path::new("x/emma.txt")).expect("book");
        assert_eq!(book.title, "emma");
        let got: Vec<_> = book
            .chapters
            .iter()
            .map(|c| (c.key.0.as_str(), c.title.as_str(), c.number.map(|n| n.0)))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "Contents", None),
                ("b", "Chapter 1", Some(1)),
                ("b~2", "Chapter 2", Some(2))
            ]
        );
    }

    #[test]
    fn a_book_without_story_is_an_error() {
        let parsed = Parsed {
            sections: vec![section("a", Some("Cover"), 0)],
            ..Parsed::default()
        };
        let err = assemble(parsed, Format::Text, Path::new("e.txt")).expect_err("no story");
        assert!(matches!(err, Error::NoStory { .. }));
    }
}
