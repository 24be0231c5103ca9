//! Issue 17's "PostgreSQL restarted in the middle of a run (`pg_ctl restart`): workers pause,
//! reconnect, finish; nothing lost, nothing marked failed. The S3 server restarted: same."
//! (docs/scale-out.md, "Failure behaviour"). Each test has a PostgreSQL cluster and an S3
//! server of its own, so restarting them disturbs no other test. Skipped with a notice when
//! PostgreSQL or `s3s-fs` is not installed (failing under CI=true).

/// The fake OpenAI-compatible server.
#[path = "support/fake_openai.rs"]
#[expect(dead_code, reason = "not every helper of the fake is used here")]
mod fake_openai;

/// Folders, the binary, the fake on its own runtime, output readers.
#[path = "e2e/harness.rs"]
mod harness;

/// The queue's helpers: the binary pointed at the fake, workers, a local run, `s3s-fs`.
#[path = "support/queue.rs"]
mod queue;

/// The library's own test cluster (src/store/postgres/test_cluster.rs), where it expects it.
#[path = "support/pg_store.rs"]
mod store;

use harness::{Fake, Folder, assert_same_outputs, config, read_manifest, small_book};
use queue::{MODELS, S3, Worker, command, file_url, run_ok, wait_for_all};
use std::process::Command;
use std::time::{Duration, Instant};
use store::postgres::test_cluster::{self, Cluster};

/// The books of a test: (book file, its single-machine run's folder).
const BOOKS: [(&str, &str); 2] = [("book.txt", "local-1"), ("other.txt", "local-2")];
/// Workers, and image requests each may have in flight (one book each, `--image-jobs 2`).
const WORKERS: usize = 3;
const IMAGE_JOBS: usize = 2;
/// How long the restarted server stays down.
const DOWN: Duration = Duration::from_millis(2500);

/// Two books, their single-machine runs, a queue (the test's own cluster) and artifacts
/// (a folder, or the test's S3 server).
struct Library {
    fake: Fake,
    folder: Folder,
    cluster: Cluster,
    s3: Option<S3>,
    artifacts: String,
}

impl Library {
    /// `None` when PostgreSQL (or, with `s3`, `s3s-fs`) is not installed.
    fn new(s3: bool) -> Option<Library> {
        let cluster = test_cluster::own()?;
        let s3 = match s3 {
            true => Some(S3::start()?),
            false => None,
        };
        let fake = Fake::with_latency(20, 400);
        let folder = Folder::with_book(5, &config(2, IMAGE_JOBS));
        folder.write("other.txt", small_book(4));
        let artifacts = match s3 {
            Some(_) => "s3://books/library".to_string(),
            None => {
                let remote = folder.path().join("remote");
                std::fs::create_dir_all(&remote).expect("the artifacts' folder");
                file_url(&remote)
            }
        };
        Some(Library {
            fake,
            folder,
            cluster,
            s3,
            artifacts,
        })
    }

    /// The binary with `args`, pointed at the fake (and the S3 server).
    fn command(&self, args: &[&str]) -> Command {
        let mut command = command(&self.folder, &self.fake, args);
        if let Some(s3) = &self.s3 {
            s3.env(&mut command);
        }
        command
    }

    /// `args` then `--store URL --artifacts URL` (or only `--store` for `status`).
    fn with_stores(&self, args: &[&str], artifacts: bool) -> Command {
        let url = self.cluster.url();
        let mut all = [args, &["--store", url.as_str()]].concat();
        if artifacts {
            all.extend(["--artifacts", self.artifacts.as_str()]);
        }
        self.command(&all)
    }

    /// Each book run on one machine, then both submitted: their ids.
    fn local_runs_then_submit(&self) -> Vec<String> {
        for (book, out) in BOOKS {
            let args = [vec!["--file", book, "--output-dir", out], MODELS.to_vec()].concat();
            run_ok(self.command(&[args, vec!["--limit", "2"]].concat()));
        }
        let submit = [
            vec!["submit", "--limit", "2"],
            BOOKS.iter().map(|(book, _)| *book).collect(),
            MODELS.to_vec(),
        ]
        .concat();
        let ids: Vec<String> = run_ok(self.with_stores(&submit, true))
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(ids.len(), BOOKS.len(), "one id per book: {ids:?}");
        ids
    }

    fn start_workers(&self) -> Vec<Worker> {
        let args = [
            "worker",
            "--exit-when-idle",
            "--books",
            "1",
            "--image-jobs",
            "2",
            "--lease-secs",
            "10",
        ];
        (0..WORKERS)
            .map(|n| {
                let log = self.folder.path().join(format!("w{n}.log"));
                Worker::spawn(self.with_stores(&args, true), log)
            })
            .collect()
    }

