//! The book: the three pipelines with counts, rates and ETAs, usage and cost, the chapter grid
//! (state, worker and lease left, error with "retry failed", thumbnails), workers and the log
//! tail. Every element the script keeps live carries `data-k` (a figure of `Head::display`) or
//! an id; a chapter's cell is built the same way by `chapter_cell` here and `chapterCell` in
//! `app.js`.

use super::{Page, book_nav, escape, url_path};
use crate::serve::view::{BookView, ChapterView, WorkerView};
use std::fmt::Write;

pub fn render(book: &BookView, csrf: &str) -> String {
    let head = &book.head;
    let title = if head.title.is_empty() {
        &book.id
    } else {
        &head.title
    };
    let mut body = format!(
        "<h1 data-k=\"title\">{}</h1><p class=\"muted\"><span data-k=\"author\">{}</span> \
         <span id=\"live\"></span></p>\
         <p class=\"error\" data-k=\"error\">{}</p>",
        escape(title),
        escape(&head.author),
        escape(head.error.as_deref().unwrap_or("")),
    );
    body.push_str(&cards(book));
    if head.has_report {
        let _ = write!(
            body,
            "<p><a href=\"/books/{}/files/report.html\">Run report</a></p>",
            escape(&book.id)
        );
    }
    body.push_str("<h2>Chapters</h2><ol id=\"grid\">");
    for chapter in &book.chapters {
        body.push_str(&chapter_cell(&book.id, chapter, csrf));
    }
    body.push_str(
        "</ol><h2>Workers</h2><table><thead><tr><th>Worker</th><th>Chapters held</th>\
                   <th>Last heartbeat</th></tr></thead><tbody id=\"workers\">",
    );
    for worker in &head.workers {
        body.push_str(&worker_row(worker));
    }
    let log: Vec<String> = head.log.iter().map(|l| escape(l)).collect();
    let _ = write!(
        body,
        "</tbody></table><h2>Log</h2><pre id=\"log\">{}</pre>",
        log.join("\n")
    );
    Page {
        title,
        kind: "book",
        book: &book.id,
        csrf,
        nav: book_nav(&book.id, &head.title),
        body,
    }
    .render()
}

fn cards(book: &BookView) -> String {
    let figure = |key: &str| escape(book.head.display.get(key).map_or("", String::as_str));
    let mut out = String::from("<div class=\"cards\">");
    for (key, label) in [
        ("pass1", "Pass 1 (cast)"),
        ("pass2", "Pass 2 (scenes)"),
        ("images", "Illustration"),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\">{label}<b data-k=\"{key}\">{}</b>\
             <span class=\"muted\" data-k=\"{key}-rate\">{}</span></div>",
            figure(key),
            figure(&format!("{key}-rate")),
        );
    }
    for (key, label) in [
        ("eta", "ETA (all)"),
        ("tokens", "Tokens"),
        ("image-count", "Images"),
        ("cost", "Cost so far"),
        ("chapters", "Chapters"),
        ("elements", "Elements.md"),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\">{label}<b data-k=\"{key}\">{}</b></div>",
            figure(key)
        );
    }
    out.push_str("</div>");
    out
}

/// One chapter's cell in the grid.
pub fn chapter_cell(book: &str, ch: &ChapterView, csrf: &str) -> String {
    let book = escape(book);
    let mut out = format!(
        "<li class=\"ch st-{status}\" id=\"ch-{n}\" data-ch=\"{n}\"><div class=\"t\">{n}. {title}</div>\
         <div class=\"s\">{label} · {done}/{concepts} scenes</div>",
        status = escape(&ch.status),
        n = ch.number,
        title = escape(&ch.title),
        label = escape(&ch.status.replace('_', " ")),
        done = ch.scenes_done,
        concepts = ch.concepts,
    );
    if let Some(worker) = &ch.worker {
        let heartbeat = ch.heartbeat_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"w\">{} · lease left <span data-hb=\"{}\">…</span></div>",
            escape(worker),
            escape(&heartbeat)
        );
    }
    if let Some(error) = &ch.error {
        let _ = write!(
            out,
            "<div class=\"error\">{}</div><form method=\"post\" \
             action=\"/api/books/{book}/chapters/{}/retry?csrf={}\"><button>retry failed</button></form>",
            escape(error),
            ch.number,
            escape(csrf),
        );
    }
    out.push_str("<div class=\"thumbs\">");
    for thumb in &ch.thumbs {
        let _ = write!(
            out,
            "<a href=\"/books/{book}/scenes/{n}/{s}\"><img src=\"/books/{book}/files/{src}\" \
             alt=\"chapter {n} scene {s}\" loading=\"lazy\"></a>",
            n = ch.number,
            s = thumb.scene,
            src = escape(&url_path(&thumb.image)),
        );
    }
    out.push_str("</div></li>");
    out
}

fn worker_row(worker: &WorkerView) -> String {
    let chapters: Vec<String> = worker.chapters.iter().map(u32::to_string).collect();
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape(&worker.worker),
        chapters.join(", "),
        worker
            .heartbeat_at
            .map(|t| t.format("%H:%M:%S UTC").to_string())
            .unwrap_or_default()
    )
}
