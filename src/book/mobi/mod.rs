//! Kindle books: MOBI, AZW and AZW3 (KF8). A Palm database whose first record describes the
//! book and whose next records hold its compressed markup; that markup is then split like any
//! one-document HTML book. Images, indexes and the KF8 skeleton structure are not needed for the
//! text and are not read. Encrypted (DRM) books are refused.

/// Anchors for the older markup's byte-offset links.
mod filepos;
/// Record 0: PalmDoc, MOBI and EXTH headers.
mod header;
/// HUFF/CDIC decompression (Amazon-made books).
mod huffcdic;
/// PalmDoc decompression.
mod lz77;
/// The Palm database's record table.
mod palmdb;
/// Text records → the book's markup (trailing entries, KF8 flows).
mod text;

use super::assemble::{Parsed, Section};
use super::{Error, Limits, html_doc, xhtml_text};
use header::Header;
use palmdb::PalmDb;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// Section keys start with this (the old markup and KF8 alike).
const KEY: &str = "mobi";

static HTML_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)<html[\s>]").expect("static regex"));

/// What is wrong with a file that claims to be a Kindle book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Malformed {
    #[error("the file ends inside {0}")]
    Truncated(&'static str),
    #[error("it is not a MOBI or PalmDoc database")]
    NotABook,
    #[error("it has no records")]
    NoRecords,
    #[error(
        "record {record} starts at byte {offset}, outside the file or before the record before it"
    )]
    RecordOffset { record: usize, offset: usize },
    #[error("text record {0} is missing")]
    MissingRecord(usize),
    #[error("text record {0} is shorter than the trailing entries it declares")]
    TrailingEntries(usize),
    #[error("its text is corrupt: {0}")]
    Compressed(&'static str),
    #[error("its text inflates past the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("its flow table points outside the text")]
    Flow,
    #[error("its HUFF/CDIC dictionary is corrupt: {0}")]
    Huff(&'static str),
    #[error("it uses a compression imaginize does not know")]
    Unsupported,
}

pub(crate) fn read(bytes: &[u8], name: &Path, limits: &Limits) -> Result<Parsed, Error> {
    let bad = |e: Malformed| Error::NotMobi {
        path: name.to_path_buf(),
        reason: e.to_string(),
    };
    let db = PalmDb::parse(bytes).map_err(bad)?;
    let header = Header::parse(db.record(0).unwrap_or_default()).map_err(bad)?;
    if header.encryption != 0 {
        return Err(Error::Drm {
            path: name.to_path_buf(),
            evidence: format!("its header declares encryption type {}", header.encryption),
        });
    }
    let limit = usize::try_from(limits.max_entry_bytes).unwrap_or(usize::MAX);
    let markup = text::markup(&db, &header, limit).map_err(bad)?;
    let markup = if header.fdst.is_some() {
        markup
    } else {
        filepos::anchor(&markup)
    };
    let html = decode(&markup, header.utf8);
    xhtml_text::refuse_too_deep(&html, name)?;
    Ok(Parsed {
        title: header.title,
        author: header.author,
        language: header.language,
        sections: sections(&html, header.fdst.is_some()),
        warnings: Vec::new(),
    })
}

/// KF8 stores each file of the source book as its own `<html>` document, one after another, so
/// each is split on its own (as an EPUB's spine files are); the older markup is one document.
fn sections(html: &str, kf8: bool) -> Vec<Section> {
    if !kf8 {
        return html_doc::sections(html, KEY);
    }
    let mut starts: Vec<usize> = HTML_START.find_iter(html).map(|m| m.start()).collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts
        .iter()
        .zip(starts.iter().skip(1).chain([&html.len()]))
        .enumerate()
        .flat_map(|(n, (&start, &end))| {
            html_doc::sections(&html[start..end], &format!("{KEY}/{n}"))
        })
        .collect()
}

/// UTF-8 (invalid bytes replaced) or Windows-1252, the two encodings MOBI headers name.
fn decode(bytes: &[u8], utf8: bool) -> String {
    if utf8 {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()
    }
}