    /// What the workers said about the outage (errors, retries), for the test's output.
    fn show_notes(workers: &[Worker]) {
        for (n, worker) in workers.iter().enumerate() {
            let output = worker.output();
            let notes = output.lines().filter(|line| {
                let line = line.to_lowercase();
                ["error", "retry", "fail", "lost", "reach", "connect", "wait"]
                    .iter()
                    .any(|word| line.contains(word))
            });
            for line in notes {
                eprintln!("w{n}: {line}");
            }
        }
    }

    fn images(&self) -> usize {
        self.fake.server.count("image")
    }

    /// Waits for the workers' first image request: chapters are analyzed, none illustrated yet.
    fn wait_for_the_first_image(&self, before: usize, workers: &[Worker]) {
        let drawing = harness::wait_until(Duration::from_secs(60), || self.images() > before);
        assert!(drawing, "no image was asked for:\n{}", workers[0].output());
    }

    /// Every book `done`, nothing failed or counted as a failure; each export is its local
    /// run's; image requests at most the scenes plus what was in flight. The scenes drawn.
    fn check(&self, ids: &[String], requests: usize) -> usize {
        let status = run_ok(self.with_stores(&["status", "--json"], false));
        let status: serde_json::Value = serde_json::from_str(&status).expect("status --json");
        let books = status["books"].as_array().expect("books");
        assert_eq!(books.len(), ids.len(), "{status:#}");
        for book in books {
            assert_eq!(book["status"], "done", "{status:#}");
            assert_eq!(book["failures"], 0, "{status:#}");
            assert!(book["chapters"]["error"].is_null(), "{status:#}");
        }
        let mut scenes = 0;
        for (id, (_, local)) in ids.iter().zip(BOOKS) {
            let out = format!("export-{id}");
            let export = ["export", "--book", id, "--output-dir", &out];
            run_ok(self.with_stores(&export, true));
            let exported = self.folder.path().join(&out);
            assert_same_outputs(&self.folder.path().join(local), &exported);
            let manifest = read_manifest(&exported).expect("the export has a manifest");
            for chapter in manifest.chapters.values() {
                assert_eq!(chapter.scenes_done.len(), chapter.concepts as usize);
                assert_eq!(chapter.usage.images, u64::from(chapter.concepts));
            }
            scenes += manifest
                .chapters
                .values()
                .map(|c| c.concepts as usize)
                .sum::<usize>();
        }
        // No portraits (the tests' config): scenes plus the image calls in flight.
        assert!(
            requests <= scenes + WORKERS * IMAGE_JOBS,
            "{requests} image requests for {scenes} scenes"
        );
        scenes
    }
}

/// Runs the books with three workers, restarts a server with `restart` once the first image
/// is asked for, and checks every book finishes as a local run would with nothing failed.
fn ride_out(mut library: Library, what: &str, restart: impl FnOnce(&mut Library)) {
    let began = Instant::now();
    let ids = library.local_runs_then_submit();
    let before = library.images();
    let mut workers = library.start_workers();
    library.wait_for_the_first_image(before, &workers);
    restart(&mut library);
    let at_restart = library.images() - before;
    wait_for_all(&mut workers, Duration::from_secs(90));
    Library::show_notes(&workers);
    let requests = library.images() - before;
    assert!(requests > at_restart, "the run was over before the restart");
    let scenes = library.check(&ids, requests);
    eprintln!(
        "{what} restart: {at_restart} images asked for before it, {requests} in all for \
         {scenes} scenes, {:?}",
        began.elapsed()
    );
}

/// PostgreSQL stopped (fast shutdown, every connection cut) and started again on the same
/// socket while three workers run two books: they pause, reconnect and finish; every book is
/// done, no chapter failed, no failure counted, and the exports are the local runs'.
#[test]
fn workers_pause_through_a_postgresql_restart_and_finish_with_nothing_failed() {
    let Some(library) = Library::new(false) else {
        return;
    };
    ride_out(library, "PostgreSQL", |library| {
        library.cluster.restart(DOWN).expect("PostgreSQL restarts");
    });
}

/// The S3 server killed and started again on the same port and folder while three workers
/// run two books with their files in it: the same as a PostgreSQL restart.
#[test]
fn workers_ride_out_an_s3_server_restart_and_finish_with_nothing_failed() {
    let Some(library) = Library::new(true) else {
        return;
    };
    ride_out(library, "S3", |library| {
        library.s3.as_mut().expect("the S3 server").restart(DOWN);
    });
}
