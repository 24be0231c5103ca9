//! Links in the older MOBI markup point at byte offsets of the text (`<a filepos=0000012345>`)
//! rather than at ids. We put an anchor at each offset that is pointed at and turn the links into
//! ordinary `href="#…"` ones, so the text splits like any HTML document.

use regex::bytes::{Captures, Regex};
use std::collections::BTreeSet;
use std::sync::LazyLock;

static FILEPOS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)filepos\s*=\s*['"]?0*([0-9]{1,10})['"]?"#).expect("static regex")
});

/// `markup` with an anchor at every offset a `filepos` link points at, and those links rewritten.
pub(crate) fn anchor(markup: &[u8]) -> Vec<u8> {
    let targets: BTreeSet<usize> = FILEPOS
        .captures_iter(markup)
        .filter_map(|c| parse(&c))
        .filter(|&t| t <= markup.len())
        .collect();
    let mut out = Vec::with_capacity(markup.len() + targets.len() * 32);
    let mut copied = 0;
    for target in targets {
        let at = outside_tag(markup, target).max(copied);
        out.extend_from_slice(&markup[copied..at]);
        out.extend_from_slice(format!("<a id=\"filepos{target}\"></a>").as_bytes());
        copied = at;
    }
    out.extend_from_slice(&markup[copied..]);
    FILEPOS
        .replace_all(&out, |c: &Captures<'_>| {
            let target = parse(c).unwrap_or(0);
            format!("href=\"#filepos{target}\"").into_bytes()
        })
        .into_owned()
}

fn parse(c: &Captures<'_>) -> Option<usize> {
    std::str::from_utf8(&c[1]).ok()?.parse().ok()
}

/// An offset inside a tag moves to the tag's start, so the anchor does not break the tag.
fn outside_tag(markup: &[u8], at: usize) -> usize {
    let before = &markup[..at];
    match (
        before.iter().rposition(|&b| b == b'<'),
        before.iter().rposition(|&b| b == b'>'),
    ) {
        (Some(open), Some(close)) if open > close => open,
        (Some(open), None) => open,
        _ => at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_point_at_anchors_placed_at_their_offsets() {
        let markup = b"<p><a filepos=0000000036>One</a></p><h2>One</h2>";
        let got = String::from_utf8(anchor(markup)).expect("utf8");
        assert_eq!(
            got,
            "<p><a href=\"#filepos36\">One</a></p><a id=\"filepos36\"></a><h2>One</h2>"
        );
    }

    #[test]
    fn offsets_inside_tags_or_past_the_end_are_safe() {
        let got = anchor(b"<p class=x filepos=3>a</p>");
        assert!(got.starts_with(b"<a id=\"filepos3\"></a><p"), "{got:?}");
        assert_eq!(
            anchor(b"<a filepos=999>x</a>"),
            b"<a href=\"#filepos999\">x</a>"
        );
    }
}
