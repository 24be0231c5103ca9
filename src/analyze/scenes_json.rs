//! Pass 2 answers parsed into `RawScene` values: `{"scenes":[...]}` or a bare array; scenes
//! without a quote are skipped (the quote is what ties a scene to the book).

use crate::analyze::entities_json::{items, string_field, string_list, strip_fence};
use serde_json::Value;

/// One scene as a model reported it, before quote verification.
#[derive(Debug, Clone, PartialEq)]
pub struct RawScene {
    pub quote: String,
    pub description: String,
    pub mood: String,
    pub lighting: String,
    pub elements: Vec<String>,
}

/// Errors from parsing a pass 2 answer.
#[derive(Debug, thiserror::Error)]
pub enum ScenesJsonError {
    #[error("scenes answer is not JSON ({0}); ask the model again or repair the answer")]
    NotJson(#[from] serde_json::Error),
    #[error("scenes answer has no `scenes` array; the model must answer {{\"scenes\": [...]}}")]
    NoArray,
}

/// Parses a pass 2 answer (text, possibly fenced).
pub fn parse_scenes(text: &str) -> Result<Vec<RawScene>, ScenesJsonError> {
    let value: Value = serde_json::from_str(strip_fence(text))?;
    scenes_from_value(&value)
}

/// Parses an already-decoded pass 2 answer.
pub fn scenes_from_value(value: &Value) -> Result<Vec<RawScene>, ScenesJsonError> {
    let list = items(value, "scenes").ok_or(ScenesJsonError::NoArray)?;
    Ok(list
        .iter()
        .map(|item| RawScene {
            quote: string_field(item, "quote"),
            description: string_field(item, "description"),
            mood: string_field(item, "mood"),
            lighting: string_field(item, "lighting"),
            elements: string_list(item, "elements"),
        })
        .filter(|s| !s.quote.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scenes_and_skips_quoteless() {
        let text = r#"{"scenes":[{"quote":"It is a truth","description":"a drawing room","mood":"wry",
            "lighting":"morning","elements":["Mr. Bennet"]},{"description":"no quote"}]}"#;
        let scenes = parse_scenes(text).unwrap();
        assert_eq!(scenes.len(), 1);
        assert_eq!(scenes[0].elements, vec!["Mr. Bennet"]);
        assert_eq!(scenes[0].lighting, "morning");
    }

    #[test]
    fn accepts_bare_array() {
        let scenes = parse_scenes(r#"[{"quote":"q"}]"#).unwrap();
        assert_eq!(scenes[0].mood, "");
        assert!(matches!(parse_scenes("{}"), Err(ScenesJsonError::NoArray)));
    }
}
