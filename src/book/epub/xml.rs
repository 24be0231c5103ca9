//! Parsing the EPUB's XML (container, OPF, NCX, encryption) safely. A plain `<!DOCTYPE …>` (NCX
//! and XHTML files carry one) is fine; entity declarations are refused outright, since entity
//! expansion is the classic way to make a small file eat all memory.

use crate::book::Error;
use roxmltree::{Document, Node, ParsingOptions};
use std::path::Path;

/// More nodes than any real OPF or NCX has; bounds memory on hostile input.
const MAX_NODES: u32 = 2_000_000;

pub(crate) fn parse<'a>(text: &'a str, path: &Path, part: &str) -> Result<Document<'a>, Error> {
    if declares_entities(text) {
        return Err(Error::XmlEntities {
            path: path.to_path_buf(),
            part: part.to_string(),
        });
    }
    let options = ParsingOptions {
        allow_dtd: true,
        nodes_limit: MAX_NODES,
    };
    Document::parse_with_options(text, options).map_err(|source| Error::Xml {
        path: path.to_path_buf(),
        part: part.to_string(),
        source,
    })
}

fn declares_entities(text: &str) -> bool {
    // Entities can only be declared inside the DOCTYPE's internal subset, which precedes the root
    // element; looking at the whole text is simpler and errs on the safe side.
    text.contains("<!ENTITY")
}

/// First descendant element with this local name (namespaces vary across EPUB versions).
pub(crate) fn find<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

/// Child elements with this local name.
pub(crate) fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// The element's text with whitespace collapsed.
pub(crate) fn text_of(node: Node<'_, '_>) -> String {
    let raw: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_doctype_parses() {
        let ncx = "<?xml version=\"1.0\"?>\n<!DOCTYPE ncx PUBLIC \"-//NISO//DTD ncx 2005-1//EN\" \
            \"http://www.daisy.org/z3986/2005/ncx-2005-1.dtd\">\n<ncx><navMap/></ncx>";
        assert!(parse(ncx, Path::new("b.epub"), "toc.ncx").is_ok());
    }

    #[test]
    fn entity_declarations_are_refused() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">\
            <!ENTITY lol2 \"&lol;&lol;\">]><lolz>&lol2;</lolz>";
        let err = parse(bomb, Path::new("b.epub"), "content.opf").expect_err("refused");
        assert!(matches!(err, Error::XmlEntities { .. }));
    }
}
