//! The image prompt for one scene: what to draw, the book's words, the elements present by name
//! with their appearance cards verbatim (from Elements.md; the description when an element has
//! no card) and the book's style guide verbatim. Pure.

use crate::analyze::model::Scene;
use crate::ids::ChapterNo;
use crate::provider::{ElementBrief, ImageRequest, ReferenceImage, SceneSpec};
use std::fmt::Write;

/// Longest quote included in a prompt; image models ignore the rest anyway.
const MAX_QUOTE_CHARS: usize = 600;

/// The shortest element description worth sending: below it an element is left out instead.
const MIN_DESCRIPTION_CHARS: usize = 40;

/// Builds the request for one scene, its prompt at most `max_chars` characters (the image
/// model's limit: a longer prompt is refused).
pub fn scene_request(
    book_title: &str,
    chapter: ChapterNo,
    chapter_title: &str,
    scene: &Scene,
    elements: &[ElementBrief],
    style: Option<&str>,
    max_chars: usize,
) -> ImageRequest {
    let mut head = String::new();
    let _ = writeln!(
        head,
        "An illustration for \"{book_title}\", {chapter_title}, scene {}.",
        scene.scene
    );
    let _ = writeln!(head, "Scene: {}", scene.description.trim());
    if !scene.mood.is_empty() {
        let _ = writeln!(head, "Mood: {}", scene.mood.trim());
    }
    if !scene.lighting.is_empty() {
        let _ = writeln!(head, "Lighting: {}", scene.lighting.trim());
    }
    let mut tail = String::new();
    if let Some(style) = style.filter(|s| !s.trim().is_empty()) {
        let _ = writeln!(tail, "Style: {}", style.trim());
    }
    tail.push_str("No text, captions or lettering in the image.");
    let quote = shorten(&scene.quote, MAX_QUOTE_CHARS);
    ImageRequest {
        prompt: fit(&head, &quote, elements, &tail, max_chars),
        scene: SceneSpec {
            chapter,
            scene: scene.scene,
            quote: scene.quote.clone(),
            description: scene.description.clone(),
            mood: scene.mood.clone(),
            lighting: scene.lighting.clone(),
            elements: elements.to_vec(),
        },
        references: Vec::new(),
    }
}

/// The line naming each reference picture sent with a request, in order ("Image 1 is
/// Elizabeth Bennet."); empty without references. It opens the prompt.
pub fn reference_labels(references: &[ReferenceImage]) -> String {
    if references.is_empty() {
        return String::new();
    }
    let named: Vec<String> = references
        .iter()
        .enumerate()
        .map(|(i, r)| format!("Image {} is {}.", i + 1, r.label))
        .collect();
    format!(
        "Reference pictures (draw these people exactly as they look there): {}\n",
        named.join(" ")
    )
}

