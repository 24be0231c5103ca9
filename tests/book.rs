//! Acceptance tests for `imaginize::book`: the sample novels in every format, and every kind of
//! bad input we promise to refuse cleanly.

use imaginize::book::{self, Book, Error, Format, Limits};
use std::collections::HashMap;
#[path = "support/zip_file.rs"]
mod zip_file;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zip_file::zip;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// Each sample is parsed once per test binary: the PDF is the slow one.
fn cached(cell: &'static OnceLock<Book>, path: &str) -> &'static Book {
    cell.get_or_init(|| book::load(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn pp_epub() -> &'static Book {
    static BOOK: OnceLock<Book> = OnceLock::new();
    cached(&BOOK, "samples/pride-and-prejudice.epub")
}

fn pp_txt() -> &'static Book {
    static BOOK: OnceLock<Book> = OnceLock::new();
    cached(&BOOK, "tests/fixtures/books/pride-and-prejudice.txt")
}

fn pp_pdf() -> &'static Book {
    static BOOK: OnceLock<Book> = OnceLock::new();
    cached(&BOOK, "tests/fixtures/books/pride-and-prejudice.pdf")
}

fn story_titles(book: &Book) -> Vec<String> {
    book.story_chapters().map(|c| c.title.clone()).collect()
}

/// Titles of the sections that are not story (front and back matter).
fn other_titles(book: &Book) -> Vec<&str> {
    book.chapters
        .iter()
        .filter(|c| !c.is_story)
        .map(|c| c.title.as_str())
        .collect()
}

fn chapter_1_to_61() -> Vec<String> {
    (1..=61).map(|n| format!("Chapter {n}")).collect()
}

/// Words for comparison: lower case, letters and digits only (curly and straight quotes,
/// `_emphasis_` and dashes all differ between the formats).
fn words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

/// Share of words the two texts have in common (multiset intersection over the larger total).
fn overlap(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let common: usize = wa
        .iter()
        .map(|(w, n)| (*n).min(wb.get(w).copied().unwrap_or(0)))
        .sum();
    let total = wa
        .values()
        .sum::<usize>()
        .max(wb.values().sum::<usize>())
        .max(1);
    common as f64 / total as f64
}

fn assert_same_chapters(a: &Book, b: &Book) {
    for (ca, cb) in a.story_chapters().zip(b.story_chapters()) {
        let score = overlap(&ca.text, &cb.text);
        assert!(
            score >= 0.99,
            "{}: {:?} vs {:?} overlap {score:.4}",
            ca.title,
            a.format,
            b.format
        );
    }
}

// --- Pride and Prejudice in three formats ---------------------------------------------------

#[test]
fn pp_epub_has_exactly_61_story_chapters() {
    let book = pp_epub();
    assert_eq!(book.title, "Pride and Prejudice");
    assert_eq!(book.author.as_deref(), Some("Jane Austen"));
    assert_eq!(book.language.as_deref(), Some("en"));
    assert_eq!(story_titles(book), chapter_1_to_61());
    for (i, c) in book.story_chapters().enumerate() {
        assert_eq!(c.number.map(|n| n.0), Some(i as u32 + 1));
        assert!(c.word_count > 500, "{} has {} words", c.title, c.word_count);
    }
    assert!(
        book.chapters
            .iter()
            .filter(|c| !c.is_story)
            .all(|c| c.number.is_none())
    );
}

#[test]
fn pp_epub_keeps_paragraphs_and_drops_the_heading() {
    let first = pp_epub().story_chapters().next().expect("chapter 1");
    assert!(
        first
            .text
            .starts_with("It is a truth universally acknowledged"),
        "{}",
        &first.text[..80]
    );
    assert!(first.text.contains(".\n\nHowever little known"));
}

#[test]
fn pp_txt_has_the_same_61_chapters() {
    let book = pp_txt();
    assert_eq!(story_titles(book), chapter_1_to_61());
    assert_eq!(book.author.as_deref(), Some("Jane Austen"));
    assert_same_chapters(book, pp_epub());
}

#[test]
fn pp_pdf_has_the_same_61_chapters() {
    let book = pp_pdf();
    assert_eq!(story_titles(book), chapter_1_to_61());
    // This paragraph runs over the break between pages 1 and 2.
    let first = book.story_chapters().next().expect("chapter 1");
    assert!(
        first
            .text
            .contains("still better, for as you are as handsome as any of them")
    );
    assert_same_chapters(book, pp_txt());
    assert_same_chapters(book, pp_epub());
}

#[test]
fn chapter_keys_are_unique_and_lookup_works() {
    for book in [pp_epub(), pp_txt()] {
        let mut keys: Vec<_> = book.chapters.iter().map(|c| &c.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), book.chapters.len());
        let c = book
            .chapter(imaginize::ids::ChapterNo(61))
            .expect("chapter 61");
        assert_eq!(c.title, "Chapter 61");
    }
}

