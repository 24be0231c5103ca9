//! `ElementsLookup`: the cast read back from Elements.md (so hand edits win), finding which
//! elements a text mentions and rendering their details for prompts.

use crate::analyze::model::{Catalogue, Element, ElementQuote};
use crate::ids::ChapterNo;
use crate::provider::{ElementBrief, ElementKind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::fmt::Write;

/// Errors reading Elements.md.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error(
        "Elements.md line {line}: `#### {name}` comes before any `### Characters|Creatures|Places|Items` heading; add the section heading above it"
    )]
    NoSection { line: usize, name: String },
    #[error(
        "Elements.md line {line}: unknown section `### {heading}`; use Characters, Creatures, Places or Items"
    )]
    UnknownSection { line: usize, heading: String },
    #[error(
        "Elements.md line {line}: `{text}` is not a chapter number; write e.g. `Chapter 1, 3, 7`"
    )]
    BadChapter { line: usize, text: String },
    #[error("cannot build the name matcher ({0}); report this as a bug")]
    Matcher(#[from] aho_corasick::BuildError),
}

/// The cast plus an Aho–Corasick automaton over every name and alias.
#[derive(Debug, Clone)]
pub struct ElementsLookup {
    pub title: String,
    pub elements: Vec<Element>,
    matcher: Option<AhoCorasick>,
    /// Element index of each pattern.
    owners: Vec<usize>,
}

impl ElementsLookup {
    /// Builds the lookup from a merged catalogue.
    pub fn from_catalogue(catalogue: &Catalogue) -> Result<Self, ParseError> {
        Self::new(catalogue.title.clone(), catalogue.elements.clone())
    }

    fn new(title: String, elements: Vec<Element>) -> Result<Self, ParseError> {
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (i, e) in elements.iter().enumerate() {
            for name in std::iter::once(&e.name).chain(&e.aliases) {
                if !name.trim().is_empty() {
                    patterns.push(name.trim().to_string());
                    owners.push(i);
                }
            }
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)?,
            )
        };
        Ok(Self {
            title,
            elements,
            matcher,
            owners,
        })
    }

    /// Parses Elements.md as rendered by `render::elements_md` or as edited by hand.
    pub fn parse_markdown(text: &str) -> Result<Self, ParseError> {
        let mut title = String::new();
        let mut kind: Option<ElementKind> = None;
        let mut elements: Vec<Element> = Vec::new();
        let mut open = false;
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if let Some(t) = line.strip_prefix("# Elements - ") {
                title = t.trim().to_string();
            } else if line.starts_with("## ") {
                open = false;
                kind = None;
            } else if let Some(h) = line.strip_prefix("### ") {
                open = false;
                kind = Some(
                    section_kind(h.trim()).ok_or_else(|| ParseError::UnknownSection {
                        line: line_no,
                        heading: h.trim().to_string(),
                    })?,
                );
            } else if let Some(name) = line.strip_prefix("#### ") {
                let kind = kind.ok_or_else(|| ParseError::NoSection {
                    line: line_no,
                    name: name.trim().to_string(),
                })?;
                elements.push(empty_element(name.trim(), kind));
                open = true;
            } else if line == "---" {
                open = false;
            } else if open && let Some(e) = elements.last_mut() {
                read_field(e, line, line_no)?;
            }
        }
        for e in &mut elements {
            e.chapters.sort();
            e.chapters.dedup();
            e.first_chapter = e.chapters.first().copied().unwrap_or(ChapterNo(1));
        }
        Self::new(title, elements)
    }

    /// Elements named in `text` (names and aliases, whole words, case-sensitive, leftmost-longest),
    /// each once, in order of first mention.
    pub fn mentions(&self, text: &str) -> Vec<&Element> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut found: Vec<usize> = Vec::new();
        for m in matcher.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            let owner = self.owners[m.pattern().as_usize()];
            if boundary(before) && boundary(after) && !found.contains(&owner) {
                found.push(owner);
            }
        }
        found.into_iter().map(|i| &self.elements[i]).collect()
    }

    /// The details block for the elements `text` mentions: name, type, description, one quote.
    pub fn enrich_prompt(&self, text: &str) -> String {
        let mut out = String::new();
        for e in self.mentions(text) {
            let _ = writeln!(
                out,
                "- {} ({}): {}",
                e.name,
                kind_word(e.kind),
                e.description
            );
            if let Some(q) = e.quotes.first() {
                let _ = writeln!(out, "  Quote (Chapter {}): \"{}\"", q.chapter, q.text);
            }
        }
        out
    }

    /// Briefs of the elements `text` mentions, for providers.
    pub fn briefs(&self, text: &str) -> Vec<ElementBrief> {
        self.mentions(text)
            .into_iter()
            .map(|e| ElementBrief {
                name: e.name.clone(),
                kind: e.kind,
                description: e.description.clone(),
                appearance: e.appearance.clone(),
            })
            .collect()
    }
}

