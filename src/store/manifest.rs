//! The manifest schema 3.1.0 (docs/ARCHITECTURE.md §7): serde types, creation from the book's chapters,
//! merging a re-parsed book, and the validation run before every write. Mutation that persists
//! goes through `LockedManifest`; these are plain data.

use crate::ids::{ChapterKey, ChapterNo, SceneNo};
use crate::store::claims::{WorkerId, expiry};
use crate::store::liveness::Workers;
use crate::store::usage::Usage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The schema version this build reads and writes.
pub const VERSION: &str = "3.1.0";

/// Prefix of keys given to chapters by migration, where the book was not re-parsed: such a key is
/// replaced by the book's real key on the next merge instead of being reported as changed.
pub const MIGRATED_KEY_PREFIX: &str = "migrated:";

/// `.imaginize.manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: String,
    pub book_id: String,
    pub book: BookMeta,
    #[serde(default)]
    pub elements_md_status: ElementsStatus,
    #[serde(default)]
    pub analyze_complete: bool,
    #[serde(default)]
    pub illustrate_complete: bool,
    /// Keyed by chapter number, written as strings in JSON ("3"). Each chapter is shared
    /// between copies of the manifest until one of them changes it, so the copy a commit keeps
    /// to undo a failed change costs a pointer per chapter, not the whole state.
    #[serde(default)]
    pub chapters: BTreeMap<ChapterNo, Arc<ChapterState>>,
    /// The cast's reference portraits, keyed by the element's slug (`store::portraits`);
    /// absent in folders from before them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub portraits: BTreeMap<String, crate::store::portraits::Portrait>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<DateTime<Utc>>,
}

/// Which book the folder belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BookMeta {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub file: String,
    /// Empty when unknown (a migrated folder whose book was not at hand).
    #[serde(default)]
    pub sha256: String,
    /// Where the book was read from by the last run, absolute: `compile --output-dir` finds it
    /// there when it is neither beside the folder nor in the working directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
}

/// Progress of `Elements.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementsStatus {
    #[default]
    Pending,
    Inprogress,
    Complete,
    Error,
}

/// A chapter's place in the pipeline (transitions in `store::transition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Analyzed,
    IllustrationInprogress,
    IllustrationComplete,
    Error,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Analyzed,
        Status::IllustrationInprogress,
        Status::IllustrationComplete,
        Status::Error,
    ];
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pending => "pending",
            Status::Analyzed => "analyzed",
            Status::IllustrationInprogress => "illustration_inprogress",
            Status::IllustrationComplete => "illustration_complete",
            Status::Error => "error",
        })
    }
}

/// One chapter's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChapterState {
    pub key: ChapterKey,
    pub title: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyzed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illustrated_at: Option<DateTime<Utc>>,
    /// Number of scenes chosen by pass 2.
    #[serde(default)]
    pub concepts: u32,
    /// Present exactly while `illustration_inprogress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// Scenes that are finished, ascending: their image file is written, or the provider refused
    /// to draw them (then they are also in `rejected`).
    #[serde(default)]
    pub scenes_done: Vec<SceneNo>,
    /// Scenes the provider refused to draw (content policy), with its reason. They count as done
    /// so the chapter can complete; `--retry-failed` may draw them later.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rejected: BTreeMap<SceneNo, String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub usage: Usage,
}

/// A worker's lease on a chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub worker: WorkerId,
    pub claimed_at: DateTime<Utc>,
    /// The lease is measured from here, never from `claimed_at` or `analyzed_at`.
    pub heartbeat_at: DateTime<Utc>,
}

/// What `merge_chapters` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub added: Vec<ChapterNo>,
    /// Chapters whose key in the book differs from the manifest's: `(chapter, manifest, book)`.
    /// Their state is kept as it is; the caller decides what to tell the user.
    pub changed_keys: Vec<(ChapterNo, ChapterKey, ChapterKey)>,
}

impl ChapterState {
    pub fn new(key: ChapterKey, title: String) -> ChapterState {
        ChapterState {
            key,
            title,
            status: Status::Pending,
            analyzed_at: None,
            illustrated_at: None,
            concepts: 0,
            claim: None,
            scenes_done: Vec::new(),
            rejected: BTreeMap::new(),
            attempts: 0,
            error: None,
            usage: Usage::default(),
        }
    }
}

