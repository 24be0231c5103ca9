//! The table of contents: EPUB 3's nav document or EPUB 2's NCX, flattened depth-first (a volume
//! comes before its chapters), each entry resolved against the folder of the file it is in.

use super::href::{self, Target};
use super::xml;
use crate::book::Error;
use scraper::{ElementRef, Html, Selector};
use std::path::Path;
use std::sync::LazyLock;

/// One entry of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TocEntry {
    pub title: String,
    pub target: Target,
    /// How deeply it is nested: 0 at the top level.
    pub depth: usize,
}

static NAV: LazyLock<Selector> = LazyLock::new(|| Selector::parse("nav").expect("static selector"));
static LINK: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("static selector"));

/// The entries that are chapters: a nested entry that is only a number ("I.", "Part II",
/// "Section 3") under a parent with a title of its own ("A Scandal in Bohemia") is a division
/// of that chapter (a story's numbered parts), not a chapter, and its text stays in the
/// parent's. Under a division of the book ("Volume II", "Book the First") the entries are its
/// chapters whatever they are called, and nested entries with titles ("Chapter I", "I. The
/// Period") are chapters too.
pub(crate) fn chapter_entries(entries: Vec<TocEntry>) -> Vec<TocEntry> {
    let mut parents: Vec<&TocEntry> = Vec::new();
    let mut keep = Vec::with_capacity(entries.len());
    for entry in &entries {
        parents.truncate(entry.depth);
        let titled_parent = parents.last().is_some_and(|p| !is_division(&p.title));
        if !(titled_parent && is_bare_number(&entry.title)) {
            keep.push(entry.clone());
        }
        parents.push(entry);
    }
    keep
}

/// Words that name a division of a book rather than a story.
const DIVISIONS: [&str; 10] = [
    "volume", "vol.", "book", "part", "section", "chapter", "act", "canto", "stave", "letter",
];

/// A title that names a division of the book: a division word or a number in it.
fn is_division(title: &str) -> bool {
    title.split_whitespace().any(|word| {
        let word = word.to_lowercase();
        DIVISIONS.contains(&word.as_str()) || is_numeral(&word)
    })
}

fn is_numeral(word: &str) -> bool {
    let word = word.trim_end_matches(['.', ':', ',']);
    !word.is_empty()
        && (word.chars().all(|c| c.is_ascii_digit())
            || (word.len() > 1 && word.chars().all(|c| "ivxlc".contains(c))))
}

/// "I.", "XII", "3", "Part II", "Section 3.": a number, with at most a division word before it.
fn is_bare_number(title: &str) -> bool {
    let words: Vec<&str> = title.split_whitespace().collect();
    let number = match words.as_slice() {
        [number] => number,
        [word, number] => {
            let word = word.to_lowercase();
            if !["part", "section", "book"].contains(&word.as_str()) {
                return false;
            }
            number
        }
        _ => return false,
    };
    let number = number.trim_end_matches(['.', ':']);
    !number.is_empty()
        && (number.chars().all(|c| c.is_ascii_digit())
            || number.chars().all(|c| "IVXLCivxlc".contains(c)))
}

/// Entries of the nav document's `toc` nav (or its first nav if none is marked).
pub(crate) fn from_nav(html: &str, nav_path: &str) -> Vec<TocEntry> {
    let doc = Html::parse_document(html);
    let navs: Vec<ElementRef<'_>> = doc.select(&NAV).collect();
    let is_toc = |n: &ElementRef<'_>| {
        n.value()
            .attr("epub:type")
            .is_some_and(|t| t.split_whitespace().any(|w| w == "toc"))
    };
    let Some(nav) = navs.iter().find(|n| is_toc(n)).or(navs.first()) else {
        return Vec::new();
    };
    nav.select(&LINK)
        .filter_map(|a| {
            let target = href::resolve(nav_path, a.value().attr("href")?)?;
            let lists = a
                .ancestors()
                .take_while(|n| n.id() != nav.id())
                .filter_map(ElementRef::wrap)
                .filter(|e| matches!(e.value().name(), "ol" | "ul"))
                .count();
            let title = a
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Some(TocEntry {
                title,
                target,
                depth: lists.saturating_sub(1),
            })
        })
        .collect()
}

