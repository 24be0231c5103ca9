//! Chapters follow the table of contents, not the files: a file holding several chapters is
//! split at the anchors its TOC entries point at, and spine files with no TOC entry of their own
//! that follow a TOC'd one are joined to it (one chapter spread over several files). Files
//! before the first TOC'd one (cover, title page…) each stay a section of their own.

use super::toc::TocEntry;
use crate::book::assemble::Section;
use crate::book::gutenberg;
use crate::book::headings::{HeadingKind, parse_heading};
use crate::book::number_title;
use crate::book::xhtml_text::{self, Piece};
use std::collections::{HashMap, HashSet};

/// A content document from the spine, read.
pub(crate) struct Doc {
    pub path: String,
    pub html: String,
    /// The EPUB 3 nav document: a table of contents, never story.
    pub is_nav: bool,
}

/// A section being built: where it starts and the blocks that belong to it.
struct Draft {
    key: String,
    toc_title: Option<String>,
    blocks: Vec<(String, bool)>,
    never_story: bool,
}

impl Draft {
    fn new(key: String, toc_title: Option<String>, never_story: bool) -> Self {
        Draft {
            key,
            toc_title: toc_title.filter(|t| !t.is_empty()),
            blocks: Vec::new(),
            never_story,
        }
    }
}

pub(crate) fn sections(docs: &[Doc], toc: &[TocEntry]) -> Vec<Section> {
    let mut by_path: HashMap<&str, Vec<&TocEntry>> = HashMap::new();
    for entry in toc {
        by_path
            .entry(entry.target.path.as_str())
            .or_default()
            .push(entry);
    }
    let mut drafts: Vec<Draft> = Vec::new();
    // The TOC'd section that untitled files after it join.
    let mut joinable: Option<usize> = None;
    for doc in docs {
        let entries = by_path
            .get(doc.path.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let anchors: HashSet<String> = entries
            .iter()
            .filter_map(|e| e.target.fragment.clone())
            .collect();
        let pieces = xhtml_text::extract(&doc.html, &anchors);
        let found: HashSet<&str> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Anchor(id) => Some(id.as_str()),
                Piece::Block { .. } => None,
            })
            .collect();
        // Entries without a fragment, or whose anchor is missing, start at the top of the file.
        let at_top: Vec<&&TocEntry> = entries
            .iter()
            .filter(|e| {
                e.target
                    .fragment
                    .as_deref()
                    .is_none_or(|f| !found.contains(f))
            })
            .collect();
        // Where the next block goes; `None` until a block needs an untitled section of its own.
        let mut target = if doc.is_nav && at_top.is_empty() {
            joinable = None;
            let contents = Draft::new(doc.path.clone(), Some("Contents".into()), true);
            Some(push(&mut drafts, contents))
        } else if !at_top.is_empty() {
            for e in &at_top {
                let draft = Draft::new(doc.path.clone(), Some(e.title.clone()), false);
                joinable = Some(push(&mut drafts, draft));
            }
            joinable
        } else {
            joinable
        };
        for piece in pieces {
            match piece {
                Piece::Anchor(id) => {
                    for e in entries
                        .iter()
                        .filter(|e| e.target.fragment.as_deref() == Some(id.as_str()))
                    {
                        let key = format!("{}#{id}", doc.path);
                        target = Some(push(
                            &mut drafts,
                            Draft::new(key, Some(e.title.clone()), false),
                        ));
                        joinable = target;
                    }
                }
                Piece::Block { text, heading } => {
                    let i = *target.get_or_insert_with(|| {
                        push(&mut drafts, Draft::new(doc.path.clone(), None, false))
                    });
                    if let Some(d) = drafts.get_mut(i) {
                        d.blocks.push((text, heading));
                    }
                }
            }
        }
    }
    drafts.into_iter().map(finish).collect()
}

fn push(drafts: &mut Vec<Draft>, draft: Draft) -> usize {
    drafts.push(draft);
    drafts.len() - 1
}

/// Picks the title (TOC label, else the first heading) and drops the heading blocks that only
/// repeat it, so the text is the chapter's prose.
fn finish(mut d: Draft) -> Section {
    let first_heading = d
        .blocks
        .iter()
        .find(|(_, h)| *h)
        .map(|(t, _)| t.replace('\n', " "));
    let title = d.toc_title.clone().or(first_heading);
    let mut dropped = 0;
    while dropped < 2
        && d.blocks.first().is_some_and(|(t, h)| {
            if *h {
                repeats_title(t, title.as_deref())
            } else {
                // Markup without heading tags (MOBI's `<p><font size=7>`) still repeats the
                // title in the chapter's first paragraph.
                dropped == 0
                    && title
                        .as_deref()
                        .is_some_and(|title| letters(t) == letters(title))
            }
        })
    {
        d.blocks.remove(0);
        dropped += 1;
    }
    // The number heading was there and the title heading stands right under it: one heading.
    let title = match (dropped, title, d.blocks.first()) {
        (1.., Some(number), Some((text, true))) => match number_title::joined(&number, text) {
            Some(joined) => {
                d.blocks.remove(0);
                Some(joined)
            }
            None => Some(number),
        },
        (_, title, _) => title,
    };
    let text = xhtml_text::blocks_to_text(
        &d.blocks
            .into_iter()
            .map(|(text, heading)| Piece::Block { text, heading })
            .collect::<Vec<_>>(),
    );
    Section {
        key: d.key,
        title,
        text: gutenberg::cut_footer(&text).to_string(),
        never_story: d.never_story,
    }
}

