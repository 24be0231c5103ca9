//! The analysis results as stored on disk: `elements.json` (the merged cast) and
//! `chapters/NNN.json` (the scenes of one chapter). These files, with the manifest, are the state
//! every Markdown file is rendered from.

use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::provider::ElementKind;
use crate::store::{self, SceneOutcome, layout};
use serde::{Deserialize, Serialize};

/// A verbatim quote from the book and the chapter it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementQuote {
    pub chapter: ChapterNo,
    pub text: String,
}

/// One character, creature, place or item of the book, merged across chapters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ElementKind,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// Up to three verbatim quotes, each with its chapter.
    #[serde(default)]
    pub quotes: Vec<ElementQuote>,
    /// The chapter it first appears in.
    pub first_chapter: ChapterNo,
    /// Every chapter it appears in, ascending.
    #[serde(default)]
    pub chapters: Vec<ChapterNo>,
    /// The fixed appearance card (characters, creatures, recurring places) every image prompt
    /// showing it carries verbatim; empty until made, and in folders older than cards.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub appearance: String,
    /// In a series (`series: DIR`): what each book of the series added about it, with the book
    /// and chapter it comes from. Empty outside a series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Detail>,
}

/// A detail about an element that one book of a series gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub text: String,
    /// The book's title.
    pub book: String,
    pub chapter: ChapterNo,
}

/// `elements.json`: the whole cast of the book.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Catalogue {
    pub title: String,
    pub elements: Vec<Element>,
    /// Set when the cast was read from these chapters only (`--cast selected`): partial.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partial_from: Vec<ChapterNo>,
}

/// One scene chosen for illustration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    pub scene: SceneNo,
    /// Verbatim passage from the chapter (verified against the book text).
    pub quote: String,
    /// What to draw.
    pub description: String,
    #[serde(default)]
    pub mood: String,
    #[serde(default)]
    pub lighting: String,
    /// Names of the elements present.
    #[serde(default)]
    pub elements: Vec<String>,
    /// Path of the generated image relative to the output folder, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Why the provider refused to draw this scene, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// The reader rejected this scene's image (`imaginize regenerate --reject`): its files are
    /// kept, compiled outputs leave it out and Chapters.md marks it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub user_rejected: bool,
}

/// `chapters/NNN.json`: the scenes of one chapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterScenes {
    pub chapter: ChapterNo,
    pub key: ChapterKey,
    pub title: String,
    pub scenes: Vec<Scene>,
}

/// Writes a scene's outcome into `chapters/NNN.json` (when that file has the scene), before
/// the state records it: only the chapter's claim holder draws its scenes, so no lock is
/// needed, and a crash in between leaves an image the next run adopts (or a refusal it asks
/// about again). A scenes file that cannot be read is analyze's to report.
pub fn note_scene(
    out: &std::path::Path,
    chapter: ChapterNo,
    scene: SceneNo,
    outcome: &SceneOutcome,
) -> Result<(), store::Error> {
    let path = layout::chapter_path(out, chapter);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let Ok(mut scenes) = serde_json::from_slice::<ChapterScenes>(&bytes) else {
        return Ok(());
    };
    let Some(entry) = scenes.scenes.iter_mut().find(|s| s.scene == scene) else {
        return Ok(());
    };
    let (image, rejected) = match outcome {
        SceneOutcome::Image(path) => (Some(path.clone()), None),
        SceneOutcome::Rejected(reason) => (None, Some(reason.clone())),
        SceneOutcome::Pending => (None, None),
    };
    if entry.image == image && entry.rejected == rejected {
        return Ok(());
    }
    (entry.image, entry.rejected) = (image, rejected);
    let bytes = serde_json::to_vec_pretty(&scenes).map_err(|source| store::Error::Encode {
        path: path.clone(),
        source,
    })?;
    store::atomic::write(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Folders made before appearance cards load, and a cast without cards is written as
    /// before.
    #[test]
    fn elements_without_cards_load_and_write_as_before() {
        let old = r#"{"title": "T", "elements": [{"name": "Jane", "type": "character",
            "aliases": [], "description": "fair", "quotes": [], "first_chapter": 1,
            "chapters": [1]}]}"#;
        let catalogue: Catalogue = serde_json::from_str(old).expect("old elements.json loads");
        assert_eq!(catalogue.elements[0].appearance, "");
        let written = serde_json::to_string(&catalogue).expect("encode");
        assert!(!written.contains("appearance"), "{written}");
        let mut carded = catalogue;
        carded.elements[0].appearance = "hair: fair".into();
        let written = serde_json::to_string(&carded).expect("encode");
        let back: Catalogue = serde_json::from_str(&written).expect("decode");
        assert_eq!(back.elements[0].appearance, "hair: fair");
    }
}
