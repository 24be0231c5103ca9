//! Acceptance tests for the Kindle (MOBI, AZW3), Word and HTML readers: the same novel as in its
//! EPUB, and hostile files refused cleanly.

use imaginize::book::{self, Book, Error, Format, Limits};
#[path = "support/zip_file.rs"]
mod zip_file;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zip_file::zip;

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
        let (got_words, want_words) = (words(&got.text), words(&want.text));
        let first_difference = got_words
            .iter()
            .zip(&want_words)
            .position(|(a, b)| a != b)
            .unwrap_or(got_words.len().min(want_words.len()));
        let around = |w: &[&str]| {
            w.iter()
                .skip(first_difference)
                .take(8)
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(
            got_words == want_words,
            "{} ({:?}): word {first_difference} is {:?}, the EPUB has {:?}",
            got.title,
            book.format,
            around(&got_words),
            around(&want_words)
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

// --- DOCX ------------------------------------------------------------------------------------

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn run(text: &str) -> String {
    format!("<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r>")
}

fn styled(style: &str, text: &str) -> String {
    format!(
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{}</w:p>",
        run(text)
    )
}

/// A manuscript: a title, two chapters (one by the built-in Heading 1 style, one by a custom
/// style whose outline level makes it a heading), tracked changes, a comment and a footnote.
fn manuscript() -> Vec<u8> {
    let prose = "The night was long and the road was longer still. ".repeat(20);
    let body = format!(
        "{title}{h1}<w:p>{p1}<w:ins w:author=\"Ed\">{ins}</w:ins><w:del w:author=\"Ed\"><w:r><w:delText>DELETED WORDS </w:delText></w:r></w:del>\
         <w:commentRangeStart w:id=\"0\"/>{p1b}<w:commentRangeEnd w:id=\"0\"/><w:r><w:commentReference w:id=\"0\"/></w:r>\
         <w:r><w:footnoteReference w:id=\"1\"/></w:r></w:p>\
         <w:p><w:moveFrom>{moved}</w:moveFrom>{prose}</w:p>{h2}<w:p>{prose}</w:p>",
        title = styled("Title", "The Road"),
        h1 = styled("Heading1", "Chapter One"),
        p1 = run("It began. "),
        ins = run("INSERTED WORDS "),
        p1b = run("Then it rained."),
        moved = run("MOVED AWAY "),
        prose = run(&prose),
        h2 = styled("ChapterTitle", "Chapter Two: The Inn"),
    );
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"{W}\"><w:body>{body}</w:body></w:document>"
    );
    let styles = format!(
        "<w:styles xmlns:w=\"{W}\"><w:style w:type=\"paragraph\" w:styleId=\"ChapterTitle\">\
         <w:name w:val=\"Chapter Title\"/><w:pPr><w:outlineLvl w:val=\"0\"/></w:pPr></w:style></w:styles>"
    );
    let comments = format!(
        "<w:comments xmlns:w=\"{W}\"><w:comment w:id=\"0\"><w:p>{}</w:p></w:comment></w:comments>",
        run("COMMENT TEXT")
    );
    let footnotes = format!(
        "<w:footnotes xmlns:w=\"{W}\"><w:footnote w:id=\"1\"><w:p>{}</w:p></w:footnote></w:footnotes>",
        run("FOOTNOTE TEXT")
    );
    let core = "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
        xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>The Road</dc:title><dc:creator>A. Writer</dc:creator></cp:coreProperties>";
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document.as_bytes()),
        ("word/styles.xml", styles.as_bytes()),
        ("word/comments.xml", comments.as_bytes()),
        ("word/footnotes.xml", footnotes.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
    ])
}

fn load_docx(bytes: &[u8], limits: &Limits) -> Result<Book, Error> {
    book::load_bytes_with(bytes, Format::Docx, Path::new("m.docx"), limits)
}

