//! Elements.md: the book's style guide and the merged cast, grouped by kind, in the format
//! `ElementsLookup` parses back.

use crate::analyze::model::{Catalogue, Element};
use crate::provider::ElementKind;
use crate::style::Style;
use std::fmt::Write;

/// Kinds in section order with their section headings.
pub const SECTIONS: [(ElementKind, &str); 4] = [
    (ElementKind::Character, "Characters"),
    (ElementKind::Creature, "Creatures"),
    (ElementKind::Place, "Places"),
    (ElementKind::Item, "Items"),
];

/// The heading of the style guide's section, first in Elements.md.
pub const STYLE_HEADING: &str = "## Style";

/// Renders Elements.md for `catalogue` with the style in effect. Empty sections are omitted.
pub fn elements_md(catalogue: &Catalogue, style: Option<&Style>) -> String {
    elements_md_with_portraits(catalogue, style, &[])
}

/// Elements.md with a `**Portrait:**` line for each element named in `portraits` (name, the
/// picture's path relative to the output folder): the reference portrait its scenes follow.
pub fn elements_md_with_portraits(
    catalogue: &Catalogue,
    style: Option<&Style>,
    portraits: &[(String, String)],
) -> String {
    let mut out = format!("# Elements - {}\n\n", catalogue.title);
    if let Some(style) = style.filter(|s| !s.is_empty()) {
        out.push_str(&style_section(style));
    }
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
            let portrait = portraits
                .iter()
                .find(|(name, _)| *name == element.name)
                .map(|(_, path)| path.as_str());
            render_element(&mut out, element, portrait);
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

fn render_element(out: &mut String, e: &Element, portrait: Option<&str>) {
    let _ = writeln!(out, "#### {}\n", e.name);
    if !e.aliases.is_empty() {
        let _ = writeln!(out, "**Aliases:** {}\n", e.aliases.join(", "));
    }
    let _ = writeln!(out, "**Description:** {}\n", one_line(&e.description));
    if !e.appearance.trim().is_empty() {
        let _ = writeln!(out, "**Appearance:** {}\n", one_line(&e.appearance));
    }
    if let Some(path) = portrait {
        // The parser ignores the line: the portrait is the state's, not an editable field.
        let _ = writeln!(out, "**Portrait:** ![{}]({path})\n", e.name);
    }
    let chapters: Vec<String> = e.chapters.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "**Appears in:** Chapter {}\n", chapters.join(", "));
    if !e.details.is_empty() {
        out.push_str("**In the series:**\n\n");
        for d in &e.details {
            let _ = writeln!(
                out,
                "- *{}*, chapter {}: {}",
                one_line(&d.book),
                d.chapter,
                one_line(&d.text)
            );
        }
        out.push('\n');
    }
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

/// The style guide's section: every image prompt carries these fields verbatim. It is changed
/// with `imaginize style` or the config key, not here (the cast parser skips it).
pub fn style_section(style: &Style) -> String {
    let mut out = format!("{STYLE_HEADING}\n\n");
    for (label, value) in style.fields() {
        if !value.is_empty() {
            let _ = writeln!(out, "**{label}:** {}\n", one_line(value));
        }
    }
    // Italic, not a `>` block: in Elements.md those are the book's quotes.
    out.push_str(
        "_Every illustration prompt carries this style. Change it with `imaginize style --set \"…\"` \
or the config key `style`, then redraw with `--images --force`._\n\n",
    );
    out
}

/// `markdown` with its style section replaced by `style`'s (added after the title when it has
/// none), the rest of the file, hand edits included, unchanged.
pub fn replace_style_section(markdown: &str, style: &Style) -> String {
    let section = style_section(style);
    let lines: Vec<&str> = markdown.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| l.trim_end() == STYLE_HEADING);
    let Some(start) = start else {
        let at = lines
            .iter()
            .position(|l| l.starts_with("# "))
            .map_or(0, |i| i + 1);
        let rest_start = lines
            .iter()
            .skip(at)
            .position(|l| !l.trim().is_empty())
            .map_or(lines.len(), |i| i + at);
        let head: String = lines[..rest_start].concat();
        let head = if head.is_empty() || head.ends_with("\n\n") {
            head
        } else {
            format!("{}\n", head)
        };
        return format!("{head}{section}{}", lines[rest_start..].concat());
    };
    let end = lines
        .iter()
        .skip(start + 1)
        .position(|l| l.starts_with('#'))
        .map_or(lines.len(), |i| i + start + 1);
    format!(
        "{}{section}{}",
        lines[..start].concat(),
        lines[end..].concat()
    )
}

