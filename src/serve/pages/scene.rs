//! One scene: its chapter, the quote, what to draw, the elements in it, and its image.

use super::{Page, book_nav, escape, url_path};
use crate::analyze::model::{ChapterScenes, Scene};
use std::fmt::Write;

pub fn render(id: &str, title: &str, chapter: &ChapterScenes, scene: &Scene, csrf: &str) -> String {
    let book = escape(id);
    let mut body = format!(
        "<h1>Chapter {n}, scene {s}</h1><p class=\"muted\">{chapter_title}</p>\
         <div class=\"scene\">",
        n = chapter.chapter.0,
        s = scene.scene.0,
        chapter_title = escape(&chapter.title),
    );
    match (&scene.image, &scene.rejected) {
        (Some(image), _) => {
            let _ = write!(
                body,
                "<p><img id=\"scene-image\" src=\"/books/{book}/files/{}\" alt=\"chapter {} scene {}\"></p>",
                escape(&url_path(image)),
                chapter.chapter.0,
                scene.scene.0
            );
        }
        (None, Some(reason)) => {
            let _ = write!(
                body,
                "<p class=\"error\">The provider refused to draw it: {}</p>",
                escape(reason)
            );
        }
        (None, None) => body.push_str("<p class=\"muted\">Not drawn yet.</p>"),
    }
    let _ = write!(
        body,
        "<h2>Quote</h2><blockquote>{}</blockquote><h2>Description</h2><p>{}</p>",
        escape(&scene.quote),
        escape(&scene.description)
    );
    for (label, value) in [("Mood", &scene.mood), ("Lighting", &scene.lighting)] {
        if !value.is_empty() {
            let _ = write!(body, "<p><b>{label}:</b> {}</p>", escape(value));
        }
    }
    let elements: Vec<String> = scene.elements.iter().map(|e| escape(e)).collect();
    let _ = write!(
        body,
        "<h2>Elements</h2><p>{}</p><p><a href=\"/books/{book}/cast\">The cast</a></p></div>",
        if elements.is_empty() {
            "—".to_owned()
        } else {
            elements.join(", ")
        }
    );
    Page {
        title: &format!("Chapter {}, scene {}", chapter.chapter.0, scene.scene.0),
        kind: "scene",
        book: id,
        csrf,
        nav: book_nav(id, title),
        body,
    }
    .render()
}
