//! A chapter heading written as two headings: "CHAPTER I" and, right under it with no text
//! between, "THERE IS NO ONE LEFT" (Project Gutenberg's HTML and many of its EPUBs). Readers that
//! cut at every heading would make the number an empty section of its own and the title a
//! chapter without its number; this joins them into one heading, "CHAPTER I: THERE IS NO ONE
//! LEFT", which the title normalisation then shows as "Chapter 1: THERE IS NO ONE LEFT", as a
//! one-line heading with the same words would be.

use super::assemble::Section;
use super::headings::{HeadingKind, MAX_HEADING_CHARS, parse_heading};

/// `number` and `title` as one heading, when `number` is a chapter heading that carries only
/// its number and `title` reads as a chapter's title: not a heading of its own (the next
/// chapter, a part, a prologue), not too long for one, with at least one letter (a row of
/// asterisks is a divider).
pub(crate) fn joined(number: &str, title: &str) -> Option<String> {
    let heading = parse_heading(number)?;
    if !matches!(heading.kind, HeadingKind::Chapter(_)) || heading.subtitle.is_some() {
        return None;
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain_title = !title.is_empty()
        && title.chars().count() <= MAX_HEADING_CHARS
        && title.chars().any(char::is_alphabetic)
        && parse_heading(&title).is_none();
    let number = number.trim().trim_end_matches(['.', ':']);
    plain_title.then(|| format!("{number}: {title}"))
}

/// Joins each section that is only a number heading (no text) with the titled section right
/// after it: one section, keyed where the number stands, with the title's text.
pub(crate) fn join_split_headings(sections: Vec<Section>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::with_capacity(sections.len());
    for section in sections {
        let title = out
            .last()
            .filter(|number| bare_number(number) && !section.never_story)
            .and_then(|number| joined(number.title.as_deref()?, section.title.as_deref()?));
        match (title, out.last_mut()) {
            (Some(title), Some(number)) => {
                number.title = Some(title);
                number.text = section.text;
            }
            _ => out.push(section),
        }
    }
    out
}

/// A section with a title and nothing under it, that the reader did not rule out as story.
fn bare_number(section: &Section) -> bool {
    !section.never_story && section.title.is_some() && section.text.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(key: &str, title: Option<&str>, text: &str) -> Section {
        Section {
            key: key.into(),
            title: title.map(Into::into),
            text: text.into(),
            never_story: false,
        }
    }

    fn summary(sections: &[Section]) -> Vec<(&str, Option<&str>, &str)> {
        sections
            .iter()
            .map(|s| (s.key.as_str(), s.title.as_deref(), s.text.as_str()))
            .collect()
    }

    #[test]
    fn a_number_heading_and_the_title_under_it_are_one_heading() {
        assert_eq!(
            joined("CHAPTER I.", " THERE IS NO\nONE LEFT "),
            Some("CHAPTER I: THERE IS NO ONE LEFT".into())
        );
        // Already titled, or followed by another heading, a divider or prose: no join.
        assert_eq!(joined("CHAPTER I. The Ball", "A Visit"), None);
        assert_eq!(joined("CHAPTER I", "CHAPTER II"), None);
        assert_eq!(joined("CHAPTER I", "PART TWO"), None);
        assert_eq!(joined("CHAPTER I", "* * *"), None);
        assert_eq!(joined("CHAPTER I", &"word ".repeat(30)), None);
        assert_eq!(joined("Contents", "The Ball"), None);
    }

    #[test]
    fn an_empty_number_section_takes_the_titled_section_after_it() {
        let sections = vec![
            section("h1", Some("Contents"), "CHAPTER I. THE BALL"),
            section("h2", Some("CHAPTER I"), ""),
            section("h3", Some("THE BALL"), "One."),
            section("h4", Some("CHAPTER II"), "Two, untitled."),
            section("h5", Some("CHAPTER III"), " "),
            section("h6", Some("CHAPTER IV"), "Four."),
        ];
        assert_eq!(
            summary(&join_split_headings(sections)),
            [
                ("h1", Some("Contents"), "CHAPTER I. THE BALL"),
                ("h2", Some("CHAPTER I: THE BALL"), "One."),
                ("h4", Some("CHAPTER II"), "Two, untitled."),
                ("h5", Some("CHAPTER III"), " "),
                ("h6", Some("CHAPTER IV"), "Four."),
            ]
        );
    }

    #[test]
    fn a_number_with_text_of_its_own_keeps_the_next_section_apart() {
        let sections = vec![
            section("a", Some("CHAPTER I"), "One."),
            section("b", Some("Letters"), "Two."),
        ];
        assert_eq!(join_split_headings(sections).len(), 2);
    }

    #[test]
    fn gutenberg_html_number_and_title_headings_make_one_chapter() -> Result<(), crate::book::Error>
    {
        let prose = "word ".repeat(150);
        let html = format!(
            "<html><body><h1>THE GARDEN</h1><h2>Contents</h2>\
             <p>I. THERE IS NO ONE LEFT</p><p>II. MISTRESS MARY</p>\
             <p><a name=\"chap01\"></a></p><h3>CHAPTER I</h3>\n<h3> THERE IS NO ONE LEFT </h3>\
             <p>{prose}</p><p><a name=\"chap02\"></a></p><h3>CHAPTER II</h3>\
             <h3>MISTRESS MARY</h3><p>{prose}</p></body></html>"
        );
        let book = crate::book::load_bytes(
            html.as_bytes(),
            crate::book::Format::Html,
            std::path::Path::new("g.html"),
        )?;
        let got: Vec<(Option<u32>, &str, usize)> = book
            .chapters
            .iter()
            .map(|c| (c.number.map(|n| n.0), c.title.as_str(), c.word_count))
            .collect();
        assert_eq!(
            got,
            [
                (None, "THE GARDEN", 0),
                (None, "Contents", 9),
                (Some(1), "Chapter 1: THERE IS NO ONE LEFT", 150),
                (Some(2), "Chapter 2: MISTRESS MARY", 150),
            ]
        );
        Ok(())
    }
}