#[test]
fn docx_gives_chapters_from_headings_with_the_accepted_text_only() {
    let book = load_docx(&manuscript(), &Limits::default()).expect("opens");
    assert_eq!(book.title, "The Road");
    assert_eq!(book.author.as_deref(), Some("A. Writer"));
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2: The Inn"]);
    let first = book.story_chapters().next().expect("chapter 1");
    assert!(
        first
            .text
            .starts_with("It began. INSERTED WORDS Then it rained.\n\nThe night"),
        "{}",
        &first.text[..80]
    );
    let all: String = book.chapters.iter().map(|c| c.text.as_str()).collect();
    for gone in ["DELETED", "MOVED", "COMMENT", "FOOTNOTE"] {
        assert!(!all.contains(gone), "{gone} text kept");
    }
}

#[test]
fn a_real_word_document_gives_the_epub_chapters() {
    let book = load("metamorphosis.docx");
    assert_eq!(book.format, Format::Docx);
    assert_eq!(book.title, "Metamorphosis");
    assert_eq!(book.author.as_deref(), Some("Franz Kafka"));
    assert_same_story_as_epub(&book);
}

#[test]
fn docx_without_headings_is_split_like_plain_text() {
    let prose = run(&"Words upon words. ".repeat(40));
    let body = format!(
        "<w:p>{}</w:p><w:p>{prose}</w:p><w:p>{}</w:p><w:p>{prose}</w:p>",
        run("Chapter 1"),
        run("Chapter 2")
    );
    let document = format!("<w:document xmlns:w=\"{W}\"><w:body>{body}</w:body></w:document>");
    let bytes = zip(&[("word/document.xml", document.as_bytes())]);
    let book = load_docx(&bytes, &Limits::default()).expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2"]);
    assert_eq!(book.title, "m");
}

#[test]
fn docx_main_part_is_found_through_the_package_relationships() {
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/word/document2.xml"/></Relationships>"#;
    let body = format!(
        "{}<w:p>{}</w:p>",
        styled("Heading1", "Chapter 1"),
        run(&"Words upon words. ".repeat(40))
    );
    let document = format!("<w:document xmlns:w=\"{W}\"><w:body>{body}</w:body></w:document>");
    let bytes = zip(&[
        ("_rels/.rels", rels.as_bytes()),
        ("word/document2.xml", document.as_bytes()),
    ]);
    let book = load_docx(&bytes, &Limits::default()).expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1"]);
}

#[test]
fn docx_zip_bomb_is_refused() {
    let document = format!(
        "<w:document xmlns:w=\"{W}\"><w:body><w:p>{}</w:p></w:body></w:document>",
        run(&"a".repeat(200_000))
    );
    let bytes = zip(&[("word/document.xml", document.as_bytes())]);
    let limits = Limits {
        max_entry_bytes: 100_000,
        ..Limits::default()
    };
    let err = load_docx(&bytes, &limits).expect_err("too large");
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("zip bomb"));
}

#[test]
fn not_a_word_document_is_refused() {
    let err = load_docx(b"plain text", &Limits::default()).expect_err("not a zip");
    assert!(matches!(err, Error::NotDocx { .. }), "{err}");
    let err = load_docx(&zip(&[("a.txt", b"x")]), &Limits::default()).expect_err("no document");
    assert!(err.to_string().contains("word/document.xml"), "{err}");
}

// --- MOBI, AZW3 ------------------------------------------------------------------------------

#[test]
fn mobi_gives_the_epub_chapters() {
    let book = load("metamorphosis.mobi");
    assert_eq!(book.format, Format::Mobi);
    assert_eq!(book.title, "Metamorphosis");
    assert_eq!(book.author.as_deref(), Some("Franz Kafka"));
    assert_same_story_as_epub(&book);
}

#[test]
fn azw3_gives_the_epub_chapters() {
    let book = load("metamorphosis.azw3");
    assert_eq!(book.format, Format::Mobi);
    assert_eq!(book.title, "Metamorphosis");
    assert_eq!(book.author.as_deref(), Some("Franz Kafka"));
    assert_eq!(book.language.as_deref(), Some("en"));
    assert_same_story_as_epub(&book);
    let others: Vec<&str> = book
        .chapters
        .iter()
        .filter(|c| !c.is_story)
        .map(|c| c.title.as_str())
        .collect();
    assert!(others.contains(&"Contents"), "{others:?}");
}

