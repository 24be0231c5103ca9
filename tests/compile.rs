//! `imaginize compile` outputs built from a hand-made output folder: illustrated EPUB (injected
//! and built), HTML gallery (with a headless-chromium check when available) and CBZ.

use imaginize::analyze::model::{Catalogue, ChapterScenes, Element, ElementQuote, Scene};
use imaginize::book::{Book, Chapter, Format};
use imaginize::compile::{CompileReport, Error, Formats, compile};
use imaginize::ids::{ChapterKey, ChapterNo, SceneNo};
use imaginize::provider::ElementKind;
use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use zip::ZipArchive;
use zip::write::SimpleFileOptions;

const CH1: &str =
    "It was a dark night.\n\nShe saw the \u{201C}lighthouse\u{201D}   burning bright.\n\nThe end.";
const CH2: &str = "Morning came <slowly> & quietly.\n\nThe ship sailed.";

fn png() -> Vec<u8> {
    let mut pixmap = tiny_skia::Pixmap::new(8, 6).expect("non-zero size");
    pixmap.fill(tiny_skia::Color::from_rgba8(200, 30, 30, 255));
    pixmap.encode_png().expect("encode png")
}

fn scene(n: u32, quote: &str, image: Option<&str>, rejected: Option<&str>) -> Scene {
    Scene {
        scene: SceneNo(n),
        quote: quote.to_owned(),
        description: format!("Scene {n} <drawn> & \"quoted\""),
        mood: String::new(),
        lighting: String::new(),
        elements: vec!["Mara".to_owned()],
        image: image.map(str::to_owned),
        rejected: rejected.map(str::to_owned),
        user_rejected: false,
    }
}

fn chapter(n: u32, key: &str, title: &str, text: &str) -> Chapter {
    Chapter {
        number: Some(ChapterNo(n)),
        key: ChapterKey(key.to_owned()),
        title: title.to_owned(),
        text: text.to_owned(),
        word_count: text.split_whitespace().count(),
        is_story: true,
    }
}

fn book(format: Format) -> Book {
    Book {
        title: "The <Test> & Book".to_owned(),
        author: Some("A. Author".to_owned()),
        language: Some("en".to_owned()),
        format,
        chapters: vec![
            chapter(1, "text/ch1.xhtml#0", "One", CH1),
            chapter(2, "text/ch2.xhtml#0", "Two", CH2),
        ],
        warnings: Vec::new(),
    }
}

/// Writes the state files and images; `webp` adds a WebP scene to chapter 2.
fn output_folder(dir: &Path, webp: bool) {
    std::fs::create_dir_all(dir.join("chapters")).unwrap();
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::write(dir.join("images/chapter_1_scene_1.png"), png()).unwrap();
    std::fs::write(dir.join("images/chapter_1_scene_2.png"), png()).unwrap();
    std::fs::write(dir.join("images/chapter_2_scene_3.png"), png()).unwrap();
    let mut ch2 = vec![
        scene(1, "Morning came", None, Some("policy")),
        scene(
            3,
            "The ship sailed.",
            Some("images/chapter_2_scene_3.png"),
            None,
        ),
    ];
    if webp {
        std::fs::write(
            dir.join("images/chapter_2_scene_2.webp"),
            b"RIFF\0\0\0\0WEBPVP8 ",
        )
        .unwrap();
        ch2.insert(
            1,
            scene(
                2,
                "The ship sailed.",
                Some("images/chapter_2_scene_2.webp"),
                None,
            ),
        );
    }
    let chapters = [
        ChapterScenes {
            chapter: ChapterNo(1),
            key: ChapterKey("text/ch1.xhtml#0".to_owned()),
            title: "One".to_owned(),
            scenes: vec![
                scene(
                    1,
                    "She saw the \"lighthouse\" burning bright.",
                    Some("images/chapter_1_scene_1.png"),
                    None,
                ),
                scene(
                    2,
                    "words that are nowhere in the text",
                    Some("images/chapter_1_scene_2.png"),
                    None,
                ),
                scene(3, "It was a dark night.", None, None),
            ],
        },
        ChapterScenes {
            chapter: ChapterNo(2),
            key: ChapterKey("text/ch2.xhtml#0".to_owned()),
            title: "Two".to_owned(),
            scenes: ch2,
        },
    ];
    for c in &chapters {
        let path = dir
            .join("chapters")
            .join(format!("{:03}.json", c.chapter.0));
        std::fs::write(path, serde_json::to_string(c).unwrap()).unwrap();
    }
    let catalogue = Catalogue {
        partial_from: Vec::new(),
        title: "The <Test> & Book".to_owned(),
        elements: vec![Element {
            name: "Mara <the keeper>".to_owned(),
            kind: ElementKind::Character,
            aliases: Vec::new(),
            description: "Keeps the light & the log.".to_owned(),
            quotes: vec![ElementQuote {
                chapter: ChapterNo(1),
                text: "She saw the lighthouse".to_owned(),
            }],
            first_chapter: ChapterNo(1),
            chapters: vec![ChapterNo(1)],
            appearance: String::new(),
            details: Vec::new(),
        }],
    };
    std::fs::write(
        dir.join("elements.json"),
        serde_json::to_string(&catalogue).unwrap(),
    )
    .unwrap();
}

