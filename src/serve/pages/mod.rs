//! The server-rendered pages: the embedded layout filled with HTML built here, every value
//! escaped on the way in. The page works without scripts; `assets/serve/app.js` only keeps it
//! live.

pub mod book;
pub mod cast;
pub mod library;
pub mod scene;

/// The layout every page is drawn in.
const LAYOUT: &str = include_str!("../../../assets/serve/layout.html");

/// What a page puts into the layout.
pub struct Page<'a> {
    pub title: &'a str,
    /// `library`, `book`, `cast` or `scene`: what the script does on it.
    pub kind: &'a str,
    pub book: &'a str,
    pub csrf: &'a str,
    /// Links after the brand, already HTML.
    pub nav: String,
    /// The page's content, already HTML.
    pub body: String,
}

impl Page<'_> {
    pub fn render(&self) -> String {
        let value = |name: &str| match name {
            "title" => escape(self.title),
            "page" => escape(self.kind),
            "book" => escape(self.book),
            "csrf" => escape(self.csrf),
            "nav" => self.nav.clone(),
            "body" => self.body.clone(),
            _ => String::new(),
        };
        // One pass over the layout: a value that looks like a placeholder stays as it is.
        let mut out = String::with_capacity(LAYOUT.len() + self.body.len());
        let mut rest = LAYOUT;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            out.push_str(&rest[..start]);
            out.push_str(&value(&rest[start + 2..start + len]));
            rest = &rest[start + len + 2..];
        }
        out.push_str(rest);
        out
    }
}

pub use crate::render::markup::escape;

/// A path segment made safe inside a URL (book ids are already URL-safe; images may not be).
pub fn url_path(path: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'.')
        .remove(b'-')
        .remove(b'_');
    percent_encoding::utf8_percent_encode(path, SET).to_string()
}

pub use crate::serve::format::{duration, money};

/// The nav links of a book's pages.
pub fn book_nav(id: &str, title: &str) -> String {
    let id = escape(id);
    format!(
        "<a href=\"/books/{id}\" data-k=\"title\">{}</a><a href=\"/books/{id}/cast\">Cast</a>",
        escape(if title.is_empty() { "Book" } else { title })
    )
}

/// The page for a request that names no book, chapter or scene of this server.
pub fn not_found(csrf: &str, what: &str) -> String {
    Page {
        title: "Not found",
        kind: "error",
        book: "",
        csrf,
        nav: String::new(),
        body: format!("<h1>Not found</h1><p>{}</p>", escape(what)),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = Page {
            title: "<script>",
            kind: "book",
            book: "b\"",
            csrf: "c",
            nav: String::new(),
            body: "{{title}}".into(),
        }
        .render();
        assert!(
            page.contains("&lt;script&gt; · imaginize") && page.contains("data-book=\"b&quot;\"")
        );
        assert_eq!(url_path("images/a b.png"), "images/a%20b.png");
    }
}
