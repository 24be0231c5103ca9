//! Renderer tests: size, determinism, variety and that a picture is not one flat colour.

use super::*;
use crate::ids::{ChapterNo, SceneNo};
use crate::provider::ElementBrief;

fn brief(name: &str, kind: ElementKind) -> ElementBrief {
    ElementBrief {
        name: name.to_string(),
        kind,
        description: String::new(),
        appearance: String::new(),
    }
}

fn scene(n: u32, mood: &str, lighting: &str) -> SceneSpec {
    SceneSpec {
        chapter: ChapterNo(3),
        scene: SceneNo(n),
        quote: "Elizabeth walked across the fields to Netherfield, with weary ankles and dirty stockings.".to_string(),
        description: "Elizabeth at Netherfield".to_string(),
        mood: mood.to_string(),
        lighting: lighting.to_string(),
        elements: vec![
            brief("Elizabeth Bennet", ElementKind::Character),
            brief("Mr. Darcy", ElementKind::Character),
            brief("Netherfield", ElementKind::Place),
            brief("horse", ElementKind::Creature),
            brief("letter", ElementKind::Item),
        ],
    }
}

fn decode(bytes: &[u8]) -> Pixmap {
    Pixmap::decode_png(bytes).unwrap_or_else(|e| panic!("not a PNG: {e}"))
}

#[test]
fn png_has_the_asked_size() -> Result<(), RenderError> {
    let bytes = render_scene(&scene(1, "joyful", "clear daylight"), 320, 200)?;
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let pixmap = decode(&bytes);
    assert_eq!((pixmap.width(), pixmap.height()), (320, 200));
    Ok(())
}

#[test]
fn same_scene_same_bytes() -> Result<(), RenderError> {
    let s = scene(1, "romantic", "golden evening light");
    assert_eq!(render_scene(&s, 256, 256)?, render_scene(&s, 256, 256)?);
    Ok(())
}

#[test]
fn different_scenes_different_pictures() -> Result<(), RenderError> {
    let a = render_scene(&scene(1, "joyful", "clear daylight"), 256, 256)?;
    let b = render_scene(&scene(2, "joyful", "clear daylight"), 256, 256)?;
    let c = render_scene(&scene(1, "tense", "moonlit night"), 256, 256)?;
    assert_ne!(a, b);
    assert_ne!(a, c);
    Ok(())
}

#[test]
fn picture_is_not_one_flat_colour() -> Result<(), RenderError> {
    for lighting in [
        "clear daylight",
        "moonlit night",
        "warm candlelight",
        "overcast grey light",
    ] {
        let pixmap = decode(&render_scene(&scene(1, "calm", lighting), 256, 256)?);
        let lum: Vec<f64> = pixmap
            .pixels()
            .iter()
            .map(|p| {
                0.3 * f64::from(p.red()) + 0.59 * f64::from(p.green()) + 0.11 * f64::from(p.blue())
            })
            .collect();
        let mean = lum.iter().sum::<f64>() / lum.len() as f64;
        let variance = lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / lum.len() as f64;
        assert!(variance > 200.0, "{lighting}: variance {variance}");
        let mut colours: Vec<u32> = pixmap
            .pixels()
            .iter()
            .map(|p| {
                (u32::from(p.red()) >> 4) << 8
                    | (u32::from(p.green()) >> 4) << 4
                    | u32::from(p.blue()) >> 4
            })
            .collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            colours.len() > 20,
            "{lighting}: only {} colours",
            colours.len()
        );
    }
    Ok(())
}

#[test]
fn sizes_parse_default_and_cap() {
    assert_eq!(parse_size("1024x768"), Ok((1024, 768)));
    assert_eq!(parse_size(""), Ok((1024, 1024)));
    assert_eq!(parse_size("4096x4096"), Ok((MAX_SIDE, MAX_SIDE)));
    assert!(matches!(
        parse_size("big"),
        Err(RenderError::BadSize { .. })
    ));
}

/// Pixels of exactly `colour`.
fn count(pixmap: &Pixmap, colour: Rgb) -> usize {
    pixmap
        .pixels()
        .iter()
        .filter(|p| {
            (p.red(), p.green(), p.blue(), p.alpha()) == (colour.0, colour.1, colour.2, 255)
        })
        .count()
}

fn carded(name: &str, card: &str) -> ElementBrief {
    ElementBrief {
        appearance: card.to_string(),
        ..brief(name, ElementKind::Character)
    }
}

/// Issue 16 part 5: one look per character. Elizabeth's card says green; her portrait and three
/// scenes of different moods and light all show exactly that green, which a scene without her
/// does not.
#[test]
fn a_characters_clothing_is_the_same_in_its_portrait_and_every_scene() -> Result<(), RenderError> {
    let elizabeth = carded(
        "Elizabeth Bennet",
        "apparent age: about 20; build: slight; hair: dark brown; skin: fair; clothing: a green walking dress",
    );
    let darcy = carded(
        "Mr. Darcy",
        "build: tall; hair: black; clothing: a blue coat",
    );
    let green = look::look(&elizabeth).clothes;
    assert_eq!(green, Rgb(40, 120, 60));
    let portrait = SceneSpec {
        chapter: ChapterNo(0),
        scene: SceneNo(0),
        quote: String::new(),
        description: "Reference portrait of Elizabeth Bennet".into(),
        mood: String::new(),
        lighting: String::new(),
        elements: vec![elizabeth.clone()],
    };
    let shown = decode(&render(&portrait, 256, 256)?);
    assert!(
        count(&shown, green) > 500,
        "portrait: {}",
        count(&shown, green)
    );
    for (n, mood, lighting) in [
        (1, "joyful", "clear daylight"),
        (2, "tense", "moonlit night"),
        (3, "melancholy", "warm candlelight"),
    ] {
        let mut s = scene(n, mood, lighting);
        s.elements = vec![elizabeth.clone(), darcy.clone()];
        let pixmap = decode(&render(&s, 256, 256)?);
        assert!(
            count(&pixmap, green) > 100,
            "scene {n}: {}",
            count(&pixmap, green)
        );
    }
    let mut without = scene(4, "joyful", "clear daylight");
    without.elements = vec![darcy];
    let pixmap = decode(&render(&without, 256, 256)?);
    assert!(
        count(&pixmap, green) < 20,
        "without her: {}",
        count(&pixmap, green)
    );
    Ok(())
}
