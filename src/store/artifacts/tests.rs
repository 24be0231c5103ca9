//! The conformance suite every [`Artifacts`] implementation passes (docs/ARCHITECTURE.md §9):
//! the output folder, and `object_store` on a `file://` folder. An S3-compatible server runs
//! the same suite in `tests/artifacts_s3.rs`.

use super::{Artifacts, Folder, Key, Object, Put};
use std::sync::{Arc, Barrier};

fn key(k: &str) -> Key {
    Key::new(k).unwrap()
}

macro_rules! conformance {
    ($module:ident, $make:expr) => {
        conformance!($module, $make, atomic_create = true);
    };
    ($module:ident, $make:expr, atomic_create = $atomic:expr) => {
        mod $module {
            use super::*;

            fn make(dir: &std::path::Path) -> Option<Box<dyn Artifacts>> {
                ($make)(dir)
            }

            #[test]
            fn put_then_get_gives_the_bytes_and_put_replaces() {
                let dir = tempfile::tempdir().unwrap();
                let Some(store) = make(dir.path()) else {
                    return;
                };
                let k = key("chapters/001.json");
                assert_eq!(store.get(&k).unwrap(), None);
                store.put(&k, b"first").unwrap();
                assert_eq!(store.get(&k).unwrap().as_deref(), Some(&b"first"[..]));
                store.put(&k, b"second").unwrap();
                assert_eq!(store.get(&k).unwrap().as_deref(), Some(&b"second"[..]));
            }

            #[test]
            fn put_new_never_replaces_and_exactly_one_of_many_writers_creates() {
                let dir = tempfile::tempdir().unwrap();
                let Some(store) = make(dir.path()) else {
                    return;
                };
                let store: Arc<dyn Artifacts> = Arc::from(store);
                let k = key("images/chapter_1_scene_1.png");
                let first = key("images/first.png");
                assert_eq!(store.put_new(&first, b"one").unwrap(), Put::Created);
                assert_eq!(store.put_new(&first, b"two").unwrap(), Put::Existed);
                assert_eq!(store.get(&first).unwrap().as_deref(), Some(&b"one"[..]));
                if !$atomic {
                    return;
                }
                let writers = 8;
                let start = Arc::new(Barrier::new(writers));
                let handles: Vec<_> = (0..writers)
                    .map(|i| {
                        let (store, start, k) = (store.clone(), start.clone(), k.clone());
                        std::thread::spawn(move || {
                            start.wait();
                            let bytes = format!("writer {i}").into_bytes();
                            (store.put_new(&k, &bytes).unwrap(), bytes)
                        })
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .collect();
                let created: Vec<_> = handles.iter().filter(|(p, _)| *p == Put::Created).collect();
                assert_eq!(created.len(), 1, "{handles:?}");
                assert_eq!(store.get(&k).unwrap(), Some(created[0].1.clone()));
            }

            #[test]
            fn list_names_every_file_below_a_prefix_sorted() {
                let dir = tempfile::tempdir().unwrap();
                let Some(store) = make(dir.path()) else {
                    return;
                };
                for k in [
                    "images/b.png",
                    "images/a.png",
                    "images/old/c.png",
                    "chapters/1.json",
                ] {
                    store.put(&key(k), b"x").unwrap();
                }
                let listed: Vec<String> = store
                    .list(&key("images"))
                    .unwrap()
                    .iter()
                    .map(|k| k.to_string())
                    .collect();
                assert_eq!(listed, ["images/a.png", "images/b.png", "images/old/c.png"]);
                assert!(store.list(&key("nothing")).unwrap().is_empty());
            }

            #[test]
            fn remove_and_rename_move_the_bytes() {
                let dir = tempfile::tempdir().unwrap();
                let Some(store) = make(dir.path()) else {
                    return;
                };
                let (a, b) = (key("images/a.png"), key("images/versions/a.png"));
                store.put(&a, b"image").unwrap();
                store.rename(&a, &b).unwrap();
                assert_eq!(store.get(&a).unwrap(), None);
                assert_eq!(store.get(&b).unwrap().as_deref(), Some(&b"image"[..]));
                store.remove(&b).unwrap();
                store.remove(&b).unwrap();
                assert_eq!(store.get(&b).unwrap(), None);
            }

            #[test]
            fn the_location_names_where_the_files_are_without_credentials() {
                let dir = tempfile::tempdir().unwrap();
                let Some(store) = make(dir.path()) else {
                    return;
                };
                let location = store.location();
                assert!(!location.is_empty());
                assert!(!location.contains("secret"), "{location}");
                let k = key("a/b.json");
                store.put(&k, b"x").unwrap();
                let err = store.rename(&key("missing/file"), &k).unwrap_err();
                assert!(!err.to_string().contains("secret"), "{err}");
            }
        }
    };
}

conformance!(
    folder,
    |dir: &std::path::Path| -> Option<Box<dyn Artifacts>> { Some(Box::new(Folder::new(dir))) }
);

conformance!(
    object_store_on_a_folder,
    |dir: &std::path::Path| -> Option<Box<dyn Artifacts>> {
        Some(Box::new(
            Object::open(&format!("file://{}", dir.display())).unwrap(),
        ))
    }
);

// A real S3-compatible server (s3s-fs), not a mock: the same guarantees over HTTP, except that
// s3s-fs checks `If-None-Match: *` before writing rather than atomically (8 racing creators:
// 6 "created" seen), so only a sequential create-if-absent is checked there. AWS S3 and the
// usual servers make it atomic; docs/scale-out.md says which guarantee rests on it.
conformance!(
    s3,
    |_: &std::path::Path| -> Option<Box<dyn Artifacts>> {
        crate::store::artifacts::test_s3::bucket().map(|b| Box::new(b) as Box<dyn Artifacts>)
    },
    atomic_create = false
);

#[test]
fn a_bad_url_is_a_clear_error_without_credentials() {
    let err = super::open("nosuch://user:secret@host/x").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("nosuch://host/x"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

/// The object store is called from async code too (the pipeline reads chapter scenes on its
/// workers): a `block_on` of a tokio runtime there would panic.
#[tokio::test(flavor = "current_thread")]
async fn the_object_store_works_inside_an_async_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let store = Object::open(&format!("file://{}", dir.path().display())).unwrap();
    store.put(&key("chapters/001.json"), b"{}").unwrap();
    assert_eq!(
        store.get(&key("chapters/001.json")).unwrap().as_deref(),
        Some(&b"{}"[..])
    );
    drop(store);
}
