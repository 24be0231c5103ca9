//! The cast: every element of Elements.md with its reference portrait, its description and its
//! appearance card (each editable: the form rewrites that one line of Elements.md), aliases,
//! appearances and quotes.

use super::{Page, book_nav, escape};
use crate::analyze::lookup::{ElementsLookup, kind_word};
use crate::analyze::model::Element;
use std::collections::BTreeMap;
use std::fmt::Write;

/// `portraits`: the drawn reference portraits, by element slug (their paths in the folder).
pub fn render(
    id: &str,
    title: &str,
    cast: Result<ElementsLookup, String>,
    portraits: &BTreeMap<String, String>,
    csrf: &str,
) -> String {
    let mut body = String::from("<h1>Cast</h1>");
    match cast {
        Err(message) => {
            let _ = write!(body, "<p class=\"muted\">{}</p>", escape(&message));
        }
        Ok(cast) => {
            let _ = write!(
                body,
                "<p class=\"muted\">{} elements. Elements.md is the source of truth: a saved \
                 description is used by the scenes analysed and the images drawn from now on.</p>",
                cast.elements.len()
            );
            for (index, element) in cast.elements.iter().enumerate() {
                body.push_str(&element_block(id, index, element, portraits, csrf));
            }
        }
    }
    Page {
        title: &format!("Cast · {title}"),
        kind: "cast",
        book: id,
        csrf,
        nav: book_nav(id, title),
        body,
    }
    .render()
}

fn element_block(
    book: &str,
    index: usize,
    e: &Element,
    portraits: &BTreeMap<String, String>,
    csrf: &str,
) -> String {
    let mut out = format!(
        "<section class=\"element\" id=\"el-{index}\"><h2>{name} <span class=\"muted\">{kind}</span></h2>",
        name = escape(&e.name),
        kind = kind_word(e.kind),
    );
    if let Some(portrait) = portraits.get(&crate::store::layout::element_slug(&e.name)) {
        let _ = write!(
            out,
            "<p><img class=\"portrait\" src=\"/books/{}/files/{}\" alt=\"Portrait of {}\"></p>",
            escape(book),
            escape(portrait),
            escape(&e.name)
        );
    }
    if !e.aliases.is_empty() {
        let _ = write!(out, "<p>Also: {}</p>", escape(&e.aliases.join(", ")));
    }
    let _ = write!(
        out,
        "<form method=\"post\" class=\"describe\" action=\"/api/books/{book}/elements/{index}?csrf={csrf}\">\
         <input type=\"hidden\" name=\"name\" value=\"{name}\">\
         <textarea name=\"description\" aria-label=\"Description of {name}\">{description}</textarea>\
         <button>Save description</button> <span class=\"saved muted\"></span></form>",
        book = escape(book),
        csrf = escape(csrf),
        name = escape(&e.name),
        description = escape(&e.description),
    );
    // The card every picture showing it carries verbatim; characters, creatures and recurring
    // places have one.
    if !e.appearance.is_empty() {
        let _ = write!(
            out,
            "<form method=\"post\" class=\"describe\" action=\"/api/books/{book}/elements/{index}?csrf={csrf}\">\
             <input type=\"hidden\" name=\"name\" value=\"{name}\">\
             <textarea name=\"appearance\" aria-label=\"Appearance card of {name}\">{card}</textarea>\
             <button>Save appearance card</button> <span class=\"saved muted\"></span></form>",
            book = escape(book),
            csrf = escape(csrf),
            name = escape(&e.name),
            card = escape(&e.appearance),
        );
    }
    let chapters: Vec<String> = e.chapters.iter().map(ToString::to_string).collect();
    let _ = write!(
        out,
        "<p class=\"muted\">Appears in chapter {}</p>",
        chapters.join(", ")
    );
    for quote in &e.quotes {
        let _ = write!(
            out,
            "<blockquote>{} <span class=\"muted\">(chapter {})</span></blockquote>",
            escape(&quote.text),
            quote.chapter
        );
    }
    out.push_str("</section>");
    out
}
