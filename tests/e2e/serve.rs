//! `imaginize serve` over real sockets: every route answers and none shows the API key; file
//! routes refuse escapes; POSTs need same-origin and the CSRF token; a non-local bind needs the
//! access token; malformed requests get a 4xx and the server stays up, also when a folder is
//! deleted or its manifest damaged; the event stream resumes with `Last-Event-ID`; the actions
//! (retry failed, edit a description) change the folder.

use crate::harness::{Folder, wait_until};
use crate::serve_http::Served;
use imaginize::ids::ChapterNo;
use imaginize::store::{BookState, Status, Store};
use std::time::Duration;

const SECRET: &str = "sk-serve-secret-0123456789";

/// A finished builtin run of a 4-chapter book whose configs (the working folder's and one put
/// in the output folder) hold a key, served.
fn served_book(extra: &[&str]) -> (Folder, Served) {
    let mut folder = Folder::with_book(4, &format!("apiKey: {SECRET}\nimageSize: 256x256\n"));
    folder
        .run(&[
            "--file",
            "book.txt",
            "--provider",
            "builtin",
            "--limit",
            "1",
            "--quiet",
        ])
        .expect_code(0);
    folder.write(
        "imaginize_book/.imaginize.config",
        format!("apiKey: {SECRET}\n"),
    );
    folder.write(
        "imaginize_book/images/.env",
        format!("OPENAI_API_KEY={SECRET}\n"),
    );
    let mut args = vec!["--output-dir", "imaginize_book"];
    args.extend_from_slice(extra);
    let served = Served::start(&mut folder, &args);
    (folder, served)
}

#[test]
fn every_route_answers_and_none_shows_the_key() {
    let (_folder, served) = served_book(&[]);
    let csrf = served.csrf();
    let routes = [
        "/",
        "/books/book",
        "/books/book/cast",
        "/books/book/scenes/1/1",
        "/api/books",
        "/api/books/book",
        "/assets/app.js",
        "/assets/app.css",
        "/books/book/files/Elements.md",
        "/books/book/files/Chapters.md",
        "/books/book/files/images/chapter_1_scene_1.png",
        "/books/book/files/.imaginize.config",
        "/books/book/files/images/.env",
        "/nowhere",
    ];
    for route in routes {
        let answer = served.get(route);
        assert!(answer.status < 500, "{route}: {}", answer.status);
        assert!(!answer.body.contains(SECRET), "{route} shows the key");
        assert!(
            !answer.body.contains("0123456789"),
            "{route} shows part of the key"
        );
    }
    let page = served.get("/books/book");
    assert_eq!(page.status, 200);
    assert!(
        page.head
            .contains("content-security-policy: default-src 'self'")
    );
    let file = served.get("/books/book/files/Elements.md");
    assert!(
        file.head.contains("content-security-policy: sandbox;"),
        "{}",
        file.head
    );
    assert_eq!(
        served.get("/books/book/files/.imaginize.config").status,
        403
    );
    let events = served.events("/api/books/book/events", "", "\n\n", Duration::from_secs(5));
    assert!(events.contains("event: snapshot"), "{events}");
    assert!(!events.contains(SECRET));
    // The POST answers too.
    for (path, form) in [
        ("/api/books/book/chapters/1/retry", String::new()),
        (
            "/api/books/book/elements/0",
            "name=x&description=y".to_owned(),
        ),
    ] {
        let answer = served.post(path, &csrf, &form);
        assert!((400..500).contains(&answer.status), "{path}: {answer:?}");
        assert!(!answer.body.contains(SECRET));
    }
}

#[test]
fn file_routes_refuse_traversal_absolute_paths_and_symlinks_out() {
    let (folder, served) = served_book(&[]);
    std::fs::write(folder.path().join("outside.png"), b"not yours").unwrap();
    std::os::unix::fs::symlink(
        folder.path().join("outside.png"),
        folder.out().join("images/link.png"),
    )
    .unwrap();
    for path in [
        "/books/book/files/../book.txt",
        "/books/book/files/images/../../outside.png",
        "/books/book/files/%2e%2e/outside.png",
        "/books/book/files/images%2f..%2f..%2foutside.png",
        "/books/book/files//etc/passwd",
        "/books/book/files/images/link.png",
        "/books/book/files/.imaginize.manifest.json",
        "/books/..%2f..%2fetc/files/passwd",
    ] {
        let answer = served.get(path);
        assert!(
            (400..500).contains(&answer.status),
            "{path}: {}",
            answer.status
        );
        assert!(!answer.body.contains("not yours"), "{path}");
    }
    assert_eq!(
        served
            .get("/books/book/files/images/chapter_1_scene_1.png")
            .status,
        200
    );
}

