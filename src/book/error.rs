//! Errors from reading a book. Each variant names the book and says what the user can do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a format imaginize reads; use an .epub, .mobi, .azw3, .pdf, .docx, .html, .txt or .md file", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("`{}` is not a valid EPUB: {reason}; is the file complete and really an EPUB?", path.display())]
    NotEpub { path: PathBuf, reason: String },
    #[error("`{}` is DRM-protected ({evidence}); imaginize can only read DRM-free books", path.display())]
    Drm { path: PathBuf, evidence: String },
    #[error("failed to parse `{part}` in `{}`", path.display())]
    Xml {
        path: PathBuf,
        part: String,
        #[source]
        source: roxmltree::Error,
    },
    #[error("`{part}` in `{}` declares XML entities, which imaginize refuses to expand (they can be used to exhaust memory)", path.display())]
    XmlEntities { path: PathBuf, part: String },
    #[error("`{}` has an empty spine: the EPUB lists no content documents to read", path.display())]
    EmptySpine { path: PathBuf },
    #[error("`{}` is too large once inflated: `{entry}` goes past the limit of {limit} bytes; is it a zip bomb?", path.display())]
    TooLarge {
        path: PathBuf,
        entry: String,
        limit: u64,
    },
    #[error("`{}` has no text layer (a scanned PDF?); run it through OCR first or use an EPUB or text edition", path.display())]
    PdfNoText { path: PathBuf },
    #[error("failed to read the PDF `{}`: {reason}", path.display())]
    Pdf { path: PathBuf, reason: String },
    #[error("reading the text of the PDF `{}` took more than {seconds} s, so it was stopped (a malformed or unusually complex file?); use an EPUB or text edition of the book", path.display())]
    PdfTimeout { path: PathBuf, seconds: u64 },
    #[error("`{}` is not a valid Word document: {reason}; is the file complete and really a .docx?", path.display())]
    NotDocx { path: PathBuf, reason: String },
    #[error("`{}` is not a valid MOBI/AZW/AZW3 book: {reason}; is the file complete and really a Kindle book?", path.display())]
    NotMobi { path: PathBuf, reason: String },
    #[error("`{}` nests elements {depth} deep (more than {limit}), which no real book does; is it the right file?", path.display())]
    TooDeep {
        path: PathBuf,
        depth: usize,
        limit: usize,
    },
    #[error("`{}` has no text at all; is it the right file?", path.display())]
    NoStory { path: PathBuf },
}
