//! What the dashboard shows of one book, read from its output folder without writing anything
//! (no lock, no recovery): the manifest, the chapters' scene files, the pass 1 answers and the
//! tail of progress.md. The same value is the JSON API's answer and the SSE stream's snapshot.

use crate::serve::eta::{self, Pipeline};
use crate::serve::folder::Folder;
use crate::store::Usage;
use crate::store::claims::DEFAULT_LEASE;
use crate::store::manifest::{ChapterState, Manifest, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything about one book, as of one read of its folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookView {
    pub id: String,
    pub head: Head,
    pub chapters: Vec<ChapterView>,
}

/// The book's figures (everything but the chapter grid).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Head {
    pub title: String,
    pub author: String,
    /// Why the folder cannot be shown (deleted, damaged manifest, not written yet).
    pub error: Option<String>,
    pub elements_status: String,
    pub pass1: Pipeline,
    pub pass2: Pipeline,
    pub images: Pipeline,
    /// The longest of the three pipelines' ETAs: they run at the same time.
    pub eta_secs: Option<u64>,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub chapters_complete: usize,
    pub chapters_failed: usize,
    pub workers: Vec<WorkerView>,
    pub log: Vec<String>,
    /// The lease a claim's "lease left" is measured against (the default `leaseSecs`).
    pub lease_secs: u64,
    pub has_report: bool,
    /// Every figure above as the page shows it, by the key of its element.
    pub display: BTreeMap<String, String>,
}

/// One cell of the chapter grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChapterView {
    pub number: u32,
    pub title: String,
    pub status: String,
    pub worker: Option<String>,
    /// The claim's last heartbeat: the page counts the lease down from it.
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub concepts: u32,
    pub scenes_done: usize,
    pub thumbs: Vec<Thumb>,
}

/// A drawn scene: its number and its image relative to the folder (`images/…`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thumb {
    pub scene: u32,
    pub image: String,
}

/// A worker holding claims.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerView {
    pub worker: String,
    pub chapters: Vec<u32>,
    pub heartbeat_at: Option<DateTime<Utc>>,
}

/// Token and image prices the cost is computed with, and the rates a run's limits lead to expect
/// before any is measured (known when the dashboard runs beside the run: `--serve`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prices {
    pub input_per_mtok: Option<f64>,
    pub output_per_mtok: Option<f64>,
    pub per_image: Option<f64>,
    /// Chapters per second through pass 1 or pass 2, and images per second.
    pub assumed_text_per_sec: Option<f64>,
    pub assumed_images_per_sec: Option<f64>,
}

impl BookView {
    /// The view with what changes on every heartbeat cleared: two views equal in this form are
    /// the same state, and no update is sent between them.
    pub fn without_heartbeats(&self) -> BookView {
        let mut view = self.clone();
        for chapter in &mut view.chapters {
            chapter.heartbeat_at = None;
        }
        for worker in &mut view.head.workers {
            worker.heartbeat_at = None;
        }
        view
    }
}

/// Reads the book in `folder` as it is now.
pub fn read(id: &str, folder: &mut Folder, prices: &Prices) -> BookView {
    let mut head = Head {
        lease_secs: DEFAULT_LEASE.as_secs(),
        ..Head::default()
    };
    let manifest = match folder.manifest() {
        Ok(manifest) => manifest,
        Err(message) => {
            head.error = Some(message);
            head.display = crate::serve::format::display(&head);
            return BookView {
                id: id.to_owned(),
                head,
                chapters: Vec::new(),
            };
        }
    };
    let chapters = chapter_views(&manifest, folder);
    fill_head(&mut head, &manifest, &chapters, folder, prices);
    BookView {
        id: id.to_owned(),
        head,
        chapters,
    }
}

fn chapter_views(manifest: &Manifest, folder: &mut Folder) -> Vec<ChapterView> {
    manifest
        .chapters
        .iter()
        .map(|(no, ch)| chapter_view(no.0, ch, folder.thumbs(*no)))
        .collect()
}

