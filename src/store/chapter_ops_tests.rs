//! The chapter operations of `LockedManifest`, on a real folder.

use crate::analyze::model::{ChapterScenes, Scene, note_scene};
use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::store::layout::chapter_file_name;
use crate::store::manifest::Status;
use crate::store::test_support;
use crate::store::{DEFAULT_LEASE, Error, SceneOutcome, Store, WorkerId, atomic};
use chrono::{Duration as Span, Utc};
use std::path::Path;

fn store_with(dir: &Path, n: u32, analyzed: &[u32]) -> Store {
    let store = Store::open(dir).unwrap();
    store
        .update_with_lock(|m| {
            m.set_initial(test_support::manifest(n));
            for i in analyzed {
                m.mark_analyzed(ChapterNo(*i), 2, Utc::now())?;
            }
            Ok::<_, Error>(())
        })
        .unwrap();
    store
}

fn write_scenes(dir: &Path, chapter: u32, scenes: u32) {
    let file = ChapterScenes {
        chapter: ChapterNo(chapter),
        key: ChapterKey(format!("k{chapter}")),
        title: format!("Chapter {chapter}"),
        scenes: (1..=scenes)
            .map(|s| Scene {
                scene: SceneNo(s),
                quote: format!("quote {s}"),
                description: format!("scene {s}"),
                mood: String::new(),
                lighting: String::new(),
                elements: Vec::new(),
                image: None,
                rejected: None,
                user_rejected: false,
            })
            .collect(),
    };
    let path = dir
        .join("chapters")
        .join(chapter_file_name(ChapterNo(chapter)));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    atomic::write(&path, &serde_json::to_vec_pretty(&file).unwrap()).unwrap();
}

fn read_scenes(dir: &Path, chapter: u32) -> ChapterScenes {
    let path = dir
        .join("chapters")
        .join(chapter_file_name(ChapterNo(chapter)));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn claim_next_in_only_takes_chapters_the_filter_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 8, &[2, 4, 6, 7]);
    let w = WorkerId::current();
    let mut m = store.lock(DEFAULT_LEASE).unwrap();
    let only = |c: ChapterNo| (5..=7).contains(&c.0);
    let now = Utc::now();
    assert_eq!(
        m.claim_next_in(&w, only, DEFAULT_LEASE, now).unwrap(),
        Some(ChapterNo(6))
    );
    assert_eq!(
        m.claim_next_in(&w, only, DEFAULT_LEASE, now).unwrap(),
        Some(ChapterNo(7))
    );
    assert_eq!(m.claim_next_in(&w, only, DEFAULT_LEASE, now).unwrap(), None);
    assert_eq!(
        m.claim_next(&w, DEFAULT_LEASE, now).unwrap(),
        Some(ChapterNo(2))
    );
    let manifest = m.manifest().unwrap();
    assert_eq!(
        manifest.chapters_with(Status::IllustrationInprogress),
        vec![ChapterNo(2), ChapterNo(6), ChapterNo(7)]
    );
    // 5 (pending) and 6, 7 (in progress) still need work; 1–4 and 8 are outside the filter.
    assert_eq!(manifest.remaining_for_illustration(only), 3);
    assert_eq!(manifest.remaining_for_illustration(|_| true), 8);
}

#[test]
fn remaining_reaches_zero_when_every_chapter_is_complete_or_failed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 3, &[1, 2, 3]);
    let w = WorkerId::current();
    store
        .update_with_lock(|m| {
            let now = Utc::now();
            for _ in 0..2 {
                let c = m.claim_next(&w, DEFAULT_LEASE, now)?.unwrap();
                m.complete(c, &w, now)?;
            }
            m.fail(ChapterNo(3), "provider said no")
        })
        .unwrap();
    let m = store.load().unwrap().manifest.unwrap();
    assert_eq!(m.remaining_for_illustration(|_| true), 0);
    assert_eq!(
        m.next_claimable(
            |_| true,
            DEFAULT_LEASE,
            Utc::now(),
            &crate::store::liveness::Workers::Folder(store.dir().to_path_buf())
        ),
        None
    );
    assert_eq!(m.chapters_with(Status::Error), vec![ChapterNo(3)]);
}

#[test]
fn rejected_scene_counts_as_done_and_is_written_to_the_chapter_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 1, &[1]);
    write_scenes(dir.path(), 1, 2);
    let w = WorkerId::current();
    let image = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
    let refused = SceneOutcome::Rejected("content policy: violence".into());
    note_scene(store.dir(), ChapterNo(1), SceneNo(1), &image).unwrap();
    note_scene(store.dir(), ChapterNo(1), SceneNo(2), &refused).unwrap();
    store
        .update_with_lock(|m| {
            let now = Utc::now();
            let c = m.claim_next(&w, DEFAULT_LEASE, now)?.unwrap();
            m.record_scene(c, SceneNo(1))?;
            m.record_rejected(c, SceneNo(2), "content policy: violence")?;
            m.complete(c, &w, now)
        })
        .unwrap();
    let m = store.load().unwrap().manifest.unwrap();
    let ch = &m.chapters[&ChapterNo(1)];
    assert_eq!(ch.status, Status::IllustrationComplete);
    assert_eq!(ch.scenes_done, vec![SceneNo(1), SceneNo(2)]);
    assert_eq!(ch.rejected[&SceneNo(2)], "content policy: violence");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.manifest_path()).unwrap()).unwrap();
    assert_eq!(
        json["chapters"]["1"]["rejected"]["2"],
        "content policy: violence"
    );

    let scenes = read_scenes(dir.path(), 1);
    assert_eq!(
        scenes.scenes[0].image.as_deref(),
        Some("images/chapter_1_scene_1.png")
    );
    assert_eq!(scenes.scenes[0].rejected, None);
    assert_eq!(scenes.scenes[1].image, None);
    assert_eq!(
        scenes.scenes[1].rejected.as_deref(),
        Some("content policy: violence")
    );
}

