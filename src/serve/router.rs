//! Every route of `imaginize serve`, behind the security guard.

use crate::serve::books::Library;
use crate::serve::security::{self, Guard};
use crate::serve::{api, site};
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use std::sync::Arc;

/// What every handler shares.
#[derive(Debug)]
pub struct App {
    pub library: Library,
    pub guard: Arc<Guard>,
}

pub fn router(app: Arc<App>) -> Router {
    let guard = app.guard.clone();
    Router::new()
        .route("/", get(site::library))
        .route("/books/{id}", get(site::book))
        .route("/books/{id}/cast", get(site::cast))
        .route("/books/{id}/scenes/{chapter}/{scene}", get(site::scene))
        .route("/books/{id}/files/{*path}", get(site::file))
        .route("/assets/app.css", get(site::css))
        .route("/assets/app.js", get(site::js))
        .route("/api/books", get(api::books))
        .route("/api/books/{id}", get(api::book))
        .route("/api/books/{id}/events", get(api::events))
        .route("/api/books/{id}/chapters/{chapter}/retry", post(api::retry))
        .route("/api/books/{id}/elements/{index}", post(api::describe))
        .route(
            "/api/books/{id}/scenes/{chapter}/{scene}/{action}",
            post(api::scene_action),
        )
        // The review actions (regenerate, choose a version, reject): like every POST, behind
        // the guard's same-origin and CSRF checks.
        .fallback(site::missing)
        .with_state(app)
        .layer(middleware::from_fn_with_state(guard, security::check))
}
