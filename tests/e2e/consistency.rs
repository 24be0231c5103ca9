//! How the run keeps a look across scenes at the model (issue 16 part 4): one seed per book where
//! the image API takes one.

use crate::harness::{Fake, Folder, config};

#[test]
fn every_image_request_of_a_book_carries_the_books_seed_where_the_api_takes_one() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(2, &config(2, 2));
    let base = fake.server.base_url();
    folder
        .run(&[
            "--file",
            "book.txt",
            "--provider",
            "gemini",
            "--base-url",
            &base,
            "--api-key",
            "test-key",
            "--model",
            "gemini-2.5-flash",
            "--image-model",
            "gemini-2.5-flash-image",
        ])
        .expect_code(0);
    let calls = fake.server.image_calls();
    assert!(calls.len() >= 2, "{calls:?}");
    let seed = imaginize::provider::book_seed("The Bennets in Miniature");
    for call in &calls {
        assert_eq!(call.endpoint, "gemini");
        assert_eq!(call.seed, Some(seed), "{call:?}");
    }
}

fn cast_hashes(out: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(out.join("images/cast"))
        .expect("images/cast")
        .flatten()
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("portrait");
            (
                crate::fake_openai::bytes_hash(&bytes),
                e.file_name().to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// With `gpt-image-1`, every scene that shows a portrayed character goes to `/images/edits`
/// with those portraits' own bytes attached, each named in the prompt ("Image 1 is …"); the
/// portraits themselves are plain generations.
#[test]
fn gpt_image_1_scenes_carry_the_portraits_of_who_they_show() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(3, &config(2, 2).replace("portraits: 0", "portraits: 3"));
    let ran = folder.run(&fake.book_args(&[]));
    ran.expect_code(0);
    let said = format!("{}{}", ran.stdout(), ran.stderr());
    assert!(
        said.contains("Cast sheet: 3 reference portraits in images/cast/"),
        "{said}"
    );
    let portraits = cast_hashes(&folder.out());
    assert_eq!(portraits.len(), 3, "{portraits:?}");
    let calls = fake.server.image_calls();
    let edits: Vec<_> = calls.iter().filter(|c| c.endpoint == "edits").collect();
    assert!(
        !edits.is_empty(),
        "no scene was sent its portraits: {calls:?}"
    );
    for call in &edits {
        assert_eq!(call.model, "gpt-image-1");
        for (i, picture) in call.images.iter().enumerate() {
            assert!(
                portraits.contains_key(&picture.hash),
                "an attached picture is no portrait: {picture:?}"
            );
            assert!(
                call.prompt.contains(&format!("Image {} is ", i + 1)),
                "picture {} unlabelled: {}",
                i + 1,
                call.prompt
            );
        }
    }
    let portrait_calls = calls
        .iter()
        .filter(|c| c.prompt.starts_with("A reference portrait of "))
        .count();
    assert_eq!(portrait_calls, 3, "each portrait once");
}

/// DALL·E 3 takes no reference pictures: nothing is attached, every request is a generation.
#[test]
fn dall_e_3_scenes_attach_nothing() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(2, &config(2, 2).replace("portraits: 0", "portraits: 2"));
    let mut args = fake.book_args(&[]);
    let model = args
        .iter()
        .position(|a| a == "gpt-image-1")
        .expect("model flag");
    args[model] = "dall-e-3".into();
    folder.run(&args).expect_code(0);
    let calls = fake.server.image_calls();
    assert!(calls.len() >= 3, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.endpoint == "generations" && c.images.is_empty())
    );
}

/// A model that refuses the edit endpoint: the scene is drawn from the prompt alone, the run
/// says so once, and nothing fails.
#[test]
fn a_refused_edit_is_drawn_from_the_prompt_with_one_note() {
    let fake = Fake::start(
        crate::fake_openai::FakeConfig::default(),
        crate::fake_openai::Quirks {
            refuse_edits: true,
            ..Default::default()
        },
    );
    let folder = Folder::with_book(2, &config(2, 2).replace("portraits: 0", "portraits: 2"));
    let ran = folder.run(&fake.book_args(&[]));
    ran.expect_code(0);
    let notes = ran.stderr().matches("refused reference pictures").count();
    assert_eq!(notes, 1, "{}", ran.stderr());
    let calls = fake.server.image_calls();
    // Tried once per run, except by a request already in flight when the refusal came (one
    // per image slot: `imageJobs: 2`).
    let edits = calls.iter().filter(|c| c.endpoint == "edits").count();
    assert!((1..=2).contains(&edits), "{edits} edits");
}
