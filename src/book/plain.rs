//! Plain text and Markdown: split at chapter headings ("Chapter 12", "CHAPTER XII", Markdown `#`
//! headings), with the Project Gutenberg header and licence cut off. The line splitter and the
//! paragraph reflow are shared with the PDF reader, whose text layer is plain text too.

use super::assemble::{Parsed, Section};
use super::{Format, gutenberg, headings, scheme};
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

static MD_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(#{1,6})\s+(.*?)\s*#*\s*$").expect("static regex"));

/// A section found in a run of lines: its heading (if any) and the lines of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cut {
    pub title: Option<String>,
    /// Index of the heading line; `None` for the text before the first heading.
    pub heading_line: Option<usize>,
    pub body: Range<usize>,
    /// The heading names a chapter (not a part or a Markdown heading that is not one).
    pub is_chapter_heading: bool,
}

pub(crate) fn read(bytes: &[u8], format: Format) -> Parsed {
    let text = decode(bytes);
    let stripped = gutenberg::strip(&text);
    let lines: Vec<&str> = stripped.body.lines().collect();
    let cuts = split_lines(&lines, format == Format::Markdown);
    let (block_title, block_author) = title_block(&lines, &cuts);
    Parsed {
        title: stripped.title.or(block_title),
        author: stripped.author.or(block_author),
        sections: sections(&lines, &cuts),
        ..Parsed::default()
    }
}

/// Text without headings of its own markup (a Word file or HTML page without heading styles)
/// is split at its chapter-heading lines, as a plain-text book is.
pub(crate) fn split_text(text: &str) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().collect();
    sections(&lines, &split_lines(&lines, false))
}

fn sections(lines: &[&str], cuts: &[Cut]) -> Vec<Section> {
    cuts.iter()
        .map(|cut| Section {
            key: cut
                .heading_line
                .map_or_else(|| "start".to_string(), |l| format!("line-{}", l + 1)),
            title: cut.title.clone(),
            text: reflow(&lines[cut.body.clone()]),
            never_story: is_contents_list(&lines[cut.body.clone()]),
        })
        .collect()
}

/// UTF-8 (with or without BOM); anything else is read as Latin-1, which old Gutenberg files use.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Splits lines at headings. A heading line stands alone: first line, or after a blank line.
pub(crate) fn split_lines(lines: &[&str], markdown: bool) -> Vec<Cut> {
    let md_level = markdown.then(|| markdown_split_level(lines)).flatten();
    // A chapter heading written unlike the book's own ones sits inside a chapter.
    let own = scheme::dominant(lines.iter().copied());
    let foreign =
        |line: &str| own.is_some() && scheme::scheme(line).is_some_and(|s| Some(s) != own);
    let mut cuts: Vec<Cut> = Vec::new();
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        let after_blank = i == 0 || lines[i - 1].trim().is_empty();
        let Some((title, is_chapter)) = heading_at(line, after_blank, md_level) else {
            continue;
        };
        if md_level.is_none() && foreign(line) {
            continue;
        }
        push_cut(&mut cuts, lines, start..i);
        cuts.push(Cut {
            title: Some(title),
            heading_line: Some(i),
            body: i + 1..i + 1,
            is_chapter_heading: is_chapter,
        });
        start = i + 1;
    }
    push_cut(&mut cuts, lines, start..lines.len());
    cuts
}

/// Gives the lines in `range` to the last cut, or opens a front-matter cut for them.
fn push_cut(cuts: &mut Vec<Cut>, lines: &[&str], range: Range<usize>) {
    match cuts.last_mut() {
        Some(last) => last.body.end = range.end,
        None if lines[range.clone()].iter().any(|l| !l.trim().is_empty()) => cuts.push(Cut {
            title: None,
            heading_line: None,
            body: range,
            is_chapter_heading: false,
        }),
        None => {}
    }
}

fn heading_at(line: &str, after_blank: bool, md_level: Option<usize>) -> Option<(String, bool)> {
    if let (Some(max), Some(c)) = (md_level, MD_HEADING.captures(line)) {
        let is_chapter = headings::parse_heading(&c[2])
            .is_some_and(|h| matches!(h.kind, headings::HeadingKind::Chapter(_)));
        return (c[1].len() <= max).then(|| (c[2].to_string(), is_chapter));
    }
    let h = headings::parse_heading(line).filter(|_| after_blank)?;
    Some((
        line.trim().to_string(),
        matches!(h.kind, headings::HeadingKind::Chapter(_)),
    ))
}

/// The deepest Markdown level we split at: the shallowest level used more than once (a book
/// has one `# Title` and many `## Chapter`s), or level 1.
fn markdown_split_level(lines: &[&str]) -> Option<usize> {
    let mut counts = [0usize; 7];
    for c in lines.iter().filter_map(|l| MD_HEADING.captures(l)) {
        counts[c[1].len()] += 1;
    }
    let used = (1..=6).filter(|&l| counts[l] > 0);
    (1..=6).find(|&l| counts[l] > 1).or(used.min())
}

/// A table of contents: most of its lines are headings ("CHAPTER I" then "CHAPTER II" on the
/// next line). Its first entry looks like a chapter heading, but what follows is no chapter.
pub(crate) fn is_contents_list(lines: &[&str]) -> bool {
    let filled: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let headings = filled
        .iter()
        .filter(|l| headings::parse_heading(l).is_some())
        .count();
    !filled.is_empty() && headings * 2 >= filled.len()
}

