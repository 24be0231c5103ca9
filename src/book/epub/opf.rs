//! META-INF/container.xml → the OPF package: metadata, manifest and spine, with every href
//! resolved to an archive path. A spine entry we cannot use becomes a warning, not a failure.

use super::archive::Archive;
use super::href;
use super::xml;
use crate::book::Error;
use std::collections::HashMap;

const CONTAINER: &str = "META-INF/container.xml";

/// What the OPF says about the book.
#[derive(Debug, Default)]
pub(crate) struct Package {
    pub title: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    /// Content documents in reading order.
    pub spine: Vec<SpineItem>,
    /// The EPUB 3 navigation document.
    pub nav: Option<String>,
    /// The EPUB 2 NCX table of contents.
    pub ncx: Option<String>,
}

/// One spine entry, resolved through the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpineItem {
    /// Archive path.
    pub path: String,
    pub media_type: String,
}

struct Item {
    path: String,
    media_type: String,
    properties: String,
}

/// The OPF's archive path, from META-INF/container.xml.
pub(crate) fn rootfile(archive: &mut Archive<'_>) -> Result<String, Error> {
    let not_epub = |archive: &Archive<'_>, reason: &str| Error::NotEpub {
        path: archive.path().to_path_buf(),
        reason: reason.to_string(),
    };
    let Some(text) = archive.read_text(CONTAINER)? else {
        return Err(not_epub(archive, "it has no META-INF/container.xml"));
    };
    let doc = xml::parse(&text, archive.path(), CONTAINER)?;
    let full_path = doc
        .descendants()
        .filter(|n| n.has_tag_name("rootfile") || n.tag_name().name() == "rootfile")
        .find_map(|n| n.attribute("full-path"))
        .and_then(|p| href::resolve("", p))
        .map(|t| t.path);
    match full_path {
        Some(p) if archive.contains(&p) => Ok(p),
        Some(p) => Err(not_epub(
            archive,
            &format!("its package file `{p}` is missing"),
        )),
        None => Err(not_epub(
            archive,
            "META-INF/container.xml names no package file",
        )),
    }
}

/// Parses the OPF at `opf_path`.
pub(crate) fn package(
    archive: &mut Archive<'_>,
    opf_path: &str,
    warnings: &mut Vec<String>,
) -> Result<Package, Error> {
    let Some(text) = archive.read_text(opf_path)? else {
        return Err(Error::NotEpub {
            path: archive.path().to_path_buf(),
            reason: format!("its package file `{opf_path}` is not readable text"),
        });
    };
    let doc = xml::parse(&text, archive.path(), opf_path)?;
    let root = doc.root_element();
    let manifest = manifest(root, opf_path);
    let spine_el = xml::find(root, "spine");
    let itemrefs: Vec<_> = spine_el
        .map(|s| xml::children(s, "itemref").collect())
        .unwrap_or_default();
    if itemrefs.is_empty() {
        return Err(Error::EmptySpine {
            path: archive.path().to_path_buf(),
        });
    }
    let mut spine = Vec::new();
    for (i, itemref) in itemrefs.iter().enumerate() {
        match itemref
            .attribute("idref")
            .map(|id| manifest.get(id).ok_or(id))
        {
            Some(Ok(item)) => spine.push(SpineItem {
                path: item.path.clone(),
                media_type: item.media_type.clone(),
            }),
            Some(Err(id)) => warnings.push(format!(
                "spine item {} (`{id}`) is not in the manifest; skipped",
                i + 1
            )),
            None => warnings.push(format!("spine item {} has no idref; skipped", i + 1)),
        }
    }
    let ncx_id = spine_el.and_then(|s| s.attribute("toc"));
    Ok(Package {
        title: metadata(root, "title"),
        author: metadata(root, "creator"),
        language: metadata(root, "language"),
        nav: manifest
            .values()
            .find(|i| i.properties.split_whitespace().any(|p| p == "nav"))
            .map(|i| i.path.clone()),
        ncx: ncx_id
            .and_then(|id| manifest.get(id))
            .or_else(|| {
                manifest
                    .values()
                    .find(|i| i.media_type == "application/x-dtbncx+xml")
            })
            .map(|i| i.path.clone()),
        spine,
    })
}

/// Manifest items by id; items without an id or with an href we refuse are left out.
fn manifest(root: roxmltree::Node<'_, '_>, opf_path: &str) -> HashMap<String, Item> {
    let Some(manifest) = xml::find(root, "manifest") else {
        return HashMap::new();
    };
    xml::children(manifest, "item")
        .filter_map(|n| {
            let id = n.attribute("id")?;
            let target = href::resolve(opf_path, n.attribute("href")?)?;
            let item = Item {
                path: target.path,
                media_type: n.attribute("media-type").unwrap_or_default().to_string(),
                properties: n.attribute("properties").unwrap_or_default().to_string(),
            };
            Some((id.to_string(), item))
        })
        .collect()
}

/// The first non-empty Dublin Core element with this name.
fn metadata(root: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    let meta = xml::find(root, "metadata")?;
    meta.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .map(xml::text_of)
        .find(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Limits;
    use std::io::Write;
    use std::path::Path;

    fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            w.write_all(body.as_bytes()).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    const CONTAINER_XML: &str = r#"<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>"#;

    #[test]
    fn reads_metadata_spine_and_toc_paths() {
        let opf = r#"<package xmlns="http://www.idpf.org/2007/opf" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <metadata><dc:title> Emma </dc:title><dc:creator>Jane Austen</dc:creator><dc:language>en</dc:language></metadata>
            <manifest><item id="n" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
              <item id="nav" href="nav.xhtml" properties="nav" media-type="application/xhtml+xml"/>
              <item id="c1" href="text/ch%201.xhtml" media-type="application/xhtml+xml"/></manifest>
            <spine toc="n"><itemref idref="c1"/><itemref idref="missing"/><itemref/></spine></package>"#;
        let bytes = zip(&[(CONTAINER, CONTAINER_XML), ("OEBPS/content.opf", opf)]);
        let mut archive =
            Archive::open(&bytes, Path::new("e.epub"), Limits::default()).expect("zip");
        let opf_path = rootfile(&mut archive).expect("rootfile");
        let mut warnings = Vec::new();
        let p = package(&mut archive, &opf_path, &mut warnings).expect("package");
        assert_eq!(p.title.as_deref(), Some("Emma"));
        assert_eq!(p.author.as_deref(), Some("Jane Austen"));
        assert_eq!(
            p.spine.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
            ["OEBPS/text/ch 1.xhtml"]
        );
        assert_eq!(p.nav.as_deref(), Some("OEBPS/nav.xhtml"));
        assert_eq!(p.ncx.as_deref(), Some("OEBPS/toc.ncx"));
        assert_eq!(warnings.len(), 2);
    }
}
