//! Changes made under a claim of the chapter: the review loop holds the chapter like an
//! illustrator (so no worker draws it meanwhile and no two reviews change its scenes file at
//! once), changes `chapters/NNN.json` and the manifest, then gives it back (complete again when
//! every scene is done) and re-renders Chapters.md.

use crate::analyze::model::{ChapterScenes, Scene};
use crate::ids::{ChapterNo, SceneNo};
use crate::pipeline::context::read_scenes;
use crate::pipeline::outputs::{SceneCache, render_all};
use crate::review::{Error, Review, versions};
use crate::store::{self, SceneOutcome, Usage, WorkerGuard, WorkerId, atomic, layout};
use chrono::Utc;

/// A chapter this process holds for review; [`Held::finish`] gives it back.
pub struct Held {
    pub chapter: ChapterNo,
    pub worker: WorkerId,
    guard: WorkerGuard,
}

/// Registers a worker and claims `chapter` for it: `store::Error::Busy` when a live worker
/// holds it.
pub fn take(review: &Review, chapter: ChapterNo) -> Result<Held, Error> {
    let worker = WorkerId::current();
    let guard = review.state.register_worker(&worker)?;
    let claimed = review
        .state
        .transact(&mut |m| m.claim_chapter(chapter, &worker, review.lease, Utc::now()));
    if let Err(err) = claimed {
        guard.retire();
        return Err(err.into());
    }
    Ok(Held {
        chapter,
        worker,
        guard,
    })
}

impl Held {
    /// Gives the chapter back and re-renders Chapters.md (durably: it is the user's view).
    pub fn finish(self, review: &Review) -> Result<(), Error> {
        let (chapter, worker) = (self.chapter, &self.worker);
        let ended = review
            .state
            .transact(&mut |m| m.finish_review(chapter, worker, Utc::now()).map(drop));
        self.guard.retire();
        ended?;
        render_all(
            review.state.as_ref(),
            &review.out,
            &mut SceneCache::default(),
            true,
        )?;
        Ok(())
    }
}

/// Runs `change` with the chapter held, giving it back whatever `change` returns.
fn under_claim<T>(
    review: &Review,
    chapter: ChapterNo,
    change: impl FnOnce(&Held) -> Result<T, Error>,
) -> Result<T, Error> {
    let held = take(review, chapter)?;
    let outcome = change(&held);
    let finished = held.finish(review);
    let value = outcome?;
    finished?;
    Ok(value)
}

pub fn choose_version(
    review: &Review,
    chapter: ChapterNo,
    scene: SceneNo,
    version: u32,
) -> Result<(), Error> {
    under_claim(review, chapter, |held| {
        let chosen = versions::of_scene(&review.out, chapter, scene)?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or(Error::NoSuchVersion {
                chapter,
                scene,
                version,
            })?;
        update_scene(review, chapter, scene, |s| {
            s.image = Some(chosen.path.clone());
            s.rejected = None;
        })?;
        record_image(review, held.chapter, scene, &chosen.path, Usage::default())
    })
}

pub fn reject(
    review: &Review,
    chapter: ChapterNo,
    scene: SceneNo,
    rejected: bool,
) -> Result<(), Error> {
    under_claim(review, chapter, |_| {
        update_scene(review, chapter, scene, |s| s.user_rejected = rejected).map(drop)
    })
}

/// Records in the manifest that the scene's image is `path` (and what drawing it cost).
pub fn record_image(
    review: &Review,
    chapter: ChapterNo,
    scene: SceneNo,
    path: &str,
    usage: Usage,
) -> Result<(), Error> {
    let outcome = SceneOutcome::Image(path.to_string());
    review
        .state
        .record_scene(chapter, scene, &outcome, usage, None, Utc::now())?;
    Ok(())
}

/// Reads the chapter's scenes file.
pub fn load(review: &Review, chapter: ChapterNo) -> Result<ChapterScenes, Error> {
    let path = layout::chapter_path(&review.out, chapter);
    if !path.is_file() {
        return Err(Error::NotAnalyzed { chapter });
    }
    Ok(read_scenes(&path)?)
}

/// Changes one scene in `chapters/NNN.json` (atomically) and returns the changed scene. Only
/// the claim holder calls this, so no other writer changes the file meanwhile.
pub fn update_scene(
    review: &Review,
    chapter: ChapterNo,
    scene: SceneNo,
    change: impl FnOnce(&mut Scene),
) -> Result<Scene, Error> {
    let mut scenes = load(review, chapter)?;
    let entry = scenes
        .scenes
        .iter_mut()
        .find(|s| s.scene == scene)
        .ok_or(Error::NoSuchScene { chapter, scene })?;
    change(entry);
    let changed = entry.clone();
    let path = layout::chapter_path(&review.out, chapter);
    let bytes = serde_json::to_vec_pretty(&scenes).map_err(|source| store::Error::Encode {
        path: path.clone(),
        source,
    })?;
    atomic::write(&path, &bytes)?;
    Ok(changed)
}
