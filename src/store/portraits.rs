//! Reference portraits as work items (issue 16 part 3, docs/consistency.md): the cast's most
//! present characters each get one portrait, claimed with a lease like a chapter, recorded once,
//! taken over after a crash, redrawn on request. Kept in the manifest's `portraits`, keyed by the
//! element's slug (`store::layout::element_slug`).

use crate::store::claims::{WorkerId, expiry};
use crate::store::manifest::Claim;
use crate::store::{Error, LockedManifest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One character's reference portrait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Portrait {
    /// The element's name, as Elements.md spells it.
    pub name: String,
    pub status: PortraitStatus,
    /// Present exactly while `drawing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// The picture, relative to the output folder, once `done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Why it could not be drawn, when `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A portrait's place in its life: `wanted → drawing → done | failed`; `drawing → wanted` when
/// its claim is given back or taken over; `done | failed → wanted` by a redraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortraitStatus {
    Wanted,
    Drawing,
    Done,
    Failed,
}

/// How drawing a portrait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortraitOutcome {
    /// The picture is at this path, relative to the output folder.
    Image(String),
    /// It could not be drawn (refused, or failed); scenes go ahead without it.
    Failed(String),
}

impl Portrait {
    /// Whether a scene showing this character still has to wait for its portrait.
    pub fn is_coming(&self) -> bool {
        matches!(
            self.status,
            PortraitStatus::Wanted | PortraitStatus::Drawing
        )
    }

    /// Whether `worker` may claim it at `now`: wanted, or drawn by a worker that died or let
    /// its lease expire.
    fn claimable(&self, lease: Duration, now: DateTime<Utc>, m: &LockedManifest) -> bool {
        match (self.status, &self.claim) {
            (PortraitStatus::Wanted, _) => true,
            (PortraitStatus::Drawing, Some(claim)) => {
                expiry(claim, lease, now, m.workers()).is_some()
            }
            (PortraitStatus::Drawing, None) => true,
            _ => false,
        }
    }
}

impl LockedManifest {
    /// Adds the portraits of `wanted` (slug, name) the manifest does not have yet; the others,
    /// drawn or not, are kept. Returns how many were added.
    pub fn want_portraits(&mut self, wanted: &[(String, String)]) -> Result<usize, Error> {
        let missing: Vec<&(String, String)> = {
            let m = self.manifest()?;
            wanted
                .iter()
                .filter(|(slug, _)| !m.portraits.contains_key(slug))
                .collect()
        };
        if missing.is_empty() {
            return Ok(0);
        }
        let portraits = &mut self.manifest_mut()?.portraits;
        for (slug, name) in &missing {
            portraits.insert(
                slug.clone(),
                Portrait {
                    name: name.clone(),
                    status: PortraitStatus::Wanted,
                    claim: None,
                    image: None,
                    error: None,
                },
            );
        }
        Ok(missing.len())
    }

    /// Claims `slug`'s portrait, or with `None` the first claimable one (by slug), for `worker`
    /// with a lease from `now`. Two workers never hold one portrait. Returns the slug claimed.
    pub fn claim_portrait(
        &mut self,
        slug: Option<&str>,
        worker: &WorkerId,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, Error> {
        let found = self
            .manifest()?
            .portraits
            .iter()
            .filter(|(s, _)| slug.is_none_or(|wanted| wanted == s.as_str()))
            .find(|(_, p)| p.claimable(lease, now, self))
            .map(|(s, _)| s.clone());
        let Some(found) = found else {
            return Ok(None);
        };
        let portrait = self.portrait_mut(&found)?;
        portrait.status = PortraitStatus::Drawing;
        portrait.claim = Some(Claim {
            worker: worker.clone(),
            claimed_at: now,
            heartbeat_at: now,
        });
        Ok(Some(found))
    }

    /// Renews `worker`'s lease on `slug`'s portrait; `ClaimLost` when it is not its own.
    pub fn heartbeat_portrait(
        &mut self,
        slug: &str,
        worker: &WorkerId,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let portrait = self.owned_portrait(slug, worker)?;
        if let Some(claim) = portrait.claim.as_mut() {
            claim.heartbeat_at = now;
        }
        Ok(())
    }

    /// Records how `worker`'s drawing of `slug` ended; `false` (nothing changed) when its claim
    /// was lost meanwhile: the portrait is recorded once, by its holder.
    pub fn record_portrait(
        &mut self,
        slug: &str,
        worker: &WorkerId,
        outcome: &PortraitOutcome,
    ) -> Result<bool, Error> {
        let portrait = match self.owned_portrait(slug, worker) {
            Ok(portrait) => portrait,
            Err(Error::ClaimLost { .. }) => return Ok(false),
            Err(err) => return Err(err),
        };
        portrait.claim = None;
        match outcome {
            PortraitOutcome::Image(path) => {
                portrait.status = PortraitStatus::Done;
                portrait.image = Some(path.clone());
                portrait.error = None;
            }
            PortraitOutcome::Failed(reason) => {
                portrait.status = PortraitStatus::Failed;
                portrait.error = Some(reason.clone());
            }
        }
        Ok(true)
    }

    /// Gives `slug`'s portrait back (`wanted`); `ClaimLost` when it is not `worker`'s.
    pub fn release_portrait(&mut self, slug: &str, worker: &WorkerId) -> Result<(), Error> {
        let portrait = self.owned_portrait(slug, worker)?;
        portrait.claim = None;
        portrait.status = PortraitStatus::Wanted;
        Ok(())
    }

    /// Asks for `slug`'s portrait again (a redraw, or one that failed); its old picture stays
    /// until the new one replaces it. `false` when there is no such portrait or it is being
    /// drawn now.
    pub fn redo_portrait(&mut self, slug: &str) -> Result<bool, Error> {
        let drawing = match self.manifest()?.portraits.get(slug) {
            None => return Ok(false),
            Some(p) => p.status == PortraitStatus::Drawing,
        };
        if drawing {
            return Ok(false);
        }
        let portrait = self.portrait_mut(slug)?;
        portrait.status = PortraitStatus::Wanted;
        portrait.error = None;
        Ok(true)
    }

    fn portrait_mut(&mut self, slug: &str) -> Result<&mut Portrait, Error> {
        self.manifest_mut()?
            .portraits
            .get_mut(slug)
            .ok_or_else(|| Error::Commit {
                reason: format!("the manifest has no portrait `{slug}`"),
            })
    }

    /// The portrait, when `worker` holds its claim.
    fn owned_portrait(&mut self, slug: &str, worker: &WorkerId) -> Result<&mut Portrait, Error> {
        let holder = self
            .manifest()?
            .portraits
            .get(slug)
            .and_then(|p| p.claim.as_ref())
            .map(|c| c.worker.clone());
        if holder.as_ref() != Some(worker) {
            // Portraits have no chapter: 0 stands for "the cast" in the message.
            return Err(Error::ClaimLost {
                chapter: crate::ids::ChapterNo(0),
                worker: worker.to_string(),
                holder: holder.map_or_else(|| "nobody".into(), |w| w.to_string()),
            });
        }
        self.portrait_mut(slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::state::{BookState, MemoryStore};

    #[test]
    fn a_portrait_status_round_trips_in_snake_case() {
        let json = serde_json::to_string(&PortraitStatus::Drawing).unwrap();
        assert_eq!(json, "\"drawing\"");
    }

    #[test]
    fn a_manifest_without_portraits_writes_none() {
        let m = crate::store::test_support::manifest(1);
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("portraits"), "{json}");
        let _ = MemoryStore::default().snapshot();
    }
}
