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
}

static NAV: LazyLock<Selector> = LazyLock::new(|| Selector::parse("nav").expect("static selector"));
static LINK: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("static selector"));

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
            let title = a
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Some(TocEntry { title, target })
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
            Some(TocEntry { title, target })
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
