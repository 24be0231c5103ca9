//! What the PDF looks like: layout, caption style, page size, front matter and font. Plain data
//! chosen by the caller (the command line maps its flags onto it); no I/O here.

use std::path::PathBuf;

/// How the pages are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The chapter text, with each image after the paragraph it illustrates.
    #[default]
    Book,
    /// A picture book: only the scenes, `cols` × `rows` per page, in reading order.
    Grid { cols: u8, rows: u8 },
}

impl Layout {
    /// Grids wider than tall read as strips, so they are printed on landscape pages.
    pub fn landscape(self) -> bool {
        matches!(self, Layout::Grid { cols, rows } if cols > rows)
    }
}

/// Where a scene's quote goes relative to its picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptionStyle {
    /// Under the picture, in small grey type.
    #[default]
    Below,
    /// On a translucent white band across the bottom of the picture.
    Overlay,
    /// No caption: pictures only.
    None,
}

/// The paper, in portrait; landscape layouts swap the sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSize {
    #[default]
    A4,
    A5,
    Letter,
    Legal,
}

impl PageSize {
    /// Width and height in PDF points (1/72 inch), portrait.
    pub fn points(self) -> (f32, f32) {
        const MM: f32 = 72.0 / 25.4;
        match self {
            PageSize::A4 => (210.0 * MM, 297.0 * MM),
            PageSize::A5 => (148.0 * MM, 210.0 * MM),
            PageSize::Letter => (612.0, 792.0),
            PageSize::Legal => (612.0, 1008.0),
        }
    }
}

/// Everything `compile --pdf` can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfOptions {
    pub layout: Layout,
    pub caption: CaptionStyle,
    pub page_size: PageSize,
    /// A contents page listing the chapters with their page numbers.
    pub toc: bool,
    /// A cast page: each element's name, kind, description and portrait when one exists.
    pub cast: bool,
    /// A TrueType/OpenType font to use instead of the bundled DejaVu Sans.
    pub font: Option<PathBuf>,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions {
            layout: Layout::default(),
            caption: CaptionStyle::default(),
            page_size: PageSize::default(),
            toc: true,
            cast: true,
            font: None,
        }
    }
}
