//! Reference portraits (issue 16 part 3) through the real binary and the fake server: the most
//! present characters get one portrait each, drawn exactly once by however many `--images`
//! processes, saved under `images/cast/`, shown in Elements.md, and every scene showing a
//! portrayed character is requested only after that character's portrait is recorded.

use crate::fake_openai::Captured;
use crate::harness::{Fake, Folder, config, read, read_manifest};
use imaginize::store::{PortraitStatus, layout};
use std::time::Duration;

const PORTRAIT: &str = "A reference portrait of ";

fn portrait_requests(captured: &[Captured]) -> Vec<&Captured> {
    captured
        .iter()
        .filter(|c| c.kind == "image" && c.text.starts_with(PORTRAIT))
        .collect()
}

/// Who a portrait request is for: the name after "A reference portrait of ", up to " (".
fn portrayed(request: &Captured) -> String {
    let rest = request.text.trim_start_matches(PORTRAIT);
    rest.split(" (").next().unwrap_or_default().to_string()
}

/// Ten `--images` processes on an analyzed book: each portrait is asked for exactly once, is
/// recorded done with its file in `images/cast/` and its prompt in `prompts/`, and Elements.md
/// shows it.
#[test]
fn ten_images_processes_draw_each_portrait_exactly_once() {
    const PROCESSES: usize = 10;
    let fake = Fake::with_latency(0, 150);
    let mut folder = Folder::with_book(6, &config(2, 2).replace("portraits: 0", "portraits: 3"));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let wanted = read_manifest(&folder.out()).expect("manifest").portraits;
    assert_eq!(wanted.len(), 3, "{wanted:?}");
    assert!(
        portrait_requests(&fake.captured()).is_empty(),
        "--text draws nothing"
    );

    let mut runs: Vec<_> = (0..PROCESSES)
        .map(|_| folder.spawn(&fake.book_args(&["--images"])))
        .collect();
    for (i, run) in runs.iter_mut().enumerate() {
        let code = run.wait_for(Duration::from_secs(90));
        assert_eq!(code, 0, "process {i} failed:\n{}", run.stderr());
    }
    let captured = fake.captured();
    let mut asked: Vec<String> = portrait_requests(&captured)
        .into_iter()
        .map(portrayed)
        .collect();
    asked.sort();
    let mut names: Vec<String> = wanted.values().map(|p| p.name.clone()).collect();
    names.sort();
    eprintln!("MEASURE ten processes: portrait requests {asked:?}");
    assert_eq!(asked, names, "each portrait exactly once");

    let manifest = read_manifest(&folder.out()).expect("manifest");
    let elements_md = read(folder.out().join("Elements.md"));
    for (slug, portrait) in &manifest.portraits {
        assert_eq!(
            portrait.status,
            PortraitStatus::Done,
            "{slug}: {portrait:?}"
        );
        let image = portrait
            .image
            .clone()
            .expect("a drawn portrait has its file");
        assert_eq!(image, layout::portrait_file_name(slug, "png"));
        let bytes = std::fs::read(folder.out().join(&image)).expect("portrait file");
        assert!(bytes.starts_with(b"\x89PNG"), "{image} is not a PNG");
        let prompt = read(folder.out().join(layout::portrait_prompt_file_name(slug)));
        assert!(prompt.starts_with(PORTRAIT), "{prompt}");
        assert!(
            elements_md.contains(&format!("**Portrait:** ![{}]({image})", portrait.name)),
            "Elements.md does not show {}'s portrait:\n{elements_md}",
            portrait.name
        );
    }
    assert!(manifest.illustrate_complete, "illustrate_complete not set");
}

/// Ten `--images` processes, two of them killed with `kill -9` while the portraits are being
/// drawn and two fresh ones started: every portrait ends drawn and recorded, and none is
/// requested more often than once plus the requests the killed processes had in flight.
#[test]
fn portraits_survive_kill_9_and_are_requested_once_but_for_calls_in_flight() {
    const PROCESSES: usize = 10;
    let fake = Fake::with_latency(0, 400);
    let mut folder = Folder::with_book(6, &config(2, 2).replace("portraits: 0", "portraits: 3"));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    let mut runs: Vec<_> = (0..PROCESSES)
        .map(|_| folder.spawn(&fake.book_args(&["--images"])))
        .collect();
    // Killed once the first portrait requests are on their way.
    assert!(crate::harness::wait_until(Duration::from_secs(30), || {
        !portrait_requests(&fake.captured()).is_empty()
    }));
    let mut killed = 0;
    for run in runs.iter_mut().take(2) {
        killed += usize::from(run.kill9());
    }
    assert!(killed > 0, "the processes ended before the kills");
    // A request a killed process sent just before dying may still be on its way in: counted
    // once the server has been quiet a moment (an over-count, never an under-count).
    let _ = fake.settled_entries();
    let in_flight_at_kills = portrait_requests(&fake.captured()).len();
    for _ in 0..2 {
        runs.push(folder.spawn(&fake.book_args(&["--images"])));
    }
    for (i, run) in runs.iter_mut().enumerate().skip(2) {
        let code = run.wait_for(Duration::from_secs(90));
        assert_eq!(code, 0, "process {i} failed:\n{}", run.stderr());
    }
    let manifest = read_manifest(&folder.out()).expect("manifest");
    assert_eq!(manifest.portraits.len(), 3);
    for (slug, portrait) in &manifest.portraits {
        assert_eq!(
            portrait.status,
            PortraitStatus::Done,
            "{slug}: {portrait:?}"
        );
    }
    let captured = fake.captured();
    let asked = portrait_requests(&captured);
    eprintln!(
        "MEASURE kill -9: {killed} killed, {} portrait requests for 3 portraits ({in_flight_at_kills} sent before the kills)",
        asked.len()
    );
    assert!(
        asked.len() <= 3 + in_flight_at_kills,
        "{} portrait requests for 3 portraits",
        asked.len()
    );
}

