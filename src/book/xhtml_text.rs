//! XHTML → plain text that keeps paragraphs: one blank line between blocks (p, div, h1–h6, li,
//! blockquote…), a line break for `<br>`, nothing from scripts, styles or footnote back-links.
//! It also marks where the anchors a table of contents points at sit in the text, so a file that
//! holds several chapters can be split there.
//!
//! We parse with scraper (html5ever), which never fails: a broken file still yields its text.

use scraper::{ElementRef, Html};
use std::collections::HashSet;

/// What a document is made of, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// An element whose id the caller asked about starts here.
    Anchor(String),
    /// One paragraph-like block; `heading` when it came from h1–h6.
    Block { text: String, heading: bool },
}

const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];
/// Never text for a reader.
const SKIPPED: &[&str] = &[
    "head", "script", "style", "title", "noscript", "template", "svg", "math",
];

/// Deeper element nesting than any real book has. html5ever slows down quadratically with
/// nesting depth (40 000 nested divs take seconds), so deeper files are refused before parsing.
pub(crate) const MAX_NESTING: usize = 2_000;

/// Elements that are empty or closed implicitly, so they add no lasting depth.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "dd", "dt", "embed", "hr", "img", "input", "li", "link", "meta",
    "option", "p", "param", "source", "td", "th", "tr", "track", "wbr",
];

/// Refuses a whole document (`name`) nested deeper than [`MAX_NESTING`], before it is parsed.
pub(crate) fn refuse_too_deep(
    html: &str,
    name: &std::path::Path,
) -> Result<(), crate::book::Error> {
    let depth = nesting_depth(html);
    if depth > MAX_NESTING {
        return Err(crate::book::Error::TooDeep {
            path: name.to_path_buf(),
            depth,
            limit: MAX_NESTING,
        });
    }
    Ok(())
}

