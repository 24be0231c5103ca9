//! A book that is one HTML document (a Gutenberg HTML file, a Kindle book's text): chapters start
//! where its own table of contents points, else at its h1–h3 headings, else at chapter-heading
//! lines as in plain text. The splitting itself is the EPUB reader's, fed one document.

use super::assemble::Section;
use super::epub::href::{self, Target};
use super::epub::split::{self, Doc};
use super::epub::toc::TocEntry;
use super::headings::{HeadingKind, parse_heading};
use super::{plain, xhtml_text};
use regex::{Captures, Regex};
use scraper::{ElementRef, Html, Selector};
use std::collections::HashSet;
use std::sync::LazyLock;

/// Fewer table-of-contents links than this is a stray cross-reference, not a table of contents.
const MIN_TOC_ENTRIES: usize = 2;
/// Prefix of the ids we give headings so the splitter can find them.
const HEADING_ID: &str = "imaginize-heading-";

static LINK: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("static selector"));
static WITH_ID: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[id], a[name]").expect("static selector"));
static HEADING: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("h1, h2, h3").expect("static selector"));
static HEADING_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)<h([1-3])([\s/>])").expect("static regex"));

/// The sections of `html`; `key` names the document in section keys.
pub(crate) fn sections(html: &str, key: &str) -> Vec<Section> {
    let toc = toc_entries(html, key);
    let sections = if toc.len() >= MIN_TOC_ENTRIES {
        split_at(html.to_string(), key, &toc)
    } else if let Some((marked, toc)) = mark_headings(html, key) {
        split_at(marked, key, &toc)
    } else {
        let text = xhtml_text::blocks_to_text(&xhtml_text::extract(html, &HashSet::new()));
        plain::split_text(&text)
            .into_iter()
            .map(|s| Section {
                key: format!("{key}#{}", s.key),
                ..s
            })
            .collect()
    };
    // An empty heading (a styling hook) leaves a section with neither title nor text; a
    // section that is mostly chapter names is the book's own table of contents, whatever heading
    // it starts with.
    sections
        .into_iter()
        .filter(|s| s.title.is_some() || !s.text.trim().is_empty())
        .map(|s| Section {
            never_story: s.never_story
                || plain::is_contents_list(&s.text.lines().collect::<Vec<_>>()),
            ..s
        })
        .collect()
}

fn split_at(html: String, key: &str, toc: &[TocEntry]) -> Vec<Section> {
    let doc = Doc {
        path: key.to_string(),
        html,
        is_nav: false,
    };
    split::sections(&[doc], toc)
}

/// Links to anchors in this document that belong to a table of contents: inside an element
/// marked as one (a `nav`, a `toc`/`contents` class or id), or reading like a chapter heading.
/// Each target counts once, and only if it exists.
fn toc_entries(html: &str, key: &str) -> Vec<TocEntry> {
    let doc = Html::parse_document(html);
    let ids: HashSet<&str> = doc
        .select(&WITH_ID)
        .filter_map(|el| el.value().id().or_else(|| el.value().attr("name")))
        .collect();
    let mut seen = HashSet::new();
    doc.select(&LINK)
        .filter_map(|a| {
            let link = a.value().attr("href")?.trim();
            let target = link
                .starts_with('#')
                .then(|| href::resolve(key, link))
                .flatten()?;
            let fragment = target.fragment.as_deref()?;
            let title = collapsed_text(a);
            let in_toc = in_toc_container(a) || parse_heading(&title).is_some();
            (in_toc && ids.contains(fragment) && seen.insert(fragment.to_string())).then_some(
                TocEntry {
                    title,
                    target,
                    depth: 0,
                },
            )
        })
        .collect()
}

fn collapsed_text(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn in_toc_container(a: ElementRef<'_>) -> bool {
    a.ancestors().filter_map(ElementRef::wrap).any(|el| {
        let v = el.value();
        let marked = |s: Option<&str>| {
            s.is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("toc") || s.contains("contents")
            })
        };
        v.name() == "nav" || marked(v.id()) || marked(v.attr("class"))
    })
}

