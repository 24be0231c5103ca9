//! The offline renderer: one procedural picture per scene (sky and ground from lighting and mood,
//! a light source, hills, trees, buildings for places, figures for characters, a creature, an
//! item badge) with a caption band, encoded as PNG. Seeded by a hash of the scene, so the same
//! scene always gives the same bytes. Characters are drawn from their appearance cards
//! (`look`): the same colours and height in their reference portrait and in every scene.

mod caption;
mod look;
mod palette;
mod shapes;

use crate::provider::{ElementKind, SceneSpec};
use palette::{Light, Rgb};
use tiny_skia::{Pixmap, Rect};

/// Largest side we draw; bigger requests are capped, not refused.
pub const MAX_SIDE: u32 = 2048;
/// Smallest side that still leaves room for the caption.
pub const MIN_SIDE: u32 = 64;
const DEFAULT_SIZE: (u32, u32) = (1024, 1024);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error(
        "image size `{size}` is not WIDTHxHEIGHT; set `imageSize` to something like `1024x1024`"
    )]
    BadSize { size: String },
    #[error("cannot allocate a {width}x{height} picture; ask for a smaller `imageSize`")]
    Canvas { width: u32, height: u32 },
    #[error(
        "the embedded caption font `assets/fonts/DejaVuSans.ttf` does not parse; this is a bug, please report it"
    )]
    Font,
    #[error("png encoding failed: {message}; this is a bug, please report it")]
    Encode { message: String },
}

/// "1024x1024" → (1024, 1024); empty or "auto" gives the default; sides are capped at
/// [`MAX_SIDE`] and raised to [`MIN_SIDE`].
pub fn parse_size(size: &str) -> Result<(u32, u32), RenderError> {
    let size = size.trim();
    if size.is_empty() || size.eq_ignore_ascii_case("auto") {
        return Ok(DEFAULT_SIZE);
    }
    let bad = || RenderError::BadSize {
        size: size.to_string(),
    };
    let (w, h) = size.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    Ok((w.clamp(MIN_SIDE, MAX_SIDE), h.clamp(MIN_SIDE, MAX_SIDE)))
}

/// A small deterministic generator (SplitMix64); the picture must not change with a crate's
/// random-number algorithm.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        let unit = (self.next() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * unit
    }
}

/// FNV-1a over the scene's facts.
fn seed(scene: &SceneSpec) -> u64 {
    format!("{scene:?}")
        .bytes()
        .fold(0xCBF2_9CE4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
        })
}

/// Draws the request's picture: a reference portrait for the cast's requests (chapter 0, scene
/// 0: `illustrate::portraits::CAST_CHAPTER`), else the scene. PNG bytes.
pub fn render(scene: &SceneSpec, width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    if scene.chapter.0 == 0 && scene.scene.0 == 0 {
        render_portrait(scene, width, height)
    } else {
        render_scene(scene, width, height)
    }
}

/// A reference portrait: the element alone, standing large on a plain light ground, its name
/// in the caption band.
pub fn render_portrait(scene: &SceneSpec, width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let mut pixmap = Pixmap::new(width, height).ok_or(RenderError::Canvas { width, height })?;
    let (w, h) = (width as f32, height as f32);
    if let Some(back) = Rect::from_xywh(0.0, 0.0, w, h) {
        shapes::gradient_rect(&mut pixmap, back, Rgb(238, 233, 222), Rgb(205, 198, 184));
    }
    let floor = h * 0.8;
    let name = scene.elements.first().map_or("", |e| e.name.as_str());
    match scene.elements.first() {
        Some(e) if e.kind == ElementKind::Creature => {
            shapes::creature(&mut pixmap, w * 0.45, floor, h * 0.45, Rgb(110, 80, 50));
        }
        Some(person) => {
            let look = look::look(person);
            shapes::figure(&mut pixmap, w * 0.5, floor, h * 0.6 * look.height, &look);
        }
        None => {}
    }
    caption::caption(&mut pixmap, name, &scene.description)?;
    pixmap.encode_png().map_err(|e| RenderError::Encode {
        message: e.to_string(),
    })
}

