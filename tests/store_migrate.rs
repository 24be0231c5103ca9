//! Migration of the old tool's state files (`imaginize --migrate-concurrent`), on hand-written
//! folders of both eras under `tests/fixtures/migrate/`.

use imaginize::analyze::model::{Catalogue, ChapterScenes};
use imaginize::ids::{ChapterNo, SceneNo};
use imaginize::migrate::migrate_folder;
use imaginize::provider::ElementKind;
use imaginize::store::{ElementsStatus, Error, Manifest, Status, Store};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrate")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&from, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file in the folder with its bytes, except the lock file (whose holder line changes
/// each time anyone takes the lock; it is not state).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.ends_with(".imaginize.lock") {
                files.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&path).unwrap(),
                );
            }
        }
    }
    files
}

fn manifest(dir: &Path) -> Manifest {
    let loaded = Store::open(dir).unwrap().load().unwrap();
    assert!(loaded.notes.is_empty(), "{:?}", loaded.notes);
    loaded.manifest.unwrap()
}

fn scenes(dir: &Path, chapter: u32) -> ChapterScenes {
    let path = dir.join(format!("chapters/{chapter:03}.json"));
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn era2_state_with_scene_concepts_becomes_a_manifest() {
    let dir = fixture("era2");
    let original = fs::read(dir.path().join(".imaginize.state.json")).unwrap();
    let report = migrate_folder(dir.path()).unwrap();
    assert!(!report.already_migrated);
    assert_eq!(report.illustrated, vec![ChapterNo(1)]);
    assert_eq!(report.analyzed, vec![ChapterNo(2)]);
    assert_eq!(report.failed, vec![ChapterNo(3)]);
    assert_eq!(report.pending, vec![ChapterNo(4)]);
    assert_eq!(report.images_adopted, 2);

    let m = manifest(dir.path());
    assert_eq!(m.version, "3.1.0");
    assert_eq!(m.book_id, "the_tiny_book");
    assert_eq!(m.book.title, "The Tiny Book");
    assert!(!m.analyze_complete && !m.illustrate_complete);
    let ch = &m.chapters;
    assert_eq!(ch[&ChapterNo(1)].status, Status::IllustrationComplete);
    assert_eq!(ch[&ChapterNo(1)].title, "Chapter 1: The Door");
    assert_eq!(ch[&ChapterNo(1)].concepts, 2);
    assert_eq!(ch[&ChapterNo(1)].scenes_done, vec![SceneNo(1), SceneNo(2)]);
    assert_eq!(ch[&ChapterNo(1)].usage.prompt_tokens, 1200);
    assert_eq!(ch[&ChapterNo(1)].usage.images, 2);
    assert_eq!(
        ch[&ChapterNo(1)].illustrated_at.unwrap().to_rfc3339(),
        "2025-10-01T09:05:00+00:00"
    );
    assert_eq!(ch[&ChapterNo(2)].status, Status::Analyzed);
    assert!(ch[&ChapterNo(2)].scenes_done.is_empty());
    assert_eq!(ch[&ChapterNo(3)].status, Status::Error);
    assert_eq!(
        ch[&ChapterNo(3)].error.as_deref(),
        Some("429 Too Many Requests")
    );
    assert!(
        ch[&ChapterNo(3)].analyzed_at.is_none(),
        "a retry analyzes it again"
    );
    assert_eq!(ch[&ChapterNo(4)].status, Status::Pending);
    assert!(ch[&ChapterNo(4)].key.0.starts_with("migrated:"));

    let one = scenes(dir.path(), 1);
    assert_eq!(one.scenes.len(), 2);
    assert_eq!(
        one.scenes[0].quote,
        "The door was painted a green so deep it looked black."
    );
    assert_eq!(one.scenes[0].mood, "quiet");
    assert_eq!(one.scenes[0].elements, vec!["Mara", "the green door"]);
    assert_eq!(
        one.scenes[0].image.as_deref(),
        Some("images/chapter_1_scene_1.png")
    );
    // The extension comes from the bytes (JPEG), not the old name (.jpeg).
    assert_eq!(
        one.scenes[1].image.as_deref(),
        Some("images/chapter_1_scene_2.jpg")
    );
    assert_eq!(
        fs::read(dir.path().join("images/chapter_1_scene_2.jpg")).unwrap(),
        fs::read(dir.path().join("images/chapter-1-scene-2.jpeg")).unwrap()
    );
    assert!(
        dir.path().join("images/chapter-1-scene-1.png").exists(),
        "old files stay"
    );
    assert_eq!(scenes(dir.path(), 2).scenes[0].lighting, "candlelight");
    assert!(!dir.path().join("chapters/003.json").exists());

    // The catalogue: pages placed in chapters by the toc, `object` read as an item, an unknown
    // type left out with a note. The old extract phase had not finished, so it is not final.
    assert_eq!(report.elements, 2);
    assert!(
        report.notes.iter().any(|n| n.contains("`The Cart`")),
        "{:?}",
        report.notes
    );
    assert_eq!(m.elements_md_status, ElementsStatus::Pending);
    let cat: Catalogue =
        serde_json::from_slice(&fs::read(dir.path().join("elements.json")).unwrap()).unwrap();
    assert_eq!(cat.title, "The Tiny Book");
    assert_eq!(cat.elements[0].name, "Mara");
    assert_eq!(cat.elements[0].first_chapter, ChapterNo(1));
    assert_eq!(cat.elements[0].description, "a girl in a yellow coat");
    let key = &cat.elements[1];
    assert_eq!(key.kind, ElementKind::Item);
    assert_eq!(key.aliases, vec!["the key"]);
    assert_eq!(key.first_chapter, ChapterNo(2));
    assert_eq!(key.chapters, vec![ChapterNo(2)]);
    assert_eq!(key.quotes.len(), 2);
    assert_eq!(
        key.quotes[1].chapter,
        ChapterNo(2),
        "an unplaced quote joins the first chapter"
    );

    // The old file is untouched and its backup is an exact copy.
    assert_eq!(
        fs::read(dir.path().join(".imaginize.state.json")).unwrap(),
        original
    );
    assert_eq!(
        fs::read(dir.path().join(".imaginize.state.json.backup")).unwrap(),
        original
    );
    assert_eq!(
        report.backup,
        dir.path().join(".imaginize.state.json.backup")
    );
}

#[test]
fn era1_state_without_scene_concepts_takes_scenes_from_chapters_md() {
    let dir = fixture("era1");
    let original = fs::read(dir.path().join(".illustrate.state.json")).unwrap();
    let report = migrate_folder(dir.path()).unwrap();
    assert_eq!(report.illustrated, vec![ChapterNo(1)]);
    // Chapter 2's only image was a URL: nothing is downloaded, so it is drawn again.
    assert_eq!(report.analyzed, vec![ChapterNo(2)]);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("chapter 2 scene 1") && n.contains("only a link")),
        "{:?}",
        report.notes
    );

    let m = manifest(dir.path());
    assert_eq!(m.book_id, "old_tale");
    assert_eq!(report.elements, 1);
    assert_eq!(m.elements_md_status, ElementsStatus::Complete);
    assert!(m.analyze_complete);
    assert!(!m.illustrate_complete);
    assert_eq!(
        m.chapters[&ChapterNo(1)].status,
        Status::IllustrationComplete
    );
    assert_eq!(m.chapters[&ChapterNo(2)].status, Status::Analyzed);
    assert_eq!(m.chapters[&ChapterNo(2)].concepts, 1);

    let one = scenes(dir.path(), 1);
    assert_eq!(one.title, "Chapter I");
    assert_eq!(
        one.scenes[1].quote,
        "The wheel turned all night,\nthough no water moved it."
    );
    assert_eq!(
        one.scenes[1].description,
        "A mill wheel turning over a dry riverbed under the moon."
    );
    assert_eq!(
        one.scenes[1].image.as_deref(),
        Some("images/chapter_1_scene_2.png")
    );
    assert_eq!(
        fs::read(dir.path().join("images/chapter_1_scene_2.png")).unwrap(),
        b"\x89PNG\r\n\x1a\nera1-scene-2"
    );
    assert_eq!(scenes(dir.path(), 2).scenes[0].image, None);
    assert_eq!(
        fs::read(dir.path().join(".illustrate.state.json")).unwrap(),
        original
    );
    assert_eq!(
        fs::read(dir.path().join(".illustrate.state.json.backup")).unwrap(),
        original
    );
}