// --- Metamorphosis (a real third-party EPUB 2) ----------------------------------------------

#[test]
fn metamorphosis_has_three_story_chapters_and_front_matter() {
    let book = book::load(&fixture("tests/fixtures/books/metamorphosis.epub")).expect("opens");
    assert_eq!(book.title, "Metamorphosis");
    assert_eq!(book.author.as_deref(), Some("Franz Kafka"));
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2", "Chapter 3"]);
    let front = other_titles(&book);
    assert_eq!(
        front,
        [
            "Cover",
            "Title Page",
            "Copyright",
            "Table Of Contents",
            "Make your own books using PressBooks.com"
        ]
    );
    let first = book.story_chapters().next().expect("chapter 1");
    assert!(
        first
            .text
            .starts_with("One morning, when Gregor Samsa woke")
    );
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
}

#[test]
fn malformed_metamorphosis_opens_with_a_warning() {
    let book = book::load(&fixture(
        "tests/fixtures/books/metamorphosis-malformed.epub",
    ))
    .expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2", "Chapter 3"]);
    assert!(!book.warnings.is_empty());
    assert!(
        book.warnings.iter().any(|w| w.contains("spine item")),
        "{:?}",
        book.warnings
    );
}

// --- bad input -------------------------------------------------------------------------------

const CONTAINER: &str = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;

fn opf(manifest: &str, spine: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><metadata><dc:title>Test</dc:title></metadata><manifest>{manifest}</manifest><spine>{spine}</spine></package>"#
    )
}

fn chapter_html(title: &str, words: usize) -> String {
    format!(
        "<html><body><h1>{title}</h1><p>{}</p></body></html>",
        "word ".repeat(words)
    )
}

/// A one-chapter EPUB with these extra entries (or replacements).
fn epub_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let item = r#"<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>"#;
    let opf = opf(item, r#"<itemref idref="c1"/>"#);
    let ch = chapter_html("Chapter 1", 300);
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", CONTAINER.as_bytes()),
        ("OEBPS/content.opf", opf.as_bytes()),
        ("OEBPS/c1.xhtml", ch.as_bytes()),
    ];
    for (name, body) in extra {
        entries.retain(|(n, _)| n != name);
        entries.push((name, body));
    }
    zip(&entries)
}

fn load_epub(bytes: &[u8]) -> Result<Book, Error> {
    book::load_bytes(bytes, Format::Epub, Path::new("test.epub"))
}

#[test]
fn a_minimal_epub_opens() {
    let book = load_epub(&epub_with(&[])).expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1"]);
}

#[test]
fn missing_file_is_an_io_error() {
    let err = book::load(Path::new("/no/such/book.epub")).expect_err("missing");
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("/no/such/book.epub"));
}

#[test]
fn unreadable_file_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("folder.txt");
    std::fs::create_dir(&folder).expect("mkdir");
    let err = book::load(&folder).expect_err("a folder is not a book");
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[test]
fn unknown_extension_is_refused() {
    let err = book::load(Path::new("book.odt")).expect_err("odt");
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
    assert!(err.to_string().contains(".docx, .html, .txt or .md"));
    assert_eq!(Format::from_path(Path::new("A.EPUB")), Some(Format::Epub));
    assert_eq!(
        Format::from_path(Path::new("a.Markdown")),
        Some(Format::Markdown)
    );
}

