//! How many scenes a chapter gets: one image per `pages_per_image` pages of ~300 words.

/// Words on one printed page, the unit `pages_per_image` counts in.
pub const WORDS_PER_PAGE: usize = 300;
/// Default `pagesPerImage`.
pub const DEFAULT_PAGES_PER_IMAGE: usize = 10;

/// Scenes for a chapter of `words` words: `max(1, ceil(words / (300 × pages_per_image)))`,
/// capped by `limit` when given. A `pages_per_image` of 0 is treated as 1 so it cannot divide by 0.
pub fn scenes_for(words: usize, pages_per_image: usize, limit: Option<usize>) -> usize {
    let per_image = WORDS_PER_PAGE * pages_per_image.max(1);
    let wanted = words.div_ceil(per_image).max(1);
    match limit {
        Some(cap) => wanted.min(cap.max(1)),
        None => wanted,
    }
}

/// Words in `text`, counted as whitespace-separated runs.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_chapter_gets_one_scene() {
        assert_eq!(scenes_for(0, 10, None), 1);
        assert_eq!(scenes_for(120, 10, None), 1);
    }

    #[test]
    fn rounds_up_per_three_thousand_words() {
        assert_eq!(scenes_for(3000, 10, None), 1);
        assert_eq!(scenes_for(3001, 10, None), 2);
        assert_eq!(scenes_for(7000, 5, None), 5);
    }

    #[test]
    fn limit_caps_the_count() {
        assert_eq!(scenes_for(30_000, 1, Some(3)), 3);
        assert_eq!(scenes_for(30_000, 1, None), 100);
    }

    #[test]
    fn counts_words() {
        assert_eq!(word_count("  It is a truth\nuniversally  "), 5);
    }
}
