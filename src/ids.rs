//! Identity newtypes shared by every module: a function that takes a chapter never takes a bare
//! `u32`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A story chapter's number: its position among the book's story chapters, 1-based, in reading
/// order after parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChapterNo(pub u32);

/// A scene's number inside its chapter, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SceneNo(pub u32);

/// The stable identity of a chapter (spine href + ordinal, or a page/line range). Titles are never
/// identity: two volumes may both have a "CHAPTER I".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChapterKey(pub String);

impl fmt::Display for ChapterNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for SceneNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ChapterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
