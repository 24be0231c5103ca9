//! A run never says "Done" with work left (issue 20): a claim whose process died is taken over at
//! once even while that process is an unreaped zombie, a run waits for the chapters a live
//! `--images` worker holds and takes them over the moment it dies, `--no-wait` leaves them with
//! exit 5, and SIGTERM and SIGHUP stop like Ctrl-C, each with its exit code.

use crate::harness::{Fake, Folder, Spawned, config, images_per_scene, read_manifest, wait_until};
use imaginize::exit_code;
use imaginize::store::{Manifest, Status};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The pid that holds `chapter`'s claim, if any.
fn holder(manifest: &Manifest, chapter: u32) -> Option<i32> {
    manifest
        .chapters
        .iter()
        .find(|(no, _)| no.0 == chapter)
        .and_then(|(_, c)| c.claim.as_ref()?.worker.pid())
}

/// The first chapter `pid` holds.
fn held_by(out: &std::path::Path, pid: u32) -> Option<u32> {
    let manifest = read_manifest(out)?;
    manifest
        .chapters
        .keys()
        .map(|no| no.0)
        .find(|no| holder(&manifest, *no) == Some(pid as i32))
}

/// "chapter/scene" keys of the scenes the manifest has recorded.
fn recorded_scenes(manifest: &Manifest) -> BTreeSet<String> {
    manifest
        .chapters
        .iter()
        .flat_map(|(no, c)| {
            c.scenes_done
                .iter()
                .map(move |s| format!("{}/{}", no.0, s.0))
        })
        .collect()
}

fn every_chapter_illustrated(manifest: &Manifest) -> bool {
    manifest
        .chapters
        .values()
        .all(|c| c.status == Status::IllustrationComplete)
}

fn total_scenes(manifest: &Manifest) -> usize {
    manifest
        .chapters
        .values()
        .map(|c| c.concepts as usize)
        .sum()
}

/// Whether `pid` is a zombie (exited, not reaped).
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.trim_start().chars().next()
        })
        == Some('Z')
}

/// Analyses the book (`--text`) without latency so the illustrators have everything at once.
fn analyzed_folder(fake: &Fake, chapters: usize, image_jobs: usize) -> Folder {
    let folder = Folder::with_book(chapters, &config(2, image_jobs));
    folder.run(&fake.book_args(&["--text"])).expect_code(0);
    folder
}

/// Waits until the spawned worker holds a chapter; returns it.
fn wait_for_a_claim(folder: &Folder, worker: &Spawned) -> u32 {
    let out = folder.out();
    let mut held = None;
    let found = wait_until(Duration::from_secs(30), || {
        held = held_by(&out, worker.id());
        held.is_some()
    });
    assert!(found, "the worker claimed nothing\n{}", worker.stderr());
    held.unwrap_or_default()
}

