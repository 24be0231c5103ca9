//! Project Gutenberg framing: the header before "*** START OF THE PROJECT GUTENBERG EBOOK …" and
//! the licence after "*** END OF …" are not part of the book. The header also names the book.
//! Plain text and HTML carry the same markers; HTML also wraps the licence in a `pg-footer`
//! section.

use super::xhtml_text;
use regex::Regex;
use scraper::Html;
use std::collections::HashSet;
use std::sync::LazyLock;

static HTML_START: LazyLock<Regex> = LazyLock::new(|| marker_regex("START"));
static HTML_END: LazyLock<Regex> = LazyLock::new(|| marker_regex("END"));
/// Older files close the book with "End of the Project Gutenberg EBook of …" a few lines before
/// the END marker.
static HTML_END_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bEnd\s+of\s+(?:the\s+|this\s+)Project\s+Gutenberg\s+E-?(?:Book|Text)")
        .expect("static regex")
});
/// How far after "START OF THE PROJECT GUTENBERG EBOOK" the closing stars may be (the book's
/// title sits between them).
const MARKER_TAIL: usize = 500;

/// The book's own text and what the Gutenberg header says about it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Stripped<'a> {
    pub body: &'a str,
    pub title: Option<String>,
    pub author: Option<String>,
}

/// Cuts the Gutenberg header and licence footer off `text`; text without them comes back whole.
pub(crate) fn strip(text: &str) -> Stripped<'_> {
    let (header, after_start) = match find_marker(text, "START OF") {
        Some((line_start, line_end)) => (&text[..line_start], &text[line_end..]),
        None => ("", text),
    };
    let body = match find_marker(after_start, "END OF") {
        Some((line_start, _)) => &after_start[..line_start],
        None => after_start,
    };
    Stripped {
        body,
        title: header_field(header, "Title:"),
        author: header_field(header, "Author:"),
    }
}

/// [`strip`] for an HTML book: the header and licence are cut from the markup, and the header's
/// text names the book.
pub(crate) fn strip_html(html: &str) -> Stripped<'_> {
    let start = HTML_START
        .find(html)
        .map(|m| after_closing_stars(html, m.end()));
    let from = start.unwrap_or(0);
    let rest = &html[from..];
    let end = [
        HTML_END.find(rest).map(|m| m.start()),
        HTML_END_LINE.find(rest).map(|m| m.start()),
        footer_section(rest),
    ]
    .into_iter()
    .flatten()
    .min();
    let head = &html[..from];
    // Older files keep the header in one `<pre>`, whose lines only the raw text keeps apart.
    let raw: String = Html::parse_fragment(head).root_element().text().collect();
    let blocks = xhtml_text::blocks_to_text(&xhtml_text::extract(head, &HashSet::new()));
    let header = format!("{blocks}\n{raw}");
    Stripped {
        body: &rest[..end.unwrap_or(rest.len())],
        title: header_field(&header, "Title:"),
        author: header_field(&header, "Author:"),
    }
}

fn marker_regex(what: &str) -> Regex {
    Regex::new(&format!(
        r"(?i)\*{{1,3}}\s*{what}\s+OF\s+(?:THE\s+|THIS\s+)?PROJECT\s+GUTENBERG"
    ))
    .expect("static regex")
}

/// Where the book starts after a START marker: past the stars that close it.
fn after_closing_stars(html: &str, from: usize) -> usize {
    html[from..]
        .find("***")
        .filter(|&i| i <= MARKER_TAIL)
        .map_or(from, |i| from + i + 3)
}

/// The start of the tag that opens Gutenberg's `pg-footer` section.
fn footer_section(html: &str) -> Option<usize> {
    let at = html
        .find("id=\"pg-footer\"")
        .or_else(|| html.find("id='pg-footer'"))?;
    html[..at].rfind('<')
}

/// Cuts a trailing licence ("*** END OF THE PROJECT GUTENBERG EBOOK …") off one section's text.
pub(crate) fn cut_footer(text: &str) -> &str {
    find_marker(text, "END OF").map_or(text, |(start, _)| &text[..start])
}

