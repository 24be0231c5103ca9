//! Where a concurrent run loses time against the lower bound, from the fake's log and the
//! manifest's `analyzed_at` (issue 18, docs/performance.md "Session 8: sized").
//!
//! When the images are the bound's larger term, the run's wall splits exactly into
//! `first image request + (Σimages + idle image-slot time) / image_jobs + shutdown`, so
//! `wall − bound = (first image − p1) + idle / image_jobs + shutdown − tail`. The idle image-slot
//! time is split by what the slot could have drawn: nothing (no analyzed chapter's scene was
//! waiting: the analysis did not keep up) or something (a scene was claimable: the illustrators'
//! own delays, portraits waited for, bookkeeping).
//!
//! `IMAGINIZE_BENCH_KEEP=<dir>` also keeps each run's log (JSON lines) and manifest there.

use super::fake_openai::LogEntry;
use super::{Cost, MANIFEST, image_chapter};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Keeps the run's log and manifest under `$IMAGINIZE_BENCH_KEEP/<label>/` when it is set.
pub fn keep(label: &str, log: &[LogEntry], out: &Path) {
    let Ok(dir) = std::env::var("IMAGINIZE_BENCH_KEEP") else {
        return;
    };
    let dir = Path::new(&dir).join(label.replace([' ', ','], "_"));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let mut lines = String::new();
    for e in log {
        if let Ok(line) = serde_json::to_string(e) {
            let _ = writeln!(lines, "{line}");
        }
    }
    let _ = std::fs::write(dir.join("log.jsonl"), lines);
    let _ = std::fs::copy(out.join(MANIFEST), dir.join(MANIFEST));
    // The cast (first chapters, cards) and the scenes: which cards a chapter waited for.
    let _ = std::fs::copy(out.join("elements.json"), dir.join("elements.json"));
    let chapters = dir.join("chapters");
    if let (Ok(files), Ok(())) = (
        std::fs::read_dir(out.join("chapters")),
        std::fs::create_dir_all(&chapters),
    ) {
        for file in files.flatten() {
            let _ = std::fs::copy(file.path(), chapters.join(file.file_name()));
        }
    }
}

/// What the timeline needs besides the log: the run, its slots, the bound's terms, and per
/// chapter when it was analyzed (ms since the epoch) and how many scenes it has.
pub struct Run<'a> {
    pub cost: Cost,
    pub log: &'a [LogEntry],
    pub jobs: usize,
    pub image_jobs: usize,
    pub p1: f64,
    pub tail: f64,
    pub analyzed: BTreeMap<u32, (f64, u32)>,
}

/// Prints where the run's time went against the bound.
pub fn print(run: &Run) {
    let t0 = run.cost.t0_ms;
    let ok = |e: &&LogEntry| e.status == 200;
    let of = |kind: &'static str| run.log.iter().filter(ok).filter(move |e| e.kind == kind);
    let images: Vec<&LogEntry> = of("image").collect();
    let (Some(first), Some(last)) = (
        images.iter().map(|e| e.start_ms as f64).reduce(f64::min),
        images.iter().map(|e| e.end_ms as f64).reduce(f64::max),
    ) else {
        return;
    };
    let pass1: Vec<&LogEntry> = of("entities").collect();
    let p1_end = pass1.iter().map(|e| e.end_ms as f64).fold(t0, f64::max);
    let slowest = pass1.iter().map(|e| dur(e)).fold(0.0, f64::max);
    let (idle_ready, idle_starved) = idle_image_slots(run, &images, first, last);
    let idle = idle_ready + idle_starved;
    let shutdown = run.cost.t1_ms - last;
    let loss = run.cost.wall_ms() - (run.p1 + sum(&images) / run.image_jobs as f64 + run.tail);
    println!("where the concurrent run loses against the bound (images the larger term):");
    println!(
        "  pass 1: span {:.0} ms vs Σ/jobs {:.0} ms (slowest request {slowest:.0} ms of {})",
        p1_end - t0,
        run.p1,
        pass1.len()
    );
    println!(
        "  first image request at {:.0} ms: {:.0} ms after pass 1 ended ({:+.0} ms vs p1)",
        first - t0,
        first - p1_end,
        first - t0 - run.p1
    );
    println!(
        "  idle image slots between the first image request and the last answer: {:.0} slot-ms \
         = {:.0} ms of wall (nothing analyzed to draw {:.0}, a scene waiting {:.0})",
        idle,
        idle / run.image_jobs as f64,
        idle_starved / run.image_jobs as f64,
        idle_ready / run.image_jobs as f64,
    );
    println!(
        "  last answer → exit {shutdown:.0} ms; minus the tail term {:.0} ms; wall − bound = {loss:.0} ms",
        run.tail
    );
    print_handoffs(run, &images);
    print_text_order(run, &images, p1_end);
    print_windows(run, &images, first, last);
}