/// Entries of an NCX `navMap`, in document order (which is depth-first for nested navPoints).
pub(crate) fn from_ncx(text: &str, ncx_path: &str, book: &Path) -> Result<Vec<TocEntry>, Error> {
    let doc = xml::parse(text, book, ncx_path)?;
    let Some(nav_map) = xml::find(doc.root_element(), "navMap") else {
        return Ok(Vec::new());
    };
    Ok(nav_map
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "navPoint")
        .filter_map(|point| {
            let src = xml::children(point, "content").find_map(|c| c.attribute("src"))?;
            let target = href::resolve(ncx_path, src)?;
            let title = xml::children(point, "navLabel")
                .next()
                .map(xml::text_of)
                .unwrap_or_default();
            let depth = point
                .ancestors()
                .skip(1)
                .filter(|n| n.is_element() && n.tag_name().name() == "navPoint")
                .count();
            Some(TocEntry {
                title,
                target,
                depth,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[TocEntry]) -> Vec<(String, String, Option<String>)> {
        list.iter()
            .map(|e| {
                (
                    e.title.clone(),
                    e.target.path.clone(),
                    e.target.fragment.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn nav_toc_is_read_nested_and_resolved() {
        let html = r##"<html><body><nav epub:type="landmarks"><ol><li><a href="cover.xhtml">Cover</a></li></ol></nav>
            <nav epub:type="toc"><ol><li><span>Volume I</span><ol>
              <li><a href="text/v1.xhtml#c1">CHAPTER I.</a></li>
              <li><a href="text/v1.xhtml#c2">CHAPTER  II.</a></li></ol></li>
              <li><a href="../escape.xhtml">Bad</a></li></ol></nav></body></html>"##;
        let got = entries(&from_nav(html, "OEBPS/nav.xhtml"));
        assert_eq!(
            got,
            [
                (
                    "CHAPTER I.".into(),
                    "OEBPS/text/v1.xhtml".into(),
                    Some("c1".into())
                ),
                (
                    "CHAPTER II.".into(),
                    "OEBPS/text/v1.xhtml".into(),
                    Some("c2".into())
                ),
                ("Bad".into(), "escape.xhtml".into(), None),
            ]
        );
    }

    fn entry(title: &str, depth: usize) -> TocEntry {
        TocEntry {
            title: title.into(),
            target: Target {
                path: "t.xhtml".into(),
                fragment: Some(title.into()),
            },
            depth,
        }
    }

    #[test]
    fn numbered_parts_of_a_titled_story_are_not_chapters() {
        let toc = vec![
            entry("A Scandal in Bohemia", 0),
            entry("I.", 1),
            entry("II.", 1),
            entry("The Red-Headed League", 0),
            entry("Part I", 1),
            entry("Book the First", 0),
            entry("I. The Period", 1),
            entry("Volume II", 0),
            entry("III", 1),
            entry("Chapter 4", 0),
        ];
        let kept: Vec<String> = chapter_entries(toc).into_iter().map(|e| e.title).collect();
        assert_eq!(
            kept,
            [
                "A Scandal in Bohemia",
                "The Red-Headed League",
                "Book the First",
                "I. The Period",
                "Volume II",
                "III",
                "Chapter 4"
            ]
        );
    }

    #[test]
    fn nesting_depth_is_read_from_nav_and_ncx() {
        let html = r##"<html><body><nav epub:type="toc"><ol><li><a href="a.xhtml">Story</a><ol>
              <li><a href="a.xhtml#p1">I.</a></li></ol></li><li><a href="b.xhtml">Next</a></li></ol></nav></body></html>"##;
        let depths: Vec<usize> = from_nav(html, "nav.xhtml")
            .iter()
            .map(|e| e.depth)
            .collect();
        assert_eq!(depths, [0, 1, 0]);
        let ncx = r#"<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>
            <navPoint><navLabel><text>Story</text></navLabel><content src="a.html"/>
              <navPoint><navLabel><text>I.</text></navLabel><content src="a.html#p1"/></navPoint>
            </navPoint></navMap></ncx>"#;
        let depths: Vec<usize> = from_ncx(ncx, "toc.ncx", Path::new("b.epub"))
            .expect("ncx")
            .iter()
            .map(|e| e.depth)
            .collect();
        assert_eq!(depths, [0, 1]);
    }

    #[test]
    fn ncx_nested_points_are_flattened_depth_first() {
        let ncx = r#"<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>
            <navPoint><navLabel><text>Volume I</text></navLabel><content src="v1.html"/>
              <navPoint><navLabel><text>Chapter I</text></navLabel><content src="v1.html#c1"/></navPoint>
            </navPoint>
            <navPoint><navLabel><text>Chapter II</text></navLabel><content src="v2%20x.html"/></navPoint>
            </navMap></ncx>"#;
        let got = entries(&from_ncx(ncx, "OEBPS/toc.ncx", Path::new("b.epub")).expect("ncx"));
        assert_eq!(
            got,
            [
                ("Volume I".into(), "OEBPS/v1.html".into(), None),
                (
                    "Chapter I".into(),
                    "OEBPS/v1.html".into(),
                    Some("c1".into())
                ),
                ("Chapter II".into(), "OEBPS/v2 x.html".into(), None),
            ]
        );
    }
}
