//! A scene's quote set with its picture, in one of the caption styles. Shared by the book and
//! grid layouts so a caption looks the same wherever the picture lands.

use super::font::Fonts;
use super::options::CaptionStyle;
use super::page::{Area, Op};
use super::wrap::wrap;

/// Grey of caption text set on paper (the overlay band's text is black for contrast).
const GREY: u8 = 70;
/// Inner padding of the overlay band, in points.
const PAD: f32 = 4.0;

/// A quote to set under or over a picture.
pub struct Caption<'a> {
    pub text: &'a str,
    pub style: CaptionStyle,
    pub size: f32,
    /// Longer quotes are cut with an ellipsis, so a caption never pushes its picture off the
    /// page.
    pub max_lines: usize,
}

impl Caption<'_> {
    pub fn leading(&self) -> f32 {
        self.size * 1.3
    }

    /// The lines of the caption when set `width` points wide.
    pub fn lines(&self, fonts: &Fonts, width: f32) -> Vec<String> {
        if self.style == CaptionStyle::None {
            return Vec::new();
        }
        let text = fonts.drawable(self.text);
        let mut lines = wrap(&text, width, |s| fonts.width(s, self.size));
        if lines.len() > self.max_lines {
            lines.truncate(self.max_lines.max(1));
            if let Some(last) = lines.last_mut() {
                *last = ellipsize(fonts, last, width, self.size);
            }
        }
        lines
    }

    /// The height the caption takes under a picture in a slot `width` wide.
    pub fn height_below(&self, fonts: &Fonts, width: f32) -> f32 {
        match self.style {
            CaptionStyle::Below => {
                let n = self.lines(fonts, width).len() as f32;
                if n > 0.0 {
                    PAD + n * self.leading()
                } else {
                    0.0
                }
            }
            CaptionStyle::Overlay | CaptionStyle::None => 0.0,
        }
    }

    /// What to draw for the caption of `picture`, placed in a slot `width` wide at `x`.
    pub fn ops(&self, fonts: &Fonts, picture: Area, x: f32, width: f32) -> Vec<Op> {
        match self.style {
            CaptionStyle::None => Vec::new(),
            CaptionStyle::Below => {
                let top = picture.y + picture.h + PAD;
                self.text_ops(self.lines(fonts, width), x, top, GREY)
            }
            CaptionStyle::Overlay => self.overlay(fonts, picture),
        }
    }

    fn overlay(&self, fonts: &Fonts, picture: Area) -> Vec<Op> {
        // The band covers at most half the picture.
        let fit = ((picture.h / 2.0 - 2.0 * PAD) / self.leading())
            .floor()
            .max(1.0) as usize;
        let fitted = Caption {
            max_lines: self.max_lines.min(fit),
            ..*self
        };
        let lines = fitted.lines(fonts, picture.w - 2.0 * PAD);
        if lines.is_empty() {
            return Vec::new();
        }
        let h = lines.len() as f32 * self.leading() + 2.0 * PAD;
        let band = Area {
            x: picture.x,
            y: picture.y + picture.h - h,
            w: picture.w,
            h,
        };
        let mut ops = vec![Op::Band { area: band }];
        ops.extend(self.text_ops(lines, band.x + PAD, band.y + PAD, 0));
        ops
    }

    fn text_ops(&self, lines: Vec<String>, x: f32, top: f32, grey: u8) -> Vec<Op> {
        lines
            .into_iter()
            .enumerate()
            .map(|(i, text)| Op::Text {
                x,
                y: top + i as f32 * self.leading() + self.size,
                size: self.size,
                grey,
                text,
            })
            .collect()
    }
}

/// `line` shortened until it fits `width` with a trailing ellipsis.
fn ellipsize(fonts: &Fonts, line: &str, width: f32, size: f32) -> String {
    let mut kept: String = line.to_owned();
    loop {
        let candidate = format!("{kept}…");
        if kept.is_empty() || fonts.width(&candidate, size) <= width {
            return candidate;
        }
        kept.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption(style: CaptionStyle, max_lines: usize) -> Caption<'static> {
        Caption {
            text: "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
            style,
            size: 10.0,
            max_lines,
        }
    }

    #[test]
    fn below_sits_under_the_picture_and_is_cut_to_its_lines() -> Result<(), crate::compile::Error> {
        let fonts = Fonts::load(None)?;
        let pic = Area {
            x: 0.0,
            y: 0.0,
            w: 100.0,
            h: 80.0,
        };
        let c = caption(CaptionStyle::Below, 2);
        let lines = c.lines(&fonts, 100.0);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        let ops = c.ops(&fonts, pic, 0.0, 100.0);
        assert!(
            ops.iter()
                .all(|op| matches!(op, Op::Text { y, .. } if *y > 80.0))
        );
        assert!(c.height_below(&fonts, 100.0) > 2.0 * c.leading());
        Ok(())
    }

    #[test]
    fn overlay_puts_a_band_inside_the_picture_and_none_draws_nothing()
    -> Result<(), crate::compile::Error> {
        let fonts = Fonts::load(None)?;
        let pic = Area {
            x: 0.0,
            y: 0.0,
            w: 300.0,
            h: 200.0,
        };
        let ops = caption(CaptionStyle::Overlay, 9).ops(&fonts, pic, 0.0, 300.0);
        assert!(matches!(ops[0], Op::Band { area } if area.y > 100.0 && area.y + area.h <= 200.0));
        assert_eq!(
            caption(CaptionStyle::Overlay, 9).height_below(&fonts, 300.0),
            0.0
        );
        assert!(
            caption(CaptionStyle::None, 9)
                .ops(&fonts, pic, 0.0, 300.0)
                .is_empty()
        );
        Ok(())
    }
}
