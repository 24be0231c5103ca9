//! The dashboard in a real browser: headless chromium driven by chromedriver over the WebDriver
//! JSON protocol. While a run against the fake server progresses, the book page's chapter cells
//! change state and thumbnails appear without a reload, the ETA is shown, and no console error
//! is logged; the cast page's editor rewrites Elements.md. Screenshots go to docs/screenshots/
//! with `IMAGINIZE_SCREENSHOTS=1` (to refresh the README's pictures), else under target/.
//! Without chromium or chromedriver the test is skipped with a notice, except on CI.

use crate::harness::{Fake, Folder, wait_until};
use crate::serve_http::{Served, exchange};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One chromedriver with one browser session.
struct Driver {
    process: Child,
    addr: String,
    session: String,
}

impl Driver {
    fn start(profile: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr = format!("127.0.0.1:{port}");
        let mut driver = Driver {
            process,
            addr,
            session: String::new(),
        };
        let up = wait_until(Duration::from_secs(15), || {
            std::net::TcpStream::connect(&driver.addr).is_ok()
        });
        assert!(up, "chromedriver does not listen");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--disable-background-networking",
                "--disable-component-update", "--no-first-run",
                format!("--user-data-dir={}", profile.display())]},
            "goog:loggingPrefs": {"browser": "ALL"}}}});
        let session = driver.call("POST", "/session", Some(capabilities));
        driver.session = session["sessionId"].as_str().expect("a session").to_owned();
        driver
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let answer = exchange(
            &self.addr,
            request.as_bytes(),
            Duration::from_secs(60),
            None,
        );
        let json = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let value: Value = serde_json::from_str(json)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {answer}"));
        assert!(
            value["value"]["error"].is_null(),
            "{method} {path}: {value}"
        );
        value["value"].clone()
    }

    fn in_session(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.in_session("POST", "/url", Some(json!({ "url": url })));
    }

    fn script(&self, script: &str) -> Value {
        self.in_session(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn click(&self, css: &str) {
        let found = self.in_session(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element found")
            .to_owned();
        self.in_session("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// The browser's console entries since the last call.
    fn console(&self) -> Vec<Value> {
        let logs = self.in_session("POST", "/se/log", Some(json!({"type": "browser"})));
        logs.as_array().cloned().unwrap_or_default()
    }

    fn screenshot(&self, to: &Path) {
        use base64::Engine;
        let png = self.in_session("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64"))
            .expect("a PNG");
        std::fs::create_dir_all(to.parent().expect("folder")).expect("mkdir");
        std::fs::write(to, bytes).expect("screenshot written");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let request = format!(
                "DELETE {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            );
            exchange(
                &self.addr,
                request.as_bytes(),
                Duration::from_secs(10),
                None,
            );
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Where the screenshots go: the README's pictures in docs/screenshots/ only when asked
/// (`IMAGINIZE_SCREENSHOTS=1`), so an ordinary test run leaves the tree as it was.
fn screenshots() -> PathBuf {
    if std::env::var_os("IMAGINIZE_SCREENSHOTS").is_some() {
        crate::support::repo().join("docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    }
}

fn errors(entries: &[Value]) -> Vec<&Value> {
    entries.iter().filter(|e| e["level"] == "SEVERE").collect()
}

/// Counts of the book page's grid: cells, complete cells, thumbnails, and the page's marker.
const GRID: &str = "var cells = document.querySelectorAll('#grid li'); \
    return {cells: cells.length, complete: document.querySelectorAll('#grid .st-illustration_complete').length, \
    thumbs: document.querySelectorAll('#grid img').length, mark: window.__mark || null, \
    eta: (document.querySelector('[data-k=eta]') || {}).textContent, \
    title: document.querySelector('h1').textContent, seen: Object.keys(window.__seen || {})};";

/// Remembers the page (a reload loses it) and every state class a cell had.
const RECORD: &str = "window.__mark = 'same page'; window.__seen = {}; \
    setInterval(function () { document.querySelectorAll('#grid li').forEach(function (li) { \
    window.__seen[li.className] = 1; }); }, 25); return true;";

#[test]
fn the_dashboard_follows_a_run_live_and_edits_the_cast_in_chromium() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{CHROMIUM} or {CHROMEDRIVER} is missing on CI (.ci/run installs chromium-driver)"
        );
        eprintln!("notice: skipping the dashboard browser test: chromium or chromedriver missing");
        return;
    }
    // Slow images: the run lasts long enough (6 s and more) for the page to see it progress.
    let fake = Fake::with_latency(100, 1000);
    let mut folder = Folder::with_book(6, "imageSize: 256x256\n");
    let driver = Driver::start(&folder.path().join("profile"));
    // The page is open before the run makes the folder: everything it shows arrives live.
    let served = Served::start(&mut folder, &["--output-dir", "imaginize_book"]);
    let base = format!("http://{}", served.addr);
    driver.go(&format!("{base}/books/book"));
    driver.script(RECORD);
    let at_load = driver.script(GRID);
    assert_eq!(at_load["cells"], 0, "{at_load}");
    let mut run = folder.spawn(&fake.book_args(&["--image-jobs", "1", "--quiet"]));
    let mut shot_live = false;
    let finished = wait_until(Duration::from_secs(90), || {
        let grid = driver.script(GRID);
        if !shot_live && grid["thumbs"].as_u64() > Some(0) && grid["complete"] != grid["cells"] {
            driver.screenshot(&screenshots().join("dashboard-live.png"));
            shot_live = true;
        }
        grid["cells"] == 6 && grid["complete"] == 6
    });
    let grid = driver.script(GRID);
    assert!(finished, "the grid never showed the whole run: {grid}");
    assert_eq!(run.wait_for(Duration::from_secs(60)), 0, "{}", run.stderr());
    assert_eq!(grid["mark"], "same page", "the page was reloaded");
    assert_eq!(grid["thumbs"], 6, "thumbnails appeared live: {grid}");
    let seen = grid["seen"].to_string();
    assert!(
        seen.contains("st-analyzed")
            || seen.contains("st-pending")
            || seen.contains("st-illustration_inprogress"),
        "no state change seen: {seen}"
    );
    assert_eq!(grid["eta"], "0s", "the ETA is shown: {grid}");
    assert_eq!(grid["title"], "The Bennets in Miniature", "{grid}");
    driver.screenshot(&screenshots().join("dashboard.png"));
    let console = driver.console();
    assert!(errors(&console).is_empty(), "console errors: {console:?}");

    // The run's report opens from the dashboard, self-contained: no console error, and one
    // span per request the fake server saw.
    driver.go(&format!("{base}/books/book/files/report.html"));
    let spans = driver.script("return document.querySelectorAll('svg.timeline rect.span').length;");
    let requests = fake.entries().len();
    assert_eq!(
        spans.as_u64(),
        Some(requests as u64),
        "report spans vs requests"
    );
    let console = driver.console();
    assert!(
        errors(&console).is_empty(),
        "console errors on report.html: {console:?}"
    );

    driver.go(&format!("{base}/books/book/cast"));
    let text = "Painted by the browser test";
    driver.script(&format!(
        "document.querySelector('#el-0 textarea').value = '{text}'; return true;"
    ));
    driver.click("#el-0 button");
    let elements = folder.out().join("Elements.md");
    let saved = wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&elements).is_ok_and(|md| md.contains(text))
    });
    assert!(saved, "Elements.md was not changed");
    // The file is written before the answer reaches the page: wait for the page to say so.
    let note = "return document.querySelector('#el-0 .saved').textContent;";
    let told = wait_until(Duration::from_secs(10), || driver.script(note) == "Saved.");
    assert!(told, "the page did not say Saved.: {}", driver.script(note));
    driver.screenshot(&screenshots().join("cast.png"));
    // Regenerate from the scene page (the server runs `regenerate` with the folder's own
    // configuration: the builtin renderer here): a new version, the old one kept, shown.
    let scene_page = format!("{base}/books/book/scenes/1/1");
    driver.go(&scene_page);
    driver.script(
        "document.querySelector('.regenerate textarea').value = 'Redrawn by the browser test'; \
         return true;",
    );
    driver.click(".regenerate button");
    let second = folder.out().join("images/chapter_1_scene_1.v2.png");
    assert!(
        wait_until(Duration::from_secs(60), || second.exists()),
        "no second version was drawn"
    );
    let shown = "var c = document.querySelector('.version.current figcaption'); \
        return {current: c ? c.textContent : null, versions: document.querySelectorAll('.versions figure').length, \
        image: (document.querySelector('#scene-image') || {}).src || null, \
        described: document.body.textContent.indexOf('Redrawn by the browser test') >= 0};";
    let mut last = serde_json::Value::Null;
    let updated = wait_until(Duration::from_secs(20), || {
        // The form reloads the page once the redraw is answered; a fresh load shows the same.
        driver.go(&scene_page);
        last = driver.script(shown);
        last["current"] == "version 2 (current)"
    });
    assert!(updated, "the page does not show the new version: {last}");
    assert_eq!(last["versions"], 2, "the old version is kept: {last}");
    assert!(
        last["image"]
            .as_str()
            .is_some_and(|src| src.contains(".v2.")),
        "{last}"
    );
    assert_eq!(last["described"], true, "{last}");
    driver.screenshot(&screenshots().join("scene.png"));
    let console = driver.console();
    assert!(errors(&console).is_empty(), "console errors: {console:?}");
}
