//! An artifact's name: a relative, `/`-separated path that cannot leave its root.

use crate::store::Error;
use std::fmt;

/// A checked artifact key such as `images/chapter_1_scene_1.png`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    /// Checks `key`: relative, no empty, `.` or `..` segment, no backslash or NUL, so that no
    /// key names a file outside its root on any storage.
    pub fn new(key: impl Into<String>) -> Result<Key, Error> {
        let key = key.into();
        let problem = if key.is_empty() {
            Some("it is empty")
        } else if key.starts_with('/') {
            Some("it is absolute")
        } else if key.contains('\\') || key.contains('\0') {
            Some("it has a backslash or NUL")
        } else if key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            Some("it has an empty, `.` or `..` part")
        } else {
            None
        };
        match problem {
            Some(reason) => Err(Error::BadKey {
                key,
                reason: reason.into(),
            }),
            None => Ok(Key(key)),
        }
    }

    /// The key of `relative` (a path from `store::layout`, relative to the output folder).
    pub fn from_relative(relative: &std::path::Path) -> Result<Key, Error> {
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Key::new(parts.join("/"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `self/name`.
    pub fn join(&self, name: &str) -> Result<Key, Error> {
        Key::new(format!("{}/{name}", self.0))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_their_root() {
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "..",
            "a//b",
            "./a",
            "a/",
            "a\\b",
            "a\0b",
        ] {
            assert!(Key::new(bad).is_err(), "{bad:?} accepted");
        }
        let key = Key::new("images/chapter_1_scene_1.png").unwrap();
        assert_eq!(
            key.join("x").unwrap().as_str(),
            "images/chapter_1_scene_1.png/x"
        );
        let from_path = Key::from_relative(std::path::Path::new("chapters/001.json")).unwrap();
        assert_eq!(from_path.as_str(), "chapters/001.json");
    }
}
