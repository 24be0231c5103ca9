//! Which paragraph styles are headings, and of what level, from `word/styles.xml`: a style's own
//! outline level, else a "heading N" name, else what the style it is based on says.

use super::xml_attr;
use regex::Regex;
use roxmltree::{Document, Node};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Word's outline levels run 0–8; 9 means body text.
const BODY_TEXT_LEVEL: u32 = 9;
/// A `basedOn` chain longer than this is a loop (or hostile), not a style sheet.
const MAX_BASED_ON: usize = 16;

static HEADING_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^heading\s*([1-9])$").expect("static regex"));

#[derive(Debug, Default)]
struct Style {
    level: Option<u32>,
    based_on: Option<String>,
}

/// Paragraph style id → what we know about its level.
#[derive(Debug, Default)]
pub(crate) struct Styles {
    by_id: HashMap<String, Style>,
}

impl Styles {
    pub(crate) fn parse(doc: &Document<'_>) -> Styles {
        let by_id = doc
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "style")
            .filter(|n| xml_attr(*n, "type").is_none_or(|t| t == "paragraph"))
            .filter_map(|n| Some((xml_attr(n, "styleId")?.to_string(), style(n))))
            .collect();
        Styles { by_id }
    }

    /// The heading level (1-based) of paragraphs in this style, if it is a heading style.
    /// Documents without a style sheet still use Word's built-in ids ("Heading1").
    pub(crate) fn level(&self, id: &str) -> Option<u32> {
        let mut current = id;
        for _ in 0..MAX_BASED_ON {
            let Some(style) = self.by_id.get(current) else {
                return heading_level(current);
            };
            if let Some(level) = style.level {
                return (level > 0).then_some(level);
            }
            current = style.based_on.as_deref()?;
        }
        None
    }
}

fn style(node: Node<'_, '_>) -> Style {
    let child = |name: &str| {
        node.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
    };
    let outline = child("pPr")
        .and_then(|p| outline_level(p))
        .map(|l| if l >= BODY_TEXT_LEVEL { 0 } else { l + 1 });
    let named = child("name")
        .and_then(|n| xml_attr(n, "val"))
        .and_then(heading_level);
    Style {
        level: outline.or(named),
        based_on: child("basedOn")
            .and_then(|b| xml_attr(b, "val"))
            .map(str::to_string),
    }
}

/// The `w:outlineLvl` of a `w:pPr`, 0-based as Word writes it.
pub(crate) fn outline_level(ppr: Node<'_, '_>) -> Option<u32> {
    ppr.children()
        .find(|c| c.is_element() && c.tag_name().name() == "outlineLvl")
        .and_then(|o| xml_attr(o, "val"))
        .and_then(|v| v.parse().ok())
}

/// "heading 2", "Heading2" → 2.
fn heading_level(name: &str) -> Option<u32> {
    HEADING_NAME
        .captures(name.trim())
        .and_then(|c| c[1].parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_outline_names_and_based_on() {
        let xml = r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
            <w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
            <w:style w:type="paragraph" w:styleId="Titre1"><w:name w:val="heading 1"/></w:style>
            <w:style w:type="paragraph" w:styleId="Chap"><w:name w:val="Chapter"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
            <w:style w:type="paragraph" w:styleId="MyChap"><w:name w:val="Mine"/><w:basedOn w:val="Chap"/></w:style>
            <w:style w:type="paragraph" w:styleId="Loop"><w:name w:val="Loop"/><w:basedOn w:val="Loop"/></w:style>
            <w:style w:type="paragraph" w:styleId="Body"><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>
            </w:styles>"#;
        let doc = Document::parse(xml).expect("xml");
        let styles = Styles::parse(&doc);
        assert_eq!(styles.level("Normal"), None);
        assert_eq!(styles.level("Titre1"), Some(1));
        assert_eq!(styles.level("Chap"), Some(2));
        assert_eq!(styles.level("MyChap"), Some(2));
        assert_eq!(styles.level("Loop"), None);
        assert_eq!(styles.level("Body"), None);
        assert_eq!(styles.level("Heading3"), Some(3));
    }
}
