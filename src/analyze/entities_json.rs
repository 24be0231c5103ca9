//! Pass 1 answers parsed into `RawEntity` values: `{"entities":[...]}` or a bare array, with
//! unknown types skipped (and the reason kept) and missing fields defaulted.

use crate::provider::ElementKind;
use serde_json::Value;

/// One entity as a model reported it for one chapter, before merging. Saved as is in
/// `entities/NNN.json` so an interrupted pass 1 resumes without asking again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawEntity {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ElementKind,
    pub aliases: Vec<String>,
    pub description: String,
    pub quote: String,
    /// How strongly the chapter shows it (mentions, a spoken line counting extra), when the model
    /// says (the builtin does); 0 when unknown. Lets the merge drop names a book barely uses.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mentions: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Parsed entities and the reasons items were skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedEntities {
    pub entities: Vec<RawEntity>,
    pub skipped: Vec<String>,
}

/// Errors from parsing a pass 1 answer.
#[derive(Debug, thiserror::Error)]
pub enum EntitiesJsonError {
    #[error("entities answer is not JSON ({0}); ask the model again or repair the answer")]
    NotJson(#[from] serde_json::Error),
    #[error(
        "entities answer has no `entities` array; the model must answer {{\"entities\": [...]}}"
    )]
    NoArray,
}

/// Removes a surrounding Markdown code fence, which models add despite being told not to.
pub(crate) fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

/// The array under `key`, or the value itself when it is a bare array.
pub(crate) fn items(value: &Value, key: &str) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items.clone()),
        Value::Object(map) => map.get(key).and_then(Value::as_array).cloned(),
        _ => None,
    }
}

pub(crate) fn string_field(item: &Value, key: &str) -> String {
    item.get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

pub(crate) fn string_list(item: &Value, key: &str) -> Vec<String> {
    match item.get(key) {
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
        _ => Vec::new(),
    }
}

/// Maps a model's type word (and common synonyms) to a kind.
pub fn parse_kind(word: &str) -> Option<ElementKind> {
    match word.trim().to_lowercase().as_str() {
        "character" | "person" | "people" | "characters" => Some(ElementKind::Character),
        "creature" | "animal" | "monster" | "creatures" => Some(ElementKind::Creature),
        "place" | "location" | "setting" | "places" => Some(ElementKind::Place),
        "item" | "object" | "artifact" | "artefact" | "items" => Some(ElementKind::Item),
        _ => None,
    }
}

/// Parses a pass 1 answer (text, possibly fenced).
pub fn parse_entities(text: &str) -> Result<ParsedEntities, EntitiesJsonError> {
    let value: Value = serde_json::from_str(strip_fence(text))?;
    entities_from_value(&value)
}

/// Parses an already-decoded pass 1 answer.
pub fn entities_from_value(value: &Value) -> Result<ParsedEntities, EntitiesJsonError> {
    let list = items(value, "entities").ok_or(EntitiesJsonError::NoArray)?;
    let mut out = ParsedEntities::default();
    for (i, item) in list.iter().enumerate() {
        let name = string_field(item, "name");
        if name.is_empty() {
            out.skipped.push(format!("entity {i}: no name"));
            continue;
        }
        let kind_word = string_field(item, "type");
        let Some(kind) = parse_kind(&kind_word) else {
            out.skipped
                .push(format!("entity `{name}`: unknown type `{kind_word}`"));
            continue;
        };
        out.entities.push(RawEntity {
            aliases: string_list(item, "aliases"),
            description: string_field(item, "description"),
            quote: string_field(item, "quote"),
            mentions: item
                .get("mentions")
                .and_then(Value::as_u64)
                .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            name,
            kind,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrapped_object() {
        let text = r#"{"entities":[{"name":"Elizabeth Bennet","type":"character","aliases":["Lizzy","Eliza"],
            "description":"dark eyes","quote":"She is tolerable"}]}"#;
        let parsed = parse_entities(text).unwrap();
        assert_eq!(parsed.entities.len(), 1);
        let e = &parsed.entities[0];
        assert_eq!(e.name, "Elizabeth Bennet");
        assert_eq!(e.kind, ElementKind::Character);
        assert_eq!(e.aliases, vec!["Lizzy", "Eliza"]);
        assert_eq!(e.quote, "She is tolerable");
    }

    #[test]
    fn tolerates_bare_array_fence_and_missing_fields() {
        let text = "```json\n[{\"name\":\"Netherfield\",\"type\":\"location\"}]\n```";
        let parsed = parse_entities(text).unwrap();
        assert_eq!(parsed.entities[0].kind, ElementKind::Place);
        assert!(parsed.entities[0].aliases.is_empty());
        assert_eq!(parsed.entities[0].description, "");
    }

    #[test]
    fn unknown_types_are_skipped_with_reason() {
        let text = r#"{"entities":[{"name":"Love","type":"emotion"},{"type":"item"},{"name":"Sword","type":"item"}]}"#;
        let parsed = parse_entities(text).unwrap();
        assert_eq!(parsed.entities.len(), 1);
        assert_eq!(parsed.skipped.len(), 2);
        assert!(parsed.skipped[0].contains("emotion"));
    }

    #[test]
    fn object_without_array_is_an_error() {
        assert!(matches!(
            parse_entities(r#"{"cast":1}"#),
            Err(EntitiesJsonError::NoArray)
        ));
        assert!(parse_entities("not json").is_err());
    }
}
