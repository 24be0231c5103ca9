//! The one font of the PDF: krilla embeds (and subsets) it, ab_glyph measures it so the layout
//! can break lines before anything is drawn.

use crate::compile::Error;
use ab_glyph::{Font as _, FontArc};
use std::path::{Path, PathBuf};

static BUNDLED: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The embedded font and its metrics.
#[derive(Clone)]
pub struct Fonts {
    pub pdf: krilla::text::Font,
    metrics: FontArc,
}

impl Fonts {
    /// The font at `path`, or the bundled DejaVu Sans.
    pub fn load(path: Option<&Path>) -> Result<Fonts, Error> {
        match path {
            None => Fonts::from_bytes(BUNDLED.to_vec(), Path::new("assets/fonts/DejaVuSans.ttf")),
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| Error::Font {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
                Fonts::from_bytes(bytes, path)
            }
        }
    }

    fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Fonts, Error> {
        let bad = |reason: &str| Error::Font {
            path: PathBuf::from(path),
            reason: reason.to_owned(),
        };
        let metrics = FontArc::try_from_vec(bytes.clone())
            .map_err(|_| bad("not a TrueType/OpenType font"))?;
        let pdf = krilla::text::Font::new(bytes.into(), 0)
            .ok_or_else(|| bad("the PDF writer cannot read its tables"))?;
        Ok(Fonts { pdf, metrics })
    }

    /// Width of `text` set at `size` points. Kerning is ignored, so lines are at most a hair
    /// narrower than measured, never wider.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let upem = self.metrics.units_per_em().unwrap_or(1000.0);
        let units: f32 = text
            .chars()
            .map(|c| self.metrics.h_advance_unscaled(self.metrics.glyph_id(c)))
            .sum();
        units / upem * size
    }

    /// `text` with every character the font cannot draw replaced by `?`: PDF/A forbids the
    /// empty `.notdef` box, and a visible `?` tells the reader something was there. Soft
    /// hyphens go: lines never break inside words, so they would only show as stray dashes.
    pub fn drawable(&self, text: &str) -> String {
        text.chars()
            .filter(|&c| c != '\u{AD}')
            .map(|c| {
                if c.is_control() {
                    ' '
                } else if self.metrics.glyph_id(c).0 == 0 {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_and_replaces_what_it_cannot_draw() -> Result<(), Error> {
        let fonts = Fonts::load(None)?;
        let w = fonts.width("Elizabeth", 10.0);
        assert!(w > 30.0 && w < 60.0, "{w}");
        assert!((fonts.width("ab", 20.0) - 2.0 * fonts.width("ab", 10.0)).abs() < 0.01);
        assert_eq!(fonts.drawable("é\u{E000}\tx"), "é? x");
        assert_eq!(fonts.drawable("fare\u{AD}well"), "farewell");
        Ok(())
    }

    #[test]
    fn a_file_that_is_no_font_is_a_clear_error() {
        let err = Fonts::from_bytes(b"not a font".to_vec(), Path::new("x.ttf"));
        assert!(matches!(err, Err(Error::Font { .. })));
    }
}
