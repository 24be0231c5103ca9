//! Requests and results exchanged with providers. Requests carry both the rendered prompt (for
//! language models) and the structured facts behind it (for the offline `builtin` provider, which
//! cannot read prompts).

use crate::ids::{ChapterNo, SceneNo};
use serde::{Deserialize, Serialize};

/// What a text request asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum TextTask {
    /// Pass 1: the characters, creatures, places and items in `text`.
    Entities,
    /// Pass 2: the `count` most visual scenes of `text`, with the cast that appears in it.
    Scenes {
        count: usize,
        elements: Vec<ElementBrief>,
    },
    /// The book's style guide, from its opening chapters (`text`) and its cast.
    Style { cast: Vec<ElementBrief> },
    /// Appearance cards for `subjects`; `text` holds the chapters they appear in.
    Cards { subjects: Vec<CardSubject> },
}

/// An element to write an appearance card for: enough to find it in the book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardSubject {
    pub name: String,
    pub kind: ElementKind,
    pub aliases: Vec<String>,
    pub description: String,
}

/// One text call.
#[derive(Debug, Clone)]
pub struct TextRequest {
    pub task: TextTask,
    pub chapter: ChapterNo,
    pub chapter_title: String,
    /// The chapter text (or one chunk of it) the answer must quote from.
    pub text: String,
    /// System message for language models.
    pub system: String,
    /// The full user prompt for language models (includes `text`).
    pub prompt: String,
}

/// The kinds of element in Elements.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementKind {
    Character,
    Creature,
    Place,
    Item,
}

/// An element as given to a provider: enough to draw or mention it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementBrief {
    pub name: String,
    pub kind: ElementKind,
    pub description: String,
    /// The element's appearance card, when it has one: sent verbatim in image prompts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub appearance: String,
}

/// The facts of a scene, for the offline renderer (network models use `ImageRequest::prompt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneSpec {
    pub chapter: ChapterNo,
    pub scene: SceneNo,
    pub quote: String,
    pub description: String,
    pub mood: String,
    pub lighting: String,
    pub elements: Vec<ElementBrief>,
}

/// One image call.
#[derive(Debug, Clone)]
pub struct ImageRequest {
    pub prompt: String,
    pub scene: SceneSpec,
    /// Reference pictures (character portraits) the model should keep its drawing consistent
    /// with, in the order the prompt labels them ("Image 1 is …"). Only models whose
    /// `max_references` is above zero are given any.
    pub references: Vec<ReferenceImage>,
}

/// A picture sent with an image request as a visual reference.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceImage {
    /// Who or what the picture shows, as the prompt names it.
    pub label: String,
    /// The encoded file (PNG, JPEG or WebP).
    pub bytes: std::sync::Arc<[u8]>,
    pub format: ImageFormat,
}

impl ReferenceImage {
    /// A reference from a picture file's bytes, its format read from them; `None` when they
    /// are not PNG, JPEG or WebP (a half-written or foreign file is better left out).
    pub fn from_bytes(label: impl Into<String>, bytes: Vec<u8>) -> Option<ReferenceImage> {
        let format = ImageFormat::detect(&bytes)?;
        Some(ReferenceImage {
            label: label.into(),
            bytes: bytes.into(),
            format,
        })
    }
}

/// Size and quality as configured (`imageSize`, `imageQuality`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageOptions {
    /// "1024x1024" and the like.
    pub size: String,
    pub quality: Option<String>,
    /// One seed for every picture of a book (`provider::book_seed` of its id or title), sent
    /// where the model's API takes one (`Capability::seed`: Gemini, chat completions) so a
    /// book's pictures share a look. `None`: no seed is sent. Set by the caller per book.
    pub seed: Option<u64>,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            size: "1024x1024".to_string(),
            quality: None,
            seed: None,
        }
    }
}

/// Encoded image formats, detected from the bytes, never from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    /// Detects the format from the file's magic bytes.
    pub fn detect(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Webp => "webp",
        }
    }
}

/// What came back with an image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageMeta {
    pub model: String,
    /// The prompt as rewritten by the provider, when it says.
    pub revised_prompt: Option<String>,
    /// Something the user should hear about how this picture was made, once: the model refused
    /// the reference pictures and drew from the prompt alone (see docs/consistency.md).
    pub note: Option<String>,
}

/// Tokens and images a call used; the state keeps it per chapter.
pub use crate::store::Usage;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_from_magic_bytes() {
        assert_eq!(
            ImageFormat::detect(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageFormat::Png)
        );
        assert_eq!(
            ImageFormat::detect(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::detect(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageFormat::Webp)
        );
        assert_eq!(ImageFormat::detect(b"<html>"), None);
    }

    #[test]
    fn references_take_their_format_from_the_bytes() {
        let jpeg = ReferenceImage::from_bytes("Jane", vec![0xFF, 0xD8, 0xFF, 0xE0, 1]);
        assert_eq!(
            jpeg.map(|r| (r.label, r.format)),
            Some(("Jane".to_string(), ImageFormat::Jpeg))
        );
        assert_eq!(ReferenceImage::from_bytes("Jane", b"<html>".to_vec()), None);
    }
}