#[test]
fn not_a_zip_is_not_an_epub() {
    let err = load_epub(b"just some text").expect_err("not zip");
    assert!(matches!(err, Error::NotEpub { .. }), "{err:?}");
}

#[test]
fn zip_without_container_is_not_an_epub() {
    let err = load_epub(&zip(&[("hello.txt", b"hi")])).expect_err("no container");
    assert!(
        matches!(&err, Error::NotEpub { reason, .. } if reason.contains("container.xml")),
        "{err:?}"
    );
}

#[test]
fn container_pointing_at_a_missing_opf_is_not_an_epub() {
    let err =
        load_epub(&zip(&[("META-INF/container.xml", CONTAINER.as_bytes())])).expect_err("no opf");
    assert!(
        matches!(&err, Error::NotEpub { reason, .. } if reason.contains("content.opf")),
        "{err:?}"
    );
}

#[test]
fn empty_spine_is_refused() {
    let opf = opf("", "");
    let err = load_epub(&epub_with(&[("OEBPS/content.opf", opf.as_bytes())])).expect_err("empty");
    assert!(matches!(err, Error::EmptySpine { .. }), "{err:?}");
}

#[test]
fn drm_protected_epub_is_refused() {
    let enc = r#"<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData><enc:CipherReference URI="OEBPS/c1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>"#;
    let err =
        load_epub(&epub_with(&[("META-INF/encryption.xml", enc.as_bytes())])).expect_err("drm");
    assert!(matches!(err, Error::Drm { .. }), "{err:?}");
    assert!(err.to_string().contains("DRM"));
}

#[test]
fn font_obfuscation_is_not_drm() {
    let enc = r#"<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/><enc:CipherData><enc:CipherReference URI="OEBPS/font.otf"/></enc:CipherData></enc:EncryptedData></encryption>"#;
    assert!(load_epub(&epub_with(&[("META-INF/encryption.xml", enc.as_bytes())])).is_ok());
}