#[test]
fn posts_need_the_same_origin_and_the_csrf_token_and_bad_requests_get_a_4xx() {
    let (folder, served) = served_book(&[]);
    let csrf = served.csrf();
    let form = "name=nobody&description=changed";
    let post = |extra: &str| {
        served.send(&format!(
            "POST /api/books/book/elements/0 HTTP/1.1\r\nHost: {}\r\n{extra}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            served.addr,
            form.len()
        ))
    };
    let cross = post(&format!(
        "Origin: http://evil.example\r\nX-CSRF-Token: {csrf}\r\n"
    ));
    assert_eq!(cross.status, 403, "{cross:?}");
    assert_eq!(post("").status, 403);
    assert_eq!(post("X-CSRF-Token: wrong\r\n").status, 403);
    let same = post(&format!(
        "Origin: http://{}\r\nX-CSRF-Token: {csrf}\r\n",
        served.addr
    ));
    assert_eq!(
        same.status, 409,
        "a wrong name is refused, not applied: {same:?}"
    );
    let forged_host = served.send("GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n");
    assert_eq!(forged_host.status, 421);
    for bad in [
        "GET /books/book/scenes/x/y HTTP/1.1\r\nHost: {h}\r\n\r\n",
        "GET /books/book/scenes/99999999999/1 HTTP/1.1\r\nHost: {h}\r\n\r\n",
        "GET /books/nobody HTTP/1.1\r\nHost: {h}\r\n\r\n",
        "DELETE /api/books/book HTTP/1.1\r\nHost: {h}\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /\u{0}\u{1} HTTP/1.1\r\n\r\n",
    ] {
        let answer = served.send(&bad.replace("{h}", &served.addr));
        assert!(
            answer.status == 0 || (400..500).contains(&answer.status),
            "{bad:?}: {answer:?}"
        );
    }
    let malformed_form = served.post("/api/books/book/elements/zero", &csrf, "%%%");
    assert!((400..500).contains(&malformed_form.status));
    assert_eq!(served.get("/").status, 200, "the server is still up");
    let elements = std::fs::read_to_string(folder.out().join("Elements.md")).unwrap();
    assert!(!elements.contains("changed"));
}

