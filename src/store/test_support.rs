//! Test helpers shared by the crate's unit tests: a book of numbered chapters.

use crate::ids::{ChapterKey, ChapterNo};
use crate::store::{BookMeta, Manifest};

/// Chapters 1..=n, keyed `k1`, `k2`, … and titled `Chapter 1`, `Chapter 2`, …
pub(crate) fn chapters(n: u32) -> Vec<(ChapterNo, ChapterKey, String)> {
    (1..=n)
        .map(|i| {
            (
                ChapterNo(i),
                ChapterKey(format!("k{i}")),
                format!("Chapter {i}"),
            )
        })
        .collect()
}

/// A fresh manifest of [`chapters`]`(n)`, every chapter `pending`.
pub(crate) fn manifest(n: u32) -> Manifest {
    Manifest::new("book", BookMeta::default(), &chapters(n))
}
