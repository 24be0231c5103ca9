//! The grid layouts: a picture book of the scenes alone, `cols` × `rows` cells per page filled
//! in reading order across chapters. The first scene of a chapter carries the chapter's title
//! above its picture.

use super::caption::Caption;
use super::font::Fonts;
use super::options::CaptionStyle;
use super::page::{Area, Op, Page, Sheet, fit};
use super::{Figure, Mark};

/// Space between cells, in points.
const GUTTER: f32 = 12.0;

/// The picture pages and the page where each chapter's first scene is.
pub fn lay_out(
    fonts: &Fonts,
    sheet: Sheet,
    (cols, rows): (u8, u8),
    figures: &[Figure],
    style: CaptionStyle,
) -> (Vec<Page>, Vec<Mark>) {
    let per_page = usize::from(cols.max(1)) * usize::from(rows.max(1));
    let mut pages = Vec::new();
    let mut marks: Vec<Mark> = Vec::new();
    for (i, figure) in figures.iter().enumerate() {
        if i % per_page == 0 {
            pages.push(Page::default());
        }
        let first = i == 0 || figures[i - 1].chapter != figure.chapter;
        if first {
            marks.push(Mark {
                title: figure.chapter_title.clone(),
                page: pages.len() - 1,
            });
        }
        let cell = cell(sheet, cols, rows, i % per_page);
        let label = first.then_some(figure.chapter_title.as_str());
        if let Some(page) = pages.last_mut() {
            page.ops.extend(cell_ops(fonts, cell, figure, label, style));
        }
    }
    (pages, marks)
}

/// The area of cell `index` (row by row) on a page.
fn cell(sheet: Sheet, cols: u8, rows: u8, index: usize) -> Area {
    let area = sheet.content();
    let (cols_f, rows_f) = (f32::from(cols.max(1)), f32::from(rows.max(1)));
    let w = (area.w - GUTTER * (cols_f - 1.0)) / cols_f;
    let h = (area.h - GUTTER * (rows_f - 1.0)) / rows_f;
    let (col, row) = (
        index % usize::from(cols.max(1)),
        index / usize::from(cols.max(1)),
    );
    Area {
        x: area.x + col as f32 * (w + GUTTER),
        y: area.y + row as f32 * (h + GUTTER),
        w,
        h,
    }
}

/// The chapter label (when given), the picture and its caption, inside `cell`.
fn cell_ops(
    fonts: &Fonts,
    cell: Area,
    figure: &Figure,
    label: Option<&str>,
    style: CaptionStyle,
) -> Vec<Op> {
    // Type scales with the cell so a 6×2 strip stays readable and a 1×1 page is not shouty.
    let size = (cell.w / 28.0).clamp(6.5, 11.0);
    let label_h = size * 1.6;
    let caption = Caption {
        text: &figure.quote,
        style,
        size,
        max_lines: ((cell.h * 0.3) / (size * 1.3)).floor().max(2.0) as usize,
    };
    let below = caption.height_below(fonts, cell.w);
    let slot = Area {
        y: cell.y + label_h,
        h: cell.h - label_h - below,
        ..cell
    };
    let picture = fit(figure.size.0, figure.size.1, slot);
    let mut ops = Vec::new();
    if let Some(title) = label {
        let text = super::wrap::wrap(&fonts.drawable(title), cell.w, |s| fonts.width(s, size))
            .into_iter()
            .next()
            .unwrap_or_default();
        ops.push(Op::Text {
            x: cell.x,
            y: cell.y + size,
            size,
            grey: 0,
            text,
        });
    }
    ops.push(Op::Image {
        image: figure.image,
        area: picture,
    });
    ops.extend(caption.ops(fonts, picture, cell.x, cell.w));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(chapters: &[u32]) -> Vec<Figure> {
        chapters
            .iter()
            .enumerate()
            .map(|(i, &chapter)| Figure {
                image: i,
                size: (256.0, 256.0),
                chapter,
                chapter_title: format!("Chapter {chapter}"),
                quote: format!("Quote {i}."),
            })
            .collect()
    }

    const A4: Sheet = Sheet {
        width: 595.0,
        height: 842.0,
        margin: 40.0,
    };

    #[test]
    fn fills_cells_in_order_and_marks_where_chapters_start() -> Result<(), crate::compile::Error> {
        let fonts = Fonts::load(None)?;
        let figs = figures(&[1, 1, 1, 2, 2, 3, 3]);
        let (pages, marks) = lay_out(&fonts, A4, (2, 2), &figs, CaptionStyle::Below);
        assert_eq!(pages.iter().map(Page::images).collect::<Vec<_>>(), [4, 3]);
        let starts: Vec<(String, usize)> = marks.into_iter().map(|m| (m.title, m.page)).collect();
        assert_eq!(
            starts,
            [
                ("Chapter 1".into(), 0),
                ("Chapter 2".into(), 0),
                ("Chapter 3".into(), 1)
            ]
        );
        assert!(pages[1].text().contains("Quote 6."));
        Ok(())
    }

    #[test]
    fn cells_do_not_overlap_and_stay_on_the_page() {
        for (cols, rows) in [(1, 1), (2, 2), (4, 1), (6, 2)] {
            let cells: Vec<Area> = (0..usize::from(cols * rows))
                .map(|i| cell(A4, cols, rows, i))
                .collect();
            for (i, a) in cells.iter().enumerate() {
                assert!(
                    a.x >= 40.0 && a.x + a.w <= 555.01 && a.y + a.h <= 802.01,
                    "{a:?}"
                );
                for b in &cells[i + 1..] {
                    let apart = a.x + a.w <= b.x
                        || b.x + b.w <= a.x
                        || a.y + a.h <= b.y
                        || b.y + b.h <= a.y;
                    assert!(apart, "{a:?} {b:?}");
                }
            }
        }
    }
}
