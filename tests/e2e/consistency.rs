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
