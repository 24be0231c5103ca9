//! PDF: the text layer, via pdf-extract (which can panic on odd files, so it runs inside
//! `catch_unwind`, on a helper thread given up after `Limits::max_pdf_time`) with lopdf's page
//! text as the fallback. The text is then split like plain text;
//! a PDF without chapter headings is cut into windows of pages instead of one giant chapter.

use super::assemble::{Parsed, Section};
use super::plain::{self, Cut};
use super::{Error, Limits, gutenberg};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Once;
use std::sync::mpsc;
use std::time::Duration;

/// Pages per section when the PDF has no chapter headings.
const PAGES_PER_WINDOW: usize = 10;
/// Fewer letters and digits per page than this: page numbers at best, so no text layer.
const MIN_CHARS_PER_PAGE: usize = 20;

pub(crate) fn read(bytes: &[u8], name: &Path, limits: &Limits) -> Result<Parsed, Error> {
    let pages = extract_pages_within(bytes, name, limits.max_pdf_time)?;
    let chars: usize = pages
        .iter()
        .flat_map(|p| p.chars())
        .filter(|c| c.is_alphanumeric())
        .count();
    if chars < MIN_CHARS_PER_PAGE * pages.len().max(1) {
        return Err(Error::PdfNoText {
            path: name.to_path_buf(),
        });
    }
    let (joined, page_starts) = join_pages(&pages);
    let stripped = gutenberg::strip(&joined);
    // `body` is a slice of `joined`; its offset maps lines back to pages.
    let body_offset = stripped.body.as_ptr() as usize - joined.as_ptr() as usize;
    let lines: Vec<&str> = stripped.body.split('\n').collect();
    let line_pages = page_of_each_line(&lines, body_offset, &page_starts);
    let cuts = plain::split_lines(&lines, false);
    let sections = if cuts.iter().any(|c| c.is_chapter_heading) {
        heading_sections(&cuts, &lines, &line_pages)
    } else {
        window_sections(&lines, &line_pages)
    };
    let (block_title, block_author) = plain::title_block(&lines, &cuts);
    Ok(Parsed {
        title: stripped.title.or(block_title),
        author: stripped.author.or(block_author),
        sections,
        ..Parsed::default()
    })
}

fn heading_sections(cuts: &[Cut], lines: &[&str], line_pages: &[usize]) -> Vec<Section> {
    cuts.iter()
        .map(|cut| {
            let first = cut.heading_line.unwrap_or(cut.body.start);
            let page = line_pages.get(first).copied().unwrap_or(1);
            Section {
                key: format!("page-{page}-line-{}", first + 1),
                title: cut.title.clone(),
                text: plain::reflow(&lines[cut.body.clone()]),
                never_story: plain::is_contents_list(&lines[cut.body.clone()]),
            }
        })
        .collect()
}

/// Sections of `PAGES_PER_WINDOW` pages each, titled by their page range.
fn window_sections(lines: &[&str], line_pages: &[usize]) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let window = (line_pages[start] - 1) / PAGES_PER_WINDOW;
        let end = (start..lines.len())
            .find(|&i| (line_pages[i] - 1) / PAGES_PER_WINDOW != window)
            .unwrap_or(lines.len());
        let (first, last) = (line_pages[start], line_pages[end - 1]);
        sections.push(Section {
            key: format!("pages-{first}-{last}"),
            title: Some(format!("Pages {first}–{last}")),
            text: plain::reflow(&lines[start..end]),
            never_story: false,
        });
        start = end;
    }
    sections
}

/// All pages as one text, and the byte offset where each page starts. A page break normally
/// ends a paragraph (so a heading at the top of a page stands alone), except when the next page
/// starts in lower case: then a sentence runs on, and splitting it would break quotes across the
/// page boundary.
fn join_pages(pages: &[String]) -> (String, Vec<usize>) {
    let mut joined = String::new();
    let mut starts = Vec::with_capacity(pages.len());
    for page in pages {
        let page = page.trim_matches(|c: char| c == '\n' || c == '\r');
        if !joined.is_empty() {
            let runs_on = page.trim_start().starts_with(|c: char| c.is_lowercase());
            joined.push_str(if runs_on { "\n" } else { "\n\n" });
        }
        starts.push(joined.len());
        joined.push_str(page);
    }
    (joined, starts)
}

