//! The `Book`/`Chapter` model and the readers that build it from EPUB 2/3, PDF and TXT/Markdown.
//! Owns paragraph-preserving text, story vs front/back matter and Gutenberg stripping; must not
//! know about AI or the manifest.

mod error;

pub use error::Error;

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

/// Reads the book at `path`, picking the reader from the extension.
pub fn load(path: &Path) -> Result<Book, Error> {
    let _ = path;
    Err(Error::UnknownFormat {
        path: path.to_path_buf(),
    })
}