/// The scenario: `kill -9`, then a re-run at once while the killed process is still a
/// zombie (its parent, this test, does not reap it). The re-run finishes the book with exit 0
/// and asks only for the images that were not recorded.
#[test]
fn a_rerun_while_the_killed_run_is_a_zombie_finishes_the_book() {
    let fake = Fake::with_latency(30, 300);
    // A lease far longer than the test may take: only the dead worker's lock can free its claim.
    let cfg = format!("{}leaseSecs: 600\n", config(2, 1));
    let mut folder = Folder::with_book(6, &cfg);
    let out = folder.out();
    let args = fake.book_args(&[]);
    let mut run = folder.spawn(&args);
    let pid = run.id();
    assert!(
        wait_until(Duration::from_secs(60), || {
            read_manifest(&out).is_some_and(|m| {
                m.chapters.values().any(|c| !c.scenes_done.is_empty())
                    && held_by(&out, pid).is_some()
            })
        }),
        "the run drew nothing\n{}",
        run.stderr()
    );
    let _ = run.child.kill(); // SIGKILL without wait: the child stays a zombie
    assert!(
        wait_until(Duration::from_secs(5), || is_zombie(pid)),
        "the killed run never showed as a zombie"
    );
    let before = recorded_scenes(&read_manifest(&out).expect("manifest"));
    let mark = fake.settled_entries().len();

    let mut rerun = folder.spawn(&args);
    let code = rerun.wait_for(Duration::from_secs(60));
    assert!(is_zombie(pid), "the zombie was reaped during the re-run");
    assert_eq!(code, 0, "{}", rerun.stderr());
    let _ = run.child.wait();

    let manifest = read_manifest(&out).expect("manifest");
    assert!(
        every_chapter_illustrated(&manifest),
        "the re-run left chapters undone: {:?}\n{}",
        manifest.chapters,
        rerun.stderr()
    );
    let asked = images_per_scene(&fake.entries()[mark..]);
    for key in asked.keys() {
        assert!(
            !before.contains(key),
            "scene {key} was recorded before the kill but asked again"
        );
    }
    let scenes = total_scenes(&manifest);
    assert_eq!(
        asked.len() + before.len(),
        scenes,
        "asked {asked:?} after the kill; recorded before {before:?}"
    );
    assert!(asked.values().all(|n| *n == 1), "asked twice: {asked:?}");
    assert!(rerun.stderr().contains("Done in"), "{}", rerun.stderr());
}

/// A run started while a live `--images` worker holds a chapter waits for it, says who holds
/// what, and exits 0 only once that chapter is finished; `--no-wait` leaves it with exit 5.
#[test]
fn a_run_waits_for_the_chapters_a_live_worker_holds() {
    let fake = Fake::with_latency(0, 700);
    let mut folder = analyzed_folder(&fake, 2, 1);
    let out = folder.out();
    let only_1 = ["--chapters", "1"];
    let mut worker = folder.spawn(&fake.book_args(&["--images", "--chapters", "1"]));
    let chapter = wait_for_a_claim(&folder, &worker);
    assert_eq!(chapter, 1);

    let no_wait = folder.run(&fake.book_args(&["--no-wait", "--chapters", "1"]));
    no_wait.expect_code(exit_code::LEFT_TO_OTHERS);
    assert!(
        no_wait
            .stderr()
            .contains("still being illustrated by other imaginize"),
        "{}",
        no_wait.stderr()
    );
    assert!(
        !no_wait.stderr().contains("Done in"),
        "{}",
        no_wait.stderr()
    );

    let waiting = folder.run(&fake.book_args(&only_1));
    waiting.expect_code(0);
    let stderr = waiting.stderr();
    assert!(
        stderr.contains(&format!("chapter 1 (pid {} on host", worker.id())),
        "the waiting run did not say who holds chapter 1:\n{stderr}"
    );
    let manifest = read_manifest(&out).expect("manifest");
    assert_eq!(
        manifest.chapters.values().next().map(|c| c.status),
        Some(Status::IllustrationComplete),
        "the waiting run ended before chapter 1 was finished"
    );
    assert_eq!(
        worker.wait_for(Duration::from_secs(30)),
        0,
        "{}",
        worker.stderr()
    );
    let asked = images_per_scene(&fake.entries());
    assert!(asked.values().all(|n| *n == 1), "asked twice: {asked:?}");
}

