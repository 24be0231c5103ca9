//! Builtin provider throughput: pass 1 and pass 2 over all 61 chapters of the bundled Pride and
//! Prejudice, and the time to draw one 1024x1024 scene; then the cast quality on the tuning and
//! held-out books (precision, recall, duplicates, quote lengths). Prints its figures; no harness.

#[path = "../tests/support/cast_score.rs"]
mod cast_score;

use imaginize::ids::{ChapterNo, SceneNo};
use imaginize::provider::builtin::{entities_json, render_scene, scenes_json};
use imaginize::provider::{ElementBrief, ElementKind, SceneSpec};
use std::time::Instant;

const BOOK: &str = include_str!("../tests/fixtures/books/pride-and-prejudice.txt");

fn chapters() -> Vec<&'static str> {
    BOOK.split("\nChapter ").skip(1).collect()
}

fn kind(name: &str) -> ElementKind {
    match name {
        "place" => ElementKind::Place,
        "creature" => ElementKind::Creature,
        "item" => ElementKind::Item,
        _ => ElementKind::Character,
    }
}

fn main() {
    throughput();
    println!("cast quality (tuning books, then held-out books):");
    for case in cast_score::TUNING.iter().chain(cast_score::HELD_OUT) {
        let started = Instant::now();
        let (score, _) = cast_score::score_case(case);
        println!("  {} ({:?})", score.line(case.name), started.elapsed());
    }
}

fn throughput() {
    let chapters = chapters();
    let started = Instant::now();
    let mut briefs: Vec<Vec<ElementBrief>> = Vec::new();
    for text in &chapters {
        let value = entities_json(text);
        let list = value["entities"].as_array().cloned().unwrap_or_default();
        briefs.push(
            list.iter()
                .map(|e| ElementBrief {
                    name: e["name"].as_str().unwrap_or_default().to_string(),
                    kind: kind(e["type"].as_str().unwrap_or_default()),
                    description: String::new(),
                    appearance: String::new(),
                })
                .collect(),
        );
    }
    let pass1 = started.elapsed();
    let started = Instant::now();
    let mut scenes = 0;
    let mut first = None;
    for (text, elements) in chapters.iter().zip(&briefs) {
        let value = scenes_json(text, 3, elements);
        let list = value["scenes"].as_array().cloned().unwrap_or_default();
        scenes += list.len();
        first = first.or_else(|| list.first().cloned());
    }
    let pass2 = started.elapsed();
    println!("chapters: {}", chapters.len());
    println!(
        "pass 1 (entities): {pass1:?} total, {:?} per chapter",
        pass1 / chapters.len() as u32
    );
    println!("pass 2 (scenes, 3 each): {pass2:?} total, {scenes} scenes");
    let first = first.unwrap_or_default();
    let spec = SceneSpec {
        chapter: ChapterNo(1),
        scene: SceneNo(1),
        quote: first["quote"].as_str().unwrap_or_default().to_string(),
        description: String::new(),
        mood: first["mood"].as_str().unwrap_or_default().to_string(),
        lighting: first["lighting"].as_str().unwrap_or_default().to_string(),
        elements: briefs.first().cloned().unwrap_or_default(),
    };
    let runs = 5;
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..runs {
        bytes = render_scene(&spec, 1024, 1024)
            .map(|b| b.len())
            .unwrap_or(0);
    }
    println!(
        "render 1024x1024: {:?} per image, {bytes} bytes",
        started.elapsed() / runs
    );
}
