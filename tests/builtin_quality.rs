//! The builtin analyzer's quality bar (issue 4): run pass 1 on every chapter of the bundled Pride
//! and Prejudice and score the union of reported names against the hand-made gold list. Every
//! `must` entity is found, at least 80% of all gold entities are found, and at most 25% of the
//! reported characters and places are noise. Also checks every quote is verbatim, and that pass 2
//! returns the asked number of verbatim scenes.

use imaginize::provider::builtin::{entities_json, scenes_json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Instant;

const BOOK: &str = include_str!("fixtures/books/pride-and-prejudice.txt");
const GOLD: &str = include_str!("fixtures/gold/pride-and-prejudice.json");

/// Words that are never an entity by themselves: pronouns, sentence starters, months, weekdays,
/// book furniture, interjections.
const NOISE: &[&str] = &[
    "i",
    "he",
    "she",
    "it",
    "we",
    "they",
    "you",
    "me",
    "him",
    "her",
    "us",
    "them",
    "my",
    "your",
    "his",
    "its",
    "our",
    "their",
    "this",
    "that",
    "these",
    "those",
    "the",
    "a",
    "an",
    "but",
    "and",
    "or",
    "when",
    "where",
    "what",
    "which",
    "who",
    "why",
    "how",
    "if",
    "then",
    "as",
    "at",
    "in",
    "on",
    "to",
    "for",
    "so",
    "yet",
    "not",
    "no",
    "yes",
    "there",
    "here",
    "now",
    "well",
    "after",
    "before",
    "while",
    "though",
    "although",
    "because",
    "every",
    "some",
    "all",
    "such",
    "one",
    "nothing",
    "upon",
    "with",
    "by",
    "from",
    "chapter",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "oh",
    "ah",
    "aye",
    "nay",
    "alas",
    "pooh",
    "indeed",
    "pray",
    "perhaps",
    "good",
    "dear",
    "lord",
    "sir",
    "madam",
    "miss",
    "mr",
    "mrs",
    "mr.",
    "mrs.",
    "very",
    "do",
    "let",
    "god",
    "heaven",
];

/// The 61 chapters: the text between consecutive `Chapter N` lines.
fn chapters() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in BOOK.split_inclusive('\n') {
        let t = line.trim();
        let is_heading = t
            .strip_prefix("Chapter ")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if is_heading {
            out.extend(current.take());
            current = Some(String::new());
        } else if let Some(c) = current.as_mut() {
            c.push_str(line);
        }
    }
    out.extend(current);
    out
}

/// A name and its aliases, lower-cased.
fn forms(entity: &Value) -> Vec<String> {
    let mut names = vec![entity["name"].as_str().unwrap_or_default().to_lowercase()];
    if let Some(aliases) = entity["aliases"].as_array() {
        names.extend(
            aliases
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase),
        );
    }
    names
}

fn is_noise(name: &str) -> bool {
    let first = name.split_whitespace().next().unwrap_or_default();
    name.split_whitespace().count() == 1 && NOISE.contains(&first)
}

#[test]
fn pride_and_prejudice_entities_meet_the_quality_bar() {
    let chapters = chapters();
    assert_eq!(chapters.len(), 61);
    let started = Instant::now();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut people_and_places: BTreeSet<String> = BTreeSet::new();
    for text in &chapters {
        let value = entities_json(text);
        let list = value["entities"].as_array().cloned().unwrap_or_default();
        for entity in &list {
            let quote = entity["quote"].as_str().unwrap_or_default();
            assert!(
                !quote.is_empty() && text.contains(quote),
                "quote not verbatim: {quote:?}"
            );
            assert!(quote.split_whitespace().count() <= 80, "{quote:?}");
            reported.extend(forms(entity));
            if matches!(entity["type"].as_str(), Some("character" | "place")) {
                people_and_places
                    .insert(entity["name"].as_str().unwrap_or_default().to_lowercase());
            }
        }
    }
    let elapsed = started.elapsed();
    let gold: Value = serde_json::from_str(GOLD).unwrap_or_default();
    let gold = gold["entities"].as_array().cloned().unwrap_or_default();
    assert!(!gold.is_empty());
    let mut missing_must = Vec::new();
    let mut found = 0;
    for entity in &gold {
        let hit = forms(entity).iter().any(|f| reported.contains(f));
        found += usize::from(hit);
        if !hit && entity["must"].as_bool() == Some(true) {
            missing_must.push(entity["name"].as_str().unwrap_or_default().to_string());
        }
        if !hit {
            println!("missed: {}", entity["name"]);
        }
    }
    let noise: Vec<&String> = people_and_places.iter().filter(|n| is_noise(n)).collect();
    let recall = found as f64 / gold.len() as f64;
    let noise_rate = noise.len() as f64 / people_and_places.len().max(1) as f64;
    println!(
        "builtin quality: recall {found}/{} = {:.0}%, noise {}/{} = {:.1}% {noise:?}, {} forms reported, {:?} for 61 chapters",
        gold.len(),
        recall * 100.0,
        noise.len(),
        people_and_places.len(),
        noise_rate * 100.0,
        reported.len(),
        elapsed
    );
    assert!(
        missing_must.is_empty(),
        "must entities missed: {missing_must:?}"
    );
    assert!(recall >= 0.8, "recall {recall:.2} below 0.80");
    assert!(
        noise_rate <= 0.25,
        "noise {noise_rate:.2} above 0.25: {noise:?}"
    );
}

#[test]
fn pride_and_prejudice_scenes_are_verbatim_and_counted() {
    for text in chapters().iter().take(10) {
        let value = scenes_json(text, 3, &[]);
        let scenes = value["scenes"].as_array().cloned().unwrap_or_default();
        assert_eq!(scenes.len(), 3);
        for scene in &scenes {
            let quote = scene["quote"].as_str().unwrap_or_default();
            assert!(!quote.is_empty() && text.contains(quote), "{quote:?}");
            // A caption of one to three sentences, not a page (issue 18).
            assert!(quote.split_whitespace().count() <= 80, "{quote:?}");
            assert!(scene["mood"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(scene["lighting"].as_str().is_some_and(|l| !l.is_empty()));
        }
    }
}