/// The gap between an image answer and the next image request on the slot it freed, once every
/// slot has been used: each request after the first `image_jobs` is paired with the latest
/// answer before it not yet paired. What the illustrators spend between two images (the claim,
/// the prompt, the references; before session 10 also the image's write) whether or not a
/// scene was waiting, so a starved slot's wait shows here too (it lengthens the tail, p90).
fn print_handoffs(run: &Run, images: &[&LogEntry]) {
    let mut starts: Vec<f64> = images.iter().map(|e| e.start_ms as f64).collect();
    let mut ends: Vec<f64> = images.iter().map(|e| e.end_ms as f64).collect();
    starts.sort_by(f64::total_cmp);
    ends.sort_by(f64::total_cmp);
    let (mut free, mut next_end, mut gaps) = (Vec::new(), 0, Vec::new());
    for (i, start) in starts.iter().enumerate() {
        while next_end < ends.len() && ends[next_end] <= *start {
            free.push(ends[next_end]);
            next_end += 1;
        }
        if i < run.image_jobs {
            continue;
        }
        // The latest answer not yet paired: `free` is sorted, so its last.
        if let Some(end) = free.pop() {
            gaps.push(start - end);
        }
    }
    gaps.sort_by(f64::total_cmp);
    let at =
        |q: f64| gaps.get(((gaps.len() as f64 * q) as usize).min(gaps.len().saturating_sub(1)));
    if let (Some(p50), Some(p90)) = (at(0.5), at(0.9)) {
        let short: f64 = gaps.iter().filter(|g| **g < 30.0).sum();
        println!(
            "  slot hand-off (image answer → next request on its slot): p50 {p50:.0} ms, p90 {p90:.0} ms, \
             n={}; gaps under 30 ms sum to {short:.0} slot-ms",
            gaps.len()
        );
    }
}

fn dur(e: &LogEntry) -> f64 {
    (e.end_ms - e.start_ms) as f64
}

fn sum(entries: &[&LogEntry]) -> f64 {
    entries.iter().map(|e| dur(e)).sum()
}

/// The image slots no request occupies at instant `t` (ms).
fn free_image_slots(run: &Run, images: &[&LogEntry], t: f64) -> usize {
    let busy = images
        .iter()
        .filter(|e| (e.start_ms as f64) <= t && t < e.end_ms as f64)
        .count();
    run.image_jobs.saturating_sub(busy)
}

/// Image-slot time left idle in [from, to], split into (a scene of an analyzed chapter was
/// waiting, nothing was), in slot-ms, on a 1 ms grid.
fn idle_image_slots(run: &Run, images: &[&LogEntry], from: f64, to: f64) -> (f64, f64) {
    let (mut ready_idle, mut starved_idle) = (0.0, 0.0);
    let mut t = from;
    while t < to {
        let free = free_image_slots(run, images, t) as f64;
        if free > 0.0 {
            if waiting_scenes(run, images, t) > 0 {
                ready_idle += free;
            } else {
                starved_idle += free;
            }
        }
        t += 1.0;
    }
    (ready_idle, starved_idle)
}

