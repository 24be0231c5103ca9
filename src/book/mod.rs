//! The `Book`/`Chapter` model and the readers that build it from EPUB 2/3, MOBI/AZW/AZW3, PDF,
//! DOCX, HTML and TXT/Markdown.
//! Owns paragraph-preserving text, story vs front/back matter and Gutenberg stripping; must not
//! know about AI or the manifest.

mod assemble;
mod contents;
/// Word documents (.docx) with tracked changes accepted.
mod docx;
mod epub;
mod error;
mod front;
mod gutenberg;
mod headings;
/// Single-file HTML books (Project Gutenberg's HTML edition).
mod html;
/// Splitting one HTML document into chapters (shared by the HTML and Kindle readers).
mod html_doc;
mod limits;
/// Kindle books: MOBI, AZW and AZW3 (KF8).
mod mobi;
mod number_title;
mod pdf;
mod plain;
mod scheme;
mod story;
mod xhtml_text;

pub use error::Error;
pub use limits::Limits;

use crate::ids::{ChapterKey, ChapterNo};
use serde::Serialize;
use std::path::Path;

/// The formats we read, chosen from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Epub,
    Pdf,
    Text,
    Markdown,
    Html,
    Docx,
    /// MOBI, AZW and AZW3 (KF8): one reader, the header says which.
    Mobi,
}

/// A parsed book: every section in reading order, story and not.
#[derive(Debug, Clone, Serialize)]
pub struct Book {
    pub title: String,
    pub author: Option<String>,
    pub language: Option<String>,
    pub format: Format,
    /// Every section in reading order. Story chapters carry a `number`; front and back matter
    /// do not.
    pub chapters: Vec<Chapter>,
    /// Problems that did not stop the parse (a bad spine item skipped, say), for the user.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// One section of a book.
#[derive(Debug, Clone, Serialize)]
pub struct Chapter {
    /// 1-based position among the story chapters; `None` for front and back matter.
    pub number: Option<ChapterNo>,
    pub key: ChapterKey,
    pub title: String,
    /// Plain text with paragraphs separated by one blank line.
    #[serde(skip)]
    pub text: String,
    pub word_count: usize,
    pub is_story: bool,
}

impl Book {
    /// The story chapters, in reading order.
    pub fn story_chapters(&self) -> impl Iterator<Item = &Chapter> {
        self.chapters.iter().filter(|c| c.is_story)
    }

    /// The story chapter with this number.
    pub fn chapter(&self, number: ChapterNo) -> Option<&Chapter> {
        self.chapters.iter().find(|c| c.number == Some(number))
    }
}

impl Format {
    /// The format an extension stands for (case-insensitive), or `None` for one we do not read.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "epub" => Some(Format::Epub),
            "pdf" => Some(Format::Pdf),
            "txt" | "text" => Some(Format::Text),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            "docx" => Some(Format::Docx),
            "mobi" | "azw" | "azw3" => Some(Format::Mobi),
            _ => None,
        }
    }
}

/// Reads the book at `path`, picking the reader from the extension.
pub fn load(path: &Path) -> Result<Book, Error> {
    let format = Format::from_path(path).ok_or_else(|| Error::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_bytes(&bytes, format, path)
}

/// Parses a book already in memory; `name` is the file it came from (for messages and, for
/// text files without a Gutenberg header, the title).
pub fn load_bytes(bytes: &[u8], format: Format, name: &Path) -> Result<Book, Error> {
    load_bytes_with(bytes, format, name, &Limits::default())
}

/// [`load_bytes`] with explicit resource limits (tests use small ones).
pub fn load_bytes_with(
    bytes: &[u8],
    format: Format,
    name: &Path,
    limits: &Limits,
) -> Result<Book, Error> {
    let parsed = match format {
        Format::Epub => epub::read(bytes, name, limits)?,
        Format::Pdf => pdf::read(bytes, name, limits)?,
        Format::Text | Format::Markdown => plain::read(bytes, format),
        Format::Html => html::read(bytes, name)?,
        Format::Docx => docx::read(bytes, name, limits)?,
        Format::Mobi => mobi::read(bytes, name, limits)?,
    };
    assemble::assemble(parsed, format, name)
}
