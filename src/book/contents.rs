//! A table of contents written as text: every entry "CHAPTER I. The Title", a wrapped line or
//! two under it, and then the book starts again at chapter one. Readers cut at each entry as if
//! it were a chapter; this finds such a run (numbering that restarts, after sections too short to
//! be chapters) so none of it is taken for story.

use super::assemble::Section;
use super::headings::{HeadingKind, parse_heading};

/// The most words a contents entry carries under its heading (wrapped title, page number).
const MAX_ENTRY_WORDS: usize = 60;

fn chapter_number(section: &Section) -> Option<u32> {
    match parse_heading(section.title.as_deref()?)?.kind {
        HeadingKind::Chapter(n) => Some(n),
        _ => None,
    }
}

/// Marks the chapter sections before a restart of the numbering as not story, when most of them
/// are too short to be chapters (a book in volumes restarts its numbering too, after real ones).
pub(crate) fn mark_contents(sections: &mut [Section]) {
    let numbered: Vec<(usize, u32)> = sections
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, chapter_number(s)?)))
        .collect();
    let restart = numbered
        .windows(2)
        .find(|w| w[1].1 <= 1 && w[0].1 >= 2)
        .map(|w| w[1].0);
    let Some(restart) = restart else {
        return;
    };
    let run: Vec<usize> = numbered
        .iter()
        .map(|&(i, _)| i)
        .filter(|&i| i < restart)
        .collect();
    let short = run
        .iter()
        .filter(|&&i| sections[i].text.split_whitespace().count() <= MAX_ENTRY_WORDS)
        .count();
    if short * 2 > run.len() {
        for i in run {
            sections[i].never_story = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(title: &str, words: usize) -> Section {
        Section {
            key: title.to_string(),
            title: Some(title.to_string()),
            text: vec!["word"; words].join(" "),
            never_story: false,
        }
    }

    #[test]
    fn a_wrapped_contents_list_before_chapter_one_is_not_story() {
        let mut sections = vec![
            section("CHAPTER I. Tom Practices", 4),
            section("CHAPTER II. Strong Temptations", 3),
            section("CHAPTER III. Tom as a General", 250),
            section("Chapter 1", 3000),
            section("Chapter 2", 2500),
        ];
        mark_contents(&mut sections);
        let flags: Vec<bool> = sections.iter().map(|s| s.never_story).collect();
        assert_eq!(flags, [true, true, true, false, false]);
    }

    #[test]
    fn a_wrapped_contents_list_in_plain_text_gives_no_chapters() -> Result<(), crate::book::Error> {
        let prose = "word ".repeat(200);
        let text = format!(
            "CONTENTS\n\nCHAPTER I. Tom Practices Music--The\nChallenge\n\nCHAPTER II. Strong \
             Temptations--The\nInnocents Beguiled\n\nCHAPTER I\n\n{prose}\n\nCHAPTER II\n\n{prose}\n"
        );
        let book = crate::book::load_bytes(
            text.as_bytes(),
            crate::book::Format::Text,
            std::path::Path::new("t.txt"),
        )?;
        let words: Vec<usize> = book.story_chapters().map(|c| c.word_count).collect();
        assert_eq!(words, [200, 200]);
        Ok(())
    }

    #[test]
    fn volumes_that_restart_their_numbering_stay_story() {
        let mut sections = vec![
            section("Chapter 1", 3000),
            section("Chapter 2", 2500),
            section("Chapter 1", 2800),
        ];
        mark_contents(&mut sections);
        assert!(sections.iter().all(|s| !s.never_story));
    }
}
