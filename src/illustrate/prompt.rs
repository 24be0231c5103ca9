//! The image prompt for one scene: what to draw, the book's words, the details of the elements
//! present (from Elements.md) and the style block from config. Pure.

use crate::analyze::model::Scene;
use crate::ids::ChapterNo;
use crate::provider::{ElementBrief, ImageRequest, SceneSpec};
use std::fmt::Write;

/// Longest quote included in a prompt; image models ignore the rest anyway.
const MAX_QUOTE_CHARS: usize = 600;

/// Builds the request for one scene.
pub fn scene_request(
    book_title: &str,
    chapter: ChapterNo,
    chapter_title: &str,
    scene: &Scene,
    elements: &[ElementBrief],
    style: Option<&str>,
) -> ImageRequest {
    let mut prompt = String::new();
    let _ = writeln!(
        prompt,
        "An illustration for \"{book_title}\", {chapter_title}, scene {}.",
        scene.scene
    );
    let _ = writeln!(prompt, "Scene: {}", scene.description.trim());
    if !scene.mood.is_empty() {
        let _ = writeln!(prompt, "Mood: {}", scene.mood.trim());
    }
    if !scene.lighting.is_empty() {
        let _ = writeln!(prompt, "Lighting: {}", scene.lighting.trim());
    }
    let _ = writeln!(prompt, "From the book: \"{}\"", shorten(&scene.quote));
    if !elements.is_empty() {
        let _ = writeln!(prompt, "Keep these consistent with the rest of the book:");
        for element in elements {
            let _ = writeln!(
                prompt,
                "- {} ({:?}): {}",
                element.name,
                element.kind,
                element.description.trim()
            );
        }
    }
    if let Some(style) = style.filter(|s| !s.trim().is_empty()) {
        let _ = writeln!(prompt, "Style: {}", style.trim());
    }
    prompt.push_str("No text, captions or lettering in the image.");
    ImageRequest {
        prompt,
        scene: SceneSpec {
            chapter,
            scene: scene.scene,
            quote: scene.quote.clone(),
            description: scene.description.clone(),
            mood: scene.mood.clone(),
            lighting: scene.lighting.clone(),
            elements: elements.to_vec(),
        },
    }
}

fn shorten(quote: &str) -> String {
    let flat = quote.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_QUOTE_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(MAX_QUOTE_CHARS).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SceneNo;
    use crate::provider::ElementKind;

    fn scene() -> Scene {
        Scene {
            scene: SceneNo(2),
            quote: "Elizabeth walked   on through the wet fields.".into(),
            description: "A young woman crossing muddy fields".into(),
            mood: "determined".into(),
            lighting: "grey morning".into(),
            elements: vec!["Elizabeth Bennet".into()],
            image: None,
            rejected: None,
        }
    }

    #[test]
    fn includes_scene_quote_elements_and_style() {
        let elements = vec![ElementBrief {
            name: "Elizabeth Bennet".into(),
            kind: ElementKind::Character,
            description: "dark eyes, lively".into(),
        }];
        let request = scene_request(
            "Pride and Prejudice",
            ChapterNo(7),
            "Chapter 7",
            &scene(),
            &elements,
            Some("watercolour"),
        );
        let prompt = &request.prompt;
        assert!(prompt.contains("crossing muddy fields"));
        assert!(prompt.contains("Elizabeth walked on through the wet fields."));
        assert!(prompt.contains("dark eyes, lively"));
        assert!(prompt.contains("Style: watercolour"));
        assert_eq!(request.scene.chapter, ChapterNo(7));
        assert_eq!(request.scene.scene, SceneNo(2));
    }

    #[test]
    fn long_quotes_are_shortened() {
        let mut long = scene();
        long.quote = "word ".repeat(400);
        let request = scene_request("B", ChapterNo(1), "Chapter 1", &long, &[], None);
        assert!(request.prompt.len() < 1200);
        assert!(!request.prompt.contains("Style:"));
    }
}
