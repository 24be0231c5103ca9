//! Acceptance tests for the Kindle (MOBI, AZW3), Word and HTML readers: the same novel as in its
//! EPUB, and hostile files refused cleanly.

use imaginize::book::{self, Book, Format};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/books")
        .join(name)
}

fn load(name: &str) -> Book {
    book::load(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn metamorphosis_epub() -> &'static Book {
    static BOOK: OnceLock<Book> = OnceLock::new();
    BOOK.get_or_init(|| load("metamorphosis.epub"))
}

fn story_titles(book: &Book) -> Vec<String> {
    book.story_chapters().map(|c| c.title.clone()).collect()
}

/// The words of a text, whitespace and line breaks aside.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// Same story chapters as the EPUB: count, titles and text up to whitespace.
fn assert_same_story_as_epub(book: &Book) {
    let epub = metamorphosis_epub();
    assert_eq!(story_titles(book), story_titles(epub));
    for (got, want) in book.story_chapters().zip(epub.story_chapters()) {
        assert_eq!(
            words(&got.text),
            words(&want.text),
            "{}: {:?} differs from the EPUB",
            got.title,
            book.format
        );
    }
}

// --- HTML ------------------------------------------------------------------------------------

#[test]
fn gutenberg_html_gives_the_epub_chapters_without_the_licence() {
    let book = load("metamorphosis-gutenberg.html");
    assert_eq!(book.format, Format::Html);
    assert_eq!(book.title, "Metamorphosis");
    assert_eq!(book.author.as_deref(), Some("Franz Kafka"));
    assert_eq!(book.language.as_deref(), Some("en"));
    assert_same_story_as_epub(&book);
    for chapter in &book.chapters {
        let text = chapter.text.to_lowercase();
        assert!(
            !text.contains("gutenberg") && !text.contains("licen"),
            "{} keeps Gutenberg boilerplate",
            chapter.title
        );
    }
}

#[test]
fn html_without_toc_splits_at_headings() {
    let html = format!(
        "<html><body><h1>Emma</h1><h2>Chapter 1</h2><p>{0}</p><h3>Later</h3><p>{0}</p>\
         <h2>Chapter 2</h2><p>{0}</p></body></html>",
        "word ".repeat(200)
    );
    let book =
        book::load_bytes(html.as_bytes(), Format::Html, Path::new("emma.html")).expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2"]);
    assert_eq!(book.chapters[1].word_count, 401);
}

#[test]
fn html_extensions_are_recognised() {
    for name in ["a.html", "a.HTM", "a.xhtml"] {
        assert_eq!(Format::from_path(Path::new(name)), Some(Format::Html));
    }
}
