//! `Object::put_new`'s retry of a create cut off mid-request (`object::create`), on an
//! in-memory store whose puts fail as a restarted server's do.

use super::create;
use crate::store::artifacts::Put;
use crate::store::artifacts::retry::Backoff;
use async_trait::async_trait;
use futures_util::stream::BoxStream;
use object_store::client::{HttpError, HttpErrorKind};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// What the first `cut` puts do before their connection is cut.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// The object landed; only the answer was lost.
    AfterLanding,
    /// Nothing landed, and another writer's bytes did meanwhile.
    WhileAnotherWrites,
    /// Nothing landed: the server is down.
    Refused,
}

#[derive(Debug)]
struct Flaky {
    inner: InMemory,
    cut: Cut,
    cuts_left: AtomicU32,
    puts: AtomicU32,
}

impl Flaky {
    fn new(cut: Cut, cuts: u32) -> Arc<Flaky> {
        Arc::new(Flaky {
            inner: InMemory::new(),
            cut,
            cuts_left: AtomicU32::new(cuts),
            puts: AtomicU32::new(0),
        })
    }
}

impl std::fmt::Display for Flaky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Flaky")
    }
}

fn interrupted() -> object_store::Error {
    let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    object_store::Error::Generic {
        store: "Flaky",
        source: Box::new(HttpError::new(HttpErrorKind::Interrupted, reset)),
    }
}

#[async_trait]
impl ObjectStore for Flaky {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        let cut = self
            .cuts_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if !cut {
            return self.inner.put_opts(location, payload, opts).await;
        }
        match self.cut {
            Cut::AfterLanding => {
                self.inner.put_opts(location, payload, opts).await?;
            }
            Cut::WhileAnotherWrites => {
                self.inner
                    .put(location, PutPayload::from_static(b"theirs"))
                    .await?;
            }
            Cut::Refused => {}
        }
        Err(interrupted())
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// Short waits: these tests are about what is retried, not how long.
fn quick(give_up_after: Duration) -> Backoff {
    Backoff {
        first: Duration::from_millis(1),
        longest: Duration::from_millis(5),
        give_up_after,
    }
}

fn create_on(store: &Arc<Flaky>, backoff: Backoff) -> object_store::Result<Put> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let path = Path::from("images/chapter_1_scene_1.png");
    let payload = PutPayload::from_static(b"ours");
    runtime.block_on(create(store.clone(), path, payload, backoff))
}

#[test]
fn a_create_whose_answer_was_lost_is_retried_and_finds_its_own_bytes() {
    let store = Flaky::new(Cut::AfterLanding, 1);
    let put = create_on(&store, quick(Duration::from_secs(60))).expect("created");
    assert_eq!(put, Put::Created, "the bytes there are ours");
    assert_eq!(store.puts.load(Ordering::SeqCst), 2);
}

#[test]
fn a_retried_create_that_finds_another_writers_bytes_leaves_them() {
    let store = Flaky::new(Cut::WhileAnotherWrites, 1);
    let put = create_on(&store, quick(Duration::from_secs(60))).expect("answered");
    assert_eq!(put, Put::Existed, "not ours: the caller checks it is whole");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let kept = runtime.block_on(async {
        let found = store.get(&Path::from("images/chapter_1_scene_1.png")).await;
        found.expect("there").bytes().await.expect("read")
    });
    assert_eq!(&kept[..], b"theirs", "the first writer's image is kept");
}

#[test]
fn a_create_refused_a_few_times_gets_through() {
    let store = Flaky::new(Cut::Refused, 3);
    let put = create_on(&store, quick(Duration::from_secs(60))).expect("created");
    assert_eq!(put, Put::Created);
    assert_eq!(store.puts.load(Ordering::SeqCst), 4);
}

#[test]
fn a_create_that_never_gets_through_fails_once_the_backoff_gives_up() {
    let store = Flaky::new(Cut::Refused, u32::MAX);
    let failed = create_on(&store, quick(Duration::from_millis(50)));
    assert!(failed.is_err(), "{failed:?}");
    assert!(store.puts.load(Ordering::SeqCst) > 1, "it was retried");
}