#[test]
fn a_non_local_host_needs_the_access_token() {
    let (mut folder, _local) = served_book(&[]);
    let open = Served::start(
        &mut folder,
        &["--output-dir", "imaginize_book", "--host", "0.0.0.0"],
    );
    let port = open.addr.rsplit(':').next().unwrap().to_owned();
    let served = Served {
        addr: format!("127.0.0.1:{port}"),
        process: open.process,
    };
    let stderr = served.stderr();
    let token = stderr
        .split("access token ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the token is printed")
        .to_owned();
    assert_eq!(served.get("/").status, 401);
    assert_eq!(served.get("/api/books").status, 401);
    assert_eq!(served.get("/?token=wrong-token-000000").status, 401);
    let first = served.get(&format!("/?token={token}"));
    assert_eq!(first.status, 200);
    assert!(first.head.contains("set-cookie: imaginize_token="));
    let with_cookie = served.send(&format!(
        "GET /api/books HTTP/1.1\r\nHost: x\r\nCookie: imaginize_token={token}\r\n\r\n"
    ));
    assert_eq!(with_cookie.status, 200);
    let bearer = served.send(&format!(
        "GET /books/book HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    ));
    assert_eq!(bearer.status, 200);
    let weak = folder.run(&["serve", "--port", "0", "--token", "short"]);
    weak.expect_code(2);
}

#[test]
fn events_are_numbered_resume_and_follow_the_actions() {
    let (folder, served) = served_book(&[]);
    let csrf = served.csrf();
    let first = served.events("/api/books/book/events", "", "\n\n", Duration::from_secs(5));
    let seq: u64 = first
        .split("id: ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .and_then(|s| s.trim().parse().ok())
        .expect("the snapshot is numbered");
    // Another process fails chapter 2: the server sees it and numbers the change.
    Store::open(folder.out())
        .unwrap()
        .fail(ChapterNo(2), "the model timed out")
        .unwrap();
    let resumed = served.events(
        "/api/books/book/events",
        &format!("Last-Event-ID: {seq}\r\n"),
        "the model timed out",
        Duration::from_secs(5),
    );
    assert!(!resumed.contains("event: snapshot"), "{resumed}");
    assert!(resumed.contains(&format!("id: {}", seq + 1)), "{resumed}");
    assert!(resumed.contains("\"status\":\"error\""), "{resumed}");
    let page = served.get("/books/book").body;
    assert!(page.contains("retry failed") && page.contains("the model timed out"));
    let retried = served.post("/api/books/book/chapters/2/retry", &csrf, "");
    assert_eq!(retried.status, 200, "{retried:?}");
    let status = |n: u32| {
        imaginize::store::BookState::snapshot(&Store::open(folder.out()).unwrap())
            .unwrap()
            .unwrap()
            .chapters[&ChapterNo(n)]
            .status
    };
    assert_eq!(status(2), Status::Analyzed);
    assert_eq!(
        served
            .post("/api/books/book/chapters/2/retry", &csrf, "")
            .status,
        409
    );
    // The cast: element 0's description rewritten in Elements.md, nothing else.
    let before = std::fs::read_to_string(folder.out().join("Elements.md")).unwrap();
    let cast = imaginize::analyze::lookup::ElementsLookup::parse_markdown(&before).unwrap();
    let name = cast.elements[0].name.clone();
    let name = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    let form = format!("name={name}&description=A+new+look%2C+grey+coat");
    assert_eq!(
        served
            .post("/api/books/book/elements/0", &csrf, &form)
            .status,
        200
    );
    let after = std::fs::read_to_string(folder.out().join("Elements.md")).unwrap();
    let cast = imaginize::analyze::lookup::ElementsLookup::parse_markdown(&after).unwrap();
    assert_eq!(cast.elements[0].description, "A new look, grey coat");
    assert_eq!(after.lines().count(), before.lines().count());
    assert!(
        served
            .get("/books/book/cast")
            .body
            .contains("A new look, grey coat")
    );
    // Its appearance card too (issue 16: editable on the dashboard), and the cast page shows
    // the reference portraits the run drew.
    let form = format!("name={name}&appearance=age+40%3B+green+cloak");
    assert_eq!(
        served
            .post("/api/books/book/elements/0", &csrf, &form)
            .status,
        200
    );
    let after = std::fs::read_to_string(folder.out().join("Elements.md")).unwrap();
    let cast = imaginize::analyze::lookup::ElementsLookup::parse_markdown(&after).unwrap();
    assert_eq!(cast.elements[0].appearance, "age 40; green cloak");
    assert_eq!(cast.elements[0].description, "A new look, grey coat");
    let both = format!("name={name}&description=x&appearance=y");
    assert_eq!(
        served
            .post("/api/books/book/elements/0", &csrf, &both)
            .status,
        400
    );
    let page = served.get("/books/book/cast").body;
    assert!(page.contains("Save appearance card"), "{page}");
    let portraits = imaginize::store::BookState::snapshot(&Store::open(folder.out()).unwrap())
        .unwrap()
        .unwrap()
        .portraits;
    assert!(!portraits.is_empty(), "the run drew portraits");
    for portrait in portraits.values().filter_map(|p| p.image.as_ref()) {
        assert!(
            page.contains(&format!("/files/{portrait}")),
            "{portrait}: {page}"
        );
    }
}

#[test]
fn a_deleted_folder_or_a_damaged_manifest_shows_an_error_and_the_server_stays_up() {
    let (mut folder, _first) = served_book(&[]);
    copy_dir(&folder.out(), &folder.path().join("imaginize_copy"));
    let served = Served::start(
        &mut folder,
        &[
            "--output-dir",
            "imaginize_book",
            "--output-dir",
            "imaginize_copy",
        ],
    );
    std::fs::write(
        folder
            .path()
            .join("imaginize_copy/.imaginize.manifest.json"),
        "{ damaged",
    )
    .unwrap();
    let damaged = wait_until(Duration::from_secs(5), || {
        served.get("/api/books/copy").body.contains("damaged")
    });
    assert!(damaged);
    std::fs::remove_dir_all(folder.out()).unwrap();
    let gone = wait_until(Duration::from_secs(5), || {
        served
            .get("/api/books/book")
            .body
            .contains("does not exist")
    });
    assert!(gone);
    for path in [
        "/",
        "/books/book",
        "/books/copy",
        "/books/book/cast",
        "/api/books",
    ] {
        assert_eq!(served.get(path).status, 200, "{path}");
    }
    assert_eq!(served.get("/books/book/scenes/1/1").status, 404);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_main_command_serves_its_run_with_the_old_dashboard_flags() {
    let fake = crate::harness::Fake::with_latency(50, 300);
    let mut folder = Folder::with_book(3, "imageSize: 256x256\n");
    let args = fake.book_args(&["--dashboard", "--dashboard-port", "0", "--image-jobs", "1"]);
    let mut run = folder.spawn(&args);
    let ready = wait_until(Duration::from_secs(20), || {
        run.stdout().contains("Serving on http://")
    });
    assert!(ready, "{}", run.stderr());
    let addr = run
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("Serving on http://"))
        .map(|a| a.trim_end_matches('/').to_owned())
        .expect("address");
    let served = Served::at(addr);
    let book = served.get("/api/books/book");
    assert_eq!(book.status, 200, "{book:?}");
    assert!(
        book.body.contains("The Bennets in Miniature"),
        "{}",
        book.body
    );
    assert_eq!(run.wait_for(Duration::from_secs(60)), 0, "{}", run.stderr());
    assert!(!run.stdout().contains(crate::harness::KEY));
}

/// The scene page's review actions: a redraw with a new description makes version 2 current and
/// keeps version 1; choosing version 1 makes it current again; an unknown version is a 404;
/// rejecting marks Chapters.md; an unknown action is a 400.
#[test]
fn the_scene_page_redraws_chooses_versions_and_rejects() {
    let mut folder = Folder::with_book(2, "provider: builtin\nimageSize: 256x256\n");
    folder
        .run(&["--file", "book.txt", "--limit", "1", "--quiet"])
        .expect_code(0);
    let served = Served::start(&mut folder, &["--output-dir", "imaginize_book"]);
    let csrf = served.csrf();
    let scene = "/books/book/scenes/1/1";
    let action = |name: &str| format!("/api/books/book/scenes/1/1/{name}");
    let page = served.get(scene).body;
    assert!(page.contains("version 1 (current)"), "{page}");
    assert!(page.contains("Regenerate (one image request)"), "{page}");

    let redrawn = served.post(
        &action("regenerate"),
        &csrf,
        "description=A+new+view+at+dusk",
    );
    assert_eq!(redrawn.status, 200, "{redrawn:?}");
    let page = served.get(scene).body;
    assert!(page.contains("version 2 (current)"), "{page}");
    assert!(
        page.contains("version 1<"),
        "the first version is kept: {page}"
    );
    assert!(page.contains("A new view at dusk"), "{page}");

    assert_eq!(
        served.post(&action("version"), &csrf, "version=1").status,
        200
    );
    assert!(served.get(scene).body.contains("version 1 (current)"));
    assert_eq!(
        served.post(&action("version"), &csrf, "version=9").status,
        404
    );

    assert_eq!(
        served
            .post(&action("reject"), &csrf, "rejected=true")
            .status,
        200
    );
    let chapters = std::fs::read_to_string(folder.out().join("Chapters.md")).unwrap();
    assert!(chapters.contains("rejected in review"), "{chapters}");
    assert!(served.get(scene).body.contains("Take the rejection back"));
    assert_eq!(served.post(&action("dance"), &csrf, "").status, 400);
    // A cross-origin redraw (no CSRF token) is refused before anything is paid for.
    assert_eq!(served.post(&action("regenerate"), "wrong", "").status, 403);
}

/// The scene page shows the exact prompt of the scene's image request: the file the
/// illustrator keeps is byte for byte what the image server received.
#[test]
fn the_scene_page_shows_the_exact_prompt_that_was_sent() {
    let fake = crate::harness::Fake::with_latency(0, 0);
    // One scene, no reference portraits: one image request.
    let mut folder = Folder::with_book(1, "imageSize: 256x256\nportraits: 0\n");
    folder
        .run(&fake.book_args(&["--limit", "1", "--quiet"]))
        .expect_code(0);
    let sent: Vec<String> = fake
        .captured()
        .into_iter()
        .filter(|c| c.kind == "image")
        .map(|c| c.text)
        .collect();
    assert_eq!(sent.len(), 1, "one image request: {sent:?}");
    let kept = std::fs::read_to_string(folder.out().join("prompts/chapter_1_scene_1.txt"))
        .expect("the prompt is kept");
    assert_eq!(kept, sent[0]);
    let served = Served::start(&mut folder, &["--output-dir", "imaginize_book"]);
    let page = served.get("/books/book/scenes/1/1").body;
    assert!(page.contains("Prompt sent"), "{page}");
    let first_line = kept.lines().next().unwrap_or_default();
    let shown = first_line.replace('&', "&amp;").replace('"', "&quot;");
    assert!(page.contains(&shown), "{first_line} not in {page}");
}
