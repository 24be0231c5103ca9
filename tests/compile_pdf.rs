//! `imaginize compile --pdf` from a hand-made output folder: every picture exactly once, page
//! counts per layout, selectable quotes, portraits on the cast page, and the file checked by
//! qpdf and rendered by poppler when they are installed (required when `CI=true`).

use imaginize::analyze::model::{Catalogue, ChapterScenes, Element, Scene};
use imaginize::book::{Book, Chapter, Format};
use imaginize::compile::pdf::{CaptionStyle, Layout, PdfOptions};
use imaginize::compile::{CompileReport, Error, Formats, compile};
use imaginize::ids::{ChapterKey, ChapterNo, SceneNo};
use imaginize::provider::ElementKind;
use lopdf::{Document, Object};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Quotes of the scenes, by chapter; each chapter's text holds them as paragraphs.
const SCENES: [(u32, &[&str]); 3] = [
    (
        1,
        &["The lamp swung over the quay.", "Gulls rose from the nets."],
    ),
    (
        2,
        &[
            "Snow covered the \u{201C}old\u{201D} mill.",
            "A fox crossed the ice.",
        ],
    ),
    (3, &["The ship sailed at dawn."]),
];

fn png(seed: u8) -> Vec<u8> {
    let mut pixmap = tiny_skia::Pixmap::new(40, 30).expect("non-zero size");
    pixmap.fill(tiny_skia::Color::from_rgba8(seed, 90, 200 - seed, 255));
    pixmap.encode_png().expect("encode png")
}

fn book() -> Book {
    let chapters = SCENES
        .iter()
        .map(|(n, quotes)| {
            let text = format!("Chapter {n} begins.\n\n{}\n\nIt ends.", quotes.join("\n\n"));
            Chapter {
                number: Some(ChapterNo(*n)),
                key: ChapterKey(format!("ch{n}")),
                title: format!("Part {n}"),
                word_count: text.split_whitespace().count(),
                text,
                is_story: true,
            }
        })
        .collect();
    Book {
        title: "Harbour Tales".to_owned(),
        author: Some("A. Tester".to_owned()),
        language: Some("en".to_owned()),
        format: Format::Text,
        chapters,
        warnings: Vec::new(),
    }
}

/// Writes chapters/*.json, the images, elements.json and (when asked) a portrait.
fn output_folder(dir: &Path, portrait: bool) {
    std::fs::create_dir_all(dir.join("chapters")).expect("mkdir");
    std::fs::create_dir_all(dir.join("images/cast")).expect("mkdir");
    let mut seed = 0;
    for (n, quotes) in SCENES {
        let scenes = quotes.iter().enumerate().map(|(i, quote)| {
            seed += 40;
            let image = format!("images/chapter_{n}_scene_{}.png", i + 1);
            std::fs::write(dir.join(&image), png(seed)).expect("write image");
            Scene {
                scene: SceneNo(i as u32 + 1),
                quote: (*quote).to_owned(),
                description: "A picture.".to_owned(),
                mood: String::new(),
                lighting: String::new(),
                elements: Vec::new(),
                image: Some(image),
                rejected: None,
                user_rejected: false,
            }
        });
        let chapter = ChapterScenes {
            chapter: ChapterNo(n),
            key: ChapterKey(format!("ch{n}")),
            title: format!("Part {n}"),
            scenes: scenes.collect(),
        };
        let json = serde_json::to_string(&chapter).expect("json");
        std::fs::write(dir.join(format!("chapters/{n:03}.json")), json).expect("write");
    }
    let catalogue = Catalogue {
        partial_from: Vec::new(),
        title: "Harbour Tales".to_owned(),
        elements: vec![Element {
            name: "Captain Mara".to_owned(),
            kind: ElementKind::Character,
            aliases: Vec::new(),
            description: "Keeps the harbour light and the log.".to_owned(),
            quotes: Vec::new(),
            first_chapter: ChapterNo(1),
            chapters: vec![ChapterNo(1)],
            appearance: String::new(),
            details: Vec::new(),
        }],
    };
    let json = serde_json::to_string(&catalogue).expect("json");
    std::fs::write(dir.join("elements.json"), json).expect("write");
    if portrait {
        // Named as a slug with underscores: matched by slug all the same.
        std::fs::write(dir.join("images/cast/Captain_Mara.png"), png(7)).expect("write");
    }
}

