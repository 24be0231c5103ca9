//! The shapes a scene is composed of: sky, light, hills, trees, buildings, figures, a creature
//! and an item badge. Each function paints one shape onto the pixmap; placement and randomness
//! come from the caller.

use super::palette::{Light, Palette, Rgb};
use tiny_skia::{
    FillRule, GradientStop, LinearGradient, Paint, Path, PathBuilder, Pixmap, Point,
    RadialGradient, Rect, Shader, SpreadMode, Transform,
};

fn solid(color: Rgb, alpha: f32) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(color.color(alpha));
    paint.anti_alias = true;
    paint
}

fn fill(pixmap: &mut Pixmap, path: Option<Path>, paint: &Paint) {
    if let Some(path) = path {
        pixmap.fill_path(&path, paint, FillRule::Winding, Transform::identity(), None);
    }
}

fn shaded(shader: Option<Shader<'static>>) -> Option<Paint<'static>> {
    Some(Paint {
        shader: shader?,
        anti_alias: true,
        ..Paint::default()
    })
}

/// A vertical gradient over the rectangle.
pub fn gradient_rect(pixmap: &mut Pixmap, rect: Rect, top: Rgb, bottom: Rgb) {
    let shader = LinearGradient::new(
        Point::from_xy(0.0, rect.top()),
        Point::from_xy(0.0, rect.bottom()),
        vec![
            GradientStop::new(0.0, top.color(1.0)),
            GradientStop::new(1.0, bottom.color(1.0)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    );
    if let Some(paint) = shaded(shader) {
        pixmap.fill_rect(rect, &paint, Transform::identity(), None);
    }
}

/// A soft round glow fading to transparent.
pub fn glow(pixmap: &mut Pixmap, x: f32, y: f32, radius: f32, color: Rgb, strength: f32) {
    let shader = RadialGradient::new(
        Point::from_xy(x, y),
        Point::from_xy(x, y),
        radius,
        vec![
            GradientStop::new(0.0, color.color(strength)),
            GradientStop::new(1.0, color.color(0.0)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    );
    if let Some(paint) = shaded(shader) {
        fill(pixmap, PathBuilder::from_circle(x, y, radius), &paint);
    }
}

/// The light source: a sun, a moon with its crescent shadow, a candle flame, or a veiled sun.
pub fn light(pixmap: &mut Pixmap, p: &Palette, x: f32, y: f32, r: f32) {
    match p.light {
        Light::Sun => {
            glow(pixmap, x, y, r * 4.0, p.light_color, 0.55);
            fill(
                pixmap,
                PathBuilder::from_circle(x, y, r),
                &solid(p.light_color, 1.0),
            );
        }
        Light::Moon => {
            glow(pixmap, x, y, r * 3.0, p.light_color, 0.3);
            fill(
                pixmap,
                PathBuilder::from_circle(x, y, r),
                &solid(p.light_color, 1.0),
            );
            let shadow = p.sky_top.mix(p.sky_bottom, 0.2);
            fill(
                pixmap,
                PathBuilder::from_circle(x + r * 0.45, y - r * 0.2, r * 0.85),
                &solid(shadow, 1.0),
            );
        }
        Light::Candle => {
            glow(pixmap, x, y, r * 5.0, p.light_color, 0.6);
            let body = Rect::from_xywh(x - r * 0.25, y + r * 0.3, r * 0.5, r * 1.6);
            if let Some(body) = body {
                pixmap.fill_rect(
                    body,
                    &solid(Rgb(238, 230, 210), 1.0),
                    Transform::identity(),
                    None,
                );
            }
            let mut flame = PathBuilder::new();
            flame.move_to(x, y - r * 0.6);
            flame.quad_to(x + r * 0.35, y, x, y + r * 0.3);
            flame.quad_to(x - r * 0.35, y, x, y - r * 0.6);
            fill(pixmap, flame.finish(), &solid(Rgb(255, 230, 140), 1.0));
        }
        Light::Veiled => glow(pixmap, x, y, r * 3.0, p.light_color, 0.45),
    }
}

/// A rolling hill line across the picture, filled down to `bottom` with a gradient that darkens
/// towards the viewer.
pub fn hills(pixmap: &mut Pixmap, width: f32, bottom: f32, base: f32, bumps: &[f32], color: Rgb) {
    let mut pb = PathBuilder::new();
    pb.move_to(0.0, bottom);
    pb.line_to(0.0, base);
    let step = width / bumps.len().max(1) as f32;
    for (i, bump) in bumps.iter().enumerate() {
        let x0 = i as f32 * step;
        pb.quad_to(x0 + step / 2.0, base - bump, x0 + step, base);
    }
    pb.line_to(width, bottom);
    pb.close();
    let top = base - bumps.iter().copied().fold(0.0, f32::max);
    let shader = LinearGradient::new(
        Point::from_xy(0.0, top),
        Point::from_xy(0.0, bottom),
        vec![
            GradientStop::new(0.0, color.color(1.0)),
            GradientStop::new(1.0, color.mix(Rgb(10, 14, 10), 0.45).color(1.0)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    );
    let paint = shaded(shader).unwrap_or_else(|| solid(color, 1.0));
    fill(pixmap, pb.finish(), &paint);
}

/// A round-crowned tree standing at (x, ground).
pub fn tree(pixmap: &mut Pixmap, x: f32, ground: f32, size: f32, leaves: Rgb) {
    let trunk = Rgb(70, 50, 36).mix(leaves, 0.2);
    if let Some(r) = Rect::from_xywh(
        x - size * 0.08,
        ground - size * 0.6,
        size * 0.16,
        size * 0.6,
    ) {
        pixmap.fill_rect(r, &solid(trunk, 1.0), Transform::identity(), None);
    }
    for (dx, dy, rr) in [(0.0, -0.85, 0.42), (-0.25, -0.7, 0.3), (0.25, -0.7, 0.3)] {
        fill(
            pixmap,
            PathBuilder::from_circle(x + dx * size, ground + dy * size, rr * size),
            &solid(leaves, 1.0),
        );
    }
}

/// A house or hall: walls, a pitched roof, lit windows and a door.
pub fn building(pixmap: &mut Pixmap, x: f32, ground: f32, w: f32, h: f32, p: &Palette) {
    let wall = Rgb(200, 186, 160).mix(p.ground_near, 0.35);
    if let Some(r) = Rect::from_xywh(x, ground - h, w, h) {
        pixmap.fill_rect(r, &solid(wall, 1.0), Transform::identity(), None);
    }
    let mut roof = PathBuilder::new();
    roof.move_to(x - w * 0.06, ground - h);
    roof.line_to(x + w / 2.0, ground - h - h * 0.45);
    roof.line_to(x + w * 1.06, ground - h);
    roof.close();
    fill(
        pixmap,
        roof.finish(),
        &solid(p.accent.mix(Rgb(40, 30, 30), 0.4), 1.0),
    );
    let window = Rgb(60, 70, 90).mix(Rgb(255, 214, 120), p.glow);
    let cols = 3;
    let pane = w / (cols as f32 * 2.0 + 1.0);
    for row in 0..2 {
        for col in 0..cols {
            let wx = x + pane * (1.0 + col as f32 * 2.0);
            let wy = ground - h + h * (0.15 + row as f32 * 0.38);
            if let Some(r) = Rect::from_xywh(wx, wy, pane, h * 0.22) {
                pixmap.fill_rect(r, &solid(window, 1.0), Transform::identity(), None);
            }
        }
    }
    if let Some(r) = Rect::from_xywh(x + w / 2.0 - pane / 2.0, ground - h * 0.3, pane, h * 0.3) {
        pixmap.fill_rect(r, &solid(Rgb(70, 44, 30), 1.0), Transform::identity(), None);
    }
}

/// A standing person: head, shoulders and a long coat or gown in `clothes`.
pub fn figure(pixmap: &mut Pixmap, x: f32, ground: f32, h: f32, look: &super::look::Look) {
    let (clothes, skin) = (look.clothes, look.skin);
    let mut body = PathBuilder::new();
    body.move_to(x - h * 0.08, ground - h * 0.78);
    body.line_to(x + h * 0.08, ground - h * 0.78);
    body.line_to(x + h * 0.17, ground);
    body.line_to(x - h * 0.17, ground);
    body.close();
    fill(pixmap, body.finish(), &solid(clothes, 1.0));
    // Hair behind and above the face.
    fill(
        pixmap,
        PathBuilder::from_circle(x, ground - h * 0.9, h * 0.11),
        &solid(look.hair, 1.0),
    );
    fill(
        pixmap,
        PathBuilder::from_circle(x, ground - h * 0.86, h * 0.085),
        &solid(skin, 1.0),
    );
}

/// A four-legged animal in silhouette, facing right.
pub fn creature(pixmap: &mut Pixmap, x: f32, ground: f32, size: f32, color: Rgb) {
    let paint = solid(color, 1.0);
    if let Some(r) = Rect::from_xywh(x - size * 0.5, ground - size * 0.75, size, size * 0.35) {
        fill(pixmap, PathBuilder::from_oval(r), &paint);
    }
    for dx in [-0.4, -0.25, 0.25, 0.4] {
        if let Some(r) = Rect::from_xywh(
            x + dx * size - size * 0.04,
            ground - size * 0.5,
            size * 0.08,
            size * 0.5,
        ) {
            pixmap.fill_rect(r, &paint, Transform::identity(), None);
        }
    }
    let mut neck = PathBuilder::new();
    neck.move_to(x + size * 0.35, ground - size * 0.7);
    neck.line_to(x + size * 0.6, ground - size * 0.98);
    neck.line_to(x + size * 0.74, ground - size * 0.9);
    neck.line_to(x + size * 0.5, ground - size * 0.55);
    neck.close();
    fill(pixmap, neck.finish(), &paint);
    let head = Rect::from_xywh(
        x + size * 0.58,
        ground - size * 1.08,
        size * 0.3,
        size * 0.14,
    );
    if let Some(head) = head {
        fill(pixmap, PathBuilder::from_oval(head), &paint);
    }
}

/// A round badge with a simple object in it (a sealed letter-like card), for items.
pub fn item_badge(pixmap: &mut Pixmap, x: f32, y: f32, r: f32, p: &Palette) {
    fill(
        pixmap,
        PathBuilder::from_circle(x, y, r),
        &solid(Rgb(245, 238, 220), 0.9),
    );
    if let Some(card) = Rect::from_xywh(x - r * 0.55, y - r * 0.35, r * 1.1, r * 0.7) {
        pixmap.fill_rect(card, &solid(p.accent, 1.0), Transform::identity(), None);
    }
    let mut flap = PathBuilder::new();
    flap.move_to(x - r * 0.55, y - r * 0.35);
    flap.line_to(x, y + r * 0.05);
    flap.line_to(x + r * 0.55, y - r * 0.35);
    flap.close();
    fill(
        pixmap,
        flap.finish(),
        &solid(p.accent.mix(Rgb(255, 255, 255), 0.4), 1.0),
    );
}