/// One process: a scene showing a portrayed character is requested only after that portrait's
/// request was answered; the portrait prompt carries the card and the style; a scene without
/// portrayed characters need not wait; `portraits: 0` draws none.
#[test]
fn a_scene_waits_for_the_portraits_of_who_it_shows_and_none_are_drawn_when_disabled() {
    let fake = Fake::with_latency(0, 100);
    // The default number of portraits.
    let folder = Folder::with_book(4, &config(2, 2).replace("portraits: 0\n", ""));
    folder.run(&fake.book_args(&[])).expect_code(0);
    let manifest = read_manifest(&folder.out()).expect("manifest");
    assert!(!manifest.portraits.is_empty());
    assert!(manifest.portraits.len() <= imaginize::config::DEFAULT_PORTRAITS);
    let captured = fake.captured();
    let entries = fake.entries();
    let portraits = portrait_requests(&captured);
    assert_eq!(portraits.len(), manifest.portraits.len());
    let lookup =
        imaginize::analyze::ElementsLookup::parse_markdown(&read(folder.out().join("Elements.md")))
            .expect("Elements.md");
    for request in &portraits {
        let name = portrayed(request);
        let element = lookup
            .elements
            .iter()
            .find(|e| e.name == name)
            .expect("a portrayed element is in the cast");
        assert!(
            request
                .text
                .contains(&format!("Appearance: {}", element.appearance)),
            "the card is not verbatim in:\n{}",
            request.text
        );
        assert!(request.text.contains("Style: "), "{}", request.text);
        // When its answer came (the log's entry with this start).
        let answered = entries
            .iter()
            .find(|e| e.kind == "image" && e.start_ms == request.start_ms)
            .map(|e| e.end_ms)
            .expect("logged");
        for scene in captured
            .iter()
            .filter(|c| c.kind == "image" && !c.text.starts_with(PORTRAIT))
        {
            let shows = scene
                .text
                .lines()
                .find(|l| l.starts_with("In the scene:"))
                .is_some_and(|l| l.contains(&name));
            if shows {
                assert!(
                    scene.start_ms >= answered,
                    "a scene showing {name} was asked for before its portrait was answered"
                );
            }
        }
    }

    let fake = Fake::with_latency(0, 0);
    let folder = Folder::with_book(2, &config(2, 2));
    folder.run(&fake.book_args(&[])).expect_code(0);
    assert!(portrait_requests(&fake.captured()).is_empty());
    let manifest = read_manifest(&folder.out()).expect("manifest");
    assert!(manifest.portraits.is_empty());
    assert!(!folder.out().join("images/cast").exists());
}

/// `--estimate` counts the portraits among the images.
#[test]
fn the_estimate_counts_the_portraits() {
    let folder = Folder::with_book(3, &config(2, 2).replace("portraits: 0\n", ""));
    let ran = folder.run(&["--file", "book.txt", "--estimate", "--provider", "builtin"]);
    ran.expect_code(0);
    let out = ran.stdout();
    let line = out
        .lines()
        .find(|l| l.contains("reference portraits"))
        .unwrap_or_else(|| panic!("no portraits line:\n{out}"));
    let n: usize = line
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .expect("a number");
    assert!(n > 0 && n <= imaginize::config::DEFAULT_PORTRAITS, "{line}");
}

/// `regenerate --portrait NAME` redraws one portrait now (a new prompt file, the picture
/// recorded done), and a name not in the cast is refused with a message naming it.
#[test]
fn regenerate_redraws_one_portrait() {
    let folder = Folder::with_book(2, &config(1, 1).replace("portraits: 0", "portraits: 2"));
    folder
        .run(&["--file", "book.txt", "--provider", "builtin", "--quiet"])
        .expect_code(0);
    let out = folder.out();
    let manifest = read_manifest(&out).expect("manifest");
    let (slug, portrait) = manifest.portraits.iter().next().expect("a portrait");
    assert_eq!(portrait.status, PortraitStatus::Done);
    let prompt = out.join(layout::portrait_prompt_file_name(slug));
    std::fs::remove_file(&prompt).expect("the first run wrote the prompt");
    let out_arg = out.to_string_lossy().into_owned();
    let ran = folder.run(&[
        "regenerate",
        "--output-dir",
        &out_arg,
        "--portrait",
        &portrait.name.to_uppercase(),
        "--provider",
        "builtin",
    ]);
    ran.expect_code(0);
    assert!(
        ran.stdout()
            .contains(&format!("portrait redrawn: images/cast/{slug}.png")),
        "{}",
        ran.stdout()
    );
    assert!(prompt.is_file(), "the redraw's prompt is kept");
    let after = read_manifest(&out).expect("manifest").portraits[slug].clone();
    assert_eq!(after.status, PortraitStatus::Done);
    assert_eq!(after.claim, None);

    let ran = folder.run(&[
        "regenerate",
        "--output-dir",
        &out_arg,
        "--portrait",
        "Nobody At All",
        "--provider",
        "builtin",
    ]);
    assert_ne!(ran.code(), Some(0));
    assert!(ran.stderr().contains("Nobody At All"), "{}", ran.stderr());
}
