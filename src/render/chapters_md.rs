//! Chapters.md: every analysed chapter's scenes with their quotes and images.

use crate::analyze::model::{ChapterScenes, Scene};
use std::fmt::Write;

/// Renders Chapters.md from the chapters analysed so far, in the order given.
pub fn chapters_md(title: &str, chapters: &[ChapterScenes]) -> String {
    let mut out = format!("# Chapters - {title}\n\n");
    for chapter in chapters {
        let _ = writeln!(out, "### Chapter {}: {}\n", chapter.chapter, chapter.title);
        for scene in &chapter.scenes {
            render_scene(&mut out, scene);
        }
    }
    out
}

fn render_scene(out: &mut String, s: &Scene) {
    let _ = writeln!(out, "#### Scene {}\n", s.scene);
    out.push_str("**Source Text:**\n\n");
    for line in s.quote.lines() {
        if line.trim().is_empty() {
            out.push_str(">\n");
        } else {
            let _ = writeln!(out, "> {line}");
        }
    }
    out.push('\n');
    let _ = writeln!(out, "**Visual Elements:** {}\n", s.description);
    if !s.mood.is_empty() {
        let _ = writeln!(out, "**Mood:** {}\n", s.mood);
    }
    if !s.elements.is_empty() {
        let _ = writeln!(out, "**Elements:** {}\n", s.elements.join(", "));
    }
    if let Some(reason) = &s.rejected {
        let _ = writeln!(out, "**Image:** rejected — {reason}\n");
    } else if s.user_rejected {
        // Kept on disk but marked, so the reader sees why the compiled book lacks it.
        let image = s.image.as_deref().unwrap_or("no image");
        let _ = writeln!(out, "**Image:** rejected in review (kept as `{image}`)\n");
    } else if let Some(image) = &s.image {
        let _ = writeln!(out, "**Generated Image:** ![Scene {}]({image})\n", s.scene);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ChapterKey, ChapterNo, SceneNo};

    fn scene(n: u32, quote: &str) -> Scene {
        Scene {
            scene: SceneNo(n),
            quote: quote.into(),
            description: "A drawing room".into(),
            mood: "wry".into(),
            lighting: "morning".into(),
            elements: vec!["Mr. Bennet".into(), "Mrs. Bennet".into()],
            image: None,
            rejected: None,
            user_rejected: false,
        }
    }

    #[test]
    fn renders_scenes_images_and_rejections() {
        let mut with_image = scene(1, "First line.\n\nSecond paragraph.");
        with_image.image = Some("images/chapter_1_scene_1.png".into());
        let mut rejected = scene(2, "Quote two.");
        rejected.rejected = Some("content policy".into());
        let chapters = [ChapterScenes {
            chapter: ChapterNo(1),
            key: ChapterKey("c1".into()),
            title: "Chapter I".into(),
            scenes: vec![with_image, rejected, scene(3, "Quote three.")],
        }];
        let expected = "# Chapters - P&P\n\n### Chapter 1: Chapter I\n\n#### Scene 1\n\n\
**Source Text:**\n\n> First line.\n>\n> Second paragraph.\n\n**Visual Elements:** A drawing room\n\n\
**Mood:** wry\n\n**Elements:** Mr. Bennet, Mrs. Bennet\n\n\
**Generated Image:** ![Scene 1](images/chapter_1_scene_1.png)\n\n#### Scene 2\n\n\
**Source Text:**\n\n> Quote two.\n\n**Visual Elements:** A drawing room\n\n**Mood:** wry\n\n\
**Elements:** Mr. Bennet, Mrs. Bennet\n\n**Image:** rejected — content policy\n\n#### Scene 3\n\n\
**Source Text:**\n\n> Quote three.\n\n**Visual Elements:** A drawing room\n\n**Mood:** wry\n\n\
**Elements:** Mr. Bennet, Mrs. Bennet\n\n";
        assert_eq!(chapters_md("P&P", &chapters), expected);
    }

    #[test]
    fn marks_a_scene_rejected_in_review() {
        let mut set_aside = scene(1, "Quote.");
        set_aside.image = Some("images/chapter_1_scene_1.png".into());
        set_aside.user_rejected = true;
        let chapters = [ChapterScenes {
            chapter: ChapterNo(1),
            key: ChapterKey("c1".into()),
            title: "I".into(),
            scenes: vec![set_aside],
        }];
        let text = chapters_md("T", &chapters);
        assert!(
            text.contains("**Image:** rejected in review (kept as `images/chapter_1_scene_1.png`)"),
            "{text}"
        );
        assert!(!text.contains("![Scene 1]"), "{text}");
    }
}
