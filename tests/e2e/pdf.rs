//! `--pdf` through the real binary (issue 19): on the main command after a builtin run and with
//! `imaginize compile`, page counts per layout, every picture once, the quotes as text, and
//! bad flag values refused with exit 2.

use crate::harness::small_book;
use crate::support::{Run, sample_book_run};
use imaginize::analyze::model::ChapterScenes;
use std::path::Path;
use std::process::Command;

fn compile(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_imaginize"))
        .current_dir(dir)
        .arg("compile")
        .args(args)
        .output()
        .expect("compile runs")
}

/// The scenes recorded in an output folder, in reading order.
fn scenes(out: &Path) -> Vec<ChapterScenes> {
    let mut files: Vec<_> = std::fs::read_dir(out.join("chapters"))
        .expect("chapters/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let read = |f: &Path| serde_json::from_slice(&std::fs::read(f).expect("read")).expect("json");
    files.iter().map(|f| read(f)).collect()
}

/// Pages and picture XObjects (soft masks not counted) of a PDF.
fn pages_and_pictures(pdf: &Path) -> (usize, usize) {
    let doc = lopdf::Document::load(pdf).expect("lopdf reads the PDF");
    let masks: Vec<_> = doc
        .objects
        .values()
        .filter_map(|o| {
            o.as_stream()
                .ok()?
                .dict
                .get(b"SMask")
                .ok()?
                .as_reference()
                .ok()
        })
        .collect();
    let pictures = doc
        .objects
        .iter()
        .filter(|(id, _)| !masks.contains(id))
        .filter_map(|(_, o)| o.as_stream().ok())
        .filter(|s| s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(b"Image"))
        .count();
    (doc.get_pages().len(), pictures)
}

/// `pdftotext` output with whitespace collapsed; `None` (with a notice) when poppler is not
/// installed, which fails on CI.
fn pdf_text(pdf: &Path) -> Option<String> {
    let Ok(out) = Command::new("pdftotext").arg(pdf).arg("-").output() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "pdftotext is required on CI"
        );
        println!(
            "NOTICE: pdftotext absent; skipping the text check (apt-get install -y poppler-utils)"
        );
        return None;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn pdf_on_the_main_command_then_grid_layouts_with_compile() {
    let run = Run::new()
        .file(".imaginize.config", "imageSize: 256x256\n")
        .file("book.txt", small_book(3))
        .args(["--file", "book.txt", "--provider", "builtin", "--quiet"])
        .args(["--pdf", "--layout", "2x2", "--caption-style", "overlay"])
        .run()
        .code(0)
        .no_panic();
    let out = run.dir.join("imaginize_book");
    let n: usize = scenes(&out).iter().map(|c| c.scenes.len()).sum();
    assert!(n >= 3, "{n} scenes");
    let pdf = out.join("book-illustrated.pdf");
    let (pages, pictures) = pages_and_pictures(&pdf);
    // The scenes, and the cast's reference portraits on its pages.
    assert_eq!(pictures, n + portraits(&out));
    // Title, contents, at least one cast page, then the pictures four to a page.
    assert!(pages >= 3 + n.div_ceil(4), "{pages} pages for {n} scenes");

    let bare = compile(
        &run.dir,
        &[
            "--file",
            "book.txt",
            "--pdf",
            "--layout",
            "1x1",
            "--no-toc",
            "--no-cast",
        ],
    );
    assert!(
        bare.status.success(),
        "{}",
        String::from_utf8_lossy(&bare.stderr)
    );
    assert_eq!(pages_and_pictures(&pdf), (1 + n, n));
    if let Some(text) = pdf_text(&pdf) {
        for scene in scenes(&out).iter().flat_map(|c| &c.scenes) {
            assert!(
                text.contains(&flat(&scene.quote)),
                "{} not in the PDF",
                scene.quote
            );
        }
    }
}

#[test]
fn the_sample_book_in_the_book_layout_has_every_picture_once() {
    let (book, run) = sample_book_run();
    let started = std::time::Instant::now();
    let done = compile(
        &run.dir,
        &["--file", book.to_str().expect("utf-8"), "--pdf", "--quiet"],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let out = run.dir.join("imaginize_pride_and_prejudice");
    let pdf = out.join("pride-and-prejudice-illustrated.pdf");
    println!(
        "compile --pdf: {:.1} s, {} bytes",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&pdf).map(|m| m.len()).unwrap_or(0)
    );
    let chapters = scenes(&out);
    let n: usize = chapters.iter().map(|c| c.scenes.len()).sum();
    let (pages, pictures) = pages_and_pictures(&pdf);
    assert_eq!(pictures, n + portraits(&out));
    assert!(portraits(&out) > 0, "the sample run draws the cast sheet");
    assert!(pages > 200, "the whole text: {pages} pages");
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("It is a truth universally acknowledged"));
        for scene in chapters.iter().flat_map(|c| &c.scenes) {
            // Long captions are cut with an ellipsis and a picture may split a quote that spans
            // paragraphs; its first words are in the text and the caption.
            let words: Vec<&str> = scene.quote.split_whitespace().take(4).collect();
            let opening = words.join(" ");
            assert!(
                text.matches(&opening).count() >= 2,
                "text and caption: {opening}"
            );
        }
    }
}

#[test]
fn bad_pdf_flag_values_are_usage_errors() {
    for args in [
        vec!["compile", "--file", "b.txt", "--pdf", "--layout", "3x3"],
        vec![
            "compile",
            "--file",
            "b.txt",
            "--pdf",
            "--caption-style",
            "sideways",
        ],
        vec!["compile", "--file", "b.txt", "--pdf", "--page-size", "b7"],
        vec!["--file", "b.txt", "--pdf", "--layout", "3x3"],
    ] {
        let bad = args[args.len() - 1];
        Run::new()
            .args(&args)
            .run()
            .code(2)
            .no_panic()
            .stderr_contains(&format!("invalid value '{bad}'"));
    }
}

#[test]
fn a_missing_font_file_is_a_usage_error_naming_it() {
    let run = Run::new()
        .file(".imaginize.config", "imageSize: 256x256\n")
        .file("book.txt", small_book(1))
        .args(["--file", "book.txt", "--provider", "builtin", "--quiet"])
        .run()
        .code(0);
    let done = compile(
        &run.dir,
        &["--file", "book.txt", "--pdf", "--font", "nope.ttf"],
    );
    assert_eq!(done.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        stderr.contains("nope.ttf") && stderr.contains("--font"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The cast's reference portraits drawn (`images/cast/*.png`), which the PDF shows with the cast.
fn portraits(out: &std::path::Path) -> usize {
    std::fs::read_dir(out.join("images/cast")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
            .count()
    })
}