#[test]
fn a_rejected_scene_drawn_later_loses_its_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 1, &[1]);
    write_scenes(dir.path(), 1, 1);
    let (chapter, scene) = (ChapterNo(1), SceneNo(1));
    note_scene(
        store.dir(),
        chapter,
        scene,
        &SceneOutcome::Rejected("no".into()),
    )
    .unwrap();
    store
        .update_with_lock(|m| m.record_rejected(chapter, scene, "no"))
        .unwrap();
    let drawn = SceneOutcome::Image("images/chapter_1_scene_1.png".into());
    note_scene(store.dir(), chapter, scene, &drawn).unwrap();
    store
        .update_with_lock(|m| m.record_scene(chapter, scene))
        .unwrap();
    let m = store.load().unwrap().manifest.unwrap();
    assert!(m.chapters[&ChapterNo(1)].rejected.is_empty());
    assert_eq!(read_scenes(dir.path(), 1).scenes[0].rejected, None);
}

#[test]
fn leases_expire_dead_workers_are_recovered_and_live_claims_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 3, &[1, 2, 3]);
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let live = WorkerId::current();
    let dead = WorkerId(format!("{host}:{}:1", 0x7fff_fff0));
    let remote = WorkerId(format!("elsewhere-{host}:1:1"));
    let t0 = Utc::now();
    let mut m = store.lock(DEFAULT_LEASE).unwrap();
    assert_eq!(
        m.claim_next(&live, DEFAULT_LEASE, t0).unwrap(),
        Some(ChapterNo(1))
    );
    assert_eq!(
        m.claim_next(&remote, DEFAULT_LEASE, t0).unwrap(),
        Some(ChapterNo(2))
    );
    assert_eq!(
        m.claim_next(&dead, DEFAULT_LEASE, t0).unwrap(),
        Some(ChapterNo(3))
    );

    // At once: only the dead local pid's claim may be taken.
    let other = WorkerId::current();
    assert_eq!(
        m.claim_next(&other, DEFAULT_LEASE, t0).unwrap(),
        Some(ChapterNo(3))
    );
    assert_eq!(m.claim_next(&other, DEFAULT_LEASE, t0).unwrap(), None);
    assert!(matches!(
        m.heartbeat(ChapterNo(3), &dead, t0),
        Err(Error::ClaimLost { .. })
    ));

    // The live workers heartbeat; the remote one does not. After the lease only 2 expires.
    let later = t0 + Span::seconds(50);
    m.heartbeat(ChapterNo(1), &live, later).unwrap();
    m.heartbeat(ChapterNo(3), &other, later).unwrap();
    let expired = m
        .recover_expired(DEFAULT_LEASE, t0 + Span::seconds(61))
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].0, ChapterNo(2));
    let ch = &m.manifest().unwrap().chapters;
    assert_eq!(ch[&ChapterNo(1)].status, Status::IllustrationInprogress);
    assert_eq!(ch[&ChapterNo(2)].status, Status::Analyzed);
    assert!(ch[&ChapterNo(2)].claim.is_none());
    assert_eq!(ch[&ChapterNo(3)].status, Status::IllustrationInprogress);
}

/// The review loop claims one chapter by number: analyzed or illustrated, never one a live
/// worker holds (`Busy`) nor one not analyzed; giving it back completes it when all is drawn.
#[test]
fn a_review_claims_one_chapter_and_never_a_held_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 3, &[1, 2]);
    let (worker, reviewer) = (WorkerId::current(), WorkerId::current());
    let _alive = store.register_worker(&worker).unwrap();
    let _reviewing = store.register_worker(&reviewer).unwrap();
    let now = Utc::now();
    store
        .update_with_lock(|m| {
            assert_eq!(
                m.claim_next(&worker, DEFAULT_LEASE, now)?,
                Some(ChapterNo(1))
            );
            let busy = m.claim_chapter(ChapterNo(1), &reviewer, DEFAULT_LEASE, now);
            assert!(matches!(busy, Err(Error::Busy { .. })), "{busy:?}");
            let early = m.claim_chapter(ChapterNo(3), &reviewer, DEFAULT_LEASE, now);
            assert!(
                matches!(early, Err(Error::NotReviewable { .. })),
                "{early:?}"
            );
            m.record_scene(ChapterNo(1), SceneNo(1))?;
            m.record_scene(ChapterNo(1), SceneNo(2))?;
            m.complete(ChapterNo(1), &worker, now)?;
            // Illustrated: reopened for the review, complete again when it ends.
            m.claim_chapter(ChapterNo(1), &reviewer, DEFAULT_LEASE, now)?;
            assert_eq!(
                m.manifest()?.chapters[&ChapterNo(1)].status,
                Status::IllustrationInprogress
            );
            assert!(m.finish_review(ChapterNo(1), &reviewer, now)?);
            assert_eq!(
                m.manifest()?.chapters[&ChapterNo(1)].status,
                Status::IllustrationComplete
            );
            // Analyzed with scenes left: back to analyzed for an illustrator.
            m.claim_chapter(ChapterNo(2), &reviewer, DEFAULT_LEASE, now)?;
            assert!(!m.finish_review(ChapterNo(2), &reviewer, now)?);
            assert_eq!(
                m.manifest()?.chapters[&ChapterNo(2)].status,
                Status::Analyzed
            );
            Ok::<_, Error>(())
        })
        .unwrap();
}
