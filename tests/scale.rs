//! Beyond one machine (issue 17, docs/scale-out.md), with the real binary: `--artifacts` on a
//! run, and the queue's commands (`submit`, `worker`, `status`, `export`) against a throwaway
//! PostgreSQL cluster and the fake OpenAI-compatible server. Skipped with a notice when
//! PostgreSQL is not installed (failing under CI=true).

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

use harness::{
    Fake, Folder, KEY, assert_same_outputs, config, image_files, read, read_manifest, small_book,
};
use queue::{
    MODELS, S3, Worker, command, file_url, local_run, run_ok, start_workers, wait_for_all,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A new database in the cluster, or `None` when the tests are skipped.
fn database(name: &str) -> Option<String> {
    store::postgres::test_cluster::new_database(name)
}

/// Every file under `dir`, recursively, with its bytes.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                files.push((path, bytes));
            }
        }
    }
    files
}

/// `--artifacts`: the book's files go to the object store, not the output folder; a run on
/// another machine (a new, empty output folder) with the same state and artifacts continues
/// from them with no request at all.
/// An empty `remote` folder beside the book for the artifacts, and its `file://` URL.
fn remote_artifacts(folder: &Folder) -> (PathBuf, String) {
    let remote = folder.path().join("remote");
    std::fs::create_dir_all(&remote).unwrap();
    let artifacts = file_url(&remote);
    (remote, artifacts)
}

#[test]
fn a_run_keeps_its_files_in_the_artifacts_and_another_folder_continues_from_them() {
    let Some(url) = database("artifacts_flag") else {
        return;
    };
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(3, &config(2, 2));
    let (remote, artifacts) = remote_artifacts(&folder);
    let mut args = vec![
        "--file",
        "book.txt",
        "--store",
        &url,
        "--artifacts",
        &artifacts,
    ];
    args.extend(MODELS);
    let first = [args.clone(), vec!["--output-dir", "here"]].concat();
    run_ok(command(&folder, &fake, &first));
    let images = image_files(&remote);
    assert!(!images.is_empty(), "the images are in the artifacts");
    for name in [
        "elements.json",
        "Elements.md",
        "style.json",
        "chapters/001.json",
    ] {
        assert!(remote.join(name).is_file(), "{name} is in the artifacts");
    }
    assert!(
        remote.join("entities").is_dir(),
        "pass-1 answers are in the artifacts"
    );
    assert!(
        image_files(&folder.path().join("here")).is_empty(),
        "no image in the working folder"
    );
    let requests = fake.entries().len();
    let second = [args, vec!["--output-dir", "elsewhere"]].concat();
    run_ok(command(&folder, &fake, &second));
    assert_eq!(
        fake.entries().len(),
        requests,
        "the second folder continued from the artifacts and the state"
    );
    let elsewhere = folder.path().join("elsewhere");
    assert_eq!(
        read(elsewhere.join("Elements.md")),
        read(remote.join("Elements.md")),
        "the cast was copied down, not asked for again"
    );
}

