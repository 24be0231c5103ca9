//! One scene: its chapter, the quote, what to draw, the elements in it, and its image.

use super::{Page, book_nav, escape, url_path};
use crate::analyze::model::{ChapterScenes, Scene};
use crate::review::{SceneRow, SceneStatus};
use std::fmt::Write;

pub fn render(
    id: &str,
    title: &str,
    chapter: &ChapterScenes,
    scene: &Scene,
    review: (Option<&SceneRow>, Option<&str>),
    csrf: &str,
) -> String {
    let (row, prompt) = review;
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
    if let Some(prompt) = prompt {
        let _ = write!(
            body,
            "<h2>Prompt sent</h2><pre class=\"prompt\">{}</pre>",
            escape(prompt)
        );
    }
    if let Some(row) = row {
        body.push_str(&review_block(id, row, csrf));
    }
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

/// The review loop on the page: every version on disk (one made current by a click), reject or
/// take it back, and a redraw with an optional new description. Each form posts in the
/// background and reloads the page once done (`data-reload`).
fn review_block(book: &str, row: &SceneRow, csrf: &str) -> String {
    let book = escape(book);
    let action = |name: &str| {
        format!(
            "/api/books/{book}/scenes/{}/{}/{name}?csrf={}",
            row.chapter,
            row.scene,
            escape(csrf)
        )
    };
    let mut out = String::from("<section class=\"review\"><h2>Versions</h2>");
    if row.versions.is_empty() {
        out.push_str("<p class=\"muted\">No image on disk yet.</p>");
    }
    out.push_str("<div class=\"versions\">");
    for version in &row.versions {
        let current = row.current_version == Some(version.version);
        let _ = write!(
            out,
            "<figure class=\"version{}\"><img src=\"/books/{book}/files/{}\" alt=\"version {v}\">\
             <figcaption>version {v}{}</figcaption>",
            if current { " current" } else { "" },
            escape(&url_path(&version.path)),
            if current { " (current)" } else { "" },
            v = version.version,
        );
        if !current {
            let _ = write!(
                out,
                "<form method=\"post\" data-reload=\"1\" action=\"{}\">\
                 <input type=\"hidden\" name=\"version\" value=\"{}\">\
                 <button>Use this version</button> <span class=\"saved muted\"></span></form>",
                action("version"),
                version.version
            );
        }
        out.push_str("</figure>");
    }
    out.push_str("</div>");
    let rejected = row.status == SceneStatus::Rejected;
    let _ = write!(
        out,
        "<form method=\"post\" data-reload=\"1\" action=\"{}\">\
         <input type=\"hidden\" name=\"rejected\" value=\"{}\">\
         <button>{}</button> <span class=\"saved muted\"></span></form>",
        action("reject"),
        !rejected,
        if rejected {
            "Take the rejection back"
        } else {
            "Reject (kept on disk, left out of the book)"
        }
    );
    let _ = write!(
        out,
        "<h2>Redraw</h2><form method=\"post\" class=\"regenerate\" data-reload=\"1\" action=\"{}\">\
         <label>New description (empty: keep it)<textarea name=\"description\" rows=\"3\">\
         </textarea></label><button>Regenerate (one image request)</button> \
         <span class=\"saved muted\"></span></form></section>",
        action("regenerate")
    );
    out
}