/// Gives every heading down to the splitting level an id of ours, and a TOC entry pointing at
/// it (untitled, so the heading's own text names the section). `None` without h1–h3 headings.
/// Our id comes first in the tag, and HTML keeps the first of two same-named attributes.
fn mark_headings(html: &str, key: &str) -> Option<(String, Vec<TocEntry>)> {
    let split_level = split_level(html)?;
    let mut toc = Vec::new();
    let marked = HEADING_TAG.replace_all(html, |c: &Captures<'_>| {
        if level(c) > split_level {
            return c[0].to_string();
        }
        let id = format!("{HEADING_ID}{}", toc.len() + 1);
        let tag = format!("<h{} id=\"{id}\"{}", &c[1], &c[2]);
        toc.push(TocEntry {
            title: String::new(),
            target: Target {
                path: key.to_string(),
                fragment: Some(id),
            },
            depth: 0,
        });
        tag
    });
    Some((marked.into_owned(), toc))
}

/// The deepest heading level that starts a chapter: the deepest one with a heading that reads
/// "Chapter N", else the shallowest used more than once (a book has one `<h1>` title and many
/// `<h2>` chapters), else the shallowest used.
fn split_level(html: &str) -> Option<usize> {
    let doc = Html::parse_document(html);
    let mut counts = [0usize; 4];
    let mut chapter_level = None;
    for h in doc.select(&HEADING) {
        let level = match h.value().name() {
            "h1" => 1,
            "h2" => 2,
            _ => 3,
        };
        counts[level] += 1;
        let is_chapter = parse_heading(&collapsed_text(h))
            .is_some_and(|h| matches!(h.kind, HeadingKind::Chapter(_)));
        if is_chapter {
            chapter_level = chapter_level.max(Some(level));
        }
    }
    let used = (1..=3).filter(|&l| counts[l] > 0);
    chapter_level
        .or_else(|| (1..=3).find(|&l| counts[l] > 1))
        .or(used.min())
}

fn level(c: &Captures<'_>) -> usize {
    c[1].parse().unwrap_or(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(html: &str) -> Vec<(Option<String>, String)> {
        sections(html, "book")
            .into_iter()
            .map(|s| (s.title, s.text))
            .collect()
    }

    #[test]
    fn toc_links_split_the_document() {
        let html = r##"<body><h1>Emma</h1><p class="toc"><a href="#c1">CHAPTER I.</a></p>
            <p class="toc"><a href="#c2">CHAPTER II.</a> <a href="#nowhere">CHAPTER III.</a></p>
            <h2><a id="c1"></a>CHAPTER I.</h2><p>One <a href="#fn1">1</a>.</p>
            <h2 id="c2">CHAPTER II.</h2><p>Two.</p><p id="fn1">A note.</p></body>"##;
        let got = titles(html);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (Some("CHAPTER I.".into()), "One 1.".into()));
        assert_eq!(
            got[2],
            (Some("CHAPTER II.".into()), "Two.\n\nA note.".into())
        );
    }

    #[test]
    fn without_a_toc_repeated_headings_split_and_subheadings_do_not() {
        let html = "<h1>Emma</h1><p>by J.</p><h2 id=\"x\">The Ball</h2><p>One.</p>\
            <h3>A scene</h3><p>More.</p><h2>The Visit</h2><p>Two.</p>";
        assert_eq!(
            titles(html),
            [
                (Some("Emma".into()), "by J.".into()),
                (Some("The Ball".into()), "One.\n\nA scene\n\nMore.".into()),
                (Some("The Visit".into()), "Two.".into()),
            ]
        );
    }

    #[test]
    fn without_any_heading_chapter_lines_split() {
        let html = "<p>Front.</p><p>Chapter 1</p><p>One.</p><p>Chapter 2</p><p>Two.</p>";
        let got = titles(html);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2], (Some("Chapter 2".into()), "Two.".into()));
    }

    #[test]
    fn a_contents_page_is_never_story() {
        let html = "<p><a href=\"#c1\">Chapter 1</a></p><p><a href=\"#c2\">Chapter 2</a></p>\
            <p id=\"c1\">Chapter 1</p><p>One.</p><p id=\"c2\">Chapter 2</p><p>Two.</p>";
        let got = sections(html, "mobi");
        assert_eq!(got.len(), 3);
        assert!(got[0].never_story);
        assert!(!got[1].never_story);
        assert_eq!(got[1].text, "One.");
    }
}