/// Issue 17's queue end to end: two books submitted, two workers with empty working folders
/// take them, each export is what a single-machine run of the same book and settings writes.
#[test]
fn two_workers_run_two_submitted_books_and_export_what_a_local_run_writes() {
    let Some(url) = database("two_workers") else {
        return;
    };
    let fake = Fake::with_latency(10, 30);
    let folder = Folder::with_book(3, &config(2, 2));
    folder.write("other.txt", small_book(4));
    for (book, out) in [("book.txt", "local-1"), ("other.txt", "local-2")] {
        let args = [vec!["--file", book, "--output-dir", out], MODELS.to_vec()].concat();
        run_ok(command(&folder, &fake, &args));
    }
    let local_images = fake.server.count("image");
    let (remote, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit"],
        stores.to_vec(),
        vec!["book.txt", "other.txt"],
        MODELS.to_vec(),
    ]
    .concat();
    let ids: Vec<String> = run_ok(command(&folder, &fake, &submit))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 2, "one id per book: {ids:?}");
    assert_ne!(ids[0], ids[1]);
    let again: Vec<String> = run_ok(command(&folder, &fake, &submit))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        again, ids,
        "the same books submitted again are the same ids"
    );

    let worker_args = [
        vec!["worker"],
        stores.to_vec(),
        vec!["--exit-when-idle", "--books", "1"],
    ]
    .concat();
    let mut workers: Vec<Worker> = (0..2)
        .map(|n| {
            let log = folder.path().join(format!("worker-{n}.log"));
            Worker::start(&folder, &fake, &worker_args, log)
        })
        .collect();
    for worker in &mut workers {
        let code = worker.wait(Duration::from_secs(90));
        assert_eq!(code, 0, "worker exit code:\n{}", worker.output());
    }

    let status = run_ok(command(
        &folder,
        &fake,
        &[vec!["status", "--json"], stores[..2].to_vec()].concat(),
    ));
    let status: serde_json::Value = serde_json::from_str(&status).expect("status --json");
    let books = status["books"].as_array().expect("books");
    assert_eq!(books.len(), 2);
    assert!(books.iter().all(|b| b["status"] == "done"), "{status:#}");
    let table = run_ok(command(
        &folder,
        &fake,
        &[vec!["status"], stores[..2].to_vec()].concat(),
    ));
    for id in &ids {
        let line = table.lines().find(|l| l.starts_with(id.as_str()));
        assert!(
            line.is_some_and(|l| l.contains("done") && l.contains("illustration_complete")),
            "{table}"
        );
    }

    let mut scenes = 0;
    for (id, local) in ids.iter().zip(["local-1", "local-2"]) {
        let out = format!("export-{id}");
        run_ok(command(&folder, &fake, &export_args(&stores, id, &out)));
        let exported = folder.path().join(&out);
        assert_same_outputs(&folder.path().join(local), &exported);
        let manifest = read_manifest(&exported).expect("the export has a manifest");
        scenes += manifest
            .chapters
            .values()
            .map(|c| c.concepts as usize)
            .sum::<usize>();
        assert!(exported.join("Contents.md").is_file());
        // The folder the other commands read: render, scenes, compile (which finds the book
        // through the manifest).
        for args in [
            vec!["render", "--output-dir", &out],
            vec!["scenes", "--output-dir", &out, "--json"],
            vec!["compile", "--output-dir", &out, "--html", "--epub"],
        ] {
            run_ok(command(&folder, &fake, &args));
        }
        assert!(exported.join("gallery/index.html").is_file());
    }
    let worker_images = fake.server.count("image") - local_images;
    assert!(
        worker_images <= scenes,
        "{worker_images} image requests for {scenes} scenes"
    );
    assert_eq!(worker_images, local_images, "each scene drawn once");

    // The key came from the workers' environment: it is in no artifact and not in the database.
    for (path, bytes) in all_files(&remote) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "the key is in {}",
            path.display()
        );
    }
    assert!(!status.to_string().contains(KEY), "the key is in the queue");
}

/// Sends `signal` to the worker.
fn signal(worker: &Worker, signal: i32) {
    let pid = i32::try_from(worker.child.id()).expect("a pid");
    // SAFETY: signals our own child, not yet reaped.
    assert_eq!(
        unsafe { libc::kill(pid, signal) },
        0,
        "kill({pid}, {signal})"
    );
}

/// Issue 17's fencing test: a worker paused (SIGSTOP) with an image request in flight, past its
/// leases, is taken over; once resumed it cannot record the scene nor complete the chapter the
/// other worker took over (the image it was paying for is the one call in flight), and it
/// leaves the book to the taker.
#[test]
fn a_worker_paused_past_its_lease_cannot_record_what_another_took_over() {
    let Some(url) = database("fencing") else {
        return;
    };
    let fake = Fake::with_latency(0, 1500);
    // Leases of 2 s (the minimum) on chapters; one image slot, one scene per chapter, so the
    // scene in flight is its chapter's last: recording it would complete the chapter.
    let folder = Folder::with_book(2, &format!("{}leaseSecs: 2\n", config(1, 1)));
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "--limit", "1", "book.txt"],
        stores.to_vec(),
        MODELS.to_vec(),
    ]
    .concat();
    let id = run_ok(command(&folder, &fake, &submit)).trim().to_string();
    let worker_args = [
        vec!["worker", "--exit-when-idle", "--lease-secs", "2"],
        stores.to_vec(),
    ]
    .concat();
    let mut paused = Worker::start(&folder, &fake, &worker_args, folder.path().join("a.log"));
    let drawing = harness::wait_until(Duration::from_secs(30), || {
        fake.captured().iter().any(|c| c.kind == "image")
    });
    assert!(drawing, "the first worker never drew:\n{}", paused.output());
    signal(&paused, libc::SIGSTOP);
    let mut taker = Worker::start(&folder, &fake, &worker_args, folder.path().join("b.log"));
    assert_eq!(taker.wait(Duration::from_secs(60)), 0, "{}", taker.output());
    signal(&paused, libc::SIGCONT);
    assert_eq!(
        paused.wait(Duration::from_secs(30)),
        0,
        "{}",
        paused.output()
    );
    assert!(
        paused.output().contains("another worker took it over"),
        "the paused worker knew it lost the book:\n{}",
        paused.output()
    );

    let out = format!("export-{id}");
    run_ok(command(&folder, &fake, &export_args(&stores, &id, &out)));
    let manifest = read_manifest(&folder.path().join(&out)).expect("exported");
    let scenes: usize = manifest
        .chapters
        .values()
        .map(|c| c.concepts as usize)
        .sum();
    let recorded: usize = manifest
        .chapters
        .values()
        .map(|c| c.scenes_done.len())
        .sum();
    let paid: u64 = manifest.chapters.values().map(|c| c.usage.images).sum();
    assert_eq!((scenes, recorded), (2, 2), "every scene recorded once");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == imaginize::store::Status::IllustrationComplete)
    );
    assert_eq!(
        paid, 2,
        "the paused worker's late image was not recorded (its usage would make 3)"
    );
    assert_eq!(
        fake.server.count("image"),
        3,
        "the scenes, plus the one call in flight at the pause"
    );
}