impl Manifest {
    /// A fresh manifest with every chapter `pending`.
    pub fn new(
        book_id: impl Into<String>,
        book: BookMeta,
        chapters: &[(ChapterNo, ChapterKey, String)],
    ) -> Manifest {
        let mut manifest = Manifest {
            version: VERSION.to_string(),
            book_id: book_id.into(),
            book,
            elements_md_status: ElementsStatus::Pending,
            analyze_complete: false,
            illustrate_complete: false,
            chapters: BTreeMap::new(),
            portraits: BTreeMap::new(),
            last_updated: None,
        };
        manifest.merge_chapters(chapters);
        manifest
    }

    /// Adds chapters the manifest does not have yet and keeps the state of those it has. A key
    /// given by migration is replaced by the book's; any other changed key is reported.
    pub fn merge_chapters(&mut self, chapters: &[(ChapterNo, ChapterKey, String)]) -> MergeReport {
        let mut report = MergeReport::default();
        for (no, key, title) in chapters {
            match self.chapters.get_mut(no) {
                None => {
                    self.chapters
                        .insert(*no, Arc::new(ChapterState::new(key.clone(), title.clone())));
                    report.added.push(*no);
                }
                Some(state) if state.key == *key => {}
                Some(state) if state.key.0.starts_with(MIGRATED_KEY_PREFIX) => {
                    Arc::make_mut(state).key = key.clone();
                }
                Some(state) => report
                    .changed_keys
                    .push((*no, state.key.clone(), key.clone())),
            }
        }
        report
    }

    /// The chapters in `status`, ascending.
    pub fn chapters_with(&self, status: Status) -> Vec<ChapterNo> {
        self.chapters
            .iter()
            .filter(|(_, ch)| ch.status == status)
            .map(|(no, _)| *no)
            .collect()
    }

    /// The lowest-numbered chapter accepted by `filter` that may be claimed at `now`: `analyzed`,
    /// or `illustration_inprogress` with an expired claim. Readers use it to decide whether taking
    /// the lock is worth it; `LockedManifest::claim_next_in` uses it under the lock.
    pub fn next_claimable(
        &self,
        filter: impl Fn(ChapterNo) -> bool,
        lease: Duration,
        now: DateTime<Utc>,
        workers: &Workers,
    ) -> Option<ChapterNo> {
        self.chapters.iter().find_map(|(no, ch)| {
            let free = match (ch.status, &ch.claim) {
                (Status::Analyzed, _) => true,
                (Status::IllustrationInprogress, Some(claim)) => {
                    expiry(claim, lease, now, workers).is_some()
                }
                _ => false,
            };
            (free && filter(*no)).then_some(*no)
        })
    }

    /// How many chapters accepted by `filter` still need illustration: `pending` (not analyzed
    /// yet), `analyzed` or `illustration_inprogress`. Zero means an illustrator restricted to
    /// `filter` is done: nothing is claimable now and nothing will become claimable (chapters in
    /// `error` wait for `--retry-failed`).
    pub fn remaining_for_illustration(&self, filter: impl Fn(ChapterNo) -> bool) -> usize {
        self.chapters
            .iter()
            .filter(|(no, ch)| {
                matches!(
                    ch.status,
                    Status::Pending | Status::Analyzed | Status::IllustrationInprogress
                ) && filter(**no)
            })
            .count()
    }

    /// Whether this manifest was written by a newer imaginize (then it is never written).
    pub fn is_newer_than_ours(&self) -> bool {
        is_newer(&self.version)
    }

    /// Checks the invariants every written manifest keeps.
    /// Sets `analyze_complete` (no chapter waits for analysis) and `illustrate_complete` (every
    /// chapter is illustrated) from the chapters' states; done at every commit, so the flags are
    /// never stale and never cost a write of their own.
    pub fn refresh_flags(&mut self) {
        let chapters = self.chapters.values();
        self.analyze_complete = chapters.clone().all(|c| c.status != Status::Pending);
        self.illustrate_complete = chapters
            .clone()
            .all(|c| c.status == Status::IllustrationComplete);
    }

