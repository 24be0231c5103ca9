//! The page model between layout and drawing: each page is a list of positioned operations in
//! points, origin top left. Layout decides everything here; `render` only replays it, so page
//! counts and positions are testable without writing a PDF.

/// A rectangle in points, origin top left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// One thing to draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// One line of text; `y` is the baseline. `grey` is 0 (black) to 255.
    Text {
        x: f32,
        y: f32,
        size: f32,
        grey: u8,
        text: String,
    },
    /// The picture `image` (an index into the loaded pictures) stretched over `area`.
    Image { image: usize, area: Area },
    /// A translucent white band, under an overlay caption.
    Band { area: Area },
    /// A clickable area that jumps to page `page` (0-based) of the document.
    Link { area: Area, page: usize },
}

/// One page's content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub ops: Vec<Op>,
}

impl Page {
    /// The text of the page, one line per text op.
    #[cfg(test)]
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        lines.join("\n")
    }

    /// How many pictures the page shows.
    #[cfg(test)]
    pub fn images(&self) -> usize {
        self.ops
            .iter()
            .filter(|op| matches!(op, Op::Image { .. }))
            .count()
    }
}

/// The paper and its margins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sheet {
    pub width: f32,
    pub height: f32,
    pub margin: f32,
}

impl Sheet {
    /// The area inside the margins.
    pub fn content(&self) -> Area {
        Area {
            x: self.margin,
            y: self.margin,
            w: self.width - 2.0 * self.margin,
            h: self.height - 2.0 * self.margin,
        }
    }
}

/// Fits a `w`×`h` picture inside `bounds`, keeping its proportions, centred horizontally and
/// at the top.
pub fn fit(w: f32, h: f32, bounds: Area) -> Area {
    let scale = (bounds.w / w.max(1.0)).min(bounds.h / h.max(1.0));
    let (fw, fh) = (w * scale, h * scale);
    Area {
        x: bounds.x + (bounds.w - fw) / 2.0,
        y: bounds.y,
        w: fw,
        h: fh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_proportions_and_centres() {
        let bounds = Area {
            x: 10.0,
            y: 20.0,
            w: 200.0,
            h: 100.0,
        };
        let a = fit(400.0, 400.0, bounds);
        assert_eq!(
            a,
            Area {
                x: 60.0,
                y: 20.0,
                w: 100.0,
                h: 100.0
            }
        );
    }
}
