//! The review API on the in-memory state (as the web server would call it): versions, refusals,
//! a busy chapter, a missing version.

use super::*;
use crate::analyze::model::{ChapterScenes, Scene};
use crate::ids::ChapterKey;
use crate::provider::{ImageMeta, ImageModel, ImageOptions, ImageRequest};
use crate::store::{MemoryStore, Status, WorkerId, test_support};
use async_trait::async_trait;
use chrono::Utc;

/// Draws a small PNG, and refuses scene 2.
struct Easel;

#[async_trait]
impl ImageModel for Easel {
    fn name(&self) -> String {
        "easel".into()
    }

    async fn generate(
        &self,
        request: &ImageRequest,
        _options: &ImageOptions,
    ) -> Result<(Vec<u8>, ImageMeta), crate::provider::Error> {
        if request.scene.scene == SceneNo(2) {
            return Err(crate::provider::Error::Rejected {
                provider: "easel".into(),
                reason: "not this one".into(),
            });
        }
        let mut pixmap = tiny_skia::Pixmap::new(4, 4).expect("pixmap");
        pixmap.fill(tiny_skia::Color::from_rgba8(10, 20, 30, 255));
        Ok((pixmap.encode_png().expect("png"), ImageMeta::default()))
    }
}

fn scene(n: u32) -> Scene {
    Scene {
        scene: SceneNo(n),
        quote: format!("quote {n}"),
        description: format!("scene {n}"),
        mood: String::new(),
        lighting: String::new(),
        elements: Vec::new(),
        image: None,
        rejected: None,
        user_rejected: false,
    }
}

/// A book of 2 chapters, chapter 1 analyzed with 2 scenes, in a temp folder.
fn review() -> (tempfile::TempDir, Review) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = MemoryStore::default();
    state
        .transact(&mut |m| {
            m.set_initial(test_support::manifest(2));
            m.mark_analyzed(ChapterNo(1), 2, Utc::now())
        })
        .expect("state");
    let scenes = ChapterScenes {
        chapter: ChapterNo(1),
        key: ChapterKey("k1".into()),
        title: "Chapter 1".into(),
        scenes: vec![scene(1), scene(2)],
    };
    let path = store::layout::chapter_path(dir.path(), ChapterNo(1));
    store::atomic::write_creating_folder(&path, &serde_json::to_vec(&scenes).expect("json"))
        .expect("chapter file");
    store::atomic::create_dir(&store::layout::images_dir(dir.path())).expect("images");
    let review = Review {
        out: dir.path().to_path_buf(),
        state: Arc::new(state),
        lease: store::DEFAULT_LEASE,
    };
    (dir, review)
}

fn painter() -> Painter {
    Painter {
        image: Arc::new(Easel),
        options: ImageOptions::default(),
        style: None,
    }
}

fn status(review: &Review, chapter: u32) -> Status {
    review
        .state
        .snapshot()
        .expect("snapshot")
        .expect("manifest")
        .chapters[&ChapterNo(chapter)]
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerating_adds_versions_records_refusals_and_completes_the_chapter() {
    let (_dir, review) = review();
    let all = Redraw {
        chapter: ChapterNo(1),
        scene: None,
        description: None,
    };
    let drawn = review
        .regenerate(&all, &painter())
        .await
        .expect("regenerate");
    assert!(
        matches!(drawn[0], Redrawn::Drawn { version: 1, .. }),
        "{drawn:?}"
    );
    assert!(matches!(drawn[1], Redrawn::Refused { .. }), "{drawn:?}");
    // Scene 1 drawn, scene 2 refused: every scene is done, so the chapter is complete.
    assert_eq!(status(&review, 1), Status::IllustrationComplete);
    let rows = review.list_scenes(None).expect("rows");
    assert_eq!(rows[1].status, SceneStatus::Refused);

    let one = Redraw {
        scene: Some(SceneNo(1)),
        description: Some("a lighthouse".into()),
        ..all
    };
    let planned = review.plan(&one, &painter()).expect("plan");
    assert_eq!(planned.len(), 1);
    assert!(planned[0].prompt.contains("a lighthouse"));
    review.regenerate(&one, &painter()).await.expect("again");
    let row = review.scene(ChapterNo(1), SceneNo(1)).expect("row");
    assert_eq!(row.current_version, Some(2));
    assert_eq!(row.description, "a lighthouse");
    let numbers: Vec<u32> = row.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![1, 2]);
    assert_eq!(status(&review, 1), Status::IllustrationComplete);

    let chosen = review
        .choose_version(ChapterNo(1), SceneNo(1), 1)
        .expect("choose");
    assert_eq!(chosen.current_version, Some(1));
    let missing = review.choose_version(ChapterNo(1), SceneNo(1), 7);
    assert!(
        matches!(missing, Err(Error::NoSuchVersion { .. })),
        "{missing:?}"
    );
    let rejected = review
        .reject(ChapterNo(1), SceneNo(1), true)
        .expect("reject");
    assert_eq!(rejected.status, SceneStatus::Rejected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chapter_a_live_worker_holds_is_busy_and_unchanged() {
    let (_dir, review) = review();
    let worker = WorkerId::current();
    let _alive = review.state.register_worker(&worker).expect("register");
    let claimed = review
        .state
        .claim_next(&worker, &[ChapterNo(1)], store::DEFAULT_LEASE, Utc::now())
        .expect("claim");
    assert_eq!(claimed, Some(ChapterNo(1)));
    let redraw = Redraw {
        chapter: ChapterNo(1),
        scene: Some(SceneNo(1)),
        description: None,
    };
    let busy = review.regenerate(&redraw, &painter()).await;
    assert!(busy.as_ref().is_err_and(Error::is_busy), "{busy:?}");
    assert!(
        review
            .reject(ChapterNo(1), SceneNo(1), true)
            .is_err_and(|e| e.is_busy())
    );
    let row = review.scene(ChapterNo(1), SceneNo(1)).expect("row");
    assert_eq!((row.status, row.versions.len()), (SceneStatus::Pending, 0));
    // Not analyzed: nothing to review.
    let early = review.reject(ChapterNo(2), SceneNo(1), true);
    assert!(
        matches!(&early, Err(Error::Run(e)) if matches!(**e, crate::error::Error::Store(store::Error::NotReviewable { .. }))),
        "{early:?}"
    );
}

/// The web server spawns regenerations on its runtime: the future must be `Send`, and a
/// `Review` shareable between requests.
#[test]
fn a_regeneration_can_be_spawned() {
    fn spawnable<T: Send + 'static>(_: &T) {}
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Review>();
    shareable::<Painter>();
    let (_dir, review) = review();
    let redraw = Redraw {
        chapter: ChapterNo(1),
        scene: None,
        description: None,
    };
    let future = async move { review.regenerate(&redraw, &painter()).await };
    spawnable(&future);
}
