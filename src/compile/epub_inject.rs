//! Inserts the generated images into the reader's original EPUB: every entry is copied as is
//! except the chapter XHTML files that gain a `<figure>` and the OPF that gains manifest items.

use super::placement::find_paragraph;
use super::{CompileReport, Error, Illustrated, State, figure_xhtml, media_type, read_file};
use crate::ids::ChapterNo;
use crate::store::layout::image_base_name;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Folder (under the OPF's folder) that receives the images.
const IMAGE_DIR: &str = "images/imaginize";

/// Returns the bytes of `original` with the images of `state` placed into its chapters.
pub fn inject(
    original: &[u8],
    source: &Path,
    state: &State,
    report: &mut CompileReport,
) -> Result<Vec<u8>, Error> {
    let zerr = |e| Error::Zip {
        path: source.to_path_buf(),
        source: e,
    };
    let mut archive = ZipArchive::new(Cursor::new(original)).map_err(zerr)?;
    let opf_path = rootfile(&mut archive, source)?;
    let opf_dir = parent_dir(&opf_path);
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();

    // Group the images by the XHTML entry their chapter key points to.
    let mut by_file: BTreeMap<String, Vec<&Illustrated>> = BTreeMap::new();
    for item in &state.illustrated {
        let href = item.key.split('#').next().unwrap_or_default();
        let decoded = percent_encoding::percent_decode_str(href).decode_utf8_lossy();
        let joined = join(&opf_dir, &decoded);
        let entry = [joined, decoded.into_owned()]
            .into_iter()
            .find(|c| names.contains(c));
        match entry {
            Some(e) => by_file.entry(e).or_default().push(item),
            None => report.unplaced += 1,
        }
    }

    let mut replaced: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (entry, items) in &by_file {
        let text = read_entry(&mut archive, entry, source)?;
        let new = place_figures(&text, entry, &opf_dir, items, report)
            .map_err(|reason| package(source, format!("`{entry}`: {reason}")))?;
        replaced.insert(entry.clone(), new.into_bytes());
    }
    let opf_text = read_entry(&mut archive, &opf_path, source)?;
    let opf_new = add_manifest_items(&opf_text, state).map_err(|reason| package(source, reason))?;
    replaced.insert(opf_path.clone(), opf_new.into_bytes());

    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    // `mimetype` must be the first entry and uncompressed for readers to sniff the format.
    out.start_file("mimetype", stored).map_err(zerr)?;
    write(&mut out, b"application/epub+zip", source)?;
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).map_err(zerr)?;
        let name = file.name().to_owned();
        if name == "mimetype" {
            continue;
        }
        if let Some(bytes) = replaced.get(&name) {
            drop(file);
            out.start_file(name, deflated).map_err(zerr)?;
            write(&mut out, bytes, source)?;
        } else {
            out.raw_copy_file(file).map_err(zerr)?;
        }
    }
    for item in &state.illustrated {
        let name = join(&opf_dir, &image_href(item));
        out.start_file(name, stored).map_err(zerr)?;
        write(&mut out, &read_file(&item.file)?, source)?;
    }
    Ok(out.finish().map_err(zerr)?.into_inner())
}

fn package(source: &Path, reason: String) -> Error {
    Error::Package {
        path: source.to_path_buf(),
        reason,
    }
}

fn write(out: &mut ZipWriter<Cursor<Vec<u8>>>, bytes: &[u8], source: &Path) -> Result<(), Error> {
    out.write_all(bytes).map_err(|e| Error::Write {
        path: source.to_path_buf(),
        source: e,
    })
}

/// The image's href relative to the OPF folder.
pub(crate) fn image_href(item: &Illustrated) -> String {
    let name = image_base_name(ChapterNo(item.chapter), item.scene.scene, &item.ext);
    format!("{IMAGE_DIR}/{name}")
}

fn read_entry(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    source: &Path,
) -> Result<String, Error> {
    let mut file = archive.by_name(name).map_err(|e| Error::Zip {
        path: source.to_path_buf(),
        source: e,
    })?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| Error::Read {
        path: source.join(name),
        source: e,
    })?;
    Ok(text)
}

/// The OPF path named by `META-INF/container.xml`.
fn rootfile(archive: &mut ZipArchive<Cursor<&[u8]>>, source: &Path) -> Result<String, Error> {
    let container = read_entry(archive, "META-INF/container.xml", source)?;
    let doc = roxmltree::Document::parse(&container)
        .map_err(|e| package(source, format!("container.xml: {e}")))?;
    doc.descendants()
        .find(|n| n.has_tag_name("rootfile"))
        .and_then(|n| n.attribute("full-path"))
        .map(str::to_owned)
        .ok_or_else(|| package(source, "container.xml names no rootfile".to_owned()))
}

