//! The style guide and the appearance cards (issue 16, parts 1 and 2) through the real binary
//! and the fake server: made once after pass 1, shown in Elements.md, carried verbatim in every
//! image prompt, a hand edit of a card kept, a new style redrawn with `--images --force`.

use crate::fake_openai::{Captured, FAKE_STYLE, fake_card_field};
use crate::harness::{Fake, Folder, config, read, small_book};
use imaginize::analyze::ElementsLookup;
use imaginize::style::{Source, StyleFile};

const CHAPTERS: usize = 2;

fn image_prompts(captured: &[Captured]) -> Vec<String> {
    captured
        .iter()
        .filter(|c| c.kind == "image")
        .map(|c| c.text.clone())
        .collect()
}

fn cast(folder: &Folder) -> ElementsLookup {
    ElementsLookup::parse_markdown(&read(folder.out().join("Elements.md"))).expect("Elements.md")
}

fn style_file(folder: &Folder) -> StyleFile {
    serde_json::from_str(&read(folder.out().join("style.json"))).expect("style.json")
}

/// Every image prompt carries the book's style, and the card of every element it shows,
/// verbatim; the style and the cards are asked once, and not again by a second run.
#[test]
fn every_image_prompt_carries_the_style_and_the_cards_of_who_it_shows() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    folder.run(&fake.book_args(&[])).expect_code(0);

    let style = style_file(&folder);
    assert_eq!(style.source, Source::Book);
    assert_eq!(style.style.art_style, FAKE_STYLE);
    let elements_md = read(folder.out().join("Elements.md"));
    assert!(
        elements_md.contains(&format!("## Style\n\n**Art style:** {FAKE_STYLE}\n")),
        "{elements_md}"
    );
    let lookup = cast(&folder);
    let carded: Vec<_> = lookup
        .elements
        .iter()
        .filter(|e| !e.appearance.is_empty())
        .collect();
    assert!(carded.len() >= 2, "{elements_md}");
    for e in &carded {
        assert!(
            e.appearance.contains(&fake_card_field(&e.name, "hair")),
            "{e:?}"
        );
    }
    assert_eq!(fake.server.count("style"), 1);
    let card_requests = fake.server.count("cards");
    assert_eq!(card_requests, carded.len().div_ceil(8));

    let prompts = image_prompts(&fake.captured());
    assert!(!prompts.is_empty());
    let line = format!("Style: {}", style.style.line());
    let mut most_shown = 0;
    for prompt in &prompts {
        assert!(prompt.contains(&line), "no style in:\n{prompt}");
        let shown = lookup.mentions(
            prompt
                .lines()
                .find(|l| l.starts_with("In the scene:"))
                .unwrap_or(""),
        );
        for e in &shown {
            assert!(
                prompt.contains(&format!("- {} (Character): {}", e.name, e.appearance)),
                "{}'s card is not verbatim in:\n{prompt}",
                e.name
            );
        }
        most_shown = most_shown.max(shown.len());
    }
    assert!(most_shown >= 2, "no scene shows two characters");

    // A second run has nothing to ask again.
    folder.run(&fake.book_args(&[])).expect_code(0);
    assert_eq!(fake.server.count("style"), 1);
    assert_eq!(fake.server.count("cards"), card_requests);
}

/// A card edited in Elements.md is the one later image prompts carry.
#[test]
fn a_card_edited_in_elements_md_is_used_by_later_prompts() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let path = folder.out().join("Elements.md");
    let before = read(&path);
    // A character of the story the fake's cast found (it also lists words of the instructions).
    let book = small_book(CHAPTERS);
    let name = cast(&folder)
        .elements
        .iter()
        .map(|e| e.name.clone())
        .find(|n| ["Elizabeth", "Darcy", "Jane", "Bingley", "Bennet"].contains(&n.as_str()))
        .filter(|n| book.contains(n.as_str()))
        .expect("a character of the story");
    let original = format!("apparent age: {}", fake_card_field(&name, "age"));
    assert!(before.contains(&original), "{before}");
    let edited = "apparent age: EDITED nineteen, emerald gown, auburn curls";
    let line_start = before
        .find(&format!("**Appearance:** {original}"))
        .expect("card line");
    let line_end = before[line_start..]
        .find('\n')
        .map_or(before.len(), |i| i + line_start);
    let after = format!(
        "{}**Appearance:** {edited}{}",
        &before[..line_start],
        &before[line_end..]
    );
    std::fs::write(&path, after).expect("edit Elements.md");

    folder.run(&fake.book_args(&["--images"])).expect_code(0);
    let showing: Vec<String> = image_prompts(&fake.captured())
        .into_iter()
        .filter(|p| p.contains(&format!("- {name} (Character)")))
        .collect();
    assert!(!showing.is_empty(), "no image prompt shows {name}");
    for prompt in &showing {
        assert!(prompt.contains(edited), "{prompt}");
        assert!(!prompt.contains(&original), "{prompt}");
    }
}

