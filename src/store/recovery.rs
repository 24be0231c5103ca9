//! Reading the manifest and recovering from a bad one: a manifest that does not parse or fails
//! validation is kept as `.corrupt-<ts>` and the run continues from `.bak`, with a note that says
//! exactly what happened. If both are unusable the error says so; we never start over silently.

use crate::store::manifest::{self, Manifest};
use crate::store::{Error, atomic, layout};
use chrono::Utc;
use std::fs;
use std::path::{Path, PathBuf};

/// What reading one manifest file found.
pub(crate) enum Read {
    Missing,
    /// Boxed: a manifest is large beside the other variants.
    Good(Box<Manifest>, Vec<u8>),
    /// Unparsable or invalid, with the reason for the user.
    Bad(String),
}

/// Reads and checks one manifest file. A file from a newer imaginize that we cannot parse is an
/// error, not corruption: it must never be renamed or replaced.
pub(crate) fn read(path: &Path) -> Result<Read, Error> {
    match fs::read(path) {
        Ok(bytes) => parse(path, bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Read::Missing),
        Err(source) => Err(Error::io("read", path, source)),
    }
}

/// [`read`] on bytes already read from `path`.
pub(crate) fn parse(path: &Path, bytes: Vec<u8>) -> Result<Read, Error> {
    // One full parse in the common case; the version alone is parsed only from a file we cannot
    // parse, to tell a newer imaginize's manifest (an error) from corruption.
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) if manifest::is_newer(&m.version) => Ok(Read::Good(Box::new(m), bytes)),
        Ok(m) => match m.validate() {
            Ok(()) => Ok(Read::Good(Box::new(m), bytes)),
            Err(reason) => Ok(Read::Bad(format!("it is invalid: {reason}"))),
        },
        Err(err) => {
            #[derive(serde::Deserialize)]
            struct VersionOnly {
                version: String,
            }
            match serde_json::from_slice::<VersionOnly>(&bytes) {
                Ok(v) if manifest::is_newer(&v.version) => Err(Error::NewerVersion {
                    path: path.to_path_buf(),
                    found: v.version,
                }),
                _ => Ok(Read::Bad(format!("it does not parse: {err}"))),
            }
        }
    }
}

/// The manifest after any recovery, and what the user must be told.
pub(crate) struct Recovered {
    pub manifest: Option<Manifest>,
    /// The manifest file's bytes, which `manifest` was parsed from.
    pub bytes: Option<Vec<u8>>,
    pub notes: Vec<String>,
}

/// Reads the manifest in `dir`, recovering from `.bak` when needed. Must be called with the lock
/// held, because it renames and rewrites files.
pub(crate) fn recover(dir: &Path) -> Result<Recovered, Error> {
    recover_from(dir, read(&manifest_path(dir))?)
}

/// [`recover`] with the manifest file already read (`current`).
pub(crate) fn recover_from(dir: &Path, current: Read) -> Result<Recovered, Error> {
    let path = manifest_path(dir);
    let bak = backup_path(dir);
    let reason = match current {
        Read::Good(m, bytes) => return Ok(recovered(Some((*m, bytes)), Vec::new())),
        Read::Missing => match read(&bak)? {
            Read::Good(m, bytes) => {
                atomic::write(&path, &bytes)?;
                let note = format!(
                    "`{}` was missing; continued from its backup `{}`",
                    path.display(),
                    bak.display()
                );
                return Ok(recovered(Some((*m, bytes)), vec![note]));
            }
            // Neither exists: a book no run has written yet.
            Read::Missing => return Ok(recovered(None, Vec::new())),
            // Starting over here would silently throw away the book's progress.
            Read::Bad(backup_reason) => {
                return Err(Error::BothUnusable {
                    path,
                    reason: "it does not exist".into(),
                    backup: bak,
                    backup_reason,
                });
            }
        },
        Read::Bad(reason) => reason,
    };
    let kept = corrupt_path(dir);
    fs::rename(&path, &kept).map_err(|e| Error::io("set aside corrupt manifest", &path, e))?;
    match read(&bak)? {
        Read::Good(m, bytes) => {
            atomic::write(&path, &bytes)?;
            let note = format!(
                "`{}` was unusable ({reason}); it is kept as `{}` and the run continues from the backup `{}`, so work since that backup's last write may be done again",
                path.display(),
                kept.display(),
                bak.display()
            );
            Ok(recovered(Some((*m, bytes)), vec![note]))
        }
        Read::Missing => Err(Error::BothUnusable {
            path: kept,
            reason,
            backup: bak,
            backup_reason: "it does not exist".into(),
        }),
        Read::Bad(backup_reason) => Err(Error::BothUnusable {
            path: kept,
            reason,
            backup: bak,
            backup_reason,
        }),
    }
}

fn recovered(read: Option<(Manifest, Vec<u8>)>, notes: Vec<String>) -> Recovered {
    let (manifest, bytes) = read.unzip();
    Recovered {
        manifest,
        bytes,
        notes,
    }
}

pub(crate) fn manifest_path(dir: &Path) -> PathBuf {
    layout::manifest_path(dir)
}

pub(crate) fn backup_path(dir: &Path) -> PathBuf {
    layout::manifest_backup_path(dir)
}

/// A `.corrupt-<ts>` name not used yet.
fn corrupt_path(dir: &Path) -> PathBuf {
    let ts = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let base = dir.join(layout::corrupt_manifest_name(&ts.to_string()));
    let mut candidate = base.clone();
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}-{n}", base.display()));
        n += 1;
    }
    candidate
}

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod tests;
