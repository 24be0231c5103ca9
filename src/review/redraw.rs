//! Redrawing scenes: one image request per scene, made with the chapter claimed (and its lease
//! renewed while the request runs); the new image is the scene's next version and becomes
//! current, the older ones stay on disk.

use crate::analyze::lookup::ElementsLookup;
use crate::analyze::model::{ChapterScenes, Scene};
use crate::ids::{ChapterNo, SceneNo};
use crate::illustrate::prompt::scene_request;
use crate::provider::{self, ImageFormat, ImageModel, ImageOptions, ImageRequest};
use crate::review::claim::{self, Held};
use crate::review::{Error, Review, versions};
use crate::store::{SceneOutcome, Usage, WorkerId, atomic, layout};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// What to redraw.
#[derive(Debug, Clone, PartialEq)]
pub struct Redraw {
    pub chapter: ChapterNo,
    /// One scene; `None`: every scene of the chapter.
    pub scene: Option<SceneNo>,
    /// Replaces the scene's description (in `chapters/NNN.json`) before drawing; needs `scene`.
    pub description: Option<String>,
}

/// The image model and how to ask it (the run's configured provider, size, quality, style).
#[derive(Clone)]
pub struct Painter {
    pub image: Arc<dyn ImageModel>,
    pub options: ImageOptions,
    pub style: Option<String>,
}

/// One image request a redraw would make (`--dry-run`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRequest {
    pub chapter: u32,
    pub scene: u32,
    pub model: String,
    pub size: String,
    /// The exact prompt that would be sent.
    pub prompt: String,
}

/// What a redraw did to one scene.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Redrawn {
    /// A new version, now current.
    Drawn {
        chapter: u32,
        scene: u32,
        version: u32,
        path: String,
    },
    /// The provider refused; the scene's current image is unchanged.
    Refused {
        chapter: u32,
        scene: u32,
        reason: String,
    },
}

pub fn plan(
    review: &Review,
    redraw: &Redraw,
    painter: &Painter,
) -> Result<Vec<PlannedRequest>, Error> {
    check(redraw)?;
    let mut scenes = claim::load(review, redraw.chapter)?;
    if let (Some(scene), Some(text)) = (redraw.scene, &redraw.description) {
        chosen_mut(&mut scenes, scene)?.description = text.clone();
    }
    let title = review.book_title()?;
    let cast = cast(review);
    let chosen = chosen(&scenes, redraw.scene)?;
    Ok(chosen
        .iter()
        .map(|scene| {
            let request = request(&title, &scenes, scene, cast.as_ref(), painter);
            PlannedRequest {
                chapter: redraw.chapter.0,
                scene: scene.scene.0,
                model: painter.image.name(),
                size: painter.options.size.clone(),
                prompt: request.prompt,
            }
        })
        .collect())
}

pub async fn regenerate(
    review: &Review,
    redraw: &Redraw,
    painter: &Painter,
) -> Result<Vec<Redrawn>, Error> {
    check(redraw)?;
    let held = blocking(review, {
        let chapter = redraw.chapter;
        move |r| claim::take(r, chapter)
    })
    .await?;
    let heartbeat = heartbeat(review, held.chapter, held.worker.clone());
    let outcome = draw(review, redraw, painter, &held).await;
    heartbeat.abort();
    // Whatever the drawing did, the chapter is given back.
    let finished = blocking(review, move |r| held.finish(r)).await;
    let drawn = outcome?;
    finished?;
    Ok(drawn)
}

/// Draws the chosen scenes of the held chapter, one after the other.
async fn draw(
    review: &Review,
    redraw: &Redraw,
    painter: &Painter,
    held: &Held,
) -> Result<Vec<Redrawn>, Error> {
    let scenes = match (redraw.scene, redraw.description.clone()) {
        (Some(scene), Some(text)) => {
            let chapter = redraw.chapter;
            blocking(review, move |r| {
                claim::update_scene(r, chapter, scene, |s| s.description = text)?;
                claim::load(r, chapter)
            })
            .await?
        }
        _ => claim::load(review, redraw.chapter)?,
    };
    let title = review.book_title()?;
    let cast = cast(review);
    let mut done = Vec::new();
    for scene in chosen(&scenes, redraw.scene)? {
        let request = request(&title, &scenes, scene, cast.as_ref(), painter);
        let (name, prompt) = (
            layout::prompt_file_name(redraw.chapter, scene.scene),
            request.prompt.clone(),
        );
        blocking(review, move |r| {
            Ok(atomic::write_creating_folder(
                &r.out.join(name),
                prompt.as_bytes(),
            )?)
        })
        .await?;
        let answer = painter.image.generate(&request, &painter.options).await;
        done.push(match answer {
            Ok((bytes, _)) => keep(review, held, scene.scene, bytes).await?,
            Err(provider::Error::Rejected { reason, .. }) => {
                if scene.image.is_none() {
                    refused(review, held.chapter, scene.scene, &reason).await?;
                }
                Redrawn::Refused {
                    chapter: redraw.chapter.0,
                    scene: scene.scene.0,
                    reason,
                }
            }
            Err(err) => return Err(err.into()),
        });
    }
    Ok(done)
}

