//! The chapter operations of `LockedManifest`: analysis, claims with leases (optionally limited
//! to a chapter selection), heartbeats, scenes drawn or rejected, completion, failure and retry.
//! Each goes through `transition`, so an illegal change is an error and never happens silently.

use crate::ids::{ChapterNo, SceneNo};
use crate::store::claims::{Expiry, WorkerId, expiry};
use crate::store::liveness::Workers;
use crate::store::manifest::{ChapterState, Claim, Status};
use crate::store::transition::{Event, transition};
use crate::store::usage::Usage;
use crate::store::{Error, LockedManifest, liveness};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::time::Duration;

/// How a scene's drawing ended, as `chapters/NNN.json` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SceneOutcome {
    /// The image is at this path, relative to the output folder.
    Image(String),
    /// The provider refused to draw it, for this reason.
    Rejected(String),
    /// Not drawn (yet): its old image was put aside by `--force`.
    Pending,
}

impl LockedManifest {
    /// `pending → analyzed` once pass 2 has written the chapter's scenes.
    pub fn mark_analyzed(
        &mut self,
        chapter: ChapterNo,
        concepts: u32,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        apply(chapter, ch, Event::Analyzed)?;
        ch.concepts = concepts;
        ch.analyzed_at = Some(now);
        ch.error = None;
        Ok(())
    }

    /// Claims the lowest-numbered chapter that is `analyzed`, or whose claim has expired (no
    /// heartbeat within `lease`, or a dead worker on this host). Compare-and-set: the lock is held.
    pub fn claim_next(
        &mut self,
        worker: &WorkerId,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ChapterNo>, Error> {
        self.claim_next_in(worker, |_| true, lease, now)
    }

    /// `claim_next` restricted to the chapters `filter` accepts (`--chapters 1-5`).
    pub fn claim_next_in(
        &mut self,
        worker: &WorkerId,
        filter: impl Fn(ChapterNo) -> bool,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ChapterNo>, Error> {
        let workers = self.workers().clone();
        let candidate = self
            .manifest()?
            .next_claimable(filter, lease, now, &workers);
        let Some(chapter) = candidate else {
            return Ok(None);
        };
        let ch = self.chapter_mut(chapter)?;
        if ch.status == Status::IllustrationInprogress {
            apply(chapter, ch, Event::LeaseExpired)?;
        }
        apply(chapter, ch, Event::Claim)?;
        ch.claim = Some(Claim {
            worker: worker.clone(),
            claimed_at: now,
            heartbeat_at: now,
        });
        Ok(Some(chapter))
    }

    /// Claims `chapter` itself for `worker`, for the review loop: an `analyzed` or
    /// `illustration_complete` chapter, or one whose claim has expired. A chapter a live worker
    /// holds is [`Error::Busy`]; one not analyzed yet (or failed) is [`Error::NotReviewable`].
    /// Give it back with `finish_review`.
    pub fn claim_chapter(
        &mut self,
        chapter: ChapterNo,
        worker: &WorkerId,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let workers = self.workers().clone();
        let ch = self.chapter_mut(chapter)?;
        let event = match (ch.status, ch.claim.as_ref()) {
            (Status::Analyzed, _) => Event::Claim,
            (Status::IllustrationComplete, _) => Event::Reopen,
            (Status::IllustrationInprogress, Some(claim))
                if expiry(claim, lease, now, &workers).is_some() =>
            {
                apply(chapter, ch, Event::LeaseExpired)?;
                Event::Claim
            }
            (Status::IllustrationInprogress, claim) => {
                return Err(Error::Busy {
                    chapter,
                    holder: claim.map_or_else(|| "nobody".into(), |c| c.worker.to_string()),
                });
            }
            (status, _) => return Err(Error::NotReviewable { chapter, status }),
        };
        apply(chapter, ch, event)?;
        ch.claim = Some(Claim {
            worker: worker.clone(),
            claimed_at: now,
            heartbeat_at: now,
        });
        Ok(())
    }

    /// Ends a review claim: the chapter is complete again when every scene is done, else it
    /// goes back to `analyzed` for an illustrator. Returns whether it completed.
    pub fn finish_review(
        &mut self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let ch = self.chapter_mut(chapter)?;
        owned_claim(chapter, ch, worker)?;
        let all_done = ch.scenes_done.len() >= ch.concepts as usize;
        if all_done {
            self.complete(chapter, worker, now)?;
        } else {
            self.release(chapter, worker)?;
        }
        Ok(all_done)
    }

    /// Puts every expired claim back to `analyzed` (any process may do this at any time), then
    /// removes the lock files of this host's dead workers that no claim names any more.
    pub fn recover_expired(
        &mut self,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ChapterNo, Expiry)>, Error> {
        let workers = self.workers().clone();
        let expired: Vec<(ChapterNo, Expiry)> = self
            .manifest()?
            .chapters
            .iter()
            .filter_map(|(no, ch)| Some((*no, expiry(ch.claim.as_ref()?, lease, now, &workers)?)))
            .collect();
        for (chapter, _) in &expired {
            let ch = self.chapter_mut(*chapter)?;
            apply(*chapter, ch, Event::LeaseExpired)?;
            ch.claim = None;
        }
        let Workers::Folder(dir) = workers else {
            return Ok(expired);
        };
        let named: HashSet<String> = self
            .manifest()?
            .chapters
            .values()
            .filter_map(|ch| Some(liveness::file_name(&ch.claim.as_ref()?.worker)))
            .collect();
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        liveness::remove_dead(&dir, &host, |name| named.contains(name));
        Ok(expired)
    }

    /// Renews `worker`'s lease on `chapter`; fails if the claim is no longer its own.
    pub fn heartbeat(
        &mut self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        let claim = owned_claim(chapter, ch, worker)?;
        claim.heartbeat_at = now;
        Ok(())
    }

    /// Gives the chapter back (`analyzed`) so another worker can finish it.
    pub fn release(&mut self, chapter: ChapterNo, worker: &WorkerId) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        owned_claim(chapter, ch, worker)?;
        apply(chapter, ch, Event::Release)?;
        ch.claim = None;
        Ok(())
    }

    /// Records in the manifest that scene `scene`'s image is written. Write the outcome into
    /// `chapters/NNN.json` first, outside the lock, with [`Store::note_scene`].
    pub fn record_scene(&mut self, chapter: ChapterNo, scene: SceneNo) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        if let Err(at) = ch.scenes_done.binary_search(&scene) {
            ch.scenes_done.insert(at, scene);
        }
        ch.rejected.remove(&scene);
        Ok(())
    }

