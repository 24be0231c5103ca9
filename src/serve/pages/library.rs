//! The library: every book with its title, author, progress and cost so far.

use super::{Page, escape, money};
use crate::serve::view::BookView;
use std::fmt::Write;

pub fn render(books: &[std::sync::Arc<BookView>], csrf: &str) -> String {
    let mut rows = String::new();
    for book in books {
        row(&mut rows, book);
    }
    let body = if books.is_empty() {
        "<h1>Library</h1><p class=\"muted\">No book folders found. Start a run, or pass \
         <code>--output-dir</code> or <code>--library</code>.</p>"
            .to_owned()
    } else {
        format!(
            "<h1>Library</h1><table id=\"books\"><thead><tr><th>Book</th><th>Author</th>\
             <th>Progress</th><th>Images</th><th>Cost</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    Page {
        title: "Library",
        kind: "library",
        book: "",
        csrf,
        nav: String::new(),
        body,
    }
    .render()
}

fn row(out: &mut String, book: &BookView) {
    let head = &book.head;
    let title = if head.title.is_empty() {
        book.id.as_str()
    } else {
        head.title.as_str()
    };
    let total = book.chapters.len();
    let progress = match &head.error {
        Some(error) => format!("<span class=\"error\">{}</span>", escape(error)),
        None => {
            let done = head.chapters_complete;
            format!(
                "{done} / {total} chapters illustrated <progress max=\"{total}\" value=\"{done}\"></progress>"
            )
        }
    };
    let _ = write!(
        out,
        "<tr><td><a href=\"/books/{id}\">{title}</a></td><td>{author}</td><td>{progress}</td>\
         <td>{done} / {planned}</td><td>{cost}</td></tr>",
        id = escape(&book.id),
        title = escape(title),
        author = escape(&head.author),
        done = head.images.done,
        planned = head.images.total,
        cost = money(head.cost_usd),
    );
}
