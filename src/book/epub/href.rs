//! Resolving hrefs inside an EPUB: percent-decoded, relative to the document that holds them,
//! and never above the archive root (a `../` that would escape is refused, not followed).

use percent_encoding::percent_decode_str;

/// A target inside the archive: the entry path and the `#fragment`, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub path: String,
    pub fragment: Option<String>,
}

/// The folder of an archive path, with a trailing slash ("" at the root).
pub(crate) fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

/// Resolves `href` found in the document at `doc_path`. `None` for external links (a scheme
/// such as `http:`), empty hrefs and paths that climb out of the archive.
pub(crate) fn resolve(doc_path: &str, href: &str) -> Option<Target> {
    let href = href.trim();
    let (path_part, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(decode(f)).filter(|f| !f.is_empty())),
        None => (href, None),
    };
    if has_scheme(path_part) {
        return None;
    }
    let decoded = decode(path_part.split('?').next().unwrap_or_default());
    let joined = if decoded.is_empty() {
        // "#anchor" alone points into the document that holds it.
        doc_path.to_string()
    } else if let Some(absolute) = decoded.strip_prefix('/') {
        absolute.to_string()
    } else {
        format!("{}{decoded}", folder_of(doc_path))
    };
    let path = normalise(&joined)?;
    (!path.is_empty()).then_some(Target { path, fragment })
}

/// Removes `.` and `..` segments; `None` if `..` would leave the root.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(path: &str, fragment: Option<&str>) -> Option<Target> {
        Some(Target {
            path: path.into(),
            fragment: fragment.map(Into::into),
        })
    }

    #[test]
    fn relative_hrefs_resolve_against_the_folder() {
        assert_eq!(
            resolve("OEBPS/content.opf", "text/ch1.xhtml"),
            t("OEBPS/text/ch1.xhtml", None)
        );
        assert_eq!(
            resolve("OEBPS/text/nav.xhtml", "../ch1.xhtml#c1"),
            t("OEBPS/ch1.xhtml", Some("c1"))
        );
        assert_eq!(resolve("content.opf", "./a/./b.html"), t("a/b.html", None));
        assert_eq!(resolve("x/y.opf", "/root.html"), t("root.html", None));
    }

    #[test]
    fn hrefs_are_percent_decoded() {
        assert_eq!(
            resolve("book.opf", "My%20Book/ch%C3%A9.xhtml#a%20b"),
            t("My Book/ché.xhtml", Some("a b"))
        );
    }

    #[test]
    fn escaping_the_root_is_refused() {
        assert_eq!(resolve("book.opf", "../etc/passwd"), None);
        assert_eq!(resolve("OEBPS/book.opf", "../../x.html"), None);
        assert_eq!(resolve("OEBPS/book.opf", "..\\..\\x.html"), None);
    }

    #[test]
    fn external_links_and_fragments() {
        assert_eq!(resolve("a.opf", "http://example.com/x.html"), None);
        assert_eq!(resolve("a.opf", "mailto:a@b"), None);
        assert_eq!(
            resolve("OEBPS/ch1.xhtml", "#note"),
            t("OEBPS/ch1.xhtml", Some("note"))
        );
        assert_eq!(resolve("a.opf", ""), t("a.opf", None));
        assert_eq!(folder_of("OEBPS/text/a.xhtml"), "OEBPS/text/");
        assert_eq!(folder_of("a.xhtml"), "");
    }
}
