//! Running text down the pages: lines, paragraphs and figures go below each other and a new
//! page starts when the next one does not fit. Used by the book layout, the contents and the
//! cast.

use super::caption::Caption;
use super::font::Fonts;
use super::page::{Area, Op, Page, Sheet, fit};
use super::wrap::wrap;

/// How a run of text is set.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub size: f32,
    pub grey: u8,
    /// Space before the first line, in points.
    pub before: f32,
    /// Left indent, in points.
    pub indent: f32,
}

impl Style {
    pub const BODY: Style = Style {
        size: 11.0,
        grey: 0,
        before: 5.0,
        indent: 0.0,
    };
    pub const HEADING: Style = Style {
        size: 20.0,
        grey: 0,
        before: 0.0,
        indent: 0.0,
    };

    fn leading(&self) -> f32 {
        self.size * 1.35
    }
}

/// Pages being filled from the top.
pub struct Flow<'a> {
    fonts: &'a Fonts,
    sheet: Sheet,
    pages: Vec<Page>,
    /// Top of the next free line on the last page.
    y: f32,
}

impl<'a> Flow<'a> {
    pub fn new(fonts: &'a Fonts, sheet: Sheet) -> Self {
        Flow {
            fonts,
            sheet,
            pages: Vec::new(),
            y: 0.0,
        }
    }

    pub fn into_pages(self) -> Vec<Page> {
        self.pages
    }