/// Scenes of chapters analyzed by `t` whose image request has not started by `t`.
fn waiting_scenes(run: &Run, images: &[&LogEntry], t: f64) -> usize {
    let analyzed: usize = run
        .analyzed
        .values()
        .filter(|(at, _)| *at <= t)
        .map(|(_, n)| *n as usize)
        .sum();
    let started = images
        .iter()
        .filter(|e| (e.start_ms as f64) <= t)
        .filter(|e| {
            image_chapter(e).is_some_and(|c| run.analyzed.get(&c).is_some_and(|a| a.0 <= t))
        })
        .count();
    analyzed.saturating_sub(started)
}

/// The text requests after pass 1 in the order they started, compressed: runs of one kind.
fn print_text_order(run: &Run, images: &[&LogEntry], p1_end: f64) {
    let t0 = run.cost.t0_ms;
    let mut text: Vec<&LogEntry> = run
        .log
        .iter()
        .filter(|e| ["style", "cards", "scenes"].contains(&e.kind.as_str()))
        .collect();
    text.sort_by_key(|e| e.start_ms);
    let mut line = String::new();
    let mut runs: Vec<(String, usize, f64)> = Vec::new();
    for e in &text {
        match runs.last_mut() {
            Some((kind, n, _)) if *kind == e.kind => *n += 1,
            _ => runs.push((e.kind.clone(), 1, e.start_ms as f64 - t0)),
        }
    }
    for (kind, n, at) in runs.iter().take(14) {
        let _ = write!(line, "{kind}×{n}@{at:.0} ");
    }
    println!(
        "  text after pass 1 (kind×count@start ms): {}",
        line.trim_end()
    );
    let style_end = run
        .log
        .iter()
        .filter(|e| e.kind == "style")
        .map(|e| e.end_ms as f64 - t0)
        .reduce(f64::max);
    let cards_end = run
        .log
        .iter()
        .filter(|e| e.kind == "cards")
        .map(|e| e.end_ms as f64 - t0)
        .reduce(f64::max);
    let text_end = text.iter().map(|e| e.end_ms as f64 - t0).reduce(f64::max);
    if let Some(end) = text_end {
        let busy: f64 = text.iter().map(|e| dur(e)).sum();
        let span = end - (p1_end - t0);
        println!(
            "  text slots from pass 1's end to the last text answer: {:.0} ms, {:.0}% busy",
            span,
            100.0 * busy / (span * run.jobs as f64)
        );
    }
    let portraits: Vec<f64> = images
        .iter()
        .filter(|e| image_chapter(e).is_none())
        .map(|e| e.start_ms as f64 - t0)
        .collect();
    let first_scene = images
        .iter()
        .filter(|e| image_chapter(e).is_some())
        .map(|e| e.start_ms as f64 - t0)
        .reduce(f64::min);
    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
    println!(
        "  pass 1 ends {:.0}, style answered {}, last card answered {}, last text answered {}, \
         portraits started at {:?}, first scene image {} (ms from spawn)",
        p1_end - t0,
        ms(style_end),
        ms(cards_end),
        ms(text_end),
        portraits
            .iter()
            .map(|p| p.round() as i64)
            .collect::<Vec<_>>(),
        ms(first_scene)
    );
    let analyzed_last = run
        .analyzed
        .values()
        .map(|(at, _)| at - t0)
        .reduce(f64::max);
    println!(
        "  last chapter analyzed {}, images after it: {}",
        ms(analyzed_last),
        images
            .iter()
            .filter(|e| analyzed_last.is_some_and(|a| e.start_ms as f64 - t0 >= a))
            .count()
    );
}

/// Idle image slots per 500 ms window, with the scenes waiting at each window's start.
fn print_windows(run: &Run, images: &[&LogEntry], from: f64, to: f64) {
    let t0 = run.cost.t0_ms;
    let mut line = String::new();
    let mut w = from;
    while w < to {
        let end = (w + 500.0).min(to);
        let mut idle = 0.0;
        let mut t = w;
        while t < end {
            idle += free_image_slots(run, images, t) as f64;
            t += 1.0;
        }
        let _ = write!(
            line,
            "{:.1}s:{:.0}({}) ",
            (w - t0) / 1000.0,
            idle,
            waiting_scenes(run, images, w)
        );
        w = end;
    }
    println!(
        "  idle image slot-ms per 500 ms (scenes waiting at its start): {}",
        line.trim_end()
    );
}