/// A book whose runs keep failing is retried after a backoff, then dead-lettered after
/// `--max-attempts`; the error kept in the queue never shows the key.
#[test]
fn a_book_that_keeps_failing_is_retried_after_a_backoff_then_dead_lettered() {
    let Some(url) = database("dead_letter") else {
        return;
    };
    let refusing = fake_openai::Quirks {
        unauthorized: true,
        ..fake_openai::Quirks::default()
    };
    let fake = Fake::start(fake_openai::FakeConfig::default(), refusing);
    // maxAttempts from the worker's config.
    let folder = Folder::with_book(2, &format!("{}maxAttempts: 2\n", config(1, 1)));
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "book.txt", "--provider", "openai"],
        stores.to_vec(),
    ]
    .concat();
    run_ok(command(&folder, &fake, &submit));
    let worker = [vec!["worker", "--exit-when-idle"], stores.to_vec()].concat();
    let mut worker = Worker::start(&folder, &fake, &worker, folder.path().join("w.log"));
    assert_eq!(
        worker.wait(Duration::from_secs(60)),
        0,
        "{}",
        worker.output()
    );
    let status = run_ok(command(
        &folder,
        &fake,
        &[vec!["status", "--json"], stores[..2].to_vec()].concat(),
    ));
    assert!(!status.contains(KEY), "the key is in the queue:\n{status}");
    let status: serde_json::Value = serde_json::from_str(&status).expect("status --json");
    let book = &status["books"][0];
    assert_eq!(book["status"], "dead", "{status:#}");
    assert_eq!(book["failures"], 2, "{status:#}");
    assert_eq!(book["attempt"], 2, "{status:#}");
    assert!(book["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    // The two runs' first requests are at least the first backoff (5 s) apart.
    let mut starts: Vec<u128> = fake.entries().iter().map(|e| e.start_ms).collect();
    starts.sort_unstable();
    let gap = starts.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert!(gap >= 5000, "no backoff between the runs: {starts:?}");
}

/// Issue 17's crash and scale test: 8 worker processes, 3 books, each worker with its own
/// empty working folder (they share only the database and the artifacts); a random worker is
/// `kill -9`ed every ~0.8 s and a new one started in its place. Every book completes; no scene
/// is recorded twice; image requests stay within the scenes plus what the killed workers had
/// in flight; each export equals a single-machine run of the same book.
#[test]
fn eight_workers_killed_at_random_finish_three_books_as_one_machine_would() {
    let Some(url) = database("crash_scale") else {
        return;
    };
    let fake = Fake::with_latency(20, 800);
    let folder = Folder::with_book(6, &format!("{}leaseSecs: 2\n", config(2, 2)));
    folder.write("second.txt", small_book(7));
    folder.write("third.txt", small_book(5).replace("Bennets", "Bingleys"));
    let books = ["book.txt", "second.txt", "third.txt"];
    let limit = ["--limit", "2"];
    // The single-machine runs, at once.
    let locals: Vec<std::process::Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = books
            .iter()
            .enumerate()
            .map(|(n, book)| {
                let out = format!("local-{n}");
                let args = [
                    vec!["--file", book, "--output-dir", &out],
                    MODELS.to_vec(),
                    limit.to_vec(),
                ]
                .concat();
                let mut local = command(&folder, &fake, &args);
                scope.spawn(move || local.output().expect("the binary runs"))
            })
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("joined"))
            .collect()
    });
    for local in &locals {
        assert!(
            local.status.success(),
            "{}",
            String::from_utf8_lossy(&local.stderr)
        );
    }
    let before = fake.server.count("image");
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit"],
        stores.to_vec(),
        books.to_vec(),
        MODELS.to_vec(),
        limit.to_vec(),
    ]
    .concat();
    let ids: Vec<String> = run_ok(command(&folder, &fake, &submit))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 3);

    let (books_at_once, image_jobs) = (1, 2);
    let worker_args = [
        vec![
            "worker",
            "--exit-when-idle",
            "--lease-secs",
            "2",
            "--books",
            "1",
            "--image-jobs",
            "2",
        ],
        stores.to_vec(),
    ]
    .concat();
    let mut started = 0;
    let mut start = |folder: &Folder| {
        started += 1;
        let log = folder.path().join(format!("worker-{started}.log"));
        Worker::start(folder, &fake, &worker_args, log)
    };
    let mut workers: Vec<Worker> = (0..8).map(|_| start(&folder)).collect();
    let began = Instant::now();
    let (mut kills, mut killed_holders) = (0, 0);
    while kills < 4 && began.elapsed() < Duration::from_secs(40) {
        std::thread::sleep(Duration::from_millis(800));
        let running: Vec<usize> = (0..workers.len())
            .filter(|&i| matches!(workers[i].child.try_wait(), Ok(None)))
            .collect();
        if running.is_empty() {
            break;
        }
        // Preferably a worker that holds a book: killing an idle one tests little.
        let holding = holders(&folder, &fake, &stores[..2]);
        let busy: Vec<usize> = running
            .iter()
            .copied()
            .filter(|&i| holding.contains(&workers[i].child.id()))
            .collect();
        let pool = if busy.is_empty() { &running } else { &busy };
        let victim = pool[fastrand::usize(..pool.len())];
        killed_holders += usize::from(!busy.is_empty());
        signal(&workers[victim], libc::SIGKILL);
        let _ = workers[victim].child.wait();
        kills += 1;
        workers.push(start(&folder));
    }
    for worker in &mut workers {
        if matches!(worker.child.try_wait(), Ok(None)) {
            assert_eq!(
                worker.wait(Duration::from_secs(60)),
                0,
                "{}",
                worker.output()
            );
        }
    }

    let mut scenes = 0;
    for (n, id) in ids.iter().enumerate() {
        let out = format!("export-{id}");
        run_ok(command(&folder, &fake, &export_args(&stores, id, &out)));
        let exported = folder.path().join(&out);
        assert_same_outputs(&folder.path().join(format!("local-{n}")), &exported);
        let manifest = read_manifest(&exported).expect("exported");
        for chapter in manifest.chapters.values() {
            assert_eq!(
                chapter.status,
                imaginize::store::Status::IllustrationComplete
            );
            let mut done = chapter.scenes_done.clone();
            done.dedup();
            assert_eq!(
                done.len(),
                chapter.concepts as usize,
                "each scene recorded once"
            );
            assert_eq!(
                chapter.usage.images,
                u64::from(chapter.concepts),
                "each scene paid once in the usage"
            );
        }
        scenes += manifest
            .chapters
            .values()
            .map(|c| c.concepts as usize)
            .sum::<usize>();
    }
    let requests = fake.server.count("image") - before;
    let in_flight = kills * books_at_once * image_jobs;
    assert!(
        requests <= scenes + in_flight,
        "{requests} image requests for {scenes} scenes and {kills} kills"
    );
    assert!(killed_holders >= 1, "no kill hit a worker holding a book");
    eprintln!(
        "{kills} kills ({killed_holders} of book holders), {requests} image requests for {scenes} scenes, {:?}",
        began.elapsed()
    );
    assert!(
        began.elapsed() < Duration::from_secs(90),
        "took {:?}",
        began.elapsed()
    );
}

