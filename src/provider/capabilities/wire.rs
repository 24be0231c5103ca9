//! Reference pictures in the shapes the APIs read them: MIME types, data URLs, file names for
//! multipart parts, Gemini `inline_data` parts and chat `image_url` parts. Pure functions, so
//! each provider's request is tested without a server.

use crate::provider::{ImageFormat, ReferenceImage};
use base64::Engine;
use serde_json::{Value, json};

/// The first `max` references: a caller that sends more than the model takes loses the last
/// ones (the prompt labels them in order, so the first ones are the ones it names first).
pub fn capped(references: &[ReferenceImage], max: usize) -> &[ReferenceImage] {
    &references[..references.len().min(max)]
}

pub fn mime(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "image/png",
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Webp => "image/webp",
    }
}

pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `data:image/png;base64,…`
pub fn data_url(reference: &ReferenceImage) -> String {
    format!(
        "data:{};base64,{}",
        mime(reference.format),
        base64(&reference.bytes)
    )
}

/// The file name of the `index`th (from 1) reference in a multipart request: its number and
/// its label, so the order and who it shows survive in logs ("1-elizabeth-bennet.png").
pub fn file_name(index: usize, reference: &ReferenceImage) -> String {
    let mut slug = String::new();
    for c in reference.label.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(48).collect();
    let ext = reference.format.extension();
    if slug.is_empty() {
        format!("{index}.{ext}")
    } else {
        format!("{index}-{slug}.{ext}")
    }
}

/// Gemini's parts: one `inline_data` per reference, in order, then the prompt.
pub fn gemini_parts(prompt: &str, references: &[ReferenceImage]) -> Vec<Value> {
    let mut parts: Vec<Value> = references
        .iter()
        .map(|r| json!({"inline_data": {"mime_type": mime(r.format), "data": base64(&r.bytes)}}))
        .collect();
    parts.push(json!({"text": prompt}));
    parts
}

/// A chat message's content: the prompt alone as a string (as before references existed), or
/// the prompt then one `image_url` part per reference, in the order the prompt labels them.
pub fn chat_content(prompt: &str, references: &[ReferenceImage]) -> Value {
    if references.is_empty() {
        return json!(prompt);
    }
    let mut parts = vec![json!({"type": "text", "text": prompt})];
    parts.extend(
        references
            .iter()
            .map(|r| json!({"type": "image_url", "image_url": {"url": data_url(r)}})),
    );
    Value::Array(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn reference(label: &str, bytes: &[u8], format: ImageFormat) -> ReferenceImage {
        ReferenceImage {
            label: label.to_string(),
            bytes: Arc::from(bytes),
            format,
        }
    }

    #[test]
    fn file_names_carry_the_order_and_the_label() {
        let r = reference("Elizabeth Bennet", b"x", ImageFormat::Png);
        assert_eq!(file_name(1, &r), "1-elizabeth-bennet.png");
        let r = reference("  Mr. Darcy!  ", b"x", ImageFormat::Jpeg);
        assert_eq!(file_name(2, &r), "2-mr-darcy.jpg");
        let r = reference("…", b"x", ImageFormat::Webp);
        assert_eq!(file_name(3, &r), "3.webp");
    }

    #[test]
    fn gemini_parts_put_pictures_first_then_the_text() {
        let refs = [
            reference("A", b"one", ImageFormat::Png),
            reference("B", b"two", ImageFormat::Jpeg),
        ];
        let parts = gemini_parts("draw", &refs);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0]["inline_data"]["mime_type"], "image/png");
        assert_eq!(parts[0]["inline_data"]["data"], base64(b"one"));
        assert_eq!(parts[1]["inline_data"]["mime_type"], "image/jpeg");
        assert_eq!(parts[2]["text"], "draw");
    }

    #[test]
    fn chat_content_is_a_string_without_references() {
        assert_eq!(chat_content("draw", &[]), json!("draw"));
        let refs = [reference("A", b"one", ImageFormat::Webp)];
        let content = chat_content("draw", &refs);
        assert_eq!(content[0], json!({"type": "text", "text": "draw"}));
        assert_eq!(
            content[1]["image_url"]["url"],
            format!("data:image/webp;base64,{}", base64(b"one"))
        );
    }

    #[test]
    fn capped_keeps_the_first() {
        let refs: Vec<_> = (0..5)
            .map(|i| reference(&i.to_string(), b"x", ImageFormat::Png))
            .collect();
        assert_eq!(capped(&refs, 3).len(), 3);
        assert_eq!(capped(&refs, 3)[2].label, "2");
        assert_eq!(capped(&refs, 16).len(), 5);
    }
}