/// `request` (made for `max_chars` less the labels' length) with its reference pictures, the
/// labels opening its prompt.
pub fn with_references(mut request: ImageRequest, references: Vec<ReferenceImage>) -> ImageRequest {
    let labels = reference_labels(&references);
    request.prompt = format!("{labels}{}", request.prompt);
    request.references = references;
    request
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

fn quote_line(quote: &str) -> String {
    format!("From the book: \"{quote}\"\n")
}

/// The prompt within `max_chars`. What to draw, the style and the no-text line are kept; the
/// elements' details give way first (each shortened to an even share of the room, then the last
/// ones left out), then the book's words, and only then the scene itself.
fn fit(head: &str, quote: &str, elements: &[ElementBrief], tail: &str, max_chars: usize) -> String {
    let full = format!(
        "{head}{}{}{tail}",
        quote_line(quote),
        elements_block(elements, None)
    );
    if chars(&full) <= max_chars {
        return full;
    }
    let fixed = chars(head) + chars(tail);
    let room = max_chars.saturating_sub(fixed + chars(&quote_line(quote)));
    let block = elements_block(elements, Some(room));
    if !block.is_empty() {
        return format!("{head}{}{block}{tail}", quote_line(quote));
    }
    let quote_room = max_chars.saturating_sub(fixed + chars(&quote_line("")));
    let quote_part = if quote_room >= MIN_DESCRIPTION_CHARS {
        quote_line(&shorten(quote, quote_room))
    } else {
        String::new()
    };
    let head_room = max_chars.saturating_sub(chars(tail) + chars(&quote_part) + 1);
    let head = if chars(head) > head_room {
        format!("{}\n", shorten(head, head_room))
    } else {
        head.to_string()
    };
    let prompt = format!("{head}{quote_part}{tail}");
    if chars(&prompt) <= max_chars {
        prompt
    } else {
        // Only a style longer than the model's limit gets here.
        prompt.chars().take(max_chars).collect()
    }
}

/// "Draw each exactly as described…" and one line per element; with `room`, the block fits in it (each
/// description cut to an even share, elements left out from the end while a share would be
/// under `MIN_DESCRIPTION_CHARS`), or is empty when not even one element fits.
fn elements_block(elements: &[ElementBrief], room: Option<usize>) -> String {
    const HEADER: &str = "Draw each exactly as described here, the same in every picture:\n";
    // The scene names who is in it, then how each looks.
    let header = |kept: &[ElementBrief]| {
        let names: Vec<&str> = kept.iter().map(|e| e.name.as_str()).collect();
        format!("In the scene: {}.\n{HEADER}", names.join(", "))
    };
    let line = |e: &ElementBrief, description: &str| {
        format!("- {} ({:?}): {}\n", e.name, e.kind, description)
    };
    // The card when there is one: the same words in every prompt keep a character's look.
    let details = |e: &ElementBrief| {
        let card = e.appearance.trim();
        if card.is_empty() {
            e.description.trim().to_string()
        } else {
            card.to_string()
        }
    };
    if elements.is_empty() {
        return String::new();
    }
    let Some(room) = room else {
        let lines: String = elements.iter().map(|e| line(e, &details(e))).collect();
        return format!("{}{lines}", header(elements));
    };
    for count in (1..=elements.len()).rev() {
        let kept = &elements[..count];
        let labels: usize = kept.iter().map(|e| chars(&line(e, ""))).sum();
        let Some(share) = room
            .checked_sub(chars(&header(kept)) + labels)
            .map(|left| left / count)
        else {
            continue;
        };
        if share < MIN_DESCRIPTION_CHARS {
            continue;
        }
        let lines: String = kept
            .iter()
            .map(|e| line(e, &shorten(&details(e), share)))
            .collect();
        return format!("{}{lines}", header(kept));
    }
    String::new()
}

/// The text on one line, cut to at most `max` characters (the cut marked with "…").
fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if chars(&flat) <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
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
            user_rejected: false,
        }
    }

    #[test]
    fn includes_scene_quote_elements_and_style() {
        let elements = vec![ElementBrief {
            name: "Elizabeth Bennet".into(),
            kind: ElementKind::Character,
            description: "dark eyes, lively".into(),
            appearance: String::new(),
        }];
        let request = scene_request(
            "Pride and Prejudice",
            ChapterNo(7),
            "Chapter 7",
            &scene(),
            &elements,
            Some("watercolour"),
            4000,
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
    fn the_scene_names_its_characters_and_carries_their_cards_verbatim() {
        let card = |name: &str, appearance: &str| ElementBrief {
            name: name.into(),
            kind: ElementKind::Character,
            description: "a description the card replaces".into(),
            appearance: appearance.into(),
        };
        let elements = vec![
            card(
                "Elizabeth Bennet",
                "apparent age: about twenty; eyes: fine, dark",
            ),
            card(
                "Mr. Darcy",
                "build: tall; clothing: not described in the book",
            ),
        ];
        let request = request_for(&scene(), &elements, Some("art style: etching"), 4000);
        let prompt = &request.prompt;
        assert!(
            prompt.contains("In the scene: Elizabeth Bennet, Mr. Darcy."),
            "{prompt}"
        );
        assert!(
            prompt.contains("apparent age: about twenty; eyes: fine, dark"),
            "{prompt}"
        );
        assert!(prompt.contains("build: tall; clothing: not described in the book"));
        assert!(
            !prompt.contains("a description the card replaces"),
            "{prompt}"
        );
        assert!(prompt.contains("Style: art style: etching"), "{prompt}");
    }

    #[test]
    fn long_quotes_are_shortened() {
        let mut long = scene();
        long.quote = "word ".repeat(400);
        let request = request_for(&long, &[], None, 32_000);
        assert!(request.prompt.len() < 1200);
        assert!(!request.prompt.contains("Style:"));
    }

    /// The request for chapter 1 of book "B", its prompt fitted to `limit`.
    fn request_for(
        scene: &Scene,
        elements: &[ElementBrief],
        style: Option<&str>,
        limit: usize,
    ) -> ImageRequest {
        scene_request(
            "B",
            ChapterNo(1),
            "Chapter 1",
            scene,
            elements,
            style,
            limit,
        )
    }

    fn cast(count: usize, description_words: usize) -> Vec<ElementBrief> {
        (0..count)
            .map(|i| ElementBrief {
                name: format!("Person {i}"),
                kind: ElementKind::Character,
                description: format!("tall{i} ")
                    + &"with a long grey coat ".repeat(description_words),
                appearance: String::new(),
            })
            .collect()
    }

    /// A prompt over the model's limit is refused (for DALL·E 2 at 1,000 characters), and every
    /// scene's would be: the prompt is fitted, the elements' details giving way first.
    #[test]
    fn the_prompt_fits_the_models_limit() {
        let elements = cast(8, 30);
        let full = request_for(&scene(), &elements, Some("ink"), usize::MAX);
        assert!(
            full.prompt.chars().count() > 4000,
            "the test needs a long prompt"
        );
        for limit in [4000, 1000, 400] {
            let fitted = request_for(&scene(), &elements, Some("ink"), limit);
            let prompt = &fitted.prompt;
            assert!(
                prompt.chars().count() <= limit,
                "{limit}: {}",
                prompt.chars().count()
            );
            assert!(prompt.contains("crossing muddy fields"), "{prompt}");
            assert!(prompt.contains("Style: ink"), "{prompt}");
            assert!(prompt.ends_with("No text, captions or lettering in the image."));
            assert!(
                prompt.contains("Person 0 (Character): tall0"),
                "{limit}: {prompt}"
            );
        }
        // The details are shared out evenly while they can be: all eight stay at 4,000.
        let at_4000 = request_for(&scene(), &elements, None, 4000);
        assert!(at_4000.prompt.contains("Person 7"));
        // The scene request keeps everything for the offline renderer.
        assert_eq!(at_4000.scene.elements.len(), 8);
    }

    #[test]
    fn a_prompt_within_the_limit_is_unchanged() {
        let elements = cast(2, 2);
        let a = request_for(&scene(), &elements, Some("ink"), usize::MAX);
        let b = request_for(&scene(), &elements, Some("ink"), 4000);
        assert_eq!(a.prompt, b.prompt);
    }

    #[test]
    fn without_room_for_any_detail_the_quote_then_the_scene_give_way() {
        let mut long = scene();
        long.description = "a very long description of the scene ".repeat(40);
        let request = request_for(&long, &cast(3, 5), Some("ink"), 300);
        let prompt = &request.prompt;
        assert!(prompt.chars().count() <= 300, "{}", prompt.chars().count());
        assert!(
            prompt.contains("Style: ink") && prompt.contains("No text"),
            "{prompt}"
        );
        assert!(!prompt.contains("Person 0"), "{prompt}");
    }

    #[test]
    fn each_reference_picture_is_named_in_the_prompt_in_order() {
        let reference = |label: &str| ReferenceImage {
            label: label.into(),
            bytes: std::sync::Arc::from(&b"\x89PNG"[..]),
            format: crate::provider::ImageFormat::Png,
        };
        let references = vec![reference("Elizabeth Bennet"), reference("Mr. Darcy")];
        let labels = reference_labels(&references);
        let request = request_for(
            &scene(),
            &cast(1, 5),
            Some("ink"),
            4000 - labels.chars().count(),
        );
        let request = with_references(request, references);
        assert!(
            request
                .prompt
                .starts_with("Reference pictures (draw these people exactly as they look there): Image 1 is Elizabeth Bennet. Image 2 is Mr. Darcy.\n"),
            "{}",
            request.prompt
        );
        assert_eq!(request.references.len(), 2);
        assert!(request.prompt.contains("Style: ink"));
        assert_eq!(reference_labels(&[]), "");
    }
}