/// `markdown` with an `**Appearance:**` line added to each named element that has none (after
/// its description, else after its heading); everything else, hand edits included, unchanged.
pub fn insert_cards(markdown: &str, cards: &[(String, String)]) -> String {
    // Blocks that already have a card keep it.
    let mut carded: Vec<&str> = Vec::new();
    let mut block = "";
    for line in markdown.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("#### ") {
            block = name.trim();
        } else if line.starts_with("**Appearance:**") {
            carded.push(block);
        }
    }
    let card_of = |name: &str| {
        cards
            .iter()
            .find(|(n, _)| n == name && !carded.contains(&name))
            .map(|(_, card)| format!("**Appearance:** {}\n\n", one_line(card)))
    };
    let mut out = String::with_capacity(markdown.len());
    let mut pending: Option<String> = None;
    let mut lines = markdown.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        let ends_block = trimmed == "---" || trimmed.starts_with('#');
        if ends_block && let Some(card) = pending.take() {
            out.push_str(&card);
        }
        if let Some(name) = trimmed.strip_prefix("#### ") {
            pending = card_of(name.trim());
        }
        out.push_str(line);
        if trimmed.starts_with("**Description:**")
            && let Some(card) = pending.take()
        {
            match lines.peek() {
                Some(blank) if blank.trim().is_empty() => out.push_str(lines.next().unwrap_or("")),
                _ => out.push('\n'),
            }
            out.push_str(&card);
        }
    }
    if let Some(card) = pending {
        out.push_str(&card);
    }
    out
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
                    appearance: String::new(),
                    details: Vec::new(),
                },
                Element {
                    name: "Netherfield Park".into(),
                    kind: ElementKind::Place,
                    aliases: vec![],
                    description: "A large house let at last.".into(),
                    quotes: vec![],
                    first_chapter: ChapterNo(1),
                    chapters: vec![ChapterNo(1)],
                    appearance: String::new(),
                    details: Vec::new(),
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
        assert_eq!(elements_md(&sample(), None), expected);
    }

    #[test]
    fn a_portrayed_element_shows_its_portrait_and_parses_back_the_same() {
        let portraits = [(
            "Elizabeth Bennet".to_string(),
            "images/cast/elizabeth-bennet.png".to_string(),
        )];
        let md = elements_md_with_portraits(&sample(), None, &portraits);
        assert!(
            md.contains("**Portrait:** ![Elizabeth Bennet](images/cast/elizabeth-bennet.png)"),
            "{md}"
        );
        assert_eq!(md.matches("**Portrait:**").count(), 1, "only the portrayed");
        let back = crate::analyze::lookup::ElementsLookup::parse_markdown(&md).unwrap();
        let plain =
            crate::analyze::lookup::ElementsLookup::parse_markdown(&elements_md(&sample(), None))
                .unwrap();
        assert_eq!(back.elements, plain.elements);
    }

    #[test]
    fn the_style_comes_first_and_cards_under_each_element() {
        let mut catalogue = sample();
        catalogue.elements[0].appearance = "hair: dark; eyes: fine, dark".into();
        let style = Style {
            art_style: "etching".into(),
            palette: "sepia".into(),
            ..Style::default()
        };
        let md = elements_md(&catalogue, Some(&style));
        assert!(
            md.starts_with("# Elements - Pride and Prejudice\n\n## Style\n\n**Art style:** etching\n\n**Palette:** sepia\n\n"),
            "{md}"
        );
        assert!(
            md.contains("**Appearance:** hair: dark; eyes: fine, dark\n"),
            "{md}"
        );
        // The style command replaces the section and keeps the rest, edits included.
        let edited = md.replace("fine dark eyes", "EDITED");
        let restyled = replace_style_section(&edited, &Style::text("oil"));
        assert!(restyled.contains("**Art style:** oil\n") && !restyled.contains("sepia"));
        assert!(restyled.contains("EDITED") && restyled.contains("### Characters"));
        // A file without a style section gets one after its title.
        let plain = elements_md(&sample(), None);
        let added = replace_style_section(&plain, &Style::text("oil"));
        assert!(
            added.starts_with("# Elements - Pride and Prejudice\n\n## Style\n\n**Art style:** oil"),
            "{added}"
        );
        assert!(added.ends_with(&plain["# Elements - Pride and Prejudice\n\n".len()..]));
    }

    #[test]
    fn cards_are_added_to_an_older_file_where_a_render_puts_them() {
        let plain = elements_md(&sample(), None).replace("fine dark eyes", "EDITED");
        let cards = vec![
            ("Elizabeth Bennet".to_string(), "hair: dark".to_string()),
            ("Netherfield Park".to_string(), "light: bright".to_string()),
        ];
        let mut expected = sample();
        expected.elements[0].appearance = "hair: dark".into();
        expected.elements[1].appearance = "light: bright".into();
        let rendered = elements_md(&expected, None).replace("fine dark eyes", "EDITED");
        assert_eq!(insert_cards(&plain, &cards), rendered);
        // A card already there stays as it is.
        assert_eq!(insert_cards(&rendered, &cards), rendered);
    }
}
