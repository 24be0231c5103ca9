//! A series: books that share one cast, one style guide and one set of reference portraits.
//!
//! The series lives in a folder of its own (`imaginize series init DIR`): `series.json` (its name,
//! its books in order, its style) and `cast.json` (every element any of its books found, each
//! with its card and what each book added about it). A book run with `series: DIR` (or
//! `--series DIR`) starts from that cast: a returning character keeps the series' description,
//! card and portrait; what this book says about it is kept as a detail naming the book and the
//! chapter. Afterwards the book's cast is recorded back into the series. Every book's output
//! folder stays complete on its own: it holds a copy of everything it used.
//!
//! Changes to the series happen under its lock file and are written atomically, like the book's
//! manifest, so two books of one series processed at once lose nothing.

pub mod cast;
mod legacy;

use crate::store::{self, atomic, lock};
use crate::style::Style;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use cast::{SeriesCast, SeriesElement};

/// The series' own description: `series.json`.
pub const SERIES_JSON: &str = "series.json";
/// The shared cast: `cast.json`.
pub const CAST_JSON: &str = "cast.json";
/// Taken for every change to the series.
pub const LOCK_FILE: &str = ".imaginize.series.lock";
/// The shared reference portraits, `portraits/<element-slug>.png`.
pub const PORTRAITS_DIR: &str = "portraits";

const VERSION: u32 = 1;
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// `series.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesFile {
    pub version: u32,
    pub name: String,
    /// In reading order.
    #[serde(default)]
    pub books: Vec<SeriesBook>,
    /// The style every book of the series draws in, once one is set or made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<Style>,
    pub created_at: DateTime<Utc>,
}

