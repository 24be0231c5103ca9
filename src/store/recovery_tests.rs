//! Recovery from a missing, unparsable or invalid manifest (docs/ARCHITECTURE.md §7).

use crate::ids::ChapterNo;
use crate::store::manifest::{Manifest, Status};
use crate::store::test_support::manifest;
use crate::store::{Error, MANIFEST_FILE, Store};
use std::fs;
use std::path::Path;
use std::time::Duration;

/// A store whose manifest has been committed twice, so both it and `.bak` are good; the
/// manifest has chapter 1 analyzed, the backup does not.
fn two_versions(dir: &Path) -> Store {
    let store = Store::open(dir).unwrap();
    store
        .update_with_lock(|m| {
            m.set_initial(manifest(2));
            Ok::<_, Error>(())
        })
        .unwrap();
    store
        .update_with_lock(|m| m.mark_analyzed(ChapterNo(1), 2, chrono::Utc::now()))
        .unwrap();
    store
}

fn corrupt_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    names.sort();
    names
}

#[test]
fn unparsable_manifest_is_kept_aside_and_the_run_continues_from_bak() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    fs::write(store.manifest_path(), b"{\"version\": \"3.1.0\", \"book_").unwrap();

    let loaded = store.load().unwrap();
    let m = loaded.manifest.expect("continued from .bak");
    assert_eq!(m.chapters[&ChapterNo(1)].status, Status::Pending);
    assert_eq!(loaded.notes.len(), 1, "{:?}", loaded.notes);
    let note = &loaded.notes[0];
    assert!(note.contains("does not parse"), "{note}");
    assert!(note.contains(".corrupt-"), "{note}");
    assert!(note.contains("continues from the backup"), "{note}");

    let kept = corrupt_files(dir.path());
    assert_eq!(kept.len(), 1);
    assert_eq!(
        fs::read(dir.path().join(&kept[0])).unwrap(),
        b"{\"version\": \"3.1.0\", \"book_"
    );
    // The manifest itself is good again, so the next reader sees no notes.
    assert!(store.load().unwrap().notes.is_empty());
}

#[test]
fn invalid_manifest_is_treated_like_an_unparsable_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    let text = fs::read_to_string(store.manifest_path()).unwrap();
    // `illustration_inprogress` without a claim breaks an invariant.
    let bad = text.replacen("\"analyzed\"", "\"illustration_inprogress\"", 1);
    assert_ne!(bad, text);
    fs::write(store.manifest_path(), bad).unwrap();

    let locked = store.lock(Duration::from_secs(5)).unwrap();
    assert!(locked.notes()[0].contains("it is invalid: chapter 1"));
    assert_eq!(corrupt_files(dir.path()).len(), 1);
}

#[test]
fn missing_manifest_is_restored_from_bak_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    fs::remove_file(store.manifest_path()).unwrap();
    let loaded = store.load().unwrap();
    assert!(loaded.manifest.is_some());
    assert!(loaded.notes[0].contains("was missing"));
    assert!(store.manifest_path().exists());
}

#[test]
fn both_unusable_is_an_error_that_says_so_and_nothing_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    fs::write(store.manifest_path(), b"garbage").unwrap();
    fs::write(
        dir.path().join(format!("{MANIFEST_FILE}.bak")),
        b"also garbage",
    )
    .unwrap();
    let err = store.load().unwrap_err();
    assert!(matches!(err, Error::BothUnusable { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("and so is its backup"), "{msg}");
    assert!(msg.contains("restore one of them"), "{msg}");
    // The bad manifest is kept, not deleted, and no fresh manifest was written.
    assert_eq!(corrupt_files(dir.path()).len(), 1);
    assert!(!store.manifest_path().exists());
}

#[test]
fn missing_manifest_with_a_bad_backup_is_an_error_not_a_new_book() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    fs::remove_file(store.manifest_path()).unwrap();
    fs::write(dir.path().join(format!("{MANIFEST_FILE}.bak")), b"{").unwrap();
    let err = store.lock(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, Error::BothUnusable { .. }), "{err}");
}

#[test]
fn empty_folder_has_no_manifest_and_no_notes() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = Store::open(dir.path()).unwrap().load().unwrap();
    assert!(loaded.manifest.is_none());
    assert!(loaded.notes.is_empty());
}

#[test]
fn newer_manifest_that_does_not_parse_is_never_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let text = r#"{"version": "4.0.0", "something": "new"}"#;
    fs::write(store.manifest_path(), text).unwrap();
    let err = store.load().unwrap_err();
    assert!(matches!(err, Error::NewerVersion { .. }), "{err}");
    assert_eq!(fs::read_to_string(store.manifest_path()).unwrap(), text);
    assert!(corrupt_files(dir.path()).is_empty());
}

#[test]
fn newer_manifest_is_read_but_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    let text = fs::read_to_string(store.manifest_path())
        .unwrap()
        .replace("\"3.1.0\"", "\"3.2.0\"");
    fs::write(store.manifest_path(), &text).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.manifest.unwrap().version, "3.2.0");
    let err = store
        .update_with_lock(|m| m.mark_analyzed(ChapterNo(2), 1, chrono::Utc::now()))
        .unwrap_err();
    assert!(matches!(err, Error::NewerVersion { .. }), "{err}");
    assert_eq!(fs::read_to_string(store.manifest_path()).unwrap(), text);
}

#[test]
fn every_commit_keeps_the_previous_version_as_bak() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_versions(dir.path());
    let bak = fs::read(dir.path().join(format!("{MANIFEST_FILE}.bak"))).unwrap();
    let bak: Manifest = serde_json::from_slice(&bak).unwrap();
    assert_eq!(bak.chapters[&ChapterNo(1)].status, Status::Pending);
    let current = store.load().unwrap().manifest.unwrap();
    assert_eq!(current.chapters[&ChapterNo(1)].status, Status::Analyzed);
}

#[test]
fn an_existing_folder_needs_the_folder_and_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    assert!(matches!(
        crate::store::existing_folder(&missing),
        Err(Error::NoFolder { .. })
    ));
    assert!(matches!(
        crate::store::existing_folder(dir.path()),
        Err(Error::NoManifest { .. })
    ));
    let store = two_versions(dir.path());
    let (_, found) = crate::store::existing_folder(store.dir()).unwrap();
    assert_eq!(found.chapters[&ChapterNo(1)].status, Status::Analyzed);
}