/// Byte range of the first line like "*** START OF THE PROJECT GUTENBERG EBOOK …" (the exact
/// wording varies across the years: THE/THIS, EBOOK/E-BOOK, one to three stars).
fn find_marker(text: &str, what: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim();
        if !t.starts_with('*') {
            continue;
        }
        let upper = t.trim_start_matches(['*', ' ']).to_uppercase();
        if upper.starts_with(what) && upper.contains("PROJECT GUTENBERG") {
            return Some((start, offset));
        }
    }
    None
}

fn header_field(header: &str, key: &str) -> Option<String> {
    header
        .lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &str = "The Project Gutenberg eBook of Emma\n\nTitle: Emma\nAuthor: Jane Austen\n\n\
        *** START OF THE PROJECT GUTENBERG EBOOK EMMA ***\n\nCHAPTER I\n\nEmma Woodhouse.\n\n\
        *** END OF THE PROJECT GUTENBERG EBOOK EMMA ***\n\nSection 1. General Terms of Use\n";

    #[test]
    fn header_and_footer_are_cut() {
        let s = strip(BOOK);
        assert_eq!(s.body, "\nCHAPTER I\n\nEmma Woodhouse.\n\n");
        assert_eq!(s.title.as_deref(), Some("Emma"));
        assert_eq!(s.author.as_deref(), Some("Jane Austen"));
    }

    #[test]
    fn older_marker_wording_is_recognised() {
        let text = "Title: X\n***START OF THIS PROJECT GUTENBERG E-BOOK X***\nbody\n\
            *** End of this Project Gutenberg Etext ***\nlicence";
        assert_eq!(strip(text).body, "body\n");
    }

    #[test]
    fn plain_text_is_left_alone() {
        let s = strip("Chapter 1\n\nText *** not a marker.\n");
        assert_eq!(s.body, "Chapter 1\n\nText *** not a marker.\n");
        assert_eq!(s.title, None);
        assert_eq!(cut_footer("text"), "text");
    }

    #[test]
    fn html_header_and_footer_are_cut() {
        let html = "<html><head><title>PG</title></head><body><section id=\"pg-header\">\
            <p><strong>Title</strong>: Emma</p><p>Author: Jane Austen</p>\
            <div>*** START OF THE PROJECT GUTENBERG EBOOK <span>EMMA</span> ***</div></section>\
            <h2>CHAPTER I</h2><p>Text.</p>\
            <section id=\"pg-footer\"><div>*** END OF THE PROJECT GUTENBERG EBOOK EMMA ***</div>\
            <p>Licence.</p></section></body></html>";
        let s = strip_html(html);
        assert_eq!(s.body, "</div></section><h2>CHAPTER I</h2><p>Text.</p>");
        assert_eq!(s.title.as_deref(), Some("Emma"));
        assert_eq!(s.author.as_deref(), Some("Jane Austen"));
        assert_eq!(strip_html("<p>plain</p>").body, "<p>plain</p>");
    }

    #[test]
    fn an_old_html_header_in_one_pre_names_the_book() {
        let html = "<pre>The Project Gutenberg EBook of Emma\n\nTitle: Emma\n\nAuthor: Jane Austen\n\n\
            *** START OF THIS PROJECT GUTENBERG EBOOK EMMA ***\n</pre><p>Text.</p>\
            <pre>End of the Project Gutenberg EBook of Emma\n\n*** END OF THIS PROJECT GUTENBERG EBOOK EMMA ***</pre>";
        let s = strip_html(html);
        assert_eq!(s.title.as_deref(), Some("Emma"));
        assert_eq!(s.author.as_deref(), Some("Jane Austen"));
        assert_eq!(s.body, "\n</pre><p>Text.</p><pre>");
    }

    #[test]
    fn footer_is_cut_from_a_section() {
        assert_eq!(
            cut_footer("end.\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence"),
            "end.\n"
        );
    }
}
