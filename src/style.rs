//! The book's style guide (art style, medium, palette, era and setting, framing): set in config
//! (`style:`, a string or a map), by `imaginize style --set`, or asked of the text model once at
//! the end of pass 1 and recorded in `style.json` (docs/ARCHITECTURE.md §3). Every image prompt
//! carries its `line()` verbatim, so one book looks like one book.

use crate::store::{self, layout};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The style guide. Empty fields are left out of prompts and files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "StyleInput")]
pub struct Style {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub art_style: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub medium: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub palette: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub era_setting: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub framing: String,
    /// Appearance cards may invent what the book does not say (otherwise they say "not
    /// described in the book").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invent: bool,
}

/// What config and `style.json` may hold: a plain string (the whole art style) or the fields.
/// Read by hand rather than as an untagged enum, so a misspelt field is named in the error
/// ("unknown field `artStyl`, expected one of …") instead of "did not match any variant".
enum StyleInput {
    Text(String),
    Fields(Fields),
}

impl<'de> Deserialize<'de> for StyleInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> serde::de::Visitor<'de> for InputVisitor {
    type Value = StyleInput;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a style as text, or a map of artStyle, medium, palette, era, framing, invent")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<StyleInput, E> {
        Ok(StyleInput::Text(text.to_string()))
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<StyleInput, M::Error> {
        Fields::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(StyleInput::Fields)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Fields {
    #[serde(default, alias = "style")]
    art_style: String,
    #[serde(default)]
    medium: String,
    #[serde(default, alias = "colours", alias = "colors")]
    palette: String,
    #[serde(default, alias = "era", alias = "setting")]
    era_setting: String,
    #[serde(default)]
    framing: String,
    #[serde(default)]
    invent: bool,
}

impl From<StyleInput> for Style {
    fn from(input: StyleInput) -> Style {
        match input {
            StyleInput::Text(text) => Style::text(&text),
            StyleInput::Fields(f) => Style {
                art_style: f.art_style.trim().to_string(),
                medium: f.medium.trim().to_string(),
                palette: f.palette.trim().to_string(),
                era_setting: f.era_setting.trim().to_string(),
                framing: f.framing.trim().to_string(),
                invent: f.invent,
            },
        }
    }
}

/// The labels of the fields, as shown in Elements.md and accepted by `--set "label: value"`.
const LABELS: [&str; 5] = [
    "Art style",
    "Medium",
    "Palette",
    "Era and setting",
    "Framing",
];

impl Style {
    /// A style given as one free text: all of it is the art style.
    pub fn text(text: &str) -> Style {
        Style {
            art_style: one_line(text),
            ..Style::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_empty())
    }

    /// `(label, value)` of every field, in order.
    pub fn fields(&self) -> [(&'static str, &str); 5] {
        [
            (LABELS[0], &self.art_style),
            (LABELS[1], &self.medium),
            (LABELS[2], &self.palette),
            (LABELS[3], &self.era_setting),
            (LABELS[4], &self.framing),
        ]
    }

    fn field_mut(&mut self, label: &str) -> Option<&mut String> {
        match label.trim().to_lowercase().as_str() {
            "art style" | "style" => Some(&mut self.art_style),
            "medium" => Some(&mut self.medium),
            "palette" | "colours" | "colors" => Some(&mut self.palette),
            "era and setting" | "era" | "setting" => Some(&mut self.era_setting),
            "framing" => Some(&mut self.framing),
            _ => None,
        }
    }

    /// The one line every image prompt carries: a free-text style as given, else each field
    /// with its label.
    pub fn line(&self) -> String {
        let set: Vec<(&str, &str)> = self
            .fields()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        match set.as_slice() {
            [(label, value)] if *label == LABELS[0] => (*value).to_string(),
            _ => set
                .iter()
                .map(|(label, value)| format!("{}: {value}", label.to_lowercase()))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// `--set`'s text applied to `self`: "label: value; label: value" changes those fields
    /// (`invent: yes` too); any other text replaces the whole style as its art style.
    pub fn with_set(&self, text: &str) -> Style {
        let parts: Vec<&str> = text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut out = self.clone();
        for part in &parts {
            let Some((label, value)) = part.split_once(':') else {
                return Style::text(text);
            };
            if label.trim().eq_ignore_ascii_case("invent") {
                out.invent = matches!(value.trim().to_lowercase().as_str(), "yes" | "true" | "1");
                continue;
            }
            match out.field_mut(label) {
                Some(field) => *field = one_line(value),
                None => return Style::text(text),
            }
        }
        if parts.is_empty() {
            return Style::default();
        }
        out
    }
}

/// The style in a model's answer (`{"style": {...}}` or the fields bare); extra keys are
/// ignored, a missing field stays empty. `None` when no field is given.
pub fn from_answer(value: &serde_json::Value) -> Option<Style> {
    let fields = value
        .get("style")
        .filter(|v| v.is_object())
        .unwrap_or(value);
    let read = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| fields.get(*k).and_then(serde_json::Value::as_str))
            .map(one_line)
            .unwrap_or_default()
    };
    let style = Style {
        art_style: read(&["artStyle", "art_style", "art style", "style"]),
        medium: read(&["medium"]),
        palette: read(&["palette", "colours", "colors"]),
        era_setting: read(&[
            "eraSetting",
            "era_setting",
            "era and setting",
            "era",
            "setting",
        ]),
        framing: read(&["framing"]),
        invent: false,
    };
    (!style.is_empty()).then_some(style)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Who chose the style recorded in `style.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `imaginize style --set`: the user, for this folder; wins over config.
    Set,
    /// The text model (or the builtin analyzer) from the book; config wins over it.
    Book,
}

/// `style.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleFile {
    pub source: Source,
    pub style: Style,
}

/// The style in effect: one set for this folder, else the config's, else the book's.
pub fn effective(config: Option<&Style>, saved: Option<&StyleFile>) -> Option<Style> {
    let config = config.filter(|s| !s.is_empty());
    let saved = saved.filter(|f| !f.style.is_empty());
    match (saved, config) {
        (Some(file), _) if file.source == Source::Set => Some(file.style.clone()),
        (_, Some(config)) => Some(config.clone()),
        (saved, None) => saved.map(|f| f.style.clone()),
    }
}

/// Why `style.json` could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is damaged: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "internal error: cannot encode the style guide; this is a bug in imaginize, please report it"
    )]
    Encode(#[source] serde_json::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Reads `style.json`; `None` when there is none.
pub fn read(out: &Path) -> Result<Option<StyleFile>, FileError> {
    let path = layout::style_path(out);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(FileError::Read { path, source }),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| FileError::Corrupt { path, source })
}

/// Writes `style.json` atomically.
pub fn write(out: &Path, file: &StyleFile) -> Result<(), FileError> {
    let bytes = serde_json::to_vec_pretty(file).map_err(FileError::Encode)?;
    Ok(store::atomic::write(&layout::style_path(out), &bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guide() -> Style {
        Style {
            art_style: "pen and ink".into(),
            palette: "sepia".into(),
            ..Style::default()
        }
    }

    #[test]
    fn config_takes_a_string_or_a_map() {
        let text: Style = serde_json::from_str("\"  watercolour,\\n soft light \"").unwrap();
        assert_eq!(text.line(), "watercolour, soft light");
        let map: Style = serde_json::from_str(
            r#"{"artStyle": "pen and ink", "palette": "sepia", "era": "1810s"}"#,
        )
        .unwrap();
        assert_eq!(
            map.line(),
            "art style: pen and ink; palette: sepia; era and setting: 1810s"
        );
        assert!(serde_json::from_str::<Style>(r#"{"colour": "x"}"#).is_err());
        // What is written reads back the same.
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(serde_json::from_str::<Style>(&json).unwrap(), map);
    }

    #[test]
    fn a_models_answer_is_read_leniently() {
        let answer = serde_json::json!({"style": {"artStyle": "etching", "era_setting": "1810s",
            "notes": "ignored"}});
        let style = from_answer(&answer).unwrap_or_default();
        assert_eq!(
            (style.art_style.as_str(), style.era_setting.as_str()),
            ("etching", "1810s")
        );
        assert_eq!(from_answer(&serde_json::json!({"style": {}})), None);
    }

    #[test]
    fn set_changes_named_fields_or_replaces_the_whole() {
        let changed = guide().with_set("palette: deep greens; framing: wide shot; invent: yes");
        assert_eq!(changed.palette, "deep greens");
        assert_eq!(changed.framing, "wide shot");
        assert_eq!(changed.art_style, "pen and ink");
        assert!(changed.invent);
        let replaced = guide().with_set("oil painting: dark and moody");
        assert_eq!(replaced, Style::text("oil painting: dark and moody"));
    }

    #[test]
    fn a_folders_set_style_beats_config_which_beats_the_books() {
        let config = Style::text("from config");
        let file = |source| StyleFile {
            source,
            style: guide(),
        };
        assert_eq!(
            effective(Some(&config), Some(&file(Source::Set))),
            Some(guide())
        );
        assert_eq!(
            effective(Some(&config), Some(&file(Source::Book))),
            Some(config.clone())
        );
        assert_eq!(effective(None, Some(&file(Source::Book))), Some(guide()));
        assert_eq!(effective(None, None), None);
    }
}