fn scene_count() -> usize {
    SCENES.iter().map(|(_, q)| q.len()).sum()
}

/// Compiles only the PDF with `options` and returns its path and the report.
fn build(
    options: PdfOptions,
    portrait: bool,
) -> Result<(tempfile::TempDir, PathBuf, CompileReport), Error> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    output_folder(&out, portrait);
    let formats = Formats {
        pdf: Some(options),
        ..Formats::default()
    };
    let report = compile(&out, &book(), &tmp.path().join("harbour.txt"), formats)?;
    Ok((tmp, out.join("harbour-illustrated.pdf"), report))
}

/// Image XObjects that are pictures (an alpha channel's soft mask is an image too, not one
/// more picture).
fn pictures(doc: &Document) -> usize {
    let masks: BTreeSet<_> = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter_map(|s| s.dict.get(b"SMask").ok()?.as_reference().ok())
        .collect();
    doc.objects
        .iter()
        .filter(|(id, _)| !masks.contains(id))
        .filter_map(|(_, o)| o.as_stream().ok())
        .filter(|s| {
            s.dict
                .get(b"Subtype")
                .is_ok_and(|t| matches!(t, Object::Name(n) if n == b"Image"))
        })
        .count()
}

fn pages(path: &Path) -> (Document, usize) {
    let doc = Document::load(path).expect("lopdf reads the PDF");
    let n = doc.get_pages().len();
    (doc, n)
}

