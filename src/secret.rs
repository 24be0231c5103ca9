//! `Secret`: an API key that can only be printed redacted (`sk-…abcd`), so it never lands in a
//! log, an error, progress.md or the manifest by accident.

use std::fmt;

/// A credential. `Debug` and `Display` show only a redacted form; `expose` is the one way to
/// the real value, for building request headers.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk-…abcd`: the prefix before the first `-` (if short) and the last four characters.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

/// Redacts a key for display: keeps a short prefix such as `sk-` and the last four characters.
pub fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "…".to_string();
    }
    let prefix: String = match key.find('-') {
        Some(i) if i <= 3 => key[..=i].to_string(),
        _ => String::new(),
    };
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{tail}")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_key() {
        let key = Secret::new("sk-proj-1234567890abcdef");
        assert_eq!(key.to_string(), "sk-…cdef");
        assert_eq!(format!("{key:?}"), "Secret(sk-…cdef)");
        assert!(!format!("{key} {key:?}").contains("1234567890"));
        assert_eq!(key.expose(), "sk-proj-1234567890abcdef");
    }

    #[test]
    fn short_keys_are_fully_hidden() {
        assert_eq!(redact("abc"), "…");
        assert_eq!(redact("AIzaSyD0123456789"), "…6789");
    }
}
