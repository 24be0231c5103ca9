//! The HTML routes: each reads what its page shows (off the server's threads when it touches
//! the disk) and renders it; the embedded script and stylesheet; files of a book's folder.

use crate::analyze::model::ChapterScenes;
use crate::ids::{ChapterNo, SceneNo};
use crate::serve::router::App;
use crate::serve::{actions, files, pages};
use crate::store::layout;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

const CSS: &str = include_str!("../../assets/serve/app.css");
const JS: &str = include_str!("../../assets/serve/app.js");

/// A file of the folder (report.html, the gallery) may style itself inline, but runs no script
/// and reaches nothing outside this server: it is shown sandboxed.
const FILE_POLICY: &str =
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

pub async fn library(State(app): State<Arc<App>>) -> Response {
    let views: Vec<_> = app.library.books().iter().map(|b| b.current().1).collect();
    Html(pages::library::render(&views, &app.guard.csrf)).into_response()
}

pub async fn book(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match app.library.get(&id) {
        Some(book) => Html(pages::book::render(&book.current().1, &app.guard.csrf)).into_response(),
        None => missing_book(&app),
    }
}

pub async fn cast(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(book) = app.library.get(&id) else {
        return missing_book(&app);
    };
    let dir = book.dir.clone();
    let read = tokio::task::spawn_blocking(move || {
        let portraits = crate::serve::folder::Folder::new(dir.clone()).portraits();
        (actions::read_cast(&dir), portraits)
    })
    .await;
    let (cast, portraits) = read.unwrap_or_else(|_| {
        (
            Err("Elements.md could not be read".to_owned()),
            Default::default(),
        )
    });
    let title = book.current().1.head.title.clone();
    Html(pages::cast::render(
        &id,
        &title,
        cast,
        &portraits,
        &app.guard.csrf,
    ))
    .into_response()
}

pub async fn scene(
    State(app): State<Arc<App>>,
    Path((id, chapter, scene)): Path<(String, u32, u32)>,
) -> Response {
    let Some(book) = app.library.get(&id) else {
        return missing_book(&app);
    };
    let path = layout::chapter_path(&book.dir, ChapterNo(chapter));
    let scenes = tokio::fs::read(&path)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ChapterScenes>(&bytes).ok());
    let found = scenes.as_ref().and_then(|c| {
        let s = c.scenes.iter().find(|s| s.scene == SceneNo(scene))?;
        Some((c, s))
    });
    let Some((chapter, scene)) = found else {
        return not_found(&app, "No such scene: its chapter may not be analysed yet.");
    };
    let title = book.current().1.head.title.clone();
    let (dir, number, scene_no) = (book.dir.clone(), chapter.chapter, scene.scene);
    let (rows, prompt) = tokio::task::spawn_blocking(move || {
        let rows = crate::review::list_scenes(&dir, Some(number)).unwrap_or_default();
        let prompt = std::fs::read_to_string(dir.join(layout::prompt_file_name(number, scene_no)));
        (rows, prompt.ok())
    })
    .await
    .unwrap_or_default();
    let row = rows.iter().find(|r| r.scene == scene.scene.0);
    Html(pages::scene::render(
        &id,
        &title,
        chapter,
        scene,
        (row, prompt.as_deref()),
        &app.guard.csrf,
    ))
    .into_response()
}

pub async fn file(
    State(app): State<Arc<App>>,
    Path((id, path)): Path<(String, String)>,
) -> Response {
    let Some(book) = app.library.get(&id) else {
        return missing_book(&app);
    };
    let dir = book.dir.clone();
    let resolved = tokio::task::spawn_blocking(move || files::resolve(&dir, &path)).await;
    let (file, kind) = match resolved {
        Ok(Ok(found)) => found,
        Ok(Err(files::Refused::Missing)) => return not_found(&app, "No such file."),
        Ok(Err(refused)) => return (StatusCode::FORBIDDEN, refused.to_string()).into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-cache"),
                (header::CONTENT_SECURITY_POLICY, FILE_POLICY),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(&app, "No such file."),
    }
}

pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

pub async fn missing(State(app): State<Arc<App>>) -> Response {
    not_found(&app, "This page does not exist.")
}

fn missing_book(app: &App) -> Response {
    not_found(app, "No such book on this server.")
}

fn not_found(app: &App, what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(pages::not_found(&app.guard.csrf, what)),
    )
        .into_response()
}
