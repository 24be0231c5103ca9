//! A book in one HTML file, as Project Gutenberg ships it: the Gutenberg header and licence cut
//! off, the rest split like any one-document book. Named by the Gutenberg header, else by the
//! page's own metadata.

use super::assemble::Parsed;
use super::{Error, gutenberg, html_doc, plain, xhtml_text};
use scraper::{Html, Selector};
use std::path::Path;
use std::sync::LazyLock;

/// Section keys start with this: the file's name could change between runs, its content not.
const KEY: &str = "html";

static TITLE: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("head title").expect("static selector"));
static META: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("meta[name][content]").expect("static selector"));
static ROOT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("html[lang]").expect("static selector"));

pub(crate) fn read(bytes: &[u8], name: &Path) -> Result<Parsed, Error> {
    let html = plain::decode(bytes);
    xhtml_text::refuse_too_deep(&html, name)?;
    let stripped = gutenberg::strip_html(&html);
    let meta = Metadata::of(&html);
    Ok(Parsed {
        title: stripped.title.or(meta.title),
        author: stripped.author.or(meta.author),
        language: meta.language,
        sections: html_doc::sections(stripped.body, KEY),
        warnings: Vec::new(),
    })
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Metadata {
    title: Option<String>,
    author: Option<String>,
    language: Option<String>,
}

impl Metadata {
    /// Dublin Core `<meta>` tags (Gutenberg writes them), else `<title>` and `author`.
    fn of(html: &str) -> Metadata {
        let doc = Html::parse_document(html);
        let meta = |names: &[&str]| {
            doc.select(&META).find_map(|m| {
                let name = m.value().attr("name")?.to_ascii_lowercase();
                names
                    .contains(&name.as_str())
                    .then(|| m.value().attr("content"))
                    .flatten()
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
            })
        };
        let title_tag = doc
            .select(&TITLE)
            .next()
            .map(|t| t.text().collect::<String>().trim().to_string())
            .filter(|t| !t.is_empty());
        Metadata {
            title: meta(&["dc.title", "dcterms.title"]).or(title_tag),
            author: meta(&["dc.creator", "dcterms.creator", "author"]),
            language: doc
                .select(&ROOT)
                .next()
                .and_then(|h| h.value().attr("lang"))
                .map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_comes_from_meta_tags_then_the_title() {
        let html = "<html lang=\"en\"><head><title>T</title>\
            <meta name=\"DC.Creator\" content=\"Jane Austen\"></head><body></body></html>";
        assert_eq!(
            Metadata::of(html),
            Metadata {
                title: Some("T".into()),
                author: Some("Jane Austen".into()),
                language: Some("en".into()),
            }
        );
    }

    #[test]
    fn absurd_nesting_is_refused_before_parsing() {
        let html = "<div>".repeat(xhtml_text::MAX_NESTING + 1);
        let err = read(html.as_bytes(), Path::new("x.html")).expect_err("too deep");
        assert!(matches!(err, Error::TooDeep { .. }));
    }
}
