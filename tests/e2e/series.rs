//! A two-book series (issue 16 part 6): book 2 starts from book 1's cast, keeps its cards and
//! its style (no new card or style request for what returns), and its Elements.md names the book
//! each new detail came from.

use crate::harness::{Fake, Folder, config, read, small_book};
use imaginize::analyze::ElementsLookup;
use imaginize::series::{SeriesCast, SeriesFile};

/// Book 2 of the series: the same people, a new title, and different words about them.
fn second_book() -> String {
    small_book(3)
        .replacen("The Bennets in Miniature", "The Bennets Return", 1)
        .replace("red officer's coat", "faded blue greatcoat")
        .replace("her boots dark with mud", "her bonnet trimmed with lace")
}

fn series_folder() -> Folder {
    // Two portraits: book 1 draws them, book 2 takes them from the series.
    let folder = Folder::with_book(2, &config(2, 2).replace("portraits: 0", "portraits: 2"));
    folder.write("book2.txt", second_book());
    folder
        .run(&["series", "init", "saga", "--name", "The Bennets"])
        .expect_code(0);
    folder
        .run(&["series", "add", "saga", "book.txt", "book2.txt"])
        .expect_code(0);
    folder
}

fn shown(folder: &Folder) -> (SeriesFile, SeriesCast) {
    let ran = folder.run(&["series", "show", "saga", "--json"]);
    ran.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&ran.stdout()).expect("json");
    (
        serde_json::from_value(json["series"].clone()).expect("series"),
        serde_json::from_value(json["cast"].clone()).expect("cast"),
    )
}

fn portrait_requests(fake: &Fake) -> usize {
    fake.captured()
        .iter()
        .filter(|c| c.kind == "image" && c.text.starts_with("A reference portrait of "))
        .count()
}

fn cast(out: &std::path::Path) -> ElementsLookup {
    ElementsLookup::parse_markdown(&read(out.join("Elements.md"))).expect("Elements.md")
}

#[test]
fn book_two_reuses_the_series_cards_and_style_without_asking_again() {
    let fake = Fake::with_latency(0, 0);
    let folder = series_folder();
    let book1 = fake.book_args(&["--series", "saga", "--output-dir", "one"]);
    folder.run(&book1).expect_code(0);
    let (file, after_one) = shown(&folder);
    assert_eq!(file.books.len(), 2);
    assert!(file.style.is_some(), "book 1's style is the series'");
    let (styles, cards) = (fake.server.count("style"), fake.server.count("cards"));
    assert_eq!(styles, 1);
    let portraits_one = portrait_requests(&fake);
    assert_eq!(portraits_one, 2, "book 1 draws its portraits");
    assert_eq!(
        after_one
            .elements
            .iter()
            .filter(|e| e.portrait.is_some())
            .count(),
        2,
        "the series keeps them"
    );

    let mut book2 = fake.book_args(&["--series", "saga", "--output-dir", "two"]);
    book2[1] = "book2.txt".into();
    folder.run(&book2).expect_code(0);
    assert_eq!(
        fake.server.count("style"),
        styles,
        "the series' style is reused"
    );
    let two = cast(&folder.path().join("two"));
    let returning: Vec<_> = two
        .elements
        .iter()
        .filter(|e| after_one.elements.iter().any(|s| s.name == e.name))
        .collect();
    assert!(returning.len() >= 3, "{two:?}");
    for e in &returning {
        let card = &after_one
            .elements
            .iter()
            .find(|s| s.name == e.name)
            .expect("in the series")
            .appearance;
        assert_eq!(&e.appearance, card, "{} keeps its series card", e.name);
    }
    let new = two.elements.len() - returning.len();
    assert!(
        fake.server.count("cards") - cards <= new.div_ceil(8),
        "cards asked again for returning elements"
    );
    // Every image prompt of book 2 carries the series' style.
    let art = file.style.expect("style").art_style;
    assert!(
        fake.captured()
            .iter()
            .filter(|c| c.kind == "image")
            .all(|c| c.text.contains(&art))
    );
}

#[test]
fn book_twos_elements_name_the_book_each_new_detail_came_from() {
    let folder = series_folder();
    folder
        .run(&[
            "--file",
            "book.txt",
            "--series",
            "saga",
            "--output-dir",
            "one",
        ])
        .expect_code(0);
    let (_, after_one) = shown(&folder);
    folder
        .run(&[
            "--file",
            "book2.txt",
            "--series",
            "saga",
            "--output-dir",
            "two",
        ])
        .expect_code(0);
    let md = read(folder.path().join("two").join("Elements.md"));
    assert!(
        md.contains("**In the series:**") && md.contains("- *The Bennets Return*, chapter "),
        "{md}"
    );
    // Returning characters keep the card book 1 made, although book 2 describes them in
    // other words.
    let two = cast(&folder.path().join("two"));
    let mut carded = 0;
    for e in &two.elements {
        if let Some(known) = after_one.elements.iter().find(|s| s.name == e.name) {
            assert_eq!(e.appearance, known.appearance, "{}", e.name);
            carded += usize::from(!known.appearance.is_empty());
        }
    }
    assert!(carded >= 2, "{md}");
    let (_, after_two) = shown(&folder);
    assert!(
        after_two
            .elements
            .iter()
            .any(|e| e.details.iter().any(|d| d.book == "The Bennets Return"))
    );
}

#[test]
fn a_run_with_a_folder_that_is_no_series_fails_before_any_work() {
    let folder = Folder::with_book(1, &config(1, 1));
    let ran = folder.run(&["--file", "book.txt", "--series", "nowhere"]);
    ran.expect_code(2);
    assert!(ran.stderr().contains("series init"), "{}", ran.stderr());
    assert!(!folder.out().exists());
}
