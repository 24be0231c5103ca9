//! The EPUB's zip, read under the inflate limits. Entries are only ever looked up by the paths
//! our href resolution produces; nothing is extracted to disk, so an entry named `../x` is inert.

use crate::book::Error;
use crate::book::limits::{Limits, read_limited};
use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use zip::ZipArchive;

pub(crate) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    /// Lower-cased entry name → real name: some books' hrefs differ from their entries in case.
    by_lower: HashMap<String, String>,
    limits: Limits,
    inflated: u64,
    path: PathBuf,
}

impl<'a> Archive<'a> {
    pub(crate) fn open(bytes: &'a [u8], path: &Path, limits: Limits) -> Result<Self, Error> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::NotEpub {
            path: path.to_path_buf(),
            reason: format!("it is not a zip archive ({e})"),
        })?;
        let by_lower = zip
            .file_names()
            .map(|n| (n.to_lowercase(), n.to_string()))
            .collect();
        Ok(Archive {
            zip,
            by_lower,
            limits,
            inflated: 0,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the entry exists (exactly or up to case).
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.real_name(name).is_some()
    }

    fn real_name(&self, name: &str) -> Option<String> {
        if self.zip.index_for_name(name).is_some() {
            return Some(name.to_string());
        }
        self.by_lower.get(&name.to_lowercase()).cloned()
    }

    /// The entry's bytes; `Ok(None)` when there is no such entry or it cannot be inflated.
    /// Refuses entries (or a running total) past the limits.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(real) = self.real_name(name) else {
            return Ok(None);
        };
        let Ok(file) = self.zip.by_name(&real) else {
            return Ok(None);
        };
        let remaining = self.limits.max_total_bytes.saturating_sub(self.inflated);
        let limit = self.limits.max_entry_bytes.min(remaining);
        let too_large = |limit| Error::TooLarge {
            path: self.path.clone(),
            entry: real.clone(),
            limit,
        };
        // The declared size can lie, so it only lets us refuse early; `read_limited` enforces.
        if file.size() > limit {
            return Err(too_large(limit));
        }
        match read_limited(file, limit) {
            Ok(Some(buf)) => {
                self.inflated += buf.len() as u64;
                Ok(Some(buf))
            }
            Ok(None) => Err(too_large(limit)),
            Err(_) => Ok(None),
        }
    }

    /// The entry as text (UTF-8, or UTF-16 with a byte-order mark); `Ok(None)` if missing or not
    /// text.
    pub(crate) fn read_text(&mut self, name: &str) -> Result<Option<String>, Error> {
        Ok(self.read(name)?.and_then(|b| decode_text(&b)))
    }
}

/// UTF-8 (BOM optional) or UTF-16 with a BOM, as XML allows.
pub(crate) fn decode_text(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).ok()
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_utf8_and_utf16() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFhi").as_deref(), Some("hi"));
        assert_eq!(decode_text(b"\xFF\xFEh\0i\0").as_deref(), Some("hi"));
        assert_eq!(decode_text(b"\xFE\xFF\0h\0i").as_deref(), Some("hi"));
        assert_eq!(decode_text(b"\xFF\xD8\xFF\xE0jpeg"), None);
    }
}
