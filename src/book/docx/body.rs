//! The paragraphs of `word/document.xml` as a reader sees them with every tracked change
//! accepted: insertions kept, deletions and moved-away text dropped. Comments and notes live in
//! other parts and are never read; field codes, text boxes and fallback drawings are skipped.

use super::styles::{Styles, outline_level};
use super::xml_attr;
use roxmltree::{Document, Node};

/// One paragraph: its text and, for a heading, its level (1 = Heading 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Para {
    pub text: String,
    pub level: Option<u32>,
}

/// Elements whose content is not in the accepted text (or not prose at all).
const SKIPPED: &[&str] = &[
    "del",
    "moveFrom",
    "delText",
    "delInstrText",
    "instrText",
    "txbxContent",
    "Fallback",
    "pPr",
    "rPr",
    "footnoteReference",
    "endnoteReference",
    "commentReference",
];

pub(crate) fn paragraphs(doc: &Document<'_>, styles: &Styles) -> Vec<Para> {
    let Some(body) = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "body")
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // A paragraph whose mark was deleted runs on into the next one once the change is accepted.
    let mut carried = String::new();
    for p in body.descendants().filter(|n| is(*n, "p") && !nested(*n)) {
        carried.push_str(&text_of(p));
        if mark_deleted(p) {
            continue;
        }
        let text = std::mem::take(&mut carried)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() {
            out.push(Para {
                text,
                level: level(p, styles),
            });
        }
    }
    out
}

fn is(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

/// A paragraph inside another one (in a text box) is not part of the flow.
fn nested(p: Node<'_, '_>) -> bool {
    p.ancestors().skip(1).any(|a| is(a, "p"))
}

fn ppr<'a, 'i>(p: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    p.children().find(|c| is(*c, "pPr"))
}

fn mark_deleted(p: Node<'_, '_>) -> bool {
    ppr(p)
        .and_then(|pr| pr.children().find(|c| is(*c, "rPr")))
        .is_some_and(|rpr| rpr.children().any(|c| is(c, "del") || is(c, "moveFrom")))
}

fn level(p: Node<'_, '_>, styles: &Styles) -> Option<u32> {
    let pr = ppr(p)?;
    if let Some(l) = outline_level(pr) {
        return (l < 9).then_some(l + 1);
    }
    let style = pr.children().find(|c| is(*c, "pStyle"))?;
    styles.level(xml_attr(style, "val")?)
}

/// The accepted text under `p`, walked with an explicit stack (hostile files nest deep).
fn text_of(p: Node<'_, '_>) -> String {
    let mut text = String::new();
    let mut stack: Vec<Node<'_, '_>> = p.children().rev().collect();
    while let Some(node) = stack.pop() {
        if !node.is_element() {
            continue;
        }
        match node.tag_name().name() {
            name if SKIPPED.contains(&name) => {}
            "t" => text.push_str(node.text().unwrap_or_default()),
            // Paragraph breaks are what separate blocks here; a line break inside one is a space.
            "tab" | "ptab" | "br" | "cr" => text.push(' '),
            "noBreakHyphen" => text.push('-'),
            _ => stack.extend(node.children().rev()),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paras(body: &str) -> Vec<Para> {
        let xml = format!(
            r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        );
        let doc = Document::parse(&xml).expect("xml");
        paragraphs(&doc, &Styles::default())
    }

    fn text(t: &str) -> String {
        format!("<w:r><w:t xml:space=\"preserve\">{t}</w:t></w:r>")
    }

    #[test]
    fn tracked_changes_are_accepted() {
        let body = format!(
            "<w:p>{}<w:ins>{}</w:ins><w:del><w:r><w:delText>old </w:delText></w:r></w:del>\
             <w:moveFrom>{}</w:moveFrom>{}</w:p>",
            text("The "),
            text("new "),
            text("moved "),
            text("text.")
        );
        assert_eq!(paras(&body)[0].text, "The new text.");
    }

    #[test]
    fn a_deleted_paragraph_mark_joins_the_next_paragraph() {
        let body = format!(
            "<w:p><w:pPr><w:rPr><w:del/></w:rPr></w:pPr>{}</w:p><w:p>{}</w:p>",
            text("One "),
            text("sentence.")
        );
        assert_eq!(
            paras(&body),
            [Para {
                text: "One sentence.".into(),
                level: None
            }]
        );
    }

    #[test]
    fn headings_come_from_styles_and_outline_levels() {
        let body = format!(
            "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr>{}</w:p>\
             <w:p><w:pPr><w:outlineLvl w:val=\"1\"/></w:pPr>{}</w:p><w:p>{}</w:p>",
            text("Part"),
            text("Chapter"),
            text("Prose")
        );
        let levels: Vec<_> = paras(&body).into_iter().map(|p| p.level).collect();
        assert_eq!(levels, [Some(1), Some(2), None]);
    }

    #[test]
    fn field_codes_text_boxes_and_empty_paragraphs_are_skipped() {
        let body = format!(
            "<w:p><w:r><w:instrText>PAGE</w:instrText></w:r>{}<w:r><w:pict><w:txbxContent><w:p>{}</w:p></w:txbxContent></w:pict></w:r></w:p><w:p/>",
            text("Kept"),
            text("boxed")
        );
        assert_eq!(
            paras(&body),
            [Para {
                text: "Kept".into(),
                level: None
            }]
        );
    }
}
