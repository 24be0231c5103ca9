//! Repairs the JSON language models actually send: code fences and prose around it, trailing
//! commas, single quotes, invalid escapes, unescaped inner quotes and truncated tails.

use serde_json::Value;

/// How many `{`/`[` starting points we try before giving up; prose rarely holds more brackets.
const MAX_STARTS: usize = 8;

/// Parses `text` as JSON, repairing what can be repaired. The error says why it could not.
pub fn parse(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
        return Ok(v);
    }
    let body = strip_fences(text);
    if let Ok(v) = serde_json::from_str::<Value>(body.trim()) {
        return Ok(v);
    }
    let chars: Vec<char> = body.chars().collect();
    let starts = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == '{' || **c == '[')
        .map(|(i, _)| i)
        .take(MAX_STARTS);
    let mut last_err = "no JSON object or array found".to_string();
    for start in starts {
        match repair_from(&chars[start..]).and_then(|s| {
            serde_json::from_str::<Value>(&s).map_err(|e| format!("{e} in repaired text"))
        }) {
            Ok(v) => return Ok(v),
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// Returns the object under `key`, wrapping a bare array (models often drop the envelope).
pub fn expect_object_with_key(value: Value, key: &str) -> Result<Value, String> {
    match value {
        Value::Array(items) => Ok(serde_json::json!({ key: items })),
        Value::Object(map) if map.contains_key(key) => Ok(Value::Object(map)),
        Value::Object(map) => {
            // A single wrapper object such as {"result": {"entities": [...]}} is common too.
            let inner = map.into_iter().find_map(|(_, v)| match v {
                Value::Object(m) if m.contains_key(key) => Some(Value::Object(m)),
                _ => None,
            });
            inner.ok_or_else(|| format!("the JSON object has no `{key}` field"))
        }
        other => Err(format!(
            "expected a JSON object with `{key}`, got {}",
            kind_of(&other)
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The inside of the first ``` fence, or the whole text when there is none.
fn strip_fences(text: &str) -> &str {
    let Some(open) = text.find("```") else {
        return text;
    };
    let after = &text[open + 3..];
    // Skip the language tag ("json") up to the end of the fence line.
    let body = match after.find('\n') {
        Some(nl) => &after[nl + 1..],
        None => after,
    };
    match body.find("```") {
        Some(close) => &body[..close],
        None => body,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Key,
    AfterKey,
    Value,
    AfterValue,
}

struct Frame {
    close: char,
    slot: Slot,
}

/// Rewrites `input` (starting at `{` or `[`) into valid JSON text.
fn repair_from(input: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(input.len() + 8);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '{' | '[' => {
                out.push(c);
                if let Some(parent) = stack.last_mut() {
                    parent.slot = Slot::AfterValue;
                }
                let (close, slot) = if c == '{' {
                    ('}', Slot::Key)
                } else {
                    (']', Slot::Value)
                };
                stack.push(Frame { close, slot });
                i += 1;
            }
            '}' | ']' => {
                let Some(frame) = stack.pop() else { break };
                finish_frame(&mut out, &frame);
                i += 1;
                match stack.last_mut() {
                    Some(parent) => parent.slot = Slot::AfterValue,
                    None => return Ok(out),
                }
            }
            ',' => {
                if let Some(top) = stack.last_mut() {
                    if !out.ends_with(',') && !out.ends_with('{') && !out.ends_with('[') {
                        out.push(',');
                    }
                    top.slot = if top.close == '}' {
                        Slot::Key
                    } else {
                        Slot::Value
                    };
                }
                i += 1;
            }
            ':' => {
                out.push(':');
                if let Some(top) = stack.last_mut() {
                    top.slot = Slot::Value;
                }
                i += 1;
            }
            '"' | '\'' => {
                i = read_string(input, i, &mut out);
                if let Some(top) = stack.last_mut() {
                    top.slot = if top.slot == Slot::Key {
                        Slot::AfterKey
                    } else {
                        Slot::AfterValue
                    };
                }
            }
            _ => {
                let as_key = stack.last().is_some_and(|t| t.slot == Slot::Key);
                i = read_bare(input, i, as_key, &mut out)?;
                if let Some(top) = stack.last_mut() {
                    top.slot = if as_key {
                        Slot::AfterKey
                    } else {
                        Slot::AfterValue
                    };
                }
            }
        }
    }
    close_tail(&mut out, &mut stack);
    Ok(out)
}

/// Closes whatever a truncated answer left open.
fn close_tail(out: &mut String, stack: &mut Vec<Frame>) {
    while let Some(frame) = stack.pop() {
        finish_frame(out, &frame);
    }
}

/// Completes a dangling key or value, drops a trailing comma and closes the frame.
fn finish_frame(out: &mut String, frame: &Frame) {
    match frame.slot {
        Slot::AfterKey => out.push_str(":null"),
        Slot::Value if frame.close == '}' => out.push_str("null"),
        _ => {
            if out.ends_with(',') {
                out.pop();
            }
        }
    }
    out.push(frame.close);
}

/// Whether a quote at `i` really ends the string: only structure (or the end) may follow it.
fn closes_string(input: &[char], i: usize) -> bool {
    let next = input[i + 1..].iter().find(|c| !c.is_whitespace());
    matches!(next, None | Some(',' | ':' | '}' | ']'))
}

/// Copies one string (double- or single-quoted) as a valid JSON string; returns the next index.
fn read_string(input: &[char], start: usize, out: &mut String) -> usize {
    let quote = input[start];
    out.push('"');
    let mut i = start + 1;
    while i < input.len() {
        let c = input[i];
        if c == quote && closes_string(input, i) {
            out.push('"');
            return i + 1;
        }
        match c {
            '\\' => i = copy_escape(input, i, quote, out),
            '"' => {
                out.push_str("\\\"");
                i += 1;
            }
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Truncated inside the string: close it.
    out.push('"');
    i
}

/// Copies the escape at `i` (a backslash), fixing invalid ones; returns the next index.
fn copy_escape(input: &[char], i: usize, quote: char, out: &mut String) -> usize {
    let Some(&next) = input.get(i + 1) else {
        return i + 1; // a lone backslash at a truncated end is dropped
    };
    match next {
        '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => {
            out.push('\\');
            out.push(next);
            i + 2
        }
        'u' => {
            let hex: String = input.iter().skip(i + 2).take(4).collect();
            if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                out.push_str("\\u");
                out.push_str(&hex);
                i + 6
            } else if i + 2 + hex.chars().count() >= input.len() {
                input.len() // truncated escape at the end: drop it
            } else {
                out.push_str("\\\\u");
                i + 2
            }
        }
        '\'' if quote == '\'' => {
            out.push('\'');
            i + 2
        }
        other => {
            // An invalid escape such as \' or \d keeps its backslash as a literal one.
            out.push_str("\\\\");
            if other == '"' {
                out.push('\\');
            }
            i + 1
        }
    }
}

/// Copies a number or literal, completing one cut off at the end, or quotes an unquoted key;
/// returns the next index.
fn read_bare(
    input: &[char],
    start: usize,
    as_key: bool,
    out: &mut String,
) -> Result<usize, String> {
    let mut end = start;
    while end < input.len()
        && !matches!(input[end], ',' | ':' | '}' | ']' | '"' | '\'' | '{' | '[')
        && !input[end].is_whitespace()
    {
        end += 1;
    }
    let word: String = input[start..end].iter().collect();
    let truncated = end == input.len();
    if as_key && !word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || c == '_') {
        out.push('"');
        out.push_str(&word);
        out.push('"');
        return Ok(end);
    }
    let fixed = match word.as_str() {
        "true" | "True" => "true".to_string(),
        "false" | "False" => "false".to_string(),
        "null" | "None" => "null".to_string(),
        w if truncated && !w.is_empty() && "true".starts_with(w) => "true".to_string(),
        w if truncated && !w.is_empty() && "false".starts_with(w) => "false".to_string(),
        w if truncated && !w.is_empty() && "null".starts_with(w) => "null".to_string(),
        w if looks_numeric(w) => complete_number(w),
        w => {
            return Err(format!(
                "unexpected `{}`",
                w.chars().take(20).collect::<String>()
            ));
        }
    };
    out.push_str(&fixed);
    Ok(end)
}

fn looks_numeric(w: &str) -> bool {
    w.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
}

/// `-` → `-0`, `1.` → `1.0`, `1e` / `1e+` → `1e0` / `1e+0`: tails a truncation leaves behind.
fn complete_number(w: &str) -> String {
    let mut s = w.to_string();
    if s.ends_with(['-', '+', '.', 'e', 'E']) {
        s.push('0');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn strips_fences_and_prose() {
        let text = "Sure! Here it is:\n```json\n{\"entities\": []}\n```\nHope this helps.";
        assert_eq!(parse(text), Ok(json!({"entities": []})));
        let prose = "The answer [see below] is {\"a\": 1} as requested.";
        assert_eq!(parse(prose), Ok(json!({"a": 1})));
    }

    #[test]
    fn quotes_unquoted_keys() {
        assert_eq!(
            parse("{name: 'Jane', age: 20}"),
            Ok(json!({"name": "Jane", "age": 20}))
        );
    }

    #[test]
    fn drops_trailing_commas() {
        assert_eq!(parse("{\"a\": [1, 2,], }"), Ok(json!({"a": [1, 2]})));
    }

    #[test]
    fn converts_single_quotes_and_python_literals() {
        assert_eq!(
            parse("{'name': 'Mr. Darcy', 'it': 'it's fine', 'ok': True, 'x': None}"),
            Ok(json!({"name": "Mr. Darcy", "it": "it's fine", "ok": true, "x": null}))
        );
    }

    #[test]
    fn fixes_invalid_escapes_and_raw_newlines() {
        assert_eq!(
            parse("{\"a\": \"C:\\d \\' x\ny\"}"),
            Ok(json!({"a": "C:\\d \\' x\ny"}))
        );
    }

    #[test]
    fn escapes_unescaped_inner_quotes() {
        assert_eq!(
            parse(r#"{"quote": "She said "no" and left.", "n": 1}"#),
            Ok(json!({"quote": "She said \"no\" and left.", "n": 1}))
        );
    }

    #[test]
    fn closes_truncated_tails() {
        assert_eq!(
            parse(r#"{"entities": [{"name": "Eliza"#),
            Ok(json!({"entities": [{"name": "Eliza"}]}))
        );
        assert_eq!(parse(r#"{"a": [1, 2"#), Ok(json!({"a": [1, 2]})));
        assert_eq!(parse(r#"{"a": tr"#), Ok(json!({"a": true})));
        assert_eq!(parse(r#"{"a": 1.5e"#), Ok(json!({"a": 1.5})));
        assert_eq!(parse(r#"{"a": "x\u00"#), Ok(json!({"a": "x"})));
        assert_eq!(parse(r#"{"a": "b", "c"#), Ok(json!({"a": "b", "c": null})));
    }

    #[test]
    fn rejects_what_cannot_be_saved() {
        assert!(parse("I cannot help with that.").is_err());
        assert!(parse("{this is not json at all}").is_err());
    }

    #[test]
    fn wraps_bare_arrays() {
        let v = parse(r#"[{"name": "Jane"}]"#).and_then(|v| expect_object_with_key(v, "entities"));
        assert_eq!(v, Ok(json!({"entities": [{"name": "Jane"}]})));
        assert!(expect_object_with_key(json!({"x": 1}), "entities").is_err());
        assert!(expect_object_with_key(json!("s"), "entities").is_err());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6).prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                prop::collection::btree_map("[a-z\"' ]{0,6}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn valid_json_survives_unchanged(v in json_value()) {
            let text = serde_json::to_string_pretty(&v).unwrap_or_default();
            // Compared with serde_json's own reading, which may round the last float digit.
            let direct: Value = serde_json::from_str(&text).unwrap_or(v);
            prop_assert_eq!(parse(&text), Ok(direct));
        }

        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
        }

        #[test]
        fn truncated_objects_stay_parseable(
            m in prop::collection::btree_map("[a-z]{1,5}", json_value(), 1..4),
            cut in 0.0f64..1.0,
        ) {
            let text = serde_json::to_string(&Value::Object(m.into_iter().collect())).unwrap_or_default();
            let chars: Vec<char> = text.chars().collect();
            let at = 1 + ((chars.len() - 1) as f64 * cut) as usize;
            let prefix: String = chars[..at].iter().collect();
            prop_assert!(parse(&prefix).is_ok(), "{} failed", prefix);
        }
    }
}