    /// Index of the page the next line goes on (a new one when none is open yet).
    pub fn page_index(&mut self) -> usize {
        if self.pages.is_empty() {
            self.new_page();
        }
        self.pages.len() - 1
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = self.sheet.content().y;
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn room(&mut self, height: f32) {
        let bottom = self.sheet.content().y + self.sheet.content().h;
        let fresh = self.pages.last().is_some_and(|p| p.ops.is_empty());
        if self.pages.is_empty() || (self.y + height > bottom && !fresh) {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.new_page();
        }
        if let Some(page) = self.pages.last_mut() {
            page.ops.push(op);
        }
    }

    /// Sets `text` as a wrapped paragraph; its lines may run on to the next page.
    pub fn paragraph(&mut self, text: &str, style: Style) {
        let width = self.sheet.content().w - style.indent;
        let text = self.fonts.drawable(text);
        let lines = wrap(&text, width, |s| self.fonts.width(s, style.size));
        for (i, line) in lines.into_iter().enumerate() {
            let before = if i == 0 { style.before } else { 0.0 };
            self.room(before + style.leading());
            if !self.pages.last().is_some_and(|p| p.ops.is_empty()) {
                self.y += before;
            }
            self.push(Op::Text {
                x: self.sheet.content().x + style.indent,
                y: self.y + style.size,
                size: style.size,
                grey: style.grey,
                text: line,
            });
            self.y += style.leading();
        }
    }

    /// One line with `right` set flush right on the same baseline, the whole line a link to
    /// page `link` (a contents entry).
    pub fn entry(&mut self, left: &str, right: &str, style: Style, link: usize) {
        let area = self.sheet.content();
        let right_w = self.fonts.width(right, style.size);
        let room_left = area.w - style.indent - right_w - style.size;
        let left = self.fonts.drawable(left);
        let left = wrap(&left, room_left, |s| self.fonts.width(s, style.size))
            .into_iter()
            .next()
            .unwrap_or_default();
        self.room(style.before + style.leading());
        self.y += style.before;
        let y = self.y + style.size;
        self.push(text_op(area.x + style.indent, y, style, left));
        self.push(text_op(
            area.x + area.w - right_w,
            y,
            style,
            right.to_owned(),
        ));
        let line = Area {
            x: area.x,
            y: self.y,
            w: area.w,
            h: style.leading(),
        };
        self.push(Op::Link {
            area: line,
            page: link,
        });
        self.y += style.leading();
    }

    /// A picture as wide as the text (and at most `max_h` tall), its caption under or over
    /// it; moves to a new page when it does not fit in what is left of this one.
    pub fn figure(&mut self, image: usize, size: (f32, f32), max_h: f32, caption: &Caption) {
        let area = self.sheet.content();
        let below = caption.height_below(self.fonts, area.w);
        let gap = 8.0;
        let slot = Area {
            x: area.x,
            y: 0.0,
            w: area.w,
            h: (max_h - below).max(area.h / 4.0),
        };
        let picture_h = fit(size.0, size.1, slot).h;
        self.room(gap + picture_h + below + gap);
        self.y += gap;
        let picture = fit(size.0, size.1, Area { y: self.y, ..slot });
        self.push(Op::Image {
            image,
            area: picture,
        });
        for op in caption.ops(self.fonts, picture, area.x, area.w) {
            self.push(op);
        }
        self.y += picture.h + below + gap;
    }

    /// A picture `width` points wide at the left margin with `texts` set beside it, kept
    /// together on one page; what follows starts below whichever ends lower.
    pub fn beside(&mut self, image: usize, size: (f32, f32), width: f32, texts: &[(&str, Style)]) {
        let area = self.sheet.content();
        let indent = width + 12.0;
        let picture_h = width * size.1 / size.0.max(1.0);
        let text_h: f32 = texts
            .iter()
            .map(|(text, style)| {
                let lines = wrap(&self.fonts.drawable(text), area.w - indent, |s| {
                    self.fonts.width(s, style.size)
                });
                style.before + lines.len() as f32 * style.leading()
            })
            .sum();
        self.room(picture_h.max(text_h));
        let top = self.y;
        let picture = Area {
            x: area.x,
            y: top,
            w: width,
            h: picture_h,
        };
        self.push(Op::Image {
            image,
            area: picture,
        });
        for (i, (text, style)) in texts.iter().enumerate() {
            // The picture's top edge lines up with the first line, not with the space before it.
            let before = if i == 0 { 0.0 } else { style.before };
            self.paragraph(
                text,
                Style {
                    indent,
                    before,
                    ..*style
                },
            );
        }
        self.y = self.y.max(top + picture_h);
    }

    /// Moves down `points` (a gap between sections), unless at the top of a page.
    pub fn skip(&mut self, points: f32) {
        if !self.pages.last().is_some_and(|p| p.ops.is_empty()) {
            self.y += points;
        }
    }
}

fn text_op(x: f32, y: f32, style: Style, text: String) -> Op {
    Op::Text {
        x,
        y,
        size: style.size,
        grey: style.grey,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::pdf::options::CaptionStyle;

    const SHEET: Sheet = Sheet {
        width: 300.0,
        height: 400.0,
        margin: 30.0,
    };

    #[test]
    fn text_runs_on_to_new_pages_and_stays_inside_the_margins() -> Result<(), crate::compile::Error>
    {
        let fonts = Fonts::load(None)?;
        let mut flow = Flow::new(&fonts, SHEET);
        for _ in 0..40 {
            flow.paragraph(
                "It is a truth universally acknowledged, that a single man.",
                Style::BODY,
            );
        }
        let pages = flow.into_pages();
        assert!(pages.len() > 2, "{}", pages.len());
        for op in pages.iter().flat_map(|p| &p.ops) {
            let Op::Text {
                y, x, text, size, ..
            } = op
            else {
                continue;
            };
            assert!(*y <= 370.0 && *x >= 30.0, "{op:?}");
            assert!(x + fonts.width(text, *size) <= 270.5, "{op:?}");
        }
        Ok(())
    }

    #[test]
    fn text_beside_a_picture_is_indented_and_what_follows_clears_the_picture()
    -> Result<(), crate::compile::Error> {
        let fonts = Fonts::load(None)?;
        let mut flow = Flow::new(&fonts, SHEET);
        flow.beside(0, (100.0, 100.0), 80.0, &[("Mara", Style::BODY)]);
        flow.paragraph("After.", Style::BODY);
        let ops = &flow.into_pages()[0].ops;
        let Op::Image { area, .. } = ops[0] else {
            panic!("{ops:?}");
        };
        assert!(matches!(ops[1], Op::Text { x, .. } if x >= area.x + area.w));
        let Op::Text { y, x, .. } = ops[2] else {
            panic!("{ops:?}");
        };
        assert!(y > area.y + area.h && x == SHEET.margin, "{ops:?}");
        Ok(())
    }

    #[test]
    fn a_figure_that_does_not_fit_starts_the_next_page() -> Result<(), crate::compile::Error> {
        let fonts = Fonts::load(None)?;
        let mut flow = Flow::new(&fonts, SHEET);
        let caption = Caption {
            text: "A quote.",
            style: CaptionStyle::Below,
            size: 9.0,
            max_lines: 3,
        };
        flow.figure(0, (100.0, 100.0), 220.0, &caption);
        flow.figure(1, (100.0, 100.0), 220.0, &caption);
        let pages = flow.into_pages();
        assert_eq!(pages.iter().map(Page::images).collect::<Vec<_>>(), [1, 1]);
        assert!(pages[1].text().contains("A quote."));
        Ok(())
    }
}