/// The pids of the workers that hold a book now (from `status --json`).
fn holders(folder: &Folder, fake: &Fake, store: &[&str]) -> Vec<u32> {
    let args = [vec!["status", "--json"], store.to_vec()].concat();
    let status = run_ok(command(folder, fake, &args));
    let status: serde_json::Value = serde_json::from_str(&status).expect("status --json");
    status["workers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["books"].as_array().is_some_and(|b| !b.is_empty()))
        .filter_map(|w| w["pid"].as_u64().and_then(|p| u32::try_from(p).ok()))
        .collect()
}

/// Issue 17's shared provider limit: with `imageRpm: 120` two workers together start at most
/// one image request every 0.5 s (each alone would start one every 0.5 s: twice as many).
#[test]
fn two_workers_share_one_image_budget_through_the_database() {
    let Some(url) = database("shared_budget") else {
        return;
    };
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(3, &format!("{}imageRpm: 120\n", config(2, 2)));
    folder.write("other.txt", small_book(4));
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "book.txt", "other.txt", "--limit", "2"],
        stores.to_vec(),
        MODELS.to_vec(),
    ]
    .concat();
    run_ok(command(&folder, &fake, &submit));
    let worker_args = [
        vec!["worker", "--exit-when-idle", "--books", "1"],
        stores.to_vec(),
    ]
    .concat();
    let mut workers = start_workers(&folder, &fake, &worker_args, 2);
    wait_for_all(&mut workers, Duration::from_secs(60));
    let mut starts: Vec<u128> = fake
        .entries()
        .iter()
        .filter(|e| e.kind == "image")
        .map(|e| e.start_ms)
        .collect();
    starts.sort_unstable();
    assert!(starts.len() >= 6, "{} images", starts.len());
    let span = starts[starts.len() - 1] - starts[0];
    let intervals = (starts.len() - 1) as u128;
    // 500 ms apart at the database; arrival at the server may shift each by a little.
    assert!(
        span + 200 >= intervals * 500,
        "{} image requests started within {span} ms: the budget was exceeded",
        starts.len()
    );
}

