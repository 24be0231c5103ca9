//! The books the server shows: the `--output-dir` folders, and every book folder inside
//! `--library` (looked for again on each listing, so a new run's folder shows up without a
//! restart). A book's id is its folder's name, made URL-safe and unique; it never changes while
//! the server runs.

use crate::serve::view::Prices;
use crate::serve::watch::Book;
use crate::store::layout;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct Library {
    fixed: Vec<PathBuf>,
    root: Option<PathBuf>,
    prices: Prices,
    books: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    by_id: BTreeMap<String, Arc<Book>>,
    ids: BTreeMap<PathBuf, String>,
}

impl Library {
    pub fn new(fixed: Vec<PathBuf>, root: Option<PathBuf>, prices: Prices) -> Library {
        Library {
            fixed,
            root,
            prices,
            books: Mutex::new(Known::default()),
        }
    }

    /// Every book, in the order of their folders' names (`--output-dir` ones first).
    pub fn books(&self) -> Vec<Arc<Book>> {
        let folders = self.folders();
        let mut known = self.lock();
        folders
            .into_iter()
            .map(|dir| known.book_for(dir, self.prices))
            .collect()
    }

    /// The book with this id, looking for new folders when it is not known yet.
    pub fn get(&self, id: &str) -> Option<Arc<Book>> {
        if let Some(book) = self.lock().by_id.get(id) {
            return Some(book.clone());
        }
        self.books().into_iter().find(|b| b.id == id)
    }

    fn folders(&self) -> Vec<PathBuf> {
        let mut folders = self.fixed.clone();
        if let Some(root) = &self.root {
            folders.extend(book_folders(root));
        }
        folders
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Known {
    fn book_for(&mut self, dir: PathBuf, prices: Prices) -> Arc<Book> {
        if let Some(book) = self.ids.get(&dir).and_then(|id| self.by_id.get(id)) {
            return book.clone();
        }
        let id = self.unique_id(&dir);
        let book = Book::start(id.clone(), dir.clone(), prices);
        self.ids.insert(dir, id.clone());
        self.by_id.insert(id, book.clone());
        book
    }

    fn unique_id(&self, dir: &Path) -> String {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let base = url_safe(layout::strip_output_prefix(&name));
        let base = if base.is_empty() { "book".into() } else { base };
        let mut id = base.clone();
        let mut n = 2;
        while self.by_id.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// Letters, digits, `-` and `_`; anything else becomes `-`.
fn url_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The folders inside `root` (and `root` itself) that hold a manifest, sorted by name.
pub fn book_folders(root: &Path) -> Vec<PathBuf> {
    let is_book = |dir: &Path| {
        layout::manifest_path(dir).exists() || layout::manifest_backup_path(dir).exists()
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && is_book(p))
        .collect();
    found.sort();
    if is_book(root) {
        found.insert(0, root.to_path_buf());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ids_are_url_safe_unique_and_stable() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["imaginize_a b", "a-b", "other"] {
            let dir = tmp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(layout::manifest_path(&dir), "{}").unwrap();
        }
        std::fs::create_dir(tmp.path().join("not-a-book")).unwrap();
        let library = Library::new(Vec::new(), Some(tmp.path().into()), Prices::default());
        let ids: Vec<String> = library.books().iter().map(|b| b.id.clone()).collect();
        assert_eq!(ids, ["a-b", "a-b-2", "other"]);
        let again: Vec<String> = library.books().iter().map(|b| b.id.clone()).collect();
        assert_eq!(ids, again);
        assert!(library.get("a-b-2").is_some());
        assert!(library.get("../etc").is_none());
    }
}