/// A style from config, then one set with `imaginize style --set`, each redrawn with
/// `--images --force`: every new prompt carries the new style.
#[test]
fn a_new_style_is_drawn_by_images_force() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    folder.run(&fake.book_args(&[])).expect_code(0);
    let scenes = image_prompts(&fake.captured()).len();

    let redraw = |expected: &str| {
        let mark = fake.captured().len();
        folder
            .run(&fake.book_args(&["--images", "--force"]))
            .expect_code(0);
        let prompts = image_prompts(&fake.captured()[mark..]);
        assert_eq!(prompts.len(), scenes, "every scene is drawn again");
        for prompt in &prompts {
            assert!(prompt.contains(&format!("Style: {expected}\n")), "{prompt}");
        }
    };
    // Config beats the style the model proposed.
    folder.write(
        ".imaginize.config",
        format!("{}style: watercolour from the config\n", config(2, 2)),
    );
    redraw("watercolour from the config");
    let elements_md = read(folder.out().join("Elements.md"));
    assert!(
        elements_md.contains("## Style\n\n**Art style:** watercolour from the config\n"),
        "Elements.md shows the style in effect:\n{elements_md}"
    );

    // A style set for the folder beats config, and shows in Elements.md.
    let set = folder.run(&[
        "style",
        "--output-dir",
        "imaginize_book",
        "--set",
        "art style: woodcut; palette: black and red",
    ]);
    set.expect_code(0);
    assert_eq!(style_file(&folder).source, Source::Set);
    let elements_md = read(folder.out().join("Elements.md"));
    assert!(
        elements_md.contains("**Art style:** woodcut\n"),
        "{elements_md}"
    );
    assert!(elements_md.contains("**Palette:** black and red\n"));
    assert!(!elements_md.contains(FAKE_STYLE));
    redraw("art style: woodcut; palette: black and red");

    let shown = folder.run(&["style", "--output-dir", "imaginize_book"]);
    shown.expect_code(0);
    assert!(
        shown.stdout().contains("set for this folder"),
        "{}",
        shown.stdout()
    );
}

/// `imaginize style --from-book` asks the text model once and sets its answer for the folder;
/// offline, the builtin's answer names the book's era from its words.
#[test]
fn style_from_book_asks_the_model_once_and_sets_the_answer() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    let mut args: Vec<String> = ["--file", "book.txt", "--elements", "--provider", "builtin"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    folder.run(&args).expect_code(0);
    let offline = style_file(&folder);
    assert_eq!(offline.source, Source::Book);
    assert!(!offline.style.era_setting.is_empty(), "{offline:?}");

    args = ["style", "--output-dir", "imaginize_book", "--from-book"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(fake.args().into_iter().take_while(|a| a != "--image-model"));
    let ran = folder.run(&args);
    ran.expect_code(0);
    assert_eq!(fake.server.count("style"), 1);
    let set = style_file(&folder);
    assert_eq!(
        (set.source, set.style.art_style.as_str()),
        (Source::Set, FAKE_STYLE)
    );
    assert!(
        read(folder.out().join("Elements.md")).contains(&format!("**Art style:** {FAKE_STYLE}\n"))
    );
}

/// A style set before the first run is the one it uses: no style request, every prompt has it.
#[test]
fn a_style_set_before_the_first_run_is_used_and_nothing_is_asked() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    folder
        .run(&[
            "style",
            "--output-dir",
            "imaginize_book",
            "--set",
            "linocut in two colours",
        ])
        .expect_code(0);
    folder.run(&fake.book_args(&[])).expect_code(0);
    assert_eq!(fake.server.count("style"), 0);
    let prompts = image_prompts(&fake.captured());
    assert!(!prompts.is_empty());
    for prompt in &prompts {
        assert!(
            prompt.contains("Style: linocut in two colours\n"),
            "{prompt}"
        );
    }
    assert!(
        read(folder.out().join("Elements.md")).contains("**Art style:** linocut in two colours\n")
    );
}

/// A folder made before cards and styles (no `**Appearance:**`, no `style.json`) gets both on
/// its next run, its hand edits kept, and its pictures carry them.
#[test]
fn a_folder_from_before_cards_gets_them_on_its_next_run() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(CHAPTERS, &config(2, 2));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let out = folder.out();
    let md_path = out.join("Elements.md");
    // Elements.md as an older version wrote it: no style section, no cards.
    let current = read(&md_path);
    let (title, rest) = current.split_once("## Style").expect("a style section");
    let cast_part = &rest[rest.find("### ").expect("a cast section")..];
    let old: String = format!("{title}{cast_part}")
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("**Appearance:**"))
        .collect::<String>()
        .replace("\n\n\n", "\n\n");
    std::fs::write(
        &md_path,
        old.replace("**Description:**", "**Description:** EDITED"),
    )
    .expect("md");
    std::fs::remove_file(out.join("style.json")).expect("style.json");
    let (style_asked, cards_asked) = (fake.server.count("style"), fake.server.count("cards"));

    folder.run(&fake.book_args(&[])).expect_code(0);
    assert_eq!(fake.server.count("style"), style_asked + 1);
    assert!(fake.server.count("cards") > cards_asked);
    let elements_md = read(&md_path);
    assert!(elements_md.contains("## Style\n"), "{elements_md}");
    assert!(
        elements_md.contains("**Appearance:** apparent age: age of "),
        "{elements_md}"
    );
    assert!(
        elements_md.contains("**Description:** EDITED"),
        "{elements_md}"
    );
    let carded = cast(&folder)
        .elements
        .into_iter()
        .filter(|e| !e.appearance.is_empty())
        .count();
    assert!(carded >= 2);
    assert!(
        image_prompts(&fake.captured())
            .iter()
            .any(|p| p.contains("(Character): apparent age: age of ")),
        "no image prompt carries a card"
    );
}