/// Ctrl-C or SIGTERM with an image in flight: the worker lets it finish and records it,
/// releases the chapter's claim, gives the book back to the queue (no failure counted) and
/// exits 130 after Ctrl-C, 0 after SIGTERM (a service stopped on purpose).
#[test]
fn a_stopped_worker_finishes_its_calls_in_flight_and_gives_the_book_back() {
    let Some(url) = database("stop") else {
        return;
    };
    let fake = Fake::with_latency(0, 1500);
    let folder = Folder::with_book(3, &config(1, 1));
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "--limit", "1", "book.txt"],
        stores.to_vec(),
        MODELS.to_vec(),
    ]
    .concat();
    run_ok(command(&folder, &fake, &submit));
    let worker_args = [vec!["worker"], stores.to_vec()].concat();
    for (n, (stop, code)) in [(libc::SIGINT, 130), (libc::SIGTERM, 0)]
        .into_iter()
        .enumerate()
    {
        let images = fake.captured().iter().filter(|c| c.kind == "image").count();
        let log = folder.path().join(format!("w{n}.log"));
        let mut worker = Worker::start(&folder, &fake, &worker_args, log);
        let drawing = harness::wait_until(Duration::from_secs(30), || {
            fake.captured().iter().filter(|c| c.kind == "image").count() > images
        });
        assert!(drawing, "no image was asked for:\n{}", worker.output());
        signal(&worker, stop);
        assert_eq!(
            worker.wait(Duration::from_secs(30)),
            code,
            "{}",
            worker.output()
        );
        let status = [vec!["status", "--json"], stores[..2].to_vec()].concat();
        let status: serde_json::Value =
            serde_json::from_str(&run_ok(command(&folder, &fake, &status))).expect("json");
        let book = &status["books"][0];
        assert_eq!(book["status"], "queued", "given back: {status:#}");
        assert_eq!(book["failures"], 0, "{status:#}");
        assert!(
            book["chapters"]["illustration_inprogress"].is_null(),
            "no chapter claim left: {status:#}"
        );
        let done = book["chapters"]["illustration_complete"]
            .as_i64()
            .unwrap_or(0);
        assert_eq!(
            done,
            n as i64 + 1,
            "the image in flight was recorded: {status:#}"
        );
        assert!(
            status["workers"].as_array().is_some_and(Vec::is_empty),
            "{status:#}"
        );
    }
}