/// A short preamble of the form "TITLE / By Author" names the book.
pub(crate) fn title_block(lines: &[&str], cuts: &[Cut]) -> (Option<String>, Option<String>) {
    let Some(front) = cuts.first().filter(|c| c.heading_line.is_none()) else {
        return (None, None);
    };
    let filled: Vec<&str> = lines[front.body.clone()]
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let Some(by) = filled
        .iter()
        .position(|l| l.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("by ")))
    else {
        return (None, None);
    };
    if by == 0 || filled.len() > 10 {
        return (None, None);
    }
    let title = filled[..by].join(" ");
    (
        Some(title_case_if_shouting(&title)),
        filled[by].get(3..).map(|a| a.trim().to_string()),
    )
}

/// "PRIDE AND PREJUDICE" → "Pride and Prejudice"; mixed-case titles stay as written.
fn title_case_if_shouting(title: &str) -> String {
    if title.chars().any(char::is_lowercase) {
        return title.to_string();
    }
    const SMALL: [&str; 9] = ["a", "an", "and", "the", "of", "in", "on", "to", "for"];
    title
        .split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i > 0 && SMALL.contains(&lower.as_str()) {
                return lower;
            }
            let mut cs = lower.chars();
            cs.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(cs).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Joins hard-wrapped lines into paragraphs, one blank line between paragraphs.
pub(crate) fn reflow(lines: &[&str]) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines.iter().map(|l| l.trim()) {
        if line.is_empty() {
            flush(&mut paragraphs, &mut current);
        } else {
            current.push(line);
        }
    }
    flush(&mut paragraphs, &mut current);
    paragraphs.join("\n\n")
}

fn flush(paragraphs: &mut Vec<String>, current: &mut Vec<&str>) {
    if !current.is_empty() {
        paragraphs.push(current.join(" "));
        current.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(text: &str, markdown: bool) -> Vec<Option<String>> {
        let lines: Vec<&str> = text.lines().collect();
        split_lines(&lines, markdown)
            .into_iter()
            .map(|c| c.title)
            .collect()
    }

    #[test]
    fn text_splits_at_standalone_chapter_headings() {
        let text = "EMMA\n\nChapter 1\n\nOne.\nStill one.\n\nTwo.\n\nCHAPTER II.\n\nThree.\n";
        assert_eq!(
            titles(text, false),
            [None, Some("Chapter 1".into()), Some("CHAPTER II.".into())]
        );
        let lines: Vec<&str> = text.lines().collect();
        let cuts = split_lines(&lines, false);
        assert_eq!(
            reflow(&lines[cuts[1].body.clone()]),
            "One. Still one.\n\nTwo."
        );
    }

    #[test]
    fn a_heading_of_another_scheme_inside_a_chapter_does_not_split_it() {
        let text = "CHAPTER I.\n\nOne.\n\nCHAPTER II.\n\nHe read aloud:\n\nChapter 1\n\n\
                    It was a dark night.\n\nCHAPTER III.\n\nThree.\n\nCHAPTER IV.\n\nFour.\n";
        assert_eq!(
            titles(text, false),
            [
                Some("CHAPTER I.".into()),
                Some("CHAPTER II.".into()),
                Some("CHAPTER III.".into()),
                Some("CHAPTER IV.".into())
            ]
        );
    }

    #[test]
    fn a_heading_inside_a_paragraph_is_prose() {
        assert_eq!(titles("Intro\nChapter 2\nmore\n", false), [None]);
    }

    #[test]
    fn markdown_splits_at_the_repeated_level() {
        let md =
            "# Emma\n\n## Chapter 1\n\nText.\n\n### A scene\n\nMore.\n\n## Chapter 2\n\nEnd.\n";
        assert_eq!(
            titles(md, true),
            [
                Some("Emma".into()),
                Some("Chapter 1".into()),
                Some("Chapter 2".into())
            ]
        );
    }

    #[test]
    fn title_block_and_gutenberg_header_name_the_book() {
        let parsed = read(
            b"PRIDE AND PREJUDICE\n\nBy Jane Austen\n\nChapter 1\n\nText.\n",
            Format::Text,
        );
        assert_eq!(parsed.title.as_deref(), Some("Pride and Prejudice"));
        assert_eq!(parsed.author.as_deref(), Some("Jane Austen"));
        let pg = b"Title: Emma\nAuthor: Jane Austen\n*** START OF THE PROJECT GUTENBERG EBOOK EMMA ***\nChapter 1\n\nText.\n*** END OF THE PROJECT GUTENBERG EBOOK EMMA ***\nLicence.";
        let parsed = read(pg, Format::Text);
        assert_eq!(parsed.title.as_deref(), Some("Emma"));
        assert_eq!(parsed.sections.len(), 1);
        assert_eq!(parsed.sections[0].text, "Text.");
    }

    #[test]
    fn a_contents_list_is_not_a_chapter() {
        assert!(is_contents_list(&[
            "CHAPTER II",
            "CHAPTER III",
            "",
            "CHAPTER IV"
        ]));
        assert!(!is_contents_list(&[
            "It was a dark night.",
            "It rained.",
            "",
            "Chapter 2 began."
        ]));
        assert!(!is_contents_list(&[]));
    }

    #[test]
    fn latin1_and_crlf_are_decoded() {
        assert_eq!(decode(b"caf\xe9\r\nx"), "caf\u{e9}\nx");
        assert_eq!(decode(b"\xEF\xBB\xBFhi"), "hi");
    }
}