    /// Records that the provider refused to draw scene `scene` (content policy) and why. The
    /// scene counts as done, so the chapter can complete; the reason is kept in the manifest
    /// (and, through [`Store::note_scene`], in `chapters/NNN.json`).
    pub fn record_rejected(
        &mut self,
        chapter: ChapterNo,
        scene: SceneNo,
        reason: &str,
    ) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        if let Err(at) = ch.scenes_done.binary_search(&scene) {
            ch.scenes_done.insert(at, scene);
        }
        ch.rejected.insert(scene, reason.to_string());
        Ok(())
    }

    /// `illustration_inprogress → illustration_complete` for the claiming worker.
    pub fn complete(
        &mut self,
        chapter: ChapterNo,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        owned_claim(chapter, ch, worker)?;
        apply(chapter, ch, Event::Complete)?;
        ch.claim = None;
        ch.illustrated_at = Some(now);
        ch.error = None;
        Ok(())
    }

    /// Any state → `error`, counting the attempt.
    pub fn fail(&mut self, chapter: ChapterNo, error: &str) -> Result<(), Error> {
        let ch = self.chapter_mut(chapter)?;
        apply(chapter, ch, Event::Fail)?;
        ch.claim = None;
        ch.attempts += 1;
        ch.error = Some(error.to_string());
        Ok(())
    }

    /// `--retry-failed` / `--clear-errors`: chapters in `error` (all, or those in `only`) go back
    /// to `analyzed` if they were analyzed, else `pending`. Returns the chapters reset.
    pub fn reset_errors(&mut self, only: Option<&[ChapterNo]>) -> Result<Vec<ChapterNo>, Error> {
        let chosen: Vec<ChapterNo> = self
            .manifest()?
            .chapters
            .iter()
            .filter(|(no, ch)| ch.status == Status::Error && only.is_none_or(|o| o.contains(no)))
            .map(|(no, _)| *no)
            .collect();
        for chapter in &chosen {
            let ch = self.chapter_mut(*chapter)?;
            let event = if ch.analyzed_at.is_some() {
                Event::RetryIllustration
            } else {
                Event::Retry
            };
            apply(*chapter, ch, event)?;
            ch.error = None;
        }
        Ok(chosen)
    }

    /// `--force`: the chapter starts over, from analysis (`images_only` false) or from its
    /// images. Returns the scenes whose images were recorded, so the caller can put their
    /// files aside. A chapter a live worker holds is refused by the transition table.
    pub fn redo(&mut self, chapter: ChapterNo, images_only: bool) -> Result<Vec<SceneNo>, Error> {
        let ch = self.chapter_mut(chapter)?;
        if images_only && ch.analyzed_at.is_none() {
            return Ok(Vec::new());
        }
        let event = if images_only {
            Event::RedoImages
        } else {
            Event::Redo
        };
        apply(chapter, ch, event)?;
        ch.claim = None;
        ch.error = None;
        ch.illustrated_at = None;
        ch.rejected.clear();
        if !images_only {
            ch.analyzed_at = None;
            ch.concepts = 0;
        }
        Ok(std::mem::take(&mut ch.scenes_done))
    }

    /// Adds a call's tokens and images to the chapter's usage.
    pub fn add_usage(&mut self, chapter: ChapterNo, usage: Usage) -> Result<(), Error> {
        self.chapter_mut(chapter)?.usage += usage;
        Ok(())
    }
}

fn apply(chapter: ChapterNo, ch: &mut ChapterState, event: Event) -> Result<(), Error> {
    ch.status =
        transition(ch.status, event).map_err(|source| Error::Illegal { chapter, source })?;
    Ok(())
}

/// The chapter's claim if `worker` holds it.
fn owned_claim<'a>(
    chapter: ChapterNo,
    ch: &'a mut ChapterState,
    worker: &WorkerId,
) -> Result<&'a mut Claim, Error> {
    let status = ch.status;
    match ch.claim.as_mut() {
        Some(claim) if claim.worker == *worker => Ok(claim),
        other => Err(Error::ClaimLost {
            chapter,
            worker: worker.to_string(),
            holder: match other {
                Some(claim) => format!("claimed by `{}`", claim.worker),
                None => format!("{status} with no claim"),
            },
        }),
    }
}

#[cfg(test)]
#[path = "chapter_ops_tests.rs"]
mod tests;