/// Issue 17's "database restarted mid-run", on this test's database alone: every connection of
/// the workers is cut (`pg_terminate_backend`) again and again for two seconds while they
/// work. They pause and reconnect; the book completes with no chapter failed and no failure
/// counted, and its export is what a single-machine run writes.
#[test]
fn workers_cut_off_from_the_database_reconnect_and_finish_with_nothing_failed() {
    let Some(url) = database("cut_off") else {
        return;
    };
    let fake = Fake::with_latency(20, 300);
    let folder = Folder::with_book(5, &config(2, 2));
    local_run(&folder, &fake, &["--limit", "2"]);
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "--limit", "2", "book.txt"],
        stores.to_vec(),
        MODELS.to_vec(),
    ]
    .concat();
    let id = run_ok(command(&folder, &fake, &submit)).trim().to_string();
    let images = fake.server.count("image");
    let worker_args = [
        vec!["worker", "--exit-when-idle", "--lease-secs", "5"],
        stores.to_vec(),
    ]
    .concat();
    let mut workers = start_workers(&folder, &fake, &worker_args, 2);
    let drawing = harness::wait_until(Duration::from_secs(30), || {
        fake.server.count("image") > images
    });
    assert!(drawing, "no image was asked for:\n{}", workers[0].output());
    let database_name = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .expect("a database name")
        .to_string();
    let cut = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{database_name}' AND pid <> pg_backend_pid()"
    );
    let admin = url.replacen(&format!("/{database_name}?"), "/postgres?", 1);
    let started = Instant::now();
    let mut cuts = 0;
    while started.elapsed() < Duration::from_secs(2) {
        store::postgres::test_cluster::execute(&admin, &cut).expect("cut the connections");
        cuts += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for_all(&mut workers, Duration::from_secs(90));
    let status = [vec!["status", "--json"], stores[..2].to_vec()].concat();
    let status: serde_json::Value =
        serde_json::from_str(&run_ok(command(&folder, &fake, &status))).expect("json");
    let book = &status["books"][0];
    assert_eq!(book["status"], "done", "after {cuts} cuts: {status:#}");
    assert_eq!(book["failures"], 0, "{status:#}");
    assert!(
        book["chapters"]["error"].is_null(),
        "a chapter failed: {status:#}"
    );
    let out = format!("export-{id}");
    run_ok(command(&folder, &fake, &export_args(&stores, &id, &out)));
    assert_same_outputs(&folder.path().join("local"), &folder.path().join(&out));
}

/// The queue with its artifacts on a real S3-compatible server: a worker runs the submitted
/// book with its files in the bucket, and the export equals a single-machine run.
#[test]
fn a_worker_keeps_a_books_files_in_s3_and_the_export_equals_a_local_run() {
    let Some(url) = database("s3_worker") else {
        return;
    };
    let Some(s3) = S3::start() else {
        return;
    };
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(3, &config(2, 2));
    local_run(&folder, &fake, &[]);
    let stores = ["--store", url.as_str(), "--artifacts", "s3://books/library"];
    let with_s3 = |args: &[&str]| {
        let mut command = command(&folder, &fake, args);
        s3.env(&mut command);
        command
    };
    let submit = [vec!["submit", "book.txt"], stores.to_vec(), MODELS.to_vec()].concat();
    let id = run_ok(with_s3(&submit)).trim().to_string();
    let worker = [vec!["worker", "--exit-when-idle"], stores.to_vec()].concat();
    let log = folder.path().join("worker.log");
    let mut ran = Worker::spawn(with_s3(&worker), log);
    assert_eq!(ran.wait(Duration::from_secs(90)), 0, "{}", ran.output());
    assert!(
        s3.root
            .path()
            .join("books/library")
            .join(&id)
            .join("images")
            .is_dir(),
        "the images are in the bucket"
    );
    let out = format!("export-{id}");
    run_ok(with_s3(&export_args(&stores, &id, &out)));
    assert_same_outputs(&folder.path().join("local"), &folder.path().join(&out));
}