/// Whether `tool` can be run; when it cannot, a notice locally and a failure on CI.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").output().is_ok();
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "`{tool}` is required on CI (apt-get install -y poppler-utils qpdf)"
        );
        println!(
            "NOTICE: `{tool}` absent; skipping its check (apt-get install -y poppler-utils qpdf)"
        );
    }
    found
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn book_layout_has_every_picture_once_and_selectable_quotes() -> Result<(), Error> {
    let (_tmp, pdf, report) = build(PdfOptions::default(), false)?;
    assert_eq!(
        (report.images, report.unplaced, report.undecodable),
        (5, 0, 0)
    );
    let (doc, _) = pages(&pdf);
    assert_eq!(pictures(&doc), scene_count());
    if have("qpdf") {
        let check = Command::new("qpdf")
            .arg("--check")
            .arg(&pdf)
            .output()
            .expect("qpdf runs");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    if have("pdftotext") {
        let text = pdftotext(&pdf);
        for (_, quotes) in SCENES {
            for quote in quotes {
                // Once in the chapter text and once in the caption.
                assert!(text.matches(quote).count() >= 2, "{quote} in {text}");
            }
        }
        assert!(text.contains("Contents") && text.contains("Keeps the harbour light"));
    }
    Ok(())
}

#[test]
fn grid_page_counts_follow_the_layout() -> Result<(), Error> {
    let n = scene_count();
    for (cols, rows) in [(1u8, 1u8), (2, 2), (4, 1), (6, 2)] {
        let per_page = usize::from(cols) * usize::from(rows);
        let bare = PdfOptions {
            layout: Layout::Grid { cols, rows },
            toc: false,
            cast: false,
            ..PdfOptions::default()
        };
        let (_tmp, pdf, _) = build(bare.clone(), false)?;
        let (doc, count) = pages(&pdf);
        // The title page, then the pictures.
        assert_eq!(count, 1 + n.div_ceil(per_page), "{cols}x{rows}");
        assert_eq!(pictures(&doc), n);
        let full = PdfOptions {
            toc: true,
            cast: true,
            ..bare
        };
        let (_tmp, pdf, _) = build(full, false)?;
        // One contents page and one cast page more.
        assert_eq!(pages(&pdf).1, 3 + n.div_ceil(per_page), "{cols}x{rows}");
    }
    Ok(())
}

#[test]
fn wide_grids_are_landscape_and_captions_can_be_turned_off() -> Result<(), Error> {
    let options = PdfOptions {
        layout: Layout::Grid { cols: 4, rows: 1 },
        caption: CaptionStyle::None,
        ..PdfOptions::default()
    };
    let (_tmp, pdf, _) = build(options, false)?;
    let (doc, _) = pages(&pdf);
    let first = doc.get_pages().values().next().copied().expect("a page");
    let media = doc
        .get_dictionary(first)
        .and_then(|d| d.get(b"MediaBox"))
        .and_then(Object::as_array)
        .expect("MediaBox")
        .iter()
        .map(|v| v.as_float().expect("number"))
        .collect::<Vec<_>>();
    assert!(media[2] > media[3], "landscape: {media:?}");
    if have("pdftotext") {
        let text = pdftotext(&pdf);
        assert!(!text.contains("Gulls rose"), "{text}");
        assert!(text.contains("Part 2"), "chapter labels stay: {text}");
    }
    Ok(())
}

#[test]
fn a_portrait_on_the_cast_page_is_one_more_picture() -> Result<(), Error> {
    let (_tmp, pdf, _) = build(PdfOptions::default(), true)?;
    assert_eq!(pictures(&pages(&pdf).0), scene_count() + 1);
    let no_cast = PdfOptions {
        cast: false,
        ..PdfOptions::default()
    };
    let (_tmp, pdf, _) = build(no_cast, true)?;
    assert_eq!(pictures(&pages(&pdf).0), scene_count());
    Ok(())
}

#[test]
fn the_pdf_is_pdf_a_2b_with_the_font_embedded_and_linked_contents() -> Result<(), Error> {
    let (_tmp, pdf, _) = build(PdfOptions::default(), false)?;
    let bytes = std::fs::read(&pdf).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("<pdfaid:part>2</pdfaid:part>"),
        "no PDF/A-2 id"
    );
    assert!(text.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
    let doc = Document::load_mem(&bytes).expect("lopdf");
    let embedded = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .any(|d| {
            d.get(b"FontFile2").is_ok()
                && d.get(b"FontName").is_ok_and(|n| {
                    n.as_name()
                        .is_ok_and(|n| String::from_utf8_lossy(n).contains("DejaVuSans"))
                })
        });
    assert!(embedded, "DejaVu Sans is not embedded");
    let links = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Link"))
        .count();
    assert_eq!(
        links,
        1 + SCENES.len(),
        "a link per contents line: cast and chapters"
    );
    Ok(())
}

#[test]
fn a_page_renders_with_poppler() -> Result<(), Error> {
    if !have("pdftoppm") {
        return Ok(());
    }
    let options = PdfOptions {
        layout: Layout::Grid { cols: 2, rows: 2 },
        ..PdfOptions::default()
    };
    let (tmp, pdf, _) = build(options, false)?;
    let prefix = tmp.path().join("page");
    let run = Command::new("pdftoppm")
        .args(["-png", "-r", "30", "-f", "4", "-l", "4"])
        .arg(&pdf)
        .arg(&prefix)
        .output()
        .expect("pdftoppm runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let png = tmp.path().join("page-4.png");
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1000, "page 4 rendered to {size} bytes");
    Ok(())
}

#[test]
fn a_font_file_that_is_not_a_font_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let font = tmp.path().join("broken.ttf");
    std::fs::write(&font, b"not a font").expect("write");
    let options = PdfOptions {
        font: Some(font),
        ..PdfOptions::default()
    };
    let Err(err) = build(options, false) else {
        panic!("a broken font was accepted");
    };
    assert!(matches!(err, Error::Font { .. }), "{err}");
    assert!(err.to_string().contains("broken.ttf"), "{err}");
}

#[test]
fn a_file_that_is_no_image_is_left_out_and_a_broken_one_is_named() -> Result<(), Error> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    output_folder(&out, false);
    std::fs::write(out.join("images/chapter_1_scene_1.png"), b"not a png").expect("write");
    let only_pdf = || Formats {
        pdf: Some(PdfOptions::default()),
        ..Formats::default()
    };
    let source = tmp.path().join("harbour.txt");
    let report = compile(&out, &book(), &source, only_pdf())?;
    assert_eq!((report.images, report.undecodable), (5, 1));
    let (doc, _) = pages(&out.join("harbour-illustrated.pdf"));
    assert_eq!(pictures(&doc), scene_count() - 1);

    // A PNG cut off in its pixel data passes the header check and fails when encoded: the
    // error names the file to regenerate.
    let whole = png(1);
    let cut = &whole[..whole.len() - 24];
    std::fs::write(out.join("images/chapter_2_scene_2.png"), cut).expect("write");
    let Err(err) = compile(&out, &book(), &source, only_pdf()) else {
        panic!("a cut-off PNG was accepted");
    };
    assert!(matches!(err, Error::Image { .. }), "{err}");
    assert!(err.to_string().contains("chapter_2_scene_2.png"), "{err}");
    Ok(())
}
