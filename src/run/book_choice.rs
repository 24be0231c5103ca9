//! Which book to process when `--file` is not given, and where its outputs go.

use crate::error::Error;
use std::path::{Path, PathBuf};

/// Best structured first: a folder holding one book in several formats is read from the one
/// that keeps its chapters and paragraphs best.
const BOOK_EXTENSIONS: &[&str] = &[
    "epub", "azw3", "mobi", "azw", "docx", "html", "htm", "pdf", "txt", "md",
];
const NOT_BOOKS: &[&str] = &["readme", "changelog", "license", "contributing", "progress"];

/// The output folder's name is a rule of the folder's layout.
pub use crate::store::layout::default_output_dir;

/// The first book in `dir` (by format in `BOOK_EXTENSIONS` order, then by name) whose output
/// folder is not finished.
pub fn pick_book(dir: &Path) -> Result<PathBuf, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut candidates: Vec<(usize, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .filter_map(|path| book_rank(&path).map(|rank| (rank, path)))
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .map(|(_, path)| path)
        .find(|path| !is_finished(&dir.join(default_output_dir(path))))
        .ok_or_else(|| {
            Error::Usage(format!(
                "no unfinished book (.epub, .azw3, .mobi, .azw, .docx, .html, .htm, .pdf, .txt, .md) \
                 in `{}`; pass --file <book>",
                dir.display()
            ))
        })
}

fn book_rank(path: &Path) -> Option<usize> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    if name.starts_with('.') {
        return None;
    }
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    if NOT_BOOKS.contains(&stem.as_str()) {
        return None;
    }
    let extension = path.extension()?.to_string_lossy().to_lowercase();
    BOOK_EXTENSIONS.iter().position(|e| *e == extension)
}

/// A finished output folder has a manifest saying both pipelines completed.
fn is_finished(output_dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(crate::store::layout::manifest_path(output_dir)) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    let flag = |key: &str| manifest.get(key).and_then(serde_json::Value::as_bool) == Some(true);
    flag("analyze_complete") && flag("illustrate_complete")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_dir_names_are_tidy() {
        assert_eq!(
            default_output_dir(Path::new("/b/Pride & Prejudice.epub")),
            PathBuf::from("imaginize_pride_prejudice")
        );
    }

    #[test]
    fn picks_the_first_unfinished_book_and_skips_readmes() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["README.md", "b.txt", "a.epub", "notes.doc"] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        assert_eq!(
            pick_book(dir.path()).expect("found"),
            dir.path().join("a.epub")
        );
        let out = dir.path().join("imaginize_a");
        std::fs::create_dir(&out).expect("mkdir");
        std::fs::write(
            out.join(".imaginize.manifest.json"),
            r#"{"analyze_complete": true, "illustrate_complete": true}"#,
        )
        .expect("write");
        assert_eq!(
            pick_book(dir.path()).expect("found"),
            dir.path().join("b.txt")
        );
    }

    #[test]
    fn kindle_word_and_html_books_are_picked_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["c.txt", "b.HTM", "a.pdf", "d.docx", "e.azw"] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        assert_eq!(
            pick_book(dir.path()).expect("found"),
            dir.path().join("e.azw")
        );
        for name in ["index.html", "book.mobi", "book.azw3"] {
            let only = tempfile::tempdir().expect("tempdir");
            std::fs::write(only.path().join(name), "x").expect("write");
            assert_eq!(pick_book(only.path()).ok(), Some(only.path().join(name)));
        }
    }

    #[test]
    fn no_book_is_a_usage_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(pick_book(dir.path()), Err(Error::Usage(_))));
    }
}
