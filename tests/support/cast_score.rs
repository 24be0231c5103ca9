//! Scores the builtin analyzer's merged cast of a whole book against a hand-made cast list, the
//! way a reader would judge Elements.md: precision (reported elements that are real cast),
//! recall (gold entities found), must-recall, duplicates (a gold entity reported as two
//! elements), split kinds (one name under two kinds) and noise (pronouns, contractions,
//! interjections reported as elements). Shared by `tests/builtin_heldout.rs` and the `builtin`
//! bench.

use imaginize::analyze::RawEntity;
use imaginize::analyze::entities_json::entities_from_value;
use imaginize::analyze::merge::merge;
use imaginize::analyze::model::Catalogue;
use imaginize::analyze::names::normalise;
use imaginize::analyze::quotes::ChapterText;
use imaginize::ids::ChapterNo;
use imaginize::provider::builtin::{entities_json, scenes_json};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A book to score and the cast list to score it with.
pub struct Case {
    pub name: &'static str,
    pub book: &'static str,
    pub gold: &'static str,
}

/// Tuning books: the heuristics were adjusted while looking at their output.
pub const TUNING: &[Case] = &[
    Case {
        name: "pride-and-prejudice",
        book: "tests/fixtures/books/pride-and-prejudice.txt",
        gold: "tests/fixtures/gold/pride-and-prejudice.json",
    },
    Case {
        name: "metamorphosis",
        book: "tests/fixtures/books/metamorphosis.epub",
        gold: "tests/fixtures/gold/tuning/metamorphosis.json",
    },
    Case {
        name: "jack-sheppard",
        book: "tests/fixtures/books/tuning/jack-sheppard.txt",
        gold: "tests/fixtures/gold/tuning/jack-sheppard.json",
    },
    Case {
        name: "a-christmas-carol",
        book: "tests/fixtures/books/tuning/a-christmas-carol.epub",
        gold: "tests/fixtures/gold/tuning/a-christmas-carol.json",
    },
];

/// Held-out books: never looked at while tuning; scored only to report.
pub const HELD_OUT: &[Case] = &[
    Case {
        name: "the-little-colonels-hero",
        book: "tests/fixtures/books/heldout/the-little-colonels-hero.txt",
        gold: "tests/fixtures/gold/heldout/the-little-colonels-hero.json",
    },
    Case {
        name: "news-from-nowhere",
        book: "tests/fixtures/books/heldout/news-from-nowhere.md",
        gold: "tests/fixtures/gold/heldout/news-from-nowhere.json",
    },
    Case {
        name: "the-log-school-house",
        book: "tests/fixtures/books/heldout/the-log-school-house.txt",
        gold: "tests/fixtures/gold/heldout/the-log-school-house.json",
    },
    Case {
        name: "tom-sawyer",
        book: "tests/fixtures/books/heldout/tom-sawyer.txt",
        gold: "tests/fixtures/gold/heldout/tom-sawyer.json",
    },
    Case {
        name: "alice",
        book: "tests/fixtures/books/heldout/alice.txt",
        gold: "tests/fixtures/gold/heldout/alice.json",
    },
    Case {
        name: "katrine",
        book: "tests/fixtures/books/heldout/katrine.epub",
        gold: "tests/fixtures/gold/heldout/katrine.json",
    },
    Case {
        name: "treasure-island",
        book: "tests/fixtures/books/heldout/treasure-island.docx",
        gold: "tests/fixtures/gold/heldout/treasure-island.json",
    },
    Case {
        name: "the-adventures-of-sherlock-holmes",
        book: "tests/fixtures/books/heldout/the-adventures-of-sherlock-holmes.epub",
        gold: "tests/fixtures/gold/heldout/the-adventures-of-sherlock-holmes.json",
    },
    Case {
        name: "jane-eyre",
        book: "tests/fixtures/books/heldout/jane-eyre.html",
        gold: "tests/fixtures/gold/heldout/jane-eyre.json",
    },
    Case {
        name: "the-wonderful-wizard-of-oz",
        book: "tests/fixtures/books/heldout/the-wonderful-wizard-of-oz.txt",
        gold: "tests/fixtures/gold/heldout/the-wonderful-wizard-of-oz.json",
    },
    Case {
        name: "little-women",
        book: "tests/fixtures/books/heldout/little-women.azw3",
        gold: "tests/fixtures/gold/heldout/little-women.json",
    },
    Case {
        name: "gullivers-travels",
        book: "tests/fixtures/books/heldout/gullivers-travels.pdf",
        gold: "tests/fixtures/gold/heldout/gullivers-travels.json",
    },
    Case {
        name: "the-picture-of-dorian-gray",
        book: "tests/fixtures/books/heldout/the-picture-of-dorian-gray.mobi",
        gold: "tests/fixtures/gold/heldout/the-picture-of-dorian-gray.json",
    },
    Case {
        name: "dracula",
        book: "tests/fixtures/books/heldout/dracula.md",
        gold: "tests/fixtures/gold/heldout/dracula.json",
    },
    Case {
        name: "frankenstein",
        book: "tests/fixtures/books/heldout/frankenstein.docx",
        gold: "tests/fixtures/gold/heldout/frankenstein.json",
    },
    Case {
        name: "silas-marner",
        book: "tests/fixtures/books/heldout/silas-marner.epub",
        gold: "tests/fixtures/gold/heldout/silas-marner.json",
    },
    Case {
        name: "the-call-of-the-wild",
        book: "tests/fixtures/books/heldout/the-call-of-the-wild.pdf",
        gold: "tests/fixtures/gold/heldout/the-call-of-the-wild.json",
    },
    Case {
        name: "the-secret-garden",
        book: "tests/fixtures/books/heldout/the-secret-garden.html",
        gold: "tests/fixtures/gold/heldout/the-secret-garden.json",
    },
    Case {
        name: "the-vicar-of-wakefield",
        book: "tests/fixtures/books/heldout/the-vicar-of-wakefield.mobi",
        gold: "tests/fixtures/gold/heldout/the-vicar-of-wakefield.json",
    },
    Case {
        name: "cranford",
        book: "tests/fixtures/books/heldout/cranford.azw3",
        gold: "tests/fixtures/gold/heldout/cranford.json",
    },
    Case {
        name: "far-from-the-madding-crowd",
        book: "tests/fixtures/books/heldout/far-from-the-madding-crowd.docx",
        gold: "tests/fixtures/gold/heldout/far-from-the-madding-crowd.json",
    },
];

