//! The JSON API (documented in the README): the books, one book's whole view, its event
//! stream, and the two actions (retry a failed chapter, set an element's description). An action
//! posted by a page's form (it accepts HTML) is answered with a redirect back to that page.

use crate::render::elements_edit::Field;
use crate::serve::actions::{self, ActionError};
use crate::serve::router::App;
use crate::serve::sse;
use crate::serve::view::Head;
use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Serialize)]
struct BookEntry<'a> {
    id: &'a str,
    head: &'a Head,
}

#[derive(Serialize)]
struct Books<'a> {
    /// The token a script sends as `X-CSRF-Token` with a POST. Only this origin can read it.
    csrf: &'a str,
    books: Vec<BookEntry<'a>>,
}

/// `GET /api/books`.
pub async fn books(State(app): State<Arc<App>>) -> Response {
    let views: Vec<_> = app.library.books().iter().map(|b| b.current().1).collect();
    let books = Books {
        csrf: &app.guard.csrf,
        books: views
            .iter()
            .map(|v| BookEntry {
                id: &v.id,
                head: &v.head,
            })
            .collect(),
    };
    Json(books).into_response()
}

/// `GET /api/books/{id}`: the snapshot the event stream starts with.
pub async fn book(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match app.library.get(&id) {
        Some(book) => json_text(book.snapshot_json().1),
        None => not_found(),
    }
}

/// `GET /api/books/{id}/events`.
pub async fn events(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(book) = app.library.get(&id) else {
        return not_found();
    };
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    sse::events(book, last_seen).into_response()
}

/// `POST /api/books/{id}/chapters/{chapter}/retry`.
pub async fn retry(
    State(app): State<Arc<App>>,
    Path((id, chapter)): Path<(String, u32)>,
    headers: HeaderMap,
) -> Response {
    let Some(book) = app.library.get(&id) else {
        return not_found();
    };
    let dir = book.dir.clone();
    let done = tokio::task::spawn_blocking(move || actions::retry_failed(&dir, chapter)).await;
    book.poke();
    answer(done, &headers, format!("/books/{id}#ch-{chapter}"))
}

#[derive(Deserialize)]
pub struct Description {
    name: String,
    /// The new description, or (without it) the new appearance card.
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    appearance: Option<String>,
}

/// `POST /api/books/{id}/elements/{index}` with `name` and `description` or `appearance`
/// (form-encoded).
pub async fn describe(
    State(app): State<Arc<App>>,
    Path((id, index)): Path<(String, usize)>,
    headers: HeaderMap,
    Form(form): Form<Description>,
) -> Response {
    let Some(book) = app.library.get(&id) else {
        return not_found();
    };
    let dir = book.dir.clone();
    let (field, value) = match (form.description, form.appearance) {
        (Some(text), None) => (Field::Description, text),
        (None, Some(text)) => (Field::Appearance, text),
        _ => return answer(Ok(Err(ActionError::BadAction)), &headers, String::new()),
    };
    let done = tokio::task::spawn_blocking(move || {
        actions::edit_field(&dir, index, &form.name, field, &value)
    })
    .await;
    answer(done, &headers, format!("/books/{id}/cast#el-{index}"))
}

/// A scene's review action, from the scene page's forms or a script.
#[derive(Deserialize)]
pub struct SceneAction {
    /// `regenerate`: the new description (empty or absent: keep it).
    #[serde(default)]
    description: Option<String>,
    /// `version`: the version to make current.
    #[serde(default)]
    version: Option<u32>,
    /// `reject`: `true` rejects, `false` takes it back.
    #[serde(default)]
    rejected: Option<bool>,
}

/// `POST /api/books/{id}/scenes/{chapter}/{scene}/{action}` with `action` one of `regenerate`
/// (`description` optional), `version` (`version`), `reject` (`rejected`).
pub async fn scene_action(
    State(app): State<Arc<App>>,
    Path((id, chapter, scene, action)): Path<(String, u32, u32, String)>,
    headers: HeaderMap,
    Form(form): Form<SceneAction>,
) -> Response {
    let Some(book) = app.library.get(&id) else {
        return not_found();
    };
    let dir = book.dir.clone();
    let done = tokio::task::spawn_blocking(move || match (action.as_str(), form) {
        ("regenerate", SceneAction { description, .. }) => {
            let description = description.filter(|d| !d.trim().is_empty());
            actions::regenerate(&dir, chapter, scene, description.as_deref())
        }
        (
            "version",
            SceneAction {
                version: Some(v), ..
            },
        ) => actions::choose_version(&dir, chapter, scene, v),
        (
            "reject",
            SceneAction {
                rejected: Some(r), ..
            },
        ) => actions::reject(&dir, chapter, scene, r),
        _ => Err(ActionError::BadAction),
    })
    .await;
    book.poke();
    answer(
        done,
        &headers,
        format!("/books/{id}/scenes/{chapter}/{scene}"),
    )
}

/// JSON for scripts; a redirect back for a page's form.
fn answer(
    done: Result<Result<(), ActionError>, tokio::task::JoinError>,
    headers: &HeaderMap,
    back: String,
) -> Response {
    let from_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    match done {
        Ok(Ok(())) if from_page => Redirect::to(&back).into_response(),
        Ok(Ok(())) => Json(serde_json::json!({ "ok": true })).into_response(),
        Ok(Err(err)) => {
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                Json(serde_json::json!({ "error": err.to_string() })),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({ "error": "the action failed unexpectedly" })),
        )
            .into_response(),
    }
}

fn json_text(json: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "error": "no such book" })),
    )
        .into_response()
}
