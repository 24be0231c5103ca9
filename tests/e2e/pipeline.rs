//! The pipeline through the real binary: quote verification and JSON repair against a model
//! that misbehaves (issue 5), concurrent overlap of analysis and illustration, and identical
//! outputs from sequential and concurrent runs (issue 6).

use crate::fake_openai::{FakeConfig, INVENTED_QUOTE, Quirks};
use crate::harness::{
    Fake, Folder, assert_same_outputs, config, normalise, per_chapter, quotes_in, read, small_book,
};
use crate::support::fixture_book;
use imaginize::analyze::model::Catalogue;

/// The text of chapter `n` of `small_book(chapters)`, without its heading.
fn chapter_text(chapters: usize, n: usize) -> String {
    let book = small_book(chapters);
    let heading = format!("Chapter {n}\n");
    let start = book.find(&heading).expect("chapter heading") + heading.len();
    let rest = &book[start..];
    let end = rest
        .find(&format!("Chapter {}\n", n + 1))
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

fn mentions(text: &str, name: &str) -> bool {
    let re = regex::Regex::new(&format!(r"\b{}\b", regex::escape(name))).expect("regex");
    re.is_match(text)
}

/// Issue 5: a model that invents a quote and answers fenced, truncated JSON. The run succeeds,
/// every quote in Chapters.md and Elements.md is the book's own words (the invention is dropped,
/// the near-miss re-anchored), each chapter was asked once (repair, not retries), and every
/// pass 2 prompt carries the details of the elements its chapter names.
#[test]
fn invented_quotes_are_dropped_and_pass_2_prompts_carry_the_cast() {
    const CHAPTERS: usize = 4;
    let fake = Fake::start(
        FakeConfig::default(),
        Quirks {
            invent_quote: true,
            fence_json: true,
            truncate_scenes: true,
            ..Quirks::default()
        },
    );
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    let mut args = vec!["--file".to_string(), "book.txt".into(), "--text".into()];
    args.extend(fake.args());
    let ran = folder.run(&args);
    ran.expect_code(0);

    let out = folder.out();
    let chapters_md = read(out.join("Chapters.md"));
    let elements_md = read(out.join("Elements.md"));
    let book = normalise(&small_book(CHAPTERS));
    assert!(
        !chapters_md.contains("silver dragon") && !normalise(&chapters_md).contains(INVENTED_QUOTE),
        "the invented quote reached Chapters.md:\n{chapters_md}"
    );
    // The style and the cards came in fenced answers too, and were repaired.
    assert!(elements_md.contains("## Style\n"), "{elements_md}");
    assert!(
        elements_md.contains("**Appearance:** apparent age: age of "),
        "{elements_md}"
    );
    let quotes = quotes_in(&chapters_md);
    assert!(
        quotes.len() >= CHAPTERS,
        "expected at least one scene per chapter, got {quotes:?}\n{chapters_md}"
    );
    for quote in quotes.iter().chain(quotes_in(&elements_md).iter()) {
        let quote = normalise(quote);
        assert!(
            book.contains(&quote),
            "quote not verbatim in the book: {quote:?}"
        );
    }
    for n in 1..=CHAPTERS {
        assert!(
            chapters_md.contains(&format!("### Chapter {n}")),
            "chapter {n} missing from Chapters.md:\n{chapters_md}"
        );
    }

    // Repaired, not retried: one pass 2 request per chapter, and every answer was misshapen.
    let entries = fake.entries();
    let scenes = per_chapter(&entries, "scenes");
    assert_eq!(
        scenes,
        (1..=CHAPTERS as u32).map(|c| (c, 1)).collect(),
        "pass 2 requests per chapter"
    );

    // Pass 2 prompts carry the details of the elements their chapter names.
    let catalogue: Catalogue =
        serde_json::from_str(&read(out.join("elements.json"))).expect("elements.json parses");
    assert!(!catalogue.elements.is_empty(), "no elements found");
    let captured = fake.captured();
    for request in captured.iter().filter(|c| c.kind == "scenes") {
        let chapter = request.chapter.expect("chapter of a scenes request") as usize;
        let text = chapter_text(CHAPTERS, chapter);
        let named: Vec<_> = catalogue
            .elements
            .iter()
            .filter(|e| mentions(&text, &e.name))
            .collect();
        assert!(
            !named.is_empty(),
            "no element of the cast is named in chapter {chapter}"
        );
        for element in named {
            assert!(
                request.text.contains(&format!("- {} (", element.name))
                    && request.text.contains(element.description.trim()),
                "the pass 2 prompt of chapter {chapter} lacks {}'s details ({:?})",
                element.name,
                element.description
            );
        }
    }
}

/// Issue 6: in concurrent mode the first image is asked for before the last chapter's scenes
/// are back.
#[test]
fn concurrent_mode_draws_before_analysis_ends() {
    let fake = Fake::with_latency(150, 50);
    let folder = Folder::with_book(6, &config(1, 2));
    let mut args = vec![
        "--file".to_string(),
        "book.txt".into(),
        "--concurrent".into(),
    ];
    args.extend(fake.args());
    folder.run(&args).expect_code(0);
    let entries = fake.entries();
    let first_image = entries
        .iter()
        .filter(|e| e.kind == "image")
        .map(|e| e.start_ms)
        .min()
        .expect("images were asked for");
    let last_scenes_end = entries
        .iter()
        .filter(|e| e.kind == "scenes")
        .map(|e| e.end_ms)
        .max()
        .expect("scenes were asked for");
    eprintln!(
        "MEASURE concurrent: first image request {} ms before the last analysis answer",
        last_scenes_end as i128 - first_image as i128
    );
    assert!(
        first_image < last_scenes_end,
        "the first image ({first_image}) came after the last analysis ended ({last_scenes_end})"
    );
}

/// Pass 2 asks about chapters in reading order, `--jobs` at a time: the first requests are
/// about the first chapters, and no request starts before those of more than `--jobs` earlier
/// chapters (a reader sees the opening chapters illustrated first).
#[test]
fn pass_2_requests_start_in_reading_order() {
    const CHAPTERS: usize = 12;
    const JOBS: usize = 3;
    let fake = Fake::with_latency(60, 10);
    let folder = Folder::with_book(CHAPTERS, &config(JOBS, 1));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let mut scenes: Vec<_> = fake
        .entries()
        .into_iter()
        .filter(|e| e.kind == "scenes")
        .collect();
    scenes.sort_by_key(|e| e.start_ms);
    let order: Vec<u32> = scenes.iter().filter_map(|e| e.chapter).collect();
    assert_eq!(order.len(), CHAPTERS, "{order:?}");
    let mut first: Vec<u32> = order[..JOBS].to_vec();
    first.sort_unstable();
    assert_eq!(first, [1, 2, 3], "the first requests were {order:?}");
    for (rank, chapter) in order.iter().enumerate() {
        assert!(
            *chapter as usize <= rank + JOBS,
            "chapter {chapter} was asked about {}th: {order:?}",
            rank + 1
        );
    }
}

/// Issue 6: sequential and concurrent runs of the builtin provider on a fixture EPUB give the
/// same Elements.md, Chapters.md and image bytes.
#[test]
fn sequential_and_concurrent_give_identical_outputs() {
    let book = fixture_book("metamorphosis.epub");
    let book = book.to_string_lossy();
    let run = |mode: &str| {
        let folder = Folder::new();
        folder.write(".imaginize.config", "imageSize: 256x256\n");
        let ran = folder.run(&[
            "--file",
            &book,
            mode,
            "--provider",
            "builtin",
            "--limit",
            "2",
            "--output-dir",
            "out",
        ]);
        ran.expect_code(0);
        eprintln!("MEASURE metamorphosis {mode}: {:?}", ran.took);
        folder
    };
    let sequential = run("--sequential");
    let concurrent = run("--concurrent");
    assert_same_outputs(
        &sequential.path().join("out"),
        &concurrent.path().join("out"),
    );
}