#[test]
fn kindle_extensions_are_recognised() {
    for name in ["a.mobi", "a.AZW", "a.azw3"] {
        assert_eq!(Format::from_path(Path::new(name)), Some(Format::Mobi));
    }
    assert_eq!(Format::from_path(Path::new("a.docx")), Some(Format::Docx));
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load_mobi(bytes: &[u8]) -> Result<Book, Error> {
    book::load_bytes(bytes, Format::Mobi, Path::new("x.azw3"))
}

/// Offset of record `i`'s entry in the Palm database's record table.
fn record_entry(i: usize) -> usize {
    78 + 8 * i
}

#[test]
fn encrypted_mobi_is_refused_as_drm() {
    let mut bytes = fixture_bytes("metamorphosis.mobi");
    let record0 = u32::from_be_bytes([bytes[78], bytes[79], bytes[80], bytes[81]]) as usize;
    bytes[record0 + 12..record0 + 14].copy_from_slice(&2u16.to_be_bytes());
    let err = load_mobi(&bytes).expect_err("drm");
    assert!(matches!(err, Error::Drm { .. }), "{err}");
    assert!(err.to_string().contains("DRM"));
}

#[test]
fn truncated_and_out_of_range_mobi_are_refused() {
    let bytes = fixture_bytes("metamorphosis.azw3");
    for len in [0, 10, 77, 200, 5_000, bytes.len() / 2] {
        let err = load_mobi(&bytes[..len]).expect_err("truncated");
        assert!(matches!(err, Error::NotMobi { .. }), "{len}: {err}");
    }
    let mut wild = bytes.clone();
    wild[record_entry(3)..record_entry(3) + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = load_mobi(&wild).expect_err("offset out of range");
    assert!(err.to_string().contains("record 3"), "{err}");
    let mut many = bytes;
    many[76..78].copy_from_slice(&u16::MAX.to_be_bytes());
    assert!(load_mobi(&many).is_err());
}

mod hostile {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// The AZW3 fixture, parsed once per case would be slow; its first 64 KiB hold the header
    /// and the first text records, which is where the parser's lengths and offsets live.
    fn azw3_head() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| {
            let mut b = fixture_bytes("metamorphosis.azw3");
            b.truncate(64 << 10);
            b
        })
    }

    /// Never a panic, and quickly: every case either reads or is refused with an error.
    fn survives(bytes: &[u8], format: Format) {
        let started = Instant::now();
        let _ = book::load_bytes(bytes, format, Path::new("hostile"));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "took {:?}",
            started.elapsed()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn overwritten_header_words_never_panic(at in 0usize..1_200, word in any::<u32>()) {
            let mut bytes = azw3_head().to_vec();
            if let Some(slot) = bytes.get_mut(at..at + 4) {
                slot.copy_from_slice(&word.to_be_bytes());
            }
            survives(&bytes, Format::Mobi);
        }

        #[test]
        fn random_bytes_after_a_palm_header_never_panic(
            count in any::<u16>(),
            tail in proptest::collection::vec(any::<u8>(), 0..4_000),
        ) {
            let mut bytes = vec![0u8; 78];
            bytes[60..68].copy_from_slice(b"BOOKMOBI");
            bytes[76..78].copy_from_slice(&count.to_be_bytes());
            bytes.extend_from_slice(&tail);
            survives(&bytes, Format::Mobi);
        }

        #[test]
        fn truncations_never_panic(len in 0usize..(64 << 10)) {
            survives(&azw3_head()[..len.min(azw3_head().len())], Format::Mobi);
        }

        #[test]
        fn docx_with_garbage_never_panics(
            document in proptest::collection::vec(any::<u8>(), 0..2_000),
            declared in any::<u16>(),
        ) {
            let mut bytes = zip(&[("word/document.xml", &document)]);
            // Corrupt a size field of the central directory.
            let at = bytes.len().saturating_sub(22 + 46) + 24;
            if let Some(slot) = bytes.get_mut(at..at + 2) {
                slot.copy_from_slice(&declared.to_be_bytes());
            }
            survives(&bytes, Format::Docx);
        }
    }
}
