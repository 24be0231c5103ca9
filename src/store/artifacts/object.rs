//! Artifacts in an `object_store`: a local or shared folder (`file:///path`) or S3-compatible
//! storage (`s3://bucket/prefix`; endpoint, region and credentials from the usual `AWS_*`
//! environment variables, e.g. `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP=true` for a local server).
//!
//! `object_store` is async; this store runs its calls on a small runtime of its own and waits
//! for them with a plain executor, so the synchronous [`Artifacts`] operations work from the
//! pipeline's blocking pool, from async code and from plain code alike (a `block_on` of a
//! tokio runtime would panic inside another runtime).

use super::retry::{self, Backoff};
use super::{Artifacts, Key, Put};
use crate::store::Error;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{
    ObjectStore, ObjectStoreExt, ObjectStoreScheme, PutMode, PutOptions, PutPayload,
};
use std::future::Future;
use std::sync::Arc;

/// Artifacts kept in an object store under a prefix.
pub struct Object {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// Shown in messages: the URL without credentials.
    location: String,
    /// `Some` until dropped; shut down without blocking, so dropping it on an async thread
    /// is safe.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Object {
    /// Opens `url` (`file:///…` or `s3://…`), reading `AWS_*` settings from the environment.
    pub fn open(url: &str) -> Result<Object, Error> {
        let options = std::env::vars()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v));
        Object::open_with(url, options)
    }

    /// Opens `url` with `object_store` settings (`aws_endpoint`, `aws_access_key_id`, …).
    pub fn open_with(
        url: &str,
        options: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Object, Error> {
        let location = without_credentials(url);
        // The client's messages quote the URL: quote the one without credentials instead.
        let bad_url = |reason: String| Error::BadUrl {
            url: location.clone(),
            reason: reason.replace(url, &location),
        };
        let parsed = url::Url::parse(url).map_err(|e| bad_url(e.to_string()))?;
        let (store, prefix) = connect(&parsed, options).map_err(|e| bad_url(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("imaginize-artifacts")
            .enable_all()
            .build()
            .map_err(|e| bad_url(format!("cannot start its client: {e}")))?;
        Ok(Object {
            store: Arc::from(store),
            prefix,
            location,
            runtime: Some(runtime),
        })
    }

    fn path(&self, key: &Key) -> ObjectPath {
        key.as_str()
            .split('/')
            .fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// Runs `call` on this store's runtime and names `key` in its error.
    fn run<T: Send + 'static>(
        &self,
        action: &'static str,
        key: &Key,
        call: impl Future<Output = object_store::Result<T>> + Send + 'static,
    ) -> Result<T, Error> {
        let Some(runtime) = &self.runtime else {
            return Err(self.failed(action, key, shut_down()));
        };
        match futures_executor::block_on(runtime.spawn(call)) {
            Ok(result) => result.map_err(|source| self.failed(action, key, source)),
            Err(join) => Err(self.failed(action, key, join)),
        }
    }

    fn failed(
        &self,
        action: &'static str,
        key: &Key,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Remote {
            action,
            key: format!("{}/{key}", self.location),
            source: Box::new(source),
        }
    }

    /// `path` as a key relative to this store's prefix.
    fn key_of(&self, path: &ObjectPath) -> Result<Key, Error> {
        let parts: Vec<String> = path
            .prefix_match(&self.prefix)
            .map(|parts| parts.map(|p| p.as_ref().to_string()).collect())
            .unwrap_or_default();
        Key::new(parts.join("/"))
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Artifacts for Object {
    fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), Error> {
        let (store, path) = (self.store.clone(), self.path(key));
        let payload = PutPayload::from(bytes.to_vec());
        self.run("write", key, async move { store.put(&path, payload).await })
            .map(|_| ())
    }

    fn put_new(&self, key: &Key, bytes: &[u8]) -> Result<Put, Error> {
        let (store, path) = (self.store.clone(), self.path(key));
        let payload = PutPayload::from(bytes.to_vec());
        self.run(
            "create",
            key,
            create(store, path, payload, Backoff::default()),
        )
    }

    fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, Error> {
        let (store, path) = (self.store.clone(), self.path(key));
        let read = async move {
            match store.get(&path).await {
                Ok(found) => found.bytes().await.map(|b| Some(b.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        };
        self.run("read", key, read)
    }

    fn list(&self, prefix: &Key) -> Result<Vec<Key>, Error> {
        let (store, path) = (self.store.clone(), self.path(prefix));
        let listed = self.run("list", prefix, async move {
            store.list(Some(&path)).try_collect::<Vec<_>>().await
        })?;
        let mut keys = listed
            .iter()
            .map(|meta| self.key_of(&meta.location))
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort();
        Ok(keys)
    }

    fn remove(&self, key: &Key) -> Result<(), Error> {
        let (store, path) = (self.store.clone(), self.path(key));
        let delete = async move {
            match store.delete(&path).await {
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                other => other,
            }
        };
        self.run("remove", key, delete)
    }

    fn rename(&self, from: &Key, to: &Key) -> Result<(), Error> {
        let (store, from_path, to_path) = (self.store.clone(), self.path(from), self.path(to));
        self.run("move", from, async move {
            store.rename(&from_path, &to_path).await
        })
    }

    fn location(&self) -> String {
        self.location.clone()
    }
}

/// The store and prefix `url` names. An S3 client gets [`retry::client_retries`]: the
/// storage's restarts are waited out as the database's are.
fn connect(
    url: &url::Url,
    options: impl IntoIterator<Item = (String, String)>,
) -> object_store::Result<(Box<dyn ObjectStore>, ObjectPath)> {
    let (scheme, path) = ObjectStoreScheme::parse(url)?;
    if scheme != ObjectStoreScheme::AmazonS3 {
        return object_store::parse_url_opts(url, options);
    }
    // As `parse_url_opts` builds it (unknown keys ignored), with the retries set.
    let builder = options.into_iter().fold(
        AmazonS3Builder::new().with_url(url.to_string()),
        |builder, (key, value)| match key.to_ascii_lowercase().parse() {
            Ok(key) => builder.with_config(key, value),
            Err(_) => builder,
        },
    );
    let store = builder.with_retry(retry::client_retries()).build()?;
    Ok((Box::new(store), ObjectPath::parse(path)?))
}

/// Creates `path` if absent. A create cut off mid-request is retried (the client does not: it
/// may have landed) for as long as [`Backoff`] allows; if the retry then finds the key taken,
/// bytes equal to ours are our own first attempt (created), anything else another writer's.
async fn create(
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    payload: PutPayload,
    backoff: Backoff,
) -> object_store::Result<Put> {
    let started = std::time::Instant::now();
    let mut retry = 0;
    loop {
        let options = PutOptions::from(PutMode::Create);
        match store.put_opts(&path, payload.clone(), options).await {
            Ok(_) => return Ok(Put::Created),
            Err(object_store::Error::AlreadyExists { .. }) if retry > 0 => {
                let found = store.get(&path).await?.bytes().await?;
                let ours = payload.iter().flatten().copied().eq(found.iter().copied());
                return Ok(if ours { Put::Created } else { Put::Existed });
            }
            Err(object_store::Error::AlreadyExists { .. }) => return Ok(Put::Existed),
            Err(e) if retry::transient(&e) => match backoff.wait(retry, started.elapsed()) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
        retry += 1;
    }
}

/// The error of a call made while the store is being dropped (cannot happen through `&self`
/// in safe code, but is an error rather than a panic).
fn shut_down() -> std::io::Error {
    std::io::Error::other("the storage client has shut down")
}

/// `url` with any `user:password@` removed, for messages and logs.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if path.is_empty() {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
#[path = "create_tests.rs"]
mod create_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_a_message() {
        assert_eq!(
            without_credentials("s3://AKIA:secret@bucket/books"),
            "s3://bucket/books"
        );
        assert_eq!(
            without_credentials("file:///srv/books"),
            "file:///srv/books"
        );
    }
}
