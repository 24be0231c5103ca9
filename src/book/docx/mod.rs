//! Word documents (.docx), as an author's manuscript: chapters start at Heading 1/Heading 2
//! paragraphs (by style or outline level), with every tracked change accepted; without headings
//! the text is split as plain text is. The zip is read under the same inflate limits as an EPUB.

/// The paragraphs of the main document, tracked changes accepted.
mod body;
/// Which paragraph styles are headings (styles.xml).
mod styles;

use super::assemble::{Parsed, Section};
use super::epub::{archive::Archive, href, xml};
use super::{Error, Limits, plain};
use body::Para;
use roxmltree::Node;
use std::path::Path;
use styles::Styles;

const DOCUMENT: &str = "word/document.xml";
/// The style sheet's name, next to the main document.
const STYLES: &str = "styles.xml";
const PACKAGE_RELS: &str = "_rels/.rels";
const OFFICE_DOCUMENT: &str = "/officeDocument";
const CORE: &str = "docProps/core.xml";
/// Headings down to this level start chapters; deeper ones are scene titles inside a chapter.
const CHAPTER_LEVEL: u32 = 2;

pub(crate) fn read(bytes: &[u8], name: &Path, limits: &Limits) -> Result<Parsed, Error> {
    let mut archive = Archive::open(bytes, name, *limits).map_err(|e| match e {
        Error::NotEpub { path, reason } => Error::NotDocx { path, reason },
        other => other,
    })?;
    let document = main_part(&mut archive)?;
    let Some(text) = archive.read_text(&document)? else {
        return Err(Error::NotDocx {
            path: name.to_path_buf(),
            reason: format!("it has no readable `{document}`"),
        });
    };
    let mut warnings = Vec::new();
    let styles = style_sheet(&mut archive, &document, &mut warnings)?;
    let doc = xml::parse(&text, name, &document)?;
    let paras = body::paragraphs(&doc, &styles);
    let (title, author, language) = core_properties(&mut archive)?;
    Ok(Parsed {
        title,
        author,
        language,
        sections: sections(&paras),
        warnings,
    })
}

/// The main document's path, as the package relationships name it: Word usually writes
/// `word/document.xml`, but not always (`word/document2.xml`).
fn main_part(archive: &mut Archive<'_>) -> Result<String, Error> {
    let Some(text) = archive.read_text(PACKAGE_RELS)? else {
        return Ok(DOCUMENT.to_string());
    };
    let Ok(doc) = xml::parse(&text, archive.path(), PACKAGE_RELS) else {
        return Ok(DOCUMENT.to_string());
    };
    let target = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Relationship")
        .find(|n| xml_attr(*n, "Type").is_some_and(|t| t.ends_with(OFFICE_DOCUMENT)))
        .and_then(|n| xml_attr(n, "Target"))
        .and_then(|t| href::resolve("", t))
        .map(|t| t.path);
    Ok(target.unwrap_or_else(|| DOCUMENT.to_string()))
}

/// The style sheet next to the document; a missing or broken one costs the custom heading
/// styles, not the book.
fn style_sheet(
    archive: &mut Archive<'_>,
    document: &str,
    warnings: &mut Vec<String>,
) -> Result<Styles, Error> {
    let styles = format!("{}{STYLES}", href::folder_of(document));
    let Some(text) = archive.read_text(&styles)? else {
        return Ok(Styles::default());
    };
    match xml::parse(&text, archive.path(), &styles) {
        Ok(doc) => Ok(Styles::parse(&doc)),
        Err(e @ Error::XmlEntities { .. }) => Err(e),
        Err(e) => {
            warnings.push(format!("{e}; only built-in heading styles are recognised"));
            Ok(Styles::default())
        }
    }
}

type Metadata = (Option<String>, Option<String>, Option<String>);

/// Title, author and language from the document properties, when they parse.
fn core_properties(archive: &mut Archive<'_>) -> Result<Metadata, Error> {
    let Some(text) = archive.read_text(CORE)? else {
        return Ok((None, None, None));
    };
    let Ok(doc) = xml::parse(&text, archive.path(), CORE) else {
        return Ok((None, None, None));
    };
    let field = |name: &str| {
        xml::find(doc.root_element(), name)
            .map(xml::text_of)
            .filter(|t| !t.is_empty())
    };
    Ok((field("title"), field("creator"), field("language")))
}

fn sections(paras: &[Para]) -> Vec<Section> {
    let Some(shallowest) = paras.iter().filter_map(|p| p.level).min() else {
        let text = paras.iter().map(|p| p.text.as_str()).collect::<Vec<_>>();
        return plain::split_text(&text.join("\n\n"));
    };
    let split_level = shallowest.max(CHAPTER_LEVEL);
    let mut out: Vec<(String, Option<String>, Vec<&str>)> = Vec::new();
    for (i, p) in paras.iter().enumerate() {
        match p.level.filter(|l| *l <= split_level) {
            Some(_) => out.push((format!("p-{}", i + 1), Some(p.text.clone()), Vec::new())),
            None => match out.last_mut() {
                Some(last) => last.2.push(&p.text),
                None => out.push(("start".to_string(), None, vec![&p.text])),
            },
        }
    }
    out.into_iter()
        .map(|(key, title, lines)| Section {
            key,
            title,
            never_story: plain::is_contents_list(&lines),
            text: lines.join("\n\n"),
        })
        .collect()
}

/// A WordprocessingML attribute by local name (`w:val`), whatever its namespace prefix.
fn xml_attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str, level: Option<u32>) -> Para {
        Para {
            text: text.into(),
            level,
        }
    }

    #[test]
    fn chapters_start_at_level_one_and_two_headings() {
        let paras = [
            para("Front.", None),
            para("Part One", Some(1)),
            para("Chapter 1", Some(2)),
            para("One.", None),
            para("A scene", Some(3)),
            para("More.", None),
        ];
        let got: Vec<_> = sections(&paras)
            .into_iter()
            .map(|s| (s.key, s.title, s.text))
            .collect();
        assert_eq!(
            got,
            [
                ("start".into(), None, "Front.".into()),
                ("p-2".into(), Some("Part One".into()), String::new()),
                (
                    "p-3".into(),
                    Some("Chapter 1".into()),
                    "One.\n\nA scene\n\nMore.".into()
                ),
            ]
        );
    }

    #[test]
    fn without_headings_text_is_split_like_plain_text() {
        let paras = [
            para("Chapter 1", None),
            para("One.", None),
            para("Chapter 2", None),
            para("Two.", None),
        ];
        let titles: Vec<_> = sections(&paras).into_iter().map(|s| s.title).collect();
        assert_eq!(titles, [Some("Chapter 1".into()), Some("Chapter 2".into())]);
    }
}