/// Words that are never an element by themselves.
const NOISE: &[&str] = &[
    "i", "im", "ive", "id", "ill", "hell", "he", "she", "it", "we", "they", "you", "me", "him",
    "her", "us", "them", "my", "your", "his", "its", "our", "their", "the", "a", "an", "but",
    "and", "or", "oh", "ah", "aye", "nay", "alas", "pooh", "well", "yes", "no", "indeed", "pray",
    "perhaps", "why", "what", "how", "when", "where", "there", "here", "now", "then", "dear",
    "good", "sir", "madam", "miss", "mr", "mrs", "lord", "lady", "god", "heaven", "hush", "hallo",
    "hello", "hey", "ha", "oho", "bah", "ugh", "youre", "dont", "cant", "wont", "thats", "lets",
];

/// The figures for one book.
#[derive(Debug, Default)]
pub struct Score {
    pub reported: usize,
    pub real: usize,
    pub gold: usize,
    pub found: usize,
    pub must: usize,
    pub must_found: usize,
    pub duplicates: Vec<String>,
    pub split_kinds: Vec<String>,
    pub noise: Vec<String>,
    pub unmatched: Vec<String>,
    pub missed: Vec<String>,
    /// Cast-list entries the story chapters never name (by name or alias): no reader of this
    /// text could list them, so they are not counted (a list written for the whole novel, a
    /// fixture cut to its first chapters).
    pub absent: Vec<String>,
    pub longest_quote_words: usize,
    pub longest_scene_words: usize,
    /// Scene quotes that are not a slice of their chapter.
    pub invented_scenes: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        self.real as f64 / self.reported.max(1) as f64
    }

    pub fn recall(&self) -> f64 {
        self.found as f64 / self.gold.max(1) as f64
    }

    pub fn must_recall(&self) -> f64 {
        self.must_found as f64 / self.must.max(1) as f64
    }

    /// One line for the test log and the bench.
    pub fn line(&self, name: &str) -> String {
        format!(
            "{name}: {} elements, precision {:.2}, recall {:.2} ({}/{}), must {:.2}, \
             duplicates {}, split kinds {}, noise {}, longest quote {} words, \
             longest scene {} words, listed but not in the story {}",
            self.reported,
            self.precision(),
            self.recall(),
            self.found,
            self.gold,
            self.must_recall(),
            self.duplicates.len(),
            self.split_kinds.len(),
            self.noise.len(),
            self.longest_quote_words,
            self.longest_scene_words,
            self.absent.len(),
        )
    }
}