#[test]
fn hrefs_climbing_out_of_the_archive_are_never_followed() {
    let manifest = r#"<item id="evil" href="../../evil.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>"#;
    let opf = opf(manifest, r#"<itemref idref="evil"/><itemref idref="c1"/>"#);
    let evil = chapter_html("Chapter 99", 300);
    let bytes = epub_with(&[
        ("OEBPS/content.opf", opf.as_bytes()),
        ("../evil.xhtml", evil.as_bytes()),
        ("../../evil.xhtml", evil.as_bytes()),
    ]);
    let book = load_epub(&bytes).expect("the rest opens");
    assert_eq!(story_titles(&book), ["Chapter 1"]);
    assert!(
        book.warnings.iter().any(|w| w.contains("spine item")),
        "{:?}",
        book.warnings
    );
}

#[test]
fn xml_entity_declarations_are_refused() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE package [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><package xmlns="http://www.idpf.org/2007/opf"><metadata/><manifest/><spine><itemref idref="x"/></spine></package>"#;
    let err =
        load_epub(&epub_with(&[("OEBPS/content.opf", bomb.as_bytes())])).expect_err("entities");
    assert!(matches!(err, Error::XmlEntities { .. }), "{err:?}");
}

#[test]
fn a_plain_doctype_is_accepted() {
    let doctype = r#"<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><body><h1>Chapter 1</h1><p>It&#8217;s fine&nbsp;here. </p><p>"#.to_string()
        + &"word ".repeat(200)
        + "</p></body></html>";
    let book = load_epub(&epub_with(&[("OEBPS/c1.xhtml", doctype.as_bytes())])).expect("opens");
    // Character references are expanded; a no-break space collapses like any whitespace.
    assert!(
        book.chapters[0].text.starts_with("It\u{2019}s fine here."),
        "{}",
        book.chapters[0].text
    );
}

#[test]
fn a_zip_bomb_is_refused() {
    let zeros = vec![0u8; 2 << 20];
    let bytes = epub_with(&[("OEBPS/c1.xhtml", &zeros)]);
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 64 << 20,
        ..Limits::default()
    };
    let err = book::load_bytes_with(&bytes, Format::Epub, Path::new("bomb.epub"), &limits)
        .expect_err("bomb");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let limits = Limits {
        max_entry_bytes: 64 << 20,
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = book::load_bytes_with(&bytes, Format::Epub, Path::new("bomb.epub"), &limits)
        .expect_err("bomb");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

/// A PDF whose text takes longer than the limit to read is an error naming the file, not a hang.
/// (A 250-page novel cannot be read in a millisecond; the parser left behind finishes on its own.)
#[test]
fn a_pdf_that_takes_too_long_to_read_is_stopped_with_an_error() {
    let path = fixture("tests/fixtures/books/pride-and-prejudice.pdf");
    let bytes = std::fs::read(&path).expect("fixture");
    let limits = Limits {
        max_pdf_time: std::time::Duration::from_millis(1),
        ..Limits::default()
    };
    let err = book::load_bytes_with(&bytes, Format::Pdf, &path, &limits).expect_err("timeout");
    assert!(matches!(err, Error::PdfTimeout { .. }), "{err:?}");
    assert!(err.to_string().contains("pride-and-prejudice.pdf"), "{err}");
}

#[test]
fn a_missing_or_broken_spine_item_is_skipped_with_a_warning() {
    let manifest = r#"<item id="gone" href="gone.xhtml" media-type="application/xhtml+xml"/><item id="img" href="c.jpg" media-type="image/jpeg"/><item id="bin" href="bin.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>"#;
    let opf = opf(
        manifest,
        r#"<itemref idref="gone"/><itemref idref="img"/><itemref idref="bin"/><itemref idref="c1"/>"#,
    );
    let bytes = epub_with(&[
        ("OEBPS/content.opf", opf.as_bytes()),
        ("OEBPS/c.jpg", b"\xFF\xD8\xFF\xE0"),
        ("OEBPS/bin.xhtml", b"\xFF\xD8\xFF\xE0\x00\x10JFIF"),
    ]);
    let book = load_epub(&bytes).expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1"]);
    assert_eq!(book.warnings.len(), 3, "{:?}", book.warnings);
}

#[test]
fn absurdly_deep_nesting_is_skipped_not_parsed_for_minutes() {
    let deep = format!(
        "<html><body>{}deep{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let manifest = r#"<item id="deep" href="deep.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>"#;
    let opf = opf(manifest, r#"<itemref idref="deep"/><itemref idref="c1"/>"#);
    let bytes = epub_with(&[
        ("OEBPS/content.opf", opf.as_bytes()),
        ("OEBPS/deep.xhtml", deep.as_bytes()),
    ]);
    let book = load_epub(&bytes).expect("the rest opens");
    assert!(
        book.warnings.iter().any(|w| w.contains("deep")),
        "{:?}",
        book.warnings
    );
}

#[test]
fn front_matter_alone_opens_with_no_story_and_an_empty_book_is_refused() {
    let ch =
        "<html><body><h1>Copyright</h1><p>Copyright 2024. All rights reserved.</p></body></html>";
    let book = load_epub(&epub_with(&[("OEBPS/c1.xhtml", ch.as_bytes())])).expect("opens");
    assert_eq!(book.story_chapters().count(), 0);
    assert!(!book.chapters.is_empty());
    let ch = "<html><body><h1>Cover</h1></body></html>";
    let err = load_epub(&epub_with(&[("OEBPS/c1.xhtml", ch.as_bytes())])).expect_err("no text");
    assert!(matches!(err, Error::NoStory { .. }), "{err:?}");
    let err = book::load_bytes(b"", Format::Text, Path::new("empty.txt")).expect_err("empty");
    assert!(matches!(err, Error::NoStory { .. }), "{err:?}");
}

#[test]
fn a_pdf_without_text_layer_is_refused() {
    let err =
        book::load_bytes(&textless_pdf(), Format::Pdf, Path::new("scan.pdf")).expect_err("scan");
    assert!(matches!(err, Error::PdfNoText { .. }), "{err:?}");
    assert!(err.to_string().contains("no text layer"));
}

#[test]
fn a_broken_pdf_is_an_error() {
    let err = book::load_bytes(b"%PDF-1.7\n garbage", Format::Pdf, Path::new("bad.pdf"))
        .expect_err("bad");
    assert!(
        matches!(err, Error::Pdf { .. } | Error::PdfNoText { .. }),
        "{err:?}"
    );
}

/// One page with a line drawing and no text, as a scanner without OCR would make (minus the image).
fn textless_pdf() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 100 100 l S".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    let pages = dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save pdf");
    out
}

// --- text and Markdown -----------------------------------------------------------------------

#[test]
fn markdown_and_gutenberg_text() {
    let md = format!(
        "# My Book\n\n## Prologue\n\n{}\n\n## Chapter One\n\n{}\n",
        "word ".repeat(150),
        "word ".repeat(150)
    );
    let book =
        book::load_bytes(md.as_bytes(), Format::Markdown, Path::new("my-book.md")).expect("md");
    assert_eq!(story_titles(&book), ["Prologue", "Chapter 1"]);
    let pg = format!(
        "The Project Gutenberg eBook\nTitle: Emma\nAuthor: Jane Austen\n\n*** START OF THE PROJECT GUTENBERG EBOOK EMMA ***\n\nCONTENTS\n\nCHAPTER I\nCHAPTER II\n\nCHAPTER I\n\n{}\n\nCHAPTER II\n\n{}\n\n*** END OF THE PROJECT GUTENBERG EBOOK EMMA ***\n\nThe Full Project Gutenberg License {}",
        "word ".repeat(150),
        "word ".repeat(150),
        "legal ".repeat(500)
    );
    let book = book::load_bytes(pg.as_bytes(), Format::Text, Path::new("emma.txt")).expect("txt");
    assert_eq!(book.title, "Emma");
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2"]);
    assert!(book.chapters.iter().all(|c| !c.text.contains("legal")));
}

// --- Gutenberg-style EPUB: several chapters per file, nested TOC ---------------------------------

#[test]
fn gutenberg_style_epub_splits_files_at_toc_anchors() {
    let prose = "word ".repeat(200);
    let body = format!(
        r##"<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><body>
        <div id="pg-header"><p>The Project Gutenberg eBook of Emma</p></div>
        <h2><a id="vol1"></a>VOLUME I</h2>
        <h2><a id="ch1"></a>CHAPTER I.</h2><p>{prose}</p>
        <h2><a id="ch2"></a>CHAPTER II.]</h2><p>{prose}</p>
        <h2><a id="vol2"></a>VOLUME II</h2>
        <h2><a id="ch3"></a>CHAPTER I.</h2><p>{prose}<a href="#fn1" role="doc-noteref">1</a></p>
        </body></html>"##
    );
    let licence = format!(
        "<html><body><h2>THE FULL PROJECT GUTENBERG LICENSE</h2><p>{}</p></body></html>",
        "legal ".repeat(300)
    );
    let point = |label: &str, src: &str, inner: &str| {
        format!(
            r#"<navPoint><navLabel><text>{label}</text></navLabel><content src="{src}"/>{inner}</navPoint>"#
        )
    };
    let ncx = format!(
        r#"<?xml version="1.0"?><!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" "http://www.daisy.org/z3986/2005/ncx-2005-1.dtd"><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>{}{}{}</navMap></ncx>"#,
        point(
            "VOLUME I",
            "text/book.xhtml#vol1",
            &(point("CHAPTER I.", "text/book.xhtml#ch1", "")
                + &point("CHAPTER II.]", "text/book.xhtml#ch2", ""))
        ),
        point(
            "VOLUME II",
            "text/book.xhtml#vol2",
            &point("CHAPTER I.", "text/book.xhtml#ch3", "")
        ),
        point(
            "THE FULL PROJECT GUTENBERG LICENSE",
            "text/licence.xhtml",
            ""
        ),
    );
    let manifest = r#"<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/><item id="b" href="text/book.xhtml" media-type="application/xhtml+xml"/><item id="l" href="text/licence.xhtml" media-type="application/xhtml+xml"/>"#;
    let opf = opf(manifest, r#"<itemref idref="b"/><itemref idref="l"/>"#)
        .replace("<spine>", r#"<spine toc="ncx">"#);
    let bytes = epub_with(&[
        ("OEBPS/content.opf", opf.as_bytes()),
        ("OEBPS/toc.ncx", ncx.as_bytes()),
        ("OEBPS/text/book.xhtml", body.as_bytes()),
        ("OEBPS/text/licence.xhtml", licence.as_bytes()),
    ]);
    let book = load_epub(&bytes).expect("opens");
    assert_eq!(story_titles(&book), ["Chapter 1", "Chapter 2", "Chapter 1"]);
    let keys: Vec<_> = book.story_chapters().map(|c| c.key.0.as_str()).collect();
    assert_eq!(
        keys,
        [
            "OEBPS/text/book.xhtml#ch1",
            "OEBPS/text/book.xhtml#ch2",
            "OEBPS/text/book.xhtml#ch3"
        ]
    );
    assert!(
        book.story_chapters().all(|c| c.word_count == 200),
        "noteref dropped, headings dropped"
    );
    let others = other_titles(&book);
    // Text before the first chapter is front matter named by its first line (issue 18).
    assert_eq!(
        others,
        [
            "The Project Gutenberg eBook of Emma",
            "VOLUME I",
            "VOLUME II",
            "THE FULL PROJECT GUTENBERG LICENSE"
        ]
    );
}

// --- no input panics -----------------------------------------------------------------------

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn on_arbitrary_text(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = book::load_bytes(&bytes, Format::Text, Path::new("x.txt"));
            let _ = book::load_bytes(&bytes, Format::Markdown, Path::new("x.md"));
        }

        #[test]
        fn on_arbitrary_pdf(tail in proptest::collection::vec(any::<u8>(), 0..500)) {
            let bytes = [b"%PDF-1.4\n".as_slice(), &tail].concat();
            let _ = book::load_bytes(&bytes, Format::Pdf, Path::new("x.pdf"));
        }

        #[test]
        fn on_arbitrary_epub_parts(
            opf in "[<>a-z =\"/#.:%!-]{0,300}",
            html in "[<>a-z =\"/#.&;]{0,300}",
        ) {
            let bytes = epub_with(&[("OEBPS/content.opf", opf.as_bytes()), ("OEBPS/c1.xhtml", html.as_bytes())]);
            let _ = load_epub(&bytes);
            let bytes = epub_with(&[("OEBPS/c1.xhtml", html.as_bytes())]);
            let _ = load_epub(&bytes);
        }

        #[test]
        fn on_a_damaged_real_epub(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            static REAL: OnceLock<Vec<u8>> = OnceLock::new();
            let real = REAL.get_or_init(|| {
                std::fs::read(fixture("tests/fixtures/books/metamorphosis.epub")).expect("fixture")
            });
            let i = at.index(real.len());
            let mut bytes = real.clone();
            if cut {
                bytes.truncate(i);
            } else {
                bytes[i] = byte;
            }
            let _ = load_epub(&bytes);
        }

        #[test]
        fn on_arbitrary_zip_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = load_epub(&bytes);
        }
    }
}

/// A story's numbered parts ("I.", "II.", "III." nested under its title in the contents) stay
/// inside the story: two chapters, not six (issue 18's nested-headings fidelity fix, EPUB).
#[test]
fn the_numbered_parts_of_a_story_stay_inside_it() {
    let book = book::load(&fixture("tests/fixtures/books/two-stories.epub")).expect("opens");
    assert_eq!(
        story_titles(&book),
        ["A Scandal at the Mill", "The Lantern League"]
    );
    let first = book.story_chapters().next().expect("a story");
    assert!(
        first.text.contains("Part III. paragraph 2"),
        "{}",
        first.text
    );
}