fn xhtml(title: &str, css: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" lang=\"en\" xml:lang=\"en\"><head><title>{title}</title><link rel=\"stylesheet\" type=\"text/css\" href=\"{css}\"/></head><body>{body}</body></html>"
    )
}

/// A small EPUB 3 whose spine hrefs match the chapter keys of `book()`.
const CH1_BODY: &str = "<h1>One</h1><div><p>It was a dark night.</p><p>She saw the \u{201C}<em>lighthouse</em>\u{201D}\n burning bright.</p><p>The end.</p></div>";

fn source_epub(path: &Path) {
    source_epub_with(path, CH1_BODY);
}

fn source_epub_with(path: &Path, ch1_body: &str) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/epub+zip").unwrap();
    let files = [
        ("META-INF/container.xml", "<?xml version=\"1.0\"?><container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles><rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/></rootfiles></container>".to_owned()),
        ("OEBPS/content.opf", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"id\"><metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:identifier id=\"id\">urn:uuid:12345678-1234-1234-1234-123456789abc</dc:identifier><dc:title>Test</dc:title><dc:language>en</dc:language><meta property=\"dcterms:modified\">2024-01-01T00:00:00Z</meta></metadata><manifest><item id=\"nav\" href=\"nav.xhtml\" media-type=\"application/xhtml+xml\" properties=\"nav\"/><item id=\"css\" href=\"style.css\" media-type=\"text/css\"/><item id=\"c1\" href=\"text/ch1.xhtml\" media-type=\"application/xhtml+xml\"/><item id=\"c2\" href=\"text/ch2.xhtml\" media-type=\"application/xhtml+xml\"/></manifest><spine><itemref idref=\"c1\"/><itemref idref=\"c2\"/></spine></package>".to_owned()),
        ("OEBPS/nav.xhtml", xhtml("Contents", "style.css", "<nav epub:type=\"toc\"><ol><li><a href=\"text/ch1.xhtml\">One</a></li><li><a href=\"text/ch2.xhtml\">Two</a></li></ol></nav>")),
        ("OEBPS/style.css", "p { text-indent: 1em; }".to_owned()),
        ("OEBPS/text/ch1.xhtml", xhtml("One", "../style.css", ch1_body)),
        ("OEBPS/text/ch2.xhtml", xhtml("Two", "../style.css", "<h1>Two</h1><p>Morning came &lt;slowly&gt; &amp; quietly.</p><p>The ship sailed.</p>")),
    ];
    for (name, text) in files {
        zip.start_file(name, SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn read_zip(path: &Path) -> ZipArchive<Cursor<Vec<u8>>> {
    ZipArchive::new(Cursor::new(std::fs::read(path).unwrap())).unwrap()
}

fn entry(zip: &mut ZipArchive<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
    bytes
}

fn entry_text(zip: &mut ZipArchive<Cursor<Vec<u8>>>, name: &str) -> String {
    String::from_utf8(entry(zip, name)).unwrap()
}

fn join(dir: &str, href: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in href.split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Structural EPUB checks; returns the OPF path.
fn validate_epub(zip: &mut ZipArchive<Cursor<Vec<u8>>>) -> String {
    let first = zip.by_index(0).unwrap();
    assert_eq!(first.name(), "mimetype");
    assert_eq!(first.compression(), zip::CompressionMethod::Stored);
    drop(first);
    assert_eq!(entry_text(zip, "mimetype"), "application/epub+zip");
    let container = entry_text(zip, "META-INF/container.xml");
    let doc = roxmltree::Document::parse(&container).unwrap();
    let opf_path = doc
        .descendants()
        .find(|n| n.has_tag_name("rootfile"))
        .and_then(|n| n.attribute("full-path"))
        .unwrap()
        .to_owned();
    let opf = entry_text(zip, &opf_path);
    let doc = roxmltree::Document::parse(&opf).unwrap();
    let names: BTreeSet<String> = zip.file_names().map(str::to_owned).collect();
    let mut listed = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut has_nav = false;
    for item in doc.descendants().filter(|n| n.has_tag_name("item")) {
        let path = join(dir_of(&opf_path), item.attribute("href").unwrap());
        assert!(
            names.contains(&path),
            "manifest item `{path}` missing from the zip"
        );
        has_nav |= item
            .attribute("properties")
            .is_some_and(|p| p.contains("nav"));
        ids.insert(item.attribute("id").unwrap().to_owned());
        listed.insert(path);
    }
    assert!(has_nav, "no nav document");
    for name in &names {
        if name != "mimetype" && name != "META-INF/container.xml" && *name != opf_path {
            assert!(listed.contains(name), "`{name}` is not in the manifest");
        }
        if name.ends_with(".xhtml") {
            let text = entry_text(zip, name);
            roxmltree::Document::parse_with_options(
                &text,
                roxmltree::ParsingOptions {
                    allow_dtd: true,
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("`{name}` is not well-formed: {e}"));
        }
    }
    for itemref in doc.descendants().filter(|n| n.has_tag_name("itemref")) {
        assert!(ids.contains(itemref.attribute("idref").unwrap()));
    }
    opf_path
}

/// The element following the `<p>` whose text contains `needle`, and that `<p>`'s figure img src.
fn figure_after(xhtml: &str, needle: &str) -> Option<String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(xhtml, opts).unwrap();
    let p = doc.descendants().find(|n| {
        n.has_tag_name("p")
            && n.descendants()
                .filter_map(|t| t.text())
                .collect::<String>()
                .contains(needle)
    })?;
    let next = p.next_sibling_element()?;
    if !next.has_tag_name("figure") {
        return None;
    }
    next.descendants()
        .find(|n| n.has_tag_name("img"))?
        .attribute("src")
        .map(str::to_owned)
}

fn setup(format: Format, webp: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    output_folder(&out, webp);
    let source = tmp.path().join(if format == Format::Epub {
        "story.epub"
    } else {
        "story.txt"
    });
    if format == Format::Epub {
        source_epub(&source);
    } else {
        std::fs::write(&source, "unused").unwrap();
    }
    (tmp, out, source)
}

#[test]
fn injected_epub_places_figures_after_their_paragraph_and_lists_images() {
    let (_tmp, out, source) = setup(Format::Epub, true);
    let only = Formats {
        epub: true,
        ..Formats::default()
    };
    let report = compile(&out, &book(Format::Epub), &source, only).unwrap();
    assert_eq!(
        report,
        CompileReport {
            written: vec![out.join("story-illustrated.epub")],
            images: 4,
            missing: 1,
            rejected: 1,
            set_aside: 0,
            unplaced: 1,
            undecodable: 0,
        }
    );
    let mut zip = read_zip(&out.join("story-illustrated.epub"));
    let opf_path = validate_epub(&mut zip);
    let ch1 = entry_text(&mut zip, "OEBPS/text/ch1.xhtml");
    let src = figure_after(&ch1, "burning bright").expect("figure after the quoted paragraph");
    let image = join("OEBPS/text", &src);
    assert_eq!(entry(&mut zip, &image), png());
    assert!(
        ch1.contains("<figcaption>She saw the &quot;lighthouse&quot; burning bright.</figcaption>")
    );
    // The unplaced scene goes to the chapter start: before the heading.
    assert!(ch1.find("chapter_1_scene_2").unwrap() < ch1.find("<h1>").unwrap());
    let ch2 = entry_text(&mut zip, "OEBPS/text/ch2.xhtml");
    assert!(figure_after(&ch2, "The ship sailed").is_some());
    let opf = entry_text(&mut zip, &opf_path);
    assert!(opf.contains("media-type=\"image/webp\""), "{opf}");
    assert!(opf.contains("media-type=\"image/png\""));
    assert_eq!(
        entry_text(&mut zip, "OEBPS/style.css"),
        "p { text-indent: 1em; }"
    );
}

#[test]
fn text_source_gets_a_clean_epub3() {
    let (_tmp, out, source) = setup(Format::Text, false);
    let only = Formats {
        epub: true,
        ..Formats::default()
    };
    let report = compile(&out, &book(Format::Text), &source, only).unwrap();
    assert_eq!((report.images, report.unplaced), (3, 1));
    let mut zip = read_zip(&out.join("story-illustrated.epub"));
    let opf_path = validate_epub(&mut zip);
    let opf = entry_text(&mut zip, &opf_path);
    assert!(opf.contains("<dc:title>The &lt;Test&gt; &amp; Book</dc:title>"));
    let ch1 = entry_text(&mut zip, "OEBPS/chapter_001.xhtml");
    assert_eq!(ch1.matches("<p>").count(), 3);
    let src = figure_after(&ch1, "burning bright").expect("figure after the quoted paragraph");
    assert_eq!(entry(&mut zip, &join("OEBPS", &src)), png());
    let ch2 = entry_text(&mut zip, "OEBPS/chapter_002.xhtml");
    assert!(ch2.contains("Morning came &lt;slowly&gt; &amp; quietly."));
}

#[test]
fn gallery_is_self_contained_and_escaped() {
    let (_tmp, out, source) = setup(Format::Epub, true);
    let only = Formats {
        html: true,
        ..Formats::default()
    };
    compile(&out, &book(Format::Epub), &source, only).unwrap();
    let index = std::fs::read_to_string(out.join("gallery/index.html")).unwrap();
    assert!(index.contains("<h1>The &lt;Test&gt; &amp; Book</h1>"));
    assert!(index.contains("by A. Author"));
    assert!(
        !index.contains("<script") && !index.contains("http://") && !index.contains("https://")
    );
    assert!(!index.contains("<drawn>"));
    // One figure per scene: 4 drawn, 1 refused, 1 not illustrated yet.
    assert_eq!(index.matches("<figure>").count(), 6);
    assert_eq!(index.matches("<img ").count(), 4);
    assert!(index.contains("Not drawn: policy") && index.contains("Not illustrated yet"));
    for src in index
        .split("src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
    {
        assert!(
            out.join("gallery").join(src).is_file(),
            "`{src}` not copied"
        );
    }
    let cast = std::fs::read_to_string(out.join("gallery/elements.html")).unwrap();
    assert!(
        cast.contains("Mara &lt;the keeper&gt;") && cast.contains("Keeps the light &amp; the log.")
    );
}

#[test]
fn cbz_has_pages_in_reading_order_and_comicinfo() {
    let (_tmp, out, source) = setup(Format::Epub, true);
    let only = Formats {
        cbz: true,
        ..Formats::default()
    };
    compile(&out, &book(Format::Epub), &source, only).unwrap();
    let mut zip = read_zip(&out.join("story.cbz"));
    let names: Vec<&str> = zip.file_names().collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "0001_ch001_s01.png",
            "0002_ch001_s02.png",
            "0003_ch002_s02.webp",
            "0004_ch002_s03.png",
            "ComicInfo.xml"
        ]
    );
    let info = entry_text(&mut zip, "ComicInfo.xml");
    let doc = roxmltree::Document::parse(&info).unwrap();
    let field = |tag: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.text())
            .map(str::to_owned)
    };
    assert_eq!(field("PageCount").as_deref(), Some("4"));
    assert_eq!(field("Title").as_deref(), Some("The <Test> & Book"));
    assert_eq!(entry(&mut zip, "0001_ch001_s01.png"), png());
}