/// Draws the scene and returns PNG bytes.
pub fn render_scene(scene: &SceneSpec, width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let mut pixmap = Pixmap::new(width, height).ok_or(RenderError::Canvas { width, height })?;
    let mut rng = Rng(seed(scene));
    let p = palette::palette(&scene.mood, &scene.lighting);
    let (w, h) = (width as f32, height as f32);
    let horizon = h * rng.range(0.5, 0.6);
    if let Some(sky) = Rect::from_xywh(0.0, 0.0, w, horizon + 2.0) {
        shapes::gradient_rect(&mut pixmap, sky, p.sky_top, p.sky_bottom);
    }
    if p.light == Light::Moon {
        for _ in 0..60 {
            let (x, y) = (rng.range(0.0, w), rng.range(0.0, horizon * 0.8));
            shapes::glow(&mut pixmap, x, y, w * 0.004 + 1.0, Rgb(255, 255, 240), 0.9);
        }
    }
    let light_at = (w * rng.range(0.15, 0.85), horizon * rng.range(0.2, 0.5));
    shapes::light(&mut pixmap, &p, light_at.0, light_at.1, w * 0.05);
    let far: Vec<f32> = (0..4).map(|_| rng.range(h * 0.03, h * 0.12)).collect();
    shapes::hills(&mut pixmap, w, h, horizon, &far, p.ground_far);
    let by_kind = |kind: ElementKind| scene.elements.iter().filter(move |e| e.kind == kind);
    // Trees first, so the buildings of named places stand in front of them.
    let leaves = p.ground_near.mix(Rgb(20, 60, 30), 0.35);
    for _ in 0..rng.range(3.0, 8.0) as usize {
        let x = rng.range(0.0, w);
        shapes::tree(
            &mut pixmap,
            x,
            horizon + h * rng.range(0.02, 0.08),
            h * rng.range(0.08, 0.16),
            leaves,
        );
    }
    let places: Vec<_> = by_kind(ElementKind::Place).take(3).collect();
    for (i, _) in places.iter().enumerate() {
        let bw = w * rng.range(0.16, 0.24);
        let x = w * (0.08 + 0.3 * i as f32) + rng.range(0.0, w * 0.06);
        shapes::building(&mut pixmap, x, horizon + h * 0.04, bw, bw * 0.6, &p);
    }
    let near: Vec<f32> = (0..3).map(|_| rng.range(h * 0.01, h * 0.05)).collect();
    let ground = horizon + h * 0.12;
    shapes::hills(&mut pixmap, w, h, ground, &near, p.ground_near);
    let floor = h * 0.8;
    let cast: Vec<_> = by_kind(ElementKind::Character).take(5).collect();
    let slots = cast.len().max(1) as f32 + 1.0;
    for (i, person) in cast.iter().enumerate() {
        let x = w * (i as f32 + 1.0) / slots + rng.range(-w * 0.03, w * 0.03);
        // The card's look, never the scene's palette: the same person in every picture.
        let look = look::look(person);
        shapes::figure(&mut pixmap, x, floor, h * 0.29 * look.height, &look);
    }
    if by_kind(ElementKind::Creature).next().is_some() {
        let x = if cast.is_empty() { w * 0.5 } else { w * 0.82 };
        shapes::creature(
            &mut pixmap,
            x,
            floor,
            h * 0.16,
            p.figure.mix(Rgb(110, 80, 50), 0.5),
        );
    }
    for (i, _) in by_kind(ElementKind::Item).take(3).enumerate() {
        shapes::item_badge(
            &mut pixmap,
            w * (0.08 + 0.1 * i as f32),
            h * 0.08,
            w * 0.04,
            &p,
        );
    }
    let heading = format!("Chapter {} · Scene {}", scene.chapter, scene.scene);
    caption::caption(&mut pixmap, &heading, &scene.quote)?;
    pixmap.encode_png().map_err(|e| RenderError::Encode {
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