    pub fn validate(&self) -> Result<(), String> {
        if parse_version(&self.version).is_none() {
            return Err(format!(
                "version `{}` is not MAJOR.MINOR.PATCH",
                self.version
            ));
        }
        for (no, ch) in &self.chapters {
            let claimed = ch.status == Status::IllustrationInprogress;
            if claimed != ch.claim.is_some() {
                let has = if claimed {
                    "has no claim"
                } else {
                    "has a claim"
                };
                return Err(format!("chapter {no} is {} but {has}", ch.status));
            }
            if ch.scenes_done.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("chapter {no} has unsorted or repeated scenes_done"));
            }
            if let Some(scene) = ch
                .rejected
                .keys()
                .find(|s| ch.scenes_done.binary_search(s).is_err())
            {
                return Err(format!(
                    "chapter {no} has scene {scene} rejected but not in scenes_done"
                ));
            }
        }
        Ok(())
    }
}

/// Whether `version` is newer than [`VERSION`]; an unparsable version counts as newer so it is
/// never overwritten by a guess.
pub fn is_newer(version: &str) -> bool {
    match (parse_version(version), parse_version(VERSION)) {
        (Some(theirs), Some(ours)) => theirs > ours,
        _ => true,
    }
}

fn parse_version(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let v = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapters(n: u32) -> Vec<(ChapterNo, ChapterKey, String)> {
        (1..=n)
            .map(|i| {
                (
                    ChapterNo(i),
                    ChapterKey(format!("ch{i}.xhtml#0")),
                    format!("Chapter {i}"),
                )
            })
            .collect()
    }

    #[test]
    fn round_trips_with_chapter_numbers_as_string_keys() {
        let m = Manifest::new("book", BookMeta::default(), &chapters(2));
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["chapters"]["2"]["status"], "pending");
        assert_eq!(json["version"], VERSION);
        let back: Manifest = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn reads_a_minimal_manifest_with_defaults() {
        let text = r#"{"version":"3.0.0","book_id":"b","book":{"title":"T"},
            "chapters":{"1":{"key":"k","title":"One","status":"analyzed"}}}"#;
        let m: Manifest = serde_json::from_str(text).unwrap();
        assert_eq!(m.chapters[&ChapterNo(1)].status, Status::Analyzed);
        assert_eq!(m.elements_md_status, ElementsStatus::Pending);
        assert!(m.validate().is_ok());
        assert!(!m.is_newer_than_ours());
    }

    #[test]
    fn merge_adds_new_keeps_state_and_reports_changed_keys() {
        let mut m = Manifest::new("book", BookMeta::default(), &chapters(2));
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap()).status = Status::Analyzed;
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(2)).unwrap()).key =
            ChapterKey("migrated:2".into());
        let mut again = chapters(3);
        again[0].1 = ChapterKey("other#0".into());
        let report = m.merge_chapters(&again);
        assert_eq!(report.added, vec![ChapterNo(3)]);
        assert_eq!(report.changed_keys.len(), 1);
        assert_eq!(report.changed_keys[0].0, ChapterNo(1));
        assert_eq!(m.chapters[&ChapterNo(1)].status, Status::Analyzed);
        assert_eq!(m.chapters[&ChapterNo(1)].key.0, "ch1.xhtml#0");
        assert_eq!(m.chapters[&ChapterNo(2)].key.0, "ch2.xhtml#0");
    }

    #[test]
    fn flags_follow_the_chapters() {
        let mut m = Manifest::new("book", BookMeta::default(), &chapters(2));
        m.analyze_complete = true;
        m.refresh_flags();
        assert!(!m.analyze_complete && !m.illustrate_complete);
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap()).status =
            Status::IllustrationComplete;
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(2)).unwrap()).status = Status::Error;
        m.refresh_flags();
        assert!(m.analyze_complete && !m.illustrate_complete);
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(2)).unwrap()).status =
            Status::IllustrationComplete;
        m.refresh_flags();
        assert!(m.analyze_complete && m.illustrate_complete);
    }

    #[test]
    fn validate_rejects_claim_mismatch_and_bad_versions() {
        let mut m = Manifest::new("book", BookMeta::default(), &chapters(1));
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap()).status =
            Status::IllustrationInprogress;
        assert_eq!(
            m.validate().unwrap_err(),
            "chapter 1 is illustration_inprogress but has no claim"
        );
        Arc::make_mut(m.chapters.get_mut(&ChapterNo(1)).unwrap()).status = Status::Analyzed;
        m.version = "3.x".into();
        assert!(m.validate().is_err());
        assert!(is_newer("3.2.0") && is_newer("4.0.0") && is_newer("junk"));
        assert!(!is_newer("3.1.0") && !is_newer("2.9.9"));
    }
}