/// A heading block repeats the title when their words agree, or when it is itself a chapter
/// heading ("CHAPTER III" above a TOC entry called "The Ball").
fn repeats_title(block: &str, title: Option<&str>) -> bool {
    let b = letters(block);
    let same = title
        .map(letters)
        .is_some_and(|t| !t.is_empty() && (t.contains(&b) || b.contains(&t)));
    same || parse_heading(block).is_some_and(|h| matches!(h.kind, HeadingKind::Chapter(_)))
}

/// Letters and digits, lower-cased: what two spellings of a title have in common.
fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::epub::href::Target;

    fn doc(path: &str, body: &str) -> Doc {
        Doc {
            path: path.into(),
            html: format!("<html><body>{body}</body></html>"),
            is_nav: false,
        }
    }

    fn entry(title: &str, path: &str, fragment: Option<&str>) -> TocEntry {
        TocEntry {
            title: title.into(),
            target: Target {
                path: path.into(),
                fragment: fragment.map(Into::into),
            },
            depth: 0,
        }
    }

    fn summary(sections: &[Section]) -> Vec<(String, Option<String>, String)> {
        sections
            .iter()
            .map(|s| (s.key.clone(), s.title.clone(), s.text.clone()))
            .collect()
    }

    #[test]
    fn one_file_with_several_chapters_is_split_at_anchors() {
        let docs = [doc(
            "book.html",
            "<p>front</p><h2 id=\"c1\">CHAPTER I.</h2><p>one</p><h2 id=\"c2\">CHAPTER II.</h2><p>two</p>",
        )];
        let toc = [
            entry("CHAPTER I.", "book.html", Some("c1")),
            entry("CHAPTER II.", "book.html", Some("c2")),
        ];
        assert_eq!(
            summary(&sections(&docs, &toc)),
            [
                ("book.html".into(), None, "front".into()),
                (
                    "book.html#c1".into(),
                    Some("CHAPTER I.".into()),
                    "one".into()
                ),
                (
                    "book.html#c2".into(),
                    Some("CHAPTER II.".into()),
                    "two".into()
                ),
            ]
        );
    }

    #[test]
    fn untitled_files_after_a_chapter_join_it_and_front_matter_stays_apart() {
        let docs = [
            doc("cover.html", "<p>cover</p>"),
            doc("title.html", "<h1>Emma</h1><p>by Jane</p>"),
            doc("c1a.html", "<h1>Chapter 1</h1><p>first half</p>"),
            doc("c1b.html", "<p>second half</p>"),
        ];
        let toc = [entry("Chapter 1", "c1a.html", None)];
        assert_eq!(
            summary(&sections(&docs, &toc)),
            [
                ("cover.html".into(), None, "cover".into()),
                ("title.html".into(), Some("Emma".into()), "by Jane".into()),
                (
                    "c1a.html".into(),
                    Some("Chapter 1".into()),
                    "first half\n\nsecond half".into()
                ),
            ]
        );
    }

    #[test]
    fn no_empty_section_before_a_chapter_anchor() {
        let docs = [doc(
            "c1.html",
            "<section id=\"c1\"><h1>Chapter 1</h1><p>one</p></section>",
        )];
        let toc = [entry("Chapter 1", "c1.html", Some("c1"))];
        let got = summary(&sections(&docs, &toc));
        assert_eq!(
            got,
            [("c1.html#c1".into(), Some("Chapter 1".into()), "one".into())]
        );
    }

    #[test]
    fn a_title_heading_under_the_number_heading_joins_the_title() {
        let docs = [
            doc(
                "c1.html",
                "<h2>CHAPTER I</h2><h2>THERE IS NO ONE LEFT</h2><p>one</p><h3>Later</h3>",
            ),
            doc("c2.html", "<h2>CHAPTER II</h2><p>two</p>"),
            doc("c3.html", "<h2>CHAPTER III</h2><p>three</p><h2>After</h2>"),
        ];
        let toc = [
            entry("CHAPTER I", "c1.html", None),
            entry("CHAPTER II", "c2.html", None),
            entry("CHAPTER III", "c3.html", None),
        ];
        assert_eq!(
            summary(&sections(&docs, &toc)),
            [
                (
                    "c1.html".into(),
                    Some("CHAPTER I: THERE IS NO ONE LEFT".into()),
                    "one\n\nLater".into()
                ),
                ("c2.html".into(), Some("CHAPTER II".into()), "two".into()),
                (
                    "c3.html".into(),
                    Some("CHAPTER III".into()),
                    "three\n\nAfter".into()
                ),
            ]
        );
    }

    #[test]
    fn a_volume_entry_without_text_stays_empty() {
        let docs = [doc(
            "v1.html",
            "<h1>VOLUME I</h1><h2 id=\"c1\">CHAPTER I</h2><p>one</p>",
        )];
        let toc = [
            entry("VOLUME I", "v1.html", None),
            entry("CHAPTER I", "v1.html", Some("c1")),
        ];
        let got = summary(&sections(&docs, &toc));
        assert_eq!(
            got[0],
            ("v1.html".into(), Some("VOLUME I".into()), String::new())
        );
        assert_eq!(
            got[1],
            ("v1.html#c1".into(), Some("CHAPTER I".into()), "one".into())
        );
    }
}