fn parent_dir(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_owned())
        .unwrap_or_default()
}

/// Joins a zip folder and a relative href, resolving `.` and `..`.
fn join(dir: &str, href: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// `target` (a zip path) relative to the folder of `from` (a zip path).
fn relative(from: &str, target: &str) -> String {
    let a: Vec<String> = parent_dir(from)
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let b: Vec<&str> = target.split('/').collect();
    let common = a
        .iter()
        .zip(&b)
        .take_while(|(x, y)| x.as_str() == **y)
        .count();
    let mut out: Vec<&str> = vec![".."; a.len() - common];
    out.extend(&b[common..]);
    out.join("/")
}

/// Inserts one `<figure>` per item after the `<p>` containing its quote, or at the body start.
fn place_figures(
    text: &str,
    entry: &str,
    opf_dir: &str,
    items: &[&Illustrated],
    report: &mut CompileReport,
) -> Result<String, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = match roxmltree::Document::parse_with_options(text, options) {
        Ok(doc) => doc,
        // Entities from an external DTD (`&nbsp;` in EPUB 2) defeat the parser; the images
        // still go in, at the body start, without touching the rest of the file.
        Err(_) => return at_body_start(text, entry, opf_dir, items, report),
    };
    let paras: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("p")).collect();
    let para_text: Vec<String> = paras
        .iter()
        .map(|p| {
            // Text nodes only: an element's `text()` repeats its first child's text.
            p.descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect()
        })
        .collect();
    let body = doc
        .descendants()
        .find(|n| n.has_tag_name("body"))
        .ok_or("no <body>")?;
    let body_start = body
        .first_child()
        .map(|c| c.range().start)
        .unwrap_or(body.range().end - "</body>".len());
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for item in items {
        let at = match find_paragraph(&para_text, &item.scene.quote) {
            Some(i) => paras[i].range().end,
            None => {
                report.unplaced += 1;
                body_start
            }
        };
        let src = relative(entry, &join(opf_dir, &image_href(item)));
        inserts.push((at, figure_xhtml(&src, &item.scene)));
    }
    // Insert from the end so earlier offsets stay valid; stable sort keeps scene order per spot.
    let mut out = text.to_owned();
    inserts.sort_by_key(|(at, _)| *at);
    for (at, html) in inserts.iter().rev() {
        out.insert_str(*at, html);
    }
    Ok(out)
}

/// Fallback for files we cannot parse: every figure right after the `<body …>` tag.
fn at_body_start(
    text: &str,
    entry: &str,
    opf_dir: &str,
    items: &[&Illustrated],
    report: &mut CompileReport,
) -> Result<String, String> {
    let open = text.find("<body").ok_or("no <body>")?;
    let at = text[open..].find('>').ok_or("unterminated <body>")? + open + 1;
    let figures: String = items
        .iter()
        .map(|item| {
            report.unplaced += 1;
            let src = relative(entry, &join(opf_dir, &image_href(item)));
            figure_xhtml(&src, &item.scene)
        })
        .collect();
    let mut out = text.to_owned();
    out.insert_str(at, &figures);
    Ok(out)
}

/// Adds one manifest `<item>` per image before `</manifest>`.
fn add_manifest_items(opf: &str, state: &State) -> Result<String, String> {
    let doc = roxmltree::Document::parse(opf).map_err(|e| format!("OPF: {e}"))?;
    let manifest = doc
        .descendants()
        .find(|n| n.has_tag_name("manifest"))
        .ok_or("OPF has no <manifest>")?;
    let range = manifest.range();
    let close = opf[range.clone()]
        .rfind("</")
        .map(|i| range.start + i)
        .ok_or("OPF <manifest> is empty")?;
    let mut items = String::new();
    for item in &state.illustrated {
        let mt = media_type(&item.ext).unwrap_or("application/octet-stream");
        items.push_str(&format!(
            "<item id=\"imaginize-c{}-s{}\" href=\"{}\" media-type=\"{mt}\"/>\n",
            item.chapter,
            item.scene.scene.0,
            image_href(item)
        ));
    }
    let mut out = opf.to_owned();
    out.insert_str(close, &items);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{join, relative};

    #[test]
    fn relative_paths_between_zip_entries() {
        assert_eq!(
            relative("OEBPS/text/c1.xhtml", "OEBPS/images/a.png"),
            "../images/a.png"
        );
        assert_eq!(relative("c1.xhtml", "images/a.png"), "images/a.png");
        assert_eq!(join("OEBPS", "../x/./y.xhtml"), "x/y.xhtml");
    }
}