/// The word used for a kind in prompts.
pub fn kind_word(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Character => "character",
        ElementKind::Creature => "creature",
        ElementKind::Place => "place",
        ElementKind::Item => "item",
    }
}

fn section_kind(heading: &str) -> Option<ElementKind> {
    match heading.to_lowercase().as_str() {
        "characters" => Some(ElementKind::Character),
        "creatures" => Some(ElementKind::Creature),
        "places" => Some(ElementKind::Place),
        "items" => Some(ElementKind::Item),
        _ => None,
    }
}

fn empty_element(name: &str, kind: ElementKind) -> Element {
    Element {
        name: name.to_string(),
        kind,
        aliases: Vec::new(),
        description: String::new(),
        quotes: Vec::new(),
        first_chapter: ChapterNo(1),
        chapters: Vec::new(),
        appearance: String::new(),
        details: Vec::new(),
    }
}

fn read_field(e: &mut Element, line: &str, line_no: usize) -> Result<(), ParseError> {
    if let Some(a) = line.strip_prefix("**Aliases:**") {
        e.aliases = a
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    } else if let Some(d) = line.strip_prefix("**Description:**") {
        e.description = d.split_whitespace().collect::<Vec<_>>().join(" ");
    } else if let Some(a) = line.strip_prefix("**Appearance:**") {
        e.appearance = a.split_whitespace().collect::<Vec<_>>().join(" ");
    } else if let Some(c) = line.strip_prefix("**Appears in:**") {
        e.chapters = chapter_list(c, line_no)?;
    } else if let Some(q) = line.strip_prefix('>') {
        let q = q.strip_prefix(' ').unwrap_or(q);
        if let Some(last) = e.quotes.last_mut() {
            if !last.text.is_empty() {
                last.text.push('\n');
            }
            last.text.push_str(q);
        }
    } else if let Some(chapter) = quote_heading(line) {
        let chapter = chapter_list(chapter, line_no)?;
        let chapter = chapter.first().copied().unwrap_or(ChapterNo(1));
        e.quotes.push(ElementQuote {
            chapter,
            text: String::new(),
        });
    }
    Ok(())
}

/// `1. (Chapter 3)` → `3`.
fn quote_heading(line: &str) -> Option<&str> {
    let (num, rest) = line.split_once(". ")?;
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    rest.trim().strip_prefix('(')?.strip_suffix(')')
}

/// `Chapter 1, 3, 7` (or `Chapters 1, 3`) → chapter numbers.
fn chapter_list(text: &str, line_no: usize) -> Result<Vec<ChapterNo>, ParseError> {
    let t = text.trim();
    let t = t
        .strip_prefix("Chapters")
        .or_else(|| t.strip_prefix("Chapter"))
        .unwrap_or(t);
    t.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u32>()
                .map(ChapterNo)
                .map_err(|_| ParseError::BadChapter {
                    line: line_no,
                    text: s.to_string(),
                })
        })
        .collect()
}

#[cfg(test)]
#[path = "lookup_tests.rs"]
mod tests;
