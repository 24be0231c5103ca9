//! Reading the scenes back out of the old tool's `Chapters.md`, for state files that predate
//! `sceneConcepts`. The old layout, per chapter and scene:
//!
//! ```text
//! ### <chapter title>
//! #### Scene <k>
//! **Pages:** …
//! **Source Text:**
//! > <quote>
//! **Visual Elements:** <description>
//! **Generated Image:** [View Image](<path or url>)
//! ---
//! ```

/// A chapter section of the old `Chapters.md`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct MdChapter {
    pub title: String,
    pub scenes: Vec<MdScene>,
}

/// A scene of the old `Chapters.md`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct MdScene {
    pub quote: String,
    pub description: String,
    pub image: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    None,
    Quote,
    Description,
}

/// Parses the old `Chapters.md` text. Anything outside the known layout is ignored.
pub(crate) fn parse(text: &str) -> Vec<MdChapter> {
    let mut chapters: Vec<MdChapter> = Vec::new();
    let mut mode = Mode::None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix("### ") {
            chapters.push(MdChapter {
                title: title.trim().to_string(),
                scenes: Vec::new(),
            });
            mode = Mode::None;
            continue;
        }
        if trimmed.starts_with("## ") || trimmed.starts_with("# ") || trimmed == "---" {
            mode = Mode::None;
            continue;
        }
        let Some(chapter) = chapters.last_mut() else {
            continue;
        };
        if trimmed.starts_with("#### ") {
            chapter.scenes.push(MdScene::default());
            mode = Mode::None;
            continue;
        }
        let Some(scene) = chapter.scenes.last_mut() else {
            continue;
        };
        if let Some(rest) = trimmed.strip_prefix("**Source Text:**") {
            mode = Mode::Quote;
            push_line(&mut scene.quote, strip_quote_mark(rest));
        } else if let Some(rest) = trimmed.strip_prefix("**Visual Elements:**") {
            mode = Mode::Description;
            push_line(&mut scene.description, rest.trim());
        } else if let Some(rest) = trimmed.strip_prefix("**Generated Image:**") {
            mode = Mode::None;
            scene.image = link_target(rest);
        } else if trimmed.starts_with("**") {
            mode = Mode::None;
        } else if trimmed.is_empty() {
            // A blank line ends a quote or description paragraph.
            mode = Mode::None;
        } else {
            match mode {
                Mode::Quote => push_line(&mut scene.quote, strip_quote_mark(trimmed)),
                Mode::Description => push_line(&mut scene.description, trimmed),
                Mode::None => {}
            }
        }
    }
    chapters
}

fn strip_quote_mark(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix('>').map_or(text, str::trim_start)
}

fn push_line(to: &mut String, line: &str) {
    if line.is_empty() {
        return;
    }
    if !to.is_empty() {
        to.push('\n');
    }
    to.push_str(line);
}

/// The target of the last Markdown link in `text`: `[View Image](./a.png)` → `./a.png`.
fn link_target(text: &str) -> Option<String> {
    let start = text.rfind("](")? + 2;
    let end = start + text[start..].find(')')?;
    let target = text[start..end].trim();
    (!target.is_empty()).then(|| target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scenes_quotes_descriptions_and_images() {
        let text = "# Chapters - Book\n\n## Visual Scenes by Chapter\n\n---\n\n\
            ### Chapter 1: Start\n\n#### Scene 1\n\n**Pages:** 1-2\n\n\
            **Source Text:**\n> It was dark.\nStill dark.\n\n\
            **Visual Elements:** A dark room.\n\n\
            **Generated Image:** [View Image](./chapter_1_scene_1.png)\n\n---\n\n\
            #### Scene 2\n\n**Source Text:**\n> Light came.\n\n**Visual Elements:** Dawn.\n\n---\n\n\
            ### Chapter 2: End\n\n#### Scene 1\n\n**Source Text:**\n> Bye.\n\n";
        let chapters = parse(text);
        assert_eq!(chapters.len(), 2);
        assert_eq!(chapters[0].title, "Chapter 1: Start");
        assert_eq!(chapters[0].scenes.len(), 2);
        assert_eq!(chapters[0].scenes[0].quote, "It was dark.\nStill dark.");
        assert_eq!(chapters[0].scenes[0].description, "A dark room.");
        assert_eq!(
            chapters[0].scenes[0].image.as_deref(),
            Some("./chapter_1_scene_1.png")
        );
        assert_eq!(chapters[0].scenes[1].image, None);
        assert_eq!(chapters[1].scenes[0].quote, "Bye.");
    }
}