#[test]
fn running_twice_changes_nothing_the_second_time() {
    for era in ["era1", "era2"] {
        let dir = fixture(era);
        migrate_folder(dir.path()).unwrap();
        let before = snapshot(dir.path());
        let again = migrate_folder(dir.path()).unwrap();
        assert!(again.already_migrated, "{era}");
        assert_eq!(snapshot(dir.path()), before, "{era}");
    }
}

#[test]
fn an_interrupted_migration_is_finished_by_running_it_again() {
    let dir = fixture("era2");
    migrate_folder(dir.path()).unwrap();
    let done = snapshot(dir.path());
    // As if killed after the chapter files and images but before the manifest.
    fs::remove_file(dir.path().join(".imaginize.manifest.json")).unwrap();
    let report = migrate_folder(dir.path()).unwrap();
    assert!(!report.already_migrated);
    let mut after = snapshot(dir.path());
    let mut expected = done.clone();
    // The manifest's last_updated differs; everything else is byte for byte the same.
    let key = PathBuf::from(".imaginize.manifest.json");
    let strip = |files: &mut BTreeMap<PathBuf, Vec<u8>>| {
        let m: serde_json::Value = serde_json::from_slice(&files.remove(&key).unwrap()).unwrap();
        let mut m = m;
        m.as_object_mut().unwrap().remove("last_updated");
        m
    };
    assert_eq!(strip(&mut after), strip(&mut expected));
    assert_eq!(after, expected);
}