/// More workers than books: a worker with room helps the holder of a book, its illustrators
/// claiming the book's analyzed chapters too, and the result is still one machine's.
#[test]
fn an_idle_worker_helps_illustrate_a_book_another_holds() {
    let Some(url) = database("helpers") else {
        return;
    };
    let fake = Fake::with_latency(10, 500);
    let folder = Folder::with_book(8, &config(2, 1));
    local_run(&folder, &fake, &["--limit", "2"]);
    let images = fake.server.count("image");
    let local_prompts = image_prompts(&fake, 0);
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit", "--limit", "2", "book.txt"],
        stores.to_vec(),
        MODELS.to_vec(),
    ]
    .concat();
    let id = run_ok(command(&folder, &fake, &submit)).trim().to_string();
    let worker_args = [vec!["worker", "--exit-when-idle"], stores.to_vec()].concat();
    let mut workers = start_workers(&folder, &fake, &worker_args, 2);
    wait_for_all(&mut workers, Duration::from_secs(90));
    for worker in &workers {
        assert!(
            worker.output().contains("Illustrated chapter"),
            "each worker illustrated chapters of the one book:\n{}",
            worker.output()
        );
    }
    let out = format!("export-{id}");
    run_ok(command(&folder, &fake, &export_args(&stores, &id, &out)));
    assert_same_outputs(&folder.path().join("local"), &folder.path().join(&out));
    assert_eq!(
        fake.server.count("image") - images,
        images,
        "each scene drawn once"
    );
    assert_eq!(
        image_prompts(&fake, local_prompts.len()),
        local_prompts,
        "every picture, the helper's too, asked with the cast's cards as one machine asks"
    );
}

/// The image prompts the fake received after the first `skip`, sorted.
fn image_prompts(fake: &Fake, skip: usize) -> Vec<String> {
    let mut prompts: Vec<String> = fake
        .captured()
        .into_iter()
        .filter(|c| c.kind == "image")
        .skip(skip)
        .map(|c| c.text)
        .collect();
    prompts.sort();
    prompts
}

/// `--compile` reads the images from the output folder: with `--artifacts` they are not
/// there, so the run refuses before any request and says what to do instead.
#[test]
fn compiling_a_run_whose_files_are_in_the_artifacts_is_refused_before_any_request() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(2, &config(1, 1));
    let artifacts = file_url(&folder.path().join("remote"));
    let args = [
        "--file",
        "book.txt",
        "--artifacts",
        artifacts.as_str(),
        "--epub",
    ];
    let ran = command(&folder, &fake, &args).output().expect("runs");
    assert_eq!(
        ran.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(String::from_utf8_lossy(&ran.stderr).contains("imaginize export"));
    assert!(fake.entries().is_empty(), "no request was made");
}

/// `export --book ID --output-dir OUT` with `stores`.
fn export_args<'a>(stores: &[&'a str], id: &'a str, out: &'a str) -> Vec<&'a str> {
    [
        vec!["export"],
        stores.to_vec(),
        vec!["--book", id, "--output-dir", out],
    ]
    .concat()
}

/// The most image requests the fake had in flight at once.
fn peak_images_in_flight(fake: &Fake) -> usize {
    let images: Vec<(u128, u128)> = fake
        .server
        .entries()
        .iter()
        .filter(|e| e.kind == "image")
        .map(|e| (e.start_ms, e.end_ms))
        .collect();
    images
        .iter()
        .map(|&(start, _)| {
            images
                .iter()
                .filter(|&&(s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// `--image-jobs` is the worker's, not each book's: one worker with two books at once
/// (`--books 2`) and `--image-jobs 1` never has two image requests in flight.
#[test]
fn a_workers_image_jobs_are_shared_by_the_books_it_works_on() {
    let Some(url) = database("worker_slots") else {
        return;
    };
    let fake = Fake::with_latency(10, 300);
    let folder = Folder::with_book(6, &config(2, 2));
    folder.write("other.txt", small_book(5));
    let (_, artifacts) = remote_artifacts(&folder);
    let stores = ["--store", url.as_str(), "--artifacts", artifacts.as_str()];
    let submit = [
        vec!["submit"],
        stores.to_vec(),
        vec!["book.txt", "other.txt"],
        MODELS.to_vec(),
    ]
    .concat();
    run_ok(command(&folder, &fake, &submit));
    let worker_args = [
        vec![
            "worker",
            "--exit-when-idle",
            "--books",
            "2",
            "--image-jobs",
            "1",
        ],
        stores.to_vec(),
    ]
    .concat();
    let mut workers = start_workers(&folder, &fake, &worker_args, 1);
    wait_for_all(&mut workers, Duration::from_secs(90));
    assert!(fake.server.count("image") >= 8, "both books illustrated");
    assert_eq!(
        peak_images_in_flight(&fake),
        1,
        "one image request at a time across both books"
    );
}