/// Writes the new image as the scene's next version, makes it current and records it.
async fn keep(
    review: &Review,
    held: &Held,
    scene: SceneNo,
    bytes: Vec<u8>,
) -> Result<Redrawn, Error> {
    let (chapter, worker) = (held.chapter, held.worker.clone());
    blocking(review, move |r| {
        // Still ours? A claim lost to a stall past the lease must not be drawn into.
        r.state.heartbeat(chapter, &worker, Utc::now())?;
        let format = ImageFormat::detect(&bytes).ok_or_else(|| Error::NotAnImage {
            what: format!("chapter {chapter} scene {scene}"),
        })?;
        let version = versions::next(&r.out, chapter, scene)?;
        let path = layout::image_version_file_name(chapter, scene, version, format.extension());
        atomic::write(&r.out.join(&path), &bytes)?;
        claim::update_scene(r, chapter, scene, |s| {
            s.image = Some(path.clone());
            s.rejected = None;
        })?;
        let usage = Usage {
            images: 1,
            ..Usage::default()
        };
        claim::record_image(r, chapter, scene, &path, usage)?;
        Ok(Redrawn::Drawn {
            chapter: chapter.0,
            scene: scene.0,
            version,
            path,
        })
    })
    .await
}

/// Records a refusal of a scene that has no image, as an illustrator does (the scene counts as
/// done); a scene with an image keeps it and nothing is recorded.
async fn refused(
    review: &Review,
    chapter: ChapterNo,
    scene: SceneNo,
    reason: &str,
) -> Result<(), Error> {
    let reason = reason.to_string();
    blocking(review, move |r| {
        claim::update_scene(r, chapter, scene, |s| s.rejected = Some(reason.clone()))?;
        let outcome = SceneOutcome::Rejected(reason);
        r.state
            .record_scene(chapter, scene, &outcome, Usage::default(), None, Utc::now())?;
        Ok(())
    })
    .await
}

/// Renews the claim every quarter lease while the requests run (a remote model may take
/// longer than a lease for a whole chapter).
fn heartbeat(review: &Review, chapter: ChapterNo, worker: WorkerId) -> tokio::task::JoinHandle<()> {
    let every = (review.lease / 4).max(Duration::from_millis(250));
    let review = review.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let worker = worker.clone();
            let beat = blocking(&review, move |r| {
                Ok(r.state.heartbeat(chapter, &worker, Utc::now())?)
            })
            .await;
            if beat.is_err() {
                break;
            }
        }
    })
}

/// Runs blocking work (the lock, fsyncs) off the async threads.
async fn blocking<T: Send + 'static>(
    review: &Review,
    work: impl FnOnce(&Review) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let review = review.clone();
    tokio::task::spawn_blocking(move || work(&review))
        .await
        .map_err(|source| crate::error::Error::Task {
            what: "review",
            source,
        })?
}

fn check(redraw: &Redraw) -> Result<(), Error> {
    if redraw.description.is_some() && redraw.scene.is_none() {
        return Err(Error::Usage(
            "--description replaces one scene's description: give --scene too".into(),
        ));
    }
    Ok(())
}

fn chosen(scenes: &ChapterScenes, only: Option<SceneNo>) -> Result<Vec<&Scene>, Error> {
    let chosen: Vec<&Scene> = scenes
        .scenes
        .iter()
        .filter(|s| only.is_none_or(|n| s.scene == n))
        .collect();
    match (only, chosen.is_empty()) {
        (Some(scene), true) => Err(Error::NoSuchScene {
            chapter: scenes.chapter,
            scene,
        }),
        _ => Ok(chosen),
    }
}

fn chosen_mut(scenes: &mut ChapterScenes, scene: SceneNo) -> Result<&mut Scene, Error> {
    let chapter = scenes.chapter;
    scenes
        .scenes
        .iter_mut()
        .find(|s| s.scene == scene)
        .ok_or(Error::NoSuchScene { chapter, scene })
}

/// The cast from Elements.md (hand edits count), for the prompt's details; none without it.
fn cast(review: &Review) -> Option<ElementsLookup> {
    let text = std::fs::read_to_string(layout::elements_md_path(&review.out)).ok()?;
    ElementsLookup::parse_markdown(&text).ok()
}

/// The scene's image request, built as the illustrator builds it.
fn request(
    title: &str,
    scenes: &ChapterScenes,
    scene: &Scene,
    cast: Option<&ElementsLookup>,
    painter: &Painter,
) -> ImageRequest {
    let briefs = cast
        .map(|lookup| {
            let named = scene.elements.join(". ");
            lookup.briefs(&format!("{named}. {} {}", scene.description, scene.quote))
        })
        .unwrap_or_default();
    scene_request(
        title,
        scenes.chapter,
        &scenes.title,
        scene,
        &briefs,
        painter.style.as_deref(),
        painter.image.max_prompt_chars(),
    )
}
