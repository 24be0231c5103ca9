//! Builds a clean EPUB 3 from a parsed book (other formats have no EPUB to inject into): one
//! XHTML per story chapter with a `<p>` per paragraph and the images placed after their quotes.

use super::placement::{self, find_paragraph};
use super::{CompileReport, Error, State, figure_xhtml, media_type, read_file};
use crate::book::Book;
use crate::ids::ChapterNo;
use crate::render::markup::escape;
use crate::store::layout::image_file_name;
use std::io::{Cursor, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const CONTAINER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"#;

/// Returns the bytes of a new EPUB 3 for `book` with the images of `state`.
pub fn build(book: &Book, state: &State, report: &mut CompileReport) -> Result<Vec<u8>, Error> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = String::new();
    let mut spine = String::new();
    let mut nav = String::new();
    for (i, chapter) in book.story_chapters().enumerate() {
        let n = chapter.number.map(|c| c.0).unwrap_or(i as u32 + 1);
        let name = format!("chapter_{n:03}.xhtml");
        let paragraphs = placement::paragraphs(&chapter.text);
        let mut after: Vec<Vec<String>> = vec![Vec::new(); paragraphs.len() + 1];
        for item in state.illustrated.iter().filter(|it| it.chapter == n) {
            let slot = match find_paragraph(&paragraphs, &item.scene.quote) {
                Some(p) => p + 1,
                None => {
                    report.unplaced += 1;
                    0
                }
            };
            // Inside the EPUB the image keeps its name relative to the output folder.
            let href = image_file_name(ChapterNo(n), item.scene.scene, &item.ext);
            after[slot].push(figure_xhtml(&href, &item.scene));
            let mt = media_type(&item.ext).unwrap_or("application/octet-stream");
            manifest.push_str(&format!(
                "<item id=\"img-c{n}-s{}\" href=\"{href}\" media-type=\"{mt}\"/>\n",
                item.scene.scene.0
            ));
            files.push((format!("OEBPS/{href}"), read_file(&item.file)?));
        }
        let mut body = format!("<h1>{}</h1>\n", escape(&chapter.title));
        body.extend(after[0].iter().map(|f| format!("{f}\n")));
        for (p, text) in paragraphs.iter().enumerate() {
            body.push_str(&format!("<p>{}</p>\n", escape(text)));
            body.extend(after[p + 1].iter().map(|f| format!("{f}\n")));
        }
        files.push((
            format!("OEBPS/{name}"),
            page(book, &chapter.title, &body).into_bytes(),
        ));
        manifest.push_str(&format!(
            "<item id=\"c{n}\" href=\"{name}\" media-type=\"application/xhtml+xml\"/>\n"
        ));
        spine.push_str(&format!("<itemref idref=\"c{n}\"/>\n"));
        nav.push_str(&format!(
            "<li><a href=\"{name}\">{}</a></li>\n",
            escape(&chapter.title)
        ));
    }
    let nav_body =
        format!("<nav epub:type=\"toc\" id=\"toc\"><h1>Contents</h1><ol>\n{nav}</ol></nav>\n");
    files.push((
        "OEBPS/nav.xhtml".to_owned(),
        page(book, "Contents", &nav_body).into_bytes(),
    ));
    files.push((
        "OEBPS/content.opf".to_owned(),
        opf(book, &manifest, &spine).into_bytes(),
    ));
    zip_epub(&files)
}

fn page(book: &Book, title: &str, body: &str) -> String {
    let lang = escape(book.language.as_deref().unwrap_or("en"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" xml:lang=\"{lang}\" lang=\"{lang}\">\n<head><title>{}</title>\n<style>figure{{margin:1em 0;text-align:center}}img{{max-width:100%}}figcaption{{font-style:italic}}</style></head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn opf(book: &Book, manifest: &str, spine: &str) -> String {
    let lang = escape(book.language.as_deref().unwrap_or("en"));
    let author = book
        .author
        .as_deref()
        .map(|a| format!("<dc:creator>{}</dc:creator>\n", escape(a)))
        .unwrap_or_default();
    // A stable identifier from the title, so rebuilding the same book gives the same id.
    let id = format!("urn:imaginize:{}", escape(&book.title.replace(' ', "-")));
    let modified = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"bookid\">\n<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<dc:identifier id=\"bookid\">{id}</dc:identifier>\n<dc:title>{}</dc:title>\n<dc:language>{lang}</dc:language>\n{author}<meta property=\"dcterms:modified\">{modified}</meta>\n</metadata>\n<manifest>\n<item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>\n{manifest}</manifest>\n<spine>\n{spine}</spine>\n</package>\n",
        escape(&book.title)
    )
}

fn zip_epub(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, Error> {
    let here = Path::new("<new epub>");
    let zerr = |e| Error::Zip {
        path: here.to_path_buf(),
        source: e,
    };
    let werr = |e| Error::Write {
        path: here.to_path_buf(),
        source: e,
    };
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    out.start_file("mimetype", stored).map_err(zerr)?;
    out.write_all(b"application/epub+zip").map_err(werr)?;
    out.start_file("META-INF/container.xml", deflated)
        .map_err(zerr)?;
    out.write_all(CONTAINER.as_bytes()).map_err(werr)?;
    for (name, bytes) in files {
        out.start_file(name.as_str(), deflated).map_err(zerr)?;
        out.write_all(bytes).map_err(werr)?;
    }
    Ok(out.finish().map_err(zerr)?.into_inner())
}
