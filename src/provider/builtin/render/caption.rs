//! The caption band at the bottom of every picture: "Chapter N · Scene M" and the start of the
//! quote, drawn with ab_glyph from the embedded DejaVu Sans (assets/fonts, Bitstream Vera
//! licence), so captions look the same on every machine.

use super::RenderError;
use super::palette::Rgb;
use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use tiny_skia::{Paint, Pixmap, Rect, Transform};

static FONT_BYTES: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

pub fn font() -> Result<FontRef<'static>, RenderError> {
    FontRef::try_from_slice(FONT_BYTES).map_err(|_| RenderError::Font)
}

/// Width in pixels of `text` at `size`.
fn text_width(font: &FontRef, size: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// The longest prefix of `text` (on a word boundary, with an ellipsis) that fits `max` pixels.
pub fn fit(font: &FontRef, size: f32, text: &str, max: f32) -> String {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text_width(font, size, &text) <= max {
        return text;
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let candidate = if out.is_empty() {
            word.to_string()
        } else {
            format!("{out} {word}")
        };
        if text_width(font, size, &format!("{candidate}…")) > max {
            break;
        }
        out = candidate;
    }
    format!("{out}…")
}

/// Draws `text` with its baseline at (x, y), alpha-blending `color` into the pixmap.
pub fn draw_text(
    pixmap: &mut Pixmap,
    font: &FontRef,
    size: f32,
    x: f32,
    y: f32,
    text: &str,
    color: Rgb,
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let (width, height) = (pixmap.width(), pixmap.height());
    let data = pixmap.data_mut();
    let mut caret = x;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, y));
        caret += scaled.h_advance(id);
        previous = Some(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 || px >= i64::from(width) || py >= i64::from(height) {
                return;
            }
            let at = ((py as usize) * (width as usize) + px as usize) * 4;
            let a = coverage.clamp(0.0, 1.0);
            // The pixmap is premultiplied and opaque here, so source-over is a plain lerp.
            for (k, channel) in [color.0, color.1, color.2, 255].into_iter().enumerate() {
                let old = f32::from(data[at + k]);
                data[at + k] = (old + (f32::from(channel) - old) * a).round() as u8;
            }
        });
    }
}

/// A dark band across the bottom with the heading and the quote's start.
pub fn caption(pixmap: &mut Pixmap, heading: &str, quote: &str) -> Result<(), RenderError> {
    let font = font()?;
    let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
    let band = (h * 0.16).max(24.0);
    let mut paint = Paint::default();
    paint.set_color(Rgb(12, 12, 18).color(0.78));
    if let Some(rect) = Rect::from_xywh(0.0, h - band, w, band) {
        pixmap.fill_rect(rect, &paint, Transform::identity(), None);
    }
    let margin = w * 0.04;
    let big = band * 0.3;
    let small = band * 0.22;
    draw_text(
        pixmap,
        &font,
        big,
        margin,
        h - band + band * 0.4,
        heading,
        Rgb(250, 244, 230),
    );
    let line = fit(
        &font,
        small,
        &format!("“{}", quote.trim()),
        w - 2.0 * margin,
    );
    draw_text(
        pixmap,
        &font,
        small,
        margin,
        h - band + band * 0.78,
        &line,
        Rgb(214, 206, 190),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_cut_on_a_word_with_an_ellipsis() -> Result<(), RenderError> {
        let font = font()?;
        let text = "It is a truth universally acknowledged, that a single man in possession";
        let cut = fit(&font, 20.0, text, 200.0);
        assert!(cut.ends_with('…') && cut.len() < text.len());
        assert!(text.starts_with(cut.trim_end_matches('…')));
        assert_eq!(fit(&font, 20.0, "Short.", 200.0), "Short.");
        Ok(())
    }
}