/// 1-based page number of each line.
fn page_of_each_line(lines: &[&str], mut offset: usize, page_starts: &[usize]) -> Vec<usize> {
    lines
        .iter()
        .map(|line| {
            let page = page_starts.partition_point(|&s| s <= offset).max(1);
            offset += line.len() + 1;
            page
        })
        .collect()
}

/// `extract_pages` on a helper thread, given up after `limit`: the parsers cannot be interrupted,
/// so a runaway one is left behind (the CLI exits with the error, which ends it).
fn extract_pages_within(bytes: &[u8], name: &Path, limit: Duration) -> Result<Vec<String>, Error> {
    let (tx, rx) = mpsc::sync_channel(1);
    let (owned, path) = (bytes.to_vec(), name.to_path_buf());
    let spawned = std::thread::Builder::new()
        .name("imaginize-pdf".into())
        .spawn(move || {
            let _ = tx.send(extract_pages(&owned, &path));
        });
    if spawned.is_err() {
        return extract_pages(bytes, name);
    }
    match rx.recv_timeout(limit) {
        Ok(pages) => pages,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::PdfTimeout {
            path: name.to_path_buf(),
            seconds: limit.as_secs(),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Pdf {
            path: name.to_path_buf(),
            reason: "the PDF parser stopped without an answer".to_string(),
        }),
    }
}

/// Page texts from pdf-extract, else from lopdf.
fn extract_pages(bytes: &[u8], name: &Path) -> Result<Vec<String>, Error> {
    let primary = quietly(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    if let Ok(Ok(pages)) = primary
        && pages.iter().any(|p| !p.trim().is_empty())
    {
        return Ok(pages);
    }
    let fallback = quietly(|| -> Result<Vec<String>, lopdf::Error> {
        let doc = lopdf::Document::load_mem(bytes)?;
        let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
        Ok(numbers
            .iter()
            .map(|&n| doc.extract_text(&[n]).unwrap_or_default())
            .collect())
    });
    match fallback {
        Ok(Ok(pages)) => Ok(pages),
        Ok(Err(e)) => Err(Error::Pdf {
            path: name.to_path_buf(),
            reason: e.to_string(),
        }),
        Err(_) => Err(Error::Pdf {
            path: name.to_path_buf(),
            reason: "the PDF parser crashed on this file".to_string(),
        }),
    }
}

thread_local! {
    /// Set while a PDF parser runs on this thread, so its panics are caught without noise.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err` and keeping its message off stderr. The panic hook is
/// process-wide, so we install one forwarding hook once and mute it per thread only.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = read(
            b"%PDF-1.4 this is not really a pdf",
            Path::new("x.pdf"),
            &Limits::default(),
        );
        assert!(
            matches!(err, Err(Error::Pdf { .. } | Error::PdfNoText { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn panics_inside_are_caught() {
        let r: std::thread::Result<()> = quietly(|| panic!("boom"));
        assert!(r.is_err());
    }

    #[test]
    fn a_sentence_running_over_a_page_break_stays_one_paragraph() {
        let pages = [
            "\n\nShe said that\n".to_string(),
            "\n\nit was late.\n\nChapter 2\n".to_string(),
        ];
        let (joined, starts) = join_pages(&pages);
        assert_eq!(joined, "She said that\nit was late.\n\nChapter 2");
        assert_eq!(starts, [0, 14]);
        let (joined, _) = join_pages(&["End.".to_string(), "Chapter 3".to_string()]);
        assert_eq!(joined, "End.\n\nChapter 3");
    }

    #[test]
    fn lines_map_to_pages_and_windows() {
        let pages: Vec<String> = (1..=25).map(|p| format!("text of page {p}")).collect();
        let (joined, starts) = join_pages(&pages);
        let lines: Vec<&str> = joined.split('\n').collect();
        let line_pages = page_of_each_line(&lines, 0, &starts);
        assert_eq!(line_pages[0], 1);
        assert_eq!(line_pages[1], 2);
        let windows = window_sections(&lines, &line_pages);
        let keys: Vec<_> = windows.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["pages-1-10", "pages-11-20", "pages-21-25"]);
    }
}
