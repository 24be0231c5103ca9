//! Artifacts in the output folder itself, written through `store::atomic` (the default).

use super::{Artifacts, Key, Put};
use crate::store::{Error, atomic};
use std::path::{Path, PathBuf};

/// The output folder as artifact storage.
#[derive(Debug, Clone)]
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    pub fn new(root: impl Into<PathBuf>) -> Folder {
        Folder { root: root.into() }
    }

    fn path(&self, key: &Key) -> PathBuf {
        key.as_str()
            .split('/')
            .fold(self.root.clone(), |p, s| p.join(s))
    }
}

impl Artifacts for Folder {
    fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), Error> {
        atomic::write_creating_folder(&self.path(key), bytes)
    }

    fn put_new(&self, key: &Key, bytes: &[u8]) -> Result<Put, Error> {
        match atomic::create_new(&self.path(key), bytes)? {
            true => Ok(Put::Created),
            false => Ok(Put::Existed),
        }
    }

    fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path(key);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    fn list(&self, prefix: &Key) -> Result<Vec<Key>, Error> {
        let mut keys = Vec::new();
        collect(&self.path(prefix), prefix, &mut keys)?;
        keys.sort();
        Ok(keys)
    }

    fn remove(&self, key: &Key) -> Result<(), Error> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
            _ => Ok(()),
        }
    }

    fn rename(&self, from: &Key, to: &Key) -> Result<(), Error> {
        atomic::move_aside(&self.path(from), &self.path(to))
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }
}

/// The files under `dir` (named from `prefix`), at any depth; temp files are not artifacts.
fn collect(dir: &Path, prefix: &Key, keys: &mut Vec<Key>) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("list", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if atomic::is_temp_name(&name) {
            continue;
        }
        let key = prefix.join(&name)?;
        let kind = entry
            .file_type()
            .map_err(|e| Error::io("list", entry.path(), e))?;
        if kind.is_dir() {
            collect(&entry.path(), &key, keys)?;
        } else if kind.is_file() {
            keys.push(key);
        }
    }
    Ok(())
}