/// One book of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesBook {
    /// The sha256 of the book's file: the same book added twice is one book.
    pub id: String,
    pub title: String,
    /// The path as it was given, made absolute.
    pub path: PathBuf,
    /// 1 for the first book.
    pub order: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{}` is not a series folder (no {SERIES_JSON}); create it with `imaginize series init`", .0.display())]
    NotASeries(PathBuf),
    #[error("`{}` is already a series folder", .0.display())]
    Exists(PathBuf),
    #[error("`{}` is damaged: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "internal error: cannot encode the series; this is a bug in imaginize, please report it"
    )]
    Encode(#[source] serde_json::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Book(#[from] crate::book::Error),
}

/// A series folder.
#[derive(Debug, Clone)]
pub struct Series {
    dir: PathBuf,
}

impl Series {
    /// Makes `dir` a series folder named `name`. An old tool's `.imaginize.series.json` (and its
    /// `.series-elements-memory.json`) found there is converted.
    pub fn init(dir: &Path, name: Option<&str>) -> Result<Series, Error> {
        let series = Series {
            dir: dir.to_path_buf(),
        };
        atomic::create_dir(dir)?;
        lock::with_lock(&series.lock_path(), LOCK_TIMEOUT, || {
            if series.dir.join(SERIES_JSON).exists() {
                return Err(Error::Exists(series.dir.clone()));
            }
            let (mut file, cast) = match legacy::read(dir)? {
                Some(converted) => converted,
                None => (new_file(""), SeriesCast::default()),
            };
            if let Some(name) = name {
                file.name = name.to_string();
            }
            if file.name.is_empty() {
                file.name = folder_name(dir);
            }
            series.write(&file, &cast)
        })??;
        Ok(series)
    }

    /// The series folder `dir`; one with only an old tool's series file is converted first.
    pub fn open(dir: &Path) -> Result<Series, Error> {
        let series = Series {
            dir: dir.to_path_buf(),
        };
        if series.dir.join(SERIES_JSON).exists() {
            return Ok(series);
        }
        if legacy::exists(dir) {
            return Series::init(dir, None).or_else(|err| match err {
                // Another process converted it meanwhile.
                Error::Exists(_) => Ok(series.clone()),
                other => Err(other),
            });
        }
        Err(Error::NotASeries(dir.to_path_buf()))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    /// The series as it is now (a consistent pair: both files are only written under the lock).
    pub fn read(&self) -> Result<(SeriesFile, SeriesCast), Error> {
        lock::with_lock(&self.lock_path(), LOCK_TIMEOUT, || self.read_unlocked())?
    }

    fn read_unlocked(&self) -> Result<(SeriesFile, SeriesCast), Error> {
        let file = read_json(&self.dir.join(SERIES_JSON))?
            .ok_or_else(|| Error::NotASeries(self.dir.clone()))?;
        let cast = read_json(&self.dir.join(CAST_JSON))?.unwrap_or_default();
        Ok((file, cast))
    }

    /// Changes the series under its lock: read afresh, changed by `change`, written atomically.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut SeriesFile, &mut SeriesCast) -> T,
    ) -> Result<T, Error> {
        lock::with_lock(&self.lock_path(), LOCK_TIMEOUT, || {
            let (mut file, mut cast) = self.read_unlocked()?;
            let answer = change(&mut file, &mut cast);
            self.write(&file, &cast)?;
            Ok(answer)
        })?
    }

    fn write(&self, file: &SeriesFile, cast: &SeriesCast) -> Result<(), Error> {
        let cast_json = serde_json::to_vec_pretty(cast).map_err(Error::Encode)?;
        let file_json = serde_json::to_vec_pretty(file).map_err(Error::Encode)?;
        atomic::write(&self.dir.join(CAST_JSON), &cast_json)?;
        atomic::write(&self.dir.join(SERIES_JSON), &file_json)?;
        Ok(())
    }

    /// Adds the book at `path` after the others (a book already in the series keeps its place);
    /// returns it.
    pub fn add_book(&self, path: &Path) -> Result<SeriesBook, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let id = format!("{:x}", Sha256::digest(&bytes));
        let title = crate::book::load(path)?.title;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.update(|file, _| {
            if let Some(known) = file.books.iter().find(|b| b.id == id) {
                return known.clone();
            }
            let book = SeriesBook {
                id,
                title,
                path,
                order: file.books.len() as u32 + 1,
            };
            file.books.push(book.clone());
            book
        })
    }

    /// Keeps the book's drawn portraits (`done`: the element's name and the picture's path in
    /// the book's folder `out`) for the elements of the series that have none yet; returns how
    /// many it kept. Later books of the series take them instead of drawing again.
    pub fn keep_portraits(&self, out: &Path, done: &[(String, String)]) -> Result<usize, Error> {
        let (_, shared) = self.read()?;
        let fresh: Vec<&(String, String)> = done
            .iter()
            .filter(|(name, _)| {
                shared
                    .elements
                    .iter()
                    .any(|e| &e.name == name && e.portrait.is_none())
            })
            .collect();
        let mut kept = Vec::new();
        for (name, relative) in fresh {
            let Some(file_name) = Path::new(relative).file_name() else {
                continue;
            };
            let file_name = file_name.to_string_lossy().into_owned();
            let bytes = std::fs::read(out.join(relative)).map_err(|source| Error::Read {
                path: out.join(relative),
                source,
            })?;
            atomic::write_creating_folder(&self.portrait_path(&file_name), &bytes)?;
            kept.push((name.clone(), file_name));
        }
        self.update(|_, cast| {
            let mut count = 0;
            for (name, file_name) in &kept {
                if let Some(e) = cast
                    .elements
                    .iter_mut()
                    .find(|e| &e.name == name && e.portrait.is_none())
                {
                    e.portrait = Some(file_name.clone());
                    count += 1;
                }
            }
            count
        })
    }

    /// Where the series keeps `slug`'s portrait.
    pub fn portrait_path(&self, file_name: &str) -> PathBuf {
        self.dir.join(PORTRAITS_DIR).join(file_name)
    }
}

fn new_file(name: &str) -> SeriesFile {
    SeriesFile {
        version: VERSION,
        name: name.to_string(),
        books: Vec::new(),
        style: None,
        created_at: Utc::now(),
    }
}

fn folder_name(dir: &Path) -> String {
    std::path::absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "Untitled series".to_string())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, Error> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| Error::Corrupt {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests;