#[test]
fn a_field_it_cannot_understand_is_an_error_naming_the_field() {
    let dir = fixture("bad-field");
    let before = snapshot(dir.path());
    let err = migrate_folder(dir.path()).unwrap_err();
    match &err {
        Error::MigrateField { field, problem, .. } => {
            assert_eq!(field, "phases.analyze.chapters.2.status");
            assert!(problem.contains("`done`"), "{problem}");
        }
        other => panic!("unexpected error: {other}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("field `phases.analyze.chapters.2.status`"),
        "{msg}"
    );
    assert_eq!(snapshot(dir.path()), before, "nothing is written");
}

#[test]
fn wrong_types_and_versions_name_their_field_too() {
    let cases = [
        (r#"{"version": "3.0.0", "phases": {}}"#, "version"),
        (r#"{"version": "2.0.0"}"#, "phases"),
        (
            r#"{"version": "2.0.0", "phases": {"analyze": {"status": "completed", "chapters": {"x": {"status": "completed"}}}}}"#,
            "phases.analyze.chapters.x",
        ),
        (
            r#"{"version": "2.0.0", "phases": {"analyze": {"status": "completed", "chapters": {"1": {"status": "completed", "tokensUsed": "many"}}}}}"#,
            "phases.analyze.chapters.1.tokensUsed",
        ),
        (
            r#"{"version": "2.0.0", "phases": {"illustrate": {"status": "pending", "chapters": {"1": {"status": "completed", "completedAt": "yesterday"}}}}}"#,
            "phases.illustrate.chapters.1.completedAt",
        ),
        (
            r#"{"version": "2.0.0", "phases": {}, "toc": {"chapters": [{"number": 0}]}}"#,
            "toc.chapters.0.number",
        ),
        (
            r#"{"version": "2.0.0", "phases": {}, "elements": [{"type": "place"}]}"#,
            "elements.0.name",
        ),
        (
            r#"{"version": "2.0.0", "phases": {"extract": {"status": 1}}}"#,
            "phases.extract.status",
        ),
        (
            r#"{"version": "2.0.0", "phases": {"analyze": {"status": "completed", "chapters": {"1": {"status": "completed", "sceneConcepts": [{"chapter": "a"}]}}}}}"#,
            "phases.analyze.chapters.1.sceneConcepts.0.quote",
        ),
    ];
    for (text, field) in cases {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".imaginize.state.json"), text).unwrap();
        match migrate_folder(dir.path()) {
            Err(Error::MigrateField { field: got, .. }) => assert_eq!(got, field, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn a_folder_without_old_state_or_with_unparsable_state_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        migrate_folder(dir.path()),
        Err(Error::NothingToMigrate { .. })
    ));
    fs::write(dir.path().join(".imaginize.state.json"), "{ not json").unwrap();
    assert!(matches!(
        migrate_folder(dir.path()),
        Err(Error::MigrateParse { .. })
    ));
}

#[test]
fn a_backup_that_differs_is_never_overwritten() {
    let dir = fixture("era2");
    fs::write(
        dir.path().join(".imaginize.state.json.backup"),
        "something else",
    )
    .unwrap();
    assert!(matches!(
        migrate_folder(dir.path()),
        Err(Error::BackupDiffers { .. })
    ));
    assert_eq!(
        fs::read(dir.path().join(".imaginize.state.json.backup")).unwrap(),
        b"something else"
    );
}
