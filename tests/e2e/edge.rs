//! Edge cases through the binary: an output folder that cannot be written, a book with nothing
//! but front matter, a refused API key, and compiling after a run with a failed chapter.

use crate::fake_openai::{FakeConfig, Quirks};
use crate::harness::{Fake, Folder, KEY, config};

/// A folder that cannot be written: a read-only directory, or, where the tests run as root
/// (which ignores permissions), a path under /sys where nothing may be created.
fn unwritable_dir(folder: &Folder) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder.path().join("read-only");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let probe = dir.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        let _ = std::fs::remove_file(&probe);
        return format!("/sys/imaginize-e2e-{}/out", std::process::id());
    }
    dir.join("out").to_string_lossy().into_owned()
}

/// An output folder on a read-only path: a clear error naming it, a non-zero exit, and not a
/// single API call.
#[test]
fn read_only_output_folder_fails_before_any_api_call() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(2, &config(1, 1));
    let out = unwritable_dir(&folder);
    let ran = folder.run(&fake.book_args(&["--output-dir", &out]));
    let stderr = ran.stderr();
    assert!(
        !matches!(ran.code(), Some(0) | None),
        "exit code {:?}\n{stderr}",
        ran.code()
    );
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    let parent = std::path::Path::new(&out)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        stderr.contains(&out) || stderr.contains(&parent),
        "the error does not name the folder:\n{stderr}"
    );
    assert!(
        fake.entries().is_empty(),
        "API calls were made: {:?}",
        fake.entries()
    );
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

/// A 401 whose body echoes the key: exit code 3, a message about the key, and the key itself
/// nowhere in stdout, stderr or the output folder.
#[test]
fn refused_key_exits_3_and_never_prints_the_key() {
    let fake = Fake::start(
        FakeConfig::default(),
        Quirks {
            unauthorized: true,
            ..Quirks::default()
        },
    );
    let folder = Folder::with_book(2, &config(1, 1));
    let ran = folder.run(&fake.book_args(&[]));
    ran.expect_code(3);
    let (stdout, stderr) = (ran.stdout(), ran.stderr());
    assert!(
        stderr.to_lowercase().contains("api key"),
        "the message does not name the key problem:\n{stderr}"
    );
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "the key was printed:\n{stdout}\n{stderr}"
    );
    assert!(fake.entries().iter().all(|e| e.status == 401));
    let leaks = files_containing(folder.path(), KEY.as_bytes());
    assert!(leaks.is_empty(), "the key is in {leaks:?}");
}

/// A book of nothing but front matter (contents, dedication, copyright): "nothing to do", exit
/// 0, no API call (issue 6, edge cases).
#[test]
fn a_book_of_front_matter_only_is_nothing_to_do() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::new();
    folder.write(
        "book.md",
        "# The Empty Book\n\n## Contents\n\n1. Nothing here yet\n\n## Dedication\n\n\
For my mother, who read to me.\n\n## Copyright\n\nCopyright 2024 A. Tester. All rights reserved.\n",
    );
    let mut args: Vec<String> = vec!["--file".into(), "book.md".into()];
    args.extend(fake.args());
    let ran = folder.run(&args);
    ran.expect_code(0);
    let said = format!("{}{}", ran.stdout(), ran.stderr()).to_lowercase();
    assert!(said.contains("nothing to do"), "not said:\n{said}");
    assert!(fake.entries().is_empty(), "API calls were made");
}

/// `--html` after a run in which a chapter failed: the run still exits 1 and names the failure,
/// and the gallery is built from everything that did succeed (it used to be skipped).
#[test]
fn a_run_with_a_failed_chapter_still_compiles_what_it_has() {
    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(2, &config(1, 1));
    // Chapter 3 is only short lines: the fake finds no sentence to quote, so pass 2 gives no
    // verifiable scene and the chapter fails.
    let mut book = crate::harness::small_book(2);
    book.push_str("Chapter 3\n\n");
    for i in 0..60 {
        book.push_str(&format!("Hm, said Kitty {i}.\n\n"));
    }
    folder.write("book.txt", book);
    let ran = folder.run(&fake.book_args(&["--html"]));
    let stderr = ran.stderr();
    ran.expect_code(1);
    assert!(stderr.contains("chapter 3"), "{stderr}");
    let gallery = folder.out().join("gallery/index.html");
    let html = std::fs::read_to_string(&gallery).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    assert!(html.matches("<img").count() >= 2, "{html}");
}

/// A server nobody listens on: the run stops once the first requests' retries are spent, with
/// one message that says what to check. No chapter is marked failed (a plain re-run continues,
/// no `--retry-failed` needed), and a re-run against a working server does the whole book.
#[test]
fn an_unreachable_server_stops_the_run_and_fails_no_chapter() {
    use imaginize::store::Status;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let settings = format!("{}maxRetries: 1\nmaxRetrySecs: 2\n", config(2, 2));
    let folder = Folder::with_book(6, &settings);
    let base_url = format!("http://127.0.0.1:{closed}/v1");
    let args = [
        "--file",
        "book.txt",
        "--provider",
        "openai",
        "--base-url",
        &base_url,
        "--api-key",
        KEY,
    ];
    let ran = folder.run(&args);
    ran.expect_code(1);
    let stderr = ran.stderr();
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    assert!(!stderr.contains("chapters failed"), "{stderr}");
    assert!(!stderr.contains(KEY), "the key leaked: {stderr}");
    let manifest = crate::harness::read_manifest(&folder.out()).expect("manifest");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == Status::Pending && c.error.is_none()),
        "{:?}",
        manifest.chapters
    );

    let fake = Fake::with_latency(0, 0);
    folder.run(&fake.book_args(&[])).expect_code(0);
    let manifest = crate::harness::read_manifest(&folder.out()).expect("manifest");
    assert!(
        manifest
            .chapters
            .values()
            .all(|c| c.status == Status::IllustrationComplete)
    );
}

/// Another process holding the output folder's lock for longer than `lockTimeoutSecs`: exit 4,
/// a message naming the holder, and no API call.
#[test]
fn a_folder_locked_by_another_process_exits_4_naming_the_holder() {
    let fake = Fake::with_latency(0, 0);
    let cfg = format!("{}lockTimeoutSecs: 0.5\n", config(1, 1));
    let folder = Folder::with_book(2, &cfg);
    let out = folder.out();
    std::fs::create_dir_all(&out).expect("mkdir");
    let lock = std::fs::File::create(out.join(".imaginize.lock")).expect("lock file");
    lock.lock().expect("flock");
    std::fs::write(
        out.join(".imaginize.lock"),
        "pid 4242 on host elsewhere since 12:03:01\n",
    )
    .expect("holder");
    let ran = folder.run(&fake.book_args(&[]));
    ran.expect_code(imaginize::exit_code::LOCKED);
    let stderr = ran.stderr();
    assert!(stderr.contains("pid 4242 on host elsewhere"), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(fake.entries().is_empty(), "API calls while locked out");
    drop(lock);
    folder.run(&fake.book_args(&[])).expect_code(0);
}