#[test]
fn image_paths_outside_the_output_folder_are_refused() {
    let (_tmp, out, source) = setup(Format::Epub, false);
    let mut c: ChapterScenes =
        serde_json::from_str(&std::fs::read_to_string(out.join("chapters/001.json")).unwrap())
            .unwrap();
    c.scenes[0].image = Some("../story.epub".to_owned());
    std::fs::write(
        out.join("chapters/001.json"),
        serde_json::to_string(&c).unwrap(),
    )
    .unwrap();
    let err = compile(&out, &book(Format::Epub), &source, Formats::all()).unwrap_err();
    assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
}

/// A checking tool is missing: a notice locally, a failure on CI (`CI=true`), which installs it.
fn skip_unless_ci(tool: &str, package: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is required on CI (apt-get install -y {package})"
    );
    println!("NOTICE: {tool} absent; skipping (apt-get install -y {package})");
}

#[test]
fn epubcheck_accepts_both_epubs_when_installed() {
    // Debian ships epubcheck as a jar behind a symlink that needs binfmt_misc; run it via java.
    let jar = Path::new("/usr/share/java/epubcheck.jar");
    if !jar.exists() || !Path::new("/usr/bin/java").exists() {
        skip_unless_ci("epubcheck (or java)", "epubcheck");
        return;
    }
    for format in [Format::Epub, Format::Text] {
        let (_tmp, out, source) = setup(format, false);
        let only = Formats {
            epub: true,
            ..Formats::default()
        };
        compile(&out, &book(format), &source, only).unwrap();
        let run = std::process::Command::new("/usr/bin/java")
            .args(["-jar", "/usr/share/java/epubcheck.jar"])
            .arg(out.join("story-illustrated.epub"))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{format:?}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    std::process::Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ])
        .args([
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn gallery_renders_with_loaded_images_in_headless_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        skip_unless_ci("/usr/bin/chromium", "chromium");
        return;
    }
    let (tmp, out, source) = setup(Format::Epub, false);
    let only = Formats {
        html: true,
        ..Formats::default()
    };
    compile(&out, &book(Format::Epub), &source, only).unwrap();
    let gallery = out.join("gallery");
    let index = std::fs::read_to_string(gallery.join("index.html")).unwrap();
    // A check page beside the gallery loads every image the gallery references and reports how
    // many decoded, so a wrong src or a broken copy fails the test.
    let srcs: Vec<&str> = index
        .split("src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(srcs.len(), 3);
    let imgs: String = srcs
        .iter()
        .map(|s| {
            format!(
                "<img src=\"{s}\" onload=\"if(this.naturalWidth>0)ok++;done()\" onerror=\"done()\">"
            )
        })
        .collect();
    let check = format!(
        "<html><body><script>var ok=0,n=0;function done(){{if(++n=={}){{document.getElementById('r').textContent='loaded='+ok;}}}}</script>{imgs}<p id=\"r\">pending</p></body></html>",
        srcs.len()
    );
    std::fs::write(gallery.join("check.html"), check).unwrap();
    let profile = tmp.path().join("profile");
    let url = |f: &str| format!("file://{}", gallery.join(f).display());
    let dom = chromium(
        &[
            "--virtual-time-budget=5000",
            "--dump-dom",
            &url("check.html"),
        ],
        &profile,
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("loaded=3"), "{dom}");
    // Console messages go to stderr with `--enable-logging=stderr`; the gallery must log none.
    let run = chromium(
        &[
            "--enable-logging=stderr",
            "--virtual-time-budget=2000",
            "--dump-dom",
            &url("index.html"),
        ],
        &profile,
    );
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(!log.contains("CONSOLE"), "console output: {log}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("<figure>"));
    let shot = tmp.path().join("gallery.png");
    let arg = format!("--screenshot={}", shot.display());
    chromium(
        &[&arg, "--window-size=1024,768", &url("index.html")],
        &profile,
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 1000)
            .unwrap_or(false),
        "no screenshot"
    );
}

#[test]
fn unparseable_chapter_still_gets_its_images_at_the_body_start() {
    let (_tmp, out, source) = setup(Format::Epub, false);
    // `&nbsp;` comes from the XHTML 1.1 DTD in EPUB 2 books: an XML parser without it fails.
    source_epub_with(&source, "<h1>One</h1><p>She saw&nbsp;the lighthouse.</p>");
    let only = Formats {
        epub: true,
        ..Formats::default()
    };
    let report = compile(&out, &book(Format::Epub), &source, only).unwrap();
    assert_eq!(report.unplaced, 2);
    let mut zip = read_zip(&out.join("story-illustrated.epub"));
    let ch1 = entry_text(&mut zip, "OEBPS/text/ch1.xhtml");
    let body = ch1.find("<body>").unwrap() + "<body>".len();
    assert!(
        ch1[body..].starts_with(
            "<figure class=\"imaginize\"><img src=\"../images/imaginize/chapter_1_scene_1.png\""
        ),
        "{ch1}"
    );
    assert!(ch1.contains("She saw&nbsp;the lighthouse."));
}

#[test]
fn unsupported_and_absent_images_are_skipped_and_counted() {
    let (_tmp, out, source) = setup(Format::Epub, false);
    let mut c: ChapterScenes =
        serde_json::from_str(&std::fs::read_to_string(out.join("chapters/001.json")).unwrap())
            .unwrap();
    std::fs::write(out.join("images/chapter_1_scene_2.gif"), b"GIF89a").unwrap();
    c.scenes[1].image = Some("images/chapter_1_scene_2.gif".to_owned());
    c.scenes[2].image = Some("images/not_there.png".to_owned());
    std::fs::write(
        out.join("chapters/001.json"),
        serde_json::to_string(&c).unwrap(),
    )
    .unwrap();
    let report = compile(&out, &book(Format::Epub), &source, Formats::all()).unwrap();
    assert_eq!((report.images, report.missing, report.rejected), (2, 2, 1));
    assert!(out.join("story.cbz").is_file() && out.join("gallery/index.html").is_file());
}

/// Compiled outputs are for the user's reader apps and other accounts: they get the mode of any
/// file the user creates (0644 under the usual umask), not the 0600 of a private temp file.
#[cfg(unix)]
#[test]
fn compiled_outputs_are_readable_by_group_and_others_like_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, out, source) = setup(Format::Epub, false);
    compile(&out, &book(Format::Epub), &source, Formats::all()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let plain = out.join("plain");
    std::fs::File::create(&plain).unwrap();
    let expected = mode(&plain);
    for name in [
        "story-illustrated.epub",
        "story-illustrated.pdf",
        "story.cbz",
        "gallery/index.html",
        "gallery/images/chapter_1_scene_1.png",
    ] {
        assert_eq!(mode(&out.join(name)), expected, "{name}");
    }
    // Under the usual umask (022) that is world-readable; a stricter umask is the user's choice.
    if expected & 0o044 == 0o044 {
        assert_eq!(mode(&out.join("story-illustrated.epub")) & 0o044, 0o044);
    }
}
