//! `imaginize inspect` on the Kindle, Word and HTML editions of the fixture novel, and a
//! DRM-protected Kindle book refused with the usage exit code.

use crate::support::{Run, fixture_book};

fn inspect(name: &str) -> crate::support::Done {
    let book = fixture_book(name);
    Run::new()
        .args(["inspect", &book.to_string_lossy()])
        .run()
        .no_panic()
        .code(0)
}

#[test]
fn inspect_reads_every_new_format() {
    for name in [
        "metamorphosis.mobi",
        "metamorphosis.azw3",
        "metamorphosis.docx",
        "metamorphosis-gutenberg.html",
    ] {
        inspect(name)
            .stdout_contains("Metamorphosis")
            .stdout_contains("by Franz Kafka")
            .stdout_contains("3 story chapters")
            .stdout_contains("Chapter 3");
    }
}

#[test]
fn inspect_json_names_the_format() {
    for (name, format) in [
        ("metamorphosis.azw3", "mobi"),
        ("metamorphosis.docx", "docx"),
        ("metamorphosis-gutenberg.html", "html"),
    ] {
        let book = fixture_book(name);
        let done = Run::new()
            .args(["inspect", "--json", &book.to_string_lossy()])
            .run()
            .code(0);
        let needle = format!("\"format\": \"{format}\"");
        assert!(done.stdout().contains(&needle), "{name}: {}", done.stdout());
    }
}

#[test]
fn an_encrypted_kindle_book_is_refused_with_exit_2() {
    let mut bytes = std::fs::read(fixture_book("metamorphosis.mobi")).expect("fixture");
    let record0 = u32::from_be_bytes([bytes[78], bytes[79], bytes[80], bytes[81]]) as usize;
    bytes[record0 + 12..record0 + 14].copy_from_slice(&2u16.to_be_bytes());
    Run::new()
        .file("locked.azw", bytes)
        .args(["inspect", "locked.azw"])
        .run()
        .no_panic()
        .code(2)
        .stderr_contains("DRM");
}

#[test]
fn a_truncated_kindle_book_is_refused_with_exit_2() {
    let bytes = std::fs::read(fixture_book("metamorphosis.azw3")).expect("fixture");
    Run::new()
        .file("cut.azw3", &bytes[..4_000])
        .args(["inspect", "cut.azw3"])
        .run()
        .no_panic()
        .code(2)
        .stderr_contains("not a valid MOBI/AZW/AZW3 book");
}

/// Gutenberg's HTML writes "CHAPTER I" and the chapter's title as two headings: one chapter each,
/// titled by both, with no empty "Chapter N" section before it and the contents page not story.
#[test]
fn inspect_joins_a_number_heading_and_the_title_heading_under_it() {
    let book = fixture_book("number-and-title-headings.html");
    let done = Run::new()
        .args(["inspect", "--json", &book.to_string_lossy()])
        .run()
        .no_panic()
        .code(0);
    let json: serde_json::Value = serde_json::from_str(&done.stdout()).expect("inspect JSON");
    let chapters: Vec<(String, bool, u64)> = json["chapters"]
        .as_array()
        .expect("chapters")
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap_or_default().to_string(),
                c["is_story"].as_bool().unwrap_or_default(),
                c["word_count"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("THE WALLED GARDEN", false, 0),
        ("Contents", false, 9),
        ("Chapter 1: THERE IS NO ONE LEFT", true, 119),
        ("Chapter 2: MISTRESS MARY", true, 122),
    ]
    .map(|(t, s, w)| (t.to_string(), s, w));
    assert_eq!(chapters, expected);
}
