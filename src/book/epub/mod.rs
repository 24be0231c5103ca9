//! EPUB 2 and 3: container → OPF → spine, chapters from the table of contents (nav or NCX),
//! text from each XHTML file. Bad spine items are skipped with a warning; a bad archive, DRM or
//! hostile XML stops the read with an error.

pub(crate) mod archive;
mod drm;
pub(crate) mod href;
mod opf;
pub(crate) mod split;
pub(crate) mod toc;
pub(crate) mod xml;

use super::assemble::Parsed;
use super::{Error, Limits, xhtml_text};
use archive::Archive;
use split::Doc;
use std::path::Path;
use toc::TocEntry;

pub(crate) fn read(bytes: &[u8], name: &Path, limits: &Limits) -> Result<Parsed, Error> {
    let mut archive = Archive::open(bytes, name, *limits)?;
    drm::check(&mut archive)?;
    let opf_path = opf::rootfile(&mut archive)?;
    let mut warnings = Vec::new();
    let package = opf::package(&mut archive, &opf_path, &mut warnings)?;
    let toc = table_of_contents(&mut archive, &package, &mut warnings)?;
    let mut docs = Vec::new();
    for item in &package.spine {
        if let Some(doc) = content_doc(&mut archive, item, package.nav.as_deref(), &mut warnings)? {
            docs.push(doc);
        }
    }
    Ok(Parsed {
        title: package.title,
        author: package.author,
        language: package.language,
        sections: split::sections(&docs, &toc::chapter_entries(toc)),
        warnings,
    })
}

/// The nav document's TOC, else the NCX's. A broken TOC costs titles, not the book; only
/// hostile XML (entity declarations) and the inflate limit stop the read.
fn table_of_contents(
    archive: &mut Archive<'_>,
    package: &opf::Package,
    warnings: &mut Vec<String>,
) -> Result<Vec<TocEntry>, Error> {
    if let Some(nav) = &package.nav
        && let Some(text) = archive.read_text(nav)?
        && xhtml_text::nesting_depth(&text) <= xhtml_text::MAX_NESTING
    {
        let entries = toc::from_nav(&text, nav);
        if !entries.is_empty() {
            return Ok(entries);
        }
    }
    let Some(ncx) = &package.ncx else {
        return Ok(Vec::new());
    };
    let Some(text) = archive.read_text(ncx)? else {
        warnings.push(format!(
            "table of contents `{ncx}` is missing; titles come from headings"
        ));
        return Ok(Vec::new());
    };
    match toc::from_ncx(&text, ncx, archive.path()) {
        Ok(entries) => Ok(entries),
        Err(e @ Error::XmlEntities { .. }) => Err(e),
        Err(e) => {
            warnings.push(format!("{e}; titles come from headings"));
            Ok(Vec::new())
        }
    }
}

/// Reads one spine item, or explains in a warning why it is skipped.
fn content_doc(
    archive: &mut Archive<'_>,
    item: &opf::SpineItem,
    nav: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Option<Doc>, Error> {
    if !is_content(item) {
        warnings.push(format!(
            "spine item `{}` is {}, not a content document; skipped",
            item.path, item.media_type
        ));
        return Ok(None);
    }
    let Some(bytes) = archive.read(&item.path)? else {
        warnings.push(format!(
            "spine item `{}` is missing from the archive; skipped",
            item.path
        ));
        return Ok(None);
    };
    let Some(html) = archive::decode_text(&bytes) else {
        warnings.push(format!(
            "spine item `{}` is not UTF-8 or UTF-16 text; skipped",
            item.path
        ));
        return Ok(None);
    };
    let depth = xhtml_text::nesting_depth(&html);
    if depth > xhtml_text::MAX_NESTING {
        warnings.push(format!(
            "spine item `{}` nests elements {depth} deep (more than {}); skipped",
            item.path,
            xhtml_text::MAX_NESTING
        ));
        return Ok(None);
    }
    Ok(Some(Doc {
        is_nav: nav == Some(item.path.as_str()),
        path: item.path.clone(),
        html,
    }))
}

/// XHTML/HTML by media type, or by extension when the media type is missing or odd.
fn is_content(item: &opf::SpineItem) -> bool {
    let media = item.media_type.to_ascii_lowercase();
    let path = item.path.to_ascii_lowercase();
    media.contains("html")
        || media.contains("xml")
        || [".xhtml", ".html", ".htm"]
            .iter()
            .any(|ext| path.ends_with(ext))
}