fn chapter_view(number: u32, ch: &ChapterState, thumbs: Vec<Thumb>) -> ChapterView {
    ChapterView {
        number,
        title: ch.title.clone(),
        status: ch.status.to_string(),
        worker: ch.claim.as_ref().map(|c| c.worker.0.clone()),
        heartbeat_at: ch.claim.as_ref().map(|c| c.heartbeat_at),
        error: ch.error.clone(),
        concepts: ch.concepts,
        scenes_done: ch.scenes_done.len(),
        thumbs,
    }
}

fn fill_head(
    head: &mut Head,
    manifest: &Manifest,
    chapters: &[ChapterView],
    folder: &mut Folder,
    prices: &Prices,
) {
    head.title = manifest.book.title.clone();
    head.author = manifest.book.author.clone();
    head.elements_status = format!("{:?}", manifest.elements_md_status).to_lowercase();
    let total = manifest.chapters.len() as u64;
    let (covered, times) = folder.pass1();
    let pass1_done =
        if manifest.elements_md_status == crate::store::manifest::ElementsStatus::Complete {
            total
        } else {
            covered.min(total)
        };
    head.pass1 = eta::pipeline(pass1_done, total, times, prices.assumed_text_per_sec);
    let analyzed: Vec<f64> = manifest
        .chapters
        .values()
        .filter_map(|c| c.analyzed_at.map(seconds))
        .collect();
    head.pass2 = eta::pipeline(
        analyzed.len() as u64,
        total,
        analyzed,
        prices.assumed_text_per_sec,
    );
    head.images = images_pipeline(manifest, folder, prices.assumed_images_per_sec);
    // Unknown while any pipeline's is: the longest one decides.
    head.eta_secs = [&head.pass1, &head.pass2, &head.images]
        .iter()
        .map(|p| p.eta_secs)
        .collect::<Option<Vec<u64>>>()
        .and_then(|etas| etas.into_iter().max());
    for ch in manifest.chapters.values() {
        head.usage += ch.usage;
    }
    head.cost_usd = cost(&head.usage, prices);
    head.chapters_complete = count(chapters, Status::IllustrationComplete);
    head.chapters_failed = count(chapters, Status::Error);
    head.workers = workers(chapters);
    head.log = folder.log_tail();
    head.has_report = folder.has_report();
    head.display = crate::serve::format::display(head);
}

/// Images drawn against images planned: the scenes chosen so far, and for chapters not yet
/// analyzed as many as the analyzed ones have on average.
fn images_pipeline(manifest: &Manifest, folder: &Folder, assumed: Option<f64>) -> Pipeline {
    let analyzed: Vec<&std::sync::Arc<ChapterState>> = manifest
        .chapters
        .values()
        .filter(|c| c.analyzed_at.is_some())
        .collect();
    let chosen: u64 = analyzed.iter().map(|c| u64::from(c.concepts)).sum();
    let waiting = (manifest.chapters.len() - analyzed.len()) as u64;
    let per_chapter = chosen.checked_div(analyzed.len() as u64).unwrap_or(0);
    let done: u64 = manifest
        .chapters
        .values()
        .map(|c| c.scenes_done.len() as u64)
        .sum();
    eta::pipeline(
        done,
        chosen + waiting * per_chapter,
        folder.image_times(),
        assumed,
    )
}

fn count(chapters: &[ChapterView], status: Status) -> usize {
    let name = status.to_string();
    chapters.iter().filter(|c| c.status == name).count()
}

fn workers(chapters: &[ChapterView]) -> Vec<WorkerView> {
    let mut by_worker: BTreeMap<&str, WorkerView> = BTreeMap::new();
    for ch in chapters {
        if let Some(worker) = &ch.worker {
            let entry = by_worker.entry(worker).or_insert_with(|| WorkerView {
                worker: worker.clone(),
                chapters: Vec::new(),
                heartbeat_at: None,
            });
            entry.chapters.push(ch.number);
            entry.heartbeat_at = entry.heartbeat_at.max(ch.heartbeat_at);
        }
    }
    by_worker.into_values().collect()
}

fn cost(usage: &Usage, prices: &Prices) -> Option<f64> {
    let tokens = usage.prompt_tokens as f64 / 1e6 * prices.input_per_mtok?
        + usage.completion_tokens as f64 / 1e6 * prices.output_per_mtok?;
    Some(tokens + usage.images as f64 * prices.per_image?)
}

/// Seconds since the epoch, for rates.
pub fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}