/// Killing the worker that holds a chapter a waiting run needs makes that run take the chapter
/// over within a second (same host: the worker's lock is gone at once, no lease to wait out).
#[test]
fn a_waiting_run_takes_over_within_a_second_when_the_holder_dies() {
    let fake = Fake::with_latency(0, 1500);
    let mut folder = analyzed_folder(&fake, 2, 1);
    let out = folder.out();
    let mut worker = folder.spawn(&fake.book_args(&["--images", "--chapters", "1"]));
    let chapter = wait_for_a_claim(&folder, &worker);
    let mut waiting = folder.spawn(&fake.book_args(&["--chapters", "1"]));
    assert!(
        wait_until(Duration::from_secs(30), || waiting
            .stderr()
            .contains("waiting for 1 chapter that")),
        "the run did not wait for chapter {chapter}:\n{}",
        waiting.stderr()
    );
    assert!(worker.kill9(), "the worker ended before the kill");
    let killed = Instant::now();
    let waiting_pid = waiting.id() as i32;
    assert!(
        wait_until(Duration::from_secs(5), || read_manifest(&out)
            .is_some_and(|m| holder(&m, chapter) == Some(waiting_pid))),
        "the waiting run never took chapter {chapter} over:\n{}",
        waiting.stderr()
    );
    let took_over = killed.elapsed();
    eprintln!("MEASURE take-over after the holder's kill: {took_over:?}");
    assert!(
        took_over < Duration::from_secs(1),
        "took {took_over:?} to take chapter {chapter} over"
    );
    assert_eq!(
        waiting.wait_for(Duration::from_secs(30)),
        0,
        "{}",
        waiting.stderr()
    );
    let manifest = read_manifest(&out).expect("manifest");
    assert_eq!(
        manifest.chapters.values().next().map(|c| c.status),
        Some(Status::IllustrationComplete)
    );
}

/// A stop signal during a concurrent run: the images in flight are recorded, the claims
/// released, the signal's exit code returned; the re-run asks for no image answered before it.
fn stops_like_the_first_ctrl_c(signal: i32, name: &str, expected: i32) {
    let fake = Fake::with_latency(30, 400);
    let mut folder = Folder::with_book(5, &config(2, 2));
    let out = folder.out();
    let args = fake.book_args(&[]);
    let mut run = folder.spawn(&args);
    assert!(
        wait_until(Duration::from_secs(60), || read_manifest(&out).is_some_and(
            |m| m.chapters.values().any(|c| !c.scenes_done.is_empty())
        )),
        "the run drew nothing\n{}",
        run.stderr()
    );
    // SAFETY: sends a signal to our own child.
    let sent = unsafe { libc::kill(run.id() as i32, signal) };
    assert_eq!(sent, 0, "kill -{name} failed");
    let code = run.wait_for(Duration::from_secs(30));
    assert_eq!(code, expected, "{}", run.stderr());
    assert!(run.stderr().contains(name), "{}", run.stderr());
    assert!(!run.stderr().contains("Done in"), "{}", run.stderr());

    let manifest = read_manifest(&out).expect("manifest");
    assert!(
        manifest.chapters.values().all(|c| c.claim.is_none()),
        "claims were not released: {:?}",
        manifest.chapters
    );
    let answered: BTreeSet<String> = images_per_scene(&fake.settled_entries())
        .into_keys()
        .collect();
    assert_eq!(
        answered,
        recorded_scenes(&manifest),
        "every image answered before the stop is recorded"
    );
    let mark = fake.entries().len();
    folder.run(&args).expect_code(0);
    let again = images_per_scene(&fake.entries()[mark..]);
    for key in again.keys() {
        assert!(!answered.contains(key), "scene {key} was paid for twice");
    }
    assert!(every_chapter_illustrated(
        &read_manifest(&out).expect("manifest")
    ));
}

#[test]
fn sigterm_finishes_the_calls_in_flight_and_exits_143() {
    stops_like_the_first_ctrl_c(libc::SIGTERM, "SIGTERM", exit_code::TERMINATED);
}

#[test]
fn sigint_finishes_the_calls_in_flight_and_exits_130() {
    stops_like_the_first_ctrl_c(libc::SIGINT, "Ctrl-C", exit_code::INTERRUPTED);
}

#[test]
fn sighup_finishes_the_calls_in_flight_and_exits_129() {
    stops_like_the_first_ctrl_c(libc::SIGHUP, "SIGHUP", exit_code::HUNG_UP);
}
