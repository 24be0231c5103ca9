//! The bundled Pride and Prejudice through the real binary with the builtin provider: the
//! two-pass order, the gold cast in Elements.md, verbatim quotes in Chapters.md, then
//! `imaginize compile --all` read back (issues 5 and 8).

use crate::support::{Run, fixture_book, repo, sample_book_run};
use imaginize::analyze::model::ChapterScenes;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn manifest(out: &Path) -> Value {
    let bytes = std::fs::read(out.join(".imaginize.manifest.json")).expect("manifest");
    serde_json::from_slice(&bytes).expect("manifest parses")
}

fn scenes(out: &Path) -> Vec<ChapterScenes> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("chapters"))
        .expect("chapters/")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).expect("read")).expect("parse"))
        .collect()
}

/// The gold `must` names (with aliases) missing from Elements.md.
fn missing_gold(elements_md: &str) -> Vec<String> {
    let gold: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/gold/pride-and-prejudice.json"))
            .expect("gold"),
    )
    .expect("gold parses");
    let entities = gold["entities"].as_array().expect("entities");
    entities
        .iter()
        .filter(|e| e["must"].as_bool() == Some(true))
        .filter(|e| {
            let aliases = e["aliases"].as_array().into_iter().flatten();
            let mut names = std::iter::once(&e["name"]).chain(aliases);
            !names.any(|n| n.as_str().is_some_and(|n| elements_md.contains(n)))
        })
        .map(|e| e["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn zip_names(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open zip");
    let zip = zip::ZipArchive::new(file).expect("zip");
    zip.file_names().map(str::to_string).collect()
}

fn zip_text(path: &Path, name: &str) -> String {
    let file = std::fs::File::open(path).expect("open zip");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    let mut text = String::new();
    zip.by_name(name)
        .expect("entry")
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

#[test]
fn pride_and_prejudice_with_the_builtin_provider_then_compile() {
    let (book, run) = sample_book_run();
    let out = run.dir.join("imaginize_pride_and_prejudice");
    let m = manifest(&out);
    assert_eq!(m["analyze_complete"], true);
    assert_eq!(m["illustrate_complete"], true);
    assert_eq!(m["chapters"].as_object().map(|c| c.len()), Some(61));

    // Two passes: every pass-1 answer is in before the first chapter's scenes. (Elements.md
    // itself is rewritten as the appearance cards come in, beside pass 2.)
    let elements_written: chrono::DateTime<chrono::Utc> = std::fs::read_dir(out.join("entities"))
        .expect("entities/")
        .flatten()
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .max()
        .expect("pass-1 answers")
        .into();
    let first_analyzed = m["chapters"]
        .as_object()
        .expect("chapters")
        .values()
        .filter_map(|c| c["analyzed_at"].as_str())
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .min()
        .expect("analyzed_at");
    assert!(elements_written <= first_analyzed);

    let elements_md = std::fs::read_to_string(out.join("Elements.md")).expect("Elements.md");
    assert_eq!(missing_gold(&elements_md), Vec::<String>::new());
    // Offline, the style's era and setting come from the book's words, and every character has
    // an appearance card.
    assert!(
        elements_md.contains(
            "**Era and setting:** early 19th century (Regency era); country houses, villages and \
             open land of England\n"
        ),
        "{elements_md}"
    );
    let style: Value =
        serde_json::from_slice(&std::fs::read(out.join("style.json")).expect("style.json"))
            .expect("style.json parses");
    assert_eq!(style["source"], "book");
    let darcy = elements_md
        .split("#### Mr. Darcy\n")
        .nth(1)
        .unwrap_or_default();
    let darcy = darcy.split("---").next().unwrap_or_default();
    assert!(darcy.contains("**Appearance:** apparent age: "), "{darcy}");

    // Every quote is the book's own words.
    let parsed = imaginize::book::load(&book).expect("book");
    let text = flat(
        &parsed
            .story_chapters()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let chapters = scenes(&out);
    let total_scenes: usize = chapters.iter().map(|c| c.scenes.len()).sum();
    assert_eq!(chapters.len(), 61);
    for chapter in &chapters {
        for scene in &chapter.scenes {
            assert!(
                text.contains(&flat(&scene.quote)),
                "not verbatim: {}",
                scene.quote
            );
            assert!(
                scene.image.is_some(),
                "chapter {} scene {}",
                chapter.chapter,
                scene.scene
            );
        }
    }

    // Compile everything and read it back.
    let compile = std::process::Command::new(env!("CARGO_BIN_EXE_imaginize"))
        .current_dir(&run.dir)
        .args([
            "compile",
            "--file",
            book.to_str().expect("utf-8"),
            "--all",
            "--quiet",
        ])
        .output()
        .expect("compile runs");
    assert!(
        compile.status.success(),
        "{}",
        String::from_utf8_lossy(&compile.stderr)
    );
    let epub = out.join("pride-and-prejudice-illustrated.epub");
    let illustrated = imaginize::book::load(&epub).expect("our reader opens the EPUB");
    assert_eq!(illustrated.story_chapters().count(), 61);
    let xhtml_imgs: usize = zip_names(&epub)
        .iter()
        .filter(|n| n.ends_with(".xhtml") || n.ends_with(".html"))
        .map(|n| zip_text(&epub, n).matches("<img").count())
        .sum();
    assert_eq!(xhtml_imgs, total_scenes);
    let cbz = out.join("pride-and-prejudice.cbz");
    let pages: Vec<String> = zip_names(&cbz)
        .into_iter()
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert_eq!(pages.len(), total_scenes);
    let mut sorted = pages.clone();
    sorted.sort();
    assert_eq!(pages, sorted, "CBZ pages in reading order");
    let gallery = std::fs::read_to_string(out.join("gallery/index.html")).expect("gallery");
    assert_eq!(gallery.matches("<figure").count(), total_scenes);
}

#[test]
fn estimate_prints_figures_without_any_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let book = fixture_book("pride-and-prejudice.epub");
    let done = Run::new()
        .args(["--file", book.to_str().expect("utf-8 path"), "--estimate"])
        .args(["--provider", "openai", "--base-url", &base])
        .args([
            "--api-key",
            "sk-estimate-secret-1234",
            "--model",
            "gpt-4o-mini",
        ])
        .args(["--image-model", "gpt-image-1"])
        .run()
        .code(0)
        .no_panic();
    let stdout = done.stdout();
    assert!(stdout.contains("61"), "{stdout}");
    assert!(stdout.contains("appearance cards ("), "{stdout}");
    assert!(stdout.contains("style guide"), "{stdout}");
    assert!(
        stdout.contains('$'),
        "priced with the default table: {stdout}"
    );
    assert!(!stdout.contains("sk-estimate-secret-1234"));
    assert!(
        listener.accept().is_err(),
        "--estimate opened a connection to the provider"
    );
    assert!(!done.dir.join("imaginize_pride_and_prejudice").exists());
}

#[test]
fn a_book_of_front_matter_only_has_nothing_to_do() {
    let text = "Contents\n\nChapter One ........ 1\nChapter Two ........ 9\n";
    Run::new()
        .file("contents.md", text)
        .args(["--file", "contents.md", "--provider", "builtin"])
        .run()
        .code(0)
        .no_panic()
        .stderr_contains("nothing to do");
}