/// The repository root, for fixture paths.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> imaginize::book::Book {
    match imaginize::book::load(path) {
        Ok(book) => book,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// Pass 2 with the builtin model, three scenes a chapter: the longest quote in words and how
/// many quotes are not verbatim.
pub fn scene_quotes(path: &Path) -> (usize, usize) {
    let book = load(path);
    let mut longest = 0;
    let mut invented = 0;
    for chapter in book.story_chapters() {
        let value = scenes_json(&chapter.text, 3, &[]);
        for scene in value["scenes"].as_array().into_iter().flatten() {
            let quote = scene["quote"].as_str().unwrap_or_default();
            longest = longest.max(quote.split_whitespace().count());
            invented += usize::from(quote.is_empty() || !chapter.text.contains(quote));
        }
    }
    (longest, invented)
}

/// Pass 1 with the builtin model on every story chapter, merged as the pipeline merges it.
pub fn builtin_catalogue(path: &Path) -> Catalogue {
    let book = load(path);
    let chapters: Vec<(ChapterNo, &str)> = book
        .story_chapters()
        .filter_map(|c| Some((c.number?, c.text.as_str())))
        .collect();
    let found: Vec<(ChapterNo, Vec<RawEntity>)> = chapters
        .iter()
        .map(|(no, text)| {
            let parsed = entities_from_value(&entities_json(text)).unwrap_or_default();
            (*no, parsed.entities)
        })
        .collect();
    let texts: BTreeMap<ChapterNo, ChapterText> = chapters
        .iter()
        .map(|(no, text)| (*no, ChapterText::new(text)))
        .collect();
    merge(&book.title, &found, &texts)
}

fn gold_forms(entity: &Value) -> Vec<String> {
    let mut out = vec![normalise(entity["name"].as_str().unwrap_or_default())];
    for a in entity["aliases"].as_array().into_iter().flatten() {
        out.push(normalise(a.as_str().unwrap_or_default()));
    }
    out
}

/// Whether `story` (the story chapters' text) names the gold entity at all.
fn named_in(entity: &Value, story: &str) -> bool {
    std::iter::once(&entity["name"])
        .chain(entity["aliases"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .any(|name| story.contains(name))
}

/// Scores a catalogue against a gold file: `entities` (the cast a reader expects, `must` for the
/// ones no extractor may miss) and `also` (minor but real names a reader accepts). Entities the
/// story text (`story`) never names are left out of recall, and listed as `absent`.
pub fn score(catalogue: &Catalogue, gold: &Value, story: &str) -> Score {
    let (entities, absent): (Vec<Value>, Vec<Value>) = gold["entities"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .partition(|e| named_in(e, story));
    let also: Vec<String> = gold["also"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(normalise)
        .collect();
    let golds: Vec<Vec<String>> = entities.iter().map(gold_forms).collect();
    let mut s = Score {
        reported: catalogue.elements.len(),
        gold: entities.len(),
        absent: absent
            .iter()
            .filter_map(|e| e["name"].as_str().map(str::to_string))
            .collect(),
        ..Score::default()
    };
    let mut hits: Vec<Vec<usize>> = vec![Vec::new(); entities.len()];
    for (i, e) in catalogue.elements.iter().enumerate() {
        let forms: Vec<String> = std::iter::once(&e.name)
            .chain(&e.aliases)
            .map(|n| normalise(n))
            .collect();
        let mut real = false;
        for (g, gf) in golds.iter().enumerate() {
            if forms.iter().any(|f| gf.contains(f)) {
                hits[g].push(i);
                real = true;
            }
        }
        real |= forms.iter().any(|f| also.contains(f));
        s.real += usize::from(real);
        if !real {
            s.unmatched.push(format!("{} ({:?})", e.name, e.kind));
        }
        if NOISE.contains(&normalise(&e.name).as_str()) {
            s.noise.push(e.name.clone());
        }
        for q in &e.quotes {
            s.longest_quote_words = s.longest_quote_words.max(q.text.split_whitespace().count());
        }
    }
    for (g, entity) in entities.iter().enumerate() {
        let name = entity["name"].as_str().unwrap_or_default().to_string();
        let must = entity["must"].as_bool() == Some(true);
        s.must += usize::from(must);
        let list = &hits[g];
        if list.is_empty() {
            s.missed.push(name);
            continue;
        }
        s.found += 1;
        s.must_found += usize::from(must);
        let kinds: Vec<_> = list.iter().map(|&i| catalogue.elements[i].kind).collect();
        if kinds.iter().any(|k| *k != kinds[0]) {
            s.split_kinds.push(name.clone());
        } else if list.len() > 1 {
            s.duplicates.push(name);
        }
    }
    s
}

/// Loads a case's book and gold and scores it.
pub fn score_case(case: &Case) -> (Score, Catalogue) {
    let catalogue = builtin_catalogue(&root().join(case.book));
    let gold_text = std::fs::read_to_string(root().join(case.gold)).unwrap_or_default();
    let gold: Value = serde_json::from_str(&gold_text).unwrap_or_default();
    let story: String = load(&root().join(case.book))
        .story_chapters()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut score = score(&catalogue, &gold, &story);
    (score.longest_scene_words, score.invented_scenes) = scene_quotes(&root().join(case.book));
    (score, catalogue)
}
