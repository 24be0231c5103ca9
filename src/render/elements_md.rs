//! Elements.md: the merged cast, grouped by kind, in the format `ElementsLookup` parses back.

use crate::analyze::model::{Catalogue, Element};
use crate::provider::ElementKind;
use std::fmt::Write;

/// Kinds in section order with their section headings.
pub const SECTIONS: [(ElementKind, &str); 4] = [
    (ElementKind::Character, "Characters"),
    (ElementKind::Creature, "Creatures"),
    (ElementKind::Place, "Places"),
    (ElementKind::Item, "Items"),
];

/// Renders Elements.md for `catalogue`. Empty sections are omitted.
pub fn elements_md(catalogue: &Catalogue) -> String {
    let mut out = format!("# Elements - {}\n\n", catalogue.title);
    if !catalogue.partial_from.is_empty() {
        let chapters: Vec<String> = catalogue
            .partial_from
            .iter()
            .map(|c| c.0.to_string())
            .collect();
        let _ = writeln!(
            out,
            "> Partial cast: read from chapters {} only (`--cast selected`); a run without it completes it.\n",
            chapters.join(", ")
        );
    }
    for (kind, heading) in SECTIONS {
        let members: Vec<&Element> = catalogue
            .elements
            .iter()
            .filter(|e| e.kind == kind)
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {heading}\n");
        for element in members {
            render_element(&mut out, element);
        }
    }
    out.push_str("## Statistics\n\n");
    for (kind, heading) in SECTIONS {
        let n = catalogue.elements.iter().filter(|e| e.kind == kind).count();
        let _ = writeln!(out, "- {heading}: {n}");
    }
    let _ = writeln!(out, "- Total: {}", catalogue.elements.len());
    out
}

fn render_element(out: &mut String, e: &Element) {
    let _ = writeln!(out, "#### {}\n", e.name);
    if !e.aliases.is_empty() {
        let _ = writeln!(out, "**Aliases:** {}\n", e.aliases.join(", "));
    }
    let _ = writeln!(out, "**Description:** {}\n", one_line(&e.description));
    let chapters: Vec<String> = e.chapters.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "**Appears in:** Chapter {}\n", chapters.join(", "));
    if !e.quotes.is_empty() {
        out.push_str("**Reference Quotes:**\n\n");
        for (i, q) in e.quotes.iter().enumerate() {
            let _ = writeln!(out, "{}. (Chapter {})", i + 1, q.chapter);
            for line in q.text.lines() {
                let _ = writeln!(out, "   > {line}");
            }
            out.push('\n');
        }
    }
    out.push_str("---\n\n");
}

/// Descriptions are kept on one line so the parser can read them back.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::model::ElementQuote;
    use crate::ids::ChapterNo;

    pub(crate) fn sample() -> Catalogue {
        Catalogue {
            partial_from: Vec::new(),
            title: "Pride and Prejudice".into(),
            elements: vec![
                Element {
                    name: "Elizabeth Bennet".into(),
                    kind: ElementKind::Character,
                    aliases: vec!["Lizzy".into(), "Eliza".into()],
                    description: "Second daughter, fine dark eyes.".into(),
                    quotes: vec![ElementQuote {
                        chapter: ChapterNo(3),
                        text: "She is tolerable; but not handsome enough to tempt me".into(),
                    }],
                    first_chapter: ChapterNo(1),
                    chapters: vec![ChapterNo(1), ChapterNo(3)],
                },
                Element {
                    name: "Netherfield Park".into(),
                    kind: ElementKind::Place,
                    aliases: vec![],
                    description: "A large house let at last.".into(),
                    quotes: vec![],
                    first_chapter: ChapterNo(1),
                    chapters: vec![ChapterNo(1)],
                },
            ],
        }
    }

    #[test]
    fn renders_the_issue_format() {
        let expected = "# Elements - Pride and Prejudice\n\n### Characters\n\n#### Elizabeth Bennet\n\n\
**Aliases:** Lizzy, Eliza\n\n**Description:** Second daughter, fine dark eyes.\n\n\
**Appears in:** Chapter 1, 3\n\n**Reference Quotes:**\n\n1. (Chapter 3)\n   > \
She is tolerable; but not handsome enough to tempt me\n\n---\n\n### Places\n\n\
#### Netherfield Park\n\n**Description:** A large house let at last.\n\n**Appears in:** Chapter 1\n\n\
---\n\n## Statistics\n\n- Characters: 1\n- Creatures: 0\n- Places: 1\n- Items: 0\n- Total: 2\n";
        assert_eq!(elements_md(&sample()), expected);
    }
}