/// A cheap estimate of the deepest element nesting in `html`: open tags minus close tags,
/// without parsing.
pub(crate) fn nesting_depth(html: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for (pos, _) in html.match_indices('<') {
        let rest = &html[pos + 1..];
        if rest.starts_with('/') {
            depth = depth.saturating_sub(1);
            continue;
        }
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        // Look for the tag's end nearby only, so text full of '<' stays linear.
        let mut end = rest.len().min(1024);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let window = &rest[..end];
        let self_closing = window
            .find('>')
            .is_some_and(|end| window[..end].ends_with('/'));
        if !self_closing && !NOT_NESTING.contains(&name.as_str()) {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// The blocks of `html`, with an `Anchor` before each element whose id is in `anchors`.
pub(crate) fn extract(html: &str, anchors: &HashSet<String>) -> Vec<Piece> {
    let doc = Html::parse_document(html);
    let mut out = Collector::default();
    // An explicit stack, not recursion: hostile files can nest elements deep enough to overflow
    // the call stack.
    let mut stack = vec![(*doc.root_element(), false)];
    while let Some((node, closing)) = stack.pop() {
        if let Some(text) = node.value().as_text() {
            out.text(text);
            continue;
        }
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        if closing {
            out.close(el);
            continue;
        }
        if is_skipped(el) {
            continue;
        }
        out.open(el, anchors);
        stack.push((node, true));
        stack.extend(node.children().rev().map(|c| (c, false)));
    }
    out.flush();
    out.pieces
}

/// Concatenated text of all blocks, paragraphs separated by one blank line.
pub(crate) fn blocks_to_text<'a>(pieces: impl IntoIterator<Item = &'a Piece>) -> String {
    pieces
        .into_iter()
        .filter_map(|p| match p {
            Piece::Block { text, .. } => Some(text.as_str()),
            Piece::Anchor(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[derive(Default)]
struct Collector {
    pieces: Vec<Piece>,
    /// Lines of the block being read; `<br>` starts a new one.
    lines: Vec<String>,
    in_heading: usize,
    seen_anchors: HashSet<String>,
}

impl Collector {
    fn open(&mut self, el: ElementRef<'_>, anchors: &HashSet<String>) {
        let name = el.value().name();
        let anchor = el
            .value()
            .id()
            .or_else(|| (name == "a").then(|| el.value().attr("name")).flatten());
        if let Some(id) = anchor.filter(|id| anchors.contains(*id)) {
            self.flush();
            if self.seen_anchors.insert(id.to_string()) {
                self.pieces.push(Piece::Anchor(id.to_string()));
            }
        }
        if name == "br" {
            self.lines.push(String::new());
        } else if BLOCKS.contains(&name) {
            self.flush();
        }
        if is_heading(name) {
            self.in_heading += 1;
        }
    }

    fn close(&mut self, el: ElementRef<'_>) {
        let name = el.value().name();
        if BLOCKS.contains(&name) {
            self.flush();
        }
        if is_heading(name) {
            self.in_heading = self.in_heading.saturating_sub(1);
        }
    }

    fn text(&mut self, text: &str) {
        match self.lines.last_mut() {
            Some(line) => line.push_str(text),
            None => self.lines.push(text.to_string()),
        }
    }

    /// Ends the current block; whitespace runs (source line breaks included) become one space.
    fn flush(&mut self) {
        let text = self
            .lines
            .drain(..)
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if !text.is_empty() {
            self.pieces.push(Piece::Block {
                text,
                heading: self.in_heading > 0,
            });
        }
    }
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn is_skipped(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if SKIPPED.contains(&v.name()) {
        return true;
    }
    // Footnote back-links ("↩") and note-reference markers would leave stray numbers and arrows
    // in the prose.
    let marks = [v.attr("role"), v.attr("epub:type"), v.attr("class")];
    if marks.iter().flatten().any(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("backlink") || m.contains("noteref") || m.contains("footnote-back")
    }) {
        return true;
    }
    v.name() == "a" && {
        let t: String = el.text().collect();
        matches!(
            t.trim(),
            "↩" | "↩\u{fe0e}" | "↩\u{fe0f}" | "[Back]" | "Back"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        blocks_to_text(&extract(html, &HashSet::new()))
    }

    #[test]
    fn blocks_become_paragraphs() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
            <h1>Chapter 1</h1><p>One\n  two.</p><div>Three<br/>four</div>\
            <ul><li>a</li><li>b</li></ul><blockquote>q</blockquote><script>x()</script></body></html>";
        assert_eq!(
            text(html),
            "Chapter 1\n\nOne two.\n\nThree\nfour\n\na\n\nb\n\nq"
        );
    }

    #[test]
    fn inline_markup_stays_inline() {
        assert_eq!(
            text("<p>A <em>very</em> <b>bold</b> move.</p>"),
            "A very bold move."
        );
    }

    #[test]
    fn footnote_links_are_dropped() {
        let html = "<p>Text<a epub:type=\"noteref\" href=\"#n1\">1</a>.</p>\
            <aside><p>Note. <a href=\"#r1\" role=\"doc-backlink\">↩</a></p></aside>\
            <p>More <a href=\"#r2\">↩</a></p>";
        assert_eq!(text(html), "Text.\n\nNote.\n\nMore");
    }

    #[test]
    fn anchors_are_marked_where_they_sit() {
        let html = "<body><p>pre</p><h2><a id=\"c1\"></a>CHAPTER I.</h2><p>one</p>\
            <div id=\"c2\"><h2>CHAPTER II.</h2><p>two</p></div><p id=\"other\">x</p></body>";
        let anchors: HashSet<String> = ["c1".to_string(), "c2".to_string()].into();
        let pieces = extract(html, &anchors);
        let block = |t: &str, heading| Piece::Block {
            text: t.into(),
            heading,
        };
        assert_eq!(
            pieces,
            [
                block("pre", false),
                Piece::Anchor("c1".into()),
                block("CHAPTER I.", true),
                block("one", false),
                Piece::Anchor("c2".into()),
                block("CHAPTER II.", true),
                block("two", false),
                block("x", false),
            ]
        );
    }

    #[test]
    fn nesting_depth_is_estimated_without_parsing() {
        assert_eq!(
            nesting_depth("<html><body><div><p>a<br/>b<img src=x></div></body></html>"),
            3
        );
        assert_eq!(nesting_depth("<p>one<p>two<p>three"), 0);
        assert_eq!(nesting_depth(&"<div>".repeat(5000)), 5000);
        assert_eq!(nesting_depth("a < b <3 <é> </"), 0);
        // The look-ahead window must end on a character boundary.
        assert_eq!(nesting_depth(&format!("<div {}", "é".repeat(1000))), 1);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!(
            "{}deep{}",
            "<div>".repeat(MAX_NESTING),
            "</div>".repeat(MAX_NESTING)
        );
        assert_eq!(text(&html), "deep");
    }
}
